//! Inputs and outputs shared by every impact model.

use crate::error::{non_negative, positive};
use crate::ImpactError;
use serde::Serialize;

/// Market conditions at the start of the sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MarketInputs {
    /// Daily volatility of log returns (0.03 = 3 %/day).
    pub sigma_daily: f64,
    /// Average daily volume in BTC on the venues the sale is assumed to hit.
    pub adv_btc: f64,
}

impl MarketInputs {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`ImpactError::Param`] unless both values are finite and > 0.
    pub fn new_checked(sigma_daily: f64, adv_btc: f64) -> Result<Self, ImpactError> {
        Ok(Self {
            sigma_daily: positive("sigma_daily", sigma_daily)?,
            adv_btc: positive("adv_btc", adv_btc)?,
        })
    }
}

/// A sale laid out on a bar grid: bar `k` spans `[t_days[k], t_days[k+1])` and sells `qty_btc[k]`.
///
/// Times are in days since the start of the sale. Bars after the sale carry zero quantity, so the
/// same grid shows the build-up and what happens after.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionGrid {
    t_days: Vec<f64>,
    qty_btc: Vec<f64>,
}

impl ExecutionGrid {
    /// Checked constructor: `t_days` has one more entry than `qty_btc`, starts at 0 and increases;
    /// quantities are finite and >= 0.
    ///
    /// # Errors
    /// [`ImpactError::Input`] or [`ImpactError::Param`] when a condition fails.
    pub fn new_checked(t_days: Vec<f64>, qty_btc: Vec<f64>) -> Result<Self, ImpactError> {
        if t_days.len() != qty_btc.len() + 1 {
            return Err(ImpactError::Input(format!(
                "a grid of {} bars needs {} boundaries, got {}",
                qty_btc.len(),
                qty_btc.len() + 1,
                t_days.len()
            )));
        }
        if qty_btc.is_empty() {
            return Err(ImpactError::Input("the execution grid has no bars".into()));
        }
        if t_days
            .windows(2)
            .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
            || !t_days.iter().all(|t| t.is_finite())
        {
            return Err(ImpactError::Input(
                "grid times must be finite and strictly increasing".into(),
            ));
        }
        for &q in &qty_btc {
            non_negative("quantity per bar (BTC)", q)?;
        }
        Ok(Self { t_days, qty_btc })
    }

    /// `n_bars` equal bars spanning `span_days`; `qty_btc` is padded with zeros to `n_bars`.
    ///
    /// # Errors
    /// As [`ExecutionGrid::new_checked`], and when `qty_btc` is longer than `n_bars`.
    pub fn uniform(
        mut qty_btc: Vec<f64>,
        n_bars: usize,
        span_days: f64,
    ) -> Result<Self, ImpactError> {
        if qty_btc.len() > n_bars {
            return Err(ImpactError::Input(format!(
                "{} quantities for {n_bars} bars",
                qty_btc.len()
            )));
        }
        positive("grid span (days)", span_days)?;
        qty_btc.resize(n_bars, 0.0);
        let dt = span_days / n_bars as f64;
        let t = (0..=n_bars).map(|k| k as f64 * dt).collect();
        Self::new_checked(t, qty_btc)
    }

    /// Bar boundaries in days since the sale start (`len() + 1` values).
    pub fn t_days(&self) -> &[f64] {
        &self.t_days
    }
    /// Quantity sold in each bar, BTC.
    pub fn qty_btc(&self) -> &[f64] {
        &self.qty_btc
    }
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.qty_btc.len()
    }
    /// Always false: a grid has at least one bar.
    pub fn is_empty(&self) -> bool {
        self.qty_btc.is_empty()
    }
    /// Total quantity, BTC.
    pub fn total_btc(&self) -> f64 {
        self.qty_btc.iter().sum()
    }
    /// Cumulative quantity sold at the end of each bar.
    pub fn cumulative_btc(&self) -> Vec<f64> {
        let mut acc = 0.0;
        self.qty_btc
            .iter()
            .map(|q| {
                acc += q;
                acc
            })
            .collect()
    }
    /// Bar lengths in days.
    pub fn dt_days(&self) -> Vec<f64> {
        self.t_days.windows(2).map(|w| w[1] - w[0]).collect()
    }
    /// Index of the last bar with a non-zero quantity (the end of the sale), if any.
    pub fn last_trade_bar(&self) -> Option<usize> {
        self.qty_btc.iter().rposition(|&q| q > 0.0)
    }

    /// Days from the start of the first bar with a fill to the end of the last: how long the sale
    /// runs (one bar for a block). `0` when nothing is sold.
    pub fn execution_days(&self) -> f64 {
        match (
            self.qty_btc.iter().position(|&q| q > 0.0),
            self.last_trade_bar(),
        ) {
            (Some(first), Some(last)) => self.t_days[last + 1] - self.t_days[first],
            _ => 0.0,
        }
    }
}

/// What a model predicts for one sale on one grid. All impacts are fractions (0.01 = 100 bp).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactPath {
    /// Impact at the end of each bar of the grid.
    pub impact: Vec<f64>,
    /// Largest impact reached.
    pub peak: f64,
    /// Quantity-weighted average impact paid by the fills: the execution cost against the arrival price.
    pub avg_cost: f64,
    /// Long-run impact (t -> infinity) under the model's decay assumption: the end-of-sale impact
    /// for [`crate::models::Decay::Permanent`], 0 for full decay, the plateau otherwise.
    pub permanent: f64,
}

impl ImpactPath {
    /// Build from the per-bar impacts and the average cost; the peak follows and the permanent part
    /// is the last value (no decay beyond the grid).
    pub fn from_impacts(impact: Vec<f64>, avg_cost: f64) -> Self {
        let permanent = impact.last().copied().unwrap_or(0.0);
        Self::new(impact, avg_cost, permanent)
    }

    /// Build from the per-bar impacts, the average cost and the long-run level; the peak follows.
    pub fn new(impact: Vec<f64>, avg_cost: f64, permanent: f64) -> Self {
        let peak = impact.iter().copied().fold(0.0, f64::max);
        Self {
            impact,
            peak,
            avg_cost,
            permanent,
        }
    }

    /// Impact at the end of each bar in basis points.
    pub fn impact_bps(&self) -> Vec<f64> {
        self.impact.iter().map(|x| x * 1e4).collect()
    }
}
