"""The analysis contract (results.py) and the KPI and cohort results' summary rows, on TINY by hand.

TINY (tests/data/tiny, unit shop, inactivity 31 days): A buys 2024-01-05 and 2024-02-01, B buys
2024-01-20 (refund 01-25), C buys 2024-02-10 and 2024-04-15. Churn days: B 02-21, A 03-04, C 03-13.
Warm-up: months before 2024-02-05 (data start + 31 days), i.e. January and February.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from retention_utils import cohort_analysis, kpi_analysis, load_config, load_unit_data
from retention_utils.results import (
    SUMMARY_COLUMNS,
    notes_frame,
    read_summaries,
    summary_rows,
    write_summary,
)
from tests.conftest import TINY

Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def tiny_march():
    return load_unit_data(load_config(TINY / "params", "shop", month="2024-03"))


@pytest.fixture(scope="module")
def tiny_april():
    return load_unit_data(load_config(TINY / "params", "shop"))


def _row(summary: pd.DataFrame, metric: str, compared_to: str = "") -> pd.Series:
    rows = summary[(summary.metric == metric) & (summary.compared_to == compared_to)]
    assert len(rows) == 1, (metric, compared_to, summary[["metric", "compared_to"]])
    return rows.iloc[0]


def test_kpi_summary_march_by_hand(tiny_march):
    s = kpi_analysis(tiny_march).summary_frame()
    assert tuple(s.columns) == SUMMARY_COLUMNS and set(s.analysis) == {"kpis"}
    churn = _row(s, "churn_rate")
    # customers at the start of March: A and C (B churned 02-21); both churn in March
    assert churn.value == 1.0 and churn.unit == "share" and churn.higher_is_better is False
    assert churn.ci_lower == pytest.approx(2 / (2 + Z95**2), rel=1e-9) and churn.ci_upper == 1.0
    assert _row(s, "n_customers_start").value == 2
    active = _row(s, "n_active")
    assert active.value == 0 and active.unit == "customers" and active.higher_is_better is True
    # February is a warm-up month: no comparison with it
    assert math.isnan(_row(s, "n_active", "previous month").delta)
    assert math.isnan(_row(s, "churn_rate", "previous month").delta)
    assert _row(s, "net_revenue").unit == "EUR" and _row(s, "net_revenue").value == 0


def test_kpi_summary_april_compares_with_march(tiny_april):
    s = kpi_analysis(tiny_april).summary_frame()
    # April: C comes back (40 EUR); March had no buyer and no revenue
    assert _row(s, "n_active").value == 1 and _row(s, "n_active", "previous month").delta == 1
    assert _row(s, "net_revenue").value == 40 and _row(s, "net_revenue", "previous month").delta == 40
    assert math.isnan(_row(s, "n_active", "same month last year").delta)  # no April 2023
    # nobody is a customer at the start of April: no churn rate, no interval
    assert math.isnan(_row(s, "churn_rate").value) and math.isnan(_row(s, "churn_rate").ci_lower)


def test_kpi_notes_flag_the_small_base_and_warm_up(tiny_march):
    notes = kpi_analysis(tiny_march).notes
    assert list(notes.columns) == ["section", "subject", "note"]
    assert set(notes.subject) == {"warm-up", "churn rate"}


def _min_customers(data, n: int):
    """``data`` with ``thresholds.min_customers`` set to ``n`` (hand-computed tests on 3 customers)."""
    import dataclasses

    th = data.config.thresholds.model_copy(update={"min_customers": n})
    return dataclasses.replace(data, config=data.config.model_copy(update={"thresholds": th}))


def test_three_customers_give_no_retention_share(tiny_april):
    """Below min_customers (30) no share is reported, only the sentence saying what is missing."""
    s = cohort_analysis(tiny_april).summary_frame()
    assert not s.metric.str.startswith("retention_month").any()
    assert _row(s, "headline").unit == "sentence"


def test_cohort_summary_by_hand(tiny_april):
    """Cohorts by first purchase: January (A, B), February (C); 'period' retention = bought in period k."""
    r = cohort_analysis(_min_customers(tiny_april, 1))  # 3 customers: below the usual 30, so allowed here
    s = r.summary_frame()
    one = _row(s, "retention_month_1")
    # month 1: January cohort in February: A yes, B no; February cohort in March: C no -> 1 of 3
    assert one.value == pytest.approx(1 / 3)
    lo, hi = (1 / 3 + Z95**2 / 6) / (1 + Z95**2 / 3), Z95 / (1 + Z95**2 / 3) * math.sqrt(2 / 27 + Z95**2 / 36)
    assert (one.ci_lower, one.ci_upper) == pytest.approx((lo - hi, lo + hi), rel=1e-9)
    # month 3: January cohort in April: nobody (A's May order is after the report month) -> 0 of 2
    assert _row(s, "retention_month_3").value == 0
    assert "retention_month_12" not in set(s.metric)  # not observable yet
    assert r.group_test.iloc[0].attribute == "(none configured)"


def test_notes_and_summary_rows_fill_the_contract_columns():
    n = notes_frame([{"section": "cox", "subject": "plan", "note": "merged"}, ("km", "", "few events")])
    assert n.to_dict("records")[1] == {"section": "km", "subject": "", "note": "few events"}
    s = summary_rows([{"metric": "auc", "value": "0.81", "unit": "auc", "higher_is_better": True}], analysis="d")
    assert s.loc[0, "value"] == 0.81 and s.loc[0, "label"] == "auc" and np.isnan(s.loc[0, "delta"])


def test_write_and_read_summaries(tmp_path, tiny_april):
    assert write_summary(kpi_analysis(tiny_april), "") is None  # an analyst's session writes nothing
    write_summary(kpi_analysis(tiny_april), tmp_path)
    write_summary(cohort_analysis(tiny_april), tmp_path)
    back = read_summaries(tmp_path)
    assert tuple(back.columns) == SUMMARY_COLUMNS and set(back.analysis) == {"kpis", "cohorts"}
    assert _row(back, "net_revenue", "previous month").delta == 40
    assert read_summaries(tmp_path / "nothing").empty


def test_results_display_themselves_with_escaped_text(tiny_april):
    html = kpi_analysis(tiny_april)._repr_html_()
    assert "1 customers who bought in April 2024" in html and "rk-card" in html
    assert "Share of a cohort" not in html
    assert "cohort" in cohort_analysis(tiny_april)._repr_html_()
