//! The per-block hook: scheduled coldkey swaps, registration-price decay, block emission
//! (1 TAO halving by issuance under the 21M cap), its split across subnets by moving price,
//! each subnet's TAO injection / chain buy and alpha minting (chain.md §4.3), the moving-price
//! EMA, and the epoch schedule (LastEpochBlock + tempo, at most MaxEpochsPerBlock per block).

use substrate_fixed::types::U64F64;
use types::{AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

use crate::error::Result;
use crate::events::Event;
use crate::pool;
use crate::schema::{BlockEmission, Mechanism, PendingEmission, Subnet};
use crate::state::State;
use crate::{balances, epoch, registration, swap_keys};

/// 21M TAO in rao.
pub const TOTAL_SUPPLY: u64 = 21_000_000 * RAO_PER_TAO;
/// 1 TAO (or 1 α) per block before halvings.
pub const BASE_EMISSION: u64 = RAO_PER_TAO;
/// An epoch is forced after this many blocks without one.
pub const MAX_BLOCKS_WITHOUT_EPOCH: u64 = 50_400;

fn fx(v: u64) -> U64F64 {
    U64F64::from_num(v)
}

fn zero() -> U64F64 {
    U64F64::from_num(0u32)
}

/// Emission per block for an issuance: 1 / 2^k with k = floor(log2(S / (S − issuance))).
pub fn halving_emission(issuance: u64) -> u64 {
    let Some(remaining) = TOTAL_SUPPLY.checked_sub(issuance).filter(|r| *r > 0) else {
        return 0;
    };
    let mut k: u32 = 0;
    while k < 63
        && u128::from(remaining)
            .checked_shl(k.saturating_add(1))
            .is_some_and(|v| v <= u128::from(TOTAL_SUPPLY))
    {
        k = k.saturating_add(1);
    }
    BASE_EMISSION.checked_shr(k).unwrap_or(0)
}

/// root_prop = (Y_root · τw) / (Y_root · τw + A).
pub fn root_proportion(root_tao: u64, tao_weight: u64, alpha_issuance: u64) -> U64F64 {
    let weighted = fx(pool::mul_div(root_tao, tao_weight, u64::MAX).unwrap_or(0));
    let den = weighted.saturating_add(fx(alpha_issuance));
    weighted.checked_div(den).unwrap_or(zero())
}

/// Pool-side terms of one subnet for one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Injection {
    /// TAO added to the pool with `alpha_in`.
    pub tao_in: u64,
    /// Alpha added to the pool.
    pub alpha_in: u64,
    /// TAO that buys alpha for the protocol (chain buy).
    pub excess: u64,
}

/// chain.md §4.3: desired alpha_in = T/p, capped at root_prop · alpha_emission; when capped
/// tao_in = alpha_in · p and the rest of T is a chain buy.
pub fn injection(
    tao_emission: u64,
    price: U64F64,
    alpha_emission: u64,
    root_prop: U64F64,
) -> Injection {
    if price == zero() {
        return Injection {
            tao_in: 0,
            alpha_in: 0,
            excess: tao_emission,
        };
    }
    let desired = fx(tao_emission).checked_div(price).unwrap_or(zero());
    let cap = root_prop.saturating_mul(fx(alpha_emission));
    if desired <= cap {
        return Injection {
            tao_in: tao_emission,
            alpha_in: desired.saturating_to_num(),
            excess: 0,
        };
    }
    let alpha_in: u64 = cap.saturating_to_num();
    let tao_in = fx(alpha_in)
        .saturating_mul(price)
        .saturating_to_num::<u64>()
        .min(tao_emission);
    Injection {
        tao_in,
        alpha_in,
        excess: tao_emission.saturating_sub(tao_in),
    }
}

/// How one block's alpha_out is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlphaSplit {
    /// Owner cut.
    pub owner: u64,
    /// Miners.
    pub server: u64,
    /// Validators (alpha dividends).
    pub validator: u64,
    /// Root dividends.
    pub root: u64,
    /// Root share recycled because root-sell is off.
    pub recycled: u64,
}

