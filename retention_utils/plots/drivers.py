"""Charts of the churn-drivers and early-warning results.

Every function takes the :class:`~retention_utils.drivers.DriversAnalysis`, the part holding
its table (:class:`~retention_utils.drivers.DriversResult`, :class:`~retention_utils.drivers.EarlyWarning`)
or the tidy table itself, and ``ax=None``, and returns the Axes (:func:`plot_partial_dependence_panels`
draws several and returns them). Nothing here creates, shows or saves figures; an empty table (a
unit with too few churners) draws a one-line note instead of failing.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .base import MODEL_COLORS, MODEL_LABELS, get_ax, note, percent_axis

__all__ = ["plot_importance", "plot_odds_ratios", "plot_partial_dependence", "plot_partial_dependence_panels",
           "plot_calibration", "plot_gains", "plot_tradeoff"]

NO_MODEL = "No churn model for this unit (see the note above)."

#: The fewest percentage points the partial-dependence scale spans (a 1-point effect must look small).
MIN_SPAN_PP: float = 20.0


def _nice_top(ax: Axes, vmax: float, *, axis: str = "x", bottom: float = 0.0) -> None:
    """Set an axis from ``bottom`` to the first tick at or above ``vmax``: no tick label is left outside the view
    (matplotlib keeps such labels with stale positions, and the figure check reads them)."""
    vmax = vmax if vmax > bottom else bottom + 1
    ticks = mticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(bottom, vmax)
    top = float(ticks[ticks >= vmax - 1e-12][0]) if (ticks >= vmax - 1e-12).any() else vmax
    (ax.set_xlim if axis == "x" else ax.set_ylim)(bottom, top)
    (ax.set_xticks if axis == "x" else ax.set_yticks)([t for t in ticks if bottom <= t <= top])


def _ticks_inside(ax: Axes, *, x: bool = True, y: bool = True) -> None:
    """Fix the ticks to those inside the current view (no stale tick label outside it; the limits stay)."""
    for on, axis, lim, setter in ((x, ax.xaxis, ax.get_xlim(), ax.set_xticks), (y, ax.yaxis, ax.get_ylim(), ax.set_yticks)):
        if not on or axis.get_scale() != "linear":
            continue
        lo, hi = sorted(lim)
        ticks = [t for t in axis.get_major_locator().tick_values(lo, hi) if lo - 1e-9 <= t <= hi + 1e-9]
        setter(ticks)
        (ax.set_xlim if axis is ax.xaxis else ax.set_ylim)(*lim)


def _nothing(ax: Axes) -> Axes:
    """Nothing to draw (the page says why in a sentence): the Axes is hidden, and a figure left with nothing
    drawn at all is closed, so that no empty picture reaches the page."""
    ax.set_axis_off()
    fig = ax.figure
    drawn = any(a.axison or a.lines or a.patches or a.collections or a.texts or a.images for a in fig.axes)
    if not drawn:
        plt.close(fig)
    return ax


def _frame(obj: Any, name: str, part: str = "drivers") -> pd.DataFrame:
    """``obj`` when it is a table, else its ``name`` table (from ``obj.drivers`` / ``obj.warning`` of an analysis)."""
    if isinstance(obj, pd.DataFrame):
        return obj
    return getattr(getattr(obj, part, obj), name)


def plot_importance(result_or_table: Any, *, model: str | None = None, top: int = 10,
                    ax: Axes | None = None) -> Axes:
    """Permutation importance of the top features: mean drop in ROC AUC, bars ± one standard deviation.

    Parameters
    ----------
    result_or_table : DriversAnalysis, DriversResult or DataFrame
        The result or its ``importance`` table.
    model : str, optional
        Which model's importance; default the result's best model (the first in a bare table).
    top : int
        Bars shown.
    ax : Axes, optional
    """
    ax = get_ax(ax)
    importance = _frame(result_or_table, "importance")
    if importance.empty:
        return _nothing(ax)
    best = getattr(getattr(result_or_table, "drivers", result_or_table), "best_model", "")
    model = model or best or importance["model"].iloc[0]
    d = importance[importance["model"] == model].sort_values("rank").head(top).iloc[::-1]
    ax.barh(d["label"], d["importance_mean"], xerr=d["importance_std"], color=MODEL_COLORS.get(model, "#264653"),
            alpha=0.85, error_kw={"ecolor": "0.3", "capsize": 3})
    ax.axvline(0, color="0.3", linewidth=0.8)
    _nice_top(ax, float(np.nanmax((d["importance_mean"] + d["importance_std"].fillna(0)).to_numpy(dtype=float))),
              bottom=min(0.0, float(np.nanmin((d["importance_mean"] - d["importance_std"].fillna(0)).to_numpy()))))
    ax.set_xlabel("drop in ranking accuracy when the factor is shuffled (test customers)")
    ax.set_title(f"What drives churn: {MODEL_LABELS.get(model, model)}", loc="left")
    return ax


def _term_label(row: Any, width: int = 60) -> str:
    if row.kind == "level":
        text = f"{row.label}: {row.level} (vs {row.reference})"
    else:
        text = f"{row.label} (step {row.sd:,.3g})"
    return textwrap.fill(text, width)


def plot_odds_ratios(result_or_table: Any, *, top: int = 12, ax: Axes | None = None) -> Axes:
    """Odds ratios with 95% intervals (log scale) of the logistic regression, strongest first.

    Numeric features are per standard deviation, levels against the reference level; right of 1
    raises the odds of churning. ``result_or_table``: the result or its ``odds_ratios`` table.
    """
    ax = get_ax(ax)
    odds_ratios = _frame(result_or_table, "odds_ratios")
    if odds_ratios.empty:
        return _nothing(ax)
    d = odds_ratios.assign(strength=np.abs(np.log(odds_ratios["odds_ratio"])))
    d = d.sort_values("strength", ascending=False).head(top).iloc[::-1]
    y = np.arange(len(d))
    # coloured only where the 95% interval is clear of 1 (red raises, green lowers the odds), grey otherwise:
    # the survival page's hazard-ratio convention, so a direction is never shown for an unclear effect
    colors = np.where(d["ci_lower"] > 1, "#e76f51", np.where(d["ci_upper"] < 1, "#2a9d8f", "0.6"))
    lo = (d["odds_ratio"] - d["ci_lower"]).fillna(0).clip(lower=0)
    hi = (d["ci_upper"] - d["odds_ratio"]).fillna(0).clip(lower=0)
    ax.errorbar(d["odds_ratio"], y, xerr=[lo, hi], fmt="none", ecolor="0.4", capsize=3)
    ax.scatter(d["odds_ratio"], y, c=colors, zorder=3, s=40)
    ax.set_yticks(y, [_term_label(r) for r in d.itertuples()])
    ax.axvline(1, color="0.3", linewidth=0.8)
    ax.set_xscale("log")
    lo_x = float(np.nanmin(np.r_[d["ci_lower"].to_numpy(dtype=float), d["odds_ratio"].to_numpy(dtype=float)]))
    hi_x = float(np.nanmax(np.r_[d["ci_upper"].to_numpy(dtype=float), d["odds_ratio"].to_numpy(dtype=float)]))
    ax.xaxis.set_major_locator(mticker.FixedLocator(_log_ticks(lo_x, hi_x)))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_xlabel("odds of leaving multiply by (log scale; > 1 raises the risk;\nstep: one standard deviation)")
    ax.set_title("How each factor changes the odds of leaving", loc="left")
    return ax


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Round ticks for a log axis from ``lo`` to ``hi``, 1 always, none closer than a seventh of the span
    (0.5 and 0.7 on a 0.05-20 axis would print as one label).

    Examples
    --------
    >>> _log_ticks(0.8, 1.6)
    [0.7, 1, 1.5, 2]
    >>> _log_ticks(0.04, 18)
    [0.1, 0.3, 1, 3, 10]
    """
    cands = [t for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20) if lo / 1.3 <= t <= hi * 1.3] or [1]
    gap = (np.log(max(cands)) - np.log(min(cands))) / 7
    kept: list[float] = [1] if 1 in cands else []
    for t in sorted(cands, key=lambda t: (t != 1, abs(np.log(t)))):  # outwards from 1
        if all(abs(np.log(t) - np.log(k)) >= gap for k in kept):
            kept.append(t)
    return sorted(kept)


