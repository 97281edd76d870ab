use super::{check_total, fix_sum, SaleWindow, Schedule, VolumeProfile};
use crate::ImpactError;

/// Percentage of volume: sell a fixed share `rate` of all traded volume (ours included) until the
/// block is done, so the duration follows from the expected volume.
///
/// ```text
/// q_k = rate / (1 - rate) * V_k      V_k: expected market volume of bar k (VolumeProfile)
/// ```
///
/// so that `q_k / (V_k + q_k) = rate`. The last bar takes the remainder. The returned vector has as
/// many bars as the sale needs; it fails when that exceeds `window.n_bars`.
///
/// # References
/// Almgren & Lorenz 2007 / Kissell & Glantz 2003, "Optimal trading strategies" (participation
/// strategies); blocksale issue 4.
#[derive(Debug, Clone, PartialEq)]
pub struct Pov {
    rate: f64,
    profile: VolumeProfile,
}

impl Pov {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `0 < rate < 1`.
    pub fn new_checked(rate: f64, profile: VolumeProfile) -> Result<Self, ImpactError> {
        if !(rate.is_finite() && rate > 0.0 && rate < 1.0) {
            return Err(ImpactError::Param {
                name: "participation rate",
                value: rate,
                expected: "a number in (0, 1)",
            });
        }
        Ok(Self { rate, profile })
    }

    /// Participation rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl Schedule for Pov {
    fn name(&self) -> String {
        "pov".into()
    }

    fn quantities(&self, total_btc: f64, w: &SaleWindow) -> Result<Vec<f64>, ImpactError> {
        let total = check_total(total_btc)?;
        let f = self.rate / (1.0 - self.rate);
        let mut q = Vec::new();
        let mut done = 0.0;
        while done < total {
            if q.len() >= w.n_bars {
                return Err(ImpactError::Input(format!(
                    "at {:.1} % of volume the block of {total} BTC needs more than the {} bars of the window",
                    self.rate * 100.0,
                    w.n_bars
                )));
            }
            let k = q.len();
            let x = f * self
                .profile
                .expected_volume(w.bar_start_ms(k), w.bar_start_ms(k + 1));
            let x = x.min(total - done);
            q.push(x);
            done += x;
        }
        if q.is_empty() {
            q.push(0.0);
        }
        fix_sum(&mut q, total);
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_follows_from_volume() {
        // 100 BTC per hour everywhere, 20 % participation: 25 BTC per hour; 1-hour bars.
        let p = VolumeProfile::from_hourly(vec![100.0; 168]).unwrap();
        let pov = Pov::new_checked(0.2, p).unwrap();
        let w = SaleWindow::new_checked(0, 3600, 100).unwrap();
        let q = pov.quantities(110.0, &w).unwrap();
        assert_eq!(q, vec![25.0, 25.0, 25.0, 25.0, 10.0]);
        assert!(pov.quantities(1e6, &w).is_err());
        assert!(
            Pov::new_checked(1.0, VolumeProfile::from_hourly(vec![1.0; 168]).unwrap()).is_err()
        );
    }
}
