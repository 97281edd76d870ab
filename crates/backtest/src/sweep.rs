//! Size x duration x model sweeps and the inverse query "largest size within X bps".
//!
//! The market state is measured once, at the scenario's start ([`MarketState::measure`]); every
//! cell of the sweep then lays the scenario's schedule over a synthetic window of the requested
//! duration starting at the same instant and runs every model on it. Nothing here reads the
//! observed prices inside the window: a sweep is a forecast, not a backtest.
//!
//! # Grid of a cell
//! A duration is rounded to a whole number of bars of the price source (`15m` bars for Cango);
//! the execution grid is that many bars of the source's size. A duration longer than
//! [`MAX_GRID_BARS`] source bars runs on a coarser uniform grid whose step is the smallest
//! multiple of the source bar that keeps it within [`MAX_GRID_BARS`] bars, and the duration is
//! rounded to a whole number of those steps. Each duration in the result says which grid it used
//! (`grid_bars`, `grid_bar_seconds`, `coarsened`).
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
//! # Inverse query
//! Every model here has an average cost that increases with the size (impact is monotone in the
//! quantity sold and the schedules scale with the block). For each duration and model the forward
//! grid brackets the crossing of the cost limit, and a bisection on the logarithm of the size
//! narrows it to a relative width of [`INVERSE_REL_TOL`] (for a column that scales as `Q^k` the
//! bracket starts at the closed form `Q_0 (X / c_0)^(1/k)`, +/- 1e-6); the reported size is the
//! lower end of the final bracket, evaluated directly, so its cost is within the limit.
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
//! };
//! let r = sweep(&input, None).unwrap();
//! assert_eq!(r.rows.len(), 5 * 2 * 2);
//! assert_eq!(r.max_size.len(), 2 * 2);
//! ```

use crate::market::source;
use crate::models::{build, BuiltModel};
use crate::scenario::ModelSpec;
use crate::{schedule, BacktestError, MarketState, Scenario};
use blocksale_core::{duration_label, BarSeries, Side, Timestamp, MS_PER_DAY};
use blocksale_impact::calibration::Calibration;
use blocksale_impact::{ExecutionGrid, ImpactModel, MarketInputs};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Layout version of [`SweepResult`] and `sweep.csv`.
pub const SWEEP_SCHEMA_VERSION: u32 = 1;
/// Largest execution grid of one cell, bars.
pub const MAX_GRID_BARS: i64 = 1000;
/// Relative width of the final bracket of the inverse query.
pub const INVERSE_REL_TOL: f64 = 1e-6;
/// The inverse query never looks beyond this size: the 21 million BTC that will ever exist.
pub const MAX_SEARCH_BTC: f64 = 21e6;
/// Nor below this one.
pub const MIN_SEARCH_BTC: f64 = 1e-6;

/// Progress callback `(done, total)`, called from the worker threads.
pub type Progress<'a> = Option<&'a (dyn Fn(usize, usize) + Sync)>;

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
}

/// One duration of the sweep and the grid it ran on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepDuration {
    /// Duration as asked, seconds.
    pub requested_seconds: i64,
    /// Duration used (a whole number of grid bars), seconds.
    pub duration_seconds: i64,
    /// Duration used, days.
    pub duration_days: f64,
    /// Short label (`1h`, `2d 6h`, `45m`).
    pub label: String,
    /// Bars of the execution grid.
    pub grid_bars: i64,
    /// Length of one grid bar, seconds.
    pub grid_bar_seconds: i64,
    /// True when the grid is coarser than the price source's bars (more than [`MAX_GRID_BARS`] of them).
    pub coarsened: bool,
}

/// One model of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepModel {
    /// Name used in the rows (the model's own name, `#2` appended to a repeated one).
    pub name: String,
    /// Parameters, unit-bearing names.
    pub params: BTreeMap<String, f64>,
    /// Where the parameters come from.
    pub param_source: String,
    /// What the parameter band is made of.
    pub band: String,
    /// Caveats.
    pub warnings: Vec<String>,
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

