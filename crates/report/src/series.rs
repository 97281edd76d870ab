//! The series every chart plots, computed from the backtest result (and, for the volume chart and the
//! size curve, from the bars and the scenario). Pure functions: the charts draw these tables and the
//! exports write them, so a chart can be redrawn from its CSV alone.

use crate::export::model_column_names;
use crate::table::Table;
use crate::ReportError;
use blocksale_backtest::{run, BacktestInput, BacktestResult};
use blocksale_core::{BarSeries, Timestamp, MS_PER_DAY, MS_PER_HOUR};
use std::collections::BTreeMap;

const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;
/// z of a two-sided 95 % interval.
pub(crate) const Z95: f64 = 1.959_963_984_540_054;

/// Bar end times (the close a row's values refer to), RFC 3339.
fn iso(ms: i64) -> String {
    Timestamp::from_millis(ms).to_rfc3339()
}

/// `paths.csv` and `event.csv` (one table, one name per quantity): per bar of the observed path
/// its OHLC and volume, whether it is in the sale window, the BTC sold by its end, the CAR since
/// the window start, and per model the impact with its 95 % parameter band and the counterfactual
/// close without the trade with the band's edges as prices.
///
/// Columns (units in the names; signs: a positive impact moves the price the way the trade pushes
/// it, down for a sale and up for a purchase; the CAR is the abnormal log return of the price
/// itself, positive when it rose): `open_time, close_time, open_usd, high_usd, low_usd, close_usd, volume_btc,
/// in_window, sold_btc, car_since_start_bps`, then per model `impact_<m>_bps, impact_<m>_low_bps,
/// impact_<m>_high_bps, counterfactual_close_<m>_usd, counterfactual_close_<m>_low_usd,
/// counterfactual_close_<m>_high_usd` (`close * exp(-side * impact)`, the band's two edges as
/// prices, low <= high).
pub fn event_table(r: &BacktestResult) -> Table {
    let p = &r.paths;
    let bar_ms = r.market.bar_seconds * 1000;
    let sign = r.scenario.side.sign();
    let mut t = Table::default();
    t.text(
        "open_time",
        p.iter().map(|x| x.open_time.to_rfc3339()).collect(),
    )
    .text(
        "close_time",
        p.iter()
            .map(|x| iso(x.open_time.as_millis() + bar_ms))
            .collect(),
    )
    .num("open_usd", p.iter().map(|x| x.open).collect())
    .num("high_usd", p.iter().map(|x| x.high).collect())
    .num("low_usd", p.iter().map(|x| x.low).collect())
    .num("close_usd", p.iter().map(|x| x.close).collect())
    .num("volume_btc", p.iter().map(|x| x.volume).collect())
    .bool("in_window", p.iter().map(|x| x.in_window).collect())
    .num("sold_btc", p.iter().map(|x| x.sold_btc).collect())
    .num(
        "car_since_start_bps",
        p.iter().map(|x| x.car_from_start * 1e4).collect(),
    );
    for (k, n) in model_column_names(r).iter().enumerate() {
        // The band's edges ordered first (0 and infinity order as they should), then any edge out
        // of the positive finite numbers left empty.
        let edge = |x: &blocksale_backtest::PathRow, i: f64| x.close * (-sign * i / 1e4).exp();
        let price = blocksale_backtest::price_or_nan;
        t.num(
            format!("impact_{n}_bps"),
            p.iter().map(|x| x.impact_bps[k]).collect(),
        );
        t.num(
            format!("impact_{n}_low_bps"),
            p.iter().map(|x| x.impact_low_bps[k]).collect(),
        );
        t.num(
            format!("impact_{n}_high_bps"),
            p.iter().map(|x| x.impact_high_bps[k]).collect(),
        );
        t.num(
            format!("counterfactual_close_{n}_usd"),
            p.iter().map(|x| x.counterfactual_close_usd[k]).collect(),
        );
        t.num(
            format!("counterfactual_close_{n}_low_usd"),
            p.iter()
                .map(|x| price(edge(x, x.impact_low_bps[k]).min(edge(x, x.impact_high_bps[k]))))
                .collect(),
        );
        t.num(
            format!("counterfactual_close_{n}_high_usd"),
            p.iter()
                .map(|x| price(edge(x, x.impact_low_bps[k]).max(edge(x, x.impact_high_bps[k]))))
                .collect(),
        );
    }
    t
}

