//! [`ChainMetagraph`]: a subnet's metagraph synced from a node and kept current by following
//! finalized blocks, refetching only when a block could have changed the subnet's neurons.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use chain::Event;
use client::views::{BlockEventsView, MetagraphView as RpcMetagraph};
use client::{Client, RustensorApiClient as _};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use types::NetUid;

use crate::error::Error;
use crate::metagraph::{MetagraphView, NeuronInfo};

/// How the background sync behaves.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// With no finalized block for this long, poll the head instead (a stalled subscription).
    pub idle: Duration,
    /// Refetch at least every this many blocks, whatever the events say (a safety net).
    pub max_skip_blocks: u64,
    /// First pause before redialling a node that went away (doubles up to `max_backoff`).
    pub backoff: Duration,
    /// Longest pause between redials.
    pub max_backoff: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            idle: Duration::from_secs(15),
            max_skip_blocks: 100,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Counters of the background sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Full metagraph fetches.
    pub fetches: u64,
    /// Finalized blocks that needed no fetch.
    pub skipped: u64,
    /// Fetches that failed (the previous view was kept).
    pub errors: u64,
    /// Times the subscription was (re)established after the first.
    pub reconnects: u64,
    /// Duration of the last fetch, in microseconds.
    pub last_fetch_us: u64,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    skipped: AtomicU64,
    errors: AtomicU64,
    reconnects: AtomicU64,
    last_fetch_us: AtomicU64,
}

/// What the last fetch returned.
struct Snapshot {
    neurons: Arc<Vec<NeuronInfo>>,
    raw: Arc<RpcMetagraph>,
}

/// A subnet's metagraph from the chain, kept current in the background (see the module doc).
/// Reads are cheap (a clone of the neuron list under a read lock). Dropping the last `Arc`
/// stops the background task.
pub struct ChainMetagraph {
    netuid: u16,
    client: Arc<Client>,
    snapshot: RwLock<Snapshot>,
    /// Height of the last fetch.
    fetched_at: AtomicU64,
    /// Latest finalized height known to leave the view unchanged.
    block: AtomicU64,
    updates: watch::Sender<u64>,
    counters: Counters,
    cancel: CancellationToken,
}

impl std::fmt::Debug for ChainMetagraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainMetagraph")
            .field("netuid", &self.netuid)
            .field("node", &self.client.url())
            .field("block", &self.block())
            .finish()
    }
}

/// Map a chain axon record to where a dendrite calls it. `None` for an axon that was never
/// served (port 0) or has an unknown IP type. An unspecified address (`0.0.0.0`, `::`) means
/// "the same machine" and is read as loopback.
pub fn axon_from_chain(
    axon: &chain::schema::AxonInfo,
    hotkey: types::AccountId,
    coldkey: types::AccountId,
) -> Option<neuron::AxonInfo> {
    if axon.port == 0 {
        return None;
    }
    let ip: IpAddr = match axon.ip_type {
        4 => {
            let v4 = Ipv4Addr::from(u32::try_from(axon.ip).ok()?);
            if v4.is_unspecified() {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::V4(v4)
            }
        }
        6 => {
            let v6 = Ipv6Addr::from(axon.ip);
            if v6.is_unspecified() {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V6(v6)
            }
        }
        _ => return None,
    };
    Some(neuron::AxonInfo {
        ip: ip.to_string(),
        port: axon.port,
        hotkey,
        coldkey: Some(coldkey),
        version: u64::from(axon.version),
    })
}

fn neurons_of(mg: &RpcMetagraph) -> Vec<NeuronInfo> {
    let mut out: Vec<NeuronInfo> = mg
        .neurons
        .iter()
        .map(|n| NeuronInfo {
            uid: n.uid.0,
            hotkey: n.hotkey,
            axon: n
                .axon
                .as_ref()
                .and_then(|a| axon_from_chain(a, n.hotkey, n.coldkey)),
            stake: n.alpha_stake.rao().saturating_add(n.root_stake.rao()),
            validator_permit: n.validator_permit,
            incentive: f64::from(n.incentive) / f64::from(u16::MAX),
        })
        .collect();
    out.sort_by_key(|n| n.uid);
    out
}

