//! The market state a replay moves from start to start over a long history.
//!
//! A replay's starts share one calibration rule: the `market.calibration_days` complete UTC days
//! before the start's day ([`crate::calibration_window`]). From one replayed day to the next the
//! window drops its first day and takes one more. [`ReplayMarket`] reads every bar of the replay
//! venue once, into the figures of its UTC day ([`DailyBars`] of the whole history) and of its
//! clock hour ([`ClockHour`]), and then keeps the window's state two ways:
//!
//! - **rolling** ([`ReplayMarket::rolling_state`]): compensated (Neumaier) running sums over the
//!   window's days, updated by adding the days that enter and subtracting those that leave: for
//!   each volatility estimator its per-day terms (and their squares where it takes a sample
//!   variance: close-to-close, Yang-Zhang's overnight and open-to-close), on all days and on
//!   weekend days; the volume of the used days of every volume venue (ADV, all and weekend); the
//!   scaled volume and count of each hour of the week (the profile); the numbers of used and
//!   weekend days. Each update costs the days that move, whatever the window's length. The sums
//!   agree with a measurement from scratch to 1e-12 relative (sample variances from the sum and
//!   the sum of squares instead of two passes, and a different order of additions): the test
//!   `rolling_state_matches_the_measurement_at_every_start` (and the CLI's real-history test)
//!   check it at every start.
//! - **exact** ([`ReplayMarket::state`]): the same formulas as [`MarketState::measure`] on the
//!   window's days and hours, taken from the history without reading a bar
//!   ([`DailyBars::window`], a slice of the clock hours): bit for bit the measured state (the
//!   spread aside: see below). It costs the window's days (and hours) per replayed day.
//!
//! Why two: floating-point addition is not associative, so a running sum updated by adding and
//! subtracting does not give the bits of the window's sum taken in time order, which is what
//! `MarketState::measure` (the backtest, the sweep) computes and what `replay.csv` has always
//! printed. The rows are priced with the exact state, so `replay.csv` is the same bytes as a
//! measurement at each start; the rolling state is the O(1)-per-day one, tested against it.
//!
//! Not kept: the EDGE spread (`MarketState::spread_edge`, `None` here). No replay number uses
//! it, and it is a nonlinear function of bar-to-bar terms (moments of a product over consecutive
//! bars, a ratio of them); it stays measured from scratch where it is reported (the backtest).

use crate::market::{
    calibration_window, daily_bars, days_adv, enough_days, source, VenueAdv, WindowStats,
};
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{is_weekend, BarSeries, VolumeUnit, MS_PER_DAY, MS_PER_HOUR};
use blocksale_impact::estimators::{
    sigma_daily, CloseToClose, DailyBars, GarmanKlass, Parkinson, RogersSatchell, VolEstimator,
    YangZhang,
};
use blocksale_impact::schedules::{ClockHour, VolumeProfile};
use std::collections::BTreeMap;

/// A running sum with Neumaier's compensation: the rounding error of every addition is kept in
/// `c`, so adding and later subtracting the same terms leaves the sum of the others to about one
/// rounding, however many terms went through.
#[derive(Debug, Clone, Copy, Default)]
struct Neumaier {
    sum: f64,
    c: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(self) -> f64 {
        self.sum + self.c
    }
}

/// Count, sum and sum of squares of the finite terms in the window.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: usize,
    s1: Neumaier,
    s2: Neumaier,
}

impl Moments {
    /// Add (`sign` 1) or remove (`sign` -1) `x`; a term that is not finite never counts (the
    /// estimators skip it).
    fn put(&mut self, x: f64, sign: f64) {
        if !x.is_finite() {
            return;
        }
        if sign > 0.0 {
            self.n += 1;
        } else {
            self.n -= 1;
        }
        if self.n == 0 {
            // Empty again: exactly zero, no residue of the terms that went through.
            *self = Self::default();
            return;
        }
        self.s1.add(sign * x);
        self.s2.add(sign * x * x);
    }

    fn mean(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.s1.value() / self.n as f64
        }
    }

    /// Sample variance (n - 1) from the sums; never below 0.
    fn sample_var(&self) -> f64 {
        let n = self.n as f64;
        let (s1, s2) = (self.s1.value(), self.s2.value());
        ((s2 - s1 * s1 / n) / (n - 1.0)).max(0.0)
    }
}

/// The per-day terms of the five volatility estimators over a set of days.
#[derive(Debug, Clone, Copy, Default)]
struct EstimatorSums {
    close_to_close: Moments,
    parkinson: Moments,
    garman_klass: Moments,
    rogers_satchell: Moments,
    /// Yang-Zhang's rows: overnight, open-to-close, Rogers-Satchell (all three finite).
    yz_overnight: Moments,
    yz_open_close: Moments,
    yz_rs: Moments,
}

