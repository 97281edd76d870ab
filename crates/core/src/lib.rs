//! Domain types shared by every blocksale crate.
//!
//! * [`BarSeries`]: OHLCV bars as a struct of arrays, sorted by open time, validated on construction.
//! * [`Timestamp`]: an instant as epoch milliseconds UTC, with RFC 3339 formatting and parsing.
//! * [`Side`] and the unit newtypes [`Btc`], [`Usd`], [`Bps`].
//! * Calendar helpers: UTC day buckets, weekend flag, hour of week.
//!
//! ```
//! use blocksale_core::{BarColumns, BarSeries, Timestamp};
//! let t0 = Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").unwrap();
//! let mut cols = BarColumns::default();
//! for i in 0..3 {
//!     cols.push_ohlcv(t0.as_millis() + i * 60_000, 100.0, 101.0, 99.0, 100.5, 2.0);
//! }
//! let bars = BarSeries::new_checked(cols, 60).unwrap();
//! assert_eq!(bars.len(), 3);
//! assert_eq!(bars.resample(3_600).unwrap().volume(), &[6.0]);
//! ```
#![forbid(unsafe_code)]

mod bars;
mod error;
mod time;
mod units;

pub use bars::{BarColumns, BarSeries, VolumeUnit};
pub use error::CoreError;
pub use time::{
    day_start_ms, duration_label, hour_of_week, is_weekend, Timestamp, MS_PER_DAY, MS_PER_HOUR,
    MS_PER_MINUTE,
};
pub use units::{Bps, Btc, Side, Usd};
