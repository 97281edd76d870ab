//! A generated random walk with an injected drag of known size and shape: the analysis must recover
//! the planted numbers.
//!
//! The drag planted is the square-root model's own predicted path for the sale (TWAP, plateau
//! decay at 2/3), applied to the walk as `P_obs = P_clean * exp(-I(t))`, and the sale's quantity is
//! added to the traded volume bar by bar. Everything the model needs (sigma, V) is measured before
//! the sale day, so the planted and the predicted paths are the same function and the recovery is
//! exact up to floating point; a second test plants a drag on a noisy walk and recovers its size
//! from the event study within its sampling error.

use blocksale_backtest::{
    run, BacktestInput, BacktestResult, ExpectedReturnModel, LinearSpec, ModelSpec, ParamSource,
    Scenario, SqrtSpec,
};
use blocksale_core::{BarColumns, BarSeries};
use blocksale_impact::Decay;
use std::collections::BTreeMap;

const HOUR: i64 = 3_600_000;

/// Seeded xorshift uniform in [-0.5, 0.5).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

fn scenario() -> Scenario {
    let mut s = Scenario::example();
    s.name = "planted".into();
    s.size_btc = 3_000.0;
    s.disclosed_proceeds_usd = None;
    s.models = vec![
        ModelSpec::Sqrt(SqrtSpec {
            y: 0.9,
            params: ParamSource::Literature,
        }),
        ModelSpec::Linear(LinearSpec { k: 1.0 }),
    ];
    s.decay = Decay::two_thirds();
    s
}

/// Hourly walk from 70 days before the sale start to 10 days after, `step` the per-hour sd.
fn walk(s: &Scenario, step: f64, seed: u64) -> BarSeries {
    let t0 = s.start.as_millis() - 70 * 24 * HOUR;
    let mut rng = Rng(seed);
    let mut c = BarColumns::default();
    let mut p = 70_000.0f64;
    for i in 0..(80 * 24) {
        let o = p;
        p *= (step * 3.4641 * rng.next()).exp(); // uniform with sd `step`
        let (h, l) = (
            o.max(p) * (1.0 + 0.001 * (rng.next() + 0.5)),
            o.min(p) * (1.0 - 0.001 * (rng.next() + 0.5)),
        );
        c.push_ohlcv(t0 + i * HOUR, o, h, l, p, 500.0 + 200.0 * rng.next());
    }
    BarSeries::new_checked(c, 3_600).unwrap()
}

fn run_on(s: &Scenario, bars: &BarSeries) -> BacktestResult {
    let sources = BTreeMap::from([("synthetic".to_string(), bars.clone())]);
    run(&BacktestInput {
        scenario: s,
        sources: &sources,
        data_files: vec![],
        what_if: None,
    })
    .unwrap()
}

/// Apply `impact_bps` (per bar open time, impact at the bar's close) and add `sold` BTC per bar.
fn plant(clean: &BarSeries, impact_at: &BTreeMap<i64, (f64, f64)>) -> BarSeries {
    let mut c = clean.columns().clone();
    let mut prev = 0.0f64;
    for i in 0..c.len() {
        let Some(&(imp, sold)) = impact_at.get(&c.open_time_ms[i]) else {
            continue;
        };
        let (fo, fc) = ((-prev).exp(), (-imp).exp());
        let (o, cl) = (c.open[i] * fo, c.close[i] * fc);
        c.high[i] = (c.high[i] * fo.max(fc)).max(o).max(cl);
        c.low[i] = (c.low[i] * fo.min(fc)).min(o).min(cl);
        c.open[i] = o;
        c.close[i] = cl;
        c.volume[i] += sold;
        prev = imp;
    }
    BarSeries::new_checked(c, clean.bar_seconds()).unwrap()
}

/// The sqrt model's predicted impact (fraction) and the schedule's BTC per bar, by bar open time.
fn predicted(r: &BacktestResult) -> BTreeMap<i64, (f64, f64)> {
    let mut sold_before = 0.0;
    r.paths
        .iter()
        .filter(|row| row.open_time.as_millis() >= r.scenario.start.as_millis())
        .map(|row| {
            let sold = row.sold_btc - sold_before;
            sold_before = row.sold_btc;
            (row.open_time.as_millis(), (row.impact_bps[0] * 1e-4, sold))
        })
        .collect()
}

