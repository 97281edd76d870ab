//! A plain OHLC table without a time column, with empty cells as missing values
//! (the layout of the bidask package's `ohlc.csv` test file).

use crate::decompress::read_file_bytes;
use crate::detect::{norm, split_fields};
use crate::IngestError;
use std::path::Path;

/// Open, high, low and close columns; `NaN` marks a missing value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OhlcTable {
    /// Opening prices.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
}

impl OhlcTable {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.open.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

/// Read a CSV (optionally gzip) with open, high, low, close columns found by header name (any case,
/// quoted or not; other columns ignored) or, without a header, the first four columns in that order.
/// Empty cells (and `NA`, `NaN`) become `NaN`.
///
/// # Errors
/// [`IngestError::EmptyFile`], [`IngestError::HeaderOnly`], [`IngestError::UnknownFormat`] when a
/// column is missing, [`IngestError::BadValue`] for a cell that is not a number.
pub fn read_ohlc_table(path: impl AsRef<Path>) -> Result<OhlcTable, IngestError> {
    let path = path.as_ref();
    let bytes = read_file_bytes(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or_else(|| IngestError::EmptyFile {
        path: path.to_path_buf(),
    })?;
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&s| first.bytes().filter(|&b| b == s).count())
        .unwrap_or(b',');
    let head: Vec<&str> = split_fields(first, sep).collect();
    let has_header = head
        .iter()
        .any(|f| !f.is_empty() && f.parse::<f64>().is_err());
    let idx: [usize; 4] =
        if has_header {
            let names: Vec<String> = head.iter().map(|s| norm(s)).collect();
            let mut idx = [0; 4];
            for (k, want) in ["open", "high", "low", "close"].iter().enumerate() {
                idx[k] = names.iter().position(|n| n == want).ok_or_else(|| {
                    IngestError::UnknownFormat {
                        path: path.to_path_buf(),
                        header: first.to_string(),
                        reason: format!(
                            "no {want} column in the header (expected open, high, low, close)"
                        ),
                    }
                })?;
            }
            idx
        } else {
            [0, 1, 2, 3]
        };
    let names = ["open", "high", "low", "close"];
    let mut t = OhlcTable::default();
    let rows: Box<dyn Iterator<Item = (usize, &str)>> = if has_header {
        Box::new(lines)
    } else {
        Box::new(std::iter::once((0, first)).chain(lines))
    };
    for (i, line) in rows {
        let f: Vec<&str> = split_fields(line, sep).collect();
        let mut v = [f64::NAN; 4];
        for k in 0..4 {
            let cell = f.get(idx[k]).copied().unwrap_or("");
            v[k] = match cell {
                "" | "NA" | "NaN" | "nan" => f64::NAN,
                c => c.parse::<f64>().map_err(|_| IngestError::BadValue {
                    path: path.to_path_buf(),
                    line: i + 1,
                    column: names[k].to_string(),
                    value: c.to_string(),
                    expected: "a number or an empty cell".into(),
                })?,
            };
        }
        t.open.push(v[0]);
        t.high.push(v[1]);
        t.low.push(v[2]);
        t.close.push(v[3]);
    }
    if t.is_empty() {
        return Err(IngestError::HeaderOnly {
            path: path.to_path_buf(),
            header: first.to_string(),
        });
    }
    Ok(t)
}
