//! A network of node processes on loopback: [`init_network`] writes its keys, chain spec and
//! node configs (the formats of `node::spec`), [`spawn_node`] starts one `rustensor node
//! --config` process and waits until it serves, [`launch`] starts them all (generating the
//! network first if needed) and writes `network.json`, and [`run_authorities`] keeps them up
//! until Ctrl-C. Localnet (`crate::localnet`) generates its network with [`init_network`] and
//! runs the nodes as its own children.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::{GenesisConfig, Preset};
use node::spec::{
    CHAIN_SPEC, ChainSpec, ConfigError, IDENTITY_KEY, NODE_CONFIG, NodeFile, PeerEntry, RoleName,
    loopback, write_file, write_new_key,
};
use serde::{Deserialize, Serialize};

use crate::error::{DevnetError, Result};
use crate::ports::free_ports;

/// What the launcher writes once every node is up.
pub const NETWORK_JSON: &str = "network.json";

/// A loopback network to generate.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Authorities.
    pub authorities: usize,
    /// Full nodes (every authority accepts them).
    pub full_nodes: usize,
    /// Folder for the chain spec and one subfolder per node.
    pub base_path: PathBuf,
    /// Block time in milliseconds.
    pub block_time_ms: u64,
    /// The reference preset (tempo 360, 1000 TAO lock) instead of the fast dev one.
    pub reference: bool,
    /// Overwrite an existing network in the folder.
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

fn genesis(reference: bool) -> Result<GenesisConfig> {
    let preset = if reference {
        Preset::Reference
    } else {
        Preset::Fast
    };
    GenesisConfig::dev(preset).map_err(|e| ConfigError::BadGenesis(e.to_string()).into())
}

/// Generates a loopback network: keys, the chain spec and every node's config.
pub fn init_network(options: &InitOptions) -> Result<Vec<InitNode>> {
    if options.authorities == 0 {
        return Err(DevnetError::NoAuthorities);
    }
    let dir = &options.base_path;
    let spec_path = dir.join(CHAIN_SPEC);
    if spec_path.exists() && !options.force {
        return Err(DevnetError::NetworkExists { dir: dir.clone() });
    }
    let genesis = genesis(options.reference)?;
    let total = options.authorities.saturating_add(options.full_nodes);
    let ports = free_ports(total.saturating_mul(2))?;
    let mut nodes = Vec::new();
    let mut authorities = Vec::new();
    let mut full_nodes = Vec::new();
    for i in 0..total {
        let (name, role) = if i < options.authorities {
            (format!("authority-{i}"), RoleName::Authority)
        } else {
            let n = i.saturating_sub(options.authorities);
            (format!("full-{n}"), RoleName::Full)
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
        let file = NodeFile {
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
        };
        let init = InitNode {
            name,
            role,
            config: node_dir.join(NODE_CONFIG),
            public_key: entry.public_key,
            p2p,
            rpc: format!("ws://127.0.0.1:{rpc_port}"),
        };
        nodes.push((file, init));
    }
    let spec = ChainSpec::new("localnet", genesis, options.block_time_ms, authorities);
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

/// What to launch.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The `rustensor` binary.
    pub exe: PathBuf,
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
fn existing_nodes(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| DevnetError::io("list", dir, e))?;
    for entry in entries.flatten() {
        let config = entry.path().join(NODE_CONFIG);
        if config.is_file() {
            found.push((entry.file_name().to_string_lossy().into_owned(), config));
        }
    }
    found.sort_by_key(|(name, _)| (!name.starts_with("authority"), name.clone()));
    Ok(found)
}

/// Starts `exe --json node --config CONFIG` with stderr appended to `log`; waits until it
/// prints what it serves.
pub fn spawn_node(exe: &Path, config: &Path, log: &Path) -> Result<LaunchedNode> {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| DevnetError::io("open", log, e))?;
    let mut child = Command::new(exe)
        .args(["--json", "node", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|source| DevnetError::Spawn {
            name: format!("a node of {}", config.display()),
            source,
        })?;
    let line = first_line(&mut child, Duration::from_secs(60));
    let info: serde_json::Value = match line.as_deref().map(serde_json::from_str) {
        Some(Ok(v)) => v,
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DevnetError::NodeDidNotStart {
                config: config.to_path_buf(),
                log: log.to_path_buf(),
            });
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
        let first = lines.next().and_then(std::result::Result::ok);
        let _ = tx.send(first);
        for _ in lines {}
    });
    rx.recv_timeout(timeout).ok().flatten()
}

/// Generates the network in `base_path` if needed, starts every node, and writes
/// `base_path/network.json` once all are up.
pub fn launch(options: &LaunchOptions) -> Result<Launched> {
    let dir = &options.base_path;
    let mut nodes = if dir.join(CHAIN_SPEC).is_file() {
        existing_nodes(dir)?
    } else {
        Vec::new()
    };
    let wanted = options.authorities.saturating_add(options.full_nodes);
    if nodes.len() != wanted {
        if !nodes.is_empty() {
            return Err(DevnetError::NetworkSize {
                dir: dir.clone(),
                found: nodes.len(),
                wanted,
            });
        }
        init_network(&InitOptions {
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
        launched.nodes.push(spawn_node(&options.exe, config, &log)?);
    }
    let listing = serde_json::json!({
        "nodes": launched.nodes.iter().map(|n| serde_json::json!({
            "name": n.name,
            "pid": n.child.id(),
            "rpc": n.rpc,
            "role": n.role,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&listing).map_err(|source| DevnetError::Json {
        what: NETWORK_JSON,
        source,
    })?;
    write_file(&launched.network_json, &text)?;
    Ok(launched)
}

/// `node run-network`: launches the network, tells `on_up`, keeps it up until Ctrl-C or
/// SIGTERM, then stops every node.
pub fn run_authorities(options: &LaunchOptions, on_up: impl FnOnce(&Launched)) -> Result {
    let mut launched = launch(options)?;
    on_up(&launched);
    crate::stop::block_until_signal()?;
    launched.stop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_network_loads_node_by_node_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let options = InitOptions {
            authorities: 2,
            full_nodes: 1,
            base_path: dir.path().to_path_buf(),
            block_time_ms: 250,
            reference: false,
            force: false,
        };
        let nodes = init_network(&options).unwrap();
        let names: Vec<_> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["authority-0", "authority-1", "full-0"]);
        for n in &nodes {
            let loaded = node::spec::load(&n.config).unwrap();
            assert_eq!(loaded.authorities.len(), 2);
            assert_eq!(loaded.file.role, n.role);
            let others = usize::from(n.role == RoleName::Authority);
            assert_eq!(loaded.full_nodes.len(), others, "{}", n.name);
        }
        let found: Vec<_> = existing_nodes(dir.path()).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].0, "authority-0");
        assert!(matches!(
            init_network(&options),
            Err(DevnetError::NetworkExists { .. })
        ));
        let forced = InitOptions {
            force: true,
            ..options.clone()
        };
        assert!(init_network(&forced).is_ok());
        let none = InitOptions {
            authorities: 0,
            ..forced
        };
        assert!(matches!(
            init_network(&none),
            Err(DevnetError::NoAuthorities)
        ));
    }
}
