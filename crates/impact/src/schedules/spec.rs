//! The `[schedule]` table of a scenario: the one registration of every schedule kind, and the entry
//! point that places a sale.

use super::{
    AcOptimal, BackLoaded, BlockAtStart, FrontLoaded, OwOptimal, Pov, SaleWindow, Schedule, Twap,
    VolumeProfile, Vwap,
};
use crate::{ImpactError, SpecError};
use serde::{Deserialize, Serialize};

/// How a block is split over the bars of the sale window: a scenario's `[schedule]` table.
///
/// Deserialised from `kind` and the kind's parameters (`deny_unknown_fields`); an unknown kind, a
/// missing parameter, a parameter the kind does not take or a value out of range is an error
/// naming the key (`schedule.kind`), the value and what is allowed. Schema:
/// `data/scenarios/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "ScheduleTable", into = "ScheduleTable")]
pub enum ScheduleSpec {
    /// Equal quantities per bar ([`Twap`]); the default.
    #[default]
    Twap,
    /// Everything in the first bar ([`BlockAtStart`]).
    Block,
    /// Proportional to each bar's expected volume under the hour-of-week profile ([`Vwap`]).
    Vwap,
    /// A share of the expected market volume until done ([`Pov`]).
    Pov {
        /// Share of the expected market volume, in (0, 1].
        participation: f64,
    },
    /// Almgren-Chriss optimal trajectory ([`AcOptimal`]).
    Ac {
        /// `kappa * T` (dimensionless, > 0), default [`AcOptimal::DEFAULT_URGENCY`].
        urgency: f64,
    },
    /// Obizhaeva-Wang optimum ([`OwOptimal`]).
    Ow {
        /// Resilience times duration `rho * T` (> 0), default [`OwOptimal::DEFAULT_RHO_T`].
        rho_t: f64,
    },
    /// Linearly falling rate ([`FrontLoaded`]).
    FrontLoaded,
    /// Linearly rising rate ([`BackLoaded`]).
    BackLoaded,
}

/// Every kind once, with its default parameters (POV has none: its participation is required).
const TEMPLATES: [ScheduleSpec; 8] = [
    ScheduleSpec::Twap,
    ScheduleSpec::Block,
    ScheduleSpec::Vwap,
    ScheduleSpec::Pov {
        participation: f64::NAN,
    },
    ScheduleSpec::Ac {
        urgency: AcOptimal::DEFAULT_URGENCY,
    },
    ScheduleSpec::Ow {
        rho_t: OwOptimal::DEFAULT_RHO_T,
    },
    ScheduleSpec::FrontLoaded,
    ScheduleSpec::BackLoaded,
];

/// A placed sale: quantities per bar from the window start, the schedule used and a note.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// BTC per bar from the window start; may extend past the window for POV.
    pub qty_btc: Vec<f64>,
    /// The kind actually used (`twap` when a volume-based kind had no profile).
    pub name: &'static str,
    /// A note when the request could not be honoured as written.
    pub note: Option<String>,
}

impl ScheduleSpec {
    /// Every kind, as a scenario writes it.
    pub const KINDS: [&'static str; 8] = {
        let mut k = [""; 8];
        let mut i = 0;
        while i < k.len() {
            k[i] = TEMPLATES[i].kind();
            i += 1;
        }
        k
    };

