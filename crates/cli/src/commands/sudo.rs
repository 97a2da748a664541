//! `rustensor sudo get|set`: btcli's names for a subnet's hyperparameters, the same commands as
//! `subnet hyperparameters` and `subnet set`.

use clap::Subcommand;

use super::subnet::{self, NetuidRead, SetArgs, SubnetCommand};
use crate::GlobalArgs;
use crate::error::CliResult;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum SudoCommand {
    /// A subnet's hyperparameters (the same as `subnet hyperparameters`).
    Get(NetuidRead),
    /// Set a hyperparameter, as the owner within limits or as sudo (the same as `subnet set`).
    Set(SetArgs),
}

pub fn run(command: SudoCommand, global: &GlobalArgs, out: &Output) -> CliResult {
    let same = match command {
        SudoCommand::Get(args) => SubnetCommand::Hyperparameters(args),
        SudoCommand::Set(args) => SubnetCommand::Set(args),
    };
    subnet::run(same, global, out)
}
