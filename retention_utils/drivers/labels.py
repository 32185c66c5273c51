"""The cut-off plan and the stacked training panel of the churn model (labels: engine.labels).

* **Label** (:func:`retention_utils.engine.labels.churn_labels`, re-exported here): a customer at
  risk at a cut-off ``t`` (a customer before ``t`` and not churned before ``t``, under the unit's
  shared churn definition,
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

from ..engine import purchase_spells
from ..engine.features import customer_features
from ..engine.labels import churn_labels

__all__ = ["churn_labels", "CutoffPlan", "plan_cutoffs", "training_panel"]  # churn_labels: from engine.labels


def _day(d: Any) -> dt.date:
    return pd.Timestamp(d).date()




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
    for a in attributes:  # a few levels repeated on every row: categories (codes), not one string per row
        out[a] = out[a].astype(object).where(out[a].notna(), "(missing)").astype(str).astype("category")
    if horizon_days:
        out["churned"] = out["churned"].astype(bool)
    return out.sort_values(["cutoff", "customer_id"]).reset_index(drop=True)
