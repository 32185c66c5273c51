"""Charts of the churn drivers (retention_utils.plots.drivers) on tiny results, empty and not.

Each chart is drawn from a hand-made :class:`~retention_utils.drivers.DriversAnalysis` (frames of
a few rows), from the part holding its table and from the table itself, and the test checks
what is on the Axes (bars, lines, labels, titles); a result without a model draws nothing and closes
a figure left empty (the page says why in a sentence, issue 12).
"""
from __future__ import annotations

import datetime as dt

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils.drivers.result import _EMPTY
from retention_utils.plots import drivers as drvplot
from retention_utils.results import notes_frame

Y = np.array([0, 1] * 10)
P = np.linspace(0.05, 0.95, 20)


def _analysis(*, empty: bool = False) -> drv.DriversAnalysis:
    frames = {k: pd.DataFrame(columns=v) for k, v in _EMPTY.items()}
    if not empty:
        frames["calibration"] = pd.concat([drv.calibration_table(Y, P, n_bins=3).assign(model="logit"),
                                           drv.calibration_table(Y, np.full(20, 0.5), n_bins=2).assign(
                                               model="baseline")], ignore_index=True)
        frames["gains"] = pd.concat([drv.gains_table(Y, P, points=10).assign(model=m) for m in ("baseline", "logit")],
                                    ignore_index=True)
        frames["importance"] = pd.DataFrame({"model": ["logit"] * 3 + ["hgb"], "feature": ["a", "b", "g", "a"],
                                             "label": ["A", "B", "G", "A"], "importance_mean": [0.1, 0.05, 0.01, 0.2],
                                             "importance_std": [0.01] * 4, "rank": [1, 2, 3, 1]})
        X = pd.DataFrame({"a": np.arange(20.0), "g": list("xy") * 10})
        o = drv.LogitChurnModel(numeric=["a"], categorical=["g"]).fit(X, Y).odds_ratios()
        frames["odds_ratios"] = o.assign(label=o["feature"].str.upper())
        frames["partial_dependence"] = pd.DataFrame({
            "feature": ["a"] * 3 + ["g"] * 2, "label": ["A"] * 3 + ["G"] * 2,
            "kind": ["numeric"] * 3 + ["categorical"] * 2, "x": [1.0, 2.0, 3.0, np.nan, np.nan],
            "level": ["", "", "", "x", "y"], "mean_probability": [0.1, 0.2, 0.3, 0.2, 0.4]})
    res = drv.DriversResult(status="too_few_churners" if empty else "ok", design="out_of_time", validation="",
                            notes=(), horizon_days=90, plan=None, best_model="" if empty else "logit", **frames)
    trade = drv.tradeoff_table([] if empty else P, None if empty else P * 10)
    ew = drv.EarlyWarning(pd.DataFrame(), pd.DataFrame(), trade, pd.DataFrame(), pd.DataFrame(),
                          dt.date(2026, 1, 1), 90, "logit", "EUR")
    loop = drv.ClosedLoop("none", None, None, 0, 90, pd.DataFrame())
    return drv.DriversAnalysis(res, ew, loop, notes_frame(), currency="EUR", horizon_days=90)


@pytest.fixture
def ax():
    return plt.subplots()[1]


def _note_text(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def _closed(ax) -> bool:
    """Nothing drawn and the empty figure closed (no empty picture reaches the page)."""
    return not ax.axison and not ax.texts and ax.figure.number not in plt.get_fignums()


def test_importance(ax):
    a = _analysis()
    assert drvplot.plot_importance(a, ax=ax) is ax
    assert len(ax.patches) == 3 and ax.get_title(loc="left") == "What drives churn: Logistic regression"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["G", "B", "A"]  # strongest at the top
    ax2 = plt.subplots()[1]
    drvplot.plot_importance(a.drivers.importance, model="hgb", ax=ax2)
    assert len(ax2.patches) == 1 and "Gradient boosting" in ax2.get_title(loc="left")
    assert _closed(drvplot.plot_importance(_analysis(empty=True), ax=plt.subplots()[1]))


def test_odds_ratios(ax):
    a = _analysis()
    drvplot.plot_odds_ratios(a.drivers, ax=ax)
    assert len(ax.get_yticklabels()) == len(a.drivers.odds_ratios) == 2 and ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("odds of leaving multiply by")
    assert "SD" not in " ".join(t.get_text() for t in ax.get_yticklabels())  # plain words (issue 12)
    assert _closed(drvplot.plot_odds_ratios(_analysis(empty=True), ax=plt.subplots()[1]))


def test_partial_dependence(ax):
    a = _analysis()
    drvplot.plot_partial_dependence(a, ax=ax)  # the top driver: numeric, one line of three points
    assert len(ax.get_lines()) == 1 and len(ax.get_lines()[0].get_xdata()) == 3 and ax.get_xlabel() == "A"
    ax2 = drvplot.plot_partial_dependence(a.drivers.partial_dependence, feature="g", ylabel=False,
                                          ax=plt.subplots()[1])
    assert len(ax2.patches) == 2 and ax2.get_ylabel() == ""
    fig, axes = plt.subplots(1, 3)
    used = drvplot.plot_partial_dependence_panels(a, axes=axes)
    assert len(used) == 3 and axes[0].get_ylabel() == "predicted chance\nof leaving (%)" and not axes[2].axison
    assert axes[0].get_ylim() == axes[1].get_ylim()  # one shared scale
    fig, axes = plt.subplots(1, 2)
    drvplot.plot_partial_dependence_panels(_analysis(empty=True), axes=axes)
    assert _closed(axes[0]) and not axes[1].axison


def test_calibration(ax):
    a = _analysis()
    assert drvplot.plot_calibration(a, ax=ax) is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["Baseline rule", "Logistic regression", "perfect calibration"]
    assert ax.get_ylabel() == "share who left (%)"
    assert _closed(drvplot.plot_calibration(_analysis(empty=True), ax=plt.subplots()[1]))


def test_plot_calibration_draws_on_a_tiny_result():
    """Issue 9: 0 of 7 and 7 of 7 in a bin raised "'yerr' must not contain negative values"."""
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(7, int), np.ones(7, int)]
    parts = [drv.calibration_table(y, np.arange(14) / 14, n_bins=2).assign(model="logit"),
             drv.calibration_table(y, rng.uniform(size=14), n_bins=3).assign(model="hgb"),
             drv.calibration_table(y, np.full(14, 0.5), n_bins=2).assign(model="baseline")]
    cal = pd.concat(parts, ignore_index=True)
    fig, ax = plt.subplots()
    assert drvplot.plot_calibration(cal, ax=ax) is ax  # raised "'yerr' must not contain negative values"
    assert ax.get_ylabel() == "share who left (%)"


