//! Exact money amounts. Prices are never floats.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// A non-negative amount of US dollars with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Money(Decimal);

/// Why an amount is not acceptable as money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal number.
    #[error("an amount must be a decimal number such as \"1.15\"")]
    NotDecimal,
    /// The amount is below zero.
    #[error("an amount cannot be negative")]
    Negative,
    /// The amount has more than four decimal places or is too large to store.
    #[error("an amount must have at most 4 decimal places and be below 100000000")]
    OutOfRange,
}

impl Money {
    /// Largest number of decimal places kept.
    pub const MAX_SCALE: u32 = 4;

    /// Checks and wraps a decimal amount.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] below zero; [`MoneyError::OutOfRange`] with more than four
    /// decimal places (after dropping trailing zeros) or 10^8 and above.
    pub fn new(amount: Decimal) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let amount = amount.normalize();
        if amount.scale() > Self::MAX_SCALE || amount >= Decimal::from(100_000_000_u32) {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Self(amount))
    }

    /// The decimal value.
    #[must_use]
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The amount as prices are shown: at least two decimal places (`2.00`, `1.15`,
    /// `0.0075`).
    #[must_use]
    pub fn shown(self) -> Decimal {
        let mut shown = self.0;
        if shown.scale() < 2 {
            shown.rescale(2);
        }
        shown
    }

    /// Zero dollars.
    #[must_use]
    pub fn zero() -> Self {
        Self(Decimal::ZERO)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let amount = Decimal::from_str_exact(s.trim()).map_err(|_| MoneyError::NotDecimal)?;
        Self::new(amount)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shown().fmt(f)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let amount = <Decimal as serde::Deserialize>::deserialize(deserializer)?;
        Self::new(amount).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_amounts_and_shows_two_decimals() {
        assert_eq!(
            "1.15".parse::<Money>().map(|m| m.to_string()),
            Ok("1.15".into())
        );
        assert_eq!(
            "2".parse::<Money>().map(|m| m.to_string()),
            Ok("2.00".into())
        );
        assert_eq!(
            "0.0075".parse::<Money>().map(|m| m.to_string()),
            Ok("0.0075".into())
        );
        assert_eq!("1.1500".parse::<Money>(), "1.15".parse::<Money>());
    }

    #[test]
    fn refuses_negative_overly_precise_or_malformed_amounts() {
        assert_eq!("-1".parse::<Money>(), Err(MoneyError::Negative));
        assert_eq!("0.00001".parse::<Money>(), Err(MoneyError::OutOfRange));
        assert_eq!("100000000".parse::<Money>(), Err(MoneyError::OutOfRange));
        assert_eq!("1,15".parse::<Money>(), Err(MoneyError::NotDecimal));
        assert_eq!("NaN".parse::<Money>(), Err(MoneyError::NotDecimal));
    }
}
