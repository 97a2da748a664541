//! Registration: burned_register (price decays with a half-life every block, ×1.26 after each
//! registration, clamped to [min_burn, max_burn]; the TAO buys alpha that is recycled),
//! root_register, uid assignment, immunity, and replacement of the weakest neuron when full.

use substrate_fixed::transcendental::exp;
use substrate_fixed::types::{I64F64, U64F64};
use types::{AccountId, AlphaBalance, NetUid, TaoBalance, Uid};

use crate::balances;
use crate::error::{ChainError, Result, overflow};
use crate::events::Event;
use crate::pool;
use crate::schema::{Neuron, Subnet};
use crate::state::State;
use crate::storage::{Hotkeys, Neurons, Uids, WeightCommits};
use crate::{hotkeys, shares};

/// The uid of `hotkey` on `netuid`, if registered.
pub fn uid_of(st: &State<'_>, netuid: NetUid, hotkey: &AccountId) -> Result<Option<Uid>> {
    st.get::<Uids>(&(netuid, *hotkey))
}

/// The neuron at `uid`.
pub fn neuron(st: &State<'_>, netuid: NetUid, uid: Uid) -> Result<Neuron> {
    st.get::<Neurons>(&(netuid, uid))?
        .ok_or_else(|| ChainError::Corrupt(format!("neuron {netuid}/{uid}")))
}

/// All neurons of a subnet in uid order.
pub fn neurons(st: &State<'_>, netuid: NetUid) -> Result<Vec<Neuron>> {
    let n = st.subnet(netuid)?.n;
    (0..n).map(|u| neuron(st, netuid, Uid(u))).collect()
}

fn link_hotkey(st: &mut State<'_>, netuid: NetUid, hotkey: &AccountId, uid: Uid) -> Result<()> {
    st.put::<Uids>(&(netuid, *hotkey), &uid)?;
    if let Some(mut info) = st.get::<Hotkeys>(hotkey)?
        && !info.registered_on.contains(&netuid)
    {
        info.registered_on.push(netuid);
        st.put::<Hotkeys>(hotkey, &info)?;
    }
    Ok(())
}

fn unlink_hotkey(st: &mut State<'_>, netuid: NetUid, hotkey: &AccountId) -> Result<()> {
    st.remove::<Uids>(&(netuid, *hotkey))?;
    st.remove::<WeightCommits>(&(netuid, *hotkey))?;
    if let Some(mut info) = st.get::<Hotkeys>(hotkey)? {
        info.registered_on.retain(|n| *n != netuid);
        st.put::<Hotkeys>(hotkey, &info)?;
    }
    Ok(())
}

/// Appends `hotkey` as uid n (the subnet must have room).
pub fn append_neuron(st: &mut State<'_>, netuid: NetUid, hotkey: &AccountId) -> Result<Uid> {
    let mut s = st.subnet(netuid)?;
    let uid = Uid(s.n);
    s.n = s.n.checked_add(1).ok_or_else(|| overflow("uids"))?;
    st.put_subnet(&s)?;
    st.put::<Neurons>(&(netuid, uid), &Neuron::new(*hotkey, st.block()))?;
    link_hotkey(st, netuid, hotkey, uid)?;
    Ok(uid)
}

/// Replaces the neuron at `uid` with `hotkey`: the old hotkey loses the uid, its axon, weights,
/// bonds and commits; others' weights and bonds to the uid are dropped. Stake is untouched.
pub fn replace_neuron(
    st: &mut State<'_>,
    netuid: NetUid,
    uid: Uid,
    hotkey: &AccountId,
) -> Result<AccountId> {
    let old = neuron(st, netuid, uid)?;
    unlink_hotkey(st, netuid, &old.hotkey)?;
    let n = st.subnet(netuid)?.n;
    for other in 0..n {
        let key = (netuid, Uid(other));
        if let Some(mut nr) = st.get::<Neurons>(&key)? {
            let before = (nr.weights.len(), nr.bonds.len());
            nr.weights.retain(|(j, _)| *j != uid.0);
            nr.bonds.retain(|(j, _)| *j != uid.0);
            if before != (nr.weights.len(), nr.bonds.len()) {
                st.put::<Neurons>(&key, &nr)?;
            }
        }
    }
    st.put::<Neurons>(&(netuid, uid), &Neuron::new(*hotkey, st.block()))?;
    link_hotkey(st, netuid, hotkey, uid)?;
    Ok(old.hotkey)
}

