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
//! # The market state from start to start
//!
//! The starts of one UTC day share a calibration window, so the state is taken once per day, at
//! the day's first start whose window the bars cover. From one replayed day to the next it is
//! moved, not remeasured (`rolling.rs` has the details):
//!
//! - every bar of the replay venue (and of the other volume venues) is read once, into its UTC day
//!   and its clock hour;
//! - **rolling**: compensated running sums over the window's days of each volatility estimator's
//!   terms (and squares, for the sample variances), the used days' volume of every volume venue
//!   (ADV, all and weekend days), each hour of the week's volume and count (the profile) and the
//!   day counts, updated by adding the days that enter and subtracting those that leave;
//! - **exact**: the window's days and hours taken from the history and evaluated with
//!   [`MarketState::measure`]'s own code: bit for bit a measurement at the start.
//!
//! The rows are priced with the exact state: a running sum updated by additions and subtractions
//! cannot give the bits of the window's sum in time order, and those bits are what `replay.csv`
//! prints (a measurement at each start, as before). The rolling state agrees with it to 1e-12
//! relative; [`check_market_states`] compares both with a measurement at every start. The EDGE
//! spread is not kept (no replay number uses it).
//!
//! # Streaming
//!
//! [`replay_to`] hands the rows over in chunks of whole days, in time order whatever the number of
//! threads, with their `replay.csv` lines, and keeps per start only the observed return and each
//! model's cost and impact at the end (the distributions, the event's ranks); [`replay`] collects
//! the rows into the document.
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
use crate::rolling::ReplayMarket;
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
    /// The step's name as `--every` takes it: `weekend`, `day`, `hour` or `week`.
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
        let mut b = csv_header(&self.models).into_bytes();
        for r in &self.rows {
            csv_row(&mut b, r);
        }
        String::from_utf8(b).expect("ASCII numbers and UTF-8 names")
    }
}

/// The header line of `replay.csv` (newline included).
pub fn csv_header(models: &[SweepModel]) -> String {
    let mut s = String::from("start,end,arrival_price_usd,close_usd,sigma_daily,model_volume_btc,window_volume_btc,participation,observed_return_bps");
    for m in models {
        let _ = write!(
            s,
            ",{0}_avg_cost_bps,{0}_peak_impact_bps,{0}_impact_at_end_bps",
            m.name
        );
    }
    s.push('\n');
    s
}

/// One line of `replay.csv` (newline included). Numbers through csvfmt::push_f64: the bytes `{}`
/// prints, faster (hourly replays have tens of thousands of rows).
pub fn csv_row(b: &mut Vec<u8>, r: &ReplayRow) {
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
        push_f64(b, x);
    }
    for p in &r.predicted {
        for x in [p.avg_cost_bps, p.peak_impact_bps, p.impact_at_end_bps] {
            b.push(b',');
            push_f64(b, x);
        }
    }
    b.push(b'\n');
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

/// The bars of the window of a start (the scenario moved there), or why they do not cover it.
fn covered(s: &Scenario, bars: &BarSeries) -> Result<std::ops::Range<usize>, Skip> {
    covered_ms(s.start.as_millis(), s.end.as_millis(), bars)
}

/// [`covered`] for the window `[start, end)`.
fn covered_ms(start: i64, end: i64, bars: &BarSeries) -> Result<std::ops::Range<usize>, Skip> {
    let bar_ms = bars.bar_ms();
    let t = bars.open_time_ms();
    let win = bars.index_range(start, end);
    let expected = ((end - start) as f64 / bar_ms as f64).ceil();
    if win.is_empty()
        || (win.len() as f64) < MIN_WINDOW_COVERAGE * expected
        || t[win.start] != start
        || t[win.end - 1] + bar_ms < end
    {
        return Err("window not covered by the bars".into());
    }
    Ok(win)
}

/// A market state (or why there is none) from a measurement: a coverage error is a skip.
fn state_or_skip(
    m: Result<MarketState, BacktestError>,
) -> Result<Result<MarketState, Skip>, BacktestError> {
    match m {
        Ok(m) => Ok(Ok(m)),
        Err(BacktestError::Coverage(_)) => Ok(Err("calibration window not covered".into())),
        Err(e) => Err(e),
    }
}

