//! `rustensor miner`: serve a subnet's synapse from an axon. Loads the hotkey, checks it is
//! registered, binds the axon (blacklisting hotkeys the chain metagraph does not know),
//! publishes the address on chain (`serve_axon`, skipped when unchanged), prints one line
//! (`{"event":"serving",...}` with `--json`) and runs until SIGINT/SIGTERM.
//!
//! Also holds what `validator` and `gateway` share: the subnet kind, the signal wait, the
//! chain metagraph start with a registration check, and `/metrics`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use client::Client;
use keys::Keypair;
use neuron::{Axon, AxonConfig, Blacklist};
use subnets::metagraph::MetagraphStake;
use subnets::text::{Backend, BackendSpec};
use subnets::{ChainMetagraph, MetagraphView as _, tiers};
use types::TaoBalance;

use super::net::{self, KeyArgs, NetworkArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

/// Which subnet a neuron runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetKind {
    /// Text generation.
    Text,
    /// Forecasting.
    Forecast,
}

/// Parses `text` or `forecast`.
pub fn parse_kind(s: &str) -> Result<SubnetKind, String> {
    match s {
        "text" | "text-generation" => Ok(SubnetKind::Text),
        "forecast" | "forecasting" => Ok(SubnetKind::Forecast),
        other => Err(format!("unknown subnet `{other}`: use text or forecast")),
    }
}

