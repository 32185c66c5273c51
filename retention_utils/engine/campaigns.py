"""Raw-row reductions of the campaign report: one row per contact, before and after its send date.

A *contact* is one row of the campaigns table (a customer in a campaign, treatment or control, with the
send date ``t``). :func:`contact_outcomes` joins every contact with the customer's orders (and
interactions) once and returns, per contact:

* what was known before ``t`` (pre-period covariates for the balance check, CUPED and the uplift
  model; nothing dated on or after ``t`` is read for them: no look-ahead);
* whether the customer was at risk on ``t`` under the shared churn definition
  (:func:`~retention_utils.engine.core.purchase_spells`; the same rule as
  :func:`~retention_utils.engine.labels.churn_labels`), or already lapsed (a win-back target);
* what happened from ``t`` on: purchases and revenue in each window ``[t, t + w)``, the first purchase
  on or after ``t``, the first churn day on or after ``t``, each with a flag saying whether the window
  is observed by the end of the data (``end``): a window that has not elapsed is unknown, never zero.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis

from ..calendar import EPOCH, epoch_day
from .core import is_purchase, purchase_spells

__all__ = ["contact_outcomes", "PRE_COLUMNS"]

#: Pre-period covariates of a contact (known before the send date), in report order.
PRE_COLUMNS: tuple[str, ...] = ("tenure_days", "recency_days", "n_purchases_before", "revenue_pre",
                                "purchases_pre", "n_complaints_before", "latest_score_before")


def _n(d: dt.date) -> int:
    return (d - EPOCH).days


def contact_outcomes(orders: ibis.Table, customers: ibis.Table, contacts: ibis.Table, *,
                     end: dt.date, method: str, inactivity_days: int, windows: Sequence[int] = (30, 60, 90),
                     horizon_days: int = 90, pre_days: int = 90,
                     interactions: ibis.Table | None = None) -> ibis.Table:
    """Each contact with its pre-period covariates and its outcomes after the send date.

    Parameters
    ----------
    orders, customers
        Canonical tables; orders dated after ``end`` are not read.
    contacts
        ``customer_id, campaign_id, sent_date, group`` (and ``cost``), one row per contact; contacts sent
        after ``end`` are left out by the caller.
    end
        The last day of data (the report month's end).
    method, inactivity_days
        The unit's churn definition (``params: churn``).
    windows
        Outcome windows in days (``purchased_<w>``, ``revenue_<w>``, ``purchases_<w>``, ``observed_<w>``).
    horizon_days
        The churn horizon (``churned_h``, ``observed_h``).
    pre_days
        Length of the pre-period of ``revenue_pre`` and ``purchases_pre``.
    interactions
        Canonical interactions, optional (complaints and the latest survey score before ``t``).

    Returns
    -------
    ibis.Table
        ``campaign_id, customer_id, group, cost, sent_date`` and

        * ``tenure_days`` (days from signup, or the first purchase, to ``t``), ``recency_days`` (days
          since the latest purchase before ``t``; null if none), ``n_purchases_before`` (purchase days
          before ``t``), ``revenue_pre``, ``purchases_pre`` (net revenue and purchase days in
          ``[t - pre_days, t)``), ``n_complaints_before``, ``latest_score_before`` (null without
          interactions);
        * ``at_risk``: not churned on ``t`` (``inactivity``: the churn day of the latest purchase before
          ``t`` is not before ``t``; ``explicit``: signed up before ``t``, no cancellation before it);
        * per window ``w``: ``purchased_<w>`` (a purchase in ``[t, t + w)``), ``purchases_<w>``,
          ``revenue_<w>`` (net) and ``observed_<w>`` (``t + w - 1 <= end``);
        * ``churn_days`` (days from ``t`` to the first churn day on or after it, or to the end of data
          when none is known) and ``churn_event``; ``churned_h`` (churn day before ``t + horizon_days``)
          and ``observed_h``;
        * ``purchase_days`` (days from ``t`` to the first purchase on or after it, or to the end of
          data) and ``purchase_event``.
    """
    end_n = _n(end)
    d = int(inactivity_days)
    c = contacts.mutate(t_n=epoch_day(contacts.sent_date))
    c = c.mutate(_row=ibis.row_number())
    keys = c.select("_row", "customer_id", "t_n")

    o = orders.filter(orders.order_date <= end)
    daily = o.group_by("customer_id", "order_date").aggregate(
        amount=o.amount.sum(), bought=is_purchase(o).any())
    daily = daily.mutate(day_n=epoch_day(daily.order_date))
    j = keys.join(daily, "customer_id")
    rel = j.day_n - j.t_n  # < 0 before the send date
    before = rel < 0
    buy = j.bought

    def cnt(cond: ibis.Value) -> ibis.Value:
        return (cond & buy).cast("int64").sum()

    def rev(cond: ibis.Value) -> ibis.Value:
        return ibis.ifelse(cond, j.amount, 0.0).sum()

    aggs = {
        "last_before_n": ibis.ifelse(before & buy, j.day_n, ibis.null("int64")).max(),
        "first_buy_n": ibis.ifelse(before & buy, j.day_n, ibis.null("int64")).min(),  # known on t
        "n_purchases_before": cnt(before),
        "revenue_pre": rev(before & (rel >= -int(pre_days))),
        "purchases_pre": cnt(before & (rel >= -int(pre_days))),
        "next_buy_n": ibis.ifelse((~before) & buy, j.day_n, ibis.null("int64")).min(),
    }
    for w in windows:
        inside = (~before) & (rel < int(w))
        aggs[f"purchases_{w}"] = cnt(inside)
        aggs[f"revenue_{w}"] = rev(inside)
    per = j.group_by("_row").aggregate(**aggs)
    out = c.left_join(per, "_row").drop("_row_right")

    if interactions is not None:
        i = interactions.mutate(day_n=epoch_day(interactions.date))
        ji = keys.join(i, "customer_id")
        ji = ji.filter(ji.day_n < ji.t_n)
        kinds = ji.kind.cast("string").lower()
        scored = ji.score.notnull()
        ia = ji.group_by("_row").aggregate(
            n_complaints_before=kinds.contains("complain").cast("int64").sum(),
            _last_score_n=ibis.ifelse(scored, ji.day_n, ibis.null("int64")).max())
        last = ji.filter(scored).select("_row", _last_score_n="day_n", score="score")
        last = last.group_by("_row", "_last_score_n").aggregate(latest_score_before=last.score.min())
        ia = ia.left_join(last, ["_row", "_last_score_n"]).drop("_row_right", "_last_score_n_right")
        out = out.left_join(ia.drop("_last_score_n"), "_row").drop("_row_right")
    else:
        out = out.mutate(n_complaints_before=ibis.null("int64"), latest_score_before=ibis.null("float64"))

    # churn: the first churn day on or after t (shared definition)
    if method == "explicit":
        cu = customers.select("customer_id", _signup_n=epoch_day(customers.signup_date),
                              _churn_n=epoch_day(customers.churn_date))
        out = out.left_join(cu, "customer_id").drop("customer_id_right")
        start_n = ibis.coalesce(out._signup_n, out.first_buy_n)
        churn_n = out._churn_n
        at_risk = (start_n < out.t_n) & (churn_n.isnull() | (churn_n >= out.t_n))
    else:
        s = purchase_spells(o, inactivity_days=d, dormant_days=1, method="inactivity")
        s = s.filter(s.churn_day_n.notnull()).select("customer_id", "churn_day_n")
        js = keys.join(s, "customer_id")
        js = js.filter(js.churn_day_n >= js.t_n)
        first = js.group_by("_row").aggregate(_churn_n=js.churn_day_n.min())
        out = out.left_join(first, "_row").drop("_row_right")
        churn_n = out._churn_n
        start_n = out.first_buy_n
        at_risk = out.last_before_n.notnull() & (out.last_before_n >= out.t_n - (d + 1))
    known = churn_n.notnull() & (churn_n <= end_n)
    churn_days = ibis.ifelse(known, churn_n, ibis.literal(end_n + 1)) - out.t_n
    cols = {
        "tenure_days": (out.t_n - start_n).cast("float64"),
        "recency_days": (out.t_n - out.last_before_n).cast("float64"),
        "n_purchases_before": out.n_purchases_before.fill_null(0),
        "revenue_pre": out.revenue_pre.fill_null(0.0),
        "purchases_pre": out.purchases_pre.fill_null(0),
        "n_complaints_before": out.n_complaints_before.fill_null(0) if interactions is not None
        else out.n_complaints_before,
        "latest_score_before": out.latest_score_before.cast("float64"),
        "at_risk": at_risk.fill_null(False),
    }
    for w in windows:
        cols[f"purchases_{w}"] = out[f"purchases_{w}"].fill_null(0)
        cols[f"purchased_{w}"] = out[f"purchases_{w}"].fill_null(0) > 0
        cols[f"revenue_{w}"] = out[f"revenue_{w}"].fill_null(0.0)
        cols[f"observed_{w}"] = (out.t_n + (int(w) - 1)) <= end_n
    cols.update(
        churn_days=churn_days, churn_event=known,
        churned_h=known & (churn_n < out.t_n + int(horizon_days)),
        observed_h=(out.t_n + (int(horizon_days) - 1)) <= end_n,
        purchase_days=ibis.coalesce(out.next_buy_n, ibis.literal(end_n + 1)) - out.t_n,
        purchase_event=out.next_buy_n.notnull(),
    )
    base = [x for x in ("campaign_id", "customer_id", "group", "cost", "sent_date") if x in out.columns]
    return out.select(*base, **cols)
