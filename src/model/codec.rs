//! The model's verifying key and proof as the file formats of [`crate::proof`].
//!
//! **Verifying key.** `architecture` is the canonical JSON of [`Architecture`] (the program with
//! private weight values removed — see [`strip_weights`] — and copy wirings as their compact
//! specs, the segments and the largest domain, the max instances' spread bits, the weight views
//! and all-ones vectors); `srs_label` names the SRS; `g2_extra` is `[Z_H(τ)]₂` per segment
//! domain, ascending; `constant_commitments` lists, instance by instance in program order (a
//! tied product, [`Program::tied_products`], has none: its key is its first product's), the
//! commitments of its key on its segment's domain ([`InstanceVerifierKey::commitments`]: matrix
//! product: the n tiled columns, the selector, then for a private matrix the two tiling
//! selectors; committed product: `e_A, e_B`; max: the broadcast wiring's 4, the range table's
//! 4, then `s, ℓ, e`; lookup: `t_1, t_2, q_w, q_t`; division: remainder then quotient lookup;
//! copy: σ_0..σ_m, q, κ), then the committed weight views in (tensor, domain) order, then the
//! all-ones vectors in (length, domain) order; `key_proof_g1` is `[τ^N]₁` per segment domain,
//! the ξ-opening witness, then per private matrix not tied to an earlier one its tiling proof's
//! quotient and two witnesses; `key_proof_fr` the tiling proofs' five values each. The reader recomputes the segments and
//! views from the architecture and rebuilds every instance key, so a count that does not match
//! is a malformed key, never a panic.
//!
//! **Proof.** `g1` holds the commitments of the public views, the public opening's witness,
//! each committed weight view's re-randomisation (Δ, Π), the activation views' commitments, the
//! bindings' running columns and quotients, every instance proof's group elements in a fixed
//! order, then per segment its identity proof's quotient and witnesses; `scalars` holds per
//! segment the number of its opened values and of its witnesses, then the values (the counts
//! are checked against the segment's parts by the verifier).

use super::keycheck::KeyProof;
use super::keys::{roles, InstanceVerifierKey, ModelVerifierKey, Role};
use super::prove::{InstanceProof, ModelProof, WeightShift};
use super::segments::Segment;
use crate::blocks::copy::{CopyProof, CopyVerifierKey};
use crate::blocks::division::{self, DivisionProof, DivisionVerifierKey};
use crate::blocks::identity::IdentityProof;
use crate::blocks::lookup::{LookupProof, LookupVerifierKey};
use crate::blocks::matmul::{Dims, MatMulProof, MatMulVerifierKey};
use crate::blocks::matprod::{MatProdProof, MatProdVerifierKey};
use crate::blocks::max::{Groups, MaxProof, MaxVerifierKey};
use crate::compile::{Block, Program, TensorKind};
use crate::error::{Error, Result};
use crate::pcs::{BatchOpening, Commitment};
use crate::proof::VerifyingKey;
use ark_bn254::{Fr, G1Affine, G2Affine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the [`Architecture`] encoding.
const ARCHITECTURE_VERSION: u32 = 3;

/// The public description of a model a verifying key carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Format of this description.
    pub version: u32,
    /// log2 of the largest domain.
    pub log_n: u32,
    /// The segments (each a run of instances on its own domain).
    pub segments: Vec<Segment>,
    /// The program, private weight values removed.
    pub program: Program,
    /// Per instance: the spread bits of a max instance.
    pub spread_bits: Vec<Option<u32>>,
    /// (length, domain) of the all-ones vectors, in order.
    pub ones: Vec<(usize, u32)>,
    /// (tensor, domain) of the committed weight views, in order.
    pub weights: Vec<(usize, u32)>,
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::malformed("verifying key", reason.to_string())
}

