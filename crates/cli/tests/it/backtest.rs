//! `blocksale backtest` on the Cango scenario: numbers recomputed by hand, errors, determinism.

use crate::common::{blocksale, cango_data, gunzip_text, is_real};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn run_json(extra: &[&str]) -> (Value, tempfile::TempDir) {
    run_json_in(&cango_data(), extra)
}

fn run_json_in(data: &Path, extra: &[&str]) -> (Value, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = blocksale();
    cmd.arg("backtest")
        .arg("--data")
        .arg(data)
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

/// One UTC day: open, high, low, close, volume, weekend flag.
struct Day {
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    wk: bool,
}

/// Daily bars from the 15-minute CSV, parsed here with std only, for the UTC days 2026-01-08 ..
/// 2026-02-06 (the 30 days before the Saturday 7 Feb start).
fn daily_by_hand(csv: &str) -> Vec<Day> {
    let mut days: BTreeMap<String, (Day, usize)> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let day = &c[0][..10];
        if !("2026-01-08"..="2026-02-06").contains(&day) {
            continue;
        }
        let x: Vec<f64> = c[1..6].iter().map(|v| v.parse().unwrap()).collect();
        let e = days.entry(day.to_string()).or_insert((
            Day {
                o: x[0],
                h: x[1],
                l: x[2],
                c: x[3],
                v: 0.0,
                wk: false,
            },
            0,
        ));
        e.0.h = e.0.h.max(x[1]);
        e.0.l = e.0.l.min(x[2]);
        e.0.c = x[3]; // rows are in time order: the last close of the day wins
        e.0.v += x[4];
        e.1 += 1;
    }
    assert_eq!(days.len(), 30);
    days.into_iter()
        .map(|(d, (mut day, n))| {
            assert_eq!(n, 96, "day {d} is incomplete");
            let date = chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap();
            day.wk = matches!(
                chrono::Datelike::weekday(&date),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            );
            day
        })
        .collect()
}