/// The inverse query for one duration and model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxSizeRow {
    /// Duration used, seconds.
    pub duration_seconds: i64,
    /// Duration label.
    pub duration: String,
    /// Model name.
    pub model: String,
    /// Cost limit, bps.
    pub max_cost_bps: f64,
    /// Largest size whose average cost is within the limit, BTC; `None` when even
    /// [`MAX_SEARCH_BTC`] stays within it.
    pub max_size_btc: Option<f64>,
    /// That size at the arrival price, USD.
    pub max_size_usd: Option<f64>,
    /// Average cost at `max_size_btc`, bps.
    pub avg_cost_at_max_bps: Option<f64>,
    /// Model evaluations the search used.
    pub evaluations: usize,
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
    /// Every cell, ordered by duration, then size, then model.
    pub rows: Vec<SweepRow>,
    /// How each (duration, model) column was computed, ordered by duration, then model.
    pub scaling: Vec<ScalingRow>,
    /// Cost limit of the inverse query, bps.
    pub max_cost_bps: Option<f64>,
    /// The inverse query, ordered by duration, then model.
    pub max_size: Vec<MaxSizeRow>,
    /// What the numbers assume.
    pub notes: Vec<String>,
}

/// Header of `sweep.csv`.
pub const SWEEP_CSV_HEADER: &str = "size_btc,duration_seconds,duration,model,avg_cost_bps,avg_cost_low_bps,avg_cost_high_bps,avg_cost_usd,peak_impact_bps,peak_impact_low_bps,peak_impact_high_bps,permanent_impact_bps,participation_of_v";

impl SweepResult {
    /// The rows as CSV (header included), numbers in Rust's shortest round-trip form, so the same
    /// sweep gives the same bytes.
    pub fn csv(&self) -> String {
        let mut s = String::with_capacity(self.rows.len() * 160);
        s.push_str(SWEEP_CSV_HEADER);
        s.push('\n');
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.size_btc,
                r.duration_seconds,
                r.duration,
                r.model,
                r.avg_cost_bps,
                r.avg_cost_low_bps,
                r.avg_cost_high_bps,
                r.avg_cost_usd,
                r.peak_impact_bps,
                r.peak_impact_low_bps,
                r.peak_impact_high_bps,
                r.permanent_impact_bps,
                r.participation_of_v
            );
        }
        s
    }

    /// The cell for `(size index, duration index, model index)`.
    pub fn cell(&self, size: usize, duration: usize, model: usize) -> &SweepRow {
        let (ns, nm) = (self.sizes_btc.len(), self.models.len());
        &self.rows[(duration * ns + size) * nm + model]
    }
}

fn bad(key: &str, value: impl ToString, expected: &str) -> BacktestError {
    BacktestError::Scenario {
        key: key.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// `n` log-spaced values from `lo` to `hi` inclusive (`n = 1`: `lo` alone, which must equal `hi`).
///
/// # Errors
/// [`BacktestError::Scenario`] unless `0 < lo <= hi`, both finite, and `n >= 1` (`n = 1` needs
/// `lo == hi`).
pub fn log_space(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>, BacktestError> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi >= lo) {
        return Err(bad(
            "grid",
            format!("{lo}:{hi}"),
            "0 < lo <= hi, both finite",
        ));
    }
    match n {
        0 => Err(bad("grid", 0, "at least one point")),
        1 if lo == hi => Ok(vec![lo]),
        1 => Err(bad("grid", format!("{lo}:{hi}:1"), "n >= 2 when lo < hi")),
        _ => {
            let (a, b) = (lo.ln(), hi.ln());
            let step = (b - a) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| (a + step * i as f64).exp()).collect();
            // Exact end points.
            v[0] = lo;
            v[n - 1] = hi;
            Ok(v)
        }
    }
}

/// The grid of one requested duration on bars of `bar_seconds`.
pub fn grid_for(requested_seconds: i64, bar_seconds: i64) -> SweepDuration {
    let n_fine = ((requested_seconds as f64 / bar_seconds as f64).round() as i64).max(1);
    let factor = (n_fine + MAX_GRID_BARS - 1) / MAX_GRID_BARS;
    let step = bar_seconds * factor;
    let n = ((requested_seconds as f64 / step as f64).round() as i64).max(1);
    let dur = n * step;
    SweepDuration {
        requested_seconds,
        duration_seconds: dur,
        duration_days: dur as f64 / 86_400.0,
        label: duration_label(dur),
        grid_bars: n,
        grid_bar_seconds: step,
        coarsened: factor > 1,
    }
}

/// The `model` key of a spec (what `--models` names).
pub fn spec_key(m: &ModelSpec) -> &'static str {
    match m {
        ModelSpec::Sqrt { .. } => "sqrt",
        ModelSpec::Power { .. } => "power",
        ModelSpec::Linear { .. } => "linear",
        ModelSpec::Kyle { .. } => "kyle",
        ModelSpec::Athl { .. } => "athl",
        ModelSpec::ExpDecay { .. } => "exp_decay",
        ModelSpec::SqrtPropagator { .. } => "sqrt_propagator",
    }
}

