//! Subnets: creating them (register_network with its doubling, linearly decaying lock cost, its
//! rate limit, and pruning the cheapest non-immune subnet at the subnet limit), start_call,
//! identities, and dissolution (the pool's TAO paid out pro rata to alpha holders).

use substrate_fixed::types::U64F64;
use types::{AccountId, AlphaBalance, BlockNumber, NetUid, TaoBalance};

use crate::error::{ChainError, Result, overflow};
use crate::events::Event;
use crate::hyperparams::Hyperparams;
use crate::pool;
use crate::schema::{BlockEmission, Mechanism, PendingEmission, Pool, Subnet, SubnetIdentity};
use crate::state::State;
use crate::storage::{HotkeyPools, Hotkeys, Neurons, StakeShares, Uids, WeightCommits};
use crate::{balances, registration};
use crate::{hotkeys, shares};

/// The default swap fee rate (u16-normalised, ≈ 0.05%).
pub const DEFAULT_FEE_RATE: u16 = 33;

/// A fresh subnet record (no neurons yet).
pub fn new_subnet(
    netuid: NetUid,
    owner: &AccountId,
    owner_hotkey: &AccountId,
    hp: Hyperparams,
    burn: TaoBalance,
    now: BlockNumber,
) -> Subnet {
    let tempo = u64::from(hp.tempo);
    // Stagger epochs across subnets.
    let offset = u64::from(netuid.0).checked_rem(tempo).unwrap_or(0);
    Subnet {
        netuid,
        mechanism: if netuid.is_root() {
            Mechanism::Stable
        } else {
            Mechanism::Dynamic
        },
        owner: *owner,
        owner_hotkey: *owner_hotkey,
        registered_at: now,
        locked: TaoBalance::ZERO,
        hp,
        pool: Pool {
            fee_rate: DEFAULT_FEE_RATE,
            ..Pool::default()
        },
        moving_price: U64F64::from_num(0u32),
        n: 0,
        burn,
        registrations_this_block: 0,
        subtoken_enabled: false,
        emission_enabled: false,
        first_emission_block: None,
        last_epoch_block: now.saturating_sub(offset),
        pending_epoch_at: 0,
        epoch_index: 0,
        blocks_since_last_step: 0,
        pending: PendingEmission::default(),
        miner_burned: U64F64::from_num(0u32),
        identity: None,
        last_owner_change: Vec::new(),
        last_block_emission: BlockEmission::default(),
        recycled_for_registration: TaoBalance::ZERO,
        symbol: default_symbol(netuid),
    }
}

/// Default token symbols by netuid (root is τ), then the netuid's own number.
pub fn default_symbol(netuid: NetUid) -> Vec<u8> {
    const SYMBOLS: [&str; 25] = [
        "τ", "α", "β", "γ", "δ", "ε", "ζ", "η", "θ", "ι", "κ", "λ", "μ", "ν", "ξ", "ο", "π", "ρ",
        "σ", "ς", "υ", "φ", "χ", "ψ", "ω",
    ];
    match SYMBOLS.get(usize::from(netuid.0)) {
        Some(s) => s.as_bytes().to_vec(),
        None => format!("SN{}", netuid.0).into_bytes(),
    }
}

/// update_symbol (owner or sudo): a new, unused symbol of at most 32 bytes of UTF-8.
pub fn update_symbol(
    st: &mut State<'_>,
    signer: &AccountId,
    netuid: NetUid,
    symbol: Vec<u8>,
) -> Result<()> {
    let mut s = st.subnet(netuid)?;
    ensure_owner_or_sudo(st, signer, &s)?;
    if symbol.is_empty() || symbol.len() > 32 || core::str::from_utf8(&symbol).is_err() {
        return Err(ChainError::InvalidIdentity("symbol".into()));
    }
    if st
        .subnets()?
        .iter()
        .any(|o| o.netuid != netuid && o.symbol == symbol)
    {
        return Err(ChainError::SymbolAlreadyInUse);
    }
    s.symbol = symbol.clone();
    st.put_subnet(&s)?;
    st.emit(Event::SymbolUpdated { netuid, symbol });
    Ok(())
}

