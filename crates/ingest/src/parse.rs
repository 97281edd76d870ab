//! One file -> columns: two fast paths, and a line-by-line path that pins down bad rows.
//!
//! Rows of plain numbers (integer epoch times) go through [`crate::numeric`]; other layouts (text or
//! float times, quoted fields) through polars' CSV reader (from memory, explicit schema, only the
//! needed columns). Either result is checked against the row rules in one pass. Whenever a fast path
//! meets anything unusual (a reader error, a missing value, a row breaking a rule), the file is read
//! again line by line: that path is authoritative for errors (file, line, column, value, what was
//! expected) and for lenient skipping.

use crate::decompress::{read_file_bytes, read_into};
use crate::detect::{detect, split_fields, Layout, TimeKind};
use crate::numeric;
use crate::options::ReadOptions;
use crate::timeparse::{parse_text_time, MAX_MS, MIN_MS};
use crate::{FileInfo, IngestError, SkippedRow};
use blocksale_core::BarColumns;
use polars::prelude::*;
use std::cell::RefCell;
use std::io::Cursor;
use std::path::Path;

/// What one file produced.
#[derive(Debug)]
pub(crate) struct FileBars {
    pub cols: BarColumns,
    /// 1-based source line of every row.
    pub lines: Lines,
    pub skipped: Vec<SkippedRow>,
    pub info: FileInfo,
}

/// The 1-based source line of every row of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lines {
    /// Row `k` is on line `first + k` (the fast paths: no blank or skipped lines). Not stored.
    From(u32),
    /// One line number per row.
    Each(Vec<u32>),
}

impl Lines {
    /// The line of row `k`.
    pub fn get(&self, k: usize) -> u32 {
        match self {
            Lines::From(first) => first + k as u32,
            Lines::Each(v) => v[k],
        }
    }
}

/// Bytes looked at for detection.
const PREFIX: usize = 64 * 1024;

thread_local! {
    /// Text and compressed-bytes buffers reused by the files a thread reads (fewer page faults).
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Buffers above this size are released after use instead of kept for the next file.
const KEEP_BUFFER_BYTES: usize = 256 << 20;

/// Read and parse one file; `spare` lends the numeric parser column buffers to fill (their pages
/// are already mapped).
pub(crate) fn parse_file(
    path: &Path,
    opts: &ReadOptions,
    spare: BarColumns,
) -> Result<FileBars, IngestError> {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        let (text, scratch) = &mut *b;
        let r = read_into(path, text, scratch).and_then(|()| parse_bytes(path, text, opts, spare));
        for buf in [text, scratch] {
            if buf.capacity() > KEEP_BUFFER_BYTES {
                *buf = Vec::new();
            }
        }
        r
    })
}

pub(crate) fn parse_bytes(
    path: &Path,
    bytes: &mut Vec<u8>,
    opts: &ReadOptions,
    spare: BarColumns,
) -> Result<FileBars, IngestError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if bytes[..bytes.len().min(PREFIX)].contains(&b'\r') {
        // CRLF (or old Mac CR) line ends: drop CRs that end a line, keep line numbers.
        let mut out = Vec::with_capacity(bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\r' {
                if bytes.get(i + 1) != Some(&b'\n') {
                    out.push(b'\n');
                }
            } else {
                out.push(b);
            }
        }
        *bytes = out;
    }
    let prefix = &bytes[..bytes.len().min(PREFIX)];
    // Detection looks at the valid UTF-8 start; a bad byte further on is reported with its line.
    let prefix = match std::str::from_utf8(prefix) {
        Ok(s) => s,
        Err(e) if e.valid_up_to() > 0 => {
            std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => {
            let line = prefix.split(|&b| b == b'\n').next().unwrap_or(&[]);
            return Err(IngestError::UnknownFormat {
                path: path.to_path_buf(),
                header: String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned(),
                reason: "the file is not UTF-8 text".into(),
            });
        }
    };
    let lay = detect(path, prefix, opts)?;
    let data = &bytes[lay.data_offset..];
    // Plain numeric rows go through the dedicated parser, the rest through polars.
    let quick = if lay.time_kind == TimeKind::Int && !lay.quoted {
        numeric::parse(data, &lay, spare)
            .filter(columns_ok)
            .ok_or_else(|| "needs a closer look".to_string())
    } else {
        fast(data, &lay)
    };
    let (mut cols, mut lines, skipped) = match quick {
        Ok(c) => (c, Lines::From(lay.first_data_line as u32), Vec::new()),
        // Anything unusual: the line-by-line reader decides (and names the bad row).
        Err(_) => {
            let (c, l, s) = slow(path, data, &lay, opts.lenient)?;
            (c, Lines::Each(l), s)
        }
    };
    if cols.is_empty() && skipped.is_empty() {
        return Err(IngestError::HeaderOnly {
            path: path.to_path_buf(),
            header: lay.names.join(&(lay.sep as char).to_string()),
        });
    }
    let t = &cols.open_time_ms;
    if t.len() >= 2 && t[0] > t[t.len() - 1] {
        reverse(&mut cols);
        let mut each: Vec<u32> = (0..cols.len()).map(|k| lines.get(k)).collect();
        each.reverse();
        lines = Lines::Each(each);
    }
    let info = FileInfo {
        path: path.to_path_buf(),
        format: lay.format,
        rows: cols.len(),
        time_unit: lay.unit,
        volume_unit: lay.volume_unit,
    };
    Ok(FileBars {
        cols,
        lines,
        skipped,
        info,
    })
}

