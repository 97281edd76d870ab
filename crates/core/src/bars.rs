//! OHLCV bars as a struct of arrays.

use crate::time::Timestamp;
use crate::CoreError;
use serde::{Deserialize, Serialize};

/// What the `volume` column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VolumeUnit {
    /// Base asset (BTC): Binance klines, most exchange exports.
    #[default]
    Base,
    /// Quote currency (USD): Yahoo Finance's BTC-USD volume.
    Quote,
}

/// Raw columns of a bar series before validation. Every present column has one value per bar.
///
/// Build it row by row with [`BarColumns::push_ohlcv`] or fill the vectors directly, then hand it to
/// [`BarSeries::new_checked`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarColumns {
    /// Bar open times, epoch milliseconds UTC.
    pub open_time_ms: Vec<i64>,
    /// Opening prices.
    pub open: Vec<f64>,
    /// Highest prices.
    pub high: Vec<f64>,
    /// Lowest prices.
    pub low: Vec<f64>,
    /// Closing prices.
    pub close: Vec<f64>,
    /// Traded volume in [`BarColumns::volume_unit`].
    pub volume: Vec<f64>,
    /// Traded volume in the quote currency (USD/USDT), when the source has it.
    pub quote_volume: Option<Vec<f64>>,
    /// Number of trades, when the source has it.
    pub trades: Option<Vec<u64>>,
    /// Taker-buy volume in the base asset, when the source has it.
    pub taker_buy_volume: Option<Vec<f64>>,
    /// Number of source bars aggregated into each bar (set by resampling).
    pub bars_present: Option<Vec<u32>>,
    /// Unit of `volume`.
    pub volume_unit: VolumeUnit,
}

impl BarColumns {
    /// Append one bar with the five required fields.
    #[inline]
    pub fn push_ohlcv(&mut self, t_ms: i64, o: f64, h: f64, l: f64, c: f64, v: f64) {
        self.open_time_ms.push(t_ms);
        self.open.push(o);
        self.high.push(h);
        self.low.push(l);
        self.close.push(c);
        self.volume.push(v);
    }

    /// Empty every column present, keeping its allocation, with room for `cap` rows.
    pub fn reset(&mut self, cap: usize) {
        fn vec<T>(v: &mut Vec<T>, cap: usize) {
            v.clear();
            v.reserve(cap);
        }
        vec(&mut self.open_time_ms, cap);
        for v in [
            &mut self.open,
            &mut self.high,
            &mut self.low,
            &mut self.close,
            &mut self.volume,
        ] {
            vec(v, cap);
        }
        for v in [self.quote_volume.as_mut(), self.taker_buy_volume.as_mut()]
            .into_iter()
            .flatten()
        {
            vec(v, cap);
        }
        if let Some(v) = self.trades.as_mut() {
            vec(v, cap);
        }
        if let Some(v) = self.bars_present.as_mut() {
            vec(v, cap);
        }
    }

    /// Number of rows (length of `open_time_ms`).
    pub fn len(&self) -> usize {
        self.open_time_ms.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.open_time_ms.is_empty()
    }
}

/// Validated OHLCV bars sorted by open time, stored as a struct of arrays.
///
/// Invariants (checked by [`BarSeries::new_checked`]): all columns have the same length, open times
/// strictly increase, prices are finite and > 0, `low <= min(open, close)`, `high >= max(open, close)`,
/// volumes are finite and >= 0.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    cols: BarColumns,
    bar_seconds: i64,
}

fn t(ms: i64) -> String {
    Timestamp::from_millis(ms).to_rfc3339()
}

