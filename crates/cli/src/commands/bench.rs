//! `rustensor bench`: load tools that measure the real thing on this machine.
//!
//! `bench transfers` and `bench weights` load a node (one given with `--network`, or a dev node
//! this command spawns) with pre-signed transactions over concurrent WebSocket connections in
//! `author_submitExtrinsics` batches, and measure **finalized** transactions per second: from
//! the first submission to the finalization of the block holding the last one, counting only
//! transactions whose receipt says applied. Every signature is checked by the node (once, at its
//! door). See `bench/chain_load.rs`.
//!
//! `bench metagraph` fills a subnet to 256 uids (with weight rows from 64 of them) and times
//! `neuronInfo_getMetagraph` over one WebSocket: mean, p50 and p99.
//!
//! `bench axon` loads our axon and a Python bittensor 10.5.0 Axon with the same load generator
//! in the same run: requests per second and p50/p99 latency for a small signed synapse, at
//! several concurrency levels. Each axon runs in its own process, so server CPU per request is
//! measured apart from the load generator.

mod chain_load;

use crate::error::{CliError, CliResult};
use crate::output::Output;
use clap::{Args, Subcommand};
use neuron::bench::{
    BenchConfig, ensure_bittensor_venv, run_child_axon_bench, run_python_axon_bench,
    serve_bench_axon,
};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Requests/s and p50/p99 latency of our axon and of a Python bittensor 10.5.0 Axon.
    Axon(AxonArgs),
    /// Finalized transfers per second: many funded accounts, pre-signed transfers, batches.
    Transfers(chain_load::TransfersArgs),
    /// Finalized set_weights per second from many registered validator hotkeys.
    Weights(chain_load::WeightsArgs),
    /// Latency of a full subnet's metagraph over RPC (256 uids with weight rows by default).
    Metagraph(chain_load::MetagraphArgs),
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
        BenchCommand::Transfers(args) => chain_load::transfers(args, out),
        BenchCommand::Weights(args) => chain_load::weights(args, out),
        BenchCommand::Metagraph(args) => chain_load::metagraph(args, out),
    }
}

fn failed(what: &str) -> impl Fn(neuron::Error) -> CliError + '_ {
    move |error| CliError::new(format!("{what}: {error}"))
}

fn axon(args: AxonArgs, out: &Output) -> CliResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| CliError::new(format!("cannot start the async runtime: {error}")))?;
    if let Some(port) = args.serve {
        return runtime
            .block_on(serve_bench_axon(port))
            .map_err(failed("the benchmark axon stopped"));
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
                ensure_bittensor_venv(&venv).map_err(|error| {
                    CliError::new(format!("cannot prepare the Python bittensor venv: {error}"))
                        .with_hint(
                            "pass --python PATH to a Python with bittensor==10.5.0, or --no-python",
                        )
                })?
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
