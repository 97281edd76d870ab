//! A reader that closes early (`blocksale ... | head -1`): every subcommand that writes to stdout
//! ends quietly with status 0, no panic, no "Broken pipe" message.

use crate::common::cango_data;
use std::process::{Command, Stdio};

#[test]
fn every_subcommand_ends_quietly_when_stdout_closes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = cango_data();
    let spot = data.join("binance/spot/15m/BTCUSDT_15m.extract.csv.gz");
    let usdm = data.join("binance/usdm/15m/BTCUSDT_USDM_15m.extract.csv.gz");
    let (spot, usdm) = (spot.to_str().unwrap(), usdm.to_str().unwrap());
    let out = |name: &str| tmp.path().join(name).display().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["backtest".into(), "--out".into(), out("backtest")],
        vec![
            "backtest".into(),
            "--json".into(),
            "--out".into(),
            out("backtest-json"),
        ],
        vec!["sweep".into(), "--out".into(), out("sweep")],
        vec!["replay".into(), "--out".into(), out("replay")],
        vec!["report".into(), "--out".into(), out("report")],
        vec![
            "model".into(),
            "sqrt".into(),
            "--size".into(),
            "4451".into(),
            "--adv".into(),
            "30000".into(),
            "--sigma-daily".into(),
            "0.03".into(),
        ],
        vec![
            "estimate".into(),
            spot.into(),
            "--every".into(),
            "1d".into(),
        ],
        vec!["calibrate".into(), usdm.into()],
        vec![
            "inspect".into(),
            data.join("binance/spot/15m").display().to_string(),
        ],
        vec![
            "resample".into(),
            spot.into(),
            "--every".into(),
            "1h".into(),
        ],
        vec!["completions".into(), "bash".into()],
        vec!["--help".into()],
    ];
    for args in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_blocksale"))
            .env_remove("BLOCKSALE_DATA")
            .env("XDG_CACHE_HOME", tmp.path().join("cache"))
            .arg("-q")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the program writes anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            !err.to_lowercase().contains("broken pipe"),
            "{args:?}: {err}"
        );
    }
}
