//! Axon load tool: requests per second and p50/p99 latency of a small signed synapse at
//! several concurrencies, on loopback. [`run_axon_bench`] measures our axon in process;
//! [`bench_target`] measures any axon with the same load generator, and [`serve_bench_axon`]
//! serves ours for a child process. Running axons in child processes (ours, or a Python
//! bittensor one from a venv) is tooling, not protocol: it lives in the `devnet` crate
//! (`devnet::child_axon`, used by `rustensor bench axon` and its `axon_bench` example).
//!
//! Each concurrent worker is its own [`Dendrite`] (own uuid: a Python axon checks nonces in
//! arrival order per dendrite). Workers sign every request and the axon verifies it; they do
//! not verify response signatures (only our axon sends them, and our axon still signs every
//! response), so the load generator does the same work against every axon.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::axon::{Axon, AxonConfig};
use crate::dendrite::{Dendrite, DendriteConfig};
use crate::error::Error;
use crate::synapse::Synapse;
use crate::terminal::AxonInfo;

/// The benchmark synapse: the capture's `Echo(text, n, values, response)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Echo {
    /// Input text.
    #[serde(default)]
    pub text: String,
    /// Input number.
    #[serde(default)]
    pub n: i64,
    /// Input list.
    #[serde(default)]
    pub values: Vec<i64>,
    /// Output: `TEXT|2n|sum(values)`.
    #[serde(default)]
    pub response: Option<String>,
}

impl Synapse for Echo {
    const NAME: &'static str = "Echo";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["text", "n", "values"];
}

/// The capture's forward function.
pub async fn echo_forward(mut e: Echo) -> Echo {
    let sum = e.values.iter().fold(0i64, |a, b| a.saturating_add(*b));
    e.response = Some(format!(
        "{}|{}|{}",
        e.text.to_uppercase(),
        e.n.saturating_mul(2),
        sum
    ));
    e
}

/// Benchmark settings.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Concurrency levels, measured in order.
    pub concurrency: Vec<usize>,
    /// Measured time per level.
    pub duration: Duration,
    /// Unmeasured warm-up per level (connections, caches).
    pub warmup: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// SURI of the calling hotkey.
    pub caller_uri: String,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            concurrency: vec![1, 8, 32],
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            timeout: Duration::from_secs(12),
            caller_uri: "//Alice".into(),
        }
    }
}

/// One concurrency level's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchPoint {
    /// Concurrent callers.
    pub concurrency: usize,
    /// Successful requests in the measured window.
    pub ok: u64,
    /// Failed requests in the measured window.
    pub errors: u64,
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Server CPU time (user + system) per successful request, µs, when the server runs in
    /// its own process (so the load generator's CPU is not counted).
    pub server_cpu_us_per_req: Option<f64>,
    /// CPU time of this process (the load generator, plus the axon when it runs in process)
    /// per successful request, µs.
    pub client_cpu_us_per_req: Option<f64>,
}

