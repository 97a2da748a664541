//! The client's errors, each with a hint.

use jsonrpsee::core::ClientError as RpcClientError;

/// What went wrong talking to a node.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node cannot be reached.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The address.
        url: String,
        /// Why.
        reason: String,
    },
    /// The node answered with an error.
    #[error("{message}")]
    Rpc {
        /// JSON-RPC code.
        code: i32,
        /// The message.
        message: String,
        /// What to do, if the node said.
        hint: Option<String>,
    },
    /// The connection failed mid-call.
    #[error("connection: {0}")]
    Transport(String),
    /// A key could not be used.
    #[error("key: {0}")]
    Key(String),
    /// The transaction left the pool without being finalized.
    #[error("transaction dropped: {0}")]
    Dropped(String),
    /// The watch ended early.
    #[error("the node stopped reporting on the transaction")]
    WatchEnded,
}

impl ClientError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ClientError::Connect { .. } | ClientError::Transport(_) => Some(
                "is the node running? start one with `rustensor node --dev`, or pass --network ws://HOST:PORT"
                    .into(),
            ),
            ClientError::Rpc { hint, .. } => hint.clone(),
            ClientError::Key(_) => Some("check the wallet name and hotkey".into()),
            ClientError::Dropped(_) | ClientError::WatchEnded => {
                Some("check the account's nonce and balance, then send again".into())
            }
        }
    }
}

pub(crate) fn is_connection(e: &RpcClientError) -> bool {
    matches!(
        e,
        RpcClientError::RestartNeeded(_) | RpcClientError::Transport(_)
    )
}

impl From<RpcClientError> for ClientError {
    fn from(e: RpcClientError) -> Self {
        match e {
            RpcClientError::Call(obj) => {
                let hint = obj
                    .data()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d.get()).ok())
                    .and_then(|v| v.get("hint").and_then(|h| h.as_str()).map(str::to_owned));
                ClientError::Rpc {
                    code: obj.code(),
                    message: obj.message().to_string(),
                    hint,
                }
            }
            other => ClientError::Transport(other.to_string()),
        }
    }
}
