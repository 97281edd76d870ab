//! `blocksale report`: every chart at the requested size with drawn content, the memo and the
//! exports, byte-identical reruns, exported series equal to the backtest's, user errors.

use crate::common::{blocksale, cango_data};
use std::path::Path;

const CHARTS: [&str; 7] = [
    "event",
    "drag",
    "size_curve",
    "sweep",
    "calibration",
    "volume",
    "replay",
];

fn report(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = blocksale();
    cmd.arg("report")
        .arg("--data")
        .arg(cango_data())
        .arg("--out")
        .arg(out)
        .arg("-q");
    cmd.args(extra);
    cmd.output().unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "status {:?}, stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Width, height and pixels (RGB) of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks(ch)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

fn assert_chart(path: &Path, w: u32, h: u32) {
    let (pw, ph, px) = decode(path);
    assert_eq!((pw, ph), (w, h), "{}", path.display());
    let colours: std::collections::BTreeSet<[u8; 3]> = px.iter().copied().collect();
    assert!(
        colours.len() > 20,
        "{}: {} colours",
        path.display(),
        colours.len()
    );
    let inked = px.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        inked * 20 > px.len(),
        "{}: only {inked} of {} pixels drawn",
        path.display(),
        px.len()
    );
}

#[test]
fn report_writes_every_chart_the_memo_and_the_exports() {
    let out = tempfile::tempdir().unwrap();
    let o = report(out.path(), &[]);
    ok(&o);
    for c in CHARTS {
        assert_chart(&out.path().join(format!("{c}.png")), 1600, 900);
    }
    for f in [
        "memo.md",
        "README.md",
        "charts.json",
        "manifest.json",
        "result.json",
        "paths.csv",
        "event.csv",
        "drag.csv",
        "size_curve.csv",
        "sweep.csv",
        "calibration_bins.csv",
        "calibration_fit.csv",
        "volume.csv",
        "replay.csv",
    ] {
        let p = out.path().join(f);
        assert!(p.is_file(), "{f} missing");
        assert!(
            std::fs::metadata(&p).unwrap().len() > 100,
            "{f} is nearly empty"
        );
    }
    let memo = std::fs::read_to_string(out.path().join("memo.md")).unwrap();
    assert!(memo.starts_with("# "), "{memo}");
    for c in CHARTS {
        assert!(
            memo.contains(&format!("]({c}.png)")),
            "memo does not link {c}"
        );
    }
    for needle in [
        "**Question.**",
        "**Answer.**",
        "| sqrt |",
        "implied shortfall",
        "participation",
        "CAR over the window",
        "Aggregate vs metaorder",
        "Venue coverage",
        "OTC share unknown",
        "SHA-256",
    ] {
        assert!(memo.contains(needle), "memo lacks {needle:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "report");
    let outputs: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"event.png") && outputs.contains(&"memo.md"));
    // No staging folder left behind.
    let left: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".blocksale-tmp")
        })
        .collect();
    assert!(left.is_empty());
}

#[test]
fn memo_size_svg_and_candles() {
    let out = tempfile::tempdir().unwrap();
    ok(&report(
        out.path(),
        &["--image-size", "800x450", "--candles"],
    ));
    for c in CHARTS {
        assert_chart(&out.path().join(format!("{c}.png")), 800, 450);
    }
    let svg = tempfile::tempdir().unwrap();
    ok(&report(svg.path(), &["--svg"]));
    for c in CHARTS {
        let s = std::fs::read_to_string(svg.path().join(format!("{c}.svg"))).unwrap();
        assert!(
            s.starts_with("<svg") && s.contains("Scenario cango-2026-02."),
            "{c}.svg"
        );
        assert!(!svg.path().join(format!("{c}.png")).exists());
    }
    let memo = std::fs::read_to_string(svg.path().join("memo.md")).unwrap();
    assert!(memo.contains("](event.svg)"));
}

#[test]
fn two_runs_are_byte_identical() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(&report(a.path(), &[]));
    ok(&report(b.path(), &[]));
    let mut names: Vec<String> = std::fs::read_dir(a.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 21, "{names:?}");
    for n in names {
        let (x, y) = (
            std::fs::read(a.path().join(&n)).unwrap(),
            std::fs::read(b.path().join(&n)).unwrap(),
        );
        assert!(x == y, "{n} differs between runs");
    }
}

/// Cells of a CSV column by name.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let j = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    lines
        .map(|l| l.split(',').nth(j).unwrap().to_string())
        .collect()
}

