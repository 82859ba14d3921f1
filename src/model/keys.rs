//! Setup: the domain plan, every instance's key, the committed weights, the verifying key and
//! its key proof.

use super::keycheck::{self, KeyProof};
use super::params::{instance_params, weight_values, InstanceParams};
use super::segments::{reads_on_domain, Segment, View, Views};
use crate::blocks::copy::{CopyKey, CopyVerifierKey};
use crate::blocks::division::{DivisionKey, DivisionVerifierKey};
use crate::blocks::lookup::{LookupKey, LookupVerifierKey};
use crate::blocks::matmul::{Dims, MatMulKey, MatMulVerifierKey};
use crate::blocks::matprod::{MatProdKey, MatProdVerifierKey};
use crate::blocks::max::{MaxKey, MaxVerifierKey};
use crate::blocks::Committed;
use crate::compile::{Block, BlockClass, Program, TensorId, TensorKind};
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, VerifierKey};
use crate::proof::VerifyingKey;
use crate::srs::{anchor, Srs, MAX_POWER};
use crate::witness::Witness;
use ark_bn254::G2Affine;
use ark_ec::{AffineRepr, CurveGroup};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;

/// How the prover and verifier treat a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A graph input or output (or a constant graph output): values public, committed without
    /// a mask by the prover.
    Public,
    /// A model constant: committed by setup, re-randomised in every proof.
    Weight,
    /// An intermediate value committed by the prover (masked).
    Activation,
    /// The output of a linear instance: its commitment is derived from its inputs'.
    Derived,
}

/// The roles of a program's tensors. A graph output computed by a linear instance is `Public`
/// (committed unmasked, bound to its values) and proved equal on H to the commitment derived
/// from the instance's inputs ([`crate::blocks::linear::Equal`]).
pub fn roles(program: &Program) -> Result<Vec<Role>> {
    let mut roles: Vec<Role> = program
        .tensors
        .iter()
        .map(|t| match t.kind {
            TensorKind::Weight { .. } => Role::Weight,
            TensorKind::Input { .. } | TensorKind::Output => Role::Public,
            TensorKind::Activation => Role::Activation,
        })
        .collect();
    for inst in &program.instances {
        if inst.block.class() == BlockClass::Linear {
            let r = roles.get_mut(inst.output).ok_or_else(|| {
                Error::InvalidArgument(format!("instance output {} does not exist", inst.output))
            })?;
            *r = Role::Derived;
        }
    }
    for t in public_slots(program) {
        let r = roles
            .get_mut(t)
            .ok_or_else(|| Error::InvalidArgument(format!("public tensor {t} does not exist")))?;
        *r = Role::Public;
    }
    Ok(roles)
}

/// The tensor behind every public slot: each graph input, then each graph output. One tensor
/// may fill several slots (an output that is an input through Identity, an output listed
/// twice); every slot of a tensor must then carry the same values.
pub fn public_slots(program: &Program) -> Vec<TensorId> {
    let mut v: Vec<TensorId> = program.inputs.clone();
    v.extend(program.outputs.iter().map(|(_, n)| n.tensor));
    v
}

/// The distinct tensors of the public slots, in order of first appearance: each is bound to
/// its public values once, through the commitment every block reads.
pub fn bound_tensors(program: &Program) -> Vec<TensorId> {
    let mut seen = std::collections::BTreeSet::new();
    public_slots(program)
        .into_iter()
        .filter(|t| seen.insert(*t))
        .collect()
}

