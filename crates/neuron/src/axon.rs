//! The axon: an axum HTTP server that answers synapses.
//!
//! Pipeline per request (see `docs/protocol.md`): route lookup (404) → headers (400) →
//! signature (401) → nonce (401) → blacklist (403) → priority gate (503/408) → body size
//! (413) → body parse (400) → body hash vs signed header hash (400) → forward with the
//! request's timeout (408/500) → signed response. Epistula-signed requests (header
//! `Epistula-Version: 2`) read the body first, since their signature covers its bytes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), neuron::Error> {
//! use neuron::{Axon, AxonConfig, Ping};
//! let hotkey = keys::Keypair::from_uri("//Bob").map_err(|e| neuron::Error::Other(e.to_string()))?;
//! let axon = Axon::new(hotkey, AxonConfig::loopback(0))
//!     .attach(|p: Ping| async move { p })
//!     .serve()
//!     .await?;
//! println!("listening on {}", axon.local_addr());
//! axon.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::serve::ListenerExt as _;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream};
use futures::{FutureExt as _, StreamExt as _};
use keys::Keypair;
use tokio::time::Instant;
use types::AccountId;

use crate::body_hash::EMPTY_BODY_HASH;
use crate::error::{AxonError, Error, ForwardError, VerifyError};
use crate::headers::{self, SynapseHeaders};
use crate::nonce::{NonceConfig, NonceStore};
use crate::policy::{Blacklist, GatePermit, PriorityGate};
use crate::signing::{self, epistula};
use crate::synapse::{Ping, Synapse, SynapseBody};
use crate::terminal::{AxonInfo, TerminalInfo, status};

/// The version int we put on the wire: the Python protocol we speak (bittensor 10.5.0).
pub const PROTOCOL_VERSION: u64 = 10_005_000;

/// Default timeout when a request does not say (Python's `Synapse.timeout`).
pub const DEFAULT_TIMEOUT_S: f64 = 12.0;

/// Axon settings.
#[derive(Debug, Clone)]
pub struct AxonConfig {
    /// Address to bind (Python hard-codes `0.0.0.0`).
    pub bind: SocketAddr,
    /// IP advertised in `bt_header_axon_ip` and [`RunningAxon::info`] (default: bound IP).
    pub external_ip: Option<String>,
    /// Port advertised (default: bound port).
    pub external_port: Option<u16>,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Upper bound on the timeout a request may ask for.
    pub max_timeout: Duration,
    /// Replay-protection settings.
    pub nonce: NonceConfig,
    /// Forwards running at once; beyond that requests queue by priority.
    pub max_in_flight: usize,
    /// Requests allowed to wait for a slot.
    pub max_queue: usize,
    /// Accept Epistula v2 signatures as an alternative to Synapse signatures.
    pub accept_epistula: bool,
    /// Sign every response with `bt_header_axon_signature` (see [`signing::response_message`]).
    pub sign_responses: bool,
}

impl Default for AxonConfig {
    fn default() -> Self {
        AxonConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8091),
            external_ip: None,
            external_port: None,
            max_body_bytes: 4 * 1024 * 1024,
            max_timeout: Duration::from_secs(60),
            nonce: NonceConfig::default(),
            max_in_flight: 256,
            max_queue: 1024,
            accept_epistula: true,
            sign_responses: true,
        }
    }
}

impl AxonConfig {
    /// Defaults, bound to `127.0.0.1:port` (0 picks a free port).
    pub fn loopback(port: u16) -> Self {
        AxonConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            ..AxonConfig::default()
        }
    }
}

/// How a request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// Bittensor Synapse headers (`bt_header_dendrite_signature`).
    Synapse,
    /// Epistula v2 headers.
    Epistula,
}

