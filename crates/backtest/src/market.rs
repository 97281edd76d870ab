//! Market state before the sale: volatility, average daily volume, V, spread, arrival price.

use crate::scenario::{Scenario, SigmaDays, VolumeBasis};
use crate::BacktestError;
use blocksale_core::{day_start_ms, is_weekend, BarSeries, Timestamp, MS_PER_DAY};
use blocksale_impact::estimators::{
    all_vol_estimators, DailyBars, Edge, Ohlc, SpreadEstimator, MIN_DAY_COVERAGE,
};
use blocksale_impact::schedules::{ClockHour, VolumeProfile};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the market looked like over the calibration window before the sale day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketState {
    /// First open of the sale window, USD.
    pub arrival_price_usd: f64,
    /// Daily volatility the models use: the chosen estimator (`sigma_estimator`) on the UTC days
    /// of the calibration window that `sigma_days` picks (by default the days V averages over); no
    /// return is taken across a gap day or a day left out.
    pub sigma_daily: f64,
    /// Which days `sigma_daily` is measured over: "all" or "weekend".
    pub sigma_days: String,
    /// The chosen estimator on every day of the window (the other pairing when sigma is weekend).
    pub sigma_daily_all_days: f64,
    /// The chosen estimator on the weekend days of the window (returns Saturday to Sunday only;
    /// `None` when too few), the other pairing when sigma is all days.
    pub sigma_daily_weekend: Option<f64>,
    /// The estimator behind `sigma_daily`.
    pub sigma_estimator: String,
    /// Every volatility estimator on the same daily bars (daily sigma).
    pub sigma_daily_by_estimator: BTreeMap<String, f64>,
    /// Average daily volume of the price venue over the days used, each scaled to 24 hours, BTC.
    pub adv_btc: f64,
    /// Average daily volume of the price venue over the Saturdays and Sundays used, BTC.
    pub adv_weekend_btc: f64,
    /// Average daily volume per venue (all days, weekend days), BTC.
    pub adv_by_venue_btc: BTreeMap<String, VenueAdv>,
    /// The V the models use, BTC/day, formed per `data.volume` and `market.volume_basis`.
    pub model_volume_btc: f64,
    /// Which days V averages over: "all" or "weekend".
    pub volume_basis: String,
    /// How V was formed, in words (venues, sum or share).
    pub volume_venues: String,
    /// Mean volume of the price venue per hour of the week (0 = Monday 00:00 UTC), BTC/hour.
    pub volume_by_hour_of_week_btc: Vec<f64>,
    /// EDGE bid-ask spread estimate on the price venue's bars of the calibration window (fraction);
    /// noise-level for BTC majors, reported for the spread-cost term only.
    pub spread_edge: Option<f64>,
    /// First day of the calibration window (inclusive).
    pub calibration_start: Timestamp,
    /// End of the calibration window (exclusive): midnight UTC of the sale's first day.
    pub calibration_end: Timestamp,
    /// Days used: UTC days with at least 90 % of their bars (the rule of
    /// [`DailyBars`](blocksale_impact::estimators::DailyBars)).
    pub calibration_days_used: usize,
    /// Weekend days used.
    pub weekend_days_used: usize,
    /// Gap days between the first and the last bar of the window: fewer than 90 % of their bars
    /// (none included). They are left out of the averages and no return spans them.
    pub incomplete_days_dropped: usize,
}

impl MarketState {
    /// The hour-of-week volume profile the `vwap` and `pov` schedules follow; `None` when the
    /// calibration window gave none (no bars, or volume in USD).
    pub fn volume_profile(&self) -> Option<VolumeProfile> {
        VolumeProfile::from_hourly(self.volume_by_hour_of_week_btc.clone()).ok()
    }
}

/// Average daily volume of one venue over the days used, each scaled to 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VenueAdv {
    /// All days used, BTC/day.
    pub all_btc: f64,
    /// Weekend days used, BTC/day (`NaN` when none).
    pub weekend_btc: f64,
}

/// Calibration window `[start, end)` in ms for a sale starting at `start_ms`.
pub fn calibration_window(start_ms: i64, days: u32) -> (i64, i64) {
    let end = day_start_ms(start_ms);
    (end - i64::from(days) * MS_PER_DAY, end)
}

