//! What validators and gateways need from the metagraph, behind a trait the chain sync
//! implements later, plus an in-memory implementation for tests and localnet.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use neuron::AxonInfo;
use types::AccountId;

/// One neuron of a subnet, as the metagraph reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronInfo {
    /// Uid in the subnet.
    pub uid: u16,
    /// Hotkey registered at that uid.
    pub hotkey: AccountId,
    /// Where it serves, if it published an axon.
    pub axon: Option<AxonInfo>,
    /// Stake in rao.
    pub stake: u64,
    /// May set weights.
    pub validator_permit: bool,
    /// Incentive share, 0..=1 (the chain's u16 divided by 65535).
    pub incentive: f64,
}

impl NeuronInfo {
    /// A miner serving at `axon` (no stake, no permit, no incentive).
    pub fn miner(uid: u16, axon: AxonInfo) -> Self {
        NeuronInfo {
            uid,
            hotkey: axon.hotkey,
            axon: Some(axon),
            stake: 0,
            validator_permit: false,
            incentive: 0.0,
        }
    }
}

/// A read-only view of a subnet's metagraph. Implementations must be cheap to call; the
/// validator reads it once per round, the gateway once per request.
pub trait MetagraphView: Send + Sync + 'static {
    /// The subnet id.
    fn netuid(&self) -> u16;
    /// All neurons, in uid order.
    fn neurons(&self) -> Vec<NeuronInfo>;
    /// The block the view was synced at (0 if unknown).
    fn block(&self) -> u64 {
        0
    }
    /// The uid of `hotkey`, if registered.
    fn uid_of(&self, hotkey: &AccountId) -> Option<u16> {
        self.neurons()
            .into_iter()
            .find(|n| n.hotkey == *hotkey)
            .map(|n| n.uid)
    }
}

/// A metagraph held in memory; the sync (or a test) replaces its contents.
#[derive(Debug, Default)]
pub struct InMemoryMetagraph {
    netuid: u16,
    neurons: RwLock<Vec<NeuronInfo>>,
    block: AtomicU64,
}

impl InMemoryMetagraph {
    /// A view of `netuid` with these neurons.
    pub fn new(netuid: u16, mut neurons: Vec<NeuronInfo>) -> Self {
        neurons.sort_by_key(|n| n.uid);
        InMemoryMetagraph {
            netuid,
            neurons: RwLock::new(neurons),
            block: AtomicU64::new(0),
        }
    }

    /// Replace all neurons (a fresh sync) at `block`.
    pub fn replace(&self, mut neurons: Vec<NeuronInfo>, block: u64) {
        neurons.sort_by_key(|n| n.uid);
        if let Ok(mut g) = self.neurons.write() {
            *g = neurons;
        }
        self.block.store(block, Ordering::Relaxed);
    }

    /// Set one uid's incentive (tests, localnet).
    pub fn set_incentive(&self, uid: u16, incentive: f64) {
        if let Ok(mut g) = self.neurons.write()
            && let Some(n) = g.iter_mut().find(|n| n.uid == uid)
        {
            n.incentive = incentive;
        }
    }
}

impl MetagraphView for InMemoryMetagraph {
    fn netuid(&self) -> u16 {
        self.netuid
    }
    fn neurons(&self) -> Vec<NeuronInfo> {
        self.neurons.read().map(|g| g.clone()).unwrap_or_default()
    }
    fn block(&self) -> u64 {
        self.block.load(Ordering::Relaxed)
    }
}

impl<T: MetagraphView + ?Sized> MetagraphView for std::sync::Arc<T> {
    fn netuid(&self) -> u16 {
        (**self).netuid()
    }
    fn neurons(&self) -> Vec<NeuronInfo> {
        (**self).neurons()
    }
    fn block(&self) -> u64 {
        (**self).block()
    }
}

/// Adapter so an axon's blacklist can use the metagraph: registered hotkeys map to their stake.
pub struct MetagraphStake<M>(pub M);

impl<M: MetagraphView> neuron::StakeView for MetagraphStake<M> {
    fn stake(&self, hotkey: &AccountId) -> Option<u64> {
        self.0
            .neurons()
            .into_iter()
            .find(|n| n.hotkey == *hotkey)
            .map(|n| n.stake)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuron::StakeView as _;

    fn acct(b: u8) -> AccountId {
        AccountId([b; 32])
    }

    #[test]
    fn replace_sorts_and_looks_up() {
        let mk = |uid, b| NeuronInfo::miner(uid, AxonInfo::new("127.0.0.1", 1, acct(b)));
        let m = InMemoryMetagraph::new(3, vec![mk(2, 2), mk(0, 9)]);
        assert_eq!(m.neurons()[0].uid, 0);
        assert_eq!(m.uid_of(&acct(2)), Some(2));
        m.set_incentive(2, 0.5);
        assert_eq!(m.neurons()[1].incentive, 0.5);
        m.replace(vec![mk(1, 1)], 7);
        assert_eq!((m.neurons().len(), m.block()), (1, 7));
        let s = MetagraphStake(std::sync::Arc::new(m));
        assert_eq!(s.stake(&acct(1)), Some(0));
        assert_eq!(s.stake(&acct(2)), None);
    }
}
