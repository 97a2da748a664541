//! Childkeys (chain.md §4.7): a parent hotkey lends proportions of its stake weight to up to
//! five child hotkeys on a subnet (usually validators run by someone else). Changes queue for
//! a cooldown and apply at the next epoch (at once on a subnet not yet started). At the epoch a
//! child's stake includes its parents' lent stake, and its dividends are shared back with the
//! parents in proportion to what each contributed, minus the child's childkey take.

use types::{AccountId, BlockNumber, NetUid};

use crate::error::{ChainError, Result, overflow};
use crate::events::Event;
use crate::hotkeys::{ensure_owner, hotkey};
use crate::shares::hotkey_alpha;
use crate::state::State;
use crate::storage::{ChildKeys, ChildkeyTakes, LastSetChildren, ParentKeys, PendingChildKeys};

/// At most this many children per parent and subnet.
pub const MAX_CHILDREN: usize = 5;

/// Children of `parent` on `netuid`: (proportion, child).
pub fn children(
    st: &State<'_>,
    parent: &AccountId,
    netuid: NetUid,
) -> Result<Vec<(u64, AccountId)>> {
    st.get_or_default::<ChildKeys>(&(*parent, netuid))
}

/// Parents of `child` on `netuid`: (proportion, parent).
pub fn parents(st: &State<'_>, child: &AccountId, netuid: NetUid) -> Result<Vec<(u64, AccountId)>> {
    st.get_or_default::<ParentKeys>(&(*child, netuid))
}

/// The childkey take of `hotkey` on `netuid`.
pub fn childkey_take(st: &State<'_>, hotkey: &AccountId, netuid: NetUid) -> Result<u16> {
    Ok(st
        .get::<ChildkeyTakes>(&(*hotkey, netuid))?
        .map_or(0, |(t, _)| t))
}

/// `value · proportion / u64::MAX`, rounded down.
fn part(value: u64, proportion: u64) -> u64 {
    let v = u128::from(value)
        .saturating_mul(u128::from(proportion))
        .checked_div(u128::from(u64::MAX))
        .unwrap_or(0);
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// set_children, signed by the parent's coldkey. An empty list revokes all children.
pub fn set_children(
    st: &mut State<'_>,
    coldkey: &AccountId,
    parent: &AccountId,
    netuid: NetUid,
    new: Vec<(u64, AccountId)>,
) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let subnet = st.subnet(netuid)?;
    ensure_owner(st, coldkey, parent)?;
    if new.len() > MAX_CHILDREN {
        return Err(ChainError::TooManyChildren);
    }
    let mut sum: u64 = 0;
    for (i, (p, child)) in new.iter().enumerate() {
        if child == parent {
            return Err(ChainError::InvalidChild);
        }
        if new
            .iter()
            .skip(i.saturating_add(1))
            .any(|(_, c)| c == child)
        {
            return Err(ChainError::DuplicateChild);
        }
        sum = sum.checked_add(*p).ok_or(ChainError::ProportionOverflow)?;
        if !children(st, child, netuid)?.is_empty() {
            return Err(ChainError::ChildParentInconsistency);
        }
    }
    if !new.is_empty() && !parents(st, parent, netuid)?.is_empty() {
        return Err(ChainError::ChildParentInconsistency);
    }
    let params = st.params()?;
    if !new.is_empty() && *parent != subnet.owner_hotkey {
        let stake = crate::weights::stake_weight(st, parent, netuid)?;
        if stake < params.stake_threshold {
            return Err(ChainError::NotEnoughStakeToSetChildkeys);
        }
    }
    let now = st.block();
    if let Some(last) = st.get::<LastSetChildren>(&(*parent, netuid))? {
        let at = last.saturating_add(params.set_children_rate_limit);
        if params.set_children_rate_limit > 0 && now < at {
            return Err(ChainError::TxRateLimitExceeded(at));
        }
    }
    st.put::<LastSetChildren>(&(*parent, netuid), &now)?;
    if subnet.first_emission_block.is_none() {
        return apply(st, netuid, parent, new);
    }
    let at: BlockNumber = now.saturating_add(params.pending_childkey_cooldown);
    st.put::<PendingChildKeys>(&(netuid, *parent), &(new, at))?;
    st.emit(Event::ChildrenScheduled {
        parent: *parent,
        netuid,
        at,
    });
    Ok(())
}

