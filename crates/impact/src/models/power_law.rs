use super::registry::{need_calibration, positive_key};
use super::WhatIfBand;
use super::{
    cumulative_constant_rate, cumulative_path, BuildContext, BuiltModel, ConstantRate, Decay,
    ImpactModel, ModelEntry, ParamSource,
};
use crate::error::{positive, SpecError};
use crate::uncertainty::ParamRange;
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Power-law (square-root when `delta = 1/2`) impact of a metaorder.
///
/// ```text
/// I(q) = Y * sigma_daily * (q / V)^delta
/// ```
///
/// * `q`: cumulative quantity sold so far, BTC; the path follows the schedule.
/// * `V`: average daily volume, BTC/day ([`MarketInputs::adv_btc`]).
/// * `sigma_daily`: daily volatility of log returns (fraction).
/// * `Y`: dimensionless prefactor, default [`PowerLaw::DEFAULT_Y`] = 0.9; `delta`: exponent,
///   default [`PowerLaw::SQRT_DELTA`] = 0.5.
///
/// The average cost of the fills is `I(Q) / (1 + delta)` (2/3 of the peak for the square root),
/// integrated exactly over the cumulative quantity. After the sale the impact follows the
/// [`Decay`] rule (default: stays at `I(Q)`).
///
/// # References
/// * Donier & Bonart 2015, "A million metaorder analysis of market impact on the Bitcoin",
///   arXiv:1412.4503: square-root law on BTC/USD; `Y` about 0.9 (sd 0.35) [secondary source].
/// * Toth et al. 2011, Phys. Rev. X 1, 021006 (arXiv:1105.1694): `delta = 1/2` within errors.
/// * Sato & Kanazawa 2025, arXiv:2411.13965.
/// * blocksale SCIENCE.md section 1; test vector T4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    y: f64,
    delta: f64,
    decay: Decay,
}

impl PowerLaw {
    /// Default prefactor `Y` for BTC (Donier & Bonart 2015, sd 0.35 \[S\]; SCIENCE.md 1).
    pub const DEFAULT_Y: f64 = 0.9;
    /// The square-root law's exponent.
    pub const SQRT_DELTA: f64 = 0.5;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `y > 0` and `0 < delta <= 1`.
    pub fn new_checked(y: f64, delta: f64) -> Result<Self, ImpactError> {
        positive("y", y)?;
        if !(delta.is_finite() && delta > 0.0 && delta <= 1.0) {
            return Err(ImpactError::Param {
                name: "delta",
                value: delta,
                expected: "a number in (0, 1]",
            });
        }
        Ok(Self {
            y,
            delta,
            decay: Decay::Permanent,
        })
    }

