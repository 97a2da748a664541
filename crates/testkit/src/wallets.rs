//! Wallet folders for tests: the vector wallet written by Python bittensor-wallet 4.1.1 (kept in
//! the keys crate's test data), copies of folder trees, and snapshots that prove a failed
//! command touched nothing.

use std::path::{Path, PathBuf};

use crate::error::{Result, TestkitError};

/// The vector wallet's coldkey address.
pub const VECTOR_COLDKEY: &str = "5H93oS7KfC1Y4vUAMVqShLSBkBa6vLpqL4hxqLiy4NSdFtbW";
/// The vector wallet's `default` hotkey address.
pub const VECTOR_HOTKEY: &str = "5DHoog4tWJNA1YW2U6LZDXKj5U7c3xdpZjAkebrX1UdZU1Q5";
/// The vector wallet's `encrypted_hotkey` address.
pub const VECTOR_ENCRYPTED_HOTKEY: &str = "5FBv8msXaMQ5fMWMiicvY7LHLCeSMy6JxmvfXqTjZnUV3RPh";
/// The password of the vector wallet's coldkey.
pub const VECTOR_COLDKEY_PASSWORD: &str = "correct-horse-Battery-9";

/// The folder holding `vector_wallet`.
pub fn vector_wallets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wallet/tests/data")
}

/// Copies the folder tree `from` into `to`.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)
        .map_err(|e| TestkitError::io(format!("create {}", to.display()), e))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| TestkitError::io(format!("list {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| TestkitError::io(format!("list {}", from.display()), e))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| TestkitError::io(format!("copy {}", entry.path().display()), e))?;
        }
    }
    Ok(())
}

/// A temporary wallet root holding a copy of `vector_wallet`.
pub fn vector_wallet_root() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().map_err(|e| TestkitError::io("create a wallet folder", e))?;
    copy_tree(
        &vector_wallets().join("vector_wallet"),
        &dir.path().join("vector_wallet"),
    )?;
    Ok(dir)
}

/// Every file under `root` with its bytes, sorted by path.
pub fn snapshot(root: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| TestkitError::io(format!("list {}", dir.display()), e))?;
        for entry in entries {
            let path = entry
                .map_err(|e| TestkitError::io(format!("list {}", dir.display()), e))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path)
                    .map_err(|e| TestkitError::io(format!("read {}", path.display()), e))?;
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_wallet_copy_is_complete_and_snapshots_see_changes() {
        let root = vector_wallet_root().unwrap();
        let files = snapshot(root.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|(p, _)| p.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert!(
            names.contains(&"vector_wallet/coldkeypub.txt".to_owned()),
            "{names:?}"
        );
        assert!(
            names.contains(&"vector_wallet/hotkeys/default".to_owned()),
            "{names:?}"
        );
        let pubkey =
            std::fs::read_to_string(root.path().join("vector_wallet/coldkeypub.txt")).unwrap();
        assert!(pubkey.contains(VECTOR_COLDKEY), "{pubkey}");

        std::fs::write(root.path().join("vector_wallet/extra"), b"x").unwrap();
        assert_eq!(snapshot(root.path()).unwrap().len(), files.len() + 1);
    }
}
