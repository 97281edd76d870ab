//! Reporting: memo-grade charts, a one-page memo and notebook exports of a backtest.
//!
//! Charts (PNG, or SVG; DejaVu Sans embedded, so output does not depend on the machine's fonts and
//! is byte-identical between runs), each with a title carrying the key result, axis labels with
//! units, a legend in its own band below the plot, thousands separators and UTC dates, colours that
//! survive greyscale printing (Okabe-Ito hues with dash patterns) and a footer with the scenario and
//! the data source:
//!
//! * `event`: observed price, sale window, reference levels, dated annotations, counterfactual
//!   paths per model with bands, implied average price ([`event_chart`]);
//! * `drag`: predicted impact over time per model against the observed abnormal drag;
//! * `size_curve`: cost and peak impact against sale size, log-log, with the implied shortfall;
//! * `sweep`: size x duration heatmap of expected cost with labelled contours (from a
//!   [`blocksale_backtest::sweep::SweepResult`]);
//! * `calibration`: the binned aggregate-impact curve with the power-law and linear fits;
//! * `volume`: hourly volume against the hour-of-week baseline, excess hours highlighted;
//! * `replay`: the distribution of replayed outcomes with the real event marked (from a
//!   [`blocksale_backtest::replay::ReplayResult`]).
//!
//! Every plotted series is a [`table::Table`] written as CSV by [`Report::exports`], so a chart can
//! be redrawn from its export alone; `memo.md` is the one-page memo.
//!
//! ```no_run
//! # fn f(input: blocksale_report::ReportInput<'_>) -> Result<(), blocksale_report::ReportError> {
//! use blocksale_report::{ChartOptions, Report};
//! let report = Report::build(input)?;
//! let opts = ChartOptions::default();
//! for name in report.chart_names() {
//!     report.render(name, std::path::Path::new(&format!("{name}.png")), &opts)?;
//! }
//! for (file, bytes) in report.exports(&opts)? {
//!     std::fs::write(file, bytes).unwrap();
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod calibration;
mod charts;
mod compare;
mod drag;
mod event;
mod export;
mod frame;
mod memo;
mod replay_chart;
mod scorecard_chart;
pub mod series;
mod size_curve;
mod sources;
mod style;
mod summary;
mod sweep_chart;
pub mod table;
mod text;
mod volume;

pub use calibration::calibration_chart;
pub use charts::names as chart_names_all;
pub use compare::{compare_chart, compare_table, compare_text, CompareRun};
pub use drag::drag_chart;
pub use event::event_chart;
pub use export::{result_json, write_paths_csv, NOTEBOOK_README};
pub use memo::memo_markdown;
pub use replay_chart::{replay_chart, replay_table};
pub use scorecard_chart::{scorecard_chart, scorecard_markdown, scorecard_table};
pub use size_curve::size_curve_chart;
pub use sources::source_line;
pub use style::{significant, thousands, ChartOptions};
pub use summary::summary;
pub use sweep_chart::{heatmap_flat, sweep_chart, sweep_table, CONTOUR_BPS, HEATMAP_MODEL};
pub use volume::volume_chart;

use blocksale_backtest::replay::ReplayResult;
use blocksale_backtest::sweep::SweepResult;
use blocksale_backtest::{BacktestInput, BacktestResult};
use std::collections::BTreeMap;
use std::path::Path;
use table::Table;
use thiserror::Error;

/// Errors of the report crate.
#[derive(Debug, Error)]
pub enum ReportError {
    /// Drawing failed (backend or font).
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The output path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Writing an export failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The output path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Nothing to draw.
    #[error("{0}")]
    Empty(String),
    /// Rerunning the backtest (size curve) failed.
    #[error(transparent)]
    Backtest(#[from] blocksale_backtest::BacktestError),
    /// An unknown chart name.
    #[error("unknown chart {name:?}: expected one of {expected}")]
    UnknownChart {
        /// The name asked for.
        name: String,
        /// Every chart's name.
        expected: String,
    },
}

/// What a report is made from.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// The backtest of the scenario.
    pub result: &'a BacktestResult,
    /// The scenario, its bars and data files (the size curve reruns the backtest on them; the volume
    /// chart reads the price venue's bars).
    pub backtest: BacktestInput<'a>,
    /// A size x duration sweep for `sweep.png` (none: no sweep chart).
    pub sweep: Option<&'a SweepResult>,
    /// A replay for `replay.png` (none: no replay chart).
    pub replay: Option<&'a ReplayResult>,
    /// Sizes of the size curve (empty: [`series::default_sizes`]).
    pub sizes_btc: Vec<f64>,
    /// Provenance lines for the memo (tool version, input hashes, seeds).
    pub provenance: Vec<String>,
}