/// Replaces `parent`'s children on `netuid`.
fn apply(
    st: &mut State<'_>,
    netuid: NetUid,
    parent: &AccountId,
    new: Vec<(u64, AccountId)>,
) -> Result<()> {
    for (_, old_child) in children(st, parent, netuid)? {
        let mut ps = parents(st, &old_child, netuid)?;
        ps.retain(|(_, p)| p != parent);
        if ps.is_empty() {
            st.remove::<ParentKeys>(&(old_child, netuid))?;
        } else {
            st.put::<ParentKeys>(&(old_child, netuid), &ps)?;
        }
    }
    for (p, child) in &new {
        let mut ps = parents(st, child, netuid)?;
        ps.push((*p, *parent));
        st.put::<ParentKeys>(&(*child, netuid), &ps)?;
    }
    if new.is_empty() {
        st.remove::<ChildKeys>(&(*parent, netuid))?;
    } else {
        st.put::<ChildKeys>(&(*parent, netuid), &new)?;
    }
    st.emit(Event::ChildrenSet {
        parent: *parent,
        netuid,
        children: new,
    });
    Ok(())
}

/// Applies the queued changes of `netuid` whose cooldown has passed (at its epoch).
pub fn apply_pending(st: &mut State<'_>, netuid: NetUid) -> Result<()> {
    let now = st.block();
    for ((n, parent), (new, at)) in st.scan::<PendingChildKeys, _>(&netuid)? {
        if now >= at {
            st.remove::<PendingChildKeys>(&(n, parent))?;
            apply(st, netuid, &parent, new)?;
        }
    }
    Ok(())
}

/// set_childkey_take, signed by the hotkey's coldkey; increases are rate-limited.
pub fn set_childkey_take(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hk: &AccountId,
    netuid: NetUid,
    take: u16,
) -> Result<()> {
    ensure_owner(st, coldkey, hk)?;
    st.subnet(netuid)?;
    let params = st.params()?;
    if take > params.max_childkey_take {
        return Err(ChainError::InvalidChildkeyTake(take));
    }
    let (current, last) = st.get::<ChildkeyTakes>(&(*hk, netuid))?.unwrap_or((0, 0));
    let now = st.block();
    let mut last_increase = last;
    if take > current {
        let at = last.saturating_add(params.childkey_take_rate_limit);
        if last > 0 && now < at {
            return Err(ChainError::TxChildkeyTakeRateLimitExceeded(at));
        }
        last_increase = now.max(1);
    }
    st.put::<ChildkeyTakes>(&(*hk, netuid), &(take, last_increase))?;
    st.emit(Event::ChildkeyTakeSet {
        hotkey: *hk,
        netuid,
        take,
    });
    Ok(())
}

/// A hotkey's stake on `netuid` counting childkeys: its own alpha and root stake minus what it
/// lends to its children, plus what its parents lend to it. Returns (alpha, root).
pub fn inherited_stake(st: &State<'_>, hk: &AccountId, netuid: NetUid) -> Result<(u64, u64)> {
    let own_a = hotkey_alpha(st, hk, netuid)?.rao();
    let own_r = hotkey_alpha(st, hk, NetUid::ROOT)?.rao();
    let lent: u64 = children(st, hk, netuid)?
        .iter()
        .fold(0u64, |s, (p, _)| s.saturating_add(*p));
    let mut a = own_a.saturating_sub(part(own_a, lent));
    let mut r = own_r.saturating_sub(part(own_r, lent));
    for (p, parent) in parents(st, hk, netuid)? {
        a = a.saturating_add(part(hotkey_alpha(st, &parent, netuid)?.rao(), p));
        r = r.saturating_add(part(hotkey_alpha(st, &parent, NetUid::ROOT)?.rao(), p));
    }
    Ok((a, r))
}

