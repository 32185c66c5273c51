"""One test per contract rule, checking the wording of each error, and the row accounting."""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils import ConfigError, DataError, load_config, load_unit_data
from tests.conftest import TINY, write_unit

CUST = "customer_id,business_unit,signup_date\nA,shop,2024-01-05\nB,shop,2024-01-20\n"
ORD = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,100\n2,B,2024-02-01,50\n"
SRC = {"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}}


def load(params, unit="shop", month=None):
    return load_unit_data(load_config(params, unit, month=month))


def test_tiny_accounting_matches_hand_count():
    data = load(TINY / "params")
    q = data.quality.rows.set_index(["table", "reason"])["rows"]
    assert q[("orders", "used: purchase")] == 5
    assert q[("orders", "used: refund (negative amount)")] == 1
    assert q[("orders", "other business unit")] == 1
    assert q[("orders", "unknown customer")] == 1
    assert q[("orders", "after report month")] == 1
    assert q[("orders", "exact duplicate row")] == 1
    assert q[("orders", "missing customer_id")] == 1
    assert q[("customers", "used")] == 3
    assert q[("customers", "other business unit")] == 1
    assert data.quality.balanced()
    inputs = data.quality.inputs.set_index("table")["rows"]
    assert inputs["orders"] == 11 and inputs["customers"] == 4
    orders = data.orders.to_pandas()
    assert sorted(orders.order_id) == ["1", "2", "3", "4", "5", "6"]
    assert orders.amount.sum() == pytest.approx(100 + 50 + 80 - 20 + 30 + 40)
    cust = data.customers.to_pandas()
    assert sorted(cust.customer_id) == ["A", "B", "C"] and "channel" in cust.columns


def test_missing_column_names_file_column_and_present(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD.replace("order_date", "date")},
                        sources=SRC)
    with pytest.raises(DataError, match=r"orders\.csv: required column 'order_date' \(canonical 'order_date'\) "
                                        r"not found\. Columns present: 'order_id', 'customer_id', 'date', 'amount'"):
        load(params)


def test_mapped_column_suggests_close_name(tmp_path):
    src = {"customers": {"path": "../customers.csv"},
           "orders": {"path": "../orders.csv", "columns": {"amount": "Amount "}}}
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=src)
    with pytest.raises(DataError, match=r"Did you mean 'amount'\?"):
        load(params)


def test_unparseable_dates_count_rows_examples_and_fix(tmp_path):
    orders = ORD + "3,A,31/01/2024,10\n4,A,2024-13-01,10\n"
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": orders}, sources=SRC)
    with pytest.raises(DataError) as err:
        load(params)
    msg = str(err.value)
    assert "orders.csv: column 'order_date' has 2 unparseable dates (data rows 3, 4: '31/01/2024', '2024-13-01')" in msg
    assert "date_format" in msg and "nothing was analysed" in msg


def test_date_format_from_params_is_used(tmp_path):
    cust = "customer_id,business_unit,signup_date\nA,shop,05/01/2024\nB,shop,20/01/2024\n"
    src = {"customers": {"path": "../customers.csv", "date_format": "%d/%m/%Y"},
           "orders": {"path": "../orders.csv"}}
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=src)
    data = load(params)
    got = data.customers.to_pandas().set_index("customer_id").signup_date
    assert str(pd.Timestamp(got["A"]).date()) == "2024-01-05"
    assert str(pd.Timestamp(got["B"]).date()) == "2024-01-20"


def test_mixed_date_formats_are_an_error_not_a_guess(tmp_path):
    cust = "customer_id,business_unit,signup_date\nA,shop,05/01/2024\nB,shop,2024-01-20\n"
    src = {"customers": {"path": "../customers.csv", "date_format": "%d/%m/%Y"},
           "orders": {"path": "../orders.csv"}}
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=src)
    with pytest.raises(DataError, match=r"column 'signup_date' has 1 unparseable dates \(data rows 2: "
                                        r"'2024-01-20'\); expected dates in the format '%d/%m/%Y'"):
        load(params)


def test_unparseable_numbers(tmp_path):
    orders = ORD + "3,A,2024-02-03,12.5EUR\n"
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": orders}, sources=SRC)
    with pytest.raises(DataError, match=r"column 'amount' has 1 unparseable numbers \(data rows 3: '12.5EUR'\)"):
        load(params)


