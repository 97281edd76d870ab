//! Uncertainty bands around a model's impact path.
//!
//! Combination rule ([`BAND_RULE`]): at the end of bar `k` (time `t_k` days since the sale start)
//!
//! ```text
//! parameter band   [P_lo(k), P_hi(k)] = [min, max] over the central model and its alternatives
//! timing risk      s(k) = sigma_daily * sqrt(t_k)            (the price's own noise since the start)
//! total band       central - sqrt((central - P_lo)^2 + (z s)^2) .. central + sqrt((P_hi - central)^2 + (z s)^2)
//! ```
//!
//! The parameter band is an envelope of scenarios (the corners of the parameter ranges: the impact
//! of every model here is monotone in each parameter, so the corners bound it); the timing risk is
//! the standard deviation of the log price over `t_k` under the random walk with daily volatility
//! `sigma_daily`. The two are independent and add in quadrature, each side separately; `z = 1.96`
//! gives 95 %. The total band is for the observed price move (it can be negative: the price may
//! rise during a sale); the parameter band is for the impact itself (never below 0). Peak and
//! average cost carry the parameter band only.
//!
//! A calibrated model's parameter band is instead the 2.5 and 97.5 percentiles of each quantity
//! across the calibration's bootstrap draws of its parameters taken together ([`Spread::Percentile95`]):
//! its parameters are estimated jointly and strongly correlated, so the corners of their separate
//! intervals lie far outside their joint uncertainty.
//!
//! Parameter ranges: the literature ([`ParamRange::literature`]: `Y` sd 0.35 around 0.9 from
//! Donier & Bonart 2015 \[S\], `delta` in {0.4, 0.6} around 1/2; docs/methods.md §20), a
//! calibration's bootstrap draws (above), or a relative
//! range of a model's prefactor ([`prefactor_band`], e.g. Kyle's lambda from its Newey-West interval).

use crate::models::{Decay, ParamBand, PowerLaw};
use crate::{ExecutionGrid, ImpactError, ImpactModel, ImpactPath, MarketInputs};
use serde::Serialize;

/// The combination rule, for output documents.
pub const BAND_RULE: &str = "parameter band = envelope of the model under the corners of its parameter \
ranges; timing risk = z * sigma_daily * sqrt(t); total band = central -/+ sqrt(parameter half-width^2 + \
timing^2), each side separately (independent errors in quadrature); docs/methods.md §20";

/// A value with lower and upper bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// Lower bound.
    pub low: f64,
    /// Central value.
    pub central: f64,
    /// Upper bound.
    pub high: f64,
}

/// Ranges of the power-law parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamRange {
    /// Range of the prefactor `Y`.
    pub y: (f64, f64),
    /// Range of the exponent `delta`.
    pub delta: (f64, f64),
    /// Where the range comes from.
    pub source: &'static str,
}

impl ParamRange {
    /// `Y` = 0.9 +/- 1.96 x 0.35 (sd from Donier & Bonart 2015, secondary source), `delta` in [0.4, 0.6].
    pub fn literature() -> Self {
        let (y, h) = (PowerLaw::DEFAULT_Y, 1.959_963_984_540_054 * 0.35);
        Self {
            y: (y - h, y + h),
            delta: (0.4, 0.6),
            source: "literature: Y 0.9 sd 0.35 [S], delta 0.4 to 0.6",
        }
    }

    /// The four corner models (`Y` low/high x `delta` low/high) with the given decay.
    ///
    /// # Errors
    /// [`ImpactError::Param`] when a corner is not a valid power law (`Y <= 0`, `delta` outside (0, 1]).
    pub fn power_law_corners(&self, decay: Decay) -> Result<Vec<PowerLaw>, ImpactError> {
        let mut out = Vec::with_capacity(4);
        for y in [self.y.0, self.y.1] {
            for d in [self.delta.0, self.delta.1] {
                out.push(PowerLaw::new_checked(y, d)?.with_decay(decay)?);
            }
        }
        Ok(out)
    }
}

/// An impact path with its bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactBand {
    /// Bar end times, days since the sale start.
    pub t_days: Vec<f64>,
    /// Central path (fraction).
    pub central: Vec<f64>,
    /// Parameter band, lower.
    pub param_low: Vec<f64>,
    /// Parameter band, upper.
    pub param_high: Vec<f64>,
    /// Parameter band combined with timing risk, lower.
    pub total_low: Vec<f64>,
    /// Parameter band combined with timing risk, upper.
    pub total_high: Vec<f64>,
    /// Peak impact, parameter band.
    pub peak: Band,
    /// Average execution cost, parameter band.
    pub avg_cost: Band,
    /// Multiplier of the timing sd (1.96 for 95 %).
    pub z: f64,
    /// [`BAND_RULE`].
    pub rule: String,
}

