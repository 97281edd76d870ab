//! Units carried in types: a quantity in BTC, an amount in USD, a cost in basis points.

use crate::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Direction of a metaorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Selling pushes the price down: impact is a negative price move.
    Sell,
    /// Buying pushes the price up.
    Buy,
}

impl Side {
    /// -1 for a sale, +1 for a purchase: the sign of the expected price move.
    pub fn sign(self) -> f64 {
        match self {
            Side::Sell => -1.0,
            Side::Buy => 1.0,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Sell => "sell",
            Side::Buy => "buy",
        })
    }
}

macro_rules! unit {
    ($(#[$m:meta])* $name:ident, $what:literal, $suffix:literal, nonneg = $nonneg:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            /// Checked constructor: finite, and non-negative where the unit requires it.
            ///
            /// # Errors
            /// [`CoreError::InvalidValue`] for NaN, infinities or a forbidden negative value.
            pub fn new_checked(v: f64) -> Result<Self, CoreError> {
                if !v.is_finite() || ($nonneg && v < 0.0) {
                    return Err(CoreError::InvalidValue {
                        what: $what,
                        value: v.to_string(),
                        expected: if $nonneg { "finite and >= 0" } else { "finite" },
                    });
                }
                Ok(Self(v))
            }

            /// The raw value.
            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl TryFrom<f64> for $name {
            type Error = CoreError;
            fn try_from(v: f64) -> Result<Self, CoreError> {
                Self::new_checked(v)
            }
        }

        impl From<$name> for f64 {
            fn from(v: $name) -> f64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $suffix)
            }
        }
    };
}

unit!(
    /// A quantity of bitcoin.
    Btc, "size in BTC", "BTC", nonneg = true
);
unit!(
    /// An amount in US dollars (USDT treated at par).
    Usd, "amount in USD", "USD", nonneg = false
);
unit!(
    /// Basis points: 1 bp = 1e-4 as a fraction.
    Bps, "value in bps", "bp", nonneg = false
);

impl Bps {
    /// From a fraction (0.01 -> 100 bp).
    pub fn from_fraction(f: f64) -> Result<Self, CoreError> {
        Self::new_checked(f * 1e4)
    }

    /// As a fraction.
    pub fn fraction(self) -> f64 {
        self.0 * 1e-4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked() {
        assert!(Btc::new_checked(-1.0).is_err());
        assert!(Btc::new_checked(f64::NAN).is_err());
        assert_eq!(Btc::new_checked(4451.0).unwrap().get(), 4451.0);
        assert!(Usd::new_checked(-5.0).is_ok());
        assert_eq!(Bps::from_fraction(0.0104).unwrap().get(), 104.0);
        let e = serde_json_like("-3");
        assert!(e.is_err());
    }

    fn serde_json_like(v: &str) -> Result<Btc, CoreError> {
        Btc::new_checked(v.parse::<f64>().unwrap())
    }

    #[test]
    fn side_sign() {
        assert_eq!(Side::Sell.sign(), -1.0);
        assert_eq!(Side::Buy.to_string(), "buy");
    }
}
