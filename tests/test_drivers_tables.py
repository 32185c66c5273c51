"""Churn drivers of a one-row-per-customer table (retention_utils.drivers.tables: drivers_from_table).

Reference value: the published range of the IBM telco churn data (logistic regression ROC AUC
about 0.83-0.86 in the many public analyses of that table). Snapshot units (snapshot_drivers)
are tested in test_drivers_snapshot.
"""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils.errors import DataError


@pytest.fixture(scope="module")
def telco_csv():
    from tests.conftest import REAL

    path = REAL / "telco_ibm" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        pytest.skip(f"real data set not found: {path}")
    return pd.read_csv(path)


def test_telco_logistic_cv_auc_in_published_range(real_data, telco_csv):
    before = telco_csv.copy()
    res = drv.drivers_from_table(telco_csv, target="Churn", id_column="customerID", models=("logit",), n_repeats=0)
    pd.testing.assert_frame_equal(telco_csv, before)  # the caller's frame is not modified
    assert res.design == "stratified_cv" and "not an out-of-time test" in res.validation
    auc = res.metric("logit", "roc_auc")
    assert 0.83 <= auc <= 0.86, auc
    assert res.metric("logit", "roc_auc") > res.metric("baseline", "roc_auc")
    assert any("TotalCharges" in n and "11 blank" in n for n in res.notes)


def test_table_target_errors():
    df = pd.DataFrame({"x": [1, 2, 3], "churn": ["yes", "no", "maybe"]})
    with pytest.raises(DataError, match=r"target column 'churn' has 1 values that are not a churn flag \('maybe'\)"):
        drv.drivers_from_table(df, target="churn")
    with pytest.raises(DataError, match=r"column\(s\) 'Churn' not found in the table; columns present: 'x', 'churn'"):
        drv.drivers_from_table(df, target="Churn")