/// How a set of alternative values becomes the parameter band around a central value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// Lowest to highest (corners of parameter ranges).
    Envelope,
    /// The 2.5 and 97.5 percentiles (bootstrap draws), widened to include the central value.
    Percentile95,
}

impl Spread {
    /// The band of `central` over `values` (which it may reorder).
    pub fn band(self, central: f64, values: &mut [f64]) -> Band {
        let (low, high) = match self {
            Self::Envelope => values
                .iter()
                .fold((central, central), |(l, h), &v| (l.min(v), h.max(v))),
            Self::Percentile95 => {
                values.sort_by(f64::total_cmp);
                (
                    percentile_sorted(values, 0.025).min(central),
                    percentile_sorted(values, 0.975).max(central),
                )
            }
        };
        Band { low, central, high }
    }
}

/// Percentile of sorted values with linear interpolation between order statistics (`p` in
/// [0, 1]; `NaN` when there is none): the one rule of the bootstrap intervals, the bands and the
/// scorecard's pooled fit.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn combine(
    central: &ImpactPath,
    paths: &[ImpactPath],
    spread: Spread,
    grid: &ExecutionGrid,
    m: &MarketInputs,
    z: f64,
) -> ImpactBand {
    let n = central.impact.len();
    let t_days: Vec<f64> = grid.t_days()[1..].to_vec();
    let mut lo = central.impact.clone();
    let mut hi = central.impact.clone();
    let mut buf = Vec::with_capacity(paths.len());
    let mut over = |c: f64, f: &dyn Fn(&ImpactPath) -> f64| {
        buf.clear();
        buf.extend(paths.iter().map(f));
        if buf.is_empty() {
            Band {
                low: c,
                central: c,
                high: c,
            }
        } else {
            spread.band(c, &mut buf)
        }
    };
    for k in 0..n {
        let b = over(central.impact[k], &|p| p.impact[k]);
        (lo[k], hi[k]) = (b.low, b.high);
    }
    let peak = over(central.peak, &|p| p.peak);
    let cost = over(central.avg_cost, &|p| p.avg_cost);
    let timing: Vec<f64> = t_days
        .iter()
        .map(|t| z * m.sigma_daily * t.sqrt())
        .collect();
    let c = &central.impact;
    let total_low = (0..n)
        .map(|k| c[k] - (c[k] - lo[k]).hypot(timing[k]))
        .collect();
    let total_high = (0..n)
        .map(|k| c[k] + (hi[k] - c[k]).hypot(timing[k]))
        .collect();
    ImpactBand {
        t_days,
        central: c.clone(),
        param_low: lo,
        param_high: hi,
        total_low,
        total_high,
        peak,
        avg_cost: cost,
        z,
        rule: BAND_RULE.to_string(),
    }
}

/// Band of `central` with the envelope of `alternatives` as the parameter band.
///
/// # Errors
/// [`ImpactError::Param`] unless `z` is finite and >= 0.
pub fn band(
    central: &dyn ImpactModel,
    alternatives: &[&dyn ImpactModel],
    grid: &ExecutionGrid,
    m: &MarketInputs,
    z: f64,
) -> Result<ImpactBand, ImpactError> {
    crate::error::non_negative("z", z)?;
    let c = central.path(grid, m);
    let paths: Vec<ImpactPath> = alternatives.iter().map(|a| a.path(grid, m)).collect();
    Ok(combine(&c, &paths, Spread::Envelope, grid, m, z))
}

/// Band of `central` with the parameter band its builder chose ([`ParamBand`]).
///
/// # Errors
/// As [`band`] and [`prefactor_band`].
pub fn param_band(
    central: &dyn ImpactModel,
    b: &ParamBand,
    grid: &ExecutionGrid,
    m: &MarketInputs,
    z: f64,
) -> Result<ImpactBand, ImpactError> {
    crate::error::non_negative("z", z)?;
    let paths = |alts: &[Box<dyn ImpactModel>]| -> Vec<ImpactPath> {
        alts.iter().map(|a| a.path(grid, m)).collect()
    };
    let c = central.path(grid, m);
    Ok(match b {
        ParamBand::None => combine(&c, &[], Spread::Envelope, grid, m, z),
        ParamBand::Corners(a) => combine(&c, &paths(a), Spread::Envelope, grid, m, z),
        ParamBand::Draws(a) => combine(&c, &paths(a), Spread::Percentile95, grid, m, z),
        ParamBand::Prefactor(lo, hi) => return prefactor_band(central, *lo, *hi, grid, m, z),
    })
}