/// The uid to replace when the subnet is full: among neurons past their immunity period and
/// not owner-immune, the lowest emission, then the earliest registration, then the lowest uid.
pub fn neuron_to_prune(st: &State<'_>, subnet: &Subnet) -> Result<Option<Uid>> {
    let now = st.block();
    let all = neurons(st, subnet.netuid)?;
    // Owner immunity: the owner hotkey plus the owner's earliest other hotkeys, up to the limit.
    let mut owner_uids: Vec<(bool, u64, u16)> = Vec::new();
    for (i, nr) in all.iter().enumerate() {
        let owned = st
            .get::<Hotkeys>(&nr.hotkey)?
            .is_some_and(|h| h.owner == subnet.owner);
        if nr.hotkey == subnet.owner_hotkey || owned {
            owner_uids.push((
                nr.hotkey != subnet.owner_hotkey,
                nr.registered_at,
                u16::try_from(i).unwrap_or(u16::MAX),
            ));
        }
    }
    owner_uids.sort();
    let limit = usize::from(subnet.hp.immune_owner_uids_limit.max(1));
    let immortal: Vec<u16> = owner_uids.iter().take(limit).map(|(_, _, u)| *u).collect();
    let immunity = u64::from(subnet.hp.immunity_period);
    Ok(all
        .iter()
        .enumerate()
        .filter_map(|(i, nr)| u16::try_from(i).ok().map(|u| (u, nr)))
        .filter(|(u, nr)| !immortal.contains(u) && nr.hotkey != subnet.owner_hotkey)
        .filter(|(_, nr)| now.saturating_sub(nr.registered_at) >= immunity)
        .min_by_key(|(u, nr)| (nr.emission, nr.registered_at, *u))
        .map(|(u, _)| Uid(u)))
}

/// Per-block decay factor 2^(−1/half_life).
pub fn burn_decay_factor(half_life: u16) -> I64F64 {
    if half_life == 0 {
        return I64F64::from_num(1u32);
    }
    // ln 2 as an I64F64 constant, divided by the half-life, negated.
    let ln2 = I64F64::from_bits(0xB172_17F7_D1CF_79AB);
    let x = ln2
        .checked_div(I64F64::from_num(half_life))
        .unwrap_or(I64F64::from_num(0u32));
    exp::<I64F64, I64F64>(x.saturating_neg()).unwrap_or(I64F64::from_num(1u32))
}

fn clamp_burn(s: &Subnet, burn: u64) -> TaoBalance {
    TaoBalance::from_rao(
        burn.max(s.hp.min_burn.rao())
            .min(s.hp.max_burn.rao().max(s.hp.min_burn.rao())),
    )
}

/// The per-block registration-price decay (run by the block hook).
pub fn decay_burn(s: &mut Subnet) {
    let f = burn_decay_factor(s.hp.burn_half_life);
    let decayed = I64F64::from_num(s.burn.rao())
        .saturating_mul(f)
        .saturating_to_num::<u64>();
    s.burn = clamp_burn(s, decayed);
    s.registrations_this_block = 0;
}

/// The price after a registration (×burn_increase_mult, clamped).
pub fn bump_burn(s: &mut Subnet) {
    let m: U64F64 = s.hp.burn_increase_mult;
    let bumped = U64F64::from_num(s.burn.rao())
        .saturating_mul(m)
        .saturating_to_num::<u64>();
    s.burn = clamp_burn(s, bumped);
}

