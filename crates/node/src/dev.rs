//! A single-authority chain: the same engine with one participant, on a network of one (no
//! sockets). Used by `--dev` and by tests and benchmarks.

use std::path::Path;

use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage};
use commonware_utils::NZUsize;
use rand_core::CryptoRng;

use crate::engine::{self, Channels, EngineConfig, EngineError};
use crate::exec::NodeError;
use crate::node::{Node, NodeConfig};
use crate::solo::{self, SoloPeers};
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
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    SM: StateMachine,
{
    let node = Node::new(machine, db, config)?;
    let handle = start_engine(context, &node, signer).await?;
    Ok((node, handle))
}

/// Starts the single-authority engine for an opened node (e.g. after pre-filling its pool).
pub async fn start_engine<E, SM>(
    context: E,
    node: &Node<SM>,
    signer: ed25519::PrivateKey,
) -> Result<Handle<()>, DevError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    SM: StateMachine,
{
    let me = signer.public_key();
    let channels = Channels {
        votes: solo::channel(),
        certificates: solo::channel(),
        resolver: solo::channel(),
        blocks: solo::channel(),
        backfill: solo::channel(),
    };
    let peers = SoloPeers::new(me.clone());
    let handle = engine::start(
        context.child("engine"),
        node,
        EngineConfig {
            signer,
            participants: vec![me.clone()],
            namespace: b"rustensor-dev".to_vec(),
            partition_prefix: "rustensor".into(),
            mailbox_size: NZUsize!(1024),
        },
        peers.clone(),
        peers,
        channels,
    )
    .await?;
    Ok(handle)
}
