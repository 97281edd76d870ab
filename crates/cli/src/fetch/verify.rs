//! The archive's `.CHECKSUM` files and the sidecar that marks an unpacked CSV as verified (the
//! digests come from [`crate::hash`]).

use std::path::Path;

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parse a `.CHECKSUM` file (`<sha256>  <filename>`, as `sha256sum` writes it) for `expected_name`.
/// Returns the lower-case hex digest.
///
/// # Errors
/// A message saying what was wrong: no digest, not 64 hex digits, another file's name.
pub fn parse_checksum(text: &str, expected_name: &str) -> Result<String, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or("empty checksum file")?;
    let mut parts = line.split_whitespace();
    let digest = parts.next().unwrap_or_default();
    if !is_sha256_hex(digest) {
        return Err(format!(
            "expected a SHA-256 digest (64 hex digits) at the start of the line, found {:?}",
            truncate(line, 80)
        ));
    }
    if let Some(name) = parts.next() {
        // `sha256sum -b` writes `*name`.
        let name = name.trim_start_matches('*');
        if name != expected_name {
            return Err(format!(
                "the checksum is for {name:?}, expected {expected_name:?}"
            ));
        }
    }
    Ok(digest.to_ascii_lowercase())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The sidecar written beside an unpacked CSV (`<csv>.sha256`): the CSV's own digest in
/// `sha256sum` format, then a comment naming the verified zip and its digest.
pub fn sidecar_text(csv_sha: &str, csv_name: &str, zip_sha: &str, url: &str) -> String {
    format!(
        "{csv_sha}  {csv_name}\n# unpacked by blocksale fetch from {url}, zip sha256 {zip_sha} verified against {url}.CHECKSUM\n"
    )
}

/// Name of the sidecar for `csv_name`.
pub fn sidecar_name(csv_name: &str) -> String {
    format!("{csv_name}.sha256")
}

/// The CSV digest recorded in a sidecar for `csv_name`, if the sidecar is well formed.
pub fn sidecar_csv_sha(text: &str, csv_name: &str) -> Option<String> {
    parse_checksum(text, csv_name).ok()
}

/// True when `dir/csv_name` exists and matches the digest in its sidecar.
pub fn is_present_and_verified(dir: &Path, csv_name: &str) -> bool {
    let csv = dir.join(csv_name);
    let Ok(text) = std::fs::read_to_string(dir.join(sidecar_name(csv_name))) else {
        return false;
    };
    let Some(want) = sidecar_csv_sha(&text, csv_name) else {
        return false;
    };
    crate::hash::sha256_file(&csv).is_ok_and(|(got, _)| got == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "d2c3b1a0e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00";

    #[test]
    fn parses_sha256sum_lines() {
        let t = format!("{D}  BTCUSDT-1m-2024-01.zip\n");
        assert_eq!(parse_checksum(&t, "BTCUSDT-1m-2024-01.zip").unwrap(), D);
        let t = format!("\n{}  *BTCUSDT-1m-2024-01.zip", D.to_uppercase());
        assert_eq!(parse_checksum(&t, "BTCUSDT-1m-2024-01.zip").unwrap(), D);
        // digest alone is accepted
        assert_eq!(parse_checksum(D, "x.zip").unwrap(), D);
    }

    #[test]
    fn rejects_bad_checksum_files() {
        assert!(parse_checksum("", "a.zip").unwrap_err().contains("empty"));
        assert!(parse_checksum("<html>Not Found</html>", "a.zip")
            .unwrap_err()
            .contains("64 hex digits"));
        assert!(parse_checksum(&format!("{}  a.zip", &D[..63]), "a.zip").is_err());
        assert!(parse_checksum(&format!("{D}  b.zip"), "a.zip")
            .unwrap_err()
            .contains("\"b.zip\""));
    }

    #[test]
    fn sidecar_round_trip_and_verification() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"1,2,3\n").unwrap();
        let sha = crate::hash::sha256_file(&dir.path().join("a.csv"))
            .unwrap()
            .0;
        // sha256 of "1,2,3\n"
        assert_eq!(sha.len(), 64);
        assert!(!is_present_and_verified(dir.path(), "a.csv"));
        std::fs::write(
            dir.path().join(sidecar_name("a.csv")),
            sidecar_text(&sha, "a.csv", D, "http://x/a.zip"),
        )
        .unwrap();
        assert!(is_present_and_verified(dir.path(), "a.csv"));
        std::fs::write(dir.path().join("a.csv"), b"1,2,4\n").unwrap();
        assert!(!is_present_and_verified(dir.path(), "a.csv"));
    }

    #[test]
    fn known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            crate::hash::sha256_file(&p).unwrap().0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
