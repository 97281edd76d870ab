//! The malformed-file corpus in `tests/corpus/`: every file must fail with exactly the message in
//! `tests/corpus/expected.txt` (one `file<TAB>message` line each), and none may panic.

use blocksale_ingest::{load_paths, ReadOptions};
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn every_malformed_file_gives_its_exact_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let expected: BTreeMap<String, String> = std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (f, m) = l.split_once('\t').expect("file<TAB>message");
            (f.to_string(), m.to_string())
        })
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expected.txt")
        .collect();
    names.sort();
    assert!(names.len() >= 25, "corpus has {} files", names.len());
    let prefix = format!("{}/", dir.display());
    let mut mismatches = Vec::new();
    for name in &names {
        let path = dir.join(name);
        let got = std::panic::catch_unwind(|| {
            load_paths(std::slice::from_ref(&path), &ReadOptions::default(), None)
        });
        let got = match got {
            Err(_) => "PANIC".to_string(),
            Ok(Ok(l)) => format!("OK ({} rows)", l.rows),
            Ok(Err(e)) => e.to_string().replace(&prefix, ""),
        };
        if expected.get(name) != Some(&got) {
            mismatches.push(format!("{name}\t{got}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches (file<TAB>actual):\n{}",
        mismatches.join("\n")
    );
    assert_eq!(
        expected.len(),
        names.len(),
        "expected.txt lists {} files, the corpus has {}",
        expected.len(),
        names.len()
    );
}
