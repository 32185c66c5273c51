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

__all__ = ["fmt_day", "to_float", "plural", "money_short"]


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
