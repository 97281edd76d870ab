use super::{check_total, fix_last, Placement, SaleWindow, Schedule};
use crate::error::positive;
use crate::ImpactError;

/// Almgren-Chriss optimal trajectory on the window's `n` bars for an urgency `kappa T`: holdings
///
/// ```text
/// x_j = X sinh(kappa T (1 - j/n)) / sinh(kappa T),   trades q_j = x_j - x_{j+1},   j = 0 .. n-1
/// ```
///
/// `kappa T` (dimensionless, > 0) says how front-loaded the sale is: towards 0 it approaches TWAP,
/// large values sell most of the block in the first bars. (In the model `kappa` follows from the
/// risk aversion, the volatility and the temporary impact, see
/// [`crate::models::AcProblem`]; here it is given directly.) Where `X sinh(kappa T)` overflows
/// (`kappa T` above about 700) the ratio is evaluated as `e^(a - kappa T) - e^(-a - kappa T)`,
/// `a = kappa T (1 - j/n)`. The last bar absorbs the rounding.
///
/// # References
/// Almgren & Chriss 2000, J. Risk 3(2), section 3; docs/methods.md §18, §14.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AcOptimal {
    urgency: f64,
}

impl AcOptimal {
    /// Default urgency `kappa T`.
    pub const DEFAULT_URGENCY: f64 = 2.0;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `urgency` (`kappa T`) is finite and > 0.
    pub fn new_checked(urgency: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            urgency: positive("urgency (kappa T)", urgency)?,
        })
    }

    /// `kappa T`.
    pub fn urgency(&self) -> f64 {
        self.urgency
    }
}

impl Schedule for AcOptimal {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let total = check_total(total_btc)?;
        let (n, kt) = (w.n_bars(), self.urgency);
        let s = kt.sinh();
        let direct = (total * s).is_finite();
        let x = |j: usize| {
            let a = kt * (1.0 - j as f64 / n as f64);
            if direct {
                total * a.sinh() / s
            } else {
                total * ((a - kt).exp() - (-a - kt).exp())
            }
        };
        let mut q: Vec<f64> = (0..n).map(|j| (x(j) - x(j + 1)).max(0.0)).collect();
        fix_last(&mut q, total);
        Ok(Placement::quantities(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_loads_more_with_urgency_and_survives_overflow() {
        let t: Vec<i64> = (0..10).map(|k| k * 900_000).collect();
        let w = SaleWindow::new_checked(&t, 900_000).unwrap();
        let q = |u: f64| {
            AcOptimal::new_checked(u)
                .unwrap()
                .place(100.0, &w)
                .unwrap()
                .qty_btc
        };
        let (mild, steep, huge) = (q(0.01), q(5.0), q(5_000.0));
        // Near TWAP for a small urgency; decreasing trades; the huge urgency sells almost all at once.
        assert!(mild.iter().all(|x| (x - 10.0).abs() < 0.01), "{mild:?}");
        assert!(steep.windows(2).all(|p| p[0] > p[1]), "{steep:?}");
        assert!(huge[0] > 99.999, "{huge:?}");
        for v in [mild, steep, huge] {
            assert_eq!(v.iter().sum::<f64>(), 100.0);
        }
        assert!(AcOptimal::new_checked(0.0).is_err());
    }
}