/// Splits `alpha` per chain.md §4.3.
pub fn split_alpha_out(
    alpha: u64,
    owner_cut: u16,
    root_prop: U64F64,
    root_sell: bool,
) -> AlphaSplit {
    let owner = pool::mul_div(alpha, u64::from(owner_cut), u64::from(u16::MAX)).unwrap_or(0);
    let rest = alpha.saturating_sub(owner);
    let server = rest.checked_div(2).unwrap_or(0);
    let half_v = rest.saturating_sub(server);
    let root_alpha: u64 = root_prop
        .saturating_mul(fx(half_v))
        .saturating_to_num::<u64>()
        .min(half_v);
    let (root, recycled) = if root_sell {
        (root_alpha, 0)
    } else {
        (0, root_alpha)
    };
    AlphaSplit {
        owner,
        server,
        validator: half_v.saturating_sub(root_alpha),
        root,
        recycled,
    }
}

/// The moving-price EMA step.
pub fn update_moving_price(s: &mut Subnet, now: u64, base_alpha: U64F64) {
    let start = s.first_emission_block.unwrap_or(now).saturating_sub(1);
    let b = fx(now.saturating_sub(start));
    let h = fx(s.hp.ema_price_halving_blocks);
    let a = base_alpha.saturating_mul(b.checked_div(b.saturating_add(h)).unwrap_or(zero()));
    let p = pool::spot_price(s.mechanism, &s.pool).min(fx(1));
    let one_minus = fx(1).saturating_sub(a);
    s.moving_price = a
        .saturating_mul(p)
        .saturating_add(one_minus.saturating_mul(s.moving_price));
}

fn is_emitting(s: &Subnet, now: u64) -> bool {
    !s.netuid.is_root()
        && s.first_emission_block.is_some_and(|b| b <= now)
        && s.subtoken_enabled
        && s.hp.registration_allowed
}

/// Each emitting subnet's share of the block emission (chain.md §4.2).
pub fn emission_shares(subnets: &[Subnet], now: u64, emission: u64) -> Vec<u64> {
    let price = |s: &Subnet| {
        if s.mechanism == Mechanism::Stable {
            fx(1)
        } else {
            s.moving_price
        }
    };
    let mut w: Vec<U64F64> = subnets
        .iter()
        .map(|s| {
            if is_emitting(s, now) {
                price(s).saturating_mul(fx(1).saturating_sub(s.miner_burned))
            } else {
                zero()
            }
        })
        .collect();
    if w.iter().all(|x| *x == zero()) {
        w = subnets
            .iter()
            .map(|s| {
                if is_emitting(s, now) {
                    price(s)
                } else {
                    zero()
                }
            })
            .collect();
    }
    for (x, s) in w.iter_mut().zip(subnets) {
        if !s.emission_enabled {
            *x = zero();
        }
    }
    let total = w.iter().fold(zero(), |a, b| a.saturating_add(*b));
    w.iter()
        .map(|x| {
            x.checked_div(total)
                .map(|share| {
                    share
                        .saturating_mul(fx(emission))
                        .saturating_to_num::<u64>()
                })
                .unwrap_or(0)
        })
        .collect()
}

