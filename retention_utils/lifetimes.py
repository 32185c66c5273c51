"""Customer lifetimes under the unit's churn definition (shared by every analysis).

The definition itself lives in :func:`retention_utils.engine.customer_lifetimes`;
this module adds the customer attributes and the left-truncation rule.

Left truncation (documented rule): under the inactivity definition, a customer
whose first purchase in the data falls within the first ``inactivity_days`` of
the data may have bought before the data starts, so their life's start is
unknown; they are left out of lifetime analyses and counted
(``n_left_truncated``). Under the explicit definition the signup date is known,
so nobody is left out.

When the rule would leave nobody (every customer was first seen inside that
warm-up window, e.g. an event log that starts with the customers' first
purchases), the customers are kept instead and their lives are counted from
their first purchase in the data; ``warm_up_kept`` says how many, and the
reports explain that a life that began before the data would be counted short.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .contract import UnitData
from .engine import DAYS_PER_MONTH, customer_lifetimes

__all__ = ["Lifetimes", "lifetimes"]


@dataclass(frozen=True)
class Lifetimes:
    """Lifetimes of a unit's customers.

    Attributes
    ----------
    table : DataFrame
        ``customer_id, start, stop, duration_days, duration_months, event`` plus
        ``churn_type, churn_reason`` (explicit units) and the customer attributes.
    n_left_truncated : int
        Customers left out because their history may start before the data.
    rule : str
        Plain-language statement of the churn definition used.
    warm_up_kept : int
        Customers first seen in the warm-up window who are kept because every customer
        started there (see the module docstring); 0 otherwise.
    """

    table: pd.DataFrame
    n_left_truncated: int
    rule: str
    warm_up_kept: int = 0


def lifetimes(data: UnitData) -> Lifetimes:
    """Lifetimes of the unit's customers as of the report month (see module docstring)."""
    ch = data.config.churn
    life = customer_lifetimes(data.orders, data.customers, method=ch.method,
                              inactivity_days=ch.inactivity_days, end=data.month_end).to_pandas()
    keep = [c for c in data.customers.columns if c not in ("signup_date", "churn_date")]
    attrs = data.customers.select(*keep).to_pandas()
    table = life.merge(attrs, on="customer_id", how="left")
    n_trunc = kept = 0
    if ch.method == "inactivity":
        cutoff = pd.Timestamp(data.data_start + dt.timedelta(days=ch.inactivity_days))
        trunc = pd.to_datetime(table["start"]) < cutoff
        rule = (f"a customer's life runs from the first purchase to the last purchase before a gap of more "
                f"than {ch.inactivity_days} days without buying; customers whose window has not elapsed are "
                "censored at their latest purchase")
        if len(table) and trunc.all():
            kept = len(table)
            rule += (f"; every customer was first seen in the first {ch.inactivity_days} days of the data (the "
                     "warm-up window), so all are kept and their lives are counted from their first purchase in "
                     "the data: a customer who bought before the data starts is counted from later than their "
                     "true start, so lifetimes may be somewhat short")
        else:
            n_trunc = int(trunc.sum())
            table = table[~trunc]
            rule += (f"; customers first seen in the first {ch.inactivity_days} days of data are left out (they "
                     "may have bought before the data starts)")
    else:
        table = table.assign(churn_type=table.get("churn_type"), churn_reason=table.get("churn_reason"))
        rule = "a customer's life runs from signup to the recorded cancellation date, censored at the report date"
    table = table.assign(duration_months=table["duration_days"] / DAYS_PER_MONTH,
                         event=table["event"].astype(bool)).reset_index(drop=True)
    return Lifetimes(table=table, n_left_truncated=n_trunc, rule=rule, warm_up_kept=kept)
