use super::Ohlc;
use crate::ImpactError;
use blocksale_core::{day_start_ms, BarSeries, VolumeUnit, MS_PER_DAY};

/// Share of a UTC day's bar slots that must hold a bar for the day to be used: 90 %.
pub const MIN_DAY_COVERAGE: f64 = 0.9;

/// Bars aggregated into consecutive UTC calendar days, from the day of the first bar to the day of
/// the last: the one daily aggregation behind every daily estimator (volatility on daily bars,
/// [`adv`](super::adv), [`amihud_daily`](super::amihud_daily), the backtest's market state).
///
/// The rule for partial days:
/// - a day is **used** when at least [`MIN_DAY_COVERAGE`] (90 %) of its `86400 / bar_seconds` bar
///   slots hold a bar (a resampled bar fills one slot, whatever it aggregates);
/// - a used day's volumes are scaled to 24 hours by its coverage, `volume x slots / bars present`,
///   so a day missing a few bars is not counted as a quiet day;
/// - its prices are the first open, highest high, lowest low and last close of its bars;
/// - every other day, a day with no bar at all included, is a **gap**: it keeps its place in the
///   calendar with `NaN` prices and volumes, so no return is taken across it. A daily return needs
///   two consecutive used days; a dropped day never turns a two-day move into a one-day return.
///
/// Volume in BTC is the bars' volume (or quote volume / close when the bars count USD); dollar
/// volume is the quote volume when the bars have it, else volume x close.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyBars {
    day_start_ms: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume_btc: Vec<f64>,
    dollar_volume_usd: Vec<f64>,
    bars_present: Vec<u32>,
    slots_per_day: u32,
}

impl DailyBars {
    /// Aggregate `bars` into UTC days by the rule above.
    ///
    /// # Errors
    /// [`ImpactError::Input`] when the bar size does not divide a day.
    pub fn from_bars(bars: &BarSeries) -> Result<Self, ImpactError> {
        let secs = bars.bar_seconds();
        if secs <= 0 || 86_400 % secs != 0 {
            return Err(ImpactError::Input(format!(
                "daily aggregation needs bars that divide a day, got {secs} s bars (86400 is not a multiple)"
            )));
        }
        let slots = (86_400 / secs) as u32;
        let t = bars.open_time_ms();
        let (Some(&first), Some(&last)) = (t.first(), t.last()) else {
            return Ok(Self {
                slots_per_day: slots,
                ..Self::empty()
            });
        };
        let (d0, d1) = (day_start_ms(first), day_start_ms(last));
        let n_days = ((d1 - d0) / MS_PER_DAY + 1) as usize;
        let nan = vec![f64::NAN; n_days];
        let mut out = Self {
            day_start_ms: (0..n_days as i64).map(|k| d0 + k * MS_PER_DAY).collect(),
            open: nan.clone(),
            high: nan.clone(),
            low: nan.clone(),
            close: nan.clone(),
            volume_btc: vec![0.0; n_days],
            dollar_volume_usd: vec![0.0; n_days],
            bars_present: vec![0; n_days],
            slots_per_day: slots,
        };
        let (o, h, l, c, v) = (
            bars.open(),
            bars.high(),
            bars.low(),
            bars.close(),
            bars.volume(),
        );
        let quote = bars.quote_volume();
        for i in 0..bars.len() {
            let k = ((day_start_ms(t[i]) - d0) / MS_PER_DAY) as usize;
            let (btc, usd) = match (bars.volume_unit(), quote) {
                (VolumeUnit::Base, Some(q)) => (v[i], q[i]),
                (VolumeUnit::Base, None) => (v[i], v[i] * c[i]),
                (VolumeUnit::Quote, _) => (v[i] / c[i], v[i]),
            };
            if out.bars_present[k] == 0 {
                out.open[k] = o[i];
                out.high[k] = h[i];
                out.low[k] = l[i];
            }
            out.high[k] = out.high[k].max(h[i]);
            out.low[k] = out.low[k].min(l[i]);
            out.close[k] = c[i];
            out.volume_btc[k] += btc;
            out.dollar_volume_usd[k] += usd;
            out.bars_present[k] += 1;
        }
        for k in 0..n_days {
            if out.is_used(k) {
                let scale = f64::from(slots) / f64::from(out.bars_present[k]);
                out.volume_btc[k] *= scale;
                out.dollar_volume_usd[k] *= scale;
            } else {
                for col in [
                    &mut out.open,
                    &mut out.high,
                    &mut out.low,
                    &mut out.close,
                    &mut out.volume_btc,
                    &mut out.dollar_volume_usd,
                ] {
                    col[k] = f64::NAN;
                }
            }
        }
        Ok(out)
    }

