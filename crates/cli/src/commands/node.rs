//! `rustensor node`: run a node (`--dev` for a single-authority development chain, or
//! `--genesis FILE` for another chain spec) with JSON-RPC on one port, and `node
//! export-genesis` to write a chain spec.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use chain::{GenesisConfig, Preset};
use clap::{Args, Subcommand};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Runner as _, Supervisor as _};
use node::chain_adapter::ChainMachine;
use node::dev::{open_state, runtime_config, start_single};
use node::node::NodeConfig;

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
    #[command(flatten)]
    spec: super::network::SpecArgs,
}

pub fn run(args: NodeArgs, out: &Output) -> CliResult {
    match args.command {
        Some(NodeCommand::ExportGenesis(e)) => return export(e, out),
        Some(NodeCommand::InitNetwork(i)) => return super::network::run_init(&i, out),
        Some(NodeCommand::RunNetwork(r)) => return super::network::run_network(&r, out),
        None => {}
    }
    if let Some(config) = &args.config {
        return super::network::run_config(config, args.prometheus_port, out);
    }
    let genesis = match (&args.genesis, args.dev) {
        (Some(path), _) => read_genesis(path)?,
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
    let block_time =
        Duration::from_millis(
            args.block_time_ms
                .unwrap_or(if args.dev { 250 } else { 12_000 }),
        );
    let config = NodeConfig {
        block_time,
        ..NodeConfig::dev()
    };
    let addr = SocketAddr::new(args.rpc_addr, args.rpc_port);
    let machine = ChainMachine::new(genesis).map_err(|e| {
        CliError::new(format!("bad genesis: {e}")).with_hint("check the chain spec")
    })?;
    let chain_id = machine.chain_id();
    let json = out.is_json();
    init_logs();
    let result =
        commonware_runtime::tokio::Runner::new(runtime_config(&dir)).start(|context| async move {
            let db = open_state(&dir).map_err(|e| CliError::new(e.to_string()))?;
            // The dev chain's single authority; its key is not a secret.
            let signer = ed25519::PrivateKey::from_seed(0);
            let (node, _engine) = start_single(context.child("node"), machine, db, config, signer)
                .await
                .map_err(|e| CliError::new(format!("the node did not start: {e}")))?;
            let metrics = match args.prometheus_port {
                Some(port) => Some(serve_metrics(&context, &node, port).await?),
                None => None,
            };
            let (bound, _server) = rpc::server::start(
                node.clone(),
                chain_id,
                rpc::server::RpcConfig {
                    addr,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| {
                CliError::new(e.to_string()).with_hint("pick another port with --rpc-port")
            })?;
            let url = format!("ws://{bound}");
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "rpc": url,
                        "genesis_hash": format!("0x{}", hex::encode(chain_id.genesis_hash)),
                        "base_path": dir.display().to_string(),
                        "metrics": metrics.map(|a| format!("http://{a}/metrics")),
                    })
                );
            } else {
                println!("rustensor node: JSON-RPC on {url} (HTTP and WebSocket)");
                if let Some(a) = metrics {
                    println!("  metrics: http://{a}/metrics");
                }
                println!("  data: {}", dir.display());
                println!("  genesis: 0x{}", hex::encode(chain_id.genesis_hash));
            }
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("stopping");
            Ok::<(), CliError>(())
        });
    drop(tmp);
    result
}

/// Registers the node's metrics with the runtime and serves everything the runtime knows
/// (ours, consensus, p2p, storage) at `127.0.0.1:port/metrics`; returns the bound address.
pub async fn serve_metrics<SM: node::state_machine::StateMachine>(
    context: &commonware_runtime::tokio::Context,
    node: &node::node::Node<SM>,
    port: u16,
) -> CliResult<SocketAddr> {
    use commonware_runtime::Metrics as _;
    node.metrics().register(&context.child("rustensor_node"));
    // A child shares the runtime's registry; `encode` renders all of it.
    let ctx = context.child("metrics_server");
    let addr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port);
    subnets::metrics::serve(addr, subnets::metrics::text_router(move || ctx.encode()))
        .await
        .map_err(|e| CliError::new(e.to_string()).with_hint("pick another --prometheus-port"))
}

/// Logs to stderr, filtered by `RUST_LOG` (default: the node's progress at info, the rest at
/// warn).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,node=info,rpc=info"));
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

fn read_genesis(path: &std::path::Path) -> CliResult<GenesisConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!("cannot read {}: {e}", path.display()))
            .with_hint("write one with `rustensor node export-genesis -o FILE`")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!("{} is not a chain spec: {e}", path.display()))
            .with_hint("write one with `rustensor node export-genesis -o FILE` and edit it")
    })
}

fn export(args: ExportArgs, out: &Output) -> CliResult {
    let preset = if args.reference {
        Preset::Reference
    } else {
        Preset::Fast
    };
    let text = match super::network::export_spec(&args.spec, dev_genesis(preset)?)? {
        Some(spec) => spec,
        None => serde_json::to_string_pretty(&dev_genesis(preset)?)
            .map_err(|e| CliError::new(e.to_string()))?,
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
