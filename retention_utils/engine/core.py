"""Reductions over raw rows, as Ibis expressions executed by the engine.

Every function here takes canonical Ibis tables (see
:mod:`retention_utils.contract`) and returns either an Ibis expression or a
small tidy pandas frame; nothing loops over orders in Python. The expressions
use only portable operations (window functions, group-bys, integer month and
day arithmetic: ``year * 12 + month - 1`` and epoch days, never ``delta()``),
so the same code can run on another Ibis backend.

Churn definition (shared by every analysis, one place: :func:`purchase_spells`):

* ``inactivity``: a customer with no purchase for more than ``D`` days is
  churned on day ``last purchase + D + 1``; a purchase after such a gap is a
  reactivation. Purchases are orders with a positive amount (refunds are not), or every
  order when the export has no amounts (:func:`is_purchase`).
* ``explicit``: the customer's ``churn_date`` is the churn; no reactivation.
* Dormant: not churned, and no purchase for more than ``dormant_days``.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from ..calendar import (
    EPOCH,
    epoch_day,
    month_index,
    period_index,
)

__all__ = [
    "attribute_groups",
    "group_tables",
    "purchase_spells",
    "monthly_revenue",
    "monthly_flows",
    "customer_snapshot",
    "monthly_activity",
    "cohort_counts",
    "cohort_activity",
    "customer_key",
    "is_purchase",
]


def customer_key(*tables: ibis.Table) -> str:
    """The column that identifies a customer in all of ``tables``.

    The contract's tables carry ``customer_key``, an integer numbering of the customer ids
    (:func:`retention_utils.contract.customer_keys`): reductions that group or join by it hash
    4-byte integers instead of text and run about twice as fast. Tables built by hand (tests,
    notebooks) may only have ``customer_id``, which gives the same answers.
    """
    return "customer_key" if all("customer_key" in t.columns for t in tables) else "customer_id"


def is_purchase(orders: ibis.Table) -> ibis.Value:
    """Whether each order is a purchase: a positive amount, or no amount at all.

    An export without amounts (``UnitData.has_amounts`` False) has a NULL ``amount`` on every
    order, and every dated order is a purchase; otherwise refunds (amount <= 0) are not purchases.

    Examples
    --------
    >>> import pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"amount": [10.0, -5.0, None, 0.0]}))
    >>> t.select(buy=is_purchase(t)).to_pandas()["buy"].tolist()
    [True, False, True, False]
    """
    return (orders.amount > 0) | orders.amount.isnull()










def purchase_spells(orders: ibis.Table, *, inactivity_days: int, dormant_days: int,
                    method: str = "inactivity", customers: ibis.Table | None = None,
                    key: str = "customer_id") -> ibis.Table:
    """One row per purchase day of each customer, with what follows it.

    Parameters
    ----------
    orders
        Canonical orders (``customer_id, order_date, amount``).
    inactivity_days, dormant_days, method
        The unit's churn definition (``params: churn``).
    customers
        Canonical customers with ``churn_date``; required for ``method='explicit'``.
    key
        The customer column to group by and return: ``customer_id``, or ``customer_key``
        (faster, see :func:`customer_key`) for reductions that do not return customer ids.

    Returns
    -------
    ibis.Table
        ``<key>, day, day_n, prev_gap, next_day_n, is_first, is_reactivation,
        churn_day_n, dormant_from_n, dormant_until_n`` (under ``explicit``, one row
        per purchase *or signup* day with ``day, day_n, dormant_from_n,
        dormant_until_n`` and constant flags: the signup starts the dormancy clock): ``*_n`` are epoch days;
        ``churn_day_n`` is the day the customer counts as churned after this
        purchase (null if they buy again in time, or under the explicit method);
        dormancy runs over ``[dormant_from_n, dormant_until_n)`` (until null = open).
    """
    p = orders.filter(is_purchase(orders)).select(key, day=orders.order_date).distinct()
    p = p.mutate(day_n=epoch_day(p.day))
    w = ibis.window(group_by=p[key], order_by=p.day_n)
    p = p.mutate(prev_n=p.day_n.lag().over(w), next_day_n=p.day_n.lead().over(w))
    p = p.mutate(prev_gap=p.day_n - p.prev_n, is_first=p.prev_n.isnull())
    d = int(inactivity_days)
    if method == "inactivity":
        churns = p.next_day_n.isnull() | ((p.next_day_n - p.day_n) > d)
        p = p.mutate(
            is_reactivation=(~p.is_first) & (p.prev_gap > d),
            churn_day_n=ibis.ifelse(churns, p.day_n + (d + 1), ibis.null("int64")),
        )
        until = ibis.least(p.next_day_n.fill_null(p.day_n + (d + 1)), p.day_n + (d + 1))
    else:
        if customers is None or "churn_date" not in customers.columns:
            raise ValueError("method='explicit' needs customers with a churn_date column")
        # under a contract the signup itself starts the clock: a subscriber who has not bought for
        # more than dormant_days since signup (or since the last purchase) is dormant
        sign = customers.select(key, day=customers.signup_date)
        ev = p.select(key, "day").union(sign, distinct=True)
        ev = ev.mutate(day_n=epoch_day(ev.day))
        we = ibis.window(group_by=ev[key], order_by=ev.day_n)
        ev = ev.mutate(next_day_n=ev.day_n.lead().over(we))
        c = customers.select(key, c_churn_n=epoch_day(customers.churn_date))
        ev = ev.left_join(c, key).drop(f"{key}_right")
        ev = ev.mutate(dormant_until_n=ibis.least(ev.next_day_n.fill_null(ev.c_churn_n),
                                                  ev.c_churn_n.fill_null(ev.next_day_n)))
        ev = ev.mutate(dormant_from_n=ev.day_n + (int(dormant_days) + 1))
        spells = ev.select(key, "day", "dormant_from_n", "dormant_until_n")
        p = p.mutate(is_reactivation=ibis.literal(False), churn_day_n=ibis.null("int64")).drop("prev_n")
        p = p.drop("day_n", "next_day_n", "prev_gap", "is_first")
        # one row per activity day (purchase or signup) with the purchase flags where it is a purchase
        joined = spells.left_join(p.mutate(_purchase=ibis.literal(True)), [key, "day"])
        joined = joined.drop(f"{key}_right", "day_right")
        return joined.mutate(is_reactivation=ibis.literal(False), churn_day_n=ibis.null("int64"),
                             is_first=ibis.literal(False), day_n=epoch_day(joined.day))
    return p.mutate(dormant_from_n=p.day_n + (int(dormant_days) + 1), dormant_until_n=until).drop("prev_n")


def monthly_revenue(orders: ibis.Table, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Revenue and order counts per calendar month.

    Returns
    -------
    DataFrame
        ``month_idx, n_orders, purchase_revenue, refunds, net_revenue,
        n_active, n_first_purchase``: orders and revenue from purchases
        (:func:`is_purchase`), refunds as a positive amount, net revenue including refunds,
        customers with a purchase in the month, and of them those whose first
        purchase ever (in the data) is in the month.
    """
    o = orders.filter((orders.order_date >= start) & (orders.order_date <= end))
    o = o.mutate(month_idx=month_index(o.order_date))
    rev = o.group_by("month_idx").aggregate(
        n_orders=is_purchase(o).cast("int64").sum(),
        purchase_revenue=ibis.ifelse(o.amount > 0, o.amount, 0.0).sum(),
        refunds=ibis.ifelse(o.amount < 0, -o.amount, 0.0).sum(),
        net_revenue=o.amount.sum(),
    )
    key = customer_key(orders)
    buys = orders.filter(is_purchase(orders))
    first = buys.group_by(key).aggregate(first_idx=month_index(buys.order_date.min()))
    act = o.filter(is_purchase(o)).select(key, "month_idx").distinct()
    act = act.left_join(first, key)
    active = act.group_by("month_idx").aggregate(
        n_active=act.count(), n_first_purchase=(act.first_idx == act.month_idx).cast("int64").sum())
    out = rev.left_join(active, "month_idx").drop("month_idx_right").to_pandas()
    return out.sort_values("month_idx").reset_index(drop=True)