/// Average daily volume of one venue over `[from, to)` and the UTC days behind it, by the one
/// daily rule of [`DailyBars`] (a day needs 90 % of its bars; its volume is scaled to 24 hours).
fn venue_adv(bars: &BarSeries, from: i64, to: i64) -> Result<(VenueAdv, DailyBars), BacktestError> {
    let daily = daily_bars(&bars.slice_time(from, to))?;
    Ok((days_adv(&daily, from, to)?, daily))
}

/// [`DailyBars::from_bars`], its error a coverage error.
pub(crate) fn daily_bars(bars: &BarSeries) -> Result<DailyBars, BacktestError> {
    DailyBars::from_bars(bars)
        .map_err(|e| BacktestError::Coverage(format!("cannot build daily bars: {e}")))
}

/// Average daily volume over the used days of `daily` (the calibration window `[from, to)`):
/// all days and weekend days; at least 3 used days.
pub(crate) fn days_adv(daily: &DailyBars, from: i64, to: i64) -> Result<VenueAdv, BacktestError> {
    let (all_btc, n_used) = daily.mean_volume_btc(|_| true);
    enough_days(n_used, from, to)?;
    let (weekend_btc, _) = daily.mean_volume_btc(is_weekend);
    Ok(VenueAdv {
        all_btc,
        weekend_btc,
    })
}

/// A calibration window `[from, to)` needs at least 3 used days.
pub(crate) fn enough_days(n_used: usize, from: i64, to: i64) -> Result<(), BacktestError> {
    if n_used < 3 {
        return Err(BacktestError::Coverage(format!(
            "only {n_used} UTC days with at least {:.0} % of their bars in the calibration window {} .. {}; at least 3 are needed",
            MIN_DAY_COVERAGE * 100.0,
            Timestamp::from_millis(from),
            Timestamp::from_millis(to),
        )));
    }
    Ok(())
}

/// What a calibration window gives before the scenario's choices (which sigma, which V): the
/// price venue's volume and days, every volatility estimator on all days and on weekend days,
/// the hour-of-week volume profile and the spread. [`MarketState::measure`] takes it from the
/// bars; a replay from the days of its whole history (`replay.rs`), or from rolling sums.
#[derive(Debug, Clone)]
pub(crate) struct WindowStats {
    /// The price venue's average daily volume (all days, weekend days).
    pub price_adv: VenueAdv,
    /// Its used days.
    pub days_used: usize,
    /// Its used weekend days.
    pub weekend_days_used: usize,
    /// Its gap days between the first and the last bar.
    pub gap_days: usize,
    /// Every volatility estimator on all used days.
    pub sigma_all: BTreeMap<String, f64>,
    /// Every volatility estimator on the weekend days.
    pub sigma_weekend: BTreeMap<String, f64>,
    /// Mean volume per hour of the week, BTC/hour (empty when none).
    pub volume_by_hour_of_week_btc: Vec<f64>,
    /// EDGE spread (`None` when not measured).
    pub spread_edge: Option<f64>,
}

impl WindowStats {
    /// From the price venue's daily bars of the window `[from, to)` (ADV and sigma) and its
    /// clock hours (the profile; `None` when the bars count USD).
    pub(crate) fn from_days(
        daily: &DailyBars,
        from: i64,
        to: i64,
        hours: Option<&[ClockHour]>,
        spread_edge: Option<f64>,
    ) -> Result<Self, BacktestError> {
        let price_adv = days_adv(daily, from, to)?;
        let (_, weekend_days_used) = daily.mean_volume_btc(is_weekend);
        Ok(Self {
            price_adv,
            days_used: daily.n_used(),
            weekend_days_used,
            gap_days: daily.n_gaps(),
            sigma_all: sigma_by_estimator(daily, |_| true),
            sigma_weekend: sigma_by_estimator(daily, is_weekend),
            volume_by_hour_of_week_btc: hours
                .and_then(|h| VolumeProfile::from_clock_hours(h).ok())
                .map(|p| p.btc_per_hour().to_vec())
                .unwrap_or_default(),
            spread_edge,
        })
    }
}

