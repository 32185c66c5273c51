"""Survival charts (retention_utils.plots.survival) on tiny results: what is drawn, and the empty panels."""
from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from retention_utils import load_config, load_unit_data
from retention_utils import survival as sv
from retention_utils.plots import survival as svp
from retention_utils.plots.base import CAUSE_COLOURS, PALETTE
from retention_utils.plots.check import figure_problems
from tests.conftest import TINY

#: Six customers on two plans, every life ended in churn.
TWO_PLANS = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6], "event": [True] * 6,
                          "plan": ["a", "a", "a", "b", "b", "b"]})


@pytest.fixture(scope="module")
def tiny() -> sv.SurvivalAnalysis:
    """The tiny shop (one customer life, inactivity churn): too few events for anything but the curve."""
    return sv.survival_analysis(load_unit_data(load_config(TINY / "params", "shop")))


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def _ax():
    return plt.figure().gca()


def test_plot_km_draws_a_curve_per_group_and_the_numbers_at_risk():
    km = sv.kaplan_meier(TWO_PLANS, group_by="plan", risk_times=(0, 3, 6))
    ax = svp.plot_km(km, ax=_ax())
    curves = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in curves] == ["a (3 customers)", "b (3 customers)"]
    assert curves[0].get_ydata()[0] == 100 and curves[0].get_ydata()[-1] == 0  # percent still active
    assert ax.get_ylim() == (0, 102) and ax.get_xlabel() == svp.LABELS["duration_months"]
    assert list(ax.get_xticks()) == [0, 3, 6]
    at_risk = [a.get_text() for a in ax.texts]
    assert "Customers still followed" in at_risk and at_risk.count("3") >= 2  # 3 customers per plan at 0


def test_plot_km_of_the_analysis_and_of_no_customers(tiny):
    ax = svp.plot_km(tiny, ax=_ax())
    assert ax.get_lines() and ax.get_legend().get_texts()[0].get_text() == "all customers (1 customers)"
    empty = sv.kaplan_meier(pd.DataFrame({"duration_months": [], "event": []}))
    ax = svp.plot_km(empty, ax=_ax())
    assert not ax.get_lines() and "no customer lifetimes" in _texts(ax)


def test_plot_hazard_highlights_the_peak_month():
    t = pd.DataFrame({"duration_months": np.repeat([0.5, 1.5, 2.5, 3.5], [5, 20, 5, 70]),
                      "event": np.repeat([True, True, True, False], [5, 20, 5, 70])})
    hz = sv.hazard_by_tenure(t, min_at_risk=1)
    ax = svp.plot_hazard(hz, ax=_ax())
    bars = ax.patches
    assert len(bars) == len(hz)
    heights = [b.get_height() for b in bars]
    assert heights[1] == pytest.approx(20 / 95 * 100)  # month 2: 20 of the 95 still active churn
    peak = int(np.argmax(heights))
    assert mcolors.to_hex(bars[peak].get_facecolor()) == PALETTE["churned"]
    assert {mcolors.to_hex(b.get_facecolor()) for i, b in enumerate(bars) if i != peak} == {PALETTE["active"]}
    grouped = sv.hazard_by_tenure(TWO_PLANS, group_by="plan", min_at_risk=1)
    ax = svp.plot_hazard(grouped, ax=_ax())
    assert [ln.get_label() for ln in ax.get_lines()] == ["a", "b"]


def test_plot_hazard_with_too_few_events_says_why(tiny):
    ax = svp.plot_hazard(tiny, ax=_ax())
    assert not ax.patches and not ax.get_lines() and "too few churn events" in _texts(ax)


def test_plot_forest_labels_each_term_and_colours_by_significance():
    rng = np.random.default_rng(3)
    n = 400
    plan = rng.choice(["basic", "gold"], n)
    t = pd.DataFrame({"duration_months": rng.exponential(np.where(plan == "gold", 12, 4)), "event": rng.random(n) < 0.8,
                      "plan": plan, "region": rng.choice(["north", "south"], n)})
    cox = sv.cox_hazard_ratios(t, covariates=["plan", "region"], min_level_customers=10,
                               reference_levels={"plan": "basic"})
    ax = svp.plot_forest(cox, ax=_ax())
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels == [sv.term_label(r, 0) for r in cox.hazard_ratios.iloc[::-1].itertuples()]
    assert ax.get_xscale() == "log"
    hr = cox.hazard_ratios.set_index("covariate")
    assert hr.loc["plan", "ci_upper"] < 1 and hr.loc["region", "ci_lower"] < 1 < hr.loc["region", "ci_upper"]
    colours = [mcolors.to_hex(c) for c in ax.collections[0].get_colors()]  # intervals, bottom to top
    order = list(cox.hazard_ratios["covariate"])[::-1]
    assert colours[order.index("plan")] == "#1b7f3b"  # gold churns slower: green
    assert colours[order.index("region")] == mcolors.to_hex("0.55")  # no clear effect: grey


