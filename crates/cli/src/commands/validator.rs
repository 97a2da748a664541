//! `rustensor validator`: being written this session (see the open neurons issue).

use clap::Args;

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct ValidatorArgs {}

pub fn run(_args: ValidatorArgs, _global: &GlobalArgs, _out: &Output) -> CliResult {
    Err(CliError::new("`rustensor validator` is not available yet"))
}
