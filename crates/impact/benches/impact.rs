//! Benchmarks of blocksale-impact.
//!
//! Workloads:
//! * `models_1e6/*`: one million evaluations of each model's closed form (the square-root and
//!   power-law impact, linear, Kyle, ATHL costs, the exponential kernel at a time), each over a
//!   sweep of sizes so nothing is hoisted out of the loop.
//! * `model_path_48/*`: one impact path per model on a 48-bar grid (a 2-day sale in 1-hour bars
//!   followed by 24 hours of decay), including the O(N^2) propagator and Almgren-Chriss solves.
//! * `estimators_1.5m/*`: every estimator over 1.5 million synthetic 1-minute bars (a random walk
//!   with OHLC ranges, volume and taker-buy volume, the size of the 2023-2025 Binance file set):
//!   five volatilities, four spreads, Amihud, ADV, Kyle's lambda, and the calibration curve fit
//!   (200 bootstrap replicates).
//!
//! Run: `CARGO_TARGET_DIR=/work/target cargo bench -p blocksale-impact --bench impact`
//! (add a filter such as `-- models_1e6` to run one group).

use blocksale_core::{BarColumns, BarSeries};
use blocksale_impact::calibration::{calibrate, CalibrationConfig};
use blocksale_impact::estimators::{
    adv, all_vol_estimators, amihud_daily, kyle_lambda, AbdiRanaldo, CorwinSchultz, Edge, Ohlc,
    Roll, SpreadEstimator,
};
use blocksale_impact::models::{
    AcProblem, AlmgrenChriss, Athl, ExpKernel, Kyle, Linear, PowerLaw, Propagator,
};
use blocksale_impact::rng::SplitMix64;
use blocksale_impact::schedules::twap;
use blocksale_impact::{ExecutionGrid, ImpactModel, MarketInputs};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

const N_EVAL: usize = 1_000_000;

fn sizes() -> impl Iterator<Item = f64> {
    (0..N_EVAL).map(|i| 1.0 + (i % 10_000) as f64)
}

fn models_1e6(c: &mut Criterion) {
    let m = MarketInputs::new_checked(0.03, 30_000.0).unwrap();
    let mut g = c.benchmark_group("models_1e6");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let sq = PowerLaw::square_root();
    g.bench_function("sqrt", |b| {
        b.iter(|| sizes().map(|q| sq.impact(black_box(q), &m)).sum::<f64>())
    });
    let pw = PowerLaw::new_checked(0.9, 0.6).unwrap();
    g.bench_function("power", |b| {
        b.iter(|| sizes().map(|q| pw.impact(black_box(q), &m)).sum::<f64>())
    });
    let li = Linear::unit();
    g.bench_function("linear", |b| {
        b.iter(|| sizes().map(|q| li.impact(black_box(q), &m)).sum::<f64>())
    });
    let ky = Kyle::new_checked(2e-6).unwrap();
    g.bench_function("kyle", |b| {
        b.iter(|| sizes().map(|q| ky.impact(black_box(q))).sum::<f64>())
    });
    let at = Athl::equity_2005(19_900_000.0).unwrap();
    g.bench_function("athl", |b| {
        b.iter(|| {
            sizes()
                .map(|q| at.costs(black_box(q), 1.0, &m).unwrap().realized)
                .sum::<f64>()
        })
    });
    let ek = ExpKernel::new_checked(1e-6, 2.0).unwrap();
    g.bench_function("exp_kernel", |b| {
        b.iter(|| {
            sizes()
                .map(|q| ek.constant_rate(black_box(q), 1.0, 1.5))
                .sum::<f64>()
        })
    });
    g.finish();
}

