//! Serving: serve_axon with the reference's IP validity rules and serving rate limit.

use types::{AccountId, NetUid};

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::registration::{neuron, uid_of};
use crate::schema::{AxonInfo, PrometheusInfo};
use crate::state::State;
use crate::storage::Neurons;

const IPV4_LOOPBACK: u128 = 0x7f00_0001;

/// Checks ip_type, address and port.
pub fn validate_axon(axon: &AxonInfo) -> Result<()> {
    match axon.ip_type {
        4 => {
            if axon.ip >= 1u128 << 32 || axon.ip == IPV4_LOOPBACK {
                return Err(ChainError::InvalidIpAddress);
            }
        }
        6 => {
            if axon.ip == 1 || axon.ip == u128::MAX {
                return Err(ChainError::InvalidIpAddress);
            }
        }
        other => return Err(ChainError::InvalidIpType(other)),
    }
    if axon.port == 0 {
        return Err(ChainError::InvalidPort);
    }
    Ok(())
}

/// serve_axon, signed by the hotkey.
pub fn serve_axon(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    axon: AxonInfo,
) -> Result<()> {
    let subnet = st.subnet(netuid)?;
    let uid =
        uid_of(st, netuid, hotkey)?.ok_or(ChainError::HotKeyNotRegisteredInNetwork(netuid))?;
    validate_axon(&axon)?;
    let mut nr = neuron(st, netuid, uid)?;
    if let Some(prev) = &nr.axon {
        let at = prev.block.saturating_add(subnet.hp.serving_rate_limit);
        if subnet.hp.serving_rate_limit > 0 && st.block() < at {
            return Err(ChainError::ServingRateLimitExceeded(at));
        }
    }
    nr.axon = Some(AxonInfo {
        block: st.block(),
        ..axon
    });
    st.put::<Neurons>(&(netuid, uid), &nr)?;
    st.emit(Event::AxonServed {
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

/// serve_axon_tls: serve_axon plus the axon's certificate (algorithm byte + ≤ 64-byte key).
pub fn serve_axon_tls(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    axon: AxonInfo,
    certificate: Vec<u8>,
) -> Result<()> {
    if certificate.is_empty() || certificate.len() > 65 {
        return Err(ChainError::InvalidIdentity("certificate".into()));
    }
    serve_axon(st, hotkey, netuid, axon)?;
    let uid =
        uid_of(st, netuid, hotkey)?.ok_or(ChainError::HotKeyNotRegisteredInNetwork(netuid))?;
    let mut nr = neuron(st, netuid, uid)?;
    nr.certificate = Some(certificate);
    st.put::<Neurons>(&(netuid, uid), &nr)
}

/// serve_prometheus: the same checks as serve_axon, with its own rate-limit clock.
pub fn serve_prometheus(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    info: PrometheusInfo,
) -> Result<()> {
    let subnet = st.subnet(netuid)?;
    let uid =
        uid_of(st, netuid, hotkey)?.ok_or(ChainError::HotKeyNotRegisteredInNetwork(netuid))?;
    validate_axon(&AxonInfo {
        ip: info.ip,
        port: info.port,
        ip_type: info.ip_type,
        ..AxonInfo::default()
    })?;
    let mut nr = neuron(st, netuid, uid)?;
    if let Some(prev) = &nr.prometheus {
        let at = prev.block.saturating_add(subnet.hp.serving_rate_limit);
        if subnet.hp.serving_rate_limit > 0 && st.block() < at {
            return Err(ChainError::ServingRateLimitExceeded(at));
        }
    }
    nr.prometheus = Some(PrometheusInfo {
        block: st.block(),
        ..info
    });
    st.put::<Neurons>(&(netuid, uid), &nr)?;
    st.emit(Event::PrometheusServed {
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn axon(ip: u128, ip_type: u8, port: u16) -> AxonInfo {
        AxonInfo {
            ip,
            ip_type,
            port,
            version: 1,
            protocol: 4,
            ..AxonInfo::default()
        }
    }

    #[test]
    fn ip_rules() {
        assert!(validate_axon(&axon(0x0a00_0001, 4, 8091)).is_ok());
        assert!(validate_axon(&axon(0, 4, 8091)).is_ok());
        assert_eq!(
            validate_axon(&axon(IPV4_LOOPBACK, 4, 1)),
            Err(ChainError::InvalidIpAddress)
        );
        assert_eq!(
            validate_axon(&axon(1 << 32, 4, 1)),
            Err(ChainError::InvalidIpAddress)
        );
        assert_eq!(
            validate_axon(&axon(1, 6, 1)),
            Err(ChainError::InvalidIpAddress)
        );
        assert_eq!(
            validate_axon(&axon(u128::MAX, 6, 1)),
            Err(ChainError::InvalidIpAddress)
        );
        assert_eq!(
            validate_axon(&axon(5, 5, 1)),
            Err(ChainError::InvalidIpType(5))
        );
        assert_eq!(validate_axon(&axon(5, 4, 0)), Err(ChainError::InvalidPort));
    }

    #[test]
    fn serve_needs_registration_and_respects_rate_limit() {
        let mut t = TestChain::with_subnet(10 * types::RAO_PER_TAO, 10 * types::RAO_PER_TAO);
        let owner_hk = t.with(|st| Ok(st.subnet(NET)?.owner_hotkey)).unwrap();
        let e = t
            .with(|st| serve_axon(st, &acct(77), NET, axon(0x0a00_0001, 4, 1)))
            .unwrap_err();
        assert_eq!(e, ChainError::HotKeyNotRegisteredInNetwork(NET));
        t.set_block(10);
        t.with(|st| serve_axon(st, &owner_hk, NET, axon(0x0a00_0001, 4, 1)))
            .unwrap();
        t.set_block(20);
        let e = t
            .with(|st| serve_axon(st, &owner_hk, NET, axon(0x0a00_0001, 4, 1)))
            .unwrap_err();
        assert_eq!(e, ChainError::ServingRateLimitExceeded(60));
        t.set_block(60);
        t.with(|st| serve_axon(st, &owner_hk, NET, axon(0x0a00_0002, 4, 2)))
            .unwrap();
        let nr = t.with(|st| neuron(st, NET, types::Uid(0))).unwrap();
        assert_eq!(nr.axon.unwrap().block, 60);
        // prometheus has its own clock; the TLS variant stores the certificate
        let p = PrometheusInfo {
            version: 1,
            ip: 0x0a00_0001,
            port: 9100,
            ip_type: 4,
            block: 0,
        };
        t.with(|st| serve_prometheus(st, &owner_hk, NET, p.clone()))
            .unwrap();
        let e = t
            .with(|st| serve_prometheus(st, &owner_hk, NET, PrometheusInfo { port: 0, ..p }))
            .unwrap_err();
        assert_eq!(e, ChainError::InvalidPort);
        t.set_block(200);
        t.with(|st| serve_axon_tls(st, &owner_hk, NET, axon(0x0a00_0003, 4, 3), vec![1; 33]))
            .unwrap();
        let nr = t.with(|st| neuron(st, NET, types::Uid(0))).unwrap();
        assert_eq!(nr.certificate, Some(vec![1; 33]));
        assert_eq!(nr.prometheus.unwrap().port, 9100);
    }
}
