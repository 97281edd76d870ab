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

/// Write the per-bar paths: `open_time,open,high,low,close,volume_btc,in_window,sold_btc`, then per
/// model `impact_<name>_bps` and `counterfactual_<name>_usd`.
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
    let names = model_column_names(result);
    let mut header = String::from("open_time,open,high,low,close,volume_btc,in_window,sold_btc");
    for n in &names {
        header.push_str(&format!(",impact_{n}_bps"));
    }
    for n in &names {
        header.push_str(&format!(",counterfactual_{n}_usd"));
    }
    writeln!(w, "{header}").map_err(io)?;
    for r in &result.paths {
        let mut line = format!(
            "{},{},{},{},{},{},{},{}",
            r.open_time, r.open, r.high, r.low, r.close, r.volume, r.in_window, r.sold_btc
        );
        for x in &r.impact_bps {
            line.push_str(&format!(",{x:.6}"));
        }
        for x in &r.counterfactual_close_usd {
            line.push_str(&format!(",{x:.4}"));
        }
        writeln!(w, "{line}").map_err(io)?;
    }
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
