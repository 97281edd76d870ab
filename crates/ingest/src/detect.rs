//! Format detection: preamble lines, delimiter, header, column positions, time kind and unit.

use crate::options::{ColumnMap, Format, ReadOptions};
use crate::timeparse::{parse_text_time, TimeUnit};
use crate::IngestError;
use blocksale_core::{BarColumns, VolumeUnit};
use std::path::Path;

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeKind {
    /// Integer epoch.
    Int,
    /// Float epoch (`1577836800.0`).
    Float,
    /// Text date/time.
    Text,
}

/// Where everything is in one file.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub format: Format,
    pub sep: u8,
    /// Byte offset of the first data row in the text.
    pub data_offset: usize,
    /// 1-based line number of the first data row.
    pub first_data_line: usize,
    /// Fields per row.
    pub n_fields: usize,
    /// Display name of every column.
    pub names: Vec<String>,
    pub time: usize,
    pub open: usize,
    pub high: usize,
    pub low: usize,
    pub close: usize,
    pub volume: Option<usize>,
    pub quote_volume: Option<usize>,
    pub trades: Option<usize>,
    pub taker_buy: Option<usize>,
    pub time_kind: TimeKind,
    pub unit: TimeUnit,
    /// The unit the time column's name states (`open_time_utc_s`, `timestamp_ms`), if any.
    pub stated_unit: Option<TimeUnit>,
    pub volume_unit: VolumeUnit,
    /// The first data row has double quotes.
    pub quoted: bool,
}

impl Layout {
    /// `c` emptied and shaped for this layout (optional columns present where the file has them),
    /// with room for `cap` rows; its allocations are kept.
    pub fn columns(&self, cap: usize, mut c: BarColumns) -> BarColumns {
        fn shape<T>(v: &mut Option<Vec<T>>, present: bool) {
            match (present, v.is_some()) {
                (true, false) => *v = Some(Vec::new()),
                (false, true) => *v = None,
                _ => {}
            }
        }
        shape(&mut c.quote_volume, self.quote_volume.is_some());
        shape(&mut c.taker_buy_volume, self.taker_buy.is_some());
        shape(&mut c.trades, self.trades.is_some());
        c.bars_present = None;
        c.volume_unit = self.volume_unit;
        c.reset(cap);
        c
    }
}

const BINANCE_NAMES: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];
const KRAKEN_NAMES: [&str; 7] = ["time", "open", "high", "low", "close", "volume", "trades"];
const OHLCV_NAMES: [&str; 6] = ["time", "open", "high", "low", "close", "volume"];

