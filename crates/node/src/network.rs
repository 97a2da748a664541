//! Several nodes on real sockets: commonware-p2p `authenticated::lookup` (a known peer set,
//! ed25519 identities, encrypted and authenticated streams) carrying the engine's five channels
//! and a sixth that gossips transactions.
//!
//! Who is who:
//!
//! - **Authorities** are the chain spec's list of ed25519 keys and addresses. They are the
//!   consensus participants (simplex signers) and each other's primary peers: every authority
//!   dials every other one.
//! - **Full nodes** follow the chain without signing: they run the same engine with a
//!   verify-only scheme ([`engine::start_follower`]), so every certificate they accept carries a
//!   quorum of authority signatures, and they re-execute every block. They dial the authorities;
//!   an authority accepts a full node only if its key and address are in its own list of known
//!   full nodes (secondary peers of the peer set).
//!
//! Transactions submitted to any node are checked and pooled there and gossiped in batches on
//! [`TX_CHANNEL`] to every connected peer, which checks and pools them in turn (the mempool
//! drops duplicates), so whoever leads next has them. Gossip goes one hop: an authority does
//! not forward what it received, since every authority is connected to every other one.
//!
//! Catching up needs nothing extra: marshal notices a gap between its last processed block and a
//! finalization it sees, and backfills the missing blocks with their certificates from peers
//! over the backfill channel; the finalizer executes each block and checks its state root.

use std::net::SocketAddr;
use std::time::Duration;

use commonware_consensus::marshal::{max_payload_size, standard::Standard};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_cryptography::{ChaCha20Poly1305, Signer as _, ed25519};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{
    Address, AddressableManager as _, AddressableTrackedPeers, Blocker as _, Receiver as _,
    Recipients, Sender as _,
};
use commonware_runtime::{
    Clock, Handle, Metrics, Network as RNetwork, Quota, Resolver, Spawner, Storage,
};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::ordered::Map;
use commonware_utils::{NZU32, NZUsize};
use rand_core::CryptoRng;
use tracing::{debug, info, warn};

use crate::block::Block;
use crate::engine::{self, Channels, EngineConfig, EngineError, FollowerConfig, channel};
use crate::node::Node;
use crate::state_machine::StateMachine;

/// The transaction gossip channel (after the engine's five).
pub const TX_CHANNEL: u64 = 5;

/// Most transactions in one gossip message.
pub const MAX_GOSSIP_TXS: usize = 4096;

/// Most bytes in one gossip message.
pub const MAX_GOSSIP_BYTES: usize = 2 * 1024 * 1024;

/// How long the gossip task waits for more transactions before sending a batch.
const GOSSIP_LINGER: Duration = Duration::from_millis(10);

/// Capacity of the queue between `Node::submit` and the gossip task.
const GOSSIP_QUEUE: usize = 65_536;

/// The p2p upgrader: SAKE (ed25519 authenticated key exchange) and CUPS (ChaCha20-Poly1305).
type Upgrader = Cups<Sake<ed25519::PrivateKey>, ChaCha20Poly1305>;

/// A node of the network: its identity and where it listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its ed25519 identity.
    pub public_key: ed25519::PublicKey,
    /// Where it accepts connections (and, for the IP filter, where it connects from).
    pub address: SocketAddr,
}

/// What a node does on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A consensus participant: proposes, votes, finalizes.
    Authority,
    /// A follower: verifies certificates, executes blocks, serves reads; never signs.
    Full,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Authority => "authority",
            Self::Full => "full",
        })
    }
}

/// Network settings of one node.
#[derive(Clone)]
pub struct NetworkConfig {
    /// This node's identity (and, for an authority, its consensus key).
    pub key: ed25519::PrivateKey,
    /// Authority or full node.
    pub role: Role,
    /// Where to listen for peers.
    pub listen: SocketAddr,
    /// Every authority (from the chain spec).
    pub authorities: Vec<Peer>,
    /// Full nodes this node accepts connections from.
    pub full_nodes: Vec<Peer>,
    /// The chain's namespace (unique per chain; consensus and p2p signatures bind it).
    pub namespace: Vec<u8>,
}

impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("me", &self.key.public_key())
            .field("role", &self.role)
            .field("listen", &self.listen)
            .field("authorities", &self.authorities.len())
            .field("full_nodes", &self.full_nodes.len())
            .finish_non_exhaustive()
    }
}

