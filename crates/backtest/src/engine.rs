//! Running one scenario against observed bars.

use crate::footprint::footprint;
use crate::market::{calibration_window, source};
use crate::result::*;
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{day_start_ms, BarSeries, Timestamp, MS_PER_DAY, MS_PER_HOUR};
use blocksale_impact::calibration::{calibrate, Calibration, CalibrationConfig};
use blocksale_impact::models::{BuildContext, BuiltModel};
use blocksale_impact::uncertainty::{band, prefactor_band, Band, ImpactBand};
use blocksale_impact::{ExecutionGrid, ImpactModel, MarketInputs, SaleWindow};
use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;

/// What [`run`] needs: the scenario and the bars of each of its sources.
#[derive(Debug, Clone)]
pub struct BacktestInput<'a> {
    /// The scenario (flags already applied).
    pub scenario: &'a Scenario,
    /// Bars per venue label.
    pub sources: &'a BTreeMap<String, BarSeries>,
    /// Names of the data files the bars came from, for provenance.
    pub data_files: Vec<String>,
}

/// Markout horizons after the window end, hours.
pub const MARKOUT_HOURS: [i64; 4] = [1, 6, 24, 72];
/// z for the 95 % bands.
const Z95: f64 = 1.959_963_984_540_054;

/// Run the calibration a scenario asks for.
///
/// # Errors
/// [`BacktestError`] when the venue's bars cannot be calibrated.
pub fn run_calibration(
    s: &Scenario,
    sources: &BTreeMap<String, BarSeries>,
) -> Result<Option<Calibration>, BacktestError> {
    let Some(c) = &s.calibration else {
        return Ok(None);
    };
    let bars = source(sources, &c.venue)?;
    let (from, to) = calibration_window(s.start.as_millis(), c.days);
    let mut cal_bars = bars.slice_time(from, to);
    if cal_bars.bar_seconds() != c.bar_seconds {
        cal_bars = cal_bars
            .resample(c.bar_seconds)
            .map_err(|e| BacktestError::Scenario {
                key: "calibration.bar_seconds".into(),
                value: c.bar_seconds.to_string(),
                expected: format!(
                    "a multiple of the {} s bars of {}: {e}",
                    bars.bar_seconds(),
                    c.venue
                ),
            })?;
    }
    let cfg = CalibrationConfig {
        seed: c.seed,
        ..CalibrationConfig::default()
    };
    calibrate(&cal_bars, &cfg).map(Some).map_err(|e| {
        BacktestError::Coverage(format!(
            "calibration on {} {} .. {}: {e}",
            c.venue,
            Timestamp::from_millis(from),
            Timestamp::from_millis(to)
        ))
    })
}

/// The band of one model on a grid.
pub(crate) fn model_band(
    b: &BuiltModel,
    grid: &ExecutionGrid,
    m: &MarketInputs,
) -> Result<ImpactBand, BacktestError> {
    Ok(if !b.alternatives.is_empty() {
        let alts: Vec<&dyn ImpactModel> = b.alternatives.iter().map(|a| a.as_ref()).collect();
        band(b.model.as_ref(), &alts, grid, m, Z95)?
    } else if let Some((lo, hi)) = b.prefactor_range {
        prefactor_band(b.model.as_ref(), lo, hi, grid, m, Z95)?
    } else {
        band(b.model.as_ref(), &[], grid, m, Z95)?
    })
}

fn bps(b: Band) -> Band {
    Band {
        low: b.low * 1e4,
        central: b.central * 1e4,
        high: b.high * 1e4,
    }
}

