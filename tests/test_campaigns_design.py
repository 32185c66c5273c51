"""Design checks of a campaign (retention_utils.campaigns.design).

References: chi-square statistics and standardised mean differences computed by hand on tiny inputs;
the minimum detectable effects against the closed form with the normal quantiles written out, against
statsmodels' ``NormalIndPower`` solver, and against the power of simulated experiments with the
effect planted at the MDE (fixed seeds, vectorised).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from retention_utils.campaigns.design import SrmCheck, balance_table, mde_mean, mde_proportion, sample_ratio_test
from retention_utils.errors import DataError

Z_975, Z_80 = 1.959963984540054, 0.8416212335729143  # normal quantiles of 0.975 and 0.8


# --- sample ratio -------------------------------------------------------------------------------------------


def test_srm_as_designed_is_not_flagged():
    r = sample_ratio_test(800, 200, treatment_share=0.8)
    assert isinstance(r, SrmCheck)
    assert (r.n_treated, r.n_control, r.expected_share, r.observed_share, r.flagged) == (800, 200, 0.8, 0.8, False)
    assert r.chi2 == pytest.approx(0.0, abs=1e-12) and r.p_value == pytest.approx(1.0)  # 1000 * 0.8 in floats


def test_srm_mismatch_is_flagged_with_hand_chi2():
    r = sample_ratio_test(933, 67, treatment_share=0.8)
    chi2 = (933 - 800) ** 2 / 800 + (67 - 200) ** 2 / 200  # 22.11125 + 88.445
    assert r.chi2 == pytest.approx(110.55625, rel=1e-12) and r.chi2 == pytest.approx(chi2, rel=1e-12)
    assert r.p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)), rel=1e-9)  # chi-square, 1 df
    assert r.p_value < 0.001 and r.flagged
    assert r.observed_share == pytest.approx(0.933) and r.expected_share == 0.8


def test_srm_threshold_and_errors():
    # 830 vs 170: chi2 = 30^2/800 + 30^2/200 = 5.625, p = 0.0177
    r = sample_ratio_test(830, 170, treatment_share=0.8)
    assert r.chi2 == pytest.approx(5.625) and r.p_value == pytest.approx(0.01770607, rel=1e-6)
    assert not r.flagged
    assert sample_ratio_test(830, 170, treatment_share=0.8, threshold=0.05).flagged
    with pytest.raises(ValueError, match=r"The 'treatment_share' parameter of sample_ratio_test must be in \(0, 1\)"):
        sample_ratio_test(10, 10, treatment_share=1.0)
    with pytest.raises(ValueError, match="The 'n_control' parameter of sample_ratio_test must be a whole number"):
        sample_ratio_test(10, -1, treatment_share=0.5)
    with pytest.raises(ValueError, match="both groups are empty"):
        sample_ratio_test(0, 0, treatment_share=0.5)


# --- balance -------------------------------------------------------------------------------------------------


def test_balance_table_by_hand_on_four_rows():
    f = pd.DataFrame({
        "orders": [1.0, 3.0, 2.0, 6.0],
        "complained": [True, False, False, False],
        "tenure": [3, 3, 3, 3],
        "vip": [1, 1, 0, 0],
        "treated": [True, True, False, False],
    })
    before = f.copy()
    b = balance_table(f, ["orders", "complained", "tenure", "vip"], "treated")
    assert list(b.columns) == ["feature", "mean_treated", "mean_control", "smd", "flagged"]
    assert b["feature"].tolist() == ["orders", "complained", "tenure", "vip"]
    rows = b.set_index("feature")
    # orders: treated 1, 3 (mean 2, var 2); control 2, 6 (mean 4, var 8); pooled sd sqrt((2 + 8) / 2)
    assert rows.loc["orders", ["mean_treated", "mean_control"]].tolist() == [2.0, 4.0]
    assert rows.loc["orders", "smd"] == pytest.approx(-2 / math.sqrt(5))  # -0.894
    # complained (bool as 0/1): treated 1, 0 (mean 0.5, var 0.5); control 0, 0 (var 0): pooled sd 0.5
    assert rows.loc["complained", "smd"] == pytest.approx(1.0)
    assert rows.loc["orders", "flagged"] and rows.loc["complained", "flagged"]
    # both SDs 0: NaN; flagged only where the constant values differ
    assert np.isnan(rows.loc["tenure", "smd"]) and not rows.loc["tenure", "flagged"]
    assert np.isnan(rows.loc["vip", "smd"]) and rows.loc["vip", "flagged"]
    pd.testing.assert_frame_equal(f, before)


def test_balance_table_skips_missing_values_per_feature():
    f = pd.DataFrame({"nps": [7.0, 9.0, np.nan, 5.0, 6.0, 10.0], "spend": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]})
    g = np.array([True, True, True, False, False, False])
    b = balance_table(f, ["nps", "spend"], g, threshold=0.5).set_index("feature")
    # nps: treated 7, 9 (mean 8, var 2); control 5, 6, 10 (mean 7, var 7): smd 1 / sqrt(4.5) = 0.471
    assert b.loc["nps", ["mean_treated", "mean_control"]].tolist() == [8.0, 7.0]
    assert b.loc["nps", "smd"] == pytest.approx(1 / math.sqrt(4.5))
    assert not b.loc["nps", "flagged"]  # under the 0.5 threshold
    assert b.loc["spend", "smd"] == 0.0
    # a group with one value left: no standard deviation, no smd
    one = balance_table(pd.DataFrame({"x": [1.0, np.nan, 2.0, 4.0]}), ["x"], np.array([1, 1, 0, 0], bool))
    assert np.isnan(one["smd"].iloc[0]) and one["mean_treated"].iloc[0] == 1.0 and not one["flagged"].iloc[0]


def test_balance_table_errors():
    f = pd.DataFrame({"orders": [1.0, 2.0], "segment": ["a", "b"], "g": [True, None]})
    with pytest.raises(DataError,
                       match=r"column\(s\) \['spend'\] not in the frame; it has \['orders', 'segment', 'g'\]"):
        balance_table(f, ["spend"], np.array([True, False]))
    with pytest.raises(DataError, match="feature 'segment' is .+, not numeric or boolean; one-hot encode"):
        balance_table(f, ["segment"], np.array([True, False]))
    with pytest.raises(DataError, match="column 'g' must be True/False for every customer; it has 1 other value"):
        balance_table(f, ["orders"], "g")
    with pytest.raises(ValueError, match="treated has 3 values for 2 rows"):
        balance_table(f, ["orders"], np.array([True, False, True]))


# --- minimum detectable effects ------------------------------------------------------------------------------


def test_mde_closed_forms_by_hand():
    assert mde_proportion(1000, 1000, 0.2) == pytest.approx((Z_975 + Z_80) * math.sqrt(0.16 * 0.002), rel=1e-12)
    assert mde_proportion(1000, 1000, 0.2) == pytest.approx(0.050117, abs=1e-6)
    assert mde_proportion(3000, 1000, 0.3, alpha=0.1, power=0.9) == pytest.approx(
        (1.6448536269514722 + 1.2815515655446004) * math.sqrt(0.21 * (1 / 3000 + 1 / 1000)), rel=1e-12)
    assert mde_mean(500, 500, 10.0) == pytest.approx((Z_975 + Z_80) * 10 * math.sqrt(2 / 500), rel=1e-12)


def test_mde_mean_agrees_with_statsmodels_power_solver():
    for n_t, n_c, alpha, power in ((500, 500, 0.05, 0.8), (4000, 1000, 0.05, 0.9), (200, 50, 0.1, 0.8)):
        d = NormalIndPower().solve_power(effect_size=None, nobs1=n_t, alpha=alpha, power=power, ratio=n_c / n_t)
        # statsmodels also counts the opposite tail's power, which is below 1e-4 here
        assert mde_mean(n_t, n_c, 7.0, alpha=alpha, power=power) == pytest.approx(7.0 * d, rel=1e-4)


def test_mde_planted_effects_are_detected_with_the_promised_power():
    rng = np.random.default_rng(14)
    reps, n, pc = 4000, 2000, 0.2
    delta = mde_proportion(n, n, pc)
    powers = {}
    for name, pt in (("increase", pc + delta), ("decrease", pc - delta)):
        xt, xc = rng.binomial(n, pt, reps), rng.binomial(n, pc, reps)
        pool = (xt + xc) / (2 * n)
        z = (xt - xc) / n / np.sqrt(pool * (1 - pool) * 2 / n)  # the two-proportion z (score) test
        powers[name] = float(np.mean(np.abs(z) > Z_975))
    # the control's variance in both arms: a bit optimistic for an increase, pessimistic for a decrease
    # (normal theory: 0.775 and 0.827 at p = 0.2, n = 2,000); on average as promised
    assert powers["increase"] == pytest.approx(0.775, abs=0.025), powers
    assert powers["decrease"] == pytest.approx(0.827, abs=0.025), powers
    assert (powers["increase"] + powers["decrease"]) / 2 == pytest.approx(0.8, abs=0.02), powers
    # means: Welch's t at the MDE on normal data
    n, sd = 500, 10.0
    d = mde_mean(n, n, sd)
    yt, yc = rng.normal(d, sd, (2000, n)), rng.normal(0.0, sd, (2000, n))
    t = stats.ttest_ind(yt, yc, axis=1, equal_var=False)
    power = float(np.mean(t.pvalue < 0.05))
    assert power == pytest.approx(0.8, abs=0.025), power


def test_mde_errors():
    with pytest.raises(ValueError, match=r"The 'p_control' parameter of mde_proportion must be in \(0, 1\). Got 0"):
        mde_proportion(100, 100, 0)
    with pytest.raises(ValueError,
                       match="The 'n_treated' parameter of mde_mean must be a whole number of customers >= 1"):
        mde_mean(0, 100, 1.0)
    with pytest.raises(ValueError, match="The 'sd' parameter of mde_mean must be a positive number"):
        mde_mean(10, 100, -1.0)
    with pytest.raises(ValueError, match=r"The 'power' parameter of mde_mean must be in \(0, 1\)"):
        mde_mean(10, 100, 1.0, power=80)
