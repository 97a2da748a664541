//! Epoch benchmarks: 256 uids / 64 validators, 1024 / 128 and 4096 / 256, each with dense and
//! 10%-sparse weights, for classic Yuma and for Yuma3 with liquid alpha. Each measured epoch
//! starts from the bonds and permits of a previous epoch, so the bonds EMA has both terms.
//!
//! Run: `CARGO_TARGET_DIR=target-yuma cargo bench -p rustensor-yuma`.

#![allow(missing_docs, clippy::arithmetic_side_effects, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use yuma::epoch;

#[path = "support/subnet.rs"]
mod subnet;
use subnet::subnet;

fn bench_epochs(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (n, validators) in [(256_u16, 64_u16), (1024, 128), (4096, 256)] {
        for dense in [true, false] {
            for yuma3 in [false, true] {
                let name = format!(
                    "{}/{}",
                    if yuma3 {
                        "yuma3_liquid_alpha"
                    } else {
                        "classic"
                    },
                    if dense { "dense" } else { "sparse10" }
                );
                // The closure runs only when the benchmark is selected, so setup is lazy too.
                group.bench_function(BenchmarkId::new(name, format!("{n}x{validators}")), |b| {
                    let (p, i, s) = subnet(n, validators, dense, yuma3);
                    b.iter(|| epoch(black_box(&p), black_box(&i), black_box(&s)))
                });
            }
        }
    }
    // Liquid alpha's worst case: bonds penalty 0 sends raw weights above consensus to the
    // sigmoid, so nearly every bond needs its own exp.
    group.bench_function(
        BenchmarkId::new("yuma3_liquid_alpha_penalty0/dense", "4096x256"),
        |b| {
            let (p, i, s) = subnet::subnet_with_penalty(4096, 256, true, true, 0);
            b.iter(|| epoch(black_box(&p), black_box(&i), black_box(&s)))
        },
    );
    group.finish();
}

criterion_group!(benches, bench_epochs);
criterion_main!(benches);
