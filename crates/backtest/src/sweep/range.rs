//! Which sizes of each duration lie inside each model's declared range (docs/methods.md §31).
//!
//! A model declares the sales its parameters stand behind ([`ImpactModel::validity`](blocksale_impact::ImpactModel::validity):
//! `Q/V`, participation `Q/(V T)`, horizon). A sweep keeps every cell's numbers; beside them,
//! `sweep.json` says per duration and model which sizes are inside, so a map over size and duration
//! shows where the formula extrapolates. `T` is the sale's own length on the duration's grid (from
//! the first filled bar to the end of the last: the window for a TWAP, one bar for a block), as the
//! backtest measures it. A POV sale lasts longer the larger it is, so there each size is checked on
//! its own grid.

use super::grid::Layout;
use super::Prepared;
use crate::scenario::ScheduleSpec;
use crate::BacktestError;
use blocksale_impact::validity::{Interval, SaleShape};
use serde::Serialize;

/// The sizes of one duration inside one model's declared range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeRow {
    /// Duration (its grid's), seconds.
    pub duration_seconds: i64,
    /// Model, as named in the rows.
    pub model: String,
    /// What the range is (`premise bound [C]`, `calibration bins [C]`).
    pub basis: String,
    /// `T` of `Q/(V T)`, days: the sale's length on this duration's grid; null for a POV sale,
    /// whose length grows with its size.
    pub execution_days: Option<f64>,
    /// Sizes inside, BTC (`high` null: no upper bound), from the range in closed form; for a POV
    /// sale the smallest and largest of the sweep's sizes that are inside. Null when none is.
    pub inside_btc: Option<Interval>,
    /// How many of the sweep's sizes lie outside on this duration.
    pub sizes_outside: usize,
}

impl Prepared<'_> {
    /// One row per duration and model that declares a range, ordered by duration, then model.
    pub(super) fn declared_ranges(&self) -> Result<Vec<RangeRow>, BacktestError> {
        let schedule = &self.s.schedule;
        let pov = matches!(schedule, ScheduleSpec::Pov { .. });
        let start = self.s.start.as_millis();
        let mut rows = Vec::new();
        for d in &self.durations {
            let layout = Layout::new(start, d);
            let days_of = |q: f64| -> Result<f64, BacktestError> {
                Ok(layout
                    .grid(schedule, q, self.profile.as_ref())?
                    .execution_days())
            };
            // The length of every size's sale; a POV sale's per size.
            let days: Vec<f64> = if pov {
                self.sizes
                    .iter()
                    .map(|&q| days_of(q))
                    .collect::<Result<_, _>>()?
            } else {
                vec![match layout.constant_rate_days(schedule) {
                    Some(t) => t,
                    None => days_of(self.sizes[0])?,
                }]
            };
            for (m, built) in &self.models {
                let Some(range) = built.model.validity() else {
                    continue;
                };
                let v = built.model.validity_volume(&self.inputs);
                let (inside_btc, sizes_outside) = if pov {
                    let inside: Vec<f64> = self
                        .sizes
                        .iter()
                        .zip(&days)
                        .filter(|&(&q, &t)| range.contains(SaleShape::new(q, v, t)))
                        .map(|(&q, _)| q)
                        .collect();
                    let span = match (inside.first(), inside.last()) {
                        (Some(&lo), Some(&hi)) => Some(Interval::new(lo, hi)),
                        _ => None,
                    };
                    (span, self.sizes.len() - inside.len())
                } else {
                    let span = range.sizes_inside(v, days[0]);
                    let n_inside =
                        span.map_or(0, |i| self.sizes.iter().filter(|&&q| i.contains(q)).count());
                    (span, self.sizes.len() - n_inside)
                };
                rows.push(RangeRow {
                    duration_seconds: d.duration_seconds,
                    model: m.name.clone(),
                    basis: range.basis.clone(),
                    execution_days: (!pov).then(|| days[0]),
                    inside_btc,
                    sizes_outside,
                });
            }
        }
        Ok(rows)
    }
}
