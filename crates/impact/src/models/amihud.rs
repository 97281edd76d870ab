use super::registry::positive_key;
use super::{
    BuildContext, BuiltModel, ConstantRate, CumulativeLaw, Decay, ImpactModel, ModelEntry,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Amihud's illiquidity as a naive linear impact benchmark.
///
/// ```text
/// I(q) = ILLIQ * q * P
/// ```
///
/// * `ILLIQ`: Amihud's illiquidity, the mean of `|R_d| / dollar_volume_d` over days, per USD
///   (`blocksale estimate` reports it as `illiq_per_usd`); `> 0`.
/// * `q`: cumulative quantity sold, BTC; `P`: the price the sale is valued at, USD per BTC, so
///   `q * P` is the dollar amount sold and `I` a fraction of the price.
///
/// The price move per dollar traded is read off daily returns and volumes, with no model of how a
/// sale is absorbed: a benchmark, not a metaorder law (it is linear in the size, so it overstates
/// the impact of large sales where the square root holds). The average cost of the fills is
/// `I(Q)/2`; after the sale the impact follows the [`Decay`] rule (default: stays).
///
/// # References
/// * Amihud 2002, "Illiquidity and stock returns: cross-section and time-series effects",
///   Journal of Financial Markets 5(1), eq. (1).
/// * blocksale docs/methods.md §12 (the naive linear benchmark `dP/P = ILLIQ * Q * P`), §8 (ILLIQ)
///   and test vector T7 (§27; |r| = 2 %, dollar volume 2e9 USD: ILLIQ = 1e-11 per USD).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amihud {
    illiq_per_usd: f64,
    price_usd: f64,
    decay: Decay,
}

impl Amihud {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless both are finite and > 0.
    pub fn new_checked(illiq_per_usd: f64, price_usd: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            illiq_per_usd: positive("illiq_per_usd", illiq_per_usd)?,
            price_usd: positive("price_usd", price_usd)?,
            decay: Decay::Permanent,
        })
    }

    /// The same model with another decay after the sale (default [`Decay::Permanent`]).
    ///
    /// # Errors
    /// [`ImpactError::Param`] for an invalid plateau fraction.
    pub fn with_decay(mut self, decay: Decay) -> Result<Self, ImpactError> {
        decay.validate()?;
        self.decay = decay;
        Ok(self)
    }

    /// Impact of having sold `q_btc`: `ILLIQ * q * P`.
    pub fn impact(&self, q_btc: f64) -> f64 {
        self.illiq_per_usd * q_btc * self.price_usd
    }

    /// The impact law the grid path and the closed form both evaluate: `f(q)` and its
    /// antiderivative.
    fn law(&self) -> CumulativeLaw<impl Fn(f64) -> f64 + '_, impl Fn(f64) -> f64 + '_> {
        CumulativeLaw {
            decay: self.decay,
            impact_of: move |q| self.impact(q),
            antiderivative: move |q| self.impact(q) * q / 2.0,
        }
    }
}

impl ImpactModel for Amihud {
    /// The premise bound: no source states a numeric range (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::PER_BTC_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        "amihud".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("illiq_per_usd".into(), self.illiq_per_usd),
            ("price_usd".into(), self.price_usd),
        ])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn path(&self, grid: &ExecutionGrid, _m: &MarketInputs) -> ImpactPath {
        self.law().path(grid)
    }

    fn constant_rate(&self, size_btc: f64, _days: f64, _m: &MarketInputs) -> Option<ConstantRate> {
        Some(self.law().constant_rate(size_btc))
    }
}

/// A scenario's `[[models]]` entry `model = "amihud"`: [`Amihud`], both parameters given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmihudSpec {
    /// Amihud's ILLIQ, per USD (> 0).
    pub illiq_per_usd: f64,
    /// The price the sale is valued at, USD per BTC (> 0).
    pub price_usd: f64,
}

impl ModelEntry for AmihudSpec {
    fn check(&self) -> Result<(), SpecError> {
        positive_key("illiq_per_usd", self.illiq_per_usd)?;
        positive_key("price_usd", self.price_usd)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let decay = ctx.decay.unwrap_or(Decay::Permanent);
        Ok(BuiltModel::plain(
            Box::new(Amihud::new_checked(self.illiq_per_usd, self.price_usd)?.with_decay(decay)?),
            "given (a benchmark: daily illiquidity, no model of absorption)",
        ))
    }

    fn example() -> Self {
        // Test vector T7's ILLIQ (docs/methods.md §27), valued at 70,000 USD per BTC.
        Self {
            illiq_per_usd: 1e-11,
            price_usd: 70_000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;
    use crate::schedules::twap;

    #[test]
    fn science_t7_valued_sale() {
        // 4,451 BTC at 70,000 USD = 311,570,000 USD; x 1e-11 per USD = 0.0031157 (31.157 bp).
        let a = AmihudSpec::example();
        let m = Amihud::new_checked(a.illiq_per_usd, a.price_usd).unwrap();
        assert!((m.impact(4451.0) - 0.003_115_7).abs() < 1e-15);
        let grid = ExecutionGrid::uniform(twap(4451.0, 10), 10, 2.0).unwrap();
        let p = m.path(&grid, &MarketInputs::new_checked(0.03, 30_000.0).unwrap());
        assert!((p.peak - 0.003_115_7).abs() < 1e-12);
        assert!((p.avg_cost - p.peak / 2.0).abs() < 1e-15);
        assert!(Amihud::new_checked(0.0, 70_000.0).is_err());
    }

    #[test]
    fn registered_and_checked_like_every_model() {
        let spec: ModelSpec = serde_json::from_str(
            r#"{"model": "amihud", "illiq_per_usd": 1e-11, "price_usd": 70000.0}"#,
        )
        .unwrap();
        assert!(ModelSpec::KEYS.contains(&"amihud"));
        let built = spec
            .build(&BuildContext {
                decay: None,
                calibration: None,
            })
            .unwrap();
        assert_eq!(built.model.name(), "amihud");
        let bad: ModelSpec = serde_json::from_str(
            r#"{"model": "amihud", "illiq_per_usd": -1.0, "price_usd": 70000.0}"#,
        )
        .unwrap();
        assert!(bad.check().is_err());
        assert!(serde_json::from_str::<ModelSpec>(r#"{"model": "amihud", "illq": 1.0}"#).is_err());
    }
}
