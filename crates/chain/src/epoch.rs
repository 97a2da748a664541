//! The epoch boundary: gather a subnet's inputs from state, run `yuma::epoch`, store its
//! outputs on the neurons, and pay the pending alpha out (chain.md §4.6): the owner cut,
//! incentive to miners' hotkeys (withheld from owner hotkeys), alpha dividends to validators
//! (take to the delegate's coldkey, the rest to its nominators' shares), root dividends
//! (take, then the rest to the validator's root nominators in alpha).

use substrate_fixed::types::U64F64;
use types::{AccountId, AlphaBalance, NetUid, TaoBalance, Uid};

use crate::error::Result;
use crate::events::Event;
use crate::pool;
use crate::registration::neurons;
use crate::schema::{Neuron, PendingEmission, Subnet};
use crate::shares;
use crate::state::State;
use crate::storage::{Hotkeys, Neurons};
use crate::weights;

fn fx(v: u64) -> U64F64 {
    U64F64::from_num(v)
}

/// Per-validator input of the dividend split: (dividend weight, alpha stake, root stake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DividendInput {
    /// Relative dividend weight (the epoch's validator emission).
    pub weight: u64,
    /// Alpha stake on the subnet.
    pub alpha: u64,
    /// Root (TAO) stake.
    pub root: u64,
}

/// Splits the validator pot and the root pot between validators (chain.md §4.6 step 5):
/// ρ = r·τw / (a + r·τw); alpha weight d·(1−ρ), root weight d·ρ; each pot pro rata.
/// With no root weight at all the root pot joins the alpha pot. Returns (alpha, root) each.
pub fn split_dividends(
    pot_val: u64,
    pot_root: u64,
    v: &[DividendInput],
    tao_weight: u64,
) -> Vec<(u64, u64)> {
    let zero = fx(0);
    let ws: Vec<(U64F64, U64F64)> = v
        .iter()
        .map(|x| {
            let rt = fx(pool::mul_div(x.root, tao_weight, u64::MAX).unwrap_or(0));
            let total = fx(x.alpha).saturating_add(rt);
            let rho = rt.checked_div(total).unwrap_or(zero);
            let d = fx(x.weight);
            let root_w = d.saturating_mul(rho);
            (d.saturating_sub(root_w), root_w)
        })
        .collect();
    let sum_a = ws.iter().fold(zero, |s, w| s.saturating_add(w.0));
    let sum_r = ws.iter().fold(zero, |s, w| s.saturating_add(w.1));
    let (pot_val, pot_root) = if sum_r == zero {
        (pot_val.saturating_add(pot_root), 0)
    } else {
        (pot_val, pot_root)
    };
    let part = |pot: u64, w: U64F64, sum: U64F64| -> u64 {
        w.checked_div(sum)
            .map(|f| f.saturating_mul(fx(pot)).saturating_to_num::<u64>())
            .unwrap_or(0)
    };
    ws.iter()
        .map(|(a, r)| (part(pot_val, *a, sum_a), part(pot_root, *r, sum_r)))
        .collect()
}

/// Totals of one epoch's payout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EpochTotals {
    /// Paid to miners.
    pub incentive: u64,
    /// Alpha dividends paid (takes included).
    pub dividends: u64,
    /// Root dividends paid (takes included).
    pub root_dividends: u64,
    /// Owner cut paid.
    pub owner_cut: u64,
    /// Withheld from owner hotkeys or lost to rounding (removed from alpha_out).
    pub burned: u64,
}

/// A miner hotkey's share of the server pot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinerPayout {
    /// The hotkey that earned the incentive.
    pub hotkey: AccountId,
    /// Its share of the server pot (alpha rao).
    pub alpha: u64,
    /// Where it was staked, as (hotkey, coldkey): the earning hotkey or the coldkey's
    /// auto-stake hotkey. `None` when withheld from a subnet owner's hotkey.
    pub staked_to: Option<(AccountId, AccountId)>,
}

