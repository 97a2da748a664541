//! `rustensor validator`: query a subnet's miners, score them, and set weights every tempo.
//! The metagraph comes from the chain ([`subnets::ChainMetagraph`]), weights go to it
//! ([`subnets::ChainWeightSink`]: `set_weights`, or commit-reveal when the subnet enables it,
//! within the chain's rate limit). Each round's scores and each weight submission are printed
//! (one JSON object per line with `--json`); SIGINT/SIGTERM stops it between rounds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use neuron::Dendrite;
use subnets::forecast::{ForecastConfig, ForecastSubnet};
use subnets::onchain::measured_block_time;
use subnets::text::{BackendSpec, TextConfig, TextSubnet};
use subnets::{ChainWeightSink, Subnet, Validator, ValidatorConfig, WeightsOutcome};

use super::miner::{self, SubnetKind, parse_kind};
use super::net::{self, KeyArgs, NetworkArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct ValidatorArgs {
    /// The subnet to validate.
    #[arg(long)]
    netuid: u16,
    #[command(flatten)]
    keys: KeyArgs,
    /// What the subnet does: text or forecast.
    #[arg(long, value_parser = parse_kind)]
    subnet: SubnetKind,
    #[command(flatten)]
    net: NetworkArgs,
    /// Seconds between round starts [default: one tempo, within 1..12 s].
    #[arg(long, value_name = "SECS")]
    round_interval: Option<f64>,
    /// Miners queried per round (0 = all).
    #[arg(long, default_value_t = 16)]
    sample_size: usize,
    /// Set weights every this many rounds [default: one tempo's worth of rounds].
    #[arg(long)]
    tempo_rounds: Option<u64>,
    /// Query timeout in seconds [default: 30 for text, 10 for forecast].
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Moving-average weight of a new score, (0, 1].
    #[arg(long, default_value_t = 0.1)]
    alpha: f64,
    /// The validator's secret seed (series, tasks) [default: random].
    #[arg(long)]
    seed: Option<u64>,
    /// Text: tokens asked of miners and of the reference answer.
    #[arg(long, default_value_t = 24)]
    max_tokens: u32,
    /// Text: the reference answerer, embedded or openai (as `miner --backend`).
    #[arg(long, default_value = "embedded")]
    backend: String,
    /// Text: endpoint for --backend openai.
    #[arg(long)]
    endpoint: Option<String>,
    /// Text: model for --backend openai.
    #[arg(long)]
    model: Option<String>,
    /// Weights version key sent with the weights.
    #[arg(long, default_value_t = 0)]
    version_key: u64,
    /// Serve Prometheus metrics on 127.0.0.1:PORT/metrics.
    #[arg(long)]
    metrics_port: Option<u16>,
}

fn secs(what: &str, s: f64) -> CliResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        CliError::new(format!(
            "{what} must be a non-negative number of seconds, got {s}"
        ))
    })
}

/// Serves the validator's `/metrics` on 127.0.0.1:`port` when a port is given.
async fn serve_metrics<S: Subnet>(
    v: &Validator<S>,
    port: Option<u16>,
) -> CliResult<Option<std::net::SocketAddr>> {
    match port {
        Some(p) => Ok(Some(
            subnets::metrics::serve(
                miner::metrics_addr(p),
                subnets::metrics::router(v.metrics()),
            )
            .await?,
        )),
        None => Ok(None),
    }
}

