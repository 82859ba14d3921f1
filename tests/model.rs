//! End to end on the bundled models: setup, prove, verify; and a proof with anything changed —
//! an output, an input, a commitment, a proof element — is rejected.

use ark_bn254::G1Affine;
use ark_ec::{AffineRepr, CurveGroup};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use zktorch::compile::{self, Block, Program};
use zktorch::model::{self, InstanceProof, ModelKey, ModelProof};
use zktorch::pcs::Commitment;
use zktorch::proof::VerifyingKey;
use zktorch::quant::{self, QuantConfig};
use zktorch::srs::anchor::Trust;
use zktorch::srs::Srs;
use zktorch::{onnx, witness};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Setup {
    key: ModelKey,
    inputs: Vec<Vec<f32>>,
}

fn setup(name: &str) -> Setup {
    setup_at(&root().join("models"), name)
}

fn setup_at(dir: &std::path::Path, name: &str) -> Setup {
    let path = dir.join(format!("{name}.onnx"));
    let graph = onnx::load(&path).unwrap();
    let inputs =
        onnx::read_input_json(&dir.join(format!("{name}.input.json")), &graph.inputs).unwrap();
    let mut program: Program = compile::compile(&graph, QuantConfig::default()).unwrap();
    quant::calibrate(&mut program, std::slice::from_ref(&inputs)).unwrap();
    let w = witness::run(&program, &inputs).unwrap();
    let plan = model::plan(&program, &w).unwrap();
    let srs = Srs::insecure_for_tests(plan.srs_power, 7);
    let key = model::setup(&srs, &program, &plan, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    Setup { key, inputs }
}

fn public_values(key: &ModelKey, w: &witness::Witness) -> Vec<Vec<i64>> {
    let p = &key.program;
    p.inputs
        .iter()
        .copied()
        .chain(p.outputs.iter().map(|(_, n)| n.tensor))
        .map(|t| w.values[t].clone())
        .collect()
}

fn checked(key: &ModelKey) -> model::CheckedKey {
    model::check_key(&key.vk_file, &Trust::for_srs(&key.srs)).unwrap()
}

fn accepts(key: &ModelKey, public: &[Vec<i64>], proof: &ModelProof) -> bool {
    model::verify(&checked(key), public, proof).is_ok()
}

/// A fixture model proves and verifies, and its proof is rejected with a changed output.
fn proves_and_refuses_a_changed_output(dir: &std::path::Path, name: &str) {
    refuses_a_changed_output(&setup_at(dir, name), name);
}

/// A set-up model proves and verifies, and its proof is rejected with a changed output.
fn refuses_a_changed_output(s: &Setup, name: &str) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (w, proof) = model::prove(&s.key, &s.inputs, &mut rng).unwrap();
    let public = public_values(&s.key, &w);
    assert!(accepts(&s.key, &public, &proof), "{name}");
    let mut bad = public.clone();
    let last = bad.len() - 1;
    bad[last][0] += 1;
    assert!(!accepts(&s.key, &bad, &proof), "{name}: a changed output");
}

fn tweak(c: Commitment) -> Commitment {
    Commitment((c.0 + G1Affine::generator()).into_affine())
}

