//! What the market did: window statistics, markouts and the constant-mean event study.

use crate::engine::{close_at, p_two_sided, MARKOUT_HOURS};
use crate::result::{EventStudy, Markout, ObservedSection};
use crate::{BacktestError, Scenario};
use blocksale_core::{BarSeries, Timestamp, MS_PER_DAY, MS_PER_HOUR};

/// Participation above which a lit-market sale on the price venue alone is flagged.
pub const PARTICIPATION_FLAG: f64 = 0.25;

/// Typical price `(H + L + C) / 3` of bar `i`.
pub(crate) fn typical(b: &BarSeries, i: usize) -> f64 {
    (b.high()[i] + b.low()[i] + b.close()[i]) / 3.0
}

/// Observed statistics of the path around the window `win` (indices into `path`).
pub fn observe(path: &BarSeries, win: std::ops::Range<usize>, s: &Scenario) -> ObservedSection {
    let (o, h, l, c, v) = (
        path.open(),
        path.high(),
        path.low(),
        path.close(),
        path.volume(),
    );
    let t = path.open_time_ms();
    let argmin = |r: std::ops::Range<usize>| r.min_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap_or(0);
    let imin = argmin(0..path.len());
    let wmin = argmin(win.clone());
    let wmax = win
        .clone()
        .max_by(|&a, &b| h[a].total_cmp(&h[b]))
        .unwrap_or(0);
    let vol: f64 = v[win.clone()].iter().sum();
    let (vwap, method) = match path.quote_volume() {
        Some(q) if vol > 0.0 => (
            q[win.clone()].iter().sum::<f64>() / vol,
            "quote_volume/volume",
        ),
        _ if vol > 0.0 => (
            win.clone().map(|i| typical(path, i) * v[i]).sum::<f64>() / vol,
            "typical_price",
        ),
        _ => (
            win.clone().map(|i| c[i]).sum::<f64>() / win.len() as f64,
            "mean_close_no_volume",
        ),
    };
    let twap = win.clone().map(|i| typical(path, i)).sum::<f64>() / win.len() as f64;
    let (p0, p1) = (o[win.start], c[win.end - 1]);
    let participation = if vol > 0.0 {
        s.size_btc / vol
    } else {
        f64::INFINITY
    };
    let participation_flag = (participation > PARTICIPATION_FLAG).then(|| {
        format!(
            "the sale would have been {:.0} % of the window volume on {}: implausible as a lit-market sale on this venue alone (OTC or other venues likely)",
            participation * 100.0,
            s.data.price
        )
    });
    let end = s.end.as_millis();
    let markouts = MARKOUT_HOURS
        .iter()
        .map(|&hh| {
            let p = close_at(path, end + hh * MS_PER_HOUR);
            Markout {
                hours: hh,
                price_usd: p,
                return_from_start: p.map(|x| (x / p0).ln()),
                return_from_end: p.map(|x| (x / p1).ln()),
            }
        })
        .collect();
    ObservedSection {
        price_start_usd: p0,
        price_end_usd: p1,
        return_window: (p1 / p0).ln(),
        min_price_usd: l[imin],
        min_price_time: Timestamp::from_millis(t[imin]),
        window_min_price_usd: l[wmin],
        window_min_price_time: Timestamp::from_millis(t[wmin]),
        window_max_price_usd: h[wmax],
        window_vwap_usd: vwap,
        window_vwap_method: method.into(),
        window_volume_btc: vol,
        window_twap_usd: twap,
        participation,
        participation_flag,
        markouts,
        path_start: Timestamp::from_millis(t[0]),
        path_end: Timestamp::from_millis(t[t.len() - 1]),
    }
}

/// Log returns between consecutive bars of `b` whose open times are in `[from, to)`, each with its
/// bar's open time; a return across a gap is skipped.
fn returns(b: &BarSeries, from: i64, to: i64) -> Vec<(i64, f64)> {
    let r = b.index_range(from, to);
    let (t, c) = (b.open_time_ms(), b.close());
    r.filter(|&i| i > 0 && t[i] - t[i - 1] == b.bar_ms())
        .map(|i| (t[i], (c[i] / c[i - 1]).ln()))
        .collect()
}

/// MacKinlay (1997) constant-mean event study on the price venue.
///
/// Returns at `event_study.bar_seconds`; estimation window of `estimation_days` ending where the
/// observed context before the event begins; event window = the sale window.
///
/// # Errors
/// [`BacktestError::Coverage`] when the estimation window has fewer than 10 returns.
pub fn event_study(
    bars: &BarSeries,
    s: &Scenario,
    path: &BarSeries,
) -> Result<EventStudy, BacktestError> {
    let es = &s.event_study;
    let b = if bars.bar_seconds() == es.bar_seconds {
        bars.clone()
    } else {
        let (from, to) = (
            s.start.as_millis()
                - i64::from(s.market.context_days + es.estimation_days + 1) * MS_PER_DAY,
            s.end.as_millis() + i64::from(s.market.context_days + 1) * MS_PER_DAY,
        );
        bars.slice_time(from, to)
            .resample(es.bar_seconds)
            .map_err(|e| BacktestError::Scenario {
                key: "event_study.bar_seconds".into(),
                value: es.bar_seconds.to_string(),
                expected: format!(
                    "a multiple of the price bars' {} s: {e}",
                    bars.bar_seconds()
                ),
            })?
    };
    let (start, end) = (s.start.as_millis(), s.end.as_millis());
    let est_end = start - i64::from(s.market.context_days) * MS_PER_DAY;
    let est_start = est_end - i64::from(es.estimation_days) * MS_PER_DAY;
    let est: Vec<f64> = returns(&b, est_start, est_end)
        .into_iter()
        .map(|x| x.1)
        .collect();
    if est.len() < 10 {
        return Err(BacktestError::Coverage(format!(
            "only {} returns in the event-study estimation window {} .. {}; at least 10 are needed",
            est.len(),
            Timestamp::from_millis(est_start),
            Timestamp::from_millis(est_end)
        )));
    }
    let n = est.len() as f64;
    let mu = est.iter().sum::<f64>() / n;
    let sd = (est.iter().map(|r| (r - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let ev = returns(&b, start, end);
    let l2 = ev.len();
    let car: f64 = ev.iter().map(|x| x.1 - mu).sum();
    let j = if l2 > 0 && sd > 0.0 {
        car / (l2 as f64 * sd * sd).sqrt()
    } else {
        f64::NAN
    };
    let p_start = crate::engine::close_at(&b, start).or_else(|| path.open().first().copied());
    let car_markouts = MARKOUT_HOURS
        .iter()
        .map(|&h| {
            let t_end = end + h * MS_PER_HOUR;
            let steps = (t_end - start) as f64 / b.bar_ms() as f64;
            let v = match (close_at(&b, t_end), p_start) {
                (Some(p), Some(p0)) => Some((p / p0).ln() - mu * steps),
                _ => None,
            };
            (h, v)
        })
        .collect();
    Ok(EventStudy {
        bar_seconds: es.bar_seconds,
        estimation_start: Timestamp::from_millis(est_start),
        estimation_end: Timestamp::from_millis(est_end),
        estimation_n: est.len(),
        mean_return_per_bar: mu,
        sd_return_per_bar: sd,
        event_n: l2,
        car,
        j_stat: j,
        p_value: p_two_sided(j),
        car_markouts,
    })
}
