use super::registry::{literature_y_factors, positive_key};
use super::{sale_end, BuildContext, BuiltModel, Decay, ImpactModel, ModelEntry};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Transient power-law impact with a power-law kernel (the square-root propagator by default).
///
/// ```text
/// I(t) = integral_0^t h(v(s)) G(t - s) ds,   h(v) = c * sigma * (v / V)^delta,   G(u) = u^(-a)
/// square-root propagator (c = 3/4, delta = 1/2, a = 1/2), constant rate X/T:
///   I(t) = 1.5 sigma sqrt(X/V) sqrt(t/T)                       t <= T
///   I(t) = 1.5 sigma sqrt(X/V) (sqrt(t/T) - sqrt(t/T - 1))     t > T   (decays to 0)
///   peak 1.5 sigma sqrt(X/V), average cost sigma sqrt(X/V), cost/peak = 2/3
/// ```
///
/// * `v`: selling rate, BTC/day, piecewise constant on the bar grid; `V`: average daily volume, BTC/day.
/// * `sigma`: daily volatility; `u` and `t` in days, so `G` is in day^(-a) and `c` absorbs day^(a-1).
/// * `c` (default 3/4), `delta` (default 1/2), kernel exponent `a` in (0, 1) (default 1/2).
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
/// * blocksale SCIENCE.md 3.3 (square-root propagator, derived \[C\]); test vector T4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Propagator {
    c: f64,
    delta: f64,
    kernel_exponent: f64,
    decay: Decay,
}

impl Propagator {
    /// The square-root propagator's prefactor `c` of `h(v)`.
    pub const SQRT_C: f64 = 0.75;
    /// The square-root propagator's impact exponent `delta`.
    pub const SQRT_DELTA: f64 = 0.5;
    /// The square-root propagator's kernel exponent `a`.
    pub const SQRT_KERNEL_EXPONENT: f64 = 0.5;

    /// The square-root propagator: `c = 3/4`, `delta = 1/2`, `a = 1/2`.
    pub fn square_root() -> Self {
        Self {
            c: Self::SQRT_C,
            delta: Self::SQRT_DELTA,
            kernel_exponent: Self::SQRT_KERNEL_EXPONENT,
            decay: Decay::Full,
        }
    }

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `c > 0`, `0 < delta <= 1` and `0 < a < 1`.
    pub fn new_checked(c: f64, delta: f64, kernel_exponent: f64) -> Result<Self, ImpactError> {
        positive("c", c)?;
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
            c,
            delta,
            kernel_exponent,
            decay: Decay::Full,
        })
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
        self.c * m.sigma_daily * (rate / m.adv_btc).powf(self.delta)
    }
}

impl ImpactModel for Propagator {
    fn name(&self) -> String {
        if self.c == Self::SQRT_C
            && self.delta == Self::SQRT_DELTA
            && self.kernel_exponent == Self::SQRT_KERNEL_EXPONENT
        {
            "sqrt_propagator".into()
        } else {
            "propagator".into()
        }
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("c".into(), self.c),
            ("delta".into(), self.delta),
            ("kernel_exponent".into(), self.kernel_exponent),
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
        let at = |time: f64| -> f64 {
            trading
                .iter()
                .map(|&(k, amp)| amp * (pos(time - t[k], p1) - pos(time - t[k + 1], p1)))
                .sum()
        };
        // integral over [lo, hi] of I(s) ds.
        let integral = |lo: f64, hi: f64| -> f64 {
            let prim = |s: f64| -> f64 {
                trading
                    .iter()
                    .map(|&(k, amp)| amp / p2 * (pos(s - t[k], p2) - pos(s - t[k + 1], p2)))
                    .sum()
            };
            prim(hi) - prim(lo)
        };
        let level = at(t[last + 1]);
        let mut cost = 0.0;
        for &(k, _) in &trading {
            cost += q[k] / dt[k] * integral(t[k], t[k + 1]);
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
}

/// A scenario's `[[models]]` entry `model = "sqrt_propagator"`: [`Propagator`], the square-root
/// propagator unless a parameter says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqrtPropagatorSpec {
    /// Kernel exponent `a` in (0, 1), default [`Propagator::SQRT_KERNEL_EXPONENT`].
    pub kernel_exponent: f64,
    /// Prefactor `c` of `h(v)` (> 0), default [`Propagator::SQRT_C`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
    /// Impact exponent `delta` in (0, 1], default [`Propagator::SQRT_DELTA`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

impl Default for SqrtPropagatorSpec {
    fn default() -> Self {
        Self {
            kernel_exponent: Propagator::SQRT_KERNEL_EXPONENT,
            c: None,
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
        if let Some(c) = self.c {
            positive_key("c", c)?;
        }
        match self.delta {
            Some(d) if !(d.is_finite() && d > 0.0 && d <= 1.0) => {
                Err(SpecError::new("delta", d, "a number in (0, 1]"))
            }
            _ => Ok(()),
        }
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let m = Propagator::new_checked(
            self.c.unwrap_or(Propagator::SQRT_C),
            self.delta.unwrap_or(Propagator::SQRT_DELTA),
            self.kernel_exponent,
        )?;
        let m = match ctx.decay {
            Some(d) => m.with_decay(d)?,
            None => m,
        };
        Ok(BuiltModel {
            warnings: m.warnings(),
            model: Box::new(m),
            alternatives: Vec::new(),
            prefactor_range: Some(literature_y_factors()),
            param_source: "derived (SCIENCE.md 3.3); band: the literature range of Y".into(),
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

    /// SCIENCE.md T4, square-root propagator: sigma = 2 %, X/V = 0.1.
    #[test]
    fn t4_square_root_propagator() {
        let m = MarketInputs::new_checked(0.02, 1000.0).unwrap();
        let p = Propagator::square_root();
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
        let p = Propagator::square_root();
        let grid = ExecutionGrid::uniform(twap(100.0, 24), 48, 2.0).unwrap();
        let path = p.path(&grid, &m);
        assert!((path.impact[23] * 100.0 - 0.948683).abs() < 5e-7);
        assert!((path.avg_cost * 100.0 - 0.632456).abs() < 5e-7);
        assert!((path.impact[47] / path.impact[23] - 0.4142).abs() < 5e-5);
        // Along the way: sqrt(t/T).
        assert!((path.impact[5] / path.impact[23] - 0.25f64.sqrt()).abs() < 1e-12);
        assert!(Propagator::new_checked(0.75, 0.5, 1.0).is_err());
    }
}
