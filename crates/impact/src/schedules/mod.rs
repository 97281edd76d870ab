//! Execution schedules: how a block is split over the bars of the sale window.
//!
//! A scenario's `[schedule]` table is a [`ScheduleSpec`] (`spec.rs`, the one registration of every
//! schedule kind); [`ScheduleSpec::place`] is the entry point the backtest engine, the sweep and
//! the replay call. It maps the spec onto one of the [`Schedule`] types below, each in its own file:
//!
//! | kind | type | file | rule |
//! |---|---|---|---|
//! | `twap` | [`Twap`] / [`twap`] | `twap.rs` | equal quantities per bar |
//! | `block` | [`BlockAtStart`] | `block.rs` | everything in the first bar |
//! | `front_loaded` / `back_loaded` | [`FrontLoaded`] / [`BackLoaded`] | `loaded.rs` | linearly falling / rising rate |
//! | `vwap` | [`Vwap`] | `vwap.rs` | proportional to the expected volume of each bar ([`VolumeProfile`]) |
//! | `pov` | [`Pov`] | `pov.rs` | a fixed share of the expected volume until done (may run past the window) |
//! | `ac` | [`AcOptimal`] | `ac_optimal.rs` | Almgren-Chriss optimal trajectory for an urgency `kappa T` |
//! | `ow` | [`OwOptimal`] | `ow_optimal.rs` | Obizhaeva-Wang optimum for `rho T`: blocks at both ends, constant rate between |
//! | (none) | [`UserSchedule`] | `user.rs` | quantities given by the user |
//!
//! Every schedule returns quantities per bar that sum exactly (to the last bit, adding left to
//! right) to the block, all finite and `>= 0`: one per bar of the window, except [`Pov`], which may
//! run into the bars after it ([`SaleWindow::bars_after_ms`]) and says so in its note. The property
//! tests below check this on [`ScheduleSpec::place`] for every kind, so they cover exactly what the
//! engine runs.

mod ac_optimal;
mod block;
mod loaded;
mod ow_optimal;
mod pov;
mod spec;
mod twap;
mod user;
mod vwap;

pub use ac_optimal::AcOptimal;
pub use block::BlockAtStart;
pub use loaded::{BackLoaded, FrontLoaded};
pub use ow_optimal::{ow_optimal_blocks, OwBlocks, OwOptimal};
pub use pov::Pov;
pub use spec::{Placed, ScheduleSpec};
pub use twap::{twap, Twap};
pub use user::UserSchedule;
pub use vwap::{ClockHour, VolumeProfile, Vwap};

use crate::error::non_negative;
use crate::ImpactError;

/// The bars a sale may use: the open times of the window's bars (epoch ms UTC, ascending; a data
/// gap leaves a bar out) and of the bars after the window that a [`Pov`] sale may run into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleWindow<'a> {
    open_ms: &'a [i64],
    after_ms: &'a [i64],
    bar_ms: i64,
}

impl<'a> SaleWindow<'a> {
    /// Checked constructor: at least one bar, each `bar_ms` long; no bars after the window.
    ///
    /// # Errors
    /// [`ImpactError::Input`] unless `bar_ms > 0` and `open_ms` is not empty.
    pub fn new_checked(open_ms: &'a [i64], bar_ms: i64) -> Result<Self, ImpactError> {
        if bar_ms <= 0 || open_ms.is_empty() {
            return Err(ImpactError::Input(format!(
                "a sale window needs bars of more than 0 ms and at least one bar, got {bar_ms} ms and {} bars",
                open_ms.len()
            )));
        }
        Ok(Self {
            open_ms,
            after_ms: &[],
            bar_ms,
        })
    }

    /// The same window with the bars after it (open times, ascending) that a POV sale may use.
    pub fn with_bars_after(self, after_ms: &'a [i64]) -> Self {
        Self { after_ms, ..self }
    }

    /// Number of bars in the window.
    pub fn n_bars(&self) -> usize {
        self.open_ms.len()
    }

    /// Open times of the window's bars, epoch ms.
    pub fn open_ms(&self) -> &'a [i64] {
        self.open_ms
    }

    /// Open times of the bars after the window, epoch ms.
    pub fn bars_after_ms(&self) -> &'a [i64] {
        self.after_ms
    }

    /// Bar length, ms.
    pub fn bar_ms(&self) -> i64 {
        self.bar_ms
    }

    /// Bar length, hours.
    pub fn bar_hours(&self) -> f64 {
        self.bar_ms as f64 / 3_600_000.0
    }
}

