//! Times the benchmark subnets outside criterion: `epoch_timing [RUNS] [FILTER]` prints, per
//! configuration, the fastest and median wall time of one epoch and the mean on-CPU time
//! (from `/proc/thread-self/schedstat`, Linux only; updated at scheduler ticks, so only the
//! mean over runs is meaningful). On a busy shared machine the on-CPU time is the fairer
//! figure: it leaves out the time the thread waited for a core.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use yuma::{EpochInput, EpochParams, EpochState};

#[path = "../benches/support/subnet.rs"]
mod subnet;

/// Nanoseconds this thread has spent on a CPU, if the kernel tells.
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn time(name: &str, runs: usize, (p, i, s): &(EpochParams, EpochInput, EpochState)) {
    let mut wall: Vec<Duration> = Vec::with_capacity(runs);
    let c0 = on_cpu_ns();
    for _ in 0..runs {
        let t = Instant::now();
        let out = yuma::epoch(p, i, s).expect("valid");
        wall.push(t.elapsed());
        drop(out);
    }
    let c1 = on_cpu_ns();
    wall.sort();
    let cpu_mean = match (c0, c1) {
        (Some(a), Some(b)) => format!(
            "{:.3?}",
            Duration::from_nanos((b - a) / u64::try_from(runs).unwrap_or(1))
        ),
        _ => "n/a".to_owned(),
    };
    println!(
        "{name:<44} {:>12.3?} {:>12.3?} {:>12}",
        wall[0],
        wall[runs / 2],
        cpu_mean
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(15)
        .max(1);
    let filter = args.get(1).cloned().unwrap_or_default();
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "configuration", "fastest", "median", "mean CPU"
    );
    for (n, validators) in [(256_u16, 64_u16), (1024, 128), (4096, 256)] {
        for yuma3 in [false, true] {
            for dense in [true, false] {
                let name = format!(
                    "{}/{}/{n}x{validators}",
                    if yuma3 {
                        "yuma3_liquid_alpha"
                    } else {
                        "classic"
                    },
                    if dense { "dense" } else { "sparse10" }
                );
                if name.contains(&filter) {
                    time(&name, runs, &subnet::subnet(n, validators, dense, yuma3));
                }
            }
        }
    }
    // Liquid alpha's worst case: bonds penalty 0, so weights above consensus reach the sigmoid
    // and almost every bond needs its own exp.
    let name = "yuma3_liquid_alpha_penalty0/dense/4096x256";
    if name.contains(&filter) {
        time(
            name,
            runs,
            &subnet::subnet_with_penalty(4096, 256, true, true, 0),
        );
    }
}
