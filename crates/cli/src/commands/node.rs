//! `rustensor node`: run a node (`--dev` for a single-authority development chain, `--genesis
//! FILE` for another chain spec, `--config FILE` for a node of a network) with JSON-RPC on one
//! port, and `node export-genesis` to write a chain spec. The node is assembled and run by
//! `node::launch`; this module parses the flags and prints what started.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use chain::{GenesisConfig, Preset};
use clap::{Args, Subcommand};
use node::launch::{LaunchConfig, Started};
use node::spec::{self, ChainSpec, PeerEntry};

use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    #[command(subcommand)]
    command: Option<NodeCommand>,
    /// Development chain: dev accounts (//Alice ... //Ferdie), the fast preset, 250 ms blocks.
    #[arg(long)]
    dev: bool,
    /// Chain spec (genesis JSON, as `node export-genesis` writes) for any other chain.
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// Where the chain's data lives [default: ~/.rustensor/chains/dev].
    #[arg(long, value_name = "DIR", conflicts_with = "tmp")]
    base_path: Option<PathBuf>,
    /// Keep the data in a temporary folder, deleted on exit.
    #[arg(long)]
    tmp: bool,
    /// JSON-RPC port (HTTP and WebSocket).
    #[arg(long, default_value_t = rpc::DEFAULT_PORT)]
    rpc_port: u16,
    /// JSON-RPC listen address (use 0.0.0.0 to serve other machines).
    #[arg(long, default_value = "127.0.0.1")]
    rpc_addr: IpAddr,
    /// Block time in milliseconds [default: 250 with --dev, 12000 otherwise].
    #[arg(long)]
    block_time_ms: Option<u64>,
    /// Run an authority or full node of a network from its config file (see `node
    /// init-network` and docs/network.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dev", "genesis", "tmp", "base_path"])]
    config: Option<PathBuf>,
    /// Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0 picks a port): heights,
    /// mempool size, finalized transactions and tx/s, block execution and commit times, and
    /// the consensus engine's own metrics.
    #[arg(long, value_name = "PORT")]
    prometheus_port: Option<u16>,
}

