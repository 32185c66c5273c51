"""Charts of the cohort result: heatmaps, retention curves, control chart, groups, cohort value.

Every function takes a :class:`~retention_utils.cohorts.CohortResult` (or the table named in
its docstring) and ``ax=None``, and returns the Axes; settings a result carries (period,
threshold, periods shown) default to the result's.
"""
from __future__ import annotations

from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from .base import (
    NO_AMOUNTS_PANEL,
    PALETTE,
    get_ax,
    money_formatter,
    months_axis,
    replaced,
    ticks_inside,
)

__all__ = ["figure_size", "plot_cohort_heatmap", "plot_retention_curves", "plot_churn_control", "plot_group_curves",
           "plot_cohort_value"]


def _opt(result: Any, given: Any, attr: str, default: Any) -> Any:
    """``given``, else the result's setting ``attr``, else ``default``."""
    if given is not None:
        return given
    value = getattr(result, attr, None)
    return default if value is None else value


def _period_label(ts: pd.Timestamp, period: str) -> str:
    if period == "quarter":
        return f"Q{(ts.month - 1) // 3 + 1} {ts.year}"
    if period == "week":
        return f"wk {ts:%d %b %Y}"
    return ts.strftime("%b %Y")


#: The sentence replacing the revenue charts of an export without amounts.
_NO_AMOUNTS = f"Not shown: {NO_AMOUNTS_PANEL.removeprefix('not shown: ')}."


def _note_once(ax: Axes, text: str) -> Axes:
    """The chart gives way to its sentence (:func:`~retention_utils.plots.base.replaced`), written once per
    figure: a panel whose figure already holds it stays blank."""
    for other in ax.figure.axes:
        if other is not ax and any(t.get_text() == text for t in other.texts):
            ax.set_axis_off()
            return ax
    return replaced(ax, text)


def _short(result: Any, section: str) -> str | None:
    """The result's sentence replacing ``section`` (None for a bare table, which is drawn as given)."""
    return result.shortfall(section) if hasattr(result, "shortfall") else None


