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
