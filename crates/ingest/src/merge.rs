//! Many files -> one series: ordered parallel reading, sort, duplicates, bar size, gaps.

use crate::parse::{parse_file, FileBars, Lines};
use crate::{FileInfo, Gap, IngestError, Loaded, OnConflict, ReadOptions, SkippedRow};
use blocksale_core::{hour_of_week, is_weekend, BarColumns, BarSeries, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

/// Columns accumulated in path order, with where each file's rows start and their source lines.
#[derive(Debug, Default)]
struct Acc {
    cols: BarColumns,
    /// Index in `cols` of each file's first row.
    starts: Vec<usize>,
    /// Source lines of each file's rows.
    lines: Vec<Lines>,
    files: Vec<FileInfo>,
    skipped: Vec<SkippedRow>,
    /// Files that will be pushed (sizes the columns after the first one).
    expected_files: usize,
}

impl Acc {
    /// The file index and 1-based line of row `row` (an index into `cols` before any sorting).
    fn source(&self, row: usize) -> (usize, usize) {
        // The last file starting at or before the row (files without rows share its start).
        let fi = self.starts.partition_point(|&s| s <= row) - 1;
        (fi, self.lines[fi].get(row - self.starts[fi]) as usize)
    }

    fn new(expected_files: usize) -> Self {
        Acc {
            expected_files,
            ..Acc::default()
        }
    }

    /// Append a file's rows; returns its emptied columns for reuse.
    fn push(&mut self, fb: FileBars) -> Result<BarColumns, IngestError> {
        let FileBars {
            cols,
            lines,
            skipped,
            info,
        } = fb;
        let first = self.files.is_empty();
        if first {
            self.cols.volume_unit = cols.volume_unit;
            self.cols.quote_volume = cols.quote_volume.as_ref().map(|_| Vec::new());
            self.cols.trades = cols.trades.as_ref().map(|_| Vec::new());
            self.cols.taker_buy_volume = cols.taker_buy_volume.as_ref().map(|_| Vec::new());
            // Room for every file the size of the first, and a quarter more: growing the columns
            // by doubling would copy them and touch fresh pages again. Unused room is never touched.
            let cap = cols
                .len()
                .saturating_mul(self.expected_files)
                .saturating_add(cols.len() * self.expected_files / 4)
                .min(1 << 28);
            self.cols.reset(cap);
        } else if cols.volume_unit != self.cols.volume_unit {
            return Err(IngestError::Incompatible {
                path: info.path.clone(),
                problem: format!(
                    "volume is in {:?} units but {} has {:?} units; read them separately",
                    cols.volume_unit,
                    self.files[0].path.display(),
                    self.cols.volume_unit
                )
                .to_lowercase(),
            });
        }
        let d = &mut self.cols;
        d.open_time_ms.extend_from_slice(&cols.open_time_ms);
        d.open.extend_from_slice(&cols.open);
        d.high.extend_from_slice(&cols.high);
        d.low.extend_from_slice(&cols.low);
        d.close.extend_from_slice(&cols.close);
        d.volume.extend_from_slice(&cols.volume);
        // An optional column survives only when every file has it.
        match (d.quote_volume.as_mut(), &cols.quote_volume) {
            (Some(a), Some(b)) => a.extend_from_slice(b),
            _ => d.quote_volume = None,
        }
        match (d.trades.as_mut(), &cols.trades) {
            (Some(a), Some(b)) => a.extend_from_slice(b),
            _ => d.trades = None,
        }
        match (d.taker_buy_volume.as_mut(), &cols.taker_buy_volume) {
            (Some(a), Some(b)) => a.extend_from_slice(b),
            _ => d.taker_buy_volume = None,
        }
        self.starts.push(self.cols.len() - cols.len());
        self.lines.push(lines);
        self.files.push(info);
        self.skipped.extend(skipped);
        Ok(cols)
    }
}

/// Read `files` in parallel and merge them (each file is appended, in path order, as soon as it and
/// the files before it are read, so few parsed files wait in memory).
pub(crate) fn load_files(
    files: &[PathBuf],
    opts: &ReadOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Loaded, IngestError> {
    let total = files.len();
    let cancel = AtomicBool::new(false);
    let mut acc = Acc::new(total);
    let mut err: Option<IngestError> = None;
    // Plain threads, not rayon: polars parses on its own rayon pool, and a rayon worker waiting
    // for another pool steals more work of its own meanwhile (re-entering the file reader with a
    // half-read file on its stack). Workers take files in path order so few wait for the merge.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(total);
    let next_file = AtomicUsize::new(0);
    // Column buffers of files already merged, lent to the next files: their pages stay mapped
    // instead of being faulted in afresh for every file.
    let spare: Mutex<Vec<BarColumns>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<FileBars, IngestError>)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (cancel, next_file, spare) = (&cancel, &next_file, &spare);
            s.spawn(move || loop {
                let i = next_file.fetch_add(1, Ordering::Relaxed);
                if i >= total || cancel.load(Ordering::Relaxed) {
                    break;
                }
                let buf = spare
                    .lock()
                    .map_or_else(|_| None, |mut v| v.pop())
                    .unwrap_or_default();
                if tx.send((i, parse_file(&files[i], opts, buf))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut next = 0usize;
        let mut done = 0usize;
        for (i, r) in rx {
            done += 1;
            if let Some(cb) = progress {
                cb(done, total);
            }
            pending.insert(i, r);
            while let Some(r) = pending.remove(&next) {
                next += 1;
                if err.is_some() {
                    continue;
                }
                match r.and_then(|fb| acc.push(fb)) {
                    Ok(buf) => {
                        if let Ok(mut v) = spare.lock() {
                            if v.len() < workers + 1 {
                                v.push(buf);
                            }
                        }
                    }
                    Err(e) => {
                        err = Some(e);
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    finish(acc, opts)
}

/// Merge results already in memory (in order).
pub(crate) fn merge_results(
    results: Vec<Result<FileBars, IngestError>>,
    opts: &ReadOptions,
) -> Result<Loaded, IngestError> {
    let mut acc = Acc::new(results.len());
    for r in results {
        acc.push(r?)?;
    }
    finish(acc, opts)
}

fn permute<T: Copy>(v: &mut Vec<T>, perm: &[usize]) {
    let out: Vec<T> = perm.iter().map(|&i| v[i]).collect();
    *v = out;
}

fn compact<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| *k.next().unwrap_or(&true));
}

fn same_row(c: &BarColumns, i: usize, j: usize) -> bool {
    c.open[i] == c.open[j]
        && c.high[i] == c.high[j]
        && c.low[i] == c.low[j]
        && c.close[i] == c.close[j]
        && c.volume[i] == c.volume[j]
        && c.quote_volume.as_ref().is_none_or(|v| v[i] == v[j])
        && c.trades.as_ref().is_none_or(|v| v[i] == v[j])
        && c.taker_buy_volume.as_ref().is_none_or(|v| v[i] == v[j])
}

/// The most common positive step between consecutive times (ties: the smallest).
pub(crate) fn infer_step(t: &[i64]) -> Option<i64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    let mut run: Option<(i64, usize)> = None;
    for w in t.windows(2) {
        let d = w[1] - w[0];
        if d <= 0 {
            continue;
        }
        match run.as_mut() {
            Some((rd, n)) if *rd == d => *n += 1,
            _ => {
                if let Some((rd, n)) = run {
                    *counts.entry(rd).or_default() += n;
                }
                run = Some((d, 1));
            }
        }
    }
    if let Some((rd, n)) = run {
        *counts.entry(rd).or_default() += n;
    }
    counts
        .into_iter()
        .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d)))
        .map(|(d, _)| d)
}

fn finish(mut acc: Acc, opts: &ReadOptions) -> Result<Loaded, IngestError> {
    let mut cols = std::mem::take(&mut acc.cols);
    if cols.is_empty() {
        return Err(IngestError::NoRows {
            files: acc.files.len(),
            skipped: acc.skipped.len(),
        });
    }
    // Sort (stable: equal times keep path order, then line order). `sorted_from` maps sorted rows back to
    // appended rows, for naming the source of a conflict.
    let mut sorted_from: Option<Vec<usize>> = None;
    if !cols.open_time_ms.windows(2).all(|w| w[0] <= w[1]) {
        let mut perm: Vec<usize> = (0..cols.len()).collect();
        perm.sort_by_key(|&i| cols.open_time_ms[i]);
        permute(&mut cols.open_time_ms, &perm);
        permute(&mut cols.open, &perm);
        permute(&mut cols.high, &perm);
        permute(&mut cols.low, &perm);
        permute(&mut cols.close, &perm);
        permute(&mut cols.volume, &perm);
        for v in [cols.quote_volume.as_mut(), cols.taker_buy_volume.as_mut()]
            .into_iter()
            .flatten()
        {
            permute(v, &perm);
        }
        if let Some(v) = cols.trades.as_mut() {
            permute(v, &perm);
        }
        sorted_from = Some(perm);
    }
    let source = |row: usize| acc.source(sorted_from.as_ref().map_or(row, |p| p[row]));
    // Duplicates.
    let n = cols.len();
    let mut keep: Option<Vec<bool>> = None;
    let (mut dups, mut conflicts) = (0usize, 0usize);
    let t = &cols.open_time_ms;
    let mut i = 1;
    while i < n {
        if t[i] != t[i - 1] {
            i += 1;
            continue;
        }
        let a = i - 1;
        let mut b = i;
        while b < n && t[b] == t[a] {
            b += 1;
        }
        let k = keep.get_or_insert_with(|| vec![true; n]);
        let differing = (a + 1..b).find(|&j| !same_row(&cols, a, j));
        match (differing, opts.on_conflict) {
            (None, _) | (Some(_), OnConflict::First) => {
                k[a + 1..b].iter_mut().for_each(|x| *x = false)
            }
            (Some(_), OnConflict::Last) => k[a..b - 1].iter_mut().for_each(|x| *x = false),
            (Some(j), OnConflict::Error) => {
                let (fa, la) = source(a);
                let (fj, lj) = source(j);
                return Err(IngestError::Conflict {
                    time: Timestamp::from_millis(t[a]).to_rfc3339(),
                    first_path: acc.files[fa].path.clone(),
                    first_line: la,
                    second_path: acc.files[fj].path.clone(),
                    second_line: lj,
                });
            }
        }
        if differing.is_some() {
            conflicts += b - a - 1;
        } else {
            dups += b - a - 1;
        }
        i = b + 1;
    }
    if let Some(k) = keep {
        compact(&mut cols.open_time_ms, &k);
        compact(&mut cols.open, &k);
        compact(&mut cols.high, &k);
        compact(&mut cols.low, &k);
        compact(&mut cols.close, &k);
        compact(&mut cols.volume, &k);
        for v in [cols.quote_volume.as_mut(), cols.taker_buy_volume.as_mut()]
            .into_iter()
            .flatten()
        {
            compact(v, &k);
        }
        if let Some(v) = cols.trades.as_mut() {
            compact(v, &k);
        }
    }
    drop(sorted_from);
    let (files, skipped) = (acc.files, acc.skipped);
    let step_ms = infer_step(&cols.open_time_ms).unwrap_or_else(|| {
        if files.iter().all(|f| f.format == crate::Format::Yahoo) {
            86_400_000
        } else {
            60_000
        }
    });
    let bar_seconds = (step_ms / 1000).max(1);
    let bar_ms = bar_seconds * 1000;
    let gaps = cols
        .open_time_ms
        .windows(2)
        .filter_map(|w| {
            let missing = (w[1] - w[0] - 1) / bar_ms;
            (missing > 0).then(|| Gap {
                start: Timestamp::from_millis(w[0] + bar_ms),
                end: Timestamp::from_millis(w[0] + missing * bar_ms),
                missing_bars: missing as u64,
            })
        })
        .collect();
    let series = BarSeries::new_checked(cols, bar_seconds)?;
    Ok(Loaded {
        rows: series.len(),
        series,
        files,
        duplicates_dropped: dups + conflicts,
        conflicts_resolved: conflicts,
        rows_skipped: skipped.len(),
        skipped,
        gaps,
    })
}

/// Calendar tags of one bar (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarTag {
    /// Saturday or Sunday.
    pub weekend: bool,
    /// 0 = Monday 00:00-01:00 .. 167 = Sunday 23:00-24:00.
    pub hour_of_week: u32,
}

/// Weekday/weekend flag and hour of week for every bar of `series` (by open time, UTC).
pub fn calendar_tags(series: &BarSeries) -> Vec<CalendarTag> {
    series
        .open_time_ms()
        .iter()
        .map(|&ms| CalendarTag {
            weekend: is_weekend(ms),
            hour_of_week: hour_of_week(ms),
        })
        .collect()
}

/// Parse a bar interval such as `1m`, `5m`, `15m`, `1h`, `4h`, `1d`, `1w` (also `30s`) into seconds.
///
/// # Errors
/// [`IngestError::BadOption`] for anything else.
pub fn parse_every(s: &str) -> Result<i64, IngestError> {
    let bad = || IngestError::BadOption {
        what: "interval",
        value: s.to_string(),
        expected: "a number and a unit s, m, h, d or w, like 1m, 5m, 15m, 1h, 4h, 1d, 1w".into(),
    };
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    n.checked_mul(mult).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every() {
        assert_eq!(parse_every("1m").unwrap(), 60);
        assert_eq!(parse_every("15m").unwrap(), 900);
        assert_eq!(parse_every("4h").unwrap(), 14_400);
        assert_eq!(parse_every("1d").unwrap(), 86_400);
        assert_eq!(parse_every("1w").unwrap(), 604_800);
        assert!(parse_every("h").is_err());
        assert!(parse_every("0m").is_err());
        assert!(parse_every("5y").is_err());
    }

    #[test]
    fn step() {
        assert_eq!(infer_step(&[0, 60, 120, 240, 300]), Some(60));
        assert_eq!(infer_step(&[0]), None);
        assert_eq!(infer_step(&[0, 10, 20, 50, 80, 110]), Some(30));
    }
}
