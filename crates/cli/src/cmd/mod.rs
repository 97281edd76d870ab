//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod backtest;
pub mod calibrate;
pub mod completions;
pub mod estimate;
pub mod fetch;
pub mod inspect;
pub mod model;
pub mod replay;
pub mod report;
pub mod resample;
pub mod scorecard;
pub mod sweep;

use crate::cli::{Cli, Command};

/// Dispatch to the subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let global = Global {
        data: cli.data,
        quiet: cli.quiet,
        force: cli.force,
    };
    match cli.command {
        Command::Backtest(args) => backtest::run(&global, args),
        Command::Fetch(args) => fetch::run(&global, args),
        Command::Completions(args) => completions::run(args),
        Command::Model(args) => model::run(*args),
        Command::Report(args) => report::run(&global, args),
        Command::Estimate(args) => estimate::run(&global, args),
        Command::Calibrate(args) => calibrate::run(&global, args),
        Command::Sweep(args) => sweep::run(&global, args),
        Command::Replay(args) => replay::run(&global, args),
        Command::Inspect(args) => inspect::run(&global, args),
        Command::Resample(args) => resample::run(&global, args),
        Command::Scorecard(args) => scorecard::run(&global, args),
    }
}

/// Flags every subcommand sees.
#[derive(Debug, Clone)]
pub struct Global {
    /// `--data` / `BLOCKSALE_DATA`.
    pub data: Option<std::path::PathBuf>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--force`: replace output files blocksale did not write.
    pub force: bool,
}
