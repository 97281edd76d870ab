//! The model scorecard: every model's predicted average cost against the cost the disclosures of
//! real block trades imply, in units of the noise each implied cost is measured against.
//!
//! ```text
//! per event e (side s = -1 sell, +1 buy; costs positive for both sides)
//!   implied cost vs arrival   c_e = s (P_implied - P_arrival) / P_arrival
//!   noise vs arrival          n_e = sigma_daily sqrt(T_days)            (random walk over the window)
//!   implied cost vs VWAP      c_e^V = s (P_implied - VWAP) / VWAP
//!   noise vs VWAP             n_e^V = sigma_daily sqrt( sum_k dt_k (A_k)^2 ),  A_k = sum_{i >= k} (w_i - v_i)
//!   z of model m              z_em = (c_e - p_em) / n_e                  p_em: the model's average cost
//! per model over the N events
//!   bias = mean z,  RMSE = sqrt(mean z^2),  chi^2 = sum z^2 (df N) and its p-value
//!   coverage: c_e inside p_em -/+ sqrt(half-width of its 95 % parameter band^2 + (1.96 n_e)^2)
//!   Spearman rank correlation of p_em and c_e;  log-likelihood sum log N(c_e; p_em, n_e^2)
//! pooled square root: c_e = Y x_e + noise,  x_e = sigma sqrt(Q/V) / (1 + 1/2)   (delta = 1/2)
//!   Y = sum(x c / n^2) / sum(x^2 / n^2)  (weighted least squares = the Gaussian MLE);
//!   free delta: x_e(delta) = sigma (Q/V)^delta / (1 + delta), delta on a grid of 0.01, Y as above
//!   95 % intervals: 2,000 bootstrap resamples of the events, seeded
//! ```
//!
//! The VWAP noise: with the price a random walk `P(t) = P0 (1 + sigma W(t))` over the window, a
//! schedule filling weights `w_i` and the market trading weights `v_i` in bars ending at `t_i`
//! (both sum to 1), the execution price minus the VWAP is `P0 sigma sum_i (w_i - v_i) W(t_i)`;
//! its variance is `sigma^2 sum_ij a_i a_j min(t_i, t_j)` with `a = w - v`, which sums by parts to
//! `sigma^2 sum_k (t_k - t_{k-1}) (sum_{i >= k} a_i)^2` (`t_0 = 0`, the window start). A schedule
//! that trades with the market (`w = v`) has none; a block at the start against an even market
//! has `sigma^2 T / 3`.

use crate::result::BacktestResult;
use blocksale_impact::rng::SplitMix64;
use blocksale_impact::uncertainty::percentile_sorted;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// z for the 95 % bands.
const Z95: f64 = 1.959_963_984_540_054;

/// One model's prediction for one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelScore {
    /// Model name.
    pub model: String,
    /// Predicted average cost against arrival, bps.
    pub predicted_bps: f64,
    /// Its 95 % parameter band, bps.
    pub predicted_low_bps: f64,
    /// Upper edge.
    pub predicted_high_bps: f64,
    /// `(implied - predicted) / noise` against arrival.
    pub z: f64,
    /// Whether the implied cost is inside the band with the noise added in quadrature.
    pub covered: bool,
    /// Whether the event lies outside the range the model declares (docs/methods.md §31).
    pub outside_declared_range: bool,
}

/// One event of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventScore {
    /// Scenario name.
    pub event: String,
    /// "sell" or "buy".
    pub side: String,
    /// Size, BTC.
    pub size_btc: f64,
    /// Window length, days.
    pub duration_days: f64,
    /// Q/V.
    pub q_over_v: f64,
    /// The trade's share of the window volume on the price venue.
    pub participation: f64,
    /// Daily sigma the models used.
    pub sigma_daily: f64,
    /// Implied cost against arrival, bps (positive = a cost, for buys and sells alike).
    pub implied_vs_arrival_bps: f64,
    /// Noise of it: sigma sqrt(T), bps.
    pub noise_vs_arrival_bps: f64,
    /// Implied cost against the window VWAP, bps.
    pub implied_vs_vwap_bps: f64,
    /// Noise of it: the schedule's VWAP-relative noise, bps.
    pub noise_vs_vwap_bps: f64,
    /// Every model's prediction.
    pub models: Vec<ModelScore>,
}

/// One model across the events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Model name.
    pub model: String,
    /// Events where the model ran.
    pub n: usize,
    /// Mean z (positive: the model predicts less cost than the disclosures imply).
    pub bias_z: f64,
    /// Root mean square z.
    pub rmse_z: f64,
    /// Chi-square of the z (df n) and its upper-tail p-value.
    pub chi2: f64,
    /// p-value of `chi2`: below 0.05 the events reject the model with its noise.
    pub chi2_p: f64,
    /// Share of events whose implied cost is inside the 95 % band.
    pub coverage_95: f64,
    /// Spearman rank correlation of predicted and implied cost.
    pub spearman: f64,
    /// Gaussian log-likelihood of the implied costs, nats.
    pub log_likelihood: f64,
    /// Events outside the range the model declares (docs/methods.md §31).
    pub outside_declared_range: usize,
}