/// Band of a model whose parameter uncertainty is a relative range of its prefactor: every impact
/// of the models here is proportional to its prefactor (`Y`, `k`, `lambda`, `eta`, `c`), so the
/// parameter band is the central path times `[factor_low, factor_high]`.
///
/// # Errors
/// [`ImpactError::Param`] unless `0 <= factor_low <= 1 <= factor_high` and `z >= 0`.
pub fn prefactor_band(
    central: &dyn ImpactModel,
    factor_low: f64,
    factor_high: f64,
    grid: &ExecutionGrid,
    m: &MarketInputs,
    z: f64,
) -> Result<ImpactBand, ImpactError> {
    crate::error::non_negative("z", z)?;
    if !(factor_low.is_finite() && (0.0..=1.0).contains(&factor_low)) {
        return Err(ImpactError::Param {
            name: "lower prefactor factor",
            value: factor_low,
            expected: "a number in [0, 1]",
        });
    }
    if !(factor_high.is_finite() && factor_high >= 1.0) {
        return Err(ImpactError::Param {
            name: "upper prefactor factor",
            value: factor_high,
            expected: "a number >= 1",
        });
    }
    let c = central.path(grid, m);
    let scale = |f: f64| ImpactPath {
        impact: c.impact.iter().map(|x| x * f).collect(),
        peak: c.peak * f,
        avg_cost: c.avg_cost * f,
        permanent: c.permanent * f,
    };
    let paths = [scale(factor_low), scale(factor_high)];
    Ok(combine(&c, &paths, Spread::Envelope, grid, m, z))
}

/// Square-root band from the literature range: the central [`PowerLaw`] and the four corners.
///
/// # Errors
/// As [`band`].
pub fn literature_power_law_band(
    central: &PowerLaw,
    grid: &ExecutionGrid,
    m: &MarketInputs,
    z: f64,
) -> Result<ImpactBand, ImpactError> {
    let corners = ParamRange::literature().power_law_corners(central.decay())?;
    let alts: Vec<&dyn ImpactModel> = corners.iter().map(|c| c as &dyn ImpactModel).collect();
    band(central, &alts, grid, m, z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Kyle;
    use crate::schedules::twap;

    #[test]
    fn literature_band_by_hand() {
        // One bar of one day, Q/V = 0.25, sigma 2 %: central 0.9 * 0.02 * 0.5 = 0.009.
        let m = MarketInputs::new_checked(0.02, 1.0).unwrap();
        let grid = ExecutionGrid::uniform(vec![0.25], 1, 1.0).unwrap();
        let b = literature_power_law_band(&PowerLaw::square_root(), &grid, &m, 1.96).unwrap();
        assert!((b.central[0] - 0.009).abs() < 1e-15);
        // Upper corner: Y = 0.9 + 1.96 * 0.35, delta 0.4 (Q/V < 1); lower: Y = 0.9 - 0.686, delta 0.6.
        let h = 1.959_963_984_540_054 * 0.35;
        let hi = (0.9 + h) * 0.02 * 0.25f64.powf(0.4);
        let lo = (0.9 - h) * 0.02 * 0.25f64.powf(0.6);
        assert!((b.param_high[0] - hi).abs() < 1e-15 && (b.param_low[0] - lo).abs() < 1e-15);
        // Timing: 1.96 * 0.02 * sqrt(1) = 0.0392.
        assert!((b.total_high[0] - (0.009 + (hi - 0.009).hypot(0.0392))).abs() < 1e-15);
        assert!((b.total_low[0] - (0.009 - (0.009 - lo).hypot(0.0392))).abs() < 1e-15);
        assert!(
            b.total_low[0] < 0.0,
            "a 4 % timing sd swamps a 0.9 % impact"
        );
        assert!(b.peak.low <= b.peak.central && b.peak.central <= b.peak.high);
    }

    #[test]
    fn prefactor_band_scales() {
        let m = MarketInputs::new_checked(0.02, 1000.0).unwrap();
        let grid = ExecutionGrid::uniform(twap(100.0, 4), 8, 1.0).unwrap();
        let k = Kyle::new_checked(1e-5).unwrap();
        let b = prefactor_band(&k, 0.5, 1.5, &grid, &m, 0.0).unwrap();
        assert!((b.param_high[3] - 1.5e-3).abs() < 1e-15);
        assert_eq!(b.total_high, b.param_high);
        assert!(prefactor_band(&k, 1.5, 2.0, &grid, &m, 1.0).is_err());
    }
}
