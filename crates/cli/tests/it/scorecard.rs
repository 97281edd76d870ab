//! `blocksale scorecard`: every catalog event runs on the real data, each implied cost is the
//! disclosure's price against arrival recomputed from the event's own result, and the outputs are
//! byte-identical on a rerun. Without the real data (outside CI) the scorecard runs on the built-in
//! Cango scenario over the committed extract.

use crate::common::{blocksale, cango_data, data_dir, is_real};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn run(data: &Path, events: &Path, out: &Path) -> Value {
    let o = blocksale()
        .arg("--data")
        .arg(data)
        .args(["-q", "scorecard"])
        .arg(events)
        .arg("--out")
        .arg(out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn every_catalog_event_runs_and_scores() {
    let data = data_dir();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let (data, events): (PathBuf, PathBuf) = if is_real(&data) {
        (data, repo.join("data/events"))
    } else {
        let ev = tmp.path().join("events");
        std::fs::create_dir_all(&ev).unwrap();
        std::fs::copy(
            repo.join("data/scenarios/cango-2026-02.toml"),
            ev.join("cango-2026-02.toml"),
        )
        .unwrap();
        (cango_data(), ev)
    };
    let n_files = std::fs::read_dir(&events)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let card = run(&data, &events, &a);
    let ev = card["events"].as_array().unwrap();
    assert_eq!(ev.len(), n_files, "every event with a disclosure is scored");
    for e in ev {
        let models = e["models"].as_array().unwrap();
        assert!(models.len() >= 4, "{}", e["event"]);
        let noise = e["noise_vs_arrival_bps"].as_f64().unwrap();
        assert!(noise > 0.0);
        // Every event is a TWAP over its window: outside the premise bound every model declares
        // exactly when Q/V or Q/(V T) exceeds 1, from the event's own columns.
        let qv = e["q_over_v"].as_f64().unwrap();
        let outside = qv > 1.0 || qv / e["duration_days"].as_f64().unwrap() > 1.0;
        for m in models {
            let z = (e["implied_vs_arrival_bps"].as_f64().unwrap()
                - m["predicted_bps"].as_f64().unwrap())
                / noise;
            assert!((z - m["z"].as_f64().unwrap()).abs() < 1e-9);
            assert_eq!(
                m["outside_declared_range"].as_bool().unwrap(),
                outside,
                "{} {}",
                e["event"],
                m["model"]
            );
        }
    }
    for m in card["models"].as_array().unwrap() {
        let c = m["coverage_95"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        let name = &m["model"];
        let counted = ev
            .iter()
            .flat_map(|e| e["models"].as_array().unwrap())
            .filter(|x| &x["model"] == name && x["outside_declared_range"] == true)
            .count();
        assert_eq!(
            m["outside_declared_range"].as_u64().unwrap() as usize,
            counted
        );
    }
    assert!(card["verdict"].as_str().unwrap().starts_with("Across "));
    // The Cango event's implied cost: 305M / 4,451 against the first open of the window.
    let cango = ev.iter().find(|e| e["event"] == "cango-2026-02").unwrap();
    let want = (70_580.26 - 305e6 / 4451.0) / 70_580.26 * 1e4;
    assert!((cango["implied_vs_arrival_bps"].as_f64().unwrap() - want).abs() < 1e-6);
    // Same inputs, same bytes.
    run(&data, &events, &b);
    for f in [
        "scorecard.json",
        "scorecard.csv",
        "scorecard.md",
        "scorecard.png",
    ] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
}
