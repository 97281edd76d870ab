//! UTC instants as epoch milliseconds, and calendar helpers for a 24/7 market.

use crate::CoreError;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds in a minute.
pub const MS_PER_MINUTE: i64 = 60_000;
/// Milliseconds in an hour.
pub const MS_PER_HOUR: i64 = 3_600_000;
/// Milliseconds in a UTC day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// The one duration formatter of the workspace: `45m`, `6h`, `1d 12h`, `7d` (whole minutes;
/// zero parts are left out; `0m` for zero).
pub fn duration_label(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        (seconds % 86_400) / 3_600,
        (seconds % 3_600) / 60,
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m}m"));
    }
    parts.join(" ")
}

/// An instant in UTC, stored as epoch milliseconds.
///
/// Serialises as an RFC 3339 string with a `Z` suffix (`2026-02-07T00:00:00Z`), so JSON output is
/// readable and byte-stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From epoch milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Epoch milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Parse RFC 3339 (`2026-02-07T00:00:00Z`, any offset), `YYYY-MM-DD HH:MM[:SS]` (naive = UTC),
    /// or a bare date `YYYY-MM-DD` (midnight UTC).
    ///
    /// # Errors
    /// [`CoreError::BadTime`] when none of the forms match.
    pub fn parse_rfc3339(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(Self(dt.timestamp_millis()));
        }
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(Self(dt.and_utc().timestamp_millis()));
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Self(
                d.and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc()
                    .timestamp_millis(),
            ));
        }
        Err(CoreError::BadTime {
            value: s.to_string(),
        })
    }

    /// As a chrono UTC datetime.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// RFC 3339 with seconds precision (milliseconds when not whole) and a `Z` suffix.
    pub fn to_rfc3339(self) -> String {
        let fmt = if self.0 % 1000 == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Millis
        };
        self.to_datetime().to_rfc3339_opts(fmt, true)
    }

    /// Short human form `2026-02-07 00:15` (UTC), for tables and chart labels.
    pub fn to_short(self) -> String {
        self.to_datetime().format("%Y-%m-%d %H:%M").to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

/// Start of the UTC day containing `ms`.
pub fn day_start_ms(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY) * MS_PER_DAY
}

/// True when `ms` falls on a Saturday or Sunday (UTC).
pub fn is_weekend(ms: i64) -> bool {
    // 1970-01-01 was a Thursday: day 0 -> Thu, 2 -> Sat, 3 -> Sun.
    let dow = (ms.div_euclid(MS_PER_DAY) + 3).rem_euclid(7); // 0 = Monday
    dow >= 5
}

/// Hour of the week in UTC, 0 = Monday 00:00-01:00 .. 167 = Sunday 23:00-24:00.
pub fn hour_of_week(ms: i64) -> u32 {
    let dt = Timestamp::from_millis(ms).to_datetime();
    dt.weekday().num_days_from_monday() * 24 + dt.hour()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_labels() {
        assert_eq!(duration_label(7 * 86_400), "7d");
        assert_eq!(duration_label(86_400 + 6 * 3_600), "1d 6h");
        assert_eq!(duration_label(2_700), "45m");
        assert_eq!(duration_label(0), "0m");
    }

    #[test]
    fn parses_all_forms() {
        let a = Timestamp::parse_rfc3339("2026-02-07T00:00:00Z").unwrap();
        let b = Timestamp::parse_rfc3339("2026-02-07 00:00:00").unwrap();
        let c = Timestamp::parse_rfc3339("2026-02-07").unwrap();
        let d = Timestamp::parse_rfc3339("2026-02-07T01:00:00+01:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(a.as_millis(), 1_770_422_400_000);
        assert_eq!(a.to_rfc3339(), "2026-02-07T00:00:00Z");
        assert!(Timestamp::parse_rfc3339("07/02/2026").is_err());
    }

    #[test]
    fn calendar() {
        let sat = Timestamp::parse_rfc3339("2026-02-07T13:00:00Z")
            .unwrap()
            .as_millis();
        let fri = Timestamp::parse_rfc3339("2026-02-06T23:59:00Z")
            .unwrap()
            .as_millis();
        let sun = Timestamp::parse_rfc3339("2026-02-08T23:00:00Z")
            .unwrap()
            .as_millis();
        let mon = Timestamp::parse_rfc3339("2026-02-09T00:00:00Z")
            .unwrap()
            .as_millis();
        assert!(is_weekend(sat) && is_weekend(sun));
        assert!(!is_weekend(fri) && !is_weekend(mon));
        assert_eq!(hour_of_week(sat), 5 * 24 + 13);
        assert_eq!(hour_of_week(mon), 0);
        assert_eq!(hour_of_week(sun), 167);
        assert_eq!(
            day_start_ms(sat),
            Timestamp::parse_rfc3339("2026-02-07").unwrap().as_millis()
        );
    }
}