/// Laying a block of any size on one duration's grid.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Bar open times, ms (window bars, then the bars a POV sale may run into).
    open_ms: Vec<i64>,
    bar_ms: i64,
    n_window: usize,
}

impl Layout {
    pub(crate) fn new(start_ms: i64, d: &SweepDuration) -> Self {
        let bar_ms = d.grid_bar_seconds * 1000;
        let n = d.grid_bars as usize;
        Self {
            open_ms: (0..2 * n as i64).map(|k| start_ms + k * bar_ms).collect(),
            bar_ms,
            n_window: n,
        }
    }

    /// The execution grid of `size_btc` under the scenario's schedule.
    pub(crate) fn grid(
        &self,
        s: &Scenario,
        size_btc: f64,
        profile: &[f64],
    ) -> Result<ExecutionGrid, BacktestError> {
        let placed = schedule::place(
            &s.schedule,
            size_btc,
            &self.open_ms[..self.n_window],
            self.bar_ms,
            profile,
            &self.open_ms[self.n_window..],
        );
        let n = placed.qty_btc.len().max(self.n_window);
        let mut q = placed.qty_btc;
        q.resize(n, 0.0);
        let bar_days = self.bar_ms as f64 / MS_PER_DAY as f64;
        let t: Vec<f64> = (0..=n).map(|k| k as f64 * bar_days).collect();
        Ok(ExecutionGrid::new_checked(t, q)?)
    }
}

/// The built models a sweep or replay runs, filtered by name.
pub(crate) fn built_models(
    s: &Scenario,
    cal: Option<&Calibration>,
    keep: Option<&[String]>,
) -> Result<Vec<(SweepModel, BuiltModel)>, BacktestError> {
    if let Some(k) = keep {
        let have: Vec<&str> = s.models.iter().map(spec_key).collect();
        for name in k {
            if !have.contains(&name.as_str()) {
                return Err(bad(
                    "models",
                    format!("{name:?}"),
                    &format!("one of the scenario's models: {}", have.join(", ")),
                ));
            }
        }
    }
    let mut out: Vec<(SweepModel, BuiltModel)> = Vec::new();
    for spec in &s.models {
        if keep.is_some_and(|k| !k.iter().any(|x| x == spec_key(spec))) {
            continue;
        }
        let b = build(spec, s.decay, cal)?;
        let base = b.model.name();
        let seen = out
            .iter()
            .filter(|(m, _)| m.name == base || m.name.starts_with(&format!("{base}#")))
            .count();
        let name = if seen == 0 {
            base
        } else {
            format!("{base}#{}", seen + 1)
        };
        let band = if !b.alternatives.is_empty() {
            format!(
                "envelope of {} alternative parameterisations",
                b.alternatives.len()
            )
        } else if let Some((lo, hi)) = b.prefactor_range {
            format!("prefactor x [{lo:.3}, {hi:.3}]")
        } else {
            "none (no published range)".into()
        };
        out.push((
            SweepModel {
                name,
                params: b.model.params(),
                param_source: b.param_source.clone(),
                band,
                warnings: b.warnings.clone(),
            },
            b,
        ));
    }
    if out.is_empty() {
        return Err(bad("models", "[]", "at least one model"));
    }
    Ok(out)
}

