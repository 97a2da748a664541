//! The dendrite: a reqwest client that signs synapses, sends them to axons, and maps every
//! outcome to status codes the way the Python dendrite does.
//!
//! ```no_run
//! # async fn demo(axon: neuron::AxonInfo) -> Result<(), neuron::Error> {
//! use std::time::Duration;
//! use neuron::{Dendrite, Ping};
//! let alice = keys::Keypair::from_uri("//Alice").map_err(|e| neuron::Error::Other(e.to_string()))?;
//! let dendrite = Dendrite::new(alice)?;
//! let r = dendrite.call(&axon, Ping {}, Duration::from_secs(12)).await;
//! println!("{} {:?}", r.is_success(), r.dendrite.status_message);
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use keys::Keypair;
use tokio::time::Instant;

use crate::axon::{PROTOCOL_VERSION, SignatureScheme, new_uuid, now_ns};
use crate::body_hash::py_float_repr;
use crate::error::Error;
use crate::headers::{self, SynapseHeaders};
use crate::signing::{self, epistula};
use crate::synapse::{Synapse, SynapseBody};
use crate::terminal::{AxonInfo, TerminalInfo, status};

/// Dendrite settings.
#[derive(Debug, Clone)]
pub struct DendriteConfig {
    /// The IP we announce in `bt_header_dendrite_ip` (the axon uses the TCP peer anyway).
    pub external_ip: String,
    /// How requests are signed. [`SignatureScheme::Epistula`] adds Epistula v2 headers over
    /// the exact body bytes (our axon then checks those instead).
    pub scheme: SignatureScheme,
    /// Treat responses without a valid axon signature as failures (502). Off by default,
    /// since Python axons do not sign 200 responses.
    pub require_signed_responses: bool,
    /// Idle keep-alive connections kept per axon.
    pub pool_max_idle_per_host: usize,
    /// Verify `bt_header_axon_signature` when present (on by default). Off, responses are
    /// taken as they come and [`Response::auth`] is [`ResponseAuth::Absent`]; the benchmark's
    /// load generator uses this so it does the same work against every axon.
    pub verify_responses: bool,
}

impl Default for DendriteConfig {
    fn default() -> Self {
        DendriteConfig {
            external_ip: "127.0.0.1".into(),
            scheme: SignatureScheme::Synapse,
            require_signed_responses: false,
            pool_max_idle_per_host: 64,
            verify_responses: true,
        }
    }
}

/// How the axon's response was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseAuth {
    /// A rustensor response signature over the exact body bytes verified.
    Verified,
    /// Only the Python axon's header signature (`{nonce}.{dendrite}.{axon}.{uuid}`, error
    /// responses) verified; the body is not covered.
    HeadersOnly,
    /// No signature (Python 200 responses, or no response at all).
    Absent,
    /// A signature was present and did not verify.
    Invalid,
}

/// The outcome of one call, in the shape of Python's returned synapse.
#[derive(Debug, Clone)]
pub struct Response<S> {
    /// The synapse: the axon's answer on success, the request as sent otherwise.
    pub synapse: S,
    /// Our terminal; `status_code`/`status_message` summarise the call.
    pub dendrite: TerminalInfo,
    /// The axon's terminal as it reported it.
    pub axon: TerminalInfo,
    /// How the response was authenticated.
    pub auth: ResponseAuth,
}

impl<S> Response<S> {
    /// The summary status code (`dendrite.status_code`; 0 if unset).
    pub fn status_code(&self) -> u64 {
        self.dendrite.status_code.unwrap_or(0)
    }
    /// `dendrite.status_code == 200`.
    pub fn is_success(&self) -> bool {
        self.status_code() == u64::from(status::SUCCESS)
    }
    /// `dendrite.status_code == 408`.
    pub fn is_timeout(&self) -> bool {
        self.status_code() == u64::from(status::TIMEOUT)
    }
    /// `dendrite.status_code == 403`.
    pub fn is_blacklist(&self) -> bool {
        self.status_code() == u64::from(status::FORBIDDEN)
    }
    /// `dendrite.status_code == 401`.
    pub fn failed_verification(&self) -> bool {
        self.status_code() == u64::from(status::UNAUTHORIZED)
    }
}