/// A pooled fit of the power law over the events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PooledFit {
    /// Exponent: 0.5 fixed, or fitted.
    pub delta: f64,
    /// Its bootstrap 95 % interval (equal ends when fixed).
    pub delta_ci95: (f64, f64),
    /// Prefactor Y.
    pub y: f64,
    /// Its bootstrap 95 % interval.
    pub y_ci95: (f64, f64),
    /// Chi-square of the fit.
    pub chi2: f64,
}

/// The scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The events, in the order given.
    pub events: Vec<EventScore>,
    /// Per model, in the first event's model order.
    pub models: Vec<ModelSummary>,
    /// Square root (delta = 1/2) fitted on the events.
    pub pooled_sqrt: PooledFit,
    /// Power law with delta free.
    pub pooled_power: PooledFit,
    /// One sentence generated from the numbers.
    pub verdict: String,
    /// How the numbers are formed.
    pub notes: Vec<String>,
}

/// The VWAP-relative noise per unit sigma: `sqrt(sum_k dt_k A_k^2)` in sqrt(days), for schedule
/// weights `w` and market weights `v` in bars ending `t_end` days after the window start.
pub fn vwap_noise_factor(t_end: &[f64], w: &[f64], v: &[f64]) -> f64 {
    let n = t_end.len();
    let (sw, sv): (f64, f64) = (w.iter().sum(), v.iter().sum());
    let mut tail = 0.0;
    let mut acc = 0.0;
    for k in (0..n).rev() {
        tail += w[k] / sw - v[k] / sv;
        let dt = t_end[k] - if k == 0 { 0.0 } else { t_end[k - 1] };
        acc += dt * tail * tail;
    }
    acc.sqrt()
}

/// The event's row, or `None` when it has no disclosure (nothing implied to score).
pub fn score_event(r: &BacktestResult) -> Option<EventScore> {
    let imp = r.implied.as_ref()?;
    let s = &r.scenario;
    let m = &r.market.state;
    let noise = m.sigma_daily * s.duration_days.sqrt() * 1e4;
    // Schedule and market weights on the window's bars.
    let start = s.start.as_millis() as f64;
    let bar_days = r.market.bar_seconds as f64 / 86_400.0;
    let (mut t, mut w, mut v) = (Vec::new(), Vec::new(), Vec::new());
    let mut prev = 0.0;
    for p in r.paths.iter().filter(|p| p.in_window) {
        t.push((p.open_time.as_millis() as f64 - start) / 86_400_000.0 + bar_days);
        w.push(p.sold_btc - prev);
        prev = p.sold_btc;
        v.push(p.volume);
    }
    let noise_vwap = m.sigma_daily * vwap_noise_factor(&t, &w, &v) * 1e4;
    let models = r
        .models
        .iter()
        .map(|x| {
            let (p, lo, hi) = (
                x.avg_cost_bps,
                x.avg_cost_band_bps.low,
                x.avg_cost_band_bps.high,
            );
            let c = imp.shortfall_vs_arrival_bps;
            let half = if c >= p { hi - p } else { p - lo };
            ModelScore {
                model: x.name.clone(),
                predicted_bps: p,
                predicted_low_bps: lo,
                predicted_high_bps: hi,
                z: (c - p) / noise,
                covered: (c - p).abs() <= half.hypot(Z95 * noise),
                outside_declared_range: x.validity.as_ref().is_some_and(|v| v.is_outside()),
            }
        })
        .collect();
    Some(EventScore {
        event: s.name.clone(),
        side: s.side.to_string(),
        size_btc: s.size_btc,
        duration_days: s.duration_days,
        q_over_v: s.size_btc / m.model_volume_btc,
        participation: r.observed.participation,
        sigma_daily: m.sigma_daily,
        implied_vs_arrival_bps: imp.shortfall_vs_arrival_bps,
        noise_vs_arrival_bps: noise,
        implied_vs_vwap_bps: imp.shortfall_vs_vwap_bps,
        noise_vs_vwap_bps: noise_vwap,
        models,
    })
}

