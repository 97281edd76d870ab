//! Building the impact models a scenario names, with the alternatives that form their bands.

use crate::scenario::{ModelSpec, ParamSource};
use crate::BacktestError;
use blocksale_impact::calibration::Calibration;
use blocksale_impact::models::{Athl, ExpKernel, Kyle, Linear, PowerLaw, Propagator};
use blocksale_impact::uncertainty::ParamRange;
use blocksale_impact::{Decay, ImpactModel};

/// A model ready to run, with what its band is made of.
#[derive(Debug)]
pub struct BuiltModel {
    /// The central model.
    pub model: Box<dyn ImpactModel>,
    /// Alternative parameterisations whose envelope is the parameter band (empty: none).
    pub alternatives: Vec<Box<dyn ImpactModel>>,
    /// Relative prefactor range `(low, high)` as the parameter band, when the model scales linearly
    /// in one parameter (Kyle's lambda, the propagator's prefactor).
    pub prefactor_range: Option<(f64, f64)>,
    /// Where the parameters come from, in words.
    pub param_source: String,
    /// Caveats.
    pub warnings: Vec<String>,
}

type SpecError = (String, String, String);

fn pos(key: &str, v: f64) -> Result<(), SpecError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((key.into(), v.to_string(), "a finite number > 0".into()))
    }
}

/// Range checks of one model spec: `(key, value, expected)` on failure.
pub(crate) fn check_spec(spec: &ModelSpec) -> Result<(), SpecError> {
    match *spec {
        ModelSpec::Sqrt { y, .. } => pos("y", y),
        ModelSpec::Power { y, delta, .. } => {
            pos("y", y)?;
            if !(delta.is_finite() && delta > 0.0 && delta <= 1.0) {
                return Err((
                    "delta".into(),
                    delta.to_string(),
                    "a number in (0, 1]".into(),
                ));
            }
            Ok(())
        }
        ModelSpec::Linear { k } => pos("k", k),
        ModelSpec::Kyle {
            lambda_per_btc,
            params,
        } => match (lambda_per_btc, params) {
            (Some(l), _) => pos("lambda_per_btc", l),
            (None, ParamSource::Calibrated) => Ok(()),
            (None, _) => Err((
                "lambda_per_btc".into(),
                "missing".into(),
                "a value, or params = \"calibrated\"".into(),
            )),
        },
        ModelSpec::Athl {
            gamma,
            eta,
            outstanding_btc,
        } => {
            pos("gamma", gamma)?;
            pos("eta", eta)?;
            pos("outstanding_btc", outstanding_btc)
        }
        ModelSpec::ExpDecay {
            eta_per_btc,
            half_life_days,
            params,
        } => {
            pos("half_life_days", half_life_days)?;
            match (eta_per_btc, params) {
                (Some(e), _) => pos("eta_per_btc", e),
                (None, ParamSource::Calibrated) => Ok(()),
                (None, _) => Err((
                    "eta_per_btc".into(),
                    "missing".into(),
                    "a value, or params = \"calibrated\"".into(),
                )),
            }
        }
        ModelSpec::SqrtPropagator { kernel_exponent } => {
            if !(kernel_exponent.is_finite() && kernel_exponent > 0.0 && kernel_exponent < 1.0) {
                return Err((
                    "kernel_exponent".into(),
                    kernel_exponent.to_string(),
                    "a number in (0, 1)".into(),
                ));
            }
            Ok(())
        }
    }
}

fn need_cal(c: Option<&Calibration>) -> Result<&Calibration, BacktestError> {
    c.ok_or_else(|| {
        BacktestError::Coverage(
            "a calibrated model needs the scenario's [calibration] to run".into(),
        )
    })
}

/// Relative range of the literature's `Y` around 0.9 (95 %: 0.9 +/- 1.96 x 0.35).
fn literature_y_factors() -> (f64, f64) {
    let r = ParamRange::literature();
    (r.y.0 / 0.9, r.y.1 / 0.9)
}

fn kyle_factors(c: &Calibration) -> (f64, f64) {
    let k = &c.kyle;
    (
        (k.ci95_low / k.lambda_per_btc).clamp(0.0, 1.0),
        (k.ci95_high / k.lambda_per_btc).max(1.0),
    )
}