def test_decimal_comma_semicolon_bom_latin1(tmp_path):
    cust = "customer_id;business_unit;signup_date\nA;shop;2024-01-05\nB;shop;2024-01-20\n"
    orders = "order_id;customer_id;order_date;amount;category\n1;A;2024-01-05;1.234,50;café\n2;B;2024-02-01;50,25;thé\n"
    src = {"customers": {"path": "../customers.csv", "delimiter": ";"},
           "orders": {"path": "../orders.csv", "delimiter": ";", "decimal": ",", "encoding": "latin-1"}}
    params = write_unit(tmp_path, files={"customers.csv": b"\xef\xbb\xbf" + cust.encode("utf-8"),
                                         "orders.csv": orders.encode("latin-1")}, sources=src,
                        unit_yaml="report_month: '2024-02'\n")
    data = load(params)
    o = data.orders.to_pandas().set_index("order_id")
    assert o.amount["1"] == pytest.approx(1234.50) and o.amount["2"] == pytest.approx(50.25)
    assert o.category["1"] == "café"
    assert sorted(data.customers.to_pandas().customer_id) == ["A", "B"]  # BOM not part of the header


def test_a_utf8_bom_read_with_a_single_byte_encoding_is_not_part_of_the_header(tmp_path):
    """Excel's 'CSV UTF-8' starts with a byte-order mark; a user who sets a Latin encoding for the accents still
    gets the column 'InvoiceNo', not 'ï»¿InvoiceNo' (found by the new-user battery on a hostile export)."""
    orders = "InvoiceNo;customer_id;order_date;amount\n1;A;2024-01-05;3,50\n2;B;2024-03-05;1,00\n"
    src = {"customers": {"path": "../customers.csv"},
           "orders": {"path": "../orders.csv", "delimiter": ";", "decimal": ",", "encoding": "latin-1",
                      "columns": {"order_id": "InvoiceNo"}}}
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": b"\xef\xbb\xbf" + orders.encode()},
                        sources=src, unit_yaml="report_month: '2024-02'\n")
    o = load(params).orders.to_pandas()  # order 2 is after the report month
    assert o.order_id.tolist() == ["1"] and o.amount.tolist() == [3.5]


def test_duplicate_customer_ids(tmp_path):
    cust = CUST + "A,shop,2024-02-01\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=SRC)
    with pytest.raises(DataError, match=r"customers\.csv: column 'customer_id' has 1 duplicate customer ids "
                                        r"\('A' on rows 1, 3\)"):
        load(params)


def test_empty_business_unit_lists_values_present(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC,
                        unit_yaml="business_unit_value: Shop\n")
    with pytest.raises(DataError, match=r"no rows have business_unit = 'Shop' \(unit 'shop'\)\. Values present: "
                                        r"'shop' \(2\)\. Set business_unit_value"):
        load(params)


def test_unknown_unit_in_params(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC)
    with pytest.raises(ConfigError, match=r"unknown unit 'shops'.*units configured: shop"):
        load_config(params, "shops")


def test_values_outside_allowed_set(tmp_path):
    camp = "customer_id,campaign_id,sent_date,group,cost\nA,K1,2024-01-10,treatment,1\nB,K1,2024-01-10,Holdout,0\n"
    src = dict(SRC, campaigns={"path": "../campaigns.csv"})
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD, "campaigns.csv": camp},
                        sources=src)
    with pytest.raises(DataError, match=r"campaigns\.csv: column 'group' has 1 values outside "
                                        r"\{treatment, control\} \(data rows 2: 'holdout'\)"):
        load(params)


def test_explicit_churn_needs_churn_date(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD}, sources=SRC,
                        unit_yaml="churn:\n  method: explicit\n")
    with pytest.raises(DataError, match=r"churn\.method is 'explicit' but customers\.csv has no churn_date column"):
        load(params)


def test_missing_signup_date_is_an_error(tmp_path):
    cust = CUST + "C,shop,\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=SRC)
    with pytest.raises(DataError, match=r"column 'signup_date' is empty on 1 rows \(data rows 3\)"):
        load(params)


def test_missing_file_says_where_it_looked(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST}, sources=SRC)
    with pytest.raises(DataError, match=r"sources\.orders\.path: no file matches .*orders\.csv"):
        load(params)


