use super::{sample_var, too_few, Ohlc};
use crate::ImpactError;
use serde::Serialize;

/// Daily sigma from a per-bar variance on a 24/7 calendar: `sqrt(var * 86400 / bar_seconds)`.
pub fn sigma_daily(variance_per_bar: f64, bar_seconds: f64) -> f64 {
    (variance_per_bar * 86_400.0 / bar_seconds).sqrt()
}

/// A volatility estimate: per-bar variance and the daily sigma it implies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VolEstimate {
    /// Variance of log returns per bar.
    pub variance_per_bar: f64,
    /// Daily volatility of log returns, 24/7 calendar (365 days a year).
    pub sigma_daily: f64,
    /// Bars (or returns) used.
    pub n: usize,
}

/// A range- or close-based volatility estimator on OHLC bars.
pub trait VolEstimator: Send + Sync + std::fmt::Debug {
    /// Stable key (`close_to_close`, `parkinson`, ...).
    fn name(&self) -> &'static str;

    /// Variance of log returns per bar and the number of bars used.
    ///
    /// # Errors
    /// [`ImpactError::Input`] when too few usable bars remain.
    fn variance_per_bar(&self, bars: &Ohlc<'_>) -> Result<(f64, usize), ImpactError>;

    /// Per-bar variance and daily sigma for bars of `bar_seconds`.
    ///
    /// # Errors
    /// As [`VolEstimator::variance_per_bar`].
    fn estimate(&self, bars: &Ohlc<'_>, bar_seconds: f64) -> Result<VolEstimate, ImpactError> {
        let (v, n) = self.variance_per_bar(bars)?;
        Ok(VolEstimate {
            variance_per_bar: v,
            sigma_daily: sigma_daily(v, bar_seconds),
            n,
        })
    }
}

/// The five volatility estimators, in output order.
pub fn all_vol_estimators() -> Vec<Box<dyn VolEstimator>> {
    vec![
        Box::new(CloseToClose),
        Box::new(Parkinson),
        Box::new(GarmanKlass),
        Box::new(RogersSatchell),
        Box::new(YangZhang),
    ]
}

/// Previous close of each bar: `prev_close` for bar 0 when given, else bar 0 is skipped.
fn with_prev<'a>(b: &'a Ohlc<'a>) -> impl Iterator<Item = (usize, f64)> + Clone + 'a {
    let first = b.prev_close;
    (0..b.len()).filter_map(move |i| {
        if i == 0 {
            first.map(|c| (0, c))
        } else {
            Some((i, b.close[i - 1]))
        }
    })
}

/// Close-to-close: sample variance of `r_i = ln(C_i / C_{i-1})`.
///
/// # References
/// TTR `volatility(calc = "close")` (R/volatility.R); docs/methods.md §3; test vector T6 (§27).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseToClose;

impl VolEstimator for CloseToClose {
    fn name(&self) -> &'static str {
        "close_to_close"
    }
    fn variance_per_bar(&self, b: &Ohlc<'_>) -> Result<(f64, usize), ImpactError> {
        let r = with_prev(b).map(|(i, c0)| (b.close[i] / c0).ln());
        let n = r.clone().filter(|x| x.is_finite()).count();
        if n < 2 {
            return Err(too_few("close-to-close variance", 2, n));
        }
        Ok((sample_var(r), n))
    }
}

/// Parkinson: `1/(4 n ln 2) * sum (ln H/L)^2`.
///
/// # References
/// Parkinson 1980, J. Business 53(1); TTR R/volatility.R; docs/methods.md §3; test vector T6 (§27).
#[derive(Debug, Clone, Copy, Default)]
pub struct Parkinson;

impl VolEstimator for Parkinson {
    fn name(&self) -> &'static str {
        "parkinson"
    }
    fn variance_per_bar(&self, b: &Ohlc<'_>) -> Result<(f64, usize), ImpactError> {
        let terms: Vec<f64> = (0..b.len())
            .map(|i| (b.high[i] / b.low[i]).ln().powi(2))
            .filter(|x| x.is_finite())
            .collect();
        if terms.is_empty() {
            return Err(too_few("Parkinson variance", 1, 0));
        }
        let n = terms.len();
        Ok((
            terms.iter().sum::<f64>() / (4.0 * n as f64 * std::f64::consts::LN_2),
            n,
        ))
    }
}

/// Garman-Klass: `1/n * sum [0.5 (ln H/L)^2 - (2 ln 2 - 1)(ln C/O)^2]`.
///
/// # References
/// Garman & Klass 1980, J. Business 53(1); TTR R/volatility.R; docs/methods.md §3; test vector T6 (§27).
#[derive(Debug, Clone, Copy, Default)]
pub struct GarmanKlass;

impl VolEstimator for GarmanKlass {
    fn name(&self) -> &'static str {
        "garman_klass"
    }
    fn variance_per_bar(&self, b: &Ohlc<'_>) -> Result<(f64, usize), ImpactError> {
        let k = 2.0 * std::f64::consts::LN_2 - 1.0;
        let terms: Vec<f64> = (0..b.len())
            .map(|i| {
                0.5 * (b.high[i] / b.low[i]).ln().powi(2)
                    - k * (b.close[i] / b.open[i]).ln().powi(2)
            })
            .filter(|x| x.is_finite())
            .collect();
        if terms.is_empty() {
            return Err(too_few("Garman-Klass variance", 1, 0));
        }
        Ok((terms.iter().sum::<f64>() / terms.len() as f64, terms.len()))
    }
}