#[test]
fn mlp_proves_verifies_and_rejects_tampering() {
    let s = setup("mlp");
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (w, proof) = model::prove(&s.key, &s.inputs, &mut rng).unwrap();
    let public = public_values(&s.key, &w);
    assert!(accepts(&s.key, &public, &proof));
    let (g1, fr) = proof.size();
    eprintln!("mlp proof: {g1} G1 + {fr} F_r = {} bytes", 32 * (g1 + fr));

    // Through the file formats: the key and the proof read back are the same and still verify.
    let vk_bytes = s.key.vk_file.to_bytes();
    let vk_read = model::vk_from_file(&VerifyingKey::from_bytes(&vk_bytes).unwrap()).unwrap();
    assert_eq!(vk_read.digest, s.key.vk.digest);
    assert_eq!(vk_read.keys, s.key.vk.keys);
    assert_eq!(vk_read.program, s.key.vk.program);
    let (g1, fr) = model::proof_parts(&proof);
    let read = model::proof_from_parts(&vk_read, &g1, &fr).unwrap();
    assert_eq!(read, proof);
    let checked_read = model::check_key(
        &VerifyingKey::from_bytes(&vk_bytes).unwrap(),
        &Trust::for_srs(&s.key.srs),
    )
    .unwrap();
    assert!(model::verify(&checked_read, &public, &read).is_ok());
    // Elements missing: refused when read, or rejected when checked.
    for (g, f) in [(&g1[1..], &fr[..]), (&g1[..], &fr[..fr.len() - 1])] {
        let refused = model::proof_from_parts(&vk_read, g, f)
            .map_or(true, |p| model::verify(&checked_read, &public, &p).is_err());
        assert!(refused);
    }
    eprintln!("mlp verifying key: {} bytes", vk_bytes.len());

    // Another output value.
    let mut bad = public.clone();
    let last = bad.len() - 1;
    bad[last][3] += 1;
    assert!(!accepts(&s.key, &bad, &proof));
    // Another input value.
    let mut bad = public.clone();
    bad[0][100] += 1;
    assert!(!accepts(&s.key, &bad, &proof));
    // Every commitment of the first round.
    for i in 0..proof.public.len() {
        let mut p = proof.clone();
        p.public[i] = tweak(p.public[i]);
        assert!(!accepts(&s.key, &public, &p), "public commitment {i}");
    }
    for i in 0..proof.activations.len() {
        let mut p = proof.clone();
        p.activations[i] = tweak(p.activations[i]);
        assert!(!accepts(&s.key, &public, &p), "activation {i}");
    }
    let mut p = proof.clone();
    p.public_opening[0] = (p.public_opening[0] + G1Affine::generator()).into_affine();
    assert!(!accepts(&s.key, &public, &p));
    // One element of every instance proof.
    for i in 0..proof.instances.len() {
        let mut p = proof.clone();
        let changed = match &mut p.instances[i] {
            InstanceProof::Linear => false,
            InstanceProof::Hadamard(q) => {
                q.quotient = tweak(q.quotient);
                true
            }
            InstanceProof::MatMul(q) => {
                q.a = tweak(q.a);
                true
            }
            InstanceProof::MatProd(q) => {
                q.vectors[0] = tweak(q.vectors[0]);
                true
            }
            InstanceProof::Max(q) => {
                q.product = tweak(q.product);
                true
            }
            InstanceProof::Lookup(q) => {
                q.running_sum = tweak(q.running_sum);
                true
            }
            InstanceProof::Division(q) => {
                q.quotient.multiplicities = tweak(q.quotient.multiplicities);
                true
            }
            InstanceProof::Copy(q) => {
                q.grand_product = tweak(q.grand_product);
                true
            }
        };
        if changed {
            assert!(!accepts(&s.key, &public, &p), "instance {i}");
        }
    }
    // A proof for another input does not verify this input's statement.
    let mut other = s.inputs.clone();
    other[0][300] += 0.25;
    let (w2, proof2) = model::prove(&s.key, &other, &mut rng).unwrap();
    assert!(accepts(&s.key, &public_values(&s.key, &w2), &proof2));
    assert!(!accepts(&s.key, &public, &proof2));
}

/// The element-wise ops of issue #13 (new tables; Max/Min, PRelu, division by an activation
/// and a hand-written LayerNorm as compositions of existing blocks) prove, their keys pass the
/// key check (every table recomputed from the architecture), and a changed output is refused.
#[test]
fn elementwise_compositions_prove_and_reject_a_changed_output() {
    let dir = root().join("tests/fixtures/ops");
    for name in [
        "layernorm_decomposed",
        "min_three",
        "prelu_channels",
        "div_by_activation",
        "hardswish",
        "elu",
        "round",
        "pad_reflect",
        "pad_constant",
        "tile",
        "conv_transpose",
        "log",
        "softplus",
        "resize_nearest",
        "einsum_heads",
        "einsum_weight",
        "topk_ties",
        "conv1d_depthwise_pool",
        "conv_depthwise",
        "small_weights",
        "global_max_pool",
        "equal_one_hot",
        "equal_floor",
        "epsilon_before_root",
        "clip_tensor_bound",
        "log_softmax",
        "causal_additive_mask",
        "resize_bilinear",
        "cumsum_exclusive_reverse",
    ] {
        proves_and_refuses_a_changed_output(&dir, name);
    }
}