def test_several_problems_reported_together(tmp_path):
    orders = ORD + "3,A,not a date,x\n"
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": orders}, sources=SRC)
    with pytest.raises(DataError, match=r"\(2 problems\)"):
        load(params)


def test_orders_only_with_unit_column_and_product_amount(tmp_path):
    orders = ("Invoice,Customer,When,Qty,Price,Country\n"
              "1,17850.0,2024-01-05 08:26:00,2,3.5,UK\n"
              "1,17850.0,2024-01-05 08:26:00,1,10,UK\n"
              "C2,17850.0,2024-01-09 10:00:00,-1,10,UK\n"
              "3,,2024-01-10 10:00:00,1,5,UK\n"
              "4,12345.0,2024-01-11 10:00:00,1,5,France\n")
    src = {"orders": {"path": "../orders.csv", "columns": {
        "order_id": "Invoice", "customer_id": "Customer", "order_date": "When",
        "amount": {"product": ["Qty", "Price"]}, "business_unit": "Country"}}}
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources=src,
                        unit_yaml="business_unit_value: UK\nreport_month: '2024-01'\n")
    data = load(params)
    o = data.orders.to_pandas().set_index("order_id")
    assert o.amount["1"] == pytest.approx(17.0) and o.n_lines["1"] == 2
    assert o.amount["C2"] == pytest.approx(-10.0)
    assert set(o.customer_id) == {"17850"}  # float ids lose their '.0'
    q = data.quality.rows.set_index("reason")["rows"]
    assert q["missing customer_id"] == 1 and q["other business unit"] == 1
    assert data.quality.balanced()
    assert "combined" in data.quality.notes.note.iloc[0]


def test_float_ids_written_with_a_decimal_comma_lose_their_comma_zero(tmp_path):
    """A European export writes the float CustomerID as 17850,0: with decimal: ',' the id is 17850, as from a
    dot export (else the at-risk list would not join back to the CRM)."""
    orders = ("Invoice;Customer;When;Amount\n"
              "1;17850,0;05/01/2024;3,50\n"
              "2;17850,00;09/01/2024;10,00\n"
              "3;12345,5;10/01/2024;1,00\n"
              "4;A-7,0;11/01/2024;2,00\n")
    src = {"orders": {"path": "../orders.csv", "delimiter": ";", "decimal": ",", "date_format": "%d/%m/%Y",
                      "columns": {"order_id": "Invoice", "customer_id": "Customer", "order_date": "When",
                                  "amount": "Amount"}}}
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources=src,
                        unit_yaml="report_month: '2024-01'\n")
    o = load(params).orders.to_pandas().set_index("order_id")
    assert o.customer_id.to_dict() == {"1": "17850", "2": "17850", "3": "12345,5", "4": "A-7,0"}
    assert o.amount["1"] == pytest.approx(3.5)


def test_churn_date_after_report_month_is_not_churn_yet(tmp_path):
    cust = "customer_id,business_unit,signup_date,churn_date,churn_type\nA,shop,2024-01-05,2024-03-10,voluntary\nB,shop,2024-01-20,,\n"
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": ORD}, sources=SRC,
                        unit_yaml="report_month: '2024-02'\nchurn:\n  method: explicit\n")
    data = load(params)
    c = data.customers.to_pandas()
    assert c.churn_date.isna().all()
    notes = data.quality.notes
    assert notes[notes.note.str.startswith("churn date")].rows.tolist() == [1]


def test_pandera_guard_rejects_a_broken_canonical_table():
    import datetime as dt

    import ibis

    from retention_utils.contract import enforce_schema

    good = ibis.memtable({"customer_id": ["a", "b"], "campaign_id": ["k", "k"],
                          "sent_date": [dt.date(2024, 1, 1)] * 2, "group": ["treatment", "control"]})
    good = good.mutate(sent_date=good.sent_date.cast("date"))
    enforce_schema("campaigns", good, label="campaigns.csv")
    bad = good.mutate(group=ibis.literal("holdout"), customer_id=ibis.null("string"))
    with pytest.raises(DataError, match=r"campaigns\.csv: the campaigns table breaks the data contract after "
                                        r"loading: .*customer_id.*holdout|campaigns\.csv: .*group"):
        enforce_schema("campaigns", bad, label="campaigns.csv")
