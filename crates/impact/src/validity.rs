//! The range of sales a model's parameters were estimated or validated on, and the warning a
//! result outside it carries (docs/methods.md §31).
//!
//! A model declares its range with [`ImpactModel::validity`](crate::ImpactModel::validity): any of
//! the sale's size against one day of volume (`Q/V`), its participation (`Q/(V T)`, the share of
//! the market's volume while it runs) and its horizon (`T`, days), each with the source that states
//! it. [`check`] measures a sale in those terms and lists every bound it crosses; the engine turns
//! that into a per-model warning that travels to `result.json`, the summary, the memo and the
//! chart legend. A range is a statement about evidence, not a cap: the model's number is still
//! reported, with the warning beside it.

use serde::Serialize;

/// A closed interval `[low, high]`; `high` may be `f64::INFINITY` (no upper bound stated).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Smallest value the evidence reaches.
    pub low: f64,
    /// Largest value the evidence reaches (`f64::INFINITY`: none stated; serialised as null).
    #[serde(serialize_with = "finite_or_null")]
    pub high: f64,
}

fn finite_or_null<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_none()
    }
}

impl Interval {
    /// `[low, high]`.
    pub const fn new(low: f64, high: f64) -> Self {
        Self { low, high }
    }

    /// `[0, high]`: an upper bound only.
    pub const fn up_to(high: f64) -> Self {
        Self { low: 0.0, high }
    }

    /// True when `x` lies inside (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low && x <= self.high
    }
}

/// The range a model's parameters were estimated or validated on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validity {
    /// `Q/V`: the sale against one day of the volume the model divides by (for a calibrated law,
    /// the calibration's own `V_c`).
    pub q_over_v: Option<Interval>,
    /// `Q/(V T)`: the sale's share of the volume traded while it runs (`T` in days).
    pub participation: Option<Interval>,
    /// `T`: the sale's duration, days.
    pub horizon_days: Option<Interval>,
    /// What the range is, in a few words (`premise bound [C]`, `calibration bins [C]`): what a
    /// warning names.
    pub basis: String,
    /// Where the range comes from, tagged as in docs/methods.md: `[P]` read in the primary
    /// source, `[P abstract]` its abstract, `[S]` secondary, `[C]` derived here.
    pub source: String,
}

impl Validity {
    /// True when `sale` lies inside every bound: what [`check`] says, without building the
    /// report.
    pub fn contains(&self, sale: SaleShape) -> bool {
        [
            (self.q_over_v, sale.q_over_v),
            (self.participation, sale.participation),
            (self.horizon_days, sale.horizon_days),
        ]
        .iter()
        .all(|(r, x)| r.is_none_or(|r| r.contains(*x)))
    }

    /// The sizes, in BTC, a sale over `duration_days` may have and stay inside this range against
    /// a daily volume of `volume_btc`: `Q/V` in its interval gives `Q` in `[low V, high V]`,
    /// participation in its interval gives `Q` in `[low V T, high V T]`, and the two intersect;
    /// `high` is `f64::INFINITY` when neither bounds it. `None` when no size is inside (the
    /// horizon outside its interval, or the two intervals disjoint). A size exactly on a bound
    /// may land on either side of [`check`] by one rounding.
    pub fn sizes_inside(&self, volume_btc: f64, duration_days: f64) -> Option<Interval> {
        if let Some(h) = self.horizon_days {
            if !h.contains(duration_days) {
                return None;
            }
        }
        let mut inside = Interval::new(0.0, f64::INFINITY);
        for (r, scale) in [
            (self.q_over_v, volume_btc),
            (self.participation, volume_btc * duration_days),
        ] {
            if let Some(r) = r {
                inside.low = inside.low.max(r.low * scale);
                inside.high = inside.high.min(r.high * scale);
            }
        }
        (inside.low <= inside.high).then_some(inside)
    }
}

/// A sale in the terms a range is stated in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SaleShape {
    /// `Q/V`.
    pub q_over_v: f64,
    /// `Q/(V T)`.
    pub participation: f64,
    /// `T`, days.
    pub horizon_days: f64,
}

impl SaleShape {
    /// `size_btc` sold over `duration_days` against a daily volume of `volume_btc`.
    pub fn new(size_btc: f64, volume_btc: f64, duration_days: f64) -> Self {
        let q_over_v = size_btc / volume_btc;
        Self {
            q_over_v,
            participation: q_over_v / duration_days,
            horizon_days: duration_days,
        }
    }
}

