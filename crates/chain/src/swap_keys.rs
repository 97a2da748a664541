//! Key swaps: swap_hotkey (moves uids, stake pools, take and commits to a fresh hotkey; costs
//! key_swap_cost, recycled; rate-limited per coldkey) and schedule_swap_coldkey (after the
//! delay, everything of the old coldkey moves to the new one; meanwhile the old one is frozen).

use types::{AccountId, NetUid};

use crate::balances;
use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::hotkeys;
use crate::schema::ScheduledColdkeySwap;
use crate::state::State;
use crate::storage::{
    ColdkeySwapsDue, Coldkeys, HotkeyPools, Hotkeys, Neurons, StakeShares, Uids, WeightCommits,
};

fn charge(st: &mut State<'_>, coldkey: &AccountId) -> Result<()> {
    let cost = st.params()?.key_swap_cost;
    balances::withdraw(st, coldkey, cost, false)?;
    balances::recycle(st, cost)
}

fn replace_in(list: &mut Vec<AccountId>, old: &AccountId, new: &AccountId) {
    list.retain(|k| k != old);
    if !list.contains(new) {
        list.push(*new);
    }
}

/// swap_hotkey, signed by the owning coldkey.
pub fn swap_hotkey(
    st: &mut State<'_>,
    coldkey: &AccountId,
    old: &AccountId,
    new: &AccountId,
) -> Result<()> {
    let info = hotkeys::ensure_owner(st, coldkey, old)?;
    if old == new {
        return Err(ChainError::NewHotKeyIsSameWithOld);
    }
    if st.get::<Hotkeys>(new)?.is_some() {
        return Err(ChainError::HotKeyAlreadyExists);
    }
    let p = st.params()?;
    let now = st.block();
    let mut ck = st.get_or_default::<Coldkeys>(coldkey)?;
    if let Some(last) = ck.last_hotkey_swap {
        let at = last.saturating_add(p.hotkey_swap_rate_limit);
        if now < at {
            return Err(ChainError::HotKeySwapRateLimited(at));
        }
    }
    charge(st, coldkey)?;
    // Registrations.
    for netuid in &info.registered_on {
        if let Some(uid) = st.get::<Uids>(&(*netuid, *old))? {
            st.remove::<Uids>(&(*netuid, *old))?;
            st.put::<Uids>(&(*netuid, *new), &uid)?;
            if let Some(mut nr) = st.get::<Neurons>(&(*netuid, uid))? {
                nr.hotkey = *new;
                st.put::<Neurons>(&(*netuid, uid), &nr)?;
            }
        }
        if let Some(c) = st.get::<WeightCommits>(&(*netuid, *old))? {
            st.remove::<WeightCommits>(&(*netuid, *old))?;
            st.put::<WeightCommits>(&(*netuid, *new), &c)?;
        }
    }
    // Subnets it owns as owner hotkey.
    for mut s in st.subnets()? {
        if s.owner_hotkey == *old {
            s.owner_hotkey = *new;
            st.put_subnet(&s)?;
        }
    }
    // Stake pools and shares; stakers' lists.
    for ((_, netuid), pool) in st.scan::<HotkeyPools, _>(old)? {
        st.remove::<HotkeyPools>(&(*old, netuid))?;
        st.put::<HotkeyPools>(&(*new, netuid), &pool)?;
        for ((_, _, c), shares) in st.scan::<StakeShares, _>(&(*old, netuid))? {
            st.remove::<StakeShares>(&(*old, netuid, c))?;
            st.put::<StakeShares>(&(*new, netuid, c), &shares)?;
            let mut staker = st.get_or_default::<Coldkeys>(&c)?;
            replace_in(&mut staker.staking_hotkeys, old, new);
            st.put::<Coldkeys>(&c, &staker)?;
        }
    }
    crate::childkeys::swap_hotkey(st, old, new)?;
    st.remove::<Hotkeys>(old)?;
    st.put::<Hotkeys>(new, &info)?;
    ck = st.get_or_default::<Coldkeys>(coldkey)?;
    replace_in(&mut ck.owned_hotkeys, old, new);
    ck.last_hotkey_swap = Some(now);
    st.put::<Coldkeys>(coldkey, &ck)?;
    st.emit(Event::HotkeySwapped {
        coldkey: *coldkey,
        old: *old,
        new: *new,
    });
    Ok(())
}

/// The coldkey's scheduled swap, if any.
pub fn scheduled_swap(st: &State<'_>, coldkey: &AccountId) -> Result<Option<ScheduledColdkeySwap>> {
    Ok(st.get::<Coldkeys>(coldkey)?.and_then(|c| c.scheduled_swap))
}

/// schedule_swap_coldkey: costs key_swap_cost (recycled); executes after coldkey_swap_delay.
pub fn schedule_swap_coldkey(st: &mut State<'_>, old: &AccountId, new: &AccountId) -> Result<()> {
    if old == new {
        return Err(ChainError::NewHotKeyIsSameWithOld);
    }
    if scheduled_swap(st, old)?.is_some() {
        return Err(ChainError::ColdkeySwapAlreadyScheduled);
    }
    charge(st, old)?;
    let execute_at = st
        .block()
        .saturating_add(st.params()?.coldkey_swap_delay)
        .max(st.block().saturating_add(1));
    let mut ck = st.get_or_default::<Coldkeys>(old)?;
    ck.scheduled_swap = Some(ScheduledColdkeySwap {
        new_coldkey: *new,
        execute_at,
    });
    st.put::<Coldkeys>(old, &ck)?;
    st.put::<ColdkeySwapsDue>(&(execute_at, *old), new)?;
    st.emit(Event::ColdkeySwapScheduled {
        old: *old,
        new: *new,
        execute_at,
    });
    Ok(())
}

