//! Transaction fees, in brief as the reference charges them: a weight fee (0.0005 rao per unit
//! of ref-time weight) plus a length fee (1 rao per encoded byte), and nothing at all for the
//! free calls of chain.md §1.3. Tips are added on top; both go to the block author.
//!
//! Unstake-type calls whose signer lacks free TAO pay by selling just enough of the stake they
//! move (fee-free), as the reference does.
//!
//! The weights below are round figures of the reference's benchmarked weights, not exact.

use types::{AccountId, NetUid, TaoBalance};

use crate::call::Call;

/// Weight fee in parts per billion of a rao per weight unit (0.0005 rao).
pub const WEIGHT_FEE_PPB: u64 = 500_000;
/// Length fee per encoded byte.
pub const LENGTH_FEE_PER_BYTE: u64 = 1;

/// Whether the call pays a fee (Pays::Yes).
pub fn pays_fee(call: &Call) -> bool {
    !matches!(
        call,
        Call::SetWeights { .. }
            | Call::CommitWeights { .. }
            | Call::RevealWeights { .. }
            | Call::ServeAxon { .. }
            | Call::ServeAxonTls { .. }
            | Call::ServePrometheus { .. }
            | Call::IncreaseTake { .. }
            | Call::DecreaseTake { .. }
    )
}

/// For unstake-type calls, the stake a fee may be taken from when the signer has too little
/// free TAO: (hotkey, subnet, or `None` for any subnet it has stake on).
pub fn alpha_fee_source(call: &Call) -> Option<(AccountId, Option<NetUid>)> {
    match call {
        Call::RemoveStake { hotkey, netuid, .. }
        | Call::RemoveStakeLimit { hotkey, netuid, .. } => Some((*hotkey, Some(*netuid))),
        Call::UnstakeAll { hotkey } | Call::UnstakeAllAlpha { hotkey } => Some((*hotkey, None)),
        Call::MoveStake {
            origin_hotkey,
            origin_netuid,
            ..
        } => Some((*origin_hotkey, Some(*origin_netuid))),
        Call::TransferStake {
            hotkey,
            origin_netuid,
            ..
        }
        | Call::SwapStake {
            hotkey,
            origin_netuid,
            ..
        }
        | Call::SwapStakeLimit {
            hotkey,
            origin_netuid,
            ..
        } => Some((*hotkey, Some(*origin_netuid))),
        _ => None,
    }
}

/// The call's ref-time weight (approximate).
pub fn weight(call: &Call) -> u64 {
    match call {
        Call::TransferAllowDeath { .. }
        | Call::TransferKeepAlive { .. }
        | Call::TransferAll { .. } => 200_000_000,
        Call::RegisterNetwork { .. } | Call::DissolveNetwork { .. } => 2_000_000_000,
        Call::StartCall { .. } | Call::SetSubnetIdentity { .. } => 30_000_000,
        Call::SudoSetHyperparameter { .. } | Call::SudoSetGlobal { .. } => 20_000_000,
        Call::BurnedRegister { .. } | Call::RegisterLimit { .. } | Call::RootRegister { .. } => {
            400_000_000
        }
        Call::ServeAxon { .. } | Call::ServeAxonTls { .. } | Call::ServePrometheus { .. } => {
            50_000_000
        }
        Call::SetWeights { .. } | Call::CommitWeights { .. } | Call::RevealWeights { .. } => {
            100_000_000
        }
        Call::AddStake { .. }
        | Call::AddStakeLimit { .. }
        | Call::RemoveStake { .. }
        | Call::RemoveStakeLimit { .. } => 340_000_000,
        Call::UnstakeAll { .. } | Call::UnstakeAllAlpha { .. } => 1_000_000_000,
        Call::MoveStake { .. }
        | Call::TransferStake { .. }
        | Call::SwapStake { .. }
        | Call::SwapStakeLimit { .. } => 400_000_000,
        Call::BecomeDelegate { .. } | Call::IncreaseTake { .. } | Call::DecreaseTake { .. } => {
            30_000_000
        }
        Call::SwapHotkey { .. } | Call::ScheduleSwapColdkey { .. } => 1_000_000_000,
        Call::TriggerEpoch { .. } | Call::SetIdentity { .. } | Call::SetChildkeyTake { .. } => {
            30_000_000
        }
        Call::SetChildren { .. } => 100_000_000,
        Call::SetRootClaimType { .. } => 20_000_000,
        Call::UpdateSymbol { .. }
        | Call::SetSubnetOwnerHotkey { .. }
        | Call::SetColdkeyAutoStakeHotkey { .. } => 30_000_000,
        Call::RecycleAlpha { .. } | Call::BurnAlpha { .. } => 200_000_000,
    }
}

/// The fee (without tip) of a call whose transaction encodes to `encoded_len` bytes.
pub fn fee(call: &Call, encoded_len: usize) -> TaoBalance {
    if !pays_fee(call) {
        return TaoBalance::ZERO;
    }
    let weight_fee = crate::pool::mul_div(weight(call), WEIGHT_FEE_PPB, 1_000_000_000).unwrap_or(0);
    let len = u64::try_from(encoded_len).unwrap_or(u64::MAX);
    TaoBalance::from_rao(weight_fee.saturating_add(len.saturating_mul(LENGTH_FEE_PER_BYTE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_fee_is_weight_plus_length() {
        let call = Call::TransferKeepAlive {
            dest: AccountId::new([1; 32]),
            value: TaoBalance::from_rao(5),
        };
        assert_eq!(fee(&call, 150).rao(), 100_000 + 150);
    }

    #[test]
    fn free_calls_pay_nothing() {
        let call = Call::SetWeights {
            netuid: NetUid(1),
            dests: vec![],
            weights: vec![],
            version_key: 0,
        };
        assert_eq!(fee(&call, 1_000), TaoBalance::ZERO);
        assert!(!pays_fee(&Call::DecreaseTake {
            hotkey: AccountId::new([0; 32]),
            take: 0
        }));
    }
}
