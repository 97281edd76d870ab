//! The scenario a subcommand runs: a TOML file or the built-in Cango scenario, with the flag
//! overrides applied and checked like the file's own values.

use crate::error::{user, UserContext};
use blocksale_backtest::Scenario;
use blocksale_core::Timestamp;
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};

/// The default scenario: Cango's 4,451 BTC weekend sale, February 2026.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../data/scenarios/cango-2026-02.toml");
/// Where the default scenario lives in the repository (for messages).
pub const DEFAULT_SCENARIO_PATH: &str = "data/scenarios/cango-2026-02.toml";

/// `--scenario` and the overrides of its sale (flattened into the subcommands that take them).
#[derive(Debug, Clone, ClapArgs)]
pub struct ScenarioArgs {
    /// Scenario TOML file [default: the Cango 2026-02 scenario]
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Override the block size, BTC
    #[arg(long, value_name = "BTC", allow_negative_numbers = true)]
    pub size: Option<f64>,
    /// Override the window start (RFC 3339 or YYYY-MM-DD[ HH:MM], UTC)
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Override the window end (exclusive)
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
}

impl ScenarioArgs {
    /// The scenario with the overrides applied.
    ///
    /// # Errors
    /// As [`load`].
    pub fn load(&self) -> anyhow::Result<Scenario> {
        load(
            self.scenario.as_deref(),
            self.size,
            self.start.as_deref(),
            self.end.as_deref(),
        )
    }
}

/// Read the scenario file (or the built-in default) and apply flag overrides.
pub fn load(
    path: Option<&Path>,
    size: Option<f64>,
    start: Option<&str>,
    end: Option<&str>,
) -> anyhow::Result<Scenario> {
    let (text, label) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .user_err(|| format!("cannot read scenario file {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            DEFAULT_SCENARIO.to_string(),
            DEFAULT_SCENARIO_PATH.to_string(),
        ),
    };
    let mut s: Scenario = toml::from_str(&text).user_err(|| format!("invalid scenario {label}"))?;
    if let Some(q) = size {
        if !(q.is_finite() && q > 0.0) {
            return Err(user(format!("--size {q}: expected a number of BTC > 0")));
        }
        s.size_btc = q;
    }
    if let Some(t) = start {
        s.start = Timestamp::parse_rfc3339(t).user_err(|| "--start".into())?;
    }
    if let Some(t) = end {
        s.end = Timestamp::parse_rfc3339(t).user_err(|| "--end".into())?;
    }
    s.validate()
        .user_err(|| format!("invalid scenario {label}"))?;
    crate::data::source_options(&s).user_err(|| format!("invalid scenario {label}"))?;
    Ok(s)
}
