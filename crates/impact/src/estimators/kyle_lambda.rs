use crate::ImpactError;
use blocksale_core::BarSeries;
use serde::Serialize;

/// Kyle's lambda estimated from bars, with OLS and Newey-West standard errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KyleEstimate {
    /// Slope: log return per BTC of signed volume (fraction per BTC).
    pub lambda_per_btc: f64,
    /// Intercept: mean log return per bar not explained by flow.
    pub alpha: f64,
    /// Conventional OLS standard error of lambda.
    pub se_ols: f64,
    /// Newey-West (HAC, Bartlett kernel) standard error of lambda.
    pub se_newey_west: f64,
    /// `lambda / se_newey_west`.
    pub t_stat: f64,
    /// R^2 of the regression.
    pub r_squared: f64,
    /// Bars (returns) used.
    pub n: usize,
    /// Newey-West lags.
    pub nw_lags: usize,
    /// 95 % interval from the Newey-West SE, lower bound.
    pub ci95_low: f64,
    /// 95 % interval, upper bound.
    pub ci95_high: f64,
    /// The largest `|SV_t|` among the bars used, BTC: the reach of the regression's data.
    pub max_abs_flow_btc: f64,
}

/// The usual automatic lag choice `floor(4 (n/100)^(2/9))` (Newey & West 1994).
pub fn newey_west_default_lags(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// OLS of `r` on `sv` with an intercept: `r_t = alpha + lambda sv_t + e_t`, Newey-West SEs.
///
/// The HAC variance of the slope is `sum_{|l|<=L} w_l sum_t u_t u_{t-l} / Sxx^2` with
/// `u_t = (sv_t - mean sv) e_t` and Bartlett weights `w_l = 1 - l/(L+1)`; it is the slope element
/// of the sandwich `(X'X)^{-1} S (X'X)^{-1}`. Pairs with a non-finite value are dropped.
///
/// # Errors
/// [`ImpactError::Input`] for unequal lengths, fewer than 3 pairs, or no variation in `sv`.
///
/// # References
/// Kyle 1985; Newey & West 1987, Econometrica 55(3); docs/methods.md §7.
pub fn kyle_lambda_ols(
    r: &[f64],
    sv: &[f64],
    nw_lags: Option<usize>,
) -> Result<KyleEstimate, ImpactError> {
    if r.len() != sv.len() {
        return Err(ImpactError::Input(format!(
            "{} returns but {} signed volumes",
            r.len(),
            sv.len()
        )));
    }
    let (x, y): (Vec<f64>, Vec<f64>) = sv
        .iter()
        .zip(r)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = x.len();
    if n < 3 {
        return Err(ImpactError::Input(format!(
            "Kyle's lambda needs at least 3 bars with returns and flow, got {n}"
        )));
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    if sxx.is_nan() || sxx <= 0.0 {
        return Err(ImpactError::Input(
            "signed volume does not vary: Kyle's lambda is undefined".into(),
        ));
    }
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    let lambda = sxy / sxx;
    let alpha = my - lambda * mx;
    let e: Vec<f64> = x
        .iter()
        .zip(&y)
        .map(|(a, b)| b - alpha - lambda * a)
        .collect();
    let sse: f64 = e.iter().map(|v| v * v).sum();
    let se_ols = (sse / (n - 2) as f64 / sxx).sqrt();
    let lags = nw_lags
        .unwrap_or_else(|| newey_west_default_lags(n))
        .min(n - 1);
    let u: Vec<f64> = x.iter().zip(&e).map(|(a, ei)| (a - mx) * ei).collect();
    let mut s: f64 = u.iter().map(|v| v * v).sum();
    for l in 1..=lags {
        let w = 1.0 - l as f64 / (lags + 1) as f64;
        let g: f64 = (l..n).map(|t| u[t] * u[t - l]).sum();
        s += 2.0 * w * g;
    }
    let se_nw = (s.max(0.0)).sqrt() / sxx;
    let r2 = if syy > 0.0 { 1.0 - sse / syy } else { f64::NAN };
    Ok(KyleEstimate {
        lambda_per_btc: lambda,
        alpha,
        se_ols,
        se_newey_west: se_nw,
        t_stat: lambda / se_nw,
        r_squared: r2,
        n,
        nw_lags: lags,
        ci95_low: lambda - 1.959_963_984_540_054 * se_nw,
        ci95_high: lambda + 1.959_963_984_540_054 * se_nw,
        max_abs_flow_btc: x.iter().fold(0.0, |m, v| m.max(v.abs())),
    })
}

/// Kyle's lambda from bars with taker-buy volume: `r_t = ln(C_t / C_{t-1})` on
/// `SV_t = 2 TB_t - V_t` (BTC), bars 1..n.
///
/// Bars carry aggregate order-flow imbalance (all traders netted), not one trader's metaorder.
///
/// # Errors
/// [`ImpactError::Input`] when the bars have no taker-buy volume, and as [`kyle_lambda_ols`].
pub fn kyle_lambda(bars: &BarSeries, nw_lags: Option<usize>) -> Result<KyleEstimate, ImpactError> {
    let tb = bars.taker_buy_volume().ok_or_else(|| {
        ImpactError::Input(
            "Kyle's lambda needs taker-buy volume, which these bars do not have".into(),
        )
    })?;
    let c = bars.close();
    let v = bars.volume();
    let r: Vec<f64> = (1..bars.len()).map(|t| (c[t] / c[t - 1]).ln()).collect();
    let sv: Vec<f64> = (1..bars.len()).map(|t| 2.0 * tb[t] - v[t]).collect();
    kyle_lambda_ols(&r, &sv, nw_lags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_and_hand_values() {
        // y = 1 + 2x exactly: lambda 2, alpha 1, R^2 = 1, zero SEs.
        let x = [1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v).collect();
        let k = kyle_lambda_ols(&y, &x, Some(1)).unwrap();
        assert!((k.lambda_per_btc - 2.0).abs() < 1e-12 && (k.alpha - 1.0).abs() < 1e-12);
        assert!((k.r_squared - 1.0).abs() < 1e-12);
        // Hand example: x = (0, 1, 2), y = (0, 2, 1): lambda = 0.5, alpha = 0.5,
        // residuals (-0.5, 1, -0.5), SSE = 1.5, Sxx = 2: se_ols = sqrt(1.5 / 1 / 2).
        let k = kyle_lambda_ols(&[0.0, 2.0, 1.0], &[0.0, 1.0, 2.0], Some(0)).unwrap();
        assert!((k.lambda_per_btc - 0.5).abs() < 1e-15);
        assert!((k.se_ols - 0.75f64.sqrt()).abs() < 1e-15);
        // White (L = 0): u = (-1 * -0.5, 0, 1 * -0.5) -> S = 0.5, se = sqrt(0.5)/2.
        assert!((k.se_newey_west - 0.5f64.sqrt() / 2.0).abs() < 1e-15);
        // L = 1 by hand: x = (0, 1, 2, 3), y = (0, 2, 1, 4): lambda = 1.1, alpha = 0.1,
        // residuals (-0.1, 0.8, -1.3, 0.6), u = (x - 1.5) e = (0.15, -0.4, -0.65, 0.9);
        // S = sum u^2 + 2 (1/2) (u1 u0 + u2 u1 + u3 u2) = 1.415 - 0.385 = 1.03, Sxx = 5.
        let k1 = kyle_lambda_ols(&[0.0, 2.0, 1.0, 4.0], &[0.0, 1.0, 2.0, 3.0], Some(1)).unwrap();
        assert!((k1.lambda_per_btc - 1.1).abs() < 1e-14);
        assert!((k1.se_newey_west - 1.03f64.sqrt() / 5.0).abs() < 1e-14);
        assert_eq!(newey_west_default_lags(100), 4);
        assert!(kyle_lambda_ols(&[1.0, 2.0, 3.0], &[1.0, 1.0, 1.0], None).is_err());
    }

    /// Lag terms that do not vanish, against statsmodels' HAC errors (Bartlett kernel, no
    /// small-sample correction). Numbers from `python3 scripts/newey_west_reference.py`
    /// (statsmodels 0.15.0, numpy 2.4.6).
    #[test]
    fn newey_west_matches_statsmodels() {
        let sv = [
            3.0, -1.0, 4.0, 1.0, -5.0, 9.0, 2.0, -6.0, 5.0, 3.0, -5.0, 8.0,
        ];
        let r = [
            0.7, 0.1, 0.9, 0.6, -0.4, 1.5, 1.1, -0.2, 0.8, 1.0, -0.3, 1.2,
        ];
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        let want_se = [
            0.008367721869065849,
            0.008143915554695041,
            0.00742855666998818,
            0.006866982177223862,
        ];
        for (lags, want) in want_se.into_iter().enumerate() {
            let k = kyle_lambda_ols(&r, &sv, Some(lags)).unwrap();
            assert_eq!(k.nw_lags, lags);
            assert!(rel(k.lambda_per_btc, 0.12156133828996277) < 1e-12);
            assert!(rel(k.alpha, 0.4009913258983894) < 1e-12);
            assert!(rel(k.se_ols, 0.012812791363409494) < 1e-12);
            assert!(rel(k.r_squared, 0.9000126253770078) < 1e-12);
            assert!(
                rel(k.se_newey_west, want) < 1e-12,
                "lags {lags}: {} vs statsmodels {want}",
                k.se_newey_west
            );
        }
    }
}
