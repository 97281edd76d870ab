//! Safe output: every file is staged in a temporary folder inside the destination and renamed into
//! place only when all of them were written, so a failed or interrupted run leaves earlier outputs
//! intact; and no output may overwrite an input file.

use crate::error::user;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// `--out DIR`, or the default `notebooks-exports/<scenario>/`.
pub fn out_dir(flag: Option<PathBuf>, scenario: &str) -> PathBuf {
    flag.unwrap_or_else(|| PathBuf::from("notebooks-exports").join(scenario))
}

/// Print the JSON document (with `--json`) or the summary followed by the files written.
pub fn print_result(
    json_flag: bool,
    json: &str,
    summary: impl FnOnce() -> String,
    written: &[PathBuf],
) {
    if json_flag {
        print!("{json}");
    } else {
        print!("{}", summary());
        println!();
        for w in written {
            println!("wrote {}", w.display());
        }
    }
}

/// A set of output files written together.
#[derive(Debug)]
pub struct Staging {
    dest: PathBuf,
    tmp: PathBuf,
    files: Vec<String>,
    inputs: Vec<PathBuf>,
}

impl Staging {
    /// Prepare `dest` (created if missing). `inputs` are files this run read: none may be replaced.
    ///
    /// # Errors
    /// When `dest` cannot be created.
    pub fn new(dest: &Path, inputs: &[PathBuf]) -> anyhow::Result<Self> {
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
        })
    }

    /// Path to write `name` to (inside the staging folder).
    ///
    /// # Errors
    /// A user error when the final path is one of the inputs.
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
        self.files.push(name.to_string());
        Ok(self.tmp.join(name))
    }

    /// Write `bytes` as `name`.
    ///
    /// # Errors
    /// When writing fails.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.path(name)?;
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Move every staged file into place and remove the staging folder. Returns the final paths.
    ///
    /// # Errors
    /// When a rename fails.
    pub fn commit(self) -> anyhow::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for f in &self.files {
            let (from, to) = (self.tmp.join(f), self.dest.join(f));
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
            out.push(to);
        }
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
