"""Features as of a cut-off: hand-computed values and the absence of look-ahead."""
from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from retention_utils.demo import generate_demo
from retention_utils.engine.features import FEATURES, customer_features
from retention_utils.errors import ConfigError

D = pd.Timestamp


def _tables(frames: dict[str, pd.DataFrame]) -> dict[str, ibis.Table]:
    """Canonical-like Ibis tables (dates as dates) in a fresh DuckDB connection."""
    con = ibis.duckdb.connect()
    out = {}
    for name, df in frames.items():
        df = df.copy()
        for c in ("signup_date", "churn_date", "order_date", "date", "sent_date"):
            if c in df:
                df[c] = pd.to_datetime(df[c]).dt.date
        out[name] = con.create_table(name, df)
    return out


def _features(frames: dict[str, pd.DataFrame], cutoff: str, attributes=()) -> pd.DataFrame:
    t = _tables(frames)
    f = customer_features(t["orders"], t["customers"], cutoff=cutoff, interactions=t.get("interactions"),
                          campaigns=t.get("campaigns"), attributes=attributes).to_pandas()
    return f.sort_values("customer_id").reset_index(drop=True)


# Customer A, cut-off 2024-07-01 (the last day used is 2024-06-30):
#   purchases 2023-12-01 (40, discount 10), 2024-03-01 (20), 2024-05-01 (30), 2024-06-11 (50, discount 50);
#   a refund 2024-06-20 (-20, returned); an order ON the cut-off day (ignored: not before it).
#   Support ticket 2024-02-01, complaint 2024-01-10, surveys 2024-04-01 (9) and 2024-06-01 (3);
#   campaigns: treatment 2024-05-05, control 2024-06-05 (not an exposure), treatment 2024-01-05 (> 90 days).
# Customer B signed up 2024-06-20, no purchase. Customer C signs up on the cut-off day: not a customer yet.
ORDERS = pd.DataFrame({
    "order_id": ["1", "2", "3", "4", "5", "6"],
    "customer_id": ["A"] * 6,
    "order_date": ["2023-12-01", "2024-03-01", "2024-05-01", "2024-06-11", "2024-06-20", "2024-07-01"],
    "amount": [40.0, 20.0, 30.0, 50.0, -20.0, 999.0],
    "discount": [10.0, 0.0, 0.0, 50.0, 0.0, 0.0],
    "returned": [False, False, False, False, True, False],
})
CUSTOMERS = pd.DataFrame({"customer_id": ["A", "B", "C"],
                          "signup_date": ["2023-12-01", "2024-06-20", "2024-07-01"],
                          "plan": ["gold", None, "basic"]})
INTERACTIONS = pd.DataFrame({
    "customer_id": ["A"] * 5, "date": ["2024-02-01", "2024-01-10", "2024-04-01", "2024-06-01", "2024-07-01"],
    "kind": ["support_ticket", "complaint", "survey", "survey", "complaint"],
    "score": [np.nan, np.nan, 9.0, 3.0, np.nan]})
CAMPAIGNS = pd.DataFrame({"customer_id": ["A", "A", "A"], "campaign_id": ["x", "y", "z"],
                          "sent_date": ["2024-05-05", "2024-06-05", "2024-01-05"],
                          "group": ["treatment", "control", "treatment"], "cost": [1.5, 0.0, 1.5]})
FRAMES = {"orders": ORDERS, "customers": CUSTOMERS, "interactions": INTERACTIONS, "campaigns": CAMPAIGNS}


