"""Raw-row queries of the survival analysis: the early-life features of each customer life.

Each function takes the unit's Ibis table and ``keys``, an Ibis table with one row per life
(``customer_id`` as text, ``start_n`` and ``stop_n``: the life's first and last day as epoch
days, see :func:`retention_utils.calendar.epoch_day`), and returns an Ibis table (callers
materialise). A row counts when it is dated from the start of the life up to ``early_days - 1``
days later and not after the life's end (``stop_n``). The lifetimes themselves are
:func:`retention_utils.engine.customer_lifetimes`.
"""
from __future__ import annotations

import ibis

from .core import is_purchase

__all__ = ["early_window", "early_complaints", "first_survey_scores", "early_discounts"]


def early_window(table: ibis.Table, keys: ibis.Table, date_col: str, early_days: int) -> ibis.Table:
    """Rows of ``table`` inside each life's early window, with their epoch day ``day_n``.

    Returns
    -------
    ibis.Table
        The columns of ``table`` joined with ``keys`` (``start_n, stop_n``), plus ``day_n``.
    """
    j = table.join(keys, "customer_id")
    day = j[date_col].epoch_days()
    off = day - j.start_n
    return j.filter((off >= 0) & (off < int(early_days)) & (day <= j.stop_n)).mutate(day_n=day)


def early_complaints(interactions: ibis.Table, keys: ibis.Table, early_days: int) -> ibis.Table:
    """``customer_id`` of the lives with an interaction of kind ``complaint`` in the early window."""
    w = early_window(interactions, keys, "date", early_days)
    return w.filter(w.kind == "complaint").select("customer_id").distinct()


def first_survey_scores(interactions: ibis.Table, keys: ibis.Table, early_days: int) -> ibis.Table:
    """``customer_id, score``: the first scored survey of each life in the early window.

    Several surveys on that first day: the lowest score.
    """
    w = early_window(interactions, keys, "date", early_days)
    sv = w.filter((w.kind == "survey") & w.score.notnull())
    first = sv.group_by("customer_id").aggregate(first_day=sv.day_n.min())
    sv = sv.join(first, "customer_id").filter(lambda x: x.day_n == x.first_day)
    return sv.group_by("customer_id").aggregate(score=sv.score.min())


def early_discounts(orders: ibis.Table, keys: ibis.Table, early_days: int) -> ibis.Table:
    """``customer_id`` of the lives with a purchase with a discount > 0 in the early window.

    ``orders`` must carry a ``discount`` column.
    """
    w = early_window(orders, keys, "order_date", early_days)
    return w.filter(is_purchase(w) & (w.discount > 0)).select("customer_id").distinct()