/// The verified caller of a request, given to blacklist, priority and forward functions.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Verified hotkey.
    pub hotkey: AccountId,
    /// Stake from the blacklist's metagraph view, if any.
    pub stake: Option<u64>,
    /// TCP peer.
    pub peer: SocketAddr,
    /// Dendrite uuid (Epistula: the request uuid).
    pub uuid: String,
    /// Nonce in ns (Epistula: timestamp × 10^6).
    pub nonce: u64,
    /// `bt_header_dendrite_version`, when sent.
    pub version: Option<u64>,
    /// Timeout in seconds granted to this request.
    pub timeout: f64,
    /// Signature scheme used.
    pub scheme: SignatureScheme,
}

type BlacklistFn = Arc<dyn Fn(&Caller) -> Result<(), String> + Send + Sync>;
type PriorityFn = Arc<dyn Fn(&Caller) -> f64 + Send + Sync>;

/// Per-synapse blacklist and priority functions, run after the axon-wide blacklist.
#[derive(Clone, Default)]
pub struct RouteOptions {
    blacklist: Option<BlacklistFn>,
    priority: Option<PriorityFn>,
}

impl RouteOptions {
    /// No extra checks; priority = stake.
    pub fn new() -> Self {
        RouteOptions::default()
    }

    /// Reject callers for which `f` returns `Err(reason)` (403 with the reason).
    pub fn blacklist(
        mut self,
        f: impl Fn(&Caller) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.blacklist = Some(Arc::new(f));
        self
    }

    /// Order queued requests by `f` (higher first) instead of by stake.
    pub fn priority(mut self, f: impl Fn(&Caller) -> f64 + Send + Sync + 'static) -> Self {
        self.priority = Some(Arc::new(f));
        self
    }
}

/// What a forward function may return: the answered synapse, or a `Result` of it.
pub trait IntoForward<S> {
    /// Convert into the handler outcome.
    fn into_forward(self) -> Result<S, ForwardError>;
}

impl<S: Synapse> IntoForward<S> for S {
    fn into_forward(self) -> Result<S, ForwardError> {
        Ok(self)
    }
}

impl<S: Synapse, E: Into<ForwardError>> IntoForward<S> for Result<S, E> {
    fn into_forward(self) -> Result<S, ForwardError> {
        self.map_err(Into::into)
    }
}

/// What the route needs to build a 200 body.
struct Meta {
    start: Instant,
    timeout: Duration,
    timeout_s: f64,
    axon: TerminalInfo,
}

