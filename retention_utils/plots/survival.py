"""Charts of the survival analysis: curves, risk by month of life, hazard ratios, causes, sensitivity.

Every function takes the :class:`~retention_utils.survival.SurvivalAnalysis` or the part it
draws (``plot_km(analysis)`` equals ``plot_km(analysis.km)``) and ``ax=None``, and returns the
Axes. Time axes are in months since the start of the customer life; shares are in percent.

A result with nothing to draw (a Cox model with too few events, a unit without recorded
cancellations) gets an empty panel that says why (:func:`retention_utils.plots.base.no_data`),
never a blank chart.
"""
from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..survival import (
    MIN_EVENTS,
    CompetingRisks,
    CoxResult,
    KaplanMeier,
    SurvivalAnalysis,
    term_label,
)
from .base import CAUSE_COLOURS, PALETTE, colours, get_ax, no_data

__all__ = ["LABELS", "figure_size", "has_chart", "plot_km", "plot_hazard", "plot_forest", "plot_cumulative_incidence",
           "plot_sensitivity"]

#: Axis labels (with units) of the main columns of the survival tables.
LABELS: dict[str, str] = {
    "duration_months": "months since the start of the customer life",
    "tenure_month": "month of the customer life (1 = first month)",
    "survival": "still customers (%)",
    "hazard": "churned in the month\n(% of those active at its start)",
    "hazard_ratio": "times as fast as the comparison group (log scale; below 1: they stay longer)",
    "cumulative_incidence": "customers churned by this cause (%)",
}

#: Bars of the risk peak and of the other months (one group).
_PEAK, _BAR = PALETTE["churned"], PALETTE["active"]
#: Forest plot: significantly faster churn, significantly slower, no clear effect.
_FASTER, _SLOWER, _UNCLEAR = "#c0392b", "#1b7f3b", "0.55"
#: Sensitivity bars: the unit's own threshold and the others.
_OWN, _OTHER = PALETTE["line"], "#8ab17d"


def _part(x: Any, attr: str) -> Any:
    """The part ``attr`` of an analysis, or ``x`` itself when it is already that part."""
    return getattr(x, attr) if isinstance(x, SurvivalAnalysis) else x


def _tidy(ax: Axes) -> Axes:
    """Make the figure fit its text: constrained layout (labels outside the axes stay inside the figure),
    and only the ticks inside the axis limits (matplotlib keeps the label of a tick beyond them, e.g. a
    "120%" above a 0-100% axis, which the figure check counts as text outside the figure)."""
    fig = ax.figure
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")
    for axis, (lo, hi) in ((ax.yaxis, ax.get_ylim()), (ax.xaxis, ax.get_xlim())):
        if axis.get_scale() != "linear" or isinstance(axis.get_major_locator(), mticker.NullLocator):
            continue
        lo, hi = min(lo, hi), max(lo, hi)
        eps = (hi - lo) * 1e-9
        ticks = [t for t in axis.get_ticklocs() if lo - eps <= t <= hi + eps]
        axis.set_major_locator(mticker.FixedLocator(ticks))
    return ax


def _outside_legend(ax: Axes, **kw: Any) -> None:
    """The legend to the right of the axes, never over the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0, **kw)


def has_chart(analysis: SurvivalAnalysis, part: str) -> bool:
    """Whether the chart of ``part`` (``km``, ``hazard``, ``cox``, ``competing``, ``sensitivity``) has
    something to draw under the small-sample rule; the page shows the section's sentence instead when not."""
    if part in ("km", "hazard") and analysis.lifetimes_shortfall():
        return False
    if part == "km":
        return bool(len(analysis.km.medians))
    if part == "hazard":
        return bool(len(analysis.hazard)) and bool(analysis.hazard["reliable"].any())
    if part == "cox":
        return bool(len(analysis.cox.hazard_ratios))
    if part == "competing":
        return analysis.competing is not None and bool(len(analysis.competing.incidence)) \
            and not analysis.lifetimes_shortfall()
    if part == "sensitivity":
        s = analysis.sensitivity
        return s is not None and bool((s["n_events"] >= MIN_EVENTS).any())
    raise ValueError(f"has_chart: unknown part {part!r}; one of km, hazard, cox, competing, sensitivity")


