//! Estimators on OHLCV bars: volatility, bid-ask spread, illiquidity, volume and Kyle's lambda.
//!
//! | family | trait | estimators | file |
//! |---|---|---|---|
//! | volatility | [`VolEstimator`] | [`CloseToClose`], [`Parkinson`], [`GarmanKlass`], [`RogersSatchell`], [`YangZhang`] | `volatility.rs` |
//! | spread | [`SpreadEstimator`] | [`Roll`], [`CorwinSchultz`], [`AbdiRanaldo`], [`Edge`] | `spread.rs`, `edge.rs` |
//! | daily aggregation | type | [`DailyBars`]: the one rule for partial days behind every daily estimator | `daily.rs` |
//! | illiquidity, volume | functions | [`amihud`], [`amihud_daily`], [`adv`] | `liquidity.rs` |
//! | linear impact | function | [`kyle_lambda`], [`kyle_lambda_ols`] | `kyle_lambda.rs` |
//!
//! Estimators read an [`Ohlc`] view (slices of one length); a missing value is `NaN` and is
//! skipped as the estimator's reference code does (R's `na.rm = TRUE`). Variances are per bar;
//! [`sigma_daily`] scales them to a 24/7 day from any bar size.

mod daily;
mod edge;
mod kyle_lambda;
mod liquidity;
mod spread;
mod volatility;

pub use daily::{DailyBars, MIN_DAY_COVERAGE};
pub use edge::{edge_detail, Edge, EdgeDetail};
pub use kyle_lambda::{kyle_lambda, kyle_lambda_ols, newey_west_default_lags, KyleEstimate};
pub use liquidity::{adv, amihud, amihud_daily, AdvEstimate, AmihudEstimate};
pub use spread::{AbdiRanaldo, CorwinSchultz, Roll, SpreadEstimate, SpreadEstimator};
pub use volatility::{
    all_vol_estimators, sigma_daily, CloseToClose, GarmanKlass, Parkinson, RogersSatchell,
    VolEstimate, VolEstimator, YangZhang,
};

use crate::ImpactError;
use blocksale_core::BarSeries;

/// A read-only OHLC view: four slices of one length, in time order, `NaN` for a missing value.
///
/// `prev_close` is the close before the first bar, when known; estimators that need a previous
/// close (close-to-close, Yang-Zhang) otherwise use the first bar only as the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ohlc<'a> {
    /// Opens.
    pub open: &'a [f64],
    /// Highs.
    pub high: &'a [f64],
    /// Lows.
    pub low: &'a [f64],
    /// Closes.
    pub close: &'a [f64],
    /// Close before the first bar.
    pub prev_close: Option<f64>,
}

impl<'a> Ohlc<'a> {
    /// Checked constructor: equal lengths; values are prices (> 0) or `NaN` for missing.
    ///
    /// # Errors
    /// [`ImpactError::Input`] for unequal lengths or a non-positive or infinite price.
    pub fn new_checked(
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
        prev_close: Option<f64>,
    ) -> Result<Self, ImpactError> {
        let n = open.len();
        if high.len() != n || low.len() != n || close.len() != n {
            return Err(ImpactError::Input(format!(
                "open, high, low, close must have one length, got {}, {}, {}, {}",
                n,
                high.len(),
                low.len(),
                close.len()
            )));
        }
        for (name, col) in [
            ("open", open),
            ("high", high),
            ("low", low),
            ("close", close),
        ] {
            if let Some(i) = col
                .iter()
                .position(|x| !(x.is_nan() || (x.is_finite() && *x > 0.0)))
            {
                return Err(ImpactError::Input(format!(
                    "{name} at row {i} is {}, expected a price > 0 or a missing value",
                    col[i]
                )));
            }
        }
        Ok(Self {
            open,
            high,
            low,
            close,
            prev_close,
        })
    }

    /// The OHLC columns of a bar series (no previous close).
    pub fn from_series(bars: &'a BarSeries) -> Self {
        Self {
            open: bars.open(),
            high: bars.high(),
            low: bars.low(),
            close: bars.close(),
            prev_close: None,
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

/// Mean and sample standard deviation (divisor `n - 1`; `NaN` with fewer than two values) of `x`,
/// the one implementation for the footprint's hour-of-week baselines and the report's volume chart.
pub fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = if x.len() > 1 {
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (m, sd)
}

/// Sample variance (divisor `n - 1`) of the finite values; `NaN` with fewer than two.
pub(crate) fn sample_var(x: impl Iterator<Item = f64> + Clone) -> f64 {
    let (mut n, mut s) = (0usize, 0.0);
    for v in x.clone().filter(|v| v.is_finite()) {
        n += 1;
        s += v;
    }
    if n < 2 {
        return f64::NAN;
    }
    let m = s / n as f64;
    x.filter(|v| v.is_finite())
        .map(|v| (v - m) * (v - m))
        .sum::<f64>()
        / (n - 1) as f64
}

/// Mean of the non-NaN values (`NaN` when none).
pub(crate) fn nanmean(x: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut s) = (0usize, 0.0);
    for v in x.filter(|v| !v.is_nan()) {
        n += 1;
        s += v;
    }
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

pub(crate) fn too_few(what: &str, need: usize, got: usize) -> ImpactError {
    ImpactError::Input(format!(
        "{what} needs at least {need} usable bars, got {got}"
    ))
}

#[cfg(test)]
mod mean_sd_tests {
    use super::mean_sd;

    #[test]
    fn mean_sd_by_hand() {
        // mean 5, squared deviations 9 + 1 + 1 + 9 = 20, / 3
        let (m, sd) = mean_sd(&[2.0, 4.0, 6.0, 8.0]);
        assert_eq!(m, 5.0);
        assert!((sd - (20.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!(mean_sd(&[1.0]).1.is_nan());
    }
}
