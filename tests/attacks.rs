//! The attacks of the adversarial audit (issue #9), each rebuilt here and shown rejected:
//! public tensors shared between slots or bound to nothing, a bias recovered from many proofs,
//! keys with a doctored `[τ]₂`, `[Z_H(τ)]₂`, table, wiring or weight layout, and a proof for
//! another input. The threat model is the product's: the model owner makes the key and proves.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, Zero};
use ark_poly::{EvaluationDomain, Polynomial, Radix2EvaluationDomain};
use std::path::PathBuf;
use zktorch::api;
use zktorch::blocks::copy::{Source, Wiring};
use zktorch::compile::{Block, Program, TensorKind, WiringSpec};
use zktorch::model::{self, CheckedKey, ModelKey};
use zktorch::pcs::Commitment;
use zktorch::proof::VerifyingKey;
use zktorch::quant::{TableFn, TableSpec};
use zktorch::srs::anchor::Trust;
use zktorch::srs::Srs;
use zktorch::{onnx, witness, Error};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/attacks/{name}"))
}

struct Case {
    key: ModelKey,
    srs: Srs,
    inputs: Vec<Vec<f32>>,
}

impl Case {
    fn new(name: &str) -> Case {
        let path = fixture(&format!("{name}.onnx"));
        let graph = onnx::load(&path).unwrap();
        let inputs =
            onnx::read_input_json(&fixture(&format!("{name}.input.json")), &graph.inputs).unwrap();
        let (_, program) = api::compile_model(
            &zktorch::onnx::ModelFile::new(&path),
            std::slice::from_ref(&inputs),
        )
        .unwrap();
        Self::from_program(program, inputs)
    }

    fn from_program(program: Program, inputs: Vec<Vec<f32>>) -> Case {
        let plan = api::plan_model(&program, &inputs).unwrap();
        let srs = Srs::insecure_for_tests(plan.srs_power, 11);
        let key = api::setup_model(&srs, &program, &plan, [3u8; 32]).unwrap();
        Case { key, srs, inputs }
    }

    fn trust(&self) -> Trust {
        Trust::for_srs(&self.srs)
    }

    fn checked(&self) -> CheckedKey {
        model::check_key(&self.key.vk_file, &self.trust()).unwrap()
    }

    /// Proves `inputs`; returns the public values of every slot and the proof.
    fn prove(&self, inputs: &[Vec<f32>]) -> (Vec<Vec<i64>>, model::ModelProof) {
        let mut rng = rand::thread_rng();
        let (w, proof) = model::prove(&self.key, inputs, &mut rng).unwrap();
        (slots(&self.key.program, &w), proof)
    }

    fn accepts(&self, public: &[Vec<i64>], proof: &model::ModelProof) -> bool {
        model::verify(&self.checked(), public, proof).is_ok()
    }

    fn key_rejected(&self, file: &VerifyingKey) -> bool {
        matches!(
            model::check_key(file, &self.trust()),
            Err(Error::Verification(_)) | Err(Error::Malformed { .. })
        )
    }
}

fn slots(program: &Program, w: &witness::Witness) -> Vec<Vec<i64>> {
    model::public_slots(program)
        .iter()
        .map(|&t| w.values[t].clone())
        .collect()
}

fn ones(n: usize) -> Vec<Vec<f32>> {
    vec![vec![1.0; n]]
}

// ---- public tensors --------------------------------------------------------------------------

/// Outputs `[Relu(x), Identity(x)]`: the second output is the input tensor itself. The audit's
/// forgery stated an input of all 1.0, a Relu output that is not Relu of it, and the real input
/// in the Identity slot. Every slot of one tensor must state the same values now.
#[test]
fn an_output_that_is_the_input_must_state_the_input() {
    let c = Case::new("alias_outputs");
    let (honest, proof) = c.prove(&c.inputs);
    assert!(c.accepts(&honest, &proof));
    let [x, r, x_out] = &honest[..] else {
        panic!("three slots expected")
    };
    assert_eq!(x, x_out);
    let ones_q = vec![256i64; x.len()];
    // The forgery: input all 1.0, the honest Relu and Identity of another input.
    assert!(!c.accepts(&[ones_q.clone(), r.clone(), x.clone()], &proof));
    // Either slot alone changed.
    assert!(!c.accepts(&[x.clone(), r.clone(), ones_q.clone()], &proof));
    // Both changed consistently: the proof is about x, not 1.0.
    let relu_ones = vec![256i64; x.len()];
    assert!(!c.accepts(&[ones_q.clone(), relu_ones, ones_q.clone()], &proof));
    // And an honest proof of 1.0 verifies.
    let (h1, p1) = c.prove(&ones(x.len()));
    assert!(c.accepts(&h1, &p1));
}

