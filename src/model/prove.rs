//! The model prover: witness, commitments, the public binding, every instance's proof.

use super::keys::{InstanceKey, ModelKey, Role};
use super::segments::View;
use crate::blocks::copy::{self, CopyProof};
use crate::blocks::division::{self, DivisionProof};
use crate::blocks::identity::{self, IdentityProof, Mode, ProverPart};
use crate::blocks::lookup::{self, LookupProof};
use crate::blocks::matmul::{self, MatMulProof};
use crate::blocks::matprod::{self, MatProdProof};
use crate::blocks::max::{self, MaxProof};
use crate::blocks::{binding, hadamard, linear, Committed};
use crate::compile::{Block, TensorId};
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, CommittedPoly, Query};
use crate::transcript::Transcript;
use crate::witness::{self, Witness};
use ark_bn254::{Fr, G1Affine};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;

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
    /// Unmasked commitments of the public tensors' views (one per public view, in view order,
    /// [`super::Views`]).
    pub public: Vec<Commitment>,
    /// The GWC witness opening every public view's commitment (these, and the derived
    /// commitments of public outputs of linear layers) at the challenge z; the verifier
    /// computes the values itself from the public tensors.
    pub public_opening: Vec<G1Affine>,
    /// Per committed weight view (the verifying key's order): its re-randomisation in this proof.
    pub weights: Vec<WeightShift>,
    /// Commitments of the activation views, in view order.
    pub activations: Vec<Commitment>,
    /// Per binding (a tensor committed on several domains), per view: its running column.
    pub running: Vec<Commitment>,
    /// Per binding, per pair of consecutive views: the quotient showing their running columns
    /// agree at X = 1.
    pub binding_quotients: Vec<Commitment>,
    /// Per instance, in program order (their own identity proofs are placeholders).
    pub instances: Vec<InstanceProof>,
    /// Per segment: the one identity proof of its instances' and bindings' constraints.
    pub identities: Vec<IdentityProof>,
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

/// Every view's commitment (public, weight as re-randomised, activation, derived); every
/// committed weight view's re-randomisation (in the key's order); and for a public output of a
/// linear instance, the combination derived from its inputs on its segment's domain (proved
/// equal to it on H).
struct Commitments {
    views: BTreeMap<View, Committed>,
    shifts: Vec<WeightShift>,
    derived_public: BTreeMap<View, Committed>,
}

