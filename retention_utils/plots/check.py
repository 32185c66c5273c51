"""Checks a drawn figure as a picture: text over text, text outside the figure, legends over data.

matplotlib knows where it drew every piece of text (``Text.get_window_extent``), so the defects a
reader sees (labels printed over each other, a label running into the next panel or off the edge,
a legend covering bars) can be found without looking at the PNG. :func:`figure_problems` lists them;
:func:`install_check` runs it on every figure a notebook shows, and the report tests run the demo
and a small unit with it on (``RETENTION_FIGURE_CHECK``) and require an empty list.
"""
from __future__ import annotations

import json
import os
from itertools import combinations
from typing import Any

from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

__all__ = ["figure_problems", "install_check", "CHECK_ENV"]

#: When set to a file path, every figure a notebook shows is checked and its problems appended there
#: (one JSON line per figure with problems).
CHECK_ENV = "RETENTION_FIGURE_CHECK"

_TOL = 1.0  # pixels of overlap tolerated (anti-aliasing)


def _hidden_ticks(fig: Figure) -> set[int]:
    """Tick labels of ticks beyond the axis limits: matplotlib lays them out but never draws them."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-9
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                loc = tick.get_loc()
                if loc is None or not (lo - eps <= loc <= hi + eps):
                    out.update({id(tick.label1), id(tick.label2)})
    return out


def _texts(fig: Figure) -> list[Text]:
    hidden = _hidden_ticks(fig)
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden:
            continue
        if not t.get_visible() or not t.get_text().strip() or t.get_alpha() == 0:
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        out.append(t)
    return out


def _overlap(a, b) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > _TOL) and (min(a.y1, b.y1) - max(a.y0, b.y0) > _TOL)


def _inside_legend(t: Text, legends: list[Legend]) -> bool:
    return any(t in leg.get_texts() or t is leg.get_title() for leg in legends)


def figure_problems(fig: Figure) -> list[str]:
    """What a reader would see as broken in ``fig``: overlapping text, text cut at the edge, legends on data.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(3, 2))
    >>> _ = ax.text(0.5, 0.5, "first label"); _ = ax.text(0.5, 0.5, "second label"); fig.tight_layout()
    >>> figure_problems(fig)
    ["text 'first label' overlaps text 'second label'"]
    >>> plt.close(fig)
    """
    if not hasattr(fig.canvas, "get_renderer"):  # a closed figure keeps a bare canvas: draw it with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    fb = fig.bbox
    problems = []
    texts = _texts(fig)
    boxes = []
    for t in texts:
        try:
            bb = t.get_window_extent(renderer)
        except (RuntimeError, ValueError):
            continue
        if bb.width <= 0 or bb.height <= 0:
            continue
        boxes.append((t, bb))
        if bb.x0 < fb.x0 - _TOL or bb.y0 < fb.y0 - _TOL or bb.x1 > fb.x1 + _TOL or bb.y1 > fb.y1 + _TOL:
            problems.append(f"text {t.get_text()!r} falls outside the figure")
    for (ta, a), (tb, b) in combinations(boxes, 2):
        if _overlap(a, b):
            problems.append(f"text {ta.get_text()!r} overlaps text {tb.get_text()!r}")
    # a legend over the data: its box covers a bar (patches of the same axes) or a data point of a line
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or not leg.get_visible():
            continue
        lb = leg.get_window_extent(renderer)
        for p in ax.patches:
            if isinstance(p, Rectangle) and p.get_visible() and p.get_height() != 0 and p.get_width() != 0:
                pb = p.get_window_extent(renderer)
                if _overlap(lb, pb):
                    problems.append(f"the legend of {ax.get_title() or 'a chart'!r} covers bars")
                    break
        for line in ax.get_lines():
            if not line.get_visible() or line.get_label().startswith("_"):
                continue
            xy = ax.transData.transform(line.get_xydata()) if len(line.get_xydata()) else []
            if any(lb.x0 + _TOL < x < lb.x1 - _TOL and lb.y0 + _TOL < y < lb.y1 - _TOL for x, y in xy):
                problems.append(f"the legend of {ax.get_title() or 'a chart'!r} covers data points")
                break
    # texts inside one legend never overlap each other by construction; drop duplicates
    return list(dict.fromkeys(problems))


def _record(problems: list[str], fig: Figure, path: str) -> None:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"titles": titles, "problems": problems}) + "\n")


def install_check(shell: Any = None) -> bool:
    """Check every figure a notebook shows (when ``RETENTION_FIGURE_CHECK`` names a file): problems go there.

    Runs before the inline backend shows and closes the cell's figures. Returns whether it was installed.
    """
    path = os.environ.get(CHECK_ENV)
    if not path or shell is None:
        return False
    import matplotlib.pyplot as plt

    def check() -> None:
        for num in plt.get_fignums():
            fig = plt.figure(num)
            try:
                found = figure_problems(fig)
            except Exception as exc:  # a check must not break a report
                found = [f"check failed: {type(exc).__name__}: {exc}"]
            if found:
                _record(found, fig, path)

    callbacks = shell.events.callbacks["post_execute"]
    if not any(getattr(c, "__name__", "") == "_retention_figure_check" for c in callbacks):
        check.__name__ = "_retention_figure_check"
        callbacks.insert(0, check)  # before matplotlib_inline's flush_figures, which closes them
    return True
