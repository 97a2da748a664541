//! Applying blocks: the per-block hooks first, then each transaction in order. A transaction
//! is checked (signature, nonce, fee), its fee and nonce are committed, and its call runs in
//! its own overlay: on failure the call's changes and events are discarded, so a rejected call
//! changes nothing but the fee (and the nonce).
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, TaoBalance};

pub use crate::dispatch::dispatch;
use crate::error::{ChainError, Result, overflow};
use crate::events::Event;
use crate::state::{BlockEnv, State};
use crate::store::{ChangeSet, Overlay, StateStore};
use crate::transaction::{ChainId, Transaction};
use crate::{balances, coinbase, fees};

/// What happened to a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub enum TxOutcome {
    /// The call succeeded.
    Applied,
    /// The call failed; the fee was charged and the nonce used.
    Failed(ChainError),
    /// The transaction was not valid (signature, nonce, fee): nothing changed.
    Invalid(ChainError),
}

/// One transaction's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// Blake2-256 of the encoded transaction.
    pub tx_hash: [u8; 32],
    /// The signer.
    pub signer: AccountId,
    /// Fee charged (without tip).
    pub fee: TaoBalance,
    /// Tip charged.
    pub tip: TaoBalance,
    /// Set when the fee and tip were paid by selling stake: (subnet, alpha sold).
    pub fee_in_alpha: Option<(types::NetUid, types::AlphaBalance)>,
    /// Outcome.
    pub outcome: TxOutcome,
    /// Events of the call (empty unless applied), then the fee event.
    pub events: Vec<Event>,
}

/// The result of applying a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOutcome {
    /// Every state change of the block, to write atomically.
    pub changes: ChangeSet,
    /// Events of the per-block hooks (emission, epochs, scheduled swaps).
    pub hook_events: Vec<Event>,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
}

/// Applies a block over `store` without modifying it; the caller commits `changes`.
/// Signatures are checked here, one by one (sr25519 verification is most of the cost of a
/// block of transfers); a node that already checked them can use [`apply_block_prechecked`].
pub fn apply_block(
    store: &dyn StateStore,
    chain: &ChainId,
    env: &BlockEnv,
    transactions: &[Transaction],
) -> Result<BlockOutcome> {
    let valid = verify_signatures(chain, transactions);
    apply_block_prechecked(store, env, transactions, &valid)
}

/// Whether each transaction's signature verifies on `chain` (parallelisable by the caller).
pub fn verify_signatures(chain: &ChainId, transactions: &[Transaction]) -> Vec<bool> {
    transactions.iter().map(|tx| tx.verify(chain)).collect()
}

/// [`apply_block`] with signature results computed by the caller (`signature_ok[i]` for
/// `transactions[i]`; a missing entry counts as a bad signature). The caller is responsible for
/// having verified them with [`Transaction::verify`] against this chain.
pub fn apply_block_prechecked(
    store: &dyn StateStore,
    env: &BlockEnv,
    transactions: &[Transaction],
    signature_ok: &[bool],
) -> Result<BlockOutcome> {
    crate::storage::ensure_version(store)?;
    let mut overlay = Overlay::new(store);
    let hook_events = {
        let mut st = State::new(&mut overlay, env.clone());
        coinbase::on_initialize(&mut st)?;
        st.take_events()
    };
    let mut receipts = Vec::with_capacity(transactions.len());
    for (i, tx) in transactions.iter().enumerate() {
        let receipt = if signature_ok.get(i).copied().unwrap_or(false) {
            apply_checked(&mut overlay, env, tx)?
        } else {
            invalid_receipt(tx, ChainError::BadSignature)
        };
        receipts.push(receipt);
    }
    Ok(BlockOutcome {
        changes: overlay.into_changes(),
        hook_events,
        receipts,
    })
}

fn invalid_receipt(tx: &Transaction, error: ChainError) -> Receipt {
    Receipt {
        tx_hash: tx.hash(),
        signer: tx.signer,
        fee: TaoBalance::ZERO,
        tip: TaoBalance::ZERO,
        fee_in_alpha: None,
        outcome: TxOutcome::Invalid(error),
        events: Vec::new(),
    }
}

