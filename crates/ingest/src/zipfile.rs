//! Zip archives (Binance's public archive ships each CSV as a `.zip` holding one file).
//!
//! A small reader for what those archives use: the central directory, stored (method 0) or deflated
//! (method 8) members, no encryption, no zip64. Deflate goes through libdeflate, so no extra crate.

use crate::IngestError;
use libdeflater::Decompressor;
use std::path::Path;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
        *b.get(i + 2)?,
        *b.get(i + 3)?,
    ]))
}

/// One member listed in the central directory.
#[derive(Debug)]
struct Entry {
    name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    local_offset: usize,
}

fn entries(raw: &[u8]) -> Result<Vec<Entry>, String> {
    // End of central directory: signature PK\x05\x06, at most 22 + 65535 bytes from the end.
    let min = raw.len().saturating_sub(22 + 65_535);
    let eocd = (min..=raw.len().saturating_sub(22))
        .rev()
        .find(|&i| raw[i..].starts_with(&[b'P', b'K', 5, 6]))
        .ok_or("no end-of-central-directory record (truncated archive?)")?;
    let count = u16_at(raw, eocd + 10).ok_or("truncated")? as usize;
    let cd_offset = u32_at(raw, eocd + 16).ok_or("truncated")? as usize;
    if cd_offset == 0xFFFF_FFFF {
        return Err("zip64 archives are not supported".into());
    }
    let mut out = Vec::with_capacity(count);
    let mut p = cd_offset;
    for _ in 0..count {
        if !raw
            .get(p..)
            .is_some_and(|b| b.starts_with(&[b'P', b'K', 1, 2]))
        {
            return Err("corrupt central directory".into());
        }
        let t = || "truncated central directory".to_string();
        let flags = u16_at(raw, p + 8).ok_or_else(t)?;
        let method = u16_at(raw, p + 10).ok_or_else(t)?;
        let crc = u32_at(raw, p + 16).ok_or_else(t)?;
        let compressed = u32_at(raw, p + 20).ok_or_else(t)? as usize;
        let size = u32_at(raw, p + 24).ok_or_else(t)? as usize;
        let name_len = u16_at(raw, p + 28).ok_or_else(t)? as usize;
        let extra_len = u16_at(raw, p + 30).ok_or_else(t)? as usize;
        let comment_len = u16_at(raw, p + 32).ok_or_else(t)? as usize;
        let local_offset = u32_at(raw, p + 42).ok_or_else(t)? as usize;
        let name = raw.get(p + 46..p + 46 + name_len).ok_or_else(t)?;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            flags,
            crc,
            compressed,
            size,
            local_offset,
        });
        p += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

fn is_data_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.ends_with('/')
        && !n.starts_with("__macosx/")
        && [".csv", ".txt", ".tsv"].iter().any(|e| n.ends_with(e))
}

