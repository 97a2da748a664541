//! Times the benchmark subnets outside criterion: `epoch_timing [RUNS]` prints, per
//! configuration, the fastest and the median wall time of one epoch. The fastest run is the
//! useful figure on a shared machine.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

#[path = "../benches/support/subnet.rs"]
mod subnet;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    println!("{:<40} {:>12} {:>12}", "configuration", "fastest", "median");
    for (n, validators) in [(256_u16, 64_u16), (1024, 128), (4096, 256)] {
        for yuma3 in [false, true] {
            for dense in [true, false] {
                let (p, i, s) = subnet::subnet(n, validators, dense, yuma3);
                let mut times: Vec<Duration> = (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        let out = yuma::epoch(&p, &i, &s).expect("valid");
                        let e = t.elapsed();
                        drop(out);
                        e
                    })
                    .collect();
                times.sort();
                let name = format!(
                    "{}/{}/{n}x{validators}",
                    if yuma3 {
                        "yuma3_liquid_alpha"
                    } else {
                        "classic"
                    },
                    if dense { "dense" } else { "sparse10" }
                );
                println!("{name:<40} {:>12.3?} {:>12.3?}", times[0], times[runs / 2]);
            }
        }
    }
    // Liquid alpha's worst case: bonds penalty 0, so weights above consensus reach the sigmoid
    // and almost every bond needs its own exp.
    let (p, i, s) = subnet::subnet_with_penalty(4096, 256, true, true, 0);
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = yuma::epoch(&p, &i, &s).expect("valid");
            let e = t.elapsed();
            drop(out);
            e
        })
        .collect();
    times.sort();
    let name = "yuma3_liquid_alpha/dense/4096x256/penalty0";
    println!("{name:<40} {:>12.3?} {:>12.3?}", times[0], times[runs / 2]);
}
