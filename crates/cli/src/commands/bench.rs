//! `rustensor bench`: load tools that measure the real thing on this machine.
//!
//! `bench transfers` and `bench weights` load a node (one given with `--network`, or a dev node
//! this command spawns) with pre-signed transactions over concurrent WebSocket connections in
//! `author_submitExtrinsics` batches, and measure **finalized** transactions per second: from
//! the first submission to the finalization of the block holding the last one, counting only
//! transactions whose receipt says applied. Every signature is checked by the node (once, at its
//! door). The load generator is `devnet::load`; this module has the flags and the output.
//!
//! `bench metagraph` fills a subnet to 256 uids (with weight rows from 64 of them) and times
//! `neuronInfo_getMetagraph` over one WebSocket: mean, p50 and p99.
//!
//! `bench axon` loads our axon and a Python bittensor 10.5.0 Axon with the same load generator
//! in the same run: requests per second and p50/p99 latency for a small signed synapse, at
//! several concurrency levels. Each axon runs in its own process, so server CPU per request is
//! measured apart from the load generator.

use crate::error::{CliError, CliResult};
use crate::output::Output;
use clap::{Args, Subcommand};
use devnet::DevnetError;
use devnet::child_axon::{ensure_bittensor_venv, run_child_axon_bench, run_python_axon_bench};
use devnet::load::{self, bench as chain_bench};
use neuron::bench::{BenchConfig, serve_bench_axon};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Requests/s and p50/p99 latency of our axon and of a Python bittensor 10.5.0 Axon.
    Axon(AxonArgs),
    /// Finalized transfers per second: many funded accounts, pre-signed transfers, batches.
    Transfers(TransfersArgs),
    /// Finalized set_weights per second from many registered validator hotkeys.
    Weights(WeightsArgs),
    /// Latency of a full subnet's metagraph over RPC (256 uids with weight rows by default).
    Metagraph(MetagraphArgs),
}

#[derive(Debug, Args)]
pub struct AxonArgs {
    /// Measured seconds per concurrency level.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Concurrency levels, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    concurrency: Vec<usize>,
    /// A Python with bittensor==10.5.0 installed; by default a venv is made (or reused) in
    /// `--venv`.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Where to make the Python venv [default: $TMPDIR/rustensor-bench-venv].
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Measure only our axon.
    #[arg(long)]
    no_python: bool,
    /// Internal: serve the benchmark axon on this port (the measured child process).
    #[arg(long, hide = true)]
    serve: Option<u16>,
}

pub fn run(command: BenchCommand, out: &Output) -> CliResult {
    match command {
        BenchCommand::Axon(args) => axon(args, out),
        BenchCommand::Transfers(args) => {
            let options = chain_bench::TransfersOptions {
                accounts: args.accounts,
                count: args.count,
            };
            let target = args.target.resolve()?;
            let report = super::net::runtime()?
                .block_on(chain_bench::transfers(&target, &options, &note))?;
            print(&report, out);
            Ok(())
        }
        BenchCommand::Weights(args) => {
            let options = chain_bench::WeightsOptions {
                validators: args.validators,
                count: args.count,
                netuid: args.netuid,
            };
            let target = args.target.resolve()?;
            let report =
                super::net::runtime()?.block_on(chain_bench::weights(&target, &options, &note))?;
            print(&report, out);
            Ok(())
        }
        BenchCommand::Metagraph(args) => {
            let options = chain_bench::MetagraphOptions {
                uids: args.uids,
                validators: args.validators,
                requests: args.requests,
                netuid: args.netuid,
            };
            let target = args.target.resolve()?;
            let report = super::net::runtime()?
                .block_on(chain_bench::metagraph(&target, &options, &note))?;
            print_metagraph(&report, out);
            Ok(())
        }
    }
}

/// Where to send the load, and how.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Node to load (WebSocket JSON-RPC) [default: spawn a dev node for the run].
    #[arg(long, conflicts_with = "spawn_dev")]
    network: Option<String>,
    /// Spawn `rustensor node --dev --tmp` for the run (the default without --network).
    #[arg(long)]
    spawn_dev: bool,
    /// Concurrent WebSocket connections submitting.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Transactions per `author_submitExtrinsics` call (at most 4096; capped to stay under
    /// the node's 2 MiB request limit).
    #[arg(long, default_value_t = 1024)]
    batch: usize,
}

impl TargetArgs {
    fn resolve(&self) -> CliResult<load::session::Target> {
        let exe = std::env::current_exe()
            .map_err(|e| CliError::new(format!("cannot find this program's path: {e}")))?;
        Ok(load::session::Target {
            network: self.network.clone().filter(|_| !self.spawn_dev),
            exe,
            connections: self.connections,
            batch: self.batch,
        })
    }
}

/// `bench transfers`.
#[derive(Debug, Args)]
pub struct TransfersArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Sending accounts (funded from //Alice, //Bob and //Charlie first).
    #[arg(long, default_value_t = 512)]
    accounts: usize,
    /// Transfers to send.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
}

/// `bench weights`.
#[derive(Debug, Args)]
pub struct WeightsArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Validator hotkeys (registered on the subnet by //Alice first).
    #[arg(long, default_value_t = 64)]
    validators: usize,
    /// set_weights transactions to send.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain, to lift the registration limit).
    #[arg(long, default_value_t = 1)]
    netuid: u16,
}

