//! Commit-reveal through real blocks on the reference preset (tempo 360, commit-reveal on by
//! default): a validator commits a hash of its weights, reveals them in the next epoch, and
//! the epoch after pays the better-weighted miner more.
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
use chain::testing::Sim;
use chain::weights::commit_hash;
use types::{NetUid, RAO_PER_TAO, TaoBalance};

fn pair(uri: &str) -> keys::Keypair {
    keys::Keypair::from_uri(uri).unwrap()
}

fn applied(out: &chain::BlockOutcome) {
    for r in &out.receipts {
        assert_eq!(r.outcome, TxOutcome::Applied, "{r:?}");
    }
}

/// Runs blocks until the subnet's epoch index reaches `index`.
fn until_epoch(sim: &mut Sim, netuid: NetUid, index: u64) {
    while sim.read(|st| Ok(st.subnet(netuid)?.epoch_index)) < index {
        sim.produce_block();
    }
}

#[test]
fn commit_then_reveal_in_the_next_epoch_then_get_paid() {
    let mut sim = Sim::new(&GenesisConfig::dev(Preset::Reference).unwrap());
    let (bob, charlie, dave) = (pair("//Bob"), pair("//Charlie"), pair("//Dave"));
    let (owner_hot, vhot) = (pair("//Bob//owner"), pair("//Charlie//validator"));
    let miners = [pair("//Dave//m0"), pair("//Dave//m1")];
    sim.submit(
        &bob,
        Call::RegisterNetwork {
            hotkey: owner_hot.account_id(),
            identity: None,
        },
    );
    applied(&sim.produce_block());
    let netuid = NetUid(2);
    assert!(sim.read(|st| Ok(st.subnet(netuid)?.hp.commit_reveal_enabled)));
    sim.submit(&bob, Call::StartCall { netuid });
    sim.submit(
        &charlie,
        Call::BurnedRegister {
            netuid,
            hotkey: vhot.account_id(),
        },
    );
    for m in &miners {
        sim.submit(
            &dave,
            Call::BurnedRegister {
                netuid,
                hotkey: m.account_id(),
            },
        );
    }
    applied(&sim.produce_block());
    sim.submit(
        &charlie,
        Call::AddStake {
            hotkey: vhot.account_id(),
            netuid,
            amount_staked: TaoBalance::from_rao(500 * RAO_PER_TAO),
        },
    );
    applied(&sim.produce_block());

    // The first epoch hands out permits.
    until_epoch(&mut sim, netuid, 1);
    // Commit: miner uid 3 gets three times miner uid 2.
    let (uids, values, salt) = (vec![2u16, 3], vec![1u16, 3], vec![7u16, 7, 7]);
    let h = commit_hash(&vhot.account_id(), netuid, &uids, &values, &salt, 0);
    sim.submit(
        &vhot,
        Call::CommitWeights {
            netuid,
            commit_hash: h,
        },
    );
    applied(&sim.produce_block());
    // Too early to reveal in the same epoch.
    let reveal = Call::RevealWeights {
        netuid,
        uids: uids.clone(),
        values: values.clone(),
        salt: salt.clone(),
        version_key: 0,
    };
    sim.submit(&vhot, reveal.clone());
    let out = sim.produce_block();
    assert!(matches!(
        out.receipts[0].outcome,
        TxOutcome::Failed(chain::ChainError::RevealTooEarly(2))
    ));
    // Next epoch: reveal.
    until_epoch(&mut sim, netuid, 2);
    sim.submit(&vhot, reveal);
    applied(&sim.produce_block());
    // The epoch after pays the miners by the revealed weights.
    until_epoch(&mut sim, netuid, 3);
    let ns = chain::queries::neurons(&sim.store, netuid).unwrap();
    println!(
        "incentive: m0 {} m1 {}; emission m0 {} m1 {}",
        ns[2].incentive, ns[3].incentive, ns[2].emission, ns[3].emission
    );
    assert!(ns[3].incentive > ns[2].incentive && ns[2].incentive > 0);
    assert!(ns[3].emission > ns[2].emission);
    assert!(ns[1].validator_permit);
    assert_eq!(sim.read(chain::invariants::check), None);
}
