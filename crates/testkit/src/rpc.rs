//! JSON-RPC from synchronous tests through the project's own client (`rustensor-client`, over
//! WebSocket): any method with any parameters (also malformed ones, to test refusals), the
//! chain id, and sending a signed call.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client::{Client, ClientError, TxOptions, TxReport};
use jsonrpsee::client_transport::ws::{Url, WsTransportClientBuilder};
use jsonrpsee::core::client::{ClientT, ReceivedMessage, TransportReceiverT, TransportSenderT};
use serde_json::{Value, json};

use crate::error::{Result, TestkitError};

/// A node's JSON-RPC, connected on first use and reconnected after the node restarts.
pub struct Rpc {
    url: String,
    runtime: tokio::runtime::Runtime,
    client: Mutex<Option<Arc<Client>>>,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rpc").field("url", &self.url).finish()
    }
}

/// `params` as jsonrpsee sends them: an array stays positional, an object named.
enum Params {
    Positional(Vec<Value>),
    Named(serde_json::Map<String, Value>),
}

impl From<Value> for Params {
    fn from(params: Value) -> Self {
        match params {
            Value::Array(list) => Params::Positional(list),
            Value::Object(map) => Params::Named(map),
            Value::Null => Params::Positional(Vec::new()),
            one => Params::Positional(vec![one]),
        }
    }
}

impl Rpc {
    /// JSON-RPC at `url` (`ws://HOST:PORT`); nothing is dialled yet.
    pub fn new(url: &str) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| TestkitError::io("start an async runtime", e))?;
        Ok(Self {
            url: url.to_owned(),
            runtime,
            client: Mutex::new(None),
        })
    }

    /// The node's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs a future on this connection's runtime (for the client's typed API).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The connected client (dialled now if it is not yet).
    pub fn client(&self) -> Result<Arc<Client>> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = Arc::new(
            self.runtime
                .block_on(Client::connect(&self.url))
                .map_err(|source| TestkitError::Rpc {
                    method: "connect".into(),
                    source,
                })?,
        );
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Calls `method` with `params` (a JSON array, or an object for named parameters);
    /// returns the result.
    pub fn request(&self, method: &str, params: Value) -> Result<Value> {
        self.try_request(method, params)
            .map_err(|source| TestkitError::Rpc {
                method: method.to_owned(),
                source,
            })
    }

    /// Like [`Rpc::request`], with the client's error as is (its JSON-RPC code and hint).
    pub fn try_request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let client = self.client().map_err(|e| match e {
            TestkitError::Rpc { source, .. } => source,
            other => ClientError::Transport(other.to_string()),
        })?;
        let params = Params::from(params);
        self.runtime.block_on(client.call(|c| {
            let method = method.to_owned();
            let params = match &params {
                Params::Positional(list) => Params::Positional(list.clone()),
                Params::Named(map) => Params::Named(map.clone()),
            };
            async move {
                match params {
                    Params::Positional(list) => c.request::<Value, _>(&method, list).await,
                    Params::Named(map) => c.request::<Value, _>(&method, map).await,
                }
            }
        }))
    }

    /// The call's answer as a JSON-RPC response object: `{"result": ...}`, or `{"error":
    /// {"code", "message", "hint"}}` (no code when the node could not be reached), for tests
    /// that check refusals.
    pub fn response(&self, method: &str, params: Value) -> Value {
        match self.try_request(method, params) {
            Ok(result) => json!({ "result": result }),
            Err(e) => error_object(&e),
        }
    }

    /// Sends `text` as one WebSocket message on a fresh connection, as it is (so it need not
    /// be valid JSON), and returns the node's answer.
    pub fn raw(&self, text: &str) -> Result<Value> {
        let url: Url = self.url.parse().map_err(|e| TestkitError::Http {
            url: self.url.clone(),
            reason: format!("not a URL: {e}"),
        })?;
        let transport = |reason: String| TestkitError::Http {
            url: self.url.clone(),
            reason,
        };
        let answer = self.runtime.block_on(async {
            let (mut tx, mut rx) = WsTransportClientBuilder::default()
                .build(url)
                .await
                .map_err(|e| transport(e.to_string()))?;
            tx.send(text.to_owned())
                .await
                .map_err(|e| transport(e.to_string()))?;
            let answer = tokio::time::timeout(Duration::from_secs(30), rx.receive())
                .await
                .map_err(|_| transport("no answer in 30 s".into()))?
                .map_err(|e| transport(e.to_string()))?;
            let _ = tx.close().await;
            Ok::<_, TestkitError>(answer)
        })?;
        let text = match answer {
            ReceivedMessage::Text(t) => t,
            ReceivedMessage::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            ReceivedMessage::Pong => String::new(),
        };
        serde_json::from_str(&text).map_err(|e| TestkitError::json("the node's answer", &text, e))
    }

    /// What transactions for this chain are signed against.
    pub fn chain_id(&self) -> Result<chain::ChainId> {
        let client = self.client()?;
        self.runtime
            .block_on(client.chain_id())
            .map(|view| view.chain_id())
            .map_err(|source| TestkitError::Rpc {
                method: "system_chainId".into(),
                source,
            })
    }

    /// Signs `call` with `signer` (nonce from the node), submits it and waits up to `timeout`
    /// until its block is finalized.
    pub fn send(
        &self,
        signer: &keys::Keypair,
        call: chain::Call,
        timeout: Duration,
    ) -> Result<TxReport> {
        let client = self.client()?;
        let name = call.name();
        self.runtime
            .block_on(async {
                tokio::time::timeout(timeout, client.send(signer, call, TxOptions::default())).await
            })
            .map_err(|_| TestkitError::Timeout {
                what: format!("{name} to be finalized"),
                timeout,
            })?
            .map_err(|source| TestkitError::Rpc {
                method: format!("send {name}"),
                source,
            })
    }
}

