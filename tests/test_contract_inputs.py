"""Issue 9, items 6, 7 and 11 (contract side): value mappings, clearer messages for empty inputs, exports
without amounts, and business_unit_value without a business-unit column."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from retention_utils import DataError, load_config, load_unit_data
from tests.conftest import write_unit

TODAY = dt.date(2025, 7, 1)
CUST = ("customer_id,signup_date,churn_date,cancel_kind\nA,2024-01-05,2024-02-10,customer_request\n"
        "B,2024-01-20,2024-02-15,Payment_Failed\nC,2024-01-25,,\n")
ORD = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,100\n2,B,2024-02-01,50\n3,C,2024-02-03,20\n"
SRC = {"customers": {"path": "../customers.csv", "columns": {"churn_type": "cancel_kind"}},
       "orders": {"path": "../orders.csv"}}
VALUES = {"churn_type": {"customer_request": "voluntary", "payment_failed": "involuntary"}}


def load(params, month=None):
    return load_unit_data(load_config(params, "shop", month=month), today=TODAY)


# ----------------------------------------------------------------------------- item 6: values


def test_values_mapping_is_applied_before_validation(tmp_path):
    src = {**SRC, "customers": {**SRC["customers"], "values": VALUES}}
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=src,
                        unit_yaml="report_month: '2024-02'\nchurn:\n  method: explicit\n")
    c = load(params).customers.to_pandas().set_index("customer_id")
    assert c.churn_type["A"] == "voluntary"
    assert c.churn_type["B"] == "involuntary"  # categories match case-insensitively
    assert c.churn_type.isna()["C"]


def test_without_the_mapping_the_export_values_are_reported(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC)
    with pytest.raises(DataError, match=r"customers\.csv: column 'cancel_kind' has 2 values outside \{voluntary, "
                                        r"involuntary\} \(data rows 1, 2: 'customer_request', 'payment_failed'\); "
                                        r"recode them in the export, map them to allowed values under "
                                        r"sources\.customers\.values\.churn_type in params"):
        load(params)


def test_unmapped_values_are_still_reported(tmp_path):
    cust = CUST + "D,2024-01-26,2024-02-20,moved_away\n"
    src = {**SRC, "customers": {**SRC["customers"], "values": VALUES}}
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=src)
    with pytest.raises(DataError, match=r"column 'cancel_kind' has 1 values outside \{voluntary, involuntary\} "
                                        r"\(data rows 4: 'moved_away'\)"):
        load(params)


def test_values_mapping_on_a_text_column_is_exact(tmp_path):
    orders = "order_id,customer_id,order_date,amount,channel\n1,A,2024-01-05,100,W\n2,B,2024-02-01,50,w\n" \
             "3,C,2024-02-03,20,S\n"
    src = {"orders": {"path": "../orders.csv", "values": {"channel": {"W": "web", "S": "store"}}}}
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources=src, unit_yaml="report_month: '2024-02'\n")
    o = load(params).orders.to_pandas().set_index("order_id")
    assert o.channel.to_dict() == {"1": "web", "2": "w", "3": "store"}


# ----------------------------------------------------------------------------- item 7: empty inputs


def test_amount_column_empty_on_every_row_is_named(tmp_path):
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,\n2,B,2024-02-01,\n3,A,2024-02-09, \n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    # old code: "unit 'shop' has no orders on or before the report month"
    with pytest.raises(DataError, match=r"orders\.csv: column 'amount' is empty on all 3 rows; the kit needs the "
                                        r"order value there: fill it in the export, or map "
                                        r"sources\.orders\.columns\.amount"):
        load(params)


@pytest.mark.parametrize("content", [b"", b"\n\n\n", b"\xef\xbb\xbf\r\n"], ids=["zero-byte", "blank-lines", "bom"])
def test_empty_file_says_it_is_empty(tmp_path, content):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": content}, sources=SRC)
    # old code: "required column 'order_id' ... Columns present: 'column0'"
    with pytest.raises(DataError, match=r"^orders\.csv: the file is empty \(no column names and no rows\); export "
                                        r"the orders table again"):
        load(params)


def test_header_only_file_says_it_has_no_rows(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD.splitlines()[0] + "\n"},
                        sources=SRC)
    with pytest.raises(DataError, match=r"^orders\.csv: has column names but no data rows \('order_id', "
                                        r"'customer_id', 'order_date', 'amount'\)"):
        load(params)


def test_sniffed_dialect_is_stated_in_the_quality_notes(tmp_path):
    orders = "order_id;customer_id;order_date;amount\n1;A;2024-01-05;100\n2;B;2024-02-01;50\n"
    src = {"orders": {"path": "../orders.csv"},
           "customers": {"path": "../customers.csv", "delimiter": ",", "encoding": "utf-8"}}
    cust = "customer_id,signup_date\nA,2024-01-05\nB,2024-01-20\n"
    params = write_unit(tmp_path, files={"orders.csv": orders, "customers.csv": cust}, sources=src,
                        unit_yaml="report_month: '2024-02'\n")
    notes = load(params).quality.notes
    assert notes.to_dict("records") == [
        {"table": "orders", "rows": 2,
         "note": "read as CSV: delimiter ';' (detected), encoding utf-8 (the default; set encoding in params, "
                 "e.g. encoding: latin-1, if accents look wrong)"}]  # customers: both given, no note


def test_given_delimiter_with_default_encoding_says_so(tmp_path):
    src = {"orders": {"path": "../orders.csv", "delimiter": ","}}
    params = write_unit(tmp_path, files={"orders.csv": ORD}, sources=src, unit_yaml="report_month: '2024-02'\n")
    assert load(params).quality.notes.note.tolist() == [
        "read as CSV: delimiter ',' (from params), encoding utf-8 (the default; set encoding in params, e.g. "
        "encoding: latin-1, if accents look wrong)"]


# ----------------------------------------------------------------------------- item 11: no amounts


def test_orders_without_amounts_are_all_purchases(tmp_path):
    orders = "order_id,customer_id,order_date\n1,A,2024-01-05\n2,B,2024-02-01\n2,B,2024-02-01\n3,,2024-02-02\n" \
             "4,A,2024-03-01\n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-02'\n")
    data = load(params)
    assert data.has_amounts is False and data.kind == "orders"
    o = data.orders.to_pandas()
    assert data.orders.schema()["amount"].is_float64()
    assert sorted(o.order_id) == ["1", "2"] and all(math.isnan(a) for a in o.amount)
    q = data.quality.rows.set_index("reason")["rows"].to_dict()
    assert q == {"used: purchase (no amounts)": 2, "exact duplicate row": 1, "missing customer_id": 1,
                 "after report month": 1}
    assert data.quality.balanced()
    assert "no amount column: every dated order counts as a purchase" in " ".join(data.quality.notes.note)


def test_orders_with_amounts_say_so(tmp_path):
    params = write_unit(tmp_path, files={"orders.csv": ORD}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-02'\n")
    assert load(params).has_amounts is True


def test_business_unit_value_without_a_unit_column_is_an_error(tmp_path):
    cust = "customer_id,signup_date,churn_date,cancel_kind\nA,2024-01-05,,\nB,2024-01-20,,\nC,2024-01-25,,\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=SRC,
                        unit_yaml="business_unit_value: UK\n")
    # old code: business_unit_value silently ignored, every row used
    with pytest.raises(DataError, match=r"\(1 problem\).*\n  - customers\.csv: business_unit_value is 'UK' in the params of unit 'shop', "
                                        r"but customers\.csv and orders\.csv have no business-unit column to select "
                                        r"it with\. Columns present: 'customer_id', 'signup_date', 'churn_date', "
                                        r"'cancel_kind'\. Map the column that names the unit under "
                                        r"sources\.customers\.columns\.business_unit \(e\.g\. business_unit: "
                                        r"Country\), or remove business_unit_value"):
        load(params)


def test_grocery_event_log_with_only_customer_and_date(real_data, tmp_path):
    path = real_data / "grocery_elog" / "groceryElog.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    src = {"orders": {"path": str(path), "columns": {"customer_id": "cust", "order_date": "date"}}}
    params = write_unit(tmp_path, files={}, sources=src)
    data = load(params)
    assert data.has_amounts is False
    # data end on 30 Dec 2007: December is not complete, so the default month is November 2007
    assert data.month_label == "2007-11" and data.month_warning is None
    q = data.quality.rows.set_index("reason")["rows"].to_dict()
    n_dec = q.pop("after report month")
    assert q == {"used: purchase (no amounts)": 10_483 - n_dec}
    assert data.quality.balanced()
    assert int(data.customers.count().to_pyarrow().as_py()) == 1525
    assert int(data.orders.count().to_pyarrow().as_py()) == 10_483 - n_dec
    # December 2007 explicitly: only partly covered (the data end on 30 December)
    dec = load(params, month="2007-12")
    assert dec.month_warning == ("The data end on 30 December 2007: December 2007 is only partly covered, so its "
                                 "numbers are incomplete.")


# ----------------------------------------------------------------------------- NaN, inf and missing tokens


def test_nan_amounts_are_missing_not_zero_revenue(tmp_path):
    """'NaN' in an amount column read as a float poisoned every sum (net revenue showed EUR 0.00): such
    spellings of 'no value' are missing values, counted and left out."""
    from retention_utils.kpis import monthly_kpis

    orders = ("order_id,customer_id,order_date,amount\n1,A,2024-01-05,100\n2,B,2024-01-20,NaN\n"
              "3,C,2024-01-25,N/A\n4,A,2024-01-31,20.5\n")
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    data = load(params)
    q = data.quality.rows.set_index("reason")["rows"].to_dict()
    assert q == {"used: purchase": 2, "missing amount": 2}
    k = monthly_kpis(data).set_index("month").iloc[-1]
    assert k.net_revenue == pytest.approx(120.5) and not math.isnan(k.net_revenue)


@pytest.mark.parametrize("value", ["inf", "-Infinity", "1e999"])
def test_infinite_amounts_are_unparseable(tmp_path, value):
    orders = f"order_id,customer_id,order_date,amount\n1,A,2024-01-05,100\n2,B,2024-01-31,{value}\n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    with pytest.raises(DataError, match=rf"orders\.csv: column 'amount' has 1 unparseable numbers \(data rows 2: "
                                        rf"'{value}'\); expected numbers like 1234\.50"):
        load(params)


def test_snapshot_nan_tenure_is_missing_and_inf_is_unparseable(tmp_path):
    text = "id,months,Churn\nA,12,Yes\nB,NaN,No\nC,3,No\n"
    src = {"snapshot": {"path": "../snap.csv", "columns": {"customer_id": "id", "tenure": "months",
                                                           "churned": "Churn"}}}
    params = write_unit(tmp_path / "a", files={"snap.csv": text}, sources=src, unit_yaml="report_month: '2025-03'\n")
    data = load(params)
    assert data.quality.rows.set_index("reason")["rows"].to_dict() == {"used": 2, "missing tenure": 1}
    params = write_unit(tmp_path / "b", files={"snap.csv": text.replace("NaN", "inf")}, sources=src,
                        unit_yaml="report_month: '2025-03'\n")
    with pytest.raises(DataError, match=r"snap\.csv: column 'months' has 1 unparseable numbers \(data rows 2: 'inf'\)"):
        load(params)


def test_orders_whose_ids_match_no_customer_say_so(tmp_path):
    """Customers numbered 001.. and orders 1..: every order is 'unknown customer'; the message said the
    unit had no orders before the report month."""
    cust = "customer_id,signup_date\n001,2024-01-05\n002,2024-01-20\n003,2024-01-25\n"
    orders = "order_id,customer_id,order_date,amount\n1,1,2024-01-05,10\n2,2,2024-01-20,10\n3,3,2024-01-31,10\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}})
    with pytest.raises(DataError, match=r"orders\.csv: unit 'shop' has no usable orders on or before the report month "
                                        r"2024-01: 3 of its 3 order rows name a customer id that is not in "
                                        r"customers\.csv \(orders: '1', '2', '3'; customers: '001', '002', '003'\)\. "
                                        r"Check that both files use the same customer key"):
        load(params)
