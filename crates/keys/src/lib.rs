//! # rustensor-keys
//!
//! sr25519 keys and Bittensor-compatible wallets.
//!
//! * [`mnemonic`]: BIP39 English mnemonics (12–24 words) and the Substrate mini secret.
//! * [`pair`]: [`Keypair`] (schnorrkel sr25519, `ExpansionMode::Ed25519`), [`verify`].
//! * [`suri`]: secret URIs `PHRASE//hard/soft///password`, exactly as sp-core reads them.
//! * [`keyfile`]: keyfile JSON and `$NACL` encryption (Argon2i + XSalsa20-Poly1305), format
//!   detection; [`KdfParams`] makes the 512 MiB Argon2 injectable for tests.
//! * [`env_password`]: passwords from `BT_PW_<PATH>` variables, as the Python wallet reads them.
//! * [`wallet`]: [`Wallet`] folders (`coldkey`, `coldkeypub.txt`, `hotkeys/HK`,
//!   `hotkeys/HKpub.txt`), atomic 0600 writes, [`list_wallets`].
//!
//! ```
//! use keys::{KdfParams, Keypair, Wallet, verify};
//!
//! let alice = Keypair::from_uri("//Alice")?;
//! assert_eq!(alice.ss58(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
//! let sig = alice.sign(b"hello");
//! assert!(verify(&alice.public_key(), b"hello", &sig));
//!
//! // A wallet folder; real keyfiles use KdfParams::BITTENSOR (Argon2i, 512 MiB, ~4 s).
//! let root = tempfile::tempdir().unwrap();
//! let wallet = Wallet::new(root.path(), "default");
//! let (coldkey, mnemonic) = Keypair::generate(12)?;
//! wallet.write_coldkey(&coldkey, Some("a password"), KdfParams::INSECURE_FAST_FOR_TESTS, false)?;
//! assert_eq!(wallet.coldkeypub()?, coldkey.account_id()); // no password needed
//! let back = wallet.load_coldkey(Some("a password"), KdfParams::INSECURE_FAST_FOR_TESTS)?;
//! assert_eq!(back.mnemonic(), Some(mnemonic.as_str()));
//! # Ok::<(), keys::Error>(())
//! ```
//!
//! Every key derivation here is checked against vectors made with the Python
//! `bittensor-wallet` 4.1.1 (see `tests/`).
//!
//! Secrets (mnemonics, seeds, private keys, passwords, decrypted keyfiles) are zeroized when
//! dropped, never shown by `Debug`, and never put into an [`Error`].

pub mod env_password;
pub mod error;
pub mod keyfile;
pub mod mnemonic;
pub mod pair;
pub mod suri;
pub mod wallet;

pub use error::Error;
pub use keyfile::{KdfParams, KeyfileContents, KeyfileFormat};
pub use mnemonic::Mnemonic;
pub use pair::{Keypair, SIGNING_CONTEXT, parse_account, parse_signature, verify, verify_exact};
pub use suri::{DEV_PHRASE, DeriveJunction, SecretUri};
pub use types::AccountId;
pub use wallet::{HotkeyEntry, Wallet, WalletEntry, default_wallet_root, list_wallets};
