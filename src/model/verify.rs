//! The model verifier: rebuilds every tensor's commitment, replays the transcript, checks every
//! instance, and checks all pairing equations with one multi-pairing. Never panics.

use super::keycheck::CheckedKey;
use super::keys::{bound_tensors, public_slots, InstanceVerifierKey, Role};
use super::prove::{
    absorb_bindings, absorb_commitments, start_transcript, InstanceProof, ModelProof,
};
use super::segments::View;
use crate::blocks::identity::{self, Check, Claim, IdentityProof, VerifierPart};
use crate::blocks::{binding, copy, division, hadamard, linear, lookup, matmul, matprod, max};
use crate::compile::TensorKind;
use crate::compile::{Block, TensorId};
use crate::error::{Error, Result};
use crate::pcs::{self, BatchOpening, Commitment, PairingBatch, Query};
use ark_bn254::Fr;
use ark_ff::{batch_inversion, Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use std::collections::BTreeMap;

fn reject(reason: impl Into<String>) -> Error {
    Error::Verification(reason.into())
}

/// `f(z)` for the polynomial taking `values` (zero-padded) on the domain of size `2^log_n`:
/// `f(z) = (z^N − 1)/N · Σ_i v_i·ω^i/(z − ω^i)` (barycentric form; z outside the domain).
pub fn evaluate_values(values: &[i64], log_n: u32, z: Fr) -> Result<Fr> {
    let n = 1usize << log_n;
    if values.len() > n {
        return Err(reject("public tensor longer than the domain"));
    }
    let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(|| reject("no FFT domain"))?;
    let zh = z.pow([n as u64]) - Fr::one();
    if zh.is_zero() {
        return Err(reject("the public-binding point fell in the domain"));
    }
    let points: Vec<Fr> = domain.elements().take(values.len()).collect();
    let mut dens: Vec<Fr> = points.iter().map(|w| z - w).collect();
    batch_inversion(&mut dens);
    let sum: Fr = values
        .iter()
        .zip(points.iter().zip(&dens))
        .filter(|(v, _)| **v != 0)
        .map(|(v, (w, d))| Fr::from(*v) * w * d)
        .sum();
    let n_inv = Fr::from(n as u64)
        .inverse()
        .ok_or_else(|| reject("domain size not invertible"))?;
    Ok(zh * n_inv * sum)
}

/// How the pairing equations of a proof are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// Fold each class's relaxed equations as a parallel tree, then one multi-pairing over the
    /// class deciders ([`crate::accumulate`]).
    Accumulate,
    /// One random linear combination of all equations, one multi-pairing ([`PairingBatch`]).
    Batch,
}

/// Verifies `proof` against a checked key and the public values (quantized graph inputs, then
/// graph outputs, in program order). `Ok(())` means valid; an `Error::Verification` means
/// invalid.
pub fn verify(key: &CheckedKey, public_values: &[Vec<i64>], proof: &ModelProof) -> Result<()> {
    verify_with(key, public_values, proof, Decider::Accumulate)
}

/// The values of every public slot, checked: one list per slot with the tensor's length; the
/// slots of one tensor equal; a constant output equal to the architecture's constant. Returns
/// the values of each bound tensor ([`bound_tensors`]).
fn bound_values<'a>(
    program: &crate::compile::Program,
    public_values: &'a [Vec<i64>],
) -> Result<Vec<&'a [i64]>> {
    let slots = public_slots(program);
    if public_values.len() != slots.len() {
        return Err(reject(format!(
            "{} public tensors expected, got {}",
            slots.len(),
            public_values.len()
        )));
    }
    let mut of_tensor: std::collections::BTreeMap<TensorId, &[i64]> = Default::default();
    for (&t, v) in slots.iter().zip(public_values) {
        let tensor = &program.tensors[t];
        if v.len() != tensor.len() {
            return Err(reject(format!(
                "public tensor {:?} has {} values, expected {}",
                tensor.name,
                v.len(),
                tensor.len()
            )));
        }
        // One tensor in several slots: every slot states the same values (the blocks read one).
        if let Some(prev) = of_tensor.insert(t, v) {
            if prev != v.as_slice() {
                return Err(reject(format!(
                    "tensor {:?} fills several public slots with different values",
                    tensor.name
                )));
            }
        }
        // A constant graph output is public: the architecture states its values.
        if let TensorKind::Weight { values } = &tensor.kind {
            if values != v {
                return Err(reject(format!(
                    "the constant output {:?} is not the model's constant",
                    tensor.name
                )));
            }
        }
    }
    bound_tensors(program)
        .iter()
        .map(|t| {
            of_tensor
                .get(t)
                .copied()
                .ok_or_else(|| reject("a bound tensor without values"))
        })
        .collect()
}

