//! Temporary folders that outlive a failed test, so its data and logs can be inspected.

use std::path::Path;

use crate::error::{Result, TestkitError};

/// A temporary folder, deleted on drop unless the test is failing (then kept, and its path
/// printed).
#[derive(Debug)]
pub struct KeptOnFailure(Option<tempfile::TempDir>);

impl KeptOnFailure {
    /// A new empty folder.
    pub fn new() -> Result<Self> {
        tempfile::tempdir()
            .map(|d| Self(Some(d)))
            .map_err(|e| TestkitError::io("create a temporary folder", e))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.0.as_ref().map_or(Path::new(""), |d| d.path())
    }
}

impl Drop for KeptOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.0.take()
        {
            eprintln!("data and logs kept in {}", dir.keep().display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_after_a_passing_test() {
        let dir = KeptOnFailure::new().unwrap();
        let path = dir.path().to_path_buf();
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn kept_when_the_test_fails() {
        let (tx, rx) = std::sync::mpsc::channel();
        let failed = std::thread::spawn(move || {
            let dir = KeptOnFailure::new().unwrap();
            tx.send(dir.path().to_path_buf()).unwrap();
            panic!("a failing test");
        })
        .join();
        assert!(failed.is_err());
        let path = rx.recv().unwrap();
        assert!(path.is_dir(), "{} was deleted", path.display());
        std::fs::remove_dir_all(&path).unwrap();
    }
}