fn reverse(c: &mut BarColumns) {
    c.open_time_ms.reverse();
    c.open.reverse();
    c.high.reverse();
    c.low.reverse();
    c.close.reverse();
    c.volume.reverse();
    for v in [c.quote_volume.as_mut(), c.taker_buy_volume.as_mut()]
        .into_iter()
        .flatten()
    {
        v.reverse();
    }
    if let Some(v) = c.trades.as_mut() {
        v.reverse();
    }
}

fn col_name(i: usize) -> String {
    format!("c{i}")
}

/// Rule check of one row; `None` when it passes.
/// The numbers of one row that the rules look at.
#[derive(Debug, Clone, Copy)]
struct RowVals {
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    qv: Option<f64>,
    tb: Option<f64>,
}

fn check_row(lay: &Layout, r: RowVals) -> Option<String> {
    let RowVals {
        o,
        h,
        l,
        c,
        v,
        qv,
        tb,
    } = r;
    for (i, p) in [(lay.open, o), (lay.high, h), (lay.low, l), (lay.close, c)] {
        if !(p.is_finite() && p > 0.0) {
            return Some(format!(
                "column {}: price {p} is not a finite number > 0",
                lay.names[i]
            ));
        }
    }
    if h < o.max(c) {
        return Some(format!(
            "column {}: high {h} is below max(open, close) = {} (expected high >= open and high >= close)",
            lay.names[lay.high],
            o.max(c)
        ));
    }
    if l > o.min(c) {
        return Some(format!(
            "column {}: low {l} is above min(open, close) = {} (expected low <= open and low <= close)",
            lay.names[lay.low],
            o.min(c)
        ));
    }
    let vcols = [
        (lay.volume, Some(v)),
        (lay.quote_volume, qv),
        (lay.taker_buy, tb),
    ];
    for (i, x) in vcols {
        if let (Some(i), Some(x)) = (i, x) {
            if !(x.is_finite() && x >= 0.0) {
                return Some(format!(
                    "column {}: volume {x} is not a finite number >= 0",
                    lay.names[i]
                ));
            }
        }
    }
    None
}

fn time_ok(ms: i64) -> bool {
    (MIN_MS..MAX_MS).contains(&ms)
}

fn f64_vec(df: &DataFrame, i: usize) -> Result<Vec<f64>, String> {
    let c = df.column(&col_name(i)).map_err(|e| e.to_string())?;
    if c.null_count() > 0 {
        return Err(format!("missing values in column {}", i + 1));
    }
    let ca = c.f64().map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        out.extend_from_slice(arr.values().as_slice());
    }
    Ok(out)
}

