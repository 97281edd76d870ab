//! `blocksale sweep`: cost and peak impact over a grid of sizes x durations x models, and the
//! largest size within a cost limit.

use super::Global;
use crate::error::{user, UserContext};
use blocksale_backtest::sweep::{log_space, sweep_to, SweepInput, SweepResult};
use blocksale_backtest::{run_calibration, Scenario};
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Flags of `blocksale sweep`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Grids: lo:hi:n is n log-spaced values from lo to hi; a comma list gives the values. Durations take a unit: m, h or d (90m, 1.5h, 7d). Each duration is rounded to whole bars of the price source (a coarser grid above 1000 bars).

Example:
  export BLOCKSALE_DATA=../shared/data
  blocksale sweep --sizes 250:20000:40 --durations 1h:7d:12 --max-cost-bps 50
  blocksale sweep --sizes 1000,4451,10000 --durations 6h,2d --models sqrt,kyle --json
  blocksale sweep --set start=2026-02-08 --set market.volume_basis=all     a what-if market (own folder)"
)]
pub struct Args {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: crate::scenario::SetArgs,
    /// Block sizes, BTC: lo:hi:n (log-spaced) or a comma list
    #[arg(long, value_name = "GRID", default_value = "250:20000:40")]
    pub sizes: String,
    /// Sale durations with units m/h/d: lo:hi:n (log-spaced) or a comma list
    #[arg(long, value_name = "GRID", default_value = "1h:7d:12")]
    pub durations: String,
    /// Models to run, by their scenario `model` key (comma list) [default: all of the scenario's]
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Also find, per duration and model, the largest size whose average cost is within this many bps
    #[arg(long, value_name = "BPS", allow_negative_numbers = true)]
    pub max_cost_bps: Option<f64>,
    /// Evaluate every cell on the bar grid (the reference the closed forms of a TWAP or block are
    /// checked against) instead of in closed form: slower, and the last digit of some numbers
    /// can differ (docs/methods.md §26)
    #[arg(long)]
    pub grid_path: bool,
    /// Print the sweep document as JSON on stdout instead of the summary
    #[arg(long)]
    pub json: bool,
    /// Output folder for sweep.csv and sweep.json [default: notebooks-exports/<scenario>/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

const SIZES_FORM: &str =
    "lo:hi:n (n log-spaced sizes, e.g. 250:20000:40) or a comma list of sizes in BTC > 0 (e.g. 1000,4451,10000)";
const DURATIONS_FORM: &str =
    "lo:hi:n (n log-spaced durations, e.g. 1h:7d:12) or a comma list (e.g. 6h,2d), each a number > 0 with a unit m, h or d";

/// Parse a grid `lo:hi:n` or a comma list, each value through `one`.
fn parse_grid(
    flag: &str,
    text: &str,
    form: &str,
    one: impl Fn(&str) -> Option<f64>,
) -> anyhow::Result<Vec<f64>> {
    let err = || user(format!("{flag} {text:?}: expected {form}"));
    let t = text.trim();
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        let [lo, hi, n] = parts[..] else {
            return Err(err());
        };
        let (lo, hi) = (one(lo).ok_or_else(err)?, one(hi).ok_or_else(err)?);
        let n: usize = n.trim().parse().map_err(|_| err())?;
        if n == 0 || n > 100_000 {
            return Err(user(format!(
                "{flag} {text:?}: the number of points must be 1 to 100000"
            )));
        }
        return log_space(lo, hi, n).map_err(|e| {
            user(format!(
                "{flag} {text:?}: {e}; expected {form} with lo <= hi (lo = hi when n = 1)"
            ))
        });
    }
    t.split(',').map(|v| one(v).ok_or_else(err)).collect()
}

fn positive(v: &str) -> Option<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
}

/// A duration `90m`, `1.5h`, `7d` in seconds.
fn duration_seconds(v: &str) -> Option<f64> {
    let v = v.trim();
    let unit = match v.chars().last()? {
        'm' => 60.0,
        'h' => 3_600.0,
        'd' => 86_400.0,
        _ => return None,
    };
    positive(&v[..v.len() - 1]).map(|x| x * unit)
}

