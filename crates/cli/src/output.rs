//! Safe output: every file is staged in a temporary folder inside the destination and renamed into
//! place only when all of them were written, so a failed or interrupted run leaves earlier outputs
//! intact; no output may overwrite an input file; and a file blocksale did not write itself is never
//! replaced without `--force`. What blocksale wrote in a folder is listed in its [`RECORD`] file.

use crate::error::user;
use anyhow::Context;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Hidden file listing, one name per line, the files blocksale has written in its folder. Only
/// those are replaced by a later run without `--force`.
pub const RECORD: &str = ".blocksale-outputs";

/// Names blocksale wrote in `dir`: those in its [`RECORD`], and for folders written before the record
/// existed, the outputs listed by a blocksale `manifest.json`.
pub fn written_by_blocksale(dir: &Path) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    if let Ok(s) = std::fs::read_to_string(dir.join(RECORD)) {
        set.extend(s.lines().filter(|l| !l.is_empty()).map(String::from));
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
    if let Some(m) = manifest {
        if m["tool"]
            .as_str()
            .is_some_and(|t| t.starts_with("blocksale "))
        {
            if let Some(a) = m["outputs"].as_array() {
                set.extend(a.iter().filter_map(|x| x.as_str()).map(String::from));
            }
        }
    }
    set
}

/// Refuse to replace `dir/name` unless it is absent, written by blocksale (in `owned`) or `force`.
///
/// # Errors
/// A user error naming the file, why, and the ways out.
pub fn check_replace(
    dir: &Path,
    name: &str,
    owned: &BTreeSet<String>,
    force: bool,
) -> anyhow::Result<()> {
    let fin = dir.join(name);
    let Ok(meta) = fin.symlink_metadata() else {
        return Ok(());
    };
    if meta.is_dir() {
        return Err(user(format!(
            "cannot write {}: a folder of that name exists",
            fin.display()
        )));
    }
    if force || owned.contains(name) {
        return Ok(());
    }
    Err(user(format!(
        "refusing to replace {}: blocksale did not write it (it is not listed in {}); move it, \
         choose another output path, or pass --force",
        fin.display(),
        dir.join(RECORD).display()
    )))
}

/// Write `dir`'s [`RECORD`]: `known` (what blocksale wrote there before, from
/// [`written_by_blocksale`]) and `names` (written to a temporary file and renamed into place).
///
/// # Errors
/// When the record cannot be written.
pub fn record(
    dir: &Path,
    mut known: BTreeSet<String>,
    names: impl IntoIterator<Item = String>,
) -> anyhow::Result<()> {
    known.extend(names);
    let set = known;
    let mut text = String::new();
    for n in &set {
        text.push_str(n);
        text.push('\n');
    }
    let tmp = dir.join(format!("{RECORD}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, dir.join(RECORD)))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow::anyhow!("cannot write {}: {e}", dir.join(RECORD).display())
        })
}

/// `--out DIR`, or the default `notebooks-exports/<scenario>/`.
pub fn out_dir(flag: Option<PathBuf>, scenario: &str) -> PathBuf {
    flag.unwrap_or_else(|| PathBuf::from("notebooks-exports").join(scenario))
}

/// Write to stdout, the one way the CLI does. A closed pipe (`blocksale backtest | head`) is not
/// an error: the reader has what it wanted, and the program ends quietly with status 0, as
/// ripgrep does (Rust ignores SIGPIPE, so the write returns `BrokenPipe` instead of killing us).
///
/// # Errors
/// Any other write error (a full disk behind a redirect).
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut w = std::io::stdout().lock();
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to stdout"),
    }
}

/// Print the JSON document (with `--json`) or the summary followed by the files written.
///
/// # Errors
/// As [`print_stdout`].
pub fn print_result(
    json_flag: bool,
    json: &str,
    summary: impl FnOnce() -> String,
    written: &[PathBuf],
) -> anyhow::Result<()> {
    if json_flag {
        return print_stdout(json);
    }
    let mut text = summary();
    text.push('\n');
    for w in written {
        text.push_str(&format!("wrote {}\n", w.display()));
    }
    print_stdout(&text)
}

