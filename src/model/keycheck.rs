//! The key check: a verifier accepts a verifying key only after checking every element it will
//! rely on against a trusted SRS and against the architecture the key states.
//!
//! The model owner makes the key and is also the prover, so nothing in the key is taken on
//! trust (docs/PROTOCOLS.md §6):
//!
//! - `[τ]₂` must be a trust anchor ([`Trust`]): a public ceremony this program knows, or an SRS
//!   in the verifier's own store; the key's SRS label must name that anchor;
//! - `[Z_H(τ)]₂` of every segment domain: the key carries `[τ^N]₁`, opened at a random ξ to `ξ^N` (so it is `[τ^N]₁`
//!   for the anchored τ), and `e([τ^N]₁, [1]₂) = e([1]₁, [Z_H(τ)]₂ + [1]₂)`;
//! - every public column (tables, selectors, wirings' σ/q/κ, reduction matrices, all-ones
//!   vectors) is opened at ξ and the verifier computes the value itself from the architecture
//!   ([`super::params::public_columns`]): a commitment to anything else is caught except with
//!   probability (degree)/r;
//! - every private weight matrix of a matrix product is proved tiled with zero padding
//!   ([`crate::blocks::matmul::prove_tiling`]), the layout every proof's Horner relation reads;
//! - the architecture itself must be a well-formed program ([`Program::check_dataflow`]).
//!
//! The key proof is made once by setup, on a transcript seeded with the digest of the rest of
//! the key, and stored in the key; [`check_key`] verifies it with one multi-pairing.

use super::keys::{InstanceKey, InstanceVerifierKey, ModelVerifierKey};
use super::params::{instance_params, public_columns, At};
use super::segments::{domains, Segment};
use crate::blocks::identity::IdentityProof;
use crate::blocks::{matmul, Committed};
use crate::compile::Program;
use crate::error::{Error, Result};
use crate::pcs::{self, BatchOpening, Commitment, CommittedPoly, PairingBatch, Query};
use crate::proof::VerifyingKey;
use crate::srs::anchor::{SrsAnchor, Trust};
use crate::srs::Srs;
use crate::transcript::Transcript;
use ark_bn254::{Fr, G1Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, One, Zero};
use ark_poly::univariate::DensePolynomial;
use ark_poly::DenseUVPolynomial;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The proof a verifying key carries about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProof {
    /// `[τ^N]₁` per segment domain, ascending.
    pub tau_n: Vec<G1Affine>,
    /// The GWC witness opening every public column and `X^N` at ξ.
    pub opening: G1Affine,
    /// Per private matrix product not tied to an earlier one, in program order: its tiling
    /// proof (a tied product's key is the first product's).
    pub tilings: Vec<IdentityProof>,
}

impl KeyProof {
    /// A placeholder (the key body is digested before its proof exists).
    pub fn empty() -> Self {
        KeyProof {
            tau_n: Vec::new(),
            opening: G1Affine::zero(),
            tilings: Vec::new(),
        }
    }
}

/// A verifying key that passed [`check_key`]: the only form the model verifier accepts.
#[derive(Clone, Debug)]
pub struct CheckedKey {
    vk: ModelVerifierKey,
    anchor: SrsAnchor,
}

impl CheckedKey {
    /// A key whose check passed earlier on this machine (a recorded verdict, see
    /// [`crate::workspace::Workspace::check_key`]): parsed, but its key proof not re-verified.
    /// The caller vouches that `file` passed [`check_key`] with an anchor `trust` still accepts.
    pub(crate) fn from_verdict(file: &VerifyingKey, trust: &Trust) -> Result<CheckedKey> {
        let anchor = trust
            .find(&file.pcs.tau_h)
            .filter(|a| a.label == file.srs_label)
            .cloned()
            .ok_or_else(|| reject("the recorded verdict's SRS is no longer trusted"))?;
        let vk = super::codec::vk_from_file_within(file, trust.max_log_domain())?;
        Ok(CheckedKey { vk, anchor })
    }

    /// The checked key.
    pub fn vk(&self) -> &ModelVerifierKey {
        &self.vk
    }

    /// The trust anchor its SRS was accepted by.
    pub fn anchor(&self) -> &SrsAnchor {
        &self.anchor
    }
}

fn start(body: [u8; 32]) -> Transcript {
    let mut t = Transcript::new(b"zktorch/key-check/v1");
    t.append_bytes(b"key/body", &body);
    t
}

/// The polynomial `X^N`.
fn x_to_the(n: usize) -> CommittedPoly {
    let mut coeffs = vec![Fr::zero(); n + 1];
    coeffs[n] = Fr::one();
    CommittedPoly {
        poly: DensePolynomial::from_coefficients_vec(coeffs),
        log_n: 0,
        hiding: 0,
    }
}

