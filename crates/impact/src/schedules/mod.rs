//! Execution schedules: how a block is split over the bars of the sale window.
//!
//! Every [`Schedule`] returns quantities per bar that sum exactly (to the last bit, adding left to
//! right) to the block, all finite and `>= 0`.
//!
//! | schedule | file | rule |
//! |---|---|---|
//! | [`BlockAtStart`] | `block.rs` | everything in the first bar |
//! | [`Twap`] / [`twap`] | `twap.rs` | equal quantities per bar |
//! | [`Vwap`] | `vwap.rs` | proportional to the expected volume of each bar ([`VolumeProfile`]) |
//! | [`Pov`] | `pov.rs` | a fixed share of the expected volume until done (the duration follows) |
//! | [`AcOptimal`] | `ac_optimal.rs` | Almgren-Chriss optimal trajectory for a risk aversion |
//! | [`OwOptimal`] | `ow_optimal.rs` | Obizhaeva-Wang optimum: blocks at both ends, constant rate between |
//! | [`UserSchedule`] | `user.rs` | quantities given by the user (read by the CLI) |

mod ac_optimal;
mod block;
mod ow_optimal;
mod pov;
mod twap;
mod user;
mod vwap;

pub use ac_optimal::AcOptimal;
pub use block::BlockAtStart;
pub use ow_optimal::{ow_optimal_blocks, OwBlocks, OwOptimal};
pub use pov::Pov;
pub use twap::{twap, Twap};
pub use user::UserSchedule;
pub use vwap::{VolumeProfile, Vwap};

use crate::error::{non_negative, positive};
use crate::{ExecutionGrid, ImpactError};
use blocksale_core::MS_PER_DAY;
use serde::Serialize;

/// The bars a sale may use: `n_bars` bars of `bar_seconds` from `start_ms` (epoch ms UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SaleWindow {
    /// Open time of the first bar, epoch ms UTC (used by volume-profile schedules).
    pub start_ms: i64,
    /// Bar length, seconds.
    pub bar_seconds: i64,
    /// Number of bars.
    pub n_bars: usize,
}