/// LSTM and GRU (unrolled over time): the recurrent matrices are one committed tensor per
/// direction, read by every step's product, and every step's key is the first step's (the key
/// check enforces it, tests/attacks.rs); the models prove and refuse a changed output.
#[test]
fn recurrent_weights_are_tied_across_steps() {
    let dir = root().join("tests/fixtures/ops");
    for (name, dirs) in [
        ("lstm", 1),
        ("lstm_bidirectional", 2),
        ("gru_bidirectional", 2),
        ("gru_before_reset", 1),
    ] {
        let s = setup_at(&dir, name);
        let p = &s.key.program;
        let products: Vec<usize> = (0..p.instances.len())
            .filter(|&ix| matches!(p.instances[ix].block, Block::MatMulConst { .. }))
            .collect();
        let matrices: std::collections::BTreeSet<usize> = products
            .iter()
            .map(|&ix| p.instances[ix].inputs[1])
            .collect();
        // W and R per direction (GRU with the reset before the product: R_h as well).
        assert!(
            matrices.len() <= 3 * dirs,
            "{name}: {} matrices",
            matrices.len()
        );
        let tied = p.tied_products();
        assert!(
            tied.iter().flatten().count() >= dirs,
            "{name}: no tied step"
        );
        for (ix, first) in tied.iter().enumerate() {
            if let Some(first) = *first {
                assert_eq!(s.key.vk.keys[ix], s.key.vk.keys[first], "{name}");
            }
        }
        refuses_a_changed_output(&s, name);
    }
}

