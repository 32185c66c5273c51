"""Every KPI and cohort plot draws from a result (and from its bare table) on TINY."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from retention_utils import cohort_analysis, kpi_analysis, load_config, load_unit_data
from retention_utils.plots import cohorts as pc
from retention_utils.plots import kpis as pk
from tests.conftest import TINY


@pytest.fixture(scope="module")
def results():
    data = load_unit_data(load_config(TINY / "params", "shop"))
    return kpi_analysis(data), cohort_analysis(data)


def test_kpi_plots_take_the_result_or_its_table(results):
    k, _ = results
    fig, ax = plt.subplots()
    assert pk.plot_customer_base(k, ax=ax) is ax and ax.get_title(loc="left") == "Customer base (excluding churned)"
    fig, ax = plt.subplots()
    pk.plot_customer_flows(k.monthly, ax=ax)
    # new, reactivated and churned bars, one per month each
    assert [len(c) for c in ax.containers] == [len(k.monthly)] * 3
    fig, ax = plt.subplots()
    pk.plot_churn_rate(k, ax=ax)
    # months with 1 to 29 customers at the start are not plotted; the note says how many (Feb and Mar)
    assert any("2 month(s) with fewer than 30 customers" in t.get_text() for t in ax.texts)
    fig, axes = plt.subplots(2, 2)
    pk.plot_revenue_panels(k, axes=axes)
    assert axes[0, 0].get_ylabel() == "EUR per month" and axes[1, 1].get_title(loc="left") == "Repurchase rate"


def test_cohort_plots_take_the_result(results):
    _, c = results
    fig, ax = plt.subplots()
    pc.plot_cohort_heatmap(c, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Jan 2024  (n=2, too small)", "Feb 2024  (n=1, too small)"]
    fig, ax = plt.subplots()
    pc.plot_retention_curves(c, ax=ax)
    assert ax.get_xlabel() == "months since acquisition"
    fig, ax = plt.subplots()
    pc.plot_churn_control(c, ax=ax)
    assert ax.get_title(loc="left") == "Churn rate against its control limits"
    fig, ax = plt.subplots()
    pc.plot_group_curves(c, ax=ax)  # no split_by configured: says so instead of an empty chart
    assert any("cohorts.split_by" in t.get_text() for t in ax.texts)
    fig, ax = plt.subplots()
    pc.plot_cohort_value(c, ax=ax)  # every cohort below 30 customers
    assert any("no cohort has 30 or more customers" in t.get_text() for t in ax.texts)
