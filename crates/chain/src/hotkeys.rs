//! Hotkeys: the link from a hotkey to the coldkey that owns it (made at its first
//! registration or stake target), and ownership checks.

use types::AccountId;

use crate::error::{ChainError, Result};
use crate::schema::HotkeyInfo;
use crate::state::State;
use crate::storage::{Coldkeys, Hotkeys};

/// The hotkey's record, or `HotKeyAccountNotExists`.
pub fn hotkey(st: &State<'_>, hotkey: &AccountId) -> Result<HotkeyInfo> {
    st.get::<Hotkeys>(hotkey)?
        .ok_or(ChainError::HotKeyAccountNotExists)
}

/// Links `hotkey` to `coldkey` if it is new; fails if another coldkey owns it.
pub fn ensure_hotkey(
    st: &mut State<'_>,
    coldkey: &AccountId,
    hotkey: &AccountId,
) -> Result<HotkeyInfo> {
    if let Some(info) = st.get::<Hotkeys>(hotkey)? {
        if info.owner != *coldkey {
            return Err(ChainError::NonAssociatedColdKey);
        }
        return Ok(info);
    }
    let info = HotkeyInfo {
        owner: *coldkey,
        take: st.params()?.max_delegate_take,
        last_take_increase: 0,
        registered_on: Vec::new(),
    };
    st.put::<Hotkeys>(hotkey, &info)?;
    let mut ck = st.get_or_default::<Coldkeys>(coldkey)?;
    if !ck.owned_hotkeys.contains(hotkey) {
        ck.owned_hotkeys.push(*hotkey);
    }
    st.put::<Coldkeys>(coldkey, &ck)?;
    Ok(info)
}

/// Fails unless `coldkey` owns `hotkey`.
pub fn ensure_owner(
    st: &State<'_>,
    coldkey: &AccountId,
    hotkey_id: &AccountId,
) -> Result<HotkeyInfo> {
    let info = hotkey(st, hotkey_id)?;
    if info.owner != *coldkey {
        return Err(ChainError::NonAssociatedColdKey);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn first_use_links_the_hotkey_to_its_coldkey() {
        let mut t = TestChain::new();
        let (ck, other, hk) = (acct(1), acct(2), acct(3));
        let info = t.with(|st| ensure_hotkey(st, &ck, &hk)).unwrap();
        assert_eq!(info.owner, ck);
        assert_eq!(info.take, 11_796);
        // idempotent for the owner, refused for anyone else
        t.with(|st| ensure_hotkey(st, &ck, &hk)).unwrap();
        assert_eq!(
            t.with(|st| ensure_hotkey(st, &other, &hk)).unwrap_err(),
            ChainError::NonAssociatedColdKey
        );
        assert_eq!(
            t.with(|st| ensure_owner(st, &other, &hk)).unwrap_err(),
            ChainError::NonAssociatedColdKey
        );
        assert_eq!(
            t.with(|st| hotkey(st, &acct(9))).unwrap_err(),
            ChainError::HotKeyAccountNotExists
        );
        let owned = t
            .read(|st| st.get_or_default::<Coldkeys>(&ck))
            .owned_hotkeys;
        assert_eq!(owned, vec![hk]);
    }
}
