//! Historical replay: the scenario's sale placed at every start in a date range.
//!
//! For each start (every Saturday, or every day, at the scenario's time of day) the window keeps
//! the scenario's length. The market state is measured at that start from the replay source
//! (`[replay] venue`, default the price venue), the schedule is laid on the source's bars of the
//! window, and every model predicts the impact; the observed window return
//! `ln(close of the last window bar / open of the first)` is set beside it. The distributions of
//! both over the replayed starts say how ordinary the real event was: its observed return and its
//! predicted impact get a percentile rank among the replayed starts whose windows do not overlap it.
//!
//! Starts whose window or calibration window the bars do not cover are skipped and counted by
//! reason. Calibrated models use the event's calibration (the window before the scenario's start)
//! at every start: the calibration source need not cover the replayed range.
//!
//! ```
//! use blocksale_backtest::replay::{replay, Every, ReplayInput};
//! use blocksale_backtest::Scenario;
//! use blocksale_core::{BarColumns, BarSeries, Timestamp};
//! use std::collections::BTreeMap;
//!
//! let scenario = Scenario::example(); // 2-day sale from Saturday 2026-02-07
//! let t0 = scenario.start.as_millis() - 120 * 86_400_000;
//! let mut cols = BarColumns::default();
//! for i in 0..(125 * 24) {
//!     let p = 70_000.0 * (1.0 + 0.01 * ((i as f64) * 0.3).sin());
//!     cols.push_ohlcv(t0 + i * 3_600_000, p, p * 1.002, p * 0.998, p, 1_000.0);
//! }
//! let sources = BTreeMap::from([("synthetic".to_string(), BarSeries::new_checked(cols, 3_600).unwrap())]);
//! let r = replay(
//!     &ReplayInput {
//!         scenario: &scenario,
//!         sources: &sources,
//!         calibration: None,
//!         from: Timestamp::parse_rfc3339("2025-11-01").unwrap(),
//!         to: Timestamp::parse_rfc3339("2026-02-01").unwrap(),
//!         every: Every::Weekend,
//!     },
//!     None,
//! )
//! .unwrap();
//! assert_eq!(r.starts_requested, 14); // Saturdays 2025-11-01 .. 2026-01-31
//! assert!(r.event.is_some());
//! ```

use crate::csvfmt::push_f64;
use crate::market::source;
use crate::models::{built_models, Progress, SweepModel};
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{BarSeries, Side, Timestamp, MS_PER_DAY};
use blocksale_impact::calibration::Calibration;
use blocksale_impact::models::BuiltModel;
use blocksale_impact::{ExecutionGrid, MarketInputs, SaleWindow};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Layout version of [`ReplayResult`] and `replay.csv`.
pub const REPLAY_SCHEMA_VERSION: u32 = 1;
/// Share of a window's bars that must be present for a start to count.
pub const MIN_WINDOW_COVERAGE: f64 = 0.9;
/// Percentiles of every distribution.
pub const PERCENTILES: [f64; 5] = [5.0, 25.0, 50.0, 75.0, 95.0];

/// Which starts to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// Every Saturday, at the scenario's start time of day (00:00 UTC for a midnight start).
    Weekend,
    /// Every day, at the scenario's start time of day.
    Day,
    /// Every hour, at the scenario's start minute of the hour.
    Hour,
    /// Every week, on the scenario's start weekday and time of day.
    Week,
}

impl Every {
    /// `weekend` or `day`.
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Weekend => "weekend",
            Every::Day => "day",
            Every::Hour => "hour",
            Every::Week => "week",
        }
    }
}

/// What [`replay`] needs.
#[derive(Debug, Clone)]
pub struct ReplayInput<'a> {
    /// The scenario: size, window length, schedule, models, market settings.
    pub scenario: &'a Scenario,
    /// Bars per venue label.
    pub sources: &'a BTreeMap<String, BarSeries>,
    /// The event's calibration, for the calibrated models.
    pub calibration: Option<&'a Calibration>,
    /// First start (inclusive).
    pub from: Timestamp,
    /// Starts are before this instant.
    pub to: Timestamp,
    /// Step between starts.
    pub every: Every,
}

/// One model's prediction at one start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayPrediction {
    /// Model name.
    pub model: String,
    /// Average execution cost against the arrival price, bps.
    pub avg_cost_bps: f64,
    /// Largest impact, bps.
    pub peak_impact_bps: f64,
    /// Impact at the end of the window, bps (for a sale the predicted move is its negative).
    pub impact_at_end_bps: f64,
}

/// One replayed start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayRow {
    /// Window start.
    pub start: Timestamp,
    /// Window end (exclusive).
    pub end: Timestamp,
    /// Open of the first window bar, USD.
    pub arrival_price_usd: f64,
    /// Close of the last window bar, USD.
    pub close_usd: f64,
    /// Daily volatility at the start.
    pub sigma_daily: f64,
    /// V at the start, BTC/day.
    pub model_volume_btc: f64,
    /// Volume of the replay source during the window, BTC.
    pub window_volume_btc: f64,
    /// Size over the window volume.
    pub participation: f64,
    /// `ln(close / open)` over the window, bps.
    pub observed_return_bps: f64,
    /// Per model, in the order of `models`.
    pub predicted: Vec<ReplayPrediction>,
}

