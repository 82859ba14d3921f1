//! Setup: the domain plan, every instance's key, the committed weights, the verifying key.

use crate::blocks::copy::{CopyKey, CopyVerifierKey, Source, Wiring};
use crate::blocks::division::{DivisionKey, DivisionVerifierKey};
use crate::blocks::lookup::{LookupKey, LookupVerifierKey};
use crate::blocks::matmul::{Dims, MatMulKey, MatMulVerifierKey};
use crate::blocks::matprod::{self, MatProdKey, MatProdVerifierKey};
use crate::blocks::max::{Groups, MaxKey, MaxVerifierKey};
use crate::blocks::Committed;
use crate::compile::{Block, BlockClass, Program, TensorId, TensorKind};
use crate::error::{Error, Result};
use crate::pcs::{self, Commitment, VerifierKey};
use crate::proof::VerifyingKey;
use crate::srs::{Srs, MAX_POWER};
use crate::witness::Witness;
use ark_ec::{AffineRepr, CurveGroup};
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;

/// How the prover and verifier treat a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A graph input or output: values public, committed without a mask.
    Public,
    /// A model constant: committed by setup.
    Weight,
    /// An intermediate value committed by the prover (masked).
    Activation,
    /// The output of a linear instance: its commitment is derived from its inputs'.
    Derived,
}

/// The roles of a program's tensors.
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
    for &t in &program.inputs {
        roles[t] = Role::Public;
    }
    for (_, named) in &program.outputs {
        roles[named.tensor] = Role::Public;
    }
    for inst in &program.instances {
        if inst.block.class() == BlockClass::Linear {
            if roles[inst.output] == Role::Public {
                return Err(Error::NotImplemented(
                    "a graph output computed by a linear layer (add/sub/scale) as the last step",
                ));
            }
            roles[inst.output] = Role::Derived;
        }
    }
    Ok(roles)
}

