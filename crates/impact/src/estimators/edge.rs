use super::{too_few, Ohlc, SpreadEstimate, SpreadEstimator};
use crate::ImpactError;
use serde::Serialize;

/// EDGE spread estimate with its intermediates (names as in the bidask pseudocode).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EdgeDetail {
    /// Spread `sqrt(|s2|)`, fraction.
    pub spread: f64,
    /// Signed squared spread.
    pub s2: f64,
    /// Share of periods with a price change (`tau` true).
    pub pt: f64,
    /// `mean(phi1) + mean(phi2)`.
    pub po: f64,
    /// `mean(phi3) + mean(phi4)`.
    pub pc: f64,
    /// Mean of `x1`.
    pub e1: f64,
    /// Mean of `x2`.
    pub e2: f64,
    /// Variance of `x1` (population form, as the reference).
    pub v1: f64,
    /// Variance of `x2`.
    pub v2: f64,
    /// Periods `t = 2..T` considered.
    pub n: usize,
}

/// Three-valued logic as in R: `None` is `NA`.
type B3 = Option<bool>;

fn ne(a: f64, b: f64) -> B3 {
    if a.is_nan() || b.is_nan() {
        None
    } else {
        Some(a != b)
    }
}
fn or3(a: B3, b: B3) -> B3 {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}
fn and3(a: B3, b: B3) -> B3 {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}
fn num(b: B3) -> f64 {
    match b {
        Some(true) => 1.0,
        Some(false) => 0.0,
        None => f64::NAN,
    }
}