def _legend_outside(ax: Axes, **kwargs: Any) -> None:
    """The legend to the right of the plot area, where it covers no line, band or point."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0.0, **kwargs)


def _since(result: Any, period: str) -> str:
    start = "signup" if getattr(result, "by", "first_purchase") == "signup" else "the first purchase"
    return f"{period}s since {start}"


#: Which section of the result a chart belongs to (for :func:`figure_size`).
_SECTIONS = {"heatmap": "heatmap", "revenue": "value", "value": "value", "curves": "curves", "control": "control",
             "groups": "groups"}


def figure_size(result: Any, part: str, size: tuple[float, float] = (14, 5)) -> tuple[float, float]:
    """Figure size for one chart of a CohortResult: ``size``, or a thin strip when one sentence replaces it.

    ``part``: ``heatmap``, ``revenue`` (the revenue figure: the two revenue-retention heatmaps and the cohort
    value), ``value``, ``curves``, ``control`` or ``groups``. The heatmaps' height follows their number of rows
    (plus 4.5 inches of cohort value for ``revenue``).
    """
    if part not in _SECTIONS:
        raise ValueError(f"The 'part' parameter of figure_size must be one of {set(_SECTIONS)}. Got {part!r} instead.")
    if _short(result, _SECTIONS[part]) or (part in ("revenue", "value") and not getattr(result, "has_amounts", True)):
        return (size[0], 0.6)
    if part in ("heatmap", "revenue"):
        rows = len(_heatmap_cohorts(result.table, result.min_customers, 18)[0])
        height = max(3.0, 0.32 * rows + 1.8)
        return (size[0], min(size[1], height + (4.5 if part == "revenue" else 0)))
    return size


def _heatmap_cohorts(table: pd.DataFrame, min_customers: int, max_cohorts: int) -> tuple[list, int]:
    """The latest ``max_cohorts`` cohorts with at least ``min_customers`` customers, and how many smaller ones."""
    sizes = table.drop_duplicates("cohort").set_index("cohort")["cohort_size"].sort_index()
    big = sizes[sizes >= min_customers]
    return list(big.index[-max_cohorts:]), int((sizes < min_customers).sum())


def plot_cohort_heatmap(table: Any, *, value: str = "retention_rate", period: str | None = None,
                        min_customers: int | None = None, max_periods: int = 12, max_cohorts: int = 18,
                        title: str | None = None, ax: Axes | None = None) -> Axes:
    """Annotated cohort x period heatmap of a rate column (percent).

    Unobservable cells stay blank (never 0); cohorts smaller than ``min_customers`` are left out (the
    x-axis label says how many). Rows: the latest ``max_cohorts`` cohorts, labelled with their size.
    ``table``: a CohortResult or its ``table``; for a result whose largest cohort is below
    ``min_customers`` the panel is the one sentence that replaces the chart.
    """
    result = table
    period = _opt(table, period, "period", "month")
    min_customers = _opt(table, min_customers, "min_customers", 30)
    measure = result.measure() if hasattr(result, "measure") else "share of each cohort retained"
    title = title or f"{measure[:1].upper()}{measure[1:]} (%)"
    table = getattr(table, "table", table)
    ax = get_ax(ax)
    short = _short(result, "value" if "revenue" in value else "heatmap")
    if short:
        return _note_once(ax, short)
    if table[value].isna().all():
        return _note_once(ax, _NO_AMOUNTS if "revenue" in value else "Not shown: no cohort can be observed yet.")
    t = table[table["period"] <= max_periods]
    keep, n_small = _heatmap_cohorts(t, min_customers, max_cohorts)
    if not keep:
        return _note_once(ax, f"Not shown: no cohort has {min_customers} or more customers.")
    t = t[t["cohort"].isin(keep)]
    grid = t.pivot(index="cohort", columns="period", values=value).astype(float) * 100
    sizes = t.groupby("cohort")["cohort_size"].first()
    labels = [f"{_period_label(pd.Timestamp(c), period)} ({sizes[c]:,})" for c in grid.index]
    annot = grid.map(lambda v: "" if np.isnan(v) else f"{v:.0f}")
    vmax = 100 if "revenue" not in value else max(100, float(np.nanmax(grid.to_numpy())) if grid.notna().any().any()
                                                   else 100)
    sns.heatmap(grid, ax=ax, cmap="YlGnBu", vmin=0, vmax=vmax, annot=annot, fmt="", cbar_kws={"label": "%"},
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 8})
    cbar = ax.collections[0].colorbar
    if cbar is not None:  # its ticks inside its range only (see ticks_inside)
        cbar.set_ticks([v for v in cbar.get_ticks() if 0 <= v <= vmax])
    ax.grid(False)
    ax.set_yticks(np.arange(len(labels)) + 0.5)
    ax.set_yticklabels(labels, rotation=0, fontsize=9)
    xlabel = _since(result, period)
    if n_small:
        xlabel += f"\n{n_small} cohort{'s' if n_small != 1 else ''} under {min_customers} customers left out"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cohort (customers)")
    ax.set_title(title, loc="left")
    return ticks_inside(ax)


def plot_retention_curves(table: Any, pooled: pd.DataFrame | None = None, *, n_recent: int | None = None,
                          period: str | None = None, min_customers: int | None = None,
                          max_periods: int | None = None, ax: Axes | None = None) -> Axes:
    """Pooled retention curve with its 95% band, the recent cohorts highlighted, the others in grey.

    Only cohorts, and ages of the pooled curve, with at least ``min_customers`` customers are drawn.
    ``table``: a CohortResult, or its ``table`` with the ``pooled`` curve.
    """
    result = table
    n_recent = _opt(result, n_recent, "n_recent", 3)
    period = _opt(result, period, "period", "month")
    min_customers = _opt(result, min_customers, "min_customers", 30)
    max_periods = _opt(result, max_periods, "max_periods", 24)
    ax = get_ax(ax)
    short = _short(result, "curves")
    if short:
        return replaced(ax, short)
    if hasattr(result, "table"):
        table, pooled = result.table, result.pooled
    t = table[table["observable"] & (table["period"] <= max_periods)]
    cohorts = sorted(t["cohort"].unique())
    recent = [c for c in cohorts if t.loc[t.cohort == c, "cohort_size"].iloc[0] >= min_customers][-n_recent:]
    for c in cohorts:
        if c in recent:
            continue
        s = t[t.cohort == c]
        if s["cohort_size"].iloc[0] >= min_customers:
            ax.plot(s["period"], s["retention_rate"] * 100, color="0.8", linewidth=0.8, zorder=1)
    p = pooled[(pooled["period"] <= max_periods) & (pooled["n_customers"] >= max(min_customers, 1))]
    ax.fill_between(p["period"], p["ci_lower"] * 100, p["ci_upper"] * 100, color=PALETTE["line"], alpha=0.15)
    ax.plot(p["period"], p["retention_rate"] * 100, color=PALETTE["line"], linewidth=2.5,
            label="all cohorts (pooled, 95% band)")
    colors = sns.color_palette("Set2", max(len(recent), 1))
    for col, c in zip(colors, recent):
        s = t[t.cohort == c]
        ax.plot(s["period"], s["retention_rate"] * 100, marker="o", color=col, linewidth=2,
                label=f"{_period_label(pd.Timestamp(c), period)} cohort")
    ax.set_xlabel(_since(result, period))
    measure = result.measure() if hasattr(result, "measure") else "customers retained"
    ax.set_ylabel(f"{measure} (%)" if len(measure) < 40 else "share of the cohort (%)")
    drawn = t[t["cohort_size"] >= min_customers]["period"]
    _share_axes(ax, max(p["period"].max() if len(p) else 1, drawn.max() if len(drawn) else 1))
    ax.set_title("Recent cohorts against the usual curve", loc="left")
    _legend_outside(ax)
    return ticks_inside(ax)


def plot_churn_control(control: Any, *, min_customers: int | None = None, ax: Axes | None = None) -> Axes:
    """Monthly churn rate with its usual range (p-chart control limits); unusual months marked.

    An unusually high month is an alarm (red ring); an unusually low one is good news (green ring),
    never drawn as an alarm. ``control``: a CohortResult or its ``control`` table.
    """
    result = control
    min_customers = _opt(control, min_customers, "min_customers", 30)
    control = getattr(control, "control", control)
    ax = get_ax(ax)
    short = _short(result, "control")
    if short:
        return replaced(ax, short)
    c = control[control["n_customers_start"] >= min_customers]
    ax.fill_between(c["month"], c["lcl"] * 100, c["ucl"] * 100, step="mid", color=PALETTE["line"], alpha=0.12,
                    label="usual range")
    ax.plot(c["month"], c["centre"] * 100, color="0.4", linestyle="--", linewidth=1,
            label="churn rate of the earlier months")
    ax.plot(c["month"], c["churn_rate"] * 100, marker="o", color=PALETTE["line"], label="monthly churn rate")
    high, low = c[c["alert"] == "above"], c[c["alert"] == "below"]
    if len(high):
        ax.scatter(high["month"], high["churn_rate"] * 100, s=120, facecolors="none", edgecolors=PALETTE["churned"],
                   linewidths=2, zorder=5, label="unusually high churn (alarm)")
    if len(low):
        ax.scatter(low["month"], low["churn_rate"] * 100, s=120, facecolors="none", edgecolors=GOOD,
                   linewidths=2, marker="s", zorder=5, label="unusually low churn (good)")
    ax.set_ylabel("churned in the month /\ncustomers at its start (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=1))
    top = np.nanmax(np.r_[c["ucl"].to_numpy(dtype=float), c["churn_rate"].to_numpy(dtype=float)]) * 100 if len(c) \
        else 1.0
    ax.set_ylim(0, top * 1.1 if np.isfinite(top) and top > 0 else 1.0)
    ax.set_title("Churn rate against its usual range", loc="left")
    _legend_outside(ax)
    months_axis(ax)
    return ticks_inside(ax)


def _share_axes(ax: Axes, last_period: float) -> None:
    """0-100% on y and whole periods on x, each tick set explicitly (no tick label beyond the plot area)."""
    ax.set_ylim(0, 105)
    ax.set_yticks(np.arange(0, 101, 20))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    last = int(max(last_period, 1))
    step = next(s for s in (1, 2, 3, 4, 6, 12, 24, 48) if last / s <= 12)
    ax.set_xlim(-0.3, last + 0.3)
    ax.set_xticks(np.arange(0, last + 1, step))


#: The colour of good news (unusually low churn).
GOOD = "#2a9d8f"


def plot_group_curves(curves: Any, *, attribute: str | None = None, period: str | None = None,
                      max_periods: int | None = None, min_customers: int | None = None,
                      ax: Axes | None = None) -> Axes:
    """Pooled retention curve per group of a customer attribute, with 95% bands.

    Only groups and ages with at least ``min_customers`` customers are drawn; with fewer than two such
    groups the panel is the one sentence that replaces the comparison. ``curves``: a CohortResult (its
    ``group_curves`` by ``split_by``) or a curves table.
    """
    result = curves
    attribute = _opt(curves, attribute, "split_by", "")
    period = _opt(curves, period, "period", "month")
    max_periods = _opt(curves, max_periods, "max_periods", 24)
    min_customers = _opt(curves, min_customers, "min_customers", 30)
    curves = getattr(curves, "group_curves", curves)
    ax = get_ax(ax)
    short = _short(result, "groups")
    if short:
        return replaced(ax, short)
    if curves.empty:
        return replaced(ax, "No customer attribute is configured for this comparison (params: cohorts.split_by).")
    c = curves[(curves["period"] <= max_periods) & (curves["n_customers"] >= min_customers)]
    for col, (group, g) in zip(sns.color_palette("Set2", max(c["group"].nunique(), 1)), c.groupby("group")):
        ax.fill_between(g["period"], g["ci_lower"] * 100, g["ci_upper"] * 100, color=col, alpha=0.15)
        ax.plot(g["period"], g["retention_rate"] * 100, color=col, linewidth=2, label=str(group))
    ax.set_xlabel(_since(result, period))
    ax.set_ylabel("share of the group (%)")
    _share_axes(ax, c["period"].max() if len(c) else 1)
    measure = result.measure() if hasattr(result, "measure") else "retention"
    ax.set_title(f"{measure[:1].upper()}{measure[1:]}, by {attribute}", loc="left")
    _legend_outside(ax, title=attribute)
    return ticks_inside(ax)


def plot_cohort_value(table: Any, *, currency: str | None = None, n_recent: int = 6, period: str | None = None,
                      min_customers: int | None = None, max_periods: int | None = None,
                      ax: Axes | None = None) -> Axes:
    """Cumulative net revenue per acquired customer by cohort age (the cohort value curve).

    Only cohorts with at least ``min_customers`` customers are drawn; when there is none the panel is the
    one sentence that replaces the chart. ``table``: a CohortResult or its ``table``.
    """
    result = table
    period = _opt(table, period, "period", "month")
    min_customers = _opt(table, min_customers, "min_customers", 30)
    max_periods = _opt(table, max_periods, "max_periods", 24)
    currency = _opt(table, currency, "currency", "")
    table = getattr(table, "table", table)
    ax = get_ax(ax)
    title = "Cohort value: revenue per acquired customer over time"
    short = _short(result, "value")
    if short:
        return _note_once(ax, short)
    if table["cumulative_revenue_per_customer"].isna().all():
        return _note_once(ax, _NO_AMOUNTS)
    t = table[table["observable"] & (table["period"] <= max_periods) & (table["cohort_size"] >= min_customers)]
    if t.empty:
        return _note_once(ax, f"Not shown: no cohort has {min_customers} or more customers.")
    cohorts = sorted(t["cohort"].unique())
    colors = sns.color_palette("crest", max(len(cohorts), 1))
    for col, c in zip(colors, cohorts):
        s = t[t.cohort == c]
        is_recent = c in cohorts[-n_recent:]
        ax.plot(s["period"], s["cumulative_revenue_per_customer"], color=col, linewidth=1.8 if is_recent else 0.8,
                alpha=1 if is_recent else 0.5,
                label=f"{_period_label(pd.Timestamp(c), period)}" if c in (cohorts[0], cohorts[-1]) else None)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.set_xlabel(_since(result, period))
    ax.set_ylabel(f"cumulative revenue per customer ({currency})")
    ax.set_title(title, loc="left")
    _legend_outside(ax, title="cohort (oldest, newest)")
    return ticks_inside(ax)
