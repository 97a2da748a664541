//! The real state machine: `chain` behind the node's [`StateMachine`] boundary.
//!
//! Transactions are `chain::Transaction` in SCALE. Every signature is checked: at the door, and
//! in each block before `chain::runtime::apply_block_prechecked` (in parallel across threads),
//! except that a block skips transactions whose exact bytes this node already verified at the
//! door (blake2b-256 of the bytes; a bounded cache), so a proposer does not verify twice.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chain::runtime::{TxOutcome, apply_block_prechecked, transaction_fee};
use chain::store::{Overlay, StateStore, storage_error};
use chain::{BlockEnv, ChainError, ChainId, GenesisConfig, State, Transaction};
use parity_scale_codec::{DecodeAll, Encode};
use types::AccountId;

use crate::block::tx_hash;
use crate::state_machine::{
    BlockContext, ExecError, Executed, StateMachine, TxCheckError, TxMeta, TxResult,
};
use crate::store::{Changes, Entries, Hash32, StateRead};

/// A read-only `chain::StateStore` over the node's state view.
struct View<'a>(&'a dyn StateRead);

impl StateStore for View<'_> {
    fn get(&self, key: &[u8]) -> chain::error::Result<Option<Vec<u8>>> {
        self.0.get(key).map_err(storage_error)
    }
    fn put(&mut self, _key: &[u8], _value: Vec<u8>) -> chain::error::Result<()> {
        Err(storage_error("the node's state view is read-only"))
    }
    fn delete(&mut self, _key: &[u8]) -> chain::error::Result<()> {
        Err(storage_error("the node's state view is read-only"))
    }
    fn scan_prefix(&self, prefix: &[u8]) -> chain::error::Result<Entries> {
        self.0.scan_prefix(prefix).map_err(storage_error)
    }
}

fn machine_error(e: ChainError) -> ExecError {
    ExecError::Machine(e.to_string())
}

/// The chain state machine for one genesis.
#[derive(Debug, Clone)]
pub struct ChainMachine {
    genesis: GenesisConfig,
    chain_id: ChainId,
    /// Fee recipients by authority key; blocks by other authorities recycle fees.
    authors: BTreeMap<Hash32, AccountId>,
    /// Hashes of transactions whose signature verified at the door.
    verified: Arc<Mutex<VerifiedCache>>,
}

/// A bounded set of verified transaction hashes, oldest evicted first.
#[derive(Debug, Default)]
struct VerifiedCache {
    set: HashSet<Hash32>,
    order: VecDeque<Hash32>,
}

const VERIFIED_CACHE: usize = 1 << 20;

impl VerifiedCache {
    fn insert(&mut self, hash: Hash32) {
        if self.set.insert(hash) {
            self.order.push_back(hash);
            while self.order.len() > VERIFIED_CACHE {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

impl ChainMachine {
    /// The machine for `genesis`.
    pub fn new(genesis: GenesisConfig) -> Result<Self, ExecError> {
        let store = genesis.build().map_err(machine_error)?;
        let chain_id = chain::genesis::chain_id(&store);
        Ok(Self {
            genesis,
            chain_id,
            authors: BTreeMap::new(),
            verified: Arc::new(Mutex::new(VerifiedCache::default())),
        })
    }

    /// Pays the fees and tips of blocks proposed by `authority` to `account`.
    pub fn with_author(mut self, authority: Hash32, account: AccountId) -> Self {
        self.authors.insert(authority, account);
        self
    }

    /// What signatures bind to (genesis hash and spec version).
    pub fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    /// An account as `chain` stores it.
    pub fn account_info(
        &self,
        state: &dyn StateRead,
        id: &AccountId,
    ) -> Result<chain::schema::AccountInfo, ExecError> {
        let view = View(state);
        let mut overlay = Overlay::new(&view);
        let st = State::new(
            &mut overlay,
            BlockEnv {
                number: 0,
                author: None,
            },
        );
        st.account(id).map_err(machine_error)
    }

    fn env(&self, ctx: &BlockContext) -> BlockEnv {
        BlockEnv {
            number: ctx.height,
            author: self.authors.get(&ctx.proposer).copied(),
        }
    }

    /// Verifies signatures on up to two threads (signature checks dominate block execution).
    fn verify_all(&self, txs: &[Transaction]) -> Vec<bool> {
        const PARALLEL_FROM: usize = 64;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if txs.len() < PARALLEL_FROM || threads < 2 {
            return chain::runtime::verify_signatures(&self.chain_id, txs);
        }
        let chunk = txs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = txs
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || chain::runtime::verify_signatures(&self.chain_id, part))
                })
                .collect();
            let mut out = Vec::with_capacity(txs.len());
            for h in handles {
                match h.join() {
                    Ok(v) => out.extend(v),
                    // A panicking verifier counts its transactions as unverified.
                    Err(_) => out.resize(out.len() + chunk, false),
                }
            }
            out.truncate(txs.len());
            out
        })
    }
}

