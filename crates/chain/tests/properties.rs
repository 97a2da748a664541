//! Property tests over random sequences of calls from random signers, applied one by one with
//! per-block hooks in between:
//! - nothing panics and no storage error surfaces;
//! - the accounting invariants hold after every step (TAO: issuance = free + pools + burned;
//!   alpha per subnet: alpha_out = stakes + pending + protocol alpha);
//! - TAO issuance changes exactly by what is minted and recycled: in the hooks by the block
//!   emission (the `BlockEmission` event); in a transaction by minus the TAO it recycles (dust
//!   below the existential deposit, from `DustLost` events or from the fee leaving dust, and
//!   key-swap costs); no call burns TAO;
//! - each subnet's alpha changes exactly by what is minted and destroyed: in the hooks
//!   alpha_in + alpha_out grows by the block's injection and alpha_out emission and shrinks by
//!   what the epoch did not pay out (`EpochRun.burned`; of that, only an owner hotkey's
//!   withheld incentive may be counted as burned, which no event itemises, so there the burned
//!   counter is only bounded); in a transaction it shrinks by the alpha of `AlphaDestroyed`
//!   events and the alpha a registration's burn buys and destroys, and burned alpha grows by
//!   exactly the burned part; root's pool holds its stake 1:1;
//! - a signer's nonce rises by exactly one per included transaction;
//! - a failed call changes nothing but the fee: in TAO, the signer's free balance drops by
//!   exactly fee + tip (plus dust it leaves) and the author gains exactly that; in alpha, the
//!   hotkey's share pool loses exactly the alpha sold and the signer exactly the shares worth
//!   it (rounded up), the pool takes exactly that sale and the author gets exactly its TAO, the
//!   least alpha that covers the fee; nothing else changes. (In value the signer's stake drops
//!   by the alpha sold or up to one share's worth more: whole shares, rounded in the other
//!   stakers' favour.)
//! - an invalid transaction changes nothing at all.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use chain::call::Call;
use chain::events::Event;
use chain::hyperparams::HyperparamValue;
use chain::runtime::Receipt;
use chain::runtime::{TxOutcome, apply_checked};
use chain::schema::{Mechanism, Subnet, Totals};
use chain::storage::{Accounts, HotkeyPools, Item, StakeShares, Subnets, TotalsItem};
use chain::store::{ChangeSet, MemoryStore, Overlay, StateStore};
use chain::testing::Sim;
use chain::{BlockEnv, State, Transaction};
use proptest::prelude::*;
use std::collections::BTreeMap;
use types::{AccountId, AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

const T: u64 = RAO_PER_TAO;
const AUTHOR: [u8; 32] = [250; 32];

/// Six dev coldkeys, four hotkeys (seeds 1..=4), then two poor coldkeys: a staker with stake
/// but no free TAO (its fees are paid in alpha) and a pauper whose first fee leaves dust.
fn accounts() -> Vec<AccountId> {
    static ACCOUNTS: std::sync::OnceLock<Vec<AccountId>> = std::sync::OnceLock::new();
    ACCOUNTS.get_or_init(make_accounts).clone()
}

fn make_accounts() -> Vec<AccountId> {
    let mut v: Vec<AccountId> = chain::genesis::DEV_NAMES
        .iter()
        .map(|n| chain::genesis::dev_account(n).unwrap())
        .collect();
    for i in 1..=6u8 {
        v.push(keys::Keypair::from_seed(&[i; 32]).unwrap().account_id());
    }
    v
}

/// Signers: every account above.
const SIGNERS: usize = 12;
/// The staker (stake on hotkeys 6 and 7, no free TAO) and the pauper (100,600 rao).
const STAKER: usize = 10;
const PAUPER: usize = 11;
/// The last block of the base state.
const BASE_BLOCK: u64 = 4;

/// Dev genesis (fast) plus subnet 2 started by Bob, hotkeys 6 and 7 registered on it and
/// staked.
fn base_state() -> MemoryStore {
    static BASE: std::sync::OnceLock<MemoryStore> = std::sync::OnceLock::new();
    BASE.get_or_init(build_base_state).clone()
}

fn build_base_state() -> MemoryStore {
    let genesis = chain::GenesisConfig::dev(chain::Preset::Fast).unwrap();
    let mut sim = Sim::new(&genesis);
    let pair = |s: &str| keys::Keypair::from_uri(s).unwrap();
    let (bob, charlie) = (pair("//Bob"), pair("//Charlie"));
    let acc = accounts();
    sim.submit(
        &bob,
        Call::RegisterNetwork {
            hotkey: acc[8],
            identity: None,
        },
    );
    sim.produce_block();
    sim.submit(&bob, Call::StartCall { netuid: NetUid(2) });
    sim.submit(
        &charlie,
        Call::BurnedRegister {
            netuid: NetUid(2),
            hotkey: acc[6],
        },
    );
    sim.submit(
        &charlie,
        Call::BurnedRegister {
            netuid: NetUid(1),
            hotkey: acc[7],
        },
    );
    sim.produce_block();
    sim.submit(
        &charlie,
        Call::AddStake {
            hotkey: acc[6],
            netuid: NetUid(2),
            amount_staked: TaoBalance::from_rao(50 * T),
        },
    );
    sim.submit(
        &charlie,
        Call::AddStake {
            hotkey: acc[7],
            netuid: NetUid(1),
            amount_staked: TaoBalance::from_rao(5 * T),
        },
    );
    let alice = pair("//Alice");
    for hotkey in &acc[6..10] {
        sim.submit(
            &alice,
            Call::TransferKeepAlive {
                dest: *hotkey,
                value: TaoBalance::from_rao(1_000 * T),
            },
        );
    }
    sim.submit(
        &alice,
        Call::TransferKeepAlive {
            dest: acc[PAUPER],
            value: TaoBalance::from_rao(100_600),
        },
    );
    sim.produce_block();
    // The staker gets some of Charlie's stake on both hotkeys, and no TAO.
    for (hotkey, netuid) in [(acc[6], NetUid(2)), (acc[7], NetUid(1))] {
        let alpha =
            sim.read(|st| chain::shares::stake_of(st, &hotkey, netuid, &charlie.account_id()));
        sim.submit(
            &charlie,
            Call::TransferStake {
                destination_coldkey: acc[STAKER],
                hotkey,
                origin_netuid: netuid,
                destination_netuid: netuid,
                alpha_amount: AlphaBalance::from_rao(alpha.rao() / 5),
            },
        );
    }
    let out = sim.produce_block();
    for r in &out.receipts {
        assert_eq!(r.outcome, TxOutcome::Applied, "{r:?}");
    }
    assert_eq!(
        sim.read(|st| st.account(&acc[STAKER])).free,
        TaoBalance::ZERO
    );
    sim.store
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(499),
        Just(500),
        Just(2_000_000),
        Just(T / 10),
        Just(T),
        Just(50 * T),
        Just(5_000 * T),
        any::<u64>(),
    ]
}

