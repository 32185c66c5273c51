"""Raw-row reductions of the customer-value report (RFM, lifecycle stages, CLV inputs, cross-sell baskets).

Every query takes the canonical tables and a date ``as_of`` (a month end): orders dated after it are
never read (no look-ahead). Purchases are :func:`~retention_utils.engine.core.is_purchase` orders;
monetary values are net (refunds deducted) unless a docstring says otherwise.

The lifecycle stage of a customer at a month end uses the shared churn definition of
:func:`~retention_utils.engine.core.purchase_spells` / :func:`~retention_utils.engine.core.customer_snapshot`
(churned, dormant), so the stage counts equal the KPI overview's counts:

* ``churned``: churned at the month end (KPI ``n_churned_total_end``);
* ``dormant``: dormant at the month end (KPI ``n_dormant_end``);
* the remaining customers are active at the month end (KPI ``n_active_end``), split into ``new``
  (acquired in the month), ``reactivated`` (bought again in the month after a churning gap),
  ``declining`` (spend of the last ``trend_days`` below ``decline_ratio`` x the ``trend_days`` before),
  ``growing`` (acquired less than ``mature_days`` ago) and ``mature`` (the rest), in that order.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from ..calendar import EPOCH, epoch_day
from .core import customer_key, is_purchase, purchase_spells

__all__ = ["STAGES", "rfm_inputs", "revenue_history", "btyd_summary", "stage_table", "stage_counts", "category_pairs"]

#: Lifecycle stages, in report order.
STAGES: tuple[str, ...] = ("new", "reactivated", "growing", "mature", "declining", "dormant", "churned")


def _n(d: dt.date) -> int:
    return (d - EPOCH).days


def rfm_inputs(orders: ibis.Table, *, as_of: dt.date) -> ibis.Table:
    """Recency, frequency and monetary value of every customer who bought by ``as_of``.

    Returns
    -------
    ibis.Table
        ``customer_id, recency_days`` (days from the last purchase to ``as_of``), ``frequency``
        (purchases: orders with a positive amount), ``monetary`` (net revenue to date: purchases minus
        refunds, NULL when the export has no amounts), ``first_purchase, last_purchase``.
    """
    o = orders.filter(orders.order_date <= as_of)
    buys = o.filter(is_purchase(o))
    per = buys.group_by("customer_id").aggregate(
        first_purchase=buys.order_date.min(), last_purchase=buys.order_date.max(), frequency=buys.count())
    rev = o.group_by("customer_id").aggregate(monetary=o.amount.sum())
    t = per.left_join(rev, "customer_id").drop("customer_id_right")
    return t.mutate(recency_days=_n(as_of) - epoch_day(t.last_purchase))


def revenue_history(orders: ibis.Table, *, as_of: dt.date) -> ibis.Table:
    """Net revenue per customer to date, over the last 365 days and the last 90 days (up to ``as_of``).

    Returns
    -------
    ibis.Table
        ``customer_id, historical_revenue, revenue_12m, revenue_90d`` (refunds deducted; 0 without amounts).
    """
    o = orders.filter(orders.order_date <= as_of)
    y = as_of - dt.timedelta(days=365)
    q = as_of - dt.timedelta(days=90)
    amt = o.amount.fill_null(0.0)
    return o.group_by("customer_id").aggregate(
        historical_revenue=amt.sum(), revenue_12m=(amt * (o.order_date > y).cast("float64")).sum(),
        revenue_90d=(amt * (o.order_date > q).cast("float64")).sum())


def btyd_summary(orders: ibis.Table, *, calibration_end: dt.date, holdout_end: dt.date | None = None) -> ibis.Table:
    """Per-customer inputs of BG/NBD and Gamma-Gamma, with the purchases of a holdout period.

    A transaction is a purchase day (several purchases on one day are one transaction, as in Fader,
    Hardie and Lee 2005). Only customers whose first purchase is on or before ``calibration_end`` are
    returned; times are in weeks (days / 7).

    Returns
    -------
    ibis.Table
        ``customer_id, frequency`` (repeat transactions: purchase days after the first, up to
        ``calibration_end``), ``recency`` (weeks from the first to the last purchase day), ``T``
        (weeks from the first purchase to the end of ``calibration_end``), ``monetary_mean`` (mean
        revenue of the repeat purchase days; NULL without repeats or amounts), ``first_value`` (the
        first day's revenue), ``frequency_holdout`` (purchase days in ``(calibration_end,
        holdout_end]``; 0 without a holdout), ``monetary_holdout`` (their revenue).
    """
    key = customer_key(orders)
    buys = orders.filter(is_purchase(orders) & (orders.order_date <= (holdout_end or calibration_end)))
    days = buys.group_by([key, "order_date"]).aggregate(value=buys.amount.sum())
    days = days.mutate(day_n=epoch_day(days.order_date))
    cal_n = _n(calibration_end)
    cal = days.filter(days.day_n <= cal_n)
    cal = cal.mutate(first_n=cal.day_n.min().over(ibis.window(group_by=cal[key])))
    cal = cal.mutate(is_first=cal.day_n == cal.first_n)
    per = cal.group_by(key).aggregate(
        n_days=cal.count(), first_n=cal.first_n.max(), last_n=cal.day_n.max(),
        repeat_value=ibis.ifelse(cal.is_first, 0.0, cal.value).sum(),
        first_value=ibis.ifelse(cal.is_first, cal.value, 0.0).sum())
    per = per.mutate(frequency=per.n_days - 1)
    per = per.mutate(
        recency=(per.last_n - per.first_n).cast("float64") / 7.0,
        T=(cal_n + 1 - per.first_n).cast("float64") / 7.0,
        monetary_mean=ibis.ifelse(per.frequency > 0, per.repeat_value / per.frequency.cast("float64"),
                                  ibis.null("float64")))
    if holdout_end is not None:
        hold = days.filter(days.day_n > cal_n)
        h = hold.group_by(key).aggregate(frequency_holdout=hold.count(), monetary_holdout=hold.value.sum())
        per = per.left_join(h, key).drop(f"{key}_right")
        per = per.mutate(frequency_holdout=per.frequency_holdout.fill_null(0),
                         monetary_holdout=per.monetary_holdout.fill_null(0.0))
    else:
        per = per.mutate(frequency_holdout=ibis.literal(0, "int64"), monetary_holdout=ibis.literal(0.0))
    cols = [key, "frequency", "recency", "T", "monetary_mean", "first_value", "frequency_holdout", "monetary_holdout"]
    return per.select(*cols)


def stage_table(orders: ibis.Table, customers: ibis.Table, *, as_of: dt.date, month_start: dt.date, method: str,
                inactivity_days: int, dormant_days: int, trend_days: int = 90, mature_days: int = 365,
                decline_ratio: float = 0.5, spells: ibis.Table | None = None) -> ibis.Table:
    """The lifecycle stage of every acquired customer at ``as_of`` (a month end).

    See the module docstring for the stages. Under the ``inactivity`` churn method a customer is
    acquired by their first purchase; under ``explicit``, by signup. ``spells`` may pass
    :func:`~retention_utils.engine.core.purchase_spells` of the orders up to any later date: a purchase
    day's reactivation flag depends only on the purchases before it, so one table serves every month.

    Returns
    -------
    ibis.Table
        ``customer_key`` (or ``customer_id``), ``stage``.
    """
    key = customer_key(orders, customers)
    as_n, start_n = _n(as_of), _n(month_start)
    o = orders.filter(orders.order_date <= as_of)
    buys = o.filter(is_purchase(o))
    buys = buys.mutate(day_n=epoch_day(buys.order_date))
    d = int(trend_days)
    per = buys.group_by(key).aggregate(
        first_n=buys.day_n.min(), last_n=buys.day_n.max(),
        recent=ibis.ifelse(buys.day_n > as_n - d, buys.amount.fill_null(1.0), 0.0).sum(),
        before=ibis.ifelse((buys.day_n > as_n - 2 * d) & (buys.day_n <= as_n - d), buys.amount.fill_null(1.0),
                           0.0).sum())
    if method == "explicit":
        c = customers.filter(customers.signup_date <= as_of)
        base = c.select(key, sign_n=epoch_day(c.signup_date),
                        churn_n=epoch_day(c.churn_date) if "churn_date" in c.columns else ibis.null("int64"))
        t = base.left_join(per, key).drop(f"{key}_right")
        last = ibis.greatest(t.last_n.fill_null(t.sign_n), t.sign_n)
        churned = t.churn_n.notnull() & (t.churn_n <= as_n)
        acquired_n = t.sign_n
        new = (t.sign_n >= start_n)
        react = ibis.literal(False)
    else:
        t = per
        last = t.last_n
        churned = (as_n - t.last_n) > int(inactivity_days)
        acquired_n = t.first_n
        new = t.first_n >= start_n
        if spells is None:
            spells = purchase_spells(orders.filter(orders.order_date <= as_of), inactivity_days=inactivity_days,
                                     dormant_days=dormant_days, key=key)
        r = spells.filter(spells.is_reactivation & (spells.day_n >= start_n) & (spells.day_n <= as_n))
        r = r.select(key).distinct().mutate(_react=ibis.literal(True))
        t = t.left_join(r, key).drop(f"{key}_right")
        react = t._react.fill_null(False)
    dormant = (as_n - last) > int(dormant_days)
    declining = (t.before > 0) & (t.recent.fill_null(0.0) < float(decline_ratio) * t.before)
    growing = (as_n - acquired_n) < int(mature_days)
    stage = ibis.cases((churned, "churned"), (dormant, "dormant"), (new, "new"), (react, "reactivated"),
                       (declining.fill_null(False), "declining"), (growing, "growing"), else_="mature")
    return t.select(key, stage=stage)


def stage_counts(orders: ibis.Table, customers: ibis.Table, *, month_ends: list[tuple[dt.date, dt.date]],
                 **kwargs: object) -> pd.DataFrame:
    """Customers per lifecycle stage at each month end: ``month_end, stage, n_customers`` (tidy, long).

    ``month_ends`` holds ``(month_start, month_end)`` pairs; ``kwargs`` go to :func:`stage_table`.
    Stages without customers are missing rows (the caller fills zeros).
    """
    if not month_ends:
        return pd.DataFrame(columns=["month_end", "stage", "n_customers"])
    spells = None
    if kwargs.get("method", "inactivity") == "inactivity":  # the reactivations of every month from one pass
        last = max(e for _, e in month_ends)
        spells = purchase_spells(orders.filter(orders.order_date <= last), inactivity_days=kwargs["inactivity_days"],
                                 dormant_days=kwargs["dormant_days"], key=customer_key(orders, customers)).cache()
    try:
        parts = []
        for start, end in month_ends:
            s = stage_table(orders, customers, as_of=end, month_start=start, spells=spells,
                            **kwargs)  # type: ignore[arg-type]
            parts.append(s.group_by("stage").aggregate(n_customers=s.count()).mutate(month_end=ibis.literal(end)))
        out = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
        df = out.to_pandas()
    finally:
        if spells is not None:
            spells.release()
    df["month_end"] = pd.to_datetime(df["month_end"]).dt.date
    return df[["month_end", "stage", "n_customers"]].sort_values(["month_end", "stage"]).reset_index(drop=True)


def category_pairs(orders: ibis.Table, *, as_of: dt.date, since: dt.date | None = None) -> ibis.Table:
    """Distinct ``customer_id, category`` of the purchases up to ``as_of`` (from ``since`` when given)."""
    o = orders.filter(is_purchase(orders) & (orders.order_date <= as_of) & orders.category.notnull())
    if since is not None:
        o = o.filter(o.order_date >= since)
    return o.select("customer_id", "category").distinct()