/// Errors joining a network.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The chain spec lists no authorities.
    #[error("the chain spec lists no authorities")]
    NoAuthorities,
    /// An authority's key is not in the chain spec.
    #[error(
        "this node's key {0} is not one of the chain's authorities (run it as a full node, or add the key to the chain spec)"
    )]
    NotAnAuthority(String),
    /// A full node uses an authority's key.
    #[error("this node's key {0} belongs to an authority; a full node needs a key of its own")]
    FullNodeWithAuthorityKey(String),
    /// The same key appears twice in a list.
    #[error("key {0} is listed twice among the {1}")]
    DuplicateKey(String, &'static str),
    /// A block could not fit in a p2p message.
    #[error("blocks of up to {block} bytes do not fit the p2p message limit of {max} bytes")]
    MessageTooLarge {
        /// The block limit.
        block: u32,
        /// The transport limit.
        max: u32,
    },
    /// The engine did not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Handles of a running network node.
pub struct Running {
    /// The p2p network.
    pub p2p: Handle<()>,
    /// The consensus engine.
    pub engine: Handle<()>,
}

fn hex_key(k: &ed25519::PublicKey) -> String {
    hex::encode(k.as_ref())
}

fn peer_map(
    peers: &[Peer],
    what: &'static str,
) -> Result<Map<ed25519::PublicKey, Address>, NetworkError> {
    let mut seen = std::collections::BTreeSet::new();
    for p in peers {
        if !seen.insert(p.public_key.clone()) {
            return Err(NetworkError::DuplicateKey(hex_key(&p.public_key), what));
        }
    }
    Ok(Map::from_iter_dedup(peers.iter().map(|p| {
        (p.public_key.clone(), Address::Symmetric(p.address))
    })))
}

/// The largest message any channel carries: a block with its certificate (backfill), or a
/// gossip batch.
pub fn max_message_size(authorities: usize, limits: &crate::block::BlockLimits) -> usize {
    let participants = u32::try_from(authorities).unwrap_or(u32::MAX);
    max_payload_size::<Standard<Block>, Scheme>(participants, limits)
        .max(MAX_GOSSIP_BYTES)
        .saturating_add(1024)
}

/// Joins the network: starts p2p, the engine (signing for an authority, verify-only for a full
/// node) and transaction gossip for `node`.
pub async fn start<E, SM>(
    context: E,
    node: &Node<SM>,
    config: NetworkConfig,
) -> Result<Running, NetworkError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + RNetwork + Resolver,
    SM: StateMachine,
{
    if config.authorities.is_empty() {
        return Err(NetworkError::NoAuthorities);
    }
    let me = config.key.public_key();
    let is_authority = config.authorities.iter().any(|p| p.public_key == me);
    match config.role {
        Role::Authority if !is_authority => {
            return Err(NetworkError::NotAnAuthority(hex_key(&me)));
        }
        Role::Full if is_authority => {
            return Err(NetworkError::FullNodeWithAuthorityKey(hex_key(&me)));
        }
        _ => {}
    }
    let primary = peer_map(&config.authorities, "authorities")?;
    let secondary = peer_map(&config.full_nodes, "full nodes")?;

    let limits = node.config().limits;
    let max = lookup::max_size::<Upgrader>();
    let needed = max_message_size(config.authorities.len(), &limits);
    let max_message =
        u32::try_from(needed)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(NetworkError::MessageTooLarge {
                block: limits.max_block_bytes,
                max,
            })?;

    let mut p2p_namespace = config.namespace.clone();
    p2p_namespace.extend_from_slice(b"/p2p");
    let peers_per_set = config
        .authorities
        .len()
        .saturating_add(config.full_nodes.len())
        .saturating_add(1);
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: config.key.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let mut p2p_config = lookup::Config::local(
        handshake,
        &p2p_namespace,
        config.listen,
        NZUsize!(peers_per_set.max(1)),
        max_message,
        NZUsize!(1024),
    );
    // Quick reconnects after a peer restarts; a misbehaving peer stays blocked a while.
    p2p_config.peer_connection_cooldown = Duration::from_millis(500);
    p2p_config.dial_frequency = Duration::from_millis(250);
    p2p_config.ping_frequency = Duration::from_secs(2);
    p2p_config.block_duration = Duration::from_secs(600);
    let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p_config);

    let consensus = Quota::per_second(NZU32!(10_000));
    let channels = Channels {
        votes: network.register(channel::VOTES, consensus),
        certificates: network.register(channel::CERTIFICATES, consensus),
        resolver: network.register(channel::RESOLVER, consensus),
        blocks: network.register(channel::BLOCKS, Quota::per_second(NZU32!(1_000))),
        backfill: network.register(channel::BACKFILL, Quota::per_second(NZU32!(20_000))),
    };
    let (tx_sender, tx_receiver) = network.register(TX_CHANNEL, Quota::per_second(NZU32!(1_000)));
    let _ = oracle.track(0, AddressableTrackedPeers::new(primary, secondary));
    let p2p = network.start();

    let participants: Vec<ed25519::PublicKey> = config
        .authorities
        .iter()
        .map(|p| p.public_key.clone())
        .collect();
    let mut namespace = config.namespace.clone();
    namespace.extend_from_slice(b"/consensus");
    let engine = match config.role {
        Role::Authority => {
            engine::start(
                context.child("engine"),
                node,
                EngineConfig {
                    signer: config.key.clone(),
                    participants,
                    namespace,
                    partition_prefix: "rustensor".into(),
                    mailbox_size: NZUsize!(1024),
                },
                oracle.clone(),
                oracle.clone(),
                channels,
            )
            .await?
        }
        Role::Full => {
            engine::start_follower(
                context.child("engine"),
                node,
                FollowerConfig {
                    me: me.clone(),
                    participants,
                    namespace,
                    partition_prefix: "rustensor".into(),
                    mailbox_size: NZUsize!(1024),
                },
                oracle.clone(),
                oracle.clone(),
                channels,
            )
            .await?
        }
    };

    // Transaction gossip.
    let (queue, mut outbound) = tokio::sync::mpsc::channel::<Vec<u8>>(GOSSIP_QUEUE);
    let _ = node.shared.gossip.set(queue);
    let mut sender = tx_sender;
    context.child("gossip_out").spawn(move |ctx| async move {
        while let Some(first) = outbound.recv().await {
            let mut batch = vec![first];
            let mut bytes = batch[0].len();
            ctx.sleep(GOSSIP_LINGER).await;
            while batch.len() < MAX_GOSSIP_TXS && bytes < MAX_GOSSIP_BYTES / 2 {
                match outbound.try_recv() {
                    Ok(tx) => {
                        bytes = bytes.saturating_add(tx.len());
                        batch.push(tx);
                    }
                    Err(_) => break,
                }
            }
            let sent = sender.send(Recipients::All, encode_batch(&batch), false);
            debug!(txs = batch.len(), peers = sent.len(), "gossiped");
        }
    });
    let gossip_node = node.clone();
    let max_tx = node.config().mempool.max_tx_bytes;
    let mut blocker = oracle.clone();
    let mut receiver = tx_receiver;
    context.child("gossip_in").spawn(move |_| async move {
        while let Ok((peer, msg)) = receiver.recv().await {
            let txs = match decode_batch(msg.as_ref(), max_tx) {
                Ok(txs) => txs,
                Err(e) => {
                    warn!(%peer, error = %e, "malformed transaction gossip; blocking peer");
                    let _ = blocker.block(peer);
                    continue;
                }
            };
            let mut pooled = 0usize;
            for tx in txs {
                if gossip_node.submit_gossiped(tx).is_ok() {
                    pooled = pooled.saturating_add(1);
                }
            }
            debug!(%peer, pooled, "gossip received");
        }
    });

    info!(
        me = %hex_key(&me),
        role = %config.role,
        listen = %config.listen,
        authorities = config.authorities.len(),
        full_nodes = config.full_nodes.len(),
        "joined the network"
    );
    Ok(Running { p2p, engine })
}