#[derive(Debug, Args)]
pub struct MinerArgs {
    /// The subnet to serve.
    #[arg(long)]
    netuid: u16,
    #[command(flatten)]
    keys: KeyArgs,
    /// What the subnet does: text or forecast.
    #[arg(long, value_parser = parse_kind)]
    subnet: SubnetKind,
    /// Axon port (0 picks a free one).
    #[arg(long, default_value_t = 8091)]
    port: u16,
    /// Address to bind and publish. Loopback is published as 0.0.0.0 ("this machine"), since
    /// the chain refuses 127.0.0.1.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    #[command(flatten)]
    net: NetworkArgs,
    /// How good the miner is: a tier 1..4 (4 best; see docs/subnets.md) for either subnet, or
    /// a named text quality (honest, sloppy[:T[:N]], ramble[:N[:PAD]], empty, slow[:S]) or a
    /// forecaster spec [default: 4].
    #[arg(long)]
    quality: Option<String>,
    /// Text answers from: embedded (the built-in SmolLM2 model) or openai (any
    /// OpenAI-compatible server, with --endpoint and --model).
    #[arg(long, default_value = "embedded")]
    backend: String,
    /// OpenAI-compatible endpoint for --backend openai (e.g. http://127.0.0.1:11434 for Ollama).
    #[arg(long)]
    endpoint: Option<String>,
    /// Model name for --backend openai.
    #[arg(long)]
    model: Option<String>,
    /// Forecaster for the forecast subnet: naive, ma:N, ar:P, fitted, biased:D (overrides a
    /// tier given with --quality).
    #[arg(long)]
    forecaster: Option<String>,
    /// Refuse callers whose stake on the subnet (alpha plus root, as the metagraph reports
    /// it) is below this many TAO (403); unregistered callers are always refused.
    #[arg(long, value_parser = net::parse_tao, default_value = "0")]
    min_stake: TaoBalance,
    /// Serve Prometheus metrics on 127.0.0.1:PORT/metrics.
    #[arg(long)]
    metrics_port: Option<u16>,
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        #[cfg(unix)]
        {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

impl From<subnets::Error> for CliError {
    fn from(e: subnets::Error) -> Self {
        let hint = e.hint();
        let err = CliError::new(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<subnets::BackendError> for CliError {
    fn from(e: subnets::BackendError) -> Self {
        let hint = e.hint();
        let err = CliError::new(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

/// Connects and starts the chain metagraph of `netuid`.
pub async fn chain_metagraph(
    net: &NetworkArgs,
    netuid: u16,
) -> CliResult<(Arc<Client>, Arc<ChainMetagraph>)> {
    let client = Arc::new(net::connect(net).await?);
    let mg = ChainMetagraph::start(client.clone(), netuid).await?;
    Ok((client, mg))
}

/// The uid of `hotkey` on the metagraph, or the registration error with its hint.
pub fn registered_uid(mg: &ChainMetagraph, netuid: u16, hotkey: &Keypair) -> CliResult<u16> {
    mg.uid_of(&hotkey.account_id()).ok_or_else(|| {
        CliError::from(subnets::Error::NotRegistered {
            netuid,
            hotkey: hotkey.account_id().to_ss58(),
        })
    })
}

/// 127.0.0.1:`port`, where `/metrics` is served.
pub fn metrics_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

enum Handler {
    Text(Arc<dyn Backend>),
    Forecast(Arc<dyn subnets::forecast::Forecaster>),
}

pub fn run(args: MinerArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let started = Instant::now();
    let netuid = args.netuid;
    // Check every option before touching the network.
    let text_spec = match args.subnet {
        SubnetKind::Text => {
            let quality = tiers::text_quality_from(args.quality.as_deref().unwrap_or("4"))
                .map_err(|e| CliError::new(e).with_hint("see `rustensor miner --help`"))?;
            let base = BackendSpec::parse(
                &args.backend,
                args.endpoint.as_deref(),
                args.model.as_deref(),
                "honest",
            )?;
            Some(BackendSpec {
                kind: base.kind,
                quality,
            })
        }
        SubnetKind::Forecast => None,
    };
    let forecaster = match args.subnet {
        SubnetKind::Forecast => Some(
            tiers::forecaster_from(args.quality.as_deref(), args.forecaster.as_deref())
                .map_err(|e| CliError::new(e).with_hint("see `rustensor miner --help`"))?,
        ),
        SubnetKind::Text => None,
    };
    let keys = net::Keys::new(global, &args.keys, out)?;
    let hotkey = keys.hotkey()?;
    let json = out.is_json();
    net::runtime()?.block_on(async move {
        // The model loads while we talk to the chain.
        let loading = text_spec.map(|spec| tokio::task::spawn_blocking(move || spec.build()));
        let (client, mg) = chain_metagraph(&args.net, netuid).await?;
        let uid = registered_uid(&mg, netuid, &hotkey)?;
        let handler = match (loading, forecaster) {
            (Some(task), _) => Handler::Text(
                task.await
                    .map_err(|e| CliError::new(format!("model loading failed: {e}")))??,
            ),
            (None, Some(f)) => Handler::Forecast(Arc::from(f)),
            (None, None) => return Err(CliError::new("no miner handler")),
        };
        let config = AxonConfig {
            bind: SocketAddr::new(args.ip, args.port),
            ..AxonConfig::default()
        };
        let axon = Axon::new(hotkey.clone(), config)
            .blacklist(Blacklist::new(MetagraphStake(mg.clone()), args.min_stake.rao()));
        let axon = match handler {
            Handler::Text(b) => subnets::text::attach(axon, b),
            Handler::Forecast(f) => subnets::forecast::attach(axon, f),
        };
        let running = axon.serve().await.map_err(|e| {
            CliError::new(e.to_string()).with_hint("pick another --port (0 picks a free one)")
        })?;
        let port = running.local_addr().port();
        let served = subnets::serve_axon(&client, &hotkey, netuid, args.ip, port).await?;
        let metrics = match args.metrics_port {
            Some(p) => {
                // The metagraph's sync state and the axon's counters (neuron::metrics), read
                // at each scrape.
                let mut registry = subnets::metrics::Registry::with_prefix("rustensor_miner");
                registry.register_collector(Box::new(subnets::metrics::MetagraphCollector(
                    mg.clone(),
                )));
                registry.register_collector(Box::new(running.stats()));
                Some(
                    subnets::metrics::serve(
                        metrics_addr(p),
                        subnets::metrics::registry_router(registry),
                    )
                    .await?,
                )
            }
            None => None,
        };
        let axon_addr = SocketAddr::new(args.ip, port);
        let hk = hotkey.account_id().to_ss58();
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "event": "serving",
                    "netuid": netuid,
                    "uid": uid,
                    "hotkey": hk,
                    "axon": axon_addr.to_string(),
                    "published": matches!(served, subnets::onchain::ServeOutcome::Served { .. }),
                    "metrics": metrics.map(|a| a.to_string()),
                    "startup_ms": started.elapsed().as_millis(),
                })
            );
        } else {
            println!(
                "miner uid {uid} on subnet {netuid} serving at {axon_addr} (hotkey {hk}), ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        shutdown_signal().await;
        out.note("stopping the miner...");
        running.shutdown().await;
        Ok(())
    })
}
