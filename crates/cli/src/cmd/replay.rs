//! `blocksale replay`: the scenario's sale placed at every start of a date range, and where the real
//! event falls among them.

use super::Global;
use crate::error::{user, UserContext};
use blocksale_backtest::replay::{replay_to, Distribution, Every, ReplayInput, ReplayResult};
use blocksale_backtest::run_calibration;
use blocksale_core::Timestamp;
use clap::{Args as ClapArgs, ValueEnum};
use std::path::PathBuf;

/// Flags of `blocksale replay`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Each start keeps the scenario's window length and time of day; the market state is measured at each start from the scenario's [replay] venue (default: the price venue). Starts the bars do not cover are skipped and counted.

Example:
  export BLOCKSALE_DATA=../shared/data
  blocksale replay --from 2024-01-01 --to 2026-01-01 --every weekend
  blocksale replay --from 2025-01-01 --to 2025-07-01 --every day --json
  blocksale replay --every weekend --size 10000 --set schedule.kind=block   a what-if sale at every weekend"
)]
pub struct Args {
    /// The scenario and its overrides (the window's length and time of day are the starts').
    #[command(flatten)]
    pub scenario: crate::scenario::ScenarioArgs,
    /// First start (YYYY-MM-DD or RFC 3339, UTC; inclusive) [default: the scenario's replay.from]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Starts are before this date (exclusive) [default: the scenario's replay.to]
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Step between starts
    #[arg(long, value_enum, default_value_t = EveryArg::Weekend)]
    pub every: EveryArg,
    /// Print the replay document as JSON on stdout instead of the summary
    #[arg(long)]
    pub json: bool,
    /// Output folder for replay.csv and replay.json [default: notebooks-exports/<scenario>/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `--every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    /// Every Saturday at the scenario's start time of day
    Weekend,
    /// Every day at the scenario's start time of day
    Day,
    /// Every hour at the scenario's start minute of the hour
    Hour,
    /// Every week on the scenario's start weekday and time of day
    Week,
}

fn date(flag: &str, v: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_rfc3339(v).map_err(|_| {
        user(format!(
            "{flag} {v:?}: expected a date YYYY-MM-DD or a UTC time (2024-01-06T00:00:00Z, 2024-01-06 12:00)"
        ))
    })
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let loaded_scenario = a.scenario.load()?;
    let scenario = loaded_scenario.scenario.clone();
    let pick = |flag: &str, given: Option<&str>, key: &str, default: Option<Timestamp>| match (
        given, default,
    ) {
        (Some(v), _) => date(flag, v),
        (None, Some(t)) => Ok(t),
        (None, None) => Err(user(format!(
            "no {flag}: pass {flag} DATE or set {key} in the scenario"
        ))),
    };
    let from = pick(
        "--from",
        a.from.as_deref(),
        "replay.from",
        scenario.replay.from,
    )?;
    let to = pick("--to", a.to.as_deref(), "replay.to", scenario.replay.to)?;
    if to <= from {
        let show =
            |given: Option<&String>, t: Timestamp| given.cloned().unwrap_or_else(|| t.to_rfc3339());
        return Err(user(format!(
            "--to {:?}: expected a date after --from {:?}",
            show(a.to.as_ref(), to),
            show(a.from.as_ref(), from)
        )));
    }
    let dir = crate::data::data_dir(g.data.as_deref())?;
    let loaded = crate::data::load_sources(&dir, &scenario, g.quiet)?;
    let calibration = if scenario.models.iter().any(|m| m.needs_calibration()) {
        run_calibration(&scenario, &loaded.series)
            .user_err(|| format!("calibration of scenario {}", scenario.name))?
    } else {
        None
    };
    let input = ReplayInput {
        scenario: &scenario,
        sources: &loaded.series,
        calibration: calibration.as_ref(),
        from,
        to,
        every: match a.every {
            EveryArg::Weekend => Every::Weekend,
            EveryArg::Day => Every::Day,
            EveryArg::Hour => Every::Hour,
            EveryArg::Week => Every::Week,
        },
    };
    let what_if = loaded_scenario.what_if.as_ref().map(|w| w.title());
    crate::output::RunTail {
        stem: "replay",
        scenario: &scenario.name,
        data_dir: &dir,
        inputs: &loaded.files_abs,
        out: Some(loaded_scenario.out_dir(a.out)),
        json: a.json,
        quiet: g.quiet,
        force: g.force,
    }
    .run_streamed_array(
        "rows",
        |tick, sink| replay_to(&input, Some(tick), &mut |rows, csv| sink(csv, rows)),
        |r| match &what_if {
            Some(t) => format!("{t}\n{}", summary(r)),
            None => summary(r),
        },
    )
}

fn dist_line(label: &str, d: &Distribution) -> String {
    format!(
        "  {label:<22}{:>9.1}{:>9.1}{:>9.1}{:>9.1}{:>9.1}{:>9.1}{:>9.1}",
        d.mean, d.sd, d.p5, d.p25, d.p50, d.p75, d.p95
    )
}

/// The readable summary.
pub fn summary(r: &ReplayResult) -> String {
    let mut t = String::new();
    let mut line = |x: String| {
        t.push_str(&x);
        t.push('\n');
    };
    line(format!(
        "{}: {} {} BTC over {} placed at every {} start in {} .. {} on {} ({} s bars)",
        r.scenario,
        r.side,
        blocksale_report::thousands(r.size_btc, 0),
        blocksale_core::duration_label(r.window_seconds),
        r.every.as_str(),
        r.from.to_short(),
        r.to.to_short(),
        r.venue,
        r.bar_seconds
    ));
    let skipped: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
    line(format!(
        "starts: {} in range, {} used{}",
        r.starts_requested,
        r.starts_used,
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped: {}", skipped.join("; "))
        }
    ));
    line(String::new());
    line(format!(
        "  {:<22}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}",
        "bp over the window", "mean", "sd", "p5", "p25", "p50", "p75", "p95"
    ));
    if let Some(d) = &r.observed_return_bps {
        line(dist_line("observed return", d));
    }
    for m in &r.predicted {
        line(dist_line(
            &format!("{} impact", m.model),
            &m.impact_at_end_bps,
        ));
    }
    line(String::new());
    match (&r.event, &r.event_skipped) {
        (Some(e), _) => {
            line(format!(
                "the real event ({} .. {} UTC, measured the same way, ranked among {} starts{}):",
                e.row.start.to_short(),
                e.row.end.to_short(),
                e.reference_starts,
                if e.overlapping_starts_excluded > 0 {
                    format!(", {} overlapping left out", e.overlapping_starts_excluded)
                } else {
                    String::new()
                }
            ));
            line(format!(
                "  observed return        {:>+9.1} bp   percentile {:.1}; {:.1} % of the starts moved against the sale at least as much",
                e.row.observed_return_bps, e.observed_return_percentile, e.adverse_move_exceedance_pct
            ));
            for p in &e.predicted_impact_percentile {
                line(format!(
                    "  {:<22}{:>10.1} bp   percentile {:.1}",
                    format!("{} impact", p.model),
                    p.value_bps,
                    p.percentile
                ));
            }
        }
        (None, Some(why)) => line(format!("the real event: not ranked ({why})")),
        (None, None) => {}
    }
    line(String::new());
    for n in &r.notes {
        line(format!("note: {n}"));
    }
    t
}
