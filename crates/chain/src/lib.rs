//! # rustensor-chain: the Subtensor state machine
//!
//! A deterministic, I/O-free implementation of Bittensor's chain rules (`shared/spec/chain.md`,
//! the **\[current\]** rules): balances, subnets and their hyperparameters, registration,
//! serving, weights with commit-reveal, staking in share pools over constant-product pools,
//! delegation, key swaps, the per-block coinbase and the epoch payout around `yuma`.
//!
//! How it fits together:
//! - [`store`]: the byte-keyed [`store::StateStore`] the node implements, a
//!   [`store::MemoryStore`], and [`store::Overlay`] to commit or discard changes;
//! - [`storage`] (typed items, [`storage::STORAGE_VERSION`]) and [`schema`] (the records);
//! - [`state::State`]: typed access plus the block environment and emitted events;
//! - domain modules, one each: [`balances`], [`subnets`], [`hyperparams`], [`params`],
//!   [`registration`], [`serving`], [`weights`], [`pool`], [`hotkeys`], [`shares`],
//!   [`staking`], [`delegation`], [`childkeys`],
//!   [`swap_keys`], [`identity`], [`coinbase`], [`epoch`];
//! - [`call`] and [`dispatch`] (routing calls to domain functions), [`transaction`] (signing payload, verification), [`fees`], [`events`],
//!   [`error`] (one enum, each error with a hint);
//! - [`runtime::apply_block`] (hooks, then transactions; returns the change set and receipts),
//!   [`dry_run::dry_run`], [`genesis`] (dev accounts, presets), [`queries`] (read-only views
//!   for RPC), [`invariants`].
//!
//! ## Using it from a node
//!
//! ```
//! use chain::{ChainId, GenesisConfig, Preset, Transaction, BlockEnv, Call};
//! use types::TaoBalance;
//!
//! // Genesis: dev accounts //Alice..//Ferdie, Alice as sudo, the fast local preset.
//! let mut db = GenesisConfig::dev(Preset::Fast)?.build()?;
//! let chain_id: ChainId = chain::genesis::chain_id(&db);
//!
//! // A client signs a call with the account's next nonce.
//! let alice = keys::Keypair::from_uri("//Alice").unwrap();
//! let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
//! let call = Call::TransferKeepAlive { dest: bob, value: TaoBalance::from_rao(1_000_000_000) };
//! let tx = Transaction::sign(&alice, 0, TaoBalance::ZERO, call, &chain_id);
//!
//! // The pool checks it at the door; a dry run tells the fee and the outcome.
//! let env = BlockEnv { number: 1, author: None };
//! assert!(chain::validate_transaction(&db, &chain_id, &env, &tx)?.ready);
//! let report = chain::dry_run(&db, &env, &tx.signer, tx.call.clone(), tx.tip)?;
//! assert_eq!(report.outcome, chain::TxOutcome::Applied);
//!
//! // Applying a block returns the change set to commit atomically, plus receipts and events.
//! let out = chain::apply_block(&db, &chain_id, &env, &[tx])?;
//! assert_eq!(out.receipts[0].outcome, chain::TxOutcome::Applied);
//! out.changes.apply_to(&mut db)?;
//! assert_eq!(chain::queries::account(&db, &bob)?.free.rao(), 1_000_001_000_000_000);
//! # Ok::<(), chain::ChainError>(())
//! ```
//!
//! The node implements [`StateStore`] over its database (reads of committed state) and writes
//! [`ChangeSet`]s; [`store::Overlay`] layers unfinalised blocks. [`apply_block_prechecked`] takes
//! signature results computed ahead (e.g. in parallel at the pool). [`queries`] serves RPC.
//!
//! ## Status
//!
//! Built and tested: every call of the issue (balances, subnets and hyperparameters,
//! registration, serving, weights with commit-reveal, staking with limits, delegation,
//! childkeys, key swaps, sudo), fees (in alpha for unstaking without free TAO), the coinbase,
//! epochs through `yuma`, root dividends by claim type, dry runs, queries, genesis presets.
//! Simplified or not built (see `docs/economics.md`): root claims happen at the epoch (no
//! claim_root), a new subnet's moving price starts at its spot price, replacement never takes
//! an immune neuron, direct set_weights is refused under commit-reveal, and conviction locks,
//! leases, drand timelocked commits and mechanisms are absent.
//!
//! No floats, no hash-map iteration, no panics: the workspace's strict lints apply; fixed point
//! is substrate-fixed where the reference uses it, and pool math is exact in integers.

// The strict set: this crate never panics and stays deterministic, so it also denies indexing,
// unchecked arithmetic and floats (the workspace baseline covers unwrap, expect and panic).
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic
)]
#![warn(missing_docs, clippy::as_conversions)]

pub mod balances;
pub mod call;
pub mod childkeys;
pub mod coinbase;
pub mod delegation;
pub mod dispatch;
pub mod dry_run;
pub mod epoch;
pub mod error;
pub mod events;
pub mod fees;
pub mod genesis;
pub mod hotkeys;
pub mod hyperparams;
pub mod identity;
pub mod invariants;
pub mod params;
pub mod pool;
pub mod queries;
pub mod registration;
pub mod runtime;
pub mod schema;
pub mod serving;
pub mod shares;
pub mod staking;
pub mod state;
pub mod storage;
pub mod store;
pub mod subnets;
pub mod swap_keys;
pub mod transaction;
pub mod weights;

#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

pub use call::Call;
pub use dry_run::{DryRunReport, dry_run};
pub use error::ChainError;
pub use events::Event;
pub use genesis::{GenesisConfig, Preset};
pub use runtime::{
    BlockOutcome, Receipt, TxOutcome, Validity, apply_block, apply_block_prechecked,
    validate_transaction,
};
pub use state::{BlockEnv, State};
pub use store::{ChangeSet, MemoryStore, Overlay, StateStore};
pub use transaction::{ChainId, SPEC_VERSION, Transaction};
