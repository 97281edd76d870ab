//! Every format on small files written here (real samples are in `real.rs`), plus the quirks:
//! CryptoDataDownload preambles and float/second unix times, Kraken gaps, delimiters, CRLF, BOM,
//! column maps, text time forms, zip, format override.

use crate::data::{kline_row, ms, write};
use blocksale_core::VolumeUnit;
use blocksale_ingest::{
    load_bytes, load_paths, ColumnMap, Format, IngestError, Loaded, OnConflict, ReadOptions,
    TimeUnit,
};

fn load(text: &str) -> Loaded {
    load_bytes("t.csv", text.as_bytes().to_vec(), &ReadOptions::default()).unwrap()
}

fn load_err(text: &str, opts: &ReadOptions) -> String {
    load_bytes("t.csv", text.as_bytes().to_vec(), opts)
        .unwrap_err()
        .to_string()
}

#[test]
fn binance_headerless_seconds_ms_us() {
    let t0 = ms("2025-01-01T00:00:00Z");
    for (mult_s, unit) in [(1, TimeUnit::Millis), (1000, TimeUnit::Micros)] {
        let text: String = (0..3)
            .map(|i| kline_row(t0 + i * 60_000, mult_s, 100.0))
            .collect();
        let l = load(&text);
        assert_eq!(l.files[0].format, Format::BinanceKlines);
        assert_eq!(l.files[0].time_unit, unit);
        assert_eq!(l.series.open_time_ms()[0], t0);
        assert_eq!(l.series.trades().unwrap(), &[10, 10, 10]);
    }
    // Epoch seconds.
    let text = "1735689600,1,2,0.5,1.5,3,1735689659,4.5,7,1,1.5,0\n1735689660,1,2,0.5,1.5,3,1735689719,4.5,7,1,1.5,0\n";
    let l = load(text);
    assert_eq!(l.files[0].time_unit, TimeUnit::Seconds);
    assert_eq!(l.series.open_time_ms()[1], t0 + 60_000);
}

#[test]
fn binance_zip_archive() {
    let t0 = ms("2025-01-01T00:00:00Z");
    let text: String = (0..5)
        .map(|i| kline_row(t0 + i * 60_000, 1000, 100.0))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let z = crate::data::zip_one("BTCUSDT-1m-2025-01-01.csv", text.as_bytes());
    let p = write(tmp.path(), "BTCUSDT-1m-2025-01-01.zip", &z);
    let l = load_paths(&[p], &ReadOptions::default(), None).unwrap();
    assert_eq!(l.rows, 5);
    assert_eq!(l.files[0].time_unit, TimeUnit::Micros);
}

#[test]
fn cryptodatadownload_quirks() {
    // Two preamble lines, unix seconds written as floats, newest first, `Volume USD`.
    let text = "Timestamps are UTC timezone,https://www.CryptoDataDownload.com\n\
https://www.CryptoDataDownload.com\n\
unix,date,symbol,open,high,low,close,Volume BTC,Volume USD\n\
1584140400.0,2020-03-13 11-PM,BTC/USD,5600,5700,5500,5650,10,56500\n\
1584136800.0,2020-03-13 10-PM,BTC/USD,5500,5650,5400,5600,12,67200\n";
    let l = load(text);
    assert_eq!(l.files[0].format, Format::CryptoDataDownload);
    assert_eq!(l.files[0].time_unit, TimeUnit::Seconds);
    assert_eq!(
        l.series.open_time_ms(),
        &[ms("2020-03-13T22:00:00Z"), ms("2020-03-13T23:00:00Z")]
    );
    assert_eq!(l.series.volume(), &[12.0, 10.0]);
    assert_eq!(l.series.quote_volume().unwrap(), &[67200.0, 56500.0]);
    assert_eq!(l.series.bar_seconds(), 3600);
    // Only a `Date` column in the `HH-AM` form.
    let text = "https://www.CryptoDataDownload.com\n\
Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USD\n\
2020-03-14 12-AM,BTC/USD,5650,5700,5600,5690,8,45000\n\
2020-03-13 11-PM,BTC/USD,5600,5700,5500,5650,10,56500\n";
    let l = load(text);
    assert_eq!(l.files[0].time_unit, TimeUnit::Text);
    assert_eq!(
        l.series.open_time_ms(),
        &[ms("2020-03-13T23:00:00Z"), ms("2020-03-14T00:00:00Z")]
    );
    // Unix in milliseconds with `tradecount`.
    let text = "https://www.CryptoDataDownload.com\n\
Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,tradecount\n\
1770767940000,2026-02-10 23:59:00,BTCUSDT,68841.21,68841.29,68812.72,68841.29,2.245,154515.6929909,880\n";
    let l = load(text);
    assert_eq!(l.files[0].time_unit, TimeUnit::Millis);
    assert_eq!(l.series.trades().unwrap(), &[880]);
}

