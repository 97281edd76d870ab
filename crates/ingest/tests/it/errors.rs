//! Error messages for bad input: each names the file and says what is wrong.

use crate::data::{gzip, write};
use blocksale_ingest::{load_paths, IngestError, ReadOptions};

fn err_of(name: &str, bytes: &[u8]) -> (IngestError, String) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let e = load_paths(&[p], &ReadOptions::default(), None).unwrap_err();
    let msg = e
        .to_string()
        .replace(&format!("{}/", tmp.path().display()), "");
    (e, msg)
}

#[test]
fn unrecognised_format_names_file_and_header() {
    let (e, m) = err_of("weird.csv", b"foo,bar,baz\n1,2,3\n");
    assert!(matches!(e, IngestError::UnknownFormat { .. }));
    assert_eq!(
        m,
        "weird.csv: unrecognised format: no column for time, open, high, low, close in the header (pass --columns time=...,open=...,high=...,low=...,close=... to map them); header line seen: \"foo,bar,baz\""
    );
}

#[test]
fn bad_value_names_line_column_value_and_expectation() {
    let (_, m) = err_of(
        "bad.csv",
        b"timestamp,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1.5,3\n2024-01-01 00:01:00,1,abc,0.5,1.5,3\n",
    );
    assert_eq!(m, "bad.csv:3: column high: \"abc\" is not a number");
}

#[test]
fn empty_header_only_truncated_gzip() {
    assert_eq!(err_of("e.csv", b"").1, "e.csv: file is empty");
    assert_eq!(
        err_of("h.csv", b"timestamp,open,high,low,close,volume\n").1,
        "h.csv: file has a header but no data rows (header: \"timestamp,open,high,low,close,volume\")"
    );
    let z = gzip(&b"1672531200000,1,2,0.5,1.5,3,1672531259999,1,1,1,1,0\n".repeat(2000));
    let (e, m) = err_of("t.csv.gz", &z[..z.len() / 2]);
    assert!(matches!(e, IngestError::BadGzip { .. }), "{m}");
    assert!(
        m.starts_with("t.csv.gz: gzip data is truncated or corrupt"),
        "{m}"
    );
    let _ = write;
}
