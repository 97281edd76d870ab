//! `blocksale calibrate`: the aggregate-impact curve and Kyle's lambda from bars with taker-buy volume.

use crate::error::{user, UserContext};
use crate::read::Input;
use blocksale_impact::calibration::{calibrate, Calibration, CalibrationConfig};
use clap::Args as ClapArgs;
use serde::Serialize;

/// Output schema version of `blocksale calibrate --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Flags of `blocksale calibrate`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Example:
  blocksale calibrate ../shared/data/binance/spot/1m --every 15m --from 2023-01-01 --to 2026-01-01 --seed 7 --json")]
pub struct Args {
    /// Bar files or folders with taker-buy volume (Binance klines), and how to read them.
    #[command(flatten)]
    pub read: crate::read::ReadArgs,
    /// The bar size and the time range.
    #[command(flatten)]
    pub range: crate::read::RangeArgs,
    /// Seed of the bootstrap
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Bins on |signed volume| / ADV
    #[arg(long, default_value_t = 20)]
    pub bins: usize,
    /// Bootstrap replicates
    #[arg(long, default_value_t = 200)]
    pub reps: usize,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct CalibrateDoc<'a> {
    schema_version: u32,
    source: Vec<String>,
    first_bar: Option<String>,
    last_bar: Option<String>,
    #[serde(flatten)]
    calibration: &'a Calibration,
    volume_note: String,
}

/// Run the subcommand.
pub fn run(g: &super::Global, mut a: Args) -> anyhow::Result<()> {
    a.read.resolve_under(g.data.as_deref());
    let (bars, files) = match crate::read::load_input(&a.read, &a.range, g.quiet)? {
        Input::Bars(b, f) => (b, f),
        Input::Table(_, p) => {
            return Err(user(format!(
                "{p} has no time column or volume: nothing to calibrate"
            )))
        }
    };
    let cfg = CalibrationConfig {
        n_bins: a.bins,
        bootstrap_reps: a.reps,
        seed: a.seed,
        ..Default::default()
    };
    let cal = calibrate(&bars, &cfg).user_err(|| format!("calibration on {}", files.join(", ")))?;
    let doc = CalibrateDoc {
        schema_version: SCHEMA_VERSION,
        first_bar: bars.first_time().map(|t| t.to_rfc3339()),
        last_bar: bars.last_time().map(|t| t.to_rfc3339()),
        volume_note: format!(
            "V (adv_btc) is the volume of the source files only: {}",
            files.join(", ")
        ),
        source: files,
        calibration: &cal,
    };
    if a.json {
        return crate::output::print_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"));
    }
    let c = &cal.curve;
    let k = &cal.kyle;
    let mut text = format!(
        "{} bars of {} s, {} .. {}\n  sigma_daily {:.3} %, adv {:.0} BTC/day\n  exponent delta {:.3} (95 % CI {:.3} to {:.3})\n  prefactor Y    {:.3} (95 % CI {:.3} to {:.3}), log-log R2 {:.3}, {} bins dropped\n  kyle lambda    {:.4e} per BTC (95 % CI {:.4e} to {:.4e}, NW t {:.1}, R2 {:.3})\nnote: {}\n",
        cal.bars_used,
        cal.bar_seconds,
        doc.first_bar.as_deref().unwrap_or("-"),
        doc.last_bar.as_deref().unwrap_or("-"),
        cal.sigma_daily * 100.0,
        cal.adv_btc,
        c.exponent.estimate,
        c.exponent.ci95_low,
        c.exponent.ci95_high,
        c.prefactor_y.estimate,
        c.prefactor_y.ci95_low,
        c.prefactor_y.ci95_high,
        c.log_fit_r_squared,
        c.bins_dropped,
        k.lambda_per_btc,
        k.ci95_low,
        k.ci95_high,
        k.t_stat,
        k.r_squared,
        cal.note
    );
    if let Some(w) = &cal.warning {
        text.push_str(&format!("warning: {w}\n"));
    }
    crate::output::print_stdout(&text)
}
