"""Churn labels at a cut-off, as an Ibis query (the raw-row part of the churn model's training data).

:func:`churn_labels` marks the customers at risk at a cut-off and whether they churned within the
horizon, on the shared churn definition (:func:`~retention_utils.engine.core.purchase_spells`,
:func:`~retention_utils.engine.core.customer_lifetimes`). The cut-off plan and the stacked training
panel that call it live in :mod:`retention_utils.drivers.labels`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..calendar import EPOCH
from ..errors import ConfigError
from .core import customer_lifetimes, purchase_spells

__all__ = ["churn_labels"]


def _day(d: Any) -> dt.date:
    return pd.Timestamp(d).date()


def _n(d: dt.date) -> int:
    return (d - EPOCH).days


def churn_labels(orders: Any, customers: Any, *, cutoff: dt.date | str, horizon_days: int | None,
                 method: str, inactivity_days: int, spells: Any = None) -> Any:
    """Customers at risk at ``cutoff`` and whether they churned within the horizon.

    Built on the shared churn definition: under ``inactivity``
    :func:`~retention_utils.engine.purchase_spells` (each purchase's churn day,
    reactivations included), under ``explicit``
    :func:`~retention_utils.engine.customer_lifetimes` (the recorded
    cancellation). A cut-off is a day boundary: "before ``t``" means dated
    ``t - 1`` or earlier.

    * at risk at ``t``: under ``inactivity`` a purchase before ``t`` and the churn
      day of the latest such purchase (``last purchase + inactivity_days + 1``,
      or none if they bought again in time) not before ``t``; under ``explicit``
      signed up before ``t`` and no cancellation before ``t``. Customers already
      churned at the cut-off are left out.
    * ``churned``: the first churn day on or after ``t`` falls before
      ``t + horizon_days``.

    Parameters
    ----------
    orders, customers
        Canonical Ibis tables.
    cutoff
        The cut-off date ``t``.
    horizon_days
        ``H``; None returns the customers at risk only (``churned`` null), e.g.
        for scoring the report month.
    method, inactivity_days
        The unit's churn definition (``params: churn``).
    spells
        ``purchase_spells(orders, ...)`` computed once beforehand (cached), to
        label many cut-offs without recomputing it.

    Notes
    -----
    Orders dated after the window cannot change a label, so the spells of all
    the given orders are used: a purchase ``p`` whose next purchase falls after
    ``t + H - 1`` but within ``inactivity_days`` has no churn day with all
    orders and ``p + inactivity_days + 1 >= t + H`` with the orders cut at the
    window's end, "not churned in the window" either way (the naive-loop test,
    which cuts the orders, checks this).

    Returns
    -------
    ibis.Table
        ``customer_id, churned`` (bool; null when ``horizon_days`` is None).
        The caller must make sure the window ``[t, t + H)`` lies within the
        data (see :func:`plan_cutoffs`); later days are unknown.
    """
    import ibis

    t = _day(cutoff)
    tn = _n(t)
    end = t + dt.timedelta(days=(horizon_days or 1) - 1)
    if method == "explicit":
        life = customer_lifetimes(orders, customers, method="explicit", inactivity_days=inactivity_days,
                                  end=max(end, t - dt.timedelta(days=1)))
        life = life.filter(life.start < t)
        life = life.filter(~(life.event & (life.stop < t)))
        churned = life.event if horizon_days else ibis.null("boolean")
        return life.select("customer_id", churned=churned)
    if method != "inactivity":
        raise ConfigError(f"churn.method must be one of {{inactivity, explicit}}. Got {method!r} instead.")
    s = spells if spells is not None else purchase_spells(orders, inactivity_days=inactivity_days, dormant_days=1,
                                                          method="inactivity")
    before = s.filter(s.day_n < tn)
    last = before.group_by("customer_id").aggregate(last_n=before.day_n.max())
    j = s.join(last, "customer_id")
    j = j.filter(j.day_n >= j.last_n)
    first = j.group_by("customer_id").aggregate(churn_n=j.churn_day_n.min())
    first = first.filter(first.churn_n.isnull() | (first.churn_n >= tn))
    if horizon_days:
        churned = first.churn_n.notnull() & (first.churn_n < tn + int(horizon_days))
    else:
        churned = ibis.null("boolean")
    return first.select("customer_id", churned=churned)
