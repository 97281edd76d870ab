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

/// The committed extract (`data/` of the repository): the real bars of the built-in Cango scenario,
/// present on every machine. Tests that need only the Cango bars read it.
pub fn cango_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// True when [`data_dir`] is the real data.
pub fn is_real(dir: &Path) -> bool {
    !dir.to_string_lossy().contains("blocksale-synthetic")
}

/// A generated data directory with the three files the Cango scenario names (15-minute spot,
/// 15-minute USD-M with taker-buy volume, 1-hour spot), 2025-10-01 to 2026-02-20: a seeded random
/// walk whose taker imbalance moves the price, in the real files' formats.
pub fn synthetic_data() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("blocksale-synthetic-{}", std::process::id()));
    let spot15 = dir.join("binance/spot/15m/BTCUSDT_15m.csv");
    if spot15.is_file() {
        return dir;
    }
    for sub in ["binance/spot/15m", "binance/usdm/15m", "binance/spot/1h"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut s15 = String::from("Open_Time,Open,High,Low,Close,Volume\n");
    let mut u15 = String::from("timestamp,open,high,low,close,volume,close_time,qav,num_trades,taker_base_vol,taker_quote_vol,ignore\n");
    let mut s1h = String::from("timestamp,open,high,low,close,volume\n");
    let start = chrono::NaiveDate::from_ymd_opt(2025, 10, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut p = 90_000.0f64;
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut hour: Option<(String, f64, f64, f64, f64, f64)> = None;
    for i in 0..(143 * 96) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let o = p;
        p *= 1.0 + 0.006 * u;
        let (h, l) = (o.max(p) * 1.0005, o.min(p) * 0.9995);
        let v = 200.0 + 100.0 * (u + 0.5);
        let tb = v * (0.5 + 0.6 * u);
        let t = start + chrono::Duration::minutes(15 * i);
        let ms = t.and_utc().timestamp_millis();
        s15.push_str(&format!(
            "{},{o:.2},{h:.2},{l:.2},{p:.2},{v:.5}\n",
            t.format("%Y-%m-%d %H:%M:%S")
        ));
        u15.push_str(&format!(
            "{ms},{o:.2},{h:.2},{l:.2},{p:.2},{v:.3},{},{:.2},100,{tb:.3},{:.2},0\n",
            ms + 899_999,
            v * p,
            tb * p
        ));
        let key = t.format("%Y-%m-%d %H:00:00+0000").to_string();
        hour = match hour.take() {
            Some((k, ho, hh, hl, _, hv)) if k == key => {
                Some((k, ho, hh.max(h), hl.min(l), p, hv + v))
            }
            prev => {
                if let Some((k, ho, hh, hl, hc, hv)) = prev {
                    s1h.push_str(&format!("{k},{ho:.2},{hh:.2},{hl:.2},{hc:.2},{hv:.5}\n"));
                }
                Some((key, o, h, l, p, v))
            }
        };
    }
    std::fs::write(&spot15, s15).unwrap();
    std::fs::write(dir.join("binance/usdm/15m/BTCUSDT_USDM_15m.csv"), u15).unwrap();
    std::fs::write(dir.join("binance/spot/1h/BTCUSDT_1h.csv"), s1h).unwrap();
    dir
}

/// The binary under test with `BLOCKSALE_DATA` cleared (tests pass `--data`).
pub fn blocksale() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("blocksale").unwrap();
    c.env_remove("BLOCKSALE_DATA");
    c
}

/// A gzipped text file, decompressed by the system's `gzip` (no second deflate crate in the tree).
pub fn gunzip_text(p: &Path) -> String {
    let o = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(p)
        .output()
        .expect("gzip on PATH");
    assert!(o.status.success(), "gzip -dc {}", p.display());
    String::from_utf8(o.stdout).unwrap()
}
