//! Read-only views for RPC, CLI and explorers (the reference's runtime APIs in brief): subnet
//! and pool info, neurons (the metagraph), stake by coldkey, delegates, lock cost, and swap
//! simulations. Each takes the store and the current block and changes nothing.

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, AlphaBalance, BlockNumber, NetUid, TaoBalance, Uid};

use crate::error::Result;
use crate::hyperparams::Hyperparams;
use crate::pool;
use crate::schema::{AccountInfo, AxonInfo, BlockEmission, PendingEmission, SubnetIdentity};
use crate::state::{BlockEnv, State};
use crate::storage::{Coldkeys, Hotkeys};
use crate::store::{Overlay, StateStore};
use crate::{hotkeys, shares};
use crate::{registration, staking, subnets};

fn view<T>(
    store: &dyn StateStore,
    block: BlockNumber,
    f: impl FnOnce(&State<'_>) -> Result<T>,
) -> Result<T> {
    let mut ov = Overlay::new(store);
    let st = State::new(
        &mut ov,
        BlockEnv {
            number: block,
            author: None,
        },
    );
    f(&st)
}

/// A subnet with its pool ("dynamic info" and hyperparameters).
#[derive(Debug, Clone, PartialEq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct SubnetInfo {
    /// Its id.
    pub netuid: NetUid,
    /// Owner coldkey.
    pub owner: AccountId,
    /// Owner hotkey.
    pub owner_hotkey: AccountId,
    /// Registration block.
    pub registered_at: BlockNumber,
    /// Neurons.
    pub n: u16,
    /// Registration price.
    pub burn: TaoBalance,
    /// TAO reserve.
    pub tao_in: TaoBalance,
    /// Alpha reserve.
    pub alpha_in: AlphaBalance,
    /// Alpha outstanding.
    pub alpha_out: AlphaBalance,
    /// Spot price in rao per alpha.
    pub price_rao: u64,
    /// Moving price (EMA) in rao per alpha.
    pub moving_price_rao: u64,
    /// Last block's emission figures.
    pub emission: BlockEmission,
    /// Alpha pending for the next epoch.
    pub pending: PendingEmission,
    /// Trading and emission started.
    pub started: bool,
    /// Epochs so far.
    pub epoch_index: u64,
    /// Block of the last epoch.
    pub last_epoch_block: BlockNumber,
    /// Block of the next epoch (by tempo).
    pub next_epoch_block: BlockNumber,
    /// Identity.
    pub identity: Option<SubnetIdentity>,
    /// Token symbol (UTF-8).
    pub symbol: Vec<u8>,
    /// Hyperparameters.
    pub hyperparams: Hyperparams,
}

/// One neuron as the metagraph shows it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct NeuronInfo {
    /// Uid.
    pub uid: Uid,
    /// Hotkey.
    pub hotkey: AccountId,
    /// Owning coldkey.
    pub coldkey: AccountId,
    /// Alpha staked on the hotkey on this subnet.
    pub alpha_stake: AlphaBalance,
    /// Root stake of the hotkey.
    pub root_stake: TaoBalance,
    /// Active.
    pub active: bool,
    /// Validator permit.
    pub validator_permit: bool,
    /// Last epoch's emission.
    pub emission: AlphaBalance,
    /// Incentive (u16).
    pub incentive: u16,
    /// Consensus (u16).
    pub consensus: u16,
    /// Dividends (u16).
    pub dividends: u16,
    /// Validator trust (u16).
    pub validator_trust: u16,
    /// Last weights update.
    pub last_update: BlockNumber,
    /// Registration block.
    pub registered_at: BlockNumber,
    /// Axon.
    pub axon: Option<AxonInfo>,
    /// Prometheus endpoint.
    pub prometheus: Option<crate::schema::PrometheusInfo>,
    /// Weights set.
    pub weights: Vec<(u16, u16)>,
    /// Bonds.
    pub bonds: Vec<(u16, u16)>,
}

/// One stake position of a coldkey.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct StakeInfo {
    /// Hotkey.
    pub hotkey: AccountId,
    /// Subnet.
    pub netuid: NetUid,
    /// Alpha held.
    pub alpha: AlphaBalance,
    /// Its TAO value at the spot price.
    pub tao_value: TaoBalance,
}

