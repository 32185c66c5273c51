"""Issue 9, item 4: report months that make sense (future-dated orders, last complete month, partial months).

The run date is fixed with ``load_unit_data(..., today=...)`` so the tests do not depend on the clock.
"""
from __future__ import annotations

import datetime as dt

import pytest

from retention_utils import DataError, load_config, load_unit_data
from retention_utils.contract import future_dated_limit
from tests.conftest import write_unit

SRC = {"orders": {"path": "../orders.csv", "delimiter": ",", "encoding": "utf-8"}}
HEAD = "order_id,customer_id,order_date,amount\n"
# data end on 14 June 2025; one order in 2030
ORD = HEAD + "1,A,2025-04-03,10\n2,B,2025-05-10,20\n3,A,2025-06-14,30\n4,B,2030-01-03,40\n"
JULY_2025 = dt.date(2025, 7, 1)


def load(tmp_path, orders, *, month=None, today=JULY_2025, sources=SRC):
    unit_yaml = f"report_month: '{month}'\n" if month else ""
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources=sources, unit_yaml=unit_yaml)
    return load_unit_data(load_config(params, "shop"), today=today)


def reasons(data):
    return data.quality.rows.set_index(["table", "reason"])["rows"].to_dict()


def test_order_after_the_run_date_is_future_dated_and_default_month_is_last_complete(tmp_path):
    data = load(tmp_path, ORD)
    # old code: the 2030 order moved the default month to 2029-12
    assert data.month_label == "2025-05" and data.month_warning is None
    q = reasons(data)
    assert q[("orders", "future-dated")] == 1
    assert q[("orders", "used: purchase")] == 2  # orders 1 and 2; order 3 is after May
    assert q[("orders", "after report month")] == 1
    row = data.quality.rows.set_index("reason").loc["future-dated"]
    assert row["outcome"] == "dropped"
    assert data.quality.balanced()
    notes = data.quality.notes.set_index("table")
    assert notes.loc["orders", "note"] == ("future-dated orders set aside: dated after the run date 2025-07-01 "
                                           "(data rows 4: 2030-01-03)")
    assert notes.loc["orders", "rows"] == 1


def _many(n_before: int, strays: list[str]) -> str:
    """``n_before`` orders spread from 2 Jan to 14 June 2025 (day 163), then the stray dates."""
    start = dt.date(2025, 1, 2)
    lines = [f"{i},C{i % 7},{start + dt.timedelta(days=round(i * 163 / (n_before - 1)))},5" for i in range(n_before)]
    lines += [f"S{j},C1,{d},5" for j, d in enumerate(strays)]
    return HEAD + "\n".join(lines) + "\n"


def test_order_isolated_far_beyond_the_data_is_future_dated_even_before_the_run_date(tmp_path):
    # 150 orders 2 Jan .. 14 Jun 2025 (day 163), then one on 3 Jan 2030: 1/151 < 1% after a gap > 180 days
    data = load(tmp_path, _many(150, ["2030-01-03"]), today=dt.date(2035, 1, 1))
    assert data.month_label == "2025-05"
    assert reasons(data)[("orders", "future-dated")] == 1
    note = data.quality.notes.set_index("table").loc["orders", "note"]
    assert note.startswith("future-dated orders set aside: dated after 2025-06-14, isolated far beyond the rest of "
                           "the data (after more than 180 days without orders, under 1% of the orders)")
    assert note.endswith("or after the run date 2035-01-01 (data rows 151: 2030-01-03)")


def test_a_tail_holding_one_percent_or_more_is_kept(tmp_path):
    # 2 of 152 orders (1.3%) after the gap: not isolated, so they are data and set the month
    data = load(tmp_path, _many(150, ["2030-01-03", "2030-01-31"]), today=dt.date(2035, 1, 1))
    assert data.month_label == "2030-01"
    assert ("orders", "future-dated") not in reasons(data)


