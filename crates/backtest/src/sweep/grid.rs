//! The grid of a sweep: the sizes (log-spaced) and, for each duration, the bar grid a sale of any
//! size is laid on.
//!
//! # Grid of a cell
//! A duration is rounded to a whole number of bars of the price source (`15m` bars for Cango);
//! the execution grid is that many bars of the source's size. A duration longer than
//! [`MAX_GRID_BARS`] source bars runs on a coarser uniform grid whose step is the smallest
//! multiple of the source bar that keeps it within [`MAX_GRID_BARS`] bars, and the duration is
//! rounded to a whole number of those steps. Each duration in the result says which grid it used
//! (`grid_bars`, `grid_bar_seconds`, `coarsened`).

use crate::scenario::{bad, ScheduleSpec};
use crate::BacktestError;
use blocksale_core::{duration_label, MS_PER_DAY};
use blocksale_impact::schedules::VolumeProfile;
use blocksale_impact::{ExecutionGrid, SaleWindow};
use serde::Serialize;

/// Largest execution grid of one cell, bars.
pub const MAX_GRID_BARS: i64 = 1000;

/// One duration of the sweep and the grid it ran on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepDuration {
    /// Duration as asked, seconds (the shortest, when several rounded to this grid).
    pub requested_seconds: i64,
    /// The other requested durations that rounded to this grid, seconds, ascending (their rows
    /// would repeat this duration's, so the sweep has one row per grid; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_requested_seconds: Vec<i64>,
    /// Duration used (a whole number of grid bars), seconds.
    pub duration_seconds: i64,
    /// Duration used, days.
    pub duration_days: f64,
    /// Short label (`1h`, `2d 6h`, `45m`).
    pub label: String,
    /// Bars of the execution grid.
    pub grid_bars: i64,
    /// Length of one grid bar, seconds.
    pub grid_bar_seconds: i64,
    /// True when the grid is coarser than the price source's bars (more than [`MAX_GRID_BARS`] of them).
    pub coarsened: bool,
}

/// `n` log-spaced values from `lo` to `hi` inclusive (`n = 1`: `lo` alone, which must equal `hi`).
///
/// # Errors
/// [`BacktestError::Scenario`] unless `0 < lo <= hi`, both finite, and `n >= 1` (`n = 1` needs
/// `lo == hi`).
pub fn log_space(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>, BacktestError> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi >= lo) {
        return Err(bad(
            "grid",
            format!("{lo}:{hi}"),
            "0 < lo <= hi, both finite",
        ));
    }
    match n {
        0 => Err(bad("grid", 0, "at least one point")),
        1 if lo == hi => Ok(vec![lo]),
        1 => Err(bad("grid", format!("{lo}:{hi}:1"), "n >= 2 when lo < hi")),
        _ => {
            let (a, b) = (lo.ln(), hi.ln());
            let step = (b - a) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| (a + step * i as f64).exp()).collect();
            // Exact end points.
            v[0] = lo;
            v[n - 1] = hi;
            Ok(v)
        }
    }
}

/// The grid of one requested duration on bars of `bar_seconds`.
pub fn grid_for(requested_seconds: i64, bar_seconds: i64) -> SweepDuration {
    let n_fine = ((requested_seconds as f64 / bar_seconds as f64).round() as i64).max(1);
    let factor = (n_fine + MAX_GRID_BARS - 1) / MAX_GRID_BARS;
    let step = bar_seconds * factor;
    let n = ((requested_seconds as f64 / step as f64).round() as i64).max(1);
    let dur = n * step;
    SweepDuration {
        requested_seconds,
        merged_requested_seconds: Vec::new(),
        duration_seconds: dur,
        duration_days: dur as f64 / 86_400.0,
        label: duration_label(dur),
        grid_bars: n,
        grid_bar_seconds: step,
        coarsened: factor > 1,
    }
}

/// Laying a block of any size on one duration's grid.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Bar open times, ms (window bars, then the bars a POV sale may run into).
    open_ms: Vec<i64>,
    bar_ms: i64,
    n_window: usize,
}