/// burned_register / register_limit. Returns the uid.
pub fn burned_register(
    st: &mut State<'_>,
    coldkey: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
    limit_price: Option<u64>,
) -> Result<Uid> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let subnet = st.subnet(netuid)?;
    if !subnet.hp.registration_allowed {
        return Err(ChainError::SubNetRegistrationDisabled(netuid));
    }
    if uid_of(st, netuid, hotkey)?.is_some() {
        return Err(ChainError::HotKeyAlreadyRegisteredInSubNet(netuid));
    }
    if let Some(info) = st.get::<Hotkeys>(hotkey)?
        && info.owner != *coldkey
    {
        return Err(ChainError::NonAssociatedColdKey);
    }
    let price = subnet.burn;
    if let Some(limit) = limit_price
        && price.rao() > limit
    {
        return Err(ChainError::RegistrationPriceLimitExceeded {
            price: price.rao(),
            limit,
        });
    }
    let free = balances::free(st, coldkey)?;
    if free < price {
        return Err(ChainError::InsufficientBalance {
            needed: price.rao(),
            available: free.rao(),
        });
    }
    let replace = if subnet.n >= subnet.hp.max_allowed_uids {
        Some(neuron_to_prune(st, &subnet)?.ok_or(ChainError::NoNeuronIdAvailable(netuid))?)
    } else {
        None
    };
    // Pay: the TAO buys alpha from the pool and the alpha is recycled (never enters alpha_out).
    balances::withdraw(st, coldkey, price, false)?;
    let mut s = st.subnet(netuid)?;
    let (net, fee) = match pool::quote_buy(s.mechanism, &s.pool, price.rao(), false) {
        Ok(q) => {
            s.pool.alpha_in = s
                .pool
                .alpha_in
                .saturating_sub(AlphaBalance::from_rao(q.amount_out));
            (price.rao().saturating_sub(q.fee), q.fee)
        }
        // A pool too thin to swap just keeps the TAO.
        Err(_) => (price.rao(), 0),
    };
    s.pool.tao = s
        .pool
        .tao
        .checked_add(TaoBalance::from_rao(net))
        .ok_or_else(|| overflow("pool"))?;
    s.pool.volume = s.pool.volume.saturating_add(u128::from(price.rao()));
    s.recycled_for_registration = s.recycled_for_registration.saturating_add(price);
    s.registrations_this_block = s.registrations_this_block.saturating_add(1);
    bump_burn(&mut s);
    st.put_subnet(&s)?;
    balances::pay_author(st, TaoBalance::from_rao(fee))?;
    hotkeys::ensure_hotkey(st, coldkey, hotkey)?;
    let (uid, replaced) = match replace {
        Some(uid) => (uid, Some(replace_neuron(st, netuid, uid, hotkey)?)),
        None => (append_neuron(st, netuid, hotkey)?, None),
    };
    st.emit(Event::NeuronRegistered {
        netuid,
        uid,
        hotkey: *hotkey,
        cost: price,
        replaced,
    });
    Ok(uid)
}

