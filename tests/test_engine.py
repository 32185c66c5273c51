"""Tests of retention_utils.engine: customer snapshots, activity panels, cohorts and no look-ahead.

References: TINY statuses computed by hand (comments give the day counts); demo data
(``write_demo(n_customers=1500, seed=7)``) compared with plain-Python loops over the raw CSV rows
written in this file; invariances (shifting every date by the same number of days, adding rows
after the report month).
"""
from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from retention_utils import load_config, load_unit_data
from retention_utils.demo import write_demo
from retention_utils.engine import (cohort_activity, cohort_counts, customer_key, customer_snapshot, monthly_activity,
                                    monthly_flows, monthly_revenue)
from retention_utils.kpis import monthly_kpis
from tests.conftest import TINY, copy_repo_params

N_CUSTOMERS = 1500
SEED = 7


def load(params: Path, unit: str = "shop", month: str | None = None):
    return load_unit_data(load_config(params, unit, month=month))


def snapshot(data, as_of: dt.date) -> pd.DataFrame:
    churn = data.config.churn
    snap = customer_snapshot(data.orders, data.customers, as_of=as_of, method=churn.method,
                             inactivity_days=churn.inactivity_days, dormant_days=churn.dormant_days)
    return snap.to_pandas().set_index("customer_id").sort_index()


# ============================================================================ customer_snapshot on TINY


@pytest.fixture(scope="module")
def tiny_may():
    """TINY with report month 2024-05, so that A's order of 2024-05-02 (20) is in the data."""
    return load(TINY / "params", month="2024-05")


def test_tiny_snapshot_columns(tiny_may):
    snap = customer_snapshot(tiny_may.orders, tiny_may.customers, as_of=dt.date(2024, 2, 15),
                             method="inactivity", inactivity_days=31, dormant_days=10)
    assert snap.columns == ("customer_id", "signup_date", "first_purchase", "last_purchase", "n_purchases",
                            "revenue", "days_since_last", "tenure_days", "status")


# as_of -> customer -> (n_purchases, revenue, days_since_last, tenure_days, status); D = 31, dormant 10.
# Purchases: A 01-05 (100), 02-01 (50), 05-02 (20); B 01-20 (80), refund 01-25 (-20); C 02-10 (30), 04-15 (40).
TINY_SNAPSHOTS = {
    # C signs up 02-10: not yet a customer. A: 17 days since 01-05 (> 10: dormant); B: 2 days, refund
    # of 01-25 not yet made (revenue 80)
    dt.date(2024, 1, 22): {"A": (1, 100.0, 17, 17, "dormant"), "B": (1, 80.0, 2, 2, "active")},
    # A 14 days since 02-01; B 26 days since 01-20 (refund deducted); C 5 days since 02-10
    dt.date(2024, 2, 15): {"A": (2, 150.0, 14, 41, "dormant"), "B": (1, 60.0, 26, 26, "dormant"),
                           "C": (1, 30.0, 5, 5, "active")},
    # C exactly 10 days since 02-10: not more than 10, still active
    dt.date(2024, 2, 20): {"A": (2, 150.0, 19, 46, "dormant"), "B": (1, 60.0, 31, 31, "dormant"),
                           "C": (1, 30.0, 10, 10, "active")},
    # A exactly 31 days since 02-01: not yet churned (churn day is 02-01 + 32 = 03-04)
    dt.date(2024, 3, 3): {"A": (2, 150.0, 31, 58, "dormant"), "B": (1, 60.0, 43, 43, "churned"),
                          "C": (1, 30.0, 22, 22, "dormant")},
    dt.date(2024, 3, 4): {"A": (2, 150.0, 32, 59, "churned"), "B": (1, 60.0, 44, 44, "churned"),
                          "C": (1, 30.0, 23, 23, "dormant")},
    # A's order of 05-02 is after as_of and ignored; C 15 days since 04-15
    dt.date(2024, 4, 30): {"A": (2, 150.0, 89, 116, "churned"), "B": (1, 60.0, 101, 101, "churned"),
                           "C": (2, 70.0, 15, 80, "dormant")},
    dt.date(2024, 5, 2): {"A": (3, 170.0, 0, 118, "active"), "B": (1, 60.0, 103, 103, "churned"),
                          "C": (2, 70.0, 17, 82, "dormant")},
}


@pytest.mark.parametrize("as_of", list(TINY_SNAPSHOTS), ids=str)
def test_tiny_snapshot_by_hand(tiny_may, as_of):
    snap = snapshot(tiny_may, as_of)
    expected = pd.DataFrame.from_dict(TINY_SNAPSHOTS[as_of], orient="index",
                                      columns=["n_purchases", "revenue", "days_since_last", "tenure_days",
                                               "status"])
    assert list(snap.index) == list(expected.index)
    for col in expected.columns:
        assert list(snap[col]) == list(expected[col]), col
    buys = {"A": ["2024-01-05", "2024-02-01", "2024-05-02"], "B": ["2024-01-20"], "C": ["2024-02-10", "2024-04-15"]}
    for cid in snap.index:
        seen = [d for d in buys[cid] if dt.date.fromisoformat(d) <= as_of]
        assert str(snap.at[cid, "first_purchase"])[:10] == seen[0]
        assert str(snap.at[cid, "last_purchase"])[:10] == seen[-1]


