//! Dry runs: what a call would cost and do, without applying it. The call runs exactly as in a
//! block (nonce, fee, then the call in an overlay) over a throw-away overlay; no signature is
//! needed, so clients can ask before signing.

use types::{AccountId, TaoBalance};

use crate::call::Call;
use crate::error::Result;
use crate::events::Event;
use crate::runtime::{TxOutcome, apply_checked};
use crate::state::{BlockEnv, State};
use crate::store::{Overlay, StateStore};
use crate::transaction::Transaction;

/// What a call would do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DryRunReport {
    /// The fee it would pay (without tip).
    pub fee: TaoBalance,
    /// Applied, failed (with the error) or invalid (with the reason).
    pub outcome: TxOutcome,
    /// The events it would emit.
    pub events: Vec<Event>,
}

/// Runs `call` for `signer` at the signer's current nonce over `store`, changing nothing.
pub fn dry_run(
    store: &dyn StateStore,
    env: &BlockEnv,
    signer: &AccountId,
    call: Call,
    tip: TaoBalance,
) -> Result<DryRunReport> {
    let mut overlay = Overlay::new(store);
    let nonce = State::new(&mut overlay, env.clone()).account(signer)?.nonce;
    // The signature is not checked here; its size still counts toward the length fee.
    let tx = Transaction {
        signer: *signer,
        nonce,
        tip,
        call,
        signature: [0; 64],
    };
    let receipt = apply_checked(&mut overlay, env, &tx)?;
    drop(overlay);
    Ok(DryRunReport {
        fee: receipt.fee,
        outcome: receipt.outcome,
        events: receipt.events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ChainError;
    use crate::testing::*;

    #[test]
    fn dry_run_reports_without_changing_state() {
        let mut t = TestChain::new();
        let (a, b) = (acct(1), acct(2));
        t.fund(&a, 10_000_000);
        let before = t.store.clone();
        let call = Call::TransferKeepAlive {
            dest: b,
            value: TaoBalance::from_rao(1_000_000),
        };
        let r = dry_run(&t.store, &t.env(), &a, call, TaoBalance::ZERO).unwrap();
        assert_eq!(r.outcome, TxOutcome::Applied);
        assert!(r.fee.rao() > 100_000);
        assert!(r.events.iter().any(|e| matches!(e, Event::Transfer { .. })));
        assert_eq!(t.store, before);
        let too_much = Call::TransferKeepAlive {
            dest: b,
            value: TaoBalance::from_rao(9_999_000),
        };
        let r = dry_run(&t.store, &t.env(), &a, too_much, TaoBalance::ZERO).unwrap();
        assert!(matches!(
            r.outcome,
            TxOutcome::Failed(
                ChainError::ExistentialDeposit | ChainError::InsufficientBalance { .. }
            )
        ));
    }
}
