//! Integration tests of the report crate on a generated market: every chart at the requested
//! size with drawn content, byte-identical reruns, and charts redrawn from their exported CSV.

use blocksale_backtest::replay::{replay, Every, ReplayInput, ReplayResult};
use blocksale_backtest::sweep::{log_space, sweep, SweepInput, SweepResult};
use blocksale_backtest::{
    run, run_calibration, Annotation, BacktestInput, BacktestResult, CalibrationSpec, KyleSpec,
    ModelSpec, ParamSource, Scenario, SqrtPropagatorSpec,
};
use blocksale_core::{BarColumns, BarSeries, Timestamp};
use blocksale_report::table::{parse_csv, Table};
use blocksale_report::{chart_names_all, ChartOptions, Report, ReportInput};
use std::collections::BTreeMap;
use std::path::Path;

/// 120 days of 15-minute bars around the example sale: a seeded random walk whose taker imbalance
/// moves the price, with a daily volume cycle and a volume burst inside the sale window.
fn market(s: &Scenario) -> BTreeMap<String, BarSeries> {
    let bar = 900_000i64;
    let t0 = s.start.as_millis() - 110 * 86_400_000;
    let mut cols = BarColumns::default();
    let mut tb = Vec::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p = 70_000.0f64;
    for i in 0..(120 * 96) {
        let t = t0 + i * bar;
        let hour = ((t / 3_600_000) % 24) as f64;
        let mut v = 200.0 * (1.3 + (hour / 24.0 * std::f64::consts::TAU).sin()) * (0.6 + next());
        if t >= s.start.as_millis() && t < s.start.as_millis() + 6 * 3_600_000 {
            v *= 6.0;
        }
        let imb = next() - 0.5;
        let r = 0.0015 * imb * 2.0 + 0.002 * (next() - 0.5);
        let o = p;
        p *= r.exp();
        let (h, l) = (
            o.max(p) * (1.0 + 0.001 * next()),
            o.min(p) * (1.0 - 0.001 * next()),
        );
        cols.push_ohlcv(t, o, h, l, p, v);
        tb.push(v * (0.5 + imb * 0.8));
    }
    cols.taker_buy_volume = Some(tb);
    let bars = BarSeries::new_checked(cols, 900).unwrap();
    BTreeMap::from([("synthetic".to_string(), bars)])
}

fn scenario() -> Scenario {
    let mut s = Scenario::example();
    s.annotations = vec![
        Annotation {
            time: Timestamp::parse_rfc3339("2026-02-06T00:15:00Z").unwrap(),
            label: "Friday low".into(),
        },
        Annotation {
            time: Timestamp::parse_rfc3339("2026-02-05T00:00:00Z").unwrap(),
            label: "Thursday sell-off".into(),
        },
    ];
    s.calibration = Some(CalibrationSpec {
        venue: "synthetic".into(),
        days: 60,
        bar_seconds: 900,
        seed: 7,
    });
    s.models.push(ModelSpec::Kyle(KyleSpec {
        lambda_per_btc: None,
        params: ParamSource::Calibrated,
    }));
    s.models.push(ModelSpec::SqrtPropagator(SqrtPropagatorSpec {
        kernel_exponent: 0.5,
        ..SqrtPropagatorSpec::default()
    }));
    s.validate().unwrap();
    s
}

struct Fixture {
    s: Scenario,
    sources: BTreeMap<String, BarSeries>,
    result: BacktestResult,
    sweep: SweepResult,
    replay: ReplayResult,
}

