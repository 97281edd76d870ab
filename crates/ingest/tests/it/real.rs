//! Real Binance files: row counts, first and last times, and OHLCV values checked against the files.

use crate::data::{data_dir, fake_monthly_dir, ms};
use blocksale_core::BarColumns;
use blocksale_ingest::{
    columns_by_reader, expand_paths, load_paths, Format, ReadOptions, TimeUnit,
};

fn row_at(s: &blocksale_core::BarSeries, t: &str) -> usize {
    s.open_time_ms()
        .binary_search(&ms(t))
        .unwrap_or_else(|_| panic!("no bar at {t}"))
}

#[test]
fn spot_1m_monthly_ms_and_us() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, rows) = fake_monthly_dir(tmp.path());
        let l = load_paths(&[dir], &ReadOptions::default(), None).unwrap();
        assert_eq!(l.rows, rows);
        assert_eq!(l.files.len(), 3);
        assert_eq!(l.files[2].time_unit, TimeUnit::Micros);
        assert_eq!(l.gaps.len(), 1);
        assert_eq!(l.gaps[0].missing_bars, 3);
        let i = row_at(&l.series, "2025-01-01T00:00:00Z");
        assert_eq!(l.series.open()[i], 220.0);
        return;
    };
    let dir = d.join("binance/spot/1m");
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let cb = |done: usize, total: usize| {
        assert!(done <= total && total == 35);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let l = load_paths(&[dir], &ReadOptions::default(), Some(&cb)).unwrap();
    assert_eq!(calls.into_inner(), 35);
    let s = &l.series;
    assert_eq!(l.files.len(), 35);
    assert_eq!(l.rows, 1_533_520);
    assert_eq!(s.len(), 1_533_520);
    assert_eq!(s.bar_seconds(), 60);
    assert_eq!(l.duplicates_dropped, 0);
    assert_eq!(l.rows_skipped, 0);
    assert!(l.files.iter().all(|f| f.format == Format::BinanceKlines));
    let units: Vec<TimeUnit> = l.files.iter().map(|f| f.time_unit).collect();
    assert!(
        units[..24].iter().all(|&u| u == TimeUnit::Millis),
        "{units:?}"
    );
    assert!(
        units[24..].iter().all(|&u| u == TimeUnit::Micros),
        "{units:?}"
    );
    assert_eq!(s.first_time().unwrap().to_rfc3339(), "2023-01-01T00:00:00Z");
    assert_eq!(s.last_time().unwrap().to_rfc3339(), "2025-11-30T23:59:00Z");
    // The exchange outage of 2023-03-24: last bar 12:39, next 14:00.
    assert_eq!(l.gaps.len(), 1);
    assert_eq!(l.gaps[0].start.to_rfc3339(), "2023-03-24T12:40:00Z");
    assert_eq!(l.gaps[0].end.to_rfc3339(), "2023-03-24T13:59:00Z");
    assert_eq!(l.gaps[0].missing_bars, 80);
    // First row of BTCUSDT-1m-2023-01.csv.gz.
    assert_eq!(
        (s.open()[0], s.high()[0], s.low()[0], s.close()[0]),
        (16541.77, 16544.76, 16538.45, 16543.67)
    );
    assert_eq!(s.volume()[0], 83.08143);
    assert_eq!(s.quote_volume().unwrap()[0], 1374268.8488616);
    assert_eq!(s.trades().unwrap()[0], 2687);
    assert_eq!(s.taker_buy_volume().unwrap()[0], 40.18369);
    // Last ms row (2024-12-31 23:59) and first us row (2025-01-01 00:00).
    let i = row_at(s, "2024-12-31T23:59:00Z");
    assert_eq!(
        (
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            s.volume()[i]
        ),
        (93600.01, 93616.05, 93576.0, 93576.0, 5.48662)
    );
    assert_eq!(s.trades().unwrap()[i], 1062);
    let i = row_at(s, "2025-01-01T00:00:00Z");
    assert_eq!(
        (
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            s.volume()[i]
        ),
        (93576.0, 93610.93, 93537.5, 93610.93, 8.21827)
    );
    assert_eq!(s.taker_buy_volume().unwrap()[i], 3.95157);
    // Last row of BTCUSDT-1m-2025-11.csv.gz.
    let i = s.len() - 1;
    assert_eq!(
        (
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            s.volume()[i]
        ),
        (90357.65, 90377.41, 90336.9, 90360.0, 27.36117)
    );
    assert_eq!(s.trades().unwrap()[i], 3407);
}