/// Outputs `[Relu(x), Identity(Relu(x))]`: one tensor in two output slots.
#[test]
fn one_tensor_in_two_output_slots_states_one_value() {
    let c = Case::new("output_twice");
    let (honest, proof) = c.prove(&c.inputs);
    assert!(c.accepts(&honest, &proof));
    for slot in [1, 2] {
        let mut bad = honest.clone();
        bad[slot][0] += 1;
        assert!(!c.accepts(&bad, &proof), "slot {slot}");
    }
    let mut both = honest.clone();
    both[1][0] += 1;
    both[2][0] += 1;
    assert!(!c.accepts(&both, &proof));
}

/// A constant graph output is public: the key's architecture states its values and a proof
/// that states others is rejected.
#[test]
fn a_constant_output_is_the_models_constant() {
    let c = Case::new("constant_output");
    let (honest, proof) = c.prove(&c.inputs);
    assert!(c.accepts(&honest, &proof));
    let constant = c.key.program.outputs[1].1.tensor;
    let checked = c.checked();
    match &checked.vk().program.tensors[constant].kind {
        TensorKind::Weight { values } => assert_eq!(values, &honest[2]),
        other => panic!("the constant output is {other:?}"),
    }
    for delta in [1, -1, 1000] {
        let mut bad = honest.clone();
        bad[2][3] += delta;
        assert!(!c.accepts(&bad, &proof), "constant changed by {delta}");
    }
}

/// A graph output computed by a linear layer (Relu(x) + x) proves, and is bound.
#[test]
fn an_output_computed_by_an_add_proves_and_is_bound() {
    let c = Case::new("linear_output");
    let (honest, proof) = c.prove(&c.inputs);
    assert!(c.accepts(&honest, &proof));
    let mut bad = honest.clone();
    bad[1][2] += 1;
    assert!(!c.accepts(&bad, &proof));
    let mut bad = honest.clone();
    bad[0][2] += 1;
    assert!(!c.accepts(&bad, &proof));
}

/// A model with no block at all (Reshape only) proves: input and output are one tensor.
#[test]
fn a_reshape_only_model_proves() {
    let c = Case::new("reshape_only");
    let (honest, proof) = c.prove(&c.inputs);
    assert!(c.accepts(&honest, &proof));
    let mut bad = honest.clone();
    bad[1][0] += 1;
    assert!(!c.accepts(&bad, &proof));
    let mut bad = honest.clone();
    bad[0][0] += 1;
    bad[1][0] += 1;
    assert!(!c.accepts(&bad, &proof));
}

// ---- weights stay hidden -----------------------------------------------------------------------

/// Gaussian elimination over F_r: the rank of `rows`, and (when `rhs` is given) whether the
/// system is consistent and its unique solution.
fn eliminate(rows: &[Vec<Fr>], rhs: Option<&[Fr]>) -> (usize, Option<Vec<Fr>>, bool) {
    let cols = rows.first().map_or(0, |r| r.len());
    let mut m: Vec<Vec<Fr>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.push(rhs.map_or(Fr::zero(), |b| b[i]));
            r
        })
        .collect();
    let mut rank = 0;
    let mut pivots = Vec::new();
    for col in 0..cols {
        let Some(p) = (rank..m.len()).find(|&i| !m[i][col].is_zero()) else {
            continue;
        };
        m.swap(rank, p);
        let inv = m[rank][col].inverse().unwrap();
        for v in m[rank].iter_mut() {
            *v *= inv;
        }
        for i in 0..m.len() {
            if i != rank && !m[i][col].is_zero() {
                let f = m[i][col];
                let pivot_row = m[rank].clone();
                for (v, p) in m[i].iter_mut().zip(&pivot_row) {
                    *v -= f * p;
                }
            }
        }
        pivots.push(col);
        rank += 1;
    }
    let consistent = m[rank..].iter().all(|r| r[cols].is_zero());
    let solution = (consistent && rank == cols).then(|| {
        let mut x = vec![Fr::zero(); cols];
        for (i, &c) in pivots.iter().enumerate() {
            x[c] = m[i][cols];
        }
        x
    });
    (rank, solution, consistent)
}