fn fixture() -> Fixture {
    let s = scenario();
    let sources = market(&s);
    let input = BacktestInput {
        scenario: &s,
        sources: &sources,
        data_files: vec!["bars.csv".into()],
        what_if: None,
    };
    let result = run(&input).unwrap();
    let cal = run_calibration(&s, &sources).unwrap();
    let sw = sweep(
        &SweepInput {
            scenario: &s,
            sources: &sources,
            calibration: cal.as_ref(),
            sizes_btc: log_space(300.0, 60_000.0, 9).unwrap(),
            durations_seconds: vec![3_600, 6 * 3_600, 86_400, 2 * 86_400, 7 * 86_400],
            models: None,
            max_cost_bps: None,
            grid_path: false,
        },
        None,
    )
    .unwrap();
    let rp = replay(
        &ReplayInput {
            scenario: &s,
            sources: &sources,
            calibration: cal.as_ref(),
            from: Timestamp::parse_rfc3339("2025-10-25").unwrap(),
            to: s.start,
            every: Every::Day,
        },
        None,
    )
    .unwrap();
    Fixture {
        s,
        sources,
        result,
        sweep: sw,
        replay: rp,
    }
}

fn report(f: &Fixture) -> Report<'_> {
    Report::build(ReportInput {
        result: &f.result,
        backtest: BacktestInput {
            scenario: &f.s,
            sources: &f.sources,
            data_files: vec!["bars.csv".into()],
            what_if: None,
        },
        sweep: Some(&f.sweep),
        replay: Some(&f.replay),
        sizes_btc: Vec::new(),
        provenance: vec!["test fixture".into()],
    })
    .unwrap()
}

/// Decode a PNG: (width, height, RGB pixels).
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    assert!(
        ch >= 3,
        "{path:?}: colour PNG expected, got {:?}",
        info.color_type
    );
    let px = buf[..info.buffer_size()]
        .chunks(ch)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

/// Checks a chart has the size asked for and drawn content: many colours, a share of non-white
/// pixels in every quarter of the plot band (not just a title on a blank canvas).
fn assert_drawn(path: &Path, w: u32, h: u32) {
    let (pw, ph, px) = decode(path);
    assert_eq!((pw, ph), (w, h), "{path:?}");
    let distinct: std::collections::BTreeSet<[u8; 3]> = px.iter().copied().collect();
    assert!(
        distinct.len() > 20,
        "{path:?}: only {} colours",
        distinct.len()
    );
    let inked = px.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        inked as f64 > 0.05 * px.len() as f64,
        "{path:?}: {inked} of {} pixels drawn",
        px.len()
    );
    // The middle band (where the plot is) has ink in each horizontal quarter.
    for q in 0..4 {
        let (x0, x1) = (w * q / 4, w * (q + 1) / 4);
        let mut n = 0;
        for y in h * 3 / 10..h * 6 / 10 {
            for x in x0..x1 {
                if px[(y * w + x) as usize] != [255, 255, 255] {
                    n += 1;
                }
            }
        }
        assert!(n > 50, "{path:?}: quarter {q} of the plot band is blank");
    }
}