/// Run the scenario: market state, schedule on the bar grid, every model's path and band, observed
/// statistics, event study, footprint and the disclosure's implied execution.
///
/// # Errors
/// [`BacktestError`] when the scenario is invalid or the bars do not cover it.
pub fn run(input: &BacktestInput<'_>) -> Result<BacktestResult, BacktestError> {
    let s = input.scenario;
    s.validate()?;
    let market = MarketState::measure(s, input.sources)?;
    let calibration = run_calibration(s, input.sources)?;
    let bars = source(input.sources, &s.data.price)?;
    let ctx = i64::from(s.market.context_days) * MS_PER_DAY;
    let (start, end) = (s.start.as_millis(), s.end.as_millis());
    let path = bars.slice_time(start - ctx, end + ctx);
    let win = path.index_range(start, end);
    let t = path.open_time_ms();
    let bar_ms = path.bar_ms();

    // Schedule on the window bars; POV may run into the bars after it.
    let window = SaleWindow::new_checked(&t[win.clone()], bar_ms)?.with_bars_after(&t[win.end..]);
    let placed = s
        .schedule
        .place(s.size_btc, &window, market.volume_profile().as_ref())?;
    let n_grid = t.len() - win.start;
    let mut qty = placed.qty_btc.clone();
    qty.resize(n_grid, 0.0);
    let mut t_days: Vec<f64> = t[win.start..]
        .iter()
        .map(|&x| (x - start) as f64 / MS_PER_DAY as f64)
        .collect();
    t_days.push((t[t.len() - 1] + bar_ms - start) as f64 / MS_PER_DAY as f64);
    let grid = ExecutionGrid::new_checked(t_days, qty)?;
    let inputs = MarketInputs::new_checked(market.sigma_daily, market.model_volume_btc)?;

    let arrival = market.arrival_price_usd;
    let observed = crate::observed::observe(&path, win.clone(), s);
    let sign = s.side.sign();
    let duration_days = (end - start) as f64 / MS_PER_DAY as f64;
    let mut models = Vec::with_capacity(s.models.len());
    let mut paths_by_model: Vec<ImpactBand> = Vec::with_capacity(s.models.len());
    let ctx = BuildContext {
        decay: Some(s.decay),
        calibration: calibration.as_ref(),
    };
    for spec in &s.models {
        let built = spec.build(&ctx)?;
        let b = model_band(&built, &grid, &inputs)?;
        let p = built.model.path(&grid, &inputs);
        let k_end = win.len() - 1;
        let at_end = p.impact[k_end];
        let moved_with_sale = observed.return_window * sign > 0.0;
        models.push(ModelResult {
            name: built.model.name(),
            params: built.model.params(),
            peak_impact_bps: p.peak * 1e4,
            permanent_impact_bps: p.permanent * 1e4,
            avg_cost_bps: p.avg_cost * 1e4,
            predicted_avg_price_usd: arrival * (1.0 + sign * p.avg_cost),
            drag_usd: s.size_btc * arrival * p.avg_cost,
            share_of_observed_move: moved_with_sale.then(|| at_end / observed.return_window.abs()),
            impact_at_window_end_bps: at_end * 1e4,
            detectability_z: at_end / (market.sigma_daily * duration_days.sqrt()),
            avg_cost_band_bps: bps(b.avg_cost),
            peak_band_bps: bps(b.peak),
            window_end_total_band_bps: Band {
                low: b.total_low[k_end] * 1e4,
                central: b.central[k_end] * 1e4,
                high: b.total_high[k_end] * 1e4,
            },
            param_source: built.param_source.clone(),
            warnings: built.warnings.clone(),
        });
        paths_by_model.push(b);
    }

    let es = crate::event_study::event_study(bars, s, &path)?;
    let mu_per_path_bar =
        es.expected_return_per_bar() * path.bar_seconds() as f64 / es.bar_seconds as f64;
    let cum = grid.cumulative_btc();
    let p0 = path.open()[win.start];
    let paths = (0..path.len())
        .map(|i| {
            let k = i.checked_sub(win.start);
            let at = |v: &Vec<f64>| k.map_or(0.0, |k| v[k]);
            let imp: Vec<f64> = paths_by_model.iter().map(|b| at(&b.central)).collect();
            PathRow {
                open_time: Timestamp::from_millis(t[i]),
                open: path.open()[i],
                high: path.high()[i],
                low: path.low()[i],
                close: path.close()[i],
                volume: path.volume()[i],
                in_window: win.contains(&i),
                sold_btc: k.map_or(0.0, |k| cum[k]),
                counterfactual_close_usd: imp
                    .iter()
                    .map(|&x| path.close()[i] * (-sign * x).exp())
                    .collect(),
                impact_bps: imp.iter().map(|x| x * 1e4).collect(),
                impact_low_bps: paths_by_model
                    .iter()
                    .map(|b| at(&b.param_low) * 1e4)
                    .collect(),
                impact_high_bps: paths_by_model
                    .iter()
                    .map(|b| at(&b.param_high) * 1e4)
                    .collect(),
                car_from_start: k.map_or(0.0, |k| {
                    (path.close()[i] / p0).ln() - mu_per_path_bar * (k + 1) as f64
                }),
            }
        })
        .collect();

    let implied = s.implied_avg_price_usd().map(|avg| {
        let short = |reference: f64| sign * (avg - reference) / reference * 1e4;
        ImpliedSection {
            avg_price_usd: avg,
            shortfall_vs_arrival_bps: short(arrival),
            shortfall_vs_vwap_bps: short(observed.window_vwap_usd),
            shortfall_vs_arrival_usd: sign * (avg - arrival) * s.size_btc,
            shortfall_vs_twap_bps: short(observed.window_twap_usd),
            shortfall_vs_close_bps: short(observed.price_end_usd),
        }
    });
    let fp = footprint(s, input.sources, &path, win.clone(), &market)?;

    let mut notes = vec![
        format!(
            "V = {:.0} BTC/day is {} ADV of {}; a sale spread over other venues and OTC desks meets more volume, so Q/V and the predicted impact are upper estimates for a lit-market sale",
            market.model_volume_btc, market.volume_basis, market.volume_venues
        ),
        format!("after the sale: {}", decay_words(s.decay)),
        format!("schedule: {} over the bars of the window", placed.name),
        "bands: 95 %; parameter band from the literature range or the calibration intervals, total band adds timing risk sigma*sqrt(t) in quadrature (docs/methods.md §20)".into(),
    ];
    notes.extend(placed.note.clone());
    notes.extend(observed.participation_flag.clone());
    if s.disclosed_proceeds_usd.is_some() {
        notes.push("disclosed proceeds may be net of fees and spread; the implied price is a lower bound on the gross execution price".into());
    }
    if let Some(c) = &calibration {
        notes.push(c.note.clone());
    }
    for m in models.iter().filter(|m| m.detectability_z > 5.0) {
        notes.push(format!(
            "{} predicts a move of {:.0} daily-sigma units over the window ({:.0} bp): far outside what the calibration data show; a linear model fitted on short bars does not extrapolate to a sale of this size relative to volume",
            m.name, m.detectability_z, m.impact_at_window_end_bps
        ));
    }

    Ok(BacktestResult {
        schema_version: SCHEMA_VERSION,
        scenario: ScenarioSection {
            name: s.name.clone(),
            description: s.description.clone(),
            side: s.side,
            size_btc: s.size_btc,
            start: s.start,
            end: s.end,
            duration_days,
            disclosed_proceeds_usd: s.disclosed_proceeds_usd,
            settlement: s.settlement.clone(),
            sources: s.sources.clone(),
            schedule: placed.name.to_string(),
            decay: s.decay.label(),
            annotations: s.annotations.clone(),
        },
        market: MarketSection {
            state: market,
            data_files: input.data_files.clone(),
            bar_seconds: bars.bar_seconds(),
            calibration,
        },
        observed,
        implied,
        models,
        attribution: AttributionSection {
            event_study: es,
            footprint: fp,
        },
        reference_levels: s.reference_levels.clone(),
        notes,
        paths,
    })
}