    /// The BTC default: `Y = 0.9`, `delta = 0.5`.
    pub fn square_root() -> Self {
        Self {
            y: Self::DEFAULT_Y,
            delta: Self::SQRT_DELTA,
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

    /// Prefactor `Y`.
    pub fn y(&self) -> f64 {
        self.y
    }
    /// Exponent `delta`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Impact of having sold `q_btc` in total: `Y sigma (q/V)^delta`.
    pub fn impact(&self, q_btc: f64, m: &MarketInputs) -> f64 {
        let x = q_btc / m.adv_btc;
        let p = if self.delta == Self::SQRT_DELTA {
            x.sqrt()
        } else {
            x.powf(self.delta)
        };
        self.y * m.sigma_daily * p
    }
}

impl ImpactModel for PowerLaw {
    fn name(&self) -> String {
        if self.delta == Self::SQRT_DELTA {
            "sqrt".into()
        } else {
            "power".into()
        }
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([("y".into(), self.y), ("delta".into(), self.delta)])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn path(&self, grid: &ExecutionGrid, m: &MarketInputs) -> ImpactPath {
        let d = self.delta;
        cumulative_path(
            grid,
            self.decay,
            |q| self.impact(q, m),
            |q| self.impact(q, m) * q / (1.0 + d),
        )
    }

    fn constant_rate(&self, size_btc: f64, _days: f64, m: &MarketInputs) -> Option<ConstantRate> {
        let d = self.delta;
        Some(cumulative_constant_rate(
            size_btc,
            self.decay,
            |q| self.impact(q, m),
            |q| self.impact(q, m) * q / (1.0 + d),
        ))
    }
}

/// A scenario's `[[models]]` entry `model = "sqrt"`: [`PowerLaw`] with `delta = 1/2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqrtSpec {
    /// Prefactor `Y` (dimensionless, > 0), default [`PowerLaw::DEFAULT_Y`].
    pub y: f64,
    /// Where `Y` comes from (default: the literature range as the band).
    pub params: ParamSource,
}

impl Default for SqrtSpec {
    fn default() -> Self {
        Self {
            y: PowerLaw::DEFAULT_Y,
            params: ParamSource::Literature,
        }
    }
}

/// A scenario's `[[models]]` entry `model = "power"`: [`PowerLaw`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowerSpec {
    /// Prefactor `Y` (dimensionless, > 0), default [`PowerLaw::DEFAULT_Y`].
    pub y: f64,
    /// Exponent `delta` in (0, 1], default [`PowerLaw::SQRT_DELTA`].
    pub delta: f64,
    /// Where `Y` and `delta` come from (default: the literature range as the band).
    pub params: ParamSource,
}

impl Default for PowerSpec {
    fn default() -> Self {
        Self {
            y: PowerLaw::DEFAULT_Y,
            delta: PowerLaw::SQRT_DELTA,
            params: ParamSource::Literature,
        }
    }
}

/// Where `blocksale model` says its default power-law band comes from.
const WHAT_IF_SOURCE: &str = "literature: Y 0.9 sd 0.35 [secondary], delta 0.4 to 0.6";

/// The power law of `y` and `delta` with its band: the literature range of `Y` scaled to `y`
/// (and of `delta`, unless `sqrt` fixes it), or the calibration's bootstrap intervals.
fn build_power_law(
    y: f64,
    delta: f64,
    params: ParamSource,
    sqrt: bool,
    ctx: &BuildContext<'_>,
) -> Result<BuiltModel, ImpactError> {
    let decay = ctx.decay.unwrap_or(Decay::Permanent);
    let boxed = |alts: Vec<PowerLaw>| -> Vec<Box<dyn ImpactModel>> {
        alts.into_iter()
            .map(|m| Box::new(m) as Box<dyn ImpactModel>)
            .collect()
    };
    Ok(match params {
        ParamSource::Given => BuiltModel::plain(
            Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
            "given",
        ),
        ParamSource::Literature => {
            let mut r = ParamRange::literature();
            if sqrt {
                r.delta = (PowerLaw::SQRT_DELTA, PowerLaw::SQRT_DELTA);
            }
            let (fy0, fy1) = (r.y.0 / PowerLaw::DEFAULT_Y, r.y.1 / PowerLaw::DEFAULT_Y);
            r.y = (y * fy0, y * fy1);
            BuiltModel {
                model: Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
                alternatives: boxed(r.power_law_corners(decay)?),
                prefactor_range: None,
                param_source: r.source.to_string(),
                warnings: Vec::new(),
            }
        }
        ParamSource::Calibrated => {
            let c = need_calibration(ctx.calibration)?;
            let (d, yy) = (c.curve.exponent.estimate, c.curve.prefactor_y.estimate);
            let r = ParamRange::from_calibration(c);
            let mut warnings = vec![c.note.clone()];
            warnings.extend(c.warning.clone());
            BuiltModel {
                model: Box::new(PowerLaw::new_checked(yy, d.clamp(1e-6, 1.0))?.with_decay(decay)?),
                alternatives: boxed(r.power_law_corners(decay)?),
                prefactor_range: None,
                param_source: r.source.into(),
                warnings,
            }
        }
    })
}

/// The literature corners (`Y` 0.9 +/- 1.96 x 0.35, `delta` 0.4 and 0.6) around any power law.
fn what_if_power_law_band() -> Result<Option<WhatIfBand>, ImpactError> {
    let corners = ParamRange::literature().power_law_corners(Decay::Permanent)?;
    Ok(Some(WhatIfBand {
        alternatives: corners
            .into_iter()
            .map(|m| Box::new(m) as Box<dyn ImpactModel>)
            .collect(),
        source: WHAT_IF_SOURCE,
    }))
}

impl ModelEntry for SqrtSpec {
    fn check(&self) -> Result<(), SpecError> {
        positive_key("y", self.y)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        build_power_law(self.y, PowerLaw::SQRT_DELTA, self.params, true, ctx)
    }

