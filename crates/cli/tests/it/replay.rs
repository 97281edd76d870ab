//! `blocksale replay` on the Cango scenario: every weekend of a range, a window return recomputed
//! by hand from the raw 1-hour CSV, the event's percentile, user errors, byte-identical reruns.

use crate::common::{blocksale, data_dir, is_real};
use serde_json::Value;
use std::path::Path;

/// The range replayed: every weekend of 2024-2025 on the real data; the generated data only
/// cover 2025-10 .. 2026-02.
fn range() -> (&'static str, &'static str) {
    if is_real(&data_dir()) {
        ("2024-01-01", "2026-01-01")
    } else {
        ("2025-11-01", "2026-02-01")
    }
}

fn run(args: &[&str], out: &Path) -> Value {
    let o = blocksale()
        .arg("replay")
        .arg("--data")
        .arg(data_dir())
        .arg("--out")
        .arg(out)
        .args(["--json", "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// ln(close of the last bar before `end` / open of the bar at `start`) from the 1-hour CSV, with
/// std only.
fn window_return_by_hand(csv: &str, start: &str, end_last_bar: &str) -> f64 {
    let (mut open, mut close) = (None, None);
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c[0].starts_with(start) {
            open = Some(c[1].parse::<f64>().unwrap());
        }
        if c[0].starts_with(end_last_bar) {
            close = Some(c[4].parse::<f64>().unwrap());
        }
    }
    (close.unwrap() / open.unwrap()).ln() * 1e4
}

#[test]
fn every_weekend_with_the_event_ranked() {
    let (from, to) = range();
    let out = tempfile::tempdir().unwrap();
    let r = run(
        &["--from", from, "--to", to, "--every", "weekend"],
        out.path(),
    );
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["venue"], "binance-spot-1h");
    assert_eq!(r["window_seconds"], 2 * 86_400);
    let requested = r["starts_requested"].as_u64().unwrap();
    let used = r["starts_used"].as_u64().unwrap();
    let skipped: u64 = r["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(used + skipped, requested);
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, used);
    if is_real(&data_dir()) {
        // 104 Saturdays; the first (2024-01-06) has only Monday-Friday of history before it: no
        // weekend day for the weekend V, so it is skipped and counted.
        assert_eq!(requested, 104);
        assert!(used >= 100, "{used}");
        // A window recomputed from the raw file: Saturday 2024-06-01 00:00 to Monday 00:00.
        let csv =
            std::fs::read_to_string(data_dir().join("binance/spot/1h/BTCUSDT_1h.csv")).unwrap();
        let want = window_return_by_hand(&csv, "2024-06-01 00:00", "2024-06-02 23:00");
        let row = rows
            .iter()
            .find(|x| x["start"] == "2024-06-01T00:00:00Z")
            .unwrap();
        let got = row["observed_return_bps"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        // The event (7-9 Feb 2026) lies after the range: nothing overlaps it.
        let e = &r["event"];
        assert_eq!(e["overlapping_starts_excluded"], 0);
        assert_eq!(e["reference_starts"].as_u64().unwrap(), used);
        let ev_ret = window_return_by_hand(&csv, "2026-02-07 00:00", "2026-02-08 23:00");
        assert!((e["row"]["observed_return_bps"].as_f64().unwrap() - ev_ret).abs() < 1e-9);
        // Its percentile recomputed from the rows.
        let obs: Vec<f64> = rows
            .iter()
            .map(|x| x["observed_return_bps"].as_f64().unwrap())
            .collect();
        let below = obs.iter().filter(|&&x| x < ev_ret).count() as f64;
        let eq = obs.iter().filter(|&&x| x == ev_ret).count() as f64;
        let pct = 100.0 * (below + eq / 2.0) / obs.len() as f64;
        assert!((e["observed_return_percentile"].as_f64().unwrap() - pct).abs() < 1e-9);
    }
    // Distributions: ordered percentiles, one per model.
    let d = &r["observed_return_bps"];
    let p: Vec<f64> = ["p5", "p25", "p50", "p75", "p95"]
        .iter()
        .map(|k| d[k].as_f64().unwrap())
        .collect();
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
    assert_eq!(r["predicted"].as_array().unwrap().len(), 6);
    let pct = r["event"]["predicted_impact_percentile"]
        .as_array()
        .unwrap();
    assert_eq!(pct.len(), 6);
    for m in pct {
        let x = m["percentile"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&x));
    }
    let csv = std::fs::read_to_string(out.path().join("replay.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + used);
    assert!(csv.starts_with("start,end,arrival_price_usd,"));
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("exp_decay_impact_at_end_bps"));
}

#[test]
fn same_inputs_same_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = [
        "--from",
        "2025-12-01",
        "--to",
        "2026-01-15",
        "--every",
        "day",
    ];
    let r = run(&args, a.path());
    run(&args, b.path());
    assert_eq!(r["starts_requested"], 45);
    for f in ["replay.csv", "replay.json"] {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
        );
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between identical runs");
    }
}

