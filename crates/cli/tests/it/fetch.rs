//! `blocksale fetch` against a local archive server on 127.0.0.1 (started by each test, serving
//! zips and `.CHECKSUM` files the test builds). No test touches the internet.

use crate::common::blocksale;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server answers one path.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Send the headers (full Content-Length) and this many body bytes, then close; for the
    /// first `times` requests of the path.
    CutAfter { bytes: usize, times: usize },
    /// Answer every request with 200 and the whole file, ignoring `Range`.
    IgnoreRange,
}

#[derive(Debug, Clone)]
struct Hit {
    path: String,
    range: Option<String>,
}

/// A tiny HTTP/1.1 file server on 127.0.0.1:0. It serves `root`, stops when dropped, after
/// `MAX_CONNECTIONS` connections or after `LIFETIME`, whichever comes first.
struct Server {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const MAX_CONNECTIONS: usize = 200;
const LIFETIME: Duration = Duration::from_secs(120);

impl Server {
    fn start(root: &Path, faults: HashMap<String, Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s, root) = (hits.clone(), stop.clone(), root.to_path_buf());
        let thread = std::thread::spawn(move || {
            let born = Instant::now();
            let mut served = 0;
            let mut counts: HashMap<String, usize> = HashMap::new();
            while !s.load(Ordering::SeqCst) && served < MAX_CONNECTIONS && born.elapsed() < LIFETIME
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = serve(stream, &root, &faults, &mut counts, &h);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
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

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    root: &Path,
    faults: &HashMap<String, Fault>,
    counts: &mut HashMap<String, usize>,
    hits: &Mutex<Vec<Hit>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    hits.lock().unwrap().push(Hit {
        path: path.clone(),
        range: range.clone(),
    });
    let n = counts.entry(path.clone()).or_insert(0);
    *n += 1;
    let nth = *n;
    let mut out = stream;
    let file = root.join(path.trim_start_matches('/'));
    let Ok(body) = std::fs::read(&file) else {
        let msg = b"not found";
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            msg.len()
        )?;
        return out.write_all(msg);
    };
    let fault = faults.get(&path).copied();
    let start = match (&range, fault) {
        (Some(r), f) if !matches!(f, Some(Fault::IgnoreRange)) => r
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|s| s.parse::<usize>().ok()),
        _ => None,
    };
    let (head, slice) = match start {
        Some(s) if s >= body.len() => {
            write!(
                out,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            return Ok(());
        }
        Some(s) => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len() - 1,
                body.len(),
                body.len() - s
            ),
            &body[s..],
        ),
        None => (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ),
            &body[..],
        ),
    };
    out.write_all(head.as_bytes())?;
    match fault {
        Some(Fault::CutAfter { bytes, times }) if nth <= times => {
            out.write_all(&slice[..bytes.min(slice.len())])?;
            out.flush()?;
            // Close without sending the rest: the client sees a short body.
            let _ = out.shutdown(std::net::Shutdown::Both);
            Ok(())
        }
        _ => out.write_all(slice),
    }
}

pub(crate) fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Kline CSV rows for `days` days of 1-hour bars from `start_ms` (Binance archive layout, no header).
fn klines(start_ms: i64, hours: i64) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..hours {
        let t = start_ms + i * 3_600_000;
        let o = 40_000.0 + (i % 17) as f64;
        s.push_str(&format!(
            "{t},{o:.2},{:.2},{:.2},{:.2},1.5,{},60000.0,100,0.7,28000.0,0\n",
            o + 5.0,
            o - 5.0,
            o + 1.0,
            t + 3_599_999
        ));
    }
    s.into_bytes()
}

pub(crate) fn zip_of(name: &str, body: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        name,
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    w.write_all(body).unwrap();
    w.finish().unwrap().into_inner()
}

/// An archive tree on disk: what the server serves.
struct Archive {
    root: tempfile::TempDir,
    /// csv name -> CSV bytes the test expects after unpacking.
    csv: HashMap<String, Vec<u8>>,
}

const MS_2024_01_01: i64 = 1_704_067_200_000;
const DAY_MS: i64 = 86_400_000;

