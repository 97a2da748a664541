//! `rustensor sim epoch` on every reference vector, scored by the reference's own checker
//! (`yuma-check.py`, copied from shared/tools), plus bad input that must name its field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should be loud

use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::Cli;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../yuma/tests/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_passes_the_reference_checker() {
    let files = vector_files();
    assert!(
        files.len() >= 31,
        "expected every vector file, found {}",
        files.len()
    );
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/yuma-check.py");
    let out_dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, out_dir.path());
    for vector in files {
        let name = vector.file_name().unwrap().to_str().unwrap().to_owned();
        let output = out_dir.path().join(&name);
        let ran = cli
            .run(&[
                "sim",
                "epoch",
                "--input",
                vector.to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
            ])
            .unwrap();
        assert!(ran.status.success(), "{name}: {}", ran.stderr);
        let checked = Command::new("python3")
            .arg(&checker)
            .arg(&vector)
            .arg(&output)
            .output()
            .expect("python3 runs the checker");
        assert!(
            checked.status.success(),
            "{name} fails yuma-check.py:\n{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}

#[test]
fn bad_scenarios_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, dir.path());
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../yuma/tests/data/subtensor_test_bonds.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut missing = base.clone();
    missing["hyperparameters"]
        .as_object_mut()
        .unwrap()
        .remove("kappa");
    let mut short = base.clone();
    short["epochs"][1]["input"]["stake"]
        .as_array_mut()
        .unwrap()
        .pop();
    let mut out_of_range = base.clone();
    out_of_range["epochs"][1]["input"]["weights"][0] = serde_json::json!([[99, 65535]]);
    for (doc, field) in [
        (missing, "kappa"),
        (short, "stake"),
        (out_of_range, "weights"),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, doc.to_string()).unwrap();
        let ran = cli
            .run(&["sim", "epoch", "--input", path.to_str().unwrap()])
            .unwrap();
        assert_eq!(ran.status.code(), Some(1));
        let err = ran.stderr;
        assert!(
            err.contains(field) && err.contains("hint:"),
            "{field}: {err}"
        );
    }
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{not json").unwrap();
    let ran = cli
        .run(&["sim", "epoch", "--input", garbage.to_str().unwrap()])
        .unwrap();
    assert_eq!(ran.status.code(), Some(1));
    assert!(ran.stderr.contains("JSON"), "{}", ran.stderr);
}
