//! Signals to the processes devnet starts (network nodes, localnet children), through `nix`: no `unsafe`
//! and no `kill` subprocess.

use nix::sys::signal::{kill, killpg};
use nix::unistd::Pid;

pub use nix::sys::signal::Signal;

/// Sends `signal` to process `pid`, or with `None` only checks that it exists; whether the
/// kernel accepted it (false for a pid that does not fit a `pid_t`).
pub fn send(pid: u32, signal: impl Into<Option<Signal>>) -> bool {
    i32::try_from(pid).is_ok_and(|raw| kill(Pid::from_raw(raw), signal).is_ok())
}

/// Sends `signal` to the process group that process `leader` leads (it and its children).
pub fn send_to_group(leader: u32, signal: Signal) -> bool {
    i32::try_from(leader).is_ok_and(|raw| killpg(Pid::from_raw(raw), signal).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_signals_a_child() {
        let mut child = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        assert!(send(child.id(), None), "a running child exists");
        assert!(send(child.id(), Signal::SIGTERM));
        let status = child.wait().unwrap();
        let by = std::os::unix::process::ExitStatusExt::signal(&status);
        assert_eq!(by, Some(Signal::SIGTERM as i32));
        assert!(!send(u32::MAX, None), "a pid beyond pid_t is refused");
    }
}
