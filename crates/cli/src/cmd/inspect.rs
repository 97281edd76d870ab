//! `blocksale inspect`: what the reader sees in some bar files (formats, rows, range, bar size, gaps).

use blocksale_core::Timestamp;
use blocksale_ingest::{Format, Loaded};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::collections::BTreeMap;

/// Output schema version of `blocksale inspect --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Flags of `blocksale inspect`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Examples:
  blocksale inspect ../shared/data/binance/spot/1m
  blocksale inspect ../shared/data/binance/spot/1m-event --json")]
pub struct Args {
    #[command(flatten)]
    pub read: crate::read::ReadArgs,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

/// One file in the JSON document.
#[derive(Debug, Serialize)]
pub struct FileDoc {
    /// As opened.
    pub path: String,
    /// Detected or forced format.
    pub format: String,
    /// Rows kept from this file.
    pub rows: usize,
    /// Time column unit: s, ms, us, ns or text.
    pub time_unit: String,
    /// base or quote.
    pub volume_unit: String,
}

/// A gap in the JSON document.
#[derive(Debug, Serialize)]
pub struct GapDoc {
    /// First missing bar open time.
    pub start: Timestamp,
    /// Last missing bar open time (inclusive).
    pub end: Timestamp,
    /// Number of missing bars.
    pub missing_bars: u64,
}

/// A skipped row in the JSON document.
#[derive(Debug, Serialize)]
pub struct SkippedDoc {
    /// File.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// `blocksale inspect --json`.
#[derive(Debug, Serialize)]
pub struct InspectDoc {
    /// Output schema version.
    pub schema_version: u32,
    /// The format of every file, or `mixed`.
    pub format: String,
    /// Files read, in path order.
    pub files: Vec<FileDoc>,
    /// Bars after merging.
    pub rows: usize,
    /// First bar open time.
    pub first_open_time: Option<Timestamp>,
    /// Last bar open time.
    pub last_open_time: Option<Timestamp>,
    /// Inferred bar size, seconds.
    pub bar_seconds: i64,
    /// Runs of missing bars.
    pub gaps: Vec<GapDoc>,
    /// Total missing bars.
    pub missing_bars: u64,
    /// Duplicate rows dropped (exact, plus those resolved by --on-conflict).
    pub duplicates_dropped: usize,
    /// Of those, rows that differed from the kept one.
    pub conflicts_resolved: usize,
    /// Bad rows skipped under --lenient.
    pub rows_skipped: usize,
    /// The skipped rows.
    pub skipped: Vec<SkippedDoc>,
    /// base or quote.
    pub volume_unit: String,
    /// Optional columns present in every file.
    pub columns: Vec<String>,
    /// Bars per format, for mixed inputs.
    pub rows_by_format: BTreeMap<String, usize>,
}

/// Build the document from what was loaded.
pub fn document(l: &Loaded) -> InspectDoc {
    let s = &l.series;
    let formats: Vec<Format> = l.files.iter().map(|f| f.format).collect();
    let format = match formats.first() {
        Some(f) if formats.iter().all(|g| g == f) => f.to_string(),
        _ => "mixed".to_string(),
    };
    let mut rows_by_format = BTreeMap::new();
    for f in &l.files {
        *rows_by_format.entry(f.format.to_string()).or_insert(0) += f.rows;
    }
    let mut columns = vec![
        "open".to_string(),
        "high".into(),
        "low".into(),
        "close".into(),
        "volume".into(),
    ];
    if s.quote_volume().is_some() {
        columns.push("quote_volume".into());
    }
    if s.trades().is_some() {
        columns.push("trades".into());
    }
    if s.taker_buy_volume().is_some() {
        columns.push("taker_buy_volume".into());
    }
    InspectDoc {
        schema_version: SCHEMA_VERSION,
        format,
        files: l
            .files
            .iter()
            .map(|f| FileDoc {
                path: f.path.display().to_string(),
                format: f.format.to_string(),
                rows: f.rows,
                time_unit: f.time_unit.to_string(),
                volume_unit: unit_name(f.volume_unit),
            })
            .collect(),
        rows: l.rows,
        first_open_time: s.first_time(),
        last_open_time: s.last_time(),
        bar_seconds: s.bar_seconds(),
        gaps: l
            .gaps
            .iter()
            .map(|g| GapDoc {
                start: g.start,
                end: g.end,
                missing_bars: g.missing_bars,
            })
            .collect(),
        missing_bars: l.missing_bars(),
        duplicates_dropped: l.duplicates_dropped,
        conflicts_resolved: l.conflicts_resolved,
        rows_skipped: l.rows_skipped,
        skipped: l
            .skipped
            .iter()
            .map(|r| SkippedDoc {
                path: r.path.display().to_string(),
                line: r.line,
                reason: r.reason.clone(),
            })
            .collect(),
        volume_unit: unit_name(s.volume_unit()),
        columns,
        rows_by_format,
    }
}

fn unit_name(u: blocksale_core::VolumeUnit) -> String {
    match u {
        blocksale_core::VolumeUnit::Base => "base".into(),
        blocksale_core::VolumeUnit::Quote => "quote".into(),
    }
}

/// Run `blocksale inspect`.
///
/// # Errors
/// User errors from the flags or the files.
pub fn run(g: &super::Global, mut a: Args) -> anyhow::Result<()> {
    a.read.resolve_under(g.data.as_deref());
    let loaded = match a.read.load(g.quiet) {
        Ok(l) => l,
        Err(e) => return each_file(&a, e),
    };
    let doc = document(&loaded);
    if a.json {
        return crate::output::print_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"));
    }
    let t = |x: Option<Timestamp>| x.map_or("-".to_string(), |t| t.to_rfc3339());
    let mut out = String::new();
    for f in &doc.files {
        out += &format!(
            "{}  {} ({} time, {} volume)  {} rows\n",
            f.path, f.format, f.time_unit, f.volume_unit, f.rows
        );
    }
    out += &format!("files               {}\n", doc.files.len());
    out += &format!("format              {}\n", doc.format);
    out += &format!("rows                {}\n", doc.rows);
    out += &format!("first open time     {}\n", t(doc.first_open_time));
    out += &format!("last open time      {}\n", t(doc.last_open_time));
    out += &format!("bar seconds         {}\n", doc.bar_seconds);
    out += &format!("columns             {}\n", doc.columns.join(", "));
    out += &format!(
        "gaps                {} ({} missing bars)\n",
        doc.gaps.len(),
        doc.missing_bars
    );
    for gap in doc.gaps.iter().take(20) {
        out += &format!(
            "  {} .. {}  {} bars\n",
            gap.start, gap.end, gap.missing_bars
        );
    }
    if doc.gaps.len() > 20 {
        out += &format!("  ... {} more (see --json)\n", doc.gaps.len() - 20);
    }
    out += &format!("duplicates dropped  {}\n", doc.duplicates_dropped);
    out += &format!("rows skipped        {}\n", doc.rows_skipped);
    for r in doc.skipped.iter().take(20) {
        out += &format!("  {}:{}: {}\n", r.path, r.line, r.reason);
    }
    crate::output::print_stdout(&out)
}

/// One file read on its own, for the listing of a folder the reader could not merge.
#[derive(Debug, Serialize)]
struct EachFileDoc {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_open_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_open_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bar_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_bars: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The files could not be read together: read each on its own and list every one with its layout,
/// rows, range and bar size, or its error (stdout, or JSON with `--json`). Files that each read but
/// do not make one series (a 1h and a 1d file, say) are a finding, not an error; a file that does
/// not read is (exit 2).
fn each_file(a: &Args, merged: anyhow::Error) -> anyhow::Result<()> {
    let Ok(files) = blocksale_ingest::expand_paths(&a.read.paths) else {
        return Err(merged);
    };
    if files.len() < 2 {
        return Err(merged);
    }
    let opts = a.read.options()?;
    let docs: Vec<EachFileDoc> = files
        .iter()
        .map(|p| match blocksale_ingest::load_file(p, &opts) {
            Ok(l) => EachFileDoc {
                path: p.display().to_string(),
                format: l.files.first().map(|f| {
                    format!(
                        "{} ({} time, {} volume)",
                        f.format,
                        f.time_unit,
                        unit_name(f.volume_unit)
                    )
                }),
                rows: Some(l.rows),
                first_open_time: l.series.first_time(),
                last_open_time: l.series.last_time(),
                bar_seconds: Some(l.series.bar_seconds()),
                missing_bars: Some(l.missing_bars()),
                error: None,
            },
            Err(e) => EachFileDoc {
                path: p.display().to_string(),
                format: None,
                rows: None,
                first_open_time: None,
                last_open_time: None,
                bar_seconds: None,
                missing_bars: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    let bad = docs.iter().filter(|d| d.error.is_some()).count();
    let note = (bad == 0).then(|| {
        format!(
            "each file reads, but together they are not one series: {merged:#}; inspect or name them one at a time"
        )
    });
    let text = if a.json {
        serde_json::to_string_pretty(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "files": docs,
            "one_series": false,
            "note": note,
        }))? + "\n"
    } else {
        let t = |x: Option<Timestamp>| x.map_or("-".to_string(), |t| t.to_rfc3339());
        let mut out: String = docs
            .iter()
            .map(|d| match (&d.format, &d.error) {
                (Some(f), _) => format!(
                    "{}  {f}  {} rows, {} .. {}, {} s bars, {} missing\n",
                    d.path,
                    d.rows.unwrap_or(0),
                    t(d.first_open_time),
                    t(d.last_open_time),
                    d.bar_seconds.unwrap_or(0),
                    d.missing_bars.unwrap_or(0)
                ),
                (_, Some(e)) => format!("{}  error: {e}\n", d.path),
                _ => String::new(),
            })
            .collect();
        if let Some(n) = &note {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    };
    crate::output::print_stdout(&text)?;
    if bad == 0 {
        return Ok(());
    }
    Err(crate::error::user(format!(
        "{bad} of {} files could not be read (listed above)",
        docs.len()
    )))
}
