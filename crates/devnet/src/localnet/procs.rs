//! The child processes of localnet: each is the `rustensor` binary with its output in `BASE/logs/NAME.log`, in a process group of its own (so a terminal's Ctrl-C
//! reaches only localnet, which then stops them in order), and, on Linux, set to receive
//! SIGTERM if localnet dies without cleaning up (`PR_SET_PDEATHSIG`). [`Procs`] stops every
//! child when dropped: on a normal exit, on Ctrl-C, on an error half-way through setup, and on
//! a panic. No child outlives localnet.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{DevnetError, Result};

/// How long children get to exit after SIGINT before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// One running child.
#[derive(Debug)]
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    /// Whether it has been reaped.
    done: bool,
}

/// Every child localnet started, stopped on drop.
#[derive(Debug)]
pub struct Procs {
    exe: PathBuf,
    logs: PathBuf,
    envs: Vec<(OsString, OsString)>,
    list: Vec<Proc>,
    /// How many of the first children are chain nodes (stopped after everything else).
    nodes: usize,
}

/// A process as `localnet.json` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProcInfo {
    /// Its name (also the log file's name).
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// Its log file.
    pub log: PathBuf,
}

impl Procs {
    /// Children running `exe`, logging into `logs` (created if missing).
    pub fn new(exe: &Path, logs: &Path) -> Result<Self> {
        std::fs::create_dir_all(logs).map_err(|e| DevnetError::io("create", logs, e))?;
        Ok(Self {
            exe: exe.to_path_buf(),
            logs: logs.to_path_buf(),
            envs: Vec::new(),
            list: Vec::new(),
            nodes: 1,
        })
    }

    /// Sets an environment variable for every child started after this.
    pub fn env(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) {
        self.envs.push((key.into(), value.into()));
    }

    /// Starts `rustensor ARGS...` as child `name`; returns its pid.
    pub fn spawn(&mut self, name: &str, args: &[OsString]) -> Result<u32> {
        let log = self.logs.join(format!("{name}.log"));
        let open_err = |e: std::io::Error| DevnetError::io("write", &log, e);
        let stdout = File::create(&log).map_err(open_err)?;
        let stderr = stdout.try_clone().map_err(open_err)?;
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        isolate(&mut cmd);
        let child = cmd.spawn().map_err(|source| DevnetError::Spawn {
            name: name.to_string(),
            source,
        })?;
        let pid = child.id();
        self.list.push(Proc {
            name: name.to_string(),
            child,
            log,
            done: false,
        });
        Ok(pid)
    }

    /// Marks the first `n` children as the chain's nodes: [`stop_all`](Self::stop_all) stops
    /// them last (1 unless set).
    pub fn set_nodes(&mut self, n: usize) {
        self.nodes = n;
    }

    /// The running children.
    pub fn info(&self) -> Vec<ProcInfo> {
        self.list
            .iter()
            .filter(|p| !p.done)
            .map(|p| ProcInfo {
                name: p.name.clone(),
                pid: p.child.id(),
                log: p.log.clone(),
            })
            .collect()
    }

    /// An error naming the first child that has exited, with the end of its log.
    pub fn check_alive(&mut self) -> Result {
        for p in &mut self.list {
            if p.done {
                continue;
            }
            match p.child.try_wait() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    p.done = true;
                    return Err(DevnetError::Exited {
                        name: p.name.clone(),
                        status: status.to_string(),
                        tail: indent(&tail(&p.log, 20)),
                        log: p.log.clone(),
                    });
                }
                Err(e) => {
                    return Err(DevnetError::io("check on", Path::new(&p.name), e));
                }
            }
        }
        Ok(())
    }

    /// The last lines of every child's log (for diagnosing a failure).
    pub fn tails(&self, lines: usize) -> String {
        let mut s = String::new();
        for p in &self.list {
            s.push_str(&format!("--- {} ({}) ---\n", p.name, p.log.display()));
            s.push_str(&tail(&p.log, lines));
            s.push('\n');
        }
        s
    }

    /// Stops every child: neurons and gateway first, the node or nodes (the first children)
    /// last, each with SIGINT, then SIGKILL after a grace period.
    pub fn stop_all(&mut self) {
        let split = self.list.len().min(self.nodes);
        let (first, rest) = self.list.split_at_mut(split);
        stop(rest);
        stop(first);
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn stop(procs: &mut [Proc]) {
    for p in procs.iter_mut().filter(|p| !p.done) {
        signal(&p.child, Signal::Interrupt);
    }
    let deadline = Instant::now() + GRACE;
    loop {
        let mut running = false;
        for p in procs.iter_mut().filter(|p| !p.done) {
            match p.child.try_wait() {
                Ok(Some(_)) | Err(_) => p.done = true,
                Ok(None) => running = true,
            }
        }
        if !running || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for p in procs.iter_mut().filter(|p| !p.done) {
        signal(&p.child, Signal::Kill);
        let _ = p.child.kill();
        let _ = p.child.wait();
        p.done = true;
    }
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Interrupt,
    Kill,
}

/// Signals the child's whole process group (it leads one; see [`isolate`]).
#[cfg(unix)]
#[allow(unsafe_code)] // kill(2); see SAFETY
fn signal(child: &Child, signal: Signal) {
    use crate::signals::{Signal as Sig, send_to_group};
    let sig = match signal {
        Signal::Interrupt => Sig::SIGINT,
        Signal::Kill => Sig::SIGKILL,
    };
    // The group holds only the child and its own children.
    send_to_group(child.id(), sig);
}

#[cfg(not(unix))]
fn signal(_child: &Child, _signal: Signal) {
    // Child::kill in `stop` does the work.
}

/// Puts the child in a process group of its own and, on Linux, asks the kernel to send it
/// SIGTERM when localnet dies.
#[cfg(unix)]
#[allow(unsafe_code)] // pre_exec; see SAFETY
fn isolate(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    {
        // The parent's pid as the child should see it; if it differs after prctl, the parent
        // died in between and the child must not start.
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec and calls only
        // async-signal-safe functions (prctl, getppid); it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(std::io::Error::other("localnet exited while starting"));
                }
                Ok(())
            });
        }
    }
}

#[cfg(not(unix))]
fn isolate(_cmd: &mut Command) {}

/// The last `lines` lines of a file (at most the last 64 KiB of it).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return "(no log)".into();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        std::fs::write(&p, "a\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&p, 2), "c\nd");
        assert_eq!(tail(&p, 10), "a\nb\nc\nd");
        assert_eq!(tail(&dir.path().join("none"), 3), "(no log)");
    }
}
