//! One (duration, model) column of a sweep: the central values and the parameter band at every
//! size, scaled from three evaluations where the model is homogeneous in the size (see the
//! module docs of [`super`]), and the column's inverse query ([`super::inverse`]).

use super::grid::Layout;
use super::inverse;
use crate::scenario::ScheduleSpec;
use crate::BacktestError;
use blocksale_impact::models::{BuiltModel, ParamBand};
use blocksale_impact::schedules::VolumeProfile;
use blocksale_impact::uncertainty::Spread;
use blocksale_impact::{ExecutionGrid, ImpactModel, MarketInputs};

/// Relative tolerance of the homogeneity check.
pub const SCALING_REL_TOL: f64 = 1e-9;

/// Cost, peak and long-run impact of one sale (fractions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Eval {
    pub(super) cost: f64,
    pub(super) peak: f64,
    pub(super) permanent: f64,
}

impl Eval {
    pub(super) fn of(m: &dyn ImpactModel, grid: &ExecutionGrid, inputs: &MarketInputs) -> Self {
        let p = m.path(grid, inputs);
        Self {
            cost: p.avg_cost,
            peak: p.peak,
            permanent: p.permanent,
        }
    }

    /// `m` at size `q` in column `c`: the model's closed form when the schedule sells at a
    /// constant rate on this grid and the model has one, else the grid path.
    pub(super) fn at(
        m: &dyn ImpactModel,
        c: &ColumnInput<'_>,
        q: f64,
    ) -> Result<Self, BacktestError> {
        if let Some(days) = c.constant_days {
            if let Some(cf) = m.constant_rate(q, days, c.inputs) {
                return Ok(Self {
                    cost: cf.avg_cost,
                    peak: cf.peak,
                    permanent: cf.permanent,
                });
            }
        }
        Ok(Self::of(
            m,
            &c.layout.grid(c.schedule, q, c.profile)?,
            c.inputs,
        ))
    }

    fn scaled(self, ratio: f64, k: f64) -> Self {
        let f = ratio.powf(k);
        Self {
            cost: self.cost * f,
            peak: self.peak * f,
            permanent: self.permanent * f,
        }
    }
}

/// One cell of a column: central values and the parameter band.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cell {
    pub(super) central: Eval,
    pub(super) cost_low: f64,
    pub(super) cost_high: f64,
    pub(super) peak_low: f64,
    pub(super) peak_high: f64,
}

/// One (duration, model) column.
#[derive(Debug)]
pub(super) struct Column {
    pub(super) cells: Vec<Cell>,
    /// Size exponent of the central model when the shortcut applied.
    pub(super) exponent: Option<f64>,
    /// Inverse query: (size, cost) and evaluations.
    pub(super) inverse: Option<(Option<(f64, f64)>, usize)>,
}

pub(super) struct ColumnInput<'a> {
    pub(super) schedule: &'a ScheduleSpec,
    pub(super) layout: &'a Layout,
    pub(super) profile: Option<&'a VolumeProfile>,
    pub(super) inputs: &'a MarketInputs,
    pub(super) built: &'a BuiltModel,
    pub(super) sizes: &'a [f64],
    pub(super) max_cost: Option<f64>,
    pub(super) allow_scaling: bool,
    /// Length of the sale, days, when the schedule sells at a constant rate on this grid (a TWAP
    /// over the window, a block in its first bar): models with a closed form use it.
    pub(super) constant_days: Option<f64>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= SCALING_REL_TOL * a.abs().max(b.abs())
}

/// Values of `m` at every size: scaled from three evaluations when `m` is homogeneous in the size
/// on this grid, else evaluated at each size. Returns the values and the exponent if scaled.
fn component(
    m: &dyn ImpactModel,
    c: &ColumnInput<'_>,
) -> Result<(Vec<Eval>, Option<f64>), BacktestError> {
    let eval = |q: f64| Eval::at(m, c, q);
    let n = c.sizes.len();
    if c.allow_scaling && n >= 3 {
        let (ia, im, ib) = (0, n / 2, n - 1);
        let (qa, qm, qb) = (c.sizes[ia], c.sizes[im], c.sizes[ib]);
        let (ea, em, eb) = (eval(qa)?, eval(qm)?, eval(qb)?);
        if ea.cost > 0.0 && eb.cost > 0.0 {
            let k = (eb.cost / ea.cost).ln() / (qb / qa).ln();
            let fits = |e: Eval, q: f64| {
                let p = ea.scaled(q / qa, k);
                close(p.cost, e.cost) && close(p.peak, e.peak) && close(p.permanent, e.permanent)
            };
            if k.is_finite() && fits(em, qm) && fits(eb, qb) {
                let mut v: Vec<Eval> = c.sizes.iter().map(|&q| ea.scaled(q / qa, k)).collect();
                (v[ia], v[im], v[ib]) = (ea, em, eb);
                return Ok((v, Some(k)));
            }
        }
        let mut v = Vec::with_capacity(n);
        for (i, &q) in c.sizes.iter().enumerate() {
            v.push(match i {
                _ if i == ia => ea,
                _ if i == im => em,
                _ if i == ib => eb,
                _ => eval(q)?,
            });
        }
        return Ok((v, None));
    }
    Ok((
        c.sizes.iter().map(|&q| eval(q)).collect::<Result<_, _>>()?,
        None,
    ))
}

pub(super) fn column(c: &ColumnInput<'_>) -> Result<Column, BacktestError> {
    let b = c.built;
    let (central, exponent) = component(b.model.as_ref(), c)?;
    let mut cells: Vec<Cell> = central
        .iter()
        .map(|e| Cell {
            central: *e,
            cost_low: e.cost,
            cost_high: e.cost,
            peak_low: e.peak,
            peak_high: e.peak,
        })
        .collect();
    match &b.band {
        ParamBand::None => {}
        ParamBand::Corners(alts) | ParamBand::Draws(alts) => {
            let spread = match b.band {
                ParamBand::Draws(_) => Spread::Percentile95,
                _ => Spread::Envelope,
            };
            let evals = alts
                .iter()
                .map(|a| component(a.as_ref(), c).map(|(v, _)| v))
                .collect::<Result<Vec<_>, _>>()?;
            let mut buf = Vec::with_capacity(evals.len());
            for (i, cell) in cells.iter_mut().enumerate() {
                buf.clear();
                buf.extend(evals.iter().map(|v| v[i].cost));
                let cost = spread.band(cell.central.cost, &mut buf);
                buf.clear();
                buf.extend(evals.iter().map(|v| v[i].peak));
                let peak = spread.band(cell.central.peak, &mut buf);
                (cell.cost_low, cell.cost_high) = (cost.low, cost.high);
                (cell.peak_low, cell.peak_high) = (peak.low, peak.high);
            }
        }
        &ParamBand::Prefactor(lo, hi) => {
            for cell in &mut cells {
                let e = cell.central;
                (cell.cost_low, cell.cost_high) = (e.cost * lo, e.cost * hi);
                (cell.peak_low, cell.peak_high) = (e.peak * lo, e.peak * hi);
            }
        }
    }
    let inverse = match c.max_cost {
        None => None,
        Some(limit) => Some(inverse::max_size(c, &central, exponent, limit)?),
    };
    Ok(Column {
        cells,
        exponent,
        inverse,
    })
}
