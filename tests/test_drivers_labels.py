"""Churn labels at cut-offs and the cut-off plan (retention_utils.drivers.labels).

Reference values: hand-computed cases and a naive Python loop over each customer's purchase
days (an independent implementation of the label), and the shared snapshot of the engine.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from retention_utils import drivers as drv
from retention_utils.engine import customer_snapshot

# ----------------------------------------------------------------------------- labels by hand


def _tables(orders: pd.DataFrame, customers: pd.DataFrame) -> tuple[ibis.Table, ibis.Table]:
    con = ibis.duckdb.connect()
    o = orders.assign(order_date=pd.to_datetime(orders["order_date"]).dt.date)
    c = customers.assign(signup_date=pd.to_datetime(customers["signup_date"]).dt.date)
    if "churn_date" in c:
        c["churn_date"] = pd.to_datetime(c["churn_date"]).dt.date
    return con.create_table("o", o), con.create_table("c", c)


def _labels(o, c, cutoff, h, method="inactivity", d=31) -> dict[str, bool]:
    t = drv.churn_labels(o, c, cutoff=cutoff, horizon_days=h, method=method, inactivity_days=d).to_pandas()
    return dict(zip(t["customer_id"], t["churned"]))


# Inactivity, D = 31: a churn day is "last purchase + 32".
#   A: 01-01, 01-20, 03-10 (gap 50: churned 02-21, reactivated 03-10), then nothing (churn 04-11)
#   C: 01-10, 02-05, 03-05, 04-01 (gaps <= 31): never churns before 05-03
#   D: 01-01 only: churns on 02-02
#   B: first purchase 02-15; R: a refund only (not a purchase)
ORD = pd.DataFrame({
    "order_id": [str(i) for i in range(10)],
    "customer_id": ["A", "A", "A", "C", "C", "C", "C", "D", "B", "R"],
    "order_date": ["2024-01-01", "2024-01-20", "2024-03-10", "2024-01-10", "2024-02-05", "2024-03-05",
                   "2024-04-01", "2024-01-01", "2024-02-15", "2024-01-05"],
    "amount": [10.0] * 9 + [-5.0],
})
CUST = pd.DataFrame({"customer_id": list("ABCDR"), "signup_date": ["2024-01-01"] * 5})


def test_inactivity_labels_by_hand():
    o, c = _tables(ORD, CUST)
    # 02-01: A at risk (churn day 02-21 falls in [02-01, 03-02)); C's next purchase comes in time; D churns
    # on 02-02; B has not bought yet; R never bought
    assert _labels(o, c, "2024-02-01", 30) == {"A": True, "C": False, "D": True}
    # 02-02: D churns on the cut-off day itself: still at risk, churned in the window
    assert _labels(o, c, "2024-02-02", 30)["D"] is True
    # 02-03: D churned the day before the cut-off: left out; A still at risk
    assert "D" not in _labels(o, c, "2024-02-03", 30)
    # 03-01: A churned on 02-21 (before the cut-off): left out, even though A comes back on 03-10
    assert _labels(o, c, "2024-03-01", 30) == {"B": True, "C": False}
    # 03-15: A reactivated on 03-10; churns on 04-11: inside a 30-day window, outside a 20-day one
    assert _labels(o, c, "2024-03-15", 30)["A"] is True
    assert _labels(o, c, "2024-03-15", 20)["A"] is False


def test_explicit_labels_by_hand():
    cust = pd.DataFrame({"customer_id": list("EFGH"), "signup_date": ["2024-01-01", "2024-01-01", "2024-02-10",
                                                                        "2024-01-01"],
                         "churn_date": ["2024-02-15", "2024-01-20", None, "2024-03-10"]})
    o, c = _tables(ORD.iloc[:1].assign(customer_id="E"), cust)  # orders play no part under explicit churn
    # cut-off 02-01, H 30: E cancels 02-15 (in), F cancelled 01-20 (left out), G signs up after the cut-off,
    # H cancels 03-10 (after the window [02-01, 03-02))
    got = _labels(o, c, "2024-02-01", 30, method="explicit")
    assert got == {"E": True, "H": False}


def _naive_labels(orders: pd.DataFrame, t: pd.Timestamp, h: int, d: int) -> dict[str, bool]:
    """The label written as a plain loop over each customer's purchase days (independent reference)."""
    out = {}
    buys = orders[orders["amount"] > 0]
    for cid, g in buys.groupby("customer_id"):
        days = sorted(set(pd.to_datetime(g["order_date"])))
        days = [x for x in days if x < t + pd.Timedelta(days=h)]
        before = [x for x in days if x < t]
        if not before:
            continue
        last = before[-1]
        churn = None
        for i, x in enumerate(days):
            if x < last:
                continue
            nxt = days[i + 1] if i + 1 < len(days) else None
            if nxt is None or (nxt - x).days > d:
                churn = x + pd.Timedelta(days=d + 1)
                break
        if churn is not None and churn < t:
            continue  # churned before the cut-off
        out[cid] = churn is not None and churn < t + pd.Timedelta(days=h)
    return out


# ----------------------------------------------------------------------------- the demo units


def test_labels_match_a_naive_loop_and_the_snapshot(demo_units):
    data = demo_units["retail"]  # the shared demo: a naive loop needs no planted truth
    orders = data.orders.select("customer_id", "order_date", "amount").to_pandas()
    for cutoff in ("2024-06-01", "2025-09-01"):
        t = pd.Timestamp(cutoff)
        got = _labels(data.orders, data.customers, cutoff, 90, d=90)
        assert got == _naive_labels(orders, t, 90, 90)
        assert 0 < sum(got.values()) < len(got)
        # at risk = not churned in the shared snapshot of the day before the cut-off
        snap = customer_snapshot(data.orders, data.customers, as_of=(t - pd.Timedelta(days=1)).date(),
                                 method="inactivity", inactivity_days=90, dormant_days=45).to_pandas()
        alive = set(snap.loc[(snap["n_purchases"] > 0) & (snap["status"] != "churned"), "customer_id"])
        assert set(got) == alive


def test_cutoff_plan_is_out_of_time_and_observable(subs):
    data, res = subs
    p = res.plan
    h = dt.timedelta(days=res.horizon_days)
    assert p.evaluate == dt.date(2025, 10, 1) and p.score == dt.date(2026, 1, 1)
    assert len(p.train) == 6 and all(t + h <= p.evaluate for t in p.train)
    assert all(t + h - dt.timedelta(days=1) <= data.month_end for t in p.all_labelled())
    assert p.final[-1] == p.evaluate