/// Sizes in BTC from `--sizes`.
pub fn parse_sizes(text: &str) -> anyhow::Result<Vec<f64>> {
    parse_grid("--sizes", text, SIZES_FORM, positive)
}

/// Durations in whole seconds from `--durations`.
pub fn parse_durations(text: &str) -> anyhow::Result<Vec<i64>> {
    let v = parse_grid("--durations", text, DURATIONS_FORM, duration_seconds)?;
    Ok(v.into_iter().map(|s| (s.round() as i64).max(1)).collect())
}

/// Check `--models` against the scenario.
pub fn check_models(s: &Scenario, names: &[String]) -> anyhow::Result<()> {
    let have: Vec<&str> = s.models.iter().map(|m| m.key()).collect();
    for n in names {
        if !have.contains(&n.as_str()) {
            return Err(user(format!(
                "--models {n:?}: expected a comma list of the scenario's models: {}",
                have.join(", ")
            )));
        }
    }
    Ok(())
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let sizes = parse_sizes(&a.sizes)?;
    let durations = parse_durations(&a.durations)?;
    if let Some(x) = a.max_cost_bps {
        if !(x.is_finite() && x > 0.0) {
            return Err(user(format!(
                "--max-cost-bps {x}: expected a number of bps > 0"
            )));
        }
    }
    let loaded_scenario = a.scenario.load()?;
    let scenario = loaded_scenario.scenario.clone();
    if let Some(m) = &a.models {
        check_models(&scenario, m)?;
    }
    let dir = crate::data::data_dir(g.data.as_deref())?;
    let loaded = crate::data::load_sources(&dir, &scenario, g.quiet)?;
    let needs_cal = scenario.models.iter().any(|m| {
        m.needs_calibration()
            && a.models
                .as_ref()
                .is_none_or(|k| k.iter().any(|x| x == m.key()))
    });
    let calibration = if needs_cal {
        run_calibration(&scenario, &loaded.series)
            .user_err(|| format!("calibration of scenario {}", scenario.name))?
    } else {
        None
    };
    let input = SweepInput {
        scenario: &scenario,
        sources: &loaded.series,
        calibration: calibration.as_ref(),
        sizes_btc: sizes,
        durations_seconds: durations,
        models: a.models.clone(),
        max_cost_bps: a.max_cost_bps,
        grid_path: a.grid_path,
    };
    let what_if = loaded_scenario.what_if.as_ref().map(|w| w.title());
    crate::output::RunTail {
        stem: "sweep",
        scenario: &scenario.name,
        data_dir: &dir,
        inputs: &loaded.files_abs,
        out: Some(loaded_scenario.out_dir(a.out)),
        json: a.json,
        quiet: g.quiet,
        force: g.force,
    }
    .run_streamed(
        |tick, sink| {
            // The summary's columns: the rows of those sizes stay in memory.
            sweep_to(&input, Some(tick), &|n| pick(n, SUMMARY_SIZES), sink)
        },
        |r| match &what_if {
            Some(t) => format!("{t}\n{}", summary(r)),
            None => summary(r),
        },
    )
}

/// Sizes the summary shows per duration and model.
const SUMMARY_SIZES: usize = 6;

fn th(x: f64, d: usize) -> String {
    blocksale_report::thousands(x, d)
}

/// Indices of at most `k` sizes spread over the grid, first and last included.
fn pick(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..k)
        .map(|i| ((i as f64) * (n - 1) as f64 / (k - 1) as f64).round() as usize)
        .collect();
    v.dedup();
    v
}

