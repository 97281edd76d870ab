use super::{sale_end, sqrt_relaxation, Decay, ImpactModel};
use crate::error::{non_negative, positive};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::Serialize;
use std::collections::BTreeMap;

/// Almgren-Chriss (2000) discrete execution model: linear permanent and temporary impact.
///
/// ```text
/// permanent  g(v) = gamma * v            price drops by gamma per unit sold, for good
/// temporary  h(v) = epsilon * sgn(v) + eta * v   paid by the trade only, v = n_k / tau
/// E = gamma X^2 / 2 + epsilon * sum |n_k| + (eta~ / tau) * sum n_k^2,   eta~ = eta - gamma tau / 2
/// V = sigma^2 * tau * sum_{k=1..N} x_k^2
/// ```
///
/// Units are those of the price the parameters are quoted in. In the paper's example (test vector T1, docs/methods.md §27)
/// prices are in $ per share: `sigma` in $/(share sqrt(day)), `epsilon` in $/share, `eta` in
/// $/share per (share/day), `gamma` in $/share per share; `E` is then in $ and `V` in $^2.
/// Used as an [`ImpactModel`] the parameters are fractions of the arrival price: `gamma` per BTC,
/// `epsilon` a fraction, `eta` a fraction per (BTC/day); `sigma` is then the daily volatility and
/// the market inputs are not used.
///
/// As an [`ImpactModel`] on any grid: at the end of a trading bar the impact is `gamma q_k` (permanent,
/// cumulative quantity) plus `epsilon + eta n_k / dt_k` (temporary, that bar's rate); after the sale
/// the permanent part follows the [`Decay`] rule (default: stays). The average cost of the fills is
/// `E / Q` with `E` the sum form above generalised to bars of unequal length,
/// `gamma (Q^2 - sum n_k^2) / 2 + epsilon Q + sum eta n_k^2 / dt_k`.
///
/// The optimal trajectory for a risk aversion `lambda` (units 1/price) is solved by [`AcProblem`].
///
/// # References
/// * Almgren & Chriss 2000, "Optimal execution of portfolio transactions", J. Risk 3(2), 5-39:
///   section 3 (discrete trajectories, equations for E, V, kappa, x_j), the example of section 3.
/// * blocksale docs/methods.md §14; test vector T1 (§27).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AlmgrenChriss {
    /// Volatility of the price, price units per sqrt(day).
    pub sigma: f64,
    /// Fixed temporary cost per unit sold (half-spread plus fees), price units.
    pub epsilon: f64,
    /// Temporary impact coefficient, price units per (unit/day).
    pub eta: f64,
    /// Permanent impact coefficient, price units per unit sold.
    pub gamma: f64,
    #[serde(skip)]
    decay: Decay,
}

impl AlmgrenChriss {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `sigma`, `eta` > 0 and `epsilon`, `gamma` >= 0, all finite.
    pub fn new_checked(
        sigma: f64,
        epsilon: f64,
        eta: f64,
        gamma: f64,
    ) -> Result<Self, ImpactError> {
        Ok(Self {
            sigma: positive("sigma", sigma)?,
            epsilon: non_negative("epsilon", epsilon)?,
            eta: positive("eta", eta)?,
            gamma: non_negative("gamma", gamma)?,
            decay: Decay::Permanent,
        })
    }

    /// The same model with another decay of the permanent part after the sale.
    ///
    /// # Errors
    /// [`ImpactError::Param`] for an invalid plateau fraction.
    pub fn with_decay(mut self, decay: Decay) -> Result<Self, ImpactError> {
        decay.validate()?;
        self.decay = decay;
        Ok(self)
    }

    /// `eta~ = eta - gamma tau / 2`.
    pub fn eta_tilde(&self, tau: f64) -> f64 {
        self.eta - self.gamma * tau / 2.0
    }

    /// Expected cost of a trajectory by the sum form, trades `n_k` on slices of length `tau`.
    pub fn expected_cost_sum(&self, trades: &[f64], tau: f64) -> f64 {
        let x: f64 = trades.iter().sum();
        let abs: f64 = trades.iter().map(|n| n.abs()).sum();
        let sq: f64 = trades.iter().map(|n| n * n).sum();
        self.gamma * x * x / 2.0 + self.epsilon * abs + self.eta_tilde(tau) / tau * sq
    }

    /// Variance of the cost of a trajectory by the sum form: `sigma^2 tau sum_{k>=1} x_k^2` over the
    /// holdings after each slice (`holdings[0]` is the initial block and is not counted).
    pub fn variance_sum(&self, holdings: &[f64], tau: f64) -> f64 {
        self.sigma * self.sigma * tau * holdings.iter().skip(1).map(|x| x * x).sum::<f64>()
    }
}