/// Lowercase, alphanumerics only: `Open_Time` -> `opentime`, `Volume BTC` -> `volumebtc`.
pub(crate) fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Split one line into trimmed fields with surrounding double quotes removed.
pub(crate) fn split_fields(line: &str, sep: u8) -> impl Iterator<Item = &str> {
    line.split(sep as char).map(|f| {
        let f = f.trim();
        f.strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(f)
            .trim()
    })
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

fn clip(s: &str) -> String {
    let s = s.trim_end_matches(['\r', '\n']);
    if s.chars().count() > 200 {
        let mut t: String = s.chars().take(200).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

fn is_preamble(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("http")
        || l.contains("cryptodatadownload")
        || l.starts_with("timestamps are")
        || l.trim_start().starts_with('#')
}

/// Zone and unit words a time column's name may end with (`open_time_utc_s`, `Time (UTC)`,
/// `timestamp_ms`, `Date(UTC)`), and the unit each unit word states.
const TIME_SUFFIXES: [(&str, Option<TimeUnit>); 16] = [
    ("utc", None),
    ("gmt", None),
    ("z", None),
    ("s", Some(TimeUnit::Seconds)),
    ("sec", Some(TimeUnit::Seconds)),
    ("secs", Some(TimeUnit::Seconds)),
    ("seconds", Some(TimeUnit::Seconds)),
    ("ms", Some(TimeUnit::Millis)),
    ("millis", Some(TimeUnit::Millis)),
    ("milliseconds", Some(TimeUnit::Millis)),
    ("us", Some(TimeUnit::Micros)),
    ("micros", Some(TimeUnit::Micros)),
    ("microseconds", Some(TimeUnit::Micros)),
    ("ns", Some(TimeUnit::Nanos)),
    ("nanos", Some(TimeUnit::Nanos)),
    ("nanoseconds", Some(TimeUnit::Nanos)),
];

/// A header name without its trailing zone and unit words, normalised as [`norm`], and the unit
/// the words state: `open_time_utc_s` -> (`opentime`, seconds), `Time (UTC)` -> (`time`, none).
/// Words are the runs of letters and digits; at least one word is kept.
pub(crate) fn time_key(s: &str) -> (String, Option<TimeUnit>) {
    let mut words: Vec<String> = s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut unit = None;
    while words.len() > 1 {
        let last = words.last().map(String::as_str).unwrap_or("");
        let Some((_, u)) = TIME_SUFFIXES.iter().find(|(w, _)| *w == last) else {
            break;
        };
        unit = unit.or(*u);
        words.pop();
    }
    (words.concat(), unit)
}

fn find(names: &[String], candidates: &[&str]) -> Option<usize> {
    candidates
        .iter()
        .find_map(|c| names.iter().position(|n| n == c))
}

/// Detect the layout of `text` (BOM already stripped).
pub(crate) fn detect(path: &Path, text: &str, opts: &ReadOptions) -> Result<Layout, IngestError> {
    // Non-blank lines with byte offsets and 1-based numbers: at most the first few.
    let mut lines: Vec<(usize, usize, &str)> = Vec::new();
    let mut off = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let l = raw.trim_end_matches(['\n', '\r']);
        if !l.trim().is_empty() {
            lines.push((off, i + 1, l));
            if lines.len() >= 4 {
                break;
            }
        }
        off += raw.len();
    }
    if lines.is_empty() {
        return Err(IngestError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let unknown = |header: &str, reason: String| IngestError::UnknownFormat {
        path: path.to_path_buf(),
        header: clip(header),
        reason,
    };
    let mut k = 0;
    while k < lines.len().min(2) && is_preamble(lines[k].2) {
        k += 1;
    }
    let preamble = k;
    if k >= lines.len() {
        return Err(IngestError::HeaderOnly {
            path: path.to_path_buf(),
            header: clip(lines[lines.len() - 1].2),
        });
    }
    let first = lines[k].2;
    let sep = [b',', b';', b'\t']
        .into_iter()
        .map(|s| (first.bytes().filter(|&b| b == s).count(), s))
        .max_by_key(|&(n, s)| (n, s == b','))
        .filter(|&(n, _)| n > 0)
        .map(|(_, s)| s)
        .ok_or_else(|| {
            unknown(
                first,
                "no delimiter (expected ',', ';' or tab between columns)".into(),
            )
        })?;
    let fields: Vec<&str> = split_fields(first, sep).collect();
    let n_fields = fields.len();
    let f0 = fields[0];
    let has_header = !(is_number(f0) || parse_text_time(f0).is_some());
    let (header, data_idx): (Option<Vec<String>>, usize) = if has_header {
        (Some(fields.iter().map(|s| s.to_string()).collect()), k + 1)
    } else {
        (None, k)
    };
    if data_idx >= lines.len() {
        return Err(IngestError::HeaderOnly {
            path: path.to_path_buf(),
            header: clip(first),
        });
    }
    let (data_offset, first_data_line, data_line) = lines[data_idx];
    let data_fields: Vec<&str> = split_fields(data_line, sep).collect();

    let mut lay = Layout {
        format: Format::Generic,
        sep,
        data_offset: if has_header { data_offset } else { lines[k].0 },
        first_data_line,
        n_fields,
        names: Vec::new(),
        time: 0,
        open: 1,
        high: 2,
        low: 3,
        close: 4,
        volume: Some(5),
        quote_volume: None,
        trades: None,
        taker_buy: None,
        time_kind: TimeKind::Int,
        unit: TimeUnit::Millis,
        stated_unit: None,
        volume_unit: VolumeUnit::Base,
        quoted: data_line.contains('"'),
    };
    let positional = |lay: &mut Layout, fmt: Format| -> Result<(), IngestError> {
        let need = match fmt {
            Format::BinanceKlines => 12,
            Format::Kraken => 7,
            _ => 6,
        };
        if n_fields < need {
            return Err(unknown(
                first,
                format!("format {fmt} needs {need} columns, the file has {n_fields}"),
            ));
        }
        lay.format = fmt;
        (lay.time, lay.open, lay.high, lay.low, lay.close, lay.volume) = (0, 1, 2, 3, 4, Some(5));
        if fmt == Format::BinanceKlines {
            (lay.quote_volume, lay.trades, lay.taker_buy) = (Some(7), Some(8), Some(9));
        }
        if fmt == Format::Kraken {
            lay.trades = Some(6);
        }
        Ok(())
    };

    if let Some(map) = &opts.columns {
        map_columns(&mut lay, map, header.as_deref(), n_fields).map_err(|r| unknown(first, r))?;
        lay.format = opts.format.unwrap_or(Format::Generic);
    } else {
        match (opts.format, &header) {
            (Some(f @ (Format::BinanceKlines | Format::Kraken | Format::Bitstamp | Format::TimestampOhlcv)), _) => {
                positional(&mut lay, f)?
            }
            (Some(f), None) => {
                return Err(unknown(first, format!("format {f} needs a header row, the file has none")));
            }
            (None, None) => match n_fields {
                12.. => positional(&mut lay, Format::BinanceKlines)?,
                7 => positional(&mut lay, Format::Kraken)?,
                6 => positional(&mut lay, Format::TimestampOhlcv)?,
                n => {
                    return Err(unknown(
                        first,
                        format!(
                            "a file without header has {n} columns; expected 12 (Binance klines), 7 (Kraken time,open,high,low,close,volume,trades) or 6 (time,open,high,low,close,volume)"
                        ),
                    ))
                }
            },
            (forced, Some(h)) => {
                by_name(&mut lay, h, forced, preamble).map_err(|r| unknown(first, r))?;
            }
        }
    }
    lay.names = match (&header, lay.format) {
        (Some(h), _) => h.clone(),
        (None, Format::BinanceKlines) => (0..n_fields)
            .map(|i| {
                BINANCE_NAMES
                    .get(i)
                    .map_or(format!("{}", i + 1), |s| s.to_string())
            })
            .collect(),
        (None, Format::Kraken) => (0..n_fields)
            .map(|i| {
                KRAKEN_NAMES
                    .get(i)
                    .map_or(format!("{}", i + 1), |s| s.to_string())
            })
            .collect(),
        (None, _) => (0..n_fields)
            .map(|i| {
                OHLCV_NAMES
                    .get(i)
                    .map_or(format!("{}", i + 1), |s| s.to_string())
            })
            .collect(),
    };
    for (i, n) in lay.names.iter_mut().enumerate() {
        if n.is_empty() {
            *n = format!("{}", i + 1);
        }
    }

    // Time kind and unit from the first data row; a unit the column's name states wins over the
    // magnitude, but must give a time between 2009 and 2100.
    let tv = data_fields.get(lay.time).copied().unwrap_or("");
    let numeric = tv
        .parse::<i64>()
        .map(|v| (TimeKind::Int, v as f64))
        .ok()
        .or_else(|| is_number(tv).then(|| (TimeKind::Float, tv.parse::<f64>().unwrap_or(0.0))));
    if let Some((kind, v)) = numeric {
        lay.time_kind = kind;
        lay.unit = lay
            .stated_unit
            .unwrap_or_else(|| TimeUnit::from_magnitude(v));
        let ms = lay.unit.float_to_ms(v);
        // 2009-01-01 .. 2100-01-01 UTC, epoch ms.
        if lay.stated_unit.is_some() && !(1_230_768_000_000..4_102_444_800_000).contains(&ms) {
            return Err(IngestError::BadValue {
                path: path.to_path_buf(),
                line: first_data_line,
                column: lay.names[lay.time].clone(),
                value: tv.to_string(),
                expected: format!(
                    "an epoch time in {} (as the column's name says) between 2009 and 2100",
                    lay.unit.name()
                ),
            });
        }
    } else if parse_text_time(tv).is_some() {
        lay.time_kind = TimeKind::Text;
        lay.unit = TimeUnit::Text;
    } else {
        return Err(IngestError::BadValue {
            path: path.to_path_buf(),
            line: first_data_line,
            column: lay.names[lay.time].clone(),
            value: tv.to_string(),
            expected: "an epoch time (s, ms, us) or a date/time like 2024-01-01 00:00:00".into(),
        });
    }
    if opts.columns.is_none()
        && opts.format.is_none()
        && lay.format == Format::TimestampOhlcv
        && lay.unit == TimeUnit::Seconds
    {
        lay.format = Format::Bitstamp;
    }
    if lay.format == Format::Yahoo {
        lay.volume_unit = VolumeUnit::Quote;
    }
    Ok(lay)
}

fn map_columns(
    lay: &mut Layout,
    map: &ColumnMap,
    header: Option<&[String]>,
    n: usize,
) -> Result<(), String> {
    let pos = |name: &str| -> Result<usize, String> {
        if let Some(h) = header {
            if let Some(i) = h.iter().position(|x| x.eq_ignore_ascii_case(name.trim())) {
                return Ok(i);
            }
        }
        match name.trim().parse::<usize>() {
            Ok(i) if (1..=n).contains(&i) => Ok(i - 1),
            _ => Err(format!(
                "column map names {name:?}, which is not a header name{} nor a column number 1..{n}",
                header.map_or(String::new(), |h| format!(" ({})", h.join(", ")))
            )),
        }
    };
    let opt = |x: &Option<String>| x.as_deref().map(pos).transpose();
    lay.time = pos(&map.time)?;
    lay.open = pos(&map.open)?;
    lay.high = pos(&map.high)?;
    lay.low = pos(&map.low)?;
    lay.close = pos(&map.close)?;
    lay.volume = Some(pos(&map.volume)?);
    lay.quote_volume = opt(&map.quote_volume)?;
    lay.trades = opt(&map.trades)?;
    lay.taker_buy = opt(&map.taker_buy_volume)?;
    Ok(())
}

fn by_name(
    lay: &mut Layout,
    header: &[String],
    forced: Option<Format>,
    preamble: usize,
) -> Result<(), String> {
    let names: Vec<String> = header.iter().map(|s| norm(s)).collect();
    let has = |c: &str| names.iter().any(|n| n == c);
    const TIME_NAMES: [&str; 10] = [
        "opentime",
        "unix",
        "unixtimestamp",
        "timestamp",
        "time",
        "datetime",
        "date",
        "opentimems",
        "ts",
        "t",
    ];
    // A name as written first; else without its zone and unit words, which may state the unit.
    let keyed: Vec<(String, Option<TimeUnit>)> = header.iter().map(|s| time_key(s)).collect();
    let key_names: Vec<String> = keyed.iter().map(|(k, _)| k.clone()).collect();
    let time = find(&names, &TIME_NAMES).or_else(|| find(&key_names, &TIME_NAMES));
    lay.stated_unit = time.and_then(|i| keyed[i].1);
    let open = find(&names, &["open", "o", "openprice"]);
    let high = find(&names, &["high", "h", "highprice"]);
    let low = find(&names, &["low", "l", "lowprice"]);
    let close = find(&names, &["close", "c", "closeprice"]);
    let missing: Vec<&str> = [
        ("time", time),
        ("open", open),
        ("high", high),
        ("low", low),
        ("close", close),
    ]
    .iter()
    .filter(|(_, i)| i.is_none())
    .map(|(n, _)| *n)
    .collect();
    if !missing.is_empty() {
        return Err(format!(
            "no column for {} in the header (pass --columns time=...,open=...,high=...,low=...,close=... to map them)",
            missing.join(", ")
        ));
    }
    let (time, open, high, low, close) = (
        time.unwrap_or(0),
        open.unwrap_or(1),
        high.unwrap_or(2),
        low.unwrap_or(3),
        close.unwrap_or(4),
    );
    let base_vol = find(
        &names,
        &[
            "volume",
            "vol",
            "v",
            "volumebtc",
            "volumexbt",
            "basevolume",
            "volumebase",
            "volumefrom",
        ],
    );
    let quote_vol = find(
        &names,
        &[
            "quotevolume",
            "quoteassetvolume",
            "qav",
            "volumeusdt",
            "volumeusd",
            "quotevolumeusdt",
            "quotevolumeusd",
            "quoteav",
            "volumequote",
            "volumeto",
        ],
    );
    let trades = find(
        &names,
        &[
            "count",
            "trades",
            "numtrades",
            "numberoftrades",
            "tradecount",
            "ntrades",
        ],
    );
    let taker = find(
        &names,
        &[
            "takerbuyvolume",
            "takerbuybasevolume",
            "takerbuybaseassetvolume",
            "takerbasevol",
            "tbbaseav",
            "takerbuybase",
        ],
    );
    let yahoo = has("adjclose");
    let cdd = preamble > 0 || (has("unix") && (has("symbol") || has("tradecount")));
    let binance = names.len() >= 12 && has("closetime");
    let ohlcv_shape = names.len() == 6
        && [time, open, high, low, close] == [0, 1, 2, 3, 4]
        && base_vol == Some(5);
    let detected = if yahoo {
        Format::Yahoo
    } else if cdd {
        Format::CryptoDataDownload
    } else if binance {
        Format::BinanceKlines
    } else if ohlcv_shape {
        Format::TimestampOhlcv
    } else {
        Format::Generic
    };
    lay.format = forced.unwrap_or(detected);
    (lay.time, lay.open, lay.high, lay.low, lay.close) = (time, open, high, low, close);
    lay.volume = base_vol;
    lay.quote_volume = quote_vol;
    lay.trades = trades;
    lay.taker_buy = taker;
    if lay.volume.is_none() {
        if lay.format == Format::Yahoo {
            return Err("yahoo format needs a Volume column".into());
        }
        // Only a quote volume (e.g. `Volume USD`): use it as the volume, in quote units.
        if let Some(q) = quote_vol {
            lay.volume = Some(q);
            lay.quote_volume = None;
            lay.volume_unit = VolumeUnit::Quote;
        }
    }
    if lay.volume.is_none() {
        return Err(
            "no column for volume in the header (pass --columns ...,volume=NAME to map it)".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{load_bytes, ReadOptions, TimeUnit};

    /// 2024-01-01T00:00:00Z in each unit.
    const S: i64 = 1_704_067_200;

    fn read(header: &str, t0: &str, t1: &str) -> crate::Loaded {
        let csv = format!(
            "{header}\n{t0},42283.58,42554.57,42261.02,42475.23,1271.68\n{t1},42475.23,42775.0,42431.65,42613.56,1196.37\n"
        );
        load_bytes("spelling.csv", csv.into_bytes(), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{header}: {e}"))
    }

    #[test]
    fn header_spellings() {
        let ms = |u: i64| (S * u, (S + 3_600) * u);
        // (time column name, first and second epoch value, unit the reader must use)
        let epochs: [(&str, (i64, i64), TimeUnit); 8] = [
            ("open_time_utc_s", ms(1), TimeUnit::Seconds),
            ("timestamp_ms", ms(1_000), TimeUnit::Millis),
            ("time_us", ms(1_000_000), TimeUnit::Micros),
            ("ts_ns", ms(1_000_000_000), TimeUnit::Nanos),
            ("ts", ms(1_000), TimeUnit::Millis),
            ("Open time", ms(1_000), TimeUnit::Millis),
            ("unix", ms(1), TimeUnit::Seconds),
            ("time_utc", ms(1_000_000), TimeUnit::Micros),
        ];
        for (name, (a, b), unit) in epochs {
            let l = read(
                &format!("{name},open,high,low,close,volume_btc"),
                &a.to_string(),
                &b.to_string(),
            );
            assert_eq!(l.files[0].time_unit, unit, "{name}");
            assert_eq!(
                l.series.first_time().unwrap().as_millis(),
                S * 1_000,
                "{name}"
            );
            assert_eq!(l.series.bar_seconds(), 3_600, "{name}");
        }
        for name in ["Time (UTC)", "Date(UTC)", "datetime", "time_utc", "Date"] {
            let l = read(
                &format!("{name},Open,High,Low,Close,Volume"),
                "2024-01-01 00:00:00",
                "2024-01-01 01:00:00",
            );
            assert_eq!(l.files[0].time_unit, TimeUnit::Text, "{name}");
            assert_eq!(
                l.series.first_time().unwrap().as_millis(),
                S * 1_000,
                "{name}"
            );
        }
    }

    #[test]
    fn volume_spellings_and_ignored_columns() {
        let csv = format!(
            "open_time_utc_s,open,high,low,close,volume_btc,quote_volume_usdt,trades,minutes_present\n{S},1,2,0.5,1.5,10,15,7,60\n"
        );
        let l = load_bytes("history.csv", csv.into_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(l.series.volume(), &[10.0]);
        assert_eq!(l.series.quote_volume(), Some(&[15.0][..]));
        assert_eq!(l.series.trades(), Some(&[7][..]));
    }

    #[test]
    fn a_stated_unit_that_gives_an_implausible_time_is_an_error() {
        // Milliseconds in a column whose name says seconds: year 55,970.
        let csv = format!(
            "open_time_s,open,high,low,close,volume\n{},1,2,0.5,1.5,10\n",
            S * 1_000
        );
        let e = load_bytes("bad.csv", csv.into_bytes(), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.csv"), "{e}");
        assert!(e.contains("open_time_s"), "{e}");
        assert!(e.contains("1704067200000"), "{e}");
        assert!(e.contains("epoch time in s"), "{e}");
    }

    #[test]
    fn time_keys() {
        use super::time_key;
        assert_eq!(
            time_key("open_time_utc_s"),
            ("opentime".into(), Some(TimeUnit::Seconds))
        );
        assert_eq!(time_key("Time (UTC)"), ("time".into(), None));
        assert_eq!(time_key("Date(UTC)"), ("date".into(), None));
        assert_eq!(
            time_key("timestamp_ms"),
            ("timestamp".into(), Some(TimeUnit::Millis))
        );
        // A lone word is kept even when it is a unit word.
        assert_eq!(time_key("s"), ("s".into(), None));
    }
}
