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
    /// Set when the run differs from its scenario file.
    pub what_if: Option<WhatIf>,
    /// One entry per model, in scenario order.
    pub models: Vec<ModelResult>,
    /// Event study, footprint and schedule fit.
    pub attribution: AttributionSection,
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
    /// Schedule used (after fallbacks).
    pub schedule: String,
    /// Decay after the sale.
    pub decay: String,
    /// Dated events marked on charts.
    pub annotations: Vec<crate::scenario::Annotation>,
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
    /// The aggregate-impact calibration, when the scenario asks for one.
    pub calibration: Option<blocksale_impact::calibration::Calibration>,
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
    /// Time-weighted average price over the window (mean of bar typical prices), USD.
    pub window_twap_usd: f64,
    /// Sale size over window volume (share of the venue's volume the sale would have been).
    pub participation: f64,
    /// Set when a lit-market sale of this size on the price venue alone looks implausible.
    pub participation_flag: Option<String>,
    /// Returns after the window end: `+1h`, `+6h`, `+24h`, `+72h`.
    pub markouts: Vec<Markout>,
    /// First bar of the observed path.
    pub path_start: Timestamp,
    /// Last bar of the observed path.
    pub path_end: Timestamp,
}

/// The price some time after the window end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Markout {
    /// Hours after the window end.
    pub hours: i64,
    /// Close of the bar ending then, USD (null when the data end earlier).
    pub price_usd: Option<f64>,
    /// Log return from the arrival price.
    pub return_from_start: Option<f64>,
    /// Log return from the window close.
    pub return_from_end: Option<f64>,
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
    /// Same against the window TWAP, bps.
    pub shortfall_vs_twap_bps: f64,
    /// Same against the window's last close, bps.
    pub shortfall_vs_close_bps: f64,
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
    /// Arrival price moved by the average cost (a log-price move): `arrival * exp(side * cost)`,
    /// USD, never negative; `None` when it leaves the finite positive numbers (a warning says so).
    pub predicted_avg_price_usd: Option<f64>,
    /// The average cost on the notional at arrival: `size * arrival * cost`, USD (as `avg_cost_usd`
    /// of the sweep).
    pub drag_usd: f64,
    /// Predicted impact at the window end over |observed window log return|; null when the observed
    /// move went the other way (then the model says the price would have been higher still).
    pub share_of_observed_move: Option<f64>,
    /// Predicted impact at the window end, bps.
    pub impact_at_window_end_bps: f64,
    /// Detectability `z = I(T) / (sigma_daily sqrt(T_days))`; |z| < 1 is inside the noise.
    pub detectability_z: f64,
    /// Average execution cost with its parameter band, bps.
    pub avg_cost_band_bps: blocksale_impact::uncertainty::Band,
    /// Peak impact with its parameter band, bps.
    pub peak_band_bps: blocksale_impact::uncertainty::Band,
    /// Impact at the window end with parameter band and timing risk combined (95 %), bps: the
    /// range of observed moves consistent with the model.
    pub window_end_total_band_bps: blocksale_impact::uncertainty::Band,
    /// Where the parameters come from.
    pub param_source: String,
    /// The same model with sigma over the other days (all days when the models use weekend
    /// sigma, and the reverse), V unchanged: the sensitivity to pairing sigma with V's days.
    /// `None` for a model that ignores sigma (a per-BTC coefficient or a fitted scale) or when
    /// the other sigma cannot be measured.
    pub other_sigma_days: Option<SigmaSensitivity>,
    /// The range the model's parameters were validated on, the sale in its terms (`Q/V`,
    /// participation, horizon over the sale's own fills) and every bound the sale crosses; null
    /// when the model declares no range (docs/methods.md §31). A crossing also adds a warning.
    pub validity: Option<blocksale_impact::validity::ValidityCheck>,
    /// Caveats for this model.
    pub warnings: Vec<String>,
}

