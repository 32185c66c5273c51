"""The same data give the same churn features, whatever the order of the rows or the engine's threads.

Float sums depend on the order the engine adds rows in; the churn models break ties on those last
bits, so before issue 11 the same unit gave different models (even a different best model) run to
run at the engine's default thread count. Money features are now exact decimal sums.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from retention_utils import backend
from retention_utils.backends import duckdb_engine
from retention_utils.engine.features import customer_features


def _features(data, cutoff) -> pd.DataFrame:
    f = customer_features(data.orders, data.customers, cutoff=cutoff, interactions=data.interactions,
                          campaigns=data.campaigns, attributes=["channel"]).to_pandas()
    return f.sort_values("customer_id").reset_index(drop=True)


def test_features_do_not_depend_on_row_order_or_threads(demo_units):
    data = demo_units["retail"]
    cutoff = (pd.Timestamp(data.month_end) - pd.DateOffset(months=6)).date()
    before = _features(data, cutoff)
    con = data.con
    # the same orders, in a random order, with amounts whose float sum depends on that order
    o = data.orders
    orders = backend.temp_table(con, "orders_shuffled", o.order_by(o.order_id.hash(), o.order_date))
    assert orders.order_id.to_pandas().tolist() != o.order_id.to_pandas().tolist()
    threads = backend.settings(con)["threads"]
    duckdb_engine._exec(con, "SET threads = 2")
    try:
        after = _features(dataclasses.replace(data, orders=orders), cutoff)
    finally:
        duckdb_engine._exec(con, f"SET threads = {threads}")
        backend.drop_tables(con, "orders_shuffled")
    money = [c for c in before.columns if c.startswith(("revenue_", "net_revenue", "aov", "discount"))]
    assert money, "the demo unit has money features"
    assert len(before) > 500
    # bit for bit, not approximately: ties between customers must stay ties
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert np.isfinite(before["revenue_365"]).all() and before["revenue_365"].max() > 0
