//! Prometheus metrics through prometheus-client: a validator's counters ([`Metrics`]), the
//! chain metagraph's sync state for miners ([`MetagraphCollector`]), and `GET /metrics` serving a
//! registry in the OpenMetrics text format.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::gauge::ConstGauge;
pub use prometheus_client::registry::Registry;

use crate::metagraph::MetagraphView;
use crate::onchain::ChainMetagraph;

/// The content type of the OpenMetrics text format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Counters of one validator. Shared through an `Arc`; the CLI serves them on `/metrics`
/// (see [`router`]).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Rounds completed.
    pub rounds: Counter,
    /// Rounds that failed before querying (no miners, challenge error).
    pub round_errors: Counter,
    /// Miner queries sent.
    pub queries: Counter,
    /// Queries that did not return 200.
    pub query_failures: Counter,
    /// Queries that timed out (408).
    pub query_timeouts: Counter,
    /// Successful weight submissions.
    pub weight_sets: Counter,
    /// Failed weight submissions.
    pub weight_set_errors: Counter,
    /// Submissions skipped by the rate limit.
    pub weight_sets_rate_limited: Counter,
}

impl Metrics {
    /// Add one to a counter.
    pub fn inc(counter: &Counter) {
        counter.inc();
    }

    /// A registry holding every counter as `{prefix}_{name}_total` (the counters are shared,
    /// so it follows later increments).
    pub fn registry(&self, prefix: &str) -> Registry {
        let mut registry = Registry::with_prefix(prefix);
        for (name, help, counter) in [
            ("rounds", "validator rounds completed", &self.rounds),
            ("round_errors", "rounds that failed", &self.round_errors),
            ("queries", "miner queries sent", &self.queries),
            (
                "query_failures",
                "queries without a 200",
                &self.query_failures,
            ),
            (
                "query_timeouts",
                "queries that timed out",
                &self.query_timeouts,
            ),
            ("weight_sets", "weights submitted", &self.weight_sets),
            (
                "weight_set_errors",
                "weight submissions that failed",
                &self.weight_set_errors,
            ),
            (
                "weight_sets_rate_limited",
                "weight submissions skipped by the rate limit",
                &self.weight_sets_rate_limited,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry
    }

    /// The OpenMetrics text of [`Metrics::registry`].
    pub fn render(&self, prefix: &str) -> String {
        encode(&self.registry(prefix))
    }
}

/// A miner's view of the chain metagraph, read at each scrape: `metagraph_block` (gauge),
/// `metagraph_fetches_total` and `metagraph_skipped_total` (full fetches, and finalized blocks
/// that needed none).
#[derive(Debug, Clone)]
pub struct MetagraphCollector(pub Arc<ChainMetagraph>);

impl Collector for MetagraphCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let block = ConstGauge::new(self.0.block());
        block.encode(encoder.encode_descriptor(
            "metagraph_block",
            "The finalized block the metagraph follows",
            None,
            block.metric_type(),
        )?)?;
        let stats = self.0.stats();
        for (name, help, value) in [
            ("metagraph_fetches", "Full metagraph fetches", stats.fetches),
            (
                "metagraph_skipped",
                "Finalized blocks that needed no fetch",
                stats.skipped,
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// The OpenMetrics text of `registry`, ending with `# EOF`.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail; a collector's error would only cut the text short.
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, registry) {
        tracing::warn!(error = %e, "metrics encoding stopped early");
    }
    text
}

/// `GET /metrics` serving `metrics` with prefix `rustensor_validator`.
pub fn router(metrics: Arc<Metrics>) -> axum::Router {
    registry_router(metrics.registry("rustensor_validator"))
}

/// `GET /metrics` serving `registry` in the OpenMetrics text format.
pub fn registry_router(registry: Registry) -> axum::Router {
    let registry = Arc::new(registry);
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let r = registry.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
                    encode(&r),
                )
            }
        }),
    )
}

/// `GET /metrics` answering whatever `render` returns (text exposition format).
pub fn text_router(render: impl Fn() -> String + Send + Sync + 'static) -> axum::Router {
    let render = Arc::new(render);
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let r = render.clone();
            async move { r() }
        }),
    )
}

/// Serve `router` on `addr` in the background; returns the bound address.
pub async fn serve(
    addr: std::net::SocketAddr,
    router: axum::Router,
) -> Result<std::net::SocketAddr, crate::Error> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| crate::Error::Config(format!("cannot serve metrics on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| crate::Error::Config(format!("metrics listener: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters() {
        let m = Metrics::default();
        Metrics::inc(&m.queries);
        let text = m.render("x");
        // OpenMetrics names the family without `_total`; the sample keeps it.
        assert!(
            text.contains("# TYPE x_queries counter\nx_queries_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("x_weight_sets_rate_limited_total 0\n"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_registry_follows_later_increments() {
        let m = Metrics::default();
        let registry = m.registry("v");
        Metrics::inc(&m.rounds);
        Metrics::inc(&m.rounds);
        assert!(encode(&registry).contains("v_rounds_total 2\n"));
    }
}
