use super::registry::{literature_y_factors, positive_key};
use super::{
    sale_end, BuildContext, BuiltModel, ConstantRate, Decay, ImpactModel, ModelEntry, ParamBand,
    PowerLaw,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Transient power-law impact with a power-law kernel (the square-root propagator by default).
///
/// ```text
/// I(t) = integral_0^t h(v(s)) G(t - s) ds
/// h(v) = (Y/2) * sigma * (v / V)^delta,   G(u) = (u / tau0)^(-a) / sqrt(tau0)
/// square-root propagator (delta = 1/2, a = 1/2; tau0 drops out), constant rate X/T:
///   I(t) = Y sigma sqrt(X/V) sqrt(t/T)                         t <= T
///   I(t) = Y sigma sqrt(X/V) (sqrt(t/T) - sqrt(t/T - 1))       t > T   (decays to 0)
///   peak Y sigma sqrt(X/V) (the square-root law's own peak), average cost (2/3) Y sigma sqrt(X/V)
/// ```
///
/// * `v`: selling rate, BTC/day, piecewise constant on the bar grid; `V`: average daily volume,
///   BTC/day; `sigma`: daily volatility (per sqrt(day)); `t`, `u` in days.
/// * `Y` (dimensionless, default [`PowerLaw::DEFAULT_Y`] = 0.9): the square root's prefactor, so the
///   two models share `Y` and differ only after the sale and for uneven schedules.
/// * `delta` in (0, 1] (default 1/2), kernel exponent `a` in (0, 1) (default 1/2).
/// * `tau0` (days, default 1): the kernel's time scale. `G` is in day^(-1/2) whatever `a`, so `I`
///   is dimensionless and does not change with the unit of time; for `a = 1/2` `tau0` drops out.
///   Internally `h` carries `c = (Y/2) tau0^(a - 1/2)` (in day^(a - 1/2)).
///
/// For piecewise constant rates `v_k` on `[t_k, t_{k+1})` the path is exact:
/// `I(t) = sum_k c sigma (v_k/V)^delta [(t - t_k)_+^(1-a) - (t - t_{k+1})_+^(1-a)] / (1 - a)`, and so
/// is the cost of the fills (one more integration, `O(N^2)` in the number of trading bars).
/// The peak of a constant-rate sale depends on `X` only (not on `T`) when `a + delta = 1`.
/// After the sale [`Decay::Full`] (default) is the kernel's own decay.
///
/// # References
/// * Bouchaud, Gefen, Potters & Wyart 2004, "Fluctuations and response in financial markets",
///   Quantitative Finance 4(2): the propagator model.
/// * Gatheral 2010, Quantitative Finance 10(7): power-law kernels are the consistent partner of
///   power-law impact.
/// * blocksale docs/methods.md §16 (square-root propagator, derived here; normalisation c = Y/2 and
///   the time scale tau0); test vector T4 (§27).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Propagator {
    y: f64,
    delta: f64,
    kernel_exponent: f64,
    time_scale_days: f64,
    decay: Decay,
}

impl Propagator {
    /// The square-root propagator's impact exponent `delta`.
    pub const SQRT_DELTA: f64 = 0.5;
    /// The square-root propagator's kernel exponent `a`.
    pub const SQRT_KERNEL_EXPONENT: f64 = 0.5;
    /// The kernel's default time scale `tau0`, days.
    pub const DEFAULT_TIME_SCALE_DAYS: f64 = 1.0;

    /// The square-root propagator: `Y = 0.9` (the square root's), `delta = 1/2`, `a = 1/2`.
    pub fn square_root() -> Self {
        Self {
            y: PowerLaw::DEFAULT_Y,
            delta: Self::SQRT_DELTA,
            kernel_exponent: Self::SQRT_KERNEL_EXPONENT,
            time_scale_days: Self::DEFAULT_TIME_SCALE_DAYS,
            decay: Decay::Full,
        }
    }

    /// Checked constructor with the default time scale (1 day).
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `Y > 0`, `0 < delta <= 1` and `0 < a < 1`.
    pub fn new_checked(y: f64, delta: f64, kernel_exponent: f64) -> Result<Self, ImpactError> {
        Self::with_time_scale(y, delta, kernel_exponent, Self::DEFAULT_TIME_SCALE_DAYS)
    }

