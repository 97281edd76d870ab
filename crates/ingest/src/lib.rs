//! Reads public BTC OHLCV files into a validated [`BarSeries`].
//!
//! * Formats (detected from the header and first rows, or forced with [`ReadOptions::format`]):
//!   Binance klines (spot and USD-M, header or none, epoch s/ms/us decided per file), the
//!   `timestamp,open,high,low,close,volume` shape with text or epoch times, CryptoDataDownload,
//!   Bitstamp, Kraken OHLCVT, Yahoo daily and generic delimited files with a [`ColumnMap`].
//! * Plain, gzip (multi-member, via libdeflate) or zip; files decompressed and parsed in parallel.
//!   Rows of plain numbers (integer epoch times, decimals: Binance, Kraken, Bitstamp) go through the
//!   crate's one-pass parser (exactly rounded, the same bits as `str::parse::<f64>`); files with text
//!   or float times through polars' CSV reader from memory. Polars types never leave this crate.
//! * Validation: prices finite and > 0, `high >= max(open, close)`, `low <= min(open, close)`,
//!   volumes >= 0; a bad row is an error naming file, line, column, value and what was expected,
//!   unless [`ReadOptions::lenient`] skips it and reports it in [`Loaded::skipped`].
//! * Many files and directories merge into one series: sorted, exact duplicates dropped and counted,
//!   conflicting duplicates an error unless [`OnConflict::First`]/[`OnConflict::Last`], bar size
//!   inferred (the most common positive step), gaps listed.
//!
//! # Header names
//!
//! Columns are found by name, case and punctuation ignored (`Open_Time`, `open time` and
//! `OPEN-TIME` are the same name). The time column may end with zone and unit words
//! (`utc`, `gmt`, `z`; `s`/`sec`/`seconds`, `ms`/`millis`, `us`/`micros`, `ns`/`nanos`): a unit word
//! states the unit of an epoch time, which then must give a time between 2009 and 2100; without one
//! the unit is inferred from the magnitude of the first value (s, ms, us, ns). Anything not listed
//! is ignored (`minutes_present`, `symbol`, ...); `--columns` maps any other header.
//!
//! | field | accepted names (normalised: lowercase letters and digits) | examples |
//! |---|---|---|
//! | time | `opentime`, `unix`, `unixtimestamp`, `timestamp`, `time`, `datetime`, `date`, `ts`, `t`, each with zone/unit words after it | `Open time`, `open_time_utc_s`, `timestamp_ms`, `time_utc`, `Time (UTC)`, `Date(UTC)`, `datetime`, `ts`, `Unix` |
//! | open, high, low, close | `open`/`o`/`openprice`, `high`/`h`/`highprice`, `low`/`l`/`lowprice`, `close`/`c`/`closeprice` | `Open`, `close_price` |
//! | volume (base, BTC) | `volume`, `vol`, `v`, `volumebtc`, `volumexbt`, `basevolume`, `volumebase`, `volumefrom` | `volume_btc`, `Volume BTC` |
//! | quote volume (USD/USDT) | `quotevolume`, `quoteassetvolume`, `qav`, `volumeusdt`, `volumeusd`, `quotevolumeusdt`, `quotevolumeusd`, `quoteav`, `volumequote`, `volumeto` | `quote_volume_usdt`, `Volume USDT` |
//! | trades | `count`, `trades`, `numtrades`, `numberoftrades`, `tradecount`, `ntrades` | `tradecount` |
//! | taker-buy base volume | `takerbuyvolume`, `takerbuybasevolume`, `takerbuybaseassetvolume`, `takerbasevol`, `tbbaseav`, `takerbuybase` | `taker_buy_base_asset_volume` |
//!
//! A file with only a quote volume (`Volume USD`) uses it as the volume, in quote units. The test
//! `detect::tests::header_spellings` reads one file per spelling of the table.
//!
//! Speed: one worker thread per core reads, inflates and parses files in path order (buffers reused),
//! and the calling thread appends finished files in order into columns sized from the first file. Benchmark:
//! `scripts/bench-ingest.sh` (the 35 monthly 1-minute files against pandas and python-polars);
//! `cargo run --release -p blocksale-ingest --example load -- DIR` times the library alone.
//!
//! ```no_run
//! use blocksale_ingest::{load_paths, ReadOptions};
//! let loaded = load_paths(&["data/binance/spot/1m".into()], &ReadOptions::default(), None)?;
//! println!("{} bars of {} s, {} gaps", loaded.rows, loaded.series.bar_seconds(), loaded.gaps.len());
//! let hourly = loaded.series.resample(3_600)?;
//! # let _ = hourly;
//! # Ok::<(), blocksale_ingest::IngestError>(())
//! ```
//!
//! From text in memory (a Binance archive file without header, open times in microseconds):
//!
//! ```
//! use blocksale_ingest::{load_bytes, Format, ReadOptions, TimeUnit};
//! let csv = "1735689600000000,93576.0,93610.93,93537.5,93610.93,8.21827,1735689659999999,768978.7552247,2631,3.95157,369757.3265289,0\n\
//!            1735689660000000,93610.93,93652.0,93606.2,93652.0,12.14029,1735689719999999,1136550.568175,1273,4.08887,382791.500172,0\n";
//! let l = load_bytes("BTCUSDT-1m-2025-01-01.csv", csv.as_bytes().to_vec(), &ReadOptions::default())?;
//! assert_eq!(l.files[0].format, Format::BinanceKlines);
//! assert_eq!(l.files[0].time_unit, TimeUnit::Micros);
//! assert_eq!(l.series.first_time().unwrap().to_rfc3339(), "2025-01-01T00:00:00Z");
//! assert_eq!(l.series.trades(), Some(&[2631, 1273][..]));
//! # Ok::<(), blocksale_ingest::IngestError>(())
//! ```
#![forbid(unsafe_code)]

