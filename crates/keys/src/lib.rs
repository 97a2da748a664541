//! # rustensor-keys
//!
//! sr25519 keys and Bittensor-compatible wallets.
//!
//! * [`mnemonic`]: BIP39 English mnemonics (12–24 words) and the Substrate mini secret.
//! * [`pair`]: [`Keypair`] (schnorrkel sr25519, `ExpansionMode::Ed25519`), [`verify`].
//! * [`suri`]: secret URIs `PHRASE//hard/soft///password`, exactly as sp-core reads them.
//! * [`keyfile`]: keyfile JSON and `$NACL` encryption (Argon2i + XSalsa20-Poly1305), format
//!   detection; [`KdfParams`] makes the 512 MiB Argon2 injectable for tests.
//! * [`wallet`]: [`Wallet`] folders (`coldkey`, `coldkeypub.txt`, `hotkeys/HK`,
//!   `hotkeys/HKpub.txt`), atomic 0600 writes, [`list_wallets`].
//!
//! Every key derivation here is checked against vectors made with the Python
//! `bittensor-wallet` 4.1.1 (see `tests/`).
//!
//! Secrets (mnemonics, seeds, private keys, passwords, decrypted keyfiles) are zeroized when
//! dropped, never shown by `Debug`, and never put into an [`Error`].

pub mod error;
pub mod keyfile;
pub mod mnemonic;
pub mod pair;
pub mod suri;
pub mod wallet;

pub use error::Error;
pub use keyfile::{KdfParams, KeyfileContents, KeyfileFormat};
pub use mnemonic::Mnemonic;
pub use pair::{Keypair, SIGNING_CONTEXT, verify, verify_exact};
pub use suri::{DEV_PHRASE, DeriveJunction, SecretUri};
pub use types::AccountId;
pub use wallet::{HotkeyEntry, Wallet, WalletEntry, list_wallets};
