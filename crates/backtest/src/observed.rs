//! What the market did: window statistics and markouts (the event study is in `event_study`).

use crate::engine::{close_at, MARKOUT_HOURS};
use crate::result::{Markout, ObservedSection};
use crate::Scenario;
use blocksale_core::{BarSeries, Timestamp, MS_PER_HOUR};

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
