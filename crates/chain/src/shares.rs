//! Share pools: a hotkey's alpha on a subnet is owned by its stakers in shares. Dividends
//! added "for all" raise the pool's alpha (every share is worth more); stake added "for one"
//! mints shares at the current share price; removing stake burns shares (rounded up).

use types::{AccountId, AlphaBalance, NetUid};

use crate::error::{ChainError, Result, overflow};
use crate::schema::SharePool;
use crate::state::State;
use crate::storage::{Coldkeys, HotkeyPools, StakeShares};

/// The hotkey's share pool on a subnet.
pub fn share_pool(st: &State<'_>, hotkey: &AccountId, netuid: NetUid) -> Result<SharePool> {
    st.get_or_default::<HotkeyPools>(&(*hotkey, netuid))
}

/// Total alpha held by a hotkey on a subnet (for all its stakers).
pub fn hotkey_alpha(st: &State<'_>, hotkey: &AccountId, netuid: NetUid) -> Result<AlphaBalance> {
    Ok(share_pool(st, hotkey, netuid)?.alpha)
}

fn shares_of(
    st: &State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    coldkey: &AccountId,
) -> Result<u128> {
    st.get_or_default::<StakeShares>(&(*hotkey, netuid, *coldkey))
}

/// The value of `shares` in `pool`, rounded down; the sole holder gets everything.
fn value_of(pool: &SharePool, shares: u128) -> AlphaBalance {
    if shares == 0 || pool.shares == 0 {
        return AlphaBalance::ZERO;
    }
    if shares >= pool.shares {
        return pool.alpha;
    }
    let v = u128::from(pool.alpha.rao())
        .checked_mul(shares)
        .and_then(|n| n.checked_div(pool.shares));
    AlphaBalance::from_rao(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
}

/// The stake of (hotkey, coldkey) on a subnet.
pub fn stake_of(
    st: &State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    coldkey: &AccountId,
) -> Result<AlphaBalance> {
    let pool = share_pool(st, hotkey, netuid)?;
    Ok(value_of(&pool, shares_of(st, hotkey, netuid, coldkey)?))
}

/// All (coldkey, stake) on a hotkey on a subnet, in key order.
pub fn stakers(
    st: &State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
) -> Result<Vec<(AccountId, AlphaBalance)>> {
    let pool = share_pool(st, hotkey, netuid)?;
    Ok(st
        .scan::<StakeShares, _>(&(*hotkey, netuid))?
        .into_iter()
        .map(|((_, _, c), s)| (c, value_of(&pool, s)))
        .collect())
}

/// Adds `alpha` to (hotkey, coldkey)'s stake by minting shares at the current share price.
/// The alpha must already be counted in the subnet's `alpha_out`.
pub fn credit(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    coldkey: &AccountId,
    alpha: AlphaBalance,
) -> Result<()> {
    if alpha.is_zero() {
        return Ok(());
    }
    let key = (*hotkey, netuid);
    let mut p = st.get_or_default::<HotkeyPools>(&key)?;
    let new_shares = if p.shares == 0 || p.alpha.is_zero() {
        u128::from(alpha.rao())
    } else {
        u128::from(alpha.rao())
            .checked_mul(p.shares)
            .and_then(|n| n.checked_div(u128::from(p.alpha.rao())))
            .ok_or_else(|| overflow("shares"))?
    };
    p.alpha = p
        .alpha
        .checked_add(alpha)
        .ok_or_else(|| overflow("hotkey alpha"))?;
    p.shares = p
        .shares
        .checked_add(new_shares)
        .ok_or_else(|| overflow("shares"))?;
    st.put::<HotkeyPools>(&key, &p)?;
    let skey = (*hotkey, netuid, *coldkey);
    let mine = st.get_or_default::<StakeShares>(&skey)?;
    st.put::<StakeShares>(&skey, &mine.saturating_add(new_shares))?;
    let mut ck = st.get_or_default::<Coldkeys>(coldkey)?;
    if !ck.staking_hotkeys.contains(hotkey) {
        ck.staking_hotkeys.push(*hotkey);
        st.put::<Coldkeys>(coldkey, &ck)?;
    }
    Ok(())
}

/// Removes `alpha` from (hotkey, coldkey)'s stake, burning shares (rounded up).
pub fn debit(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    coldkey: &AccountId,
    alpha: AlphaBalance,
) -> Result<()> {
    let key = (*hotkey, netuid);
    let skey = (*hotkey, netuid, *coldkey);
    let mut p = st.get_or_default::<HotkeyPools>(&key)?;
    let mine = st.get_or_default::<StakeShares>(&skey)?;
    let value = value_of(&p, mine);
    if alpha > value {
        return Err(ChainError::NotEnoughStakeToWithdraw {
            needed: alpha.rao(),
            available: value.rao(),
        });
    }
    let burn = if alpha == value {
        mine
    } else {
        // ceil(alpha · shares / pool alpha)
        let num = u128::from(alpha.rao())
            .checked_mul(p.shares)
            .ok_or_else(|| overflow("shares"))?;
        let den = u128::from(p.alpha.rao()).max(1);
        num.checked_add(den.saturating_sub(1))
            .and_then(|n| n.checked_div(den))
            .ok_or_else(|| overflow("shares"))?
            .min(mine)
    };
    p.alpha = p.alpha.saturating_sub(alpha);
    p.shares = p.shares.saturating_sub(burn);
    if p.shares == 0 && p.alpha.is_zero() {
        st.remove::<HotkeyPools>(&key)?;
    } else {
        st.put::<HotkeyPools>(&key, &p)?;
    }
    let left = mine.saturating_sub(burn);
    if left == 0 {
        st.remove::<StakeShares>(&skey)?;
    } else {
        st.put::<StakeShares>(&skey, &left)?;
    }
    Ok(())
}

/// Adds `alpha` to the hotkey's pool for all its stakers (dividends). With no stakers yet it
/// goes to the hotkey's owner.
pub fn distribute_to_stakers(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    alpha: AlphaBalance,
) -> Result<()> {
    let key = (*hotkey, netuid);
    let mut p = st.get_or_default::<HotkeyPools>(&key)?;
    if p.shares == 0 {
        let owner = crate::hotkeys::hotkey(st, hotkey)?.owner;
        return credit(st, hotkey, netuid, &owner, alpha);
    }
    p.alpha = p
        .alpha
        .checked_add(alpha)
        .ok_or_else(|| overflow("hotkey alpha"))?;
    st.put::<HotkeyPools>(&key, &p)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::hotkeys::ensure_hotkey;
    use crate::testing::*;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn shares_track_dividends_pro_rata() {
        let mut t = TestChain::with_subnet(1000 * T, 1000 * T);
        let (ck1, ck2, hk) = (acct(1), acct(2), acct(3));
        t.with(|st| {
            ensure_hotkey(st, &ck1, &hk)?;
            credit(st, &hk, NET, &ck1, AlphaBalance::from_rao(300))?;
            credit(st, &hk, NET, &ck2, AlphaBalance::from_rao(100))?;
            distribute_to_stakers(st, &hk, NET, AlphaBalance::from_rao(400))
        })
        .unwrap();
        t.with(|st| {
            assert_eq!(stake_of(st, &hk, NET, &ck1)?.rao(), 600);
            assert_eq!(stake_of(st, &hk, NET, &ck2)?.rao(), 200);
            // a later staker buys at the new share price and gets no past dividends
            credit(st, &hk, NET, &acct(9), AlphaBalance::from_rao(200))?;
            assert_eq!(stake_of(st, &hk, NET, &acct(9))?.rao(), 200);
            debit(st, &hk, NET, &ck1, AlphaBalance::from_rao(600))?;
            assert_eq!(stake_of(st, &hk, NET, &ck1)?.rao(), 0);
            assert_eq!(hotkey_alpha(st, &hk, NET)?.rao(), 400);
            Ok(())
        })
        .unwrap();
    }
}
