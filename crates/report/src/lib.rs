//! Reporting: memo-grade charts and machine-readable exports of a backtest.
//!
//! * [`event_chart`]: the observed price around the sale, the window shaded, reference levels, one
//!   counterfactual path per model, the implied average price; PNG (or SVG) with a bundled font
//!   (DejaVu Sans, embedded), so output does not depend on the fonts of the machine and is
//!   byte-identical between runs.
//! * [`write_paths_csv`] and [`result_json`]: the exports a notebook reads.
//!
//! ```no_run
//! # fn f(result: &blocksale_backtest::BacktestResult) -> Result<(), blocksale_report::ReportError> {
//! use blocksale_report::{event_chart, ChartOptions};
//! event_chart(result, "Source: Binance spot", std::path::Path::new("event.png"), &ChartOptions::default())?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod event;
mod export;
mod style;

pub use event::event_chart;
pub use export::{result_json, write_paths_csv};
pub use style::{thousands, ChartOptions};

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
}
