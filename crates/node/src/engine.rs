//! Wiring: simplex consensus (ed25519 scheme) with marshal for ordered finalized blocks and
//! backfill, a buffered broadcast for blocks, and the application and finalizer.
//!
//! The engine is generic over the runtime (tokio in the node, deterministic in tests) and over
//! the network channels (p2p `authenticated` between validators, p2p `simulated` in tests and
//! for a single-authority dev chain). A dev chain is the same engine with one participant.

use std::num::NonZeroUsize;
use std::time::Duration;

use commonware_broadcast::buffered;
use commonware_consensus::marshal::{
    self, core::Actor, resolver::p2p as resolver, standard::Inline,
};
use commonware_consensus::simplex::{
    self, Floor, ForwardPolicy, SkipBudget, SkipPolicy, elector::RoundRobin,
    scheme::ed25519::Scheme,
};
use commonware_consensus::types::{Epoch, FixedEpocher, ViewDelta};
use commonware_cryptography::certificate::{ConstantProvider, Verifier as _};
use commonware_cryptography::{Digested, Digestible, Signer as _, ed25519, sha256::Sha256};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage, buffer::paged::CacheRef};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize, ordered::Set};
use rand_core::CryptoRng;

use crate::application::{App, Finalizer};
use crate::node::Node;
use crate::state_machine::StateMachine;

/// One epoch for the whole chain (validator set changes are future work).
const EPOCH_LENGTH: u64 = 1 << 62;

/// Errors starting the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The signer's key is not among the participants.
    #[error("this node's key is not one of the {0} authorities")]
    NotAnAuthority(usize),
    /// No participants.
    #[error("at least one authority is required")]
    NoAuthorities,
    /// Storage could not be opened.
    #[error("engine storage: {0}")]
    Storage(String),
}

/// Consensus settings.
#[derive(Clone)]
pub struct EngineConfig {
    /// This authority's key.
    pub signer: ed25519::PrivateKey,
    /// Every authority (order does not matter).
    pub participants: Vec<ed25519::PublicKey>,
    /// Signature namespace of consensus messages (unique per chain).
    pub namespace: Vec<u8>,
    /// Prefix of the engine's storage partitions.
    pub partition_prefix: String,
    /// Actor mailbox sizes.
    pub mailbox_size: NonZeroUsize,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("participants", &self.participants.len())
            .field("partition_prefix", &self.partition_prefix)
            .finish_non_exhaustive()
    }
}

/// The five network channels the engine needs, each a (sender, receiver) pair.
pub struct Channels<S, R> {
    /// Consensus votes.
    pub votes: (S, R),
    /// Consensus certificates.
    pub certificates: (S, R),
    /// Consensus resolver (missing certificates).
    pub resolver: (S, R),
    /// Block broadcast.
    pub blocks: (S, R),
    /// Marshal backfill (missing finalized blocks).
    pub backfill: (S, R),
}

/// Channel ids used on the p2p network.
pub mod channel {
    /// Votes.
    pub const VOTES: u64 = 0;
    /// Certificates.
    pub const CERTIFICATES: u64 = 1;
    /// Consensus resolver.
    pub const RESOLVER: u64 = 2;
    /// Block broadcast.
    pub const BLOCKS: u64 = 3;
    /// Backfill.
    pub const BACKFILL: u64 = 4;
}

/// Simplex timeouts: the leader timeout must leave room for the proposer to wait out the block
/// time and build (and for verifiers to re-execute), and each later timeout must exceed the one
/// before.
fn timeouts(block_time: Duration, build: Duration) -> (Duration, Duration, Duration) {
    let leader = block_time + build.saturating_mul(2) + Duration::from_secs(1);
    let certification = leader.saturating_mul(2);
    let skip = certification + leader;
    (leader, certification, skip)
}

/// Storage layout of one finalized archive (blocks or certificates).
fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 65_536,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 16_384,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1024 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: NZU64!(262_144),
        codec_config: codec,
        replay_buffer: NZUsize!(1024 * 1024),
        freezer_key_write_buffer: NZUsize!(1024 * 1024),
        freezer_value_write_buffer: NZUsize!(1024 * 1024),
        ordinal_write_buffer: NZUsize!(1024 * 1024),
    }
}

/// Starts consensus, marshal, broadcast and the finalizer for `node`. Returns the simplex
/// engine's handle.
pub async fn start<E, SM, B, P, S, R>(
    context: E,
    node: &Node<SM>,
    config: EngineConfig,
    blocker: B,
    peers: P,
    channels: Channels<S, R>,
) -> Result<Handle<()>, EngineError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    SM: StateMachine,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    if config.participants.is_empty() {
        return Err(EngineError::NoAuthorities);
    }
    let count = config.participants.len();
    let participants = Set::from_iter_dedup(config.participants.iter().cloned());
    let me = config.signer.public_key();
    let scheme = Scheme::signer(&config.namespace, participants, config.signer.clone())
        .ok_or(EngineError::NotAnAuthority(count))?;
    let parts = Parts {
        me,
        scheme,
        partition_prefix: config.partition_prefix,
        mailbox_size: config.mailbox_size,
    };
    start_parts(context, node, parts, blocker, peers, channels).await
}