#[derive(Debug, Subcommand)]
enum NodeCommand {
    /// Write a chain spec (genesis JSON) to stdout or a file.
    ExportGenesis(ExportArgs),
    /// Generate a loopback network: identity keys, a chain spec with the authorities, and one
    /// config file per node for `node --config`.
    InitNetwork(super::network::InitArgs),
    /// Start every node of a loopback network (generating it first if needed) and keep them up
    /// until Ctrl-C; writes DIR/network.json once all are up.
    RunNetwork(super::network::RunArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The reference preset (tempo 360, 1000 TAO lock) instead of the fast dev one.
    #[arg(long)]
    reference: bool,
    /// Output file [default: stdout].
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// An authority, `NAME=PUBLIC_KEY_HEX@HOST:PORT` (repeat for each); with any, the output is a
    /// chain spec for a network of authorities instead of a bare genesis.
    #[arg(long = "authority", value_name = "NAME=KEY@ADDR")]
    authorities: Vec<String>,
    /// Block time of the network, in milliseconds (with --authority).
    #[arg(long, default_value_t = 250)]
    spec_block_time_ms: u64,
}

pub fn run(args: NodeArgs, out: &Output) -> CliResult {
    match args.command {
        Some(NodeCommand::ExportGenesis(e)) => return export(e, out),
        Some(NodeCommand::InitNetwork(i)) => return super::network::run_init(&i, out),
        Some(NodeCommand::RunNetwork(r)) => return super::network::run_network(&r, out),
        None => {}
    }
    if let Some(config) = &args.config {
        init_logs("warn,node=info");
        let mut launch = LaunchConfig::from_file(config)?;
        launch.prometheus_port = args.prometheus_port.or(launch.prometheus_port);
        let json = out.is_json();
        node::launch::run(launch, rpc::server::JsonRpc, move |s| {
            print_started(s, json)
        })?;
        eprintln!("stopping");
        return Ok(());
    }
    let genesis = match (&args.genesis, args.dev) {
        (Some(path), _) => spec::read_genesis(path)?,
        (None, true) => dev_genesis(Preset::Fast)?,
        (None, false) => {
            return Err(CliError::new("which chain?")
                .with_hint("pass --dev for a development chain, or --genesis FILE"));
        }
    };
    let tmp = if args.tmp { Some(tempdir()?) } else { None };
    let dir = match (&tmp, &args.base_path) {
        (Some(t), _) => t.path().to_path_buf(),
        (None, Some(p)) => p.clone(),
        (None, None) => super::wallet::wallet_root(None)?
            .parent()
            .and_then(|p| p.parent())
            .map(|home| home.join(".rustensor").join("chains").join("dev"))
            .ok_or_else(|| {
                CliError::new("cannot find the home folder").with_hint("pass --base-path DIR")
            })?,
    };
    let block_time_ms = args
        .block_time_ms
        .unwrap_or(if args.dev { 250 } else { 12_000 });
    let mut launch = LaunchConfig::dev(
        genesis,
        dir,
        SocketAddr::new(args.rpc_addr, args.rpc_port),
        Duration::from_millis(block_time_ms),
    );
    launch.prometheus_port = args.prometheus_port;
    init_logs("warn,node=info,rpc=info");
    let json = out.is_json();
    let result = node::launch::run(launch, rpc::server::JsonRpc, move |s| {
        print_started(s, json)
    });
    if result.is_ok() {
        eprintln!("stopping");
    }
    drop(tmp);
    Ok(result?)
}

/// The first stdout line(s) of a running node: one JSON object with `--json`.
fn print_started(s: &Started, json: bool) {
    let url = format!("ws://{}", s.rpc);
    let metrics = s.metrics.map(|a| format!("http://{a}/metrics"));
    match (&s.network, json) {
        (None, true) => println!(
            "{}",
            serde_json::json!({
                "rpc": url,
                "genesis_hash": format!("0x{}", hex::encode(s.chain_id.genesis_hash)),
                "base_path": s.base_path.display().to_string(),
                "metrics": metrics,
            })
        ),
        (None, false) => {
            println!("rustensor node: JSON-RPC on {url} (HTTP and WebSocket)");
            if let Some(m) = &metrics {
                println!("  metrics: {m}");
            }
            println!("  data: {}", s.base_path.display());
            println!("  genesis: 0x{}", hex::encode(s.chain_id.genesis_hash));
        }
        (Some(n), true) => println!(
            "{}",
            serde_json::json!({
                "name": n.name,
                "role": n.role,
                "rpc": url,
                "pid": std::process::id(),
                "genesis_hash": format!("0x{}", hex::encode(s.genesis_block_hash)),
                "public_key": n.public_key,
                "p2p": n.p2p,
                "base_path": s.base_path.display().to_string(),
                "metrics": metrics,
            })
        ),
        (Some(n), false) => {
            println!("rustensor node: JSON-RPC on {url} (HTTP and WebSocket)");
            println!("  {} ({}), p2p {}", n.name, n.role, n.p2p);
            println!("  data: {}", s.base_path.display());
            println!("  genesis: 0x{}", hex::encode(s.genesis_block_hash));
            if let Some(m) = &metrics {
                println!("  metrics: {m}");
            }
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default`).
fn init_logs(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn tempdir() -> CliResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("rustensor-node-")
        .tempdir()
        .map_err(|e| CliError::new(format!("cannot make a temporary folder: {e}")))
}

fn dev_genesis(preset: Preset) -> CliResult<GenesisConfig> {
    GenesisConfig::dev(preset).map_err(|e| CliError::new(e.to_string()))
}

fn export(args: ExportArgs, out: &Output) -> CliResult {
    let preset = if args.reference {
        Preset::Reference
    } else {
        Preset::Fast
    };
    let genesis = dev_genesis(preset)?;
    let text = if args.authorities.is_empty() {
        serde_json::to_string_pretty(&genesis).map_err(|e| CliError::new(e.to_string()))?
    } else {
        let authorities = args
            .authorities
            .iter()
            .map(|a| a.parse::<PeerEntry>())
            .collect::<Result<Vec<_>, _>>()?;
        ChainSpec::new("rustensor", genesis, args.spec_block_time_ms, authorities).to_json()?
    };
    match args.output {
        Some(path) => {
            std::fs::write(&path, text)
                .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
            out.line(format!("chain spec written to {}", path.display()));
        }
        None => println!("{text}"),
    }
    Ok(())
}
