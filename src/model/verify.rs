//! The model verifier: rebuilds every tensor's commitment, replays the transcript, checks every
//! instance, and checks all pairing equations with one multi-pairing. Never panics.

use super::keys::{InstanceVerifierKey, ModelVerifierKey, Role};
use super::prove::{
    absorb_commitments, public_tensors, start_transcript, InstanceProof, ModelProof,
};
use crate::blocks::identity::{self, Check, VerifierPart};
use crate::blocks::{copy, division, hadamard, linear, lookup, matmul, matprod, max};
use crate::compile::{Block, TensorId};
use crate::error::{Error, Result};
use crate::pcs::{self, BatchOpening, Commitment, PairingBatch, Query};
use ark_bn254::Fr;
use ark_ff::{batch_inversion, Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

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

/// Verifies `proof` against the key and the public values (quantized graph inputs, then graph
/// outputs, in program order). `Ok(())` means valid; an `Error::Verification` means invalid.
pub fn verify(vk: &ModelVerifierKey, public_values: &[Vec<i64>], proof: &ModelProof) -> Result<()> {
    verify_with(vk, public_values, proof, Decider::Accumulate)
}

/// [`verify`] with a chosen decider (both are sound; the benchmarks compare them).
pub fn verify_with(
    vk: &ModelVerifierKey,
    public_values: &[Vec<i64>],
    proof: &ModelProof,
    decider: Decider,
) -> Result<()> {
    let program = &vk.program;
    let log_n = vk.log_n;
    let roles = super::keys::roles(program)?;
    let publics = public_tensors(program);
    if public_values.len() != publics.len() || proof.public.len() != publics.len() {
        return Err(reject(format!(
            "{} public tensors expected, got {} values and {} commitments",
            publics.len(),
            public_values.len(),
            proof.public.len()
        )));
    }
    for (&t, v) in publics.iter().zip(public_values) {
        if v.len() != program.tensors[t].len() {
            return Err(reject(format!(
                "public tensor {:?} has {} values, expected {}",
                program.tensors[t].name,
                v.len(),
                program.tensors[t].len()
            )));
        }
    }
    let activation_ids: Vec<TensorId> = (0..roles.len())
        .filter(|&i| roles[i] == Role::Activation)
        .collect();
    if proof.activations.len() != activation_ids.len()
        || proof.instances.len() != program.instances.len()
        || vk.keys.len() != program.instances.len()
    {
        return Err(reject("proof does not have the model's shape"));
    }
    // Every tensor's commitment.
    let mut commitments: Vec<Option<Commitment>> = vec![None; program.tensors.len()];
    for (&t, c) in publics.iter().zip(&proof.public) {
        commitments[t] = Some(*c);
    }
    for (&t, c) in activation_ids.iter().zip(&proof.activations) {
        commitments[t] = Some(*c);
    }
    for (&t, c) in &vk.weights {
        if t < commitments.len() {
            commitments[t] = Some(*c);
        }
    }
    for inst in &program.instances {
        let c = |i: usize| -> Result<Commitment> {
            inst.inputs
                .get(i)
                .and_then(|&t| commitments.get(t).copied().flatten())
                .ok_or_else(|| reject("linear instance reads an unknown tensor"))
        };
        let derived = match &inst.block {
            Block::Add => Some(linear::add_commitments(c(0)?, c(1)?)),
            Block::Sub => Some(linear::sub_commitments(c(0)?, c(1)?)),
            Block::ScaleConst { k } => Some(linear::scale_commitment(c(0)?, *k)),
            _ => None,
        };
        if let Some(d) = derived {
            commitments[inst.output] = Some(d);
        }
    }
    let get = |t: TensorId| -> Result<Commitment> {
        commitments
            .get(t)
            .copied()
            .flatten()
            .ok_or_else(|| reject(format!("tensor {t} has no commitment")))
    };

    // The public binding.
    let value_refs: Vec<&[i64]> = public_values.iter().map(|v| v.as_slice()).collect();
    let mut t = start_transcript(&vk.digest, &value_refs);
    let z = absorb_commitments(&mut t, &proof.public, &proof.activations);
    let values: Vec<Fr> = public_values
        .iter()
        .map(|v| evaluate_values(v, log_n, z))
        .collect::<Result<_>>()?;
    let queries: Vec<Query> = (0..values.len())
        .map(|poly| Query { poly, point: z })
        .collect();
    let opening = BatchOpening {
        values,
        witnesses: proof.public_opening.clone(),
    };
    let mut batch = match decider {
        Decider::Accumulate => PairingBatch::recording(),
        Decider::Batch => PairingBatch::new(),
    };
    pcs::batch_verify(
        &vk.pcs,
        &proof.public,
        &queries,
        &opening,
        &mut t,
        &mut batch,
    )?;

    // Every instance, in program order; their identities are checked together at the end.
    let mut parts: Vec<VerifierPart> = Vec::new();
    for ((inst, ikey), iproof) in program.instances.iter().zip(&vk.keys).zip(&proof.instances) {
        let x = |i: usize| -> Result<Commitment> {
            inst.inputs
                .get(i)
                .ok_or_else(|| reject("instance has too few inputs"))
                .and_then(|&t| get(t))
        };
        let y = get(inst.output)?;
        let pcs = &vk.pcs;
        match (ikey, iproof, &inst.block) {
            (InstanceVerifierKey::Linear, InstanceProof::Linear, _) => {}
            (InstanceVerifierKey::Hadamard, InstanceProof::Hadamard(p), _) => hadamard::verify_in(
                pcs,
                log_n,
                [x(0)?, x(1)?, y],
                p,
                &mut t,
                &mut batch,
                Check::Defer(&mut parts),
            )?,
            (InstanceVerifierKey::MatMul(k), InstanceProof::MatMul(p), _) => matmul::verify_in(
                pcs,
                k,
                x(0)?,
                y,
                p,
                &mut t,
                &mut batch,
                Check::Defer(&mut parts),
            )?,
            (InstanceVerifierKey::MatProd(k), InstanceProof::MatProd(p), _) => matprod::verify_in(
                pcs,
                k,
                [x(0)?, x(1)?, y],
                p,
                &mut t,
                &mut batch,
                Check::Defer(&mut parts),
            )?,
            (InstanceVerifierKey::Max(k), InstanceProof::Max(p), _) => max::verify_in(
                pcs,
                k,
                x(0)?,
                y,
                p,
                &mut t,
                &mut batch,
                Check::Defer(&mut parts),
            )?,
            (InstanceVerifierKey::Lookup(k), InstanceProof::Lookup(p), _) => lookup::verify_in(
                pcs,
                k,
                x(0)?,
                Some(y),
                p,
                &mut t,
                &mut batch,
                Check::Defer(&mut parts),
            )?,
            (
                InstanceVerifierKey::Division(k),
                InstanceProof::Division(p),
                Block::DivConst { offset, .. },
            ) => {
                let len = program.tensors[inst.inputs[0]].len();
                let ones = vk
                    .ones
                    .get(&len)
                    .ok_or_else(|| reject("no ones vector for a division"))?;
                // C_a = C_x + offset·C_1
                let a = linear::add_commitments(x(0)?, linear::scale_commitment(*ones, *offset));
                division::verify_in(
                    pcs,
                    k,
                    a,
                    y,
                    p,
                    &mut t,
                    &mut batch,
                    Check::Defer(&mut parts),
                )?
            }
            (InstanceVerifierKey::Copy(k), InstanceProof::Copy(p), _) => {
                let ins: Vec<Commitment> = (0..inst.inputs.len()).map(x).collect::<Result<_>>()?;
                copy::verify_in(
                    pcs,
                    k,
                    &ins,
                    y,
                    p,
                    &mut t,
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
    identity::verify_shared(&vk.pcs, &parts, &proof.identity, &mut t, &mut batch)?;
    let holds = match decider {
        Decider::Accumulate => crate::accumulate::accumulate_and_decide(batch.relaxed()),
        Decider::Batch => batch.verify(),
    };
    if !holds {
        return Err(reject("the pairing check fails"));
    }
    Ok(())
}
