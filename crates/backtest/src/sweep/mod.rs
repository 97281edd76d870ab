//! Size x duration x model sweeps and the inverse query "largest size within X bps".
//!
//! The market state is measured once, at the scenario's start ([`MarketState::measure`]); every
//! cell of the sweep then lays the scenario's schedule over a synthetic window of the requested
//! duration starting at the same instant and runs every model on it. Nothing here reads the
//! observed prices inside the window: a sweep is a forecast, not a backtest.
//!
//! The sweep's grid (sizes and the bars of each duration) is in [`grid`](self::grid), the inverse
//! query in [`inverse`](self::inverse); the models are built by [`crate::models`].
//!
//! # Sizes by scaling, where exact
//! Most models are homogeneous in the size for a schedule that scales with the block: the square
//! root and power laws as `Q^delta`, the linear, Kyle and exponential-kernel models as `Q`, the
//! square-root propagator as `Q^(1/2)`. For each duration and model (and each alternative of its
//! band) the sweep evaluates the smallest, middle and largest size; when cost, peak and permanent
//! impact at all three fit one power `Q^k` to a relative [`SCALING_REL_TOL`], the other sizes are
//! scaled from the smallest, otherwise (ATHL's two terms, a POV schedule with a rate-dependent
//! model) every size is evaluated. `scaling[]` in the result says which columns were scaled and
//! with which exponent; the test `scaled_sizes_equal_direct_evaluation` checks both ways agree.
//!
//! # Closed forms
//! A TWAP over the window or a block in its first bar sells at a constant rate on a uniform grid:
//! every model with a closed form for it ([`ImpactModel::constant_rate`](blocksale_impact::ImpactModel::constant_rate):
//! the power laws, linear, Kyle, Amihud, ATHL, the exponential kernel and the propagator) is
//! evaluated in `O(1)` instead of on the bar grid (`O(N)`, `O(N^2)` for the propagator); the grid
//! path stays the reference for the other schedules and is what the closed forms are tested
//! against. The cumulative models' closed forms give the grid path's bits; ATHL, the exponential
//! kernel and the propagator differ from the grid path's sums by a few ulps (at most 4.9e-14 relative
//! on the 1M-cell Cango sweep).
//!
//! # Streaming
//! [`sweep_to`] streams `sweep.csv`: chunks of at most [`CHUNK_CELLS`] cells (or one duration) are
//! computed and formatted in parallel and handed over in row order, so the bytes do not depend on
//! the number of threads and memory does not grow with the number of durations. [`sweep`] keeps
//! every row in memory, for the report and the tests.
//!
//! ```
//! use blocksale_backtest::sweep::{log_space, sweep, SweepInput};
//! use blocksale_backtest::Scenario;
//! use blocksale_core::{BarColumns, BarSeries};
//! use std::collections::BTreeMap;
//!
//! let scenario = Scenario::example();
//! let t0 = scenario.start.as_millis() - 40 * 86_400_000;
//! let mut cols = BarColumns::default();
//! for i in 0..(45 * 24) {
//!     let p = 70_000.0 * (1.0 + 0.01 * ((i as f64) * 0.3).sin());
//!     cols.push_ohlcv(t0 + i * 3_600_000, p, p * 1.002, p * 0.998, p, 1_000.0);
//! }
//! let sources = BTreeMap::from([("synthetic".to_string(), BarSeries::new_checked(cols, 3_600).unwrap())]);
//! let input = SweepInput {
//!     scenario: &scenario,
//!     sources: &sources,
//!     calibration: None,
//!     sizes_btc: log_space(100.0, 10_000.0, 5).unwrap(),
//!     durations_seconds: vec![3_600, 86_400],
//!     models: None,
//!     max_cost_bps: Some(50.0),
//!     grid_path: false,
//! };
//! let r = sweep(&input, None).unwrap();
//! assert_eq!(r.rows.len(), 5 * 2 * 2);
//! assert_eq!(r.max_size.len(), 2 * 2);
//! ```

mod column;
mod grid;
mod inverse;
mod range;

pub use crate::models::{Progress, SweepModel};
pub use column::SCALING_REL_TOL;
pub use grid::{grid_for, log_space, SweepDuration, MAX_GRID_BARS};
pub use inverse::{MaxSizeRow, INVERSE_REL_TOL, MAX_SEARCH_BTC, MIN_SEARCH_BTC};
pub use range::RangeRow;

use crate::csvfmt::push_f64;
use crate::market::source;
use crate::models::built_models;
use crate::scenario::bad;
use crate::scenario::ScheduleSpec;
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{BarSeries, Side, Timestamp};
use blocksale_impact::calibration::Calibration;
use blocksale_impact::MarketInputs;
use column::{column, Column, ColumnInput};
use grid::Layout;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Layout version of [`SweepResult`] and `sweep.csv` (2: `sweep.json` carries `row_count`, the rows
/// are in `sweep.csv` alone; 3: `declared_range`).
pub const SWEEP_SCHEMA_VERSION: u32 = 3;

/// What [`sweep`] needs.
#[derive(Debug, Clone)]
pub struct SweepInput<'a> {
    /// The scenario: market measurement, schedule, decay and models (its size and end are ignored).
    pub scenario: &'a Scenario,
    /// Bars per venue label.
    pub sources: &'a BTreeMap<String, BarSeries>,
    /// Calibration for the models with `params = "calibrated"` (see [`crate::run_calibration`]).
    pub calibration: Option<&'a Calibration>,
    /// Block sizes, BTC (finite, > 0).
    pub sizes_btc: Vec<f64>,
    /// Sale durations, seconds (> 0; rounded to the grid, see the module docs).
    pub durations_seconds: Vec<i64>,
    /// Model names to keep (the scenario's `model` keys, e.g. `sqrt`, `kyle`); `None`: all of them.
    pub models: Option<Vec<String>>,
    /// Cost limit of the inverse query, bps; `None`: no inverse query.
    pub max_cost_bps: Option<f64>,
    /// Evaluate every model on the bar grid, the reference the closed forms are checked against,
    /// instead of in closed form where one exists (slower: `O(N)` to `O(N^2)` per evaluation).
    pub grid_path: bool,
}

