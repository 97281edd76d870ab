//! The inverse query of a sweep: the largest size whose average cost stays within a limit.
//!
//! # Inverse query
//! Every model here has an average cost that increases with the size (impact is monotone in the
//! quantity sold and the schedules scale with the block). For each duration and model the forward
//! grid brackets the crossing of the cost limit, and a bisection on the logarithm of the size
//! narrows it to a relative width of [`INVERSE_REL_TOL`] (for a column that scales as `Q^k` the
//! bracket starts at the closed form `Q_0 (X / c_0)^(1/k)`, +/- 1e-6); the reported size is the
//! lower end of the final bracket, evaluated directly, so its cost is within the limit.

use super::column::{ColumnInput, Eval};
use crate::BacktestError;
use serde::Serialize;

/// Relative width of the final bracket of the inverse query.
pub const INVERSE_REL_TOL: f64 = 1e-6;
/// The inverse query never looks beyond this size: the 21 million BTC that will ever exist.
pub const MAX_SEARCH_BTC: f64 = 21e6;
/// Nor below this one.
pub const MIN_SEARCH_BTC: f64 = 1e-6;

/// The inverse query for one duration and model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxSizeRow {
    /// Duration used, seconds.
    pub duration_seconds: i64,
    /// Duration label.
    pub duration: String,
    /// Model name.
    pub model: String,
    /// Cost limit, bps.
    pub max_cost_bps: f64,
    /// Largest size whose average cost is within the limit, BTC; `None` when even
    /// [`MAX_SEARCH_BTC`] stays within it.
    pub max_size_btc: Option<f64>,
    /// That size at the arrival price, USD.
    pub max_size_usd: Option<f64>,
    /// Average cost at `max_size_btc`, bps.
    pub avg_cost_at_max_bps: Option<f64>,
    /// Model evaluations the search used.
    pub evaluations: usize,
}

/// The inverse query of one column: the largest size within `limit` (a fraction) and the model
/// evaluations it used. `central` holds the column's central values at `c.sizes`; `exponent` is
/// their size exponent when they scale as a power of the size.
///
/// # Errors
/// Whatever evaluating the model on a grid returns.
pub(super) fn max_size(
    c: &ColumnInput<'_>,
    central: &[Eval],
    exponent: Option<f64>,
    limit: f64,
) -> Result<(Option<(f64, f64)>, usize), BacktestError> {
    let evals = std::cell::Cell::new(0usize);
    let cost = |q: f64| -> Result<f64, BacktestError> {
        evals.set(evals.get() + 1);
        Ok(Eval::at(c.built.model.as_ref(), c, q)?.cost)
    };
    let on_grid = || -> Vec<(f64, f64)> {
        c.sizes
            .iter()
            .zip(central)
            .map(|(&q, e)| (q, e.cost))
            .collect()
    };
    // Bracket from the closed form when the cost is a power of the size, else the grid.
    let known: Vec<(f64, f64)> = match exponent {
        Some(k) if k > 0.0 => {
            let guess = c.sizes[0] * (limit / central[0].cost).powf(1.0 / k);
            if guess.is_finite() && guess > MIN_SEARCH_BTC && guess < MAX_SEARCH_BTC {
                let (lo, hi) = (guess * (1.0 - 1e-6), guess * (1.0 + 1e-6));
                vec![(lo, cost(lo)?), (hi, cost(hi)?)]
            } else {
                on_grid()
            }
        }
        _ => on_grid(),
    };
    let (found, _) = largest_within(&cost, limit, &known)?;
    Ok((found, evals.get()))
}

