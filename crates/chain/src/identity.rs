//! Coldkey identities (set_identity): a name and links shown by explorers and btcli. Only a
//! coldkey that owns a registered hotkey may set one; each field is at most 256 bytes.

use types::AccountId;

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::schema::ChainIdentity;
use crate::state::State;
use crate::storage::{Coldkeys, Hotkeys};

/// Longest identity field.
pub const MAX_FIELD: usize = 256;

/// set_identity, signed by the coldkey.
pub fn set_identity(
    st: &mut State<'_>,
    coldkey: &AccountId,
    identity: ChainIdentity,
) -> Result<()> {
    let mut ck = st.get_or_default::<Coldkeys>(coldkey)?;
    let mut registered = false;
    for hk in &ck.owned_hotkeys {
        if st
            .get::<Hotkeys>(hk)?
            .is_some_and(|h| !h.registered_on.is_empty())
        {
            registered = true;
            break;
        }
    }
    if !registered {
        return Err(ChainError::HotKeyNotRegisteredInNetwork(
            types::NetUid::ROOT,
        ));
    }
    let fields: [(&str, &Vec<u8>); 7] = [
        ("name", &identity.name),
        ("url", &identity.url),
        ("github_repo", &identity.github_repo),
        ("image", &identity.image),
        ("discord", &identity.discord),
        ("description", &identity.description),
        ("additional", &identity.additional),
    ];
    for (name, value) in fields {
        if value.len() > MAX_FIELD {
            return Err(ChainError::InvalidIdentity(name.into()));
        }
    }
    ck.identity = Some(identity);
    st.put::<Coldkeys>(coldkey, &ck)?;
    st.emit(Event::IdentitySet { coldkey: *coldkey });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn only_registered_owners_with_short_fields() {
        let mut t = TestChain::with_subnet(10 * types::RAO_PER_TAO, 10 * types::RAO_PER_TAO);
        let id = ChainIdentity {
            name: b"me".to_vec(),
            ..Default::default()
        };
        let e = t
            .with(|st| set_identity(st, &acct(9), id.clone()))
            .unwrap_err();
        assert!(matches!(e, ChainError::HotKeyNotRegisteredInNetwork(_)));
        // acct(100) owns the subnet's owner hotkey (uid 0)
        t.with(|st| set_identity(st, &acct(100), id.clone()))
            .unwrap();
        assert_eq!(
            t.read(|st| st.get_or_default::<Coldkeys>(&acct(100)))
                .identity,
            Some(id)
        );
        let long = ChainIdentity {
            url: vec![0; 300],
            ..Default::default()
        };
        let e = t.with(|st| set_identity(st, &acct(100), long)).unwrap_err();
        assert_eq!(e, ChainError::InvalidIdentity("url".into()));
    }
}