    fn needs_calibration(&self) -> bool {
        self.params == ParamSource::Calibrated
    }

    fn what_if_band(&self) -> Result<Option<WhatIfBand>, ImpactError> {
        what_if_power_law_band()
    }

    fn example() -> Self {
        Self::default()
    }
}

impl ModelEntry for PowerSpec {
    fn check(&self) -> Result<(), SpecError> {
        positive_key("y", self.y)?;
        let d = self.delta;
        if !(d.is_finite() && d > 0.0 && d <= 1.0) {
            return Err(SpecError::new("delta", d, "a number in (0, 1]"));
        }
        Ok(())
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        build_power_law(self.y, self.delta, self.params, false, ctx)
    }

    fn needs_calibration(&self) -> bool {
        self.params == ParamSource::Calibrated
    }

    fn what_if_band(&self) -> Result<Option<WhatIfBand>, ImpactError> {
        what_if_power_law_band()
    }

    fn example() -> Self {
        Self {
            y: 1.3,
            delta: 0.6,
            params: ParamSource::Given,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    fn m(sigma: f64, v: f64) -> MarketInputs {
        MarketInputs::new_checked(sigma, v).unwrap()
    }

    /// SCIENCE.md T4.
    #[test]
    fn t4_vectors() {
        let one = PowerLaw::new_checked(1.0, 0.5).unwrap();
        assert!((one.impact(0.25, &m(0.02, 1.0)) - 0.01).abs() < 1e-15);
        assert!((one.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 1.1556).abs() < 5e-5);
        let sq = PowerLaw::square_root();
        assert!((sq.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 1.0400).abs() < 5e-5);
        // The delta = 0.6 vector is with Y = 1 (0.9 gives 0.859341 %).
        let p6 = PowerLaw::new_checked(1.0, 0.6).unwrap();
        assert!((p6.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 0.954823).abs() < 5e-7);
    }

    #[test]
    fn path_follows_cumulative_quantity_and_cost_is_exact() {
        let grid = ExecutionGrid::uniform(twap(100.0, 4), 8, 2.0).unwrap();
        let sq = PowerLaw::square_root();
        let mk = m(0.02, 400.0);
        let p = sq.path(&grid, &mk);
        assert_eq!(p.impact.len(), 8);
        assert!((p.impact[1] - sq.impact(50.0, &mk)).abs() < 1e-15);
        assert!((p.peak - sq.impact(100.0, &mk)).abs() < 1e-15);
        assert_eq!(p.permanent, p.peak);
        assert!((p.avg_cost - p.peak * 2.0 / 3.0).abs() < 1e-15);
        // Brute-force integral of the fills agrees with the closed form.
        let n = 100_000;
        let brute: f64 = (0..n)
            .map(|i| sq.impact((i as f64 + 0.5) * 100.0 / n as f64, &mk))
            .sum::<f64>()
            / n as f64;
        assert!((brute - p.avg_cost).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_params() {
        assert!(PowerLaw::new_checked(0.0, 0.5).is_err());
        assert!(PowerLaw::new_checked(0.9, 1.5).is_err());
        assert!(PowerLaw::new_checked(f64::NAN, 0.5).is_err());
    }
}