def _by_month(expr: ibis.Value, table: ibis.Table, name: str) -> ibis.Table:
    t = table.mutate(month_idx=expr)
    return t.group_by("month_idx").aggregate(**{name: t.count()})


def _day_to_month_idx(day_n: ibis.Value) -> ibis.Value:
    d = ibis.date(EPOCH.isoformat()) + day_n.as_interval("D")
    return month_index(d)


def monthly_flows(orders: ibis.Table, customers: ibis.Table, *, method: str, inactivity_days: int,
                  dormant_days: int, end: dt.date) -> pd.DataFrame:
    """Customer flows per month: new, reactivated, churned, and dormancy changes.

    Returns
    -------
    DataFrame
        ``month_idx, n_new, n_reactivated, n_churned, dormant_in, dormant_out``.
        ``dormant_in``/``dormant_out`` count dormancy spells starting / ending by
        month (a spell counts at a month end if it started on or before it and
        ends after it), so cumulative sums give the dormant stock. Events after
        ``end`` are not counted.
    """
    end_n = (end - EPOCH).days
    # the spells feed five counts: compute them once (a temporary table in the engine), not per count
    s = purchase_spells(orders, inactivity_days=inactivity_days, dormant_days=dormant_days, method=method,
                        customers=customers, key=customer_key(orders, customers)).cache()
    try:
        return _flows_from_spells(s, customers, method=method, end=end, end_n=end_n)
    finally:
        s.release()