/// EDGE (Ardia, Guidotti & Kroencke 2024) on the whole sample, with intermediates.
///
/// Follows the bidask reference code step by step: logs, mid `m = (h + l)/2`, lags, the indicator
/// `tau = h != l | l != c1` and `phi1..phi4`, `pt`, `po`, `pc`, the demeaned `d1, d3, d5`,
/// `x1 = -4/po d1 r2 - 4/pc d3 r4`, `x2 = -4/po d1 r5 - 4/pc d5 r4`, their means and variances,
/// `s2 = (v2 e1 + v1 e2) / (v1 + v2)`. Missing values (`NaN`) follow R: comparisons with a
/// missing value are `NA`, `NA | TRUE` is `TRUE`, `NA & FALSE` is `FALSE`, and every mean skips
/// `NA` (`na.rm = TRUE`). Returns `NaN` for the spread when `pt`, `po` or `pc` is 0.
///
/// # Errors
/// [`ImpactError::Input`] with fewer than 3 bars.
///
/// # References
/// Ardia, Guidotti & Kroencke 2024, "Efficient estimation of bid-ask spreads from open, high, low,
/// and close prices", J. Financial Economics 161, 103916; bidask package (R/edge.R,
/// python/bidask/edge.py, pseudocode/README.md); docs/methods.md §6; test vector T3 (§27).
pub fn edge_detail(b: &Ohlc<'_>) -> Result<EdgeDetail, ImpactError> {
    let n_all = b.len();
    if n_all < 3 {
        return Err(too_few("EDGE spread", 3, n_all));
    }
    let lg = |x: &[f64]| -> Vec<f64> { x.iter().map(|v| v.ln()).collect() };
    let (o, h, l, c) = (lg(b.open), lg(b.high), lg(b.low), lg(b.close));
    let n = n_all - 1;
    // Period t = 1..n_all (the pseudocode's t = 2..T), lagged values at t - 1: the indicators
    // (1, 0, or NaN for NA) and the returns r1..r5.
    let row = |t: usize| -> (f64, [f64; 4], [f64; 5]) {
        let (m, m1) = ((h[t] + l[t]) / 2.0, (h[t - 1] + l[t - 1]) / 2.0);
        let (h1, l1, c1) = (h[t - 1], l[t - 1], c[t - 1]);
        let tt = or3(ne(h[t], l[t]), ne(l[t], c1));
        let phi = [
            num(and3(ne(o[t], h[t]), tt)),
            num(and3(ne(o[t], l[t]), tt)),
            num(and3(ne(c1, h1), tt)),
            num(and3(ne(c1, l1), tt)),
        ];
        (
            num(tt),
            phi,
            [m - o[t], o[t] - m1, m - c1, c1 - m1, o[t] - c1],
        )
    };
    // NaN-skipping mean accumulator.
    #[derive(Clone, Copy, Default)]
    struct Acc(f64, usize);
    impl Acc {
        fn add(&mut self, x: f64) {
            if !x.is_nan() {
                self.0 += x;
                self.1 += 1;
            }
        }
        fn mean(self) -> f64 {
            if self.1 == 0 {
                f64::NAN
            } else {
                self.0 / self.1 as f64
            }
        }
    }
    let (mut a_tau, mut a_phi, mut a_r) =
        (Acc::default(), [Acc::default(); 4], [Acc::default(); 3]);
    for t in 1..n_all {
        let (tau, phi, r) = row(t);
        a_tau.add(tau);
        for k in 0..4 {
            a_phi[k].add(phi[k]);
        }
        a_r[0].add(r[0]);
        a_r[1].add(r[2]);
        a_r[2].add(r[4]);
    }
    let pt = a_tau.mean();
    let po = a_phi[0].mean() + a_phi[1].mean();
    let pc = a_phi[2].mean() + a_phi[3].mean();
    let nan = f64::NAN;
    if pt == 0.0 || po == 0.0 || pc == 0.0 {
        return Ok(EdgeDetail {
            spread: nan,
            s2: nan,
            pt,
            po,
            pc,
            e1: nan,
            e2: nan,
            v1: nan,
            v2: nan,
            n,
        });
    }
    let (mr1, mr3, mr5) = (a_r[0].mean(), a_r[1].mean(), a_r[2].mean());
    let (mut a1, mut a2, mut q1, mut q2) = (
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
    );
    for t in 1..n_all {
        let (tv, _, [r1, r2, r3, r4, r5]) = row(t);
        let d1 = r1 - tv * mr1 / pt;
        let d3 = r3 - tv * mr3 / pt;
        let d5 = r5 - tv * mr5 / pt;
        let x1 = -4.0 / po * d1 * r2 - 4.0 / pc * d3 * r4;
        let x2 = -4.0 / po * d1 * r5 - 4.0 / pc * d5 * r4;
        a1.add(x1);
        a2.add(x2);
        q1.add(x1 * x1);
        q2.add(x2 * x2);
    }
    let (e1, e2) = (a1.mean(), a2.mean());
    let v1 = q1.mean() - e1 * e1;
    let v2 = q2.mean() - e2 * e2;
    let s2 = (v2 * e1 + v1 * e2) / (v1 + v2);
    Ok(EdgeDetail {
        spread: s2.abs().sqrt(),
        s2,
        pt,
        po,
        pc,
        e1,
        e2,
        v1,
        v2,
        n,
    })
}

/// EDGE as a [`SpreadEstimator`] (see [`edge_detail`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Edge;

impl SpreadEstimator for Edge {
    fn name(&self) -> &'static str {
        "edge"
    }
    fn estimate(&self, b: &Ohlc<'_>) -> Result<SpreadEstimate, ImpactError> {
        let d = edge_detail(b)?;
        Ok(SpreadEstimate {
            spread: d.spread,
            s2: d.s2,
            n: d.n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_valued_logic() {
        assert_eq!(or3(None, Some(true)), Some(true));
        assert_eq!(or3(None, Some(false)), None);
        assert_eq!(and3(None, Some(false)), Some(false));
        assert_eq!(and3(None, Some(true)), None);
    }

    #[test]
    fn degenerate_sample_gives_nan() {
        let c = [1.0, 1.0, 1.0, 1.0];
        let d = edge_detail(&Ohlc::new_checked(&c, &c, &c, &c, None).unwrap()).unwrap();
        assert_eq!(d.pt, 0.0);
        assert!(d.spread.is_nan());
    }
}
