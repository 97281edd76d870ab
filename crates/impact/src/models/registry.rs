//! The one registration of every model a scenario's `[[models]]` entry or `blocksale model` can
//! name.
//!
//! A model is registered by its *spec*: a serde struct in the model's own file
//! (`deny_unknown_fields`, defaults from the model type's named constants) that implements
//! [`ModelEntry`] (range checks, building with the parameter band), plus one line in the
//! `register_models!` block of `models/mod.rs` giving its key. The macro generates [`ModelSpec`]
//! (the serde enum tagged by `model = "<key>"`) and its dispatch, so scenario parsing
//! ([`ModelSpec`]'s `Deserialize`), validation ([`ModelSpec::check`]), building
//! ([`ModelSpec::build`]), sweep keys ([`ModelSpec::key`]) and `blocksale model` all go through it.
//!
//! Adding a model: its file in `models/` (the type, its doc with formula, units and references,
//! its spec and [`ModelEntry`] impl, its tests) and, in `models/mod.rs`, `mod x;`, the re-export
//! and one registration line.

use super::PowerLaw;
use crate::calibration::Calibration;
use crate::error::SpecError;
use crate::uncertainty::ParamRange;
use crate::{Decay, ImpactError, ImpactModel};
use serde::{Deserialize, Serialize};

/// Where a model's parameters come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ParamSource {
    /// The values in the spec (or the defaults), with the literature range as the band.
    #[default]
    Literature,
    /// The values in the spec, with no parameter band.
    Given,
    /// Fitted by the scenario's `[calibration]` (needs it), with the bootstrap intervals as the band.
    Calibrated,
}

/// What building a model needs besides its spec.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildContext<'a> {
    /// What happens after the sale; `None`: the model's own default ([`Decay::Permanent`] for the
    /// instantaneous models, the kernel's decay [`Decay::Full`] for the transient ones).
    pub decay: Option<Decay>,
    /// The calibration, for `params = "calibrated"`.
    pub calibration: Option<&'a Calibration>,
}

/// What a model's parameter band is made of.
#[derive(Debug)]
pub enum ParamBand {
    /// No published range: the parameter band is the central path.
    None,
    /// The envelope (lowest to highest) of alternative parameterisations: the corners of separate
    /// parameter ranges (every model here is monotone in each parameter, so corners bound it).
    Corners(Vec<Box<dyn ImpactModel>>),
    /// The 2.5 and 97.5 percentiles of the prediction across bootstrap draws of the parameters
    /// taken together (a calibration's replicates), widened to include the central value.
    Draws(Vec<Box<dyn ImpactModel>>),
    /// A relative range `(low, high)` of a prefactor the impact is proportional to (Kyle's lambda,
    /// the propagator's `Y`).
    Prefactor(f64, f64),
}

impl ParamBand {
    /// What the band is made of, in words, for the outputs.
    pub fn describe(&self) -> String {
        match self {
            Self::None => "none (no published range)".into(),
            Self::Corners(a) => format!("envelope of {} corner parameterisations", a.len()),
            Self::Draws(a) => format!(
                "2.5 to 97.5 percentiles across {} bootstrap draws of the parameters together",
                a.len()
            ),
            Self::Prefactor(lo, hi) => format!("prefactor x [{lo:.3}, {hi:.3}]"),
        }
    }
}

/// A model ready to run, with what its band is made of.
#[derive(Debug)]
pub struct BuiltModel {
    /// The central model.
    pub model: Box<dyn ImpactModel>,
    /// The parameter band.
    pub band: ParamBand,
    /// Where the parameters come from and what the band varies, in words.
    pub param_source: String,
    /// Caveats.
    pub warnings: Vec<String>,
}

impl BuiltModel {
    /// A model with no band, its own warnings and `param_source`.
    pub fn plain(model: Box<dyn ImpactModel>, param_source: &str) -> Self {
        Self {
            warnings: model.warnings(),
            model,
            band: ParamBand::None,
            param_source: param_source.into(),
        }
    }
}

/// The band `blocksale model` draws around a model when no prefactor range is asked for.
#[derive(Debug)]
pub struct WhatIfBand {
    /// Alternative parameterisations whose envelope is the parameter band.
    pub alternatives: Vec<Box<dyn ImpactModel>>,
    /// Where they come from, in words.
    pub source: &'static str,
}