#[test]
fn every_chart_has_the_requested_size_and_drawn_content() {
    let f = fixture();
    let rep = report(&f);
    assert_eq!(
        rep.chart_names(),
        chart_names_all(),
        "all seven charts have data"
    );
    let dir = tempfile::tempdir().unwrap();
    for (w, h) in [(1600, 900), (800, 450), (1200, 1200)] {
        let o = ChartOptions {
            width: w,
            height: h,
            ..ChartOptions::default()
        };
        for c in rep.chart_names() {
            let p = dir.path().join(format!("{c}-{w}x{h}.png"));
            rep.render(c, &p, &o).unwrap();
            assert_drawn(&p, w, h);
        }
    }
    // Candles draw too, and differently from the line.
    let (a, b) = (dir.path().join("line.png"), dir.path().join("candles.png"));
    rep.render("event", &a, &ChartOptions::default()).unwrap();
    rep.render(
        "event",
        &b,
        &ChartOptions {
            candles: true,
            ..ChartOptions::default()
        },
    )
    .unwrap();
    assert_drawn(&b, 1600, 900);
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn svg_output_is_vector_with_text() {
    let f = fixture();
    let rep = report(&f);
    let dir = tempfile::tempdir().unwrap();
    let o = ChartOptions {
        svg: true,
        ..ChartOptions::default()
    };
    for c in rep.chart_names() {
        let p = dir.path().join(format!("{c}.svg"));
        rep.render(c, &p, &o).unwrap();
        let s = std::fs::read_to_string(&p).unwrap();
        assert!(s.starts_with("<svg"), "{c}");
        assert!(
            s.contains("width=\"1600\"") && s.contains("height=\"900\""),
            "{c}"
        );
        assert!(s.contains("Scenario example."), "{c}: footer missing");
    }
}

#[test]
fn too_small_a_canvas_is_an_error_not_a_broken_chart() {
    let f = fixture();
    let rep = report(&f);
    let dir = tempfile::tempdir().unwrap();
    let o = ChartOptions {
        width: 120,
        height: 80,
        ..ChartOptions::default()
    };
    let e = rep
        .render("event", &dir.path().join("e.png"), &o)
        .unwrap_err();
    assert!(e.to_string().contains("too small"), "{e}");
    let e = rep
        .render("nope", &dir.path().join("x.png"), &ChartOptions::default())
        .unwrap_err()
        .to_string();
    // The message lists every registered chart.
    assert_eq!(
        e,
        "unknown chart \"nope\": expected one of event, drag, size_curve, sweep, calibration, volume, replay"
    );
}

#[test]
fn two_runs_give_byte_identical_charts_and_exports() {
    let (f1, f2) = (fixture(), fixture());
    let (r1, r2) = (report(&f1), report(&f2));
    let dir = tempfile::tempdir().unwrap();
    for o in [
        ChartOptions::default(),
        ChartOptions {
            svg: true,
            ..ChartOptions::default()
        },
    ] {
        for c in r1.chart_names() {
            let a = dir.path().join(format!("a-{c}.{}", o.ext()));
            let b = dir.path().join(format!("b-{c}.{}", o.ext()));
            r1.render(c, &a, &o).unwrap();
            r2.render(c, &b, &o).unwrap();
            assert!(
                std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
                "{c}.{} differs between runs",
                o.ext()
            );
        }
    }
    let (e1, e2) = (
        r1.exports(&ChartOptions::default()).unwrap(),
        r2.exports(&ChartOptions::default()).unwrap(),
    );
    assert_eq!(e1.len(), e2.len());
    for ((n1, b1), (n2, b2)) in e1.iter().zip(&e2) {
        assert_eq!(n1, n2);
        assert!(b1 == b2, "{n1} differs between runs");
    }
}

fn export<'a>(ex: &'a [(String, Vec<u8>)], name: &str) -> &'a str {
    let (_, b) = ex
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not exported"));
    std::str::from_utf8(b).unwrap()
}

