//! `rustensor chain`: heads and blocks.

use clap::{Args, Subcommand};
use client::RustensorApiClient;
use client::views::BlockId;

use super::net::{self, NetworkArgs};
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Best and finalized heights and hashes, and the state root.
    Head(HeadArgs),
    /// A finalized block by height or 0x hash, with its transactions and receipts.
    Block(BlockArgs),
}

#[derive(Debug, Args)]
pub struct HeadArgs {
    #[command(flatten)]
    net: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct BlockArgs {
    /// Height or 0x hash.
    at: String,
    #[command(flatten)]
    net: NetworkArgs,
}

pub fn run(command: ChainCommand, out: &Output) -> CliResult {
    net::runtime()?.block_on(async {
        match command {
            ChainCommand::Head(a) => {
                let c = net::connect(&a.net).await?;
                let head = c.call(|r| async move { r.head().await }).await?;
                out.json(&head);
                out.line(format!(
                    "best:      #{} {}",
                    head.best.height, head.best.hash
                ));
                out.line(format!(
                    "finalized: #{} {}",
                    head.finalized.height, head.finalized.hash
                ));
                out.line(format!("state root: {}", head.state_root));
                Ok(())
            }
            ChainCommand::Block(a) => {
                let at: BlockId = match a.at.parse::<u64>() {
                    Ok(h) => BlockId::Height(h),
                    Err(_) => BlockId::Hash(a.at.parse().map_err(|e: String| {
                        CliError::new(format!("'{}' is neither a height nor a hash: {e}", a.at))
                    })?),
                };
                let c = net::connect(&a.net).await?;
                let block = c
                    .call(|r| async move { r.block(at).await })
                    .await?
                    .ok_or_else(|| {
                        CliError::new(format!("no finalized block {}", a.at))
                            .with_hint("see `rustensor chain head` for the finalized height")
                    })?;
                out.json(&block);
                out.line(format!("block #{} {}", block.height, block.hash));
                out.line(format!("  parent:     {}", block.parent));
                out.line(format!("  state root: {}", block.state_root));
                out.line(format!("  timestamp:  {} ms", block.timestamp_ms));
                out.line(format!("  transactions: {}", block.extrinsics.len()));
                for x in &block.extrinsics {
                    let outcome = x
                        .receipt
                        .as_ref()
                        .map(|r| format!("{:?}", r.outcome))
                        .unwrap_or_default();
                    out.line(format!(
                        "    {} {} by {} {}",
                        x.hash,
                        x.call.as_deref().unwrap_or("?"),
                        x.signer.map(|s| s.to_string()).unwrap_or_default(),
                        outcome
                    ));
                }
                Ok(())
            }
        }
    })
}
