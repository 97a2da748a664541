//! Who may call, and who goes first: the stake-based blacklist fed by a metagraph view, and
//! the priority gate that orders waiting requests by stake when the axon is saturated.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::oneshot;
use tokio::time::Instant;
use types::AccountId;

use crate::error::AxonError;

/// A view of the metagraph: the stake (rao) of a registered hotkey, `None` when the hotkey
/// is not registered. The node's metagraph sync will implement this; tests use a map.
pub trait StakeView: Send + Sync + 'static {
    /// Stake of `hotkey`, or `None` when it is not registered.
    fn stake(&self, hotkey: &AccountId) -> Option<u64>;
}

impl<F> StakeView for F
where
    F: Fn(&AccountId) -> Option<u64> + Send + Sync + 'static,
{
    fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        self(hotkey)
    }
}

impl StakeView for HashMap<AccountId, u64> {
    fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        self.get(hotkey).copied()
    }
}

/// A map that a background metagraph sync can replace while the axon runs.
impl StakeView for RwLock<HashMap<AccountId, u64>> {
    fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        self.read().ok().and_then(|m| m.get(hotkey).copied())
    }
}

impl<T: StakeView + ?Sized> StakeView for Arc<T> {
    fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        (**self).stake(hotkey)
    }
}

/// The axon-wide blacklist: reject unregistered hotkeys and hotkeys below `min_stake`.
#[derive(Clone)]
pub struct Blacklist {
    view: Arc<dyn StakeView>,
    min_stake: u64,
    allow_unregistered: bool,
}

impl std::fmt::Debug for Blacklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blacklist")
            .field("min_stake", &self.min_stake)
            .field("allow_unregistered", &self.allow_unregistered)
            .finish()
    }
}

impl Blacklist {
    /// Reject hotkeys that `view` does not know, or whose stake is below `min_stake` rao.
    pub fn new(view: impl StakeView, min_stake: u64) -> Self {
        Blacklist {
            view: Arc::new(view),
            min_stake,
            allow_unregistered: false,
        }
    }

    /// Also let unregistered hotkeys through (with no stake, so lowest priority).
    pub fn allow_unregistered(mut self, allow: bool) -> Self {
        self.allow_unregistered = allow;
        self
    }

    /// The stake of `hotkey`, or the reason it is blacklisted.
    pub fn check(&self, hotkey: &AccountId) -> Result<Option<u64>, String> {
        match self.view.stake(hotkey) {
            None if self.allow_unregistered => Ok(None),
            None => Err(format!("Unrecognized hotkey {}", hotkey.to_ss58())),
            Some(s) if s < self.min_stake => Err(format!(
                "Hotkey {} has stake {s} rao, below the minimum {} rao",
                hotkey.to_ss58(),
                self.min_stake
            )),
            Some(s) => Ok(Some(s)),
        }
    }

    /// The stake of `hotkey` as the view reports it.
    pub fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        self.view.stake(hotkey)
    }
}