    /// Checked constructor with the kernel's time scale `tau0` (in the unit of the grid's times).
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `Y > 0`, `0 < delta <= 1`, `0 < a < 1` and `tau0 > 0`.
    pub fn with_time_scale(
        y: f64,
        delta: f64,
        kernel_exponent: f64,
        time_scale_days: f64,
    ) -> Result<Self, ImpactError> {
        positive("y", y)?;
        positive("time scale", time_scale_days)?;
        if !(delta.is_finite() && delta > 0.0 && delta <= 1.0) {
            return Err(ImpactError::Param {
                name: "delta",
                value: delta,
                expected: "a number in (0, 1]",
            });
        }
        if !(kernel_exponent.is_finite() && kernel_exponent > 0.0 && kernel_exponent < 1.0) {
            return Err(ImpactError::Param {
                name: "kernel exponent",
                value: kernel_exponent,
                expected: "a number in (0, 1)",
            });
        }
        Ok(Self {
            y,
            delta,
            kernel_exponent,
            time_scale_days,
            decay: Decay::Full,
        })
    }

    /// `c = (Y/2) tau0^(a - 1/2)`: the prefactor of `h(v)` against the kernel `u^(-a)`.
    fn c(&self) -> f64 {
        self.y / 2.0 * self.time_scale_days.powf(self.kernel_exponent - 0.5)
    }

    /// The same model with another decay after the sale (default: the kernel's own, [`Decay::Full`]).
    ///
    /// # Errors
    /// [`ImpactError::Param`] for an invalid plateau fraction.
    pub fn with_decay(mut self, decay: Decay) -> Result<Self, ImpactError> {
        decay.validate()?;
        self.decay = decay;
        Ok(self)
    }

    fn amplitude(&self, rate: f64, m: &MarketInputs) -> f64 {
        self.c() * m.sigma_daily * (rate / m.adv_btc).powf(self.delta)
    }
}

impl ImpactModel for Propagator {
    /// The premise bound with what the square root's sources say (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::SQRT_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        if self.delta == Self::SQRT_DELTA && self.kernel_exponent == Self::SQRT_KERNEL_EXPONENT {
            "sqrt_propagator".into()
        } else {
            "propagator".into()
        }
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("y".into(), self.y),
            ("delta".into(), self.delta),
            ("kernel_exponent".into(), self.kernel_exponent),
            ("time_scale_days".into(), self.time_scale_days),
        ])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn path(&self, grid: &ExecutionGrid, m: &MarketInputs) -> ImpactPath {
        let Some((last, _)) = sale_end(grid) else {
            return ImpactPath::new(vec![0.0; grid.len()], 0.0, 0.0);
        };
        let a = self.kernel_exponent;
        let (p1, p2) = (1.0 - a, 2.0 - a);
        let t = grid.t_days();
        let dt = grid.dt_days();
        let q = grid.qty_btc();
        // Trading bars and their amplitudes A_k = h(v_k) / (1 - a).
        let trading: Vec<(usize, f64)> = (0..=last)
            .filter(|&k| q[k] > 0.0)
            .map(|k| (k, self.amplitude(q[k] / dt[k], m) / p1))
            .collect();
        let half = a == 0.5;
        // x^p for x > 0, with the square-root kernel's exponents (1/2, 3/2) done by sqrt.
        let pos = |x: f64, p: f64| {
            if x <= 0.0 {
                0.0
            } else if half && p == 0.5 {
                x.sqrt()
            } else if half && p == 1.5 {
                x * x.sqrt()
            } else {
                x.powf(p)
            }
        };
        // sum_k w_k (x(time - t_k) - x(time - t_{k+1})) over the trading bars, with each power
        // taken once: bar k's second term is bar k+1's first (the same argument, so the same
        // bits as evaluating both), which halves the O(N^2) powers.
        let sweep_sum = |time: f64, p: f64, weight: &dyn Fn(f64) -> f64| -> f64 {
            let mut next: Option<(usize, f64)> = None;
            trading
                .iter()
                .map(|&(k, amp)| {
                    let a = match next {
                        Some((j, v)) if j == k => v,
                        _ => pos(time - t[k], p),
                    };
                    let b = pos(time - t[k + 1], p);
                    next = Some((k + 1, b));
                    weight(amp) * (a - b)
                })
                .sum()
        };
        let at = |time: f64| -> f64 { sweep_sum(time, p1, &|amp| amp) };
        // The primitive of I at each grid time, each taken once: bar k's upper end is bar k+1's
        // lower end.
        let prim = |s: f64| -> f64 { sweep_sum(s, p2, &|amp| amp / p2) };
        let level = at(t[last + 1]);
        let mut cost = 0.0;
        let mut prim_at: Option<(usize, f64)> = None;
        for &(k, _) in &trading {
            let lo = match prim_at {
                Some((j, v)) if j == k => v,
                _ => prim(t[k]),
            };
            let hi = prim(t[k + 1]);
            prim_at = Some((k + 1, hi));
            cost += q[k] / dt[k] * (hi - lo);
        }
        let impact = (0..grid.len())
            .map(|k| {
                let i = at(t[k + 1]);
                if k > last {
                    self.decay.apply(level, i)
                } else {
                    i
                }
            })
            .collect();
        ImpactPath::new(impact, cost / grid.total_btc(), self.decay.long_run(level))
    }

    /// At the rate `v = Q/T` the sum over bars telescopes to `I(t) = A t^(1-a)` during the sale
    /// (`A = h(v) / (1 - a)`): peak `A T^(1-a)`, average cost `A T^(1-a) / (2 - a)`, both `O(1)`
    /// where the grid path is `O(N^2)`.
    fn constant_rate(&self, size_btc: f64, days: f64, m: &MarketInputs) -> Option<ConstantRate> {
        if !(size_btc > 0.0 && days > 0.0) {
            return Some(ConstantRate::ZERO);
        }
        let a = self.kernel_exponent;
        let (p1, p2) = (1.0 - a, 2.0 - a);
        let amp = self.amplitude(size_btc / days, m) / p1;
        let level = amp * if a == 0.5 { days.sqrt() } else { days.powf(p1) };
        Some(ConstantRate {
            avg_cost: level / p2,
            peak: level,
            permanent: self.decay.long_run(level),
        })
    }
}

