use super::{check_total, fix_last, Placement, SaleWindow, Schedule, VolumeProfile};
use crate::ImpactError;

/// Percentage of volume: sell a fixed share `rate` of the expected market volume of each bar until
/// the block is done, so the duration follows from the volume.
///
/// ```text
/// q_k = min(rate * V_k, X - sum_{j<k} q_j)     V_k: expected volume of bar k (VolumeProfile)
/// ```
///
/// `V_k` is the profile's rate at the hour bar `k` opens, times the bar length
/// ([`VolumeProfile::bar_volume_at_open`]). The sale starts on the window's bars and may run into
/// the bars after it ([`SaleWindow::bars_after_ms`]); the note says how far. When even those bars
/// cannot absorb the block, the remainder goes into the last one and the note says how much was
/// left. The last bar absorbs the rounding, so the quantities sum to the block exactly.
///
/// # References
/// Almgren & Lorenz 2007 / Kissell & Glantz 2003, "Optimal trading strategies" (participation
/// strategies); blocksale issue 4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pov<'a> {
    rate: f64,
    profile: &'a VolumeProfile,
}

impl<'a> Pov<'a> {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless `0 < rate <= 1`.
    pub fn new_checked(rate: f64, profile: &'a VolumeProfile) -> Result<Self, ImpactError> {
        if !(rate.is_finite() && rate > 0.0 && rate <= 1.0) {
            return Err(ImpactError::Param {
                name: "participation rate",
                value: rate,
                expected: "a number in (0, 1]",
            });
        }
        Ok(Self { rate, profile })
    }

    /// Participation rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl Schedule for Pov<'_> {
    fn place(&self, total_btc: f64, w: &SaleWindow<'_>) -> Result<Placement, ImpactError> {
        let total = check_total(total_btc)?;
        let (rate, n, hours) = (self.rate, w.n_bars(), w.bar_hours());
        let mut q = Vec::new();
        let mut left = total;
        for &t in w.open_ms().iter().chain(w.bars_after_ms()) {
            if left <= 0.0 {
                break;
            }
            let x = (rate * self.profile.bar_volume_at_open(t, hours)).min(left);
            q.push(x);
            left -= x;
        }
        let mut note = None;
        if left > 0.0 {
            note = Some(format!("POV at {rate} of expected volume could not finish: {left:.0} BTC left at the end of the data"));
            if let Some(l) = q.last_mut() {
                *l += left;
            }
        } else if q.len() > n {
            note = Some(format!(
                "POV at {rate} ran {} bars past the window end",
                q.len() - n
            ));
        }
        fix_last(&mut q, total);
        Ok(Placement { qty_btc: q, note })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_follows_from_volume() {
        // 100 BTC per hour everywhere, 25 % participation: 25 BTC per hour; 1-hour bars.
        let p = VolumeProfile::from_hourly(vec![100.0; 168]).unwrap();
        let pov = Pov::new_checked(0.25, &p).unwrap();
        let open: Vec<i64> = (0..2).map(|k| k * 3_600_000).collect();
        let after: Vec<i64> = (2..100).map(|k| k * 3_600_000).collect();
        let w = SaleWindow::new_checked(&open, 3_600_000)
            .unwrap()
            .with_bars_after(&after);
        let placed = pov.place(110.0, &w).unwrap();
        assert_eq!(placed.qty_btc, vec![25.0, 25.0, 25.0, 25.0, 10.0]);
        assert_eq!(
            placed.note.as_deref(),
            Some("POV at 0.25 ran 3 bars past the window end")
        );
        // A block the window and the bars after it cannot absorb: the rest in the last bar, noted.
        let short = pov.place(1e6, &w).unwrap();
        assert_eq!(short.qty_btc.len(), 100);
        assert_eq!(short.qty_btc.iter().sum::<f64>(), 1e6);
        assert!(short
            .note
            .unwrap()
            .contains("could not finish: 997500 BTC left"));
        assert!(Pov::new_checked(1.5, &p).is_err());
        assert!(Pov::new_checked(0.0, &p).is_err());
    }
}
