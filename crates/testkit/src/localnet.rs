//! `rustensor localnet` as a child process: started on a base path, awaited through the files
//! it writes there (`localnet.json`, `network.json`), stopped with Ctrl-C (SIGINT) on drop; on
//! failure its own output and the end of every child's log (`BASE/logs`) are printed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{Result, TestkitError};
use crate::process::{Proc, Stop};

/// How long localnet may take to stop its children after Ctrl-C before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// A running `rustensor localnet`.
#[derive(Debug)]
pub struct Localnet {
    proc: Proc,
    base: PathBuf,
}

impl Localnet {
    /// Starts `rustensor localnet --base-path BASE ARGS`.
    pub fn start(bin: &Path, base: &Path, args: &[&str]) -> Result<Self> {
        let mut command = Command::new(bin);
        command
            .arg("localnet")
            .arg("--base-path")
            .arg(base)
            .args(args);
        let proc = Proc::spawn("localnet", command, None)?
            .stop_with(Stop::Interrupt { grace: STOP_GRACE })
            .also_print(base.join("logs"));
        Ok(Self {
            proc,
            base: base.to_path_buf(),
        })
    }

    /// Its base path.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The localnet process.
    pub fn proc_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.proc.id()
    }

    /// Waits until every one of `files` (under the base path) holds a JSON document, and
    /// returns them in order; an error if localnet exits first.
    pub fn wait_for_json(&mut self, files: &[&str], timeout: Duration) -> Result<Vec<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            let read: Option<Vec<Value>> = files
                .iter()
                .map(|name| {
                    std::fs::read_to_string(self.base.join(name))
                        .ok()
                        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                })
                .collect();
            if let Some(docs) = read {
                return Ok(docs);
            }
            if let Some(status) = self.proc.try_wait()? {
                return Err(TestkitError::Exited {
                    name: "localnet".into(),
                    what: format!("writing {}", files.join(" and ")),
                    status: status.to_string(),
                });
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Timeout {
                    what: format!("localnet to write {}", files.join(" and ")),
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How it ended, if it has.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.proc.try_wait()
    }

    /// Waits up to `timeout` for it to end by itself.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<ExitStatus> {
        self.proc.wait_timeout(timeout)
    }

    /// Ctrl-C.
    pub fn interrupt(&self) -> Result<()> {
        self.proc.interrupt()
    }

    /// Everything it printed on stdout (its summary, once it has exited).
    pub fn stdout(&self) -> Result<String> {
        self.proc.stdout()
    }
}