/// An account's balance and nonce.
pub fn account(store: &dyn StateStore, who: &AccountId) -> Result<AccountInfo> {
    view(store, 0, |st| st.account(who))
}

/// All subnets.
pub fn subnets(store: &dyn StateStore, block: BlockNumber) -> Result<Vec<SubnetInfo>> {
    view(store, block, |st| {
        Ok(st.subnets()?.into_iter().map(subnet_info).collect())
    })
}

/// One subnet.
pub fn subnet(store: &dyn StateStore, netuid: NetUid) -> Result<SubnetInfo> {
    view(store, 0, |st| st.subnet(netuid).map(subnet_info))
}

fn subnet_info(s: crate::schema::Subnet) -> SubnetInfo {
    let price_rao = pool::spot_price_rao(s.mechanism, &s.pool);
    let moving_price_rao = s
        .moving_price
        .saturating_mul_int(types::RAO_PER_TAO.into())
        .saturating_to_num::<u64>();
    SubnetInfo {
        netuid: s.netuid,
        owner: s.owner,
        owner_hotkey: s.owner_hotkey,
        registered_at: s.registered_at,
        n: s.n,
        burn: s.burn,
        tao_in: s.pool.tao,
        alpha_in: s.pool.alpha_in,
        alpha_out: s.pool.alpha_out,
        price_rao,
        moving_price_rao,
        emission: s.last_block_emission,
        pending: s.pending,
        started: s.first_emission_block.is_some(),
        epoch_index: s.epoch_index,
        last_epoch_block: s.last_epoch_block,
        next_epoch_block: s.last_epoch_block.saturating_add(u64::from(s.hp.tempo)),
        identity: s.identity,
        symbol: s.symbol,
        hyperparams: s.hp,
    }
}

/// The metagraph's neurons of a subnet, in uid order.
pub fn neurons(store: &dyn StateStore, netuid: NetUid) -> Result<Vec<NeuronInfo>> {
    view(store, 0, |st| {
        let mut out = Vec::new();
        for (i, nr) in registration::neurons(st, netuid)?.into_iter().enumerate() {
            let coldkey = hotkeys::hotkey(st, &nr.hotkey)?.owner;
            out.push(NeuronInfo {
                uid: Uid(u16::try_from(i).unwrap_or(u16::MAX)),
                alpha_stake: shares::hotkey_alpha(st, &nr.hotkey, netuid)?,
                root_stake: TaoBalance::from_rao(
                    shares::hotkey_alpha(st, &nr.hotkey, NetUid::ROOT)?.rao(),
                ),
                coldkey,
                hotkey: nr.hotkey,
                active: nr.active,
                validator_permit: nr.validator_permit,
                emission: nr.emission,
                incentive: nr.incentive,
                consensus: nr.consensus,
                dividends: nr.dividends,
                validator_trust: nr.validator_trust,
                last_update: nr.last_update,
                registered_at: nr.registered_at,
                axon: nr.axon,
                prometheus: nr.prometheus,
                weights: nr.weights,
                bonds: nr.bonds,
            });
        }
        Ok(out)
    })
}

/// Every stake position of a coldkey.
pub fn stake_for_coldkey(store: &dyn StateStore, coldkey: &AccountId) -> Result<Vec<StakeInfo>> {
    view(store, 0, |st| {
        let ck = st.get_or_default::<Coldkeys>(coldkey)?;
        let mut out = Vec::new();
        for s in st.subnets()? {
            for hk in &ck.staking_hotkeys {
                let alpha = shares::stake_of(st, hk, s.netuid, coldkey)?;
                if !alpha.is_zero() {
                    out.push(StakeInfo {
                        hotkey: *hk,
                        netuid: s.netuid,
                        alpha,
                        tao_value: staking::tao_value(&s, alpha),
                    });
                }
            }
        }
        Ok(out)
    })
}

/// A delegate: hotkey, owner, take and stake per subnet.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct DelegateInfo {
    /// Hotkey.
    pub hotkey: AccountId,
    /// Owner coldkey.
    pub owner: AccountId,
    /// Take (u16).
    pub take: u16,
    /// Subnets it is registered on.
    pub registered_on: Vec<NetUid>,
    /// (subnet, total alpha) it holds for its stakers.
    pub stake: Vec<(NetUid, AlphaBalance)>,
}

