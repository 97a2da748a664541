//! `rustensor miner`: being written this session (see the open neurons issue).

use clap::Args;

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct MinerArgs {}

pub fn run(_args: MinerArgs, _global: &GlobalArgs, _out: &Output) -> CliResult {
    Err(CliError::new("`rustensor miner` is not available yet"))
}
