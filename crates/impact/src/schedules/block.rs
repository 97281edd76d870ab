use super::{check_total, Placement, SaleWindow, Schedule};
use crate::ImpactError;

/// Everything in the first bar: the "dump" benchmark, the all-at-once case of Almgren-Chriss.
///
/// # References
/// Almgren & Chriss 2000, J. Risk 3(2): the minimum-variance trajectory (`lambda -> infinity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockAtStart;

impl Schedule for BlockAtStart {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let mut q = vec![0.0; w.n_bars()];
        q[0] = check_total(total_btc)?;
        Ok(Placement::quantities(q))
    }
}
