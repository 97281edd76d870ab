//! Backtest engine: a disclosed block sale (a [`Scenario`]) set against what the market did.
//!
//! Pure: no I/O, no printing, no clock. The CLI loads the bars of every source and hands them in;
//! this crate measures the market state before the sale ([`MarketState`]), places the schedule on
//! the bar grid, runs every configured impact model with its uncertainty band, compares the
//! predictions with the observed path (markouts, an event study with zero expected return by
//! default or a constant mean, MacKinlay's variance and an event-variance check, volume and
//! signed-flow footprint) and with the price
//! implied by the disclosure, and returns a versioned, serialisable [`BacktestResult`]. [`sweep`]
//! and [`replay`] rerun the models over grids of sizes and durations and over historical start
//! dates.
//!
//! ```
//! use blocksale_backtest::{run, BacktestInput, Scenario};
//! use blocksale_core::{BarColumns, BarSeries};
//! use std::collections::BTreeMap;
//!
//! let scenario = Scenario::example();
//! // 70 days of hourly bars around the window.
//! let t0 = scenario.start.as_millis() - 60 * 86_400_000;
//! let mut cols = BarColumns::default();
//! for i in 0..(70 * 24) {
//!     let p = 70_000.0 * (1.0 + 0.01 * ((i as f64) * 0.3).sin());
//!     cols.push_ohlcv(t0 + i * 3_600_000, p, p * 1.002, p * 0.998, p, 1_000.0);
//! }
//! let bars = BarSeries::new_checked(cols, 3_600).unwrap();
//! let sources = BTreeMap::from([("synthetic".to_string(), bars)]);
//! let result = run(&BacktestInput { scenario: &scenario, sources: &sources, data_files: vec![], what_if: None }).unwrap();
//! assert_eq!(result.models.len(), 2);
//! assert!(result.models[0].peak_impact_bps > 0.0);
//! ```
#![forbid(unsafe_code)]

pub mod csvfmt;
mod engine;
mod error;
mod event_study;
mod footprint;
mod market;
pub mod models;
mod observed;
pub mod replay;
mod result;
mod rolling;
mod scenario;
pub mod scorecard;
pub mod sweep;

pub use blocksale_impact::estimators::mean_sd;
/// The range each model was validated on, the sale in its terms and what it crosses.
pub use blocksale_impact::validity;
pub use engine::{run, run_calibration, sale_day, BacktestInput, MARKOUT_HOURS};
pub use error::BacktestError;
pub use market::{calibration_window, source, MarketState, VenueAdv};
pub use result::*;
pub use scenario::*;
