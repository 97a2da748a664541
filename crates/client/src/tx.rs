//! The transaction builder: nonce from the node, tip, signing over the chain id, submission,
//! and waiting for inclusion or finality.

use chain::{Call, Transaction};
use keys::Keypair;
use parity_scale_codec::Encode;
use rpc::RustensorApiClient;
use rpc::views::{DryRunView, Hash, TxInclusion, TxStatus, encode_hex};
use types::TaoBalance;

use crate::{Client, ClientError};

/// How long to wait after submitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Return once pooled.
    Ready,
    /// Until it is in a block.
    InBlock,
    /// Until its block is finalized.
    #[default]
    Finalized,
}

/// Transaction options.
#[derive(Debug, Clone, Copy, Default)]
pub struct TxOptions {
    /// Tip to the block author.
    pub tip: TaoBalance,
    /// Nonce; the node's next nonce when `None`.
    pub nonce: Option<u64>,
    /// What to wait for.
    pub wait: Wait,
}

/// A sent transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxReport {
    /// Its hash.
    pub hash: Hash,
    /// Where it landed (absent with [`Wait::Ready`]).
    pub inclusion: Option<TxInclusion>,
}

impl Client {
    /// Signs `call` for `pair` with the node's nonce (unless given) and the chain id.
    pub async fn sign(
        &self,
        pair: &Keypair,
        call: Call,
        opts: &TxOptions,
    ) -> Result<Transaction, ClientError> {
        let chain = self.chain_id().await?.chain_id();
        let nonce = match opts.nonce {
            Some(n) => n,
            None => {
                let who = pair.account_id();
                self.call(|c| async move { c.account_next_index(who).await })
                    .await?
            }
        };
        Ok(Transaction::sign(pair, nonce, opts.tip, call, &chain))
    }

    /// What `call` would do if `pair` sent it now.
    pub async fn dry_run(
        &self,
        signer: &types::AccountId,
        call: &Call,
        tip: TaoBalance,
    ) -> Result<DryRunView, ClientError> {
        let hex = encode_hex(&call.encode());
        let who = *signer;
        self.call(|c| {
            let hex = hex.clone();
            async move { c.dry_run(who, hex, Some(tip.rao())).await }
        })
        .await
    }

    /// Submits a signed transaction and waits as asked.
    pub async fn submit(&self, tx: &Transaction, wait: Wait) -> Result<TxReport, ClientError> {
        let hex = encode_hex(&tx.encode());
        if wait == Wait::Ready {
            let hash = self
                .call(|c| {
                    let hex = hex.clone();
                    async move { c.submit_extrinsic(hex).await }
                })
                .await?;
            return Ok(TxReport {
                hash,
                inclusion: None,
            });
        }
        let rpc = self.rpc().await?;
        let mut sub = rpc.submit_and_watch_extrinsic(hex).await?;
        let mut hash = Hash(tx.hash());
        while let Some(item) = sub.next().await {
            let status = item.map_err(|e| ClientError::Transport(e.to_string()))?;
            match status {
                TxStatus::Ready { hash: h } => hash = h,
                TxStatus::InBlock(inc) if wait == Wait::InBlock => {
                    return Ok(TxReport {
                        hash,
                        inclusion: Some(inc),
                    });
                }
                TxStatus::InBlock(_) => {}
                TxStatus::Finalized(inc) => {
                    return Ok(TxReport {
                        hash,
                        inclusion: Some(inc),
                    });
                }
                TxStatus::Dropped { reason } => return Err(ClientError::Dropped(reason)),
            }
        }
        Err(ClientError::WatchEnded)
    }

    /// Signs, submits and waits.
    pub async fn send(
        &self,
        pair: &Keypair,
        call: Call,
        opts: TxOptions,
    ) -> Result<TxReport, ClientError> {
        let tx = self.sign(pair, call, &opts).await?;
        self.submit(&tx, opts.wait).await
    }
}
