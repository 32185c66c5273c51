"""The closed loop: an earlier at-risk list against what happened (retention_utils.drivers.closed_loop).

Reference values: a hand-made unit whose churn days are worked out by hand (below), and the
Wilson interval of the realized rate per tier containing its point (issue 9, item 3), also on
random small inputs, with the odds ratios' Wald intervals around their point.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils import load_config, load_unit_data
from retention_utils.display import drivers as ddrv
from retention_utils.stats import wilson_interval
from tests.conftest import write_unit


def _contains(frame: pd.DataFrame, point: str, lo: str = "ci_lower", hi: str = "ci_upper") -> pd.DataFrame:
    """Rows whose interval misses its point (NaN intervals, e.g. of an empty group, are not intervals)."""
    ok = frame[lo].isna() | ((frame[lo] <= frame[point]) & (frame[point] <= frame[hi]))
    return frame[~ok]


def test_closed_loop_by_hand(tmp_path):
    # D = 31; report month 2024-05. The list of 2024-02 was scored as of 2024-03-01 with a 60-day horizon
    # ([03-01, 04-30), fully observed by 05-31). P bought 02-20 and never again: churns 03-23. Q buys every
    # two weeks: stays. S bought 02-25, 04-20: stays. T bought 02-10: churns 03-13. Q and T got a treatment
    # contact after the cut-off, S only a control one.
    orders = ("order_id,customer_id,order_date,amount\n"
              "1,P,2024-02-20,10\n2,Q,2024-02-15,10\n3,Q,2024-03-01,10\n4,Q,2024-03-15,10\n5,Q,2024-04-01,10\n"
              "6,Q,2024-04-15,10\n7,Q,2024-05-01,10\n8,S,2024-02-25,10\n9,S,2024-03-20,10\n10,S,2024-04-20,10\n"
              "11,T,2024-02-10,10\n12,Q,2024-05-20,10\n")
    camp = ("customer_id,campaign_id,sent_date,group,cost\nQ,c1,2024-03-05,treatment,1\nT,c1,2024-03-05,treatment,1\n"
            "S,c1,2024-03-05,control,0\nP,c0,2024-02-05,treatment,1\n")
    params = write_unit(tmp_path, files={"orders.csv": orders, "campaigns.csv": camp},
                        sources={"orders": {"path": "../orders.csv"}, "campaigns": {"path": "../campaigns.csv"}},
                        unit_yaml="report_month: '2024-05'\ndrivers:\n  horizon_days: 60\n")
    data = load_unit_data(load_config(params, "shop"))
    reports = tmp_path / "reports"
    (reports / "2024-02" / "shop").mkdir(parents=True)
    pd.DataFrame({"customer_id": ["P", "T", "Q", "S", "GONE"], "probability": [0.8, 0.6, 0.3, 0.1, 0.9],
                  "tier": ["high", "high", "medium", "low", "high"], "score": [90, 80, 50, 10, 99],
                  "reasons": [""] * 5, "value_at_risk": [8, 6, 3, 1, 9], "as_of": ["2024-03-01"] * 5,
                  "horizon_days": [60] * 5}).to_csv(reports / "2024-02" / "shop" / "at_risk_customers.csv",
                                                     index=False)
    loop = drv.closed_loop(data, reports_dir=reports)
    assert loop.status == "complete" and loop.source_month == "2024-02" and loop.observed_days == 60
    assert loop.n_not_found == 1
    b = loop.by_tier.set_index("tier")
    assert b.loc["high", "n_customers"] == 2 and b.loc["high", "n_churned"] == 2
    assert b.loc["high", "predicted_rate"] == pytest.approx(0.7)
    assert b.loc["high", "n_reached"] == 1  # T (P's contact was before the cut-off)
    assert b.loc["medium", "realized_rate"] == 0 and b.loc["medium", "n_reached"] == 1
    assert b.loc["low", "n_reached"] == 0   # a control contact is not a reach
    # treated vs control (issue 14): high = T treated (churned), no control; low = S held back (stayed)
    assert (b.loc["high", "n_treated"], b.loc["high", "n_control"]) == (1, 0)
    assert b.loc["high", "realized_rate_treated"] == 1.0 and np.isnan(b.loc["high", "effect"])
    assert (b.loc["low", "n_treated"], b.loc["low", "n_control"]) == (0, 1)
    assert b.loc["low", "realized_rate_control"] == 0.0
    assert "2024-02" in ddrv.closed_loop_html(loop).data


def test_closed_loop_treated_vs_control_effect(tmp_path):
    """Six listed high-risk customers: three treated (C churns), three held back (all churn; D = 31 days).

    Effect = 1/3 - 3/3 = -2/3 with Newcombe's interval (statsmodels' 'newcomb' method as reference)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    ids = ["A", "B", "C", "D", "E", "F"]
    orders = "order_id,customer_id,order_date,amount\n" + "".join(
        f"{i},{c},2024-02-20,10\n" for i, c in enumerate(ids)) + "".join(  # A and B keep buying; Z ends the data
        f"{10 + i},{c},{d},10\n" for i, (c, d) in enumerate([("A", "2024-03-15"), ("A", "2024-04-10"),
                                                             ("A", "2024-04-28"), ("B", "2024-03-10"),
                                                             ("B", "2024-04-05"), ("B", "2024-04-28"),
                                                             ("Z", "2024-05-31")]))
    camp = "customer_id,campaign_id,sent_date,group,cost\n" + "".join(
        f"{c},c1,2024-03-05,{'treatment' if c in 'ABC' else 'control'},1\n" for c in ids)
    params = write_unit(tmp_path, files={"orders.csv": orders, "campaigns.csv": camp},
                        sources={"orders": {"path": "../orders.csv"}, "campaigns": {"path": "../campaigns.csv"}},
                        unit_yaml="report_month: '2024-05'\ndrivers:\n  horizon_days: 60\n")
    data = load_unit_data(load_config(params, "shop"))
    reports = tmp_path / "reports"
    (reports / "2024-02" / "shop").mkdir(parents=True)
    pd.DataFrame({"customer_id": ids, "probability": [0.8] * 6, "tier": ["high"] * 6, "score": [80] * 6,
                  "reasons": [""] * 6, "value_at_risk": [1] * 6, "as_of": ["2024-03-01"] * 6,
                  "horizon_days": [60] * 6}).to_csv(reports / "2024-02" / "shop" / "at_risk_customers.csv", index=False)
    b = drv.closed_loop(data, reports_dir=reports).by_tier.set_index("tier").loc["high"]
    assert (b.n_treated, b.n_control) == (3, 3)
    assert b.realized_rate_treated == pytest.approx(1 / 3) and b.realized_rate_control == 1.0
    assert b.effect == pytest.approx(-2 / 3)
    lo, hi = confint_proportions_2indep(1, 3, 3, 3, method="newcomb")
    assert (b.effect_lower, b.effect_upper) == pytest.approx((lo, hi))


def test_no_earlier_list_says_so(tmp_path, demo_units):
    data = demo_units["subscriptions"]  # the shared demo: no model is needed to look for a list
    loop = drv.closed_loop(data, reports_dir=tmp_path)
    assert loop.status == "none" and "No earlier at-risk list" in loop.notes[0]


def test_closed_loop_and_other_intervals_contain_their_point():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        k = int(rng.integers(0, n + 1)) if n else 0
        if rng.uniform() < 0.4:
            k = n if rng.uniform() < 0.5 else 0
        lo, hi = wilson_interval([k], [n])  # the closed loop's realized rate per tier
        if n:
            assert lo[0] <= k / n <= hi[0]
    # the odds ratios: exp(coef -/+ 1.96 se) around exp(coef)
    X = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(list("abc"), size=300)})
    yy = (rng.uniform(size=300) < 1 / (1 + np.exp(-X["x"]))).astype(int)
    o = drv.LogitChurnModel(numeric=["x"], categorical=["g"]).fit(X, yy).odds_ratios()
    assert _contains(o, "odds_ratio").empty
