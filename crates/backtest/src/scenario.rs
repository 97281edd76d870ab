//! The scenario: what was sold, when, on which data, and how to model it. A TOML file and CLI flags
//! build the same struct; [`Scenario::validate`] checks every range and names the key.

use crate::{BacktestError, ExpectedReturnModel};
use blocksale_core::{Side, Timestamp};
pub use blocksale_impact::models::{
    AthlSpec, ExpDecaySpec, KyleSpec, LinearSpec, ModelSpec, ParamSource, PowerSpec,
    SqrtPropagatorSpec, SqrtSpec,
};
pub use blocksale_impact::schedules::ScheduleSpec;
use blocksale_impact::{Decay, SpecError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A disclosed (or hypothetical) block sale and how to analyse it. Schema: `data/scenarios/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; also the default output folder `notebooks-exports/<name>/`.
    pub name: String,
    /// One-line description for titles and memos.
    #[serde(default)]
    pub description: String,
    /// Sell or buy.
    pub side: Side,
    /// Size of the block, BTC.
    pub size_btc: f64,
    /// Start of the sale window (UTC, inclusive).
    pub start: Timestamp,
    /// End of the sale window (UTC, exclusive).
    pub end: Timestamp,
    /// How the block is split over the window (default TWAP); an unknown kind is an error.
    #[serde(default)]
    pub schedule: ScheduleSpec,
    /// Disclosed proceeds (sale) or cost (purchase) in USD, if public.
    #[serde(default)]
    pub disclosed_proceeds_usd: Option<f64>,
    /// Asset the sale settled in (e.g. "USDT").
    #[serde(default)]
    pub settlement: Option<String>,
    /// Where the statements about the sale come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// How the disclosed facts were established: net or gross amount, how certain the window is,
    /// currency conversion, dated sources with URLs (optional; the events catalog sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<Disclosure>,
    /// Price levels to draw (e.g. 60000 "support").
    #[serde(default)]
    pub reference_levels: Vec<ReferenceLevel>,
    /// Dated events to mark (confounders).
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// Data sources, relative to the data directory.
    pub data: DataSpec,
    /// How the market state is measured.
    #[serde(default)]
    pub market: MarketSpec,
    /// Models to run, in output order.
    #[serde(default = "default_models")]
    pub models: Vec<ModelSpec>,
    /// What happens to impact after the sale (default: plateau at 2/3 of the end-of-sale impact).
    #[serde(default = "Decay::two_thirds")]
    pub decay: Decay,
    /// Calibration of the aggregate-impact curve and Kyle's lambda, when asked.
    #[serde(default)]
    pub calibration: Option<CalibrationSpec>,
    /// Event-study settings.
    #[serde(default)]
    pub event_study: EventStudySpec,
    /// Historical replay settings.
    #[serde(default)]
    pub replay: ReplaySpec,
}

/// The provenance of a disclosed sale or purchase: what the amount is, how well the window is known,
/// and the dated sources it comes from. Informational: the engine's numbers do not depend on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// How well the window `start`..`end` is known: `exact` (the source states the days or the
    /// period), `month` (a calendar month, e.g. a miner's monthly update), `approximate` (inferred:
    /// "over the past week", a quarter, on-chain transfers).
    pub window_certainty: String,
    /// What `disclosed_proceeds_usd` is: `net` (after fees: a sale's proceeds net of fees and
    /// expenses, a purchase's cost inclusive of them), `gross` (the trade value before fees) or
    /// `unstated` (the source does not say). Required when `disclosed_proceeds_usd` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_basis: Option<String>,
    /// The average price per BTC the source itself states, USD (often more precise than a rounded
    /// aggregate amount; `implied_avg_price_usd` is always proceeds / size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_avg_price_usd: Option<f64>,
    /// How a non-USD amount was converted (currency, rate, its date and source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_conversion: Option<String>,
    /// Secondary sources, disagreements between sources, what is rounded or not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_notes: Option<String>,
    /// The filings, releases and press the facts come from (at least one).
    #[serde(default)]
    pub sources: Vec<SourceRef>,
}

/// One dated source of a disclosure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// Title of the filing, release or article.
    pub title: String,
    /// Publication date, `YYYY-MM-DD`.
    pub date: String,
    /// Where it can be read (`http://` or `https://`).
    pub url: String,
    /// `primary` (the seller's or buyer's own filing, release or statement, or a court filing) or
    /// `secondary` (press quoting or summarising it).
    pub kind: String,
    /// What this source gives, or its caveats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Allowed `disclosure.window_certainty` values.
pub const WINDOW_CERTAINTIES: [&str; 3] = ["exact", "month", "approximate"];
/// Allowed `disclosure.amount_basis` values.
pub const AMOUNT_BASES: [&str; 3] = ["net", "gross", "unstated"];
/// Allowed `disclosure.sources[].kind` values.
pub const SOURCE_KINDS: [&str; 2] = ["primary", "secondary"];

/// A horizontal price level to draw and label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceLevel {
    /// Price, USD.
    pub price_usd: f64,
    /// Label, e.g. "support".
    pub label: String,
}

