//! Download Binance's public kline archive: plan the files for a date range, fetch each zip with
//! its `.CHECKSUM`, verify the SHA-256, unpack the CSV, and leave nothing half-written.
//!
//! For each planned file, in `dest = <data>/binance/<market>/<interval>/`:
//!
//! 1. `dest/NAME.csv` with a sidecar `dest/NAME.csv.sha256` whose digest matches: skipped, no
//!    network.
//! 2. Else `NAME.zip.CHECKSUM` is fetched, the zip is downloaded to `dest/.NAME.zip.part`
//!    (a `.part` left by an interrupted earlier run is resumed with a `Range` request; a server
//!    that ignores the range restarts it), a dropped connection is resumed up to
//!    [`MAX_ATTEMPTS`] times, and the whole file is checked against the checksum.
//! 3. The CSV member is unpacked to `dest/.NAME.csv.unpack`, renamed to `dest/NAME.csv`, the
//!    sidecar is written the same way, and the `.part` is removed.
//!
//! When a file fails (network, HTTP status, checksum, corrupt zip) the temporary files of that
//! file are removed before the error is returned; only a killed process leaves a `.part` behind,
//! which the next run resumes. Temporary names start with `.`, which the ingest crate ignores.
//!
//! Exit codes (through [`crate::error`]): unreachable host, refused connection, timeouts and
//! `404 Not Found` (no such file in the archive) are user errors (2); checksum mismatches,
//! corrupt zips, other HTTP statuses and local I/O failures are 1.

pub mod plan;
pub mod scenario;
pub mod verify;

pub use plan::{ArchiveFile, Market, Request};

use crate::error::user;
use anyhow::{anyhow, Context};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public archive.
pub const DEFAULT_BASE_URL: &str = "https://data.binance.vision";

/// Attempts per file when the connection drops mid-body (each resumes where the last stopped).
pub const MAX_ATTEMPTS: usize = 4;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Already present and verified; nothing downloaded.
    Skipped,
    /// Downloaded, verified and unpacked. `resumed` when a `.part` or a dropped connection was
    /// continued with a `Range` request.
    Fetched {
        /// Bytes received over the network for this file.
        bytes: u64,
        /// At least one `Range` request was answered with `206`.
        resumed: bool,
    },
}

/// Downloads archive files into one destination folder.
#[derive(Debug)]
pub struct Fetcher {
    agent: ureq::Agent,
    base_url: String,
    dest: PathBuf,
}

/// Validate and normalise a base URL (`http://` or `https://`, no trailing slash).
///
/// # Errors
/// A user error naming the flag/env and the value.
pub fn normalise_base_url(s: &str) -> anyhow::Result<String> {
    let t = s.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !t.contains(char::is_whitespace) => Ok(t.to_string()),
        _ => Err(user(format!(
            "--base-url / BLOCKSALE_ARCHIVE_URL {s:?}: expected an http:// or https:// URL such as {DEFAULT_BASE_URL}"
        ))),
    }
}

