"""Charts of the KPI tables. Every function takes an Axes and returns it.

Inputs are outputs of the compute functions (never raw rows); nothing here
creates figures, shows or saves them. Warm-up months (see
:mod:`retention_utils.kpis`) are shaded so readers do not read them as trend.
"""
from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

__all__ = [
    "plot_customer_base",
    "plot_customer_flows",
    "plot_churn_rate",
    "plot_kpi_trend",
    "money_formatter",
    "plot_cohort_heatmap",
    "plot_retention_curves",
    "plot_churn_control",
    "plot_group_curves",
    "plot_cohort_value",
]

PALETTE = {"active": "#2a9d8f", "dormant": "#e9c46a", "new": "#2a9d8f", "reactivated": "#8ab17d",
           "churned": "#e76f51", "line": "#264653"}


def money_formatter(currency: str) -> mticker.FuncFormatter:
    """Axis formatter like ``EUR 12.3k``."""

    def fmt(x: float, _pos: int | None = None) -> str:
        ax_ = abs(x)
        if ax_ >= 1e6:
            return f"{currency} {x / 1e6:.1f}M"
        if ax_ >= 1e3:
            return f"{currency} {x / 1e3:.0f}k"
        return f"{currency} {x:,.0f}"

    return mticker.FuncFormatter(fmt)


def _no_data(ax: Axes, text: str, title: str) -> Axes:
    """An empty panel that says why it is empty (instead of blank axes)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.35", fontsize=11, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, loc="left")
    return ax


NO_AMOUNTS_PANEL = "not shown: the export has no amounts"


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.gca()


def _months_axis(ax: Axes) -> None:
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("")
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def _shade_warm_up(ax: Axes, kpis: pd.DataFrame) -> None:
    warm = kpis[kpis["warm_up"]]
    if len(warm):
        start = warm["month"].min() - pd.Timedelta(days=15)
        end = warm["month"].max() + pd.Timedelta(days=15)
        ax.axvspan(start, end, color="0.92", zorder=0, label="warm-up (not comparable)")


def plot_customer_base(kpis: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked area of active and dormant customers at each month end."""
    ax = _ax(ax)
    x = kpis["month"]
    ax.stackplot(x, kpis["n_active_end"], kpis["n_dormant_end"],
                 labels=["active (bought recently)", "dormant (no recent purchase)"],
                 colors=[PALETTE["active"], PALETTE["dormant"]], alpha=0.9)
    _shade_warm_up(ax, kpis)
    ax.set_ylabel("customers at month end")
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_title("Customer base (excluding churned)", loc="left")
    ax.legend(loc="upper left", frameon=False)
    _months_axis(ax)
    return ax