/// Whether a transaction event of a finalized block may change `netuid`'s neurons (their
/// registration, axon, stake, permit, weights, keys). Events of other subnets and pure balance
/// or identity events do not; unknown kinds count as changes.
fn touches(e: &Event, netuid: NetUid) -> bool {
    let ours = |n: &NetUid| *n == netuid || n.is_root();
    match e {
        Event::ExtrinsicSuccess { .. }
        | Event::ExtrinsicFailed { .. }
        | Event::Transfer { .. }
        | Event::DustLost { .. }
        | Event::BlockEmission { .. }
        | Event::GlobalParamSet { .. }
        | Event::TakeSet { .. }
        | Event::IdentitySet { .. }
        | Event::RootClaimTypeSet { .. }
        | Event::ColdkeySwapScheduled { .. } => false,
        Event::NetworkAdded { netuid: n, .. }
        | Event::NetworkRemoved { netuid: n, .. }
        | Event::SubnetStarted { netuid: n, .. }
        | Event::SubnetIdentitySet { netuid: n, .. }
        | Event::HyperparameterSet { netuid: n, .. }
        | Event::NeuronRegistered { netuid: n, .. }
        | Event::AxonServed { netuid: n, .. }
        | Event::PrometheusServed { netuid: n, .. }
        | Event::WeightsSet { netuid: n, .. }
        | Event::WeightsCommitted { netuid: n, .. }
        | Event::StakeAdded { netuid: n, .. }
        | Event::StakeRemoved { netuid: n, .. }
        | Event::EpochTriggered { netuid: n, .. }
        | Event::EpochRun { netuid: n, .. }
        | Event::AlphaDestroyed { netuid: n, .. }
        | Event::ChildrenScheduled { netuid: n, .. }
        | Event::ChildrenSet { netuid: n, .. }
        | Event::ChildkeyTakeSet { netuid: n, .. }
        | Event::SymbolUpdated { netuid: n, .. }
        | Event::OwnerHotkeySet { netuid: n, .. }
        | Event::AutoStakeSet { netuid: n, .. } => ours(n),
        Event::StakeMoved {
            from_netuid,
            to_netuid,
            ..
        } => ours(from_netuid) || ours(to_netuid),
        _ => true,
    }
}

async fn fetch(client: &Client, netuid: u16) -> Result<RpcMetagraph, Error> {
    let id = NetUid(netuid);
    client
        .call(|c| async move { c.metagraph(id).await })
        .await?
        .ok_or(Error::SubnetNotFound(netuid))
}

impl ChainMetagraph {
    /// Fetch `netuid`'s metagraph from `client`'s node and keep it current in the background
    /// (default [`SyncConfig`]). Fails if the node is unreachable or the subnet does not exist.
    pub async fn start(client: Arc<Client>, netuid: u16) -> Result<Arc<Self>, Error> {
        Self::start_with(client, netuid, SyncConfig::default()).await
    }

    /// As [`start`](Self::start) with explicit sync settings.
    pub async fn start_with(
        client: Arc<Client>,
        netuid: u16,
        config: SyncConfig,
    ) -> Result<Arc<Self>, Error> {
        let started = Instant::now();
        let mg = fetch(&client, netuid).await?;
        let block = mg.block;
        let (updates, _) = watch::channel(block);
        let this = Arc::new(ChainMetagraph {
            netuid,
            client: client.clone(),
            snapshot: RwLock::new(Snapshot {
                neurons: Arc::new(neurons_of(&mg)),
                raw: Arc::new(mg),
            }),
            fetched_at: AtomicU64::new(block),
            block: AtomicU64::new(block),
            updates,
            counters: Counters::default(),
            cancel: CancellationToken::new(),
        });
        this.counters.fetches.fetch_add(1, Ordering::Relaxed);
        this.counters
            .last_fetch_us
            .store(micros(started.elapsed()), Ordering::Relaxed);
        tokio::spawn(follow(
            Arc::downgrade(&this),
            client,
            netuid,
            config,
            this.cancel.clone(),
        ));
        Ok(this)
    }

