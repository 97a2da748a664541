//! The transaction pool.
//!
//! Transactions are validated at the door by the state machine (decode, signature, nonce, fee)
//! before they get here. The pool keeps them per account ordered by nonce; a block takes, from
//! each account, the run of consecutive nonces starting at the account's state nonce, and
//! interleaves accounts by tip (highest first). A transaction with the same sender and nonce
//! replaces the pooled one only with a higher tip. Total size, total bytes and each account's
//! share are bounded. After each finalized block, transactions whose nonce is used are dropped.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use crate::state_machine::{TxCheckError, TxMeta};
use crate::store::Hash32;

/// Pool limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Most transactions in the pool.
    pub max_txs: usize,
    /// Most encoded bytes in the pool.
    pub max_bytes: usize,
    /// Most transactions of one account.
    pub max_per_account: usize,
    /// Largest accepted transaction.
    pub max_tx_bytes: usize,
    /// How far ahead of the account's nonce a transaction may be.
    pub max_nonce_gap: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 100_000,
            max_bytes: 64 * 1024 * 1024,
            max_per_account: 1_024,
            max_tx_bytes: 512 * 1024,
            max_nonce_gap: 1_024,
        }
    }
}

/// Why the pool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The state machine refused it.
    #[error(transparent)]
    Invalid(#[from] TxCheckError),
    /// The same transaction is already pooled.
    #[error("transaction 0x{} is already in the pool", hex::encode(.0))]
    AlreadyKnown(Hash32),
    /// Another transaction with this sender and nonce is pooled and this one does not tip more.
    #[error(
        "nonce {nonce} is taken by a transaction with tip {pooled_tip}; raise the tip to replace it"
    )]
    Underpriced {
        /// The contested nonce.
        nonce: u64,
        /// Tip of the pooled transaction.
        pooled_tip: u128,
    },
    /// The nonce is too far ahead of the account's.
    #[error("nonce {got} is more than {max_gap} ahead of the account's nonce {expected}")]
    NonceTooFarAhead {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
        /// The configured gap.
        max_gap: u64,
    },
    /// The transaction is too large.
    #[error("transaction is {size} bytes, the limit is {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The account already has its share of the pool.
    #[error("account has {limit} pooled transactions, the most allowed")]
    AccountFull {
        /// The per-account limit.
        limit: usize,
    },
    /// The pool is full and the transaction does not tip more than the cheapest pooled one.
    #[error("transaction pool is full")]
    PoolFull,
}

#[derive(Debug, Clone)]
struct Entry {
    meta: TxMeta,
    bytes: Arc<Vec<u8>>,
}

/// The pool. Not thread-safe by itself; the node wraps it in a mutex.
#[derive(Debug, Default)]
pub struct Mempool {
    config: MempoolConfig,
    accounts: BTreeMap<Hash32, BTreeMap<u64, Entry>>,
    by_hash: HashMap<Hash32, (Hash32, u64)>,
    bytes: usize,
}