impl StateMachine for ChainMachine {
    fn genesis(&self) -> Result<Changes, ExecError> {
        let store = self.genesis.build().map_err(machine_error)?;
        Ok(store
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect())
    }

    fn execute(
        &self,
        state: &dyn StateRead,
        block: &BlockContext,
        txs: &[Vec<u8>],
    ) -> Result<Executed, ExecError> {
        // Undecodable bytes cannot be applied; they get an invalid result and change nothing.
        let mut decoded = Vec::with_capacity(txs.len());
        let mut slots = Vec::with_capacity(txs.len());
        for bytes in txs {
            match Transaction::decode_all(&mut bytes.as_slice()) {
                Ok(tx) => {
                    slots.push(Some(decoded.len()));
                    decoded.push(tx);
                }
                Err(_) => slots.push(None),
            }
        }
        // Door-verified transactions need no second check; verify the rest.
        let known: Vec<bool> = {
            let cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            txs.iter()
                .zip(&slots)
                .filter(|(_, slot)| slot.is_some())
                .map(|(bytes, _)| cache.set.contains(&tx_hash(bytes)))
                .collect()
        };
        let unknown: Vec<Transaction> = decoded
            .iter()
            .zip(&known)
            .filter(|(_, k)| !**k)
            .map(|(tx, _)| tx.clone())
            .collect();
        let mut checked = self.verify_all(&unknown).into_iter();
        let valid: Vec<bool> = known
            .iter()
            .map(|k| *k || checked.next().unwrap_or(false))
            .collect();
        let view = View(state);
        let outcome = apply_block_prechecked(&view, &self.env(block), &decoded, &valid)
            .map_err(machine_error)?;
        let changes: Changes = outcome
            .changes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut results = Vec::with_capacity(txs.len());
        for (bytes, slot) in txs.iter().zip(slots) {
            let receipt = slot.and_then(|i| outcome.receipts.get(i));
            results.push(match receipt {
                Some(r) => TxResult {
                    hash: tx_hash(bytes),
                    valid: !matches!(r.outcome, TxOutcome::Invalid(_)),
                    receipt: r.encode(),
                },
                None => TxResult {
                    hash: tx_hash(bytes),
                    valid: false,
                    receipt: Vec::new(),
                },
            });
        }
        Ok(Executed { changes, results })
    }

    fn check_tx(&self, state: &dyn StateRead, bytes: &[u8]) -> Result<TxMeta, TxCheckError> {
        let tx = Transaction::decode_all(&mut &bytes[..])
            .map_err(|e| TxCheckError::Decode(e.to_string()))?;
        if !tx.verify(&self.chain_id) {
            return Err(TxCheckError::BadSignature);
        }
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tx_hash(bytes));
        let view = View(state);
        let mut overlay = Overlay::new(&view);
        let st = State::new(
            &mut overlay,
            BlockEnv {
                number: 0,
                author: None,
            },
        );
        let account = st
            .account(&tx.signer)
            .map_err(|e| TxCheckError::Invalid(e.to_string()))?;
        if tx.nonce < account.nonce {
            return Err(TxCheckError::StaleNonce {
                expected: account.nonce,
                got: tx.nonce,
            });
        }
        let fee = transaction_fee(&tx);
        let needed = u128::from(fee.rao()) + u128::from(tx.tip.rao());
        let available = u128::from(account.free.rao());
        // Only the next transaction must be affordable now; later nonces are rechecked in
        // their block.
        if tx.nonce == account.nonce && needed > available {
            return Err(TxCheckError::CannotPayFee { needed, available });
        }
        Ok(TxMeta {
            hash: tx_hash(bytes),
            sender: tx.signer.0,
            nonce: tx.nonce,
            tip: u128::from(tx.tip.rao()),
            fee: u128::from(fee.rao()),
        })
    }

    fn account_nonce(&self, state: &dyn StateRead, account: &Hash32) -> Result<u64, ExecError> {
        Ok(self.account_info(state, &AccountId(*account))?.nonce)
    }
}