def _pdp_limits(values: Any) -> tuple[float, float]:
    """The y range (in %) of partial-dependence panels: the values' range, widened to :data:`MIN_SPAN_PP` points.

    Examples
    --------
    >>> _pdp_limits([0.396, 0.406])
    (30.1, 50.1)
    >>> _pdp_limits([0.02, 0.05])
    (0.0, 20.0)
    >>> _pdp_limits([0.17, 0.80])
    (13.85, 83.15)
    """
    v = np.asarray(values, dtype=float) * 100
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    pad = max((MIN_SPAN_PP - (hi - lo)) / 2, 0.05 * (hi - lo))
    lo, hi = lo - pad, hi + pad
    if lo < 0:
        lo, hi = 0.0, hi - lo
    if hi > 100:
        lo, hi = max(0.0, lo - (hi - 100)), 100.0
    return round(lo, 2), round(hi, 2)


def _short(text: str, width: int = 14) -> str:
    """``text`` cut to ``width`` characters with an ellipsis.

    Examples
    --------
    >>> _short("paid_search"), _short("a very long channel name from the CRM")
    ('paid_search', 'a very long c…')
    """
    return text if len(text) <= width else text[: width - 1] + "…"


def _effect_title(d: pd.DataFrame) -> str:
    """The size of a driver's effect: ``from 18% to 80%`` (first and last value), or the range across levels."""
    p = d["mean_probability"].to_numpy(dtype=float) * 100
    if d["kind"].iloc[0] == "categorical":
        return f"{p.min():.0f}% to {p.max():.0f}% ({p.max() - p.min():.0f} pts)"
    diff = p[-1] - p[0]
    size = (f"{abs(diff):.0f} pt" + ("" if round(abs(diff)) == 1 else "s")) if abs(diff) >= 1 else "under 1 pt"
    return f"{p[0]:.0f}% → {p[-1]:.0f}% ({size})"


