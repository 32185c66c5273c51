"""KPI and cohort charts: they draw from a result (and its bare table), replace a chart by one sentence when
too few customers stand behind it, and pass the figure check (issue 12, item 4) on demo units."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from retention_utils import cohort_analysis, kpi_analysis, load_config, load_unit_data, setup_notebook
from retention_utils.plots import cohorts as pc
from retention_utils.plots import kpis as pk
from retention_utils.plots.base import money_formatter
from retention_utils.plots.check import figure_problems
from tests.conftest import TINY


@pytest.fixture(scope="module")
def results():
    data = load_unit_data(load_config(TINY / "params", "shop"))
    return kpi_analysis(data), cohort_analysis(data)


def test_kpi_plots_take_the_result_or_its_table(results):
    k, _ = results
    fig, ax = plt.subplots()
    assert pk.plot_customer_base(k, ax=ax) is ax and ax.get_title(loc="left") == "Customers at the end of each month"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["active at month end", "dormant at month end"]
    fig, ax = plt.subplots()
    pk.plot_customer_flows(k.monthly, ax=ax)
    # new, reactivated and churned bars, one per month each
    assert [len(c) for c in ax.containers] == [len(k.monthly)] * 3
    fig, axes = plt.subplots(2, 2)
    pk.plot_revenue_panels(k, axes=axes)
    assert axes[0, 0].get_ylabel() == "EUR per month" and axes[1, 1].get_title(loc="left") == "Repurchase rate"


def test_tiny_unit_gets_one_sentence_instead_of_each_rate_chart(results):
    """TINY: 3 customers. No churn-rate, cohort, value, control or group chart: the figure is closed (a notebook
    shows no picture) and the page shows the one sentence as text."""
    k, c = results
    fig, ax = plt.subplots(figsize=pk.figure_size(k, "churn_rate"))
    pk.plot_churn_rate(k, ax=ax)
    assert pk.figure_size(k, "churn_rate") == (14, 0.6) and not plt.fignum_exists(fig.number)
    assert [t.get_text() for t in ax.texts] == [
        "Not shown: a chart of the monthly churn rate needs at least 30 customers; there are 2 at the start of the "
        "busiest month (28 more needed)."]
    from retention_utils.display.kpis import churn_rate_html

    assert churn_rate_html(k).data == f"<p class='rk-shortfall'>{ax.texts[0].get_text()}</p>"
    expected = {
        "heatmap": "Not shown: the cohort table needs at least 30 customers; there are 2 in the largest cohort (28 more "
                   "needed).",
        "value": "Not shown: revenue by cohort needs at least 30 customers; there are 2 in the largest cohort (28 more "
                 "needed).",
    }
    for part, plot in (("heatmap", pc.plot_cohort_heatmap), ("value", pc.plot_cohort_value),
                       ("curves", pc.plot_retention_curves), ("control", pc.plot_churn_control),
                       ("groups", pc.plot_group_curves)):
        fig, ax = plt.subplots(figsize=pc.figure_size(c, part))
        plot(c, ax=ax)
        texts = [t.get_text() for t in ax.texts]
        assert len(texts) == 1 and texts[0].startswith("Not shown:" if part != "groups" else "No customer"), part
        assert not plt.fignum_exists(fig.number), part  # closed: the notebook shows the sentence as text only
        assert pc.figure_size(c, part)[1] == 0.6, part
        assert not ax.axison and not ax.lines and not ax.patches, part  # nothing drawn but the sentence
        if part in expected:
            assert texts[0] == expected[part]


@pytest.mark.parametrize("ticks, labels", [
    ([0, 2.5, 5, 7.5], ["EUR 0.0", "EUR 2.5", "EUR 5.0", "EUR 7.5"]),  # was "EUR 0, 2, 5, 8"
    ([0, 0.5, 1.0, 1.5], ["EUR 0.0", "EUR 0.5", "EUR 1.0", "EUR 1.5"]),  # was "EUR 0, 0, 1, 2"
    ([0, 0.25, 0.5], ["EUR 0.00", "EUR 0.25", "EUR 0.50"]),
    ([10_000, 10_500, 11_000], ["EUR 10.0k", "EUR 10.5k", "EUR 11.0k"]),  # was "EUR 10k, 10k, 11k"
    ([0, 200_000, 400_000], ["EUR 0k", "EUR 200k", "EUR 400k"]),
    ([0, 2_500_000, 5_000_000], ["EUR 0.0M", "EUR 2.5M", "EUR 5.0M"]),
    ([0, 1_000, 2_000], ["EUR 0", "EUR 1,000", "EUR 2,000"]),
])
def test_money_ticks_take_their_decimals_from_the_step(ticks, labels):
    assert money_formatter("EUR").format_ticks(ticks) == labels


def test_the_sentence_replacing_revenue_charts_is_written_once(results):
    """TINY: the revenue figure (two heatmaps and the cohort value) carries its one sentence once, not three times."""
    _, c = results
    fig, axes = plt.subplot_mosaic([["net", "gross"], ["value", "value"]], figsize=pc.figure_size(c, "revenue"))
    pc.plot_cohort_heatmap(c, value="net_revenue_retention", ax=axes["net"])
    pc.plot_cohort_heatmap(c, value="gross_revenue_retention", ax=axes["gross"])
    pc.plot_cohort_value(c, ax=axes["value"])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["Not shown: revenue by cohort needs at least 30 customers; there are 2 in the largest cohort (28 "
                     "more needed)."]
    assert pc.figure_size(c, "revenue") == (14, 0.6)


def test_money_ticks_on_a_drawn_axis_never_repeat():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 8])
    ax.set_ylim(0, 8)
    ax.set_yticks([0, 2.5, 5, 7.5])
    ax.yaxis.set_major_formatter(money_formatter("EUR"))
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == ["EUR 0.0", "EUR 2.5", "EUR 5.0", "EUR 7.5"]


def test_flows_bars_fit_and_the_legend_sits_beside_them():
    """A first month with 815 new customers (online-retail UK, December 2010) was cut at the top; the legend
    covered bars."""
    months = pd.date_range("2010-12-01", periods=4, freq="MS")
    k = pd.DataFrame({"month": months, "n_new": [815, 358, 340, 419], "n_reactivated": [0, 0, 0, 50],
                      "n_churned": [0, 0, 0, 387], "warm_up": [True, True, True, False]})
    fig, ax = plt.subplots(figsize=(14, 4))
    pk.plot_customer_flows(k, ax=ax)
    fig.tight_layout()
    bottom, top = ax.get_ylim()
    assert top >= 815 and bottom <= -387
    assert figure_problems(fig) == []
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # right of the plot area


def test_low_churn_is_good_news_not_an_alarm():
    c = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=4, freq="MS"), "n_customers_start": [1000] * 4,
                      "n_churned": [100, 100, 40, 180], "churn_rate": [0.1, 0.1, 0.04, 0.18],
                      "centre": [np.nan, 0.1, 0.1, 0.1], "lcl": [np.nan, 0.07, 0.07, 0.07],
                      "ucl": [np.nan, 0.13, 0.13, 0.13], "alert": ["", "", "below", "above"]})
    fig, ax = plt.subplots(figsize=(14, 4.5))
    pc.plot_churn_control(c, ax=ax)
    fig.tight_layout()
    high, low = ax.collections[-2], ax.collections[-1]
    assert high.get_label() == "unusually high churn (alarm)" and low.get_label() == "unusually low churn (good)"
    assert tuple(high.get_edgecolor()[0][:3]) != tuple(low.get_edgecolor()[0][:3])
    assert list(high.get_offsets()[:, 1]) == [18.0] and list(low.get_offsets()[:, 1]) == [4.0]
    assert figure_problems(fig) == []


def _notebook_figures(data) -> dict:
    """Every KPI and cohort chart of ``unit`` as the notebooks draw it (their style, sizes, tight layout)."""
    setup_notebook(report_mode=False)  # the notebooks' fonts and sizes (the test's rc_context restores them)
    k, c = kpi_analysis(data), cohort_analysis(data)
    figs = {}
    fig, axes = plt.subplots(2, 1, figsize=(14, 8))
    pk.plot_customer_base(k, ax=axes[0])
    pk.plot_customer_flows(k, ax=axes[1])
    figs["customers"] = fig
    fig, ax = plt.subplots(figsize=pk.figure_size(k, "churn_rate", (14, 4)))
    figs["churn"] = pk.plot_churn_rate(k, ax=ax).figure
    fig, axes = plt.subplots(2, 2, figsize=(14, 8))
    pk.plot_revenue_panels(k, axes=axes)
    figs["revenue"] = fig
    for part, plot, size in (("heatmap", pc.plot_cohort_heatmap, (14, 8)), ("curves", pc.plot_retention_curves, (14, 5)),
                             ("control", pc.plot_churn_control, (14, 4.5)), ("groups", pc.plot_group_curves, (14, 4.5))):
        fig, ax = plt.subplots(figsize=pc.figure_size(c, part, size))
        figs[part] = plot(c, ax=ax).figure
    fig, axes = plt.subplot_mosaic([["net", "gross"], ["value", "value"]], height_ratios=[1.55, 1],
                                   figsize=pc.figure_size(c, "revenue", (16, 11.5)))
    pc.plot_cohort_heatmap(c, value="net_revenue_retention", title="Net revenue retention (%)", ax=axes["net"])
    pc.plot_cohort_heatmap(c, value="gross_revenue_retention", title="Gross revenue retention (%)", ax=axes["gross"])
    pc.plot_cohort_value(c, ax=axes["value"])
    figs["revenue retention"] = fig
    open_figures = [plt.figure(n) for n in plt.get_fignums()]
    shown = {name: f for name, f in figs.items() if any(f is o for o in open_figures)}  # closed: a sentence instead
    for f in shown.values():
        f.tight_layout()
    return shown


@pytest.mark.parametrize("unit", ["retail", "subscriptions", "b2b"])
def test_every_chart_passes_the_figure_check_on_demo(unit, demo_units):
    with plt.rc_context():
        figs = _notebook_figures(demo_units[unit])  # the demo as make demo writes it (conftest)
    problems = {name: figure_problems(fig) for name, fig in figs.items()}
    assert {n: p for n, p in problems.items() if p} == {}
    # B2B's cohorts (6 customers at most) and segments give way to sentences; the others draw every chart
    replaced = {"b2b": {"heatmap", "revenue retention", "groups"}}.get(unit, set())
    assert set(figs) == {"customers", "churn", "revenue", "heatmap", "curves", "control", "groups",
                         "revenue retention"} - replaced
