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
    let roles = vec![Role::Honest; n as usize];
    start_net(context, &roles, make)
        .await
        .nodes
        .into_iter()
        .flatten()
        .collect()
}

/// What an authority runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The node's engine.
    Honest,
    /// An equivocator: no engine, only the [`conflicter`] on the votes channel.
    Conflicter,
}

/// Signature namespace of consensus messages in these tests.
const CONSENSUS_NAMESPACE: &[u8] = b"rustensor-test";

/// A simulated network of authorities.
struct Net<SM> {
    oracle: simulated::Oracle<ed25519::PublicKey, deterministic::Context>,
    participants: Vec<ed25519::PublicKey>,
    /// The honest authorities' nodes (`None` for Byzantine ones).
    nodes: Vec<Option<Node<SM>>>,
}

fn test_link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        success_rate: commonware_utils::probability!(1.0),
    }
}

/// Starts one authority per role on a fully linked simulated network.
async fn start_net<SM: StateMachine>(
    context: &deterministic::Context,
    roles: &[Role],
    make: impl Fn() -> SM,
) -> Net<SM> {
    let keys: Vec<ed25519::PrivateKey> = (0..roles.len() as u64)
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
    for (i, (key, role)) in keys.iter().zip(roles).enumerate() {
        let pk = key.public_key();
        let control = oracle.control(pk.clone());
        let reg = async |c| control.register(c, quota).await.unwrap();
        if *role == Role::Conflicter {
            conflicter::start(
                context.child("byzantine").with_attribute("index", i),
                key.clone(),
                &participants,
                reg(channel::VOTES).await,
            );
            nodes.push(None);
            continue;
        }
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
                namespace: CONSENSUS_NAMESPACE.to_vec(),
                partition_prefix: format!("validator-{i}"),
                mailbox_size: NZUsize!(1024),
            },
            oracle.control(pk.clone()),
            oracle.manager(),
            channels,
        )
        .await
        .unwrap();
        nodes.push(Some(node));
    }
    let net = Net {
        oracle,
        participants,
        nodes,
    };
    net.relink(|_, _| true).await;
    net
}

impl<SM: StateMachine> Net<SM> {
    /// Adds the link between every ordered pair `(a, b)`, `a != b`, that `pick` selects.
    async fn relink(&self, pick: impl Fn(usize, usize) -> bool) {
        for (i, a) in self.participants.iter().enumerate() {
            for (j, b) in self.participants.iter().enumerate() {
                if i != j && pick(i, j) {
                    self.oracle
                        .add_link(a.clone(), b.clone(), test_link())
                        .await
                        .unwrap();
                }
            }
        }
    }

    /// Removes the link between every ordered pair `(a, b)`, `a != b`, that `pick` selects.
    async fn cut(&self, pick: impl Fn(usize, usize) -> bool) {
        for (i, a) in self.participants.iter().enumerate() {
            for (j, b) in self.participants.iter().enumerate() {
                if i != j && pick(i, j) {
                    self.oracle.remove_link(a.clone(), b.clone()).await.unwrap();
                }
            }
        }
    }

    /// The honest nodes at `indices`.
    fn pick(&self, indices: &[usize]) -> Vec<Node<SM>> {
        indices
            .iter()
            .map(|&i| self.nodes[i].clone().unwrap())
            .collect()
    }
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

/// A Byzantine authority that equivocates: for every notarize or finalize vote it receives it
/// signs, at the same round, a vote for a conflicting proposal and one for the received proposal,
/// and sends both to everyone (modelled on commonware's `simplex::mocks::conflicter`, which is
/// behind the crate's `mocks` feature).
mod conflicter {
    use commonware_codec::{DecodeExt as _, Encode as _};
    use commonware_consensus::simplex::scheme::ed25519::Scheme;
    use commonware_consensus::simplex::types::{Finalize, Notarize, Proposal, Vote};
    use commonware_cryptography::{ed25519, sha256};
    use commonware_p2p::{Receiver, Recipients, Sender};
    use commonware_runtime::{Spawner as _, deterministic};
    use commonware_utils::ordered::Set;

    /// A proposal for the same round and parent with a different payload.
    fn conflicting(p: &Proposal<sha256::Digest>) -> Proposal<sha256::Digest> {
        let mut payload = p.payload.0;
        payload[0] ^= 0xFF;
        Proposal::new(p.round, p.parent, sha256::Digest(payload))
    }

    pub fn start<S, R>(
        context: deterministic::Context,
        key: ed25519::PrivateKey,
        participants: &[ed25519::PublicKey],
        (mut sender, mut receiver): (S, R),
    ) where
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        let set = Set::from_iter_dedup(participants.iter().cloned());
        let scheme = Scheme::signer(super::CONSENSUS_NAMESPACE, set, key).unwrap();
        context.spawn(move |_| async move {
            while let Ok((_, msg)) = receiver.recv().await {
                let Ok(vote) = Vote::<Scheme, sha256::Digest>::decode(msg) else {
                    continue;
                };
                let votes = match vote {
                    Vote::Notarize(n) => [
                        Vote::Notarize(Notarize::sign(&scheme, conflicting(&n.proposal)).unwrap()),
                        Vote::Notarize(Notarize::sign(&scheme, n.proposal).unwrap()),
                    ],
                    Vote::Finalize(f) => [
                        Vote::Finalize(Finalize::sign(&scheme, conflicting(&f.proposal)).unwrap()),
                        Vote::Finalize(Finalize::sign(&scheme, f.proposal).unwrap()),
                    ],
                    _ => continue,
                };
                for v in votes {
                    sender.send(Recipients::All, v.encode(), true);
                }
            }
        });
    }
}

