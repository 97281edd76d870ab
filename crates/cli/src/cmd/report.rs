//! `blocksale report`: every chart, the one-page memo and the notebook exports of one scenario.

use super::Global;
use crate::error::{user, UserContext};
use crate::output::Staging;
use blocksale_backtest::replay::{replay, Every, ReplayInput};
use blocksale_backtest::sweep::{log_space, sweep, SweepInput};
use blocksale_backtest::{run as run_backtest, run_calibration, BacktestInput};
use blocksale_core::{Timestamp, MS_PER_DAY};
use blocksale_report::{ChartOptions, Report, ReportInput, NOTEBOOK_README};
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Flags of `blocksale report`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Writes event, drag, size_curve, sweep, calibration, volume and replay charts (PNG, or SVG with --svg), memo.md, the CSV of every plotted series, charts.json, result.json, paths.csv, README.md and manifest.json.

Example:
  BLOCKSALE_DATA=../shared/data blocksale report
  blocksale report --data ../shared/data --out memo/ --image-size 800x450 --candles
  blocksale report --set size_btc=10000 --set end=2026-02-08     a what-if memo, labelled as one, in its own folder"
)]
pub struct Args {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: crate::scenario::SetArgs,
    /// Output folder [default: notebooks-exports/<scenario>/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Chart size in pixels, WIDTHxHEIGHT
    #[arg(long, value_name = "WxH", default_value = "1600x900", value_parser = parse_size)]
    pub image_size: (u32, u32),
    /// Deprecated spelling of --image-size (`--size` means BTC in every other subcommand)
    #[arg(long = "size", value_name = "WxH", value_parser = parse_size, hide = true, conflicts_with = "image_size")]
    pub old_size: Option<(u32, u32)>,
    /// Write SVG charts instead of PNG
    #[arg(long)]
    pub svg: bool,
    /// Draw the observed price of event.png as candles
    #[arg(long)]
    pub candles: bool,
    /// First replayed start (YYYY-MM-DD) [default: two years before the sale]
    #[arg(long, value_name = "DATE")]
    pub replay_from: Option<String>,
    /// Replayed starts are before this date [default: the sale's start]
    #[arg(long, value_name = "DATE")]
    pub replay_to: Option<String>,
    /// Print the list of files written as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// Parse `1600x900`.
fn parse_size(v: &str) -> Result<(u32, u32), String> {
    let err = || {
        format!("{v:?}: expected WIDTHxHEIGHT in pixels, e.g. 1600x900 (at least 200x150, at most 10000x10000)")
    };
    let (w, h) = v.split_once(['x', 'X']).ok_or_else(err)?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| err())?,
        h.trim().parse().map_err(|_| err())?,
    );
    if !(200..=10_000).contains(&w) || !(150..=10_000).contains(&h) {
        return Err(err());
    }
    Ok((w, h))
}