#[test]
fn bitstamp_seconds() {
    let l = load("timestamp,open,high,low,close,volume\n1736208060,102228,102228,102228,102228,0.00114705\n1736208120,102214,102225,102214,102215,0.42548035\n");
    assert_eq!(l.files[0].format, Format::Bitstamp);
    assert_eq!(l.series.open_time_ms()[0], 1_736_208_060_000);
}

#[test]
fn kraken_ohlcvt_with_absent_bars() {
    let l = load("1381095000,122.0,122.0,122.0,122.0,0.1,1\n1381095060,123.61,123.61,123.61,123.61,0.1,1\n1381095240,123.91,123.91,123.91,123.91,1.0,2\n");
    assert_eq!(l.files[0].format, Format::Kraken);
    assert_eq!(l.series.trades().unwrap(), &[1, 1, 2]);
    assert_eq!(l.series.bar_seconds(), 60);
    assert_eq!(l.gaps.len(), 1);
    assert_eq!(l.gaps[0].missing_bars, 2);
    assert_eq!(l.gaps[0].start.as_millis(), 1_381_095_120_000);
    assert_eq!(l.gaps[0].end.as_millis(), 1_381_095_180_000);
}

#[test]
fn yahoo_daily_quote_volume() {
    let l = load("Date,Open,High,Low,Close,Adj Close,Volume\n2014-09-17,465.864014,468.174011,452.421997,457.334015,457.334015,21056800\n2014-09-18,456.859985,456.859985,413.104004,424.440002,424.440002,34483200\n");
    assert_eq!(l.files[0].format, Format::Yahoo);
    assert_eq!(l.series.volume_unit(), VolumeUnit::Quote);
    assert_eq!(l.series.bar_seconds(), 86_400);
    assert_eq!(l.series.close()[0], 457.334015);
}

#[test]
fn generic_delimiters_crlf_bom_and_time_forms() {
    let want = [ms("2024-01-01T00:00:00Z"), ms("2024-01-01T01:00:00Z")];
    let cases = [
        "time;open;high;low;close;volume\n2024-01-01T00:00:00Z;1;2;0.5;1.5;3\n2024-01-01T01:00:00Z;1;2;0.5;1.5;3\n",
        "time\topen\thigh\tlow\tclose\tvolume\n2024-01-01 02:00:00+02:00\t1\t2\t0.5\t1.5\t3\n2024-01-01 03:00:00+0200\t1\t2\t0.5\t1.5\t3\n",
        "\u{feff}Date,Open,High,Low,Close,Volume\r\n2024-01-01 00:00,1,2,0.5,1.5,3\r\n2024-01-01 01:00,1,2,0.5,1.5,3\r\n",
        "\"time\",\"open\",\"high\",\"low\",\"close\",\"volume\"\n\"2024-01-01 00:00:00\",\"1\",\"2\",\"0.5\",\"1.5\",\"3\"\n\"2024-01-01 01:00:00\",\"1\",\"2\",\"0.5\",\"1.5\",\"3\"\n",
    ];
    for text in cases {
        let l = load(text);
        assert_eq!(l.series.open_time_ms(), &want, "{text:?}");
        assert_eq!(l.series.close(), &[1.5, 1.5]);
    }
    let l = load(
        "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,3\n2024-01-02,1,2,0.5,1.5,3\n",
    );
    assert_eq!(l.series.bar_seconds(), 86_400);
}

#[test]
fn column_map_and_format_override() {
    let text = "Open_Time,first,max,min,last,qty,n\n2024-01-01 00:00:00,1,2,0.5,1.5,3,9\n2024-01-01 00:01:00,1,2,0.5,1.5,3,9\n";
    let e = load_err(text, &ReadOptions::default());
    assert!(e.contains("no column for open, high, low, close"), "{e}");
    let map: ColumnMap =
        "time=open_time,open=first,high=max,low=min,close=last,volume=qty,trades=7"
            .parse()
            .unwrap();
    let opts = ReadOptions {
        columns: Some(map),
        ..ReadOptions::default()
    };
    let l = load_bytes("t.csv", text.as_bytes().to_vec(), &opts).unwrap();
    assert_eq!(l.files[0].format, Format::Generic);
    assert_eq!(l.series.trades().unwrap(), &[9, 9]);
    let e = "open=o".parse::<ColumnMap>().unwrap_err().to_string();
    assert!(e.starts_with("invalid column map \"open=o\""), "{e}");
    // Format names round-trip; a forced format reads a file detection would call generic.
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
    }
    assert!(matches!(
        "nope".parse::<Format>(),
        Err(IngestError::BadOption { .. })
    ));
    let opts = ReadOptions {
        format: Some(Format::Kraken),
        ..ReadOptions::default()
    };
    let l = load_bytes(
        "k.csv",
        b"1381095000,122,122,122,122,0.1,1\n".to_vec(),
        &opts,
    )
    .unwrap();
    assert_eq!(l.files[0].format, Format::Kraken);
    assert_eq!("last".parse::<OnConflict>().unwrap(), OnConflict::Last);
}

