//! `blocksale backtest`: one scenario end to end.

use super::Global;
use crate::error::{user, UserContext};
use crate::output::Staging;
use blocksale_backtest::{run as run_backtest, BacktestInput, BacktestResult, Scenario};
use blocksale_report::{
    compare_chart, compare_table, compare_text, event_chart, result_json, write_paths_csv,
    ChartOptions, CompareRun,
};
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// Flags of `blocksale backtest`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Examples:\n  BLOCKSALE_DATA=../shared/data blocksale backtest\n  blocksale backtest --size 10000 --end 2026-02-08        what if 10,000 BTC in one day?\n  blocksale backtest --set schedule.kind=block --set market.volume_basis=all\n  blocksale backtest --set models.sqrt.y=0.6 --set side=buy --json\n  blocksale backtest --vary size_btc=2000,4451,10000                    three sizes side by side\n\nA run with any override is a what-if: result.json has a what_if section, titles say \"What if ...\", numbers derived from the disclosure are left out when the trade changes, and the default output folder is notebooks-exports/<scenario>/what-if-<overrides>/."
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
    /// Several what-ifs side by side: one run per value of one dotted key (KEY=V1,V2,...), each in
    /// its own folder, a comparison table, compare.csv and compare.png [default folder:
    /// notebooks-exports/<scenario>/vary-<key>/]
    #[arg(long, value_name = "KEY=LIST")]
    pub vary: Option<String>,
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
    if a.fetch && g.data.is_none() {
        return Err(user(
            "--fetch needs --data DIR (or BLOCKSALE_DATA): the folder to download the archive files into",
        ));
    }
    if let Some(v) = &a.vary {
        return run_vary(g, &a, args, v);
    }
    let scenario = args.load()?;
    let (result, loaded) = compute(g, &scenario, a.fetch)?;
    let out = scenario.out_dir(a.out.clone());
    let (json, written) = write_run(g, &out, &scenario.scenario, &result, &loaded)?;
    crate::output::print_result(
        a.json,
        &json,
        || blocksale_report::summary(&result),
        &written,
    )
}

/// Load the data a scenario names (fetching it first with `--fetch`) and run the backtest.
fn compute(
    g: &Global,
    l: &crate::scenario::Loaded,
    fetch: bool,
) -> anyhow::Result<(BacktestResult, crate::data::Sources)> {
    let scenario = &l.scenario;
    let dir = crate::data::data_dir(g.data.as_deref())?;
    crate::fetch::scenario::ensure_scenario_data(&dir, scenario, fetch, &archive_url(), g.quiet)?;
    let loaded = crate::data::load_sources(&dir, scenario, g.quiet)?;
    let input = BacktestInput {
        scenario,
        sources: &loaded.series,
        data_files: loaded.files_rel.clone(),
        what_if: l.what_if.clone(),
    };
    let result = run_backtest(&input)
        .user_err(|| format!("scenario {} on data in {}", scenario.name, dir.display()))?;
    Ok((result, loaded))
}

/// Write `result.json`, `paths.csv`, `manifest.json` and `event.png` of one run into `out`,
/// together; the JSON text and the files written.
fn write_run(
    g: &Global,
    out: &Path,
    scenario: &Scenario,
    result: &BacktestResult,
    loaded: &crate::data::Sources,
) -> anyhow::Result<(String, Vec<PathBuf>)> {
    let mut stage = Staging::new(out, &loaded.files_abs, g.force)?;
    let json = result_json(result)?;
    stage.write("result.json", json.as_bytes())?;
    let mut csv = Vec::new();
    write_paths_csv(result, &mut csv, "paths.csv")?;
    stage.write("paths.csv", &csv)?;
    let files: Vec<(String, PathBuf)> = loaded
        .files_rel
        .iter()
        .cloned()
        .zip(loaded.files_abs.iter().cloned())
        .collect();
    let manifest = crate::manifest::manifest_json(
        "backtest",
        scenario,
        &files,
        &["result.json", "paths.csv", "event.png", "manifest.json"],
    )?;
    stage.write("manifest.json", manifest.as_bytes())?;
    let png = stage.path("event.png")?;
    event_chart(
        result,
        &blocksale_report::source_line(result, scenario),
        &png,
        &ChartOptions::default(),
    )?;
    Ok((json, stage.commit()?))
}