/// A model proved in segments on two domains (tests/fixtures/onnx/two_domains.onnx): the
/// tensors crossing between them are bound, and every way of splicing segment proofs or
/// changing a boundary value is rejected (docs/PROTOCOLS.md §5.5).
#[test]
fn segments_bind_their_boundaries() {
    let s = setup_at(&root().join("tests/fixtures/onnx"), "two_domains");
    let key = &s.key;
    let domains: std::collections::BTreeSet<u32> =
        key.plan.segments.iter().map(|g| g.log_n).collect();
    assert!(domains.len() >= 2, "segments {:?}", key.plan.segments);
    assert!(!key.views.bindings.is_empty(), "no tensor crosses a domain");
    let ck = checked(key);
    let accepts =
        |_: &ModelKey, public: &[Vec<i64>], p: &ModelProof| model::verify(&ck, public, p).is_ok();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (w, proof) = model::prove(key, &s.inputs, &mut rng).unwrap();
    let public = public_values(key, &w);
    assert!(accepts(key, &public, &proof));
    let (g1, fr) = model::proof_parts(&proof);
    let read = model::proof_from_parts(&key.vk, &g1, &fr).unwrap();
    assert_eq!(read, proof);

    // Every binding element, every segment's quotient, witnesses and opened values.
    for i in 0..proof.running.len() {
        let mut p = proof.clone();
        p.running[i] = tweak(p.running[i]);
        assert!(!accepts(key, &public, &p), "running column {i}");
    }
    for i in 0..proof.binding_quotients.len() {
        let mut p = proof.clone();
        p.binding_quotients[i] = tweak(p.binding_quotients[i]);
        assert!(!accepts(key, &public, &p), "binding quotient {i}");
    }
    for sgm in 0..proof.identities.len() {
        let mut p = proof.clone();
        p.identities[sgm].quotient = tweak(p.identities[sgm].quotient);
        assert!(!accepts(key, &public, &p), "segment {sgm} quotient");
        for k in 0..proof.identities[sgm].opening.witnesses.len() {
            let mut p = proof.clone();
            let wit = &mut p.identities[sgm].opening.witnesses[k];
            *wit = (*wit + G1Affine::generator()).into_affine();
            assert!(!accepts(key, &public, &p), "segment {sgm} witness {k}");
        }
        for k in (0..proof.identities[sgm].opening.values.len()).step_by(3) {
            let mut p = proof.clone();
            p.identities[sgm].opening.values[k] += ark_bn254::Fr::from(1u64);
            assert!(!accepts(key, &public, &p), "segment {sgm} value {k}");
        }
    }
    // Segment proofs swapped, dropped, duplicated.
    let mut p = proof.clone();
    p.identities.swap(0, 1);
    assert!(!accepts(key, &public, &p));
    let mut p = proof.clone();
    p.identities.pop();
    assert!(!accepts(key, &public, &p));
    let mut p = proof.clone();
    p.identities[1] = p.identities[0].clone();
    assert!(!accepts(key, &public, &p));
    // A segment's proof from a proof of another input.
    let mut other = s.inputs.clone();
    other[0][5] += 0.5;
    other[0][700] -= 0.5;
    let (w2, proof2) = model::prove(key, &other, &mut rng).unwrap();
    assert!(accepts(key, &public_values(key, &w2), &proof2));
    for sgm in 0..proof.identities.len() {
        let mut p = proof.clone();
        p.identities[sgm] = proof2.identities[sgm].clone();
        assert!(
            !accepts(key, &public, &p),
            "segment {sgm} from another proof"
        );
    }

    // The attack: the large-domain segment proved on one input, the small-domain one on
    // another, each consistent on its own, the tensor between them holding two values. The
    // statement "f(input) = the other input's output" is false; its proof is rejected.
    let split = *domains.iter().last().unwrap();
    let forged = model::prove_mixed_witnesses(key, &w, &w2, split, &mut rng).unwrap();
    let mut mixed = public.clone();
    let last = mixed.len() - 1;
    mixed[last] = public_values(key, &w2)[last].clone();
    assert_ne!(mixed[last], public[last]);
    assert!(!accepts(key, &mixed, &forged));
    // Control: the same attack with one witness is an honest proof and is accepted.
    let honest = model::prove_mixed_witnesses(key, &w, &w, split, &mut rng).unwrap();
    assert!(accepts(key, &public, &honest));
}

