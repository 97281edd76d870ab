//! `blocksale backtest`: one scenario end to end.

use super::Global;
use crate::error::{user, UserContext};
use crate::output::Staging;
use blocksale_backtest::{run as run_backtest, BacktestInput};
use blocksale_report::{event_chart, result_json, write_paths_csv, ChartOptions};
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Flags of `blocksale backtest`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Examples:\n  BLOCKSALE_DATA=../shared/data blocksale backtest\n  blocksale backtest --size 10000 --end 2026-02-08        what if 10,000 BTC in one day?\n  blocksale backtest --set schedule.kind=block --set market.volume_basis=all\n  blocksale backtest --set models.sqrt.y=0.6 --set side=buy --json\n\nA run with any override is a what-if: result.json has a what_if section, titles say \"What if ...\", numbers derived from the disclosure are left out when the trade changes, and the default output folder is notebooks-exports/<scenario>/what-if-<overrides>/."
)]
pub struct Args {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: crate::scenario::ScenarioArgs,
    /// Shorthand for --set market.calibration_days=DAYS: days of market history before the sale
    /// day for sigma, ADV and the volume profile [default: the scenario's, 30 for Cango]
    #[arg(long, value_name = "DAYS")]
    pub calibration_days: Option<u32>,
    /// Print the result document as JSON on stdout instead of the summary table
    #[arg(long)]
    pub json: bool,
    /// Output folder for result.json, paths.csv and event.png [default: notebooks-exports/<scenario>/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Download missing data files from Binance's public archive first (when the scenario names
    /// archive files or folders; BLOCKSALE_ARCHIVE_URL sets the archive URL)
    #[arg(long)]
    pub fetch: bool,
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut args = a.scenario.clone();
    if let Some(d) = a.calibration_days {
        args.set.insert(0, format!("market.calibration_days={d}"));
    }
    let loaded_scenario = args.load()?;
    let scenario = loaded_scenario.scenario.clone();
    if a.fetch && g.data.is_none() {
        return Err(user(
            "--fetch needs --data DIR (or BLOCKSALE_DATA): the folder to download the archive files into",
        ));
    }
    let dir = crate::data::data_dir(g.data.as_deref())?;
    crate::fetch::scenario::ensure_scenario_data(
        &dir,
        &scenario,
        a.fetch,
        &archive_url(),
        g.quiet,
    )?;
    let loaded = crate::data::load_sources(&dir, &scenario, g.quiet)?;
    let input = BacktestInput {
        scenario: &scenario,
        sources: &loaded.series,
        data_files: loaded.files_rel.clone(),
        what_if: loaded_scenario.what_if.clone(),
    };
    let result = run_backtest(&input)
        .user_err(|| format!("scenario {} on data in {}", scenario.name, dir.display()))?;

    let out = loaded_scenario.out_dir(a.out);
    let inputs: Vec<PathBuf> = loaded.files_abs.clone();
    let mut stage = Staging::new(&out, &inputs, g.force)?;
    let json = result_json(&result)?;
    stage.write("result.json", json.as_bytes())?;
    let mut csv = Vec::new();
    write_paths_csv(&result, &mut csv, "paths.csv")?;
    stage.write("paths.csv", &csv)?;
    let files: Vec<(String, PathBuf)> = loaded
        .files_rel
        .iter()
        .cloned()
        .zip(loaded.files_abs.iter().cloned())
        .collect();
    let manifest = crate::manifest::manifest_json(
        "backtest",
        &scenario,
        &files,
        &["result.json", "paths.csv", "event.png", "manifest.json"],
    )?;
    stage.write("manifest.json", manifest.as_bytes())?;
    let png = stage.path("event.png")?;
    event_chart(
        &result,
        &blocksale_report::source_line(&result, &scenario),
        &png,
        &ChartOptions::default(),
    )?;
    let written = stage.commit()?;

    crate::output::print_result(
        a.json,
        &json,
        || blocksale_report::summary(&result),
        &written,
    )
}

/// `BLOCKSALE_ARCHIVE_URL`, else Binance's public archive.
fn archive_url() -> String {
    std::env::var("BLOCKSALE_ARCHIVE_URL")
        .unwrap_or_else(|_| crate::fetch::DEFAULT_BASE_URL.to_string())
}
