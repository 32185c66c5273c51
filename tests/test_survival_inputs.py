"""The lifetimes table (retention_utils.survival.inputs): the shared churn definition by hand, snapshot tables,
early-life features."""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils import DataError, load_config, load_unit_data
from retention_utils import survival as sv
from retention_utils.survival import lifetimes
from tests.conftest import TINY, write_unit

CUST = ("customer_id,business_unit,signup_date,churn_date,plan\n"
        "W,shop,2023-11-01,,basic\n"   # warm-up buyer: first purchase inside the first 31 days of data
        "P,shop,2024-01-01,,basic\n"    # 01-01, 01-21, 02-10 (gaps <= 31) then silence: churned at 02-10
        "Q,shop,2024-01-01,,gold\n"     # 01-01, 02-20 (gap 50 > 31), 03-01: first life ends at 01-01
        "R,shop,2024-01-01,,gold\n"     # 03-10, 04-20 (gap 41): churned at 03-10... see below
        "S,shop,2024-01-01,,basic\n")   # 04-25 only: window not elapsed at 04-30, censored at 04-25
ORD = ("order_id,customer_id,order_date,amount\n"
       "0,W,2023-12-01,10\n"
       "1,P,2024-01-01,10\n2,P,2024-01-21,10\n3,P,2024-02-10,10\n4,P,2024-03-20,-10\n"
       "5,Q,2024-01-01,10\n6,Q,2024-02-20,10\n7,Q,2024-03-01,10\n"
       "8,R,2024-03-10,10\n9,R,2024-04-20,10\n"
       "10,S,2024-04-25,10\n")
SRC = {"customers": {"path": "../customers.csv", "attributes": ["plan"]}, "orders": {"path": "../orders.csv"}}


def test_inactivity_lifetimes_by_hand(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC,
                        unit_yaml="report_month: '2024-04'\n")
    life = lifetimes(load_unit_data(load_config(params, "shop")))
    assert life.n_left_truncated == 1  # W: data start 2023-12-01, first purchase before 2024-01-01
    t = life.table.set_index("customer_id").sort_index()
    assert list(t.index) == ["P", "Q", "R", "S"]
    assert t.duration_days.tolist() == [40, 0, 0, 0]
    assert t.event.tolist() == [True, True, True, False]
    assert t.stop.astype(str).str[:10].tolist() == ["2024-02-10", "2024-01-01", "2024-03-10", "2024-04-25"]
    assert t.plan.tolist() == ["basic", "gold", "gold", "basic"]
    assert t.duration_months["P"] == pytest.approx(40 / (365.25 / 12))


def test_explicit_lifetimes_by_hand(tmp_path):
    cust = ("customer_id,business_unit,signup_date,churn_date,churn_type\n"
            "A,shop,2024-01-01,2024-03-01,voluntary\nB,shop,2024-02-01,,\nC,shop,2024-01-15,2024-06-01,involuntary\n")
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-01,10\n2,B,2024-02-01,10\n3,C,2024-01-15,10\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-04'\nchurn:\n  method: explicit\n")
    life = lifetimes(load_unit_data(load_config(params, "shop")))
    t = life.table.set_index("customer_id").sort_index()
    assert life.n_left_truncated == 0
    assert t.duration_days.tolist() == [60, 89, 106]  # 01-01..03-01; 02-01..04-30; 01-15..04-30
    assert t.event.tolist() == [True, False, False]    # C cancels after the report month: censored
    assert t.churn_type["A"] == "voluntary" and pd.isna(t.churn_type["C"])


def test_shifting_all_dates_changes_no_duration(tmp_path):
    shifted = ORD
    for old, new in (("2023-12", "2025-12"), ("2024-0", "2026-0")):
        shifted = shifted.replace(old, new)
    cust = CUST.replace("2023-11", "2025-11").replace("2024-01", "2026-01")
    p1 = write_unit(tmp_path / "a", files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC,
                    unit_yaml="report_month: '2024-04'\n")
    p2 = write_unit(tmp_path / "b", files={"customers.csv": cust, "orders.csv": shifted}, sources=SRC,
                    unit_yaml="report_month: '2026-04'\n")
    a = lifetimes(load_unit_data(load_config(p1, "shop"))).table.sort_values("customer_id")
    b = lifetimes(load_unit_data(load_config(p2, "shop"))).table.sort_values("customer_id")
    assert a.duration_days.tolist() == b.duration_days.tolist()
    assert a.event.tolist() == b.event.tolist()