def test_features_by_hand():
    f = _features(FRAMES, "2024-07-01", attributes=["plan"])
    assert f["customer_id"].tolist() == ["A", "B"]
    a, b = f.iloc[0], f.iloc[1]
    # purchases before the cut-off: 12-01, 03-01, 05-01, 06-11 (ages 213, 122, 61, 20 days)
    assert a.recency_days == 20 and a.tenure_days == 213
    assert (a.n_orders_90, a.n_orders_180, a.n_orders_365) == (2, 3, 4)
    assert (a.revenue_90, a.revenue_180, a.revenue_365) == (80.0, 100.0, 140.0)
    assert a.net_revenue_365 == 120.0                       # the refund deducted
    assert a.n_orders_prev_90 == 1                           # 03-01 is 122 days back
    assert a.order_trend == pytest.approx(np.log(3 / 2))     # (1 + 2) / (1 + 1)
    assert a.aov_change == pytest.approx(np.log((100 / 3) / 40))  # last 180 days vs before (12-01: 40)
    assert a.mean_interpurchase_days == pytest.approx(193 / 3)  # 12-01 .. 06-11 is 193 days, 3 gaps
    assert a.overdue_ratio == pytest.approx(20 / (193 / 3))
    assert (a.n_tickets_365, a.n_complaints, a.latest_nps) == (1, 1, 3)
    assert a.discount_share == pytest.approx(60 / 200)       # discounts 10 + 50 of gross 50 + 20 + 30 + 100
    assert a.refund_rate == pytest.approx(1 / 4)
    assert a.campaign_contacts_90 == 1                      # the control contact and the old one do not count
    assert a.plan == "gold"
    # B: signed up 11 days ago, never bought: recency from signup, no rhythm, nothing else
    assert b.recency_days == 11 and b.tenure_days == 11 and b.n_orders_365 == 0
    assert np.isnan(b.mean_interpurchase_days) and np.isnan(b.latest_nps) and np.isnan(b.refund_rate)
    assert b.n_complaints == 0 and b.campaign_contacts_90 == 0 and pd.isna(b.plan)


def test_optional_tables_leave_their_features_out():
    f = _features({"orders": ORDERS[["order_id", "customer_id", "order_date", "amount"]], "customers": CUSTOMERS},
                  "2024-07-01")
    for name in ("n_tickets_365", "n_complaints", "latest_nps", "discount_share", "campaign_contacts_90"):
        assert name not in f.columns
    assert {"recency_days", "overdue_ratio", "refund_rate"} <= set(f.columns)
    assert set(f.columns) - {"customer_id", "cutoff", "net_revenue_365", "n_orders_prev_90"} <= set(FEATURES)


def test_attribute_errors_name_the_key():
    t = _tables(FRAMES)
    with pytest.raises(ConfigError, match=r"drivers.attributes: attribute\(s\) 'tier' not found.*attributes present: 'plan'"):
        customer_features(t["orders"], t["customers"], cutoff="2024-07-01", attributes=["tier"])
    with pytest.raises(ConfigError, match="'churn_reason' is recorded when a customer churns"):
        customer_features(t["orders"], t["customers"], cutoff="2024-07-01", attributes=["churn_reason"])


# ----------------------------------------------------------------------------- no look-ahead


@pytest.fixture(scope="module")
def demo_frames() -> dict[str, pd.DataFrame]:
    d = generate_demo(n_customers=300, seed=5)
    c = d.customers[["customer_id", "signup_date", "churn_date", "plan", "channel"]].astype({"plan": object,
                                                                                             "channel": object})
    known = set(c["customer_id"])
    o = d.orders[d.orders["customer_id"].isin(known)].drop_duplicates("order_id")
    o = o[["order_id", "customer_id", "order_date", "amount", "discount", "returned"]]
    i = d.interactions.assign(kind=d.interactions["kind"].astype(str),
                              score=d.interactions["score"].astype(float))
    g = d.campaigns.assign(group=d.campaigns["group"].astype(str), campaign_id=d.campaigns["campaign_id"].astype(str))
    return {"orders": o, "customers": c, "interactions": i, "campaigns": g}


DATE = {"orders": "order_date", "interactions": "date", "campaigns": "sent_date"}


