"""Every source kind (Excel, database URL from the environment, Parquet glob, DuckDB file) and credential hygiene."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest
import yaml

from retention_utils import ConfigError, load_config, load_unit_data
from retention_utils.report import run_month
from tests.conftest import ROOT

TOKEN = "s3cr3t-t0ken"


@pytest.fixture
def mixed_sources(tmp_path, monkeypatch):
    customers = pd.DataFrame({"Customer": ["A", "B", "C"], "Unit": ["shop"] * 3,
                              "Joined": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-10"]),
                              "Plan": ["gold", "basic", "<b>basic</b>"]})
    customers.to_excel(tmp_path / "customers.xlsx", index=False)
    orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["A", "A", "B", "C"],
                           "order_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-20", "2024-02-10"]),
                           "amount": [100.0, 50.0, 80.0, 30.0]})
    db = tmp_path / f"crm-{TOKEN}.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("o", orders)
        con.execute("CREATE TABLE orders AS SELECT * FROM o").fetchall()
        con.execute("CREATE TABLE campaigns AS SELECT 'A' AS customer_id, 'K1' AS campaign_id, "
                    "DATE '2024-02-05' AS sent_date, 'treatment' AS \"group\", 1.5 AS cost").fetchall()
    (tmp_path / "inter").mkdir()
    for i, cid in enumerate(["A", "B"]):
        pd.DataFrame({"customer_id": [cid], "date": pd.to_datetime(["2024-02-01"]), "kind": ["survey"],
                      "score": [9.0]}).to_parquet(tmp_path / "inter" / f"part{i}.parquet")
    monkeypatch.setenv("RETENTION_TEST_DB_URL", f"duckdb://{db}")
    params = tmp_path / "params"
    params.mkdir()
    (params / "defaults.yaml").write_text(yaml.safe_dump({
        "churn": {"method": "inactivity", "inactivity_days": 31, "dormant_days": 10},
        "report_month": "2024-02",
        "sources": {
            "customers": {"path": "../customers.xlsx", "attributes": ["Plan"],
                          "columns": {"customer_id": "Customer", "business_unit": "Unit", "signup_date": "Joined"}},
            "orders": {"format": "database", "url_env": "RETENTION_TEST_DB_URL", "table": "orders"},
            "interactions": {"path": "../inter/*.parquet"},
            "campaigns": {"path": f"../crm-{TOKEN}.duckdb", "table": "campaigns"},
        }}))
    (params / "shop.yaml").write_text("display_name: Mixed sources\n")
    return params


def test_every_source_kind_loads(mixed_sources):
    data = load_unit_data(load_config(mixed_sources, "shop"))
    assert data.quality.balanced()
    inputs = data.quality.inputs.set_index("table")["rows"].to_dict()
    assert inputs == {"customers": 3, "orders": 4, "interactions": 2, "campaigns": 1}
    assert data.orders.amount.sum().to_pyarrow().as_py() == pytest.approx(260.0)
    assert sorted(data.customers.to_pandas().plan) == ["<b>basic</b>", "basic", "gold"]
    label = data.quality.inputs.set_index("table").source["orders"]
    assert label == "orders @ $RETENTION_TEST_DB_URL"


@pytest.mark.slow
def test_credentials_never_reach_reports(mixed_sources, tmp_path):
    result = run_month(mixed_sources, tmp_path / "reports", notebooks_dir=ROOT / "notebooks")
    assert result.ok, [u.error for u in result.units]
    url_text = f"duckdb://{tmp_path}"
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="ignore")
            assert url_text not in text, path
    html = (tmp_path / "reports" / "2024-02" / "shop" / "kpi_overview.html").read_text()
    assert "$RETENTION_TEST_DB_URL" in html  # the source is named by its variable, not its value


def test_missing_environment_variable(mixed_sources, monkeypatch):
    monkeypatch.delenv("RETENTION_TEST_DB_URL")
    with pytest.raises(ConfigError, match=r"environment variable RETENTION_TEST_DB_URL is not set"):
        load_unit_data(load_config(mixed_sources, "shop"))


def test_url_in_params_is_refused(mixed_sources):
    text = (mixed_sources / "defaults.yaml").read_text().replace("url_env: RETENTION_TEST_DB_URL",
                                                                  "url_env: postgresql://u:pw@host/db")
    (mixed_sources / "defaults.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"'url_env' is the NAME of an environment variable"):
        load_config(mixed_sources, "shop")


@pytest.mark.parametrize("name, fmt", [("orders.parquet", "parquet"), ("orders.xlsx", "excel"),
                                       ("orders.csv", "csv")])
def test_garbage_files_give_one_readable_line(tmp_path, name, fmt):
    """A file of random bytes under a known extension: the reader's reason in one line, without the
    kit's own SQL statement that DuckDB appends ("LINE 1: CREATE ... ^^^")."""
    import random

    from retention_utils import DataError
    from tests.conftest import write_unit

    rng = random.Random(3)
    params = write_unit(tmp_path, files={name: bytes(rng.randrange(256) for _ in range(5000))},
                        sources={"orders": {"path": f"../{name}"}})
    with pytest.raises(DataError, match=rf"^{name}: cannot be read as {fmt} \(") as exc:
        load_unit_data(load_config(params, "shop"))
    text = str(exc.value)
    assert "\n" not in text and "CREATE" not in text and "^^^" not in text and "LINE 1" not in text
    assert "Check sources.orders in params" in text


