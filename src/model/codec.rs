//! The model's verifying key and proof as the file formats of [`crate::proof`].
//!
//! **Verifying key.** `architecture` is the canonical JSON of [`Architecture`] (the program with
//! weight values and copy wirings removed — see [`strip_weights`] —, the domain, the max
//! instances' spread bits); `g2_extra` is
//! `[[Z_H(τ)]₂]`; `constant_commitments` lists, instance by instance in program order, the
//! commitments of its key (matrix product: the n tiled columns then the selector; committed
//! product: `e_A, e_B`; max: the broadcast wiring's 4, the range table's 4, then `s, ℓ, e`;
//! lookup: `t_1, t_2, q_w, q_t`; division: remainder then quotient lookup; copy: σ_0..σ_m, q, κ),
//! then the committed weights in tensor order, then the all-ones vectors in length order. The
//! reader rebuilds every instance key from the architecture, so a count that does not match is
//! a malformed key, never a panic.
//!
//! **Proof.** `g1` holds the public commitments, the public opening's witness, the activation
//! commitments, then every instance proof's group elements in a fixed order; `scalars` holds the
//! instance proofs' field elements. The number of opened values of every identity proof follows
//! from its block (columns + columns read at the next row + 1 for the quotient).

use super::keys::{roles, InstanceVerifierKey, ModelVerifierKey, Role};
use super::prove::{public_tensors, InstanceProof, ModelProof};
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

/// The public description of a model a verifying key carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Format of this description.
    pub version: u32,
    /// log2 of the domain.
    pub log_n: u32,
    /// The program, weight values removed.
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

/// The program as the verifying key carries it: weight values removed (private), and copy
/// wirings reduced to their input lengths — the verifier never expands a wiring, it reads the
/// σ, q, κ commitments of the copy key, which bind the wiring (and keep the key small: LeNet's
/// im2col wirings alone were 1.6 MB of JSON).
pub fn strip_weights(program: &Program) -> Program {
    let mut p = program.clone();
    for t in &mut p.tensors {
        if let TensorKind::Weight { values } = &mut t.kind {
            values.clear();
        }
    }
    for inst in &mut p.instances {
        if let Block::Copy { wiring } = &mut inst.block {
            wiring.output.clear();
        }
    }
    p
}

fn instance_commitments(k: &InstanceVerifierKey, out: &mut Vec<G1Affine>) {
    let mut push = |cs: &[Commitment]| out.extend(cs.iter().map(|c| c.0));
    match k {
        InstanceVerifierKey::Linear | InstanceVerifierKey::Hadamard => {}
        InstanceVerifierKey::MatMul(k) => {
            push(&k.columns);
            push(&[k.selector]);
        }
        InstanceVerifierKey::MatProd(k) => push(&k.commitments),
        InstanceVerifierKey::Max(k) => {
            push(&k.broadcast.commitments);
            push(&k.range.commitments);
            push(&k.commitments);
        }
        InstanceVerifierKey::Lookup(k) => push(&k.commitments),
        InstanceVerifierKey::Division(k) => {
            push(&k.remainder.commitments);
            push(&k.quotient.commitments);
        }
        InstanceVerifierKey::Copy(k) => push(&k.commitments),
    }
}

