//! blocksale-backtest (being built).
#![forbid(unsafe_code)]
