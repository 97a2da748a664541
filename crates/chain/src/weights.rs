//! Weights: set_weights validated in the order registration, uid bounds, duplicates, lengths,
//! min allowed weights, max weight limit, version key, rate limit, stake threshold (then the
//! validator permit), and stored max-upscaled;
//! commit_weights / reveal_weights with a Blake2-256 commit, a reveal period counted in
//! subnet epochs, and expiry.

use parity_scale_codec::Encode;
use types::{AccountId, NetUid, Uid};

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::pool;
use crate::registration::{neuron, uid_of};
use crate::schema::{Subnet, WeightCommit};
use crate::state::State;
use crate::storage::{Neurons, WeightCommits};
use crate::transaction::blake2_256;

/// At most this many unrevealed commits per hotkey.
pub const MAX_PENDING_COMMITS: usize = 10;

/// Scales `values` so the largest is 65535 (rounded to nearest); all zero stays zero.
pub fn max_upscale(values: &[u16]) -> Vec<u16> {
    let max = values.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return values.to_vec();
    }
    values
        .iter()
        .map(|&v| {
            let num = u64::from(v)
                .saturating_mul(65_535)
                .saturating_add(u64::from(max) / 2);
            u16::try_from(num.checked_div(u64::from(max)).unwrap_or(0)).unwrap_or(u16::MAX)
        })
        .collect()
}

/// The hotkey's stake weight on a subnet: alpha + tao_weight × root stake (rao), including
/// what childkeys lend and borrow.
pub fn stake_weight(st: &State<'_>, hotkey: &AccountId, netuid: NetUid) -> Result<u64> {
    let (alpha, root) = crate::childkeys::inherited_stake(st, hotkey, netuid)?;
    let tw = st.params()?.tao_weight;
    let weighted_root = pool::mul_div(root, tw, u64::MAX).unwrap_or(0);
    Ok(alpha.saturating_add(weighted_root))
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Which checks apply (direct set vs reveal).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Direct,
    Reveal,
}

fn validate_and_store(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    uids: &[u16],
    values: &[u16],
    version_key: u64,
    mode: Mode,
) -> Result<()> {
    if netuid.is_root() {
        return Err(ChainError::CanNotSetRootNetworkWeights);
    }
    let subnet: Subnet = st.subnet(netuid)?;
    // registration
    let uid =
        uid_of(st, netuid, hotkey)?.ok_or(ChainError::HotKeyNotRegisteredInNetwork(netuid))?;
    if mode == Mode::Direct && subnet.hp.commit_reveal_enabled {
        return Err(ChainError::CommitRevealEnabled(netuid));
    }
    let n = usize::from(subnet.n);
    // uid bounds
    if uids.len() > n {
        return Err(ChainError::UidsLengthExceedUidsInSubNet(len32(uids.len())));
    }
    if let Some(&bad) = uids.iter().find(|&&u| usize::from(u) >= n) {
        return Err(ChainError::UidVecContainInvalidOne(bad));
    }
    // duplicates
    let mut seen = vec![false; n];
    for &u in uids {
        match seen.get_mut(usize::from(u)) {
            Some(s) if *s => return Err(ChainError::DuplicateUids(u)),
            Some(s) => *s = true,
            None => return Err(ChainError::UidVecContainInvalidOne(u)),
        }
    }
    // lengths
    if uids.len() != values.len() {
        return Err(ChainError::WeightVecNotEqualSize {
            uids: len32(uids.len()),
            weights: len32(values.len()),
        });
    }
    let is_owner = hotkey == &subnet.owner_hotkey;
    let self_only = uids.len() == 1 && uids.first() == Some(&uid.0);
    // min allowed weights
    let min = usize::from(subnet.hp.min_allowed_weights).min(n);
    if !self_only && uids.len() < min {
        return Err(ChainError::WeightVecLengthIsLow {
            got: len32(uids.len()),
            min: len32(min),
        });
    }
    // max weight limit, after upscaling
    let scaled = max_upscale(values);
    if subnet.hp.max_weights_limit < u16::MAX
        && !self_only
        && scaled.iter().any(|&w| w > subnet.hp.max_weights_limit)
    {
        return Err(ChainError::MaxWeightExceeded(subnet.hp.max_weights_limit));
    }
    // version key
    let required = subnet.hp.weights_version_key;
    if required != 0 && version_key < required {
        return Err(ChainError::IncorrectWeightVersionKey {
            got: version_key,
            required,
        });
    }
    let mut nr = neuron(st, netuid, uid)?;
    let now = st.block();
    // rate limit (the first set is always allowed)
    if mode == Mode::Direct && !nr.weights.is_empty() {
        let at = nr
            .last_update
            .saturating_add(subnet.hp.weights_set_rate_limit);
        if now < at {
            return Err(ChainError::SettingWeightsTooFast(at));
        }
    }
    // stake threshold (the owner is exempt)
    let threshold = st.params()?.stake_threshold;
    if !is_owner {
        let got = stake_weight(st, hotkey, netuid)?;
        if got < threshold {
            return Err(ChainError::NotEnoughStakeToSetWeights {
                got,
                required: threshold,
            });
        }
    }
    // validator permit, unless weighting only itself or owner
    if !self_only && !is_owner && !nr.validator_permit {
        return Err(ChainError::NeuronNoValidatorPermit);
    }
    let mut row: Vec<(u16, u16)> = uids.iter().copied().zip(scaled).collect();
    row.sort_unstable_by_key(|(u, _)| *u);
    let count = u16::try_from(row.len()).unwrap_or(u16::MAX);
    nr.weights = row;
    nr.last_update = now;
    st.put::<Neurons>(&(netuid, uid), &nr)?;
    st.emit(Event::WeightsSet { netuid, uid, count });
    Ok(())
}

