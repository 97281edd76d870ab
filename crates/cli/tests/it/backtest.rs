//! `blocksale backtest` on the Cango scenario: numbers recomputed by hand, errors, determinism.

use crate::common::{blocksale, data_dir, is_real};
use serde_json::Value;
use std::collections::BTreeMap;

fn run_json(extra: &[&str]) -> (Value, tempfile::TempDir) {
    let data = data_dir();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = blocksale();
    cmd.arg("backtest")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(out.path())
        .arg("--json")
        .arg("-q");
    cmd.args(extra);
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (serde_json::from_slice(&o.stdout).unwrap(), out)
}

fn f(v: &Value, path: &str) -> f64 {
    let mut x = v;
    for k in path.split('.') {
        x = &x[k];
    }
    x.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {x}"))
}

/// Daily (close, volume, is_weekend) from the 15-minute CSV, parsed here with std only, for the UTC
/// days 2026-01-08 .. 2026-02-06 (the 30 days before the Saturday 7 Feb start).
fn daily_by_hand(csv: &str) -> Vec<(f64, f64, bool)> {
    let mut days: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let day = &c[0][..10];
        if !("2026-01-08"..="2026-02-06").contains(&day) {
            continue;
        }
        let e = days.entry(day.to_string()).or_insert((0.0, 0.0, 0));
        e.0 = c[4].parse().unwrap(); // rows are in time order: the last close of the day wins
        e.1 += c[5].parse::<f64>().unwrap();
        e.2 += 1;
    }
    assert_eq!(days.len(), 30);
    days.iter()
        .map(|(d, &(c, v, n))| {
            assert_eq!(n, 96, "day {d} is incomplete");
            let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            let wk = matches!(
                chrono::Datelike::weekday(&date),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            );
            (c, v, wk)
        })
        .collect()
}

#[test]
fn cango_numbers_match_a_hand_calculation() {
    let (doc, _out) = run_json(&[]);
    let data = data_dir();
    let csv = std::fs::read_to_string(data.join("binance/spot/15m/BTCUSDT_15m.csv")).unwrap();
    let days = daily_by_hand(&csv);
    let rets: Vec<f64> = days.windows(2).map(|w| (w[1].0 / w[0].0).ln()).collect();
    let mean = rets.iter().sum::<f64>() / rets.len() as f64;
    let sigma =
        (rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (rets.len() - 1) as f64).sqrt();
    let adv = days.iter().map(|d| d.1).sum::<f64>() / 30.0;
    let wk: Vec<f64> = days.iter().filter(|d| d.2).map(|d| d.1).collect();
    let adv_wk = wk.iter().sum::<f64>() / wk.len() as f64;
    assert_eq!(wk.len(), 8);

    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(
        rel(f(&doc, "market.sigma_daily"), sigma) < 1e-9,
        "sigma {} vs {sigma}",
        f(&doc, "market.sigma_daily")
    );
    assert!(rel(f(&doc, "market.adv_btc"), adv) < 1e-9);
    assert!(rel(f(&doc, "market.adv_weekend_btc"), adv_wk) < 1e-9);

    // Arrival: the first open at or after 2026-02-07 00:00.
    let arrival: f64 = csv
        .lines()
        .find(|l| l.starts_with("2026-02-07 00:00:00"))
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(f(&doc, "market.arrival_price_usd"), arrival);

    // Square root and linear on the weekend ADV (the scenario's volume basis).
    let q = 4451.0;
    let sqrt_peak = 0.9 * sigma * (q / adv_wk).sqrt();
    let lin_peak = sigma * q / adv_wk;
    let models = doc["models"].as_array().unwrap();
    assert_eq!(models[0]["name"], "sqrt");
    assert_eq!(models[1]["name"], "linear");
    assert!(rel(f(&models[0], "peak_impact_bps"), sqrt_peak * 1e4) < 1e-9);
    assert!(rel(f(&models[0], "avg_cost_bps"), sqrt_peak * 1e4 * 2.0 / 3.0) < 1e-9);
    assert!(rel(f(&models[1], "peak_impact_bps"), lin_peak * 1e4) < 1e-9);
    assert!(rel(f(&models[1], "avg_cost_bps"), lin_peak * 1e4 / 2.0) < 1e-9);
    assert!(
        rel(
            f(&models[0], "drag_usd"),
            q * arrival * sqrt_peak * 2.0 / 3.0
        ) < 1e-9
    );
    assert!(
        rel(
            f(&models[0], "predicted_avg_price_usd"),
            arrival * (1.0 - sqrt_peak * 2.0 / 3.0)
        ) < 1e-12
    );

    // Implied price from the disclosure.
    let implied = 305e6 / q;
    assert!((f(&doc, "implied.avg_price_usd") - implied).abs() < 1e-6);
    assert!(
        rel(
            f(&doc, "implied.shortfall_vs_arrival_bps"),
            (arrival - implied) / arrival * 1e4
        ) < 1e-9
    );

    // The contract's fields and formats.
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["scenario"]["start"], "2026-02-07T00:00:00Z");
    assert_eq!(doc["market"]["calibration_start"], "2026-01-08T00:00:00Z");
    assert_eq!(doc["market"]["calibration_end"], "2026-02-07T00:00:00Z");
    for k in [
        "price_start_usd",
        "price_end_usd",
        "return_window",
        "min_price_usd",
        "window_vwap_usd",
        "window_volume_btc",
    ] {
        assert!(doc["observed"][k].is_number(), "observed.{k}");
    }
    assert!(doc["observed"]["min_price_time"].is_string());
    assert!(doc["implied"]["shortfall_vs_vwap_bps"].is_number());
    assert!(doc["market"]["data_files"].is_array());
    if is_real(&data) {
        // Facts of the event, from the Binance spot 15-minute file.
        assert_eq!(f(&doc, "observed.min_price_usd"), 60_000.0);
        assert_eq!(doc["observed"]["min_price_time"], "2026-02-06T00:15:00Z");
        assert_eq!(f(&doc, "observed.window_min_price_usd"), 67_300.0);
        assert_eq!(f(&doc, "observed.window_max_price_usd"), 72_271.41);
        assert_eq!(arrival, 70_580.26);
    }
}

