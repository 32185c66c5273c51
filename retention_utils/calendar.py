"""Calendar arithmetic shared by every analysis: month and period indexes, month ends.

One place for the integer month and period numbering the engine's Ibis expressions use
(``year * 12 + month - 1``, epoch days) and its Python twins, so that a query and the code
reading its result can never disagree about what "month 24302" is.
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt

import ibis

__all__ = [
    "EPOCH",
    "DAYS_PER_MONTH",
    "month_index",
    "epoch_day",
    "month_index_py",
    "index_to_month",
    "period_index",
    "period_index_py",
    "period_start_py",
    "month_end",
    "last_complete_period",
]

#: Day 0 of the epoch-day numbering (:func:`epoch_day`).
EPOCH = dt.date(1970, 1, 1)

#: Average days per month (a Julian year / 12): durations in days become months with this.
DAYS_PER_MONTH = 365.25 / 12

PERIODS = ("month", "quarter", "week")


def month_index(d: ibis.Value) -> ibis.Value:
    """Integer month number ``year * 12 + month - 1`` of a date expression."""
    return d.year() * 12 + d.month() - 1


def epoch_day(d: ibis.Value) -> ibis.Value:
    """Integer days since 1970-01-01 of a date expression."""
    return d.epoch_days()


def month_index_py(d: dt.date) -> int:
    """Python twin of :func:`month_index`.

    Examples
    --------
    >>> month_index_py(dt.date(2025, 3, 31))
    24302
    """
    return d.year * 12 + d.month - 1


def index_to_month(idx: int) -> dt.date:
    """First day of the month with index ``idx``.

    Examples
    --------
    >>> index_to_month(24302)
    datetime.date(2025, 3, 1)
    """
    return dt.date(idx // 12, idx % 12 + 1, 1)


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"The 'period' parameter must be one of {{'month', 'quarter', 'week'}}. Got {period!r} "
                         "instead.")


def period_index(d: ibis.Value, period: str) -> ibis.Value:
    """Integer index of the calendar period containing date ``d``.

    ``month``: ``year * 12 + month - 1``; ``quarter``: ``year * 4 + (month - 1) // 3``;
    ``week``: weeks starting on Monday, ``(epoch_day + 3) // 7`` (1970-01-01 was a Thursday).
    """
    _check_period(period)
    if period == "month":
        return month_index(d)
    if period == "quarter":
        return d.year() * 4 + (d.month() - 1) // 3
    return (epoch_day(d) + 3) // 7


def period_index_py(d: dt.date, period: str) -> int:
    """Python twin of :func:`period_index`.

    Examples
    --------
    >>> period_index_py(dt.date(2024, 5, 31), "quarter"), period_index_py(dt.date(1970, 1, 5), "week")
    (8097, 1)
    """
    if period == "month":
        return month_index_py(d)
    if period == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    return ((d - EPOCH).days + 3) // 7


def period_start_py(idx: int, period: str) -> dt.date:
    """First day of the period with index ``idx`` (inverse of :func:`period_index_py`).

    Examples
    --------
    >>> period_start_py(period_index_py(dt.date(2024, 5, 31), "quarter"), "quarter")
    datetime.date(2024, 4, 1)
    """
    if period == "month":
        return index_to_month(idx)
    if period == "quarter":
        return dt.date(idx // 4, (idx % 4) * 3 + 1, 1)
    return EPOCH + dt.timedelta(days=idx * 7 - 3)


def month_end(month_start: dt.date) -> dt.date:
    """Last day of the month containing ``month_start``.

    Examples
    --------
    >>> month_end(dt.date(2024, 2, 1))
    datetime.date(2024, 2, 29)
    """
    return month_start.replace(day=_calendar.monthrange(month_start.year, month_start.month)[1])


def last_complete_period(month_end: dt.date, period: str) -> int:
    """Index of the last period that has fully ended on or before ``month_end``.

    Examples
    --------
    >>> last_complete_period(dt.date(2024, 5, 31), "quarter") == period_index_py(dt.date(2024, 3, 31), "quarter")
    True
    """
    idx = period_index_py(month_end, period)
    if period_index_py(month_end + dt.timedelta(days=1), period) == idx:  # the period goes on after month_end
        idx -= 1
    return idx