/// Market state the whole sweep uses (measured once, at the scenario's start).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepMarket {
    /// Open of the first bar at the scenario's start, USD.
    pub arrival_price_usd: f64,
    /// Daily volatility.
    pub sigma_daily: f64,
    /// Its estimator.
    pub sigma_estimator: String,
    /// V, BTC/day.
    pub model_volume_btc: f64,
    /// Which days V averages over.
    pub volume_basis: String,
    /// How V was formed.
    pub volume_venues: String,
    /// Calibration window `[start, end)`.
    pub calibration_start: Timestamp,
    /// End of the calibration window.
    pub calibration_end: Timestamp,
}

/// One cell: a size, a duration and a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// Block size, BTC.
    pub size_btc: f64,
    /// Duration used, seconds.
    pub duration_seconds: i64,
    /// Duration label.
    pub duration: String,
    /// Model name.
    pub model: String,
    /// Quantity-weighted average execution cost against the arrival price, bps.
    pub avg_cost_bps: f64,
    /// Low end of the 95 % parameter band of the average cost, bps.
    pub avg_cost_low_bps: f64,
    /// High end of the band, bps.
    pub avg_cost_high_bps: f64,
    /// Average cost times size times arrival price, USD.
    pub avg_cost_usd: f64,
    /// Largest impact reached, bps.
    pub peak_impact_bps: f64,
    /// Low end of the 95 % parameter band of the peak, bps.
    pub peak_impact_low_bps: f64,
    /// High end of the band, bps.
    pub peak_impact_high_bps: f64,
    /// Long-run impact under the scenario's decay, bps.
    pub permanent_impact_bps: f64,
    /// Size over the volume V expected during the sale, `Q / (V T)` (dimensionless).
    pub participation_of_v: f64,
}

/// How one (duration, model) column of sizes was computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingRow {
    /// Duration used, seconds.
    pub duration_seconds: i64,
    /// Model name.
    pub model: String,
    /// `k` when cost, peak and permanent impact scale as `size^k` on this grid (checked, then the
    /// sizes between were scaled); `None` when every size was evaluated directly.
    pub size_exponent: Option<f64>,
}

/// The sweep document (`sweep.json`); [`SweepResult::csv`] gives `sweep.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepResult {
    /// Layout version ([`SWEEP_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Sell or buy.
    pub side: Side,
    /// Start of every swept sale (the scenario's start).
    pub start: Timestamp,
    /// Schedule placed on each grid.
    pub schedule: String,
    /// Decay after the sale.
    pub decay: String,
    /// Venue of the price and of the grid's bar size.
    pub price_venue: String,
    /// Bar size of the price source, seconds.
    pub price_bar_seconds: i64,
    /// Market state.
    pub market: SweepMarket,
    /// Sizes, BTC, ascending.
    pub sizes_btc: Vec<f64>,
    /// Durations, ascending.
    pub durations: Vec<SweepDuration>,
    /// Models, in scenario order.
    pub models: Vec<SweepModel>,
    /// Cells in `sweep.csv` (durations x sizes x models).
    pub row_count: usize,
    /// The cells in memory, ordered by duration, then size, then model: every cell from
    /// [`sweep`], those of the kept sizes from [`sweep_to`]. Not in `sweep.json`: the rows are
    /// `sweep.csv`.
    #[serde(skip)]
    pub rows: Vec<SweepRow>,
    /// Which sizes (indices into `sizes_btc`) `rows` holds; `None`: all.
    #[serde(skip)]
    pub row_sizes: Option<Vec<usize>>,
    /// How each (duration, model) column was computed, ordered by duration, then model.
    pub scaling: Vec<ScalingRow>,
    /// Cost limit of the inverse query, bps.
    pub max_cost_bps: Option<f64>,
    /// The inverse query, ordered by duration, then model.
    pub max_size: Vec<MaxSizeRow>,
    /// Per duration and model (ordered so), the sizes inside the model's declared range; models
    /// that declare none have no row.
    pub declared_range: Vec<RangeRow>,
    /// What the numbers assume.
    pub notes: Vec<String>,
}

/// Header of `sweep.csv`.
pub const SWEEP_CSV_HEADER: &str = "size_btc,duration_seconds,duration,model,avg_cost_bps,avg_cost_low_bps,avg_cost_high_bps,avg_cost_usd,peak_impact_bps,peak_impact_low_bps,peak_impact_high_bps,permanent_impact_bps,participation_of_v";

impl SweepResult {
    /// The rows in memory as CSV (header included), numbers in Rust's shortest round-trip form,
    /// so the same sweep gives the same bytes; the same bytes [`sweep_to`] streams.
    pub fn csv(&self) -> String {
        let mut s = Vec::with_capacity(self.rows.len() * 160);
        s.extend_from_slice(SWEEP_CSV_HEADER.as_bytes());
        s.push(b'\n');
        for r in &self.rows {
            csv_line(
                &mut s,
                r.size_btc,
                r.duration_seconds,
                &r.duration,
                &r.model,
                [
                    r.avg_cost_bps,
                    r.avg_cost_low_bps,
                    r.avg_cost_high_bps,
                    r.avg_cost_usd,
                    r.peak_impact_bps,
                    r.peak_impact_low_bps,
                    r.peak_impact_high_bps,
                    r.permanent_impact_bps,
                    r.participation_of_v,
                ],
            );
        }
        String::from_utf8(s).expect("ASCII numbers and UTF-8 names")
    }

    /// The cell for `(size index, duration index, model index)`.
    ///
    /// # Panics
    /// When `rows` does not hold that size (a streamed sweep keeps only some sizes).
    pub fn cell(&self, size: usize, duration: usize, model: usize) -> &SweepRow {
        let nm = self.models.len();
        let (k, at) = match &self.row_sizes {
            None => (self.sizes_btc.len(), size),
            Some(kept) => (
                kept.len(),
                kept.binary_search(&size).expect("a size kept in memory"),
            ),
        };
        &self.rows[(duration * k + at) * nm + model]
    }
}

