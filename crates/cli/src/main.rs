//! `rustensor`: the command-line tool of rustensor, a Rust implementation of Bittensor.
//!
//! Command groups follow btcli's (`wallet`, `subnet`, `stake`, `weights`, ...). Every command
//! takes `--json` for machine-readable output (and then prints nothing else on stdout), and every
//! error is printed with a hint of what to do next, never as a bare code.

mod commands;
mod error;
mod output;
mod password;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// rustensor: a Rust implementation of Bittensor.
#[derive(Debug, Parser)]
#[command(name = "rustensor", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Folder that holds the wallets [default: ~/.bittensor/wallets].
    #[arg(long, global = true, env = "RUSTENSOR_WALLET_PATH", value_name = "DIR")]
    pub wallet_path: Option<PathBuf>,
    /// Machine-readable JSON on stdout, and nothing else on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the key password from this file (first line) instead of prompting. The env var
    /// RUSTENSOR_PASSWORD works too.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, regenerate, list and inspect wallets; sign and verify messages.
    #[command(subcommand, visible_alias = "w")]
    Wallet(commands::wallet::WalletCommand),
    /// Offline simulations: run Yuma Consensus epochs on a scenario file.
    #[command(subcommand)]
    Sim(commands::sim::SimCommand),
    /// The embedded text-generation model: fetch it, try it.
    #[command(subcommand)]
    Model(commands::model::ModelCommand),
    /// Load tools: measure our axon against the Python one.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Run a node: `--dev` for a local development chain; `export-genesis` for a chain spec.
    Node(commands::node::NodeArgs),
    /// Chain heads and blocks.
    #[command(subcommand)]
    Chain(commands::chain::ChainCommand),
    /// Send TAO to another account.
    Transfer(commands::transfer::TransferArgs),
    /// Subnets: list, show, create, start, register, hyperparameters, set.
    #[command(subcommand, visible_alias = "s")]
    Subnet(commands::subnet::SubnetCommand),
    /// Stake: add, remove, move, transfer, swap, list.
    #[command(subcommand, visible_alias = "st")]
    Stake(commands::stake::StakeCommand),
    /// Weights: set, commit, reveal.
    #[command(subcommand, visible_alias = "wt")]
    Weights(commands::weights::WeightsCommand),
    /// A subnet's metagraph.
    Metagraph(commands::metagraph::MetagraphArgs),
    /// Run a miner: register first, then serve a subnet's synapse from an axon.
    Miner(commands::miner::MinerArgs),
    /// Run a validator: query miners, score them, set weights each tempo.
    Validator(commands::validator::ValidatorArgs),
    /// An OpenAI-compatible API in front of a subnet's miners.
    Gateway(commands::gateway::GatewayArgs),
    /// The whole network on this machine: a dev node, two subnets, miners, validators, gateway.
    Localnet(commands::localnet::LocalnetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = output::Output::new(cli.global.json);
    let result = match cli.command {
        Command::Wallet(command) => commands::wallet::run(command, &cli.global, &out),
        Command::Sim(command) => commands::sim::run(command, &out),
        Command::Model(command) => commands::model::run(command, &out),
        Command::Bench(command) => commands::bench::run(command, &out),
        Command::Node(args) => commands::node::run(args, &out),
        Command::Chain(command) => commands::chain::run(command, &out),
        Command::Transfer(args) => commands::transfer::run(args, &cli.global, &out),
        Command::Subnet(command) => commands::subnet::run(command, &cli.global, &out),
        Command::Stake(command) => commands::stake::run(command, &cli.global, &out),
        Command::Weights(command) => commands::weights::run(command, &cli.global, &out),
        Command::Metagraph(args) => commands::metagraph::run(args, &out),
        Command::Miner(args) => commands::miner::run(args, &cli.global, &out),
        Command::Validator(args) => commands::validator::run(args, &cli.global, &out),
        Command::Gateway(args) => commands::gateway::run(args, &cli.global, &out),
        Command::Localnet(args) => commands::localnet::run(args, &cli.global, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error.print();
            ExitCode::from(error.exit_code())
        }
    }
}
