//! Resampling 1-minute bars to 1 hour against Binance's own 1-hour file, calendar tags, the plain
//! OHLC table reader.

use crate::data::{data_dir, fake_monthly_dir, ms, write};
use blocksale_ingest::{calendar_tags, load_paths, parse_every, read_ohlc_table, ReadOptions};

/// Volume in units of 1e-8 BTC (the resolution of the files), so sums compare exactly.
fn sats(v: f64) -> i64 {
    (v * 1e8).round() as i64
}

#[test]
fn one_minute_to_one_hour_matches_binance_hourly_file() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = fake_monthly_dir(tmp.path());
        let m = load_paths(&[dir], &ReadOptions::default(), None).unwrap();
        let h = m.series.resample(3600).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.bars_present().unwrap(), &[57, 60, 60]);
        assert_eq!(h.open()[0], 100.0);
        assert_eq!(h.close()[0], 160.0);
        assert_eq!(h.high()[1], 221.0);
        assert_eq!(h.trades().unwrap()[0], 570);
        return;
    };
    let m = load_paths(&[d.join("binance/spot/1m")], &ReadOptions::default(), None).unwrap();
    let h = m.series.resample(parse_every("1h").unwrap()).unwrap();
    let r = load_paths(
        &[d.join("binance/spot/1h/BTCUSDT_1h.csv")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let r = &r.series;
    let mut compared = 0;
    for (j, &t) in r.open_time_ms().iter().enumerate() {
        if t > h.last_time().unwrap().as_millis() {
            break;
        }
        let i = h
            .open_time_ms()
            .binary_search(&t)
            .unwrap_or_else(|_| panic!("no resampled hour at {t}"));
        let at = blocksale_core::Timestamp::from_millis(t);
        assert_eq!(h.open()[i], r.open()[j], "open at {at}");
        assert_eq!(h.high()[i], r.high()[j], "high at {at}");
        assert_eq!(h.low()[i], r.low()[j], "low at {at}");
        assert_eq!(h.close()[i], r.close()[j], "close at {at}");
        assert_eq!(sats(h.volume()[i]), sats(r.volume()[j]), "volume at {at}");
        assert_eq!(h.bars_present().unwrap()[i], 60, "bars at {at}");
        compared += 1;
    }
    assert_eq!(compared, 16_800);
    assert_eq!(r.first_time().unwrap().to_rfc3339(), "2024-01-01T00:00:00Z");
}

#[test]
fn every_supported_interval_resamples() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, rows) = fake_monthly_dir(tmp.path());
    let m = load_paths(&[dir], &ReadOptions::default(), None).unwrap();
    for every in ["1m", "5m", "15m", "1h", "4h", "1d", "1w"] {
        let s = m.series.resample(parse_every(every).unwrap()).unwrap();
        let present: u32 = s.bars_present().unwrap().iter().sum();
        assert_eq!(present as usize, rows, "{every}");
        let v: f64 = s.volume().iter().sum();
        assert!((v - 1.5 * rows as f64).abs() < 1e-9, "{every}");
    }
}

#[test]
fn calendar_tags_weekend_and_hour_of_week() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "w.csv",
        b"timestamp,open,high,low,close,volume\n2026-02-06 23:00:00,1,2,0.5,1.5,3\n2026-02-07 00:00:00,1,2,0.5,1.5,3\n2026-02-08 23:00:00,1,2,0.5,1.5,3\n2026-02-09 00:00:00,1,2,0.5,1.5,3\n",
    );
    let l = load_paths(&[p], &ReadOptions::default(), None).unwrap();
    let tags = calendar_tags(&l.series);
    assert_eq!(
        tags.iter().map(|t| t.weekend).collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
    assert_eq!(
        tags.iter().map(|t| t.hour_of_week).collect::<Vec<_>>(),
        vec![4 * 24 + 23, 5 * 24, 167, 0]
    );
    assert_eq!(l.series.open_time_ms()[1], ms("2026-02-07T00:00:00Z"));
}

