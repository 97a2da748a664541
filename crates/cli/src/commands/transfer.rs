//! `rustensor transfer --dest ADDR --amount TAO`.

use chain::Call;
use clap::Args;
use types::{AccountId, TaoBalance};

use super::net::{self, KeyArgs, NetworkArgs, SendArgs};
use crate::GlobalArgs;
use crate::error::CliResult;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Receiver's SS58 address.
    #[arg(long, short_alias = 'd', visible_alias = "destination")]
    dest: AccountId,
    /// Amount in TAO.
    #[arg(long, short_alias = 'a', value_parser = net::parse_tao)]
    amount: TaoBalance,
    /// Allow the sender's balance to fall below the existential deposit.
    #[arg(long)]
    allow_death: bool,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

pub fn run(args: TransferArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let keys = net::Keys::new(global, &args.keys, out)?;
    let pair = keys.coldkey()?;
    let call = if args.allow_death {
        Call::TransferAllowDeath {
            dest: args.dest,
            value: args.amount,
        }
    } else {
        Call::TransferKeepAlive {
            dest: args.dest,
            value: args.amount,
        }
    };
    let what = format!("Transfer {} to {}", args.amount, args.dest);
    net::runtime()?.block_on(async {
        let c = net::connect(&args.net).await?;
        let sent = net::send(&c, out, &pair, call, &args.send, &what).await?;
        out.json(&sent);
        Ok(())
    })
}
