//! The events catalog `data/events/`: every file parses and validates, carries its `[disclosure]`,
//! and its implied average price equals the disclosed amount divided by the size, recomputed by
//! hand below (USD per BTC to the cent). A file without a row here, or a row without a file, fails.

use blocksale_backtest::Scenario;
use std::collections::BTreeMap;
use std::path::Path;

/// name, side, size BTC, disclosed USD, proceeds / size by hand (USD per BTC, to the cent).
#[rustfmt::skip]
const HAND: [(&str, &str, f64, f64, f64); 25] = [
    ("bitfarms-2022-06", "sell", 3_000.0, 62_000_000.0, 20_666.67),
    ("cango-2026-02", "sell", 4_451.0, 305_000_000.0, 68_523.93),
    ("cleanspark-2025-09", "sell", 445.0, 48_700_000.0, 109_438.20),
    ("core-scientific-2022-06", "sell", 7_202.0, 167_000_000.0, 23_188.00),
    ("gamestop-2025-05", "buy", 4_710.0, 500_000_000.0, 106_157.11),
    ("marathon-2024-08", "buy", 4_144.0, 249_000_000.0, 60_086.87),
    ("mstr-2020-09", "buy", 16_796.0, 175_000_000.0, 10_419.15),
    ("mstr-2020-12", "buy", 29_646.0, 650_000_000.0, 21_925.39),
    ("mstr-2021-02", "buy", 19_452.0, 1_026_000_000.0, 52_745.22),
    ("mstr-2021-08", "buy", 3_907.0, 177_000_000.0, 45_303.30),
    ("mstr-2022-12-sale", "sell", 704.0, 11_800_000.0, 16_761.36),
    ("mstr-2023-09", "buy", 5_445.0, 147_300_000.0, 27_052.34),
    ("mstr-2023-12", "buy", 14_620.0, 615_700_000.0, 42_113.54),
    ("mstr-2024-09", "buy", 18_300.0, 1_110_000_000.0, 60_655.74),
    ("mstr-2024-11-10", "buy", 27_200.0, 2_030_000_000.0, 74_632.35),
    ("mstr-2024-11-17", "buy", 51_780.0, 4_600_000_000.0, 88_837.39),
    ("mstr-2024-11-24", "buy", 55_500.0, 5_400_000_000.0, 97_297.30),
    ("riot-2023-07", "sell", 400.0, 12_100_000.0, 30_250.00),
    ("riot-2023-09", "sell", 340.0, 9_000_000.0, 26_470.59),
    ("riot-2025-04", "sell", 475.0, 38_800_000.0, 81_684.21),
    ("saxony-2024-06", "sell", 49_858.0, 2_880_000_000.0, 57_764.05),
    ("strategy-2025-07-13", "buy", 4_225.0, 472_500_000.0, 111_834.32),
    ("strategy-2025-07-20", "buy", 6_220.0, 739_800_000.0, 118_938.91),
    ("strategy-2025-07-27", "buy", 21_021.0, 2_460_000_000.0, 117_025.83),
    ("usgov-silkroad-2023-03", "sell", 9_861.17, 215_500_000.0, 21_853.39),
];

fn catalog() -> BTreeMap<String, Scenario> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/events");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let s: Scenario =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        s.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            s.name,
            stem,
            "{}: name differs from the file name",
            path.display()
        );
        out.insert(stem, s);
    }
    out
}

#[test]
fn events_every_file_validates_with_its_disclosure() {
    let events = catalog();
    assert!(events.len() >= 20, "{} events", events.len());
    let names: Vec<&str> = HAND.iter().map(|h| h.0).collect();
    assert_eq!(
        events.keys().map(String::as_str).collect::<Vec<_>>(),
        names,
        "data/events/ and the hand table must list the same events"
    );
    for (name, s) in &events {
        let d = s
            .disclosure
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no [disclosure]"));
        assert!(!d.sources.is_empty(), "{name}");
        assert!(
            d.sources.iter().all(|r| r.url.starts_with("http")),
            "{name}"
        );
        // The legacy string list names the same sources, for the result's source lines.
        assert_eq!(s.sources.len(), d.sources.len(), "{name}");
        assert!(s.end > s.start, "{name}");
    }
    let buys = events
        .values()
        .filter(|s| s.side.to_string() == "buy")
        .count();
    assert!(
        buys > 0 && buys < events.len(),
        "sales and purchases: {buys} buys"
    );
}

#[test]
fn events_implied_price_is_proceeds_over_size_by_hand() {
    let events = catalog();
    for (name, side, size, usd, hand) in HAND {
        let s = &events[name];
        assert_eq!(s.side.to_string(), side, "{name}");
        assert_eq!(s.size_btc, size, "{name}");
        assert_eq!(s.disclosed_proceeds_usd, Some(usd), "{name}");
        let implied = s.implied_avg_price_usd().unwrap();
        assert!(
            (implied - hand).abs() < 0.005,
            "{name}: implied {implied} vs {hand} by hand"
        );
    }
}
