//! [`serve_axon`]: publish where a miner's axon listens, signed by its hotkey.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chain::Call;
use client::{Client, RustensorApiClient as _};
use keys::Keypair;
use types::NetUid;

use crate::error::Error;
use crate::onchain::send_checked;

/// Protocol tag the SDK publishes (`bittensor.axon` uses 4).
pub const AXON_PROTOCOL: u8 = 4;

/// What [`serve_axon`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeOutcome {
    /// The chain already had this address: nothing sent.
    Unchanged {
        /// The hotkey's uid.
        uid: u16,
    },
    /// Published in a finalized block.
    Served {
        /// The hotkey's uid.
        uid: u16,
        /// The block it landed in.
        block: u64,
    },
}

impl ServeOutcome {
    /// The hotkey's uid.
    pub fn uid(&self) -> u16 {
        match self {
            ServeOutcome::Unchanged { uid } | ServeOutcome::Served { uid, .. } => *uid,
        }
    }
}

/// The address as the chain stores it: `(ip as u128, ip_type)`. Loopback becomes the
/// unspecified address (the chain refuses loopback; readers map it back to "this machine").
pub fn published_ip(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => (u128::from(u32::from(Ipv4Addr::UNSPECIFIED)), 4),
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 4),
        IpAddr::V6(v6) if v6.is_loopback() => (u128::from(Ipv6Addr::UNSPECIFIED), 6),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => published_ip(IpAddr::V4(v4)),
            None => (u128::from(v6), 6),
        },
    }
}

/// The SDK's version integer of this crate (`100·major + 10·minor + patch`).
fn version_int() -> u32 {
    let mut parts = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    a.saturating_mul(100)
        .saturating_add(b.saturating_mul(10))
        .saturating_add(c)
}

/// Publish `ip:port` as `hotkey`'s axon on `netuid` and wait for finality, unless the chain
/// already has the same address, port, type and protocol. Errors: [`Error::NotRegistered`]
/// (register first), [`Error::Rejected`] (e.g. the serving rate limit, with the chain's hint),
/// [`Error::Node`].
pub async fn serve_axon(
    client: &Client,
    hotkey: &Keypair,
    netuid: u16,
    ip: IpAddr,
    port: u16,
) -> Result<ServeOutcome, Error> {
    let id = NetUid(netuid);
    let mg = client
        .call(|c| async move { c.metagraph(id).await })
        .await?
        .ok_or(Error::SubnetNotFound(netuid))?;
    let me = hotkey.account_id();
    let neuron =
        mg.neurons
            .iter()
            .find(|n| n.hotkey == me)
            .ok_or_else(|| Error::NotRegistered {
                netuid,
                hotkey: me.to_ss58(),
            })?;
    let uid = neuron.uid.0;
    let (ip, ip_type) = published_ip(ip);
    if let Some(a) = &neuron.axon
        && a.ip == ip
        && a.ip_type == ip_type
        && a.port == port
        && a.protocol == AXON_PROTOCOL
    {
        return Ok(ServeOutcome::Unchanged { uid });
    }
    let call = Call::ServeAxon {
        netuid: id,
        version: version_int(),
        ip,
        port,
        ip_type,
        protocol: AXON_PROTOCOL,
        placeholder1: 0,
        placeholder2: 0,
    };
    let inc = send_checked(client, hotkey, call).await?;
    Ok(ServeOutcome::Served {
        uid,
        block: inc.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_published_as_unspecified() {
        assert_eq!(published_ip("127.0.0.1".parse().unwrap()), (0, 4));
        assert_eq!(published_ip("::1".parse().unwrap()), (0, 6));
        assert_eq!(published_ip("10.0.0.2".parse().unwrap()), (0x0a00_0002, 4));
        assert_eq!(
            published_ip("::ffff:10.0.0.2".parse().unwrap()),
            (0x0a00_0002, 4)
        );
        assert!(version_int() > 0 || env!("CARGO_PKG_VERSION").starts_with("0.0.0"));
    }
}