/// One bound a sale crosses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// `q_over_v`, `participation` or `horizon_days`.
    pub quantity: &'static str,
    /// The sale's value.
    pub value: f64,
    /// The range it falls outside.
    pub range: Interval,
}

/// A sale checked against a model's range: the range, the sale and what it crosses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidityCheck {
    /// The model's declared range.
    pub range: Validity,
    /// The sale, in the range's terms.
    pub sale: SaleShape,
    /// Every bound the sale crosses (empty: inside the range).
    pub outside: Vec<Breach>,
}

impl ValidityCheck {
    /// True when the sale lies outside the range on any quantity.
    pub fn is_outside(&self) -> bool {
        !self.outside.is_empty()
    }

    /// The warning a result carries when the sale lies outside (`None` inside), naming each
    /// quantity, the sale's value, the range and the source.
    pub fn warning(&self, model: &str) -> Option<String> {
        if self.outside.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .outside
            .iter()
            .map(|b| {
                format!(
                    "{} = {} {} {}",
                    label(b.quantity),
                    number(b.value),
                    if b.value < b.range.low {
                        "below"
                    } else {
                        "above"
                    },
                    describe(&b.range)
                )
            })
            .collect();
        Some(format!(
            "{model}: {OUTSIDE_RANGE} ({}; {}, docs/methods.md §31): the number is the formula's extrapolation",
            parts.join("; "),
            self.range.basis
        ))
    }
}

/// What the square root's and the power law's sources say of their range (docs/methods.md §31).
pub const SQRT_EVIDENCE: &str = "Donier & Bonart 2015: the square root 'holds on four decades' of BTC metaorder sizes [P abstract]; Zarinelli et al. 2015: a good fit 'only across about two orders of magnitude' of US-equity order sizes [P abstract]";
/// What the linear law's source says of its range.
pub const LINEAR_EVIDENCE: &str = "Bucci et al. 2019: impact is linear for small orders and crosses over to the square root as the order's volume grows, at a size the abstract does not give [P abstract]";
/// What Almgren et al.'s paper says of its data.
pub const ATHL_EVIDENCE: &str = "Almgren et al. 2005: about 700,000 Citigroup US-equity orders, Dec 2001 - Jun 2003, before filters [P]; the 3/5 law holds 'across the range of order sizes considered' [P abstract]";
/// The per-BTC coefficients (Kyle's lambda, the exponential kernel's eta, Amihud's ratio).
pub const PER_BTC_EVIDENCE: &str = "Kyle 1985 and Obizhaeva & Wang 2013 are theory and state no empirical range; the coefficient is measured on aggregate flow (Kyle's lambda on net taker flow per bar, Amihud's ratio on daily moves), not on one large order [C]";

/// The range blocksale declares for a model whose sources give no numeric range it could read:
/// the model's premise, `Q/V <= 1` and participation `<= 1` (a metaorder smaller than one day's
/// volume and than the volume traded while it runs) [C], with `evidence`, what the sources do say.
pub fn premise_bound(evidence: &str) -> Validity {
    Validity {
        q_over_v: Some(Interval::up_to(1.0)),
        participation: Some(Interval::up_to(1.0)),
        horizon_days: None,
        basis: "premise bound [C]".into(),
        source: format!(
            "{evidence}. No numeric range in the sources we could read, so blocksale declares the premise bound [C]: Q/V <= 1 and participation <= 1, a metaorder smaller than one day's volume and than the volume traded while it runs"
        ),
    }
}

/// The words every out-of-range warning carries (so a reader, or a filter, can find them).
pub const OUTSIDE_RANGE: &str = "outside its declared range";

/// Checks `sale` against `range`.
pub fn check(range: &Validity, sale: SaleShape) -> ValidityCheck {
    let mut outside = Vec::new();
    for (quantity, r, value) in [
        ("q_over_v", range.q_over_v, sale.q_over_v),
        ("participation", range.participation, sale.participation),
        ("horizon_days", range.horizon_days, sale.horizon_days),
    ] {
        if let Some(r) = r {
            if !r.contains(value) {
                outside.push(Breach {
                    quantity,
                    value,
                    range: r,
                });
            }
        }
    }
    ValidityCheck {
        range: range.clone(),
        sale,
        outside,
    }
}

fn label(quantity: &str) -> &'static str {
    match quantity {
        "q_over_v" => "Q/V",
        "participation" => "participation Q/(V T)",
        _ => "horizon T (days)",
    }
}