def _perturb_future(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp, how: str, seed: int) -> dict:
    """Change, delete or add events dated on or after the cut-off (and future churn dates)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, df in frames.items():
        df = df.copy()
        if name == "customers":
            future = df["churn_date"] >= cutoff
            df.loc[future, "churn_date"] = cutoff + pd.Timedelta(days=400)
            out[name] = df
            continue
        late = df[DATE[name]] >= cutoff
        if how == "delete":
            df = df[~late]
        elif how == "change":
            span = int((pd.Timestamp("2025-12-31") - cutoff).days)
            df.loc[late, DATE[name]] = cutoff + pd.to_timedelta(rng.integers(0, span + 1, late.sum()), unit="D")
            if name == "orders":
                df.loc[late, "amount"] = df.loc[late, "amount"] * -3 + 7
                df.loc[late, "discount"] = 99.0
                df.loc[late, "returned"] = ~df.loc[late, "returned"]
            elif name == "interactions":
                df.loc[late, "kind"] = "complaint"
                df.loc[late, "score"] = 0.0
            else:
                df.loc[late, "group"] = "treatment"
        elif how == "add":  # every customer gets one more event exactly on the cut-off day
            extra = frames["customers"][["customer_id"]].copy()
            extra[DATE[name]] = cutoff
            if name == "orders":
                extra = extra.assign(order_id="X" + extra["customer_id"], amount=500.0, discount=0.0, returned=True)
            elif name == "interactions":
                extra = extra.assign(kind="complaint", score=1.0)
            else:
                extra = extra.assign(campaign_id="X", group="treatment", cost=1.0)
            df = pd.concat([df, extra[df.columns]], ignore_index=True)
        out[name] = df
    return out


@pytest.mark.parametrize("cutoff", ["2024-03-01", "2025-06-15"])
def test_no_look_ahead(demo_frames, cutoff):
    """Changing, deleting or adding any event on or after the cut-off changes no feature."""
    t = pd.Timestamp(cutoff)
    base = _features(demo_frames, cutoff, attributes=["plan", "channel"])
    assert len(base) > 50
    for k, how in enumerate(("delete", "change", "add")):
        other = _features(_perturb_future(demo_frames, t, how, seed=k), cutoff, attributes=["plan", "channel"])
        pd.testing.assert_frame_equal(base, other, check_exact=False, rtol=1e-12)


def test_an_event_before_the_cut_off_does_change_features(demo_frames):
    """The control: the comparison above would notice a change (an order the day before the cut-off)."""
    t = pd.Timestamp("2025-06-15")
    frames = dict(demo_frames)
    who = _features(demo_frames, "2025-06-15")["customer_id"].iloc[0]
    extra = pd.DataFrame({"order_id": ["Y"], "customer_id": [who], "order_date": [t - pd.Timedelta(days=1)],
                          "amount": [10.0], "discount": [0.0], "returned": [False]})
    frames["orders"] = pd.concat([demo_frames["orders"], extra], ignore_index=True)
    a = _features(demo_frames, "2025-06-15").set_index("customer_id")
    b = _features(frames, "2025-06-15").set_index("customer_id")
    assert b.loc[who, "recency_days"] == 1 and a.loc[who, "recency_days"] != 1
    assert (a.drop(index=who).fillna(-1) == b.drop(index=who).fillna(-1)).all().all()


def test_shifting_all_dates_changes_no_feature(demo_frames):
    shift = pd.Timedelta(days=364)
    moved = {}
    for name, df in demo_frames.items():
        df = df.copy()
        for c in ("signup_date", "churn_date", "order_date", "date", "sent_date"):
            if c in df:
                df[c] = df[c] + shift
        moved[name] = df
    a = _features(demo_frames, "2025-01-01").drop(columns="cutoff")
    b = _features(moved, str((pd.Timestamp("2025-01-01") + shift).date())).drop(columns="cutoff")
    pd.testing.assert_frame_equal(a, b)