/// A run that differs from its scenario file (`--set`, `--size`, `--start`, `--end`): what
/// changed, so no reader takes it for the real event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// The scenario the run starts from (the real event): its name.
    pub base_scenario: String,
    /// The real event's description.
    pub base_description: String,
    /// Each overridden key with the scenario's value and the run's, in the order given.
    pub overrides: Vec<Override>,
    /// True when the trade itself changed (`size_btc`, `start`, `end` or `side`): the disclosure
    /// describes another sale, so the numbers derived from it (implied price, shortfalls, the
    /// schedule that best explains it, the share of the observed move) are left out.
    pub trade_changed: bool,
}

/// One overridden scenario key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    /// Dotted scenario key (`size_btc`, `schedule.kind`, `models.sqrt.y`).
    pub key: String,
    /// The scenario file's value (`(default)` when the file leaves it out).
    pub scenario_value: String,
    /// The run's value.
    pub run_value: String,
}

impl WhatIf {
    /// The keys that change the trade itself.
    pub const TRADE_KEYS: [&'static str; 4] = ["size_btc", "start", "end", "side"];

    /// "size_btc = 10000, end = 2026-02-08".
    pub fn changes(&self) -> String {
        self.overrides
            .iter()
            .map(|o| format!("{} = {}", o.key, o.run_value))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "What if size_btc = 10000, end = 2026-02-08? (from the real event: Cango weekend sale)".
    pub fn title(&self) -> String {
        format!(
            "What if {}? (from the real event: {})",
            self.changes(),
            if self.base_description.is_empty() {
                &self.base_scenario
            } else {
                &self.base_description
            }
        )
    }
}

/// A model's numbers with the other choice of days for sigma.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SigmaSensitivity {
    /// The days of that sigma: "all" or "weekend".
    pub sigma_days: &'static str,
    /// That sigma, daily fraction.
    pub sigma_daily: f64,
    /// Largest predicted impact with it, bps.
    pub peak_impact_bps: f64,
    /// Average execution cost with it, bps.
    pub avg_cost_bps: f64,
}

/// Event study, attribution and footprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionSection {
    /// Event study on the price venue's returns.
    pub event_study: EventStudy,
    /// Hourly volume and signed flow against their baselines, and the schedule that best explains
    /// the implied price.
    pub footprint: Footprint,
}

/// How the event study forms the expected (normal) return of each bar; the scenario key
/// `event_study.expected_return` (see the `event_study` module for why the default is
/// [`MarketAdjusted`](Self::MarketAdjusted)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedReturnModel {
    /// Zero expected return, the market-adjusted model with BTC as its own market whose expected
    /// return per bar is 0: `AR_t = R_t`, `Var(CAR) = L2 sigma^2` (MacKinlay 1997, section 4.3;
    /// Brown & Warner 1985). The default.
    MarketAdjusted,
    /// The mean of the estimation returns: `AR_t = R_t - mu`, `Var(CAR) = L2 sigma^2 (1 + L2/L1)`
    /// (MacKinlay 1997, eq. 7-14).
    ConstantMean,
}

impl ExpectedReturnModel {
    /// Every model, the default first.
    pub const ALL: [Self; 2] = [Self::MarketAdjusted, Self::ConstantMean];

    /// The scenario and JSON key (`market_adjusted`, `constant_mean`).
    pub fn key(self) -> &'static str {
        match self {
            Self::MarketAdjusted => "market_adjusted",
            Self::ConstantMean => "constant_mean",
        }
    }

    /// The model of a scenario key, `None` for an unknown one.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Words for reports: `market-adjusted (zero expected return)`, `constant mean`.
    pub fn label(self) -> &'static str {
        match self {
            Self::MarketAdjusted => "market-adjusted (zero expected return)",
            Self::ConstantMean => "constant mean",
        }
    }

    /// The other model, the one reported beside the chosen one.
    pub fn other(self) -> Self {
        match self {
            Self::MarketAdjusted => Self::ConstantMean,
            Self::ConstantMean => Self::MarketAdjusted,
        }
    }
}

