//! The framework on a real chain, over the JSON-RPC client (`client`):
//!
//! * [`ChainMetagraph`]: a [`crate::MetagraphView`] synced from `neuronInfo_getMetagraph` and
//!   kept current in the background. It follows the finalized blocks' events
//!   (`chain_subscribeEvents`) and refetches only when a block could have changed the subnet's
//!   neurons (an event of this subnet or of root, a missed block, an epoch, or a periodic
//!   safety refresh); otherwise it only advances its block. It redials when the node goes away.
//! * [`ChainWeightSink`]: a [`crate::WeightSink`] that signs with the validator's hotkey and
//!   sends `set_weights`, or on commit-reveal subnets `commit_weights` and later
//!   `reveal_weights` in the reveal epoch. Every call is dry-run first: a call the chain would
//!   refuse is never sent, and the refusal comes back typed ([`crate::Error::Rejected`] with
//!   the chain's hint, or [`crate::Error::WeightsTooSoon`] with the block it can next submit).
//! * [`serve_axon`]: publish a miner's address (`serve_axon`), skipped when the chain already
//!   has it.
//!
//! Loopback: the chain refuses `127.0.0.1` (as Subtensor does). An axon bound to a loopback
//! address is published as the unspecified address `0.0.0.0` (or `::`), and
//! [`ChainMetagraph`] reads an unspecified address back as loopback: "the same machine", which
//! is what the Python SDK's dendrite does when an axon's IP is its own.

mod metagraph;
mod serve;
mod weights;

pub use metagraph::{ChainMetagraph, SyncConfig, SyncStats, axon_from_chain};
pub use serve::{ServeOutcome, published_ip, serve_axon};
pub use weights::{ChainWeightSink, WeightsReceipt, measured_block_time};

use chain::{Call, ChainError, TxOutcome};
use client::views::TxInclusion;
use client::{Client, TxOptions, Wait};
use keys::Keypair;
use types::TaoBalance;

use crate::error::Error;

/// The chain error of a failed or invalid outcome.
pub(crate) fn refusal(outcome: &TxOutcome) -> Option<&ChainError> {
    match outcome {
        TxOutcome::Applied => None,
        TxOutcome::Failed(e) | TxOutcome::Invalid(e) => Some(e),
    }
}

/// Dry-runs `call` for `pair`; sends it only if the chain would apply it, then waits for
/// finality and checks the receipt.
pub(crate) async fn send_checked(
    client: &Client,
    pair: &Keypair,
    call: Call,
) -> Result<TxInclusion, Error> {
    let name = call.name();
    let dry = client
        .dry_run(&pair.account_id(), &call, TaoBalance::ZERO)
        .await?;
    if let Some(e) = refusal(&dry.outcome) {
        return Err(Error::Rejected {
            call: name,
            error: e.clone(),
        });
    }
    let report = client
        .send(
            pair,
            call,
            TxOptions {
                wait: Wait::Finalized,
                ..TxOptions::default()
            },
        )
        .await?;
    let inc = report.inclusion.ok_or_else(|| Error::Node {
        message: format!("the node did not report the block of {name}"),
        hint: Some("query the transaction later with `author_getTransaction`".into()),
    })?;
    if let Some(e) = inc.receipt.as_ref().and_then(|r| refusal(&r.outcome)) {
        return Err(Error::Rejected {
            call: name,
            error: e.clone(),
        });
    }
    Ok(inc)
}