impl Archive {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
            csv: HashMap::new(),
        }
    }

    /// Add `{market_dir}/{kind}/klines/BTCUSDT/1h/BTCUSDT-1h-{stamp}.zip` and its CHECKSUM.
    /// Returns the URL path of the zip.
    fn add(
        &mut self,
        market_dir: &str,
        kind: &str,
        stamp: &str,
        start_ms: i64,
        hours: i64,
    ) -> String {
        let stem = format!("BTCUSDT-1h-{stamp}");
        let csv = klines(start_ms, hours);
        let zip = zip_of(&format!("{stem}.csv"), &csv);
        let rel = format!("data/{market_dir}/{kind}/klines/BTCUSDT/1h/{stem}.zip");
        let p = self.root.path().join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &zip).unwrap();
        std::fs::write(
            p.with_extension("zip.CHECKSUM"),
            format!("{}  {stem}.zip\n", sha256_hex(&zip)),
        )
        .unwrap();
        self.csv.insert(format!("{stem}.csv"), csv);
        format!("/{rel}")
    }

    /// January 2024 monthly + 1 and 2 February daily, spot.
    fn standard() -> Self {
        let mut a = Self::new();
        a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
        a.add(
            "spot",
            "daily",
            "2024-02-01",
            MS_2024_01_01 + 31 * DAY_MS,
            24,
        );
        a.add(
            "spot",
            "daily",
            "2024-02-02",
            MS_2024_01_01 + 32 * DAY_MS,
            24,
        );
        a
    }

    fn path(&self, url_path: &str) -> PathBuf {
        self.root.path().join(url_path.trim_start_matches('/'))
    }
}

fn fetch_cmd(base: &str, dest: &Path, from: &str, to: &str) -> assert_cmd::Command {
    let mut c = blocksale();
    c.env_remove("BLOCKSALE_ARCHIVE_URL")
        .args(["fetch", "--symbol", "BTCUSDT", "--market", "spot"])
        .args(["--interval", "1h", "--from", from, "--to", to])
        .arg("--dest")
        .arg(dest)
        .arg("--base-url")
        .arg(base)
        .arg("-q");
    c
}

/// Every file under `dir`, relative, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// Nothing at all under `dir`: no file and no folder.
fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

pub(crate) fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const OUT: &str = "binance/spot/1h";

#[test]
fn fetch_plans_monthly_and_daily_files_verifies_and_unpacks() {
    let a = Archive::standard();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-02-02")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("3 file(s) fetched"), "{stdout}");
    assert_eq!(
        tree(dest.path()),
        [
            format!("{OUT}/BTCUSDT-1h-2024-01.csv"),
            format!("{OUT}/BTCUSDT-1h-2024-01.csv.sha256"),
            format!("{OUT}/BTCUSDT-1h-2024-02-01.csv"),
            format!("{OUT}/BTCUSDT-1h-2024-02-01.csv.sha256"),
            format!("{OUT}/BTCUSDT-1h-2024-02-02.csv"),
            format!("{OUT}/BTCUSDT-1h-2024-02-02.csv.sha256"),
        ]
    );
    for (name, body) in &a.csv {
        let got = std::fs::read(dest.path().join(OUT).join(name)).unwrap();
        assert_eq!(&got, body, "{name}");
        let side =
            std::fs::read_to_string(dest.path().join(OUT).join(format!("{name}.sha256"))).unwrap();
        assert!(
            side.starts_with(&format!("{}  {name}\n", sha256_hex(body))),
            "{side}"
        );
    }
    // Requested paths: CHECKSUM then zip, monthly for January, daily for February.
    let paths: Vec<String> = srv.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(
        paths,
        [
            "/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip.CHECKSUM",
            "/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-01.zip.CHECKSUM",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-01.zip",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-02.zip.CHECKSUM",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-02.zip",
        ]
    );
}

