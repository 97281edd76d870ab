//! Words shared by the charts and the memo: which models carry a headline band, the sale window,
//! a statistic's range across models, "sold"/"bought", the decay rule.

use blocksale_backtest::BacktestResult;

/// Models whose band is drawn: the first, and the cheapest and dearest among those with a band.
pub(crate) fn headline_models(r: &BacktestResult) -> Vec<usize> {
    let has_band = |k: usize| {
        r.paths
            .iter()
            .any(|p| (p.impact_high_bps[k] - p.impact_low_bps[k]).abs() > 1e-9)
    };
    let banded: Vec<usize> = (0..r.models.len()).filter(|&k| has_band(k)).collect();
    let mut out = Vec::new();
    if let Some(&f) = banded.first() {
        out.push(f);
    }
    let by_cost = |a: &usize, b: &usize| {
        r.models[*a]
            .avg_cost_bps
            .total_cmp(&r.models[*b].avg_cost_bps)
    };
    if let Some(&lo) = banded.iter().min_by(|a, b| by_cost(a, b)) {
        out.push(lo);
    }
    if let Some(&hi) = banded.iter().max_by(|a, b| by_cost(a, b)) {
        out.push(hi);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// "Sat 07 Feb 2026 00:00 to Mon 09 Feb 00:00 UTC".
pub(crate) fn window_words(r: &BacktestResult) -> String {
    let s = &r.scenario;
    format!(
        "{} to {} UTC",
        s.start.to_datetime().format("%a %d %b %Y %H:%M"),
        s.end.to_datetime().format("%a %d %b %H:%M")
    )
}

/// When the sale's impact is laid down: over the window for a schedule that spreads the sale,
/// in the first bar for a block ("the block sale fills in its first 15m bar (Sat 07 Feb 2026
/// 00:00 UTC)").
pub(crate) fn sale_timing_words(r: &BacktestResult) -> String {
    let s = &r.scenario;
    if s.schedule == "block" {
        format!(
            "Impact arrives as the block sale fills in its first {} bar ({} UTC)",
            blocksale_core::duration_label(r.market.bar_seconds),
            s.start.to_datetime().format("%a %d %b %Y %H:%M")
        )
    } else {
        format!(
            "Impact builds while the {} sale runs ({})",
            s.schedule,
            window_words(r)
        )
    }
}

/// The range of a model statistic across models, "60 to 203".
pub(crate) fn model_range(
    r: &BacktestResult,
    f: impl Fn(&blocksale_backtest::ModelResult) -> f64,
) -> (f64, f64) {
    let v: Vec<f64> = r.models.iter().map(f).collect();
    (
        v.iter().copied().fold(f64::MAX, f64::min),
        v.iter().copied().fold(f64::MIN, f64::max),
    )
}

pub(crate) fn sold_word(r: &BacktestResult) -> &'static str {
    if r.scenario.side == blocksale_core::Side::Sell {
        "sold"
    } else {
        "bought"
    }
}

/// "plateau_0.6667" -> "decays to a plateau at 67 %".
pub(crate) fn decay_words(label: &str) -> String {
    if let Some(f) = label.strip_prefix("plateau_") {
        if let Ok(x) = f.parse::<f64>() {
            return format!(
                "decays to a plateau at {:.0} % of its end-of-sale level",
                x * 100.0
            );
        }
    }
    match label {
        "permanent" => "stays at its end-of-sale level".into(),
        "full" => "decays along each model's relaxation".into(),
        other => format!("follows the decay rule {other}"),
    }
}

/// What a chart calls the sale it marks: "the real sale", or "the what-if sale" in a what-if run
/// (whose size, window or schedule may not be the real one's).
pub(crate) fn sale_name(r: &BacktestResult) -> &'static str {
    if r.what_if.is_some() {
        "the what-if sale"
    } else {
        "the real sale"
    }
}

/// `s` with its first letter in upper case ("the real sale" -> "The real sale").
pub(crate) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A what-if's chart title: "What if size_btc = 10000? " before the chart's own title.
pub(crate) fn what_if_title(r: &BacktestResult, title: String) -> String {
    match &r.what_if {
        None => title,
        Some(w) => format!("What if {}? {title}", w.changes()),
    }
}

/// A what-if's subtitle: a first line naming the real event it starts from and what is left out.
pub(crate) fn what_if_subtitle(r: &BacktestResult, mut subtitle: Vec<String>) -> Vec<String> {
    if let Some(w) = &r.what_if {
        let left_out = if w.trade_changed {
            "; the disclosure's numbers (implied price, shortfalls) describe the real sale and are left out"
        } else {
            ""
        };
        subtitle.insert(
            0,
            format!(
                "A what-if, not the real sale: {} from the real event {} ({}){left_out}.",
                w.changes(),
                w.base_scenario,
                w.base_description
            ),
        );
    }
    subtitle
}

pub(crate) use blocksale_backtest::validity::OUTSIDE_RANGE;

/// A model's declared range in a few words, for a table cell: `inside`, `outside: Q/V,
/// participation` (the quantities crossed) or `none stated` (docs/methods.md §31).
pub(crate) fn validity_cell(v: Option<&blocksale_backtest::validity::ValidityCheck>) -> String {
    match v {
        None => "none stated".into(),
        Some(c) if !c.is_outside() => "inside".into(),
        Some(c) => format!(
            "outside: {}",
            c.outside
                .iter()
                .map(|b| match b.quantity {
                    "q_over_v" => "Q/V",
                    "participation" => "participation",
                    _ => "horizon",
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `", outside its declared range"` for a chart legend when the sale lies outside the range the
/// model declares, else empty.
pub(crate) fn range_suffix(m: &blocksale_backtest::ModelResult) -> &'static str {
    if m.validity.as_ref().is_some_and(|v| v.is_outside()) {
        ", outside its declared range"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::upper_first;

    #[test]
    fn upper_first_capitalises_the_first_letter_only() {
        assert_eq!(upper_first("the what-if sale"), "The what-if sale");
        assert_eq!(upper_first("élan"), "Élan");
        assert_eq!(upper_first(""), "");
    }
}