/// set_subnet_owner_hotkey (owner or sudo): a hotkey of the owner's coldkey becomes the owner
/// hotkey (registered on the subnet if it is not yet). Rate-limited to once per 50,400 blocks.
pub fn set_owner_hotkey(
    st: &mut State<'_>,
    signer: &AccountId,
    netuid: NetUid,
    hotkey: &AccountId,
) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let mut s = st.subnet(netuid)?;
    ensure_owner_or_sudo(st, signer, &s)?;
    let owner = s.owner;
    hotkeys::ensure_hotkey(st, &owner, hotkey)?;
    let now = st.block();
    const TAG: u8 = 0xF0; // rate-limit slot of this call in last_owner_change
    if let Some((_, last)) = s.last_owner_change.iter().find(|(t, _)| *t == TAG) {
        let at = last.saturating_add(OWNER_HOTKEY_RATE_LIMIT);
        if now < at {
            return Err(ChainError::OwnerHyperparamRateLimited {
                name: "owner_hotkey".into(),
                at,
            });
        }
    }
    s.last_owner_change.retain(|(t, _)| *t != TAG);
    s.last_owner_change.push((TAG, now));
    s.owner_hotkey = *hotkey;
    let full = s.n >= s.hp.max_allowed_uids;
    st.put_subnet(&s)?;
    if registration::uid_of(st, netuid, hotkey)?.is_none() && !full {
        registration::append_neuron(st, netuid, hotkey)?;
    }
    st.emit(Event::OwnerHotkeySet {
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

/// Blocks between owner hotkey changes.
pub const OWNER_HOTKEY_RATE_LIMIT: u64 = 50_400;

/// Creates the root network (genesis).
pub fn create_root(st: &mut State<'_>, owner: &AccountId) -> Result<()> {
    let p = st.params()?;
    let hp = Hyperparams::root(&p.new_subnet);
    let mut root = new_subnet(NetUid::ROOT, owner, owner, hp, TaoBalance::ZERO, st.block());
    root.subtoken_enabled = true;
    st.put_subnet(&root)
}

/// Creates a dynamic subnet with a seeded pool and the owner hotkey as uid 0. The pool's TAO
/// must already be debited (or minted) by the caller.
pub fn create_subnet(
    st: &mut State<'_>,
    netuid: NetUid,
    owner: &AccountId,
    owner_hotkey: &AccountId,
    pool_tao: TaoBalance,
    pool_alpha: AlphaBalance,
) -> Result<Subnet> {
    let p = st.params()?;
    let now = st.block();
    hotkeys::ensure_hotkey(st, owner, owner_hotkey)?;
    let mut s = new_subnet(
        netuid,
        owner,
        owner_hotkey,
        p.new_subnet.clone(),
        p.new_subnet_burn,
        now,
    );
    s.pool.tao = pool_tao;
    s.pool.alpha_in = pool_alpha;
    s.emission_enabled = p.new_subnet_emission_enabled;
    // The moving price starts at the spot price.
    s.moving_price = pool::spot_price(s.mechanism, &s.pool).min(U64F64::from_num(1u32));
    st.put_subnet(&s)?;
    registration::append_neuron(st, netuid, owner_hotkey)?;
    st.subnet(netuid)
}

/// The current lock cost: max(min_lock, mult·last − last·(now − last_block)/interval) where mult
/// is 2 once any subnet was registered, and the interval stretches as block emission halves.
pub fn lock_cost(st: &State<'_>) -> Result<TaoBalance> {
    let p = st.params()?;
    let t = st.totals()?;
    let last = t.network_last_lock.rao();
    let mult: u64 = if t.network_last_lock_block == 0 { 1 } else { 2 };
    let emission = crate::coinbase::halving_emission(t.total_issuance.rao());
    let interval = pool::mul_div(
        p.network_lock_reduction_interval,
        emission,
        types::RAO_PER_TAO,
    )
    .unwrap_or(0);
    let elapsed = st.block().saturating_sub(t.network_last_lock_block);
    let decay = if interval == 0 {
        u64::MAX
    } else {
        pool::mul_div(last, elapsed, interval).unwrap_or(u64::MAX)
    };
    let cost = last.saturating_mul(mult).saturating_sub(decay);
    Ok(TaoBalance::from_rao(cost.max(p.network_min_lock.rao())))
}

fn lowest_free_netuid(subnets: &[Subnet]) -> Option<NetUid> {
    (1..=u16::MAX)
        .map(NetUid)
        .find(|n| !subnets.iter().any(|s| s.netuid == *n))
}

/// The subnet to prune at the limit: lowest moving price among non-immune subnets, oldest first.
pub fn subnet_to_prune(st: &State<'_>) -> Result<Option<NetUid>> {
    let p = st.params()?;
    let now = st.block();
    Ok(st
        .subnets()?
        .into_iter()
        .filter(|s| !s.netuid.is_root())
        .filter(|s| now.saturating_sub(s.registered_at) > p.network_immunity_period)
        .min_by(|a, b| {
            a.moving_price
                .cmp(&b.moving_price)
                .then(a.registered_at.cmp(&b.registered_at))
                .then(a.netuid.cmp(&b.netuid))
        })
        .map(|s| s.netuid))
}

/// Median spot price of existing dynamic subnets (1 if none).
fn median_price(subnets: &[Subnet]) -> U64F64 {
    let mut prices: Vec<U64F64> = subnets
        .iter()
        .filter(|s| s.mechanism == Mechanism::Dynamic && !s.pool.alpha_in.is_zero())
        .map(|s| pool::spot_price(s.mechanism, &s.pool))
        .collect();
    prices.sort();
    let n = prices.len();
    let mid = n.checked_div(2).unwrap_or(0);
    match (prices.get(mid.saturating_sub(1)), prices.get(mid)) {
        (_, None) => U64F64::from_num(1u32),
        (Some(a), Some(b)) if n.checked_rem(2) == Some(0) => a
            .saturating_add(*b)
            .checked_div(U64F64::from_num(2u32))
            .unwrap_or(*b),
        (_, Some(b)) => *b,
    }
}

/// register_network: the signer (coldkey) pays the lock cost into the new subnet's pool.
pub fn register_network(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
    identity: Option<SubnetIdentity>,
) -> Result<NetUid> {
    let p = st.params()?;
    let t = st.totals()?;
    let now = st.block();
    if t.networks_registered > 0 {
        let at = t
            .network_last_lock_block
            .saturating_add(p.network_rate_limit);
        if now < at {
            return Err(ChainError::NetworkTxRateLimitExceeded(at));
        }
    }
    if let Some(info) = st.get::<Hotkeys>(hotkey)?
        && info.owner != *coldkey
    {
        return Err(ChainError::NonAssociatedColdKey);
    }
    if let Some(id) = &identity {
        validate_identity(id)?;
    }
    let cost = lock_cost(st)?;
    let free = balances::free(st, coldkey)?;
    if free < cost {
        return Err(ChainError::InsufficientBalance {
            needed: cost.rao(),
            available: free.rao(),
        });
    }
    let subnets = st.subnets()?;
    let count = subnets.iter().filter(|s| !s.netuid.is_root()).count();
    let netuid = if count >= usize::from(p.subnet_limit) {
        let victim = subnet_to_prune(st)?.ok_or(ChainError::SubnetLimitReached)?;
        dissolve_network(st, victim)?;
        victim
    } else {
        lowest_free_netuid(&subnets).ok_or(ChainError::SubnetLimitReached)?
    };
    let price = median_price(&st.subnets()?);
    balances::withdraw(st, coldkey, cost, false)?;
    let pool_tao = cost.max(p.network_min_lock);
    let alpha = U64F64::from_num(pool_tao.rao())
        .checked_div(price)
        .map(|a| a.saturating_to_num::<u64>())
        .unwrap_or(pool_tao.rao());
    let mut subnet = create_subnet(
        st,
        netuid,
        coldkey,
        hotkey,
        pool_tao,
        AlphaBalance::from_rao(alpha),
    )?;
    subnet.locked = cost;
    subnet.identity = identity;
    st.put_subnet(&subnet)?;
    let mut t = st.totals()?;
    t.network_last_lock = cost;
    t.network_last_lock_block = now;
    t.networks_registered = t
        .networks_registered
        .checked_add(1)
        .ok_or_else(|| overflow("networks"))?;
    st.put_totals(&t)?;
    st.emit(Event::NetworkAdded {
        netuid,
        owner: *coldkey,
        lock: cost,
    });
    Ok(netuid)
}

/// start_call: the owner starts emission and trading, after the start-call delay.
pub fn start_call(st: &mut State<'_>, signer: &AccountId, netuid: NetUid) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let mut s = st.subnet(netuid)?;
    ensure_owner_or_sudo(st, signer, &s)?;
    if s.first_emission_block.is_some() {
        return Err(ChainError::FirstEmissionBlockNumberAlreadySet(netuid));
    }
    let at = s
        .registered_at
        .saturating_add(st.params()?.start_call_delay);
    let now = st.block();
    if now < at {
        return Err(ChainError::NeedWaitingMoreBlocksToStartCall { netuid, at });
    }
    let first = now.saturating_add(1);
    s.first_emission_block = Some(first);
    s.subtoken_enabled = true;
    st.put_subnet(&s)?;
    st.emit(Event::SubnetStarted {
        netuid,
        first_emission_block: first,
    });
    Ok(())
}

/// trigger_epoch: the owner asks for an epoch after the admin freeze window (at least the next
/// block). Not allowed with commit-reveal on, whose reveals follow the regular schedule.
pub fn trigger_epoch(st: &mut State<'_>, signer: &AccountId, netuid: NetUid) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let mut s = st.subnet(netuid)?;
    ensure_owner_or_sudo(st, signer, &s)?;
    if s.hp.commit_reveal_enabled {
        return Err(ChainError::CommitRevealEnabled(netuid));
    }
    let window = u64::from(st.params()?.admin_freeze_window).max(1);
    let at = st.block().saturating_add(window);
    s.pending_epoch_at = at;
    st.put_subnet(&s)?;
    st.emit(Event::EpochTriggered { netuid, at });
    Ok(())
}

/// Fails unless `signer` owns the subnet or is sudo.
pub fn ensure_owner_or_sudo(st: &State<'_>, signer: &AccountId, s: &Subnet) -> Result<()> {
    if s.owner == *signer || st.params()?.sudo.as_ref() == Some(signer) {
        Ok(())
    } else {
        Err(ChainError::NotSubnetOwner(s.netuid))
    }
}

fn validate_identity(id: &SubnetIdentity) -> Result<()> {
    let fields: [(&str, &Vec<u8>, usize); 8] = [
        ("subnet_name", &id.subnet_name, 256),
        ("github_repo", &id.github_repo, 1024),
        ("subnet_contact", &id.subnet_contact, 1024),
        ("subnet_url", &id.subnet_url, 1024),
        ("discord", &id.discord, 256),
        ("description", &id.description, 1024),
        ("logo_url", &id.logo_url, 1024),
        ("additional", &id.additional, 1024),
    ];
    for (name, value, max) in fields {
        if value.len() > max {
            return Err(ChainError::InvalidIdentity(name.into()));
        }
    }
    Ok(())
}

/// set_subnet_identity (owner or sudo).
pub fn set_subnet_identity(
    st: &mut State<'_>,
    signer: &AccountId,
    netuid: NetUid,
    identity: SubnetIdentity,
) -> Result<()> {
    let mut s = st.subnet(netuid)?;
    ensure_owner_or_sudo(st, signer, &s)?;
    validate_identity(&identity)?;
    s.identity = Some(identity);
    st.put_subnet(&s)?;
    st.emit(Event::SubnetIdentitySet { netuid });
    Ok(())
}

/// Dissolves a subnet: its pool's TAO goes to alpha holders pro rata to their alpha (largest
/// remainder), or to the owner if nobody holds alpha; all its neurons, stakes and records go.
pub fn dissolve_network(st: &mut State<'_>, netuid: NetUid) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::NotAllowedOnRoot);
    }
    let subnet = st.subnet(netuid)?;
    // Holders: (coldkey, alpha value) over every hotkey pool on this subnet.
    let mut holders: Vec<(AccountId, u64)> = Vec::new();
    let pools: Vec<_> = st
        .scan::<HotkeyPools, ()>(&())?
        .into_iter()
        .filter(|((_, n), _)| *n == netuid)
        .collect();
    for ((hotkey, _), _) in &pools {
        for (coldkey, value) in shares::stakers(st, hotkey, netuid)? {
            holders.push((coldkey, value.rao()));
        }
        for ((h, n, c), _) in st.scan::<StakeShares, _>(&(*hotkey, netuid))? {
            st.remove::<StakeShares>(&(h, n, c))?;
        }
        st.remove::<HotkeyPools>(&(*hotkey, netuid))?;
    }
    let pot = subnet.pool.tao.rao();
    let total: u128 = holders.iter().map(|(_, v)| u128::from(*v)).sum();
    let mut paid: u64 = 0;
    if total == 0 {
        balances::deposit(st, &subnet.owner, subnet.pool.tao)?;
        paid = pot;
    } else {
        // Largest remainder: floor shares first, then one rao to the largest remainders.
        let mut shares: Vec<(usize, u64, u128)> = holders
            .iter()
            .enumerate()
            .map(|(i, (_, v))| {
                let num = u128::from(pot).saturating_mul(u128::from(*v));
                let q = num.checked_div(total).unwrap_or(0);
                let r = num.checked_rem(total).unwrap_or(0);
                (i, u64::try_from(q).unwrap_or(0), r)
            })
            .collect();
        let floor_sum: u64 = shares
            .iter()
            .map(|(_, q, _)| *q)
            .fold(0u64, u64::saturating_add);
        let mut left = pot.saturating_sub(floor_sum);
        shares.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for (i, q, _) in shares {
            let extra = if left > 0 { 1 } else { 0 };
            left = left.saturating_sub(extra);
            let amount = q.saturating_add(extra);
            if let Some((coldkey, _)) = holders.get(i) {
                balances::deposit(st, coldkey, TaoBalance::from_rao(amount))?;
            }
            paid = paid.saturating_add(amount);
        }
    }
    // Anything not paid (none, by construction) is recycled.
    balances::recycle(st, TaoBalance::from_rao(pot.saturating_sub(paid)))?;
    // Neurons, uids, commits.
    for ((n, uid), neuron) in st.scan::<Neurons, _>(&netuid)? {
        st.remove::<Neurons>(&(n, uid))?;
        st.remove::<Uids>(&(netuid, neuron.hotkey))?;
        st.remove::<WeightCommits>(&(netuid, neuron.hotkey))?;
        if let Some(mut info) = st.get::<Hotkeys>(&neuron.hotkey)? {
            info.registered_on.retain(|x| *x != netuid);
            st.put::<Hotkeys>(&neuron.hotkey, &info)?;
        }
    }
    crate::childkeys::remove_subnet(st, netuid)?;
    st.remove::<crate::storage::Subnets>(&netuid)?;
    st.emit(Event::NetworkRemoved {
        netuid,
        distributed: TaoBalance::from_rao(paid),
    });
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::staking;
    use crate::testing::*;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn lock_cost_doubles_then_decays_linearly() {
        let mut t = TestChain::new();
        let min = t.with(|st| Ok(st.params()?.network_min_lock)).unwrap();
        assert_eq!(t.with(|st| lock_cost(st)).unwrap(), min);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 100_000 * T);
        t.set_block(10);
        let netuid = t.with(|st| register_network(st, &ck, &hk, None)).unwrap();
        assert_eq!(netuid, NetUid(1));
        // right after: doubled
        assert_eq!(t.with(|st| lock_cost(st)).unwrap().rao(), 2 * min.rao());
        // half an interval later: 1.5×
        let interval = t
            .with(|st| Ok(st.params()?.network_lock_reduction_interval))
            .unwrap();
        t.set_block(10 + interval / 2);
        assert_eq!(t.with(|st| lock_cost(st)).unwrap().rao(), 3 * min.rao() / 2);
        t.set_block(10 + 5 * interval);
        assert_eq!(t.with(|st| lock_cost(st)).unwrap(), min);
    }

    #[test]
    fn register_network_seeds_pool_and_owner_uid() {
        let mut t = TestChain::new();
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 2_000 * T);
        let netuid = t.with(|st| register_network(st, &ck, &hk, None)).unwrap();
        let s = t.with(|st| st.subnet(netuid)).unwrap();
        assert_eq!(s.pool.tao.rao(), 1_000 * T);
        assert_eq!(s.pool.alpha_in.rao(), 1_000 * T); // first subnet: price 1
        assert_eq!(s.n, 1);
        assert_eq!(s.owner_hotkey, hk);
        assert!(!s.subtoken_enabled);
        assert_eq!(t.free(&ck), 1_000 * T);
        // rate limit
        t.fund(&ck, 10_000 * T);
        let e = t
            .with(|st| register_network(st, &ck, &acct(3), None))
            .unwrap_err();
        assert!(matches!(e, ChainError::NetworkTxRateLimitExceeded(_)));
        // someone else's hotkey
        t.set_block(100_000);
        t.fund(&acct(5), 10_000 * T);
        let e = t
            .with(|st| register_network(st, &acct(5), &hk, None))
            .unwrap_err();
        assert_eq!(e, ChainError::NonAssociatedColdKey);
        t.assert_conservation();
    }

    #[test]
    fn start_call_once_by_owner() {
        let mut t = TestChain::new();
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 2_000 * T);
        let netuid = t.with(|st| register_network(st, &ck, &hk, None)).unwrap();
        let e = t.with(|st| start_call(st, &acct(7), netuid)).unwrap_err();
        assert_eq!(e, ChainError::NotSubnetOwner(netuid));
        t.with(|st| start_call(st, &ck, netuid)).unwrap();
        let s = t.with(|st| st.subnet(netuid)).unwrap();
        assert!(s.subtoken_enabled);
        let e = t.with(|st| start_call(st, &ck, netuid)).unwrap_err();
        assert_eq!(e, ChainError::FirstEmissionBlockNumberAlreadySet(netuid));
    }

    #[test]
    fn subnet_limit_prunes_lowest_price_and_pays_holders() {
        let mut t = TestChain::new();
        t.sudo(crate::params::GlobalParam::SubnetLimit(2));
        t.sudo(crate::params::GlobalParam::NetworkRateLimit(0));
        t.sudo(crate::params::GlobalParam::NetworkImmunityPeriod(5));
        let ck = acct(1);
        t.fund(&ck, 100_000 * T);
        let a = t
            .with(|st| register_network(st, &ck, &acct(10), None))
            .unwrap();
        let b = t
            .with(|st| register_network(st, &ck, &acct(11), None))
            .unwrap();
        // make `a` cheaper by its moving price
        t.with(|st| {
            let mut s = st.subnet(a)?;
            s.moving_price = U64F64::from_num(0u32);
            st.put_subnet(&s)?;
            let mut s = st.subnet(b)?;
            s.moving_price = U64F64::from_num(1u32);
            st.put_subnet(&s)
        })
        .unwrap();
        let e = t
            .with(|st| register_network(st, &ck, &acct(12), None))
            .unwrap_err();
        assert_eq!(e, ChainError::SubnetLimitReached); // both immune
        t.set_block(100);
        let before = t.free(&ck);
        let c = t
            .with(|st| register_network(st, &ck, &acct(12), None))
            .unwrap();
        assert_eq!(c, a);
        // the owner had no alpha: pool TAO back to the owner, minus the new lock
        assert!(t.free(&ck) > before - 10_000 * T);
        t.assert_conservation();
    }

    #[test]
    fn dissolve_pays_alpha_holders_pro_rata() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        let (a, b, hk) = (acct(1), acct(2), acct(3));
        t.fund(&a, 1_000 * T);
        t.fund(&b, 1_000 * T);
        t.with(|st| {
            hotkeys::ensure_hotkey(st, &a, &hk)?;
            staking::add_stake(st, &a, &hk, NET, TaoBalance::from_rao(300 * T), None)?;
            staking::add_stake(st, &b, &hk, NET, TaoBalance::from_rao(100 * T), None)?;
            Ok(())
        })
        .unwrap();
        let sa = t.read(|st| shares::stake_of(st, &hk, NET, &a)).rao();
        let sb = t.read(|st| shares::stake_of(st, &hk, NET, &b)).rao();
        let pot = t.read(|st| Ok(st.subnet(NET)?.pool.tao)).rao();
        let (fa, fb) = (t.free(&a), t.free(&b));
        t.with(|st| dissolve_network(st, NET)).unwrap();
        let (ga, gb) = (t.free(&a) - fa, t.free(&b) - fb);
        assert_eq!(ga + gb, pot, "the whole pool is paid out");
        let expected_a =
            u64::try_from(u128::from(pot) * u128::from(sa) / u128::from(sa + sb)).unwrap();
        assert!(ga.abs_diff(expected_a) <= 1);
        assert!(!t.read(|st| st.subnet_exists(NET)));
        assert_eq!(t.read(|st| shares::stake_of(st, &hk, NET, &a)).rao(), 0);
        t.assert_conservation();
    }

    #[test]
    fn trigger_epoch_runs_after_the_freeze_window() {
        let mut t = TestChain::with_subnet(100 * T, 100 * T);
        let owner = t.read(|st| Ok(st.subnet(NET)?.owner));
        let e = t.with(|st| trigger_epoch(st, &owner, NET)).unwrap_err();
        assert_eq!(e, ChainError::CommitRevealEnabled(NET));
        t.set_hparam(
            NET,
            crate::hyperparams::HyperparamValue::CommitRevealEnabled(false),
        );
        t.set_block(5);
        t.with(|st| trigger_epoch(st, &owner, NET)).unwrap();
        assert_eq!(t.read(|st| Ok(st.subnet(NET)?.pending_epoch_at)), 15);
        t.run_blocks(10); // blocks 6..=15
        let s = t.read(|st| st.subnet(NET));
        assert_eq!(
            (s.epoch_index, s.last_epoch_block, s.pending_epoch_at),
            (1, 15, 0)
        );
    }

    #[test]
    fn symbols_default_by_netuid_and_stay_unique() {
        assert_eq!(default_symbol(NetUid(0)), "τ".as_bytes());
        assert_eq!(default_symbol(NetUid(1)), "α".as_bytes());
        assert_eq!(default_symbol(NetUid(300)), b"SN300");
        let mut t = TestChain::with_subnet(100 * T, 100 * T);
        t.add_subnet(NetUid(2), 100 * T, 100 * T);
        let owner = t.read(|st| Ok(st.subnet(NET)?.owner));
        let e = t
            .with(|st| update_symbol(st, &owner, NET, "β".as_bytes().to_vec()))
            .unwrap_err();
        assert_eq!(e, ChainError::SymbolAlreadyInUse);
        t.with(|st| update_symbol(st, &owner, NET, b"APEX".to_vec()))
            .unwrap();
        assert_eq!(t.read(|st| Ok(st.subnet(NET)?.symbol)), b"APEX");
        let e = t
            .with(|st| update_symbol(st, &acct(9), NET, b"X".to_vec()))
            .unwrap_err();
        assert_eq!(e, ChainError::NotSubnetOwner(NET));
    }

    #[test]
    fn owner_hotkey_changes_are_rate_limited() {
        let mut t = TestChain::with_subnet(100 * T, 100 * T);
        let owner = t.read(|st| Ok(st.subnet(NET)?.owner));
        t.set_block(10);
        t.with(|st| set_owner_hotkey(st, &owner, NET, &acct(50)))
            .unwrap();
        let s = t.read(|st| st.subnet(NET));
        assert_eq!(s.owner_hotkey, acct(50));
        assert!(
            t.read(|st| registration::uid_of(st, NET, &acct(50)))
                .is_some()
        );
        let e = t
            .with(|st| set_owner_hotkey(st, &owner, NET, &acct(51)))
            .unwrap_err();
        assert!(matches!(e, ChainError::OwnerHyperparamRateLimited { .. }));
        // someone else's hotkey cannot become the owner hotkey
        t.with(|st| hotkeys::ensure_hotkey(st, &acct(7), &acct(52)).map(|_| ()))
            .unwrap();
        t.set_block(100_000);
        let e = t
            .with(|st| set_owner_hotkey(st, &owner, NET, &acct(52)))
            .unwrap_err();
        assert_eq!(e, ChainError::NonAssociatedColdKey);
    }

    #[test]
    fn identity_is_owner_only_and_bounded() {
        let mut t = TestChain::with_subnet(10 * T, 10 * T);
        let owner = t.with(|st| Ok(st.subnet(NET)?.owner)).unwrap();
        let id = SubnetIdentity {
            subnet_name: b"x".to_vec(),
            ..Default::default()
        };
        t.with(|st| set_subnet_identity(st, &owner, NET, id.clone()))
            .unwrap();
        let e = t
            .with(|st| set_subnet_identity(st, &acct(99), NET, id.clone()))
            .unwrap_err();
        assert_eq!(e, ChainError::NotSubnetOwner(NET));
        let long = SubnetIdentity {
            subnet_name: vec![0; 300],
            ..Default::default()
        };
        let e = t
            .with(|st| set_subnet_identity(st, &owner, NET, long))
            .unwrap_err();
        assert_eq!(e, ChainError::InvalidIdentity("subnet_name".into()));
    }
}
