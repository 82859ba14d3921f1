//! The model prover: witness, commitments, the public binding, every instance's proof.

use super::keys::{InstanceKey, ModelKey, Role};
use crate::blocks::copy::{self, CopyProof};
use crate::blocks::division::{self, DivisionProof};
use crate::blocks::identity::{self, IdentityProof, Mode, ProverPart};
use crate::blocks::lookup::{self, LookupProof};
use crate::blocks::matmul::{self, MatMulProof};
use crate::blocks::matprod::{self, MatProdProof};
use crate::blocks::max::{self, MaxProof};
use crate::blocks::{hadamard, linear, Committed};
use crate::compile::{Block, Program, TensorId};
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, Query};
use crate::transcript::Transcript;
use crate::witness::{self, Witness};
use ark_bn254::{Fr, G1Affine};
use rand::{CryptoRng, RngCore};

/// One instance's proof (the variant matches the instance's key).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum InstanceProof {
    /// Linear instances send nothing.
    Linear,
    /// Hadamard.
    Hadamard(IdentityProof),
    /// MatMulConst, SumGroups.
    MatMul(MatMulProof),
    /// Product of two activations.
    MatProd(MatProdProof),
    /// Grouped maxima.
    Max(MaxProof),
    /// Table lookup.
    Lookup(LookupProof),
    /// Division by a constant.
    Division(DivisionProof),
    /// Copy / permutation.
    Copy(CopyProof),
}

/// A proof that the committed model maps the public inputs to the public outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelProof {
    /// Unmasked commitments of the public tensors: graph inputs, then graph outputs.
    pub public: Vec<Commitment>,
    /// GWC witnesses opening them at the challenge z (their values the verifier computes).
    pub public_opening: Vec<G1Affine>,
    /// Commitments of the activation tensors, in tensor order.
    pub activations: Vec<Commitment>,
    /// Per instance, in program order (their own identity proofs are placeholders).
    pub instances: Vec<InstanceProof>,
    /// The one identity proof of every instance's constraints.
    pub identity: IdentityProof,
}

impl ModelProof {
    /// Group and field elements in the proof (as written by [`super::proof_parts`]).
    pub fn size(&self) -> (usize, usize) {
        let (g1, fr) = super::proof_parts(self);
        (g1.len(), fr.len())
    }
}

fn defer(parts: &mut Vec<ProverPart>) -> Mode<'_> {
    Mode::Defer(parts)
}

/// The public tensors in proof order: graph inputs, then graph outputs.
pub(super) fn public_tensors(program: &Program) -> Vec<TensorId> {
    let mut v: Vec<TensorId> = program.inputs.clone();
    v.extend(program.outputs.iter().map(|(_, n)| n.tensor));
    v
}

/// The transcript every proof starts from: the verifying key's digest, then the public values.
pub(super) fn start_transcript(digest: &[u8; 32], public_values: &[&[i64]]) -> Transcript {
    let mut t = Transcript::new(b"zktorch/model-proof/v0");
    t.append_bytes(b"model/vk", digest);
    for v in public_values {
        t.append_u64(b"model/public-len", v.len() as u64);
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        t.append_bytes(b"model/public", &bytes);
    }
    t
}

/// Absorbs every commitment of the proof's first round and draws z for the public binding.
pub(super) fn absorb_commitments(
    t: &mut Transcript,
    public: &[Commitment],
    activations: &[Commitment],
) -> Fr {
    let p: Vec<G1Affine> = public.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/public-commitments", &p);
    let a: Vec<G1Affine> = activations.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/activations", &a);
    t.challenge_scalar(b"model/z")
}

/// Commits every tensor (public, weight, activation, derived) on the plan's domain.
fn commit_tensors<R: RngCore + CryptoRng>(
    key: &ModelKey,
    w: &Witness,
    rng: &mut R,
) -> Result<Vec<Option<Committed>>> {
    let program = &key.program;
    let log_n = key.plan.log_n;
    let n = 1usize << log_n;
    let mut tensors: Vec<Option<Committed>> = vec![None; program.tensors.len()];
    for (t, role) in key.roles.iter().enumerate() {
        tensors[t] = match role {
            Role::Public => Some(super::keys::public_committed(
                &key.srs,
                &w.values[t],
                log_n,
            )?),
            Role::Weight => key.weights.get(&t).cloned(),
            Role::Activation => {
                let mut v = w.values[t].clone();
                v.resize(n, 0);
                Some(Committed::new(&key.srs, &v, key.masks[t], rng)?)
            }
            Role::Derived => None,
        };
    }
    for inst in &program.instances {
        let get = |t: TensorId| {
            tensors[t].as_ref().ok_or_else(|| {
                Error::InvalidArgument(format!("tensor {t} read before it is committed"))
            })
        };
        let derived = match &inst.block {
            Block::Add => Some(linear::add(get(inst.inputs[0])?, get(inst.inputs[1])?)?),
            Block::Sub => Some(linear::sub(get(inst.inputs[0])?, get(inst.inputs[1])?)?),
            Block::ScaleConst { k } => Some(linear::scale(get(inst.inputs[0])?, *k)?),
            _ => None,
        };
        if let Some(d) = derived {
            tensors[inst.output] = Some(d);
        }
    }
    Ok(tensors)
}

/// Proves the model on the given inputs (one flat float vector per graph input). Returns the
/// witness (for the outputs) and the proof. Fails, naming the layer, if a value leaves a
/// calibrated range.
pub fn prove<R: RngCore + CryptoRng>(
    key: &ModelKey,
    inputs: &[Vec<f32>],
    rng: &mut R,
) -> Result<(Witness, ModelProof)> {
    prove_with_progress(key, inputs, rng, &mut |_, _| {})
}

