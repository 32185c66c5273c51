"""Log-rank tests (retention_utils.survival.logrank): lifelines on the telco data, Holm by hand."""
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


def test_logrank_equals_lifelines_on_telco(telco):
    for col in ("Contract", "InternetService"):
        o = sv.logrank(telco, group_by=col).overall.iloc[0]
        assert o.statistic == pytest.approx(REF["logrank"][col]["statistic"], abs=1e-6)
        assert o.df == REF["logrank"][col]["df"]
        assert o.p_value == pytest.approx(REF["logrank"][col]["p_value"], rel=1e-6, abs=1e-300)
    pw = sv.logrank(telco, group_by="Contract").pairwise
    got = {frozenset((r.group_a, r.group_b)): r for r in pw.itertuples()}
    for ref in REF["logrank"]["Contract_pairwise"]:
        r = got[frozenset((ref["group_a"], ref["group_b"]))]
        assert r.statistic == pytest.approx(ref["statistic"], abs=1e-6)
        assert r.p_value == pytest.approx(ref["p_value"], rel=1e-6, abs=1e-300)
    # Holm by hand: sorted p-values times (m - rank), running maximum, capped at 1
    p = pw["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.minimum(np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))), 1)
    np.testing.assert_allclose(pw["p_value_holm"].to_numpy()[order], holm)