/// `f64` with a total order, for priority keys.
#[derive(Debug, Clone, Copy)]
struct Prio(f64);
impl PartialEq for Prio {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Prio {}
impl PartialOrd for Prio {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Prio {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// Waiters ordered by (priority, then earlier arrival): the last entry goes first.
type Key = (Prio, std::cmp::Reverse<u64>);

struct GateState {
    available: usize,
    seq: u64,
    waiters: BTreeMap<Key, oneshot::Sender<GatePermit>>,
}

/// Limits concurrent forwards to `max_in_flight`; when all are busy, requests wait in a
/// bounded queue ordered by priority (highest stake first). When the queue is full, a new
/// request displaces the lowest-priority waiter if it ranks higher, otherwise it is refused.
pub struct PriorityGate {
    state: Mutex<GateState>,
    max_queue: usize,
}

/// Holds one forward slot; dropping it hands the slot to the best waiter.
pub struct GatePermit {
    gate: Option<Arc<PriorityGate>>,
}

impl Drop for GatePermit {
    fn drop(&mut self) {
        if let Some(g) = self.gate.take() {
            PriorityGate::release(&g);
        }
    }
}

impl PriorityGate {
    /// A gate with `max_in_flight` slots and room for `max_queue` waiters.
    pub fn new(max_in_flight: usize, max_queue: usize) -> Arc<Self> {
        Arc::new(PriorityGate {
            state: Mutex::new(GateState {
                available: max_in_flight.max(1),
                seq: 0,
                waiters: BTreeMap::new(),
            }),
            max_queue,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for a slot until `deadline` (`timeout_s` is only for the error message).
    pub async fn acquire(
        self: &Arc<Self>,
        priority: f64,
        deadline: Instant,
        timeout_s: f64,
    ) -> Result<GatePermit, AxonError> {
        let prio = Prio(if priority.is_nan() { 0.0 } else { priority });
        let (key, rx) = {
            let mut st = self.lock();
            if st.available > 0 {
                st.available = st.available.saturating_sub(1);
                return Ok(GatePermit {
                    gate: Some(self.clone()),
                });
            }
            st.seq = st.seq.wrapping_add(1);
            let key = (prio, std::cmp::Reverse(st.seq));
            if st.waiters.len() >= self.max_queue {
                match st.waiters.first_key_value() {
                    // Dropping the displaced waiter's sender tells it it was refused.
                    Some((low, _)) if *low < key => {
                        st.waiters.pop_first();
                    }
                    _ => return Err(AxonError::Overloaded),
                }
            }
            let (tx, rx) = oneshot::channel();
            st.waiters.insert(key, tx);
            (key, rx)
        };
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(AxonError::Overloaded),
            Err(_) => {
                self.lock().waiters.remove(&key);
                Err(AxonError::PriorityTimeout(timeout_s))
            }
        }
    }

    fn release(gate: &Arc<PriorityGate>) {
        loop {
            let next = {
                let mut st = gate.lock();
                match st.waiters.pop_last() {
                    Some((_, tx)) => tx,
                    None => {
                        st.available = st.available.saturating_add(1);
                        return;
                    }
                }
            };
            let permit = GatePermit {
                gate: Some(gate.clone()),
            };
            match next.send(permit) {
                Ok(()) => return,
                // That waiter gave up; disarm the returned permit and try the next one.
                Err(mut p) => p.gate = None,
            }
        }
    }

    /// Slots free right now.
    pub fn available(&self) -> usize {
        self.lock().available
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn blacklist_rules() {
        let mut m = HashMap::new();
        let a = AccountId([1; 32]);
        let b = AccountId([2; 32]);
        m.insert(a, 1000);
        m.insert(b, 10);
        let bl = Blacklist::new(m, 100);
        assert_eq!(bl.check(&a), Ok(Some(1000)));
        assert!(
            bl.check(&b)
                .unwrap_err()
                .contains("below the minimum 100 rao")
        );
        assert!(
            bl.check(&AccountId([3; 32]))
                .unwrap_err()
                .starts_with("Unrecognized hotkey 5")
        );
        let open = Blacklist::new(|_: &AccountId| None, 0).allow_unregistered(true);
        assert_eq!(open.check(&a), Ok(None));
    }

    #[tokio::test]
    async fn highest_priority_goes_first() {
        let gate = PriorityGate::new(1, 2);
        let far = Instant::now() + Duration::from_secs(5);
        let held = gate.acquire(0.0, far, 5.0).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for p in [1.0, 5.0] {
            let (g, o) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                if let Ok(_permit) = g.acquire(p, far, 5.0).await {
                    o.lock().unwrap().push(p);
                }
            }));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Queue full: a lower priority is refused, a higher one displaces the lowest waiter.
        assert!(matches!(
            gate.acquire(0.5, far, 5.0).await,
            Err(AxonError::Overloaded)
        ));
        let (g, o) = (gate.clone(), order.clone());
        let top = tokio::spawn(async move {
            let _permit = g.acquire(9.0, far, 5.0).await.unwrap();
            o.lock().unwrap().push(9.0);
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        top.await.unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order, vec![9.0, 5.0]);
        assert_eq!(gate.available(), 1);
    }

    #[tokio::test]
    async fn waiting_times_out() {
        let gate = PriorityGate::new(1, 4);
        let _held = gate
            .acquire(0.0, Instant::now() + Duration::from_secs(5), 5.0)
            .await
            .unwrap();
        let r = gate
            .acquire(1.0, Instant::now() + Duration::from_millis(30), 0.03)
            .await;
        assert!(matches!(r, Err(AxonError::PriorityTimeout(_))));
        assert!(gate.lock().waiters.is_empty());
    }
}
