#!/usr/bin/env python3
"""statsmodels reference for Kyle's lambda with Newey-West errors
(crates/impact/src/estimators/kyle_lambda.rs).

OLS of r on sv with an intercept, HAC (Bartlett kernel) standard errors at 0 to 3 lags, without
the small-sample correction (`use_correction=False`: the sandwich divided by nothing but Sxx^2,
as blocksale computes it). The 12 points have autocorrelated residuals, so every lag term is
nonzero.

    pip install statsmodels
    python3 scripts/newey_west_reference.py

The test `newey_west_matches_statsmodels` in kyle_lambda.rs hard-codes the printed numbers.
"""
import numpy as np
import statsmodels.api as sm

SV = [3.0, -1.0, 4.0, 1.0, -5.0, 9.0, 2.0, -6.0, 5.0, 3.0, -5.0, 8.0]
R = [0.7, 0.1, 0.9, 0.6, -0.4, 1.5, 1.1, -0.2, 0.8, 1.0, -0.3, 1.2]


def main():
    x = sm.add_constant(np.array(SV))
    y = np.array(R)
    ols = sm.OLS(y, x).fit()
    print(f"lambda = {float(ols.params[1])!r}")
    print(f"alpha = {float(ols.params[0])!r}")
    print(f"se_ols = {float(ols.bse[1])!r}")
    print(f"r_squared = {float(ols.rsquared)!r}")
    for lags in range(4):
        hac = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
        print(f"se_newey_west lags={lags} = {float(hac.bse[1])!r}")


if __name__ == "__main__":
    main()