/// Polars fast path. `Err` means "look closer", with polars' message for the rare case the slow
/// path finds nothing wrong.
fn fast(data: &[u8], lay: &Layout) -> Result<BarColumns, String> {
    let mut needed = vec![lay.time, lay.open, lay.high, lay.low, lay.close];
    needed.extend(
        [lay.volume, lay.quote_volume, lay.trades, lay.taker_buy]
            .into_iter()
            .flatten(),
    );
    let mut proj = needed.clone();
    proj.sort_unstable();
    proj.dedup();
    let mut schema = Schema::with_capacity(lay.n_fields);
    for i in 0..lay.n_fields {
        let dt = if i == lay.time {
            match lay.time_kind {
                TimeKind::Int => DataType::Int64,
                TimeKind::Float => DataType::Float64,
                TimeKind::Text => DataType::String,
            }
        } else {
            // Unprojected columns are never parsed; a numeric type keeps polars from running its
            // UTF-8 check over every chunk (it does when any schema column is a string).
            DataType::Float64
        };
        schema.with_column(col_name(i).into(), dt);
    }
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_projection(Some(Arc::new(proj)))
        .with_n_threads(Some(1))
        .with_raise_if_empty(false)
        .map_parse_options(|mut p| {
            p.separator = lay.sep;
            // Without quotes in the data, polars' line counter can skip quote tracking.
            p.quote_char = lay.quoted.then_some(b'"');
            p
        })
        .into_reader_with_file_handle(Cursor::new(data))
        .finish()
        .map_err(|e| e.to_string())?;
    let n = df.height();
    let mut cols = lay.columns(0, BarColumns::default());
    let tcol = df.column(&col_name(lay.time)).map_err(|e| e.to_string())?;
    if tcol.null_count() > 0 {
        return Err("missing times".into());
    }
    cols.open_time_ms = match lay.time_kind {
        TimeKind::Int => {
            let u = lay.unit;
            let ca = tcol.i64().map_err(|e| e.to_string())?;
            let mut out = Vec::with_capacity(ca.len());
            for arr in ca.downcast_iter() {
                out.extend(arr.values().iter().map(|&v| u.int_to_ms(v)));
            }
            out
        }
        TimeKind::Float => {
            let u = lay.unit;
            tcol.f64()
                .map_err(|e| e.to_string())?
                .into_no_null_iter()
                .map(|v| u.float_to_ms(v))
                .collect()
        }
        TimeKind::Text => {
            let mut out = Vec::with_capacity(n);
            for s in tcol.str().map_err(|e| e.to_string())?.iter() {
                out.push(s.and_then(parse_text_time).ok_or("bad text time")?);
            }
            out
        }
    };
    cols.open = f64_vec(&df, lay.open)?;
    cols.high = f64_vec(&df, lay.high)?;
    cols.low = f64_vec(&df, lay.low)?;
    cols.close = f64_vec(&df, lay.close)?;
    cols.volume = match lay.volume {
        Some(i) => f64_vec(&df, i)?,
        None => return Err("no volume".into()),
    };
    if let Some(i) = lay.quote_volume {
        cols.quote_volume = Some(f64_vec(&df, i)?);
    }
    if let Some(i) = lay.taker_buy {
        cols.taker_buy_volume = Some(f64_vec(&df, i)?);
    }
    if let Some(i) = lay.trades {
        let v = f64_vec(&df, i)?;
        let counts: Option<Vec<u64>> = v.into_iter().map(numeric::trade_count).collect();
        cols.trades = Some(counts.ok_or("bad trade count")?);
    }
    if !columns_ok(&cols) {
        return Err("row rule".into());
    }
    Ok(cols)
}

/// The row rules and the time range over whole columns, branch-free (they vectorise); the
/// line-by-line path names any offender.
pub(crate) fn columns_ok(cols: &BarColumns) -> bool {
    let price_ok = |x: f64| x.is_finite() & (x > 0.0);
    let vol_ok = |x: &f64| x.is_finite() & (*x >= 0.0);
    let times_ok = cols.open_time_ms.iter().fold(true, |a, &t| a & time_ok(t));
    let rows_ok = (0..cols.len()).fold(true, |acc, r| {
        let (o, h, l, c) = (cols.open[r], cols.high[r], cols.low[r], cols.close[r]);
        acc & price_ok(o)
            & price_ok(h)
            & price_ok(l)
            & price_ok(c)
            & (h >= o.max(c))
            & (l <= o.min(c))
    });
    let vols_ok = cols.volume.iter().fold(true, |a, x| a & vol_ok(x))
        & cols
            .quote_volume
            .iter()
            .flatten()
            .fold(true, |a, x| a & vol_ok(x))
        & cols
            .taker_buy_volume
            .iter()
            .flatten()
            .fold(true, |a, x| a & vol_ok(x));
    times_ok && rows_ok && vols_ok
}

/// A row error and the reason without the file prefix (boxed: the error is large).
type RowErr = Box<(IngestError, String)>;

type SlowOut = (BarColumns, Vec<u32>, Vec<SkippedRow>);

/// Line-by-line path: a complete reader, used when the fast path meets anything unusual.
pub(crate) fn slow(
    path: &Path,
    data: &[u8],
    lay: &Layout,
    lenient: bool,
) -> Result<SlowOut, IngestError> {
    let mut cols = lay.columns(0, BarColumns::default());
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    let mut fields: Vec<&str> = Vec::with_capacity(lay.n_fields);
    for (this, raw) in (lay.first_data_line..).zip(data.split(|&b| b == b'\n')) {
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                let e = IngestError::BadRow {
                    path: path.to_path_buf(),
                    line: this,
                    problem: "the line is not UTF-8 text".into(),
                };
                if lenient {
                    skipped.push(SkippedRow {
                        path: path.to_path_buf(),
                        line: this,
                        reason: "the line is not UTF-8 text".into(),
                    });
                    continue;
                }
                return Err(e);
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(split_fields(text, lay.sep));
        match parse_row(path, this, &fields, lay, &mut cols) {
            Ok(()) => lines.push(this as u32),
            Err(b) => {
                let (e, reason) = *b;
                if lenient {
                    skipped.push(SkippedRow {
                        path: path.to_path_buf(),
                        line: this,
                        reason,
                    });
                } else {
                    return Err(e);
                }
            }
        }
    }
    Ok((cols, lines, skipped))
}