#[test]
fn fetched_files_load_with_the_ingest_reader() {
    let a = Archive::standard();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    fetch_cmd(&srv.url(), dest.path(), "2024-01", "2024-02-02")
        .assert()
        .success();
    // The sidecars and nothing else beside the CSVs: the folder loads as 33 days of hourly bars.
    let loaded = blocksale_ingest::load_paths(
        &[dest.path().join(OUT)],
        &blocksale_ingest::ReadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(loaded.rows, 33 * 24);
    assert_eq!(loaded.series.bar_seconds(), 3_600);
    assert_eq!(loaded.gaps.len(), 0);
}

#[test]
fn second_run_skips_verified_files_without_the_network() {
    let a = Archive::standard();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-02-02")
        .assert()
        .success();
    let before = srv.hits().len();
    let url = srv.url();
    drop(srv); // nobody listens any more: a skipped file must not need the network
    let o = fetch_cmd(&url, dest.path(), "2024-01-01", "2024-02-02")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(String::from_utf8_lossy(&o.stdout)
        .contains("0 file(s) fetched (0.0 MB), 3 already present and verified"));
    assert_eq!(before, 6);

    // A CSV changed on disk is no longer verified: fetched again, the others skipped.
    let srv = Server::start(a.root.path(), HashMap::new());
    let f = dest.path().join(OUT).join("BTCUSDT-1h-2024-02-01.csv");
    std::fs::write(&f, b"edited\n").unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-02-02")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 file(s) fetched"));
    assert_eq!(
        std::fs::read(&f).unwrap(),
        a.csv["BTCUSDT-1h-2024-02-01.csv"]
    );
    assert_eq!(srv.hits().len(), 2);
}

#[test]
fn wrong_checksum_is_an_error_and_leaves_nothing() {
    let mut a = Archive::new();
    let zp = a.add(
        "spot",
        "daily",
        "2024-02-01",
        MS_2024_01_01 + 31 * DAY_MS,
        24,
    );
    std::fs::write(
        a.path(&format!("{zp}.CHECKSUM")),
        format!("{}  BTCUSDT-1h-2024-02-01.zip\n", "0".repeat(64)),
    )
    .unwrap();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-02-01", "2024-02-01")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&format!("{}{zp}", srv.url())), "{err}");
    assert!(err.contains(&"0".repeat(64)), "{err}");
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

#[test]
fn malformed_checksum_file_names_the_url() {
    let mut a = Archive::new();
    let zp = a.add(
        "spot",
        "daily",
        "2024-02-01",
        MS_2024_01_01 + 31 * DAY_MS,
        24,
    );
    std::fs::write(a.path(&format!("{zp}.CHECKSUM")), "<html>oops</html>").unwrap();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-02-01", "2024-02-01")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!("bad checksum file {}{zp}.CHECKSUM", srv.url())),
        "{err}"
    );
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

#[test]
fn corrupt_zip_with_matching_checksum_is_an_error_and_leaves_nothing() {
    let mut a = Archive::new();
    let zp = a.add(
        "spot",
        "daily",
        "2024-02-01",
        MS_2024_01_01 + 31 * DAY_MS,
        24,
    );
    // A truncated zip whose CHECKSUM matches it: the checksum passes, unpacking fails.
    let p = a.path(&zp);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&p, &bytes).unwrap();
    std::fs::write(
        a.path(&format!("{zp}.CHECKSUM")),
        format!("{}  BTCUSDT-1h-2024-02-01.zip\n", sha256_hex(&bytes)),
    )
    .unwrap();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-02-01", "2024-02-01")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(err.contains("cannot unpack"), "{err}");
    assert!(err.contains(&zp), "{err}");
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

#[test]
fn interrupted_download_is_resumed_with_a_range_request() {
    let mut a = Archive::new();
    let zp = a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
    let size = std::fs::metadata(a.path(&zp)).unwrap().len() as usize;
    let cut = size / 3;
    let faults = HashMap::from([(
        zp.clone(),
        Fault::CutAfter {
            bytes: cut,
            times: 1,
        },
    )]);
    let srv = Server::start(a.root.path(), faults);
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 resumed"));
    let zip_hits: Vec<Hit> = srv.hits().into_iter().filter(|h| h.path == zp).collect();
    assert_eq!(zip_hits.len(), 2, "{zip_hits:?}");
    assert_eq!(zip_hits[0].range, None);
    assert_eq!(
        zip_hits[1].range.as_deref(),
        Some(format!("bytes={cut}-").as_str())
    );
    assert_eq!(
        std::fs::read(dest.path().join(OUT).join("BTCUSDT-1h-2024-01.csv")).unwrap(),
        a.csv["BTCUSDT-1h-2024-01.csv"]
    );
    assert_eq!(tree(dest.path()).len(), 2);
}

#[test]
fn partial_file_from_a_killed_run_is_resumed() {
    let mut a = Archive::new();
    let zp = a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
    let zip = std::fs::read(a.path(&zp)).unwrap();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    // What a killed run leaves: the hidden .part with the first bytes of the zip.
    let part = dest.path().join(OUT).join(".BTCUSDT-1h-2024-01.zip.part");
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    std::fs::write(&part, &zip[..1000]).unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let hits: Vec<Hit> = srv.hits().into_iter().filter(|h| h.path == zp).collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].range.as_deref(), Some("bytes=1000-"));
    assert_eq!(
        std::fs::read(dest.path().join(OUT).join("BTCUSDT-1h-2024-01.csv")).unwrap(),
        a.csv["BTCUSDT-1h-2024-01.csv"]
    );
    assert!(!part.exists());
}

