use super::registry::positive_key;
use super::{
    sale_end, sqrt_relaxation, BuildContext, BuiltModel, ConstantRate, Decay, ImpactModel,
    ModelEntry,
};
use crate::error::{positive, SpecError};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The caveat every ATHL output carries.
pub const ATHL_EXTRAPOLATION_WARNING: &str = "ATHL constants (gamma = 0.314, eta = 0.142, exponents 1/4 and 3/5) \
were fitted on US equities in 2001-2003 (Almgren, Thum, Hauptmann & Li 2005); using them for BTC is an \
extrapolation, not a calibration";

/// Almgren, Thum, Hauptmann & Li (2005) equity impact model: permanent, temporary and realised cost.
///
/// ```text
/// permanent  I = gamma * sigma * (X / V) * (Theta / V)^(1/4)
/// temporary  K = eta * sigma * |X / (V T)|^(3/5)
/// realised   J = I / 2 + K
/// ```
///
/// * `X`: size sold, BTC; `V`: average daily volume, BTC/day; `T`: duration of the sale, days.
/// * `sigma`: daily volatility of log returns (fraction).
/// * `Theta`: shares outstanding; for BTC the circulating supply in BTC (`outstanding_btc`).
/// * `gamma` (default [`Athl::EQUITY_GAMMA`] = 0.314) and `eta` ([`Athl::EQUITY_ETA`] = 0.142):
///   dimensionless, fitted on US equities.
///
/// On a bar grid the selling rate of bar `k` is `v_k = n_k / dt_k` (BTC/day); the impact at the end
/// of a trading bar is the permanent part of the cumulative quantity plus the temporary part of the
/// bar's rate. After the sale the temporary part vanishes and the permanent part follows the
/// [`Decay`] rule (default: stays). The average cost of the fills is `I(Q)/2 + sum_k n_k K(v_k) / Q`,
/// which is `J` for a constant-rate sale.
///
/// Every output carries [`ATHL_EXTRAPOLATION_WARNING`].
///
/// # References
/// * Almgren, Thum, Hauptmann & Li 2005, "Direct estimation of equity market impact", Risk 18(7),
///   57-62: equations for `I`, `K`, `J`; `gamma = 0.314`, `eta = 0.142`, `beta = 3/5`.
/// * blocksale docs/methods.md §13; test vector T2 (§27, the IBM example).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Athl {
    gamma: f64,
    eta: f64,
    outstanding_btc: f64,
    decay: Decay,
}

/// The three ATHL costs of a constant-rate sale, fractions of the arrival price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AthlCosts {
    /// Permanent impact `I`.
    pub permanent: f64,
    /// Temporary impact `K`.
    pub temporary: f64,
    /// Realised cost `J = I/2 + K`.
    pub realized: f64,
}

impl Athl {
    /// Permanent coefficient `gamma` fitted on US equities 2001-2003.
    pub const EQUITY_GAMMA: f64 = 0.314;
    /// Temporary coefficient `eta` fitted on US equities 2001-2003.
    pub const EQUITY_ETA: f64 = 0.142;
    /// `Theta` for BTC: the circulating supply, about 19.9M BTC in early 2026.
    pub const DEFAULT_OUTSTANDING_BTC: f64 = 19_900_000.0;

    /// The published equity constants with the given number outstanding (BTC supply for BTC).
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `outstanding_btc > 0`.
    pub fn equity_2005(outstanding_btc: f64) -> Result<Self, ImpactError> {
        Self::new_checked(Self::EQUITY_GAMMA, Self::EQUITY_ETA, outstanding_btc)
    }

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless every value is finite and > 0.
    pub fn new_checked(gamma: f64, eta: f64, outstanding_btc: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            gamma: positive("gamma", gamma)?,
            eta: positive("eta", eta)?,
            outstanding_btc: positive("outstanding (BTC)", outstanding_btc)?,
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

    /// Permanent impact of having sold `q_btc`.
    pub fn permanent(&self, q_btc: f64, m: &MarketInputs) -> f64 {
        self.gamma
            * m.sigma_daily
            * (q_btc / m.adv_btc)
            * (self.outstanding_btc / m.adv_btc).powf(0.25)
    }

    /// Temporary impact of selling at `rate_btc_per_day`.
    pub fn temporary(&self, rate_btc_per_day: f64, m: &MarketInputs) -> f64 {
        self.eta * m.sigma_daily * (rate_btc_per_day / m.adv_btc).abs().powf(0.6)
    }

    /// The three costs of selling `x_btc` at a constant rate over `horizon_days`.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `x_btc >= 0` and `horizon_days > 0`.
    pub fn costs(
        &self,
        x_btc: f64,
        horizon_days: f64,
        m: &MarketInputs,
    ) -> Result<AthlCosts, ImpactError> {
        crate::error::non_negative("size (BTC)", x_btc)?;
        positive("horizon (days)", horizon_days)?;
        let permanent = self.permanent(x_btc, m);
        let temporary = self.temporary(x_btc / horizon_days, m);
        Ok(AthlCosts {
            permanent,
            temporary,
            realized: permanent / 2.0 + temporary,
        })
    }
}

impl ImpactModel for Athl {
    /// The premise bound with what Almgren et al. say of their data (docs/methods.md §31).
    fn validity(&self) -> Option<crate::validity::Validity> {
        Some(crate::validity::premise_bound(
            crate::validity::ATHL_EVIDENCE,
        ))
    }

    fn name(&self) -> String {
        "athl".into()
    }

