//! The impact-model family. One model per file; all implement [`ImpactModel`].
//!
//! | model | file | impact during the sale | after the sale (default) |
//! |---|---|---|---|
//! | [`PowerLaw`] | `power_law.rs` | `Y sigma (q/V)^delta` | stays ([`Decay::Permanent`]) |
//! | [`Linear`] | `linear.rs` | `k sigma q/V` | stays |
//! | [`Kyle`] | `kyle.rs` | `lambda q` (lambda per BTC) | stays |
//! | [`Athl`] | `athl.rs` | permanent `gamma sigma (q/V)(Theta/V)^(1/4)` + temporary `eta sigma (v/V)^(3/5)` | permanent part stays |
//! | [`AlmgrenChriss`] | `almgren_chriss.rs` | permanent `gamma q` + temporary `epsilon + eta v` | permanent part stays |
//! | [`ExpKernel`] | `exp_kernel.rs` | linear impact, exponential kernel (Obizhaeva-Wang) | kernel decay |
//! | [`Propagator`] | `propagator.rs` | power-law impact, power-law kernel | kernel decay |
//!
//! `q` is the cumulative quantity sold (BTC), `v` the selling rate (BTC/day), `V` the average daily
//! volume (BTC/day), `sigma` the daily volatility. Every impact is a fraction of the arrival price.
//!
//! The models a scenario or `blocksale model` can name are registered once, below, by their spec
//! (the scenario's `[[models]]` entry): see [`ModelEntry`] for how to add one.

mod almgren_chriss;
mod amihud;
mod athl;
mod exp_kernel;
mod kyle;
mod linear;
mod power_law;
mod propagator;
mod registry;

pub use almgren_chriss::{AcProblem, AcSolution, AlmgrenChriss, FrontierPoint};
pub use amihud::{Amihud, AmihudSpec};
pub use athl::{Athl, AthlCosts, AthlSpec, ATHL_EXTRAPOLATION_WARNING};
pub use exp_kernel::{ExpDecaySpec, ExpKernel};
pub use kyle::{Kyle, KyleSpec};
pub use linear::{Linear, LinearSpec};
pub use power_law::{PowerLaw, PowerSpec, SqrtSpec};
pub use propagator::{Propagator, SqrtPropagatorSpec};
pub use registry::{BuildContext, BuiltModel, ModelEntry, ParamBand, ParamSource, WhatIfBand};

registry::register_models! {
    "sqrt" => Sqrt(SqrtSpec): "Square root: Y sigma_daily sqrt(Q/V)",
    "power" => Power(PowerSpec): "Power law: Y sigma_daily (Q/V)^delta",
    "linear" => Linear(LinearSpec): "Linear in participation: k sigma_daily Q/V",
    "kyle" => Kyle(KyleSpec): "Kyle: lambda Q, lambda per BTC",
    "athl" => Athl(AthlSpec): "Almgren, Thum, Hauptmann & Li 2005 (equity constants; extrapolation for BTC)",
    "exp_decay" => ExpDecay(ExpDecaySpec): "Linear impact with exponential decay (Obizhaeva-Wang kernel)",
    "sqrt_propagator" => SqrtPropagator(SqrtPropagatorSpec): "Square-root propagator (power-law kernel)",
    "amihud" => Amihud(AmihudSpec): "Amihud benchmark: ILLIQ Q P, ILLIQ per USD",
}