/// Removes the listed paths when dropped, unless disarmed: a failed file leaves no temporaries.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Classify a transport error: the user can fix reachability (2); anything else is ours (1).
fn net_error(url: &str, e: ureq::Error) -> anyhow::Error {
    let user_side = matches!(
        e,
        ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::Io(_)
            | ureq::Error::Tls(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::BadUri(_)
    );
    let msg = format!(
        "cannot download {url}: {e} (offline? check the network, or point --base-url / BLOCKSALE_ARCHIVE_URL at a mirror)"
    );
    if user_side {
        user(msg)
    } else {
        anyhow!(msg)
    }
}

fn status_error(url: &str, status: u16) -> anyhow::Error {
    if status == 404 {
        user(format!(
            "cannot download {url}: 404 Not Found (the archive has no such file: check --symbol, --market, --interval and the dates; the current month and day are published later)"
        ))
    } else {
        anyhow!("cannot download {url}: HTTP status {status}")
    }
}

impl Fetcher {
    /// A fetcher writing into `dest` (created when missing).
    ///
    /// # Errors
    /// When `dest` cannot be created, or the base URL is not http(s).
    pub fn new(base_url: &str, dest: &Path) -> anyhow::Result<Self> {
        let base_url = normalise_base_url(base_url)?;
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create data folder {}", dest.display()))?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent(concat!("blocksale/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            agent: config.into(),
            base_url,
            dest: dest.to_path_buf(),
        })
    }

    /// Full URL of an archive file.
    pub fn url(&self, f: &ArchiveFile) -> String {
        format!("{}/{}", self.base_url, f.url_path)
    }

    /// Fetch one file (see the module docs). `on_bytes(n)` is called as bytes arrive.
    ///
    /// # Errors
    /// Network, HTTP status, checksum, zip and I/O failures, each naming the URL or the file; the
    /// file's temporaries are removed first.
    pub fn fetch(&self, f: &ArchiveFile, on_bytes: &dyn Fn(u64)) -> anyhow::Result<Outcome> {
        if verify::is_present_and_verified(&self.dest, &f.csv_name) {
            return Ok(Outcome::Skipped);
        }
        let url = self.url(f);
        let expected = self.checksum(&url, &f.zip_name)?;
        let part = self.dest.join(format!(".{}.part", f.zip_name));
        let unpack = self.dest.join(format!(".{}.unpack", f.csv_name));
        let side_tmp = self
            .dest
            .join(format!(".{}.tmp", verify::sidecar_name(&f.csv_name)));
        let _cleanup = Cleanup(vec![part.clone(), unpack.clone(), side_tmp.clone()]);

        let (mut bytes, mut resumed) = self.download(&url, &part, on_bytes)?;
        let mut got = crate::hash::sha256_file(&part)
            .map(|(h, _)| h)
            .with_context(|| format!("cannot read {}", part.display()))?;
        if got != expected && resumed {
            // The kept part may come from another version of the file: start over once.
            std::fs::remove_file(&part)
                .with_context(|| format!("cannot remove {}", part.display()))?;
            let (b, _) = self.download(&url, &part, on_bytes)?;
            bytes += b;
            resumed = false;
            got = crate::hash::sha256_file(&part)
                .map(|(h, _)| h)
                .with_context(|| format!("cannot read {}", part.display()))?;
        }
        if got != expected {
            // Bad input, like a bad row in a file: a user error (exit 2), not a crash.
            return Err(crate::error::user(format!(
                "checksum mismatch for {url}: the download has SHA-256 {got}, {url}.CHECKSUM says {expected}; nothing was written"
            )));
        }

        let csv_sha = unpack_csv(&part, &unpack).with_context(|| {
            format!("cannot unpack {url} (checksum verified, but the zip is unreadable)")
        })?;
        let csv = self.dest.join(&f.csv_name);
        std::fs::rename(&unpack, &csv)
            .with_context(|| format!("cannot move {} to {}", unpack.display(), csv.display()))?;
        std::fs::write(
            &side_tmp,
            verify::sidecar_text(&csv_sha, &f.csv_name, &expected, &url),
        )
        .with_context(|| format!("cannot write {}", side_tmp.display()))?;
        let side = self.dest.join(verify::sidecar_name(&f.csv_name));
        std::fs::rename(&side_tmp, &side)
            .with_context(|| format!("cannot move {} to {}", side_tmp.display(), side.display()))?;
        Ok(Outcome::Fetched { bytes, resumed })
    }

    /// GET `url.CHECKSUM` and parse it.
    fn checksum(&self, url: &str, zip_name: &str) -> anyhow::Result<String> {
        let curl = format!("{url}.CHECKSUM");
        let mut resp = self
            .agent
            .get(&curl)
            .call()
            .map_err(|e| net_error(&curl, e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(status_error(&curl, status));
        }
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map_err(|e| net_error(&curl, e))?;
        verify::parse_checksum(&text, zip_name)
            .map_err(|e| anyhow!("bad checksum file {curl}: {e}"))
    }

    /// Download `url` into `part`, resuming what is there. Returns (bytes received, resumed).
    fn download(
        &self,
        url: &str,
        part: &Path,
        on_bytes: &dyn Fn(u64),
    ) -> anyhow::Result<(u64, bool)> {
        let mut received = 0u64;
        let mut resumed = false;
        let mut last_err = None;
        for _ in 0..MAX_ATTEMPTS {
            let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
            let mut req = self.agent.get(url);
            if have > 0 {
                req = req.header("Range", format!("bytes={have}-"));
            }
            let mut resp = match req.call() {
                Ok(r) => r,
                // Nothing arrived: the host is unreachable, retrying will not help.
                Err(e) => return Err(net_error(url, e)),
            };
            let status = resp.status().as_u16();
            let append = match status {
                200 => false,
                206 if content_range_start(&resp) == Some(have) => true,
                206 => false,
                // The part already holds the whole file; the checksum decides.
                416 if have > 0 => return Ok((received, resumed)),
                s => return Err(status_error(url, s)),
            };
            if status == 206 && !append {
                // A range we did not ask for: start over without one.
                std::fs::remove_file(part).ok();
                continue;
            }
            resumed |= append;
            let expected_len = resp
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(part)
                .with_context(|| format!("cannot write {}", part.display()))?;
            let mut reader = resp.body_mut().as_reader();
            let mut buf = vec![0u8; 1 << 16];
            let mut this = 0u64;
            let res: std::io::Result<()> = loop {
                match reader.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        file.write_all(&buf[..n])
                            .with_context(|| format!("cannot write {}", part.display()))?;
                        this += n as u64;
                        received += n as u64;
                        on_bytes(n as u64);
                    }
                    Err(e) => break Err(e),
                }
            };
            file.flush()
                .with_context(|| format!("cannot write {}", part.display()))?;
            match res {
                Ok(()) if expected_len.is_none_or(|l| l == this) => return Ok((received, resumed)),
                Ok(()) => {
                    last_err = Some(format!(
                        "connection closed after {this} of {} bytes",
                        expected_len.unwrap_or(0)
                    ));
                }
                Err(e) => last_err = Some(e.to_string()),
            }
        }
        Err(anyhow!(
            "cannot download {url}: {} (gave up after {MAX_ATTEMPTS} attempts)",
            last_err.unwrap_or_else(|| "the server kept answering with another range".into())
        ))
    }
}

