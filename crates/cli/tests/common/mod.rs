//! Helpers shared by the CLI's integration tests: run the real binary, copy test wallets.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The vector wallet folder written by Python bittensor-wallet 4.1.1 (kept in the wallet crate).
pub fn vector_wallets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wallet/tests/data")
}

pub const VECTOR_COLDKEY: &str = "5H93oS7KfC1Y4vUAMVqShLSBkBa6vLpqL4hxqLiy4NSdFtbW";
pub const VECTOR_HOTKEY: &str = "5DHoog4tWJNA1YW2U6LZDXKj5U7c3xdpZjAkebrX1UdZU1Q5";
pub const VECTOR_ENCRYPTED_HOTKEY: &str = "5FBv8msXaMQ5fMWMiicvY7LHLCeSMy6JxmvfXqTjZnUV3RPh";
pub const VECTOR_COLDKEY_PASSWORD: &str = "correct-horse-Battery-9";

/// Copies a folder tree (the vector wallet) into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary wallet root holding a copy of `vector_wallet`.
pub fn vector_wallet_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &vector_wallets().join("vector_wallet"),
        &dir.path().join("vector_wallet"),
    );
    dir
}

/// `rustensor ARGS` with the wallet path set and no password in the environment.
pub fn rustensor(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rustensor"));
    command
        .arg("--wallet-path")
        .arg(root)
        .args(args)
        .env_remove("RUSTENSOR_PASSWORD")
        .env_remove("RUSTENSOR_WALLET_PATH")
        .stdin(std::process::Stdio::null());
    command
}

pub fn run(root: &Path, args: &[&str]) -> Output {
    rustensor(root, args).output().unwrap()
}

pub fn run_with_password(root: &Path, password: &str, args: &[&str]) -> Output {
    rustensor(root, args)
        .env("RUSTENSOR_PASSWORD", password)
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Parses stdout as one JSON document: `--json` must print nothing else there.
pub fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "command failed: {}",
        stderr(output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", stdout(output)))
}

/// Every file under `root` with its bytes, to prove a failed command touched nothing.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}