fn date(flag: &str, v: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_rfc3339(v).map_err(|_| {
        user(format!(
            "{flag} {v:?}: expected a date YYYY-MM-DD or an RFC 3339 time (UTC)"
        ))
    })
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let image_size = match a.old_size {
        Some(s) => {
            eprintln!(
                "warning: report --size WxH is deprecated (--size is BTC elsewhere); use --image-size {}x{}",
                s.0, s.1
            );
            s
        }
        None => a.image_size,
    };
    let loaded_scenario = a.scenario.load()?;
    let scenario = loaded_scenario.scenario.clone();
    let opts = ChartOptions {
        width: image_size.0,
        height: image_size.1,
        svg: a.svg,
        candles: a.candles,
    };
    let replay_from = match &a.replay_from {
        Some(v) => date("--replay-from", v)?,
        None => Timestamp::from_millis(scenario.start.as_millis() - 730 * MS_PER_DAY),
    };
    let replay_to = match &a.replay_to {
        Some(v) => date("--replay-to", v)?,
        None => scenario.start,
    };
    if replay_to <= replay_from {
        return Err(user(format!(
            "--replay-from {} is not before --replay-to {}",
            replay_from.to_short(),
            replay_to.to_short()
        )));
    }
    let dir = crate::data::data_dir(g.data.as_deref())?;
    let loaded = crate::data::load_sources(&dir, &scenario, g.quiet)?;
    let input = BacktestInput {
        scenario: &scenario,
        sources: &loaded.series,
        data_files: loaded.files_rel.clone(),
        what_if: loaded_scenario.what_if.clone(),
    };
    let ctx = || format!("scenario {} on data in {}", scenario.name, dir.display());
    let result = run_backtest(&input).user_err(ctx)?;
    let calibration = run_calibration(&scenario, &loaded.series).user_err(ctx)?;

    // Size x duration sweep of every model for the heatmap (the window's own duration included).
    let size = scenario.size_btc;
    let mut durations: Vec<i64> = log_space(3_600.0, 7.0 * 86_400.0, 12)
        .user_err(ctx)?
        .iter()
        .map(|d| d.round() as i64)
        .collect();
    durations.push((scenario.end.as_millis() - scenario.start.as_millis()) / 1000);
    durations.sort_unstable();
    durations.dedup();
    let sw = sweep(
        &SweepInput {
            scenario: &scenario,
            sources: &loaded.series,
            calibration: calibration.as_ref(),
            sizes_btc: log_space(size / 16.0, size * 16.0, 25).user_err(ctx)?,
            durations_seconds: durations,
            models: None,
            max_cost_bps: None,
            grid_path: false,
        },
        None,
    )
    .user_err(ctx)?;
    // Replay over earlier weekends (none when the replay source does not cover the range).
    let rp = replay(
        &ReplayInput {
            scenario: &scenario,
            sources: &loaded.series,
            calibration: calibration.as_ref(),
            from: replay_from,
            to: replay_to,
            every: Every::Weekend,
        },
        None,
    )
    .ok()
    .filter(|r| r.rows.len() >= 2);

    let mut provenance = vec![
        format!(
            "blocksale {}, `blocksale report`",
            env!("CARGO_PKG_VERSION")
        ),
        format!(
            "scenario {} ({})",
            scenario.name,
            a.scenario
                .scenario
                .as_ref()
                .map_or(crate::scenario::DEFAULT_SCENARIO_PATH.to_string(), |p| p
                    .display()
                    .to_string())
        ),
    ];
    for (rel, abs) in loaded.files_rel.iter().zip(&loaded.files_abs) {
        let (sha, bytes) = crate::hash::sha256_file(abs)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", abs.display()))?;
        provenance.push(format!("input {rel}: {bytes} bytes, SHA-256 {sha}"));
    }
    if let Some(c) = &scenario.calibration {
        provenance.push(format!("calibration bootstrap seed {}", c.seed));
    }
    if rp.is_none() {
        provenance.push(format!(
            "no replay chart: the replay source does not cover two or more weekends from {} to {}",
            replay_from.to_short(),
            replay_to.to_short()
        ));
    }
    let report = Report::build(ReportInput {
        result: &result,
        backtest: input.clone(),
        sweep: Some(&sw),
        replay: rp.as_ref(),
        sizes_btc: Vec::new(),
        provenance,
    })
    .user_err(ctx)?;

    let out = loaded_scenario.out_dir(a.out);
    let mut stage = Staging::new(&out, &loaded.files_abs, g.force)?;
    let mut names = Vec::new();
    for c in report.chart_names() {
        let file = format!("{c}.{}", opts.ext());
        let p = stage.path(&file)?;
        report.render(c, &p, &opts)?;
        names.push(file);
    }
    for (file, bytes) in report.exports(&opts)? {
        stage.write(&file, &bytes)?;
        names.push(file);
    }
    stage.write("README.md", NOTEBOOK_README.as_bytes())?;
    names.push("README.md".into());
    let files: Vec<(String, PathBuf)> = loaded
        .files_rel
        .iter()
        .cloned()
        .zip(loaded.files_abs.iter().cloned())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let manifest = crate::manifest::manifest_json("report", &scenario, &files, &refs)?;
    stage.write("manifest.json", manifest.as_bytes())?;
    let written = stage.commit()?;
    let text = if a.json {
        let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        serde_json::to_string_pretty(&serde_json::json!({ "written": list }))? + "\n"
    } else {
        written
            .iter()
            .map(|w| format!("wrote {}\n", w.display()))
            .collect()
    };
    crate::output::print_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1600x900"), Ok((1600, 900)));
        assert_eq!(parse_size("800X450"), Ok((800, 450)));
        assert!(parse_size("800").is_err());
        assert!(parse_size("100x100").is_err());
        assert!(parse_size("axb").is_err());
    }
}