/// Bars grouped into candles of `k` bars each (at most about `max_candles` candles): `(open time
/// ms, open, high, low, close)`.
pub(crate) fn candles(r: &BacktestResult, max_candles: usize) -> (i64, Vec<(i64, [f64; 4])>) {
    let p = &r.paths;
    let bar_ms = r.market.bar_seconds * 1000;
    let k = p.len().div_ceil(max_candles.max(1)).max(1);
    let out = p
        .chunks(k)
        .map(|c| {
            let hi = c.iter().map(|x| x.high).fold(f64::MIN, f64::max);
            let lo = c.iter().map(|x| x.low).fold(f64::MAX, f64::min);
            (
                c[0].open_time.as_millis(),
                [c[0].open, hi, lo, c[c.len() - 1].close],
            )
        })
        .collect();
    (k as i64 * bar_ms, out)
}

/// `drag.csv`: from the window start to the end of the path, per bar close: hours since the
/// window start, each model's predicted impact with its 95 % parameter band (bps), and the observed
/// drag: the event study's cumulative abnormal return, sign-adjusted so that a price pushed in the
/// direction of the sale is positive (`-CAR` for a sale, `+CAR` for a purchase), in bps.
///
/// `noise95_bps` is the 95 % range of that CAR without any event, `1.96 sd sqrt(k (1 + k/L1))`
/// after `k` event-study bars, with the estimation window's standard deviation per bar and its L1
/// returns (the second term is the error of the estimated mean, MacKinlay 1997).
///
/// Columns: `close_time, hours_since_start, observed_drag_bps, noise95_bps`, then per model
/// `impact_<m>_bps, impact_<m>_low_bps, impact_<m>_high_bps`.
pub fn drag_table(r: &BacktestResult) -> Table {
    let start = r.scenario.start.as_millis();
    let bar_ms = r.market.bar_seconds * 1000;
    let rows: Vec<_> = r
        .paths
        .iter()
        .filter(|x| x.open_time.as_millis() >= start)
        .collect();
    let sign = r.scenario.side.sign();
    let es = &r.attribution.event_study;
    let mut t = Table::default();
    t.text(
        "close_time",
        rows.iter()
            .map(|x| iso(x.open_time.as_millis() + bar_ms))
            .collect(),
    )
    .num(
        "hours_since_start",
        rows.iter()
            .map(|x| (x.open_time.as_millis() + bar_ms - start) as f64 / MS_PER_HOUR as f64)
            .collect(),
    )
    .num(
        "observed_drag_bps",
        rows.iter().map(|x| sign * x.car_from_start * 1e4).collect(),
    )
    .num(
        "noise95_bps",
        rows.iter()
            .map(|x| {
                let bars = (x.open_time.as_millis() + bar_ms - start) as f64
                    / (es.bar_seconds * 1000) as f64;
                Z95 * es.car_sd_after_bars(bars) * 1e4
            })
            .collect(),
    );
    for (k, n) in model_column_names(r).iter().enumerate() {
        t.num(
            format!("impact_{n}_bps"),
            rows.iter().map(|x| x.impact_bps[k]).collect(),
        );
        t.num(
            format!("impact_{n}_low_bps"),
            rows.iter()
                .map(|x| x.impact_low_bps[k].min(x.impact_high_bps[k]))
                .collect(),
        );
        t.num(
            format!("impact_{n}_high_bps"),
            rows.iter()
                .map(|x| x.impact_low_bps[k].max(x.impact_high_bps[k]))
                .collect(),
        );
    }
    t
}