fn netuid() -> impl Strategy<Value = NetUid> {
    prop_oneof![1 => Just(0u16), 3 => Just(1), 4 => Just(2), 1 => Just(3)].prop_map(NetUid)
}

fn call() -> impl Strategy<Value = Call> {
    let acc = || (0usize..10).prop_map(|i| accounts()[i]);
    // Stake calls name a staked hotkey (6 or 7) half the time, so they often succeed and the
    // staker often pays its fees in alpha.
    let hot = || prop_oneof![1 => 6usize..8, 1 => 0usize..10].prop_map(|i| accounts()[i]);
    prop_oneof![
        (acc(), amount(), any::<bool>()).prop_map(|(dest, v, keep)| if keep {
            Call::TransferKeepAlive {
                dest,
                value: TaoBalance::from_rao(v),
            }
        } else {
            Call::TransferAllowDeath {
                dest,
                value: TaoBalance::from_rao(v),
            }
        }),
        (acc(), netuid(), amount()).prop_map(|(hotkey, netuid, a)| Call::AddStake {
            hotkey,
            netuid,
            amount_staked: TaoBalance::from_rao(a)
        }),
        (acc(), netuid(), amount(), amount(), any::<bool>()).prop_map(
            |(hotkey, netuid, a, limit, allow_partial)| Call::AddStakeLimit {
                hotkey,
                netuid,
                amount_staked: TaoBalance::from_rao(a),
                limit_price: limit,
                allow_partial
            }
        ),
        (hot(), netuid(), amount()).prop_map(|(hotkey, netuid, a)| Call::RemoveStake {
            hotkey,
            netuid,
            amount_unstaked: AlphaBalance::from_rao(a)
        }),
        (hot(), netuid(), amount(), amount(), any::<bool>()).prop_map(
            |(hotkey, netuid, a, limit, allow_partial)| Call::RemoveStakeLimit {
                hotkey,
                netuid,
                amount_unstaked: AlphaBalance::from_rao(a),
                limit_price: limit,
                allow_partial
            }
        ),
        (hot(), acc(), netuid(), netuid(), amount()).prop_map(|(h1, h2, n1, n2, a)| {
            Call::MoveStake {
                origin_hotkey: h1,
                destination_hotkey: h2,
                origin_netuid: n1,
                destination_netuid: n2,
                alpha_amount: AlphaBalance::from_rao(a),
            }
        }),
        (acc(), hot(), netuid(), netuid(), amount()).prop_map(|(c, h, n1, n2, a)| {
            Call::TransferStake {
                destination_coldkey: c,
                hotkey: h,
                origin_netuid: n1,
                destination_netuid: n2,
                alpha_amount: AlphaBalance::from_rao(a),
            }
        }),
        (hot(), netuid(), netuid(), amount()).prop_map(|(h, n1, n2, a)| Call::SwapStake {
            hotkey: h,
            origin_netuid: n1,
            destination_netuid: n2,
            alpha_amount: AlphaBalance::from_rao(a)
        }),
        hot().prop_map(|hotkey| Call::UnstakeAll { hotkey }),
        hot().prop_map(|hotkey| Call::UnstakeAllAlpha { hotkey }),
        (netuid(), acc()).prop_map(|(netuid, hotkey)| Call::BurnedRegister { netuid, hotkey }),
        acc().prop_map(|hotkey| Call::RootRegister { hotkey }),
        acc().prop_map(|hotkey| Call::RegisterNetwork {
            hotkey,
            identity: None
        }),
        netuid().prop_map(|netuid| Call::StartCall { netuid }),
        (
            netuid(),
            prop::collection::vec(0u16..6, 0..5),
            prop::collection::vec(any::<u16>(), 0..5)
        )
            .prop_map(|(netuid, dests, weights)| Call::SetWeights {
                netuid,
                dests,
                weights,
                version_key: 0
            }),
        (netuid(), any::<u32>(), 0u8..8, any::<u16>()).prop_map(|(netuid, ip, ip_type, port)| {
            Call::ServeAxon {
                netuid,
                version: 1,
                ip: u128::from(ip),
                port,
                ip_type,
                protocol: 4,
                placeholder1: 0,
                placeholder2: 0,
            }
        }),
        (acc(), any::<u16>()).prop_map(|(hotkey, take)| Call::IncreaseTake { hotkey, take }),
        (acc(), any::<u16>()).prop_map(|(hotkey, take)| Call::DecreaseTake { hotkey, take }),
        (acc(), acc()).prop_map(|(hotkey, new_hotkey)| Call::SwapHotkey { hotkey, new_hotkey }),
        (netuid(), any::<u16>()).prop_map(|(netuid, v)| Call::SudoSetHyperparameter {
            netuid,
            value: HyperparamValue::Tempo(v % 20)
        }),
        (netuid(), any::<bool>()).prop_map(|(netuid, v)| Call::SudoSetHyperparameter {
            netuid,
            value: HyperparamValue::CommitRevealEnabled(v)
        }),
        netuid().prop_map(|netuid| Call::DissolveNetwork { netuid }),
        netuid().prop_map(|netuid| Call::TriggerEpoch { netuid }),
        (netuid(), prop::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(netuid, symbol)| Call::UpdateSymbol { netuid, symbol }),
        (netuid(), acc())
            .prop_map(|(netuid, hotkey)| Call::SetSubnetOwnerHotkey { netuid, hotkey }),
        (netuid(), acc())
            .prop_map(|(netuid, hotkey)| Call::SetColdkeyAutoStakeHotkey { netuid, hotkey }),
        any::<bool>().prop_map(|keep| Call::SetRootClaimType {
            claim_type: if keep {
                chain::schema::RootClaimType::Keep
            } else {
                chain::schema::RootClaimType::Swap
            },
        }),
        (
            acc(),
            netuid(),
            prop::collection::vec((any::<u64>(), acc()), 0..3)
        )
            .prop_map(|(hotkey, netuid, children)| Call::SetChildren {
                hotkey,
                netuid,
                children
            }),
        (acc(), netuid(), any::<u16>()).prop_map(|(hotkey, netuid, take)| Call::SetChildkeyTake {
            hotkey,
            netuid,
            take: take % 13_000
        }),
        (hot(), amount(), netuid(), any::<bool>()).prop_map(|(hotkey, a, netuid, recycle)| {
            if recycle {
                Call::RecycleAlpha {
                    hotkey,
                    amount: AlphaBalance::from_rao(a),
                    netuid,
                }
            } else {
                Call::BurnAlpha {
                    hotkey,
                    amount: AlphaBalance::from_rao(a),
                    netuid,
                }
            }
        }),
    ]
}