/// A built report: every table computed once, charts and exports drawn from them.
#[derive(Debug)]
pub struct Report<'a> {
    input: ReportInput<'a>,
    tables: BTreeMap<&'static str, Table>,
    /// The charts whose data exist, in memo order, with the names of their tables.
    charts: Vec<(&'static str, Vec<&'static str>)>,
    lines: SourceLines,
}

/// Footer source lines: each chart names the venue and bars it draws on.
#[derive(Debug, Clone)]
pub(crate) struct SourceLines {
    /// The price venue (event, drag, size curve, sweep, volume).
    pub price: String,
    /// The calibration venue, when the scenario calibrates.
    pub calibration: Option<String>,
    /// The replay venue, when there is a replay.
    pub replay: Option<String>,
}

impl<'a> Report<'a> {
    /// Compute every series.
    ///
    /// # Errors
    /// [`ReportError`] when a rerun of the backtest for the size curve fails or the price venue has
    /// no bars.
    pub fn build(input: ReportInput<'a>) -> Result<Self, ReportError> {
        let r = input.result;
        let mut tables = BTreeMap::new();
        let mut charts = Vec::new();
        for c in charts::CHARTS {
            let built = c.tables(&input)?;
            if built.is_empty() {
                continue;
            }
            charts.push((c.name(), built.iter().map(|(n, _)| *n).collect()));
            tables.extend(built);
        }
        let lines = SourceLines {
            price: source_line(r, input.backtest.scenario),
            calibration: sources::calibration_line(&input.backtest),
            replay: input
                .replay
                .map(|rp| sources::replay_line(r, input.backtest.scenario, rp)),
        };
        Ok(Self {
            input,
            tables,
            charts,
            lines,
        })
    }

    /// The charts this report can draw (those whose data exist), in memo order.
    pub fn chart_names(&self) -> Vec<&'static str> {
        self.charts.iter().map(|(c, _)| *c).collect()
    }

    /// A computed table by name (`event`, `drag`, `size_curve`, `volume`, `calibration_bins`,
    /// `calibration_fit`, `sweep`, `replay`).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// What the report was built from.
    pub(crate) fn input(&self) -> &ReportInput<'a> {
        &self.input
    }

    /// The footer source lines.
    pub(crate) fn lines(&self) -> &SourceLines {
        &self.lines
    }

    /// Draw chart `name` to `path`.
    ///
    /// # Errors
    /// [`ReportError::UnknownChart`], [`ReportError::Empty`] when its data are missing,
    /// [`ReportError::Draw`] when drawing fails.
    pub fn render(&self, name: &str, path: &Path, o: &ChartOptions) -> Result<(), ReportError> {
        let def = charts::by_name(name)?;
        let names = self
            .charts
            .iter()
            .find(|(c, _)| *c == name)
            .map(|(_, t)| t)
            .ok_or_else(|| ReportError::Empty(format!("no data for the {name} chart")))?;
        let tables: Vec<&Table> = names.iter().map(|t| &self.tables[t]).collect();
        def.draw(self, &tables, path, o)
    }

    /// The exports, file name and bytes, in a fixed order: `result.json`, `paths.csv`, one CSV per
    /// table, `charts.json` (the scalars every chart marks: window, reference levels, annotations,
    /// implied price, headline models, source line, which CSV feeds which chart) and `memo.md`
    /// (which links the charts with `opts`' extension).
    ///
    /// # Errors
    /// [`ReportError`] when a table is inconsistent or serialisation fails.
    pub fn exports(&self, opts: &ChartOptions) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
        let r = self.input.result;
        let mut out = vec![("result.json".to_string(), result_json(r)?.into_bytes())];
        let mut paths = Vec::new();
        write_paths_csv(r, &mut paths, "paths.csv")?;
        out.push(("paths.csv".into(), paths));
        for (name, t) in &self.tables {
            out.push((format!("{name}.csv"), t.to_csv()?.into_bytes()));
        }
        let charts = self.chart_names();
        out.push((
            "charts.json".into(),
            export::charts_json(
                r,
                &export::ChartSources {
                    price: &self.lines.price,
                    calibration: self.lines.calibration.as_deref(),
                    replay: self.lines.replay.as_deref(),
                },
                &self.charts,
                self.input.sweep,
                self.input.replay,
            )?
            .into_bytes(),
        ));
        let files: Vec<String> = charts
            .iter()
            .map(|c| format!("{c}.{}", opts.ext()))
            .collect();
        out.push((
            "memo.md".into(),
            memo_markdown(r, &files, &self.input.provenance).into_bytes(),
        ));
        Ok(out)
    }
}
