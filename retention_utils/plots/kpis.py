"""Charts of the KPI result: customer base, flows, churn rate, KPI trends.

Every function takes a :class:`~retention_utils.kpis.KpiResult` (or its ``monthly`` table) and
``ax=None``, and returns the Axes. Warm-up months (see :mod:`retention_utils.kpis`) are shaded
so readers do not read them as trend.
"""
from __future__ import annotations

from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from .. import vocabulary
from ..samples import shortfall
from .base import (
    NO_AMOUNTS_PANEL,
    PALETTE,
    get_ax,
    money_formatter,
    months_axis,
    no_data,
    replaced,
    ticks_inside,
)

__all__ = ["figure_size", "churn_rate_shortfall", "plot_customer_base", "plot_customer_flows", "plot_churn_rate", "plot_kpi_trend", "plot_revenue_panels"]


def _monthly(kpis: Any) -> pd.DataFrame:
    """The monthly KPI table of a KpiResult, or the table itself."""
    return kpis.monthly if hasattr(kpis, "monthly") else kpis


def _min_customers(kpis: Any, given: int | None) -> int:
    return given if given is not None else getattr(kpis, "min_customers", 30)


def _shade_warm_up(ax: Axes, kpis: pd.DataFrame) -> None:
    warm = kpis[kpis["warm_up"]]
    if len(warm):
        start = warm["month"].min() - pd.Timedelta(days=15)
        end = warm["month"].max() + pd.Timedelta(days=15)
        ax.axvspan(start, end, color="0.92", zorder=0, label="warm-up (not comparable)")


