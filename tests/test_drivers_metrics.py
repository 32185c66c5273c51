"""Lift, gains, calibration and classification metrics (retention_utils.drivers.metrics).

Reference values: hand-computed cases; the planted unit's out-of-time predictions (tests/drivers_planted.py)
against scikit-learn's ``roc_auc_score``; the Wilson interval of 0 of 7 (``z^2 / (n + z^2)``).

Every interval contains its point (issue 9, item 3). The crash: ``plot_calibration`` raised
"ValueError: 'yerr' must not contain negative values" on a small valid unit. The cause was in the
numbers, not the plot: the Wilson interval of 0 churners out of 7 came out as ``[2.8e-17, 0.354]``
(the floating-point formula lands a hair above 0), so the interval missed its own observed rate of
0; likewise ``k = n`` gave an upper bound of ``0.9999999999999999 < 1``. A bin with no churners (or
only churners) is common in a small unit. The calibration bins use
:func:`retention_utils.stats.wilson_interval`, which keeps the point inside.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils.stats import wilson_interval


def _contains(frame: pd.DataFrame, point: str, lo: str = "ci_lower", hi: str = "ci_upper") -> pd.DataFrame:
    """Rows whose interval misses its point (NaN intervals, e.g. of an empty group, are not intervals)."""
    ok = frame[lo].isna() | ((frame[lo] <= frame[point]) & (frame[point] <= frame[hi]))
    return frame[~ok]


def test_wilson_bounds_at_zero_and_all_are_exact():
    # 0 of 7: statsmodels' Wilson gives a lower bound of 2.8e-17 > 0 (the old interval missed its point)
    lo, hi = wilson_interval([0], [7])
    assert lo[0] == 0.0 and hi[0] == pytest.approx(0.3543304350666875)
    lo, hi = wilson_interval([7], [7])
    assert hi[0] == 1.0 and lo[0] == pytest.approx(1 - 0.3543304350666875)
    # every n up to 400, every k: the interval contains k / n and lies in [0, 1]
    n = np.repeat(np.arange(1, 401), 3)
    k = np.stack([np.zeros(400), np.arange(1, 401) // 2, np.arange(1, 401)], axis=1).ravel()
    lo, hi = wilson_interval(k, n)
    rate = k / n
    assert np.all(lo <= rate) and np.all(rate <= hi) and lo.min() >= 0 and hi.max() <= 1
    lo, hi = wilson_interval([0], [0])  # no customers: no interval (not a crash)
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_calibration_intervals_contain_their_point_on_random_small_inputs():
    rng = np.random.default_rng(20250109)
    for trial in range(300):
        n = int(rng.integers(1, 120))
        base = rng.uniform(0, 1)
        y = (rng.uniform(size=n) < base * rng.uniform(0, 1)).astype(int)
        if trial % 5 == 0:
            y[:] = trial % 2  # no churners at all, or only churners
        prob = rng.uniform(size=n) if trial % 3 else np.round(rng.uniform(size=n), 1)  # with ties
        cal = drv.calibration_table(y, prob, n_bins=int(rng.integers(1, 12)))
        assert _contains(cal, "observed_rate").empty, (trial, cal)
        assert cal["n_customers"].sum() == n
        assert ((cal["ci_lower"] >= 0) & (cal["ci_upper"] <= 1)).all()


def test_calibration_by_hand_on_a_bin_without_churners():
    # 14 customers, two bins of 7: the low bin has no churner, the high bin only churners
    cal = drv.calibration_table([0] * 7 + [1] * 7, np.arange(14) / 14, n_bins=2)
    assert cal["observed_rate"].tolist() == [0.0, 1.0]
    assert cal["ci_lower"].tolist()[0] == 0.0 and cal["ci_upper"].tolist()[1] == 1.0
    assert cal["ci_upper"].iloc[0] == pytest.approx(0.3543304350666875)  # Wilson, 0 of 7: z^2 / (n + z^2)


def test_lift_and_calibration_by_hand():
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    lt = drv.lift_table(y, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shares=[0.1, 0.3])
    assert lt["capture"].tolist() == [0.5, 1.0] and lt["lift"].tolist() == [5.0, pytest.approx(10 / 3)]
    # ties at the boundary count in expectation: all scores equal -> the base rate
    assert drv.lift_table(y, [1] * 10, shares=[0.5])["churn_rate"].iloc[0] == pytest.approx(0.2)
    cal = drv.calibration_table(y, np.linspace(0, 1, 10), n_bins=5)
    assert cal["n_customers"].tolist() == [2] * 5 and cal["observed_rate"].tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    assert math.isclose(drv.classification_metrics(y, np.linspace(0.9, 0, 10))["roc_auc"], 15 / 16)


def test_predicted_and_realized_churn_agree_by_decile(subs):
    """Out of time, by decile of predicted probability: mean |predicted - realized| <= 0.03, each decile
    within 0.08, and the overall predicted rate within 0.02 of the realized one (model of the report)."""
    _, res = subs
    cal = res.calibration[res.calibration["model"] == res.best_model]
    diff = (cal["mean_predicted"] - cal["observed_rate"]).abs()
    assert len(cal) == 10
    assert diff.mean() <= 0.03 and diff.max() <= 0.08
    ev = res.eval_predictions
    assert abs(ev[f"p_{res.best_model}"].mean() - ev["churned"].mean()) <= 0.02


def test_metrics_are_consistent(subs):
    _, res = subs
    m = res.metrics.pivot(index="model", columns="metric", values="value")
    ev = res.eval_predictions
    from sklearn.metrics import roc_auc_score

    for model in ("baseline", "logit", "hgb"):
        assert m.loc[model, "roc_auc"] == pytest.approx(roc_auc_score(ev["churned"], ev[f"p_{model}"]))
        assert 0 <= m.loc[model, "capture_top10"] <= m.loc[model, "capture_top20"] <= 1
        # lift x share = capture
        assert m.loc[model, "lift_top20"] * 0.2 == pytest.approx(m.loc[model, "capture_top20"])
    assert res.leakage["flagged"].sum() == 0
