//! Running one scenario against observed bars.

use crate::footprint::footprint;
use crate::market::{calibration_window, source};
use crate::result::*;
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{day_start_ms, BarSeries, Timestamp, MS_PER_DAY, MS_PER_HOUR};
use blocksale_impact::calibration::{calibrate, Calibration, CalibrationConfig};
use blocksale_impact::models::{BuildContext, BuiltModel};
use blocksale_impact::uncertainty::{param_band, Band, ImpactBand};
use blocksale_impact::{ExecutionGrid, MarketInputs, SaleWindow};
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
    /// What the run overrides of its scenario file, if anything.
    pub what_if: Option<WhatIf>,
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
    Ok(param_band(b.model.as_ref(), &b.band, grid, m, Z95)?)
}

/// Average cost, in log-price units, above which a result is flagged as the formula's rather
/// than a forecast: 1 (10,000 bp, a price move by a factor of e). A project threshold, not a
/// published range: the models here are laws of small impacts, and a cost of this size says a
/// model is used far outside the regime its formula describes.
const BEYOND_ANY_FIT: f64 = 1.0;

/// The warning for an average cost beyond [`BEYOND_ANY_FIT`].
fn beyond_any_range(model: &str, avg_cost: f64) -> Option<String> {
    (avg_cost > BEYOND_ANY_FIT).then(|| {
        format!(
            "{model}: an average cost of {:.0} bp (a price move by a factor of {:.3e}) is far outside anything an impact model has been fitted on; the number is the formula's, not a forecast{}",
            avg_cost * 1e4,
            avg_cost.exp(),
            if avg_cost > 700.0 {
                ", and the predicted price cannot be formed (left out)"
            } else {
                ""
            }
        )
    })
}

/// How the window's bars fall short of `[start, end)`: `None` when every bar slot holds one;
/// otherwise the words and whether it is a coverage failure (the bars start after the window
/// start, end before its end, or fill fewer than 90 % of its slots) rather than a few bars missing
/// inside it (exchange outages), which only earn a note.
fn window_gap(t: &[i64], start: i64, end: i64, bar_ms: i64) -> Option<(String, bool)> {
    let slots = ((end - start) / bar_ms) as usize;
    if t.len() == slots && t.first() == Some(&start) && t.last() == Some(&(end - bar_ms)) {
        return None;
    }
    let at = |x: Option<&i64>| {
        x.map_or("none".to_string(), |&m| {
            Timestamp::from_millis(m).to_string()
        })
    };
    let fails = t.first() != Some(&start)
        || t.last() != Some(&(end - bar_ms))
        || (t.len() as f64) < 0.9 * slots as f64;
    Some((
        format!(
            "{} of its {slots} bars are present, the first at {}, the last at {}",
            t.len(),
            at(t.first()),
            at(t.last())
        ),
        fails,
    ))
}

