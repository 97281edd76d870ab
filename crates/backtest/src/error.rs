use thiserror::Error;

/// Errors of the backtest engine.
#[derive(Debug, Error)]
pub enum BacktestError {
    /// A scenario key has a value outside its allowed range.
    #[error("scenario key `{key}` = {value}: expected {expected}")]
    Scenario {
        /// The key, dotted (`market.calibration_days`).
        key: String,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The bars do not cover what the analysis needs.
    #[error("{0}")]
    Coverage(String),
    /// A model could not be built or evaluated.
    #[error(transparent)]
    Impact(#[from] blocksale_impact::ImpactError),
}
