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
use crate::compile::{Block, TensorId};
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

/// A committed weight's re-randomisation in one proof: `Δ = [δ(τ)·Z_H(τ)]₁`, `Π = [δ(τ)]₁`
/// (the proof reads the weight as `C + Δ`; the verifier checks `e(Δ, [1]₂) = e(Π, [Z_H(τ)]₂)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightShift {
    /// Δ.
    pub delta: Commitment,
    /// Π.
    pub delta_quotient: Commitment,
}

/// A proof that the committed model maps the public inputs to the public outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelProof {
    /// Unmasked commitments of the prover-committed public tensors, one per distinct tensor
    /// ([`super::bound_tensors`] with role `Public`).
    pub public: Vec<Commitment>,
    /// The GWC witness opening every bound public tensor's commitment (these, and the derived
    /// commitments of public outputs of linear layers) at the challenge z; the verifier
    /// computes the values itself from the public tensors.
    pub public_opening: Vec<G1Affine>,
    /// Per committed weight (the verifying key's order): its re-randomisation in this proof.
    pub weights: Vec<WeightShift>,
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

/// Absorbs every commitment of the proof's first round (public tensors, weight
/// re-randomisations, activations) and draws z for the public binding.
pub(super) fn absorb_commitments(
    t: &mut Transcript,
    public: &[Commitment],
    weights: &[WeightShift],
    activations: &[Commitment],
) -> Fr {
    let p: Vec<G1Affine> = public.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/public-commitments", &p);
    let w: Vec<G1Affine> = weights
        .iter()
        .flat_map(|s| [s.delta.0, s.delta_quotient.0])
        .collect();
    t.append_g1s(b"model/weight-shifts", &w);
    let a: Vec<G1Affine> = activations.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/activations", &a);
    t.challenge_scalar(b"model/z")
}

/// Every tensor's commitment on the plan's domain (public, weight, activation, derived); every
/// committed weight's re-randomisation (in the key's weight order); and for a public output of
/// a linear instance, the combination derived from its inputs (proved equal to it on H).
struct Commitments {
    tensors: Vec<Option<Committed>>,
    shifts: Vec<WeightShift>,
    derived_public: std::collections::BTreeMap<TensorId, Committed>,
}

/// Commits every tensor (see [`Commitments`]).
fn commit_tensors<R: RngCore + CryptoRng>(
    key: &ModelKey,
    w: &Witness,
    rng: &mut R,
) -> Result<Commitments> {
    let program = &key.program;
    let log_n = key.plan.log_n;
    let n = 1usize << log_n;
    let mut tensors: Vec<Option<Committed>> = vec![None; program.tensors.len()];
    let mut shifts = Vec::with_capacity(key.weights.len());
    let mut derived_public = std::collections::BTreeMap::new();
    for (&t, c) in &key.weights {
        let (shifted, delta, delta_quotient) =
            c.rerandomized(&key.srs, key.masks[t].max(2), rng)?;
        tensors[t] = Some(shifted);
        shifts.push(WeightShift {
            delta,
            delta_quotient,
        });
    }
    for (t, role) in key.roles.iter().enumerate() {
        tensors[t] = match role {
            Role::Public => Some(super::keys::public_committed(
                &key.srs,
                &w.values[t],
                log_n,
            )?),
            Role::Weight => tensors[t].take(),
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
            if key.roles[inst.output] == Role::Public {
                derived_public.insert(inst.output, d);
            } else {
                tensors[inst.output] = Some(d);
            }
        }
    }
    Ok(Commitments {
        tensors,
        shifts,
        derived_public,
    })
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
    let Commitments {
        tensors,
        shifts: weights,
        derived_public,
    } = commit_tensors(key, &w, rng)?;
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
    let slots = super::keys::public_slots(program);
    let public_values: Vec<&[i64]> = slots.iter().map(|&t| w.values[t].as_slice()).collect();
    let mut t = start_transcript(&key.vk.digest, &public_values);
    let bound = super::keys::bound_tensors(program);
    let public: Vec<Commitment> = bound
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
    let z = absorb_commitments(&mut t, &public, &weights, &activations);
    // Every bound tensor is opened at z through the commitment the blocks read.
    let polys: Vec<&CommittedPoly> = bound
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
            (InstanceKey::Linear, _) => {
                if let Some(d) = derived_public.get(&inst.output) {
                    linear::prove_equal_in(srs, y, d, &mut t, defer(&mut parts))?;
                }
                InstanceProof::Linear
            }
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
            weights,
            activations,
            instances,
            identity,
        },
    ))
}
