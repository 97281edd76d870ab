//! The one error type of the ingest crate.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong while reading bar files.
///
/// Messages are lowercase and name the file (and line, column and value where there is one).
#[derive(Debug, Error)]
pub enum IngestError {
    /// The file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A directory holds no data files, or no path was given.
    #[error("no data files found in {} (expected .csv, .csv.gz, .gz, .zip, .txt or .tsv files)", path.display())]
    NoDataFiles {
        /// The directory (or `-` when no path was given).
        path: PathBuf,
    },
    /// The file has no bytes (or only whitespace).
    #[error("{}: file is empty", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The file has a header but no data rows.
    #[error("{}: file has a header but no data rows (header: {header:?})", path.display())]
    HeaderOnly {
        /// The file.
        path: PathBuf,
        /// The header line seen.
        header: String,
    },
    /// A `.gz` file is cut short or corrupt.
    #[error("{}: gzip data is truncated or corrupt ({detail})", path.display())]
    BadGzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor found.
        detail: String,
    },
    /// A `.zip` archive could not be read or holds no CSV.
    #[error("{}: cannot read zip archive: {detail}", path.display())]
    BadZip {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The layout of the file was not recognised.
    #[error("{}: unrecognised format: {reason}; header line seen: {header:?}", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The first (header) line as seen, truncated to 200 characters.
        header: String,
        /// Why no format matched.
        reason: String,
    },
    /// A value in a data row could not be read.
    #[error("{}:{line}: column {column}: {value:?} is not {expected}", path.display())]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the (decompressed) file.
        line: usize,
        /// Column name (from the header, or the canonical name when there is none).
        column: String,
        /// The raw text.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A row breaks a validation rule or has the wrong number of fields.
    #[error("{}:{line}: {problem}", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, naming the column and value.
        problem: String,
    },
    /// Two rows have the same open time but different values.
    #[error("conflicting rows for the bar opening at {time}: {}:{first_line} and {}:{second_line} differ (pass --on-conflict first|last to keep one)", first_path.display(), second_path.display())]
    Conflict {
        /// Open time, RFC 3339.
        time: String,
        /// File of the first row.
        first_path: PathBuf,
        /// Line of the first row.
        first_line: usize,
        /// File of the second row.
        second_path: PathBuf,
        /// Line of the second row.
        second_line: usize,
    },
    /// Files disagree on something that cannot be merged (volume unit).
    #[error("{}: {problem}", path.display())]
    Incompatible {
        /// The file that disagrees with the ones before it.
        path: PathBuf,
        /// What differs.
        problem: String,
    },
    /// Every row was skipped in lenient mode, so no bars remain.
    #[error("no valid rows left in {files} file(s) after skipping {skipped} bad row(s)")]
    NoRows {
        /// Files read.
        files: usize,
        /// Rows skipped.
        skipped: usize,
    },
    /// An option value (format name, column map) is malformed.
    #[error("invalid {what} {value:?}: expected {expected}")]
    BadOption {
        /// Which option.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// The merged bars break a series invariant.
    #[error("invalid bar series: {0}")]
    Series(#[from] blocksale_core::CoreError),
}
