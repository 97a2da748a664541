//! `rustensor stake add|remove|move|transfer|swap|list`. Each transaction shows the price,
//! the price impact (slippage) and the fee, and asks before sending.

use chain::Call;
use clap::{Args, Subcommand};
use client::RustensorApiClient;
use types::{AccountId, AlphaBalance, NetUid, TaoBalance};

use super::net::{self, KeyArgs, NetworkArgs, SendArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum StakeCommand {
    /// Stake TAO to a hotkey on a subnet.
    Add(AddArgs),
    /// Unstake alpha from a hotkey on a subnet.
    Remove(RemoveArgs),
    /// Move stake to another hotkey and/or subnet.
    Move(MoveArgs),
    /// Give stake to another coldkey.
    Transfer(TransferArgs),
    /// Swap stake between subnets (same hotkey).
    Swap(SwapArgs),
    /// The wallet's stake positions.
    List(ListArgs),
}

/// Price protection.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Highest (add) or lowest (remove) acceptable price, in TAO per alpha.
    #[arg(long, value_parser = net::parse_tao, conflicts_with = "tolerance")]
    limit_price: Option<TaoBalance>,
    /// Acceptable price move as a fraction (0.05 = 5%), from the current price.
    #[arg(long, visible_alias = "rate-tolerance")]
    tolerance: Option<f64>,
    /// With a limit: execute the part that fits.
    #[arg(long, visible_alias = "allow-partial-stake")]
    partial: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// TAO to stake.
    #[arg(long, value_parser = net::parse_tao)]
    amount: TaoBalance,
    #[command(flatten)]
    limit: LimitArgs,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// Alpha to unstake.
    #[arg(long, value_parser = net::parse_alpha)]
    amount: AlphaBalance,
    #[command(flatten)]
    limit: LimitArgs,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// Origin subnet.
    #[arg(long)]
    origin_netuid: u16,
    /// Destination subnet.
    #[arg(long)]
    dest_netuid: u16,
    /// Destination hotkey (SS58).
    #[arg(long)]
    dest_hotkey: AccountId,
    /// Alpha to move.
    #[arg(long, value_parser = net::parse_alpha)]
    amount: AlphaBalance,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Origin subnet.
    #[arg(long)]
    origin_netuid: u16,
    /// Destination subnet.
    #[arg(long)]
    dest_netuid: u16,
    /// New owner coldkey (SS58).
    #[arg(long)]
    dest: AccountId,
    /// Alpha to transfer.
    #[arg(long, value_parser = net::parse_alpha)]
    amount: AlphaBalance,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct SwapArgs {
    /// Origin subnet.
    #[arg(long)]
    origin_netuid: u16,
    /// Destination subnet.
    #[arg(long)]
    dest_netuid: u16,
    /// Alpha to swap.
    #[arg(long, value_parser = net::parse_alpha)]
    amount: AlphaBalance,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// An SS58 coldkey instead of the wallet's.
    #[arg(long)]
    ss58: Option<AccountId>,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
}

/// The limit price in rao per alpha, from `--limit-price` or `--tolerance` around `price`.
fn limit(l: &LimitArgs, price: u64, buying: bool) -> CliResult<Option<u64>> {
    if let Some(p) = l.limit_price {
        return Ok(Some(p.rao()));
    }
    let Some(tol) = l.tolerance else {
        return Ok(None);
    };
    if !(0.0..=10.0).contains(&tol) {
        return Err(CliError::new("--tolerance is a fraction such as 0.05")
            .with_hint("0.05 accepts a 5% price move"));
    }
    let factor = if buying { 1.0 + tol } else { 1.0 - tol };
    // Prices are far below 2^53 rao, so the f64 round trip is exact enough for a limit.
    #[allow(
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let p = (price as f64 * factor).max(0.0) as u64;
    Ok(Some(p))
}

pub fn run(command: StakeCommand, global: &GlobalArgs, out: &Output) -> CliResult {
    let rt = net::runtime()?;
    match command {
        StakeCommand::List(a) => {
            let who = match a.ss58 {
                Some(w) => w,
                None => net::Keys::new(global, &a.keys, out)?.coldkey_pub()?,
            };
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let stakes = c
                    .call(|r| async move { r.stake_for_coldkey(who).await })
                    .await?;
                out.json(&stakes);
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
                out.line(format!("Stake of {who}"));
                out.line(t.to_string());
                Ok(())
            })
        }
        StakeCommand::Add(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let netuid = NetUid(a.netuid);
                let price = c.call(|r| async move { r.alpha_price(netuid).await }).await?;
                let amount = a.amount.rao();
                let sim = c
                    .call(|r| async move { r.sim_tao_for_alpha(netuid, amount).await })
                    .await?;
                let call = match limit(&a.limit, price, true)? {
                    Some(limit_price) => Call::AddStakeLimit {
                        hotkey,
                        netuid,
                        amount_staked: a.amount,
                        limit_price,
                        allow_partial: a.limit.partial,
                    },
                    None => Call::AddStake {
                        hotkey,
                        netuid,
                        amount_staked: a.amount,
                    },
                };
                let what = format!(
                    "Stake {} to {hotkey} on subnet {}\n  price: {}\n  you receive about {} (swap fee {})",
                    a.amount,
                    a.netuid,
                    net::price(price),
                    AlphaBalance::from_rao(sim.amount_out),
                    net::tao(sim.fee)
                );
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                out.json(&sent);
                Ok(())
            })
        }
        StakeCommand::Remove(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let netuid = NetUid(a.netuid);
                let price = c.call(|r| async move { r.alpha_price(netuid).await }).await?;
                let amount = a.amount.rao();
                let sim = c
                    .call(|r| async move { r.sim_alpha_for_tao(netuid, amount).await })
                    .await?;
                let call = match limit(&a.limit, price, false)? {
                    Some(limit_price) => Call::RemoveStakeLimit {
                        hotkey,
                        netuid,
                        amount_unstaked: a.amount,
                        limit_price,
                        allow_partial: a.limit.partial,
                    },
                    None => Call::RemoveStake {
                        hotkey,
                        netuid,
                        amount_unstaked: a.amount,
                    },
                };
                let what = format!(
                    "Unstake {} from {hotkey} on subnet {}\n  price: {}\n  you receive about {} (swap fee {})",
                    a.amount,
                    a.netuid,
                    net::price(price),
                    net::tao(sim.amount_out),
                    AlphaBalance::from_rao(sim.fee)
                );
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                out.json(&sent);
                Ok(())
            })
        }
        StakeCommand::Move(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let origin_hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            let call = Call::MoveStake {
                origin_hotkey,
                destination_hotkey: a.dest_hotkey,
                origin_netuid: NetUid(a.origin_netuid),
                destination_netuid: NetUid(a.dest_netuid),
                alpha_amount: a.amount,
            };
            let what = format!(
                "Move {} from {origin_hotkey} on subnet {} to {} on subnet {}",
                a.amount, a.origin_netuid, a.dest_hotkey, a.dest_netuid
            );
            rt.block_on(send_simple(&a.net, out, &pair, call, &a.send, &what))
        }
        StakeCommand::Transfer(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            let call = Call::TransferStake {
                destination_coldkey: a.dest,
                hotkey,
                origin_netuid: NetUid(a.origin_netuid),
                destination_netuid: NetUid(a.dest_netuid),
                alpha_amount: a.amount,
            };
            let what = format!(
                "Transfer {} of stake on {hotkey} (subnet {} -> {}) to coldkey {}",
                a.amount, a.origin_netuid, a.dest_netuid, a.dest
            );
            rt.block_on(send_simple(&a.net, out, &pair, call, &a.send, &what))
        }
        StakeCommand::Swap(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            let call = Call::SwapStake {
                hotkey,
                origin_netuid: NetUid(a.origin_netuid),
                destination_netuid: NetUid(a.dest_netuid),
                alpha_amount: a.amount,
            };
            let what = format!(
                "Swap {} on {hotkey} from subnet {} to subnet {}",
                a.amount, a.origin_netuid, a.dest_netuid
            );
            rt.block_on(send_simple(&a.net, out, &pair, call, &a.send, &what))
        }
    }
}

async fn send_simple(
    netargs: &NetworkArgs,
    out: &Output,
    pair: &keys::Keypair,
    call: Call,
    send: &SendArgs,
    what: &str,
) -> CliResult {
    let c = net::connect(netargs).await?;
    let sent = net::send(&c, out, pair, call, send, what).await?;
    out.json(&sent);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_moves_the_limit_the_right_way() {
        let l = LimitArgs {
            limit_price: None,
            tolerance: Some(0.1),
            partial: false,
        };
        assert_eq!(limit(&l, 1_000_000_000, true).unwrap(), Some(1_100_000_000));
        assert_eq!(limit(&l, 1_000_000_000, false).unwrap(), Some(900_000_000));
        let none = LimitArgs {
            limit_price: None,
            tolerance: None,
            partial: false,
        };
        assert_eq!(limit(&none, 5, true).unwrap(), None);
    }
}