/// A route's answer: a complete JSON body, or a stream of chunks (streaming synapses).
enum Output {
    Full(Vec<u8>),
    Stream(BoxStream<'static, Bytes>),
}

trait Route: Send + Sync {
    fn options(&self) -> &RouteOptions;
    /// Parse and check the body, run the forward. `permit` is the forward slot: held until
    /// the answer is complete (for streams, until the stream ends).
    fn run(
        &self,
        body: Bytes,
        header_hash: Option<String>,
        caller: Caller,
        meta: Meta,
        permit: GatePermit,
    ) -> BoxFuture<'static, Result<Output, AxonError>>;
}

/// Parse a request body into `S` and, for Synapse-signed requests, check it against the
/// signed header hash.
fn parse_checked<S: Synapse>(
    body: &[u8],
    header_hash: Option<String>,
) -> Result<SynapseBody<S>, AxonError> {
    let parsed: SynapseBody<S> = serde_json::from_slice(body).map_err(|e| AxonError::BadBody {
        name: S::NAME.to_string(),
        reason: e.to_string(),
    })?;
    if let Some(header) = header_hash {
        let computed = parsed
            .synapse
            .body_hash()
            .map_err(|e| AxonError::Internal(e.to_string()))?;
        if computed != header {
            return Err(AxonError::BodyHashMismatch { header, computed });
        }
    }
    Ok(parsed)
}

struct TypedRoute<S, F> {
    forward: F,
    options: RouteOptions,
    _s: PhantomData<fn() -> S>,
}

impl<S, F, Fut, R> Route for TypedRoute<S, F>
where
    S: Synapse,
    F: Fn(S, Caller) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoForward<S>,
{
    fn options(&self) -> &RouteOptions {
        &self.options
    }

    fn run(
        &self,
        body: Bytes,
        header_hash: Option<String>,
        caller: Caller,
        meta: Meta,
        permit: GatePermit,
    ) -> BoxFuture<'static, Result<Output, AxonError>> {
        let parsed = match parse_checked::<S>(&body, header_hash) {
            Ok(p) => p,
            Err(e) => return futures::future::ready(Err(e)).boxed(),
        };
        let SynapseBody {
            name,
            timeout,
            total_size,
            header_size,
            dendrite,
            synapse,
            ..
        } = parsed;
        // A panicking handler must not take the connection down with it.
        let fut = AssertUnwindSafe((self.forward)(synapse, caller)).catch_unwind();
        async move {
            let out = match tokio::time::timeout(meta.timeout, fut).await {
                Err(_) => return Err(AxonError::ForwardTimeout(meta.timeout_s)),
                Ok(Err(_panic)) => return Err(AxonError::Internal(new_uuid())),
                Ok(Ok(r)) => r.into_forward().map_err(AxonError::Forward)?,
            };
            let mut axon = meta.axon;
            axon.status_code = Some(u64::from(status::SUCCESS));
            axon.status_message = Some("Success".into());
            axon.process_time = Some(meta.start.elapsed().as_secs_f64());
            let body = SynapseBody {
                name,
                timeout,
                total_size,
                header_size,
                dendrite,
                axon: Some(axon),
                computed_body_hash: Some(String::new()),
                synapse: out,
            };
            drop(permit);
            serde_json::to_vec(&body)
                .map(Output::Full)
                .map_err(|e| AxonError::Internal(format!("{} ({e})", new_uuid())))
        }
        .boxed()
    }
}

struct StreamRoute<S, F> {
    forward: F,
    options: RouteOptions,
    _s: PhantomData<fn() -> S>,
}

impl<S, F, St> Route for StreamRoute<S, F>
where
    S: Synapse,
    F: Fn(S, Caller) -> St + Send + Sync + 'static,
    St: Stream + Send + 'static,
    St::Item: Into<Bytes> + Send,
{
    fn options(&self) -> &RouteOptions {
        &self.options
    }

    fn run(
        &self,
        body: Bytes,
        header_hash: Option<String>,
        caller: Caller,
        meta: Meta,
        permit: GatePermit,
    ) -> BoxFuture<'static, Result<Output, AxonError>> {
        let result = parse_checked::<S>(&body, header_hash).and_then(|parsed| {
            let forward = &self.forward;
            let stream =
                std::panic::catch_unwind(AssertUnwindSafe(|| forward(parsed.synapse, caller)))
                    .map_err(|_| AxonError::Internal(new_uuid()))?;
            let deadline = Instant::now() + meta.timeout;
            // Chunks flow until the stream ends, panics, or the request's timeout passes; the
            // forward slot is released when the body is done or dropped.
            let chunks = AssertUnwindSafe(stream)
                .catch_unwind()
                .take_while(|r| futures::future::ready(r.is_ok()))
                .filter_map(|r| futures::future::ready(r.ok().map(Into::into)))
                .take_until(tokio::time::sleep_until(deadline))
                .map(move |chunk: Bytes| {
                    let _slot = &permit;
                    chunk
                });
            Ok(Output::Stream(chunks.boxed()))
        });
        futures::future::ready(result).boxed()
    }
}

/// What became of a request, as [`AxonStats`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestOutcome {
    /// Answered (200), streams included.
    Served,
    /// No such synapse (404).
    UnknownSynapse,
    /// Bad headers, body or body hash (400).
    BadRequest,
    /// Missing or bad signature, stale or replayed nonce (401).
    NotVerified,
    /// Blacklisted: unregistered, low stake or a synapse's own check (403).
    Blacklisted,
    /// Queue full (503).
    Overloaded,
    /// Waited past the timeout for a slot, or the handler did not finish in time (408).
    Timeout,
    /// Body over the limit (413).
    TooLarge,
    /// The handler returned an error (its status).
    HandlerError,
    /// The handler panicked or the answer did not encode (500).
    Internal,
}

