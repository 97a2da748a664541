//! # rustensor-client: typed JSON-RPC client
//!
//! Status: issue #5. A WebSocket client for a rustensor node ([`Client`]) that reconnects when
//! the connection drops, the typed API of `rustensor-rpc` (every method of `docs/rpc.md`), a
//! transaction builder ([`TxOptions`]: nonce from the node, tip, signing over the chain id —
//! genesis hash and spec version — through `keys`), and waiting for inclusion or finality
//! ([`Wait`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), client::ClientError> {
//! let c = client::Client::connect("ws://127.0.0.1:9944").await?;
//! let alice = keys::Keypair::from_uri("//Alice").map_err(|e| client::ClientError::Key(e.to_string()))?;
//! let bob = keys::Keypair::from_uri("//Bob").map_err(|e| client::ClientError::Key(e.to_string()))?;
//! let call = chain::Call::TransferKeepAlive { dest: bob.account_id(), value: types::TaoBalance::from_rao(1_000_000_000) };
//! let report = c.send(&alice, call, client::TxOptions::default()).await?;
//! println!("finalized in block {:?}", report.inclusion.map(|i| i.height));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod error;
mod tx;

pub use error::ClientError;
pub use rpc::RustensorApiClient;
pub use rpc::views;
pub use tx::{TxOptions, TxReport, Wait};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jsonrpsee::client_transport::ws::{Url, WsTransportClientBuilder};
use jsonrpsee::core::client::ClientBuilder;
use rpc::views::ChainIdView;
use tokio::sync::{Mutex, OnceCell};

/// The jsonrpsee WebSocket client underneath.
pub type WsClient = jsonrpsee::core::client::Client;

/// Default node address.
pub const DEFAULT_URL: &str = "ws://127.0.0.1:9944";

/// A connection to a node that reconnects on demand.
pub struct Client {
    url: Url,
    inner: Mutex<Arc<WsClient>>,
    chain: OnceCell<ChainIdView>,
    timeout: Duration,
}

async fn dial(url: &Url, timeout: Duration) -> Result<WsClient, ClientError> {
    let (tx, rx) = WsTransportClientBuilder::default()
        .max_request_size(8 * 1024 * 1024)
        .max_response_size(64 * 1024 * 1024)
        .build(url.clone())
        .await
        .map_err(|e| ClientError::Connect {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    Ok(ClientBuilder::default()
        .request_timeout(timeout)
        .max_buffer_capacity_per_subscription(4096)
        .build_with_tokio(tx, rx))
}

impl Client {
    /// Connects to `url` (`ws://host:port`).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let parsed: Url = url.parse().map_err(|e| ClientError::Connect {
            url: url.to_string(),
            reason: format!("not a URL: {e}"),
        })?;
        if !matches!(parsed.scheme(), "ws" | "wss") {
            return Err(ClientError::Connect {
                url: url.to_string(),
                reason: "the address must start with ws://".into(),
            });
        }
        let timeout = Duration::from_secs(60);
        let inner = dial(&parsed, timeout).await?;
        Ok(Self {
            url: parsed,
            inner: Mutex::new(Arc::new(inner)),
            chain: OnceCell::new(),
            timeout,
        })
    }

    /// The node address.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The live connection, redialled if it dropped.
    pub async fn rpc(&self) -> Result<Arc<WsClient>, ClientError> {
        let mut guard = self.inner.lock().await;
        if !guard.is_connected() {
            *guard = Arc::new(dial(&self.url, self.timeout).await?);
        }
        Ok(guard.clone())
    }

    /// Runs `f` on the connection; on a dropped connection, redials once and retries.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, ClientError>
    where
        F: Fn(Arc<WsClient>) -> Fut,
        Fut: Future<Output = Result<T, jsonrpsee::core::ClientError>>,
    {
        match f(self.rpc().await?).await {
            Err(e) if error::is_connection(&e) => Ok(f(self.rpc().await?).await?),
            other => Ok(other?),
        }
    }

    /// The chain's signing id (cached).
    pub async fn chain_id(&self) -> Result<ChainIdView, ClientError> {
        self.chain
            .get_or_try_init(|| self.call(|c| async move { c.chain_id().await }))
            .await
            .copied()
    }
}
