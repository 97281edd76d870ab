//! `memo.md`: the one-page memo.

use crate::style::thousands;
use crate::text::{model_range, sold_word, window_words};
use blocksale_backtest::BacktestResult;

/// Write the memo. `charts` are the chart files written beside it (in the order to show them);
/// `provenance` lines go to the last section (tool version, data files, seeds).
pub fn memo_markdown(r: &BacktestResult, charts: &[String], provenance: &[String]) -> String {
    let s = &r.scenario;
    let es = &r.attribution.event_study;
    let fp = &r.attribution.footprint;
    let m = &r.market.state;
    let sign = s.side.sign();
    let (c_lo, c_hi) = model_range(r, |x| x.avg_cost_bps);
    let (z_lo, z_hi) = model_range(r, |x| x.detectability_z);
    let drag = sign * es.car * 1e4;
    let noise = m.sigma_daily * s.duration_days.sqrt() * 1e4;
    let mut o = String::new();
    let mut w = |x: String| {
        o.push_str(&x);
        o.push('\n');
    };
    let name = match (&r.what_if, s.description.is_empty()) {
        (Some(x), _) => format!("What-if on {}", x.base_scenario),
        (None, true) => s.name.clone(),
        (None, false) => s.description.clone(),
    };
    if let Some(x) = &r.what_if {
        w(format!("# {}", x.title()));
        w(String::new());
        w(format!(
            "**This is a what-if, not the real sale.** It starts from the scenario {} and changes: {}.{}",
            x.base_scenario,
            x.overrides
                .iter()
                .map(|o| format!("{} from {} to {}", o.key, o.scenario_value, o.run_value))
                .collect::<Vec<_>>()
                .join("; "),
            if x.trade_changed {
                " The disclosure describes the real sale, so its implied price and shortfalls are left out; the observed-market numbers are for this run's window."
            } else {
                ""
            }
        ));
        w(String::new());
    }
    w(format!(
        "# {name}: what did {} BTC {} do to the price?",
        thousands(s.size_btc, 0),
        if sign < 0.0 {
            "of selling"
        } else {
            "of buying"
        }
    ));
    w(String::new());
    w(format!(
        "**Question.** {}: {} BTC {} {} ({} schedule assumed). How much did the sale move the BTC price, what did it cost, and can the move be seen in the market data?",
        name,
        thousands(s.size_btc, 0),
        sold_word(r),
        window_words(r),
        s.schedule
    ));
    w(String::new());
    let implied = r.implied.as_ref().map_or(String::new(), |i| {
        format!(
            " The disclosed proceeds imply an average price {:.0} bp below the arrival price ({} USD on the whole block), {}.",
            i.shortfall_vs_arrival_bps,
            thousands(i.shortfall_vs_arrival_usd, 0),
            if i.shortfall_vs_arrival_bps > c_hi {
                "more than every model predicts"
            } else if i.shortfall_vs_arrival_bps < c_lo {
                "less than every model predicts"
            } else {
                "inside the range of the models"
            }
        )
    });
    let n_models = r.models.len();
    let noise_words = if z_hi < 1.0 {
        "a drag inside the market's own noise over the window"
    } else if z_lo >= 1.0 {
        "a drag larger than the market's own noise over the window"
    } else {
        "a drag that some models put inside and some outside the market's noise over the window"
    };
    let noise95 = 1.959_963_984_540_054 * es.car_sd * 1e4;
    let seen = if drag.abs() <= noise95 {
        "the data neither show nor rule out a drag of the predicted size"
    } else if drag > 0.0 {
        "the price fell significantly against its expected return, consistent with a drag"
    } else {
        "the price rose significantly against its expected return: no visible drag"
    };
    w(format!(
        "**Answer.** {n_models} impact model{} put the average execution cost at {c_lo:.0} to {c_hi:.0} bp, {noise_words} (detectability z = {z_lo:.2} to {z_hi:.2}; 1 sd of the window return is {noise:.0} bp).{implied} The observed abnormal drag over the window is {drag:+.0} bp (J = {:.2}, p = {:.2}): {seen}.",
        if n_models == 1 { "" } else { "s" },
        es.j_stat, es.p_value
    ));
    w(String::new());
    w("## Key numbers".into());
    w(String::new());
    w("| model | avg cost bp [95 %] | peak bp [95 %] | at window end bp [95 %, with timing risk] | drag USD | z | declared range |".into());
    w("|---|---|---|---|---|---|---|".into());
    for x in &r.models {
        w(format!(
            "| {} | {:.0} [{:.0}, {:.0}] | {:.0} [{:.0}, {:.0}] | {:.0} [{:.0}, {:.0}] | {} | {:.2} | {} |",
            x.name,
            x.avg_cost_bps,
            x.avg_cost_band_bps.low,
            x.avg_cost_band_bps.high,
            x.peak_impact_bps,
            x.peak_band_bps.low,
            x.peak_band_bps.high,
            x.impact_at_window_end_bps,
            x.window_end_total_band_bps.low,
            x.window_end_total_band_bps.high,
            thousands(x.drag_usd, 0),
            x.detectability_z,
            crate::text::validity_cell(x.validity.as_ref())
        ));
    }
    w(String::new());
    // Each model's caveats, once each: the ranges crossed first, then the rest.
    let mut seen = std::collections::BTreeSet::new();
    let caveats: Vec<&String> = r
        .models
        .iter()
        .flat_map(|x| x.warnings.iter())
        .filter(|n| seen.insert(n.as_str()))
        .collect();
    let (outside, other): (Vec<&String>, Vec<&String>) = caveats
        .into_iter()
        .partition(|n| n.contains(crate::text::OUTSIDE_RANGE));
    if !outside.is_empty() || !other.is_empty() {
        w("Model caveats (declared ranges: docs/methods.md §31):".into());
        w(String::new());
        for n in outside.iter().chain(other.iter()) {
            w(format!("- {n}"));
        }
        w(String::new());
    }
    w("| measure | value |".into());
    w("|---|---|".into());
    if let Some(i) = &r.implied {
        w(format!(
            "| implied average price | {} USD (proceeds / size) |",
            thousands(i.avg_price_usd, 0)
        ));
        w(format!(
            "| implied shortfall | {:.0} bp vs arrival, {:.0} vs VWAP, {:.0} vs TWAP, {:.0} vs window close |",
            i.shortfall_vs_arrival_bps,
            i.shortfall_vs_vwap_bps,
            i.shortfall_vs_twap_bps,
            i.shortfall_vs_close_bps
        ));
    }
    w(format!(
        "| observed window return | {:+.2} % ({} to {} USD) |",
        r.observed.return_window * 100.0,
        thousands(r.observed.price_start_usd, 0),
        thousands(r.observed.price_end_usd, 0)
    ));
    w(format!(
        "| CAR over the window | {:+.2} % (J = {:.2}, p = {:.2}; {}, {} to {}) |",
        es.car * 100.0,
        es.j_stat,
        es.p_value,
        es.expected_return_model.label(),
        es.estimation_start.to_short(),
        es.estimation_end.to_short()
    ));
    if es.models_disagree() {
        let o = &es.other_model;
        w(format!(
            "| CAR with the {} | {:+.2} % (J = {:.2}, p = {:.2}): the two expected-return models disagree; the constant mean extrapolates the estimation window's trend ({:+.4} % per bar) over the window |",
            o.expected_return_model.label(),
            o.car * 100.0,
            o.j_stat,
            o.p_value,
            es.mean_return_per_bar * 100.0
        ));
    }
    w(format!(
        "| participation | {:.1} % of the window's {} BTC on the price venue{} |",
        r.observed.participation * 100.0,
        thousands(r.observed.window_volume_btc, 0),
        r.observed
            .participation_flag
            .as_ref()
            .map_or(String::new(), |f| format!(" ({f})"))
    ));
    w(format!(
        "| market before the sale | sigma {:.2} %/day ({}, {} days), V = {} BTC/day ({} ADV) |",
        m.sigma_daily * 100.0,
        m.sigma_estimator,
        m.sigma_days,
        thousands(m.model_volume_btc, 0),
        m.volume_basis
    ));
    w(format!(
        "| volume footprint | {} window hours with z > 2; {} BTC above {} BTC expected |",
        fp.excess_hours.len(),
        thousands(fp.window_excess_volume_btc, 0),
        thousands(fp.window_baseline_volume_btc, 0)
    ));
    if let Some(b) = &fp.best_schedule {
        w(format!("| schedule closest to the implied price | {b} |"));
    }
    w(String::new());
    w("## Charts".into());
    w(String::new());
    for c in charts {
        w(format!("![{c}]({c})"));
        w(String::new());
    }
    w("## Method and caveats".into());
    w(String::new());
    w(format!(
        "- Method: market state measured on the {} days before the sale; each model's impact path on the bar grid with the {} schedule and decay `{}`; bands are 95 % (parameter range from the literature or the calibration intervals; the window-end band adds timing risk). Observed: {} event study on {}-second returns. Formulas, defaults and sources: docs/methods.md (market state §5, schedules §18, decay §17, bands §20, attribution §21, event study §24).",
        m.calibration_days_used, s.schedule, s.decay, es.expected_return_model.label(), es.bar_seconds
    ));
    w("- Aggregate vs metaorder calibration: the calibrated curve and Kyle lambda come from every trader's net taker flow per bar, not from one metaorder; they check the scale, they are not the impact law of one block sale.".into());
    w(format!(
        "- Venue coverage: volume and price come from {}; the sale may have met volume on other venues, so Q/V and the predicted impact are upper estimates for a lit-market sale.",
        m.volume_venues
    ));
    w("- OTC share unknown: a block sold partly over the counter leaves less footprint on exchange data; the disclosure does not say how the BTC was sold.".into());
    w("- The implied price uses proceeds that may be net of fees and spread: it is a lower bound on the gross execution price.".into());
    w(String::new());
    w("## Provenance".into());
    w(String::new());
    for p in provenance {
        w(format!("- {p}"));
    }
    o
}
