//! Which archive files cover a date range, and where they live.
//!
//! Binance's public archive (`https://data.binance.vision`) holds one zip per month and one per day:
//!
//! ```text
//! {base}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip
//! {base}/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-15.zip
//! {base}/data/futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip
//! ```
//!
//! each beside a `.zip.CHECKSUM` file. A range takes the monthly file for every calendar month it
//! covers entirely and daily files for the days left over at either end.

use chrono::{Datelike, Months, NaiveDate};
use std::fmt;

/// The market section of the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Market {
    /// Spot (`data/spot/...`).
    Spot,
    /// USD-M perpetual futures (`data/futures/um/...`).
    Usdm,
}

impl Market {
    /// Path of this market in the archive.
    pub fn archive_dir(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Usdm => "futures/um",
        }
    }

    /// Folder name in the data directory (`binance/<name>/<interval>/`).
    pub fn name(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Usdm => "usdm",
        }
    }

    /// From the data-directory folder name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "spot" => Some(Market::Spot),
            "usdm" => Some(Market::Usdm),
            _ => None,
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Kline intervals the archive publishes.
pub const INTERVALS: &[&str] = &[
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
];

/// Whether daily or monthly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One calendar month.
    Month { year: i32, month: u32 },
    /// One UTC day.
    Day(NaiveDate),
}

/// One archive file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Path below the base URL, e.g. `data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip`.
    pub url_path: String,
    /// File name of the zip, e.g. `BTCUSDT-1m-2024-01.zip`.
    pub zip_name: String,
    /// File name of the unpacked CSV, e.g. `BTCUSDT-1m-2024-01.csv`.
    pub csv_name: String,
    /// The month or day it covers.
    pub period: Period,
}

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Upper-case symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Spot or USD-M.
    pub market: Market,
    /// One of [`INTERVALS`].
    pub interval: String,
    /// First UTC day (inclusive).
    pub from: NaiveDate,
    /// Last UTC day (inclusive).
    pub to: NaiveDate,
}

impl Request {
    /// Check the symbol, interval and range.
    ///
    /// # Errors
    /// A message naming the flag, the value and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        if self.symbol.is_empty()
            || self.symbol.len() > 20
            || !self
                .symbol
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(format!(
                "--symbol {:?}: expected 1 to 20 upper-case letters or digits, e.g. BTCUSDT",
                self.symbol
            ));
        }
        if !INTERVALS.contains(&self.interval.as_str()) {
            return Err(format!(
                "--interval {:?}: expected one of {}",
                self.interval,
                INTERVALS.join(", ")
            ));
        }
        if self.from > self.to {
            return Err(format!(
                "--from {} is after --to {}: expected from <= to (both inclusive UTC days)",
                self.from, self.to
            ));
        }
        Ok(())
    }

    /// Folder of the unpacked CSVs relative to the data directory: `binance/<market>/<interval>`.
    pub fn dest_rel(&self) -> String {
        format!("binance/{}/{}", self.market.name(), self.interval)
    }

    /// The archive files covering `from..=to`: monthly files for whole calendar months, daily
    /// files for the rest, in time order.
    pub fn plan(&self) -> Vec<ArchiveFile> {
        let mut out = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let first = day.with_day(1).expect("day 1 exists");
            let last = last_day_of_month(first);
            if day == first && last <= self.to {
                out.push(self.file(Period::Month {
                    year: first.year(),
                    month: first.month(),
                }));
                match last.succ_opt() {
                    Some(d) => day = d,
                    None => break,
                }
            } else {
                out.push(self.file(Period::Day(day)));
                match day.succ_opt() {
                    Some(d) => day = d,
                    None => break,
                }
            }
        }
        out
    }

    fn file(&self, period: Period) -> ArchiveFile {
        let (kind, stamp) = match period {
            Period::Month { year, month } => ("monthly", format!("{year:04}-{month:02}")),
            Period::Day(d) => ("daily", d.format("%Y-%m-%d").to_string()),
        };
        let stem = format!("{}-{}-{stamp}", self.symbol, self.interval);
        ArchiveFile {
            url_path: format!(
                "data/{}/{kind}/klines/{}/{}/{stem}.zip",
                self.market.archive_dir(),
                self.symbol,
                self.interval
            ),
            zip_name: format!("{stem}.zip"),
            csv_name: format!("{stem}.csv"),
            period,
        }
    }
}

fn last_day_of_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// Parse a `--from`/`--to` value: `YYYY-MM-DD`, or `YYYY-MM` (the first day for `--from`, the last
/// day for `--to`).
///
/// # Errors
/// A message naming the flag and the value.
pub fn parse_day(flag: &str, s: &str, end_of_month: bool) -> Result<NaiveDate, String> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Ok(first) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d") {
        return Ok(if end_of_month {
            last_day_of_month(first)
        } else {
            first
        });
    }
    Err(format!(
        "{flag} {s:?}: expected a UTC date YYYY-MM-DD (or a month YYYY-MM)"
    ))
}

