//! `blocksale inspect` and `blocksale resample` on the real Binance files.

use crate::common::{blocksale, data_dir, is_real};
use serde_json::Value;

#[test]
fn inspect_reports_the_issue_fields_for_the_1m_files() {
    let data = data_dir();
    if !is_real(&data) {
        // The generated fallback has no 1-minute archive: check its 15-minute file instead
        // (143 days of 96 bars from 2025-10-01, no gaps).
        let o = blocksale()
            .args(["inspect", "--json", "-q"])
            .arg(data.join("binance/spot/15m"))
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["rows"], 143 * 96);
        assert_eq!(doc["bar_seconds"], 900);
        assert_eq!(doc["first_open_time"], "2025-10-01T00:00:00Z");
        assert_eq!(doc["gaps"].as_array().unwrap().len(), 0);
        return;
    }
    let o = blocksale()
        .args(["inspect", "--json", "-q"])
        .arg(data.join("binance/spot/1m"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["format"], "binance");
    assert_eq!(doc["files"].as_array().unwrap().len(), 35);
    assert_eq!(doc["rows"], 1_533_520);
    assert_eq!(doc["first_open_time"], "2023-01-01T00:00:00Z");
    assert_eq!(doc["last_open_time"], "2025-11-30T23:59:00Z");
    assert_eq!(doc["bar_seconds"], 60);
    let gaps = doc["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["start"], "2023-03-24T12:40:00Z");
    assert_eq!(gaps[0]["missing_bars"], 80);
    assert_eq!(doc["duplicates_dropped"], 0);
    assert_eq!(doc["rows_skipped"], 0);
}

#[test]
fn resample_to_stdout_matches_the_hourly_file() {
    let data = data_dir();
    let o = blocksale()
        .args(["resample", "--every", "1h", "-o", "-", "-q"])
        .arg(data.join("binance/spot/15m/BTCUSDT_15m.csv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut lines = out.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("open_time,open,high,low,close,volume"));
    // Every hour of the 15-minute file aggregates 4 bars; compare one hour with the 1h file by hand.
    let hour = "2026-02-07T07:00:00Z";
    let row = out
        .lines()
        .find(|l| l.starts_with(hour))
        .expect("hour present");
    let f: Vec<&str> = row.split(',').collect();
    let csv = std::fs::read_to_string(data.join("binance/spot/15m/BTCUSDT_15m.csv")).unwrap();
    let bars: Vec<Vec<f64>> = csv
        .lines()
        .filter(|l| l.starts_with("2026-02-07 07:"))
        .map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(bars.len(), 4);
    let high = bars.iter().map(|b| b[1]).fold(f64::MIN, f64::max);
    let low = bars.iter().map(|b| b[2]).fold(f64::MAX, f64::min);
    let vol: f64 = bars.iter().map(|b| b[4]).sum();
    assert_eq!(f[1].parse::<f64>().unwrap(), bars[0][0]);
    assert_eq!(f[2].parse::<f64>().unwrap(), high);
    assert_eq!(f[3].parse::<f64>().unwrap(), low);
    assert_eq!(f[4].parse::<f64>().unwrap(), bars[3][3]);
    assert!((f[5].parse::<f64>().unwrap() - vol).abs() < 1e-9);
}

#[test]
fn a_bad_row_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "timestamp,open,high,low,close,volume\n2026-02-07 00:00:00,100,101,99,100,1\n2026-02-07 00:01:00,100,99,98,100,1\n").unwrap();
    let o = blocksale().arg("inspect").arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert!(err.contains("high"), "{err}");
}

/// A folder of several layouts, one of them unreadable: every file is listed with its layout or its
/// error, and the run fails with exit 2 naming how many could not be read.
#[test]
fn a_folder_with_an_odd_file_lists_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::common::cango_data();
    for (sub, name) in [
        ("binance/spot/15m", "BTCUSDT_15m.extract.csv.gz"),
        ("binance/usdm/15m", "BTCUSDT_USDM_15m.extract.csv.gz"),
    ] {
        std::fs::copy(data.join(sub).join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("notes.csv"), "when,what\nmonday,lunch\n").unwrap();
    let o = blocksale().arg("inspect").arg(dir.path()).output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        out.contains("BTCUSDT_15m.extract.csv.gz  timestamp-ohlcv"),
        "{out}"
    );
    assert!(
        out.contains("BTCUSDT_USDM_15m.extract.csv.gz  binance"),
        "{out}"
    );
    assert!(
        out.contains(
            "9600 rows, 2025-11-05T00:00:00Z .. 2026-02-12T23:45:00Z, 900 s bars, 0 missing"
        ),
        "{out}"
    );
    assert!(out.contains("notes.csv  error:"), "{out}");
    assert!(err.contains("1 of 3 files could not be read"), "{err}");
    // As JSON: one object per file.
    let o = blocksale()
        .args(["inspect", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    // The listing, then the error object (as every --json error).
    let mut docs = serde_json::Deserializer::from_slice(&o.stdout).into_iter::<serde_json::Value>();
    let doc = docs.next().unwrap().unwrap();
    let files = doc["files"].as_array().unwrap();
    let error = docs.next().unwrap().unwrap();
    assert_eq!(error["kind"], "user");
    assert_eq!(files.len(), 3);
    assert_eq!(files.iter().filter(|f| f["error"].is_string()).count(), 1);
}

/// `estimate` (and the other read subcommands) find a relative path under `--data`, like the
/// scenario subcommands.
#[test]
fn estimate_resolves_relative_paths_under_data() {
    let o = blocksale()
        .current_dir(std::env::temp_dir())
        .arg("--data")
        .arg(crate::common::cango_data())
        .args([
            "estimate",
            "binance/spot/15m/BTCUSDT_15m.extract.csv.gz",
            "--every",
            "1d",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc["source"][0]
        .as_str()
        .unwrap()
        .ends_with("binance/spot/15m/BTCUSDT_15m.extract.csv.gz"));
}

/// The long-history files (`open_time_utc_s`, epoch seconds, `minutes_present`) read with no flags:
/// the folder lists both (a 1h and a 1d file are not one series), each file on its own is a series.
#[test]
fn inspect_reads_the_long_history_files_with_no_flags() {
    let data = data_dir();
    if !is_real(&data) {
        return; // data_dir() said so (and fails in CI)
    }
    let dir = data.join("binance/spot/history");
    let o = blocksale()
        .args(["inspect", "-q"])
        .arg(&dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("BTCUSDT-1d-derived-from-1m.csv.gz  generic (s time, base volume)  3028 rows, 2017-08-17T00:00:00Z .. 2025-11-30T00:00:00Z, 86400 s bars"), "{out}");
    assert!(out.contains("BTCUSDT-1h-derived-from-1m.csv.gz  generic (s time, base volume)  72540 rows, 2017-08-17T04:00:00Z .. 2025-11-30T23:00:00Z, 3600 s bars"), "{out}");
    let o = blocksale()
        .args(["inspect", "--json", "-q"])
        .arg(dir.join("BTCUSDT-1h-derived-from-1m.csv.gz"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["rows"], 72_540);
    assert_eq!(doc["files"][0]["time_unit"], "s");
    assert_eq!(doc["bar_seconds"], 3_600);
    assert_eq!(doc["first_open_time"], "2017-08-17T04:00:00Z");
    assert_eq!(doc["last_open_time"], "2025-11-30T23:00:00Z");
    assert_eq!(
        doc["columns"],
        serde_json::json!([
            "open",
            "high",
            "low",
            "close",
            "volume",
            "quote_volume",
            "trades"
        ])
    );
    // Hours the exchange was down are gaps: 72,540 bars over 72,668 hours.
    assert_eq!(doc["missing_bars"], 128);
}
