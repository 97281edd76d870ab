//! `blocksale backtest`: one scenario end to end.

use super::Global;
use crate::error::{user, UserContext};
use crate::output::Staging;
use blocksale_backtest::{run as run_backtest, BacktestInput, BacktestResult, Scenario};
use blocksale_core::Timestamp;
use blocksale_report::{event_chart, result_json, write_paths_csv, ChartOptions};
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// The default scenario: Cango's 4,451 BTC weekend sale, February 2026.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../../data/scenarios/cango-2026-02.toml");
/// Where the default scenario lives in the repository (for messages).
pub const DEFAULT_SCENARIO_PATH: &str = "data/scenarios/cango-2026-02.toml";

/// Flags of `blocksale backtest`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Example:\n  BLOCKSALE_DATA=../shared/data blocksale backtest\n  blocksale backtest --data ../shared/data --size 10000 --json"
)]
pub struct Args {
    /// Scenario TOML file [default: the Cango 2026-02 scenario]
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Override the block size, BTC
    #[arg(long, value_name = "BTC", allow_negative_numbers = true)]
    pub size: Option<f64>,
    /// Override the window start (RFC 3339 or YYYY-MM-DD[ HH:MM], UTC)
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Override the window end (exclusive)
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// Print the result document as JSON on stdout instead of the summary table
    #[arg(long)]
    pub json: bool,
    /// Output folder for result.json, paths.csv and event.png [default: notebooks-exports/<scenario>/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Read the scenario file (or the built-in default) and apply flag overrides.
pub fn load_scenario(
    path: Option<&Path>,
    size: Option<f64>,
    start: Option<&str>,
    end: Option<&str>,
) -> anyhow::Result<Scenario> {
    let (text, label) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .user_err(|| format!("cannot read scenario file {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            DEFAULT_SCENARIO.to_string(),
            DEFAULT_SCENARIO_PATH.to_string(),
        ),
    };
    let mut s: Scenario = toml::from_str(&text).user_err(|| format!("invalid scenario {label}"))?;
    if let Some(q) = size {
        if !(q.is_finite() && q > 0.0) {
            return Err(user(format!("--size {q}: expected a number of BTC > 0")));
        }
        s.size_btc = q;
    }
    if let Some(t) = start {
        s.start = Timestamp::parse_rfc3339(t).user_err(|| "--start".into())?;
    }
    if let Some(t) = end {
        s.end = Timestamp::parse_rfc3339(t).user_err(|| "--end".into())?;
    }
    s.validate()
        .user_err(|| format!("invalid scenario {label}"))?;
    Ok(s)
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let scenario = load_scenario(
        a.scenario.as_deref(),
        a.size,
        a.start.as_deref(),
        a.end.as_deref(),
    )?;
    let dir = crate::data::data_dir(g.data.as_deref())?;
    let loaded = crate::data::load_sources(&dir, &scenario, g.quiet)?;
    let input = BacktestInput {
        scenario: &scenario,
        sources: &loaded.series,
        data_files: loaded.files_rel.clone(),
    };
    let result = run_backtest(&input)
        .user_err(|| format!("scenario {} on data in {}", scenario.name, dir.display()))?;

    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("notebooks-exports").join(&scenario.name));
    let inputs: Vec<PathBuf> = loaded.files_abs.clone();
    let mut stage = Staging::new(&out, &inputs)?;
    let json = result_json(&result)?;
    stage.write("result.json", json.as_bytes())?;
    let mut csv = Vec::new();
    write_paths_csv(&result, &mut csv, "paths.csv")?;
    stage.write("paths.csv", &csv)?;
    let png = stage.path("event.png")?;
    event_chart(
        &result,
        &source_line(&result, &scenario),
        &png,
        &ChartOptions::default(),
    )?;
    let written = stage.commit()?;

    if a.json {
        print!("{json}");
    } else {
        print!("{}", summary(&result));
        println!();
        for w in written {
            println!("wrote {}", w.display());
        }
    }
    Ok(())
}

fn source_line(r: &BacktestResult, s: &Scenario) -> String {
    let bar = match r.market.bar_seconds {
        x if x % 86_400 == 0 => format!("{}d", x / 86_400),
        x if x % 3_600 == 0 => format!("{}h", x / 3_600),
        x => format!("{}m", x / 60),
    };
    format!(
        "Source: {} ({}), {bar} bars. Models: {}; V = {} ADV {} to {}. blocksale {}.",
        s.source(&s.data.price).map_or(s.data.price.as_str(), |x| x.description.as_str()),
        s.source(&s.data.price).map_or(String::new(), |x| x.files.join(", ")),
        r.models
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        r.market.state.volume_basis,
        r.market.state.calibration_start.to_short(),
        r.market.state.calibration_end.to_short(),
        env!("CARGO_PKG_VERSION")
    )
}

