//! A loopback network of authorities and full nodes as separate processes: `rustensor node
//! init-network` writes the configs, and each [`NetworkNode`] runs `rustensor node --config`,
//! so a test can crash (SIGKILL) and restart nodes one by one.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::dev_node::{START_TIMEOUT, wait_for_answer};
use crate::error::{Result, TestkitError};
use crate::process::{Proc, print_tails};
use crate::rpc::Rpc;

/// `RUST_LOG` for network nodes: quiet, but the node's own progress.
const NODE_LOG_FILTER: &str = "warn,node=info";

/// Writes a network into `dir` (`rustensor --json node init-network ARGS --base-path DIR`,
/// e.g. ARGS = `--authorities 4 --full-nodes 1`) and returns its nodes, none started yet, in
/// the order init-network lists them (authorities first).
pub fn init_network(bin: &Path, dir: &Path, args: &[&str]) -> Result<Vec<NetworkNode>> {
    let output = Command::new(bin)
        .args(["--json", "node", "init-network"])
        .args(args)
        .arg("--base-path")
        .arg(dir)
        .output()
        .map_err(|e| TestkitError::io("run rustensor node init-network", e))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(TestkitError::Command {
            args: format!("node init-network {}", args.join(" ")),
            problem: "failed".into(),
            code: output.status.code(),
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let init: Value = serde_json::from_str(&stdout)
        .map_err(|e| TestkitError::json("init-network's output", &stdout, e))?;
    let listed = init["nodes"]
        .as_array()
        .ok_or_else(|| TestkitError::Unexpected {
            what: "init-network (no nodes)".into(),
            got: stdout.clone(),
        })?;
    listed
        .iter()
        .map(|n| {
            let field = |key: &str| {
                n[key]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| TestkitError::Unexpected {
                        what: format!("init-network (a node without {key})"),
                        got: n.to_string(),
                    })
            };
            NetworkNode::new(
                bin,
                &field("name")?,
                Path::new(&field("config")?),
                &field("rpc")?,
            )
        })
        .collect()
}

/// One node of a network: started and crashed at will; prints its log on failure.
#[derive(Debug)]
pub struct NetworkNode {
    bin: PathBuf,
    name: String,
    config: PathBuf,
    log_dir: PathBuf,
    rpc: Rpc,
    proc: Option<Proc>,
}

impl NetworkNode {
    /// The node of config file `config`, whose JSON-RPC is at `rpc`; its logs go beside the
    /// config (`node.out`, `node.log`), appended across restarts.
    pub fn new(bin: &Path, name: &str, config: &Path, rpc: &str) -> Result<Self> {
        let log_dir =
            config
                .parent()
                .map(Path::to_path_buf)
                .ok_or_else(|| TestkitError::Unexpected {
                    what: "a node config path".into(),
                    got: config.display().to_string(),
                })?;
        Ok(Self {
            bin: bin.to_path_buf(),
            name: name.to_owned(),
            config: config.to_path_buf(),
            log_dir,
            rpc: Rpc::new(rpc)?,
            proc: None,
        })
    }

    /// Its name in the network (`authority-0`, `full-0`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it was started and not killed since.
    pub fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    /// Its JSON-RPC (reconnects after a restart).
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }

    /// Starts it (`rustensor --json node --config FILE`) and waits until it answers.
    pub fn start(&mut self) -> Result<()> {
        if self.proc.is_some() {
            return Err(TestkitError::Unexpected {
                what: format!("starting {}", self.name),
                got: "it already runs".into(),
            });
        }
        let mut command = Command::new(&self.bin);
        command
            .args(["--json", "node", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", NODE_LOG_FILTER);
        let mut proc = Proc::spawn("node", command, Some(&self.log_dir))?.quiet_on_panic();
        let ready = Self::await_ready(&mut proc, &self.name, &self.rpc);
        if ready.is_err() {
            proc.print_logs();
        }
        ready?;
        self.proc = Some(proc);
        Ok(())
    }

    fn await_ready(proc: &mut Proc, name: &str, rpc: &Rpc) -> Result<()> {
        let first = proc.first_line(START_TIMEOUT)?;
        let info: Value = serde_json::from_str(&first)
            .map_err(|e| TestkitError::json("the node's first line", &first, e))?;
        if info["name"] != name {
            return Err(TestkitError::Unexpected {
                what: format!("{name}'s first line (another node's name)"),
                got: first,
            });
        }
        wait_for_answer(rpc, START_TIMEOUT)
    }

    /// SIGKILL: no chance to clean up, like a power cut.
    pub fn kill(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }
}

impl Drop for NetworkNode {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_tails(
                &self.name,
                &[self.log_dir.join("node.out"), self.log_dir.join("node.log")],
            );
        }
        self.kill();
    }
}
