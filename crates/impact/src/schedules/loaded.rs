use super::{check_total, proportional, Placement, SaleWindow, Schedule};
use crate::ImpactError;

/// Linearly falling selling rate: bar `k` of `n` gets `(2(n - k) - 1) / n^2` of the block, so the
/// first bar sells `2n - 1` times as much as the last and the rate would reach zero at the end.
///
/// Quantities are the weights over their sum times the block; the last bar absorbs the rounding.
///
/// # References
/// No published source: a benchmark shape between the block ([`super::BlockAtStart`]) and TWAP,
/// one of the candidate schedules the backtest's footprint sets against a disclosed price
/// (blocksale docs/methods.md §18, §25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrontLoaded;

/// Linearly rising selling rate: the mirror of [`FrontLoaded`], bar `k` of `n` gets
/// `(2k + 1) / n^2` of the block.
///
/// # References
/// As [`FrontLoaded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackLoaded;

impl Schedule for FrontLoaded {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let n = w.n_bars();
        let weights: Vec<f64> = (0..n).map(|k| (2 * (n - k) - 1) as f64).collect();
        Ok(Placement::quantities(proportional(
            &weights,
            check_total(total_btc)?,
        )))
    }
}

impl Schedule for BackLoaded {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let weights: Vec<f64> = (0..w.n_bars()).map(|k| (2 * k + 1) as f64).collect();
        Ok(Placement::quantities(proportional(
            &weights,
            check_total(total_btc)?,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_rates_mirror_each_other() {
        let t: Vec<i64> = (0..4).map(|k| k * 3_600_000).collect();
        let w = SaleWindow::new_checked(&t, 3_600_000).unwrap();
        // n = 4: weights 7, 5, 3, 1 over 16.
        let f = FrontLoaded.place(16.0, &w).unwrap().qty_btc;
        assert_eq!(f, vec![7.0, 5.0, 3.0, 1.0]);
        let b = BackLoaded.place(16.0, &w).unwrap().qty_btc;
        assert_eq!(b, vec![1.0, 3.0, 5.0, 7.0]);
    }
}
