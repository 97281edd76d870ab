//! What a scenario's missing data files mean for the archive: the exact `blocksale fetch` command,
//! or (with `--fetch`) the download itself when the files map cleanly to archive files.
//!
//! A scenario path maps cleanly when it is
//! * an archive-named CSV, `binance/<spot|usdm>/<interval>/<SYMBOL>-<interval>-<YYYY-MM[-DD]>.csv`
//!   (exactly one archive file), or
//! * a folder `binance/<spot|usdm>/<interval>` (the archive files covering the scenario's window,
//!   calibration and context days, which `fetch` writes there).
//!
//! Any other `binance/<market>/<interval>/<file>.csv` (a merged file such as the Cango scenario's
//! `binance/spot/15m/BTCUSDT_15m.csv`) does not: the archive has no such file. The message then
//! gives the fetch command for the days the scenario needs and says to name the folder instead.

use super::plan::{request_for_rel_path, Market, Request, INTERVALS};
use blocksale_backtest::Scenario;
use blocksale_core::MS_PER_DAY;
use chrono::{Days, NaiveDate};
use std::path::Path;

/// How a missing scenario path relates to the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// The path is exactly what `fetch` writes for this request.
    Clean(Request),
    /// `fetch` can download the bars, but into other file names than the scenario's.
    Merged(Request),
    /// Not an archive path.
    None,
}