/// A client that queries axons as one hotkey. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Dendrite {
    inner: Arc<Inner>,
}

struct Inner {
    keypair: Keypair,
    ss58: String,
    uuid: String,
    client: reqwest::Client,
    last_nonce: AtomicU64,
    config: DendriteConfig,
}

impl std::fmt::Debug for Dendrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dendrite({})", self.inner.ss58)
    }
}

impl Dendrite {
    /// A dendrite signing as `keypair`, with default settings.
    pub fn new(keypair: Keypair) -> Result<Self, Error> {
        Dendrite::with_config(keypair, DendriteConfig::default())
    }

    /// A dendrite with explicit settings.
    pub fn with_config(keypair: Keypair, config: DendriteConfig) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .map_err(Error::Client)?;
        Ok(Dendrite {
            inner: Arc::new(Inner {
                ss58: keypair.ss58(),
                keypair,
                uuid: new_uuid(),
                client,
                last_nonce: AtomicU64::new(0),
                config,
            }),
        })
    }

    /// Our hotkey's SS58 address.
    pub fn hotkey(&self) -> &str {
        &self.inner.ss58
    }

    /// This dendrite's uuid (stable for its lifetime, like Python's).
    pub fn uuid(&self) -> &str {
        &self.inner.uuid
    }

    /// A fresh nonce: the wall clock in ns, forced strictly above the previous one so that
    /// concurrent calls never share a nonce.
    fn next_nonce(&self) -> u64 {
        let now = now_ns();
        let mut prev = self.inner.last_nonce.load(Ordering::Relaxed);
        loop {
            let next = now.max(prev.saturating_add(1));
            match self.inner.last_nonce.compare_exchange_weak(
                prev,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(p) => prev = p,
            }
        }
    }

    /// Query many axons with the same synapse concurrently; results are in `axons` order.
    pub async fn query<S: Synapse>(
        &self,
        axons: &[AxonInfo],
        synapse: S,
        timeout: Duration,
    ) -> Vec<Response<S>> {
        futures::future::join_all(axons.iter().map(|a| self.call(a, synapse.clone(), timeout)))
            .await
    }

    /// Sign `synapse` for `axon` and send it; returns the HTTP response, or the failure as a
    /// status code and message. Shared by [`Dendrite::call`] and [`Dendrite::call_stream`].
    async fn send<S: Synapse>(
        &self,
        axon: &AxonInfo,
        axon_hotkey: &str,
        synapse: &S,
        timeout: Duration,
    ) -> Sent {
        let timeout_s = timeout.as_secs_f64();
        let inner = &self.inner;
        let nonce = self.next_nonce();
        let mut dendrite = TerminalInfo {
            ip: Some(inner.config.external_ip.clone()),
            version: Some(PROTOCOL_VERSION),
            nonce: Some(nonce),
            uuid: Some(inner.uuid.clone()),
            hotkey: Some(inner.ss58.clone()),
            ..TerminalInfo::default()
        };
        let axon_t = TerminalInfo {
            ip: Some(axon.ip.clone()),
            port: Some(u64::from(axon.port)),
            hotkey: Some(axon_hotkey.to_string()),
            ..TerminalInfo::default()
        };
        let mut sent = Sent {
            dendrite,
            axon_t,
            nonce,
            outcome: Err((0, String::new())),
        };
        let body_hash = match synapse.body_hash() {
            Ok(h) => h,
            Err(e) => {
                sent.outcome = Err((status::BAD_REQUEST, format!("Payload error: {e}")));
                return sent;
            }
        };
        let message =
            signing::request_message(nonce, &inner.ss58, axon_hotkey, &inner.uuid, &body_hash);
        sent.dendrite.signature = Some(signing::sig_hex(&inner.keypair.sign(message.as_bytes())));
        dendrite = sent.dendrite.clone();

        let body = SynapseBody::new(
            synapse.clone(),
            timeout_s,
            dendrite.clone(),
            sent.axon_t.clone(),
        );
        let bytes = match serde_json::to_vec(&body) {
            Ok(b) => b,
            Err(e) => {
                sent.outcome = Err((status::BAD_REQUEST, format!("Payload error: {e}")));
                return sent;
            }
        };
        let mut map = HeaderMap::new();
        SynapseHeaders {
            name: Some(S::NAME.to_string()),
            timeout: Some(timeout_s),
            dendrite,
            axon: sent.axon_t.clone(),
            computed_body_hash: Some(body_hash),
        }
        .write(&mut map);
        for (k, v) in headers::input_obj_headers(synapse, S::REQUIRED_FIELDS) {
            headers::insert(&mut map, &k, &v);
        }
        headers::insert(&mut map, "content-type", "application/json");
        if inner.config.scheme == SignatureScheme::Epistula {
            let ts_ms = now_ns() / 1_000_000;
            for (k, v) in epistula::headers(
                &inner.keypair,
                &bytes,
                Some(axon_hotkey),
                &new_uuid(),
                ts_ms,
            ) {
                headers::insert(&mut map, &k.to_ascii_lowercase(), &v);
            }
        }
        let url = format!("http://{}/{}", axon.authority(), S::NAME);
        sent.outcome = inner
            .client
            .post(&url)
            .headers(map)
            .body(bytes)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| transport_error(&e, axon, S::NAME, timeout_s));
        sent
    }

    /// Send `synapse` to `axon` and wait up to `timeout` for the answer. Never fails: every
    /// problem becomes a status code in `dendrite`, as in Python (503 connection refused, 408
    /// timeout, 422 unparsable response, ...).
    pub async fn call<S: Synapse>(
        &self,
        axon: &AxonInfo,
        synapse: S,
        timeout: Duration,
    ) -> Response<S> {
        let start = Instant::now();
        let timeout_s = timeout.as_secs_f64();
        let inner = &self.inner;
        let axon_hotkey = axon.hotkey.to_ss58();
        let Sent {
            dendrite,
            axon_t: axon_terminal,
            nonce,
            outcome,
        } = self.send(axon, &axon_hotkey, &synapse, timeout).await;
        let fail = |code: u16,
                    message: String,
                    dendrite: TerminalInfo,
                    axon_t: TerminalInfo,
                    synapse: S| {
            let mut d = dendrite;
            d.status_code = Some(u64::from(code));
            d.status_message = Some(message);
            d.process_time = Some(start.elapsed().as_secs_f64());
            Response {
                synapse,
                dendrite: d,
                axon: axon_t,
                auth: ResponseAuth::Absent,
            }
        };
        let result = match outcome {
            Ok(resp) => {
                let code = resp.status().as_u16();
                let hdrs = resp.headers().clone();
                resp.bytes()
                    .await
                    .map(|b| (code, hdrs, b))
                    .map_err(|e| transport_error(&e, axon, S::NAME, timeout_s))
            }
            Err(e) => Err(e),
        };
        let (code, resp_headers, resp_body) = match result {
            Ok(r) => r,
            Err((code, msg)) => return fail(code, msg, dendrite, axon_terminal, synapse),
        };

        let server = SynapseHeaders::parse(&resp_headers);
        let auth = if inner.config.verify_responses {
            check_response_signature(&server, &resp_body, axon, &inner.ss58, &inner.uuid, nonce)
        } else {
            ResponseAuth::Absent
        };
        let (mut out_synapse, mut local_d, mut local_a) =
            (synapse.clone(), dendrite.clone(), axon_terminal.clone());
        if code == status::SUCCESS {
            match serde_json::from_slice::<SynapseBody<S>>(&resp_body) {
                Ok(b) => {
                    out_synapse = b.synapse;
                    if let Some(d) = b.dendrite {
                        local_d = d;
                    }
                    if let Some(a) = b.axon {
                        local_a = a;
                    }
                }
                Err(e) => {
                    return fail(
                        status::UNPARSEABLE,
                        format!("Failed to parse response: {e}"),
                        dendrite,
                        axon_terminal,
                        synapse,
                    );
                }
            }
        } else {
            let Some(msg) = error_message(&resp_body) else {
                return fail(
                    status::UNPARSEABLE,
                    format!("Failed to parse response: HTTP {code} without a JSON message"),
                    dendrite,
                    axon_terminal,
                    synapse,
                );
            };
            local_a.status_code = Some(u64::from(code));
            local_a.status_message = Some(msg);
        }
        // Python's merge: header values that are set win over the body/local values.
        let mut d = server.dendrite.merged_over(&local_d);
        let a = server.axon.merged_over(&local_a);
        d.status_code = a.status_code;
        d.status_message = a.status_message.clone();
        d.process_time = Some(start.elapsed().as_secs_f64());
        if let Some(msg) = self.signature_problem(auth, &axon_hotkey) {
            // Do not hand back a body we cannot attribute to the axon.
            let mut r = fail(status::BAD_RESPONSE_SIGNATURE, msg, d, a, synapse);
            r.auth = auth;
            return r;
        }
        Response {
            synapse: out_synapse,
            dendrite: d,
            axon: a,
            auth,
        }
    }

    /// Why a response with this authentication is refused, if it is.
    fn signature_problem(&self, auth: ResponseAuth, axon_hotkey: &str) -> Option<String> {
        let cfg = &self.inner.config;
        match auth {
            ResponseAuth::Invalid => Some(format!(
                "Response signature from {axon_hotkey} did not verify"
            )),
            ResponseAuth::Verified => None,
            _ if cfg.require_signed_responses && cfg.verify_responses => {
                Some(format!("Response from {axon_hotkey} is not signed"))
            }
            _ => None,
        }
    }

    /// Call a streaming synapse (Python's `StreamingSynapse`): on a 200 the body arrives as
    /// chunks in [`StreamResponse::chunks`]; otherwise the statuses are set as in
    /// [`Dendrite::call`] and there are no chunks. `timeout` covers the whole stream. The
    /// response signature, when present, covers the headers only.
    pub async fn call_stream<S: Synapse>(
        &self,
        axon: &AxonInfo,
        synapse: S,
        timeout: Duration,
    ) -> StreamResponse {
        let start = Instant::now();
        let timeout_s = timeout.as_secs_f64();
        let axon_hotkey = axon.hotkey.to_ss58();
        let inner = &self.inner;
        let Sent {
            mut dendrite,
            axon_t,
            nonce,
            outcome,
        } = self.send(axon, &axon_hotkey, &synapse, timeout).await;
        let mut out = StreamResponse {
            dendrite: TerminalInfo::default(),
            axon: axon_t.clone(),
            auth: ResponseAuth::Absent,
            chunks: None,
        };
        let resp = match outcome {
            Ok(r) => r,
            Err((code, msg)) => {
                dendrite.status_code = Some(u64::from(code));
                dendrite.status_message = Some(msg);
                dendrite.process_time = Some(start.elapsed().as_secs_f64());
                out.dendrite = dendrite;
                return out;
            }
        };
        let code = resp.status().as_u16();
        let server = SynapseHeaders::parse(resp.headers());
        let mut local_a = axon_t;
        let mut streaming = None;
        let body = if code == status::SUCCESS {
            local_a.status_code = Some(u64::from(code));
            streaming = Some(resp);
            None
        } else {
            let bytes = resp.bytes().await.unwrap_or_default();
            local_a.status_code = Some(u64::from(code));
            local_a.status_message = Some(
                error_message(&bytes)
                    .unwrap_or_else(|| format!("Failed to parse response: HTTP {code}")),
            );
            Some(bytes)
        };
        out.auth = if inner.config.verify_responses {
            check_response_signature(
                &server,
                body.as_deref().unwrap_or_default(),
                axon,
                &inner.ss58,
                &inner.uuid,
                nonce,
            )
        } else {
            ResponseAuth::Absent
        };
        let mut d = server.dendrite.merged_over(&dendrite);
        let a = server.axon.merged_over(&local_a);
        d.status_code = a.status_code;
        d.status_message = a.status_message.clone();
        d.process_time = Some(start.elapsed().as_secs_f64());
        out.axon = a;
        if streaming.is_some() && out.auth == ResponseAuth::Verified {
            // Our axon signs a stream's headers with the hash of an empty body: the chunks
            // are not covered, which is the best a stream can have, so it is not refused.
            out.auth = ResponseAuth::HeadersOnly;
        }
        let refused = match out.auth {
            ResponseAuth::HeadersOnly if streaming.is_some() => None,
            other => self.signature_problem(other, &axon_hotkey),
        };
        if let Some(msg) = refused {
            d.status_code = Some(u64::from(status::BAD_RESPONSE_SIGNATURE));
            d.status_message = Some(msg);
        } else if let Some(resp) = streaming {
            let (ip, port) = (axon.ip.clone(), axon.port);
            out.chunks = Some(
                resp.bytes_stream()
                    .map(move |r| {
                        r.map_err(|e| {
                            let probe = AxonInfo::new(ip.clone(), port, types::AccountId([0; 32]));
                            transport_error(&e, &probe, S::NAME, timeout_s).1
                        })
                    })
                    .boxed(),
            );
        }
        out.dendrite = d;
        out
    }
}