def plot_partial_dependence(result_or_table: Any, *, feature: str | None = None, ylabel: bool = True,
                            ylim: tuple[float, float] | None = None, ax: Axes | None = None) -> Axes:
    """Partial dependence of one driver (default the top one): the average predicted churn probability.

    The y value is the mean predicted probability when every customer's value of the feature is
    set to the value on the x axis (bars per level for a categorical feature). The y axis spans at least
    :data:`MIN_SPAN_PP` percentage points (``ylim`` sets it, in %), so that a 1-point effect looks flat,
    and the title states the size of the effect.
    ``result_or_table``: the result or its ``partial_dependence`` table.
    """
    ax = get_ax(ax)
    pdp = _frame(result_or_table, "partial_dependence")
    if pdp.empty:
        return _nothing(ax)
    feature = feature or pdp["feature"].iloc[0]
    d = pdp[pdp["feature"] == feature]
    if d.empty:
        return note(ax, f"No partial dependence of {feature!r}.")
    if d["kind"].iloc[0] == "categorical":
        ax.bar(range(len(d)), d["mean_probability"] * 100, color="#264653", alpha=0.85)
        # level names can be long (free text from the CRM): shortened, so they stay under their own bar
        labels = [_short(v) for v in d["level"].astype(str)]
        upright = len(d) > 3 or max(map(len, labels)) > 8  # side by side they would run into each other
        ax.set_xticks(range(len(d)), labels, rotation=90 if upright else 0)
    else:
        ax.plot(d["x"], d["mean_probability"] * 100, marker="o", markersize=3, color="#264653")
    ax.set_xlabel(textwrap.fill(str(d["label"].iloc[0]), 24))
    ax.set_ylabel("predicted chance\nof leaving (%)" if ylabel else "")
    ax.set_ylim(*(ylim or _pdp_limits(d["mean_probability"])))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.yaxis.set_major_locator(mticker.MaxNLocator(5))
    _ticks_inside(ax, x=d["kind"].iloc[0] != "categorical")
    ax.set_title(_effect_title(d), loc="left", fontsize=10)
    return ax


def plot_partial_dependence_panels(result_or_table: Any, *, axes: Sequence[Axes] | np.ndarray | None = None,
                                   ) -> list[Axes]:
    """:func:`plot_partial_dependence` of each top driver, one panel each, in table order, on one shared scale.

    The one multi-panel chart of the kit: ``axes`` is a sequence of Axes (one per panel; extra
    panels are hidden; default the current Axes). Returns the Axes used.
    """
    axes = list(np.ravel(axes)) if axes is not None else [plt.gca()]
    pdp = _frame(result_or_table, "partial_dependence")
    feats = list(dict.fromkeys(pdp["feature"])) if not pdp.empty else []
    if not feats:
        for ax in axes:
            _nothing(ax)
        return axes
    ylim = _pdp_limits(pdp["mean_probability"])
    for i, (ax, f) in enumerate(zip(axes, feats)):
        plot_partial_dependence(pdp, feature=f, ylabel=i == 0, ylim=ylim, ax=ax)
        if i:
            ax.tick_params(axis="y", labelleft=False)
    for ax in axes[len(feats):]:
        ax.set_axis_off()
    return axes