/// Moves everything of `old` to `new`: balance, hotkey ownership, stakes, subnet ownership.
pub fn swap_coldkey(st: &mut State<'_>, old: &AccountId, new: &AccountId) -> Result<()> {
    let free = balances::free(st, old)?;
    let mut old_acc = st.account(old)?;
    old_acc.free = types::TaoBalance::ZERO;
    st.put_account(old, &old_acc)?;
    balances::deposit(st, new, free)?;
    let old_ck = st.get_or_default::<Coldkeys>(old)?;
    let mut new_ck = st.get_or_default::<Coldkeys>(new)?;
    for hk in &old_ck.owned_hotkeys {
        if let Some(mut info) = st.get::<Hotkeys>(hk)? {
            info.owner = *new;
            st.put::<Hotkeys>(hk, &info)?;
        }
        if !new_ck.owned_hotkeys.contains(hk) {
            new_ck.owned_hotkeys.push(*hk);
        }
    }
    let netuids: Vec<NetUid> = st.subnets()?.iter().map(|s| s.netuid).collect();
    for hk in &old_ck.staking_hotkeys {
        for netuid in &netuids {
            let from = (*hk, *netuid, *old);
            if let Some(shares) = st.get::<StakeShares>(&from)? {
                st.remove::<StakeShares>(&from)?;
                let to = (*hk, *netuid, *new);
                let mine = st.get_or_default::<StakeShares>(&to)?;
                st.put::<StakeShares>(&to, &mine.saturating_add(shares))?;
            }
        }
        if !new_ck.staking_hotkeys.contains(hk) {
            new_ck.staking_hotkeys.push(*hk);
        }
    }
    for mut s in st.subnets()? {
        if s.owner == *old {
            s.owner = *new;
            st.put_subnet(&s)?;
        }
    }
    if new_ck.identity.is_none() {
        new_ck.identity = old_ck.identity.clone();
    }
    st.remove::<Coldkeys>(old)?;
    st.put::<Coldkeys>(new, &new_ck)?;
    st.emit(Event::ColdkeySwapped {
        old: *old,
        new: *new,
    });
    Ok(())
}

/// Executes the coldkey swaps due at this block (block hook).
pub fn execute_due(st: &mut State<'_>) -> Result<()> {
    let now = st.block();
    for ((at, old), new) in st.scan::<ColdkeySwapsDue, _>(&now)? {
        st.remove::<ColdkeySwapsDue>(&(at, old))?;
        swap_coldkey(st, &old, &new)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::*;
    use crate::{shares, staking};
    use types::TaoBalance;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn swap_hotkey_moves_uid_and_stake() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        let (ck, hk, new) = (acct(1), acct(2), acct(3));
        t.fund(&ck, 100 * T);
        t.with(|st| crate::registration::burned_register(st, &ck, NET, &hk, None).map(|_| ()))
            .unwrap();
        t.with(|st| {
            staking::add_stake(st, &ck, &hk, NET, TaoBalance::from_rao(10 * T), None).map(|_| ())
        })
        .unwrap();
        let stake = t.with(|st| shares::stake_of(st, &hk, NET, &ck)).unwrap();
        let free = t.free(&ck);
        t.with(|st| swap_hotkey(st, &ck, &hk, &new)).unwrap();
        assert_eq!(t.free(&ck), free - 100_000_000);
        assert_eq!(
            t.with(|st| shares::stake_of(st, &new, NET, &ck)).unwrap(),
            stake
        );
        assert_eq!(
            t.with(|st| crate::registration::uid_of(st, NET, &new))
                .unwrap(),
            Some(types::Uid(1))
        );
        assert_eq!(
            t.with(|st| crate::registration::uid_of(st, NET, &hk))
                .unwrap(),
            None
        );
        let e = t
            .with(|st| swap_hotkey(st, &ck, &new, &acct(4)))
            .unwrap_err();
        assert!(matches!(e, ChainError::HotKeySwapRateLimited(_)));
        t.assert_conservation();
    }

    #[test]
    fn coldkey_swap_executes_after_delay() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        let (old, new, hk) = (acct(1), acct(2), acct(3));
        t.fund(&old, 100 * T);
        t.with(|st| crate::registration::burned_register(st, &old, NET, &hk, None).map(|_| ()))
            .unwrap();
        t.with(|st| {
            staking::add_stake(st, &old, &hk, NET, TaoBalance::from_rao(10 * T), None).map(|_| ())
        })
        .unwrap();
        let stake = t.with(|st| shares::stake_of(st, &hk, NET, &old)).unwrap();
        t.with(|st| schedule_swap_coldkey(st, &old, &new)).unwrap();
        let e = t
            .with(|st| schedule_swap_coldkey(st, &old, &new))
            .unwrap_err();
        assert_eq!(e, ChainError::ColdkeySwapAlreadyScheduled);
        let at = t
            .with(|st| Ok(scheduled_swap(st, &old)?.unwrap().execute_at))
            .unwrap();
        t.set_block(at);
        t.with(execute_due).unwrap();
        assert_eq!(t.free(&old), 0);
        assert!(t.free(&new) > 80 * T);
        assert_eq!(
            t.with(|st| shares::stake_of(st, &hk, NET, &new)).unwrap(),
            stake
        );
        assert_eq!(t.with(|st| hotkeys::hotkey(st, &hk)).unwrap().owner, new);
        t.assert_conservation();
    }
}
