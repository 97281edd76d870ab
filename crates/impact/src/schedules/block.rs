use super::{check_total, SaleWindow, Schedule};
use crate::ImpactError;

/// Everything in the first bar: the "dump" benchmark, the all-at-once case of Almgren-Chriss.
///
/// # References
/// Almgren & Chriss 2000, J. Risk 3(2): the minimum-variance trajectory (`lambda -> infinity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockAtStart;

impl Schedule for BlockAtStart {
    fn name(&self) -> String {
        "block".into()
    }

    fn quantities(&self, total_btc: f64, w: &SaleWindow) -> Result<Vec<f64>, ImpactError> {
        let mut q = vec![0.0; w.n_bars];
        q[0] = check_total(total_btc)?;
        Ok(q)
    }
}