impl ImpactModel for AlmgrenChriss {
    fn name(&self) -> String {
        "almgren_chriss".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("sigma".into(), self.sigma),
            ("epsilon".into(), self.epsilon),
            ("eta".into(), self.eta),
            ("gamma".into(), self.gamma),
        ])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn uses_market_inputs(&self) -> bool {
        false
    }

    fn path(&self, grid: &ExecutionGrid, _m: &MarketInputs) -> ImpactPath {
        let Some((last, t_end)) = sale_end(grid) else {
            return ImpactPath::new(vec![0.0; grid.len()], 0.0, 0.0);
        };
        let total = grid.total_btc();
        let level = self.gamma * total;
        let dt = grid.dt_days();
        let t = grid.t_days();
        let (mut cum, mut sq, mut temp) = (0.0, 0.0, 0.0);
        let impact = grid
            .qty_btc()
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                cum += n;
                if k > last {
                    return self
                        .decay
                        .apply(level, level * sqrt_relaxation(t[k + 1] / t_end));
                }
                sq += n * n;
                let h = if n > 0.0 {
                    self.epsilon + self.eta * n / dt[k]
                } else {
                    0.0
                };
                temp += n * h;
                self.gamma * cum + h
            })
            .collect();
        let cost = self.gamma * (total * total - sq) / 2.0 + temp;
        ImpactPath::new(impact, cost / total, self.decay.long_run(level))
    }
}

/// An Almgren-Chriss liquidation problem: sell `total` over `horizon` days in `steps` equal slices
/// with risk aversion `risk_aversion` (lambda, 1/price units; 0 gives TWAP).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AcProblem {
    /// Cost model.
    pub model: AlmgrenChriss,
    /// Block to sell `X` (units: shares, BTC).
    pub total: f64,
    /// Horizon `T`, days.
    pub horizon_days: f64,
    /// Number of slices `N`.
    pub steps: usize,
    /// Risk aversion `lambda`, 1/price units.
    pub risk_aversion: f64,
}

/// The optimal trajectory and its cost moments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcSolution {
    /// `kappa`, 1/day (0 for TWAP).
    pub kappa: f64,
    /// `1/kappa`, days: the time scale on which the trajectory decays (infinite for TWAP).
    pub half_life_days: f64,
    /// Holdings `x_0 = X, ..., x_N = 0` (N+1 values).
    pub holdings: Vec<f64>,
    /// Trades `n_k = x_{k-1} - x_k` (N values).
    pub trades: Vec<f64>,
    /// Expected cost `E*`, closed form (sum form when `kappa T < 1e-6` or `kappa T > 300`, where
    /// the hyperbolic functions lose precision or overflow).
    pub expected_cost: f64,
    /// Variance `V*`, closed form (sum form when `kappa T < 1e-6` or `kappa T > 300`).
    pub variance: f64,
    /// Expected cost by the sum form on the trajectory.
    pub expected_cost_sum: f64,
    /// Variance by the sum form on the trajectory.
    pub variance_sum: f64,
}

/// One point of the efficient frontier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Risk aversion lambda.
    pub risk_aversion: f64,
    /// Expected cost E*.
    pub expected_cost: f64,
    /// Variance V*.
    pub variance: f64,
}

impl AcProblem {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `total >= 0`, `horizon_days > 0`, `steps >= 1`,
    /// `risk_aversion >= 0` and `eta~ = eta - gamma tau/2 > 0`.
    pub fn new_checked(
        model: AlmgrenChriss,
        total: f64,
        horizon_days: f64,
        steps: usize,
        risk_aversion: f64,
    ) -> Result<Self, ImpactError> {
        non_negative("size", total)?;
        positive("horizon (days)", horizon_days)?;
        non_negative("risk aversion", risk_aversion)?;
        if steps == 0 {
            return Err(ImpactError::Param {
                name: "steps",
                value: 0.0,
                expected: "an integer >= 1",
            });
        }
        let tau = horizon_days / steps as f64;
        if model.eta_tilde(tau) <= 0.0 {
            return Err(ImpactError::Param {
                name: "eta",
                value: model.eta,
                expected: "eta > gamma * tau / 2 (eta~ > 0), else selling faster is free",
            });
        }
        Ok(Self {
            model,
            total,
            horizon_days,
            steps,
            risk_aversion,
        })
    }

    /// Slice length `tau = T / N`, days.
    pub fn tau(&self) -> f64 {
        self.horizon_days / self.steps as f64
    }

    /// `kappa = arccosh(kappa~^2 tau^2 / 2 + 1) / tau` with `kappa~^2 = lambda sigma^2 / eta~`.
    pub fn kappa(&self) -> f64 {
        let tau = self.tau();
        let m = &self.model;
        let kt2 = self.risk_aversion * m.sigma * m.sigma / m.eta_tilde(tau);
        (kt2 * tau * tau / 2.0 + 1.0).acosh() / tau
    }

