//! The persisted records: what one storage value holds. A few typed structs per domain instead
//! of hundreds of loose maps (see `storage.rs` for the keys). Changing any of these changes the
//! storage format: bump `storage::STORAGE_VERSION` and write a migration.
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use substrate_fixed::types::U64F64;
use types::{AccountId, AlphaBalance, BlockNumber, NetUid, TaoBalance};

use crate::hyperparams::Hyperparams;

/// A TAO account.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct AccountInfo {
    /// The next transaction nonce.
    pub nonce: u64,
    /// Free balance.
    pub free: TaoBalance,
}

/// Chain-wide counters that change every block.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct Totals {
    /// TAO issuance counter: raised by every mint, lowered by every recycle. Drives halvings.
    pub total_issuance: TaoBalance,
    /// TAO destroyed without lowering the issuance counter ("burned").
    pub burned: TaoBalance,
    /// The last block emission computed.
    pub block_emission: TaoBalance,
    /// The lock paid by the last network registration.
    pub network_last_lock: TaoBalance,
    /// The block of the last network registration (0 = never).
    pub network_last_lock_block: BlockNumber,
    /// Every network registration so far.
    pub networks_registered: u64,
}

/// How a subnet's pool prices its token.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub enum Mechanism {
    /// Price fixed at 1 (root): stake 1:1, no fees.
    Stable,
    /// Constant-product pool of TAO and alpha.
    #[default]
    Dynamic,
}

/// A subnet's pool reserves and outstanding alpha.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct Pool {
    /// TAO reserve (for root: the total root stake).
    pub tao: TaoBalance,
    /// Alpha reserve.
    pub alpha_in: AlphaBalance,
    /// Alpha outside the pool: stakes, pending emission, protocol-owned alpha.
    pub alpha_out: AlphaBalance,
    /// Alpha bought by the protocol's chain buys (part of `alpha_out`).
    pub protocol_alpha: AlphaBalance,
    /// Alpha burned: destroyed without lowering the subnet's alpha issuance (which drives its
    /// halvings), unlike recycled alpha.
    pub alpha_burned: AlphaBalance,
    /// All-time TAO volume.
    pub volume: u128,
    /// Swap fee, u16-normalised (33 ≈ 0.05%).
    pub fee_rate: u16,
}

impl Pool {
    /// The subnet's alpha issuance: reserve + outstanding + burned (drives its halvings).
    pub fn alpha_issuance(&self) -> u64 {
        self.alpha_in
            .rao()
            .saturating_add(self.alpha_out.rao())
            .saturating_add(self.alpha_burned.rao())
    }
}

/// Alpha accumulated since the last epoch, waiting to be paid out.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct PendingEmission {
    /// Miners' share.
    pub server: AlphaBalance,
    /// Validators' share (alpha dividends).
    pub validator: AlphaBalance,
    /// Root stakers' share (root dividends).
    pub root: AlphaBalance,
    /// The owner cut.
    pub owner: AlphaBalance,
}

impl PendingEmission {
    /// The sum of the pots.
    pub fn total(&self) -> AlphaBalance {
        self.server
            .saturating_add(self.validator)
            .saturating_add(self.root)
            .saturating_add(self.owner)
    }
}

/// A subnet's identity (set by its owner).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct SubnetIdentity {
    /// Display name.
    pub subnet_name: Vec<u8>,
    /// Source repository.
    pub github_repo: Vec<u8>,
    /// Contact.
    pub subnet_contact: Vec<u8>,
    /// Web site.
    pub subnet_url: Vec<u8>,
    /// Discord handle or link.
    pub discord: Vec<u8>,
    /// Description.
    pub description: Vec<u8>,
    /// Logo URL.
    pub logo_url: Vec<u8>,
    /// Anything else.
    pub additional: Vec<u8>,
}

