//! The scenario: what was sold, when, and how to model it. TOML and CLI flags build the same struct.

use crate::BacktestError;
use blocksale_core::{Side, Timestamp};
use serde::{Deserialize, Serialize};

/// A disclosed (or hypothetical) block sale and how to analyse it.
///
/// Deserialised from TOML with unknown keys rejected; [`Scenario::validate`] checks ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; also the default output folder `notebooks-exports/<name>/`.
    pub name: String,
    /// One-line description for titles and memos.
    #[serde(default)]
    pub description: String,
    /// Sell or buy.
    pub side: Side,
    /// Size of the block, BTC.
    pub size_btc: f64,
    /// Start of the sale window (UTC, inclusive).
    pub start: Timestamp,
    /// End of the sale window (UTC, exclusive).
    pub end: Timestamp,
    /// Disclosed proceeds (sale) or cost (purchase) in USD, if public.
    #[serde(default)]
    pub disclosed_proceeds_usd: Option<f64>,
    /// Asset the sale settled in (e.g. "USDT").
    #[serde(default)]
    pub settlement: Option<String>,
    /// Where the statements about the sale come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Price levels to draw (e.g. 60000 "support").
    #[serde(default)]
    pub reference_levels: Vec<ReferenceLevel>,
    /// Data files, relative to the data directory.
    pub data: DataSpec,
    /// How the market state is measured.
    #[serde(default)]
    pub market: MarketSpec,
    /// Models to run, in output order.
    #[serde(default = "default_models")]
    pub models: Vec<ModelSpec>,
}

/// A horizontal price level to draw and label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceLevel {
    /// Price, USD.
    pub price_usd: f64,
    /// Label, e.g. "support".
    pub label: String,
}

/// Which files give the prices and volumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Files or directories with bars, relative to the data directory.
    pub price: Vec<String>,
    /// Venue label for the source line and the volume caveat.
    pub venue: String,
}

/// How the market state before the sale is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketSpec {
    /// Length of the calibration window before the sale day, days (default 30).
    pub calibration_days: u32,
    /// Days of observed prices shown before the window start and after its end (default 3).
    pub context_days: u32,
    /// Which average daily volume the models use as V (default `all`).
    pub volume_basis: VolumeBasis,
}

impl Default for MarketSpec {
    fn default() -> Self {
        Self {
            calibration_days: 30,
            context_days: 3,
            volume_basis: VolumeBasis::All,
        }
    }
}

/// Which days form the average daily volume V.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeBasis {
    /// Every UTC day of the calibration window.
    All,
    /// Saturdays and Sundays only: the liquidity a weekend sale meets.
    Weekend,
}

/// One model to run, with its parameters (defaults from SCIENCE.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase", deny_unknown_fields)]
pub enum ModelSpec {
    /// Square-root / power law `Y sigma (Q/V)^delta`.
    Sqrt {
        /// Prefactor, default 0.9.
        #[serde(default = "default_y")]
        y: f64,
        /// Exponent, default 0.5.
        #[serde(default = "default_delta")]
        delta: f64,
    },
    /// Linear in participation `k sigma Q/V`.
    Linear {
        /// Prefactor, default 1.
        #[serde(default = "default_k")]
        k: f64,
    },
}

fn default_y() -> f64 {
    0.9
}
fn default_delta() -> f64 {
    0.5
}
fn default_k() -> f64 {
    1.0
}
fn default_models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::Sqrt { y: 0.9, delta: 0.5 },
        ModelSpec::Linear { k: 1.0 },
    ]
}

impl ModelSpec {
    /// Build the impact model.
    ///
    /// # Errors
    /// [`BacktestError::Impact`] when a parameter is out of range.
    pub fn build(&self) -> Result<Box<dyn blocksale_impact::ImpactModel>, BacktestError> {
        use blocksale_impact::models::{Linear, PowerLaw};
        Ok(match *self {
            ModelSpec::Sqrt { y, delta } => Box::new(PowerLaw::new_checked(y, delta)?),
            ModelSpec::Linear { k } => Box::new(Linear::new_checked(k)?),
        })
    }
}