fn th(x: f64, d: usize) -> String {
    blocksale_report::thousands(x, d)
}

/// The readable summary table.
pub fn summary(r: &BacktestResult) -> String {
    let s = &r.scenario;
    let m = &r.market.state;
    let o = &r.observed;
    let mut t = String::new();
    let mut line = |x: String| {
        t.push_str(&x);
        t.push('\n');
    };
    line(format!(
        "{} ({}): {} {} BTC, {} -> {} UTC ({:.2} days)",
        s.name,
        s.description,
        s.side,
        th(s.size_btc, 0),
        s.start.to_short(),
        s.end.to_short(),
        s.duration_days
    ));
    line(format!(
        "data: {} ({} s bars)",
        r.market.data_files.join(", "),
        r.market.bar_seconds
    ));
    line(String::new());
    line(format!(
        "market before the sale ({} .. {}, {} complete days, {} weekend days)",
        m.calibration_start.to_short(),
        m.calibration_end.to_short(),
        m.calibration_days_used,
        m.weekend_days_used
    ));
    line(format!(
        "  arrival price            {:>14} USD",
        th(m.arrival_price_usd, 2)
    ));
    line(format!(
        "  sigma_daily              {:>14.2} %",
        m.sigma_daily * 100.0
    ));
    let used = |b: &str| {
        if m.volume_basis == b {
            "  <- V used by the models"
        } else {
            ""
        }
    };
    line(format!(
        "  ADV, all days            {:>14} BTC{}",
        th(m.adv_btc, 0),
        used("all")
    ));
    line(format!(
        "  ADV, weekend days        {:>14} BTC{}",
        th(m.adv_weekend_btc, 0),
        used("weekend")
    ));
    line(String::new());
    line("observed".into());
    line(format!(
        "  window return            {:>+14.2} %   ({} -> {})",
        o.return_window * 100.0,
        th(o.price_start_usd, 0),
        th(o.price_end_usd, 0)
    ));
    line(format!(
        "  window range             {:>14} .. {} USD",
        th(o.window_min_price_usd, 0),
        th(o.window_max_price_usd, 0)
    ));
    line(format!(
        "  window VWAP              {:>14} USD ({})",
        th(o.window_vwap_usd, 2),
        o.window_vwap_method
    ));
    line(format!(
        "  window volume            {:>14} BTC   (the sale = {:.1} % of it)",
        th(o.window_volume_btc, 0),
        o.participation * 100.0
    ));
    let when = if o.min_price_time < s.start {
        "before the window"
    } else if o.min_price_time < s.end {
        "inside the window"
    } else {
        "after the window"
    };
    line(format!(
        "  lowest low in view       {:>14} USD   at {} UTC, {when}",
        th(o.min_price_usd, 2),
        o.min_price_time.to_short()
    ));
    if let Some(i) = &r.implied {
        line(String::new());
        line(format!(
            "implied by the disclosure ({} USD / {} BTC)",
            th(s.disclosed_proceeds_usd.unwrap_or(0.0), 0),
            th(s.size_btc, 0)
        ));
        line(format!(
            "  average price            {:>14} USD",
            th(i.avg_price_usd, 2)
        ));
        line(format!(
            "  shortfall vs arrival     {:>14.1} bp   ({} USD)",
            i.shortfall_vs_arrival_bps,
            th(i.shortfall_vs_arrival_usd, 0)
        ));
        line(format!(
            "  shortfall vs window VWAP {:>14.1} bp",
            i.shortfall_vs_vwap_bps
        ));
    }
    line(String::new());
    line(format!(
        "{:<26}{:>10}{:>14}{:>22}{:>16}{:>12}",
        "model", "peak bp", "avg cost bp", "predicted avg USD", "drag USD", "share"
    ));
    for mr in &r.models {
        let params: Vec<String> = mr.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        line(format!(
            "{:<26}{:>10.1}{:>14.1}{:>22}{:>16}{:>12}",
            format!("{} ({})", mr.name, params.join(", ")),
            mr.peak_impact_bps,
            mr.avg_cost_bps,
            th(mr.predicted_avg_price_usd, 2),
            th(mr.drag_usd, 0),
            mr.share_of_observed_move
                .map_or("n/a".into(), |x| format!("{:.0} %", x * 100.0))
        ));
    }
    line(String::new());
    for n in &r.notes {
        line(format!("note: {n}"));
    }
    t
}