/// An archive-named CSV in the data directory, as a scenario would name it:
/// `binance/<spot|usdm>/<interval>/<SYMBOL>-<interval>-<YYYY-MM[-DD]>.csv`.
///
/// Returns the request for exactly that file, or `None` when the path is not of that shape.
pub fn request_for_rel_path(rel: &str) -> Option<Request> {
    let parts: Vec<&str> = rel.trim_start_matches("./").split('/').collect();
    let [venue, market, interval, name] = parts.as_slice() else {
        return None;
    };
    if *venue != "binance" {
        return None;
    }
    let market = Market::from_name(market)?;
    let stem = name.strip_suffix(".csv")?;
    let (symbol, rest) = stem.split_once('-')?;
    let stamp = rest.strip_prefix(&format!("{interval}-"))?;
    let (from, to) = if stamp.len() == 7 {
        (
            parse_day("", stamp, false).ok()?,
            parse_day("", stamp, true).ok()?,
        )
    } else {
        let d = NaiveDate::parse_from_str(stamp, "%Y-%m-%d").ok()?;
        (d, d)
    };
    let req = Request {
        symbol: symbol.to_string(),
        market,
        interval: (*interval).to_string(),
        from,
        to,
    };
    req.validate().ok()?;
    // Only when the plan names exactly this file.
    let plan = req.plan();
    (plan.len() == 1 && plan[0].csv_name == *name).then_some(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn req(from: &str, to: &str) -> Request {
        Request {
            symbol: "BTCUSDT".into(),
            market: Market::Spot,
            interval: "1m".into(),
            from: d(from),
            to: d(to),
        }
    }

    fn names(r: &Request) -> Vec<String> {
        r.plan().into_iter().map(|f| f.zip_name).collect()
    }

    #[test]
    fn whole_months_are_monthly_files() {
        assert_eq!(
            names(&req("2024-01-01", "2024-03-31")),
            [
                "BTCUSDT-1m-2024-01.zip",
                "BTCUSDT-1m-2024-02.zip",
                "BTCUSDT-1m-2024-03.zip"
            ]
        );
    }

    #[test]
    fn partial_months_are_daily_files() {
        assert_eq!(
            names(&req("2024-01-30", "2024-03-02")),
            [
                "BTCUSDT-1m-2024-01-30.zip",
                "BTCUSDT-1m-2024-01-31.zip",
                "BTCUSDT-1m-2024-02.zip",
                "BTCUSDT-1m-2024-03-01.zip",
                "BTCUSDT-1m-2024-03-02.zip"
            ]
        );
    }

    #[test]
    fn leap_february_and_year_end() {
        // 2024-02 has 29 days: to = 02-28 is not the whole month.
        assert_eq!(names(&req("2024-02-01", "2024-02-28")).len(), 28);
        assert_eq!(
            names(&req("2024-02-01", "2024-02-29")),
            ["BTCUSDT-1m-2024-02.zip"]
        );
        assert_eq!(
            names(&req("2023-12-31", "2024-01-31")),
            ["BTCUSDT-1m-2023-12-31.zip", "BTCUSDT-1m-2024-01.zip"]
        );
    }

    #[test]
    fn one_day() {
        let p = req("2024-01-15", "2024-01-15").plan();
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].url_path,
            "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-15.zip"
        );
        assert_eq!(p[0].csv_name, "BTCUSDT-1m-2024-01-15.csv");
    }

    #[test]
    fn usdm_path() {
        let mut r = req("2024-01-01", "2024-01-31");
        r.market = Market::Usdm;
        r.interval = "1h".into();
        assert_eq!(
            r.plan()[0].url_path,
            "data/futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip"
        );
        assert_eq!(r.dest_rel(), "binance/usdm/1h");
    }

    #[test]
    fn validation_names_the_flag() {
        let mut r = req("2024-02-01", "2024-01-01");
        assert!(r.validate().unwrap_err().contains("--from 2024-02-01"));
        r = req("2024-01-01", "2024-01-02");
        r.interval = "7m".into();
        assert!(r.validate().unwrap_err().contains("--interval \"7m\""));
        r.interval = "1m".into();
        r.symbol = "btc/usdt".into();
        assert!(r.validate().unwrap_err().contains("--symbol"));
    }

    #[test]
    fn parse_day_forms() {
        assert_eq!(
            parse_day("--from", "2024-02", false).unwrap(),
            d("2024-02-01")
        );
        assert_eq!(parse_day("--to", "2024-02", true).unwrap(), d("2024-02-29"));
        assert_eq!(
            parse_day("--to", "2024-02-10", true).unwrap(),
            d("2024-02-10")
        );
        assert!(parse_day("--to", "10/02/2024", true)
            .unwrap_err()
            .starts_with("--to \"10/02/2024\""));
    }

    #[test]
    fn archive_named_paths_map_to_one_file() {
        let r = request_for_rel_path("binance/spot/1m/BTCUSDT-1m-2024-01.csv").unwrap();
        assert_eq!(r.plan().len(), 1);
        assert_eq!(r.from, d("2024-01-01"));
        assert_eq!(r.to, d("2024-01-31"));
        let r = request_for_rel_path("binance/usdm/1h/BTCUSDT-1h-2024-01-05.csv").unwrap();
        assert_eq!(r.market, Market::Usdm);
        assert_eq!(r.from, r.to);
        assert!(request_for_rel_path("binance/spot/15m/BTCUSDT_15m.csv").is_none());
        assert!(request_for_rel_path("binance/spot/15m/BTCUSDT-1m-2024-01.csv").is_none());
        assert!(request_for_rel_path("yahoo/BTC-USD.csv").is_none());
    }
}