/// Summary of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile (linear interpolation between order statistics, R type 7).
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
}

/// One model's distribution over the replayed starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDistribution {
    /// Model name.
    pub model: String,
    /// Impact at the window end, bps.
    pub impact_at_end_bps: Distribution,
    /// Average execution cost, bps.
    pub avg_cost_bps: Distribution,
}

/// The real event among the replayed starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayEvent {
    /// The event measured like every replayed start (on the replay source).
    pub row: ReplayRow,
    /// Replayed starts it is ranked against (those whose window does not overlap it).
    pub reference_starts: usize,
    /// Replayed starts left out because their window overlaps the event's.
    pub overlapping_starts_excluded: usize,
    /// Percentile rank of its observed return (0: lowest of the replayed returns).
    pub observed_return_percentile: f64,
    /// Share of replayed starts whose move against the sale's side was at least as large
    /// (`sign * return >= the event's`, sign -1 for a sale), percent.
    pub adverse_move_exceedance_pct: f64,
    /// Per model: percentile rank of its predicted impact at the window end.
    pub predicted_impact_percentile: Vec<ModelPercentile>,
}

/// Percentile rank of a value among the replayed starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPercentile {
    /// Model name.
    pub model: String,
    /// The event's value, bps.
    pub value_bps: f64,
    /// Its percentile rank (0 to 100; ties count half).
    pub percentile: f64,
}

/// The replay document (`replay.json`); [`ReplayResult::csv`] gives `replay.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayResult {
    /// Layout version ([`REPLAY_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Sell or buy.
    pub side: Side,
    /// Block size, BTC.
    pub size_btc: f64,
    /// Window length, seconds.
    pub window_seconds: i64,
    /// Venue the starts are replayed on.
    pub venue: String,
    /// Its bar size, seconds.
    pub bar_seconds: i64,
    /// Step between starts.
    pub every: Every,
    /// First start asked for.
    pub from: Timestamp,
    /// Starts are before this.
    pub to: Timestamp,
    /// Schedule.
    pub schedule: String,
    /// Decay after the sale.
    pub decay: String,
    /// Models, in scenario order.
    pub models: Vec<SweepModel>,
    /// How the calibrated models are calibrated: `None` without one; otherwise "in-sample: ..."
    /// (the event's calibration at every start, which is look-ahead for earlier starts).
    pub calibration_use: Option<String>,
    /// Starts in the range.
    pub starts_requested: usize,
    /// Starts with coverage (the rows).
    pub starts_used: usize,
    /// Skipped starts per reason.
    pub skipped: BTreeMap<String, usize>,
    /// Every start with coverage, in time order.
    pub rows: Vec<ReplayRow>,
    /// Observed window returns, bps.
    pub observed_return_bps: Option<Distribution>,
    /// Predictions per model.
    pub predicted: Vec<ModelDistribution>,
    /// The real event, when the replay source covers it.
    pub event: Option<ReplayEvent>,
    /// Why the event could not be measured, when it could not.
    pub event_skipped: Option<String>,
    /// What the numbers assume.
    pub notes: Vec<String>,
}

impl ReplayResult {
    /// The rows as CSV (header included): one line per start, three columns per model.
    pub fn csv(&self) -> String {
        let mut s = String::from("start,end,arrival_price_usd,close_usd,sigma_daily,model_volume_btc,window_volume_btc,participation,observed_return_bps");
        for m in &self.models {
            let _ = write!(
                s,
                ",{0}_avg_cost_bps,{0}_peak_impact_bps,{0}_impact_at_end_bps",
                m.name
            );
        }
        s.push('\n');
        // Numbers through csvfmt::push_f64: the bytes `{}` prints, faster (hourly replays have
        // tens of thousands of rows).
        let mut b = s.into_bytes();
        for r in &self.rows {
            let _ = write!(b, "{},{},", r.start, r.end);
            for (i, x) in [
                r.arrival_price_usd,
                r.close_usd,
                r.sigma_daily,
                r.model_volume_btc,
                r.window_volume_btc,
                r.participation,
                r.observed_return_bps,
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    b.push(b',');
                }
                push_f64(&mut b, x);
            }
            for p in &r.predicted {
                for x in [p.avg_cost_bps, p.peak_impact_bps, p.impact_at_end_bps] {
                    b.push(b',');
                    push_f64(&mut b, x);
                }
            }
            b.push(b'\n');
        }
        String::from_utf8(b).expect("ASCII numbers and UTF-8 names")
    }
}

