"""retention_utils.backends.pg_load: CSV and Parquet files into real PostgreSQL tables with COPY.

Against the session's throw-away server (``tests/servers.py``: skipped on a machine without PostgreSQL,
failed in CI). Each test loads into its own schema.
"""
from __future__ import annotations

import datetime as dt

import pytest

from retention_utils import DataError
from retention_utils.backends.pg_load import load_files, pg_type
from tests.servers import PG_PASSWORD

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL client (psycopg) is in the test extras")

ORDERS = ("order_id,customer_id,order_date,amount,returned,note,code\n"
          "O1,C1,2024-01-31,16.02,false,,0012\n"
          'O2,C2,2024-02-29,0.1,true,"",0040\n'
          'O3,C1,2024-03-01,1234567.89,,"a, ""b""",0100\n')


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _types(url: str, schema: str, table: str) -> dict[str, str]:
    return dict(_rows(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
                           f"'{schema}' AND table_name = '{table}' ORDER BY ordinal_position"))


def test_csv_typed_columns_values_and_nulls(pg_url, tmp_path):
    (tmp_path / "orders.csv").write_text(ORDERS)
    assert load_files(pg_url, {"orders": tmp_path / "orders.csv"}, schema="pgl_typed") == {"orders": 3}
    assert _types(pg_url, "pgl_typed", "orders") == {
        "order_id": "text", "customer_id": "text", "order_date": "date", "amount": "double precision",
        "returned": "boolean", "note": "text",
        "code": "text"}  # leading zeros: DuckDB keeps such codes as text
    rows = _rows(pg_url, "SELECT order_id, order_date, amount, returned, note, code FROM pgl_typed.orders "
                         "ORDER BY ctid")
    assert rows == [("O1", dt.date(2024, 1, 31), 16.02, False, None, "0012"),
                    ("O2", dt.date(2024, 2, 29), 0.1, True, None, "0040"),  # DuckDB reads "" as NULL too
                    ("O3", dt.date(2024, 3, 1), 1234567.89, None, 'a, "b"', "0100")]
    # statistics gathered (ANALYZE), so the planner knows the table
    assert _rows(pg_url, "SELECT reltuples FROM pg_class WHERE oid = 'pgl_typed.orders'::regclass")[0][0] == 3


def test_csv_as_text_keeps_what_is_written(pg_url, tmp_path):
    (tmp_path / "orders.csv").write_text(ORDERS)
    load_files(pg_url, {"orders": tmp_path / "orders.csv"}, schema="pgl_text", typed=False)
    assert set(_types(pg_url, "pgl_text", "orders").values()) == {"text"}
    rows = _rows(pg_url, "SELECT order_date, amount, returned, code FROM pgl_text.orders ORDER BY ctid")
    assert rows == [("2024-01-31", "16.02", "false", "0012"), ("2024-02-29", "0.1", "true", "0040"),
                    ("2024-03-01", "1234567.89", None, "0100")]


def test_parquet_types_and_exact_doubles(pg_url, tmp_path):
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": pa.array([1, 2, None], pa.int32()),
        "big": pa.array([2**64 - 1, 0, 5], pa.uint64()),
        "x": [0.1 + 0.2, 1e-300, None],
        "price": pa.array([Decimal("2.55"), Decimal("-1.10"), None], pa.decimal128(10, 2)),
        "at": pa.array([dt.datetime(2011, 12, 9, 12, 50, 0, 123456), None, dt.datetime(2010, 12, 1)],
                       pa.timestamp("ns")),
        "day": pa.array([dt.date(2024, 1, 1), dt.date(1999, 12, 31), None]),
        "name": ["x", "", None],
        "tags": [["a"], [], None],
    })
    pq.write_table(table, tmp_path / "t.parquet")
    assert load_files(pg_url, {"t": tmp_path / "t.parquet"}, schema="pgl_pq") == {"t": 3}
    assert _types(pg_url, "pgl_pq", "t") == {
        "id": "bigint", "big": "numeric", "x": "double precision", "price": "double precision",
        "at": "timestamp without time zone", "day": "date", "name": "text", "tags": "text"}
    rows = _rows(pg_url, "SELECT id, big, x, price, at, day, name, tags FROM pgl_pq.t ORDER BY ctid")
    assert rows[0][:7] == (1, 2**64 - 1, 0.1 + 0.2, 2.55, dt.datetime(2011, 12, 9, 12, 50, 0, 123456),
                           dt.date(2024, 1, 1), "x")
    assert rows[1][2] == 1e-300 and rows[1][3] == -1.1 and rows[1][6] == ""  # an empty string stays one
    assert rows[2][:7] == (None, 5, None, None, dt.datetime(2010, 12, 1), None, None)
    assert rows[0][7] == "[a]"


