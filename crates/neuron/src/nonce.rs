//! Replay protection: an atomic, bounded, sharded store of recently accepted nonces per
//! `(dendrite hotkey, dendrite uuid)`.
//!
//! Rules (see `docs/protocol.md`):
//! * freshness: a nonce (ns since the epoch) must be newer than
//!   `now − allowed_delta − timeout` (Python applies this on first contact only; we apply it
//!   on every request, which is what lets us forget old keys safely);
//! * replay: per key, a nonce is accepted **once**, if it is above the key's floor and no
//!   more than `reorder_window` below the highest nonce accepted for that key. So a burst of
//!   concurrent requests that arrive slightly out of order is accepted, while a nonce that
//!   was already used, or is older than the window, is not (Python requires strictly
//!   increasing nonces, in arrival order);
//! * check and store happen under one shard lock, so two racing copies of one request cannot
//!   both pass.
//!
//! Memory is bounded: at most `max_per_key` remembered nonces per key (the floor rises when
//! the oldest are dropped), and at most `max_keys` keys; when full, stale keys are swept, and
//! if that is not enough the key with the oldest nonce is evicted and its nonce becomes the
//! shard's floor for unknown keys, so eviction never re-opens a replay.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::VerifyError;

/// Nonce-store settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonceConfig {
    /// Base freshness allowance, added to the request's timeout (Python: 4 s).
    pub allowed_delta: Duration,
    /// How far below the highest accepted nonce of a key a new nonce may be (default 2 s).
    pub reorder_window: Duration,
    /// Upper bound for the timeout a request can claim when computing freshness.
    pub max_timeout: Duration,
    /// Remembered nonces per key.
    pub max_per_key: usize,
    /// Keys remembered in total.
    pub max_keys: usize,
}

impl Default for NonceConfig {
    fn default() -> Self {
        NonceConfig {
            allowed_delta: Duration::from_secs(4),
            reorder_window: Duration::from_secs(2),
            max_timeout: Duration::from_secs(60),
            max_per_key: 1024,
            max_keys: 100_000,
        }
    }
}

const SHARDS: usize = 16;

#[derive(Debug, Default)]
struct Entry {
    max: u64,
    floor: u64,
    recent: BTreeSet<u64>,
}

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<([u8; 32], String), Entry>,
    /// Highest nonce of any evicted key: unknown keys must be above it.
    floor: u64,
}

