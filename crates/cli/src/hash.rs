//! SHA-256, the one implementation of the CLI: file digests for the manifest and the archive's
//! checksums, and the digest of a stream copied to a file while it is unpacked.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of everything `r` yields, lower-case hex, and the byte count; each chunk is also written
/// to `copy` when given (unpacking and hashing in one pass).
///
/// # Errors
/// A read error of `r` or a write error of `copy`.
pub fn sha256_stream(
    r: &mut dyn Read,
    mut copy: Option<&mut dyn Write>,
) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        if let Some(w) = copy.as_deref_mut() {
            w.write_all(&buf[..k])?;
        }
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// SHA-256 of a file, lower-case hex, and its size in bytes.
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    sha256_stream(&mut std::fs::File::open(path)?, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // sha256("abc"), FIPS 180-2 appendix B.1
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            sha256_stream(&mut &b"abc"[..], None).unwrap(),
            (want.to_string(), 3)
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), (want.to_string(), 3));
        let mut copy = Vec::new();
        sha256_stream(&mut &b"abc"[..], Some(&mut copy)).unwrap();
        assert_eq!(copy, b"abc");
    }
}
