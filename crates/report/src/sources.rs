//! Footer source lines. Each chart names the venue, files and bar size it actually draws on: the
//! price venue for the event, drag, size, sweep and volume charts, the calibration venue for
//! `calibration`, the replay venue for `replay`.

use blocksale_backtest::replay::ReplayResult;
use blocksale_backtest::{BacktestInput, BacktestResult, Scenario};
use blocksale_core::duration_label;

/// "Source: Binance spot BTCUSDT 15m (binance/spot/15m/BTCUSDT_15m.csv), 15m bars, UTC" for the
/// bars of `venue` (its description and files from the scenario).
fn venue_source(s: &Scenario, venue: &str, bar_seconds: i64) -> String {
    let src = s.source(venue);
    format!(
        "Source: {} ({}), {} bars, UTC",
        src.map_or(venue, |x| x.description.as_str()),
        src.map_or(String::new(), |x| x.files.join(", ")),
        duration_label(bar_seconds)
    )
}

fn model_names(r: &BacktestResult) -> String {
    r.models
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The source line of the charts drawn on the price venue: its bars, the models and how V was formed.
pub fn source_line(r: &BacktestResult, s: &Scenario) -> String {
    format!(
        "{}. Models: {}. V = {} ADV {} to {}. blocksale {}.",
        venue_source(s, &s.data.price, r.market.bar_seconds),
        model_names(r),
        r.market.state.volume_basis,
        r.market.state.calibration_start.to_short(),
        r.market.state.calibration_end.to_short(),
        env!("CARGO_PKG_VERSION")
    )
}

/// The source line of `calibration.png`: the calibration venue's bars, the fit's bar size, window
/// and bootstrap seed. `None` without a `[calibration]` table.
pub(crate) fn calibration_line(input: &BacktestInput<'_>) -> Option<String> {
    let s = input.scenario;
    let c = s.calibration.as_ref()?;
    let bar = input.sources.get(&c.venue).map_or(0, |b| b.bar_seconds());
    let resampled = if bar == c.bar_seconds {
        String::new()
    } else {
        format!(
            ", resampled to {} for the fit",
            duration_label(c.bar_seconds)
        )
    };
    Some(format!(
        "{}{resampled}; the {} days before the sale day; bootstrap seed {}. blocksale {}.",
        venue_source(s, &c.venue, bar),
        c.days,
        c.seed,
        env!("CARGO_PKG_VERSION")
    ))
}

/// The source line of `replay.png`: the replay venue's bars, the starts and the models.
pub(crate) fn replay_line(r: &BacktestResult, s: &Scenario, rp: &ReplayResult) -> String {
    format!(
        "{}. {} starts (every {}) from {} to {}, market state at each start. Models: {}. blocksale {}.",
        venue_source(s, &rp.venue, rp.bar_seconds),
        rp.starts_used,
        rp.every.as_str(),
        rp.from.to_short(),
        rp.to.to_short(),
        model_names(r),
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_backtest::{CalibrationSpec, SourceSpec};
    use blocksale_core::{BarColumns, BarSeries};
    use std::collections::BTreeMap;

    /// The calibration footer names the calibration venue and its own bar size, not the price venue's.
    #[test]
    fn calibration_line_names_its_own_venue() {
        let mut s = Scenario::example();
        s.data.sources.push(SourceSpec {
            venue: "usdm".into(),
            description: "Binance USD-M BTCUSDT 1h".into(),
            files: vec!["binance/usdm/1h/BTCUSDT_USDM_1h.csv".into()],
            format: None,
            columns: None,
        });
        s.calibration = Some(CalibrationSpec {
            venue: "usdm".into(),
            days: 90,
            bar_seconds: 14_400,
            seed: 42,
        });
        let mut c = BarColumns::default();
        for i in 0..3 {
            c.push_ohlcv(i * 3_600_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        }
        let sources = BTreeMap::from([(
            "usdm".to_string(),
            BarSeries::new_checked(c, 3_600).unwrap(),
        )]);
        let input = BacktestInput {
            scenario: &s,
            sources: &sources,
            data_files: vec![],
            what_if: None,
        };
        let line = calibration_line(&input).unwrap();
        assert!(
            line.starts_with(
                "Source: Binance USD-M BTCUSDT 1h (binance/usdm/1h/BTCUSDT_USDM_1h.csv), 1h bars, UTC, \
                 resampled to 4h for the fit; the 90 days before the sale day; bootstrap seed 42."
            ),
            "{line}"
        );
        assert!(!line.contains("synthetic"), "{line}");
        s.calibration = None;
        let input = BacktestInput {
            scenario: &s,
            sources: &sources,
            data_files: vec![],
            what_if: None,
        };
        assert_eq!(calibration_line(&input), None);
    }
}
