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
    no_data,
)

__all__ = ["plot_cohort_heatmap", "plot_retention_curves", "plot_churn_control", "plot_group_curves",
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


def plot_cohort_heatmap(table: Any, *, value: str = "retention_rate", period: str | None = None,
                        min_customers: int | None = None, max_periods: int = 12, max_cohorts: int = 18,
                        title: str | None = None, ax: Axes | None = None) -> Axes:
    """Annotated cohort x period heatmap of a rate column (percent).

    Unobservable cells stay blank (never 0); cohorts smaller than
    ``min_customers`` are greyed out and labelled, not coloured as if reliable.
    Rows: the latest ``max_cohorts`` cohorts, labelled with their size. ``table``: a CohortResult
    or its ``table``.
    """
    period = _opt(table, period, "period", "month")
    min_customers = _opt(table, min_customers, "min_customers", 30)
    table = getattr(table, "table", table)
    ax = get_ax(ax)
    if table[value].isna().all():
        why = NO_AMOUNTS_PANEL if "revenue" in value else "no cohort can be observed yet"
        return no_data(ax, why, title or "Share of each cohort retained (%)")
    t = table[table["period"] <= max_periods]
    keep = sorted(t["cohort"].unique())[-max_cohorts:]
    t = t[t["cohort"].isin(keep)]
    grid = t.pivot(index="cohort", columns="period", values=value).astype(float) * 100
    sizes = t.groupby("cohort")["cohort_size"].first()
    small = sizes < min_customers
    shown = grid.copy()
    shown.loc[small[small].index] = np.nan
    labels = [f"{_period_label(pd.Timestamp(c), period)}  (n={sizes[c]:,}{', too small' if small[c] else ''})"
              for c in grid.index]
    annot = shown.map(lambda v: "" if np.isnan(v) else f"{v:.0f}")
    sns.heatmap(shown, ax=ax, cmap="YlGnBu", vmin=0, vmax=100, annot=annot, fmt="", cbar_kws={"label": "%"},
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 8})
    for i, c in enumerate(grid.index):
        if small[c]:
            ax.axhspan(i, i + 1, color="0.9", zorder=0)
    ax.grid(False)
    ax.set_yticks(np.arange(len(labels)) + 0.5)
    ax.set_yticklabels(labels, rotation=0, fontsize=9)
    ax.set_xlabel(f"{period}s since acquisition")
    ax.set_ylabel("cohort (customers acquired)")
    ax.set_title(title or "Share of each cohort retained (%)", loc="left")
    return ax