#[test]
fn exports_hold_every_plotted_series() {
    let f = fixture();
    let rep = report(&f);
    let ex = rep.exports(&ChartOptions::default()).unwrap();
    let names: Vec<&str> = ex.iter().map(|(n, _)| n.as_str()).collect();
    for n in [
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
        "charts.json",
        "memo.md",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    // event.csv: the observed path and each model's counterfactual, bit for bit.
    let ev = Table::from_csv(export(&ex, "event.csv"));
    let r = &f.result;
    assert_eq!(ev.rows(), r.paths.len());
    let close = ev.get_num("close_usd").unwrap();
    for (k, m) in r.models.iter().enumerate() {
        let cf = ev
            .get_num(&format!("counterfactual_close_{}_usd", m.name))
            .unwrap();
        let (lo, hi) = (
            ev.get_num(&format!("counterfactual_close_{}_low_usd", m.name))
                .unwrap(),
            ev.get_num(&format!("counterfactual_close_{}_high_usd", m.name))
                .unwrap(),
        );
        for (i, p) in r.paths.iter().enumerate() {
            assert_eq!(close[i].to_bits(), p.close.to_bits());
            assert_eq!(cf[i].to_bits(), p.counterfactual_close_usd[k].to_bits());
            // A sale: the price without it is higher, and the band brackets it.
            assert!(cf[i] >= p.close, "row {i}");
            assert!(
                lo[i] <= cf[i] + 1e-9 && cf[i] <= hi[i] + 1e-9,
                "row {i} {}",
                m.name
            );
        }
    }
    // drag.csv: the observed drag is -CAR in bps for a sale; at the window end it is the event
    // study's CAR.
    let dr = Table::from_csv(export(&ex, "drag.csv"));
    let hours = dr.get_num("hours_since_start").unwrap();
    let obs = dr.get_num("observed_drag_bps").unwrap();
    let k_end = hours.iter().position(|&h| (h - 48.0).abs() < 1e-9).unwrap();
    let car = r.attribution.event_study.car;
    assert!(
        (obs[k_end] + car * 1e4).abs() < 1e-6 * (1.0 + car.abs() * 1e4),
        "{} vs {}",
        obs[k_end],
        -car * 1e4
    );
    for (k, m) in r.models.iter().enumerate() {
        let imp = dr.get_num(&format!("impact_{}_bps", m.name)).unwrap();
        assert!(
            (imp[k_end] - m.impact_at_window_end_bps).abs() < 1e-9,
            "{}",
            m.name
        );
        let _ = k;
    }
    // size_curve.csv passes through the backtest's own numbers at the real size.
    let sc = Table::from_csv(export(&ex, "size_curve.csv"));
    let (_, rows) = parse_csv(export(&ex, "size_curve.csv"));
    let sz = sc.get_num("size_btc").unwrap();
    let cost = sc.get_num("avg_cost_bps").unwrap();
    let peak = sc.get_num("peak_impact_bps").unwrap();
    for m in &r.models {
        let i = (0..rows.len())
            .find(|&i| rows[i][0] == m.name && sz[i] == f.s.size_btc)
            .unwrap();
        assert!((cost[i] - m.avg_cost_bps).abs() < 1e-9 * m.avg_cost_bps.max(1.0));
        assert!((peak[i] - m.peak_impact_bps).abs() < 1e-9 * m.peak_impact_bps.max(1.0));
        // Monotone in size.
        let mine: Vec<f64> = (0..rows.len())
            .filter(|&j| rows[j][0] == m.name)
            .map(|j| cost[j])
            .collect();
        assert!(mine.windows(2).all(|w| w[1] > w[0]), "{}: {mine:?}", m.name);
    }
    // volume.csv: inside the window the baseline is the footprint's, hour for hour.
    let vo = Table::from_csv(export(&ex, "volume.csv"));
    let (_, vrows) = parse_csv(export(&ex, "volume.csv"));
    let base = vo.get_num("baseline_mean_btc").unwrap();
    let vol = vo.get_num("volume_btc").unwrap();
    let fp = &r.attribution.footprint;
    assert!(
        !fp.excess_hours.is_empty(),
        "the burst must show as excess volume"
    );
    for e in &fp.excess_hours {
        let i = vrows
            .iter()
            .position(|row| row[0] == e.time.to_rfc3339())
            .unwrap();
        assert!((base[i] - e.baseline_btc).abs() < 1e-9 * e.baseline_btc);
        assert!((vol[i] - e.volume_btc).abs() < 1e-9 * e.volume_btc);
        assert_eq!(vrows[i][9], "true", "excess flag");
    }
    // memo.md links every chart and lists every model.
    let memo = export(&ex, "memo.md");
    for c in rep.chart_names() {
        assert!(memo.contains(&format!("]({c}.png)")), "{c} not linked");
    }
    for m in &r.models {
        assert!(
            memo.contains(&format!("| {} |", m.name)),
            "{} not in the table",
            m.name
        );
    }
    assert!(memo.contains("OTC share unknown"));
    let cj: serde_json::Value = serde_json::from_str(export(&ex, "charts.json")).unwrap();
    assert_eq!(cj["scenario"], "example");
    assert_eq!(cj["annotations"].as_array().unwrap().len(), 2);
}

#[test]
fn charts_redrawn_from_the_exported_csv_are_identical() {
    let f = fixture();
    let rep = report(&f);
    let ex = rep.exports(&ChartOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = ChartOptions::default();
    let r = &f.result;
    // The footer line comes from charts.json, like every other scalar a notebook redraws from.
    let cj: serde_json::Value = serde_json::from_str(export(&ex, "charts.json")).unwrap();
    let src = cj["source"].as_str().unwrap();
    let same = |name: &str, a: &Path, b: &Path| {
        assert!(
            std::fs::read(a).unwrap() == std::fs::read(b).unwrap(),
            "{name} redrawn from its CSV differs"
        );
    };
    // Each table parsed back from its CSV equals the one drawn...
    for t in [
        "event",
        "drag",
        "size_curve",
        "volume",
        "sweep",
        "replay",
        "calibration_bins",
        "calibration_fit",
    ] {
        let back = Table::from_csv(export(&ex, &format!("{t}.csv")));
        assert_eq!(
            back.to_csv().unwrap(),
            rep.table(t).unwrap().to_csv().unwrap(),
            "{t}"
        );
    }
    // ... and charts drawn from the parsed tables are the same bytes.
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    rep.render("size_curve", &a, &o).unwrap();
    blocksale_report::size_curve_chart(
        r,
        &Table::from_csv(export(&ex, "size_curve.csv")),
        src,
        &b,
        &o,
    )
    .unwrap();
    same("size_curve", &a, &b);
    rep.render("volume", &a, &o).unwrap();
    blocksale_report::volume_chart(
        r,
        &Table::from_csv(export(&ex, "volume.csv")),
        "synthetic",
        src,
        &b,
        &o,
    )
    .unwrap();
    same("volume", &a, &b);
}

/// Every registered chart renders, and each of its tables is exported as CSV and named in
/// charts.json: what one registration must give a new chart.
#[test]
fn every_registered_chart_renders_and_exports_its_tables() {
    let f = fixture();
    let rep = report(&f);
    let dir = tempfile::tempdir().unwrap();
    let o = ChartOptions::default();
    let exports = rep.exports(&o).unwrap();
    let charts_json: serde_json::Value =
        serde_json::from_slice(&exports.iter().find(|(n, _)| n == "charts.json").unwrap().1)
            .unwrap();
    for name in chart_names_all() {
        let p = dir.path().join(format!("{name}.png"));
        rep.render(name, &p, &o).unwrap();
        assert!(std::fs::metadata(&p).unwrap().len() > 10_000, "{name}");
        let files = charts_json["chart_files"][name].as_array().unwrap();
        assert!(!files.is_empty(), "{name}");
        for file in files {
            let file = file.as_str().unwrap();
            assert!(
                exports.iter().any(|(n, _)| n == file),
                "{name}: {file} not exported"
            );
        }
    }
}

/// When the two expected-return models disagree (J apart by more than 1), the summary and the memo print the other model's CAR, J and p beside the chosen one's;
/// when they agree, neither does.
#[test]
fn summary_and_memo_name_the_other_model_when_the_models_disagree() {
    let f = fixture();
    let mut r = f.result.clone();
    let es = &mut r.attribution.event_study;
    es.other_model.j_stat = es.j_stat;
    es.other_model.car = es.car;
    assert!(!es.models_disagree());
    let (summary, memo) = (
        blocksale_report::summary(&r),
        blocksale_report::memo_markdown(&r, &[], &[]),
    );
    assert!(!summary.contains("the models disagree"), "{summary}");
    assert!(!memo.contains("models disagree"), "{memo}");
    let es = &mut r.attribution.event_study;
    es.other_model.j_stat = es.j_stat - 1.5;
    es.other_model.car = -es.car;
    assert!(es.models_disagree());
    let (summary, memo) = (
        blocksale_report::summary(&r),
        blocksale_report::memo_markdown(&r, &[], &[]),
    );
    assert!(
        summary.contains("with the constant mean: the models disagree"),
        "{summary}"
    );
    assert!(memo.contains("| CAR with the constant mean |"), "{memo}");
    assert!(
        memo.contains("market-adjusted (zero expected return)"),
        "{memo}"
    );
}