/// [`verify`] with a chosen decider (both are sound; the benchmarks compare them).
pub fn verify_with(
    key: &CheckedKey,
    public_values: &[Vec<i64>],
    proof: &ModelProof,
    decider: Decider,
) -> Result<()> {
    verify_view(key, public_values, proof, decider).map(|_| ())
}

/// What a valid proof shows its verifier (for audits of zero knowledge): every tensor's
/// commitment as the verifier computes it (weights as this proof re-randomised them, derived
/// tensors derived), and every value the shared identity proof opens.
#[derive(Clone, Debug)]
pub struct ProofView {
    /// Per view (tensor, domain).
    pub tensors: BTreeMap<View, Commitment>,
    /// Every opened (commitment, point, value).
    pub claims: Vec<Claim>,
}

/// [`verify`], returning what the proof shows ([`ProofView`]) when it is valid.
pub fn view(key: &CheckedKey, public_values: &[Vec<i64>], proof: &ModelProof) -> Result<ProofView> {
    verify_view(key, public_values, proof, Decider::Batch)
}

fn verify_view(
    key: &CheckedKey,
    public_values: &[Vec<i64>],
    proof: &ModelProof,
    decider: Decider,
) -> Result<ProofView> {
    let vk = key.vk();
    let program = &vk.program;
    let views = &vk.views;
    let roles = super::keys::roles(program)?;
    let bound = bound_tensors(program);
    let bound_vals = bound_values(program, public_values)?;
    let value_of: BTreeMap<TensorId, &[i64]> = bound.iter().copied().zip(bound_vals).collect();
    let public_views: Vec<View> = views.of_role(&roles, Role::Public).collect();
    let activation_views: Vec<View> = views.of_role(&roles, Role::Activation).collect();
    let running_count: usize = views.bindings.iter().map(|b| b.views.len()).sum();
    let quotient_count: usize = views.bindings.iter().map(|b| b.views.len() - 1).sum();
    if proof.public.len() != public_views.len()
        || proof.weights.len() != vk.weights.len()
        || proof.activations.len() != activation_views.len()
        || proof.running.len() != running_count
        || proof.binding_quotients.len() != quotient_count
        || proof.instances.len() != program.instances.len()
        || proof.identities.len() != vk.segments.len()
        || vk.keys.len() != program.instances.len()
    {
        return Err(reject("proof does not have the model's shape"));
    }
    let mut batch = match decider {
        Decider::Accumulate => PairingBatch::recording(),
        Decider::Batch => PairingBatch::new(),
    };
    // Every view's commitment.
    let mut commitments: BTreeMap<View, Commitment> = BTreeMap::new();
    for (&v, c) in public_views.iter().zip(&proof.public) {
        commitments.insert(v, *c);
    }
    for (&v, c) in activation_views.iter().zip(&proof.activations) {
        commitments.insert(v, *c);
    }
    // Each weight view as this proof re-randomised it: C + Δ, with Δ a multiple of Z_H.
    for ((&v, c), shift) in vk.weights.iter().zip(&proof.weights) {
        let vanishing = vk
            .vanishing_g2
            .get(&v.1)
            .ok_or_else(|| reject("a weight off every segment domain"))?;
        // e(Δ, [1]₂) = e(Π, [Z_H(τ)]₂)
        batch.add_equation(&[
            (&[(shift.delta.0, Fr::one())], vk.pcs.h),
            (&[(shift.delta_quotient.0, -Fr::one())], *vanishing),
        ]);
        commitments.insert(v, linear::add_commitments(*c, shift.delta));
    }
    let mut derived_public: BTreeMap<View, Commitment> = Default::default();
    for (ix, inst) in program.instances.iter().enumerate() {
        let derive =
            |commitments: &BTreeMap<View, Commitment>, d: u32| -> Result<Option<Commitment>> {
                let c = |i: usize| -> Result<Commitment> {
                    inst.inputs
                        .get(i)
                        .and_then(|&t| commitments.get(&(t, d)).copied())
                        .ok_or_else(|| reject("linear instance reads an unknown tensor"))
                };
                Ok(match &inst.block {
                    Block::Add => Some(linear::add_commitments(c(0)?, c(1)?)),
                    Block::Sub => Some(linear::sub_commitments(c(0)?, c(1)?)),
                    Block::ScaleConst { k } => Some(linear::scale_commitment(c(0)?, *k)),
                    _ => None,
                })
            };
        // A public output of a linear instance keeps its committed P; D is proved equal.
        if roles[inst.output] == Role::Public {
            let d = domain_of(&vk.segments, ix)?;
            if let Some(c) = derive(&commitments, d)? {
                derived_public.insert((inst.output, d), c);
            }
            continue;
        }
        let out: Vec<u32> = views.domains_of(inst.output).collect();
        for d in out {
            if let Some(c) = derive(&commitments, d)? {
                commitments.insert((inst.output, d), c);
            }
        }
    }

    // The public binding: every public view, through the commitment the blocks read.
    let slot_refs: Vec<&[i64]> = public_values.iter().map(|v| v.as_slice()).collect();
    let mut t = start_transcript(&vk.digest, &slot_refs);
    let z = absorb_commitments(&mut t, &proof.public, &proof.weights, &proof.activations);
    let values: Vec<Fr> = public_views
        .iter()
        .map(|(tensor, d)| {
            let v = value_of
                .get(tensor)
                .ok_or_else(|| reject("a public view of a tensor without values"))?;
            evaluate_values(v, *d, z)
        })
        .collect::<Result<_>>()?;
    let queries: Vec<Query> = (0..values.len())
        .map(|poly| Query { poly, point: z })
        .collect();
    let opening = BatchOpening {
        values,
        witnesses: proof.public_opening.clone(),
    };
    pcs::batch_verify(
        &vk.pcs,
        &proof.public,
        &queries,
        &opening,
        &mut t,
        &mut batch,
    )?;
    // The binding of tensors committed on several domains: consecutive views' running columns
    // agree at X = 1.
    let r = t.challenge_scalar(b"model/binding");
    absorb_bindings(&mut t, &proof.running, &proof.binding_quotients);
    let mut running: BTreeMap<View, Commitment> = BTreeMap::new();
    let mut next_running = proof.running.iter();
    let mut next_quotient = proof.binding_quotients.iter();
    for b in &views.bindings {
        for &(d, _) in &b.views {
            let c = next_running
                .next()
                .ok_or_else(|| reject("too few running columns"))?;
            running.insert((b.tensor, d), *c);
        }
        for pair in b.views.windows(2) {
            let q = next_quotient
                .next()
                .ok_or_else(|| reject("too few binding quotients"))?;
            binding::first_rows_equal(
                &vk.pcs,
                running[&(b.tensor, pair[0].0)],
                running[&(b.tensor, pair[1].0)],
                *q,
                &mut batch,
            );
        }
    }

    // Every segment: its bindings, then its instances in program order; their identities are
    // checked together by the segment's identity proof.
    let mut claims = Vec::new();
    for ((s, seg), identity_proof) in vk.segments.iter().enumerate().zip(&proof.identities) {
        let mut ts = t.fork(b"model/segment", s as u64);
        let d = seg.log_n;
        let get = |t: TensorId| get_view(&commitments, t, d);
        let mut parts: Vec<VerifierPart> = Vec::new();
        for b in &views.bindings {
            for &(bd, host) in &b.views {
                if host == s {
                    binding::verify_in(
                        &vk.pcs,
                        bd,
                        r,
                        [
                            get_view(&commitments, b.tensor, bd)?,
                            running[&(b.tensor, bd)],
                        ],
                        &IdentityProof::deferred(),
                        &mut ts,
                        &mut batch,
                        Check::Defer(&mut parts),
                    )?;
                }
            }
        }
        for ix in seg.start..seg.end {
            let (inst, ikey, iproof) = (&program.instances[ix], &vk.keys[ix], &proof.instances[ix]);
            let t = &mut ts;
            let x = |i: usize| -> Result<Commitment> {
                inst.inputs
                    .get(i)
                    .ok_or_else(|| reject("instance has too few inputs"))
                    .and_then(|&t| get(t))
            };
            let y = || get(inst.output);
            let pcs = &vk.pcs;
            match (ikey, iproof, &inst.block) {
                (InstanceVerifierKey::Linear, InstanceProof::Linear, _) => {
                    if let Some(dp) = derived_public.get(&(inst.output, d)) {
                        linear::verify_equal_in(
                            pcs,
                            d,
                            y()?,
                            *dp,
                            &IdentityProof::deferred(),
                            t,
                            &mut batch,
                            Check::Defer(&mut parts),
                        )?;
                    }
                }
                (InstanceVerifierKey::Hadamard, InstanceProof::Hadamard(p), _) => {
                    hadamard::verify_in(
                        pcs,
                        d,
                        [x(0)?, x(1)?, y()?],
                        p,
                        t,
                        &mut batch,
                        Check::Defer(&mut parts),
                    )?
                }
                (InstanceVerifierKey::MatMul(k), InstanceProof::MatMul(p), _) => matmul::verify_in(
                    pcs,
                    k,
                    x(0)?,
                    y()?,
                    p,
                    t,
                    &mut batch,
                    Check::Defer(&mut parts),
                )?,
                (InstanceVerifierKey::MatProd(k), InstanceProof::MatProd(p), _) => {
                    matprod::verify_in(
                        pcs,
                        k,
                        [x(0)?, x(1)?, y()?],
                        p,
                        t,
                        &mut batch,
                        Check::Defer(&mut parts),
                    )?
                }
                (InstanceVerifierKey::Max(k), InstanceProof::Max(p), _) => max::verify_in(
                    pcs,
                    k,
                    x(0)?,
                    y()?,
                    p,
                    t,
                    &mut batch,
                    Check::Defer(&mut parts),
                )?,
                (InstanceVerifierKey::Lookup(k), InstanceProof::Lookup(p), _) => lookup::verify_in(
                    pcs,
                    k,
                    x(0)?,
                    Some(y()?),
                    p,
                    t,
                    &mut batch,
                    Check::Defer(&mut parts),
                )?,
                (
                    InstanceVerifierKey::Division(k),
                    InstanceProof::Division(p),
                    block @ (Block::DivConst { .. } | Block::RangeCheck { .. }),
                ) => {
                    // A division divides C_a = C_x + offset·C_1; a range check divides C_x.
                    let a = match block {
                        Block::DivConst { offset, .. } => {
                            let len = program.tensors[inst.inputs[0]].len();
                            let ones = vk
                                .ones
                                .get(&(len, d))
                                .ok_or_else(|| reject("no ones vector for a division"))?;
                            linear::add_commitments(x(0)?, linear::scale_commitment(*ones, *offset))
                        }
                        _ => x(0)?,
                    };
                    division::verify_in(
                        pcs,
                        k,
                        a,
                        y()?,
                        p,
                        t,
                        &mut batch,
                        Check::Defer(&mut parts),
                    )?
                }
                (InstanceVerifierKey::Copy(k), InstanceProof::Copy(p), _) => {
                    let ins: Vec<Commitment> =
                        (0..inst.inputs.len()).map(x).collect::<Result<_>>()?;
                    copy::verify_in(
                        pcs,
                        k,
                        &ins,
                        y()?,
                        p,
                        t,
                        &mut batch,
                        Check::Defer(&mut parts),
                    )?
                }
                _ => {
                    return Err(reject(format!(
                        "instance {:?} ({}) has a proof of the wrong kind",
                        inst.layer,
                        inst.block.describe()
                    )))
                }
            }
        }
        if parts.is_empty() {
            return Err(reject(format!("segment {s} proves nothing")));
        }
        claims.extend(identity::verify_shared(
            &vk.pcs,
            &parts,
            identity_proof,
            &mut ts,
            &mut batch,
        )?);
    }
    let holds = match decider {
        Decider::Accumulate => crate::accumulate::accumulate_and_decide(batch.relaxed()),
        Decider::Batch => batch.verify(),
    };
    if !holds {
        return Err(reject("the pairing check fails"));
    }
    Ok(ProofView {
        tensors: commitments,
        claims,
    })
}

fn get_view(commitments: &BTreeMap<View, Commitment>, t: TensorId, d: u32) -> Result<Commitment> {
    commitments
        .get(&(t, d))
        .copied()
        .ok_or_else(|| reject(format!("tensor {t} has no commitment on 2^{d}")))
}

fn domain_of(segments: &[super::segments::Segment], ix: usize) -> Result<u32> {
    super::segments::domain_of(segments, ix)
        .ok_or_else(|| reject(format!("instance {ix} is in no segment")))
}
