//! Several nodes: chain specs with authorities, node config files, `node --config FILE`,
//! `node init-network` (a loopback network's keys and configs), and the launcher behind
//! `node run-network` ([`launch`], [`run_authorities`]). `localnet --authorities N` generates
//! its network with [`init_network`] and runs the nodes as its own children.
//!
//! Files (all JSON; relative paths are relative to the file that names them):
//!
//! - the **chain spec** (`chain-spec.json`): the genesis state, the genesis timestamp, the block
//!   time, and the authorities (name, ed25519 public key, address). Every node of a chain uses
//!   the same one; the genesis hash and the authority set make the chain's namespace.
//! - a **node config** (`<name>/node.json`): role (`authority` or `full`), identity key file,
//!   listen address, chain spec, base path, RPC address and port, and the full nodes this node
//!   accepts connections from.
//! - an **identity key** (`<name>/identity.key`): the hex ed25519 seed, mode 0600.
//!
//! See `docs/network.md` for the operating model.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::{GenesisConfig, Preset};
use clap::Args;
use node::spec::{
    CHAIN_SPEC, ChainSpec, IDENTITY_KEY, NODE_CONFIG, NodeFile, PeerEntry, RoleName, loopback,
    write_file, write_new_key,
};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};
use crate::output::Output;

/// What the launcher writes once every node is up.
pub const NETWORK_JSON: &str = "network.json";

fn to_json<T: Serialize>(value: &T) -> CliResult<String> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::new(e.to_string()))
}

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

/// A node of a generated network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitNode {
    /// Its name (and folder).
    pub name: String,
    /// Its role.
    pub role: RoleName,
    /// Its config file.
    pub config: PathBuf,
    /// Its public key, hex.
    pub public_key: String,
    /// Its p2p address.
    pub p2p: SocketAddr,
    /// Its JSON-RPC URL.
    pub rpc: String,
}

