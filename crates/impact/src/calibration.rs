//! Calibration of an aggregate-impact curve from bars with taker-buy volume.
//!
//! ```text
//! x_t = |SV_t| / V          SV_t = 2 * taker_buy_t - volume_t (BTC), V = average daily volume (BTC/day)
//! y_t = sign(SV_t) * r_t    r_t = ln(C_t / C_{t-1}), the return in the direction of the net flow
//! bins of equal count on x; per bin the means (x_b, y_b); OLS on the bins with y_b > 0:
//!     ln y_b = ln(Y sigma_D) + delta ln x_b
//! ```
//!
//! `delta` is the fitted exponent and `Y = exp(intercept) / sigma_D` the prefactor of the power law
//! `I = Y sigma_D (Q/V)^delta` (docs/methods.md §9) with `sigma_D` the close-to-close daily volatility of
//! the same bars. The square root's prefactor is fitted with the slope fixed at 1/2:
//! `ln(Y_sqrt sigma_D) = mean over the bins of (ln y_b - ln x_b / 2)`. 95 % intervals come from a
//! seeded moving-block bootstrap of the bars (bin edges, `V` and `sigma_D` held fixed); each
//! replicate fits `Y`, `delta` and `Y_sqrt` together and is kept ([`CurveDraw`]), so a prediction's
//! band is the percentiles of that prediction across the replicates, not the corners of separate
//! intervals (`ln Y` and `delta` are strongly correlated). The curve holds on its own scale
//! ([`FitScale`]: `sigma_D`, `V`, the bar size), and that is where a calibrated model applies it.
//! Kyle's lambda of the same bars is reported beside the curve.
//!
//! Every result carries [`AGGREGATE_FLOW_NOTE`]: bars record aggregate order-flow imbalance, not
//! metaorders.
//!
//! # References
//! * Patzelt & Bouchaud 2018, "Universal scaling and nonlinearity of aggregate price impact in
//!   financial markets", Phys. Rev. E 97, 012304: aggregate impact of imbalance is linear for small
//!   imbalance and concave for large, unlike the square root of metaorders.
//! * Kunsch 1989, Annals of Statistics 17(3): the moving-block bootstrap.
//! * blocksale docs/methods.md §19 (this calibration), §9 (power law), §7 (Kyle lambda).

use crate::estimators::{adv, kyle_lambda, sample_var, sigma_daily, KyleEstimate};
use crate::rng::SplitMix64;
use crate::uncertainty::percentile_sorted;
use crate::ImpactError;
use blocksale_core::BarSeries;
use serde::{Deserialize, Serialize};

/// The caveat every calibration output carries.
pub const AGGREGATE_FLOW_NOTE: &str = "bars carry aggregate order-flow imbalance (every trader's taker \
flow netted within each bar), not metaorders: the fitted curve is the price response to net flow, which \
includes informed flow and traders reacting to the move within the bar; it is a check of scale, not the \
impact law of one block sale";

/// What a calibrated Kyle lambda is per, and how the models apply it (every calibrated Kyle or
/// exponential-kernel model carries it).
pub const KYLE_FLOW_NOTE: &str = "Kyle's lambda is the log-price move per BTC of net taker flow on \
the calibration venue's bars; the models apply it one for one to the sale's BTC on the price venue, \
with no venue-share scaling. If the calibration venue carries only a share f of the flow that moves \
the price, its flow proxies the total and the regression gives lambda_total / f: the prediction is \
then an upper estimate, too high by 1/f";

/// Settings of [`calibrate`]. Defaults: 20 bins, 200 bootstrap replicates, seed 42, block length
/// `ceil(n^(1/3))` bars, Newey-West lags by the usual rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalibrationConfig {
    /// Number of equal-count bins on `|SV|/V` (>= 3).
    pub n_bins: usize,
    /// Bootstrap replicates (>= 20 for a 95 % interval).
    pub bootstrap_reps: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Moving-block length in bars; `None`: `ceil(n^(1/3))`.
    pub block_len: Option<usize>,
    /// Newey-West lags for Kyle's lambda; `None`: `floor(4 (n/100)^(2/9))`.
    pub nw_lags: Option<usize>,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        Self {
            n_bins: 20,
            bootstrap_reps: 200,
            seed: 42,
            block_len: None,
            nw_lags: None,
        }
    }
}

