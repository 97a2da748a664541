//! A subnet's life through real signed transactions on the fast preset: a subnet is created and
//! started; 3 validators and 10 miners register; stake is added (with a nominator); validators
//! set weights for 5 tempos; then better-weighted miners hold more alpha, validators and the
//! nominator earned dividends, and the owner got the cut. Prints the numbers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use chain::call::Call;
use chain::genesis::{GenesisConfig, Preset};
use chain::runtime::TxOutcome;
use chain::shares::stake_of;
use chain::testing::Sim;
use types::{AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

const T: u64 = RAO_PER_TAO;

fn pair(uri: &str) -> keys::Keypair {
    keys::Keypair::from_uri(uri).unwrap()
}

fn expect_applied(out: &chain::BlockOutcome) {
    for r in &out.receipts {
        assert_eq!(r.outcome, TxOutcome::Applied, "{:?}", r);
    }
}

#[test]
fn subnet_lifecycle_pays_miners_validators_nominators_and_owner() {
    let genesis = GenesisConfig::dev(Preset::Fast).unwrap();
    let mut sim = Sim::new(&genesis);
    let (alice, bob) = (pair("//Alice"), pair("//Bob"));
    let owner_hot = pair("//Bob//owner");

    // Bob creates and starts a subnet.
    sim.submit(
        &bob,
        Call::RegisterNetwork {
            hotkey: owner_hot.account_id(),
            identity: None,
        },
    );
    let out = sim.produce_block();
    expect_applied(&out);
    let netuid = NetUid(2);
    sim.submit(&bob, Call::StartCall { netuid });
    expect_applied(&sim.produce_block());

    // 3 validators (owned by Charlie, Dave, Eve) and 10 miners (owned by Ferdie) register.
    let vcold = [pair("//Charlie"), pair("//Dave"), pair("//Eve")];
    let vhot: Vec<keys::Keypair> = (0..3).map(|i| pair(&format!("//Validator{i}"))).collect();
    let ferdie = pair("//Ferdie");
    let mhot: Vec<keys::Keypair> = (0..10)
        .map(|i| keys::Keypair::from_seed(&[i + 1; 32]).unwrap())
        .collect();
    for (c, h) in vcold.iter().zip(&vhot) {
        sim.submit(
            c,
            Call::BurnedRegister {
                netuid,
                hotkey: h.account_id(),
            },
        );
    }
    for h in &mhot {
        sim.submit(
            &ferdie,
            Call::BurnedRegister {
                netuid,
                hotkey: h.account_id(),
            },
        );
    }
    expect_applied(&sim.produce_block());

    // Stake: validators 100 / 50 / 25 TAO on their own hotkeys; Alice nominates 50 TAO to V0.
    for (c, (h, amount)) in vcold.iter().zip(vhot.iter().zip([100, 50, 25])) {
        sim.submit(
            c,
            Call::AddStake {
                hotkey: h.account_id(),
                netuid,
                amount_staked: TaoBalance::from_rao(amount * T),
            },
        );
    }
    sim.submit(
        &alice,
        Call::AddStake {
            hotkey: vhot[0].account_id(),
            netuid,
            amount_staked: TaoBalance::from_rao(50 * T),
        },
    );
    expect_applied(&sim.produce_block());
    let v0 = vhot[0].account_id();
    let alice_start = sim.read(|st| stake_of(st, &v0, netuid, &alice.account_id()));
    let v0_own_start = sim.read(|st| stake_of(st, &v0, netuid, &vcold[0].account_id()));

    // Wait for the first epoch so validators get permits.
    let tempo = sim.read(|st| Ok(st.subnet(netuid)?.hp.tempo));
    sim.run_blocks(u64::from(tempo) + 1);
    let permits = sim.read(|st| {
        (1..=3)
            .map(|u| Ok(chain::registration::neuron(st, netuid, types::Uid(u))?.validator_permit))
            .collect::<chain::error::Result<Vec<bool>>>()
    });
    assert_eq!(permits, vec![true, true, true]);

    // Weights: miner k (uid 4 + k) gets weight k + 1; every tempo for 5 tempos.
    let miner_uids: Vec<u16> = (4..14).collect();
    let weights: Vec<u16> = (1..=10).collect();
    let start_block = sim.block;
    for _ in 0..5 {
        for h in &vhot {
            sim.submit(
                h,
                Call::SetWeights {
                    netuid,
                    dests: miner_uids.clone(),
                    weights: weights.clone(),
                    version_key: 0,
                },
            );
        }
        expect_applied(&sim.produce_block());
        sim.run_blocks(u64::from(tempo) - 1);
    }
    let epochs = sim.read(|st| Ok(st.subnet(netuid)?.epoch_index));
    println!(
        "blocks {start_block}..{}: {epochs} epochs on subnet {netuid}",
        sim.block
    );

    // Miners: alpha staked to each miner hotkey for Ferdie.
    let ferdie_id = ferdie.account_id();
    let miner_alpha: Vec<AlphaBalance> = mhot
        .iter()
        .map(|h| sim.read(|st| stake_of(st, &h.account_id(), netuid, &ferdie_id)))
        .collect();
    for (k, a) in miner_alpha.iter().enumerate() {
        println!("miner {k} (weight {:2}): {a}", k + 1);
    }
    assert!(miner_alpha[9] > miner_alpha[0], "best miner earns more");
    assert!(
        miner_alpha.windows(2).filter(|w| w[1] >= w[0]).count() >= 8,
        "mostly increasing with weight"
    );
    assert!(!miner_alpha[0].is_zero());

    // Validators and the nominator.
    for (i, (c, h)) in vcold.iter().zip(&vhot).enumerate() {
        let s = sim.read(|st| stake_of(st, &h.account_id(), netuid, &c.account_id()));
        println!("validator {i} own stake: {s}");
    }
    let alice_end = sim.read(|st| stake_of(st, &v0, netuid, &alice.account_id()));
    let v0_own_end = sim.read(|st| stake_of(st, &v0, netuid, &vcold[0].account_id()));
    println!("nominator Alice on V0: {alice_start} -> {alice_end}");
    println!("V0 owner (Charlie) on V0: {v0_own_start} -> {v0_own_end}");
    assert!(alice_end > alice_start, "nominator earns dividends");
    assert!(
        v0_own_end > v0_own_start,
        "validator earns dividends and take"
    );

    // Owner cut.
    let owner_stake =
        sim.read(|st| stake_of(st, &owner_hot.account_id(), netuid, &bob.account_id()));
    println!("owner cut staked to the owner hotkey: {owner_stake}");
    assert!(!owner_stake.is_zero());

    // Accounting holds.
    let broken = sim.read(chain::invariants::check);
    assert_eq!(broken, None);
    let s = sim.read(|st| st.subnet(netuid));
    println!(
        "pool: {} / {} in, alpha out {}, price {:?}",
        s.pool.tao,
        s.pool.alpha_in,
        s.pool.alpha_out,
        chain::pool::spot_price(s.mechanism, &s.pool)
    );
}
