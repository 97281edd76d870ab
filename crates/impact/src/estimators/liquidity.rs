use crate::schedules::VolumeProfile;
use crate::ImpactError;
use blocksale_core::{day_start_ms, is_weekend, BarSeries, VolumeUnit, MS_PER_DAY};
use serde::Serialize;

/// Amihud illiquidity: `mean_d |R_d| / DV_d`, per dollar.
///
/// Days with zero or missing dollar volume are skipped.
///
/// # Errors
/// [`ImpactError::Input`] for unequal lengths or no usable day.
///
/// # References
/// Amihud 2002, "Illiquidity and stock returns", J. Financial Markets 5(1), 31-56; SCIENCE.md 2;
/// test vector T7.
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

/// Amihud illiquidity on UTC days built from bars: `R_d` is the simple return from the previous
/// day's last close to this day's last close, `DV_d` the day's quote volume (or close x volume when
/// the source has no quote volume). The first day has no return and is not used.
///
/// # Errors
/// [`ImpactError::Input`] with fewer than two days.
pub fn amihud_daily(bars: &BarSeries) -> Result<AmihudEstimate, ImpactError> {
    let days = daily(bars);
    if days.len() < 2 {
        return Err(ImpactError::Input(format!(
            "Amihud illiquidity needs at least 2 UTC days of bars, got {}",
            days.len()
        )));
    }
    let r: Vec<f64> = days
        .windows(2)
        .map(|w| (w[1].last_close / w[0].last_close - 1.0).abs())
        .collect();
    let dv: Vec<f64> = days[1..].iter().map(|d| d.dollar_volume).collect();
    let illiq = amihud(&r, &dv)?;
    let n_days = r
        .iter()
        .zip(&dv)
        .filter(|(r, d)| r.is_finite() && **d > 0.0)
        .count();
    let p = *bars.close().last().unwrap_or(&f64::NAN);
    Ok(AmihudEstimate {
        illiq_per_usd: illiq,
        n_days,
        drag_per_btc: illiq * p,
    })
}

#[derive(Debug, Clone, Copy)]
struct Day {
    start_ms: i64,
    volume: f64,
    dollar_volume: f64,
    last_close: f64,
    covered_ms: i64,
}

fn daily(bars: &BarSeries) -> Vec<Day> {
    let mut out: Vec<Day> = Vec::new();
    let bar_ms = bars.bar_ms().min(MS_PER_DAY);
    let quote = bars.quote_volume();
    for i in 0..bars.len() {
        let t = bars.open_time_ms()[i];
        let d = day_start_ms(t);
        let v = bars.volume()[i];
        let (vol_btc, dv) = match (bars.volume_unit(), quote) {
            (VolumeUnit::Base, Some(q)) => (v, q[i]),
            (VolumeUnit::Base, None) => (v, v * bars.close()[i]),
            (VolumeUnit::Quote, _) => (v / bars.close()[i], v),
        };
        match out.last_mut() {
            Some(day) if day.start_ms == d => {
                day.volume += vol_btc;
                day.dollar_volume += dv;
                day.last_close = bars.close()[i];
                day.covered_ms += bar_ms;
            }
            _ => out.push(Day {
                start_ms: d,
                volume: vol_btc,
                dollar_volume: dv,
                last_close: bars.close()[i],
                covered_ms: bar_ms,
            }),
        }
    }
    out
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
    /// Days used (coverage at least half a day).
    pub n_days: usize,
    /// Weekend days among them.
    pub n_weekend_days: usize,
    /// Mean volume per hour of the week (0 = Monday 00:00 UTC), BTC/hour, 168 values.
    pub by_hour_of_week_btc: Vec<f64>,
}

