//! `blocksale backtest --scenario FILE --data EMPTY_DIR --fetch` for each shipped scenario, end to
//! end against a loopback archive server that generates Binance archive files (monthly and daily
//! zips with their `.CHECKSUM`) for whatever path is asked: the scenario decides what is fetched,
//! the server records it, the test checks it, and a corrupted zip is an error naming the file.

use crate::common::blocksale;
use crate::fetch::{sha256_hex, stderr_of, tree, zip_of};
use chrono::Datelike;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// A uniform number in [-0.5, 0.5) from a time (splitmix64).
fn noise(t: i64, salt: u64) -> f64 {
    let mut z = (t as u64) ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// The price at a time: a slow cycle times noise, the same whatever file or bar size asks.
fn price(t: i64) -> f64 {
    let cycle = (t as f64 / (200.0 * DAY_MS as f64) * std::f64::consts::TAU).sin();
    60_000.0 * (1.0 + 0.2 * cycle) * (1.0 + 0.004 * noise(t, 1))
}

/// Binance archive kline rows (12 columns, no header, epoch ms) for `[t0, t1)` at `step_ms`; the
/// taker-buy share follows the bar's return, so the impact calibration has a flow to fit.
fn klines(t0: i64, t1: i64, step_ms: i64) -> Vec<u8> {
    let mut s = String::new();
    let mut t = t0;
    while t < t1 {
        let (o, c) = (price(t), price(t + step_ms));
        let (h, l) = (o.max(c) * 1.0006, o.min(c) * 0.9994);
        let v = (2.0 + noise(t, 2)) * step_ms as f64 / 60_000.0;
        let share = (0.5 + 50.0 * (c / o - 1.0)).clamp(0.05, 0.95);
        let tb = v * share;
        s.push_str(&format!(
            "{t},{o:.2},{h:.2},{l:.2},{c:.2},{v:.5},{},{:.2},{},{tb:.5},{:.2},0\n",
            t + step_ms - 1,
            v * (o + c) / 2.0,
            (v * 10.0) as i64 + 1,
            tb * (o + c) / 2.0
        ));
        t += step_ms;
    }
    s.into_bytes()
}

fn interval_ms(interval: &str) -> i64 {
    match interval {
        "1m" => 60_000,
        "15m" => 900_000,
        "1h" => 3_600_000,
        other => panic!("interval {other} not generated"),
    }
}

fn day_ms(date: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// The zip for an archive URL path, e.g. `/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip`.
fn zip_for(path: &str) -> Option<Vec<u8>> {
    let name = path.rsplit('/').next()?.strip_suffix(".zip")?;
    let mut parts = name.splitn(3, '-');
    let (_sym, interval, stamp) = (parts.next()?, parts.next()?, parts.next()?);
    let step = interval_ms(interval);
    let (t0, t1) = if stamp.len() == 7 {
        let first = format!("{stamp}-01");
        let d = chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d").ok()?;
        let next = d.checked_add_months(chrono::Months::new(1))?;
        (day_ms(&first), day_ms(&next.format("%Y-%m-%d").to_string()))
    } else {
        (day_ms(stamp), day_ms(stamp) + DAY_MS)
    };
    Some(zip_of(&format!("{name}.csv"), &klines(t0, t1, step)))
}

/// A loopback archive: every `.zip` and `.zip.CHECKSUM` path is generated on request; paths in
/// `corrupt` get a zip with one byte changed (their checksum stays that of the true zip).
struct Archive {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Archive {
    fn start(corrupt: BTreeSet<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut cache: HashMap<String, Vec<u8>> = HashMap::new();
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = serve(stream, &corrupt, &mut cache, &h);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => break,
                }
            }
        });
        Self {
            port,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The zips served, as `market interval stamp` (checksums left out).
    fn zips(&self) -> BTreeSet<String> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.ends_with(".zip"))
            .map(|p| {
                let market = if p.contains("/futures/um/") {
                    "usdm"
                } else {
                    "spot"
                };
                let name = p.rsplit('/').next().unwrap().trim_end_matches(".zip");
                let mut it = name.splitn(3, '-').skip(1);
                format!("{market} {} {}", it.next().unwrap(), it.next().unwrap())
            })
            .collect()
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    corrupt: &BTreeSet<String>,
    cache: &mut HashMap<String, Vec<u8>>,
    hits: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    hits.lock().unwrap().push(path.clone());
    let zip_path = path.strip_suffix(".CHECKSUM").unwrap_or(&path).to_string();
    if !cache.contains_key(&zip_path) {
        if let Some(z) = zip_for(&zip_path) {
            cache.insert(zip_path.clone(), z);
        }
    }
    let body = match cache.get(&zip_path) {
        Some(zip) if path.ends_with(".CHECKSUM") => {
            let name = zip_path.rsplit('/').next().unwrap();
            format!("{}  {name}\n", sha256_hex(zip)).into_bytes()
        }
        Some(zip) => {
            let mut z = zip.clone();
            if corrupt.contains(zip_path.rsplit('/').next().unwrap()) {
                let k = z.len() / 2;
                z[k] ^= 0xFF;
            }
            z
        }
        None => {
            let mut out = stream;
            return write!(
                out,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../data/scenarios/{name}.toml"))
}

fn backtest_fetch(
    archive: &Archive,
    scenario: &Path,
    data: &Path,
    out: &Path,
) -> std::process::Output {
    blocksale()
        .env("BLOCKSALE_ARCHIVE_URL", archive.url())
        .args(["backtest", "-q", "--json", "--fetch", "--scenario"])
        .arg(scenario)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// `(market interval stamp)` of every archive file covering `from..=to`: monthly for whole months,
/// daily for the rest (the plan `blocksale fetch` documents).
fn expected(market: &str, interval: &str, from: &str, to: &str) -> BTreeSet<String> {
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (mut day, to) = (d(from), d(to));
    let mut out = BTreeSet::new();
    while day <= to {
        let first = day.with_day0(0).unwrap();
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
        if day == first && next.pred_opt().unwrap() <= to {
            out.insert(format!("{market} {interval} {}", first.format("%Y-%m")));
            day = next;
        } else {
            out.insert(format!("{market} {interval} {}", day.format("%Y-%m-%d")));
            day = day.succ_opt().unwrap();
        }
    }
    out
}

/// A source the archive serves: market, interval, first and last day.
type Source = (&'static str, &'static str, &'static str, &'static str);

#[test]
fn each_shipped_scenario_fetches_exactly_its_days_then_runs() {
    let archive = Archive::start(BTreeSet::new());
    let cases: [(&str, Vec<Source>); 2] = [
        (
            "cango-2026-02",
            vec![
                // 90 calibration + 3 context + 1 days before Sat 7 Feb 2026, 3 + 1 after the window.
                ("spot", "15m", "2025-11-05", "2026-02-12"),
                ("usdm", "15m", "2025-11-05", "2026-02-12"),
                // The replay venue: from 34 days before the first replay start (2024-01-01) on.
                ("spot", "1h", "2023-11-28", "2026-02-12"),
            ],
        ),
        (
            "saxony-2024-06",
            vec![
                // 90 calibration + 3 context + 1 days before 19 Jun 2024; 3 + 1 after 12 Jul.
                ("spot", "1h", "2024-03-17", "2024-07-16"),
                ("spot", "1m", "2024-03-17", "2024-07-16"),
            ],
        ),
    ];
    for (name, sources) in cases {
        archive.hits.lock().unwrap().clear();
        let tmp = tempfile::tempdir().unwrap();
        let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
        std::fs::create_dir_all(&data).unwrap();
        let o = backtest_fetch(&archive, &scenario(name), &data, &out);
        assert!(o.status.success(), "{name}: {}", stderr_of(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["scenario"]["name"], name);
        for f in ["result.json", "paths.csv", "event.png"] {
            assert!(out.join(f).is_file(), "{name}: {f}");
        }
        let mut want = BTreeSet::new();
        for (m, i, from, to) in sources {
            want.extend(expected(m, i, from, to));
        }
        assert_eq!(archive.zips(), want, "{name}: the files fetched");
        // Every zip was checked against its .CHECKSUM and unpacked; nothing temporary is left.
        let hits = archive.hits.lock().unwrap().clone();
        assert_eq!(
            hits.len(),
            2 * want.len(),
            "{name}: one checksum and one zip each"
        );
        let files = tree(&data);
        assert!(
            files
                .iter()
                .all(|f| !f.contains(".part") && !f.ends_with(".tmp")),
            "{files:?}"
        );
        assert_eq!(
            files.iter().filter(|f| f.ends_with(".csv")).count(),
            want.len(),
            "{name}: {files:?}"
        );
    }
}

#[test]
fn a_corrupted_download_names_the_file_and_leaves_nothing_half_written() {
    let bad = "BTCUSDT-15m-2025-12.zip";
    let archive = Archive::start(BTreeSet::from([bad.to_string()]));
    let tmp = tempfile::tempdir().unwrap();
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    std::fs::create_dir_all(&data).unwrap();
    let o = backtest_fetch(&archive, &scenario("cango-2026-02"), &data, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(bad), "{err}");
    assert!(!out.exists(), "no output folder after a failed fetch");
    let files = tree(&data);
    assert!(
        files
            .iter()
            .all(|f| !f.contains("BTCUSDT-15m-2025-12") && !f.contains(".part")),
        "{files:?}"
    );
}
