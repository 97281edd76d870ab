//! The chart registry: every chart of a report, registered once, in memo order.
//!
//! A chart is a [`ChartDef`] beside its drawing code (`event.rs`, `drag.rs`, ...): its name (the
//! file stem), the tables it draws from (built once by [`crate::Report::build`], exported as
//! `<table>.csv` and listed in `charts.json`) and how it draws itself. Adding a chart takes its file
//! with its `ChartDef` and one line in [`CHARTS`].

use crate::style::ChartOptions;
use crate::table::Table;
use crate::{Report, ReportError, ReportInput};
use std::path::Path;

/// One chart of a report.
pub(crate) trait ChartDef: Sync {
    /// Name and file stem (`event` -> `event.png`).
    fn name(&self) -> &'static str;
    /// Its tables, by name; empty when the data it needs are missing (no chart then).
    ///
    /// # Errors
    /// When computing a table fails (the size curve reruns the backtest).
    fn tables(&self, input: &ReportInput<'_>) -> Result<Vec<(&'static str, Table)>, ReportError>;
    /// Draw it from the report and its `tables` (in the order [`ChartDef::tables`] gave them).
    ///
    /// # Errors
    /// [`ReportError`] when drawing fails.
    fn draw(
        &self,
        report: &Report<'_>,
        tables: &[&Table],
        path: &Path,
        o: &ChartOptions,
    ) -> Result<(), ReportError>;
}

/// Every chart, in memo order.
pub(crate) const CHARTS: [&dyn ChartDef; 7] = [
    &crate::event::EventDef,
    &crate::drag::DragDef,
    &crate::size_curve::SizeCurveDef,
    &crate::sweep_chart::SweepDef,
    &crate::calibration::CalibrationDef,
    &crate::volume::VolumeDef,
    &crate::replay_chart::ReplayDef,
];

/// The chart called `name`.
///
/// # Errors
/// [`ReportError::UnknownChart`] naming every chart.
pub(crate) fn by_name(name: &str) -> Result<&'static dyn ChartDef, ReportError> {
    CHARTS
        .iter()
        .copied()
        .find(|c| c.name() == name)
        .ok_or_else(|| ReportError::UnknownChart {
            name: name.to_string(),
            expected: names().join(", "),
        })
}

/// Every chart's name, in memo order.
pub fn names() -> Vec<&'static str> {
    CHARTS.iter().map(|c| c.name()).collect()
}