/// Settings of a follower (full node): it verifies certificates but never signs.
#[derive(Clone, Debug)]
pub struct FollowerConfig {
    /// This node's network identity (not an authority's).
    pub me: ed25519::PublicKey,
    /// Every authority.
    pub participants: Vec<ed25519::PublicKey>,
    /// Signature namespace of consensus messages (the authorities').
    pub namespace: Vec<u8>,
    /// Prefix of the engine's storage partitions.
    pub partition_prefix: String,
    /// Actor mailbox sizes.
    pub mailbox_size: NonZeroUsize,
}

/// Starts a follower: the same engine with a verify-only scheme. It receives votes,
/// certificates and blocks, verifies every certificate against the authorities' keys, backfills
/// what it misses, and commits finalized blocks, but never votes or proposes.
pub async fn start_follower<E, SM, B, P, S, R>(
    context: E,
    node: &Node<SM>,
    config: FollowerConfig,
    blocker: B,
    peers: P,
    channels: Channels<S, R>,
) -> Result<Handle<()>, EngineError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    SM: StateMachine,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    if config.participants.is_empty() {
        return Err(EngineError::NoAuthorities);
    }
    let participants = Set::from_iter_dedup(config.participants.iter().cloned());
    let parts = Parts {
        me: config.me,
        scheme: Scheme::verifier(&config.namespace, participants),
        partition_prefix: config.partition_prefix,
        mailbox_size: config.mailbox_size,
    };
    start_parts(context, node, parts, blocker, peers, channels).await
}

/// What differs between an authority and a follower.
struct Parts {
    me: ed25519::PublicKey,
    scheme: Scheme,
    partition_prefix: String,
    mailbox_size: NonZeroUsize,
}

async fn start_parts<E, SM, B, P, S, R>(
    context: E,
    node: &Node<SM>,
    parts: Parts,
    blocker: B,
    peers: P,
    channels: Channels<S, R>,
) -> Result<Handle<()>, EngineError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    SM: StateMachine,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    let Parts {
        me,
        scheme,
        partition_prefix: prefix,
        mailbox_size,
    } = parts;
    let shared = node.shared.clone();
    let limits = shared.config.limits;
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(1024));

    // Blocks: broadcast to every authority.
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size,
            deque_size: 16,
            priority: false,
            codec_config: limits,
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    broadcast_engine.start(channels.blocks);

    // Backfill of missing finalized blocks.
    let backfill = resolver::init(
        context.child("resolver"),
        resolver::Config {
            public_key: me.clone(),
            peer_provider: peers,
            blocker: blocker.clone(),
            mailbox_size,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Finalized blocks and their certificates, in the engine's storage.
    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &prefix,
            "finalizations",
            &page_cache,
            Scheme::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|e| EngineError::Storage(e.to_string()))?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&prefix, "blocks", &page_cache, limits),
    )
    .await
    .map_err(|e| EngineError::Storage(e.to_string()))?;

    let genesis = shared.genesis.clone();
    let genesis_digest = genesis.digest();
    let epocher = FixedEpocher::new(NZU64!(EPOCH_LENGTH));
    let (actor, marshal, _floor) = Actor::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(Digested::precomputed(genesis, genesis_digest)),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size,
            view_retention: ViewDelta::new(16),
            prunable_items_per_section: NZU64!(4096),
            page_cache: page_cache.clone(),
            replay_buffer: NZUsize!(1024 * 1024),
            key_write_buffer: NZUsize!(1024 * 1024),
            value_write_buffer: NZUsize!(1024 * 1024),
            block_codec_config: limits,
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(4),
            strategy: Sequential,
        },
    )
    .await;
    let _ = shared.marshal.set(marshal.clone());

    let (finalizer, finalize_task) = Finalizer::new(shared.clone());
    context.child("finalizer").spawn(|_| finalize_task);
    actor.start(finalizer, buffer, backfill);

    let app = Inline::new(
        context.child("application"),
        App::new(shared.clone()),
        marshal,
        epocher,
    );
    let (leader_timeout, certification_timeout, skip_timeout) =
        timeouts(shared.config.block_time, shared.config.max_build_time);
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker,
            automaton: app.clone(),
            relay: app.clone(),
            reporter: app,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size,
            epoch: Epoch::zero(),
            floor: Floor::Genesis(genesis_digest),
            replay_buffer: NZUsize!(1024 * 1024),
            write_buffer: NZUsize!(1024 * 1024),
            page_cache,
            leader_timeout,
            certification_timeout,
            timeout_retry: leader_timeout,
            view_retention: ViewDelta::new(16),
            skip: SkipPolicy::Enabled {
                timeout: skip_timeout,
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(1)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        },
    );
    Ok(engine.start(channels.votes, channels.certificates, channels.resolver))
}
