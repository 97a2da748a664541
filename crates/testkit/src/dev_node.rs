//! `rustensor node --dev` as a child process: started on a port it picks itself, awaited
//! until its JSON-RPC answers, killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Result, TestkitError};
use crate::process::Proc;
use crate::rpc::Rpc;

/// How long a node may take to start answering.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How to start a dev node.
#[derive(Debug, Clone)]
pub struct DevNodeOptions {
    /// Keep the chain here (`--base-path`, reopened if it exists); `None` is `--tmp`.
    pub base_path: Option<PathBuf>,
    /// Serve Prometheus metrics on a port the node picks (`--prometheus-port 0`).
    pub metrics: bool,
    /// Where its stdout (`NAME.out`) and stderr (`NAME.log`) go; a temporary folder if `None`.
    pub log_dir: Option<PathBuf>,
    /// The log files' name.
    pub log_name: String,
    /// `RUST_LOG` for the node, if set.
    pub rust_log: Option<String>,
}

impl Default for DevNodeOptions {
    fn default() -> Self {
        Self {
            base_path: None,
            metrics: false,
            log_dir: None,
            log_name: "node".into(),
            rust_log: None,
        }
    }
}

/// A running dev node.
#[derive(Debug)]
pub struct DevNode {
    proc: Proc,
    url: String,
    metrics: Option<String>,
    rpc: Rpc,
}

impl DevNode {
    /// A fresh dev chain in a temporary folder (`rustensor node --dev --tmp`).
    pub fn start(bin: &Path) -> Result<Self> {
        Self::start_with(bin, DevNodeOptions::default())
    }

    /// A dev node as `options` say.
    pub fn start_with(bin: &Path, options: DevNodeOptions) -> Result<Self> {
        let mut command = Command::new(bin);
        command.args(["--json", "node", "--dev", "--rpc-port", "0"]);
        match &options.base_path {
            Some(dir) => command.arg("--base-path").arg(dir),
            None => command.arg("--tmp"),
        };
        if options.metrics {
            command.args(["--prometheus-port", "0"]);
        }
        if let Some(filter) = &options.rust_log {
            command.env("RUST_LOG", filter);
        }
        let mut proc = Proc::spawn(&options.log_name, command, options.log_dir.as_deref())?;
        let started = Self::await_ready(&mut proc);
        if started.is_err() {
            proc.print_logs();
        }
        let (url, metrics, rpc) = started?;
        Ok(Self {
            proc,
            url,
            metrics,
            rpc,
        })
    }

    /// Reads the node's first line (`{"rpc": URL, "metrics": URL, ...}`) and waits until its
    /// JSON-RPC answers `system_health`.
    fn await_ready(proc: &mut Proc) -> Result<(String, Option<String>, Rpc)> {
        let started = Instant::now();
        let first = proc.first_line(START_TIMEOUT)?;
        let info: Value = serde_json::from_str(&first)
            .map_err(|e| TestkitError::json("the node's first line", &first, e))?;
        let url = info["rpc"]
            .as_str()
            .ok_or_else(|| TestkitError::Unexpected {
                what: "the node's first line (no rpc)".into(),
                got: first.clone(),
            })?
            .to_owned();
        let metrics = info["metrics"].as_str().map(str::to_owned);
        let rpc = Rpc::new(&url)?;
        wait_for_answer(&rpc, START_TIMEOUT.saturating_sub(started.elapsed()))?;
        Ok((url, metrics, rpc))
    }

    /// Its JSON-RPC address, `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its JSON-RPC port.
    pub fn rpc_port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// Its metrics address, `http://127.0.0.1:PORT/metrics`, when started with metrics.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics.as_deref()
    }

    /// Its JSON-RPC.
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }

    /// The process.
    pub fn proc_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }

    /// SIGKILL: a crash, with no chance to clean up.
    pub fn kill(&mut self) {
        self.proc.kill();
    }
}

/// Polls `system_health` until the node answers.
pub fn wait_for_answer(rpc: &Rpc, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        match rpc.request("system_health", json!([])) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(TestkitError::Timeout {
                    what: format!("{} to answer (last: {e})", rpc.url()),
                    timeout,
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
