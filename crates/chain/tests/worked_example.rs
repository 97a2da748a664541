//! chain.md §10, the worked example, reproduced to the rao through the chain's own code.
//!
//! The situation is built with the real genesis (SN7 and two other emitting subnets, the root
//! pool via a genesis stake and `add_stake`), then driven by the real per-block hook
//! (`coinbase::on_initialize`: emission split, injection, chain buy, alpha split, moving price)
//! for 360 blocks, and paid out by the real epoch payout (`epoch::pay_epoch`: owner cut,
//! incentive, dividend split, takes, share pools, root dividends sold for the root staker).
//! The staking example runs `staking::add_stake` / `staking::remove_stake` on the pool as §10
//! gives it.
//!
//! Every figure of §10 is checked against the exact rao the code produces. §10 prints rounded
//! numbers; `assert_rounds(rao, "figure")` checks that the exact value rounds (half up, at the
//! figure's number of decimals) to §10's figure. Where §10 itself rounds an input (the 18%
//! owner cut and take are 11,796/65,535 = 0.179995), the comment says so.
//!
//! Yuma's outputs are §10's *inputs* here (incentive 0.6 for M, dividends 0.5 each for V1 and
//! V2): no weights make Yuma give two validators of unequal stake equal dividends, and Yuma is
//! tested on its own (the yuma crate's conformance tests). So the epoch's inputs are gathered by
//! `epoch::prepare_epoch` (which checks E_ep) and the payout runs on §10's Yuma outputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use chain::events::Event;
use chain::genesis::{GenesisConfig, GenesisStake, GenesisSubnet};
use chain::params::Params;
use chain::pool;
use chain::schema::{Mechanism, PendingEmission, Subnet};
use chain::shares::stake_of;
use chain::storage::{HotkeyPools, StakeShares};
use chain::testing::{TestChain, acct};
use chain::{coinbase, epoch, hotkeys, registration, shares, staking};
use substrate_fixed::types::U64F64;
use types::{AccountId, AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

const T: u64 = RAO_PER_TAO;
const SN7: NetUid = NetUid(7);
/// The last block before the example: blocks run from B0 + 1 = 604,800, so SN7 (started at
/// genesis) is b = 604,800 blocks old and its EMA factor is 3e-6 · b/(b + 201,600) = 2.25e-6.
const B0: u64 = 604_799;

/// The cast (coldkeys and hotkeys).
struct Cast {
    owner7: AccountId,
    owner7_hot: AccountId,
    o1: AccountId,
    v1: AccountId,
    o2: AccountId,
    v2: AccountId,
    n1: AccountId,
    n2: AccountId,
    om: AccountId,
    m: AccountId,
    m2: AccountId,
    r: AccountId,
    author: AccountId,
}

fn cast() -> Cast {
    Cast {
        owner7: acct(70),
        owner7_hot: acct(71),
        o1: acct(11),
        v1: acct(12),
        o2: acct(21),
        v2: acct(22),
        n1: acct(31),
        n2: acct(32),
        om: acct(41),
        m: acct(42),
        m2: acct(43),
        r: acct(51),
        author: acct(250),
    }
}

/// Whether `rao` (9 decimals) rounds half up to `figure` (a decimal like "88.56").
fn rounds_to(rao: u64, figure: &str) -> bool {
    let (int, frac) = figure.split_once('.').unwrap_or((figure, ""));
    let d = u32::try_from(frac.len()).unwrap();
    assert!(d <= 9);
    let scale = 10u128.pow(9 - d);
    let rounded = (u128::from(rao) * 2 + scale) / (2 * scale);
    let want: u128 = format!("{int}{frac}").parse().unwrap();
    rounded == want
}

#[track_caller]
fn assert_rounds(rao: u64, figure: &str) {
    assert!(
        rounds_to(rao, figure),
        "{rao} rao does not round to {figure}"
    );
}

/// A U64F64 rounded half up to `d` decimals, as an integer (e.g. 0.183673 → 183_673 for d=6).
fn fixed_to(x: U64F64, d: u32) -> u128 {
    let half = U64F64::from_num(1) / U64F64::from_num(2);
    (x * U64F64::from_num(10u64.pow(d)) + half).to_num::<u128>()
}

/// §10's situation at block B0.
fn setup() -> TestChain {
    let c = cast();
    let mut params = Params::reference();
    params.sudo = Some(acct(0));
    // §10: SN7 receives its TAO share (new subnets start with pool-side emission off).
    params.new_subnet_emission_enabled = true;
    let subnet = |netuid: u16, owner: u8, tao: u64, alpha: u64| GenesisSubnet {
        netuid: NetUid(netuid),
        owner: acct(owner),
        owner_hotkey: acct(owner + 1),
        tao: TaoBalance::from_rao(tao * T),
        alpha: AlphaBalance::from_rao(alpha * T),
        started: true,
        hyperparams: None,
    };
    let genesis = GenesisConfig {
        params,
        // Issuance ≈ 12.04M TAO (between 10.5M and 15.75M → E = 0.5 TAO).
        balances: vec![(acct(90), 7_000_000 * T), (c.r, 10_000 * T)]
            .into_iter()
            .map(|(a, v)| (a, TaoBalance::from_rao(v)))
            .collect(),
        root_owner: acct(0),
        // EMA prices start at the spot price: 0.96 + 0.6 + 0.04 = 1.6 (> 1: root-sell on).
        subnets: vec![
            subnet(1, 100, 960, 1_000),
            subnet(2, 102, 600, 1_000),
            subnet(7, 70, 40_000, 1_000_000),
        ],
        // Root: 4,990,000 TAO here plus R's 10,000 TAO on V1 below = Y_root 5,000,000 TAO.
        stakes: vec![GenesisStake {
            coldkey: acct(60),
            hotkey: acct(61),
            netuid: NetUid::ROOT,
            tao: TaoBalance::from_rao(4_990_000 * T),
        }],
    };
    let mut t = TestChain {
        store: genesis.build().unwrap(),
        block: 0,
        author: Some(c.author),
    };
    t.with(|st| {
        for (ck, hk) in [
            (&c.o1, &c.v1),
            (&c.o2, &c.v2),
            (&c.om, &c.m),
            (&c.om, &c.m2),
        ] {
            hotkeys::ensure_hotkey(st, ck, hk)?;
            registration::append_neuron(st, SN7, hk)?; // uids 1..=4
        }
        // R holds all 10,000 TAO of V1's root stake (claim type Swap, the default).
        staking::add_stake(
            st,
            &c.r,
            &c.v1,
            NetUid::ROOT,
            TaoBalance::from_rao(10_000 * T),
            None,
        )?;
        // A = 4,000,000 α: 1,000,000 in the pool and 3,000,000 outstanding, held as stake:
        // V1 100,000 α (its owner 20%, N1 50%, N2 30% of the shares), V2 100,000 α (its
        // owner), and 2,800,000 α on a hotkey that is not on SN7.
        hotkeys::ensure_hotkey(st, &acct(80), &acct(81))?;
        for (hk, ck, alpha) in [
            (&c.v1, &c.o1, 20_000),
            (&c.v1, &c.n1, 50_000),
            (&c.v1, &c.n2, 30_000),
            (&c.v2, &c.o2, 100_000),
            (&acct(81), &acct(80), 2_800_000),
        ] {
            shares::credit(st, hk, SN7, ck, AlphaBalance::from_rao(alpha * T))?;
        }
        let mut s = st.subnet(SN7)?;
        s.pool.alpha_out = AlphaBalance::from_rao(3_000_000 * T);
        // The last epoch was at B0 + 1, so the hook does not fire the next one inside the 360
        // blocks B0+1 ..= B0+360; the test fires it in block B0+360 with §10's Yuma outputs.
        s.last_epoch_block = B0 + 1;
        st.put_subnet(&s)
    })
    .unwrap();
    t.set_block(B0);
    t.assert_conservation();
    t
}

fn sn7(t: &TestChain) -> Subnet {
    t.read(|st| st.subnet(SN7))
}

fn stake(t: &TestChain, hk: &AccountId, netuid: NetUid, ck: &AccountId) -> u64 {
    t.read(|st| stake_of(st, hk, netuid, ck)).rao()
}

/// §10's Yuma outputs for SN7's uids (0 owner, 1 V1, 2 V2, 3 M, 4 M2) on E_ep: incentive
/// 0.6 for M and 0.4 for M2 (39,321 and 26,214 of 65,535, exactly), dividends 0.5 each for V1
/// and V2; server/validator emission E_ep · I/2 and E_ep · D/2 as Yuma reports them.
fn section_10_yuma_output(n: usize, e_ep: u64) -> yuma::EpochOutput {
    let mut out = yuma::EpochOutput {
        active: vec![true; n],
        incentive: vec![0; n],
        dividends: vec![0; n],
        server_emission: vec![0; n],
        validator_emission: vec![0; n],
        new_validator_permits: vec![false; n],
        ..yuma::EpochOutput::default()
    };
    out.incentive[3] = 39_321;
    out.incentive[4] = 26_214;
    out.server_emission[3] = e_ep / 10 * 3;
    out.server_emission[4] = e_ep / 10 * 2;
    for v in [1, 2] {
        out.dividends[v] = 32_768;
        out.validator_emission[v] = e_ep / 4;
        out.new_validator_permits[v] = true;
    }
    out.emission = (0..n)
        .map(|i| out.server_emission[i] + out.validator_emission[i])
        .collect();
    out
}

#[test]
fn worked_example_chain_md_section_10() {
    let c = cast();
    let mut t = setup();

    // ---------------------------------------------------------------- assumptions
    let s0 = sn7(&t);
    assert_eq!(s0.pool.tao.rao(), 40_000 * T); // y
    assert_eq!(s0.pool.alpha_in.rao(), 1_000_000 * T); // x
    assert_eq!(s0.pool.alpha_issuance(), 4_000_000 * T); // A
    assert_eq!(
        pool::spot_price_rao(Mechanism::Dynamic, &s0.pool),
        40_000_000
    ); // p = 0.04
    assert_eq!(coinbase::halving_emission(s0.pool.alpha_issuance()), T); // 1 α/block
    assert_eq!(s0.hp.tempo, 360);
    assert_eq!(s0.miner_burned, U64F64::from_num(0));
    let root_tao = t.read(|st| st.subnet(NetUid::ROOT)).pool.tao.rao();
    assert_eq!(root_tao, 5_000_000 * T); // Y_root
    let issuance = t.totals().total_issuance.rao();
    assert!((10_500_000 * T..15_750_000 * T).contains(&issuance));
    assert_eq!(coinbase::halving_emission(issuance), T / 2); // E = 0.5 TAO
    let params = t.read(|st| st.params());
    assert_eq!(params.subnet_owner_cut, 11_796); // "≈ 18%": 0.179995
    assert_eq!(t.read(|st| hotkeys::hotkey(st, &c.v1)).take, 11_796); // take 18%
    let ema_sum = t
        .read(|st| st.subnets())
        .iter()
        .filter(|s| !s.netuid.is_root())
        .fold(U64F64::from_num(0), |a, s| a + s.moving_price);
    assert_eq!(fixed_to(ema_sum, 9), 1_600_000_000); // Σ EMA = 1.6 > 1: root-sell on
    assert_eq!(fixed_to(s0.moving_price, 9), 40_000_000); // SN7's EMA 0.04

    // ---------------------------------------------------------------- per block (block B0+1)
    t.run_blocks(1);
    let s1 = sn7(&t);
    let e = s1.last_block_emission.clone();
    // 1. share 0.04 / 1.6 = 2.5% of E → T = 0.0125 TAO. U64F64 division of the EMA prices
    //    leaves it one rao short: 12,499,999 rao.
    assert_eq!(e.tao.rao(), 12_499_999);
    assert_rounds(e.tao.rao(), "0.0125");
    assert_rounds(e.tao.rao() * 200, "2.5"); // 2.5% of 0.5 TAO
    // 2. root_prop = 5,000,000·0.18 / (900,000 + 4,000,000) = 0.183673
    let rp = coinbase::root_proportion(root_tao, params.tao_weight, 4_000_000 * T);
    assert_eq!(fixed_to(rp, 6), 183_673);
    // 3. desired alpha_in 0.3125 α > cap 0.183673 α → alpha_in = 0.183673 α (root_prop · 1 α,
    //    truncated), tao_in = 0.007347 TAO; excess 0.005153 TAO buys ≈ 0.1288 α for the protocol.
    assert_eq!(e.alpha_in.rao(), 183_673_469);
    assert_rounds(e.alpha_in.rao(), "0.183673");
    assert_eq!(e.tao_in.rao(), 7_346_938);
    assert_rounds(e.tao_in.rao(), "0.007347");
    let excess = e.tao.rao() - e.tao_in.rao();
    assert_eq!(excess, 5_153_061);
    assert_rounds(excess, "0.005153");
    assert_eq!(s1.pool.tao.rao(), 40_000 * T + e.tao.rao()); // tao_in + chain buy, fee-free
    let bought = s1.pool.protocol_alpha.rao();
    assert_eq!(bought, 128_826_508);
    assert_rounds(bought, "0.1288");
    assert_eq!(
        s1.pool.alpha_in.rao(),
        1_000_000 * T + e.alpha_in.rao() - bought
    );
    // 4. alpha_out = 1 α: owner 0.18, R = 0.82, miners 0.41, root 0.075306, validators
    //    0.334694. §10 rounds the owner cut 0.179995 to 0.18 before splitting, so its miners'
    //    0.41 is 0.410002 exactly, and the root and validator figures derived from 0.41 differ
    //    from the exact ones in the 6th decimal: root 0.183673·0.410002 = 0.0753065,
    //    validators 0.410002 − 0.0753065 = 0.3346957. They agree at 5 and 4 decimals.
    assert_eq!(e.alpha_out.rao(), T);
    let p1 = s1.pending.clone();
    assert_eq!(p1.owner.rao(), 179_995_422);
    assert_rounds(p1.owner.rao(), "0.18");
    assert_rounds(p1.owner.rao(), "0.179995");
    assert_rounds(T - p1.owner.rao(), "0.82");
    assert_eq!(p1.server.rao(), 410_002_289);
    assert_rounds(p1.server.rao(), "0.41");
    assert_eq!(p1.root.rao(), 75_306_542);
    assert_rounds(p1.root.rao(), "0.07531");
    assert_eq!(p1.validator.rao(), 334_695_747);
    assert_rounds(p1.validator.rao(), "0.3347");
    assert_eq!(p1.total().rao(), T);
    // 5. EMA ← α·min(p, 1) + (1 − α)·EMA with α = 3e-6 · b/(b + 201,600); b = 604,800 → α =
    //    2.25e-6. p is the spot after this block's injection and chain buy. Checked in U64F64
    //    bits (2^-64): Δ = α·(p − EMA) up to the truncation of the fixed-point products.
    let bits = |x: U64F64| x.to_bits();
    let spot_bits = (u128::from(s1.pool.tao.rao()) << 64) / u128::from(s1.pool.alpha_in.rao());
    let ema0 = bits(s0.moving_price);
    let expected = (spot_bits - ema0) * 9 / 4_000_000;
    let moved = bits(s1.moving_price) - ema0;
    assert!(
        moved.abs_diff(expected) <= 2,
        "EMA moved {moved}, expected {expected}"
    );
    assert!(
        moved * 1_000_000 <= (spot_bits - ema0) * 3,
        "≤ 3e-6 of (p − EMA)"
    );

    // ---------------------------------------------------------------- 360 blocks
    t.run_blocks(359);
    let s360 = sn7(&t);
    assert_eq!(t.block, B0 + 360);
    // "Assuming constant inputs": over 360 blocks the pool and A grow a little (chain buys,
    // injection), so root_prop falls slightly and P_root is 0.0012 α below 360 × the first
    // block's; every pot still rounds to §10's figure. The EMA stays 0.04.
    let pots = s360.pending.clone();
    assert_eq!(pots.server.rao(), 147_600_824_040);
    assert_rounds(pots.server.rao(), "147.6");
    assert_eq!(pots.validator.rao(), 120_491_644_245);
    assert_rounds(pots.validator.rao(), "120.49");
    assert_eq!(pots.root.rao(), 27_109_179_795);
    assert_rounds(pots.root.rao(), "27.11");
    assert_eq!(pots.owner.rao(), 64_798_351_920);
    assert_rounds(pots.owner.rao(), "64.8");
    assert_eq!(pots.total().rao(), 360 * T); // sum 360 α
    assert_rounds(bits_to_rao(s360.moving_price), "0.04");
    assert_rounds(bits_to_rao(s360.moving_price), "0.040000");

    // ---------------------------------------------------------------- the epoch
    struct Snapshot {
        owner: u64,
        m: u64,
        o1: u64,
        n1: u64,
        n2: u64,
        o2: u64,
        r_root: u64,
        alpha_in: u64,
    }
    let snap = |t: &TestChain| Snapshot {
        owner: stake(t, &c.owner7_hot, SN7, &c.owner7),
        m: stake(t, &c.m, SN7, &c.om),
        o1: stake(t, &c.v1, SN7, &c.o1),
        n1: stake(t, &c.v1, SN7, &c.n1),
        n2: stake(t, &c.v1, SN7, &c.n2),
        o2: stake(t, &c.v2, SN7, &c.o2),
        r_root: stake(t, &c.v1, NetUid::ROOT, &c.r),
        alpha_in: sn7(t).pool.alpha_in.rao(),
    };
    let before = snap(&t);
    let o1_shares = t.read(|st| st.get_or_default::<StakeShares>(&(c.v1, SN7, c.o1)));
    // The scheduler's own drain (as `run_due_epochs` does it), the epoch's own input
    // gathering, then the payout on §10's Yuma outputs, all in block B0 + 360.
    let (report, events, e_ep) = t
        .with(|st| {
            let mut s = st.subnet(SN7)?;
            let (drained, _previous) = coinbase::start_epoch(&mut s, st.block());
            st.put_subnet(&s)?;
            assert_eq!(drained, pots);
            assert_eq!(s.pending, PendingEmission::default());
            let prepared = epoch::prepare_epoch(st, SN7, &drained, B0 + 1)?;
            let e_ep = prepared.input.rao_emission;
            let out = section_10_yuma_output(usize::from(prepared.input.n), e_ep);
            let report = epoch::pay_epoch(st, prepared, &drained, &out)?;
            Ok((report, st.take_events(), e_ep))
        })
        .unwrap();
    let after = snap(&t);
    t.assert_conservation();

    // Yuma runs on E_ep = P_server + P_val + P_root = 295.2 α.
    assert_eq!(e_ep, 295_201_648_080);
    assert_rounds(e_ep, "295.2");
    assert_eq!(
        events,
        vec![Event::EpochRun {
            netuid: SN7,
            emission: AlphaBalance::from_rao(360 * T),
            incentive: AlphaBalance::from_rao(147_600_824_040),
            dividends: AlphaBalance::from_rao(120_491_644_244),
            root_dividends: AlphaBalance::from_rao(27_109_179_795),
            owner_cut: AlphaBalance::from_rao(64_798_351_920),
            // the dividend split's rounding dust (recycled)
            burned: AlphaBalance::from_rao(1),
        }]
    );
    // The owner's 64.8 α are staked to the owner hotkey / coldkey.
    assert_eq!(after.owner - before.owner, 64_798_351_920);
    assert_rounds(after.owner - before.owner, "64.8");
    // Miner M, incentive 0.6: 0.6/2 · 295.2 = 88.56 α, staked to M's hotkey for M's coldkey.
    let m = &report.miners[0];
    assert_eq!((m.hotkey, m.staked_to), (c.m, Some((c.m, c.om))));
    assert_eq!(m.alpha, 88_560_494_424);
    assert_eq!(after.m - before.m, 88_560_494_424);
    assert_rounds(after.m - before.m, "88.56");
    assert_eq!(sn7(&t).miner_burned, U64F64::from_num(0)); // M is no owner hotkey
    // V1 / V2: alpha pot 59.71 / 60.78 α; V1 alone takes the root pot, 27.11 α.
    let v1 = report.validators.iter().find(|v| v.hotkey == c.v1).unwrap();
    let v2 = report.validators.iter().find(|v| v.hotkey == c.v2).unwrap();
    assert_eq!((v1.owner, v2.owner), (c.o1, c.o2));
    assert_eq!(v1.alpha_dividends, 59_708_446_107);
    assert_rounds(v1.alpha_dividends, "59.71");
    assert_eq!(v2.alpha_dividends, 60_783_198_137);
    assert_rounds(v2.alpha_dividends, "60.78");
    assert_eq!(v1.root_dividends, 27_109_179_795);
    assert_rounds(v1.root_dividends, "27.11");
    assert_eq!(v2.root_dividends, 0);
    // The weights behind that split: V1's alpha weight is 0.5 · (V1 / V2 alpha dividends) =
    // 0.491159, so its root weight is 0.008841 and ρ = 0.017682 (= 1,800 / 101,800).
    let alpha_w = u128::from(v1.alpha_dividends) * 500_000_000 / u128::from(v2.alpha_dividends);
    assert_eq!((alpha_w + 500) / 1_000, 491_159);
    assert_eq!((500_000_000 - alpha_w + 500) / 1_000, 8_841);
    assert_eq!((2 * (500_000_000 - alpha_w) + 500) / 1_000, 17_682);
    // V1's alpha dividends: take 18% = 10.75 α to V1's owner coldkey; 48.96 α to the pool.
    assert_eq!(v1.alpha_take, 10_747_246_971);
    assert_rounds(v1.alpha_take, "10.75");
    let rest = v1.alpha_dividends - v1.alpha_take;
    assert_eq!(rest, 48_961_199_136);
    assert_rounds(rest, "48.96");
    // The rest raises V1's share pool: N1 (50%) +24.48 α, N2 (30%) +14.69 α.
    assert_eq!(after.n1 - before.n1, 24_477_968_860);
    assert_rounds(after.n1 - before.n1, "24.48");
    assert_eq!(after.n2 - before.n2, 14_686_781_316);
    assert_rounds(after.n2 - before.n2, "14.69");
    // V1's owner: its stake on V1 gained the alpha take, its self-stake's part of the rest and
    // (below) the root take. Without the root take: 10.75 + 9.79 = 20.54 α.
    let o1_alpha_gain = after.o1 - before.o1 - v1.root_take;
    assert_eq!(o1_alpha_gain, 20_543_695_930);
    assert_rounds(o1_alpha_gain, "20.54");
    // Its self-stake (the 20% of the shares it held) rose by 9.79 α. The take is staked first,
    // as the reference does, so its new shares also share in the rest: +0.0053 α more.
    let pool_v1 = t.read(|st| st.get_or_default::<HotkeyPools>(&(c.v1, SN7)));
    let self_stake_now = o1_shares * u128::from(pool_v1.alpha.rao()) / pool_v1.shares;
    let self_gain = u64::try_from(self_stake_now).unwrap() - 20_000 * T;
    assert_eq!(self_gain, 9_791_187_544);
    assert_rounds(self_gain, "9.79");
    assert_eq!(o1_alpha_gain - v1.alpha_take - self_gain, 5_261_415);
    // V2's dividends all go to its owner, the only staker (take and rest).
    assert_eq!(after.o2 - before.o2, v2.alpha_dividends);
    // V1's root dividends: take 4.88 α staked in SN7 alpha to V1's owner; the rest, 22.23 α,
    // is R's (it holds all 10,000 TAO of V1's root stake): 0.002223 α per TAO of root stake.
    assert_eq!(v1.root_take, 4_879_528_265);
    assert_rounds(v1.root_take, "4.88");
    assert_eq!(v1.root_stakers.len(), 1);
    let claim = &v1.root_stakers[0];
    assert_eq!(claim.coldkey, c.r);
    assert_eq!(claim.alpha, 22_229_651_530);
    assert_eq!(claim.alpha, v1.root_dividends - v1.root_take);
    assert_rounds(claim.alpha, "22.23");
    assert_rounds(claim.alpha / 10_000, "0.002223"); // per TAO of V1's root stake
    // Claim type Swap: the 22.23 α are sold (fee-free) at ~0.04 for ≈ 0.889 TAO, added to R's
    // root stake. (Here the claim happens at the epoch itself; see docs/economics.md.)
    assert_eq!(after.alpha_in - before.alpha_in, claim.alpha);
    assert_eq!(claim.tao, Some(889_248_769));
    assert_eq!(after.r_root - before.r_root, 889_248_769);
    assert_rounds(after.r_root - before.r_root, "0.889");
}

/// A U64F64 as rao (× 10^9, truncated).
fn bits_to_rao(x: U64F64) -> u64 {
    (x * U64F64::from_num(T)).to_num::<u64>()
}

/// §10's staking example on SN7 as set up (y = 40,000 TAO, x = 1,000,000 α): add_stake 100
/// TAO, then (from the same pool) a sale of 1,000 α.
#[test]
fn worked_example_staking_on_sn7() {
    let c = cast();
    let buyer = acct(90);
    let mut t = setup();
    let author0 = t.free(&c.author);
    let free0 = t.free(&buyer);
    let events = t
        .with(|st| {
            staking::add_stake(st, &buyer, &c.v2, SN7, TaoBalance::from_rao(100 * T), None)?;
            Ok(st.take_events())
        })
        .unwrap();
    let Some(Event::StakeAdded {
        tao,
        alpha,
        fee,
        price,
        ..
    }) = events.last().cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!(free0 - t.free(&buyer), 100 * T);
    assert_eq!(tao.rao(), 100 * T);
    // fee = 100 · 33/65535 = 0.05035 TAO, to the block author
    assert_eq!(fee.rao(), 50_354_772);
    assert_rounds(fee.rao(), "0.05035");
    assert_eq!(t.free(&c.author) - author0, 50_354_772);
    // net 99.94965 TAO buys 1,000,000·(1 − 40,000/40,099.94965) = 2,492.51 α
    let net = tao.rao() - fee.rao();
    assert_eq!(net, 99_949_645_228);
    assert_rounds(net, "99.94965");
    assert_eq!(alpha.rao(), 2_492_512_985_983);
    assert_rounds(alpha.rao(), "2492.51");
    assert_eq!(stake(&t, &c.v2, SN7, &buyer), alpha.rao());
    // average price 0.04010 (net TAO per α)
    let avg = u64::try_from(u128::from(net) * u128::from(T) / u128::from(alpha.rao())).unwrap();
    assert_rounds(avg, "0.04010");
    // spot moves to 40,099.95 / 997,507.5 = 0.040200
    let s = sn7(&t);
    assert_eq!(s.pool.tao.rao(), 40_000 * T + net);
    assert_rounds(s.pool.tao.rao(), "40099.95");
    assert_eq!(s.pool.alpha_in.rao(), 1_000_000 * T - alpha.rao());
    assert_rounds(s.pool.alpha_in.rao(), "997507.5");
    assert_eq!(price, 40_200_149); // rao per α
    assert_rounds(price, "0.040200");
    assert_eq!(
        fixed_to(pool::spot_price(Mechanism::Dynamic, &s.pool), 6),
        40_200
    );

    // Selling 1,000 α (N1's stake on V1) from the pool as §10 gives it.
    let mut t = setup();
    let author0 = t.free(&c.author);
    let pool0 = sn7(&t).pool;
    let quote = pool::quote_sell(Mechanism::Dynamic, &pool0, 1_000 * T, false).unwrap();
    let events = t
        .with(|st| {
            staking::remove_stake(
                st,
                &c.n1,
                &c.v1,
                SN7,
                AlphaBalance::from_rao(1_000 * T),
                None,
            )?;
            Ok(st.take_events())
        })
        .unwrap();
    let Some(Event::StakeRemoved {
        alpha,
        tao,
        fee,
        price,
        ..
    }) = events.last().cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!(alpha.rao(), 1_000 * T);
    assert_eq!(stake(&t, &c.v1, SN7, &c.n1), 49_000 * T);
    // fee 0.5035 α, sold (fee-free) for the author
    assert_eq!(quote.fee, 503_547_722);
    assert_rounds(quote.fee, "0.5035");
    // TAO out = 40,000·(1 − 1,000,000/1,000,999.4965) ≈ 39.94 TAO, to the seller
    assert_eq!(tao.rao(), 39_939_938_264);
    assert_eq!(tao.rao(), quote.amount_out);
    assert_rounds(tao.rao(), "39.94");
    assert_eq!(t.free(&c.n1), 39_939_938_264);
    assert_eq!(t.free(&c.author) - author0, fee.rao());
    let s = sn7(&t);
    assert_eq!(s.pool.alpha_in.rao(), 1_001_000 * T); // the net 999.4965 α and the fee's
    assert_eq!(s.pool.tao.rao(), 40_000 * T - tao.rao() - fee.rao());
    // The fee's 0.5035 α sold after the sale, at ≈ 0.03992: 0.0201 TAO to the author.
    assert_eq!(fee.rao(), 20_101_695);
    // The post-sale spot price (§10 gives no figure): 39,960.04 / 1,001,000 = 0.039920.
    assert_rounds(s.pool.tao.rao(), "39960.04");
    assert_eq!(price, 39_920_119); // rao per α
    assert_rounds(price, "0.039920");
}
