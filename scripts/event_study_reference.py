#!/usr/bin/env python3
"""Independent reference for the event study (crates/backtest/src/event_study.rs).

A 30-bar hand example: 18 estimation returns (L1) and 12 event-window returns (L2) of 4-hour bars.
Computed with numpy and scipy, not with the formulas of the Rust code:

- Var(CAR) as 1' Cov(AR) 1 with Cov(AR) = sigma^2 (I + 11'/L1), the covariance of the abnormal
  returns when the mean is estimated from L1 returns (MacKinlay 1997, eq. 10-11);
- J = CAR / sqrt(Var(CAR)), p two-sided under the normal (scipy.stats.norm);
- the event-variance statistic as scipy's Welch t-test of the event returns against the
  estimation returns (scipy.stats.ttest_ind, equal_var=False), with its Welch-Satterthwaite df and p.

Then the market-adjusted (zero expected return) model on the same returns: AR = R,
Var(CAR) = 1' (sigma^2 I) 1 = L2 sigma^2, and the event-variance statistic as scipy's one-sample
t-test of the event returns against 0 (scipy.stats.ttest_1samp, L2 - 1 df).

    pip install numpy scipy
    python3 scripts/event_study_reference.py

The test `hand_example_matches_numpy_and_scipy` in crates/backtest/src/event_study.rs hard-codes
the printed numbers.
"""
import numpy as np
from scipy import stats

EST = [0.004, -0.006, 0.010, -0.002, 0.003, -0.008, 0.007, 0.001, -0.004,
       0.005, -0.001, 0.002, -0.009, 0.006, 0.000, -0.003, 0.008, -0.005]
EV = [-0.012, 0.004, -0.015, -0.003, 0.009, -0.020, 0.002, -0.007, -0.011,
      0.006, -0.004, -0.010]


def main():
    est, ev = np.array(EST), np.array(EV)
    l1, l2 = len(est), len(ev)
    mu = est.mean()
    sd = est.std(ddof=1)
    ar = ev - mu
    car = ar.sum()
    cov_ar = sd**2 * (np.eye(l2) + np.ones((l2, l2)) / l1)
    var_car = np.ones(l2) @ cov_ar @ np.ones(l2)
    j = car / np.sqrt(var_car)
    p = 2 * stats.norm.sf(abs(j))
    sd_ev = ev.std(ddof=1)
    w = stats.ttest_ind(ev, est, equal_var=False)
    out = {
        "l1": l1,
        "l2": l2,
        "mean_return_per_bar": mu,
        "sd_return_per_bar": sd,
        "car": car,
        "car_sd": np.sqrt(var_car),
        "j_stat": j,
        "p_value": p,
        "event_sd_return_per_bar": sd_ev,
        "sd_ratio_event_to_estimation": sd_ev / sd,
        "j_stat_event_variance": w.statistic,
        "df_event_variance": w.df,
        "p_value_event_variance": w.pvalue,
    }
    print("constant mean")
    for k, v in out.items():
        print(f"{k} = {float(v)!r}" if not isinstance(v, int) else f"{k} = {v}")

    car0 = ev.sum()
    var0 = np.ones(l2) @ (sd**2 * np.eye(l2)) @ np.ones(l2)
    j0 = car0 / np.sqrt(var0)
    t0 = stats.ttest_1samp(ev, 0.0)
    market_adjusted = {
        "car": car0,
        "car_sd": np.sqrt(var0),
        "j_stat": j0,
        "p_value": 2 * stats.norm.sf(abs(j0)),
        "j_stat_event_variance": t0.statistic,
        "df_event_variance": t0.df,
        "p_value_event_variance": t0.pvalue,
    }
    print("market-adjusted (zero expected return)")
    for k, v in market_adjusted.items():
        print(f"{k} = {float(v)!r}")


if __name__ == "__main__":
    main()