/// Starts in `[from, to)` in step with `anchor_ms` (the scenario's start): every day (or every
/// Saturday) at its time of day after midnight UTC, every hour at its minute of the hour, or every
/// week on its weekday and time of day.
pub fn starts(from_ms: i64, to_ms: i64, every: Every, anchor_ms: i64) -> Vec<i64> {
    let step = match every {
        Every::Hour => Some(3_600_000),
        Every::Week => Some(7 * MS_PER_DAY),
        _ => None,
    };
    if let Some(step) = step {
        let first = from_ms + (anchor_ms - from_ms).rem_euclid(step);
        return (0..)
            .map(|k| first + k * step)
            .take_while(|&t| t < to_ms)
            .collect();
    }
    let time_of_day_ms = anchor_ms.rem_euclid(MS_PER_DAY);
    let mut out = Vec::new();
    let mut day = from_ms.div_euclid(MS_PER_DAY);
    loop {
        let t = day * MS_PER_DAY + time_of_day_ms;
        if t >= to_ms {
            break;
        }
        // Epoch day 0 (1970-01-01) was a Thursday: Monday-based weekday (day + 3) mod 7, Saturday 5.
        let saturday = (day + 3).rem_euclid(7) == 5;
        if t >= from_ms && (every == Every::Day || saturday) {
            out.push(t);
        }
        day += 1;
    }
    out
}

/// R type-7 percentile of sorted `x` at `p` percent.
pub fn percentile_sorted(x: &[f64], p: f64) -> f64 {
    let n = x.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p / 100.0;
    let (i, f) = (h.floor() as usize, h - h.floor());
    if i + 1 < n {
        x[i] + f * (x[i + 1] - x[i])
    } else {
        x[n - 1]
    }
}

/// Percentile rank of `v` among `x`: `100 (below + equal / 2) / n`.
pub fn percentile_rank(x: &[f64], v: f64) -> f64 {
    let below = x.iter().filter(|&&a| a < v).count() as f64;
    let equal = x.iter().filter(|&&a| a == v).count() as f64;
    100.0 * (below + 0.5 * equal) / x.len() as f64
}

/// Mean, sd and percentiles of `x` (`None` when empty).
pub fn distribution(x: &[f64]) -> Option<Distribution> {
    if x.is_empty() {
        return None;
    }
    let n = x.len();
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let mean = s.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let p = |q| percentile_sorted(&s, q);
    Some(Distribution {
        n,
        mean,
        sd,
        min: s[0],
        p5: p(PERCENTILES[0]),
        p25: p(PERCENTILES[1]),
        p50: p(PERCENTILES[2]),
        p75: p(PERCENTILES[3]),
        p95: p(PERCENTILES[4]),
        max: s[n - 1],
    })
}

/// The scenario moved to `start_ms` and priced on `venue` (V from `venue` where it came from the
/// price venue).
fn moved(s: &Scenario, venue: &str, start_ms: i64) -> Scenario {
    let mut x = s.clone();
    let len = s.end.as_millis() - s.start.as_millis();
    x.start = Timestamp::from_millis(start_ms);
    x.end = Timestamp::from_millis(start_ms + len);
    let old = std::mem::replace(&mut x.data.price, venue.to_string());
    let mut vols = s.volume_venues();
    for v in &mut vols {
        if *v == old {
            *v = venue.to_string();
        }
    }
    vols.dedup();
    x.data.volume.venues = vols;
    x
}

/// Why a start was skipped.
type Skip = String;

/// The market state of the starts of one UTC day. Every start of a day has the same calibration
/// window (the `calibration_days` complete days before its day, [`crate::calibration_window`]),
/// so its state is measured once, at the day's first start whose window the bars cover, and
/// reused by the day's other starts (24 for hourly starts): bit for bit the state a measurement at
/// each start gives (only the arrival price differs, and a replay row takes it from the bars).
/// The test `hourly_starts_share_the_state_measured_at_each_start` checks it.
struct DayMarket<'a> {
    sources: &'a BTreeMap<String, BarSeries>,
    /// Midnight UTC of the day the state is for, and the state (or why there is none).
    cached: Option<(i64, Result<MarketState, Skip>)>,
    /// Measure at every start (the reference the cache is tested against).
    fresh: bool,
}

impl<'a> DayMarket<'a> {
    fn new(sources: &'a BTreeMap<String, BarSeries>, fresh: bool) -> Self {
        Self {
            sources,
            cached: None,
            fresh,
        }
    }

    /// The state at `s.start` (a start whose window the bars cover).
    fn at(&mut self, s: &Scenario) -> Result<Result<&MarketState, Skip>, BacktestError> {
        let day = blocksale_core::day_start_ms(s.start.as_millis());
        if self.fresh || self.cached.as_ref().map(|c| c.0) != Some(day) {
            let m = match MarketState::measure(s, self.sources) {
                Ok(m) => Ok(m),
                Err(BacktestError::Coverage(_)) => Err("calibration window not covered".into()),
                Err(e) => return Err(e),
            };
            self.cached = Some((day, m));
        }
        let (_, m) = self.cached.as_ref().expect("just set");
        Ok(m.as_ref().map_err(Clone::clone))
    }
}

