"""Issue 9, item 10 (contract side): one-row-per-customer tables through params (``sources.snapshot``)."""
from __future__ import annotations

import pytest

from retention_utils import ConfigError, DataError, load_config, load_unit_data
from retention_utils.contract import DAYS_PER_MONTH
from tests.conftest import write_unit

FLAGS = ("id,unit,months,Churn,Contract,Reason\n"
         "A,tel,12,Yes,Month-to-month,price\n"
         "B,tel,0,no,Two year,\n"
         "C,tel,30,TRUE,One year,moved\n"
         ",tel,5,No,One year,\n"           # missing customer_id
         "E,tel,,No,One year,\n"           # missing tenure
         "F,tel,-2,No,One year,\n"         # negative tenure
         "G,web,7,Yes,One year,\n")        # other business unit
SMALL = {"snapshot": {"path": "../snap.csv", "columns": {"customer_id": "id", "business_unit": "unit",
                                                       "tenure": "months", "churned": "Churn"}}}
FLAG_SRC = {"snapshot": {"path": "../snap.csv", "delimiter": ",", "encoding": "utf-8",
                         "columns": {"customer_id": "id", "business_unit": "unit", "tenure": "months",
                                     "churned": "Churn", "churn_reason": "Reason"},
                         "attributes": ["Contract"]}}


def load(tmp_path, text, sources, unit_yaml="business_unit_value: tel\nreport_month: '2025-03'\n"):
    params = write_unit(tmp_path, files={"snap.csv": text}, sources=sources, unit_yaml=unit_yaml)
    return load_unit_data(load_config(params, "shop"))


def test_snapshot_with_tenure_and_flag(tmp_path):
    data = load(tmp_path, FLAGS, FLAG_SRC)
    assert data.kind == "snapshot" and data.orders is None and data.customers is None
    assert data.interactions is None and data.campaigns is None and data.month_warning is None
    assert data.month_label == "2025-03"
    s = data.snapshot.to_pandas().set_index("customer_id")
    assert list(s.columns) == ["tenure_months", "churned", "churn_reason", "contract"]
    assert s.tenure_months.to_dict() == {"A": 12.0, "B": 0.0, "C": 30.0}
    assert s.churned.to_dict() == {"A": True, "B": False, "C": True}
    assert s.contract["B"] == "Two year" and s.churn_reason["C"] == "moved"
    q = data.quality.rows.set_index("reason")[["outcome", "rows"]]
    assert q.to_dict("index") == {"used": {"outcome": "used", "rows": 3},
                                  "missing customer_id": {"outcome": "dropped", "rows": 1},
                                  "missing tenure": {"outcome": "dropped", "rows": 1},
                                  "negative tenure": {"outcome": "dropped", "rows": 1},
                                  "other business unit": {"outcome": "excluded", "rows": 1}}
    assert data.quality.balanced() and data.quality.inputs.rows.tolist() == [7]


def test_tenure_in_days(tmp_path):
    src = {"snapshot": {**SMALL["snapshot"], "tenure_unit": "days"}}
    data = load(tmp_path, "id,unit,months,Churn\nA,tel,61,yes\nB,tel,365,no\n", src)
    s = data.snapshot.to_pandas().set_index("customer_id").tenure_months
    assert s["A"] == pytest.approx(61 / 30.4375) and s["B"] == pytest.approx(365 / 30.4375)
    assert DAYS_PER_MONTH == 30.4375


DATES = ("cid,start,end\n"
         "A,2024-01-01,2024-03-31\n"   # churned: 90 days
         "B,2024-01-01,\n"             # active: censored at 30 June, 181 days
         "C,2024-02-01,2024-08-01\n"   # ends after the report month: active, censored, 150 days
         "D,2024-07-15,\n"             # started after the report month
         "E,2024-05-01,2024-04-01\n"   # end before start
         "F,,2024-04-01\n")            # no start date
DATE_SRC = {"snapshot": {"path": "../snap.csv", "columns": {"customer_id": "cid", "start_date": "start",
                                                            "end_date": "end"}}}