/// Per-block emission figures of a subnet (for explorers).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct BlockEmission {
    /// TAO emission share this block.
    pub tao: TaoBalance,
    /// TAO injected into the pool.
    pub tao_in: TaoBalance,
    /// Alpha injected into the pool.
    pub alpha_in: AlphaBalance,
    /// Alpha minted outside the pool.
    pub alpha_out: AlphaBalance,
}

/// One subnet: registry data, hyperparameters, pool, emission state and epoch schedule.
#[derive(Debug, Clone, PartialEq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct Subnet {
    /// Its id.
    pub netuid: NetUid,
    /// Pool mechanism.
    pub mechanism: Mechanism,
    /// The owner's coldkey.
    pub owner: AccountId,
    /// The owner's hotkey (uid 0 at registration; never replaced).
    pub owner_hotkey: AccountId,
    /// Block of registration.
    pub registered_at: BlockNumber,
    /// TAO locked (paid) at registration.
    pub locked: TaoBalance,
    /// Hyperparameters.
    pub hp: Hyperparams,
    /// Pool reserves.
    pub pool: Pool,
    /// EMA of the spot price (TAO per alpha), capped at 1 before averaging.
    pub moving_price: U64F64,
    /// Number of neurons (uids 0..n).
    pub n: u16,
    /// Current registration price.
    pub burn: TaoBalance,
    /// Registrations in the current block.
    pub registrations_this_block: u16,
    /// Whether the alpha token trades (after start_call).
    pub subtoken_enabled: bool,
    /// Whether pool-side emission (TAO share) is on.
    pub emission_enabled: bool,
    /// First block of emission (set by start_call).
    pub first_emission_block: Option<BlockNumber>,
    /// Block of the last epoch.
    pub last_epoch_block: BlockNumber,
    /// A pending (owner-triggered or deferred) epoch block; 0 = none.
    pub pending_epoch_at: BlockNumber,
    /// Epochs run so far.
    pub epoch_index: u64,
    /// Blocks since the last epoch.
    pub blocks_since_last_step: u64,
    /// Alpha waiting for the next epoch.
    pub pending: PendingEmission,
    /// Fraction of the last epoch's miner emission withheld from owner hotkeys.
    pub miner_burned: U64F64,
    /// Identity.
    pub identity: Option<SubnetIdentity>,
    /// Last owner change of each rate-limited hyperparameter: (parameter tag, block).
    pub last_owner_change: Vec<(u8, BlockNumber)>,
    /// Emission figures of the last block.
    pub last_block_emission: BlockEmission,
    /// TAO paid for registrations, all time.
    pub recycled_for_registration: TaoBalance,
    /// Token symbol (UTF-8).
    pub symbol: Vec<u8>,
}

/// Where a neuron serves.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct AxonInfo {
    /// Block at which it was served.
    pub block: BlockNumber,
    /// Software version.
    pub version: u32,
    /// IP address (IPv4 in the low 32 bits).
    pub ip: u128,
    /// Port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
    /// Protocol tag.
    pub protocol: u8,
    /// Reserved.
    pub placeholder1: u8,
    /// Reserved.
    pub placeholder2: u8,
}

/// One uid of a subnet.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct Neuron {
    /// The hotkey holding this uid.
    pub hotkey: AccountId,
    /// Block of registration.
    pub registered_at: BlockNumber,
    /// Block of the last weights update.
    pub last_update: BlockNumber,
    /// Active in the last epoch.
    pub active: bool,
    /// Alpha emission of the last epoch.
    pub emission: AlphaBalance,
    /// Incentive (u16-normalised).
    pub incentive: u16,
    /// Dividends (u16-normalised).
    pub dividends: u16,
    /// Consensus (u16-normalised).
    pub consensus: u16,
    /// Validator trust (u16-normalised).
    pub validator_trust: u16,
    /// Stake weight (u16-normalised).
    pub stake_weight: u16,
    /// Validator permit.
    pub validator_permit: bool,
    /// Weights set by this neuron: (uid, weight), max-upscaled.
    pub weights: Vec<(u16, u16)>,
    /// Bonds held by this neuron: (uid, bond).
    pub bonds: Vec<(u16, u16)>,
    /// Served axon.
    pub axon: Option<AxonInfo>,
    /// Served Prometheus endpoint.
    pub prometheus: Option<PrometheusInfo>,
    /// TLS certificate of the axon: 1 algorithm byte + public key (≤ 64 bytes).
    pub certificate: Option<Vec<u8>>,
}

