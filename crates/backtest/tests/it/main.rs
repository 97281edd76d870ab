//! Integration tests of the backtest engine on synthetic bars.

mod planted;
