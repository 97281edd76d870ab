use super::daily::{DailyBars, MIN_DAY_COVERAGE};
use crate::schedules::VolumeProfile;
use crate::ImpactError;
use blocksale_core::{is_weekend, BarSeries, VolumeUnit};
use serde::Serialize;

/// Amihud illiquidity: `mean_d |R_d| / DV_d`, per dollar.
///
/// Days with zero or missing dollar volume are skipped.
///
/// # Errors
/// [`ImpactError::Input`] for unequal lengths or no usable day.
///
/// # References
/// Amihud 2002, "Illiquidity and stock returns", J. Financial Markets 5(1), 31-56; docs/methods.md §8;
/// test vector T7 (§27).
pub fn amihud(abs_returns: &[f64], dollar_volumes: &[f64]) -> Result<f64, ImpactError> {
    if abs_returns.len() != dollar_volumes.len() {
        return Err(ImpactError::Input(format!(
            "{} returns but {} dollar volumes",
            abs_returns.len(),
            dollar_volumes.len()
        )));
    }
    let v: Vec<f64> = abs_returns
        .iter()
        .zip(dollar_volumes)
        .filter(|(r, d)| r.is_finite() && d.is_finite() && **d > 0.0)
        .map(|(r, d)| r.abs() / d)
        .collect();
    if v.is_empty() {
        return Err(ImpactError::Input(
            "Amihud illiquidity needs at least one day with volume".into(),
        ));
    }
    Ok(v.iter().sum::<f64>() / v.len() as f64)
}

/// Amihud illiquidity from bars, with the days it used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AmihudEstimate {
    /// `mean |R_d| / DV_d`, fractional return per USD traded.
    pub illiq_per_usd: f64,
    /// Days used.
    pub n_days: usize,
    /// The naive linear drag of selling 1 BTC at the last close: `ILLIQ * P` (fraction per BTC).
    pub drag_per_btc: f64,
}

/// Amihud illiquidity on UTC days: `R_d` is the simple return from the previous day's last close
/// to this day's last close, `DV_d` the day's dollar volume (quote volume, or close x volume when
/// the source has none), both from [`DailyBars`] and its rule for partial days (a day needs 90 % of
/// its bars, its volume is scaled to 24 hours). A day after a gap has no return and is not used.
///
/// # Errors
/// [`ImpactError::Input`] when the bar size does not divide a day, or no day has a return and
/// volume.
pub fn amihud_daily(bars: &BarSeries) -> Result<AmihudEstimate, ImpactError> {
    let days = DailyBars::from_bars(bars)?;
    let r: Vec<f64> = (0..days.len())
        .map(|k| days.simple_return(k).abs())
        .collect();
    let dv = days.dollar_volume_usd();
    let n_days = r
        .iter()
        .zip(dv)
        .filter(|(r, d)| r.is_finite() && d.is_finite() && **d > 0.0)
        .count();
    if n_days == 0 {
        return Err(ImpactError::Input(format!(
            "Amihud illiquidity needs two consecutive UTC days with at least {:.0} % of their bars, {} of {} days qualify",
            MIN_DAY_COVERAGE * 100.0,
            days.n_used(),
            days.len()
        )));
    }
    let illiq = amihud(&r, dv)?;
    let p = *bars.close().last().unwrap_or(&f64::NAN);
    Ok(AmihudEstimate {
        illiq_per_usd: illiq,
        n_days,
        drag_per_btc: illiq * p,
    })
}

/// Average daily volume in BTC: all days, weekdays, weekend days, and by hour of the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdvEstimate {
    /// Mean daily volume over all days used, BTC/day.
    pub adv_btc: f64,
    /// Mean over Monday-Friday, BTC/day (`NaN` when none).
    pub weekday_adv_btc: f64,
    /// Mean over Saturday and Sunday, BTC/day (`NaN` when none).
    pub weekend_adv_btc: f64,
    /// Share of the volume of the days used that traded on weekend days.
    pub weekend_volume_share: f64,
    /// Days used (at least 90 % of their bars present, see [`DailyBars`]).
    pub n_days: usize,
    /// Weekend days among them.
    pub n_weekend_days: usize,
    /// Mean volume per hour of the week (0 = Monday 00:00 UTC), BTC/hour, 168 values.
    pub by_hour_of_week_btc: Vec<f64>,
}

