//! Bytes of a data file, decompressed: gzip (libdeflate, multi-member aware) and zip archives.

use crate::IngestError;
use libdeflater::{DecompressionError, Decompressor};
use std::io::Read;
use std::path::Path;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZIP_MAGIC: [u8; 4] = [b'P', b'K', 3, 4];

/// Read a file and return its text bytes, decompressing gzip or zip content (detected by magic bytes).
pub fn read_file_bytes(path: &Path) -> Result<Vec<u8>, IngestError> {
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    read_into(path, &mut out, &mut scratch)?;
    Ok(out)
}

/// Read `path` into `out` (replacing its content), decompressing gzip or zip content. Both buffers
/// are reused across calls so their pages stay mapped; `scratch` holds the compressed bytes.
pub fn read_into(path: &Path, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    scratch.clear();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(scratch))
        .map_err(io)?;
    if scratch.starts_with(&GZIP_MAGIC) {
        gunzip_into(path, scratch, out)
    } else if scratch.starts_with(&ZIP_MAGIC) {
        *out = crate::zipfile::unzip(path, scratch)?;
        Ok(())
    } else if is_gz_name(path) && !scratch.is_empty() {
        Err(IngestError::BadGzip {
            path: path.to_path_buf(),
            detail: "no gzip header".into(),
        })
    } else {
        std::mem::swap(out, scratch);
        Ok(())
    }
}

/// Decompress `raw` when it is gzip or zip, else return it unchanged.
pub fn decode(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>, IngestError> {
    if raw.starts_with(&GZIP_MAGIC) {
        gunzip(path, &raw)
    } else if raw.starts_with(&ZIP_MAGIC) {
        crate::zipfile::unzip(path, &raw)
    } else if is_gz_name(path) && !raw.is_empty() {
        Err(IngestError::BadGzip {
            path: path.to_path_buf(),
            detail: "no gzip header".into(),
        })
    } else {
        Ok(raw)
    }
}

fn is_gz_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Decompress every gzip member of `data` (concatenated members are legal gzip and common when daily
/// archives are joined) into one buffer.
///
/// libdeflate decodes one member and ignores trailing bytes, without telling how many it consumed.
/// The end of a member is the first position whose 8 preceding bytes are its trailer (CRC32 and size
/// of what was decoded) and where the data ends or a new member (or zero padding) starts.
pub fn gunzip(path: &Path, data: &[u8]) -> Result<Vec<u8>, IngestError> {
    let mut out = Vec::new();
    gunzip_into(path, data, &mut out)?;
    Ok(out)
}

/// [`gunzip`] into `out`, replacing its content. The bytes already in `out` serve as initialised
/// space (a reused buffer is not zeroed again; safe Rust cannot hand libdeflate uninitialised memory).
pub fn gunzip_into(path: &Path, data: &[u8], out: &mut Vec<u8>) -> Result<(), IngestError> {
    let bad = |detail: &str| IngestError::BadGzip {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    if data.len() < 18 {
        return Err(bad("shorter than a gzip header and trailer"));
    }
    let mut d = Decompressor::new();
    let mut pos = 0usize;
    let mut filled = 0usize;
    let tail = &data[data.len() - 4..];
    while pos < data.len() {
        let member = &data[pos..];
        if member.len() < 18 || !member.starts_with(&GZIP_MAGIC) {
            // Trailing zero padding is tolerated, anything else is not.
            if member.iter().all(|&b| b == 0) {
                break;
            }
            return Err(bad("garbage after the last gzip member"));
        }
        // The last 4 bytes hold the size of the last member: exact for single-member files.
        let isize_last = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
        let mut cap = if pos == 0 {
            isize_last.max(member.len() * 4)
        } else {
            member.len() * 8
        };
        // Deflate inflates at most 1032:1, so no member of this many bytes decodes to more than
        // `max_out`: the size field of a truncated or hostile file (up to 4 GiB) must not drive the
        // allocation (found by fuzzing: a 7.6 KB truncated file asked for 3.5 GiB).
        let max_out = member.len().saturating_mul(1032).saturating_add(1024);
        cap = cap.max(1024).min(max_out);
        let start = filled;
        let n = loop {
            if out.len() < start + cap {
                out.resize(start + cap, 0);
            }
            match d.gzip_decompress(member, &mut out[start..start + cap]) {
                Ok(n) => break n,
                Err(DecompressionError::InsufficientSpace) if cap < max_out.min(1 << 34) => {
                    cap = (cap * 2).min(max_out)
                }
                Err(DecompressionError::InsufficientSpace) if cap >= max_out => {
                    return Err(bad(if pos == 0 {
                        "the compressed stream ends early or fails its checksum"
                    } else {
                        "a later gzip member ends early or fails its checksum"
                    }))
                }
                Err(DecompressionError::InsufficientSpace) => {
                    return Err(bad("member larger than 16 GiB"))
                }
                Err(DecompressionError::BadData) => {
                    return Err(bad(if pos == 0 {
                        "the compressed stream ends early or fails its checksum"
                    } else {
                        "a later gzip member ends early or fails its checksum"
                    }))
                }
            }
        };
        filled = start + n;
        // libdeflate checked this member's trailer (CRC32 and size). Its end is the first place,
        // after the smallest possible member, where the size field is followed by the end of the
        // data, another member or zero padding. (Matching the size alone cannot cut a member
        // short silently: the rest would then fail to decode as gzip.)
        let size = (n as u32).to_le_bytes();
        let end = memchr::memmem::find_iter(&member[14..], &size)
            .map(|i| i + 14 + 4)
            .find(|&p| {
                p == member.len()
                    || member[p..].starts_with(&GZIP_MAGIC)
                    || member[p..].iter().all(|&b| b == 0)
            });
        match end {
            Some(p) => pos += p,
            None => return Err(bad(
                "the bytes after a gzip member are neither another member nor the end of the file",
            )),
        }
    }
    out.truncate(filled);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use libdeflater::{CompressionLvl, Compressor};

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut c = Compressor::new(CompressionLvl::default());
        let mut out = vec![0; c.gzip_compress_bound(data.len())];
        let n = c.gzip_compress(data, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn single_and_multi_member() {
        let p = Path::new("x.csv.gz");
        let a = b"1,2,3\n4,5,6\n".repeat(1000);
        let b = b"7,8,9\n".repeat(10);
        assert_eq!(gunzip(p, &gz(&a)).unwrap(), a);
        let mut both = gz(&a);
        both.extend(gz(&b));
        let mut want = a.clone();
        want.extend(&b);
        both.extend(gz(b""));
        // An identical member repeated must not be mistaken for the end of the data.
        both.extend(gz(&a));
        want.extend(&a);
        assert_eq!(gunzip(p, &both).unwrap(), want);
    }

    #[test]
    fn truncated() {
        let p = Path::new("x.csv.gz");
        let a = b"1,2,3\n4,5,6\n".repeat(1000);
        let z = gz(&a);
        let e = gunzip(p, &z[..z.len() / 2]).unwrap_err();
        assert!(
            e.to_string().contains("gzip data is truncated or corrupt"),
            "{e}"
        );
        assert!(gunzip(p, &z[..10]).is_err());
    }
}
