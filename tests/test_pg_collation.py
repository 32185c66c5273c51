"""Text is ordered byte by byte on PostgreSQL whatever the database's collation, as on DuckDB and Spark.

A warehouse created with an ``en-US`` collation sorts ``_x, a, B, Z`` where DuckDB sorts ``B, Z, _x, a``:
left alone, ties in the at-risk list, the order of the training panel and the smallest category of an
order would depend on the server's locale. ``backends/postgres_engine`` compiles every sort key, ``min``
and ``max`` of text with ``COLLATE "C"``; this test runs on a database whose default collation is ICU en-US.
"""
from __future__ import annotations

import ibis
import pandas as pd
import psycopg
import pytest

import retention_utils.backends.postgres_engine  # noqa: F401 - installs the compiler rules

IDS = ["a", "B", "_x", "Z", "b10", "b9"]


@pytest.fixture(scope="module")
def icu_url(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS icu_en")
        try:
            conn.execute("CREATE DATABASE icu_en LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' "
                         "TEMPLATE template0")
        except psycopg.Error as exc:  # a server built without ICU: the point cannot be made here
            pytest.skip(f"this PostgreSQL has no ICU collations ({exc})")
    return pg_url.rsplit("/", 1)[0] + "/icu_en"


def test_the_database_itself_sorts_by_language(icu_url):
    with psycopg.connect(icu_url) as conn:
        rows = conn.execute("SELECT x FROM unnest(%s::text[]) x ORDER BY x", (IDS,)).fetchall()
    assert [r[0] for r in rows] == ["_x", "a", "B", "b10", "b9", "Z"]  # the control: en-US order


def test_kit_queries_sort_text_as_duckdb_does(icu_url):
    con = ibis.connect(icu_url)
    try:
        t = con.create_table("ids", pd.DataFrame({"x": IDS, "g": [1, 1, 1, 1, 2, 2]}), temp=True, overwrite=True)
        assert t.order_by("x").to_pandas().x.tolist() == sorted(IDS) == ["B", "Z", "_x", "a", "b10", "b9"]
        ranked = t.select(r=ibis.row_number().over(order_by=t.x), x=t.x).order_by("r").to_pandas()
        assert ranked.x.tolist() == sorted(IDS)
        agg = t.group_by("g").aggregate(lo=t.x.min(), hi=t.x.max()).order_by("g").to_pandas()
        assert agg[["lo", "hi"]].values.tolist() == [["B", "a"], ["b10", "b9"]]
    finally:
        con.disconnect()
