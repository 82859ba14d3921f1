//! The model's verifying key and proof as the file formats of [`crate::proof`].
//!
//! **Verifying key.** `architecture` is the canonical JSON of [`Architecture`] (the program with
//! private weight values removed — see [`strip_weights`] — and copy wirings as their compact
//! specs, the domain, the max instances' spread bits); `srs_label` names the SRS; `g2_extra` is
//! `[[Z_H(τ)]₂]`; `constant_commitments` lists, instance by instance in program order, the
//! commitments of its key ([`InstanceVerifierKey::commitments`]: matrix product: the n tiled
//! columns, the selector, then for a private matrix the two tiling selectors; committed
//! product: `e_A, e_B`; max: the broadcast wiring's 4, the range table's 4, then `s, ℓ, e`;
//! lookup: `t_1, t_2, q_w, q_t`; division: remainder then quotient lookup; copy: σ_0..σ_m, q,
//! κ), then the committed weights in tensor order, then the all-ones vectors in length order;
//! `key_proof_g1` is `[τ^N]₁`, the ξ-opening witness, then per private matrix its tiling
//! proof's quotient and two witnesses; `key_proof_fr` the tiling proofs' five values each. The
//! reader rebuilds every instance key from the architecture, so a count that does not match is
//! a malformed key, never a panic.
//!
//! **Proof.** `g1` holds the commitments of the prover-committed public tensors (one per
//! distinct tensor, [`super::bound_tensors`]), the public opening's witness, each committed
//! weight's re-randomisation (Δ, Π), the activation commitments, then every instance proof's
//! group elements in a fixed order; `scalars` holds the shared identity proof's field elements.
//! The number of opened values of every identity proof follows from its block (columns +
//! columns read at the next row + 1 for the quotient).

use super::keycheck::KeyProof;
use super::keys::{roles, InstanceVerifierKey, ModelVerifierKey, Role};
use super::prove::{InstanceProof, ModelProof, WeightShift};
use crate::blocks::copy::{CopyProof, CopyVerifierKey};
use crate::blocks::division::{DivisionProof, DivisionVerifierKey};
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
const ARCHITECTURE_VERSION: u32 = 2;

/// The public description of a model a verifying key carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Format of this description.
    pub version: u32,
    /// log2 of the domain.
    pub log_n: u32,
    /// The program, private weight values removed.
    pub program: Program,
    /// Per instance: the spread bits of a max instance.
    pub spread_bits: Vec<Option<u32>>,
    /// Lengths of the all-ones vectors, in order.
    pub ones: Vec<usize>,
    /// Tensor ids of the committed weights, in order.
    pub weights: Vec<usize>,
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
        program: vk.program.clone(),
        spread_bits: vk.spread_bits.clone(),
        ones: vk.ones.keys().copied().collect(),
        weights: vk.weights.keys().copied().collect(),
    };
    let architecture = serde_json::to_vec(&arch)
        .map_err(|e| Error::InvalidArgument(format!("architecture encoding: {e}")))?;
    let mut constant_commitments = Vec::new();
    for k in &vk.keys {
        constant_commitments.extend(k.commitments().iter().map(|c| c.0));
    }
    constant_commitments.extend(vk.weights.values().map(|c| c.0));
    constant_commitments.extend(vk.ones.values().map(|c| c.0));
    let (key_proof_g1, key_proof_fr) = key_proof_parts(&vk.key_proof);
    Ok(VerifyingKey {
        srs_digest: vk.srs_digest,
        srs_label: vk.srs_label.clone(),
        pcs: vk.pcs,
        g2_extra: vec![vk.vanishing_g2],
        architecture,
        constant_commitments,
        key_proof_g1,
        key_proof_fr,
    })
}

/// Values a tiling proof opens: t, s_rep, s_pad at ζ, t at ω^m·ζ, the quotient at ζ.
const TILING_VALUES: usize = 5;

fn key_proof_parts(p: &KeyProof) -> (Vec<G1Affine>, Vec<Fr>) {
    let mut g1 = vec![p.tau_n, p.opening];
    let mut fr = Vec::new();
    for t in &p.tilings {
        g1.push(t.quotient.0);
        g1.extend_from_slice(&t.opening.witnesses);
        fr.extend_from_slice(&t.opening.values);
    }
    (g1, fr)
}

