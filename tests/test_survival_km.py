"""Kaplan-Meier (retention_utils.survival.kaplan_meier): lifelines on the telco data, hand-computed at-risk table."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from retention_utils import survival as sv
from tests.conftest import REAL, ROOT

REF = json.loads((ROOT / "tests" / "data" / "survival_reference" / "telco_reference.json").read_text())
TELCO = "telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv"


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    """The IBM telco sample as lifetimes (reference values: tests/data/survival_reference/telco_reference.py)."""
    if not (REAL / TELCO).exists():
        pytest.skip(f"telco data not found at {REAL / TELCO}")
    raw = pd.read_csv(REAL / TELCO)
    return sv.lifetimes_from_snapshot(raw, duration="tenure", event="Churn", customer_id="customerID")


def test_km_equals_lifelines_on_telco(telco):
    for key, km in (("all", sv.kaplan_meier(telco)), ("Contract", sv.kaplan_meier(telco, group_by="Contract"))):
        for group in km.groups:
            ref = REF["km"][group]
            c = km.curve[(km.curve["group"] == group) & (km.curve["n_events"] > 0)]
            np.testing.assert_array_equal(c["duration_months"], ref["duration_months"])
            np.testing.assert_allclose(c["survival"], ref["survival"], atol=1e-6, rtol=0)
            np.testing.assert_allclose(c["ci_lower"], ref["ci_lower"], atol=1e-6, rtol=0)
            np.testing.assert_allclose(c["ci_upper"], ref["ci_upper"], atol=1e-6, rtol=0)
            med = km.medians.set_index("group").loc[group, "median_months"]
            assert (np.isnan(med) and np.isinf(ref["median_months"])) or med == ref["median_months"]
    assert sorted(REF["km"]) == ["Month-to-month", "One year", "Two year", "all customers"]


def test_km_at_risk_and_times_by_hand():
    t = pd.DataFrame({"duration_months": [0.0, 2, 4, 5, 7, 13], "event": [True, False, True, True, False, True]})
    km = sv.kaplan_meier(t, times=(3, 6, 12, 24), risk_times=(0, 3, 6, 12))
    risk = km.at_risk.set_index("duration_months")
    assert risk["n_at_risk"].tolist() == [6, 4, 2, 1]
    assert risk["n_events"].tolist() == [0, 1, 3, 3]
    assert risk["n_censored"].tolist() == [0, 1, 1, 2]
    at = km.at_times.set_index("duration_months")
    s0 = 5 / 6
    assert at.loc[3, "survival"] == pytest.approx(s0)
    assert at.loc[6, "survival"] == pytest.approx(s0 * 3 / 4 * 2 / 3)  # events at 4 (4 at risk), 5 (3 at risk)
    assert at.loc[12, "survival"] == pytest.approx(s0 * 3 / 4 * 2 / 3)
    assert np.isnan(at.loc[24, "survival"]) and not at.loc[24, "estimable"]  # beyond the follow-up
    assert km.curve["duration_months"].iloc[-1] == 13  # runs to the end