/// The audit recovered a 10-entry bias of the MNIST MLP from 18 proofs: every proof opens a
/// combination the verifier can undo (`r + d·q − offset·1 − X·W` at ζ) to the bias
/// polynomial's value at a fresh ζ, and with one fixed mask those values are a linear system
/// in the bias and the mask. Here the same attack runs on real proofs: on the values the old
/// fixed mask would have shown it recovers the bias exactly (the solver works); on what the
/// proofs actually show, the system has no solution; and with the per-proof re-randomisation
/// as unknowns, no bias entry is determined however many proofs are seen.
#[test]
fn a_bias_cannot_be_recovered_from_many_proofs() {
    let c = Case::new("bias_relu");
    let program = &c.key.program;
    let checked = c.checked();
    let vk = checked.vk();
    // The layer: acc = X·W (MatMulConst), biased = acc + bias (Add), q = ⌊(biased + o)/d⌋.
    let add = program
        .instances
        .iter()
        .find(|i| i.block == Block::Add)
        .unwrap();
    let (t_acc, t_bias) = match program.tensors[add.inputs[1]].kind {
        TensorKind::Weight { .. } => (add.inputs[0], add.inputs[1]),
        _ => (add.inputs[1], add.inputs[0]),
    };
    let div = program
        .instances
        .iter()
        .find(|i| i.inputs[0] == add.output)
        .unwrap();
    let Block::DivConst {
        divisor, offset, ..
    } = div.block
    else {
        panic!("no rescale after the bias")
    };
    let TensorKind::Weight { values: bias } = &program.tensors[t_bias].kind else {
        panic!()
    };
    let len = bias.len();
    // The bias's view on the domain of the segment proving the layer.
    let (_, log_n) = *c.key.weights.keys().find(|(t, _)| *t == t_bias).unwrap();
    let n = 1usize << log_n;
    let domain = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
    let mask_len = c.key.masks[t_bias].max(2);
    let c_ones = vk.ones[&(len, log_n)];
    let setup_poly = &c.key.weights[&(t_bias, log_n)].poly.poly;

    // More equations than the fixed-mask system has unknowns.
    let proofs = len + mask_len + 3;
    let mut zetas = Vec::new();
    let mut shown = Vec::new();
    for p in 0..proofs {
        let inputs: Vec<Vec<f32>> = vec![(0..8)
            .map(|i| ((i * 7 + p) % 5) as f32 * 0.3 - 0.6)
            .collect()];
        let (public, proof) = c.prove(&inputs);
        let view = model::view(&checked, &public, &proof).unwrap();
        let tensor = |t: usize| view.tensors[&(t, log_n)];
        let c_a = (tensor(add.output).0 + c_ones.0 * Fr::from(offset)).into_affine();
        let c_q = tensor(div.output);
        let c_r = Commitment((c_a.into_group() - c_q.0 * Fr::from(divisor)).into_affine());
        let at = |cm: Commitment| {
            view.claims
                .iter()
                .find(|k| k.commitment == cm)
                .map(|k| (k.point, k.value))
                .unwrap()
        };
        let (zeta, r_val) = at(c_r);
        let (z2, q_val) = at(c_q);
        let (z3, acc_val) = at(tensor(t_acc));
        assert!(zeta == z2 && zeta == z3);
        let ones_at: Fr = domain.evaluate_all_lagrange_coefficients(zeta)[..len]
            .iter()
            .sum();
        shown.push(r_val + Fr::from(divisor) * q_val - Fr::from(offset) * ones_at - acc_val);
        zetas.push(zeta);
    }
    // The equations of the attack: value_p = Σ_i b_i L_i(ζ_p) + Z_H(ζ_p)·Σ_j m_j ζ_p^j.
    let row = |zeta: Fr| -> Vec<Fr> {
        let mut r: Vec<Fr> = domain.evaluate_all_lagrange_coefficients(zeta)[..len].to_vec();
        let zh = zeta.pow([n as u64]) - Fr::one();
        r.extend((0..mask_len).map(|j| zh * zeta.pow([j as u64])));
        r
    };
    let rows: Vec<Vec<Fr>> = zetas.iter().map(|&z| row(z)).collect();
    // Control: with the setup's fixed mask (the old scheme) the attack recovers the bias.
    let old: Vec<Fr> = zetas.iter().map(|z| setup_poly.evaluate(z)).collect();
    let (_, recovered, _) = eliminate(&rows, Some(&old));
    let recovered = recovered.expect("the attack works on a fixed mask");
    let expected: Vec<Fr> = bias.iter().map(|&v| Fr::from(v)).collect();
    assert_eq!(&recovered[..len], &expected[..]);
    // On what the proofs show: no solution at all.
    let (_, solution, consistent) = eliminate(&rows, Some(&shown));
    assert!(
        solution.is_none() && !consistent,
        "the proofs' values fit one fixed mask"
    );
    // With each proof's own δ as unknowns, the system is underdetermined in every bias entry:
    // e_i is never in the row space.
    let width = len + mask_len + proofs * mask_len;
    let full: Vec<Vec<Fr>> = zetas
        .iter()
        .enumerate()
        .map(|(p, &z)| {
            let mut r = row(z);
            r.resize(width, Fr::zero());
            let zh = z.pow([n as u64]) - Fr::one();
            for j in 0..mask_len {
                r[len + mask_len + p * mask_len + j] = zh * z.pow([j as u64]);
            }
            r
        })
        .collect();
    let (rank, _, _) = eliminate(&full, None);
    for i in 0..len {
        let mut with = full.clone();
        let mut e = vec![Fr::zero(); width];
        e[i] = Fr::one();
        with.push(e);
        assert_eq!(
            eliminate(&with, None).0,
            rank + 1,
            "bias entry {i} is determined"
        );
    }
}