/// root_register: a uid on the root network; when full, replaces the lowest root stake if the
/// new hotkey's root stake is higher.
pub fn root_register(st: &mut State<'_>, coldkey: &AccountId, hotkey: &AccountId) -> Result<Uid> {
    let netuid = NetUid::ROOT;
    let mut root = st.subnet(netuid)?;
    if uid_of(st, netuid, hotkey)?.is_some() {
        return Err(ChainError::HotKeyAlreadyRegisteredInSubNet(netuid));
    }
    if root.registrations_this_block >= root.hp.max_registrations_per_block {
        return Err(ChainError::TooManyRegistrationsThisBlock(netuid));
    }
    hotkeys::ensure_hotkey(st, coldkey, hotkey)?;
    root.registrations_this_block = root.registrations_this_block.saturating_add(1);
    st.put_subnet(&root)?;
    let (uid, replaced) = if root.n < root.hp.max_allowed_uids {
        (append_neuron(st, netuid, hotkey)?, None)
    } else {
        let mine = shares::hotkey_alpha(st, hotkey, netuid)?;
        let mut lowest: Option<(AlphaBalance, Uid)> = None;
        for (u, nr) in neurons(st, netuid)?.iter().enumerate() {
            let stake = shares::hotkey_alpha(st, &nr.hotkey, netuid)?;
            let uid = Uid(u16::try_from(u).unwrap_or(u16::MAX));
            if lowest.is_none_or(|(s, _)| stake < s) {
                lowest = Some((stake, uid));
            }
        }
        match lowest {
            Some((stake, uid)) if mine > stake => {
                (uid, Some(replace_neuron(st, netuid, uid, hotkey)?))
            }
            _ => return Err(ChainError::StakeTooLowForRoot),
        }
    };
    st.emit(Event::NeuronRegistered {
        netuid,
        uid,
        hotkey: *hotkey,
        cost: TaoBalance::ZERO,
        replaced,
    });
    Ok(uid)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::hyperparams::HyperparamValue;
    use crate::testing::*;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn decay_halves_over_half_life() {
        let mut s = crate::subnets::new_subnet(
            NET,
            &acct(1),
            &acct(2),
            crate::hyperparams::Hyperparams::reference(),
            TaoBalance::from_rao(T),
            0,
        );
        for _ in 0..360 {
            decay_burn(&mut s);
        }
        let b = s.burn.rao();
        assert!((499_000_000..=501_000_000).contains(&b), "{b}");
        // clamped at min_burn
        for _ in 0..100_000 {
            decay_burn(&mut s);
        }
        assert_eq!(s.burn, s.hp.min_burn);
    }

    #[test]
    fn bump_is_times_1_26_and_clamped() {
        let mut s = crate::subnets::new_subnet(
            NET,
            &acct(1),
            &acct(2),
            crate::hyperparams::Hyperparams::reference(),
            TaoBalance::from_rao(T),
            0,
        );
        bump_burn(&mut s);
        assert_eq!(s.burn.rao() / 1_000, 1_259_999); // 1.26 (U64F64 of 126/100 truncates)
        s.burn = TaoBalance::from_rao(99 * T);
        bump_burn(&mut s);
        assert_eq!(s.burn, s.hp.max_burn);
    }

    #[test]
    fn burned_register_pays_into_pool_and_assigns_uids() {
        let mut t = TestChain::with_subnet(100 * T, 100 * T);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 10 * T);
        let burn = t.with(|st| Ok(st.subnet(NET)?.burn)).unwrap();
        let tao_before = t.with(|st| Ok(st.subnet(NET)?.pool.tao)).unwrap();
        let uid = t
            .with(|st| burned_register(st, &ck, NET, &hk, None))
            .unwrap();
        assert_eq!(uid, Uid(1)); // uid 0 is the owner hotkey
        let s = t.with(|st| st.subnet(NET)).unwrap();
        assert_eq!(t.free(&ck), 10 * T - burn.rao());
        assert!(s.pool.tao > tao_before);
        assert!(s.burn > burn);
        let e = t
            .with(|st| burned_register(st, &ck, NET, &hk, None))
            .unwrap_err();
        assert_eq!(e, ChainError::HotKeyAlreadyRegisteredInSubNet(NET));
        t.with(|st| hotkeys::ensure_hotkey(st, &ck, &acct(5)).map(|_| ()))
            .unwrap();
        let e = t
            .with(|st| burned_register(st, &acct(3), NET, &acct(5), None))
            .unwrap_err();
        assert_eq!(e, ChainError::NonAssociatedColdKey);
        let e = t
            .with(|st| burned_register(st, &ck, NET, &acct(4), Some(1)))
            .unwrap_err();
        assert!(matches!(
            e,
            ChainError::RegistrationPriceLimitExceeded { .. }
        ));
        let e = t
            .with(|st| burned_register(st, &ck, NetUid::ROOT, &acct(4), None))
            .unwrap_err();
        assert_eq!(e, ChainError::NotAllowedOnRoot);
        t.assert_conservation();
    }

    #[test]
    fn full_subnet_replaces_lowest_emission_non_immune() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.set_hparam(NET, HyperparamValue::MinAllowedUids(1));
        t.set_hparam(NET, HyperparamValue::MaxAllowedUids(4));
        t.set_hparam(NET, HyperparamValue::ImmunityPeriod(10));
        t.fund(&acct(1), 1_000 * T);
        for i in 0..3u8 {
            t.set_block(u64::from(i) + 1);
            t.with(|st| burned_register(st, &acct(1), NET, &acct(20 + i), None))
                .unwrap();
        }
        // full; everyone immune → nothing to replace
        t.set_block(5);
        let e = t
            .with(|st| burned_register(st, &acct(1), NET, &acct(30), None))
            .unwrap_err();
        assert_eq!(e, ChainError::NoNeuronIdAvailable(NET));
        // give uid 1 and 3 emission; uid 2 has none → replaced
        t.with(|st| {
            for (u, e) in [(1u16, 5u64), (3, 7)] {
                let mut nr = neuron(st, NET, Uid(u))?;
                nr.emission = AlphaBalance::from_rao(e);
                st.put::<Neurons>(&(NET, Uid(u)), &nr)?;
            }
            Ok(())
        })
        .unwrap();
        t.set_block(100);
        let uid = t
            .with(|st| burned_register(st, &acct(1), NET, &acct(30), None))
            .unwrap();
        assert_eq!(uid, Uid(2));
        assert_eq!(t.with(|st| uid_of(st, NET, &acct(21))).unwrap(), None);
        assert_eq!(
            t.with(|st| uid_of(st, NET, &acct(30))).unwrap(),
            Some(Uid(2))
        );
        // ties on emission (0): the earliest registered, then the lowest uid
        let uid = t
            .with(|st| burned_register(st, &acct(1), NET, &acct(31), None))
            .unwrap();
        assert_eq!(uid, Uid(1));
    }

    #[test]
    fn root_register_appends_then_requires_more_stake() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        let uid = t.with(|st| root_register(st, &acct(1), &acct(2))).unwrap();
        assert_eq!(uid, Uid(0));
        let e = t
            .with(|st| root_register(st, &acct(1), &acct(3)))
            .unwrap_err();
        assert_eq!(e, ChainError::TooManyRegistrationsThisBlock(NetUid::ROOT));
    }
}