impl SaleWindow {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Input`] unless `bar_seconds > 0` and `n_bars >= 1`.
    pub fn new_checked(
        start_ms: i64,
        bar_seconds: i64,
        n_bars: usize,
    ) -> Result<Self, ImpactError> {
        if bar_seconds <= 0 || n_bars == 0 {
            return Err(ImpactError::Input(format!(
                "a sale window needs bar_seconds > 0 and at least one bar, got {bar_seconds} s and {n_bars} bars"
            )));
        }
        Ok(Self {
            start_ms,
            bar_seconds,
            n_bars,
        })
    }

    /// Bar length in days.
    pub fn bar_days(&self) -> f64 {
        self.bar_seconds as f64 / 86_400.0
    }

    /// Duration of the window in days.
    pub fn horizon_days(&self) -> f64 {
        self.bar_days() * self.n_bars as f64
    }

    /// Open time of bar `k`, epoch ms.
    pub fn bar_start_ms(&self, k: usize) -> i64 {
        self.start_ms + k as i64 * self.bar_seconds * 1000
    }

    /// An execution grid for these quantities, with `extra_bars` empty bars after them (to see decay).
    ///
    /// # Errors
    /// As [`ExecutionGrid::new_checked`].
    pub fn grid(
        &self,
        mut qty_btc: Vec<f64>,
        extra_bars: usize,
    ) -> Result<ExecutionGrid, ImpactError> {
        let n = qty_btc.len() + extra_bars;
        qty_btc.resize(n, 0.0);
        let dt = self.bar_seconds as f64 * 1000.0 / MS_PER_DAY as f64;
        ExecutionGrid::new_checked((0..=n).map(|k| k as f64 * dt).collect(), qty_btc)
    }
}

/// A rule that splits a block over the bars of a sale window.
pub trait Schedule: Send + Sync + std::fmt::Debug {
    /// Short stable name used in outputs (`twap`, `vwap`, ...).
    fn name(&self) -> String;

    /// Quantities per bar (BTC) summing exactly to `total_btc`. One per bar of `window`, except for
    /// [`Pov`], whose duration follows from volume (`window.n_bars` is then the maximum).
    ///
    /// # Errors
    /// [`ImpactError`] when the total is negative or not finite, or the schedule cannot place it.
    fn quantities(&self, total_btc: f64, window: &SaleWindow) -> Result<Vec<f64>, ImpactError>;
}

/// Make the left-to-right sum of `q` exactly `total`.
///
/// The running sums of `q` are rescaled to end at `total` and rounded to multiples of one ulp of
/// `total` (`C_k`, non-decreasing, `C_n = total`); each entry becomes `C_k - C_{k-1}`. Every `C_k`
/// and every difference is then an integer multiple of that ulp no larger than `total`, so all are
/// exact in `f64` and adding the entries left to right reproduces each `C_k` exactly: the sum is
/// `total` to the last bit. Entries move by at most one ulp of `total` (about 2e-12 BTC for a
/// 10,000 BTC block).
pub(crate) fn fix_sum(q: &mut [f64], total: f64) {
    let Some(last) = q.iter().rposition(|&x| x > 0.0) else {
        if let Some(first) = q.first_mut() {
            *first = total;
        }
        return;
    };
    if total <= 0.0 {
        q.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let ulp = next_up(total) - total;
    let mut run = 0.0;
    let partial: Vec<f64> = q
        .iter()
        .map(|x| {
            run += x;
            run
        })
        .collect();
    let scale = total / run;
    let mut prev = 0.0;
    for k in 0..q.len() {
        let c = if k >= last {
            total
        } else {
            ((partial[k] * scale / ulp).round() * ulp).clamp(prev, total)
        };
        q[k] = c - prev;
        prev = c;
    }
    debug_assert_eq!(q.iter().sum::<f64>(), total);
}

fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

/// Split `total` in proportion to `weights` (finite, `>= 0`, not all zero), summing exactly.
pub(crate) fn allocate(total: f64, weights: &[f64]) -> Result<Vec<f64>, ImpactError> {
    let w: f64 = weights.iter().sum();
    if !(w.is_finite() && w > 0.0) || weights.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
        return Err(ImpactError::Input(
            "schedule weights must be finite, >= 0 and not all zero".into(),
        ));
    }
    let mut q: Vec<f64> = weights.iter().map(|x| total * x / w).collect();
    fix_sum(&mut q, total);
    Ok(q)
}

pub(crate) fn check_total(total_btc: f64) -> Result<f64, ImpactError> {
    non_negative("block size (BTC)", total_btc)
}

pub(crate) fn check_rate(name: &'static str, x: f64) -> Result<f64, ImpactError> {
    positive(name, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(profile: &VolumeProfile) -> Vec<Box<dyn Schedule>> {
        let ac = crate::models::AlmgrenChriss::new_checked(0.03, 0.0, 1e-6, 1e-7).unwrap();
        vec![
            Box::new(BlockAtStart),
            Box::new(Twap),
            Box::new(Vwap::new(profile.clone())),
            Box::new(Pov::new_checked(0.1, profile.clone()).unwrap()),
            Box::new(AcOptimal::new_checked(ac, 1e-3).unwrap()),
            Box::new(OwOptimal::new_checked(5.0).unwrap()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn every_schedule_sums_to_the_block(
            total in 0.0f64..1e5,
            n in 1usize..400,
            bar_min in prop::sample::select(vec![1i64, 5, 15, 60, 240]),
            start_h in 0i64..500,
            seed in 0u64..1000,
        ) {
            let mut rng = crate::rng::SplitMix64::new(seed);
            let hourly: Vec<f64> = (0..168).map(|_| 100.0 + 900.0 * rng.next_f64()).collect();
            let profile = VolumeProfile::from_hourly(hourly).unwrap();
            let w = SaleWindow::new_checked(start_h * 3_600_000, bar_min * 60, n).unwrap();
            for s in all(&profile) {
                // POV needs enough bars: give it a long window.
                let w = if s.name() == "pov" { SaleWindow { n_bars: 1_000_000, ..w } } else { w };
                let q = s.quantities(total, &w).unwrap();
                prop_assert_eq!(q.iter().sum::<f64>(), total, "{}", s.name());
                prop_assert!(q.iter().all(|x| x.is_finite() && *x >= 0.0), "{}", s.name());
                if s.name() != "pov" {
                    prop_assert_eq!(q.len(), n, "{}", s.name());
                }
            }
            let user = UserSchedule::new_checked(vec![total / 3.0, total / 3.0, total / 3.0]).unwrap();
            let q = user.quantities(total, &SaleWindow { n_bars: 3, ..w }).unwrap();
            prop_assert_eq!(q.iter().sum::<f64>(), total);
        }
    }
}
