"""The small-sample rule, one helper for every page.

Below the unit's ``thresholds.min_customers`` a section is replaced by one sentence that says what is
missing and how much data would be needed; no significance statement, interval or chart is drawn from
fewer cases than the method needs; period 0 of a cohort (100% by definition) is never compared.

:func:`shortfall` is the rule: it returns None when there is enough, else the sentence. Sections call it
before they compute or draw anything, and show the sentence with
:func:`retention_utils.display.html.shortfall_html`. :data:`NEEDS` states, per method, how many cases
it needs and why, so the sentence can say it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["NEEDS", "shortfall", "enough", "min_customers", "groups_shortfall", "PLACEHOLDERS"]

#: What a method needs, beyond the unit's ``min_customers``: ``method -> (minimum, what is counted, why)``.
NEEDS: dict[str, tuple[int, str, str]] = {
    "share": (0, "customers", "a share and its interval"),
    "chart": (0, "customers", "a chart"),
    "chi_square": (5, "expected customers in every cell", "a chi-square test (fewer make its p-value wrong)"),
    "groups": (2, "groups with enough customers", "a comparison between groups"),
    "log_rank": (10, "churn events in every group", "a log-rank test"),
    "cox": (10, "churn events per factor", "hazard ratios (fewer give unstable estimates)"),
    "model": (50, "churners and 50 stayers", "a churn model"),
}

#: Text that must never reach a page: a placeholder where a number or sentence should be.
PLACEHOLDERS: tuple[str, ...] = ("n/a", "nan", "NaN", "None", "inf", "-inf", "NaT", "<NA>")


def min_customers(cfg: Any, default: int = 30) -> int:
    """The unit's ``thresholds.min_customers`` (``default`` when ``cfg`` has none).

    Examples
    --------
    >>> min_customers(None)
    30
    """
    th = getattr(cfg, "thresholds", None)
    return int(getattr(th, "min_customers", default) or default)


def enough(n: Any, needed: int) -> bool:
    """``n`` is a number and at least ``needed``.

    Examples
    --------
    >>> enough(30, 30), enough(29, 30), enough(float("nan"), 1), enough(None, 1)
    (True, False, False, False)
    """
    try:
        v = float(n)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and v >= needed


def _count(n: Any) -> str:
    try:
        v = float(n)
    except (TypeError, ValueError):
        return "none"
    if not math.isfinite(v) or v <= 0:
        return "none"
    return f"{v:,.0f}"


def shortfall(n: Any, needed: int, *, what: str, counted: str = "customers", where: str = "") -> str | None:
    """None when ``n >= needed``; else the one sentence that replaces the section.

    ``what`` names what is not shown ("the cohort heatmap"), ``counted`` what ``n`` counts, ``where``
    the population (e.g. "in the Nov 2025 cohort").

    Examples
    --------
    >>> shortfall(40, 30, what="the heatmap") is None
    True
    >>> shortfall(3, 30, what="the retention of the Nov 2025 cohort", where="in that cohort")
    'Not shown: the retention of the Nov 2025 cohort needs at least 30 customers; there are 3 in that cohort (27 more needed).'
    >>> shortfall(0, 10, what="a log-rank test", counted="churn events")
    'Not shown: a log-rank test needs at least 10 churn events; there are none (10 more needed).'
    """
    if enough(n, needed):
        return None
    have = _count(n)
    more = needed - (int(float(n)) if have != "none" else 0)
    there = f"there are {have}" + (f" {where}" if where else "")
    return (f"Not shown: {what} needs at least {needed:,} {counted}; {there} ({more:,} more needed).")


def groups_shortfall(sizes: Iterable[Any], needed: int, *, what: str, counted: str = "customers") -> str | None:
    """None when at least two groups have ``needed`` cases each; else the sentence.

    Examples
    --------
    >>> groups_shortfall([120, 8], 30, what="the comparison by channel")
    'Not shown: the comparison by channel needs at least 2 groups with 30 customers each; 1 group has that many.'
    >>> groups_shortfall([40, 35, 2], 30, what="x") is None
    True
    """
    big = sum(1 for s in sizes if enough(s, needed))
    if big >= 2:
        return None
    return (f"Not shown: {what} needs at least 2 groups with {needed:,} {counted} each; "
            f"{'no group has' if big == 0 else '1 group has'} that many.")
