//! A tiny stand-in state machine for tests and benchmarks: ed25519-signed transfers between
//! accounts, with nonces, a flat fee and tips paid to the block's proposer. Every signature is
//! checked on execution, as the real chain does.

use commonware_codec::{Copying, DecodeExt};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use crate::block::tx_hash;
use crate::state_machine::{
    BlockContext, ExecError, Executed, StateMachine, TxCheckError, TxMeta, TxResult,
};
use crate::store::{Changes, Hash32, StateRead};

/// Signature namespace of demo transactions.
pub const NAMESPACE: &[u8] = b"rustensor-demo-transfer";
/// Flat fee per transaction.
pub const FEE: u64 = 1;
const HEIGHT_KEY: &[u8] = b"height";

/// A signed transfer.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Transfer {
    /// Sender (ed25519 public key).
    pub from: Hash32,
    /// Sender nonce.
    pub nonce: u64,
    /// Tip to the proposer.
    pub tip: u64,
    /// Recipient.
    pub to: Hash32,
    /// Amount.
    pub amount: u64,
    /// ed25519 signature over the other fields.
    pub signature: Vec<u8>,
}

impl Transfer {
    fn payload(&self) -> Vec<u8> {
        Encode::encode(&(self.from, self.nonce, self.tip, self.to, self.amount))
    }

    /// Builds and signs a transfer; returns its SCALE bytes.
    pub fn signed(
        key: &ed25519::PrivateKey,
        nonce: u64,
        tip: u64,
        to: Hash32,
        amount: u64,
    ) -> Vec<u8> {
        let mut tx = Self {
            from: account_of(key),
            nonce,
            tip,
            to,
            amount,
            signature: Vec::new(),
        };
        tx.signature =
            commonware_codec::Encode::encode(&key.sign(NAMESPACE, &tx.payload())).to_vec();
        Encode::encode(&tx)
    }

    fn verify(&self) -> bool {
        let Ok(pk) = ed25519::PublicKey::decode(Copying(self.from.as_slice())) else {
            return false;
        };
        let Ok(sig) = ed25519::Signature::decode(Copying(self.signature.as_slice())) else {
            return false;
        };
        pk.verify(NAMESPACE, &self.payload(), &sig)
    }
}

fn verify_parallel(txs: &[Option<Transfer>]) -> Vec<bool> {
    let check = |part: &[Option<Transfer>]| -> Vec<bool> {
        part.iter()
            .map(|t| t.as_ref().is_some_and(Transfer::verify))
            .collect()
    };
    if txs.len() < 64 {
        return check(txs);
    }
    let (a, b) = txs.split_at(txs.len() / 2);
    std::thread::scope(|s| {
        let left = s.spawn(|| check(a));
        let mut right = check(b);
        let mut out = left.join().unwrap_or_else(|_| vec![false; a.len()]);
        out.append(&mut right);
        out
    })
}

/// The account id of a key (its public key bytes).
pub fn account_of(key: &ed25519::PrivateKey) -> Hash32 {
    let mut id = [0u8; 32];
    id.copy_from_slice(key.public_key().as_ref());
    id
}

/// An account record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Account {
    /// Free balance.
    pub balance: u64,
    /// Next nonce.
    pub nonce: u64,
}

fn account_key(id: &Hash32) -> Vec<u8> {
    let mut k = b"acct/".to_vec();
    k.extend_from_slice(id);
    k
}

/// Reads an account.
pub fn account(state: &dyn StateRead, id: &Hash32) -> Result<Account, ExecError> {
    match state.get(&account_key(id))? {
        Some(bytes) => Account::decode_all(&mut bytes.as_slice())
            .map_err(|e| ExecError::Machine(format!("corrupt account: {e}"))),
        None => Ok(Account::default()),
    }
}

/// The demo state machine: genesis endows `endowed` accounts with `amount` each.
#[derive(Debug, Clone, Default)]
pub struct Transfers {
    /// Genesis accounts.
    pub endowed: Vec<Hash32>,
    /// Genesis balance of each.
    pub amount: u64,
}

impl Transfers {
    /// Endows the keys derived from seeds `0..n`.
    pub fn with_seeds(n: u64, amount: u64) -> Self {
        Self {
            endowed: (0..n)
                .map(|s| account_of(&ed25519::PrivateKey::from_seed(s)))
                .collect(),
            amount,
        }
    }
}

/// Reads through pending writes.
struct Scratch<'a> {
    base: &'a dyn StateRead,
    changes: Changes,
}