/// The shared end of `sweep` and `replay`: run `compute` with a progress bar, name the scenario
/// and the data folder in its error, write `<stem>.json` and `<stem>.csv` together into the
/// output folder, and print the summary (or the JSON with `--json`).
#[derive(Debug)]
pub struct RunTail<'a> {
    /// File stem and progress label: `sweep`, `replay`.
    pub stem: &'a str,
    /// The scenario's name (default output folder, error context).
    pub scenario: &'a str,
    /// The data folder read (error context).
    pub data_dir: &'a Path,
    /// Files read: none may be replaced.
    pub inputs: &'a [PathBuf],
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--force`.
    pub force: bool,
}

/// What stops a streamed computation: its own error (the user's, given context) or a failed write.
#[derive(Debug)]
pub enum StreamError<E> {
    /// The computation's error.
    Compute(E),
    /// Writing the stream failed.
    Write(anyhow::Error),
}

impl<E> From<E> for StreamError<E> {
    fn from(e: E) -> Self {
        StreamError::Compute(e)
    }
}

impl RunTail<'_> {
    /// A streamed computation's result: a write error as it is, the computation's own error as a
    /// user error naming the output, the scenario and the data folder.
    fn streamed<R, E: std::fmt::Display>(&self, r: Result<R, StreamError<E>>) -> anyhow::Result<R> {
        r.map_err(|e| match e {
            StreamError::Write(e) => e,
            StreamError::Compute(e) => crate::error::user(format!(
                "{} of scenario {} on data in {}: {e}",
                self.stem,
                self.scenario,
                self.data_dir.display()
            )),
        })
    }

    /// Compute while streaming `<stem>.csv` into the staging folder (through a buffered writer:
    /// memory stays flat however many rows), then write `<stem>.json` from the document `compute`
    /// returns, move both into place together and print the summary (or the JSON with `--json`).
    /// A failed run leaves no partial file behind.
    ///
    /// # Errors
    /// The computation's error as a user error with context; an output error.
    pub fn run_streamed<R: serde::Serialize, E: std::fmt::Display>(
        self,
        compute: impl FnOnce(
            &(dyn Fn(usize, usize) + Sync),
            &mut dyn FnMut(&[u8]) -> Result<(), StreamError<E>>,
        ) -> Result<R, StreamError<E>>,
        summary: impl FnOnce(&R) -> String,
    ) -> anyhow::Result<()> {
        use std::io::Write;
        let out = out_dir(self.out.clone(), self.scenario);
        let mut stage = Staging::new(&out, self.inputs, self.force)?;
        let csv_path = stage.path(&format!("{}.csv", self.stem))?;
        let file = std::fs::File::create(&csv_path)
            .with_context(|| format!("cannot write {}", csv_path.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let pb = crate::progress::bar(0, self.stem, self.quiet);
        let tick = crate::progress::ticker(&pb);
        // BLOCKSALE_TIMING=1: how long this thread spent writing the CSV (the computation runs
        // on other threads meanwhile), on stderr; for scripts/bench-scale.sh.
        let timing = std::env::var_os("BLOCKSALE_TIMING").is_some_and(|v| v == "1");
        let started = std::time::Instant::now();
        let (mut writing, mut bytes_out) = (std::time::Duration::ZERO, 0u64);
        let mut sink = |bytes: &[u8]| -> Result<(), StreamError<E>> {
            let t = timing.then(std::time::Instant::now);
            let r = w.write_all(bytes).map_err(|e| {
                StreamError::Write(anyhow::anyhow!("cannot write {}: {e}", csv_path.display()))
            });
            if let Some(t) = t {
                writing += t.elapsed();
                bytes_out += bytes.len() as u64;
            }
            r
        };
        let result = self.streamed(compute(&tick, &mut sink))?;
        pb.finish_and_clear();
        let t = std::time::Instant::now();
        w.flush()
            .with_context(|| format!("cannot write {}", csv_path.display()))?;
        drop(w);
        if timing {
            writing += t.elapsed();
            let total = started.elapsed().as_secs_f64();
            eprintln!(
                "timing: {}.csv {bytes_out} bytes in {total:.3} s; this thread writing {:.3} s, waiting for the computation {:.3} s",
                self.stem,
                writing.as_secs_f64(),
                total - writing.as_secs_f64()
            );
        }
        let mut json = serde_json::to_string_pretty(&result)?;
        json.push('\n');
        stage.write(&format!("{}.json", self.stem), json.as_bytes())?;
        let written = stage.commit()?;
        print_result(self.json, &json, || summary(&result), &written)
    }
}

/// The members of a JSON array streamed one at a time, in the bytes `serde_json`'s pretty printer
/// gives them as the value of a top-level key of a document (two-space indent: each member on its
/// own lines, four spaces in).
#[derive(Debug, Default)]
pub struct JsonMembers {
    started: bool,
    item: Vec<u8>,
}

impl JsonMembers {
    /// Append `x` as the next member (its separator first) to `out`.
    ///
    /// # Errors
    /// When `x` does not serialize.
    pub fn push(&mut self, out: &mut Vec<u8>, x: &impl serde::Serialize) -> serde_json::Result<()> {
        self.item.clear();
        serde_json::to_writer_pretty(&mut self.item, x)?;
        out.extend_from_slice(if self.started { b",\n    " } else { b"\n    " });
        self.started = true;
        // Strings never hold a raw newline (JSON escapes it): every newline starts a line.
        for (i, line) in self.item.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\n    ");
            }
            out.extend_from_slice(line);
        }
        Ok(())
    }
}

impl RunTail<'_> {
    /// [`RunTail::run_streamed`] for a document with one array too long to hold (`rows` of a
    /// replay): `compute` streams `<stem>.csv` and the array's members ([`JsonMembers`]) to its
    /// sink, and returns the document with that array empty. `<stem>.json` is then written as
    /// that document with the streamed members in place of the empty array: the bytes
    /// `serde_json::to_string_pretty` gives for the whole document. Memory stays flat; with
    /// `--json` the file is copied to stdout.
    ///
    /// # Errors
    /// The computation's error as a user error with context; an output error.
    pub fn run_streamed_array<R: serde::Serialize, T: serde::Serialize, E: std::fmt::Display>(
        self,
        key: &str,
        compute: impl FnOnce(
            &(dyn Fn(usize, usize) + Sync),
            &mut dyn FnMut(&[u8], &[T]) -> Result<(), StreamError<E>>,
        ) -> Result<R, StreamError<E>>,
        summary: impl FnOnce(&R) -> String,
    ) -> anyhow::Result<()> {
        use std::io::Write;
        let out = out_dir(self.out.clone(), self.scenario);
        let mut stage = Staging::new(&out, self.inputs, self.force)?;
        // Staged in this order: the files move into place (and are listed) json first, as the
        // unstreamed run did.
        let json_path = stage.path(&format!("{}.json", self.stem))?;
        let csv_path = stage.path(&format!("{}.csv", self.stem))?;
        let members_path = stage.scratch(&format!("{}.{key}.json", self.stem));
        let create = |p: &Path| {
            std::fs::File::create(p)
                .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
                .with_context(|| format!("cannot write {}", p.display()))
        };
        let (mut csv_w, mut members_w) = (create(&csv_path)?, create(&members_path)?);
        let (mut members, mut text) = (JsonMembers::default(), Vec::new());
        let pb = crate::progress::bar(0, self.stem, self.quiet);
        let tick = crate::progress::ticker(&pb);
        // BLOCKSALE_TIMING=1: how long this thread spent formatting and writing (the computation
        // runs on other threads meanwhile), on stderr; for scripts/bench-scale.sh.
        let timing = std::env::var_os("BLOCKSALE_TIMING").is_some_and(|v| v == "1");
        let started = std::time::Instant::now();
        let mut writing = std::time::Duration::ZERO;
        let mut sink = |csv: &[u8], rows: &[T]| -> Result<(), StreamError<E>> {
            let t = timing.then(std::time::Instant::now);
            text.clear();
            for r in rows {
                members
                    .push(&mut text, r)
                    .map_err(|e| StreamError::Write(e.into()))?;
            }
            let r = csv_w
                .write_all(csv)
                .with_context(|| format!("cannot write {}", csv_path.display()))
                .and_then(|()| {
                    members_w
                        .write_all(&text)
                        .with_context(|| format!("cannot write {}", members_path.display()))
                })
                .map_err(StreamError::Write);
            if let Some(t) = t {
                writing += t.elapsed();
            }
            r
        };
        let result = self.streamed(compute(&tick, &mut sink))?;
        pb.finish_and_clear();
        csv_w
            .flush()
            .with_context(|| format!("cannot write {}", csv_path.display()))?;
        members_w
            .flush()
            .with_context(|| format!("cannot write {}", members_path.display()))?;
        drop((csv_w, members_w));
        let any_member = members.started;
        // The document with its empty array, then the members spliced in.
        let mut doc = serde_json::to_string_pretty(&result)?;
        doc.push('\n');
        let empty = format!("\n  \"{key}\": []");
        let at = doc.find(&empty).with_context(|| {
            format!("the {} document has no empty top-level {key:?}", self.stem)
        })? + empty.len()
            - 1;
        let write_doc = || -> std::io::Result<()> {
            let mut w =
                std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&json_path)?);
            if any_member {
                w.write_all(&doc.as_bytes()[..at])?;
                std::io::copy(&mut std::fs::File::open(&members_path)?, &mut w)?;
                w.write_all(b"\n  ")?;
                w.write_all(&doc.as_bytes()[at..])?;
            } else {
                w.write_all(doc.as_bytes())?;
            }
            w.flush()
        };
        let t = std::time::Instant::now();
        write_doc().with_context(|| format!("cannot write {}", json_path.display()))?;
        let _ = std::fs::remove_file(&members_path);
        if timing {
            eprintln!(
                "timing: {} in {:.3} s; this thread formatting and writing rows {:.3} s, waiting for the computation {:.3} s, assembling {}.json {:.3} s",
                self.stem,
                started.elapsed().as_secs_f64(),
                writing.as_secs_f64(),
                (t - started).as_secs_f64() - writing.as_secs_f64(),
                self.stem,
                t.elapsed().as_secs_f64(),
            );
        }
        let written = stage.commit()?;
        if self.json {
            let json = out.join(format!("{}.json", self.stem));
            let copy = || -> std::io::Result<()> {
                let mut w = std::io::stdout().lock();
                std::io::copy(&mut std::fs::File::open(&json)?, &mut w)?;
                w.flush()
            };
            return match copy() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to stdout"),
            };
        }
        print_result(false, "", || summary(&result), &written)
    }
}

/// A set of output files written together.
#[derive(Debug)]
pub struct Staging {
    dest: PathBuf,
    tmp: PathBuf,
    files: Vec<String>,
    inputs: Vec<PathBuf>,
    /// Files blocksale wrote in `dest` earlier (replaced freely).
    owned: BTreeSet<String>,
    /// `--force`: replace other files too.
    force: bool,
}

impl Staging {
    /// Prepare `dest` (created if missing). `inputs` are files this run read: none may be replaced.
    /// Files blocksale did not write are replaced only with `force`.
    ///
    /// # Errors
    /// When `dest` cannot be created.
    pub fn new(dest: &Path, inputs: &[PathBuf], force: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create output folder {}", dest.display()))?;
        remove_stale_staging(dest);
        let tmp = dest.join(format!(".blocksale-tmp-{}", std::process::id()));
        std::fs::create_dir_all(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let inputs = inputs
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        Ok(Self {
            dest: dest.to_path_buf(),
            tmp,
            files: Vec::new(),
            inputs,
            owned: written_by_blocksale(dest),
            force,
        })
    }

    /// Path to write `name` to (inside the staging folder).
    ///
    /// # Errors
    /// A user error when the final path is one of the inputs, a folder, or a file blocksale did not
    /// write (without `--force`).
    pub fn path(&mut self, name: &str) -> anyhow::Result<PathBuf> {
        let fin = self.dest.join(name);
        if let Ok(c) = fin.canonicalize() {
            if self.inputs.contains(&c) {
                return Err(user(format!(
                    "refusing to write {} over an input file",
                    fin.display()
                )));
            }
        }
        check_replace(&self.dest, name, &self.owned, self.force)?;
        self.files.push(name.to_string());
        Ok(self.tmp.join(name))
    }

    /// Path of a working file `name` in the staging folder, never moved into place (remove it
    /// before [`Staging::commit`]; a failed run's staging folder goes with it).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// Write `bytes` as `name`.
    ///
    /// # Errors
    /// When writing fails.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.path(name)?;
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Move every staged file into place, list them in the folder's [`RECORD`] and remove the
    /// staging folder. Returns the final paths.
    ///
    /// # Errors
    /// When a rename fails.
    pub fn commit(mut self) -> anyhow::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for f in &self.files {
            let (from, to) = (self.tmp.join(f), self.dest.join(f));
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
            out.push(to);
        }
        record(
            &self.dest,
            std::mem::take(&mut self.owned),
            self.files.iter().cloned(),
        )?;
        let _ = std::fs::remove_dir(&self.tmp);
        Ok(out)
    }
}

/// Remove staging folders left by runs that were killed (their process no longer exists). A folder
/// of a live process, or any folder when process liveness cannot be told, is left alone.
fn remove_stale_staging(dest: &Path) {
    let Ok(entries) = std::fs::read_dir(dest) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".blocksale-tmp-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let proc_root = Path::new("/proc");
        if pid != std::process::id()
            && proc_root.join("self").exists()
            && !proc_root.join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // After commit the folder is empty and gone; after a failure it holds partial files: remove them.
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}
