"""What the KPI ledger adds to a trend chart: the values each month was first reported with.

When an export is corrected after a month was reported, the line drawn from today's data and the
number the executives saw that month differ. :func:`mark_reported` puts the reported values on the
same axes as hollow markers, only where they differ, so the revision is visible where the trend is read.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes

__all__ = ["reported_differences", "mark_reported"]


def reported_differences(ledger: pd.DataFrame | None, unit: str, monthly: pd.DataFrame, metric: str,
                         rel_tol: float = 1e-6) -> pd.DataFrame:
    """``month`` (a date), ``reported`` and ``now`` for the months whose ledger value differs from today's.

    Examples
    --------
    >>> led = pd.DataFrame({"unit": ["u", "u"], "month": ["2025-10", "2025-11"], "analysis": ["kpis"] * 2,
    ...                     "metric": ["churn_rate"] * 2, "value": [0.05, 0.06]})
    >>> mon = pd.DataFrame({"month": pd.to_datetime(["2025-10-01", "2025-11-01"]), "churn_rate": [0.05, 0.07]})
    >>> reported_differences(led, "u", mon, "churn_rate").to_dict("records")
    [{'month': Timestamp('2025-11-01 00:00:00'), 'reported': 0.06, 'now': 0.07}]
    """
    empty = pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "reported": pd.Series(dtype=float),
                          "now": pd.Series(dtype=float)})
    if ledger is None or ledger.empty or metric not in monthly:
        return empty
    led = ledger[(ledger["unit"] == unit) & (ledger["analysis"] == "kpis") & (ledger["metric"] == metric)]
    if led.empty:
        return empty
    led = led.assign(month=pd.to_datetime(led["month"] + "-01"))[["month", "value"]].rename(
        columns={"value": "reported"})
    now = monthly[["month", metric]].assign(month=lambda f: pd.to_datetime(f["month"])).rename(
        columns={metric: "now"})
    both = led.merge(now, on="month")
    diff = (both["reported"] - both["now"]).abs() > rel_tol * both["now"].abs().clip(lower=1e-12)
    return both[diff].reset_index(drop=True)


def mark_reported(ax: Axes, ledger: pd.DataFrame | None, unit: str, monthly: pd.DataFrame, metric: str, *,
                  scale: float = 1.0, **_: Any) -> pd.DataFrame:
    """Hollow markers at the values first reported, where they differ from today's line; returns those months.

    ``scale`` multiplies the values as the line does (100 for a percent axis).
    """
    diff = reported_differences(ledger, unit, monthly, metric)
    if len(diff):
        ax.scatter(diff["month"], diff["reported"] * scale, facecolors="none", edgecolors="#c62828", s=60,
                   linewidths=1.5, zorder=5, label="as first reported (since revised)")
        handles, labels = ax.get_legend_handles_labels()
        if ax.get_legend() is not None:
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                      borderaxespad=0.0)
    return diff