    /// The kind as a scenario writes it (`twap`, `front_loaded`, ...); also the name in outputs.
    pub const fn kind(&self) -> &'static str {
        match self {
            ScheduleSpec::Twap => "twap",
            ScheduleSpec::Block => "block",
            ScheduleSpec::Vwap => "vwap",
            ScheduleSpec::Pov { .. } => "pov",
            ScheduleSpec::Ac { .. } => "ac",
            ScheduleSpec::Ow { .. } => "ow",
            ScheduleSpec::FrontLoaded => "front_loaded",
            ScheduleSpec::BackLoaded => "back_loaded",
        }
    }

    /// Check the parameters' ranges.
    ///
    /// # Errors
    /// [`SpecError`] naming `schedule.<parameter>`, the value and the allowed range.
    pub fn check(&self) -> Result<(), SpecError> {
        match *self {
            ScheduleSpec::Pov { participation: p } if !(p.is_finite() && p > 0.0 && p <= 1.0) => {
                Err(SpecError::new(
                    "schedule.participation",
                    p,
                    "a share in (0, 1]",
                ))
            }
            ScheduleSpec::Ac { urgency: v } if !(v.is_finite() && v > 0.0) => {
                Err(SpecError::new("schedule.urgency", v, "a finite number > 0"))
            }
            ScheduleSpec::Ow { rho_t: v } if !(v.is_finite() && v > 0.0) => {
                Err(SpecError::new("schedule.rho_t", v, "a finite number > 0"))
            }
            _ => Ok(()),
        }
    }

    /// Place `total_btc` on `window`: the entry point of the backtest, the sweep and the replay.
    ///
    /// `profile` is the hour-of-week volume of the market before the sale, used by `vwap` and
    /// `pov`; without one those kinds place a TWAP and say so in the note.
    ///
    /// # Errors
    /// [`ImpactError`] for a negative or non-finite total or parameters out of range.
    pub fn place(
        &self,
        total_btc: f64,
        window: &SaleWindow<'_>,
        profile: Option<&VolumeProfile>,
    ) -> Result<Placed, ImpactError> {
        let placement = match (*self, profile) {
            (ScheduleSpec::Twap, _) => Twap.place(total_btc, window),
            (ScheduleSpec::Block, _) => BlockAtStart.place(total_btc, window),
            (ScheduleSpec::FrontLoaded, _) => FrontLoaded.place(total_btc, window),
            (ScheduleSpec::BackLoaded, _) => BackLoaded.place(total_btc, window),
            (ScheduleSpec::Vwap, Some(p)) => Vwap::new(p).place(total_btc, window),
            (ScheduleSpec::Pov { participation }, Some(p)) => {
                Pov::new_checked(participation, p)?.place(total_btc, window)
            }
            (ScheduleSpec::Ac { urgency }, _) => {
                AcOptimal::new_checked(urgency)?.place(total_btc, window)
            }
            (ScheduleSpec::Ow { rho_t }, _) => {
                OwOptimal::new_checked(rho_t)?.place(total_btc, window)
            }
            (ScheduleSpec::Vwap | ScheduleSpec::Pov { .. }, None) => {
                return Ok(Placed {
                    qty_btc: Twap.place(total_btc, window)?.qty_btc,
                    name: ScheduleSpec::Twap.kind(),
                    note: Some(format!(
                        "schedule {:?} is not available here: TWAP used instead",
                        self.kind()
                    )),
                });
            }
        }?;
        Ok(Placed {
            qty_btc: placement.qty_btc,
            name: self.kind(),
            note: placement.note,
        })
    }

    fn from_table(t: &ScheduleTable) -> Result<Self, SpecError> {
        let template = TEMPLATES
            .into_iter()
            .find(|s| s.kind() == t.kind)
            .ok_or_else(|| {
                SpecError::new(
                    "schedule.kind",
                    format!("{:?}", t.kind),
                    format!("one of {}", Self::KINDS.join(", ")),
                )
            })?;
        let spec = match template {
            ScheduleSpec::Pov { .. } => ScheduleSpec::Pov {
                participation: t.participation.ok_or_else(|| {
                    SpecError::new(
                        "schedule.participation",
                        "missing",
                        "a share in (0, 1] for kind = \"pov\"",
                    )
                })?,
            },
            ScheduleSpec::Ac { urgency } => ScheduleSpec::Ac {
                urgency: t.urgency.unwrap_or(urgency),
            },
            ScheduleSpec::Ow { rho_t } => ScheduleSpec::Ow {
                rho_t: t.rho_t.unwrap_or(rho_t),
            },
            other => other,
        };
        // A parameter the kind does not take is a mistake, not something to ignore.
        let takes = ScheduleTable::from(spec);
        for (key, given, taken) in [
            ("participation", t.participation, takes.participation),
            ("urgency", t.urgency, takes.urgency),
            ("rho_t", t.rho_t, takes.rho_t),
        ] {
            if let (Some(v), None) = (given, taken) {
                return Err(SpecError::new(
                    format!("schedule.{key}"),
                    v,
                    format!(
                        "no {key} for kind = {:?} (remove it or change the kind)",
                        t.kind
                    ),
                ));
            }
        }
        spec.check()?;
        Ok(spec)
    }
}

/// Serde shape of [`ScheduleSpec`]: `kind` and every kind's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleTable {
    #[serde(default = "twap_kind")]
    kind: String,
    #[serde(default)]
    participation: Option<f64>,
    #[serde(default)]
    urgency: Option<f64>,
    #[serde(default)]
    rho_t: Option<f64>,
}

fn twap_kind() -> String {
    ScheduleSpec::Twap.kind().into()
}

