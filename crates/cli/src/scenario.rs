//! The scenario a subcommand runs: a TOML file or the built-in Cango scenario, with the flag
//! overrides applied and checked like the file's own values.

use crate::error::{user, UserContext};
use blocksale_backtest::{Override, Scenario, WhatIf};
use clap::Args as ClapArgs;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The default scenario: Cango's 4,451 BTC weekend sale, February 2026.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../data/scenarios/cango-2026-02.toml");
/// Where the default scenario lives in the repository (for messages).
pub const DEFAULT_SCENARIO_PATH: &str = "data/scenarios/cango-2026-02.toml";

/// `--scenario` and the overrides of its keys (flattened into the subcommands that take them).
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct ScenarioArgs {
    /// Scenario TOML file [default: the Cango 2026-02 scenario]
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Set any scenario key for this run, dotted (repeatable): size_btc=10000, side=buy,
    /// schedule.kind=block, market.volume_basis=all, models.sqrt.y=0.6. A run with any override
    /// is a what-if: labelled as one, written to its own folder
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Shorthand for --set size_btc=BTC
    #[arg(long, value_name = "BTC", allow_negative_numbers = true)]
    pub size: Option<f64>,
    /// Shorthand for --set start=TIME (RFC 3339 or YYYY-MM-DD[ HH:MM], UTC)
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Shorthand for --set end=TIME (exclusive)
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
}

/// `--scenario` and `--set` without the sale shorthands (for `sweep`, whose sizes and windows are
/// its grid, and `report`).
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct SetArgs {
    /// Scenario TOML file [default: the Cango 2026-02 scenario]
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Set any scenario key for this run, dotted (repeatable): start=2026-02-08,
    /// market.volume_basis=all, schedule.kind=block, models.sqrt.y=0.6. A run with any override
    /// is a what-if: labelled as one, written to its own folder
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl SetArgs {
    /// The scenario with the overrides applied.
    ///
    /// # Errors
    /// As [`load`].
    pub fn load(&self) -> anyhow::Result<Loaded> {
        load(self.scenario.as_deref(), &self.set)
    }
}

/// A scenario ready to run and what the run changes of its file.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The scenario with the overrides applied and validated.
    pub scenario: Scenario,
    /// The overrides, `None` when the run is the file as written.
    pub what_if: Option<WhatIf>,
}

impl Loaded {
    /// The default output folder: `notebooks-exports/<scenario>/`, and for a what-if a folder
    /// inside it named after its overrides (`what-if-size-10000-end-2026-02-08`), so a what-if
    /// never replaces the real event's outputs.
    pub fn out_dir(&self, flag: Option<PathBuf>) -> PathBuf {
        flag.unwrap_or_else(|| {
            let base = PathBuf::from("notebooks-exports").join(&self.scenario.name);
            match &self.what_if {
                None => base,
                Some(w) => base.join(what_if_folder(w)),
            }
        })
    }
}

/// `what-if-size-10000-end-2026-02-08`: each override's key (its last segment; `size_btc` is
/// `size`) and value, lower case, characters other than letters, digits and dots as `-`.
pub fn what_if_folder(w: &WhatIf) -> String {
    let mut parts = vec!["what-if".to_string()];
    for o in &w.overrides {
        parts.push(key_slug(&o.key));
        parts.push(value_slug(&o.run_value));
    }
    parts.join("-")
}

/// A dotted key in a folder name: its segments joined by `-` (`schedule-kind`), `size_btc` as
/// `size`.
pub fn key_slug(key: &str) -> String {
    match key {
        "size_btc" => "size".to_string(),
        k => value_slug(&k.replace(['.', '_'], "-")),
    }
}