fn one_start(
    s: &Scenario,
    bars: &BarSeries,
    day: &mut DayMarket<'_>,
    models: &[(SweepModel, BuiltModel)],
) -> Result<Result<ReplayRow, Skip>, BacktestError> {
    let (start, end) = (s.start.as_millis(), s.end.as_millis());
    let bar_ms = bars.bar_ms();
    let t = bars.open_time_ms();
    let win = bars.index_range(start, end);
    let expected = ((end - start) as f64 / bar_ms as f64).ceil();
    if win.is_empty()
        || (win.len() as f64) < MIN_WINDOW_COVERAGE * expected
        || t[win.start] != start
        || t[win.end - 1] + bar_ms < end
    {
        return Ok(Err("window not covered by the bars".into()));
    }
    let market = match day.at(s)? {
        Ok(m) => m,
        Err(why) => return Ok(Err(why)),
    };
    let after_end = (win.end + win.len()).min(t.len());
    let window =
        SaleWindow::new_checked(&t[win.clone()], bar_ms)?.with_bars_after(&t[win.end..after_end]);
    let placed = s
        .schedule
        .place(s.size_btc, &window, market.volume_profile().as_ref())?;
    let n = placed.qty_btc.len().max(win.len());
    let mut qty = placed.qty_btc;
    qty.resize(n, 0.0);
    let mut t_days: Vec<f64> = t[win.start..win.start + n]
        .iter()
        .map(|&x| (x - start) as f64 / MS_PER_DAY as f64)
        .collect();
    t_days.push((t[win.start + n - 1] + bar_ms - start) as f64 / MS_PER_DAY as f64);
    let grid = ExecutionGrid::new_checked(t_days, qty)?;
    let inputs = MarketInputs::new_checked(market.sigma_daily, market.model_volume_btc)?;
    let k_end = win.len() - 1;
    let predicted = models
        .iter()
        .map(|(m, b)| {
            let p = b.model.path(&grid, &inputs);
            ReplayPrediction {
                model: m.name.clone(),
                avg_cost_bps: p.avg_cost * 1e4,
                peak_impact_bps: p.peak * 1e4,
                impact_at_end_bps: p.impact[k_end] * 1e4,
            }
        })
        .collect();
    let (p0, p1) = (bars.open()[win.start], bars.close()[win.end - 1]);
    let vol: f64 = bars.volume()[win.clone()].iter().sum();
    Ok(Ok(ReplayRow {
        start: s.start,
        end: s.end,
        arrival_price_usd: p0,
        close_usd: p1,
        sigma_daily: market.sigma_daily,
        model_volume_btc: market.model_volume_btc,
        window_volume_btc: vol,
        participation: if vol > 0.0 {
            s.size_btc / vol
        } else {
            f64::INFINITY
        },
        observed_return_bps: (p1 / p0).ln() * 1e4,
        predicted,
    }))
}

/// Run the replay.
///
/// # Errors
/// [`BacktestError`] for an invalid scenario or range, a missing replay source, or a calibrated
/// model without a calibration. Starts the bars do not cover are skipped, not errors.
pub fn replay(
    input: &ReplayInput<'_>,
    progress: Progress<'_>,
) -> Result<ReplayResult, BacktestError> {
    replay_with(input, progress, false)
}

