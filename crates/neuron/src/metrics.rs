//! [`AxonStats`] as Prometheus metrics: register it (or its `Arc`) as a prometheus-client
//! collector, and each scrape reads the counters as they are then.
//!
//! Under a registry prefix `P` it exposes `P_axon_requests_total{outcome}`,
//! `P_axon_served_total`, `P_axon_rejected_total` and the histogram
//! `P_axon_request_seconds{outcome}` (its `_sum` / `_count` is the mean handling time; the axon
//! keeps no latency buckets, so `+Inf` is the only bucket).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;

use crate::axon::{AxonStats, RequestOutcome};

impl Collector for AxonStats {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut requests = encoder.encode_descriptor(
            "axon_requests",
            "Requests by outcome (served, or why rejected)",
            None,
            MetricType::Counter,
        )?;
        for outcome in RequestOutcome::ALL {
            let label = [("outcome", outcome.name())];
            ConstCounter::new(self.count(outcome)).encode(requests.encode_family(&label)?)?;
        }
        for (name, help, value) in [
            ("axon_served", "Requests answered with 200", self.served()),
            (
                "axon_rejected",
                "Requests answered with an error status",
                self.rejected(),
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
        let mut seconds = encoder.encode_descriptor(
            "axon_request_seconds",
            "Time from a request's arrival to its response",
            None,
            MetricType::Histogram,
        )?;
        for outcome in RequestOutcome::ALL {
            let label = [("outcome", outcome.name())];
            let count = self.count(outcome);
            seconds
                .encode_family(&label)?
                .encode_histogram::<NoLabelSet>(
                    self.time(outcome).as_secs_f64(),
                    count,
                    &[(f64::INFINITY, count)],
                    None,
                )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::Registry;
    use std::time::Duration;

    #[test]
    fn axon_metrics_are_prometheus_text() {
        let mut registry = Registry::with_prefix("rustensor_miner");
        registry.register_collector(Box::new(AxonStats::default()));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("rustensor_miner_axon_requests_total{outcome=\"served\"} 0\n"));
        assert!(text.contains("rustensor_miner_axon_requests_total{outcome=\"blacklisted\"} 0\n"));
        assert!(text.contains("rustensor_miner_axon_rejected_total 0\n"));
        // prometheus-client writes floats shortest-exact and has no summary type: a histogram
        // with only the +Inf bucket carries the same _sum and _count.
        assert!(
            text.contains("rustensor_miner_axon_request_seconds_sum{outcome=\"served\"} 0.0\n")
        );
        assert!(text.contains("# TYPE rustensor_miner_axon_request_seconds histogram\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(name.starts_with("rustensor_miner_axon_"), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_scrape_reads_the_counters_as_they_are() {
        let stats = std::sync::Arc::new(AxonStats::default());
        let mut registry = Registry::with_prefix("m");
        registry.register_collector(Box::new(stats.clone()));
        stats.record(RequestOutcome::Blacklisted, Duration::from_millis(1500));
        stats.record(RequestOutcome::Served, Duration::from_millis(250));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for sample in [
            "m_axon_requests_total{outcome=\"blacklisted\"} 1\n",
            "m_axon_served_total 1\n",
            "m_axon_rejected_total 1\n",
            "m_axon_request_seconds_sum{outcome=\"blacklisted\"} 1.5\n",
            "m_axon_request_seconds_count{outcome=\"served\"} 1\n",
            "m_axon_request_seconds_bucket{le=\"+Inf\",outcome=\"served\"} 1\n",
        ] {
            assert!(text.contains(sample), "no {sample:?} in\n{text}");
        }
    }
}