/// Mask coefficients per tensor: one more than the number of points all blocks together may
/// open it at (each block opens a tensor it touches at ≤ 2 points, the equality of a public
/// linear output opens the derived combination; openings of a derived tensor count for the
/// tensors it is derived from).
fn mask_counts(program: &Program, roles: &[Role]) -> Vec<usize> {
    let mut points = vec![0usize; program.tensors.len()];
    for inst in &program.instances {
        if inst.block.class() == BlockClass::Linear {
            if roles[inst.output] == Role::Public {
                points[inst.output] += 2;
            }
            continue;
        }
        if inst.block.class() == BlockClass::Advice {
            // Opens nothing: its value is opened by the checks that read it.
            continue;
        }
        for &t in inst.inputs.iter().chain([&inst.output]) {
            points[t] += 2;
        }
    }
    for inst in program.instances.iter().rev() {
        if inst.block.class() == BlockClass::Linear {
            let p = points[inst.output];
            for &t in &inst.inputs {
                points[t] += p;
            }
        }
    }
    points.into_iter().map(|p| p + 1).collect()
}

/// Which tensors are committed on the domain: all but the weights that live only in a matrix
/// product's key columns (there the product's own size counts).
pub fn on_domain(program: &Program) -> Vec<bool> {
    let mut on: Vec<bool> = program
        .tensors
        .iter()
        .map(|t| !matches!(t.kind, TensorKind::Weight { .. }))
        .collect();
    for inst in &program.instances {
        for (slot, &t) in inst.inputs.iter().enumerate() {
            if !(matches!(inst.block, Block::MatMulConst { .. }) && slot == 1) {
                if let Some(o) = on.get_mut(t) {
                    *o = true;
                }
            }
        }
    }
    for t in public_slots(program) {
        if let Some(o) = on.get_mut(t) {
            *o = true;
        }
    }
    on
}

/// The segments and SRS an instance set needs, fixed at setup.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// log2 of the largest segment's domain.
    pub log_n: u32,
    /// The runs of instances, each proved on its own domain ([`super::segments`]).
    pub segments: Vec<Segment>,
    /// The SRS power proving needs (quotient room above the largest domain).
    pub srs_power: u32,
    /// Per instance: the spread bits B of a max instance (else None).
    pub spread_bits: Vec<Option<u32>>,
}

impl Plan {
    /// Estimated peak bytes of setting up and proving this plan
    /// ([`super::segments::memory_estimate`]).
    pub fn memory_estimate(&self, program: &Program) -> Result<u64> {
        let roles = roles(program)?;
        let views =
            super::segments::views(program, &self.segments, &roles, &bound_tensors(program))?;
        Ok(super::segments::memory_estimate(
            program,
            &self.segments,
            &views,
            self.srs_power,
        ))
    }

    /// log2 of the domain instance `ix` is proved on.
    pub fn domain_of(&self, ix: usize) -> Result<u32> {
        super::segments::domain_of(&self.segments, ix)
            .ok_or_else(|| Error::InvalidArgument(format!("instance {ix} is in no segment")))
    }
}

fn bits_for(v: i64) -> u32 {
    64 - (v.max(1) as u64).leading_zeros()
}

/// Plans the segments: each instance's needed rows (its tensors on the domain; tables for
/// lookups, divisions and max range checks), then the cut ([`super::segments::segment`]). Max
/// instances get a spread bound with two bits of headroom over what the calibration witness
/// shows (at least 2^4).
pub fn plan(program: &Program, calibration: &Witness) -> Result<Plan> {
    let mut spread_bits = vec![None; program.instances.len()];
    for (ix, inst) in program.instances.iter().enumerate() {
        if let Block::MaxGroups { len: g } = inst.block {
            let x = calibration
                .values
                .get(inst.inputs[0])
                .ok_or_else(|| Error::InvalidArgument("calibration witness too short".into()))?;
            let spread = x
                .chunks(g.max(1))
                .map(|c| c.iter().max().unwrap_or(&0) - c.iter().min().unwrap_or(&0))
                .max()
                .unwrap_or(0);
            spread_bits[ix] = Some((bits_for(spread.saturating_mul(4))).clamp(4, 20));
        }
    }
    plan_with_spreads(program, spread_bits)
}

