//! Prometheus metrics of a node: heights, mempool size, finalized transactions and their rate,
//! and how long blocks take to execute and to commit.
//!
//! The metrics live in the node from the start (atomics, always updated); [`NodeMetrics::register`]
//! exposes them through a commonware runtime context, whose `encode()` then renders them in the
//! Prometheus text format together with the engine's own metrics (consensus, p2p, storage).
//! [`serve`] answers `GET /metrics` with that text.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use commonware_runtime::Metrics;
use commonware_runtime::telemetry::metrics::Registered;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// Finalized blocks the transaction rate is averaged over.
const RATE_WINDOW: usize = 20;

/// The node's metrics (cheap to update; clones share the values).
#[derive(Debug)]
pub struct NodeMetrics {
    best_height: Gauge,
    finalized_height: Gauge,
    mempool_transactions: Gauge,
    finalized_transactions: Counter,
    transactions_per_second: Gauge<f64, AtomicU64>,
    block_execution_seconds: Histogram,
    block_commit_seconds: Histogram,
    /// (timestamp ms, transactions) of the last finalized blocks.
    recent: Mutex<VecDeque<(u64, u64)>>,
    /// Keeps the registrations alive (dropping them unregisters).
    registered: Mutex<Vec<Box<dyn std::any::Any + Send + Sync>>>,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        // 100 µs .. ~3.3 s.
        let buckets = || exponential_buckets(0.0001, 2.0, 16);
        Self {
            best_height: Gauge::default(),
            finalized_height: Gauge::default(),
            mempool_transactions: Gauge::default(),
            finalized_transactions: Counter::default(),
            transactions_per_second: Gauge::default(),
            block_execution_seconds: Histogram::new(buckets()),
            block_commit_seconds: Histogram::new(buckets()),
            recent: Mutex::new(VecDeque::with_capacity(RATE_WINDOW)),
            registered: Mutex::new(Vec::new()),
        }
    }
}

fn gauge_value(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl NodeMetrics {
    /// Exposes every metric through `context` (names get the context's label as prefix, e.g.
    /// `node_finalized_height` under a context labelled `node`). Registering twice is harmless.
    pub fn register(&self, context: &impl Metrics) {
        fn keep<M: Send + Sync + 'static>(
            list: &mut Vec<Box<dyn std::any::Any + Send + Sync>>,
            r: Registered<M>,
        ) {
            list.push(Box::new(r));
        }
        let mut list = self.registered.lock().unwrap_or_else(|e| e.into_inner());
        keep(
            &mut list,
            context.register(
                "best_height",
                "Highest block this node executed (may not be final yet)",
                self.best_height.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "finalized_height",
                "Last finalized block committed to the state database",
                self.finalized_height.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "mempool_transactions",
                "Transactions waiting in the pool",
                self.mempool_transactions.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "finalized_transactions",
                "Transactions in finalized blocks since the node started",
                self.finalized_transactions.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "transactions_per_second",
                "Finalized transactions per second over the last 20 blocks (block timestamps)",
                self.transactions_per_second.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "block_execution_seconds",
                "Time to execute a block's transactions (proposing or verifying)",
                self.block_execution_seconds.clone(),
            ),
        );
        keep(
            &mut list,
            context.register(
                "block_commit_seconds",
                "Time to commit a finalized block and its state root to the database",
                self.block_commit_seconds.clone(),
            ),
        );
    }

    pub(crate) fn executed(&self, elapsed: Duration) {
        self.block_execution_seconds.observe(elapsed.as_secs_f64());
    }

    pub(crate) fn best(&self, height: u64) {
        self.best_height.set(gauge_value(height));
    }

    pub(crate) fn mempool(&self, len: usize) {
        self.mempool_transactions
            .set(i64::try_from(len).unwrap_or(i64::MAX));
    }

    pub(crate) fn finalized(&self, height: u64, timestamp_ms: u64, txs: usize, commit: Duration) {
        self.finalized_height.set(gauge_value(height));
        let txs = u64::try_from(txs).unwrap_or(u64::MAX);
        self.finalized_transactions.inc_by(txs);
        self.block_commit_seconds.observe(commit.as_secs_f64());
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RATE_WINDOW {
            recent.pop_front();
        }
        recent.push_back((timestamp_ms, txs));
        self.transactions_per_second.set(rate(&recent));
    }

    /// The current finalized transactions per second (as exported).
    pub fn transactions_per_second(&self) -> f64 {
        self.transactions_per_second.get()
    }
}