    /// Optimal holdings `x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)` (linear for `kappa -> 0`).
    pub fn holdings(&self) -> Vec<f64> {
        let (k, t, n, x) = (self.kappa(), self.horizon_days, self.steps, self.total);
        let tau = self.tau();
        let mut h: Vec<f64> = (0..=n)
            .map(|j| {
                let tj = j as f64 * tau;
                if k * t < 1e-6 {
                    x * (1.0 - j as f64 / n as f64)
                } else {
                    // sinh(a)/sinh(b) = e^(a-b) (1 - e^(-2a)) / (1 - e^(-2b)): no overflow for large kappa T.
                    let (a, b) = (k * (t - tj), k * t);
                    x * (a - b).exp() * (-(-2.0 * a).exp_m1()) / (-(-2.0 * b).exp_m1())
                }
            })
            .collect();
        h[0] = x;
        h[n] = 0.0;
        h
    }

    /// Solve: trajectory, closed-form and sum-form cost moments.
    pub fn solve(&self) -> AcSolution {
        let m = &self.model;
        let (tau, t, x) = (self.tau(), self.horizon_days, self.total);
        let kappa = self.kappa();
        let holdings = self.holdings();
        let trades: Vec<f64> = holdings.windows(2).map(|w| w[0] - w[1]).collect();
        let e_sum = m.expected_cost_sum(&trades, tau);
        let v_sum = m.variance_sum(&holdings, tau);
        let (e, v) = if !(1e-6..=300.0).contains(&(kappa * t)) {
            (e_sum, v_sum)
        } else {
            let (sh, ch) = (f64::sinh, f64::cosh);
            let skt = sh(kappa * t);
            let e = m.gamma * x * x / 2.0
                + m.epsilon * x
                + m.eta_tilde(tau)
                    * x
                    * x
                    * (kappa * tau / 2.0).tanh()
                    * (tau * sh(2.0 * kappa * t) + 2.0 * t * sh(kappa * tau))
                    / (2.0 * tau * tau * skt * skt);
            let v = m.sigma * m.sigma * x * x / 2.0
                * (tau * skt * ch(kappa * (t - tau)) - t * sh(kappa * tau))
                / (skt * skt * sh(kappa * tau));
            (e, v)
        };
        AcSolution {
            kappa,
            half_life_days: if kappa > 0.0 {
                1.0 / kappa
            } else {
                f64::INFINITY
            },
            holdings,
            trades,
            expected_cost: e,
            variance: v,
            expected_cost_sum: e_sum,
            variance_sum: v_sum,
        }
    }

    /// Cost moments of TWAP (`lambda = 0`): `E = gamma X^2/2 + epsilon X + eta~ X^2 / T`, by the sum form.
    pub fn twap(&self) -> FrontierPoint {
        let p = Self {
            risk_aversion: 0.0,
            ..*self
        };
        let s = p.solve();
        FrontierPoint {
            risk_aversion: 0.0,
            expected_cost: s.expected_cost_sum,
            variance: s.variance_sum,
        }
    }

    /// Cost moments of selling everything in the first slice: `E = epsilon X + eta X^2 / tau`, `V = 0`.
    pub fn all_at_once(&self) -> FrontierPoint {
        let tau = self.tau();
        let mut trades = vec![0.0; self.steps];
        trades[0] = self.total;
        let mut holdings = vec![0.0; self.steps + 1];
        holdings[0] = self.total;
        FrontierPoint {
            risk_aversion: f64::INFINITY,
            expected_cost: self.model.expected_cost_sum(&trades, tau),
            variance: self.model.variance_sum(&holdings, tau),
        }
    }