/// Quantities a schedule placed, with a note when the request could not be honoured as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// BTC per bar from the window start; longer than the window only for [`Pov`].
    pub qty_btc: Vec<f64>,
    /// What the caller must be told (a POV sale that ran past the window or could not finish).
    pub note: Option<String>,
}

impl Placement {
    /// Quantities with no note.
    pub fn quantities(qty_btc: Vec<f64>) -> Self {
        Self {
            qty_btc,
            note: None,
        }
    }
}

/// A rule that splits a block over the bars of a sale window.
pub trait Schedule: Send + Sync + std::fmt::Debug {
    /// Quantities per bar (BTC) summing exactly to `total_btc`, one per bar of `window` (except
    /// [`Pov`], see [`Placement`]).
    ///
    /// # Errors
    /// [`ImpactError`] when the total is negative or not finite, or the schedule cannot place it.
    fn place(&self, total_btc: f64, window: &SaleWindow<'_>) -> Result<Placement, ImpactError>;
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

/// Make the left-to-right sum of `q` exactly `total` by giving the last positive entry
/// `total - (sum of the entries before it)`: every other entry keeps its value. When rounding
/// leaves that sum an ulp off (or the entries before the last already exceed `total`, as the
/// rounded differences of an Almgren-Chriss trajectory can), [`fix_sum`] repairs it.
pub(crate) fn fix_last(q: &mut [f64], total: f64) {
    if let Some(last) = q.iter().rposition(|&x| x > 0.0) {
        let head: f64 = q[..last].iter().sum();
        q[last] = (total - head).max(0.0);
    }
    if q.iter().sum::<f64>() != total {
        fix_sum(q, total);
    }
}

/// Split `total` in proportion to `weights` (finite, `>= 0`): `w_k / sum(w) * total`, the last
/// positive entry absorbing the rounding ([`fix_last`]); equal quantities ([`twap`]) when the
/// weights are all zero.
pub fn proportional(weights: &[f64], total: f64) -> Vec<f64> {
    let s: f64 = weights.iter().sum();
    let mut q: Vec<f64> = if s > 0.0 {
        weights.iter().map(|x| x / s * total).collect()
    } else {
        twap(total, weights.len())
    };
    fix_last(&mut q, total);
    q
}

pub(crate) fn check_total(total_btc: f64) -> Result<f64, ImpactError> {
    non_negative("block size (BTC)", total_btc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Every kind with its parameters anywhere in their valid ranges (urgency past the point where
    /// `sinh(kappa T)` overflows).
    fn any_spec() -> impl Strategy<Value = ScheduleSpec> {
        prop_oneof![
            Just(ScheduleSpec::Twap),
            Just(ScheduleSpec::Block),
            Just(ScheduleSpec::FrontLoaded),
            Just(ScheduleSpec::BackLoaded),
            Just(ScheduleSpec::Vwap),
            prop_oneof![1e-4f64..=1.0, Just(1.0)]
                .prop_map(|participation| ScheduleSpec::Pov { participation }),
            prop_oneof![1e-3f64..20.0, 20.0f64..2_000.0]
                .prop_map(|urgency| ScheduleSpec::Ac { urgency }),
            prop_oneof![1e-3f64..20.0, 20.0f64..1e6].prop_map(|rho_t| ScheduleSpec::Ow { rho_t }),
        ]
    }

    /// Window bars with gaps (bar 0 always present), the bars after it, and a volume profile or
    /// none (volume-based kinds then fall back to TWAP).
    #[allow(clippy::type_complexity)]
    fn any_window() -> impl Strategy<Value = (Vec<i64>, Vec<i64>, i64, Option<VolumeProfile>)> {
        (
            1usize..400,
            prop::sample::select(vec![1i64, 5, 15, 45, 60, 240]),
            0i64..500,
            0usize..800,
            prop::collection::vec(any::<bool>(), 400),
            0u64..1000,
            any::<bool>(),
        )
            .prop_map(|(n, bar_min, start_h, after, keep, seed, with_profile)| {
                let bar_ms = bar_min * 60_000;
                let start = 1_704_067_200_000 + start_h * 3_600_000;
                let open: Vec<i64> = (0..n)
                    .filter(|&k| k == 0 || keep[k] || k % 3 == 0)
                    .map(|k| start + k as i64 * bar_ms)
                    .collect();
                let end = start + n as i64 * bar_ms;
                let after_ms: Vec<i64> = (0..after as i64).map(|k| end + k * bar_ms).collect();
                let mut rng = crate::rng::SplitMix64::new(seed);
                // Some hours of the week without volume, as at an exchange outage.
                let hourly: Vec<f64> = (0..168)
                    .map(|_| {
                        let u = rng.next_f64();
                        if u < 0.1 {
                            0.0
                        } else {
                            100.0 + 900.0 * u
                        }
                    })
                    .collect();
                let profile = with_profile.then(|| VolumeProfile::from_hourly(hourly).unwrap());
                (open, after_ms, bar_ms, profile)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        /// The engine's entry point: sums exact, quantities finite and `>= 0`, one per window bar,
        /// POV inside the window plus the bars after it, with a note saying how far it ran.
        #[test]
        fn every_schedule_sums_to_the_block(
            total in prop_oneof![Just(0.0), 0.0f64..1e5, Just(4451.0)],
            spec in any_spec(),
            (open, after, bar_ms, profile) in any_window(),
        ) {
            let w = SaleWindow::new_checked(&open, bar_ms).unwrap().with_bars_after(&after);
            let p = spec.place(total, &w, profile.as_ref()).unwrap();
            let q = &p.qty_btc;
            let k = spec.kind();
            prop_assert_eq!(q.iter().sum::<f64>(), total, "{}", k);
            prop_assert!(q.iter().all(|x| x.is_finite() && *x >= 0.0), "{} {:?}", k, q);
            let n = open.len();
            if p.name == "pov" {
                prop_assert!(q.len() <= n + after.len(), "{}", q.len());
                let ran_past = q.len().saturating_sub(n);
                let short = p.note.as_deref().is_some_and(|s| s.contains("could not finish"));
                if short {
                    prop_assert_eq!(q.len(), n + after.len());
                } else if ran_past > 0 {
                    let want = format!("ran {ran_past} bars past the window end");
                    prop_assert!(p.note.as_deref().is_some_and(|s| s.contains(&want)), "{:?}", p.note);
                } else {
                    prop_assert_eq!(&p.note, &None);
                }
            } else {
                prop_assert_eq!(q.len(), n, "{}", k);
            }
            if profile.is_none() && matches!(spec, ScheduleSpec::Vwap | ScheduleSpec::Pov { .. }) {
                prop_assert_eq!(p.name, "twap");
                prop_assert!(p.note.unwrap().contains("TWAP used instead"));
            } else {
                prop_assert_eq!(p.name, k);
            }
            let user = UserSchedule::new_checked(vec![total / 3.0, total / 3.0, total / 3.0]).unwrap();
            let three = [open[0], open[0] + bar_ms, open[0] + 2 * bar_ms];
            let q = user.place(total, &SaleWindow::new_checked(&three, bar_ms).unwrap()).unwrap();
            prop_assert_eq!(q.qty_btc.iter().sum::<f64>(), total);
        }
    }

    /// The property test above draws every registered kind.
    #[test]
    fn the_property_test_draws_every_kind() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = any_spec();
        let seen: BTreeSet<&str> = (0..500)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current().kind())
            .collect();
        let all: BTreeSet<&str> = ScheduleSpec::KINDS.iter().copied().collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn proportional_sums_exactly_and_falls_back_to_twap() {
        let q = proportional(&[1.0, 2.0, 3.0], 6.0);
        assert_eq!(q.iter().sum::<f64>(), 6.0);
        assert!(q
            .iter()
            .zip([1.0, 2.0, 3.0])
            .all(|(a, b)| (a - b).abs() < 1e-15));
        assert_eq!(proportional(&[0.0; 4], 2.0), vec![0.5; 4]);
        // An Almgren-Chriss-like tail where the head already exceeds the total after rounding.
        let mut q = vec![0.1, 0.2, 0.30000000000000004, 1e-17];
        fix_last(&mut q, 0.6);
        assert_eq!(q.iter().sum::<f64>(), 0.6);
        assert!(q.iter().all(|&x| x >= 0.0));
    }
}