impl MarketState {
    /// Measure the market before `scenario.start` from the scenario's sources.
    ///
    /// The calibration window is the `market.calibration_days` complete UTC days before the day the
    /// sale starts. Volatility comes from UTC daily bars of the price venue with the chosen
    /// estimator; V from the venues of `data.volume`.
    ///
    /// # Errors
    /// [`BacktestError::Coverage`] when the bars miss the window or too few complete days remain.
    pub fn measure(
        s: &Scenario,
        sources: &BTreeMap<String, BarSeries>,
    ) -> Result<Self, BacktestError> {
        let bars = source(sources, &s.data.price)?;
        let start = s.start.as_millis();
        let window = bars.index_range(start, s.end.as_millis());
        if window.is_empty() {
            return Err(BacktestError::Coverage(format!(
                "no bars cover the sale window {} .. {} (the data run from {} to {})",
                s.start,
                s.end,
                bars.first_time().map_or("-".into(), |t| t.to_string()),
                bars.last_time().map_or("-".into(), |t| t.to_string()),
            )));
        }
        let arrival_price_usd = bars.open()[window.start];
        let (cal_start, cal_end) = calibration_window(start, s.market.calibration_days);
        let cal_bars = bars.slice_time(cal_start, cal_end);
        let daily = daily_bars(&cal_bars)?;
        // The profile of the estimators' ADV: none unless the bars count BTC and some day is used.
        let hours = (daily.n_used() > 0)
            .then(|| ClockHour::from_bars(&cal_bars).ok())
            .flatten();
        let spread_edge = Edge
            .estimate(&Ohlc::from_series(&cal_bars))
            .ok()
            .map(|e| e.spread);
        let stats =
            WindowStats::from_days(&daily, cal_start, cal_end, hours.as_deref(), spread_edge)?;
        Self::from_window(
            s,
            arrival_price_usd,
            (cal_start, cal_end),
            stats,
            &mut |v| venue_adv(source(sources, v)?, cal_start, cal_end).map(|(a, _)| a),
        )
    }

