//! Free TAO balances: transfers with the 500-rao existential deposit, and the internal
//! withdraw/deposit used by every other module, plus the issuance bookkeeping for minting,
//! recycling (issuance goes down) and burning (issuance counter unchanged).

use types::{AccountId, TaoBalance};

use crate::error::{ChainError, Result, overflow};
use crate::events::Event;
use crate::state::State;

/// The smallest balance an account may hold (smaller remainders are recycled).
pub const EXISTENTIAL_DEPOSIT: TaoBalance = TaoBalance::from_rao(500);

/// The free balance of `who`.
pub fn free(st: &State<'_>, who: &AccountId) -> Result<TaoBalance> {
    Ok(st.account(who)?.free)
}

/// Takes `amount` from `who`. With `keep_alive` the account must keep at least the existential
/// deposit; otherwise a remainder below it is recycled and the account emptied.
pub fn withdraw(
    st: &mut State<'_>,
    who: &AccountId,
    amount: TaoBalance,
    keep_alive: bool,
) -> Result<()> {
    let mut acc = st.account(who)?;
    let rest = acc
        .free
        .checked_sub(amount)
        .ok_or(ChainError::InsufficientBalance {
            needed: amount.rao(),
            available: acc.free.rao(),
        })?;
    if !rest.is_zero() && rest < EXISTENTIAL_DEPOSIT {
        if keep_alive {
            return Err(ChainError::ExistentialDeposit);
        }
        recycle(st, rest)?;
        st.emit(Event::DustLost {
            who: *who,
            amount: rest,
        });
        acc.free = TaoBalance::ZERO;
    } else if keep_alive && rest.is_zero() && !amount.is_zero() {
        return Err(ChainError::ExistentialDeposit);
    } else {
        acc.free = rest;
    }
    st.put_account(who, &acc)
}

/// Credits `amount` to `who` (internal credits are never refused).
pub fn deposit(st: &mut State<'_>, who: &AccountId, amount: TaoBalance) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut acc = st.account(who)?;
    acc.free = acc
        .free
        .checked_add(amount)
        .ok_or_else(|| overflow("deposit"))?;
    st.put_account(who, &acc)
}

/// A user transfer. The receiver must end at or above the existential deposit.
pub fn transfer(
    st: &mut State<'_>,
    from: &AccountId,
    to: &AccountId,
    amount: TaoBalance,
    keep_alive: bool,
) -> Result<()> {
    if from == to {
        // Nothing moves, but the sender must still hold the amount.
        let free = free(st, from)?;
        if free < amount {
            return Err(ChainError::InsufficientBalance {
                needed: amount.rao(),
                available: free.rao(),
            });
        }
        return Ok(());
    }
    let to_free = free(st, to)?;
    if to_free.saturating_add(amount) < EXISTENTIAL_DEPOSIT {
        return Err(ChainError::ExistentialDeposit);
    }
    withdraw(st, from, amount, keep_alive)?;
    deposit(st, to, amount)?;
    st.emit(Event::Transfer {
        from: *from,
        to: *to,
        amount,
    });
    Ok(())
}

/// Transfers everything (or everything above the existential deposit with `keep_alive`).
pub fn transfer_all(
    st: &mut State<'_>,
    from: &AccountId,
    to: &AccountId,
    keep_alive: bool,
) -> Result<()> {
    let free = free(st, from)?;
    let amount = if keep_alive {
        free.saturating_sub(EXISTENTIAL_DEPOSIT)
    } else {
        free
    };
    transfer(st, from, to, amount, keep_alive)
}

/// Records newly minted TAO (it must be credited somewhere by the caller).
pub fn note_minted(st: &mut State<'_>, amount: TaoBalance) -> Result<()> {
    let mut t = st.totals()?;
    t.total_issuance = t
        .total_issuance
        .checked_add(amount)
        .ok_or_else(|| overflow("issuance"))?;
    st.put_totals(&t)
}

/// Records TAO destroyed with issuance reduced (it must already be debited by the caller).
pub fn recycle(st: &mut State<'_>, amount: TaoBalance) -> Result<()> {
    let mut t = st.totals()?;
    t.total_issuance = t.total_issuance.saturating_sub(amount);
    st.put_totals(&t)
}

/// Records TAO destroyed without touching the issuance counter.
pub fn burn(st: &mut State<'_>, amount: TaoBalance) -> Result<()> {
    let mut t = st.totals()?;
    t.burned = t
        .burned
        .checked_add(amount)
        .ok_or_else(|| overflow("burned"))?;
    st.put_totals(&t)
}

/// Pays fees and tips to the block author; without an author they are recycled.
pub fn pay_author(st: &mut State<'_>, amount: TaoBalance) -> Result<()> {
    match st.env().author {
        Some(author) => deposit(st, &author, amount),
        None => recycle(st, amount),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn transfer_moves_and_emits() {
        let mut t = TestChain::new();
        let (a, b) = (acct(1), acct(2));
        t.fund(&a, 1_000_000);
        t.with(|st| transfer(st, &a, &b, TaoBalance::from_rao(400_000), true))
            .unwrap();
        assert_eq!(t.free(&a), 600_000);
        assert_eq!(t.free(&b), 400_000);
    }

    #[test]
    fn existential_deposit_rules() {
        let mut t = TestChain::new();
        let (a, b) = (acct(1), acct(2));
        t.fund(&a, 10_000);
        // new account below ED
        let e = t
            .with(|st| transfer(st, &a, &b, TaoBalance::from_rao(499), false))
            .unwrap_err();
        assert_eq!(e, ChainError::ExistentialDeposit);
        // keep-alive cannot empty or leave dust
        let e = t
            .with(|st| transfer(st, &a, &b, TaoBalance::from_rao(9_800), true))
            .unwrap_err();
        assert_eq!(e, ChainError::ExistentialDeposit);
        let e = t
            .with(|st| transfer(st, &a, &b, TaoBalance::from_rao(10_000), true))
            .unwrap_err();
        assert_eq!(e, ChainError::ExistentialDeposit);
        // allow-death leaves dust: recycled
        let issuance = t.totals().total_issuance.rao();
        t.with(|st| transfer(st, &a, &b, TaoBalance::from_rao(9_800), false))
            .unwrap();
        assert_eq!(t.free(&a), 0);
        assert_eq!(t.free(&b), 9_800);
        assert_eq!(t.totals().total_issuance.rao(), issuance - 200);
    }

    #[test]
    fn insufficient_balance_is_typed() {
        let mut t = TestChain::new();
        let (a, b) = (acct(1), acct(2));
        t.fund(&a, 1_000);
        let e = t
            .with(|st| transfer(st, &a, &b, TaoBalance::from_rao(5_000), false))
            .unwrap_err();
        assert_eq!(
            e,
            ChainError::InsufficientBalance {
                needed: 5_000,
                available: 1_000
            }
        );
    }

    #[test]
    fn transfer_all_keep_alive_leaves_ed() {
        let mut t = TestChain::new();
        let (a, b) = (acct(1), acct(2));
        t.fund(&a, 10_000);
        t.with(|st| transfer_all(st, &a, &b, true)).unwrap();
        assert_eq!(t.free(&a), 500);
        assert_eq!(t.free(&b), 9_500);
    }
}
