//! Safe outputs under faults: a run killed with SIGKILL while writing leaves the earlier outputs
//! byte-identical, and no output may replace an input file.

use crate::common::{blocksale, data_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every regular file directly in `dir` (name -> bytes), and the staging folders seen.
fn snapshot(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = BTreeMap::new();
    let mut staging = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            staging.push(name);
        } else {
            files.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    staging.sort();
    (files, staging)
}

fn has_staging(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".blocksale-tmp-")
        })
    })
}

fn backtest(data: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("blocksale"));
    c.env_remove("BLOCKSALE_DATA")
        .args(["backtest", "-q", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Run once to completion, then start a run with another block size (so its outputs differ) and
/// SIGKILL it as soon as its staging folder appears. The earlier outputs must be untouched.
#[test]
fn killed_run_leaves_the_earlier_outputs_byte_identical() {
    let data = data_dir();
    let out = tempfile::tempdir().unwrap();
    let first = backtest(&data, out.path(), &[]).status().unwrap();
    assert!(first.success());
    let (before, staging) = snapshot(out.path());
    assert!(staging.is_empty());
    for f in ["result.json", "paths.csv", "event.png"] {
        assert!(before.contains_key(f), "{f} missing after the first run");
    }

    // The write phase is short: retry until a kill lands while the staging folder exists.
    let mut killed_mid_write = 0;
    let mut attempts = 0;
    for _ in 0..40 {
        attempts += 1;
        let mut child = backtest(&data, out.path(), &["--size", "9000"])
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        let mut seen = false;
        while t0.elapsed() < Duration::from_secs(60) {
            if has_staging(out.path()) {
                seen = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        if seen {
            child.kill().unwrap(); // SIGKILL on Unix: no destructor, no cleanup
        }
        let status = child.wait().unwrap();
        let (after, staging) = snapshot(out.path());
        if status.success() {
            // It finished before the kill: the outputs are the 9000 BTC ones now. Start over.
            assert!(!seen || staging.is_empty());
            for e in std::fs::read_dir(out.path()).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).unwrap();
                } else {
                    std::fs::remove_file(&p).unwrap();
                }
            }
            assert!(backtest(&data, out.path(), &[]).status().unwrap().success());
            assert_eq!(snapshot(out.path()).0, before, "reruns are byte-identical");
            continue;
        }
        assert!(seen, "the run failed on its own: {status:?}");
        killed_mid_write += 1;
        // Killed mid-write: every earlier output byte-identical, nothing new beside them except the
        // staging folder (kill -9 leaves it; the next run into this folder removes it).
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &before {
            assert!(after[name] == *bytes, "{name} changed after the kill");
        }
        assert_eq!(staging.len(), 1, "{staging:?}");
        assert!(staging[0].starts_with(".blocksale-tmp-"));
        let (partial, _) = snapshot(&out.path().join(&staging[0]));
        eprintln!(
            "attempt {attempts}: killed mid-write; staged so far: {:?}",
            partial
                .iter()
                .map(|(k, v)| (k, v.len()))
                .collect::<Vec<_>>()
        );
        // The next run removes the dead run's staging folder and writes the same outputs.
        assert!(backtest(&data, out.path(), &[]).status().unwrap().success());
        let (again, left) = snapshot(out.path());
        assert!(left.is_empty(), "stale staging folder left: {left:?}");
        assert_eq!(again, before, "reruns are byte-identical");
        if killed_mid_write == 3 {
            break;
        }
    }
    assert!(
        killed_mid_write >= 1,
        "never caught the run while it was writing"
    );

    // A normal run afterwards still works and writes the 9000 BTC outputs.
    assert!(backtest(&data, out.path(), &["--size", "9000"])
        .status()
        .unwrap()
        .success());
    let (after, staging) = snapshot(out.path());
    assert!(staging.is_empty());
    assert_ne!(after["result.json"], before["result.json"]);
}

/// Copy the Cango extract into `to`, the spot 15m bars (decompressed) renamed to `out/paths.csv`,
/// and write a scenario naming it. Returns (data dir, scenario file).
fn data_with_input_named_like_an_output(to: &Path) -> (PathBuf, PathBuf) {
    let src = crate::common::cango_data();
    let scenario = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/scenarios/cango-2026-02.toml"
    ))
    .unwrap();
    let spot = "binance/spot/15m/";
    assert!(scenario.contains(&format!("files = [\"{spot}\"]")));
    for sub in ["binance/usdm/15m", "binance/spot/1h"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(sub).join(e.file_name())).unwrap();
        }
    }
    let p = to.join("out/paths.csv");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(
        &p,
        crate::common::gunzip_text(&src.join("binance/spot/15m/BTCUSDT_15m.extract.csv.gz")),
    )
    .unwrap();
    let rewritten = scenario.replace(spot, "out/paths.csv");
    let sc = to.join("scenario.toml");
    std::fs::write(&sc, rewritten).unwrap();
    (to.to_path_buf(), sc)
}

