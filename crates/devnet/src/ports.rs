//! Loopback ports: free ones, held while more are chosen so no two are the same.

use std::net::TcpListener;

use crate::error::{DevnetError, Result};

/// A free loopback port; the listener stays in `held` until the caller drops it.
pub fn free_port(held: &mut Vec<TcpListener>) -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(DevnetError::NoFreePort)?;
    let port = listener
        .local_addr()
        .map_err(DevnetError::NoFreePort)?
        .port();
    held.push(listener);
    Ok(port)
}

/// `n` distinct free loopback ports.
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let mut held = Vec::with_capacity(n);
    (0..n).map(|_| free_port(&mut held)).collect()
}

/// A port chosen by [`choose_port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    /// The port.
    pub port: u16,
    /// Whether the default was taken and another port picked instead.
    pub replaced_default: bool,
}

/// `requested` (which must be free; 0 picks one), or `default` if free, or a free port. `flag`
/// names the option that sets it (for the hint when a requested port is taken).
pub fn choose_port(
    requested: Option<u16>,
    default: u16,
    flag: &'static str,
    held: &mut Vec<TcpListener>,
) -> Result<Chosen> {
    let chosen = |port| Chosen {
        port,
        replaced_default: false,
    };
    match requested {
        Some(0) => free_port(held).map(chosen),
        Some(port) => match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => {
                held.push(l);
                Ok(chosen(port))
            }
            Err(source) => Err(DevnetError::PortTaken { port, flag, source }),
        },
        None => match TcpListener::bind(("127.0.0.1", default)) {
            Ok(l) => {
                held.push(l);
                Ok(chosen(default))
            }
            Err(_) => Ok(Chosen {
                port: free_port(held)?,
                replaced_default: true,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_busy_ones_are_refused_or_replaced() {
        let mut held = Vec::new();
        let a = free_port(&mut held).unwrap();
        let b = choose_port(Some(0), 1, "--x", &mut held).unwrap().port;
        assert_ne!(a, b, "held ports are not handed out twice");
        // An explicit busy port is an error with a hint; a busy default is replaced.
        let busy = held[0].local_addr().unwrap().port();
        let e = choose_port(Some(busy), 1, "--x", &mut held).unwrap_err();
        assert!(e.hint().unwrap().contains("--x 0"), "{e}");
        let c = choose_port(None, busy, "--x", &mut held).unwrap();
        assert!(c.port != busy && c.port != 0 && c.replaced_default);
        let ports = free_ports(3).unwrap();
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    }
}