def _flows_from_spells(s: ibis.Table, customers: ibis.Table, *, method: str, end: dt.date,
                       end_n: int) -> pd.DataFrame:
    if method == "inactivity":
        new = _by_month(month_index(s.day), s.filter(s.is_first), "n_new")
        react = _by_month(month_index(s.day), s.filter(s.is_reactivation), "n_reactivated")
        ch = s.filter(s.churn_day_n.notnull() & (s.churn_day_n <= end_n))
        churned = _by_month(_day_to_month_idx(ch.churn_day_n), ch, "n_churned")
    else:
        c = customers.filter(customers.signup_date <= end)
        new = _by_month(month_index(c.signup_date), c, "n_new")
        react = None
        cc = c.filter(c.churn_date.notnull() & (c.churn_date <= end))
        churned = _by_month(month_index(cc.churn_date), cc, "n_churned")
    dz = s.filter((s.dormant_from_n <= end_n) & (s.dormant_until_n.isnull() | (s.dormant_from_n < s.dormant_until_n)))
    d_in = _by_month(_day_to_month_idx(dz.dormant_from_n), dz, "dormant_in")
    dz2 = dz.filter(dz.dormant_until_n.notnull() & (dz.dormant_until_n <= end_n))
    d_out = _by_month(_day_to_month_idx(dz2.dormant_until_n), dz2, "dormant_out")
    frames = [new.to_pandas(), churned.to_pandas(), d_in.to_pandas(), d_out.to_pandas()]
    if react is not None:
        frames.append(react.to_pandas())
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on="month_idx", how="outer")
    for col in ("n_new", "n_reactivated", "n_churned", "dormant_in", "dormant_out"):
        if col not in out:
            out[col] = 0
        out[col] = out[col].fillna(0).astype("int64")
    return out.sort_values("month_idx").reset_index(drop=True)


def customer_snapshot(orders: ibis.Table, customers: ibis.Table, *, as_of: dt.date, method: str,
                      inactivity_days: int, dormant_days: int) -> ibis.Table:
    """Per-customer state as of a date (orders after ``as_of`` are ignored).

    Returns
    -------
    ibis.Table
        ``customer_id, signup_date, first_purchase, last_purchase, n_purchases,
        revenue, days_since_last, tenure_days, status`` with status one of
        ``active``, ``dormant``, ``churned``. Customers who signed up after
        ``as_of`` are left out.
    """
    as_of_n = (as_of - EPOCH).days
    key = customer_key(orders, customers)
    o = orders.filter(orders.order_date <= as_of)
    buys = o.filter(is_purchase(o))
    per = buys.group_by(key).aggregate(
        first_purchase=buys.order_date.min(), last_purchase=buys.order_date.max(),
        n_purchases=buys.count())
    rev = o.group_by(key).aggregate(revenue=o.amount.sum())
    c = customers.filter(customers.signup_date <= as_of)
    cols = list(dict.fromkeys([key, "customer_id", "signup_date"]
                              + (["churn_date"] if "churn_date" in c.columns else [])))
    snap = c.select(*cols).left_join(per, key).drop(f"{key}_right")
    snap = snap.left_join(rev, key).drop(f"{key}_right")
    if key != "customer_id":
        snap = snap.drop(key)
    since = as_of_n - epoch_day(snap.last_purchase.fill_null(snap.signup_date))
    snap = snap.mutate(
        n_purchases=snap.n_purchases.fill_null(0), revenue=snap.revenue.fill_null(0.0),
        days_since_last=since, tenure_days=as_of_n - epoch_day(snap.signup_date))
    if method == "explicit":
        churned = snap.churn_date.notnull() & (snap.churn_date <= as_of)
    else:
        churned = snap.days_since_last > int(inactivity_days)
    status = ibis.cases((churned, "churned"), (snap.days_since_last > int(dormant_days), "dormant"),
                        else_="active")
    snap = snap.mutate(status=status)
    return snap.drop("churn_date") if "churn_date" in snap.columns else snap


