/// Time-weighted average price schedule: the block split evenly over `n_bars` bars.
///
/// The last bar absorbs floating-point rounding so the quantities sum to `total_btc` exactly
/// (to the last bit, as `f64` addition left to right).
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
    let head: f64 = q[..n_bars - 1].iter().sum();
    q[n_bars - 1] = total_btc - head;
    q
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
