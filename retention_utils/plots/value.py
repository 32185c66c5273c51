"""Charts of the customer-value page: lifecycle stages over time, RFM segment moves, the CLV holdout check."""
from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
import matplotlib.ticker as mticker
import seaborn as sns
from matplotlib.axes import Axes

from .base import PALETTE, get_ax, months_axis, no_data, ticks_inside

__all__ = ["STAGE_COLOURS", "plot_lifecycle", "plot_transitions", "plot_holdout"]

#: Colours of the lifecycle stages (active stages green to blue, dormant and churned as on the KPI page).
STAGE_COLOURS = {"new": "#8ab17d", "reactivated": "#b5c99a", "growing": "#2a9d8f", "mature": "#264653",
                 "declining": "#f4a261", "dormant": PALETTE["dormant"], "churned": PALETTE["churned"]}


def plot_lifecycle(life: Any, *, ax: Axes | None = None, include_churned: bool = False) -> Axes:
    """Customers per lifecycle stage at each month end (stacked bars); churned left out unless asked."""
    ax = get_ax(ax)
    c = life.counts
    if not include_churned:
        c = c[c["stage"] != "churned"]
    wide = c.pivot(index="month", columns="stage", values="n_customers").fillna(0)
    order = [s for s in STAGE_COLOURS if s in wide.columns]
    if wide.empty:
        return no_data(ax, "No customers yet", "Customers by lifecycle stage")
    x = pd.to_datetime(pd.Series(wide.index))
    bottom = np.zeros(len(wide))
    for s in order:
        ax.bar(x, wide[s].to_numpy(), width=20, bottom=bottom, color=STAGE_COLOURS[s], label=s)
        bottom += wide[s].to_numpy()
    ax.set_ylabel("customers at month end")
    ax.set_title("Customers by lifecycle stage" + ("" if include_churned else " (churned customers not shown)"),
                 loc="left")
    months_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ticks_inside(ax)


def plot_transitions(table: pd.DataFrame, *, frm: str, to: str, ax: Axes | None = None, title: str = "") -> Axes:
    """Heatmap of where last month's customers are now (row shares; the number in a cell is customers)."""
    ax = get_ax(ax)
    if table.empty:
        return no_data(ax, "No customers last month", title)
    rows = list(dict.fromkeys(table[frm]))
    cols = list(dict.fromkeys(table.sort_values(to, key=lambda s: s.map({r: i for i, r in enumerate(rows)}))[to]))
    share = table.pivot(index=frm, columns=to, values="share").reindex(index=rows, columns=cols)
    n = table.pivot(index=frm, columns=to, values="n_customers").reindex(index=rows, columns=cols)
    annot = n.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    sns.heatmap(share.fillna(0), ax=ax, cmap="Blues", vmin=0, vmax=1, annot=annot.to_numpy(), fmt="",
                cbar_kws={"label": "share of the row's customers"},
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 8})
    bar = ax.collections[0].colorbar
    if bar is not None:
        bar.ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_xlabel("this month end")
    ax.set_ylabel("last month end")
    ax.set_title(title, loc="left")
    # long names ("Potential loyalists") on two lines, turned so neighbours never touch
    ax.set_xticklabels([textwrap.fill(str(c), 12) for c in cols], rotation=45, ha="right", rotation_mode="anchor",
                       fontsize=9)
    ax.set_yticklabels([str(r) for r in rows], rotation=0, fontsize=9)
    return ax


def plot_holdout(clv: Any, *, ax: Axes | None = None) -> Axes:
    """Predicted against actual repeat purchases per customer in the holdout, by calibration purchases."""
    ax = get_ax(ax)
    h = clv.holdout
    h = h[~h["bucket"].isin(["all", "spend"])] if len(h) else h
    if h.empty or len(h) < 2:
        return no_data(ax, "No holdout check by purchase count", "Holdout check")
    x = np.arange(len(h))
    per = h["n_customers"].where(h["n_customers"] > 0)
    ax.bar(x - 0.2, h["actual"] / per, width=0.4, color="#264653", label="actual")
    ax.bar(x + 0.2, h["predicted"] / per, width=0.4, color="#e9c46a", label="predicted by the model")
    ax.set_xticks(x, h["bucket"].tolist())
    ax.set_xlabel("repeat purchases before the holdout")
    ax.set_ylabel("purchases per customer")
    ax.set_title("Holdout check: repeat purchases per customer in the held-out months, predicted vs actual",
                 loc="left", fontsize=11)
    ax.legend(loc="upper left", frameon=False)
    return ax