impl EstimatorSums {
    /// The terms of a day that need no previous close.
    fn put_day(&mut self, (o, h, l, c): (f64, f64, f64, f64), sign: f64) {
        let k = 2.0 * std::f64::consts::LN_2 - 1.0;
        self.parkinson.put((h / l).ln().powi(2), sign);
        self.garman_klass
            .put(0.5 * (h / l).ln().powi(2) - k * (c / o).ln().powi(2), sign);
        self.rogers_satchell.put(rs_term(o, h, l, c), sign);
    }

    /// The terms of a day from the previous day's close `c0` (when that day is in the window).
    fn put_return(&mut self, (o, h, l, c): (f64, f64, f64, f64), c0: f64, sign: f64) {
        self.close_to_close.put((c / c0).ln(), sign);
        let row = ((o / c0).ln(), (c / o).ln(), rs_term(o, h, l, c));
        if row.0.is_finite() && row.1.is_finite() && row.2.is_finite() {
            self.yz_overnight.put(row.0, sign);
            self.yz_open_close.put(row.1, sign);
            self.yz_rs.put(row.2, sign);
        }
    }

    /// Daily sigma per estimator, leaving out those with too few days (as the estimators do).
    fn sigmas(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let mut put = |name: &str, var: f64| {
            out.insert(name.to_string(), sigma_daily(var, 86_400.0));
        };
        if self.close_to_close.n >= 2 {
            put(CloseToClose.name(), self.close_to_close.sample_var());
        }
        let p = &self.parkinson;
        if p.n >= 1 {
            put(
                Parkinson.name(),
                p.s1.value() / (4.0 * p.n as f64 * std::f64::consts::LN_2),
            );
        }
        if self.garman_klass.n >= 1 {
            put(GarmanKlass.name(), self.garman_klass.mean());
        }
        if self.rogers_satchell.n >= 1 {
            put(RogersSatchell.name(), self.rogers_satchell.mean());
        }
        let n = self.yz_rs.n;
        if n >= 2 {
            let k = YangZhang::k(n);
            put(
                YangZhang.name(),
                self.yz_overnight.sample_var()
                    + k * self.yz_open_close.sample_var()
                    + (1.0 - k) * self.yz_rs.mean(),
            );
        }
        out
    }
}

/// Rogers-Satchell's term of one daily bar, as the estimator writes it.
fn rs_term(o: f64, h: f64, l: f64, c: f64) -> f64 {
    (h / c).ln() * (h / o).ln() + (l / c).ln() * (l / o).ln()
}

/// One venue's whole history in days.
#[derive(Debug)]
struct VenueDays {
    /// Its daily bars, or why there are none (a bar size that does not divide a day).
    daily: Result<DailyBars, BacktestError>,
    /// Used days' volume, all days and weekend days.
    all: Moments,
    weekend: Moments,
}

impl VenueDays {
    fn new(bars: &BarSeries) -> Self {
        Self {
            daily: daily_bars(bars),
            all: Moments::default(),
            weekend: Moments::default(),
        }
    }

    /// Index of the day starting at `day_ms`, when the history has it.
    fn index(&self, day_ms: i64) -> Option<usize> {
        let d = self.daily.as_ref().ok()?;
        let first = *d.day_start_ms().first()?;
        let k = (day_ms - first).div_euclid(MS_PER_DAY);
        (0..d.len() as i64).contains(&k).then_some(k as usize)
    }

    fn put_volume(&mut self, day_ms: i64, sign: f64) {
        let Some(k) = self.index(day_ms) else { return };
        let d = self.daily.as_ref().expect("indexed");
        if d.is_used(k) {
            let v = d.volume_btc()[k];
            self.all.put(v, sign);
            if is_weekend(day_ms) {
                self.weekend.put(v, sign);
            }
        }
    }

    fn rolling_adv(&self, from: i64, to: i64) -> Result<VenueAdv, BacktestError> {
        if let Err(e) = &self.daily {
            return Err(BacktestError::Coverage(e.to_string()));
        }
        enough_days(self.all.n, from, to)?;
        Ok(VenueAdv {
            all_btc: self.all.mean(),
            weekend_btc: self.weekend.mean(),
        })
    }
}

fn no_venue(v: &str) -> BacktestError {
    BacktestError::Coverage(format!("no bars loaded for venue {v:?}"))
}

