//! Signed transactions: the signer, a nonce, a tip and a call, with an sr25519 signature over
//! (SCALE(call), nonce, tip, genesis hash, spec version) so a transaction cannot be replayed on
//! another chain or runtime. As in Substrate, payloads longer than 256 bytes are hashed with
//! Blake2-256 before signing.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use parity_scale_codec::{Decode, Encode};
use types::{AccountId, TaoBalance};

use crate::call::Call;

/// The runtime's spec version (signed into every transaction).
pub const SPEC_VERSION: u32 = 1;

/// What a signature binds a transaction to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct ChainId {
    /// Hash of the genesis state.
    pub genesis_hash: [u8; 32],
    /// Runtime spec version.
    pub spec_version: u32,
}

/// A signed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Transaction {
    /// Who signs and pays.
    pub signer: AccountId,
    /// The signer's next nonce.
    pub nonce: u64,
    /// Extra fee for the block author.
    pub tip: TaoBalance,
    /// What to do.
    pub call: Call,
    /// sr25519 signature over [`Transaction::signing_payload`].
    pub signature: [u8; 64],
}

/// Blake2-256.
pub fn blake2_256(data: &[u8]) -> [u8; 32] {
    let mut h = Blake2b::<U32>::new();
    h.update(data);
    h.finalize().into()
}

impl Transaction {
    /// The bytes the signer signs.
    pub fn signing_payload(call: &Call, nonce: u64, tip: TaoBalance, chain: &ChainId) -> Vec<u8> {
        let mut payload = call.encode();
        nonce.encode_to(&mut payload);
        tip.encode_to(&mut payload);
        chain.genesis_hash.encode_to(&mut payload);
        chain.spec_version.encode_to(&mut payload);
        if payload.len() > 256 {
            blake2_256(&payload).to_vec()
        } else {
            payload
        }
    }

    /// Builds and signs a transaction.
    pub fn sign(
        pair: &keys::Keypair,
        nonce: u64,
        tip: TaoBalance,
        call: Call,
        chain: &ChainId,
    ) -> Self {
        let signature = pair.sign(&Self::signing_payload(&call, nonce, tip, chain));
        Self {
            signer: pair.account_id(),
            nonce,
            tip,
            call,
            signature,
        }
    }

    /// Whether the signature is the signer's over this transaction on `chain`.
    pub fn verify(&self, chain: &ChainId) -> bool {
        let payload = Self::signing_payload(&self.call, self.nonce, self.tip, chain);
        keys::verify_exact(self.signer.as_bytes(), &payload, &self.signature)
    }

    /// Decodes a transaction from exactly `bytes` (no trailing bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::error::ChainError> {
        use parity_scale_codec::DecodeAll;
        Self::decode_all(&mut &bytes[..])
            .map_err(|_| crate::error::ChainError::UndecodableTransaction)
    }

    /// Blake2-256 of the encoded transaction.
    pub fn hash(&self) -> [u8; 32] {
        blake2_256(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> ChainId {
        ChainId {
            genesis_hash: [7; 32],
            spec_version: SPEC_VERSION,
        }
    }

    #[test]
    fn sign_and_verify() {
        let alice = keys::Keypair::from_uri("//Alice").unwrap();
        let bob = keys::Keypair::from_uri("//Bob").unwrap();
        let call = Call::TransferKeepAlive {
            dest: bob.account_id(),
            value: TaoBalance::from_rao(1_000),
        };
        let tx = Transaction::sign(&alice, 0, TaoBalance::ZERO, call, &chain());
        assert!(tx.verify(&chain()));
        // another chain or spec version
        assert!(!tx.verify(&ChainId {
            genesis_hash: [8; 32],
            ..chain()
        }));
        assert!(!tx.verify(&ChainId {
            spec_version: 2,
            ..chain()
        }));
        // tampered fields
        let mut t2 = tx.clone();
        t2.nonce = 1;
        assert!(!t2.verify(&chain()));
        let mut t3 = tx.clone();
        t3.signer = bob.account_id();
        assert!(!t3.verify(&chain()));
        // round trip
        let mut bytes = tx.encode();
        assert_eq!(Transaction::from_bytes(&bytes).unwrap(), tx);
        bytes.push(0);
        assert!(Transaction::from_bytes(&bytes).is_err());
        assert!(Transaction::from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn long_payloads_are_hashed() {
        let call = Call::SetWeights {
            netuid: types::NetUid(1),
            dests: (0..200).collect(),
            weights: vec![1; 200],
            version_key: 0,
        };
        assert_eq!(
            Transaction::signing_payload(&call, 0, TaoBalance::ZERO, &chain()).len(),
            32
        );
    }
}