/// A client error as the `error` member of a JSON-RPC response.
fn error_object(e: &ClientError) -> Value {
    match e {
        ClientError::Rpc {
            code,
            message,
            hint,
        } => json!({ "error": { "code": code, "message": message, "hint": hint } }),
        other => json!({ "error": { "message": other.to_string(), "hint": other.hint() } }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_keep_their_shape() {
        assert!(matches!(Params::from(json!([1, "a"])), Params::Positional(v) if v.len() == 2));
        assert!(matches!(Params::from(json!({"a": 1})), Params::Named(m) if m.len() == 1));
        assert!(matches!(Params::from(Value::Null), Params::Positional(v) if v.is_empty()));
        assert!(matches!(Params::from(json!(7)), Params::Positional(v) if v == [json!(7)]));
    }

    #[test]
    fn errors_become_response_objects() {
        let refused = error_object(&ClientError::Rpc {
            code: 1010,
            message: "bad nonce".into(),
            hint: Some("wait".into()),
        });
        assert_eq!(
            refused,
            json!({"error": {"code": 1010, "message": "bad nonce", "hint": "wait"}})
        );
        let down = error_object(&ClientError::Transport("reset".into()));
        assert!(down["error"]["code"].is_null(), "{down}");
        assert!(down["error"]["hint"].as_str().unwrap().contains("node"));
    }

    #[test]
    fn an_unreachable_node_is_an_error_with_a_hint() {
        let port = crate::ports::free_port().unwrap();
        let rpc = Rpc::new(&format!("ws://127.0.0.1:{port}")).unwrap();
        let err = rpc.request("system_health", json!([])).unwrap_err();
        assert!(matches!(err, TestkitError::Rpc { .. }), "{err:?}");
        assert!(format!("{err:?}").contains("hint: "), "{err:?}");
        assert!(rpc.response("system_health", json!([]))["error"]["code"].is_null());
    }
}
