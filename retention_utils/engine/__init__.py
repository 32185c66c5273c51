"""The engine: every reduction over raw rows, as Ibis expressions.

Modules:

* :mod:`~retention_utils.engine.core`: purchase spells (the one churn definition), monthly
  flows and revenue, customer snapshots, cohort activity, customer lifetimes.
* further modules per analysis hold that analysis's raw-row queries
  (:mod:`~retention_utils.engine.features`: the churn model's features; :mod:`~retention_utils.engine.labels`:
  its churn labels; :mod:`~retention_utils.engine.lifetimes`: early-life features).

Functions return Ibis expressions (callers materialise with ``to_pandas``/``to_pyarrow``) or, where
a reduction ends in a small table, a tidy pandas frame. Backend-specific calls (DuckDB) live in
:mod:`retention_utils.backend`, never here. The calendar helpers (month and period indexes) are
re-exported from :mod:`retention_utils.calendar` for the queries' callers.
"""
from __future__ import annotations

from ..calendar import (
    DAYS_PER_MONTH,
    EPOCH,
    epoch_day,
    index_to_month,
    month_index,
    month_index_py,
    period_index,
    period_index_py,
    period_start_py,
)
from .core import (
    attribute_groups,
    cohort_activity,
    cohort_counts,
    customer_key,
    customer_lifetimes,
    customer_snapshot,
    group_tables,
    is_purchase,
    monthly_activity,
    monthly_flows,
    monthly_revenue,
    purchase_spells,
)

__all__ = [
    "DAYS_PER_MONTH",
    "EPOCH",
    "epoch_day",
    "index_to_month",
    "month_index",
    "month_index_py",
    "period_index",
    "period_index_py",
    "period_start_py",
    "attribute_groups",
    "cohort_activity",
    "cohort_counts",
    "customer_key",
    "customer_lifetimes",
    "customer_snapshot",
    "group_tables",
    "is_purchase",
    "monthly_activity",
    "monthly_flows",
    "monthly_revenue",
    "purchase_spells",
]