    fn params(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("gamma".into(), self.gamma),
            ("eta".into(), self.eta),
            ("outstanding_btc".into(), self.outstanding_btc),
        ])
    }

    fn decay(&self) -> Decay {
        self.decay
    }

    fn path(&self, grid: &ExecutionGrid, m: &MarketInputs) -> ImpactPath {
        let Some((last, t_end)) = sale_end(grid) else {
            return ImpactPath::new(vec![0.0; grid.len()], 0.0, 0.0);
        };
        let total = grid.total_btc();
        let level = self.permanent(total, m);
        let dt = grid.dt_days();
        let t = grid.t_days();
        let mut cum = 0.0;
        let mut temp_cost = 0.0;
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
                let temp = if n > 0.0 {
                    self.temporary(n / dt[k], m)
                } else {
                    0.0
                };
                temp_cost += n * temp;
                self.permanent(cum, m) + temp
            })
            .collect();
        let avg_cost = level / 2.0 + temp_cost / total;
        ImpactPath::new(impact, avg_cost, self.decay.long_run(level))
    }

    /// `J = I(Q)/2 + K(Q/T)`, peak `I(Q) + K(Q/T)` (the last fill), long run the decay of `I(Q)`.
    fn constant_rate(&self, size_btc: f64, days: f64, m: &MarketInputs) -> Option<ConstantRate> {
        if !(size_btc > 0.0 && days > 0.0) {
            return Some(ConstantRate::ZERO);
        }
        let level = self.permanent(size_btc, m);
        let temp = self.temporary(size_btc / days, m);
        Some(ConstantRate {
            avg_cost: level / 2.0 + temp,
            peak: level + temp,
            permanent: self.decay.long_run(level),
        })
    }

    fn warnings(&self) -> Vec<String> {
        vec![ATHL_EXTRAPOLATION_WARNING.to_string()]
    }
}

/// A scenario's `[[models]]` entry `model = "athl"`: [`Athl`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AthlSpec {
    /// Permanent coefficient (dimensionless, > 0), default [`Athl::EQUITY_GAMMA`].
    pub gamma: f64,
    /// Temporary coefficient (dimensionless, > 0), default [`Athl::EQUITY_ETA`].
    pub eta: f64,
    /// Circulating supply `Theta`, BTC, default [`Athl::DEFAULT_OUTSTANDING_BTC`].
    pub outstanding_btc: f64,
}

impl Default for AthlSpec {
    fn default() -> Self {
        Self {
            gamma: Athl::EQUITY_GAMMA,
            eta: Athl::EQUITY_ETA,
            outstanding_btc: Athl::DEFAULT_OUTSTANDING_BTC,
        }
    }
}

impl AthlSpec {
    /// The model these parameters give (permanent decay).
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless every value is finite and > 0.
    pub fn model(&self) -> Result<Athl, ImpactError> {
        Athl::new_checked(self.gamma, self.eta, self.outstanding_btc)
    }
}

impl ModelEntry for AthlSpec {
    fn check(&self) -> Result<(), SpecError> {
        positive_key("gamma", self.gamma)?;
        positive_key("eta", self.eta)?;
        positive_key("outstanding_btc", self.outstanding_btc)
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        let m = self
            .model()?
            .with_decay(ctx.decay.unwrap_or(Decay::Permanent))?;
        Ok(BuiltModel::plain(
            Box::new(m),
            "literature: 2005 US-equity constants (extrapolation)",
        ))
    }

    fn example() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedules::twap;

    /// Test vector T2 (docs/methods.md §27): the IBM example of ATHL 2005.
    #[test]
    fn t2_ibm_example() {
        let m = MarketInputs::new_checked(0.0157, 6_561_000.0).unwrap();
        let a = Athl::equity_2005(1.728e9).unwrap();
        let x = 0.1 * 6_561_000.0;
        let expected = [(0.1, 22.3, 32.2), (0.2, 14.7, 24.6), (0.5, 8.5, 18.4)];
        for (t, k_bp, j_bp) in expected {
            let c = a.costs(x, t, &m).unwrap();
            assert!(
                (c.permanent * 1e4 - 19.86).abs() < 0.005,
                "I = {}",
                c.permanent * 1e4
            );
            assert!(
                (c.temporary * 1e4 - k_bp).abs() < 0.05,
                "K({t}) = {}",
                c.temporary * 1e4
            );
            assert!(
                (c.realized * 1e4 - j_bp).abs() < 0.05,
                "J({t}) = {}",
                c.realized * 1e4
            );
        }
        assert!(a.warnings()[0].contains("extrapolation"));
    }

    #[test]
    fn grid_path_matches_closed_form_for_constant_rate() {
        let m = MarketInputs::new_checked(0.0157, 6_561_000.0).unwrap();
        let a = Athl::equity_2005(1.728e9).unwrap();
        let x = 656_100.0;
        // Ten bars of 0.01 day selling, then ten idle bars.
        let grid = ExecutionGrid::uniform(twap(x, 10), 20, 0.2).unwrap();
        let p = a.path(&grid, &m);
        let c = a.costs(x, 0.1, &m).unwrap();
        assert!((p.avg_cost - c.realized).abs() < 1e-12);
        assert!((p.impact[9] - (c.permanent + c.temporary)).abs() < 1e-12);
        assert!((p.impact[19] - c.permanent).abs() < 1e-15);
        assert!((p.permanent - c.permanent).abs() < 1e-15);
    }
}
