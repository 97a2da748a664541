//! JSON views the API returns. Chain records (`SubnetInfo`, `NeuronInfo`, `Receipt`, `Event`,
//! ...) are serialised as the chain crate defines them; hashes are `0x` hex; accounts SS58;
//! balances integers in rao.

use std::fmt;
use std::str::FromStr;

use chain::queries::{NeuronInfo, SubnetInfo};
use chain::{Event, Receipt, TxOutcome};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use types::{AlphaBalance, NetUid, TaoBalance};

/// A 32-byte hash, `0x` hex in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl FromStr for Hash {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bytes = decode_hex(s)?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a hash is 32 bytes (64 hex characters)".to_string())?;
        Ok(Hash(arr))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Decodes hex with an optional `0x` prefix.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let t = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(t).map_err(|e| format!("not hex: {e}"))
}

/// `0x` hex of bytes.
pub fn encode_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A block by height or by hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockId {
    /// Height.
    Height(u64),
    /// Hash.
    Hash(Hash),
}

/// What signatures bind to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainIdView {
    /// Hash of the genesis state (signed into every transaction).
    pub genesis_hash: Hash,
    /// Runtime spec version (signed into every transaction).
    pub spec_version: u32,
    /// Hash of block 0.
    pub genesis_block: Hash,
}

impl ChainIdView {
    /// The chain's signing id.
    pub fn chain_id(&self) -> chain::ChainId {
        chain::ChainId {
            genesis_hash: self.genesis_hash.0,
            spec_version: self.spec_version,
        }
    }
}

/// Node health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthView {
    /// Best height.
    pub best: u64,
    /// Finalized height.
    pub finalized: u64,
    /// Pooled transactions.
    pub pending: usize,
    /// Why the node stopped, if it did.
    pub halted: Option<String>,
}

/// A block reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRefView {
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: Hash,
    /// State root after the block.
    pub state_root: Hash,
    /// Timestamp (ms since the Unix epoch).
    pub timestamp_ms: u64,
}

/// Height and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeightHash {
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: Hash,
}

/// The chain heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadView {
    /// Best block (may still be replaced).
    pub best: HeightHash,
    /// Finalized block.
    pub finalized: HeightHash,
    /// State root of the finalized state.
    pub state_root: Hash,
}

/// One transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtrinsicView {
    /// Its hash.
    pub hash: Hash,
    /// Call name, if it decodes.
    pub call: Option<String>,
    /// Signer, if it decodes.
    pub signer: Option<types::AccountId>,
    /// Its receipt, if indexed.
    pub receipt: Option<Receipt>,
}

/// A finalized block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: Hash,
    /// Parent hash.
    pub parent: Hash,
    /// State root after it.
    pub state_root: Hash,
    /// Transaction root.
    pub tx_root: Hash,
    /// Timestamp (ms).
    pub timestamp_ms: u64,
    /// Proposer (ed25519 authority key).
    pub proposer: Hash,
    /// Transactions in order.
    pub extrinsics: Vec<ExtrinsicView>,
}

/// The events of one finalized block's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockEventsView {
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: Hash,
    /// (transaction hash, event) in order.
    pub events: Vec<(Hash, Event)>,
}

/// Where a transaction landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInclusion {
    /// Block height.
    pub height: u64,
    /// Block hash, if known.
    pub block_hash: Option<Hash>,
    /// Index in the block.
    pub index: u32,
    /// The receipt (outcome, fee, events).
    pub receipt: Option<Receipt>,
}

/// A watched transaction's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum TxStatus {
    /// Checked and pooled.
    Ready {
        /// Transaction hash.
        hash: Hash,
    },
    /// In a block.
    InBlock(TxInclusion),
    /// In a finalized block (final).
    Finalized(TxInclusion),
    /// Not included in time (final).
    Dropped {
        /// Why.
        reason: String,
    },
}

/// One transaction's result in `author_submitExtrinsics`: its hash, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResult {
    /// The transaction hash, when pooled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    /// Why it was refused (the same code, message and hint `author_submitExtrinsic` gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
}

