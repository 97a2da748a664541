//! Delegation: every hotkey is a delegate; its take (share of its validators' dividends kept
//! by its owner) can be lowered freely and raised at most once per rate-limit period, within
//! [min_delegate_take, max_delegate_take].

use types::AccountId;

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::hotkeys::ensure_owner;
use crate::state::State;
use crate::storage::Hotkeys;

/// become_delegate: kept for clients; every hotkey already is a delegate at its take.
pub fn become_delegate(st: &mut State<'_>, coldkey: &AccountId, hotkey: &AccountId) -> Result<()> {
    let info = ensure_owner(st, coldkey, hotkey)?;
    st.emit(Event::TakeSet {
        hotkey: *hotkey,
        take: info.take,
    });
    Ok(())
}

/// increase_take: take must rise, stay ≤ max, and wait out the rate limit.
pub fn increase_take(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
    take: u16,
) -> Result<()> {
    let mut info = ensure_owner(st, coldkey, hotkey)?;
    let p = st.params()?;
    if take <= info.take {
        return Err(ChainError::DelegateTakeTooLow(take));
    }
    if take > p.max_delegate_take {
        return Err(ChainError::DelegateTakeTooHigh(take));
    }
    let now = st.block();
    if info.last_take_increase > 0 {
        let at = info
            .last_take_increase
            .saturating_add(p.delegate_take_rate_limit);
        if now < at {
            return Err(ChainError::DelegateTxRateLimitExceeded(at));
        }
    }
    info.take = take;
    info.last_take_increase = now.max(1);
    st.put::<Hotkeys>(hotkey, &info)?;
    st.emit(Event::TakeSet {
        hotkey: *hotkey,
        take,
    });
    Ok(())
}

/// decrease_take: take must fall and stay ≥ min.
pub fn decrease_take(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
    take: u16,
) -> Result<()> {
    let mut info = ensure_owner(st, coldkey, hotkey)?;
    let p = st.params()?;
    if take >= info.take || take < p.min_delegate_take {
        return Err(ChainError::DelegateTakeTooLow(take));
    }
    info.take = take;
    st.put::<Hotkeys>(hotkey, &info)?;
    st.emit(Event::TakeSet {
        hotkey: *hotkey,
        take,
    });
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn take_rules() {
        let mut t = TestChain::new();
        let (ck, hk) = (acct(1), acct(2));
        t.with(|st| crate::hotkeys::ensure_hotkey(st, &ck, &hk).map(|_| ()))
            .unwrap();
        // default = max = 11796
        let e = t
            .with(|st| increase_take(st, &ck, &hk, 11_797))
            .unwrap_err();
        assert_eq!(e, ChainError::DelegateTakeTooHigh(11_797));
        t.with(|st| decrease_take(st, &ck, &hk, 5_000)).unwrap();
        let e = t.with(|st| decrease_take(st, &ck, &hk, 6_000)).unwrap_err();
        assert_eq!(e, ChainError::DelegateTakeTooLow(6_000));
        let e = t
            .with(|st| increase_take(st, &ck, &hk, 12_000))
            .unwrap_err();
        assert_eq!(e, ChainError::DelegateTakeTooHigh(12_000));
        t.set_block(10);
        t.with(|st| increase_take(st, &ck, &hk, 6_000)).unwrap();
        let e = t.with(|st| increase_take(st, &ck, &hk, 7_000)).unwrap_err();
        assert_eq!(e, ChainError::DelegateTxRateLimitExceeded(216_010));
        let e = t
            .with(|st| decrease_take(st, &acct(9), &hk, 1))
            .unwrap_err();
        assert_eq!(e, ChainError::NonAssociatedColdKey);
    }
}
