"""The KPI ledger: rows appended per run, a re-run month replaced, revisions found after corrected exports."""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils.ledger import LEDGER_COLUMNS, LEDGER_FILE, ledger_rows, read_ledger, revisions, update_ledger
from retention_utils.report import run_month
from tests.conftest import ROOT, write_unit


def _summary(value: float) -> pd.DataFrame:
    return pd.DataFrame({"analysis": ["kpis", "kpis"], "metric": ["n_active", "n_active"],
                         "label": ["Buyers", "Buyers"], "value": [value, 3.0], "unit": ["customers"] * 2,
                         "ci_lower": [None, None], "ci_upper": [None, None], "compared_to": ["", "previous month"],
                         "delta": [None, 3.0], "higher_is_better": [True, True]})


def test_update_appends_and_replaces_the_same_unit_and_month(tmp_path):
    def rows(unit, month, value, run):
        return ledger_rows(_summary(value), unit=unit, month=month, run_id=run, run_at="t", fingerprint="f")

    update_ledger(tmp_path, rows("a", "2025-11", 10, "r1"))
    update_ledger(tmp_path, rows("a", "2025-12", 11, "r2"))
    update_ledger(tmp_path, rows("b", "2025-12", 5, "r2"))
    update_ledger(tmp_path, rows("a", "2025-12", 12, "r3"))  # the month re-run: its rows replaced
    got = read_ledger(tmp_path)
    assert list(got.columns) == list(LEDGER_COLUMNS)
    assert got[["unit", "month", "value", "run_id"]].values.tolist() == [
        ["a", "2025-11", 10.0, "r1"], ["a", "2025-12", 12.0, "r3"], ["b", "2025-12", 5.0, "r2"]]


def test_an_unreadable_ledger_is_kept_aside_and_a_new_one_started(tmp_path):
    (tmp_path / LEDGER_FILE).write_text("not parquet")
    _, message = update_ledger(tmp_path, ledger_rows(_summary(1), unit="a", month="2025-12", run_id="r",
                                                     run_at="t", fingerprint="f"))
    assert "could not be read" in message and "kept as kpi_ledger.unreadable-" in message
    assert len(read_ledger(tmp_path)) == 1
    assert len(list(tmp_path.glob("kpi_ledger.unreadable-*.parquet"))) == 1


def test_revisions_only_earlier_months_and_real_differences():
    led = pd.DataFrame({"unit": ["u"] * 3, "month": ["2025-10", "2025-11", "2025-12"], "analysis": ["kpis"] * 3,
                        "metric": ["churn_rate"] * 3, "value": [0.05, 0.0612345, 0.07], "run_at": ["a", "b", "c"]})
    mon = pd.DataFrame({"month": pd.to_datetime(["2025-10-01", "2025-11-01", "2025-12-01"]),
                        "churn_rate": [0.05, 0.0612345 + 1e-12, 0.09]})
    assert revisions(led, "u", mon, {"churn_rate": "Churn"}, before="2025-12") == []
    mon.loc[1, "churn_rate"] = 0.065
    assert revisions(led, "u", mon, {"churn_rate": "Churn"}, before="2025-12") == [
        {"month": "2025-11", "metric": "churn_rate", "label": "Churn", "reported": 0.0612345, "now": 0.065,
         "run_at": "b"}]
    assert revisions(led, "other", mon, {"churn_rate": "Churn"}, before="2025-12") == []


@pytest.mark.slow
def test_a_corrected_export_shows_as_a_revision(tmp_path):
    """November is reported, then its export corrected (a late order): December's summary says what moved."""
    orders = ["order_id,customer_id,order_date,amount"]
    customers = ["customer_id,signup_date"]
    n = 0
    for i in range(40):
        customers.append(f"C{i:02d},2025-0{1 + i % 6}-02")
        for m in range(1 + i % 6, 12 if i % 3 else 13):
            if m > 1 + i % 6 and (i + m) % 4 == 0:
                continue  # a month without an order (still a customer)
            n += 1
            orders.append(f"{n},C{i:02d},2025-{m:02d}-{1 + (i * 7 + m) % 27:02d},{10 + i}")
    files = {"orders.csv": "\n".join(orders) + "\n", "customers.csv": "\n".join(customers) + "\n"}
    params = write_unit(tmp_path, files=files, sources={"orders": {"path": "../orders.csv"},
                                                         "customers": {"path": "../customers.csv"}})
    reports = tmp_path / "reports"
    nb = ("kpi_overview",)
    for month in ("2025-10", "2025-11"):
        first = run_month(params, reports, month=month, notebooks=nb, notebooks_dir=ROOT / "notebooks")
        assert first.ok
    nov = read_ledger(reports)
    buyers_nov = nov[(nov.month == "2025-11") & (nov.metric == "n_active")].value.item()
    # the export is corrected: a customer's October and November orders were test orders and are removed,
    # so that customer churned in October (31 days without a purchase) and bought nothing in November
    def bought(cid: str, month: int) -> bool:
        return any(line.split(",")[1] == cid and f",2025-{month:02d}-" in line for line in orders[1:])

    gone = next(f"C{i:02d}" for i in range(40) if all(bought(f"C{i:02d}", m) for m in (9, 10, 11)))
    kept = [line for line in orders if not (line.split(",")[1] == gone and (",2025-10-" in line or ",2025-11-" in line))]
    (tmp_path / "orders.csv").write_text("\n".join(kept) + "\n")
    second = run_month(params, reports, month="2025-12", notebooks=nb, notebooks_dir=ROOT / "notebooks")
    assert second.ok
    led = read_ledger(reports)
    assert sorted(set(led.month)) == ["2025-10", "2025-11", "2025-12"]
    assert led[(led.month == "2025-11") & (led.metric == "n_active")].value.item() == buyers_nov  # as reported
    unit = second.units[0]
    moved = {r["metric"]: (r["reported"], r["now"]) for r in unit.revisions if r["month"] == "2025-11"}
    assert moved["n_active"] == (buyers_nov, buyers_nov - 1)
    churn_oct = nov[(nov.month == "2025-10") & (nov.metric == "churn_rate")].value.item()
    oct_moved = {r["metric"]: (r["reported"], r["now"]) for r in unit.revisions if r["month"] == "2025-10"}
    assert oct_moved["churn_rate"][0] == pytest.approx(churn_oct)
    assert oct_moved["churn_rate"][1] > churn_oct  # the customer now churns in October
    page = (reports / "2025-12" / "shop" / "index.html").read_text(encoding="utf-8")
    assert "Revised since reported" in page and "November 2025" in page
    # the KPI page's churn chart marks the value October's run reported, and says so under the chart
    kpi = (reports / "2025-12" / "shop" / "kpi_overview.html").read_text(encoding="utf-8")
    assert "Revised since reported (hollow ring): Monthly churn rate of October 2025 was reported as " \
        f"{churn_oct:.1%}" in kpi.replace("&#x27;", "'")