impl Scratch<'_> {
    fn account(&self, id: &Hash32) -> Result<Account, ExecError> {
        match self.changes.get(&account_key(id)) {
            Some(Some(bytes)) => Account::decode_all(&mut bytes.as_slice())
                .map_err(|e| ExecError::Machine(format!("corrupt account: {e}"))),
            Some(None) => Ok(Account::default()),
            None => account(self.base, id),
        }
    }

    fn put(&mut self, id: &Hash32, a: Account) {
        self.changes
            .insert(account_key(id), Some(Encode::encode(&a)));
    }
}

impl StateMachine for Transfers {
    fn genesis(&self) -> Result<Changes, ExecError> {
        let mut c = Changes::new();
        for id in &self.endowed {
            let a = Account {
                balance: self.amount,
                nonce: 0,
            };
            c.insert(account_key(id), Some(Encode::encode(&a)));
        }
        c.insert(HEIGHT_KEY.to_vec(), Some(Encode::encode(&0u64)));
        Ok(c)
    }

    fn execute(
        &self,
        state: &dyn StateRead,
        block: &BlockContext,
        txs: &[Vec<u8>],
    ) -> Result<Executed, ExecError> {
        let mut s = Scratch {
            base: state,
            changes: Changes::new(),
        };
        s.changes
            .insert(HEIGHT_KEY.to_vec(), Some(Encode::encode(&block.height)));
        // Signatures first, on two threads; then the transfers in order.
        let decoded: Vec<Option<Transfer>> = txs
            .iter()
            .map(|b| Transfer::decode_all(&mut b.as_slice()).ok())
            .collect();
        let verified = verify_parallel(&decoded);
        let mut results = Vec::with_capacity(txs.len());
        for ((bytes, tx), sig_ok) in txs.iter().zip(decoded).zip(verified) {
            let hash = tx_hash(bytes);
            let Some(tx) = tx else {
                results.push(TxResult {
                    hash,
                    valid: false,
                    receipt: b"undecodable".to_vec(),
                });
                continue;
            };
            let mut from = s.account(&tx.from)?;
            let cost = FEE.saturating_add(tx.tip);
            if !sig_ok || tx.nonce != from.nonce || from.balance < cost {
                results.push(TxResult {
                    hash,
                    valid: false,
                    receipt: b"invalid".to_vec(),
                });
                continue;
            }
            from.nonce = from.nonce.saturating_add(1);
            from.balance -= cost;
            let ok = from.balance >= tx.amount;
            if ok {
                from.balance -= tx.amount;
            }
            s.put(&tx.from, from);
            if ok {
                let mut to = s.account(&tx.to)?;
                to.balance = to.balance.saturating_add(tx.amount);
                s.put(&tx.to, to);
            }
            let mut author = s.account(&block.proposer)?;
            author.balance = author.balance.saturating_add(cost);
            s.put(&block.proposer, author);
            let receipt: &[u8] = if ok {
                b"ok"
            } else {
                b"failed: insufficient balance"
            };
            results.push(TxResult {
                hash,
                valid: true,
                receipt: receipt.to_vec(),
            });
        }
        Ok(Executed {
            changes: s.changes,
            results,
        })
    }

    fn check_tx(&self, state: &dyn StateRead, bytes: &[u8]) -> Result<TxMeta, TxCheckError> {
        let tx = Transfer::decode_all(&mut &bytes[..])
            .map_err(|e| TxCheckError::Decode(e.to_string()))?;
        if !tx.verify() {
            return Err(TxCheckError::BadSignature);
        }
        let from = account(state, &tx.from).map_err(|e| TxCheckError::Invalid(e.to_string()))?;
        if tx.nonce < from.nonce {
            return Err(TxCheckError::StaleNonce {
                expected: from.nonce,
                got: tx.nonce,
            });
        }
        let cost = FEE.saturating_add(tx.tip);
        if from.balance < cost {
            return Err(TxCheckError::CannotPayFee {
                needed: u128::from(cost),
                available: u128::from(from.balance),
            });
        }
        Ok(TxMeta {
            hash: tx_hash(bytes),
            sender: tx.from,
            nonce: tx.nonce,
            tip: u128::from(tx.tip),
            fee: u128::from(FEE),
        })
    }

    fn account_nonce(&self, state: &dyn StateRead, id: &Hash32) -> Result<u64, ExecError> {
        Ok(account(state, id)?.nonce)
    }
}
