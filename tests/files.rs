//! Keys and files are never lost (issue #10): a key is made once; a refused or failing command
//! leaves every cache byte-identical; concurrent first proofs make one key; the key pins its
//! SRS; writes are atomic; a closed pipe is not a crash; `inspect` plans what `prove` proves;
//! `--json` everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/attacks/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

const PTAU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/powersOfTau28_hez_final_08.ptau"
);

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zktorch"));
    c.args(args)
        .env("ZKTORCH_SRS_DIR", dir.join("srs"))
        .env("ZKTORCH_CACHE_DIR", dir.join("models"))
        .current_dir(dir);
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().expect("zktorch runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
}

/// Every file under `dir` with its bytes (lock files, which only ever hold nothing, excluded).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|x| x != "lock") {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

const MODEL: &str = "bias_relu.onnx";
const INPUT: &str = "bias_relu.input.json";

#[test]
fn a_key_is_made_once_and_never_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    let o = run(d, &["setup", &model, "--calibration", &input, "--json"]);
    ok(&o);
    let first = json(&o)["model_digest"].as_str().unwrap().to_string();
    assert_eq!(json(&o)["schema"], "zktorch/setup/v1");
    // Again: the same key, written again.
    let o = run(d, &["setup", &model, "-o", "again.vk"]);
    ok(&o);
    assert!(text(&o).contains(&first), "{}", text(&o));
    assert!(text(&o).contains("already set up"), "{}", text(&o));
    // New calibration without --force: refused, naming the digest and the flag; nothing changed.
    let before = snapshot(d);
    let o = run(d, &["setup", &model, "--calibration", &input]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&first) && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
    assert_eq!(snapshot(d), before);
    // A failing setup (unwritable -o, then a bad calibration file) leaves every cache as it was.
    let o = run(
        d,
        &["setup", &model, "--force", "-o", "/nonexistent/dir/m.vk"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(
        d,
        &[
            "setup",
            &model,
            "--force",
            "--calibration",
            "/nonexistent/in.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(snapshot(d), before);
    // -o onto the model itself is refused before any work.
    let o = run(d, &["setup", &model, "-o", &model]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("also an input"), "{}", text(&o));
    // --force: a new key; the old entry is kept, and named.
    let o = run(d, &["setup", &model, "--force", "-o", "new.vk", "--json"]);
    ok(&o);
    let v = json(&o);
    assert_ne!(v["model_digest"].as_str().unwrap(), first);
    assert_eq!(v["replaced"]["digest"].as_str().unwrap(), first);
    assert!(Path::new(v["replaced"]["kept_at"].as_str().unwrap())
        .join("seed")
        .exists());
    // -o onto a file holding another key: refused without --force.
    let o = run(d, &["setup", &model, "-o", "model.vk"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("holds another key"), "{}", text(&o));
    // `key info` names the digest and the SRS.
    let o = run(d, &["key", "info", "new.vk", "--json"]);
    ok(&o);
    assert_eq!(json(&o)["model_digest"], v["model_digest"]);
    assert_eq!(json(&o)["srs"]["label"], "local");
}

#[test]
fn a_missing_or_corrupt_cache_file_is_named_never_a_silent_resetup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    ok(&run(d, &["prove", &model, &input]));
    let entry = std::fs::read_dir(d.join("models"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("model.vk").exists())
        .unwrap();
    for (file, damage) in [
        ("plan.json", &b"{\"log"[..]),
        ("seed", b""),
        ("model.vk", b"ZKTR"),
    ] {
        let path = entry.join(file);
        let good = std::fs::read(&path).unwrap();
        std::fs::write(&path, damage).unwrap();
        let before = snapshot(d);
        let o = run(d, &["prove", &model, &input, "-o", "p2.bin"]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", text(&o));
        let t = text(&o);
        assert!(
            t.contains(&path.display().to_string()) && t.contains("--force"),
            "{t}"
        );
        assert_eq!(snapshot(d), before, "{file}");
        std::fs::remove_file(&path).unwrap();
        let o = run(d, &["prove", &model, &input, "-o", "p2.bin"]);
        assert_eq!(o.status.code(), Some(2), "{file} missing: {}", text(&o));
        assert!(
            text(&o).contains(&path.display().to_string()),
            "{}",
            text(&o)
        );
        std::fs::write(&path, good).unwrap();
    }
    ok(&run(d, &["prove", &model, &input, "-o", "p3.bin"]));
}

#[test]
fn concurrent_first_proofs_make_one_key_and_one_srs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    let children: Vec<_> = (0..2)
        .map(|i| {
            cmd(
                d,
                &[
                    "prove",
                    &model,
                    &input,
                    "-o",
                    &format!("p{i}.bin"),
                    "--json",
                    &format!("s{i}.json"),
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let digest = |i: usize| {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join(format!("s{i}.json"))).unwrap()).unwrap();
        v["model_digest"].as_str().unwrap().to_string()
    };
    assert_eq!(digest(0), digest(1));
    let zks = std::fs::read_dir(d.join("srs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "zks"))
        .count();
    assert_eq!(zks, 1);
    ok(&run(d, &["verify", "p0.bin"]));
    ok(&run(d, &["verify", "p1.bin"]));
}

/// The key pins its SRS: importing a ceremony (which setup would now prefer) after setup does
/// not change the SRS proofs of the existing key use.
#[test]
fn importing_a_ceremony_after_setup_does_not_break_proving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (
        fixture("reshape_only.onnx"),
        fixture("reshape_only.input.json"),
    );
    ok(&run(d, &["srs", "local", "--power", "3"]));
    ok(&run(d, &["prove", &model, &input, "--json", "a.json"]));
    ok(&run(d, &["srs", "import", PTAU]));
    ok(&run(
        d,
        &["prove", &model, &input, "-o", "b.bin", "--json", "b.json"],
    ));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join(f)).unwrap()).unwrap()
    };
    assert_eq!(
        read("a.json")["model_digest"],
        read("b.json")["model_digest"]
    );
    assert_eq!(read("b.json")["key_source"], "cached");
    assert_eq!(read("b.json")["srs"]["label"], "local");
    ok(&run(d, &["verify", "b.bin"]));
}

/// A write that fails half-way (a file-size limit, like a full disk) leaves no partial proof.
#[test]
fn a_failed_write_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    ok(&run(d, &["setup", &model, "--calibration", &input]));
    let bin = env!("CARGO_BIN_EXE_zktorch");
    // SIGXFSZ ignored: writes beyond the limit fail with EFBIG instead of killing the process.
    let script =
        format!("trap '' XFSZ; ulimit -f 8; exec '{bin}' prove '{model}' '{input}' -o big.bin");
    let o = Command::new("sh")
        .args(["-c", &script])
        .env("ZKTORCH_SRS_DIR", d.join("srs"))
        .env("ZKTORCH_CACHE_DIR", d.join("models"))
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("big.bin"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `zktorch verify proof.bin | head -1`: the reader goes away; the verdict is still the exit
/// code, and nothing panics.
#[test]
fn a_closed_pipe_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    ok(&run(d, &["prove", &model, &input]));
    for args in [&["verify", "proof.bin"][..], &["srs", "info"][..]] {
        let mut child = cmd(d, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
}

/// `inspect` with an input plans the proof exactly as `setup` makes it.
#[test]
fn inspect_and_setup_agree_on_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut cases: Vec<(String, String)> = [
        "bias_relu",
        "transpose_relu",
        "linear_output",
        "alias_outputs",
    ]
    .iter()
    .map(|m| {
        (
            fixture(&format!("{m}.onnx")),
            fixture(&format!("{m}.input.json")),
        )
    })
    .collect();
    cases.push((
        format!("{root}/models/mlp.onnx"),
        format!("{root}/models/mlp.input.json"),
    ));
    for (model, input) in cases {
        let o = run(d, &["inspect", &model, &input, "--json"]);
        ok(&o);
        let planned = json(&o)["plan"].clone();
        assert_eq!(json(&o)["provable"], true);
        let o = run(
            d,
            &[
                "setup",
                &model,
                "--calibration",
                &input,
                "--json",
                "-o",
                "x.vk",
                "--force",
            ],
        );
        ok(&o);
        let v = json(&o);
        assert_eq!(planned["srs_power"], v["srs_power"], "{model}");
        assert_eq!(planned["log_domain"], v["log_domain"], "{model}");
    }
}

/// `prove --json` reports what was proved (and the error when it fails); `--output-json` and
/// `verify --expected-output` close the loop; `verify --json` is machine-readable.
#[test]
fn machine_readable_results_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    ok(&run(
        d,
        &[
            "prove",
            &model,
            &input,
            "--json",
            "s.json",
            "--output-json",
            "out.json",
        ],
    ));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("s.json")).unwrap()).unwrap();
    assert_eq!(s["schema"], "zktorch/prove/v1");
    for k in [
        "model_digest",
        "input_digest",
        "srs",
        "key_source",
        "outputs",
        "proof_bytes",
        "stages_s",
    ] {
        assert!(!s[k].is_null(), "{k} missing: {s}");
    }
    let o = run(
        d,
        &[
            "verify",
            "proof.bin",
            "--expected-output",
            "out.json",
            "--json",
        ],
    );
    ok(&o);
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["input_digest"], s["input_digest"]);
    // Another expected output: invalid (exit 1).
    let mut out: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out.json")).unwrap()).unwrap();
    let x = out["output_data"][0][0].as_f64().unwrap();
    out["output_data"][0][0] = serde_json::json!(x + 0.5);
    std::fs::write(d.join("other.json"), out.to_string()).unwrap();
    let o = run(
        d,
        &[
            "verify",
            "proof.bin",
            "--expected-output",
            "other.json",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(json(&o)["valid"], false);
    // A failing prove still writes its summary, with the error.
    std::fs::write(d.join("bad.json"), r#"{"input_data": [[1, 2]]}"#).unwrap();
    let o = run(
        d,
        &[
            "prove", &model, "bad.json", "-o", "p.bin", "--json", "f.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let f: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("f.json")).unwrap()).unwrap();
    assert!(f["error"].as_str().unwrap().contains("bad.json"), "{f}");
    assert!(!d.join("p.bin").exists());
    let o = run(d, &["srs", "info", "--json"]);
    ok(&o);
    assert_eq!(json(&o)["schema"], "zktorch/srs-info/v1");
}

/// An input outside the calibrated ranges names the layer and says which command fixes it.
#[test]
fn an_input_outside_the_calibrated_range_says_how_to_recalibrate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (fixture(MODEL), fixture(INPUT));
    ok(&run(d, &["setup", &model, "--calibration", &input]));
    std::fs::write(
        d.join("far.json"),
        r#"{"input_data": [[90, -90, 90, -90, 90, -90, 90, -90]]}"#,
    )
    .unwrap();
    let o = run(d, &["prove", &model, "far.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("outside")
            && t.contains("layer")
            && t.contains("zktorch setup")
            && t.contains("--calibration"),
        "{t}"
    );
}