/// The readable summary.
pub fn summary(r: &SweepResult) -> String {
    let m = &r.market;
    let mut t = String::new();
    let mut line = |x: String| {
        t.push_str(&x);
        t.push('\n');
    };
    line(format!(
        "{}: {} sweep from {} UTC, {} schedule, {} sizes x {} durations x {} models",
        r.scenario,
        r.side,
        r.start.to_short(),
        r.schedule,
        r.sizes_btc.len(),
        r.durations.len(),
        r.models.len()
    ));
    line(format!(
        "market at the start: arrival {} USD, sigma {:.2} %/day, V = {} BTC/day ({} ADV, {} .. {})",
        th(m.arrival_price_usd, 2),
        m.sigma_daily * 100.0,
        th(m.model_volume_btc, 0),
        m.volume_basis,
        m.calibration_start.to_short(),
        m.calibration_end.to_short()
    ));
    let coarse: Vec<&str> = r
        .durations
        .iter()
        .filter(|d| d.coarsened)
        .map(|d| d.label.as_str())
        .collect();
    line(format!(
        "grid: {} s bars of {}{}",
        r.price_bar_seconds,
        r.price_venue,
        if coarse.is_empty() {
            String::new()
        } else {
            format!(" (coarser for {})", coarse.join(", "))
        }
    ));
    let cols = pick(r.sizes_btc.len(), SUMMARY_SIZES);
    for (mi, model) in r.models.iter().enumerate() {
        line(String::new());
        line(format!(
            "{}: average cost, bp [peak impact, bp]  ({})",
            model.name, model.param_source
        ));
        let mut head = format!("{:<10}", "duration");
        for &q in &cols {
            head.push_str(&format!("{:>18}", format!("{} BTC", th(r.sizes_btc[q], 0))));
        }
        line(head);
        for (di, d) in r.durations.iter().enumerate() {
            let mut row = format!("{:<10}", d.label);
            for &q in &cols {
                let c = r.cell(q, di, mi);
                row.push_str(&format!(
                    "{:>18}",
                    format!("{:.1} [{:.1}]", c.avg_cost_bps, c.peak_impact_bps)
                ));
            }
            line(row);
        }
    }
    if let Some(limit) = r.max_cost_bps {
        line(String::new());
        line(format!(
            "largest size with an average cost within {limit} bp, BTC"
        ));
        let mut head = format!("{:<10}", "duration");
        for model in &r.models {
            head.push_str(&format!("{:>16}", model.name));
        }
        line(head);
        for (di, d) in r.durations.iter().enumerate() {
            let mut row = format!("{:<10}", d.label);
            for mi in 0..r.models.len() {
                let x = &r.max_size[di * r.models.len() + mi];
                row.push_str(&format!(
                    "{:>16}",
                    x.max_size_btc
                        .map_or("> 21M".into(), |q| th(q, if q < 10.0 { 2 } else { 0 }))
                ));
            }
            line(row);
        }
    }
    line(String::new());
    for n in &r.notes {
        line(format!("note: {n}"));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_lists() {
        let s = parse_sizes("250:20000:40").unwrap();
        assert_eq!((s.len(), s[0], s[39]), (40, 250.0, 20_000.0));
        assert_eq!(
            parse_sizes("1000, 4451,1e4").unwrap(),
            vec![1000.0, 4451.0, 10_000.0]
        );
        let d = parse_durations("1h:7d:12").unwrap();
        assert_eq!((d.len(), d[0], d[11]), (12, 3_600, 604_800));
        assert_eq!(
            parse_durations("90m,1.5h,2d").unwrap(),
            vec![5_400, 5_400, 172_800]
        );
        for bad in [
            "",
            "250:abc:40",
            "250:20000",
            "1:2:3:4",
            "-5,10",
            "0:10:3",
            "10:1:3",
            "1:10:0",
            "5:10:1",
        ] {
            let e = parse_sizes(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--sizes {bad:?}")), "{e}");
        }
        for bad in ["1x:7d:12", "1h:7:12", "6h,2", "h", "-1h"] {
            let e = parse_durations(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("--durations {bad:?}")) && e.contains("m, h or d"),
                "{e}"
            );
        }
    }

    #[test]
    fn picked_columns_span_the_grid() {
        assert_eq!(pick(40, 6), vec![0, 8, 16, 23, 31, 39]);
        assert_eq!(pick(3, 6), vec![0, 1, 2]);
    }
}