// ---- doctored keys -----------------------------------------------------------------------------

/// `[Z_H(τ)]₂ = [1]₂` made every weight re-randomisation check vacuous (Δ could change the
/// weights); `[τ]₂ = [s]₂` for a known s lets any commitment open to anything. Both keys are
/// refused before any proof is looked at.
#[test]
fn a_key_with_a_doctored_srs_element_is_refused() {
    let c = Case::new("bias_relu");
    assert!(!c.key_rejected(&c.key.vk_file));
    let mut bad = c.key.vk_file.clone();
    bad.g2_extra = vec![G2Affine::generator()];
    assert!(c.key_rejected(&bad), "[Z_H(τ)]₂ = [1]₂");
    let mut bad = c.key.vk_file.clone();
    bad.g2_extra = vec![(bad.g2_extra[0] + G2Affine::generator()).into_affine()];
    assert!(c.key_rejected(&bad), "[Z_H(τ)]₂ off by [1]₂");
    // The whole key made on an SRS whose τ the owner knows (a public seed): not trusted.
    let program = c.key.program.clone();
    let plan = c.key.plan.clone();
    let known = Srs::insecure_for_tests(plan.srs_power, 12345);
    let theirs = api::setup_model(&known, &program, &plan, [3u8; 32]).unwrap();
    assert!(c.key_rejected(&theirs.vk_file));
    // [τ]₂ swapped in an otherwise honest key.
    let mut bad = c.key.vk_file.clone();
    bad.pcs.tau_h = known.verifier_key().tau_h;
    assert!(c.key_rejected(&bad));
    // A key that names another SRS than its [τ]₂ is that of.
    let mut bad = c.key.vk_file.clone();
    bad.srs_label = "ceremony:hermez-ptau28".into();
    assert!(c.key_rejected(&bad));
}

