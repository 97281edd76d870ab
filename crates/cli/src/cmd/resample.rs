//! `blocksale resample`: read bar files, aggregate to a coarser UTC-aligned bar, write normalized CSV.

use crate::error::{user, UserContext};
use crate::read::ReadArgs;
use blocksale_core::{BarSeries, Timestamp};
use blocksale_ingest::parse_every;
use clap::Args as ClapArgs;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `blocksale resample`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Examples:
  blocksale resample ../shared/data/binance/spot/1m --every 1h -o btc-1h.csv
  blocksale resample ../shared/data/binance/spot/1m-event --every 15m -o -")]
pub struct Args {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Target bar size: 1m, 5m, 15m, 1h, 4h, 1d, 1w (UTC-aligned; weeks start Monday). Omit to only normalize.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,
    /// Output CSV file, `-` for stdout
    #[arg(short = 'o', long = "out", value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
}

/// A summed quantity with 15 significant digits (at most 10 decimals), trailing zeros dropped: a sum
/// of decimal values prints as the decimal it stands for (`1001.27664`), not as `1001.2766400000005`.
fn qty(v: f64) -> String {
    let int_digits = if v.abs() >= 1.0 {
        v.abs().log10().floor() as usize + 1
    } else {
        1
    };
    let decimals = 15usize.saturating_sub(int_digits).min(10);
    let s = format!("{v:.decimals$}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// Write `s` as CSV: `open_time` (RFC 3339 UTC), OHLCV, then the optional columns that are present.
/// Prices print in full (shortest exact form); volumes with at most 10 decimals.
///
/// # Errors
/// I/O errors.
pub fn write_csv(s: &BarSeries, w: &mut impl Write) -> std::io::Result<()> {
    let mut head = String::from("open_time,open,high,low,close,volume");
    let (qv, tr, tb, bp) = (
        s.quote_volume(),
        s.trades(),
        s.taker_buy_volume(),
        s.bars_present(),
    );
    for (name, present) in [
        ("quote_volume", qv.is_some()),
        ("trades", tr.is_some()),
        ("taker_buy_volume", tb.is_some()),
        ("bars_present", bp.is_some()),
    ] {
        if present {
            head.push(',');
            head.push_str(name);
        }
    }
    writeln!(w, "{head}")?;
    for i in 0..s.len() {
        write!(
            w,
            "{},{},{},{},{},{}",
            Timestamp::from_millis(s.open_time_ms()[i]).to_rfc3339(),
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            qty(s.volume()[i])
        )?;
        if let Some(v) = qv {
            write!(w, ",{}", qty(v[i]))?;
        }
        if let Some(v) = tr {
            write!(w, ",{}", v[i])?;
        }
        if let Some(v) = tb {
            write!(w, ",{}", qty(v[i]))?;
        }
        if let Some(v) = bp {
            write!(w, ",{}", v[i])?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Run `blocksale resample`.
///
/// # Errors
/// User errors from the flags, the files or the output path.
pub fn run(g: &super::Global, mut a: Args) -> anyhow::Result<()> {
    a.read.resolve_under(g.data.as_deref());
    let every = a
        .every
        .as_deref()
        .map(parse_every)
        .transpose()
        .user_err(|| "--every".into())?;
    // Refuse a file blocksale did not write before reading anything.
    let target = if a.out.as_os_str() == "-" {
        None
    } else {
        let (dir, name) = out_parts(&a.out)?;
        let owned = crate::output::written_by_blocksale(&dir);
        crate::output::check_replace(&dir, &name, &owned, g.force)?;
        Some(Target { dir, name, owned })
    };
    let loaded = a.read.load(g.quiet)?;
    let series = match every {
        Some(e) => loaded
            .series
            .resample(e)
            .user_err(|| format!("--every {}", a.every.as_deref().unwrap_or("")))?,
        None => loaded.series,
    };
    let Some(target) = target else {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        return match write_csv(&series, &mut w).and_then(|()| w.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => Ok(r?),
        };
    };
    write_file(
        &a.out,
        target,
        &series,
        &loaded
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect::<Vec<_>>(),
    )
}

/// Where `-o FILE` goes: its folder, its name, and what blocksale wrote in that folder before.
struct Target {
    dir: PathBuf,
    name: String,
    owned: BTreeSet<String>,
}

/// The folder and file name of `-o FILE`.
fn out_parts(out: &Path) -> anyhow::Result<(PathBuf, String)> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(user(format!(
            "-o {}: folder {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    let name = out
        .file_name()
        .ok_or_else(|| user(format!("-o {} is not a file path", out.display())))?;
    Ok((dir.to_path_buf(), name.to_string_lossy().into_owned()))
}

/// Write to a temporary file beside `out` and rename it into place (no partial output); refuse to
/// replace an input. (Whether blocksale may replace `out` at all was checked before reading.)
fn write_file(
    out: &Path,
    target: Target,
    series: &BarSeries,
    inputs: &[PathBuf],
) -> anyhow::Result<()> {
    if let Ok(c) = out.canonicalize() {
        if inputs
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .any(|p| p == c)
        {
            return Err(user(format!(
                "-o {} is one of the input files; choose another output path",
                out.display()
            )));
        }
    }
    let Target { dir, name, owned } = target;
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write_csv(series, &mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(user(format!("cannot write {}: {e}", out.display())));
    }
    crate::output::record(&dir, owned, [name])
}