def test_rows_keep_file_order_across_batches_and_reload_replaces(pg_url, tmp_path):
    n = 250_000  # several Arrow batches and several DuckDB reader threads
    path = tmp_path / "big.csv"
    path.write_text("k,v\n" + "".join(f"{i},{i % 7}\n" for i in range(n)))
    assert load_files(pg_url, {"big": path}, schema="pgl_order") == {"big": n}
    assert _rows(pg_url, "SELECT count(*) FROM (SELECT k, row_number() OVER (ORDER BY ctid) - 1 AS pos "
                         "FROM pgl_order.big) s WHERE k <> pos") == [(0,)]
    path.write_text("k,w\n1,x\n")
    assert load_files(pg_url, {"big": path}, schema="pgl_order") == {"big": 1}
    assert _types(pg_url, "pgl_order", "big") == {"k": "bigint", "w": "text"}


def test_a_failed_load_leaves_the_old_table(pg_url, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    load_files(pg_url, {"t": good}, schema="pgl_fail")
    bad = tmp_path / "bad.csv"  # two names the server truncates to the same 63 bytes: CREATE TABLE fails
    bad.write_text(f"{'c' * 70}1,{'c' * 70}2\n1,2\n")
    with pytest.raises(DataError, match=r"pg_load: table pgl_fail.t from bad.csv was not loaded \(.*specified more"):
        load_files(pg_url, {"t": bad}, schema="pgl_fail")
    assert _rows(pg_url, "SELECT a, b FROM pgl_fail.t") == [(1, 2)]
    late = tmp_path / "late.csv"  # DuckDB guesses the types from a sample: a later value that does not fit
    late.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(60_000)) + "x,1\n")
    with pytest.raises(DataError, match=r"pg_load: late.csv cannot be read for table pgl_fail.t \(Conversion Error: "
                                        r"CSV Error on Line: 60002; Error when converting column \"a\"\. Could not "
                                        r"convert string \"x\" to 'BIGINT'\); typed=False loads every column as text\.$"
                       ) as err:
        load_files(pg_url, {"t": late}, schema="pgl_fail")
    assert "x,1" not in str(err.value)  # the line itself is not repeated
    assert _rows(pg_url, "SELECT a, b FROM pgl_fail.t") == [(1, 2)]
    with pytest.raises(DataError, match=r"pg_load: no file .*missing.csv for table pgl_fail.t\.$"):
        load_files(pg_url, {"t": tmp_path / "missing.csv"}, schema="pgl_fail")
    assert _rows(pg_url, "SELECT a, b FROM pgl_fail.t") == [(1, 2)]
    assert load_files(pg_url, {"t": late}, schema="pgl_fail", typed=False) == {"t": 60_001}


def test_connection_errors_never_show_the_password(pg_url, tmp_path, capfd):
    (tmp_path / "a.csv").write_text("a\n1\n")
    wrong = pg_url.replace(PG_PASSWORD, "Wr0ng%40S3cret")
    with pytest.raises(DataError) as err:
        load_files(wrong, {"a": tmp_path / "a.csv"})
    msg = str(err.value)
    assert msg.startswith("pg_load: cannot connect to the PostgreSQL server (")
    assert 'password authentication failed for user "admin"' in msg
    out, errs = capfd.readouterr()
    for secret in ("Wr0ng%40S3cret", "Wr0ng@S3cret", PG_PASSWORD):
        assert secret not in msg + out + errs


def test_pg_type_mapping():
    assert pg_type("TIMESTAMP WITH TIME ZONE") == "timestamptz"
    assert [pg_type(t) for t in ("FLOAT", "DECIMAL(38,10)", "SMALLINT", "HUGEINT", "TIME", "BLOB", "UUID")] == [
        "double precision", "double precision", "bigint", "numeric", "text", "text", "text"]
