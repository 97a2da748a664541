//! The node a load run targets: one given by URL, or a dev node spawned for the run
//! (`rustensor node --dev --tmp`), whose start-to-first-finalized-block time and memory are
//! measured too.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::ChainId;
use client::{Client, RustensorApiClient};

use super::{Notes, load_error, rpc};
use crate::error::{DevnetError, Result};

/// Where to send the load, and how.
#[derive(Debug, Clone)]
pub struct Target {
    /// The node (WebSocket JSON-RPC); `None` spawns a dev node for the run.
    pub network: Option<String>,
    /// The `rustensor` binary (to spawn the dev node).
    pub exe: PathBuf,
    /// Concurrent WebSocket connections submitting.
    pub connections: usize,
    /// Transactions per `author_submitExtrinsics` call (capped to stay under the node's 2 MiB
    /// request limit).
    pub batch: usize,
}

/// Figures of a spawned dev node.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeFigures {
    /// Process start to block 1 finalized (seen over RPC).
    pub start_to_first_block_ms: f64,
    /// Resident memory before the load.
    pub idle_rss_mib: f64,
    /// Resident memory after the load.
    pub loaded_rss_mib: f64,
}

/// A dev node spawned for the run, killed on drop.
#[derive(Debug)]
pub struct DevNode {
    child: Child,
    url: String,
    started: Instant,
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DevNode {
    /// Starts `exe node --dev --tmp` on a free port; returns once it serves.
    pub fn spawn(exe: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(DevnetError::NoFreePort)?
            .port();
        let started = Instant::now();
        let mut child = Command::new(exe)
            .args(["node", "--dev", "--tmp", "--rpc-port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| DevnetError::Spawn {
                name: "a dev node".into(),
                source,
            })?;
        let first = child.stdout.take().and_then(|out| {
            let mut lines = BufReader::new(out).lines();
            let first = lines.next().and_then(std::result::Result::ok);
            std::thread::spawn(move || for _ in lines {});
            first
        });
        let node = Self {
            child,
            url: format!("ws://127.0.0.1:{port}"),
            started,
        };
        match first {
            Some(line) if line.contains("JSON-RPC on") => Ok(node),
            other => Err(load_error(format!(
                "the dev node did not start: {}",
                other.unwrap_or_default()
            ))),
        }
    }

    /// Its resident memory, MiB (Linux; 0 elsewhere).
    pub fn rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

/// The node to load: connected, with the dev node (if spawned) and its figures so far.
pub struct Session {
    /// A client of it.
    pub client: Client,
    /// Its URL.
    pub url: String,
    /// What signatures bind to.
    pub chain: ChainId,
    /// The dev node spawned for the run.
    pub dev: Option<DevNode>,
    first_block_ms: f64,
    idle_rss_mib: f64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("url", &self.url)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Connects to the target's node, or spawns a dev node and measures its start.
    pub async fn open(target: &Target, notes: Notes<'_>) -> Result<Self> {
        let (dev, url) = match &target.network {
            Some(url) => (None, url.clone()),
            None => {
                notes("Starting a dev node (rustensor node --dev --tmp)...");
                let dev = DevNode::spawn(&target.exe)?;
                let url = dev.url.clone();
                (Some(dev), url)
            }
        };
        let client = Client::connect(&url).await.map_err(rpc("connecting"))?;
        let mut first_block_ms = 0.0;
        let mut idle_rss_mib = 0.0;
        if let Some(dev) = &dev {
            loop {
                let h = client
                    .call(|c| async move { c.health().await })
                    .await
                    .map_err(rpc("reading health"))?;
                if h.finalized >= 1 {
                    first_block_ms = dev.started.elapsed().as_secs_f64() * 1e3;
                    break;
                }
                if dev.started.elapsed() > Duration::from_secs(30) {
                    return Err(load_error("the dev node finalized nothing in 30 s"));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            // Idle: a couple of seconds of empty blocks.
            tokio::time::sleep(Duration::from_secs(2)).await;
            idle_rss_mib = dev.rss_mib();
        }
        let chain = client
            .chain_id()
            .await
            .map_err(rpc("reading the chain id"))?
            .chain_id();
        Ok(Self {
            client,
            url,
            chain,
            dev,
            first_block_ms,
            idle_rss_mib,
        })
    }

    /// The spawned dev node's figures, with its memory now as the loaded figure.
    pub fn node_figures(&self) -> Option<NodeFigures> {
        self.dev.as_ref().map(|dev| NodeFigures {
            start_to_first_block_ms: self.first_block_ms,
            idle_rss_mib: self.idle_rss_mib,
            loaded_rss_mib: dev.rss_mib(),
        })
    }
}
