//! A single-authority chain: the same engine with one participant, its channels on an in-process
//! simulated network (no sockets). Used by `--dev` and by tests and benchmarks.

use std::path::Path;

use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Network};
use commonware_runtime::{Clock, Handle, Metrics, Network as RNetwork, Quota, Spawner, Storage};
use commonware_utils::{NZU32, NZUsize};
use rand_core::CryptoRng;

use crate::engine::{self, Channels, EngineConfig, EngineError, channel};
use crate::exec::NodeError;
use crate::node::{Node, NodeConfig};
use crate::state_machine::StateMachine;
use crate::store::StateDb;

/// Errors starting a dev chain.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The node could not open its state.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The engine could not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The in-process network could not be set up.
    #[error("dev network: {0}")]
    Network(String),
}

/// The tokio runtime settings of a node whose data lives in `data_dir` (the engine's block and
/// certificate storage goes to `data_dir/engine`, the state database to `data_dir/state.redb`).
pub fn runtime_config(data_dir: &Path) -> commonware_runtime::tokio::Config {
    commonware_runtime::tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(data_dir.join("engine"))
}

/// Opens the state database of `data_dir`.
pub fn open_state(data_dir: &Path) -> Result<StateDb, NodeError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| NodeError::Halted(format!("cannot create {}: {e}", data_dir.display())))?;
    Ok(StateDb::open(data_dir.join("state.redb"))?)
}

/// Starts a single-authority chain signed by `signer`.
pub async fn start_single<E, SM>(
    context: E,
    machine: SM,
    db: StateDb,
    config: NodeConfig,
    signer: ed25519::PrivateKey,
) -> Result<(Node<SM>, Handle<()>), DevError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + RNetwork,
    SM: StateMachine,
{
    let node = Node::new(machine, db, config)?;
    let me = signer.public_key();
    let max_size = node
        .config()
        .limits
        .max_block_bytes
        .saturating_add(64 * 1024);
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size,
            max_peers_per_set: NZUsize!(1),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        [me.clone()],
    )
    .await;
    network.start();
    let control = oracle.control(me.clone());
    let quota = Quota::per_second(NZU32!(1_000_000));
    let mut pairs = Vec::with_capacity(5);
    for c in [
        channel::VOTES,
        channel::CERTIFICATES,
        channel::RESOLVER,
        channel::BLOCKS,
        channel::BACKFILL,
    ] {
        pairs.push(
            control
                .register(c, quota)
                .await
                .map_err(|e| DevError::Network(e.to_string()))?,
        );
    }
    let mut pairs = pairs.into_iter();
    let mut next = || {
        pairs
            .next()
            .ok_or_else(|| DevError::Network("channel".into()))
    };
    let channels = Channels {
        votes: next()?,
        certificates: next()?,
        resolver: next()?,
        blocks: next()?,
        backfill: next()?,
    };
    let handle = engine::start(
        context.child("engine"),
        &node,
        EngineConfig {
            signer,
            participants: vec![me.clone()],
            namespace: b"rustensor-dev".to_vec(),
            partition_prefix: "rustensor".into(),
            mailbox_size: NZUsize!(1024),
        },
        oracle.control(me),
        oracle.manager(),
        channels,
    )
    .await?;
    Ok((node, handle))
}
