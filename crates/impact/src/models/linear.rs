use super::registry::positive_key;
use super::{
    BuildContext, BuiltModel, ConstantRate, CumulativeLaw, Decay, ImpactModel, ModelEntry,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Impact linear in participation.
///
/// ```text
/// I(q) = k * sigma_daily * q / V
/// ```
///
/// * `q`: cumulative quantity sold, BTC; `V`: average daily volume, BTC/day.
/// * `sigma_daily`: daily volatility of log returns; `k`: dimensionless, default
///   [`Linear::DEFAULT_K`] = 1.
///
/// `k = 1` makes the linear and square-root laws agree (up to `Y`) at `Q = V`: a sale of one day's
/// volume moves the price by about one daily sigma. Below one day's volume the linear law predicts
/// less impact than the square root, above it more. The average cost of the fills is `I(Q)/2`.
/// After the sale the impact follows the [`Decay`] rule (default: stays).
///
/// # References
/// * Kyle 1985, "Continuous auctions and insider trading", Econometrica 53(6): linear price impact.
/// * blocksale docs/methods.md §10 (linear in participation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    k: f64,
    decay: Decay,
}

impl Linear {
    /// Default prefactor `k`: one daily sigma for a sale of one day's volume.
    pub const DEFAULT_K: f64 = 1.0;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `k` is finite and > 0.
    pub fn new_checked(k: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            k: positive("k", k)?,
            decay: Decay::Permanent,
        })
    }

    /// The default `k = 1`.
    pub fn unit() -> Self {
        Self {
            k: Self::DEFAULT_K,
            decay: Decay::Permanent,
        }
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

    /// Prefactor `k`.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// Impact of having sold `q_btc`: `k sigma q / V`.
    pub fn impact(&self, q_btc: f64, m: &MarketInputs) -> f64 {
        self.k * m.sigma_daily * q_btc / m.adv_btc
    }

    /// The impact law the grid path and the closed form both evaluate: `f(q)` and its
    /// antiderivative.
    fn law<'a>(
        &'a self,
        m: &'a MarketInputs,
    ) -> CumulativeLaw<impl Fn(f64) -> f64 + 'a, impl Fn(f64) -> f64 + 'a> {
        CumulativeLaw {
            decay: self.decay,
            impact_of: move |q| self.impact(q, m),
            antiderivative: move |q| self.impact(q, m) * q / 2.0,
        }
    }
}

impl ImpactModel for Linear {
    /// The premise bound with what Bucci et al. say of the linear regime (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::LINEAR_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        "linear".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([("k".into(), self.k)])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn path(&self, grid: &ExecutionGrid, m: &MarketInputs) -> ImpactPath {
        self.law(m).path(grid)
    }

    fn constant_rate(&self, size_btc: f64, _days: f64, m: &MarketInputs) -> Option<ConstantRate> {
        Some(self.law(m).constant_rate(size_btc))
    }
}

/// A scenario's `[[models]]` entry `model = "linear"`: [`Linear`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearSpec {
    /// Prefactor `k` (dimensionless, > 0), default [`Linear::DEFAULT_K`].
    pub k: f64,
}

impl Default for LinearSpec {
    fn default() -> Self {
        Self {
            k: Linear::DEFAULT_K,
        }
    }
}

impl ModelEntry for LinearSpec {
    fn check(&self) -> Result<(), SpecError> {
        positive_key("k", self.k)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let decay = ctx.decay.unwrap_or(Decay::Permanent);
        Ok(BuiltModel::plain(
            Box::new(Linear::new_checked(self.k)?.with_decay(decay)?),
            "given (no published range: timing risk only)",
        ))
    }

    fn example() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    #[test]
    fn linear_values() {
        let m = MarketInputs::new_checked(0.03, 30_000.0).unwrap();
        let l = Linear::unit();
        assert!((l.impact(4451.0, &m) - 0.03 * 4451.0 / 30_000.0).abs() < 1e-15);
        let grid = ExecutionGrid::uniform(twap(4451.0, 10), 10, 2.0).unwrap();
        let p = l.path(&grid, &m);
        assert!((p.avg_cost - p.peak / 2.0).abs() < 1e-15);
        assert!(Linear::new_checked(-1.0).is_err());
    }
}
