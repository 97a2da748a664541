//! The axum app: auth, `/v1/chat/completions` (JSON and SSE), `/v1/models`, `/health`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt as _;
use serde_json::{Value, json};
use subnets::text::{TextGeneration, TextGenerationStream};

use crate::api::{self, ChatRequest};
use crate::config::GatewayConfig;
use crate::error::{ApiError, GatewayError};
use crate::routing::{self, Candidate};

/// Response header naming the uid of the miner that answered.
pub const MINER_HEADER: &str = "x-rustensor-miner-uid";

/// The gateway's routes, for embedding in another server.
pub fn router(config: GatewayConfig) -> Router {
    let state = Arc::new(AppState {
        config,
        health: routing::Health::default(),
    });
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { "ok" }))
        .fallback(|uri: Uri| async move { ApiError::not_found(uri.path()) })
        .with_state(state)
}

/// Shared by all requests.
struct AppState {
    config: GatewayConfig,
    health: routing::Health,
}

/// A running gateway.
#[derive(Debug)]
pub struct RunningGateway {
    local: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), GatewayError>>,
}

impl RunningGateway {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
    /// `http://ip:port/v1`, the `base_url` for OpenAI clients.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.local)
    }
    /// Stop accepting, finish in-flight requests, wait for the server to end.
    pub async fn shutdown(mut self) -> Result<(), GatewayError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(GatewayError::Serve(std::io::Error::other(e.to_string()))),
        }
    }
}

/// Bind and serve in the background.
pub async fn serve(config: GatewayConfig) -> Result<RunningGateway, GatewayError> {
    if config.fanout == 0 || config.max_miners == 0 {
        return Err(GatewayError::Config(
            "fanout and max_miners must be >= 1".into(),
        ));
    }
    let addr = config.bind;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| GatewayError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| GatewayError::Bind { addr, source })?;
    let app = router(config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .map_err(GatewayError::Serve)
    });
    tracing::info!(%local, "gateway listening");
    Ok(RunningGateway {
        local,
        stop: Some(tx),
        task,
    })
}

fn authorize(config: &GatewayConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    if config.api_keys.is_empty() {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty());
    match given {
        None => Err(ApiError::unauthorized(false)),
        Some(k)
            if config
                .api_keys
                .iter()
                .any(|a| ct_eq(a.as_bytes(), k.as_bytes())) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::unauthorized(true)),
    }
}

/// Constant-time equality, so key checks do not leak a matching prefix through timing.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn models(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let config = &state.config;
    if let Err(e) = authorize(config, &headers) {
        return e.into_response();
    }
    axum::Json(json!({
        "object": "list",
        "data": [{
            "id": config.model_id,
            "object": "model",
            "created": 0,
            "owned_by": format!("rustensor-subnet-{}", config.metagraph.netuid()),
        }],
    }))
    .into_response()
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `chatcmpl-` and 32 hex digits, as OpenAI's ids look: a random UUID without hyphens.
fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