/// Commits every view (see [`Commitments`]).
fn commit_views<'w, R: RngCore + CryptoRng>(
    key: &ModelKey,
    w_of: &dyn Fn(u32) -> &'w Witness,
    rng: &mut R,
) -> Result<Commitments> {
    let program = &key.program;
    let mut views: BTreeMap<View, Committed> = BTreeMap::new();
    let mut shifts = Vec::with_capacity(key.weights.len());
    let mut derived_public = BTreeMap::new();
    for (&v, c) in &key.weights {
        let (shifted, delta, delta_quotient) =
            c.rerandomized(&key.srs, key.masks[v.0].max(2), rng)?;
        views.insert(v, shifted);
        shifts.push(WeightShift {
            delta,
            delta_quotient,
        });
    }
    for &(t, d) in &key.views.list {
        let w = w_of(d);
        let c = match key.roles[t] {
            Role::Public => super::keys::public_committed(&key.srs, &w.values[t], d)?,
            Role::Activation => {
                let mut v = w.values[t].clone();
                v.resize(1usize << d, 0);
                Committed::new(&key.srs, &v, key.masks[t], rng)?
            }
            Role::Weight | Role::Derived => continue,
        };
        views.insert((t, d), c);
    }
    for (ix, inst) in program.instances.iter().enumerate() {
        let derive = |views: &BTreeMap<View, Committed>, d: u32| -> Result<Option<Committed>> {
            let get = |i: usize| {
                views.get(&(inst.inputs[i], d)).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "tensor {} read before it is committed",
                        inst.inputs[i]
                    ))
                })
            };
            Ok(match &inst.block {
                Block::Add => Some(linear::add(get(0)?, get(1)?)?),
                Block::Sub => Some(linear::sub(get(0)?, get(1)?)?),
                Block::ScaleConst { k } => Some(linear::scale(get(0)?, *k)?),
                _ => None,
            })
        };
        if key.roles[inst.output] == Role::Public {
            let d = key.plan.domain_of(ix)?;
            if let Some(c) = derive(&views, d)? {
                derived_public.insert((inst.output, d), c);
            }
            continue;
        }
        let out: Vec<u32> = key.views.domains_of(inst.output).collect();
        for d in out {
            if let Some(c) = derive(&views, d)? {
                views.insert((inst.output, d), c);
            }
        }
    }
    Ok(Commitments {
        views,
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

/// The running columns of every binding at r, and the quotients tying consecutive views.
fn commit_bindings<R: RngCore + CryptoRng>(
    key: &ModelKey,
    views: &BTreeMap<View, Committed>,
    r: Fr,
    rng: &mut R,
    forge: bool,
) -> Result<(BTreeMap<View, Committed>, Vec<Commitment>)> {
    let mut running = BTreeMap::new();
    let mut quotients = Vec::new();
    for b in &key.views.bindings {
        for &(d, _) in &b.views {
            let v = views.get(&(b.tensor, d)).ok_or_else(|| {
                Error::InvalidArgument(format!("binding of tensor {} without its view", b.tensor))
            })?;
            running.insert((b.tensor, d), binding::commit_running(&key.srs, v, r, rng)?);
        }
        for pair in b.views.windows(2) {
            let (x, y) = (
                &running[&(b.tensor, pair[0].0)],
                &running[&(b.tensor, pair[1].0)],
            );
            quotients.push(if forge {
                binding::forged_first_rows_quotient(&key.srs, &x.poly, &y.poly)?
            } else {
                binding::first_rows_quotient(&key.srs, &x.poly, &y.poly)?
            });
        }
    }
    Ok((running, quotients))
}

/// [`prove`], calling `progress(done, total)` after each step (the instances, then each
/// segment's identity proof) so a caller can show progress.
pub fn prove_with_progress<R: RngCore + CryptoRng>(
    key: &ModelKey,
    inputs: &[Vec<f32>],
    rng: &mut R,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Witness, ModelProof)> {
    let w = witness::run(&key.program, inputs)?;
    let proof = prove_views(key, &|_| &w, rng, progress, false)?;
    Ok((w, proof))
}

/// **An attack, for the soundness tests only**: a prover that commits the views on domains
/// of at least `2^split` from `big` and the others from `small` (two witnesses of the same
/// model, e.g. on two inputs), so that every segment is internally consistent but a tensor
/// crossing between them holds two values, and forges the binding quotients (dividing off the
/// remainder it cannot avoid). A sound verifier rejects what this returns.
#[doc(hidden)]
pub fn prove_mixed_witnesses<R: RngCore + CryptoRng>(
    key: &ModelKey,
    big: &Witness,
    small: &Witness,
    split: u32,
    rng: &mut R,
) -> Result<ModelProof> {
    let w_of = |d: u32| if d >= split { big } else { small };
    prove_views(key, &w_of, rng, &mut |_, _| {}, true)
}

/// **For the soundness tests only**: the prover run on a given witness, which may be false
/// (a value changed by hand). An honest key and verifier must not accept what this returns;
/// the prover's own check of the identity at ζ usually refuses first.
#[doc(hidden)]
pub fn prove_witness<R: RngCore + CryptoRng>(
    key: &ModelKey,
    w: &Witness,
    rng: &mut R,
) -> Result<ModelProof> {
    prove_views(key, &|_| w, rng, &mut |_, _| {}, false)
}

/// The prover proper, on the views committed from `w_of(domain)` (one witness for an honest
/// prover); `forge` makes binding quotients whatever the views hold (attack tests only).
fn prove_views<'w, R: RngCore + CryptoRng>(
    key: &ModelKey,
    w_of: &dyn Fn(u32) -> &'w Witness,
    rng: &mut R,
    progress: &mut dyn FnMut(usize, usize),
    forge: bool,
) -> Result<ModelProof> {
    let program = &key.program;
    let segments = &key.plan.segments;
    let steps = program.instances.len() + segments.len();
    let mut done = 0usize;
    let srs = &key.srs;
    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    let started = std::time::Instant::now();
    let Commitments {
        views,
        shifts: weights,
        derived_public,
    } = commit_views(key, w_of, rng)?;
    if profile {
        eprintln!(
            "profile: {:>9.1} ms  witness and {} view commitments ({} segments, largest 2^{})",
            started.elapsed().as_secs_f64() * 1e3,
            views.len(),
            segments.len(),
            key.plan.log_n
        );
    }
    // Each public slot states the values its tensor's views were committed from.
    let slots = super::keys::public_slots(program);
    let public_values: Vec<&[i64]> = slots
        .iter()
        .map(|&t| {
            let d = key.views.domains_of(t).next().unwrap_or(0);
            w_of(d).values[t].as_slice()
        })
        .collect();
    let mut t = start_transcript(&key.vk.digest, &public_values);
    let of_role = |role: Role| -> Result<Vec<&Committed>> {
        key.views
            .of_role(&key.roles, role)
            .map(|v| {
                views
                    .get(&v)
                    .ok_or_else(|| Error::InvalidArgument(format!("view {v:?} not committed")))
            })
            .collect()
    };
    let public_views = of_role(Role::Public)?;
    let public: Vec<Commitment> = public_views.iter().map(|c| c.commitment).collect();
    let activations: Vec<Commitment> = of_role(Role::Activation)?
        .iter()
        .map(|c| c.commitment)
        .collect();
    let z = absorb_commitments(&mut t, &public, &weights, &activations);
    // Every public view is opened at z through the commitment the blocks read.
    let polys: Vec<&CommittedPoly> = public_views.iter().map(|c| &c.poly).collect();
    let queries: Vec<Query> = (0..polys.len())
        .map(|poly| Query { poly, point: z })
        .collect();
    let opening = pcs::batch_open(srs, &polys, &public, &queries, &mut t)?;
    // The binding of tensors committed on several domains.
    let r = t.challenge_scalar(b"model/binding");
    let (running, binding_quotients) = commit_bindings(key, &views, r, rng, forge)?;
    let running_list: Vec<Commitment> = key
        .views
        .bindings
        .iter()
        .flat_map(|b| {
            b.views
                .iter()
                .map(|&(d, _)| running[&(b.tensor, d)].commitment)
        })
        .collect();
    absorb_bindings(&mut t, &running_list, &binding_quotients);

    let mut instances = Vec::with_capacity(program.instances.len());
    let mut identities = Vec::with_capacity(segments.len());
    for (s, seg) in segments.iter().enumerate() {
        let seg_started = std::time::Instant::now();
        let mut ts = t.fork(b"model/segment", s as u64);
        let d = seg.log_n;
        let get = |t: TensorId| -> Result<&Committed> {
            views.get(&(t, d)).ok_or_else(|| {
                Error::InvalidArgument(format!("tensor {t} has no view on 2^{d} (unused weight?)"))
            })
        };
        // Every segment's constraints go to its one identity proof (one α, quotient, ζ, opening).
        let mut parts: Vec<ProverPart> = Vec::new();
        for b in &key.views.bindings {
            for &(bd, host) in &b.views {
                if host == s {
                    let v = views.get(&(b.tensor, bd)).ok_or_else(|| {
                        Error::InvalidArgument("a bound view without its commitment".into())
                    })?;
                    binding::prove_in(
                        srs,
                        r,
                        v,
                        &running[&(b.tensor, bd)],
                        &mut ts,
                        defer(&mut parts),
                    )?;
                }
            }
        }
        for ix in seg.start..seg.end {
            let inst = &program.instances[ix];
            let ikey = &key.keys[ix];
            let started = std::time::Instant::now();
            let t = &mut ts;
            let x = |i: usize| get(inst.inputs[i]);
            let proof = match (ikey, &inst.block) {
                (InstanceKey::Linear, _) => {
                    if let Some(dp) = derived_public.get(&(inst.output, d)) {
                        linear::prove_equal_in(srs, get(inst.output)?, dp, t, defer(&mut parts))?;
                    }
                    InstanceProof::Linear
                }
                (InstanceKey::Hadamard, _) => InstanceProof::Hadamard(hadamard::prove_in(
                    srs,
                    x(0)?,
                    x(1)?,
                    get(inst.output)?,
                    t,
                    defer(&mut parts),
                )?),
                (InstanceKey::MatMul(k), _) => InstanceProof::MatMul(matmul::prove_in(
                    srs,
                    k,
                    x(0)?,
                    get(inst.output)?,
                    t,
                    rng,
                    defer(&mut parts),
                )?),
                (InstanceKey::MatProd(k), _) => InstanceProof::MatProd(matprod::prove_in(
                    srs,
                    k,
                    x(0)?,
                    x(1)?,
                    get(inst.output)?,
                    t,
                    rng,
                    defer(&mut parts),
                )?),
                (InstanceKey::Max(k), _) => InstanceProof::Max(max::prove_in(
                    srs,
                    k,
                    x(0)?,
                    get(inst.output)?,
                    t,
                    rng,
                    defer(&mut parts),
                )?),
                (InstanceKey::Lookup(k), _) => InstanceProof::Lookup(lookup::prove_in(
                    srs,
                    k,
                    x(0)?,
                    Some(get(inst.output)?),
                    t,
                    rng,
                    defer(&mut parts),
                )?),
                (InstanceKey::Division(k), block) => {
                    // A division divides a = x + offset·1; a range check divides x itself.
                    let shifted;
                    let a = match block {
                        Block::DivConst { offset, .. } => {
                            let len = program.tensors[inst.inputs[0]].len();
                            let ones = key.ones.get(&(len, d)).ok_or_else(|| {
                                Error::InvalidArgument(format!(
                                    "no ones vector of length {len} on 2^{d}"
                                ))
                            })?;
                            shifted = linear::add(x(0)?, &linear::scale(ones, *offset)?)?;
                            &shifted
                        }
                        Block::RangeCheck { .. } => x(0)?,
                        _ => {
                            return Err(Error::InvalidArgument(
                                "division key on a non-division instance".into(),
                            ))
                        }
                    };
                    InstanceProof::Division(division::prove_in(
                        srs,
                        k,
                        a,
                        get(inst.output)?,
                        t,
                        rng,
                        defer(&mut parts),
                    )?)
                }
                (InstanceKey::Copy(k), _) => {
                    let ins: Vec<&Committed> =
                        (0..inst.inputs.len()).map(x).collect::<Result<_>>()?;
                    InstanceProof::Copy(copy::prove_in(
                        srs,
                        k,
                        &ins,
                        get(inst.output)?,
                        t,
                        rng,
                        defer(&mut parts),
                    )?)
                }
            };
            if profile {
                eprintln!(
                    "profile: {:>9.1} ms  {} ({}) on 2^{d}",
                    started.elapsed().as_secs_f64() * 1e3,
                    inst.block.describe(),
                    inst.layer
                );
            }
            instances.push(proof);
            done += 1;
            progress(done, steps);
        }
        let id_started = std::time::Instant::now();
        identities.push(identity::prove_shared(srs, &parts, &mut ts)?);
        done += 1;
        progress(done, steps);
        if profile {
            eprintln!(
                "profile: {:>9.1} ms  segment {s} identity proof ({} parts, 2^{d}); segment {:.1} ms",
                id_started.elapsed().as_secs_f64() * 1e3,
                parts.len(),
                seg_started.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    Ok(ModelProof {
        public,
        public_opening: opening.witnesses,
        weights,
        activations,
        running: running_list,
        binding_quotients,
        instances,
        identities,
    })
}

/// Absorbs the binding round: every running column, then every binding quotient.
pub(super) fn absorb_bindings(
    t: &mut Transcript,
    running: &[Commitment],
    quotients: &[Commitment],
) {
    let r: Vec<G1Affine> = running.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/running", &r);
    let q: Vec<G1Affine> = quotients.iter().map(|c| c.0).collect();
    t.append_g1s(b"model/binding-quotients", &q);
}