def monthly_activity(orders: ibis.Table) -> ibis.Table:
    """Customer x month panel of purchases.

    Returns
    -------
    ibis.Table
        ``customer_id, month_idx, n_orders, revenue`` for months with at least
        one order (refunds included in ``revenue``; ``n_orders`` counts purchases).
    """
    o = orders.mutate(month_idx=month_index(orders.order_date))
    return o.group_by(["customer_id", "month_idx"]).aggregate(
        n_orders=is_purchase(o).cast("int64").sum(), revenue=o.amount.sum())


def cohort_counts(orders: ibis.Table) -> ibis.Table:
    """Active customers by first-purchase cohort and months since it.

    Returns
    -------
    ibis.Table
        ``cohort_idx, period, n_active``: ``period`` 0 is the cohort month.
    """
    key = customer_key(orders)
    buys = orders.filter(is_purchase(orders))
    # first month per customer joined to the distinct customer-months: a hash aggregate and a hash
    # join, faster in DuckDB than min() over a window partitioned by customer (which sorts)
    first = buys.group_by(key).aggregate(cohort_idx=month_index(buys.order_date.min()))
    act = buys.select(key, month_idx=month_index(buys.order_date)).distinct()
    act = act.join(first, key)
    act = act.mutate(period=act.month_idx - act.cohort_idx)
    return act.group_by(["cohort_idx", "period"]).aggregate(n_active=act.count())



def customer_lifetimes(orders: ibis.Table, customers: ibis.Table, *, method: str, inactivity_days: int,
                       end: dt.date) -> ibis.Table:
    """One row per customer: the first customer life as of ``end`` (the shared churn definition).

    * ``explicit``: from ``signup_date`` to ``churn_date`` (event) or ``end`` (censored).
    * ``inactivity``: from the first purchase to the last purchase before the first gap longer
      than ``inactivity_days`` (event: the customer churned at that last order), or, while the
      window after the latest purchase has not elapsed by ``end``, censored at that purchase
      (the customer is known to have lived at least until then).

    Returns
    -------
    ibis.Table
        ``customer_id, start, stop, duration_days, event``.
    """
    end_n = (end - EPOCH).days
    if method == "explicit":
        c = customers.filter(customers.signup_date <= end)
        churned = c.churn_date.notnull() & (c.churn_date <= end)
        stop = ibis.ifelse(churned, c.churn_date, ibis.literal(end))
        out = c.select("customer_id", start=c.signup_date, stop=stop, event=churned)
        return out.mutate(duration_days=epoch_day(out.stop) - epoch_day(out.start))
    s = purchase_spells(orders.filter(orders.order_date <= end), inactivity_days=inactivity_days,
                        dormant_days=1, method="inactivity")
    first = s.group_by("customer_id").aggregate(start_n=s.day_n.min())
    ends = s.filter(s.churn_day_n.notnull())
    life = ends.group_by("customer_id").aggregate(stop_n=ends.day_n.min())
    life = life.join(ends.select("customer_id", stop_n=ends.day_n, churn_day_n=ends.churn_day_n),
                     ["customer_id", "stop_n"])
    out = first.join(life, "customer_id")
    out = out.select("customer_id", "start_n", "stop_n", event=out.churn_day_n <= end_n)
    epoch = ibis.date(EPOCH.isoformat())
    return out.select("customer_id", start=epoch + out.start_n.as_interval("D"),
                      stop=epoch + out.stop_n.as_interval("D"), duration_days=out.stop_n - out.start_n,
                      event=out.event)