/// The event study's headline statistics under the model not chosen
/// ([`ExpectedReturnModel::other`]), same windows and returns, so a reader sees both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OtherModelTest {
    /// The model these statistics use.
    pub expected_return_model: ExpectedReturnModel,
    /// Its expected log return per bar (0 for the market-adjusted model, `mu` for the constant mean).
    pub expected_return_per_bar: f64,
    /// Cumulative abnormal log return over the sale window under this model.
    pub car: f64,
    /// `sqrt(Var(CAR))` under this model, log return.
    pub car_sd: f64,
    /// `J = CAR / car_sd`.
    pub j_stat: f64,
    /// Two-sided p-value of J under the normal.
    pub p_value: f64,
    /// `J_e`, J with the event window's own variance under this model.
    pub j_stat_event_variance: f64,
    /// Two-sided Student-t p-value of `J_e`.
    pub p_value_event_variance: f64,
}

/// MacKinlay (1997) event study of the sale window (see the `event_study` module for the
/// formulas). Returns are log returns per event-study bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventStudy {
    /// The expected-return model of `car`, `j_stat` and the other headline statistics.
    pub expected_return_model: ExpectedReturnModel,
    /// Bar size of the returns, seconds.
    pub bar_seconds: i64,
    /// Estimation window start (inclusive).
    pub estimation_start: Timestamp,
    /// Estimation window end (exclusive).
    pub estimation_end: Timestamp,
    /// Returns in the estimation window (L1).
    pub estimation_n: usize,
    /// Mean log return per bar in the estimation window (`mu`).
    pub mean_return_per_bar: f64,
    /// Standard deviation of log returns per bar in the estimation window (`sigma`, divisor L1 - 1).
    pub sd_return_per_bar: f64,
    /// Returns in the event (sale) window (L2).
    pub event_n: usize,
    /// Cumulative abnormal log return over the sale window.
    pub car: f64,
    /// `Var(CAR) / (L2 sigma^2)`: 1 for the market-adjusted model; `1 + L2/L1` for the constant
    /// mean, whose estimated mean adds `L2^2 sigma^2 / L1`.
    pub car_variance_factor: f64,
    /// Standard deviation of the CAR without an event, `sigma sqrt(L2 car_variance_factor)`, log
    /// return.
    pub car_sd: f64,
    /// `J = CAR / car_sd`.
    pub j_stat: f64,
    /// Two-sided p-value of J under the normal.
    pub p_value: f64,
    /// Standard deviation of the log returns per bar inside the sale window (`s_e`, divisor L2 - 1).
    pub event_sd_return_per_bar: f64,
    /// `s_e / sigma`: above 1 when the window was more volatile than the estimation window, which
    /// inflates |J|.
    pub sd_ratio_event_to_estimation: f64,
    /// J with the event window's own variance: `J_e = CAR / sqrt(L2 s_e^2)` for the
    /// market-adjusted model (the one-sample t of the window's mean return against 0),
    /// `CAR / sqrt(L2 s_e^2 + L2^2 sigma^2 / L1)` for the constant mean (Welch's unequal-variance
    /// t against `mu`).
    pub j_stat_event_variance: f64,
    /// Degrees of freedom of `J_e`: `L2 - 1` for the market-adjusted model, Welch-Satterthwaite
    /// for the constant mean.
    pub df_event_variance: f64,
    /// Two-sided p-value of `J_e` under Student's t with `df_event_variance` degrees of freedom.
    pub p_value_event_variance: f64,
    /// CAR from the window start to each markout (+1h .. +72h after the end).
    pub car_markouts: Vec<(i64, Option<f64>)>,
    /// CAR, J and p under the other expected-return model, for comparison.
    pub other_model: OtherModelTest,
}

impl EventStudy {
    /// Expected log return per event-study bar under the model.
    pub fn expected_return_per_bar(&self) -> f64 {
        self.expected_return_model
            .expected_return_per_bar(self.mean_return_per_bar)
    }

