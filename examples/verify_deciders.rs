//! Measures the model verifier with both deciders (tree accumulation vs one random linear
//! combination) and tree vs sequential folding of the proof's relaxed equations.
//!
//! `cargo run --release --example verify_deciders [models/mlp.onnx]`

use std::path::PathBuf;
use std::time::Instant;
use zktorch::api;
use zktorch::model::{self, Decider};
use zktorch::pcs::PairingBatch;
use zktorch::srs::anchor::Trust;
use zktorch::srs::Srs;

fn main() -> zktorch::Result<()> {
    let model = PathBuf::from(std::env::args().nth(1).unwrap_or("models/mlp.onnx".into()));
    let input = model.with_extension("input.json");
    let graph = zktorch::onnx::load(&model)?;
    let inputs = zktorch::onnx::read_input_json(&input, &graph.inputs)?;
    let (_, program) = api::compile_model(
        &zktorch::onnx::ModelFile::new(&model),
        std::slice::from_ref(&inputs),
    )?;
    let plan = api::plan_model(&program, &inputs)?;
    let srs = Srs::insecure_for_tests(plan.srs_power, 1);
    let key = api::setup_model(&srs, &program, &plan, [1u8; 32])?;
    let (file, _) = api::prove_model(&key, &inputs, false)?;
    let proof = model::proof_from_parts(&key.vk, &file.g1, &file.scalars)?;
    let public: Vec<Vec<i64>> = file
        .inputs
        .iter()
        .chain(&file.outputs)
        .map(|t| t.data.clone())
        .collect();
    let t = Instant::now();
    let checked = model::check_key(&key.vk_file, &Trust::for_srs(&srs))?;
    println!(
        "key check (once per key): {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let reps = 20;
    for decider in [Decider::Batch, Decider::Accumulate] {
        let t = Instant::now();
        for _ in 0..reps {
            model::verify_with(&checked, &public, &proof, decider)?;
        }
        println!(
            "verify with {decider:?}: {:.2} ms",
            t.elapsed().as_secs_f64() * 1e3 / reps as f64
        );
    }
    // 64 true KZG claims of one class (C = 3·[1], opened at 2 to 3 with a zero witness), folded
    // as a tree and sequentially.
    let mut eqs = Vec::new();
    let g = <ark_bn254::G1Affine as ark_ec::AffineRepr>::generator();
    let zero = <ark_bn254::G1Affine as ark_ec::AffineRepr>::zero();
    let three = ark_bn254::Fr::from(3u64);
    for _ in 0..64 {
        let mut b = PairingBatch::recording();
        b.add_opening(
            &key.vk.pcs,
            &[(g, three)],
            ark_bn254::Fr::from(2u64),
            three,
            zero,
        );
        eqs.extend_from_slice(b.relaxed());
    }
    let per_class = zktorch::accumulate::classes(&eqs);
    for (_, list) in per_class {
        let t = Instant::now();
        let tree = zktorch::accumulate::fold_tree(list.clone());
        let tree_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let seq = zktorch::accumulate::fold_sequential(&list);
        let seq_ms = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{} equations of one class: tree fold {tree_ms:.2} ms, sequential {seq_ms:.2} ms (both hold: {})",
            list.len(),
            tree.is_some_and(|e| e.holds()) && seq.is_some_and(|e| e.holds())
        );
    }
    Ok(())
}