def cohort_activity(orders: ibis.Table, customers: ibis.Table, *, by: str = "first_purchase",
                    period: str = "month") -> dict[str, pd.DataFrame]:
    """Cohort reductions: activity, revenue, last-active and churn offsets by cohort.

    Parameters
    ----------
    by
        ``first_purchase`` (cohort = period of the first purchase) or ``signup``.
    period
        ``month``, ``quarter`` or ``week``.

    Returns
    -------
    dict of DataFrame
        ``sizes``: ``cohort_idx, cohort_size``;
        ``cells``: ``cohort_idx, period, n_active, revenue, revenue_gross`` (``revenue``
        is net of refunds; ``revenue_gross`` caps each customer's period revenue at
        their period-0 revenue, floored at 0);
        ``last``: ``cohort_idx, last_offset, n`` (customers by the offset of their last
        active period, for unbounded retention);
        ``churn``: ``cohort_idx, churn_offset, n`` (customers by the offset of the period
        of their churn date; null offset = not churned; only when customers have
        ``churn_date``).
    """
    key = customer_key(orders, customers)
    buys = orders.filter(is_purchase(orders))
    if by == "first_purchase":
        coh = buys.group_by(key).aggregate(cohort_idx=period_index(buys.order_date.min(), period))
    elif by == "signup":
        coh = customers.select(key, cohort_idx=period_index(customers.signup_date, period))
    else:
        raise ValueError(f"The 'by' parameter must be one of {{'first_purchase', 'signup'}}. Got {by!r} instead.")
    sizes = coh.group_by("cohort_idx").aggregate(cohort_size=coh.count())
    o = orders.mutate(pidx=period_index(orders.order_date, period))
    per = o.group_by([key, "pidx"]).aggregate(
        revenue=o.amount.sum(), active=is_purchase(o).any())
    per = per.join(coh, key)
    per = per.mutate(period=per.pidx - per.cohort_idx).filter(lambda t: t.period >= 0)
    base = per.filter(per.period == 0).select(key, rev0=per.revenue)
    per = per.left_join(base, key).drop(f"{key}_right")
    capped = ibis.greatest(ibis.least(per.revenue, per.rev0.fill_null(0.0)), 0.0)
    cells = per.group_by(["cohort_idx", "period"]).aggregate(
        n_active=per.active.cast("int64").sum(), revenue=per.revenue.sum(), revenue_gross=capped.sum())
    act = per.filter(per.active)
    last = act.group_by([key, "cohort_idx"]).aggregate(last_offset=act.period.max())
    last = last.group_by(["cohort_idx", "last_offset"]).aggregate(n=last.count())
    out = {"sizes": sizes.to_pandas(), "cells": cells.to_pandas(), "last": last.to_pandas()}
    if "churn_date" in customers.columns:
        ch = customers.select(key, cp=period_index(customers.churn_date, period)).join(coh, key)
        ch = ch.mutate(churn_offset=ch.cp - ch.cohort_idx)
        out["churn"] = ch.group_by(["cohort_idx", "churn_offset"]).aggregate(n=ch.count()).to_pandas()
    return out


MISSING_GROUP = "(missing)"


def attribute_groups(customers: ibis.Table, attribute: str) -> list[str]:
    """The sorted values of a customer attribute (missing values as ``(missing)``)."""
    label = customers[attribute].fill_null(MISSING_GROUP)
    return sorted(customers.select(group=label).distinct().to_pandas()["group"])


def group_tables(orders: ibis.Table, customers: ibis.Table, attribute: str,
                 group: str) -> tuple[ibis.Table, ibis.Table]:
    """The customers whose ``attribute`` is ``group`` and their orders (a filter and a semi-join).

    A literal list of a large group's ids (``isin``) made the query planner crawl at a million
    customers; the semi-join stays in the engine.
    """
    sub_c = customers.filter(customers[attribute].fill_null(MISSING_GROUP) == group)
    key = customer_key(orders, customers)
    return orders.semi_join(sub_c.select(key), key), sub_c
