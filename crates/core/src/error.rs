use thiserror::Error;

/// Errors raised when a value would break an invariant of a domain type.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// A quantity that must be finite (and sometimes positive) was not.
    #[error("{what} must be {expected}, got {value}")]
    InvalidValue {
        /// Which quantity.
        what: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What was expected, e.g. "finite and > 0".
        expected: &'static str,
    },
    /// Columns of a bar series differ in length.
    #[error("column {column} has {len} values, expected {expected} (one per bar)")]
    ColumnLength {
        /// The column name.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The length of `open_time`.
        expected: usize,
    },
    /// Bars are not strictly increasing in open time.
    #[error("bar {index} opens at {time}, not after the previous bar at {previous}")]
    Unsorted {
        /// Index of the bar.
        index: usize,
        /// Its open time (RFC 3339).
        time: String,
        /// The previous bar's open time (RFC 3339).
        previous: String,
    },
    /// A bar violates the OHLC ordering or has a negative volume.
    #[error("bar at {time}: {problem}")]
    BadBar {
        /// Open time of the bar (RFC 3339).
        time: String,
        /// What is wrong.
        problem: String,
    },
    /// A timestamp string could not be parsed.
    #[error("cannot parse {value:?} as a UTC time (expected RFC 3339 like 2026-02-07T00:00:00Z, or YYYY-MM-DD)")]
    BadTime {
        /// The input.
        value: String,
    },
}