impl From<ScheduleSpec> for ScheduleTable {
    fn from(s: ScheduleSpec) -> Self {
        let mut t = ScheduleTable {
            kind: s.kind().into(),
            participation: None,
            urgency: None,
            rho_t: None,
        };
        match s {
            ScheduleSpec::Pov { participation } => t.participation = Some(participation),
            ScheduleSpec::Ac { urgency } => t.urgency = Some(urgency),
            ScheduleSpec::Ow { rho_t } => t.rho_t = Some(rho_t),
            _ => {}
        }
        t
    }
}

impl TryFrom<ScheduleTable> for ScheduleSpec {
    type Error = SpecError;
    fn try_from(t: ScheduleTable) -> Result<Self, SpecError> {
        ScheduleSpec::from_table(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<ScheduleSpec, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_schedule_sums_to_the_block() {
        let t: Vec<i64> = (0..192).map(|k| 1_770_422_400_000 + k * 900_000).collect();
        let extra: Vec<i64> = (192..480)
            .map(|k| 1_770_422_400_000 + k * 900_000)
            .collect();
        let profile =
            VolumeProfile::from_hourly((0..168).map(|h| 100.0 + h as f64).collect()).unwrap();
        let w = SaleWindow::new_checked(&t, 900_000)
            .unwrap()
            .with_bars_after(&extra);
        let with = |k: &str| {
            let table = ScheduleTable {
                kind: k.into(),
                participation: (k == "pov").then_some(0.1),
                urgency: None,
                rho_t: None,
            };
            ScheduleSpec::try_from(table).unwrap()
        };
        for k in ScheduleSpec::KINDS {
            let p = with(k).place(4451.0, &w, Some(&profile)).unwrap();
            assert_eq!(p.qty_btc.iter().sum::<f64>(), 4451.0, "{k}");
            assert!(p.qty_btc.iter().all(|&x| x >= 0.0), "{k}");
            assert_eq!(p.name, k);
        }
        // A volume-based kind without a profile places a TWAP and says so.
        let p = with("vwap").place(1.0, &w, None).unwrap();
        assert_eq!(p.qty_btc.iter().sum::<f64>(), 1.0);
        assert_eq!(p.name, "twap");
        assert!(p.note.unwrap().contains("TWAP used instead"));
        let fl = with("front_loaded")
            .place(1.0, &w, Some(&profile))
            .unwrap()
            .qty_btc;
        assert!(fl[0] > fl[191]);
        let ow = with("ow").place(1.0, &w, Some(&profile)).unwrap().qty_btc;
        assert!((ow[0] - (0.1 + 0.8 / 192.0)).abs() < 1e-12);
    }

    #[test]
    fn table_errors_name_the_key_the_value_and_the_kinds() {
        assert_eq!(spec(r#"{}"#).unwrap(), ScheduleSpec::Twap);
        assert_eq!(
            spec(r#"{"kind":"ac"}"#).unwrap(),
            ScheduleSpec::Ac { urgency: 2.0 }
        );
        assert_eq!(
            spec(r#"{"kind":"ow","rho_t":3}"#).unwrap(),
            ScheduleSpec::Ow { rho_t: 3.0 }
        );
        let e = spec(r#"{"kind":"nonsense"}"#).unwrap_err();
        assert!(
            e.contains("scenario key `schedule.kind` = \"nonsense\": expected one of twap, block, vwap, pov, ac, ow, front_loaded, back_loaded"),
            "{e}"
        );
        let e = spec(r#"{"kind":"pov"}"#).unwrap_err();
        assert!(e.contains("`schedule.participation` = missing"), "{e}");
        let e = spec(r#"{"kind":"pov","participation":1.5}"#).unwrap_err();
        assert!(
            e.contains("`schedule.participation` = 1.5: expected a share in (0, 1]"),
            "{e}"
        );
        let e = spec(r#"{"kind":"twap","participation":0.1}"#).unwrap_err();
        assert!(e.contains("`schedule.participation` = 0.1"), "{e}");
        let e = spec(r#"{"kind":"twap","speed":1}"#).unwrap_err();
        assert!(e.contains("unknown field `speed`"), "{e}");
        // The same table back out: every key, null where the kind takes none.
        assert_eq!(
            serde_json::to_string(&ScheduleSpec::Pov { participation: 0.2 }).unwrap(),
            r#"{"kind":"pov","participation":0.2,"urgency":null,"rho_t":null}"#
        );
    }
}