/// A registered model's spec: checks, building and what the CLI's calculator needs.
pub trait ModelEntry {
    /// Check every range the types cannot express.
    ///
    /// # Errors
    /// [`SpecError`] naming the key within the entry (`y`, `delta`, ...), the value and the range.
    fn check(&self) -> Result<(), SpecError>;

    /// Build the central model and its band ingredients.
    ///
    /// # Errors
    /// [`ImpactError`] for parameters out of range, a missing calibration, or a calibrated value
    /// that cannot price a sale.
    fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError>;

    /// True when the model needs the scenario's `[calibration]`.
    fn needs_calibration(&self) -> bool {
        false
    }

    /// The band `blocksale model` draws without `--prefactor-range` (default: none, so timing
    /// risk only).
    ///
    /// # Errors
    /// [`ImpactError`] when an alternative cannot be built.
    fn what_if_band(&self) -> Result<Option<WhatIfBand>, ImpactError> {
        Ok(None)
    }

    /// A valid spec for examples and tests (the defaults, with a value where a parameter has none).
    fn example() -> Self
    where
        Self: Sized;
}

/// Generates [`ModelSpec`] from the registration lines `"key" => Variant(SpecType): "summary",`.
macro_rules! register_models {
    ($($key:literal => $variant:ident($spec:ty): $summary:literal,)+) => {
        /// One model to run: a scenario's `[[models]]` entry, tagged by `model = "<key>"`, or what
        /// `blocksale model <key>` builds from its flags. Schema: `data/scenarios/README.md`.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "model")]
        pub enum ModelSpec {
            $(
                #[doc = $summary]
                #[serde(rename = $key)]
                $variant($spec),
            )+
        }

        impl ModelSpec {
            /// Every registered key, in registration order.
            pub const KEYS: &'static [&'static str] = &[$($key),+];
            /// A one-line description of each key, in the order of [`ModelSpec::KEYS`].
            pub const SUMMARIES: &'static [&'static str] = &[$($summary),+];

            /// The `model` key of this spec (what a scenario writes and `--models` names).
            pub fn key(&self) -> &'static str {
                match self {
                    $(ModelSpec::$variant(_) => $key,)+
                }
            }

            /// One valid spec of every registered model ([`ModelEntry::example`]).
            pub fn examples() -> Vec<ModelSpec> {
                vec![$(ModelSpec::$variant(<$spec as $crate::models::ModelEntry>::example()),)+]
            }

            fn entry(&self) -> &dyn $crate::models::ModelEntry {
                match self {
                    $(ModelSpec::$variant(s) => s,)+
                }
            }
        }
    };
}
pub(crate) use register_models;

impl super::ModelSpec {
    /// Range checks of the spec ([`ModelEntry::check`]).
    ///
    /// # Errors
    /// [`SpecError`] naming the key within the entry, the value and the allowed range.
    pub fn check(&self) -> Result<(), SpecError> {
        self.entry().check()
    }

    /// Build the model ([`ModelEntry::build`]).
    ///
    /// # Errors
    /// As [`ModelEntry::build`].
    pub fn build(&self, ctx: &BuildContext<'_>) -> Result<BuiltModel, ImpactError> {
        self.entry().build(ctx)
    }

    /// True when the model needs the scenario's `[calibration]`.
    pub fn needs_calibration(&self) -> bool {
        self.entry().needs_calibration()
    }

    /// The band `blocksale model` draws without `--prefactor-range` ([`ModelEntry::what_if_band`]).
    ///
    /// # Errors
    /// As [`ModelEntry::what_if_band`].
    pub fn what_if_band(&self) -> Result<Option<WhatIfBand>, ImpactError> {
        self.entry().what_if_band()
    }
}

/// `Ok` when `v` is finite and > 0, else a [`SpecError`] for `key`.
pub(crate) fn positive_key(key: &str, v: f64) -> Result<(), SpecError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(SpecError::new(key, v, "a finite number > 0"))
    }
}