/// Extract the data member of a zip archive: the one `.csv`/`.txt`/`.tsv` file (or the only file).
pub fn unzip(path: &Path, raw: &[u8]) -> Result<Vec<u8>, IngestError> {
    let bad = |detail: String| IngestError::BadZip {
        path: path.to_path_buf(),
        detail,
    };
    let all = entries(raw).map_err(bad)?;
    let files: Vec<&Entry> = all.iter().filter(|e| !e.name.ends_with('/')).collect();
    let data: Vec<&Entry> = files
        .iter()
        .copied()
        .filter(|e| is_data_name(&e.name))
        .collect();
    let e = match (data.as_slice(), files.as_slice()) {
        ([one], _) => *one,
        ([], [one]) => *one,
        ([], _) => return Err(bad("no .csv, .txt or .tsv file inside".into())),
        (many, _) => {
            let names: Vec<&str> = many.iter().map(|e| e.name.as_str()).collect();
            return Err(bad(format!(
                "holds {} data files ({}); unpack it and pass the files",
                many.len(),
                names.join(", ")
            )));
        }
    };
    if e.flags & 1 != 0 {
        return Err(bad(format!("{} is encrypted", e.name)));
    }
    let lh = e.local_offset;
    if !raw
        .get(lh..)
        .is_some_and(|b| b.starts_with(&[b'P', b'K', 3, 4]))
    {
        return Err(bad(format!("corrupt local header for {}", e.name)));
    }
    let name_len = u16_at(raw, lh + 26).ok_or_else(|| bad("truncated".into()))? as usize;
    let extra_len = u16_at(raw, lh + 28).ok_or_else(|| bad("truncated".into()))? as usize;
    let start = lh + 30 + name_len + extra_len;
    let body = raw
        .get(start..start + e.compressed)
        .ok_or_else(|| bad(format!("{} is truncated", e.name)))?;
    let out = match e.method {
        0 => body.to_vec(),
        8 => {
            // Deflate inflates at most 1032:1: a larger declared size is a corrupt or hostile
            // header and must not drive the allocation (up to 4 GiB).
            if e.size > body.len().saturating_mul(1032).saturating_add(1024) {
                return Err(bad(format!(
                    "{} declares {} bytes, more than deflate can produce from {} bytes",
                    e.name,
                    e.size,
                    body.len()
                )));
            }
            let mut out = vec![0u8; e.size];
            let n = Decompressor::new()
                .deflate_decompress(body, &mut out)
                .map_err(|_| bad(format!("{} is truncated or corrupt (deflate)", e.name)))?;
            out.truncate(n);
            out
        }
        m => {
            return Err(bad(format!(
                "{} uses compression method {m} (only stored and deflate are supported)",
                e.name
            )))
        }
    };
    if out.len() != e.size || libdeflater::crc32(&out) != e.crc {
        return Err(bad(format!("{} fails its size or CRC check", e.name)));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal zip writer for tests: one member per (name, data), deflated with libdeflate.
    pub fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data) in members {
            let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
            let mut comp = vec![0; c.deflate_compress_bound(data.len())];
            let n = c.deflate_compress(data, &mut comp).unwrap();
            comp.truncate(n);
            let crc = libdeflater::crc32(data);
            let off = out.len() as u32;
            let mut lh = vec![b'P', b'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
            lh.extend(crc.to_le_bytes());
            lh.extend((comp.len() as u32).to_le_bytes());
            lh.extend((data.len() as u32).to_le_bytes());
            lh.extend((name.len() as u16).to_le_bytes());
            lh.extend(0u16.to_le_bytes());
            lh.extend(name.as_bytes());
            out.extend(&lh);
            out.extend(&comp);
            let mut c = vec![b'P', b'K', 1, 2, 20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
            c.extend(crc.to_le_bytes());
            c.extend((comp.len() as u32).to_le_bytes());
            c.extend((data.len() as u32).to_le_bytes());
            c.extend((name.len() as u16).to_le_bytes());
            c.extend([0u8; 12]);
            c.extend(off.to_le_bytes());
            c.extend(name.as_bytes());
            cd.extend(c);
        }
        let cd_off = out.len() as u32;
        out.extend(&cd);
        out.extend([b'P', b'K', 5, 6, 0, 0, 0, 0]);
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((cd.len() as u32).to_le_bytes());
        out.extend(cd_off.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    #[test]
    fn one_member() {
        let data = b"1,2,3\n".repeat(100);
        let z = make_zip(&[("BTCUSDT-1m-2025-01.csv", &data)]);
        assert_eq!(unzip(Path::new("a.zip"), &z).unwrap(), data);
        let e = unzip(Path::new("a.zip"), &z[..z.len() - 30]).unwrap_err();
        assert!(
            e.to_string().starts_with("a.zip: cannot read zip archive"),
            "{e}"
        );
        let two = make_zip(&[("a.csv", b"1"), ("b.csv", b"2")]);
        let e = unzip(Path::new("b.zip"), &two).unwrap_err();
        assert!(
            e.to_string().contains("holds 2 data files (a.csv, b.csv)"),
            "{e}"
        );
    }
}