/// The per-block hook.
pub fn on_initialize(st: &mut State<'_>) -> Result<()> {
    swap_keys::execute_due(st)?;
    let now = st.block();
    let params = st.params()?;
    let mut subnets = st.subnets()?;
    for s in subnets.iter_mut() {
        if s.netuid.is_root() {
            s.registrations_this_block = 0;
        } else {
            registration::decay_burn(s);
        }
    }
    // Block emission.
    let mut totals = st.totals()?;
    let issuance = totals.total_issuance.rao();
    let emission = halving_emission(issuance).min(TOTAL_SUPPLY.saturating_sub(issuance));
    totals.block_emission = TaoBalance::from_rao(emission);
    st.put_totals(&totals)?;
    let shares = emission_shares(&subnets, now, emission);
    let root_tao = subnets
        .iter()
        .find(|s| s.netuid.is_root())
        .map_or(0, |s| s.pool.tao.rao());
    let price_sum = subnets
        .iter()
        .filter(|s| is_emitting(s, now))
        .fold(zero(), |a, s| a.saturating_add(s.moving_price));
    let root_sell = price_sum > fx(1);
    let mut minted: u64 = 0;
    let mut recycled_alpha_total: u64 = 0;
    for (s, tao_emission) in subnets.iter_mut().zip(shares) {
        if !is_emitting(s, now) {
            s.last_block_emission = BlockEmission::default();
            continue;
        }
        let issuance_alpha = s.pool.alpha_issuance();
        let alpha_emission = halving_emission(issuance_alpha);
        let rp = root_proportion(root_tao, params.tao_weight, issuance_alpha);
        let price = pool::spot_price(s.mechanism, &s.pool);
        let inj = injection(tao_emission, price, alpha_emission, rp);
        s.pool.tao = s.pool.tao.saturating_add(TaoBalance::from_rao(inj.tao_in));
        s.pool.alpha_in = s
            .pool
            .alpha_in
            .saturating_add(AlphaBalance::from_rao(inj.alpha_in));
        if inj.excess > 0 {
            match pool::buy(s.mechanism, &mut s.pool, inj.excess, true) {
                Ok((bought, _)) => {
                    s.pool.protocol_alpha = s
                        .pool
                        .protocol_alpha
                        .saturating_add(AlphaBalance::from_rao(bought));
                }
                // A pool too thin for the buy just keeps the TAO.
                Err(_) => s.pool.tao = s.pool.tao.saturating_add(TaoBalance::from_rao(inj.excess)),
            }
        }
        minted = minted.saturating_add(tao_emission);
        let cut = if s.hp.owner_cut_enabled {
            params.subnet_owner_cut
        } else {
            0
        };
        let split = split_alpha_out(alpha_emission, cut, rp, root_sell);
        s.pending.owner = s
            .pending
            .owner
            .saturating_add(AlphaBalance::from_rao(split.owner));
        s.pending.server = s
            .pending
            .server
            .saturating_add(AlphaBalance::from_rao(split.server));
        s.pending.validator = s
            .pending
            .validator
            .saturating_add(AlphaBalance::from_rao(split.validator));
        s.pending.root = s
            .pending
            .root
            .saturating_add(AlphaBalance::from_rao(split.root));
        let alpha_out = alpha_emission.saturating_sub(split.recycled);
        s.pool.alpha_out = s
            .pool
            .alpha_out
            .saturating_add(AlphaBalance::from_rao(alpha_out));
        recycled_alpha_total = recycled_alpha_total.saturating_add(split.recycled);
        s.last_block_emission = BlockEmission {
            tao: TaoBalance::from_rao(tao_emission),
            tao_in: TaoBalance::from_rao(inj.tao_in),
            alpha_in: AlphaBalance::from_rao(inj.alpha_in),
            alpha_out: AlphaBalance::from_rao(alpha_out),
        };
        update_moving_price(s, now, params.subnet_moving_alpha);
    }
    for s in &subnets {
        st.put_subnet(s)?;
    }
    balances::note_minted(st, TaoBalance::from_rao(minted))?;
    if minted > 0 {
        st.emit(Event::BlockEmission {
            tao: TaoBalance::from_rao(minted),
        });
    }
    run_due_epochs(st, &subnets, usize::from(params.max_epochs_per_block))
}

/// Starts an epoch of `s` at block `now`: takes its four pending pots (zeroing them) and
/// consumes the slot (LastEpochBlock = now, no pending epoch, epoch index + 1, blocks since the
/// last step 0). Returns the pots and the previous epoch block, for [`epoch::run_epoch`].
pub fn start_epoch(s: &mut Subnet, now: u64) -> (PendingEmission, u64) {
    let pots = core::mem::take(&mut s.pending);
    let previous = s.last_epoch_block;
    s.last_epoch_block = now;
    s.pending_epoch_at = 0;
    s.epoch_index = s.epoch_index.saturating_add(1);
    s.blocks_since_last_step = 0;
    (pots, previous)
}