/// The namespace of a chain: its genesis hash and its authority set, so that nodes configured
/// with different chain specs neither connect nor accept each other's signatures.
pub fn chain_namespace(genesis_hash: &[u8; 32], authorities: &[Peer]) -> Vec<u8> {
    use blake2::Digest as _;
    let mut keys: Vec<&ed25519::PublicKey> = authorities.iter().map(|p| &p.public_key).collect();
    keys.sort();
    let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
    for k in keys {
        h.update(k.as_ref());
    }
    let set = h.finalize();
    format!(
        "rustensor/{}/{}",
        hex::encode(genesis_hash),
        hex::encode(&set[..8])
    )
    .into_bytes()
}

/// A fresh identity from the operating system's randomness.
pub fn generate_key() -> ed25519::PrivateKey {
    use commonware_codec::DecodeExt as _;
    use rand_core::Rng as _;
    loop {
        let mut seed = vec![0u8; 32];
        commonware_utils::sys_rng().fill_bytes(&mut seed);
        // Every 32-byte seed is an ed25519 key; the loop only satisfies the type.
        if let Ok(key) = ed25519::PrivateKey::decode(seed) {
            return key;
        }
    }
}

/// A private key as hex (the 32-byte ed25519 seed).
pub fn private_key_hex(key: &ed25519::PrivateKey) -> String {
    use commonware_codec::Encode as _;
    hex::encode(key.encode())
}

