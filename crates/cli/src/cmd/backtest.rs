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
    /// Days of market history before the sale day for sigma, ADV and the volume profile
    /// [default: the scenario's market.calibration_days, 30 for Cango]
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
    crate::data::source_options(&s).user_err(|| format!("invalid scenario {label}"))?;
    Ok(s)
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let mut scenario = load_scenario(
        a.scenario.as_deref(),
        a.size,
        a.start.as_deref(),
        a.end.as_deref(),
    )?;
    if let Some(d) = a.calibration_days {
        scenario.market.calibration_days = d;
        scenario
            .validate()
            .user_err(|| format!("--calibration-days {d}"))?;
    }
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
    };
    let result = run_backtest(&input)
        .user_err(|| format!("scenario {} on data in {}", scenario.name, dir.display()))?;

    let out = crate::output::out_dir(a.out, &scenario.name);
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

    crate::output::print_result(a.json, &json, || summary(&result), &written);
    Ok(())
}

/// `BLOCKSALE_ARCHIVE_URL`, else Binance's public archive.
fn archive_url() -> String {
    std::env::var("BLOCKSALE_ARCHIVE_URL")
        .unwrap_or_else(|_| crate::fetch::DEFAULT_BASE_URL.to_string())
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
        "{} ({}): {} {} BTC, {} -> {} UTC ({:.2} days), schedule {}",
        s.name,
        s.description,
        s.side,
        th(s.size_btc, 0),
        s.start.to_short(),
        s.end.to_short(),
        s.duration_days,
        s.schedule
    ));
    line(format!(
        "data: {} ({} s price bars)",
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
    let others: Vec<String> = m
        .sigma_daily_by_estimator
        .iter()
        .filter(|(k, _)| **k != m.sigma_estimator)
        .map(|(k, v)| format!("{k} {:.2}", v * 100.0))
        .collect();
    line(format!(
        "  sigma_daily              {:>14.2} %   ({}; others: {})",
        m.sigma_daily * 100.0,
        m.sigma_estimator,
        others.join(", ")
    ));
    line(format!(
        "  ADV, all days            {:>14} BTC",
        th(m.adv_btc, 0)
    ));
    line(format!(
        "  ADV, weekend days        {:>14} BTC",
        th(m.adv_weekend_btc, 0)
    ));
    line(format!(
        "  V used by the models     {:>14} BTC/day ({} days; {})",
        th(m.model_volume_btc, 0),
        m.volume_basis,
        m.volume_venues
    ));
    if let Some(sp) = m.spread_edge {
        line(format!("  spread (EDGE)            {:>14.2} bp", sp * 1e4));
    }
    if let Some(c) = &r.market.calibration {
        line(format!(
            "  calibration ({} s bars)  exponent {:.3} [{:.3}, {:.3}], Y {:.3} [{:.3}, {:.3}], Kyle lambda {:.3e}/BTC (t = {:.1})",
            c.bar_seconds,
            c.curve.exponent.estimate,
            c.curve.exponent.ci95_low,
            c.curve.exponent.ci95_high,
            c.curve.prefactor_y.estimate,
            c.curve.prefactor_y.ci95_low,
            c.curve.prefactor_y.ci95_high,
            c.kyle.lambda_per_btc,
            c.kyle.t_stat
        ));
    }
    line(String::new());
    line("observed".into());
    line(format!(
        "  window return            {:>+14.2} %   ({} -> {})",
        o.return_window * 100.0,
        th(o.price_start_usd, 0),
        th(o.price_end_usd, 0)
    ));
    for mk in &o.markouts {
        if let (Some(p), Some(rs)) = (mk.price_usd, mk.return_from_start) {
            line(format!(
                "  markout +{:<3}h            {:>+14.2} %   from arrival (price {})",
                mk.hours,
                rs * 100.0,
                th(p, 0)
            ));
        }
    }
    line(format!(
        "  window range             {:>14} .. {} USD",
        th(o.window_min_price_usd, 0),
        th(o.window_max_price_usd, 0)
    ));
    line(format!(
        "  window VWAP / TWAP       {:>14} / {} USD ({})",
        th(o.window_vwap_usd, 2),
        th(o.window_twap_usd, 2),
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
    let es = &r.attribution.event_study;
    line(format!(
        "  event study              CAR {:+.2} %, J = {:.2} (p = {:.2}), {} estimation returns of {} s",
        es.car * 100.0,
        es.j_stat,
        es.p_value,
        es.estimation_n,
        es.bar_seconds
    ));
    line(format!(
        "  event-window sd          {:.2} x the estimation sd; J with the window's own variance = {:.2} (p = {:.2}, Welch t, {:.0} df)",
        es.sd_ratio_event_to_estimation,
        es.j_stat_event_variance,
        es.p_value_event_variance,
        es.df_event_variance
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
            "  shortfall vs VWAP / TWAP / close {:>6.1} / {:.1} / {:.1} bp",
            i.shortfall_vs_vwap_bps, i.shortfall_vs_twap_bps, i.shortfall_vs_close_bps
        ));
    }
    let fp = &r.attribution.footprint;
    line(String::new());
    line(format!(
        "footprint (baseline: the same hours of the {} weeks before)",
        fp.baseline_weeks
    ));
    line(format!(
        "  window volume vs baseline {:>13} BTC above {} BTC expected; {} hours with z > 2",
        th(fp.window_excess_volume_btc, 0),
        th(fp.window_baseline_volume_btc, 0),
        fp.excess_hours.len()
    ));
    for h in fp.excess_hours.iter().take(8) {
        line(format!(
            "    {} UTC  {:>8} BTC vs {:>8} (z = {:.1})",
            h.time.to_short(),
            th(h.volume_btc, 0),
            th(h.baseline_btc, 0),
            h.z
        ));
    }
    if let Some(f) = &fp.signed_flow {
        line(format!(
            "  signed taker flow ({}) {:>9} BTC vs {} +/- {} over {} weeks (z = {:.2})",
            f.venue,
            th(f.window_btc, 0),
            th(f.baseline_mean_btc, 0),
            th(f.baseline_sd_btc, 0),
            f.weeks,
            f.z
        ));
    }
    for f in &fp.schedule_fit {
        line(format!(
            "  schedule {:<20} avg price {:>10}{}",
            f.schedule,
            th(f.avg_price_usd, 0),
            f.implied_minus_schedule_bps
                .map_or(String::new(), |d| format!(
                    "   implied is {d:+.0} bp from it"
                ))
        ));
    }
    line(String::new());
    line(format!(
        "{:<16}{:>18}{:>22}{:>14}{:>14}{:>8}{:>10}",
        "model", "peak bp [95 %]", "avg cost bp [95 %]", "drag USD", "pred. avg", "z", "share"
    ));
    for mr in &r.models {
        line(format!(
            "{:<16}{:>18}{:>22}{:>14}{:>14}{:>8.2}{:>10}",
            mr.name,
            format!(
                "{:.0} [{:.0}, {:.0}]",
                mr.peak_band_bps.central, mr.peak_band_bps.low, mr.peak_band_bps.high
            ),
            format!(
                "{:.0} [{:.0}, {:.0}]",
                mr.avg_cost_band_bps.central, mr.avg_cost_band_bps.low, mr.avg_cost_band_bps.high
            ),
            th(mr.drag_usd, 0),
            th(mr.predicted_avg_price_usd, 0),
            mr.detectability_z,
            mr.share_of_observed_move
                .map_or("n/a".into(), |x| format!("{:.0} %", x * 100.0))
        ));
    }
    line("  (z = impact at window end / (sigma * sqrt(T)); share = impact at window end / |observed window move|, n/a when the price moved against the sale)".into());
    line(String::new());
    for mr in &r.models {
        let params: Vec<String> = mr
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v:.6}"))
            .collect();
        line(format!(
            "  {}: {} ({})",
            mr.name,
            params.join(", "),
            mr.param_source
        ));
    }
    line(String::new());
    let mut seen = std::collections::BTreeSet::new();
    for n in r
        .notes
        .iter()
        .chain(r.models.iter().flat_map(|m| m.warnings.iter()))
    {
        if seen.insert(n.clone()) {
            line(format!("note: {n}"));
        }
    }
    t
}
