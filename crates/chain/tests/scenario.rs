//! A subnet's life through real signed transactions on the fast preset: a subnet is created and
//! started; 3 validators and 10 miners register; stake is added (each validator has a
//! nominator); validators set weights for 5 tempos; then every better-weighted miner holds
//! strictly more alpha, every validator's owner and every nominator earned dividends (the owner
//! more, relatively: the take), and the subnet owner got exactly the cut of every block.
//! Prints the numbers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use chain::call::Call;
use chain::events::Event;
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

    // Stake: validators 100 / 50 / 25 TAO on their own hotkeys; nominators Alice 50 TAO on V0,
    // Bob 20 TAO on V1, Alice 10 TAO on V2.
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
    let nominators = [(&alice, 0usize, 50u64), (&bob, 1, 20), (&alice, 2, 10)];
    for (who, v, amount) in nominators {
        sim.submit(
            who,
            Call::AddStake {
                hotkey: vhot[v].account_id(),
                netuid,
                amount_staked: TaoBalance::from_rao(amount * T),
            },
        );
    }
    expect_applied(&sim.produce_block());
    // (validator owner's stake, nominator's stake) on each validator hotkey.
    let stakes = |sim: &Sim| -> Vec<(u64, u64)> {
        (0..3)
            .map(|v| {
                let h = vhot[v].account_id();
                let own = sim.read(|st| stake_of(st, &h, netuid, &vcold[v].account_id()));
                let nom = sim.read(|st| stake_of(st, &h, netuid, &nominators[v].0.account_id()));
                (own.rao(), nom.rao())
            })
            .collect()
    };
    let start = stakes(&sim);
    // Every hook event from here on (epochs report their owner cut).
    let mut hook_events: Vec<Event> = Vec::new();

    // Wait for the first epoch so validators get permits.
    let tempo = sim.read(|st| Ok(st.subnet(netuid)?.hp.tempo));
    for _ in 0..=tempo {
        hook_events.extend(sim.produce_block().hook_events);
    }
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
        let out = sim.produce_block();
        expect_applied(&out);
        hook_events.extend(out.hook_events);
        for _ in 1..tempo {
            hook_events.extend(sim.produce_block().hook_events);
        }
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
    // Strictly increasing with weight, for every pair (the validators agree, so consensus keeps
    // every weight and incentive is proportional to it: no two miners tie).
    for i in 0..miner_alpha.len() {
        for j in i + 1..miner_alpha.len() {
            assert!(
                miner_alpha[i] < miner_alpha[j],
                "miner {j} (weight {}) must earn more than miner {i} (weight {})",
                j + 1,
                i + 1
            );
        }
    }
    assert!(!miner_alpha[0].is_zero());

    // Validators and their nominators: every one gained on its starting stake, and each
    // validator's owner gained relatively more than its nominator (it also gets the take).
    let end = stakes(&sim);
    for v in 0..3 {
        let ((own0, nom0), (own1, nom1)) = (start[v], end[v]);
        println!(
            "V{v}: owner {} -> {} (+{}), nominator {} -> {} (+{})",
            AlphaBalance::from_rao(own0),
            AlphaBalance::from_rao(own1),
            AlphaBalance::from_rao(own1 - own0),
            AlphaBalance::from_rao(nom0),
            AlphaBalance::from_rao(nom1),
            AlphaBalance::from_rao(nom1 - nom0)
        );
        assert!(
            own1 > own0,
            "validator {v}'s owner earns dividends and take"
        );
        assert!(nom1 > nom0, "validator {v}'s nominator earns dividends");
        assert!(
            u128::from(own1 - own0) * u128::from(nom0) > u128::from(nom1 - nom0) * u128::from(own0),
            "validator {v}'s owner gains relatively more than its nominator (the take)"
        );
    }

    // Owner cut: 11,796/65,535 of each block's 1 α since the subnet started, staked to the
    // owner hotkey at every epoch; what the last epoch has not paid yet is still pending.
    let s = sim.read(|st| st.subnet(netuid));
    let first = s.first_emission_block.unwrap();
    let blocks = sim.block - first + 1;
    let cut_per_block = chain::pool::mul_div(T, 11_796, 65_535).unwrap();
    assert_eq!(cut_per_block, 179_995_422);
    let owner_stake = sim
        .read(|st| stake_of(st, &owner_hot.account_id(), netuid, &bob.account_id()))
        .rao();
    let paid: u64 = hook_events
        .iter()
        .map(|e| match e {
            Event::EpochRun {
                netuid: n,
                owner_cut,
                ..
            } if *n == netuid => owner_cut.rao(),
            _ => 0,
        })
        .sum();
    println!(
        "owner cut staked to the owner hotkey: {} ({blocks} blocks, {} pending)",
        AlphaBalance::from_rao(owner_stake),
        s.pending.owner
    );
    assert!(owner_stake > 0);
    assert_eq!(
        owner_stake, paid,
        "the owner hotkey holds exactly the cuts paid"
    );
    assert_eq!(
        paid + s.pending.owner.rao(),
        blocks * cut_per_block,
        "the cut of every block since the start"
    );

    // Accounting holds.
    let broken = sim.read(chain::invariants::check);
    assert_eq!(broken, None);
    println!(
        "pool: {} / {} in, alpha out {}, price {:?}",
        s.pool.tao,
        s.pool.alpha_in,
        s.pool.alpha_out,
        chain::pool::spot_price(s.mechanism, &s.pool)
    );
}