impl CalibrationConfig {
    /// Check the settings.
    ///
    /// # Errors
    /// [`ImpactError::Param`] for fewer than 3 bins, fewer than 20 replicates or a zero block length.
    pub fn validate(&self) -> Result<(), ImpactError> {
        if self.n_bins < 3 {
            return Err(ImpactError::Param {
                name: "bins",
                value: self.n_bins as f64,
                expected: "an integer >= 3",
            });
        }
        if self.bootstrap_reps < 20 {
            return Err(ImpactError::Param {
                name: "bootstrap replicates",
                value: self.bootstrap_reps as f64,
                expected: "an integer >= 20",
            });
        }
        if self.block_len == Some(0) {
            return Err(ImpactError::Param {
                name: "block length",
                value: 0.0,
                expected: "an integer >= 1",
            });
        }
        Ok(())
    }
}

/// A point estimate with a 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Estimate on the full sample.
    pub estimate: f64,
    /// 2.5 % bootstrap percentile.
    pub ci95_low: f64,
    /// 97.5 % bootstrap percentile.
    pub ci95_high: f64,
}

/// One bin of the aggregate-impact curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveBin {
    /// Mean `|SV|/V` in the bin (dimensionless, V per day).
    pub x_mean: f64,
    /// Mean sign-adjusted log return (fraction).
    pub y_mean: f64,
    /// Bars in the bin.
    pub n: usize,
}

/// One bootstrap replicate of the curve: the parameters fitted together on the same resample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveDraw {
    /// Prefactor `Y` of the free fit (dimensionless, in units of `sigma_D`).
    pub y: f64,
    /// Exponent `delta` of the free fit.
    pub delta: f64,
    /// Prefactor `Y` of the fit with `delta` fixed at 1/2.
    pub y_sqrt: f64,
}

/// The fitted curve on arrays (see [`fit_curve`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveFit {
    /// Exponent `delta` with its interval.
    pub exponent: Interval,
    /// Prefactor `Y` (in units of `sigma_D`) with its interval.
    pub prefactor_y: Interval,
    /// Prefactor `Y` of the square root (`delta` fixed at 1/2): `ln Y sigma_D` is the mean over the
    /// bins of `ln y_b - ln x_b / 2`, the least-squares intercept with the slope fixed.
    pub prefactor_y_sqrt: Interval,
    /// Correlation of `ln Y` and `delta` across the bootstrap draws: near -1 or 1 the two are
    /// one uncertainty, and a band from the corners of their separate intervals overstates it.
    pub y_delta_correlation: f64,
    /// The bootstrap replicates in drawing order: a prediction's band is the 2.5 and 97.5
    /// percentiles of that prediction across them (the parameters taken together).
    pub draws: Vec<CurveDraw>,
    /// R^2 of the log-log OLS on the bins.
    pub log_fit_r_squared: f64,
    /// The bins, in increasing `x`.
    pub bins: Vec<CurveBin>,
    /// Bins left out of the log fit because their mean return is not > 0.
    pub bins_dropped: usize,
    /// Bootstrap replicates that produced a fit.
    pub bootstrap_reps_used: usize,
    /// Moving-block length used, bars.
    pub block_len: usize,
}

/// The scale a curve was fitted on, `|r_bar| = Y sigma_c (|SV_bar| / V_c)^delta`: a calibrated
/// power law prices a sale of `Q` as `Y sigma_c (Q / V_c)^delta` on this scale, not on the market
/// state's sigma and V (with `delta != 1` the two scales do not cancel).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitScale {
    /// `sigma_c`: close-to-close daily volatility of the calibration bars (fraction per day).
    pub sigma_daily: f64,
    /// `V_c`: average daily volume of the calibration bars, BTC/day.
    pub adv_btc: f64,
    /// Bar length of the calibration bars, seconds.
    pub bar_seconds: i64,
    /// The largest `|SV|/V_c` among the bins the curve was fitted on: the reach of its data.
    pub x_max: f64,
}

/// A calibration from bars: the curve, Kyle's lambda and the caveats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// [`AGGREGATE_FLOW_NOTE`].
    pub note: String,
    /// Bars (returns) used in the curve.
    pub bars_used: usize,
    /// Bar length, seconds.
    pub bar_seconds: i64,
    /// Close-to-close daily volatility of the bars (24/7 calendar).
    pub sigma_daily: f64,
    /// Average daily volume of the bars, BTC/day (the `V` of `|SV|/V`).
    pub adv_btc: f64,
    /// The fitted curve.
    pub curve: CurveFit,
    /// Kyle's lambda of the same bars (per BTC of signed volume), Newey-West interval.
    pub kyle: KyleEstimate,
    /// Set when the exponent is far from 1/2: what that means for a block sale.
    pub warning: Option<String>,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Calibration {
    /// The scale the curve was fitted on.
    pub fn scale(&self) -> FitScale {
        FitScale {
            sigma_daily: self.sigma_daily,
            adv_btc: self.adv_btc,
            bar_seconds: self.bar_seconds,
            x_max: self
                .curve
                .bins
                .iter()
                .map(|b| b.x_mean)
                .filter(|x| x.is_finite())
                .fold(0.0, f64::max),
        }
    }
}

