use super::{check_total, fix_sum, Placement, SaleWindow, Schedule};
use crate::error::non_negative;
use crate::ImpactError;

/// Quantities given by the user, one per bar (the CLI reads them from a CSV).
///
/// They must sum to the block within a relative `1e-9`; the last positive entry then absorbs the
/// rounding so the sum is exact. A list shorter than the window leaves the remaining bars empty.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSchedule {
    quantities_btc: Vec<f64>,
}

impl UserSchedule {
    /// Checked constructor: at least one quantity, all finite and `>= 0`.
    ///
    /// # Errors
    /// [`ImpactError`] naming the first bad entry.
    pub fn new_checked(quantities_btc: Vec<f64>) -> Result<Self, ImpactError> {
        if quantities_btc.is_empty() {
            return Err(ImpactError::Input(
                "the user schedule has no quantities".into(),
            ));
        }
        for &q in &quantities_btc {
            non_negative("user schedule quantity (BTC)", q)?;
        }
        Ok(Self { quantities_btc })
    }
}

impl Schedule for UserSchedule {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let total = check_total(total_btc)?;
        let n = self.quantities_btc.len();
        if n > w.n_bars() {
            return Err(ImpactError::Input(format!(
                "the user schedule has {n} quantities but the sale window has {} bars",
                w.n_bars()
            )));
        }
        let s: f64 = self.quantities_btc.iter().sum();
        if (s - total).abs() > 1e-9 * total.max(1e-300) {
            return Err(ImpactError::Input(format!(
                "the user schedule sums to {s} BTC but the block is {total} BTC"
            )));
        }
        let mut q = self.quantities_btc.clone();
        q.resize(w.n_bars(), 0.0);
        fix_sum(&mut q, total);
        Ok(Placement::quantities(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        let t = [0, 60_000, 120_000, 180_000];
        let w = SaleWindow::new_checked(&t, 60_000).unwrap();
        let u = UserSchedule::new_checked(vec![1.0, 2.0, 0.0]).unwrap();
        assert_eq!(u.place(3.0, &w).unwrap().qty_btc, vec![1.0, 2.0, 0.0, 0.0]);
        let e = u.place(4.0, &w).unwrap_err().to_string();
        assert!(e.contains("sums to 3 BTC but the block is 4 BTC"), "{e}");
        assert!(UserSchedule::new_checked(vec![-1.0]).is_err());
        let two = SaleWindow::new_checked(&t[..2], 60_000).unwrap();
        assert!(u.place(3.0, &two).is_err());
    }
}