async fn chat(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let config = &state.config;
    if let Err(e) = authorize(config, &headers) {
        return e.into_response();
    }
    let req = match api::parse_request(&body, config.default_max_tokens, config.max_tokens_cap) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let cands = routing::candidates(config.metagraph.neurons(), config.pool);
    if cands.is_empty() {
        return ApiError::no_miners().into_response();
    }
    let mut order = {
        let mut rng = rand::thread_rng();
        routing::spread(cands, &mut rng)
    };
    order.truncate(config.max_miners);
    let order = state.health.deprioritize(order);
    let result = if req.stream {
        stream_answer(state.clone(), req, order).await
    } else {
        full_answer(&state, req, order).await
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn with_miner(mut resp: Response, uid: u16) -> Response {
    if let Ok(v) = HeaderValue::from_str(&uid.to_string()) {
        resp.headers_mut().insert(MINER_HEADER, v);
    }
    resp
}

/// Ask `fanout` miners at a time; keep the valid answer of the highest-incentive one.
async fn full_answer(
    state: &AppState,
    req: ChatRequest,
    order: Vec<Candidate>,
) -> Result<Response, ApiError> {
    let config = &state.config;
    let synapse = TextGeneration::new(req.completion.clone());
    let mut last = String::from("no answer");
    let mut tried = 0usize;
    for batch in order.chunks(config.fanout.max(1)) {
        tried += batch.len();
        let calls = batch.iter().map(|c| {
            let s = synapse.clone();
            async move {
                let r = config.dendrite.call(&c.axon, s, config.timeout).await;
                (c.clone(), r)
            }
        });
        let results = futures::future::join_all(calls).await;
        let mut answers = Vec::with_capacity(results.len());
        for (c, r) in results {
            if r.is_success() {
                if r.synapse
                    .completion
                    .as_deref()
                    .is_none_or(|t| !routing::is_valid(t))
                {
                    last = format!("miner {} answered nothing", c.uid);
                    state.health.failed(c.uid);
                } else {
                    state.health.succeeded(c.uid);
                }
                answers.push((c, Some(r.synapse)));
            } else {
                state.health.failed(c.uid);
                last = format!(
                    "miner {}: {} {}",
                    c.uid,
                    r.status_code(),
                    r.dendrite.status_message.clone().unwrap_or_default()
                );
                tracing::debug!(uid = c.uid, error = %last, "miner failed");
                answers.push((c, None));
            }
        }
        if let Some((c, s)) = routing::pick(answers, |s: &TextGeneration| {
            s.completion.as_deref().unwrap_or("")
        }) {
            let text = s.completion.unwrap_or_default();
            let prompt_tokens = s.prompt_tokens.filter(|n| *n > 0).unwrap_or_else(|| {
                req.completion
                    .messages
                    .iter()
                    .map(|m| api::estimate_tokens(&m.content))
                    .sum()
            });
            let completion_tokens = s
                .completion_tokens
                .filter(|n| *n > 0)
                .unwrap_or_else(|| api::estimate_tokens(&text));
            let finish = match s.finish_reason.as_deref() {
                Some("length") => "length",
                _ => "stop",
            };
            let model = req.model.clone().unwrap_or_else(|| config.model_id.clone());
            let body = api::completion_json(
                &completion_id(),
                now_s(),
                &model,
                &text,
                finish,
                prompt_tokens,
                completion_tokens,
            );
            return Ok(with_miner(axum::Json(body).into_response(), c.uid));
        }
    }
    Err(ApiError::miners_failed(tried, &last))
}

/// Decodes UTF-8 across chunk boundaries.
#[derive(Default)]
struct Utf8Buf(Vec<u8>);

impl Utf8Buf {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.0.extend_from_slice(bytes);
        match std::str::from_utf8(&self.0) {
            Ok(s) => {
                let out = s.to_string();
                self.0.clear();
                out
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // An invalid sequence (not just an incomplete tail): replace it.
                let cut = if e.error_len().is_some() {
                    self.0.len()
                } else {
                    valid
                };
                let out =
                    String::from_utf8_lossy(self.0.get(..cut).unwrap_or_default()).into_owned();
                self.0.drain(..cut);
                out
            }
        }
    }
}

type Chunks = futures::stream::BoxStream<'static, Result<Bytes, String>>;

/// Try miners one at a time; commit to the first whose stream yields text within the timeout.
async fn stream_answer(
    state: Arc<AppState>,
    req: ChatRequest,
    order: Vec<Candidate>,
) -> Result<Response, ApiError> {
    let config = &state.config;
    let synapse = TextGenerationStream::new(req.completion.clone());
    let mut last = String::from("no answer");
    let tried = order.len();
    for c in order {
        let sr = config
            .dendrite
            .call_stream(&c.axon, synapse.clone(), config.stream_timeout)
            .await;
        let Some(mut chunks) = sr.chunks.filter(|_| sr.dendrite.status_code == Some(200)) else {
            state.health.failed(c.uid);
            last = format!(
                "miner {}: {} {}",
                c.uid,
                sr.dendrite.status_code.unwrap_or(0),
                sr.dendrite.status_message.unwrap_or_default()
            );
            continue;
        };
        let mut utf8 = Utf8Buf::default();
        let first = tokio::time::timeout(config.timeout, async {
            while let Some(item) = chunks.next().await {
                match item {
                    Ok(b) => {
                        let text = utf8.push(&b);
                        if !text.is_empty() {
                            return Ok(text);
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            Err("empty answer".to_string())
        })
        .await;
        match first {
            Ok(Ok(text)) => {
                state.health.succeeded(c.uid);
                let model = req.model.clone().unwrap_or_else(|| config.model_id.clone());
                let body = sse_body(model, req.include_usage, &req, text, chunks, utf8);
                let resp = Response::builder()
                    .header(header::CONTENT_TYPE, "text/event-stream")
                    .header(header::CACHE_CONTROL, "no-cache")
                    .body(body)
                    .map_err(|e| ApiError::miners_failed(tried, &e.to_string()))?;
                return Ok(with_miner(resp, c.uid));
            }
            Ok(Err(e)) => last = format!("miner {}: {e}", c.uid),
            Err(_) => last = format!("miner {}: no text within {:?}", c.uid, config.timeout),
        }
        state.health.failed(c.uid);
    }
    Err(ApiError::miners_failed(tried, &last))
}

fn sse_body(
    model: String,
    include_usage: bool,
    req: &ChatRequest,
    first: String,
    mut chunks: Chunks,
    mut utf8: Utf8Buf,
) -> Body {
    let id = completion_id();
    let created = now_s();
    let prompt_tokens: u32 = req
        .completion
        .messages
        .iter()
        .map(|m| api::estimate_tokens(&m.content))
        .sum();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(32);
    tokio::spawn(async move {
        let send = |v: Value| {
            let tx = tx.clone();
            async move { tx.send(Ok(Bytes::from(api::sse_event(&v)))).await.is_ok() }
        };
        let mut text = first.clone();
        if !send(api::chunk_json(
            &id,
            created,
            &model,
            json!({"role": "assistant", "content": ""}),
            None,
        ))
        .await
            || !send(api::chunk_json(
                &id,
                created,
                &model,
                json!({"content": first}),
                None,
            ))
            .await
        {
            return;
        }
        while let Some(item) = chunks.next().await {
            let piece = match item {
                Ok(b) => utf8.push(&b),
                Err(e) => {
                    // The miner broke off mid-answer; end the answer where it stopped.
                    tracing::warn!(error = %e, "miner stream failed after the first piece");
                    break;
                }
            };
            if piece.is_empty() {
                continue;
            }
            text.push_str(&piece);
            if !send(api::chunk_json(
                &id,
                created,
                &model,
                json!({"content": piece}),
                None,
            ))
            .await
            {
                return; // client went away
            }
        }
        let _ = send(api::chunk_json(
            &id,
            created,
            &model,
            json!({}),
            Some("stop"),
        ))
        .await;
        if include_usage {
            let completion_tokens = api::estimate_tokens(&text);
            let _ = send(json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens.saturating_add(completion_tokens)},
            }))
            .await;
        }
        let _ = tx.send(Ok(Bytes::from_static(b"data: [DONE]\n\n"))).await;
    });
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|i| (i, rx))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_across_chunks() {
        let mut b = Utf8Buf::default();
        let s = "héllo".as_bytes();
        assert_eq!(b.push(&s[..2]), "h");
        assert_eq!(b.push(&s[2..]), "éllo");
        assert_eq!(b.push(&[0xff, b'a']), "\u{fffd}a");
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd") && !ct_eq(b"a", b"ab"));
    }

    #[test]
    fn completion_ids_are_fresh_and_openai_shaped() {
        let id = completion_id();
        let hex = id.strip_prefix("chatcmpl-").unwrap();
        assert_eq!(hex.len(), 32, "{id}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{id}"
        );
        assert_ne!(completion_id(), id);
    }
}