/// Waits for `nodes` to finalize `height`, then checks they agree on every block hash and state
/// root at heights `1..=height`; returns them.
async fn agreed_chain<SM: StateMachine>(
    context: &deterministic::Context,
    nodes: &[Node<SM>],
    height: u64,
) -> Vec<(Hash32, Hash32)> {
    wait_finalized(context, nodes, height).await;
    let mut chain = Vec::new();
    for h in 1..=height {
        let reference = nodes[0].block_by_height(h).await.unwrap().unwrap();
        let hash = reference.hash();
        for node in nodes {
            let block = node.block_by_height(h).await.unwrap().unwrap();
            assert_eq!(block.hash(), hash, "height {h}");
            assert_eq!(block.header.state_root, reference.header.state_root);
            assert_eq!(node.state().unwrap().block_hash(h).unwrap(), Some(hash));
        }
        chain.push((hash, reference.header.state_root));
    }
    chain
}

/// Every height any of `nodes` finalized has one block hash across all of them.
fn assert_no_conflicts<SM: StateMachine>(nodes: &[Node<SM>]) {
    let top = nodes.iter().map(|n| n.head().finalized.height).max();
    for h in 1..=top.unwrap_or(0) {
        let hashes: std::collections::BTreeSet<_> = nodes
            .iter()
            .filter_map(|n| n.state().unwrap().block_hash(h).unwrap())
            .collect();
        assert!(
            hashes.len() <= 1,
            "conflicting blocks finalized at height {h}"
        );
    }
}

fn max_finalized<SM: StateMachine>(nodes: &[Node<SM>]) -> u64 {
    nodes
        .iter()
        .map(|n| n.head().finalized.height)
        .max()
        .unwrap_or(0)
}

fn bft_runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

/// 4 authorities; authority 3's links are cut for good after height 3. Returns the 3 survivors'
/// agreed chain (hash, state root) up to 8 blocks past the crash.
fn run_crash(seed: u64) -> Vec<(Hash32, Hash32)> {
    bft_runner(seed).start(|context| async move {
        let net = start_net(&context, &[Role::Honest; 4], machine).await;
        let all = net.pick(&[0, 1, 2, 3]);
        submit_transfers(&all);
        wait_finalized(&context, &all, 3).await;
        net.cut(|a, b| a == 3 || b == 3).await;
        let crashed_at = max_finalized(&all);
        let live = net.pick(&[0, 1, 2]);
        let chain = agreed_chain(&context, &live, crashed_at + 8).await;
        assert_no_conflicts(&all);
        // The isolated authority finalized nothing past what the network had certified.
        assert!(all[3].head().finalized.height <= crashed_at + 1);
        chain
    })
}

/// 4 authorities split 2|2 after height 3 (no side has a quorum), then healed. Returns the agreed
/// chain up to 5 blocks past the partition.
fn run_partition(seed: u64) -> Vec<(Hash32, Hash32)> {
    bft_runner(seed).start(|context| async move {
        let net = start_net(&context, &[Role::Honest; 4], machine).await;
        let all = net.pick(&[0, 1, 2, 3]);
        submit_transfers(&all);
        wait_finalized(&context, &all, 3).await;
        let side = |i: usize| i < 2;
        net.cut(|a, b| side(a) != side(b)).await;
        // Let what was in flight land, then watch: no side can finalize on its own.
        context.sleep(Duration::from_secs(2)).await;
        let frozen = max_finalized(&all);
        for _ in 0..10 {
            context.sleep(Duration::from_secs(1)).await;
            assert_no_conflicts(&all);
            assert_eq!(max_finalized(&all), frozen, "finalized without a quorum");
        }
        net.relink(|a, b| side(a) != side(b)).await;
        let chain = agreed_chain(&context, &all, frozen + 5).await;
        assert_no_conflicts(&all);
        chain
    })
}

#[test]
fn bft_survives_one_crashed_authority() {
    let chain = run_crash(13);
    assert!(chain.len() >= 11);
}

#[test]
fn bft_partition_finalizes_nothing_conflicting_and_heals() {
    run_partition(17);
}

#[test]
fn bft_equivocating_authority_cannot_fork_the_chain() {
    bft_runner(19).start(|context| async move {
        let roles = [Role::Honest, Role::Honest, Role::Honest, Role::Conflicter];
        let net = start_net(&context, &roles, machine).await;
        let honest = net.pick(&[0, 1, 2]);
        submit_transfers(&honest);
        agreed_chain(&context, &honest, 10).await;
        assert_no_conflicts(&honest);
        let sink = account(&honest[0].state().unwrap(), &SINK).unwrap();
        assert_eq!(sink.balance, ACCOUNTS * PER_ACCOUNT * AMOUNT);
        // Every honest authority caught the equivocation and blocked the conflicter.
        let blocked = net.oracle.blocked().await.unwrap();
        for honest in &net.participants[..3] {
            assert!(blocked.contains(&(honest.clone(), net.participants[3].clone())));
        }
    });
}

#[test]
fn bft_same_seed_same_chain() {
    let a = run_partition(23);
    let b = run_partition(23);
    assert_eq!(a, b, "same seed, same hashes and state roots");
}