/// Results for one axon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// What was measured.
    pub target: String,
    /// One entry per concurrency level.
    pub points: Vec<BenchPoint>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.target)?;
        writeln!(
            f,
            "  {:>11} {:>10} {:>9} {:>9} {:>8} {:>17} {:>17}",
            "concurrency",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "server CPU us/req",
            "client CPU us/req"
        )?;
        for p in &self.points {
            let client = p
                .client_cpu_us_per_req
                .map(|c| format!("{c:.0}"))
                .unwrap_or_else(|| "-".into());
            let cpu = p
                .server_cpu_us_per_req
                .map(|c| format!("{c:.0}"))
                .unwrap_or_else(|| "-".into());
            writeln!(
                f,
                "  {:>11} {:>10.1} {:>9.2} {:>9.2} {:>8} {:>17} {:>17}",
                p.concurrency, p.rps, p.p50_ms, p.p99_ms, p.errors, cpu, client
            )?;
        }
        Ok(())
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::as_conversions)] // index arithmetic on a small vector
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted
        .get(idx.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/{pid}/stat` (Linux).
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI rustensor targets.
    Some((utime + stime) / 100.0)
}

/// Load `target` with [`Echo`] at each concurrency of `cfg`. With `server_pid`, also
/// report the server process's CPU time per request.
pub async fn bench_target(
    target: &AxonInfo,
    label: &str,
    cfg: &BenchConfig,
    server_pid: Option<u32>,
) -> Result<BenchReport, Error> {
    let key = keys::Keypair::from_uri(&cfg.caller_uri).map_err(|e| Error::Other(e.to_string()))?;
    let mut points = Vec::new();
    for &c in &cfg.concurrency {
        // The generator signs every request but skips response signatures, which only our
        // axon sends, so it does the same work against every axon.
        let dcfg = DendriteConfig {
            verify_responses: false,
            ..DendriteConfig::default()
        };
        let dendrites = (0..c.max(1))
            .map(|_| Dendrite::with_config(key.clone(), dcfg.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let run = |measure: bool, span: Duration| {
            let dendrites = dendrites.clone();
            let target = target.clone();
            let timeout = cfg.timeout;
            async move {
                let cpu0 = server_pid.and_then(process_cpu_seconds);
                let me0 = process_cpu_seconds(std::process::id());
                let start = Instant::now();
                let end = start + span;
                let workers = dendrites.into_iter().enumerate().map(|(w, d)| {
                    let target = target.clone();
                    tokio::spawn(async move {
                        let (mut lat, mut errors) = (Vec::new(), 0u64);
                        let mut i = 0i64;
                        while Instant::now() < end {
                            i = i.wrapping_add(1);
                            let t0 = Instant::now();
                            #[allow(clippy::as_conversions)] // worker index, small
                            let syn = Echo {
                                text: format!("w{w}"),
                                n: i,
                                values: vec![1, 2, 3],
                                response: None,
                            };
                            let r = d.call(&target, syn, timeout).await;
                            if r.is_success() {
                                lat.push(t0.elapsed().as_secs_f64() * 1e3);
                            } else {
                                errors = errors.saturating_add(1);
                            }
                        }
                        (lat, errors)
                    })
                });
                let mut all = Vec::new();
                let mut errors = 0u64;
                for r in futures::future::join_all(workers).await {
                    let (lat, e) = r.unwrap_or_default();
                    all.extend(lat);
                    errors = errors.saturating_add(e);
                }
                let secs = start.elapsed().as_secs_f64();
                let cpu = match (cpu0, server_pid.and_then(process_cpu_seconds)) {
                    (Some(a), Some(b)) => Some(b - a),
                    _ => None,
                };
                let me = match (me0, process_cpu_seconds(std::process::id())) {
                    (Some(a), Some(b)) => Some(b - a),
                    _ => None,
                };
                if !measure {
                    return None;
                }
                all.sort_by(f64::total_cmp);
                let per = f64::from(u32::try_from(all.len()).unwrap_or(u32::MAX).max(1));
                #[allow(clippy::as_conversions)] // counts to rates
                let ok = all.len() as u64;
                #[allow(clippy::as_conversions)]
                let rps = all.len() as f64 / secs.max(1e-9);
                Some(BenchPoint {
                    concurrency: c,
                    ok,
                    errors,
                    rps,
                    p50_ms: percentile(&all, 0.50),
                    p99_ms: percentile(&all, 0.99),
                    server_cpu_us_per_req: cpu.map(|c| c * 1e6 / per),
                    client_cpu_us_per_req: me.map(|c| c * 1e6 / per),
                })
            }
        };
        run(false, cfg.warmup).await;
        if let Some(p) = run(true, cfg.duration).await {
            points.push(p);
        }
    }
    Ok(BenchReport {
        target: label.to_string(),
        points,
    })
}

/// Start our axon on loopback (hotkey //Bob, [`Echo`]) and benchmark it.
pub async fn run_axon_bench(cfg: &BenchConfig) -> Result<BenchReport, Error> {
    let bob = keys::Keypair::from_uri("//Bob").map_err(|e| Error::Other(e.to_string()))?;
    let axon = Axon::new(bob, AxonConfig::loopback(0))
        .attach(echo_forward)
        .serve()
        .await?;
    let report = bench_target(
        &axon.info(),
        "rustensor axon, in process with the load generator",
        cfg,
        None,
    )
    .await;
    axon.shutdown().await;
    report
}

/// Serve the benchmark axon (//Bob, [`Echo`]) on `127.0.0.1:port` and print `READY`, for
/// a child process (`devnet::child_axon::run_child_axon_bench` starts one). Returns when stdin
/// closes.
pub async fn serve_bench_axon(port: u16) -> Result<(), Error> {
    let bob = keys::Keypair::from_uri("//Bob").map_err(|e| Error::Other(e.to_string()))?;
    let axon = Axon::new(bob, AxonConfig::loopback(port))
        .attach(echo_forward)
        .serve()
        .await?;
    println!("READY");
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
    axon.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tiny_bench_runs() {
        let cfg = BenchConfig {
            concurrency: vec![1, 4],
            duration: Duration::from_millis(200),
            warmup: Duration::from_millis(50),
            ..BenchConfig::default()
        };
        let r = run_axon_bench(&cfg).await.unwrap();
        assert_eq!(r.points.len(), 2);
        assert!(r.points.iter().all(|p| p.ok > 0 && p.errors == 0), "{r}");
    }
}
