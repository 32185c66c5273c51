"""Customer features as of a cut-off date, as Ibis expressions (no look-ahead): the churn model's query.

The churn-drivers analysis (:mod:`retention_utils.drivers`) materialises these per cut-off.

A *cut-off* ``t`` is a day boundary: the features describe each customer with
the information dated **strictly before** ``t`` (the last day used is
``t - 1``). An event dated on or after the cut-off changes no feature; the test
suite proves it by changing and deleting such events. Windows count back from
the cut-off: "the last 90 days" are the days ``t - 90 .. t - 1``.

Features (:data:`FEATURES` holds the plain-language label of each):

====================== ===================================================================
recency_days           days since the last purchase (since signup when none)
tenure_days            days since signup
n_orders_90/180/365    purchases (orders with a positive amount) in the last 90/180/365 days
revenue_90/180/365     purchase revenue in the same windows
order_trend            log((1 + purchases in the last 90 days) / (1 + purchases in the 90 before))
aov_change             log(average order value of the last 180 days / average before that)
mean_interpurchase_days mean days between purchase days (customers with two or more)
overdue_ratio          recency_days / mean_interpurchase_days (> 1: later than usual)
n_tickets_365          support tickets in the last 365 days (interaction kind contains "ticket")
n_complaints           complaints ever (interaction kind contains "complain")
latest_nps             latest survey score (the latest interaction with a score)
discount_share         discount / (amount + discount) of the last 365 days' purchases
refund_rate            refunds (negative amount or returned) / purchases, last 365 days
campaign_contacts_90   retention contacts (campaign group ``treatment``) in the last 90 days
====================== ===================================================================

Missing values are left missing (e.g. ``mean_interpurchase_days`` of a
one-time buyer, ``latest_nps`` of a customer never surveyed): the models
impute them. Features whose source table or column is absent are left out.
Categorical customer attributes named in ``drivers.attributes`` are added as
they are in the export (assumed fixed since signup).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as idt
import pandas as pd

from ..calendar import EPOCH, epoch_day
from ..errors import ConfigError, examples_text
from .core import is_purchase

__all__ = [
    "FEATURES",
    "FeatureInfo",
    "NUMERIC_FEATURES",
    "AUX_COLUMNS",
    "LEAKY_ATTRIBUTES",
    "check_attributes",
    "customer_features",
    "unit_features",
]

@dataclass(frozen=True)
class FeatureInfo:
    """Plain-language description of a feature.

    ``label`` names it in tables and charts; ``more`` / ``less`` say what a
    higher / lower value means for a reader ("more days since the last purchase").
    ``risk_side`` is the side (``"high"`` or ``"low"``) on which a value can
    be given to a CRM agent as a reason for risk (a long time since the last
    purchase, a low NPS score), None when either side can.
    """

    label: str
    more: str
    less: str
    risk_side: str | None = None


#: Numeric features, in report order, with their plain-language descriptions.
FEATURES: dict[str, FeatureInfo] = {
    "recency_days": FeatureInfo("days since last purchase", "longer since the last purchase",
                                "bought more recently", "high"),
    "tenure_days": FeatureInfo("tenure (days since signup)", "longer-standing customers", "newer customers"),
    "n_orders_90": FeatureInfo("purchases, last 90 days", "more purchases lately", "fewer purchases lately", "low"),
    "n_orders_180": FeatureInfo("purchases, last 180 days", "more purchases in the last 6 months",
                                "fewer purchases in the last 6 months", "low"),
    "n_orders_365": FeatureInfo("purchases, last 365 days", "more purchases in the last year",
                                "fewer purchases in the last year", "low"),
    "revenue_90": FeatureInfo("revenue, last 90 days", "higher recent spend", "lower recent spend", "low"),
    "revenue_180": FeatureInfo("revenue, last 180 days", "higher spend in the last 6 months",
                               "lower spend in the last 6 months", "low"),
    "revenue_365": FeatureInfo("revenue, last 365 days", "higher spend in the last year",
                               "lower spend in the last year", "low"),
    "order_trend": FeatureInfo("purchase trend (last 90 days vs the 90 before)", "buying more often than before",
                               "buying less often than before", "low"),
    "aov_change": FeatureInfo("change in average order value", "larger baskets than before",
                              "smaller baskets than before", "low"),
    "mean_interpurchase_days": FeatureInfo("usual days between purchases", "longer usual gaps between purchases",
                                           "shorter usual gaps between purchases", "high"),
    "overdue_ratio": FeatureInfo("overdue ratio (days since last purchase / usual gap)",
                                 "more overdue relative to their usual rhythm", "less overdue", "high"),
    "n_tickets_365": FeatureInfo("support tickets, last 365 days", "more support tickets", "fewer support tickets", "high"),
    "n_complaints": FeatureInfo("complaints on record", "more complaints", "fewer complaints", "high"),
    "latest_nps": FeatureInfo("latest NPS score", "higher NPS scores", "lower NPS scores", "low"),
    "discount_share": FeatureInfo("discount share of spend", "more of the spend discounted",
                                  "less of the spend discounted"),
    "refund_rate": FeatureInfo("refund rate", "more refunds", "fewer refunds", "high"),
    "campaign_contacts_90": FeatureInfo("retention contacts, last 90 days", "contacted by retention campaigns",
                                        "not contacted by retention campaigns"),
}
NUMERIC_FEATURES: tuple[str, ...] = tuple(FEATURES)

#: Columns returned beside the features that are not model inputs: net revenue of the last
#: 365 days (purchases minus refunds; the base of value at risk) and the purchases in the 90
#: days before the last 90 (to word the trend).
AUX_COLUMNS: tuple[str, ...] = ("net_revenue_365", "n_orders_prev_90")

#: Customer columns recorded when (or after) a customer churns: never features.
LEAKY_ATTRIBUTES: tuple[str, ...] = ("churn_date", "churn_type", "churn_reason")


def _day(d: dt.date | str | pd.Timestamp) -> dt.date:
    return pd.Timestamp(d).date()


def check_attributes(customers: ibis.Table, attributes: Sequence[str], *, where: str = "drivers.attributes") -> list[str]:
    """Validate the categorical attributes used as features.

    Raises
    ------
    ConfigError
        An attribute is a churn field (it would leak the answer) or is not a
        column of the customers table (the message lists those present).
    """
    attributes = list(attributes)
    leaky = [a for a in attributes if a in LEAKY_ATTRIBUTES]
    if leaky:
        raise ConfigError(f"{where}: {examples_text(leaky)} is recorded when a customer churns, so as a driver it "
                          "would leak the answer; remove it (churn reasons are broken down automatically).")
    missing = [a for a in attributes if a not in customers.columns]
    if missing:
        present = [c for c in customers.columns if c not in ("customer_id", "signup_date", *LEAKY_ATTRIBUTES)]
        raise ConfigError(f"{where}: attribute(s) {examples_text(missing)} not found in the customers table; "
                          f"attributes present: {examples_text(present, limit=12) or 'none'}. List the column "
                          "under sources.customers.attributes as well, so that it is loaded.")
    return attributes


def customer_features(orders: ibis.Table, customers: ibis.Table, *, cutoff: dt.date | str,
                      interactions: ibis.Table | None = None, campaigns: ibis.Table | None = None,
                      attributes: Sequence[str] = ()) -> ibis.Table:
    """Features of every customer who signed up before ``cutoff``, from events dated before it.

    Parameters
    ----------
    orders, customers, interactions, campaigns
        Canonical tables (:mod:`retention_utils.contract`); ``interactions`` and
        ``campaigns`` are optional (their features are then left out).
    cutoff
        The cut-off date ``t``: only events dated ``< t`` are used.
    attributes
        Categorical customer columns to add (see :func:`check_attributes`).

    Returns
    -------
    ibis.Table
        ``customer_id, cutoff`` (the cut-off date), the numeric features of
        :data:`FEATURES` (those whose source exists, see the module docstring),
        :data:`AUX_COLUMNS` and the attributes (strings, missing as null).

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> con = ibis.duckdb.connect()
    >>> o = con.create_table("o", pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", "A", "A"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01"]).date,
    ...     "amount": [10.0, 20.0, 30.0]}))
    >>> c = con.create_table("c", pd.DataFrame({"customer_id": ["A"],
    ...     "signup_date": pd.to_datetime(["2024-01-01"]).date}))
    >>> f = customer_features(o, c, cutoff="2024-05-01").to_pandas()
    >>> f[["recency_days", "n_orders_90", "revenue_365", "mean_interpurchase_days"]].iloc[0].tolist()
    [61.0, 1.0, 30.0, 60.0]
    """
    t = _day(cutoff)
    tn = (t - EPOCH).days
    attributes = check_attributes(customers, attributes)

    o = orders.filter(orders.order_date < t)
    dn = epoch_day(o.order_date)
    age = tn - dn  # 1 = the day before the cut-off
    buy = is_purchase(o)
    refund = o.amount < 0
    if "returned" in o.columns:
        refund = refund | o.returned.fill_null(False)
    zero = ibis.literal(0.0)

    def n_if(cond: ibis.Value) -> ibis.Value:
        return cond.cast("int64").sum()

    def rev_if(cond: ibis.Value) -> ibis.Value:
        return exact_sum(ibis.ifelse(cond, o.amount, zero))

    agg: dict[str, ibis.Value] = {
        "last_buy_n": ibis.ifelse(buy, dn, ibis.null("int64")).max(),
        "first_buy_n": ibis.ifelse(buy, dn, ibis.null("int64")).min(),
        "n_buy_days": ibis.ifelse(buy, dn, ibis.null("int64")).nunique(),
        "n_orders_90": n_if(buy & (age <= 90)),
        "n_orders_180": n_if(buy & (age <= 180)),
        "n_orders_365": n_if(buy & (age <= 365)),
        "n_orders_prev_90": n_if(buy & (age > 90) & (age <= 180)),
        "n_before_180": n_if(buy & (age > 180)),
        "revenue_90": rev_if(buy & (age <= 90)),
        "revenue_180": rev_if(buy & (age <= 180)),
        "revenue_365": rev_if(buy & (age <= 365)),
        "rev_before_180": rev_if(buy & (age > 180)),
        "net_revenue_365": exact_sum(ibis.ifelse(age <= 365, o.amount, zero)),
        "n_refunds_365": n_if(refund & (age <= 365)),
    }
    has_discount = "discount" in o.columns
    if has_discount:
        disc = o.discount.fill_null(0.0)
        agg["discount_365"] = exact_sum(ibis.ifelse(buy & (age <= 365), disc, zero))
        agg["gross_365"] = exact_sum(ibis.ifelse(buy & (age <= 365), o.amount + disc, zero))
    # customers are grouped and joined by the integer key where every table has it (twice as fast as text ids)
    k = "customer_key" if all(x is None or "customer_key" in x.columns
                              for x in (orders, customers, interactions, campaigns)) else "customer_id"
    per = o.group_by(k).aggregate(**agg)

    c = customers.filter(customers.signup_date < t)
    f = c.select(*dict.fromkeys(["customer_id", k]), "signup_date", *attributes)
    f = f.left_join(per, k).drop(f"{k}_right")
    if interactions is not None:
        i = interactions.filter(interactions.date < t)
        kind = i.kind.lower().fill_null("")
        iage = tn - epoch_day(i.date)
        ia = i.group_by(k).aggregate(
            n_tickets_365=(kind.contains("ticket") & (iage <= 365)).cast("int64").sum(),
            n_complaints=kind.contains("complain").cast("int64").sum(),
        )
        scored = i.filter(i.score.notnull())
        # latest score: the score of the latest dated survey (ties on a day: the lowest score)
        w = ibis.window(group_by=scored[k], order_by=[ibis.desc(scored.date), scored.score])
        nps = scored.mutate(_rk=ibis.row_number().over(w))
        nps = nps.filter(nps._rk == 0).select(k, latest_nps=nps.score.cast("float64"))
        f = f.left_join(ia, k).drop(f"{k}_right")
        f = f.left_join(nps, k).drop(f"{k}_right")
    if campaigns is not None:
        cp = campaigns.filter((campaigns.sent_date < t) & (campaigns["group"] == "treatment"))
        cp = cp.filter((tn - epoch_day(cp.sent_date)) <= 90)
        ca = cp.group_by(k).aggregate(campaign_contacts_90=cp.count())
        f = f.left_join(ca, k).drop(f"{k}_right")

    signup_n = epoch_day(f.signup_date)
    n90, n180, n365 = (f[k].fill_null(0) for k in ("n_orders_90", "n_orders_180", "n_orders_365"))
    prev90 = f.n_orders_prev_90.fill_null(0)
    r180 = f.revenue_180.fill_null(0.0)
    n_before, r_before = f.n_before_180.fill_null(0), f.rev_before_180.fill_null(0.0)
    recency = (tn - f.last_buy_n.fill_null(signup_n)).cast("float64")
    ipt = ibis.ifelse(f.n_buy_days >= 2,
                      (f.last_buy_n - f.first_buy_n).cast("float64") / (f.n_buy_days - 1).cast("float64"),
                      ibis.null("float64"))
    aov_recent = ibis.ifelse((n180 > 0) & (r180 > 0), r180 / n180.cast("float64"), ibis.null("float64"))
    aov_before = ibis.ifelse((n_before > 0) & (r_before > 0), r_before / n_before.cast("float64"),
                             ibis.null("float64"))
    out: dict[str, ibis.Value] = {
        "customer_id": f.customer_id,
        "cutoff": ibis.literal(t),
        "recency_days": recency,
        "tenure_days": (tn - signup_n).cast("float64"),
        "n_orders_90": n90.cast("float64"),
        "n_orders_180": n180.cast("float64"),
        "n_orders_365": n365.cast("float64"),
        "revenue_90": f.revenue_90.fill_null(0.0),
        "revenue_180": r180,
        "revenue_365": f.revenue_365.fill_null(0.0),
        "order_trend": ((n90 + 1).cast("float64") / (prev90 + 1).cast("float64")).ln(),
        "aov_change": (aov_recent / aov_before).ln(),
        "mean_interpurchase_days": ipt,
        "overdue_ratio": ibis.ifelse(ipt > 0, recency / ipt, ibis.null("float64")),
    }
    if interactions is not None:
        out["n_tickets_365"] = f.n_tickets_365.fill_null(0).cast("float64")
        out["n_complaints"] = f.n_complaints.fill_null(0).cast("float64")
        out["latest_nps"] = f.latest_nps
    if has_discount:
        out["discount_share"] = ibis.ifelse(f.gross_365 > 0, f.discount_365 / f.gross_365, ibis.null("float64"))
    out["refund_rate"] = ibis.ifelse(n365 > 0, f.n_refunds_365.fill_null(0).cast("float64") / n365.cast("float64"),
                                     ibis.null("float64"))
    if campaigns is not None:
        out["campaign_contacts_90"] = f.campaign_contacts_90.fill_null(0).cast("float64")
    ordered = {k: out[k] for k in ("customer_id", "cutoff", *[n for n in NUMERIC_FEATURES if n in out])}
    aux = {"net_revenue_365": f.net_revenue_365.fill_null(0.0), "n_orders_prev_90": prev90.cast("float64")}
    attrs = {a: f[a].cast("string") for a in attributes}
    return f.select(**ordered, **aux, **attrs)


def exact_sum(x: ibis.Value) -> ibis.Value:
    """The sum of the money column ``x``, whatever the order of the rows.

    A floating-point sum depends on the order the engine adds the rows in (its threads, the physical
    order of the table), in the last bits; the churn models break ties on those bits, so the same
    data gave different models run to run. Summed as a 38-digit decimal with 6 decimals (exact
    integer arithmetic in the engine) and converted back, the feature is the same bits every time.
    """
    return x.cast(idt.Decimal(38, 6)).sum().cast("float64")


def unit_features(data: Any, cutoff: dt.date | str, *, attributes: Sequence[str] | None = None) -> ibis.Table:
    """:func:`customer_features` of a unit (:class:`~retention_utils.contract.UnitData`).

    ``attributes`` defaults to the unit's ``drivers.attributes``.
    """
    attrs = data.config.drivers.attributes if attributes is None else attributes
    return customer_features(data.orders, data.customers, cutoff=cutoff, interactions=data.interactions,
                             campaigns=data.campaigns, attributes=attrs)