fn model_paths(c: &mut Criterion) {
    let m = MarketInputs::new_checked(0.03, 30_000.0).unwrap();
    let grid = ExecutionGrid::uniform(twap(4451.0, 48), 72, 3.0).unwrap();
    let models: Vec<Box<dyn ImpactModel>> = vec![
        Box::new(PowerLaw::square_root()),
        Box::new(Linear::unit()),
        Box::new(Kyle::new_checked(2e-6).unwrap()),
        Box::new(Athl::equity_2005(19_900_000.0).unwrap()),
        Box::new(AlmgrenChriss::new_checked(0.03, 1e-4, 1e-7, 1e-7).unwrap()),
        Box::new(ExpKernel::new_checked(1e-6, 2.0).unwrap()),
        Box::new(Propagator::square_root()),
    ];
    let mut g = c.benchmark_group("model_path_48");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for model in &models {
        g.bench_function(model.name(), |b| {
            b.iter(|| model.path(black_box(&grid), &m))
        });
    }
    let ac = AlmgrenChriss::new_checked(0.948683, 0.0625, 2.5e-6, 2.5e-7).unwrap();
    let p = AcProblem::new_checked(ac, 1e6, 5.0, 48, 1e-6).unwrap();
    g.bench_function("almgren_chriss_solve", |b| b.iter(|| black_box(&p).solve()));
    g.finish();
}

/// 1.5 million 1-minute bars from 2023-01-01: log random walk, 3 %/day, with ranges and flow.
fn synthetic_bars(n: usize) -> BarSeries {
    let mut rng = SplitMix64::new(2023);
    let mut c = BarColumns::default();
    let mut tb = Vec::with_capacity(n);
    let mut p: f64 = 20_000.0;
    let step = 0.03 / (1440f64).sqrt();
    for i in 0..n {
        let o = p;
        p *= (step * (rng.next_f64() - 0.5) * 3.46).exp();
        let hi = o.max(p) * (1.0 + 2e-4 * rng.next_f64());
        let lo = o.min(p) * (1.0 - 2e-4 * rng.next_f64());
        let v = 5.0 + 50.0 * rng.next_f64();
        c.push_ohlcv(1_672_531_200_000 + i as i64 * 60_000, o, hi, lo, p, v);
        tb.push(v * rng.next_f64());
    }
    c.taker_buy_volume = Some(tb);
    BarSeries::new_checked(c, 60).unwrap()
}

fn estimators(c: &mut Criterion) {
    let bars = synthetic_bars(1_500_000);
    let ohlc = Ohlc::from_series(&bars);
    let mut g = c.benchmark_group("estimators_1.5m");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for e in all_vol_estimators() {
        g.bench_function(e.name(), |b| {
            b.iter(|| e.estimate(black_box(&ohlc), 60.0).unwrap())
        });
    }
    let spreads: Vec<Box<dyn SpreadEstimator>> = vec![
        Box::new(Roll),
        Box::new(CorwinSchultz),
        Box::new(AbdiRanaldo),
        Box::new(Edge),
    ];
    for e in &spreads {
        g.bench_function(e.name(), |b| {
            b.iter(|| e.estimate(black_box(&ohlc)).unwrap())
        });
    }
    g.bench_function("amihud", |b| {
        b.iter(|| amihud_daily(black_box(&bars)).unwrap())
    });
    g.bench_function("adv", |b| b.iter(|| adv(black_box(&bars)).unwrap()));
    g.bench_function("kyle_lambda", |b| {
        b.iter(|| kyle_lambda(black_box(&bars), None).unwrap())
    });
    g.bench_function("all_estimators", |b| {
        b.iter(|| {
            for e in all_vol_estimators() {
                black_box(e.estimate(&ohlc, 60.0).unwrap());
            }
            for e in &spreads {
                black_box(e.estimate(&ohlc).unwrap());
            }
            black_box(amihud_daily(&bars).unwrap());
            black_box(adv(&bars).unwrap());
            black_box(kyle_lambda(&bars, None).unwrap());
        })
    });
    let cfg = CalibrationConfig::default();
    g.bench_function("calibrate_200_reps", |b| {
        b.iter(|| calibrate(black_box(&bars), &cfg).unwrap())
    });
    g.finish();
}

criterion_group!(benches, models_1e6, model_paths, estimators);
criterion_main!(benches);