use crate::validity::{SaleShape, Validity, ValidityCheck};
use crate::{ExecutionGrid, ImpactError, ImpactPath, MarketInputs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A market-impact model: maps a sale laid out on a bar grid to a predicted impact path.
pub trait ImpactModel: Send + Sync + std::fmt::Debug {
    /// Short stable name used in outputs (`sqrt`, `linear`, ...).
    fn name(&self) -> String;
    /// Parameters with unit-bearing names, for result documents.
    fn params(&self) -> BTreeMap<String, f64>;
    /// Impact path, peak, average cost and permanent part for this sale.
    fn path(&self, grid: &ExecutionGrid, market: &MarketInputs) -> ImpactPath;
    /// What happens to the impact after the sale.
    fn decay(&self) -> Decay;
    /// Caveats an output must carry with this model's numbers (e.g. constants fitted on another
    /// market). Empty by default.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// The range of sales the model's parameters were estimated or validated on, with its source
    /// (`None`: the model declares none). See [`crate::validity`].
    fn validity(&self) -> Option<Validity> {
        None
    }
    /// The daily volume the model's `Q/V` divides by: the market's `V` (the default), or for a
    /// calibrated law the calibration's own `V_c`.
    fn validity_volume(&self, market: &MarketInputs) -> f64 {
        market.adv_btc
    }
    /// `size_btc` sold over `duration_days` checked against [`validity`](Self::validity): `None`
    /// when the model declares no range.
    fn validity_check(
        &self,
        size_btc: f64,
        duration_days: f64,
        market: &MarketInputs,
    ) -> Option<ValidityCheck> {
        let range = self.validity()?;
        let sale = SaleShape::new(size_btc, self.validity_volume(market), duration_days);
        Some(crate::validity::check(&range, sale))
    }
    /// False for a model that ignores the [`MarketInputs`] (its impact is per BTC, not per unit
    /// of daily volume and volatility). True by default.
    fn uses_market_inputs(&self) -> bool {
        true
    }
    /// The average cost, peak and long-run impact [`path`](Self::path) gives for `size_btc` sold
    /// at a constant rate over `[0, duration_days)` on a uniform grid whose bars the sale fills
    /// whole (a TWAP over the window, or a block in the first bar: `duration_days` one bar), in
    /// closed form: `O(1)` instead of stepping the grid. `None` (the default) when the model has
    /// no closed form; the grid path stays the reference, and the test
    /// `closed_forms_equal_the_grid_path` checks each closed form against it.
    fn constant_rate(
        &self,
        _size_btc: f64,
        _duration_days: f64,
        _market: &MarketInputs,
    ) -> Option<ConstantRate> {
        None
    }
}

/// Average cost, peak and long-run impact of a constant-rate sale ([`ImpactModel::constant_rate`]),
/// fractions of the arrival price, as in [`ImpactPath`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ConstantRate {
    /// Quantity-weighted average impact paid by the fills.
    pub avg_cost: f64,
    /// Largest impact reached.
    pub peak: f64,
    /// Long-run impact under the model's decay.
    pub permanent: f64,
}

impl ConstantRate {
    /// Nothing sold: no impact.
    pub const ZERO: Self = Self {
        avg_cost: 0.0,
        peak: 0.0,
        permanent: 0.0,
    };
}

/// What happens to the impact after the last fill of the sale (at `T`, the end of the last bar
/// with a non-zero quantity).
///
/// * `Permanent`: the impact stays at its end-of-sale level `I(T)` (for the [`Athl`] and
///   [`AlmgrenChriss`] models: the permanent part stays, the temporary part vanishes).
/// * `Full`: the model's own relaxation to zero. For the transient models ([`ExpKernel`],
///   [`Propagator`]) this is the kernel's own decay. For the instantaneous models it is the
///   relaxation of the square-root propagator (docs/methods.md §16, §17; derived there):
///   `I(t) = I(T) (sqrt(t/T) - sqrt(t/T - 1))`, which is 0.5176 of `I(T)` at `1.5 T` and 0.4142 at `2 T`.
/// * `Plateau { fraction }`: `I(t) = fraction * I(T) + (1 - fraction) * I_full(t)`: decays like
///   `Full` but levels off at `fraction` of the end-of-sale impact. Literature default 2/3
///   (Farmer, Gerig, Lillo & Waelbroeck 2013; Bershova & Rakhlin 2013; docs/methods.md §17).
///
/// Every variant leaves the impact non-increasing after the sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    try_from = "DecayRaw"
)]
pub enum Decay {
    /// No decay after the sale.
    Permanent,
    /// Decay to zero along the model's own relaxation.
    Full,
    /// Decay to `fraction` of the end-of-sale impact.
    Plateau {
        /// Share of the end-of-sale impact that survives, in `[0, 1]`.
        fraction: f64,
    },
}

