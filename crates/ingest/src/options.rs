//! What the caller chooses: format override, leniency, duplicate policy, column mapping.

use crate::IngestError;
use std::fmt;
use std::str::FromStr;

/// A file layout the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Binance kline archive/API layout: 12 columns (`open_time,open,high,low,close,volume,close_time,
    /// quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore`), header or none, epoch s/ms/us.
    BinanceKlines,
    /// A time column followed by open, high, low, close, volume, with any header names of that shape; the
    /// time is text (`2024-01-01 00:00:00+0000`, naive UTC, RFC 3339, date only) or an epoch number.
    TimestampOhlcv,
    /// CryptoDataDownload export: URL line(s) before the header, `Unix,Date,Symbol,Open,High,Low,Close,
    /// Volume BTC,Volume USDT,tradecount`, rows newest first.
    CryptoDataDownload,
    /// Bitstamp-style `timestamp,open,high,low,close,volume` with epoch seconds.
    Bitstamp,
    /// Kraken OHLCVT: no header, `time,open,high,low,close,volume,trades`, epoch seconds.
    Kraken,
    /// Yahoo Finance daily: `Date,Open,High,Low,Close,Adj Close,Volume` (volume in the quote currency).
    Yahoo,
    /// Any delimited file whose columns are found by name (or through a [`ColumnMap`]).
    Generic,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 7] = [
        Format::BinanceKlines,
        Format::TimestampOhlcv,
        Format::CryptoDataDownload,
        Format::Bitstamp,
        Format::Kraken,
        Format::Yahoo,
        Format::Generic,
    ];

    /// The CLI name (`binance`, `timestamp-ohlcv`, `cryptodatadownload`, `bitstamp`, `kraken`, `yahoo`,
    /// `generic`).
    pub fn name(self) -> &'static str {
        match self {
            Format::BinanceKlines => "binance",
            Format::TimestampOhlcv => "timestamp-ohlcv",
            Format::CryptoDataDownload => "cryptodatadownload",
            Format::Bitstamp => "bitstamp",
            Format::Kraken => "kraken",
            Format::Yahoo => "yahoo",
            Format::Generic => "generic",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = IngestError;
    fn from_str(s: &str) -> Result<Self, IngestError> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        let f = match k.as_str() {
            "binance" | "binance-klines" | "klines" => Format::BinanceKlines,
            "timestamp-ohlcv" | "ohlcv" => Format::TimestampOhlcv,
            "cryptodatadownload" | "cdd" => Format::CryptoDataDownload,
            "bitstamp" => Format::Bitstamp,
            "kraken" | "ohlcvt" => Format::Kraken,
            "yahoo" => Format::Yahoo,
            "generic" => Format::Generic,
            _ => {
                return Err(IngestError::BadOption {
                    what: "format",
                    value: s.to_string(),
                    expected: Format::ALL.map(Format::name).join(", "),
                })
            }
        };
        Ok(f)
    }
}

/// What to do with two rows that have the same open time but different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Fail, naming both rows (the default: nothing lost, nothing invented).
    #[default]
    Error,
    /// Keep the row that comes first (path order, then line order).
    First,
    /// Keep the row that comes last.
    Last,
}

impl FromStr for OnConflict {
    type Err = IngestError;
    fn from_str(s: &str) -> Result<Self, IngestError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(OnConflict::Error),
            "first" => Ok(OnConflict::First),
            "last" => Ok(OnConflict::Last),
            _ => Err(IngestError::BadOption {
                what: "conflict policy",
                value: s.to_string(),
                expected: "error, first or last".into(),
            }),
        }
    }
}

impl fmt::Display for OnConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnConflict::Error => "error",
            OnConflict::First => "first",
            OnConflict::Last => "last",
        })
    }
}

/// Which header name (or 1-based column number) holds each field, for files no format describes.
///
/// Parsed from `time=Open_Time,open=o,high=h,low=l,close=c,volume=v` (the `--columns` flag). Names
/// match the header case-insensitively; a bare number is a 1-based column position. `time`, `open`,
/// `high`, `low`, `close`, `volume` are required; `quote_volume`, `trades`, `taker_buy_volume` are optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMap {
    /// Open time column.
    pub time: String,
    /// Open price column.
    pub open: String,
    /// High price column.
    pub high: String,
    /// Low price column.
    pub low: String,
    /// Close price column.
    pub close: String,
    /// Volume column (base units unless the format says otherwise).
    pub volume: String,
    /// Quote volume column.
    pub quote_volume: Option<String>,
    /// Trade count column.
    pub trades: Option<String>,
    /// Taker-buy base volume column.
    pub taker_buy_volume: Option<String>,
}

impl FromStr for ColumnMap {
    type Err = IngestError;
    fn from_str(s: &str) -> Result<Self, IngestError> {
        let bad = |why: &str| {
            IngestError::BadOption {
            what: "column map",
            value: s.to_string(),
            expected: format!(
                "comma-separated key=column pairs with keys time, open, high, low, close, volume, quote_volume, trades, taker_buy_volume ({why})"
            ),
        }
        };
        let mut m = ColumnMap::default();
        let (mut t, mut o, mut h, mut l, mut c, mut v) = (None, None, None, None, None, None);
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, val) = part
                .split_once('=')
                .ok_or_else(|| bad(&format!("{part:?} has no '='")))?;
            let val = val.trim().to_string();
            if val.is_empty() {
                return Err(bad(&format!("{k:?} has an empty column name")));
            }
            let slot = match k.trim().to_ascii_lowercase().as_str() {
                "time" | "open_time" | "timestamp" | "date" => &mut t,
                "open" => &mut o,
                "high" => &mut h,
                "low" => &mut l,
                "close" => &mut c,
                "volume" => &mut v,
                "quote_volume" => &mut m.quote_volume,
                "trades" | "count" => &mut m.trades,
                "taker_buy_volume" => &mut m.taker_buy_volume,
                other => return Err(bad(&format!("unknown key {other:?}"))),
            };
            if slot.is_some() {
                return Err(bad(&format!("key {k:?} given twice")));
            }
            *slot = Some(val);
        }
        let need = |x: Option<String>, k: &str| x.ok_or_else(|| bad(&format!("missing {k}")));
        m.time = need(t, "time")?;
        m.open = need(o, "open")?;
        m.high = need(h, "high")?;
        m.low = need(l, "low")?;
        m.close = need(c, "close")?;
        m.volume = need(v, "volume")?;
        Ok(m)
    }
}

/// How to read files. `Default` = auto-detect the format, strict (a bad row is an error), conflicting
/// duplicates are errors, columns found by name.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format instead of detecting it from the header and first rows.
    pub format: Option<Format>,
    /// Skip bad rows and report them in [`crate::Loaded::skipped`] instead of failing.
    pub lenient: bool,
    /// Policy for rows with the same open time and different values.
    pub on_conflict: OnConflict,
    /// Explicit column mapping (implies [`Format::Generic`] unless `format` says otherwise).
    pub columns: Option<ColumnMap>,
}