/// The owner builds the key from a program whose Relu table is the identity, then states the
/// Relu architecture and proves the key over it: the key check recomputes the table from the
/// architecture and refuses it.
#[test]
fn a_key_whose_table_is_not_its_architectures_is_refused() {
    let honest = Case::new("bias_relu");
    let mut doctored = honest.key.program.clone();
    let relu = doctored
        .tables
        .iter_mut()
        .find(|t| t.func == TableFn::Relu)
        .unwrap();
    *relu = TableSpec {
        func: TableFn::Clip {
            lo: i64::MIN,
            hi: i64::MAX,
        },
        ..relu.clone()
    };
    let mut c = Case::from_program(doctored, honest.inputs.clone());
    // Its own architecture (identity table) is sound; the stated Relu architecture is not.
    assert!(!c.key_rejected(&c.key.vk_file));
    c.key.vk.program = model::strip_weights(&honest.key.program);
    c.key.reseal().unwrap();
    assert!(c.key_rejected(&c.key.vk_file));
}

/// The same with a copy: the key's σ columns encode another wiring than the architecture's.
#[test]
fn a_key_whose_wiring_is_not_its_architectures_is_refused() {
    let honest = Case::new("transpose_relu");
    let mut doctored = honest.key.program.clone();
    let copy = doctored
        .instances
        .iter_mut()
        .find(|i| matches!(i.block, Block::Copy { .. }))
        .unwrap();
    let Block::Copy { spec } = &copy.block else {
        unreachable!()
    };
    let mut w: Wiring = spec.expand().unwrap();
    w.output.swap(0, 1);
    w.output[2] = Source::Const(0);
    copy.block = Block::Copy {
        spec: WiringSpec::Explicit(w),
    };
    let mut c = Case::from_program(doctored, honest.inputs.clone());
    assert!(!c.key_rejected(&c.key.vk_file));
    c.key.vk.program = model::strip_weights(&honest.key.program);
    c.key.reseal().unwrap();
    assert!(c.key_rejected(&c.key.vk_file));
}

/// A private weight column that is not the weights tiled with zero padding (a commitment
/// changed in the key) fails its tiling proof.
#[test]
fn a_key_whose_weights_are_not_tiled_is_refused() {
    let mut c = Case::new("bias_relu");
    let ix = c
        .key
        .vk
        .keys
        .iter()
        .position(|k| matches!(k, model::InstanceVerifierKey::MatMul(m) if !m.tiling.is_empty()))
        .unwrap();
    if let model::InstanceVerifierKey::MatMul(m) = &mut c.key.vk.keys[ix] {
        m.columns[0] = Commitment((m.columns[0].0 + G1Affine::generator()).into_affine());
    }
    c.key.reseal().unwrap();
    assert!(c.key_rejected(&c.key.vk_file));
}

// ---- the input -----------------------------------------------------------------------------

/// A server answers input x with a valid proof for x′: `verify --input x` rejects it.
#[test]
fn a_proof_for_another_input_is_rejected_when_the_input_is_given() {
    let c = Case::new("bias_relu");
    let other = vec![vec![0.25f32; 8]];
    let (file, _) = api::prove_model(&c.key, &other, true).unwrap();
    assert!(api::verify_proof(&file, None, &c.trust()).is_ok());
    assert!(api::check_inputs(&file, &c.key.vk_file, &other).is_ok());
    assert!(matches!(
        api::check_inputs(&file, &c.key.vk_file, &c.inputs),
        Err(Error::Verification(_))
    ));
}

// ---- the second audit's findings -------------------------------------------------------------

fn compiled(name: &str) -> (Program, Vec<Vec<f32>>) {
    let path = fixture(&format!("{name}.onnx"));
    let graph = onnx::load(&path).unwrap();
    let inputs =
        onnx::read_input_json(&fixture(&format!("{name}.input.json")), &graph.inputs).unwrap();
    let (_, program) = api::compile_model(
        &zktorch::onnx::ModelFile::new(&path),
        std::slice::from_ref(&inputs),
    )
    .unwrap();
    (program, inputs)
}

fn add_tensor(p: &mut Program, name: &str, shape: Vec<usize>, kind: TensorKind) -> usize {
    let id = p.tensors.len();
    p.tensors.push(zktorch::compile::Tensor {
        id,
        name: name.into(),
        shape,
        scale_bits: p.config.weight_bits,
        kind,
    });
    id
}

