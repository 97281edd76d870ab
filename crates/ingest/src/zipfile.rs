//! Zip archives (the Binance archive ships `.zip` files holding one CSV).

use crate::IngestError;
use std::path::Path;

/// Extract the CSV member of a zip archive.
pub fn unzip(path: &Path, _raw: &[u8]) -> Result<Vec<u8>, IngestError> {
    Err(IngestError::BadZip {
        path: path.to_path_buf(),
        detail: "zip support is not built yet".into(),
    })
}
