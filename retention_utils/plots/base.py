"""What every chart shares: the Axes helper, palette, labels, money axis, empty-panel notes.

Plot functions across :mod:`retention_utils.plots` take a result (or one of its tidy tables)
and ``ax=None`` and return the Axes; nothing here creates, shows or saves figures.
"""
from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from ..display.formats import MODEL_LABELS

__all__ = ["PALETTE", "MODEL_COLORS", "MODEL_LABELS", "CAUSE_COLOURS", "NO_AMOUNTS_PANEL", "get_ax", "colours",
           "money_formatter", "percent_axis", "no_data", "note", "months_axis", "panel_size", "ticks_inside",
           "replaced"]

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


class _MoneyFormatter(mticker.FuncFormatter):
    """Money ticks whose decimals follow the tick step, so no two ticks read alike (see :func:`money_formatter`)."""

    def __init__(self, currency: str) -> None:
        super().__init__(self._one)
        self.currency = currency
        self._scale: tuple[float, str] | None = None
        self._decimals = 0

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        vals = np.unique(np.asarray([v for v in locs if np.isfinite(v)], dtype=float))
        if len(vals) < 2:
            self._scale = None
            return
        self._scale = _money_scale(float(np.abs(vals).max()))
        step = float(np.diff(vals).min()) / self._scale[0]
        self._decimals = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 3)

    def _one(self, x: float, _pos: int | None = None) -> str:
        prefix = f"{self.currency} " if self.currency else ""
        if self._scale is None:  # a single value (no ticks known): the compact form
            ax_ = abs(x)
            if ax_ >= 1e6:
                return f"{prefix}{x / 1e6:.1f}M"
            if ax_ >= 1e4:
                return f"{prefix}{x / 1e3:.0f}k"
            return f"{prefix}{x:,.0f}" if ax_ >= 10 or float(x).is_integer() else f"{prefix}{x:,.2f}"
        div, suffix = self._scale
        v = x / div
        if abs(v) < 0.5 * 10 ** -self._decimals:
            v = 0.0  # no "-0"
        return f"{prefix}{v:,.{self._decimals}f}{suffix}"


def _money_scale(biggest: float) -> tuple[float, str]:
    if biggest >= 1e6:
        return 1e6, "M"
    if biggest >= 1e4:
        return 1e3, "k"
    return 1.0, ""


def money_formatter(currency: str) -> mticker.FuncFormatter:
    """Axis formatter like ``EUR 12k``, with as many decimals as the tick step needs.

    On an axis the ticks share one scale (M, k or whole units, by the largest tick) and the
    decimals of the step: steps of 2.5 read ``EUR 0.0, 2.5, 5.0, 7.5`` (never ``EUR 0, 2, 5, 8``),
    steps of 500 on a scale of thousands ``EUR 10.0k, 10.5k``; so two ticks never print alike.

    Examples
    --------
    >>> f = money_formatter("EUR")
    >>> f(1_500_000), f(12_300), f(950), f(2.5)
    ('EUR 1.5M', 'EUR 12k', 'EUR 950', 'EUR 2.50')
    >>> f.format_ticks([0, 2.5, 5, 7.5])
    ['EUR 0.0', 'EUR 2.5', 'EUR 5.0', 'EUR 7.5']
    >>> f.format_ticks([0, 20_000, 40_000]), f.format_ticks([0, 2_500, 5_000])
    (['EUR 0k', 'EUR 20k', 'EUR 40k'], ['EUR 0', 'EUR 2,500', 'EUR 5,000'])
    """
    return _MoneyFormatter(currency)


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


def replaced(ax: Axes, text: str) -> Axes:
    """A chart that gives way to one sentence (:func:`retention_utils.samples.shortfall`): the Axes holds only
    the sentence, and its figure is closed, so a notebook shows no picture; the page shows the sentence as
    text instead (:func:`retention_utils.display.html.shortfall_html`, from the analysis's display module).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, ax = plt.subplots()
    >>> _ = replaced(ax, "Not shown: x needs 30 customers; there are 3 (27 more needed).")
    >>> [t.get_text()[:10] for t in ax.texts], plt.fignum_exists(fig.number)
    (['Not shown:'], False)
    """
    note(ax, text)
    plt.close(ax.figure)
    return ax


def months_axis(ax: Axes) -> None:
    """Calendar months on the x axis (``Mar 2025``)."""
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("")
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def ticks_inside(ax: Axes) -> Axes:
    """Fix both axes' ticks to those inside the current limits (call after the limits are final).

    A locator also places ticks just beyond the limits; matplotlib does not draw them, but their labels
    keep a position outside the plot area, where the figure check
    (:func:`retention_utils.plots.check.figure_problems`) reads them as text outside the figure or over a
    neighbouring panel. Keeping only the ticks inside leaves what the reader sees unchanged.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_ylim(0, 105)
    >>> [float(v) for v in ticks_inside(ax).get_yticks()]
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    >>> plt.close(fig)
    """
    for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        lo, hi = min(lo, hi), max(lo, hi)
        eps = (hi - lo) * 1e-9
        locs = [v for v in axis.get_major_locator()() if lo - eps <= v <= hi + eps]
        axis.set_major_locator(mticker.FixedLocator(locs))
    return ax


def panel_size(table: pd.DataFrame, size: tuple[float, float]) -> tuple[float, float]:
    """Figure size for a chart of ``table``: ``size``, or a thin strip when the table is empty.

    Examples
    --------
    >>> panel_size(pd.DataFrame(), (14, 5))
    (14, 0.5)
    """
    return (size[0], 0.5) if table.empty else size