/// Splits a child's dividend weight `d` between itself and its parents by contribution
/// (alpha + τw·root); a parent of another coldkey leaves the childkey take with the child.
pub fn dividend_shares(
    st: &State<'_>,
    hk: &AccountId,
    netuid: NetUid,
    d: u64,
    tao_weight: u64,
) -> Result<Vec<(AccountId, u64)>> {
    let ps = parents(st, hk, netuid)?;
    if ps.is_empty() || d == 0 {
        return Ok(vec![(*hk, d)]);
    }
    let weight = |a: u64, r: u64| u128::from(a).saturating_add(u128::from(part(r, tao_weight)));
    let own_a = hotkey_alpha(st, hk, netuid)?.rao();
    let own_r = hotkey_alpha(st, hk, NetUid::ROOT)?.rao();
    let lent: u64 = children(st, hk, netuid)?
        .iter()
        .fold(0u64, |s, (p, _)| s.saturating_add(*p));
    let own = weight(
        own_a.saturating_sub(part(own_a, lent)),
        own_r.saturating_sub(part(own_r, lent)),
    );
    let mut contributions = Vec::with_capacity(ps.len());
    for (p, parent) in &ps {
        let a = part(hotkey_alpha(st, parent, netuid)?.rao(), *p);
        let r = part(hotkey_alpha(st, parent, NetUid::ROOT)?.rao(), *p);
        contributions.push((*parent, weight(a, r)));
    }
    let total = contributions
        .iter()
        .fold(own, |s, (_, c)| s.saturating_add(*c));
    if total == 0 {
        return Ok(vec![(*hk, d)]);
    }
    let child_owner = hotkey(st, hk)?.owner;
    let take = u128::from(childkey_take(st, hk, netuid)?);
    let mut out = Vec::with_capacity(contributions.len().saturating_add(1));
    let mut given: u64 = 0;
    for (parent, c) in contributions {
        let share = u128::from(d)
            .checked_mul(c)
            .and_then(|n| n.checked_div(total))
            .ok_or_else(|| overflow("childkey share"))?;
        let share = u64::try_from(share).unwrap_or(0);
        let same_owner = hotkey(st, &parent)?.owner == child_owner;
        let kept = if same_owner {
            0
        } else {
            crate::pool::mul_div(share, u64::try_from(take).unwrap_or(0), 65_535).unwrap_or(0)
        };
        let to_parent = share.saturating_sub(kept);
        given = given.saturating_add(to_parent);
        out.push((parent, to_parent));
    }
    out.insert(0, (*hk, d.saturating_sub(given)));
    Ok(out)
}

fn rename(list: &mut [(u64, AccountId)], old: &AccountId, new: &AccountId) {
    for (_, k) in list.iter_mut() {
        if k == old {
            *k = *new;
        }
    }
}

/// Moves every childkey relation of `old` to `new` (hotkey swap).
pub fn swap_hotkey(st: &mut State<'_>, old: &AccountId, new: &AccountId) -> Result<()> {
    for ((_, netuid), kids) in st.scan::<ChildKeys, _>(old)? {
        for (_, child) in &kids {
            let mut ps = parents(st, child, netuid)?;
            rename(&mut ps, old, new);
            st.put::<ParentKeys>(&(*child, netuid), &ps)?;
        }
        st.remove::<ChildKeys>(&(*old, netuid))?;
        st.put::<ChildKeys>(&(*new, netuid), &kids)?;
    }
    for ((_, netuid), ps) in st.scan::<ParentKeys, _>(old)? {
        for (_, parent) in &ps {
            let mut kids = children(st, parent, netuid)?;
            rename(&mut kids, old, new);
            st.put::<ChildKeys>(&(*parent, netuid), &kids)?;
        }
        st.remove::<ParentKeys>(&(*old, netuid))?;
        st.put::<ParentKeys>(&(*new, netuid), &ps)?;
    }
    for ((_, netuid), take) in st.scan::<ChildkeyTakes, _>(old)? {
        st.remove::<ChildkeyTakes>(&(*old, netuid))?;
        st.put::<ChildkeyTakes>(&(*new, netuid), &take)?;
    }
    for ((_, netuid), last) in st.scan::<LastSetChildren, _>(old)? {
        st.remove::<LastSetChildren>(&(*old, netuid))?;
        st.put::<LastSetChildren>(&(*new, netuid), &last)?;
    }
    for s in st.subnets()? {
        if let Some(p) = st.get::<PendingChildKeys>(&(s.netuid, *old))? {
            st.remove::<PendingChildKeys>(&(s.netuid, *old))?;
            st.put::<PendingChildKeys>(&(s.netuid, *new), &p)?;
        }
    }
    Ok(())
}