#[test]
fn exported_series_are_the_backtests_and_redraw_the_charts() {
    let out = tempfile::tempdir().unwrap();
    ok(&report(out.path(), &[]));
    let read = |f: &str| std::fs::read_to_string(out.path().join(f)).unwrap();
    let (ev, paths) = (read("event.csv"), read("paths.csv"));
    // event.csv and paths.csv are one table: the same columns, byte for byte.
    assert_eq!(ev, paths, "event.csv and paths.csv differ");
    let result: serde_json::Value = serde_json::from_str(&read("result.json")).unwrap();
    for m in result["models"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let cf: Vec<f64> = column(&ev, &format!("counterfactual_close_{name}_usd"))
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        let close: Vec<f64> = column(&ev, "close_usd")
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        let imp: Vec<f64> = column(&ev, &format!("impact_{name}_bps"))
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        // A sale: the close without it is close * exp(+impact).
        for ((c, x), i) in cf.iter().zip(&close).zip(&imp) {
            assert!(
                (c - x * (i / 1e4).exp()).abs() <= 1e-9 * x,
                "{name}: {c} vs {x} exp({i} bp)"
            );
        }
        // The size curve passes through the backtest's numbers at the real size.
        let sc = read("size_curve.csv");
        let models = column(&sc, "model");
        let sizes = column(&sc, "size_btc");
        let cost = column(&sc, "avg_cost_bps");
        let i = (0..models.len())
            .find(|&i| models[i] == name && sizes[i] == "4451")
            .unwrap_or_else(|| panic!("no 4451 BTC row for {name}"));
        let want = m["avg_cost_bps"].as_f64().unwrap();
        let got: f64 = cost[i].parse().unwrap();
        assert!((got - want).abs() < 1e-9 * want, "{name}: {got} vs {want}");
    }
    // charts.json names a CSV for every chart, and each exists.
    let cj: serde_json::Value = serde_json::from_str(&read("charts.json")).unwrap();
    for c in CHARTS {
        for f in cj["chart_files"][c].as_array().unwrap() {
            assert!(out.path().join(f.as_str().unwrap()).is_file(), "{f}");
        }
    }
    // The heatmap's hatch, one entry per duration of sweep.csv: under the premise bound the
    // sizes inside a TWAP over T days reach V min(1, T), V the backtest's.
    let v = result["market"]["model_volume_btc"].as_f64().unwrap();
    let mut hours: Vec<f64> = column(&read("sweep.csv"), "duration_hours")
        .iter()
        .map(|h| h.parse().unwrap())
        .collect();
    hours.sort_by(f64::total_cmp);
    hours.dedup();
    let ranges = cj["sweep_declared_range"].as_array().unwrap();
    assert_eq!(ranges.len(), hours.len());
    for (g, h) in ranges.iter().zip(&hours) {
        assert_eq!(g["duration_hours"].as_f64().unwrap(), *h, "{g}");
        let high = g["inside_btc"]["high"].as_f64().unwrap();
        assert!(
            (high / (v * (h / 24.0).min(1.0)) - 1.0).abs() < 1e-12,
            "{g} {v}"
        );
    }
}

#[test]
fn bad_size_is_a_user_error_with_no_output() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("r");
    for flag in ["--image-size", "--size"] {
        for bad in ["10x10", "1600", "wide"] {
            let o = report(&dir, &[flag, bad]);
            assert_eq!(o.status.code(), Some(2), "{flag} {bad}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("WIDTHxHEIGHT"), "{err}");
        }
    }
    assert!(!dir.exists(), "nothing may be written on a user error");
    let o = report(
        &dir,
        &["--replay-from", "2026-03-01", "--replay-to", "2026-01-01"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.exists());
}

#[test]
fn backtest_still_writes_its_event_chart() {
    let out = tempfile::tempdir().unwrap();
    let o = blocksale()
        .arg("backtest")
        .arg("--data")
        .arg(cango_data())
        .arg("--out")
        .arg(out.path())
        .arg("-q")
        .output()
        .unwrap();
    ok(&o);
    assert_chart(&out.path().join("event.png"), 1600, 900);
    assert!(out.path().join("result.json").is_file() && out.path().join("paths.csv").is_file());
}

/// `--size WxH`, report's old spelling of the image size, still works, with a deprecation warning.
#[test]
fn old_size_flag_is_a_deprecated_alias() {
    let out = tempfile::tempdir().unwrap();
    let o = report(out.path(), &["--size", "800x450"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("deprecated") && err.contains("--image-size 800x450"),
        "{err}"
    );
    let png = std::fs::read(out.path().join("event.png")).unwrap();
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 800);
    let help = crate::common::blocksale()
        .args(["report", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--image-size") && !help.contains("--size <"),
        "{help}"
    );
}