/// A scenario's `[[models]]` entry `model = "sqrt_propagator"`: [`Propagator`], the square-root
/// propagator unless a parameter says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqrtPropagatorSpec {
    /// Kernel exponent `a` in (0, 1), default [`Propagator::SQRT_KERNEL_EXPONENT`].
    pub kernel_exponent: f64,
    /// Prefactor `Y` (> 0, shared with the square root), default [`PowerLaw::DEFAULT_Y`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    /// The kernel's time scale `tau0`, days (> 0), default
    /// [`Propagator::DEFAULT_TIME_SCALE_DAYS`]; no effect when the kernel exponent is 1/2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_scale_days: Option<f64>,
    /// Impact exponent `delta` in (0, 1], default [`Propagator::SQRT_DELTA`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

impl Default for SqrtPropagatorSpec {
    fn default() -> Self {
        Self {
            kernel_exponent: Propagator::SQRT_KERNEL_EXPONENT,
            y: None,
            time_scale_days: None,
            delta: None,
        }
    }
}

impl ModelEntry for SqrtPropagatorSpec {
    fn check(&self) -> Result<(), SpecError> {
        let a = self.kernel_exponent;
        if !(a.is_finite() && a > 0.0 && a < 1.0) {
            return Err(SpecError::new("kernel_exponent", a, "a number in (0, 1)"));
        }
        if let Some(y) = self.y {
            positive_key("y", y)?;
        }
        if let Some(t) = self.time_scale_days {
            positive_key("time_scale_days", t)?;
        }
        match self.delta {
            Some(d) if !(d.is_finite() && d > 0.0 && d <= 1.0) => {
                Err(SpecError::new("delta", d, "a number in (0, 1]"))
            }
            _ => Ok(()),
        }
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let m = Propagator::with_time_scale(
            self.y.unwrap_or(PowerLaw::DEFAULT_Y),
            self.delta.unwrap_or(Propagator::SQRT_DELTA),
            self.kernel_exponent,
            self.time_scale_days
                .unwrap_or(Propagator::DEFAULT_TIME_SCALE_DAYS),
        )?;
        let m = match ctx.decay {
            Some(d) => m.with_decay(d)?,
            None => m,
        };
        Ok(BuiltModel {
            warnings: m.warnings(),
            model: Box::new(m),
            band: {
                let (lo, hi) = literature_y_factors();
                ParamBand::Prefactor(lo, hi)
            },
            param_source: "derived (docs/methods.md §16, c = Y/2); band: the literature range of Y"
                .into(),
        })
    }

