use thiserror::Error;

/// Errors of the impact crate: a parameter or input outside its domain.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ImpactError {
    /// A parameter is outside its allowed range.
    #[error("parameter {name} = {value} is invalid: expected {expected}")]
    Param {
        /// Parameter name as the user types it (e.g. `sigma_daily`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range.
        expected: &'static str,
    },
    /// Inputs are inconsistent (lengths, empty grids).
    #[error("{0}")]
    Input(String),
}

/// Check that `value` is finite and `> 0`.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, ImpactError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ImpactError::Param {
            name,
            value,
            expected: "a finite number > 0",
        })
    }
}

/// Check that `value` is finite and `>= 0`.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, ImpactError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ImpactError::Param {
            name,
            value,
            expected: "a finite number >= 0",
        })
    }
}

/// A key of a scenario table (the `[schedule]` table, a `[[models]]` entry) whose value is missing
/// or outside its range: the dotted key, the value as written and what is allowed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("scenario key `{key}` = {value}: expected {expected}")]
pub struct SpecError {
    /// The key (`schedule.kind`; `y` within a `[[models]]` entry).
    pub key: String,
    /// The value given (`missing` when absent).
    pub value: String,
    /// What is allowed.
    pub expected: String,
}

impl SpecError {
    /// `key = value: expected ...`.
    pub fn new(key: impl Into<String>, value: impl ToString, expected: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}