#[test]
fn stale_partial_file_is_restarted_when_the_resumed_file_fails_the_checksum() {
    let mut a = Archive::new();
    let zp = a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let part = dest.path().join(OUT).join(".BTCUSDT-1h-2024-01.zip.part");
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    std::fs::write(&part, vec![b'x'; 1000]).unwrap(); // not a prefix of the real zip
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let hits: Vec<Hit> = srv.hits().into_iter().filter(|h| h.path == zp).collect();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].range.as_deref(), Some("bytes=1000-"));
    assert_eq!(hits[1].range, None);
    assert_eq!(
        std::fs::read(dest.path().join(OUT).join("BTCUSDT-1h-2024-01.csv")).unwrap(),
        a.csv["BTCUSDT-1h-2024-01.csv"]
    );
}

#[test]
fn server_ignoring_range_restarts_the_file() {
    let mut a = Archive::new();
    let zp = a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
    let zip = std::fs::read(a.path(&zp)).unwrap();
    let srv = Server::start(
        a.root.path(),
        HashMap::from([(zp.clone(), Fault::IgnoreRange)]),
    );
    let dest = tempfile::tempdir().unwrap();
    let part = dest.path().join(OUT).join(".BTCUSDT-1h-2024-01.zip.part");
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    std::fs::write(&part, &zip[..500]).unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        std::fs::read(dest.path().join(OUT).join("BTCUSDT-1h-2024-01.csv")).unwrap(),
        a.csv["BTCUSDT-1h-2024-01.csv"]
    );
    assert_eq!(tree(dest.path()).len(), 2);
}

#[test]
fn connection_that_keeps_dropping_fails_and_leaves_no_partial_file() {
    let mut a = Archive::new();
    let zp = a.add("spot", "monthly", "2024-01", MS_2024_01_01, 31 * 24);
    let faults = HashMap::from([(
        zp.clone(),
        Fault::CutAfter {
            bytes: 100,
            times: 1000,
        },
    )]);
    let srv = Server::start(a.root.path(), faults);
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!("cannot download {}{zp}", srv.url())),
        "{err}"
    );
    assert!(err.contains("attempts"), "{err}");
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

#[test]
fn a_failure_keeps_the_files_fetched_before_it() {
    let a = Archive::standard();
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    // 2024-02-03 is not in the archive: 404 after two good files.
    let o = fetch_cmd(&srv.url(), dest.path(), "2024-02-01", "2024-02-03")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!(
            "cannot download {}/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-03.zip.CHECKSUM: 404 Not Found",
            srv.url()
        )),
        "{err}"
    );
    assert_eq!(tree(dest.path()).len(), 4);
}

#[test]
fn connection_refused_names_the_url_and_exits_2() {
    // A port nobody listens on: bind, note it, close.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let dest = tempfile::tempdir().unwrap();
    let o = fetch_cmd(&base, dest.path(), "2024-01-01", "2024-01-31")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!(
            "cannot download {base}/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip.CHECKSUM: "
        )),
        "{err}"
    );
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