    /// The node client this view reads from.
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The full RPC metagraph of the last fetch (subnet info, hyperparameters, every field).
    pub fn raw(&self) -> Arc<RpcMetagraph> {
        match self.snapshot.read() {
            Ok(g) => g.raw.clone(),
            Err(p) => p.into_inner().raw.clone(),
        }
    }

    /// The subnet's hyperparameters as of the last fetch.
    pub fn hyperparams(&self) -> chain::hyperparams::Hyperparams {
        self.raw().subnet.hyperparams.clone()
    }

    /// Counters of the background sync.
    pub fn stats(&self) -> SyncStats {
        let c = &self.counters;
        SyncStats {
            fetches: c.fetches.load(Ordering::Relaxed),
            skipped: c.skipped.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            reconnects: c.reconnects.load(Ordering::Relaxed),
            last_fetch_us: c.last_fetch_us.load(Ordering::Relaxed),
        }
    }

    /// A receiver that sees the height of every new fetch.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.updates.subscribe()
    }

    /// Fetch now, whatever the events said.
    pub async fn refresh(&self) -> Result<(), Error> {
        let started = Instant::now();
        match fetch(&self.client, self.netuid).await {
            Ok(mg) => {
                self.apply(mg, started.elapsed());
                Ok(())
            }
            Err(e) => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Wait until `pred` holds for the neurons (checked now and after every fetch), at most
    /// `timeout`. Returns whether it held.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&[NeuronInfo]) -> bool,
    ) -> bool {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if pred(&self.neurons_arc()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return pred(&self.neurons_arc()),
            }
        }
    }

    fn neurons_arc(&self) -> Arc<Vec<NeuronInfo>> {
        match self.snapshot.read() {
            Ok(g) => g.neurons.clone(),
            Err(p) => p.into_inner().neurons.clone(),
        }
    }

    fn apply(&self, mg: RpcMetagraph, took: Duration) {
        let block = mg.block;
        // A slower concurrent fetch must not replace a newer view.
        if block < self.fetched_at.load(Ordering::Relaxed) {
            return;
        }
        let snap = Snapshot {
            neurons: Arc::new(neurons_of(&mg)),
            raw: Arc::new(mg),
        };
        match self.snapshot.write() {
            Ok(mut g) => *g = snap,
            Err(p) => *p.into_inner() = snap,
        }
        self.fetched_at.store(block, Ordering::Relaxed);
        self.block.fetch_max(block, Ordering::Relaxed);
        self.counters.fetches.fetch_add(1, Ordering::Relaxed);
        self.counters
            .last_fetch_us
            .store(micros(took), Ordering::Relaxed);
        self.updates.send_replace(block);
    }

    /// Whether the finalized block `ev` needs a refetch.
    fn needs_fetch(&self, ev: &BlockEventsView, max_skip: u64) -> bool {
        let known = self.block.load(Ordering::Relaxed);
        let fetched = self.fetched_at.load(Ordering::Relaxed);
        if ev.height <= known {
            return false;
        }
        let next_epoch = self.raw().subnet.next_epoch_block;
        ev.height > known.saturating_add(1)
            || (ev.height >= next_epoch && next_epoch > fetched)
            || ev.height.saturating_sub(fetched) >= max_skip
            || ev
                .events
                .iter()
                .any(|(_, e)| touches(e, NetUid(self.netuid)))
    }
}

