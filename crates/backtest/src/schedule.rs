//! Turning the scenario's schedule into quantities on the bars of the sale window.

use crate::scenario::ScheduleSpec;
use blocksale_core::hour_of_week;
use blocksale_impact::schedules::{ow_optimal_blocks, twap};

/// Quantities per bar and what was used.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// BTC per bar from the window start; may extend past the window for POV.
    pub qty_btc: Vec<f64>,
    /// The schedule actually used.
    pub name: String,
    /// A note when the request could not be honoured as written.
    pub note: Option<String>,
}

/// Make the left-to-right sum exactly `total` by adjusting the last non-zero entry.
pub(crate) fn fix_total(q: &mut [f64], total: f64) {
    if let Some(last) = q.iter().rposition(|&x| x > 0.0) {
        let head: f64 = q[..last].iter().sum();
        q[last] = (total - head).max(0.0);
    }
}

/// Weights proportional to `w`, scaled to `total`.
fn proportional(w: &[f64], total: f64) -> Vec<f64> {
    let s: f64 = w.iter().sum();
    let mut q: Vec<f64> = if s > 0.0 {
        w.iter().map(|x| x / s * total).collect()
    } else {
        twap(total, w.len())
    };
    fix_total(&mut q, total);
    q
}

/// Place `total` BTC on the bars opening at `bar_open_ms` (the window's bars, `bar_ms` long).
///
/// `profile` is the mean volume per hour of the week (168 values), used by `vwap` and `pov`; `extra`
/// is how many bars after the window a POV sale may run into.
pub fn place(
    spec: &ScheduleSpec,
    total: f64,
    bar_open_ms: &[i64],
    bar_ms: i64,
    profile: &[f64],
    extra: &[i64],
) -> Placed {
    let n = bar_open_ms.len();
    let hours = bar_ms as f64 / 3_600_000.0;
    let expected = |t: i64| {
        profile
            .get(hour_of_week(t) as usize)
            .copied()
            .unwrap_or(0.0)
            * hours
    };
    let done = |q: Vec<f64>, name: &str| Placed {
        qty_btc: q,
        name: name.into(),
        note: None,
    };
    match spec.kind.as_str() {
        "twap" => done(twap(total, n), "twap"),
        "block" => {
            let mut q = vec![0.0; n];
            q[0] = total;
            done(q, "block")
        }
        "front_loaded" => {
            // Linearly decreasing rate: bar k gets (2(n-k)-1)/n^2 of the block.
            let w: Vec<f64> = (0..n).map(|k| (2 * (n - k) - 1) as f64).collect();
            done(proportional(&w, total), "front_loaded")
        }
        "back_loaded" => {
            // Linearly increasing rate: the mirror of front_loaded.
            let w: Vec<f64> = (0..n).map(|k| (2 * k + 1) as f64).collect();
            done(proportional(&w, total), "back_loaded")
        }
        "vwap" if profile.len() == 168 => done(
            proportional(
                &bar_open_ms.iter().map(|&t| expected(t)).collect::<Vec<_>>(),
                total,
            ),
            "vwap",
        ),
        "pov" if profile.len() == 168 => {
            let rate = spec.participation.unwrap_or(0.1);
            let mut q = Vec::new();
            let mut left = total;
            for &t in bar_open_ms.iter().chain(extra) {
                if left <= 0.0 {
                    break;
                }
                let x = (rate * expected(t)).min(left);
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
            fix_total(&mut q, total);
            Placed {
                qty_btc: q,
                name: "pov".into(),
                note,
            }
        }
        "ac" => {
            // Almgren-Chriss optimal holdings x_j = X sinh(kappa (T - t_j)) / sinh(kappa T).
            let kt = spec.urgency.unwrap_or(2.0);
            let x = |j: usize| total * (kt * (1.0 - j as f64 / n as f64)).sinh() / kt.sinh();
            let mut q: Vec<f64> = (0..n).map(|j| x(j) - x(j + 1)).collect();
            fix_total(&mut q, total);
            done(q, "ac")
        }
        "ow" => {
            let rt = spec.rho_t.unwrap_or(8.0);
            let b = ow_optimal_blocks(total, rt, 1.0);
            let mut q = vec![b.continuous / n as f64; n];
            q[0] += b.start_block;
            q[n - 1] += b.end_block;
            fix_total(&mut q, total);
            done(q, "ow")
        }
        other => Placed {
            qty_btc: twap(total, n),
            name: "twap".into(),
            note: Some(format!(
                "schedule {other:?} is not available here: TWAP used instead"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> ScheduleSpec {
        ScheduleSpec {
            kind: kind.into(),
            participation: Some(0.1),
            urgency: None,
            rho_t: None,
        }
    }

    #[test]
    fn every_schedule_sums_to_the_block() {
        let t: Vec<i64> = (0..192).map(|k| 1_770_422_400_000 + k * 900_000).collect();
        let extra: Vec<i64> = (192..480)
            .map(|k| 1_770_422_400_000 + k * 900_000)
            .collect();
        let profile: Vec<f64> = (0..168).map(|h| 100.0 + h as f64).collect();
        for k in [
            "twap",
            "block",
            "front_loaded",
            "vwap",
            "pov",
            "ac",
            "ow",
            "nonsense",
        ] {
            let p = place(&spec(k), 4451.0, &t, 900_000, &profile, &extra);
            assert_eq!(p.qty_btc.iter().sum::<f64>(), 4451.0, "{k}");
            assert!(p.qty_btc.iter().all(|&x| x >= 0.0), "{k}");
        }
        assert!(place(&spec("nonsense"), 1.0, &t, 900_000, &profile, &extra)
            .note
            .unwrap()
            .contains("TWAP used instead"));
        let fl = place(&spec("front_loaded"), 1.0, &t, 900_000, &profile, &extra).qty_btc;
        assert!(fl[0] > fl[191]);
        let ow = place(&spec("ow"), 1.0, &t, 900_000, &profile, &extra).qty_btc;
        assert!((ow[0] - (0.1 + 0.8 / 192.0)).abs() < 1e-12);
    }
}