/// Serde shape of [`Decay`]; deserialisation goes through [`Decay::validate`].
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum DecayRaw {
    Permanent,
    Full,
    Plateau { fraction: f64 },
}

impl TryFrom<DecayRaw> for Decay {
    type Error = ImpactError;
    fn try_from(r: DecayRaw) -> Result<Self, ImpactError> {
        let d = match r {
            DecayRaw::Permanent => Decay::Permanent,
            DecayRaw::Full => Decay::Full,
            DecayRaw::Plateau { fraction } => Decay::Plateau { fraction },
        };
        d.validate()?;
        Ok(d)
    }
}

impl Decay {
    /// Share of the end-of-sale impact that survives in the literature plateau: 2/3.
    pub const DEFAULT_PLATEAU_FRACTION: f64 = 2.0 / 3.0;

    /// The literature plateau at 2/3 of the end-of-sale impact.
    pub fn two_thirds() -> Self {
        Decay::Plateau {
            fraction: Self::DEFAULT_PLATEAU_FRACTION,
        }
    }

    /// Check a deserialised value.
    ///
    /// # Errors
    /// [`ImpactError::Param`] when a plateau fraction is outside `[0, 1]`.
    pub fn validate(&self) -> Result<(), ImpactError> {
        if let Decay::Plateau { fraction } = *self {
            if !(fraction.is_finite() && (0.0..=1.0).contains(&fraction)) {
                return Err(ImpactError::Param {
                    name: "plateau fraction",
                    value: fraction,
                    expected: "a number in [0, 1]",
                });
            }
        }
        Ok(())
    }

    /// Checked plateau constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `fraction` is in `[0, 1]`.
    pub fn plateau_checked(fraction: f64) -> Result<Self, ImpactError> {
        let d = Decay::Plateau { fraction };
        d.validate()?;
        Ok(d)
    }

    /// Short label for outputs.
    pub fn label(&self) -> String {
        match self {
            Decay::Permanent => "permanent".into(),
            Decay::Full => "full".into(),
            Decay::Plateau { fraction } => format!("plateau_{fraction:.4}"),
        }
    }

    /// Impact after the sale from the end-of-sale `level` and the model's full-decay value `full`.
    pub(crate) fn apply(&self, level: f64, full: f64) -> f64 {
        match *self {
            Decay::Permanent => level,
            Decay::Full => full,
            Decay::Plateau { fraction } => fraction * level + (1.0 - fraction) * full,
        }
    }

    /// Long-run impact (t -> infinity) from the end-of-sale level.
    pub(crate) fn long_run(&self, level: f64) -> f64 {
        self.apply(level, 0.0)
    }
}

/// Relaxation of the square-root propagator after a constant-rate sale of duration `T`:
/// `sqrt(x) - sqrt(x - 1)` at `x = t/T > 1`, 1 before. docs/methods.md §16, §17 (derived there).
pub fn sqrt_relaxation(t_over_t_end: f64) -> f64 {
    if t_over_t_end <= 1.0 {
        1.0
    } else {
        t_over_t_end.sqrt() - (t_over_t_end - 1.0).sqrt()
    }
}

/// End time of the sale on the grid: the end of the last bar with a non-zero quantity.
pub(crate) fn sale_end(grid: &ExecutionGrid) -> Option<(usize, f64)> {
    grid.last_trade_bar().map(|k| (k, grid.t_days()[k + 1]))
}

/// An impact law of the cumulative quantity sold, `I = f(q)`, with the antiderivative `F` that prices
/// the fills and the decay after the sale: the one description a model's grid path
/// ([`cumulative_path`]) and its closed form ([`cumulative_constant_rate`]) both evaluate, so the
/// two cannot drift apart.
pub(crate) struct CumulativeLaw<I, A> {
    pub(crate) decay: Decay,
    /// `f(q)`.
    pub(crate) impact_of: I,
    /// `F(q)`, with `F' = f`.
    pub(crate) antiderivative: A,
}

impl<I: Fn(f64) -> f64, A: Fn(f64) -> f64> CumulativeLaw<I, A> {
    /// The law on the bar grid.
    pub(crate) fn path(self, grid: &ExecutionGrid) -> ImpactPath {
        cumulative_path(grid, self.decay, self.impact_of, self.antiderivative)
    }

