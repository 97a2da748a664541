//! `node init-network` and `node run-network`: flags and output around `devnet::network`,
//! which writes a loopback network's keys and configs and runs its node processes. See
//! `docs/network.md` for the files and the operating model.

use std::path::PathBuf;

use clap::Args;
use devnet::network::{self, InitOptions, LaunchOptions};

use crate::error::{CliError, CliResult};
use crate::output::Output;

/// `rustensor node init-network`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Number of authorities.
    #[arg(long, default_value_t = 4)]
    pub authorities: usize,
    /// Number of full nodes (every authority accepts them).
    #[arg(long, default_value_t = 0)]
    pub full_nodes: usize,
    /// Folder for the chain spec and one subfolder per node.
    #[arg(long, value_name = "DIR")]
    pub base_path: PathBuf,
    /// Block time in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub block_time_ms: u64,
    /// The reference preset (tempo 360, 1000 TAO lock) instead of the fast dev one.
    #[arg(long)]
    pub reference: bool,
    /// Overwrite an existing network in the folder.
    #[arg(long)]
    pub force: bool,
}

/// `rustensor node run-network`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Number of authorities.
    #[arg(long, default_value_t = 4)]
    pub authorities: usize,
    /// Number of full nodes.
    #[arg(long, default_value_t = 0)]
    pub full_nodes: usize,
    /// The network's folder (generated on first use, reused afterwards).
    #[arg(long, value_name = "DIR")]
    pub base_path: PathBuf,
    /// Block time in milliseconds (when the network is generated).
    #[arg(long, default_value_t = 250)]
    pub block_time_ms: u64,
}

/// `node init-network`.
pub fn run_init(args: &InitArgs, out: &Output) -> CliResult {
    let nodes = network::init_network(&InitOptions {
        authorities: args.authorities,
        full_nodes: args.full_nodes,
        base_path: args.base_path.clone(),
        block_time_ms: args.block_time_ms,
        reference: args.reference,
        force: args.force,
    })?;
    if out.is_json() {
        out.json(&serde_json::json!({
            "chain_spec": args.base_path.join(node::spec::CHAIN_SPEC),
            "nodes": nodes,
        }));
        return Ok(());
    }
    out.line(format!(
        "network of {} authorities and {} full nodes in {}",
        args.authorities,
        args.full_nodes,
        args.base_path.display()
    ));
    for n in &nodes {
        out.line(format!(
            "  {:<12} {:<9} p2p {}  rpc {}  rustensor node --config {}",
            n.name,
            n.role.to_string(),
            n.p2p,
            n.rpc,
            n.config.display()
        ));
    }
    Ok(())
}

/// `node run-network`: launches the network and keeps it up until Ctrl-C.
pub fn run_network(args: &RunArgs, out: &Output) -> CliResult {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the rustensor binary: {e}")))?;
    let options = LaunchOptions {
        exe,
        authorities: args.authorities,
        full_nodes: args.full_nodes,
        base_path: args.base_path.clone(),
        block_time_ms: args.block_time_ms,
    };
    network::run_authorities(&options, |launched| {
        if out.is_json() {
            let text = std::fs::read_to_string(&launched.network_json).unwrap_or_default();
            println!("{}", text.replace('\n', ""));
            return;
        }
        out.line(format!(
            "{} nodes up ({}):",
            launched.nodes.len(),
            launched.network_json.display()
        ));
        for n in &launched.nodes {
            out.line(format!(
                "  {:<12} {:<9} pid {:<7} {}",
                n.name,
                n.role.to_string(),
                n.child.id(),
                n.rpc
            ));
        }
        out.line("Ctrl-C stops them.");
    })?;
    Ok(())
}
