//! Market state before the sale: volatility, average daily volume, arrival price.

use crate::scenario::Scenario;
use crate::BacktestError;
use blocksale_core::{day_start_ms, is_weekend, BarSeries, Timestamp, MS_PER_DAY};
use serde::Serialize;

/// Share of a day's bars that must be present for the day to count in the averages.
const MIN_DAY_COVERAGE: f64 = 0.9;

/// What the market looked like over the calibration window before the sale day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketState {
    /// First open of the sale window, USD.
    pub arrival_price_usd: f64,
    /// Daily volatility: sample standard deviation of close-to-close log returns of UTC daily bars.
    pub sigma_daily: f64,
    /// Average daily volume over all complete UTC days of the window, BTC.
    pub adv_btc: f64,
    /// Average daily volume over the complete Saturdays and Sundays of the window, BTC.
    pub adv_weekend_btc: f64,
    /// The V the models use (`adv_btc` or `adv_weekend_btc`, per the scenario), BTC/day.
    pub model_volume_btc: f64,
    /// Which days V averages over: "all" or "weekend".
    pub volume_basis: String,
    /// Venues the volume covers.
    pub volume_venues: String,
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
    let mut cols = blocksale_core::BarColumns {
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

fn sample_std(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

impl MarketState {
    /// Measure the market before `scenario.start` from `bars`.
    ///
    /// The calibration window is the `market.calibration_days` complete UTC days before the day the
    /// sale starts. `sigma_daily` uses close-to-close log returns between consecutive calendar days
    /// (a return across a dropped day is skipped).
    ///
    /// # Errors
    /// [`BacktestError::Coverage`] when the bars miss the window or too few complete days remain.
    pub fn measure(scenario: &Scenario, bars: &BarSeries) -> Result<Self, BacktestError> {
        let start = scenario.start.as_millis();
        let cal_end = day_start_ms(start);
        let cal_start = cal_end - i64::from(scenario.market.calibration_days) * MS_PER_DAY;
        let window = bars.index_range(start, scenario.end.as_millis());
        if window.is_empty() {
            return Err(BacktestError::Coverage(format!(
                "no bars cover the sale window {} .. {} (the data run from {} to {})",
                scenario.start,
                scenario.end,
                bars.first_time().map_or("-".into(), |t| t.to_string()),
                bars.last_time().map_or("-".into(), |t| t.to_string()),
            )));
        }
        let arrival_price_usd = bars.open()[window.start];
        let cal = bars.slice_time(cal_start, cal_end);
        let (daily, dropped) = daily_bars(&cal)?;
        if daily.len() < 3 {
            return Err(BacktestError::Coverage(format!(
                "only {} complete UTC days of bars in the calibration window {} .. {}; at least 3 are needed",
                daily.len(),
                Timestamp::from_millis(cal_start),
                Timestamp::from_millis(cal_end),
            )));
        }
        let t = daily.open_time_ms();
        let c = daily.close();
        let rets: Vec<f64> = (1..daily.len())
            .filter(|&i| t[i] - t[i - 1] == MS_PER_DAY)
            .map(|i| (c[i] / c[i - 1]).ln())
            .collect();
        if rets.len() < 2 {
            return Err(BacktestError::Coverage(
                "fewer than 2 daily returns in the calibration window".into(),
            ));
        }
        let sigma_daily = sample_std(&rets);
        let vol = daily.volume();
        let adv_btc = vol.iter().sum::<f64>() / vol.len() as f64;
        let wk: Vec<f64> = (0..daily.len())
            .filter(|&i| is_weekend(t[i]))
            .map(|i| vol[i])
            .collect();
        if wk.is_empty() {
            return Err(BacktestError::Coverage(
                "no complete weekend day in the calibration window".into(),
            ));
        }
        let adv_weekend_btc = wk.iter().sum::<f64>() / wk.len() as f64;
        let (model_volume_btc, basis) = match scenario.market.volume_basis {
            crate::VolumeBasis::All => (adv_btc, "all"),
            crate::VolumeBasis::Weekend => (adv_weekend_btc, "weekend"),
        };
        Ok(Self {
            arrival_price_usd,
            sigma_daily,
            adv_btc,
            adv_weekend_btc,
            model_volume_btc,
            volume_basis: basis.into(),
            volume_venues: scenario.data.venue.clone(),
            calibration_start: Timestamp::from_millis(cal_start),
            calibration_end: Timestamp::from_millis(cal_end),
            calibration_days_used: daily.len(),
            weekend_days_used: wk.len(),
            incomplete_days_dropped: dropped,
        })
    }
}