#[test]
fn duplicates_conflicts_and_lenient() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = ms("2025-01-01T00:00:00Z");
    let a: String = (0..3)
        .map(|i| kline_row(t0 + i * 60_000, 1, 100.0))
        .collect();
    let b: String = (2..5)
        .map(|i| kline_row(t0 + i * 60_000, 1, 100.0))
        .collect();
    let pa = write(tmp.path(), "a.csv", a.as_bytes());
    let pb = write(tmp.path(), "b.csv", b.as_bytes());
    let l = load_paths(&[pa.clone(), pb], &ReadOptions::default(), None).unwrap();
    assert_eq!(
        (l.rows, l.duplicates_dropped, l.conflicts_resolved),
        (5, 1, 0)
    );
    // Same time, another close: an error naming both rows, unless a policy is given.
    let c = kline_row(t0 + 2 * 60_000, 1, 100.0).replace("101.00000000", "101.50000000");
    let pc = write(tmp.path(), "c.csv", c.as_bytes());
    let e = load_paths(&[pa.clone(), pc.clone()], &ReadOptions::default(), None).unwrap_err();
    let msg = e
        .to_string()
        .replace(&format!("{}/", tmp.path().display()), "");
    assert_eq!(
        msg,
        "conflicting rows for the bar opening at 2025-01-01T00:02:00Z: a.csv:3 and c.csv:1 differ (pass --on-conflict first|last to keep one)"
    );
    for (policy, close) in [(OnConflict::First, 101.0), (OnConflict::Last, 101.5)] {
        let opts = ReadOptions {
            on_conflict: policy,
            ..ReadOptions::default()
        };
        let l = load_paths(&[pa.clone(), pc.clone()], &opts, None).unwrap();
        assert_eq!(
            (l.rows, l.duplicates_dropped, l.conflicts_resolved),
            (3, 1, 1)
        );
        assert_eq!(l.series.close()[2], close);
    }
    // The rows of a conflict are named by file and line also when the files come out of time order
    // (the merge sorts them) and one of them had a row skipped (its lines are not consecutive).
    let late: String = std::iter::once(
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n".to_string(),
    )
    .chain((3..6).map(|i| kline_row(t0 + i * 60_000, 1, 100.0)))
    .collect();
    let early = "timestamp,open,high,low,close,volume\n\
                 2025-01-01 00:00:00,100,102,99,101,1.5\n\
                 2025-01-01 00:01:00,100,102,99,oops,1.5\n\
                 2025-01-01 00:04:00,100,102,99,101.5,1.5\n";
    let pl = write(tmp.path(), "late.csv", late.as_bytes());
    let pe = write(tmp.path(), "early.csv", early.as_bytes());
    let lenient = ReadOptions {
        lenient: true,
        ..ReadOptions::default()
    };
    let e = load_paths(&[pl, pe], &lenient, None).unwrap_err();
    assert_eq!(
        e.to_string()
            .replace(&format!("{}/", tmp.path().display()), ""),
        "conflicting rows for the bar opening at 2025-01-01T00:04:00Z: late.csv:3 and early.csv:4 differ (pass --on-conflict first|last to keep one)"
    );
    // Lenient: bad rows skipped and reported with their lines.
    let text = "timestamp,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1.5,3\n2024-01-01 00:01:00,1,0.9,0.5,1.5,3\n2024-01-01 00:02:00,1,2,0.5,x,3\n2024-01-01 00:03:00,1,2,0.5,1.5,3\n";
    let opts = ReadOptions {
        lenient: true,
        ..ReadOptions::default()
    };
    let l = load_bytes("l.csv", text.as_bytes().to_vec(), &opts).unwrap();
    assert_eq!(l.rows, 2);
    assert_eq!(l.rows_skipped, 2);
    assert_eq!(
        l.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(l.skipped[1].reason, "column close: \"x\" is not a number");
    assert_eq!(l.skipped[0].reason, "column high: high 0.9 is below max(open, close) = 1.5 (expected high >= open and high >= close)");
}