fn rs_term(b: &Ohlc<'_>, i: usize) -> f64 {
    let (o, h, l, c) = (b.open[i], b.high[i], b.low[i], b.close[i]);
    (h / c).ln() * (h / o).ln() + (l / c).ln() * (l / o).ln()
}

/// Rogers-Satchell: `1/n * sum [ln(H/C) ln(H/O) + ln(L/C) ln(L/O)]` (drift-free).
///
/// # References
/// Rogers & Satchell 1991, Annals of Applied Probability 1(4); TTR R/volatility.R; test vector T6.
#[derive(Debug, Clone, Copy, Default)]
pub struct RogersSatchell;

impl VolEstimator for RogersSatchell {
    fn name(&self) -> &'static str {
        "rogers_satchell"
    }
    fn variance_per_bar(&self, b: &Ohlc<'_>) -> Result<(f64, usize), ImpactError> {
        let terms: Vec<f64> = (0..b.len())
            .map(|i| rs_term(b, i))
            .filter(|x| x.is_finite())
            .collect();
        if terms.is_empty() {
            return Err(too_few("Rogers-Satchell variance", 1, 0));
        }
        Ok((terms.iter().sum::<f64>() / terms.len() as f64, terms.len()))
    }
}

/// Yang-Zhang: `s_o^2 + k s_c^2 + (1 - k) s_RS^2`, `k = 0.34 / (1.34 + (n+1)/(n-1))`, with
/// `s_o^2` the sample variance of `ln(O_i / C_{i-1})`, `s_c^2` that of `ln(C_i / O_i)` and `s_RS^2`
/// the Rogers-Satchell mean, over the `n` bars that have a previous close.
///
/// # References
/// Yang & Zhang 2000, J. Business 73(3); TTR R/volatility.R; docs/methods.md §3; test vector T6 (§27).
#[derive(Debug, Clone, Copy, Default)]
pub struct YangZhang;

impl YangZhang {
    /// The weight `k` for `n` bars.
    pub fn k(n: usize) -> f64 {
        let n = n as f64;
        0.34 / (1.34 + (n + 1.0) / (n - 1.0))
    }
}

impl VolEstimator for YangZhang {
    fn name(&self) -> &'static str {
        "yang_zhang"
    }
    fn variance_per_bar(&self, b: &Ohlc<'_>) -> Result<(f64, usize), ImpactError> {
        let rows: Vec<(f64, f64, f64)> = with_prev(b)
            .map(|(i, c0)| {
                (
                    (b.open[i] / c0).ln(),
                    (b.close[i] / b.open[i]).ln(),
                    rs_term(b, i),
                )
            })
            .filter(|(a, c, r)| a.is_finite() && c.is_finite() && r.is_finite())
            .collect();
        let n = rows.len();
        if n < 2 {
            return Err(too_few("Yang-Zhang variance", 2, n));
        }
        let so = sample_var(rows.iter().map(|r| r.0));
        let sc = sample_var(rows.iter().map(|r| r.1));
        let srs = rows.iter().map(|r| r.2).sum::<f64>() / n as f64;
        let k = Self::k(n);
        Ok((so + k * sc + (1.0 - k) * srs, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector T6 (docs/methods.md §27): four bars, prior close 100.
    #[test]
    fn t6_four_bars() {
        let o = [100.0, 105.0, 102.0, 97.0];
        let h = [110.0, 108.0, 104.0, 103.0];
        let l = [95.0, 100.0, 96.0, 96.0];
        let c = [105.0, 102.0, 97.0, 101.0];
        let b = Ohlc::new_checked(&o, &h, &l, &c, Some(100.0)).unwrap();
        let close8 = |x: f64, e: f64| (x - e).abs() < 5e-9;
        let v = |e: &dyn VolEstimator| e.variance_per_bar(&b).unwrap().0;
        assert!(close8(v(&Parkinson), 0.00349636), "{}", v(&Parkinson));
        assert!(close8(v(&GarmanKlass), 0.00413428), "{}", v(&GarmanKlass));
        assert!(
            close8(v(&RogersSatchell), 0.00395703),
            "{}",
            v(&RogersSatchell)
        );
        assert!(close8(v(&YangZhang), 0.00378681), "{}", v(&YangZhang));
        assert!((YangZhang::k(4) - 0.11308204).abs() < 5e-9);
        assert!(close8(v(&CloseToClose), 0.00245173), "{}", v(&CloseToClose));
        // Daily scaling: 1-hour bars -> x24 variance.
        let e = Parkinson.estimate(&b, 3600.0).unwrap();
        assert!((e.sigma_daily - (0.00349636f64 * 24.0).sqrt()).abs() < 1e-7);
    }

    #[test]
    fn missing_values_are_skipped() {
        let o = [100.0, f64::NAN, 102.0, 97.0];
        let h = [110.0, 108.0, 104.0, 103.0];
        let l = [95.0, 100.0, 96.0, 96.0];
        let c = [105.0, 102.0, 97.0, 101.0];
        let b = Ohlc::new_checked(&o, &h, &l, &c, None).unwrap();
        assert_eq!(Parkinson.variance_per_bar(&b).unwrap().1, 4);
        assert_eq!(GarmanKlass.variance_per_bar(&b).unwrap().1, 3);
        assert_eq!(CloseToClose.variance_per_bar(&b).unwrap().1, 3);
        assert!(Ohlc::new_checked(&o, &h, &l, &c[..3], None).is_err());
        assert!(Ohlc::new_checked(&[-1.0], &[1.0], &[1.0], &[1.0], None).is_err());
    }
}
