//! Staking calls: add/remove/unstake_all/move/transfer/swap stake, the `_limit` variants with
//! limit prices and partial fills, and the minimum stake. Stake lives in share pools
//! (`shares.rs`); the TAO/alpha conversion is the subnet's pool (`pool.rs`).

use types::{AccountId, AlphaBalance, NetUid, TaoBalance};

use crate::balances;
use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::hotkeys::hotkey;
use crate::pool;
use crate::schema::{Mechanism, Subnet};
use crate::shares::{credit, debit, stake_of};
use crate::state::State;

// ---------------------------------------------------------------- pool operations

fn ensure_tradable(subnet: &Subnet) -> Result<()> {
    if subnet.mechanism == Mechanism::Dynamic && !subnet.subtoken_enabled {
        return Err(ChainError::SubtokenDisabled(subnet.netuid));
    }
    Ok(())
}

/// Buys alpha with `tao` (already taken from the buyer) on `netuid`; the fee goes to the block
/// author and the TAO into the pool. Returns (alpha bought, fee).
pub fn swap_tao_for_alpha(
    st: &mut State<'_>,
    netuid: NetUid,
    tao: TaoBalance,
    drop_fees: bool,
) -> Result<(AlphaBalance, TaoBalance)> {
    let mut subnet = st.subnet(netuid)?;
    let (alpha, fee) = pool::buy(subnet.mechanism, &mut subnet.pool, tao.rao(), drop_fees)?;
    st.put_subnet(&subnet)?;
    let fee = TaoBalance::from_rao(fee);
    balances::pay_author(st, fee)?;
    Ok((AlphaBalance::from_rao(alpha), fee))
}

/// Sells `alpha` (already taken from a stake) on `netuid`. Returns (TAO to the seller, fee).
pub fn swap_alpha_for_tao(
    st: &mut State<'_>,
    netuid: NetUid,
    alpha: AlphaBalance,
    drop_fees: bool,
) -> Result<(TaoBalance, TaoBalance)> {
    let mut subnet = st.subnet(netuid)?;
    let (tao, fee) = pool::sell(subnet.mechanism, &mut subnet.pool, alpha.rao(), drop_fees)?;
    st.put_subnet(&subnet)?;
    let fee = TaoBalance::from_rao(fee);
    balances::pay_author(st, fee)?;
    Ok((TaoBalance::from_rao(tao), fee))
}

/// Spot price of a subnet in rao per alpha (0 if it does not exist).
pub fn price_of(st: &State<'_>, netuid: NetUid) -> Result<u64> {
    Ok(st
        .get::<crate::storage::Subnets>(&netuid)?
        .map_or(0, |s| pool::spot_price_rao(s.mechanism, &s.pool)))
}

