//! `manifest.json`: what produced a set of outputs (tool version, command, scenario, inputs with
//! their SHA-256, seed), so a result can be traced and reproduced.

use anyhow::Context;
use blocksale_backtest::Scenario;
use serde::Serialize;
use std::path::PathBuf;

/// Layout version of the manifest.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// One input file.
#[derive(Debug, Serialize)]
pub struct InputFile {
    /// Path as the scenario names it (relative to the data directory).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// The manifest document.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// `blocksale <version>`.
    pub tool: String,
    /// The subcommand that wrote the outputs.
    pub command: String,
    /// The scenario after flag overrides.
    pub scenario: &'a Scenario,
    /// Seeds of every random draw (the calibration bootstrap), if any.
    pub seed: Option<u64>,
    /// Inputs, in the order read.
    pub inputs: Vec<InputFile>,
    /// Output files written next to the manifest.
    pub outputs: Vec<String>,
}

/// Build the manifest JSON (pretty, trailing newline) for `files` (relative names and opened paths).
///
/// # Errors
/// When an input cannot be read.
pub fn manifest_json(
    command: &str,
    scenario: &Scenario,
    files: &[(String, PathBuf)],
    outputs: &[&str],
) -> anyhow::Result<String> {
    let mut inputs = Vec::with_capacity(files.len());
    for (rel, abs) in files {
        let (sha256, bytes) = crate::hash::sha256_file(abs)
            .with_context(|| format!("cannot read {}", abs.display()))?;
        inputs.push(InputFile {
            path: rel.clone(),
            bytes,
            sha256,
        });
    }
    let m = Manifest {
        schema_version: MANIFEST_SCHEMA_VERSION,
        tool: format!("blocksale {}", env!("CARGO_PKG_VERSION")),
        command: command.to_string(),
        scenario,
        seed: scenario.calibration.as_ref().map(|c| c.seed),
        inputs,
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
    };
    let mut s = serde_json::to_string_pretty(&m)?;
    s.push('\n');
    Ok(s)
}