/// Where a neuron exposes Prometheus metrics.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct PrometheusInfo {
    /// Block at which it was served.
    pub block: BlockNumber,
    /// Software version.
    pub version: u32,
    /// IP address.
    pub ip: u128,
    /// Port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
}

impl Neuron {
    /// A freshly registered neuron.
    pub fn new(hotkey: AccountId, now: BlockNumber) -> Self {
        Self {
            hotkey,
            registered_at: now,
            last_update: now,
            active: true,
            emission: AlphaBalance::ZERO,
            incentive: 0,
            dividends: 0,
            consensus: 0,
            validator_trust: 0,
            stake_weight: 0,
            validator_permit: false,
            weights: Vec::new(),
            bonds: Vec::new(),
            axon: None,
            prometheus: None,
            certificate: None,
        }
    }
}

/// A hotkey: its owning coldkey, delegate take and where it is registered.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct HotkeyInfo {
    /// The coldkey that owns it.
    pub owner: AccountId,
    /// Delegate take (u16-normalised).
    pub take: u16,
    /// Block of the last take increase (0 = never).
    pub last_take_increase: BlockNumber,
    /// Subnets it holds a uid on.
    pub registered_on: Vec<NetUid>,
}

/// A coldkey swap waiting for its delay.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct ScheduledColdkeySwap {
    /// The new coldkey.
    pub new_coldkey: AccountId,
    /// The block at which it executes.
    pub execute_at: BlockNumber,
}

/// A coldkey's public identity (set_identity).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct ChainIdentity {
    /// Display name.
    pub name: Vec<u8>,
    /// Web site.
    pub url: Vec<u8>,
    /// Source repository.
    pub github_repo: Vec<u8>,
    /// Image URL.
    pub image: Vec<u8>,
    /// Discord handle.
    pub discord: Vec<u8>,
    /// Description.
    pub description: Vec<u8>,
    /// Anything else.
    pub additional: Vec<u8>,
}

/// What a root staker receives of its validators' root dividends (paid in subnet alpha).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub enum RootClaimType {
    /// Sell the alpha for TAO and add it to the root stake (the reference's default).
    #[default]
    Swap,
    /// Keep the alpha as stake on the subnet.
    Keep,
}

/// A coldkey's links: hotkeys it owns, hotkeys it stakes to, swap bookkeeping.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct ColdkeyInfo {
    /// Hotkeys it owns.
    pub owned_hotkeys: Vec<AccountId>,
    /// Hotkeys it has (or had) stake on.
    pub staking_hotkeys: Vec<AccountId>,
    /// Block of its last hotkey swap.
    pub last_hotkey_swap: Option<BlockNumber>,
    /// A scheduled coldkey swap.
    pub scheduled_swap: Option<ScheduledColdkeySwap>,
    /// Public identity.
    pub identity: Option<ChainIdentity>,
    /// How its root dividends are paid.
    pub root_claim: RootClaimType,
    /// Per subnet, the hotkey that receives its hotkeys' miner incentive
    /// (set_coldkey_auto_stake_hotkey).
    pub auto_stake: Vec<(NetUid, AccountId)>,
}

/// The share pool of one hotkey on one subnet: stakers own shares of `alpha`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct SharePool {
    /// Alpha held by the hotkey for all its stakers.
    pub alpha: AlphaBalance,
    /// Outstanding shares.
    pub shares: u128,
}

/// A weights commit waiting to be revealed.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct WeightCommit {
    /// Blake2-256 of the reveal's SCALE encoding.
    pub hash: [u8; 32],
    /// The subnet epoch index at commit time.
    pub epoch: u64,
    /// The block of the commit.
    pub block: BlockNumber,
}