/// Setup's half: proves the key (tilings, then every public column and each domain's `X^N`
/// at ξ).
pub(super) fn prove_key(
    srs: &Srs,
    segments: &[Segment],
    keys: &[InstanceKey],
    tied: &[Option<usize>],
    ones: &BTreeMap<(usize, u32), Committed>,
    body: [u8; 32],
) -> Result<KeyProof> {
    let mut t = start(body);
    let mut tilings = Vec::new();
    for (ix, key) in keys.iter().enumerate() {
        if let InstanceKey::MatMul(k) = key {
            // A tied product's key is its first product's (checked equal): one tiling proof.
            if !k.is_public() && tied.get(ix).is_none_or(|t| t.is_none()) {
                t.append_u64(b"key/tiling", ix as u64);
                tilings.push(matmul::prove_tiling(srs, k, &mut t)?);
            }
        }
    }
    let mut powers = Vec::new();
    let mut tau_n = Vec::new();
    for d in domains(segments) {
        let n = 1usize << d;
        powers.push(x_to_the(n));
        tau_n.push(*srs.g1_powers().get(n).ok_or(Error::SrsTooSmall {
            what: "[τ^N]₁",
            needed: n + 1,
            available: srs.g1_powers().len(),
        })?);
    }
    t.append_g1s(b"key/tau-n", &tau_n);
    let xi = t.challenge_scalar(b"key/xi");
    let mut polys: Vec<&CommittedPoly> = Vec::new();
    let mut commitments: Vec<Commitment> = Vec::new();
    for key in keys {
        for (c, p) in key.key_columns() {
            if let Some(p) = p {
                polys.push(p);
                commitments.push(c);
            }
        }
    }
    for one in ones.values() {
        polys.push(&one.poly);
        commitments.push(one.commitment);
    }
    for (p, c) in powers.iter().zip(&tau_n) {
        polys.push(p);
        commitments.push(Commitment(*c));
    }
    let queries: Vec<Query> = (0..polys.len())
        .map(|poly| Query { poly, point: xi })
        .collect();
    // A key with no column at all (a program without instances) opens nothing.
    let opening = if queries.is_empty() {
        G1Affine::zero()
    } else {
        pcs::batch_open(srs, &polys, &commitments, &queries, &mut t)?.witnesses[0]
    };
    Ok(KeyProof {
        tau_n,
        opening,
        tilings,
    })
}

fn reject(why: impl Into<String>) -> Error {
    Error::Verification(why.into())
}

fn domain_of(segments: &[Segment], ix: usize) -> Result<u32> {
    super::segments::domain_of(segments, ix)
        .ok_or_else(|| reject(format!("instance {ix} is in no segment")))
}

