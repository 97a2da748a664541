//! Runs a scenario file and writes the report: `run_scenario IN.json [OUT.json]`.
//! (The `rustensor sim epoch` command does the same through the CLI.)

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(input_path) = args.first() else {
        eprintln!("usage: run_scenario IN.json [OUT.json]");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(input_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {input_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match yuma::run_scenario_json(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = report.to_string();
    match args.get(1) {
        Some(path) => {
            if let Err(e) = std::fs::write(path, out) {
                eprintln!("error: cannot write {path}: {e}");
                return ExitCode::from(2);
            }
        }
        None => println!("{out}"),
    }
    ExitCode::SUCCESS
}