    fn example() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    /// Test vector T4 (docs/methods.md §27), square-root propagator: sigma = 2 %, X/V = 0.1.
    #[test]
    fn t4_square_root_propagator() {
        let m = MarketInputs::new_checked(0.02, 1000.0).unwrap();
        // Y = 0.9 (the default): peak 0.569210 %, average cost 0.379473 %.
        let grid =
            ExecutionGrid::new_checked(vec![0.0, 1.0, 1.5, 2.0], vec![100.0, 0.0, 0.0]).unwrap();
        let path = Propagator::square_root().path(&grid, &m);
        assert!((path.peak * 100.0 - 0.569210).abs() < 5e-7, "{}", path.peak);
        assert!(
            (path.avg_cost * 100.0 - 0.379473).abs() < 5e-7,
            "{}",
            path.avg_cost
        );
        // Y = 1.5 (the earlier c = 3/4): peak 0.948683 %, average cost 0.632456 %.
        let p = Propagator::new_checked(1.5, 0.5, 0.5).unwrap();
        // Sale over one bar of 1 day, then bars ending at 1.5 T and 2 T.
        let grid =
            ExecutionGrid::new_checked(vec![0.0, 1.0, 1.5, 2.0], vec![100.0, 0.0, 0.0]).unwrap();
        let path = p.path(&grid, &m);
        assert!((path.peak * 100.0 - 0.948683).abs() < 5e-7, "{}", path.peak);
        assert!(
            (path.avg_cost * 100.0 - 0.632456).abs() < 5e-7,
            "{}",
            path.avg_cost
        );
        assert!((path.impact[1] / path.peak - 0.5176).abs() < 5e-5);
        assert!((path.impact[2] / path.peak - 0.4142).abs() < 5e-5);
        assert!((path.avg_cost / path.peak - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(path.permanent, 0.0);
    }

    #[test]
    fn many_bars_equal_one_bar_at_constant_rate() {
        let m = MarketInputs::new_checked(0.02, 1000.0).unwrap();
        let p = Propagator::new_checked(1.5, 0.5, 0.5).unwrap();
        let grid = ExecutionGrid::uniform(twap(100.0, 24), 48, 2.0).unwrap();
        let path = p.path(&grid, &m);
        assert!((path.impact[23] * 100.0 - 0.948683).abs() < 5e-7);
        assert!((path.avg_cost * 100.0 - 0.632456).abs() < 5e-7);
        assert!((path.impact[47] / path.impact[23] - 0.4142).abs() < 5e-5);
        // Along the way: sqrt(t/T).
        assert!((path.impact[5] / path.impact[23] - 0.25f64.sqrt()).abs() < 1e-12);
        assert!(Propagator::new_checked(0.9, 0.5, 1.0).is_err());
    }

    /// The TWAP peak equals the square-root law's peak for the same Y (docs/methods.md §16).
    #[test]
    fn twap_peak_equals_the_square_root_peak() {
        let m = MarketInputs::new_checked(0.0346, 12_912.0).unwrap();
        let grid = ExecutionGrid::uniform(twap(4451.0, 192), 384, 4.0).unwrap();
        for y in [0.5, 0.9, 1.5] {
            let prop = Propagator::new_checked(y, 0.5, 0.5)
                .unwrap()
                .path(&grid, &m);
            let sqrt = y * 0.0346 * (4451.0f64 / 12_912.0).sqrt();
            assert!(
                (prop.peak / sqrt - 1.0).abs() < 1e-12,
                "{y}: {} vs {sqrt}",
                prop.peak
            );
            assert!((prop.avg_cost / prop.peak - 2.0 / 3.0).abs() < 1e-12);
        }
    }

    /// The same sale in hours instead of days gives the same numbers, for any kernel exponent:
    /// sigma per sqrt(hour), V per hour, times and tau0 in hours.
    #[test]
    fn numbers_do_not_depend_on_the_unit_of_time() {
        let q = twap(4451.0, 48);
        for a in [0.3, 0.5, 0.7] {
            let days = Propagator::with_time_scale(0.9, 0.5, a, 1.0).unwrap().path(
                &ExecutionGrid::uniform(q.clone(), 96, 4.0).unwrap(),
                &MarketInputs::new_checked(0.0346, 12_912.0).unwrap(),
            );
            let hours = Propagator::with_time_scale(0.9, 0.5, a, 24.0)
                .unwrap()
                .path(
                    &ExecutionGrid::uniform(q.clone(), 96, 96.0).unwrap(),
                    &MarketInputs::new_checked(0.0346 / 24f64.sqrt(), 12_912.0 / 24.0).unwrap(),
                );
            let rel = |x: f64, y: f64| ((x - y) / y).abs();
            assert!(rel(hours.peak, days.peak) < 1e-12, "a = {a}");
            assert!(rel(hours.avg_cost, days.avg_cost) < 1e-12, "a = {a}");
            for (h, d) in hours.impact.iter().zip(&days.impact) {
                assert!(rel(*h, *d) < 1e-12, "a = {a}");
            }
        }
    }
}