/// Run the sweep, every row in memory ([`SweepResult::rows`]). For a grid of any size,
/// [`sweep_to`] streams the rows as CSV instead.
///
/// # Errors
/// [`BacktestError`] for an invalid scenario or grid, a model name the scenario lacks, bars that do
/// not cover the calibration window, or a calibrated model without a calibration.
pub fn sweep(input: &SweepInput<'_>, progress: Progress<'_>) -> Result<SweepResult, BacktestError> {
    sweep_with(input, progress, true)
}

/// [`sweep`], with the size-scaling shortcut switchable (off: every cell evaluated directly).
pub(crate) fn sweep_with(
    input: &SweepInput<'_>,
    progress: Progress<'_>,
    allow_scaling: bool,
) -> Result<SweepResult, BacktestError> {
    let p = Prepared::new(input)?;
    let mut rows = Vec::with_capacity(p.durations.len() * p.sizes.len() * p.models.len());
    let all: Vec<usize> = (0..p.sizes.len()).collect();
    let mut r = p.drive(progress, allow_scaling, false, &mut |di, cols, _| {
        p.rows_of(di, cols, &all, &mut rows);
        Ok::<(), BacktestError>(())
    })?;
    r.rows = rows;
    Ok(r)
}

/// Run the sweep and stream `sweep.csv` (header included) to `sink` in chunks, in row order
/// (duration, then size, then model), whatever the number of threads: chunks of durations are
/// computed and formatted in parallel and handed over in order. Memory stays flat in the number of
/// durations (one chunk of at most [`CHUNK_CELLS`] cells, or one duration, in flight).
///
/// The returned document has no rows but those of the sizes `keep_sizes(n)` picks (indices into
/// the `n` sorted, distinct sizes; [`SweepResult::cell`] reads them), for a summary; `row_count`
/// counts the rows streamed.
///
/// # Errors
/// As [`sweep`]; whatever `sink` returns.
pub fn sweep_to<E: From<BacktestError>>(
    input: &SweepInput<'_>,
    progress: Progress<'_>,
    keep_sizes: &dyn Fn(usize) -> Vec<usize>,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<SweepResult, E> {
    let p = Prepared::new(input)?;
    let mut keep: Vec<usize> = keep_sizes(p.sizes.len())
        .iter()
        .copied()
        .filter(|&i| i < p.sizes.len())
        .collect();
    keep.sort_unstable();
    keep.dedup();
    sink(SWEEP_CSV_HEADER.as_bytes())?;
    sink(b"\n")?;
    let mut rows = Vec::new();
    let mut r = p.drive(progress, true, true, &mut |di, cols, text| {
        p.rows_of(di, cols, &keep, &mut rows);
        sink(text)
    })?;
    r.rows = rows;
    r.row_sizes = Some(keep);
    Ok(r)
}

/// Cells computed and formatted together in one chunk of a streamed sweep (at least one
/// duration's worth).
pub const CHUNK_CELLS: usize = 1 << 16;

/// The note on the cells outside the models' declared ranges, when any is: how many per model.
fn range_note(r: &SweepResult) -> Option<String> {
    let cells = r.sizes_btc.len() * r.durations.len();
    let per_model: Vec<String> = r
        .models
        .iter()
        .filter_map(|m| {
            let rows = r.declared_range.iter().filter(|x| x.model == m.name);
            let outside: usize = rows.map(|x| x.sizes_outside).sum();
            (outside > 0).then(|| format!("{} {outside}", m.name))
        })
        .collect();
    (!per_model.is_empty()).then(|| {
        format!(
            "outside the model's declared range (docs/methods.md §31), of {cells} size x duration cells: {}; their numbers are the formula's extrapolation (declared_range[] gives the sizes inside per duration and model)",
            per_model.join(", ")
        )
    })
}

/// One CSV line of `sweep.csv` (newline included); numbers in Rust's shortest round-trip form
/// (what `{}` prints, through [`push_f64`]).
fn csv_line(
    s: &mut Vec<u8>,
    size_btc: f64,
    duration_seconds: i64,
    duration: &str,
    model: &str,
    v: [f64; 9],
) {
    push_f64(s, size_btc);
    let _ = write!(s, ",{duration_seconds},{duration},{model}");
    csv_values(s, v);
}

/// `,v0,...,v8\n`. A value equal to an earlier one of the row (a model without a band has
/// `low = central = high`) copies its bytes instead of formatting them again.
fn csv_values(s: &mut Vec<u8>, v: [f64; 9]) {
    let mut at = [(0usize, 0usize); 9];
    for (i, x) in v.into_iter().enumerate() {
        s.push(b',');
        let start = s.len();
        match (0..i).find(|&j| v[j].to_bits() == x.to_bits()) {
            Some(j) => s.extend_from_within(at[j].0..at[j].1),
            None => push_f64(s, x),
        }
        at[i] = (start, s.len());
    }
    s.push(b'\n');
}

/// What [`Prepared::drive`] hands each duration to: its index, its columns, its CSV lines.
type Emit<'e, E> = dyn FnMut(usize, &[Column], &[u8]) -> Result<(), E> + 'e;

/// Everything a sweep computes before its cells.
struct Prepared<'a> {
    s: &'a Scenario,
    input: &'a SweepInput<'a>,
    market: MarketState,
    bar_seconds: i64,
    models: Vec<(SweepModel, blocksale_impact::models::BuiltModel)>,
    inputs: MarketInputs,
    sizes: Vec<f64>,
    durations: Vec<SweepDuration>,
    merged: usize,
    profile: Option<blocksale_impact::schedules::VolumeProfile>,
}