/// The row of a start whose window `win` the bars cover, priced with `market`.
fn one_start(
    s: &Scenario,
    bars: &BarSeries,
    win: std::ops::Range<usize>,
    market: &MarketState,
    models: &[(SweepModel, BuiltModel)],
) -> Result<ReplayRow, BacktestError> {
    let start = s.start.as_millis();
    let bar_ms = bars.bar_ms();
    let t = bars.open_time_ms();
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
    Ok(ReplayRow {
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
    })
}

/// The row of a start measured on its own (the real event): its window, then its market state
/// measured from scratch.
fn measured_start(
    s: &Scenario,
    bars: &BarSeries,
    sources: &BTreeMap<String, BarSeries>,
    models: &[(SweepModel, BuiltModel)],
) -> Result<Result<ReplayRow, Skip>, BacktestError> {
    let win = match covered(s, bars) {
        Ok(w) => w,
        Err(why) => return Ok(Err(why)),
    };
    match state_or_skip(MarketState::measure(s, sources))? {
        Ok(m) => one_start(s, bars, win, &m, models).map(Ok),
        Err(why) => Ok(Err(why)),
    }
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

/// [`replay`], the market state measured afresh at every start when `fresh` (else moved from day
/// to day, [`ReplayMarket`]).
fn replay_with(
    input: &ReplayInput<'_>,
    progress: Progress<'_>,
    fresh: bool,
) -> Result<ReplayResult, BacktestError> {
    let mut rows = Vec::new();
    let mut r = drive(input, progress, fresh, false, &mut |chunk, _| {
        rows.extend_from_slice(chunk);
        Ok::<(), BacktestError>(())
    })?;
    r.rows = rows;
    Ok(r)
}

/// Run the replay and stream `replay.csv` (header included) to `emit` with the rows behind
/// each piece, in time order whatever the number of threads: the days of a chunk of at least
/// [`CHUNK_STARTS`] starts are computed and formatted in parallel while the previous chunk is
/// handed over. Memory stays flat in the number of starts: the document keeps per start only the
/// numbers its distributions and the event's ranks need (the observed return, each model's cost
/// and impact at the end), and `rows` is empty (`starts_used` counts the rows streamed).
///
/// `emit` first receives no rows and the CSV header, then each chunk's rows and their CSV lines.
///
/// # Errors
/// As [`replay`]; whatever `emit` returns.
pub fn replay_to<E: From<BacktestError>>(
    input: &ReplayInput<'_>,
    progress: Progress<'_>,
    emit: &mut EmitRows<'_, E>,
) -> Result<ReplayResult, E> {
    drive(input, progress, false, true, emit)
}

/// What a streamed replay hands each chunk to: its rows and their CSV lines.
pub type EmitRows<'e, E> = dyn FnMut(&[ReplayRow], &[u8]) -> Result<(), E> + 'e;

/// Starts computed and formatted together in one chunk of a streamed replay (whole days, at least
/// one, at most [`CHUNK_DAYS`]).
pub const CHUNK_STARTS: usize = 1_024;
/// Days in one chunk at most (each holds its market state until the chunk is done).
pub const CHUNK_DAYS: usize = 64;

/// What the rows leave behind for the document.
#[derive(Default)]
struct Tally {
    observed: Vec<f64>,
    /// Per model: impact at the end, average cost.
    impact: Vec<Vec<f64>>,
    cost: Vec<Vec<f64>>,
    /// Row `k`'s window lies outside the event's.
    outside_event: Vec<bool>,
    skipped: BTreeMap<String, usize>,
}

/// The computation behind [`replay`] and [`replay_to`].
fn drive<E: From<BacktestError>>(
    input: &ReplayInput<'_>,
    progress: Progress<'_>,
    fresh: bool,
    csv: bool,
    emit: &mut EmitRows<'_, E>,
) -> Result<ReplayResult, E> {
    let s = input.scenario;
    s.validate()?;
    let (from, to) = (input.from.as_millis(), input.to.as_millis());
    if to <= from {
        return Err(BacktestError::Scenario {
            key: "to".into(),
            value: input.to.to_string(),
            expected: format!("a time after from ({})", input.from),
        }
        .into());
    }
    let venue = s.replay_venue().to_string();
    let bars = source(input.sources, &venue)?;
    let models = built_models(s, input.calibration, None)?;
    let all = starts(from, to, input.every, s.start.as_millis());
    let total = all.len();
    let done = AtomicUsize::new(0);
    let (ev_start, ev_end) = (s.start.as_millis(), s.end.as_millis());
    let len_ms = ev_end - ev_start;
    if csv {
        emit(
            &[],
            csv_header(&models.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()).as_bytes(),
        )?;
    }
    // The starts of one UTC day share a calibration window: its market state is taken once, at
    // the day's first start whose window the bars cover, from the ReplayMarket moved to that day
    // (on this thread, in time order); then the day's rows are computed on the rayon pool.
    let days: Vec<&[i64]> = all
        .chunk_by(|a, b| a.div_euclid(MS_PER_DAY) == b.div_euclid(MS_PER_DAY))
        .collect();
    let mut chunks: Vec<&[&[i64]]> = Vec::new();
    let mut rest = &days[..];
    while !rest.is_empty() {
        let mut n = 0;
        let k = rest
            .iter()
            .position(|d| {
                n += d.len();
                n >= CHUNK_STARTS
            })
            .map(|k| k.min(CHUNK_DAYS - 1))
            .map_or(rest.len().min(CHUNK_DAYS), |k| k + 1);
        chunks.push(&rest[..k]);
        rest = &rest[k..];
    }
    let market = ReplayMarket::new(&moved(s, &venue, ev_start), input.sources)?;
    // At most one row per start: the exact capacity, never doubled past it.
    let mut tally = Tally {
        observed: Vec::with_capacity(total),
        impact: models.iter().map(|_| Vec::with_capacity(total)).collect(),
        cost: models.iter().map(|_| Vec::with_capacity(total)).collect(),
        outside_event: Vec::with_capacity(total),
        skipped: BTreeMap::new(),
    };
    type Day = (Vec<Result<ReplayRow, Skip>>, Vec<u8>);
    let models = &models;
    std::thread::scope(|sc| -> Result<(), E> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Day>, BacktestError>>(1);
        let done = &done;
        let venue = &venue;
        sc.spawn(move || {
            for chunk in chunks {
                let made: Result<Vec<Day>, BacktestError> = {
                    // Each day's first start whose window the bars cover: the day's exact state
                    // is evaluated there, with its rows, in parallel (the running sums are not
                    // moved: they price nothing; check_market_states compares them).
                    let work: Vec<(&[i64], Option<i64>)> = chunk
                        .iter()
                        .map(|&day_starts| {
                            let first = day_starts
                                .iter()
                                .copied()
                                .find(|&t0| covered_ms(t0, t0 + len_ms, bars).is_ok());
                            (day_starts, first)
                        })
                        .collect();
                    let market = &market;
                    work.into_par_iter()
                        .map(|(day_starts, first)| {
                            let state = match first {
                                Some(t0) if !fresh => {
                                    Some(state_or_skip(market.state(&moved(s, venue, t0)))?)
                                }
                                _ => None,
                            };
                            let mut text = Vec::new();
                            let outcomes = day_starts
                                .iter()
                                .map(|&t0| {
                                    let m = &moved(s, venue, t0);
                                    let r = match covered(m, bars) {
                                        Err(why) => Ok(Err(why)),
                                        Ok(win) => {
                                            let measured;
                                            let st = match &state {
                                                Some(st) => st,
                                                None => {
                                                    measured = state_or_skip(
                                                        MarketState::measure(m, input.sources),
                                                    )?;
                                                    &measured
                                                }
                                            };
                                            match st {
                                                Ok(st) => {
                                                    one_start(m, bars, win, st, models).map(Ok)
                                                }
                                                Err(why) => Ok(Err(why.clone())),
                                            }
                                        }
                                    };
                                    if let (true, Ok(Ok(row))) = (csv, &r) {
                                        csv_row(&mut text, row);
                                    }
                                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                                    if let Some(p) = progress {
                                        p(k, total);
                                    }
                                    r
                                })
                                .collect::<Result<Vec<_>, BacktestError>>()?;
                            Ok((outcomes, text))
                        })
                        .collect()
                };
                let failed = made.is_err();
                // The receiver gone (an error while writing) ends the producer too.
                if tx.send(made).is_err() || failed {
                    return;
                }
            }
        });
        for made in rx {
            let mut rows = Vec::new();
            let mut text = Vec::new();
            for (outcomes, t) in made? {
                text.extend_from_slice(&t);
                for o in outcomes {
                    match o {
                        Ok(r) => rows.push(r),
                        Err(why) => *tally.skipped.entry(why).or_default() += 1,
                    }
                }
            }
            for r in &rows {
                tally.observed.push(r.observed_return_bps);
                for (i, p) in r.predicted.iter().enumerate() {
                    tally.impact[i].push(p.impact_at_end_bps);
                    tally.cost[i].push(p.avg_cost_bps);
                }
                tally
                    .outside_event
                    .push(r.end.as_millis() <= ev_start || r.start.as_millis() >= ev_end);
            }
            emit(&rows, &text)?;
        }
        Ok(())
    })?;
    Ok(document(input, &venue, bars, models, total, tally)?)
}