/// [`prove`], calling `progress(done, total)` after each step (the instances, then the shared
/// identity proof) so a caller can show progress.
pub fn prove_with_progress<R: RngCore + CryptoRng>(
    key: &ModelKey,
    inputs: &[Vec<f32>],
    rng: &mut R,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Witness, ModelProof)> {
    let program = &key.program;
    let steps = program.instances.len() + 1;
    let srs = &key.srs;
    let started = std::time::Instant::now();
    let w = witness::run(program, inputs)?;
    let tensors = commit_tensors(key, &w, rng)?;
    if std::env::var_os("ZKTORCH_PROFILE").is_some() {
        eprintln!(
            "profile: {:>9.1} ms  witness and tensor commitments (domain 2^{})",
            started.elapsed().as_secs_f64() * 1e3,
            key.plan.log_n
        );
    }
    let get = |t: TensorId| -> Result<&Committed> {
        tensors[t].as_ref().ok_or_else(|| {
            Error::InvalidArgument(format!("tensor {t} has no commitment (unused weight?)"))
        })
    };
    let publics = public_tensors(program);
    let public_values: Vec<&[i64]> = publics.iter().map(|&t| w.values[t].as_slice()).collect();
    let mut t = start_transcript(&key.vk.digest, &public_values);
    let public: Vec<Commitment> = publics
        .iter()
        .map(|&p| get(p).map(|c| c.commitment))
        .collect::<Result<_>>()?;
    let activations: Vec<Commitment> = key
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == Role::Activation)
        .map(|(i, _)| get(i).map(|c| c.commitment))
        .collect::<Result<_>>()?;
    let z = absorb_commitments(&mut t, &public, &activations);
    let polys: Vec<&CommittedPoly> = publics
        .iter()
        .map(|&p| get(p).map(|c| &c.poly))
        .collect::<Result<_>>()?;
    let queries: Vec<Query> = (0..polys.len())
        .map(|poly| Query { poly, point: z })
        .collect();
    let opening = pcs::batch_open(srs, &polys, &public, &queries, &mut t)?;

    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    // Every block's identity is deferred to one shared proof (one α, quotient, ζ, opening).
    let mut parts: Vec<ProverPart> = Vec::new();
    let mut instances = Vec::with_capacity(program.instances.len());
    for (inst, ikey) in program.instances.iter().zip(&key.keys) {
        let started = std::time::Instant::now();
        let x = |i: usize| get(inst.inputs[i]);
        let y = get(inst.output)?;
        let proof = match (ikey, &inst.block) {
            (InstanceKey::Linear, _) => InstanceProof::Linear,
            (InstanceKey::Hadamard, _) => InstanceProof::Hadamard(hadamard::prove_in(
                srs,
                x(0)?,
                x(1)?,
                y,
                &mut t,
                defer(&mut parts),
            )?),
            (InstanceKey::MatMul(k), _) => InstanceProof::MatMul(matmul::prove_in(
                srs,
                k,
                x(0)?,
                y,
                &mut t,
                rng,
                defer(&mut parts),
            )?),
            (InstanceKey::MatProd(k), _) => InstanceProof::MatProd(matprod::prove_in(
                srs,
                k,
                x(0)?,
                x(1)?,
                y,
                &mut t,
                rng,
                defer(&mut parts),
            )?),
            (InstanceKey::Max(k), _) => InstanceProof::Max(max::prove_in(
                srs,
                k,
                x(0)?,
                y,
                &mut t,
                rng,
                defer(&mut parts),
            )?),
            (InstanceKey::Lookup(k), _) => InstanceProof::Lookup(lookup::prove_in(
                srs,
                k,
                x(0)?,
                Some(y),
                &mut t,
                rng,
                defer(&mut parts),
            )?),
            (InstanceKey::Division(k), Block::DivConst { offset, .. }) => {
                let len = program.tensors[inst.inputs[0]].len();
                let ones = key.ones.get(&len).ok_or_else(|| {
                    Error::InvalidArgument(format!("no ones vector of length {len}"))
                })?;
                // a = x + offset·1
                let a = linear::add(x(0)?, &linear::scale(ones, *offset)?)?;
                InstanceProof::Division(division::prove_in(
                    srs,
                    k,
                    &a,
                    y,
                    &mut t,
                    rng,
                    defer(&mut parts),
                )?)
            }
            (InstanceKey::Copy(k), _) => {
                let ins: Vec<&Committed> = (0..inst.inputs.len()).map(x).collect::<Result<_>>()?;
                InstanceProof::Copy(copy::prove_in(
                    srs,
                    k,
                    &ins,
                    y,
                    &mut t,
                    rng,
                    defer(&mut parts),
                )?)
            }
            (InstanceKey::Division(_), _) => {
                return Err(Error::InvalidArgument(
                    "division key on a non-division instance".into(),
                ))
            }
        };
        if profile {
            eprintln!(
                "profile: {:>9.1} ms  {} ({})",
                started.elapsed().as_secs_f64() * 1e3,
                inst.block.describe(),
                inst.layer
            );
        }
        instances.push(proof);
        progress(instances.len(), steps);
    }
    let started = std::time::Instant::now();
    let identity = identity::prove_shared(srs, &parts, &mut t)?;
    progress(steps, steps);
    if profile {
        eprintln!(
            "profile: {:>9.1} ms  shared identity proof ({} parts)",
            started.elapsed().as_secs_f64() * 1e3,
            parts.len()
        );
    }
    Ok((
        w,
        ModelProof {
            public,
            public_opening: opening.witnesses,
            activations,
            instances,
            identity,
        },
    ))
}