/// TAO value of `alpha` at the spot price (rounded down).
pub fn tao_value(subnet: &Subnet, alpha: AlphaBalance) -> TaoBalance {
    let price = pool::spot_price_rao(subnet.mechanism, &subnet.pool);
    TaoBalance::from_rao(pool::mul_div(alpha.rao(), price, types::RAO_PER_TAO).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------- calls

/// Sells just enough of (hotkey, coldkey)'s stake, fee-free, to raise `tao` for a transaction
/// fee; the TAO is not credited to anyone (the caller pays it to the author). Tries `netuid`,
/// or every subnet in order. Returns (subnet, alpha sold, TAO raised), or `None` if no single
/// position covers the fee.
pub fn sell_stake_for_fee(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
    netuid: Option<NetUid>,
    tao: TaoBalance,
) -> Result<Option<(NetUid, AlphaBalance, TaoBalance)>> {
    let candidates: Vec<Subnet> = match netuid {
        Some(n) => st.get::<crate::storage::Subnets>(&n)?.into_iter().collect(),
        None => st.subnets()?,
    };
    for subnet in candidates {
        let stake = stake_of(st, hotkey_id, subnet.netuid, coldkey)?.rao();
        let raises = |a: u64| {
            pool::quote_sell(subnet.mechanism, &subnet.pool, a, true).map_or(0, |q| q.amount_out)
        };
        if stake == 0 || raises(stake) < tao.rao() {
            continue;
        }
        // The smallest amount that raises the fee: one more than the largest that does not.
        let short = pool::largest_ok(stake, |a| raises(a) < tao.rao());
        let alpha = AlphaBalance::from_rao(short.saturating_add(1).min(stake));
        debit(st, hotkey_id, subnet.netuid, coldkey, alpha)?;
        let mut s = st.subnet(subnet.netuid)?;
        let (raised, _) = pool::sell(s.mechanism, &mut s.pool, alpha.rao(), true)?;
        st.put_subnet(&s)?;
        return Ok(Some((subnet.netuid, alpha, TaoBalance::from_rao(raised))));
    }
    Ok(None)
}

/// recycle_alpha / burn_alpha: destroys some of the signer's alpha stake. Recycling lowers
/// the subnet's alpha issuance; burning keeps it (so halvings are not delayed).
pub fn destroy_alpha(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
    netuid: NetUid,
    amount: AlphaBalance,
    recycle: bool,
) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let mut subnet = st.subnet(netuid)?;
    if amount.is_zero() {
        return Err(ChainError::AmountTooLow(1));
    }
    debit(st, hotkey_id, netuid, coldkey, amount)?;
    subnet.pool.alpha_out = subnet.pool.alpha_out.saturating_sub(amount);
    if !recycle {
        subnet.pool.alpha_burned = subnet.pool.alpha_burned.saturating_add(amount);
    }
    st.put_subnet(&subnet)?;
    st.emit(Event::AlphaDestroyed {
        coldkey: *coldkey,
        hotkey: *hotkey_id,
        netuid,
        amount,
        recycled: recycle,
    });
    Ok(())
}

/// set_coldkey_auto_stake_hotkey: miner incentive earned by the signer's hotkeys on `netuid`
/// is staked to `hotkey` (which must exist) instead of the earning hotkey.
pub fn set_auto_stake_hotkey(
    st: &mut State<'_>,
    coldkey: &AccountId,
    netuid: NetUid,
    hotkey_id: &AccountId,
) -> Result<()> {
    st.subnet(netuid)?;
    hotkey(st, hotkey_id)?;
    let mut ck = st.get_or_default::<crate::storage::Coldkeys>(coldkey)?;
    ck.auto_stake.retain(|(n, _)| *n != netuid);
    ck.auto_stake.push((netuid, *hotkey_id));
    st.put::<crate::storage::Coldkeys>(coldkey, &ck)?;
    st.emit(Event::AutoStakeSet {
        coldkey: *coldkey,
        netuid,
        hotkey: *hotkey_id,
    });
    Ok(())
}

/// Where a coldkey's miner incentive on `netuid` is staked (None: the earning hotkey).
pub fn auto_stake_hotkey(
    st: &State<'_>,
    coldkey: &AccountId,
    netuid: NetUid,
) -> Result<Option<AccountId>> {
    Ok(st
        .get_or_default::<crate::storage::Coldkeys>(coldkey)?
        .auto_stake
        .iter()
        .find(|(n, _)| *n == netuid)
        .map(|(_, h)| *h))
}

/// A limit: (limit price in rao per α, allow partial fill).
pub type Limit = Option<(u64, bool)>;

/// add_stake / add_stake_limit. Returns the alpha bought.
pub fn add_stake(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
    netuid: NetUid,
    amount: TaoBalance,
    limit: Limit,
) -> Result<AlphaBalance> {
    let subnet = st.subnet(netuid)?;
    ensure_tradable(&subnet)?;
    hotkey(st, hotkey_id)?;
    let params = st.params()?;
    if amount < params.min_stake {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    let free = balances::free(st, coldkey)?;
    if free < amount {
        return Err(ChainError::InsufficientBalance {
            needed: amount.rao(),
            available: free.rao(),
        });
    }
    let mut exec = amount;
    if let Some((limit_price, allow_partial)) = limit
        && subnet.mechanism == Mechanism::Dynamic
    {
        let max = pool::max_buy_within_limit(&subnet.pool, amount.rao(), limit_price)?;
        if max < amount.rao() && !allow_partial || max == 0 {
            return Err(ChainError::SlippageTooHigh);
        }
        exec = TaoBalance::from_rao(max);
    }
    // Quote first so a failing swap leaves the balance untouched (the overlay would anyway).
    pool::quote_buy(subnet.mechanism, &subnet.pool, exec.rao(), false)?;
    balances::withdraw(st, coldkey, exec, false)?;
    let (alpha, fee) = swap_tao_for_alpha(st, netuid, exec, false)?;
    if alpha.is_zero() {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    credit(st, hotkey_id, netuid, coldkey, alpha)?;
    let price = price_of(st, netuid)?;
    st.emit(Event::StakeAdded {
        coldkey: *coldkey,
        hotkey: *hotkey_id,
        netuid,
        tao: exec,
        alpha,
        fee,
        price,
    });
    Ok(alpha)
}

/// remove_stake / remove_stake_limit. Returns the TAO received.
pub fn remove_stake(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
    netuid: NetUid,
    amount: AlphaBalance,
    limit: Limit,
) -> Result<TaoBalance> {
    let subnet = st.subnet(netuid)?;
    ensure_tradable(&subnet)?;
    let params = st.params()?;
    if amount.is_zero() {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    let stake = stake_of(st, hotkey_id, netuid, coldkey)?;
    if amount > stake {
        return Err(ChainError::NotEnoughStakeToWithdraw {
            needed: amount.rao(),
            available: stake.rao(),
        });
    }
    let mut exec = amount;
    if let Some((limit_price, allow_partial)) = limit
        && subnet.mechanism == Mechanism::Dynamic
    {
        let max = pool::max_sell_within_limit(&subnet.pool, amount.rao(), limit_price)?;
        if max < amount.rao() && !allow_partial || max == 0 {
            return Err(ChainError::SlippageTooHigh);
        }
        exec = AlphaBalance::from_rao(max);
    }
    // A nominator left below the nominator minimum is unstaked fully.
    let rest = stake.saturating_sub(exec);
    let owner = hotkey(st, hotkey_id)?.owner;
    if !rest.is_zero() && owner != *coldkey && tao_value(&subnet, rest) < params.nominator_min_stake
    {
        exec = stake;
    }
    let quote = pool::quote_sell(subnet.mechanism, &subnet.pool, exec.rao(), false)?;
    if exec != stake && quote.amount_out < params.min_stake.rao() {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    debit(st, hotkey_id, netuid, coldkey, exec)?;
    let (tao, fee) = swap_alpha_for_tao(st, netuid, exec, false)?;
    balances::deposit(st, coldkey, tao)?;
    let price = price_of(st, netuid)?;
    st.emit(Event::StakeRemoved {
        coldkey: *coldkey,
        hotkey: *hotkey_id,
        netuid,
        alpha: exec,
        tao,
        fee,
        price,
    });
    Ok(tao)
}

/// unstake_all (everything to TAO) or unstake_all_alpha (non-root alpha to root stake).
pub fn unstake_all(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
    to_root: bool,
) -> Result<()> {
    hotkey(st, hotkey_id)?;
    let mut total_tao = TaoBalance::ZERO;
    let mut any = false;
    for subnet in st.subnets()? {
        let netuid = subnet.netuid;
        if to_root && netuid.is_root() {
            continue;
        }
        let stake = stake_of(st, hotkey_id, netuid, coldkey)?;
        if stake.is_zero() || ensure_tradable(&subnet).is_err() {
            continue;
        }
        any = true;
        debit(st, hotkey_id, netuid, coldkey, stake)?;
        let (tao, fee) = swap_alpha_for_tao(st, netuid, stake, false)?;
        let price = price_of(st, netuid)?;
        st.emit(Event::StakeRemoved {
            coldkey: *coldkey,
            hotkey: *hotkey_id,
            netuid,
            alpha: stake,
            tao,
            fee,
            price,
        });
        total_tao = total_tao.saturating_add(tao);
    }
    if !any {
        return Err(ChainError::AmountTooLow(0));
    }
    if to_root && !total_tao.is_zero() {
        let (alpha, fee) = swap_tao_for_alpha(st, NetUid::ROOT, total_tao, false)?;
        credit(st, hotkey_id, NetUid::ROOT, coldkey, alpha)?;
        let price = price_of(st, NetUid::ROOT)?;
        st.emit(Event::StakeAdded {
            coldkey: *coldkey,
            hotkey: *hotkey_id,
            netuid: NetUid::ROOT,
            tao: total_tao,
            alpha,
            fee,
            price,
        });
    } else {
        balances::deposit(st, coldkey, total_tao)?;
    }
    Ok(())
}

/// A stake move: move_stake (same coldkey), transfer_stake (new coldkey), swap_stake (same
/// hotkey and coldkey, new subnet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeMove {
    /// Origin coldkey (the signer).
    pub from_coldkey: AccountId,
    /// Destination coldkey.
    pub to_coldkey: AccountId,
    /// Origin hotkey.
    pub from_hotkey: AccountId,
    /// Destination hotkey.
    pub to_hotkey: AccountId,
    /// Origin subnet.
    pub from_netuid: NetUid,
    /// Destination subnet.
    pub to_netuid: NetUid,
    /// Alpha to move.
    pub alpha: AlphaBalance,
    /// For swap_stake_limit: minimum origin/destination price ratio × 1e9, allow partial.
    pub limit: Limit,
}

/// Executes a stake move.
pub fn move_stake(st: &mut State<'_>, m: StakeMove) -> Result<()> {
    let from = st.subnet(m.from_netuid)?;
    let to = st.subnet(m.to_netuid)?;
    ensure_tradable(&from)?;
    ensure_tradable(&to)?;
    hotkey(st, &m.to_hotkey)?;
    if m.from_coldkey != m.to_coldkey && (!from.hp.transfers_enabled || !to.hp.transfers_enabled) {
        let netuid = if from.hp.transfers_enabled {
            m.to_netuid
        } else {
            m.from_netuid
        };
        return Err(ChainError::TransferDisallowed(netuid));
    }
    if m.from_netuid == m.to_netuid
        && m.from_hotkey == m.to_hotkey
        && m.from_coldkey == m.to_coldkey
    {
        return Err(ChainError::SameNetuid);
    }
    let params = st.params()?;
    let stake = stake_of(st, &m.from_hotkey, m.from_netuid, &m.from_coldkey)?;
    if m.alpha.is_zero() {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    if m.alpha > stake {
        return Err(ChainError::NotEnoughStakeToWithdraw {
            needed: m.alpha.rao(),
            available: stake.rao(),
        });
    }
    let mut alpha = m.alpha;
    if let Some((limit, allow_partial)) = m.limit {
        let max = max_swap_within_limit(&from, &to, alpha.rao(), limit)?;
        if max < alpha.rao() && !allow_partial || max == 0 {
            return Err(ChainError::SlippageTooHigh);
        }
        alpha = AlphaBalance::from_rao(max);
    }
    if tao_value(&from, alpha) < params.min_stake {
        return Err(ChainError::AmountTooLow(params.min_stake.rao()));
    }
    debit(st, &m.from_hotkey, m.from_netuid, &m.from_coldkey, alpha)?;
    let (alpha_in, tao) = if m.from_netuid == m.to_netuid {
        // Same subnet: a pure share transfer, no swap.
        (alpha, tao_value(&from, alpha))
    } else {
        // Fee charged once: the origin leg is fee-free unless the origin is root.
        let origin_free = !m.from_netuid.is_root();
        let (tao, _) = swap_alpha_for_tao(st, m.from_netuid, alpha, origin_free)?;
        let (bought, _) = swap_tao_for_alpha(st, m.to_netuid, tao, !origin_free)?;
        (bought, tao)
    };
    credit(st, &m.to_hotkey, m.to_netuid, &m.to_coldkey, alpha_in)?;
    let price = price_of(st, m.to_netuid)?;
    st.emit(Event::StakeMoved {
        from_coldkey: m.from_coldkey,
        to_coldkey: m.to_coldkey,
        from_hotkey: m.from_hotkey,
        to_hotkey: m.to_hotkey,
        from_netuid: m.from_netuid,
        to_netuid: m.to_netuid,
        alpha_out: alpha,
        alpha_in,
        tao,
        price,
    });
    Ok(())
}

/// Price of `from` in units of `to`, × 1e9 (rao of `to` alpha per `from` alpha).
fn relative_price(from: &Subnet, to: &Subnet) -> Option<u128> {
    let pf = u128::from(pool::spot_price_rao(from.mechanism, &from.pool));
    let pt = u128::from(pool::spot_price_rao(to.mechanism, &to.pool)).max(1);
    pf.checked_mul(u128::from(types::RAO_PER_TAO))?
        .checked_div(pt)
}

/// The largest alpha amount whose swap keeps the origin/destination price ratio ≥ `limit`.
fn max_swap_within_limit(from: &Subnet, to: &Subnet, max: u64, limit: u64) -> Result<u64> {
    if relative_price(from, to).unwrap_or(0) < u128::from(limit) {
        return Err(ChainError::PriceLimitExceeded);
    }
    let origin_free = !from.netuid.is_root();
    Ok(pool::largest_ok(max, |a| {
        let (mut f, mut t) = (from.clone(), to.clone());
        let Ok((tao, _)) = pool::sell(f.mechanism, &mut f.pool, a, origin_free) else {
            return false;
        };
        if pool::buy(t.mechanism, &mut t.pool, tao, !origin_free).is_err() {
            return false;
        }
        relative_price(&f, &t).unwrap_or(0) >= u128::from(limit)
    }))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::hotkeys::ensure_hotkey;
    use crate::testing::*;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn add_and_remove_stake_round_trip_with_fees() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 100 * T);
        t.with(|st| ensure_hotkey(st, &ck, &hk).map(|_| ()))
            .unwrap();
        let alpha = t
            .with(|st| add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(10 * T), None))
            .unwrap();
        assert!(alpha.rao() < 10 * T && alpha.rao() > 9 * T);
        assert_eq!(t.free(&ck), 90 * T);
        let tao = t
            .with(|st| remove_stake(st, &ck, &hk, NET, alpha, None))
            .unwrap();
        assert!(tao.rao() < 10 * T && tao.rao() > 9_980_000_000, "{tao}");
        t.assert_conservation();
    }

    #[test]
    fn stake_errors() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, T);
        let e = t
            .with(|st| add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(T / 10), None))
            .unwrap_err();
        assert_eq!(e, ChainError::HotKeyAccountNotExists);
        t.with(|st| ensure_hotkey(st, &ck, &hk).map(|_| ()))
            .unwrap();
        let e = t
            .with(|st| add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(1_000), None))
            .unwrap_err();
        assert_eq!(e, ChainError::AmountTooLow(2_000_000));
        let e = t
            .with(|st| add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(2 * T), None))
            .unwrap_err();
        assert!(matches!(e, ChainError::InsufficientBalance { .. }));
        let e = t
            .with(|st| remove_stake(st, &ck, &hk, NET, AlphaBalance::from_rao(5), None))
            .unwrap_err();
        assert!(matches!(e, ChainError::NotEnoughStakeToWithdraw { .. }));
        let e = t
            .with(|st| add_stake(st, &ck, &hk, NetUid(77), TaoBalance::from_rao(T / 2), None))
            .unwrap_err();
        assert_eq!(e, ChainError::SubnetNotExists(NetUid(77)));
    }

    #[test]
    fn limit_orders_partially_fill() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 1000 * T);
        t.with(|st| ensure_hotkey(st, &ck, &hk).map(|_| ()))
            .unwrap();
        // price 1.0; limit 1.01 → about 5 TAO fits
        let e = t
            .with(|st| {
                add_stake(
                    st,
                    &ck,
                    &hk,
                    NET,
                    TaoBalance::from_rao(100 * T),
                    Some((1_010_000_000, false)),
                )
            })
            .unwrap_err();
        assert_eq!(e, ChainError::SlippageTooHigh);
        let alpha = t
            .with(|st| {
                add_stake(
                    st,
                    &ck,
                    &hk,
                    NET,
                    TaoBalance::from_rao(100 * T),
                    Some((1_010_000_000, true)),
                )
            })
            .unwrap();
        assert!(alpha.rao() > 4 * T && alpha.rao() < 6 * T, "{alpha}");
        let price = t
            .with(|st| {
                Ok(pool::spot_price_rao(
                    Mechanism::Dynamic,
                    &st.subnet(NET)?.pool,
                ))
            })
            .unwrap();
        assert!(price <= 1_010_000_000);
        let e = t
            .with(|st| {
                add_stake(
                    st,
                    &ck,
                    &hk,
                    NET,
                    TaoBalance::from_rao(T),
                    Some((900_000_000, true)),
                )
            })
            .unwrap_err();
        assert_eq!(e, ChainError::PriceLimitExceeded);
    }

    #[test]
    fn move_transfer_and_swap_stake() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        t.add_subnet(NetUid(2), 500 * T, 1000 * T);
        let (ck, hk, hk2, ck2) = (acct(1), acct(2), acct(3), acct(4));
        t.fund(&ck, 100 * T);
        t.with(|st| {
            ensure_hotkey(st, &ck, &hk)?;
            ensure_hotkey(st, &ck, &hk2)?;
            add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(10 * T), None).map(|_| ())
        })
        .unwrap();
        let stake = t.with(|st| stake_of(st, &hk, NET, &ck)).unwrap();
        // move half to another hotkey on the same subnet: pure share transfer
        let half = AlphaBalance::from_rao(stake.rao() / 2);
        t.with(|st| {
            move_stake(
                st,
                StakeMove {
                    from_coldkey: ck,
                    to_coldkey: ck,
                    from_hotkey: hk,
                    to_hotkey: hk2,
                    from_netuid: NET,
                    to_netuid: NET,
                    alpha: half,
                    limit: None,
                },
            )
        })
        .unwrap();
        assert_eq!(t.with(|st| stake_of(st, &hk2, NET, &ck)).unwrap(), half);
        // transfer to another coldkey
        t.with(|st| {
            move_stake(
                st,
                StakeMove {
                    from_coldkey: ck,
                    to_coldkey: ck2,
                    from_hotkey: hk2,
                    to_hotkey: hk2,
                    from_netuid: NET,
                    to_netuid: NET,
                    alpha: half,
                    limit: None,
                },
            )
        })
        .unwrap();
        assert_eq!(t.with(|st| stake_of(st, &hk2, NET, &ck2)).unwrap(), half);
        // swap to subnet 2 (price 0.5 → about twice the alpha)
        let rest = t.with(|st| stake_of(st, &hk, NET, &ck)).unwrap();
        t.with(|st| {
            move_stake(
                st,
                StakeMove {
                    from_coldkey: ck,
                    to_coldkey: ck,
                    from_hotkey: hk,
                    to_hotkey: hk,
                    from_netuid: NET,
                    to_netuid: NetUid(2),
                    alpha: rest,
                    limit: None,
                },
            )
        })
        .unwrap();
        let on2 = t.with(|st| stake_of(st, &hk, NetUid(2), &ck)).unwrap();
        assert!(on2.rao() > rest.rao() * 19 / 10, "{on2} vs {rest}");
        // nothing-changes move is rejected
        let e = t
            .with(|st| {
                move_stake(
                    st,
                    StakeMove {
                        from_coldkey: ck,
                        to_coldkey: ck,
                        from_hotkey: hk,
                        to_hotkey: hk,
                        from_netuid: NetUid(2),
                        to_netuid: NetUid(2),
                        alpha: on2,
                        limit: None,
                    },
                )
            })
            .unwrap_err();
        assert_eq!(e, ChainError::SameNetuid);
        t.assert_conservation();
    }

    #[test]
    fn recycle_lowers_issuance_and_burn_keeps_it() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 100 * T);
        t.with(|st| {
            ensure_hotkey(st, &ck, &hk)?;
            add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(10 * T), None).map(|_| ())
        })
        .unwrap();
        let issuance = |t: &TestChain| t.read(|st| Ok(st.subnet(NET)?.pool.alpha_issuance()));
        let i0 = issuance(&t);
        t.with(|st| destroy_alpha(st, &ck, &hk, NET, AlphaBalance::from_rao(T), true))
            .unwrap();
        assert_eq!(issuance(&t), i0 - T);
        t.with(|st| destroy_alpha(st, &ck, &hk, NET, AlphaBalance::from_rao(T), false))
            .unwrap();
        assert_eq!(issuance(&t), i0 - T);
        let e = t
            .with(|st| destroy_alpha(st, &ck, &hk, NetUid::ROOT, AlphaBalance::from_rao(1), true))
            .unwrap_err();
        assert_eq!(e, ChainError::NotAllowedOnRoot);
        t.assert_conservation();
    }

    #[test]
    fn unstake_all_returns_tao_and_alpha_variant_restakes_on_root() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 100 * T);
        t.with(|st| {
            ensure_hotkey(st, &ck, &hk)?;
            add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(10 * T), None).map(|_| ())
        })
        .unwrap();
        t.with(|st| unstake_all(st, &ck, &hk, true)).unwrap();
        let root = t.with(|st| stake_of(st, &hk, NetUid::ROOT, &ck)).unwrap();
        assert!(root.rao() > 9_900_000_000);
        t.with(|st| unstake_all(st, &ck, &hk, false)).unwrap();
        assert!(t.free(&ck) > 99 * T);
        let e = t.with(|st| unstake_all(st, &ck, &hk, false)).unwrap_err();
        assert_eq!(e, ChainError::AmountTooLow(0));
        t.assert_conservation();
    }
}