/// Rows instance `ix` needs on its domain: every tensor it reads or writes there, and its
/// block's own rows (tables, products' tiles, range tables).
fn instance_rows(program: &Program, ix: usize, spread_bits: Option<u32>) -> Result<usize> {
    let inst = &program.instances[ix];
    let len = |t: TensorId| program.tensors[t].len();
    let mut rows = len(inst.output).max(2);
    for (slot, &t) in inst.inputs.iter().enumerate() {
        if reads_on_domain(&inst.block, slot) {
            rows = rows.max(len(t));
        }
    }
    let need = match &inst.block {
        Block::MatMulConst { .. } => {
            let dims = inst.block.product_dims().ok_or_else(|| {
                Error::InvalidArgument(format!("instance {ix}: a product without dimensions"))
            })?;
            1usize << dims.log_n()?
        }
        Block::MatMul { rows, inner, cols } => {
            1usize << crate::blocks::matprod::domain_log(Dims::matrix(*rows, *inner, *cols))?
        }
        Block::MaxGroups { .. } => match spread_bits {
            Some(b) if (1..=24).contains(&b) => len(inst.inputs[0]) + (1usize << b),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "instance {ix}: max spread bound {other:?}"
                )))
            }
        },
        Block::Lookup { table } => {
            let rows = program
                .tables
                .get(*table)
                .map(|t| t.rows())
                .unwrap_or(0)
                .min(1 << MAX_POWER);
            len(inst.inputs[0]) + rows
        }
        Block::DivConst { .. } | Block::RangeCheck { .. } => {
            let (divisor, _, range) = inst.block.division().unwrap_or((1, 0, None));
            let (lo, hi) = range.ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "layer {:?}: division without a calibrated quotient range",
                    inst.layer
                ))
            })?;
            1usize << DivisionKey::domain_log(len(inst.inputs[0]), divisor, lo, hi)?
        }
        _ => 0,
    };
    Ok(rows.max(need))
}

/// The plan of a program whose max instances have these spread bounds: what [`plan`] computes
/// after calibration, and what a verifier recomputes from an architecture to check that a key's
/// segments are the ones its program implies (so a key cannot make its own check arbitrarily
/// expensive).
pub fn plan_with_spreads(program: &Program, spread_bits: Vec<Option<u32>>) -> Result<Plan> {
    program
        .check_dataflow()
        .map_err(|e| Error::InvalidArgument(format!("malformed program: {e}")))?;
    if spread_bits.len() != program.instances.len() {
        return Err(Error::InvalidArgument(
            "one spread per instance expected".into(),
        ));
    }
    let mut degree = 3usize;
    let mut need = Vec::with_capacity(program.instances.len());
    for (ix, inst) in program.instances.iter().enumerate() {
        if let Block::Copy { .. } = inst.block {
            degree = degree.max(inst.inputs.len() + 2);
        }
        let rows = instance_rows(program, ix, spread_bits[ix])?;
        if rows > 1usize << MAX_POWER {
            return Err(Error::InvalidArgument(format!(
                "layer {:?} needs a domain of {rows} rows, above the supported 2^{MAX_POWER}",
                inst.layer
            )));
        }
        need.push(pcs::domain_log(rows).max(1));
    }
    let public: std::collections::BTreeSet<TensorId> = bound_tensors(program).into_iter().collect();
    // A linear instance with a public output proves its equality; an advice instance proves
    // nothing even when its value is public (its checks do, after it). (Audit finding: a
    // segment whose only "proving" instance was a public advice value was refused.)
    let proves: Vec<bool> = program
        .instances
        .iter()
        .map(|i| match i.block.class() {
            BlockClass::Advice => false,
            BlockClass::Linear => public.contains(&i.output),
            _ => true,
        })
        .collect();
    let mut segments = super::segments::segment(program, &need, &proves);
    super::segments::widen_tied(program, &mut segments);
    // Public tensors no instance touches sit on their own smallest domain.
    let untouched = bound_tensors(program)
        .iter()
        .map(|&t| pcs::domain_log(program.tensors[t].len()).max(1))
        .max()
        .unwrap_or(1);
    let log_n = segments
        .iter()
        .map(|s| s.log_n)
        .max()
        .unwrap_or(1)
        .max(untouched);
    // The quotient has degree ≈ (degree − 1)·N plus mask terms; an SRS of power p holds
    // 2^(p+1) − 1 G1 powers (and 2^p G2 powers: [τ^N]₂ exists for p > log N).
    let needed_g1 = (degree - 1).saturating_mul(1usize << log_n.min(40)) + 256;
    let srs_power = (pcs::domain_log(needed_g1 + 1) - 1).max(log_n + 1);
    if srs_power > MAX_POWER {
        return Err(Error::InvalidArgument(format!(
            "the model needs an SRS of power {srs_power}, above the supported {MAX_POWER}"
        )));
    }
    Ok(Plan {
        log_n,
        segments,
        srs_power,
        spread_bits,
    })
}

