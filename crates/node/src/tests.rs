//! Consensus tests on the deterministic runtime and the simulated network.

use std::time::Duration;

use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network};
use commonware_runtime::{Clock, Quota, Runner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize};

use crate::block::BlockLimits;
use crate::engine::{self, Channels, EngineConfig, channel};
use crate::node::{Node, NodeConfig};
use crate::state_machine::StateMachine;
use crate::store::{Hash32, StateDb};
use crate::testing::{Transfer, Transfers, account, account_of};

const ACCOUNTS: u64 = 8;
const PER_ACCOUNT: u64 = 5;
const AMOUNT: u64 = 10;
const SINK: Hash32 = [0xEE; 32];

fn config() -> NodeConfig {
    NodeConfig {
        block_time: Duration::from_millis(250),
        limits: BlockLimits {
            max_block_bytes: 1024 * 1024,
        },
        ..NodeConfig::dev()
    }
}

fn machine() -> Transfers {
    Transfers::with_seeds(ACCOUNTS, 1_000_000)
}

/// Starts `n` authorities running the demo transfer machine.
async fn start_validators(context: &deterministic::Context, n: u64) -> Vec<Node<Transfers>> {
    start_with(context, n, machine).await
}

/// Starts `n` authorities on a simulated network; returns their nodes.
async fn start_with<SM: StateMachine>(
    context: &deterministic::Context,
    n: u64,
    make: impl Fn() -> SM,
) -> Vec<Node<SM>> {
    let keys: Vec<ed25519::PrivateKey> = (0..n)
        .map(|i| ed25519::PrivateKey::from_seed(10_000 + i))
        .collect();
    let participants: Vec<ed25519::PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: 4 * 1024 * 1024,
            max_peers_per_set: NZUsize!(participants.len()),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        participants.clone(),
    )
    .await;
    network.start();
    let quota = Quota::per_second(NZU32!(100_000));
    let mut nodes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let pk = key.public_key();
        let control = oracle.control(pk.clone());
        let reg = async |c| control.register(c, quota).await.unwrap();
        let channels = Channels {
            votes: reg(channel::VOTES).await,
            certificates: reg(channel::CERTIFICATES).await,
            resolver: reg(channel::RESOLVER).await,
            blocks: reg(channel::BLOCKS).await,
            backfill: reg(channel::BACKFILL).await,
        };
        let node = Node::new(make(), StateDb::in_memory().unwrap(), config()).unwrap();
        engine::start(
            context.child("validator").with_attribute("index", i),
            &node,
            EngineConfig {
                signer: key.clone(),
                participants: participants.clone(),
                namespace: b"rustensor-test".to_vec(),
                partition_prefix: format!("validator-{i}"),
                mailbox_size: NZUsize!(1024),
            },
            oracle.control(pk.clone()),
            oracle.manager(),
            channels,
        )
        .await
        .unwrap();
        nodes.push(node);
    }
    let link = Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        success_rate: commonware_utils::probability!(1.0),
    };
    for a in &participants {
        for b in &participants {
            if a != b {
                oracle
                    .add_link(a.clone(), b.clone(), link.clone())
                    .await
                    .unwrap();
            }
        }
    }
    nodes
}

/// Submits `PER_ACCOUNT` transfers from each endowed account to every node.
fn submit_transfers(nodes: &[Node<Transfers>]) {
    for s in 0..ACCOUNTS {
        let key = ed25519::PrivateKey::from_seed(s);
        for nonce in 0..PER_ACCOUNT {
            let tx = Transfer::signed(&key, nonce, nonce, SINK, AMOUNT);
            for node in nodes {
                node.submit(tx.clone()).unwrap();
            }
        }
    }
}

async fn wait_finalized<SM: StateMachine>(
    context: &deterministic::Context,
    nodes: &[Node<SM>],
    height: u64,
) {
    while nodes.iter().any(|n| n.head().finalized.height < height) {
        for n in nodes {
            assert_eq!(n.halted(), None);
        }
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Runs one authority for `blocks` finalized blocks; returns (height 10 hash, its state root).
fn run_single(seed: u64, blocks: u64) -> (Hash32, Hash32) {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let nodes = start_validators(&context, 1).await;
        let node = &nodes[0];
        submit_transfers(&nodes);
        wait_finalized(&context, &nodes, blocks).await;

        // Every transfer landed, every fee was paid, and the pool drained.
        let state = node.state().unwrap();
        let sink = account(&state, &SINK).unwrap();
        assert_eq!(sink.balance, ACCOUNTS * PER_ACCOUNT * AMOUNT);
        let sender = account(&state, &account_of(&ed25519::PrivateKey::from_seed(0))).unwrap();
        assert_eq!(sender.nonce, PER_ACCOUNT);
        assert_eq!(node.mempool_len(), 0);
        let tx = Transfer::signed(&ed25519::PrivateKey::from_seed(1), 0, 0, SINK, AMOUNT);
        let loc = node
            .transaction(&crate::block::tx_hash(&tx))
            .unwrap()
            .unwrap();
        assert_eq!(loc.receipt, b"ok".to_vec());

        // Blocks are served from marshal's archive and match the index.
        let head = node.head().finalized;
        let block = node.block_by_height(head.height).await.unwrap().unwrap();
        assert_eq!(block.hash(), head.hash);
        assert_eq!(block.header.state_root, head.state_root);
        let by_hash = node.block_by_hash(&head.hash).await.unwrap().unwrap();
        assert_eq!(by_hash, block);
        // Blocks are paced by the block time.
        let parent = node
            .block_by_height(head.height - 1)
            .await
            .unwrap()
            .unwrap();
        assert!(block.header.timestamp_ms - parent.header.timestamp_ms >= 250);

        let at = state.block_hash(blocks).unwrap().unwrap();
        let b = node.block_by_height(blocks).await.unwrap().unwrap();
        (at, b.header.state_root)
    })
}

