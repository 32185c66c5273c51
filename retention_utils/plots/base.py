"""What every chart shares: the Axes helper, palette, labels, money axis, empty-panel notes.

Plot functions across :mod:`retention_utils.plots` take a result (or one of its tidy tables)
and ``ax=None`` and return the Axes; nothing here creates, shows or saves figures.
"""
from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from ..display.formats import MODEL_LABELS

__all__ = ["PALETTE", "MODEL_COLORS", "MODEL_LABELS", "CAUSE_COLOURS", "NO_AMOUNTS_PANEL", "get_ax", "colours",
           "money_formatter", "percent_axis", "no_data", "note", "months_axis", "panel_size"]

#: Colours of customer states and flows.
PALETTE = {"active": "#2a9d8f", "dormant": "#e9c46a", "new": "#2a9d8f", "reactivated": "#8ab17d",
           "churned": "#e76f51", "line": "#264653"}
#: Colours of the churn models (their names: ``display.formats.MODEL_LABELS``).
MODEL_COLORS = {"baseline": "#9e9e9e", "logit": "#264653", "hgb": "#e76f51"}
#: Colours of the churn causes (competing risks).
CAUSE_COLOURS = {"voluntary": "#e76f51", "involuntary": "#264653", "unknown": "#999999"}

NO_AMOUNTS_PANEL = "not shown: the export has no amounts"


def get_ax(ax: Axes | None) -> Axes:
    """``ax``, or the current Axes."""
    return ax if ax is not None else plt.gca()


def colours(n: int) -> list:
    """``n`` distinguishable colours for groups."""
    return sns.color_palette("deep", max(n, 1))


def money_formatter(currency: str) -> mticker.FuncFormatter:
    """Axis formatter like ``EUR 12k``.

    Examples
    --------
    >>> f = money_formatter("EUR")
    >>> f(1_500_000), f(12_300), f(950)
    ('EUR 1.5M', 'EUR 12k', 'EUR 950')
    """

    def fmt(x: float, _pos: int | None = None) -> str:
        ax_ = abs(x)
        if ax_ >= 1e6:
            return f"{currency} {x / 1e6:.1f}M"
        if ax_ >= 1e3:
            return f"{currency} {x / 1e3:.0f}k"
        return f"{currency} {x:,.0f}"

    return mticker.FuncFormatter(fmt)


def percent_axis(ax: Axes, *, axis: str = "y", xmax: float = 1.0) -> None:
    """Label an axis of fractions as percentages."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mticker.PercentFormatter(xmax))


def no_data(ax: Axes, text: str, title: str) -> Axes:
    """An empty panel that says why it is empty (instead of blank axes)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.35", fontsize=11, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, loc="left")
    return ax


def note(ax: Axes, text: str) -> Axes:
    """A one-line note instead of a chart (a unit without a model, say)."""
    ax.text(0.0, 0.5, text, ha="left", va="center", fontsize=10, color="0.35", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def months_axis(ax: Axes) -> None:
    """Calendar months on the x axis (``Mar 2025``)."""
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("")
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def panel_size(table: pd.DataFrame, size: tuple[float, float]) -> tuple[float, float]:
    """Figure size for a chart of ``table``: ``size``, or a thin strip when the table is empty.

    Examples
    --------
    >>> panel_size(pd.DataFrame(), (14, 5))
    (14, 0.5)
    """
    return (size[0], 0.5) if table.empty else size