/// The prover's key for one instance.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum InstanceKey {
    /// Add, Sub, ScaleConst: nothing.
    Linear,
    /// Hadamard: nothing.
    Hadamard,
    /// MatMulConst, and SumGroups (a public 0/1 matrix).
    MatMul(MatMulKey),
    /// Product of two activations.
    MatProd(MatProdKey),
    /// Grouped maxima.
    Max(MaxKey),
    /// Table lookup.
    Lookup(LookupKey),
    /// Division by a constant.
    Division(DivisionKey),
    /// Copy / permutation.
    Copy(CopyKey),
}

impl InstanceKey {
    /// The key's commitments in verifying-key order, with their polynomials when public.
    pub fn key_columns(&self) -> Vec<(Commitment, Option<&pcs::CommittedPoly>)> {
        use crate::blocks::KeyColumns;
        match self {
            InstanceKey::Linear | InstanceKey::Hadamard => Vec::new(),
            InstanceKey::MatMul(k) => k.key_columns(),
            InstanceKey::MatProd(k) => k.key_columns(),
            InstanceKey::Max(k) => k.key_columns(),
            InstanceKey::Lookup(k) => k.key_columns(),
            InstanceKey::Division(k) => k.key_columns(),
            InstanceKey::Copy(k) => k.key_columns(),
        }
    }
}

/// The verifier's key for one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceVerifierKey {
    /// Add, Sub, ScaleConst.
    Linear,
    /// Hadamard.
    Hadamard,
    /// MatMulConst, SumGroups.
    MatMul(MatMulVerifierKey),
    /// Product of two activations.
    MatProd(MatProdVerifierKey),
    /// Grouped maxima.
    Max(MaxVerifierKey),
    /// Table lookup.
    Lookup(LookupVerifierKey),
    /// Division by a constant.
    Division(DivisionVerifierKey),
    /// Copy / permutation.
    Copy(CopyVerifierKey),
}

impl InstanceVerifierKey {
    /// The key's commitments in verifying-key order.
    pub fn commitments(&self) -> Vec<Commitment> {
        let mut out = Vec::new();
        match self {
            InstanceVerifierKey::Linear | InstanceVerifierKey::Hadamard => {}
            InstanceVerifierKey::MatMul(k) => {
                out.extend(&k.columns);
                out.push(k.selector);
                out.extend(&k.tiling);
            }
            InstanceVerifierKey::MatProd(k) => out.extend(&k.commitments),
            InstanceVerifierKey::Max(k) => {
                out.extend(&k.broadcast.commitments);
                out.extend(&k.range.commitments);
                out.extend(&k.commitments);
            }
            InstanceVerifierKey::Lookup(k) => out.extend(&k.commitments),
            InstanceVerifierKey::Division(k) => {
                out.extend(&k.remainder.commitments);
                out.extend(&k.quotient.commitments);
                if let Some((_, h)) = &k.high {
                    out.extend(&h.commitments);
                }
            }
            InstanceVerifierKey::Copy(k) => out.extend(&k.commitments),
        }
        out
    }
}