/// Which days sigma is measured over, paired with V or not, and its sampling error.
fn sigma_days_note(m: &MarketState) -> String {
    let (n, other) = match m.sigma_days.as_str() {
        "weekend" => (
            m.weekend_days_used,
            format!("all days {:.2} %", m.sigma_daily_all_days * 100.0),
        ),
        _ => (
            m.calibration_days_used,
            m.sigma_daily_weekend
                .map_or("weekend days: too few".into(), |w| {
                    format!("weekend days {:.2} %", w * 100.0)
                }),
        ),
    };
    let paired = if m.sigma_days == m.volume_basis {
        "the days V averages over"
    } else {
        "NOT the days V averages over"
    };
    format!(
        "sigma {:.2} %/day is measured over {n} {} days, {paired}; a sigma from n days has a sampling sd of about 1/sqrt(2n) = {:.0} % of itself; the other choice ({other}) is shown per model as a sensitivity",
        m.sigma_daily * 100.0,
        m.sigma_days,
        100.0 / (2.0 * n as f64).sqrt()
    )
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
    // A what-if that changes the trade keeps nothing derived from the real sale's disclosure.
    let trade_changed = input.what_if.as_ref().is_some_and(|w| w.trade_changed);
    let without_disclosure;
    let s = if trade_changed {
        let mut c = input.scenario.clone();
        c.disclosed_proceeds_usd = None;
        without_disclosure = c;
        &without_disclosure
    } else {
        input.scenario
    };
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
    let coverage_gap = window_gap(&t[win.clone()], start, end, bar_ms);
    if let Some((gap, true)) = &coverage_gap {
        if !s.market.allow_partial_window {
            return Err(BacktestError::Coverage(format!(
                "the sale window {} .. {} is not fully covered by the bars of {}: {gap}; set market.allow_partial_window = true (--set market.allow_partial_window=true) to run on the bars there are",
                s.start, s.end, s.data.price
            )));
        }
    }

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
    // The other choice of days for sigma, V unchanged (the pairing sensitivity).
    let other_sigma = match market.sigma_days.as_str() {
        "weekend" => Some(("all", market.sigma_daily_all_days)),
        _ => market.sigma_daily_weekend.map(|s| ("weekend", s)),
    }
    .and_then(|(days, s)| {
        MarketInputs::new_checked(s, market.model_volume_btc)
            .ok()
            .map(|m| (days, s, m))
    });

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
        let validity = built
            .model
            .validity_check(s.size_btc, grid.execution_days(), &inputs);
        models.push(ModelResult {
            name: built.model.name(),
            params: built.model.params(),
            peak_impact_bps: p.peak * 1e4,
            permanent_impact_bps: p.permanent * 1e4,
            avg_cost_bps: p.avg_cost * 1e4,
            // Multiplicative: the impact is a log-price move, so a price is never negative; one
            // that leaves the range of positive finite numbers (a cost of hundreds of log units)
            // cannot be formed and is left out, with the warning below.
            predicted_avg_price_usd: Some(arrival * (sign * p.avg_cost).exp())
                .filter(|&x| crate::is_price(x)),
            drag_usd: s.size_btc * arrival * p.avg_cost,
            share_of_observed_move: (moved_with_sale && !trade_changed)
                .then(|| at_end / observed.return_window.abs()),
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
            other_sigma_days: other_sigma
                .as_ref()
                .filter(|_| built.model.uses_market_inputs())
                .map(|(days, sigma, m)| {
                    let q = built.model.path(&grid, m);
                    SigmaSensitivity {
                        sigma_days: days,
                        sigma_daily: *sigma,
                        peak_impact_bps: q.peak * 1e4,
                        avg_cost_bps: q.avg_cost * 1e4,
                    }
                }),
            validity: validity.clone(),
            warnings: built
                .warnings
                .iter()
                .cloned()
                .chain(
                    validity
                        .as_ref()
                        .and_then(|c| c.warning(&built.model.name())),
                )
                .chain(beyond_any_range(&built.model.name(), p.avg_cost))
                .collect(),
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
                    .map(|&x| crate::price_or_nan(path.close()[i] * (-sign * x).exp()))
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
        "bands: 95 %; parameter band from the literature range (corners) or the calibration (bootstrap draws of the parameters together, or the Newey-West interval of lambda), total band adds timing risk sigma*sqrt(t) in quadrature (docs/methods.md §20)".into(),
        sigma_days_note(&market),
    ];
    notes.extend(placed.note.clone());
    notes.extend(observed.participation_flag.clone());
    if s.disclosed_proceeds_usd.is_some() {
        notes.push("disclosed proceeds may be net of fees and spread; the implied price is a lower bound on the gross execution price".into());
    }
    if let Some(c) = &calibration {
        notes.push(c.note.clone());
    }
    match &coverage_gap {
        Some((gap, true)) => notes.push(format!(
            "PARTIAL WINDOW: {gap}; every window statistic (return, VWAP, volume, CAR, footprint) covers only the bars present"
        )),
        Some((gap, false)) => notes.push(format!(
            "bars missing inside the window (exchange gaps): {gap}; the window statistics use the bars present"
        )),
        None => {}
    }
    if let Some(w) = &input.what_if {
        notes.push(format!(
            "{}: observed-market numbers (window return, VWAP, CAR, footprint) are for this run's window and size",
            w.title()
        ));
        if trade_changed {
            let real = input.scenario;
            notes.push(format!(
                "the disclosure describes the real sale ({} BTC, {} to {}): the implied price, the shortfalls, the schedule that best explains them and the share of the observed move are left out of this what-if; run the scenario without overrides for them",
                real.size_btc,
                real.start.to_short(),
                real.end.to_short()
            ));
        }
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
        what_if: input.what_if.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::tests::setup;
    use blocksale_core::Side;

    fn run_on(s: &Scenario, src: &BTreeMap<String, BarSeries>) -> BacktestResult {
        run(&BacktestInput {
            scenario: s,
            sources: src,
            data_files: Vec::new(),
            what_if: None,
        })
        .unwrap()
    }

    fn run_side(side: Side) -> BacktestResult {
        let (mut s, src) = setup();
        s.side = side;
        s.disclosed_proceeds_usd = None;
        run_on(&s, &src)
    }

    /// A sale and a purchase of the same size in the same window, each filled 1 % worse than the
    /// arrival price (the sale at arrival * 0.99, the purchase at arrival * 1.01): both implied
    /// costs are +100 bp against arrival, and the scorecard scores both as a cost (positive
    /// implied cost, the same z for the same prediction).
    #[test]
    fn a_sale_and_a_purchase_filled_worse_both_cost() {
        let (s0, src) = setup();
        let arrival = run_side(Side::Sell).market.state.arrival_price_usd;
        let run_at = |side: Side, factor: f64| {
            let mut s = s0.clone();
            s.side = side;
            s.disclosed_proceeds_usd = Some(s.size_btc * arrival * factor);
            run_on(&s, &src)
        };
        let (sell, buy) = (run_at(Side::Sell, 0.99), run_at(Side::Buy, 1.01));
        for r in [&sell, &buy] {
            let i = r.implied.as_ref().unwrap();
            assert!((i.shortfall_vs_arrival_bps - 100.0).abs() < 1e-6, "{i:?}");
            assert!(i.shortfall_vs_arrival_usd > 0.0);
        }
        let (a, b) = (
            crate::scorecard::score_event(&sell).unwrap(),
            crate::scorecard::score_event(&buy).unwrap(),
        );
        assert!((a.implied_vs_arrival_bps - 100.0).abs() < 1e-6);
        assert!((b.implied_vs_arrival_bps - 100.0).abs() < 1e-6);
        for (x, y) in a.models.iter().zip(&b.models) {
            assert_eq!(x.predicted_bps, y.predicted_bps, "{}", x.model);
            assert!((x.z - y.z).abs() < 1e-9, "{}", x.model);
        }
        // Filled better than arrival (the sale above it, the purchase below): a negative cost
        // for both.
        let (sell, buy) = (run_at(Side::Sell, 1.01), run_at(Side::Buy, 0.99));
        for r in [&sell, &buy] {
            assert!((r.implied.as_ref().unwrap().shortfall_vs_arrival_bps + 100.0).abs() < 1e-6);
        }
    }

    /// A sale of half a day's volume in 2 hours (participation 6) is outside every model's premise
    /// bound on participation alone; over 2 days (participation 0.25) it is inside.
    #[test]
    fn participation_alone_puts_a_sale_outside_the_declared_range() {
        let (mut s, src) = setup();
        let v = run_on(&s, &src).market.state.model_volume_btc;
        s.size_btc = 0.5 * v;
        for (hours, outside) in [(2, true), (48, false)] {
            s.end = Timestamp::from_millis(s.start.as_millis() + hours * MS_PER_HOUR);
            let r = run_on(&s, &src);
            for m in &r.models {
                let c = m.validity.as_ref().unwrap();
                assert!((c.sale.q_over_v - 0.5).abs() < 1e-12, "{}", m.name);
                let q: Vec<&str> = c.outside.iter().map(|b| b.quantity).collect();
                assert_eq!(
                    q,
                    if outside {
                        vec!["participation"]
                    } else {
                        vec![]
                    },
                    "{}",
                    m.name
                );
                assert_eq!(
                    m.warnings
                        .iter()
                        .any(|w| w.contains(blocksale_impact::validity::OUTSIDE_RANGE)),
                    outside,
                    "{}",
                    m.name
                );
            }
        }
    }

    /// A purchase mirrors a sale of the same size in the same window: every model predicts the
    /// same cost and band, and the price moves the other way (up for a buy).
    #[test]
    fn a_purchase_mirrors_a_sale() {
        let (sell, buy) = (run_side(Side::Sell), run_side(Side::Buy));
        assert_eq!(sell.models.len(), buy.models.len());
        let arrival = sell.market.state.arrival_price_usd;
        for (a, b) in sell.models.iter().zip(&buy.models) {
            assert_eq!(a.name, b.name);
            assert!(a.avg_cost_bps > 0.0, "{}", a.name);
            assert_eq!(a.avg_cost_bps, b.avg_cost_bps, "{}", a.name);
            assert_eq!(a.peak_impact_bps, b.peak_impact_bps, "{}", a.name);
            assert_eq!(a.avg_cost_band_bps, b.avg_cost_band_bps, "{}", a.name);
            // The sale fills below arrival, the purchase above, by the same log cost: the prices
            // are arrival * exp(-/+ c); the USD drag is the cost on the notional at arrival.
            let c = a.avg_cost_bps / 1e4;
            assert!(
                (a.predicted_avg_price_usd.unwrap() - arrival * (-c).exp()).abs() < 1e-9 * arrival
            );
            assert!(
                (b.predicted_avg_price_usd.unwrap() - arrival * c.exp()).abs() < 1e-9 * arrival
            );
            assert_eq!(a.drag_usd, b.drag_usd, "{}", a.name);
        }
        // The counterfactual path (the price without the trade) sits above the observed close
        // for a sale and below it for a purchase, by the same impact.
        let k = sell.paths.iter().position(|r| r.in_window).unwrap() + 3;
        let (rs, rb) = (&sell.paths[k], &buy.paths[k]);
        for m in 0..sell.models.len() {
            let x = rs.impact_bps[m] / 1e4;
            assert!(x > 0.0);
            assert_eq!(rs.impact_bps[m], rb.impact_bps[m]);
            assert!((rs.counterfactual_close_usd[m] - rs.close * x.exp()).abs() < 1e-9 * rs.close);
            assert!(
                (rb.counterfactual_close_usd[m] - rb.close * (-x).exp()).abs() < 1e-9 * rb.close
            );
        }
    }

    /// Hourly bars from 60 days before `start` to 375 days after, a seeded random walk.
    fn long_bars(start_ms: i64) -> BarSeries {
        use blocksale_core::BarColumns;
        let t0 = start_ms - 60 * MS_PER_DAY;
        let mut rng = blocksale_impact::rng::SplitMix64::new(17);
        let mut cols = BarColumns::default();
        let mut p = 70_000.0f64;
        for i in 0..(435 * 24) {
            let o = p;
            p *= (0.006 * (rng.next_f64() - 0.5)).exp();
            let v = 500.0 + 700.0 * rng.next_f64();
            cols.push_ohlcv(
                t0 + i * MS_PER_HOUR,
                o,
                o.max(p) * 1.0005,
                o.min(p) * 0.9995,
                p,
                v,
            );
        }
        BarSeries::new_checked(cols, 3_600).unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 24,
            rng_seed: proptest::test_runner::RngSeed::Fixed(42),
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]
        /// Any size from 1e-3 to 1e9 BTC, any window from 1 hour to 365 days, either side: every
        /// model's numbers are finite, a predicted or counterfactual price is positive or left
        /// out, a cost beyond the small-impact regime carries its warning, and so does a sale
        /// outside a model's declared range.
        #[test]
        fn any_size_window_and_side_gives_finite_outputs(
            log_q in -3.0f64..9.0,
            hours in 1i64..(365 * 24),
            buy in proptest::bool::ANY,
        ) {
            let (mut s, _) = setup();
            let src = BTreeMap::from([("synthetic".to_string(), long_bars(s.start.as_millis()))]);
            s.size_btc = 10f64.powf(log_q);
            s.end = Timestamp::from_millis(s.start.as_millis() + hours * MS_PER_HOUR);
            s.side = if buy { Side::Buy } else { Side::Sell };
            let r = run_on(&s, &src);
            for m in &r.models {
                for x in [
                    m.peak_impact_bps,
                    m.avg_cost_bps,
                    m.drag_usd,
                    m.detectability_z,
                    m.avg_cost_band_bps.low,
                    m.avg_cost_band_bps.high,
                    m.peak_band_bps.low,
                    m.peak_band_bps.high,
                ] {
                    proptest::prop_assert!(x.is_finite(), "{} {x}", m.name);
                }
                if let Some(p) = m.predicted_avg_price_usd {
                    proptest::prop_assert!(p > 0.0 && p.is_finite(), "{} {p}", m.name);
                }
                if m.avg_cost_bps > 1e4 {
                    proptest::prop_assert!(
                        m.warnings.iter().any(|w| w.contains("far outside")),
                        "{}: {} bp without a warning", m.name, m.avg_cost_bps
                    );
                }
            }
            if let Some(i) = &r.implied {
                proptest::prop_assert!(i.avg_price_usd > 0.0 && i.avg_price_usd.is_finite());
            }
            // Every model declares a range; the sale measured by hand (a TWAP over the window's
            // hourly bars: T = the window) is outside it exactly when Q/V or Q/(V T) exceeds 1,
            // and then, only then, the model carries the warning.
            proptest::prop_assert_eq!(s.schedule.kind(), "twap");
            let v = r.market.state.model_volume_btc;
            let (qv, part) = (s.size_btc / v, s.size_btc / v / (hours as f64 / 24.0));
            for m in &r.models {
                let c = m.validity.as_ref().expect("every model declares a range");
                proptest::prop_assert!((c.sale.q_over_v - qv).abs() <= 1e-12 * qv);
                proptest::prop_assert!((c.sale.participation - part).abs() <= 1e-9 * part);
                let outside = qv > 1.0 || part > 1.0;
                proptest::prop_assert_eq!(c.is_outside(), outside, "{}", m.name);
                proptest::prop_assert_eq!(
                    m.warnings.iter().any(|w| w.contains(blocksale_impact::validity::OUTSIDE_RANGE)),
                    outside,
                    "{}", m.name
                );
            }
            // No zero, negative or infinite price on the path: a counterfactual close is positive
            // or absent (NaN: an empty cell, null in JSON).
            for row in &r.paths {
                for &c in &row.counterfactual_close_usd {
                    proptest::prop_assert!(c.is_nan() || (c > 0.0 && c.is_finite()), "{c}");
                }
            }
        }
    }
}