/// The stated architecture feeds a private product a *public* constant (C = 0, so the stated
/// model ignores its input) while the key's columns hold the real W: malformed. Two products
/// may read one weight tensor (tied weights, an RNN's R at every step) only with the same
/// dimensions, and then they share one key, stored once in the key file: an owner who commits
/// another W for the second product (a model whose weights change between time steps) cannot
/// write it down, and a checked key holds the first product's W for both.
#[test]
fn a_products_weights_must_be_its_own() {
    let (mut p, inputs) = compiled("bias_relu");
    let mm = p
        .instances
        .iter()
        .position(|i| matches!(i.block, Block::MatMulConst { .. }))
        .unwrap();
    let w = p.instances[mm].inputs[1];
    let (shape, len) = (p.tensors[w].shape.clone(), p.tensors[w].len());
    // 1. A public constant C = 0 stated as the product's weight.
    let c = add_tensor(
        &mut p,
        "public_C",
        shape.clone(),
        TensorKind::Weight {
            values: vec![0; len],
        },
    );
    p.outputs.push((
        "public_C".into(),
        zktorch::compile::NamedTensor { tensor: c, shape },
    ));
    let mut case = Case::from_program(p.clone(), inputs.clone());
    let mut stated = model::strip_weights(&p);
    stated.instances[mm].inputs[1] = c;
    assert!(stated.check_dataflow().is_err());
    case.key.vk.program = stated;
    case.key.reseal().unwrap();
    assert!(case.key_rejected(&case.key.vk_file));
    // 2. Tied weights: a second product reading the first one's W.
    let (mut p, inputs) = compiled("bias_relu");
    let first = p.instances[mm].clone();
    let y_shape = p.tensors[first.output].shape.clone();
    let y2 = add_tensor(&mut p, "y2", y_shape.clone(), TensorKind::Output);
    let mut second = first.clone();
    second.layer = "second".into();
    second.output = y2;
    p.instances.push(second);
    p.outputs.push((
        "y2".into(),
        zktorch::compile::NamedTensor {
            tensor: y2,
            shape: y_shape,
        },
    ));
    p.check_dataflow().unwrap();
    let second_ix = p.instances.len() - 1;
    let mut case = Case::from_program(p.clone(), inputs.clone());
    assert_eq!(case.key.vk.keys[second_ix], case.key.vk.keys[mm]);
    let (public, proof) = case.prove(&inputs);
    assert!(case.accepts(&public, &proof));
    // The second product's key made from another W (every weight + 1).
    let model::InstanceVerifierKey::MatMul(first) = case.key.vk.keys[mm].clone() else {
        panic!("a product without a matrix-product key");
    };
    let w_values = match &case.key.program.tensors[w].kind {
        TensorKind::Weight { values } => values.iter().map(|v| v + 1).collect(),
        other => panic!("a product's W of kind {other:?}"),
    };
    let other = zktorch::blocks::matmul::MatMulKey::on_domain(
        &case.srs,
        first.dims,
        w_values,
        first.log_n,
        &mut rand::thread_rng(),
    )
    .unwrap();
    case.key.vk.keys[second_ix] = model::InstanceVerifierKey::MatMul(other.verifier_key().clone());
    case.key.keys[second_ix] = model::InstanceKey::MatMul(other);
    case.key.reseal().unwrap();
    let checked = model::check_key(&case.key.vk_file, &case.trust()).unwrap();
    assert_eq!(checked.vk().keys[second_ix], checked.vk().keys[mm]);
    assert_ne!(checked.vk().keys[second_ix], case.key.vk.keys[second_ix]);
    // Proofs made with the doctored prover key are rejected.
    let mut rng = rand::thread_rng();
    if let Ok((w2, proof)) = model::prove(&case.key, &inputs, &mut rng) {
        assert!(model::verify(&checked, &slots(&case.key.program, &w2), &proof).is_err());
    }
    // A tie between products of different dimensions is malformed.
    let mut q = p.clone();
    let Block::MatMulConst {
        rows, inner, cols, ..
    } = q.instances[second_ix].block
    else {
        panic!("the second product is not a product");
    };
    let index = q.inputs.len();
    let x3 = add_tensor(
        &mut q,
        "x3",
        vec![rows + 1, inner],
        TensorKind::Input { index },
    );
    q.inputs.push(x3);
    let y3 = add_tensor(&mut q, "y3", vec![rows + 1, cols], TensorKind::Activation);
    let mut third = q.instances[second_ix].clone();
    third.block = Block::MatMulConst {
        rows: rows + 1,
        inner,
        cols,
        taps: None,
    };
    third.inputs[0] = x3;
    third.output = y3;
    third.layer = "third".into();
    q.instances.push(third);
    let err = q.check_dataflow().unwrap_err();
    assert!(err.contains("tied"), "{err}");
    // A product claiming a convolution form with taps beyond any domain (or none at all) is
    // refused with an error, never an overflow.
    for (kh, kw, dil) in [
        (usize::MAX, usize::MAX, usize::MAX),
        (0, 0, 1),
        (1 << 40, 3, 1 << 30),
    ] {
        let mut q = p.clone();
        q.instances[second_ix].block = Block::MatMulConst {
            rows,
            inner,
            cols,
            taps: Some(zktorch::blocks::matmul::Taps {
                kh,
                kw,
                dil_h: dil,
                dil_w: dil,
                row_len: usize::MAX,
            }),
        };
        assert!(q.check_dataflow().is_err());
    }
}

