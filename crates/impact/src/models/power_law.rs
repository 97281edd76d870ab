use super::{cumulative_path, Decay, ImpactModel};
use crate::error::positive;
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use std::collections::BTreeMap;

/// Power-law (square-root when `delta = 1/2`) impact of a metaorder.
///
/// ```text
/// I(q) = Y * sigma_daily * (q / V)^delta
/// ```
///
/// * `q`: cumulative quantity sold so far, BTC; the path follows the schedule.
/// * `V`: average daily volume, BTC/day ([`MarketInputs::adv_btc`]).
/// * `sigma_daily`: daily volatility of log returns (fraction).
/// * `Y`: dimensionless prefactor, default 0.9; `delta`: exponent, default 0.5.
///
/// The average cost of the fills is `I(Q) / (1 + delta)` (2/3 of the peak for the square root),
/// integrated exactly over the cumulative quantity. After the sale the impact follows the
/// [`Decay`] rule (default: stays at `I(Q)`).
///
/// # References
/// * Donier & Bonart 2015, "A million metaorder analysis of market impact on the Bitcoin",
///   arXiv:1412.4503: square-root law on BTC/USD; `Y` about 0.9 (sd 0.35) [secondary source].
/// * Toth et al. 2011, Phys. Rev. X 1, 021006 (arXiv:1105.1694): `delta = 1/2` within errors.
/// * Sato & Kanazawa 2025, arXiv:2411.13965.
/// * blocksale SCIENCE.md section 1; test vector T4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    y: f64,
    delta: f64,
    decay: Decay,
}

impl PowerLaw {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `y > 0` and `0 < delta <= 1`.
    pub fn new_checked(y: f64, delta: f64) -> Result<Self, ImpactError> {
        positive("y", y)?;
        if !(delta.is_finite() && delta > 0.0 && delta <= 1.0) {
            return Err(ImpactError::Param {
                name: "delta",
                value: delta,
                expected: "a number in (0, 1]",
            });
        }
        Ok(Self {
            y,
            delta,
            decay: Decay::Permanent,
        })
    }

    /// The BTC default: `Y = 0.9`, `delta = 0.5`.
    pub fn square_root() -> Self {
        Self {
            y: 0.9,
            delta: 0.5,
            decay: Decay::Permanent,
        }
    }

    /// The same model with another decay after the sale (default [`Decay::Permanent`]).
    ///
    /// # Errors
    /// [`ImpactError::Param`] for an invalid plateau fraction.
    pub fn with_decay(mut self, decay: Decay) -> Result<Self, ImpactError> {
        decay.validate()?;
        self.decay = decay;
        Ok(self)
    }

    /// Decay after the sale.
    pub fn decay(&self) -> Decay {
        self.decay
    }

    /// Prefactor `Y`.
    pub fn y(&self) -> f64 {
        self.y
    }
    /// Exponent `delta`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Impact of having sold `q_btc` in total: `Y sigma (q/V)^delta`.
    pub fn impact(&self, q_btc: f64, m: &MarketInputs) -> f64 {
        let x = q_btc / m.adv_btc;
        let p = if self.delta == 0.5 {
            x.sqrt()
        } else {
            x.powf(self.delta)
        };
        self.y * m.sigma_daily * p
    }
}

impl ImpactModel for PowerLaw {
    fn name(&self) -> String {
        if self.delta == 0.5 {
            "sqrt".into()
        } else {
            "power".into()
        }
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([("y".into(), self.y), ("delta".into(), self.delta)])
    }

    fn path(&self, grid: &ExecutionGrid, m: &MarketInputs) -> ImpactPath {
        let d = self.delta;
        cumulative_path(
            grid,
            self.decay,
            |q| self.impact(q, m),
            |q| self.impact(q, m) * q / (1.0 + d),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    fn m(sigma: f64, v: f64) -> MarketInputs {
        MarketInputs::new_checked(sigma, v).unwrap()
    }

    /// SCIENCE.md T4.
    #[test]
    fn t4_vectors() {
        let one = PowerLaw::new_checked(1.0, 0.5).unwrap();
        assert!((one.impact(0.25, &m(0.02, 1.0)) - 0.01).abs() < 1e-15);
        assert!((one.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 1.1556).abs() < 5e-5);
        let sq = PowerLaw::square_root();
        assert!((sq.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 1.0400).abs() < 5e-5);
        // The delta = 0.6 vector is with Y = 1 (0.9 gives 0.859341 %).
        let p6 = PowerLaw::new_checked(1.0, 0.6).unwrap();
        assert!((p6.impact(4451.0, &m(0.03, 30_000.0)) * 100.0 - 0.954823).abs() < 5e-7);
    }

    #[test]
    fn path_follows_cumulative_quantity_and_cost_is_exact() {
        let grid = ExecutionGrid::uniform(twap(100.0, 4), 8, 2.0).unwrap();
        let sq = PowerLaw::square_root();
        let mk = m(0.02, 400.0);
        let p = sq.path(&grid, &mk);
        assert_eq!(p.impact.len(), 8);
        assert!((p.impact[1] - sq.impact(50.0, &mk)).abs() < 1e-15);
        assert!((p.peak - sq.impact(100.0, &mk)).abs() < 1e-15);
        assert_eq!(p.permanent, p.peak);
        assert!((p.avg_cost - p.peak * 2.0 / 3.0).abs() < 1e-15);
        // Brute-force integral of the fills agrees with the closed form.
        let n = 100_000;
        let brute: f64 = (0..n)
            .map(|i| sq.impact((i as f64 + 0.5) * 100.0 / n as f64, &mk))
            .sum::<f64>()
            / n as f64;
        assert!((brute - p.avg_cost).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_params() {
        assert!(PowerLaw::new_checked(0.0, 0.5).is_err());
        assert!(PowerLaw::new_checked(0.9, 1.5).is_err());
        assert!(PowerLaw::new_checked(f64::NAN, 0.5).is_err());
    }
}
