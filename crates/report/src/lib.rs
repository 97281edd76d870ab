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
mod drag;
mod event;
mod export;
mod frame;
mod memo;
mod replay_chart;
pub mod series;
mod size_curve;
mod sources;
mod style;
mod sweep_chart;
pub mod table;
mod volume;

pub use calibration::calibration_chart;
pub use drag::drag_chart;
pub use event::event_chart;
pub use export::{result_json, write_paths_csv, NOTEBOOK_README};
pub use memo::memo_markdown;
pub use replay_chart::{replay_chart, replay_table};
pub use size_curve::size_curve_chart;
pub use sources::source_line;
pub use style::{thousands, ChartOptions};
pub use sweep_chart::{heatmap_model, sweep_chart, sweep_table, CONTOUR_BPS};
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
    #[error("unknown chart {0:?}: expected one of event, drag, size_curve, sweep, calibration, volume, replay")]
    UnknownChart(String),
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
    lines: SourceLines,
}

/// Footer source lines: each chart names the venue and bars it draws on.
#[derive(Debug, Clone)]
struct SourceLines {
    /// The price venue (event, drag, size curve, sweep, volume).
    price: String,
    /// The calibration venue, when the scenario calibrates.
    calibration: Option<String>,
    /// The replay venue, when there is a replay.
    replay: Option<String>,
}

/// Chart names in memo order.
pub const CHARTS: [&str; 7] = [
    "event",
    "drag",
    "size_curve",
    "sweep",
    "calibration",
    "volume",
    "replay",
];

impl<'a> Report<'a> {
    /// Compute every series.
    ///
    /// # Errors
    /// [`ReportError`] when a rerun of the backtest for the size curve fails or the price venue has
    /// no bars.
    pub fn build(input: ReportInput<'a>) -> Result<Self, ReportError> {
        let r = input.result;
        let mut tables = BTreeMap::new();
        tables.insert("event", series::event_table(r));
        tables.insert("drag", series::drag_table(r));
        let sizes = if input.sizes_btc.is_empty() {
            series::default_sizes(r.scenario.size_btc)
        } else {
            input.sizes_btc.clone()
        };
        tables.insert(
            "size_curve",
            series::size_curve_table(&input.backtest, &sizes)?,
        );
        let bars = blocksale_backtest::source(
            input.backtest.sources,
            &input.backtest.scenario.data.price,
        )?;
        tables.insert("volume", series::volume_table(r, bars));
        if r.market.calibration.is_some() {
            tables.insert("calibration_bins", series::calibration_bins_table(r));
            tables.insert("calibration_fit", series::calibration_fit_table(r));
        }
        if let Some(sw) = input.sweep {
            tables.insert("sweep", sweep_chart::sweep_table(sw, r.scenario.size_btc));
        }
        if let Some(rp) = input.replay {
            tables.insert("replay", replay_chart::replay_table(rp));
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
            lines,
        })
    }

    /// The charts this report can draw (those whose data exist), in memo order.
    pub fn chart_names(&self) -> Vec<&'static str> {
        CHARTS
            .iter()
            .copied()
            .filter(|c| match *c {
                "calibration" => self.tables.contains_key("calibration_bins"),
                other => self.tables.contains_key(other),
            })
            .collect()
    }

    /// A computed table by name (`event`, `drag`, `size_curve`, `volume`, `calibration_bins`,
    /// `calibration_fit`, `sweep`, `replay`).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// "Binance USD-M ... 15m, 90 days before the sale" for the calibration chart.
    fn calibration_venue(&self) -> String {
        let s = self.input.backtest.scenario;
        s.calibration.as_ref().map_or(String::new(), |c| {
            format!(
                "Bars: {}, the {} days before the sale",
                s.source(&c.venue)
                    .map_or(c.venue.as_str(), |x| x.description.as_str()),
                c.days
            )
        })
    }

    fn t(&self, name: &str) -> Result<&Table, ReportError> {
        self.tables
            .get(name)
            .ok_or_else(|| ReportError::Empty(format!("no data for the {name} chart")))
    }

    /// Draw chart `name` to `path`.
    ///
    /// # Errors
    /// [`ReportError::UnknownChart`], [`ReportError::Empty`] when its data are missing,
    /// [`ReportError::Draw`] when drawing fails.
    pub fn render(&self, name: &str, path: &Path, o: &ChartOptions) -> Result<(), ReportError> {
        let r = self.input.result;
        let src = &self.lines.price;
        match name {
            "event" => event_chart(r, src, path, o),
            "drag" => drag_chart(r, src, path, o),
            "size_curve" => size_curve_chart(r, self.t("size_curve")?, src, path, o),
            "volume" => volume_chart(
                r,
                self.t("volume")?,
                &self.input.backtest.scenario.data.price,
                src,
                path,
                o,
            ),
            "calibration" => calibration_chart(
                r,
                self.t("calibration_bins")?,
                self.t("calibration_fit")?,
                &self.calibration_venue(),
                self.lines.calibration.as_deref().unwrap_or(src),
                path,
                o,
            ),
            "sweep" => {
                let sw = self
                    .input
                    .sweep
                    .ok_or_else(|| ReportError::Empty("no sweep for sweep.png".into()))?;
                sweep_chart::sweep_chart(r, sw, self.t("sweep")?, src, path, o)
            }
            "replay" => {
                let rp = self
                    .input
                    .replay
                    .ok_or_else(|| ReportError::Empty("no replay for replay.png".into()))?;
                let line = self.lines.replay.as_deref().unwrap_or(src);
                replay_chart::replay_chart(r, rp, self.t("replay")?, line, path, o)
            }
            other => Err(ReportError::UnknownChart(other.to_string())),
        }
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
                &charts,
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
