//! Fast parsing of the time forms found in OHLCV files, to epoch milliseconds UTC.

use blocksale_core::Timestamp;

/// Unit of an epoch number, decided per file from the magnitude of its first value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Epoch seconds.
    Seconds,
    /// Epoch milliseconds.
    Millis,
    /// Epoch microseconds.
    Micros,
    /// Epoch nanoseconds.
    Nanos,
    /// Text dates and times.
    Text,
}

impl TimeUnit {
    /// Short name: `s`, `ms`, `us`, `ns`, `text`.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Millis => "ms",
            TimeUnit::Micros => "us",
            TimeUnit::Nanos => "ns",
            TimeUnit::Text => "text",
        }
    }

    /// Decide the unit of an epoch value by magnitude (dates 1973..5138 map uniquely).
    pub fn from_magnitude(v: f64) -> TimeUnit {
        let a = v.abs();
        if a < 1e11 {
            TimeUnit::Seconds
        } else if a < 1e14 {
            TimeUnit::Millis
        } else if a < 1e17 {
            TimeUnit::Micros
        } else {
            TimeUnit::Nanos
        }
    }

    /// Convert an integer epoch value in this unit to milliseconds (floor).
    pub fn int_to_ms(self, v: i64) -> i64 {
        match self {
            TimeUnit::Seconds => v.saturating_mul(1000),
            TimeUnit::Millis | TimeUnit::Text => v,
            TimeUnit::Micros => v.div_euclid(1000),
            TimeUnit::Nanos => v.div_euclid(1_000_000),
        }
    }

    /// Convert a float epoch value in this unit to milliseconds (rounded to the nearest ms).
    pub fn float_to_ms(self, v: f64) -> i64 {
        let ms = match self {
            TimeUnit::Seconds => v * 1e3,
            TimeUnit::Millis | TimeUnit::Text => v,
            TimeUnit::Micros => v / 1e3,
            TimeUnit::Nanos => v / 1e6,
        };
        ms.round() as i64
    }
}

impl std::fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// 1990-01-01 and 2100-01-01 in epoch ms: the plausible range for a bar time.
pub const MIN_MS: i64 = 631_152_000_000;
/// Upper end of the plausible range.
pub const MAX_MS: i64 = 4_102_444_800_000;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parse a text time to epoch ms UTC.
///
/// Accepts `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` with an optional `Z`, `UTC`, `+HH`, `+HHMM`
/// or `+HH:MM` offset (naive means UTC), CryptoDataDownload's `YYYY-MM-DD HH-AM`/`HH-PM`, and anything
/// else RFC 3339 accepts. Surrounding whitespace and double quotes are ignored.
pub fn parse_text_time(s: &str) -> Option<i64> {
    let t = s.trim().trim_matches('"').trim();
    fast(t.as_bytes()).or_else(|| Timestamp::parse_rfc3339(t).ok().map(Timestamp::as_millis))
}

fn fast(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(day_ms);
    }
    if b[10] != b' ' && b[10] != b'T' || b.len() < 13 {
        return None;
    }
    let hh = num(&b[11..13])?;
    let mut rest = &b[13..];
    // CryptoDataDownload hourly form: `2020-03-13 08-PM`.
    if rest.len() == 3 && rest[0] == b'-' {
        let pm = match &rest[1..] {
            b"AM" | b"am" => false,
            b"PM" | b"pm" => true,
            _ => return None,
        };
        if !(1..=12).contains(&hh) {
            return None;
        }
        let h24 = (hh % 12) + if pm { 12 } else { 0 };
        return Some(day_ms + h24 * 3_600_000);
    }
    if rest.len() < 3 || rest[0] != b':' {
        return None;
    }
    let mm = num(&rest[1..3])?;
    rest = &rest[3..];
    let mut ss = 0;
    let mut frac_ms = 0i64;
    if rest.first() == Some(&b':') {
        if rest.len() < 3 {
            return None;
        }
        ss = num(&rest[1..3])?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let f = &rest[1..1 + digits];
            let mut v = 0i64;
            for i in 0..3 {
                v = v * 10 + f.get(i).map_or(0, |c| i64::from(c - b'0'));
            }
            frac_ms = v;
            rest = &rest[1 + digits..];
        }
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let offset_ms = match rest {
        b"" | b"Z" | b"z" | b" UTC" | b"UTC" | b" Z" => 0,
        _ => {
            let r = if rest[0] == b' ' { &rest[1..] } else { rest };
            let sign = match r.first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &r[1..];
            let (oh, om) = match r.len() {
                2 => (num(r)?, 0),
                4 => (num(&r[0..2])?, num(&r[2..4])?),
                5 if r[2] == b':' => (num(&r[0..2])?, num(&r[3..5])?),
                _ => return None,
            };
            sign * (oh * 3_600_000 + om * 60_000)
        }
    };
    Some(day_ms + hh * 3_600_000 + mm * 60_000 + ss * 1000 + frac_ms - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        Timestamp::parse_rfc3339(s).unwrap().as_millis()
    }

    #[test]
    fn forms() {
        let a = ms("2024-01-01T00:00:00Z");
        assert_eq!(parse_text_time("2024-01-01 00:00:00+0000"), Some(a));
        assert_eq!(parse_text_time("2024-01-01 00:00:00"), Some(a));
        assert_eq!(parse_text_time("2024-01-01T00:00:00Z"), Some(a));
        assert_eq!(parse_text_time("2024-01-01"), Some(a));
        assert_eq!(parse_text_time("2024-01-01 01:00:00+01:00"), Some(a));
        assert_eq!(parse_text_time("2023-12-31 19:00:00-05"), Some(a));
        assert_eq!(parse_text_time("\"2024-01-01 00:00\""), Some(a));
        assert_eq!(
            parse_text_time("2021-05-01 00:00:00.002000+00:00"),
            Some(ms("2021-05-01T00:00:00.002Z"))
        );
        assert_eq!(
            parse_text_time("2020-03-13 08-PM"),
            Some(ms("2020-03-13T20:00:00Z"))
        );
        assert_eq!(
            parse_text_time("2020-03-13 12-AM"),
            Some(ms("2020-03-13T00:00:00Z"))
        );
        assert_eq!(
            parse_text_time("2020-03-13 12-PM"),
            Some(ms("2020-03-13T12:00:00Z"))
        );
        assert_eq!(parse_text_time("2025-02-29"), None);
        assert_eq!(parse_text_time("2025-01-01 24:00:00"), None);
        assert_eq!(parse_text_time("hello"), None);
        assert_eq!(parse_text_time(""), None);
    }

    #[test]
    fn units() {
        assert_eq!(TimeUnit::from_magnitude(1_672_531_200.0), TimeUnit::Seconds);
        assert_eq!(
            TimeUnit::from_magnitude(1_672_531_200_000.0),
            TimeUnit::Millis
        );
        assert_eq!(
            TimeUnit::from_magnitude(1_735_689_600_000_000.0),
            TimeUnit::Micros
        );
        assert_eq!(TimeUnit::from_magnitude(1.7e18), TimeUnit::Nanos);
        assert_eq!(
            TimeUnit::Micros.int_to_ms(1_735_689_600_000_000),
            1_735_689_600_000
        );
        assert_eq!(
            TimeUnit::Seconds.float_to_ms(1_577_836_800.0),
            1_577_836_800_000
        );
    }
}
