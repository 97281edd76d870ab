//! `blocksale scorecard`: every model against the costs that real disclosed block trades imply.

use super::Global;
use crate::error::{user, UserContext};
use crate::output::Staging;
use blocksale_backtest::scorecard::{scorecard, Scorecard};
use blocksale_backtest::{run as run_backtest, BacktestInput};
use blocksale_report::{scorecard_chart, scorecard_markdown, scorecard_table, ChartOptions};
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Flags of `blocksale scorecard`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Each *.toml in DIR is a scenario with a disclosure (data/events/README.md): every one runs as `blocksale backtest` would, then each model's predicted average cost is set against the cost the disclosure implies, in units of the noise of that implied cost.

Example:
  BLOCKSALE_DATA=../shared/data blocksale scorecard
  blocksale scorecard data/events --out memo/scorecard --json"
)]
pub struct Args {
    /// Folder of event scenarios [default: data/events]
    #[arg(value_name = "DIR", default_value = "data/events")]
    pub dir: PathBuf,
    /// Output folder for scorecard.csv, .json, .png and .md [default: notebooks-exports/scorecard/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print scorecard.json on stdout instead of the tables
    #[arg(long)]
    pub json: bool,
    /// Seed of the bootstrap over events
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .user_err(|| format!("cannot read the events folder {}", a.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(user(format!(
            "no *.toml event scenario in {}",
            a.dir.display()
        )));
    }
    let dir = crate::data::data_dir(g.data.as_deref())?;
    let mut results = Vec::with_capacity(files.len());
    let mut inputs = Vec::new();
    for f in &files {
        let l = crate::scenario::load(Some(f), &[])?;
        let loaded = crate::data::load_sources(&dir, &l.scenario, true)?;
        let r = run_backtest(&BacktestInput {
            scenario: &l.scenario,
            sources: &loaded.series,
            data_files: loaded.files_rel.clone(),
            what_if: None,
        })
        .user_err(|| format!("event {} on data in {}", f.display(), dir.display()))?;
        inputs.extend(loaded.files_abs.iter().cloned());
        results.push(r);
    }
    inputs.sort();
    inputs.dedup();
    let card: Scorecard = scorecard(&results, a.seed);
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("notebooks-exports").join("scorecard"));
    let mut stage = Staging::new(&out, &inputs, g.force)?;
    let json = serde_json::to_string_pretty(&card)? + "\n";
    stage.write("scorecard.json", json.as_bytes())?;
    stage.write("scorecard.csv", scorecard_table(&card).to_csv()?.as_bytes())?;
    let md = scorecard_markdown(&card);
    stage.write("scorecard.md", md.as_bytes())?;
    let png = stage.path("scorecard.png")?;
    scorecard_chart(
        &card,
        &format!(
            "Source: {} event scenarios in {} (disclosures: each file's [[disclosure.sources]]); bars: Binance spot BTCUSDT. blocksale {}.",
            files.len(),
            a.dir.display(),
            env!("CARGO_PKG_VERSION")
        ),
        &png,
        &ChartOptions::default(),
    )?;
    let written = stage.commit()?;
    crate::output::print_result(a.json, &json, || md.clone(), &written)
}
