//! The summary `blocksale backtest` prints: the sale, the market before it, what was observed,
//! what the disclosure implies, the footprint and every model's prediction, as fixed-width text.

use blocksale_backtest::{BacktestResult, ExpectedReturnModel};

fn th(x: f64, d: usize) -> String {
    crate::style::thousands(x, d)
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
    if let Some(w) = &r.what_if {
        line(w.title());
        for o in &w.overrides {
            line(format!(
                "  {}: {} in the scenario, {} in this run",
                o.key, o.scenario_value, o.run_value
            ));
        }
    }
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
    let other_days = match m.sigma_days.as_str() {
        "weekend" => format!("all days {:.2} %", m.sigma_daily_all_days * 100.0),
        _ => m
            .sigma_daily_weekend
            .map_or("weekend days: too few".into(), |w| {
                format!("weekend days {:.2} %", w * 100.0)
            }),
    };
    line(format!(
        "  sigma_daily              {:>14.2} %   ({} on {} days, the days of V; {other_days}; other estimators, all days: {})",
        m.sigma_daily * 100.0,
        m.sigma_estimator,
        m.sigma_days,
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
        "  event study              CAR {:+.2} %, J = {:.2} (p = {:.2}), {}, {} estimation returns of {} s",
        es.car * 100.0,
        es.j_stat,
        es.p_value,
        es.expected_return_model.label(),
        es.estimation_n,
        es.bar_seconds
    ));
    if es.models_disagree() {
        let o = &es.other_model;
        line(format!(
            "  other model              CAR {:+.2} %, J = {:.2} (p = {:.2}) with the {}: the models disagree",
            o.car * 100.0,
            o.j_stat,
            o.p_value,
            o.expected_return_model.label(),
        ));
    }
    line(format!(
        "  event-window sd          {:.2} x the estimation sd; J with the window's own variance = {:.2} (p = {:.2}, {}, {:.0} df)",
        es.sd_ratio_event_to_estimation,
        es.j_stat_event_variance,
        es.p_value_event_variance,
        match es.expected_return_model {
            ExpectedReturnModel::MarketAdjusted => "one-sample t",
            ExpectedReturnModel::ConstantMean => "Welch t",
        },
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
    // Cells first, then each column as wide as its widest cell: the table keeps its columns
    // for any magnitude.
    let head = [
        "model",
        "peak bp [95 %]",
        "avg cost bp [95 %]",
        "drag USD",
        "pred. avg",
        "z",
        "share",
        "declared range",
    ];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|x| x.to_string()).collect()];
    for mr in &r.models {
        rows.push(vec![
            mr.name.clone(),
            format!(
                "{} [{}, {}]",
                th(mr.peak_band_bps.central, 0),
                th(mr.peak_band_bps.low, 0),
                th(mr.peak_band_bps.high, 0)
            ),
            format!(
                "{} [{}, {}]",
                th(mr.avg_cost_band_bps.central, 0),
                th(mr.avg_cost_band_bps.low, 0),
                th(mr.avg_cost_band_bps.high, 0)
            ),
            th(mr.drag_usd, 0),
            // A positive price below 1 USD (a cost of hundreds of log units) keeps its digits
            // instead of printing as 0.
            mr.predicted_avg_price_usd.map_or("n/a".into(), |x| {
                if x >= 1.0 {
                    th(x, 0)
                } else {
                    format!("{x:.3e}")
                }
            }),
            format!("{:.2}", mr.detectability_z),
            mr.share_of_observed_move
                .map_or("n/a".into(), |x| format!("{:.0} %", x * 100.0)),
            crate::text::validity_cell(mr.validity.as_ref()),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut l = format!("{:<w$}", row[0], w = widths[0]);
        for j in 1..row.len() {
            l.push_str(&format!("  {:>w$}", row[j], w = widths[j]));
        }
        line(l);
    }
    line("  (z = impact at window end / (sigma * sqrt(T)); share = impact at window end / |observed window move|, n/a when the price moved against the sale; docs/methods.md §21; declared range: the sale's Q/V, participation and horizon against the range each model declares, with its source, §31)".into());
    let sens: Vec<String> = r
        .models
        .iter()
        .filter_map(|mr| {
            mr.other_sigma_days
                .map(|o| format!("{} {:.0} bp", mr.name, o.peak_impact_bps))
        })
        .collect();
    if let Some(o) = r.models.iter().find_map(|mr| mr.other_sigma_days) {
        line(format!(
            "  sigma over {} days instead ({:.2} %), V unchanged: peak {}",
            o.sigma_days,
            o.sigma_daily * 100.0,
            sens.join(", ")
        ));
    }
    line(String::new());
    for mr in &r.models {
        let params: Vec<String> = mr
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::style::significant(*v)))
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
