//! Accounting invariants, checkable on any state (tests, property tests, a node's self-check):
//! - TAO: the issuance counter equals free balances + TAO in pools + burned TAO;
//! - alpha, per subnet: alpha_out equals the hotkeys' stake pools + pending emission +
//!   protocol-owned alpha (and a stable pool holds exactly its stakes in TAO).

use std::collections::BTreeMap;

use types::NetUid;

use crate::error::Result;
use crate::schema::Mechanism;
use crate::state::State;
use crate::storage::{Accounts, HotkeyPools};

/// Describes the first broken invariant, or `None`.
pub fn check(st: &State<'_>) -> Result<Option<String>> {
    let totals = st.totals()?;
    let free: u128 = st
        .scan::<Accounts, ()>(&())?
        .iter()
        .map(|(_, a)| u128::from(a.free.rao()))
        .sum();
    let subnets = st.subnets()?;
    let pools: u128 = subnets.iter().map(|s| u128::from(s.pool.tao.rao())).sum();
    let lhs = u128::from(totals.total_issuance.rao());
    let rhs = free
        .saturating_add(pools)
        .saturating_add(u128::from(totals.burned.rao()));
    if lhs != rhs {
        return Ok(Some(format!(
            "TAO: issuance {lhs} != free {free} + pools {pools} + burned {}",
            totals.burned
        )));
    }
    let mut staked: BTreeMap<NetUid, u128> = BTreeMap::new();
    for ((_, netuid), p) in st.scan::<HotkeyPools, ()>(&())? {
        let e = staked.entry(netuid).or_insert(0);
        *e = e.saturating_add(u128::from(p.alpha.rao()));
    }
    for s in &subnets {
        let stakes = staked.get(&s.netuid).copied().unwrap_or(0);
        let expected = stakes
            .saturating_add(u128::from(s.pending.total().rao()))
            .saturating_add(u128::from(s.pool.protocol_alpha.rao()));
        if u128::from(s.pool.alpha_out.rao()) != expected {
            return Ok(Some(format!(
                "alpha on {}: alpha_out {} != stakes {stakes} + pending {} + protocol {}",
                s.netuid,
                s.pool.alpha_out,
                s.pending.total(),
                s.pool.protocol_alpha
            )));
        }
        if s.mechanism == Mechanism::Stable && u128::from(s.pool.tao.rao()) != stakes {
            return Ok(Some(format!(
                "root: pool TAO {} != root stakes {stakes}",
                s.pool.tao
            )));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn detects_unbacked_tao_and_alpha() {
        let mut t = TestChain::with_subnet(100, 100);
        assert_eq!(t.read(check), None);
        // TAO appears from nowhere
        t.with(|st| crate::balances::deposit(st, &acct(1), types::TaoBalance::from_rao(5)))
            .unwrap();
        assert!(t.read(check).unwrap().starts_with("TAO"));
        t.with(|st| crate::balances::note_minted(st, types::TaoBalance::from_rao(5)))
            .unwrap();
        assert_eq!(t.read(check), None);
        // alpha out without a holder
        t.with(|st| {
            let mut s = st.subnet(NET)?;
            s.pool.alpha_out = types::AlphaBalance::from_rao(1);
            st.put_subnet(&s)
        })
        .unwrap();
        assert!(t.read(check).unwrap().starts_with("alpha"));
    }
}