#[test]
fn spot_15m_naive_text_times() {
    let Some(d) = data_dir() else {
        return fallback_text();
    };
    let l = load_paths(
        &[d.join("binance/spot/15m/BTCUSDT_15m.csv")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let s = &l.series;
    assert_eq!(l.files[0].format, Format::TimestampOhlcv);
    assert_eq!(l.files[0].time_unit, TimeUnit::Text);
    assert_eq!(l.rows, 35_040);
    assert_eq!(s.bar_seconds(), 900);
    assert!(l.gaps.is_empty());
    assert_eq!(s.first_time().unwrap().to_rfc3339(), "2025-03-29T13:00:00Z");
    assert_eq!(s.last_time().unwrap().to_rfc3339(), "2026-03-29T12:45:00Z");
    assert_eq!(
        (
            s.open()[0],
            s.high()[0],
            s.low()[0],
            s.close()[0],
            s.volume()[0]
        ),
        (82462.69, 82680.8, 82454.44, 82649.99, 237.87386)
    );
    let i = s.len() - 1;
    assert_eq!(
        (
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            s.volume()[i]
        ),
        (66738.0, 66870.34, 66729.27, 66860.47, 34.56961)
    );
    assert!(s.quote_volume().is_none() && s.trades().is_none());
}

fn fallback_text() {
    let tmp = tempfile::tempdir().unwrap();
    let p = crate::data::write(
        tmp.path(),
        "x.csv",
        b"Open_Time,Open,High,Low,Close,Volume\n2025-03-29 13:00:00,1,2,0.5,1.5,3\n2025-03-29 13:15:00,1.5,2,1,1.2,4\n",
    );
    let l = load_paths(&[p], &ReadOptions::default(), None).unwrap();
    assert_eq!(l.rows, 2);
    assert_eq!(l.series.bar_seconds(), 900);
}

#[test]
fn spot_1h_offset_text_times() {
    let Some(d) = data_dir() else {
        return fallback_text();
    };
    let l = load_paths(&[d.join("binance/spot/1h")], &ReadOptions::default(), None).unwrap();
    let s = &l.series;
    assert_eq!(l.rows, 19_704);
    assert!(l.gaps.is_empty());
    assert_eq!(s.bar_seconds(), 3600);
    assert_eq!(s.first_time().unwrap().to_rfc3339(), "2024-01-01T00:00:00Z");
    assert_eq!(
        (
            s.open()[0],
            s.high()[0],
            s.low()[0],
            s.close()[0],
            s.volume()[0]
        ),
        (42283.58, 42554.57, 42261.02, 42475.23, 1271.68108)
    );
}

#[test]
fn usdm_headered_futures() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let mut text = String::from("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n");
        for i in 0..10 {
            text += &crate::data::kline_row(ms("2026-02-05T00:00:00Z") + i * 60_000, 1, 73000.0);
        }
        let p = crate::data::write(tmp.path(), "f.csv", text.as_bytes());
        let l = load_paths(&[p], &ReadOptions::default(), None).unwrap();
        assert_eq!(l.rows, 10);
        assert_eq!(l.series.trades().unwrap()[0], 10);
        return;
    };
    let l = load_paths(
        &[d.join("binance/usdm/1m-event")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let s = &l.series;
    assert_eq!(l.files[0].format, Format::BinanceKlines);
    assert_eq!(l.rows, 8_640);
    assert!(l.gaps.is_empty());
    assert_eq!(s.first_time().unwrap().to_rfc3339(), "2026-02-05T00:00:00Z");
    assert_eq!(s.last_time().unwrap().to_rfc3339(), "2026-02-10T23:59:00Z");
    assert_eq!(
        (
            s.open()[0],
            s.high()[0],
            s.low()[0],
            s.close()[0],
            s.volume()[0]
        ),
        (73137.5, 73161.1, 73130.0, 73136.0, 91.049)
    );
    assert_eq!(s.quote_volume().unwrap()[0], 6659839.4033);
    assert_eq!(s.trades().unwrap()[0], 3529);
    assert_eq!(s.taker_buy_volume().unwrap()[0], 42.666);
    let i = s.len() - 1;
    assert_eq!(
        (s.open()[i], s.close()[i], s.volume()[i]),
        (68805.2, 68805.3, 33.148)
    );

    let l = load_paths(
        &[d.join("binance/usdm/1h-monthly")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(l.files.len(), 24);
    assert_eq!(l.rows, 17_520);
    assert!(l.gaps.is_empty());
    assert_eq!(
        l.series.first_time().unwrap().to_rfc3339(),
        "2024-06-01T00:00:00Z"
    );
    assert_eq!(l.series.open()[0], 67577.9);
    assert_eq!(l.series.trades().unwrap()[0], 49741);

    // API layout with other header names (`qav`, `num_trades`, `taker_base_vol`).
    let l = load_paths(&[d.join("binance/usdm/15m")], &ReadOptions::default(), None).unwrap();
    assert_eq!(l.rows, 25_920);
    assert_eq!(l.series.bar_seconds(), 900);
    assert_eq!(
        l.series.first_time().unwrap().to_rfc3339(),
        "2025-08-31T09:00:00Z"
    );
    assert_eq!(l.series.quote_volume().unwrap()[0], 53795815.2523);
    assert_eq!(l.series.trades().unwrap()[0], 12788);
    assert_eq!(l.series.taker_buy_volume().unwrap()[0], 296.108);
}

#[test]
fn cryptodatadownload_newest_first_is_reversed() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let p = crate::data::write(
            tmp.path(),
            "cdd.csv",
            b"https://www.CryptoDataDownload.com\nUnix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USDT,tradecount\n\
1770767940000,2026-02-10 23:59:00,BTCUSDT,68841.21,68841.29,68812.72,68841.29,2.245,154515.6929909,880\n\
1770767880000,2026-02-10 23:58:00,BTCUSDT,68841.21,68841.29,68812.72,68841.21,2.245,154515.6929909,880\n",
        );
        let l = load_paths(&[p], &ReadOptions::default(), None).unwrap();
        assert_eq!(l.files[0].format, Format::CryptoDataDownload);
        assert_eq!(
            l.series.last_time().unwrap().to_rfc3339(),
            "2026-02-10T23:59:00Z"
        );
        assert_eq!(l.series.trades().unwrap(), &[880, 880]);
        return;
    };
    let l = load_paths(
        &[d.join("binance/spot/1m-event")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let s = &l.series;
    assert_eq!(l.files[0].format, Format::CryptoDataDownload);
    assert_eq!(l.rows, 8_634);
    assert_eq!(s.first_time().unwrap().to_rfc3339(), "2026-02-05T00:01:00Z");
    assert_eq!(s.last_time().unwrap().to_rfc3339(), "2026-02-10T23:59:00Z");
    // The 00:00 minute of each day after the first is missing.
    assert_eq!(l.gaps.len(), 5);
    assert!(l.gaps.iter().all(|g| g.missing_bars == 1));
    let i = s.len() - 1;
    assert_eq!(
        (
            s.open()[i],
            s.high()[i],
            s.low()[i],
            s.close()[i],
            s.volume()[i]
        ),
        (68841.21, 68841.29, 68812.72, 68841.29, 2.245)
    );
    assert_eq!(s.quote_volume().unwrap()[i], 154515.6929909);
    assert_eq!(s.trades().unwrap()[i], 880);
}

/// Bit-level equality of two readers' columns (f64 `==` would let 0.0 equal -0.0).
fn assert_same_columns(a: &BarColumns, b: &BarColumns, what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(a.open_time_ms, b.open_time_ms, "{what}: times");
    for (name, x, y) in [
        ("open", &a.open, &b.open),
        ("high", &a.high, &b.high),
        ("low", &a.low, &b.low),
        ("close", &a.close, &b.close),
        ("volume", &a.volume, &b.volume),
    ] {
        assert_eq!(bits(x), bits(y), "{what}: {name}");
    }
    for (name, x, y) in [
        ("quote_volume", &a.quote_volume, &b.quote_volume),
        ("taker_buy_volume", &a.taker_buy_volume, &b.taker_buy_volume),
    ] {
        assert_eq!(
            x.as_deref().map(bits),
            y.as_deref().map(bits),
            "{what}: {name}"
        );
    }
    assert_eq!(a.trades, b.trades, "{what}: trades");
    assert_eq!(a.volume_unit, b.volume_unit, "{what}: volume unit");
}

/// Every file is read by the numeric parser (where its times are integers), polars and the
/// line-by-line reader; all three must give the same bits.
/// Returns the files the numeric parser read, and the rows.
fn readers_agree_on(files: &[std::path::PathBuf]) -> (Vec<std::path::PathBuf>, usize) {
    let (mut numeric_files, mut rows) = (Vec::new(), 0);
    for p in files {
        let what = p.display().to_string();
        let [numeric, polars, lines] = columns_by_reader(p, &ReadOptions::default()).unwrap();
        let lines = lines.unwrap_or_else(|| panic!("{what}: the line-by-line reader refused it"));
        let polars = polars.unwrap_or_else(|| panic!("{what}: polars refused it"));
        assert_same_columns(&polars, &lines, &format!("{what} (polars vs lines)"));
        if let Some(n) = numeric {
            assert_same_columns(&n, &lines, &format!("{what} (numeric vs lines)"));
            numeric_files.push(p.clone());
        }
        rows += lines.len();
    }
    (numeric_files, rows)
}

#[test]
fn the_three_readers_agree_bit_for_bit() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, rows) = fake_monthly_dir(tmp.path());
        let files = expand_paths(&[dir]).unwrap();
        assert_eq!(readers_agree_on(&files), (files.clone(), rows));
        return;
    };
    // Every kline file of both venues (1m monthly gz, 1m event, 15m to 4h, 1h monthly).
    let mut files = expand_paths(&[d.join("binance/spot"), d.join("binance/usdm")]).unwrap();
    files.retain(|p| !p.to_string_lossy().contains("funding"));
    let (numeric, rows) = readers_agree_on(&files);
    assert!(files.len() >= 69, "{} files", files.len());
    assert!(rows > 1_533_520, "{rows} rows");
    // Files with epoch times (the archive files, the USD-M 15m file, the CryptoDataDownload minutes,
    // whose text date column is stepped over) all went through the numeric parser; the rest have
    // text times.
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy();
        let archive = name.starts_with("BTCUSDT-1")
            || name.starts_with("Binance_")
            || name == "BTCUSDT_USDM_15m.csv";
        assert_eq!(numeric.contains(p), archive, "{}", p.display());
    }
    // Text and float times (Yahoo, samples) have no numeric reader: polars and lines still agree.
    let others = expand_paths(&[d.join("yahoo")]).unwrap();
    readers_agree_on(&others);
}
