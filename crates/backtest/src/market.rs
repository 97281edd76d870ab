//! Market state before the sale: volatility, average daily volume, V, spread, arrival price.

use crate::scenario::{Scenario, VolumeBasis};
use crate::BacktestError;
use blocksale_core::{day_start_ms, is_weekend, BarColumns, BarSeries, Timestamp, MS_PER_DAY};
use blocksale_impact::estimators::{all_vol_estimators, Edge, Ohlc, SpreadEstimator};
use blocksale_impact::schedules::VolumeProfile;
use serde::Serialize;
use std::collections::BTreeMap;

/// Share of a day's bars that must be present for the day to count in the averages.
const MIN_DAY_COVERAGE: f64 = 0.9;

/// What the market looked like over the calibration window before the sale day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketState {
    /// First open of the sale window, USD.
    pub arrival_price_usd: f64,
    /// Daily volatility from the chosen estimator on UTC daily bars (`sigma_estimator`).
    pub sigma_daily: f64,
    /// The estimator behind `sigma_daily`.
    pub sigma_estimator: String,
    /// Every volatility estimator on the same daily bars (daily sigma).
    pub sigma_daily_by_estimator: BTreeMap<String, f64>,
    /// Average daily volume of the price venue over all complete UTC days, BTC.
    pub adv_btc: f64,
    /// Average daily volume of the price venue over complete Saturdays and Sundays, BTC.
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
    /// Complete days used.
    pub calibration_days_used: usize,
    /// Complete weekend days used.
    pub weekend_days_used: usize,
    /// Days dropped because fewer than 90 % of their bars were present.
    pub incomplete_days_dropped: usize,
}

impl MarketState {
    /// The hour-of-week volume profile the `vwap` and `pov` schedules follow; `None` when the
    /// calibration window gave none (no bars, or volume in USD).
    pub fn volume_profile(&self) -> Option<VolumeProfile> {
        VolumeProfile::from_hourly(self.volume_by_hour_of_week_btc.clone()).ok()
    }
}

/// Average daily volume of one venue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VenueAdv {
    /// All complete days, BTC/day.
    pub all_btc: f64,
    /// Complete weekend days, BTC/day.
    pub weekend_btc: f64,
}

/// UTC daily bars built from `bars`, keeping only days with at least 90 % of their bars present.
///
/// Returns the daily series and the number of incomplete days dropped.
///
/// # Errors
/// [`BacktestError::Coverage`] when the bar size does not divide a day.
pub fn daily_bars(bars: &BarSeries) -> Result<(BarSeries, usize), BacktestError> {
    let daily = bars
        .resample(86_400)
        .map_err(|e| BacktestError::Coverage(format!("cannot build daily bars: {e}")))?;
    let per_day = (86_400 / bars.bar_seconds()) as f64;
    let present = daily.bars_present().unwrap_or(&[]);
    let keep: Vec<usize> = (0..daily.len())
        .filter(|&i| present[i] as f64 >= MIN_DAY_COVERAGE * per_day)
        .collect();
    let dropped = daily.len() - keep.len();
    let mut cols = BarColumns {
        volume_unit: daily.volume_unit(),
        ..Default::default()
    };
    for &i in &keep {
        cols.push_ohlcv(
            daily.open_time_ms()[i],
            daily.open()[i],
            daily.high()[i],
            daily.low()[i],
            daily.close()[i],
            daily.volume()[i],
        );
    }
    let out =
        BarSeries::new_checked(cols, 86_400).map_err(|e| BacktestError::Coverage(e.to_string()))?;
    Ok((out, dropped))
}

/// Calibration window `[start, end)` in ms for a sale starting at `start_ms`.
pub fn calibration_window(start_ms: i64, days: u32) -> (i64, i64) {
    let end = day_start_ms(start_ms);
    (end - i64::from(days) * MS_PER_DAY, end)
}

fn venue_adv(
    bars: &BarSeries,
    from: i64,
    to: i64,
) -> Result<(VenueAdv, BarSeries, usize, usize), BacktestError> {
    let (daily, dropped) = daily_bars(&bars.slice_time(from, to))?;
    if daily.len() < 3 {
        return Err(BacktestError::Coverage(format!(
            "only {} complete UTC days of bars in the calibration window {} .. {}; at least 3 are needed",
            daily.len(),
            Timestamp::from_millis(from),
            Timestamp::from_millis(to),
        )));
    }
    let v = daily.volume();
    let t = daily.open_time_ms();
    let all = v.iter().sum::<f64>() / v.len() as f64;
    let wk: Vec<f64> = (0..daily.len())
        .filter(|&i| is_weekend(t[i]))
        .map(|i| v[i])
        .collect();
    let weekend = if wk.is_empty() {
        f64::NAN
    } else {
        wk.iter().sum::<f64>() / wk.len() as f64
    };
    let n_wk = wk.len();
    Ok((
        VenueAdv {
            all_btc: all,
            weekend_btc: weekend,
        },
        daily,
        dropped,
        n_wk,
    ))
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
        let (price_adv, daily, dropped, n_wk) = venue_adv(bars, cal_start, cal_end)?;
        if n_wk == 0 && s.market.volume_basis == VolumeBasis::Weekend {
            return Err(BacktestError::Coverage(
                "no complete weekend day in the calibration window".into(),
            ));
        }

        // Volatility on daily bars.
        let ohlc = Ohlc::from_series(&daily);
        let mut by_est = BTreeMap::new();
        for est in all_vol_estimators() {
            if let Ok(v) = est.estimate(&ohlc, 86_400.0) {
                by_est.insert(est.name().to_string(), v.sigma_daily);
            }
        }
        let sigma_daily = *by_est.get(&s.market.sigma_estimator).ok_or_else(|| {
            BacktestError::Coverage(format!(
                "the {} estimator has too few daily bars in the calibration window",
                s.market.sigma_estimator
            ))
        })?;

        // V from the volume venues.
        let mut adv_by_venue = BTreeMap::new();
        adv_by_venue.insert(s.data.price.clone(), price_adv);
        for v in s.volume_venues() {
            if let std::collections::btree_map::Entry::Vacant(e) = adv_by_venue.entry(v) {
                let (a, ..) = venue_adv(source(sources, e.key())?, cal_start, cal_end)?;
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
        let cal_bars = bars.slice_time(cal_start, cal_end);
        let hourly = blocksale_impact::estimators::adv(&cal_bars)
            .map(|a| a.by_hour_of_week_btc)
            .unwrap_or_default();
        let spread_edge = Edge
            .estimate(&Ohlc::from_series(&cal_bars))
            .ok()
            .map(|e| e.spread);
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
            calibration_days_used: daily.len(),
            weekend_days_used: n_wk,
            incomplete_days_dropped: dropped,
        })
    }
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