fn ols(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = x.len() as f64;
    if x.len() < 3 {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let r2 = if syy > 0.0 { b * sxy / syy } else { f64::NAN };
    Some((my - b * mx, b, r2))
}

/// Log-log fit on bin sums: returns (intercept, slope, r2, bins used, intercept with the slope
/// fixed at 1/2).
fn fit_bins(sx: &[f64], sy: &[f64], cnt: &[usize]) -> Option<(f64, f64, f64, usize, f64)> {
    let mut lx = Vec::with_capacity(sx.len());
    let mut ly = Vec::with_capacity(sx.len());
    for b in 0..sx.len() {
        if cnt[b] == 0 {
            continue;
        }
        let (mx, my) = (sx[b] / cnt[b] as f64, sy[b] / cnt[b] as f64);
        if my > 0.0 && mx > 0.0 {
            lx.push(mx.ln());
            ly.push(my.ln());
        }
    }
    let used = lx.len();
    let (a, b, r2) = ols(&lx, &ly)?;
    Some((a, b, r2, used, fixed_slope_intercept(&lx, &ly, 0.5)))
}

/// Least-squares intercept of `ly = a + slope lx` with the slope fixed: `mean(ly - slope lx)`.
fn fixed_slope_intercept(lx: &[f64], ly: &[f64], slope: f64) -> f64 {
    lx.iter().zip(ly).map(|(x, y)| y - slope * x).sum::<f64>() / lx.len() as f64
}

/// Pearson correlation of two equal-length samples (`NaN` below 2 points or for a constant one).
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.len() < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Fit the aggregate-impact curve on arrays in time order: `x` = `|SV|/V`, `y` = sign-adjusted
/// return, `sigma_daily` to express the prefactor as `Y`.
///
/// Pairs with a non-finite value or `x <= 0` are dropped.
///
/// # Errors
/// [`ImpactError::Input`] when fewer than `3 * n_bins` pairs remain or fewer than 3 bins have a
/// positive mean return; [`ImpactError::Param`] for bad settings.
pub fn fit_curve(
    x: &[f64],
    y: &[f64],
    sigma_daily: f64,
    cfg: &CalibrationConfig,
) -> Result<CurveFit, ImpactError> {
    cfg.validate()?;
    crate::error::positive("sigma_daily", sigma_daily)?;
    let (x, y): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0)
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = x.len();
    let nb = cfg.n_bins;
    if n < 3 * nb {
        return Err(ImpactError::Input(format!(
            "the impact curve needs at least {} bars with non-zero signed volume for {nb} bins, got {n}",
            3 * nb
        )));
    }
    // Equal-count bins on x.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut bin = vec![0u32; n];
    for (rank, &i) in order.iter().enumerate() {
        bin[i] = (rank * nb / n) as u32;
    }
    let sums = |idx: &mut dyn Iterator<Item = usize>| {
        let (mut sx, mut sy, mut c) = (vec![0.0; nb], vec![0.0; nb], vec![0usize; nb]);
        for i in idx {
            let b = bin[i] as usize;
            sx[b] += x[i];
            sy[b] += y[i];
            c[b] += 1;
        }
        (sx, sy, c)
    };
    let (sx, sy, c) = sums(&mut (0..n));
    let (a, d, r2, used, a_sqrt) = fit_bins(&sx, &sy, &c).ok_or_else(|| {
        ImpactError::Input(
            "fewer than 3 bins have a positive mean sign-adjusted return: no power law to fit"
                .into(),
        )
    })?;
    let bins: Vec<CurveBin> = (0..nb)
        .map(|b| CurveBin {
            x_mean: sx[b] / c[b] as f64,
            y_mean: sy[b] / c[b] as f64,
            n: c[b],
        })
        .collect();
    // Moving-block bootstrap.
    let block = cfg
        .block_len
        .unwrap_or_else(|| (n as f64).cbrt().ceil() as usize)
        .clamp(1, n);
    let mut rng = SplitMix64::new(cfg.seed);
    let mut draws = Vec::with_capacity(cfg.bootstrap_reps);
    let n_blocks = n.div_ceil(block);
    for _ in 0..cfg.bootstrap_reps {
        let mut it = (0..n_blocks).flat_map(|_| {
            let s = rng.below(n - block + 1);
            s..s + block
        });
        let (bx, by, bc) = sums(&mut it.by_ref().take(n));
        if let Some((ba, bd, _, _, ba_sqrt)) = fit_bins(&bx, &by, &bc) {
            draws.push(CurveDraw {
                y: ba.exp() / sigma_daily,
                delta: bd,
                y_sqrt: ba_sqrt.exp() / sigma_daily,
            });
        }
    }
    let interval = |estimate: f64, f: fn(&CurveDraw) -> f64| {
        let mut v: Vec<f64> = draws.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        Interval {
            estimate,
            ci95_low: percentile_sorted(&v, 0.025),
            ci95_high: percentile_sorted(&v, 0.975),
        }
    };
    let ln_y: Vec<f64> = draws.iter().map(|w| w.y.ln()).collect();
    let deltas: Vec<f64> = draws.iter().map(|w| w.delta).collect();
    Ok(CurveFit {
        exponent: interval(d, |w| w.delta),
        prefactor_y: interval(a.exp() / sigma_daily, |w| w.y),
        prefactor_y_sqrt: interval(a_sqrt.exp() / sigma_daily, |w| w.y_sqrt),
        y_delta_correlation: correlation(&ln_y, &deltas),
        log_fit_r_squared: r2,
        bins,
        bins_dropped: nb - used,
        bootstrap_reps_used: draws.len(),
        draws,
        block_len: block,
    })
}