impl RequestOutcome {
    /// Every outcome, in [`AxonStats`] order.
    pub const ALL: [RequestOutcome; 10] = [
        RequestOutcome::Served,
        RequestOutcome::UnknownSynapse,
        RequestOutcome::BadRequest,
        RequestOutcome::NotVerified,
        RequestOutcome::Blacklisted,
        RequestOutcome::Overloaded,
        RequestOutcome::Timeout,
        RequestOutcome::TooLarge,
        RequestOutcome::HandlerError,
        RequestOutcome::Internal,
    ];

    /// A short snake_case name (a metrics label).
    pub fn name(self) -> &'static str {
        match self {
            RequestOutcome::Served => "served",
            RequestOutcome::UnknownSynapse => "unknown_synapse",
            RequestOutcome::BadRequest => "bad_request",
            RequestOutcome::NotVerified => "not_verified",
            RequestOutcome::Blacklisted => "blacklisted",
            RequestOutcome::Overloaded => "overloaded",
            RequestOutcome::Timeout => "timeout",
            RequestOutcome::TooLarge => "too_large",
            RequestOutcome::HandlerError => "handler_error",
            RequestOutcome::Internal => "internal",
        }
    }

    fn of(e: &AxonError) -> Self {
        match e {
            AxonError::UnknownSynapse { .. } => RequestOutcome::UnknownSynapse,
            AxonError::BadHeaders { .. }
            | AxonError::BadBody { .. }
            | AxonError::BodyHashMismatch { .. } => RequestOutcome::BadRequest,
            AxonError::NotVerified(_) => RequestOutcome::NotVerified,
            AxonError::Blacklisted(_) => RequestOutcome::Blacklisted,
            AxonError::Overloaded => RequestOutcome::Overloaded,
            AxonError::PriorityTimeout(_) | AxonError::ForwardTimeout(_) => RequestOutcome::Timeout,
            AxonError::BodyTooLarge { .. } => RequestOutcome::TooLarge,
            AxonError::Forward(_) => RequestOutcome::HandlerError,
            AxonError::Internal(_) => RequestOutcome::Internal,
        }
    }

    fn index(self) -> usize {
        RequestOutcome::ALL
            .iter()
            .position(|o| *o == self)
            .unwrap_or(0)
    }
}

/// Request counters of an axon: requests and total handling time per [`RequestOutcome`].
/// The time runs from the request's arrival to its response headers (for a stream: to its
/// first byte). Shared with the running server; read it any time ([`Axon::stats`],
/// [`RunningAxon::stats`]).
#[derive(Debug, Default)]
pub struct AxonStats {
    counts: [AtomicU64; 10],
    nanos: [AtomicU64; 10],
}

