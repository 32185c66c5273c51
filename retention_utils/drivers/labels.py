"""Churn labels at monthly cut-offs, the cut-off plan and the stacked training panel.

* **Label** (:func:`churn_labels`): a customer at risk at a cut-off ``t`` (a customer before ``t``
  and not churned before ``t``, under the unit's shared churn definition,
  :func:`retention_utils.engine.purchase_spells` / :func:`retention_utils.engine.customer_lifetimes`)
  is labelled churned when their churn day falls in ``[t, t + H)``, ``H = drivers.horizon_days``.
  A cut-off is used only when its whole window lies within the data.
* **Features** (:mod:`retention_utils.engine.features`): information dated strictly before ``t``.
* **Validation out of time** (:func:`plan_cutoffs`): the models learn from ``drivers.n_cutoffs``
  monthly cut-offs whose labels were complete *before* the evaluation cut-off (the latest fully
  observed one), and are scored there on customers and months they never saw; the models that
  score the report month are then refitted, with the same recipe, on the latest cut-offs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..calendar import EPOCH
from ..engine import customer_lifetimes, purchase_spells
from ..engine.features import customer_features
from ..errors import ConfigError

__all__ = ["churn_labels", "CutoffPlan", "plan_cutoffs", "training_panel"]


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


@dataclass(frozen=True)
class CutoffPlan:
    """Monthly cut-offs of one run.

    Attributes
    ----------
    train : tuple of date
        Cut-offs the validation models learn from; their label windows end
        before ``evaluate`` (nothing from the evaluation period is learnt).
    evaluate : date or None
        The latest fully observed cut-off: the out-of-time test (None when the
        data is too short).
    final : tuple of date
        Cut-offs the scoring models learn from (the latest fully observed ones).
    score : date
        The day after the report month: every active customer is scored as of it.
    horizon_days : int
    """

    train: tuple[dt.date, ...]
    evaluate: dt.date | None
    final: tuple[dt.date, ...]
    score: dt.date
    horizon_days: int

    def all_labelled(self) -> list[dt.date]:
        """Every cut-off that needs labels, sorted."""
        return sorted(set(self.train) | set(self.final) | ({self.evaluate} if self.evaluate else set()))


def plan_cutoffs(*, month_end: dt.date, data_start: dt.date, horizon_days: int, n_cutoffs: int,
                 min_history_days: int = 90) -> CutoffPlan:
    """Choose the monthly cut-offs (first days of months).

    A cut-off ``t`` is usable when at least ``min_history_days`` of data precede
    it and its label window ``[t, t + H)`` ends by ``month_end``.

    Examples
    --------
    >>> p = plan_cutoffs(month_end=dt.date(2025, 12, 31), data_start=dt.date(2023, 1, 1),
    ...                  horizon_days=90, n_cutoffs=3)
    >>> p.evaluate, p.train[0], p.train[-1], p.final[-1], p.score
    (datetime.date(2025, 10, 1), datetime.date(2025, 5, 1), datetime.date(2025, 7, 1), datetime.date(2025, 10, 1), datetime.date(2026, 1, 1))
    """
    h = int(horizon_days)
    score = month_end + dt.timedelta(days=1)
    first_ok = data_start + dt.timedelta(days=int(min_history_days))
    cands = []
    m = month_end.replace(day=1)
    while m >= first_ok:
        if m + dt.timedelta(days=h - 1) <= month_end:
            cands.append(m)
        m = (m - dt.timedelta(days=1)).replace(day=1)
    cands.sort()
    if not cands:
        return CutoffPlan((), None, (), score, h)
    evaluate = cands[-1]
    train = [c for c in cands if c + dt.timedelta(days=h) <= evaluate][-int(n_cutoffs):]
    final = cands[-int(n_cutoffs):]
    return CutoffPlan(tuple(train), evaluate, tuple(final), score, h)


def training_panel(data: Any, cutoffs: Sequence[dt.date], *, horizon_days: int | None,
                   attributes: Sequence[str] = ()) -> pd.DataFrame:
    """Features and labels of the customers at risk at each cut-off, stacked.

    Returns
    -------
    DataFrame
        One row per customer and cut-off: ``customer_id, cutoff``, the features
        (:func:`~retention_utils.features.customer_features`), the auxiliary
        columns, the attributes (missing as ``"(missing)"``) and ``churned``
        (bool; missing when ``horizon_days`` is None).
    """
    import pyarrow as pa

    ch = data.config.churn
    if not cutoffs:
        return pd.DataFrame()
    spells = None
    if ch.method == "inactivity":  # once for every cut-off, kept in the engine while the cut-offs are read
        spells = purchase_spells(data.orders, inactivity_days=ch.inactivity_days, dormant_days=1,
                                 method="inactivity").select("customer_id", "day_n", "churn_day_n").cache()
    parts = []
    try:
        for t in cutoffs:  # one query per cut-off: the engine's memory peaks at one cut-off's worth
            f = customer_features(data.orders, data.customers, cutoff=t, interactions=data.interactions,
                                  campaigns=data.campaigns, attributes=attributes)
            lab = churn_labels(data.orders, data.customers, cutoff=t, horizon_days=horizon_days, method=ch.method,
                               inactivity_days=ch.inactivity_days, spells=spells)
            parts.append(f.join(lab, "customer_id").to_pyarrow())
    finally:
        if spells is not None:
            spells.release()
    table = pa.concat_tables(parts)
    del parts
    out = table.to_pandas()
    del table
    out["cutoff"] = pd.to_datetime(out["cutoff"])
    for a in attributes:
        out[a] = out[a].astype(object).where(out[a].notna(), "(missing)").astype(str)
    if horizon_days:
        out["churned"] = out["churned"].astype(bool)
    return out.sort_values(["cutoff", "customer_id"]).reset_index(drop=True)