/// An architecture that lists values for a private weight (an "open weights" claim the proofs
/// never use) is refused.
#[test]
fn an_architecture_listing_private_weight_values_is_refused() {
    let mut c = Case::new("bias_relu");
    let bias = c
        .key
        .program
        .instances
        .iter()
        .find(|i| i.block == Block::Add)
        .unwrap()
        .inputs
        .iter()
        .copied()
        .find(|&t| matches!(c.key.program.tensors[t].kind, TensorKind::Weight { .. }))
        .unwrap();
    let len = c.key.program.tensors[bias].len();
    c.key.vk.program.tensors[bias].kind = TensorKind::Weight {
        values: vec![1000; len],
    };
    c.key.reseal().unwrap();
    assert!(c.key_rejected(&c.key.vk_file));
}

/// A key (anchored on the public ceremony, which anyone can name) whose copy spec is
/// degenerate: rejected at once, never a hang, never a panic.
#[test]
fn degenerate_wiring_specs_are_refused_at_once() {
    use zktorch::compile::wiring::Window2d;
    let big = 1usize << 27;
    let window = Window2d {
        n: 1,
        c: 1 << 9,
        h: 0,
        w: 0,
        kh: 0,
        kw: 0,
        oh: big,
        ow: big,
        stride: (1, 1),
        dilation: (1, 1),
        pad: (0, 0),
    };
    let specs = [
        WiringSpec::Concat {
            shapes: vec![vec![1 << 30, 1 << 30, 0]; 2],
            axis: 2,
        },
        WiringSpec::Concat {
            shapes: vec![vec![0, 1 << 40, 1 << 40]],
            axis: 0,
        },
        WiringSpec::Transpose {
            shape: vec![0, 1 << 40, 1 << 40],
            perm: vec![2, 1, 0],
        },
        WiringSpec::Im2col(window),
        WiringSpec::PoolWindows { window, pad: None },
        WiringSpec::PaddedRows(window),
        WiringSpec::ConvAnchors {
            window,
            oc: 1 << 40,
        },
        // A valid input whose dilated taps reach beyond any domain.
        WiringSpec::ConvAnchors {
            window: Window2d {
                n: 1,
                c: 1,
                h: 4,
                w: 4,
                kh: 3,
                kw: 3,
                oh: 2,
                ow: 2,
                stride: (1, 1),
                dilation: (1 << 26, 1 << 26),
                pad: (0, 0),
            },
            oc: 1 << 20,
        },
    ];
    let honest = Case::new("transpose_relu");
    let hermez = zktorch::srs::ptau::import(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/powersOfTau28_hez_final_08.ptau"),
        Some(4),
    )
    .unwrap()
    .verifier_key()
    .tau_h;
    for spec in specs {
        let started = std::time::Instant::now();
        assert!(spec.expand().is_err(), "{spec:?}");
        let mut c = Case::new("transpose_relu");
        let copy = c
            .key
            .vk
            .program
            .instances
            .iter_mut()
            .find(|i| matches!(i.block, Block::Copy { .. }))
            .unwrap();
        copy.block = Block::Copy { spec: spec.clone() };
        c.key.reseal().unwrap();
        let mut file = c.key.vk_file.clone();
        file.pcs.tau_h = hermez;
        file.srs_label = "ceremony:hermez-ptau28".into();
        assert!(model::check_key(&file, &Trust::ceremonies()).is_err());
        assert!(honest.key_rejected(&c.key.vk_file));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{spec:?}"
        );
    }
}

