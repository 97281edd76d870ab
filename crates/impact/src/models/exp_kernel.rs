use super::registry::{given_or_calibrated, per_btc_built, per_btc_coefficient, positive_key};
use super::{
    sale_end, BuildContext, BuiltModel, ConstantRate, Decay, ImpactModel, ModelEntry, ParamSource,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Transient linear impact with an exponential kernel (Obizhaeva-Wang resilience).
///
/// ```text
/// I(t) = integral_0^t eta * v(s) * exp(-rho (t - s)) ds
/// constant rate v = X/T:  I(t) = eta v (1 - e^{-rho t}) / rho      (t <= T)
///                         I(t) = I(T) e^{-rho (t - T)}             (t > T)
/// ```
///
/// * `v(s)`: selling rate, BTC/day (piecewise constant on the bar grid, integrated exactly).
/// * `eta`: impact per BTC sold, fraction per BTC (`1/q` in Obizhaeva-Wang's order-book depth `q`).
/// * `rho`: resilience, 1/day; the impact of a fill halves in `ln 2 / rho` days (default half-life
///   [`ExpKernel::DEFAULT_HALF_LIFE_DAYS`] = 1 day).
///
/// The market inputs are not used. Within bar `k` of length `dt` and rate `v_k` the path obeys
/// `I_{k+1} = I_k e^{-rho dt} + eta v_k (1 - e^{-rho dt}) / rho`, and the cost of the fills is the
/// exact integral of `I(s) v(s)`. After the sale [`Decay::Full`] (the default) is the kernel's own
/// decay; [`Decay::Plateau`] mixes it with a constant `fraction * I(T)`; [`Decay::Permanent`] holds `I(T)`.
///
/// Gatheral (2010): an exponential kernel is consistent (no price manipulation) only with linear
/// impact, which is what this model is; pair the square root with [`super::Propagator`].
///
/// # References
/// * Obizhaeva & Wang 2013, "Optimal trading strategy and supply/demand dynamics", J. Financial
///   Markets 16(1), 1-32.
/// * Gatheral 2010, "No-dynamic-arbitrage and market impact", Quantitative Finance 10(7), 749-759.
/// * blocksale docs/methods.md §15; test vector T5 (§27).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpKernel {
    eta_per_btc: f64,
    rho_per_day: f64,
    decay: Decay,
}

impl ExpKernel {
    /// Default half-life of the kernel, days.
    pub const DEFAULT_HALF_LIFE_DAYS: f64 = 1.0;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless both are finite and > 0.
    pub fn new_checked(eta_per_btc: f64, rho_per_day: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            eta_per_btc: positive("eta (per BTC)", eta_per_btc)?,
            rho_per_day: positive("rho (1/day)", rho_per_day)?,
            decay: Decay::Full,
        })
    }

    /// From a half-life in days: `rho = ln 2 / half_life`.
    ///
    /// # Errors
    /// As [`ExpKernel::new_checked`].
    pub fn from_half_life(eta_per_btc: f64, half_life_days: f64) -> Result<Self, ImpactError> {
        positive("half-life (days)", half_life_days)?;
        Self::new_checked(eta_per_btc, std::f64::consts::LN_2 / half_life_days)
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

    /// Resilience `rho`, 1/day.
    pub fn rho_per_day(&self) -> f64 {
        self.rho_per_day
    }

    /// Half-life of the kernel `ln 2 / rho`, days.
    pub fn half_life_days(&self) -> f64 {
        std::f64::consts::LN_2 / self.rho_per_day
    }

    /// Impact at time `t` (days) of selling `x_btc` at a constant rate over `horizon_days`.
    pub fn constant_rate(&self, x_btc: f64, horizon_days: f64, t_days: f64) -> f64 {
        let (eta, rho) = (self.eta_per_btc, self.rho_per_day);
        let v = x_btc / horizon_days;
        let at = |t: f64| eta * v * (-(-rho * t).exp_m1()) / rho;
        if t_days <= horizon_days {
            at(t_days.max(0.0))
        } else {
            at(horizon_days) * (-rho * (t_days - horizon_days)).exp()
        }
    }
}

impl ImpactModel for ExpKernel {
    /// The premise bound: Obizhaeva-Wang is theory (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::PER_BTC_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        "exp_decay".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("eta_per_btc".into(), self.eta_per_btc),
            ("rho_per_day".into(), self.rho_per_day),
            ("half_life_days".into(), self.half_life_days()),
        ])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn uses_market_inputs(&self) -> bool {
        false
    }

    fn path(&self, grid: &ExecutionGrid, _m: &MarketInputs) -> ImpactPath {
        let Some((last, _)) = sale_end(grid) else {
            return ImpactPath::new(vec![0.0; grid.len()], 0.0, 0.0);
        };
        let (eta, rho) = (self.eta_per_btc, self.rho_per_day);
        let dt = grid.dt_days();
        let mut i = 0.0f64;
        let mut cost = 0.0;
        let mut level = 0.0;
        let mut impact = Vec::with_capacity(grid.len());
        for (k, &n) in grid.qty_btc().iter().enumerate() {
            let v = n / dt[k];
            // 1 - e^{-rho dt}, accurate for small rho dt.
            let g = -(-rho * dt[k]).exp_m1();
            // integral over the bar of I(s) ds = I_k g / rho + eta v / rho (dt - g / rho)
            cost += v * (i * g / rho + eta * v / rho * (dt[k] - g / rho));
            i = i * (1.0 - g) + eta * v * g / rho;
            if k == last {
                level = i;
            }
            impact.push(if k > last {
                self.decay.apply(level, i)
            } else {
                i
            });
        }
        let total = grid.total_btc();
        ImpactPath::new(impact, cost / total, self.decay.long_run(level))
    }

    /// At the rate `v = Q/T` the recursion above sums to `I(t) = (eta v / rho) (1 - e^(-rho t))`:
    /// peak `I(T)`, average cost `(eta v / rho) (1 - (1 - e^(-rho T)) / (rho T))`.
    fn constant_rate(&self, size_btc: f64, days: f64, _m: &MarketInputs) -> Option<ConstantRate> {
        if !(size_btc > 0.0 && days > 0.0) {
            return Some(ConstantRate::ZERO);
        }
        let (eta, rho) = (self.eta_per_btc, self.rho_per_day);
        let x = rho * days;
        let steady = eta * (size_btc / days) / rho;
        let level = steady * -(-x).exp_m1();
        // 1 - (1 - e^-x) / x = (x - 1 + e^-x) / x, by its series where it cancels.
        let share = if x < 1e-3 {
            x / 2.0 - x * x / 6.0 + x * x * x / 24.0 - x * x * x * x / 120.0
        } else {
            ((-x).exp_m1() + x) / x
        };
        Some(ConstantRate {
            avg_cost: steady * share,
            peak: level,
            permanent: self.decay.long_run(level),
        })
    }
}

