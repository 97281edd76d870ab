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

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_core::BarColumns;

    const HOUR: i64 = 3_600_000;

    /// Six hourly bars; the sale window is bars 2..5 (three hours), bar 5 is the hour after it.
    fn path(quote: bool) -> (BarSeries, Scenario) {
        let mut s = Scenario::example();
        let t0 = s.start.as_millis() - 2 * HOUR;
        s.end = Timestamp::from_millis(s.start.as_millis() + 3 * HOUR);
        s.size_btc = 16.0;
        let rows = [
            (100.0, 101.0, 99.0, 100.0, 10.0),
            (100.0, 102.0, 98.0, 101.0, 20.0),
            (101.0, 103.0, 100.0, 102.0, 30.0),
            (102.0, 104.0, 95.0, 97.0, 40.0),
            (97.0, 99.0, 96.0, 98.0, 10.0),
            (98.0, 99.0, 90.0, 95.0, 5.0),
        ];
        let mut c = BarColumns::default();
        for (i, (o, h, l, cl, v)) in rows.into_iter().enumerate() {
            c.push_ohlcv(t0 + i as i64 * HOUR, o, h, l, cl, v);
        }
        if quote {
            // Traded at 100, 101, 102, 97, 98, 95 USD.
            c.quote_volume = Some(
                rows.iter()
                    .zip([100.0, 101.0, 102.0, 97.0, 98.0, 95.0])
                    .map(|(r, p)| r.4 * p)
                    .collect(),
            );
        }
        (BarSeries::new_checked(c, 3_600).unwrap(), s)
    }

    #[test]
    fn window_statistics_by_hand() {
        let (p, s) = path(false);
        let o = observe(&p, 2..5, &s);
        assert_eq!((o.price_start_usd, o.price_end_usd), (101.0, 98.0));
        assert!((o.return_window - (98.0f64 / 101.0).ln()).abs() < 1e-15);
        // The lowest low in view is after the window; inside it, bar 3.
        assert_eq!((o.min_price_usd, o.window_min_price_usd), (90.0, 95.0));
        assert_eq!(o.min_price_time.as_millis(), s.start.as_millis() + 3 * HOUR);
        assert_eq!(
            o.window_min_price_time.as_millis(),
            s.start.as_millis() + HOUR
        );
        assert_eq!(o.window_max_price_usd, 104.0);
        assert_eq!(o.window_volume_btc, 80.0);
        // No quote volume: typical prices (H + L + C) / 3 = 305/3, 296/3, 293/3 weighted by volume.
        let vwap = (30.0 * 305.0 + 40.0 * 296.0 + 10.0 * 293.0) / 3.0 / 80.0;
        assert!((o.window_vwap_usd - vwap).abs() < 1e-12);
        assert_eq!(o.window_vwap_method, "typical_price");
        assert!((o.window_twap_usd - (305.0 + 296.0 + 293.0) / 9.0).abs() < 1e-12);
        assert_eq!(o.participation, 0.2);
        assert!(o.participation_flag.is_none());
        assert_eq!(
            (o.path_start.as_millis(), o.path_end.as_millis()),
            (
                s.start.as_millis() - 2 * HOUR,
                s.start.as_millis() + 3 * HOUR
            )
        );
    }

    #[test]
    fn vwap_from_quote_volume_and_markouts() {
        let (p, mut s) = path(true);
        s.size_btc = 40.0;
        let o = observe(&p, 2..5, &s);
        let vwap = (30.0 * 102.0 + 40.0 * 97.0 + 10.0 * 98.0) / 80.0;
        assert!((o.window_vwap_usd - vwap).abs() < 1e-12);
        assert_eq!(o.window_vwap_method, "quote_volume/volume");
        // 40 of 80 BTC: half the window volume, flagged.
        assert_eq!(o.participation, 0.5);
        assert!(o
            .participation_flag
            .unwrap()
            .starts_with("the sale would have been 50 %"));
        // +1 h: the close of the bar after the window; later horizons are past the data.
        let m = &o.markouts;
        assert_eq!(m.iter().map(|x| x.hours).collect::<Vec<_>>(), MARKOUT_HOURS);
        assert_eq!(m[0].price_usd, Some(95.0));
        assert!((m[0].return_from_start.unwrap() - (95.0f64 / 101.0).ln()).abs() < 1e-15);
        assert!((m[0].return_from_end.unwrap() - (95.0f64 / 98.0).ln()).abs() < 1e-15);
        assert!(m[1..]
            .iter()
            .all(|x| x.price_usd.is_none() && x.return_from_start.is_none()));
    }
}