#[test]
fn ohlc_table_without_time_column() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "o.csv",
        b"\"Open\",\"High\",\"Low\",\"Close\"\n1,2,0.5,1.5\n,2,,1.5\n1.1,NA,1,1\n",
    );
    let t = read_ohlc_table(&p).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.open[0], 1.0);
    assert!(t.open[1].is_nan() && t.low[1].is_nan() && t.high[2].is_nan());
    assert_eq!(t.close, vec![1.5, 1.5, 1.0]);
    let p = write(tmp.path(), "bad.csv", b"Open,High,Low,Close\n1,2,x,1\n");
    assert_eq!(
        read_ohlc_table(&p)
            .unwrap_err()
            .to_string()
            .replace(&format!("{}/", tmp.path().display()), ""),
        "bad.csv:2: column low: \"x\" is not a number or an empty cell"
    );
    let Some(d) = data_dir() else { return };
    let t = read_ohlc_table(d.join("reference/bidask/ohlc.csv")).unwrap();
    assert_eq!(t.len(), 10_000);
    assert_eq!(
        (t.open[0], t.high[0], t.low[0], t.close[0]),
        (
            1.00240075994025,
            1.00935878365403,
            0.976061138469904,
            0.976061138469904
        )
    );
    assert_eq!(t.close[9_999], 7.80295646393851);
}

#[test]
fn usdm_one_minute_to_15m_and_1h_match_the_exchange_files_on_every_field() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = fake_monthly_dir(tmp.path());
        let m = load_paths(&[dir], &ReadOptions::default(), None).unwrap();
        let q = m.series.resample(900).unwrap();
        assert_eq!(q.taker_buy_volume().unwrap()[0], 0.75 * 12.0);
        return;
    };
    let m = load_paths(
        &[d.join("binance/usdm/1m-event")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    for (every, reference) in [(900, "binance/usdm/15m"), (3600, "binance/usdm/1h-monthly")] {
        let h = m.series.resample(every).unwrap();
        let r = load_paths(&[d.join(reference)], &ReadOptions::default(), None).unwrap();
        let r = &r.series;
        let mut compared = 0;
        for i in 0..h.len() {
            let t = h.open_time_ms()[i];
            let j = r.open_time_ms().binary_search(&t).expect("reference bar");
            assert_eq!(
                (h.open()[i], h.high()[i], h.low()[i], h.close()[i]),
                (r.open()[j], r.high()[j], r.low()[j], r.close()[j])
            );
            assert_eq!(sats(h.volume()[i]), sats(r.volume()[j]));
            assert_eq!(
                sats(h.taker_buy_volume().unwrap()[i]),
                sats(r.taker_buy_volume().unwrap()[j])
            );
            assert_eq!(h.trades().unwrap()[i], r.trades().unwrap()[j]);
            let (qa, qb) = (h.quote_volume().unwrap()[i], r.quote_volume().unwrap()[j]);
            assert!(
                (qa - qb).abs() <= 1e-12 * qb.abs(),
                "quote volume {qa} vs {qb}"
            );
            compared += 1;
        }
        assert_eq!(compared, 8_640 * 60 / every as usize, "{reference}");
    }
}

#[test]
fn cryptodatadownload_minutes_to_15m_match_the_spot_15m_file() {
    let Some(d) = data_dir() else {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = fake_monthly_dir(tmp.path());
        let m = load_paths(&[dir], &ReadOptions::default(), None).unwrap();
        assert_eq!(m.series.resample(900).unwrap().len(), 12);
        return;
    };
    let m = load_paths(
        &[d.join("binance/spot/1m-event")],
        &ReadOptions::default(),
        None,
    )
    .unwrap();
    let q = m.series.resample(900).unwrap();
    let r = load_paths(&[d.join("binance/spot/15m")], &ReadOptions::default(), None).unwrap();
    let r = &r.series;
    assert_eq!(q.len(), 576);
    let mut full = 0;
    for i in 0..q.len() {
        let t = q.open_time_ms()[i];
        let j = r.open_time_ms().binary_search(&t).expect("15m bar");
        assert_eq!(q.close()[i], r.close()[j]);
        if t % 86_400_000 == 0 {
            // The source lacks the 00:00 minute of each day.
            assert_eq!(q.bars_present().unwrap()[i], 14);
            continue;
        }
        assert_eq!(
            (q.open()[i], q.high()[i], q.low()[i]),
            (r.open()[j], r.high()[j], r.low()[j])
        );
        assert_eq!(sats(q.volume()[i]), sats(r.volume()[j]));
        full += 1;
    }
    assert_eq!(full, 570);
}