#[test]
fn exact_recovery_of_a_planted_square_root_drag() {
    let s = scenario();
    let clean = walk(&s, 0.004, 7);
    let base = run_on(&s, &clean);
    let planted_path = predicted(&base);
    let i_end = base.models[0].impact_at_window_end_bps * 1e-4;
    assert!(
        i_end > 0.005,
        "the planted drag should be material: {i_end}"
    );
    let dragged = plant(&clean, &planted_path);
    let r = run_on(&s, &dragged);

    // The market state before the sale day is untouched, so the model predicts the same path.
    assert_eq!(r.market.state.sigma_daily, base.market.state.sigma_daily);
    assert_eq!(
        r.market.state.model_volume_btc,
        base.market.state.model_volume_btc
    );
    assert!(
        (r.models[0].impact_at_window_end_bps - base.models[0].impact_at_window_end_bps).abs()
            < 1e-9
    );

    // 1. The counterfactual path is the clean walk, bar for bar (tolerance 1e-9 relative).
    let clean_close: BTreeMap<i64, f64> = clean
        .open_time_ms()
        .iter()
        .copied()
        .zip(clean.close().iter().copied())
        .collect();
    for row in &r.paths {
        let want = clean_close[&row.open_time.as_millis()];
        let got = row.counterfactual_close_usd[0];
        assert!(
            ((got - want) / want).abs() < 1e-9,
            "{}: {got} vs {want}",
            row.open_time
        );
    }
    // 2. The observed window return moved by exactly the planted end-of-window drag.
    assert!((r.observed.return_window - base.observed.return_window + i_end).abs() < 1e-9);
    // 3. The event study's CAR moved by the same amount (its estimation window is untouched).
    assert!(
        (r.attribution.event_study.car - base.attribution.event_study.car + i_end).abs() < 1e-9
    );
    // 4. After the sale the drag decays to the plateau: the +72h markout moved by 2/3 of the
    //    end-of-sale impact (within the propagator relaxation still in progress: between 2/3 and 1).
    let m72 = |x: &BacktestResult| {
        x.observed
            .markouts
            .iter()
            .find(|m| m.hours == 72)
            .unwrap()
            .return_from_start
            .unwrap()
    };
    let moved = m72(&base) - m72(&r);
    assert!(
        moved > i_end * 2.0 / 3.0 - 1e-9 && moved < i_end + 1e-9,
        "72h markout moved by {moved}, end drag {i_end}"
    );
    // 5. The planted volume shows up as excess window volume: exactly the block.
    let excess = r.attribution.footprint.window_excess_volume_btc
        - base.attribution.footprint.window_excess_volume_btc;
    assert!((excess - s.size_btc).abs() < 1e-6, "excess volume {excess}");
    // 6. The participation is the block over the (now larger) window volume.
    assert!((r.observed.participation - s.size_btc / r.observed.window_volume_btc).abs() < 1e-12);
}

#[test]
fn implied_price_points_to_the_schedule_that_produced_it() {
    let mut s = scenario();
    let clean = walk(&s, 0.004, 11);
    let base = run_on(&s, &clean);
    let dragged = plant(&clean, &predicted(&base));
    // Proceeds as if the block were sold TWAP at each bar's typical price of the dragged path.
    let r0 = run_on(&s, &dragged);
    let fills: f64 = r0
        .paths
        .iter()
        .filter(|row| row.in_window)
        .map(|row| (row.high + row.low + row.close) / 3.0 * s.size_btc / 48.0)
        .sum();
    s.disclosed_proceeds_usd = Some(fills);
    let r = run_on(&s, &dragged);
    let fp = &r.attribution.footprint;
    assert_eq!(
        fp.best_schedule.as_deref(),
        Some("twap"),
        "{:?}",
        fp.schedule_fit
    );
    assert!(fp.schedule_fit[0].implied_minus_schedule_bps.unwrap().abs() < 1e-6);
}

#[test]
fn noisy_walks_event_study_recovers_the_drag_size_without_the_clean_path() {
    // From the dragged data alone: -CAR over the window estimates the planted drag plus the walk's
    // own abnormal return, which has mean zero. Over 100 seeded walks the mean of -CAR must match
    // the mean planted drag within 3 standard errors. A block of 2.5 days of volume makes the drag
    // (about 2.8 %) comparable to the 48-hour noise (0.4 %/h: sd about 2.8 %); the square-root
    // drag over sigma*sqrt(T) does not depend on sigma, so detectability is set by Q/V alone.
    let mut s = scenario();
    s.size_btc = 30_000.0;
    let (mut est, mut planted) = (Vec::new(), Vec::new());
    for seed in 1..=100u64 {
        let clean = walk(&s, 0.004, seed * 7919);
        let base = run_on(&s, &clean);
        let r = run_on(&s, &plant(&clean, &predicted(&base)));
        planted.push(base.models[0].impact_at_window_end_bps * 1e-4);
        est.push(-r.attribution.event_study.car);
        // Per run, the J statistic moves by exactly the planted drag in units of its own sd.
        let es = &r.attribution.event_study;
        let shift = base.attribution.event_study.j_stat - es.j_stat;
        let want = planted.last().unwrap() / es.car_sd;
        let l2 = es.event_n as f64;
        // The default market-adjusted model: Var(CAR) = L2 sigma^2, no mean-estimation term.
        assert_eq!(
            es.expected_return_model,
            ExpectedReturnModel::MarketAdjusted
        );
        let sd_by_hand = es.sd_return_per_bar * l2.sqrt();
        let o = &es.other_model;
        let cm_sd = es.sd_return_per_bar * (l2 * (1.0 + l2 / es.estimation_n as f64)).sqrt();
        assert!((o.car_sd - cm_sd).abs() < 1e-15 * cm_sd);
        assert!((es.car_sd - sd_by_hand).abs() < 1e-15 * sd_by_hand);
        assert!(
            (shift - want).abs() < 1e-9,
            "seed {seed}: J moved {shift}, planted {want}"
        );
    }
    let n = est.len() as f64;
    let mean_est = est.iter().sum::<f64>() / n;
    let mean_planted = planted.iter().sum::<f64>() / n;
    let sd = (est.iter().map(|x| (x - mean_est).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let se = sd / n.sqrt();
    assert!(mean_planted > 0.02, "planted drag {mean_planted}");
    assert!(
        (mean_est - mean_planted).abs() < 3.0 * se,
        "recovered {mean_est:.4} vs planted {mean_planted:.4} (se {se:.4})"
    );
}
