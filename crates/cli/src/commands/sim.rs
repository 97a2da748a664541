//! `rustensor sim`: offline simulations. `sim epoch` runs Yuma Consensus epochs on a scenario file
//! in the reference test vectors' format and writes every output.

use crate::error::{CliError, CliResult};
use crate::output::Output;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Run the Yuma Consensus epochs of a scenario file and write their outputs as JSON.
    Epoch(EpochArgs),
}

#[derive(Debug, Args)]
pub struct EpochArgs {
    /// The scenario: hyperparameters, initial_state and epochs (an `expected` member is ignored).
    #[arg(long, value_name = "FILE.json")]
    input: PathBuf,
    /// Where to write `{"epochs": [...]}`; stdout if absent.
    #[arg(long, value_name = "OUT.json")]
    output: Option<PathBuf>,
    /// Leave out the sparse matrices (normalised weights, clipped weights, EMA bonds), which
    /// grow with the square of the subnet size.
    #[arg(long)]
    no_matrices: bool,
}

pub fn run(command: SimCommand, out: &Output) -> CliResult {
    match command {
        SimCommand::Epoch(args) => epoch(args, out),
    }
}

fn epoch(args: EpochArgs, out: &Output) -> CliResult {
    let text = std::fs::read_to_string(&args.input).map_err(|error| {
        CliError::new(format!("cannot read {}: {error}", args.input.display()))
            .with_hint("check the path given to --input")
    })?;
    let options = yuma::ScenarioOptions {
        matrices: !args.no_matrices,
    };
    let result = yuma::run_scenario_json_with(&text, options).map_err(|error| {
        CliError::new(format!("{}: {error}", args.input.display()))
            .with_hint("the scenario format is described in docs/consensus.md")
    })?;
    let encoded = serde_json::to_string(&result)
        .map_err(|error| CliError::new(format!("could not encode the result: {error}")))?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, encoded + "\n").map_err(|error| {
                CliError::new(format!("cannot write {}: {error}", path.display()))
            })?;
            let epochs = result["epochs"].as_array().map_or(0, Vec::len);
            if out.is_json() {
                out.json(&serde_json::json!({ "epochs": epochs, "output": path }));
            } else {
                out.line(format!("Ran {epochs} epochs; wrote {}", path.display()));
            }
        }
        None => println!("{encoded}"),
    }
    Ok(())
}