/// What the verifier needs: the architecture (the program without weight values), the SRS
/// part, every instance's key, the weights' and public constants' commitments, and the key
/// proof. A verifier relies on it only after [`super::check_key`].
#[derive(Clone, Debug)]
pub struct ModelVerifierKey {
    /// The program with weight values removed.
    pub program: Program,
    /// log2 of the largest domain.
    pub log_n: u32,
    /// The segments (recomputed from the architecture by every verifier).
    pub segments: Vec<Segment>,
    /// Every tensor's views under the segments (derived from the architecture, not stored).
    pub views: Views,
    /// `[1]₁`, `[1]₂`, `[τ]₂`.
    pub pcs: VerifierKey,
    /// Per segment domain (log2): `[Z_H(τ)]₂ = [τ^N]₂ − [1]₂`.
    pub vanishing_g2: BTreeMap<u32, G2Affine>,
    /// The SRS label the key states (checked against the anchor of `[τ]₂`).
    pub srs_label: String,
    /// The digest of the SRS the key was made with.
    pub srs_digest: [u8; 32],
    /// Per instance: the spread bits of a max instance.
    pub spread_bits: Vec<Option<u32>>,
    /// Per instance.
    pub keys: Vec<InstanceVerifierKey>,
    /// Commitments of the weights used outside matrix-product keys (biases, …), per view.
    pub weights: BTreeMap<View, Commitment>,
    /// Commitments of the all-ones vectors divisions add offsets with, per (length, domain).
    pub ones: BTreeMap<(usize, u32), Commitment>,
    /// The key proof: tiling of every private matrix, every public column at a random point.
    pub key_proof: KeyProof,
    /// The digest of the key's file encoding (the model digest; absorbed first by every proof's
    /// transcript).
    pub digest: [u8; 32],
}

/// Everything the prover needs (built once by [`setup`], cached by the CLI).
#[derive(Debug)]
pub struct ModelKey {
    /// The program, with weights.
    pub program: Program,
    /// The domain plan.
    pub plan: Plan,
    /// The SRS, trimmed to the plan's power.
    pub srs: Srs,
    /// Per instance.
    pub keys: Vec<InstanceKey>,
    /// Committed weights (used outside matrix-product keys), per view.
    pub weights: BTreeMap<View, Committed>,
    /// The public all-ones vectors, per (length, domain).
    pub ones: BTreeMap<(usize, u32), Committed>,
    /// Every tensor's views.
    pub views: Views,
    /// Mask coefficients per tensor.
    pub masks: Vec<usize>,
    /// Roles per tensor.
    pub roles: Vec<Role>,
    /// The verifier's key.
    pub vk: ModelVerifierKey,
    /// Its file encoding (`model.vk`); its digest is the model digest.
    pub vk_file: VerifyingKey,
}

/// An unmasked commitment to public values on the domain `2^log_n`.
pub fn public_committed(srs: &Srs, values: &[i64], log_n: u32) -> Result<Committed> {
    let mut v = values.to_vec();
    v.resize(1 << log_n, 0);
    Ok(Committed {
        commitment: pcs::commit_values(srs, &v)?,
        poly: pcs::values_poly(&v)?,
        values: v,
    })
}

/// Setup: commits the weights and every instance's public columns on the plan's domain, and
/// proves the key ([`keycheck`]): the owner's own check that the key is what its architecture
/// says, which every verifier re-runs.
pub fn setup<R: RngCore + CryptoRng>(
    srs: &Srs,
    program: &Program,
    plan: &Plan,
    rng: &mut R,
) -> Result<ModelKey> {
    let mut key = setup_unsealed(srs, program, plan, rng)?;
    key.reseal()?;
    Ok(key)
}