def test_future_dated_limit_rule():
    d = [dt.date(2025, 1, 1), dt.date(2025, 6, 14), dt.date(2025, 12, 12), dt.date(2026, 1, 3)]
    # the earliest qualifying gap wins: both strays go (181 days after 14 June, 2 of 1002 orders)
    assert future_dated_limit(d, [500, 500, 1, 1], today=dt.date(2030, 1, 1)) == (dt.date(2025, 6, 14), True)
    # a gap of exactly 180 days is not "more than 180"
    assert future_dated_limit([dt.date(2025, 1, 1), dt.date(2025, 6, 30)], [500, 1],
                              today=dt.date(2030, 1, 1)) == (dt.date(2030, 1, 1), False)


def test_default_month_is_the_last_complete_month_that_has_orders(tmp_path):
    orders = HEAD + "1,A,2025-02-03,10\n2,B,2025-03-10,20\n3,A,2025-06-14,30\n"  # nothing in April or May
    data = load(tmp_path, orders)
    assert data.month_label == "2025-03"


def test_explicit_month_after_the_data_is_an_error_naming_the_last_complete_month(tmp_path):
    with pytest.raises(DataError, match=r"^orders\.csv: the report month 2031-01 is after the data: the last order "
                                        r"is dated 14 June 2025 \(1 order was dated later and set aside as "
                                        r"future-dated\), so the last complete month is 2025-05\. Choose --month "
                                        r"2025-05 or earlier"):
        load(tmp_path, ORD, month="2031-01")
    with pytest.raises(DataError, match=r"the report month 2025-07 is after the data"):
        load(tmp_path / "b", ORD, month="2025-07")


def test_partly_covered_month_renders_with_a_warning(tmp_path):
    data = load(tmp_path, ORD, month="2025-06")
    assert data.month_label == "2025-06"
    assert data.month_warning == ("The data end on 14 June 2025: June 2025 is only partly covered, so its numbers "
                                  "are incomplete.")
    assert reasons(data)[("orders", "used: purchase")] == 3
    full = load(tmp_path / "b", ORD, month="2025-05")
    assert full.month_warning is None


def test_month_ending_on_its_last_day_is_complete(tmp_path):
    orders = HEAD + "1,A,2025-04-03,10\n2,B,2025-05-31,20\n"
    data = load(tmp_path, orders)
    assert data.month_label == "2025-05" and data.month_warning is None


def test_default_month_uses_the_export_extent_across_units(tmp_path):
    # unit 'shop' ends on 20 May, but the export (unit 'b2b') runs to 30 June: June is complete for the export
    orders = ("order_id,customer_id,order_date,amount,unit\n1,A,2025-05-20,10,shop\n2,B,2025-06-30,20,b2b\n"
              "3,C,2031-01-01,5,shop\n")
    src = {"orders": {"path": "../orders.csv", "columns": {"business_unit": "unit"}}}
    data = load(tmp_path, orders, sources=src)
    assert data.month_label == "2025-06" and data.month_warning is None
    q = reasons(data)
    assert q[("orders", "future-dated")] == 1 and q[("orders", "other business unit")] == 1


def test_subscription_data_reach_their_latest_signup_or_cancellation(tmp_path):
    """Explicit churn: a month without invoices can still hold cancellations, so the data end at the latest
    signup or churn date on or before the run date (a churn date after it is scheduled, not data)."""
    cust = ("customer_id,signup_date,churn_date\nA,2025-01-05,2025-03-20\nB,2025-01-10,\n"
            "C,2025-02-01,2026-09-30\n")
    orders = HEAD + "1,A,2025-01-05,10\n2,B,2025-01-10,10\n3,C,2025-02-01,10\n"
    sources = {"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}}

    def load_explicit(folder, month):
        params = write_unit(folder, files={"customers.csv": cust, "orders.csv": orders}, sources=sources,
                            unit_yaml=f"report_month: '{month}'\nchurn:\n  method: explicit\n")
        return load_unit_data(load_config(params, "shop"), today=JULY_2025)

    data = load_explicit(tmp_path / "a", "2025-03")
    assert data.month_warning.startswith("The data end on 20 March 2025: March 2025 is only partly covered")
    with pytest.raises(DataError, match=r"the report month 2025-04 is after the data: the data end on 20 March 2025 "
                                        r"\(the last order is dated 1 February 2025\), so the last complete month "
                                        r"is 2025-02\."):
        load_explicit(tmp_path / "b", "2025-04")
