use super::{nanmean, too_few, Ohlc};
use crate::ImpactError;
use serde::Serialize;

/// A bid-ask spread estimate, as a fraction of the price (0.01 = 1 %).
///
/// Moment estimators can produce a negative squared spread `s2`; as in the bidask package
/// (`sign = FALSE`) `spread` is then `sqrt(|s2|)` and the sign of `s2` says the estimate is not
/// meaningful. For BTC majors these are noise-level numbers (docs/methods.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpreadEstimate {
    /// Spread, fraction of the price.
    pub spread: f64,
    /// Signed squared spread (negative: the estimator broke down on this sample).
    pub s2: f64,
    /// Observations used.
    pub n: usize,
}

impl SpreadEstimate {
    pub(crate) fn from_s2(s2: f64, n: usize) -> Self {
        Self {
            spread: s2.abs().sqrt(),
            s2,
            n,
        }
    }
}

/// A spread estimator on OHLC bars.
pub trait SpreadEstimator: Send + Sync + std::fmt::Debug {
    /// Stable key (`roll`, `corwin_schultz`, `abdi_ranaldo`, `edge`).
    fn name(&self) -> &'static str;

    /// Spread over all bars (missing values skipped).
    ///
    /// # Errors
    /// [`ImpactError::Input`] when too few usable bars remain.
    fn estimate(&self, bars: &Ohlc<'_>) -> Result<SpreadEstimate, ImpactError>;
}

/// Roll (1984): `s2 = -4 n/(n-1) cov(r_t, r_{t-1})` on log close changes.
///
/// Each mean skips its own missing values and `n` counts the lagged changes present, as in bidask's
/// `ROLL` (R/roll.R).
///
/// # References
/// Roll 1984, "A simple implicit measure of the effective bid-ask spread", J. Finance 39(4).
#[derive(Debug, Clone, Copy, Default)]
pub struct Roll;

impl SpreadEstimator for Roll {
    fn name(&self) -> &'static str {
        "roll"
    }
    fn estimate(&self, b: &Ohlc<'_>) -> Result<SpreadEstimate, ImpactError> {
        let c: Vec<f64> = b.close.iter().map(|x| x.ln()).collect();
        if c.len() < 3 {
            return Err(too_few("Roll spread", 3, c.len()));
        }
        let r1: Vec<f64> = (2..c.len()).map(|t| c[t] - c[t - 1]).collect();
        let r2: Vec<f64> = (2..c.len()).map(|t| c[t - 1] - c[t - 2]).collect();
        let n = r2.iter().filter(|x| !x.is_nan()).count() as f64;
        let m1 = nanmean(r1.iter().copied());
        let m2 = nanmean(r2.iter().copied());
        let m3 = nanmean(r1.iter().zip(&r2).map(|(a, b)| a * b));
        let s2 = -4.0 * n / (n - 1.0) * (m3 - m1 * m2);
        Ok(SpreadEstimate::from_s2(s2, n as usize))
    }
}

/// Corwin-Schultz (2012) high-low estimator, two-bar version with the overnight-gap adjustment,
/// "monthly" average as bidask's `CS`: the two-bar estimates `S_t` are averaged, then a negative
/// mean is set to 0.
///
/// ```text
/// gap_t = max(0, C_{t-1} - H_t) + min(0, C_{t-1} - L_t);  H~_t = H_t + gap_t, L~_t = L_t + gap_t
/// beta  = ln(H_t/L_t)^2 + ln(H_{t-1}/L_{t-1})^2
/// gamma = ln(max(H~_t, H_{t-1}) / min(L~_t, L_{t-1}))^2
/// alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))
/// S_t   = 2 (e^alpha - 1) / (1 + e^alpha)
/// ```
///
/// `spread` is `max(mean S_t, 0)` and `s2 = mean S_t * |mean S_t|`.
///
/// # References
/// Corwin & Schultz 2012, "A simple way to estimate bid-ask spreads from daily high and low prices",
/// J. Finance 67(2), 719-760; bidask R/cs.R.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorwinSchultz;

