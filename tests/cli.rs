//! The command line as a user meets it: help text, exit codes, SRS commands.

use std::process::{Command, Output};

fn zktorch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(args)
        .output()
        .expect("the zktorch binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/powersOfTau28_hez_final_08.ptau"
);

#[test]
fn every_subcommand_has_real_help() {
    let top = zktorch(&["--help"]);
    assert!(top.status.success());
    let t = text(&top);
    for cmd in ["setup", "prove", "verify", "inspect", "srs", "key"] {
        assert!(t.contains(cmd), "top-level help lacks {cmd}");
    }
    let cases: &[(&[&str], &str)] = &[
        (&["setup", "--help"], "verifying key"),
        (&["prove", "--help"], "input_data"),
        (&["verify", "--help"], "1 = invalid"),
        (&["verify", "--help"], "--require-ceremony"),
        (&["key", "check", "--help"], "architecture"),
        (&["inspect", "--help"], "basic blocks"),
        (&["srs", "--help"], "powers of tau"),
        (&["srs", "import", "--help"], "randomized pairing check"),
        (
            &["srs", "local", "--help"],
            "convinces only those who trust",
        ),
        (&["srs", "info", "--help"], "digest"),
    ];
    for (args, needle) in cases {
        let o = zktorch(args);
        assert!(o.status.success(), "{args:?}");
        assert!(text(&o).contains(needle), "{args:?} help lacks {needle:?}");
    }
}

#[test]
fn missing_files_are_named_and_exit_2() {
    for (args, path) in [
        (vec!["setup", "/nonexistent/m.onnx"], "/nonexistent/m.onnx"),
        (
            vec!["prove", "/nonexistent/m.onnx", "/nonexistent/in.json"],
            "/nonexistent/m.onnx",
        ),
        (
            vec!["verify", "/nonexistent/proof.bin"],
            "/nonexistent/proof.bin",
        ),
    ] {
        let o = zktorch(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o).contains(path), "{args:?}: {}", text(&o));
    }
}

