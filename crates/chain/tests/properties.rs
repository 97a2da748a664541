//! Property tests over random sequences of calls from random signers, applied one by one with
//! per-block hooks in between:
//! - nothing panics and no storage error surfaces;
//! - the accounting invariants hold after every step (TAO: issuance = free + pools + burned;
//!   alpha per subnet: alpha_out = stakes + pending + protocol alpha);
//! - TAO issuance never rises inside a transaction and rises only by the block emission in the
//!   hooks;
//! - a signer's nonce rises by exactly one per included transaction;
//! - a failed call changes nothing but the fee: only the signer's and the author's accounts
//!   (and the issuance counters for recycled dust) may change, unless the fee was paid by
//!   selling stake;
//! - an invalid transaction changes nothing at all.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use chain::call::Call;
use chain::hyperparams::HyperparamValue;
use chain::runtime::{TxOutcome, apply_checked};
use chain::storage::{Accounts, Item, TotalsItem};
use chain::store::{MemoryStore, Overlay, StateStore};
use chain::testing::Sim;
use chain::{BlockEnv, State, Transaction};
use proptest::prelude::*;
use types::{AccountId, AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

const T: u64 = RAO_PER_TAO;
const AUTHOR: [u8; 32] = [250; 32];

/// Six dev coldkeys, then four hotkeys (seeds 1..=4).
fn accounts() -> Vec<AccountId> {
    static ACCOUNTS: std::sync::OnceLock<Vec<AccountId>> = std::sync::OnceLock::new();
    ACCOUNTS.get_or_init(make_accounts).clone()
}

fn make_accounts() -> Vec<AccountId> {
    let mut v: Vec<AccountId> = chain::genesis::DEV_NAMES
        .iter()
        .map(|n| chain::genesis::dev_account(n).unwrap())
        .collect();
    for i in 1..=4u8 {
        v.push(keys::Keypair::from_seed(&[i; 32]).unwrap().account_id());
    }
    v
}

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
    sim.produce_block();
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
        (acc(), netuid(), amount()).prop_map(|(hotkey, netuid, a)| Call::RemoveStake {
            hotkey,
            netuid,
            amount_unstaked: AlphaBalance::from_rao(a)
        }),
        (acc(), netuid(), amount(), amount(), any::<bool>()).prop_map(
            |(hotkey, netuid, a, limit, allow_partial)| Call::RemoveStakeLimit {
                hotkey,
                netuid,
                amount_unstaked: AlphaBalance::from_rao(a),
                limit_price: limit,
                allow_partial
            }
        ),
        (acc(), acc(), netuid(), netuid(), amount()).prop_map(|(h1, h2, n1, n2, a)| {
            Call::MoveStake {
                origin_hotkey: h1,
                destination_hotkey: h2,
                origin_netuid: n1,
                destination_netuid: n2,
                alpha_amount: AlphaBalance::from_rao(a),
            }
        }),
        (acc(), acc(), netuid(), netuid(), amount()).prop_map(|(c, h, n1, n2, a)| {
            Call::TransferStake {
                destination_coldkey: c,
                hotkey: h,
                origin_netuid: n1,
                destination_netuid: n2,
                alpha_amount: AlphaBalance::from_rao(a),
            }
        }),
        (acc(), netuid(), netuid(), amount()).prop_map(|(h, n1, n2, a)| Call::SwapStake {
            hotkey: h,
            origin_netuid: n1,
            destination_netuid: n2,
            alpha_amount: AlphaBalance::from_rao(a)
        }),
        acc().prop_map(|hotkey| Call::UnstakeAll { hotkey }),
        acc().prop_map(|hotkey| Call::UnstakeAllAlpha { hotkey }),
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
        (acc(), amount(), netuid(), any::<bool>()).prop_map(|(hotkey, a, netuid, recycle)| {
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
        8 => (0usize..10, prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)], call())
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_calls_keep_the_books(steps in prop::collection::vec(step(), 1..80)) {
        let mut store = base_state();
        let acc = accounts();
        let mut block = 3u64;
        let author = AccountId::new(AUTHOR);
        check_invariants(&store, block)?;
        for step in steps {
            match step {
                Step::NextBlocks(n) => {
                    for _ in 0..n {
                        block += 1;
                        let before = read(&store, block, |st| st.totals()).total_issuance.rao();
                        let env = BlockEnv { number: block, author: Some(author) };
                        let mut ov = Overlay::new(&store);
                        {
                            let mut st = State::new(&mut ov, env);
                            chain::coinbase::on_initialize(&mut st).unwrap();
                        }
                        ov.into_changes().apply_to(&mut store).unwrap();
                        let after = read(&store, block, |st| st.totals()).total_issuance.rao();
                        prop_assert!(
                            after >= before.saturating_sub(2 * T) && after <= before + T,
                            "hook issuance {before} -> {after}"
                        );
                        check_invariants(&store, block)?;
                    }
                }
                Step::Tx { signer, nonce_offset, call } => {
                    let who = acc[signer];
                    let nonce0 = read(&store, block, |st| st.account(&who)).nonce;
                    let issuance0 = read(&store, block, |st| st.totals()).total_issuance.rao();
                    let nonce = nonce0.saturating_add_signed(i64::from(nonce_offset));
                    let tx = Transaction { signer: who, nonce, tip: TaoBalance::ZERO, call, signature: [0; 64] };
                    let env = BlockEnv { number: block, author: Some(author) };
                    let mut ov = Overlay::new(&store);
                    let receipt = apply_checked(&mut ov, &env, &tx).unwrap();
                    let changes = ov.into_changes();
                    match &receipt.outcome {
                        TxOutcome::Invalid(_) => prop_assert!(changes.is_empty(), "invalid tx changed state"),
                        // A fee paid by selling stake also moves that stake and its pool.
                        TxOutcome::Failed(_) if receipt.fee_in_alpha.is_some() => {}
                        TxOutcome::Failed(_) => {
                            let allowed = [Accounts::key(&who), Accounts::key(&author), TotalsItem::key(&())];
                            for (k, _) in changes.iter() {
                                prop_assert!(allowed.contains(k), "failed call changed {:?}", k);
                            }
                        }
                        TxOutcome::Applied => {}
                    }
                    changes.apply_to(&mut store).unwrap();
                    let nonce1 = read(&store, block, |st| st.account(&who)).nonce;
                    match receipt.outcome {
                        TxOutcome::Invalid(_) => prop_assert_eq!(nonce1, nonce0),
                        _ => prop_assert_eq!(nonce1, nonce0 + 1),
                    }
                    let issuance1 = read(&store, block, |st| st.totals()).total_issuance.rao();
                    prop_assert!(issuance1 <= issuance0, "a transaction minted TAO");
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
        let (signer, call) = (0usize..10, call())
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let who = acc[signer];
        let nonce = read(&store, 3, |st| st.account(&who)).nonce;
        let tx = Transaction {
            signer: who,
            nonce,
            tip: TaoBalance::ZERO,
            call,
            signature: [0; 64],
        };
        let env = BlockEnv {
            number: 3,
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
