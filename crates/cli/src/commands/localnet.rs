//! `rustensor localnet`: being written this session (see the open neurons issue).

use clap::Args;

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct LocalnetArgs {}

pub fn run(_args: LocalnetArgs, _global: &GlobalArgs, _out: &Output) -> CliResult {
    Err(CliError::new("`rustensor localnet` is not available yet"))
}