/// Run the sweep.
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
    durations.dedup_by_key(|d| d.duration_seconds);
    let merged = n_req - durations.len();

    let start = s.start.as_millis();
    let profile = &market.volume_by_hour_of_week_btc;
    let layouts: Vec<Layout> = durations.iter().map(|d| Layout::new(start, d)).collect();
    let arrival = market.arrival_price_usd;
    let (nd, ns, nm) = (durations.len(), sizes.len(), models.len());
    let total = nd * nm;
    let done = AtomicUsize::new(0);

    // One task per (duration, model): its column of sizes and its inverse query.
    let pairs: Vec<(usize, usize)> = (0..nd).flat_map(|d| (0..nm).map(move |m| (d, m))).collect();
    let columns: Vec<Column> = pairs
        .par_iter()
        .map(|&(di, mi)| {
            let col = column(&ColumnInput {
                s,
                layout: &layouts[di],
                profile,
                inputs: &inputs,
                built: &models[mi].1,
                sizes: &sizes,
                max_cost: input.max_cost_bps.map(|x| x / 1e4),
                allow_scaling,
            })?;
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = progress {
                p(k, total);
            }
            Ok(col)
        })
        .collect::<Result<Vec<_>, BacktestError>>()?;

    let mut rows = Vec::with_capacity(nd * ns * nm);
    for (di, d) in durations.iter().enumerate() {
        for (qi, &q) in sizes.iter().enumerate() {
            for (mi, (m, _)) in models.iter().enumerate() {
                let c = &columns[di * nm + mi].cells[qi];
                let bp = |x: f64| x * 1e4;
                rows.push(SweepRow {
                    size_btc: q,
                    duration_seconds: d.duration_seconds,
                    duration: d.label.clone(),
                    model: m.name.clone(),
                    avg_cost_bps: bp(c.central.cost),
                    avg_cost_low_bps: bp(c.cost_low),
                    avg_cost_high_bps: bp(c.cost_high),
                    avg_cost_usd: q * arrival * c.central.cost,
                    peak_impact_bps: bp(c.central.peak),
                    peak_impact_low_bps: bp(c.peak_low),
                    peak_impact_high_bps: bp(c.peak_high),
                    permanent_impact_bps: bp(c.central.permanent),
                    participation_of_v: q / (market.model_volume_btc * d.duration_days),
                });
            }
        }
    }
    let scaling: Vec<ScalingRow> = pairs
        .iter()
        .map(|&(di, mi)| ScalingRow {
            duration_seconds: durations[di].duration_seconds,
            model: models[mi].0.name.clone(),
            size_exponent: columns[di * nm + mi].exponent,
        })
        .collect();

    let mut notes = vec![
        format!(
            "market state measured once at {} on {}: sigma {:.4}/day ({}), V = {:.0} BTC/day ({} ADV of {})",
            s.start, s.data.price, market.sigma_daily, market.sigma_estimator, market.model_volume_btc, market.volume_basis, market.volume_venues
        ),
        format!(
            "every sale starts at {} and follows the {} schedule on a uniform grid of {} s bars (coarser above {} bars: see durations[].coarsened)",
            s.start, s.schedule.kind, bar_seconds, MAX_GRID_BARS
        ),
        "avg cost: quantity-weighted average impact paid by the fills against the arrival price; band: 95 % parameter band (no timing risk)".into(),
        format!(
            "sizes: where a model's cost, peak and permanent impact on a duration's grid are homogeneous in the size (checked at the smallest, middle and largest size to a relative {SCALING_REL_TOL:e}), the other sizes are scaled from those evaluations (scaling[].size_exponent); otherwise every size is evaluated"
        ),
    ];
    if merged > 0 {
        notes.push(format!(
            "{merged} requested durations rounded to the same grid as another and were merged"
        ));
    }
    let mut max_size = Vec::new();
    if let Some(limit_bps) = input.max_cost_bps {
        max_size = pairs
            .iter()
            .map(|&(di, mi)| {
                let d = &durations[di];
                let (found, evals) = columns[di * nm + mi].inverse.expect("asked");
                MaxSizeRow {
                    duration_seconds: d.duration_seconds,
                    duration: d.label.clone(),
                    model: models[mi].0.name.clone(),
                    max_cost_bps: limit_bps,
                    max_size_btc: found.map(|x| x.0),
                    max_size_usd: found.map(|x| x.0 * arrival),
                    avg_cost_at_max_bps: found.map(|x| x.1 * 1e4),
                    evaluations: evals,
                }
            })
            .collect();
        notes.push(format!(
            "max size: largest block whose central average cost is within {limit_bps} bps, by bisection on log(size) to a relative width of {INVERSE_REL_TOL:e} (started from the closed form where the cost is homogeneous in the size), searched between {MIN_SEARCH_BTC:e} and {MAX_SEARCH_BTC:e} BTC; the reported size and its cost are evaluated directly"
        ));
    }

    Ok(SweepResult {
        schema_version: SWEEP_SCHEMA_VERSION,
        scenario: s.name.clone(),
        side: s.side,
        start: s.start,
        schedule: s.schedule.kind.clone(),
        decay: s.decay.label(),
        price_venue: s.data.price.clone(),
        price_bar_seconds: bar_seconds,
        market: SweepMarket {
            arrival_price_usd: arrival,
            sigma_daily: market.sigma_daily,
            sigma_estimator: market.sigma_estimator.clone(),
            model_volume_btc: market.model_volume_btc,
            volume_basis: market.volume_basis.clone(),
            volume_venues: market.volume_venues.clone(),
            calibration_start: market.calibration_start,
            calibration_end: market.calibration_end,
        },
        sizes_btc: sizes,
        durations,
        models: models.into_iter().map(|(m, _)| m).collect(),
        rows,
        scaling,
        max_cost_bps: input.max_cost_bps,
        max_size,
        notes,
    })
}