fn content_range_start(resp: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    // `Content-Range: bytes 100-999/1000`
    let v = resp.headers().get("content-range")?.to_str().ok()?;
    let spec = v.trim().strip_prefix("bytes ")?;
    spec.split('-').next()?.trim().parse().ok()
}

/// Extract the one CSV member of the zip at `zip_path` into `out`; returns the CSV's SHA-256.
///
/// # Errors
/// When the archive is unreadable, has no CSV member or more than one, or a CRC fails.
pub fn unpack_csv(zip_path: &Path, out: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(zip_path)
        .with_context(|| format!("cannot open {}", zip_path.display()))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))?;
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let csv: Vec<usize> = (0..archive.len())
        .filter(|&i| {
            archive
                .name_for_index(i)
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"))
        })
        .collect();
    let idx = match csv.as_slice() {
        [i] => *i,
        [] => return Err(anyhow!("no .csv member (members: {})", names.join(", "))),
        _ => {
            return Err(anyhow!(
                "more than one .csv member (members: {})",
                names.join(", ")
            ))
        }
    };
    let mut member = archive.by_index(idx)?;
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?,
    );
    // The zip reader checks the CRC-32 when the member ends.
    let (sha, _) = crate::hash::sha256_stream(&mut member, Some(&mut w))
        .with_context(|| format!("cannot unpack into {}", out.display()))?;
    w.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in members {
            w.start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn unpacks_the_csv_member() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("a.zip");
        std::fs::write(&z, zip_of(&[("a.csv", b"1,2,3\n")])).unwrap();
        let out = dir.path().join("a.csv");
        let sha = unpack_csv(&z, &out).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"1,2,3\n");
        assert_eq!(sha, crate::hash::sha256_file(&out).unwrap().0);
    }

    #[test]
    fn rejects_zips_without_one_csv() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("a.zip");
        let out = dir.path().join("a.csv");
        std::fs::write(&z, zip_of(&[("readme.txt", b"x")])).unwrap();
        assert!(format!("{:#}", unpack_csv(&z, &out).unwrap_err()).contains("no .csv member"));
        std::fs::write(&z, zip_of(&[("a.csv", b"x"), ("b.csv", b"y")])).unwrap();
        assert!(format!("{:#}", unpack_csv(&z, &out).unwrap_err()).contains("more than one"));
        std::fs::write(&z, b"PK\x03\x04 not really a zip").unwrap();
        assert!(unpack_csv(&z, &out).is_err());
    }

    #[test]
    fn detects_a_flipped_byte_in_the_member() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("a.zip");
        let body = b"0123456789".repeat(1000);
        let mut bytes = {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            w.start_file(
                "a.csv",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored),
            )
            .unwrap();
            w.write_all(&body).unwrap();
            w.finish().unwrap().into_inner()
        };
        // Stored member: flip a data byte, the CRC check must catch it.
        let at = bytes.windows(10).position(|w| w == b"0123456789").unwrap() + 5000;
        bytes[at] ^= 0x01;
        std::fs::write(&z, bytes).unwrap();
        assert!(unpack_csv(&z, &dir.path().join("a.csv")).is_err());
    }

    #[test]
    fn base_url_forms() {
        assert_eq!(
            normalise_base_url("https://data.binance.vision/").unwrap(),
            "https://data.binance.vision"
        );
        assert_eq!(
            normalise_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "",
            "ftp://x",
            "data.binance.vision",
            "https://",
            "http://a b",
        ] {
            let e = normalise_base_url(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), 2, "{bad}");
        }
    }
}
