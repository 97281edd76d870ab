use super::registry::{given_or_calibrated, per_btc_built, per_btc_coefficient};
use super::{
    BuildContext, BuiltModel, ConstantRate, CumulativeLaw, Decay, ImpactModel, ModelEntry,
    ParamSource,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kyle linear impact with a price-impact coefficient per BTC.
///
/// ```text
/// I(q) = lambda * q
/// ```
///
/// * `q`: cumulative quantity sold, BTC.
/// * `lambda`: log-price move per BTC of net signed volume (fraction per BTC), as estimated by
///   [`crate::estimators::kyle_lambda`] from bar returns on signed taker volume. It does not use
///   `sigma` or `V`: the market inputs are ignored.
///
/// The average cost of the fills is `lambda Q / 2`. After the sale the impact follows the
/// [`Decay`] rule (default: stays, as in Kyle's model where all impact is permanent).
///
/// A lambda estimated on bars measures the response to aggregate order-flow imbalance, which
/// mixes informed and uninformed flow; applied to a single large sale it is a linear benchmark,
/// not a metaorder law.
///
/// # References
/// * Kyle 1985, "Continuous auctions and insider trading", Econometrica 53(6), 1315-1335:
///   `p = p0 + lambda (x + u)`.
/// * blocksale docs/methods.md §11 (the model), §7 (estimation from bars with taker-buy volume).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kyle {
    lambda_per_btc: f64,
    decay: Decay,
}

impl Kyle {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `lambda_per_btc` is finite and > 0.
    pub fn new_checked(lambda_per_btc: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            lambda_per_btc: positive("lambda (per BTC)", lambda_per_btc)?,
            decay: Decay::Permanent,
        })
    }

    /// The same model with another decay after the sale.
    ///
    /// # Errors
    /// [`ImpactError::Param`] for an invalid plateau fraction.
    pub fn with_decay(mut self, decay: Decay) -> Result<Self, ImpactError> {
        decay.validate()?;
        self.decay = decay;
        Ok(self)
    }

    /// `lambda`, fraction per BTC.
    pub fn lambda_per_btc(&self) -> f64 {
        self.lambda_per_btc
    }

    /// Impact of having sold `q_btc`: `lambda q`.
    pub fn impact(&self, q_btc: f64) -> f64 {
        self.lambda_per_btc * q_btc
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

impl ImpactModel for Kyle {
    /// The premise bound: Kyle 1985 is theory (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::PER_BTC_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        "kyle".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([("lambda_per_btc".into(), self.lambda_per_btc)])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn uses_market_inputs(&self) -> bool {
        false
    }

    fn path(&self, grid: &ExecutionGrid, _m: &MarketInputs) -> ImpactPath {
        self.law().path(grid)
    }

    fn constant_rate(&self, size_btc: f64, _days: f64, _m: &MarketInputs) -> Option<ConstantRate> {
        Some(self.law().constant_rate(size_btc))
    }
}

/// A scenario's `[[models]]` entry `model = "kyle"`: [`Kyle`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KyleSpec {
    /// Log-price move per BTC (fraction per BTC, > 0); required unless `params = "calibrated"`.
    pub lambda_per_btc: Option<f64>,
    /// Where lambda comes from (calibrated: the scenario's Kyle lambda with its Newey-West
    /// interval as the band).
    pub params: ParamSource,
}

impl ModelEntry for KyleSpec {
    fn check(&self) -> Result<(), SpecError> {
        given_or_calibrated("lambda_per_btc", self.lambda_per_btc, self.params)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let (lambda, range, src) = per_btc_coefficient(
            "lambda_per_btc",
            self.params,
            self.lambda_per_btc,
            ctx.calibration,
            "calibrated: per BTC of the calibration venue's net taker flow, applied 1:1; band: Newey-West 95 % interval",
        )?;
        let m = Kyle::new_checked(lambda)?.with_decay(ctx.decay.unwrap_or(Decay::Permanent))?;
        Ok(per_btc_built(Box::new(m), self.params, range, src))
    }

    fn needs_calibration(&self) -> bool {
        self.params == ParamSource::Calibrated
    }

    fn example() -> Self {
        Self {
            lambda_per_btc: Some(3e-6),
            params: ParamSource::Given,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    #[test]
    fn kyle_values() {
        let k = Kyle::new_checked(2e-6).unwrap();
        let m = MarketInputs::new_checked(0.03, 30_000.0).unwrap();
        let grid = ExecutionGrid::uniform(twap(4451.0, 4), 8, 1.0).unwrap();
        let p = k.path(&grid, &m);
        // 2e-6 * 4451 = 0.008902 by hand.
        assert!((p.peak - 0.008902).abs() < 1e-15);
        assert!((p.avg_cost - 0.004451).abs() < 1e-15);
        assert!((p.impact[0] - 2e-6 * 4451.0 / 4.0).abs() < 1e-15);
        let full = k.with_decay(Decay::Full).unwrap().path(&grid, &m);
        // Sale ends at t = 0.5 d; bar 7 ends at 1.0 d = 2 T: 0.4142 of the peak (the shape of test vector T4, docs/methods.md §27).
        assert!((full.impact[7] / full.peak - (2f64.sqrt() - 1.0)).abs() < 1e-12);
        assert_eq!(full.permanent, 0.0);
        assert!(Kyle::new_checked(0.0).is_err());
    }
}
