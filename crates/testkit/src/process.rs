//! Child processes for tests: stdin closed, stdout and stderr appended to files, stopped when
//! dropped, and their logs printed when the test panics (a failed assertion), so a failure in
//! CI shows what the child said.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use nix::sys::signal::Signal;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::error::{Result, TestkitError};

/// Lines of each log printed on failure.
pub const TAIL_LINES: usize = 60;

/// How a [`Proc`] is stopped when dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGKILL at once: no chance to clean up, like a power cut.
    Kill,
    /// SIGINT (Ctrl-C), then SIGKILL if it is still running after `grace`.
    Interrupt {
        /// How long it may take to stop by itself.
        grace: Duration,
    },
}

/// A child process, stopped on drop.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
    /// Where this run's output starts in the stdout file (restarts append to it).
    stdout_from: u64,
    also_print: Vec<PathBuf>,
    stop: Stop,
    print_on_panic: bool,
    _log_dir: Option<tempfile::TempDir>,
}

fn append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TestkitError::io(format!("open {}", path.display()), e))
}

impl Proc {
    /// Starts `command` with stdin closed, its stdout appended to `LOG_DIR/NAME.out` and its
    /// stderr to `LOG_DIR/NAME.log` (a temporary folder when `log_dir` is `None`).
    pub fn spawn(name: &str, mut command: Command, log_dir: Option<&Path>) -> Result<Self> {
        let (dir, tmp) = match log_dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let tmp = tempfile::Builder::new()
                    .prefix("testkit-logs-")
                    .tempdir()
                    .map_err(|e| TestkitError::io("create a folder for logs", e))?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| TestkitError::io(format!("create {}", dir.display()), e))?;
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.log"));
        let out = append(&stdout)?;
        let stdout_from = out
            .metadata()
            .map_err(|e| TestkitError::io(format!("read {}", stdout.display()), e))?
            .len();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(append(&stderr)?)
            .spawn()
            .map_err(|e| TestkitError::io(format!("start {name} ({command:?})"), e))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
            stdout_from,
            also_print: Vec::new(),
            stop: Stop::Kill,
            print_on_panic: true,
            _log_dir: tmp,
        })
    }

    /// Stop it this way on drop (the default is [`Stop::Kill`]).
    pub fn stop_with(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    /// On failure, print this log file too, or every file in this folder.
    pub fn also_print(mut self, path: impl Into<PathBuf>) -> Self {
        self.also_print.push(path.into());
        self
    }

    /// Do not print logs on failure (the owner prints them).
    pub fn quiet_on_panic(mut self) -> Self {
        self.print_on_panic = false;
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The file its stdout goes to.
    pub fn stdout_path(&self) -> &Path {
        &self.stdout
    }

    /// The file its stderr goes to.
    pub fn stderr_path(&self) -> &Path {
        &self.stderr
    }

    /// How it ended, if it has.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .map_err(|e| TestkitError::io(format!("check on {}", self.name), e))
    }

    /// Waits up to `timeout` for it to end by itself.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Timeout {
                    what: format!("{} to exit", self.name),
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, and reap it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT, as Ctrl-C sends.
    pub fn interrupt(&self) -> Result<()> {
        signal(self.id(), Signal::SIGINT)
    }

    /// What this run printed on stdout so far.
    pub fn stdout(&self) -> Result<String> {
        let mut file = File::open(&self.stdout)
            .map_err(|e| TestkitError::io(format!("open {}", self.stdout.display()), e))?;
        file.seek(SeekFrom::Start(self.stdout_from))
            .map_err(|e| TestkitError::io(format!("seek {}", self.stdout.display()), e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| TestkitError::io(format!("read {}", self.stdout.display()), e))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The first line this run prints on stdout, once complete; an error if it exits first.
    pub fn first_line(&mut self, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let exited = self.try_wait()?;
            if let Some((line, _)) = self.stdout()?.split_once('\n') {
                return Ok(line.to_owned());
            }
            if let Some(status) = exited {
                return Err(TestkitError::Exited {
                    name: self.name.clone(),
                    what: "printing a line".into(),
                    status: status.to_string(),
                });
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Timeout {
                    what: format!("{}'s first line on stdout", self.name),
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Prints the end of its stdout, its stderr and the extra logs to stderr.
    pub fn print_logs(&self) {
        print_tails(
            &self.name,
            [&self.stdout, &self.stderr]
                .into_iter()
                .chain(&self.also_print),
        );
    }

    fn stop_now(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        if let Stop::Interrupt { grace } = self.stop
            && self.interrupt().is_ok()
            && self.wait_timeout(grace).is_ok()
        {
            return;
        }
        self.kill();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() && self.print_on_panic {
            self.print_logs();
        }
        self.stop_now();
    }
}

/// Sends `sig` to process `pid`; `None` sends nothing but checks that the process exists.
pub fn signal(pid: u32, sig: impl Into<Option<Signal>>) -> Result<()> {
    let raw = i32::try_from(pid).map_err(|_| TestkitError::Unexpected {
        what: "a process id".into(),
        got: pid.to_string(),
    })?;
    kill(Pid::from_raw(raw), sig).map_err(|errno| {
        TestkitError::io(format!("signal process {pid}"), std::io::Error::from(errno))
    })
}

/// Whether process `pid` exists (a zombie not yet reaped counts).
pub fn pid_alive(pid: u32) -> bool {
    signal(pid, None).is_ok()
}

/// The last `lines` lines of a text file (empty if it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all.get(all.len().saturating_sub(lines)..)
        .unwrap_or_default()
        .join("\n")
}

/// Prints the end of each file, or of every file in a folder, under a `==== who: path` title
/// (paths that do not exist are skipped).
pub fn print_tails<'a>(who: &str, paths: impl IntoIterator<Item = &'a PathBuf>) {
    for path in paths {
        let mut files = if path.is_dir() {
            std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        } else if path.is_file() {
            vec![path.clone()]
        } else {
            Vec::new()
        };
        files.sort();
        for file in files {
            eprintln!(
                "==== {who}: {} (last {TAIL_LINES} lines) ====\n{}",
                file.display(),
                tail(&file, TAIL_LINES)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn captures_stdout_and_stderr_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Proc::spawn(
            "echo",
            sh("echo one; echo two; echo oops >&2"),
            Some(dir.path()),
        )
        .unwrap();
        assert_eq!(p.first_line(Duration::from_secs(10)).unwrap(), "one");
        assert!(p.wait_timeout(Duration::from_secs(10)).unwrap().success());
        assert_eq!(p.stdout().unwrap(), "one\ntwo\n");
        assert_eq!(std::fs::read_to_string(p.stderr_path()).unwrap(), "oops\n");
        assert_eq!(p.stdout_path(), dir.path().join("echo.out"));
    }

    #[test]
    fn a_restart_reads_only_its_own_output() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = Proc::spawn("n", sh("echo first"), Some(dir.path())).unwrap();
        first.wait_timeout(Duration::from_secs(10)).unwrap();
        let mut second = Proc::spawn("n", sh("echo second"), Some(dir.path())).unwrap();
        assert_eq!(
            second.first_line(Duration::from_secs(10)).unwrap(),
            "second"
        );
        let all = std::fs::read_to_string(dir.path().join("n.out")).unwrap();
        assert_eq!(all, "first\nsecond\n");
    }

    #[test]
    fn dropping_kills_the_child() {
        let p = Proc::spawn("sleeper", sh("sleep 600"), None).unwrap();
        let pid = p.id();
        assert!(pid_alive(pid));
        drop(p);
        assert!(!pid_alive(pid), "the child outlived its guard");
    }

    #[test]
    fn interrupt_lets_the_child_stop_by_itself() {
        let script = "trap 'echo stopped; exit 0' INT; echo ready; while true; do sleep 0.05; done";
        let dir = tempfile::tempdir().unwrap();
        let mut p = Proc::spawn("trapper", sh(script), Some(dir.path()))
            .unwrap()
            .stop_with(Stop::Interrupt {
                grace: Duration::from_secs(10),
            });
        assert_eq!(p.first_line(Duration::from_secs(10)).unwrap(), "ready");
        drop(p);
        let out = std::fs::read_to_string(dir.path().join("trapper.out")).unwrap();
        assert_eq!(out, "ready\nstopped\n");
    }

    #[test]
    fn a_child_that_exits_early_is_an_error_not_a_hang() {
        let mut p = Proc::spawn("quitter", sh("exit 3"), None).unwrap();
        let err = p.first_line(Duration::from_secs(30)).unwrap_err();
        assert!(
            matches!(&err, TestkitError::Exited { status, .. } if status.contains('3')),
            "{err:?}"
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log");
        std::fs::write(&file, "a\nb\nc\n").unwrap();
        assert_eq!(tail(&file, 2), "b\nc");
        assert_eq!(tail(&file, 10), "a\nb\nc");
        assert_eq!(tail(&dir.path().join("missing"), 3), "");
    }
}
