//! # rustensor-keys
//!
//! sr25519 keys as Bittensor makes them; no files, no I/O. Keyfiles and wallet folders are in
//! `rustensor-wallet`, so the chain can use this crate without pulling Argon2 or file I/O.
//!
//! * [`mnemonic`]: BIP39 English mnemonics (12–24 words) and the Substrate mini secret.
//! * [`pair`]: [`Keypair`] (schnorrkel sr25519, `ExpansionMode::Ed25519`), [`verify`].
//! * [`suri`]: secret URIs `PHRASE//hard/soft///password`, exactly as sp-core reads them.
//! * SS58 account ids come from `rustensor-types` ([`AccountId`]); [`parse_account`] reads one
//!   given as SS58 or hex.
//!
//! ```
//! use keys::{Keypair, verify};
//!
//! let alice = Keypair::from_uri("//Alice")?;
//! assert_eq!(alice.ss58(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
//! let sig = alice.sign(b"hello");
//! assert!(verify(&alice.public_key(), b"hello", &sig));
//!
//! let (pair, mnemonic) = Keypair::generate(12)?;
//! assert_eq!(Keypair::from_mnemonic(mnemonic.as_str())?, pair);
//! # Ok::<(), keys::Error>(())
//! ```
//!
//! Every key derivation here is checked against vectors made with the Python
//! `bittensor-wallet` 4.1.1 (see `tests/`).
//!
//! Secrets (mnemonics, seeds, private keys) are zeroized when dropped, never shown by `Debug`,
//! and never put into an [`Error`].

#![forbid(unsafe_code)]

pub mod error;
pub mod mnemonic;
pub mod pair;
pub mod suri;

pub use error::Error;
pub use mnemonic::Mnemonic;
pub use pair::{Keypair, SIGNING_CONTEXT, parse_account, parse_signature, verify, verify_exact};
pub use suri::{DEV_PHRASE, DeriveJunction, SecretUri};
pub use types::AccountId;
