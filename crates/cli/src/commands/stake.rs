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
    /// Highest (add) or lowest (remove) acceptable price, in TAO per alpha; for swap, the
    /// lowest acceptable origin/destination price ratio (alpha of the destination per alpha
    /// of the origin).
    #[arg(long, value_parser = net::parse_tao, conflicts_with = "tolerance")]
    limit_price: Option<TaoBalance>,
    /// Acceptable price move as a fraction (0.05 = 5%), from the current price (for swap: from
    /// the current price ratio).
    #[arg(long, visible_alias = "rate-tolerance", alias = "limit")]
    tolerance: Option<f64>,
    /// With a limit: execute the part that fits.
    #[arg(long, visible_alias = "allow-partial-stake", alias = "allow-partial")]
    partial: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The subnet.
    #[arg(long, short_alias = 'n', alias = "netuids")]
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
    #[arg(long, short_alias = 'a', value_parser = net::parse_alpha)]
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
    #[arg(long, aliases = ["to", "dest", "dest-ss58"])]
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
    #[arg(long, aliases = ["dest-ss58", "dest-coldkey"])]
    dest: AccountId,
    /// Alpha to transfer.
    #[arg(long, short_alias = 'a', value_parser = net::parse_alpha)]
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
    #[arg(long, short_alias = 'o', alias = "origin")]
    origin_netuid: u16,
    /// Destination subnet.
    #[arg(long, short_alias = 'd', alias = "dest")]
    dest_netuid: u16,
    /// Alpha to swap.
    #[arg(long, short_alias = 'a', value_parser = net::parse_alpha)]
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
pub struct ListArgs {
    /// An SS58 coldkey instead of the wallet's.
    #[arg(long, short_alias = 'k', aliases = ["coldkey-ss58", "coldkey_ss58", "key"])]
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

/// The preview line of a limit: `  limit: ... at most/least X`.
fn limit_line(limit: Option<u64>, partial: bool, what: &str, buying: bool) -> String {
    let Some(l) = limit else {
        return String::new();
    };
    let bound = if buying { "at most" } else { "at least" };
    let value = if what == "price" {
        net::price(l)
    } else {
        TaoBalance::from_rao(l).to_decimal_string()
    };
    let rest = if partial {
        "executes the part that fits"
    } else {
        "refused beyond it"
    };
    format!("\n  limit: {what} {bound} {value} ({rest})")
}

/// The price of `from` alpha in `to` alpha, × 1e9 (the chain's swap limit unit).
fn relative_price(from_rao: u64, to_rao: u64) -> u64 {
    let r = u128::from(from_rao)
        .saturating_mul(u128::from(types::RAO_PER_TAO))
        .checked_div(u128::from(to_rao.max(1)))
        .unwrap_or(0);
    u64::try_from(r).unwrap_or(u64::MAX)
}

/// The price lines of a stake move from `from` to `to` (one line when they are the same
/// subnet: no swap happens).
async fn move_prices(
    c: &client::Client,
    from: NetUid,
    to: NetUid,
) -> CliResult<(u64, u64, String)> {
    let p_from = c.call(|r| async move { r.alpha_price(from).await }).await?;
    if from == to {
        return Ok((
            p_from,
            p_from,
            format!("\n  price: {} (same subnet: no swap)", net::price(p_from)),
        ));
    }
    let p_to = c.call(|r| async move { r.alpha_price(to).await }).await?;
    let ratio = relative_price(p_from, p_to);
    Ok((
        p_from,
        p_to,
        format!(
            "\n  price: {} on subnet {}, {} on subnet {} (1 α of subnet {} ≈ {} α of subnet {})",
            net::price(p_from),
            from.0,
            net::price(p_to),
            to.0,
            from.0,
            TaoBalance::from_rao(ratio).to_decimal_string(),
            to.0
        ),
    ))
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
                let lim = limit(&a.limit, price, true)?;
                let call = match lim {
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
                    "Stake {} to {hotkey} on subnet {}\n  price: {}\n  you receive about {} (swap fee {}){}",
                    a.amount,
                    a.netuid,
                    net::price(price),
                    AlphaBalance::from_rao(sim.amount_out),
                    net::tao(sim.fee),
                    limit_line(lim, a.limit.partial, "price", true)
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
                let lim = limit(&a.limit, price, false)?;
                let call = match lim {
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
                    "Unstake {} from {hotkey} on subnet {}\n  price: {}\n  you receive about {} (swap fee {}){}",
                    a.amount,
                    a.netuid,
                    net::price(price),
                    net::tao(sim.amount_out),
                    AlphaBalance::from_rao(sim.fee),
                    limit_line(lim, a.limit.partial, "price", false)
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
            let (from, to) = (NetUid(a.origin_netuid), NetUid(a.dest_netuid));
            let call = Call::MoveStake {
                origin_hotkey,
                destination_hotkey: a.dest_hotkey,
                origin_netuid: from,
                destination_netuid: to,
                alpha_amount: a.amount,
            };
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let (_, _, prices) = move_prices(&c, from, to).await?;
                let what = format!(
                    "Move {} from {origin_hotkey} on subnet {} to {} on subnet {}{prices}",
                    a.amount, a.origin_netuid, a.dest_hotkey, a.dest_netuid
                );
                send_on(&c, out, &pair, call, &a.send, &what).await
            })
        }
        StakeCommand::Transfer(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            let (from, to) = (NetUid(a.origin_netuid), NetUid(a.dest_netuid));
            let call = Call::TransferStake {
                destination_coldkey: a.dest,
                hotkey,
                origin_netuid: from,
                destination_netuid: to,
                alpha_amount: a.amount,
            };
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let (_, _, prices) = move_prices(&c, from, to).await?;
                let what = format!(
                    "Transfer {} of stake on {hotkey} (subnet {} -> {}) to coldkey {}{prices}",
                    a.amount, a.origin_netuid, a.dest_netuid, a.dest
                );
                send_on(&c, out, &pair, call, &a.send, &what).await
            })
        }
        StakeCommand::Swap(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            let (from, to) = (NetUid(a.origin_netuid), NetUid(a.dest_netuid));
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let (p_from, p_to, prices) = move_prices(&c, from, to).await?;
                // The chain's swap limit is the lowest acceptable origin/destination price
                // ratio (× 1e9): selling the origin, so a tolerance lowers it.
                let lim = limit(&a.limit, relative_price(p_from, p_to), false)?;
                let call = match lim {
                    Some(limit_price) => Call::SwapStakeLimit {
                        hotkey,
                        origin_netuid: from,
                        destination_netuid: to,
                        alpha_amount: a.amount,
                        limit_price,
                        allow_partial: a.limit.partial,
                    },
                    None => Call::SwapStake {
                        hotkey,
                        origin_netuid: from,
                        destination_netuid: to,
                        alpha_amount: a.amount,
                    },
                };
                let what = format!(
                    "Swap {} on {hotkey} from subnet {} to subnet {}{prices}{}",
                    a.amount,
                    a.origin_netuid,
                    a.dest_netuid,
                    limit_line(lim, a.limit.partial, "price ratio", false)
                );
                send_on(&c, out, &pair, call, &a.send, &what).await
            })
        }
    }
}

async fn send_on(
    c: &client::Client,
    out: &Output,
    pair: &keys::Keypair,
    call: Call,
    send: &SendArgs,
    what: &str,
) -> CliResult {
    let sent = net::send(c, out, pair, call, send, what).await?;
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

    #[test]
    fn swap_limit_is_the_price_ratio() {
        // 2 τ/α origin, 0.5 τ/α destination: one origin alpha buys about 4 destination alpha.
        assert_eq!(relative_price(2_000_000_000, 500_000_000), 4_000_000_000);
        assert_eq!(relative_price(1, 0), 1_000_000_000);
        let l = LimitArgs {
            limit_price: None,
            tolerance: Some(0.05),
            partial: true,
        };
        assert_eq!(
            limit(&l, relative_price(2_000_000_000, 500_000_000), false).unwrap(),
            Some(3_800_000_000)
        );
        assert!(
            limit_line(Some(3_800_000_000), true, "price ratio", false).contains("at least 3.8")
        );
        assert_eq!(limit_line(None, false, "price", true), "");
    }
}
