"""Early warning, tiers, the trade-off and the at-risk list (retention_utils.drivers.warning).

Reference values: the planted unit (tests/drivers_planted.py): every active customer at the
scoring cut-off (:func:`~retention_utils.drivers.churn_labels` without a horizon) is scored once;
invariants (rates in [0, 1], tiers from the thresholds, value at risk = probability x revenue,
expected churners + false alarms = customers flagged). The reasons' wording is checked by the
doctests of :func:`~retention_utils.drivers.reason_phrase`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv


def test_early_warning_scores_every_active_customer(planted):
    data, analysis = planted
    res, ew = analysis.drivers, analysis.warning  # drv.early_warning(data, res) inside drivers_analysis
    s = ew.scores
    active = drv.churn_labels(data.orders, data.customers, cutoff=res.plan.score, horizon_days=None,
                              method="explicit", inactivity_days=90).to_pandas()
    assert sorted(s["customer_id"]) == sorted(active["customer_id"])
    assert s["probability"].between(0, 1).all()
    assert (s["value_at_risk"].diff().dropna() <= 1e-9).all()  # sorted by value at risk
    assert np.allclose(s["value_at_risk"], s["probability"] * s["revenue_12m"])
    high, medium = ew.tier_thresholds
    assert ((s["tier"] == "high") == (s["probability"] >= high)).all()
    assert ((s["tier"] == "low") == (s["probability"] < medium)).all()
    assert ew.tiers["n_customers"].sum() == len(s)
    assert ew.tiers["value_at_risk"].sum() == pytest.approx(s["value_at_risk"].sum())
    risky = s[s["tier"] != "low"]
    assert (risky["reasons"].str.len() > 0).mean() > 0.9
    t = ew.tradeoff.set_index("threshold")
    assert t.loc[high, "n_flagged"] == (s["probability"] >= high).sum()
    assert t.loc[high, "expected_churners"] + t.loc[high, "expected_false_alarms"] == pytest.approx(
        t.loc[high, "n_flagged"])


def test_at_risk_list_file(planted, tmp_path):
    data, analysis = planted
    ew = analysis.warning
    assert drv.write_at_risk_list(ew, "") is None
    path = drv.write_at_risk_list(ew, tmp_path)
    # the analysis writes its warning's list, the same bytes
    (tmp_path / "a").mkdir()
    assert drv.write_at_risk_list(analysis, tmp_path / "a").read_bytes() == path.read_bytes()
    got = pd.read_csv(path, dtype={"customer_id": str})
    assert list(got.columns[:6]) == ["customer_id", "probability", "tier", "score", "reasons", "value_at_risk"]
    assert len(got) == len(ew.scores) and got["customer_id"].is_unique
    assert (got["value_at_risk"].diff().dropna() <= 0.011).all()


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