/// The warning for an exponent far from 1/2 (more than 0.15 away, or an interval excluding 1/2).
pub fn exponent_warning(exponent: &Interval) -> Option<String> {
    let d = exponent.estimate;
    let excludes = exponent.ci95_low > 0.5 || exponent.ci95_high < 0.5;
    if (d - 0.5).abs() <= 0.15 && !excludes {
        return None;
    }
    let shape = if d > 0.5 {
        "closer to linear than the square root: typical of aggregate imbalance over short bars, where net flow \
         is small and impact is near linear (Patzelt & Bouchaud 2018). Extrapolated to a block whose Q/V lies \
         above the range of the bins, this curve predicts MORE impact than the square-root law, and less below it"
    } else {
        "more concave than the square root: large bar imbalances coincide with smaller moves per unit of flow \
         (liquidity arrives with the flow, or the largest imbalances are mechanical). Extrapolated to a block \
         whose Q/V lies above the range of the bins, this curve predicts LESS impact than the square-root law"
    };
    Some(format!(
        "fitted exponent {d:.3} (95 % CI {:.3} to {:.3}) is far from 1/2: the bar-level curve is {shape}. Bars \
         measure aggregate flow, not a metaorder, so this does not overturn the square-root law for a sale \
         (delta = 1/2 in the metaorder literature, docs/methods.md §9); use the square root for the shape and this fit \
         only as a check of scale, and show the linear lambda beside it",
        exponent.ci95_low, exponent.ci95_high
    ))
}

