//! `rustensor gateway`: being written this session (see the open neurons issue).

use clap::Args;

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct GatewayArgs {}

pub fn run(_args: GatewayArgs, _global: &GlobalArgs, _out: &Output) -> CliResult {
    Err(CliError::new("`rustensor gateway` is not available yet"))
}