/// The transformer ops (issue #12) prove, verify and refuse a changed output, and a false
/// witness for each of their relations is not accepted: a wrong table row gathered by a token
/// id, a LayerNorm σ or quotient off by one, a masked attention weight that is not zero. Each false
/// witness goes through the real prover ([`model::prove_witness`]), with a control that the
/// same path accepts the honest witness.
#[test]
fn transformer_ops_prove_and_refuse_false_statements() {
    use zktorch::compile::{AdviceFn, Block, WiringSpec};
    use zktorch::quant::TableFn;
    let dir = root().join("tests/fixtures/ops");
    for name in [
        "embedding",
        "layernorm",
        "erf",
        "gelu",
        "gelu_tanh",
        "instance_norm",
        "argmax",
        "masked_softmax",
        "matmul_batched",
        "split_sub",
        "slice_activation",
        "gather_activation",
        "where_select",
    ] {
        proves_and_refuses_a_changed_output(&dir, name);
    }

    let refused = |s: &Setup, w: &witness::Witness| -> bool {
        let public = public_values(&s.key, w);
        match model::prove_witness(&s.key, w, &mut ChaCha20Rng::seed_from_u64(9)) {
            Err(_) => true,
            Ok(p) => !accepts(&s.key, &public, &p),
        }
    };
    let table_fn = |s: &Setup, block: &Block| match block {
        Block::Lookup { table } => Some(s.key.program.tables[*table].func),
        _ => None,
    };

    // Embedding: token 0 reads the row of another token (one-hot and output moved together).
    let s = setup_at(&dir, "embedding");
    let p = &s.key.program;
    let w = witness::run(p, &s.inputs).unwrap();
    assert!(!refused(&s, &w), "the honest witness through prove_witness");
    let onehot = p
        .instances
        .iter()
        .find(|i| table_fn(&s, &i.block) == Some(TableFn::IsZero))
        .unwrap()
        .output;
    let product = p
        .instances
        .iter()
        .find(|i| matches!(i.block, Block::MatMulConst { .. }) && i.inputs[0] == onehot)
        .unwrap();
    let (v, width) = (
        p.tensors[onehot].shape[1],
        p.tensors[product.output].shape[1],
    );
    let table = match &p.tensors[product.inputs[1]].kind {
        compile::TensorKind::Weight { values } => values.clone(),
        _ => panic!("the table is a weight"),
    };
    let mut forged = w.clone();
    let id = s.inputs[0][0] as usize;
    let other = (id + 1) % v;
    forged.values[onehot][id] = 0;
    forged.values[onehot][other] = 1;
    for j in 0..width {
        forged.values[product.output][j] = table[other * width + j];
    }
    let out = p.outputs[0].1.tensor;
    if out != product.output {
        forged.values[out] = forged.values[product.output].clone();
    }
    assert_ne!(forged.values[out], w.values[out]);
    assert!(refused(&s, &forged), "a wrong table row gathered");
    // A token id outside the table has no witness.
    let mut outside = s.inputs.clone();
    outside[0][0] = v as f32;
    assert!(model::prove(&s.key, &outside, &mut ChaCha20Rng::seed_from_u64(2)).is_err());

    // LayerNorm, native and written out (Sqrt, Div): σ = ⌊√W⌋ one off either way, or the
    // quotient c/σ one off, every later value recomputed from the forged one (so only the
    // advice value's own checks are false). Control: the same path with nothing forged.
    for name in ["layernorm", "layernorm_decomposed"] {
        let s = setup_at(&dir, name);
        let p = &s.key.program;
        let advice = |f: fn(&AdviceFn) -> bool| -> usize {
            p.instances
                .iter()
                .position(|i| matches!(&i.block, Block::Advice { func } if f(func)))
                .unwrap()
        };
        let sqrt = advice(|f| matches!(f, AdviceFn::FloorSqrt { .. }));
        let quotient = advice(|f| matches!(f, AdviceFn::RoundDiv { .. }));
        let forged = |at: usize, delta: i64| {
            witness::run_forcing(p, &s.inputs, &mut |ix, v| {
                if ix == at {
                    v[0] += delta;
                }
            })
            .unwrap()
        };
        assert!(
            !refused(&s, &forged(sqrt, 0)),
            "{name}: the honest forcing path"
        );
        assert!(refused(&s, &forged(sqrt, 1)), "{name}: σ one too large");
        assert!(refused(&s, &forged(sqrt, -1)), "{name}: σ one too small");
        assert!(
            refused(&s, &forged(quotient, 1)),
            "{name}: c/σ one too large"
        );
        assert!(
            refused(&s, &forged(quotient, -1)),
            "{name}: c/σ one too small"
        );
    }

    // ArgMax: the index moved to a position that is not a maximum (every tensor after the
    // maximum moved with it, so only the IsZero relation is false).
    let s = setup_at(&dir, "argmax");
    let p = &s.key.program;
    let w = witness::run(p, &s.inputs).unwrap();
    let eq_ix = p
        .instances
        .iter()
        .position(|i| table_fn(&s, &i.block) == Some(TableFn::IsZero))
        .unwrap();
    let eq = p.instances[eq_ix].output;
    let later: Vec<_> = p.instances[eq_ix + 1..].iter().collect();
    let (weights, score, best, offset, index) = (
        later[0].output,
        later[1].output,
        later[2].output,
        later[3].output,
        later[4].output,
    );
    let len = p.tensors[eq].shape[1];
    let out = p.outputs[0].1.tensor;
    let move_max = |shift: usize| {
        let mut forged = w.clone();
        let row = &mut forged.values[eq][..len];
        let at = row.iter().position(|&v| v == 1).unwrap();
        row[at] = 0;
        row[(at + shift) % len] = 1;
        for j in 0..len {
            forged.values[score][j] = forged.values[eq][j] * w.values[weights][j];
        }
        forged.values[best][0] = *forged.values[score][..len].iter().max().unwrap();
        forged.values[index][0] = forged.values[offset][0] - forged.values[best][0];
        forged.values[out][0] = forged.values[index][0];
        forged
    };
    // Control: the same recomputation without a move is the honest witness.
    assert_eq!(move_max(0), w);
    let forged = move_max(1);
    assert_ne!(forged.values[out], w.values[out]);
    assert!(refused(&s, &forged), "an argmax that is not a maximum");

    // Masked softmax: a masked exponential that is not zero.
    let s = setup_at(&dir, "masked_softmax");
    let p = &s.key.program;
    let w = witness::run(p, &s.inputs).unwrap();
    let zeroed = p
        .instances
        .iter()
        .find(|i| {
            matches!(
                &i.block,
                Block::Copy {
                    spec: WiringSpec::Explicit(_)
                }
            ) && p.tensors[i.output].name.ends_with("/masked")
                && table_fn(
                    &s,
                    &p.instances
                        .iter()
                        .find(|j| j.output == i.inputs[0])
                        .unwrap()
                        .block,
                ) == Some(TableFn::Exp)
        })
        .unwrap()
        .output;
    let masked_entry = w.values[zeroed].iter().position(|&v| v == 0).unwrap();
    let mut forged = w.clone();
    forged.values[zeroed][masked_entry] = 1;
    assert!(refused(&s, &forged), "a masked weight that is not zero");
}

