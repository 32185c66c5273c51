"""Formatters used by every page: percent, money, count, p-value, delta, month name.

One set, so that a number looks the same on every page. Missing values print as ``n/a``.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..drivers._text import share  # the analyses' own wording of a share (they never import display): one definition

__all__ = ["NA", "MODEL_LABELS", "is_missing", "pct", "share", "side_kept", "pp", "money", "count", "number", "pvalue",
           "month_name", "month_short", "fmt_value", "fmt_delta"]

#: What a page shows where a value is missing.
NA = "n/a"

#: The churn models' names on every page and chart.
MODEL_LABELS = {"baseline": "Baseline rule", "logit": "Logistic regression", "hgb": "Gradient boosting (calibrated)"}


def is_missing(v: Any) -> bool:
    """True for None, NaN, NA and infinities.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(float("inf")), is_missing(0)
    (True, True, True, False)
    """
    if v is None:
        return True
    try:
        return not math.isfinite(float(v))
    except (TypeError, ValueError):
        return bool(pd.isna(v))


def pct(v: Any, digits: int = 1) -> str:
    """A fraction as a percentage.

    Examples
    --------
    >>> pct(0.0412), pct(0.25, 0), pct(None)
    ('4.1%', '25%', 'n/a')
    """
    return NA if is_missing(v) else f"{float(v) * 100:.{digits}f}%"


def pp(v: Any, digits: int = 1, *, sign: bool = True) -> str:
    """A difference of two fractions in percentage points.

    Examples
    --------
    >>> pp(0.012), pp(-0.05, 0)
    ('+1.2 pp', '-5 pp')
    """
    if is_missing(v):
        return NA
    return f"{float(v) * 100:{'+' if sign else ''}.{digits}f} pp"


def money(v: Any, currency: str = "", *, compact: bool = False) -> str:
    """An amount with its currency: whole units from 100 up, cents below; ``compact`` abbreviates.

    Examples
    --------
    >>> money(1234.5, "EUR"), money(12.345, "EUR"), money(None, "EUR")
    ('EUR 1,234', 'EUR 12.35', 'n/a')
    >>> money(2_345_678, "EUR", compact=True), money(23_456, "EUR", compact=True), money(950, "EUR", compact=True)
    ('EUR 2.3M', 'EUR 23k', 'EUR 950')
    """
    if is_missing(v):
        return NA
    v = float(v)
    prefix = f"{currency} " if currency else ""
    if compact:
        if abs(v) >= 1e6:
            return f"{prefix}{v / 1e6:,.1f}M"
        if abs(v) >= 1e4:
            return f"{prefix}{v / 1e3:,.0f}k"
        return f"{prefix}{v:,.0f}"
    return f"{prefix}{v:,.0f}" if abs(v) >= 100 else f"{prefix}{v:,.2f}"


def count(v: Any) -> str:
    """A whole number with thousands separators.

    Examples
    --------
    >>> count(12345), count(float("nan"))
    ('12,345', 'n/a')
    """
    return NA if is_missing(v) else f"{float(v):,.0f}"


def number(v: Any, digits: int = 1) -> str:
    """A decimal number with ``digits`` decimals (months, ratios).

    Examples
    --------
    >>> number(3.14159), number(2.5, 2), number(None)
    ('3.1', '2.50', 'n/a')
    """
    return NA if is_missing(v) else f"{float(v):,.{digits}f}"


def pvalue(p: Any) -> str:
    """A p-value: ``< 0.001`` below that, else three decimals.

    Examples
    --------
    >>> pvalue(0.00002), pvalue(0.0432), pvalue(float("nan"))
    ('< 0.001', '0.043', 'n/a')
    """
    if is_missing(p):
        return NA
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def month_name(month: Any) -> str:
    """``March 2025``.

    Examples
    --------
    >>> import datetime as dt
    >>> month_name(dt.date(2025, 3, 1)), month_short(dt.date(2025, 3, 1))
    ('March 2025', 'Mar 2025')
    """
    return pd.Timestamp(month).strftime("%B %Y")


def month_short(month: Any) -> str:
    """``Mar 2025``."""
    return pd.Timestamp(month).strftime("%b %Y")


def fmt_value(value: float, kind: str, currency: str = "") -> str:
    """Format a KPI value by its kind (``money``, ``rate``, ``count``).

    Examples
    --------
    >>> fmt_value(1234.5, "money", "EUR")
    'EUR 1,234'
    >>> fmt_value(0.0412, "rate")
    '4.1%'
    >>> fmt_value(float("nan"), "count")
    'n/a'
    """
    if kind == "money":
        return money(value, currency)
    if kind == "rate":
        return pct(value)
    return count(value)


def fmt_delta(delta: float, pct_change: float, kind: str, currency: str = "") -> str:
    """Format a change: percentage points for rates, else absolute and relative.

    Examples
    --------
    >>> fmt_delta(0.012, float("nan"), "rate")
    '+1.2 pp'
    >>> fmt_delta(-50, -0.1, "count")
    '-50 (-10.0%)'
    >>> fmt_delta(0.11, 0.006, "money", "EUR")
    '+EUR 0.11 (+0.6%)'
    """
    if is_missing(delta):
        return NA
    if kind == "rate":
        return pp(delta)
    if kind == "money":
        digits = 0 if abs(delta) >= 100 else 2
        base = f"{'+' if delta >= 0 else '-'}{currency} {abs(delta):,.{digits}f}"
    else:
        base = f"{delta:+,.0f}"
    if not is_missing(pct_change):
        base += f" ({pct_change * 100:+.1f}%)"
    return base


def side_kept(null: float, digits: int, scale: float = 1.0, unit: str = "") -> Any:
    """A formatter of interval limits that never rounds a limit onto the no-effect value ``null`` (a range
    "0% to 14%" beside "clear: yes" when the limit is 0.4%): up to two more decimals where needed.

    Examples
    --------
    >>> f = side_kept(0, 0, 100, "%")
    >>> f(0.004), f(0.14), f(0.0), f(-0.0004)
    ('0.4%', '14%', '0%', '-0.04%')
    >>> side_kept(1, 1)(1.004), side_kept(1, 2)(None)
    ('1.004', 'n/a')
    """
    def fmt(v: float) -> str:
        if is_missing(v):
            return NA
        x = float(v) * scale
        for d in range(digits, digits + 3):
            if round(x, d) != null * scale or x == null * scale:
                break
        return f"{x:,.{d}f}{unit}"
    return fmt