/// A scenario's `[[models]]` entry `model = "exp_decay"`: [`ExpKernel`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExpDecaySpec {
    /// Instantaneous impact per BTC (fraction per BTC, > 0); required unless
    /// `params = "calibrated"` (then Kyle's lambda).
    pub eta_per_btc: Option<f64>,
    /// Resilience half-life, days (> 0), default [`ExpKernel::DEFAULT_HALF_LIFE_DAYS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<f64>,
    /// Resilience `rho`, 1/day (> 0), instead of `half_life_days`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rho_per_day: Option<f64>,
    /// Where eta comes from.
    pub params: ParamSource,
}

impl ExpDecaySpec {
    /// The kernel of eta `eta_per_btc` and this spec's resilience.
    fn kernel(&self, eta_per_btc: f64) -> Result<ExpKernel, ImpactError> {
        match self.rho_per_day {
            Some(rho) => ExpKernel::new_checked(eta_per_btc, rho),
            None => ExpKernel::from_half_life(
                eta_per_btc,
                self.half_life_days
                    .unwrap_or(ExpKernel::DEFAULT_HALF_LIFE_DAYS),
            ),
        }
    }
}

impl ModelEntry for ExpDecaySpec {
    fn check(&self) -> Result<(), SpecError> {
        if let Some(h) = self.half_life_days {
            positive_key("half_life_days", h)?;
        }
        if let Some(rho) = self.rho_per_day {
            positive_key("rho_per_day", rho)?;
            if self.half_life_days.is_some() {
                return Err(SpecError::new(
                    "rho_per_day",
                    rho,
                    "either rho_per_day or half_life_days, not both",
                ));
            }
        }
        given_or_calibrated("eta_per_btc", self.eta_per_btc, self.params)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let (eta, range, src) = per_btc_coefficient(
            "eta_per_btc",
            self.params,
            self.eta_per_btc,
            ctx.calibration,
            "calibrated: eta = Kyle lambda, its 95 % interval; half-life given",
        )?;
        // The kernel's own decay unless asked for a plateau or permanence.
        let m = match ctx.decay {
            Some(d) => self.kernel(eta)?.with_decay(d)?,
            None => self.kernel(eta)?,
        };
        Ok(per_btc_built(Box::new(m), self.params, range, src))
    }

    fn needs_calibration(&self) -> bool {
        self.params == ParamSource::Calibrated
    }

    fn example() -> Self {
        Self {
            eta_per_btc: Some(2e-6),
            rho_per_day: Some(3.0),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector T5 (docs/methods.md §27): eta = 1, rho = 2, X = T = 1.
    #[test]
    fn t5_constant_rate() {
        let k = ExpKernel::new_checked(1.0, 2.0).unwrap();
        assert!((k.constant_rate(1.0, 1.0, 1.0) - 0.432332).abs() < 5e-7);
        assert!((k.constant_rate(1.0, 1.0, 2.0) - 0.058510).abs() < 5e-7);
        // The same on a grid: 10 bars of selling, 10 after.
        let grid = ExecutionGrid::uniform(crate::schedules::twap(1.0, 10), 20, 2.0).unwrap();
        let m = MarketInputs::new_checked(0.02, 1.0).unwrap();
        let p = k.path(&grid, &m);
        assert!((p.impact[9] - 0.432332).abs() < 5e-7);
        assert!((p.impact[19] - 0.058510).abs() < 5e-7);
        assert_eq!(p.permanent, 0.0);
        // Cost: integral_0^1 (1 - e^{-2t})/2 dt = (1 - (1 - e^{-2})/2)/2 = 0.28383382..
        assert!((p.avg_cost - (1.0 - (1.0 - (-2f64).exp()) / 2.0) / 2.0).abs() < 1e-12);
        assert!((k.half_life_days() - std::f64::consts::LN_2 / 2.0).abs() < 1e-15);
    }

    #[test]
    fn plateau_and_permanent() {
        let k = ExpKernel::new_checked(1.0, 2.0).unwrap();
        let grid = ExecutionGrid::uniform(crate::schedules::twap(1.0, 10), 20, 2.0).unwrap();
        let m = MarketInputs::new_checked(0.02, 1.0).unwrap();
        let p = k.with_decay(Decay::two_thirds()).unwrap().path(&grid, &m);
        let want = 2.0 / 3.0 * 0.432332 + 0.058510 / 3.0;
        assert!((p.impact[19] - want).abs() < 1e-6);
        let h = k.with_decay(Decay::Permanent).unwrap().path(&grid, &m);
        assert_eq!(h.impact[19], h.impact[9]);
    }
}
