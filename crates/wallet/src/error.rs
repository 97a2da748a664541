//! The one error type of this crate.
//!
//! Rule: no variant ever carries secret material. Password problems are described by kind only,
//! and JSON errors keep only their line and column (never the offending text), because a
//! keyfile's text is a secret. Key errors (mnemonics, seeds, URIs) come from `rustensor-keys`
//! and are wrapped unchanged in [`Error::Key`].

use std::path::PathBuf;

/// Everything that can go wrong with keyfiles, their passwords and wallet folders.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key could not be made or parsed (a mnemonic, seed or URI in a keyfile).
    #[error(transparent)]
    Key(#[from] keys::Error),

    /// The password does not decrypt the keyfile.
    #[error("wrong password for {}", path_or_keyfile(.path))]
    WrongPassword {
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The keyfile is encrypted and no password was given.
    #[error("{} is encrypted; a password is required", path_or_keyfile(.path))]
    PasswordRequired {
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The keyfile uses an encryption format this implementation does not read.
    #[error("{} uses {format} encryption, which is not supported", path_or_keyfile(.path))]
    UnsupportedEncryption {
        /// `"Ansible Vault"` or `"legacy Fernet"`.
        format: &'static str,
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The keyfile holds a key type other than sr25519.
    #[error("{} holds crypto type {crypto_type}; only sr25519 (1) is supported", path_or_keyfile(.path))]
    UnsupportedCryptoType {
        /// The `cryptoType` field (0 = ed25519).
        crypto_type: i64,
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The keyfile is damaged: truncated, not JSON, missing fields, inconsistent.
    #[error("{} is corrupt: {reason}", path_or_keyfile(.path))]
    CorruptKeyfile {
        /// What is wrong (never contains file content).
        reason: String,
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The keyfile holds only a public key, but a secret key was needed.
    #[error("{} holds only a public key, no secret", path_or_keyfile(.path))]
    NoSecretKey {
        /// The keyfile, when known.
        path: Option<PathBuf>,
    },

    /// The file exists and overwriting was not requested.
    #[error("{} already exists", .path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },

    /// The file does not exist.
    #[error("{} does not exist", .path.display())]
    NotFound {
        /// The missing file.
        path: PathBuf,
    },

    /// A wallet or hotkey name cannot be used as a file name.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName {
        /// `"wallet"` or `"hotkey"`.
        kind: &'static str,
        /// The rejected name (not secret).
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The key-derivation parameters are out of range.
    #[error("invalid key-derivation parameters: {0}")]
    InvalidKdfParams(String),

    /// Key derivation failed (usually: not enough memory for Argon2).
    #[error("key derivation failed: {0}")]
    Kdf(String),

    /// Encryption failed.
    #[error("encryption failed")]
    Encryption,

    /// A `BT_PW_...` environment variable is set but does not hold a password in the
    /// Python wallet's form (base64 of the password XORed with the variable's name).
    #[error(
        "the environment variable {name} does not hold a password in the bittensor-wallet form"
    )]
    BadEnvPassword {
        /// The variable's name.
        name: String,
    },

    /// A file-system operation failed.
    #[error("{op} {}: {source}", .path.display())]
    Io {
        /// What was being done (`"reading"`, `"writing"`, ...).
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn path_or_keyfile(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("keyfile {}", p.display()),
        None => "keyfile".to_string(),
    }
}

impl Error {
    /// A short, actionable hint for the user, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Key(e) => return e.hint(),
            Error::BadEnvPassword { .. } => {
                "set it with the Python `Keyfile.save_password_to_env`, or unset it and type the password"
            }
            Error::WrongPassword { .. } => {
                "try again with the right password; if it is lost, regenerate the key from its mnemonic"
            }
            Error::PasswordRequired { .. } => "supply the password that encrypted this key",
            Error::UnsupportedEncryption { .. } => {
                "regenerate the key from its mnemonic (`wallet regen-coldkey` / `regen-hotkey`), \
                 or re-encrypt it to $NACL with the Python bittensor-wallet"
            }
            Error::UnsupportedCryptoType { .. } => {
                "only sr25519 keys can be used; regenerate the key as sr25519"
            }
            Error::CorruptKeyfile { .. } => {
                "restore the file from a backup or regenerate the key from its mnemonic"
            }
            Error::NoSecretKey { .. } => {
                "this is a public-key file; regenerate the full key from its mnemonic to sign"
            }
            Error::AlreadyExists { .. } => {
                "choose another name, or confirm overwriting (the old key is lost unless backed up)"
            }
            Error::NotFound { .. } => "check the wallet path and names, or create the key first",
            Error::InvalidName { .. } => {
                "use a plain name without `/`, `\\`, NUL, or a leading `.`"
            }
            Error::InvalidKdfParams(_) => "use KdfParams::BITTENSOR for real keyfiles",
            Error::Kdf(_) => "Argon2 needs 512 MiB of free memory; free some memory and retry",
            Error::Encryption => return None,
            Error::Io { .. } => "check that the path exists and that you may read/write it",
        })
    }

    /// Attach a path to keyfile errors that were produced from bytes alone.
    pub(crate) fn with_path(self, p: &std::path::Path) -> Error {
        let set = |slot: Option<PathBuf>| slot.or_else(|| Some(p.to_path_buf()));
        match self {
            Error::WrongPassword { path } => Error::WrongPassword { path: set(path) },
            Error::PasswordRequired { path } => Error::PasswordRequired { path: set(path) },
            Error::UnsupportedEncryption { format, path } => Error::UnsupportedEncryption {
                format,
                path: set(path),
            },
            Error::UnsupportedCryptoType { crypto_type, path } => Error::UnsupportedCryptoType {
                crypto_type,
                path: set(path),
            },
            Error::CorruptKeyfile { reason, path } => Error::CorruptKeyfile {
                reason,
                path: set(path),
            },
            Error::NoSecretKey { path } => Error::NoSecretKey { path: set(path) },
            other => other,
        }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> Error {
        Error::CorruptKeyfile {
            reason: reason.into(),
            path: None,
        }
    }

    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Error {
        if source.kind() == std::io::ErrorKind::NotFound {
            return Error::NotFound {
                path: path.to_path_buf(),
            };
        }
        Error::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_message_and_most_a_hint() {
        let e = Error::WrongPassword {
            path: Some(PathBuf::from("/w/default/coldkey")),
        };
        assert_eq!(
            e.to_string(),
            "wrong password for keyfile /w/default/coldkey"
        );
        assert!(e.hint().is_some());
        let e = Error::corrupt("truncated").with_path(std::path::Path::new("/x"));
        assert_eq!(e.to_string(), "keyfile /x is corrupt: truncated");
        let e = Error::UnsupportedEncryption {
            format: "Ansible Vault",
            path: None,
        };
        assert!(e.to_string().contains("Ansible Vault"));
        assert!(e.hint().unwrap_or("").contains("mnemonic"));
    }

    #[test]
    fn key_errors_keep_their_message_and_hint() {
        let key = keys::Error::InvalidWordCount(3);
        let (message, hint) = (key.to_string(), key.hint());
        let e = Error::from(key);
        assert_eq!(e.to_string(), message);
        assert!(hint.is_some());
        assert_eq!(e.hint(), hint);
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static + std::error::Error>() {}
        check::<Error>();
    }
}
