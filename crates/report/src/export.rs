//! CSV and JSON exports.

use crate::ReportError;
use blocksale_backtest::BacktestResult;
use std::io::Write;

/// The result document as pretty JSON with a trailing newline (deterministic: struct field order,
/// ordered maps).
///
/// # Errors
/// Never in practice; a serialisation failure is returned as [`ReportError::Empty`].
pub fn result_json(result: &BacktestResult) -> Result<String, ReportError> {
    let mut s =
        serde_json::to_string_pretty(result).map_err(|e| ReportError::Empty(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// Write `paths.csv`: the table of [`crate::series::event_table`] (the same columns as
/// `event.csv`: OHLC in USD, volume, window flag, BTC sold, CAR since the start, and per model the
/// impact with its band and the counterfactual close with its band).
///
/// # Errors
/// [`ReportError::Io`] when writing fails.
pub fn write_paths_csv(
    result: &BacktestResult,
    mut w: impl Write,
    path_label: &str,
) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path_label.to_string(),
        source,
    };
    let csv = crate::series::event_table(result).to_csv()?;
    w.write_all(csv.as_bytes()).map_err(io)?;
    w.flush().map_err(io)
}

/// Unique column stems per model: the model name, with `_2`, `_3` appended to repeats.
pub(crate) fn model_column_names(result: &BacktestResult) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    result
        .models
        .iter()
        .map(|m| {
            let n = seen.entry(m.name.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                m.name.clone()
            } else {
                format!("{}_{}", m.name, n)
            }
        })
        .collect()
}

/// `notebooks-exports/README.md`: what each export holds and how to redraw `event.png` from it.
pub const NOTEBOOK_README: &str = include_str!("../../../notebooks-exports/README.md");

/// The footer source lines of the charts: the price venue's, and the calibration and replay venues'
/// where those charts exist.
#[derive(Debug, Clone, Copy)]
pub struct ChartSources<'a> {
    /// Event, drag, size curve, sweep and volume charts.
    pub price: &'a str,
    /// `calibration.png`.
    pub calibration: Option<&'a str>,
    /// `replay.png`.
    pub replay: Option<&'a str>,
}

/// `charts.json`: the scalars the charts mark and which CSV feeds which chart, so a notebook can
/// redraw every chart from the exports alone.
///
/// # Errors
/// [`ReportError::Empty`] when serialisation fails (never in practice).
pub fn charts_json(
    r: &BacktestResult,
    sources: &ChartSources<'_>,
    charts: &[(&'static str, Vec<&'static str>)],
    sweep: Option<&blocksale_backtest::sweep::SweepResult>,
    replay: Option<&blocksale_backtest::replay::ReplayResult>,
) -> Result<String, ReportError> {
    use serde_json::json;
    let names = model_column_names(r);
    let heads: Vec<&str> = crate::text::headline_models(r)
        .into_iter()
        .map(|k| names[k].as_str())
        .collect();
    let chart_files: serde_json::Map<String, serde_json::Value> = charts
        .iter()
        .map(|(c, tables)| {
            let files: Vec<String> = tables.iter().map(|t| format!("{t}.csv")).collect();
            ((*c).to_string(), json!(files))
        })
        .collect();
    let v = json!({
        "schema_version": 1,
        "scenario": r.scenario.name,
        "description": r.scenario.description,
        "side": r.scenario.side,
        "size_btc": r.scenario.size_btc,
        "window_start": r.scenario.start,
        "window_end": r.scenario.end,
        "schedule": r.scenario.schedule,
        "decay": r.scenario.decay,
        "source": sources.price,
        "calibration_source": sources.calibration,
        "replay_source": sources.replay,
        "models": names,
        "headline_models": heads,
        "reference_levels": r.reference_levels,
        "annotations": r.scenario.annotations,
        "implied": r.implied,
        "observed_min": {"price_usd": r.observed.min_price_usd, "time": r.observed.min_price_time},
        "event_study": {
            "car": r.attribution.event_study.car,
            "j_stat": r.attribution.event_study.j_stat,
            "p_value": r.attribution.event_study.p_value,
        },
        "sweep_model": sweep.and_then(|s| s
            .models
            .get(crate::sweep_chart::HEATMAP_MODEL)
            .map(|m| m.name.clone())),
        "sweep_contours_bps": crate::sweep_chart::CONTOUR_BPS,
        // The heatmap's hatch: per duration, the sizes inside the model's declared range.
        "sweep_declared_range": sweep.map(|s| {
            crate::sweep_chart::heatmap_ranges(s)
                .map(|x| json!({
                    "duration_hours": x.duration_seconds as f64 / 3600.0,
                    "basis": x.basis,
                    "inside_btc": x.inside_btc,
                }))
                .collect::<Vec<_>>()
        }),
        "replay_event": replay.and_then(|p| p.event.as_ref().map(|e| json!({
            "start": e.row.start,
            "observed_return_bps": e.row.observed_return_bps,
            "observed_return_percentile": e.observed_return_percentile,
            "adverse_move_exceedance_pct": e.adverse_move_exceedance_pct,
        }))),
        "chart_files": chart_files,
    });
    let mut s = serde_json::to_string_pretty(&v).map_err(|e| ReportError::Empty(e.to_string()))?;
    s.push('\n');
    Ok(s)
}