def plot_km(km: KaplanMeier | SurvivalAnalysis, *, ax: Axes | None = None, bands: bool = True,
            at_risk: bool = True, title: str | None = None) -> Axes:
    """Kaplan-Meier curves (percent still active) with 95% bands and the number-at-risk table.

    Parameters
    ----------
    km : KaplanMeier or SurvivalAnalysis
        Output of :func:`retention_utils.survival.kaplan_meier`, or the analysis (its ``km``:
        the curves by ``survival.group_by``).
    ax : Axes, optional
    bands : bool
        Draw the 95% interval bands.
    at_risk : bool
        Write the number of customers still followed (``km.at_risk``) under
        the x axis, one row per group, aligned with the ticks.
    title : str, optional

    Returns
    -------
    Axes
    """
    km = _part(km, "km")
    ax = get_ax(ax)
    title = title or "Share of customers who are still customers, by months since their start"
    if not len(km.medians) or int(km.medians["n_customers"].sum()) == 0:
        return no_data(ax, "no customer lifetimes to draw yet", title)
    groups = km.groups
    cols = colours(len(groups))
    med = km.medians.set_index("group")
    for g, c in zip(groups, cols):
        cv = km.curve[km.curve["group"] == g]
        label = f"{g} ({med.loc[g, 'n_customers']:,} customers)"
        ax.step(cv["duration_months"], cv["survival"] * 100, where="post", color=c, lw=2, label=label)
        if bands:
            ax.fill_between(cv["duration_months"], cv["ci_lower"] * 100, cv["ci_upper"] * 100, step="post",
                            color=c, alpha=0.15, lw=0)
    ax.axhline(50, color="0.5", lw=0.8, ls="--")
    ax.annotate("half of the customers", xy=(1, 50), xycoords=("axes fraction", "data"), xytext=(-4, 3),
                textcoords="offset points", ha="right", va="bottom", fontsize=8, color="0.4")
    ax.set_ylim(0, 102)
    ax.set_yticks(range(0, 101, 20))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_ylabel(LABELS["survival"])
    ax.set_xlabel(LABELS["duration_months"])
    grid = np.sort(km.at_risk["duration_months"].unique()) if len(km.at_risk) else np.array([0.0])
    xmax = float(km.curve["duration_months"].max()) if len(km.curve) else 1.0
    ax.set_xlim(0, max(xmax, 1e-9) * 1.02)
    ax.set_xticks(grid)
    ax.xaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
    ax.set_title(title, loc="left")
    _outside_legend(ax, fontsize=9)
    if at_risk and len(km.at_risk):
        top = -44
        ax.annotate("Customers still followed", xy=(0, 0), xycoords="axes fraction", xytext=(-24, top),
                    textcoords="offset points", ha="right", va="top", fontsize=8, fontweight="bold", color="0.3")
        for i, (g, c) in enumerate(zip(groups, cols)):
            y = top - 13 * (i + 1)
            ax.annotate(str(g)[:24], xy=(0, 0), xycoords="axes fraction", xytext=(-24, y), textcoords="offset points",
                        ha="right", va="top", fontsize=8, color=c)
            rows = km.at_risk[km.at_risk["group"] == g]
            for r in rows.itertuples():
                ax.annotate(f"{r.n_at_risk:,}", xy=(r.duration_months, 0), xycoords=("data", "axes fraction"),
                            xytext=(0, y), textcoords="offset points", ha="center", va="top", fontsize=8, color=c)
    return _tidy(ax)


