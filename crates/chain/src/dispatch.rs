//! Call routing: each [`Call`] to the domain function that implements it, with the signer as
//! the origin (a coldkey or a hotkey, depending on the call).

use types::AccountId;

use crate::call::Call;
use crate::error::Result;
use crate::events::Event;
use crate::state::State;
use crate::{
    balances, delegation, hyperparams, params, registration, serving, staking, subnets, swap_keys,
    weights,
};

/// Runs a call for `signer`.
pub fn dispatch(st: &mut State<'_>, signer: &AccountId, call: &Call) -> Result<()> {
    match call.clone() {
        Call::TransferAllowDeath { dest, value } => {
            balances::transfer(st, signer, &dest, value, false)
        }
        Call::TransferKeepAlive { dest, value } => {
            balances::transfer(st, signer, &dest, value, true)
        }
        Call::TransferAll { dest, keep_alive } => {
            balances::transfer_all(st, signer, &dest, keep_alive)
        }
        Call::RegisterNetwork { hotkey, identity } => {
            subnets::register_network(st, signer, &hotkey, identity).map(|_| ())
        }
        Call::StartCall { netuid } => subnets::start_call(st, signer, netuid),
        Call::SetSubnetIdentity { netuid, identity } => {
            subnets::set_subnet_identity(st, signer, netuid, identity)
        }
        Call::SudoSetHyperparameter { netuid, value } => {
            hyperparams::set_hyperparameter(st, signer, netuid, value)
        }
        Call::SudoSetGlobal { param } => params::sudo_set_global(st, signer, param),
        Call::DissolveNetwork { netuid } => {
            st.ensure_sudo(signer)?;
            subnets::dissolve_network(st, netuid)
        }
        Call::BurnedRegister { netuid, hotkey } => {
            registration::burned_register(st, signer, netuid, &hotkey, None).map(|_| ())
        }
        Call::RegisterLimit {
            netuid,
            hotkey,
            limit_price,
        } => registration::burned_register(st, signer, netuid, &hotkey, Some(limit_price))
            .map(|_| ()),
        Call::RootRegister { hotkey } => {
            registration::root_register(st, signer, &hotkey).map(|_| ())
        }
        Call::ServeAxon {
            netuid,
            version,
            ip,
            port,
            ip_type,
            protocol,
            placeholder1,
            placeholder2,
        } => {
            let axon = crate::schema::AxonInfo {
                block: st.block(),
                version,
                ip,
                port,
                ip_type,
                protocol,
                placeholder1,
                placeholder2,
            };
            serving::serve_axon(st, signer, netuid, axon)
        }
        Call::SetWeights {
            netuid,
            dests,
            weights: values,
            version_key,
        } => weights::set_weights(st, signer, netuid, &dests, &values, version_key),
        Call::CommitWeights {
            netuid,
            commit_hash,
        } => weights::commit_weights(st, signer, netuid, commit_hash),
        Call::RevealWeights {
            netuid,
            uids,
            values,
            salt,
            version_key,
        } => weights::reveal_weights(st, signer, netuid, &uids, &values, &salt, version_key),
        Call::AddStake {
            hotkey,
            netuid,
            amount_staked,
        } => staking::add_stake(st, signer, &hotkey, netuid, amount_staked, None).map(|_| ()),
        Call::AddStakeLimit {
            hotkey,
            netuid,
            amount_staked,
            limit_price,
            allow_partial,
        } => staking::add_stake(
            st,
            signer,
            &hotkey,
            netuid,
            amount_staked,
            Some((limit_price, allow_partial)),
        )
        .map(|_| ()),
        Call::RemoveStake {
            hotkey,
            netuid,
            amount_unstaked,
        } => staking::remove_stake(st, signer, &hotkey, netuid, amount_unstaked, None).map(|_| ()),
        Call::RemoveStakeLimit {
            hotkey,
            netuid,
            amount_unstaked,
            limit_price,
            allow_partial,
        } => staking::remove_stake(
            st,
            signer,
            &hotkey,
            netuid,
            amount_unstaked,
            Some((limit_price, allow_partial)),
        )
        .map(|_| ()),
        Call::UnstakeAll { hotkey } => staking::unstake_all(st, signer, &hotkey, false),
        Call::UnstakeAllAlpha { hotkey } => staking::unstake_all(st, signer, &hotkey, true),
        Call::MoveStake {
            origin_hotkey,
            destination_hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
        } => staking::move_stake(
            st,
            staking::StakeMove {
                from_coldkey: *signer,
                to_coldkey: *signer,
                from_hotkey: origin_hotkey,
                to_hotkey: destination_hotkey,
                from_netuid: origin_netuid,
                to_netuid: destination_netuid,
                alpha: alpha_amount,
                limit: None,
            },
        ),
        Call::TransferStake {
            destination_coldkey,
            hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
        } => staking::move_stake(
            st,
            staking::StakeMove {
                from_coldkey: *signer,
                to_coldkey: destination_coldkey,
                from_hotkey: hotkey,
                to_hotkey: hotkey,
                from_netuid: origin_netuid,
                to_netuid: destination_netuid,
                alpha: alpha_amount,
                limit: None,
            },
        ),
        Call::SwapStake {
            hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
        } => staking::move_stake(
            st,
            staking::StakeMove {
                from_coldkey: *signer,
                to_coldkey: *signer,
                from_hotkey: hotkey,
                to_hotkey: hotkey,
                from_netuid: origin_netuid,
                to_netuid: destination_netuid,
                alpha: alpha_amount,
                limit: None,
            },
        ),
        Call::SwapStakeLimit {
            hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
            limit_price,
            allow_partial,
        } => staking::move_stake(
            st,
            staking::StakeMove {
                from_coldkey: *signer,
                to_coldkey: *signer,
                from_hotkey: hotkey,
                to_hotkey: hotkey,
                from_netuid: origin_netuid,
                to_netuid: destination_netuid,
                alpha: alpha_amount,
                limit: Some((limit_price, allow_partial)),
            },
        ),
        Call::BecomeDelegate { hotkey } => delegation::become_delegate(st, signer, &hotkey),
        Call::IncreaseTake { hotkey, take } => delegation::increase_take(st, signer, &hotkey, take),
        Call::DecreaseTake { hotkey, take } => delegation::decrease_take(st, signer, &hotkey, take),
        Call::SwapHotkey { hotkey, new_hotkey } => {
            swap_keys::swap_hotkey(st, signer, &hotkey, &new_hotkey)
        }
        Call::ScheduleSwapColdkey { new_coldkey } => {
            swap_keys::schedule_swap_coldkey(st, signer, &new_coldkey)
        }
        Call::TriggerEpoch { netuid } => subnets::trigger_epoch(st, signer, netuid),
        Call::RecycleAlpha {
            hotkey,
            amount,
            netuid,
        } => staking::destroy_alpha(st, signer, &hotkey, netuid, amount, true),
        Call::BurnAlpha {
            hotkey,
            amount,
            netuid,
        } => staking::destroy_alpha(st, signer, &hotkey, netuid, amount, false),
        Call::SetIdentity { identity } => crate::identity::set_identity(st, signer, identity),
        Call::SetChildren {
            hotkey,
            netuid,
            children,
        } => crate::childkeys::set_children(st, signer, &hotkey, netuid, children),
        Call::SetChildkeyTake {
            hotkey,
            netuid,
            take,
        } => crate::childkeys::set_childkey_take(st, signer, &hotkey, netuid, take),
        Call::SetRootClaimType { claim_type } => {
            let mut ck = st.get_or_default::<crate::storage::Coldkeys>(signer)?;
            ck.root_claim = claim_type;
            st.put::<crate::storage::Coldkeys>(signer, &ck)?;
            st.emit(Event::RootClaimTypeSet {
                coldkey: *signer,
                claim_type,
            });
            Ok(())
        }
        Call::UpdateSymbol { netuid, symbol } => subnets::update_symbol(st, signer, netuid, symbol),
        Call::SetSubnetOwnerHotkey { netuid, hotkey } => {
            subnets::set_owner_hotkey(st, signer, netuid, &hotkey)
        }
        Call::SetColdkeyAutoStakeHotkey { netuid, hotkey } => {
            staking::set_auto_stake_hotkey(st, signer, netuid, &hotkey)
        }
        Call::ServeAxonTls {
            netuid,
            version,
            ip,
            port,
            ip_type,
            protocol,
            placeholder1,
            placeholder2,
            certificate,
        } => {
            let axon = crate::schema::AxonInfo {
                block: st.block(),
                version,
                ip,
                port,
                ip_type,
                protocol,
                placeholder1,
                placeholder2,
            };
            serving::serve_axon_tls(st, signer, netuid, axon, certificate)
        }
        Call::ServePrometheus {
            netuid,
            version,
            ip,
            port,
            ip_type,
        } => {
            let info = crate::schema::PrometheusInfo {
                block: st.block(),
                version,
                ip,
                port,
                ip_type,
            };
            serving::serve_prometheus(st, signer, netuid, info)
        }
    }
}