/// The verifying-key file of a model key (its digest is the model digest).
pub fn vk_file(
    vk: &ModelVerifierKey,
    srs_digest: [u8; 32],
    vanishing_g2: G2Affine,
) -> Result<VerifyingKey> {
    let arch = Architecture {
        version: 1,
        log_n: vk.log_n,
        program: vk.program.clone(),
        spread_bits: vk
            .keys
            .iter()
            .map(|k| match k {
                InstanceVerifierKey::Max(m) => Some(m.groups.spread_bits),
                _ => None,
            })
            .collect(),
        ones: vk.ones.keys().copied().collect(),
        weights: vk.weights.keys().copied().collect(),
    };
    let architecture = serde_json::to_vec(&arch)
        .map_err(|e| Error::InvalidArgument(format!("architecture encoding: {e}")))?;
    let mut constant_commitments = Vec::new();
    for k in &vk.keys {
        instance_commitments(k, &mut constant_commitments);
    }
    constant_commitments.extend(vk.weights.values().map(|c| c.0));
    constant_commitments.extend(vk.ones.values().map(|c| c.0));
    Ok(VerifyingKey {
        srs_digest,
        pcs: vk.pcs,
        g2_extra: vec![vanishing_g2],
        architecture,
        constant_commitments,
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
    let arch: Architecture = serde_json::from_slice(&file.architecture)
        .map_err(|e| malformed(format!("architecture: {e}")))?;
    let canonical = serde_json::to_vec(&arch).map_err(|e| malformed(e.to_string()))?;
    if canonical != file.architecture {
        return Err(malformed("architecture is not in canonical form"));
    }
    if arch.version != 1 || arch.log_n == 0 || arch.log_n > crate::srs::MAX_POWER {
        return Err(malformed("unsupported architecture version or domain"));
    }
    let program = arch.program;
    let fits_domain = |shape: &[usize]| {
        shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_some_and(|n| n <= 1usize << crate::srs::MAX_POWER)
    };
    if program.tensors.iter().any(|t| !fits_domain(&t.shape))
        || program.outputs.iter().any(|(_, n)| !fits_domain(&n.shape))
    {
        return Err(malformed("a tensor is larger than any domain"));
    }
    if program.tensors.iter().enumerate().any(|(i, t)| t.id != i)
        || program.instances.iter().any(|inst| {
            inst.inputs
                .iter()
                .chain([&inst.output])
                .any(|&t| t >= program.tensors.len())
        })
        || arch.spread_bits.len() != program.instances.len()
        || program.inputs.iter().any(|&t| t >= program.tensors.len())
        || program
            .outputs
            .iter()
            .any(|(_, n)| n.tensor >= program.tensors.len())
    {
        return Err(malformed("architecture refers to tensors it does not have"));
    }
    let [vanishing_g2] = file.g2_extra[..] else {
        return Err(malformed(
            "expected exactly one extra G2 element ([Z_H(τ)]₂)",
        ));
    };
    let log_n = arch.log_n;
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
    for (ix, inst) in program.instances.iter().enumerate() {
        let n_inputs = |n: usize| {
            if inst.inputs.len() == n {
                Ok(())
            } else {
                Err(malformed(format!(
                    "instance {ix} has {} inputs",
                    inst.inputs.len()
                )))
            }
        };
        let key = match &inst.block {
            Block::Add | Block::Sub => {
                n_inputs(2)?;
                InstanceVerifierKey::Linear
            }
            Block::ScaleConst { .. } => {
                n_inputs(1)?;
                InstanceVerifierKey::Linear
            }
            Block::Hadamard => {
                n_inputs(2)?;
                InstanceVerifierKey::Hadamard
            }
            Block::MatMulConst { rows, inner, cols } => {
                n_inputs(2)?;
                matmul_key(
                    &mut c,
                    Dims {
                        rows: *rows,
                        inner: *inner,
                        cols: *cols,
                    },
                    log_n,
                    vanishing_g2,
                )?
            }
            Block::SumGroups { len: g } => {
                n_inputs(1)?;
                if *g == 0 {
                    return Err(malformed("sum over groups of 0"));
                }
                let dims = Dims {
                    rows: len(inst.inputs[0]) / g,
                    inner: *g,
                    cols: 1,
                };
                matmul_key(&mut c, dims, log_n, vanishing_g2)?
            }
            Block::MatMul { rows, inner, cols } => {
                n_inputs(2)?;
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
                n_inputs(1)?;
                let spread_bits =
                    arch.spread_bits[ix].ok_or_else(|| malformed("max without spread"))?;
                if *g == 0 {
                    return Err(malformed("max over groups of 0"));
                }
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
            Block::Lookup { .. } => {
                n_inputs(1)?;
                InstanceVerifierKey::Lookup(lookup(&mut c, true)?)
            }
            Block::DivConst { divisor, .. } => {
                n_inputs(1)?;
                InstanceVerifierKey::Division(DivisionVerifierKey {
                    divisor: *divisor,
                    remainder: lookup(&mut c, false)?,
                    quotient: lookup(&mut c, false)?,
                })
            }
            Block::Copy { wiring } => {
                if wiring.input_lens.len() != inst.inputs.len() || inst.inputs.is_empty() {
                    return Err(malformed(format!(
                        "instance {ix}: wiring and inputs disagree"
                    )));
                }
                InstanceVerifierKey::Copy(CopyVerifierKey {
                    log_n,
                    commitments: commitments(&mut c, inst.inputs.len() + 3)?,
                })
            }
        };
        keys.push(key);
    }
    let roles = roles(&program)?;
    let mut weights = BTreeMap::new();
    for &t in &arch.weights {
        if t >= roles.len() || roles[t] != Role::Weight {
            return Err(malformed(format!("tensor {t} is not a weight")));
        }
        weights.insert(t, Commitment(c.one()?));
    }
    let mut ones = BTreeMap::new();
    for &l in &arch.ones {
        ones.insert(l, Commitment(c.one()?));
    }
    c.done().map_err(|e| malformed(e.to_string()))?;
    Ok(ModelVerifierKey {
        program,
        log_n,
        pcs: file.pcs,
        keys,
        weights,
        ones,
        digest: file.digest(),
    })
}

fn matmul_key(
    c: &mut Cursor<'_, G1Affine>,
    dims: Dims,
    log_n: u32,
    vanishing_g2: G2Affine,
) -> Result<InstanceVerifierKey> {
    if dims.cols == 0 || dims.cols > 1 << 24 {
        return Err(malformed("matrix product with invalid width"));
    }
    Ok(InstanceVerifierKey::MatMul(MatMulVerifierKey {
        dims,
        log_n,
        columns: commitments(c, dims.cols)?,
        selector: Commitment(c.one()?),
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
    let publics = public_tensors(program).len();
    let activations = roles(program)?
        .iter()
        .filter(|r| **r == Role::Activation)
        .count();
    let public = commitments(&mut g, publics)?;
    let public_opening = g.take(1)?.to_vec();
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
        activations,
        instances,
        identity,
    })
}
