//! `blocksale model`, `estimate` and `calibrate`: the example commands, checked against the
//! test vectors of docs/methods.md §27 (T1, T2, T3, T4) with explicit tolerances.

use assert_cmd::Command;
use serde_json::Value;

fn run_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("blocksale")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn sqrt_example_t4() {
    let v = run_json(&[
        "model",
        "sqrt",
        "--size",
        "4451",
        "--adv",
        "30000",
        "--sigma-daily",
        "0.03",
        "--y",
        "0.9",
        "--json",
    ]);
    assert!((f(&v, "impact_fraction") * 100.0 - 1.0400).abs() < 5e-5);
    assert!((f(&v, "impact_bps") - 104.00).abs() < 5e-3);
    // Average cost of a square-root sale: 2/3 of the peak.
    assert!((f(&v, "avg_cost_bps") - 104.0 * 2.0 / 3.0).abs() < 0.01);
}

#[test]
fn almgren_chriss_example_t1() {
    let v = run_json(&[
        "model",
        "almgren_chriss",
        "--size",
        "1e6",
        "--sigma",
        "0.948683",
        "--epsilon",
        "0.0625",
        "--eta",
        "2.5e-6",
        "--gamma",
        "2.5e-7",
        "--horizon",
        "5",
        "--steps",
        "5",
        "--risk-aversion",
        "1e-6",
        "--json",
    ]);
    // sigma = 0.948683 is sqrt(0.9) rounded: the published figures agree to 6 significant digits.
    assert!((f(&v, "kappa") / 0.606260 - 1.0).abs() < 2e-6);
    assert!((f(&v, "half_life") / 1.64946 - 1.0).abs() < 2e-6);
    let h: Vec<f64> = v["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let want = [1e6, 542380.7, 290295.1, 148216.1, 62303.2, 0.0];
    assert_eq!(h.len(), 6);
    for (a, b) in h.iter().zip(want) {
        assert!((a - b).abs() <= 0.2, "{a} vs {b}");
    }
    assert_eq!(v["trades"].as_array().unwrap().len(), 5);
    assert!((f(&v, "expected_cost") / 910477.8 - 1.0).abs() < 1e-6);
    assert!((f(&v, "variance") / 3.63868e11 - 1.0).abs() < 2e-6);
}

#[test]
fn athl_example_t2() {
    let v = run_json(&[
        "model",
        "athl",
        "--size",
        "656100",
        "--adv",
        "6561000",
        "--sigma-daily",
        "0.0157",
        "--outstanding",
        "1.728e9",
        "--horizon-days",
        "0.1",
        "--json",
    ]);
    assert!((f(&v, "permanent_bps") - 19.86).abs() < 0.005);
    assert!((f(&v, "temporary_bps") - 22.3).abs() < 0.05);
    assert!((f(&v, "realized_bps") - 32.2).abs() < 0.05);
    assert!(v["warnings"][0].as_str().unwrap().contains("extrapolation"));
}

#[test]
fn user_errors_exit_2() {
    let out = Command::cargo_bin("blocksale")
        .unwrap()
        .args(["model", "sqrt", "--size", "10", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--adv"));
}

#[test]
fn estimate_on_the_bidask_table_t3() {
    let dir = crate::common::data_dir();
    let table = dir.join("reference/bidask/ohlc.csv");
    if !table.is_file() {
        // Generated data has no reference table; the T3 digits are checked in blocksale-impact.
        assert!(!crate::common::is_real(&dir));
        return;
    }
    let v = run_json(&["estimate", table.to_str().unwrap(), "--json"]);
    assert!((v["spread"]["edge"].as_f64().unwrap() / 0.0101849034905478 - 1.0).abs() < 1e-12);
    assert!(v["volatility"]["parkinson"]["sigma_daily"].is_null());
    assert!(v.get("kyle").is_none());
}

/// A month of generated 1-minute Binance klines (no header, epoch ms, taker-buy volume) whose
/// returns follow the net taker flow.
fn kline_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("BTCUSDT-1m-2024-01.csv");
    let mut text = String::new();
    let mut p: f64 = 40_000.0;
    let mut state: u64 = 12345;
    let mut unif = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let t0 = 1_704_067_200_000i64; // 2024-01-01
    for i in 0..(30 * 1440) {
        let vol = 10.0;
        let buy = unif();
        let sv = (2.0 * buy - 1.0) * vol;
        let r = 2e-5 * sv + 2e-4 * (unif() - 0.5);
        let o = p;
        p *= f64::exp(r);
        let (h, l) = (o.max(p) * 1.0002, o.min(p) * 0.9998);
        let t = t0 + i * 60_000;
        text.push_str(&format!(
            "{t},{o:.2},{h:.2},{l:.2},{p:.2},{vol},{},{:.2},100,{:.6},{:.2},0\n",
            t + 59_999,
            vol * p,
            buy * vol,
            buy * vol * p
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn estimate_and_calibrate_on_generated_klines() {
    let dir = tempfile::tempdir().unwrap();
    let f = kline_file(dir.path());
    let f = f.to_str().unwrap();
    let v = run_json(&["estimate", f, "--every", "1h", "--json"]);
    assert_eq!(v["bars"].as_u64(), Some(720));
    assert_eq!(v["bar_seconds"].as_i64(), Some(3600));
    for k in [
        "close_to_close",
        "parkinson",
        "garman_klass",
        "rogers_satchell",
        "yang_zhang",
    ] {
        assert!(
            v["volatility"][k]["sigma_daily"].as_f64().unwrap() > 0.0,
            "{k}"
        );
    }
    for k in ["roll", "corwin_schultz", "abdi_ranaldo", "edge"] {
        assert!(v["spread"].get(k).is_some(), "{k}");
    }
    // 10 BTC a minute: 14,400 BTC a day exactly.
    assert!((v["adv_btc"].as_f64().unwrap() - 14_400.0).abs() < 1e-6);
    let lambda = v["kyle"]["lambda_per_btc"].as_f64().unwrap();
    assert!((lambda - 2e-5).abs() < 2e-6, "lambda {lambda}");
    // --to is exclusive.
    let w = run_json(&[
        "estimate",
        f,
        "--every",
        "1h",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-03",
        "--json",
    ]);
    assert_eq!(w["bars"].as_u64(), Some(24));

    let args = [
        "calibrate",
        f,
        "--every",
        "15m",
        "--reps",
        "30",
        "--seed",
        "7",
        "--json",
    ];
    let a = run_json(&args);
    let b = run_json(&args);
    assert_eq!(a, b, "same seed, same output");
    assert!(a["note"].as_str().unwrap().contains("not metaorders"));
    let e = &a["curve"]["exponent"];
    let (lo, est, hi) = (
        e["ci95_low"].as_f64().unwrap(),
        e["estimate"].as_f64().unwrap(),
        e["ci95_high"].as_f64().unwrap(),
    );
    assert!(lo <= est && est <= hi && est > 0.0, "{e}");
    assert_eq!(a["curve"]["bootstrap_reps_used"].as_u64(), Some(30));
    let c = run_json(&[
        "calibrate",
        f,
        "--every",
        "15m",
        "--reps",
        "30",
        "--seed",
        "8",
        "--json",
    ]);
    assert_ne!(
        a["curve"]["exponent"]["ci95_low"],
        c["curve"]["exponent"]["ci95_low"]
    );
    // Linear truth: the exponent is far from 1/2 and the warning says so.
    assert!(a["warning"].as_str().unwrap().contains("far from 1/2"));
}

/// `--sigma-daily 3.46` (a percent without its sign) is refused with the fraction it likely meant;
/// `3.46%` and `0.0346` price the same market.
#[test]
fn sigma_daily_in_percent_is_caught() {
    let run = |sigma: &str| {
        crate::common::blocksale()
            .args([
                "model", "sqrt", "--size", "4451", "--adv", "30000", "--json",
            ])
            .args(["--sigma-daily", sigma])
            .output()
            .unwrap()
    };
    let o = run("3.46");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("346 % a day") && err.contains("did you mean 0.0346"),
        "{err}"
    );
    let (a, b) = (run("3.46%"), run("0.0346"));
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&a.stdout).unwrap(),
        serde_json::from_slice(&b.stdout).unwrap(),
    );
    assert_eq!(a["impact_bps"], b["impact_bps"]);
    assert_eq!(a["sigma_daily"], 0.0346);
    assert_eq!(run("0").status.code(), Some(2));
    assert_eq!(run("-0.02").status.code(), Some(2));
}
