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
    /// Share of periods with a price change (`tau` = 1) among those where `tau` is present.
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
    /// Periods `t = 2..T` in the sample (`T - 1`, missing values included).
    pub n: usize,
}

/// An indicator over inputs that may be missing: `NaN` when any input is missing, else 1 or 0.
///
/// As the reference code (`np.where(np.isnan(a) | np.isnan(b), np.nan, a != b)`): a missing
/// input never decides the indicator, so there is no `NA | TRUE = TRUE`.
fn indicator(inputs: &[f64], holds: bool) -> f64 {
    if inputs.iter().any(|x| x.is_nan()) {
        f64::NAN
    } else if holds {
        1.0
    } else {
        0.0
    }
}

/// Mean over the values present (`np.nanmean`, R's `mean(x, na.rm = TRUE)`); `NaN` when none is.
#[derive(Clone, Copy, Default)]
struct NanMean {
    sum: f64,
    n: usize,
}

impl NanMean {
    fn add(&mut self, x: f64) {
        if !x.is_nan() {
            self.sum += x;
            self.n += 1;
        }
    }
    fn mean(self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum / self.n as f64
        }
    }
}

/// One period `t` (the pseudocode's `t = 2..T`): `tau`, the four indicators `po1, po2, pc1, pc2`
/// (each already multiplied by `tau`), and the returns `r1..r5`; `NaN` wherever an input is.
struct Period {
    tau: f64,
    phi: [f64; 4],
    r: [f64; 5],
}