/// Setup again from the same (program, plan, SRS, randomness), taking the key proof from the
/// key file this setup made before (`cached`) instead of proving it again: the prover's warm
/// path. Fails unless the rebuilt key is byte for byte `cached` with that proof.
pub fn rebuild<R: RngCore + CryptoRng>(
    srs: &Srs,
    program: &Program,
    plan: &Plan,
    rng: &mut R,
    cached: &VerifyingKey,
) -> Result<ModelKey> {
    let mut key = setup_unsealed(srs, program, plan, rng)?;
    key.vk.key_proof = super::codec::vk_from_file(cached)?.key_proof;
    key.vk_file = super::codec::vk_file(&key.vk)?;
    if key.vk_file != *cached {
        return Err(Error::InvalidArgument(format!(
            "the setup does not reproduce the cached verifying key {}",
            hex::encode(cached.digest())
        )));
    }
    key.vk.digest = key.vk_file.digest();
    Ok(key)
}

/// Everything of [`setup`] but the key proof (an empty one in place).
fn setup_unsealed<R: RngCore + CryptoRng>(
    srs: &Srs,
    program: &Program,
    plan: &Plan,
    rng: &mut R,
) -> Result<ModelKey> {
    program
        .check_dataflow()
        .map_err(|e| Error::InvalidArgument(format!("malformed program: {e}")))?;
    if plan.spread_bits.len() != program.instances.len() {
        return Err(Error::InvalidArgument(
            "the plan was made for another program".into(),
        ));
    }
    let srs = srs.trim(plan.srs_power)?;
    let roles = roles(program)?;
    let masks = mask_counts(program, &roles);
    let views = super::segments::views(program, &plan.segments, &roles, &bound_tensors(program))?;
    let mut keys: Vec<InstanceKey> = Vec::with_capacity(program.instances.len());
    let mut ones = BTreeMap::new();
    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    for &(len, d) in &views.ones {
        ones.insert((len, d), public_committed(&srs, &vec![1i64; len], d)?);
    }
    let tied = program.tied_products();
    for (ix, inst) in program.instances.iter().enumerate() {
        let started = std::time::Instant::now();
        let log_n = plan.domain_of(ix)?;
        // A tied product reuses its first product's key: same W, same masks, same columns.
        if let Some(first) = tied[ix] {
            if plan.domain_of(first)? != log_n {
                return Err(Error::InvalidArgument(format!(
                    "tied products {first} and {ix} on domains of different sizes"
                )));
            }
            keys.push(keys[first].clone());
            continue;
        }
        let key = match instance_params(program, plan.spread_bits[ix], ix, log_n)? {
            InstanceParams::Linear => InstanceKey::Linear,
            InstanceParams::Hadamard => InstanceKey::Hadamard,
            InstanceParams::MatMul { dims, public } => InstanceKey::MatMul(match public {
                Some(w) => MatMulKey::public(&srs, dims, w, log_n)?,
                None => {
                    let w = weight_values(program, inst.inputs[1])?.to_vec();
                    MatMulKey::on_domain(&srs, dims, w, log_n, rng)?
                }
            }),
            InstanceParams::MatProd { dims } => {
                InstanceKey::MatProd(MatProdKey::on_domain(&srs, dims, log_n)?)
            }
            InstanceParams::Max { groups } => {
                InstanceKey::Max(MaxKey::on_domain(&srs, groups, log_n)?)
            }
            InstanceParams::Lookup { witness_len, table } => {
                InstanceKey::Lookup(LookupKey::on_domain(&srs, witness_len, table, log_n)?)
            }
            InstanceParams::Division {
                witness_len,
                divisor,
                range: (lo, hi),
            } => InstanceKey::Division(DivisionKey::on_domain(
                &srs,
                witness_len,
                divisor,
                lo,
                hi,
                log_n,
            )?),
            InstanceParams::Copy { wiring } => {
                InstanceKey::Copy(CopyKey::on_domain(&srs, wiring, log_n)?)
            }
        };
        if profile {
            eprintln!(
                "profile: {:>9.1} ms  setup of {} ({})",
                started.elapsed().as_secs_f64() * 1e3,
                inst.block.describe(),
                inst.layer
            );
        }
        keys.push(key);
    }
    // Weights read other than as a matrix-product key's W: committed once per view.
    let mut weights = BTreeMap::new();
    for (t, d) in views.of_role(&roles, Role::Weight) {
        let mut v = weight_values(program, t)?.to_vec();
        v.resize(1usize << d, 0);
        weights.insert((t, d), Committed::new(&srs, &v, masks[t].max(2), rng)?);
    }
    let g2 = srs.g2_powers();
    let mut vanishing_g2 = BTreeMap::new();
    for d in super::segments::domains(&plan.segments) {
        let n = 1usize << d;
        if g2.len() <= n {
            return Err(Error::SrsTooSmall {
                what: "[Z_H(τ)]₂",
                needed: n + 1,
                available: g2.len(),
            });
        }
        vanishing_g2.insert(d, (g2[n].into_group() - g2[0].into_group()).into_affine());
    }
    let pcs_vk = srs.verifier_key();
    let vk = ModelVerifierKey {
        program: super::codec::strip_weights(program),
        log_n: plan.log_n,
        segments: plan.segments.clone(),
        views: views.clone(),
        pcs: pcs_vk,
        vanishing_g2,
        srs_label: anchor::source_label(srs.source(), &pcs_vk.tau_h),
        srs_digest: srs.digest(),
        spread_bits: plan.spread_bits.clone(),
        keys: keys.iter().map(verifier_key_of).collect(),
        weights: weights.iter().map(|(v, c)| (*v, c.commitment)).collect(),
        ones: ones.iter().map(|(l, c)| (*l, c.commitment)).collect(),
        key_proof: KeyProof::empty(),
        digest: [0u8; 32],
    };
    Ok(ModelKey {
        vk_file: super::codec::vk_file(&vk)?,
        program: program.clone(),
        plan: plan.clone(),
        srs,
        keys,
        weights,
        ones,
        views,
        masks,
        roles,
        vk,
    })
}