/// A coefficient given, or calibrated with `params = "calibrated"`: `Ok` when one of the two.
pub(crate) fn given_or_calibrated(
    key: &str,
    given: Option<f64>,
    params: ParamSource,
) -> Result<(), SpecError> {
    match (given, params) {
        (Some(v), _) => positive_key(key, v),
        (None, ParamSource::Calibrated) => Ok(()),
        (None, _) => Err(SpecError::new(
            key,
            "missing",
            "a value, or params = \"calibrated\"",
        )),
    }
}

/// The calibration, or the error a calibrated model without one gives.
pub(crate) fn need_calibration(c: Option<&Calibration>) -> Result<&Calibration, ImpactError> {
    c.ok_or_else(|| {
        ImpactError::Input("a calibrated model needs the scenario's [calibration] to run".into())
    })
}

/// Relative range of the literature's `Y` around its default (95 %: 0.9 +/- 1.96 x 0.35).
pub(crate) fn literature_y_factors() -> (f64, f64) {
    let r = ParamRange::literature();
    (r.y.0 / PowerLaw::DEFAULT_Y, r.y.1 / PowerLaw::DEFAULT_Y)
}

/// A coefficient, its relative range (if any) and where it comes from.
pub(crate) type Coefficient = (f64, Option<(f64, f64)>, &'static str);

/// A model built on a per-BTC coefficient (Kyle's lambda, the exponential kernel's eta): its band
/// is the coefficient's relative range, and a calibrated one carries the note on the flow it is
/// per ([`KYLE_FLOW_NOTE`](crate::calibration::KYLE_FLOW_NOTE)).
pub(crate) fn per_btc_built(
    model: Box<dyn ImpactModel>,
    params: ParamSource,
    range: Option<(f64, f64)>,
    src: &str,
) -> BuiltModel {
    let mut warnings = model.warnings();
    if params == ParamSource::Calibrated {
        warnings.push(crate::calibration::KYLE_FLOW_NOTE.to_string());
    }
    BuiltModel {
        warnings,
        model,
        band: range.map_or(ParamBand::None, |(lo, hi)| ParamBand::Prefactor(lo, hi)),
        param_source: src.into(),
    }
}

/// A linear coefficient per BTC (Kyle's lambda, the exponential kernel's eta): the given value, or
/// the calibrated Kyle lambda with its Newey-West interval as a relative range.
///
/// # Errors
/// A missing value or calibration, or a calibrated lambda that is not positive (the bars show no
/// price response to net flow, so a linear model cannot price the sale).
pub(crate) fn per_btc_coefficient(
    key: &str,
    params: ParamSource,
    given: Option<f64>,
    cal: Option<&Calibration>,
    calibrated_source: &'static str,
) -> Result<Coefficient, ImpactError> {
    let (value, range, src) = match (params, given) {
        (ParamSource::Calibrated, _) => {
            let c = need_calibration(cal)?;
            let k = &c.kyle;
            let factors = (
                (k.ci95_low / k.lambda_per_btc).clamp(0.0, 1.0),
                (k.ci95_high / k.lambda_per_btc).max(1.0),
            );
            (k.lambda_per_btc, Some(factors), calibrated_source)
        }
        (_, Some(v)) => (v, None, "given"),
        (_, None) => {
            return Err(ImpactError::Input(format!(
                "{key} is missing: give a value, or params = \"calibrated\""
            )))
        }
    };
    if !(value.is_finite() && value > 0.0) {
        return Err(ImpactError::Input(format!(
            "the calibrated Kyle lambda is {value:.3e} per BTC: not positive, so a linear model cannot price a sale on these bars"
        )));
    }
    Ok((value, range, src))
}

#[cfg(test)]
mod tests {
    use super::super::{
        AthlSpec, ExpDecaySpec, KyleSpec, LinearSpec, ModelSpec, PowerSpec, SqrtPropagatorSpec,
        SqrtSpec,
    };
    use super::*;
    use crate::models::{Athl, ExpKernel, Linear, Propagator};
    use crate::{ExecutionGrid, MarketInputs};

    fn parse(json: &str) -> Result<ModelSpec, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_registered_model_parses_checks_builds_and_names_its_key() {
        let examples = ModelSpec::examples();
        assert_eq!(examples.len(), ModelSpec::KEYS.len());
        assert_eq!(ModelSpec::SUMMARIES.len(), ModelSpec::KEYS.len());
        let grid = ExecutionGrid::uniform(crate::schedules::twap(100.0, 4), 8, 2.0).unwrap();
        let m = MarketInputs::new_checked(0.03, 20_000.0).unwrap();
        for (spec, key) in examples.iter().zip(ModelSpec::KEYS) {
            assert_eq!(spec.key(), *key);
            spec.check().unwrap();
            let json = serde_json::to_string(spec).unwrap();
            assert!(
                json.starts_with(&format!("{{\"model\":\"{key}\"")),
                "{json}"
            );
            assert_eq!(&parse(&json).unwrap(), spec, "{json}");
            for decay in [None, Some(Decay::two_thirds())] {
                let ctx = BuildContext {
                    decay,
                    calibration: None,
                };
                let b = spec.build(&ctx).unwrap();
                assert!(b.model.path(&grid, &m).peak > 0.0, "{key}");
                if let Some(d) = decay {
                    assert_eq!(b.model.decay(), d, "{key}");
                }
            }
            // Without a calibration a calibrated spec fails to build, with a message.
            if spec.needs_calibration() {
                assert!(spec.build(&BuildContext::default()).is_err());
            }
        }
    }

    #[test]
    fn defaults_are_the_model_constants() {
        let sqrt = parse(r#"{"model":"sqrt"}"#).unwrap();
        assert_eq!(sqrt, ModelSpec::Sqrt(SqrtSpec::default()));
        assert_eq!(SqrtSpec::default().y, PowerLaw::DEFAULT_Y);
        assert_eq!(PowerSpec::default().delta, PowerLaw::SQRT_DELTA);
        assert_eq!(LinearSpec::default().k, Linear::DEFAULT_K);
        let a = AthlSpec::default();
        assert_eq!(
            (a.gamma, a.eta, a.outstanding_btc),
            (
                Athl::EQUITY_GAMMA,
                Athl::EQUITY_ETA,
                Athl::DEFAULT_OUTSTANDING_BTC
            )
        );
        let e = ExpDecaySpec {
            eta_per_btc: Some(1e-6),
            ..ExpDecaySpec::default()
        };
        let k = e.build(&BuildContext::default()).unwrap();
        assert_eq!(
            k.model.params()["half_life_days"],
            ExpKernel::DEFAULT_HALF_LIFE_DAYS
        );
        let p = SqrtPropagatorSpec::default()
            .build(&BuildContext::default())
            .unwrap();
        assert_eq!(p.model.name(), "sqrt_propagator");
        assert_eq!(p.model.params()["y"], PowerLaw::DEFAULT_Y);
        assert_eq!(
            p.model.params()["time_scale_days"],
            Propagator::DEFAULT_TIME_SCALE_DAYS
        );
        assert_eq!(p.model.decay(), Decay::Full);
        assert_eq!(
            KyleSpec::default().params,
            ParamSource::Literature,
            "literature unless said otherwise"
        );
    }

    #[test]
    fn spec_errors_name_the_key_the_value_and_the_range() {
        let e = parse(r#"{"model":"sqrt","k":1}"#).unwrap_err();
        assert!(e.contains("unknown field `k`"), "{e}");
        let e = parse(r#"{"model":"garch"}"#).unwrap_err();
        assert!(
            e.contains("unknown variant `garch`") && e.contains("`sqrt`"),
            "{e}"
        );
        let bad = |json: &str| parse(json).unwrap().check().unwrap_err();
        assert_eq!(
            bad(r#"{"model":"power","delta":2}"#),
            SpecError::new("delta", 2, "a number in (0, 1]")
        );
        assert_eq!(
            bad(r#"{"model":"kyle"}"#),
            SpecError::new(
                "lambda_per_btc",
                "missing",
                "a value, or params = \"calibrated\""
            )
        );
        assert_eq!(
            bad(r#"{"model":"exp_decay","eta_per_btc":1e-6,"half_life_days":1,"rho_per_day":2}"#)
                .key,
            "rho_per_day"
        );
        assert_eq!(
            bad(r#"{"model":"sqrt_propagator","kernel_exponent":1}"#).key,
            "kernel_exponent"
        );
        assert_eq!(
            bad(r#"{"model":"athl","outstanding_btc":-1}"#).key,
            "outstanding_btc"
        );
        assert!(parse(r#"{"model":"kyle","params":"calibrated"}"#)
            .unwrap()
            .needs_calibration());
    }
}
