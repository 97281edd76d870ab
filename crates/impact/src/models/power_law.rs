use super::registry::{need_calibration, positive_key};
use super::WhatIfBand;
use super::{
    BuildContext, BuiltModel, ConstantRate, CumulativeLaw, Decay, ImpactModel, ModelEntry,
    ParamBand, ParamSource,
};
use crate::calibration::FitScale;
use crate::error::{positive, SpecError};
use crate::uncertainty::ParamRange;
use crate::validity::{Interval, Validity};
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
/// * `Y`: dimensionless prefactor, default [`PowerLaw::DEFAULT_Y`] = 0.9; `delta`: exponent
///   (dimensionless), default [`PowerLaw::SQRT_DELTA`] = 0.5.
///
/// A calibrated power law carries the scale it was fitted on ([`FitScale`]: `sigma_c`, `V_c`, the
/// bar size) and uses it in place of the market state's: `I(q) = Y sigma_c (q / V_c)^delta`.
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
/// * blocksale docs/methods.md §9; test vector T4 (§27).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    y: f64,
    delta: f64,
    decay: Decay,
    scale: Option<FitScale>,
}

impl PowerLaw {
    /// Default prefactor `Y` for BTC (Donier & Bonart 2015, sd 0.35 \[S\]; docs/methods.md §9).
    pub const DEFAULT_Y: f64 = 0.9;
    /// The square-root law's exponent.
    pub const SQRT_DELTA: f64 = 0.5;
    /// The largest exponent a law takes: a scenario's `delta` is at most 1 (concave or linear),
    /// but a calibration's bootstrap draws may fall a little above 1 and are kept as drawn (2).
    pub const MAX_DELTA: f64 = 2.0;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `y > 0` and `0 < delta <= MAX_DELTA` (2).
    pub fn new_checked(y: f64, delta: f64) -> Result<Self, ImpactError> {
        positive("y", y)?;
        if !(delta.is_finite() && delta > 0.0 && delta <= Self::MAX_DELTA) {
            return Err(ImpactError::Param {
                name: "delta",
                value: delta,
                expected: "a number in (0, 2]",
            });
        }
        Ok(Self {
            y,
            delta,
            decay: Decay::Permanent,
            scale: None,
        })
    }

    /// The BTC default: `Y = 0.9`, `delta = 0.5`.
    pub fn square_root() -> Self {
        Self {
            y: Self::DEFAULT_Y,
            delta: Self::SQRT_DELTA,
            decay: Decay::Permanent,
            scale: None,
        }
    }

    /// The same law on the scale it was fitted on: `sigma_c` and `V_c` replace the market state's.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless the scale's sigma and volume are finite and > 0.
    pub fn on_scale(mut self, scale: FitScale) -> Result<Self, ImpactError> {
        positive("sigma_c", scale.sigma_daily)?;
        positive("V_c", scale.adv_btc)?;
        self.scale = Some(scale);
        Ok(self)
    }

    /// The fitted scale, when the law carries one.
    pub fn scale(&self) -> Option<FitScale> {
        self.scale
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

    /// Impact of having sold `q_btc` in total: `Y sigma (q/V)^delta`, with the fitted scale's
    /// sigma and V when the law carries one, else the market's.
    pub fn impact(&self, q_btc: f64, m: &MarketInputs) -> f64 {
        let (sigma, v) = self
            .scale
            .map_or((m.sigma_daily, m.adv_btc), |s| (s.sigma_daily, s.adv_btc));
        let x = q_btc / v;
        let p = if self.delta == Self::SQRT_DELTA {
            x.sqrt()
        } else {
            x.powf(self.delta)
        };
        self.y * sigma * p
    }

    /// The impact law the grid path and the closed form both evaluate: `f(q)` and its
    /// antiderivative.
    fn law<'a>(
        &'a self,
        m: &'a MarketInputs,
    ) -> CumulativeLaw<impl Fn(f64) -> f64 + 'a, impl Fn(f64) -> f64 + 'a> {
        let d = self.delta;
        CumulativeLaw {
            decay: self.decay,
            impact_of: move |q| self.impact(q, m),
            antiderivative: move |q| self.impact(q, m) * q / (1.0 + d),
        }
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
        let mut p = BTreeMap::from([("y".into(), self.y), ("delta".into(), self.delta)]);
        if let Some(s) = self.scale {
            p.insert("fit_sigma_daily".into(), s.sigma_daily);
            p.insert("fit_adv_btc_per_day".into(), s.adv_btc);
            p.insert("fit_bar_seconds".into(), s.bar_seconds as f64);
        }
        p
    }

    fn uses_market_inputs(&self) -> bool {
        self.scale.is_none()
    }