/// `--vary KEY=V1,V2,...`: one run per value (every other key as the scenario and `--set` say),
/// each in its own folder, then the comparison table, `compare.csv` and `compare.png`. Every run
/// is computed before anything is written.
fn run_vary(
    g: &Global,
    a: &Args,
    args: crate::scenario::ScenarioArgs,
    spec: &str,
) -> anyhow::Result<()> {
    if a.json {
        return Err(user(
            "--json prints one result: with --vary, read compare.csv or each run's result.json",
        ));
    }
    let (key, list) = spec.split_once('=').ok_or_else(|| {
        user(format!(
            "--vary {spec:?}: expected KEY=V1,V2,... with a dotted scenario key, e.g. size_btc=2000,4451,10000"
        ))
    })?;
    let key = key.trim();
    let values: Vec<&str> = list.split(',').map(str::trim).collect();
    if values.len() < 2 || values.iter().any(|v| v.is_empty()) {
        return Err(user(format!(
            "--vary {spec:?}: expected at least two comma-separated values, none empty"
        )));
    }
    if args
        .overrides()
        .iter()
        .any(|o| o.split('=').next() == Some(key))
    {
        return Err(user(format!(
            "--vary {key}: the key is also set by --set or a shorthand; vary it or set it, not both"
        )));
    }
    let mut runs = Vec::with_capacity(values.len());
    for v in &values {
        let mut one = args.clone();
        one.set.push(format!("{key}={v}"));
        let l = one.load()?;
        let (result, loaded) = compute(g, &l, a.fetch)?;
        runs.push((v.to_string(), l, result, loaded));
    }
    let base = args.load()?;
    let key_part = crate::scenario::key_slug(key);
    let folder = |v: &str| format!("{key_part}-{}", crate::scenario::value_slug(v));
    let out = a.out.clone().unwrap_or_else(|| {
        let mut name = format!("vary-{key_part}");
        if let Some(w) = &base.what_if {
            name.push('-');
            name.push_str(&crate::scenario::what_if_folder(w));
        }
        PathBuf::from("notebooks-exports")
            .join(&base.scenario.name)
            .join(name)
    });
    let mut written = Vec::new();
    for (v, l, result, loaded) in &runs {
        written.extend(write_run(g, &out.join(folder(v)), &l.scenario, result, loaded)?.1);
    }
    let cmp: Vec<CompareRun<'_>> = runs
        .iter()
        .map(|(v, _, r, _)| CompareRun {
            value: v,
            result: r,
        })
        .collect();
    let mut stage = Staging::new(&out, &[], g.force)?;
    let csv = compare_table(key, &cmp).to_csv()?;
    stage.write("compare.csv", csv.as_bytes())?;
    let png = stage.path("compare.png")?;
    let first = &runs[0];
    compare_chart(
        key,
        &cmp,
        &blocksale_report::source_line(&first.2, &first.1.scenario),
        &png,
        &ChartOptions::default(),
    )?;
    written.extend(stage.commit()?);
    let mut text = compare_text(key, &cmp);
    text.push('\n');
    for w in &written {
        text.push_str(&format!("wrote {}\n", w.display()));
    }
    crate::output::print_stdout(&text)
}

/// `BLOCKSALE_ARCHIVE_URL`, else Binance's public archive.
fn archive_url() -> String {
    std::env::var("BLOCKSALE_ARCHIVE_URL")
        .unwrap_or_else(|_| crate::fetch::DEFAULT_BASE_URL.to_string())
}