/// What one root staker of a validator received of its root dividends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootStakerPayout {
    /// The root staker's coldkey.
    pub coldkey: AccountId,
    /// Its pro-rata part of the root dividends after the take (alpha rao).
    pub alpha: u64,
    /// Claim type "swap": the TAO the alpha sold for, added to its root stake. `None`: kept as
    /// alpha stake on the subnet.
    pub tao: Option<u64>,
}

/// What one dividend receiver (a validator hotkey, or a childkey's parent) was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorPayout {
    /// The hotkey.
    pub hotkey: AccountId,
    /// Its owner coldkey (receives the takes).
    pub owner: AccountId,
    /// Its share of the validator pot, take included.
    pub alpha_dividends: u64,
    /// The take of `alpha_dividends` staked to the owner; the rest went to its share pool.
    pub alpha_take: u64,
    /// Its share of the root pot, take included.
    pub root_dividends: u64,
    /// The take of `root_dividends`, staked in subnet alpha to the owner.
    pub root_take: u64,
    /// The rest of `root_dividends`, by root staker.
    pub root_stakers: Vec<RootStakerPayout>,
}

/// Everything one epoch paid: the totals (also in the `EpochRun` event) and who got what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochReport {
    /// The totals.
    pub totals: EpochTotals,
    /// Miner incentive, by hotkey (uid order).
    pub miners: Vec<MinerPayout>,
    /// Dividends, by receiving hotkey (key order).
    pub validators: Vec<ValidatorPayout>,
}

fn yuma_params(st: &State<'_>, s: &Subnet, owner_uid: Option<u16>) -> Result<yuma::EpochParams> {
    let p = st.params()?;
    Ok(yuma::EpochParams {
        kappa: s.hp.kappa,
        bonds_penalty: s.hp.bonds_penalty,
        bonds_moving_average: s.hp.bonds_moving_average,
        yuma3: s.hp.yuma3_enabled,
        liquid_alpha: yuma::LiquidAlphaParams {
            enabled: s.hp.liquid_alpha_enabled,
            alpha_low: s.hp.alpha_low,
            alpha_high: s.hp.alpha_high,
            steepness: s.hp.alpha_sigmoid_steepness,
        },
        max_allowed_validators: s.hp.max_allowed_validators,
        activity_cutoff: s.hp.activity_cutoff(),
        tempo: u64::from(s.hp.tempo),
        stake_threshold: p.stake_threshold,
        tao_weight: p.tao_weight,
        owner_uid,
        commit_reveal: s.hp.commit_reveal_enabled,
    })
}

/// An epoch's inputs, gathered from state: what `yuma::epoch` is called with, plus the
/// neurons whose outputs will be stored.
#[derive(Debug, Clone)]
pub struct PreparedEpoch {
    /// The subnet.
    pub netuid: NetUid,
    /// Its neurons by uid, as read at the epoch.
    pub neurons: Vec<Neuron>,
    /// Yuma's parameters (from the subnet's hyperparameters and chain parameters).
    pub params: yuma::EpochParams,
    /// Yuma's inputs; `rao_emission` is E_ep = server + validator + root pots.
    pub input: yuma::EpochInput,
    /// Stored bonds and permits.
    pub state: yuma::EpochState,
}