#[test]
fn refuses_to_write_an_output_over_an_input_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, scenario) = data_with_input_named_like_an_output(tmp.path());
    let out = data.join("out");
    let input = std::fs::read(out.join("paths.csv")).unwrap();
    let o = blocksale()
        .args(["backtest", "-q", "--scenario"])
        .arg(&scenario)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "refusing to write {} over an input file",
            out.join("paths.csv").display()
        )),
        "{err}"
    );
    // The input is untouched and nothing else was written: no other output, no staging folder.
    assert_eq!(std::fs::read(out.join("paths.csv")).unwrap(), input);
    let (files, staging) = snapshot(&out);
    assert_eq!(files.keys().collect::<Vec<_>>(), ["paths.csv"]);
    assert!(staging.is_empty(), "{staging:?}");
}

/// A file blocksale did not write is never replaced without `--force`: the run stops before writing
/// anything (exit 2, the file named); with `--force` it is replaced and recorded, and later runs
/// replace blocksale's own outputs freely.
#[test]
fn files_blocksale_did_not_write_are_kept_unless_forced() {
    let data = data_dir();
    let out = tempfile::tempdir().unwrap();
    let mine = out.path().join("result.json");
    std::fs::write(&mine, "my own notes\n").unwrap();
    let run = |extra: &[&str]| {
        blocksale()
            .args(["backtest", "-q", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(out.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "refusing to replace {}: blocksale did not write it",
            mine.display()
        )) && err.contains("--force"),
        "{err}"
    );
    let (files, staging) = snapshot(out.path());
    assert_eq!(files.keys().collect::<Vec<_>>(), ["result.json"]);
    assert_eq!(files["result.json"], b"my own notes\n");
    assert!(staging.is_empty(), "{staging:?}");

    assert!(run(&["--force"]).status.success());
    let (files, _) = snapshot(out.path());
    assert_ne!(files["result.json"], b"my own notes\n");
    assert_eq!(
        String::from_utf8_lossy(&files[".blocksale-outputs"]),
        "event.png\nmanifest.json\npaths.csv\nresult.json\n"
    );
    // Its own outputs are replaced without --force.
    assert!(run(&["--size", "9000"]).status.success());

    // A folder written before the record existed: the manifest's outputs count as blocksale's.
    std::fs::remove_file(out.path().join(".blocksale-outputs")).unwrap();
    assert!(run(&[]).status.success());
    assert!(out.path().join(".blocksale-outputs").is_file());
}

/// `resample -o FILE` keeps a file it did not write (checked before any data is read) and replaces
/// its own.
#[test]
fn resample_keeps_a_file_it_did_not_write() {
    let data = data_dir();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("btc-1h.csv");
    std::fs::write(&target, "not mine to replace\n").unwrap();
    let run = |extra: &[&str]| {
        blocksale()
            .args(["resample", "-q", "--every", "1h", "-o"])
            .arg(&target)
            .arg(data.join("binance/spot/15m/BTCUSDT_15m.csv"))
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing to replace"));
    assert_eq!(std::fs::read(&target).unwrap(), b"not mine to replace\n");
    assert!(run(&["--force"]).status.success());
    let first = std::fs::read(&target).unwrap();
    assert!(first.starts_with(b"open_time,open,high,low,close,volume"));
    assert!(run(&[]).status.success(), "its own output is replaced");
    assert_eq!(std::fs::read(&target).unwrap(), first);
}
