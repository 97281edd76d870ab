//! Locating the real data, and generated stand-ins when it is absent.

use blocksale_core::Timestamp;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The real data directory, or `None` (after a loud note) when it is absent outside CI.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("BLOCKSALE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("binance").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "real data not found at {} and CI is set: set BLOCKSALE_DATA to the shared data directory",
            dir.display()
        );
    }
    eprintln!(
        "NOTE: real data not found at {}; running this test on generated files instead",
        dir.display()
    );
    None
}

/// Epoch ms of an RFC 3339 time.
pub fn ms(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().as_millis()
}

/// Write `text` to `dir/name`, gzip-compressed when the name ends in `.gz`.
pub fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let bytes = if name.ends_with(".gz") {
        gzip(text)
    } else {
        text.to_vec()
    };
    std::fs::File::create(&p)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    p
}

/// Gzip with libdeflate.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
    let mut out = vec![0; c.gzip_compress_bound(data.len())];
    let n = c.gzip_compress(data, &mut out).unwrap();
    out.truncate(n);
    out
}

/// A Binance archive kline row (no header) at `t` in the given unit multiplier (1 = ms, 1000 = us).
pub fn kline_row(t_ms: i64, mult: i64, p: f64) -> String {
    format!(
        "{},{:.8},{:.8},{:.8},{:.8},{:.8},{},{:.8},{},{:.8},{:.8},0\n",
        t_ms * mult,
        p,
        p + 2.0,
        p - 1.0,
        p + 1.0,
        1.5,
        (t_ms + 59_999) * mult + (mult - 1),
        1.5 * p,
        10,
        0.75,
        0.75 * p
    )
}

/// Stand-in for the monthly 1-minute directory: two ms files (Dec 2024 tail) and one us file
/// (Jan 2025 head), 1-minute rows, one gap of 3 minutes in the first file.
pub fn fake_monthly_dir(dir: &Path) -> (PathBuf, usize) {
    let d = dir.join("1m");
    let t0 = ms("2024-12-31T22:00:00Z");
    let mut a = String::new();
    for i in 0..60 {
        if (10..13).contains(&i) {
            continue;
        }
        a += &kline_row(t0 + i * 60_000, 1, 100.0 + i as f64);
    }
    let mut b = String::new();
    for i in 60..120 {
        b += &kline_row(t0 + i * 60_000, 1, 100.0 + i as f64);
    }
    let mut c = String::new();
    for i in 120..180 {
        c += &kline_row(t0 + i * 60_000, 1000, 100.0 + i as f64);
    }
    write(&d, "BTCUSDT-1m-2024-12a.csv.gz", a.as_bytes());
    write(&d, "BTCUSDT-1m-2024-12b.csv.gz", b.as_bytes());
    write(&d, "BTCUSDT-1m-2025-01.csv.gz", c.as_bytes());
    (d, 177)
}

/// A zip archive holding one deflated member.
pub fn zip_one(name: &str, data: &[u8]) -> Vec<u8> {
    let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
    let mut comp = vec![0; c.deflate_compress_bound(data.len())];
    let n = c.deflate_compress(data, &mut comp).unwrap();
    comp.truncate(n);
    let crc = libdeflater::crc32(data);
    let mut out = vec![b'P', b'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
    out.extend(crc.to_le_bytes());
    out.extend((comp.len() as u32).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out.extend((name.len() as u16).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(name.as_bytes());
    out.extend(&comp);
    let cd_off = out.len() as u32;
    let mut cd = vec![b'P', b'K', 1, 2, 20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
    cd.extend(crc.to_le_bytes());
    cd.extend((comp.len() as u32).to_le_bytes());
    cd.extend((data.len() as u32).to_le_bytes());
    cd.extend((name.len() as u16).to_le_bytes());
    cd.extend([0u8; 12]);
    cd.extend(0u32.to_le_bytes());
    cd.extend(name.as_bytes());
    let cd_len = cd.len() as u32;
    out.extend(cd);
    out.extend([b'P', b'K', 5, 6, 0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_off.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}
