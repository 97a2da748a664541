//! Round trip with the real Python tool: a coldkey that `rustensor` creates and encrypts opens in
//! bittensor-wallet 4.1.1 with the same address, and one that Python creates opens in `rustensor`.
//!
//! The test installs bittensor-wallet into a private venv under the target dir. It skips, saying
//! why on stderr, only when pip cannot install the package (no network to PyPI); without
//! python3, venv or pip it fails and says what to install.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should be loud

use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::Cli;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

const PACKAGE: &str = "bittensor-wallet==4.1.1";

/// A venv's python with bittensor-wallet installed. `Err(reason)` only when pip cannot download
/// or install the package (the one reason to skip); a missing python3, venv or pip, or a
/// package that installs but does not import, panics with what to fix.
fn python_with_bittensor_wallet() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("venv-bittensor-wallet-4.1.1");
    let python = venv.join("bin/python");
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", "import bittensor_wallet"])
            .output()
    };
    if imports(&python).is_ok_and(|o| o.status.success()) {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is needed to test wallet compatibility (install python3 with venv): {e}"
            )
        });
    assert!(
        made.status.success(),
        "python3 -m venv failed (install python3-venv): {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PACKAGE,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    if !pip.status.success() {
        let stderr = String::from_utf8_lossy(&pip.stderr);
        assert!(
            !stderr.contains("No module named pip"),
            "the venv has no pip (install python3-venv / ensurepip): {stderr}"
        );
        return Err(format!("pip could not install {PACKAGE}: {stderr}"));
    }
    let imported = imports(&python).unwrap_or_else(|e| panic!("cannot run python: {e}"));
    assert!(
        imported.status.success(),
        "{PACKAGE} installed but does not import: {}",
        String::from_utf8_lossy(&imported.stderr)
    );
    Ok(python)
}

fn python(python: &Path, script: &str, args: &[&str]) -> String {
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The SDK prints progress ("Decrypting...") before our answer, which is the last line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().last().unwrap_or("").trim().to_owned()
}

const OPEN_IN_PYTHON: &str = r#"
import sys
from bittensor_wallet import Wallet
root, name, password = sys.argv[1:4]
w = Wallet(name=name, hotkey="default", path=root)
print(w.get_coldkey(password=password).ss58_address, w.get_hotkey().ss58_address, w.get_coldkeypub().ss58_address)
"#;

const CREATE_IN_PYTHON: &str = r#"
import sys
from bittensor_wallet import Wallet
root, name, password = sys.argv[1:4]
w = Wallet(name=name, hotkey="default", path=root)
w.create_new_coldkey(n_words=12, use_password=True, overwrite=True, suppress=True, coldkey_password=password)
w.create_new_hotkey(n_words=12, use_password=False, overwrite=True, suppress=True)
print(w.coldkeypub.ss58_address, w.hotkey.ss58_address)
"#;

#[test]
fn python_bittensor_wallet_reads_ours_and_we_read_theirs() {
    let python_bin = match python_with_bittensor_wallet() {
        Ok(path) => path,
        Err(reason) => {
            eprintln!("SKIPPED python_bittensor_wallet_reads_ours_and_we_read_theirs: {reason}");
            return;
        }
    };
    let root = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, root.path());
    let root_str = root.path().to_str().unwrap();
    let password = "rust-made-Password-1";

    // rustensor writes, Python reads.
    let created = cli
        .run_with_password(
            password,
            &["--json", "wallet", "create", "--name", "from_rust"],
        )
        .unwrap()
        .json()
        .unwrap();
    let seen = python(
        &python_bin,
        OPEN_IN_PYTHON,
        &[root_str, "from_rust", password],
    );
    let coldkey = created["coldkey"].as_str().unwrap();
    let hotkey = created["hotkey"]["ss58"].as_str().unwrap();
    assert_eq!(seen, format!("{coldkey} {hotkey} {coldkey}"));

    // Python writes, rustensor reads.
    let python_password = "python-made-Password-2";
    let made = python(
        &python_bin,
        CREATE_IN_PYTHON,
        &[root_str, "from_python", python_password],
    );
    let (py_coldkey, py_hotkey) = made.split_once(' ').unwrap();
    let view = cli
        .run_with_password(
            python_password,
            &["--json", "wallet", "inspect", "--name", "from_python"],
        )
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(view["ss58"], py_coldkey);
    assert_eq!(view["hotkeys"][0]["ss58"], py_hotkey);
}