def plot_calibration(result_or_table: Any, *, ax: Axes | None = None) -> Axes:
    """Predicted against observed churn rate by decile of predicted probability, per model.

    Points on the diagonal are well calibrated; bars are the 95% intervals of the observed rates
    (logistic and boosting models). ``result_or_table``: the result or its ``calibration`` table.
    """
    ax = get_ax(ax)
    calibration = _frame(result_or_table, "calibration")
    if calibration.empty:
        return _nothing(ax)
    top = 0.0
    for model, d in calibration.groupby("model", sort=False):
        c = MODEL_COLORS.get(model, "0.3")
        x, yv = d["mean_predicted"] * 100, d["observed_rate"] * 100
        if model != "baseline":
            ax.errorbar(x, yv, yerr=[yv - d["ci_lower"] * 100, d["ci_upper"] * 100 - yv], fmt="o-", color=c,
                        capsize=2, label=MODEL_LABELS.get(model, model), alpha=0.9)
        else:
            ax.plot(x, yv, "s--", color=c, label=MODEL_LABELS.get(model, model), alpha=0.8)
        top = max(top, float(np.nanmax([x.max(), d["ci_upper"].max() * 100])))
    top = min(100.0, top * 1.05 + 1)
    ax.plot([0, top], [0, top], color="0.5", linewidth=0.8, linestyle=":", label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    percent_axis(ax, axis="x", xmax=100)
    percent_axis(ax, axis="y", xmax=100)
    ax.set_xlabel("predicted chance of leaving (tenth of the test customers, %)")
    ax.set_ylabel("share who left (%)")
    _ticks_inside(ax)
    ax.set_title("Predicted vs actual leaving", loc="left")
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=9)
    return ax


def plot_gains(result_or_table: Any, *, ax: Axes | None = None) -> Axes:
    """Cumulative gains: share of churners reached when contacting the riskiest share of customers.

    ``result_or_table``: the result or its ``gains`` table.
    """
    ax = get_ax(ax)
    gains = _frame(result_or_table, "gains")
    if gains.empty:
        return _nothing(ax)
    for model, d in gains.groupby("model", sort=False):
        ax.plot(d["share_targeted"] * 100, d["share_captured"] * 100, color=MODEL_COLORS.get(model, "0.3"),
                label=MODEL_LABELS.get(model, model), linestyle="--" if model == "baseline" else "-")
    ax.plot([0, 100], [0, 100], color="0.5", linewidth=0.8, linestyle=":", label="random order")
    for share in (10, 20):
        ax.axvline(share, color="0.85", linewidth=0.8, zorder=0)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    percent_axis(ax, axis="x", xmax=100)
    percent_axis(ax, axis="y", xmax=100)
    ax.set_xlabel("customers contacted, riskiest first (%)")
    ax.set_ylabel("leavers among them (% of all leavers)")
    _ticks_inside(ax)
    ax.set_title("Leavers reached, riskiest first", loc="left")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    return ax


def plot_tradeoff(result_or_table: Any, *, ax: Axes | None = None) -> Axes:
    """Expected churners caught and expected false alarms against the customers flagged, per probability cut-off.

    ``result_or_table``: the analysis, its :class:`~retention_utils.drivers.EarlyWarning` or the ``tradeoff`` table.
    """
    ax = get_ax(ax)
    d = getattr(result_or_table, "drivers", None)
    if d is not None and (not d.ok or d.weak_ranking):  # the page says why in a sentence
        return _nothing(ax)
    tradeoff = _frame(result_or_table, "tradeoff", part="warning")
    d = tradeoff[tradeoff["n_flagged"] > 0] if not tradeoff.empty else tradeoff
    if d.empty:
        return _nothing(ax)
    d = d.sort_values("n_flagged")
    ax.plot(d["n_flagged"], d["expected_churners"], marker="o", color="#e76f51", label="expected leavers flagged")
    ax.plot(d["n_flagged"], d["expected_false_alarms"], marker="o", color="#9e9e9e",
            label="expected to stay anyway")
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    _nice_top(ax, float(d["n_flagged"].max()) * 1.05)
    top = float(max(d["expected_churners"].max(), d["expected_false_alarms"].max()))
    _nice_top(ax, top * 1.15, axis="y")
    _label_cutoffs(ax, d)
    ax.set_xlabel("customers flagged (chance of leaving at or above the cut-off shown)")
    ax.set_ylabel("customers")
    ax.set_title("Targeting trade-off", loc="left")
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    return ax


def _label_cutoffs(ax: Axes, d: pd.DataFrame, *, min_gap: float = 0.07) -> None:
    """Label the cut-off of each point, skipping labels closer than ``min_gap`` (axes fraction) to one placed.

    Several cut-offs often flag the same customers (a stepwise rule): their points coincide, and only the
    highest cut-off of such a group is labelled, so that no label is printed over another.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    placed: list[tuple[float, float]] = []
    for r in d.sort_values("threshold", ascending=False).itertuples():
        fx, fy = (r.n_flagged - x0) / (x1 - x0), (r.expected_churners - y0) / (y1 - y0)
        if any(abs(fx - px) < min_gap and abs(fy - py) < 0.08 for px, py in placed):
            continue
        placed.append((fx, fy))
        ax.annotate(f"≥{r.threshold:.0%}", (r.n_flagged, r.expected_churners), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8, color="0.3")