/// Free loopback ports (held together while choosing so they differ).
fn free_ports(n: usize) -> CliResult<Vec<u16>> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::new(format!("cannot find a free port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::new(format!("cannot find a free port: {e}")))
}

/// Generates a loopback network: keys, the chain spec and every node's config.
pub fn init_network(args: &InitArgs) -> CliResult<Vec<InitNode>> {
    if args.authorities == 0 {
        return Err(CliError::new("a network needs at least one authority")
            .with_hint("pass --authorities 4 (tolerates one faulty authority)"));
    }
    let dir = &args.base_path;
    let spec_path = dir.join(CHAIN_SPEC);
    if spec_path.exists() && !args.force {
        return Err(
            CliError::new(format!("{} already holds a network", dir.display()))
                .with_hint("pick another --base-path, or pass --force to overwrite it"),
        );
    }
    let preset = if args.reference {
        Preset::Reference
    } else {
        Preset::Fast
    };
    let genesis = GenesisConfig::dev(preset).map_err(|e| CliError::new(e.to_string()))?;
    let total = args.authorities.saturating_add(args.full_nodes);
    let ports = free_ports(total.saturating_mul(2))?;
    let mut nodes = Vec::new();
    let mut authorities = Vec::new();
    let mut full_nodes = Vec::new();
    for i in 0..total {
        let (name, role) = if i < args.authorities {
            (format!("authority-{i}"), RoleName::Authority)
        } else {
            (
                format!("full-{}", i.saturating_sub(args.authorities)),
                RoleName::Full,
            )
        };
        let node_dir = dir.join(&name);
        let public_key = write_new_key(&node_dir.join(IDENTITY_KEY))?;
        let p2p = SocketAddr::new(loopback(), ports.get(2 * i).copied().unwrap_or(0));
        let rpc_port = ports.get(2 * i + 1).copied().unwrap_or(0);
        let entry = PeerEntry {
            name: name.clone(),
            public_key,
            address: p2p,
        };
        match role {
            RoleName::Authority => authorities.push(entry.clone()),
            RoleName::Full => full_nodes.push(entry.clone()),
        }
        nodes.push((
            NodeFile {
                name: name.clone(),
                role,
                key_file: PathBuf::from(IDENTITY_KEY),
                listen: p2p,
                chain_spec: PathBuf::from("..").join(CHAIN_SPEC),
                base_path: PathBuf::from("data"),
                rpc_addr: loopback(),
                rpc_port,
                full_nodes: Vec::new(),
                prometheus_port: None,
            },
            InitNode {
                name,
                role,
                config: node_dir.join(NODE_CONFIG),
                public_key: entry.public_key,
                p2p,
                rpc: format!("ws://127.0.0.1:{rpc_port}"),
            },
        ));
    }
    let spec = ChainSpec::new("localnet", genesis, args.block_time_ms, authorities);
    write_file(&spec_path, &spec.to_json()?)?;
    let mut out = Vec::new();
    for (mut file, init) in nodes {
        // Every node knows every full node: authorities accept them, full nodes may talk.
        file.full_nodes = full_nodes
            .iter()
            .filter(|p| p.name != file.name)
            .cloned()
            .collect();
        file.write(&init.config)?;
        out.push(init);
    }
    Ok(out)
}

/// `node init-network`.
pub fn run_init(args: &InitArgs, out: &Output) -> CliResult {
    let nodes = init_network(args)?;
    if out.is_json() {
        out.json(&serde_json::json!({
            "chain_spec": args.base_path.join(CHAIN_SPEC),
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

/// What to launch.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// Authorities.
    pub authorities: usize,
    /// Full nodes.
    pub full_nodes: usize,
    /// The network's folder (reused if it already holds a network with these many nodes).
    pub base_path: PathBuf,
    /// Block time (used when the network is generated).
    pub block_time_ms: u64,
}

/// A node process the launcher started.
#[derive(Debug)]
pub struct LaunchedNode {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: RoleName,
    /// Its JSON-RPC URL.
    pub rpc: String,
    /// The process.
    pub child: Child,
}

/// A running network of node processes; dropping it stops them.
#[derive(Debug)]
pub struct Launched {
    /// The nodes, authorities first.
    pub nodes: Vec<LaunchedNode>,
    /// Where `network.json` was written.
    pub network_json: PathBuf,
}

impl Launched {
    /// Stops every node (SIGTERM, then SIGKILL after 5 s).
    pub fn stop(&mut self) {
        for n in &mut self.nodes {
            terminate(&mut n.child);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for n in &mut self.nodes {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = n.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = n.child.kill();
            let _ = n.child.wait();
        }
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.stop();
    }
}

fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        // SIGTERM lets the node finish its current block commit; a plain kill also works since
        // every commit is atomic.
        let _ = Command::new("kill")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}

/// The node configs of an existing network folder, authorities first.
fn existing_nodes(dir: &Path) -> CliResult<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::new(format!("cannot list {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let config = entry.path().join(NODE_CONFIG);
        if config.is_file() {
            found.push((entry.file_name().to_string_lossy().into_owned(), config));
        }
    }
    found.sort_by_key(|(name, _)| (!name.starts_with("authority"), name.clone()));
    Ok(found)
}

/// Starts one node process from its config; waits until its RPC is up.
pub fn spawn_node(config: &Path, log: &Path) -> CliResult<LaunchedNode> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the rustensor binary: {e}")))?;
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| CliError::new(format!("cannot open {}: {e}", log.display())))?;
    let mut child = Command::new(exe)
        .args(["--json", "node", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| CliError::new(format!("cannot start a node: {e}")))?;
    let line = first_line(&mut child, Duration::from_secs(60));
    let info: serde_json::Value = match line.as_deref().map(serde_json::from_str) {
        Some(Ok(v)) => v,
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(
                CliError::new(format!("the node of {} did not start", config.display()))
                    .with_hint(format!("see its log {}", log.display())),
            );
        }
    };
    let text = |k: &str| {
        info.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let role = if text("role") == "full" {
        RoleName::Full
    } else {
        RoleName::Authority
    };
    Ok(LaunchedNode {
        name: text("name"),
        role,
        rpc: text("rpc"),
        child,
    })
}

/// The first stdout line of `child` (then stdout keeps draining in the background).
fn first_line(child: &mut Child, timeout: Duration) -> Option<String> {
    use std::io::BufRead as _;
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first);
        for _ in lines {}
    });
    rx.recv_timeout(timeout).ok().flatten()
}

/// Generates the network in `base_path` if needed, starts every node, and writes
/// `base_path/network.json` once all are up.
pub fn launch(options: &LaunchOptions) -> CliResult<Launched> {
    let dir = &options.base_path;
    let mut nodes = if dir.join(CHAIN_SPEC).is_file() {
        existing_nodes(dir)?
    } else {
        Vec::new()
    };
    let wanted = options.authorities.saturating_add(options.full_nodes);
    if nodes.len() != wanted {
        if !nodes.is_empty() {
            return Err(CliError::new(format!(
                "{} holds a network of {} nodes, not {wanted}",
                dir.display(),
                nodes.len()
            ))
            .with_hint("use another --base-path, or the same node counts as before"));
        }
        init_network(&InitArgs {
            authorities: options.authorities,
            full_nodes: options.full_nodes,
            base_path: dir.clone(),
            block_time_ms: options.block_time_ms,
            reference: false,
            force: false,
        })?;
        nodes = existing_nodes(dir)?;
    }
    let mut launched = Launched {
        nodes: Vec::new(),
        network_json: dir.join(NETWORK_JSON),
    };
    for (name, config) in &nodes {
        let log = dir.join(name).join("node.log");
        launched.nodes.push(spawn_node(config, &log)?);
    }
    let listing = serde_json::json!({
        "nodes": launched.nodes.iter().map(|n| serde_json::json!({
            "name": n.name,
            "pid": n.child.id(),
            "rpc": n.rpc,
            "role": n.role,
        })).collect::<Vec<_>>(),
    });
    write_file(&launched.network_json, &to_json(&listing)?)?;
    Ok(launched)
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

/// `node run-network`.
pub fn run_network(args: &RunArgs, out: &Output) -> CliResult {
    run_authorities(
        &LaunchOptions {
            authorities: args.authorities,
            full_nodes: args.full_nodes,
            base_path: args.base_path.clone(),
            block_time_ms: args.block_time_ms,
        },
        out,
    )
}

/// `node run-network`: launches the network and keeps it up until Ctrl-C.
pub fn run_authorities(options: &LaunchOptions, out: &Output) -> CliResult {
    let mut launched = launch(options)?;
    if out.is_json() {
        let text = std::fs::read_to_string(&launched.network_json).unwrap_or_default();
        println!("{}", text.replace('\n', ""));
    } else {
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
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(e.to_string()))?;
    runtime.block_on(node::launch::wait_for_stop());
    launched.stop();
    Ok(())
}
