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
    for cmd in ["setup", "prove", "verify", "inspect", "srs"] {
        assert!(t.contains(cmd), "top-level help lacks {cmd}");
    }
    let cases: &[(&[&str], &str)] = &[
        (&["setup", "--help"], "verifying key"),
        (&["prove", "--help"], "input_data"),
        (&["verify", "--help"], "1 = invalid"),
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