def plot_customer_flows(kpis: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of customers won (new, reactivated) above zero and lost (churned) below."""
    ax = _ax(ax)
    x = kpis["month"]
    width = 20
    ax.bar(x, kpis["n_new"], width=width, color=PALETTE["new"], label="new")
    ax.bar(x, kpis["n_reactivated"], width=width, bottom=kpis["n_new"], color=PALETTE["reactivated"],
           label="reactivated")
    ax.bar(x, -kpis["n_churned"], width=width, color=PALETTE["churned"], label="churned")
    ax.axhline(0, color="0.3", linewidth=0.8)
    _shade_warm_up(ax, kpis)
    ax.set_ylabel("customers per month")
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{abs(v):,.0f}"))
    ax.set_title("Customers won and lost each month", loc="left")
    ax.legend(loc="upper left", frameon=False, ncol=3)
    _months_axis(ax)
    return ax


def plot_churn_rate(kpis: pd.DataFrame, *, min_customers: int = 30, ax: Axes | None = None) -> Axes:
    """Monthly churn rate with its 95% interval band (percent).

    Months with fewer than ``min_customers`` customers at the start are not
    plotted (their rate is noise); a note under the chart says how many.
    """
    ax = _ax(ax)
    small = kpis[(kpis["n_customers_start"] > 0) & (kpis["n_customers_start"] < min_customers)]
    k = kpis[kpis["n_customers_start"] >= max(min_customers, 1)]
    sns.lineplot(x=k["month"], y=k["churn_rate"] * 100, marker="o", color=PALETTE["line"], ax=ax,
                 label="churn rate")
    ax.fill_between(k["month"], k["churn_rate_ci_lower"] * 100, k["churn_rate_ci_upper"] * 100,
                    color=PALETTE["line"], alpha=0.15, label="95% interval")
    _shade_warm_up(ax, kpis)
    ax.set_ylabel("churned / customers at month start (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=1))
    ax.set_ylim(bottom=0)
    ax.set_title("Monthly churn rate", loc="left")
    ax.legend(loc="upper left", frameon=False)
    if len(small):
        ax.annotate(f"{len(small)} month(s) with fewer than {min_customers} customers at the start are not "
                    "plotted (too few to give a reliable rate).", xy=(0, -0.16), xycoords="axes fraction",
                    fontsize=9, color="0.35")
    _months_axis(ax)
    return ax


def plot_kpi_trend(kpis: pd.DataFrame, column: str, *, kind: str = "count", currency: str = "",
                   title: str | None = None, ylabel: str | None = None, bars: bool = False,
                   ax: Axes | None = None) -> Axes:
    """One KPI over time as a line (or bars); ``kind`` is ``count``, ``rate`` or ``money``."""
    ax = _ax(ax)
    k = kpis.dropna(subset=[column])
    if k.empty:
        return _no_data(ax, NO_AMOUNTS_PANEL if kind == "money" else "no values to show", title or column)
    y = k[column] * 100 if kind == "rate" else k[column]
    if bars:
        ax.bar(k["month"], y, width=20, color=PALETTE["line"], alpha=0.85)
    else:
        sns.lineplot(x=k["month"], y=y, marker="o", color=PALETTE["line"], ax=ax)
    _shade_warm_up(ax, kpis)
    if kind == "money":
        ax.yaxis.set_major_formatter(money_formatter(currency))
    elif kind == "rate":
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    else:
        ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    if not bars and len(y) and np.nanmin(y) >= 0:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel or column)
    ax.set_title(title or column, loc="left")
    _months_axis(ax)
    return ax


def _period_label(ts: pd.Timestamp, period: str) -> str:
    if period == "quarter":
        return f"Q{(ts.month - 1) // 3 + 1} {ts.year}"
    if period == "week":
        return f"wk {ts:%d %b %Y}"
    return ts.strftime("%b %Y")


def plot_cohort_heatmap(table: pd.DataFrame, *, value: str = "retention_rate", period: str = "month",
                        min_customers: int = 30, max_periods: int = 12, max_cohorts: int = 18,
                        title: str | None = None, ax: Axes | None = None) -> Axes:
    """Annotated cohort x period heatmap of a rate column (percent).

    Unobservable cells stay blank (never 0); cohorts smaller than
    ``min_customers`` are greyed out and labelled, not coloured as if reliable.
    Rows: the latest ``max_cohorts`` cohorts, labelled with their size.
    """
    ax = _ax(ax)
    if table[value].isna().all():
        why = NO_AMOUNTS_PANEL if "revenue" in value else "no cohort can be observed yet"
        return _no_data(ax, why, title or "Share of each cohort retained (%)")
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


def plot_retention_curves(table: pd.DataFrame, pooled: pd.DataFrame, *, n_recent: int = 3, period: str = "month",
                          min_customers: int = 30, max_periods: int = 24, ax: Axes | None = None) -> Axes:
    """Pooled retention curve with its 95% band, the recent cohorts highlighted, the others in grey."""
    ax = _ax(ax)
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


def plot_churn_control(control: pd.DataFrame, *, min_customers: int = 30, ax: Axes | None = None) -> Axes:
    """Monthly churn rate with its p-chart control limits; months outside the limits marked."""
    ax = _ax(ax)
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
    _months_axis(ax)
    return ax


def plot_group_curves(curves: pd.DataFrame, *, attribute: str, period: str = "month", max_periods: int = 24,
                      min_customers: int = 30, ax: Axes | None = None) -> Axes:
    """Pooled retention curve per group of a customer attribute, with 95% bands."""
    ax = _ax(ax)
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


def plot_cohort_value(table: pd.DataFrame, *, currency: str = "", n_recent: int = 6, period: str = "month",
                      min_customers: int = 30, max_periods: int = 24, ax: Axes | None = None) -> Axes:
    """Cumulative net revenue per acquired customer by cohort age (the cohort value curve)."""
    ax = _ax(ax)
    title = "Cohort value: revenue per acquired customer over time"
    if table["cumulative_revenue_per_customer"].isna().all():
        return _no_data(ax, NO_AMOUNTS_PANEL, title)
    t = table[table["observable"] & (table["period"] <= max_periods) & (table["cohort_size"] >= min_customers)]
    if t.empty:
        return _no_data(ax, f"no cohort has {min_customers} or more customers", title)
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
