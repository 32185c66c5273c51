"""Statistics helpers: Wilson, Newcombe and Holm against statsmodels and hand values.

References: statsmodels ``proportion_confint(method="wilson")``,
``confint_proportions_2indep(method="newcomb")`` and ``multipletests(method="holm")``; the hand
values use the closed forms (Wilson at 0/n and n/n; Holm: sorted p times (m - rank), running max).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from retention_utils.stats import holm, newcombe_interval, wilson_interval

Z95 = 1.959963984540054  # standard normal 97.5 % quantile


def test_wilson_matches_statsmodels():
    count = np.array([0, 1, 5, 17, 50, 3, 999])
    nobs = np.array([10, 2, 50, 40, 50, 1000, 1000])
    for alpha in (0.05, 0.1, 0.01):
        lo, hi = wilson_interval(count, nobs, alpha=alpha)
        ref_lo, ref_hi = proportion_confint(count, nobs, alpha=alpha, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, rtol=1e-12)
        np.testing.assert_allclose(hi, ref_hi, rtol=1e-12)


def test_wilson_hand_values_and_empty_groups():
    # closed forms at the edges: 0 of n -> [0, z^2/(n+z^2)]; n of n -> [n/(n+z^2), 1]
    lo, hi = wilson_interval(pd.Series([0, 10, 5, 0]), pd.Series([10, 10, 50, 0]))
    z2 = Z95**2
    assert lo[0] == pytest.approx(0.0, abs=1e-15) and hi[0] == pytest.approx(z2 / (10 + z2), rel=1e-12)
    assert lo[1] == pytest.approx(10 / (10 + z2), rel=1e-12) and hi[1] == pytest.approx(1.0, rel=1e-12)
    # 5 of 50 (computed with the Wilson formula by hand: 0.04348, 0.21360)
    assert (round(lo[2], 5), round(hi[2], 5)) == (0.04348, 0.21360)
    # no observations: no interval (and no warning)
    assert np.isnan(lo[3]) and np.isnan(hi[3])
    lo, hi = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lo).all() and np.isnan(hi).all()




def test_newcombe_matches_statsmodels_and_contains_the_difference():
    for k1, n1, k2, n2 in [(30, 100, 20, 100), (0, 15, 5, 40), (12, 12, 300, 1000)]:
        lo, hi = newcombe_interval(k1, n1, k2, n2)
        ref = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
        assert (lo, hi) == pytest.approx((float(ref[0]), float(ref[1])), rel=1e-12)
        assert lo <= k1 / n1 - k2 / n2 <= hi


def test_holm_by_hand_and_missing_p_values_are_not_tests():
    # three tests: sorted 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (x3, x2, running max of x1)
    out = holm(np.array([0.04, 0.01, np.nan, 0.02]))
    assert out[[1, 3, 0]].tolist() == pytest.approx([0.03, 0.04, 0.04])
    assert np.isnan(out[2])
    assert np.isnan(holm(pd.Series([np.nan]))).all()