def test_snapshot_tenure_from_dates_censored_at_the_report_month(tmp_path):
    data = load(tmp_path, DATES, DATE_SRC, unit_yaml="report_month: '2024-06'\n")
    s = data.snapshot.to_pandas().set_index("customer_id")
    assert s.tenure_months.round(9).to_dict() == {"A": round(90 / 30.4375, 9), "B": round(181 / 30.4375, 9),
                                                  "C": round(150 / 30.4375, 9)}
    assert s.churned.to_dict() == {"A": True, "B": False, "C": False}
    assert s.end_date.isna().to_dict() == {"A": False, "B": True, "C": True}
    q = data.quality.rows.set_index("reason")["rows"].to_dict()
    assert q == {"used": 3, "started after report month": 1, "negative tenure": 1, "missing start_date": 1}
    assert data.quality.balanced()
    notes = data.quality.notes
    assert notes[notes.note.str.startswith("end date after the report month")].rows.tolist() == [1]
    assert str(data.data_start) == "2024-01-01"


def test_snapshot_default_month_is_the_last_complete_month_of_its_dates(tmp_path):
    data = load(tmp_path, DATES, DATE_SRC, unit_yaml="display_name: x\n")
    assert data.month_label == "2024-07"  # the latest date is 1 August 2024


def test_snapshot_without_dates_needs_report_month(tmp_path):
    with pytest.raises(ConfigError, match=r"snap\.csv is a snapshot without dates, so the kit cannot tell which "
                                          r"month it describes; set report_month"):
        load(tmp_path, FLAGS, FLAG_SRC, unit_yaml="business_unit_value: tel\n")


def test_snapshot_duplicate_ids_are_an_error(tmp_path):
    with pytest.raises(DataError, match=r"snap\.csv: column 'id' has 1 duplicate customer ids \('A' on rows 1, 8\)"):
        load(tmp_path, FLAGS + "A,tel,3,No,One year,\n", FLAG_SRC)


def test_snapshot_needs_a_tenure_or_a_start_date_and_a_flag_or_an_end_date(tmp_path):
    src = {"snapshot": {"path": "../snap.csv", "columns": {"customer_id": "id"}}}
    with pytest.raises(DataError) as err:
        load(tmp_path, "id,months\nA,3\n", src, unit_yaml="report_month: '2025-03'\n")
    msg = str(err.value)
    assert "(2 problems)" in msg
    assert ("snap.csv: no column 'tenure' (the time as a customer) and no 'start_date' found. Columns present: "
            "'id', 'months'. Map one in params under sources.snapshot.columns, e.g. tenure: <your column name> "
            "(or start_date: <your column name>).") in msg
    assert "no column 'churned' (whether the customer churned) and no 'end_date' found" in msg


def test_unparseable_churn_flag(tmp_path):
    with pytest.raises(DataError, match=r"column 'Churn' has 1 unparseable true/false values \(data rows 2: 'maybe'\)"):
        load(tmp_path, "id,unit,months,Churn\nA,tel,3,yes\nB,tel,4,maybe\n", SMALL)


def test_churn_flag_values_mapping(tmp_path):
    src = {"snapshot": {**SMALL["snapshot"], "values": {"churned": {"Churned": "yes", "Stayed": "no"}}}}
    data = load(tmp_path, "id,unit,months,Churn\nA,tel,3,Churned\nB,tel,4,Stayed\n", src)
    assert data.snapshot.to_pandas().set_index("customer_id").churned.to_dict() == {"A": True, "B": False}


def test_snapshot_unit_with_other_sources_is_refused(tmp_path):
    src = {**FLAG_SRC, "customers": {"path": "../customers.csv"}}
    with pytest.raises(ConfigError, match=r"a snapshot unit reads only sources\.snapshot, but params also set "
                                          r"sources\.customers"):
        load(tmp_path, FLAGS, src)


def test_telco_snapshot(real_data, tmp_path):
    path = real_data / "telco_ibm" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    src = {"snapshot": {"path": str(path), "columns": {"customer_id": "customerID", "churned": "Churn"},
                        "attributes": ["*"]}}
    params = write_unit(tmp_path, files={}, sources=src, unit_yaml="report_month: '2025-03'\n")
    data = load_unit_data(load_config(params, "shop"))
    s = data.snapshot.to_pandas()
    assert len(s) == 7043 and int(s.churned.sum()) == 1869
    assert s.tenure_months.min() == 0 and s.tenure_months.max() == 72
    assert {"contract", "internet_service", "senior_citizen", "payment_method"} <= set(s.columns)  # camelCase split
    assert "churn" not in s.columns and "tenure" not in s.columns and "customer_id" not in set(s.columns[1:])
    assert int(s.total_charges.isna().sum()) == 11  # ' ' in the export: an attribute, kept as empty text
    assert data.quality.rows.set_index("reason")["rows"].to_dict() == {"used": 7043}
    assert data.quality.balanced()
