"""Plain-language number and date wording of the drivers' own text outputs.

The analysis writes sentences that are part of its results (the ``reasons`` column of the
at-risk CSV, the validation text, the notes, the scorecard bands' meaning), so their wording
must not depend on presentation code: analyses never import :mod:`retention_utils.display`.
These helpers are that wording, kept here, once, for the drivers package (the display
module reuses :func:`fmt_day` rather than defining a second day format). Changing them changes
the at-risk CSV.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["fmt_day", "to_float", "plural", "money_short", "share"]


def fmt_day(d: Any) -> str:
    """A day as ``1 Oct 2025`` (no leading zero).

    Examples
    --------
    >>> fmt_day("2025-10-01")
    '1 Oct 2025'
    """
    return pd.Timestamp(d).strftime("%d %b %Y").lstrip("0")


def to_float(v: Any) -> float:
    """``float(v)``, NaN when it is not a number.

    Examples
    --------
    >>> to_float("3"), to_float(None)
    (3.0, nan)
    """
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def plural(n: float, word: str) -> str:
    """``1 purchase``, ``2 purchases`` (thousands separated, whole numbers).

    Examples
    --------
    >>> plural(1, "purchase"), plural(1200, "complaint")
    ('1 purchase', '1,200 complaints')
    """
    return f"{n:,.0f} {word}{'' if round(n) == 1 else 's'}"


def money_short(v: float, currency: str = "") -> str:
    """An amount in a sentence: ``EUR 38k``, ``EUR 2.3M``, ``EUR 950``.

    Examples
    --------
    >>> money_short(37764.06, "EUR"), money_short(2_345_678, "EUR"), money_short(950.4, "")
    ('EUR 38k', 'EUR 2.3M', '950')
    """
    a = abs(v)
    text = f"{v / 1e6:.1f}M" if a >= 1e6 else (f"{v / 1e3:.0f}k" if a >= 1e3 else f"{v:,.0f}")
    return f"{currency} {text}".strip()


def share(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a whole percentage, never rounded to ``0%`` or ``100%`` when it is neither.

    Examples
    --------
    >>> share(13, 10_802), share(1, 4), share(418_091, 418_960), share(0, 5), share(5, 5), share(1, 100_000)
    ('0.1%', '25%', '99.8%', '0%', '100%', 'under 0.1%')
    """
    v = part / whole if whole else float("nan")
    if v != v:
        return "n/a"
    if v <= 0 or v >= 1:
        return f"{v:.0%}"
    if v < 0.005:
        return "under 0.1%" if v < 0.0005 else f"{v:.1%}"
    if v > 0.995:
        return "over 99.9%" if v > 0.9995 else f"{v:.1%}"
    return f"{v:.0%}"

