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

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chain::{GenesisConfig, Preset};
use clap::Args;
use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Runner as _, Supervisor as _};
use node::chain_adapter::ChainMachine;
use node::dev::{open_state, runtime_config};
use node::network::{self as net, NetworkConfig, Peer, Role};
use node::node::{Node, NodeConfig};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};
use crate::output::Output;

/// File name of the chain spec inside a network folder.
pub const CHAIN_SPEC: &str = "chain-spec.json";
/// File name of a node's config inside its folder.
pub const NODE_CONFIG: &str = "node.json";
/// File name of a node's identity key inside its folder.
pub const IDENTITY_KEY: &str = "identity.key";
/// What the launcher writes once every node is up.
pub const NETWORK_JSON: &str = "network.json";

/// A chain spec with its authorities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainSpec {
    /// A name for people.
    pub name: String,
    /// The genesis state.
    pub genesis: GenesisConfig,
    /// Genesis timestamp (ms since the Unix epoch); part of the genesis hash.
    pub genesis_timestamp_ms: u64,
    /// Target time between blocks.
    pub block_time_ms: u64,
    /// The consensus participants.
    pub authorities: Vec<PeerEntry>,
}

/// A node as other nodes know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerEntry {
    /// A name for people (logs, `network.json`).
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Where it listens for peers.
    pub address: SocketAddr,
}

/// One node's config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFile {
    /// A name for people.
    pub name: String,
    /// `authority` or `full`.
    pub role: RoleName,
    /// The identity key file (hex ed25519 seed).
    pub key_file: PathBuf,
    /// Where to listen for peers.
    pub listen: SocketAddr,
    /// The chain spec.
    pub chain_spec: PathBuf,
    /// Where the node keeps its data.
    pub base_path: PathBuf,
    /// JSON-RPC listen address.
    #[serde(default = "loopback")]
    pub rpc_addr: IpAddr,
    /// JSON-RPC port (0 picks one).
    pub rpc_port: u16,
    /// Full nodes this node accepts connections from (besides the authorities).
    #[serde(default)]
    pub full_nodes: Vec<PeerEntry>,
    /// Serve Prometheus metrics on 127.0.0.1:PORT/metrics (`--prometheus-port` overrides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_port: Option<u16>,
}

fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// A role in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Consensus participant.
    Authority,
    /// Follower.
    Full,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Authority => Role::Authority,
            RoleName::Full => Role::Full,
        }
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Role::from(*self).fmt(f)
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str, hint: &str) -> CliResult<T> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!("cannot read {what} {}: {e}", path.display())).with_hint(hint)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!("{} is not a valid {what}: {e}", path.display())).with_hint(hint)
    })
}

fn write_file(path: &Path, text: &str) -> CliResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))
}

fn to_json<T: Serialize>(value: &T) -> CliResult<String> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::new(e.to_string()))
}

/// `path` if absolute, else relative to the folder of `file`.
fn relative_to(file: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    file.parent().unwrap_or_else(|| Path::new(".")).join(path)
}

fn parse_peer(entry: &PeerEntry, source: &Path) -> CliResult<Peer> {
    let public_key = net::public_key_from_hex(&entry.public_key).map_err(|e| {
        CliError::new(format!(
            "{}: key of {} is bad: {e}",
            source.display(),
            entry.name
        ))
        .with_hint("public keys are 64 hex digits (see the node's identity)")
    })?;
    Ok(Peer {
        public_key,
        address: entry.address,
    })
}

/// Reads an identity key file.
pub fn read_key(path: &Path) -> CliResult<ed25519::PrivateKey> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(format!(
            "cannot read the identity key {}: {e}",
            path.display()
        ))
        .with_hint("generate keys and configs with `rustensor node init-network`")
    })?;
    net::private_key_from_hex(&text).map_err(|e| {
        CliError::new(format!("{} is not an identity key: {e}", path.display()))
            .with_hint("an identity key file holds 64 hex digits (an ed25519 seed)")
    })
}

/// Writes a fresh identity key (mode 0600); returns it.
pub fn write_new_key(path: &Path) -> CliResult<ed25519::PrivateKey> {
    let key = net::generate_key();
    write_file(path, &net::private_key_hex(&key))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::new(format!("cannot restrict {}: {e}", path.display())))?;
    }
    Ok(key)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Options of `node export-genesis` that turn the genesis into a chain spec with authorities.
