use super::{check_total, fix_sum, SaleWindow, Schedule};
use crate::error::non_negative;
use crate::models::{AcProblem, AlmgrenChriss};
use crate::ImpactError;

/// Almgren-Chriss optimal trajectory on the window's bars: `N = n_bars` slices over
/// `T = n_bars * bar length`, trades `n_k = x_{k-1} - x_k` with
/// `x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)`. Risk aversion 0 gives TWAP; a large one
/// front-loads the sale.
///
/// # References
/// Almgren & Chriss 2000, J. Risk 3(2), section 3; SCIENCE.md 2.4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AcOptimal {
    model: AlmgrenChriss,
    risk_aversion: f64,
}

impl AcOptimal {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `risk_aversion >= 0`.
    pub fn new_checked(model: AlmgrenChriss, risk_aversion: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            model,
            risk_aversion: non_negative("risk aversion", risk_aversion)?,
        })
    }
}

impl Schedule for AcOptimal {
    fn name(&self) -> String {
        "almgren_chriss".into()
    }

    fn quantities(&self, total_btc: f64, w: &SaleWindow) -> Result<Vec<f64>, ImpactError> {
        let total = check_total(total_btc)?;
        let p = AcProblem::new_checked(
            self.model,
            total,
            w.horizon_days(),
            w.n_bars,
            self.risk_aversion,
        )?;
        let mut q: Vec<f64> = p.solve().trades.into_iter().map(|x| x.max(0.0)).collect();
        fix_sum(&mut q, total);
        Ok(q)
    }
}