def test_folder_where_a_file_is_expected(tmp_path):
    from retention_utils import DataError
    from tests.conftest import write_unit

    params = write_unit(tmp_path, files={}, sources={"orders": {"path": "../data"}})
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError, match=r"sources\.orders\.path: '.*data' is a folder, not a file; .*'\.\./data/\*\.csv'"):
        load_unit_data(load_config(params, "shop"))
    (tmp_path / "data" / "orders.csv").mkdir()
    params = write_unit(tmp_path / "b", files={}, sources={"orders": {"path": "../../data/*.csv"}})
    with pytest.raises(DataError, match=r"matches 1 folder\(s\) \('orders\.csv'\), not files"):
        load_unit_data(load_config(params, "shop"))


def test_empty_first_excel_sheet_names_the_sheets(tmp_path):
    from retention_utils import DataError
    from tests.conftest import write_unit

    params = write_unit(tmp_path, files={}, sources={"orders": {"path": "../orders.xlsx"}})
    with pd.ExcelWriter(tmp_path / "orders.xlsx") as xw:
        pd.DataFrame().to_excel(xw, sheet_name="Cover", index=False)
        pd.DataFrame({"order_id": [1], "customer_id": ["A"], "order_date": ["2024-01-31"],
                      "amount": [1.0]}).to_excel(xw, sheet_name="Data", index=False)
    with pytest.raises(DataError, match=r"orders\.xlsx: sheet 'Cover' is empty\. Sheets in the file: 'Cover', 'Data'; "
                                        r"name the one with the data in params, e.g\. sources\.orders\.sheet: 'Data'\."):
        load_unit_data(load_config(params, "shop"))


def test_parquet_parts_are_numbered_in_file_order(tmp_path):
    """Parquet is read in place (no copy): a bad value in the second part is named by its row across the parts."""
    from retention_utils import DataError
    from tests.conftest import write_unit

    params = write_unit(tmp_path, files={}, sources={"orders": {"path": "../parts/*.parquet"}})
    (tmp_path / "parts").mkdir()
    for i, amounts in enumerate([["10", "20", "30"], ["40", "oops", "60"]]):
        pd.DataFrame({"order_id": [f"{i}{k}" for k in range(3)], "customer_id": ["A", "B", "C"],
                      "order_date": ["2024-01-05", "2024-01-06", "2024-02-07"],
                      "amount": amounts}).to_parquet(tmp_path / "parts" / f"part{i}.parquet")
    with pytest.raises(DataError, match=r"column 'amount' has 1 unparseable numbers \(data rows 5: 'oops'\)"):
        load_unit_data(load_config(params, "shop"))