impl Layout {
    pub(crate) fn new(start_ms: i64, d: &SweepDuration) -> Self {
        let bar_ms = d.grid_bar_seconds * 1000;
        let n = d.grid_bars as usize;
        Self {
            open_ms: (0..2 * n as i64).map(|k| start_ms + k * bar_ms).collect(),
            bar_ms,
            n_window: n,
        }
    }

    /// Length of the sale, days, when `schedule` sells at a constant rate on this grid: the
    /// whole window for a TWAP, the first bar for a block (the times [`Layout::grid`] lays).
    pub(crate) fn constant_rate_days(&self, schedule: &ScheduleSpec) -> Option<f64> {
        let bar_days = self.bar_ms as f64 / MS_PER_DAY as f64;
        match schedule {
            ScheduleSpec::Twap => Some(self.n_window as f64 * bar_days),
            ScheduleSpec::Block => Some(bar_days),
            _ => None,
        }
    }

    /// The execution grid of `size_btc` under `schedule` (`profile`: the market's hour-of-week
    /// volume, for the volume-based kinds).
    pub(crate) fn grid(
        &self,
        schedule: &ScheduleSpec,
        size_btc: f64,
        profile: Option<&VolumeProfile>,
    ) -> Result<ExecutionGrid, BacktestError> {
        let window = SaleWindow::new_checked(&self.open_ms[..self.n_window], self.bar_ms)?
            .with_bars_after(&self.open_ms[self.n_window..]);
        let placed = schedule.place(size_btc, &window, profile)?;
        let n = placed.qty_btc.len().max(self.n_window);
        let mut q = placed.qty_btc;
        q.resize(n, 0.0);
        let bar_days = self.bar_ms as f64 / MS_PER_DAY as f64;
        let t: Vec<f64> = (0..=n).map(|k| k as f64 * bar_days).collect();
        Ok(ExecutionGrid::new_checked(t, q)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_space_end_points_and_ratio() {
        let v = log_space(250.0, 20_000.0, 40).unwrap();
        assert_eq!(v.len(), 40);
        assert_eq!((v[0], v[39]), (250.0, 20_000.0));
        let r = (20_000.0f64 / 250.0).powf(1.0 / 39.0);
        for w in v.windows(2) {
            assert!((w[1] / w[0] - r).abs() < 1e-12, "{w:?}");
        }
        assert_eq!(log_space(5.0, 5.0, 1).unwrap(), vec![5.0]);
        assert!(log_space(5.0, 6.0, 1).is_err());
        assert!(log_space(0.0, 6.0, 3).is_err());
        assert!(log_space(7.0, 6.0, 3).is_err());
        assert!(log_space(1.0, 6.0, 0).is_err());
    }

    #[test]
    fn grids_round_to_bars_and_coarsen_above_the_cap() {
        let g = grid_for(3_600, 900);
        assert_eq!(
            (
                g.grid_bars,
                g.grid_bar_seconds,
                g.duration_seconds,
                g.coarsened
            ),
            (4, 900, 3_600, false)
        );
        let g = grid_for(7 * 86_400, 900);
        assert_eq!(
            (g.grid_bars, g.grid_bar_seconds, g.coarsened),
            (672, 900, false)
        );
        // 100 minutes on 15-minute bars: 6.67 bars -> 7 bars = 105 minutes.
        let g = grid_for(6_000, 900);
        assert_eq!(
            (g.grid_bars, g.duration_seconds, g.label.as_str()),
            (7, 6_300, "1h 45m")
        );
        // 30 days of 15-minute bars = 2880 > 1000: step 3 bars (45 min), 960 bars, exactly 30 days.
        let g = grid_for(30 * 86_400, 900);
        assert_eq!(
            (
                g.grid_bars,
                g.grid_bar_seconds,
                g.duration_seconds,
                g.coarsened
            ),
            (960, 2_700, 30 * 86_400, true)
        );
        assert!(g.grid_bars <= MAX_GRID_BARS);
        // Shorter than a bar: one bar.
        assert_eq!(grid_for(60, 900).grid_bars, 1);
    }
}
