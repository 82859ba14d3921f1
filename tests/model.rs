//! End to end on the bundled models: setup, prove, verify; and a proof with anything changed —
//! an output, an input, a commitment, a proof element — is rejected.

use ark_bn254::G1Affine;
use ark_ec::{AffineRepr, CurveGroup};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use zktorch::compile::{self, Program};
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
    ] {
        let s = setup_at(&dir, name);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (w, proof) = model::prove(&s.key, &s.inputs, &mut rng).unwrap();
        let public = public_values(&s.key, &w);
        assert!(accepts(&s.key, &public, &proof), "{name}");
        let mut bad = public.clone();
        let last = bad.len() - 1;
        bad[last][0] += 1;
        assert!(!accepts(&s.key, &bad, &proof), "{name}: a changed output");
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