impl<'a> Prepared<'a> {
    fn new(input: &'a SweepInput<'a>) -> Result<Self, BacktestError> {
        let s = input.scenario;
        s.validate()?;
        if input.sizes_btc.is_empty() {
            return Err(bad("sizes", "[]", "at least one size"));
        }
        if let Some(&q) = input
            .sizes_btc
            .iter()
            .find(|q| !(q.is_finite() && **q > 0.0))
        {
            return Err(bad("sizes", q, "sizes in BTC, finite and > 0"));
        }
        if input.durations_seconds.is_empty() {
            return Err(bad("durations", "[]", "at least one duration"));
        }
        if let Some(&d) = input.durations_seconds.iter().find(|d| **d <= 0) {
            return Err(bad("durations", d, "durations in seconds > 0"));
        }
        if let Some(x) = input.max_cost_bps {
            if !(x.is_finite() && x > 0.0) {
                return Err(bad("max_cost_bps", x, "a number of bps > 0"));
            }
        }
        let market = MarketState::measure(s, input.sources)?;
        let bar_seconds = source(input.sources, &s.data.price)?.bar_seconds();
        let models = built_models(s, input.calibration, input.models.as_deref())?;
        let inputs = MarketInputs::new_checked(market.sigma_daily, market.model_volume_btc)?;

        let mut sizes = input.sizes_btc.clone();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        let mut durations: Vec<SweepDuration> = input
            .durations_seconds
            .iter()
            .map(|&d| grid_for(d, bar_seconds))
            .collect();
        durations.sort_by_key(|d| (d.duration_seconds, d.requested_seconds));
        let n_req = durations.len();
        durations.dedup_by(|later, kept| {
            let same = later.duration_seconds == kept.duration_seconds;
            if same && later.requested_seconds != kept.requested_seconds {
                kept.merged_requested_seconds.push(later.requested_seconds);
            }
            same
        });
        let merged = n_req - durations.len();
        let profile = market.volume_profile();
        Ok(Self {
            s,
            input,
            market,
            bar_seconds,
            models,
            inputs,
            sizes,
            durations,
            merged,
            profile,
        })
    }

    /// The columns of durations `ds` (every model), in parallel; one progress tick per column.
    fn columns(
        &self,
        ds: std::ops::Range<usize>,
        allow_scaling: bool,
        progress: Progress<'_>,
        done: &AtomicUsize,
    ) -> Result<Vec<Column>, BacktestError> {
        let nm = self.models.len();
        let total = self.durations.len() * nm;
        let start = self.s.start.as_millis();
        let layouts: Vec<Layout> = ds
            .clone()
            .map(|di| Layout::new(start, &self.durations[di]))
            .collect();
        let pairs: Vec<(usize, usize)> = (0..layouts.len())
            .flat_map(|d| (0..nm).map(move |m| (d, m)))
            .collect();
        pairs
            .par_iter()
            .map(|&(li, mi)| {
                let layout = &layouts[li];
                let col = column(&ColumnInput {
                    schedule: &self.s.schedule,
                    layout,
                    profile: self.profile.as_ref(),
                    inputs: &self.inputs,
                    built: &self.models[mi].1,
                    sizes: &self.sizes,
                    max_cost: self.input.max_cost_bps.map(|x| x / 1e4),
                    allow_scaling,
                    constant_days: (!self.input.grid_path)
                        .then(|| layout.constant_rate_days(&self.s.schedule))
                        .flatten(),
                })?;
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = progress {
                    p(k, total);
                }
                Ok(col)
            })
            .collect()
    }

    /// The nine numbers of one cell, in `sweep.csv`'s order from `avg_cost_bps`.
    fn values(&self, q: f64, d: &SweepDuration, c: &column::Cell) -> [f64; 9] {
        let bp = |x: f64| x * 1e4;
        [
            bp(c.central.cost),
            bp(c.cost_low),
            bp(c.cost_high),
            q * self.market.arrival_price_usd * c.central.cost,
            bp(c.central.peak),
            bp(c.peak_low),
            bp(c.peak_high),
            bp(c.central.permanent),
            q / (self.market.model_volume_btc * d.duration_days),
        ]
    }

    /// Rows of duration `di` for the sizes `which` (indices), appended to `rows`.
    fn rows_of(&self, di: usize, cols: &[Column], which: &[usize], rows: &mut Vec<SweepRow>) {
        let d = &self.durations[di];
        for &qi in which {
            let q = self.sizes[qi];
            for (mi, (m, _)) in self.models.iter().enumerate() {
                let v = self.values(q, d, &cols[mi].cells[qi]);
                rows.push(SweepRow {
                    size_btc: q,
                    duration_seconds: d.duration_seconds,
                    duration: d.label.clone(),
                    model: m.name.clone(),
                    avg_cost_bps: v[0],
                    avg_cost_low_bps: v[1],
                    avg_cost_high_bps: v[2],
                    avg_cost_usd: v[3],
                    peak_impact_bps: v[4],
                    peak_impact_low_bps: v[5],
                    peak_impact_high_bps: v[6],
                    permanent_impact_bps: v[7],
                    participation_of_v: v[8],
                });
            }
        }
    }

    /// `sweep.csv`'s lines of duration `di`.
    fn csv_of(&self, di: usize, cols: &[Column]) -> Vec<u8> {
        let d = &self.durations[di];
        let mut s = Vec::with_capacity(self.sizes.len() * self.models.len() * 200);
        // The same bytes as csv_line, its fixed parts formatted once.
        let mut size_text = Vec::new();
        let mid: Vec<String> = self
            .models
            .iter()
            .map(|(m, _)| format!(",{},{},{}", d.duration_seconds, d.label, m.name))
            .collect();
        for (qi, &q) in self.sizes.iter().enumerate() {
            size_text.clear();
            push_f64(&mut size_text, q);
            for (mi, mid) in mid.iter().enumerate() {
                s.extend_from_slice(&size_text);
                s.extend_from_slice(mid.as_bytes());
                csv_values(&mut s, self.values(q, d, &cols[mi].cells[qi]));
            }
        }
        s
    }