/// Ranks with ties averaged (1-based).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for k in i..=j {
            r[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (`NaN` below 3 points or with a constant sample).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 3 {
        return f64::NAN;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

/// Inputs of the pooled fit per event: `sigma`, `Q/V`, implied cost (fraction), noise (fraction).
#[derive(Debug, Clone, Copy)]
struct FitPoint {
    sigma: f64,
    qv: f64,
    c: f64,
    n: f64,
}

/// Weighted least squares of `c = Y x(delta)`: `(Y, chi2)`.
fn fit_y(p: &[FitPoint], delta: f64) -> (f64, f64) {
    let x = |q: &FitPoint| q.sigma * q.qv.powf(delta) / (1.0 + delta);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for q in p {
        let w = 1.0 / (q.n * q.n);
        sxy += w * x(q) * q.c;
        sxx += w * x(q) * x(q);
    }
    let y = sxy / sxx;
    let chi2 = p.iter().map(|q| ((q.c - y * x(q)) / q.n).powi(2)).sum();
    (y, chi2)
}

/// `(delta, Y, chi2)` minimising chi2 over delta in 0.05 .. 1.50 by 0.01, or at the fixed delta.
fn fit(p: &[FitPoint], fixed: Option<f64>) -> (f64, f64, f64) {
    match fixed {
        Some(d) => {
            let (y, c) = fit_y(p, d);
            (d, y, c)
        }
        None => (5..=150)
            .map(|k| {
                let d = f64::from(k) / 100.0;
                let (y, c) = fit_y(p, d);
                (d, y, c)
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .expect("a grid"),
    }
}

fn pooled(p: &[FitPoint], fixed: Option<f64>, seed: u64) -> PooledFit {
    let (d, y, chi2) = fit(p, fixed);
    let mut rng = SplitMix64::new(seed);
    let (mut ds, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..2_000 {
        let b: Vec<FitPoint> = (0..p.len()).map(|_| p[rng.below(p.len())]).collect();
        let (bd, by, _) = fit(&b, fixed);
        if by.is_finite() {
            ds.push(bd);
            ys.push(by);
        }
    }
    ds.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    PooledFit {
        delta: d,
        delta_ci95: (percentile_sorted(&ds, 0.025), percentile_sorted(&ds, 0.975)),
        y,
        y_ci95: (percentile_sorted(&ys, 0.025), percentile_sorted(&ys, 0.975)),
        chi2,
    }
}

/// The scorecard of the events' results (those without a disclosure are left out).
pub fn scorecard(results: &[BacktestResult], seed: u64) -> Scorecard {
    let events: Vec<EventScore> = results.iter().filter_map(score_event).collect();
    let mut names: Vec<String> = Vec::new();
    for e in &events {
        for m in &e.models {
            if !names.contains(&m.model) {
                names.push(m.model.clone());
            }
        }
    }
    let models: Vec<ModelSummary> = names
        .iter()
        .map(|name| {
            let rows: Vec<(&EventScore, &ModelScore)> = events
                .iter()
                .filter_map(|e| e.models.iter().find(|m| &m.model == name).map(|m| (e, m)))
                .collect();
            let n = rows.len();
            let nf = n as f64;
            let z: Vec<f64> = rows.iter().map(|(_, m)| m.z).collect();
            let chi2: f64 = z.iter().map(|x| x * x).sum();
            let chi2_p = ChiSquared::new(nf).map_or(f64::NAN, |d| d.sf(chi2));
            let pred: Vec<f64> = rows.iter().map(|(_, m)| m.predicted_bps).collect();
            let imp: Vec<f64> = rows.iter().map(|(e, _)| e.implied_vs_arrival_bps).collect();
            let ll = rows
                .iter()
                .map(|(e, m)| {
                    let s = e.noise_vs_arrival_bps;
                    -0.5 * m.z * m.z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
                })
                .sum();
            ModelSummary {
                model: name.clone(),
                n,
                bias_z: z.iter().sum::<f64>() / nf,
                rmse_z: (chi2 / nf).sqrt(),
                chi2,
                chi2_p,
                coverage_95: rows.iter().filter(|(_, m)| m.covered).count() as f64 / nf,
                spearman: spearman(&pred, &imp),
                log_likelihood: ll,
                outside_declared_range: rows
                    .iter()
                    .filter(|(_, m)| m.outside_declared_range)
                    .count(),
            }
        })
        .collect();
    let points: Vec<FitPoint> = events
        .iter()
        .map(|e| FitPoint {
            sigma: e.sigma_daily,
            qv: e.q_over_v,
            c: e.implied_vs_arrival_bps / 1e4,
            n: e.noise_vs_arrival_bps / 1e4,
        })
        .collect();
    let pooled_sqrt = pooled(&points, Some(0.5), seed);
    let pooled_power = pooled(&points, None, seed);
    let verdict = verdict(&models, events.len(), &pooled_sqrt);
    Scorecard {
        events,
        models,
        pooled_sqrt,
        pooled_power,
        verdict,
        notes: vec![
            "implied cost: the disclosure's average price against the arrival price (first open of the window), signed so a cost is positive for buys and sells alike; disclosed amounts may be net of fees (see each event's amount_basis)".into(),
            "noise: sigma_daily sqrt(T) against arrival, the schedule's VWAP-relative noise against VWAP (docs/methods.md §30); z = (implied - predicted) / noise against arrival".into(),
            "a model is rejected when the chi-square of its z over the events (df = events) has p < 0.05: its predictions and the noise cannot produce the implied costs".into(),
            "pooled fit: weighted least squares of the implied cost on sigma (Q/V)^delta / (1 + delta), weights 1/noise^2 (the Gaussian maximum likelihood); 95 % intervals from 2,000 bootstrap resamples of the events".into(),
        ],
    }
}

/// One sentence from the numbers.
fn verdict(models: &[ModelSummary], n: usize, sqrt: &PooledFit) -> String {
    let rejected: Vec<&str> = models
        .iter()
        .filter(|m| m.chi2_p < 0.05)
        .map(|m| m.model.as_str())
        .collect();
    let kept: Vec<&str> = models
        .iter()
        .filter(|m| m.chi2_p >= 0.05 || m.chi2_p.is_nan())
        .map(|m| m.model.as_str())
        .collect();
    let fit = format!(
        "the events' own square-root prefactor is Y = {:.2} (95 % {:.2} to {:.2})",
        sqrt.y, sqrt.y_ci95.0, sqrt.y_ci95.1
    );
    match (rejected.is_empty(), kept.is_empty()) {
        (true, _) => format!(
            "Across {n} disclosed trades no model is rejected: the noise of each implied cost is too large to tell {} apart at this sample size; {fit}.",
            kept.join(", ")
        ),
        (false, true) => format!(
            "Across {n} disclosed trades every model is rejected ({}): none reproduces the implied costs within their noise; {fit}.",
            rejected.join(", ")
        ),
        (false, false) => format!(
            "Across {n} disclosed trades the implied costs reject {} (chi-square p < 0.05) and cannot tell {} apart; {fit}.",
            rejected.join(", "),
            kept.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VWAP noise by hand: a block in the first of two equal bars against an even market:
    /// a = (1/2, -1/2): A_1 = 0, A_2 = -1/2, so the variance is (t2 - t1) / 4 = dt / 4.
    #[test]
    fn vwap_noise_by_hand_and_by_brute_force() {
        let f = vwap_noise_factor(&[1.0, 2.0], &[1.0, 0.0], &[1.0, 1.0]);
        assert!((f - (0.25f64).sqrt()).abs() < 1e-15);
        // The double sum a_i a_j min(t_i, t_j) on random weights equals the sum by parts.
        let mut rng = SplitMix64::new(5);
        let n = 40;
        let t: Vec<f64> = (1..=n).map(|k| k as f64 * 0.1).collect();
        let w: Vec<f64> = (0..n).map(|_| rng.next_f64()).collect();
        let v: Vec<f64> = (0..n).map(|_| rng.next_f64()).collect();
        let (sw, sv): (f64, f64) = (w.iter().sum(), v.iter().sum());
        let a: Vec<f64> = (0..n).map(|i| w[i] / sw - v[i] / sv).collect();
        let mut brute = 0.0;
        for i in 0..n {
            for j in 0..n {
                brute += a[i] * a[j] * t[i].min(t[j]);
            }
        }
        assert!((vwap_noise_factor(&t, &w, &v).powi(2) - brute).abs() < 1e-14);
        // Trading with the market: no noise.
        assert!(vwap_noise_factor(&t, &v, &v).abs() < 1e-12);
    }

    #[test]
    fn spearman_by_hand() {
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < 1e-15);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-15);
        // Ties averaged: ranks (1.5, 1.5, 3) and (1, 2, 3): r = 0.866...
        let r = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!((r - 0.75f64.sqrt()).abs() < 1e-12, "{r}");
    }

    /// The pooled fit recovers a planted prefactor from noisy events, and its interval covers it.
    #[test]
    fn pooled_fit_recovers_a_planted_y() {
        let mut rng = SplitMix64::new(9);
        let p: Vec<FitPoint> = (0..60)
            .map(|_| {
                let (sigma, qv) = (
                    0.02 + 0.02 * rng.next_f64(),
                    10f64.powf(-2.0 + 2.0 * rng.next_f64()),
                );
                let n = 0.001;
                let (u1, u2) = (rng.next_f64().max(1e-300), rng.next_f64());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                FitPoint {
                    sigma,
                    qv,
                    c: 0.8 * sigma * qv.sqrt() / 1.5 + n * z,
                    n,
                }
            })
            .collect();
        let f = pooled(&p, Some(0.5), 1);
        assert!((f.y - 0.8).abs() < 0.05, "{f:?}");
        assert!(f.y_ci95.0 < 0.8 && 0.8 < f.y_ci95.1, "{f:?}");
        let g = pooled(&p, None, 1);
        assert!((g.delta - 0.5).abs() < 0.1, "{g:?}");
    }
}
