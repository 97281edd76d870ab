//! `blocksale model`: a what-if calculator for one impact model with explicit parameters.
//!
//! A registered model (`blocksale_impact::models::ModelSpec`) is built from the same spec a
//! scenario's `[[models]]` entry is: the parameter flags (and `--param KEY=VALUE` for any spec key)
//! fill the spec, so keys, defaults and checks are the scenario's, and a newly registered model
//! needs no change here. This module parses the flags and prints; ATHL prints its cost table and
//! `almgren_chriss` (the optimal-execution problem, not a scenario model) its own document.

use crate::error::{user, UserContext};
use blocksale_impact::models::{
    AcProblem, AlmgrenChriss, AthlSpec, BuildContext, Decay, ModelSpec, ParamBand,
};
use blocksale_impact::uncertainty::{band, param_band, prefactor_band, ImpactBand, BAND_RULE};
use blocksale_impact::{schedules::twap, ExecutionGrid, ImpactModel, MarketInputs};
use blocksale_report::significant;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args as ClapArgs, ValueEnum};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Output schema version of `blocksale model --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The calculator's first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelArg {
    /// A registered model, by its scenario key (`exp_decay`).
    Registered(&'static str),
    /// Almgren-Chriss 2000 discrete optimal execution.
    AlmgrenChriss,
}

const ALMGREN_CHRISS: &str = "almgren_chriss";

/// Every registered key, spelled as in scenarios and outputs (`exp_decay`; the dashed spelling
/// (`exp-decay`) is accepted as an alias), then `almgren_chriss`: one spelling per model name.
fn model_arg() -> impl TypedValueParser<Value = ModelArg> {
    let registered = ModelSpec::KEYS
        .iter()
        .zip(ModelSpec::SUMMARIES)
        .map(|(key, summary)| {
            // clap keeps the names for the life of the process; a handful of short strings.
            let dashed: &'static str = Box::leak(key.replace('_', "-").into_boxed_str());
            PossibleValue::new(*key).alias(dashed).help(*summary)
        });
    let ac = PossibleValue::new(ALMGREN_CHRISS)
        .alias("almgren-chriss")
        .help("Almgren-Chriss 2000 discrete optimal execution");
    PossibleValuesParser::new(registered.chain([ac])).map(|name: String| {
        let key = name.replace('-', "_");
        match ModelSpec::KEYS.iter().find(|k| **k == key) {
            Some(k) => ModelArg::Registered(k),
            None => ModelArg::AlmgrenChriss,
        }
    })
}

/// What happens after the sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecayArg {
    /// Impact stays at its end-of-sale level
    Permanent,
    /// Decays to zero (the kernel's own decay for transient models)
    Full,
    /// Decays to --plateau of the end-of-sale impact
    Plateau,
}

/// Flags of `blocksale model`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Examples:
  blocksale model sqrt --size 4451 --adv 30000 --sigma-daily 0.03 --y 0.9 --json
  blocksale model almgren_chriss --size 1e6 --sigma 0.948683 --epsilon 0.0625 --eta 2.5e-6 --gamma 2.5e-7 --horizon 5 --steps 5 --risk-aversion 1e-6 --json
  blocksale model athl --size 656100 --adv 6561000 --sigma-daily 0.0157 --outstanding 1.728e9 --horizon-days 0.1 --json
  blocksale model exp_decay --size 4451 --eta 2e-6 --half-life-days 0.5 --horizon-days 2 --json
  blocksale model sqrt_propagator --size 4451 --adv 30000 --sigma-daily 0.03 --horizon-days 2 --json
Model parameters are the keys of a scenario's [[models]] entry (data/scenarios/README.md): the flags
below set them, --param KEY=VALUE sets any of them.")]
pub struct Args {
    /// The model
    #[arg(value_parser = model_arg())]
    pub model: ModelArg,
    /// Block size (BTC; shares for the equity examples)
    #[arg(long, value_name = "BTC")]
    pub size: f64,
    /// Average daily volume V on the venues the sale hits, BTC/day
    #[arg(long, value_name = "BTC_PER_DAY")]
    pub adv: Option<f64>,
    /// Daily volatility of log returns, a fraction (0.03) or a percent with its sign (3%)
    #[arg(long, value_name = "FRACTION", value_parser = parse_sigma_daily, allow_negative_numbers = true)]
    pub sigma_daily: Option<f64>,
    /// Prefactor Y of the square root / power law [default: 0.9]
    #[arg(long)]
    pub y: Option<f64>,
    /// Exponent delta of the power law or the propagator's impact [default: 0.5]
    #[arg(long)]
    pub delta: Option<f64>,
    /// Prefactor k of the linear model [default: 1]
    #[arg(long)]
    pub k: Option<f64>,
    /// Kyle's lambda, fraction per BTC
    #[arg(long, value_name = "PER_BTC")]
    pub lambda: Option<f64>,
    /// ATHL: number outstanding (BTC supply for BTC) [default: 19.9M]
    #[arg(long, value_name = "UNITS")]
    pub outstanding: Option<f64>,
    /// Duration of the sale, days (ATHL, exp_decay, sqrt_propagator, and the path of the others) [default: 1]
    #[arg(long, value_name = "DAYS")]
    pub horizon_days: Option<f64>,
    /// Almgren-Chriss: price volatility, price units per sqrt(day)
    #[arg(long)]
    pub sigma: Option<f64>,
    /// Almgren-Chriss: fixed cost per unit (half spread + fees), price units [default: 0]
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// Almgren-Chriss: temporary impact, price units per (unit/day); exp_decay: impact per BTC
    #[arg(long)]
    pub eta: Option<f64>,
    /// Almgren-Chriss: permanent impact, price units per unit [default: 0]
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Almgren-Chriss: horizon T, days
    #[arg(long, value_name = "DAYS")]
    pub horizon: Option<f64>,
    /// Almgren-Chriss: number of slices N
    #[arg(long)]
    pub steps: Option<usize>,
    /// Almgren-Chriss: risk aversion lambda, 1/price units [default: 0 = TWAP]
    #[arg(long)]
    pub risk_aversion: Option<f64>,
    /// exp_decay: resilience rho, 1/day
    #[arg(long, value_name = "PER_DAY")]
    pub rho: Option<f64>,
    /// exp_decay: half-life ln2/rho, days (instead of --rho) [default: 1]
    #[arg(long, value_name = "DAYS")]
    pub half_life_days: Option<f64>,
    /// sqrt_propagator: kernel exponent a in G(t) = t^-a [default: 0.5]
    #[arg(long)]
    pub kernel_exponent: Option<f64>,
    /// sqrt_propagator: the kernel's time scale tau0, days [default: 1; no effect at exponent 0.5]
    #[arg(long, value_name = "DAYS")]
    pub time_scale_days: Option<f64>,
    /// Decay after the sale [default: permanent for instantaneous models, full for kernels]
    #[arg(long, value_enum)]
    pub decay: Option<DecayArg>,
    /// Plateau fraction for --decay plateau [default: 2/3]
    #[arg(long, value_name = "FRACTION")]
    pub plateau: Option<f64>,
    /// Any parameter of the model by its scenario key, e.g. --param params=given (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Band: relative range of the model's prefactor (Y, k, lambda, eta, c), e.g. 0.5,1.5
    /// [default: the literature range for sqrt and power, none for the others]
    #[arg(long, value_name = "LOW,HIGH", value_delimiter = ',')]
    pub prefactor_range: Option<Vec<f64>>,
    /// Bars of the sale on the printed path (as many again follow to show the decay) [default: 24]
    #[arg(long, value_name = "N")]
    pub bars: Option<usize>,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// `--sigma-daily`: a fraction in (0, 0.5], or a percent written with `%` (`3.46%` = 0.0346). A
/// bare number above 0.5 is refused: 50 % a day is beyond any BTC day on record, and the likelier
/// reading is a percent typed without its sign.
fn parse_sigma_daily(v: &str) -> Result<f64, String> {
    let t = v.trim();
    let (num, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let x: f64 = num.parse().map_err(|_| {
        format!(
            "{v:?}: expected a daily volatility, a fraction like 0.0346 or a percent like 3.46%"
        )
    })?;
    let x = if percent { x / 100.0 } else { x };
    if !(x.is_finite() && x > 0.0) {
        return Err(format!("{v:?}: expected a daily volatility > 0"));
    }
    if x > 0.5 {
        return Err(if percent {
            format!("{v:?}: a daily volatility above 50 % is outside what this tool prices")
        } else {
            format!(
                "{v:?} is {:.0} % a day: --sigma-daily takes a fraction; did you mean {} ({v}%)?",
                x * 100.0,
                x / 100.0
            )
        });
    }
    Ok(x)
}

fn need(v: Option<f64>, flag: &str, model: &str) -> anyhow::Result<f64> {
    v.ok_or_else(|| user(format!("{model} needs {flag}")))
}

/// One point of a printed path.
#[derive(Debug, Serialize)]
struct PathPoint {
    t_days: f64,
    impact_bps: f64,
}

/// The JSON document for the instantaneous and transient models.
#[derive(Debug, Serialize)]
struct ModelDoc {
    schema_version: u32,
    model: String,
    params: BTreeMap<String, f64>,
    size_btc: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    adv_btc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sigma_daily: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q_over_v: Option<f64>,
    horizon_days: f64,
    decay: String,
    impact_fraction: f64,
    impact_bps: f64,
    avg_cost_fraction: f64,
    avg_cost_bps: f64,
    permanent_bps: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    band: Option<BandDoc>,
    path: Vec<PathPoint>,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct BandDoc {
    source: String,
    impact_low_bps: f64,
    impact_high_bps: f64,
    avg_cost_low_bps: f64,
    avg_cost_high_bps: f64,
    timing_sd_bps: f64,
    observed_move_low_bps: f64,
    observed_move_high_bps: f64,
    rule: String,
}

#[derive(Debug, Serialize)]
struct AthlDoc {
    schema_version: u32,
    model: &'static str,
    params: BTreeMap<String, f64>,
    size: f64,
    adv: f64,
    sigma_daily: f64,
    horizon_days: f64,
    permanent_fraction: f64,
    permanent_bps: f64,
    temporary_fraction: f64,
    temporary_bps: f64,
    realized_fraction: f64,
    realized_bps: f64,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct FrontierDoc {
    risk_aversion: f64,
    expected_cost: f64,
    variance: f64,
}

#[derive(Debug, Serialize)]
struct AcDoc {
    schema_version: u32,
    model: &'static str,
    params: BTreeMap<String, f64>,
    size: f64,
    horizon: f64,
    steps: usize,
    risk_aversion: f64,
    tau: f64,
    kappa: f64,
    half_life: f64,
    holdings: Vec<f64>,
    trades: Vec<f64>,
    expected_cost: f64,
    variance: f64,
    expected_cost_sum: f64,
    variance_sum: f64,
    twap: FrontierDoc,
    all_at_once: FrontierDoc,
    frontier: Vec<FrontierDoc>,
    units: BTreeMap<&'static str, &'static str>,
}

/// The decay flags; `None`: the model's own default.
fn decay_of(a: &Args) -> anyhow::Result<Option<Decay>> {
    let d = match a.decay {
        None => None,
        Some(DecayArg::Permanent) => Some(Decay::Permanent),
        Some(DecayArg::Full) => Some(Decay::Full),
        Some(DecayArg::Plateau) => Some(
            Decay::plateau_checked(a.plateau.unwrap_or(Decay::DEFAULT_PLATEAU_FRACTION))
                .user_err(|| "--plateau".into())?,
        ),
    };
    if a.plateau.is_some() && a.decay != Some(DecayArg::Plateau) {
        return Err(user("--plateau needs --decay plateau"));
    }
    Ok(d)
}

/// The parameter flags and the spec key each sets (any key: `--param KEY=VALUE`).
fn param_flags(a: &Args) -> [(&'static str, &'static str, Option<f64>); 10] {
    [
        ("--y", "y", a.y),
        ("--delta", "delta", a.delta),
        ("--k", "k", a.k),
        ("--lambda", "lambda_per_btc", a.lambda),
        ("--outstanding", "outstanding_btc", a.outstanding),
        ("--eta", "eta_per_btc", a.eta),
        ("--rho", "rho_per_day", a.rho),
        ("--half-life-days", "half_life_days", a.half_life_days),
        ("--kernel-exponent", "kernel_exponent", a.kernel_exponent),
        ("--time-scale-days", "time_scale_days", a.time_scale_days),
    ]
}

/// The spec of model `key` from the flags, checked like a scenario's `[[models]]` entry; errors
/// name the flag that set the key.
fn spec_of(a: &Args, key: &str, name: &str) -> anyhow::Result<ModelSpec> {
    let mut table = Map::new();
    table.insert("model".into(), key.into());
    // Which flag set each key, for the messages.
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    for (flag, k, v) in param_flags(a) {
        if let Some(v) = v {
            table.insert(k.into(), v.into());
            origin.insert(k.into(), flag.into());
        }
    }
    for p in &a.params {
        let Some((k, v)) = p.split_once('=') else {
            return Err(user(format!("--param {p}: expected KEY=VALUE")));
        };
        let (k, v) = (k.trim(), v.trim());
        if k == "model" || origin.contains_key(k) {
            return Err(user(format!(
                "--param {p}: `{k}` is already set (by the model argument or another flag)"
            )));
        }
        let value = v
            .parse::<f64>()
            .map_or_else(|_| Value::from(v), Value::from);
        table.insert(k.into(), value);
        origin.insert(k.into(), format!("--param {k}"));
    }
    let spec: ModelSpec = serde_json::from_value(Value::Object(table)).map_err(|e| {
        let e = e.to_string();
        match origin.iter().find(|(k, _)| e.contains(&format!("`{k}`"))) {
            Some((_, flag)) => user(format!("{name}: {flag}: {e}")),
            None => user(format!("{name}: {e}")),
        }
    })?;
    spec.check().map_err(|e| {
        let what = origin.get(&e.key).cloned().unwrap_or_else(|| {
            param_flags(a)
                .iter()
                .find(|(_, k, _)| *k == e.key)
                .map_or(format!("--param {}", e.key), |(flag, _, _)| {
                    (*flag).to_string()
                })
        });
        if e.value == "missing" {
            user(format!(
                "{name}: {what} is missing: expected {}",
                e.expected
            ))
        } else {
            user(format!(
                "{name}: {what} = {}: expected {}",
                e.value, e.expected
            ))
        }
    })?;
    Ok(spec)
}

fn bps(x: f64) -> f64 {
    x * 1e4
}

/// Run the subcommand.
pub fn run(a: Args) -> anyhow::Result<()> {
    if !(a.size.is_finite() && a.size >= 0.0) {
        return Err(user(format!("--size {}: expected a number >= 0", a.size)));
    }
    let text = match a.model {
        ModelArg::AlmgrenChriss => almgren_chriss(&a)?,
        ModelArg::Registered(key) => {
            let name = key.replace('_', "-");
            match spec_of(&a, key, &name)? {
                ModelSpec::Athl(spec) => athl(&a, &spec)?,
                spec => path_model(&a, &name, &spec)?,
            }
        }
    };
    crate::output::print_stdout(&text)
}

fn to_json<T: Serialize>(doc: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(doc)? + "\n")
}

fn athl(a: &Args, spec: &AthlSpec) -> anyhow::Result<String> {
    let m = "athl";
    let adv = need(a.adv, "--adv", m)?;
    let sigma = need(a.sigma_daily, "--sigma-daily", m)?;
    let horizon = a.horizon_days.unwrap_or(1.0);
    let market = MarketInputs::new_checked(sigma, adv).user_err(String::new)?;
    let model = spec.model().user_err(String::new)?;
    let c = model
        .costs(a.size, horizon, &market)
        .user_err(String::new)?;
    let doc = AthlDoc {
        schema_version: SCHEMA_VERSION,
        model: m,
        params: model.params(),
        size: a.size,
        adv,
        sigma_daily: sigma,
        horizon_days: horizon,
        permanent_fraction: c.permanent,
        permanent_bps: bps(c.permanent),
        temporary_fraction: c.temporary,
        temporary_bps: bps(c.temporary),
        realized_fraction: c.realized,
        realized_bps: bps(c.realized),
        warnings: model.warnings(),
    };
    if a.json {
        return to_json(&doc);
    }
    Ok(format!(
        "ATHL 2005, X/V = {:.4}, T = {} days\n  permanent {:>8.2} bp\n  temporary {:>8.2} bp\n  realized  {:>8.2} bp\nwarning: {}\n",
        a.size / adv,
        horizon,
        doc.permanent_bps,
        doc.temporary_bps,
        doc.realized_bps,
        doc.warnings.join("; ")
    ))
}

fn almgren_chriss(a: &Args) -> anyhow::Result<String> {
    let m = "almgren_chriss";
    let sigma = need(a.sigma, "--sigma", m)?;
    let eta = need(a.eta, "--eta", m)?;
    let horizon = need(a.horizon, "--horizon", m)?;
    let steps = a
        .steps
        .ok_or_else(|| user("almgren_chriss needs --steps"))?;
    let lambda = a.risk_aversion.unwrap_or(0.0);
    let model =
        AlmgrenChriss::new_checked(sigma, a.epsilon.unwrap_or(0.0), eta, a.gamma.unwrap_or(0.0))
            .user_err(String::new)?;
    let p = AcProblem::new_checked(model, a.size, horizon, steps, lambda).user_err(String::new)?;
    let s = p.solve();
    let (tw, all) = (p.twap(), p.all_at_once());
    let lambdas: Vec<f64> = if lambda > 0.0 {
        [1e-2, 1e-1, 1.0, 1e1, 1e2]
            .iter()
            .map(|f| f * lambda)
            .collect()
    } else {
        Vec::new()
    };
    let fd = |x: blocksale_impact::models::FrontierPoint| FrontierDoc {
        risk_aversion: x.risk_aversion,
        expected_cost: x.expected_cost,
        variance: x.variance,
    };
    let doc = AcDoc {
        schema_version: SCHEMA_VERSION,
        model: "almgren_chriss",
        params: model.params(),
        size: a.size,
        horizon,
        steps,
        risk_aversion: lambda,
        tau: p.tau(),
        kappa: s.kappa,
        half_life: s.half_life_days,
        holdings: s.holdings.clone(),
        trades: s.trades.clone(),
        expected_cost: s.expected_cost,
        variance: s.variance,
        expected_cost_sum: s.expected_cost_sum,
        variance_sum: s.variance_sum,
        twap: fd(tw),
        all_at_once: FrontierDoc {
            risk_aversion: -1.0,
            ..fd(all)
        },
        frontier: p.frontier(&lambdas).into_iter().map(fd).collect(),
        units: BTreeMap::from([
            ("kappa", "1/day"),
            ("half_life", "days (1/kappa)"),
            ("tau", "days"),
            ("holdings", "size units"),
            ("trades", "size units"),
            ("expected_cost", "price units x size units"),
            ("variance", "(price units x size units)^2"),
            ("all_at_once.risk_aversion", "-1 stands for infinity"),
        ]),
    };
    if a.json {
        return to_json(&doc);
    }
    let mut t = format!(
        "Almgren-Chriss: X = {}, T = {horizon} d, N = {steps}, lambda = {lambda}\n  kappa {:.6} /day, half-life {:.5} days\n  holdings",
        a.size, s.kappa, s.half_life_days
    );
    for h in &s.holdings {
        t.push_str(&format!(" {h:.1}"));
    }
    t.push_str(&format!(
        "\n  E* {:.1}  V* {:.6e}\n  TWAP E {:.1} V {:.6e}; all at once E {:.1} V {:.1}\n",
        s.expected_cost, s.variance, tw.expected_cost, tw.variance, all.expected_cost, all.variance
    ));
    Ok(t)
}

fn path_model(a: &Args, name: &str, spec: &ModelSpec) -> anyhow::Result<String> {
    let horizon = a.horizon_days.unwrap_or(1.0);
    if !(horizon.is_finite() && horizon > 0.0) {
        return Err(user(format!(
            "--horizon-days {horizon}: expected a number of days > 0"
        )));
    }
    let ctx = BuildContext {
        decay: decay_of(a)?,
        calibration: None,
    };
    let built = spec.build(&ctx).user_err(String::new)?;
    let model = built.model;
    let needs_market = model.uses_market_inputs();
    let (adv, sigma) = if needs_market {
        (
            Some(need(a.adv, "--adv", name)?),
            Some(need(a.sigma_daily, "--sigma-daily", name)?),
        )
    } else {
        (a.adv, a.sigma_daily)
    };
    // A model that ignores the market takes any valid placeholder.
    let market = MarketInputs::new_checked(sigma.unwrap_or(1.0), adv.unwrap_or(1.0))
        .user_err(String::new)?;
    let n = a.bars.unwrap_or(24).max(1);
    let grid =
        ExecutionGrid::uniform(twap(a.size, n), 2 * n, 2.0 * horizon).user_err(String::new)?;
    let path = model.path(&grid, &market);
    let last = n - 1;
    let impact = path.impact[last];
    let mut notes = model.warnings();
    if needs_market {
        notes.push(
            "V should count the venues the sale is assumed to hit; a single-exchange V overstates Q/V for a sale \
             spread over venues and OTC desks"
                .into(),
        );
    }
    let band_doc = |b: ImpactBand, source: String| BandDoc {
        source,
        impact_low_bps: bps(b.param_low[last]),
        impact_high_bps: bps(b.param_high[last]),
        avg_cost_low_bps: bps(b.avg_cost.low),
        avg_cost_high_bps: bps(b.avg_cost.high),
        timing_sd_bps: bps(market.sigma_daily * horizon.sqrt()),
        observed_move_low_bps: bps(b.total_low[last]),
        observed_move_high_bps: bps(b.total_high[last]),
        rule: BAND_RULE.into(),
    };
    let band = match (
        &a.prefactor_range,
        spec.what_if_band().user_err(String::new)?,
    ) {
        (Some(r), _) if r.len() != 2 => {
            return Err(user(format!(
                "--prefactor-range takes two numbers LOW,HIGH, got {r:?}"
            )));
        }
        (Some(r), _) if sigma.is_some() => {
            let b = prefactor_band(model.as_ref(), r[0], r[1], &grid, &market, 1.96)
                .user_err(|| "--prefactor-range".into())?;
            Some(band_doc(
                b,
                format!(
                    "prefactor x {} to x {} (--prefactor-range); 95 % timing",
                    r[0], r[1]
                ),
            ))
        }
        // The band a scenario's entry gets (the same computation as `backtest`).
        (None, _) if sigma.is_some() && !matches!(built.band, ParamBand::None) => {
            let b = param_band(model.as_ref(), &built.band, &grid, &market, 1.96)
                .user_err(String::new)?;
            Some(band_doc(b, format!("{}; 95 %", built.param_source)))
        }
        (None, Some(w)) => {
            let alts: Vec<&dyn ImpactModel> = w.alternatives.iter().map(|m| m.as_ref()).collect();
            let b = band(model.as_ref(), &alts, &grid, &market, 1.96).user_err(String::new)?;
            Some(band_doc(b, format!("{}; 95 %", w.source)))
        }
        (None, _) if sigma.is_some() => {
            let b = prefactor_band(model.as_ref(), 1.0, 1.0, &grid, &market, 1.96)
                .user_err(String::new)?;
            Some(band_doc(
                b,
                "timing risk only (no parameter range: pass --prefactor-range LOW,HIGH); 95 %"
                    .into(),
            ))
        }
        _ => {
            notes.push("no band: pass --sigma-daily for the timing risk (and --prefactor-range for the parameters)".into());
            None
        }
    };
    let doc = ModelDoc {
        schema_version: SCHEMA_VERSION,
        model: model.name(),
        params: model.params(),
        size_btc: a.size,
        adv_btc: adv,
        sigma_daily: sigma,
        q_over_v: adv.map(|v| a.size / v),
        horizon_days: horizon,
        decay: model.decay().label(),
        impact_fraction: impact,
        impact_bps: bps(impact),
        avg_cost_fraction: path.avg_cost,
        avg_cost_bps: bps(path.avg_cost),
        permanent_bps: bps(path.permanent),
        band,
        path: grid.t_days()[1..]
            .iter()
            .zip(&path.impact)
            .map(|(t, i)| PathPoint {
                t_days: *t,
                impact_bps: bps(*i),
            })
            .collect(),
        notes,
    };
    if a.json {
        return to_json(&doc);
    }
    let mut t = format!(
        "{} ({}), size {} BTC over {} days\n  impact at the end of the sale {:>9.2} bp ({:.6} %)\n  average execution cost        {:>9.2} bp\n  long-run impact, {:<9} {:>9.2} bp\n",
        doc.model,
        doc.params
            .iter()
            .map(|(k, v)| format!("{k} = {}", significant(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        a.size,
        horizon,
        doc.impact_bps,
        impact * 100.0,
        doc.avg_cost_bps,
        doc.decay,
        doc.permanent_bps
    );
    if let Some(b) = &doc.band {
        t.push_str(&format!(
            "  band ({}): impact {:.2} to {:.2} bp; with timing risk {:.2} to {:.2} bp\n",
            b.source,
            b.impact_low_bps,
            b.impact_high_bps,
            b.observed_move_low_bps,
            b.observed_move_high_bps
        ));
    }
    for n in &doc.notes {
        t.push_str(&format!("note: {n}\n"));
    }
    Ok(t)
}