fn describe(r: &Interval) -> String {
    if r.high.is_finite() {
        format!("[{}, {}]", number(r.low), number(r.high))
    } else {
        format!("[{}, no upper bound stated]", number(r.low))
    }
}

/// Four significant digits, in plain or scientific notation by magnitude.
fn number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-3..1e5).contains(&a) {
        let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> Validity {
        Validity {
            q_over_v: Some(Interval::new(1e-4, 0.1)),
            participation: Some(Interval::up_to(0.3)),
            horizon_days: Some(Interval::new(0.01, 1.0)),
            basis: "test bound".into(),
            source: "a test".into(),
        }
    }

    /// The sizes inside agree with `check` on either side of each end (a relative step of 1e-9).
    #[test]
    fn sizes_inside_are_the_sizes_check_accepts() {
        let r = range();
        let (v, t) = (1000.0, 0.5);
        // Q/V in [1e-4, 0.1] -> Q in [0.1, 100]; participation <= 0.3 -> Q <= 150.
        let i = r.sizes_inside(v, t).unwrap();
        assert!(
            (i.low - 0.1).abs() < 1e-12 && (i.high - 100.0).abs() < 1e-12,
            "{i:?}"
        );
        for (q, inside) in [
            (i.low * (1.0 + 1e-9), true),
            (i.low * (1.0 - 1e-9), false),
            (i.high * (1.0 - 1e-9), true),
            (i.high * (1.0 + 1e-9), false),
        ] {
            let sale = SaleShape::new(q, v, t);
            assert_eq!(!check(&r, sale).is_outside(), inside, "{q}");
            assert_eq!(r.contains(sale), inside, "{q}");
        }
        // A short sale: participation binds first (Q <= 0.3 V T = 3).
        assert!((r.sizes_inside(v, 0.01).unwrap().high - 3.0).abs() < 1e-12);
        // The horizon outside: no size is inside; the premise bound has no horizon.
        assert_eq!(r.sizes_inside(v, 2.0), None);
        let p = premise_bound("e").sizes_inside(v, 30.0).unwrap();
        assert_eq!((p.low, p.high), (0.0, v));
        // Disjoint: Q/V >= 1e-4 needs Q >= 0.1, participation <= 0.3 over 1e-4 days allows 0.03.
        let mut r2 = range();
        r2.horizon_days = None;
        assert_eq!(r2.sizes_inside(v, 1e-4), None);
    }

    #[test]
    fn a_sale_inside_every_bound_has_no_warning() {
        let c = check(&range(), SaleShape::new(50.0, 1000.0, 0.5));
        assert!(!c.is_outside(), "{c:?}");
        assert_eq!(c.warning("m"), None);
        assert!((c.sale.participation - 0.1).abs() < 1e-15);
    }

    #[test]
    fn each_bound_crossed_is_named_with_the_value_and_range() {
        // Q/V = 2 (above 0.1), participation 4 (above 0.3), T = 0.5 inside.
        let c = check(&range(), SaleShape::new(2000.0, 1000.0, 0.5));
        let q: Vec<&str> = c.outside.iter().map(|b| b.quantity).collect();
        assert_eq!(q, ["q_over_v", "participation"]);
        let w = c.warning("sqrt").unwrap();
        assert!(w.starts_with("sqrt: outside"), "{w}");
        assert!(w.contains("Q/V = 2.000 above [1.000e-4, 0.1000]"), "{w}");
        assert!(
            w.contains("participation Q/(V T) = 4.000 above [0, 0.3000]"),
            "{w}"
        );
        assert!(w.contains("test bound, docs/methods.md §31"), "{w}");
        // Too small and too long: below the Q/V floor, above the horizon.
        let c = check(&range(), SaleShape::new(0.01, 1000.0, 30.0));
        let q: Vec<&str> = c.outside.iter().map(|b| b.quantity).collect();
        assert_eq!(q, ["q_over_v", "horizon_days"]);
        assert!(c.warning("x").unwrap().contains("below"));
    }

    #[test]
    fn an_open_upper_bound_serialises_as_null() {
        let j = serde_json::to_string(&Interval::new(0.5, f64::INFINITY)).unwrap();
        assert_eq!(j, r#"{"low":0.5,"high":null}"#);
        assert!(Interval::new(0.5, f64::INFINITY).contains(1e300));
    }
}