fn sample_var(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

#[test]
fn cango_numbers_match_a_hand_calculation() {
    let (doc, _out) = run_json(&[]);
    let data = cango_data();
    let csv = gunzip_text(&data.join("binance/spot/15m/BTCUSDT_15m.extract.csv.gz"));
    let days = daily_by_hand(&csv);
    // Close-to-close.
    let rets: Vec<f64> = days.windows(2).map(|w| (w[1].c / w[0].c).ln()).collect();
    let sigma_cc = sample_var(&rets).sqrt();
    // Yang-Zhang over the 29 days that have a previous close (docs/methods.md §3).
    let d = &days[1..];
    let n = d.len() as f64;
    let so: Vec<f64> = days.windows(2).map(|w| (w[1].o / w[0].c).ln()).collect();
    let sc: Vec<f64> = d.iter().map(|x| (x.c / x.o).ln()).collect();
    let rs = d
        .iter()
        .map(|x| (x.h / x.c).ln() * (x.h / x.o).ln() + (x.l / x.c).ln() * (x.l / x.o).ln())
        .sum::<f64>()
        / n;
    let k = 0.34 / (1.34 + (n + 1.0) / (n - 1.0));
    let sigma_yz = (sample_var(&so) + k * sample_var(&sc) + (1.0 - k) * rs).sqrt();
    // Yang-Zhang over the 8 weekend days alone, each day's overnight term from the previous
    // calendar day's close (Friday's for a Saturday): the sigma paired with weekend V.
    let wk_rows: Vec<(f64, f64, f64)> = days
        .windows(2)
        .filter(|w| w[1].wk)
        .map(|w| {
            let x = &w[1];
            (
                (x.o / w[0].c).ln(),
                (x.c / x.o).ln(),
                (x.h / x.c).ln() * (x.h / x.o).ln() + (x.l / x.c).ln() * (x.l / x.o).ln(),
            )
        })
        .collect();
    assert_eq!(wk_rows.len(), 8);
    let nw = wk_rows.len() as f64;
    let kw = 0.34 / (1.34 + (nw + 1.0) / (nw - 1.0));
    let sigma_yz_wk = (sample_var(&wk_rows.iter().map(|r| r.0).collect::<Vec<_>>())
        + kw * sample_var(&wk_rows.iter().map(|r| r.1).collect::<Vec<_>>())
        + (1.0 - kw) * wk_rows.iter().map(|r| r.2).sum::<f64>() / nw)
        .sqrt();
    let adv = days.iter().map(|d| d.v).sum::<f64>() / 30.0;
    let wk: Vec<f64> = days.iter().filter(|d| d.wk).map(|d| d.v).collect();
    let adv_wk = wk.iter().sum::<f64>() / wk.len() as f64;
    assert_eq!(wk.len(), 8);

    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(
        rel(
            f(&doc, "market.sigma_daily_by_estimator.close_to_close"),
            sigma_cc
        ) < 1e-9
    );
    assert_eq!(doc["market"]["sigma_estimator"], "yang_zhang");
    let sigma = f(&doc, "market.sigma_daily");
    assert_eq!(doc["market"]["sigma_days"], "weekend");
    assert!(
        rel(sigma, sigma_yz_wk) < 1e-9,
        "sigma {sigma} vs hand weekend Yang-Zhang {sigma_yz_wk}"
    );
    assert!(rel(f(&doc, "market.sigma_daily_all_days"), sigma_yz) < 1e-9);
    assert!(rel(f(&doc, "market.sigma_daily_weekend"), sigma_yz_wk) < 1e-9);
    assert!(rel(f(&doc, "market.adv_btc"), adv) < 1e-9);
    assert!(rel(f(&doc, "market.adv_weekend_btc"), adv_wk) < 1e-9);
    assert!(
        rel(f(&doc, "market.model_volume_btc"), adv_wk) < 1e-9,
        "the scenario prices on weekend ADV"
    );

    // Arrival: the first open at or after 2026-02-07 00:00.
    let arrival: f64 = csv
        .lines()
        .find(|l| l.starts_with("2026-02-07 00:00:00"))
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(f(&doc, "market.arrival_price_usd"), arrival);

    // Square root and linear on the weekend ADV with the hand weekend sigma, and with the
    // all-days sigma as the pairing sensitivity.
    let q = 4451.0;
    let sqrt_peak = 0.9 * sigma_yz_wk * (q / adv_wk).sqrt();
    let lin_peak = sigma_yz_wk * q / adv_wk;
    let models = doc["models"].as_array().unwrap();
    assert_eq!(models[0]["name"], "sqrt");
    assert_eq!(models[1]["name"], "linear");
    assert!(rel(f(&models[0], "peak_impact_bps"), sqrt_peak * 1e4) < 1e-9);
    assert!(rel(f(&models[0], "avg_cost_bps"), sqrt_peak * 1e4 * 2.0 / 3.0) < 1e-9);
    assert!(rel(f(&models[1], "peak_impact_bps"), lin_peak * 1e4) < 1e-9);
    assert_eq!(models[0]["other_sigma_days"]["sigma_days"], "all");
    assert!(
        rel(
            f(&models[0], "other_sigma_days.peak_impact_bps"),
            0.9 * sigma_yz * (q / adv_wk).sqrt() * 1e4
        ) < 1e-9
    );
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
            arrival * (-sqrt_peak * 2.0 / 3.0).exp()
        ) < 1e-12
    );
    // Plateau decay at 2/3: the impact left at the end of the path is below the peak.
    assert!(f(&models[0], "permanent_impact_bps") < f(&models[0], "peak_impact_bps"));
    assert!(
        f(&models[0], "permanent_impact_bps")
            >= 2.0 / 3.0 * f(&models[0], "peak_impact_bps") - 1e-9
    );
    // Detectability z = I(T) / (sigma sqrt(2 days)).
    assert!(
        rel(
            f(&models[0], "detectability_z"),
            sqrt_peak / (sigma_yz_wk * 2f64.sqrt())
        ) < 1e-9
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
    assert_eq!(doc["observed"]["markouts"].as_array().unwrap().len(), 4);
    // Event study by hand on hourly closes (the last 15-minute close of each hour): returns
    // between consecutive hours, estimation window as reported, event window = the sale window.
    let es = &doc["attribution"]["event_study"];
    assert_eq!(es["expected_return_model"], "market_adjusted");
    let key = |k: &str| es[k].as_str().unwrap().replace('T', " ").replace('Z', "");
    let (est_from, est_to) = (key("estimation_start"), key("estimation_end"));
    let hourly: BTreeMap<String, f64> = csv
        .lines()
        .skip(1)
        .filter(|l| &l[14..16] == "45")
        .map(|l| {
            (
                l[..13].to_string(),
                l.split(',').nth(4).unwrap().parse().unwrap(),
            )
        })
        .collect();
    let hours: Vec<(&String, &f64)> = hourly.iter().collect();
    let rets_in = |from: &str, to: &str| -> Vec<f64> {
        hours
            .windows(2)
            .filter(|w| (from..to).contains(&&w[1].0[..]))
            .map(|w| (w[1].1 / w[0].1).ln())
            .collect()
    };
    let est = rets_in(&est_from[..13], &est_to[..13]);
    let ev = rets_in("2026-02-07 00", "2026-02-09 00");
    assert_eq!((est.len(), ev.len()), (720, 48));
    let (l1, l2) = (720.0, 48.0);
    let mu = est.iter().sum::<f64>() / l1;
    let s1 = sample_var(&est);
    let s2 = sample_var(&ev);
    // The default model: zero expected return, Var(CAR) = L2 s1, J_e the one-sample t (L2 - 1 df).
    let car: f64 = ev.iter().sum();
    let j = car / (l2 * s1).sqrt();
    let j_e = car / (l2 * s2).sqrt();
    let es_f = |k: &str| es[k].as_f64().unwrap();
    assert!(rel(es_f("car"), car) < 1e-9, "CAR {} vs {car}", es_f("car"));
    assert!(rel(es_f("j_stat"), j) < 1e-9, "J {} vs {j}", es_f("j_stat"));
    assert!(rel(es_f("j_stat_event_variance"), j_e) < 1e-9);
    assert_eq!(es_f("df_event_variance"), l2 - 1.0);
    assert!(rel(es_f("sd_ratio_event_to_estimation"), (s2 / s1).sqrt()) < 1e-9);
    // The constant mean beside it: AR = R - mu, Var(CAR) = L2 s1 (1 + L2/L1), Welch's J_e.
    let other = &es["other_model"];
    let o_f = |k: &str| other[k].as_f64().unwrap();
    assert_eq!(other["expected_return_model"], "constant_mean");
    let car_cm: f64 = ev.iter().map(|r| r - mu).sum();
    let j_cm = car_cm / (l2 * s1 * (1.0 + l2 / l1)).sqrt();
    let j_e_cm = car_cm / (l2 * s2 + l2 * l2 * s1 / l1).sqrt();
    assert!(rel(o_f("expected_return_per_bar"), mu) < 1e-9);
    assert!(
        rel(o_f("car"), car_cm) < 1e-9,
        "CAR {} vs {car_cm}",
        o_f("car")
    );
    assert!(
        rel(o_f("j_stat"), j_cm) < 1e-9,
        "J {} vs {j_cm}",
        o_f("j_stat")
    );
    assert!(rel(o_f("j_stat_event_variance"), j_e_cm) < 1e-9);
    if is_real(&data) {
        // The window was 1.39 times as volatile as the estimation month. Market-adjusted
        // CAR -0.35 % (the window's own log return), J = -0.11; constant mean +0.91 %, J = 0.26.
        assert!((es_f("sd_ratio_event_to_estimation") - 1.39).abs() < 0.005);
        assert!(
            (es_f("j_stat") + 0.106).abs() < 0.001,
            "J {}",
            es_f("j_stat")
        );
        assert!((o_f("j_stat") - 0.263).abs() < 0.001, "J {}", o_f("j_stat"));
    }
    if is_real(&data) {
        // Facts of the event, from the Binance spot 15-minute file.
        assert_eq!(f(&doc, "observed.min_price_usd"), 60_000.0);
        assert_eq!(doc["observed"]["min_price_time"], "2026-02-06T00:15:00Z");
        assert_eq!(f(&doc, "observed.window_min_price_usd"), 67_300.0);
        assert_eq!(f(&doc, "observed.window_max_price_usd"), 72_271.41);
        assert_eq!(arrival, 70_580.26);
        assert_eq!(models.len(), 6);
    }
}

