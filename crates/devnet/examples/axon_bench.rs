//! Axon benchmark: our axon vs a Python bittensor 10.5.0 Axon, same load generator, same run.
//!
//! ```text
//! cargo run --release -p rustensor-devnet --example axon_bench -- \
//!     [--duration SECS] [--python PATH | --venv DIR | --no-python]
//!     [--target HOST:PORT [--hotkey SS58]]   # load an axon that is already running
//!     [--serve PORT]                         # only serve the benchmark axon
//! ```
//! Both axons run in their own process (ours: this binary with `--serve PORT`), so the
//! server CPU per request is measured apart from the load generator. Without `--python`, a
//! venv with `bittensor==10.5.0` is made (or reused) in `--venv DIR` (default:
//! `$TMPDIR/rustensor-bench-venv`).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Duration;

use devnet::child_axon::{ensure_bittensor_venv, run_child_axon_bench, run_python_axon_bench};
use neuron::bench::{BenchConfig, serve_bench_axon};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = BenchConfig::default();
    let mut python: Option<PathBuf> = None;
    let mut venv = std::env::temp_dir().join("rustensor-bench-venv");
    let mut with_python = true;
    let mut serve: Option<u16> = None;
    let mut target: Option<String> = None;
    let mut hotkey = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".to_string(); // //Bob
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
            "--serve" => serve = Some(args.next().ok_or("--serve PORT")?.parse()?),
            "--target" => target = Some(args.next().ok_or("--target HOST:PORT")?),
            "--hotkey" => hotkey = args.next().ok_or("--hotkey SS58")?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if let Some(port) = serve {
        rt.block_on(serve_bench_axon(port))?;
        return Ok(());
    }
    if let Some(t) = target {
        // Load an axon that is already running (it must answer `Echo`).
        let (host, port) = t.rsplit_once(':').ok_or("--target HOST:PORT")?;
        let info =
            neuron::AxonInfo::new(host, port.parse()?, types::AccountId::from_ss58(&hotkey)?);
        println!(
            "{}",
            rt.block_on(neuron::bench::bench_target(&info, &t, &cfg, None))?
        );
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let ours = rt.block_on(run_child_axon_bench(&cfg, &exe, &["--serve"]))?;
    println!("{ours}");
    if !with_python {
        return Ok(());
    }
    let py = match python {
        Some(p) => p,
        None => ensure_bittensor_venv(&venv)?,
    };
    let theirs = rt.block_on(run_python_axon_bench(&cfg, &py))?;
    println!("{theirs}");
    println!("ours / python");
    for (a, b) in ours.points.iter().zip(&theirs.points) {
        let cpu = match (a.server_cpu_us_per_req, b.server_cpu_us_per_req) {
            (Some(x), Some(y)) => format!("   server CPU/req x{:.0} less", y / x.max(1e-9)),
            _ => String::new(),
        };
        println!(
            "  c={:<3} req/s x{:.1}   p99 {:.2} ms vs {:.2} ms{cpu}",
            a.concurrency,
            a.rps / b.rps.max(1e-9),
            a.p99_ms,
            b.p99_ms
        );
    }
    Ok(())
}
