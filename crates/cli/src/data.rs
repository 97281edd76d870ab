//! Finding the data directory and loading the bars a scenario names.

use crate::error::{user, UserContext};
use blocksale_backtest::Scenario;
use blocksale_core::BarSeries;
use blocksale_ingest::{load_paths, ColumnMap, Format, Loaded, ReadOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Resolve `--data DIR` / `BLOCKSALE_DATA`; without either, the extract built into the binary
/// (the built-in Cango scenario's bars, [`crate::builtin`]).
///
/// # Errors
/// A user error naming the flag and the path when it is not a directory; an error when the
/// extract cannot be written to its cache folder.
pub fn data_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    let Some(dir) = flag else {
        return crate::builtin::data_dir();
    };
    if !dir.is_dir() {
        return Err(user(format!(
            "data directory {} does not exist or is not a directory (from --data or BLOCKSALE_DATA)",
            dir.display()
        )));
    }
    Ok(dir.to_path_buf())
}

/// Load the files `rel` (relative to `dir`) into one series, with a progress bar.
///
/// # Errors
/// A user error naming the missing file, or the ingest error (file, line, column, value).
pub fn load(
    dir: &Path,
    rel: &[String],
    opts: &ReadOptions,
    quiet: bool,
) -> anyhow::Result<(BarSeries, Loaded)> {
    let mut paths = Vec::with_capacity(rel.len());
    for r in rel {
        let p = dir.join(r);
        if !p.exists() {
            return Err(user(format!(
                "data file {} not found in the data directory {}",
                r,
                dir.display()
            )));
        }
        paths.push(p);
    }
    let pb = crate::progress::bar(0, "loading", quiet);
    let tick = crate::progress::ticker(&pb);
    let loaded = load_paths(&paths, opts, Some(&tick)).user_err(String::new)?;
    pb.finish_and_clear();
    Ok((loaded.series.clone(), loaded))
}

/// The reader options of every source of `s` (its `format` and `columns` keys, with the meaning of
/// the `--format` and `--columns` flags).
///
/// # Errors
/// A user error naming the dotted key (`data.sources[1].columns`), the value and what is allowed.
pub fn source_options(s: &Scenario) -> anyhow::Result<Vec<ReadOptions>> {
    s.data
        .sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let format = src
                .format
                .as_deref()
                .map(str::parse::<Format>)
                .transpose()
                .user_err(|| format!("scenario key data.sources[{i}].format"))?;
            let columns = src
                .columns
                .as_ref()
                .map(|c| c.as_flag().parse::<ColumnMap>())
                .transpose()
                .user_err(|| format!("scenario key data.sources[{i}].columns"))?;
            Ok(ReadOptions {
                format,
                columns,
                ..ReadOptions::default()
            })
        })
        .collect()
}

/// Bars of every source of a scenario.
#[derive(Debug)]
pub struct Sources {
    /// Bars per venue label.
    pub series: BTreeMap<String, BarSeries>,
    /// Every file read, relative to the data directory (directories expanded).
    pub files_rel: Vec<String>,
    /// Every file read, as opened (absolute or relative to the working directory).
    pub files_abs: Vec<PathBuf>,
}

/// Load every source the scenario names.
///
/// # Errors
/// As [`load`].
pub fn load_sources(dir: &Path, s: &Scenario, quiet: bool) -> anyhow::Result<Sources> {
    let mut out = Sources {
        series: BTreeMap::new(),
        files_rel: Vec::new(),
        files_abs: Vec::new(),
    };
    for (src, opts) in s.data.sources.iter().zip(source_options(s)?) {
        let (bars, loaded) = load(dir, &src.files, &opts, quiet)?;
        out.series.insert(src.venue.clone(), bars);
        for f in &loaded.files {
            let rel = f.path.strip_prefix(dir).unwrap_or(&f.path);
            out.files_rel.push(rel.to_string_lossy().replace('\\', "/"));
            out.files_abs.push(f.path.clone());
        }
    }
    Ok(out)
}
