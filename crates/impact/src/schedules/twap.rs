use super::{check_total, fix_sum, Placement, SaleWindow, Schedule};
use crate::ImpactError;

/// Time-weighted average price schedule: the block split evenly over `n_bars` bars.
///
/// The quantities are then adjusted by at most an ulp so they sum to `total_btc` exactly (to the
/// last bit, as `f64` addition left to right).
///
/// # References
/// Almgren & Chriss 2000, "Optimal execution of portfolio transactions", J. Risk 3(2): the TWAP
/// trajectory is the `lambda -> 0` limit of the optimal one.
pub fn twap(total_btc: f64, n_bars: usize) -> Vec<f64> {
    if n_bars == 0 {
        return Vec::new();
    }
    let each = total_btc / n_bars as f64;
    let mut q = vec![each; n_bars];
    fix_sum(&mut q, total_btc);
    q
}

/// [`twap`] as a [`Schedule`]: equal quantities on every bar of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Twap;

impl Schedule for Twap {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        Ok(Placement::quantities(twap(
            check_total(total_btc)?,
            w.n_bars(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sums_exactly(total in 0.0f64..1e6, n in 1usize..5000) {
            let q = twap(total, n);
            prop_assert_eq!(q.len(), n);
            prop_assert_eq!(q.iter().sum::<f64>(), total);
            prop_assert!(q.iter().all(|&x| x >= 0.0));
        }
    }
}