/// Runs the epochs due at this block, at most `max` of them; the rest are deferred a block.
fn run_due_epochs(st: &mut State<'_>, subnets: &[Subnet], max: usize) -> Result<()> {
    let now = st.block();
    let mut ran = 0usize;
    for netuid in subnets
        .iter()
        .filter(|s| !s.netuid.is_root())
        .map(|s| s.netuid)
        .collect::<Vec<NetUid>>()
    {
        let mut s = st.subnet(netuid)?;
        if s.hp.tempo == 0 {
            continue;
        }
        s.blocks_since_last_step = s.blocks_since_last_step.saturating_add(1);
        let due = (s.pending_epoch_at > 0 && now >= s.pending_epoch_at)
            || s.blocks_since_last_step > MAX_BLOCKS_WITHOUT_EPOCH
            || now.saturating_sub(s.last_epoch_block) >= u64::from(s.hp.tempo);
        if !due {
            st.put_subnet(&s)?;
            continue;
        }
        if ran >= max {
            s.pending_epoch_at = now.saturating_add(1);
            st.put_subnet(&s)?;
            continue;
        }
        ran = ran.saturating_add(1);
        let (pots, previous) = start_epoch(&mut s, now);
        st.put_subnet(&s)?;
        epoch::run_epoch(st, netuid, pots, previous)?;
        crate::childkeys::apply_pending(st, netuid)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    const T: u64 = RAO_PER_TAO;

    fn ratio(n: u64, d: u64) -> U64F64 {
        fx(n) / fx(d)
    }

    #[test]
    fn halvings_by_issuance() {
        assert_eq!(halving_emission(0), T);
        assert_eq!(halving_emission(10_499_999 * T), T);
        assert_eq!(halving_emission(10_500_000 * T), T / 2);
        assert_eq!(halving_emission(15_750_000 * T), T / 4);
        assert_eq!(halving_emission(18_375_000 * T), T / 8);
        assert_eq!(halving_emission(19_687_500 * T), T / 16);
        assert_eq!(halving_emission(TOTAL_SUPPLY), 0);
        assert_eq!(halving_emission(u64::MAX), 0);
    }

    /// chain.md §10, per block on SN7, from the functions' inputs alone. The whole example,
    /// through the real hook and payout, is `tests/worked_example.rs`.
    #[test]
    fn worked_example_per_block() {
        // 1. share 0.04/1.6 of E = 0.5 → 0.0125 TAO
        let e = halving_emission(12_000_000 * T);
        assert_eq!(e, T / 2);
        let t = pool::mul_div(e, 4, 160).unwrap();
        assert_eq!(t, 12_500_000);
        // 2. root_prop = 5,000,000·0.18 / (900,000 + 4,000,000)
        let rp = root_proportion(5_000_000 * T, crate::params::TAO_WEIGHT_018, 4_000_000 * T);
        assert_eq!((rp * fx(1_000_000_000)).to_num::<u64>(), 183_673_469); // 0.183673
        // 3. capped injection and chain buy
        let inj = injection(t, ratio(4, 100), T, rp);
        assert_eq!(inj.alpha_in, 183_673_469); // 0.183673 α
        assert_eq!(inj.tao_in, 7_346_938); // 0.007347 TAO
        assert_eq!(inj.excess, 5_153_062); // 0.005153 TAO
        // chain buy at ≈ 0.04 → ≈ 0.1288 α
        let mut p = crate::schema::Pool {
            tao: TaoBalance::from_rao(40_000 * T),
            alpha_in: AlphaBalance::from_rao(1_000_000 * T),
            ..Default::default()
        };
        let (bought, fee) = pool::buy(Mechanism::Dynamic, &mut p, inj.excess, true).unwrap();
        assert_eq!((bought, fee), (128_826_533, 0)); // ≈ 0.1288 α
        // 4. alpha_out split of 1 α: owner 0.18, miners 0.41, root 0.075306, validators 0.334694
        let s = split_alpha_out(T, 11_796, rp, true);
        assert_eq!(s.owner, 179_995_422);
        assert_eq!(s.server, 410_002_289);
        assert_eq!(s.root, 75_306_542);
        // §10's 0.334694 is 0.41 − 0.075306 with the owner cut rounded to 0.18; exactly
        // 0.410002289 − 0.075306542.
        assert_eq!(s.validator, 334_695_747);
        assert_eq!(s.owner + s.server + s.root + s.validator, T);
        // at the epoch after 360 blocks: 147.6 / 120.49 / 27.11 / 64.8 α
        let two_dp = |x: u64| (360 * x + T / 200) / (T / 100);
        assert_eq!(two_dp(s.server), 14_760);
        assert_eq!(two_dp(s.validator), 12_049);
        assert_eq!(two_dp(s.root), 2_711);
        assert_eq!(two_dp(s.owner), 6_480);
        // root-sell off: the root share is recycled instead
        let off = split_alpha_out(T, 11_796, rp, false);
        assert_eq!((off.root, off.recycled), (0, s.root));
    }

    use crate::hyperparams::HyperparamValue;
    use crate::testing::*;

    #[test]
    fn blocks_mint_the_emission_and_queue_alpha() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.add_subnet(NetUid(2), 1_000 * T, 2_000 * T);
        let i0 = t.totals().total_issuance.rao();
        t.run_blocks(5);
        let minted = t.totals().total_issuance.rao() - i0;
        // 5 blocks of 1 TAO, less at most a rao per subnet per block of rounding
        assert!((5 * T - 10..=5 * T).contains(&minted), "{minted}");
        let s = t.read(|st| st.subnet(NET));
        assert!(s.pending.total().rao() > 0);
        assert!(s.last_block_emission.alpha_out.rao() > 0);
        t.assert_conservation();
    }

    #[test]
    fn epochs_fire_every_tempo_and_at_most_max_per_block() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.add_subnet(NetUid(2), 1_000 * T, 1_000 * T);
        t.add_subnet(NetUid(3), 1_000 * T, 1_000 * T);
        for n in 1..=3 {
            t.set_hparam(NetUid(n), HyperparamValue::Tempo(10));
        }
        // all three restarted their cycle at block 0: all due at block 10; max 2 per block
        t.run_blocks(10);
        let idx = |t: &TestChain, n: u16| t.read(|st| Ok(st.subnet(NetUid(n))?.epoch_index));
        assert_eq!((idx(&t, 1), idx(&t, 2), idx(&t, 3)), (1, 1, 0));
        assert_eq!(t.read(|st| Ok(st.subnet(NetUid(3))?.pending_epoch_at)), 11);
        t.run_blocks(1);
        assert_eq!(idx(&t, 3), 1);
        // the next ones come a tempo later
        t.run_blocks(9);
        assert_eq!((idx(&t, 1), idx(&t, 2), idx(&t, 3)), (2, 2, 1));
        let s = t.read(|st| st.subnet(NET));
        assert_eq!(s.last_epoch_block, 20);
        assert!(s.pending.total().is_zero(), "pots drained at the epoch");
        t.assert_conservation();
    }

    #[test]
    fn uncapped_injection_keeps_all_tao_in_pool() {
        let inj = injection(1_000, fx(1), T, fx(1));
        assert_eq!(
            inj,
            Injection {
                tao_in: 1_000,
                alpha_in: 1_000,
                excess: 0
            }
        );
    }

    #[test]
    fn ema_moves_slowly_toward_capped_spot() {
        let mut s = crate::subnets::new_subnet(
            NetUid(1),
            &types::AccountId::new([1; 32]),
            &types::AccountId::new([2; 32]),
            crate::hyperparams::Hyperparams::reference(),
            TaoBalance::ZERO,
            0,
        );
        s.pool.tao = TaoBalance::from_rao(2 * T);
        s.pool.alpha_in = AlphaBalance::from_rao(T); // spot 2, capped at 1
        s.first_emission_block = Some(1);
        let base = crate::params::Params::reference().subnet_moving_alpha;
        update_moving_price(&mut s, 201_600, base);
        // α = 3e-6 · b/(b+h) ≈ 1.5e-6 → EMA ≈ 1.5e-6
        let micro = (s.moving_price * fx(100_000_000)).to_num::<u64>();
        assert!((149..=150).contains(&micro), "{micro}");
    }
}