/// A request that was signed and sent (or failed on the way).
struct Sent {
    dendrite: TerminalInfo,
    axon_t: TerminalInfo,
    nonce: u64,
    outcome: Result<reqwest::Response, (u16, String)>,
}

/// The `{"message": ...}` of an error response.
fn error_message(body: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let m = v.get("message")?;
    Some(
        m.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| m.to_string()),
    )
}

/// Map a transport failure to Python's dendrite status codes and messages.
fn transport_error(
    e: &reqwest::Error,
    axon: &AxonInfo,
    name: &str,
    timeout_s: f64,
) -> (u16, String) {
    if e.is_timeout() {
        (
            status::TIMEOUT,
            format!("Request timeout after {} seconds", py_float_repr(timeout_s)),
        )
    } else if e.is_connect() {
        (
            status::UNAVAILABLE,
            format!("Service unavailable at {}:{}/{}", axon.ip, axon.port, name),
        )
    } else if e.is_body() || e.is_decode() {
        (status::BAD_REQUEST, format!("Payload error: {e}"))
    } else {
        (status::INTERNAL, format!("Client error: {e}"))
    }
}

/// The outcome of [`Dendrite::call_stream`].
pub struct StreamResponse {
    /// Our terminal; `status_code`/`status_message` summarise the call.
    pub dendrite: TerminalInfo,
    /// The axon's terminal from the response headers.
    pub axon: TerminalInfo,
    /// How the response headers were authenticated.
    pub auth: ResponseAuth,
    /// The body chunks, on success; an `Err` item is a transport failure mid-stream
    /// (e.g. `Request timeout after … seconds`).
    pub chunks: Option<BoxStream<'static, Result<Bytes, String>>>,
}