def test_gains(ax):
    drvplot.plot_gains(_analysis().drivers.gains, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Baseline rule", "Logistic regression", "random order"]
    assert ax.get_xlim() == (0, 100) and ax.get_xlabel() == "customers contacted, riskiest first (%)"
    assert _closed(drvplot.plot_gains(_analysis(empty=True), ax=plt.subplots()[1]))


def test_tradeoff(ax):
    a = _analysis()
    drvplot.plot_tradeoff(a, ax=ax)
    flagged = a.warning.tradeoff[a.warning.tradeoff["n_flagged"] > 0]
    assert len(ax.get_lines()) == 2 and 0 < len(ax.texts) <= len(flagged)  # labels that do not collide
    assert ax.get_xlabel().startswith("customers flagged") and ax.get_title(loc="left") == "Targeting trade-off"
    ax2 = drvplot.plot_tradeoff(a.warning.tradeoff, ax=plt.subplots()[1])
    assert len(ax2.get_lines()) == 2
    assert _closed(drvplot.plot_tradeoff(_analysis(empty=True), ax=plt.subplots()[1]))


def test_long_category_names_stay_under_their_own_bar():
    """Free-text levels from a CRM (here: planted script text) neither run into each other nor off the panel."""
    import pandas as pd

    from retention_utils.plots import drivers as drvplot
    from retention_utils.plots.check import figure_problems

    levels = ["<img src=y onerror=window.__xss=2>", '"><script>window.__xss=2</script>', "referral", "web"]
    pdp = pd.DataFrame({"feature": ["channel"] * 4 + ["x"] * 3, "kind": ["categorical"] * 4 + ["numeric"] * 3,
                        "level": levels + [None] * 3, "x": [None] * 4 + [1, 2, 3],
                        "mean_probability": [.3, .35, .4, .2, .3, .32, .34], "label": ["channel"] * 4 + ["days"] * 3})
    fig, axes = plt.subplots(1, 4, figsize=(16, 4), layout="constrained")
    drvplot.plot_partial_dependence_panels(pdp, axes=axes)
    assert figure_problems(fig) == []
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["<img src=y on…", '"><script>win…', "referral", "web"]


def test_odds_ratio_colour_says_whether_the_interval_is_clear_of_one(ax):
    """Red: the whole interval above 1; green: below 1; grey: it crosses 1 (even when the point is far from 1)."""
    table = pd.DataFrame({"kind": ["numeric"] * 4, "label": ["up", "down", "unclear up", "unclear down"],
                          "level": None, "reference": None, "sd": 1.0,
                          "odds_ratio": [2.0, 0.5, 1.8, 0.6], "ci_lower": [1.2, 0.3, 0.9, 0.2],
                          "ci_upper": [3.0, 0.8, 3.5, 1.4]})
    drvplot.plot_odds_ratios(table, ax=ax)
    labels = [t.get_text().split(" (")[0] for t in ax.get_yticklabels()]
    colours = dict(zip(labels, (tuple(c) for c in ax.collections[-1].get_facecolors()[:, :3])))
    grey = tuple(mcolors.to_rgb("0.6"))
    assert colours["up"] == mcolors.to_rgb("#e76f51") and colours["down"] == mcolors.to_rgb("#2a9d8f")
    assert colours["unclear up"] == grey and colours["unclear down"] == grey
    ticks = [float(t) for t in ax.get_xticks()]
    assert 1.0 in ticks and all(b / a >= 1.4 for a, b in zip(ticks, ticks[1:]))  # no two labels run together