/// Average daily volume from bars with volume in BTC.
///
/// Each UTC day's volume is scaled to 24 hours by its coverage (bars present x bar length), and
/// days covered less than half are left out, so a data gap (an exchange outage) does not pull the
/// mean down. The hour-of-week profile is [`VolumeProfile::from_bars`].
///
/// # Errors
/// [`ImpactError::Input`] when the volume is in USD or no day is covered.
pub fn adv(bars: &BarSeries) -> Result<AdvEstimate, ImpactError> {
    if bars.volume_unit() != VolumeUnit::Base {
        return Err(ImpactError::Input(
            "average daily volume needs volume in BTC, the bars count USD".into(),
        ));
    }
    let days: Vec<Day> = daily(bars)
        .into_iter()
        .filter(|d| d.covered_ms * 2 >= MS_PER_DAY)
        .collect();
    if days.is_empty() {
        return Err(ImpactError::Input(
            "no UTC day is covered by at least half a day of bars".into(),
        ));
    }
    let scaled = |d: &Day| d.volume * MS_PER_DAY as f64 / d.covered_ms as f64;
    let mean = |it: Vec<f64>| {
        if it.is_empty() {
            f64::NAN
        } else {
            it.iter().sum::<f64>() / it.len() as f64
        }
    };
    let all: Vec<f64> = days.iter().map(scaled).collect();
    let wk: Vec<f64> = days
        .iter()
        .filter(|d| !is_weekend(d.start_ms))
        .map(scaled)
        .collect();
    let we: Vec<f64> = days
        .iter()
        .filter(|d| is_weekend(d.start_ms))
        .map(scaled)
        .collect();
    let total: f64 = all.iter().sum();
    let n_weekend_days = we.len();
    let weekend_volume_share = we.iter().sum::<f64>() / total;
    Ok(AdvEstimate {
        adv_btc: mean(all.clone()),
        weekday_adv_btc: mean(wk),
        weekend_adv_btc: mean(we),
        weekend_volume_share,
        n_days: all.len(),
        n_weekend_days,
        by_hour_of_week_btc: VolumeProfile::from_bars(bars)?.btc_per_hour().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocksale_core::BarColumns;

    /// SCIENCE.md T7: |r| = 2 %, dollar volume 2e9 -> 1e-11 per $.
    #[test]
    fn t7_amihud() {
        let a = amihud(&[0.02], &[2e9]).unwrap();
        assert!((a - 1e-11).abs() < 1e-24);
        assert!(amihud(&[0.02], &[0.0]).is_err());
    }

    #[test]
    fn adv_weekend_and_gaps() {
        // 14 days of hourly bars from Monday 2024-01-01: 10 BTC/h on weekdays, 5 on weekends;
        // Wednesday of week 1 loses 6 hours (scaled back to 24 h).
        let start = 1_704_067_200_000i64;
        let mut c = BarColumns::default();
        for h in 0..(14 * 24) {
            if (2 * 24..2 * 24 + 6).contains(&h) {
                continue;
            }
            let t = start + h * 3_600_000;
            let v = if is_weekend(t) { 5.0 } else { 10.0 };
            c.push_ohlcv(t, 100.0, 101.0, 99.0, 100.0 + (h % 3) as f64 * 0.5, v);
        }
        let bars = BarSeries::new_checked(c, 3600).unwrap();
        let a = adv(&bars).unwrap();
        assert_eq!(a.n_days, 14);
        assert_eq!(a.n_weekend_days, 4);
        assert!((a.weekday_adv_btc - 240.0).abs() < 1e-9);
        assert!((a.weekend_adv_btc - 120.0).abs() < 1e-9);
        assert!((a.adv_btc - (10.0 * 240.0 + 4.0 * 120.0) / 14.0).abs() < 1e-9);
        assert!((a.weekend_volume_share - 480.0 / 2880.0).abs() < 1e-12);
        assert_eq!(a.by_hour_of_week_btc.len(), 168);
        let am = amihud_daily(&bars).unwrap();
        assert_eq!(am.n_days, 13);
        assert!(am.illiq_per_usd >= 0.0);
    }
}
