//! Balances in rao: [`TaoBalance`] and [`AlphaBalance`].
//!
//! Amounts are whole numbers of rao (1 TAO = 10^9 rao), kept in a `u64`. Arithmetic is checked
//! or saturating only, so nothing ever wraps. Parsing and display go through decimal strings with
//! exactly nine places, never through floats, so `1.5` is exactly 1_500_000_000 rao.

use crate::Error;
use core::fmt;
use core::str::FromStr;
use parity_scale_codec::{Decode, Encode, MaxEncodedLen};
use serde::{Deserialize, Serialize};

/// Rao in one TAO (and in one alpha).
pub const RAO_PER_TAO: u64 = 1_000_000_000;

/// Decimal places of one rao.
const DECIMALS: usize = 9;

/// Parses a decimal amount such as `1.5`, `0.000000001` or `τ12` into rao, exactly.
fn parse_rao(input: &str, symbol: char) -> Result<u64, Error> {
    let trimmed = input.trim();
    let unsigned = trimmed.strip_prefix(symbol).unwrap_or(trimmed).trim_start();
    if unsigned.is_empty() {
        return Err(Error::EmptyAmount);
    }
    let invalid = || Error::InvalidAmount {
        input: input.to_owned(),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (unsigned, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(invalid());
    }
    if fraction.len() > DECIMALS {
        return Err(Error::TooManyDecimals {
            input: input.to_owned(),
            decimals: fraction.len(),
        });
    }
    let overflow = || Error::AmountOverflow {
        input: input.to_owned(),
    };
    let whole_rao = if whole.is_empty() {
        0
    } else {
        whole
            .parse::<u64>()
            .map_err(|_| overflow())?
            .checked_mul(RAO_PER_TAO)
            .ok_or_else(overflow)?
    };
    // Right-pad the fraction to nine digits: "5" means 500_000_000 rao.
    let mut fraction_rao: u64 = 0;
    for position in 0..DECIMALS {
        let digit = fraction
            .as_bytes()
            .get(position)
            .map_or(0, |b| b.saturating_sub(b'0'));
        fraction_rao = fraction_rao
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or_else(invalid)?;
    }
    whole_rao.checked_add(fraction_rao).ok_or_else(overflow)
}

/// Writes `rao` as `whole.nnnnnnnnn`.
fn write_rao(f: &mut fmt::Formatter<'_>, rao: u64) -> fmt::Result {
    let whole = rao.checked_div(RAO_PER_TAO).unwrap_or(0);
    let fraction = rao.checked_rem(RAO_PER_TAO).unwrap_or(0);
    write!(f, "{whole}.{fraction:09}")
}

macro_rules! balance_type {
    ($(#[$meta:meta])* $name:ident, $symbol:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default,
            Encode, Decode, MaxEncodedLen, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// The largest amount.
            pub const MAX: Self = Self(u64::MAX);
            /// The unit's symbol as btcli prints it.
            pub const SYMBOL: char = $symbol;

            /// An amount of `rao`.
            pub const fn from_rao(rao: u64) -> Self {
                Self(rao)
            }

            /// `whole` full units (10^9 rao each), or `None` on overflow.
            pub const fn from_whole(whole: u64) -> Option<Self> {
                match whole.checked_mul(RAO_PER_TAO) {
                    Some(rao) => Some(Self(rao)),
                    None => None,
                }
            }

            /// The amount in rao.
            pub const fn rao(self) -> u64 {
                self.0
            }

            /// Whether the amount is zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// Parses a decimal amount such as `1.5` (an optional leading symbol is accepted).
            pub fn parse_decimal(input: &str) -> Result<Self, Error> {
                parse_rao(input, $symbol).map(Self)
            }

            /// `self + other`, or `None` on overflow.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            /// `self - other`, or `None` if `other` is larger.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }

            /// `self * factor`, or `None` on overflow.
            pub fn checked_mul(self, factor: u64) -> Option<Self> {
                self.0.checked_mul(factor).map(Self)
            }

            /// `self / divisor` rounded down, or `None` when dividing by zero.
            pub fn checked_div(self, divisor: u64) -> Option<Self> {
                self.0.checked_div(divisor).map(Self)
            }

            /// `self + other`, clamped at the maximum.
            pub fn saturating_add(self, other: Self) -> Self {
                Self(self.0.saturating_add(other.0))
            }

            /// `self - other`, clamped at zero.
            pub fn saturating_sub(self, other: Self) -> Self {
                Self(self.0.saturating_sub(other.0))
            }

            /// The amount as a decimal string without the symbol, e.g. `1.500000000`.
            pub fn to_decimal_string(self) -> String {
                struct Plain(u64);
                impl fmt::Display for Plain {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write_rao(f, self.0)
                    }
                }
                Plain(self.0).to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", $symbol)?;
                write_rao(f, self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(input: &str) -> Result<Self, Error> {
                Self::parse_decimal(input)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> u64 {
                value.0
            }
        }
    };
}

balance_type!(
    /// An amount of TAO, in rao. Displays as `τ1.500000000`.
    TaoBalance,
    'τ'
);

balance_type!(
    /// An amount of a subnet's alpha token, in rao. Displays as `α12.000000000`.
    AlphaBalance,
    'α'
);

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_like_btcli() {
        assert_eq!(
            TaoBalance::from_rao(1_500_000_000).to_string(),
            "τ1.500000000"
        );
        assert_eq!(
            AlphaBalance::from_rao(12_000_000_000).to_string(),
            "α12.000000000"
        );
        assert_eq!(TaoBalance::from_rao(1).to_string(), "τ0.000000001");
        assert_eq!(TaoBalance::MAX.to_string(), "τ18446744073.709551615");
        assert_eq!(TaoBalance::from_rao(42).to_decimal_string(), "0.000000042");
    }

    #[test]
    fn parses_exactly() {
        let tao = |s| TaoBalance::parse_decimal(s).map(TaoBalance::rao);
        assert_eq!(tao("1.5"), Ok(1_500_000_000));
        assert_eq!(tao("0.000000001"), Ok(1));
        assert_eq!(tao("τ2"), Ok(2_000_000_000));
        assert_eq!(tao(" 3. "), Ok(3_000_000_000));
        assert_eq!(tao(".25"), Ok(250_000_000));
        assert_eq!(tao("0.1"), Ok(100_000_000)); // no float rounding: 0.1 is exact
        assert_eq!(tao("18446744073.709551615"), Ok(u64::MAX));
        assert_eq!(
            "α7".parse::<AlphaBalance>().map(AlphaBalance::rao),
            Ok(7_000_000_000)
        );
    }

    #[test]
    fn rejects_bad_amounts_with_a_reason() {
        let err = |s| TaoBalance::parse_decimal(s).unwrap_err();
        assert_eq!(err(""), Error::EmptyAmount);
        assert!(matches!(
            err("1.0000000001"),
            Error::TooManyDecimals { decimals: 10, .. }
        ));
        assert!(matches!(
            err("18446744073.709551616"),
            Error::AmountOverflow { .. }
        ));
        assert!(matches!(
            err("99999999999999999999"),
            Error::AmountOverflow { .. }
        ));
        for bad in ["-1", "1e9", "1,5", ".", "abc", "1.2.3", "+1", "α1", "0x10"] {
            assert!(matches!(err(bad), Error::InvalidAmount { .. }), "{bad}");
        }
        assert!(err("1.0000000001").to_string().contains("at most 9"));
    }

    #[test]
    fn arithmetic_is_checked() {
        let one = TaoBalance::from_whole(1).unwrap();
        assert_eq!(one.checked_add(one), TaoBalance::from_whole(2));
        assert_eq!(TaoBalance::ZERO.checked_sub(one), None);
        assert_eq!(TaoBalance::MAX.checked_add(one), None);
        assert_eq!(TaoBalance::MAX.saturating_add(one), TaoBalance::MAX);
        assert_eq!(TaoBalance::ZERO.saturating_sub(one), TaoBalance::ZERO);
        assert_eq!(one.checked_div(0), None);
        assert_eq!(one.checked_mul(3).map(TaoBalance::rao), Some(3_000_000_000));
        assert_eq!(TaoBalance::from_whole(u64::MAX), None);
    }

    #[test]
    fn codecs() {
        let b = TaoBalance::from_rao(0x0102);
        assert_eq!(b.encode(), vec![2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(TaoBalance::decode(&mut &b.encode()[..]).unwrap(), b);
        assert_eq!(serde_json::to_string(&b).unwrap(), "258");
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(rao in any::<u64>()) {
            let b = AlphaBalance::from_rao(rao);
            prop_assert_eq!(b.to_string().parse::<AlphaBalance>(), Ok(b));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = TaoBalance::parse_decimal(&s);
        }
    }
}