mod decompress;
mod detect;
mod error;
mod merge;
mod numeric;
mod options;
mod parse;
mod table;
mod timeparse;
mod zipfile;

pub use error::IngestError;
pub use merge::{calendar_tags, parse_every, CalendarTag};
pub use options::{ColumnMap, Format, OnConflict, ReadOptions};
#[doc(hidden)]
pub use parse::columns_by_reader;
pub use table::{read_ohlc_table, OhlcTable};
pub use timeparse::{parse_text_time, TimeUnit};

use blocksale_core::{BarColumns, BarSeries, Timestamp, VolumeUnit};
use std::path::{Path, PathBuf};

/// One file that was read.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// The file.
    pub path: PathBuf,
    /// The detected (or forced) format.
    pub format: Format,
    /// Rows kept from this file (after skipping bad rows, before merging).
    pub rows: usize,
    /// Unit of the time column (`s`, `ms`, `us`, `ns` or text).
    pub time_unit: TimeUnit,
    /// Unit of the volume column.
    pub volume_unit: VolumeUnit,
}

/// A row skipped in lenient mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped (column, value, what was expected).
    pub reason: String,
}

/// A run of missing bars between two present bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Open time of the first missing bar.
    pub start: Timestamp,
    /// Open time of the last missing bar (inclusive).
    pub end: Timestamp,
    /// Number of missing bars.
    pub missing_bars: u64,
}

/// The merged result of [`load_paths`].
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated bars, sorted by open time.
    pub series: BarSeries,
    /// Every file read, in path order.
    pub files: Vec<FileInfo>,
    /// Bars in `series`.
    pub rows: usize,
    /// Duplicate rows dropped: exact duplicates (same time, same values) plus rows dropped by
    /// [`OnConflict::First`]/[`OnConflict::Last`].
    pub duplicates_dropped: usize,
    /// Of `duplicates_dropped`, rows that differed from the kept one (resolved by the conflict policy).
    pub conflicts_resolved: usize,
    /// Rows skipped as bad in lenient mode.
    pub rows_skipped: usize,
    /// The skipped rows.
    pub skipped: Vec<SkippedRow>,
    /// Missing bars, in time order.
    pub gaps: Vec<Gap>,
}

impl Loaded {
    /// Total number of missing bars over all gaps.
    pub fn missing_bars(&self) -> u64 {
        self.gaps.iter().map(|g| g.missing_bars).sum()
    }
}

fn is_data_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name.starts_with('.') {
        return false;
    }
    [".csv", ".csv.gz", ".gz", ".zip", ".txt", ".tsv"]
        .iter()
        .any(|e| name.ends_with(e))
        && !name.starts_with("readme")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_data_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Expand files and directories (recursively, sorted, data files only) into the list of files to read.
///
/// # Errors
/// [`IngestError::Io`] for a missing path, [`IngestError::NoDataFiles`] when nothing is left.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| IngestError::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                return Err(IngestError::NoDataFiles { path: p.clone() });
            }
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(IngestError::NoDataFiles {
            path: PathBuf::from("-"),
        });
    }
    Ok(out)
}

/// Read files and directories into one validated series.
///
/// Files are decompressed and parsed in parallel; `progress(done, total)` is called after each file.
///
/// # Errors
/// The first problem in path order: unreadable or empty file, unrecognised format (naming the file and
/// the header line seen), a bad row (file, line, column, value, expectation) unless `opts.lenient`,
/// conflicting duplicates unless `opts.on_conflict` says which to keep.
pub fn load_paths(
    paths: &[PathBuf],
    opts: &ReadOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Loaded, IngestError> {
    let files = expand_paths(paths)?;
    merge::load_files(&files, opts, progress)
}

/// Read one file (any supported format) into a series, with the same rules as [`load_paths`].
///
/// # Errors
/// As [`load_paths`].
pub fn load_file(path: &Path, opts: &ReadOptions) -> Result<Loaded, IngestError> {
    merge::load_files(&[path.to_path_buf()], opts, None)
}

/// Read CSV text already in memory (named `name` in messages), e.g. for tests and stdin.
///
/// # Errors
/// As [`load_paths`].
pub fn load_bytes(name: &str, bytes: Vec<u8>, opts: &ReadOptions) -> Result<Loaded, IngestError> {
    let path = PathBuf::from(name);
    let mut bytes = decompress::decode(&path, bytes)?;
    let fb = parse::parse_bytes(&path, &mut bytes, opts, BarColumns::default());
    merge::merge_results(vec![fb], opts)
}
