"""Leakage guard with a warning band (issue 9, item 8).

Above 0.95 single-feature ROC AUC a feature is excluded (as before); between
0.90 and 0.95 it is kept but reported as suspected leakage in the headline,
with the advice to exclude it through ``drivers.exclude`` if it is recorded
after the outcome. Reference: telco's ``Churn Score`` (IBM's own churn score,
computed after the churn) has a single-feature AUC of 0.942 against
``Churn Value`` (sklearn ``roc_auc_score``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from retention_utils import drivers as drv
from retention_utils.display import drivers as ddrv


def _planted(n: int = 1200, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """A churn flag, a feature with a planted single-feature AUC of about 0.92, and two weak features."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(int)
    # normal scores shifted by d: AUC = Phi(d / sqrt(2)); d = 1.99 gives 0.92
    score = y * 1.99 + rng.normal(size=n)
    table = pd.DataFrame({"id": [f"C{i:05d}" for i in range(n)], "churned": np.where(y == 1, "yes", "no"),
                          "exit_score": score, "age": rng.normal(40, 10, n).round(),
                          "plan": rng.choice(["basic", "pro"], n)})
    return table, y


def test_band_flags_a_planted_feature_without_excluding_it():
    table, y = _planted()
    auc = roc_auc_score(y, table["exit_score"])
    assert 0.90 < auc <= 0.95  # the planted value
    res = drv.drivers_from_table(table, target="churned", id_column="id", models=("logit",), n_repeats=0)
    lk = res.leakage.set_index("feature")
    assert lk.loc["exit_score", "single_auc"] == pytest.approx(auc)
    assert bool(lk.loc["exit_score", "suspected"]) and not lk.loc["exit_score", "flagged"]
    assert not lk.loc["exit_score", "excluded"] and "exit_score" in res.numeric  # kept: only a warning
    assert not lk.loc[["age", "plan"], "suspected"].any()
    assert res.suspected_leaks["feature"].tolist() == ["exit_score"]
    sentences = ddrv.headline_sentences(res)
    warn = [s for s in sentences if s.startswith("Suspected leakage")]
    assert len(warn) == 1 and "exit_score separates leavers" in warn[0] and f"{auc:.0%} of the time" in warn[0]
    assert "params drivers.exclude: [exit_score]" in warn[0] and "recorded after they left" in warn[0]
    assert "Suspected leakage" in ddrv.headline_html(res).data
    assert any(n.startswith("Suspected leakage: 'exit_score'") for n in res.notes)
    # excluding it as advised: no warning, the feature is gone, the exclusion is noted
    res2 = drv.drivers_from_table(table, target="churned", id_column="id", models=("logit",), n_repeats=0,
                                  exclude=["exit_score"])
    assert "exit_score" not in res2.numeric and res2.suspected_leaks.empty
    assert not any(s.startswith("Suspected leakage") for s in ddrv.headline_sentences(res2))
    assert any("drivers.exclude: 'exit_score'" in n for n in res2.notes)


def test_band_edges():
    X = pd.DataFrame({"s": np.arange(10.0)})
    # 5 churners, 5 stayers: each swapped pair costs 1/25 of AUC
    for y, auc, flagged, suspected in (([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 1.0, True, False),
                                       ([0, 0, 0, 0, 1, 0, 1, 1, 1, 1], 0.96, True, False),
                                       ([0, 0, 0, 1, 0, 0, 1, 1, 1, 1], 0.92, False, True),
                                       ([0, 0, 1, 0, 0, 0, 1, 1, 1, 1], 0.88, False, False)):
        g = drv.leakage_guard(X, y).iloc[0]
        assert (round(g["single_auc"], 6), bool(g["flagged"]), bool(g["suspected"])) == (auc, flagged, suspected)


def test_telco_churn_score_is_a_suspected_leak(real_data):
    path = real_data / "telco_ibm" / "Telco_customer_churn.xlsx"
    if not path.exists():
        pytest.skip(f"real data set not found: {path}")
    t = pd.read_excel(path)
    drop = ["Count", "Country", "State", "City", "Zip Code", "Lat Long", "Latitude", "Longitude", "Churn Label"]
    res = drv.drivers_from_table(t, target="Churn Value", id_column="CustomerID", reason_columns=["Churn Reason"],
                                 drop=drop, models=("logit",), n_repeats=0)
    lk = res.leakage.set_index("feature")
    assert lk.loc["Churn Score", "single_auc"] == pytest.approx(0.9417, abs=5e-4)
    assert bool(lk.loc["Churn Score", "suspected"]) and not lk.loc["Churn Score", "excluded"]
    assert lk["suspected"].sum() == 1 and lk["flagged"].sum() == 0
    assert any(s.startswith("Suspected leakage: Churn Score") for s in ddrv.headline_sentences(res))
    assert res.metric("logit", "roc_auc") > 0.93  # what the leak does to the cross-validated AUC


def test_leakage_guard_flags_telco_satisfaction_score(real_data):
    status = pd.read_excel(real_data / "telco_ibm" / "Telco_customer_churn_status.xlsx")
    y = status["Churn Value"].to_numpy()
    X = status[["Satisfaction Score", "CLTV", "Quarter"]]
    g = drv.leakage_guard(X, y).set_index("feature")
    assert g.loc["Satisfaction Score", "flagged"] and g.loc["Satisfaction Score", "single_auc"] > 0.95
    assert not g.loc["CLTV", "flagged"] and not g.loc["Quarter", "flagged"]


def test_leakage_guard_flags_bank_complain(real_data):
    bank = pd.read_csv(real_data / "bank_churn_records" / "Customer-Churn-Records.csv")
    res = drv.drivers_from_table(bank, target="Exited", id_column="CustomerId", drop=["RowNumber", "Surname"],
                                 models=("logit",), n_repeats=0, n_splits=3)
    g = res.leakage.set_index("feature")
    assert g.loc["Complain", "flagged"] and g.loc["Complain", "excluded"]
    assert g["flagged"].sum() == 1
    assert "Complain" not in res.numeric
    assert any(n.startswith("Leakage guard: 'Complain'") for n in res.notes)