/// A coefficient, its relative range (if any) and where it comes from.
type Coefficient = (f64, Option<(f64, f64)>, &'static str);

/// A linear coefficient per BTC (Kyle's lambda, the exponential kernel's eta): the given value, or
/// the calibrated Kyle lambda with its Newey-West interval as a relative range.
///
/// # Errors
/// A missing calibration, or a calibrated lambda that is not positive (the bars show no price
/// response to net flow, so a linear model cannot price the sale).
fn per_btc_coefficient(
    params: ParamSource,
    given: Option<f64>,
    cal: Option<&Calibration>,
    calibrated_source: &'static str,
) -> Result<Coefficient, BacktestError> {
    let (value, range, src) = match (params, given) {
        (ParamSource::Calibrated, _) => {
            let c = need_cal(cal)?;
            (
                c.kyle.lambda_per_btc,
                Some(kyle_factors(c)),
                calibrated_source,
            )
        }
        (_, Some(v)) => (v, None, "given"),
        (_, None) => unreachable!("validated: a value or params = calibrated"),
    };
    if !(value.is_finite() && value > 0.0) {
        return Err(BacktestError::Coverage(format!(
            "the calibrated Kyle lambda is {value:.3e} per BTC: not positive, so a linear model cannot price a sale on these bars"
        )));
    }
    Ok((value, range, src))
}

/// Build the model `spec` with `decay` after the sale, using `cal` for calibrated parameters.
///
/// # Errors
/// [`BacktestError`] for out-of-range parameters or a missing calibration.
pub fn build(
    spec: &ModelSpec,
    decay: Decay,
    cal: Option<&Calibration>,
) -> Result<BuiltModel, BacktestError> {
    let plain = |model: Box<dyn ImpactModel>, src: &str| BuiltModel {
        warnings: model.warnings(),
        model,
        alternatives: Vec::new(),
        prefactor_range: None,
        param_source: src.into(),
    };
    Ok(match *spec {
        ModelSpec::Sqrt { y, params } | ModelSpec::Power { y, params, .. } => {
            let delta = match *spec {
                ModelSpec::Power { delta, .. } => delta,
                _ => 0.5,
            };
            match params {
                ParamSource::Given => plain(
                    Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
                    "given",
                ),
                ParamSource::Literature => {
                    let mut r = ParamRange::literature();
                    if matches!(spec, ModelSpec::Sqrt { .. }) {
                        r.delta = (0.5, 0.5);
                    }
                    let (fy0, fy1) = (r.y.0 / 0.9, r.y.1 / 0.9);
                    r.y = (y * fy0, y * fy1);
                    let alts = r.power_law_corners(decay)?;
                    BuiltModel {
                        model: Box::new(PowerLaw::new_checked(y, delta)?.with_decay(decay)?),
                        alternatives: alts
                            .into_iter()
                            .map(|m| Box::new(m) as Box<dyn ImpactModel>)
                            .collect(),
                        prefactor_range: None,
                        param_source: r.source.to_string(),
                        warnings: Vec::new(),
                    }
                }
                ParamSource::Calibrated => {
                    let c = need_cal(cal)?;
                    let (d, yy) = (c.curve.exponent.estimate, c.curve.prefactor_y.estimate);
                    let r = ParamRange::from_calibration(c);
                    let alts = r.power_law_corners(decay)?;
                    let mut w = vec![c.note.clone()];
                    w.extend(c.warning.clone());
                    BuiltModel {
                        model: Box::new(
                            PowerLaw::new_checked(yy, d.clamp(1e-6, 1.0))?.with_decay(decay)?,
                        ),
                        alternatives: alts
                            .into_iter()
                            .map(|m| Box::new(m) as Box<dyn ImpactModel>)
                            .collect(),
                        prefactor_range: None,
                        param_source: r.source.into(),
                        warnings: w,
                    }
                }
            }
        }
        ModelSpec::Linear { k } => plain(
            Box::new(Linear::new_checked(k)?.with_decay(decay)?),
            "given (no published range: timing risk only)",
        ),
        ModelSpec::Kyle {
            lambda_per_btc,
            params,
        } => {
            let (lambda, range, src) = per_btc_coefficient(
                params,
                lambda_per_btc,
                cal,
                "calibrated: Newey-West 95 % interval",
            )?;
            let m = Kyle::new_checked(lambda)?.with_decay(decay)?;
            BuiltModel {
                warnings: m.warnings(),
                model: Box::new(m),
                alternatives: Vec::new(),
                prefactor_range: range,
                param_source: src.into(),
            }
        }
        ModelSpec::Athl {
            gamma,
            eta,
            outstanding_btc,
        } => {
            let m = Athl::new_checked(gamma, eta, outstanding_btc)?.with_decay(decay)?;
            plain(
                Box::new(m),
                "literature: 2005 US-equity constants (extrapolation)",
            )
        }
        ModelSpec::ExpDecay {
            eta_per_btc,
            half_life_days,
            params,
        } => {
            let (eta, range, src) = per_btc_coefficient(
                params,
                eta_per_btc,
                cal,
                "calibrated: eta = Kyle lambda, its 95 % interval; half-life given",
            )?;
            let m = ExpKernel::from_half_life(eta, half_life_days)?;
            // The kernel's own decay unless the scenario asks for a plateau or permanence.
            let m = if decay == Decay::Full {
                m
            } else {
                m.with_decay(decay)?
            };
            BuiltModel {
                warnings: m.warnings(),
                model: Box::new(m),
                alternatives: Vec::new(),
                prefactor_range: range,
                param_source: src.into(),
            }
        }
        ModelSpec::SqrtPropagator { kernel_exponent } => {
            let m = Propagator::new_checked(0.75, 0.5, kernel_exponent)?;
            let m = if decay == Decay::Full {
                m
            } else {
                m.with_decay(decay)?
            };
            BuiltModel {
                warnings: m.warnings(),
                model: Box::new(m),
                alternatives: Vec::new(),
                prefactor_range: Some(literature_y_factors()),
                param_source: "derived (SCIENCE.md 3.3); band: the literature range of Y".into(),
            }
        }
    })
}
