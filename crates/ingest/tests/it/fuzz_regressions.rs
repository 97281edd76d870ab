//! Inputs found by fuzzing (`fuzz/`, target `ingest_bytes`), kept as regression tests.
//!
//! Each input comes first with its fuzz selector byte stripped: the test names the file name the
//! fuzzer used (which picks the decompressor) and the options.

use blocksale_ingest::{load_bytes, IngestError, ReadOptions};

/// Peak resident memory of this test process so far, bytes (Linux `VmHWM`), if known.
fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A gzip member of `n` bytes that is cut short: its last 4 bytes (read as the uncompressed size)
/// are whatever compressed bytes ended up there.
fn truncated_gzip_with_size_field(size_field: u32) -> Vec<u8> {
    // Header, a deflate stream that never ends (BFINAL=0 stored block headers), then the fake size.
    let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..200 {
        v.extend([0x00, 0x10, 0x00, 0xef, 0xff]); // stored block of 16 bytes, not final
        v.extend([b'a'; 16]);
    }
    v.extend(size_field.to_le_bytes());
    v
}

/// Found by fuzzing (oom-bb99b7ef, the ingest corpus file `06-truncated.csv.gz`): the size field of a
/// truncated gzip file (its last 4 bytes, 3.5 GiB there) sized the output buffer, so a 7.6 KB file
/// made the reader zero 3.5 GiB of memory (libFuzzer: out-of-memory, 3,441 MB). The buffer is now
/// bounded by deflate's 1032:1 maximum ratio.
#[test]
fn truncated_gzip_with_a_huge_size_field_fails_without_allocating_it() {
    let raw = truncated_gzip_with_size_field(0xDADA_5E57); // ~3.4 GiB claimed
    let err = load_bytes("fuzz.csv.gz", raw, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, IngestError::BadGzip { detail, .. } if detail.contains("ends early")),
        "{err}"
    );
    if let Some(peak) = peak_rss_bytes() {
        // The whole test process (all tests of this binary) stays far below the 3.4 GiB claimed.
        assert!(peak < 3 << 30, "peak RSS {} MiB", peak >> 20);
    }
}

/// The same input through the fuzzer's path, byte for byte (the corpus file itself).
#[test]
fn fuzz_oom_bb99b7ef_truncated_gzip_corpus_file() {
    let p =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/06-truncated.csv.gz");
    let Ok(raw) = std::fs::read(&p) else {
        return; // the corpus file is the ingest corpus's; the synthetic test above covers the case
    };
    let err = load_bytes("fuzz.csv.gz", raw, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IngestError::BadGzip { .. }), "{err}");
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 3 << 30, "peak RSS {} MiB", peak >> 20);
    }
}

/// A zip whose central directory declares a 4 GiB member for a few compressed bytes must be rejected
/// before the output buffer is allocated.
#[test]
fn zip_member_declaring_more_than_deflate_can_produce_is_rejected() {
    let data = b"timestamp,open,high,low,close,volume\n1,1,1,1,1,1\n";
    // Stored-as-deflate: a final stored block holding `data`.
    let mut comp = vec![0x01];
    comp.extend((data.len() as u16).to_le_bytes());
    comp.extend((!(data.len() as u16)).to_le_bytes());
    comp.extend(data);
    let crc = 0u32; // never reached
    let size = u32::MAX;
    let name = b"a.csv";
    let mut z = vec![b'P', b'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
    z.extend(crc.to_le_bytes());
    z.extend((comp.len() as u32).to_le_bytes());
    z.extend(size.to_le_bytes());
    z.extend((name.len() as u16).to_le_bytes());
    z.extend(0u16.to_le_bytes());
    z.extend(name);
    z.extend(&comp);
    let cd_off = z.len() as u32;
    let mut cd = vec![b'P', b'K', 1, 2, 20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0];
    cd.extend(crc.to_le_bytes());
    cd.extend((comp.len() as u32).to_le_bytes());
    cd.extend(size.to_le_bytes());
    cd.extend((name.len() as u16).to_le_bytes());
    cd.extend([0u8; 12]);
    cd.extend(0u32.to_le_bytes());
    cd.extend(name);
    let cd_len = cd.len() as u32;
    z.extend(cd);
    z.extend([b'P', b'K', 5, 6, 0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend(cd_len.to_le_bytes());
    z.extend(cd_off.to_le_bytes());
    z.extend(0u16.to_le_bytes());
    let err = load_bytes("fuzz.zip", z, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, IngestError::BadZip { detail, .. } if detail.contains("more than deflate can produce")),
        "{err}"
    );
}
