//! `rustensor localnet`: the whole network on this machine, in one command. `devnet::localnet`
//! starts and supervises it; this module turns the flags into its config and shows it: the
//! banner, a live table until Ctrl-C, or with `--headless --epochs K` progress lines and the
//! summary (JSON with `--json`) once K epochs with weights have run. See `docs/localnet.md`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use devnet::localnet::setup::Netuids;
use devnet::localnet::summary::{self, Snapshot};
use devnet::localnet::{Config, Manifest, Timings};
use devnet::{DevnetError, Stop};

use crate::GlobalArgs;
use crate::commands::net;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct LocalnetArgs {
    /// Folder for the chain data (wiped at each start), wallets, logs and localnet.json
    /// [default: ~/.rustensor/localnet].
    #[arg(long, value_name = "DIR")]
    base_path: Option<PathBuf>,
    /// The node's JSON-RPC port [default: 9944, or a free port if it is taken].
    #[arg(long)]
    rpc_port: Option<u16>,
    /// The gateway's HTTP port [default: 8000, or a free port if it is taken].
    #[arg(long)]
    gateway_port: Option<u16>,
    /// Blocks per epoch on both subnets (blocks are 250 ms).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(2..=1000))]
    tempo: u16,
    /// No live table: progress lines on stderr, and the summary at the end.
    #[arg(long)]
    headless: bool,
    /// Stop after this many epochs have run since every validator first set weights, print
    /// the summary and exit.
    #[arg(long, value_name = "K")]
    epochs: Option<u64>,
    /// Give up (and stop everything) if the network is not ready, or the epochs have not run,
    /// within this many seconds of the start.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    timeout: u64,
    /// Folder for model files [default: $RUSTENSOR_MODELS_DIR or ~/.rustensor/models].
    #[arg(long, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Set up the chain (subnets, registrations, stake) but start no miner, validator or
    /// gateway: run your own against it with the wallets under BASE/wallets.
    #[arg(long, conflicts_with_all = ["epochs", "gateway_port"])]
    no_neurons: bool,
    /// Run the chain on N authority processes agreeing through BFT consensus (4 tolerates one
    /// faulty) instead of one dev node; BASE/network.json lists them once all are up, and
    /// `--rpc-port` is the first authority's. See docs/network.md.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=32))]
    authorities: Option<u16>,
    /// With --authorities: also run this many full nodes (they verify and follow the chain).
    #[arg(long, value_name = "M", default_value_t = 0, requires = "authorities")]
    full_nodes: u16,
}