@pytest.fixture(scope="module")
def tiny():
    """TINY as shipped (report month 2024-04) and its KPI table."""
    data = load(TINY / "params")
    return data, monthly_kpis(data)


def test_tiny_snapshot_counts_equal_month_end_kpis(tiny):
    data, k = tiny
    for month, row in zip(k.month, k.itertuples()):
        end = (month + pd.offsets.MonthEnd(0)).date()
        counts = snapshot(data, end).status.value_counts()
        got = (counts.get("active", 0), counts.get("dormant", 0), counts.get("churned", 0))
        assert got == (row.n_active_end, row.n_dormant_end, row.n_churned_total_end), month


# ============================================================================ demo data


def copy_params(params: Path) -> Path:
    """The repo's params, without the interactions and campaigns sources (the engine does not read them)."""
    return copy_repo_params(params.parent, drop_sources=("interactions", "campaigns"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Demo data in the repo's layout (``data/demo`` beside the repo's ``params``)."""
    root = tmp_path_factory.mktemp("demo_engine")
    write_demo(root / "data" / "demo", n_customers=N_CUSTOMERS, seed=SEED)
    copy_params(root / "params")
    raw = {name: pd.read_csv(root / "data" / "demo" / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("customers", "orders")}
    return root, raw


@pytest.fixture(scope="module")
def demo_data(demo):
    root, _ = demo
    return {unit: load(root / "params", unit) for unit in ("retail", "subscriptions")}


def raw_unit_orders(raw: dict[str, pd.DataFrame], unit: str, end: dt.date) -> list[tuple[str, dt.date, float]]:
    """(customer, date, amount) of the unit's orders up to ``end``, exact duplicate rows dropped."""
    ids = set(raw["customers"].customer_id[raw["customers"].business_unit == unit])
    seen, out = set(), []
    for row in raw["orders"].itertuples(index=False):
        if tuple(row) in seen or row.customer_id not in ids:
            continue
        seen.add(tuple(row))
        day = dt.date.fromisoformat(row.order_date)
        if day <= end:
            out.append((row.customer_id, day, float(row.amount)))
    return out


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_cohort_counts_match_naive_loop(demo, demo_data, unit):
    _, raw = demo
    data = demo_data[unit]
    months: dict[str, set[int]] = defaultdict(set)
    for cid, day, amount in raw_unit_orders(raw, unit, data.month_end):
        if amount > 0:
            months[cid].add(day.year * 12 + day.month - 1)
    expected = Counter()
    for ms in months.values():
        cohort = min(ms)
        for m in ms:
            expected[(cohort, m - cohort)] += 1
    got = cohort_counts(data.orders).to_pandas()
    got_map = {(int(c), int(p)): int(n) for c, p, n in zip(got.cohort_idx, got.period, got.n_active)}
    assert len(got_map) == len(got)  # one row per cohort and period
    assert got_map == dict(expected)
    # period 0 is the whole cohort; no later period is larger; there are 36 cohorts of months
    size = {c: n for (c, p), n in got_map.items() if p == 0}
    assert all(n <= size[c] for (c, p), n in got_map.items())
    assert sum(size.values()) == len(months) and len(size) > 30


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_monthly_activity_totals_equal_the_orders(demo, demo_data, unit):
    _, raw = demo
    data = demo_data[unit]
    act = monthly_activity(data.orders).to_pandas()
    assert list(act.columns) == ["customer_id", "month_idx", "n_orders", "revenue"]
    assert not act.duplicated(["customer_id", "month_idx"]).any()
    orders = data.orders.to_pandas()
    assert act.n_orders.sum() == (orders.amount > 0).sum()
    assert act.revenue.sum() == pytest.approx(orders.amount.sum(), rel=1e-12)
    per_customer = act.groupby("customer_id").revenue.sum()
    pd.testing.assert_series_equal(per_customer, orders.groupby("customer_id").amount.sum().rename("revenue"),
                                   check_exact=False, rtol=1e-12)
    # against the raw rows, cell by cell
    n_orders: Counter = Counter()
    revenue: dict = defaultdict(float)
    for cid, day, amount in raw_unit_orders(raw, unit, data.month_end):
        key = (cid, day.year * 12 + day.month - 1)
        n_orders[key] += amount > 0
        revenue[key] += amount
    got = {(c, int(m)): (int(n), r) for c, m, n, r in zip(act.customer_id, act.month_idx, act.n_orders, act.revenue)}
    assert set(got) == set(revenue)
    assert all(got[key][0] == n_orders[key] for key in got)
    np.testing.assert_allclose([got[key][1] for key in sorted(got)], [revenue[key] for key in sorted(got)],
                               rtol=1e-12, atol=1e-9)
    if unit == "retail":
        assert (act.revenue < 0).any() and (act.n_orders == 0).any()  # refund-only months are kept


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_demo_snapshot_counts_equal_month_end_kpis(demo_data, unit):
    """Statuses of ``customer_snapshot`` at month ends add up to the KPI table's month-end stocks.

    Under the inactivity method the KPIs count customers from their first purchase (the demo's
    customers all buy on their signup day, so the sets agree).
    """
    data = demo_data[unit]
    k = monthly_kpis(data).set_index("month")
    for month in ("2023-02-01", "2023-07-01", "2024-02-01", "2024-12-01", "2025-12-01"):
        m = pd.Timestamp(month)
        snap = snapshot(data, (m + pd.offsets.MonthEnd(0)).date())
        if data.config.churn.method == "inactivity":
            snap = snap[snap.n_purchases > 0]
        counts = snap.status.value_counts()
        got = (counts.get("active", 0), counts.get("dormant", 0), counts.get("churned", 0))
        row = k.loc[m]
        assert got == (row.n_active_end, row.n_dormant_end, row.n_churned_total_end), month


def test_snapshot_unchanged_when_all_dates_shift_by_the_same_days(demo_data):
    data = demo_data["retail"]
    shift = pd.Timedelta(days=1000)
    orders = data.orders.to_pandas()[["customer_id", "order_date", "amount"]]
    customers = data.customers.to_pandas()[["customer_id", "signup_date"]]
    o2, c2 = orders.copy(), customers.copy()
    o2["order_date"] = pd.to_datetime(o2.order_date) + shift
    c2["signup_date"] = pd.to_datetime(c2.signup_date) + shift
    o2, c2 = ibis.memtable(o2).cast({"order_date": "date"}), ibis.memtable(c2).cast({"signup_date": "date"})
    cols = ["n_purchases", "revenue", "days_since_last", "tenure_days", "status"]
    for as_of in (dt.date(2023, 9, 15), dt.date(2024, 11, 30), dt.date(2025, 12, 31)):
        base = snapshot(data, as_of)
        moved = customer_snapshot(o2, c2, as_of=as_of + shift.to_pytimedelta(), method="inactivity",
                                  inactivity_days=90, dormant_days=45).to_pandas().set_index("customer_id")
        moved = moved.sort_index()
        assert len(base) > 50 and base.status.nunique() == 3
        pd.testing.assert_frame_equal(moved[cols], base[cols], check_dtype=False)
        assert (pd.to_datetime(moved.last_purchase) - pd.to_datetime(base.last_purchase) == shift).all()


# ============================================================================ no look-ahead


def test_orders_after_report_month_change_nothing_on_tiny(tiny, tmp_path):
    """Rows after 2024-04 are added to TINY: the KPI table stays the hand-computed one."""
    base, k0 = tiny
    shutil.copytree(TINY, tmp_path / "tiny")
    with open(tmp_path / "tiny" / "orders.csv", "a", encoding="utf-8") as fh:
        # B and A would be reactivated, C refunded, E is a customer who signs up in May
        fh.write("11,B,2024-05-01,999\n12,C,2024-05-03,-40\n13,A,2024-05-10,10\n14,E,2024-05-02,25\n")
    with open(tmp_path / "tiny" / "customers.csv", "a", encoding="utf-8") as fh:
        fh.write("E,shop,2024-05-02,web\n")
    data = load(tmp_path / "tiny" / "params")
    assert data.month == dt.date(2024, 4, 1)
    pd.testing.assert_frame_equal(monthly_kpis(data), k0)
    q = data.quality.rows.set_index(["table", "reason"])["rows"]
    q0 = base.quality.rows.set_index(["table", "reason"])["rows"]
    assert q0[("orders", "after report month")] == 1  # A's order of 2024-05-02
    assert q[("orders", "after report month")] == 1 + 4  # all four new rows, E's included
    assert q[("customers", "signed up after report month")] == 1
    assert ("customers", "signed up after report month") not in q0.index
    assert data.quality.balanced()
    assert data.orders.order_date.max().to_pyarrow().as_py() <= data.month_end


def _truncate(raw: dict[str, pd.DataFrame], end: str) -> dict[str, pd.DataFrame]:
    """The raw files as they would have been exported on ``end`` (ISO dates compare as text)."""
    c = raw["customers"][raw["customers"].signup_date <= end].copy()
    later = c.churn_date > end
    c.loc[later, ["churn_date", "churn_type", "churn_reason"]] = ""
    return {"customers": c, "orders": raw["orders"][raw["orders"].order_date <= end]}


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_kpis_ignore_everything_after_the_report_month(demo, tmp_path, unit):
    """Report 2025-06 on the full demo files == report 2025-06 on files cut at 2025-06-30."""
    root, raw = demo
    full = load(root / "params", unit, month="2025-06")
    cut = _truncate(raw, "2025-06-30")
    data_dir = tmp_path / "data" / "demo"
    data_dir.mkdir(parents=True)
    for name, frame in cut.items():
        frame.to_csv(data_dir / f"{name}.csv", index=False)
    truncated = load(copy_params(tmp_path / "params"), unit, month="2025-06")
    k_full, k_cut = monthly_kpis(full), monthly_kpis(truncated)
    assert len(k_full) > 20 and k_full.n_churned.sum() > 0
    pd.testing.assert_frame_equal(k_full, k_cut)
    # the later rows are excluded and counted, never silently lost
    ids = set(raw["customers"].customer_id[raw["customers"].business_unit == unit])
    o = raw["orders"][~raw["orders"].duplicated()]
    n_after = int((o.customer_id.isin(ids) & (o.order_date > "2025-06-30")).sum())
    q = full.quality.rows.set_index(["table", "reason"])["rows"]
    assert n_after > 0 and q[("orders", "after report month")] == n_after
    assert full.quality.balanced()


def test_monthly_flows_count_nothing_after_the_report_month():
    # C's dormancy (from 04-26) is still open at the April month end; it ends (churn) on 05-17: not counted
    from retention_utils.engine import monthly_flows

    data = load_unit_data(load_config(TINY / "params", "shop"))
    flows = monthly_flows(data.orders, data.customers, method="inactivity", inactivity_days=31, dormant_days=10,
                          end=data.month_end)
    assert flows.month_idx.max() == 2024 * 12 + 3
    assert flows.set_index("month_idx").dormant_out.sum() == 2 + 1 + 1  # A (Feb, Mar), B (Feb), C (Mar)


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_customer_key_numbers_ids_consistently(demo_data, unit):
    data = demo_data[unit]
    c = data.customers.select("customer_id", "customer_key").to_pandas()
    o = data.orders.select("customer_id", "customer_key").distinct().to_pandas()
    both = pd.concat([c, o]).drop_duplicates()
    # one key per id and one id per key, numbered 1..n in id order, the same in both tables
    assert both.customer_id.is_unique and both.customer_key.is_unique
    both = both.sort_values("customer_id")
    assert both.customer_key.tolist() == list(range(1, len(both) + 1))
    assert str(c.customer_key.dtype) == "int32"


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_integer_key_gives_the_same_answers_as_text_ids(demo_data, unit):
    data = demo_data[unit]
    by_text = data.orders.drop("customer_key"), data.customers.drop("customer_key")
    assert customer_key(data.orders, data.customers) == "customer_key"
    assert customer_key(*by_text) == "customer_id"

    def cc(orders):
        return cohort_counts(orders).to_pandas().sort_values(["cohort_idx", "period"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(cc(data.orders), cc(by_text[0]))
    for by in ("first_purchase", "signup"):
        a = cohort_activity(data.orders, data.customers, by=by)
        b = cohort_activity(*by_text, by=by)
        assert a.keys() == b.keys()
        for name in a:
            cols = [c for c in a[name].columns if c.endswith("_idx") or c.endswith("offset") or c == "period"]
            pd.testing.assert_frame_equal(a[name].sort_values(cols).reset_index(drop=True),
                                          b[name].sort_values(cols).reset_index(drop=True))
    kw = {"start": data.data_start, "end": data.month_end}
    pd.testing.assert_frame_equal(monthly_revenue(data.orders, **kw), monthly_revenue(by_text[0], **kw))
    ch = data.config.churn
    for method in ("inactivity", "explicit"):
        kw = {"method": method, "inactivity_days": ch.inactivity_days, "dormant_days": ch.dormant_days,
              "end": data.month_end}
        if method == "explicit" and "churn_date" not in data.customers.columns:
            continue
        pd.testing.assert_frame_equal(monthly_flows(data.orders, data.customers, **kw), monthly_flows(*by_text, **kw))
    kw = {"as_of": data.month_end, "method": ch.method, "inactivity_days": ch.inactivity_days,
          "dormant_days": ch.dormant_days}
    a = customer_snapshot(data.orders, data.customers, **kw).to_pandas()
    b = customer_snapshot(*by_text, **kw).to_pandas()
    assert list(a.columns) == list(b.columns) and "customer_key" not in a.columns
    pd.testing.assert_frame_equal(a.sort_values("customer_id").reset_index(drop=True),
                                  b.sort_values("customer_id").reset_index(drop=True))
