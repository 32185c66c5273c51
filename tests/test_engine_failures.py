"""A PostgreSQL engine that fails: a server that is down, a missing table, no rights, a query that times out.

Each gives one message naming the source and the engine's variable (never the URL or its password),
the unit fails and the other units of the run go on. A real server (``tests/servers.py``: skipped on a
machine without PostgreSQL, never in CI).
"""
from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import psycopg
import pytest
import yaml

from retention_utils.backends.pg_load import load_files
from retention_utils.config import load_config
from retention_utils.contract import load_unit_data
from retention_utils.errors import DataError
from retention_utils.report import run_month

from .conftest import TINY

PASSWORD = "Adm1nS3cret"


def _params(root: Path, *, sources: dict, engine: dict, extra_units: dict | None = None) -> Path:
    """A params folder: unit ``wh`` on the given engine and sources, plus ``extra_units`` (name -> yaml dict)."""
    params = root / "params"
    params.mkdir(parents=True, exist_ok=True)
    for name in ("customers.csv", "orders.csv"):
        shutil.copy(TINY / name, root / name)
    defaults = {"churn": {"method": "inactivity", "inactivity_days": 31, "dormant_days": 10},
                "report_month": "2024-04",
                "sources": {"customers": {"path": "../customers.csv", "attributes": ["channel"]},
                            "orders": {"path": "../orders.csv"}}}
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
    (params / "wh.yaml").write_text(yaml.safe_dump({"business_unit_value": "shop", "engine": engine,
                                                    "sources": sources}), encoding="utf-8")
    for unit, body in (extra_units or {}).items():
        (params / f"{unit}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return params


TABLES = {"customers": {"format": "table", "table": "crm_fail.customers", "attributes": ["channel"]},
          "orders": {"format": "table", "table": "crm_fail.orders"}}


@pytest.fixture(scope="module")
def loaded(pg_url) -> str:
    load_files(pg_url, {"customers": TINY / "customers.csv", "orders": TINY / "orders.csv"}, schema="crm_fail")
    return pg_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_fails_its_unit_and_the_others_go_on(tmp_path, monkeypatch):
    monkeypatch.setenv("WH_URL", f"postgresql://admin:{PASSWORD}@127.0.0.1:{_free_port()}/crm")
    params = _params(tmp_path, sources=TABLES, engine={"backend": "postgres", "url_env": "WH_URL"},
                     extra_units={"local": {"business_unit_value": "shop"}})
    said: list[str] = []
    run = run_month(params, tmp_path / "reports", notebooks=("kpi_overview",), say=said.append)
    by = {u.unit: u for u in run.units}
    assert by["local"].status == "ok"
    assert by["wh"].status == "failed" and by["wh"].failed_step == "validation"
    msg = by["wh"].error
    assert "$WH_URL" in msg and "cannot connect" in msg and "server is up" in msg
    everything = msg + "\n".join(said) + "".join(p.read_text(errors="ignore") for p in (tmp_path / "reports").rglob("*")
                                                 if p.is_file() and p.suffix in (".json", ".html", ".txt"))
    assert PASSWORD not in everything
    assert "Traceback" not in msg


def test_missing_table_is_named(tmp_path, monkeypatch, loaded):
    monkeypatch.setenv("WH_URL", loaded)
    sources = {**TABLES, "orders": {"format": "table", "table": "crm_fail.no_such_orders"}}
    cfg = load_config(_params(tmp_path, sources=sources, engine={"backend": "postgres", "url_env": "WH_URL"}), "wh")
    with pytest.raises(DataError) as err:
        load_unit_data(cfg)
    msg = str(err.value)
    assert "crm_fail.no_such_orders @ $WH_URL" in msg and "no such table" in msg and "sources.<name>.table" in msg
    assert PASSWORD not in msg


def _sessions(url: str) -> int:
    """Client sessions on the kit's database other than this query's own."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()[0]


def test_a_failed_unit_closes_its_session(tmp_path, monkeypatch, loaded):
    """A unit that fails on the server, or on the data contract after reading, leaves no session open: a monthly
    job over many units would otherwise hold one per failed unit until it ends."""
    monkeypatch.setenv("WH_URL", loaded)
    engine = {"backend": "postgres", "url_env": "WH_URL"}
    before = _sessions(loaded)
    failing = {"missing table": {**TABLES, "orders": {"format": "table", "table": "crm_fail.no_such_orders"}},
               "contract": {**TABLES, "orders": {"format": "table", "table": "crm_fail.orders",
                                                 "columns": {"amount": "no_such_column"}}}}
    kept = []
    for i, (why, sources) in enumerate(failing.items()):
        with pytest.raises(DataError) as err:
            load_unit_data(load_config(_params(tmp_path / str(i), sources=sources, engine=engine), "wh"))
        kept.append(err)  # the traceback keeps the loader's frames (and any connection they hold) alive
        assert _sessions(loaded) == before, why


def test_permission_denied_says_which_grant(tmp_path, monkeypatch, loaded):
    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN PASSWORD 'R3aderPw'")
        conn.execute("GRANT USAGE ON SCHEMA crm_fail TO reader")
        conn.execute("GRANT SELECT ON crm_fail.customers TO reader")  # but not crm_fail.orders
    monkeypatch.setenv("WH_URL", loaded.replace(f"admin:{PASSWORD}", "reader:R3aderPw"))
    cfg = load_config(_params(tmp_path, sources=TABLES, engine={"backend": "postgres", "url_env": "WH_URL"}), "wh")
    with pytest.raises(DataError) as err:
        load_unit_data(cfg)
    msg = str(err.value)
    assert "crm_fail.orders @ $WH_URL" in msg and "permission denied" in msg.lower()
    assert "GRANT SELECT ON crm_fail.orders" in msg and "R3aderPw" not in msg


def test_query_that_times_out_names_the_setting(tmp_path, monkeypatch, loaded):
    monkeypatch.setenv("WH_URL", loaded)
    cfg = load_config(_params(tmp_path, sources=TABLES, engine={"backend": "postgres", "url_env": "WH_URL",
                                                               "statement_timeout": 1}), "wh")
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:  # another session keeps the orders table locked past the timeout
        with psycopg.connect(loaded) as conn:
            conn.execute("LOCK TABLE crm_fail.orders IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        assert locked.wait(30)
        with pytest.raises(DataError) as err:
            load_unit_data(cfg)
    finally:
        release.set()
        t.join()
    msg = str(err.value)
    assert "crm_fail.orders @ $WH_URL" in msg and "statement timeout" in msg and "engine.statement_timeout" in msg


def test_the_same_unit_loads_once_the_server_is_fine(tmp_path, monkeypatch, loaded):
    """The control: the tables and params of the failure tests load on the same server (8 orders of shop)."""
    monkeypatch.setenv("WH_URL", loaded)
    data = load_unit_data(load_config(_params(tmp_path, sources=TABLES, engine={"backend": "postgres",
                                                                                   "url_env": "WH_URL"}), "wh"))
    tiny_orders = sum(1 for _ in open(TINY / "orders.csv")) - 1
    used = int(data.quality.rows.query("table == 'orders' and outcome == 'used'")["rows"].sum())
    assert used + int(data.quality.rows.query("table == 'orders' and outcome != 'used'")["rows"].sum()) == tiny_orders
    assert data.con.name == "postgres"


def test_a_view_reads_like_its_table(tmp_path, monkeypatch, loaded):
    """A source that is a view (no physical row order) is read once, numbered: same accounting as the table."""
    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE VIEW crm_fail.orders_v AS SELECT * FROM crm_fail.orders "
                     "WHERE amount IS NOT NULL OR amount IS NULL")
    monkeypatch.setenv("WH_URL", loaded)
    engine = {"backend": "postgres", "url_env": "WH_URL"}
    table = load_unit_data(load_config(_params(tmp_path / "t", sources=TABLES, engine=engine), "wh"))
    view = load_unit_data(load_config(_params(tmp_path / "v", sources={**TABLES, "orders": {
        "format": "table", "table": "crm_fail.orders_v"}}, engine=engine), "wh"))
    a = table.quality.rows.drop(columns="source").reset_index(drop=True)
    b = view.quality.rows.drop(columns="source").reset_index(drop=True)
    assert a.equals(b) and int(a["rows"].sum()) > 0
    assert table.orders.count().execute() == view.orders.count().execute()


def test_a_table_the_crm_writes_to_is_read_once(loaded, monkeypatch):
    """Orders that arrive (or change) while the unit runs do not reach the unit's later reads: the source is read
    once, in one statement, so counts, row numbers and the accounting all describe one state of the table."""
    from retention_utils import backend
    from retention_utils.config import EngineSpec

    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS crm_fail.orders_live")
        conn.execute("CREATE TABLE crm_fail.orders_live AS SELECT * FROM crm_fail.orders")
        n = conn.execute("SELECT count(*) FROM crm_fail.orders_live").fetchone()[0]
    monkeypatch.setenv("WH_URL", loaded)
    con = backend.connect_engine(EngineSpec(backend="postgres", url_env="WH_URL"))
    try:
        raw = backend.engine_table(con, "raw_orders", "crm_fail.orders_live")
        first = raw.order_by("_row").execute()
        with psycopg.connect(loaded, autocommit=True) as conn:  # the CRM, meanwhile
            conn.execute("INSERT INTO crm_fail.orders_live SELECT * FROM crm_fail.orders")
            conn.execute("UPDATE crm_fail.orders_live SET amount = amount + 1")  # every row moves on disk
        again = raw.order_by("_row").execute()
    finally:
        con.disconnect()
    assert len(first) == n and first["_row"].tolist() == list(range(1, n + 1))
    assert again.equals(first)


def test_a_table_name_with_capitals_is_found(tmp_path, monkeypatch, loaded):
    """``crm_fail."Orders"`` (a quoted name, as tools that keep case create it) reads like any table."""
    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute('DROP TABLE IF EXISTS crm_fail."Orders"')
        conn.execute('CREATE TABLE crm_fail."Orders" AS SELECT * FROM crm_fail.orders')
    monkeypatch.setenv("WH_URL", loaded)
    data = load_unit_data(load_config(_params(tmp_path, sources={**TABLES, "orders": {
        "format": "table", "table": 'crm_fail."Orders"'}}, engine={"backend": "postgres", "url_env": "WH_URL"}), "wh"))
    assert data.orders.count().execute() > 0


def test_validate_command_reports_a_server_engine_failure_without_traceback(tmp_path, monkeypatch, loaded, capsys):
    from retention_utils.cli import main

    monkeypatch.setenv("WH_URL", loaded)
    params = _params(tmp_path, sources={**TABLES, "orders": {"format": "table", "table": "crm_fail.orders"}},
                     engine={"backend": "postgres", "url_env": "WH_URL", "statement_timeout": 1})
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(loaded) as conn:
            conn.execute("LOCK TABLE crm_fail.customers IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        assert locked.wait(30)
        code = main(["validate", "--params", str(params), "--unit", "wh"])
    finally:
        release.set()
        t.join()
    err = capsys.readouterr().err
    assert code != 0 and "[wh] FAILED" in err and "statement" in err and "Traceback" not in err
    assert PASSWORD not in err