/// Removes every childkey record of a dissolved subnet.
pub fn remove_subnet(st: &mut State<'_>, netuid: NetUid) -> Result<()> {
    for ((h, n), _) in st
        .scan::<ChildKeys, ()>(&())?
        .into_iter()
        .filter(|((_, n), _)| *n == netuid)
    {
        st.remove::<ChildKeys>(&(h, n))?;
    }
    for ((h, n), _) in st
        .scan::<ParentKeys, ()>(&())?
        .into_iter()
        .filter(|((_, n), _)| *n == netuid)
    {
        st.remove::<ParentKeys>(&(h, n))?;
    }
    for ((n, h), _) in st.scan::<PendingChildKeys, _>(&netuid)? {
        st.remove::<PendingChildKeys>(&(n, h))?;
    }
    for ((h, n), _) in st
        .scan::<LastSetChildren, ()>(&())?
        .into_iter()
        .filter(|((_, n), _)| *n == netuid)
    {
        st.remove::<LastSetChildren>(&(h, n))?;
    }
    for ((h, n), _) in st
        .scan::<ChildkeyTakes, ()>(&())?
        .into_iter()
        .filter(|((_, n), _)| *n == netuid)
    {
        st.remove::<ChildkeyTakes>(&(h, n))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::hotkeys::ensure_hotkey;
    use crate::testing::*;
    use types::{AlphaBalance, TaoBalance};

    const T: u64 = types::RAO_PER_TAO;
    const HALF: u64 = u64::MAX / 2;

    fn setup() -> TestChain {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.fund(&acct(1), 1_000 * T);
        t.fund(&acct(2), 1_000 * T);
        t.with(|st| {
            ensure_hotkey(st, &acct(1), &acct(10))?; // parent, coldkey 1
            ensure_hotkey(st, &acct(2), &acct(20))?; // child, coldkey 2
            ensure_hotkey(st, &acct(2), &acct(21))?;
            crate::shares::credit(
                st,
                &acct(10),
                NET,
                &acct(1),
                AlphaBalance::from_rao(100 * T),
            )?;
            let mut s = st.subnet(NET)?;
            s.pool.alpha_out = s
                .pool
                .alpha_out
                .saturating_add(AlphaBalance::from_rao(100 * T));
            st.put_subnet(&s)
        })
        .unwrap();
        t
    }

    #[test]
    fn validation() {
        let mut t = setup();
        let set = |t: &mut TestChain, ck: u8, kids: Vec<(u64, AccountId)>| {
            t.with(|st| set_children(st, &acct(ck), &acct(10), NET, kids))
        };
        assert_eq!(
            set(&mut t, 2, vec![(1, acct(20))]),
            Err(ChainError::NonAssociatedColdKey)
        );
        assert_eq!(
            set(&mut t, 1, vec![(1, acct(10))]),
            Err(ChainError::InvalidChild)
        );
        assert_eq!(
            set(&mut t, 1, vec![(1, acct(20)), (1, acct(20))]),
            Err(ChainError::DuplicateChild)
        );
        assert_eq!(
            set(&mut t, 1, vec![(u64::MAX, acct(20)), (1, acct(21))]),
            Err(ChainError::ProportionOverflow)
        );
        let six: Vec<(u64, AccountId)> = (30..36).map(|i| (1, acct(i))).collect();
        assert_eq!(set(&mut t, 1, six), Err(ChainError::TooManyChildren));
        let e = t.with(|st| set_children(st, &acct(1), &acct(10), NetUid::ROOT, vec![]));
        assert_eq!(e, Err(ChainError::NotAllowedOnRoot));
        // a child cannot be a parent
        set(&mut t, 1, vec![(HALF, acct(20))]).unwrap();
        let t_block = t.block;
        t.set_block(t_block + 10_000);
        t.with(|st| apply_pending(st, NET)).unwrap();
        let e = t.with(|st| set_children(st, &acct(2), &acct(20), NET, vec![(1, acct(21))]));
        assert_eq!(e, Err(ChainError::ChildParentInconsistency));
    }

    #[test]
    fn changes_wait_for_the_cooldown_and_the_epoch() {
        let mut t = setup();
        t.set_block(1);
        t.with(|st| set_children(st, &acct(1), &acct(10), NET, vec![(HALF, acct(20))]))
            .unwrap();
        assert!(
            t.read(|st| children(st, &acct(10), NET)).is_empty(),
            "queued, not applied"
        );
        t.set_block(100);
        t.with(|st| apply_pending(st, NET)).unwrap();
        assert!(
            t.read(|st| children(st, &acct(10), NET)).is_empty(),
            "cooldown of 7200 not passed"
        );
        t.set_block(7_201);
        t.with(|st| apply_pending(st, NET)).unwrap();
        assert_eq!(
            t.read(|st| children(st, &acct(10), NET)),
            vec![(HALF, acct(20))]
        );
        assert_eq!(
            t.read(|st| parents(st, &acct(20), NET)),
            vec![(HALF, acct(10))]
        );
        // stake weight moves with the proportion
        let (pa, _) = t.read(|st| inherited_stake(st, &acct(10), NET));
        let (ca, _) = t.read(|st| inherited_stake(st, &acct(20), NET));
        assert!(
            pa.abs_diff(50 * T) <= 1 && ca.abs_diff(50 * T) <= 1,
            "{pa} {ca}"
        );
        // revoking: an empty list
        t.set_block(7_500);
        t.with(|st| set_children(st, &acct(1), &acct(10), NET, vec![]))
            .unwrap();
        t.set_block(20_000);
        t.with(|st| apply_pending(st, NET)).unwrap();
        assert!(t.read(|st| parents(st, &acct(20), NET)).is_empty());
    }

    #[test]
    fn hotkey_swap_carries_the_relations() {
        let mut t = setup();
        t.with(|st| {
            let mut s = st.subnet(NET)?;
            s.first_emission_block = None;
            st.put_subnet(&s)
        })
        .unwrap();
        t.with(|st| set_children(st, &acct(1), &acct(10), NET, vec![(HALF, acct(20))]))
            .unwrap();
        t.with(|st| crate::swap_keys::swap_hotkey(st, &acct(2), &acct(20), &acct(29)))
            .unwrap();
        assert_eq!(
            t.read(|st| children(st, &acct(10), NET)),
            vec![(HALF, acct(29))]
        );
        assert_eq!(
            t.read(|st| parents(st, &acct(29), NET)),
            vec![(HALF, acct(10))]
        );
        t.with(|st| crate::swap_keys::swap_hotkey(st, &acct(1), &acct(10), &acct(19)))
            .unwrap();
        assert_eq!(
            t.read(|st| parents(st, &acct(29), NET)),
            vec![(HALF, acct(19))]
        );
        assert!(t.read(|st| children(st, &acct(10), NET)).is_empty());
    }

    #[test]
    fn dividends_flow_back_to_parents_minus_the_childkey_take() {
        let mut t = setup();
        // not started: applies at once
        t.with(|st| {
            let mut s = st.subnet(NET)?;
            s.first_emission_block = None;
            st.put_subnet(&s)
        })
        .unwrap();
        t.with(|st| set_children(st, &acct(1), &acct(10), NET, vec![(u64::MAX, acct(20))]))
            .unwrap();
        t.with(|st| set_childkey_take(st, &acct(2), &acct(20), NET, 6_553))
            .unwrap(); // ≈10%
        let shares = t.read(|st| dividend_shares(st, &acct(20), NET, 1_000_000, 0));
        // the child has no stake of its own: all to the parent, minus a 10% take kept by the child
        assert_eq!(shares, vec![(acct(20), 99_992), (acct(10), 900_008)]); // 6553/65535 = 9.9992%
        let e = t.with(|st| set_childkey_take(st, &acct(2), &acct(20), NET, 12_000));
        assert_eq!(e, Err(ChainError::InvalidChildkeyTake(12_000)));
        let e = t.with(|st| set_childkey_take(st, &acct(2), &acct(20), NET, 7_000));
        assert!(matches!(
            e,
            Err(ChainError::TxChildkeyTakeRateLimitExceeded(_))
        ));
        let _ = TaoBalance::ZERO;
    }
}
