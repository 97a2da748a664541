//! The boundary to the state machine: what the node needs from `chain` (or from the small
//! stand-in used in tests), expressed over the node's own [`StateRead`].
//!
//! Execution never writes: it reads the parent state and returns a change set, which the node
//! keeps in memory until the block is finalized and then commits atomically with its root.

use crate::store::{Changes, Hash32, StateRead, StoreError};

/// The block a state machine executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Height of the block being executed.
    pub height: u64,
    /// Its timestamp (ms since the Unix epoch).
    pub timestamp_ms: u64,
    /// The proposing authority.
    pub proposer: Hash32,
    /// Parent block hash.
    pub parent: Hash32,
}

/// What the mempool needs to know about a transaction that passed [`StateMachine::check_tx`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxMeta {
    /// blake2b-256 of the encoded transaction.
    pub hash: Hash32,
    /// The signer (account id bytes).
    pub sender: Hash32,
    /// The signer's nonce for this transaction.
    pub nonce: u64,
    /// Tip to the block author (rao).
    pub tip: u128,
    /// Fee without tip (rao).
    pub fee: u128,
}

/// One transaction's result inside an executed block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxResult {
    /// blake2b-256 of the encoded transaction.
    pub hash: Hash32,
    /// `false` when the transaction was invalid (signature, nonce, fee) and changed nothing;
    /// proposers leave such transactions out of their blocks.
    pub valid: bool,
    /// The state machine's encoded receipt (outcome and events).
    pub receipt: Vec<u8>,
}

/// The outcome of executing a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    /// Every state change of the block.
    pub changes: Changes,
    /// One result per transaction, in order.
    pub results: Vec<TxResult>,
}

/// Why a transaction was refused at the door.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxCheckError {
    /// The bytes are not a transaction.
    #[error("transaction does not decode: {0}")]
    Decode(String),
    /// The signature does not verify for this chain.
    #[error("bad signature")]
    BadSignature,
    /// The nonce was already used.
    #[error("stale nonce: account is at {expected}, transaction has {got}")]
    StaleNonce {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The signer cannot pay the fee and tip.
    #[error("cannot pay fee: needs {needed} rao, has {available} rao")]
    CannotPayFee {
        /// Fee plus tip.
        needed: u128,
        /// Free balance.
        available: u128,
    },
    /// Any other reason the state machine refuses the transaction.
    #[error("invalid transaction: {0}")]
    Invalid(String),
    /// State could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Execution failed in a way that is not the transaction's fault (storage, corrupt state).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// State could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state machine failed.
    #[error("state machine: {0}")]
    Machine(String),
}

/// The state machine the node runs. Implementations must be deterministic: the same state,
/// block and transactions give the same changes on every node.
pub trait StateMachine: Send + Sync + 'static {
    /// The genesis state, as changes over an empty store.
    fn genesis(&self) -> Result<Changes, ExecError>;

    /// Runs the per-block hooks then `txs` in order over `state`, without writing.
    fn execute(
        &self,
        state: &dyn StateRead,
        block: &BlockContext,
        txs: &[Vec<u8>],
    ) -> Result<Executed, ExecError>;

    /// Door check: decode, signature, fee affordability, and a nonce not below the account's.
    fn check_tx(&self, state: &dyn StateRead, tx: &[u8]) -> Result<TxMeta, TxCheckError>;

    /// The next nonce of `account` in `state`.
    fn account_nonce(&self, state: &dyn StateRead, account: &Hash32) -> Result<u64, ExecError>;
}
