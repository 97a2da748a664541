//! Axon benchmark: our axon vs a Python bittensor 10.5.0 Axon, same load generator, same run.
//!
//! ```text
//! cargo run --release -p rustensor-neuron --example axon_bench -- [--duration SECS] [--python PATH | --venv DIR | --no-python]
//! ```
//! Without `--python`, a venv with `bittensor==10.5.0` is made (or reused) in `--venv DIR`
//! (default: `$TMPDIR/rustensor-bench-venv`).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Duration;

use neuron::bench::{
    BenchConfig, bench_target, ensure_bittensor_venv, run_axon_bench, spawn_python_axon,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = BenchConfig::default();
    let mut python: Option<PathBuf> = None;
    let mut venv = std::env::temp_dir().join("rustensor-bench-venv");
    let mut with_python = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--duration" => {
                cfg.duration =
                    Duration::from_secs_f64(args.next().ok_or("--duration SECS")?.parse()?)
            }
            "--python" => python = Some(args.next().ok_or("--python PATH")?.into()),
            "--venv" => venv = args.next().ok_or("--venv DIR")?.into(),
            "--no-python" => with_python = false,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ours = rt.block_on(run_axon_bench(&cfg))?;
    println!("{ours}");
    if !with_python {
        return Ok(());
    }
    let py = match python {
        Some(p) => p,
        None => ensure_bittensor_venv(&venv)?,
    };
    let axon = spawn_python_axon(&py, &std::env::temp_dir())?;
    let theirs = rt.block_on(bench_target(
        &axon.info,
        "python bittensor 10.5.0 axon",
        &cfg,
    ))?;
    drop(axon);
    println!("{theirs}");
    println!("ratio (ours / python)");
    for (a, b) in ours.points.iter().zip(&theirs.points) {
        println!(
            "  c={:<3} req/s x{:.1}   p99 {:.2} ms vs {:.2} ms",
            a.concurrency,
            a.rps / b.rps.max(1e-9),
            a.p99_ms,
            b.p99_ms
        );
    }
    Ok(())
}
