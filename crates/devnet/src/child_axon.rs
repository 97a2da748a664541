//! Axons in child processes for the axon benchmark (`rustensor bench axon`): ours (a program
//! that calls `neuron::bench::serve_bench_axon`, e.g. `rustensor bench axon --serve`), or a
//! Python bittensor 10.5.0 one ([`PYTHON_ECHO_AXON`]) from a venv that
//! [`ensure_bittensor_venv`] makes with pip. Both are measured with `neuron::bench`'s load
//! generator, so server CPU per request is measured apart from the load generator.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use neuron::AxonInfo;
use neuron::bench::{BenchConfig, BenchReport, bench_target};

use crate::error::{DevnetError, Result};

/// Start a Python bittensor 10.5.0 axon with `python` (see [`spawn_python_axon`]) and
/// benchmark it with the same load generator as `neuron::bench::run_axon_bench`.
pub async fn run_python_axon_bench(cfg: &BenchConfig, python: &Path) -> Result<BenchReport> {
    let (py, dir) = (python.to_path_buf(), std::env::temp_dir());
    let axon = tokio::task::spawn_blocking(move || spawn_python_axon(&py, &dir))
        .await
        .map_err(|e| DevnetError::AxonProcess(e.to_string()))??;
    let report = bench_target(
        &axon.info,
        "python bittensor 10.5.0 axon (own process)",
        cfg,
        Some(axon.pid()),
    )
    .await;
    drop(axon);
    Ok(report?)
}

/// Start `exe args... PORT` (a program that calls `neuron::bench::serve_bench_axon`) and benchmark our
/// axon in its own process, like the Python one, so server CPU per request is comparable.
pub async fn run_child_axon_bench(
    cfg: &BenchConfig,
    exe: &Path,
    args: &[&str],
) -> Result<BenchReport> {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    let axon = tokio::task::spawn_blocking(move || spawn_ready(cmd))
        .await
        .map_err(|e| DevnetError::AxonProcess(e.to_string()))??;
    let report = bench_target(
        &axon.info,
        "rustensor axon (own process)",
        cfg,
        Some(axon.pid()),
    )
    .await;
    drop(axon);
    Ok(report?)
}

/// A Python bittensor 10.5.0 Axon serving the same `Echo` as //Bob on 127.0.0.1 (sdk.md §6).
/// Arguments: port. Prints `READY` and serves until stdin closes.
pub const PYTHON_ECHO_AXON: &str = r#"
import sys, typing
from typing import Optional
import bittensor.utils.networking as _net
_net.get_external_ip = lambda: "127.0.0.1"
import bittensor as bt
from bittensor_wallet import Keypair

class Echo(bt.Synapse):
    text: str = ""
    n: int = 0
    values: list[int] = []
    response: Optional[str] = None
    required_hash_fields: typing.ClassVar[typing.Tuple[str, ...]] = ("text", "n", "values")

class W:
    hotkey = Keypair.create_from_uri("//Bob")
    coldkeypub = Keypair.create_from_uri("//Bob")

def forward(synapse: Echo) -> Echo:
    synapse.response = f"{synapse.text.upper()}|{2 * synapse.n}|{sum(synapse.values)}"
    return synapse

port = int(sys.argv[1])
axon = bt.Axon(wallet=W(), ip="127.0.0.1", port=port, external_ip="127.0.0.1", external_port=port)
axon.attach(forward_fn=forward)
axon.fast_config.host = "127.0.0.1"
axon.start()
print("READY", flush=True)
sys.stdin.read()
axon.stop()
"#;

/// An axon running in a child process (serving //Bob's `Echo`); killed when dropped.
#[derive(Debug)]
pub struct ChildAxon {
    child: Child,
    /// Where to call it.
    pub info: AxonInfo,
}

impl ChildAxon {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildAxon {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start [`PYTHON_ECHO_AXON`] with `python` (a venv with bittensor 10.5.0), writing the
/// script into `workdir`.
pub fn spawn_python_axon(python: &Path, workdir: &Path) -> Result<ChildAxon> {
    let script = workdir.join("neuron_bench_python_axon.py");
    std::fs::write(&script, PYTHON_ECHO_AXON).map_err(|e| DevnetError::io("write", &script, e))?;
    let mut cmd = Command::new(python);
    cmd.arg(&script);
    spawn_ready(cmd)
}

/// Run `cmd PORT` with a free loopback port, wait for `READY` on its stdout and for the port
/// to accept connections.
fn spawn_ready(mut cmd: Command) -> Result<ChildAxon> {
    use std::io::BufRead as _;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(DevnetError::NoFreePort)?
        .port();
    let mut child = cmd
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| DevnetError::AxonProcess(format!("cannot start {cmd:?}: {e}")))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let mut reader = std::io::BufReader::new(out);
        let _ = reader.read_line(&mut line);
        // Keep draining: a closed pipe would make every later log line of the child fail
        // (and cost it time while it is being measured).
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    }
    let bob = keys::Keypair::from_uri("//Bob")?;
    let axon = ChildAxon {
        child,
        info: AxonInfo::new("127.0.0.1", port, bob.account_id()),
    };
    if line.trim() != "READY" {
        return Err(DevnetError::AxonProcess(format!(
            "{cmd:?} did not print READY"
        )));
    }
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(axon);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(DevnetError::AxonProcess(format!(
        "{cmd:?} is not listening on {port}"
    )))
}

/// The Python of a venv in `dir` with `bittensor==10.5.0`, created with pip if missing.
pub fn ensure_bittensor_venv(dir: &Path) -> Result<PathBuf> {
    let py = dir.join("bin").join("python");
    let ok = |py: &Path| {
        Command::new(py)
            .args([
                "-c",
                "import bittensor; assert bittensor.__version__ == '10.5.0'",
            ])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if ok(&py) {
        return Ok(py);
    }
    let run = |cmd: &mut Command| -> Result {
        let out = cmd
            .output()
            .map_err(|e| DevnetError::Venv(format!("{cmd:?}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(DevnetError::Venv(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    };
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(dir))?;
    run(Command::new(dir.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "bittensor==10.5.0",
    ]))?;
    if ok(&py) {
        Ok(py)
    } else {
        Err(DevnetError::Venv(
            "bittensor 10.5.0 does not import after install".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_child_that_does_not_say_ready_is_an_error() {
        let mut cmd = Command::new("sh");
        // `sh -c SCRIPT PORT`: the port becomes $0; the script ignores it.
        cmd.args(["-c", "echo starting"]);
        let e = spawn_ready(cmd).unwrap_err();
        assert!(e.to_string().contains("did not print READY"), "{e}");
    }

    #[test]
    fn a_missing_python_is_not_a_venv() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-python");
        let e = spawn_python_axon(&missing, dir.path()).unwrap_err();
        assert!(e.to_string().contains("cannot start"), "{e}");
    }
}