pub fn run(args: LocalnetArgs, _global: &GlobalArgs, out: &Output) -> CliResult {
    let base = match &args.base_path {
        Some(p) => p.clone(),
        None => default_base()?,
    };
    let exe = std::env::current_exe().map_err(|e| {
        CliError::new(format!("cannot find the rustensor binary to start: {e}"))
            .with_hint("run localnet from an installed binary (`cargo install --path crates/cli`)")
    })?;
    let rt = net::runtime()?;
    let stop = Stop::on_signals(rt.handle());
    let config = Config {
        rpc_port: args.rpc_port,
        gateway_port: args.gateway_port,
        tempo: args.tempo,
        timeout: Duration::from_secs(args.timeout),
        models_dir: args.models_dir.clone(),
        neurons: !args.no_neurons,
        authorities: args.authorities,
        full_nodes: args.full_nodes,
        ..Config::new(exe, base, stop.clone())
    };
    let notes = |event: &devnet::localnet::Event| {
        if let Some(line) = event.message() {
            eprintln!("{line}");
        }
    };
    let mut running = rt.block_on(devnet::localnet::start(config, notes))?;

    let manifest = running.manifest().clone();
    let ready = running.timings().ready.unwrap_or(0.0);
    let banner = banner(&manifest, running.netuids(), ready);
    let terminal = std::io::stdout().is_terminal();
    if out.is_json() {
        if !args.headless {
            let text = serde_json::to_string(&manifest).map_err(|e| CliError::new(e.to_string()));
            println!("{}", text?);
        }
    } else if args.headless || !terminal {
        out.line(&banner);
    }
    let live = !args.headless && !out.is_json() && terminal;
    let (mut last_block, mut last_line) = (u64::MAX, String::new());
    let show = |snap: &Snapshot| {
        if live {
            if snap.block != last_block {
                last_block = snap.block;
                // Home the cursor, clear the screen, redraw.
                print!("\x1b[H\x1b[J{banner}\n\n");
                println!("block #{}\n{}", snap.block, summary::table(snap));
                println!("Ctrl-C stops every localnet process.");
            }
        } else {
            let line = summary::line(snap);
            // One line per epoch change (not per block).
            let key: String = line.split(" | ").skip(1).collect::<Vec<_>>().join(" | ");
            if key != last_line {
                last_line = key;
                eprintln!("  {line}");
            }
        }
    };
    let last = match rt.block_on(running.watch(args.epochs, show)) {
        Ok(snapshot) => snapshot,
        Err(e) if stop.requested() => {
            out.note("Stopping every localnet process...");
            // Ctrl-C ends a live session normally; it cuts a run of --epochs K short.
            return match args.epochs {
                Some(_) => Err(e.into()),
                None => Ok(()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    out.note("Stopping every localnet process...");
    let report = running.report(last.clone(), args.epochs);
    running.stop();
    if out.is_json() {
        out.json(&report);
    } else {
        out.line(summary::table(&last));
        out.line(timings_line(&report.timings));
    }
    Ok(())
}

impl From<DevnetError> for CliError {
    fn from(error: DevnetError) -> Self {
        let hint = error.hint();
        let e = CliError::new(error.to_string());
        match hint {
            Some(h) => e.with_hint(h),
            None => e,
        }
    }
}

fn default_base() -> CliResult<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".rustensor").join("localnet"))
        .ok_or_else(|| {
            CliError::new("cannot find the home folder").with_hint("pass --base-path DIR")
        })
}

fn banner(m: &Manifest, netuids: Netuids, ready: f64) -> String {
    let (t, f, rpc) = (netuids.text.0, netuids.forecast.0, &m.rpc);
    let mut lines = vec![
        format!(
            "rustensor localnet is up ({ready:.1} s): text-generation on netuid {t}, forecasting \
             on netuid {f}, 2 validators and 4 miners (quality 1..4, 4 best) each"
        ),
        format!("  RPC:      {rpc}   (e.g. rustensor metagraph --netuid {t} --network {rpc})"),
    ];
    match &m.gateway {
        Some(gw) => lines.push(format!("  gateway:  {gw}/v1   (OpenAI-compatible)")),
        None => lines.push(
            "  neurons:  none started (--no-neurons): run your own with the wallets below".into(),
        ),
    }
    lines.push(format!("  wallets:  {}", m.wallet_path.display()));
    lines.push(format!("  logs:     {}", m.logs.display()));
    if let Some(gw) = &m.gateway {
        lines.push(format!(
            "  try:      curl {gw}/v1/chat/completions -H 'Content-Type: application/json' \
             -d '{{\"model\":\"rustensor\",\"messages\":[{{\"role\":\"user\",\"content\":\"What is \
             2+2?\"}}],\"max_tokens\":32}}'"
        ));
    }
    lines.join("\n")
}

fn timings_line(t: &Timings) -> String {
    let f = |v: Option<f64>| v.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "-".into());
    let per = |v: &[devnet::localnet::SubnetTime]| {
        v.iter()
            .map(|t| format!("netuid {} {:.1} s", t.netuid, t.secs))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "Timings: node {}, setup {}, ready {}, first weights {}, all validators' weights {}",
        f(t.node_ready),
        f(t.setup_done),
        f(t.ready),
        per(&t.first_weights),
        per(&t.all_weights)
    )
}