/// Average daily volume from bars with volume in BTC.
///
/// The days are [`DailyBars`]: a UTC day counts when at least 90 % of its bars are present and its
/// volume is scaled to 24 hours by its coverage, so a data gap (an exchange outage) does not pull
/// the mean down; other days are left out. The hour-of-week profile is
/// [`VolumeProfile::from_bars`].
///
/// # Errors
/// [`ImpactError::Input`] when the volume is in USD, the bar size does not divide a day, or no day
/// has 90 % of its bars.
pub fn adv(bars: &BarSeries) -> Result<AdvEstimate, ImpactError> {
    if bars.volume_unit() != VolumeUnit::Base {
        return Err(ImpactError::Input(
            "average daily volume needs volume in BTC, the bars count USD".into(),
        ));
    }
    let days = DailyBars::from_bars(bars)?;
    let (adv_btc, n_days) = days.mean_volume_btc(|_| true);
    if n_days == 0 {
        return Err(ImpactError::Input(format!(
            "no UTC day has at least {:.0} % of its bars ({} days, {} bars)",
            MIN_DAY_COVERAGE * 100.0,
            days.len(),
            bars.len()
        )));
    }
    let (weekday_adv_btc, _) = days.mean_volume_btc(|t| !is_weekend(t));
    let (weekend_adv_btc, n_weekend_days) = days.mean_volume_btc(is_weekend);
    let weekend_volume_share = if n_weekend_days == 0 {
        0.0
    } else {
        weekend_adv_btc * n_weekend_days as f64 / (adv_btc * n_days as f64)
    };
    Ok(AdvEstimate {
        adv_btc,
        weekday_adv_btc,
        weekend_adv_btc,
        weekend_volume_share,
        n_days,
        n_weekend_days,
        by_hour_of_week_btc: VolumeProfile::from_bars(bars)?.btc_per_hour().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_core::BarColumns;

    /// Test vector T7 (docs/methods.md §27): |r| = 2 %, dollar volume 2e9 -> 1e-11 per $.
    #[test]
    fn t7_amihud() {
        let a = amihud(&[0.02], &[2e9]).unwrap();
        assert!((a - 1e-11).abs() < 1e-24);
        assert!(amihud(&[0.02], &[0.0]).is_err());
    }

    /// ADV and Amihud read the same days by the same rule: 14 days of hourly bars from Monday
    /// 2024-01-01, 10 BTC/h on weekdays and 5 on weekends, one price per day `100 + d`. Wednesday
    /// of week 1 (day 2) keeps 22 of 24 hours: used, its volumes scaled to 24 hours. Wednesday of
    /// week 2 (day 9) keeps 12: a gap, so day 9 has no volume and day 10 no return.
    #[test]
    fn adv_and_amihud_share_the_daily_rule() {
        let start = 1_704_067_200_000i64;
        let price = |d: i64| 100.0 + d as f64;
        let mut c = BarColumns::default();
        for h in 0..(14 * 24) {
            let d = h / 24;
            if (d == 2 && h % 24 >= 22) || (d == 9 && h % 24 >= 12) {
                continue;
            }
            let t = start + h * 3_600_000;
            let v = if is_weekend(t) { 5.0 } else { 10.0 };
            let p = price(d);
            c.push_ohlcv(t, p, p, p, p, v);
        }
        let bars = BarSeries::new_checked(c, 3600).unwrap();
        let a = adv(&bars).unwrap();
        assert_eq!((a.n_days, a.n_weekend_days), (13, 4));
        assert!((a.weekday_adv_btc - 240.0).abs() < 1e-9);
        assert!((a.weekend_adv_btc - 120.0).abs() < 1e-9);
        assert!((a.adv_btc - (9.0 * 240.0 + 4.0 * 120.0) / 13.0).abs() < 1e-9);
        assert!((a.weekend_volume_share - 480.0 / 2640.0).abs() < 1e-12);
        assert_eq!(a.by_hour_of_week_btc.len(), 168);
        // Amihud by hand: days 1..13 but 9 and 10; |R_d| = 1/(99 + d); DV_d = 24 h of volume x price.
        let used: Vec<i64> = (1..14).filter(|d| *d != 9 && *d != 10).collect();
        let hand = used
            .iter()
            .map(|&d| {
                let btc = if d % 7 >= 5 { 120.0 } else { 240.0 };
                (1.0 / (99.0 + d as f64)) / (btc * price(d))
            })
            .sum::<f64>()
            / used.len() as f64;
        let am = amihud_daily(&bars).unwrap();
        assert_eq!(am.n_days, 11);
        assert!(
            ((am.illiq_per_usd - hand) / hand).abs() < 1e-12,
            "{} vs {hand}",
            am.illiq_per_usd
        );
        assert!(((am.drag_per_btc - hand * 113.0) / (hand * 113.0)).abs() < 1e-12);
    }
}
