//! # rustensor-wallet
//!
//! Bittensor-compatible keyfiles and wallet folders, for tools (the CLI, tests); the chain
//! never depends on this crate. Key pairs come from `rustensor-keys`.
//!
//! * [`keyfile`]: keyfile JSON and `$NACL` encryption (Argon2i + XSalsa20-Poly1305), format
//!   detection; [`KdfParams`] makes the 512 MiB Argon2 injectable for tests.
//! * [`env_password`]: passwords from `BT_PW_<PATH>` variables, as the Python wallet reads them.
//! * [`folder`]: [`Wallet`] folders (`coldkey`, `coldkeypub.txt`, `hotkeys/HK`,
//!   `hotkeys/HKpub.txt`), atomic 0600 writes, [`list_wallets`].
//!
//! ```
//! use keys::Keypair;
//! use wallet::{KdfParams, Wallet};
//!
//! // A wallet folder; real keyfiles use KdfParams::BITTENSOR (Argon2i, 512 MiB, ~4 s).
//! let root = tempfile::tempdir().unwrap();
//! let wallet = Wallet::new(root.path(), "default");
//! let (coldkey, mnemonic) = Keypair::generate(12)?;
//! wallet.write_coldkey(&coldkey, Some("a password"), KdfParams::INSECURE_FAST_FOR_TESTS, false)?;
//! assert_eq!(wallet.coldkeypub()?, coldkey.account_id()); // no password needed
//! let back = wallet.load_coldkey(Some("a password"), KdfParams::INSECURE_FAST_FOR_TESTS)?;
//! assert_eq!(back.mnemonic(), Some(mnemonic.as_str()));
//! # Ok::<(), wallet::Error>(())
//! ```
//!
//! Every format here is checked against files written by the Python `bittensor-wallet` 4.1.1
//! (see `tests/`).
//!
//! Secrets (mnemonics, seeds, private keys, passwords, decrypted keyfiles) are zeroized when
//! dropped, never shown by `Debug`, and never put into an [`Error`].

#![forbid(unsafe_code)]

pub mod env_password;
pub mod error;
pub mod folder;
pub mod keyfile;

pub use error::Error;
pub use folder::{HotkeyEntry, Wallet, WalletEntry, default_wallet_root, list_wallets};
pub use keyfile::{KdfParams, KeyfileContents, KeyfileFormat};
