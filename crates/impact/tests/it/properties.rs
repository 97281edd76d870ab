//! Property tests: impact >= 0 and non-decreasing in size for every model (every registered model
//! included, as a scenario builds it), zero size costs nothing, decay never increases impact after
//! the sale, the Almgren-Chriss trajectory is monotone and ends at 0.

use blocksale_impact::models::{
    AcProblem, AlmgrenChriss, Athl, BuildContext, Decay, ExpKernel, Kyle, Linear, ModelSpec,
    PowerLaw, Propagator,
};
use blocksale_impact::{ExecutionGrid, ImpactModel, MarketInputs};
use proptest::prelude::*;

fn decays() -> Vec<Decay> {
    vec![
        Decay::Permanent,
        Decay::Full,
        Decay::two_thirds(),
        Decay::Plateau { fraction: 0.1 },
    ]
}

fn models(decay: Decay) -> Vec<Box<dyn ImpactModel>> {
    let mut v: Vec<Box<dyn ImpactModel>> = vec![
        Box::new(PowerLaw::square_root().with_decay(decay).unwrap()),
        Box::new(
            PowerLaw::new_checked(1.3, 0.6)
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        Box::new(Linear::unit().with_decay(decay).unwrap()),
        Box::new(Kyle::new_checked(3e-6).unwrap().with_decay(decay).unwrap()),
        Box::new(
            Athl::equity_2005(19_900_000.0)
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        Box::new(
            AlmgrenChriss::new_checked(0.03, 1e-4, 1e-7, 1e-7)
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        Box::new(
            ExpKernel::new_checked(2e-6, 3.0)
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
        Box::new(Propagator::square_root().with_decay(decay).unwrap()),
        Box::new(
            Propagator::new_checked(0.5, 0.6, 0.3)
                .unwrap()
                .with_decay(decay)
                .unwrap(),
        ),
    ];
    // Every registered model, as a scenario builds it.
    v.extend(ModelSpec::examples().iter().map(|spec| {
        let ctx = BuildContext {
            decay: Some(decay),
            calibration: None,
        };
        spec.build(&ctx).unwrap().model
    }));
    v
}

/// A sale of up to 30 bars followed by up to 30 empty bars, bars of 1 minute to 1 day.
fn sale() -> impl Strategy<Value = (Vec<f64>, usize, f64)> {
    (
        prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..500.0], 1..30),
        0usize..30,
        1.0f64 / 1440.0..1.0,
    )
}

fn grid(q: &[f64], extra: usize, bar_days: f64) -> ExecutionGrid {
    let n = q.len() + extra;
    ExecutionGrid::uniform(q.to_vec(), n, bar_days * n as f64).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn impact_non_negative_and_monotone_in_size(
        (q, extra, bar_days) in sale(),
        scale in 1.0f64..10.0,
        sigma in 0.005f64..0.1,
        adv in 1_000.0f64..100_000.0,
    ) {
        let m = MarketInputs::new_checked(sigma, adv).unwrap();
        let g1 = grid(&q, extra, bar_days);
        let big: Vec<f64> = q.iter().map(|x| x * scale).collect();
        let g2 = grid(&big, extra, bar_days);
        for decay in decays() {
            for model in models(decay) {
                let (p1, p2) = (model.path(&g1, &m), model.path(&g2, &m));
                let name = model.name();
                prop_assert!(p1.impact.iter().all(|x| *x >= 0.0 && x.is_finite()), "{name}");
                prop_assert!(p1.avg_cost >= 0.0 && p1.peak >= 0.0 && p1.permanent >= 0.0, "{name}");
                let tol = |a: f64| 1e-12 * a.abs().max(1e-300);
                for k in 0..p1.impact.len() {
                    prop_assert!(p2.impact[k] >= p1.impact[k] - tol(p1.impact[k]), "{name} bar {k}: {} < {}", p2.impact[k], p1.impact[k]);
                }
                prop_assert!(p2.peak >= p1.peak - tol(p1.peak), "{name} peak");
                prop_assert!(p2.avg_cost >= p1.avg_cost - tol(p1.avg_cost), "{name} cost");
            }
        }
    }

    #[test]
    fn decay_never_increases_impact_after_the_sale(
        (q, extra, bar_days) in sale(),
        sigma in 0.005f64..0.1,
    ) {
        let m = MarketInputs::new_checked(sigma, 20_000.0).unwrap();
        let g = grid(&q, extra, bar_days);
        let Some(last) = g.last_trade_bar() else { return Ok(()); };
        for decay in decays() {
            for model in models(decay) {
                let p = model.path(&g, &m);
                let name = model.name();
                for k in last + 1..p.impact.len() {
                    prop_assert!(p.impact[k] <= p.impact[k - 1] * (1.0 + 1e-12), "{name} {decay:?} bar {k}");
                }
                prop_assert!(p.permanent <= p.impact[last] * (1.0 + 1e-12), "{name} {decay:?} long run");
            }
        }
    }

    #[test]
    fn zero_size_costs_nothing(n in 1usize..50, bar_days in 1.0f64 / 1440.0..1.0) {
        let m = MarketInputs::new_checked(0.03, 20_000.0).unwrap();
        let g = ExecutionGrid::uniform(vec![0.0; n], n, bar_days * n as f64).unwrap();
        for decay in decays() {
            for model in models(decay) {
                let p = model.path(&g, &m);
                prop_assert!(p.impact.iter().all(|x| *x == 0.0), "{}", model.name());
                prop_assert_eq!(p.avg_cost, 0.0);
                prop_assert_eq!(p.peak, 0.0);
                prop_assert_eq!(p.permanent, 0.0);
            }
        }
    }

    #[test]
    fn ac_trajectory_is_monotone_and_ends_at_zero(
        x in 1.0f64..1e7,
        sigma in 0.01f64..2.0,
        eta in 1e-8f64..1e-4,
        gamma_share in 0.0f64..0.9,
        horizon in 0.1f64..30.0,
        steps in 1usize..200,
        lambda in prop_oneof![Just(0.0), 1e-9f64..1e-3],
    ) {
        let tau = horizon / steps as f64;
        // gamma below 2 eta / tau keeps eta~ > 0.
        let gamma = gamma_share * 2.0 * eta / tau;
        let model = AlmgrenChriss::new_checked(sigma, 0.0, eta, gamma).unwrap();
        let s = AcProblem::new_checked(model, x, horizon, steps, lambda).unwrap().solve();
        prop_assert_eq!(s.holdings.len(), steps + 1);
        prop_assert_eq!(s.holdings[0], x);
        prop_assert_eq!(s.holdings[steps], 0.0);
        for w in s.holdings.windows(2) {
            prop_assert!(w[1] <= w[0], "{:?}", s.holdings);
        }
        prop_assert!(s.trades.iter().all(|n| *n >= 0.0));
        if s.kappa * horizon > 1e-3 && s.kappa * horizon < 50.0 {
            let agree = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) + 1e-12 * scale;
            prop_assert!(agree(s.expected_cost, s.expected_cost_sum, eta * x * x / tau), "E {:e} vs {:e}", s.expected_cost, s.expected_cost_sum);
            prop_assert!(agree(s.variance, s.variance_sum, sigma * sigma * x * x * horizon), "V {:e} vs {:e}", s.variance, s.variance_sum);
        }
    }
}
