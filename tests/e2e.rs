//! The tamper suite (issue #5): a real proof of the bundled MLP, then every group element, every
//! field element, every public input and output entry and the key digest changed in turn; proofs
//! made with other weights, for another input, with another output; truncated and random files.
//! Every one is rejected, and nothing panics.

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use std::sync::OnceLock;
use zktorch::api;
use zktorch::compile::{Program, TensorKind};
use zktorch::model::ModelKey;
use zktorch::proof::ProofFile;
use zktorch::srs::anchor::Trust;
use zktorch::srs::store::SrsStore;
use zktorch::srs::Srs;
use zktorch::{onnx, Error};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Fixture {
    key: ModelKey,
    inputs: Vec<Vec<f32>>,
    program: Program,
    srs: Srs,
    file: ProofFile,
    /// A store holding the (local, random) SRS, for the binary's `--srs-dir`.
    store: tempfile::TempDir,
}

fn trust() -> Trust {
    Trust::for_srs(&fixture().srs)
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let model = root().join("models/mlp.onnx");
        let graph = onnx::load(&model).unwrap();
        let inputs =
            onnx::read_input_json(&root().join("models/mlp.input.json"), &graph.inputs).unwrap();
        let (_, program) = api::compile_model(
            &zktorch::onnx::ModelFile::new(&model),
            std::slice::from_ref(&inputs),
        )
        .unwrap();
        let plan = api::plan_model(&program, &inputs).unwrap();
        // A real local SRS (random τ, discarded), in a store the binary is pointed at: what a
        // verifier on the proving machine trusts.
        let srs = Srs::local(plan.srs_power).unwrap();
        let store = tempfile::tempdir().unwrap();
        SrsStore::new(store.path()).save(&srs).unwrap();
        let key = api::setup_model(&srs, &program, &plan, [7u8; 32]).unwrap();
        let (file, _) = api::prove_model(&key, &inputs, true).unwrap();
        Fixture {
            key,
            inputs,
            program,
            srs,
            file,
            store,
        }
    })
}

/// The verdict on a proof file as `zktorch verify` would reach it (through the bytes).
/// The fixture's key, checked once (as `verify` records it); any other key is checked in full.
fn checked_key() -> &'static zktorch::model::CheckedKey {
    static K: OnceLock<zktorch::model::CheckedKey> = OnceLock::new();
    K.get_or_init(|| zktorch::model::check_key(&fixture().key.vk_file, &trust()).unwrap())
}

fn verdict(file: &ProofFile) -> Result<(), Error> {
    let bytes = file.to_bytes();
    let read = ProofFile::from_bytes(&bytes)?;
    if read.vk.as_ref() == Some(&fixture().key.vk_file) {
        api::verify_proof_checked(&read, checked_key()).map(|_| ())
    } else {
        api::verify_proof(&read, None, &trust()).map(|_| ())
    }
}

fn rejected(file: &ProofFile) -> bool {
    verdict(file).is_err()
}

#[test]
fn the_honest_proof_verifies_and_is_deterministic_in_its_key() {
    let f = fixture();
    assert!(verdict(&f.file).is_ok());
    // Setup is a function of (program, plan, SRS, seed): the prover's cache relies on it.
    let plan = api::plan_model(&f.program, &f.inputs).unwrap();
    let again = api::setup_model(&f.srs, &f.program, &plan, [7u8; 32]).unwrap();
    assert_eq!(again.vk.digest, f.key.vk.digest);
    let other = api::setup_model(&f.srs, &f.program, &plan, [8u8; 32]).unwrap();
    assert_ne!(other.vk.digest, f.key.vk.digest, "masks come from the seed");
    // The warm path: rebuilt with the cached key proof, the same key; another seed is refused.
    let warm = api::rebuild_model(&f.srs, &f.program, &plan, [7u8; 32], &f.key.vk_file).unwrap();
    assert_eq!(warm.vk_file, f.key.vk_file);
    assert!(api::rebuild_model(&f.srs, &f.program, &plan, [8u8; 32], &f.key.vk_file).is_err());
}

#[test]
fn every_group_and_field_element_changed_is_rejected() {
    let f = fixture();
    for i in 0..f.file.g1.len() {
        let mut bad = f.file.clone();
        bad.g1[i] = (bad.g1[i] + G1Affine::generator()).into_affine();
        assert!(rejected(&bad), "g1[{i}]");
    }
    for i in 0..f.file.scalars.len() {
        let mut bad = f.file.clone();
        bad.scalars[i] += Fr::one();
        assert!(rejected(&bad), "scalar {i}");
    }
    // Elements added or removed.
    let mut bad = f.file.clone();
    bad.g1.pop();
    assert!(rejected(&bad));
    let mut bad = f.file.clone();
    bad.scalars.push(Fr::one());
    assert!(rejected(&bad));
}

#[test]
fn every_public_entry_changed_is_rejected() {
    let f = fixture();
    for t in 0..f.file.inputs.len() {
        for i in 0..f.file.inputs[t].data.len() {
            let mut bad = f.file.clone();
            bad.inputs[t].data[i] += 1;
            assert!(rejected(&bad), "input {t}[{i}]");
        }
    }
    for t in 0..f.file.outputs.len() {
        for i in 0..f.file.outputs[t].data.len() {
            for delta in [1, -1, 1 << 20] {
                let mut bad = f.file.clone();
                bad.outputs[t].data[i] += delta;
                assert!(rejected(&bad), "output {t}[{i}] {delta:+}");
            }
        }
    }
}