/// One step: a transaction (signer index, nonce offset, call), or the next block's hooks.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
enum Step {
    Tx {
        signer: usize,
        nonce_offset: i8,
        call: Call,
    },
    /// Run the hooks of this many blocks (epochs fire every 10 blocks on the fast preset).
    NextBlocks(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (prop_oneof![6 => 0usize..SIGNERS, 1 => Just(STAKER)], prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)], call())
            .prop_map(|(signer, nonce_offset, call)| Step::Tx { signer, nonce_offset, call }),
        1 => (1u8..=12).prop_map(Step::NextBlocks),
    ]
}

fn read<T>(
    store: &MemoryStore,
    block: u64,
    f: impl FnOnce(&State<'_>) -> chain::error::Result<T>,
) -> T {
    let mut ov = Overlay::new(store);
    let st = State::new(
        &mut ov,
        BlockEnv {
            number: block,
            author: Some(AccountId::new(AUTHOR)),
        },
    );
    f(&st).unwrap()
}

fn check_invariants(store: &MemoryStore, block: u64) -> Result<(), TestCaseError> {
    let broken = read(store, block, chain::invariants::check);
    prop_assert_eq!(broken, None);
    Ok(())
}

fn subnets(store: &MemoryStore, block: u64) -> BTreeMap<NetUid, Subnet> {
    read(store, block, |st| st.subnets())
        .into_iter()
        .map(|s| (s.netuid, s))
        .collect()
}

fn totals(store: &MemoryStore, block: u64) -> Totals {
    read(store, block, |st| st.totals())
}

/// Alpha in existence outside the burned counter: alpha_in + alpha_out.
fn live_alpha(s: &Subnet) -> i128 {
    i128::from(s.pool.alpha_in.rao()) + i128::from(s.pool.alpha_out.rao())
}

/// The keys a change set really changes (an overlay may rewrite a value unchanged).
fn changed_keys(store: &MemoryStore, changes: &ChangeSet) -> Vec<Vec<u8>> {
    changes
        .iter()
        .filter(|(k, v)| store.get(k).unwrap() != **v)
        .map(|(k, _)| k.clone())
        .collect()
}

/// Root's pool holds its stake 1:1: its TAO and its alpha_out move together and it never has
/// alpha in the pool or burned.
fn check_root(before: &Subnet, after: &Subnet) -> Result<(), TestCaseError> {
    prop_assert_eq!(after.mechanism, Mechanism::Stable);
    prop_assert_eq!(after.pool.alpha_in, before.pool.alpha_in);
    prop_assert_eq!(after.pool.alpha_burned, before.pool.alpha_burned);
    prop_assert_eq!(
        i128::from(after.pool.alpha_out.rao()) - i128::from(before.pool.alpha_out.rao()),
        i128::from(after.pool.tao.rao()) - i128::from(before.pool.tao.rao())
    );
    Ok(())
}

/// One block's hooks: TAO issuance rises by exactly the emission; each subnet's alpha changes by
/// exactly its minted alpha less what its epoch destroyed.
fn run_hooks(store: &mut MemoryStore, block: u64) -> Result<(), TestCaseError> {
    let (t0, s0) = (totals(store, block), subnets(store, block));
    let env = BlockEnv {
        number: block,
        author: Some(AccountId::new(AUTHOR)),
    };
    let mut ov = Overlay::new(&*store);
    let events = {
        let mut st = State::new(&mut ov, env);
        chain::coinbase::on_initialize(&mut st).unwrap();
        st.take_events()
    };
    ov.into_changes().apply_to(store).unwrap();
    let (t1, s1) = (totals(store, block), subnets(store, block));
    let minted: u64 = events
        .iter()
        .map(|e| match e {
            Event::BlockEmission { tao } => tao.rao(),
            _ => 0,
        })
        .sum();
    prop_assert_eq!(
        t1.total_issuance.rao(),
        t0.total_issuance.rao() + minted,
        "hook issuance"
    );
    prop_assert_eq!(t1.burned, t0.burned);
    prop_assert_eq!(
        s0.keys().collect::<Vec<_>>(),
        s1.keys().collect::<Vec<_>>(),
        "hooks neither add nor remove subnets"
    );
    for (n, before) in &s0 {
        let after = &s1[n];
        if n.is_root() {
            check_root(before, after)?;
            continue;
        }
        let destroyed: u64 = events
            .iter()
            .map(|e| match e {
                Event::EpochRun { netuid, burned, .. } if netuid == n => burned.rao(),
                _ => 0,
            })
            .sum();
        let e = &after.last_block_emission;
        let minted = e.alpha_in.rao() + e.alpha_out.rao();
        prop_assert_eq!(
            live_alpha(after) - live_alpha(before),
            i128::from(minted) - i128::from(destroyed),
            "hook alpha on {}",
            n
        );
        // What the epoch destroyed is recycled, or burned (counted) when it was an owner
        // hotkey's incentive and the owner chose to burn.
        let burned = after.pool.alpha_burned.rao() - before.pool.alpha_burned.rao();
        prop_assert!(
            burned <= destroyed,
            "burned {} > destroyed {}",
            burned,
            destroyed
        );
    }
    Ok(())
}

/// A failed call's changes: only the fee (and the nonce).
fn check_failed(
    store: &MemoryStore,
    changes: &ChangeSet,
    receipt: &Receipt,
    call: &Call,
    block: u64,
) -> Result<(), TestCaseError> {
    let who = receipt.signer;
    let author = AccountId::new(AUTHOR);
    let mut after_store = store.clone();
    changes.clone().apply_to(&mut after_store).unwrap();
    let acct0 = read(store, block, |st| st.account(&who));
    let acct1 = read(&after_store, block, |st| st.account(&who));
    let author0 = read(store, block, |st| st.account(&author)).free.rao();
    let author1 = read(&after_store, block, |st| st.account(&author))
        .free
        .rao();
    prop_assert_eq!(acct1.nonce, acct0.nonce + 1);
    let total = receipt.fee.rao() + receipt.tip.rao();
    let changed = changed_keys(store, changes);
    match receipt.fee_in_alpha {
        None => {
            // The signer pays fee + tip in TAO; a remainder below the existential deposit is
            // recycled with it. The author gets exactly fee + tip.
            let rest = acct0.free.rao() - total;
            let dust = if rest > 0 && rest < chain::balances::EXISTENTIAL_DEPOSIT.rao() {
                rest
            } else {
                0
            };
            prop_assert_eq!(acct1.free.rao(), rest - dust);
            prop_assert_eq!(author1 - author0, total);
            let mut totals_after = totals(store, block);
            totals_after.total_issuance =
                TaoBalance::from_rao(totals_after.total_issuance.rao() - dust);
            prop_assert_eq!(
                totals(&after_store, block),
                totals_after,
                "only the dust recycled"
            );
            let allowed = [
                Accounts::key(&who),
                Accounts::key(&author),
                TotalsItem::key(&()),
            ];
            for k in &changed {
                prop_assert!(allowed.contains(k), "failed call changed {:?}", k);
            }
        }
        Some((netuid, sold)) => {
            // The signer had too little free TAO: just enough of the stake the call moves was
            // sold (fee-free) for the author; nothing else of the signer's changed.
            let (hotkey, _) = chain::fees::alpha_fee_source(call).unwrap();
            let sold = sold.rao();
            prop_assert_eq!(acct1.free, acct0.free);
            let s0 = read(store, block, |st| st.subnet(netuid));
            let s1 = read(&after_store, block, |st| st.subnet(netuid));
            let raised = author1 - author0;
            let quote = |a: u64| {
                chain::pool::quote_sell(s0.mechanism, &s0.pool, a, true).map_or(0, |q| q.amount_out)
            };
            prop_assert_eq!(raised, quote(sold), "the author gets the sale's TAO");
            prop_assert!(raised >= total, "the sale covers the fee");
            prop_assert!(
                quote(sold - 1) < total,
                "and sells no more alpha than needed"
            );
            let mut expected = s0.clone();
            if s0.mechanism == Mechanism::Dynamic {
                expected.pool.alpha_in = AlphaBalance::from_rao(s0.pool.alpha_in.rao() + sold);
            }
            expected.pool.alpha_out = AlphaBalance::from_rao(s0.pool.alpha_out.rao() - sold);
            expected.pool.tao = TaoBalance::from_rao(s0.pool.tao.rao() - raised);
            expected.pool.volume += u128::from(raised);
            prop_assert_eq!(&s1, &expected, "the pool takes exactly the sale");
            // The stake: exactly `sold` alpha leaves the hotkey's share pool, and exactly the
            // signer's shares worth it (rounded up, all of them for its whole stake) are burned;
            // no other staker's shares change (checked with the keys below).
            let p0 = read(store, block, |st| {
                st.get_or_default::<HotkeyPools>(&(hotkey, netuid))
            });
            let p1 = read(&after_store, block, |st| {
                st.get_or_default::<HotkeyPools>(&(hotkey, netuid))
            });
            let shares = |st: &MemoryStore| {
                read(st, block, |st| {
                    st.get_or_default::<StakeShares>(&(hotkey, netuid, who))
                })
            };
            let stake = |st: &MemoryStore| {
                read(st, block, |st| {
                    chain::shares::stake_of(st, &hotkey, netuid, &who)
                })
                .rao()
            };
            prop_assert_eq!(p0.alpha.rao() - p1.alpha.rao(), sold, "the hotkey's pool");
            let burnt = shares(store) - shares(&after_store);
            prop_assert_eq!(p0.shares - p1.shares, burnt);
            if stake(store) == sold {
                prop_assert_eq!(burnt, shares(store), "the whole stake");
            } else {
                let (a, s) = (u128::from(p0.alpha.rao()), p0.shares);
                prop_assert_eq!(
                    burnt,
                    (u128::from(sold) * s).div_ceil(a),
                    "shares of `sold`"
                );
            }
            // In value the signer's stake drops by `sold`, or by up to one share's worth more:
            // shares are whole numbers and the burn is rounded in the other stakers' favour.
            let drop = stake(store) - stake(&after_store);
            let share_value = u128::from(p0.alpha.rao()).div_ceil(p0.shares.max(1));
            prop_assert!(
                u128::from(drop) >= u128::from(sold)
                    && u128::from(drop) <= u128::from(sold) + share_value,
                "the signer's stake dropped {} for {} sold",
                drop,
                sold
            );
            let allowed = [
                Accounts::key(&who),
                Accounts::key(&author),
                Subnets::key(&netuid),
                HotkeyPools::key(&(hotkey, netuid)),
                StakeShares::key(&(hotkey, netuid, who)),
            ];
            for k in &changed {
                prop_assert!(allowed.contains(k), "failed call changed {:?}", k);
            }
        }
    }
    Ok(())
}

/// A transaction's TAO and alpha deltas against its events.
fn check_tx_books(
    t0: &Totals,
    t1: &Totals,
    s0: &BTreeMap<NetUid, Subnet>,
    s1: &BTreeMap<NetUid, Subnet>,
    receipt: &Receipt,
    free0: u64,
    key_swap_cost: u64,
) -> Result<(), TestCaseError> {
    let events = &receipt.events;
    // TAO: recycled dust and key-swap costs, nothing minted, nothing burned.
    let fee_dust = match (&receipt.outcome, receipt.fee_in_alpha) {
        (TxOutcome::Invalid(_), _) | (_, Some(_)) => 0,
        _ => {
            let rest = free0 - receipt.fee.rao() - receipt.tip.rao();
            if rest < chain::balances::EXISTENTIAL_DEPOSIT.rao() {
                rest
            } else {
                0
            }
        }
    };
    let recycled: u64 = events
        .iter()
        .map(|e| match e {
            Event::DustLost { amount, .. } => amount.rao(),
            Event::HotkeySwapped { .. } | Event::ColdkeySwapScheduled { .. } => key_swap_cost,
            _ => 0,
        })
        .sum();
    prop_assert_eq!(
        t1.total_issuance.rao(),
        t0.total_issuance.rao() - fee_dust - recycled,
        "transaction issuance: fee dust {}, recycled {}",
        fee_dust,
        recycled
    );
    prop_assert_eq!(t1.burned, t0.burned);
    // Alpha, per subnet.
    let added = |n: &NetUid| {
        events
            .iter()
            .any(|e| matches!(e, Event::NetworkAdded { netuid, .. } if netuid == n))
    };
    let removed = |n: &NetUid| {
        events
            .iter()
            .any(|e| matches!(e, Event::NetworkRemoved { netuid, .. } if netuid == n))
    };
    for (n, after) in s1 {
        if !s0.contains_key(n) || added(n) {
            // A new subnet starts with its pool's alpha only.
            prop_assert!(added(n), "subnet {} appeared without NetworkAdded", n);
            prop_assert!(after.pool.alpha_out.is_zero() && after.pool.alpha_burned.is_zero());
        }
    }
    for (n, before) in s0 {
        let Some(after) = s1.get(n) else {
            prop_assert!(removed(n), "subnet {} vanished without NetworkRemoved", n);
            continue;
        };
        if added(n) {
            continue;
        }
        if n.is_root() {
            check_root(before, after)?;
            continue;
        }
        let (mut destroyed, mut burned) = (0u64, 0u64);
        for e in events {
            match e {
                Event::AlphaDestroyed {
                    netuid,
                    amount,
                    recycled,
                    ..
                } if netuid == n => {
                    destroyed += amount.rao();
                    if !recycled {
                        burned += amount.rao();
                    }
                }
                // The burn's TAO buys alpha from the pool, and that alpha is recycled.
                Event::NeuronRegistered { netuid, cost, .. } if netuid == n => {
                    destroyed +=
                        chain::pool::quote_buy(before.mechanism, &before.pool, cost.rao(), false)
                            .map_or(0, |q| q.amount_out);
                }
                _ => {}
            }
        }
        prop_assert_eq!(
            live_alpha(after) - live_alpha(before),
            -i128::from(destroyed),
            "transaction alpha on {}",
            n
        );
        prop_assert_eq!(
            after.pool.alpha_burned.rao() - before.pool.alpha_burned.rao(),
            burned
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_calls_keep_the_books(steps in prop::collection::vec(step(), 1..80)) {
        let mut store = base_state();
        let acc = accounts();
        let mut block = BASE_BLOCK;
        let author = AccountId::new(AUTHOR);
        let key_swap_cost = read(&store, block, |st| st.params()).key_swap_cost.rao();
        check_invariants(&store, block)?;
        for step in steps {
            match step {
                Step::NextBlocks(n) => {
                    for _ in 0..n {
                        block += 1;
                        run_hooks(&mut store, block)?;
                        check_invariants(&store, block)?;
                    }
                }
                Step::Tx { signer, nonce_offset, call } => {
                    let who = acc[signer];
                    let acct0 = read(&store, block, |st| st.account(&who));
                    let (t0, s0) = (totals(&store, block), subnets(&store, block));
                    let nonce = acct0.nonce.saturating_add_signed(i64::from(nonce_offset));
                    let tx = Transaction { signer: who, nonce, tip: TaoBalance::ZERO, call: call.clone(), signature: [0; 64] };
                    let env = BlockEnv { number: block, author: Some(author) };
                    let mut ov = Overlay::new(&store);
                    let receipt = apply_checked(&mut ov, &env, &tx).unwrap();
                    let changes = ov.into_changes();
                    match &receipt.outcome {
                        TxOutcome::Invalid(_) => prop_assert!(changes.is_empty(), "invalid tx changed state"),
                        TxOutcome::Failed(_) => check_failed(&store, &changes, &receipt, &call, block)?,
                        TxOutcome::Applied => {}
                    }
                    changes.apply_to(&mut store).unwrap();
                    let nonce1 = read(&store, block, |st| st.account(&who)).nonce;
                    match receipt.outcome {
                        TxOutcome::Invalid(_) => prop_assert_eq!(nonce1, acct0.nonce),
                        _ => prop_assert_eq!(nonce1, acct0.nonce + 1),
                    }
                    let (t1, s1) = (totals(&store, block), subnets(&store, block));
                    check_tx_books(&t0, &t1, &s0, &s1, &receipt, acct0.free.rao(), key_swap_cost)?;
                }
            }
            check_invariants(&store, block)?;
        }
        let _ = store.get(b"").unwrap();
    }
}

/// The generator must produce a fair share of calls that succeed, or the properties above
/// would only ever see rejections.
#[test]
fn generated_calls_often_succeed() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut store = base_state();
    let acc = accounts();
    let author = AccountId::new(AUTHOR);
    let (mut applied, mut failed, mut invalid) = (0u32, 0u32, 0u32);
    let mut kinds = std::collections::BTreeMap::new();
    for _ in 0..400 {
        let (signer, call) = (0usize..SIGNERS, call())
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let who = acc[signer];
        let nonce = read(&store, BASE_BLOCK, |st| st.account(&who)).nonce;
        let tx = Transaction {
            signer: who,
            nonce,
            tip: TaoBalance::ZERO,
            call,
            signature: [0; 64],
        };
        let env = BlockEnv {
            number: BASE_BLOCK,
            author: Some(author),
        };
        let mut ov = Overlay::new(&store);
        let receipt = apply_checked(&mut ov, &env, &tx).unwrap();
        let changes = ov.into_changes();
        changes.apply_to(&mut store).unwrap();
        match receipt.outcome {
            TxOutcome::Applied => applied += 1,
            TxOutcome::Failed(e) => {
                failed += 1;
                let name = format!("{e:?}");
                let name = name.split(['(', ' ']).next().unwrap_or("").to_string();
                *kinds.entry(name).or_insert(0u32) += 1;
            }
            TxOutcome::Invalid(_) => invalid += 1,
        }
    }
    println!("applied {applied}, failed {failed}, invalid {invalid}; failures {kinds:?}");
    assert!(
        applied >= 30,
        "applied {applied}, failed {failed}, invalid {invalid}"
    );
}