/// A heap item: an account's next executable transaction, ordered by tip then sender.
struct Candidate {
    tip: u128,
    sender: Hash32,
    nonce: u64,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Higher tip first; ties go to the lower sender so selection is deterministic.
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.sender.cmp(&self.sender))
    }
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Encoded bytes pooled.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `hash` is pooled.
    pub fn contains(&self, hash: &Hash32) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The nonce after the last consecutive pooled transaction of `sender`, starting from its
    /// state nonce (what a wallet should sign next).
    pub fn next_nonce(&self, sender: &Hash32, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(txs) = self.accounts.get(sender) {
            for nonce in txs.range(state_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next = next.saturating_add(1);
            }
        }
        next
    }

    /// Adds a checked transaction; `state_nonce` is the sender's nonce in the latest state.
    pub fn insert(
        &mut self,
        meta: TxMeta,
        bytes: Vec<u8>,
        state_nonce: u64,
    ) -> Result<Hash32, MempoolError> {
        if bytes.len() > self.config.max_tx_bytes {
            return Err(MempoolError::TooLarge {
                size: bytes.len(),
                limit: self.config.max_tx_bytes,
            });
        }
        if self.by_hash.contains_key(&meta.hash) {
            return Err(MempoolError::AlreadyKnown(meta.hash));
        }
        if meta.nonce < state_nonce {
            return Err(TxCheckError::StaleNonce {
                expected: state_nonce,
                got: meta.nonce,
            }
            .into());
        }
        if meta.nonce - state_nonce > self.config.max_nonce_gap {
            return Err(MempoolError::NonceTooFarAhead {
                expected: state_nonce,
                got: meta.nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        let replaced = match self
            .accounts
            .get(&meta.sender)
            .and_then(|txs| txs.get(&meta.nonce))
        {
            Some(pooled) if meta.tip <= pooled.meta.tip => {
                return Err(MempoolError::Underpriced {
                    nonce: meta.nonce,
                    pooled_tip: pooled.meta.tip,
                });
            }
            Some(pooled) => Some(pooled.meta.hash),
            None => None,
        };
        if replaced.is_none() {
            let count = self.accounts.get(&meta.sender).map_or(0, BTreeMap::len);
            if count >= self.config.max_per_account {
                return Err(MempoolError::AccountFull {
                    limit: self.config.max_per_account,
                });
            }
            if self.by_hash.len() >= self.config.max_txs
                || self.bytes.saturating_add(bytes.len()) > self.config.max_bytes
            {
                self.evict_for(&meta)?;
            }
        }
        if let Some(old) = replaced {
            self.remove(&old);
        }
        self.bytes = self.bytes.saturating_add(bytes.len());
        self.by_hash.insert(meta.hash, (meta.sender, meta.nonce));
        self.accounts.entry(meta.sender).or_default().insert(
            meta.nonce,
            Entry {
                meta,
                bytes: Arc::new(bytes),
            },
        );
        Ok(meta.hash)
    }

    /// Makes room for `incoming` by dropping the last transaction of the account whose last
    /// transaction tips least, if that tip is lower than the incoming one.
    fn evict_for(&mut self, incoming: &TxMeta) -> Result<(), MempoolError> {
        let victim = self
            .accounts
            .iter()
            .filter(|(sender, _)| **sender != incoming.sender)
            .filter_map(|(_, txs)| txs.last_key_value().map(|(_, e)| e.meta))
            .min_by_key(|m| m.tip);
        match victim {
            Some(v) if v.tip < incoming.tip => {
                self.remove(&v.hash);
                Ok(())
            }
            _ => Err(MempoolError::PoolFull),
        }
    }

    /// Removes one transaction; returns whether it was pooled.
    pub fn remove(&mut self, hash: &Hash32) -> bool {
        let Some((sender, nonce)) = self.by_hash.remove(hash) else {
            return false;
        };
        if let Some(txs) = self.accounts.get_mut(&sender) {
            if let Some(e) = txs.remove(&nonce) {
                self.bytes = self.bytes.saturating_sub(e.bytes.len());
            }
            if txs.is_empty() {
                self.accounts.remove(&sender);
            }
        }
        true
    }

    /// Transactions for the next block: per account consecutive nonces from `state_nonce`,
    /// accounts interleaved by tip, at most `max_txs` and `max_bytes`.
    pub fn select(
        &self,
        mut state_nonce: impl FnMut(&Hash32) -> u64,
        max_txs: usize,
        max_bytes: usize,
    ) -> Vec<Arc<Vec<u8>>> {
        let mut heap = BinaryHeap::new();
        for (sender, txs) in &self.accounts {
            let nonce = state_nonce(sender);
            if let Some(e) = txs.get(&nonce) {
                heap.push(Candidate {
                    tip: e.meta.tip,
                    sender: *sender,
                    nonce,
                });
            }
        }
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(c) = heap.pop() {
            if out.len() >= max_txs {
                break;
            }
            let Some(txs) = self.accounts.get(&c.sender) else {
                continue;
            };
            let Some(e) = txs.get(&c.nonce) else {
                continue;
            };
            if bytes.saturating_add(e.bytes.len()) > max_bytes {
                // This account's run stops here; smaller transactions of others may still fit.
                continue;
            }
            bytes = bytes.saturating_add(e.bytes.len());
            out.push(e.bytes.clone());
            let next = c.nonce.saturating_add(1);
            if let Some(n) = txs.get(&next) {
                heap.push(Candidate {
                    tip: n.meta.tip,
                    sender: c.sender,
                    nonce: next,
                });
            }
        }
        out
    }

    /// Drops every transaction whose nonce is below its account's state nonce (included in a
    /// block or replaced by one). `state_nonce` returns `None` when it cannot be read, which
    /// keeps the account's transactions.
    pub fn prune(&mut self, mut state_nonce: impl FnMut(&Hash32) -> Option<u64>) -> usize {
        let mut stale = Vec::new();
        for (sender, txs) in &self.accounts {
            if let Some(nonce) = state_nonce(sender) {
                stale.extend(txs.range(..nonce).map(|(_, e)| e.meta.hash));
            }
        }
        for hash in &stale {
            self.remove(hash);
        }
        stale.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(sender: u8, nonce: u64, tip: u128) -> TxMeta {
        let mut hash = [0u8; 32];
        hash[0] = sender;
        hash[1..9].copy_from_slice(&nonce.to_be_bytes());
        hash[9..25].copy_from_slice(&tip.to_be_bytes());
        TxMeta {
            hash,
            sender: [sender; 32],
            nonce,
            tip,
            fee: 1,
        }
    }

    fn add(pool: &mut Mempool, sender: u8, nonce: u64, tip: u128) -> Result<Hash32, MempoolError> {
        let m = meta(sender, nonce, tip);
        pool.insert(m, m.hash.to_vec(), 0)
    }

    fn order(pool: &Mempool) -> Vec<(u8, u64)> {
        pool.select(|_| 0, usize::MAX, usize::MAX)
            .iter()
            .map(|b| (b[0], u64::from_be_bytes(b[1..9].try_into().unwrap())))
            .collect()
    }

    #[test]
    fn orders_by_nonce_per_account_then_tip() {
        let mut pool = Mempool::new(MempoolConfig::default());
        add(&mut pool, 1, 1, 100).unwrap();
        add(&mut pool, 1, 0, 1).unwrap();
        add(&mut pool, 2, 0, 50).unwrap();
        add(&mut pool, 3, 0, 10).unwrap();
        add(&mut pool, 3, 2, 999).unwrap(); // gap: not executable yet
        assert_eq!(order(&pool), vec![(2, 0), (3, 0), (1, 0), (1, 1)]);
        assert_eq!(pool.next_nonce(&[3; 32], 0), 1);
        assert_eq!(pool.next_nonce(&[1; 32], 0), 2);
    }

    #[test]
    fn replacement_needs_a_higher_tip() {
        let mut pool = Mempool::new(MempoolConfig::default());
        let first = add(&mut pool, 1, 0, 10).unwrap();
        assert_eq!(
            add(&mut pool, 1, 0, 10),
            Err(MempoolError::AlreadyKnown(first))
        );
        let cheaper = meta(1, 0, 5);
        assert_eq!(
            pool.insert(cheaper, vec![9], 0),
            Err(MempoolError::Underpriced {
                nonce: 0,
                pooled_tip: 10
            })
        );
        add(&mut pool, 1, 0, 11).unwrap();
        assert_eq!(pool.len(), 1);
        assert!(!pool.contains(&first));
    }

    #[test]
    fn rejects_stale_far_and_large() {
        let mut pool = Mempool::new(MempoolConfig {
            max_nonce_gap: 3,
            max_tx_bytes: 4,
            ..MempoolConfig::default()
        });
        let m = meta(1, 0, 1);
        assert!(matches!(
            pool.insert(m, vec![0; 2], 1),
            Err(MempoolError::Invalid(TxCheckError::StaleNonce {
                expected: 1,
                got: 0
            }))
        ));
        let m = meta(1, 9, 1);
        assert!(matches!(
            pool.insert(m, vec![0; 2], 1),
            Err(MempoolError::NonceTooFarAhead { .. })
        ));
        let m = meta(1, 1, 1);
        assert!(matches!(
            pool.insert(m, vec![0; 5], 1),
            Err(MempoolError::TooLarge { size: 5, limit: 4 })
        ));
    }

    #[test]
    fn bounds_account_share_and_total() {
        let mut pool = Mempool::new(MempoolConfig {
            max_txs: 3,
            max_per_account: 2,
            ..MempoolConfig::default()
        });
        add(&mut pool, 1, 0, 5).unwrap();
        add(&mut pool, 1, 1, 5).unwrap();
        assert_eq!(
            add(&mut pool, 1, 2, 5),
            Err(MempoolError::AccountFull { limit: 2 })
        );
        add(&mut pool, 2, 0, 5).unwrap();
        // Full: a tip no higher than the cheapest evictable one is refused...
        assert_eq!(add(&mut pool, 3, 0, 5), Err(MempoolError::PoolFull));
        // ...a higher tip evicts the cheapest account's last transaction.
        add(&mut pool, 3, 0, 6).unwrap();
        assert_eq!(pool.len(), 3);
        assert!(pool.contains(&meta(3, 0, 6).hash));
    }

    #[test]
    fn select_respects_limits_and_prune_drops_used_nonces() {
        let mut pool = Mempool::new(MempoolConfig::default());
        for n in 0..5 {
            add(&mut pool, 1, n, 1).unwrap();
        }
        assert_eq!(pool.select(|_| 0, 2, usize::MAX).len(), 2);
        assert_eq!(pool.select(|_| 0, 10, 3 * 32).len(), 3);
        assert_eq!(pool.select(|_| 2, 10, usize::MAX).len(), 3);
        assert_eq!(pool.prune(|_| Some(3)), 3);
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.prune(|_| None), 0);
        assert_eq!(pool.bytes(), 2 * 32);
    }
}