/// The tamper suite on a transformer's proof (a one-layer GPT-2-style decoder exported by
/// torch, tests/fixtures/onnx/gpt_micro.onnx): evenly spread samples of the proof's group
/// elements (64) and field elements (96) changed in turn, every public input and output entry
/// changed, each rejected; the honest proof read back from its parts is accepted.
#[test]
fn a_transformer_proof_rejects_tampered_elements() {
    use ark_bn254::Fr;
    let s = setup_at(&root().join("tests/fixtures/onnx"), "gpt_micro");
    let key = &s.key;
    let ck = checked(key);
    let ok = |public: &[Vec<i64>], p: &ModelProof| model::verify(&ck, public, p).is_ok();
    let (w, proof) = model::prove(key, &s.inputs, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    let public = public_values(key, &w);
    let (g1, fr) = model::proof_parts(&proof);
    let read = model::proof_from_parts(&key.vk, &g1, &fr).unwrap();
    assert!(ok(&public, &read));
    // Every kind of group element is covered by an evenly spread sample of 64 (the MLP's
    // tamper suite in tests/e2e.rs flips every byte).
    for i in (0..g1.len()).step_by(g1.len().div_ceil(64).max(1)) {
        let mut g = g1.clone();
        g[i] = (g[i] + G1Affine::generator()).into_affine();
        let p = model::proof_from_parts(&key.vk, &g, &fr).unwrap();
        assert!(!ok(&public, &p), "group element {i} of {}", g1.len());
    }
    let step = fr.len().div_ceil(96).max(1);
    for i in (0..fr.len()).step_by(step) {
        let mut f = fr.clone();
        f[i] += Fr::from(1u64);
        if let Ok(p) = model::proof_from_parts(&key.vk, &g1, &f) {
            assert!(!ok(&public, &p), "field element {i} of {}", fr.len());
        }
    }
    for t in 0..public.len() {
        for e in 0..public[t].len() {
            let mut bad = public.clone();
            bad[t][e] += 1;
            assert!(!ok(&bad, &proof), "public tensor {t} entry {e}");
        }
    }
}

/// A rescale by 2^k whose remainder table would set the domain is two divisions (a Conv whose
/// weights are ~10^-3 gets its own weight scale, 2^17): together they compute exactly the one
/// rounding `⌊(x + 2^(k−1))/2^k⌋`, and a quotient one off in either is refused by the prover
/// or the verifier (control: the same forcing path with nothing changed is accepted).
#[test]
fn a_split_rescale_rounds_exactly_and_refuses_a_wrong_quotient() {
    use zktorch::compile::Block;
    let s = setup_at(&root().join("tests/fixtures/ops"), "small_weights");
    let p = &s.key.program;
    let divs: Vec<usize> = (0..p.instances.len())
        .filter(|&i| matches!(p.instances[i].block, Block::DivConst { .. }))
        .collect();
    assert_eq!(divs.len(), 2, "the rescale is split in two");
    let (high, low) = (&p.instances[divs[0]], &p.instances[divs[1]]);
    assert_eq!(
        low.inputs[0], high.output,
        "the second divides the first's quotient"
    );
    let divisor = |i: &zktorch::compile::Instance| match i.block {
        Block::DivConst { divisor, .. } => divisor,
        _ => unreachable!(),
    };
    let product = high.inputs[0];
    let k = p.tensors[product].scale_bits - p.tensors[low.output].scale_bits;
    assert!(k > 12, "a weight scale above the user's 12 bits (k = {k})");
    assert_eq!(divisor(high) * divisor(low), 1i64 << k);
    assert!(divisor(high) < 1 << k && divisor(low) < 1 << k);
    let w = witness::run(p, &s.inputs).unwrap();
    for (acc, out) in w.values[product].iter().zip(&w.values[low.output]) {
        assert_eq!(Some(*out), quant::rescale(*acc, k), "exactly one rounding");
    }

    let refused = |w: &witness::Witness| -> bool {
        let public = public_values(&s.key, w);
        match model::prove_witness(&s.key, w, &mut ChaCha20Rng::seed_from_u64(9)) {
            Err(_) => true,
            Ok(proof) => !accepts(&s.key, &public, &proof),
        }
    };
    let forged = |at: usize, delta: i64| {
        witness::run_forcing(p, &s.inputs, &mut |ix, v| {
            if ix == at {
                v[0] += delta;
            }
        })
        .unwrap()
    };
    assert!(!refused(&forged(divs[0], 0)), "the honest forcing path");
    for at in divs {
        for delta in [1, -1] {
            assert!(
                refused(&forged(at, delta)),
                "quotient of {at} off by {delta}"
            );
        }
    }
}

/// Equal is `IsZero(a − b)`: a comparison flipped either way (a one-hot entry moved off its
/// token, or an unequal pair called equal) is refused, every later value recomputed from the
/// forged one (control: the same path with nothing changed is accepted).
#[test]
fn equal_refuses_a_flipped_comparison() {
    use zktorch::compile::Block;
    use zktorch::quant::TableFn;
    for name in ["equal_one_hot", "equal_floor"] {
        let s = setup_at(&root().join("tests/fixtures/ops"), name);
        let p = &s.key.program;
        let at = p
            .instances
            .iter()
            .position(|i| {
                matches!(i.block, Block::Lookup { table } if p.tables[table].func == TableFn::IsZero)
            })
            .unwrap();
        let honest = witness::run(p, &s.inputs).unwrap().values[p.instances[at].output].clone();
        let refused = |w: &witness::Witness| -> bool {
            let public = public_values(&s.key, w);
            match model::prove_witness(&s.key, w, &mut ChaCha20Rng::seed_from_u64(9)) {
                Err(_) => true,
                Ok(proof) => !accepts(&s.key, &public, &proof),
            }
        };
        let flipped = |j: usize| {
            witness::run_forcing(p, &s.inputs, &mut |ix, v| {
                if ix == at {
                    v[j] = 1 - v[j];
                }
            })
            .unwrap()
        };
        let forcing_nothing = witness::run_forcing(p, &s.inputs, &mut |_, _| {}).unwrap();
        assert!(
            !refused(&forcing_nothing),
            "{name}: the honest forcing path"
        );
        let one = honest.iter().position(|&v| v == 1).unwrap();
        let zero = honest.iter().position(|&v| v == 0).unwrap();
        assert!(
            refused(&flipped(one)),
            "{name}: an equal pair called unequal"
        );
        assert!(
            refused(&flipped(zero)),
            "{name}: an unequal pair called equal"
        );
    }
}
