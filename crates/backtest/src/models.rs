//! The models a sweep or a replay runs: built once from the scenario's specs through the model
//! registry ([`ModelSpec::build`](crate::ModelSpec::build)), filtered by key and named for the
//! outputs; and the progress callback both report through.

use crate::scenario::bad;
use crate::{BacktestError, Scenario};
use blocksale_impact::calibration::Calibration;
use blocksale_impact::models::{BuildContext, BuiltModel};
use serde::Serialize;
use std::collections::BTreeMap;

/// Progress callback `(done, total)`, called from the worker threads.
pub type Progress<'a> = Option<&'a (dyn Fn(usize, usize) + Sync)>;

/// One model of a sweep or a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepModel {
    /// Name used in the rows (the model's own name, `#2` appended to a repeated one).
    pub name: String,
    /// Parameters, unit-bearing names.
    pub params: BTreeMap<String, f64>,
    /// Where the parameters come from.
    pub param_source: String,
    /// What the parameter band is made of.
    pub band: String,
    /// Caveats.
    pub warnings: Vec<String>,
}

/// The built models a sweep or replay runs, filtered by key (`keep`: the scenario's `model` keys,
/// e.g. `sqrt`; `None`: all), in scenario order; a repeated name gets `#2`, `#3`, ...
///
/// # Errors
/// [`BacktestError::Scenario`] for a key the scenario lacks or no model left; whatever building a
/// model returns.
pub(crate) fn built_models(
    s: &Scenario,
    cal: Option<&Calibration>,
    keep: Option<&[String]>,
) -> Result<Vec<(SweepModel, BuiltModel)>, BacktestError> {
    if let Some(k) = keep {
        let have: Vec<&str> = s.models.iter().map(|m| m.key()).collect();
        for name in k {
            if !have.contains(&name.as_str()) {
                return Err(bad(
                    "models",
                    format!("{name:?}"),
                    &format!("one of the scenario's models: {}", have.join(", ")),
                ));
            }
        }
    }
    let ctx = BuildContext {
        decay: Some(s.decay),
        calibration: cal,
    };
    let mut out: Vec<(SweepModel, BuiltModel)> = Vec::new();
    for spec in &s.models {
        if keep.is_some_and(|k| !k.iter().any(|x| x == spec.key())) {
            continue;
        }
        let b = spec.build(&ctx)?;
        let base = b.model.name();
        let seen = out
            .iter()
            .filter(|(m, _)| m.name == base || m.name.starts_with(&format!("{base}#")))
            .count();
        let name = if seen == 0 {
            base
        } else {
            format!("{base}#{}", seen + 1)
        };
        let band = b.band.describe();
        out.push((
            SweepModel {
                name,
                params: b.model.params(),
                param_source: b.param_source.clone(),
                band,
                warnings: b.warnings.clone(),
            },
            b,
        ));
    }
    if out.is_empty() {
        return Err(bad("models", "[]", "at least one model"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::scenario::{LinearSpec, ModelSpec};
    use crate::sweep::sweep;
    use crate::sweep::tests::{input, setup};

    #[test]
    fn model_filter_and_errors() {
        let (s, src) = setup();
        let mut inp = input(&s, &src);
        inp.models = Some(vec!["linear".into(), "sqrt".into()]);
        let r = sweep(&inp, None).unwrap();
        // Scenario order, not flag order.
        let names: Vec<&str> = r.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["sqrt", "linear"]);
        inp.models = Some(vec!["garch".into()]);
        let e = sweep(&inp, None).unwrap_err().to_string();
        assert!(
            e.contains("`models` = \"garch\"") && e.contains("sqrt, power, linear"),
            "{e}"
        );
        let mut inp = input(&s, &src);
        inp.sizes_btc = vec![-1.0];
        assert!(sweep(&inp, None).unwrap_err().to_string().contains("sizes"));
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![0];
        assert!(sweep(&inp, None)
            .unwrap_err()
            .to_string()
            .contains("durations"));
        // Durations that round to the same grid are merged.
        let mut inp = input(&s, &src);
        inp.durations_seconds = vec![3_600, 3_700, 7_200];
        let r = sweep(&inp, None).unwrap();
        assert_eq!(r.durations.len(), 2);
        assert!(r.notes.iter().any(|n| n.contains("merged")));
    }

    #[test]
    fn repeated_model_names_are_numbered() {
        let (mut s, src) = setup();
        s.models = vec![
            ModelSpec::Linear(LinearSpec { k: 1.0 }),
            ModelSpec::Linear(LinearSpec { k: 2.0 }),
        ];
        let r = sweep(&input(&s, &src), None).unwrap();
        assert_eq!(r.models[1].name, "linear#2");
        let (a, b) = (r.cell(2, 1, 0), r.cell(2, 1, 1));
        assert!((b.avg_cost_bps / a.avg_cost_bps - 2.0).abs() < 1e-12);
    }
}