    /// Standard deviation of the CAR over the first `bars` event-study bars after the window start
    /// when nothing happens, log return: `sigma sqrt(bars)` for the market-adjusted model,
    /// `sigma sqrt(bars (1 + bars/L1))` for the constant mean.
    pub fn car_sd_after_bars(&self, bars: f64) -> f64 {
        let k = bars.max(0.0);
        let factor = self
            .expected_return_model
            .car_variance_factor(k, self.estimation_n as f64);
        self.sd_return_per_bar * (k * factor).sqrt()
    }

    /// Whether the two expected-return models tell materially different stories: their J
    /// statistics differ by more than 1. This covers every case of opposite signs where one J is
    /// significant at 5 % (|J| > 1.96); opposite signs of two J near 0, both noise, do not count.
    /// Reports then print the other model's figures beside the chosen one's.
    pub fn models_disagree(&self) -> bool {
        (self.j_stat - self.other_model.j_stat).abs() > 1.0
    }
}

/// Volume and flow footprint of the sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footprint {
    /// Weeks of history behind the hour-of-week baseline.
    pub baseline_weeks: u32,
    /// Hours of the window with volume significantly above the baseline (z > 2).
    pub excess_hours: Vec<ExcessHour>,
    /// Window volume above the baseline mean, summed over all window hours, BTC.
    pub window_excess_volume_btc: f64,
    /// Expected window volume from the baseline, BTC.
    pub window_baseline_volume_btc: f64,
    /// Signed taker flow in the window against its baseline, when a flow venue is given.
    pub signed_flow: Option<SignedFlow>,
    /// Average price each candidate schedule would have got on the observed path, against the
    /// implied price; sorted best first.
    pub schedule_fit: Vec<ScheduleFit>,
    /// The candidate closest to the implied price (null without a disclosure).
    pub best_schedule: Option<String>,
}

/// One hour of excess volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcessHour {
    /// Hour start.
    pub time: Timestamp,
    /// Volume, BTC.
    pub volume_btc: f64,
    /// Baseline mean for that hour of the week, BTC.
    pub baseline_btc: f64,
    /// z-score against the baseline weeks.
    pub z: f64,
}

/// Signed taker flow `sum(2 taker_buy - volume)` over the window against the same hours of earlier weeks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignedFlow {
    /// Venue label.
    pub venue: String,
    /// Signed flow in the window, BTC (negative: net taker selling).
    pub window_btc: f64,
    /// Mean over the baseline weeks' same hours, BTC.
    pub baseline_mean_btc: f64,
    /// Standard deviation over the baseline weeks, BTC.
    pub baseline_sd_btc: f64,
    /// z-score.
    pub z: f64,
    /// Baseline weeks with full coverage.
    pub weeks: usize,
}

/// A candidate schedule's average price on the observed path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleFit {
    /// Candidate name.
    pub schedule: String,
    /// Quantity-weighted typical price, USD.
    pub avg_price_usd: f64,
    /// Implied price minus this, in bps of this (null without a disclosure).
    pub implied_minus_schedule_bps: Option<f64>,
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
    /// Per model: counterfactual close without the sale, `close * exp(-side * I)`, USD; NaN (an
    /// empty cell, null in JSON) where that leaves the positive finite numbers ([`price_or_nan`]).
    pub counterfactual_close_usd: Vec<f64>,
    /// Per model: lower edge of the parameter band of the impact, bps.
    pub impact_low_bps: Vec<f64>,
    /// Per model: upper edge of the parameter band of the impact, bps.
    pub impact_high_bps: Vec<f64>,
    /// Cumulative abnormal log return since the window start (0 before), from the event study's mean.
    pub car_from_start: f64,
}

/// A price as outputs carry it: `x` when finite and > 0, else NaN (an empty CSV cell, null in
/// JSON), so no output shows a zero, negative or infinite price (an impact of hundreds of log
/// units moves `close * exp(-side * I)` out of range).
pub fn price_or_nan(x: f64) -> f64 {
    if is_price(x) {
        x
    } else {
        f64::NAN
    }
}

/// True when `x` can stand in an output as a price: finite and > 0 (the rule behind
/// [`price_or_nan`] and the predicted average price's `None`).
pub fn is_price(x: f64) -> bool {
    x.is_finite() && x > 0.0
}
