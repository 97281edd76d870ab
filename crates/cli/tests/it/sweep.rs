//! `blocksale sweep` on the Cango scenario: agreement with `backtest`, the inverse query,
//! user errors, byte-identical reruns.

use crate::common::{blocksale, cango_data};
use serde_json::Value;

fn run(args: &[&str], out: &std::path::Path) -> Value {
    let o = blocksale()
        .arg("sweep")
        .arg("--data")
        .arg(cango_data())
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

/// The rows of `sweep.csv` in `out` (the JSON document has none), as JSON objects.
fn csv_rows(out: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let obj: serde_json::Map<String, Value> = head
                .iter()
                .zip(l.split(','))
                .map(|(&k, v)| {
                    let val = match k {
                        "duration" | "model" => Value::from(v),
                        "duration_seconds" => Value::from(v.parse::<i64>().unwrap()),
                        _ => Value::from(v.parse::<f64>().unwrap()),
                    };
                    (k.to_string(), val)
                })
                .collect();
            Value::Object(obj)
        })
        .collect()
}

#[test]
fn scenario_size_and_duration_match_the_backtest() {
    // The Cango sale itself (4,451 BTC over 2 days, TWAP on 15-minute bars) as a one-cell sweep
    // must give every model's backtest numbers: same market state, same grid.
    let out = tempfile::tempdir().unwrap();
    let s = run(&["--sizes", "4451", "--durations", "2d"], out.path());
    let bt = blocksale()
        .arg("backtest")
        .arg("--data")
        .arg(cango_data())
        .arg("--out")
        .arg(out.path().join("bt"))
        .args(["--json", "-q"])
        .output()
        .unwrap();
    assert!(
        bt.status.success(),
        "{}",
        String::from_utf8_lossy(&bt.stderr)
    );
    let bt: Value = serde_json::from_slice(&bt.stdout).unwrap();
    let models = bt["models"].as_array().unwrap();
    let rows = csv_rows(out.path());
    assert_eq!(s["row_count"], 6);
    assert_eq!(rows.len(), models.len());
    assert_eq!(rows.len(), 6);
    for (r, m) in rows.iter().zip(models) {
        assert_eq!(r["model"], m["name"]);
        for (a, b) in [
            ("avg_cost_bps", "avg_cost_bps"),
            ("peak_impact_bps", "peak_impact_bps"),
            ("permanent_impact_bps", "permanent_impact_bps"),
        ] {
            let (x, y) = (r[a].as_f64().unwrap(), m[b].as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "{} {a}: {x} vs {y}",
                r["model"]
            );
        }
        let (lo, hi) = (
            r["avg_cost_low_bps"].as_f64().unwrap(),
            r["avg_cost_high_bps"].as_f64().unwrap(),
        );
        assert!((lo - m["avg_cost_band_bps"]["low"].as_f64().unwrap()).abs() < 1e-9);
        assert!((hi - m["avg_cost_band_bps"]["high"].as_f64().unwrap()).abs() < 1e-9);
        let usd = r["avg_cost_usd"].as_f64().unwrap();
        assert!(
            (usd - m["drag_usd"].as_f64().unwrap()).abs() < 1e-6 * usd,
            "{usd}"
        );
    }
    assert_eq!(s["market"]["sigma_daily"], bt["market"]["sigma_daily"]);
    assert_eq!(s["durations"][0]["grid_bars"], 192);
}

