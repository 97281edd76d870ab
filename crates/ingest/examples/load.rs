//! Load files or directories and print the `inspect` summary; used to time the library alone.
//!
//! ```text
//! export CARGO_TARGET_DIR=/work/target
//! cargo run --release -p blocksale-ingest --example load -- ../shared/data/binance/spot/1m
//! ```
use blocksale_ingest::{load_paths, ReadOptions};
use std::time::Instant;

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let t0 = Instant::now();
    let marks = std::sync::Mutex::new(Vec::new());
    let progress = |done: usize, _total: usize| {
        if let Ok(mut m) = marks.lock() {
            m.push((done, t0.elapsed().as_secs_f64()));
        }
    };
    match load_paths(&paths, &ReadOptions::default(), Some(&progress)) {
        Ok(l) => {
            let s = &l.series;
            println!(
                "files {} rows {} first {} last {} bar_seconds {} gaps {} missing {} duplicates_dropped {} rows_skipped {}",
                l.files.len(),
                l.rows,
                s.first_time().map(|t| t.to_rfc3339()).unwrap_or_default(),
                s.last_time().map(|t| t.to_rfc3339()).unwrap_or_default(),
                s.bar_seconds(),
                l.gaps.len(),
                l.missing_bars(),
                l.duplicates_dropped,
                l.rows_skipped
            );
            for g in l.gaps.iter().take(5) {
                println!("gap {} .. {} ({} bars)", g.start, g.end, g.missing_bars);
            }
            let f = &l.files[0];
            println!(
                "first file {} format {} unit {}",
                f.path.display(),
                f.format,
                f.time_unit
            );
            let m = marks.lock().map(|m| m.clone()).unwrap_or_default();
            if let (Some(first), Some(last)) = (m.first(), m.last()) {
                eprintln!(
                    "first file read at {:.3} s, last at {:.3} s, merged series at {:.3} s",
                    first.1,
                    last.1,
                    t0.elapsed().as_secs_f64()
                );
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