/// `volume.csv`: hourly volume of the price venue over the observed path against the hour-of-week
/// baseline: the same hour in each of the `baseline_weeks` weeks before (weeks that would fall in
/// the sale window are skipped), the same rule as the backtest's footprint, so inside the window the
/// baseline mean equals the footprint's `baseline_btc`.
///
/// Columns: `hour_start, volume_btc, baseline_mean_btc, baseline_sd_btc, baseline_low_btc,
/// baseline_high_btc` (mean -/+ 2 sd, the low edge floored at 0: the footprint flags z > 2),
/// `baseline_weeks` (weeks found), `z`, `in_window`, `excess` (listed by the footprint).
pub fn volume_table(r: &BacktestResult, bars: &BarSeries) -> Table {
    let weeks = i64::from(r.attribution.footprint.baseline_weeks);
    let (start, end) = (r.scenario.start.as_millis(), r.scenario.end.as_millis());
    let p_from = r.observed.path_start.as_millis();
    let p_to = r.observed.path_end.as_millis() + r.market.bar_seconds * 1000;
    let hour = |ms: i64| ms.div_euclid(MS_PER_HOUR) * MS_PER_HOUR;
    let mut hv = BTreeMap::<i64, f64>::new();
    for i in bars.index_range(p_from - weeks * MS_PER_WEEK, p_to) {
        *hv.entry(hour(bars.open_time_ms()[i])).or_insert(0.0) += bars.volume()[i];
    }
    let excess: std::collections::BTreeSet<i64> = r
        .attribution
        .footprint
        .excess_hours
        .iter()
        .map(|e| e.time.as_millis())
        .collect();
    let mut cols: [Vec<f64>; 7] = Default::default();
    let (mut times, mut inw, mut exc) = (Vec::new(), Vec::new(), Vec::new());
    let mut h = hour(p_from);
    while h < p_to {
        let past: Vec<f64> = (1..=weeks)
            .map(|w| h - w * MS_PER_WEEK)
            .filter(|&t| !(start..end).contains(&t))
            .filter_map(|t| hv.get(&t).copied())
            .collect();
        let v = hv.get(&h).copied().unwrap_or(0.0);
        let (m, sd) = if past.len() >= 2 {
            blocksale_backtest::mean_sd(&past)
        } else {
            (f64::NAN, f64::NAN)
        };
        times.push(iso(h));
        cols[0].push(v);
        cols[1].push(m);
        cols[2].push(sd);
        cols[3].push((m - 2.0 * sd).max(0.0));
        cols[4].push(m + 2.0 * sd);
        cols[5].push(past.len() as f64);
        cols[6].push(if sd > 0.0 { (v - m) / sd } else { f64::NAN });
        inw.push((start..end).contains(&h));
        exc.push(excess.contains(&h));
        h += MS_PER_HOUR;
    }
    let [v, m, sd, lo, hi, n, z] = cols;
    let mut t = Table::default();
    t.text("hour_start", times)
        .num("volume_btc", v)
        .num("baseline_mean_btc", m)
        .num("baseline_sd_btc", sd)
        .num("baseline_low_btc", lo)
        .num("baseline_high_btc", hi)
        .num("baseline_weeks", n)
        .num("z", z)
        .bool("in_window", inw)
        .bool("excess", exc);
    t
}

/// `n` log-spaced sizes from `lo` to `hi` (both included).
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

/// Sizes of the size curve: 17 log-spaced points from 1/16 to 16 times the real size (so the real
/// size is the middle point exactly).
pub fn default_sizes(size_btc: f64) -> Vec<f64> {
    let mut v = log_grid(size_btc / 16.0, size_btc * 16.0, 17);
    v[8] = size_btc;
    v
}