#[test]
fn bad_flags_exit_2() {
    assert_eq!(zktorch(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        zktorch(&["srs", "local", "--power", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(zktorch(&[]).status.code(), Some(2));
}

#[test]
fn srs_import_info_and_local() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zktorch(&["srs", "import", FIXTURE, "--max-power", "5", "--srs-dir", d]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("power 5"), "{}", text(&o));
    let o = zktorch(&["srs", "local", "--power", "3", "--srs-dir", d]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("convinces only those who trust this machine"));
    let o = zktorch(&["srs", "info", "--srs-dir", d]);
    assert!(o.status.success());
    let t = text(&o);
    assert!(
        t.contains("ptau ceremony file") && t.contains("local"),
        "{t}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn corrupt_or_missing_ptau_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = zktorch(&["srs", "import", "/nonexistent/file.ptau", "--srs-dir", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("/nonexistent/file.ptau"), "{}", text(&o));

    let bytes = std::fs::read(FIXTURE).unwrap();
    let bad = dir.path().join("truncated.ptau");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let o = zktorch(&["srs", "import", bad.to_str().unwrap(), "--srs-dir", d]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("invalid ptau file"), "{}", text(&o));
    let stored = std::fs::read_dir(d)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .map(|e| e.path().extension().is_some_and(|x| x == "zks"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(stored, 0, "a refused file must not be stored");
}

fn attack_fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/attacks/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `zktorch` with its caches in `dir` (SRS store `dir/srs`, prover cache `dir/models`).
fn zktorch_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(args)
        .env("ZKTORCH_SRS_DIR", dir.join("srs"))
        .env("ZKTORCH_CACHE_DIR", dir.join("models"))
        .current_dir(dir)
        .output()
        .expect("the zktorch binary runs")
}

/// A proof on a local SRS verifies where that SRS is (and says so), is refused where it is not
/// and under --require-ceremony; `--input` pins the input; `key check` checks the key alone.
#[test]
fn verify_names_its_srs_and_checks_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = attack_fixture("bias_relu.onnx");
    let input = attack_fixture("bias_relu.input.json");
    let o = zktorch_in(d, &["prove", &model, &input]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("input digest"), "{}", text(&o));
    let o = zktorch_in(d, &["verify", "proof.bin"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("SRS local") && t.contains("input digest"), "{t}");
    // The key's check is recorded (checked once per machine)…
    let verdicts = std::fs::read_dir(d.join("models").join("checked"))
        .unwrap()
        .count();
    assert_eq!(verdicts, 1);
    // …but a recorded verdict never outlives the trust it was given under.
    let o = zktorch_in(d, &["verify", "proof.bin", "--require-ceremony"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let elsewhere = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(["verify", d.join("proof.bin").to_str().unwrap()])
        .env("ZKTORCH_SRS_DIR", elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("not one this verifier trusts"),
        "{}",
        text(&o)
    );
    // The input it was made for, and another one.
    let o = zktorch_in(d, &["verify", "proof.bin", "--input", &input]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let other = d.join("other.json");
    std::fs::write(
        &other,
        r#"{"input_data": [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]}"#,
    )
    .unwrap();
    let o = zktorch_in(
        d,
        &["verify", "proof.bin", "--input", other.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("another input"), "{}", text(&o));
    // The key alone.
    let vk = std::fs::read_dir(d.join("models"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("model.vk").exists())
        .unwrap()
        .join("model.vk");
    let o = zktorch_in(d, &["key", "check", vk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("key is sound"), "{}", text(&o));
    let o = zktorch_in(
        d,
        &["key", "check", vk.to_str().unwrap(), "--require-ceremony"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// On the public Hermez ceremony (its power-8 file): a proof any machine can check, and
/// `--require-ceremony` accepts it.
#[test]
fn a_proof_on_the_public_ceremony_verifies_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = zktorch_in(d, &["srs", "import", FIXTURE]);
    assert!(o.status.success(), "{}", text(&o));
    let model = attack_fixture("reshape_only.onnx");
    let input = attack_fixture("reshape_only.input.json");
    let o = zktorch_in(d, &["prove", &model, &input]);
    assert!(o.status.success(), "{}", text(&o));
    // A verifier with an empty store: the ceremony is built in.
    let elsewhere = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args([
            "verify",
            d.join("proof.bin").to_str().unwrap(),
            "--require-ceremony",
        ])
        .env("ZKTORCH_SRS_DIR", elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("ceremony:hermez-ptau28"), "{}", text(&o));
}

/// A model with a symbolic batch dimension (`x: [batch, 4]`): batch 1 by default (with a note),
/// another batch from `--input-shape` or from `"input_shapes"` in the input file, each its own
/// key; conflicting shapes and a wrong count of values are errors that say what to do.
#[test]
fn symbolic_batch_dimensions_are_resolved_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = format!(
        "{}/tests/fixtures/onnx/symbolic_dim.onnx",
        env!("CARGO_MANIFEST_DIR")
    );
    let write = |name: &str, body: &str| {
        let p = d.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let one = write("one.json", r#"{"input_data": [[0.5, -1, 2, 0.25]]}"#);
    let o = zktorch_in(d, &["prove", &model, &one, "--json", "one.summary.json"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("taken as batch 1") && t.contains("[1, 4]"),
        "{t}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("one.summary.json")).unwrap()).unwrap();
    assert!(s["assumed_shapes"][0]
        .as_str()
        .unwrap()
        .contains("\"batch\""));
    let o = zktorch_in(d, &["verify", "proof.bin"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let digest_one = s["model_digest"].as_str().unwrap().to_string();

    // Batch 3 from the flag: a different model (its own key), outputs of shape [3, 4].
    let three = write(
        "three.json",
        r#"{"input_data": [[1, -1, 2, 0, 0.5, 0.5, -3, 1, 0, 0, 1, 1]]}"#,
    );
    let o = zktorch_in(
        d,
        &[
            "prove",
            &model,
            &three,
            "--input-shape",
            "x=3,4",
            "-o",
            "three.bin",
            "--json",
            "three.summary.json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("[3, 4]") && !t.contains("taken as batch"), "{t}");
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("three.summary.json")).unwrap()).unwrap();
    assert_ne!(s["model_digest"].as_str().unwrap(), digest_one);
    let o = zktorch_in(d, &["verify", "three.bin", "--input", &three]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Batch 2 from the input file, as EZKL writes it.
    let two = write(
        "two.json",
        r#"{"input_data": [[1, 2, 3, 4, -1, -2, -3, -4]], "input_shapes": [[2, 4]]}"#,
    );
    let o = zktorch_in(d, &["inspect", &model, &two, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["inputs"][0][1], serde_json::json!([2, 4]));
    assert!(r.get("assumed_shapes").is_none());

    // The file and the flag disagree: both named, nothing written.
    let o = zktorch_in(
        d,
        &[
            "prove",
            &model,
            &two,
            "--input-shape",
            "x=3,4",
            "-o",
            "bad.bin",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("--input-shape x=3,4") && t.contains("two.json"),
        "{t}"
    );
    assert!(!d.join("bad.bin").exists());

    // Twelve values with no shape: the count error says batch 1 was assumed.
    let o = zktorch_in(d, &["prove", &model, &three, "-o", "bad.bin"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("expects 4 values") && t.contains("--input-shape"),
        "{t}"
    );

    // inspect and setup take the same flag.
    let o = zktorch_in(
        d,
        &["inspect", &model, &three, "--input-shape", "3,4", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["inputs"][0][1], serde_json::json!([3, 4]));
    let o = zktorch_in(
        d,
        &["setup", &model, "--input-shape", "x=3,4", "-o", "three.vk"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already set up"), "{}", text(&o));
    let o = zktorch_in(
        d,
        &["setup", &model, "--input-shape", "x=5,4", "-o", "five.vk"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--calibration"), "{}", text(&o));
}

/// A plan whose estimated memory is above `--max-memory` is refused before any work: exit 2, the
/// estimate and the flag named, no proof written and nothing cached.
#[test]
fn the_memory_limit_refuses_a_plan_it_cannot_fit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("proof.bin");
    let cache = dir.path().join("models");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp.onnx");
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp.input.json");
    let o = Command::new(env!("CARGO_BIN_EXE_zktorch"))
        .args(["prove", model, input, "--max-memory", "0.01", "-o"])
        .arg(&out)
        .arg("--srs-dir")
        .arg(dir.path().join("srs"))
        .env("ZKTORCH_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("--max-memory") && t.contains("GB"), "{t}");
    assert!(!out.exists());
    // (the model's lock file may stay, as for every command)
    let cached = std::fs::read_dir(&cache).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| !e.file_name().to_string_lossy().ends_with(".lock"))
        })
        .count()
    });
    assert_eq!(cached, 0, "a refused setup left a cache entry");
}

/// The "model digest" line of a prove's output.
fn model_digest(o: &Output) -> String {
    text(o)
        .lines()
        .find_map(|l| l.strip_prefix("model digest ").map(str::to_string))
        .unwrap_or_else(|| panic!("no model digest in {}", text(o)))
}

/// `--scale` / `--weight-scale` (issue #13): the precision is part of the committed model (other
/// scales are another key and digest, cached beside the first), a proof at a chosen scale
/// verifies, out-of-range scales are refused naming the flag, and `inspect --calibration`
/// reports every sample's error and class agreement, smaller at more bits.
#[test]
fn precision_is_the_users_choice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = attack_fixture("bias_relu.onnx");
    let input = attack_fixture("bias_relu.input.json");
    let o = zktorch_in(d, &["prove", &model, &input]);
    assert!(o.status.success(), "{}", text(&o));
    let default_digest = model_digest(&o);
    let o = zktorch_in(
        d,
        &["prove", &model, &input, "--scale", "12", "-o", "fine.bin"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("set it up"), "{}", text(&o));
    let fine_digest = model_digest(&o);
    assert_ne!(fine_digest, default_digest);
    let o = zktorch_in(d, &["verify", "fine.bin"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Cached: the same scale finds the same key; the default one is still there.
    let o = zktorch_in(
        d,
        &["prove", &model, &input, "--scale", "12", "-o", "again.bin"],
    );
    assert!(!text(&o).contains("set it up"), "{}", text(&o));
    assert_eq!(model_digest(&o), fine_digest);
    let o = zktorch_in(d, &["prove", &model, &input, "-o", "plain.bin"]);
    assert_eq!(model_digest(&o), default_digest);
    for bad in [["--scale", "3"], ["--weight-scale", "17"]] {
        let o = zktorch_in(d, &["prove", &model, &input, bad[0], bad[1]]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(bad[0]) && text(&o).contains("from 4 to 16"),
            "{}",
            text(&o)
        );
    }

    // inspect: one accuracy row per sample and output; more bits, no larger error.
    let root = env!("CARGO_MANIFEST_DIR");
    let mlp = format!("{root}/models/mlp.onnx");
    let first = format!("{root}/models/mlp.input.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let shifted: Vec<f64> = v["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() * 0.5 + 0.1)
        .collect();
    let second = d.join("second.json");
    std::fs::write(
        &second,
        serde_json::json!({ "input_data": [shifted] }).to_string(),
    )
    .unwrap();
    let relative = |scale: &str| -> Vec<f64> {
        let o = zktorch_in(
            d,
            &[
                "inspect",
                &mlp,
                &first,
                "--calibration",
                second.to_str().unwrap(),
                "--scale",
                scale,
                "--json",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["activation_bits"], scale.parse::<u32>().unwrap());
        let samples = r["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2);
        samples
            .iter()
            .map(|s| {
                let out = &s["outputs"][0];
                assert_eq!(out["argmax_rows"], 1);
                out["relative_error"].as_f64().unwrap()
            })
            .collect()
    };
    let (coarse, fine) = (relative("6"), relative("12"));
    for (c, f) in coarse.iter().zip(&fine) {
        assert!(f < c, "error at 2^12 {f} not below 2^6's {c}");
    }
    let o = zktorch_in(
        d,
        &[
            "inspect",
            &mlp,
            &first,
            "--calibration",
            second.to_str().unwrap(),
        ],
    );
    assert!(text(&o).contains("accuracy per sample"), "{}", text(&o));
    assert!(text(&o).contains("second.json"), "{}", text(&o));
}

/// `inspect --target`: every candidate scale measured on every sample; `resources` picks the
/// cheapest within 1% whose classes agree, `accuracy` the least error; the report is at the
/// chosen scales; `--target` with `--scale` and an unknown target are refused.
#[test]
fn a_calibration_target_chooses_the_scales() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = env!("CARGO_MANIFEST_DIR");
    let mlp = format!("{root}/models/mlp.onnx");
    let input = format!("{root}/models/mlp.input.json");
    let run = |target: &str| -> serde_json::Value {
        let o = zktorch_in(d, &["inspect", &mlp, &input, "--target", target, "--json"]);
        assert!(o.status.success(), "{}", text(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let error = |c: &serde_json::Value| c["max_relative_error"].as_f64().unwrap();
    for target in ["resources", "accuracy"] {
        let r = run(target);
        let p = &r["precision"];
        let cands = p["candidates"].as_array().unwrap();
        assert_eq!(cands.len(), 7, "scales 6 to 12");
        let (a, w) = (
            p["chosen"][0].as_u64().unwrap(),
            p["chosen"][1].as_u64().unwrap(),
        );
        assert_eq!(r["activation_bits"], a, "the report is at the chosen scale");
        assert_eq!(r["weight_bits"], w);
        let chosen = cands.iter().find(|c| c["activation_bits"] == a).unwrap();
        match target {
            "resources" => {
                assert!(error(chosen) <= 0.01 && chosen["classes_agree"] == true);
                let key = |c: &serde_json::Value| {
                    (c["srs_power"].as_u64(), c["memory_estimate"].as_u64())
                };
                for c in cands
                    .iter()
                    .filter(|c| error(c) <= 0.01 && c["classes_agree"] == true)
                {
                    assert!(key(chosen) <= key(c), "a cheaper candidate within 1%: {c}");
                }
            }
            _ => {
                for c in cands {
                    assert!(error(chosen) <= error(c), "a more accurate candidate: {c}");
                }
            }
        }
    }
    let o = zktorch_in(d, &["inspect", &mlp, &input, "--target", "speed"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("resources"), "{}", text(&o));
    let o = zktorch_in(
        d,
        &[
            "inspect", &mlp, &input, "--target", "accuracy", "--scale", "8",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