impl ModelKey {
    /// Makes the key proof for the verifier key as it stands and rebuilds the key file and
    /// digest from it. Setup ends with this; tooling (and the attack tests) call it after
    /// editing `vk`: a key whose public columns do not match its architecture is then still
    /// refused by [`super::check_key`], whatever its key proof.
    pub fn reseal(&mut self) -> Result<()> {
        self.vk.key_proof = KeyProof::empty();
        let body = super::codec::vk_file(&self.vk)?.body_digest();
        self.vk.key_proof = keycheck::prove_key(
            &self.srs,
            &self.vk.segments,
            &self.keys,
            &self.program.tied_products(),
            &self.ones,
            body,
        )?;
        self.vk_file = super::codec::vk_file(&self.vk)?;
        self.vk.digest = self.vk_file.digest();
        Ok(())
    }
}

fn verifier_key_of(k: &InstanceKey) -> InstanceVerifierKey {
    match k {
        InstanceKey::Linear => InstanceVerifierKey::Linear,
        InstanceKey::Hadamard => InstanceVerifierKey::Hadamard,
        InstanceKey::MatMul(k) => InstanceVerifierKey::MatMul(k.verifier_key().clone()),
        InstanceKey::MatProd(k) => InstanceVerifierKey::MatProd(k.verifier_key().clone()),
        InstanceKey::Max(k) => InstanceVerifierKey::Max(k.verifier_key()),
        InstanceKey::Lookup(k) => InstanceVerifierKey::Lookup(k.verifier_key()),
        InstanceKey::Division(k) => InstanceVerifierKey::Division(k.verifier_key()),
        InstanceKey::Copy(k) => InstanceVerifierKey::Copy(k.verifier_key()),
    }
}