#[test]
fn writes_three_files_byte_identically() {
    let (_, a) = run_json(&[]);
    let (_, b) = run_json(&[]);
    for name in ["result.json", "paths.csv", "event.png"] {
        let x = std::fs::read(a.path().join(name)).unwrap();
        let y = std::fs::read(b.path().join(name)).unwrap();
        assert!(x.len() > 1000, "{name} is too small ({} bytes)", x.len());
        assert!(x == y, "{name} differs between two runs");
    }
    let png = std::fs::read(a.path().join("event.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1600, 900));
    let csv = std::fs::read_to_string(a.path().join("paths.csv")).unwrap();
    assert!(csv.starts_with("open_time,open,high,low,close,volume_btc,in_window,sold_btc,impact_sqrt_bps,impact_linear_bps,"));
    // 3 days before + 2-day window + 3 days after, 15-minute bars.
    assert_eq!(csv.lines().count(), 1 + 8 * 96);
    // No staging folder is left behind.
    assert_eq!(std::fs::read_dir(a.path()).unwrap().count(), 3);
}

#[test]
fn flags_override_the_scenario() {
    let (doc, _o) = run_json(&[
        "--size",
        "1000",
        "--start",
        "2026-02-07T12:00:00Z",
        "--end",
        "2026-02-08",
    ]);
    assert_eq!(f(&doc, "scenario.size_btc"), 1000.0);
    assert_eq!(doc["scenario"]["start"], "2026-02-07T12:00:00Z");
    assert_eq!(doc["scenario"]["end"], "2026-02-08T00:00:00Z");
    // The calibration window still ends at midnight of the start day.
    assert_eq!(doc["market"]["calibration_end"], "2026-02-07T00:00:00Z");
}

fn fails_with(args: &[&str], needle: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out");
    let o = blocksale()
        .args(args)
        .arg("--out")
        .arg(&target)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(
        !target.exists() || std::fs::read_dir(&target).unwrap().count() == 0,
        "partial output left"
    );
    out
}

#[test]
fn missing_data_directory_is_a_user_error() {
    fails_with(
        &["backtest"],
        "no data directory: pass --data DIR or set BLOCKSALE_DATA",
    );
    fails_with(
        &["backtest", "--data", "/nonexistent/blocksale"],
        "data directory /nonexistent/blocksale does not exist",
    );
}

#[test]
fn no_bars_in_the_window_names_window_and_directory() {
    let data = data_dir();
    let d = data.to_str().unwrap();
    fails_with(
        &[
            "backtest",
            "--data",
            d,
            "--start",
            "2030-01-05",
            "--end",
            "2030-01-07",
        ],
        "no bars cover the sale window 2030-01-05T00:00:00Z .. 2030-01-07T00:00:00Z",
    );
    fails_with(
        &[
            "backtest",
            "--data",
            d,
            "--start",
            "2030-01-05",
            "--end",
            "2030-01-07",
        ],
        d,
    );
}

#[test]
fn unrecognised_format_names_the_file_and_header() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bars.csv"),
        "when;price;amount\n2026-02-07;70000;1\n",
    )
    .unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"t\"\nside = \"sell\"\nsize_btc = 10.0\nstart = \"2026-02-07\"\nend = \"2026-02-08\"\n[data]\nprice = [\"bars.csv\"]\nvenue = \"test\"\n",
    )
    .unwrap();
    let o = fails_with(
        &[
            "backtest",
            "--data",
            dir.path().to_str().unwrap(),
            "--scenario",
            sc.to_str().unwrap(),
        ],
        "bars.csv",
    );
    drop(o);
    fails_with(
        &[
            "backtest",
            "--data",
            dir.path().to_str().unwrap(),
            "--scenario",
            sc.to_str().unwrap(),
        ],
        "when;price;amount",
    );
}

#[test]
fn bad_flag_and_scenario_values() {
    let data = data_dir();
    let d = data.to_str().unwrap();
    fails_with(&["backtest", "--data", d, "--size", "-5"], "--size -5");
    fails_with(
        &["backtest", "--data", d, "--start", "yesterday"],
        "cannot parse \"yesterday\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        blocksale_scenario().replace("calibration_days = 30", "calibration_days = 1"),
    )
    .unwrap();
    fails_with(
        &["backtest", "--data", d, "--scenario", sc.to_str().unwrap()],
        "market.calibration_days",
    );
    std::fs::write(
        &sc,
        blocksale_scenario().replace("size_btc = 4451.0", "size_btc = 4451.0\ncolour = \"red\""),
    )
    .unwrap();
    fails_with(
        &["backtest", "--data", d, "--scenario", sc.to_str().unwrap()],
        "unknown field `colour`",
    );
}

#[test]
fn earlier_outputs_survive_a_failed_run() {
    let data = data_dir();
    let out = tempfile::tempdir().unwrap();
    let ok = blocksale()
        .args(["backtest", "-q", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(ok.status.success());
    let before = std::fs::read(out.path().join("result.json")).unwrap();
    let bad = blocksale()
        .args([
            "backtest",
            "-q",
            "--start",
            "2030-01-05",
            "--end",
            "2030-01-07",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        std::fs::read(out.path().join("result.json")).unwrap(),
        before
    );
}

fn blocksale_scenario() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/scenarios/cango-2026-02.toml"
    ))
    .unwrap()
}