impl AxonStats {
    pub(crate) fn record(&self, outcome: RequestOutcome, took: Duration) {
        let i = outcome.index();
        if let (Some(c), Some(n)) = (self.counts.get(i), self.nanos.get(i)) {
            c.fetch_add(1, Ordering::Relaxed);
            n.fetch_add(
                u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
    }

    /// Requests that ended with `outcome`.
    pub fn count(&self, outcome: RequestOutcome) -> u64 {
        self.counts
            .get(outcome.index())
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Total handling time of the requests that ended with `outcome`.
    pub fn time(&self, outcome: RequestOutcome) -> Duration {
        Duration::from_nanos(
            self.nanos
                .get(outcome.index())
                .map_or(0, |n| n.load(Ordering::Relaxed)),
        )
    }

    /// Requests answered with 200.
    pub fn served(&self) -> u64 {
        self.count(RequestOutcome::Served)
    }

    /// Requests answered with an error status.
    pub fn rejected(&self) -> u64 {
        RequestOutcome::ALL
            .iter()
            .filter(|o| **o != RequestOutcome::Served)
            .map(|o| self.count(*o))
            .fold(0, u64::saturating_add)
    }
}

/// An axon being configured: attach synapses, then [`Axon::serve`].
pub struct Axon {
    keypair: Keypair,
    config: AxonConfig,
    stats: Arc<AxonStats>,
    blacklist: Option<Blacklist>,
    routes: BTreeMap<String, Arc<dyn Route>>,
    /// Attach order, for the 404 message (Python lists synapses in that order).
    order: Vec<String>,
}

impl std::fmt::Debug for Axon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Axon")
            .field("hotkey", &self.keypair.ss58())
            .field("config", &self.config)
            .field("synapses", &self.routes.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Axon {
    /// An axon signing as `keypair` (the wallet's hotkey). `/Synapse` (ping) is attached.
    pub fn new(keypair: Keypair, config: AxonConfig) -> Self {
        let axon = Axon {
            keypair,
            config,
            stats: Arc::default(),
            blacklist: None,
            routes: BTreeMap::new(),
            order: Vec::new(),
        };
        axon.attach(|p: Ping| async move { p })
    }

    /// The request counters, shared with the server this axon becomes.
    pub fn stats(&self) -> Arc<AxonStats> {
        self.stats.clone()
    }

    /// Reject callers by stake (see [`Blacklist`]); without one, any verified hotkey may call.
    pub fn blacklist(mut self, blacklist: Blacklist) -> Self {
        self.blacklist = Some(blacklist);
        self
    }

    /// Answer `S` with `forward` (replacing an earlier handler for the same name).
    pub fn attach<S, F, Fut, R>(self, forward: F) -> Self
    where
        S: Synapse,
        F: Fn(S) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoForward<S> + 'static,
    {
        self.attach_with(move |s: S, _caller: Caller| forward(s), RouteOptions::new())
    }

    /// Answer `S` with `forward`, which also sees the verified [`Caller`], with per-synapse
    /// blacklist and priority functions.
    pub fn attach_with<S, F, Fut, R>(mut self, forward: F, options: RouteOptions) -> Self
    where
        S: Synapse,
        F: Fn(S, Caller) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoForward<S> + 'static,
    {
        let route = TypedRoute {
            forward,
            options,
            _s: PhantomData,
        };
        if self
            .routes
            .insert(S::NAME.to_string(), Arc::new(route))
            .is_none()
        {
            self.order.push(S::NAME.to_string());
        }
        self
    }

    /// Answer `S` with a stream of chunks (Python's `StreamingSynapse`): a 200 with
    /// `content-type: text/event-stream`, the synapse headers, and the chunks as the body.
    /// The stream is cut at the request's timeout. The response signature covers the headers
    /// only (the body is not known when they are sent); see `docs/protocol.md`.
    pub fn attach_stream<S, F, St>(mut self, forward: F, options: RouteOptions) -> Self
    where
        S: Synapse,
        F: Fn(S, Caller) -> St + Send + Sync + 'static,
        St: Stream + Send + 'static,
        St::Item: Into<Bytes> + Send,
    {
        let route = StreamRoute {
            forward,
            options,
            _s: PhantomData,
        };
        if self
            .routes
            .insert(S::NAME.to_string(), Arc::new(route))
            .is_none()
        {
            self.order.push(S::NAME.to_string());
        }
        self
    }

    /// The axum router, for embedding; serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()`. `local` is the address
    /// advertised when the config has no external ip/port.
    pub fn into_router(self, local: SocketAddr) -> Router {
        let shared = Shared {
            hotkey_ss58: self.keypair.ss58(),
            uuid: new_uuid(),
            external_ip: self
                .config
                .external_ip
                .clone()
                .unwrap_or_else(|| local.ip().to_string()),
            external_port: self.config.external_port.unwrap_or(local.port()),
            nonces: NonceStore::new(self.config.nonce),
            gate: PriorityGate::new(self.config.max_in_flight, self.config.max_queue),
            available: self.order,
            stats: self.stats,
            keypair: self.keypair,
            blacklist: self.blacklist,
            routes: self.routes,
            config: self.config,
        };
        Router::new().fallback(handle).with_state(Arc::new(shared))
    }

    /// Bind and serve in the background.
    pub async fn serve(self) -> Result<RunningAxon, Error> {
        let addr = self.config.bind;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let hotkey = self.keypair.account_id();
        let stats = self.stats.clone();
        let info = AxonInfo {
            ip: self.config.external_ip.clone().unwrap_or_else(|| {
                if local.ip().is_unspecified() {
                    Ipv4Addr::LOCALHOST.to_string()
                } else {
                    local.ip().to_string()
                }
            }),
            port: self.config.external_port.unwrap_or(local.port()),
            hotkey,
            coldkey: None,
            version: PROTOCOL_VERSION,
        };
        let app = self.into_router(local);
        let listener = listener.tap_io(|tcp| {
            // Small request/response pairs: do not wait for Nagle.
            let _ = tcp.set_nodelay(true);
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .map_err(Error::Serve)
        });
        Ok(RunningAxon {
            local,
            info,
            stats,
            stop: Some(tx),
            task,
        })
    }
}

/// A serving axon. Dropping it leaves the server running until the runtime ends; call
/// [`RunningAxon::shutdown`] to stop it.
#[derive(Debug)]
pub struct RunningAxon {
    local: SocketAddr,
    info: AxonInfo,
    stats: Arc<AxonStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl RunningAxon {
    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Where dendrites should call this axon.
    pub fn info(&self) -> AxonInfo {
        self.info.clone()
    }

    /// Requests served and rejected, and their handling time.
    pub fn stats(&self) -> Arc<AxonStats> {
        self.stats.clone()
    }

    /// Stop accepting, finish in-flight requests, and wait for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

struct Shared {
    keypair: Keypair,
    hotkey_ss58: String,
    uuid: String,
    external_ip: String,
    external_port: u16,
    config: AxonConfig,
    nonces: NonceStore,
    gate: Arc<PriorityGate>,
    blacklist: Option<Blacklist>,
    routes: BTreeMap<String, Arc<dyn Route>>,
    available: Vec<String>,
    stats: Arc<AxonStats>,
}

/// What every response echoes about the request.
struct Ctx {
    name: String,
    timeout: f64,
    dendrite: TerminalInfo,
    body_hash: Option<String>,
    start: Instant,
}

/// Nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A random (version 4) UUID, hyphenated lowercase as Python's `str(uuid.uuid4())`.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let name = parts
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let hdrs = SynapseHeaders::parse(&parts.headers);
    let mut dendrite = hdrs.dendrite.clone();
    // Like Python: the caller's address comes from the TCP peer, not from its headers.
    dendrite.ip = Some(peer.ip().to_string());
    dendrite.port = Some(u64::from(peer.port()));
    let ctx = Ctx {
        name,
        timeout: hdrs.timeout.unwrap_or(DEFAULT_TIMEOUT_S),
        dendrite,
        body_hash: hdrs.computed_body_hash.clone(),
        start,
    };
    let (outcome, resp) = match process(&sh, peer, &parts.headers, hdrs, body, &ctx).await {
        Ok(Output::Full(body)) => (
            RequestOutcome::Served,
            reply(&sh, &ctx, status::SUCCESS, "Success", body),
        ),
        Ok(Output::Stream(chunks)) => {
            let mut resp = reply(&sh, &ctx, status::SUCCESS, "Success", Vec::new());
            *resp.body_mut() = Body::from_stream(chunks.map(Ok::<_, std::convert::Infallible>));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            (RequestOutcome::Served, resp)
        }
        Err(e) => {
            let code = e.status();
            let message = e.to_string();
            tracing::debug!(synapse = %ctx.name, code, %message, "axon rejected request");
            let body =
                serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default();
            (
                RequestOutcome::of(&e),
                reply(&sh, &ctx, code, &message, body),
            )
        }
    };
    sh.stats.record(outcome, start.elapsed());
    resp
}

async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    name: &str,
) -> Result<Bytes, AxonError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(AxonError::BodyTooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if declared.is_none() {
            AxonError::BodyTooLarge { limit }
        } else {
            AxonError::BadBody {
                name: name.to_string(),
                reason: e.to_string(),
            }
        }
    })
}

async fn process(
    sh: &Shared,
    peer: SocketAddr,
    raw: &HeaderMap,
    hdrs: SynapseHeaders,
    body: Body,
    ctx: &Ctx,
) -> Result<Output, AxonError> {
    let route = sh
        .routes
        .get(&ctx.name)
        .ok_or_else(|| AxonError::UnknownSynapse {
            name: ctx.name.clone(),
            available: sh.available.clone(),
        })?;
    let timeout_s = if ctx.timeout.is_finite() && ctx.timeout > 0.0 {
        ctx.timeout.min(sh.config.max_timeout.as_secs_f64())
    } else {
        DEFAULT_TIMEOUT_S
    };
    let timeout = Duration::try_from_secs_f64(timeout_s).unwrap_or(sh.config.max_timeout);
    let deadline = ctx.start + timeout;
    let limit = sh.config.max_body_bytes;
    let epistula = sh.config.accept_epistula && raw.contains_key(epistula::VERSION);
    let mut body = Some(body);

    // 1-2. Signature, then nonce (checked and stored atomically).
    let (hotkey, uuid, nonce, early_body) = if epistula {
        let bytes = read_body(body.take().unwrap_or_default(), raw, limit, &ctx.name).await?;
        let get = |n: &str| raw.get(n).and_then(|v| v.to_str().ok());
        let now_ms = now_ns() / 1_000_000;
        let v = epistula::verify(get, &bytes, &sh.hotkey_ss58, now_ms)?;
        if v.uuid.len() > headers::MAX_UUID_LEN {
            return Err(VerifyError::Epistula("Epistula-Uuid too long".into()).into());
        }
        let nonce = v.timestamp_ms.saturating_mul(1_000_000);
        // Epistula allows 8 s: the 4 s base plus 4 s here. Each uuid is one request.
        sh.nonces.check_and_store(
            &v.signed_by.0,
            &format!("epistula:{}", v.uuid),
            nonce,
            4.0,
            now_ns(),
        )?;
        (v.signed_by, v.uuid, nonce, Some(bytes))
    } else {
        let signature = hdrs
            .dendrite
            .signature
            .as_deref()
            .ok_or(VerifyError::MissingSignature)?;
        let nonce = hdrs.dendrite.nonce.ok_or(VerifyError::MissingNonce)?;
        let hotkey_text = hdrs.dendrite.hotkey.clone().unwrap_or_default();
        let hotkey = AccountId::from_ss58_any_prefix(&hotkey_text)
            .map(|(a, _)| a)
            .map_err(|_| VerifyError::BadHotkey(hotkey_text.clone()))?;
        let uuid = hdrs.dendrite.uuid.clone().unwrap_or_default();
        if uuid.len() > headers::MAX_UUID_LEN {
            return Err(AxonError::BadHeaders {
                name: ctx.name.clone(),
                reason: format!(
                    "bt_header_dendrite_uuid longer than {} bytes",
                    headers::MAX_UUID_LEN
                ),
            });
        }
        let hash = ctx.body_hash.as_deref().unwrap_or_default();
        let message = signing::request_message(nonce, &hotkey_text, &sh.hotkey_ss58, &uuid, hash);
        signing::verify_request(&hotkey, &message, signature)?;
        sh.nonces
            .check_and_store(&hotkey.0, &uuid, nonce, timeout_s, now_ns())?;
        (hotkey, uuid, nonce, None)
    };

    // 3. Blacklist: axon-wide by stake, then the synapse's own function.
    let stake = match &sh.blacklist {
        Some(bl) => bl.check(&hotkey).map_err(AxonError::Blacklisted)?,
        None => None,
    };
    let caller = Caller {
        hotkey,
        stake,
        peer,
        uuid,
        nonce,
        version: hdrs.dendrite.version,
        timeout: timeout_s,
        scheme: if epistula {
            SignatureScheme::Epistula
        } else {
            SignatureScheme::Synapse
        },
    };
    let options = route.options();
    if let Some(f) = &options.blacklist {
        f(&caller).map_err(AxonError::Blacklisted)?;
    }

    // 4. Priority: only matters when every forward slot is busy.
    #[allow(clippy::as_conversions)] // rao to a float ordering key
    let priority = match &options.priority {
        Some(f) => f(&caller),
        None => caller.stake.map(|s| s as f64).unwrap_or(0.0),
    };
    let permit = sh.gate.acquire(priority, deadline, timeout_s).await?;

    // 5. Body (size limit), parse, hash check, and 6. forward within the timeout.
    let bytes = match early_body {
        Some(b) => b,
        None => read_body(body.take().unwrap_or_default(), raw, limit, &ctx.name).await?,
    };
    let header_hash = (!epistula).then(|| ctx.body_hash.clone().unwrap_or_default());
    let meta = Meta {
        start: ctx.start,
        timeout: deadline.saturating_duration_since(Instant::now()),
        timeout_s,
        axon: TerminalInfo {
            ip: Some(sh.external_ip.clone()),
            port: Some(u64::from(sh.external_port)),
            hotkey: Some(sh.hotkey_ss58.clone()),
            version: Some(PROTOCOL_VERSION),
            ..TerminalInfo::default()
        },
    };
    route.run(bytes, header_hash, caller, meta, permit).await
}

fn reply(sh: &Shared, ctx: &Ctx, code: u16, message: &str, body: Vec<u8>) -> Response {
    let axon_nonce = now_ns();
    let mut axon = TerminalInfo {
        status_code: Some(u64::from(code)),
        status_message: Some(message.to_string()),
        process_time: Some(ctx.start.elapsed().as_secs_f64()),
        ip: Some(sh.external_ip.clone()),
        port: Some(u64::from(sh.external_port)),
        version: Some(PROTOCOL_VERSION),
        nonce: Some(axon_nonce),
        uuid: Some(sh.uuid.clone()),
        hotkey: Some(sh.hotkey_ss58.clone()),
        signature: None,
    };
    if sh.config.sign_responses {
        let msg = signing::response_message(
            axon_nonce,
            ctx.dendrite.hotkey.as_deref().unwrap_or_default(),
            &sh.hotkey_ss58,
            ctx.dendrite.uuid.as_deref().unwrap_or_default(),
            ctx.dendrite.nonce.unwrap_or(0),
            &body,
        );
        axon.signature = Some(signing::sig_hex(&sh.keypair.sign(msg.as_bytes())));
    }
    let hdrs = SynapseHeaders {
        name: Some(ctx.name.clone()),
        timeout: Some(ctx.timeout),
        dendrite: ctx.dendrite.clone(),
        axon,
        computed_body_hash: Some(
            ctx.body_hash
                .clone()
                .unwrap_or_else(|| EMPTY_BODY_HASH.to_string()),
        ),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = resp.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    hdrs.write(map);
    resp
}

#[cfg(test)]
mod tests {
    use super::new_uuid;

    #[test]
    fn new_uuid_is_a_fresh_hyphenated_v4() {
        let text = new_uuid();
        let parsed = uuid::Uuid::parse_str(&text).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(
            text,
            parsed.hyphenated().to_string(),
            "lowercase, with hyphens"
        );
        assert_ne!(new_uuid(), text);
    }
}
