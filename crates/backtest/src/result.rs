//! The result document: a contract for scripts and notebooks (field names carry units).

use crate::MarketState;
use blocksale_core::{Side, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the result document layout. Bump on any rename or removal; additions keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything the backtest measured and predicted. Serialises to `result.json`; the per-bar
/// table [`BacktestResult::paths`] goes to `paths.csv` instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestResult {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The sale as analysed (after flag overrides).
    pub scenario: ScenarioSection,
    /// Market state before the sale, with the data files it came from.
    pub market: MarketSection,
    /// What the market did.
    pub observed: ObservedSection,
    /// What the disclosure implies, when proceeds were disclosed.
    pub implied: Option<ImpliedSection>,
    /// One entry per model, in scenario order.
    pub models: Vec<ModelResult>,
    /// Price levels drawn on charts.
    pub reference_levels: Vec<crate::ReferenceLevel>,
    /// Caveats a reader must see next to the numbers.
    pub notes: Vec<String>,
    /// Per-bar observed and counterfactual paths (written to `paths.csv`, not to JSON).
    #[serde(skip)]
    pub paths: Vec<PathRow>,
}

/// The sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSection {
    /// Scenario name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Sell or buy.
    pub side: Side,
    /// Block size, BTC.
    pub size_btc: f64,
    /// Window start (inclusive).
    pub start: Timestamp,
    /// Window end (exclusive).
    pub end: Timestamp,
    /// Window length, days.
    pub duration_days: f64,
    /// Disclosed proceeds, USD.
    pub disclosed_proceeds_usd: Option<f64>,
    /// Settlement asset.
    pub settlement: Option<String>,
    /// Sources of the disclosure.
    pub sources: Vec<String>,
}

/// Market state plus provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketSection {
    /// The measured state.
    #[serde(flatten)]
    pub state: MarketState,
    /// Data files read, relative to the data directory.
    pub data_files: Vec<String>,
    /// Bar size of the data, seconds.
    pub bar_seconds: i64,
}

/// The observed path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedSection {
    /// First open of the window (the arrival price), USD.
    pub price_start_usd: f64,
    /// Last close of the window, USD.
    pub price_end_usd: f64,
    /// Log return over the window, `ln(end/start)`.
    pub return_window: f64,
    /// Lowest low of the whole observed path (context before and after included), USD.
    pub min_price_usd: f64,
    /// Open time of the bar with that low.
    pub min_price_time: Timestamp,
    /// Lowest low inside the sale window, USD.
    pub window_min_price_usd: f64,
    /// Open time of the bar with the window low.
    pub window_min_price_time: Timestamp,
    /// Highest high inside the sale window, USD.
    pub window_max_price_usd: f64,
    /// Volume-weighted average price over the window, USD.
    pub window_vwap_usd: f64,
    /// How the VWAP was formed: "quote_volume/volume" or "typical_price" ((H+L+C)/3 weights).
    pub window_vwap_method: String,
    /// Volume traded in the window on the data's venue, BTC.
    pub window_volume_btc: f64,
    /// Sale size over window volume (share of the venue's volume the sale would have been).
    pub participation: f64,
    /// First bar of the observed path.
    pub path_start: Timestamp,
    /// Last bar of the observed path.
    pub path_end: Timestamp,
}

/// Implied execution from the disclosure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpliedSection {
    /// Proceeds / size, USD per BTC.
    pub avg_price_usd: f64,
    /// `(arrival - implied) / arrival` for a sale (positive = sold below arrival), bps.
    pub shortfall_vs_arrival_bps: f64,
    /// Same against the window VWAP, bps.
    pub shortfall_vs_vwap_bps: f64,
    /// Shortfall against arrival in USD (`size * (arrival - implied)` for a sale).
    pub shortfall_vs_arrival_usd: f64,
}

/// One model's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelResult {
    /// Model name.
    pub name: String,
    /// Parameters.
    pub params: BTreeMap<String, f64>,
    /// Largest predicted impact, bps.
    pub peak_impact_bps: f64,
    /// Impact left at the end of the observed path, bps.
    pub permanent_impact_bps: f64,
    /// Average execution cost of the fills against arrival, bps.
    pub avg_cost_bps: f64,
    /// Arrival price moved by the average cost, USD.
    pub predicted_avg_price_usd: f64,
    /// Size * arrival * average cost, USD.
    pub drag_usd: f64,
    /// Predicted impact at the window end over |observed window log return|; null when the observed
    /// move went the other way (then the model says the price would have been higher still).
    pub share_of_observed_move: Option<f64>,
}

/// One bar of the observed path with each model's impact and counterfactual close.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRow {
    /// Bar open time.
    pub open_time: Timestamp,
    /// Open, USD.
    pub open: f64,
    /// High, USD.
    pub high: f64,
    /// Low, USD.
    pub low: f64,
    /// Close, USD.
    pub close: f64,
    /// Volume, BTC.
    pub volume: f64,
    /// True inside the sale window.
    pub in_window: bool,
    /// Cumulative BTC sold by the end of the bar under the schedule.
    pub sold_btc: f64,
    /// Per model (scenario order): impact at the bar close, bps.
    pub impact_bps: Vec<f64>,
    /// Per model: counterfactual close without the sale, `close * exp(+I)` for a sale, USD.
    pub counterfactual_close_usd: Vec<f64>,
}
