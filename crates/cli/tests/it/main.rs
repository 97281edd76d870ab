//! End-to-end tests of the `blocksale` binary (one integration-test binary per crate).

mod backtest;
mod common;
mod events;
mod fetch;
mod help;
mod inspect;
mod interrupt;
mod model;
mod pipe;
mod replay;
mod report;
mod scenario_fetch;
mod scorecard;
mod sweep;
