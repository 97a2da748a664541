//! Benchmarks with the targets (one core):
//! - a block of 1,000 signed transfers ≤ 100 ms;
//! - a block of 256 set_weights (256 weights each, every uid of a 256-uid subnet);
//! - epoch + payout of a 256-uid subnet ≤ 10 ms beyond yuma: measured whole, as the yuma call
//!   alone on the same inputs, and as everything but the yuma call (gathering the inputs,
//!   storing the outputs, the payout), so the cost beyond yuma is read directly;
//! - the per-block coinbase over 128 subnets ≤ 5 ms.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use chain::call::Call;
use chain::genesis::{GenesisConfig, Preset};
use chain::hyperparams::HyperparamValue;
use chain::schema::PendingEmission;
use chain::storage::Neurons;
use chain::testing::{NET, TestChain, acct};
use chain::{BlockEnv, State, Transaction, apply_block};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use types::{AccountId, AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance, Uid};

const T: u64 = RAO_PER_TAO;

fn transfers(c: &mut Criterion) {
    let genesis = GenesisConfig::dev(Preset::Fast).unwrap();
    let store = genesis.build().unwrap();
    let chain_id = chain::genesis::chain_id(&store);
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let txs: Vec<Transaction> = (0..1_000u64)
        .map(|n| {
            let dest = AccountId::new([u8::try_from(n % 200).unwrap() + 1; 32]);
            let call = Call::TransferKeepAlive {
                dest,
                value: TaoBalance::from_rao(T),
            };
            Transaction::sign(&alice, n, TaoBalance::ZERO, call, &chain_id)
        })
        .collect();
    let env = BlockEnv {
        number: 1,
        author: Some(acct(250)),
    };
    let out = apply_block(&store, &chain_id, &env, &txs).unwrap();
    assert!(
        out.receipts
            .iter()
            .all(|r| r.outcome == chain::TxOutcome::Applied)
    );
    c.bench_function("block of 1000 signed transfers", |b| {
        b.iter(|| black_box(apply_block(&store, &chain_id, &env, &txs).unwrap()))
    });
    // The same without signature checks: what the state machine itself costs.
    c.bench_function("1000 transfers, signatures not checked", |b| {
        b.iter(|| {
            let mut ov = chain::Overlay::new(&store);
            for tx in &txs {
                black_box(chain::runtime::apply_checked(&mut ov, &env, tx).unwrap());
            }
            black_box(ov.into_changes())
        })
    });
}

/// A subnet with `n` neurons whose hotkeys are the keypairs returned (uid i is `pairs[i]`; uid 0
/// is the owner hotkey), all permitted validators, every fourth with stake, commit-reveal off.
fn big_subnet(n: u16) -> (TestChain, Vec<keys::Keypair>) {
    let pairs: Vec<keys::Keypair> = (0..n)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..2].copy_from_slice(&i.to_le_bytes());
            keys::Keypair::from_seed(&seed).unwrap()
        })
        .collect();
    let mut t = TestChain::new();
    t.add_subnet_with_owner_hotkey(NET, &pairs[0].account_id(), 100_000 * T, 100_000 * T);
    t.set_hparam(NET, HyperparamValue::CommitRevealEnabled(false));
    t.set_hparam(NET, HyperparamValue::WeightsSetRateLimit(0));
    t.set_hparam(NET, HyperparamValue::MaxAllowedValidators(256));
    t.fund(&acct(1), 1_000_000 * T);
    t.with(|st| {
        for (i, p) in pairs.iter().enumerate().skip(1) {
            let hk = p.account_id();
            chain::hotkeys::ensure_hotkey(st, &acct(1), &hk)?;
            chain::registration::append_neuron(st, NET, &hk)?;
            if i % 4 == 0 {
                chain::staking::add_stake(
                    st,
                    &acct(1),
                    &hk,
                    NET,
                    TaoBalance::from_rao(100 * T),
                    None,
                )?;
            }
        }
        for u in 0..st.subnet(NET)?.n {
            let key = (NET, Uid(u));
            let mut nr = st.get::<Neurons>(&key)?.unwrap();
            nr.validator_permit = true;
            st.put::<Neurons>(&key, &nr)?;
        }
        Ok(())
    })
    .unwrap();
    (t, pairs)
}