/// Mask coefficients per tensor: one more than the number of points all blocks together may
/// open it at (each block opens a tensor it touches at ≤ 2 points; openings of a derived tensor
/// count for the tensors it is derived from).
fn mask_counts(program: &Program) -> Vec<usize> {
    let mut points = vec![0usize; program.tensors.len()];
    for inst in &program.instances {
        if inst.block.class() == BlockClass::Linear {
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

/// The domain and SRS an instance set needs, fixed at setup.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// log2 of the one domain every tensor lives on.
    pub log_n: u32,
    /// The SRS power proving needs (quotient room above the domain).
    pub srs_power: u32,
    /// Per instance: the spread bits B of a max instance (else None).
    pub spread_bits: Vec<Option<u32>>,
}

fn bits_for(v: i64) -> u32 {
    64 - (v.max(1) as u64).leading_zeros()
}

/// Plans the domain: the largest rows any instance needs (tensors, plus tables for lookups,
/// divisions and max range checks). Max instances get a spread bound with two bits of headroom
/// over what the calibration witness shows (at least 2^4).
pub fn plan(program: &Program, calibration: &Witness) -> Result<Plan> {
    let len = |t: TensorId| program.tensors[t].len();
    let mut rows = 2usize;
    let mut degree = 3usize;
    let mut spread_bits = vec![None; program.instances.len()];
    for (ix, inst) in program.instances.iter().enumerate() {
        let touched = inst
            .inputs
            .iter()
            .chain([&inst.output])
            .map(|&t| len(t))
            .max()
            .unwrap_or(1);
        let need = match &inst.block {
            Block::MatMulConst { rows, inner, cols } => (rows * inner).max(rows * cols),
            Block::MatMul { rows, inner, cols } => {
                (rows * inner).max(inner * cols).max(rows * cols)
            }
            Block::MaxGroups { len: g } => {
                let x = &calibration.values[inst.inputs[0]];
                let spread = x
                    .chunks((*g).max(1))
                    .map(|c| c.iter().max().unwrap_or(&0) - c.iter().min().unwrap_or(&0))
                    .max()
                    .unwrap_or(0);
                let b = (bits_for(spread.saturating_mul(4))).clamp(4, 20);
                spread_bits[ix] = Some(b);
                len(inst.inputs[0]) + (1usize << b)
            }
            Block::Lookup { table } => len(inst.inputs[0]) + program.tables[*table].rows(),
            Block::DivConst { divisor, range, .. } => {
                let (lo, hi) = range.ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "layer {:?}: division without a calibrated quotient range",
                        inst.layer
                    ))
                })?;
                let log = DivisionKey::domain_log(len(inst.inputs[0]), *divisor, lo, hi)?;
                1usize << log
            }
            Block::Copy { wiring } => {
                degree = degree.max(wiring.input_lens.len() + 2);
                touched
            }
            _ => touched,
        };
        rows = rows.max(need);
    }
    let log_n = pcs::domain_log(rows);
    // The quotient has degree ≈ (degree − 1)·N plus mask terms; an SRS of power p holds
    // 2^(p+1) − 1 G1 powers (and 2^p G2 powers: [τ^N]₂ exists for p > log N).
    let needed_g1 = (degree - 1) * (1usize << log_n) + 256;
    let srs_power = (pcs::domain_log(needed_g1 + 1) - 1).max(log_n + 1);
    if srs_power > MAX_POWER {
        return Err(Error::InvalidArgument(format!(
            "the model needs an SRS of power {srs_power}, above the supported {MAX_POWER}"
        )));
    }
    Ok(Plan {
        log_n,
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
    /// MatMulConst, and SumGroups (a 0/1 matrix).
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

/// What the verifier needs: the architecture (the program without weight values), the SRS
/// part, every instance's key, the weights' and public constants' commitments.
#[derive(Clone, Debug)]
pub struct ModelVerifierKey {
    /// The program with weight values removed.
    pub program: Program,
    /// log2 of the domain.
    pub log_n: u32,
    /// `[1]₁`, `[1]₂`, `[τ]₂`.
    pub pcs: VerifierKey,
    /// Per instance.
    pub keys: Vec<InstanceVerifierKey>,
    /// Commitments of the weights used outside matrix-product keys (biases, …).
    pub weights: BTreeMap<TensorId, Commitment>,
    /// Commitments of the all-ones vectors of each length divisions add offsets with.
    pub ones: BTreeMap<usize, Commitment>,
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
    /// Committed weights (used outside matrix-product keys).
    pub weights: BTreeMap<TensorId, Committed>,
    /// The public all-ones vectors.
    pub ones: BTreeMap<usize, Committed>,
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

fn weight_values(program: &Program, t: TensorId) -> Result<&[i64]> {
    match &program.tensors[t].kind {
        TensorKind::Weight { values } => Ok(values),
        _ => Err(Error::InvalidArgument(format!(
            "tensor {:?} is not a model constant",
            program.tensors[t].name
        ))),
    }
}

/// Setup: commits the weights and every instance's public columns on the plan's domain.
pub fn setup<R: RngCore + CryptoRng>(
    srs: &Srs,
    program: &Program,
    plan: &Plan,
    rng: &mut R,
) -> Result<ModelKey> {
    let srs = srs.trim(plan.srs_power)?;
    let log_n = plan.log_n;
    let n = 1usize << log_n;
    let roles = roles(program)?;
    let masks = mask_counts(program);
    let len = |t: TensorId| program.tensors[t].len();
    let mut keys = Vec::with_capacity(program.instances.len());
    let mut weight_uses: Vec<TensorId> = Vec::new();
    let mut ones = BTreeMap::new();
    let profile = std::env::var_os("ZKTORCH_PROFILE").is_some();
    for (ix, inst) in program.instances.iter().enumerate() {
        let started = std::time::Instant::now();
        let key = match &inst.block {
            Block::Add | Block::Sub | Block::ScaleConst { .. } => InstanceKey::Linear,
            Block::Hadamard => InstanceKey::Hadamard,
            Block::MatMulConst { rows, inner, cols } => {
                let dims = Dims {
                    rows: *rows,
                    inner: *inner,
                    cols: *cols,
                };
                let w = weight_values(program, inst.inputs[1])?.to_vec();
                InstanceKey::MatMul(MatMulKey::on_domain(&srs, dims, w, log_n, rng)?)
            }
            Block::SumGroups { len: g } => {
                let (mut dims, w) = crate::blocks::matmul::reduce_weights(*g, 1);
                dims.rows = len(inst.inputs[0]) / (*g).max(1);
                InstanceKey::MatMul(MatMulKey::on_domain(&srs, dims, w, log_n, rng)?)
            }
            Block::MatMul { rows, inner, cols } => {
                let dims = Dims {
                    rows: *rows,
                    inner: *inner,
                    cols: *cols,
                };
                matprod::domain_log(dims)?;
                InstanceKey::MatProd(MatProdKey::on_domain(&srs, dims, log_n)?)
            }
            Block::MaxGroups { len: g } => {
                let groups = Groups {
                    count: len(inst.inputs[0]) / (*g).max(1),
                    len: *g,
                    spread_bits: plan.spread_bits[ix].unwrap_or(8),
                };
                InstanceKey::Max(MaxKey::on_domain(&srs, groups, log_n)?)
            }
            Block::Lookup { table } => {
                let t = program.tables[*table].to_table()?;
                InstanceKey::Lookup(LookupKey::on_domain(&srs, len(inst.inputs[0]), t, log_n)?)
            }
            Block::DivConst { divisor, range, .. } => {
                let (lo, hi) = range.ok_or_else(|| {
                    Error::InvalidArgument(format!("layer {:?}: no quotient range", inst.layer))
                })?;
                let l = len(inst.inputs[0]);
                if let std::collections::btree_map::Entry::Vacant(e) = ones.entry(l) {
                    e.insert(public_committed(&srs, &vec![1i64; l], log_n)?);
                }
                InstanceKey::Division(DivisionKey::on_domain(&srs, l, *divisor, lo, hi, log_n)?)
            }
            Block::Copy { wiring } => {
                let mut output = wiring.output.clone();
                output.resize(n, Source::Const(0));
                InstanceKey::Copy(CopyKey::new(
                    &srs,
                    Wiring {
                        input_lens: wiring.input_lens.clone(),
                        output,
                    },
                )?)
            }
        };
        // Weights read other than as a matrix-product key's W are committed on their own.
        for (slot, &t) in inst.inputs.iter().enumerate() {
            let in_key = matches!(inst.block, Block::MatMulConst { .. }) && slot == 1;
            if roles[t] == Role::Weight && !in_key {
                weight_uses.push(t);
            }
        }
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
    let mut weights = BTreeMap::new();
    for t in weight_uses {
        if let std::collections::btree_map::Entry::Vacant(e) = weights.entry(t) {
            let mut v = weight_values(program, t)?.to_vec();
            v.resize(n, 0);
            e.insert(Committed::new(&srs, &v, masks[t].max(2), rng)?);
        }
    }
    let mut vk = verifier_key(program, log_n, &srs, &keys, &weights, &ones);
    let g2 = srs.g2_powers();
    let vanishing = (g2[n].into_group() - g2[0].into_group()).into_affine();
    let vk_file = super::codec::vk_file(&vk, srs.digest(), vanishing)?;
    vk.digest = vk_file.digest();
    Ok(ModelKey {
        vk_file,
        program: program.clone(),
        plan: plan.clone(),
        srs,
        keys,
        weights,
        ones,
        masks,
        roles,
        vk,
    })
}

fn verifier_key(
    program: &Program,
    log_n: u32,
    srs: &Srs,
    keys: &[InstanceKey],
    weights: &BTreeMap<TensorId, Committed>,
    ones: &BTreeMap<usize, Committed>,
) -> ModelVerifierKey {
    let stripped = super::codec::strip_weights(program);
    let keys: Vec<InstanceVerifierKey> = keys
        .iter()
        .map(|k| match k {
            InstanceKey::Linear => InstanceVerifierKey::Linear,
            InstanceKey::Hadamard => InstanceVerifierKey::Hadamard,
            InstanceKey::MatMul(k) => InstanceVerifierKey::MatMul(k.verifier_key().clone()),
            InstanceKey::MatProd(k) => InstanceVerifierKey::MatProd(k.verifier_key().clone()),
            InstanceKey::Max(k) => InstanceVerifierKey::Max(k.verifier_key()),
            InstanceKey::Lookup(k) => InstanceVerifierKey::Lookup(k.verifier_key()),
            InstanceKey::Division(k) => InstanceVerifierKey::Division(k.verifier_key()),
            InstanceKey::Copy(k) => InstanceVerifierKey::Copy(k.verifier_key()),
        })
        .collect();
    let weights: BTreeMap<TensorId, Commitment> =
        weights.iter().map(|(t, c)| (*t, c.commitment)).collect();
    let ones: BTreeMap<usize, Commitment> = ones.iter().map(|(l, c)| (*l, c.commitment)).collect();
    let pcs = srs.verifier_key();
    ModelVerifierKey {
        program: stripped,
        log_n,
        pcs,
        keys,
        weights,
        ones,
        // Set by `setup` to the digest of the key's file encoding.
        digest: [0u8; 32],
    }
}
