//! Market-impact models for a block sale, with the schedules that feed them.
//!
//! Pure maths: no I/O, no polars, no clock, seeded randomness only.
//!
//! * [`models`]: the [`ImpactModel`] family (power law, linear, Kyle, ATHL, Almgren-Chriss,
//!   exponential kernel, power-law propagator), one file each, with a [`Decay`] rule after the sale.
//! * [`schedules`]: the [`Schedule`] family (TWAP, block, front/back-loaded, VWAP, POV,
//!   Almgren-Chriss and Obizhaeva-Wang optima, user quantities) on a [`SaleWindow`], and the
//!   scenario's [`schedules::ScheduleSpec`] that places a sale through them.
//! * [`estimators`]: volatility ([`estimators::VolEstimator`]), spreads
//!   ([`estimators::SpreadEstimator`], EDGE with intermediates), Amihud, ADV, Kyle's lambda.
//! * [`calibration`]: the aggregate-impact curve from bars with bootstrap intervals.
//! * [`uncertainty`]: parameter bands combined with timing risk.
//! * [`validity`]: the range each model was validated on, and the warning outside it.
//!
//! Conventions (docs/methods.md §1): impact `I` is the adverse fractional price move (a sale of `Q`
//! BTC moves the price by `dP/P = -I`); `sigma_daily` is the daily volatility of log returns;
//! `adv_btc` is the average daily volume in BTC on the venues the sale is assumed to hit.
//!
//! ```
//! use blocksale_impact::{models::PowerLaw, schedules::twap, ExecutionGrid, ImpactModel, MarketInputs};
//! let market = MarketInputs::new_checked(0.03, 30_000.0).unwrap();
//! let grid = ExecutionGrid::uniform(twap(4451.0, 48), 48, 2.0).unwrap();
//! let path = PowerLaw::square_root().path(&grid, &market);
//! assert!((path.peak - 0.0104).abs() < 1e-4); // 0.9 * 3% * sqrt(4451/30000) = 1.040 %
//! assert!((path.avg_cost - path.peak * 2.0 / 3.0).abs() < 1e-12);
//! ```
#![forbid(unsafe_code)]

pub mod calibration;
mod error;
pub mod estimators;
mod grid;
pub mod models;
pub mod rng;
pub mod schedules;
pub mod uncertainty;
pub mod validity;

pub use error::{ImpactError, SpecError};
pub use grid::{ExecutionGrid, ImpactPath, MarketInputs};
pub use models::{Decay, ImpactModel};
pub use schedules::{SaleWindow, Schedule};