/// Checks a verifying key (see the module docs): `Ok` carries the key in the only form the
/// model verifier accepts, and the anchor its SRS was accepted by. A key that fails is an
/// `Error::Verification` (the key is not what it claims) or a malformed-key error.
pub fn check_key(file: &VerifyingKey, trust: &Trust) -> Result<CheckedKey> {
    let anchor = trust.find(&file.pcs.tau_h).cloned().ok_or_else(|| {
        reject(format!(
            "the key's SRS ({}) is not one this verifier trusts: its [τ]₂ is neither a known \
             public ceremony nor an SRS in this machine's store (a proof on a local SRS \
             convinces only those who trust the machine that made it)",
            file.srs_label
        ))
    })?;
    if file.srs_label != anchor.label {
        return Err(reject(format!(
            "the key says its SRS is {:?}, but its [τ]₂ is that of {:?}",
            file.srs_label, anchor.label
        )));
    }
    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    let started = std::time::Instant::now();
    let lap = |what: &str| {
        if profile {
            eprintln!(
                "profile: {:>9.1} ms  key check: {what}",
                started.elapsed().as_secs_f64() * 1e3
            );
        }
    };
    let vk = super::codec::vk_from_file_within(file, trust.max_log_domain())?;
    check_architecture(&vk.program)?;
    lap("read and architecture");
    let mut batch = PairingBatch::new();
    let mut t = start(file.body_digest());
    let mut tilings = vk.key_proof.tilings.iter();
    let tied = vk.program.tied_products();
    for (ix, key) in vk.keys.iter().enumerate() {
        if let InstanceVerifierKey::MatMul(k) = key {
            let d = domain_of(&vk.segments, ix)?;
            if vk.vanishing_g2.get(&d) != Some(&k.vanishing_g2) || k.log_n != d {
                return Err(reject("a matrix-product key on another domain"));
            }
            // Tied products read one W: C_W of every tied product = C_W of the first.
            if let Some(first) = tied.get(ix).copied().flatten() {
                if vk.keys.get(first) != Some(key) {
                    return Err(reject(format!(
                        "products {first} and {ix} share one weight matrix in the architecture \
                         but not in the key"
                    )));
                }
                continue;
            }
            if !k.tiling.is_empty() {
                let proof = tilings
                    .next()
                    .ok_or_else(|| reject("a private matrix without its tiling proof"))?;
                t.append_u64(b"key/tiling", ix as u64);
                matmul::verify_tiling(&vk.pcs, k, proof, &mut t, &mut batch)?;
            }
        }
    }
    if tilings.next().is_some() {
        return Err(reject("more tiling proofs than private matrices"));
    }
    lap("tiling proofs");
    let doms = domains(&vk.segments);
    if vk.key_proof.tau_n.len() != doms.len() || vk.vanishing_g2.len() != doms.len() {
        return Err(reject("the key's [τ^N] do not match its segments"));
    }
    t.append_g1s(b"key/tau-n", &vk.key_proof.tau_n);
    let xi = t.challenge_scalar(b"key/xi");
    let mut at: BTreeMap<u32, At> = BTreeMap::new();
    for &d in doms.iter().chain(vk.ones.keys().map(|(_, d)| d)) {
        if let std::collections::btree_map::Entry::Vacant(e) = at.entry(d) {
            e.insert(At::new(d, xi)?);
        }
    }
    lap("Lagrange basis at ξ");
    let mut commitments: Vec<Commitment> = Vec::new();
    let mut values: Vec<Fr> = Vec::new();
    // Every instance's public columns at ξ (independent: in parallel), in key order.
    let per_instance: Vec<Vec<(Commitment, Fr)>> = vk
        .keys
        .par_iter()
        .enumerate()
        .map(|(ix, key)| {
            let d = domain_of(&vk.segments, ix)?;
            let at = at
                .get(&d)
                .ok_or_else(|| reject("a segment without its domain"))?;
            instance_claims(&vk, ix, key, d, at)
        })
        .collect::<Result<_>>()?;
    for (c, v) in per_instance.into_iter().flatten() {
        commitments.push(c);
        values.push(v);
    }
    for (&(len, d), c) in &vk.ones {
        let at = at
            .get(&d)
            .ok_or_else(|| reject("an all-ones vector off every domain"))?;
        if len > at.lagrange.len() {
            return Err(reject("an all-ones vector longer than the domain"));
        }
        commitments.push(*c);
        values.push(at.range(0, len));
    }
    lap("public columns at ξ");
    for (&d, tau_n) in doms.iter().zip(&vk.key_proof.tau_n) {
        commitments.push(Commitment(*tau_n));
        values.push(xi.pow([1u64 << d]));
    }
    let queries: Vec<Query> = (0..commitments.len())
        .map(|poly| Query { poly, point: xi })
        .collect();
    if queries.is_empty() {
        if !vk.key_proof.opening.is_zero() {
            return Err(reject("an opening witness in a key that opens nothing"));
        }
    } else {
        let opening = BatchOpening {
            values,
            witnesses: vec![vk.key_proof.opening],
        };
        pcs::batch_verify(
            &vk.pcs,
            &commitments,
            &queries,
            &opening,
            &mut t,
            &mut batch,
        )?;
    }
    for (d, tau_n) in doms.iter().zip(&vk.key_proof.tau_n) {
        let vanishing = vk
            .vanishing_g2
            .get(d)
            .ok_or_else(|| reject("a segment domain without [Z_H(τ)]₂"))?;
        // e([τ^N]₁, [1]₂) = e([1]₁, [Z_H(τ)]₂ + [1]₂)
        let tau_n_g2 = (vanishing.into_group() + vk.pcs.h.into_group()).into();
        batch.add_equation(&[
            (&[(*tau_n, Fr::one())], vk.pcs.h),
            (&[(vk.pcs.g, -Fr::one())], tau_n_g2),
        ]);
    }
    let holds = batch.verify();
    lap("pairings");
    if !holds {
        return Err(reject(
            "the key does not match its architecture or its SRS (key proof rejected)",
        ));
    }
    Ok(CheckedKey { vk, anchor })
}

/// The public commitments of instance `ix`'s key with the values the architecture implies at ξ.
fn instance_claims(
    vk: &ModelVerifierKey,
    ix: usize,
    key: &InstanceVerifierKey,
    log_n: u32,
    at: &At,
) -> Result<Vec<(Commitment, Fr)>> {
    let params = instance_params(&vk.program, vk.spread_bits[ix], ix, log_n)
        .map_err(|e| reject(format!("the architecture does not describe this key: {e}")))?;
    let columns =
        public_columns(&params, log_n).map_err(|e| reject(format!("instance {ix}: {e}")))?;
    let stated = key.commitments();
    if stated.len() != columns.len() {
        return Err(reject(format!(
            "instance {ix}: the key has {} commitments where its architecture implies {}",
            stated.len(),
            columns.len()
        )));
    }
    stated
        .into_iter()
        .zip(columns)
        .filter_map(|(c, column)| column.map(|col| col.evaluate(at).map(|v| (c, v))))
        .collect()
}

/// The architecture must be a well-formed program whose every layer is provable.
fn check_architecture(program: &Program) -> Result<()> {
    program
        .check_dataflow()
        .map_err(|e| reject(format!("the key's architecture is malformed: {e}")))?;
    if !program.not_provable().is_empty() {
        return Err(reject(
            "the key's architecture has layers that are not provable",
        ));
    }
    Ok(())
}