def test_tiny_lifetimes():
    life = lifetimes(load_unit_data(load_config(TINY / "params", "shop")))
    assert life.n_left_truncated == 2  # A and B first bought within 31 days of the data start
    assert life.table.customer_id.tolist() == ["C"] and life.table.event.tolist() == [True]


# ----------------------------------------------------------------------------- snapshot tables


def test_lifetimes_from_snapshot_errors():
    raw = pd.DataFrame({"tenure": [1, 2, -1], "Churn": ["Yes", "No", "maybe"]})
    with pytest.raises(DataError, match=r"column\(s\) \['months'\] not found; the frame has \['tenure', 'Churn'\]"):
        sv.lifetimes_from_snapshot(raw, duration="months", event="Churn")
    with pytest.raises(DataError, match=r"'tenure' has 1 missing, non-numeric or negative value\(s\) \(rows \[2\]\)"):
        sv.lifetimes_from_snapshot(raw, duration="tenure", event="Churn")
    with pytest.raises(DataError, match=r"'Churn' has 1 value\(s\) that are not a yes/no flag \(e.g. \['maybe'\]\)"):
        sv.lifetimes_from_snapshot(raw.iloc[:2].assign(Churn=["Yes", "maybe"]), duration="tenure", event="Churn")
    out = sv.lifetimes_from_snapshot(raw.iloc[:2], duration="tenure", event="Churn", time_unit="days")
    assert out["duration_months"].tolist() == pytest.approx([1 / 30.4375, 2 / 30.4375])
    assert raw.columns.tolist() == ["tenure", "Churn"]  # caller's frame untouched


# ----------------------------------------------------------------------------- early-life features


EARLY_CUST = ("customer_id,business_unit,signup_date,churn_date,plan\n"
              "A,shop,2024-01-01,,basic\nB,shop,2024-01-01,2024-01-10,basic\nC,shop,2024-02-01,,gold\n")
EARLY_ORD = ("order_id,customer_id,order_date,amount,discount\n"
             "1,A,2024-01-01,10,2\n2,B,2024-01-01,10,0\n3,C,2024-03-15,10,1\n")
EARLY_INTER = ("customer_id,date,kind,score\n"
               "A,2024-01-05,complaint,\n"      # day 4: early complaint
               "A,2024-01-20,survey,5\n"        # first survey in the window, 5: detractor
               "A,2024-01-25,survey,9\n"        # later survey does not count
               "B,2024-01-12,complaint,\n"      # after B's churn (2024-01-10): not used
               "C,2024-03-15,complaint,\n"      # day 43: outside a 30-day window
               "C,2024-02-10,survey,8\n")       # passive
EARLY_SRC = {"customers": {"path": "../customers.csv", "attributes": ["plan"]}, "orders": {"path": "../orders.csv"},
             "interactions": {"path": "../interactions.csv"}}


def test_early_features_by_hand(tmp_path):
    files = {"customers.csv": EARLY_CUST, "orders.csv": EARLY_ORD, "interactions.csv": EARLY_INTER}
    params = write_unit(tmp_path, files=files,
                        sources=EARLY_SRC, unit_yaml="report_month: '2024-03'\nchurn:\n  method: explicit\n")
    data = load_unit_data(load_config(params, "shop"))  # the data end on 2024-03-15 (a partial month)
    t = sv.add_early_features(data, lifetimes(data), early_days=30).table.set_index("customer_id").sort_index()
    assert t["early_complaint"].tolist() == [True, False, False]
    assert t["nps_detractor"].tolist() == [True, False, False]
    assert t["discount_user"].tolist() == [True, False, False]  # C's discount is on day 43
    t60 = sv.add_early_features(data, lifetimes(data), early_days=60).table.set_index("customer_id").sort_index()
    assert t60["early_complaint"].tolist() == [True, False, True]
