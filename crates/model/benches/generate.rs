//! Generation speed of SmolLM2-135M-Instruct Q4_1 on the CPU.
//!
//! `RAYON_NUM_THREADS=1 cargo bench -p rustensor-model` for the one-core figure (candle sizes its
//! pools from that variable once per process). `decode` reports tokens/s of the answer alone
//! (prefill excluded); `prefill` reports prompt tokens/s; each for the default Q4_1Fast, f32 and Q8_0 weights
//! (see `WeightFormat`). Fetches the model first if needed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use model::{ChatMessage, SamplingParams, TextModel, WeightFormat};

const TOKENS: usize = 32;

fn bench(c: &mut Criterion) {
    let path = match model::fetch::fetch(None, &mut |e| eprintln!("fetch: {e:?}")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIPPED: no model: {e}");
            return;
        }
    };
    let msgs = [ChatMessage::user(
        "Write a long story about a dragon who learns to fly.",
    )];
    let params = SamplingParams::greedy(TOKENS);
    let mut g = c.benchmark_group("smollm2_135m_q4_1");
    g.sample_size(10);
    for (label, format) in [
        ("q4_1_fast", WeightFormat::Q4_1Fast),
        ("f32", WeightFormat::F32),
        ("q8_0", WeightFormat::Q8_0),
    ] {
        let mut m = TextModel::load_with(&path, format).unwrap();
        // The figure is only meaningful if the answer really is TOKENS long.
        let probe = m.generate(&msgs, &params).unwrap();
        assert_eq!(probe.tokens.len(), TOKENS, "{:?}", probe.text);
        eprintln!(
            "{label}: RAYON_NUM_THREADS={:?}; probe: {:.1} tokens/s",
            std::env::var("RAYON_NUM_THREADS").ok(),
            probe.tokens_per_second()
        );
        g.throughput(Throughput::Elements(TOKENS as u64));
        g.bench_function(format!("decode/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| m.generate(&msgs, &params).unwrap().timings.generation)
                    .sum::<Duration>()
            })
        });
        g.throughput(Throughput::Elements(probe.prompt_tokens as u64));
        g.bench_function(format!("prefill/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        m.generate(&msgs, &SamplingParams::greedy(1))
                            .unwrap()
                            .timings
                            .prompt
                    })
                    .sum::<Duration>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