/// The market state of a replay's starts, moved from day to day (see the module docs).
#[derive(Debug)]
pub(crate) struct ReplayMarket<'a> {
    bars: &'a BarSeries,
    price: VenueDays,
    /// Volume venues other than the price venue, or why a venue has no bars.
    others: BTreeMap<String, Result<VenueDays, BacktestError>>,
    /// The price venue's clock hours (`None` when its bars count USD).
    hours: Option<Vec<ClockHour>>,
    calibration_days: u32,
    /// The window the rolling sums hold, `[from, to)` in ms.
    window: Option<(i64, i64)>,
    all: EstimatorSums,
    weekend: EstimatorSums,
    profile: Vec<Moments>,
}

impl<'a> ReplayMarket<'a> {
    /// Read the history of the replayed scenario `s`'s price and volume venues (every bar once).
    pub(crate) fn new(
        s: &Scenario,
        sources: &'a BTreeMap<String, BarSeries>,
    ) -> Result<Self, BacktestError> {
        let bars = source(sources, &s.data.price)?;
        let others = s
            .volume_venues()
            .into_iter()
            .filter(|v| *v != s.data.price)
            .map(|v| {
                let d = source(sources, &v).map(VenueDays::new);
                (v, d)
            })
            .collect();
        let hours = (bars.volume_unit() == VolumeUnit::Base && !bars.is_empty())
            .then(|| ClockHour::from_bars(bars))
            .transpose()?;
        Ok(Self {
            bars,
            price: VenueDays::new(bars),
            others,
            hours,
            calibration_days: s.market.calibration_days,
            window: None,
            all: EstimatorSums::default(),
            weekend: EstimatorSums::default(),
            profile: vec![Moments::default(); 168],
        })
    }

    /// The calibration window of a start at `start_ms`.
    fn window_of(&self, start_ms: i64) -> (i64, i64) {
        calibration_window(start_ms, self.calibration_days)
    }

    /// The clock hours of `[from, to)`.
    fn hours_in(&self, from: i64, to: i64) -> Option<&[ClockHour]> {
        let h = self.hours.as_deref()?;
        let a = h.partition_point(|x| x.hour * MS_PER_HOUR < from);
        let b = h.partition_point(|x| x.hour * MS_PER_HOUR < to);
        Some(&h[a..b])
    }

    /// Move the rolling sums to the calibration window of a start at `start_ms`.
    pub(crate) fn advance(&mut self, start_ms: i64) {
        let (from, to) = self.window_of(start_ms);
        self.move_to(from, to);
    }

    /// The state at the start of `s` (the replayed scenario moved to a start whose window the bars
    /// cover), bit for bit [`MarketState::measure`]'s but for `spread_edge` (`None`). It reads the
    /// history only (not the rolling sums), so the days of a chunk are evaluated in parallel.
    pub(crate) fn state(&self, s: &Scenario) -> Result<MarketState, BacktestError> {
        let start = s.start.as_millis();
        let (from, to) = self.window_of(start);
        let arrival = self.arrival(s)?;
        let daily = match &self.price.daily {
            Ok(d) => d.window(from, to),
            Err(e) => return Err(BacktestError::Coverage(e.to_string())),
        };
        let hours = (daily.n_used() > 0)
            .then(|| self.hours_in(from, to))
            .flatten();
        let stats = WindowStats::from_days(&daily, from, to, hours, None)?;
        let others = &self.others;
        MarketState::from_window(
            s,
            arrival,
            (from, to),
            stats,
            &mut |v| match others.get(v) {
                Some(Ok(d)) => match &d.daily {
                    Ok(daily) => days_adv(&daily.window(from, to), from, to),
                    Err(e) => Err(BacktestError::Coverage(e.to_string())),
                },
                Some(Err(e)) => Err(BacktestError::Coverage(e.to_string())),
                None => Err(no_venue(v)),
            },
        )
    }

    /// The state at the start of `s` from the rolling sums (moved to its window): equal to
    /// [`ReplayMarket::state`] to about 1e-15 relative, not bit for bit.
    pub(crate) fn rolling_state(&mut self, s: &Scenario) -> Result<MarketState, BacktestError> {
        let start = s.start.as_millis();
        self.advance(start);
        let (from, to) = self.window_of(start);
        let arrival = self.arrival(s)?;
        if let Err(e) = &self.price.daily {
            return Err(BacktestError::Coverage(e.to_string()));
        }
        let price_adv = self.price.rolling_adv(from, to)?;
        let days_used = self.price.all.n;
        let profile = (days_used > 0 && self.hours.is_some())
            .then(|| {
                let seen: Vec<f64> = self
                    .profile
                    .iter()
                    .filter(|m| m.n > 0)
                    .map(Moments::mean)
                    .collect();
                let fill = seen.iter().sum::<f64>() / seen.len() as f64;
                let prof = self
                    .profile
                    .iter()
                    .map(|m| if m.n > 0 { m.mean() } else { fill })
                    .collect();
                VolumeProfile::from_hourly(prof).ok()
            })
            .flatten()
            .map(|p| p.btc_per_hour().to_vec())
            .unwrap_or_default();
        let stats = WindowStats {
            price_adv,
            days_used,
            weekend_days_used: self.price.weekend.n,
            gap_days: self.gap_days(from, to),
            sigma_all: self.all.sigmas(),
            sigma_weekend: self.weekend.sigmas(),
            volume_by_hour_of_week_btc: profile,
            spread_edge: None,
        };
        let others = &self.others;
        MarketState::from_window(
            s,
            arrival,
            (from, to),
            stats,
            &mut |v| match others.get(v) {
                Some(Ok(d)) => d.rolling_adv(from, to),
                Some(Err(e)) => Err(BacktestError::Coverage(e.to_string())),
                None => Err(no_venue(v)),
            },
        )
    }