/// A dated event to mark on charts and in the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    /// When, UTC.
    pub time: Timestamp,
    /// What happened.
    pub label: String,
}

/// Which files give prices, volumes and signed flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Every source, each with a venue label.
    pub sources: Vec<SourceSpec>,
    /// Venue label of the source that gives the price path.
    pub price: String,
    /// How the market volume V is formed (default: the price venue alone).
    #[serde(default)]
    pub volume: VolumeSpec,
    /// Venue label of a source with taker-buy volume for the signed-flow footprint (optional).
    #[serde(default)]
    pub flow: Option<String>,
}

/// One data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Label used by the other keys (`binance-spot`, `binance-usdm`, ...).
    pub venue: String,
    /// Human description for source lines ("Binance spot BTCUSDT 15m").
    #[serde(default)]
    pub description: String,
    /// Files or directories, relative to the data directory. A folder in the archive's own layout
    /// (`binance/spot/15m/`) reads every file inside, merged files and the archive's monthly and
    /// daily files side by side (exact duplicates dropped).
    pub files: Vec<String>,
    /// Force a format, as `--format` does (`binance`, `timestamp-ohlcv`, `cryptodatadownload`,
    /// `bitstamp`, `kraken`, `yahoo`, `generic`); default: detected per file. Checked by the CLI,
    /// which owns the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Which column holds each field, as `--columns` does: the flag's text
    /// (`"time=Open_Time,open=o,..."`) or a table (`{ time = "Open_Time", open = "o", ... }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnsSpec>,
}

/// A source's column mapping: the `--columns` text or a TOML table of the same keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnsSpec {
    /// `"time=Open_Time,open=o,high=h,low=l,close=c,volume=v"`.
    Text(String),
    /// `{ time = "Open_Time", open = "o", ... }` (keys in name order).
    Table(BTreeMap<String, String>),
}