impl Drop for ChainMetagraph {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Sleep `d` unless cancelled; false when cancelled.
async fn pause(cancel: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// The background task: follow finalized blocks' events, refetch when needed, redial on loss.
async fn follow(
    weak: Weak<ChainMetagraph>,
    client: Arc<Client>,
    netuid: u16,
    config: SyncConfig,
    cancel: CancellationToken,
) {
    let mut backoff = config.backoff;
    let mut first = true;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let sub = match client.rpc().await {
            Ok(rpc) => rpc.subscribe_events().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut sub = match sub {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(netuid, error = %e, retry_in = ?backoff, "metagraph sync: node unreachable");
                if !pause(&cancel, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(config.max_backoff);
                continue;
            }
        };
        if !first {
            let Some(this) = weak.upgrade() else { return };
            this.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!(netuid, "metagraph sync: reconnected");
            // Blocks may have passed while we were away.
            if let Err(e) = this.refresh().await {
                tracing::warn!(netuid, error = %e, "metagraph refresh failed");
            }
        }
        first = false;
        loop {
            let item = tokio::select! {
                _ = cancel.cancelled() => return,
                r = tokio::time::timeout(config.idle, sub.next()) => r,
            };
            let Some(this) = weak.upgrade() else { return };
            match item {
                Err(_) => {
                    // Nothing for a while: check the head directly.
                    let head = client.call(|c| async move { c.head().await }).await;
                    match head {
                        Ok(h) if h.finalized.height > this.block.load(Ordering::Relaxed) => {
                            if let Err(e) = this.refresh().await {
                                tracing::warn!(netuid, error = %e, "metagraph refresh failed");
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(netuid, error = %e, "metagraph sync: head poll failed");
                            break;
                        }
                    }
                }
                Ok(None) => {
                    tracing::warn!(netuid, "metagraph sync: subscription ended");
                    break;
                }
                Ok(Some(Err(e))) => {
                    tracing::warn!(netuid, error = %e, "metagraph sync: bad notification");
                    break;
                }
                Ok(Some(Ok(ev))) => {
                    backoff = config.backoff;
                    if this.needs_fetch(&ev, config.max_skip_blocks) {
                        if let Err(e) = this.refresh().await {
                            tracing::warn!(netuid, error = %e, "metagraph refresh failed");
                        }
                    } else if ev.height > this.block.load(Ordering::Relaxed) {
                        this.block.fetch_max(ev.height, Ordering::Relaxed);
                        this.counters.skipped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        if !pause(&cancel, backoff).await {
            return;
        }
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

impl MetagraphView for ChainMetagraph {
    fn netuid(&self) -> u16 {
        self.netuid
    }
    fn neurons(&self) -> Vec<NeuronInfo> {
        self.neurons_arc().as_ref().clone()
    }
    fn block(&self) -> u64 {
        self.block.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::AccountId;

    fn axon(ip: u128, ip_type: u8, port: u16) -> chain::schema::AxonInfo {
        chain::schema::AxonInfo {
            ip,
            ip_type,
            port,
            version: 7,
            ..Default::default()
        }
    }

    #[test]
    fn axons_map_to_dendrite_addresses() {
        let (h, c) = (AccountId([1; 32]), AccountId([2; 32]));
        let a = axon_from_chain(&axon(0x0a00_0001, 4, 8091), h, c).unwrap();
        assert_eq!((a.ip.as_str(), a.port, a.version), ("10.0.0.1", 8091, 7));
        assert_eq!(a.coldkey, Some(c));
        // unspecified = this machine
        assert_eq!(
            axon_from_chain(&axon(0, 4, 1), h, c).unwrap().ip,
            "127.0.0.1"
        );
        assert_eq!(axon_from_chain(&axon(0, 6, 1), h, c).unwrap().ip, "::1");
        assert!(axon_from_chain(&axon(1, 4, 0), h, c).is_none());
        assert!(axon_from_chain(&axon(1, 5, 1), h, c).is_none());
        assert!(axon_from_chain(&axon(1 << 40, 4, 1), h, c).is_none());
    }

    #[test]
    fn events_of_other_subnets_do_not_count() {
        let me = NetUid(3);
        let hk = AccountId([1; 32]);
        let served = |n| Event::AxonServed {
            netuid: NetUid(n),
            hotkey: hk,
        };
        assert!(touches(&served(3), me));
        assert!(!touches(&served(4), me));
        assert!(touches(&served(0), me)); // root stake moves count
        assert!(!touches(
            &Event::Transfer {
                from: hk,
                to: hk,
                amount: types::TaoBalance::from_rao(1)
            },
            me
        ));
    }
}
