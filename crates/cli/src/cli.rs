//! Command-line definition. Each subcommand's flags live in its module under `cmd/`.

use crate::cmd;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Estimate the price impact of a large BTC block sale from public OHLCV data and set it against
/// what the market did.
#[derive(Debug, Parser)]
#[command(name = "blocksale", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Data directory holding the bar files the scenario names [env: BLOCKSALE_DATA]
    #[arg(
        long,
        global = true,
        env = "BLOCKSALE_DATA",
        value_name = "DIR",
        hide_env = true
    )]
    pub data: Option<PathBuf>,

    /// No progress bars
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Replace output files that blocksale did not write itself (by default it refuses, exit code 2)
    #[arg(long, global = true)]
    pub force: bool,

    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success, 1 internal error, 2 user error (bad input file, flag or scenario value, missing data).";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Price a block sale against the observed market: market state, model drag, implied execution, chart
    Backtest(cmd::backtest::Args),
    /// Detect formats and summarise bar files: rows, first and last bar, bar size, gaps, duplicates
    Inspect(cmd::inspect::Args),
    /// Resample bar files to 1m..1w UTC buckets and write normalized CSV
    Resample(cmd::resample::Args),
    /// Download Binance's public kline archive (checksum-verified, resumable) into the data directory
    Fetch(cmd::fetch::Args),
    /// Print a shell completion script (bash, zsh or fish) to stdout
    Completions(cmd::completions::Args),
    /// Every chart, a one-page memo and notebook exports (CSV/JSON of each plotted series) for a scenario
    Report(cmd::report::Args),
    /// What-if calculator for one impact model with explicit parameters
    Model(Box<cmd::model::Args>),
    /// Every OHLCV estimator (volatility, spreads, Amihud, ADV, Kyle lambda) on some bars
    Estimate(cmd::estimate::Args),
    /// Fit the aggregate-impact curve and Kyle lambda on bars with taker-buy volume
    Calibrate(cmd::calibrate::Args),
    /// Cost and peak impact over sizes x durations x models, and the largest size within a cost limit
    Sweep(cmd::sweep::Args),
    /// The scenario's sale at every weekend (or day) of a date range: predicted vs observed, and the real event's percentile
    Replay(cmd::replay::Args),
    /// Every model against the costs real disclosed block trades imply (data/events/): bias, RMSE
    /// and coverage in noise units, a pooled square-root fit and a verdict
    Scorecard(cmd::scorecard::Args),
}

impl Cli {
    /// True when the subcommand was asked for JSON output (errors then also go to stdout as JSON).
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Backtest(a) => a.json,
            Command::Fetch(_) | Command::Completions(_) => false,
            Command::Model(a) => a.json,
            Command::Report(a) => a.json,
            Command::Estimate(a) => a.json,
            Command::Calibrate(a) => a.json,
            Command::Sweep(a) => a.json,
            Command::Replay(a) => a.json,
            Command::Scorecard(a) => a.json,
            Command::Inspect(a) => a.json,
            Command::Resample(_) => false,
        }
    }
}