/// Relative tolerance of the homogeneity check.
pub const SCALING_REL_TOL: f64 = 1e-9;

/// Cost, peak and long-run impact of one sale (fractions).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Eval {
    cost: f64,
    peak: f64,
    permanent: f64,
}

impl Eval {
    fn of(m: &dyn ImpactModel, grid: &ExecutionGrid, inputs: &MarketInputs) -> Self {
        let p = m.path(grid, inputs);
        Self {
            cost: p.avg_cost,
            peak: p.peak,
            permanent: p.permanent,
        }
    }

    fn scaled(self, ratio: f64, k: f64) -> Self {
        let f = ratio.powf(k);
        Self {
            cost: self.cost * f,
            peak: self.peak * f,
            permanent: self.permanent * f,
        }
    }
}

/// One cell of a column: central values and the parameter band.
#[derive(Debug, Clone, Copy)]
struct Cell {
    central: Eval,
    cost_low: f64,
    cost_high: f64,
    peak_low: f64,
    peak_high: f64,
}

/// One (duration, model) column.
#[derive(Debug)]
struct Column {
    cells: Vec<Cell>,
    /// Size exponent of the central model when the shortcut applied.
    exponent: Option<f64>,
    /// Inverse query: (size, cost) and evaluations.
    inverse: Option<(Option<(f64, f64)>, usize)>,
}

struct ColumnInput<'a> {
    s: &'a Scenario,
    layout: &'a Layout,
    profile: &'a [f64],
    inputs: &'a MarketInputs,
    built: &'a BuiltModel,
    sizes: &'a [f64],
    max_cost: Option<f64>,
    allow_scaling: bool,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= SCALING_REL_TOL * a.abs().max(b.abs())
}

/// Values of `m` at every size: scaled from three evaluations when `m` is homogeneous in the size
/// on this grid, else evaluated at each size. Returns the values and the exponent if scaled.
fn component(
    m: &dyn ImpactModel,
    c: &ColumnInput<'_>,
) -> Result<(Vec<Eval>, Option<f64>), BacktestError> {
    let eval = |q: f64| -> Result<Eval, BacktestError> {
        Ok(Eval::of(m, &c.layout.grid(c.s, q, c.profile)?, c.inputs))
    };
    let n = c.sizes.len();
    if c.allow_scaling && n >= 3 {
        let (ia, im, ib) = (0, n / 2, n - 1);
        let (qa, qm, qb) = (c.sizes[ia], c.sizes[im], c.sizes[ib]);
        let (ea, em, eb) = (eval(qa)?, eval(qm)?, eval(qb)?);
        if ea.cost > 0.0 && eb.cost > 0.0 {
            let k = (eb.cost / ea.cost).ln() / (qb / qa).ln();
            let fits = |e: Eval, q: f64| {
                let p = ea.scaled(q / qa, k);
                close(p.cost, e.cost) && close(p.peak, e.peak) && close(p.permanent, e.permanent)
            };
            if k.is_finite() && fits(em, qm) && fits(eb, qb) {
                let mut v: Vec<Eval> = c.sizes.iter().map(|&q| ea.scaled(q / qa, k)).collect();
                (v[ia], v[im], v[ib]) = (ea, em, eb);
                return Ok((v, Some(k)));
            }
        }
        let mut v = Vec::with_capacity(n);
        for (i, &q) in c.sizes.iter().enumerate() {
            v.push(match i {
                _ if i == ia => ea,
                _ if i == im => em,
                _ if i == ib => eb,
                _ => eval(q)?,
            });
        }
        return Ok((v, None));
    }
    Ok((
        c.sizes.iter().map(|&q| eval(q)).collect::<Result<_, _>>()?,
        None,
    ))
}

