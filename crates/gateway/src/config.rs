//! Gateway settings.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use neuron::Dendrite;
use subnets::MetagraphView;

/// How the gateway listens and routes.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Address to bind.
    pub bind: SocketAddr,
    /// Accepted API keys (`Authorization: Bearer KEY`); empty = no authentication.
    pub api_keys: Vec<String>,
    /// The subnet's neurons (incentive, axons).
    pub metagraph: Arc<dyn MetagraphView>,
    /// Queries miners (its hotkey must be allowed by the miners' blacklists).
    pub dendrite: Dendrite,
    /// Miners asked in parallel per attempt (non-streamed requests).
    pub fanout: usize,
    /// Only the `pool` highest-incentive miners are considered.
    pub pool: usize,
    /// Most miners tried per request, across attempts.
    pub max_miners: usize,
    /// Timeout of each miner query (a stream: until its first piece).
    pub timeout: Duration,
    /// Timeout of a whole streamed answer.
    pub stream_timeout: Duration,
    /// The model id reported by `/v1/models` and in responses.
    pub model_id: String,
    /// `max_tokens` when the request gives none.
    pub default_max_tokens: u32,
    /// Upper bound on `max_tokens`.
    pub max_tokens_cap: u32,
}

impl GatewayConfig {
    /// Defaults on `127.0.0.1:port`.
    pub fn new(metagraph: Arc<dyn MetagraphView>, dendrite: Dendrite, port: u16) -> Self {
        GatewayConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            api_keys: Vec::new(),
            metagraph,
            dendrite,
            fanout: 2,
            pool: 8,
            max_miners: 6,
            timeout: Duration::from_secs(30),
            stream_timeout: Duration::from_secs(120),
            model_id: "rustensor".into(),
            default_max_tokens: 256,
            max_tokens_cap: 2048,
        }
    }
}
