//! `blocksale fetch`: download Binance's public kline archive into the data directory.

use super::Global;
use crate::error::user;
use crate::fetch::{plan, Fetcher, Market, Outcome, Request, DEFAULT_BASE_URL};
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// Where `fetch` writes when neither `--dest` nor `--data`/`BLOCKSALE_DATA` is given (git-ignored).
pub const DEFAULT_DEST: &str = "data/raw";

const AFTER_HELP: &str = "\
Files: monthly zips for every whole calendar month in --from..--to, daily zips for the days left
over; each is checked against its .CHECKSUM (SHA-256) and unpacked to
<dest>/binance/<market>/<interval>/<SYMBOL>-<interval>-<YYYY-MM[-DD]>.csv with a .sha256 sidecar.
Files already present and verified are skipped without touching the network; an interrupted
download is resumed (Range request) on the next run; a failed file leaves no partial file.

Exit codes: 0 success; 2 bad flag, host unreachable or file not in the archive (404);
1 checksum mismatch, corrupt zip, other HTTP status or local I/O error.

Example:
  blocksale fetch --symbol BTCUSDT --market spot --interval 15m --from 2025-12-01 --to 2026-02-20
  blocksale fetch --market usdm --interval 1h --from 2025-01 --to 2025-06 --dest ~/btc-data
  BLOCKSALE_ARCHIVE_URL=http://mirror:8080 blocksale fetch --interval 1d --from 2024-01 --to 2024-12";

/// Flags of `blocksale fetch`.
#[derive(Debug, ClapArgs)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Trading pair, upper case
    #[arg(long, default_value = "BTCUSDT", value_name = "SYMBOL")]
    pub symbol: String,
    /// Spot or USD-M perpetual futures
    #[arg(long, value_enum, default_value_t = Market::Spot)]
    pub market: Market,
    /// Bar interval
    #[arg(long, default_value = "1m", value_parser = clap::builder::PossibleValuesParser::new(plan::INTERVALS))]
    pub interval: String,
    /// First UTC day, inclusive (YYYY-MM-DD, or YYYY-MM for the first of the month)
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last UTC day, inclusive (YYYY-MM-DD, or YYYY-MM for the last of the month)
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// Data directory to write into [default: --data / BLOCKSALE_DATA, else data/raw]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Archive base URL
    #[arg(long, env = "BLOCKSALE_ARCHIVE_URL", default_value = DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
}

/// The `blocksale fetch ...` command line that downloads `req` into `dest` (for messages).
pub fn command_line(req: &Request, dest: Option<&Path>) -> String {
    let mut s = format!(
        "blocksale fetch --symbol {} --market {} --interval {} --from {} --to {}",
        req.symbol, req.market, req.interval, req.from, req.to
    );
    if let Some(d) = dest {
        s.push_str(&format!(
            " --dest {}",
            shell_quote(&d.display().to_string())
        ));
    }
    s
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Totals of one fetch run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Files downloaded and unpacked.
    pub fetched: usize,
    /// Of those, files continued with a Range request.
    pub resumed: usize,
    /// Files already present and verified.
    pub skipped: usize,
    /// Bytes received.
    pub bytes: u64,
}

/// Fetch every file of `req` into `<data>/binance/<market>/<interval>/`, with a progress bar.
///
/// # Errors
/// The first file that fails (its temporaries removed); files fetched before it stay, verified.
pub fn fetch_request(
    req: &Request,
    data: &Path,
    base_url: &str,
    quiet: bool,
) -> anyhow::Result<(Summary, PathBuf)> {
    req.validate().map_err(user)?;
    let dest = data.join(req.dest_rel());
    // Folders this run creates: removed again (when still empty) if it fails.
    let created: Vec<PathBuf> = dest
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    let remove_created = || {
        for d in &created {
            let _ = std::fs::remove_dir(d); // only succeeds when empty
        }
    };
    let fetcher = Fetcher::new(base_url, &dest).inspect_err(|_| remove_created())?;
    let files = req.plan();
    let pb = crate::progress::bar(files.len() as u64, "fetching", quiet);
    let mut sum = Summary::default();
    for f in &files {
        pb.set_message(f.zip_name.clone());
        let outcome = fetcher.fetch(f, &|_| pb.tick());
        match outcome {
            Ok(Outcome::Skipped) => sum.skipped += 1,
            Ok(Outcome::Fetched { bytes, resumed }) => {
                sum.fetched += 1;
                sum.bytes += bytes;
                sum.resumed += usize::from(resumed);
            }
            Err(e) => {
                pb.finish_and_clear();
                remove_created();
                return Err(e);
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok((sum, dest))
}

/// Run the subcommand.
pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let req = Request {
        symbol: a.symbol,
        market: a.market,
        interval: a.interval,
        from: plan::parse_day("--from", &a.from, false).map_err(user)?,
        to: plan::parse_day("--to", &a.to, true).map_err(user)?,
    };
    let data = a
        .dest
        .or_else(|| g.data.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DEST));
    let (sum, dest) = fetch_request(&req, &data, &a.base_url, g.quiet)?;
    crate::output::print_stdout(&format!(
        "{} file(s) fetched ({:.1} MB{}), {} already present and verified, in {}",
        sum.fetched,
        sum.bytes as f64 / 1e6,
        if sum.resumed > 0 {
            format!(", {} resumed", sum.resumed)
        } else {
            String::new()
        },
        sum.skipped,
        dest.display()
    ))?;
    Ok(())
}