/// The program as the verifying key carries it: the values of private constants removed. A
/// constant that is itself a graph output is public (every proof states it), so its values
/// stay: the verifier compares the stated output with them. Copy wirings stay as their specs
/// (a verifier expands them to check the copy keys).
pub fn strip_weights(program: &Program) -> Program {
    let public: std::collections::BTreeSet<usize> =
        program.outputs.iter().map(|(_, n)| n.tensor).collect();
    let mut p = program.clone();
    for t in &mut p.tensors {
        if let TensorKind::Weight { values } = &mut t.kind {
            if !public.contains(&t.id) {
                values.clear();
            }
        }
    }
    p
}

/// The verifying-key file of a model's verifier key (its digest is the model digest).
pub fn vk_file(vk: &ModelVerifierKey) -> Result<VerifyingKey> {
    let arch = Architecture {
        version: ARCHITECTURE_VERSION,
        log_n: vk.log_n,
        segments: vk.segments.clone(),
        program: vk.program.clone(),
        spread_bits: vk.spread_bits.clone(),
        ones: vk.ones.keys().copied().collect(),
        weights: vk.weights.keys().copied().collect(),
    };
    let architecture = serde_json::to_vec(&arch)
        .map_err(|e| Error::InvalidArgument(format!("architecture encoding: {e}")))?;
    let mut constant_commitments = Vec::new();
    // A tied product's key is its first product's: stored once, copied when read.
    let tied = vk.program.tied_products();
    for (ix, k) in vk.keys.iter().enumerate() {
        if tied.get(ix).copied().flatten().is_none() {
            constant_commitments.extend(k.commitments().iter().map(|c| c.0));
        }
    }
    constant_commitments.extend(vk.weights.values().map(|c| c.0));
    constant_commitments.extend(vk.ones.values().map(|c| c.0));
    let (key_proof_g1, key_proof_fr) = key_proof_parts(&vk.key_proof);
    Ok(VerifyingKey {
        srs_digest: vk.srs_digest,
        srs_label: vk.srs_label.clone(),
        pcs: vk.pcs,
        g2_extra: vk.vanishing_g2.values().copied().collect(),
        architecture,
        constant_commitments,
        key_proof_g1,
        key_proof_fr,
    })
}

/// Values a tiling proof opens: t, s_rep, s_pad at ζ, t at ω^m·ζ, the quotient at ζ.
const TILING_VALUES: usize = 5;

fn key_proof_parts(p: &KeyProof) -> (Vec<G1Affine>, Vec<Fr>) {
    let mut g1 = p.tau_n.clone();
    g1.push(p.opening);
    let mut fr = Vec::new();
    for t in &p.tilings {
        g1.push(t.quotient.0);
        g1.extend_from_slice(&t.opening.witnesses);
        fr.extend_from_slice(&t.opening.values);
    }
    (g1, fr)
}

fn key_proof_from_parts(
    domains: usize,
    tilings: usize,
    g1: &[G1Affine],
    fr: &[Fr],
) -> Result<KeyProof> {
    if g1.len() != domains + 1 + 3 * tilings || fr.len() != TILING_VALUES * tilings {
        return Err(malformed(format!(
            "key proof of {} group and {} field elements for {tilings} private matrices",
            g1.len(),
            fr.len()
        )));
    }
    let (tau_n, rest) = g1.split_at(domains);
    Ok(KeyProof {
        tau_n: tau_n.to_vec(),
        opening: rest[0],
        tilings: (0..tilings)
            .map(|i| IdentityProof {
                quotient: Commitment(rest[1 + 3 * i]),
                opening: BatchOpening {
                    values: fr[TILING_VALUES * i..TILING_VALUES * (i + 1)].to_vec(),
                    witnesses: rest[2 + 3 * i..4 + 3 * i].to_vec(),
                },
            })
            .collect(),
    })
}

/// A cursor over a list, failing (not panicking) when it runs out.
struct Cursor<'a, T: Copy> {
    items: &'a [T],
    at: usize,
    what: &'static str,
}