#[test]
fn hourly_and_weekly_steps() {
    // 2025-12-01 .. 2025-12-08: 168 hourly starts, at the scenario's minute (00); one weekly start,
    // on the scenario's weekday (Saturday 2025-12-06); the JSON written to its file is the one
    // printed, and the rows in the CSV are the starts used.
    let out = tempfile::tempdir().unwrap();
    let args = ["--from", "2025-12-01", "--to", "2025-12-08"];
    let h = run(&[&args[..], &["--every", "hour"]].concat(), out.path());
    assert_eq!(
        (h["every"].as_str(), h["starts_requested"].as_u64()),
        (Some("hour"), Some(168))
    );
    let used = h["starts_used"].as_u64().unwrap();
    let csv = std::fs::read_to_string(out.path().join("replay.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + used);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("2025-12-01T00:00:00Z,"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .starts_with("2025-12-01T01:00:00Z,"),
        "{csv}"
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("replay.json")).unwrap()).unwrap();
    assert_eq!(json, h);
    let w = run(&[&args[..], &["--every", "week"]].concat(), out.path());
    assert_eq!(w["starts_requested"], 1);
    assert_eq!(w["rows"][0]["start"], "2025-12-06T00:00:00Z");
}

#[test]
fn user_errors_name_the_flag_and_exit_2() {
    for (args, needle) in [
        (
            vec!["--from", "2024-13-01", "--to", "2025-01-01"],
            "--from \"2024-13-01\": expected a date YYYY-MM-DD",
        ),
        (
            vec!["--from", "2024-01-01", "--to", "soon"],
            "--to \"soon\": expected a date YYYY-MM-DD",
        ),
        (
            vec!["--from", "2025-01-01", "--to", "2024-01-01"],
            "--to \"2024-01-01\": expected a date after --from \"2025-01-01\"",
        ),
        (
            vec![
                "--from",
                "2024-01-01",
                "--to",
                "2025-01-01",
                "--every",
                "month",
            ],
            "invalid value 'month' for '--every <EVERY>'",
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("never");
        let o = blocksale()
            .arg("replay")
            .arg("--data")
            .arg(data_dir())
            .arg("--out")
            .arg(&dest)
            .arg("-q")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!dest.exists());
    }
}

#[test]
fn help_shows_an_example() {
    let o = blocksale().args(["replay", "--help"]).output().unwrap();
    let h = String::from_utf8_lossy(&o.stdout);
    assert!(
        h.contains("\n  blocksale replay --from 2024-01-01 --to 2026-01-01 --every weekend\n"),
        "{h}"
    );
}

/// The replay's market state on the long history (Binance spot 1h, 2017-08 .. 2025-11, with its
/// outages): at every daily start, every weekly start and every hourly start of 2021, the state
/// the rows are priced with equals a measurement from scratch bit for bit, and the rolling state
/// (running sums moved from day to day) equals it to 1e-12 relative. Without the file (outside
/// CI) the backtest crate's test on a generated three-year history is the check.
#[test]
fn rolling_market_state_on_the_long_history() {
    use blocksale_backtest::replay::{check_market_states, Every, ReplayInput};
    use blocksale_backtest::Scenario;
    use blocksale_core::Timestamp;
    let dir = std::env::var_os("BLOCKSALE_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let file = dir.join("binance/spot/history/BTCUSDT-1h-derived-from-1m.csv.gz");
    if !file.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing (set BLOCKSALE_DATA); CI must run on the real files",
            file.display()
        );
        eprintln!(
            "{} missing: the generated history of blocksale-backtest is the check",
            file.display()
        );
        return;
    }
    let bars = blocksale_ingest::load_file(&file, &Default::default())
        .unwrap()
        .series;
    let toml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/scenarios/cango-2026-02.toml"),
    )
    .unwrap();
    let scenario: Scenario = toml::from_str(&toml).unwrap();
    let sources = std::collections::BTreeMap::from([("binance-spot-1h".to_string(), bars)]);
    let ts = |d: &str| Timestamp::parse_rfc3339(d).unwrap();
    for (from, to, every, at_least) in [
        ("2017-08-17", "2025-11-30", Every::Day, 3_000),
        ("2017-08-17", "2025-11-30", Every::Week, 420),
        ("2021-01-01", "2022-01-01", Every::Hour, 8_000),
    ] {
        let c = check_market_states(&ReplayInput {
            scenario: &scenario,
            sources: &sources,
            calibration: None,
            from: ts(from),
            to: ts(to),
            every,
        })
        .unwrap();
        assert!(c.with_state >= at_least, "{every:?}: {c:?}");
        assert_eq!(
            (c.exact_mismatches, c.rolling_mismatches),
            (0, 0),
            "{every:?}: {c:?}"
        );
        assert!(c.rolling_max_rel_diff <= 1e-12, "{every:?}: {c:?}");
        eprintln!("{every:?}: {c:?}");
    }
}