fn column(c: &ColumnInput<'_>) -> Result<Column, BacktestError> {
    let b = c.built;
    let (central, exponent) = component(b.model.as_ref(), c)?;
    let mut cells: Vec<Cell> = central
        .iter()
        .map(|e| Cell {
            central: *e,
            cost_low: e.cost,
            cost_high: e.cost,
            peak_low: e.peak,
            peak_high: e.peak,
        })
        .collect();
    if !b.alternatives.is_empty() {
        for alt in &b.alternatives {
            let (v, _) = component(alt.as_ref(), c)?;
            for (cell, e) in cells.iter_mut().zip(v) {
                cell.cost_low = cell.cost_low.min(e.cost);
                cell.cost_high = cell.cost_high.max(e.cost);
                cell.peak_low = cell.peak_low.min(e.peak);
                cell.peak_high = cell.peak_high.max(e.peak);
            }
        }
    } else if let Some((lo, hi)) = b.prefactor_range {
        for cell in &mut cells {
            let e = cell.central;
            (cell.cost_low, cell.cost_high) = (e.cost * lo, e.cost * hi);
            (cell.peak_low, cell.peak_high) = (e.peak * lo, e.peak * hi);
        }
    }
    let inverse = match c.max_cost {
        None => None,
        Some(limit) => {
            let evals = std::cell::Cell::new(0usize);
            let cost = |q: f64| -> Result<f64, BacktestError> {
                evals.set(evals.get() + 1);
                Ok(Eval::of(
                    b.model.as_ref(),
                    &c.layout.grid(c.s, q, c.profile)?,
                    c.inputs,
                )
                .cost)
            };
            // Bracket from the closed form when the cost is a power of the size, else the grid.
            let known: Vec<(f64, f64)> = match exponent {
                Some(k) if k > 0.0 => {
                    let guess = c.sizes[0] * (limit / central[0].cost).powf(1.0 / k);
                    if guess.is_finite() && guess > MIN_SEARCH_BTC && guess < MAX_SEARCH_BTC {
                        let (lo, hi) = (guess * (1.0 - 1e-6), guess * (1.0 + 1e-6));
                        vec![(lo, cost(lo)?), (hi, cost(hi)?)]
                    } else {
                        c.sizes
                            .iter()
                            .zip(&central)
                            .map(|(&q, e)| (q, e.cost))
                            .collect()
                    }
                }
                _ => c
                    .sizes
                    .iter()
                    .zip(&central)
                    .map(|(&q, e)| (q, e.cost))
                    .collect(),
            };
            let (found, _) = largest_within(&cost, limit, &known)?;
            Some((found, evals.get()))
        }
    };
    Ok(Column {
        cells,
        exponent,
        inverse,
    })
}