/// Gathers the epoch inputs of `netuid` for the drained `pots`.
pub fn prepare_epoch(
    st: &State<'_>,
    netuid: NetUid,
    pots: &PendingEmission,
    previous_epoch_block: u64,
) -> Result<PreparedEpoch> {
    let subnet = st.subnet(netuid)?;
    let nrs: Vec<Neuron> = neurons(st, netuid)?;
    let hotkeys: Vec<AccountId> = nrs.iter().map(|n| n.hotkey).collect();
    // Stake as Yuma sees it: own stake plus what parents lend, minus what is lent to children.
    let mut alpha_stake = Vec::with_capacity(nrs.len());
    let mut root_stake = Vec::with_capacity(nrs.len());
    for hk in &hotkeys {
        let (a, r) = crate::childkeys::inherited_stake(st, hk, netuid)?;
        alpha_stake.push(a);
        root_stake.push(r);
    }
    let owner_uid = nrs
        .iter()
        .position(|n| n.hotkey == subnet.owner_hotkey)
        .and_then(|u| u16::try_from(u).ok());
    let emission = pots
        .server
        .saturating_add(pots.validator)
        .saturating_add(pots.root);
    let input = yuma::EpochInput {
        n: subnet.n,
        current_block: st.block(),
        last_mechanism_step_block: previous_epoch_block,
        alpha_stake,
        tao_stake: root_stake,
        last_update: nrs.iter().map(|n| n.last_update).collect(),
        block_at_registration: nrs.iter().map(|n| n.registered_at).collect(),
        weights: nrs.iter().map(|n| n.weights.clone()).collect(),
        commit_blocks: if subnet.hp.commit_reveal_enabled {
            weights::commit_blocks(st, &subnet, &hotkeys)?
        } else {
            Vec::new()
        },
        rao_emission: emission.rao(),
    };
    let state = yuma::EpochState {
        bonds: nrs.iter().map(|n| n.bonds.clone()).collect(),
        validator_permits: nrs.iter().map(|n| n.validator_permit).collect(),
    };
    let params = yuma_params(st, &subnet, owner_uid)?;
    Ok(PreparedEpoch {
        netuid,
        neurons: nrs,
        params,
        input,
        state,
    })
}

/// Runs the epoch of `netuid` with the pots drained from its pending emission: gathers the
/// inputs, calls `yuma::epoch`, stores its outputs and pays the pots out.
pub fn run_epoch(
    st: &mut State<'_>,
    netuid: NetUid,
    pots: PendingEmission,
    previous_epoch_block: u64,
) -> Result<EpochReport> {
    let prepared = prepare_epoch(st, netuid, &pots, previous_epoch_block)?;
    match yuma::epoch(&prepared.params, &prepared.input, &prepared.state) {
        Ok(out) => pay_epoch(st, prepared, &pots, &out),
        Err(_) => {
            // Malformed inputs are a bug; keep the pots for the next epoch rather than lose them.
            let mut subnet = st.subnet(netuid)?;
            subnet.pending = pots;
            st.put_subnet(&subnet)?;
            Ok(EpochReport::default())
        }
    }
}

/// The part of an epoch after `yuma`: stores its outputs on the neurons, pays the pots out
/// (chain.md §4.6) and emits `EpochRun`.
pub fn pay_epoch(
    st: &mut State<'_>,
    prepared: PreparedEpoch,
    pots: &PendingEmission,
    out: &yuma::EpochOutput,
) -> Result<EpochReport> {
    let PreparedEpoch {
        netuid,
        neurons: mut nrs,
        input,
        ..
    } = prepared;
    let mut subnet = st.subnet(netuid)?;
    let hotkeys: Vec<AccountId> = nrs.iter().map(|n| n.hotkey).collect();
    for (i, nr) in nrs.iter_mut().enumerate() {
        nr.active = out.active.get(i).copied().unwrap_or(false);
        nr.stake_weight = out.stake_weight.get(i).copied().unwrap_or(0);
        nr.validator_permit = out.new_validator_permits.get(i).copied().unwrap_or(false);
        nr.consensus = out.consensus.get(i).copied().unwrap_or(0);
        nr.validator_trust = out.validator_trust.get(i).copied().unwrap_or(0);
        nr.incentive = out.incentive.get(i).copied().unwrap_or(0);
        nr.dividends = out.dividends.get(i).copied().unwrap_or(0);
        nr.emission = AlphaBalance::from_rao(out.emission.get(i).copied().unwrap_or(0));
        nr.bonds = out.bonds.get(i).cloned().unwrap_or_default();
        let uid = Uid(u16::try_from(i).unwrap_or(u16::MAX));
        st.put::<Neurons>(&(netuid, uid), nr)?;
    }
    let report = pay(
        st,
        &mut subnet,
        &hotkeys,
        &input.alpha_stake,
        &input.tao_stake,
        out,
        pots,
    )?;
    let totals = report.totals;
    st.emit(Event::EpochRun {
        netuid,
        emission: pots.total(),
        incentive: AlphaBalance::from_rao(totals.incentive),
        dividends: AlphaBalance::from_rao(totals.dividends),
        root_dividends: AlphaBalance::from_rao(totals.root_dividends),
        owner_cut: AlphaBalance::from_rao(totals.owner_cut),
        burned: AlphaBalance::from_rao(totals.burned),
    });
    Ok(report)
}