    /// The state from what the calibration window gave: the scenario's sigma (estimator, days) and
    /// V (venues, basis, mode). `other_adv` gives the average daily volume of a volume venue other
    /// than the price venue.
    pub(crate) fn from_window(
        s: &Scenario,
        arrival_price_usd: f64,
        (cal_start, cal_end): (i64, i64),
        stats: WindowStats,
        other_adv: &mut dyn FnMut(&str) -> Result<VenueAdv, BacktestError>,
    ) -> Result<Self, BacktestError> {
        let WindowStats {
            price_adv,
            days_used,
            weekend_days_used: n_wk,
            gap_days,
            sigma_all: by_est,
            sigma_weekend,
            volume_by_hour_of_week_btc: hourly,
            spread_edge,
        } = stats;
        if n_wk == 0 && s.market.volume_basis == VolumeBasis::Weekend {
            return Err(BacktestError::Coverage(
                "no complete weekend day in the calibration window".into(),
            ));
        }

        // Volatility on the same daily bars: a gap day breaks the chain of returns.
        let sigma_all = *by_est.get(&s.market.sigma_estimator).ok_or_else(|| {
            BacktestError::Coverage(format!(
                "the {} estimator has too few daily bars in the calibration window",
                s.market.sigma_estimator
            ))
        })?;
        let sigma_weekend = sigma_weekend.get(&s.market.sigma_estimator).copied();
        let weekend_sigma = match (s.market.sigma_days, s.market.volume_basis) {
            (SigmaDays::Weekend, _) | (SigmaDays::Paired, VolumeBasis::Weekend) => true,
            (SigmaDays::All, _) | (SigmaDays::Paired, VolumeBasis::All) => false,
        };
        let sigma_daily = if weekend_sigma {
            sigma_weekend.ok_or_else(|| {
                BacktestError::Coverage(format!(
                    "the {} estimator has too few weekend days in the calibration window {} .. {} for a weekend sigma (market.sigma_days = \"{}\"); lengthen market.calibration_days or set market.sigma_days = \"all\"",
                    s.market.sigma_estimator,
                    Timestamp::from_millis(cal_start),
                    Timestamp::from_millis(cal_end),
                    if s.market.sigma_days == SigmaDays::Weekend { "weekend" } else { "paired" },
                ))
            })?
        } else {
            sigma_all
        };

        // V from the volume venues.
        let mut adv_by_venue = BTreeMap::new();
        adv_by_venue.insert(s.data.price.clone(), price_adv);
        for v in s.volume_venues() {
            if let std::collections::btree_map::Entry::Vacant(e) = adv_by_venue.entry(v) {
                let a = other_adv(e.key())?;
                e.insert(a);
            }
        }
        let pick = |a: &VenueAdv| match s.market.volume_basis {
            VolumeBasis::All => a.all_btc,
            VolumeBasis::Weekend => a.weekend_btc,
        };
        let venues = s.volume_venues();
        let summed: f64 = venues.iter().map(|v| pick(&adv_by_venue[v])).sum();
        let (model_volume_btc, how) = match s.data.volume.mode.as_str() {
            "share" => {
                let share = s.data.volume.market_share.unwrap_or(1.0);
                (
                    summed / share,
                    format!(
                        "{} divided by its stated market share {share}",
                        venues.join(" + ")
                    ),
                )
            }
            "sum" => (summed, format!("sum of {}", venues.join(" + "))),
            _ => (summed, venues.join(", ")),
        };
        if !(model_volume_btc.is_finite() && model_volume_btc > 0.0) {
            return Err(BacktestError::Coverage(format!(
                "V = {model_volume_btc} BTC/day from {how}: no volume to price against"
            )));
        }
        let describe = |v: &str| {
            s.source(v).map_or(v.to_string(), |x| {
                if x.description.is_empty() {
                    v.to_string()
                } else {
                    x.description.clone()
                }
            })
        };
        Ok(Self {
            arrival_price_usd,
            sigma_daily,
            sigma_days: if weekend_sigma { "weekend" } else { "all" }.into(),
            sigma_daily_all_days: sigma_all,
            sigma_daily_weekend: sigma_weekend,
            sigma_estimator: s.market.sigma_estimator.clone(),
            sigma_daily_by_estimator: by_est,
            adv_btc: price_adv.all_btc,
            adv_weekend_btc: price_adv.weekend_btc,
            adv_by_venue_btc: adv_by_venue,
            model_volume_btc,
            volume_basis: match s.market.volume_basis {
                VolumeBasis::All => "all".into(),
                VolumeBasis::Weekend => "weekend".into(),
            },
            volume_venues: format!(
                "{how} ({})",
                venues
                    .iter()
                    .map(|v| describe(v))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            volume_by_hour_of_week_btc: hourly,
            spread_edge,
            calibration_start: Timestamp::from_millis(cal_start),
            calibration_end: Timestamp::from_millis(cal_end),
            calibration_days_used: days_used,
            weekend_days_used: n_wk,
            incomplete_days_dropped: gap_days,
        })
    }
}

/// Every volatility estimator's daily sigma on the used days of `daily` whose midnight passes
/// `keep`. A kept day's return is the move during that day, so it runs from the previous day's
/// close whether or not that day is kept (Saturday's from Friday's close); no other term of a day
/// left out enters. An estimator with too few days is left out.
fn sigma_by_estimator(daily: &DailyBars, keep: impl Fn(i64) -> bool) -> BTreeMap<String, f64> {
    let o = daily.ohlc();
    let days = daily.day_start_ms();
    let kept: Vec<bool> = days.iter().map(|&d| keep(d)).collect();
    let next_kept = |k: usize| kept.get(k + 1).copied().unwrap_or(false);
    let mask = |x: &[f64], carry: bool| -> Vec<f64> {
        (0..x.len())
            .map(|k| {
                if kept[k] || (carry && next_kept(k)) {
                    x[k]
                } else {
                    f64::NAN
                }
            })
            .collect()
    };
    let (open, high, low) = (mask(o.open, false), mask(o.high, false), mask(o.low, false));
    let close = mask(o.close, true);
    let rows = Ohlc {
        open: &open,
        high: &high,
        low: &low,
        close: &close,
        prev_close: None,
    };
    let mut by_est = BTreeMap::new();
    for est in all_vol_estimators() {
        if let Ok(v) = est.estimate(&rows, 86_400.0) {
            by_est.insert(est.name().to_string(), v.sigma_daily);
        }
    }
    by_est
}

/// The bars of one venue label.
///
/// # Errors
/// [`BacktestError::Coverage`] when no source has that label.
pub fn source<'a>(
    sources: &'a BTreeMap<String, BarSeries>,
    venue: &str,
) -> Result<&'a BarSeries, BacktestError> {
    sources
        .get(venue)
        .ok_or_else(|| BacktestError::Coverage(format!("no bars loaded for venue {venue:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_core::BarColumns;
    use blocksale_impact::estimators::{adv, YangZhang};

    const HOUR: i64 = 3_600_000;

    /// Calibration week Sat 31 Jan .. Fri 6 Feb 2026 and the sale weekend, hourly bars. Day `d`
    /// trades at `P[d]` all day; its first bar opens at the previous day's price, so the day's
    /// open is `P[d-1]`, its close `P[d]`, and its range those two (Rogers-Satchell term 0).
    /// Weekdays 10 BTC/h, weekends 5. Tue 3 Feb keeps 12 hours (a gap); Thu 5 Feb keeps 23 of 24
    /// (used, its volume scaled to 24 hours).
    const P: [f64; 9] = [100.0, 102.0, 99.0, 104.0, 101.0, 103.0, 100.0, 98.0, 98.0];

    fn scenario() -> Scenario {
        let mut s = Scenario::example();
        s.market.calibration_days = 7;
        s
    }

    fn bars() -> BarSeries {
        let sat = Timestamp::parse_rfc3339("2026-01-31T00:00:00Z")
            .unwrap()
            .as_millis();
        let mut c = BarColumns::default();
        for (d, &p) in P.iter().enumerate() {
            let hours = match d {
                3 => 12,
                5 => 23,
                _ => 24,
            };
            let prev = if d == 0 { p } else { P[d - 1] };
            for h in 0..hours {
                let t = sat + (d as i64 * 24 + h) * HOUR;
                let o = if h == 0 { prev } else { p };
                let v = if is_weekend(t) { 5.0 } else { 10.0 };
                c.push_ohlcv(t, o, o.max(p), o.min(p), p, v);
            }
        }
        BarSeries::new_checked(c, 3_600).unwrap()
    }

    fn sources() -> BTreeMap<String, BarSeries> {
        BTreeMap::from([("synthetic".to_string(), bars())])
    }

    fn sample_var(x: &[f64]) -> f64 {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
    }

    /// Sigma and ADV by hand: the gap day (Tue) leaves the averages, and Wed has no return (its
    /// previous day is the gap), so close-to-close uses Sun, Mon, Thu and Fri only.
    #[test]
    fn sigma_and_adv_by_hand_with_a_gap_day() {
        let s = scenario();
        let m = MarketState::measure(&s, &sources()).unwrap();
        assert_eq!(m.arrival_price_usd, 100.0);
        assert_eq!(
            (
                m.calibration_days_used,
                m.weekend_days_used,
                m.incomplete_days_dropped
            ),
            (6, 2, 1)
        );
        let r: Vec<f64> = [(1, 0), (2, 1), (5, 4), (6, 5)]
            .iter()
            .map(|&(a, b)| (P[a] / P[b]).ln())
            .collect();
        let cc = sample_var(&r).sqrt();
        let got = m.sigma_daily_by_estimator["close_to_close"];
        assert!((got - cc).abs() < 1e-14, "{got} vs {cc}");
        // Yang-Zhang: no overnight moves, no Rogers-Satchell term: k times the same variance.
        let yz = (YangZhang::k(4) * sample_var(&r)).sqrt();
        assert!(
            (m.sigma_daily - yz).abs() < 1e-14,
            "{} vs {yz}",
            m.sigma_daily
        );
        // ADV: Sat, Sun 120; Mon, Wed, Thu (23 h scaled), Fri 240.
        assert!((m.adv_btc - 1_200.0 / 6.0).abs() < 1e-9, "{}", m.adv_btc);
        assert!((m.adv_weekend_btc - 120.0).abs() < 1e-9);
        assert_eq!(m.model_volume_btc, m.adv_btc);
        assert_eq!(m.volume_basis, "all");
        // The same days and the same number as the estimators' ADV on the same bars.
        let (from, to) = calibration_window(s.start.as_millis(), 7);
        let a = adv(&bars().slice_time(from, to)).unwrap();
        assert_eq!((a.adv_btc, a.n_days), (m.adv_btc, m.calibration_days_used));
        assert_eq!(m.volume_by_hour_of_week_btc, a.by_hour_of_week_btc);
    }

    #[test]
    fn v_follows_the_basis_and_the_market_share() {
        let mut s = scenario();
        s.market.volume_basis = VolumeBasis::Weekend;
        s.market.sigma_days = SigmaDays::All;
        s.data.volume.mode = "share".into();
        s.data.volume.market_share = Some(0.4);
        let m = MarketState::measure(&s, &sources()).unwrap();
        assert!((m.model_volume_btc - 120.0 / 0.4).abs() < 1e-9);
        assert_eq!(m.volume_basis, "weekend");
        assert!(m
            .volume_venues
            .contains("divided by its stated market share 0.4"));
    }

    /// Sigma paired with weekend V: Yang-Zhang on the weekend days alone, each day's overnight
    /// and close-to-close terms from the previous calendar day's close. On a 14-day window the
    /// weekends are Sat 24 / Sun 25 Jan (Sat's previous day Fri 23 Jan is outside: Sat has no
    /// row) and Sat 31 Jan / Sun 1 Feb: 3 rows. With too few, a clear error; `all` keeps every day.
    #[test]
    fn sigma_is_paired_with_the_days_of_v() {
        // 14 days of hourly bars from Fri 23 Jan 2026, day d at price 100 + d, weekends 5 BTC/h.
        let fri = Timestamp::parse_rfc3339("2026-01-23T00:00:00Z")
            .unwrap()
            .as_millis();
        let mut c = BarColumns::default();
        let price = |d: i64| 100.0 * (1.0 + 0.01 * ((d * 7) % 5) as f64);
        for d in 0..16 {
            for h in 0..24 {
                let t = fri + (d * 24 + h) * HOUR;
                let (o, p) = if h == 0 {
                    (price(d - 1), price(d))
                } else {
                    (price(d), price(d))
                };
                let v = if is_weekend(t) { 5.0 } else { 10.0 };
                c.push_ohlcv(t, o, o.max(p), o.min(p), p, v);
            }
        }
        let bars = BarSeries::new_checked(c, 3_600).unwrap();
        let src = BTreeMap::from([("synthetic".to_string(), bars)]);
        let mut s = scenario();
        s.market.calibration_days = 14;
        s.market.volume_basis = VolumeBasis::Weekend;
        s.start = Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").unwrap();
        s.end = Timestamp::parse_rfc3339("2026-02-08T00:00:00Z").unwrap();
        let m = MarketState::measure(&s, &src).unwrap();
        assert_eq!(m.sigma_days, "weekend");
        // By hand: rows for Sun 25 Jan (d 2), Sat 31 Jan (d 8), Sun 1 Feb (d 9); Sat 24 Jan (d 1)
        // has no previous close inside the window.
        let rows: Vec<(f64, f64, f64)> = [2i64, 8, 9]
            .iter()
            .map(|&d| {
                let (c0, o) = (price(d - 1), price(d - 1));
                let (h, l, cl) = (o.max(price(d)), o.min(price(d)), price(d));
                (
                    (o / c0).ln(),
                    (cl / o).ln(),
                    (h / cl).ln() * (h / o).ln() + (l / cl).ln() * (l / o).ln(),
                )
            })
            .collect();
        let n = rows.len();
        let k = YangZhang::k(n);
        let var = sample_var(&rows.iter().map(|r| r.0).collect::<Vec<_>>())
            + k * sample_var(&rows.iter().map(|r| r.1).collect::<Vec<_>>())
            + (1.0 - k) * rows.iter().map(|r| r.2).sum::<f64>() / n as f64;
        assert!(
            (m.sigma_daily - var.sqrt()).abs() < 1e-12,
            "{} vs {}",
            m.sigma_daily,
            var.sqrt()
        );
        assert_eq!(Some(m.sigma_daily), m.sigma_daily_weekend);
        assert!((m.sigma_daily - m.sigma_daily_all_days).abs() > 1e-4);
        // `all` keeps every day; `weekend` with weekday V is allowed and says so.
        s.market.sigma_days = SigmaDays::All;
        let all = MarketState::measure(&s, &src).unwrap();
        assert_eq!(
            (all.sigma_days.as_str(), all.sigma_daily),
            ("all", m.sigma_daily_all_days)
        );
        // Too few weekend days: a clear error naming the key.
        s.market.sigma_days = SigmaDays::Paired;
        s.market.calibration_days = 7;
        let e = MarketState::measure(&s, &src).unwrap_err().to_string();
        assert!(
            e.contains("too few weekend days") && e.contains("market.sigma_days"),
            "{e}"
        );
    }

    #[test]
    fn too_few_days_and_a_missing_window_are_coverage_errors() {
        let mut s = scenario();
        // Two days before the sale: Thu (used) and Fri.
        s.market.calibration_days = 2;
        let e = MarketState::measure(&s, &sources())
            .unwrap_err()
            .to_string();
        assert!(e.contains("only 2 UTC days with at least 90 %"), "{e}");
        let mut s = scenario();
        s.start = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
        s.end = Timestamp::parse_rfc3339("2026-03-02T00:00:00Z").unwrap();
        let e = MarketState::measure(&s, &sources())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no bars cover the sale window"), "{e}");
    }
}