#[test]
fn base_url_comes_from_the_environment_and_usdm_has_its_own_layout() {
    let mut a = Archive::new();
    a.add(
        "futures/um",
        "daily",
        "2024-02-01",
        MS_2024_01_01 + 31 * DAY_MS,
        24,
    );
    let srv = Server::start(a.root.path(), HashMap::new());
    let dest = tempfile::tempdir().unwrap();
    let o = blocksale()
        .env("BLOCKSALE_ARCHIVE_URL", srv.url())
        .args(["fetch", "--market", "usdm", "--interval", "1h"])
        .args(["--from", "2024-02-01", "--to", "2024-02-01", "-q"])
        .arg("--data")
        .arg(dest.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        tree(dest.path()),
        [
            "binance/usdm/1h/BTCUSDT-1h-2024-02-01.csv",
            "binance/usdm/1h/BTCUSDT-1h-2024-02-01.csv.sha256"
        ]
    );
    assert_eq!(
        srv.hits()[1].path,
        "/data/futures/um/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-02-01.zip"
    );
}

#[test]
fn bad_flags_are_user_errors_naming_the_flag() {
    let dest = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.1:9"; // never contacted: validation comes first
    for (args, needle) in [
        (
            vec!["--from", "2024-02-02", "--to", "2024-02-01"],
            "--from 2024-02-02 is after --to 2024-02-01",
        ),
        (
            vec!["--from", "02/01/2024", "--to", "2024-02-01"],
            "--from \"02/01/2024\"",
        ),
        (
            vec![
                "--from",
                "2024-02-01",
                "--to",
                "2024-02-01",
                "--symbol",
                "btc",
            ],
            "--symbol \"btc\"",
        ),
        (
            vec![
                "--from",
                "2024-02-01",
                "--to",
                "2024-02-01",
                "--base-url",
                "ftp://x",
            ],
            "--base-url",
        ),
    ] {
        let mut c = blocksale();
        c.args(["fetch", "--dest"]).arg(dest.path()).args(&args);
        if !args.contains(&"--base-url") {
            c.args(["--base-url", base]);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr_of(&o).contains(needle),
            "{args:?}: {}",
            stderr_of(&o)
        );
    }
    // clap rejects an unknown interval with its usage error (exit 2)
    let o = blocksale()
        .args([
            "fetch",
            "--interval",
            "7m",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(is_empty_dir(dest.path()), "{:?}", tree(dest.path()));
}

/// 15-minute spot klines for every UTC day from `first` (epoch day number) for `days` days, one
/// daily archive file each: a seeded random walk around 70,000 USD.
fn archive_15m_daily(first_day: i64, days: i64) -> Archive {
    let mut a = Archive::new();
    let mut p = 70_000.0f64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for day in first_day..first_day + days {
        let date = chrono::DateTime::from_timestamp(day * 86_400, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        let stem = format!("BTCUSDT-15m-{date}");
        let mut csv = String::new();
        for i in 0..96 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let o = p;
            p *= 1.0 + 0.004 * u;
            let (h, l) = (o.max(p) * 1.0004, o.min(p) * 0.9996);
            let t = day * DAY_MS + i * 900_000;
            let v = 150.0 + 100.0 * (u + 0.5);
            csv.push_str(&format!(
                "{t},{o:.2},{h:.2},{l:.2},{p:.2},{v:.5},{},{:.2},1000,{:.5},{:.2},0\n",
                t + 899_999,
                v * p,
                v / 2.0,
                v * p / 2.0
            ));
        }
        let zip = zip_of(&format!("{stem}.csv"), csv.as_bytes());
        let rel = format!("data/spot/daily/klines/BTCUSDT/15m/{stem}.zip");
        let path = a.root.path().join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &zip).unwrap();
        std::fs::write(
            path.with_extension("zip.CHECKSUM"),
            format!("{}  {stem}.zip\n", sha256_hex(&zip)),
        )
        .unwrap();
        a.csv.insert(format!("{stem}.csv"), csv.into_bytes());
    }
    a
}

/// A scenario whose only source is the folder `binance/spot/15m`: it maps cleanly to the archive.
const FOLDER_SCENARIO: &str = r#"
name = "fetch-folder"
description = "a scenario naming an archive folder"
side = "sell"
size_btc = 4451.0
start = "2026-02-07T00:00:00Z"
end = "2026-02-09T00:00:00Z"

[data]
price = "binance-spot"

[[data.sources]]
venue = "binance-spot"
description = "Binance spot BTCUSDT 15m"
files = ["binance/spot/15m"]

[market]
calibration_days = 30
context_days = 3

[[models]]
model = "sqrt"
y = 0.9

[[models]]
model = "linear"
k = 1.0
"#;

#[test]
fn backtest_without_data_names_the_exact_fetch_commands() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = blocksale()
        .args(["backtest", "-q", "--data"])
        .arg(empty.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    let d = empty.path().display().to_string();
    // The Cango scenario names archive folders: one line per source, with the command for the
    // days it reads (90-day calibration + 3 context days + 1 before Sat 7 Feb 2026, 3 + 1 after the
    // window); the replay venue also covers the replay's weekends of 2024-2025 and the 30
    // calibration + 3 context + 1 days before the first (2024-01-01 - 34 days = 2023-11-28).
    for (folder, market, interval, from) in [
        ("binance/spot/15m/", "spot", "15m", "2025-11-05"),
        ("binance/usdm/15m/", "usdm", "15m", "2025-11-05"),
        ("binance/spot/1h/", "spot", "1h", "2023-11-28"),
    ] {
        assert!(
            err.contains(&format!("data file {folder} (source ")),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "blocksale fetch --symbol BTCUSDT --market {market} --interval {interval} --from {from} --to 2026-02-12 --dest {d}"
            )),
            "{err}"
        );
    }
    assert!(err.contains("or rerun with --fetch"), "{err}");
    assert!(!err.contains("--fetch cannot create it"), "{err}");
    assert!(err.contains("replay"), "{err}");
    assert_eq!(tree(out.path()), Vec::<String>::new());
}