/// What the node's transaction pool needs to know about a transaction it may accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validity {
    /// The fee (without tip).
    pub fee: TaoBalance,
    /// The signer's next nonce now; the transaction's nonce is this or later.
    pub account_nonce: u64,
    /// Whether it can be included now (its nonce is the account's next); otherwise it waits
    /// for the earlier nonces.
    pub ready: bool,
    /// Priority for ordering: the tip, then lower nonces first.
    pub priority: u64,
}

/// Checks a transaction at the door of the pool: signature, nonce not already used, and the
/// fee payable from the current state (for a future nonce: from the current balance). Does not
/// run the call.
pub fn validate_transaction(
    store: &dyn StateStore,
    chain: &ChainId,
    env: &BlockEnv,
    tx: &Transaction,
) -> Result<Validity, ChainError> {
    if !tx.verify(chain) {
        return Err(ChainError::BadSignature);
    }
    let fee = transaction_fee(tx);
    let mut ov = Overlay::new(store);
    let st = State::new(&mut ov, env.clone());
    let acc = st.account(&tx.signer)?;
    if tx.nonce < acc.nonce {
        return Err(ChainError::StaleNonce {
            expected: acc.nonce,
            got: tx.nonce,
        });
    }
    if let Some(swap) = crate::swap_keys::scheduled_swap(&st, &tx.signer)? {
        return Err(ChainError::ColdkeySwapScheduled(swap.execute_at));
    }
    let total = fee.checked_add(tx.tip).ok_or_else(|| overflow("fee"))?;
    if acc.free < total && fees::alpha_fee_source(&tx.call).is_none() {
        return Err(ChainError::CannotPayFee { fee: total.rao() });
    }
    // Free calls (weights, serving, takes) would cost a spammer nothing when they fail, so they
    // enter the pool only if they would succeed now (the reference checks them at the door too).
    if !fees::pays_fee(&tx.call) && tx.nonce == acc.nonce {
        drop(st);
        let mut trial = Overlay::new(&ov);
        let mut st = State::new(&mut trial, env.clone());
        dispatch(&mut st, &tx.signer, &tx.call)?;
    }
    Ok(Validity {
        fee,
        account_nonce: acc.nonce,
        ready: tx.nonce == acc.nonce,
        priority: tx.tip.rao(),
    })
}

/// The fee a transaction pays (without tip).
pub fn transaction_fee(tx: &Transaction) -> TaoBalance {
    fees::fee(&tx.call, tx.encoded_size())
}

/// How a transaction paid.
struct Payment {
    /// TAO collected for the author.
    collected: TaoBalance,
    /// Stake sold to pay, if any.
    alpha: Option<(types::NetUid, types::AlphaBalance)>,
}

/// Checks nonce, fee and coldkey freeze; on success charges fee and tip (in TAO, or for
/// unstake-type calls by selling stake) and bumps the nonce.
fn pre_dispatch(st: &mut State<'_>, tx: &Transaction, fee: TaoBalance) -> Result<Payment> {
    let mut acc = st.account(&tx.signer)?;
    if tx.nonce < acc.nonce {
        return Err(ChainError::StaleNonce {
            expected: acc.nonce,
            got: tx.nonce,
        });
    }
    if tx.nonce > acc.nonce {
        return Err(ChainError::FutureNonce {
            expected: acc.nonce,
            got: tx.nonce,
        });
    }
    if let Some(swap) = crate::swap_keys::scheduled_swap(st, &tx.signer)? {
        return Err(ChainError::ColdkeySwapScheduled(swap.execute_at));
    }
    let total = fee.checked_add(tx.tip).ok_or_else(|| overflow("fee"))?;
    if acc.free < total {
        let sold = match fees::alpha_fee_source(&tx.call) {
            Some((hotkey, netuid)) => {
                crate::staking::sell_stake_for_fee(st, &tx.signer, &hotkey, netuid, total)?
            }
            None => None,
        };
        let Some((netuid, alpha, raised)) = sold else {
            return Err(ChainError::CannotPayFee { fee: total.rao() });
        };
        acc.nonce = acc.nonce.checked_add(1).ok_or_else(|| overflow("nonce"))?;
        st.put_account(&tx.signer, &acc)?;
        return Ok(Payment {
            collected: raised,
            alpha: Some((netuid, alpha)),
        });
    }
    acc.free = acc.free.saturating_sub(total);
    acc.nonce = acc.nonce.checked_add(1).ok_or_else(|| overflow("nonce"))?;
    // A fee that leaves dust empties the account; the nonce is kept so it cannot be replayed.
    if !acc.free.is_zero() && acc.free < balances::EXISTENTIAL_DEPOSIT {
        let dust = acc.free;
        acc.free = TaoBalance::ZERO;
        balances::recycle(st, dust)?;
    }
    st.put_account(&tx.signer, &acc)?;
    Ok(Payment {
        collected: total,
        alpha: None,
    })
}