/// A public key as hex.
pub fn public_key_hex(key: &ed25519::PublicKey) -> String {
    hex_key(key)
}

/// Why a key did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not hex.
    #[error("not hex: {0}")]
    NotHex(String),
    /// Not a valid key.
    #[error("not a 32-byte ed25519 {0} key")]
    Invalid(&'static str),
}

fn parse_hex(text: &str) -> Result<Vec<u8>, KeyError> {
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).map_err(|e| KeyError::NotHex(e.to_string()))
}

/// Parses a private key written by [`private_key_hex`].
pub fn private_key_from_hex(text: &str) -> Result<ed25519::PrivateKey, KeyError> {
    use commonware_codec::DecodeExt as _;
    let bytes = parse_hex(text)?;
    ed25519::PrivateKey::decode(bytes).map_err(|_| KeyError::Invalid("private"))
}

/// Parses a public key (hex, optional `0x`).
pub fn public_key_from_hex(text: &str) -> Result<ed25519::PublicKey, KeyError> {
    use commonware_codec::DecodeExt as _;
    let bytes = parse_hex(text)?;
    ed25519::PublicKey::decode(bytes).map_err(|_| KeyError::Invalid("public"))
}

/// Encodes a gossip batch: a `u32` count, then each transaction as a `u32` length and bytes
/// (big-endian).
pub fn encode_batch(txs: &[Vec<u8>]) -> Vec<u8> {
    let size = txs.iter().map(|t| t.len().saturating_add(4)).sum::<usize>();
    let mut out = Vec::with_capacity(size.saturating_add(4));
    out.extend_from_slice(&u32::try_from(txs.len()).unwrap_or(u32::MAX).to_be_bytes());
    for tx in txs {
        out.extend_from_slice(&u32::try_from(tx.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(tx);
    }
    out
}

/// Why a gossip message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GossipError {
    /// The message ends early.
    #[error("truncated")]
    Truncated,
    /// More transactions than [`MAX_GOSSIP_TXS`].
    #[error("{0} transactions in one message (limit {MAX_GOSSIP_TXS})")]
    TooMany(usize),
    /// A transaction is larger than the pool accepts.
    #[error("a transaction of {0} bytes (limit {1})")]
    TooLarge(usize, usize),
    /// Bytes after the last transaction.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

fn read_u32(bytes: &[u8], at: usize) -> Result<usize, GossipError> {
    let end = at.checked_add(4).ok_or(GossipError::Truncated)?;
    let b: [u8; 4] = bytes
        .get(at..end)
        .and_then(|s| s.try_into().ok())
        .ok_or(GossipError::Truncated)?;
    usize::try_from(u32::from_be_bytes(b)).map_err(|_| GossipError::Truncated)
}

/// Decodes a gossip batch from an untrusted peer, bounding the count and every size.
pub fn decode_batch(bytes: &[u8], max_tx_bytes: usize) -> Result<Vec<Vec<u8>>, GossipError> {
    let count = read_u32(bytes, 0)?;
    if count > MAX_GOSSIP_TXS {
        return Err(GossipError::TooMany(count));
    }
    let mut at = 4usize;
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        let len = read_u32(bytes, at)?;
        if len > max_tx_bytes {
            return Err(GossipError::TooLarge(len, max_tx_bytes));
        }
        at = at.saturating_add(4);
        let end = at.checked_add(len).ok_or(GossipError::Truncated)?;
        let tx = bytes.get(at..end).ok_or(GossipError::Truncated)?;
        txs.push(tx.to_vec());
        at = end;
    }
    if at != bytes.len() {
        return Err(GossipError::Trailing(bytes.len().saturating_sub(at)));
    }
    Ok(txs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gossip_batch_round_trips() {
        let txs = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let bytes = encode_batch(&txs);
        assert_eq!(decode_batch(&bytes, 1024), Ok(txs));
        assert_eq!(decode_batch(&encode_batch(&[]), 1024), Ok(vec![]));
    }

    #[test]
    fn gossip_batch_rejects_malformed_input() {
        let bytes = encode_batch(&[vec![1, 2, 3], vec![4; 10]]);
        for cut in 0..bytes.len() {
            assert!(decode_batch(&bytes[..cut], 1024).is_err(), "cut at {cut}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(decode_batch(&trailing, 1024), Err(GossipError::Trailing(1)));
        assert_eq!(decode_batch(&bytes, 5), Err(GossipError::TooLarge(10, 5)));
        let mut many = (u32::MAX).to_be_bytes().to_vec();
        many.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode_batch(&many, 1024),
            Err(GossipError::TooMany(_))
        ));
        // A length that claims more than the message holds.
        let mut lying = 1u32.to_be_bytes().to_vec();
        lying.extend_from_slice(&1000u32.to_be_bytes());
        lying.extend_from_slice(&[0; 10]);
        assert_eq!(decode_batch(&lying, 4096), Err(GossipError::Truncated));
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let key = generate_key();
        let back = private_key_from_hex(&private_key_hex(&key)).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let pk = key.public_key();
        assert_eq!(
            public_key_from_hex(&format!("0x{}", public_key_hex(&pk))),
            Ok(pk)
        );
        assert!(matches!(
            private_key_from_hex("zz"),
            Err(KeyError::NotHex(_))
        ));
        assert!(matches!(
            private_key_from_hex("0011"),
            Err(KeyError::Invalid("private"))
        ));
        assert_ne!(generate_key().public_key(), key.public_key());
    }

    fn try_start(role: Role, key: u64, authorities: &[u64]) -> Result<(), NetworkError> {
        use commonware_runtime::{Runner as _, deterministic};
        let peers: Vec<Peer> = authorities
            .iter()
            .enumerate()
            .map(|(i, seed)| Peer {
                public_key: ed25519::PrivateKey::from_seed(*seed).public_key(),
                address: SocketAddr::from(([127, 0, 0, 1], 3000 + i as u16)),
            })
            .collect();
        deterministic::Runner::default().start(|context| async move {
            let node = Node::new(
                crate::testing::Transfers::with_seeds(2, 1_000),
                crate::store::StateDb::in_memory().unwrap(),
                crate::node::NodeConfig::dev(),
            )
            .unwrap();
            let config = NetworkConfig {
                key: ed25519::PrivateKey::from_seed(key),
                role,
                listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
                authorities: peers,
                full_nodes: Vec::new(),
                namespace: b"test".to_vec(),
            };
            start(context, &node, config).await.map(|_| ())
        })
    }

    #[test]
    fn refuses_a_wrong_role_or_key() {
        assert!(matches!(
            try_start(Role::Authority, 9, &[1, 2, 3, 4]),
            Err(NetworkError::NotAnAuthority(_))
        ));
        assert!(matches!(
            try_start(Role::Full, 2, &[1, 2, 3, 4]),
            Err(NetworkError::FullNodeWithAuthorityKey(_))
        ));
        assert!(matches!(
            try_start(Role::Full, 9, &[]),
            Err(NetworkError::NoAuthorities)
        ));
        assert!(matches!(
            try_start(Role::Authority, 1, &[1, 2, 1]),
            Err(NetworkError::DuplicateKey(_, "authorities"))
        ));
        assert!(try_start(Role::Authority, 1, &[1, 2, 3, 4]).is_ok());
        assert!(try_start(Role::Full, 9, &[1, 2, 3, 4]).is_ok());
    }

    #[test]
    fn the_namespace_binds_genesis_and_authority_set() {
        let peer = |seed| Peer {
            public_key: ed25519::PrivateKey::from_seed(seed).public_key(),
            address: SocketAddr::from(([127, 0, 0, 1], 1)),
        };
        let a = chain_namespace(&[1; 32], &[peer(1), peer(2)]);
        assert_eq!(a, chain_namespace(&[1; 32], &[peer(2), peer(1)]));
        assert_ne!(a, chain_namespace(&[2; 32], &[peer(1), peer(2)]));
        assert_ne!(a, chain_namespace(&[1; 32], &[peer(1), peer(3)]));
    }

    #[test]
    fn blocks_fit_the_transport() {
        let limits = crate::block::BlockLimits::default();
        let need = max_message_size(100, &limits);
        assert!(need > limits.max_block_bytes as usize);
        assert!(u32::try_from(need).unwrap() <= lookup::max_size::<Upgrader>());
    }
}
