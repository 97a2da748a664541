//! `rustensor metagraph --netuid N`: the subnet's neurons as a table like btcli's, or the
//! whole metagraph (every chain.md §6 field) with `--json`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use chain::schema::AxonInfo;
use clap::Args;
use client::RustensorApiClient;
use types::NetUid;

use super::net::{self, NetworkArgs};
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct MetagraphArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    #[command(flatten)]
    net: NetworkArgs,
}

/// An axon as btcli shows it: `ip:port` (`[v6]:port`), or `-` when not serving (port 0 or an
/// unknown IP type). The address is the one on chain: loopback is published as `0.0.0.0`.
fn axon_addr(a: &AxonInfo) -> String {
    if a.port == 0 {
        return "-".into();
    }
    let ip = match a.ip_type {
        4 => match u32::try_from(a.ip) {
            Ok(v4) => Ipv4Addr::from(v4).into(),
            Err(_) => return "-".into(),
        },
        6 => Ipv6Addr::from(a.ip).into(),
        _ => return "-".into(),
    };
    SocketAddr::new(ip, a.port).to_string()
}

pub fn run(args: MetagraphArgs, out: &Output) -> CliResult {
    net::runtime()?.block_on(async {
        let c = net::connect(&args.net).await?;
        let netuid = NetUid(args.netuid);
        let mg = c
            .call(|r| async move { r.metagraph(netuid).await })
            .await?
            .ok_or_else(|| {
                CliError::new(format!("subnet {} does not exist", args.netuid))
                    .with_hint("see `rustensor subnet list`")
            })?;
        out.json(&mg);
        let s = &mg.subnet;
        out.line(format!(
            "Metagraph: net {} ({}) block #{}, {} neurons, price {}, tempo {}, epochs {}",
            s.netuid.0,
            String::from_utf8_lossy(&s.symbol),
            mg.block,
            mg.neurons.len(),
            net::price(s.price_rao),
            s.hyperparams.tempo,
            s.epoch_index
        ));
        let mut t = comfy_table::Table::new();
        t.set_header([
            "UID",
            "STAKE(α)",
            "ROOT(τ)",
            "VTRUST",
            "CONSENSUS",
            "INCENTIVE",
            "DIVIDENDS",
            "EMISSION(α)",
            "UPDATED",
            "ACTIVE",
            "VPERMIT",
            "AXON",
            "HOTKEY",
            "COLDKEY",
        ]);
        for n in &mg.neurons {
            let axon = n.axon.as_ref().map_or_else(|| "-".into(), axon_addr);
            let hk = n.hotkey.to_string();
            let ck = n.coldkey.to_string();
            t.add_row([
                n.uid.0.to_string(),
                n.alpha_stake.to_decimal_string(),
                n.root_stake.to_decimal_string(),
                net::frac(n.validator_trust),
                net::frac(n.consensus),
                net::frac(n.incentive),
                net::frac(n.dividends),
                n.emission.to_decimal_string(),
                mg.block.saturating_sub(n.last_update).to_string(),
                u8::from(n.active).to_string(),
                u8::from(n.validator_permit).to_string(),
                axon,
                hk.chars().take(10).collect(),
                ck.chars().take(10).collect(),
            ]);
        }
        out.line(t.to_string());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axon(ip: u128, ip_type: u8, port: u16) -> AxonInfo {
        AxonInfo {
            block: 1,
            version: 1,
            ip,
            port,
            ip_type,
            protocol: 4,
            placeholder1: 0,
            placeholder2: 0,
        }
    }

    #[test]
    fn axons_print_as_ip_port() {
        let v4 = u128::from(u32::from(Ipv4Addr::new(10, 0, 0, 7)));
        assert_eq!(axon_addr(&axon(v4, 4, 8091)), "10.0.0.7:8091");
        assert_eq!(axon_addr(&axon(0, 4, 8091)), "0.0.0.0:8091");
        assert_eq!(axon_addr(&axon(v4, 4, 0)), "-");
        assert_eq!(axon_addr(&axon(1, 6, 9000)), "[::1]:9000");
        assert_eq!(axon_addr(&axon(u128::MAX, 4, 1)), "-");
        assert_eq!(axon_addr(&axon(v4, 9, 1)), "-");
    }
}
