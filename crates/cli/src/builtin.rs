//! The data extract built into the binary: the bars the built-in Cango scenario reads
//! (`data/README.md` lists each file with its provenance, rows, range and SHA-256).
//!
//! With no `--data` and no `BLOCKSALE_DATA`, the CLI reads this extract. It is embedded (about
//! 1.1 MB of gzipped CSV) rather than looked up beside the executable, so that an installed binary
//! (`cargo install --path crates/cli`, which copies only the executable) runs the main job from any
//! directory, offline. The first run writes the files once into a cache folder named after their
//! content hash (`$XDG_CACHE_HOME/blocksale/extract-<hash>/`, else `~/.cache/...`, else the
//! temporary folder); from then on the extract is an ordinary data folder, read, hashed into the
//! manifest and reported exactly like a user's own `--data` folder. A cached copy whose bytes differ
//! from the embedded ones (edited by hand, say) is written again.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Every file of the extract: path relative to the data folder, gzipped bytes.
pub const FILES: [(&str, &[u8]); 3] = [
    (
        "binance/spot/15m/BTCUSDT_15m.extract.csv.gz",
        include_bytes!("../../../data/binance/spot/15m/BTCUSDT_15m.extract.csv.gz"),
    ),
    (
        "binance/usdm/15m/BTCUSDT_USDM_15m.extract.csv.gz",
        include_bytes!("../../../data/binance/usdm/15m/BTCUSDT_USDM_15m.extract.csv.gz"),
    ),
    (
        "binance/spot/1h/BTCUSDT_1h.extract.csv.gz",
        include_bytes!("../../../data/binance/spot/1h/BTCUSDT_1h.extract.csv.gz"),
    ),
];

/// The first 16 hex digits of the SHA-256 over every file's name and bytes: the cache folder's name.
fn content_tag() -> String {
    let mut h = Sha256::new();
    for (name, bytes) in FILES {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    crate::hash::hex(&h.finalize()[..8])
}

/// The cache root: `$XDG_CACHE_HOME/blocksale`, `$HOME/.cache/blocksale` or the temporary folder.
fn cache_root() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("blocksale")
}

/// True when `dir` holds every file of the extract with exactly the embedded bytes.
fn complete(dir: &Path) -> bool {
    FILES.iter().all(|(name, bytes)| {
        std::fs::read(dir.join(name)).is_ok_and(|on_disk| on_disk.as_slice() == *bytes)
    })
}

/// True when `dir` is the folder [`data_dir`] returns (for messages).
pub fn is_extract_dir(dir: &Path) -> bool {
    dir.parent() == Some(cache_root().as_path())
        && dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("extract-"))
}

/// The folder holding the extract, written on first use.
///
/// # Errors
/// When the cache folder cannot be created or written (the message names it).
pub fn data_dir() -> anyhow::Result<PathBuf> {
    materialise(&cache_root())
}

/// Write the extract under `root` (once) and return its folder.
fn materialise(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join(format!("extract-{}", content_tag()));
    if complete(&dir) {
        return Ok(dir);
    }
    // Write a fresh copy beside it and move it into place, so a reader never sees half a file
    // and two first runs at once both end with a complete folder.
    std::fs::create_dir_all(root)
        .with_context(|| format!("cannot create the cache folder {}", root.display()))?;
    let tmp = root.join(format!(
        ".extract-{}-{}.tmp",
        content_tag(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    for (name, bytes) in FILES {
        let p = tmp.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if dir.exists() && !complete(&dir) {
        // A damaged earlier copy: replace it.
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot replace the damaged copy {}", dir.display()))?;
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another run finished first: use its copy.
        Err(_) if complete(&dir) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e).with_context(|| format!("cannot move the data extract into {}", dir.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex SHA-256 of bytes.
    fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn extract_is_written_once_and_repaired() {
        let root = tempfile::tempdir().unwrap();
        let dir = materialise(root.path()).unwrap();
        assert!(complete(&dir));
        for (name, bytes) in FILES {
            let on_disk = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(sha256_hex(&on_disk), sha256_hex(bytes), "{name}");
        }
        // A second call reuses the folder.
        assert_eq!(materialise(root.path()).unwrap(), dir);
        // A damaged copy is written again.
        std::fs::write(dir.join(FILES[0].0), b"edited").unwrap();
        assert!(!complete(&dir));
        assert_eq!(materialise(root.path()).unwrap(), dir);
        assert!(complete(&dir));
        // No temporary folder is left behind.
        let left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn embedded_files_match_the_repository_extract() {
        // The data/README.md table lists these hashes; the files in data/ are what is embedded.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        for (name, bytes) in FILES {
            assert_eq!(std::fs::read(root.join(name)).unwrap(), bytes, "{name}");
            let hex = sha256_hex(bytes);
            assert!(
                readme.contains(&hex),
                "data/README.md lacks {name}'s SHA-256 {hex}"
            );
        }
    }
}