fn decay_words(d: blocksale_impact::Decay) -> String {
    match d {
        blocksale_impact::Decay::Permanent => "impact stays at its end-of-sale level".into(),
        blocksale_impact::Decay::Full => "impact decays fully along each model's relaxation".into(),
        blocksale_impact::Decay::Plateau { fraction } => format!(
            "impact decays to a plateau at {:.0} % of its end-of-sale level",
            fraction * 100.0
        ),
    }
}

/// Close of the bar that ends at `t_ms` (open time `t_ms - bar`), if present.
pub(crate) fn close_at(bars: &BarSeries, t_ms: i64) -> Option<f64> {
    let open = t_ms - bars.bar_ms();
    let i = bars.open_time_ms().partition_point(|&x| x < open);
    (bars.open_time_ms().get(i) == Some(&open)).then(|| bars.close()[i])
}

/// Two-sided normal p-value.
pub(crate) fn p_two_sided(z: f64) -> f64 {
    let n = Normal::new(0.0, 1.0).expect("standard normal");
    2.0 * (1.0 - n.cdf(z.abs()))
}

/// Hour buckets for footprints.
pub(crate) fn hour_floor(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_HOUR) * MS_PER_HOUR
}

/// Midnight of the sale day (used by replay and sweeps).
pub fn sale_day(s: &Scenario) -> i64 {
    day_start_ms(s.start.as_millis())
}