/// `bench metagraph`.
#[derive(Debug, Args)]
pub struct MetagraphArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Neurons on the subnet (registered by //Alice; the uid limit is raised to this).
    #[arg(long, default_value_t = 256)]
    uids: u16,
    /// Of them, validators that set weights to every uid first (weight rows make the
    /// metagraph realistic).
    #[arg(long, default_value_t = 64)]
    validators: u16,
    /// Timed `neuronInfo_getMetagraph` calls.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain).
    #[arg(long, default_value_t = 1)]
    netuid: u16,
}

fn note(text: &str) {
    eprintln!("{text}");
}

fn print(report: &chain_bench::Report, out: &Output) {
    if out.is_json() {
        out.json(report);
        return;
    }
    out.line(format!(
        "{}: {} sent from {} senders over {} connections in batches of {}",
        report.kind, report.sent, report.senders, report.connections, report.batch
    ));
    out.line(format!(
        "  submitted: {} accepted, {} refused in {:.2} s ({:.0}/s){}",
        report.accepted,
        report.refused,
        report.submit_secs,
        report.submitted_per_sec,
        report
            .first_refusal
            .as_ref()
            .map(|r| format!("; first refusal: {r}"))
            .unwrap_or_default()
    ));
    out.line(format!(
        "  finalized: {} applied, {} failed, in {} blocks (largest {}), {:.2} s after the first \
         submission",
        report.applied, report.failed, report.blocks, report.largest_block, report.finalized_secs
    ));
    if let Some(f) = &report.first_failure {
        out.line(format!("  first failure: {f}"));
    }
    out.line(format!(
        "  => {:.0} finalized {}/s (every signature checked by the node)",
        report.finalized_per_sec, report.kind
    ));
    if let Some(n) = &report.node {
        out.line(format!(
            "  dev node: start to first finalized block {:.0} ms; RSS idle {:.1} MiB, after the \
             load {:.1} MiB",
            n.start_to_first_block_ms, n.idle_rss_mib, n.loaded_rss_mib
        ));
    }
}

fn print_metagraph(report: &chain_bench::MetagraphReport, out: &Output) {
    if out.is_json() {
        out.json(report);
        return;
    }
    out.line(format!(
        "metagraph of subnet {}: {} uids, {} weight rows, {} bytes of JSON",
        report.netuid, report.uids, report.weight_rows, report.json_bytes
    ));
    out.line(format!(
        "  {} reads over one WebSocket: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        report.requests, report.mean_ms, report.p50_ms, report.p99_ms, report.max_ms
    ));
}

fn failed(what: &str) -> impl Fn(DevnetError) -> CliError + '_ {
    move |error| {
        let hint = error.hint();
        let e = CliError::new(format!("{what}: {error}"));
        match hint {
            Some(h) => e.with_hint(h),
            None => e,
        }
    }
}

fn axon(args: AxonArgs, out: &Output) -> CliResult {
    let runtime = super::net::runtime()?;
    if let Some(port) = args.serve {
        return runtime
            .block_on(serve_bench_axon(port))
            .map_err(|e| CliError::new(format!("the benchmark axon stopped: {e}")));
    }
    let config = BenchConfig {
        concurrency: args.concurrency.clone(),
        duration: Duration::from_secs_f64(args.duration.max(0.1)),
        ..BenchConfig::default()
    };
    let exe = std::env::current_exe()
        .map_err(|error| CliError::new(format!("cannot find this program's path: {error}")))?;
    out.note("Measuring the rustensor axon...");
    let ours = runtime
        .block_on(run_child_axon_bench(
            &config,
            &exe,
            &["bench", "axon", "--serve"],
        ))
        .map_err(failed("the rustensor axon benchmark failed"))?;
    let theirs = if args.no_python {
        None
    } else {
        let python = match &args.python {
            Some(python) => python.clone(),
            None => {
                let venv = args
                    .venv
                    .clone()
                    .unwrap_or_else(|| std::env::temp_dir().join("rustensor-bench-venv"));
                out.note(format!(
                    "Preparing a venv with bittensor==10.5.0 in {}...",
                    venv.display()
                ));
                ensure_bittensor_venv(&venv)?
            }
        };
        out.note("Measuring the Python bittensor 10.5.0 axon...");
        Some(
            runtime
                .block_on(run_python_axon_bench(&config, &python))
                .map_err(failed("the Python axon benchmark failed"))?,
        )
    };
    if out.is_json() {
        out.json(&serde_json::json!({ "rustensor": ours, "python": theirs }));
        return Ok(());
    }
    out.line(ours.to_string());
    if let Some(theirs) = theirs {
        out.line(theirs.to_string());
        out.line("rustensor / python");
        for (a, b) in ours.points.iter().zip(&theirs.points) {
            out.line(format!(
                "  c={:<3} req/s x{:.1}   p99 {:.2} ms vs {:.2} ms",
                a.concurrency,
                a.rps / b.rps.max(1e-9),
                a.p99_ms,
                b.p99_ms
            ));
        }
    }
    Ok(())
}