/// A JSON-RPC error as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    /// The error code (`docs/rpc.md`).
    pub code: i32,
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl From<&crate::RpcError> for ErrorView {
    fn from(e: &crate::RpcError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            hint: e.hint().to_string(),
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// SS58 address.
    pub address: types::AccountId,
    /// Free balance (rao).
    pub free: TaoBalance,
    /// Nonce in the finalized state.
    pub nonce: u64,
    /// Next nonce to sign (pooled transactions counted).
    pub next_nonce: u64,
}

/// A subnet's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    /// The subnet.
    pub netuid: NetUid,
    /// TAO reserve.
    pub tao_in: TaoBalance,
    /// Alpha reserve.
    pub alpha_in: AlphaBalance,
    /// Alpha outstanding.
    pub alpha_out: AlphaBalance,
    /// Spot price (rao per alpha).
    pub price_rao: u64,
    /// Moving price (rao per alpha).
    pub moving_price_rao: u64,
}

impl From<&SubnetInfo> for PoolView {
    fn from(s: &SubnetInfo) -> Self {
        Self {
            netuid: s.netuid,
            tao_in: s.tao_in,
            alpha_in: s.alpha_in,
            alpha_out: s.alpha_out,
            price_rao: s.price_rao,
            moving_price_rao: s.moving_price_rao,
        }
    }
}

/// A simulated swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapView {
    /// Amount out (rao of the other token).
    pub amount_out: u64,
    /// Fee (rao of the input token).
    pub fee: u64,
}

/// A metagraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetagraphView {
    /// The subnet.
    pub netuid: NetUid,
    /// Finalized height it was read at.
    pub block: u64,
    /// Subnet-level fields (pool, emission, hyperparameters, owner, identity).
    pub subnet: SubnetInfo,
    /// Every neuron, in uid order.
    pub neurons: Vec<NeuronInfo>,
}

/// A subnet's price before and after a dry-run call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceImpact {
    /// The subnet.
    pub netuid: NetUid,
    /// Spot price before (rao per alpha).
    pub price_before_rao: u64,
    /// Spot price after (rao per alpha).
    pub price_after_rao: u64,
    /// Change in basis points (signed).
    pub change_bps: i64,
}

impl PriceImpact {
    /// The impact between two prices.
    pub fn new(netuid: NetUid, before: u64, after: u64) -> Self {
        let change_bps = if before == 0 {
            0
        } else {
            let d = i128::from(after) - i128::from(before);
            i64::try_from(d * 10_000 / i128::from(before)).unwrap_or(i64::MAX)
        };
        Self {
            netuid,
            price_before_rao: before,
            price_after_rao: after,
            change_bps,
        }
    }
}

/// What a call would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunView {
    /// The fee (without tip).
    pub fee: TaoBalance,
    /// The tip.
    pub tip: TaoBalance,
    /// Applied, failed or invalid.
    pub outcome: TxOutcome,
    /// For a failed or invalid outcome: the error's explanation.
    pub explanation: Option<String>,
    /// And what to do about it.
    pub hint: Option<String>,
    /// The events it would emit.
    pub events: Vec<Event>,
    /// Subnets whose spot price it would move.
    pub price_impact: Vec<PriceImpact>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_block_ids_in_json() {
        let h = Hash([0xab; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"0x{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<Hash>("\"0x12\"").is_err());
        assert_eq!(
            serde_json::from_str::<BlockId>("7").unwrap(),
            BlockId::Height(7)
        );
        assert_eq!(
            serde_json::from_str::<BlockId>(&json).unwrap(),
            BlockId::Hash(h)
        );
    }

    #[test]
    fn tx_status_is_tagged() {
        let s = TxStatus::Ready {
            hash: Hash([1; 32]),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"status\":\"ready\""), "{json}");
        assert_eq!(serde_json::from_str::<TxStatus>(&json).unwrap(), s);
    }

    #[test]
    fn price_impact_in_bps() {
        assert_eq!(PriceImpact::new(NetUid(1), 1000, 1010).change_bps, 100);
        assert_eq!(PriceImpact::new(NetUid(1), 1000, 990).change_bps, -100);
        assert_eq!(PriceImpact::new(NetUid(1), 0, 990).change_bps, 0);
    }
}
