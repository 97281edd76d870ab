//! Every closed form ([`ImpactModel::constant_rate`]) against the grid path it replaces, on random
//! cells: random size, duration, bar count, market and model parameters and decay, for the two
//! schedules a constant-rate sale covers (a TWAP over the window, a block in its first bar).

use super::*;
use crate::schedules::twap;
use proptest::prelude::*;

/// Relative tolerance of the comparison.
const REL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()) || (a == 0.0 && b == 0.0)
}

fn decay_of(kind: u8, fraction: f64) -> Decay {
    match kind % 3 {
        0 => Decay::Permanent,
        1 => Decay::Full,
        _ => Decay::Plateau { fraction },
    }
}

/// The model under test, `which` in 0..7, with parameters drawn from `p` (each in [0, 1)).
fn model(which: u8, p: [f64; 4], decay: Decay) -> Box<dyn ImpactModel> {
    match which % 7 {
        0 => Box::new(
            PowerLaw::new_checked(0.2 + 2.0 * p[0], 0.3 + 0.7 * p[1])
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        1 => Box::new(PowerLaw::square_root().with_decay(decay).unwrap()),
        2 => Box::new(
            Linear::new_checked(0.1 + 3.0 * p[0])
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        3 => Box::new(
            Kyle::new_checked(1e-7 + 1e-5 * p[0])
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        4 => Box::new(
            Athl::new_checked(0.05 + p[0], 0.05 + p[1], 1e6 + 3e7 * p[2])
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        5 => Box::new(
            ExpKernel::new_checked(1e-7 + 1e-5 * p[0], 0.01 + 20.0 * p[1])
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        _ => Box::new(
            Propagator::with_time_scale(
                0.2 + 2.0 * p[0],
                0.2 + 0.8 * p[1],
                if p[2] < 0.3 { 0.5 } else { 0.05 + 0.9 * p[2] },
                0.01 + 10.0 * p[3],
            )
            .unwrap()
            .with_decay(decay)
            .unwrap(),
        ),
    }
}

/// A uniform grid of `n` bars of `bar_days` (times as the sweep lays them) selling `qty`.
fn grid(qty: Vec<f64>, bar_days: f64) -> ExecutionGrid {
    let t = (0..=qty.len()).map(|k| k as f64 * bar_days).collect();
    ExecutionGrid::new_checked(t, qty).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn closed_forms_equal_the_grid_path(
        which in 0u8..7,
        p in prop::array::uniform4(0.0f64..1.0),
        log_size in -2.0f64..6.5,
        n in 1usize..400,
        bar_minutes in prop::sample::select(vec![1.0, 15.0, 45.0, 60.0, 240.0, 1440.0]),
        sigma in 0.005f64..0.12,
        log_v in 2.0f64..6.0,
        decay_kind in 0u8..3,
        fraction in 0.0f64..1.0,
        block in any::<bool>(),
        after in 0usize..50,
    ) {
        let size = 10f64.powf(log_size);
        let m = MarketInputs::new_checked(sigma, 10f64.powf(log_v)).unwrap();
        let model = model(which, p, decay_of(decay_kind, fraction));
        let bar_days = bar_minutes / 1440.0;
        let (mut qty, days) = if block {
            let mut q = vec![0.0; n];
            q[0] = size;
            (q, bar_days)
        } else {
            (twap(size, n), n as f64 * bar_days)
        };
        // Bars after the sale: the decay never raises the peak.
        qty.resize(qty.len() + after, 0.0);
        let path = model.path(&grid(qty, bar_days), &m);
        let cf = model.constant_rate(size, days, &m).expect("a closed form");
        prop_assert!(close(cf.avg_cost, path.avg_cost), "{model:?} cost {} vs {}", cf.avg_cost, path.avg_cost);
        prop_assert!(close(cf.peak, path.peak), "{model:?} peak {} vs {}", cf.peak, path.peak);
        prop_assert!(close(cf.permanent, path.permanent), "{model:?} permanent {} vs {}", cf.permanent, path.permanent);
    }
}

/// The cumulative models' closed forms are the grid path's own expressions of the total: equal to
/// the last bit under a TWAP, whose fills sum to the block exactly.
#[test]
fn cumulative_closed_forms_are_bit_identical_under_twap() {
    let m = MarketInputs::new_checked(0.031, 12_345.0).unwrap();
    let models: Vec<Box<dyn ImpactModel>> = vec![
        Box::new(
            PowerLaw::square_root()
                .with_decay(Decay::two_thirds())
                .unwrap(),
        ),
        Box::new(PowerLaw::new_checked(0.7, 0.6).unwrap()),
        Box::new(Linear::new_checked(1.3).unwrap()),
        Box::new(Kyle::new_checked(2.2e-6).unwrap()),
        Box::new(Amihud::new_checked(3e-11, 70_000.0).unwrap()),
    ];
    for model in &models {
        for (size, n) in [(4451.0, 192), (250.0, 4), (19_999.7, 1000), (0.3, 7)] {
            let path = model.path(&grid(twap(size, n), 1.0 / 96.0), &m);
            let cf = model.constant_rate(size, n as f64 / 96.0, &m).unwrap();
            assert_eq!(
                (cf.avg_cost, cf.peak, cf.permanent),
                (path.avg_cost, path.peak, path.permanent),
                "{model:?} {size} {n}"
            );
        }
    }
}
