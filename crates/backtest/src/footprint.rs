//! The sale's footprint: hourly volume against the hour-of-week baseline, signed taker flow, and
//! which candidate schedule best explains the implied average price.

use crate::engine::hour_floor;
use crate::market::source;
use crate::observed::typical;
use crate::result::{ExcessHour, Footprint, ScheduleFit, SignedFlow};
use crate::scenario::ScheduleSpec;
use crate::{BacktestError, MarketState, Scenario};
use blocksale_core::{BarSeries, Timestamp, MS_PER_DAY, MS_PER_HOUR};
use blocksale_impact::schedules::proportional;
use blocksale_impact::SaleWindow;
use std::collections::BTreeMap;

const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;
/// z above which an hour's volume counts as significant excess.
pub const EXCESS_Z: f64 = 2.0;

/// Volume per hour start over `[from, to)`.
fn hourly_volume(b: &BarSeries, from: i64, to: i64) -> BTreeMap<i64, f64> {
    let mut m = BTreeMap::new();
    for i in b.index_range(from, to) {
        *m.entry(hour_floor(b.open_time_ms()[i])).or_insert(0.0) += b.volume()[i];
    }
    m
}

/// Build the footprint of the sale in `win` (indices into `path`, the price venue's bars).
///
/// # Errors
/// [`BacktestError::Coverage`] when a named flow venue has no bars.
pub fn footprint(
    s: &Scenario,
    sources: &BTreeMap<String, BarSeries>,
    path: &BarSeries,
    win: std::ops::Range<usize>,
    market: &MarketState,
) -> Result<Footprint, BacktestError> {
    let weeks = i64::from(s.event_study.baseline_weeks);
    let (start, end) = (s.start.as_millis(), s.end.as_millis());
    let price = source(sources, &s.data.price)?;
    let hv = hourly_volume(price, start - weeks * MS_PER_WEEK, end);
    let mut excess_hours = Vec::new();
    let (mut excess_total, mut baseline_total) = (0.0, 0.0);
    let mut excess_by_hour = BTreeMap::new();
    let mut h = hour_floor(start);
    while h < end {
        let past: Vec<f64> = (1..=weeks)
            .filter_map(|w| hv.get(&(h - w * MS_PER_WEEK)).copied())
            .collect();
        if let (Some(&v), true) = (hv.get(&h), past.len() >= 2) {
            let (m, sd) = blocksale_impact::estimators::mean_sd(&past);
            excess_total += v - m;
            baseline_total += m;
            excess_by_hour.insert(h, (v - m).max(0.0));
            let z = if sd > 0.0 { (v - m) / sd } else { f64::NAN };
            if z > EXCESS_Z {
                excess_hours.push(ExcessHour {
                    time: Timestamp::from_millis(h),
                    volume_btc: v,
                    baseline_btc: m,
                    z,
                });
            }
        }
        h += MS_PER_HOUR;
    }

    let signed_flow = match &s.data.flow {
        None => None,
        Some(venue) => {
            let fb = source(sources, venue)?;
            fb.taker_buy_volume().map(|tb| {
                let sv = |from: i64, to: i64| -> Option<f64> {
                    let r = fb.index_range(from, to);
                    let expected = ((to - from) / fb.bar_ms()) as usize;
                    (r.len() == expected && expected > 0)
                        .then(|| r.map(|i| 2.0 * tb[i] - fb.volume()[i]).sum())
                };
                let window = sv(start, end);
                let base: Vec<f64> = (1..=weeks)
                    .filter_map(|w| sv(start - w * MS_PER_WEEK, end - w * MS_PER_WEEK))
                    .collect();
                let (m, sd) = if base.is_empty() {
                    (f64::NAN, f64::NAN)
                } else {
                    blocksale_impact::estimators::mean_sd(&base)
                };
                let w = window.unwrap_or(f64::NAN);
                SignedFlow {
                    venue: venue.clone(),
                    window_btc: w,
                    baseline_mean_btc: m,
                    baseline_sd_btc: sd,
                    z: if sd > 0.0 { (w - m) / sd } else { f64::NAN },
                    weeks: base.len(),
                }
            })
        }
    };

    // Candidate schedules on the observed window bars.
    let t = &path.open_time_ms()[win.clone()];
    let q = s.size_btc;
    let window = SaleWindow::new_checked(t, path.bar_ms())?;
    let profile = market.volume_profile();
    let mut cands: Vec<(String, Vec<f64>)> = [
        ScheduleSpec::Twap,
        ScheduleSpec::FrontLoaded,
        ScheduleSpec::BackLoaded,
        ScheduleSpec::Block,
        ScheduleSpec::Vwap,
    ]
    .iter()
    .map(|spec| {
        let placed = spec.place(q, &window, profile.as_ref())?;
        Ok((spec.kind().to_string(), placed.qty_btc))
    })
    .collect::<Result<_, BacktestError>>()?;
    let w: Vec<f64> = t
        .iter()
        .map(|&x| excess_by_hour.get(&hour_floor(x)).copied().unwrap_or(0.0))
        .collect();
    if w.iter().any(|&x| x > 0.0) {
        cands.push(("excess_volume_hours".into(), proportional(&w, q)));
    }
    let implied = s.implied_avg_price_usd();
    let mut schedule_fit: Vec<ScheduleFit> = cands
        .into_iter()
        .map(|(name, qty)| {
            let avg = qty
                .iter()
                .enumerate()
                .map(|(k, x)| x * typical(path, win.start + k))
                .sum::<f64>()
                / q;
            ScheduleFit {
                schedule: name,
                avg_price_usd: avg,
                implied_minus_schedule_bps: implied.map(|p| (p - avg) / avg * 1e4),
            }
        })
        .collect();
    if implied.is_some() {
        schedule_fit.sort_by(|a, b| {
            a.implied_minus_schedule_bps
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&b.implied_minus_schedule_bps.unwrap_or(0.0).abs())
        });
    }
    Ok(Footprint {
        baseline_weeks: s.event_study.baseline_weeks,
        excess_hours,
        window_excess_volume_btc: excess_total,
        window_baseline_volume_btc: baseline_total,
        signed_flow,
        best_schedule: implied.and(schedule_fit.first().map(|f| f.schedule.clone())),
        schedule_fit,
    })
}
