//! Integration tests of the backtest engine on synthetic bars.

mod disclosure;
mod planted;