impl BarSeries {
    /// Validate columns and wrap them.
    ///
    /// `bar_seconds` is the nominal bar length (60 for 1-minute bars).
    ///
    /// # Errors
    /// [`CoreError`] naming the first bar or column that breaks an invariant.
    pub fn new_checked(cols: BarColumns, bar_seconds: i64) -> Result<Self, CoreError> {
        let n = cols.open_time_ms.len();
        let lens: [(&'static str, usize); 5] = [
            ("open", cols.open.len()),
            ("high", cols.high.len()),
            ("low", cols.low.len()),
            ("close", cols.close.len()),
            ("volume", cols.volume.len()),
        ];
        for (column, len) in lens {
            if len != n {
                return Err(CoreError::ColumnLength {
                    column,
                    len,
                    expected: n,
                });
            }
        }
        let opt_lens = [
            ("quote_volume", cols.quote_volume.as_ref().map(Vec::len)),
            ("trades", cols.trades.as_ref().map(Vec::len)),
            (
                "taker_buy_volume",
                cols.taker_buy_volume.as_ref().map(Vec::len),
            ),
            ("bars_present", cols.bars_present.as_ref().map(Vec::len)),
        ];
        for (column, len) in opt_lens {
            if let Some(len) = len {
                if len != n {
                    return Err(CoreError::ColumnLength {
                        column,
                        len,
                        expected: n,
                    });
                }
            }
        }
        if bar_seconds <= 0 {
            return Err(CoreError::InvalidValue {
                what: "bar_seconds",
                value: bar_seconds.to_string(),
                expected: "> 0",
            });
        }
        for i in 0..n {
            if i > 0 && cols.open_time_ms[i] <= cols.open_time_ms[i - 1] {
                return Err(CoreError::Unsorted {
                    index: i,
                    time: t(cols.open_time_ms[i]),
                    previous: t(cols.open_time_ms[i - 1]),
                });
            }
            let (o, h, l, c, v) = (
                cols.open[i],
                cols.high[i],
                cols.low[i],
                cols.close[i],
                cols.volume[i],
            );
            let bad = |problem: String| CoreError::BadBar {
                time: t(cols.open_time_ms[i]),
                problem,
            };
            for (name, p) in [("open", o), ("high", h), ("low", l), ("close", c)] {
                if !(p.is_finite() && p > 0.0) {
                    return Err(bad(format!("{name} is {p}, expected a finite price > 0")));
                }
            }
            if h < o.max(c) {
                return Err(bad(format!(
                    "high {h} is below max(open, close) {}",
                    o.max(c)
                )));
            }
            if l > o.min(c) {
                return Err(bad(format!(
                    "low {l} is above min(open, close) {}",
                    o.min(c)
                )));
            }
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(format!("volume is {v}, expected a finite value >= 0")));
            }
        }
        Ok(Self { cols, bar_seconds })
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.cols.open_time_ms.len()
    }
    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.cols.open_time_ms.is_empty()
    }
    /// Nominal bar length in seconds.
    pub fn bar_seconds(&self) -> i64 {
        self.bar_seconds
    }
    /// Bar length in milliseconds.
    pub fn bar_ms(&self) -> i64 {
        self.bar_seconds * 1000
    }
    /// Open times, epoch ms UTC.
    pub fn open_time_ms(&self) -> &[i64] {
        &self.cols.open_time_ms
    }
    /// Opens.
    pub fn open(&self) -> &[f64] {
        &self.cols.open
    }
    /// Highs.
    pub fn high(&self) -> &[f64] {
        &self.cols.high
    }
    /// Lows.
    pub fn low(&self) -> &[f64] {
        &self.cols.low
    }
    /// Closes.
    pub fn close(&self) -> &[f64] {
        &self.cols.close
    }
    /// Volumes in [`BarSeries::volume_unit`].
    pub fn volume(&self) -> &[f64] {
        &self.cols.volume
    }
    /// Quote volumes, when present.
    pub fn quote_volume(&self) -> Option<&[f64]> {
        self.cols.quote_volume.as_deref()
    }
    /// Trade counts, when present.
    pub fn trades(&self) -> Option<&[u64]> {
        self.cols.trades.as_deref()
    }
    /// Taker-buy base volumes, when present.
    pub fn taker_buy_volume(&self) -> Option<&[f64]> {
        self.cols.taker_buy_volume.as_deref()
    }
    /// Source bars per bar, when the series was resampled.
    pub fn bars_present(&self) -> Option<&[u32]> {
        self.cols.bars_present.as_deref()
    }
    /// Unit of the volume column.
    pub fn volume_unit(&self) -> VolumeUnit {
        self.cols.volume_unit
    }
    /// The underlying columns.
    pub fn columns(&self) -> &BarColumns {
        &self.cols
    }
    /// Give the columns back.
    pub fn into_columns(self) -> BarColumns {
        self.cols
    }

    /// First bar open time.
    pub fn first_time(&self) -> Option<Timestamp> {
        self.cols
            .open_time_ms
            .first()
            .map(|&m| Timestamp::from_millis(m))
    }
    /// Last bar open time.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.cols
            .open_time_ms
            .last()
            .map(|&m| Timestamp::from_millis(m))
    }

    /// Index range of the bars whose open time is in `[from_ms, to_ms)`.
    pub fn index_range(&self, from_ms: i64, to_ms: i64) -> std::ops::Range<usize> {
        let t = &self.cols.open_time_ms;
        let a = t.partition_point(|&x| x < from_ms);
        let b = t.partition_point(|&x| x < to_ms).max(a);
        a..b
    }

    /// The bars whose open time is in `[from_ms, to_ms)`, as a new series.
    pub fn slice_time(&self, from_ms: i64, to_ms: i64) -> BarSeries {
        self.slice(self.index_range(from_ms, to_ms))
    }

    /// The bars at `range`, as a new series (no re-validation needed: a slice keeps every invariant).
    pub fn slice(&self, r: std::ops::Range<usize>) -> BarSeries {
        let c = &self.cols;
        let cols = BarColumns {
            open_time_ms: c.open_time_ms[r.clone()].to_vec(),
            open: c.open[r.clone()].to_vec(),
            high: c.high[r.clone()].to_vec(),
            low: c.low[r.clone()].to_vec(),
            close: c.close[r.clone()].to_vec(),
            volume: c.volume[r.clone()].to_vec(),
            quote_volume: c.quote_volume.as_ref().map(|v| v[r.clone()].to_vec()),
            trades: c.trades.as_ref().map(|v| v[r.clone()].to_vec()),
            taker_buy_volume: c.taker_buy_volume.as_ref().map(|v| v[r.clone()].to_vec()),
            bars_present: c.bars_present.as_ref().map(|v| v[r.clone()].to_vec()),
            volume_unit: c.volume_unit,
        };
        BarSeries {
            cols,
            bar_seconds: self.bar_seconds,
        }
    }

    /// Number of missing bars between consecutive bars (sum over gaps of `dt/bar - 1`).
    pub fn missing_bars(&self) -> u64 {
        let step = self.bar_ms();
        self.cols
            .open_time_ms
            .windows(2)
            .map(|w| ((w[1] - w[0]) / step - 1).max(0) as u64)
            .sum()
    }

    /// Aggregate into UTC-aligned buckets of `every_seconds` (a multiple of the bar size).
    ///
    /// First open, max high, min low, last close, sums of volumes, trades and taker-buy volume, and the
    /// number of source bars present in each bucket (`bars_present`, summed when the source was itself
    /// resampled). Weekly buckets start on Monday 00:00 UTC. Empty buckets are absent.
    ///
    /// # Errors
    /// [`CoreError::InvalidValue`] when `every_seconds` is not a positive multiple of the bar size.
    pub fn resample(&self, every_seconds: i64) -> Result<BarSeries, CoreError> {
        if every_seconds <= 0 || every_seconds % self.bar_seconds != 0 {
            return Err(CoreError::InvalidValue {
                what: "resample interval in seconds",
                value: every_seconds.to_string(),
                expected: "a positive multiple of the bar size",
            });
        }
        let every_ms = every_seconds * 1000;
        // Weekly buckets align on Monday: epoch day 0 is a Thursday, so shift by 4 days.
        let offset_ms = if every_seconds % (7 * 86_400) == 0 {
            4 * crate::MS_PER_DAY
        } else {
            0
        };
        let bucket = |ms: i64| (ms - offset_ms).div_euclid(every_ms) * every_ms + offset_ms;
        let c = &self.cols;
        let mut out = BarColumns {
            volume_unit: c.volume_unit,
            quote_volume: c.quote_volume.as_ref().map(|_| Vec::new()),
            trades: c.trades.as_ref().map(|_| Vec::new()),
            taker_buy_volume: c.taker_buy_volume.as_ref().map(|_| Vec::new()),
            bars_present: Some(Vec::new()),
            ..BarColumns::default()
        };
        let n = self.len();
        let mut i = 0;
        while i < n {
            let b = bucket(c.open_time_ms[i]);
            let mut j = i;
            let (mut h, mut l, mut v) = (f64::MIN, f64::MAX, 0.0);
            let (mut qv, mut tr, mut tb, mut present) = (0.0, 0u64, 0.0, 0u32);
            while j < n && bucket(c.open_time_ms[j]) == b {
                h = h.max(c.high[j]);
                l = l.min(c.low[j]);
                v += c.volume[j];
                if let Some(q) = &c.quote_volume {
                    qv += q[j];
                }
                if let Some(x) = &c.trades {
                    tr += x[j];
                }
                if let Some(x) = &c.taker_buy_volume {
                    tb += x[j];
                }
                present += c.bars_present.as_ref().map_or(1, |p| p[j]);
                j += 1;
            }
            out.push_ohlcv(b, c.open[i], h, l, c.close[j - 1], v);
            if let Some(q) = out.quote_volume.as_mut() {
                q.push(qv);
            }
            if let Some(x) = out.trades.as_mut() {
                x.push(tr);
            }
            if let Some(x) = out.taker_buy_volume.as_mut() {
                x.push(tb);
            }
            if let Some(x) = out.bars_present.as_mut() {
                x.push(present);
            }
            i = j;
        }
        Ok(BarSeries {
            cols: out,
            bar_seconds: every_seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(n: usize, step_s: i64) -> BarSeries {
        let mut c = BarColumns::default();
        for i in 0..n {
            let p = 100.0 + i as f64;
            c.push_ohlcv(
                i as i64 * step_s * 1000,
                p,
                p + 2.0,
                p - 1.0,
                p + 1.0,
                1.0 + i as f64,
            );
        }
        c.taker_buy_volume = Some(vec![0.5; n]);
        BarSeries::new_checked(c, step_s).unwrap()
    }

    #[test]
    fn rejects_bad_bars() {
        let mut c = BarColumns::default();
        c.push_ohlcv(0, 10.0, 9.0, 8.0, 9.5, 1.0);
        let e = BarSeries::new_checked(c, 60).unwrap_err();
        assert!(
            e.to_string()
                .contains("high 9 is below max(open, close) 10"),
            "{e}"
        );
        let mut c = BarColumns::default();
        c.push_ohlcv(60_000, 10.0, 11.0, 9.0, 10.0, 1.0);
        c.push_ohlcv(0, 10.0, 11.0, 9.0, 10.0, 1.0);
        assert!(matches!(
            BarSeries::new_checked(c, 60),
            Err(CoreError::Unsorted { index: 1, .. })
        ));
        let mut c = BarColumns::default();
        c.push_ohlcv(0, 10.0, 11.0, 9.0, 10.0, -1.0);
        assert!(BarSeries::new_checked(c, 60).is_err());
        let mut c = BarColumns::default();
        c.push_ohlcv(0, f64::NAN, 11.0, 9.0, 10.0, 1.0);
        assert!(BarSeries::new_checked(c, 60).is_err());
    }

    #[test]
    fn resample_hour() {
        let s = series(120, 60);
        let h = s.resample(3600).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h.open(), &[100.0, 160.0]);
        assert_eq!(h.high(), &[161.0, 221.0]);
        assert_eq!(h.low(), &[99.0, 159.0]);
        assert_eq!(h.close(), &[160.0, 220.0]);
        assert_eq!(h.volume()[0], (1..=60).sum::<usize>() as f64);
        assert_eq!(h.taker_buy_volume().unwrap(), &[30.0, 30.0]);
        assert_eq!(h.bars_present().unwrap(), &[60, 60]);
        assert!(s.resample(90).is_err());
    }

    #[test]
    fn weekly_buckets_start_monday() {
        // 2026-02-04 (Wed) .. 2026-02-10 (Tue), daily bars.
        let start = Timestamp::parse_rfc3339("2026-02-04").unwrap().as_millis();
        let mut c = BarColumns::default();
        for d in 0..7 {
            c.push_ohlcv(start + d * crate::MS_PER_DAY, 1.0, 1.0, 1.0, 1.0, 1.0);
        }
        let w = BarSeries::new_checked(c, 86_400)
            .unwrap()
            .resample(7 * 86_400)
            .unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w.first_time().unwrap().to_rfc3339(), "2026-02-02T00:00:00Z");
        assert_eq!(w.bars_present().unwrap(), &[5, 2]);
    }

    #[test]
    fn slicing() {
        let s = series(10, 60);
        assert_eq!(s.index_range(120_000, 300_000), 2..5);
        assert_eq!(s.slice_time(120_000, 300_000).len(), 3);
        assert_eq!(s.index_range(10_000_000, 0), 10..10);
    }

    proptest! {
        #[test]
        fn resample_conserves_volume(n in 1usize..500, k in 1i64..30) {
            let s = series(n, 60);
            let r = s.resample(60 * k).unwrap();
            let tot: f64 = s.volume().iter().sum();
            let rtot: f64 = r.volume().iter().sum();
            prop_assert!((tot - rtot).abs() < 1e-6 * tot.max(1.0));
            prop_assert_eq!(r.bars_present().unwrap().iter().map(|&x| x as usize).sum::<usize>(), n);
        }
    }
}
