//! Reading bar files named on the command line: the read flags (`inspect`, `resample`,
//! `estimate`, `calibrate`), the bar-size and time-range flags (`estimate`, `calibrate`), and the
//! loader they share.

use crate::error::{user, UserContext};
use blocksale_core::{BarSeries, Timestamp};
use blocksale_ingest::{
    load_paths, parse_every, read_ohlc_table, ColumnMap, Format, Loaded, OhlcTable, OnConflict,
    ReadOptions,
};
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// Which files and how to read them.
#[derive(Debug, ClapArgs)]
pub struct ReadArgs {
    /// Bar files or folders (folders are read recursively: .csv, .csv.gz, .gz, .zip, .txt, .tsv)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Force a format: binance, timestamp-ohlcv, cryptodatadownload, bitstamp, kraken, yahoo, generic
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// Column mapping for files no format describes, e.g. time=Open_Time,open=o,high=h,low=l,close=c,volume=v
    #[arg(long, value_name = "MAP")]
    pub columns: Option<String>,
    /// Skip bad rows (and report them) instead of failing
    #[arg(long)]
    pub lenient: bool,
    /// Rows with the same open time and different values: error, first or last
    #[arg(long, value_name = "POLICY", default_value = "error")]
    pub on_conflict: String,
}

impl ReadArgs {
    /// The reader options the flags describe.
    ///
    /// # Errors
    /// A user error for a bad `--format`, `--columns` or `--on-conflict` value.
    pub fn options(&self) -> anyhow::Result<ReadOptions> {
        Ok(ReadOptions {
            format: self
                .format
                .as_deref()
                .map(str::parse::<Format>)
                .transpose()
                .user_err(|| "--format".into())?,
            lenient: self.lenient,
            on_conflict: self
                .on_conflict
                .parse::<OnConflict>()
                .user_err(|| "--on-conflict".into())?,
            columns: self
                .columns
                .as_deref()
                .map(str::parse::<ColumnMap>)
                .transpose()
                .user_err(|| "--columns".into())?,
        })
    }

    /// Resolve relative paths as the scenario subcommands do: a relative path that does not exist
    /// from the working directory but does under the data folder (`--data`/`BLOCKSALE_DATA`) is
    /// read from there.
    pub fn resolve_under(&mut self, data: Option<&Path>) {
        let Some(data) = data else { return };
        for p in &mut self.paths {
            if p.is_relative() && !p.exists() && data.join(&*p).exists() {
                *p = data.join(&*p);
            }
        }
    }

    /// Load the files with a progress bar.
    ///
    /// # Errors
    /// User errors from the flags or the reader (file, line, column, value).
    pub fn load(&self, quiet: bool) -> anyhow::Result<Loaded> {
        let opts = self.options()?;
        let pb = crate::progress::bar(0, "loading", quiet);
        let tick = crate::progress::ticker(&pb);
        let loaded = load_paths(&self.paths, &opts, Some(&tick));
        pb.finish_and_clear();
        loaded.user_err(String::new)
    }
}

/// Resampling and the time range.
#[derive(Debug, ClapArgs)]
pub struct RangeArgs {
    /// Resample to this bar size first (1m, 15m, 1h, 1d, ...)
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,
    /// First bar open time to use (RFC 3339 or YYYY-MM-DD[ HH:MM], UTC)
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End of the range, exclusive
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
}

/// Bars with times, or a table without.
pub enum Input {
    /// Timed bars and the files they came from.
    Bars(BarSeries, Vec<String>),
    /// A plain OHLC table.
    Table(OhlcTable, String),
}

/// Load `paths`, falling back to a plain OHLC table for a single file without a time column;
/// resample to `every` and keep `[from, to)`.
///
/// # Errors
/// User errors naming the file, flag and value.
pub fn load_input(read: &ReadArgs, range: &RangeArgs, quiet: bool) -> anyhow::Result<Input> {
    let (paths, every, from, to) = (
        read.paths.as_slice(),
        range.every.as_deref(),
        range.from.as_deref(),
        range.to.as_deref(),
    );
    let opts = read.options()?;
    let pb = crate::progress::bar(0, "loading", quiet);
    let tick = crate::progress::ticker(&pb);
    let loaded = load_paths(paths, &opts, Some(&tick));
    pb.finish_and_clear();
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            if paths.len() == 1 && paths[0].is_file() {
                if let Ok(t) = read_ohlc_table(&paths[0]) {
                    if every.is_some() || from.is_some() || to.is_some() {
                        return Err(user(format!(
                            "{} has no time column: --every, --from and --to cannot apply",
                            paths[0].display()
                        )));
                    }
                    return Ok(Input::Table(t, paths[0].display().to_string()));
                }
            }
            return Err(e).user_err(String::new);
        }
    };
    let files: Vec<String> = loaded
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    let mut bars = loaded.series;
    if let Some(e) = every {
        let secs = parse_every(e).user_err(|| "--every".into())?;
        bars = bars.resample(secs).user_err(|| format!("--every {e}"))?;
    }
    let parse = |flag: &str, v: Option<&str>| -> anyhow::Result<Option<i64>> {
        v.map(|s| {
            Timestamp::parse_rfc3339(s)
                .map(|t| t.as_millis())
                .user_err(|| flag.into())
        })
        .transpose()
    };
    let (f, t) = (parse("--from", from)?, parse("--to", to)?);
    if f.is_some() || t.is_some() {
        bars = bars.slice_time(f.unwrap_or(i64::MIN), t.unwrap_or(i64::MAX));
    }
    if bars.is_empty() {
        return Err(user(
            "no bars in the requested range (--from is inclusive, --to exclusive)",
        ));
    }
    Ok(Input::Bars(bars, files))
}
