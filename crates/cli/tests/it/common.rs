//! Shared helpers: the data directory and the binary.

use std::path::{Path, PathBuf};

/// The real data directory (`BLOCKSALE_DATA`, else `../shared/data` beside the repository).
///
/// In CI (`CI` set) a missing directory fails the test loudly. Elsewhere the tests fall back to a
/// generated data directory with the same layout ([`synthetic_data`]), never to silence.
pub fn data_dir() -> PathBuf {
    let real = std::env::var_os("BLOCKSALE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if real.join("binance/spot/15m/BTCUSDT_15m.csv").is_file() {
        return real;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "real data missing at {} (set BLOCKSALE_DATA); CI must run on the real files",
        real.display()
    );
    eprintln!(
        "real data missing at {}: using generated bars",
        real.display()
    );
    synthetic_data()
}

/// True when [`data_dir`] is the real data.
pub fn is_real(dir: &Path) -> bool {
    !dir.to_string_lossy().contains("blocksale-synthetic")
}

/// A generated data directory with `binance/spot/15m/BTCUSDT_15m.csv` covering 2025-12-01 to
/// 2026-02-20 (a seeded random walk in the real file's format).
pub fn synthetic_data() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("blocksale-synthetic-{}", std::process::id()));
    let f = dir.join("binance/spot/15m/BTCUSDT_15m.csv");
    if f.is_file() {
        return dir;
    }
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    let mut s = String::from("Open_Time,Open,High,Low,Close,Volume\n");
    let start = chrono::NaiveDate::from_ymd_opt(2025, 12, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut p = 90_000.0f64;
    let mut state = 0x2545F4914F6CDD1Du64;
    for i in 0..(81 * 96) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let o = p;
        p *= 1.0 + 0.006 * u;
        let (h, l) = (o.max(p) * 1.0005, o.min(p) * 0.9995);
        let t = start + chrono::Duration::minutes(15 * i);
        s.push_str(&format!(
            "{},{o:.2},{h:.2},{l:.2},{p:.2},{:.5}\n",
            t.format("%Y-%m-%d %H:%M:%S"),
            200.0 + 100.0 * (u + 0.5)
        ));
    }
    std::fs::write(&f, s).unwrap();
    dir
}

/// The binary under test with `BLOCKSALE_DATA` cleared (tests pass `--data`).
pub fn blocksale() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("blocksale").unwrap();
    c.env_remove("BLOCKSALE_DATA");
    c
}
