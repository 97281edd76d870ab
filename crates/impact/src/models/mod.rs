//! The impact-model family. One model per file; all implement [`ImpactModel`].

mod linear;
mod power_law;

pub use linear::Linear;
pub use power_law::PowerLaw;

use crate::{ExecutionGrid, ImpactPath, MarketInputs};
use std::collections::BTreeMap;

/// A market-impact model: maps a sale laid out on a bar grid to a predicted impact path.
pub trait ImpactModel: Send + Sync + std::fmt::Debug {
    /// Short stable name used in outputs (`sqrt`, `linear`, ...).
    fn name(&self) -> String;
    /// Parameters with unit-bearing names, for result documents.
    fn params(&self) -> BTreeMap<String, f64>;
    /// Impact path, peak, average cost and permanent part for this sale.
    fn path(&self, grid: &ExecutionGrid, market: &MarketInputs) -> ImpactPath;
}

/// Path of an instantaneous impact function of cumulative quantity, `I = f(q)`, with the cost of each
/// fill integrated exactly: bar `k` pays `(F(q_k) - F(q_{k-1})) / n_k` where `F` is the antiderivative
/// of `f`. After the sale the impact stays at its final value (no decay).
pub(crate) fn cumulative_path(
    grid: &ExecutionGrid,
    impact_of: impl Fn(f64) -> f64,
    antiderivative: impl Fn(f64) -> f64,
) -> ImpactPath {
    let cum = grid.cumulative_btc();
    let total = grid.total_btc();
    let impact: Vec<f64> = cum.iter().map(|&q| impact_of(q)).collect();
    let avg_cost = if total > 0.0 { (antiderivative(total) - antiderivative(0.0)) / total } else { 0.0 };
    ImpactPath::from_impacts(impact, avg_cost)
}