impl ColumnsSpec {
    /// The mapping in the `--columns` flag's syntax.
    pub fn as_flag(&self) -> String {
        match self {
            ColumnsSpec::Text(s) => s.clone(),
            ColumnsSpec::Table(m) => m
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// How V is formed from the sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    /// `single` (one venue), `sum` (the sum of several) or `share` (one venue divided by its stated
    /// market share).
    #[serde(default = "default_volume_mode")]
    pub mode: String,
    /// Venues whose volume counts (default: the price venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// The venue's share of the market, for `share` (0 < share <= 1).
    #[serde(default)]
    pub market_share: Option<f64>,
}

fn default_volume_mode() -> String {
    "single".into()
}

impl Default for VolumeSpec {
    fn default() -> Self {
        Self {
            mode: default_volume_mode(),
            venues: Vec::new(),
            market_share: None,
        }
    }
}

/// How the market state before the sale is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketSpec {
    /// Length of the calibration window before the sale day, days (default 30).
    pub calibration_days: u32,
    /// Days of observed prices shown before the window start and after its end (default 3).
    pub context_days: u32,
    /// Which average daily volume the models use as V (default `all`).
    pub volume_basis: VolumeBasis,
    /// Volatility estimator on daily bars: `yang_zhang` (default), `close_to_close`, `parkinson`,
    /// `garman_klass`, `rogers_satchell`.
    pub sigma_estimator: String,
    /// Which days sigma is measured over (default `paired`: the days V averages over).
    pub sigma_days: SigmaDays,
    /// Run on a sale window the price bars do not fully cover (default false: an error naming
    /// the last bar present); every output then carries the gap.
    pub allow_partial_window: bool,
}

/// Which days of the calibration window sigma is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigmaDays {
    /// The days V averages over (`volume_basis`): sigma and V describe the same market.
    #[default]
    Paired,
    /// Every UTC day of the calibration window.
    All,
    /// Saturdays and Sundays only (returns from Saturday to Sunday; no return spans a weekday).
    Weekend,
}

impl Default for MarketSpec {
    fn default() -> Self {
        Self {
            calibration_days: 30,
            context_days: 3,
            volume_basis: VolumeBasis::All,
            sigma_estimator: "yang_zhang".into(),
            sigma_days: SigmaDays::Paired,
            allow_partial_window: false,
        }
    }
}

/// Which days form the average daily volume V.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeBasis {
    /// Every UTC day of the calibration window.
    All,
    /// Saturdays and Sundays only: the liquidity a weekend sale meets.
    Weekend,
}

fn default_models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::Sqrt(SqrtSpec::default()),
        ModelSpec::Linear(LinearSpec::default()),
    ]
}

/// Calibration from bars with taker-buy volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSpec {
    /// Venue label of the source to calibrate on (it needs taker-buy volume).
    pub venue: String,
    /// Days before the sale day to use (default 90).
    #[serde(default = "default_cal_days")]
    pub days: u32,
    /// Bar size for the fit, seconds (default 900; a multiple of the source's bar).
    #[serde(default = "default_cal_bar")]
    pub bar_seconds: i64,
    /// Bootstrap seed (default 42).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_cal_days() -> u32 {
    90
}
fn default_cal_bar() -> i64 {
    900
}
fn default_seed() -> u64 {
    42
}

/// Event-study settings (MacKinlay 1997).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventStudySpec {
    /// Length of the estimation window ending at the start of the context before the event, days.
    pub estimation_days: u32,
    /// Bar size of the returns, seconds (default 3600).
    pub bar_seconds: i64,
    /// Weeks of history for the hour-of-week volume baseline (default 4).
    pub baseline_weeks: u32,
    /// Expected-return model of the event study: `market_adjusted` (default: zero expected
    /// return) or `constant_mean` (the estimation window's mean). The result reports the other
    /// model's CAR, J and p beside it.
    pub expected_return: String,
}

impl Default for EventStudySpec {
    fn default() -> Self {
        Self {
            estimation_days: 30,
            bar_seconds: 3600,
            baseline_weeks: 4,
            expected_return: ExpectedReturnModel::MarketAdjusted.key().into(),
        }
    }
}

impl EventStudySpec {
    /// The expected-return model named by `expected_return`.
    ///
    /// # Errors
    /// [`BacktestError::Scenario`] naming `event_study.expected_return` for an unknown model.
    pub fn model(&self) -> Result<ExpectedReturnModel, BacktestError> {
        ExpectedReturnModel::from_key(&self.expected_return).ok_or_else(|| {
            bad(
                "event_study.expected_return",
                format!("{:?}", self.expected_return),
                &format!(
                    "one of {}",
                    ExpectedReturnModel::ALL.map(|m| m.key()).join(", ")
                ),
            )
        })
    }
}