    /// Compute every column, chunk by chunk of durations, handing each duration's columns (and,
    /// with `csv`, its formatted lines) to `emit` in order; then the document without rows.
    fn drive<E: From<BacktestError>>(
        &self,
        progress: Progress<'_>,
        allow_scaling: bool,
        csv: bool,
        emit: &mut Emit<'_, E>,
    ) -> Result<SweepResult, E> {
        let (nd, ns, nm) = (self.durations.len(), self.sizes.len(), self.models.len());
        let per_duration = (ns * nm).max(1);
        let chunk = (CHUNK_CELLS / per_duration).clamp(1, nd);
        let done = AtomicUsize::new(0);
        let mut scaling = Vec::with_capacity(nd * nm);
        let mut max_size = Vec::new();
        let limit_bps = self.input.max_cost_bps;
        let arrival = self.market.arrival_price_usd;
        // A producer thread computes and formats chunk k + 1 (on the rayon pool) while this thread
        // hands chunk k to `emit`: writing overlaps computing, and at most three chunks are in
        // memory (one being computed, one queued, one being written).
        type Chunk = (usize, Vec<Column>, Vec<Vec<u8>>);
        let chunks: Vec<std::ops::Range<usize>> = (0..nd)
            .step_by(chunk)
            .map(|d0| d0..(d0 + chunk).min(nd))
            .collect();
        std::thread::scope(|sc| -> Result<(), E> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk, BacktestError>>(1);
            let done = &done;
            sc.spawn(move || {
                for ds in chunks {
                    let d0 = ds.start;
                    let made =
                        self.columns(ds.clone(), allow_scaling, progress, done)
                            .map(|cols| {
                                let texts: Vec<Vec<u8>> = if csv {
                                    ds.into_par_iter()
                                        .map(|di| {
                                            self.csv_of(
                                                di,
                                                &cols[(di - d0) * nm..(di - d0 + 1) * nm],
                                            )
                                        })
                                        .collect()
                                } else {
                                    Vec::new()
                                };
                                (d0, cols, texts)
                            });
                    let failed = made.is_err();
                    // The receiver gone (an error while writing) ends the producer too.
                    if tx.send(made).is_err() || failed {
                        return;
                    }
                }
            });
            for made in rx {
                let (d0, cols, texts) = made?;
                for k in 0..cols.len() / nm.max(1) {
                    let di = d0 + k;
                    let c = &cols[k * nm..(k + 1) * nm];
                    emit(di, c, texts.get(k).map_or(&[][..], Vec::as_slice))?;
                    let d = &self.durations[di];
                    for (mi, (m, _)) in self.models.iter().enumerate() {
                        scaling.push(ScalingRow {
                            duration_seconds: d.duration_seconds,
                            model: m.name.clone(),
                            size_exponent: c[mi].exponent,
                        });
                        if let Some(limit_bps) = limit_bps {
                            let (found, evals) = c[mi].inverse.expect("asked");
                            max_size.push(MaxSizeRow {
                                duration_seconds: d.duration_seconds,
                                duration: d.label.clone(),
                                model: m.name.clone(),
                                max_cost_bps: limit_bps,
                                max_size_btc: found.map(|x| x.0),
                                max_size_usd: found.map(|x| x.0 * arrival),
                                avg_cost_at_max_bps: found.map(|x| x.1 * 1e4),
                                evaluations: evals,
                            });
                        }
                    }
                }
            }
            Ok(())
        })?;
        let mut r = self.document();
        r.row_count = nd * ns * nm;
        r.scaling = scaling;
        r.max_size = max_size;
        r.declared_range = self.declared_ranges()?;
        if let Some(note) = range_note(&r) {
            r.notes.push(note);
        }
        Ok(r)
    }

    /// The document without rows, scaling and inverse query.
    fn document(&self) -> SweepResult {
        let (s, market, bar_seconds) = (self.s, &self.market, self.bar_seconds);
        let mut notes = vec![
            format!(
                "market state measured once at {} on {}: sigma {:.4}/day ({}), V = {:.0} BTC/day ({} ADV of {})",
                s.start, s.data.price, market.sigma_daily, market.sigma_estimator, market.model_volume_btc, market.volume_basis, market.volume_venues
            ),
            format!(
                "every sale starts at {} and follows the {} schedule on a uniform grid of {} s bars (coarser above {} bars: see durations[].coarsened)",
                s.start, s.schedule.kind(), bar_seconds, MAX_GRID_BARS
            ),
            "avg cost: quantity-weighted average impact paid by the fills against the arrival price; band: 95 % parameter band (no timing risk)".into(),
            format!(
                "sizes: where a model's cost, peak and permanent impact on a duration's grid are homogeneous in the size (checked at the smallest, middle and largest size to a relative {SCALING_REL_TOL:e}), the other sizes are scaled from those evaluations (scaling[].size_exponent); otherwise every size is evaluated"
            ),
        ];
        if self.input.grid_path {
            notes.push(
                "every model evaluated on the bar grid (--grid-path): the reference the closed forms are checked against"
                    .into(),
            );
        } else if matches!(s.schedule, ScheduleSpec::Twap | ScheduleSpec::Block) {
            notes.push(format!(
                "{} sells at a constant rate: each model with a closed form for it (sqrt, power, linear, kyle, amihud, athl, exp_decay, propagator) is evaluated in closed form, equal to its grid path to 1e-9 relative, instead of on the bar grid",
                s.schedule.kind()
            ));
        }
        if self.merged > 0 {
            notes.push(format!(
                "{} requested durations rounded to the same grid as another and were merged (durations[].merged_requested_seconds lists them)",
                self.merged
            ));
        }
        if let Some(limit_bps) = self.input.max_cost_bps {
            notes.push(format!(
                "max size: largest block whose central average cost is within {limit_bps} bps, by bisection on log(size) to a relative width of {INVERSE_REL_TOL:e} (started from the closed form where the cost is homogeneous in the size), searched between {MIN_SEARCH_BTC:e} and {MAX_SEARCH_BTC:e} BTC; the reported size and its cost are evaluated directly"
            ));
        }
        SweepResult {
            schema_version: SWEEP_SCHEMA_VERSION,
            scenario: s.name.clone(),
            side: s.side,
            start: s.start,
            schedule: s.schedule.kind().to_string(),
            decay: s.decay.label(),
            price_venue: s.data.price.clone(),
            price_bar_seconds: bar_seconds,
            market: SweepMarket {
                arrival_price_usd: market.arrival_price_usd,
                sigma_daily: market.sigma_daily,
                sigma_estimator: market.sigma_estimator.clone(),
                model_volume_btc: market.model_volume_btc,
                volume_basis: market.volume_basis.clone(),
                volume_venues: market.volume_venues.clone(),
                calibration_start: market.calibration_start,
                calibration_end: market.calibration_end,
            },
            sizes_btc: self.sizes.clone(),
            durations: self.durations.clone(),
            models: self.models.iter().map(|(m, _)| m.clone()).collect(),
            row_count: 0,
            rows: Vec::new(),
            row_sizes: None,
            scaling: Vec::new(),
            max_cost_bps: self.input.max_cost_bps,
            max_size: Vec::new(),
            declared_range: Vec::new(),
            notes,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::{
        AthlSpec, ExpDecaySpec, KyleSpec, LinearSpec, ModelSpec, ParamSource, PowerSpec,
        ScheduleSpec, SqrtPropagatorSpec, SqrtSpec,
    };
    use blocksale_core::{BarColumns, MS_PER_DAY};

    /// Hourly bars from 60 days before `start` to 10 days after: a smooth oscillation with a
    /// day-of-week volume pattern.
    pub(crate) fn hourly_bars(start_ms: i64) -> BarSeries {
        let t0 = start_ms - 60 * MS_PER_DAY;
        let mut cols = BarColumns::default();
        let mut prev = 70_000.0;
        for i in 0..(70 * 24) {
            let t = t0 + i * 3_600_000;
            let p = 70_000.0
                * (1.0 + 0.02 * ((i as f64) * 0.13).sin() + 0.01 * ((i as f64) * 0.029).cos());
            let v = 800.0 + 300.0 * ((i % 168) as f64 / 168.0);
            cols.push_ohlcv(t, prev, prev.max(p) * 1.001, prev.min(p) * 0.999, p, v);
            prev = p;
        }
        BarSeries::new_checked(cols, 3_600).unwrap()
    }

    pub(crate) fn all_models() -> Vec<ModelSpec> {
        vec![
            ModelSpec::Sqrt(SqrtSpec {
                y: 0.9,
                params: ParamSource::Literature,
            }),
            ModelSpec::Power(PowerSpec {
                y: 0.9,
                delta: 0.6,
                params: ParamSource::Given,
            }),
            ModelSpec::Linear(LinearSpec { k: 1.0 }),
            ModelSpec::Kyle(KyleSpec {
                lambda_per_btc: Some(2e-6),
                params: ParamSource::Given,
            }),
            ModelSpec::Athl(AthlSpec {
                gamma: 0.314,
                eta: 0.142,
                outstanding_btc: 19.9e6,
            }),
            ModelSpec::ExpDecay(ExpDecaySpec {
                eta_per_btc: Some(3e-6),
                half_life_days: Some(1.0),
                rho_per_day: None,
                params: ParamSource::Given,
            }),
            ModelSpec::SqrtPropagator(SqrtPropagatorSpec {
                kernel_exponent: 0.5,
                ..SqrtPropagatorSpec::default()
            }),
        ]
    }

    pub(crate) fn setup() -> (Scenario, BTreeMap<String, BarSeries>) {
        let mut s = Scenario::example();
        s.models = all_models();
        s.decay = blocksale_impact::Decay::two_thirds();
        let bars = hourly_bars(s.start.as_millis());
        (s, BTreeMap::from([("synthetic".to_string(), bars)]))
    }

    pub(crate) fn input<'a>(
        s: &'a Scenario,
        src: &'a BTreeMap<String, BarSeries>,
    ) -> SweepInput<'a> {
        SweepInput {
            scenario: s,
            sources: src,
            calibration: None,
            sizes_btc: log_space(250.0, 20_000.0, 12).unwrap(),
            durations_seconds: vec![3_600, 6 * 3_600, 86_400, 2 * 86_400, 7 * 86_400],
            models: None,
            max_cost_bps: Some(50.0),
            grid_path: false,
        }
    }

    /// A row's seven impact numbers (costs and peaks with their bands, the permanent impact), bps.
    fn impact_numbers(r: &SweepRow) -> [f64; 7] {
        [
            r.avg_cost_bps,
            r.avg_cost_low_bps,
            r.avg_cost_high_bps,
            r.peak_impact_bps,
            r.peak_impact_low_bps,
            r.peak_impact_high_bps,
            r.permanent_impact_bps,
        ]
    }

    /// `grid_path`: every cell on the bar grid, the reference. The default's closed forms agree
    /// with it to 1e-9 relative on every number of every row (the linear ones to the bit), and
    /// the note says which evaluation ran.
    #[test]
    fn the_grid_path_option_is_the_reference_the_closed_forms_match() {
        let (s, src) = setup();
        let fast = sweep(&input(&s, &src), None).unwrap();
        let slow = sweep(
            &SweepInput {
                grid_path: true,
                ..input(&s, &src)
            },
            None,
        )
        .unwrap();
        assert_eq!(fast.rows.len(), slow.rows.len());
        let mut differ = 0;
        for (a, b) in fast.rows.iter().zip(&slow.rows) {
            assert_eq!((a.size_btc, &a.model), (b.size_btc, &b.model));
            for (x, y) in impact_numbers(a).into_iter().zip(impact_numbers(b)) {
                assert!((x - y).abs() <= 1e-9 * y.abs(), "{} {x} {y}", a.model);
                if ["linear", "kyle"].contains(&a.model.as_str()) {
                    assert_eq!(x, y, "{}", a.model);
                }
                differ += usize::from(x != y);
            }
        }
        // The two evaluations are different computations (the test would pass vacuously if the
        // option did nothing).
        assert!(differ > 0);
        assert!(slow.notes.iter().any(|n| n.contains("--grid-path")));
        assert!(!fast.notes.iter().any(|n| n.contains("--grid-path")));
    }

    #[test]
    fn cost_and_peak_increase_with_size_for_every_model() {
        let (s, src) = setup();
        let r = sweep(&input(&s, &src), None).unwrap();
        assert_eq!(r.models.len(), 7);
        assert_eq!(r.rows.len(), 12 * 5 * 7);
        for d in 0..r.durations.len() {
            for m in 0..r.models.len() {
                for q in 1..r.sizes_btc.len() {
                    let (a, b) = (r.cell(q - 1, d, m), r.cell(q, d, m));
                    assert_eq!(
                        (b.model.as_str(), b.size_btc),
                        (r.models[m].name.as_str(), r.sizes_btc[q])
                    );
                    assert!(
                        b.avg_cost_bps > a.avg_cost_bps,
                        "{} {} {}",
                        b.model,
                        b.duration,
                        b.size_btc
                    );
                    assert!(
                        b.peak_impact_bps > a.peak_impact_bps,
                        "{} {}",
                        b.model,
                        b.duration
                    );
                    assert!(b.avg_cost_usd > a.avg_cost_usd);
                }
                for q in 0..r.sizes_btc.len() {
                    let c = r.cell(q, d, m);
                    assert!(
                        c.avg_cost_low_bps <= c.avg_cost_bps
                            && c.avg_cost_bps <= c.avg_cost_high_bps
                    );
                    assert!(
                        c.peak_impact_low_bps <= c.peak_impact_bps
                            && c.peak_impact_bps <= c.peak_impact_high_bps
                    );
                    assert!(c.avg_cost_bps > 0.0 && c.avg_cost_bps <= c.peak_impact_bps + 1e-9);
                    assert!(c.permanent_impact_bps <= c.peak_impact_bps + 1e-9);
                }
            }
        }
        // The literature square root has a band; the given power law has none.
        let sq = r.cell(3, 2, 0);
        assert!(sq.avg_cost_high_bps > sq.avg_cost_bps * 1.5, "{sq:?}");
        let pw = r.cell(3, 2, 1);
        assert_eq!(
            (pw.avg_cost_low_bps, pw.avg_cost_high_bps),
            (pw.avg_cost_bps, pw.avg_cost_bps)
        );
    }

    #[test]
    fn square_root_cost_by_hand() {
        // One bar (1 h grid on hourly bars) holds the whole block.
        let (s, src) = setup();
        let r = sweep(&input(&s, &src), None).unwrap();
        let c0 = r.cell(0, 0, 0);
        let c4 = r.cell(4, 0, 0);
        // Square root: I(Q) = Y sigma sqrt(Q/V), average cost I(Q) / (1 + 1/2) on any grid.
        let by_hand = 0.9 * r.market.sigma_daily * (c0.size_btc / r.market.model_volume_btc).sqrt()
            / 1.5
            * 1e4;
        assert!(
            (c0.avg_cost_bps - by_hand).abs() < 1e-9 * by_hand,
            "{} vs {by_hand}",
            c0.avg_cost_bps
        );
        assert!((c0.peak_impact_bps - 1.5 * by_hand).abs() < 1e-9 * by_hand);
        // TWAP scales with the block, so the square root's cost scales as sqrt(size).
        let ratio = c4.avg_cost_bps / c0.avg_cost_bps;
        assert!(
            (ratio - (c4.size_btc / c0.size_btc).sqrt()).abs() < 1e-9,
            "{ratio}"
        );
        assert!(
            (c0.avg_cost_usd - c0.size_btc * r.market.arrival_price_usd * c0.avg_cost_bps / 1e4)
                .abs()
                < 1e-6
        );
        // Linear in participation, whole block in one bar: peak k sigma Q / V (k = 1), V per day
        // and a 1/24-day sale for the participation of V.
        let lin = r.cell(0, 0, 2);
        let full = r.market.sigma_daily * c0.size_btc / r.market.model_volume_btc * 1e4;
        assert!(
            (lin.peak_impact_bps - full).abs() < 1e-9 * full,
            "{} vs {full}",
            lin.peak_impact_bps
        );
        assert!(
            (lin.participation_of_v - c0.size_btc / (r.market.model_volume_btc / 24.0)).abs()
                < 1e-12
        );
    }

    #[test]
    fn progress_and_determinism() {
        let (s, src) = setup();
        let inp = input(&s, &src);
        let calls = AtomicUsize::new(0);
        let last = std::sync::Mutex::new((0, 0));
        let cb = |d: usize, t: usize| {
            calls.fetch_add(1, Ordering::Relaxed);
            let mut l = last.lock().unwrap();
            if d > l.0 {
                *l = (d, t);
            }
        };
        let a = sweep(&inp, Some(&cb)).unwrap();
        // One tick per (duration, model) column.
        let total = 5 * 7;
        assert_eq!(calls.load(Ordering::Relaxed), total);
        assert_eq!(*last.lock().unwrap(), (total, total));
        let b = sweep(&inp, None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.csv(), b.csv());
        assert_eq!(a.csv().lines().count(), 1 + a.rows.len());
        assert_eq!(a.csv().lines().next().unwrap(), SWEEP_CSV_HEADER);
    }

    #[test]
    fn streamed_csv_equals_in_memory_for_any_thread_count() {
        // Enough cells for several chunks: 200 sizes x 7 models x ~100 hourly grids.
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        inp.sizes_btc = log_space(100.0, 50_000.0, 200).unwrap();
        inp.durations_seconds = (1..=120).map(|h| h * 3_600).collect();
        let whole = sweep(&inp, None).unwrap();
        assert!(whole.rows.len() > 2 * CHUNK_CELLS, "{}", whole.rows.len());
        let streamed = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut bytes = Vec::new();
                let r = sweep_to(&inp, None, &|n| vec![0, n / 2, n - 1], &mut |b: &[u8]| {
                    bytes.extend_from_slice(b);
                    Ok::<(), BacktestError>(())
                })
                .unwrap();
                (r, bytes)
            })
        };
        let (one, bytes1) = streamed(1);
        let (_, bytes2) = streamed(2);
        assert!(bytes1 == whole.csv().into_bytes(), "streamed != in memory");
        assert!(bytes1 == bytes2, "1 thread != 2 threads");
        // The bounded document: the kept sizes' rows, the rest in the CSV alone.
        assert_eq!(one.row_count, whole.rows.len());
        assert_eq!(one.rows.len(), 3 * whole.durations.len() * 7);
        assert_eq!(one.cell(199, 5, 3), whole.cell(199, 5, 3));
        assert_eq!((one.scaling, one.max_size), (whole.scaling, whole.max_size));
    }

    #[test]
    fn scaled_sizes_equal_direct_evaluation() {
        let (mut s, src) = setup();
        for schedule in [
            ScheduleSpec::Twap,
            ScheduleSpec::FrontLoaded,
            ScheduleSpec::Vwap,
            ScheduleSpec::Pov { participation: 0.2 },
        ] {
            s.schedule = schedule;
            let kind = schedule.kind();
            let inp = input(&s, &src);
            let fast = sweep(&inp, None).unwrap();
            let slow = sweep_with(&inp, None, false).unwrap();
            assert!(slow.scaling.iter().all(|x| x.size_exponent.is_none()));
            let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12);
            for (a, b) in fast.rows.iter().zip(&slow.rows) {
                for (x, y) in impact_numbers(a).into_iter().zip(impact_numbers(b)) {
                    assert!(rel(x, y), "{kind} {a:?} vs {b:?}");
                }
            }
            // Same answer to the inverse query within its tolerance.
            for (a, b) in fast.max_size.iter().zip(&slow.max_size) {
                let (x, y) = (a.max_size_btc.unwrap(), b.max_size_btc.unwrap());
                assert!(
                    (x / y - 1.0).abs() < 2.0 * INVERSE_REL_TOL,
                    "{kind} {a:?} {b:?}"
                );
                assert!(a.evaluations <= b.evaluations, "{kind} {a:?} {b:?}");
            }
            let exps: Vec<Option<f64>> =
                fast.scaling[..7].iter().map(|x| x.size_exponent).collect();
            if kind == "pov" {
                // A POV sale lasts longer when larger: the rate-dependent models (athl, exp_decay,
                // propagator) are not homogeneous and every size is evaluated; the cumulative
                // ones (sqrt, power, linear, kyle) depend on the total alone and still scale.
                assert!(exps[4..].iter().all(|e| e.is_none()), "{exps:?}");
                assert!(exps[..4].iter().all(|e| e.is_some()), "{exps:?}");
            } else {
                // sqrt, power 0.6, linear, kyle, athl (two powers: none), exp_decay, propagator.
                let want = [
                    Some(0.5),
                    Some(0.6),
                    Some(1.0),
                    Some(1.0),
                    None,
                    Some(1.0),
                    Some(0.5),
                ];
                for (e, w) in exps.iter().zip(want) {
                    assert_eq!(e.is_some(), w.is_some(), "{kind} {exps:?}");
                    if let (Some(e), Some(w)) = (e, w) {
                        assert!((e - w).abs() < 1e-9, "{kind} {exps:?}");
                    }
                }
            }
        }
    }

    /// Requested durations that round to one grid give one row each per size and model, and the
    /// duration lists what merged into it; the count in the note is theirs.
    #[test]
    fn durations_that_round_to_one_grid_share_its_rows_and_are_listed() {
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        // Hourly bars: 50, 70 and 60 minutes all round to one bar; 2 h 20 m to two.
        inp.durations_seconds = vec![3_000, 4_200, 3_600, 8_400];
        let r = sweep(&inp, None).unwrap();
        let got: Vec<(i64, i64, &[i64])> = r
            .durations
            .iter()
            .map(|d| {
                (
                    d.duration_seconds,
                    d.requested_seconds,
                    d.merged_requested_seconds.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(3_600, 3_000, &[3_600, 4_200][..]), (7_200, 8_400, &[][..])]
        );
        assert_eq!(r.rows.len(), 2 * inp.sizes_btc.len() * 7);
        assert!(r
            .notes
            .iter()
            .any(|n| n.starts_with("2 requested durations rounded")));
    }

    /// `declared_range`: on each duration, the sizes outside each model's range are the cells
    /// whose own sale (the schedule placed on the duration's grid, its length from the first
    /// filled bar to the end of the last) the model's `validity_check` puts outside, for a TWAP, a
    /// block, a front-loaded and a POV schedule; the closed-form interval agrees with that check.
    #[test]
    fn declared_ranges_count_the_cells_the_models_check_puts_outside() {
        let (mut s, src) = setup();
        for schedule in [
            ScheduleSpec::Twap,
            ScheduleSpec::Block,
            ScheduleSpec::FrontLoaded,
            ScheduleSpec::Pov { participation: 0.2 },
        ] {
            s.schedule = schedule;
            let kind = schedule.kind();
            let mut inp = input(&s, &src);
            inp.sizes_btc = log_space(10.0, 200_000.0, 15).unwrap();
            let r = sweep(&inp, None).unwrap();
            let p = Prepared::new(&inp).unwrap();
            let (mut k, mut outside_total) = (0, 0);
            for d in &p.durations {
                let layout = grid::Layout::new(s.start.as_millis(), d);
                for (m, built) in &p.models {
                    let checks: Option<Vec<bool>> = p
                        .sizes
                        .iter()
                        .map(|&q| {
                            let g = layout.grid(&s.schedule, q, p.profile.as_ref()).unwrap();
                            built
                                .model
                                .validity_check(q, g.execution_days(), &p.inputs)
                                .map(|c| c.is_outside())
                        })
                        .collect();
                    let Some(checks) = checks else { continue };
                    let outside = checks.iter().filter(|&&o| o).count();
                    let row = &r.declared_range[k];
                    assert_eq!(
                        (row.duration_seconds, row.model.as_str()),
                        (d.duration_seconds, m.name.as_str()),
                        "{kind}"
                    );
                    assert_eq!(row.sizes_outside, outside, "{kind} {row:?}");
                    if let Some(i) = row.inside_btc {
                        for (&q, &o) in p.sizes.iter().zip(&checks) {
                            assert_eq!(i.contains(q), !o, "{kind} {q} {row:?}");
                        }
                    } else {
                        assert_eq!(outside, p.sizes.len(), "{kind} {row:?}");
                    }
                    outside_total += outside;
                    k += 1;
                }
            }
            assert_eq!(k, r.declared_range.len(), "{kind}");
            let cells = p.sizes.len() * p.durations.len() * k / p.durations.len();
            assert!(
                outside_total > 0 && outside_total < cells,
                "{kind} {outside_total}"
            );
        }
    }
}