def test_plot_forest_without_ratios_shows_the_explanation(tiny):
    ax = svp.plot_forest(tiny, ax=_ax())
    assert not ax.collections and _texts(ax) == tiny.cox.explanation


def test_plot_cumulative_incidence_draws_each_cause():
    t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5], "event": [True, True, False, True, True],
                      "churn_type": ["voluntary", "involuntary", None, "voluntary", "voluntary"]})
    cr = sv.competing_risks(t)
    ax = svp.plot_cumulative_incidence(cr, ax=_ax())
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"voluntary churn", "involuntary churn"}
    assert mcolors.to_hex(lines["voluntary churn"].get_color()) == CAUSE_COLOURS["voluntary"]
    assert lines["voluntary churn"].get_ydata()[-1] == pytest.approx(
        cr.incidence.query("cause == 'voluntary'")["cumulative_incidence"].iloc[-1] * 100)


def test_plot_cumulative_incidence_says_why_there_are_no_causes(tiny):
    ax = svp.plot_cumulative_incidence(tiny, ax=_ax())
    assert not ax.get_lines() and "inferred from inactivity" in _texts(ax)
    ax = svp.plot_cumulative_incidence(None, ax=_ax())
    assert not ax.get_lines() and _texts(ax)


def test_plot_sensitivity_marks_the_units_threshold(tiny):
    s = pd.DataFrame({"threshold_days": [60, 90, 120, 180], "configured": [False, True, False, False],
                      "survival_at": [0.4, 0.5, 0.6, 0.9], "survival_ci_lower": [0.3, 0.4, 0.5, 0.7],
                      "survival_ci_upper": [0.5, 0.6, 0.7, 0.95], "months": [12.0] * 4,
                      "n_events": [40, 30, 20, 9]})
    ax = svp.plot_sensitivity(s, ax=_ax())
    # 180 days: 9 churn events, fewer than a share needs (MIN_EVENTS = 10): no bar, no interval, a note
    assert [b.get_height() for b in ax.patches] == pytest.approx([40, 50, 60])
    assert "too few churn\nevents (9)" in _texts(ax)
    assert [x.get_text() for x in ax.get_xticklabels()] == ["60 days", "90 days\n(this unit)", "120 days",
                                                            "180 days"]
    assert mcolors.to_hex(ax.patches[1].get_facecolor()) == PALETTE["line"]
    assert figure_problems(ax.figure) == []
    ax = svp.plot_sensitivity(tiny, ax=_ax())  # the tiny shop's own table (inactivity churn)
    assert len(ax.patches) == int((tiny.sensitivity["n_events"] >= 10).sum())
    ax = svp.plot_sensitivity(None, ax=_ax())
    assert not ax.patches and "not applicable" in _texts(ax)


def test_every_plot_uses_the_current_axes_when_none_is_given(tiny):
    for plot in (svp.plot_km, svp.plot_hazard, svp.plot_forest, svp.plot_cumulative_incidence,
                 svp.plot_sensitivity):
        fig = plt.figure()
        assert plot(tiny) is fig.gca()


#: The notebook's charts: part, plot function, figure size (notebooks/survival.py).
NOTEBOOK_CHARTS = (("km", svp.plot_km, (12, 5.5)), ("hazard", svp.plot_hazard, (11, 4)),
                   ("cox", svp.plot_forest, None), ("competing", svp.plot_cumulative_incidence, None),
                   ("sensitivity", svp.plot_sensitivity, None))


@pytest.fixture(scope="module")
def demo_survival(demo_units) -> dict:
    return {u: sv.survival_analysis(d) for u, d in demo_units.items()}


def test_demo_charts_have_no_text_over_text_or_outside_the_figure(demo_survival):
    """Issue 12 item 4: before, every survival chart of the demo had text outside the figure (the
    numbers under the curves, the hazard-ratio labels at the right, a stale '120%' tick) and the legend
    sat in the lower left, over the curves of fast-churning groups."""
    drawn = {}
    for unit, a in demo_survival.items():
        for part, plot, size in NOTEBOOK_CHARTS:
            if not svp.has_chart(a, part):
                continue
            fig, ax = plt.subplots(figsize=size or svp.figure_size(a, part, (11, 4)))
            plot(a, ax=ax)
            assert figure_problems(fig) == [], (unit, part)
            drawn.setdefault(unit, []).append(part)
            plt.close(fig)
    assert drawn["retail"] == ["km", "hazard", "cox", "sensitivity"]
    assert drawn["subscriptions"] == ["km", "hazard", "cox", "competing"]
    # b2b: 8 churn events, fewer than the 10 a lifetime estimate needs: only the thresholds with enough
    assert drawn["b2b"] == ["sensitivity"]


def test_km_legend_sits_outside_the_curves(demo_survival):
    fig, ax = plt.subplots(figsize=(12, 5.5))
    svp.plot_km(demo_survival["retail"], ax=ax)
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 > ax.get_window_extent().x1  # to the right of the plotting area
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    plt.close(fig)