/// Largest size whose `cost` is within `limit`, for a cost increasing in size. `known` holds
/// `(size, cost)` pairs already evaluated, ascending in size, used to bracket the crossing.
///
/// Returns `(size, cost at size)` (`None` when the cost stays within the limit up to
/// [`MAX_SEARCH_BTC`]) and the number of new evaluations.
///
/// # Errors
/// Whatever `cost` returns.
pub(crate) fn largest_within(
    cost: &dyn Fn(f64) -> Result<f64, BacktestError>,
    limit: f64,
    known: &[(f64, f64)],
) -> Result<(Option<(f64, f64)>, usize), BacktestError> {
    let mut evals = 0;
    let mut eval = |q: f64| {
        evals += 1;
        cost(q)
    };
    // Bracket: lo within the limit, hi beyond it.
    let first_over = known.iter().position(|&(_, c)| c > limit);
    let (mut lo, mut hi): ((f64, f64), f64) = match first_over {
        Some(0) => {
            let mut hi = known[0].0;
            let mut lo = None;
            while hi > MIN_SEARCH_BTC {
                let q = (hi / 4.0).max(MIN_SEARCH_BTC);
                let c = eval(q)?;
                if c <= limit {
                    lo = Some((q, c));
                    break;
                }
                hi = q;
            }
            match lo {
                Some(l) => (l, hi),
                // Even the smallest size costs more than the limit.
                None => return Ok((Some((0.0, 0.0)), evals)),
            }
        }
        Some(i) => (known[i - 1], known[i].0),
        None => {
            let mut lo = *known.last().expect("at least one size");
            loop {
                if lo.0 >= MAX_SEARCH_BTC {
                    return Ok((None, evals));
                }
                let q = (lo.0 * 4.0).min(MAX_SEARCH_BTC);
                let c = eval(q)?;
                if c > limit {
                    break (lo, q);
                }
                lo = (q, c);
            }
        }
    };
    while hi / lo.0 - 1.0 > INVERSE_REL_TOL {
        let mid = (lo.0 * hi).sqrt();
        let c = eval(mid)?;
        if c <= limit {
            lo = (mid, c);
        } else {
            hi = mid;
        }
    }
    Ok((Some(lo), evals))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::ParamSource;
    use blocksale_core::BarColumns;

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
            ModelSpec::Sqrt {
                y: 0.9,
                params: ParamSource::Literature,
            },
            ModelSpec::Power {
                y: 0.9,
                delta: 0.6,
                params: ParamSource::Given,
            },
            ModelSpec::Linear { k: 1.0 },
            ModelSpec::Kyle {
                lambda_per_btc: Some(2e-6),
                params: ParamSource::Given,
            },
            ModelSpec::Athl {
                gamma: 0.314,
                eta: 0.142,
                outstanding_btc: 19.9e6,
            },
            ModelSpec::ExpDecay {
                eta_per_btc: Some(3e-6),
                half_life_days: 1.0,
                params: ParamSource::Given,
            },
            ModelSpec::SqrtPropagator {
                kernel_exponent: 0.5,
            },
        ]
    }

    fn setup() -> (Scenario, BTreeMap<String, BarSeries>) {
        let mut s = Scenario::example();
        s.models = all_models();
        s.decay = blocksale_impact::Decay::two_thirds();
        let bars = hourly_bars(s.start.as_millis());
        (s, BTreeMap::from([("synthetic".to_string(), bars)]))
    }

    fn input<'a>(s: &'a Scenario, src: &'a BTreeMap<String, BarSeries>) -> SweepInput<'a> {
        SweepInput {
            scenario: s,
            sources: src,
            calibration: None,
            sizes_btc: log_space(250.0, 20_000.0, 12).unwrap(),
            durations_seconds: vec![3_600, 6 * 3_600, 86_400, 2 * 86_400, 7 * 86_400],
            models: None,
            max_cost_bps: Some(50.0),
        }
    }

    #[test]
    fn log_space_end_points_and_ratio() {
        let v = log_space(250.0, 20_000.0, 40).unwrap();
        assert_eq!(v.len(), 40);
        assert_eq!((v[0], v[39]), (250.0, 20_000.0));
        let r = (20_000.0f64 / 250.0).powf(1.0 / 39.0);
        for w in v.windows(2) {
            assert!((w[1] / w[0] - r).abs() < 1e-12, "{w:?}");
        }
        assert_eq!(log_space(5.0, 5.0, 1).unwrap(), vec![5.0]);
        assert!(log_space(5.0, 6.0, 1).is_err());
        assert!(log_space(0.0, 6.0, 3).is_err());
        assert!(log_space(7.0, 6.0, 3).is_err());
        assert!(log_space(1.0, 6.0, 0).is_err());
    }

    #[test]
    fn grids_round_to_bars_and_coarsen_above_the_cap() {
        let g = grid_for(3_600, 900);
        assert_eq!(
            (
                g.grid_bars,
                g.grid_bar_seconds,
                g.duration_seconds,
                g.coarsened
            ),
            (4, 900, 3_600, false)
        );
        let g = grid_for(7 * 86_400, 900);
        assert_eq!(
            (g.grid_bars, g.grid_bar_seconds, g.coarsened),
            (672, 900, false)
        );
        // 100 minutes on 15-minute bars: 6.67 bars -> 7 bars = 105 minutes.
        let g = grid_for(6_000, 900);
        assert_eq!(
            (g.grid_bars, g.duration_seconds, g.label.as_str()),
            (7, 6_300, "1h 45m")
        );
        // 30 days of 15-minute bars = 2880 > 1000: step 3 bars (45 min), 960 bars, exactly 30 days.
        let g = grid_for(30 * 86_400, 900);
        assert_eq!(
            (
                g.grid_bars,
                g.grid_bar_seconds,
                g.duration_seconds,
                g.coarsened
            ),
            (960, 2_700, 30 * 86_400, true)
        );
        assert!(g.grid_bars <= MAX_GRID_BARS);
        // Shorter than a bar: one bar.
        assert_eq!(grid_for(60, 900).grid_bars, 1);
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
    fn inverse_query_agrees_with_the_forward_grid() {
        let (s, src) = setup();
        let inp = input(&s, &src);
        let r = sweep(&inp, None).unwrap();
        assert_eq!(r.max_size.len(), r.durations.len() * r.models.len());
        let limit = 50.0;
        for (k, m) in r.max_size.iter().enumerate() {
            let (d, mi) = (k / r.models.len(), k % r.models.len());
            assert_eq!(
                (m.model.as_str(), m.duration_seconds),
                (r.models[mi].name.as_str(), r.durations[d].duration_seconds)
            );
            let q = m.max_size_btc.expect("a finite max size");
            assert!(m.avg_cost_at_max_bps.unwrap() <= limit);
            for qi in 0..r.sizes_btc.len() {
                let c = r.cell(qi, d, mi);
                if c.size_btc <= q {
                    assert!(c.avg_cost_bps <= limit, "{m:?} {c:?}");
                } else {
                    assert!(c.avg_cost_bps > limit, "{m:?} {c:?}");
                }
            }
            // Just above the answer the cost is over the limit; at it, within.
            let mut again = inp.clone();
            again.sizes_btc = vec![q, q * (1.0 + 1e-5)];
            again.durations_seconds = vec![r.durations[d].duration_seconds];
            again.max_cost_bps = None;
            let r2 = sweep(&again, None).unwrap();
            assert!(r2.cell(0, 0, mi).avg_cost_bps <= limit);
            assert!(r2.cell(1, 0, mi).avg_cost_bps > limit, "{m:?}");
        }
        // Square root with TWAP: cost ~ sqrt(Q), so Q* = Q0 (X / c0)^2.
        for d in 0..r.durations.len() {
            let c0 = r.cell(0, d, 0);
            let expect = c0.size_btc * (limit / c0.avg_cost_bps).powi(2);
            let got = r.max_size[d * r.models.len()].max_size_btc.unwrap();
            assert!((got / expect - 1.0).abs() < 2e-6, "{got} vs {expect}");
        }
    }

    #[test]
    fn inverse_query_outside_the_grid() {
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![86_400];
        // A limit so low that even the smallest grid size exceeds it, and one never reached.
        inp.max_cost_bps = Some(0.01);
        let r = sweep(&inp, None).unwrap();
        for m in &r.max_size {
            let q = m.max_size_btc.unwrap();
            assert!(q < 250.0 && q > 0.0, "{m:?}");
            assert!(m.avg_cost_at_max_bps.unwrap() <= 0.01);
        }
        inp.max_cost_bps = Some(1e9);
        let r = sweep(&inp, None).unwrap();
        assert!(r.max_size.iter().all(|m| m.max_size_btc.is_none()));
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
    fn model_filter_and_errors() {
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        inp.models = Some(vec!["linear".into(), "sqrt".into()]);
        let r = sweep(&inp, None).unwrap();
        // Scenario order, not flag order.
        let names: Vec<&str> = r.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["sqrt", "linear"]);
        inp.models = Some(vec!["garch".into()]);
        let e = sweep(&inp, None).unwrap_err().to_string();
        assert!(
            e.contains("`models` = \"garch\"") && e.contains("sqrt, power, linear"),
            "{e}"
        );
        let mut inp = input(&s, &src);
        inp.sizes_btc = vec![-1.0];
        assert!(sweep(&inp, None).unwrap_err().to_string().contains("sizes"));
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![0];
        assert!(sweep(&inp, None)
            .unwrap_err()
            .to_string()
            .contains("durations"));
        // Durations that round to the same grid are merged.
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![3_600, 3_700, 7_200];
        let r = sweep(&inp, None).unwrap();
        assert_eq!(r.durations.len(), 2);
        assert!(r.notes.iter().any(|n| n.contains("merged")));
    }

    #[test]
    fn scaled_sizes_equal_direct_evaluation() {
        let (mut s, src) = setup();
        for kind in ["twap", "front_loaded", "vwap", "pov"] {
            s.schedule.kind = kind.into();
            s.schedule.participation = Some(0.2);
            let inp = input(&s, &src);
            let fast = sweep(&inp, None).unwrap();
            let slow = sweep_with(&inp, None, false).unwrap();
            assert!(slow.scaling.iter().all(|x| x.size_exponent.is_none()));
            let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12);
            for (a, b) in fast.rows.iter().zip(&slow.rows) {
                for (x, y) in [
                    (a.avg_cost_bps, b.avg_cost_bps),
                    (a.avg_cost_low_bps, b.avg_cost_low_bps),
                    (a.avg_cost_high_bps, b.avg_cost_high_bps),
                    (a.peak_impact_bps, b.peak_impact_bps),
                    (a.peak_impact_low_bps, b.peak_impact_low_bps),
                    (a.peak_impact_high_bps, b.peak_impact_high_bps),
                    (a.permanent_impact_bps, b.permanent_impact_bps),
                ] {
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

    #[test]
    fn repeated_model_names_are_numbered() {
        let (mut s, src) = setup();
        s.models = vec![ModelSpec::Linear { k: 1.0 }, ModelSpec::Linear { k: 2.0 }];
        let r = sweep(&input(&s, &src), None).unwrap();
        assert_eq!(r.models[1].name, "linear#2");
        let (a, b) = (r.cell(2, 1, 0), r.cell(2, 1, 1));
        assert!((b.avg_cost_bps / a.avg_cost_bps - 2.0).abs() < 1e-12);
    }
}