def plot_retention_curves(table: Any, pooled: pd.DataFrame | None = None, *, n_recent: int | None = None,
                          period: str | None = None, min_customers: int | None = None,
                          max_periods: int | None = None, ax: Axes | None = None) -> Axes:
    """Pooled retention curve with its 95% band, the recent cohorts highlighted, the others in grey.

    ``table``: a CohortResult, or its ``table`` with the ``pooled`` curve.
    """
    result = table
    n_recent = _opt(result, n_recent, "n_recent", 3)
    period = _opt(result, period, "period", "month")
    min_customers = _opt(result, min_customers, "min_customers", 30)
    max_periods = _opt(result, max_periods, "max_periods", 24)
    if hasattr(result, "table"):
        table, pooled = result.table, result.pooled
    ax = get_ax(ax)
    t = table[table["observable"] & (table["period"] <= max_periods)]
    cohorts = sorted(t["cohort"].unique())
    recent = [c for c in cohorts if t.loc[t.cohort == c, "cohort_size"].iloc[0] >= min_customers][-n_recent:]
    for c in cohorts:
        if c in recent:
            continue
        s = t[t.cohort == c]
        if s["cohort_size"].iloc[0] >= min_customers:
            ax.plot(s["period"], s["retention_rate"] * 100, color="0.8", linewidth=0.8, zorder=1)
    p = pooled[pooled["period"] <= max_periods]
    ax.fill_between(p["period"], p["ci_lower"] * 100, p["ci_upper"] * 100, color=PALETTE["line"], alpha=0.15)
    ax.plot(p["period"], p["retention_rate"] * 100, color=PALETTE["line"], linewidth=2.5,
            label="all cohorts (pooled, 95% band)")
    colors = sns.color_palette("Set2", len(recent))
    for col, c in zip(colors, recent):
        s = t[t.cohort == c]
        ax.plot(s["period"], s["retention_rate"] * 100, marker="o", color=col, linewidth=2,
                label=f"{_period_label(pd.Timestamp(c), period)} cohort")
    ax.set_xlabel(f"{period}s since acquisition")
    ax.set_ylabel("customers retained (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_ylim(0, 105)
    ax.set_title("Retention curves: recent cohorts against the usual curve", loc="left")
    ax.legend(frameon=False, loc="upper right")
    return ax


def plot_churn_control(control: Any, *, min_customers: int | None = None, ax: Axes | None = None) -> Axes:
    """Monthly churn rate with its p-chart control limits; months outside the limits marked.

    ``control``: a CohortResult or its ``control`` table.
    """
    min_customers = _opt(control, min_customers, "min_customers", 30)
    control = getattr(control, "control", control)
    ax = get_ax(ax)
    c = control[control["n_customers_start"] >= min_customers]
    ax.fill_between(c["month"], c["lcl"] * 100, c["ucl"] * 100, step="mid", color=PALETTE["line"], alpha=0.12,
                    label="control limits (expected range)")
    ax.plot(c["month"], c["centre"] * 100, color="0.4", linestyle="--", linewidth=1, label="baseline churn rate")
    ax.plot(c["month"], c["churn_rate"] * 100, marker="o", color=PALETTE["line"], label="churn rate")
    out = c[c["alert"] != ""]
    if len(out):
        ax.scatter(out["month"], out["churn_rate"] * 100, s=120, facecolors="none", edgecolors=PALETTE["churned"],
                   linewidths=2, zorder=5, label="outside the limits (alert)")
    ax.set_ylabel("churned / customers at month start (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=1))
    ax.set_ylim(bottom=0)
    ax.set_title("Churn rate against its control limits", loc="left")
    ax.legend(frameon=False, loc="upper left", ncol=2)
    months_axis(ax)
    return ax


def plot_group_curves(curves: Any, *, attribute: str | None = None, period: str | None = None,
                      max_periods: int | None = None, min_customers: int | None = None,
                      ax: Axes | None = None) -> Axes:
    """Pooled retention curve per group of a customer attribute, with 95% bands.

    ``curves``: a CohortResult (its ``group_curves`` by ``split_by``) or a curves table.
    """
    attribute = _opt(curves, attribute, "split_by", "")
    period = _opt(curves, period, "period", "month")
    max_periods = _opt(curves, max_periods, "max_periods", 24)
    min_customers = _opt(curves, min_customers, "min_customers", 30)
    curves = getattr(curves, "group_curves", curves)
    ax = get_ax(ax)
    if curves.empty:
        ax.text(0.5, 0.5, "No customer attribute configured for this split\n(params: cohorts.split_by)",
                ha="center", va="center", transform=ax.transAxes, color="0.4")
        ax.set_axis_off()
        return ax
    c = curves[(curves["period"] <= max_periods) & (curves["n_customers"] >= min_customers)]
    for col, (group, g) in zip(sns.color_palette("Set2", c["group"].nunique()), c.groupby("group")):
        ax.fill_between(g["period"], g["ci_lower"] * 100, g["ci_upper"] * 100, color=col, alpha=0.15)
        ax.plot(g["period"], g["retention_rate"] * 100, color=col, linewidth=2, label=str(group))
    ax.set_xlabel(f"{period}s since acquisition")
    ax.set_ylabel("customers retained (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_ylim(0, 105)
    ax.set_title(f"Retention by {attribute}", loc="left")
    ax.legend(frameon=False, title=attribute)
    return ax


def plot_cohort_value(table: Any, *, currency: str | None = None, n_recent: int = 6, period: str | None = None,
                      min_customers: int | None = None, max_periods: int | None = None,
                      ax: Axes | None = None) -> Axes:
    """Cumulative net revenue per acquired customer by cohort age (the cohort value curve).

    ``table``: a CohortResult or its ``table``.
    """
    period = _opt(table, period, "period", "month")
    min_customers = _opt(table, min_customers, "min_customers", 30)
    max_periods = _opt(table, max_periods, "max_periods", 24)
    currency = _opt(table, currency, "currency", "")
    table = getattr(table, "table", table)
    ax = get_ax(ax)
    title = "Cohort value: revenue per acquired customer over time"
    if table["cumulative_revenue_per_customer"].isna().all():
        return no_data(ax, NO_AMOUNTS_PANEL, title)
    t = table[table["observable"] & (table["period"] <= max_periods) & (table["cohort_size"] >= min_customers)]
    if t.empty:
        return no_data(ax, f"no cohort has {min_customers} or more customers", title)
    cohorts = sorted(t["cohort"].unique())
    colors = sns.color_palette("crest", max(len(cohorts), 1))
    for col, c in zip(colors, cohorts):
        s = t[t.cohort == c]
        is_recent = c in cohorts[-n_recent:]
        ax.plot(s["period"], s["cumulative_revenue_per_customer"], color=col, linewidth=1.8 if is_recent else 0.8,
                alpha=1 if is_recent else 0.5,
                label=f"{_period_label(pd.Timestamp(c), period)}" if c in (cohorts[0], cohorts[-1]) else None)
    ax.yaxis.set_major_formatter(money_formatter(currency))
    ax.set_xlabel(f"{period}s since acquisition")
    ax.set_ylabel(f"cumulative revenue per customer ({currency})")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, title="cohort (oldest, newest)")
    return ax