    /// The law for `total` sold at a constant rate.
    pub(crate) fn constant_rate(self, total: f64) -> ConstantRate {
        cumulative_constant_rate(total, self.decay, self.impact_of, self.antiderivative)
    }
}

/// Path of an instantaneous impact function of cumulative quantity, `I = f(q)`, with the cost of each
/// fill integrated exactly: the fills pay `(F(Q) - F(0)) / Q` on average where `F` is the
/// antiderivative of `f`. After the sale the impact follows `decay` (square-root relaxation for
/// `Full`).
pub(crate) fn cumulative_path(
    grid: &ExecutionGrid,
    decay: Decay,
    impact_of: impl Fn(f64) -> f64,
    antiderivative: impl Fn(f64) -> f64,
) -> ImpactPath {
    let cum = grid.cumulative_btc();
    let total = grid.total_btc();
    let avg_cost = if total > 0.0 {
        (antiderivative(total) - antiderivative(0.0)) / total
    } else {
        0.0
    };
    let Some((last, t_end)) = sale_end(grid) else {
        return ImpactPath::new(vec![0.0; grid.len()], 0.0, 0.0);
    };
    let level = impact_of(total);
    let t = grid.t_days();
    let impact: Vec<f64> = cum
        .iter()
        .enumerate()
        .map(|(k, &q)| {
            if k <= last {
                impact_of(q)
            } else {
                decay.apply(level, level * sqrt_relaxation(t[k + 1] / t_end))
            }
        })
        .collect();
    ImpactPath::new(impact, avg_cost, decay.long_run(level))
}

/// [`cumulative_path`]'s average cost, peak and long-run impact in closed form: the same
/// expressions of the total, so equal to the grid path's to the last bit whenever the fills sum to
/// the block exactly (a TWAP does, [`crate::schedules::twap`]). The impact rises with the quantity
/// sold and never rises after the sale, so the peak is the end-of-sale level.
pub(crate) fn cumulative_constant_rate(
    total: f64,
    decay: Decay,
    impact_of: impl Fn(f64) -> f64,
    antiderivative: impl Fn(f64) -> f64,
) -> ConstantRate {
    if total.is_nan() || total <= 0.0 {
        return ConstantRate::ZERO;
    }
    let level = impact_of(total);
    ConstantRate {
        avg_cost: (antiderivative(total) - antiderivative(0.0)) / total,
        peak: level.max(0.0),
        permanent: decay.long_run(level),
    }
}

#[cfg(test)]
mod closed_form_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxation_vectors_t4() {
        // Test vector T4 (docs/methods.md §27): post-trade fraction of peak at 1.5 T: 0.5176, at 2 T: 0.4142.
        assert!((sqrt_relaxation(1.5) - 0.5176).abs() < 5e-5);
        assert!((sqrt_relaxation(2.0) - 0.4142).abs() < 5e-5);
        assert_eq!(sqrt_relaxation(0.5), 1.0);
    }

    #[test]
    fn decay_rules() {
        assert_eq!(Decay::Permanent.apply(1.0, 0.2), 1.0);
        assert_eq!(Decay::Full.apply(1.0, 0.2), 0.2);
        let p = Decay::two_thirds();
        assert!((p.apply(1.0, 0.0) - 2.0 / 3.0).abs() < 1e-15);
        assert!((p.long_run(3.0) - 2.0).abs() < 1e-15);
        assert!(Decay::plateau_checked(1.5).is_err());
        assert!(Decay::plateau_checked(f64::NAN).is_err());
        let d: Decay = serde_json::from_str(r#"{"kind":"plateau","fraction":0.5}"#).unwrap();
        assert_eq!(d, Decay::Plateau { fraction: 0.5 });
        assert!(
            serde_json::from_str::<Decay>(r#"{"kind":"plateau","fraction":0.5,"x":1}"#).is_err()
        );
        assert!(serde_json::from_str::<Decay>(r#"{"kind":"plateau","fraction":2}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Decay::Full).unwrap(),
            r#"{"kind":"full"}"#
        );
    }
}