impl SpreadEstimator for CorwinSchultz {
    fn name(&self) -> &'static str {
        "corwin_schultz"
    }
    fn estimate(&self, b: &Ohlc<'_>) -> Result<SpreadEstimate, ImpactError> {
        if b.len() < 2 {
            return Err(too_few("Corwin-Schultz spread", 2, b.len()));
        }
        let k = 3.0 - 2.0 * std::f64::consts::SQRT_2;
        let s = (1..b.len()).map(|t| {
            let (c1, h1, l1) = (b.close[t - 1], b.high[t - 1], b.low[t - 1]);
            let (h2, l2) = (b.high[t], b.low[t]);
            let gap = (c1 - h2).max(0.0) + (c1 - l2).min(0.0);
            let (ah2, al2) = (h2 + gap, l2 + gap);
            let beta = ((h2 / l2).ln().powi(2) + (h1 / l1).ln().powi(2)).max(0.0);
            let gamma = (ah2.max(h1) / al2.min(l1)).ln().powi(2);
            let alpha = ((2.0 * beta).sqrt() - beta.sqrt()) / k - (gamma / k).sqrt();
            2.0 * (alpha.exp() - 1.0) / (1.0 + alpha.exp())
        });
        let vals: Vec<f64> = s.collect();
        let n = vals.iter().filter(|x| !x.is_nan()).count();
        if n == 0 {
            return Err(too_few("Corwin-Schultz spread", 2, 0));
        }
        let m = nanmean(vals.into_iter());
        Ok(SpreadEstimate {
            spread: m.max(0.0),
            s2: m * m.abs(),
            n,
        })
    }
}

/// Abdi-Ranaldo (2017) close-high-low estimator, averaged version as bidask's `AR`:
///
/// ```text
/// eta_t = (ln H_t + ln L_t) / 2;  s2 = 4 * mean[(c_{t-1} - eta_{t-1}) (c_{t-1} - eta_t)]
/// ```
///
/// # References
/// Abdi & Ranaldo 2017, "A simple estimation of bid-ask spreads from daily close, high, and low
/// prices", Review of Financial Studies 30(12), 4437-4480; bidask R/ar.R.
#[derive(Debug, Clone, Copy, Default)]
pub struct AbdiRanaldo;

impl SpreadEstimator for AbdiRanaldo {
    fn name(&self) -> &'static str {
        "abdi_ranaldo"
    }
    fn estimate(&self, b: &Ohlc<'_>) -> Result<SpreadEstimate, ImpactError> {
        if b.len() < 2 {
            return Err(too_few("Abdi-Ranaldo spread", 2, b.len()));
        }
        let mid = |t: usize| (b.high[t].ln() + b.low[t].ln()) / 2.0;
        let terms: Vec<f64> = (1..b.len())
            .map(|t| {
                let c1 = b.close[t - 1].ln();
                4.0 * (c1 - mid(t - 1)) * (c1 - mid(t))
            })
            .collect();
        let n = terms.iter().filter(|x| !x.is_nan()).count();
        Ok(SpreadEstimate::from_s2(nanmean(terms.into_iter()), n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        // Closes 100, 101, 100, 101: log changes alternate +a, -a, +a with a = ln 1.01.
        let c = [100.0, 101.0, 100.0, 101.0];
        let b = Ohlc::new_checked(&c, &c, &c, &c, None).unwrap();
        let a = 1.01f64.ln();
        // r1 = (-a, a), r2 = (a, -a): mean(r1 r2) = -a^2, means 0 -> s2 = -4 * 2/1 * (-a^2) = 8 a^2.
        let r = Roll.estimate(&b).unwrap();
        assert!((r.s2 - 8.0 * a * a).abs() < 1e-15);
        // AR with H = L = C: eta = c, every term 0.
        assert_eq!(AbdiRanaldo.estimate(&b).unwrap().s2, 0.0);
        // CS on two identical bars H = 101, L = 99, C = 100: gap 0, beta = 2 x^2, gamma = x^2.
        let (h, l, cl) = ([101.0, 101.0], [99.0, 99.0], [100.0, 100.0]);
        let b = Ohlc::new_checked(&cl, &h, &l, &cl, None).unwrap();
        let x = (101.0f64 / 99.0).ln();
        let k = 3.0 - 2.0 * 2f64.sqrt();
        let beta = 2.0 * x * x;
        let alpha = ((2.0 * beta).sqrt() - beta.sqrt()) / k - (x * x / k).sqrt();
        let s = 2.0 * (alpha.exp() - 1.0) / (1.0 + alpha.exp());
        let cs = CorwinSchultz.estimate(&b).unwrap();
        assert!((cs.spread - s.max(0.0)).abs() < 1e-15);
        assert!(Roll
            .estimate(&Ohlc::new_checked(&c[..2], &c[..2], &c[..2], &c[..2], None).unwrap())
            .is_err());
    }
}
