//! `rustensor wallet balance` and `wallet overview`: what the chain holds for a wallet.

use clap::Args;
use client::RustensorApiClient;
use serde::Serialize;
use types::AccountId;

use super::net::{self, KeyArgs, NetworkArgs};
use crate::GlobalArgs;
use crate::error::CliResult;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// An SS58 address instead of the wallet's coldkey.
    #[arg(long, aliases = ["ss58-address", "coldkey-ss58"])]
    ss58: Option<AccountId>,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Serialize)]
struct BalanceJson {
    address: AccountId,
    free: u64,
    staked_tao_value: u64,
    total: u64,
    nonce: u64,
}

pub fn balance(args: BalanceArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let who = match args.ss58 {
        Some(a) => a,
        None => net::Keys::new(global, &args.keys, out)?.coldkey_pub()?,
    };
    net::runtime()?.block_on(async {
        let c = net::connect(&args.net).await?;
        let acct = c.call(|r| async move { r.account(who).await }).await?;
        let stakes = c
            .call(|r| async move { r.stake_for_coldkey(who).await })
            .await?;
        let staked: u64 = stakes.iter().map(|s| s.tao_value.rao()).sum();
        let j = BalanceJson {
            address: who,
            free: acct.free.rao(),
            staked_tao_value: staked,
            total: acct.free.rao().saturating_add(staked),
            nonce: acct.nonce,
        };
        out.json(&j);
        out.line(format!("{who}"));
        out.line(format!("  free:   {}", net::tao(j.free)));
        out.line(format!("  staked: {}", net::tao(j.staked_tao_value)));
        out.line(format!("  total:  {}", net::tao(j.total)));
        Ok(())
    })
}

#[derive(Debug, Args)]
pub struct OverviewArgs {
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Serialize)]
struct Registration {
    netuid: u16,
    uid: u16,
    hotkey: AccountId,
    stake: u64,
    incentive: u16,
    dividends: u16,
    emission: u64,
    validator_permit: bool,
}

#[derive(Serialize)]
struct OverviewJson {
    coldkey: AccountId,
    free: u64,
    stakes: Vec<chain::queries::StakeInfo>,
    registrations: Vec<Registration>,
}

pub fn overview(args: OverviewArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let keys = net::Keys::new(global, &args.keys, out)?;
    let coldkey = keys.coldkey_pub()?;
    net::runtime()?.block_on(async {
        let c = net::connect(&args.net).await?;
        let acct = c.call(|r| async move { r.account(coldkey).await }).await?;
        let stakes = c
            .call(|r| async move { r.stake_for_coldkey(coldkey).await })
            .await?;
        let subnets = c.call(|r| async move { r.subnets().await }).await?;
        let mut registrations = Vec::new();
        for s in &subnets {
            let netuid = s.netuid;
            let Some(mg) = c.call(|r| async move { r.metagraph(netuid).await }).await? else {
                continue;
            };
            for n in mg.neurons.iter().filter(|n| n.coldkey == coldkey) {
                registrations.push(Registration {
                    netuid: netuid.0,
                    uid: n.uid.0,
                    hotkey: n.hotkey,
                    stake: n.alpha_stake.rao(),
                    incentive: n.incentive,
                    dividends: n.dividends,
                    emission: n.emission.rao(),
                    validator_permit: n.validator_permit,
                });
            }
        }
        out.line(format!("Wallet {} ({coldkey})", args.keys.name));
        out.line(format!("  free balance: {}", acct.free));
        let mut t = comfy_table::Table::new();
        t.set_header(["netuid", "hotkey", "alpha", "TAO value"]);
        for s in &stakes {
            t.add_row([
                s.netuid.0.to_string(),
                s.hotkey.to_string(),
                s.alpha.to_string(),
                s.tao_value.to_string(),
            ]);
        }
        out.line("Stakes:");
        out.line(t.to_string());
        let mut t = comfy_table::Table::new();
        t.set_header([
            "netuid",
            "uid",
            "hotkey",
            "stake α",
            "incentive",
            "dividends",
            "emission",
            "vpermit",
        ]);
        for r in &registrations {
            t.add_row([
                r.netuid.to_string(),
                r.uid.to_string(),
                r.hotkey.to_string(),
                types::AlphaBalance::from_rao(r.stake).to_string(),
                net::frac(r.incentive),
                net::frac(r.dividends),
                types::AlphaBalance::from_rao(r.emission).to_string(),
                r.validator_permit.to_string(),
            ]);
        }
        out.line("Registrations:");
        out.line(t.to_string());
        out.json(&OverviewJson {
            coldkey,
            free: acct.free.rao(),
            stakes,
            registrations,
        });
        Ok(())
    })
}