/// Applies one transaction whose signature was already checked.
pub fn apply_checked(
    store: &mut dyn StateStore,
    env: &BlockEnv,
    tx: &Transaction,
) -> Result<Receipt> {
    let fee = transaction_fee(tx);
    // 1. validity and payment, committed even if the call fails
    let mut pay = Overlay::new(store);
    let payment = {
        let mut st = State::new(&mut pay, env.clone());
        match pre_dispatch(&mut st, tx, fee) {
            Ok(p) => p,
            Err(e @ (ChainError::Storage(_) | ChainError::Corrupt(_))) => return Err(e),
            Err(e) => return Ok(invalid_receipt(tx, e)),
        }
    };
    pay.into_changes().apply_to(store)?;
    // 2. the call, in its own overlay
    let mut call_overlay = Overlay::new(store);
    let result = {
        let mut st = State::new(&mut call_overlay, env.clone());
        dispatch(&mut st, &tx.signer, &tx.call).map(|()| st.take_events())
    };
    let (outcome, mut events) = match result {
        Ok(events) => {
            call_overlay.into_changes().apply_to(store)?;
            (TxOutcome::Applied, events)
        }
        Err(e @ (ChainError::Storage(_) | ChainError::Corrupt(_))) => return Err(e),
        Err(e) => (TxOutcome::Failed(e), Vec::new()),
    };
    // 3. fee and tip to the author
    let mut st = State::new(store, env.clone());
    balances::pay_author(&mut st, payment.collected)?;
    events.push(match &outcome {
        TxOutcome::Failed(error) => Event::ExtrinsicFailed {
            who: tx.signer,
            fee,
            tip: tx.tip,
            error: error.clone(),
        },
        _ => Event::ExtrinsicSuccess {
            who: tx.signer,
            fee,
            tip: tx.tip,
        },
    });
    Ok(Receipt {
        tx_hash: tx.hash(),
        signer: tx.signer,
        fee,
        tip: tx.tip,
        fee_in_alpha: payment.alpha,
        outcome,
        events,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::call::Call;
    use crate::genesis::{GenesisConfig, Preset, chain_id};
    use crate::testing::acct;
    use types::RAO_PER_TAO;

    fn setup() -> (crate::store::MemoryStore, ChainId, keys::Keypair, BlockEnv) {
        let store = GenesisConfig::dev(Preset::Fast).unwrap().build().unwrap();
        let id = chain_id(&store);
        let alice = keys::Keypair::from_uri("//Alice").unwrap();
        (
            store,
            id,
            alice,
            BlockEnv {
                number: 1,
                author: Some(acct(250)),
            },
        )
    }

    fn free(store: &dyn StateStore, who: &AccountId) -> u64 {
        let mut ov = Overlay::new(store);
        State::new(&mut ov, BlockEnv::default())
            .account(who)
            .unwrap()
            .free
            .rao()
    }

    #[test]
    fn fees_and_tips_go_to_the_author_even_when_the_call_fails() {
        let (store, id, alice, env) = setup();
        let ok = Transaction::sign(
            &alice,
            0,
            TaoBalance::from_rao(7),
            Call::TransferKeepAlive {
                dest: acct(9),
                value: TaoBalance::from_rao(RAO_PER_TAO),
            },
            &id,
        );
        let failing = Transaction::sign(
            &alice,
            1,
            TaoBalance::ZERO,
            Call::StartCall {
                netuid: types::NetUid(77),
            },
            &id,
        );
        let out = apply_block(&store, &id, &env, &[ok.clone(), failing.clone()]).unwrap();
        assert_eq!(out.receipts[0].outcome, TxOutcome::Applied);
        assert_eq!(
            out.receipts[1].outcome,
            TxOutcome::Failed(ChainError::SubnetNotExists(types::NetUid(77)))
        );
        let mut after = store.clone();
        out.changes.apply_to(&mut after).unwrap();
        let fees = transaction_fee(&ok).rao() + 7 + transaction_fee(&failing).rao();
        assert_eq!(free(&after, &acct(250)), fees);
        assert_eq!(free(&after, &acct(9)), RAO_PER_TAO);
        let alice_id = alice.account_id();
        assert_eq!(
            free(&store, &alice_id) - free(&after, &alice_id),
            RAO_PER_TAO + fees
        );
    }

    #[test]
    fn bad_signatures_and_replays_are_invalid_and_change_nothing() {
        let (store, id, alice, env) = setup();
        let call = Call::TransferKeepAlive {
            dest: acct(9),
            value: TaoBalance::from_rao(RAO_PER_TAO),
        };
        let tx = Transaction::sign(&alice, 0, TaoBalance::ZERO, call.clone(), &id);
        let mut forged = tx.clone();
        forged.call = Call::TransferKeepAlive {
            dest: acct(8),
            value: TaoBalance::from_rao(RAO_PER_TAO),
        };
        let other_chain = ChainId {
            genesis_hash: [1; 32],
            ..id
        };
        let wrong_chain = Transaction::sign(&alice, 0, TaoBalance::ZERO, call, &other_chain);
        let out = apply_block(&store, &id, &env, &[forged, wrong_chain, tx.clone(), tx]).unwrap();
        let outcomes: Vec<_> = out.receipts.iter().map(|r| r.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            vec![
                TxOutcome::Invalid(ChainError::BadSignature),
                TxOutcome::Invalid(ChainError::BadSignature),
                TxOutcome::Applied,
                TxOutcome::Invalid(ChainError::StaleNonce {
                    expected: 1,
                    got: 0
                }),
            ]
        );
    }

    #[test]
    fn unstaking_without_free_tao_pays_the_fee_in_alpha() {
        let mut t =
            crate::testing::TestChain::with_subnet(1_000 * RAO_PER_TAO, 1_000 * RAO_PER_TAO);
        let (ck, hk) = (acct(1), acct(2));
        t.fund(&ck, 10 * RAO_PER_TAO);
        t.with(|st| {
            crate::hotkeys::ensure_hotkey(st, &ck, &hk)?;
            crate::staking::add_stake(
                st,
                &ck,
                &hk,
                crate::testing::NET,
                TaoBalance::from_rao(10 * RAO_PER_TAO),
                None,
            )
            .map(|_| ())
        })
        .unwrap();
        assert_eq!(t.free(&ck), 0);
        let stake = t.read(|st| crate::shares::stake_of(st, &hk, crate::testing::NET, &ck));
        let half = types::AlphaBalance::from_rao(stake.rao() / 2);
        let tx = Transaction {
            signer: ck,
            nonce: 0,
            tip: TaoBalance::ZERO,
            call: Call::RemoveStake {
                hotkey: hk,
                netuid: crate::testing::NET,
                amount_unstaked: half,
            },
            signature: [0; 64],
        };
        let env = t.env();
        let author_before = t.free(&acct(250));
        let r = apply_checked(&mut t.store, &env, &tx).unwrap();
        assert_eq!(r.outcome, TxOutcome::Applied);
        let (netuid, sold) = r.fee_in_alpha.unwrap();
        assert_eq!(netuid, crate::testing::NET);
        assert!(sold.rao() > 0 && sold.rao() < RAO_PER_TAO / 1_000);
        assert!(t.free(&acct(250)) - author_before >= r.fee.rao());
        // A transfer cannot pay that way.
        let tx = Transaction {
            signer: acct(7),
            nonce: 0,
            tip: TaoBalance::ZERO,
            call: Call::TransferAllowDeath {
                dest: ck,
                value: TaoBalance::from_rao(1),
            },
            signature: [0; 64],
        };
        let r = apply_checked(&mut t.store, &env, &tx).unwrap();
        assert!(matches!(
            r.outcome,
            TxOutcome::Invalid(ChainError::CannotPayFee { .. })
        ));
        t.assert_conservation();
    }

    #[test]
    fn pool_validation() {
        let (store, id, alice, env) = setup();
        let call = Call::TransferKeepAlive {
            dest: acct(9),
            value: TaoBalance::from_rao(RAO_PER_TAO),
        };
        let now = Transaction::sign(&alice, 0, TaoBalance::from_rao(5), call.clone(), &id);
        let v = validate_transaction(&store, &id, &env, &now).unwrap();
        assert!(v.ready);
        assert_eq!((v.account_nonce, v.priority), (0, 5));
        let later = Transaction::sign(&alice, 3, TaoBalance::ZERO, call.clone(), &id);
        assert!(
            !validate_transaction(&store, &id, &env, &later)
                .unwrap()
                .ready
        );
        let mut forged = now.clone();
        forged.tip = TaoBalance::ZERO;
        assert_eq!(
            validate_transaction(&store, &id, &env, &forged),
            Err(ChainError::BadSignature)
        );
        // a free call that would fail is refused at the door
        let weights = Call::SetWeights {
            netuid: types::NetUid(1),
            dests: vec![0],
            weights: vec![1],
            version_key: 0,
        };
        let spam = Transaction::sign(&alice, 0, TaoBalance::ZERO, weights, &id);
        assert_eq!(
            validate_transaction(&store, &id, &env, &spam),
            Err(ChainError::HotKeyNotRegisteredInNetwork(types::NetUid(1)))
        );
        let poor = keys::Keypair::from_seed(&[42; 32]).unwrap();
        let broke = Transaction::sign(&poor, 0, TaoBalance::ZERO, call, &id);
        assert!(matches!(
            validate_transaction(&store, &id, &env, &broke),
            Err(ChainError::CannotPayFee { .. })
        ));
    }

    #[test]
    fn applying_a_block_is_deterministic() {
        let (store, id, alice, env) = setup();
        let txs: Vec<Transaction> = (0..20u64)
            .map(|n| {
                let call = Call::TransferAllowDeath {
                    dest: acct(u8::try_from(n % 5).unwrap() + 1),
                    value: TaoBalance::from_rao(RAO_PER_TAO + n),
                };
                Transaction::sign(&alice, n, TaoBalance::from_rao(n), call, &id)
            })
            .collect();
        let a = apply_block(&store, &id, &env, &txs).unwrap();
        let b = apply_block(&store.clone(), &id, &env, &txs).unwrap();
        assert_eq!(a, b);
        let mut s1 = store.clone();
        a.changes.apply_to(&mut s1).unwrap();
        let mut s2 = store.clone();
        b.changes.apply_to(&mut s2).unwrap();
        assert_eq!(
            crate::genesis::state_hash(&s1),
            crate::genesis::state_hash(&s2)
        );
    }

    #[test]
    fn blocks_run_hooks_and_mint_emission() {
        let (store, id, _, env) = setup();
        let out = apply_block(&store, &id, &env, &[]).unwrap();
        assert!(
            out.hook_events
                .iter()
                .any(|e| matches!(e, Event::BlockEmission { .. }))
        );
        let mut after = store.clone();
        out.changes.apply_to(&mut after).unwrap();
        let mut ov = Overlay::new(&after);
        let st = State::new(&mut ov, env);
        assert_eq!(crate::invariants::check(&st).unwrap(), None);
    }
}