/// `size_curve.csv`: the whole backtest rerun at each size of `sizes` (same window, schedule shape,
/// market state and calibration), per model the average execution cost and the peak impact with
/// their 95 % parameter bands.
///
/// Columns: `model, size_btc, avg_cost_bps, avg_cost_low_bps, avg_cost_high_bps, peak_impact_bps,
/// peak_impact_low_bps, peak_impact_high_bps`, rows by model (scenario order) then size.
///
/// # Errors
/// [`ReportError::Backtest`] when a run fails.
pub fn size_curve_table(input: &BacktestInput<'_>, sizes: &[f64]) -> Result<Table, ReportError> {
    let mut rows: Vec<(usize, String, f64, [f64; 6])> = Vec::new();
    for &q in sizes {
        let mut s = input.scenario.clone();
        s.size_btc = q;
        let res = run(&BacktestInput {
            scenario: &s,
            sources: input.sources,
            data_files: input.data_files.clone(),
            what_if: None,
        })?;
        let names = model_column_names(&res);
        for (k, (m, n)) in res.models.iter().zip(names).enumerate() {
            rows.push((
                k,
                n,
                q,
                [
                    m.avg_cost_bps,
                    m.avg_cost_band_bps.low,
                    m.avg_cost_band_bps.high,
                    m.peak_impact_bps,
                    m.peak_band_bps.low,
                    m.peak_band_bps.high,
                ],
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)));
    let col = |j: usize| rows.iter().map(|r| r.3[j]).collect::<Vec<f64>>();
    let mut t = Table::default();
    t.text("model", rows.iter().map(|r| r.1.clone()).collect())
        .num("size_btc", rows.iter().map(|r| r.2).collect())
        .num("avg_cost_bps", col(0))
        .num("avg_cost_low_bps", col(1))
        .num("avg_cost_high_bps", col(2))
        .num("peak_impact_bps", col(3))
        .num("peak_impact_low_bps", col(4))
        .num("peak_impact_high_bps", col(5));
    Ok(t)
}

/// `calibration_bins.csv`: the binned aggregate-impact curve: `x_pct_adv` (mean |net taker
/// flow| per bar over ADV, %), `y_bps` (mean sign-adjusted return, bps), `n` (bars), `in_fit`
/// (the log fit uses bins with a positive mean). Empty without a calibration.
pub fn calibration_bins_table(r: &BacktestResult) -> Table {
    let bins = r
        .market
        .calibration
        .as_ref()
        .map_or(&[][..], |c| c.curve.bins.as_slice());
    let mut t = Table::default();
    t.num("x_pct_adv", bins.iter().map(|b| b.x_mean * 100.0).collect())
        .num("y_bps", bins.iter().map(|b| b.y_mean * 1e4).collect())
        .num("n", bins.iter().map(|b| b.n as f64).collect())
        .bool(
            "in_fit",
            bins.iter()
                .map(|b| b.y_mean > 0.0 && b.x_mean > 0.0)
                .collect(),
        );
    t
}

/// `calibration_fit.csv`: the fitted curves on a log grid of 61 points over twice the range of the
/// bins: `x_pct_adv`, the power law `Y sigma x^delta` (`power_bps`) with its band (`power_low_bps`,
/// `power_high_bps`: the exponent's 95 % bootstrap interval pivoting about the bins' centre in log
/// x, where the OLS intercept and slope are uncorrelated), and the linear fit `lambda V x`
/// (`linear_bps`) with lambda's Newey-West 95 % interval (`linear_low_bps`, `linear_high_bps`).
/// Empty without a calibration.
pub fn calibration_fit_table(r: &BacktestResult) -> Table {
    let mut t = Table::default();
    let Some(c) = &r.market.calibration else {
        for n in [
            "x_pct_adv",
            "power_bps",
            "power_low_bps",
            "power_high_bps",
            "linear_bps",
            "linear_low_bps",
            "linear_high_bps",
        ] {
            t.num(n, Vec::new());
        }
        return t;
    };
    let used: Vec<f64> = c
        .curve
        .bins
        .iter()
        .filter(|b| b.y_mean > 0.0 && b.x_mean > 0.0)
        .map(|b| b.x_mean.ln())
        .collect();
    let all_x: Vec<f64> = c
        .curve
        .bins
        .iter()
        .map(|b| b.x_mean)
        .filter(|x| *x > 0.0)
        .collect();
    let xmin = all_x.iter().copied().fold(f64::MAX, f64::min) / 2.0;
    let xmax = all_x.iter().copied().fold(f64::MIN, f64::max) * 2.0;
    let xs = log_grid(xmin, xmax, 61);
    let lbar = used.iter().sum::<f64>() / used.len().max(1) as f64;
    let (d, y) = (c.curve.exponent, c.curve.prefactor_y);
    let a = (y.estimate * c.sigma_daily).ln();
    let centre = a + d.estimate * lbar;
    let pw = |x: f64, dd: f64| (centre + dd * (x.ln() - lbar)).exp() * 1e4;
    let v = c.adv_btc;
    let k = &c.kyle;
    t.num("x_pct_adv", xs.iter().map(|x| x * 100.0).collect())
        .num("power_bps", xs.iter().map(|&x| pw(x, d.estimate)).collect())
        .num(
            "power_low_bps",
            xs.iter()
                .map(|&x| pw(x, d.ci95_low).min(pw(x, d.ci95_high)))
                .collect(),
        )
        .num(
            "power_high_bps",
            xs.iter()
                .map(|&x| pw(x, d.ci95_low).max(pw(x, d.ci95_high)))
                .collect(),
        )
        .num(
            "linear_bps",
            xs.iter().map(|&x| k.lambda_per_btc * v * x * 1e4).collect(),
        )
        .num(
            "linear_low_bps",
            xs.iter().map(|&x| k.ci95_low * v * x * 1e4).collect(),
        )
        .num(
            "linear_high_bps",
            xs.iter().map(|&x| k.ci95_high * v * x * 1e4).collect(),
        );
    t
}