    /// The days of `[from_ms, to_ms)` (midnights UTC), from the first day with a bar to the last:
    /// bit for bit what [`DailyBars::from_bars`] gives on the bars of those days (a day's
    /// figures depend on its own bars only), without reading a bar. A replay moves its
    /// calibration window over the days of a long history this way.
    pub fn window(&self, from_ms: i64, to_ms: i64) -> Self {
        let a = self.day_start_ms.partition_point(|&d| d < from_ms);
        let b = self.day_start_ms.partition_point(|&d| d < to_ms).max(a);
        let with_bars = |k: &usize| self.bars_present[*k] > 0;
        let (Some(first), Some(last)) = ((a..b).find(with_bars), (a..b).rev().find(with_bars))
        else {
            return Self {
                slots_per_day: self.slots_per_day,
                ..Self::empty()
            };
        };
        let r = first..last + 1;
        Self {
            day_start_ms: self.day_start_ms[r.clone()].to_vec(),
            open: self.open[r.clone()].to_vec(),
            high: self.high[r.clone()].to_vec(),
            low: self.low[r.clone()].to_vec(),
            close: self.close[r.clone()].to_vec(),
            volume_btc: self.volume_btc[r.clone()].to_vec(),
            dollar_volume_usd: self.dollar_volume_usd[r.clone()].to_vec(),
            bars_present: self.bars_present[r].to_vec(),
            slots_per_day: self.slots_per_day,
        }
    }

    /// Daily OHLC and volume of day `k`: `(open, high, low, close, volume_btc)` (`NaN` on a gap).
    pub fn day(&self, k: usize) -> (f64, f64, f64, f64, f64) {
        (
            self.open[k],
            self.high[k],
            self.low[k],
            self.close[k],
            self.volume_btc[k],
        )
    }

    fn empty() -> Self {
        Self {
            day_start_ms: vec![],
            open: vec![],
            high: vec![],
            low: vec![],
            close: vec![],
            volume_btc: vec![],
            dollar_volume_usd: vec![],
            bars_present: vec![],
            slots_per_day: 1,
        }
    }

    /// Calendar days from the first bar's day to the last bar's, used or not.
    pub fn len(&self) -> usize {
        self.day_start_ms.len()
    }

    /// True when there are no days.
    pub fn is_empty(&self) -> bool {
        self.day_start_ms.is_empty()
    }

    /// Midnight UTC of each calendar day, ms.
    pub fn day_start_ms(&self) -> &[i64] {
        &self.day_start_ms
    }

    /// Bar slots in a day, `86400 / bar_seconds`.
    pub fn slots_per_day(&self) -> u32 {
        self.slots_per_day
    }

    /// Bars present on each day.
    pub fn bars_present(&self) -> &[u32] {
        &self.bars_present
    }

    /// True when day `k` holds at least 90 % of its bar slots.
    pub fn is_used(&self, k: usize) -> bool {
        f64::from(self.bars_present[k]) >= MIN_DAY_COVERAGE * f64::from(self.slots_per_day)
    }

    /// Days used.
    pub fn n_used(&self) -> usize {
        (0..self.len()).filter(|&k| self.is_used(k)).count()
    }

    /// Gap days: calendar days between the first and the last bar that are not used.
    pub fn n_gaps(&self) -> usize {
        self.len() - self.n_used()
    }