fn bad(key: &str, value: impl ToString, expected: &str) -> BacktestError {
    BacktestError::Scenario {
        key: key.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

impl Scenario {
    /// Check every range the types cannot express.
    ///
    /// # Errors
    /// [`BacktestError::Scenario`] naming the key, the value and what is allowed.
    pub fn validate(&self) -> Result<(), BacktestError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(
                "name",
                format!("{:?}", self.name),
                "letters, digits, '-', '_' or '.' (it names a folder)",
            ));
        }
        if !(self.size_btc.is_finite() && self.size_btc > 0.0) {
            return Err(bad("size_btc", self.size_btc, "a finite number of BTC > 0"));
        }
        if self.end <= self.start {
            return Err(bad(
                "end",
                self.end,
                &format!("a time after start ({})", self.start),
            ));
        }
        if let Some(p) = self.disclosed_proceeds_usd {
            if !(p.is_finite() && p > 0.0) {
                return Err(bad(
                    "disclosed_proceeds_usd",
                    p,
                    "a finite amount of USD > 0",
                ));
            }
        }
        for (i, r) in self.reference_levels.iter().enumerate() {
            if !(r.price_usd.is_finite() && r.price_usd > 0.0) {
                return Err(bad(
                    &format!("reference_levels[{i}].price_usd"),
                    r.price_usd,
                    "a price > 0",
                ));
            }
        }
        if self.data.price.is_empty() {
            return Err(bad("data.price", "[]", "at least one file or directory"));
        }
        if !(2..=3650).contains(&self.market.calibration_days) {
            return Err(bad(
                "market.calibration_days",
                self.market.calibration_days,
                "2 to 3650 days",
            ));
        }
        if self.market.context_days > 365 {
            return Err(bad(
                "market.context_days",
                self.market.context_days,
                "0 to 365 days",
            ));
        }
        if self.models.is_empty() {
            return Err(bad("models", "[]", "at least one model"));
        }
        for (i, m) in self.models.iter().enumerate() {
            m.build()
                .map_err(|e| bad(&format!("models[{i}]"), format!("{m:?}"), &e.to_string()))?;
        }
        Ok(())
    }

    /// Disclosed average price per BTC, if proceeds are disclosed.
    pub fn implied_avg_price_usd(&self) -> Option<f64> {
        self.disclosed_proceeds_usd.map(|p| p / self.size_btc)
    }

    /// A small valid scenario (the Cango sale without data files), for examples and tests.
    pub fn example() -> Self {
        Scenario {
            name: "example".into(),
            description: "example sale".into(),
            side: Side::Sell,
            size_btc: 4451.0,
            start: Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").expect("valid"),
            end: Timestamp::parse_rfc3339("2026-02-09T00:00:00Z").expect("valid"),
            disclosed_proceeds_usd: Some(305e6),
            settlement: Some("USDT".into()),
            sources: vec![],
            reference_levels: vec![ReferenceLevel {
                price_usd: 60_000.0,
                label: "support".into(),
            }],
            data: DataSpec {
                price: vec!["bars.csv".into()],
                venue: "synthetic".into(),
            },
            market: MarketSpec::default(),
            models: default_models(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_key_and_value() {
        let mut s = Scenario::example();
        s.size_btc = -3.0;
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "scenario key `size_btc` = -3: expected a finite number of BTC > 0"
        );
        let mut s = Scenario::example();
        s.end = s.start;
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("scenario key `end` = 2026-02-07T00:00:00Z"));
        let mut s = Scenario::example();
        s.models = vec![ModelSpec::Sqrt { y: 0.9, delta: 2.0 }];
        assert!(s.validate().unwrap_err().to_string().contains("models[0]"));
        let mut s = Scenario::example();
        s.name = "../x".into();
        assert!(s.validate().is_err());
        assert!(Scenario::example().validate().is_ok());
    }

    #[test]
    fn implied_price() {
        let p = Scenario::example().implied_avg_price_usd().unwrap();
        assert!((p - 68_524.0).abs() < 1.0, "{p}");
    }
}