#[test]
fn default_grid_inverse_query_and_files() {
    let out = tempfile::tempdir().unwrap();
    let s = run(&["--max-cost-bps", "50"], out.path());
    assert_eq!(s["schema_version"], 3);
    assert!(s.get("rows").is_none(), "the rows are in sweep.csv alone");
    assert_eq!(s["sizes_btc"].as_array().unwrap().len(), 40);
    assert_eq!(s["durations"].as_array().unwrap().len(), 12);
    assert_eq!(s["models"].as_array().unwrap().len(), 6);
    let rows = csv_rows(out.path());
    assert_eq!(rows.len(), 40 * 12 * 6);
    assert_eq!(s["row_count"], 40 * 12 * 6);
    let max = s["max_size"].as_array().unwrap();
    assert_eq!(max.len(), 12 * 6);
    for m in max {
        let q = m["max_size_btc"].as_f64().unwrap();
        assert!(m["avg_cost_at_max_bps"].as_f64().unwrap() <= 50.0);
        // Every grid cell of that duration and model is within 50 bps exactly when its size <= q.
        for r in rows
            .iter()
            .filter(|r| r["model"] == m["model"] && r["duration_seconds"] == m["duration_seconds"])
        {
            let (size, cost) = (
                r["size_btc"].as_f64().unwrap(),
                r["avg_cost_bps"].as_f64().unwrap(),
            );
            assert_eq!(size <= q, cost <= 50.0, "{m} {r}");
        }
    }
    // Square root by hand: I(Q) = Y sigma sqrt(Q/V), average cost 2/3 of it whatever the duration,
    // so the largest size within X is V (1.5 X / (Y sigma))^2 for every duration.
    let (sigma, v) = (
        s["market"]["sigma_daily"].as_f64().unwrap(),
        s["market"]["model_volume_btc"].as_f64().unwrap(),
    );
    let by_hand = v * (1.5 * 50e-4 / (0.9 * sigma)).powi(2);
    let of = |name: &str| -> Vec<f64> {
        max.iter()
            .filter(|m| m["model"] == name)
            .map(|m| m["max_size_btc"].as_f64().unwrap())
            .collect()
    };
    let sqrt_max = of("sqrt");
    assert_eq!(sqrt_max.len(), 12);
    for q in &sqrt_max {
        assert!((q / by_hand - 1.0).abs() < 2e-6, "{q} vs {by_hand}");
    }
    // ATHL's temporary part falls with the selling rate: longer sales allow larger blocks.
    let athl = of("athl");
    assert!(athl.windows(2).all(|w| w[1] > w[0]), "{athl:?}");
    // The declared ranges from the rows' own columns: every built-in model declares the premise
    // bound, so a TWAP cell is outside exactly when Q/V > 1 or its participation_of_v
    // (Q/(V T)) > 1, and the largest size inside is V min(1, T).
    let ranges = s["declared_range"].as_array().unwrap();
    assert_eq!(ranges.len(), 12 * 6);
    let mut outside_total = 0;
    for g in ranges {
        let cells: Vec<&Value> = rows
            .iter()
            .filter(|r| r["model"] == g["model"] && r["duration_seconds"] == g["duration_seconds"])
            .collect();
        assert_eq!(cells.len(), 40);
        let outside = cells
            .iter()
            .filter(|r| {
                r["size_btc"].as_f64().unwrap() / v > 1.0
                    || r["participation_of_v"].as_f64().unwrap() > 1.0
            })
            .count();
        assert_eq!(g["sizes_outside"], outside, "{g}");
        outside_total += outside;
        let days = g["duration_seconds"].as_f64().unwrap() / 86_400.0;
        assert!(
            (g["execution_days"].as_f64().unwrap() / days - 1.0).abs() < 1e-12,
            "{g}"
        );
        let high = g["inside_btc"]["high"].as_f64().unwrap();
        assert!((high / (v * days.min(1.0)) - 1.0).abs() < 1e-12, "{g}");
    }
    // Short sales of large blocks are outside (1 h: above V/24), and the note counts them.
    assert!(outside_total > 0 && outside_total < 40 * 12 * 6);
    let note = format!("sqrt {}", outside_total / 6);
    assert!(
        s["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains(&note)),
        "{note}"
    );
    let csv = std::fs::read_to_string(out.path().join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 40 * 12 * 6);
    assert!(csv.starts_with("size_btc,duration_seconds,duration,model,avg_cost_bps,"));
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json, s);
}

#[test]
fn same_inputs_same_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = [
        "--sizes",
        "500:8000:9",
        "--durations",
        "30m,6h,3d",
        "--max-cost-bps",
        "100",
    ];
    run(&args, a.path());
    run(&args, b.path());
    for f in ["sweep.csv", "sweep.json"] {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
        );
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between identical runs");
    }
}

#[test]
fn model_filter() {
    let out = tempfile::tempdir().unwrap();
    let s = run(
        &[
            "--sizes",
            "1000,4451",
            "--durations",
            "1d",
            "--models",
            "kyle,sqrt",
        ],
        out.path(),
    );
    let names: Vec<&str> = s["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sqrt", "kyle"]);
    assert_eq!(csv_rows(out.path()).len(), 4);
    assert_eq!(s["row_count"], 4);
}

#[test]
fn user_errors_name_the_flag_and_exit_2() {
    for (args, needle) in [
        (vec!["--sizes", "250:abc:40"], "--sizes \"250:abc:40\": expected lo:hi:n"),
        (vec!["--sizes", "20000:250:40"], "--sizes \"20000:250:40\""),
        (vec!["--durations", "1x:7d:12"], "--durations \"1x:7d:12\": expected lo:hi:n"),
        (vec!["--durations", "6h,2"], "unit m, h or d"),
        (vec!["--models", "garch"], "--models \"garch\": expected a comma list of the scenario's models: sqrt, linear, kyle, athl, sqrt_propagator, exp_decay"),
        (vec!["--max-cost-bps", "-5"], "--max-cost-bps -5: expected a number of bps > 0"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("never");
        let o = blocksale()
            .arg("sweep")
            .arg("--data")
            .arg(cango_data())
            .arg("--out")
            .arg(&dest)
            .arg("-q")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!dest.exists(), "{args:?} wrote output");
    }
}

#[test]
fn help_shows_an_example() {
    let o = blocksale().args(["sweep", "--help"]).output().unwrap();
    let h = String::from_utf8_lossy(&o.stdout);
    assert!(
        h.contains(
            "\n  blocksale sweep --sizes 250:20000:40 --durations 1h:7d:12 --max-cost-bps 50\n"
        ),
        "{h}"
    );
}