    /// Daily OHLC, `NaN` on gap days; no previous close.
    pub fn ohlc(&self) -> Ohlc<'_> {
        Ohlc {
            open: &self.open,
            high: &self.high,
            low: &self.low,
            close: &self.close,
            prev_close: None,
        }
    }

    /// Last close of each day, USD (`NaN` on gap days).
    pub fn close(&self) -> &[f64] {
        &self.close
    }

    /// Volume of each day scaled to 24 hours, BTC (`NaN` on gap days).
    pub fn volume_btc(&self) -> &[f64] {
        &self.volume_btc
    }

    /// Dollar volume of each day scaled to 24 hours, USD (`NaN` on gap days).
    pub fn dollar_volume_usd(&self) -> &[f64] {
        &self.dollar_volume_usd
    }

    /// Simple return of day `k` from the previous day's close, `C_k / C_{k-1} - 1`; `NaN` for the
    /// first day and when either day is a gap.
    pub fn simple_return(&self, k: usize) -> f64 {
        if k == 0 {
            return f64::NAN;
        }
        self.close[k] / self.close[k - 1] - 1.0
    }

    /// Mean volume over the used days whose midnight passes `keep`, BTC/day, and the number of
    /// those days (`NaN` and 0 when none).
    pub fn mean_volume_btc(&self, keep: impl Fn(i64) -> bool) -> (f64, usize) {
        let v: Vec<f64> = (0..self.len())
            .filter(|&k| self.is_used(k) && keep(self.day_start_ms[k]))
            .map(|k| self.volume_btc[k])
            .collect();
        if v.is_empty() {
            (f64::NAN, 0)
        } else {
            (v.iter().sum::<f64>() / v.len() as f64, v.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::{CloseToClose, VolEstimator, YangZhang};
    use blocksale_core::BarColumns;

    /// Monday 2024-01-01 00:00 UTC.
    const MON: i64 = 1_704_067_200_000;
    const HOUR: i64 = 3_600_000;

    /// Six days of hourly bars at a constant price per day (`close[d]`), 10 BTC an hour; day 2
    /// keeps 22 of 24 hours (92 %), day 3 keeps 12 (50 %: dropped), day 4 has none.
    fn bars() -> BarSeries {
        let close = [100.0, 110.0, 99.0, 200.0, 300.0, 108.9];
        let mut c = BarColumns::default();
        for d in 0..6 {
            let hours = match d {
                2 => 22,
                3 => 12,
                4 => 0,
                _ => 24,
            };
            for h in 0..hours {
                let p = close[d as usize];
                c.push_ohlcv(MON + d * 24 * HOUR + h * HOUR, p, p, p, p, 10.0);
            }
        }
        BarSeries::new_checked(c, 3_600).unwrap()
    }

    #[test]
    fn partial_days_are_scaled_and_short_days_are_gaps() {
        let d = DailyBars::from_bars(&bars()).unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!(d.slots_per_day(), 24);
        assert_eq!(d.bars_present(), &[24, 24, 22, 12, 0, 24]);
        let used: Vec<bool> = (0..6).map(|k| d.is_used(k)).collect();
        assert_eq!(used, [true, true, true, false, false, true]);
        assert_eq!((d.n_used(), d.n_gaps()), (4, 2));
        // 22 hours of 10 BTC scaled to 24 hours: 240 BTC, like a full day.
        assert!((d.volume_btc()[2] - 240.0).abs() < 1e-12);
        assert!((d.dollar_volume_usd()[2] - 240.0 * 99.0).abs() < 1e-9);
        assert!(d.volume_btc()[3].is_nan() && d.close()[4].is_nan());
        let (mean, n) = d.mean_volume_btc(|_| true);
        assert!((mean - 240.0).abs() < 1e-12 && n == 4);
    }

    /// The day after a gap has no return: day 5 (108.9) is not compared with day 2 (99).
    #[test]
    fn a_dropped_day_gives_a_gap_not_a_chained_return() {
        let d = DailyBars::from_bars(&bars()).unwrap();
        let r: Vec<f64> = (0..6).map(|k| d.simple_return(k)).collect();
        assert!((r[1] - 0.1).abs() < 1e-12 && (r[2] + 0.1).abs() < 1e-12);
        assert!(r[0].is_nan() && r[3].is_nan() && r[4].is_nan() && r[5].is_nan());
        // Close-to-close: the two returns ln 1.1 and ln 0.9 only (chained, the day-5 return
        // ln(108.9/99) = ln 1.1 would be a third).
        let (v, n) = CloseToClose.variance_per_bar(&d.ohlc()).unwrap();
        assert_eq!(n, 2);
        let (a, b) = (1.1f64.ln(), 0.9f64.ln());
        let m = (a + b) / 2.0;
        assert!((v - ((a - m).powi(2) + (b - m).powi(2))).abs() < 1e-15);
        // Yang-Zhang: the overnight term needs the previous close too (days 1 and 2 only).
        assert_eq!(YangZhang.variance_per_bar(&d.ohlc()).unwrap().1, 2);
    }

    /// A window of the days of a whole series is what the bars of those days give: every day
    /// inside, the gap days, and the days without a bar at either end left out.
    #[test]
    fn a_window_of_days_equals_the_days_of_its_bars() {
        let b = bars();
        let all = DailyBars::from_bars(&b).unwrap();
        for from in 0..7 {
            for to in from..8 {
                let (f, t) = (MON + from * 24 * HOUR, MON + to * 24 * HOUR);
                let want = DailyBars::from_bars(&b.slice_time(f, t)).unwrap();
                let got = all.window(f, t);
                // NaN != NaN: compare the bits.
                let bits = |d: &DailyBars| -> Vec<u64> {
                    [
                        &d.open,
                        &d.high,
                        &d.low,
                        &d.close,
                        &d.volume_btc,
                        &d.dollar_volume_usd,
                    ]
                    .iter()
                    .flat_map(|c| c.iter().map(|x| x.to_bits()))
                    .collect()
                };
                assert_eq!(got.day_start_ms, want.day_start_ms, "{from}..{to}");
                assert_eq!(got.bars_present, want.bars_present, "{from}..{to}");
                assert_eq!(bits(&got), bits(&want), "{from}..{to}");
                assert_eq!((got.n_used(), got.n_gaps()), (want.n_used(), want.n_gaps()));
            }
        }
    }

    #[test]
    fn bars_that_do_not_divide_a_day_are_refused() {
        let mut c = BarColumns::default();
        c.push_ohlcv(MON, 1.0, 1.0, 1.0, 1.0, 1.0);
        let e = DailyBars::from_bars(&BarSeries::new_checked(c, 7 * 86_400).unwrap());
        assert!(e.unwrap_err().to_string().contains("604800 s bars"));
        let empty = BarSeries::new_checked(BarColumns::default(), 60).unwrap();
        assert!(DailyBars::from_bars(&empty).unwrap().is_empty());
    }
}
