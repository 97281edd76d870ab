//! Backtest engine: a disclosed block sale (a [`Scenario`]) set against what the market did.
//!
//! Pure: no I/O, no printing, no clock. The CLI loads bars and hands them in; this crate measures the
//! market state before the sale ([`MarketState`]), runs every configured impact model on the bar grid,
//! compares the predictions with the observed path and with the price implied by the disclosure, and
//! returns a versioned, serialisable [`BacktestResult`].
//!
//! ```
//! use blocksale_backtest::{run, BacktestInput, Scenario};
//! use blocksale_core::{BarColumns, BarSeries, Timestamp};
//!
//! let scenario = Scenario::example();
//! // 40 days of flat hourly bars around the window.
//! let t0 = scenario.start.as_millis() - 35 * 86_400_000;
//! let mut cols = BarColumns::default();
//! for i in 0..(40 * 24) {
//!     let p = 70_000.0 * (1.0 + 0.01 * ((i as f64) * 0.3).sin());
//!     cols.push_ohlcv(t0 + i * 3_600_000, p, p * 1.002, p * 0.998, p, 1_000.0);
//! }
//! let bars = BarSeries::new_checked(cols, 3_600).unwrap();
//! let result = run(&BacktestInput { scenario: &scenario, bars: &bars, data_files: vec!["synthetic".into()] }).unwrap();
//! assert_eq!(result.models.len(), 2);
//! assert!(result.models[0].peak_impact_bps > 0.0);
//! ```
#![forbid(unsafe_code)]

mod engine;
mod error;
mod market;
mod result;
mod scenario;

pub use engine::{run, BacktestInput};
pub use error::BacktestError;
pub use market::{daily_bars, MarketState};
pub use result::{
    BacktestResult, ImpliedSection, ModelResult, ObservedSection, PathRow, ScenarioSection,
    SCHEMA_VERSION,
};
pub use scenario::{DataSpec, MarketSpec, ModelSpec, ReferenceLevel, Scenario, VolumeBasis};
