use super::{check_total, fix_last, Placement, SaleWindow, Schedule};
use crate::error::positive;
use crate::ImpactError;
use serde::Serialize;

/// The three parts of the Obizhaeva-Wang optimal sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OwBlocks {
    /// Block sold at the start, `X / (2 + rho T)`.
    pub start_block: f64,
    /// Quantity sold at a constant rate over `(0, T)`, `rho T X / (2 + rho T)`.
    pub continuous: f64,
    /// Block sold at the end, `X / (2 + rho T)`.
    pub end_block: f64,
}

/// Obizhaeva-Wang optimum for a block `x` over `horizon_days` with resilience `rho` (1/day).
pub fn ow_optimal_blocks(x: f64, rho_per_day: f64, horizon_days: f64) -> OwBlocks {
    let rt = rho_per_day * horizon_days;
    let b = x / (2.0 + rt);
    OwBlocks {
        start_block: b,
        continuous: x - 2.0 * b,
        end_block: b,
    }
}

/// Obizhaeva-Wang optimal schedule on the window's bars for a resilience times duration `rho T`:
/// the start block in the first bar, the end block in the last bar, the continuous part spread
/// evenly over all bars.
///
/// ```text
/// block X/(2 + rho T) at 0,  rate rho X/(2 + rho T) on (0, T),  block X/(2 + rho T) at T
/// ```
///
/// `rho T` is dimensionless (`rho` in 1/day, `T` the window in days). The last bar absorbs the
/// rounding.
///
/// # References
/// Obizhaeva & Wang 2013, J. Financial Markets 16(1), Proposition 1; docs/methods.md §18, §15; test vector T5 (§27).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwOptimal {
    rho_t: f64,
}

impl OwOptimal {
    /// Default resilience times duration `rho T` (a half-life of about a tenth of the window).
    pub const DEFAULT_RHO_T: f64 = 8.0;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `rho_t` is finite and > 0.
    pub fn new_checked(rho_t: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            rho_t: positive("rho T", rho_t)?,
        })
    }
}

impl Schedule for OwOptimal {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let total = check_total(total_btc)?;
        let b = ow_optimal_blocks(total, self.rho_t, 1.0);
        let n = w.n_bars();
        let mut q = vec![b.continuous / n as f64; n];
        q[0] += b.start_block;
        q[n - 1] += b.end_block;
        fix_last(&mut q, total);
        Ok(Placement::quantities(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector T5 (docs/methods.md §27): X = 1, rho T = 8 -> blocks 0.1 at 0 and T, 0.8 spread evenly in between.
    #[test]
    fn t5_ow_optimum() {
        let b = ow_optimal_blocks(1.0, 8.0, 1.0);
        assert!((b.start_block - 0.1).abs() < 1e-15);
        assert!((b.end_block - 0.1).abs() < 1e-15);
        assert!((b.continuous - 0.8).abs() < 1e-15);
        let t: Vec<i64> = (0..8).map(|k| k * 10_800_000).collect(); // T = 1 day, 8 bars
        let w = SaleWindow::new_checked(&t, 10_800_000).unwrap();
        let q = OwOptimal::new_checked(8.0)
            .unwrap()
            .place(1.0, &w)
            .unwrap()
            .qty_btc;
        assert!((q[0] - 0.2).abs() < 1e-12 && (q[7] - 0.2).abs() < 1e-12);
        assert!(q[1..7].iter().all(|x| (x - 0.1).abs() < 1e-12));
    }
}