/// Parse, check and append one row; on failure the error and a reason without the file prefix.
fn parse_row(
    path: &Path,
    line: usize,
    f: &[&str],
    lay: &Layout,
    cols: &mut BarColumns,
) -> Result<(), RowErr> {
    if f.len() != lay.n_fields {
        let problem = format!(
            "expected {} fields separated by {:?}, found {}",
            lay.n_fields,
            lay.sep as char,
            f.len()
        );
        return Err(Box::new((
            IngestError::BadRow {
                path: path.to_path_buf(),
                line,
                problem: problem.clone(),
            },
            problem,
        )));
    }
    let bad = |i: usize, expected: String| {
        let reason = format!("column {}: {:?} is not {expected}", lay.names[i], f[i]);
        Box::new((
            IngestError::BadValue {
                path: path.to_path_buf(),
                line,
                column: lay.names[i].clone(),
                value: f[i].to_string(),
                expected,
            },
            reason,
        ))
    };
    let num = |i: usize| -> Result<f64, RowErr> {
        f[i].parse::<f64>().map_err(|_| bad(i, "a number".into()))
    };
    let unit = lay.unit;
    let range_msg = || {
        format!("an epoch time in {unit} (the unit of the file's first row) between 1990 and 2100")
    };
    let t = match lay.time_kind {
        TimeKind::Int => match f[lay.time].parse::<i64>() {
            Ok(v) => unit.int_to_ms(v),
            Err(_) => match f[lay.time].parse::<f64>() {
                Ok(v) if v.is_finite() => unit.float_to_ms(v),
                _ => return Err(bad(lay.time, range_msg())),
            },
        },
        TimeKind::Float => match f[lay.time].parse::<f64>() {
            Ok(v) if v.is_finite() => unit.float_to_ms(v),
            _ => return Err(bad(lay.time, range_msg())),
        },
        TimeKind::Text => parse_text_time(f[lay.time]).ok_or_else(|| {
            bad(
                lay.time,
                "a date/time like 2024-01-01 00:00:00, 2024-01-01T00:00:00Z or 2024-01-01".into(),
            )
        })?,
    };
    if !time_ok(t) {
        return Err(bad(lay.time, range_msg()));
    }
    let o = num(lay.open)?;
    let h = num(lay.high)?;
    let l = num(lay.low)?;
    let c = num(lay.close)?;
    let v = match lay.volume {
        Some(i) => num(i)?,
        None => 0.0,
    };
    let qv = lay.quote_volume.map(num).transpose()?;
    let tb = lay.taker_buy.map(num).transpose()?;
    let tr = match lay.trades {
        Some(i) => {
            let x = num(i)?;
            Some(
                numeric::trade_count(x)
                    .ok_or_else(|| bad(i, "a trade count (an integer >= 0)".into()))?,
            )
        }
        None => None,
    };
    if let Some(problem) = check_row(
        lay,
        RowVals {
            o,
            h,
            l,
            c,
            v,
            qv,
            tb,
        },
    ) {
        return Err(Box::new((
            IngestError::BadRow {
                path: path.to_path_buf(),
                line,
                problem: problem.clone(),
            },
            problem,
        )));
    }
    cols.push_ohlcv(t, o, h, l, c, v);
    if let (Some(x), Some(q)) = (cols.quote_volume.as_mut(), qv) {
        x.push(q);
    }
    if let (Some(x), Some(q)) = (cols.taker_buy_volume.as_mut(), tb) {
        x.push(q);
    }
    if let (Some(x), Some(q)) = (cols.trades.as_mut(), tr) {
        x.push(q);
    }
    Ok(())
}

/// The columns each reader makes of one file, for tests comparing them on real files: the numeric
/// parser (when the layout is numeric), polars and the line-by-line reader, in that order, each
/// `None` where that reader does not apply or refuses the file. Rows are in file order.
#[doc(hidden)]
pub fn columns_by_reader(
    path: &Path,
    opts: &ReadOptions,
) -> Result<[Option<BarColumns>; 3], IngestError> {
    let mut bytes = read_file_bytes(path)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    let prefix = std::str::from_utf8(&bytes[..bytes.len().min(PREFIX)]).unwrap_or("");
    let lay = detect(path, prefix, opts)?;
    let data = &bytes[lay.data_offset..];
    let numeric = (lay.time_kind == TimeKind::Int && !lay.quoted)
        .then(|| numeric::parse(data, &lay, BarColumns::default()))
        .flatten();
    let polars = fast(data, &lay).ok();
    let lines = slow(path, data, &lay, false).ok().map(|s| s.0);
    Ok([numeric, polars, lines])
}