/// Rounds until a signal; weights every `tempo_rounds` rounds.
async fn drive<S: Subnet>(
    mut v: Validator<S>,
    interval: Duration,
    tempo_rounds: u64,
    json: bool,
) -> CliResult {
    let stop = miner::shutdown_signal();
    tokio::pin!(stop);
    loop {
        let started = Instant::now();
        let report = tokio::select! {
            _ = &mut stop => break,
            r = v.run_round() => r,
        };
        match report {
            Ok(r) => {
                let ms = started.elapsed().as_millis();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "event": "round", "round": r.round, "scores": r.scores,
                            "queried": r.queried, "failures": r.failures, "ms": ms,
                        })
                    );
                } else {
                    let s: Vec<String> = r
                        .scores
                        .iter()
                        .map(|(u, s)| format!("{u}:{s:.3}"))
                        .collect();
                    println!(
                        "round {}: scores [{}], {} of {} queries failed, {ms} ms",
                        r.round,
                        s.join(" "),
                        r.failures,
                        r.queried.len()
                    );
                }
            }
            Err(e) => {
                let hint = e.hint();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"event": "round_error", "error": e.to_string(), "hint": hint})
                    );
                } else {
                    eprintln!("round failed: {e}");
                }
            }
        }
        if v.round().is_multiple_of(tempo_rounds) {
            let outcome = tokio::select! {
                _ = &mut stop => break,
                o = v.set_weights() => o,
            };
            let line = match &outcome {
                Ok(WeightsOutcome::Set { uids, weights }) => serde_json::json!({
                    "event": "weights", "outcome": "set", "uids": uids, "weights": weights,
                }),
                Ok(WeightsOutcome::RateLimited { remaining }) => serde_json::json!({
                    "event": "weights", "outcome": "rate_limited",
                    "remaining_s": remaining.as_secs_f64(),
                }),
                Ok(WeightsOutcome::Empty) => {
                    serde_json::json!({"event": "weights", "outcome": "empty"})
                }
                Err(e) => serde_json::json!({
                    "event": "weights", "outcome": "error", "error": e.to_string(), "hint": e.hint(),
                }),
            };
            if json {
                println!("{line}");
            } else {
                match outcome {
                    Ok(WeightsOutcome::Set { uids, weights }) => {
                        println!("weights set: uids {uids:?} weights {weights:?}")
                    }
                    Ok(WeightsOutcome::RateLimited { remaining }) => println!(
                        "weights rate-limited by the chain: {:.1} s to wait",
                        remaining.as_secs_f64()
                    ),
                    Ok(WeightsOutcome::Empty) => println!("no positive scores yet: no weights"),
                    Err(e) => {
                        eprintln!("setting weights failed: {e}");
                        if let Some(h) = e.hint() {
                            eprintln!("  hint: {h}");
                        }
                    }
                }
            }
        }
        let pause = interval.saturating_sub(started.elapsed());
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    eprintln!("stopping the validator after {} rounds", v.round());
    Ok(())
}

