//! Prometheus-style counters for a validator, rendered in the text exposition format.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one validator. Shared through an `Arc`; the CLI can serve [`Metrics::render`]
/// on `/metrics` (see [`router`]).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Rounds completed.
    pub rounds: AtomicU64,
    /// Rounds that failed before querying (no miners, challenge error).
    pub round_errors: AtomicU64,
    /// Miner queries sent.
    pub queries: AtomicU64,
    /// Queries that did not return 200.
    pub query_failures: AtomicU64,
    /// Queries that timed out (408).
    pub query_timeouts: AtomicU64,
    /// Successful weight submissions.
    pub weight_sets: AtomicU64,
    /// Failed weight submissions.
    pub weight_set_errors: AtomicU64,
    /// Submissions skipped by the rate limit.
    pub weight_sets_rate_limited: AtomicU64,
}

impl Metrics {
    /// Add one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format, each counter named `{prefix}_{name}_total`.
    pub fn render(&self, prefix: &str) -> String {
        let all = [
            ("rounds", &self.rounds, "validator rounds completed"),
            ("round_errors", &self.round_errors, "rounds that failed"),
            ("queries", &self.queries, "miner queries sent"),
            (
                "query_failures",
                &self.query_failures,
                "queries without a 200",
            ),
            (
                "query_timeouts",
                &self.query_timeouts,
                "queries that timed out",
            ),
            ("weight_sets", &self.weight_sets, "weights submitted"),
            (
                "weight_set_errors",
                &self.weight_set_errors,
                "weight submissions that failed",
            ),
            (
                "weight_sets_rate_limited",
                &self.weight_sets_rate_limited,
                "weight submissions skipped by the rate limit",
            ),
        ];
        let mut out = String::new();
        for (name, c, help) in all {
            out.push_str(&format!(
                "# HELP {prefix}_{name}_total {help}\n# TYPE {prefix}_{name}_total counter\n{prefix}_{name}_total {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// `GET /metrics` serving `metrics` with prefix `rustensor_validator`.
pub fn router(metrics: Arc<Metrics>) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let m = metrics.clone();
            async move { m.render("rustensor_validator") }
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
        assert!(text.contains("# TYPE x_queries_total counter\nx_queries_total 1\n"));
    }
}