#[test]
fn another_key_digest_or_key_is_rejected() {
    let f = fixture();
    let mut bad = f.file.clone();
    bad.vk_digest[0] ^= 1;
    assert!(rejected(&bad));
    // Pinned to the right key: valid; to another model's key: invalid.
    let pinned = f.key.vk_file.clone();
    let mut no_vk = f.file.clone();
    no_vk.vk = None;
    assert!(api::verify_proof(&no_vk, Some(&pinned), &trust()).is_ok());
    assert!(api::verify_proof(&no_vk, None, &trust()).is_err());
    // The same key, but nothing trusts its SRS: rejected (a proof on a local SRS convinces only
    // those who trust the machine that made it).
    assert!(matches!(
        api::verify_proof(&no_vk, Some(&pinned), &Trust::ceremonies()),
        Err(Error::Verification(_))
    ));
    let plan = api::plan_model(&f.program, &f.inputs).unwrap();
    let other = api::setup_model(&f.srs, &f.program, &plan, [9u8; 32]).unwrap();
    assert!(matches!(
        api::verify_proof(&no_vk, Some(&other.vk_file), &trust()),
        Err(Error::Verification(_))
    ));
}

#[test]
fn proofs_with_other_weights_another_input_or_output_are_rejected() {
    let f = fixture();
    // Other weights, same architecture: its proof, presented under this model's key.
    let mut program = f.program.clone();
    for t in &mut program.tensors {
        if let TensorKind::Weight { values } = &mut t.kind {
            if values.len() > 1000 {
                values[17] += 50;
                values[500] -= 50;
            }
        }
    }
    let plan = api::plan_model(&program, &f.inputs).unwrap();
    let other = api::setup_model(&f.srs, &program, &plan, [7u8; 32]).unwrap();
    let (theirs, _) = api::prove_model(&other, &f.inputs, false).unwrap();
    let mut forged = theirs.clone();
    forged.vk_digest = f.key.vk.digest;
    forged.vk = Some(f.key.vk_file.clone());
    assert!(rejected(&forged));
    assert!(api::verify_proof(&theirs, Some(&f.key.vk_file), &trust()).is_err());

    // Another input: its proof does not prove this input's output.
    let mut r = ChaCha20Rng::seed_from_u64(4);
    let mut other_input = f.inputs.clone();
    for v in other_input[0].iter_mut().take(100) {
        *v = r.gen_range(0.0..1.0);
    }
    let (proof_b, _) = api::prove_model(&f.key, &other_input, true).unwrap();
    assert!(verdict(&proof_b).is_ok());
    let mut mixed = proof_b.clone();
    mixed.inputs = f.file.inputs.clone();
    assert!(rejected(&mixed));
    let mut mixed = f.file.clone();
    mixed.outputs = proof_b.outputs.clone();
    assert!(rejected(&mixed) || proof_b.outputs == f.file.outputs);
}

#[test]
fn truncated_and_random_files_exit_2_without_panicking() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let bytes = f.file.to_bytes();
    let mut r = ChaCha20Rng::seed_from_u64(5);
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        bytes[..8].to_vec(),
        bytes[..bytes.len() / 2].to_vec(),
        bytes[..bytes.len() - 1].to_vec(),
        (0..4096).map(|_| r.gen()).collect(),
    ];
    let mut prefixed = bytes[..10].to_vec();
    prefixed.extend((0..4096).map(|_| r.gen::<u8>()));
    cases.push(prefixed);
    for (i, case) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.bin"));
        std::fs::write(&path, case).unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_zktorch"))
            .args(["verify", path.to_str().unwrap()])
            .arg("--srs-dir")
            .arg(f.store.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
    // The honest file through the binary: exit 0; one flipped output byte: exit 1.
    let good = dir.path().join("good.bin");
    std::fs::write(&good, &bytes).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(["verify", good.to_str().unwrap()])
        .arg("--srs-dir")
        .arg(f.store.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let mut bad = f.file.clone();
    bad.outputs[0].data[0] += 1;
    std::fs::write(&good, bad.to_bytes()).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(["verify", good.to_str().unwrap()])
        .arg("--srs-dir")
        .arg(f.store.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("invalid"));
}

/// Every single-byte change of the proof file (slow: thousands of verifications; run with
/// `cargo test --release -- --ignored`, which CI does).
#[test]
#[ignore]
fn every_byte_flipped_is_rejected() {
    let f = fixture();
    let bytes = f.file.to_bytes();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let ok = ProofFile::from_bytes(&b)
            .ok()
            .is_some_and(|file| verdict(&file).is_ok());
        assert!(!ok, "byte {i} flipped still verifies");
    }
}

/// A verifying key whose architecture says something else (every third digit of its JSON made
/// a 9: bigger shapes, other ids, other divisors, other domains) is refused or rejects the
/// proof; nothing panics.
#[test]
fn a_mutated_architecture_never_verifies_or_panics() {
    let f = fixture();
    let vk = &f.key.vk_file;
    let digits: Vec<usize> = vk
        .architecture
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_digit() && **b != b'9')
        .map(|(i, _)| i)
        .collect();
    let read = ProofFile::from_bytes(&f.file.to_bytes()).unwrap();
    let public: Vec<Vec<i64>> = read
        .inputs
        .iter()
        .chain(&read.outputs)
        .map(|t| t.data.clone())
        .collect();
    for &i in digits.iter().step_by(3) {
        let mut bad = vk.clone();
        bad.architecture[i] = b'9';
        let Ok(checked) = zktorch::model::check_key(&bad, &trust()) else {
            continue;
        };
        let verdict = zktorch::model::proof_from_parts(checked.vk(), &read.g1, &read.scalars)
            .and_then(|p| zktorch::model::verify(&checked, &public, &p));
        assert!(
            verdict.is_err(),
            "architecture byte {i} changed still verifies"
        );
    }
}
