//! Running one scenario against observed bars.

use crate::result::*;
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{BarSeries, Timestamp, MS_PER_DAY};
use blocksale_impact::{schedules::twap, ExecutionGrid, MarketInputs};

/// What [`run`] needs: the scenario and the bars its data files hold.
#[derive(Debug, Clone)]
pub struct BacktestInput<'a> {
    /// The scenario (flags already applied).
    pub scenario: &'a Scenario,
    /// Bars covering the calibration window, the context before and the window itself.
    pub bars: &'a BarSeries,
    /// Names of the data files the bars came from, for provenance.
    pub data_files: Vec<String>,
}

/// Run the scenario: market state, TWAP schedule on the bar grid, every model's path, observed
/// statistics and the disclosure's implied execution.
///
/// # Errors
/// [`BacktestError`] when the scenario is invalid or the bars do not cover it.
pub fn run(input: &BacktestInput<'_>) -> Result<BacktestResult, BacktestError> {
    let s = input.scenario;
    s.validate()?;
    let bars = input.bars;
    let market = MarketState::measure(s, bars)?;
    let ctx = i64::from(s.market.context_days) * MS_PER_DAY;
    let (start, end) = (s.start.as_millis(), s.end.as_millis());
    let path = bars.slice_time(start - ctx, end + ctx);
    let win = path.index_range(start, end);
    let t = path.open_time_ms();

    // Execution grid from the first window bar to the end of the observed path.
    let bar_ms = path.bar_ms();
    let mut t_days: Vec<f64> = t[win.start..]
        .iter()
        .map(|&x| (x - start) as f64 / MS_PER_DAY as f64)
        .collect();
    t_days.push((t[t.len() - 1] + bar_ms - start) as f64 / MS_PER_DAY as f64);
    let n_after = t.len() - win.start;
    let mut qty = twap(s.size_btc, win.len());
    qty.resize(n_after, 0.0);
    let grid = ExecutionGrid::new_checked(t_days, qty)?;
    let inputs = MarketInputs::new_checked(market.sigma_daily, market.model_volume_btc)?;

    let arrival = market.arrival_price_usd;
    let observed = observe(&path, win.clone(), s.size_btc);
    let sign = s.side.sign();
    let mut models = Vec::with_capacity(s.models.len());
    let mut impacts: Vec<Vec<f64>> = Vec::with_capacity(s.models.len());
    for spec in &s.models {
        let model = spec.build()?;
        let p = model.path(&grid, &inputs);
        let at_end = p.impact[win.len() - 1];
        let moved_with_sale = observed.return_window * sign > 0.0;
        models.push(ModelResult {
            name: model.name(),
            params: model.params(),
            peak_impact_bps: p.peak * 1e4,
            permanent_impact_bps: p.permanent * 1e4,
            avg_cost_bps: p.avg_cost * 1e4,
            predicted_avg_price_usd: arrival * (1.0 + sign * p.avg_cost),
            drag_usd: s.size_btc * arrival * p.avg_cost,
            share_of_observed_move: moved_with_sale.then(|| at_end / observed.return_window.abs()),
        });
        impacts.push(p.impact);
    }

    let cum = grid.cumulative_btc();
    let paths = (0..path.len())
        .map(|i| {
            let k = i.checked_sub(win.start);
            let imp: Vec<f64> = impacts.iter().map(|v| k.map_or(0.0, |k| v[k])).collect();
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
        }
    });

    let mut notes = vec![
        format!(
            "V is measured on {} only; a sale spread over other venues and OTC desks meets more volume, so Q/V and the predicted impact are upper estimates for a lit-market sale",
            s.data.venue
        ),
        "impact stays at its final value after the window (no decay assumed)".into(),
        "schedule: TWAP over the bars of the window".into(),
    ];
    if observed.participation > 0.25 {
        notes.push(format!(
            "the sale would have been {:.0} % of the venue's window volume: implausible as a lit-market sale on this venue alone",
            observed.participation * 100.0
        ));
    }
    if s.disclosed_proceeds_usd.is_some() {
        notes.push("disclosed proceeds may be net of fees and spread; the implied price is a lower bound on the gross execution price".into());
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
            duration_days: (end - start) as f64 / MS_PER_DAY as f64,
            disclosed_proceeds_usd: s.disclosed_proceeds_usd,
            settlement: s.settlement.clone(),
            sources: s.sources.clone(),
        },
        market: MarketSection {
            state: market,
            data_files: input.data_files.clone(),
            bar_seconds: bars.bar_seconds(),
        },
        observed,
        implied,
        models,
        reference_levels: s.reference_levels.clone(),
        notes,
        paths,
    })
}

fn observe(path: &BarSeries, win: std::ops::Range<usize>, size_btc: f64) -> ObservedSection {
    let (o, h, l, c, v) = (
        path.open(),
        path.high(),
        path.low(),
        path.close(),
        path.volume(),
    );
    let t = path.open_time_ms();
    let argmin = |r: std::ops::Range<usize>| r.min_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap_or(0);
    let imin = argmin(0..path.len());
    let wmin = argmin(win.clone());
    let wmax = win
        .clone()
        .max_by(|&a, &b| h[a].total_cmp(&h[b]))
        .unwrap_or(0);
    let vol: f64 = v[win.clone()].iter().sum();
    let (vwap, method) = match path.quote_volume() {
        Some(q) if vol > 0.0 => (
            q[win.clone()].iter().sum::<f64>() / vol,
            "quote_volume/volume",
        ),
        _ if vol > 0.0 => {
            let pv: f64 = win.clone().map(|i| (h[i] + l[i] + c[i]) / 3.0 * v[i]).sum();
            (pv / vol, "typical_price")
        }
        _ => (
            win.clone().map(|i| c[i]).sum::<f64>() / win.len() as f64,
            "mean_close_no_volume",
        ),
    };
    let (p0, p1) = (o[win.start], c[win.end - 1]);
    ObservedSection {
        price_start_usd: p0,
        price_end_usd: p1,
        return_window: (p1 / p0).ln(),
        min_price_usd: l[imin],
        min_price_time: Timestamp::from_millis(t[imin]),
        window_min_price_usd: l[wmin],
        window_min_price_time: Timestamp::from_millis(t[wmin]),
        window_max_price_usd: h[wmax],
        window_vwap_usd: vwap,
        window_vwap_method: method.into(),
        window_volume_btc: vol,
        participation: if vol > 0.0 {
            size_btc / vol
        } else {
            f64::INFINITY
        },
        path_start: Timestamp::from_millis(t[0]),
        path_end: Timestamp::from_millis(t[t.len() - 1]),
    }
}