def plot_hazard(hazard: pd.DataFrame | SurvivalAnalysis, *, ax: Axes | None = None, max_months: int | None = None,
                title: str | None = None) -> Axes:
    """Churn risk per month of the customer life (life table), with 95% intervals.

    Months flagged unreliable (too few customers at risk) are not drawn; a
    note under the chart says how many. One group: bars, the peak highlighted;
    several: a line per group.

    Parameters
    ----------
    hazard : DataFrame or SurvivalAnalysis
        Output of :func:`retention_utils.survival.hazard_by_tenure`, or the analysis (its ``hazard``).
    ax : Axes, optional
    max_months : int, optional
        Last month shown.
    title : str, optional

    Returns
    -------
    Axes
        An empty panel saying why when ``hazard`` is empty (too few events).
    """
    hazard = _part(hazard, "hazard")
    ax = get_ax(ax)
    title = title or "When churn risk peaks: churn by month of the customer life"
    if not len(hazard):
        return no_data(ax, "too few churn events to show how the risk changes over the customer life", title)
    h = hazard if max_months is None else hazard[hazard["tenure_month"] <= max_months]
    ok = h[h["reliable"]]
    groups = list(dict.fromkeys(h["group"]))
    if len(groups) <= 1 and len(ok):
        peak = ok["hazard"].idxmax()
        bar_colours = [_PEAK if i == peak else _BAR for i in ok.index]
        err = np.vstack([(ok["hazard"] - ok["ci_lower"]).clip(lower=0), (ok["ci_upper"] - ok["hazard"]).clip(lower=0)])
        ax.bar(ok["tenure_month"], ok["hazard"] * 100, color=bar_colours, width=0.8, yerr=err * 100,
               error_kw={"elinewidth": 0.8, "ecolor": "0.4", "capsize": 0})
    else:
        for g, c in zip(groups, colours(len(groups))):
            d = ok[ok["group"] == g]
            ax.plot(d["tenure_month"], d["hazard"] * 100, marker="o", ms=3, color=c, label=str(g))
            ax.fill_between(d["tenure_month"], d["ci_lower"] * 100, d["ci_upper"] * 100, color=c, alpha=0.15, lw=0)
        if groups:
            _outside_legend(ax, fontsize=9)
    dropped = int((~h["reliable"]).sum())
    ax.set_xlabel(LABELS["tenure_month"] + (f"\n{dropped} later month(s) with too few customers left are not drawn"
                                            if dropped else ""))
    ax.set_ylabel(LABELS["hazard"])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=12))
    ax.set_ylim(bottom=0)
    ax.set_title(title, loc="left")
    return _tidy(ax)


