//! The `[disclosure]` table: old scenario files load unchanged, a full table round-trips, and every
//! bad value is an error naming its dotted key, the value and what is allowed.

use blocksale_backtest::{Disclosure, Scenario, SourceRef};
use std::path::Path;

fn repo(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    )
    .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn parse(text: &str) -> Scenario {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn err(s: &Scenario) -> String {
    s.validate().unwrap_err().to_string()
}

fn with_disclosure() -> Scenario {
    let mut s = Scenario::example();
    s.disclosure = Some(Disclosure {
        window_certainty: "exact".into(),
        amount_basis: Some("net".into()),
        stated_avg_price_usd: Some(68_524.0),
        currency_conversion: None,
        source_notes: Some("proceeds rounded to USD 1M in the source".into()),
        sources: vec![SourceRef {
            title: "Example release".into(),
            date: "2026-02-09".into(),
            url: "https://example.com/release".into(),
            kind: "primary".into(),
            note: None,
        }],
    });
    s
}

#[test]
fn scenarios_without_disclosure_still_load_and_validate() {
    for f in ["cango-2026-02.toml", "saxony-2024-06.toml"] {
        let s = parse(&repo(&format!("data/scenarios/{f}")));
        assert!(s.disclosure.is_none(), "{f}");
        s.validate().unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn a_disclosure_table_parses_and_validates() {
    let mut text = repo("data/scenarios/cango-2026-02.toml");
    text.push_str(
        r#"
[disclosure]
window_certainty = "exact"
amount_basis = "net"
stated_avg_price_usd = 68524.0
currency_conversion = "USDT taken at 1 USD"
source_notes = "the amount is 'about' USD 305M"

[[disclosure.sources]]
title = "Cango release"
date = "2026-02-09"
url = "https://example.com/cango"
kind = "primary"
note = "size and proceeds"

[[disclosure.sources]]
title = "Press report"
date = "2026-02-10"
url = "http://example.com/press"
kind = "secondary"
"#,
    );
    let s = parse(&text);
    s.validate().unwrap();
    let d = s.disclosure.as_ref().unwrap();
    assert_eq!(d.window_certainty, "exact");
    assert_eq!(d.amount_basis.as_deref(), Some("net"));
    assert_eq!(d.sources.len(), 2);
    assert_eq!(d.sources[1].kind, "secondary");
    assert_eq!(d.sources[1].note, None);
    // The implied price stays proceeds / size, whatever the stated average.
    assert_eq!(s.implied_avg_price_usd(), Some(305e6 / 4451.0));
}

#[test]
fn an_unknown_disclosure_key_is_rejected_by_name() {
    let mut text = repo("data/scenarios/cango-2026-02.toml");
    text.push_str("\n[disclosure]\nwindow_certainty = \"exact\"\namount_basis = \"net\"\ncertainty = \"high\"\n");
    let e = toml::from_str::<Scenario>(&text).unwrap_err().to_string();
    assert!(e.contains("certainty"), "{e}");
}

#[test]
fn bad_disclosure_values_name_key_value_and_allowed() {
    let mut s = with_disclosure();
    s.validate().unwrap();

    s.disclosure.as_mut().unwrap().window_certainty = "week".into();
    assert_eq!(
        err(&s),
        "scenario key `disclosure.window_certainty` = \"week\": expected exact, month, approximate"
    );

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().amount_basis = Some("after tax".into());
    assert_eq!(
        err(&s),
        "scenario key `disclosure.amount_basis` = \"after tax\": expected net, gross, unstated"
    );

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().amount_basis = None;
    assert_eq!(
        err(&s),
        "scenario key `disclosure.amount_basis` = missing: expected one of net, gross, unstated when disclosed_proceeds_usd is set"
    );

    let mut s = with_disclosure();
    s.disclosed_proceeds_usd = None;
    assert!(
        err(&s).contains("without disclosed_proceeds_usd"),
        "{}",
        err(&s)
    );

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().stated_avg_price_usd = Some(-1.0);
    assert!(err(&s).starts_with("scenario key `disclosure.stated_avg_price_usd` = -1"));

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().currency_conversion = Some(" ".into());
    assert!(err(&s).starts_with("scenario key `disclosure.currency_conversion`"));

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().sources.clear();
    assert_eq!(
        err(&s),
        "scenario key `disclosure.sources` = []: expected at least one source with title, date, url and kind"
    );

    for (date, ok) in [
        ("2024-02-29", true),
        ("2023-02-29", false),
        ("2024-2-09", false),
        ("09/02/2024", false),
        ("2024-02-09T00:00:00Z", false),
    ] {
        let mut s = with_disclosure();
        s.disclosure.as_mut().unwrap().sources[0].date = date.into();
        if ok {
            s.validate().unwrap();
        } else {
            assert_eq!(
                err(&s),
                format!("scenario key `disclosure.sources[0].date` = {date:?}: expected a calendar date YYYY-MM-DD")
            );
        }
    }

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().sources[0].url = "www.example.com".into();
    assert_eq!(
        err(&s),
        "scenario key `disclosure.sources[0].url` = \"www.example.com\": expected an http:// or https:// address without spaces"
    );

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().sources[0].kind = "blog".into();
    assert_eq!(
        err(&s),
        "scenario key `disclosure.sources[0].kind` = \"blog\": expected primary, secondary"
    );

    let mut s = with_disclosure();
    s.disclosure.as_mut().unwrap().sources[0].title = String::new();
    assert!(err(&s).starts_with("scenario key `disclosure.sources[0].title`"));
}
