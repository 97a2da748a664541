//! `rustensor`: the command-line tool of rustensor, a Rust implementation of Bittensor.
//!
//! Command groups follow btcli's (`wallet`, `subnet`, `stake`, `weights`, ...), and btcli 9.23's
//! spellings of commands and flags are accepted as aliases (`subnets`, `sudo get|set`,
//! `--wallet.name`, `--subtensor.chain_endpoint`, ...; docs/btcli.md maps them). Every command
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
    #[arg(
        long,
        short_alias = 'p',
        aliases = ["wallet.path", "wallet_path"],
        global = true,
        env = "RUSTENSOR_WALLET_PATH",
        value_name = "DIR"
    )]
    pub wallet_path: Option<PathBuf>,
    /// Machine-readable JSON on stdout, and nothing else on stdout.
    #[arg(long, aliases = ["json-output", "json-out"], global = true)]
    pub json: bool,
    /// Read the key password from this file (first line) instead of prompting. The env var
    /// RUSTENSOR_PASSWORD works too.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, regenerate, list and inspect wallets; sign and verify messages; balances.
    #[command(subcommand, visible_alias = "w", alias = "wallets")]
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
    /// Subnets: list, show, create, start, register, hyperparameters, set, metagraph.
    #[command(subcommand, visible_aliases = ["subnets", "s"])]
    Subnet(commands::subnet::SubnetCommand),
    /// A subnet's hyperparameters: get, set (btcli's names for `subnet hyperparameters|set`).
    #[command(subcommand, visible_alias = "su")]
    Sudo(commands::sudo::SudoCommand),
    /// Stake: add, remove, move, transfer, swap, list.
    #[command(subcommand, visible_alias = "st")]
    Stake(commands::stake::StakeCommand),
    /// Weights: set, commit, reveal.
    #[command(subcommand, visible_alias = "wt", alias = "weight")]
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
        Command::Sudo(command) => commands::sudo::run(command, &cli.global, &out),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("rustensor").chain(args.iter().copied()))
    }

    /// Whether `path` names a command: asking it for help gets its help.
    fn is_command(path: &[&str]) -> bool {
        let mut args = path.to_vec();
        args.push("--help");
        matches!(parse(&args), Err(e) if e.kind() == ErrorKind::DisplayHelp)
    }

    #[test]
    fn the_command_line_is_well_formed() {
        // Duplicate names, aliases or short flags anywhere panic here.
        Cli::command().debug_assert();
    }

    #[test]
    fn btcli_table_matches_the_command_line() {
        let doc = include_str!("../../../docs/btcli.md");
        let mut rows = 0;
        for line in doc.lines().filter(|l| l.starts_with("| `btcli ")) {
            let cells: Vec<&str> = line.split(" | ").collect();
            let btcli = cells[0]
                .trim_start_matches("| `btcli ")
                .split('`')
                .next()
                .unwrap();
            let path: Vec<&str> = btcli.split_whitespace().collect();
            match cells[1]
                .strip_prefix("`rustensor ")
                .and_then(|c| c.strip_suffix('`'))
            {
                Some(ours) => {
                    assert!(is_command(&path), "`{btcli}` is in the table but refused");
                    let ours: Vec<&str> = ours.split_whitespace().collect();
                    assert!(is_command(&ours), "{ours:?} (for `{btcli}`) is refused");
                }
                None => {
                    assert_eq!(cells[1], "not available", "{line}");
                    assert!(
                        !is_command(&path),
                        "`{btcli}` parses: the table says it does not"
                    );
                }
            }
            rows += 1;
        }
        assert_eq!(rows, 115, "one row per command of btcli 9.23.2's tree");
    }

    #[test]
    fn btcli_group_names_and_aliases_work() {
        for path in [
            ["wallets", "list"],
            ["w", "list"],
            ["st", "list"],
            ["su", "get"],
            ["subnets", "list"],
            ["subnet", "list"],
            ["s", "list"],
            ["weight", "commit"],
            ["wt", "reveal"],
            ["wallet", "new_coldkey"],
            ["wallet", "regen_hotkey"],
        ] {
            assert!(is_command(&path), "{path:?}");
        }
        assert!(!is_command(&["c", "get"]));
    }

    #[test]
    fn the_seeds_commands_parse_with_btcli_flags() {
        let lines: [&[&str]; 4] = [
            &["wallet", "overview", "--wallet.name", "tao1"],
            &[
                "subnets",
                "register",
                "--wallet.name",
                "tao1",
                "--wallet.hotkey",
                "miner1",
                "--subtensor.network",
                "local",
                "--netuid",
                "171",
            ],
            &[
                "stake",
                "add",
                "--wallet.name",
                "tao1",
                "--wallet.hotkey",
                "miner1",
                "--amount",
                "0.0050",
                "--subtensor.chain_endpoint",
                "ws://127.0.0.1:9944",
                "--netuid",
                "171",
                "--no-prompt",
            ],
            &[
                "-p",
                "/tmp/w",
                "wallet",
                "transfer",
                "--wallet_name",
                "tao1",
                "-d",
                "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
                "-a",
                "1",
                "--json-output",
                "-y",
            ],
        ];
        for args in lines {
            let cli = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            if args[0] == "-p" {
                assert_eq!(cli.global.wallet_path, Some(PathBuf::from("/tmp/w")));
                assert!(cli.global.json);
            }
        }
    }

    #[test]
    fn bittensors_networks_are_refused_with_a_hint() {
        let e = parse(&["subnets", "list", "--subtensor.network", "test"])
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::ValueValidation);
        let text = e.to_string();
        assert!(
            text.contains("one of Bittensor's own networks") && text.contains("hint: pass"),
            "{text}"
        );
        assert!(parse(&["subnets", "list", "--network", "finney"]).is_err());
    }
}