/// EDGE (Ardia, Guidotti & Kroencke 2024) on the whole sample, with intermediates.
///
/// Follows the reference implementation (bidask 2.1.0, `python/bidask/edge.py`; `R/edge.R` is
/// the same) step by step. On log prices `o, h, l, c`, the mid `m = (h + l)/2` and the previous
/// bar's `h1, l1, c1, m1`, for each period `t = 2..T`:
///
/// ```text
/// r1 = m - o,  r2 = o - m1,  r3 = m - c1,  r4 = c1 - m1,  r5 = o - c1
/// tau = [h != l or l != c1]            missing when h, l or c1 is
/// po1 = tau [o != h],  po2 = tau [o != l]      missing when tau or an input is
/// pc1 = tau [c1 != h1], pc2 = tau [c1 != l1]
/// pt = mean(tau),  po = mean(po1) + mean(po2),  pc = mean(pc1) + mean(pc2)
/// d_k = r_k - mean(r_k)/pt * tau   (k = 1, 3, 5)
/// x1 = -4/po d1 r2 - 4/pc d3 r4,   x2 = -4/po d1 r5 - 4/pc d5 r4
/// e_i = mean(x_i),  v_i = mean(x_i^2) - e_i^2
/// s2 = (v2 e1 + v1 e2) / (v1 + v2)  when v1 + v2 > 0,  else (e1 + e2)/2;   spread = sqrt(|s2|)
/// ```
///
/// Missing values are `NaN`. An indicator is missing when any of its inputs is (no
/// `NA | TRUE = TRUE`: a missing value never decides it, and `tau = 0` times a missing indicator
/// is missing), arithmetic propagates `NaN`, and every mean is over the periods where that
/// quantity is present, each on its own. The spread is `NaN` when fewer than two periods have
/// `tau = 1` or when `po` or `pc` is 0.
///
/// # Errors
/// [`ImpactError::Input`] with fewer than 3 bars.
///
/// # References
/// Ardia, Guidotti & Kroencke 2024, "Efficient estimation of bid-ask spreads from open, high, low,
/// and close prices", J. Financial Economics 161, 103916; bidask package 2.1.0
/// (`python/bidask/edge.py`, `R/edge.R`, `pseudocode/`); docs/methods.md §6; test vector T3 (§27); the
/// missing-value vectors of `scripts/edge_reference.py`; the authors' published value on their file
/// with missing cells (`data/reference/bidask/ohlc-miss.csv`), reproduced to 1e-12.
pub fn edge_detail(b: &Ohlc<'_>) -> Result<EdgeDetail, ImpactError> {
    let n_all = b.len();
    if n_all < 3 {
        return Err(too_few("EDGE spread", 3, n_all));
    }
    let lg = |x: &[f64]| -> Vec<f64> { x.iter().map(|v| v.ln()).collect() };
    let (o, h, l, c) = (lg(b.open), lg(b.high), lg(b.low), lg(b.close));
    let n = n_all - 1;
    let period = |t: usize| -> Period {
        let (ot, ht, lt) = (o[t], h[t], l[t]);
        let (h1, l1, c1) = (h[t - 1], l[t - 1], c[t - 1]);
        let (m, m1) = ((ht + lt) / 2.0, (h1 + l1) / 2.0);
        let tau = indicator(&[ht, lt, c1], ht != lt || lt != c1);
        Period {
            tau,
            phi: [
                tau * indicator(&[ot, ht], ot != ht),
                tau * indicator(&[ot, lt], ot != lt),
                tau * indicator(&[c1, h1], c1 != h1),
                tau * indicator(&[c1, l1], c1 != l1),
            ],
            r: [m - ot, ot - m1, m - c1, c1 - m1, ot - c1],
        }
    };
    let periods: Vec<Period> = (1..n_all).map(period).collect();
    let (mut a_tau, mut a_phi, mut a_r) = (
        NanMean::default(),
        [NanMean::default(); 4],
        [NanMean::default(); 3],
    );
    for p in &periods {
        a_tau.add(p.tau);
        for (a, x) in a_phi.iter_mut().zip(p.phi) {
            a.add(x);
        }
        a_r[0].add(p.r[0]);
        a_r[1].add(p.r[2]);
        a_r[2].add(p.r[4]);
    }
    let pt = a_tau.mean();
    let po = a_phi[0].mean() + a_phi[1].mean();
    let pc = a_phi[2].mean() + a_phi[3].mean();
    // nansum(tau): the periods with tau = 1.
    let n_tau = a_tau.sum;
    let nan = f64::NAN;
    if n_tau < 2.0 || po == 0.0 || pc == 0.0 {
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
        NanMean::default(),
        NanMean::default(),
        NanMean::default(),
        NanMean::default(),
    );
    for p in &periods {
        let [r1, r2, r3, r4, r5] = p.r;
        let d1 = r1 - mr1 / pt * p.tau;
        let d3 = r3 - mr3 / pt * p.tau;
        let d5 = r5 - mr5 / pt * p.tau;
        let x1 = -4.0 / po * d1 * r2 + -4.0 / pc * d3 * r4;
        let x2 = -4.0 / po * d1 * r5 + -4.0 / pc * d5 * r4;
        a1.add(x1);
        a2.add(x2);
        q1.add(x1 * x1);
        q2.add(x2 * x2);
    }
    let (e1, e2) = (a1.mean(), a2.mean());
    let v1 = q1.mean() - e1 * e1;
    let v2 = q2.mean() - e2 * e2;
    let vt = v1 + v2;
    // Weighted by the other's variance; equally weighted when the total variance is not positive.
    let s2 = if vt > 0.0 {
        (v2 * e1 + v1 * e2) / vt
    } else {
        (e1 + e2) / 2.0
    };
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
    fn a_missing_input_makes_the_indicator_missing() {
        assert!(indicator(&[1.0, f64::NAN], true).is_nan());
        assert!(indicator(&[f64::NAN, 2.0], false).is_nan());
        assert_eq!(indicator(&[1.0, 2.0], true), 1.0);
        assert_eq!(indicator(&[1.0, 2.0], false), 0.0);
        // tau = 0 times a missing indicator stays missing (R: 0 * NA is NA).
        assert!((0.0 * indicator(&[f64::NAN], true)).is_nan());
    }

    #[test]
    fn degenerate_sample_gives_nan() {
        let c = [1.0, 1.0, 1.0, 1.0];
        let d = edge_detail(&Ohlc::new_checked(&c, &c, &c, &c, None).unwrap()).unwrap();
        assert_eq!(d.pt, 0.0);
        assert!(d.spread.is_nan());
    }
}