/// The nonce store; share one per axon.
#[derive(Debug)]
pub struct NonceStore {
    cfg: NonceConfig,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl NonceStore {
    /// An empty store.
    pub fn new(cfg: NonceConfig) -> Self {
        NonceStore {
            cfg,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &NonceConfig {
        &self.cfg
    }

    /// Number of keys currently remembered.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|g| g.map.len()).unwrap_or(0))
            .sum()
    }

    /// True when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Check `nonce` for `(hotkey, uuid)` at `now_ns` and, if accepted, remember it.
    pub fn check_and_store(
        &self,
        hotkey: &[u8; 32],
        uuid: &str,
        nonce: u64,
        timeout_s: f64,
        now_ns: u64,
    ) -> Result<(), VerifyError> {
        let timeout = Duration::try_from_secs_f64(timeout_s.max(0.0))
            .unwrap_or(self.cfg.max_timeout)
            .min(self.cfg.max_timeout);
        let allowed = ns(self.cfg.allowed_delta.saturating_add(timeout));
        if nonce < now_ns.saturating_sub(allowed) {
            #[allow(clippy::as_conversions)] // display only
            let (allowed_s, age_s) = (
                allowed as f64 / 1e9,
                now_ns.saturating_sub(nonce) as f64 / 1e9,
            );
            return Err(VerifyError::NonceTooOld { allowed_s, age_s });
        }
        let key = (*hotkey, uuid.to_string());
        let idx = usize::try_from(self.hasher.hash_one(&key) % SHARDS as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(idx) else {
            return Err(VerifyError::NonceNotNewer);
        };
        // A poisoned lock only means another request panicked mid-update; the map is still
        // consistent enough to keep enforcing replay rules.
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        let window = ns(self.cfg.reorder_window);
        if let Some(e) = shard.map.get_mut(&key) {
            if nonce <= e.floor || nonce < e.max.saturating_sub(window) || e.recent.contains(&nonce)
            {
                return Err(VerifyError::NonceNotNewer);
            }
            e.recent.insert(nonce);
            e.max = e.max.max(nonce);
            let low = e.max.saturating_sub(window);
            while let Some(&first) = e.recent.first() {
                if first >= low && e.recent.len() <= self.cfg.max_per_key {
                    break;
                }
                e.recent.pop_first();
                e.floor = e.floor.max(first);
            }
            return Ok(());
        }
        if nonce <= shard.floor {
            return Err(VerifyError::NonceNotNewer);
        }
        let per_shard = (self.cfg.max_keys / SHARDS).max(1);
        if shard.map.len() >= per_shard {
            self.make_room(&mut shard, now_ns);
        }
        let mut recent = BTreeSet::new();
        recent.insert(nonce);
        shard.map.insert(
            key,
            Entry {
                max: nonce,
                floor: 0,
                recent,
            },
        );
        Ok(())
    }

    fn make_room(&self, shard: &mut Shard, now_ns: u64) {
        // Any future nonce must be newer than this, so keys entirely below it are dead weight.
        let stale = now_ns.saturating_sub(ns(self
            .cfg
            .allowed_delta
            .saturating_add(self.cfg.max_timeout)));
        shard.map.retain(|_, e| e.max >= stale);
        let per_shard = (self.cfg.max_keys / SHARDS).max(1);
        while shard.map.len() >= per_shard {
            let Some(oldest) = shard
                .map
                .iter()
                .min_by_key(|(_, e)| e.max)
                .map(|(k, e)| (k.clone(), e.max))
            else {
                break;
            };
            shard.map.remove(&oldest.0);
            shard.floor = shard.floor.max(oldest.1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_568_651_000_000_000;
    const S: u64 = 1_000_000_000;

    fn store() -> NonceStore {
        NonceStore::new(NonceConfig::default())
    }

    #[test]
    fn replay_and_staleness() {
        let s = store();
        let k = [1u8; 32];
        s.check_and_store(&k, "u", NOW, 12.0, NOW).unwrap();
        assert_eq!(
            s.check_and_store(&k, "u", NOW, 12.0, NOW),
            Err(VerifyError::NonceNotNewer)
        );
        // Another uuid is another key.
        s.check_and_store(&k, "v", NOW, 12.0, NOW).unwrap();
        // 20 s old with timeout 12: the capture's message.
        let e = s
            .check_and_store(&k, "w", NOW - 20 * S - 10_000_000, 12.0, NOW)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Nonce is too old: acceptable delta is 16.00 seconds but request was 20.01 seconds old"
        );
        // A huge claimed timeout is capped.
        assert!(
            s.check_and_store(&k, "x", NOW - 3600 * S, 1e12, NOW)
                .is_err()
        );
    }

    #[test]
    fn out_of_order_burst_within_window() {
        let s = store();
        let k = [2u8; 32];
        for n in [NOW + 5, NOW + 1, NOW + 3, NOW + 2, NOW + 4] {
            s.check_and_store(&k, "u", n, 12.0, NOW).unwrap();
        }
        for n in [NOW + 1, NOW + 5] {
            assert!(s.check_and_store(&k, "u", n, 12.0, NOW).is_err());
        }
        s.check_and_store(&k, "u", NOW + 3 * S, 12.0, NOW).unwrap();
        // More than the 2 s window below the highest: rejected even though unseen.
        assert_eq!(
            s.check_and_store(&k, "u", NOW + 6, 12.0, NOW),
            Err(VerifyError::NonceNotNewer)
        );
        s.check_and_store(&k, "u", NOW + S + 6, 12.0, NOW).unwrap();
    }

    #[test]
    fn bounded_per_key_and_keys() {
        let s = NonceStore::new(NonceConfig {
            max_per_key: 4,
            max_keys: SHARDS * 2,
            ..NonceConfig::default()
        });
        let k = [3u8; 32];
        for i in 1..=10 {
            s.check_and_store(&k, "u", NOW + i, 12.0, NOW).unwrap();
        }
        // Dropped from memory, but the floor still rejects them.
        assert!(s.check_and_store(&k, "u", NOW + 2, 12.0, NOW).is_err());
        for i in 0..1000u32 {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            s.check_and_store(&h, "u", NOW + u64::from(i) + 100, 12.0, NOW)
                .unwrap();
        }
        assert!(s.len() <= SHARDS * 2);
        // An evicted key cannot replay its old nonce.
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&0u32.to_le_bytes());
        assert!(s.check_and_store(&h, "u", NOW + 100, 12.0, NOW).is_err());
    }

    #[test]
    fn concurrent_identical_requests_pass_once() {
        let s = std::sync::Arc::new(store());
        let ok = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (s, ok) = (s.clone(), ok.clone());
                std::thread::spawn(move || {
                    if s.check_and_store(&[9; 32], "u", NOW, 12.0, NOW).is_ok() {
                        ok.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ok.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