/// Calibrate the aggregate-impact curve and Kyle's lambda on bars with taker-buy volume.
///
/// The caller chooses the bar size (resample first) and the date range (slice first).
///
/// # Errors
/// [`ImpactError::Input`] when the bars lack taker-buy volume or BTC volume, or are too few.
pub fn calibrate(bars: &BarSeries, cfg: &CalibrationConfig) -> Result<Calibration, ImpactError> {
    cfg.validate()?;
    let tb = bars.taker_buy_volume().ok_or_else(|| {
        ImpactError::Input(
            "calibration needs taker-buy volume (Binance kline files have it), these bars do not"
                .into(),
        )
    })?;
    let a = adv(bars)?;
    let c = bars.close();
    let v = bars.volume();
    let r: Vec<f64> = (1..bars.len()).map(|t| (c[t] / c[t - 1]).ln()).collect();
    let sigma = sigma_daily(sample_var(r.iter().copied()), bars.bar_seconds() as f64);
    let sv: Vec<f64> = (1..bars.len()).map(|t| 2.0 * tb[t] - v[t]).collect();
    let x: Vec<f64> = sv.iter().map(|s| s.abs() / a.adv_btc).collect();
    let y: Vec<f64> = sv.iter().zip(&r).map(|(s, r)| s.signum() * r).collect();
    let curve = fit_curve(&x, &y, sigma, cfg)?;
    let kyle = kyle_lambda(bars, cfg.nw_lags)?;
    let warning = exponent_warning(&curve.exponent);
    Ok(Calibration {
        note: AGGREGATE_FLOW_NOTE.to_string(),
        bars_used: curve.bins.iter().map(|b| b.n).sum(),
        bar_seconds: bars.bar_seconds(),
        sigma_daily: sigma,
        adv_btc: a.adv_btc,
        curve,
        kyle,
        warning,
        seed: cfg.seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_core::BarColumns;

    /// Synthetic truth y = Y sigma x^delta + noise: the fit recovers delta and Y inside its interval.
    #[test]
    fn recovers_a_known_power_law() {
        let mut rng = SplitMix64::new(1);
        let (sigma, y_true, d_true) = (0.03, 0.9, 0.5);
        let n = 20_000;
        let mut x = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let xi = 10f64.powf(-5.0 + 3.0 * rng.next_f64());
            let noise = (rng.next_f64() - 0.5) * 0.2 * y_true * sigma * xi.powf(d_true);
            x.push(xi);
            y.push(y_true * sigma * xi.powf(d_true) + noise);
        }
        let f = fit_curve(&x, &y, sigma, &CalibrationConfig::default()).unwrap();
        assert!((f.exponent.estimate - 0.5).abs() < 0.01, "{:?}", f.exponent);
        assert!(
            f.exponent.ci95_low < 0.5 && 0.5 < f.exponent.ci95_high,
            "{:?}",
            f.exponent
        );
        assert!(
            (f.prefactor_y.estimate - 0.9).abs() < 0.05,
            "{:?}",
            f.prefactor_y
        );
        assert!(
            f.prefactor_y.ci95_low < f.prefactor_y.estimate
                && f.prefactor_y.estimate < f.prefactor_y.ci95_high
        );
        assert_eq!(f.bins_dropped, 0);
        assert_eq!(f.bootstrap_reps_used, 200);
        assert!(exponent_warning(&f.exponent).is_none());
        // Same seed, same numbers.
        let g = fit_curve(&x, &y, sigma, &CalibrationConfig::default()).unwrap();
        assert_eq!(f, g);
    }

    #[test]
    fn linear_truth_triggers_the_warning() {
        let mut rng = SplitMix64::new(2);
        let n = 6000;
        let x: Vec<f64> = (0..n)
            .map(|_| 10f64.powf(-4.0 + 2.0 * rng.next_f64()))
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|xi| 0.03 * xi * (0.9 + 0.2 * rng.next_f64()))
            .collect();
        let f = fit_curve(&x, &y, 0.03, &CalibrationConfig::default()).unwrap();
        assert!((f.exponent.estimate - 1.0).abs() < 0.02);
        let w = exponent_warning(&f.exponent).unwrap();
        assert!(
            w.contains("far from 1/2") && w.contains("MORE impact"),
            "{w}"
        );
    }

    #[test]
    fn calibrate_on_synthetic_bars() {
        // Hourly bars whose return follows the net flow by a square root of |SV|/V.
        let mut rng = SplitMix64::new(3);
        let mut c = BarColumns::default();
        let mut tb = Vec::new();
        let mut p: f64 = 30_000.0;
        for i in 0..(60 * 24) {
            let vol = 500.0 + 500.0 * rng.next_f64();
            let buy_share = rng.next_f64();
            let sv = (2.0 * buy_share - 1.0) * vol;
            let x = sv.abs() / 18_000.0;
            let r = sv.signum() * 0.9 * 0.03 * x.sqrt() + 0.0005 * (rng.next_f64() - 0.5);
            let o = p;
            p *= r.exp();
            c.push_ohlcv(
                1_704_067_200_000 + i * 3_600_000,
                o,
                o.max(p) * 1.001,
                o.min(p) * 0.999,
                p,
                vol,
            );
            tb.push(buy_share * vol);
        }
        c.taker_buy_volume = Some(tb);
        let bars = BarSeries::new_checked(c, 3600).unwrap();
        let cal = calibrate(
            &bars,
            &CalibrationConfig {
                bootstrap_reps: 50,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            (cal.curve.exponent.estimate - 0.5).abs() < 0.1,
            "{:?}",
            cal.curve.exponent
        );
        assert!(cal.kyle.lambda_per_btc > 0.0);
        assert!(cal.note.contains("not metaorders"));
        assert!((cal.adv_btc - 18_000.0).abs() < 1_000.0);
        let mut no_taker = bars.clone().into_columns();
        no_taker.taker_buy_volume = None;
        let e = calibrate(
            &BarSeries::new_checked(no_taker, 3600).unwrap(),
            &CalibrationConfig::default(),
        );
        assert!(e.unwrap_err().to_string().contains("taker-buy"));
    }
}