/// set_weights, signed by the hotkey.
pub fn set_weights(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    uids: &[u16],
    values: &[u16],
    version_key: u64,
) -> Result<()> {
    validate_and_store(st, hotkey, netuid, uids, values, version_key, Mode::Direct)
}

/// The commit hash of a reveal: Blake2-256 of SCALE(hotkey, netuid, uids, values, salt, version_key).
pub fn commit_hash(
    hotkey: &AccountId,
    netuid: NetUid,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> [u8; 32] {
    let payload = (hotkey, netuid.0, uids, values, salt, version_key).encode();
    blake2_256(&payload)
}

fn expired(c: &WeightCommit, epoch: u64, period: u64) -> bool {
    c.epoch.saturating_add(period) < epoch
}

/// commit_weights, signed by the hotkey.
pub fn commit_weights(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    hash: [u8; 32],
) -> Result<()> {
    let subnet = st.subnet(netuid)?;
    if !subnet.hp.commit_reveal_enabled {
        return Err(ChainError::CommitRevealDisabled(netuid));
    }
    let uid =
        uid_of(st, netuid, hotkey)?.ok_or(ChainError::HotKeyNotRegisteredInNetwork(netuid))?;
    let mut nr = neuron(st, netuid, uid)?;
    let now = st.block();
    let key = (netuid, *hotkey);
    let mut commits = st.get_or_default::<WeightCommits>(&key)?;
    let first = commits.is_empty() && nr.weights.is_empty() && nr.last_update == nr.registered_at;
    let at = nr
        .last_update
        .saturating_add(subnet.hp.weights_set_rate_limit);
    if !first && now < at {
        return Err(ChainError::CommittingWeightsTooFast(at));
    }
    commits.retain(|c| !expired(c, subnet.epoch_index, subnet.hp.reveal_period_epochs));
    if commits.len() >= MAX_PENDING_COMMITS {
        return Err(ChainError::TooManyUnrevealedCommits);
    }
    commits.push(WeightCommit {
        hash,
        epoch: subnet.epoch_index,
        block: now,
    });
    st.put::<WeightCommits>(&key, &commits)?;
    nr.last_update = now;
    st.put::<Neurons>(&(netuid, uid), &nr)?;
    st.emit(Event::WeightsCommitted {
        netuid,
        hotkey: *hotkey,
        hash,
    });
    Ok(())
}

/// reveal_weights, signed by the hotkey: allowed in epoch commit_epoch + reveal_period.
pub fn reveal_weights(
    st: &mut State<'_>,
    hotkey: &AccountId,
    netuid: NetUid,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> Result<()> {
    let subnet = st.subnet(netuid)?;
    if !subnet.hp.commit_reveal_enabled {
        return Err(ChainError::CommitRevealDisabled(netuid));
    }
    let key = (netuid, *hotkey);
    let mut commits = st.get_or_default::<WeightCommits>(&key)?;
    if commits.is_empty() {
        return Err(ChainError::NoWeightsCommitFound);
    }
    let hash = commit_hash(hotkey, netuid, uids, values, salt, version_key);
    let pos = commits
        .iter()
        .position(|c| c.hash == hash)
        .ok_or(ChainError::InvalidRevealCommitHashNotMatch)?;
    let commit = commits
        .get(pos)
        .cloned()
        .ok_or(ChainError::NoWeightsCommitFound)?;
    let reveal_epoch = commit.epoch.saturating_add(subnet.hp.reveal_period_epochs);
    if subnet.epoch_index < reveal_epoch {
        return Err(ChainError::RevealTooEarly(reveal_epoch));
    }
    if subnet.epoch_index > reveal_epoch {
        return Err(ChainError::ExpiredWeightCommit);
    }
    validate_and_store(st, hotkey, netuid, uids, values, version_key, Mode::Reveal)?;
    // The revealed commit and any older ones are consumed.
    commits.drain(..=pos);
    if commits.is_empty() {
        st.remove::<WeightCommits>(&key)
    } else {
        st.put::<WeightCommits>(&key, &commits)
    }
}

/// For the epoch: each uid's earliest non-expired commit block (u64::MAX for none).
pub fn commit_blocks(st: &State<'_>, subnet: &Subnet, hotkeys: &[AccountId]) -> Result<Vec<u64>> {
    hotkeys
        .iter()
        .map(|hk| {
            let commits = st.get_or_default::<WeightCommits>(&(subnet.netuid, *hk))?;
            Ok(commits
                .iter()
                .filter(|c| !expired(c, subnet.epoch_index, subnet.hp.reveal_period_epochs))
                .map(|c| c.block)
                .min()
                .unwrap_or(u64::MAX))
        })
        .collect()
}

/// Weights of a uid (for queries).
pub fn weights_of(st: &State<'_>, netuid: NetUid, uid: Uid) -> Result<Vec<(u16, u16)>> {
    Ok(neuron(st, netuid, uid)?.weights)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::hyperparams::HyperparamValue;
    use crate::testing::*;

    const T: u64 = types::RAO_PER_TAO;

    #[test]
    fn upscale() {
        assert_eq!(max_upscale(&[1, 2, 4]), vec![16_384, 32_768, 65_535]);
        assert_eq!(max_upscale(&[0, 0]), vec![0, 0]);
        assert_eq!(max_upscale(&[3, 0]), vec![65_535, 0]);
    }

    fn setup() -> (TestChain, AccountId, AccountId) {
        let mut t = TestChain::with_subnet(1_000 * T, 1_000 * T);
        t.set_hparam(NET, HyperparamValue::CommitRevealEnabled(false));
        t.fund(&acct(1), 100 * T);
        for i in 0..3u8 {
            t.with(|st| {
                crate::registration::burned_register(st, &acct(1), NET, &acct(20 + i), None)
            })
            .unwrap();
        }
        let owner_hk = t.with(|st| Ok(st.subnet(NET)?.owner_hotkey)).unwrap();
        (t, owner_hk, acct(20))
    }

    #[test]
    fn validation_order_and_storage() {
        let (mut t, owner, v) = setup();
        let e = t
            .with(|st| set_weights(st, &acct(99), NET, &[0], &[1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::HotKeyNotRegisteredInNetwork(NET));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[0, 1], &[1], 0))
            .unwrap_err();
        assert!(matches!(e, ChainError::WeightVecNotEqualSize { .. }));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[0, 9], &[1, 1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::UidVecContainInvalidOne(9));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1, 1], &[1, 1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::DuplicateUids(1));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[0, 1, 2, 3, 1], &[1; 5], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::UidsLengthExceedUidsInSubNet(5));
        t.set_hparam(NET, HyperparamValue::MinAllowedWeights(3));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1, 2], &[1, 1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::WeightVecLengthIsLow { got: 2, min: 3 });
        t.set_hparam(NET, HyperparamValue::MinAllowedWeights(1));
        t.set_hparam(NET, HyperparamValue::MaxWeightsLimit(40_000));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1, 2], &[1, 1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::MaxWeightExceeded(40_000));
        t.set_hparam(NET, HyperparamValue::MaxWeightsLimit(u16::MAX));
        t.set_hparam(NET, HyperparamValue::WeightsVersionKey(5));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1, 2], &[1, 1], 4))
            .unwrap_err();
        assert_eq!(
            e,
            ChainError::IncorrectWeightVersionKey {
                got: 4,
                required: 5
            }
        );
        t.with(|st| set_weights(st, &owner, NET, &[2, 1], &[1, 2], 5))
            .unwrap();
        let w = t.with(|st| weights_of(st, NET, Uid(0))).unwrap();
        assert_eq!(w, vec![(1, 65_535), (2, 32_768)]);
        // rate limit
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1], &[1], 5))
            .unwrap_err();
        assert!(matches!(e, ChainError::SettingWeightsTooFast(_)));
        // stake threshold for a non-owner
        t.sudo(crate::params::GlobalParam::StakeThreshold(1_000));
        let e = t
            .with(|st| set_weights(st, &v, NET, &[1], &[1], 5))
            .unwrap_err();
        assert_eq!(
            e,
            ChainError::NotEnoughStakeToSetWeights {
                got: 0,
                required: 1_000
            }
        );
        // root
        let e = t
            .with(|st| set_weights(st, &v, NetUid::ROOT, &[1], &[1], 5))
            .unwrap_err();
        assert_eq!(e, ChainError::CanNotSetRootNetworkWeights);
    }

    #[test]
    fn commit_reveal_cycle() {
        let (mut t, owner, _) = setup();
        t.set_hparam(NET, HyperparamValue::CommitRevealEnabled(true));
        let e = t
            .with(|st| set_weights(st, &owner, NET, &[1], &[1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::CommitRevealEnabled(NET));
        let (uids, vals, salt) = (vec![1u16, 2], vec![3u16, 4], vec![9u16, 9]);
        let h = commit_hash(&owner, NET, &uids, &vals, &salt, 0);
        t.with(|st| commit_weights(st, &owner, NET, h)).unwrap();
        let e = t
            .with(|st| reveal_weights(st, &owner, NET, &uids, &vals, &salt, 0))
            .unwrap_err();
        assert_eq!(e, ChainError::RevealTooEarly(1));
        let e = t
            .with(|st| reveal_weights(st, &owner, NET, &uids, &vals, &[1], 0))
            .unwrap_err();
        assert_eq!(e, ChainError::InvalidRevealCommitHashNotMatch);
        t.bump_epoch(NET);
        t.with(|st| reveal_weights(st, &owner, NET, &uids, &vals, &salt, 0))
            .unwrap();
        assert_eq!(
            t.with(|st| weights_of(st, NET, Uid(0))).unwrap(),
            vec![(1, 49_151), (2, 65_535)]
        );
        let e = t
            .with(|st| reveal_weights(st, &owner, NET, &uids, &vals, &salt, 0))
            .unwrap_err();
        assert_eq!(e, ChainError::NoWeightsCommitFound);
        // expiry
        t.set_block(1_000);
        t.with(|st| commit_weights(st, &owner, NET, h)).unwrap();
        t.bump_epoch(NET);
        t.bump_epoch(NET);
        let e = t
            .with(|st| reveal_weights(st, &owner, NET, &uids, &vals, &salt, 0))
            .unwrap_err();
        assert_eq!(e, ChainError::ExpiredWeightCommit);
    }
}
