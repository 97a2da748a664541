//! Blocks: a header (parent, height, timestamp, proposer, state root, transactions root) and the
//! SCALE-encoded transactions, with the commonware traits marshal and simplex need.
//!
//! The block hash is blake2b-256 of the SCALE header. The header commits to the transactions
//! through `tx_root` (a binary merkle tree of blake2b-256 transaction hashes), and decoding
//! rejects a body that does not match its root, so a decoded block is always self-consistent.

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{Heightable, types::Height};
use commonware_cryptography::{Digestible, sha256};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use crate::store::Hash32;

/// The digest type consensus orders: a block hash (blake2b-256, carried in commonware's 32-byte
/// digest container).
pub type Digest = sha256::Digest;

/// Blake2b-256.
pub fn blake2_256(data: &[u8]) -> Hash32 {
    use blake2::Digest as _;
    let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
    h.update(data);
    h.finalize().into()
}

/// A block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Header {
    /// Hash of the parent block (zero for genesis).
    pub parent: Hash32,
    /// Height (0 = genesis).
    pub height: u64,
    /// Proposal time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The proposing authority's ed25519 public key (zero for genesis).
    pub proposer: Hash32,
    /// State root after applying this block.
    pub state_root: Hash32,
    /// Merkle root of the transaction hashes.
    pub tx_root: Hash32,
}

impl Header {
    /// blake2b-256 of the SCALE-encoded header.
    pub fn hash(&self) -> Hash32 {
        blake2_256(&self.encode())
    }
}

/// A block: header and SCALE-encoded transactions.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The transactions, each as the state machine encodes it.
    pub transactions: Vec<Vec<u8>>,
}

/// Limits applied when decoding a block from the network or disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLimits {
    /// Largest encoded block accepted, in bytes.
    pub max_block_bytes: u32,
}

impl Default for BlockLimits {
    fn default() -> Self {
        Self {
            max_block_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Block {
    /// The genesis block for a genesis state root.
    pub fn genesis(state_root: Hash32, timestamp_ms: u64) -> Self {
        Self {
            header: Header {
                parent: [0; 32],
                height: 0,
                timestamp_ms,
                proposer: [0; 32],
                state_root,
                tx_root: tx_root(&[]),
            },
            transactions: Vec::new(),
        }
    }

    /// The block hash.
    pub fn hash(&self) -> Hash32 {
        self.header.hash()
    }
}

/// Hash of one encoded transaction (blake2b-256).
pub fn tx_hash(tx: &[u8]) -> Hash32 {
    blake2_256(tx)
}

/// Binary merkle root of transaction hashes: pairs hash as blake2b-256(left ++ right), an odd
/// node is carried up unchanged, and no transactions give the zero hash.
pub fn tx_root(transactions: &[Vec<u8>]) -> Hash32 {
    let mut level: Vec<Hash32> = transactions.iter().map(|t| tx_hash(t)).collect();
    if level.is_empty() {
        return [0; 32];
    }
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            match pair {
                [l, r] => {
                    let mut buf = [0u8; 64];
                    buf[..32].copy_from_slice(l);
                    buf[32..].copy_from_slice(r);
                    next.push(blake2_256(&buf));
                }
                [single] => next.push(*single),
                _ => {}
            }
        }
        level = next;
    }
    level.first().copied().unwrap_or([0; 32])
}

impl Write for Block {
    fn write(&self, writer: &mut impl BufMut) {
        let bytes = self.encode();
        // Blocks above 4 GiB cannot be produced (limits are far lower), so the cast is exact.
        writer.put_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        writer.put_slice(&bytes);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        4 + self.encoded_size()
    }
}

impl Read for Block {
    type Cfg = BlockLimits;

    fn read_cfg(reader: &mut impl Buf, cfg: &Self::Cfg) -> Result<Self, CodecError> {
        if reader.remaining() < 4 {
            return Err(CodecError::EndOfBuffer);
        }
        let len = reader.get_u32();
        if len > cfg.max_block_bytes {
            return Err(CodecError::Invalid("Block", "too large"));
        }
        let len = len as usize;
        if reader.remaining() < len {
            return Err(CodecError::EndOfBuffer);
        }
        let mut bytes = vec![0u8; len];
        reader.copy_to_slice(&mut bytes);
        let block = Block::decode_all(&mut bytes.as_slice())
            .map_err(|_| CodecError::Invalid("Block", "bad SCALE encoding"))?;
        // SCALE is canonical for these types, but check anyway: marshal requires it.
        if block.encoded_size() != len {
            return Err(CodecError::Invalid("Block", "non-canonical encoding"));
        }
        if tx_root(&block.transactions) != block.header.tx_root {
            return Err(CodecError::Invalid(
                "Block",
                "transactions do not match tx_root",
            ));
        }
        Ok(block)
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        sha256::Digest(self.hash())
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.header.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        sha256::Digest(self.header.parent)
    }
}

impl commonware_consensus::BoundedBlock for Block {
    fn max_encode_size(cfg: &Self::Cfg) -> usize {
        4 + cfg.max_block_bytes as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Decode as _;

    fn enc(b: &Block) -> bytes::Bytes {
        commonware_codec::Encode::encode(b)
    }

    fn sample(txs: Vec<Vec<u8>>) -> Block {
        Block {
            header: Header {
                parent: [7; 32],
                height: 3,
                timestamp_ms: 1_700_000_000_000,
                proposer: [9; 32],
                state_root: [1; 32],
                tx_root: tx_root(&txs),
            },
            transactions: txs,
        }
    }

    #[test]
    fn codec_round_trips() {
        let b = sample(vec![vec![1, 2, 3], vec![4]]);
        let bytes = enc(&b);
        assert_eq!(bytes.len(), b.encode_size());
        let back = Block::decode_cfg(bytes, &BlockLimits::default()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.digest(), b.digest());
    }

    #[test]
    fn decode_rejects_body_not_matching_root() {
        let mut b = sample(vec![vec![1, 2, 3]]);
        b.transactions.push(vec![5]);
        let bytes = enc(&b);
        assert!(Block::decode_cfg(bytes, &BlockLimits::default()).is_err());
    }

    #[test]
    fn decode_rejects_oversized_and_trailing() {
        let b = sample(vec![vec![0; 100]]);
        let bytes = enc(&b);
        let small = BlockLimits {
            max_block_bytes: 50,
        };
        assert!(Block::decode_cfg(bytes.clone(), &small).is_err());
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(Block::decode_cfg(bytes::Bytes::from(extra), &BlockLimits::default()).is_err());
    }

    #[test]
    fn tx_root_shapes() {
        assert_eq!(tx_root(&[]), [0; 32]);
        let a = vec![1u8];
        let b = vec![2u8];
        let c = vec![3u8];
        assert_eq!(tx_root(std::slice::from_ref(&a)), tx_hash(&a));
        let ab = {
            let mut buf = tx_hash(&a).to_vec();
            buf.extend_from_slice(&tx_hash(&b));
            blake2_256(&buf)
        };
        assert_eq!(tx_root(&[a.clone(), b.clone()]), ab);
        let abc = {
            let mut buf = ab.to_vec();
            buf.extend_from_slice(&tx_hash(&c));
            blake2_256(&buf)
        };
        assert_eq!(tx_root(&[a, b, c]), abc);
    }

    #[test]
    fn hash_covers_every_header_field() {
        let b = sample(vec![]);
        let mut h = b.header;
        h.timestamp_ms += 1;
        assert_ne!(h.hash(), b.hash());
        let mut h = b.header;
        h.state_root = [2; 32];
        assert_ne!(h.hash(), b.hash());
    }
}