    /// The efficient frontier: `(lambda, E*, V*)` for each risk aversion given.
    pub fn frontier(&self, risk_aversions: &[f64]) -> Vec<FrontierPoint> {
        risk_aversions
            .iter()
            .map(|&l| {
                let s = Self {
                    risk_aversion: l.max(0.0),
                    ..*self
                }
                .solve();
                FrontierPoint {
                    risk_aversion: l,
                    expected_cost: s.expected_cost,
                    variance: s.variance,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t1(sigma: f64, lambda: f64) -> AcProblem {
        let m = AlmgrenChriss::new_checked(sigma, 0.0625, 2.5e-6, 2.5e-7).unwrap();
        AcProblem::new_checked(m, 1e6, 5.0, 5, lambda).unwrap()
    }

    fn digits(x: f64, expected: f64, decimals: i32) -> bool {
        (x - expected).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-9 * expected.abs()
    }

    /// Test vector T1 (docs/methods.md §27). The published figures are those of sigma = sqrt(0.9) = 0.9486833; the stated
    /// 0.948683 is that value rounded to six digits and moves the seventh significant digit.
    #[test]
    fn t1_almgren_chriss_example() {
        let s = t1(0.9f64.sqrt(), 1e-6).solve();
        assert!(digits(s.kappa, 0.606260, 6), "kappa {}", s.kappa);
        assert!(
            digits(s.half_life_days, 1.64946, 5),
            "half-life {}",
            s.half_life_days
        );
        let expected = [1e6, 542380.7, 290295.1, 148216.1, 62303.2, 0.0];
        for (h, e) in s.holdings.iter().zip(expected) {
            assert!(digits(*h, e, 1), "holding {h} vs {e}");
        }
        assert!(
            digits(s.expected_cost, 910477.8, 1),
            "E* {}",
            s.expected_cost
        );
        assert!(
            (s.variance / 3.63868e11 - 1.0).abs() < 5e-6 / 3.63868,
            "V* {}",
            s.variance
        );
        // Closed and sum forms agree.
        assert!((s.expected_cost - s.expected_cost_sum).abs() < 1e-6);
        assert!((s.variance / s.variance_sum - 1.0).abs() < 1e-12);
        assert_eq!(s.trades.len(), 5);
        assert!((s.trades.iter().sum::<f64>() - 1e6).abs() < 1e-6);
    }

    #[test]
    fn t1_with_rounded_sigma_agrees_to_six_digits() {
        let s = t1(0.948683, 1e-6).solve();
        assert!((s.kappa / 0.606260 - 1.0).abs() < 2e-6);
        assert!((s.expected_cost / 910477.8 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn t1_twap_and_all_at_once() {
        let p = t1(0.9f64.sqrt(), 1e-6);
        let tw = p.twap();
        assert!(
            (tw.expected_cost - 662_500.0).abs() < 1e-6,
            "{}",
            tw.expected_cost
        );
        assert!(
            (tw.variance / 1.08e12 - 1.0).abs() < 1e-12,
            "{}",
            tw.variance
        );
        let all = p.all_at_once();
        assert!((all.expected_cost - 2_562_500.0).abs() < 1e-6);
        assert_eq!(all.variance, 0.0);
        // lambda = 0 solves to TWAP.
        let s0 = t1(0.9f64.sqrt(), 0.0).solve();
        assert_eq!(s0.kappa, 0.0);
        assert!((s0.holdings[1] - 8e5).abs() < 1e-6);
    }

    #[test]
    fn huge_risk_aversion_sells_at_once_without_overflow() {
        let s = t1(0.9f64.sqrt(), 1e130).solve();
        assert!(s.kappa * 5.0 > 300.0);
        assert!(s.holdings.iter().all(|h| h.is_finite()));
        assert!(s.holdings[1] < 1e-6 * 1e6, "{:?}", s.holdings);
        assert!(
            (s.expected_cost - t1(0.9f64.sqrt(), 1e130).all_at_once().expected_cost).abs() < 1.0
        );
        assert!((t1(0.9f64.sqrt(), 1e6).solve().kappa * 5.0 - 133.0).abs() < 2.0);
    }

    #[test]
    fn frontier_trades_cost_for_variance() {
        let p = t1(0.9f64.sqrt(), 1e-6);
        let f = p.frontier(&[1e-8, 1e-7, 1e-6, 1e-5]);
        for w in f.windows(2) {
            assert!(w[1].expected_cost > w[0].expected_cost);
            assert!(w[1].variance < w[0].variance);
        }
        // Every point lies between TWAP and all-at-once.
        let (tw, all) = (p.twap(), p.all_at_once());
        assert!(f
            .iter()
            .all(|x| x.expected_cost >= tw.expected_cost - 1e-6
                && x.expected_cost <= all.expected_cost));
    }

    #[test]
    fn impact_model_cost_equals_sum_form_on_equal_bars() {
        let p = t1(0.9f64.sqrt(), 1e-6);
        let s = p.solve();
        let grid =
            ExecutionGrid::new_checked((0..=5).map(|k| k as f64).collect(), s.trades.clone())
                .unwrap();
        let m = MarketInputs::new_checked(0.03, 1.0).unwrap();
        let path = p.model.path(&grid, &m);
        assert!((path.avg_cost * 1e6 - s.expected_cost_sum).abs() < 1e-4);
        assert!(AcProblem::new_checked(
            AlmgrenChriss::new_checked(1.0, 0.0, 1e-7, 1e-6).unwrap(),
            1.0,
            1.0,
            1,
            0.0
        )
        .is_err());
    }
}