impl std::fmt::Debug for StreamResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResponse")
            .field("dendrite", &self.dendrite)
            .field("axon", &self.axon)
            .field("auth", &self.auth)
            .field("streaming", &self.chunks.is_some())
            .finish()
    }
}

impl StreamResponse {
    /// `dendrite.status_code == 200`.
    pub fn is_success(&self) -> bool {
        self.dendrite.status_code == Some(u64::from(status::SUCCESS))
    }
}

/// Verify `bt_header_axon_signature` against the axon we addressed.
fn check_response_signature(
    server: &SynapseHeaders,
    body: &[u8],
    axon: &AxonInfo,
    our_hotkey: &str,
    our_uuid: &str,
    our_nonce: u64,
) -> ResponseAuth {
    let Some(sig) = server.axon.signature.as_deref() else {
        return ResponseAuth::Absent;
    };
    let Ok(sig) = keys::parse_signature(sig) else {
        return ResponseAuth::Invalid;
    };
    let Some(axon_nonce) = server.axon.nonce else {
        return ResponseAuth::Invalid;
    };
    let axon_hotkey = axon.hotkey.to_ss58();
    let ours = signing::response_message(
        axon_nonce,
        our_hotkey,
        &axon_hotkey,
        our_uuid,
        our_nonce,
        body,
    );
    if signing::verify_sr25519(&axon.hotkey.0, ours.as_bytes(), &sig) {
        return ResponseAuth::Verified;
    }
    let axon_uuid = server.axon.uuid.as_deref().unwrap_or_default();
    let python = signing::python_axon_message(axon_nonce, our_hotkey, &axon_hotkey, axon_uuid);
    if signing::verify_sr25519(&axon.hotkey.0, python.as_bytes(), &sig) {
        return ResponseAuth::HeadersOnly;
    }
    ResponseAuth::Invalid
}