#[test]
fn single_authority_finalizes_transfers_reproducibly() {
    let a = run_single(7, 10);
    let b = run_single(7, 10);
    assert_eq!(a, b, "same seed, same chain");
}

#[test]
fn four_authorities_agree() {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(3)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let nodes = start_validators(&context, 4).await;
        submit_transfers(&nodes);
        wait_finalized(&context, &nodes, 12).await;
        let reference = nodes[0].state().unwrap();
        for node in &nodes[1..] {
            let state = node.state().unwrap();
            for h in 1..=12 {
                assert_eq!(
                    state.block_hash(h).unwrap(),
                    reference.block_hash(h).unwrap()
                );
            }
        }
        // Transactions reached the chain through whichever authority led.
        let sink = account(&reference, &SINK).unwrap();
        assert_eq!(sink.balance, ACCOUNTS * PER_ACCOUNT * AMOUNT);
        // Different proposers built the chain.
        let mut proposers = std::collections::BTreeSet::new();
        for h in 1..=12 {
            let b = nodes[0].block_by_height(h).await.unwrap().unwrap();
            proposers.insert(b.header.proposer);
        }
        assert!(proposers.len() > 1);
    });
}

#[test]
fn chain_state_machine_finalizes_signed_transfers() {
    use chain::{Call, GenesisConfig, Preset, Transaction};
    use types::TaoBalance;

    let genesis = GenesisConfig::dev(Preset::Fast).unwrap();
    let machine = crate::chain_adapter::ChainMachine::new(genesis).unwrap();
    let chain_id = machine.chain_id();
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(11)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    runner.start(|context| async move {
        let nodes = start_with(&context, 1, || machine.clone()).await;
        let node = &nodes[0];
        let before = machine
            .account_info(&node.state().unwrap(), &bob)
            .unwrap()
            .free;
        let value = TaoBalance::from_rao(1_000_000_000);
        for nonce in 0..3 {
            let tx = Transaction::sign(
                &alice,
                nonce,
                TaoBalance::ZERO,
                Call::TransferKeepAlive { dest: bob, value },
                &chain_id,
            );
            node.submit(parity_scale_codec::Encode::encode(&tx))
                .unwrap();
        }
        // A forged transaction is refused at the door with a typed error.
        let mut forged = Transaction::sign(
            &alice,
            3,
            TaoBalance::ZERO,
            Call::TransferKeepAlive { dest: bob, value },
            &chain_id,
        );
        forged.signature[0] ^= 1;
        assert_eq!(
            node.submit(parity_scale_codec::Encode::encode(&forged)),
            Err(crate::mempool::MempoolError::Invalid(
                crate::state_machine::TxCheckError::BadSignature
            ))
        );
        assert_eq!(node.next_nonce(&alice.account_id().0).unwrap(), 3);
        wait_finalized(&context, &nodes, 4).await;
        let after = machine
            .account_info(&node.state().unwrap(), &bob)
            .unwrap()
            .free;
        assert_eq!(after.rao() - before.rao(), 3 * value.rao());
        assert_eq!(node.mempool_len(), 0);
    });
}

/// Stops a single authority mid-run (the runtime is dropped with work in flight) and restarts
/// it on the same storage: it resumes at the last committed block and keeps building on it.
#[test]
fn restart_resumes_at_last_committed_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let signer = ed25519::PrivateKey::from_seed(77);
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(5)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    let p = path.clone();
    let s = signer.clone();
    let (before, checkpoint) = runner.start_and_recover(|context| async move {
        let db = crate::dev::open_state(&p).unwrap();
        let (node, _engine) =
            crate::dev::start_single(context.child("node"), machine(), db, config(), s)
                .await
                .unwrap();
        submit_transfers(std::slice::from_ref(&node));
        wait_finalized(&context, std::slice::from_ref(&node), 6).await;
        // Keep producing a little longer so the stop lands mid-flight.
        context.sleep(Duration::from_millis(130)).await;
        let state = node.state().unwrap();
        let head = state.head().unwrap().unwrap();
        let hashes: Vec<_> = (0..=head.height)
            .map(|h| state.block_hash(h).unwrap().unwrap())
            .collect();
        (head, hashes)
    });
    let (head, hashes) = before;
    deterministic::Runner::from(checkpoint).start(|context| async move {
        let db = crate::dev::open_state(&path).unwrap();
        let (node, _engine) =
            crate::dev::start_single(context.child("node"), machine(), db, config(), signer)
                .await
                .unwrap();
        // The state database resumes at (at least) the last block it committed.
        let resumed = node.head().finalized;
        assert!(resumed.height >= head.height);
        wait_finalized(&context, std::slice::from_ref(&node), head.height + 4).await;
        let state = node.state().unwrap();
        for (h, hash) in hashes.iter().enumerate() {
            assert_eq!(state.block_hash(h as u64).unwrap().as_ref(), Some(hash));
        }
        // Nothing was lost or applied twice: every transfer is in, exactly once.
        let sink = account(&state, &SINK).unwrap();
        assert_eq!(sink.balance, ACCOUNTS * PER_ACCOUNT * AMOUNT);
    });
}