    /// First open of the window, as [`MarketState::measure`] takes it.
    fn arrival(&self, s: &Scenario) -> Result<f64, BacktestError> {
        let w = self
            .bars
            .index_range(s.start.as_millis(), s.end.as_millis());
        if w.is_empty() {
            return Err(BacktestError::Coverage(format!(
                "no bars cover the sale window {} .. {}",
                s.start, s.end
            )));
        }
        Ok(self.bars.open()[w.start])
    }

    /// Days between the window's first and last day with a bar that are not used.
    fn gap_days(&self, from: i64, to: i64) -> usize {
        match &self.price.daily {
            Ok(d) => d.window(from, to).n_gaps(),
            Err(_) => 0,
        }
    }

    /// Move the rolling sums to the window `[from, to)`: subtract the days that left, add those
    /// that entered (from scratch when the windows do not overlap or the start moved back).
    fn move_to(&mut self, from: i64, to: i64) {
        match self.window {
            Some((f0, t0)) if (f0, t0) == (from, to) => return,
            Some((f0, t0)) if from >= f0 && from < t0 && to >= t0 => {
                for day in (f0..from).step_by(MS_PER_DAY as usize) {
                    self.put_day(day, day > f0, -1.0);
                }
                if from > f0 {
                    // The new first day has no previous day in the window any more.
                    self.put_return(from, -1.0);
                }
                for day in (t0..to).step_by(MS_PER_DAY as usize) {
                    self.put_day(day, true, 1.0);
                }
            }
            _ => {
                self.all = EstimatorSums::default();
                self.weekend = EstimatorSums::default();
                self.profile = vec![Moments::default(); 168];
                self.price.all = Moments::default();
                self.price.weekend = Moments::default();
                for d in self.others.values_mut().flatten() {
                    d.all = Moments::default();
                    d.weekend = Moments::default();
                }
                for day in (from..to).step_by(MS_PER_DAY as usize) {
                    self.put_day(day, day > from, 1.0);
                }
            }
        }
        self.window = Some((from, to));
    }

    /// Add (`sign` 1) or subtract (-1) the day starting at `day_ms`: its estimator terms (those
    /// from the previous close when `with_return`), its volume on every volume venue, its hours.
    fn put_day(&mut self, day_ms: i64, with_return: bool, sign: f64) {
        if let Some(k) = self.price.index(day_ms) {
            let d = self.price.daily.as_ref().expect("indexed");
            let (o, h, l, c, _) = d.day(k);
            self.all.put_day((o, h, l, c), sign);
            if is_weekend(day_ms) {
                self.weekend.put_day((o, h, l, c), sign);
            }
        }
        if with_return {
            self.put_return(day_ms, sign);
        }
        self.price.put_volume(day_ms, sign);
        for d in self.others.values_mut().flatten() {
            d.put_volume(day_ms, sign);
        }
        if let Some(hours) = self.hours_in(day_ms, day_ms + MS_PER_DAY) {
            let how: Vec<(usize, f64)> = hours
                .iter()
                .filter_map(|h| h.scaled_btc().map(|v| (h.hour_of_week(), v)))
                .collect();
            for (i, v) in how {
                self.profile[i].put(v, sign);
            }
        }
    }

    /// Add or subtract the day's terms from the previous day's close.
    fn put_return(&mut self, day_ms: i64, sign: f64) {
        let Some(k) = self.price.index(day_ms).filter(|&k| k > 0) else {
            return;
        };
        let d = self.price.daily.as_ref().expect("indexed");
        let (o, h, l, c, _) = d.day(k);
        let c0 = d.close()[k - 1];
        self.all.put_return((o, h, l, c), c0, sign);
        if is_weekend(day_ms) {
            self.weekend.put_return((o, h, l, c), c0, sign);
        }
    }
}