/// The UTC days a scenario reads: the longest look-back before the window (market calibration,
/// impact calibration, event-study estimation or baseline weeks, plus the context days), the
/// window, the context days after it, one spare day each side. (A replay over earlier weekends
/// reads whatever its files cover; the hint says so.)
pub fn scenario_days(s: &Scenario) -> (NaiveDate, NaiveDate) {
    let start = s.start.to_datetime().date_naive();
    let last = blocksale_core::Timestamp::from_millis(s.end.as_millis() - 1)
        .to_datetime()
        .date_naive();
    let look_back = [
        s.market.calibration_days,
        s.calibration.as_ref().map_or(0, |c| c.days),
        s.event_study.estimation_days,
        s.event_study.baseline_weeks.saturating_mul(7),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let before = u64::from(look_back) + u64::from(s.market.context_days) + 1;
    let after = u64::from(s.market.context_days) + 1;
    (
        start.checked_sub_days(Days::new(before)).unwrap_or(start),
        last.checked_add_days(Days::new(after)).unwrap_or(last),
    )
}

/// The UTC days a source of `s` is read over: [`scenario_days`], and for the replay venue (the
/// price venue unless `replay.venue` says otherwise) also the replay's starts `replay.from ..
/// replay.to`, when the scenario sets them, with the market-calibration and context days before
/// the first start and the window and context days after the last.
pub fn source_days(s: &Scenario, venue: &str) -> (NaiveDate, NaiveDate) {
    let (mut lo, mut hi) = scenario_days(s);
    if let (true, Some(from), Some(to)) = (venue == s.replay_venue(), s.replay.from, s.replay.to) {
        let day = |ms: i64| {
            blocksale_core::Timestamp::from_millis(ms)
                .to_datetime()
                .date_naive()
        };
        let window = s.end.as_millis() - s.start.as_millis();
        let before = i64::from(s.market.calibration_days) + i64::from(s.market.context_days) + 1;
        let after = i64::from(s.market.context_days) + 1;
        lo = lo.min(day(from.as_millis() - before * MS_PER_DAY));
        hi = hi.max(day(to.as_millis() + window + after * MS_PER_DAY));
    }
    (lo, hi)
}

fn symbol_of(file_name: &str) -> String {
    let sym: String = file_name
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .collect();
    if sym.len() >= 5 {
        sym
    } else {
        "BTCUSDT".to_string()
    }
}

/// Classify a scenario path (relative to the data directory) against the archive; `days` is the
/// range the scenario needs.
pub fn mapping(rel: &str, days: (NaiveDate, NaiveDate)) -> Mapping {
    if let Some(req) = request_for_rel_path(rel) {
        return Mapping::Clean(req);
    }
    let rel = rel.trim_start_matches("./").trim_end_matches('/');
    let parts: Vec<&str> = rel.split('/').collect();
    let req = |market: &str, interval: &str, symbol: String| {
        let market = Market::from_name(market)?;
        INTERVALS.contains(&interval).then(|| Request {
            symbol,
            market,
            interval: interval.to_string(),
            from: days.0,
            to: days.1,
        })
    };
    match parts.as_slice() {
        ["binance", m, i] => req(m, i, "BTCUSDT".into()).map_or(Mapping::None, Mapping::Clean),
        ["binance", m, i, name] if name.to_ascii_lowercase().ends_with(".csv") => {
            req(m, i, symbol_of(name)).map_or(Mapping::None, Mapping::Merged)
        }
        _ => Mapping::None,
    }
}

/// The message for a missing scenario path: what to run. Empty when the path is not an archive path.
pub fn missing_hint(rel: &str, dir: &Path, days: (NaiveDate, NaiveDate)) -> String {
    let cmd = |r: &Request| crate::cmd::fetch::command_line(r, Some(dir));
    match mapping(rel, days) {
        Mapping::Clean(r) => format!(
            "; download it from Binance's public archive with\n  {}\nor rerun with --fetch",
            cmd(&r)
        ),
        Mapping::Merged(r) => format!(
            "; Binance's public archive has the same bars as monthly and daily files (not this merged \
             file, so --fetch cannot create it). Download the days this scenario reads with\n  {}\n\
             and name the folder in the scenario instead: files = [\"{}\"]",
            cmd(&r),
            r.dest_rel()
        ),
        Mapping::None => String::new(),
    }
}

const REPLAY_NOTE: &str = " (this source also feeds the replay over earlier weekends: \
    an earlier --from replays further back)";

/// Check every file of every source of `s` in `dir`. Missing ones that map cleanly are fetched
/// when `fetch` is set; any other missing file is a user error with the command to run.
///
/// # Errors
/// A user error naming the missing file and the `blocksale fetch` command; a fetch error.
pub fn ensure_scenario_data(
    dir: &Path,
    s: &Scenario,
    fetch: bool,
    base_url: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    let replay_venue = s.replay.venue.as_deref();
    let mut missing = Vec::new();
    for src in &s.data.sources {
        let days = source_days(s, &src.venue);
        for rel in &src.files {
            let exists = dir.join(rel).exists();
            // A folder is topped up on every --fetch run (verified files are skipped without the
            // network), so an earlier interrupted fetch cannot leave a silently short history.
            let folder = request_for_rel_path(rel).is_none();
            match (fetch, mapping(rel, days)) {
                _ if exists && !(fetch && folder) => {}
                (true, Mapping::Clean(req)) => {
                    let (sum, dest) = crate::cmd::fetch::fetch_request(&req, dir, base_url, quiet)?;
                    if !quiet {
                        eprintln!(
                            "fetched {} file(s) for {rel} into {} ({} already present)",
                            sum.fetched,
                            dest.display(),
                            sum.skipped
                        );
                    }
                }
                _ if exists => {}
                _ => {
                    let replay = if replay_venue == Some(src.venue.as_str()) {
                        REPLAY_NOTE
                    } else {
                        ""
                    };
                    missing.push(format!(
                        "data file {rel} (source {}) not found in the data directory {}{}{replay}",
                        src.venue,
                        dir.display(),
                        missing_hint(rel, dir, days)
                    ));
                }
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        if crate::builtin::is_extract_dir(dir) {
            missing.push(
                "(no --data and no BLOCKSALE_DATA: this is the data built into blocksale, which holds only the \
                 built-in Cango scenario's bars; pass --data DIR with the files, or --data DIR --fetch to \
                 download them)"
                    .to_string(),
            );
        }
        Err(crate::error::user(missing.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const DAYS: (&str, &str) = ("2026-01-03", "2026-02-12");

    fn days() -> (NaiveDate, NaiveDate) {
        (d(DAYS.0), d(DAYS.1))
    }

    #[test]
    fn default_scenario_window() {
        let s: Scenario =
            toml::from_str(crate::scenario::DEFAULT_SCENARIO).expect("default scenario");
        // Sat 7 Feb .. Sun 8 Feb 2026, 30 calibration + 3 context days before, 3 after, 1 spare.
        // The longest look-back is the 90-day impact calibration: 7 Feb - (90 + 3 + 1) days =
        // 5 Nov 2025; the last window day 8 Feb + 3 + 1 = 12 Feb.
        assert_eq!(scenario_days(&s), (d("2025-11-05"), d("2026-02-12")));
    }

    #[test]
    fn merged_file_is_not_a_clean_mapping() {
        let m = mapping("binance/spot/15m/BTCUSDT_15m.csv", days());
        let Mapping::Merged(r) = m else {
            panic!("{m:?}")
        };
        assert_eq!(
            crate::cmd::fetch::command_line(&r, Some(Path::new("/d"))),
            "blocksale fetch --symbol BTCUSDT --market spot --interval 15m --from 2026-01-03 --to 2026-02-12 --dest /d"
        );
        let h = missing_hint(
            "binance/usdm/15m/BTCUSDT_USDM_15m.csv",
            Path::new("d a"),
            days(),
        );
        assert!(h.contains("--market usdm --interval 15m"), "{h}");
        assert!(h.contains("--dest 'd a'"), "{h}");
        assert!(h.contains("files = [\"binance/usdm/15m\"]"), "{h}");
    }

    #[test]
    fn archive_files_and_folders_map_cleanly() {
        assert!(matches!(
            mapping("binance/spot/1m/BTCUSDT-1m-2024-01.csv", days()),
            Mapping::Clean(r) if r.from == d("2024-01-01") && r.to == d("2024-01-31")
        ));
        assert!(matches!(
            mapping("binance/usdm/1h/", days()),
            Mapping::Clean(r) if r.market == Market::Usdm && r.from == d(DAYS.0)
        ));
        assert_eq!(mapping("yahoo/BTC-USD.csv", days()), Mapping::None);
        assert_eq!(mapping("binance/spot/7m", days()), Mapping::None);
        assert_eq!(
            missing_hint("yahoo/BTC-USD.csv", Path::new("d"), days()),
            ""
        );
    }
}