/// Largest size whose `cost` is within `limit`, for a cost increasing in size. `known` holds
/// `(size, cost)` pairs already evaluated, ascending in size, used to bracket the crossing.
///
/// Returns `(size, cost at size)` (`None` when the cost stays within the limit up to
/// [`MAX_SEARCH_BTC`]) and the number of new evaluations.
///
/// # Errors
/// Whatever `cost` returns.
pub(crate) fn largest_within(
    cost: &dyn Fn(f64) -> Result<f64, BacktestError>,
    limit: f64,
    known: &[(f64, f64)],
) -> Result<(Option<(f64, f64)>, usize), BacktestError> {
    let mut evals = 0;
    let mut eval = |q: f64| {
        evals += 1;
        cost(q)
    };
    // Bracket: lo within the limit, hi beyond it.
    let first_over = known.iter().position(|&(_, c)| c > limit);
    let (mut lo, mut hi): ((f64, f64), f64) = match first_over {
        Some(0) => {
            let mut hi = known[0].0;
            let mut lo = None;
            while hi > MIN_SEARCH_BTC {
                let q = (hi / 4.0).max(MIN_SEARCH_BTC);
                let c = eval(q)?;
                if c <= limit {
                    lo = Some((q, c));
                    break;
                }
                hi = q;
            }
            match lo {
                Some(l) => (l, hi),
                // Even the smallest size costs more than the limit.
                None => return Ok((Some((0.0, 0.0)), evals)),
            }
        }
        Some(i) => (known[i - 1], known[i].0),
        None => {
            let mut lo = *known.last().expect("at least one size");
            loop {
                if lo.0 >= MAX_SEARCH_BTC {
                    return Ok((None, evals));
                }
                let q = (lo.0 * 4.0).min(MAX_SEARCH_BTC);
                let c = eval(q)?;
                if c > limit {
                    break (lo, q);
                }
                lo = (q, c);
            }
        }
    };
    while hi / lo.0 - 1.0 > INVERSE_REL_TOL {
        let mid = (lo.0 * hi).sqrt();
        let c = eval(mid)?;
        if c <= limit {
            lo = (mid, c);
        } else {
            hi = mid;
        }
    }
    Ok((Some(lo), evals))
}

#[cfg(test)]
mod tests {
    use crate::sweep::sweep;
    use crate::sweep::tests::{input, setup};

    #[test]
    fn inverse_query_agrees_with_the_forward_grid() {
        let (s, src) = setup();
        let inp = input(&s, &src);
        let r = sweep(&inp, None).unwrap();
        assert_eq!(r.max_size.len(), r.durations.len() * r.models.len());
        let limit = 50.0;
        for (k, m) in r.max_size.iter().enumerate() {
            let (d, mi) = (k / r.models.len(), k % r.models.len());
            assert_eq!(
                (m.model.as_str(), m.duration_seconds),
                (r.models[mi].name.as_str(), r.durations[d].duration_seconds)
            );
            let q = m.max_size_btc.expect("a finite max size");
            assert!(m.avg_cost_at_max_bps.unwrap() <= limit);
            for qi in 0..r.sizes_btc.len() {
                let c = r.cell(qi, d, mi);
                if c.size_btc <= q {
                    assert!(c.avg_cost_bps <= limit, "{m:?} {c:?}");
                } else {
                    assert!(c.avg_cost_bps > limit, "{m:?} {c:?}");
                }
            }
            // Just above the answer the cost is over the limit; at it, within.
            let mut again = inp.clone();
            again.sizes_btc = vec![q, q * (1.0 + 1e-5)];
            again.durations_seconds = vec![r.durations[d].duration_seconds];
            again.max_cost_bps = None;
            let r2 = sweep(&again, None).unwrap();
            assert!(r2.cell(0, 0, mi).avg_cost_bps <= limit);
            assert!(r2.cell(1, 0, mi).avg_cost_bps > limit, "{m:?}");
        }
        // Square root with TWAP: cost ~ sqrt(Q), so Q* = Q0 (X / c0)^2.
        for d in 0..r.durations.len() {
            let c0 = r.cell(0, d, 0);
            let expect = c0.size_btc * (limit / c0.avg_cost_bps).powi(2);
            let got = r.max_size[d * r.models.len()].max_size_btc.unwrap();
            assert!((got / expect - 1.0).abs() < 2e-6, "{got} vs {expect}");
        }
    }

    #[test]
    fn inverse_query_outside_the_grid() {
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![86_400];
        // A limit so low that even the smallest grid size exceeds it, and one never reached.
        inp.max_cost_bps = Some(0.01);
        let r = sweep(&inp, None).unwrap();
        for m in &r.max_size {
            let q = m.max_size_btc.unwrap();
            assert!(q < 250.0 && q > 0.0, "{m:?}");
            assert!(m.avg_cost_at_max_bps.unwrap() <= 0.01);
        }
        inp.max_cost_bps = Some(1e9);
        let r = sweep(&inp, None).unwrap();
        assert!(r.max_size.iter().all(|m| m.max_size_btc.is_none()));
    }
}
