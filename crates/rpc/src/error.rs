//! RPC errors: each maps to a JSON-RPC error with a stable code, a message and (in `data`) a
//! hint of what to do.

use jsonrpsee::types::ErrorObjectOwned;

/// Error codes (Substrate uses 1010 for invalid transactions; the rest are ours).
pub mod code {
    /// Bad parameter content (hex, sizes); malformed params get -32602 from jsonrpsee.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The transaction was refused at the door (decode, signature, nonce, fee).
    pub const INVALID_TRANSACTION: i32 = 1010;
    /// The pool refused it (full, duplicate, underpriced, too large).
    pub const POOL: i32 = 1012;
    /// The chain refused a query (unknown subnet, ...).
    pub const CHAIN: i32 = 1020;
    /// Node-side failure (storage, halted).
    pub const INTERNAL: i32 = 5000;
}

/// An RPC failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// A parameter is not usable.
    #[error("invalid parameter: {0}")]
    InvalidParams(String),
    /// The transaction was refused.
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// The pool refused the transaction.
    #[error("transaction pool: {0}")]
    Pool(String),
    /// A chain error, with its hint.
    #[error("{message}")]
    Chain {
        /// The explanation.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The node failed.
    #[error("node: {0}")]
    Internal(String),
}

impl RpcError {
    /// The JSON-RPC code.
    pub fn code(&self) -> i32 {
        match self {
            RpcError::InvalidParams(_) => code::INVALID_PARAMS,
            RpcError::InvalidTransaction(_) => code::INVALID_TRANSACTION,
            RpcError::Pool(_) => code::POOL,
            RpcError::Chain { .. } => code::CHAIN,
            RpcError::Internal(_) => code::INTERNAL,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &str {
        match self {
            RpcError::InvalidParams(_) => "check the parameters against docs/rpc.md",
            RpcError::InvalidTransaction(_) => {
                "re-sign with the node's nonce (system_accountNextIndex) and chain id (system_chainId)"
            }
            RpcError::Pool(_) => "wait for the pool to drain, or raise the tip",
            RpcError::Chain { hint, .. } => hint,
            RpcError::Internal(_) => "check the node's log",
        }
    }
}

impl From<chain::ChainError> for RpcError {
    fn from(e: chain::ChainError) -> Self {
        RpcError::Chain {
            hint: e.hint().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        ErrorObjectOwned::owned(
            e.code(),
            e.to_string(),
            Some(serde_json::json!({ "hint": e.hint() })),
        )
    }
}