#[test]
fn writes_three_files_byte_identically() {
    let (_, a) = run_json(&[]);
    let (_, b) = run_json(&[]);
    for name in ["result.json", "paths.csv", "event.png", "manifest.json"] {
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
    assert!(csv.starts_with("open_time,close_time,open_usd,high_usd,low_usd,close_usd,volume_btc,in_window,sold_btc,car_since_start_bps,impact_sqrt_bps,impact_sqrt_low_bps,impact_sqrt_high_bps,counterfactual_close_sqrt_usd,counterfactual_close_sqrt_low_usd,counterfactual_close_sqrt_high_usd,impact_linear_bps,"));
    // 3 days before + 2-day window + 3 days after, 15-minute bars.
    assert_eq!(csv.lines().count(), 1 + 8 * 96);
    // No staging folder is left behind; the record lists what blocksale wrote.
    let mut names: Vec<String> = std::fs::read_dir(a.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".blocksale-outputs",
            "event.png",
            "manifest.json",
            "paths.csv",
            "result.json"
        ]
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(a.path().join("manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    assert_eq!(
        inputs[0]["path"],
        "binance/spot/15m/BTCUSDT_15m.extract.csv.gz"
    );
    assert_eq!(inputs[0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["seed"], 42);
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
    // A flag changes the 30-day calibration window.
    let (doc, _o) = run_json(&["--calibration-days", "14"]);
    assert_eq!(doc["market"]["calibration_start"], "2026-01-24T00:00:00Z");
    assert_eq!(doc["market"]["calibration_days_used"], 14);
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
        &["backtest", "--data", "/nonexistent/blocksale"],
        "data directory /nonexistent/blocksale does not exist",
    );
    // --fetch needs a folder to download into: the built-in extract is not one.
    fails_with(
        &["backtest", "--fetch"],
        "--fetch needs --data DIR (or BLOCKSALE_DATA)",
    );
}

/// The README's first command on a machine with no data folder: no --data, no BLOCKSALE_DATA.
fn run_builtin(sub: &[&str], cache: &Path, out: &Path) -> std::process::Output {
    let o = blocksale()
        .env("XDG_CACHE_HOME", cache)
        .args(sub)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{sub:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn runs_with_no_data_folder_from_the_builtin_extract() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let out = tmp.path().join("out");
    let o = run_builtin(&["backtest"], &cache, &out);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("arrival price                 70,580.26 USD"),
        "{text}"
    );
    assert!(
        text.contains("shortfall vs arrival              291.3 bp"),
        "{text}"
    );
    for f in ["result.json", "paths.csv", "event.png", "manifest.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let doc: Value =
        serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(f(&doc, "market.arrival_price_usd"), 70_580.26);
    // The extract was written once into the cache folder and is read from there.
    let extract: Vec<_> = std::fs::read_dir(cache.join("blocksale"))
        .unwrap()
        .collect();
    assert_eq!(extract.len(), 1);
    // Replay (the scenario's own range) and report run too.
    let o = run_builtin(&["replay"], &cache, &tmp.path().join("replay"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("percentile"));
    run_builtin(&["report"], &cache, &tmp.path().join("report"));
    for f in ["event.png", "replay.png", "calibration.png", "memo.md"] {
        assert!(tmp.path().join("report").join(f).is_file(), "{f}");
    }
}

/// The committed extract and the full data folder give the same numbers: `result.json` equal but
/// for the names of the files read, `paths.csv` and `event.png` byte for byte.
#[test]
fn builtin_extract_gives_the_full_data_numbers() {
    let full = crate::common::data_dir();
    if !is_real(&full) {
        return; // data_dir() said so (and fails in CI): the generated bars are another market
    }
    let tmp = tempfile::tempdir().unwrap();
    run_builtin(
        &["backtest"],
        &tmp.path().join("cache"),
        &tmp.path().join("a"),
    );
    let o = blocksale()
        .args(["backtest", "-q", "--data"])
        .arg(&full)
        .arg("--out")
        .arg(tmp.path().join("b"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = |d: &str| -> Value {
        let mut v: Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join(d).join("result.json")).unwrap())
                .unwrap();
        let files = v["market"]["data_files"].take();
        assert_eq!(files.as_array().unwrap().len(), 3, "{files}");
        v
    };
    let (a, b) = (doc("a"), doc("b"));
    assert_eq!(a, b);
    assert_eq!(f(&a, "market.arrival_price_usd"), 70_580.26);
    for m in a["models"].as_array().unwrap() {
        assert!(m["peak_impact_bps"].as_f64().unwrap() > 0.0, "{m}");
    }
    for name in ["paths.csv", "event.png"] {
        let x = std::fs::read(tmp.path().join("a").join(name)).unwrap();
        let y = std::fs::read(tmp.path().join("b").join(name)).unwrap();
        assert!(
            x == y,
            "{name} differs between the extract and the full data"
        );
    }
}

/// A copy of the extract as a data folder, plus the Cango spot 15m bars rewritten into `rel` with
/// another header (the same rows).
fn odd_headed_data(rel: &str, header: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for sub in ["binance/usdm/15m", "binance/spot/1h"] {
        let src = cango_data().join(sub);
        std::fs::create_dir_all(d.path().join(sub)).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), d.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    let text = gunzip_text(&cango_data().join("binance/spot/15m/BTCUSDT_15m.extract.csv.gz"));
    let body = text.split_once('\n').unwrap().1;
    let p = d.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("{header}\n{body}")).unwrap();
    d
}

fn cango_with_spot_source(files_and_keys: &str) -> String {
    let s = blocksale_scenario();
    let old = "files = [\"binance/spot/15m/\"]";
    assert!(s.contains(old));
    s.replace(old, files_and_keys)
}

#[test]
fn scenario_columns_read_an_odd_headed_file() {
    let data = odd_headed_data("mine/spot.csv", "Zeit (UTC),Erster,Hoch,Tief,Letzter,Menge");
    let sc = data.path().join("odd.toml");
    std::fs::write(
        &sc,
        cango_with_spot_source(
            "files = [\"mine/spot.csv\"]\ncolumns = { time = \"Zeit (UTC)\", open = \"Erster\", high = \"Hoch\", low = \"Tief\", close = \"Letzter\", volume = \"Menge\" }",
        ),
    )
    .unwrap();
    let (doc, _o) = run_json_in(data.path(), &["--scenario", sc.to_str().unwrap()]);
    let (base, _o2) = run_json(&[]);
    assert_eq!(f(&doc, "market.arrival_price_usd"), 70_580.26);
    assert_eq!(doc["models"], base["models"]);
    // The flag's text form works as well, with a forced format.
    std::fs::write(
        &sc,
        cango_with_spot_source(
            "files = [\"mine/spot.csv\"]\nformat = \"generic\"\ncolumns = \"time=Zeit (UTC),open=Erster,high=Hoch,low=Tief,close=Letzter,volume=Menge\"",
        ),
    )
    .unwrap();
    let (doc, _o3) = run_json_in(data.path(), &["--scenario", sc.to_str().unwrap()]);
    assert_eq!(doc["models"], base["models"]);
}

#[test]
fn bad_scenario_format_and_columns_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("bad.toml");
    let data = cango_data();
    let d = data.to_str().unwrap();
    for (keys, needles) in [
        (
            "files = [\"binance/spot/15m/\"]\nformat = \"excel\"",
            &["data.sources[0].format", "\"excel\"", "binance", "generic"][..],
        ),
        (
            "files = [\"binance/spot/15m/\"]\ncolumns = \"time=t,open=o,high=h,low=l,volume=v\"",
            &["data.sources[0].columns", "time=t,open=o", "missing close"][..],
        ),
        (
            "files = [\"binance/spot/15m/\"]\ncolumns = { time = \"t\", opening = \"o\" }",
            &["data.sources[0].columns", "unknown key \"opening\""][..],
        ),
    ] {
        std::fs::write(&sc, cango_with_spot_source(keys)).unwrap();
        let o = blocksale()
            .args(["backtest", "--data", d, "--scenario", sc.to_str().unwrap()])
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "expected {n:?} in: {err}");
        }
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn no_bars_in_the_window_names_window_and_directory() {
    let data = cango_data();
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
        "name = \"t\"\nside = \"sell\"\nsize_btc = 10.0\nstart = \"2026-02-07\"\nend = \"2026-02-08\"\n[data]\nprice = \"x\"\n[[data.sources]]\nvenue = \"x\"\nfiles = [\"bars.csv\"]\n",
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
    let data = cango_data();
    let d = data.to_str().unwrap();
    fails_with(
        &["backtest", "--data", d, "--size", "-5"],
        "--set size_btc=-5: scenario key `size_btc` = -5",
    );
    fails_with(
        &["backtest", "--data", d, "--start", "yesterday"],
        "cannot parse \"yesterday\"",
    );
    fails_with(
        &["backtest", "--data", d, "--calibration-days", "1"],
        "--set market.calibration_days=1: scenario key `market.calibration_days` = 1",
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
fn unknown_schedule_kind_is_an_error_naming_key_value_and_kinds() {
    let data = cango_data();
    let d = data.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    let text = blocksale_scenario();
    assert!(text.contains("kind = \"twap\""));
    std::fs::write(&sc, text.replace("kind = \"twap\"", "kind = \"twapp\"")).unwrap();
    let sc = sc.to_str().unwrap();
    // Every subcommand that reads a scenario refuses it (it used to run a TWAP).
    fails_with(
        &["backtest", "--data", d, "--scenario", sc],
        "scenario key `schedule.kind` = \"twapp\": expected one of twap, block, vwap, pov, ac, ow, front_loaded, back_loaded",
    );
    fails_with(
        &["sweep", "--data", d, "--scenario", sc],
        "`schedule.kind` = \"twapp\"",
    );
    // A parameter of another kind is an error too, naming the key.
    let dir2 = tempfile::tempdir().unwrap();
    let sc2 = dir2.path().join("s.toml");
    std::fs::write(
        &sc2,
        text.replace("kind = \"twap\"", "kind = \"twap\"\nurgency = 3.0"),
    )
    .unwrap();
    fails_with(
        &["backtest", "--data", d, "--scenario", sc2.to_str().unwrap()],
        "scenario key `schedule.urgency` = 3",
    );
}

#[test]
fn earlier_outputs_survive_a_failed_run() {
    let data = cango_data();
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

#[test]
fn with_json_errors_are_a_json_object_on_stdout_too() {
    let o = blocksale()
        .args([
            "backtest",
            "--json",
            "--start",
            "2030-01-05",
            "--end",
            "2030-01-07",
            "--data",
        ])
        .arg(cango_data())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["kind"], "user");
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("no bars cover the sale window"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error: "));
}

/// A scenario naming the long-history files (header `open_time_utc_s,...,minutes_present`, epoch
/// seconds) with no `format` and no `columns` runs; the arrival price is the file's own open.
#[test]
fn scenario_on_the_long_history_files_needs_no_format() {
    let full = crate::common::data_dir();
    if !is_real(&full) {
        return; // data_dir() said so (and fails in CI)
    }
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("history.toml");
    std::fs::write(
        &sc,
        r#"
name = "history-2021-01"
side = "sell"
size_btc = 1000.0
start = "2021-01-09T00:00:00Z"
end = "2021-01-11T00:00:00Z"

[data]
price = "spot-1h"

[[data.sources]]
venue = "spot-1h"
description = "Binance spot BTCUSDT 1h (long history)"
files = ["binance/spot/history/BTCUSDT-1h-derived-from-1m.csv.gz"]

[[models]]
model = "sqrt"

[[models]]
model = "linear"
"#,
    )
    .unwrap();
    let (doc, _o) = run_json_in(&full, &["--scenario", sc.to_str().unwrap()]);
    let text = gunzip_text(&full.join("binance/spot/history/BTCUSDT-1h-derived-from-1m.csv.gz"));
    // 2021-01-09T00:00:00Z = 1610150400 s.
    let row = text
        .lines()
        .find(|l| l.starts_with("1610150400,"))
        .expect("the hour is in the file");
    let open: f64 = row.split(',').nth(1).unwrap().parse().unwrap();
    assert_eq!(f(&doc, "market.arrival_price_usd"), open);
    assert_eq!(doc["models"].as_array().unwrap().len(), 2);
}

/// A calibrated power law and a calibrated square root added to the built-in scenario: each peak
/// recomputed by hand from the `result.json` fields of its own fit (`Y sigma_c (Q/V_c)^delta`),
/// not from the market state's sigma and V; the square root's delta is 1/2; the bands are the
/// bootstrap percentiles of the prediction, inside the corners of the separate intervals.
#[test]
fn calibrated_power_law_applies_its_own_scale() {
    let scenario = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/scenarios/cango-2026-02.toml"),
    )
    .unwrap()
        + "\n[[models]]\nmodel = \"power\"\nparams = \"calibrated\"\n\n[[models]]\nmodel = \"sqrt\"\nparams = \"calibrated\"\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cango-power.toml");
    std::fs::write(&file, scenario).unwrap();
    let (doc, _out) = run_json(&["--scenario", file.to_str().unwrap()]);
    let models = doc["models"].as_array().unwrap();
    let (power, sqrt) = (&models[6], &models[7]);
    assert_eq!(power["name"], "power");
    assert_eq!(sqrt["name"], "sqrt");
    let c = &doc["market"]["calibration"];
    let (sigma_c, v_c) = (f(c, "sigma_daily"), f(c, "adv_btc"));
    let q = f(&doc, "scenario.size_btc");
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    // The model reports the scale it was fitted on.
    assert_eq!(f(power, "params.fit_sigma_daily"), sigma_c);
    assert_eq!(f(power, "params.fit_adv_btc_per_day"), v_c);
    assert_eq!(f(power, "params.fit_bar_seconds"), f(c, "bar_seconds"));
    let (y, d) = (f(power, "params.y"), f(power, "params.delta"));
    assert_eq!(y, f(c, "curve.prefactor_y.estimate"));
    assert_eq!(d, f(c, "curve.exponent.estimate"));
    let by_hand = y * sigma_c * (q / v_c).powf(d) * 1e4;
    assert!(
        rel(f(power, "peak_impact_bps"), by_hand) < 1e-12,
        "{} vs {by_hand}",
        f(power, "peak_impact_bps")
    );
    // On the market state's scale it would be several times larger: the test can tell them apart.
    let wrong =
        y * f(&doc, "market.sigma_daily") * (q / f(&doc, "market.model_volume_btc")).powf(d);
    assert!(wrong * 1e4 > 3.0 * by_hand);
    // The square root: delta 1/2, Y from the fixed-slope fit.
    assert_eq!(f(sqrt, "params.delta"), 0.5);
    let ys = f(c, "curve.prefactor_y_sqrt.estimate");
    assert_eq!(f(sqrt, "params.y"), ys);
    assert!(
        rel(
            f(sqrt, "peak_impact_bps"),
            ys * sigma_c * (q / v_c).sqrt() * 1e4
        ) < 1e-12
    );
    // The power law's band: percentiles of the peak over the draws, recomputed from the draws.
    let mut peaks: Vec<f64> = c["curve"]["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| f(w, "y") * sigma_c * (q / v_c).powf(f(w, "delta")) * 1e4)
        .collect();
    assert_eq!(peaks.len(), 200);
    peaks.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let h = p * (peaks.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        peaks[lo] + (h - lo as f64) * (peaks[hi] - peaks[lo])
    };
    let band = &power["peak_band_bps"];
    assert!(rel(f(band, "low"), pct(0.025).min(by_hand)) < 1e-12);
    assert!(
        rel(f(band, "high"), pct(0.975).max(by_hand)) < 1e-12,
        "{} vs {} (central {by_hand})",
        f(band, "high"),
        pct(0.975)
    );
    // The corners of the separate intervals lie outside it.
    let corner_hi = f(c, "curve.prefactor_y.ci95_high")
        * sigma_c
        * (q / v_c).powf(f(c, "curve.exponent.ci95_low"))
        * 1e4;
    assert!(corner_hi > f(band, "high"));
    assert!(f(c, "curve.y_delta_correlation").abs() > 0.9);
    // Q/V_c lies beyond the largest bin of net flow: the result says the fit is extrapolated,
    // with the sale's Q/V_c recomputed by hand and the bins' reach as the range.
    let bins_reach = c["curve"]["bins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["x_mean"].as_f64())
        .fold(0.0, f64::max);
    for m in [power, sqrt] {
        let v = &m["validity"];
        assert_eq!(v["range"]["basis"], "calibration bins [C]");
        assert!((v["range"]["q_over_v"]["high"].as_f64().unwrap() - bins_reach).abs() < 1e-12);
        assert!((v["sale"]["q_over_v"].as_f64().unwrap() - q / v_c).abs() < 1e-12 * q / v_c);
        assert_eq!(v["outside"][0]["quantity"], "q_over_v");
        assert!(m["warnings"]
            .to_string()
            .contains("outside its declared range"));
    }
    // Kyle's lambda, calibrated, declares the premise bound on the market's V like the literature
    // models: the reach of its regression (the largest net flow of one bar) is reported in the
    // calibration, but as a rate it is far looser than the premise (8,930 BTC in 15 minutes).
    let kyle = models.iter().find(|m| m["name"] == "kyle").unwrap();
    assert_eq!(kyle["validity"]["range"]["basis"], "premise bound [C]");
    assert!(f(c, "kyle.max_abs_flow_btc") > 0.0);
    // The literature square root carries the premise bound, inside it for Cango
    // (Q/V = 4451 / V < 1, participation Q/V/2 days < 1).
    let lit = &models[0]["validity"];
    assert_eq!(lit["range"]["basis"], "premise bound [C]");
    assert_eq!(lit["outside"].as_array().unwrap().len(), 0);
    assert!(!models[0]["warnings"]
        .to_string()
        .contains("outside its declared range"));
}

/// `--set` goes through the scenario's validation: an unknown key, a bad value, a model the
/// scenario lacks and a list key each exit 2 naming the dotted key, with no output.
#[test]
fn bad_set_keys_and_values_name_the_dotted_key() {
    let d = cango_data();
    let d = d.to_str().unwrap();
    for (set, needle) in [
        ("market.foo=1", "--set market.foo=1"),
        (
            "market.volume_basis=sometimes",
            "--set market.volume_basis=sometimes",
        ),
        ("schedule.kind=blok", "--set schedule.kind=blok"),
        ("models.sqrt.y=-1", "--set models.sqrt.y=-1"),
        (
            "models.garch.y=1",
            "--set models.garch.y: the scenario has no model \"garch\"",
        ),
        ("side=hold", "--set side=hold"),
        ("data.sources.files=x", "data.sources is a list"),
        ("size_btc", "expected KEY=VALUE"),
    ] {
        fails_with(&["backtest", "--data", d, "--set", set], needle);
    }
}

/// Any size gives positive prices (or none, said so) and a readable table: 1e12 BTC (50,000
/// times the supply) exits 0, every model warns that its cost is the formula's, not a forecast,
/// and the summary's columns stay aligned.
#[test]
fn an_absurd_size_keeps_prices_positive_and_columns_aligned() {
    let (doc, _o) = run_json(&["--size", "1e12"]);
    for m in doc["models"].as_array().unwrap() {
        // arrival * exp(-cost): positive, or left out (null) where it underflows, with a warning.
        match m["predicted_avg_price_usd"].as_f64() {
            Some(p) => assert!(p > 0.0 && p.is_finite(), "{}: {p}", m["name"]),
            None => assert!(m["warnings"].to_string().contains("cannot be formed")),
        }
        assert!(
            m["warnings"].to_string().contains("far outside anything"),
            "{m}"
        );
        assert!(f(m, "drag_usd").is_finite());
    }
    let o = blocksale()
        .args(["backtest", "-q", "--size", "1e12", "--data"])
        .arg(cango_data())
        .arg("--out")
        .arg(_o.path().join("s"))
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("model "))
        .take(7)
        .collect();
    assert_eq!(table.len(), 7, "{text}");
    // Every row as wide as the header, and the header's columns end where the cells end.
    let w = table[0].len();
    assert!(table.iter().all(|l| l.len() == w), "{table:#?}");
    // The predicted average price: positive (never printed as 0) or n/a; every model outside
    // its declared range, said in the table's last column.
    let col = table[0].find("pred. avg").unwrap();
    for row in &table[1..] {
        let cell = row[..col + "pred. avg".len()]
            .rsplit("  ")
            .next()
            .unwrap()
            .trim();
        assert!(
            cell == "n/a" || cell.replace(',', "").parse::<f64>().unwrap() > 0.0,
            "{row}"
        );
        assert!(row.ends_with("outside: Q/V, participation"), "{row}");
    }
    // paths.csv: every price cell is positive or empty.
    let csv = std::fs::read_to_string(_o.path().join("s/paths.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for line in csv.lines().skip(1) {
        for (h, v) in head.iter().zip(line.split(',')) {
            if h.ends_with("_usd") && !v.is_empty() {
                assert!(v.parse::<f64>().unwrap() > 0.0, "{h} = {v}");
            }
        }
    }
}

/// The issue's what-if: 10,000 BTC in one day. No implied price for it anywhere, what-if labels in
/// the summary, JSON and memo, its own folder, and the real event's folder byte-identical before
/// and after.
#[test]
fn a_what_if_says_so_and_leaves_the_real_event_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = cango_data();
    let run = |extra: &[&str]| {
        let o = blocksale()
            .current_dir(dir.path())
            .args(["backtest", "-q", "--data"])
            .arg(&d)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    run(&[]);
    let real = dir.path().join("notebooks-exports/cango-2026-02");
    let snapshot = |p: &Path| -> BTreeMap<String, Vec<u8>> {
        ["result.json", "paths.csv", "event.png", "manifest.json"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(p.join(f)).unwrap()))
            .collect()
    };
    let before = snapshot(&real);
    let summary = run(&["--size", "10000", "--end", "2026-02-08"]);
    assert_eq!(snapshot(&real), before, "the real event's files changed");
    let wi = real.join("what-if-size-10000-end-2026-02-08");
    let doc: Value =
        serde_json::from_slice(&std::fs::read(wi.join("result.json")).unwrap()).unwrap();
    assert_eq!(doc["what_if"]["base_scenario"], "cango-2026-02");
    assert_eq!(doc["what_if"]["trade_changed"], true);
    let o = &doc["what_if"]["overrides"];
    assert_eq!(o[0]["key"], "size_btc");
    assert_eq!(o[0]["scenario_value"], "4451.0");
    assert_eq!(o[0]["run_value"], "10000");
    assert_eq!(o[1]["key"], "end");
    assert!(doc["implied"].is_null());
    assert!(doc["scenario"]["disclosed_proceeds_usd"].is_null());
    assert!(doc["attribution"]["footprint"]["best_schedule"].is_null());
    for m in doc["models"].as_array().unwrap() {
        assert!(m["share_of_observed_move"].is_null());
    }
    // 305M / 10,000 = 30,500: nowhere in the summary or the JSON.
    let json = std::fs::read_to_string(wi.join("result.json")).unwrap();
    for text in [&summary, &json] {
        assert!(!text.contains("30,500") && !text.contains("30500.0"));
        assert!(!text.contains("implied by the disclosure"));
    }
    assert!(
        summary.starts_with("What if size_btc = 10000, end = 2026-02-08?"),
        "{summary}"
    );
    assert!(summary.contains("size_btc: 4451.0 in the scenario, 10000 in this run"));
    // The same what-if again writes the same bytes.
    let first = snapshot(&wi);
    run(&["--size", "10000", "--end", "2026-02-08"]);
    assert_eq!(snapshot(&wi), first);
}

/// `--set schedule.kind=block --set market.volume_basis=all` moves the numbers the way the models
/// say: a block fills at once (the square root's average cost is 2/3 of its peak whatever the
/// schedule, ATHL's temporary cost grows as the duration shrinks), and V becomes the all-days ADV,
/// with sigma paired over all days: the square root's peak is 0.9 sigma_all sqrt(Q / ADV_all).
#[test]
fn set_schedule_and_volume_basis_by_hand() {
    let (base, _a) = run_json(&[]);
    let (doc, _b) = run_json(&[
        "--set",
        "schedule.kind=block",
        "--set",
        "market.volume_basis=all",
    ]);
    assert_eq!(doc["market"]["volume_basis"], "all");
    assert_eq!(doc["market"]["sigma_days"], "all");
    assert_eq!(doc["scenario"]["schedule"], "block");
    let adv_all = f(&base, "market.adv_btc");
    assert_eq!(f(&doc, "market.model_volume_btc"), adv_all);
    let sigma_all = f(&base, "market.sigma_daily_all_days");
    assert_eq!(f(&doc, "market.sigma_daily"), sigma_all);
    let q = 4451.0;
    let sqrt = &doc["models"][0];
    let peak = 0.9 * sigma_all * (q / adv_all).sqrt() * 1e4;
    assert!((f(sqrt, "peak_impact_bps") - peak).abs() < 1e-9 * peak);
    assert!((f(sqrt, "avg_cost_bps") - peak * 2.0 / 3.0).abs() < 1e-9 * peak);
    // The linear model: k sigma Q / V, on the new V and sigma.
    let lin = &doc["models"][1];
    let lp = sigma_all * q / adv_all * 1e4;
    assert!((f(lin, "peak_impact_bps") - lp).abs() < 1e-9 * lp);
    // ATHL's cost rises when the same size is sold at once: a shorter sale has more temporary impact.
    let athl = |d: &Value| f(&d["models"][3], "avg_cost_bps") / f(d, "market.sigma_daily");
    assert!(athl(&doc) > athl(&base));
    assert_eq!(doc["what_if"]["trade_changed"], false);
    assert!(
        !doc["implied"].is_null(),
        "the trade is the real one: the disclosure still applies"
    );
}

/// A window past the data's end is an error naming the last bar present (exit 2, no output);
/// with market.allow_partial_window the run goes ahead and every output carries the gap.
#[test]
fn a_window_past_the_data_names_the_last_bar() {
    let d = cango_data();
    let d = d.to_str().unwrap();
    let last = if is_real(Path::new(d)) {
        "the last at 2026-02-12T23:45:00Z"
    } else {
        "the last at"
    };
    fails_with(
        &[
            "backtest",
            "--data",
            d,
            "--start",
            "2026-02-12",
            "--end",
            "2026-02-20",
        ],
        last,
    );
    let (doc, _o) = run_json(&[
        "--start",
        "2026-02-12",
        "--end",
        "2026-02-20",
        "--set",
        "market.allow_partial_window=true",
    ]);
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("PARTIAL WINDOW: 96 of its 768 bars"),
        "{notes}"
    );
}

/// `--vary size_btc=2000,4451,10000`: one folder per value and a comparison whose every number
/// equals the separate run at that size (`--size`), the real size's run equal to the scenario as
/// written; compare.csv and compare.png written beside them.
#[test]
fn vary_equals_separate_runs() {
    let out = tempfile::tempdir().unwrap();
    let d = cango_data();
    let o = blocksale()
        .args(["backtest", "-q", "--data"])
        .arg(&d)
        .args(["--vary", "size_btc=2000,4451,10000", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("size_btc"), "{text}");
    let csv = std::fs::read_to_string(out.path().join("compare.csv")).unwrap();
    assert!(out.path().join("compare.png").exists());
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 3 * 6);
    for size in ["2000", "4451", "10000"] {
        let extra: Vec<&str> = if size == "4451" {
            vec![]
        } else {
            vec!["--size", size]
        };
        let (doc, _o) = run_json(&extra);
        let folder: Value = serde_json::from_slice(
            &std::fs::read(out.path().join(format!("size-{size}/result.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            folder, doc,
            "size {size}: the folder's result differs from the separate run"
        );
        for (k, m) in doc["models"].as_array().unwrap().iter().enumerate() {
            let row = rows.iter().filter(|r| r[1] == size).nth(k).unwrap();
            assert_eq!(row[2], m["name"].as_str().unwrap());
            // Both files hold the same f64; serde_json reads floats to within an ulp.
            let same = |i: usize, key: &str| {
                let (a, b) = (row[i].parse::<f64>().unwrap(), f(m, key));
                assert!((a - b).abs() <= 1e-13 * b.abs(), "{key}: {a} vs {b}");
            };
            same(3, "peak_impact_bps");
            same(6, "avg_cost_bps");
            same(7, "avg_cost_band_bps.low");
            same(8, "avg_cost_band_bps.high");
            same(9, "drag_usd");
            same(10, "detectability_z");
        }
    }
}

/// `blocksale model` and `blocksale backtest` share one computation: fed the backtest's sigma and
/// V for the Cango sale, the calculator gives the same peak, average cost and parameter band for
/// every model whose numbers depend only on those inputs and the TWAP (the propagator's bar grid
/// differs, 24 uniform bars against 192 of 15 minutes: its TWAP peak does not depend on it).
#[test]
fn model_and_backtest_agree_on_the_cango_inputs() {
    let (doc, _o) = run_json(&[]);
    let sigma = f(&doc, "market.sigma_daily");
    let v = f(&doc, "market.model_volume_btc");
    let by_name = |n: &str| {
        doc["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == n)
            .unwrap()
            .clone()
    };
    for (cli, name, tol) in [
        ("sqrt", "sqrt", 1e-12),
        ("linear", "linear", 1e-12),
        ("sqrt_propagator", "sqrt_propagator", 1e-9),
    ] {
        let o = blocksale()
            .args([
                "model",
                cli,
                "--size",
                "4451",
                "--horizon-days",
                "2",
                "--json",
            ])
            .args([
                "--adv",
                &format!("{v:?}"),
                "--sigma-daily",
                &format!("{sigma:?}"),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m: Value = serde_json::from_slice(&o.stdout).unwrap();
        let b = by_name(name);
        let same = |a: f64, c: f64, what: &str| {
            assert!(
                (a - c).abs() <= tol * c.abs().max(1e-9),
                "{name} {what}: model {a} vs backtest {c}"
            );
        };
        same(f(&m, "impact_bps"), f(&b, "peak_impact_bps"), "peak");
        same(f(&m, "avg_cost_bps"), f(&b, "avg_cost_bps"), "average cost");
        same(
            f(&m["band"], "impact_low_bps"),
            f(&b, "peak_band_bps.low"),
            "band low",
        );
        same(
            f(&m["band"], "impact_high_bps"),
            f(&b, "peak_band_bps.high"),
            "band high",
        );
        same(
            f(&m["band"], "avg_cost_low_bps"),
            f(&b, "avg_cost_band_bps.low"),
            "cost band low",
        );
        same(
            f(&m["band"], "avg_cost_high_bps"),
            f(&b, "avg_cost_band_bps.high"),
            "cost band high",
        );
        // Where there is a parameter band, both name what it varies in the same words.
        if f(&b, "peak_band_bps.high") > f(&b, "peak_band_bps.low") {
            let src = m["band"]["source"].as_str().unwrap();
            assert!(
                src.starts_with(b["param_source"].as_str().unwrap()),
                "{src}"
            );
        }
    }
}
