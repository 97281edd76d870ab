//! `blocksale estimate`: every OHLCV estimator on the bars of some files.

use crate::error::UserContext;
use crate::read::Input;
use blocksale_core::BarSeries;
use blocksale_impact::estimators::{
    adv, all_vol_estimators, amihud_daily, kyle_lambda, AbdiRanaldo, CorwinSchultz, Edge,
    KyleEstimate, Ohlc, Roll, SpreadEstimator,
};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::collections::BTreeMap;

/// Output schema version of `blocksale estimate --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Flags of `blocksale estimate`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Examples:
  blocksale estimate ../shared/data/binance/spot/1m --every 1h --from 2025-01-01 --to 2025-02-01 --json
  blocksale estimate ../shared/data/reference/bidask/ohlc.csv --json")]
pub struct Args {
    /// The files (a plain OHLC table without a time column is accepted too) and how to read them.
    #[command(flatten)]
    pub read: crate::read::ReadArgs,
    /// The bar size and the time range.
    #[command(flatten)]
    pub range: crate::read::RangeArgs,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct VolDoc {
    variance_per_bar: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sigma_daily: Option<f64>,
    n: usize,
}

#[derive(Debug, Serialize)]
struct AdvDoc {
    weekday_adv_btc: f64,
    weekend_adv_btc: f64,
    weekend_volume_share: f64,
    n_days: usize,
    n_weekend_days: usize,
    by_hour_of_week_btc: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct EstimateDoc {
    schema_version: u32,
    source: Vec<String>,
    bars: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    bar_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_bar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_bar: Option<String>,
    volatility: BTreeMap<String, VolDoc>,
    spread: BTreeMap<String, Option<f64>>,
    spread_s2: BTreeMap<String, Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amihud: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amihud_drag_per_btc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adv_btc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adv: Option<AdvDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kyle: Option<KyleEstimate>,
    units: BTreeMap<&'static str, &'static str>,
    notes: Vec<String>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Run the subcommand.
pub fn run(g: &super::Global, mut a: Args) -> anyhow::Result<()> {
    a.read.resolve_under(g.data.as_deref());
    let input = crate::read::load_input(&a.read, &a.range, g.quiet)?;
    let doc = match &input {
        Input::Bars(bars, files) => estimate(Ohlc::from_series(bars), Some(bars), files.clone())?,
        Input::Table(t, path) => {
            let o = Ohlc::new_checked(&t.open, &t.high, &t.low, &t.close, None)
                .user_err(|| path.clone())?;
            estimate(o, None, vec![path.clone()])?
        }
    };
    if a.json {
        crate::output::print_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"))
    } else {
        crate::output::print_stdout(&summary(&doc))
    }
}

fn estimate(
    o: Ohlc<'_>,
    bars: Option<&BarSeries>,
    source: Vec<String>,
) -> anyhow::Result<EstimateDoc> {
    let bar_seconds = bars.map(|b| b.bar_seconds());
    let mut volatility = BTreeMap::new();
    for e in all_vol_estimators() {
        match bar_seconds {
            Some(s) => {
                if let Ok(v) = e.estimate(&o, s as f64) {
                    volatility.insert(
                        e.name().to_string(),
                        VolDoc {
                            variance_per_bar: v.variance_per_bar,
                            sigma_daily: Some(v.sigma_daily),
                            n: v.n,
                        },
                    );
                }
            }
            None => {
                if let Ok((v, n)) = e.variance_per_bar(&o) {
                    volatility.insert(
                        e.name().to_string(),
                        VolDoc {
                            variance_per_bar: v,
                            sigma_daily: None,
                            n,
                        },
                    );
                }
            }
        }
    }
    let spreads: Vec<Box<dyn SpreadEstimator>> = vec![
        Box::new(Roll),
        Box::new(CorwinSchultz),
        Box::new(AbdiRanaldo),
        Box::new(Edge),
    ];
    let mut spread = BTreeMap::new();
    let mut spread_s2 = BTreeMap::new();
    for e in &spreads {
        let r = e.estimate(&o).ok();
        spread.insert(e.name().to_string(), r.and_then(|x| finite(x.spread)));
        spread_s2.insert(e.name().to_string(), r.and_then(|x| finite(x.s2)));
    }
    let (mut amihud, mut drag, mut adv_btc, mut adv_doc, mut kyle) = (None, None, None, None, None);
    let mut notes = vec![
        "spread estimates are fractions of the price; for BTC majors they are noise-level and only feed a spread-cost term"
            .to_string(),
    ];
    if let Some(b) = bars {
        if let Ok(am) = amihud_daily(b) {
            amihud = Some(am.illiq_per_usd);
            drag = Some(am.drag_per_btc);
        }
        if let Ok(v) = adv(b) {
            adv_btc = Some(v.adv_btc);
            adv_doc = Some(AdvDoc {
                weekday_adv_btc: v.weekday_adv_btc,
                weekend_adv_btc: v.weekend_adv_btc,
                weekend_volume_share: v.weekend_volume_share,
                n_days: v.n_days,
                n_weekend_days: v.n_weekend_days,
                by_hour_of_week_btc: v.by_hour_of_week_btc,
            });
        }
        if b.taker_buy_volume().is_some() {
            kyle = kyle_lambda(b, None).ok();
            notes.push(
                "kyle: bars carry aggregate order-flow imbalance (all traders netted), not metaorders".to_string(),
            );
        }
        notes.push(format!(
            "volume and ADV are those of the source files only ({})",
            source.join(", ")
        ));
    } else {
        notes.push("no time column: sigma_daily, amihud, adv and kyle are omitted".to_string());
    }
    Ok(EstimateDoc {
        schema_version: SCHEMA_VERSION,
        source,
        bars: o.len(),
        bar_seconds,
        first_bar: bars.and_then(|b| b.first_time()).map(|t| t.to_rfc3339()),
        last_bar: bars.and_then(|b| b.last_time()).map(|t| t.to_rfc3339()),
        volatility,
        spread,
        spread_s2,
        amihud,
        amihud_drag_per_btc: drag,
        adv_btc,
        adv: adv_doc,
        kyle,
        units: BTreeMap::from([
            ("variance_per_bar", "log-return variance per bar"),
            ("sigma_daily", "daily sd of log returns, 24/7 calendar"),
            ("spread", "fraction of the price"),
            ("amihud", "|daily return| per USD traded"),
            (
                "amihud_drag_per_btc",
                "fraction per BTC sold (ILLIQ x last close)",
            ),
            ("adv_btc", "BTC per UTC day"),
            (
                "kyle.lambda_per_btc",
                "log return per BTC of signed volume (2 taker_buy - volume)",
            ),
        ]),
        notes,
    })
}

fn summary(d: &EstimateDoc) -> String {
    let mut t = format!("{} bars from {}\n", d.bars, d.source.join(", "));
    if let (Some(a), Some(b)) = (&d.first_bar, &d.last_bar) {
        t.push_str(&format!(
            "  {a} .. {b}, {} s bars\n",
            d.bar_seconds.unwrap_or(0)
        ));
    }
    t.push_str("volatility (variance per bar, sigma daily)\n");
    for (k, v) in &d.volatility {
        t.push_str(&format!(
            "  {k:<16} {:.6e}  {}\n",
            v.variance_per_bar,
            v.sigma_daily
                .map_or("-".into(), |s| format!("{:.3} %", s * 100.0))
        ));
    }
    t.push_str("spread (fraction)\n");
    for (k, v) in &d.spread {
        t.push_str(&format!(
            "  {k:<16} {}\n",
            v.map_or("-".into(), |s| format!("{s:.6}"))
        ));
    }
    if let Some(a) = d.amihud {
        t.push_str(&format!("amihud           {a:.4e} per USD\n"));
    }
    if let Some(a) = d.adv_btc {
        t.push_str(&format!("adv              {a:.1} BTC/day\n"));
    }
    if let Some(k) = &d.kyle {
        t.push_str(&format!(
            "kyle lambda      {:.4e} per BTC (NW se {:.2e}, t {:.1}, R2 {:.3}, n {})\n",
            k.lambda_per_btc, k.se_newey_west, k.t_stat, k.r_squared, k.n
        ));
    }
    for n in &d.notes {
        t.push_str(&format!("note: {n}\n"));
    }
    t
}