fn owner_of(st: &State<'_>, hotkey: &AccountId) -> Result<Option<AccountId>> {
    Ok(st.get::<Hotkeys>(hotkey)?.map(|h| h.owner))
}

fn take_of(st: &State<'_>, hotkey: &AccountId) -> Result<u16> {
    Ok(st.get::<Hotkeys>(hotkey)?.map_or(0, |h| h.take))
}

/// Pays a validator's root dividends (after its take) to its root stakers pro rata to their
/// root stake: "keep" stakers get the alpha as stake on the subnet; "swap" stakers (the
/// default) have it sold, fee-free, and the TAO added to their root stake. Returns what each
/// staker got (sold alpha leaves alpha_out with the sale, which the epoch's bookkeeping expects).
fn pay_root_stakers(
    st: &mut State<'_>,
    hk: &AccountId,
    netuid: NetUid,
    alpha: u64,
) -> Result<Vec<RootStakerPayout>> {
    let stakers = shares::stakers(st, hk, NetUid::ROOT)?;
    let total: u64 = stakers
        .iter()
        .map(|(_, v)| v.rao())
        .fold(0, u64::saturating_add);
    // (payout, sold for TAO)
    let mut paid: Vec<(RootStakerPayout, bool)> = Vec::new();
    let mut swap_alpha: u64 = 0;
    for (c, v) in stakers {
        let part = pool::mul_div(alpha, v.rao(), total).unwrap_or(0);
        if part == 0 {
            continue;
        }
        let claim = st
            .get_or_default::<crate::storage::Coldkeys>(&c)?
            .root_claim;
        let keep = claim == crate::schema::RootClaimType::Keep;
        if keep {
            shares::credit(st, hk, netuid, &c, AlphaBalance::from_rao(part))?;
        } else {
            swap_alpha = swap_alpha.saturating_add(part);
        }
        let payout = RootStakerPayout {
            coldkey: c,
            alpha: part,
            tao: None,
        };
        paid.push((payout, !keep));
    }
    if swap_alpha > 0 {
        let sale = crate::staking::swap_alpha_for_tao(
            st,
            netuid,
            AlphaBalance::from_rao(swap_alpha),
            true,
        );
        match sale {
            Ok((tao, _)) => {
                // The TAO is shared by cumulative rounding: each swapper gets its pro-rata part
                // within a rao and the parts add up to the whole sale (no dust to recycle).
                let (mut cum_alpha, mut sent) = (0u64, 0u64);
                for (p, _) in paid.iter_mut().filter(|(_, swap)| *swap) {
                    cum_alpha = cum_alpha.saturating_add(p.alpha);
                    let upto = pool::mul_div(tao.rao(), cum_alpha, swap_alpha).unwrap_or(0);
                    let tao_c = upto.saturating_sub(sent);
                    sent = upto;
                    let (root_alpha, _) = crate::staking::swap_tao_for_alpha(
                        st,
                        NetUid::ROOT,
                        TaoBalance::from_rao(tao_c),
                        true,
                    )?;
                    shares::credit(st, hk, NetUid::ROOT, &p.coldkey, root_alpha)?;
                    p.tao = Some(tao_c);
                }
            }
            Err(_) => {
                // A pool too thin to sell into: pay as "keep".
                for (p, _) in paid.iter().filter(|(_, swap)| *swap) {
                    shares::credit(st, hk, netuid, &p.coldkey, AlphaBalance::from_rao(p.alpha))?;
                }
            }
        }
    }
    Ok(paid.into_iter().map(|(p, _)| p).collect())
}