/// A value in a folder name: lower case, characters other than letters, digits and dots as
/// single `-`, none at either end.
pub fn value_slug(x: &str) -> String {
    let mut out = String::new();
    for c in x.to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

impl ScenarioArgs {
    /// The overrides in order: the shorthands first, then `--set` as given.
    pub fn overrides(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(q) = self.size {
            v.push(format!("size_btc={q}"));
        }
        if let Some(t) = &self.start {
            v.push(format!("start={t}"));
        }
        if let Some(t) = &self.end {
            v.push(format!("end={t}"));
        }
        v.extend(self.set.iter().cloned());
        v
    }

    /// The scenario with the overrides applied.
    ///
    /// # Errors
    /// As [`load`].
    pub fn load(&self) -> anyhow::Result<Loaded> {
        load(self.scenario.as_deref(), &self.overrides())
    }
}

/// Read the scenario file (or the built-in default), apply `KEY=VALUE` overrides on its TOML and
/// check the result like the file's own values.
///
/// # Errors
/// A user error (exit 2) for an unreadable or invalid file, a malformed override, an unknown
/// key or a bad value, naming the dotted key, the value and what is allowed.
pub fn load(path: Option<&Path>, sets: &[String]) -> anyhow::Result<Loaded> {
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
    let base: toml::Table =
        toml::from_str(&text).user_err(|| format!("invalid scenario {label}"))?;
    let base_scenario: Scenario =
        toml::from_str(&text).user_err(|| format!("invalid scenario {label}"))?;
    let mut doc = base.clone();
    let mut overrides: Vec<Override> = Vec::new();
    for kv in sets {
        let (key, value) = kv.split_once('=').ok_or_else(|| {
            user(format!(
                "--set {kv:?}: expected KEY=VALUE with a dotted scenario key, e.g. schedule.kind=block"
            ))
        })?;
        let (key, value) = (key.trim(), value.trim());
        let before = lookup(&base, key)?;
        set_key(&mut doc, key, value)?;
        let after = lookup(&doc, key)?;
        overrides.retain(|o| o.key != key);
        if before != after {
            overrides.push(Override {
                key: key.to_string(),
                scenario_value: before.map_or("(default)".into(), |v| show(&v)),
                run_value: value.to_string(),
            });
        }
    }
    if overrides.is_empty() {
        // The file as written (or overrides equal to it): its own errors.
        let s: Scenario =
            Scenario::deserialize(doc).user_err(|| format!("invalid scenario {label}"))?;
        s.validate()
            .user_err(|| format!("invalid scenario {label}"))?;
        crate::data::source_options(&s).user_err(|| format!("invalid scenario {label}"))?;
        return Ok(Loaded {
            scenario: s,
            what_if: None,
        });
    }
    // The file alone must be valid, so an error now comes from an override: name it.
    base_scenario
        .validate()
        .user_err(|| format!("invalid scenario {label}"))?;
    let blame = |msg: &str| -> String {
        let hit = overrides.iter().find(|o| {
            let segs: Vec<&str> = o.key.split('.').collect();
            msg.contains(&o.key)
                || (segs[0] == "models" && msg.contains("models["))
                || segs.iter().any(|seg| msg.contains(&format!("`{seg}`")))
        });
        match (hit, overrides.len()) {
            (Some(o), _) => format!("--set {}={}", o.key, o.run_value),
            (None, 1) => format!("--set {}={}", overrides[0].key, overrides[0].run_value),
            _ => format!(
                "the overrides ({})",
                overrides
                    .iter()
                    .map(|o| format!("{}={}", o.key, o.run_value))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let s: Scenario = Scenario::deserialize(doc).map_err(|e| {
        let msg = e.to_string();
        user(format!(
            "{}: not a key or value of a scenario ({label}): {msg}",
            blame(&msg)
        ))
    })?;
    if let Err(e) = s.validate() {
        let msg = e.to_string();
        return Err(user(format!("{}: {msg}", blame(&msg))));
    }
    if let Err(e) = crate::data::source_options(&s) {
        let msg = e.to_string();
        return Err(user(format!("{}: {msg}", blame(&msg))));
    }
    let what_if = (!overrides.is_empty()).then(|| WhatIf {
        trade_changed: overrides
            .iter()
            .any(|o| WhatIf::TRADE_KEYS.contains(&o.key.as_str())),
        base_scenario: base_scenario.name.clone(),
        base_description: base_scenario.description.clone(),
        overrides,
    });
    Ok(Loaded {
        scenario: s,
        what_if,
    })
}

/// A TOML value for reading: strings without quotes, numbers as written.
fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The entry of `models` a `models.<key>[#n]` segment names.
fn model_entry<'a>(
    models: &'a mut [toml::Value],
    seg: &str,
    key: &str,
) -> anyhow::Result<&'a mut toml::Table> {
    let (name, nth) = match seg.split_once('#') {
        Some((n, k)) => (
            n,
            Some(k.parse::<usize>().ok().filter(|&k| k >= 1).ok_or_else(|| {
                user(format!(
                    "--set {key}: {seg:?} takes #1, #2, ... after the model name"
                ))
            })?),
        ),
        None => (seg, None),
    };
    let present: Vec<String> = models
        .iter()
        .filter_map(|m| m.get("model").and_then(|x| x.as_str()).map(str::to_string))
        .collect();
    let idx: Vec<usize> = present
        .iter()
        .enumerate()
        .filter(|(_, m)| m.as_str() == name)
        .map(|(i, _)| i)
        .collect();
    let pick = match (idx.len(), nth) {
        (0, _) => {
            return Err(user(format!(
                "--set {key}: the scenario has no model {name:?}; its models: {}",
                present.join(", ")
            )))
        }
        (1, None) => idx[0],
        (n, None) => {
            return Err(user(format!(
            "--set {key}: the scenario has {n} {name} models; name one as {name}#1 .. {name}#{n}"
        )))
        }
        (n, Some(k)) => *idx.get(k - 1).ok_or_else(|| {
            user(format!(
                "--set {key}: the scenario has {n} {name} model(s), not #{k}"
            ))
        })?,
    };
    models[pick]
        .as_table_mut()
        .ok_or_else(|| user(format!("--set {key}: that [[models]] entry is not a table")))
}

/// The value at a dotted key (`None` when the file leaves it out).
fn lookup(doc: &toml::Table, key: &str) -> anyhow::Result<Option<toml::Value>> {
    let mut d = doc.clone();
    Ok(walk(&mut d, key, false)?.and_then(|(t, last)| t.get(&last).cloned()))
}

/// The table holding the last segment of `key`, creating tables on the way when `create`.
fn walk<'a>(
    doc: &'a mut toml::Table,
    key: &str,
    create: bool,
) -> anyhow::Result<Option<(&'a mut toml::Table, String)>> {
    let segs: Vec<&str> = key.split('.').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(user(format!(
            "--set {key}: empty segment in the dotted key"
        )));
    }
    let mut t = doc;
    let mut i = 0;
    while i + 1 < segs.len() {
        let seg = segs[i];
        if seg == "models" && i == 0 {
            if segs.len() < 3 {
                return Err(user(format!(
                    "--set {key}: a model key is models.<model>.<parameter>, e.g. models.sqrt.y"
                )));
            }
            let models = t
                .get_mut("models")
                .and_then(|m| m.as_array_mut())
                .ok_or_else(|| user(format!("--set {key}: the scenario has no [[models]]")))?;
            t = model_entry(models, segs[1], key)?;
            i += 2;
            continue;
        }
        if !t.contains_key(seg) {
            if !create {
                return Ok(None);
            }
            t.insert(seg.to_string(), toml::Value::Table(toml::Table::new()));
        }
        t = match t.get_mut(seg) {
            Some(toml::Value::Table(x)) => x,
            Some(toml::Value::Array(_)) => {
                return Err(user(format!(
                    "--set {key}: {} is a list ([[{}]]); edit the scenario file for it",
                    segs[..=i].join("."),
                    segs[..=i].join(".")
                )))
            }
            _ => {
                return Err(user(format!(
                    "--set {key}: {} is a value, not a table",
                    segs[..=i].join(".")
                )))
            }
        };
        i += 1;
    }
    Ok(Some((t, segs[segs.len() - 1].to_string())))
}

/// Set `key` to `value`: a TOML literal (`0.6`, `true`, `"x"`, `[1, 2]`), a string otherwise
/// (`block`, `2026-02-08`); a number where the file has a float becomes a float.
fn set_key(doc: &mut toml::Table, key: &str, value: &str) -> anyhow::Result<()> {
    let (t, last) = walk(doc, key, true)?.expect("created");
    let existing = t.get(&last);
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut x| x.remove("v"));
    let v = match (existing, parsed) {
        (Some(toml::Value::String(_)), _) | (_, None) | (_, Some(toml::Value::Datetime(_))) => {
            toml::Value::String(value.trim_matches('"').to_string())
        }
        (Some(toml::Value::Float(_)), Some(toml::Value::Integer(i))) => {
            toml::Value::Float(i as f64)
        }
        (_, Some(p)) => p,
    };
    t.insert(last, v);
    Ok(())
}