fn set_weights(c: &mut Criterion) {
    let (t, pairs) = big_subnet(256);
    let chain_id = chain::genesis::chain_id(&t.store);
    let n = t.read(|st| Ok(st.subnet(NET)?.n));
    assert_eq!(n, 256);
    let dests: Vec<u16> = (0..n).collect();
    // Every uid sets weights, the owner hotkey (uid 0) included: 256 transactions.
    let txs: Vec<Transaction> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let weights: Vec<u16> = dests
                .iter()
                .map(|d| (d.wrapping_mul(31).wrapping_add(u16::try_from(i).unwrap())) % 1000 + 1)
                .collect();
            let call = Call::SetWeights {
                netuid: NET,
                dests: dests.clone(),
                weights,
                version_key: 0,
            };
            Transaction::sign(p, 0, TaoBalance::ZERO, call, &chain_id)
        })
        .collect();
    assert_eq!(txs.len(), 256);
    let env = BlockEnv {
        number: 5,
        author: Some(acct(250)),
    };
    let out = apply_block(&t.store, &chain_id, &env, &txs).unwrap();
    let bad: Vec<_> = out
        .receipts
        .iter()
        .filter(|r| r.outcome != chain::TxOutcome::Applied)
        .collect();
    assert!(bad.is_empty(), "{:?}", bad.first());
    c.bench_function("block of 256 set_weights x 256 uids", |b| {
        b.iter(|| black_box(apply_block(&t.store, &chain_id, &env, &txs).unwrap()))
    });
}

fn epoch(c: &mut Criterion) {
    let (mut t, _) = big_subnet(256);
    // Everyone weights everyone (validators' rows).
    t.with(|st| {
        for u in 0..256u16 {
            let key = (NET, Uid(u));
            let mut nr = st.get::<Neurons>(&key)?.unwrap();
            if u % 4 == 0 {
                nr.weights = (0..256u16).map(|j| (j, (j * 37 + u) % 65_535)).collect();
            }
            nr.last_update = 1;
            st.put::<Neurons>(&key, &nr)?;
        }
        Ok(())
    })
    .unwrap();
    let pots = PendingEmission {
        server: AlphaBalance::from_rao(147 * T),
        validator: AlphaBalance::from_rao(120 * T),
        root: AlphaBalance::from_rao(27 * T),
        owner: AlphaBalance::from_rao(64 * T),
    };
    t.set_block(360);
    c.bench_function("epoch + payout, 256 uids", |b| {
        b.iter(|| {
            let mut ov = chain::Overlay::new(&t.store);
            let mut st = State::new(&mut ov, t.env());
            chain::epoch::run_epoch(&mut st, NET, pots.clone(), 0).unwrap();
            black_box(ov.into_changes())
        })
    });
    // The yuma call alone, on the inputs run_epoch gathers from this state.
    let prepared = t.read(|st| chain::epoch::prepare_epoch(st, NET, &pots, 0));
    let out = yuma::epoch(&prepared.params, &prepared.input, &prepared.state).unwrap();
    c.bench_function("epoch: yuma call alone, 256 uids", |b| {
        b.iter(|| {
            black_box(yuma::epoch(&prepared.params, &prepared.input, &prepared.state).unwrap())
        })
    });
    // Everything run_epoch does but the yuma call: gather the inputs, store the outputs, pay.
    c.bench_function("epoch beyond yuma (inputs + payout), 256 uids", |b| {
        b.iter(|| {
            let mut ov = chain::Overlay::new(&t.store);
            let mut st = State::new(&mut ov, t.env());
            let prepared = chain::epoch::prepare_epoch(&st, NET, &pots, 0).unwrap();
            black_box(chain::epoch::pay_epoch(&mut st, prepared, &pots, &out).unwrap());
            black_box(ov.into_changes())
        })
    });
}

fn coinbase(c: &mut Criterion) {
    let mut t = TestChain::new();
    for i in 1..=128u16 {
        t.add_subnet(NetUid(i), 1_000 * T + u64::from(i) * T, 1_000 * T);
    }
    // No epoch is due in the measured block: the bench isolates the coinbase.
    t.with(|st| {
        for mut s in st.subnets()? {
            s.last_epoch_block = 10;
            st.put_subnet(&s)?;
        }
        Ok(())
    })
    .unwrap();
    t.set_block(12);
    c.bench_function("coinbase over 128 subnets", |b| {
        b.iter(|| {
            let mut ov = chain::Overlay::new(&t.store);
            let mut st = State::new(&mut ov, t.env());
            chain::coinbase::on_initialize(&mut st).unwrap();
            black_box(ov.into_changes())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = transfers, set_weights, epoch, coinbase
}
criterion_main!(benches);