/// A hotkey as a delegate.
pub fn delegate(store: &dyn StateStore, hotkey: &AccountId) -> Result<Option<DelegateInfo>> {
    view(store, 0, |st| {
        let Some(info) = st.get::<Hotkeys>(hotkey)? else {
            return Ok(None);
        };
        let mut stake = Vec::new();
        for s in st.subnets()? {
            let a = shares::hotkey_alpha(st, hotkey, s.netuid)?;
            if !a.is_zero() {
                stake.push((s.netuid, a));
            }
        }
        Ok(Some(DelegateInfo {
            hotkey: *hotkey,
            owner: info.owner,
            take: info.take,
            registered_on: info.registered_on,
            stake,
        }))
    })
}

/// The current network registration (lock) cost.
pub fn network_lock_cost(store: &dyn StateStore, block: BlockNumber) -> Result<TaoBalance> {
    view(store, block, subnets::lock_cost)
}

/// Simulates staking `tao` into `netuid`: (alpha out, TAO fee).
pub fn sim_swap_tao_for_alpha(
    store: &dyn StateStore,
    netuid: NetUid,
    tao: TaoBalance,
) -> Result<(AlphaBalance, TaoBalance)> {
    view(store, 0, |st| {
        let s = st.subnet(netuid)?;
        let q = pool::quote_buy(s.mechanism, &s.pool, tao.rao(), false)?;
        Ok((
            AlphaBalance::from_rao(q.amount_out),
            TaoBalance::from_rao(q.fee),
        ))
    })
}

/// Simulates unstaking `alpha` from `netuid`: (TAO out, alpha fee).
pub fn sim_swap_alpha_for_tao(
    store: &dyn StateStore,
    netuid: NetUid,
    alpha: AlphaBalance,
) -> Result<(TaoBalance, AlphaBalance)> {
    view(store, 0, |st| {
        let s = st.subnet(netuid)?;
        let q = pool::quote_sell(s.mechanism, &s.pool, alpha.rao(), false)?;
        Ok((
            TaoBalance::from_rao(q.amount_out),
            AlphaBalance::from_rao(q.fee),
        ))
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::genesis::{GenesisConfig, Preset, dev_account};

    #[test]
    fn views_of_dev_genesis() {
        let store = GenesisConfig::dev(Preset::Fast).unwrap().build().unwrap();
        let all = subnets(&store, 0).unwrap();
        assert_eq!(
            all.iter().map(|s| s.netuid.0).collect::<Vec<_>>(),
            vec![0, 1]
        );
        let s1 = subnet(&store, NetUid(1)).unwrap();
        assert_eq!(s1.price_rao, types::RAO_PER_TAO);
        assert_eq!(s1.moving_price_rao, types::RAO_PER_TAO);
        let ns = neurons(&store, NetUid(1)).unwrap();
        assert_eq!(ns.len(), 1);
        assert_eq!(ns[0].coldkey, dev_account("Alice").unwrap());
        let alice = dev_account("Alice").unwrap();
        let stakes = stake_for_coldkey(&store, &alice).unwrap();
        assert_eq!(stakes.len(), 1);
        assert_eq!(stakes[0].netuid, NetUid::ROOT);
        let d = delegate(&store, &ns[0].hotkey).unwrap().unwrap();
        assert_eq!(d.take, 11_796);
        let (alpha, fee) =
            sim_swap_tao_for_alpha(&store, NetUid(1), TaoBalance::from_rao(types::RAO_PER_TAO))
                .unwrap();
        assert!(alpha.rao() > 0 && fee.rao() > 0);
        assert_eq!(
            network_lock_cost(&store, 0).unwrap().rao(),
            100 * types::RAO_PER_TAO
        );
        assert!(account(&store, &alice).unwrap().free.rao() > 0);
    }

    #[test]
    fn views_serialise_to_json_for_rpc() {
        let store = GenesisConfig::dev(Preset::Fast).unwrap().build().unwrap();
        let s1 = subnet(&store, NetUid(1)).unwrap();
        let json = serde_json::to_string(&s1).unwrap();
        assert!(json.contains("\"netuid\":1"), "{json}");
        let back: SubnetInfo = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s1);
        let ns = neurons(&store, NetUid(1)).unwrap();
        // accounts appear as SS58 addresses
        let alice = dev_account("Alice").unwrap().to_string();
        assert!(serde_json::to_string(&ns).unwrap().contains(&alice));
    }
}