/// Pays one epoch; the pots are already counted in the subnet's alpha_out, so anything not
/// credited to a stake is removed from alpha_out.
fn pay(
    st: &mut State<'_>,
    subnet: &mut Subnet,
    hotkeys: &[AccountId],
    alpha_stake: &[u64],
    root_stake: &[u64],
    out: &yuma::EpochOutput,
    pots: &PendingEmission,
) -> Result<EpochReport> {
    let netuid = subnet.netuid;
    let mut t = EpochTotals::default();
    let mut miners: Vec<MinerPayout> = Vec::new();
    let mut validators: Vec<ValidatorPayout> = Vec::new();
    let mut server_pot = pots.server.rao();
    let mut val_pot = pots.validator.rao();
    let incentive_sum: u64 = out.incentive.iter().map(|&x| u64::from(x)).sum();
    if incentive_sum == 0 {
        val_pot = val_pot.saturating_add(server_pot);
        server_pot = 0;
    }
    // Owner cut.
    let owner_cut = pots.owner;
    if !owner_cut.is_zero() {
        shares::credit(st, &subnet.owner_hotkey, netuid, &subnet.owner, owner_cut)?;
        t.owner_cut = owner_cut.rao();
    }
    // Miners.
    let mut withheld: u64 = 0;
    let mut paid_server: u64 = 0;
    for (i, hk) in hotkeys.iter().enumerate() {
        let inc = u64::from(out.incentive.get(i).copied().unwrap_or(0));
        let share = pool::mul_div(server_pot, inc, incentive_sum).unwrap_or(0);
        if share == 0 {
            continue;
        }
        let owner = owner_of(st, hk)?;
        if *hk == subnet.owner_hotkey || owner.as_ref() == Some(&subnet.owner) {
            withheld = withheld.saturating_add(share);
            miners.push(MinerPayout {
                hotkey: *hk,
                alpha: share,
                staked_to: None,
            });
        } else if let Some(owner) = owner {
            let dest = crate::staking::auto_stake_hotkey(st, &owner, netuid)?.unwrap_or(*hk);
            shares::credit(st, &dest, netuid, &owner, AlphaBalance::from_rao(share))?;
            paid_server = paid_server.saturating_add(share);
            miners.push(MinerPayout {
                hotkey: *hk,
                alpha: share,
                staked_to: Some((dest, owner)),
            });
        }
    }
    t.incentive = paid_server;
    subnet.miner_burned = if server_pot == 0 {
        fx(0)
    } else {
        fx(withheld).checked_div(fx(server_pot)).unwrap_or(fx(0))
    };
    // Validators: dividend weights per uid (or stake if nobody earned dividends), shared with
    // childkey parents, then split by each receiver's own alpha and root stake.
    let tw = st.params()?.tao_weight;
    let mut weights: Vec<u64> = (0..hotkeys.len())
        .map(|i| out.validator_emission.get(i).copied().unwrap_or(0))
        .collect();
    if weights.iter().all(|w| *w == 0) {
        weights = (0..hotkeys.len())
            .map(|i| {
                let a = alpha_stake.get(i).copied().unwrap_or(0);
                let r = root_stake.get(i).copied().unwrap_or(0);
                a.saturating_add(pool::mul_div(r, tw, u64::MAX).unwrap_or(0))
            })
            .collect();
    }
    let mut by_receiver: std::collections::BTreeMap<AccountId, u64> =
        std::collections::BTreeMap::new();
    for (hk, w) in hotkeys.iter().zip(&weights) {
        for (k, share) in crate::childkeys::dividend_shares(st, hk, netuid, *w, tw)? {
            let e = by_receiver.entry(k).or_insert(0);
            *e = e.saturating_add(share);
        }
    }
    let receivers: Vec<AccountId> = by_receiver
        .iter()
        .filter(|(_, w)| **w > 0)
        .map(|(k, _)| *k)
        .collect();
    let mut inputs = Vec::with_capacity(receivers.len());
    for k in &receivers {
        inputs.push(DividendInput {
            weight: by_receiver.get(k).copied().unwrap_or(0),
            alpha: shares::hotkey_alpha(st, k, netuid)?.rao(),
            root: shares::hotkey_alpha(st, k, NetUid::ROOT)?.rao(),
        });
    }
    let split = split_dividends(val_pot, pots.root.rao(), &inputs, tw);
    for (hk, (alpha_div, root_div)) in receivers.iter().zip(split) {
        let Some(owner) = owner_of(st, hk)? else {
            continue;
        };
        let take = take_of(st, hk)?;
        let mut v = ValidatorPayout {
            hotkey: *hk,
            owner,
            alpha_dividends: 0,
            alpha_take: 0,
            root_dividends: 0,
            root_take: 0,
            root_stakers: Vec::new(),
        };
        if alpha_div > 0 {
            // The take is staked first, so its new shares share in the rest (as the reference).
            let cut = pool::mul_div(alpha_div, u64::from(take), u64::from(u16::MAX)).unwrap_or(0);
            shares::credit(st, hk, netuid, &owner, AlphaBalance::from_rao(cut))?;
            shares::distribute_to_stakers(
                st,
                hk,
                netuid,
                AlphaBalance::from_rao(alpha_div.saturating_sub(cut)),
            )?;
            t.dividends = t.dividends.saturating_add(alpha_div);
            v.alpha_dividends = alpha_div;
            v.alpha_take = cut;
        }
        if root_div > 0 {
            let cut = pool::mul_div(root_div, u64::from(take), u64::from(u16::MAX)).unwrap_or(0);
            shares::credit(st, hk, netuid, &owner, AlphaBalance::from_rao(cut))?;
            let rest = root_div.saturating_sub(cut);
            v.root_stakers = pay_root_stakers(st, hk, netuid, rest)?;
            let given = v
                .root_stakers
                .iter()
                .map(|p| p.alpha)
                .fold(0, u64::saturating_add);
            t.root_dividends = t.root_dividends.saturating_add(cut).saturating_add(given);
            v.root_dividends = root_div;
            v.root_take = cut;
        }
        validators.push(v);
    }
    // Whatever was not credited (owner-hotkey incentive, rounding) leaves alpha_out.
    let distributed = t
        .owner_cut
        .saturating_add(t.incentive)
        .saturating_add(t.dividends)
        .saturating_add(t.root_dividends);
    t.burned = pots.total().rao().saturating_sub(distributed);
    let mut fresh = st.subnet(netuid)?;
    fresh.miner_burned = subnet.miner_burned;
    fresh.pool.alpha_out = fresh
        .pool
        .alpha_out
        .saturating_sub(AlphaBalance::from_rao(t.burned));
    // Owner-hotkey incentive is burned (issuance kept) or recycled, as the owner chose;
    // rounding dust is recycled.
    if subnet.hp.recycle_or_burn == crate::hyperparams::RecycleOrBurn::Burn {
        fresh.pool.alpha_burned = fresh
            .pool
            .alpha_burned
            .saturating_add(AlphaBalance::from_rao(withheld));
    }
    st.put_subnet(&fresh)?;
    *subnet = fresh;
    Ok(EpochReport {
        totals: t,
        miners,
        validators,
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::staking;

    const T: u64 = types::RAO_PER_TAO;

    /// chain.md §10 at the epoch: V1 (100,000 α + 10,000 TAO root), V2 (100,000 α), dividends
    /// 0.5 each, P_val = 120.49 α, P_root = 27.11 α (the rounded pots), τw = 0.18.
    #[test]
    fn worked_example_dividend_split() {
        let v = [
            DividendInput {
                weight: 500_000,
                alpha: 100_000 * T,
                root: 10_000 * T,
            },
            DividendInput {
                weight: 500_000,
                alpha: 100_000 * T,
                root: 0,
            },
        ];
        let s = split_dividends(
            120_490_000_000,
            27_110_000_000,
            &v,
            crate::params::TAO_WEIGHT_018,
        );
        // 59.71 / 60.78 α of the alpha pot (one rao of rounding dust); V1 alone takes the
        // root pot, 27.11 α.
        assert_eq!(
            s,
            vec![(59_707_631_318, 27_110_000_000), (60_782_368_681, 0)]
        );
        // The take, the share pools and the root stakers' claim are paid by `pay_epoch`:
        // tests/worked_example.rs runs them on §10's whole situation.
    }

    use crate::hyperparams::HyperparamValue;
    use crate::testing::*;
    use types::TaoBalance;

    /// A validator (with a nominator) weights two miners; one miner is owned by the subnet
    /// owner. Pots are paid exactly: owner cut, miner incentive (owner's miner withheld),
    /// take to the validator's coldkey, the rest to its stakers' shares.
    #[test]
    fn payout_pays_every_party_and_keeps_the_books() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.set_hparam(NET, HyperparamValue::CommitRevealEnabled(false));
        let (vck, vhk, nom, mck, mhk) = (acct(1), acct(2), acct(3), acct(4), acct(5));
        let owner = t.read(|st| Ok(st.subnet(NET)?.owner));
        let owner_miner = acct(6);
        for who in [&vck, &nom, &mck, &owner] {
            t.fund(who, 1_000 * T);
        }
        t.with(|st| {
            crate::registration::burned_register(st, &vck, NET, &vhk, None)?; // uid 1
            crate::registration::burned_register(st, &mck, NET, &mhk, None)?; // uid 2
            crate::registration::burned_register(st, &owner, NET, &owner_miner, None)?; // uid 3
            staking::add_stake(st, &vck, &vhk, NET, TaoBalance::from_rao(100 * T), None)?;
            staking::add_stake(st, &nom, &vhk, NET, TaoBalance::from_rao(100 * T), None)?;
            Ok(())
        })
        .unwrap();
        // First epoch: permits by stake.
        t.set_block(10);
        t.with(|st| run_epoch(st, NET, PendingEmission::default(), 0))
            .unwrap();
        t.set_block(11);
        t.with(|st| crate::weights::set_weights(st, &vhk, NET, &[2, 3], &[3, 1], 0))
            .unwrap();
        let pots = PendingEmission {
            server: AlphaBalance::from_rao(40 * T),
            validator: AlphaBalance::from_rao(30 * T),
            root: AlphaBalance::ZERO,
            owner: AlphaBalance::from_rao(10 * T),
        };
        // The pots are counted in alpha_out when minted.
        t.with(|st| {
            let mut s = st.subnet(NET)?;
            s.pool.alpha_out = s.pool.alpha_out.saturating_add(pots.total());
            st.put_subnet(&s)
        })
        .unwrap();
        let stake = |t: &TestChain, h: &AccountId, c: &AccountId| {
            t.read(|st| shares::stake_of(st, h, NET, c)).rao()
        };
        let (v0, n0) = (stake(&t, &vhk, &vck), stake(&t, &vhk, &nom));
        t.set_block(20);
        t.with(|st| run_epoch(st, NET, pots.clone(), 10)).unwrap();
        t.assert_conservation();
        let owner_hot = t.read(|st| Ok(st.subnet(NET)?.owner_hotkey));
        assert_eq!(stake(&t, &owner_hot, &owner), 10 * T, "owner cut");
        let miner = stake(&t, &mhk, &mck);
        assert!(
            miner > 29 * T && miner < 30_010_000_000,
            "miner gets ~3/4 of the server pot: {miner}"
        );
        assert_eq!(
            stake(&t, &owner_miner, &owner),
            0,
            "owner's miner is withheld"
        );
        let burned = t.read(|st| Ok(st.subnet(NET)?.miner_burned));
        assert!(burned > U64F64::from_num(0u32));
        let (v1, n1) = (stake(&t, &vhk, &vck), stake(&t, &vhk, &nom));
        let (dv, dn) = (v1 - v0, n1 - n0);
        assert!(
            dn > 0 && dv > dn,
            "the validator's coldkey gets the take plus its share: {dv} vs {dn}"
        );
        assert!(
            dv + dn <= 30 * T && dv + dn > 29 * T,
            "the whole validator pot: {}",
            dv + dn
        );
    }

    #[test]
    fn root_dividends_swap_to_root_stake_or_are_kept_as_alpha() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        let (owner, hk, swapper, keeper) = (acct(1), acct(2), acct(3), acct(4));
        for who in [&owner, &swapper, &keeper] {
            t.fund(who, 1_000 * T);
        }
        t.with(|st| {
            crate::hotkeys::ensure_hotkey(st, &owner, &hk)?;
            staking::add_stake(
                st,
                &swapper,
                &hk,
                NetUid::ROOT,
                TaoBalance::from_rao(300 * T),
                None,
            )?;
            staking::add_stake(
                st,
                &keeper,
                &hk,
                NetUid::ROOT,
                TaoBalance::from_rao(100 * T),
                None,
            )?;
            let mut ck = st.get_or_default::<crate::storage::Coldkeys>(&keeper)?;
            ck.root_claim = crate::schema::RootClaimType::Keep;
            st.put::<crate::storage::Coldkeys>(&keeper, &ck)?;
            // 8 α of root dividends, already minted as pending alpha
            let mut s = st.subnet(NET)?;
            s.pool.alpha_out = s
                .pool
                .alpha_out
                .saturating_add(AlphaBalance::from_rao(8 * T));
            st.put_subnet(&s)
        })
        .unwrap();
        let root_before = t
            .read(|st| shares::stake_of(st, &hk, NetUid::ROOT, &swapper))
            .rao();
        let paid = t.with(|st| pay_root_stakers(st, &hk, NET, 8 * T)).unwrap();
        let given: u64 = paid.iter().map(|p| p.alpha).sum();
        assert_eq!(given, 8 * T);
        let keeper_part = paid.iter().find(|p| p.coldkey == keeper).unwrap();
        assert_eq!((keeper_part.alpha, keeper_part.tao), (2 * T, None));
        // the keeper holds a quarter as alpha on the subnet
        assert_eq!(
            t.read(|st| shares::stake_of(st, &hk, NET, &keeper)).rao(),
            2 * T
        );
        // the swapper's 6 α were sold (price ≈ 1) and added to its root stake
        let gained = t
            .read(|st| shares::stake_of(st, &hk, NetUid::ROOT, &swapper))
            .rao()
            - root_before;
        assert!(gained > 5_900_000_000 && gained < 6 * T, "{gained}");
        assert_eq!(
            t.read(|st| shares::stake_of(st, &hk, NET, &swapper)).rao(),
            0
        );
        t.assert_conservation();
    }

    #[test]
    fn auto_stake_redirects_miner_incentive() {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.set_hparam(NET, HyperparamValue::CommitRevealEnabled(false));
        let (vck, vhk, mck, mhk, pot) = (acct(1), acct(2), acct(4), acct(5), acct(6));
        t.fund(&vck, 1_000 * T);
        t.fund(&mck, 1_000 * T);
        t.with(|st| {
            crate::registration::burned_register(st, &vck, NET, &vhk, None)?;
            crate::registration::burned_register(st, &mck, NET, &mhk, None)?;
            crate::hotkeys::ensure_hotkey(st, &mck, &pot)?;
            crate::staking::set_auto_stake_hotkey(st, &mck, NET, &pot)?;
            staking::add_stake(st, &vck, &vhk, NET, TaoBalance::from_rao(100 * T), None).map(|_| ())
        })
        .unwrap();
        t.set_block(10);
        t.with(|st| run_epoch(st, NET, PendingEmission::default(), 0))
            .unwrap();
        t.set_block(11);
        t.with(|st| crate::weights::set_weights(st, &vhk, NET, &[2], &[1], 0))
            .unwrap();
        let pots = PendingEmission {
            server: AlphaBalance::from_rao(10 * T),
            ..PendingEmission::default()
        };
        t.with(|st| {
            let mut s = st.subnet(NET)?;
            s.pool.alpha_out = s.pool.alpha_out.saturating_add(pots.total());
            st.put_subnet(&s)
        })
        .unwrap();
        t.set_block(20);
        t.with(|st| run_epoch(st, NET, pots.clone(), 10)).unwrap();
        let on_pot = t.read(|st| shares::stake_of(st, &pot, NET, &mck)).rao();
        let on_miner = t.read(|st| shares::stake_of(st, &mhk, NET, &mck)).rao();
        assert!(on_pot > 9 * T && on_miner == 0, "{on_pot} {on_miner}");
        t.assert_conservation();
    }

    #[test]
    fn no_root_weight_moves_root_pot_to_alpha() {
        let v = [DividendInput {
            weight: 1,
            alpha: 10,
            root: 0,
        }];
        assert_eq!(split_dividends(100, 50, &v, u64::MAX / 2), vec![(150, 0)]);
    }
}