/// Registers `node`'s metrics under `rustensor_node` and serves everything the runtime knows
/// (ours, consensus, p2p, storage) at `addr/metrics` in the background; returns the bound
/// address. Needs a tokio runtime (the server runs on tokio's sockets).
pub async fn serve<C, SM>(
    context: &C,
    node: &crate::node::Node<SM>,
    addr: std::net::SocketAddr,
) -> std::io::Result<std::net::SocketAddr>
where
    C: Metrics + commonware_runtime::Supervisor,
    SM: crate::state_machine::StateMachine,
{
    node.metrics().register(&context.child("rustensor_node"));
    // A child shares the runtime's registry; `encode` renders all of it.
    let registry = std::sync::Arc::new(context.child("metrics_server"));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let registry = registry.clone();
            async move { registry.encode() }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    });
    Ok(bound)
}

/// Transactions per second over the window: those after the first block, over the time from
/// the first block to the last.
fn rate(window: &VecDeque<(u64, u64)>) -> f64 {
    let (Some(first), Some(last)) = (window.front(), window.back()) else {
        return 0.0;
    };
    let span_ms = last.0.saturating_sub(first.0);
    if span_ms == 0 {
        return 0.0;
    }
    let txs: u64 = window.iter().skip(1).map(|(_, n)| n).sum();
    txs as f64 * 1000.0 / span_ms as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_runtime::{Runner as _, Supervisor as _, deterministic};

    #[test]
    fn rate_counts_transactions_after_the_first_block() {
        let w: VecDeque<(u64, u64)> = [(1_000, 500), (1_250, 100), (1_500, 400)].into();
        assert_eq!(rate(&w), 1000.0);
        assert_eq!(rate(&VecDeque::new()), 0.0);
        assert_eq!(rate(&[(5, 9)].into()), 0.0);
    }

    #[test]
    fn serve_answers_metrics_over_http() {
        use std::io::{Read as _, Write as _};
        let dir = tempfile::tempdir().unwrap();
        let runtime = crate::dev::runtime_config(dir.path());
        commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
            let machine = crate::testing::Transfers::default();
            let db = crate::store::StateDb::in_memory().unwrap();
            let node = crate::node::Node::new(machine, db, crate::node::NodeConfig::dev()).unwrap();
            let localhost = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let bound = serve(&context, &node, localhost).await.unwrap();
            let body = tokio::task::spawn_blocking(move || {
                let mut s = std::net::TcpStream::connect(bound).unwrap();
                s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .unwrap();
                let mut text = String::new();
                s.read_to_string(&mut text).unwrap();
                text
            })
            .await
            .unwrap();
            assert!(body.starts_with("HTTP/1.1 200"), "{body}");
            assert!(body.contains("rustensor_node_finalized_height 0"), "{body}");
        });
    }

    #[test]
    fn registered_metrics_render_with_their_values() {
        deterministic::Runner::default().start(|context| async move {
            let m = NodeMetrics::default();
            let ctx = context.child("node");
            m.register(&ctx);
            m.best(12);
            m.mempool(3);
            m.executed(Duration::from_millis(2));
            m.finalized(10, 1_000, 0, Duration::from_millis(1));
            m.finalized(11, 1_500, 50, Duration::from_millis(1));
            let text = context.encode();
            for line in [
                "node_best_height 12",
                "node_finalized_height 11",
                "node_mempool_transactions 3",
                "node_finalized_transactions_total 50",
                "node_transactions_per_second 100.0",
                "node_block_execution_seconds_count 1",
                "node_block_commit_seconds_count 2",
            ] {
                assert!(text.contains(line), "missing {line:?} in:\n{text}");
            }
        });
    }
}