fn key_proof_from_parts(tilings: usize, g1: &[G1Affine], fr: &[Fr]) -> Result<KeyProof> {
    if g1.len() != 2 + 3 * tilings || fr.len() != TILING_VALUES * tilings {
        return Err(malformed(format!(
            "key proof of {} group and {} field elements for {tilings} private matrices",
            g1.len(),
            fr.len()
        )));
    }
    Ok(KeyProof {
        tau_n: g1[0],
        opening: g1[1],
        tilings: (0..tilings)
            .map(|i| IdentityProof {
                quotient: Commitment(g1[2 + 3 * i]),
                opening: BatchOpening {
                    values: fr[TILING_VALUES * i..TILING_VALUES * (i + 1)].to_vec(),
                    witnesses: g1[3 + 3 * i..5 + 3 * i].to_vec(),
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
    // No copy may be expanded beyond the domain (the expansion allocates its output).
    if program.instances.iter().any(|i| match &i.block {
        Block::Copy { spec } => spec.output_len() > 1usize << log_n,
        _ => false,
    }) {
        return Err(malformed("a copy larger than the key's domain"));
    }
    let n = 1usize << log_n;
    let fits = |shape: &[usize], limit: usize| {
        shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_some_and(|len| len <= limit)
    };
    let largest = 1usize << crate::srs::MAX_POWER;
    if program.tensors.iter().any(|t| !fits(&t.shape, largest))
        || program.outputs.iter().any(|(_, o)| !fits(&o.shape, n))
    {
        return Err(malformed("a tensor is larger than any domain"));
    }
    program
        .check_dataflow()
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    let committed = super::keys::on_domain(&program);
    if program
        .tensors
        .iter()
        .any(|t| committed[t.id] && !fits(&t.shape, n))
    {
        return Err(malformed(
            "a committed tensor is larger than the key's domain",
        ));
    }
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
    // The domain must be the one the program implies: a key cannot state a larger one and so
    // choose how much work its own check costs.
    let implied = super::keys::plan_with_spreads(&program, arch.spread_bits.clone())
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    if implied.log_n != arch.log_n {
        return Err(malformed(format!(
            "the key states a domain of 2^{} where its program implies 2^{}",
            arch.log_n, implied.log_n
        )));
    }
    let [vanishing_g2] = file.g2_extra[..] else {
        return Err(malformed(
            "expected exactly one extra G2 element ([Z_H(τ)]₂)",
        ));
    };
    let len = |t: usize| program.tensors[t].len();
    let mut c = Cursor::new(&file.constant_commitments, "key commitments");
    let lookup = |c: &mut Cursor<'_, G1Affine>, pairs: bool| -> Result<LookupVerifierKey> {
        Ok(LookupVerifierKey {
            log_m: log_n,
            pairs,
            commitments: commitments(c, 4)?,
        })
    };
    let mut keys = Vec::with_capacity(program.instances.len());
    let mut tilings = 0usize;
    for (ix, inst) in program.instances.iter().enumerate() {
        let key = match &inst.block {
            Block::Add | Block::Sub | Block::ScaleConst { .. } => InstanceVerifierKey::Linear,
            Block::Hadamard => InstanceVerifierKey::Hadamard,
            Block::MatMulConst { rows, inner, cols } => {
                tilings += 1;
                let dims = Dims {
                    rows: *rows,
                    inner: *inner,
                    cols: *cols,
                };
                matmul_key(&mut c, dims, log_n, vanishing_g2, true)?
            }
            Block::SumGroups { len: g } => {
                let dims = Dims {
                    rows: len(inst.inputs[0]) / g,
                    inner: *g,
                    cols: 1,
                };
                matmul_key(&mut c, dims, log_n, vanishing_g2, false)?
            }
            Block::MatMul { rows, inner, cols } => {
                InstanceVerifierKey::MatProd(MatProdVerifierKey {
                    dims: Dims {
                        rows: *rows,
                        inner: *inner,
                        cols: *cols,
                    },
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
                    range: lookup(&mut c, false)?,
                    commitments: commitments(&mut c, 3)?,
                })
            }
            Block::Lookup { .. } => InstanceVerifierKey::Lookup(lookup(&mut c, true)?),
            Block::DivConst { divisor, .. } => InstanceVerifierKey::Division(DivisionVerifierKey {
                divisor: *divisor,
                remainder: lookup(&mut c, false)?,
                quotient: lookup(&mut c, false)?,
            }),
            Block::Copy { .. } => InstanceVerifierKey::Copy(CopyVerifierKey {
                log_n,
                commitments: commitments(&mut c, inst.inputs.len() + 3)?,
            }),
        };
        keys.push(key);
    }
    let roles = roles(&program)?;
    let mut weights = BTreeMap::new();
    for &t in &arch.weights {
        if t >= roles.len() || roles[t] != Role::Weight || weights.contains_key(&t) {
            return Err(malformed(format!("tensor {t} is not a weight")));
        }
        weights.insert(t, Commitment(c.one()?));
    }
    let mut ones = BTreeMap::new();
    for &l in &arch.ones {
        if ones.contains_key(&l) || l > n {
            return Err(malformed(format!("all-ones vector of length {l}")));
        }
        ones.insert(l, Commitment(c.one()?));
    }
    c.done().map_err(|e| malformed(e.to_string()))?;
    let key_proof = key_proof_from_parts(tilings, &file.key_proof_g1, &file.key_proof_fr)?;
    Ok(ModelVerifierKey {
        program,
        log_n,
        pcs: file.pcs,
        vanishing_g2,
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

fn put_identity(p: &IdentityProof, g1: &mut Vec<G1Affine>, fr: &mut Vec<Fr>) {
    g1.push(p.quotient.0);
    g1.extend_from_slice(&p.opening.witnesses);
    fr.extend_from_slice(&p.opening.values);
}

/// The shared identity proof: the quotient and the opening witnesses are the last group
/// elements (one or two), its values all the field elements.
fn take_identity(g: &mut Cursor<'_, G1Affine>, f: &mut Cursor<'_, Fr>) -> Result<IdentityProof> {
    let quotient = Commitment(g.one()?);
    let rest = g.items.len() - g.at;
    if rest == 0 || rest > 2 {
        return Err(Error::Verification(format!(
            "{rest} opening witnesses where one or two are expected"
        )));
    }
    let witnesses = g.take(rest)?.to_vec();
    let values = f.take(f.items.len() - f.at)?.to_vec();
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

/// The proof's group and field elements in file order.
pub fn proof_parts(p: &ModelProof) -> (Vec<G1Affine>, Vec<Fr>) {
    let mut g1: Vec<G1Affine> = p.public.iter().map(|c| c.0).collect();
    g1.extend_from_slice(&p.public_opening);
    for w in &p.weights {
        g1.extend([w.delta.0, w.delta_quotient.0]);
    }
    g1.extend(p.activations.iter().map(|c| c.0));
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
            }
            InstanceProof::Copy(q) => g1.push(q.grand_product.0),
        }
    }
    let mut fr = Vec::new();
    put_identity(&p.identity, &mut g1, &mut fr);
    (g1, fr)
}

/// Reads a proof of `vk`'s model back from its group and field elements.
pub fn proof_from_parts(vk: &ModelVerifierKey, g1: &[G1Affine], fr: &[Fr]) -> Result<ModelProof> {
    let program = &vk.program;
    let mut g = Cursor::new(g1, "proof group elements");
    let mut f = Cursor::new(fr, "proof field elements");
    let roles = roles(program)?;
    let publics = super::keys::bound_tensors(program)
        .into_iter()
        .filter(|&t| roles[t] == Role::Public)
        .count();
    let activations = roles.iter().filter(|r| **r == Role::Activation).count();
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
    let mut instances = Vec::with_capacity(program.instances.len());
    for inst in &program.instances {
        let c = |g: &mut Cursor<'_, G1Affine>| g.one().map(Commitment);
        let p = match &inst.block {
            Block::Add | Block::Sub | Block::ScaleConst { .. } => InstanceProof::Linear,
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
            Block::DivConst { .. } => InstanceProof::Division(DivisionProof {
                remainder: take_lookup(&mut g)?,
                quotient: take_lookup(&mut g)?,
            }),
            Block::Copy { .. } => InstanceProof::Copy(take_copy(&mut g)?),
        };
        instances.push(p);
    }
    let identity = take_identity(&mut g, &mut f)?;
    g.done()?;
    f.done()?;
    Ok(ModelProof {
        public,
        public_opening,
        weights,
        activations,
        instances,
        identity,
    })
}