/// Historical replay settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReplaySpec {
    /// Venue label of the source to replay on (default: the price venue).
    pub venue: Option<String>,
    /// First replay start (inclusive), the default of `blocksale replay --from`; also what
    /// `blocksale backtest --fetch` downloads for the replay venue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Starts are before this time (exclusive), the default of `blocksale replay --to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

/// The error of a scenario key: its dotted name, the value and what is allowed.
pub(crate) fn bad(key: &str, value: impl ToString, expected: &str) -> BacktestError {
    BacktestError::Scenario {
        key: key.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// [`bad`] for a [`SpecError`] of the table at `prefix` (`models[2].`).
fn bad_spec(prefix: &str, e: SpecError) -> BacktestError {
    bad(&format!("{prefix}{}", e.key), e.value, &e.expected)
}
/// True for a valid calendar date written `YYYY-MM-DD`.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && Timestamp::parse_rfc3339(s).is_ok()
}

/// Volatility estimators the market state accepts.
pub const SIGMA_ESTIMATORS: [&str; 5] = [
    "yang_zhang",
    "close_to_close",
    "parkinson",
    "garman_klass",
    "rogers_satchell",
];

impl Scenario {
    /// The venue a replay runs on: `replay.venue`, or the price venue when it names none.
    pub fn replay_venue(&self) -> &str {
        self.replay.venue.as_deref().unwrap_or(&self.data.price)
    }

    /// Check every range the types cannot express.
    ///
    /// # Errors
    /// [`BacktestError::Scenario`] naming the key, the value and what is allowed.
    pub fn validate(&self) -> Result<(), BacktestError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || self.name.starts_with('.')
        {
            return Err(bad(
                "name",
                format!("{:?}", self.name),
                "letters, digits, '-', '_' or '.' (it names a folder)",
            ));
        }
        if !(self.size_btc.is_finite() && self.size_btc > 0.0) {
            return Err(bad("size_btc", self.size_btc, "a finite number of BTC > 0"));
        }
        if self.end <= self.start {
            return Err(bad(
                "end",
                self.end,
                &format!("a time after start ({})", self.start),
            ));
        }
        if let Some(p) = self.disclosed_proceeds_usd {
            if !(p.is_finite() && p > 0.0) {
                return Err(bad(
                    "disclosed_proceeds_usd",
                    p,
                    "a finite amount of USD > 0",
                ));
            }
        }
        if let Some(d) = &self.disclosure {
            self.validate_disclosure(d)?;
        }
        for (i, r) in self.reference_levels.iter().enumerate() {
            if !(r.price_usd.is_finite() && r.price_usd > 0.0) {
                return Err(bad(
                    &format!("reference_levels[{i}].price_usd"),
                    r.price_usd,
                    "a price > 0",
                ));
            }
        }
        self.schedule.check().map_err(|e| bad_spec("", e))?;
        self.validate_data()?;
        let m = &self.market;
        if !(2..=3650).contains(&m.calibration_days) {
            return Err(bad(
                "market.calibration_days",
                m.calibration_days,
                "2 to 3650 days",
            ));
        }
        if m.context_days > 365 {
            return Err(bad("market.context_days", m.context_days, "0 to 365 days"));
        }
        if !SIGMA_ESTIMATORS.contains(&m.sigma_estimator.as_str()) {
            return Err(bad(
                "market.sigma_estimator",
                format!("{:?}", m.sigma_estimator),
                &SIGMA_ESTIMATORS.join(", "),
            ));
        }
        if self.models.is_empty() {
            return Err(bad("models", "[]", "at least one model"));
        }
        for (i, spec) in self.models.iter().enumerate() {
            if spec.needs_calibration() && self.calibration.is_none() {
                return Err(bad(
                    &format!("models[{i}].params"),
                    "\"calibrated\"",
                    "a [calibration] table in the scenario",
                ));
            }
            spec.check()
                .map_err(|e| bad_spec(&format!("models[{i}]."), e))?;
        }
        self.decay.validate().map_err(|e| {
            bad(
                "decay.fraction",
                format!("{:?}", self.decay),
                &e.to_string(),
            )
        })?;
        if let Some(c) = &self.calibration {
            if !self.data.sources.iter().any(|s| s.venue == c.venue) {
                return Err(bad(
                    "calibration.venue",
                    format!("{:?}", c.venue),
                    "the venue label of one of data.sources",
                ));
            }
            if !(7..=3650).contains(&c.days) {
                return Err(bad("calibration.days", c.days, "7 to 3650 days"));
            }
            if !(60..=86_400).contains(&c.bar_seconds) {
                return Err(bad(
                    "calibration.bar_seconds",
                    c.bar_seconds,
                    "60 to 86400 seconds",
                ));
            }
        }
        let es = &self.event_study;
        if !(3..=3650).contains(&es.estimation_days) {
            return Err(bad(
                "event_study.estimation_days",
                es.estimation_days,
                "3 to 3650 days",
            ));
        }
        if !(60..=86_400).contains(&es.bar_seconds) || 86_400 % es.bar_seconds != 0 {
            return Err(bad(
                "event_study.bar_seconds",
                es.bar_seconds,
                "a divisor of 86400 from 60 to 86400",
            ));
        }
        if !(1..=52).contains(&es.baseline_weeks) {
            return Err(bad(
                "event_study.baseline_weeks",
                es.baseline_weeks,
                "1 to 52 weeks",
            ));
        }
        es.model()?;
        if let Some(v) = &self.replay.venue {
            if !self.data.sources.iter().any(|s| &s.venue == v) {
                return Err(bad(
                    "replay.venue",
                    format!("{v:?}"),
                    "the venue label of one of data.sources",
                ));
            }
        }
        match (self.replay.from, self.replay.to) {
            (Some(f), Some(t)) if t <= f => {
                return Err(bad(
                    "replay.to",
                    t.to_rfc3339(),
                    &format!("a time after replay.from {}", f.to_rfc3339()),
                ))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(bad(
                    if self.replay.from.is_some() {
                        "replay.to"
                    } else {
                        "replay.from"
                    },
                    "missing",
                    "replay.from and replay.to together",
                ))
            }
            _ => {}
        }
        Ok(())
    }

    fn validate_disclosure(&self, d: &Disclosure) -> Result<(), BacktestError> {
        if !WINDOW_CERTAINTIES.contains(&d.window_certainty.as_str()) {
            return Err(bad(
                "disclosure.window_certainty",
                format!("{:?}", d.window_certainty),
                &WINDOW_CERTAINTIES.join(", "),
            ));
        }
        match (&d.amount_basis, self.disclosed_proceeds_usd) {
            (Some(b), Some(_)) if AMOUNT_BASES.contains(&b.as_str()) => {}
            (Some(b), Some(_)) => {
                return Err(bad(
                    "disclosure.amount_basis",
                    format!("{b:?}"),
                    &AMOUNT_BASES.join(", "),
                ))
            }
            (Some(b), None) => {
                return Err(bad(
                    "disclosure.amount_basis",
                    format!("{b:?}"),
                    "no amount_basis without disclosed_proceeds_usd",
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "disclosure.amount_basis",
                    "missing",
                    &format!(
                        "one of {} when disclosed_proceeds_usd is set",
                        AMOUNT_BASES.join(", ")
                    ),
                ))
            }
            (None, None) => {}
        }
        if let Some(p) = d.stated_avg_price_usd {
            if !(p.is_finite() && p > 0.0) {
                return Err(bad(
                    "disclosure.stated_avg_price_usd",
                    p,
                    "a finite price in USD > 0",
                ));
            }
        }
        for (key, text) in [
            ("currency_conversion", &d.currency_conversion),
            ("source_notes", &d.source_notes),
        ] {
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(bad(
                    &format!("disclosure.{key}"),
                    "\"\"",
                    "a non-empty text, or no key",
                ));
            }
        }
        if d.sources.is_empty() {
            return Err(bad(
                "disclosure.sources",
                "[]",
                "at least one source with title, date, url and kind",
            ));
        }
        for (i, r) in d.sources.iter().enumerate() {
            let key = |k: &str| format!("disclosure.sources[{i}].{k}");
            if r.title.trim().is_empty() {
                return Err(bad(
                    &key("title"),
                    "\"\"",
                    "the title of the filing or article",
                ));
            }
            if !is_iso_date(&r.date) {
                return Err(bad(
                    &key("date"),
                    format!("{:?}", r.date),
                    "a calendar date YYYY-MM-DD",
                ));
            }
            if !(r.url.starts_with("https://") || r.url.starts_with("http://"))
                || r.url.contains(char::is_whitespace)
            {
                return Err(bad(
                    &key("url"),
                    format!("{:?}", r.url),
                    "an http:// or https:// address without spaces",
                ));
            }
            if !SOURCE_KINDS.contains(&r.kind.as_str()) {
                return Err(bad(
                    &key("kind"),
                    format!("{:?}", r.kind),
                    &SOURCE_KINDS.join(", "),
                ));
            }
            if r.note.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(bad(&key("note"), "\"\"", "a non-empty text, or no key"));
            }
        }
        Ok(())
    }

    fn validate_data(&self) -> Result<(), BacktestError> {
        let d = &self.data;
        if d.sources.is_empty() {
            return Err(bad("data.sources", "[]", "at least one source"));
        }
        let labels: Vec<&str> = d.sources.iter().map(|s| s.venue.as_str()).collect();
        for (i, s) in d.sources.iter().enumerate() {
            if s.files.is_empty() {
                return Err(bad(
                    &format!("data.sources[{i}].files"),
                    "[]",
                    "at least one file or directory",
                ));
            }
            if labels.iter().filter(|&&l| l == s.venue).count() > 1 {
                return Err(bad(
                    &format!("data.sources[{i}].venue"),
                    format!("{:?}", s.venue),
                    "a label used by one source only",
                ));
            }
        }
        let known = |key: &str, v: &str| {
            if labels.contains(&v) {
                Ok(())
            } else {
                Err(bad(
                    key,
                    format!("{v:?}"),
                    &format!("one of the source labels: {}", labels.join(", ")),
                ))
            }
        };
        known("data.price", &d.price)?;
        if let Some(f) = &d.flow {
            known("data.flow", f)?;
        }
        for (i, v) in d.volume.venues.iter().enumerate() {
            known(&format!("data.volume.venues[{i}]"), v)?;
        }
        match d.volume.mode.as_str() {
            "single" | "sum" => {}
            "share" => match d.volume.market_share {
                Some(s) if s.is_finite() && s > 0.0 && s <= 1.0 => {}
                Some(s) => return Err(bad("data.volume.market_share", s, "a share in (0, 1]")),
                None => {
                    return Err(bad(
                        "data.volume.market_share",
                        "missing",
                        "a share in (0, 1] for mode = \"share\"",
                    ))
                }
            },
            other => {
                return Err(bad(
                    "data.volume.mode",
                    format!("{other:?}"),
                    "single, sum or share",
                ))
            }
        }
        if d.volume.mode == "single" && d.volume.venues.len() > 1 {
            return Err(bad(
                "data.volume.venues",
                d.volume.venues.join(", "),
                "one venue for mode = \"single\" (use \"sum\" for several)",
            ));
        }
        Ok(())
    }

    /// Venues whose volume forms V.
    pub fn volume_venues(&self) -> Vec<String> {
        if self.data.volume.venues.is_empty() {
            vec![self.data.price.clone()]
        } else {
            self.data.volume.venues.clone()
        }
    }

    /// The source with this venue label.
    pub fn source(&self, venue: &str) -> Option<&SourceSpec> {
        self.data.sources.iter().find(|s| s.venue == venue)
    }

    /// Disclosed average price per BTC, if proceeds are disclosed.
    pub fn implied_avg_price_usd(&self) -> Option<f64> {
        self.disclosed_proceeds_usd.map(|p| p / self.size_btc)
    }

    /// A small valid scenario (the Cango sale on one synthetic source), for examples and tests.
    pub fn example() -> Self {
        Scenario {
            name: "example".into(),
            description: "example sale".into(),
            side: Side::Sell,
            size_btc: 4451.0,
            start: Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").expect("valid"),
            end: Timestamp::parse_rfc3339("2026-02-09T00:00:00Z").expect("valid"),
            schedule: ScheduleSpec::default(),
            disclosed_proceeds_usd: Some(305e6),
            settlement: Some("USDT".into()),
            sources: vec![],
            disclosure: None,
            reference_levels: vec![ReferenceLevel {
                price_usd: 60_000.0,
                label: "support".into(),
            }],
            annotations: vec![],
            data: DataSpec {
                sources: vec![SourceSpec {
                    venue: "synthetic".into(),
                    description: "synthetic bars".into(),
                    files: vec!["bars.csv".into()],
                    format: None,
                    columns: None,
                }],
                price: "synthetic".into(),
                volume: VolumeSpec::default(),
                flow: None,
            },
            market: MarketSpec::default(),
            models: default_models(),
            decay: Decay::Permanent,
            calibration: None,
            event_study: EventStudySpec::default(),
            replay: ReplaySpec::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_key_and_value() {
        let mut s = Scenario::example();
        s.size_btc = -3.0;
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "scenario key `size_btc` = -3: expected a finite number of BTC > 0"
        );
        let mut s = Scenario::example();
        s.end = s.start;
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("scenario key `end` = 2026-02-07T00:00:00Z"));
        let mut s = Scenario::example();
        s.models = vec![ModelSpec::Power(PowerSpec {
            y: 0.9,
            delta: 2.0,
            params: ParamSource::Given,
        })];
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("models[0].delta"),
            "{}",
            s.validate().unwrap_err()
        );
        let mut s = Scenario::example();
        s.name = "../x".into();
        assert!(s.validate().is_err());
        let mut s = Scenario::example();
        s.data.price = "nowhere".into();
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "scenario key `data.price` = \"nowhere\": expected one of the source labels: synthetic"
        );
        let mut s = Scenario::example();
        s.data.volume.mode = "share".into();
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("data.volume.market_share"));
        let mut s = Scenario::example();
        s.models = vec![ModelSpec::Kyle(KyleSpec {
            lambda_per_btc: None,
            params: ParamSource::Calibrated,
        })];
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("[calibration]"));
        let mut s = Scenario::example();
        s.market.sigma_estimator = "garch".into();
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("market.sigma_estimator"));
        let mut s = Scenario::example();
        s.event_study.expected_return = "market_model".into();
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "scenario key `event_study.expected_return` = \"market_model\": expected one of market_adjusted, constant_mean"
        );
        s.event_study.expected_return = "constant_mean".into();
        assert_eq!(
            s.event_study.model().unwrap(),
            ExpectedReturnModel::ConstantMean
        );
        assert_eq!(
            Scenario::example().event_study.model().unwrap(),
            ExpectedReturnModel::MarketAdjusted
        );
        assert!(Scenario::example().validate().is_ok());
    }

    #[test]
    fn implied_price() {
        let p = Scenario::example().implied_avg_price_usd().unwrap();
        assert!((p - 68_524.0).abs() < 1.0, "{p}");
    }
}
