//! Format detection and row parsing of `blocksale-ingest` on arbitrary bytes.
//!
//! The first input byte chooses how the rest is read:
//! bits 0-1 the file name's extension (`.csv`, `.csv.gz`, `.zip`, `.txt`, which picks the
//! decompressor), bit 2 lenient mode, bits 3-5 the format (0 = detect, 1..=7 = `Format::ALL`),
//! bits 6-7 the duplicate policy. The rest is the file's bytes, passed to `load_bytes`; when it
//! loads, the series is also resampled to 1 hour. Any panic is a finding; errors are expected.
#![no_main]
#![forbid(unsafe_code)]

use blocksale_ingest::{load_bytes, Format, OnConflict, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let name = ["fuzz.csv", "fuzz.csv.gz", "fuzz.zip", "fuzz.txt"][usize::from(sel & 3)];
    let fmt = usize::from((sel >> 3) & 7);
    let opts = ReadOptions {
        format: (fmt > 0).then(|| Format::ALL[fmt - 1]),
        lenient: sel & 4 != 0,
        on_conflict: [
            OnConflict::Error,
            OnConflict::First,
            OnConflict::Last,
            OnConflict::Error,
        ][usize::from(sel >> 6)],
        columns: None,
    };
    if let Ok(loaded) = load_bytes(name, body.to_vec(), &opts) {
        let _ = loaded.series.resample(3_600);
        let _ = loaded.missing_bars();
    }
});
