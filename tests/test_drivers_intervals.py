"""Every interval the drivers module produces contains its point (issue 9, item 3).

The crash: ``plot_calibration`` raised "ValueError: 'yerr' must not contain
negative values" on a small valid unit. The cause was in the numbers, not the
plot: the Wilson interval of 0 churners out of 7 came out as
``[2.8e-17, 0.354]`` (the floating-point formula lands a hair above 0), so the
interval missed its own observed rate of 0; likewise ``k = n`` gave an upper
bound of ``0.9999999999999999 < 1``. A bin with no churners (or only churners)
is common in a small unit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils import plotting_drivers as drvplot


def _contains(frame: pd.DataFrame, point: str, lo: str = "ci_lower", hi: str = "ci_upper") -> pd.DataFrame:
    """Rows whose interval misses its point (NaN intervals, e.g. of an empty group, are not intervals)."""
    ok = frame[lo].isna() | ((frame[lo] <= frame[point]) & (frame[point] <= frame[hi]))
    return frame[~ok]


def test_wilson_bounds_at_zero_and_all_are_exact():
    # 0 of 7: statsmodels' Wilson gives a lower bound of 2.8e-17 > 0 (the old interval missed its point)
    lo, hi = drv._wilson(0, 7)
    assert lo[0] == 0.0 and hi[0] == pytest.approx(0.3543304350666875)
    lo, hi = drv._wilson(7, 7)
    assert hi[0] == 1.0 and lo[0] == pytest.approx(1 - 0.3543304350666875)
    # every n up to 400, every k: the interval contains k / n and lies in [0, 1]
    n = np.repeat(np.arange(1, 401), 3)
    k = np.stack([np.zeros(400), np.arange(1, 401) // 2, np.arange(1, 401)], axis=1).ravel()
    lo, hi = drv._wilson(k, n)
    rate = k / n
    assert np.all(lo <= rate) and np.all(rate <= hi) and lo.min() >= 0 and hi.max() <= 1
    lo, hi = drv._wilson(0, 0)  # no customers: no interval (not a crash)
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


def test_plot_calibration_draws_on_a_tiny_result():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(7, int), np.ones(7, int)]
    parts = [drv.calibration_table(y, np.arange(14) / 14, n_bins=2).assign(model="logit"),
             drv.calibration_table(y, rng.uniform(size=14), n_bins=3).assign(model="hgb"),
             drv.calibration_table(y, np.full(14, 0.5), n_bins=2).assign(model="baseline")]
    cal = pd.concat(parts, ignore_index=True)
    fig, ax = plt.subplots()
    assert drvplot.plot_calibration(cal, ax=ax) is ax  # raised "'yerr' must not contain negative values"
    assert ax.get_ylabel() == "observed churn rate (%)"


def test_closed_loop_and_other_intervals_contain_their_point():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        k = int(rng.integers(0, n + 1)) if n else 0
        if rng.uniform() < 0.4:
            k = n if rng.uniform() < 0.5 else 0
        lo, hi = drv._wilson(k, n)  # the closed loop's realized rate per tier
        if n:
            assert lo[0] <= k / n <= hi[0]
    # the odds ratios: exp(coef -/+ 1.96 se) around exp(coef)
    X = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(list("abc"), size=300)})
    yy = (rng.uniform(size=300) < 1 / (1 + np.exp(-X["x"]))).astype(int)
    o = drv.LogitChurnModel(numeric=["x"], categorical=["g"]).fit(X, yy).odds_ratios()
    assert _contains(o, "odds_ratio").empty


def test_tradeoff_and_lift_shares_stay_in_range():
    rng = np.random.default_rng(8)
    for _ in range(100):
        n = int(rng.integers(1, 50))
        p = rng.uniform(size=n)
        y = (rng.uniform(size=n) < p).astype(int)
        t = drv.tradeoff_table(p, p * 10, oot_y=y, oot_prob=p)
        for c in ("precision", "share_of_churners_caught", "oot_precision", "oot_recall", "share_flagged"):
            v = t[c].dropna()
            assert ((v >= 0) & (v <= 1 + 1e-12)).all(), c
        assert (t["expected_false_alarms"] >= -1e-12).all()
        g = drv.gains_table(y, p)
        assert g["share_captured"].dropna().is_monotonic_increasing


def test_unit_where_every_training_customer_churned_gets_no_model_and_says_why(tmp_path):
    """One-time buyers under inactivity churn: every training row is a churner, so there is nothing to
    tell churners apart from (this crashed CalibratedClassifierCV with 'y should be a 1d array')."""
    from retention_utils import drivers as drv
    from retention_utils.config import load_config
    from retention_utils.contract import load_unit_data
    from tests.conftest import write_unit

    lines = ["order_id,customer_id,order_date,amount"]
    import datetime as dt

    start = dt.date(2024, 1, 1)
    for i in range(400):  # one purchase each, spread over two years
        day = start + dt.timedelta(days=(i * 37) % 700)
        lines.append(f"{i},C{i:04d},{day.isoformat()},{10 + i % 7}")
    lines.append("9999,C0000,2025-12-31,5")  # the data reach the end of the last month
    params = write_unit(tmp_path, files={"orders.csv": "\n".join(lines) + "\n"},
                        sources={"orders": {"path": "../orders.csv"}})
    data = load_unit_data(load_config(params, "shop"))
    res = drv.churn_drivers(data, min_churners=20, min_eval_churners=5)
    assert res.status == "too_few_churners"
    assert res.notes[0].startswith("Too few customers who stayed to fit and check a churn model")
    assert "nearly every customer churned" in res.notes[0]
    assert "Too few customers who stayed" in drv.headline_html(res, drv.early_warning(data, res)).data