#[derive(Debug, Clone, Default, Args)]
pub struct SpecArgs {
    /// An authority, `NAME=PUBLIC_KEY_HEX@HOST:PORT` (repeat for each); with any, the output is a
    /// chain spec for a network of authorities instead of a bare genesis.
    #[arg(long = "authority", value_name = "NAME=KEY@ADDR")]
    pub authorities: Vec<String>,
    /// Block time of the network, in milliseconds (with --authority).
    #[arg(long, default_value_t = 250)]
    pub spec_block_time_ms: u64,
}

/// The chain spec text for `export-genesis --authority ...`, or `None` without authorities.
pub fn export_spec(args: &SpecArgs, genesis: GenesisConfig) -> CliResult<Option<String>> {
    if args.authorities.is_empty() {
        return Ok(None);
    }
    let mut authorities = Vec::new();
    for a in &args.authorities {
        let bad = || {
            CliError::new(format!("--authority {a}: expected NAME=KEY@HOST:PORT"))
                .with_hint("e.g. --authority a0=3b6a27bc...@10.0.0.1:30300")
        };
        let (name, rest) = a.split_once('=').ok_or_else(bad)?;
        let (key, addr) = rest.split_once('@').ok_or_else(bad)?;
        let entry = PeerEntry {
            name: name.to_owned(),
            public_key: key.to_owned(),
            address: addr.parse().map_err(|_| bad())?,
        };
        parse_peer(&entry, Path::new("--authority"))?;
        authorities.push(entry);
    }
    let spec = ChainSpec {
        name: "rustensor".into(),
        genesis,
        genesis_timestamp_ms: now_ms(),
        block_time_ms: args.spec_block_time_ms,
        authorities,
    };
    to_json(&spec).map(Some)
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
        let key = write_new_key(&node_dir.join(IDENTITY_KEY))?;
        let p2p = SocketAddr::new(loopback(), ports.get(2 * i).copied().unwrap_or(0));
        let rpc_port = ports.get(2 * i + 1).copied().unwrap_or(0);
        let entry = PeerEntry {
            name: name.clone(),
            public_key: net::public_key_hex(&key.public_key()),
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
    let spec = ChainSpec {
        name: "localnet".into(),
        genesis,
        genesis_timestamp_ms: now_ms(),
        block_time_ms: args.block_time_ms,
        authorities,
    };
    write_file(&spec_path, &to_json(&spec)?)?;
    let mut out = Vec::new();
    for (mut file, init) in nodes {
        // Every node knows every full node: authorities accept them, full nodes may talk.
        file.full_nodes = full_nodes
            .iter()
            .filter(|p| p.name != file.name)
            .cloned()
            .collect();
        write_file(&init.config, &to_json(&file)?)?;
        out.push(init);
    }
    Ok(out)
}

/// Changes the JSON-RPC port in a node config file.
pub fn set_rpc_port(config: &Path, port: u16) -> CliResult {
    let mut file: NodeFile = read_json(
        config,
        "node config",
        "regenerate it with `rustensor node init-network`",
    )?;
    file.rpc_port = port;
    write_file(config, &to_json(&file)?)
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

/// Everything a node needs, read from its config file.
struct Loaded {
    file: NodeFile,
    spec: ChainSpec,
    key: ed25519::PrivateKey,
    base_path: PathBuf,
    authorities: Vec<Peer>,
    full_nodes: Vec<Peer>,
}

fn load(config: &Path) -> CliResult<Loaded> {
    let hint = "generate configs with `rustensor node init-network --base-path DIR`";
    let file: NodeFile = read_json(config, "node config", hint)?;
    let spec_path = relative_to(config, &file.chain_spec);
    let spec: ChainSpec = read_json(
        &spec_path,
        "chain spec",
        "a chain spec with authorities comes from `rustensor node init-network` or `node export-genesis --authority ...`",
    )?;
    let key = read_key(&relative_to(config, &file.key_file))?;
    let authorities = spec
        .authorities
        .iter()
        .map(|p| parse_peer(p, &spec_path))
        .collect::<CliResult<Vec<_>>>()?;
    let full_nodes = file
        .full_nodes
        .iter()
        .map(|p| parse_peer(p, config))
        .collect::<CliResult<Vec<_>>>()?;
    let base_path = relative_to(config, &file.base_path);
    Ok(Loaded {
        file,
        spec,
        key,
        base_path,
        authorities,
        full_nodes,
    })
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,node=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `rustensor node --config FILE`: runs an authority or a full node until interrupted.
pub fn run_config(config: &Path, prometheus_port: Option<u16>, out: &Output) -> CliResult {
    init_logs();
    let loaded = load(config)?;
    let Loaded {
        file,
        spec,
        key,
        base_path,
        authorities,
        full_nodes,
    } = loaded;
    let role = Role::from(file.role);
    let me = key.public_key();
    if role == Role::Authority && !authorities.iter().any(|p| p.public_key == me) {
        return Err(CliError::new(format!(
            "{}: the key of {} is not among the chain spec's authorities",
            config.display(),
            file.name
        ))
        .with_hint("set \"role\": \"full\", or add its public key to the chain spec"));
    }
    let node_config = NodeConfig {
        block_time: Duration::from_millis(spec.block_time_ms.max(1)),
        genesis_timestamp_ms: spec.genesis_timestamp_ms,
        ..NodeConfig::dev()
    };
    let machine = ChainMachine::new(spec.genesis.clone()).map_err(|e| {
        CliError::new(format!("bad genesis in the chain spec: {e}"))
            .with_hint("check the chain spec")
    })?;
    let chain_id = machine.chain_id();
    let rpc_addr = SocketAddr::new(file.rpc_addr, file.rpc_port);
    let json = out.is_json();
    let runtime = runtime_config(&base_path).with_tcp_nodelay(Some(true));
    commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
        let db = open_state(&base_path).map_err(|e| CliError::new(e.to_string()))?;
        let node = Node::new(machine, db, node_config).map_err(|e| {
            CliError::new(format!("the node did not start: {e}"))
                .with_hint("a base path holds one chain; use a fresh one for another chain spec")
        })?;
        let namespace = net::chain_namespace(&node.genesis().hash(), &authorities);
        let _running = net::start(
            context.child("network"),
            &node,
            NetworkConfig {
                key,
                role,
                listen: file.listen,
                authorities,
                full_nodes,
                namespace,
            },
        )
        .await
        .map_err(|e| {
            CliError::new(format!("could not join the network: {e}"))
                .with_hint("check the node config and the chain spec")
        })?;
        let (bound, _server) = rpc::server::start(
            node.clone(),
            chain_id,
            rpc::server::RpcConfig {
                addr: rpc_addr,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| {
            CliError::new(e.to_string()).with_hint("pick another rpc_port in the node config")
        })?;
        let metrics = match prometheus_port.or(file.prometheus_port) {
            Some(port) => Some(super::node::serve_metrics(&context, &node, port).await?),
            None => None,
        };
        let url = format!("ws://{bound}");
        let genesis_hash = format!("0x{}", hex::encode(node.genesis().hash()));
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "name": file.name,
                    "role": file.role,
                    "rpc": url,
                    "pid": std::process::id(),
                    "genesis_hash": genesis_hash,
                    "public_key": net::public_key_hex(&me),
                    "p2p": file.listen,
                    "base_path": base_path.display().to_string(),
                    "metrics": metrics.map(|a| format!("http://{a}/metrics")),
                })
            );
        } else {
            println!("rustensor node: JSON-RPC on {url} (HTTP and WebSocket)");
            println!("  {} ({}), p2p {}", file.name, file.role, file.listen);
            println!("  data: {}", base_path.display());
            println!("  genesis: {genesis_hash}");
            if let Some(a) = metrics {
                println!("  metrics: http://{a}/metrics");
            }
        }
        wait_for_stop().await;
        eprintln!("stopping");
        Ok::<(), CliError>(())
    })
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
        crate::signals::send(child.id(), crate::signals::Signal::SIGTERM);
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
    runtime.block_on(wait_for_stop());
    launched.stop();
    Ok(())
}