pub fn run(args: ValidatorArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let started = Instant::now();
    let netuid = args.netuid;
    if !(args.alpha > 0.0 && args.alpha <= 1.0) {
        return Err(CliError::new(format!(
            "--alpha must be in (0, 1], got {}",
            args.alpha
        )));
    }
    let timeout = secs(
        "--timeout",
        args.timeout.unwrap_or(match args.subnet {
            SubnetKind::Text => 30.0,
            SubnetKind::Forecast => 10.0,
        }),
    )?;
    let reference = match args.subnet {
        SubnetKind::Text => Some(BackendSpec::parse(
            &args.backend,
            args.endpoint.as_deref(),
            args.model.as_deref(),
            "honest",
        )?),
        SubnetKind::Forecast => None,
    };
    let round_interval = args
        .round_interval
        .map(|s| secs("--round-interval", s))
        .transpose()?;
    let keys = net::Keys::new(global, &args.keys, out)?;
    let hotkey = keys.hotkey()?;
    let json = out.is_json();
    let seed = args.seed.unwrap_or_else(rand_seed);
    net::runtime()?.block_on(async move {
        let loading = reference.map(|spec| tokio::task::spawn_blocking(move || spec.build()));
        let (client, mg) = miner::chain_metagraph(&args.net, netuid).await?;
        let uid = miner::registered_uid(&mg, netuid, &hotkey)?;
        let raw = mg.raw();
        let me = hotkey.account_id();
        let permitted = raw.subnet.owner_hotkey == me
            || raw
                .neurons
                .iter()
                .any(|n| n.hotkey == me && n.validator_permit);
        if !permitted {
            out.note(format!(
                "note: uid {uid} has no validator permit yet; the chain refuses its weights until \
                 it has one (stake on the hotkey, then wait an epoch)"
            ));
        }
        let block_time = measured_block_time(&client).await;
        let tempo = block_time.saturating_mul(u32::from(raw.subnet.hyperparams.tempo.max(1)));
        let interval = round_interval
            .unwrap_or_else(|| tempo.clamp(Duration::from_secs(1), Duration::from_secs(12)));
        let tempo_rounds = args.tempo_rounds.unwrap_or_else(|| {
            let r = tempo.as_secs_f64() / interval.as_secs_f64().max(0.001);
            // r is positive and small; a tempo of rounds, at least one.
            #[allow(
                clippy::as_conversions,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let n = r.round().max(1.0) as u64;
            n
        });
        if tempo_rounds == 0 {
            return Err(CliError::new("--tempo-rounds must be >= 1"));
        }
        let sink = Arc::new(ChainWeightSink::with_options(
            client.clone(),
            hotkey.clone(),
            args.version_key,
            block_time.clamp(Duration::from_millis(100), Duration::from_secs(6)),
        ));
        let config = ValidatorConfig {
            sample_size: args.sample_size,
            query_timeout: timeout,
            alpha: args.alpha,
            round_interval: interval,
            tempo_rounds,
            // The chain enforces its rate limit; the sink reports it without sending.
            min_weights_interval: Duration::ZERO,
            seed: Some(seed),
        };
        let dendrite =
            Dendrite::new(hotkey.clone()).map_err(|e| CliError::new(format!("dendrite: {e}")))?;
        let metrics_line = |m: Option<std::net::SocketAddr>| m.map(|a| a.to_string());
        let announce = |metrics: Option<std::net::SocketAddr>| {
            let hk = me.to_ss58();
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "event": "validating", "netuid": netuid, "uid": uid, "hotkey": hk,
                        "round_interval_s": interval.as_secs_f64(), "tempo_rounds": tempo_rounds,
                        "block_time_ms": block_time.as_millis(), "metrics": metrics_line(metrics),
                        "startup_ms": started.elapsed().as_millis(),
                    })
                );
            } else {
                println!(
                    "validator uid {uid} on subnet {netuid} (hotkey {hk}): a round every {:.1} s, \
                     weights every {tempo_rounds} rounds; ready in {:.1} s",
                    interval.as_secs_f64(),
                    started.elapsed().as_secs_f64()
                );
            }
        };
        match args.subnet {
            SubnetKind::Forecast => {
                let subnet = Arc::new(ForecastSubnet::new(ForecastConfig {
                    seed,
                    ..ForecastConfig::default()
                })?);
                let v = Validator::new(subnet, mg.clone(), sink, dendrite, config)?;
                announce(serve_metrics(&v, args.metrics_port).await?);
                drive(v, interval, tempo_rounds, json).await
            }
            SubnetKind::Text => {
                let backend = match loading {
                    Some(task) => task
                        .await
                        .map_err(|e| CliError::new(format!("model loading failed: {e}")))??,
                    None => return Err(CliError::new("no reference backend")),
                };
                let subnet = Arc::new(TextSubnet::new(
                    backend,
                    TextConfig {
                        seed,
                        max_tokens: args.max_tokens.max(1),
                        timeout,
                        ..TextConfig::default()
                    },
                ));
                let v = Validator::new(subnet, mg.clone(), sink, dendrite, config)?;
                announce(serve_metrics(&v, args.metrics_port).await?);
                drive(v, interval, tempo_rounds, json).await
            }
        }
    })
}

/// A secret seed from the clock and process id, hashed.
fn rand_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        ^ u128::from(std::process::id());
    let h = chain::transaction::blake2_256(&t.to_le_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(h.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(b)
}
