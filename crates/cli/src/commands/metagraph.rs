//! `rustensor metagraph --netuid N`: the subnet's neurons as a table like btcli's, or the
//! whole metagraph (every chain.md §6 field) with `--json`.

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
            let axon = n
                .axon
                .as_ref()
                .map(|a| format!("{:?}", a))
                .unwrap_or_else(|| "none".into());
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
                if axon.len() > 24 {
                    axon.chars().take(24).collect()
                } else {
                    axon
                },
                hk.chars().take(10).collect(),
                ck.chars().take(10).collect(),
            ]);
        }
        out.line(t.to_string());
        Ok(())
    })
}
