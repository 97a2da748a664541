//! Free loopback ports. Prefer passing port 0 to the binary and reading the bound address from
//! its output; where a port must be chosen up front, hold a [`PortReservation`] until just
//! before the process that uses it starts, so no other test takes it meanwhile.

use std::net::{Ipv4Addr, TcpListener};

use crate::error::{Result, TestkitError};

/// A port held open on 127.0.0.1 until [`PortReservation::release`].
#[derive(Debug)]
pub struct PortReservation {
    listener: TcpListener,
    port: u16,
}

impl PortReservation {
    /// Binds port 0 on loopback and keeps the listener.
    pub fn new() -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| TestkitError::io("bind a free loopback port", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| TestkitError::io("read the bound port", e))?
            .port();
        Ok(Self { listener, port })
    }

    /// The reserved port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the listener so a child process can bind the port; returns it.
    pub fn release(self) -> u16 {
        drop(self.listener);
        self.port
    }
}

/// A port that was free a moment ago (reserve and release at once).
pub fn free_port() -> Result<u16> {
    Ok(PortReservation::new()?.release())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_holds_the_port_until_released() {
        let held = PortReservation::new().unwrap();
        let port = held.port();
        assert_ne!(port, 0);
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err());
        assert_eq!(held.release(), port);
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
    }

    #[test]
    fn free_ports_differ_while_held() {
        let a = PortReservation::new().unwrap();
        let b = PortReservation::new().unwrap();
        assert_ne!(a.port(), b.port());
        assert_ne!(free_port().unwrap(), 0);
    }
}