def _legend_outside(ax: Axes, **kwargs: Any) -> None:
    """The legend to the right of the plot area, where it can cover no bar, band or point."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0.0, **kwargs)


def plot_customer_base(kpis: Any, *, ax: Axes | None = None) -> Axes:
    """Stacked area of the customers active and dormant at each month end (their sum: the customers at the end of
    the month; churned customers excluded)."""
    kpis = _monthly(kpis)
    ax = get_ax(ax)
    x = kpis["month"]
    ax.stackplot(x, kpis["n_active_end"], kpis["n_dormant_end"],
                 labels=[vocabulary.name("active_end"), vocabulary.name("dormant_end")],
                 colors=[PALETTE["active"], PALETTE["dormant"]], alpha=0.9)
    _shade_warm_up(ax, kpis)
    ax.set_ylabel("customers at the end of the month")
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(0, _headroom(kpis["n_active_end"] + kpis["n_dormant_end"]))
    ax.set_title("Customers at the end of each month", loc="left")
    _legend_outside(ax)
    months_axis(ax)
    return ticks_inside(ax)


def _headroom(values: Any) -> float:
    """An upper y limit 8% above the largest value, so the tallest bar or area is never cut at the top."""
    top = float(np.nanmax(values)) if len(values) and np.isfinite(np.nanmax(values)) else 0.0
    return top * 1.08 if top > 0 else 1.0


def plot_customer_flows(kpis: Any, *, ax: Axes | None = None) -> Axes:
    """Bars of customers won (new, reactivated) above zero and lost (churned) below."""
    kpis = _monthly(kpis)
    ax = get_ax(ax)
    x = kpis["month"]
    width = 20
    ax.bar(x, kpis["n_new"], width=width, color=PALETTE["new"], label="new customers")
    ax.bar(x, kpis["n_reactivated"], width=width, bottom=kpis["n_new"], color=PALETTE["reactivated"],
           label="reactivated")
    ax.bar(x, -kpis["n_churned"], width=width, color=PALETTE["churned"], label=vocabulary.name("churned"))
    ax.axhline(0, color="0.3", linewidth=0.8)
    _shade_warm_up(ax, kpis)
    won = (kpis["n_new"] + kpis["n_reactivated"]).to_numpy(dtype=float)
    lost = kpis["n_churned"].to_numpy(dtype=float)
    ax.set_ylim(-_headroom(lost) if lost.size and np.nanmax(lost) > 0 else 0, _headroom(won))
    ax.set_ylabel("customers per month")
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{abs(v):,.0f}"))
    ax.set_title("Customers won and lost each month", loc="left")
    _legend_outside(ax)
    months_axis(ax)
    return ticks_inside(ax)


def churn_rate_shortfall(kpis: Any, *, min_customers: int | None = None) -> str | None:
    """The sentence standing in for the churn-rate chart when no month had ``min_customers`` at its start."""
    min_customers = _min_customers(kpis, min_customers)
    k = _monthly(kpis)
    most = int(k["n_customers_start"].max()) if len(k) else 0
    return shortfall(most, min_customers, what="a chart of the monthly churn rate",
                     where="at the start of the busiest month")


def plot_churn_rate(kpis: Any, *, min_customers: int | None = None, ax: Axes | None = None) -> Axes:
    """Monthly churn rate with its 95% interval band (percent).

    Months with fewer than ``min_customers`` customers at the start are not
    plotted (their rate is noise); the x-axis label says how many. ``min_customers``
    defaults to the result's threshold (30 for a bare table). When no month has that many, the
    panel is one sentence (:func:`churn_rate_shortfall`).
    """
    min_customers = _min_customers(kpis, min_customers)
    short = churn_rate_shortfall(kpis, min_customers=min_customers)
    kpis = _monthly(kpis)
    ax = get_ax(ax)
    if short:
        return replaced(ax, short)
    small = kpis[(kpis["n_customers_start"] > 0) & (kpis["n_customers_start"] < min_customers)]
    k = kpis[kpis["n_customers_start"] >= max(min_customers, 1)]
    sns.lineplot(x=k["month"], y=k["churn_rate"] * 100, marker="o", color=PALETTE["line"], ax=ax,
                 label=vocabulary.name("churn_rate"))
    ax.fill_between(k["month"], k["churn_rate_ci_lower"] * 100, k["churn_rate_ci_upper"] * 100,
                    color=PALETTE["line"], alpha=0.15, label="95% interval")
    _shade_warm_up(ax, kpis)
    ax.set_ylabel("churned in the month /\ncustomers at its start (%)")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=1))
    ax.set_ylim(0, _headroom(k["churn_rate_ci_upper"] * 100))
    ax.set_title(vocabulary.name("churn_rate", capital=True), loc="left")
    _legend_outside(ax)
    months_axis(ax)
    if len(small):
        ax.set_xlabel(f"{len(small)} month(s) with fewer than {min_customers} customers at the start are not "
                      "plotted (too few to give a reliable rate).", fontsize=9, color="0.35", loc="left")
    return ticks_inside(ax)


def plot_kpi_trend(kpis: Any, column: str, *, kind: str = "count", currency: str | None = None,
                   title: str | None = None, ylabel: str | None = None, bars: bool = False,
                   ax: Axes | None = None) -> Axes:
    """One KPI over time as a line (or bars); ``kind`` is ``count``, ``rate`` or ``money``.

    ``currency`` defaults to the result's; money axes read like ``EUR 12k``.
    """
    currency = currency if currency is not None else getattr(kpis, "currency", "")
    kpis = _monthly(kpis)
    ax = get_ax(ax)
    k = kpis.dropna(subset=[column])
    if k.empty:
        return no_data(ax, NO_AMOUNTS_PANEL if kind == "money" else "no values to show", title or column)
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
    if len(y) and np.nanmin(y) >= 0:
        ax.set_ylim(0, _headroom(y))
    ax.set_ylabel(ylabel or column)
    ax.set_title(title or column, loc="left")
    months_axis(ax)
    return ticks_inside(ax)


#: The revenue panels: column, kind, title, y label (``{currency}`` filled in).
REVENUE_PANELS = (
    ("net_revenue", "money", "Net revenue (refunds deducted)", "{currency} per month", True),
    ("aov", "money", "Average order value", "{currency} per order", False),
    ("revenue_per_active", "money", "Net revenue per customer who bought", "{currency} per customer", False),
    ("repurchase_rate", "rate", "Repurchase rate", "buyers who had bought before (%)", False),
)


def plot_revenue_panels(kpis: Any, *, axes: Any = None) -> Any:
    """The four revenue and order panels (net revenue, order value, revenue per customer, repurchase rate).

    ``axes``: four Axes (e.g. a 2 x 2 grid from ``plt.subplots``); default: the current figure's
    2 x 2 grid. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.gcf().subplots(2, 2)
    currency = getattr(kpis, "currency", "")
    for ax, (column, kind, title, ylabel, bars) in zip(np.ravel(axes), REVENUE_PANELS):
        plot_kpi_trend(kpis, column, kind=kind, currency=currency, bars=bars, title=title,
                       ylabel=ylabel.format(currency=currency), ax=ax)
    return axes


def figure_size(kpis: Any, part: str, size: tuple[float, float] = (14, 4)) -> tuple[float, float]:
    """Figure size for a KPI chart (``churn_rate``): ``size``, or a thin strip holding the one sentence that
    replaces the chart when too few customers stand behind it.

    Examples
    --------
    >>> m = pd.DataFrame({"n_customers_start": [3, 5]})
    >>> figure_size(m, "churn_rate"), figure_size(m.assign(n_customers_start=[30, 40]), "churn_rate")
    ((14, 0.6), (14, 4))
    """
    if part == "churn_rate" and churn_rate_shortfall(kpis):
        return (size[0], 0.6)
    return size