/// [`replay`], the market state measured afresh at every start when `fresh` (else once per day).
fn replay_with(
    input: &ReplayInput<'_>,
    progress: Progress<'_>,
    fresh: bool,
) -> Result<ReplayResult, BacktestError> {
    let s = input.scenario;
    s.validate()?;
    let (from, to) = (input.from.as_millis(), input.to.as_millis());
    if to <= from {
        return Err(BacktestError::Scenario {
            key: "to".into(),
            value: input.to.to_string(),
            expected: format!("a time after from ({})", input.from),
        });
    }
    let venue = s
        .replay
        .venue
        .clone()
        .unwrap_or_else(|| s.data.price.clone());
    let bars = source(input.sources, &venue)?;
    let models = built_models(s, input.calibration, None)?;
    let all = starts(from, to, input.every, s.start.as_millis());
    let total = all.len();
    let done = AtomicUsize::new(0);
    // The starts of one UTC day share a calibration window: one task per day, its market state
    // measured once (DayMarket); days in parallel, rows in time order.
    let days: Vec<&[i64]> = all
        .chunk_by(|a, b| a.div_euclid(MS_PER_DAY) == b.div_euclid(MS_PER_DAY))
        .collect();
    let outcomes: Vec<Result<ReplayRow, Skip>> = days
        .par_iter()
        .map(|day_starts| {
            let mut day = DayMarket::new(input.sources, fresh);
            day_starts
                .iter()
                .map(|&t0| {
                    let r = one_start(&moved(s, &venue, t0), bars, &mut day, &models);
                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(p) = progress {
                        p(k, total);
                    }
                    r
                })
                .collect::<Result<Vec<_>, BacktestError>>()
        })
        .collect::<Result<Vec<_>, BacktestError>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut rows = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        match o {
            Ok(r) => rows.push(r),
            Err(why) => *skipped.entry(why).or_default() += 1,
        }
    }

    let observed: Vec<f64> = rows.iter().map(|r| r.observed_return_bps).collect();
    let predicted = models
        .iter()
        .enumerate()
        .map(|(i, (m, _))| {
            let pick = |f: fn(&ReplayPrediction) -> f64| -> Vec<f64> {
                rows.iter().map(|r| f(&r.predicted[i])).collect()
            };
            Some(ModelDistribution {
                model: m.name.clone(),
                impact_at_end_bps: distribution(&pick(|p| p.impact_at_end_bps))?,
                avg_cost_bps: distribution(&pick(|p| p.avg_cost_bps))?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();

    // The real event, measured the same way.
    let (ev_start, ev_end) = (s.start.as_millis(), s.end.as_millis());
    let (event, event_skipped) = match one_start(
        &moved(s, &venue, ev_start),
        bars,
        &mut DayMarket::new(input.sources, true),
        &models,
    )? {
        Err(why) => (None, Some(why)),
        Ok(row) => {
            let reference: Vec<&ReplayRow> = rows
                .iter()
                .filter(|r| r.end.as_millis() <= ev_start || r.start.as_millis() >= ev_end)
                .collect();
            if reference.is_empty() {
                (
                    None,
                    Some("no replayed start outside the event's window".to_string()),
                )
            } else {
                let obs: Vec<f64> = reference.iter().map(|r| r.observed_return_bps).collect();
                let adverse = |x: f64| s.side.sign() * x;
                let ev_adv = adverse(row.observed_return_bps);
                let exceed = obs.iter().filter(|&&x| adverse(x) >= ev_adv).count();
                let pct = models
                    .iter()
                    .enumerate()
                    .map(|(i, (m, _))| {
                        let xs: Vec<f64> = reference
                            .iter()
                            .map(|r| r.predicted[i].impact_at_end_bps)
                            .collect();
                        let v = row.predicted[i].impact_at_end_bps;
                        ModelPercentile {
                            model: m.name.clone(),
                            value_bps: v,
                            percentile: percentile_rank(&xs, v),
                        }
                    })
                    .collect();
                (
                    Some(ReplayEvent {
                        observed_return_percentile: percentile_rank(&obs, row.observed_return_bps),
                        adverse_move_exceedance_pct: 100.0 * exceed as f64 / obs.len() as f64,
                        predicted_impact_percentile: pct,
                        reference_starts: reference.len(),
                        overlapping_starts_excluded: rows.len() - reference.len(),
                        row,
                    }),
                    None,
                )
            }
        }
    };

    let mut notes = vec![
        format!(
            "every start: a {} BTC {} over {} on the {} s bars of {venue}, market state measured at the start ({} days, V = {} ADV{})",
            s.size_btc,
            s.side,
            blocksale_core::duration_label((ev_end - ev_start) / 1000),
            bars.bar_seconds(),
            s.market.calibration_days,
            match s.market.volume_basis {
                crate::VolumeBasis::All => "all",
                crate::VolumeBasis::Weekend => "weekend",
            },
            if venue == s.data.price { String::new() } else { format!(", the price venue {} replaced by {venue}", s.data.price) },
        ),
        format!(
            "a start counts when at least {:.0} % of its window's bars are present, including the first and the last, and its calibration window has at least 3 UTC days with 90 % of their bars",
            MIN_WINDOW_COVERAGE * 100.0
        ),
        "observed return: ln(close of the last window bar / open of the first), bps; it includes everything else the market did".into(),
        "event percentiles rank the event among the replayed starts whose windows do not overlap it (0 = lowest)".into(),
    ];
    for (i, (m, _)) in models.iter().enumerate() {
        let mut v = rows.iter().map(|r| r.predicted[i].impact_at_end_bps);
        if let Some(first) = v.next() {
            if v.all(|x| x == first) {
                notes.push(format!(
                    "{}: the same prediction at every start (its parameters do not depend on the market state measured at each start); its percentile rank is 50 by the ties rule",
                    m.name
                ));
            }
        }
    }
    let calibration_use = s.models.iter().any(|m| m.needs_calibration()).then(|| {
        format!(
            "in-sample: calibrated models use the event's calibration (the bars before {}) at every start, parameters fixed, market state per start; for a start before {} this is look-ahead",
            s.start.to_short(),
            s.start.to_short()
        )
    });
    if let Some(c) = &calibration_use {
        notes.push(format!("calibration {c}"));
    }

    Ok(ReplayResult {
        calibration_use,
        schema_version: REPLAY_SCHEMA_VERSION,
        scenario: s.name.clone(),
        side: s.side,
        size_btc: s.size_btc,
        window_seconds: (ev_end - ev_start) / 1000,
        venue,
        bar_seconds: bars.bar_seconds(),
        every: input.every,
        from: input.from,
        to: input.to,
        schedule: s.schedule.kind().to_string(),
        decay: s.decay.label(),
        models: models.into_iter().map(|(m, _)| m).collect(),
        starts_requested: total,
        starts_used: rows.len(),
        skipped,
        observed_return_bps: distribution(&observed),
        predicted,
        rows,
        event,
        event_skipped,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{KyleSpec, LinearSpec, ModelSpec};
    use blocksale_core::BarColumns;
    use blocksale_impact::estimators::YangZhang;

    fn ms(s: &str) -> i64 {
        Timestamp::parse_rfc3339(s).unwrap().as_millis()
    }

    #[test]
    fn starts_on_saturdays_and_days() {
        // 2024-01-01 was a Monday.
        let w = starts(ms("2024-01-01"), ms("2024-02-01"), Every::Weekend, 0);
        let want: Vec<i64> = ["2024-01-06", "2024-01-13", "2024-01-20", "2024-01-27"]
            .iter()
            .map(|d| ms(d))
            .collect();
        assert_eq!(w, want);
        // Every weekend of 2024-2025: 104 Saturdays.
        assert_eq!(
            starts(ms("2024-01-01"), ms("2026-01-01"), Every::Weekend, 0).len(),
            104
        );
        let d = starts(
            ms("2024-01-01"),
            ms("2024-01-04"),
            Every::Day,
            9 * 3_600_000,
        );
        assert_eq!(
            d,
            vec![
                ms("2024-01-01T09:00:00Z"),
                ms("2024-01-02T09:00:00Z"),
                ms("2024-01-03T09:00:00Z")
            ]
        );
        // A start before `from` on the first day is not taken; `to` is exclusive.
        assert_eq!(
            starts(
                ms("2024-01-06T01:00:00Z"),
                ms("2024-01-13"),
                Every::Weekend,
                0
            ),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn percentiles_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile_sorted(&x, 50.0), 3.0);
        assert!((percentile_sorted(&x, 5.0) - 1.2).abs() < 1e-12);
        assert!((percentile_sorted(&x, 95.0) - 4.8).abs() < 1e-12);
        assert_eq!(percentile_sorted(&x, 100.0), 5.0);
        assert_eq!(percentile_rank(&x, 3.0), 50.0);
        assert_eq!(percentile_rank(&x, 0.0), 0.0);
        assert_eq!(percentile_rank(&x, 9.0), 100.0);
        let d = distribution(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (d.n, d.mean, d.min, d.max, d.p25, d.p75),
            (5, 3.0, 1.0, 5.0, 2.0, 4.0)
        );
        assert!((d.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert!(distribution(&[]).is_none());
    }

    /// Hourly bars from 2025-08-01 to 2026-02-12 whose log price rises by `a_j` from Saturday
    /// 00:00 to Monday 00:00 of weekend `j` (j = 0: 2025-08-02) and falls back linearly over the
    /// five weekdays: the 2-day window from Saturday `j` returns exactly `a_j`.
    fn planted(a: &dyn Fn(i64) -> f64) -> BarSeries {
        let t0 = ms("2025-08-01");
        let sat0 = ms("2025-08-02");
        let week = 7 * MS_PER_DAY;
        let log_p = |t: i64| -> f64 {
            let j = (t - sat0).div_euclid(week);
            let into = (t - sat0).rem_euclid(week) as f64 / MS_PER_DAY as f64;
            let aj = a(j) / 1e4;
            let base = 70_000f64.ln();
            if into <= 2.0 {
                base + aj * into / 2.0
            } else {
                base + aj * (1.0 - (into - 2.0) / 5.0)
            }
        };
        let mut cols = BarColumns::default();
        let mut t = t0;
        while t < ms("2026-02-12") {
            let (o, c) = (log_p(t).exp(), log_p(t + 3_600_000).exp());
            cols.push_ohlcv(t, o, o.max(c) * 1.001, o.min(c) * 0.999, c, 1_000.0);
            t += 3_600_000;
        }
        BarSeries::new_checked(cols, 3_600).unwrap()
    }

    fn plant(j: i64) -> f64 {
        // Weekends 1..=20: a permutation of -100, -90, ..., 90 bps; the event (j = 27): -75 bps.
        match j {
            1..=20 => (10 * ((7 * j) % 20) - 100) as f64,
            27 => -75.0,
            _ => 0.0,
        }
    }

    #[test]
    fn planted_weekend_returns_are_recovered() {
        let mut s = Scenario::example();
        s.models = vec![ModelSpec::Linear(LinearSpec { k: 1.0 })];
        s.market.volume_basis = crate::VolumeBasis::Weekend;
        // Sigma over every day, so the hand Yang-Zhang below counts all the flat days.
        s.market.sigma_days = crate::SigmaDays::All;
        let bars = planted(&plant);
        let src = BTreeMap::from([("synthetic".to_string(), bars)]);
        let calls = AtomicUsize::new(0);
        let cb = |_: usize, _: usize| {
            calls.fetch_add(1, Ordering::Relaxed);
        };
        let inp = ReplayInput {
            scenario: &s,
            sources: &src,
            calibration: None,
            // 2025-07-26: before the data; 2025-08-02: one complete day of calibration; then
            // weekends 1..=20 (2025-08-09 .. 2025-12-20).
            from: Timestamp::parse_rfc3339("2025-07-26").unwrap(),
            to: Timestamp::parse_rfc3339("2025-12-21").unwrap(),
            every: Every::Weekend,
        };
        let r = replay(&inp, Some(&cb)).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 22);
        assert_eq!((r.starts_requested, r.starts_used), (22, 20));
        assert_eq!(r.skipped.get("window not covered by the bars"), Some(&1));
        assert_eq!(r.skipped.get("calibration window not covered"), Some(&1));
        for (k, row) in r.rows.iter().enumerate() {
            let j = k as i64 + 1;
            assert!(
                (row.observed_return_bps - plant(j)).abs() < 1e-8,
                "{j}: {}",
                row.observed_return_bps
            );
            // Linear model with a permanent decay: impact at the end = sigma Q / V.
            let want = row.sigma_daily * s.size_btc / row.model_volume_btc * 1e4;
            assert!((row.predicted[0].impact_at_end_bps - want).abs() < 1e-9 * want);
            assert_eq!(row.end.as_millis() - row.start.as_millis(), 2 * MS_PER_DAY);
            assert!((row.participation - s.size_btc / 48_000.0).abs() < 1e-12);
        }
        // -100 .. 90 step 10: mean -5, sd 10 sqrt(35), type-7 percentiles by hand.
        let d = r.observed_return_bps.as_ref().unwrap();
        assert_eq!(d.n, 20);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-7;
        assert!(
            close(d.mean, -5.0) && close(d.sd, 10.0 * 35f64.sqrt()),
            "{d:?}"
        );
        assert!(
            close(d.p5, -90.5) && close(d.p25, -52.5) && close(d.p50, -5.0),
            "{d:?}"
        );
        assert!(
            close(d.p75, 42.5) && close(d.p95, 80.5) && close(d.min, -100.0) && close(d.max, 90.0),
            "{d:?}"
        );
        // The event (-75 bps) is above -100, -90, -80: 15th percentile; 17 of 20 fell less.
        let e = r.event.as_ref().unwrap();
        assert!(close(e.row.observed_return_bps, -75.0));
        assert_eq!((e.reference_starts, e.overlapping_starts_excluded), (20, 0));
        assert!(
            close(e.observed_return_percentile, 15.0),
            "{}",
            e.observed_return_percentile
        );
        assert!(close(e.adverse_move_exceedance_pct, 15.0));
        // Predicted impact by hand. The 30 days before the event (8 Jan - 6 Feb 2026) carry no
        // planted move: every daily bar opens and closes at 70,000 with the hourly bars' 0.1 %
        // range, so Yang-Zhang is (1 - k(29)) RS with RS = ln(1.001)^2 + ln(0.999)^2. The first
        // start (9 Aug 2025) sees the same flat days but only 8 of them, k(7); every other start
        // sees planted moves. So the event's impact is the lowest: percentile 0.
        let rs = 1.001f64.ln().powi(2) + 0.999f64.ln().powi(2);
        let impact = |n: usize| ((1.0 - YangZhang::k(n)) * rs).sqrt() * s.size_btc / 24_000.0 * 1e4;
        let ev_impact = e.row.predicted[0].impact_at_end_bps;
        assert!(
            (ev_impact - impact(29)).abs() < 1e-9 * impact(29),
            "{ev_impact}"
        );
        let first = r.rows[0].predicted[0].impact_at_end_bps;
        assert!((first - impact(7)).abs() < 1e-9 * impact(7), "{first}");
        assert!(r
            .rows
            .iter()
            .all(|x| x.predicted[0].impact_at_end_bps >= first));
        assert_eq!(e.predicted_impact_percentile[0].value_bps, ev_impact);
        assert_eq!(e.predicted_impact_percentile[0].percentile, 0.0);
        assert_eq!(r.predicted[0].impact_at_end_bps.n, 20);
        // Same inputs, same bytes.
        let again = replay(&inp, None).unwrap();
        assert_eq!(again.csv(), r.csv());
        assert_eq!(r.csv().lines().count(), 21);
        assert!(r.csv().starts_with("start,end,arrival_price_usd,close_usd,sigma_daily,model_volume_btc,window_volume_btc,participation,observed_return_bps,linear_avg_cost_bps,"));
    }

    #[test]
    fn a_model_blind_to_the_market_state_is_flagged() {
        let mut s = Scenario::example();
        s.models = vec![ModelSpec::Kyle(KyleSpec {
            lambda_per_btc: Some(2e-6),
            params: crate::scenario::ParamSource::Given,
        })];
        let src = BTreeMap::from([("synthetic".to_string(), planted(&plant))]);
        let r = replay(
            &ReplayInput {
                scenario: &s,
                sources: &src,
                calibration: None,
                from: Timestamp::parse_rfc3339("2025-09-01").unwrap(),
                to: Timestamp::parse_rfc3339("2025-12-01").unwrap(),
                every: Every::Weekend,
            },
            None,
        )
        .unwrap();
        // lambda Q = 2e-6 x 4451 = 89.02 bps at every start, the event included.
        assert!((r.predicted[0].impact_at_end_bps.mean - 89.02).abs() < 1e-9);
        assert_eq!(r.predicted[0].impact_at_end_bps.sd, 0.0);
        assert_eq!(
            r.event.unwrap().predicted_impact_percentile[0].percentile,
            50.0
        );
        assert!(r
            .notes
            .iter()
            .any(|n| n.starts_with("kyle: the same prediction at every start")));
    }

    #[test]
    fn hourly_and_weekly_starts() {
        // Hourly starts in step with the scenario's minute of the hour; weekly on its weekday.
        let anchor = ms("2026-02-07T00:30:00Z"); // a Saturday
        let h = starts(ms("2024-01-01"), ms("2024-01-02"), Every::Hour, anchor);
        assert_eq!(h.len(), 24);
        assert_eq!(h[0], ms("2024-01-01T00:30:00Z"));
        assert!(h.windows(2).all(|w| w[1] - w[0] == 3_600_000));
        let w = starts(ms("2024-01-01"), ms("2024-02-01"), Every::Week, anchor);
        let want: Vec<i64> = [
            "2024-01-06T00:30:00Z",
            "2024-01-13T00:30:00Z",
            "2024-01-20T00:30:00Z",
            "2024-01-27T00:30:00Z",
        ]
        .iter()
        .map(|d| ms(d))
        .collect();
        assert_eq!(w, want);
        // 2017-08-17 .. 2025-11-30, every hour: the long history's 72,000-odd starts.
        let all = starts(ms("2017-08-17"), ms("2025-11-30"), Every::Hour, 0);
        assert_eq!(all.len(), 3_027 * 24);
    }

    #[test]
    fn hourly_starts_share_the_state_measured_at_each_start() {
        // The market state measured once per day and reused by the day's 24 hourly starts equals,
        // bit for bit, the state measured afresh at every start: every row, every distribution.
        let s = Scenario::example();
        let src = BTreeMap::from([("synthetic".to_string(), planted(&plant))]);
        let inp = ReplayInput {
            scenario: &s,
            sources: &src,
            calibration: None,
            from: Timestamp::parse_rfc3339("2025-08-20").unwrap(),
            to: Timestamp::parse_rfc3339("2025-10-10").unwrap(),
            every: Every::Hour,
        };
        let cached = replay(&inp, None).unwrap();
        let fresh = replay_with(&inp, None, true).unwrap();
        assert!(cached.starts_used > 1_000, "{}", cached.starts_used);
        assert_eq!(cached, fresh);
        assert_eq!(cached.csv(), fresh.csv());
        // The state differs from day to day (the window rolls), so the check has teeth.
        let sig: std::collections::BTreeSet<u64> = cached
            .rows
            .iter()
            .map(|r| r.sigma_daily.to_bits())
            .collect();
        assert!(sig.len() > 40, "{}", sig.len());
    }

    #[test]
    fn event_inside_the_range_is_not_ranked_against_itself() {
        let s = Scenario::example();
        let bars = planted(&plant);
        let src = BTreeMap::from([("synthetic".to_string(), bars)]);
        let r = replay(
            &ReplayInput {
                scenario: &s,
                sources: &src,
                calibration: None,
                from: Timestamp::parse_rfc3339("2026-01-01").unwrap(),
                to: Timestamp::parse_rfc3339("2026-02-09").unwrap(),
                every: Every::Day,
            },
            None,
        )
        .unwrap();
        // The example's linear model depends on sigma and V at each start: no constant-model note.
        assert!(!r
            .notes
            .iter()
            .any(|n| n.contains("the same prediction at every start")));
        let e = r.event.unwrap();
        // Days 2026-02-06, 07 and 08 overlap the 7-9 Feb window.
        assert_eq!(e.overlapping_starts_excluded, 3);
        assert_eq!(e.reference_starts, r.starts_used - 3);
        let bad = replay(
            &ReplayInput {
                scenario: &s,
                sources: &src,
                calibration: None,
                from: Timestamp::parse_rfc3339("2026-01-01").unwrap(),
                to: Timestamp::parse_rfc3339("2026-01-01").unwrap(),
                every: Every::Day,
            },
            None,
        );
        assert!(bad.unwrap_err().to_string().contains("`to`"));
    }
}
