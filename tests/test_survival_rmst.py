"""Restricted mean survival time (retention_utils.survival.rmst): lifelines on the telco data, variance by hand."""
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


def test_rmst_equals_lifelines_on_telco(telco):
    for ref in REF["rmst"]:
        group_by = None if ref["group"] == "all customers" else "Contract"
        got = sv.rmst(telco, horizon_months=ref["horizon_months"], group_by=group_by).by_group.set_index("group")
        assert got.loc[ref["group"], "rmst_months"] == pytest.approx(ref["rmst_months"], abs=1e-6)


def test_rmst_and_variance_by_hand():
    # times 1 (event), 2 (censored), 3 (event), 4 (censored); horizon 3.5
    t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0, 4.0], "event": [True, False, True, False]})
    r = sv.rmst(t, horizon_months=3.5).by_group.iloc[0]
    # S = 1 on [0,1), 3/4 on [1,3), 3/4 * 1/2 on [3, 3.5]
    assert r.rmst_months == pytest.approx(1 + 0.75 * 2 + 0.375 * 0.5)
    a1, a3 = 0.75 * 2 + 0.375 * 0.5, 0.375 * 0.5  # area from each event time to the horizon
    var = a1 ** 2 * 1 / (4 * 3) + a3 ** 2 * 1 / (2 * 1)
    assert r.std_err == pytest.approx(np.sqrt(var))
    assert not sv.rmst(t, horizon_months=5).by_group["estimable"].iloc[0]  # follow-up shorter than horizon