/// The document of a replay from what its rows left behind (no rows).
fn document(
    input: &ReplayInput<'_>,
    venue: &str,
    bars: &BarSeries,
    models: &[(SweepModel, BuiltModel)],
    total: usize,
    tally: Tally,
) -> Result<ReplayResult, BacktestError> {
    let s = input.scenario;
    let venue = venue.to_string();
    let Tally {
        observed,
        impact,
        cost,
        outside_event,
        skipped,
    } = tally;
    let n_rows = observed.len();
    let predicted = models
        .iter()
        .enumerate()
        .map(|(i, (m, _))| {
            Some(ModelDistribution {
                model: m.name.clone(),
                impact_at_end_bps: distribution(&impact[i])?,
                avg_cost_bps: distribution(&cost[i])?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();

    // The real event, measured the same way.
    let (ev_start, ev_end) = (s.start.as_millis(), s.end.as_millis());
    let (event, event_skipped) =
        match measured_start(&moved(s, &venue, ev_start), bars, input.sources, models)? {
            Err(why) => (None, Some(why)),
            Ok(row) => {
                let reference: Vec<usize> = (0..n_rows).filter(|&k| outside_event[k]).collect();
                if reference.is_empty() {
                    (
                        None,
                        Some("no replayed start outside the event's window".to_string()),
                    )
                } else {
                    let obs: Vec<f64> = reference.iter().map(|&k| observed[k]).collect();
                    let adverse = |x: f64| s.side.sign() * x;
                    let ev_adv = adverse(row.observed_return_bps);
                    let exceed = obs.iter().filter(|&&x| adverse(x) >= ev_adv).count();
                    let pct = models
                        .iter()
                        .enumerate()
                        .map(|(i, (m, _))| {
                            let xs: Vec<f64> = reference.iter().map(|&k| impact[i][k]).collect();
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
                            observed_return_percentile: percentile_rank(
                                &obs,
                                row.observed_return_bps,
                            ),
                            adverse_move_exceedance_pct: 100.0 * exceed as f64 / obs.len() as f64,
                            predicted_impact_percentile: pct,
                            reference_starts: reference.len(),
                            overlapping_starts_excluded: n_rows - reference.len(),
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
        let mut v = impact[i].iter().copied();
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
        models: models.iter().map(|(m, _)| m.clone()).collect(),
        starts_requested: total,
        starts_used: n_rows,
        skipped,
        observed_return_bps: distribution(&observed),
        predicted,
        rows: Vec::new(),
        event,
        event_skipped,
        notes,
    })
}

/// The replay's market state against a measurement from scratch ([`MarketState::measure`]) at
/// every start whose window the bars cover: what [`check_market_states`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateCheck {
    /// Starts compared (those whose window the bars cover).
    pub starts: usize,
    /// Of those, the starts with a market state (the others are skipped).
    pub with_state: usize,
    /// Starts where the state the rows are priced with differs from the measured one in any bit
    /// (the spread aside, which the replay does not keep), or has a state where the measurement
    /// has none or the reverse.
    pub exact_mismatches: usize,
    /// Starts where the rolling state differs in a count, a label or whether there is a state.
    pub rolling_mismatches: usize,
    /// Largest relative difference `|a - b| / max(|a|, |b|)` between a number of the rolling
    /// state and the measured one.
    pub rolling_max_rel_diff: f64,
    /// Where it is: the field and the start.
    pub rolling_worst: String,
}

/// Every number of a market state by name (the spread aside).
fn state_numbers(m: &MarketState) -> Vec<(String, f64)> {
    let mut v = vec![
        ("arrival_price_usd".to_string(), m.arrival_price_usd),
        ("sigma_daily".into(), m.sigma_daily),
        ("sigma_daily_all_days".into(), m.sigma_daily_all_days),
        (
            "sigma_daily_weekend".into(),
            m.sigma_daily_weekend.unwrap_or(f64::NAN),
        ),
        ("adv_btc".into(), m.adv_btc),
        ("adv_weekend_btc".into(), m.adv_weekend_btc),
        ("model_volume_btc".into(), m.model_volume_btc),
    ];
    for (k, x) in &m.sigma_daily_by_estimator {
        v.push((format!("sigma_daily_by_estimator.{k}"), *x));
    }
    for (k, a) in &m.adv_by_venue_btc {
        v.push((format!("adv_by_venue_btc.{k}.all_btc"), a.all_btc));
        v.push((format!("adv_by_venue_btc.{k}.weekend_btc"), a.weekend_btc));
    }
    for (i, x) in m.volume_by_hour_of_week_btc.iter().enumerate() {
        v.push((format!("volume_by_hour_of_week_btc[{i}]"), *x));
    }
    v
}

/// Everything else of a market state: labels, counts, which numbers it has.
fn state_labels(m: &MarketState) -> Vec<String> {
    let mut v = vec![
        m.sigma_days.clone(),
        m.sigma_estimator.clone(),
        m.volume_basis.clone(),
        m.volume_venues.clone(),
        m.calibration_start.to_string(),
        m.calibration_end.to_string(),
        m.calibration_days_used.to_string(),
        m.weekend_days_used.to_string(),
        m.incomplete_days_dropped.to_string(),
        m.sigma_daily_weekend.is_some().to_string(),
    ];
    v.extend(state_numbers(m).into_iter().map(|(k, _)| k));
    v
}

/// Compare the replay's market state with a measurement from scratch at every start of `input`
/// whose window the bars cover, in time order: the exact state (what the rows are priced with)
/// bit for bit, the rolling state (running sums moved from day to day, `rolling.rs`) to the
/// largest relative difference. Each start is measured from scratch, so this is as slow as the
/// replay was before its state rolled; for tests and checks.
///
/// # Errors
/// As [`replay`].
pub fn check_market_states(input: &ReplayInput<'_>) -> Result<StateCheck, BacktestError> {
    let s = input.scenario;
    s.validate()?;
    let venue = s.replay_venue().to_string();
    let bars = source(input.sources, &venue)?;
    let mut market = ReplayMarket::new(&moved(s, &venue, s.start.as_millis()), input.sources)?;
    let mut c = StateCheck {
        starts: 0,
        with_state: 0,
        exact_mismatches: 0,
        rolling_mismatches: 0,
        rolling_max_rel_diff: 0.0,
        rolling_worst: String::new(),
    };
    let all = starts(
        input.from.as_millis(),
        input.to.as_millis(),
        input.every,
        s.start.as_millis(),
    );
    for t0 in all {
        let m = moved(s, &venue, t0);
        if covered(&m, bars).is_err() {
            continue;
        }
        c.starts += 1;
        let fresh = state_or_skip(MarketState::measure(&m, input.sources))?;
        let exact = state_or_skip(market.state(&m))?;
        let rolling = state_or_skip(market.rolling_state(&m))?;
        let (fresh, exact, rolling) = match (fresh, exact, rolling) {
            (Err(_), Err(_), Err(_)) => continue,
            (Ok(f), Ok(e), Ok(r)) => (f, e, r),
            (f, e, r) => {
                c.exact_mismatches += usize::from(f.is_ok() != e.is_ok());
                c.rolling_mismatches += usize::from(f.is_ok() != r.is_ok());
                continue;
            }
        };
        c.with_state += 1;
        let bits = |m: &MarketState| -> Vec<u64> {
            state_numbers(m).iter().map(|(_, x)| x.to_bits()).collect()
        };
        if state_labels(&exact) != state_labels(&fresh) || bits(&exact) != bits(&fresh) {
            c.exact_mismatches += 1;
        }
        if state_labels(&rolling) != state_labels(&fresh) {
            c.rolling_mismatches += 1;
            continue;
        }
        for ((k, a), (_, b)) in state_numbers(&rolling).iter().zip(state_numbers(&fresh)) {
            let d = if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
                0.0
            } else {
                (a - b).abs() / a.abs().max(b.abs())
            };
            // A NaN difference (one NaN, the other not) is the worst.
            if d.is_nan() || d > c.rolling_max_rel_diff {
                c.rolling_max_rel_diff = d;
                c.rolling_worst = format!("{k} at {}", Timestamp::from_millis(t0));
            }
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{KyleSpec, LinearSpec, ModelSpec};
    use blocksale_core::BarColumns;
    use blocksale_impact::estimators::YangZhang;

    /// A replay of `s` on `src` from `from` to `to` (RFC 3339 dates), every `every`, uncalibrated.
    fn dated<'a>(
        s: &'a Scenario,
        src: &'a BTreeMap<String, BarSeries>,
        from: &str,
        to: &str,
        every: Every,
    ) -> ReplayInput<'a> {
        ReplayInput {
            scenario: s,
            sources: src,
            calibration: None,
            from: Timestamp::parse_rfc3339(from).unwrap(),
            to: Timestamp::parse_rfc3339(to).unwrap(),
            every,
        }
    }

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
            &dated(&s, &src, "2025-09-01", "2025-12-01", Every::Weekend),
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
        // The market state moved from day to day and reused by the day's 24 hourly starts equals,
        // bit for bit, the state measured afresh at every start: every row, every distribution.
        let s = Scenario::example();
        let src = BTreeMap::from([("synthetic".to_string(), planted(&plant))]);
        let inp = dated(&s, &src, "2025-08-20", "2025-10-10", Every::Hour);
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

    /// Hourly bars from 2023-01-01 to 2026-02-12: a seeded random walk with weekend volume about
    /// half of weekday volume, some zero-volume hours, about 1 % of hours missing, two days of 11
    /// hours (gaps), 1 day without bars and 45 days without bars in 2024 (starts whose calibration
    /// window is not covered, and windows that jump).
    fn long_history(seed: u64, volume_scale: f64) -> BarSeries {
        let mut x = seed;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let t0 = ms("2023-01-01");
        let hole = (ms("2024-03-10"), ms("2024-04-24"));
        let short_days = [ms("2023-05-03"), ms("2025-07-19")];
        let empty_day = ms("2025-01-15");
        let mut cols = BarColumns::default();
        let mut p = 20_000f64;
        let mut t = t0;
        while t < ms("2026-02-12") {
            let day = blocksale_core::day_start_ms(t);
            let hour = (t - day) / 3_600_000;
            let r = (rnd() - 0.5) * 0.02;
            let (o, c) = (p, p * r.exp());
            p = c;
            let skip = (t >= hole.0 && t < hole.1)
                || (short_days.contains(&day) && hour >= 11)
                || day == empty_day
                || rnd() < 0.01;
            if !skip {
                let h = o.max(c) * (1.0 + 0.004 * rnd());
                let l = o.min(c) * (1.0 - 0.004 * rnd());
                let wk = if blocksale_core::is_weekend(t) {
                    0.5
                } else {
                    1.0
                };
                let v = if rnd() < 0.02 {
                    0.0
                } else {
                    volume_scale * wk * (500.0 + 1_500.0 * rnd())
                };
                cols.push_ohlcv(t, o, h, l, c, v);
            }
            t += 3_600_000;
        }
        BarSeries::new_checked(cols, 3_600).unwrap()
    }

    #[test]
    fn rolling_state_matches_the_measurement_at_every_start() {
        // The example (weekend V, paired sigma: Yang-Zhang on weekend days), and V summed over two
        // venues on all days with sigma on all days.
        let src = BTreeMap::from([
            ("synthetic".to_string(), long_history(7, 1.0)),
            ("other".to_string(), long_history(11, 3.0)),
        ]);
        let weekend = Scenario::example();
        let mut summed = Scenario::example();
        summed.market.volume_basis = crate::VolumeBasis::All;
        summed.market.sigma_days = crate::SigmaDays::All;
        summed.market.calibration_days = 45;
        summed.data.volume.mode = "sum".into();
        summed.data.volume.venues = vec!["synthetic".into(), "other".into()];
        summed.data.sources.push(crate::scenario::SourceSpec {
            venue: "other".into(),
            ..summed.data.sources[0].clone()
        });
        let range = |from, to, every| dated(&weekend, &src, from, to, every);
        let mut skipped_some = false;
        for s in [&weekend, &summed] {
            for inp in [
                range("2023-01-01", "2026-02-10", Every::Day),
                range("2023-01-01", "2026-02-10", Every::Week),
                range("2024-04-01", "2024-06-15", Every::Hour),
            ] {
                let inp = ReplayInput { scenario: s, ..inp };
                let c = check_market_states(&inp).unwrap();
                assert!(c.with_state > 60, "{c:?}");
                skipped_some |= c.with_state < c.starts;
                assert_eq!((c.exact_mismatches, c.rolling_mismatches), (0, 0), "{c:?}");
                assert!(c.rolling_max_rel_diff <= 1e-12, "{c:?}");
                // Not bit for bit: the check compares different sums.
                assert!(c.rolling_max_rel_diff > 0.0, "{c:?}");
            }
        }
        // Some starts after the 45 days without bars have too few days: skipped by every state.
        assert!(skipped_some);
    }

    #[test]
    fn streamed_rows_are_the_rows() {
        // Hourly starts over 200 days: several chunks, the rows and CSV bytes of an unstreamed
        // replay, and the same document without its rows.
        let s = Scenario::example();
        let src = BTreeMap::from([("synthetic".to_string(), long_history(7, 1.0))]);
        let inp = dated(&s, &src, "2024-02-01", "2024-10-01", Every::Hour);
        let whole = replay(&inp, None).unwrap();
        let (mut bytes, mut rows, mut calls) = (Vec::new(), Vec::new(), 0);
        let streamed = replay_to(&inp, None, &mut |r, b| {
            calls += 1;
            rows.extend_from_slice(r);
            bytes.extend_from_slice(b);
            Ok::<(), BacktestError>(())
        })
        .unwrap();
        assert!(calls > 3, "{calls}");
        assert!(
            whole.starts_used > 2 * CHUNK_STARTS,
            "{}",
            whole.starts_used
        );
        assert!(
            whole.skipped.values().sum::<usize>() > 24,
            "{:?}",
            whole.skipped
        );
        assert_eq!(String::from_utf8(bytes).unwrap(), whole.csv());
        assert_eq!(rows, whole.rows);
        assert!(streamed.rows.is_empty());
        assert_eq!(
            ReplayResult {
                rows: whole.rows.clone(),
                ..streamed
            },
            whole
        );
    }

    #[test]
    fn event_inside_the_range_is_not_ranked_against_itself() {
        let s = Scenario::example();
        let bars = planted(&plant);
        let src = BTreeMap::from([("synthetic".to_string(), bars)]);
        let r = replay(
            &dated(&s, &src, "2026-01-01", "2026-02-09", Every::Day),
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
            &dated(&s, &src, "2026-01-01", "2026-01-01", Every::Day),
            None,
        );
        assert!(bad.unwrap_err().to_string().contains("`to`"));
    }
}