#[test]
fn backtest_fetch_downloads_a_folder_source_then_runs() {
    // 2026-01-04 .. 2026-02-12: 30 calibration + 3 context + 1 days before Sat 7 Feb, 3 + 1 after.
    let first = 20_457; // 2026-01-04 as days since 1970-01-01
    assert_eq!(
        chrono::DateTime::from_timestamp(first * 86_400, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string(),
        "2026-01-04"
    );
    let a = archive_15m_daily(first, 40);
    let srv = Server::start(a.root.path(), HashMap::new());
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("scenario.toml");
    std::fs::write(&scenario, FOLDER_SCENARIO).unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let out = tmp.path().join("out");
    let run = |fetch: bool| {
        let mut c = blocksale();
        c.env("BLOCKSALE_ARCHIVE_URL", srv.url())
            .args(["backtest", "-q", "--json", "--scenario"])
            .arg(&scenario)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&out);
        if fetch {
            c.arg("--fetch");
        }
        c.output().unwrap()
    };

    // Without --fetch: the command to run, nothing downloaded.
    let o = run(false);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!(
            "blocksale fetch --symbol BTCUSDT --market spot --interval 15m --from 2026-01-04 --to 2026-02-12 --dest {}",
            data.display()
        )),
        "{err}"
    );
    assert!(err.contains("or rerun with --fetch"), "{err}");
    assert!(srv.hits().is_empty());

    // With --fetch: 40 daily files (checksum + zip each), then the backtest.
    let o = run(true);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(srv.hits().len(), 80);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["scenario"]["name"], "fetch-folder");
    let csvs = tree(&data.join("binance/spot/15m"));
    assert_eq!(csvs.iter().filter(|f| f.ends_with(".csv")).count(), 40);
    assert_eq!(csvs.len(), 80, "csv + sidecar each, no temporaries");
    let first_result = std::fs::read(out.join("result.json")).unwrap();

    // Again with --fetch: everything verified locally, no request, same result.
    let o = run(true);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(srv.hits().len(), 80);
    assert_eq!(
        std::fs::read(out.join("result.json")).unwrap(),
        first_result
    );
}