    /// A calibrated law holds over the net flows of its bins: `Q/V_c` up to the largest bin's
    /// `|SV|/V_c`; beyond it the fitted curve is extrapolated. The literature square root and
    /// power law declare the premise bound (docs/methods.md §31).
    fn validity(&self) -> Option<Validity> {
        let Some(sc) = self.scale else {
            return Some(crate::validity::premise_bound(
                crate::validity::SQRT_EVIDENCE,
            ));
        };
        (sc.x_max > 0.0).then(|| Validity {
            q_over_v: Some(Interval::up_to(sc.x_max)),
            participation: None,
            horizon_days: None,
            basis: "calibration bins [C]".into(),
            source: format!(
                "this run's calibration [C]: the largest net taker flow among the bins the curve was fitted on, {:.4} of V_c in one {} s bar",
                sc.x_max, sc.bar_seconds
            ),
        })
    }

    fn validity_volume(&self, market: &MarketInputs) -> f64 {
        self.scale.map_or(market.adv_btc, |s| s.adv_btc)
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

/// Where the literature band of the square root comes from: only `Y` varies.
const SQRT_LITERATURE_SOURCE: &str =
    "literature: Y 0.9 sd 0.35 [S], 95 % range 0.214 to 1.586; delta fixed at 1/2";
/// Where the literature band of the free power law comes from: `Y` and `delta` vary.
const POWER_LITERATURE_SOURCE: &str =
    "literature: Y 0.9 sd 0.35 [S], 95 % range 0.214 to 1.586, and delta 0.4 to 0.6 (corners)";

/// The literature corners around a power law of `y` and `delta`: `Y`'s 95 % range scaled to `y`,
/// times `delta` 0.4 and 0.6 unless `sqrt` fixes it at 1/2.
fn literature_corners(
    y: f64,
    delta: f64,
    sqrt: bool,
    decay: Decay,
) -> Result<Vec<Box<dyn ImpactModel>>, ImpactError> {
    let mut r = ParamRange::literature();
    if sqrt {
        r.delta = (delta, delta);
    }
    let (fy0, fy1) = (r.y.0 / PowerLaw::DEFAULT_Y, r.y.1 / PowerLaw::DEFAULT_Y);
    r.y = (y * fy0, y * fy1);
    let mut corners = r.power_law_corners(decay)?;
    corners.dedup();
    Ok(corners
        .into_iter()
        .map(|m| Box::new(m) as Box<dyn ImpactModel>)
        .collect())
}

/// The power law of `y` and `delta` with its band: the literature range of `Y` scaled to `y`
/// (and of `delta`, unless `sqrt` fixes it), or, calibrated, the fit on its own scale with the
/// bootstrap draws of its parameters taken together (the square root: `Y` fitted with `delta`
/// fixed at 1/2).
fn build_power_law(
    y: f64,
    delta: f64,
    params: ParamSource,
    sqrt: bool,
    ctx: &BuildContext<'_>,
) -> Result<BuiltModel, ImpactError> {
    let decay = ctx.decay.unwrap_or(Decay::Permanent);
    Ok(match params {
        ParamSource::Given => BuiltModel::plain(
            Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
            "given",
        ),
        ParamSource::Literature => BuiltModel {
            model: Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
            band: ParamBand::Corners(literature_corners(y, delta, sqrt, decay)?),
            param_source: if sqrt {
                SQRT_LITERATURE_SOURCE
            } else {
                POWER_LITERATURE_SOURCE
            }
            .to_string(),
            warnings: Vec::new(),
        },
        ParamSource::Calibrated => {
            let c = need_calibration(ctx.calibration)?;
            let f = &c.curve;
            let scale = c.scale();
            let law = |y: f64, d: f64| -> Result<Box<dyn ImpactModel>, ImpactError> {
                Ok(Box::new(
                    PowerLaw::new_checked(y, d.clamp(1e-6, PowerLaw::MAX_DELTA))?
                        .with_decay(decay)?
                        .on_scale(scale)?,
                ))
            };
            let (central, draws) = if sqrt {
                (
                    law(f.prefactor_y_sqrt.estimate, PowerLaw::SQRT_DELTA)?,
                    f.draws
                        .iter()
                        .map(|w| law(w.y_sqrt, PowerLaw::SQRT_DELTA))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            } else {
                (
                    law(f.prefactor_y.estimate, f.exponent.estimate)?,
                    f.draws
                        .iter()
                        .map(|w| law(w.y, w.delta))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            };
            let what = if sqrt {
                "Y fitted with delta fixed at 1/2"
            } else {
                "Y and delta fitted together"
            };
            let mut warnings = vec![c.note.clone()];
            if !sqrt {
                warnings.extend(c.warning.clone());
            }
            BuiltModel {
                model: central,
                param_source: format!(
                    "calibrated: {what} on {} bars of {} s, applied on the fit's own scale (sigma_c {:.4} a day, V_c {:.0} BTC/day); band: {} bootstrap draws (aggregate flow, not metaorders)",
                    c.bars_used,
                    scale.bar_seconds,
                    scale.sigma_daily,
                    scale.adv_btc,
                    draws.len()
                ),
                band: ParamBand::Draws(draws),
                warnings,
            }
        }
    })
}

/// The literature band `blocksale model` draws around a power law: the same corners as a
/// scenario's `params = "literature"` entry.
fn what_if_power_law_band(y: f64, sqrt: bool) -> Result<Option<WhatIfBand>, ImpactError> {
    Ok(Some(WhatIfBand {
        alternatives: literature_corners(y, PowerLaw::SQRT_DELTA, sqrt, Decay::Permanent)?,
        source: if sqrt {
            SQRT_LITERATURE_SOURCE
        } else {
            POWER_LITERATURE_SOURCE
        },
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
        what_if_power_law_band(self.y, true)
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
        what_if_power_law_band(self.y, false)
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
    use crate::calibration::{calibrate, Calibration, CalibrationConfig};
    use crate::models::ModelSpec;
    use crate::rng::SplitMix64;
    use crate::schedules::twap;
    use blocksale_core::{BarColumns, BarSeries};

    fn m(sigma: f64, v: f64) -> MarketInputs {
        MarketInputs::new_checked(sigma, v).unwrap()
    }

    /// Test vector T4 (docs/methods.md §27).
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

    /// Hourly bars with taker-buy volume whose return follows the net flow by a planted curve:
    /// `r = sign(SV) A (|SV| / V)^delta + noise`, with `V` the bars' own average daily volume
    /// (24 x the mean hourly volume, as the calibration measures it) and `A = Y sigma_c`.
    fn planted_bars(a: f64, delta: f64, noise_sd: f64, days: i64, seed: u64) -> BarSeries {
        let mut rng = SplitMix64::new(seed);
        let n = (days * 24) as usize;
        let vol: Vec<f64> = (0..n).map(|_| 500.0 + 1000.0 * rng.next_f64()).collect();
        let buy: Vec<f64> = (0..n).map(|_| rng.next_f64()).collect();
        let v_day = 24.0 * vol.iter().sum::<f64>() / n as f64;
        let mut c = BarColumns::default();
        let mut tb = Vec::with_capacity(n);
        let mut p = 30_000.0f64;
        for i in 0..n {
            let sv = (2.0 * buy[i] - 1.0) * vol[i];
            let (u1, u2) = (rng.next_f64().max(1e-300), rng.next_f64());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let r = sv.signum() * a * (sv.abs() / v_day).powf(delta) + noise_sd * z;
            let o = p;
            p *= r.exp();
            c.push_ohlcv(
                1_704_067_200_000 + i as i64 * 3_600_000,
                o,
                o.max(p),
                o.min(p),
                p,
                vol[i],
            );
            tb.push(buy[i] * vol[i]);
        }
        c.taker_buy_volume = Some(tb);
        BarSeries::new_checked(c, 3_600).unwrap()
    }

    fn built(cal: &Calibration, sqrt: bool) -> BuiltModel {
        let ctx = BuildContext {
            decay: None,
            calibration: Some(cal),
        };
        let spec = if sqrt {
            ModelSpec::Sqrt(SqrtSpec {
                params: ParamSource::Calibrated,
                ..SqrtSpec::default()
            })
        } else {
            ModelSpec::Power(PowerSpec {
                params: ParamSource::Calibrated,
                ..PowerSpec::default()
            })
        };
        spec.build(&ctx).unwrap()
    }

    /// A market state on another scale than the calibration's: a calibrated law must ignore it.
    fn other_market() -> MarketInputs {
        MarketInputs::new_checked(0.05, 3_000.0).unwrap()
    }

    /// Planted curve: a sale of `Q` priced by the calibrated power law peaks at
    /// `A (Q/V_c)^delta = Y sigma_c (Q/V_c)^delta` within the fit's error, whatever the market
    /// state's sigma and V; the square root with `delta` planted at 1/2 likewise.
    #[test]
    fn planted_curve_is_recovered_on_its_own_scale() {
        for (delta, sqrt) in [(0.7, false), (0.5, true)] {
            let a = 0.9 * 0.03;
            let bars = planted_bars(a, delta, 0.0005, 120, 7);
            let cal = calibrate(&bars, &CalibrationConfig::default()).unwrap();
            let b = built(&cal, sqrt);
            let v_c = cal.adv_btc;
            let q = 0.02 * v_c;
            let grid = ExecutionGrid::uniform(twap(q, 24), 24, 1.0).unwrap();
            let band = crate::uncertainty::param_band(
                b.model.as_ref(),
                &b.band,
                &grid,
                &other_market(),
                1.96,
            )
            .unwrap();
            let truth = a * (q / v_c).powf(delta);
            let rel = (band.peak.central - truth).abs() / truth;
            assert!(
                rel < 0.05,
                "delta {delta}: peak {} vs planted {truth}",
                band.peak.central
            );
            assert!(
                band.peak.low <= truth && truth <= band.peak.high,
                "delta {delta}: planted {truth} outside [{}, {}]",
                band.peak.low,
                band.peak.high
            );
            // The law reports its scale and does not use the market's.
            let p = b.model.params();
            assert_eq!(p["fit_adv_btc_per_day"], v_c);
            assert_eq!(p["fit_sigma_daily"], cal.sigma_daily);
            assert!(!b.model.uses_market_inputs());
            // Inside the bins' reach no warning; far beyond it, one naming the extrapolation, on
            // the calibration's V_c (not the market's V).
            let x_max = cal.scale().x_max;
            let inside = b
                .model
                .validity_check(0.5 * x_max * v_c, 1.0, &other_market())
                .unwrap();
            assert!(!inside.is_outside(), "{inside:?}");
            let outside = b
                .model
                .validity_check(10.0 * x_max * v_c, 1.0, &other_market())
                .unwrap();
            assert!((outside.sale.q_over_v - 10.0 * x_max).abs() < 1e-12 * x_max);
            let w = outside.warning("power").unwrap();
            assert!(w.contains("Q/V = ") && w.contains("extrapolation"), "{w}");
        }
    }

    /// Band coverage: over 200 simulated calibrations, the 95 % band of the predicted peak (the
    /// percentiles over each calibration's bootstrap draws of Y and delta together) covers the
    /// planted value about 95 % of the time. The corners of the separate intervals, the old band,
    /// cover nearly always: they overstate the uncertainty.
    #[test]
    fn calibrated_band_covers_the_planted_value_about_95_percent() {
        let (a, delta) = (0.9 * 0.03, 0.6);
        let (mut covered, mut corners_covered, mut width, mut corner_width) = (0, 0, 0.0, 0.0);
        let sims = 200;
        for seed in 0..sims {
            let bars = planted_bars(a, delta, 0.004, 60, 1_000 + seed);
            let cal = calibrate(
                &bars,
                &CalibrationConfig {
                    seed: seed + 1,
                    ..CalibrationConfig::default()
                },
            )
            .unwrap();
            let b = built(&cal, false);
            let v_c = cal.adv_btc;
            let q = 0.03 * v_c;
            let grid = ExecutionGrid::uniform(vec![q], 1, 1.0).unwrap();
            let band = crate::uncertainty::param_band(
                b.model.as_ref(),
                &b.band,
                &grid,
                &other_market(),
                0.0,
            )
            .unwrap();
            let truth = a * (q / v_c).powf(delta);
            covered += usize::from(band.peak.low <= truth && truth <= band.peak.high);
            width += (band.peak.high - band.peak.low) / truth;
            let (e, y) = (cal.curve.exponent, cal.curve.prefactor_y);
            let x = q / v_c;
            let hi = y.ci95_high * cal.sigma_daily * x.powf(e.ci95_low);
            let lo = y.ci95_low * cal.sigma_daily * x.powf(e.ci95_high);
            corners_covered += usize::from(lo <= truth && truth <= hi);
            corner_width += (hi - lo) / truth;
        }
        let rate = covered as f64 / sims as f64;
        eprintln!(
            "coverage {rate:.3} (mean width {:.3} of the truth); corners {:.3} (width {:.3})",
            width / sims as f64,
            corners_covered as f64 / sims as f64,
            corner_width / sims as f64
        );
        // Measured: 0.930 (width 0.25 of the truth). The envelope of the same draws covers 0.980
        // (width 0.47) and the corners 1.000 (width 9.5): both fail here.
        assert!((0.90..=0.975).contains(&rate), "coverage {rate}");
        assert!(corner_width > 2.0 * width);
    }

    #[test]
    fn rejects_bad_params() {
        assert!(PowerLaw::new_checked(0.0, 0.5).is_err());
        assert!(PowerLaw::new_checked(0.9, 2.5).is_err());
        assert!(PowerLaw::new_checked(0.9, 1.5).is_ok());
        assert!(PowerLaw::new_checked(f64::NAN, 0.5).is_err());
    }
}