impl<'a, T: Copy> Cursor<'a, T> {
    fn new(items: &'a [T], what: &'static str) -> Self {
        Cursor { items, at: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [T]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.items.len())
            .ok_or_else(|| Error::Verification(format!("too few {}", self.what)))?;
        let s = &self.items[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn one(&mut self) -> Result<T> {
        Ok(self.take(1)?[0])
    }
    fn done(&self) -> Result<()> {
        if self.at != self.items.len() {
            return Err(Error::Verification(format!(
                "{} trailing {}",
                self.items.len() - self.at,
                self.what
            )));
        }
        Ok(())
    }
}

fn commitments(c: &mut Cursor<'_, G1Affine>, n: usize) -> Result<Vec<Commitment>> {
    Ok(c.take(n)?.iter().map(|p| Commitment(*p)).collect())
}

/// Rebuilds the model's verifying key from its file, checking every count.
pub fn vk_from_file(file: &VerifyingKey) -> Result<ModelVerifierKey> {
    vk_from_file_within(file, crate::srs::MAX_POWER)
}

/// [`vk_from_file`] for a key whose domain is at most `2^max_log_n` (a verifier's resource
/// limit, checked before any work that grows with the domain); a larger one is an
/// [`Error::InvalidArgument`] saying so.
pub fn vk_from_file_within(file: &VerifyingKey, max_log_n: u32) -> Result<ModelVerifierKey> {
    let arch: Architecture = serde_json::from_slice(&file.architecture)
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    let canonical = serde_json::to_vec(&arch).map_err(|e| malformed(e.to_string()))?;
    if canonical != file.architecture {
        return Err(malformed("architecture is not in canonical form"));
    }
    if arch.version != ARCHITECTURE_VERSION || arch.log_n == 0 || arch.log_n > crate::srs::MAX_POWER
    {
        return Err(malformed("unsupported architecture version or domain"));
    }
    if arch.log_n > max_log_n {
        return Err(Error::InvalidArgument(format!(
            "the key's domain is 2^{}, above this verifier's limit of 2^{max_log_n} (checking              it costs time and memory in proportion; raise the limit with --max-domain-log {}              if you expect a model this large)",
            arch.log_n, arch.log_n
        )));
    }
    let program = arch.program;
    let log_n = arch.log_n;
    let largest = 1usize << crate::srs::MAX_POWER;
    let fits = |shape: &[usize], limit: usize| {
        shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_some_and(|len| len <= limit)
    };
    if program.tensors.iter().any(|t| !fits(&t.shape, largest))
        || program
            .outputs
            .iter()
            .any(|(_, o)| !fits(&o.shape, largest))
    {
        return Err(malformed("a tensor is larger than any domain"));
    }
    program
        .check_dataflow()
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    if program
        .outputs
        .iter()
        .any(|(_, o)| o.shape.iter().product::<usize>() != program.tensors[o.tensor].len())
        || arch.spread_bits.len() != program.instances.len()
    {
        return Err(malformed(
            "architecture: output shapes or spreads do not match",
        ));
    }
    // A private constant's values are not in the key (an architecture listing some would
    // publish "weights" the proofs never use); a constant graph output's are, in full.
    let public: std::collections::BTreeSet<usize> =
        program.outputs.iter().map(|(_, o)| o.tensor).collect();
    for t in &program.tensors {
        if let TensorKind::Weight { values } = &t.kind {
            let expected = if public.contains(&t.id) { t.len() } else { 0 };
            if values.len() != expected {
                return Err(malformed(format!(
                    "architecture: constant {:?} lists {} values where {expected} are expected",
                    t.name,
                    values.len()
                )));
            }
        }
    }
    // The segments must be the ones the program implies: a key cannot state larger domains and
    // so choose how much work its own check costs.
    let implied = super::keys::plan_with_spreads(&program, arch.spread_bits.clone())
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    if implied.log_n != arch.log_n || implied.segments != arch.segments {
        return Err(malformed(format!(
            "the key states segments (largest domain 2^{}) other than its program implies \
             (largest 2^{})",
            arch.log_n, implied.log_n
        )));
    }
    let segments = arch.segments;
    let roles = roles(&program)?;
    let views = super::segments::views(
        &program,
        &segments,
        &roles,
        &super::keys::bound_tensors(&program),
    )
    .map_err(|e| malformed(format!("architecture: {e}")))?;
    // Every view and copy within its domain (the plan guarantees it; checked before any
    // expansion allocates).
    if views
        .list
        .iter()
        .any(|&(t, d)| d > crate::srs::MAX_POWER || program.tensors[t].len() > 1usize << d)
    {
        return Err(malformed("a committed tensor is larger than its domain"));
    }
    let doms = super::segments::domains(&segments);
    if file.g2_extra.len() != doms.len() {
        return Err(malformed(format!(
            "expected {} extra G2 elements ([Z_H(τ)]₂ per segment domain), got {}",
            doms.len(),
            file.g2_extra.len()
        )));
    }
    let vanishing: BTreeMap<u32, G2Affine> = doms
        .iter()
        .copied()
        .zip(file.g2_extra.iter().copied())
        .collect();
    let domain_of = |ix: usize| -> Result<(u32, G2Affine)> {
        let d = super::segments::domain_of(&segments, ix)
            .ok_or_else(|| malformed(format!("instance {ix} is in no segment")))?;
        let v = *vanishing
            .get(&d)
            .ok_or_else(|| malformed("a segment domain without [Z_H(τ)]₂"))?;
        Ok((d, v))
    };
    let len = |t: usize| program.tensors[t].len();
    let mut c = Cursor::new(&file.constant_commitments, "key commitments");
    let lookup =
        |c: &mut Cursor<'_, G1Affine>, log_n: u32, pairs: bool| -> Result<LookupVerifierKey> {
            Ok(LookupVerifierKey {
                log_m: log_n,
                pairs,
                commitments: commitments(c, 4)?,
            })
        };
    let mut keys: Vec<InstanceVerifierKey> = Vec::with_capacity(program.instances.len());
    let mut tilings = 0usize;
    let tied = program.tied_products();
    for (ix, inst) in program.instances.iter().enumerate() {
        let (log_n, vanishing_g2) = domain_of(ix)?;
        // Tied products (one W read by several products of one shape) share one key, stored
        // once: the file cannot give a later step another W.
        if let Some(first) = tied[ix] {
            if domain_of(first)?.0 != log_n {
                return Err(malformed("tied products on domains of different sizes"));
            }
            keys.push(keys[first].clone());
            continue;
        }
        if let Block::Copy { spec } = &inst.block {
            if spec.output_len() > 1usize << log_n {
                return Err(malformed("a copy larger than its domain"));
            }
        }
        let key = match &inst.block {
            // An advice value has no key and no proof of its own (its checks follow it).
            Block::Add | Block::Sub | Block::ScaleConst { .. } | Block::Advice { .. } => {
                InstanceVerifierKey::Linear
            }
            Block::Hadamard => InstanceVerifierKey::Hadamard,
            Block::MatMulConst { .. } => {
                tilings += 1;
                let dims = inst
                    .block
                    .product_dims()
                    .ok_or_else(|| malformed("a product without dimensions"))?;
                matmul_key(&mut c, dims, log_n, vanishing_g2, true)?
            }
            Block::SumGroups { len: g } => {
                let dims = Dims::matrix(len(inst.inputs[0]) / g, *g, 1);
                matmul_key(&mut c, dims, log_n, vanishing_g2, false)?
            }
            Block::MatMul { rows, inner, cols } => {
                InstanceVerifierKey::MatProd(MatProdVerifierKey {
                    dims: Dims::matrix(*rows, *inner, *cols),
                    log_n,
                    commitments: commitments(&mut c, 2)?,
                })
            }
            Block::MaxGroups { len: g } => {
                let spread_bits =
                    arch.spread_bits[ix].ok_or_else(|| malformed("max without spread"))?;
                InstanceVerifierKey::Max(MaxVerifierKey {
                    groups: Groups {
                        count: len(inst.inputs[0]) / g,
                        len: *g,
                        spread_bits,
                    },
                    log_n,
                    broadcast: CopyVerifierKey {
                        log_n,
                        commitments: commitments(&mut c, 4)?,
                    },
                    range: lookup(&mut c, log_n, false)?,
                    commitments: commitments(&mut c, 3)?,
                })
            }
            Block::Lookup { .. } => InstanceVerifierKey::Lookup(lookup(&mut c, log_n, true)?),
            Block::DivConst { .. } | Block::RangeCheck { .. } => {
                let (divisor, _, range) = inst.block.division().unwrap_or((1, 0, None));
                InstanceVerifierKey::Division(DivisionVerifierKey {
                    divisor,
                    remainder: lookup(&mut c, log_n, false)?,
                    quotient: lookup(&mut c, log_n, false)?,
                    high: match range
                        .and_then(|(lo, hi)| division::limbs(input_len(&program, inst), lo, hi))
                    {
                        Some((bits, _)) => Some((bits, lookup(&mut c, log_n, false)?)),
                        None => None,
                    },
                })
            }
            Block::Copy { .. } => InstanceVerifierKey::Copy(CopyVerifierKey {
                log_n,
                commitments: commitments(&mut c, inst.inputs.len() + 3)?,
            }),
        };
        keys.push(key);
    }
    // The committed weights are exactly the weight views, the all-ones vectors exactly those
    // the divisions read.
    let weight_views: Vec<(usize, u32)> = views.of_role(&roles, Role::Weight).collect();
    if arch.weights != weight_views {
        return Err(malformed(
            "the key's weights are not the views its program implies",
        ));
    }
    let mut weights = BTreeMap::new();
    for v in weight_views {
        weights.insert(v, Commitment(c.one()?));
    }
    if arch.ones != views.ones.iter().copied().collect::<Vec<_>>() {
        return Err(malformed(
            "the key's all-ones vectors are not those its divisions read",
        ));
    }
    let mut ones = BTreeMap::new();
    for &l in &arch.ones {
        ones.insert(l, Commitment(c.one()?));
    }
    c.done().map_err(|e| malformed(e.to_string()))?;
    let key_proof =
        key_proof_from_parts(doms.len(), tilings, &file.key_proof_g1, &file.key_proof_fr)?;
    Ok(ModelVerifierKey {
        program,
        log_n,
        segments,
        views,
        pcs: file.pcs,
        vanishing_g2: vanishing,
        srs_label: file.srs_label.clone(),
        srs_digest: file.srs_digest,
        spread_bits: arch.spread_bits,
        keys,
        weights,
        ones,
        key_proof,
        digest: file.digest(),
    })
}

fn matmul_key(
    c: &mut Cursor<'_, G1Affine>,
    dims: Dims,
    log_n: u32,
    vanishing_g2: G2Affine,
    private: bool,
) -> Result<InstanceVerifierKey> {
    if dims.cols == 0 || dims.cols > 1 << 24 {
        return Err(malformed("matrix product with invalid width"));
    }
    Ok(InstanceVerifierKey::MatMul(MatMulVerifierKey {
        dims,
        log_n,
        columns: commitments(c, dims.cols)?,
        selector: Commitment(c.one()?),
        tiling: if private {
            commitments(c, 2)?
        } else {
            Vec::new()
        },
        vanishing_g2,
    }))
}

// ---- proofs ----------------------------------------------------------------------------------

/// One segment's identity proof: its quotient and witnesses to the group elements, and to the
/// field elements the number of its opened values and of its witnesses (each checked against
/// its segment by the verifier), then the values.
fn put_identity(p: &IdentityProof, g1: &mut Vec<G1Affine>, fr: &mut Vec<Fr>) {
    g1.push(p.quotient.0);
    g1.extend_from_slice(&p.opening.witnesses);
    fr.push(Fr::from(p.opening.values.len() as u64));
    fr.push(Fr::from(p.opening.witnesses.len() as u64));
    fr.extend_from_slice(&p.opening.values);
}

/// A count written as a field element: a small integer, else the proof is malformed.
fn count(f: &mut Cursor<'_, Fr>, limit: usize) -> Result<usize> {
    use ark_ff::PrimeField;
    let v = f.one()?.into_bigint();
    let small = v.0[1..].iter().all(|&w| w == 0) && v.0[0] <= limit as u64;
    if !small {
        return Err(Error::Verification(
            "a count in the proof is out of range".into(),
        ));
    }
    Ok(v.0[0] as usize)
}

/// The inverse of [`put_identity`].
fn take_identity(g: &mut Cursor<'_, G1Affine>, f: &mut Cursor<'_, Fr>) -> Result<IdentityProof> {
    let values = count(f, f.items.len())?;
    let witnesses = count(f, 2)?;
    if witnesses == 0 {
        return Err(Error::Verification(
            "an identity proof without opening witnesses".into(),
        ));
    }
    let quotient = Commitment(g.one()?);
    let witnesses = g.take(witnesses)?.to_vec();
    let values = f.take(values)?.to_vec();
    Ok(IdentityProof {
        quotient,
        opening: BatchOpening { values, witnesses },
    })
}

fn put_lookup(p: &LookupProof, g1: &mut Vec<G1Affine>) {
    g1.extend([p.multiplicities.0, p.inverses.0, p.running_sum.0]);
}

fn take_lookup(g: &mut Cursor<'_, G1Affine>) -> Result<LookupProof> {
    Ok(LookupProof {
        multiplicities: Commitment(g.one()?),
        inverses: Commitment(g.one()?),
        running_sum: Commitment(g.one()?),
        identity: IdentityProof::deferred(),
    })
}

fn take_copy(g: &mut Cursor<'_, G1Affine>) -> Result<CopyProof> {
    Ok(CopyProof {
        grand_product: Commitment(g.one()?),
        identity: IdentityProof::deferred(),
    })
}

/// Entries of an instance's first input (0 when it has none or names no tensor): the n a
/// division's limb split depends on. Never panics on an unchecked architecture.
fn input_len(program: &Program, inst: &crate::compile::Instance) -> usize {
    inst.inputs
        .first()
        .and_then(|&t| program.tensors.get(t))
        .map_or(0, |t| t.len())
}

/// The proof's group and field elements in file order.
pub fn proof_parts(p: &ModelProof) -> (Vec<G1Affine>, Vec<Fr>) {
    let mut g1: Vec<G1Affine> = p.public.iter().map(|c| c.0).collect();
    g1.extend_from_slice(&p.public_opening);
    for w in &p.weights {
        g1.extend([w.delta.0, w.delta_quotient.0]);
    }
    g1.extend(p.activations.iter().map(|c| c.0));
    g1.extend(p.running.iter().map(|c| c.0));
    g1.extend(p.binding_quotients.iter().map(|c| c.0));
    for ip in &p.instances {
        match ip {
            InstanceProof::Linear | InstanceProof::Hadamard(_) => {}
            InstanceProof::MatMul(q) => g1.extend([q.delta.0, q.delta_quotient.0, q.q.0, q.a.0]),
            InstanceProof::MatProd(q) => g1.extend(q.vectors.iter().chain(&q.running).map(|c| c.0)),
            InstanceProof::Max(q) => {
                g1.push(q.broadcast.0);
                g1.push(q.copy.grand_product.0);
                put_lookup(&q.range, &mut g1);
                g1.push(q.product.0);
            }
            InstanceProof::Lookup(q) => put_lookup(q, &mut g1),
            InstanceProof::Division(q) => {
                put_lookup(&q.remainder, &mut g1);
                put_lookup(&q.quotient, &mut g1);
                if let Some((h, p)) = &q.high {
                    g1.push(h.0);
                    put_lookup(p, &mut g1);
                }
            }
            InstanceProof::Copy(q) => g1.push(q.grand_product.0),
        }
    }
    let mut fr = Vec::new();
    for identity in &p.identities {
        put_identity(identity, &mut g1, &mut fr);
    }
    (g1, fr)
}

/// Reads a proof of `vk`'s model back from its group and field elements.
pub fn proof_from_parts(vk: &ModelVerifierKey, g1: &[G1Affine], fr: &[Fr]) -> Result<ModelProof> {
    let program = &vk.program;
    let mut g = Cursor::new(g1, "proof group elements");
    let mut f = Cursor::new(fr, "proof field elements");
    let roles = roles(program)?;
    let publics = vk.views.of_role(&roles, Role::Public).count();
    let activations = vk.views.of_role(&roles, Role::Activation).count();
    let running: usize = vk.views.bindings.iter().map(|b| b.views.len()).sum();
    let quotients: usize = vk.views.bindings.iter().map(|b| b.views.len() - 1).sum();
    let public = commitments(&mut g, publics)?;
    let public_opening = g.take(1)?.to_vec();
    let weights = (0..vk.weights.len())
        .map(|_| {
            Ok(WeightShift {
                delta: Commitment(g.one()?),
                delta_quotient: Commitment(g.one()?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let activations = commitments(&mut g, activations)?;
    let running = commitments(&mut g, running)?;
    let binding_quotients = commitments(&mut g, quotients)?;
    let mut instances = Vec::with_capacity(program.instances.len());
    for inst in &program.instances {
        let c = |g: &mut Cursor<'_, G1Affine>| g.one().map(Commitment);
        let p = match &inst.block {
            Block::Add | Block::Sub | Block::ScaleConst { .. } | Block::Advice { .. } => {
                InstanceProof::Linear
            }
            Block::Hadamard => InstanceProof::Hadamard(IdentityProof::deferred()),
            Block::MatMulConst { .. } | Block::SumGroups { .. } => {
                InstanceProof::MatMul(MatMulProof {
                    delta: c(&mut g)?,
                    delta_quotient: c(&mut g)?,
                    q: c(&mut g)?,
                    a: c(&mut g)?,
                    identity: IdentityProof::deferred(),
                })
            }
            Block::MatMul { .. } => {
                let v = commitments(&mut g, 10)?;
                InstanceProof::MatProd(MatProdProof {
                    vectors: [v[0], v[1]],
                    running: [v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]],
                    identity: IdentityProof::deferred(),
                })
            }
            Block::MaxGroups { .. } => InstanceProof::Max(MaxProof {
                broadcast: c(&mut g)?,
                copy: take_copy(&mut g)?,
                range: take_lookup(&mut g)?,
                product: c(&mut g)?,
                identity: IdentityProof::deferred(),
            }),
            Block::Lookup { .. } => InstanceProof::Lookup(take_lookup(&mut g)?),
            Block::DivConst { range, .. } | Block::RangeCheck { range, .. } => {
                InstanceProof::Division(DivisionProof {
                    remainder: take_lookup(&mut g)?,
                    quotient: take_lookup(&mut g)?,
                    high: match range
                        .and_then(|(lo, hi)| division::limbs(input_len(program, inst), lo, hi))
                    {
                        Some(_) => Some((c(&mut g)?, take_lookup(&mut g)?)),
                        None => None,
                    },
                })
            }
            Block::Copy { .. } => InstanceProof::Copy(take_copy(&mut g)?),
        };
        instances.push(p);
    }
    let identities = (0..vk.segments.len())
        .map(|_| take_identity(&mut g, &mut f))
        .collect::<Result<_>>()?;
    g.done()?;
    f.done()?;
    Ok(ModelProof {
        public,
        public_opening,
        weights,
        activations,
        running,
        binding_quotients,
        instances,
        identities,
    })
}