/// A key stating a larger domain than its program implies (to make its own check cost
/// seconds and gigabytes) is refused before any domain-sized work; a key above the verifier's
/// limit is refused with the limit named.
#[test]
fn a_key_cannot_choose_the_cost_of_its_check() {
    let c = Case::new("transpose_relu");
    for log_n in [c.key.vk.log_n + 1, 21, 26] {
        let mut vk = c.key.vk.clone();
        vk.log_n = log_n;
        let file = model::vk_file(&vk).unwrap();
        let started = std::time::Instant::now();
        assert!(model::check_key(&file, &c.trust().with_max_log_domain(27)).is_err());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "log_n {log_n}: {:?}",
            started.elapsed()
        );
    }
    let small = c.trust().with_max_log_domain(c.key.vk.log_n - 1);
    let err = model::check_key(&c.key.vk_file, &small).unwrap_err();
    assert!(err.to_string().contains("--max-domain-log"), "{err}");
}

// ---- advice values (PROTOCOLS §4.16) ---------------------------------------------------------

/// An advice value (σ = ⌊√(w/k)⌋, a quotient by σ) has no proof of its own, only the checks
/// that follow it. An architecture that makes a one-sided range check two-sided, lowers its
/// range below its least end, drops a check, or points one at another tensor would state an
/// unconstrained value: it is malformed, and a key stating it is refused.
#[test]
fn an_advice_value_must_be_followed_by_its_checks() {
    use zktorch::compile::AdviceFn;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ops/layernorm_decomposed.onnx");
    let graph = onnx::load(&path).unwrap();
    let inputs = onnx::read_input_json(&path.with_extension("input.json"), &graph.inputs).unwrap();
    let (_, p) = api::compile_model(
        &zktorch::onnx::ModelFile::new(&path),
        std::slice::from_ref(&inputs),
    )
    .unwrap();
    assert!(p.check_dataflow().is_ok());
    let sqrt = p
        .instances
        .iter()
        .position(|i| {
            matches!(
                i.block,
                Block::Advice {
                    func: AdviceFn::FloorSqrt { .. }
                }
            )
        })
        .unwrap();
    // Template: 0 σ ≥ 0, 1 σ², 2 k·σ², 3 t₁ = w − k·σ², 4 t₁ ≥ 0, 5 2kσ, 6 t₂, 7 t₂ ≥ 1 − k.
    let t1_check = sqrt + 5;
    let Block::RangeCheck { range, .. } = p.instances[t1_check].block else {
        panic!("the check of t₁ is a range check")
    };
    let (_, hi) = range.unwrap();
    // `t₁ ≥ 0` made two-sided (t₁ could be negative: σ above √(w/k)).
    let mut two_sided = p.clone();
    two_sided.instances[t1_check].block = Block::RangeCheck {
        min: None,
        range: Some((-hi, hi)),
    };
    // Its range lowered below 0.
    let mut lowered = p.clone();
    lowered.instances[t1_check].block = Block::RangeCheck {
        min: Some(0),
        range: Some((-hi, hi)),
    };
    // The same check reading σ² instead of t₁.
    let mut other = p.clone();
    other.instances[t1_check].inputs = vec![p.instances[sqrt + 2].output];
    // The last check gone (turned into a scaling by 1).
    let mut dropped = p.clone();
    dropped.instances[sqrt + 8].block = Block::ScaleConst { k: 1 };
    for (what, bad) in [
        ("two-sided", &two_sided),
        ("lowered", &lowered),
        ("other", &other),
        ("dropped", &dropped),
    ] {
        assert!(bad.check_dataflow().is_err(), "{what}");
        assert!(api::plan_model(bad, &inputs).is_err(), "{what}");
    }
    // And a key stating the two-sided check is refused by the verifier's key check.
    let mut case = Case::from_program(p.clone(), inputs);
    case.key.vk.program = model::strip_weights(&two_sided);
    case.key.reseal().unwrap();
    assert!(case.key_rejected(&case.key.vk_file));
}