def plot_forest(cox: CoxResult | SurvivalAnalysis, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Forest plot of the Cox hazard ratios with 95% intervals (log scale).

    Red: significantly faster churn; green: significantly slower; grey: no
    clear effect (interval includes 1). The ratio and interval are written at
    the right.

    Parameters
    ----------
    cox : CoxResult or SurvivalAnalysis
        Output of :func:`retention_utils.survival.cox_hazard_ratios`, or the analysis (its ``cox``).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
        An empty panel saying why (the model's ``explanation``) when there are no hazard ratios.
    """
    cox = _part(cox, "cox")
    ax = get_ax(ax)
    title = title or "What changes how fast customers leave"
    hr = cox.hazard_ratios
    if not len(hr):
        return no_data(ax, cox.explanation or "no hazard ratios", title)
    hr = hr.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(hr))
    colour = np.where(hr["ci_lower"] > 1, _FASTER, np.where(hr["ci_upper"] < 1, _SLOWER, _UNCLEAR))
    ax.hlines(y, hr["ci_lower"], hr["ci_upper"], color=colour, lw=2)
    ax.scatter(hr["hazard_ratio"], y, color=colour, zorder=3, s=36)
    ax.axvline(1, color="0.3", lw=0.8)
    ax.set_xscale("log")
    lo = min(float(hr["ci_lower"].min()), 0.5)
    hi = max(float(hr["ci_upper"].max()), 2.0)
    ax.set_xlim(lo / 1.15, hi * 1.15)
    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10) if lo / 1.15 <= t <= hi * 1.15]
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_yticks(y)
    days = int(cox.fit["landmark_days"].iloc[0]) if len(cox.fit) else 0
    ax.set_yticklabels([textwrap.fill(term_label(r, days), 42) for r in hr.itertuples()])
    for yi, r in zip(y, hr.itertuples()):
        ax.annotate(f"{r.hazard_ratio:.2f} ({r.ci_lower:.2f}–{r.ci_upper:.2f})", xy=(1, yi),
                    xycoords=("axes fraction", "data"), xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize=9)
    ax.set_xlabel(LABELS["hazard_ratio"])
    ax.set_ylim(-0.7, len(hr) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")
    return _tidy(ax)


def _no_causes(x: Any) -> str:
    """Why a unit has no cumulative incidence by cause."""
    method = getattr(x, "method", None)
    if method == "inactivity":
        return "not applicable: churn is inferred from inactivity, so there are no recorded causes"
    if method in ("explicit", "snapshot"):
        return "no churn types are recorded, so voluntary and involuntary churn cannot be told apart"
    return "no churn by cause to draw"


def plot_cumulative_incidence(cr: CompetingRisks | SurvivalAnalysis | None, *, ax: Axes | None = None,
                              title: str | None = None) -> Axes:
    """Cumulative incidence of churn by cause (voluntary vs involuntary) with 95% bands.

    Parameters
    ----------
    cr : CompetingRisks, SurvivalAnalysis or None
        Output of :func:`retention_utils.survival.competing_risks`, or the analysis (its
        ``competing``, None for units without recorded cancellations).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
        An empty panel saying why when there is no churn by cause.
    """
    part = _part(cr, "competing")
    ax = get_ax(ax)
    title = title or "Why customers leave: cumulative share churned, by cause"
    if part is None or not len(part.incidence):
        return no_data(ax, _no_causes(cr), title)
    for cause in dict.fromkeys(part.incidence["cause"]):
        d = part.incidence[part.incidence["cause"] == cause]
        c = CAUSE_COLOURS.get(cause, "0.4")
        ax.step(d["duration_months"], d["cumulative_incidence"] * 100, where="post", color=c, lw=2,
                label=f"{cause} churn")
        ax.fill_between(d["duration_months"], d["ci_lower"] * 100, d["ci_upper"] * 100, step="post", color=c,
                        alpha=0.15, lw=0)
    ax.set_xlabel(LABELS["duration_months"])
    ax.set_ylabel(LABELS["cumulative_incidence"])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    _outside_legend(ax)
    ax.set_title(title, loc="left")
    return _tidy(ax)


def plot_sensitivity(sensitivity: pd.DataFrame | SurvivalAnalysis | None, *, ax: Axes | None = None,
                     title: str | None = None) -> Axes:
    """Share still active after 12 months under each inactivity threshold, with 95% intervals.

    Parameters
    ----------
    sensitivity : DataFrame, SurvivalAnalysis or None
        Output of :func:`retention_utils.survival.inactivity_sensitivity`, or the analysis (its
        ``sensitivity``, None for units with recorded cancellations).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
        An empty panel saying why when there is no sensitivity table.
    """
    s = _part(sensitivity, "sensitivity")
    ax = get_ax(ax)
    if s is None or not len(s):
        why = ("not applicable: this unit's churn does not depend on an inactivity threshold"
               if s is None else "no thresholds to compare")
        return no_data(ax, why, title or "How much the churn definition matters")
    s = s.reset_index(drop=True)
    x = np.arange(len(s))
    enough = (s["n_events"] >= MIN_EVENTS).to_numpy() & np.isfinite(s["survival_at"].astype(float)).to_numpy()
    bar_colours = [_OWN if c else _OTHER for c in s["configured"]]
    val = s["survival_at"].astype(float).where(enough, 0.0) * 100
    err = np.vstack([(s["survival_at"] - s["survival_ci_lower"]).clip(lower=0).where(enough, 0.0),
                     (s["survival_ci_upper"] - s["survival_at"]).clip(lower=0).where(enough, 0.0)]) * 100
    ax.bar(x[enough], val[enough], color=[c for c, e in zip(bar_colours, enough) if e], yerr=err[:, enough],
           error_kw={"elinewidth": 0.8, "ecolor": "0.3"})
    for xi in x[~enough]:  # the small-sample rule: no bar or interval from fewer events than needed
        ax.annotate(f"too few churn\nevents ({int(s['n_events'].iloc[xi])})", xy=(xi, 2), ha="center", va="bottom",
                    fontsize=8, color="0.35")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{d} days" + ("\n(this unit)" if c else "") for d, c in zip(s["threshold_days"],
                                                                                      s["configured"])])
    months = float(s["months"].iloc[0])
    ax.set_xlim(-0.6, len(s) - 0.4)
    ax.set_xlabel("customers count as churned after this many days without a purchase")
    ax.set_ylabel(f"not churned after {months:g} months (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_ylim(0, 100)
    ax.set_yticks(range(0, 101, 20))
    ax.set_title(title or "How much the churn definition matters", loc="left")
    return _tidy(ax)


def figure_size(analysis: SurvivalAnalysis, part: str, size: tuple[float, float] = (11, 4)) -> tuple[float, float]:
    """Figure size for the chart of one part of the analysis (``cox``, ``competing``, ``sensitivity``, ...).

    ``size``; for the forest plot a height that fits its terms; a thin strip when the part has
    nothing to draw, so a report carries a one-line "why" instead of a large empty panel.
    """
    value = getattr(analysis, part, None)
    if part == "cox":
        n = 0 if value is None else len(value.hazard_ratios)
        return (size[0], max(2.5, 0.42 * n + 1.4)) if n else (size[0], 1.0)
    empty = value is None or (part == "competing" and not len(value.incidence)) or (
        isinstance(value, pd.DataFrame) and value.empty)
    return (size[0], 1.0) if empty else size
