"""The servers' text parsers (``backends/portable.py``) against DuckDB's own, on a battery of good and bad values.

DuckDB's ``try_strptime`` and ``try_cast`` are the reference (an independent implementation): the regular
expressions and day checks that PostgreSQL and Spark use must give the same date, or NULL, for every value,
and must give it on every engine (regular-expression dialects differ). The few places where the portable
parser is deliberately stricter are listed in ``STRICTER`` with the reason.
"""
from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from retention_utils import backend
from retention_utils.backends import duckdb_engine, portable

CASES: dict[str, list[str]] = {
    "%Y-%m-%d": ["2024-01-31", "2024-02-29", "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-1-5",
                 "24-01-31", "2024/01/31", "", "  2024-03-01 ", "2024-03-01x", "1900-01-01", "abc"],
    "%d/%m/%Y": ["31/01/2024", "29/02/2024", "29/02/2023", "1/2/2024", "01/13/2024", "31/04/2024", "2024-01-31",
                 "31/12/1999", "32/01/2024"],
    "%m/%d/%y": ["01/31/24", "12/31/99", "02/29/00", "02/29/01", "1/5/70", "13/01/24", "01/31/2024"],
    "%d.%m.%Y %H:%M": ["31.01.2024 13:45", "31.01.2024 24:00", "31.01.2024 23:60", "31.01.2024", "1.1.2024 0:0"],
    "%d %b %Y": ["05 Jan 2024", "5 jan 2024", "31 FEB 2024", "29 Feb 2024", "05 Jab 2024", "05 January 2024"],
    "%B %d, %Y": ["January 5, 2024", "february 29, 2023", "March 31, 2024", "Sept 1, 2024"],
    "%Y%m%d": ["20240131", "20240230", "2024131"],
}
ISO = ["2024-01-31", "2024-01-31 13:45:00", "2024-01-31T13:45:00", "2024-01-31 13:45:00.123456", "2024-02-30",
       "2024-01-31 25:00:00", "2024-1-5", "31/01/2024", "", "2024-01-31x", "2024-01-31 13:45", "2023-02-29"]
NUMBERS = ["1", "-2.5", "+3", ".5", "5.", "1e3", "1E-2", "-1.5e+2", "1,5", "abc", "", "1.2.3", "--1", "0012.50",
           " 7 ", "1e", "e5"]
#: (format, value): where the portable parser says NULL and DuckDB parses, and why that is right for the kit
#: DuckDB reads %Y from 1-4 digits, so '24-01-31' is the year 24 AD: in a CRM export that is a two-digit year
#: written under a four-digit format, and counting it as unparseable (with the format named) is the useful answer
STRICTER: set[tuple[str, str]] = {("%Y-%m-%d", "24-01-31")}


def _all_values() -> list[str]:
    return sorted({v for values in CASES.values() for v in values} | set(ISO) | set(NUMBERS))


def _duck_frame(values: list[str]) -> ibis.Table:
    con = duckdb_engine.connect(threads=1)
    return con.create_table("v", pd.DataFrame({"i": range(len(values)), "s": values}), temp=True)


def _parse_all(t: ibis.Table, parsers: dict[str, object]) -> dict[str, list]:
    """Every parser on every value in ONE query (a query on Spark costs a second), then each key's own values."""
    frame = t.select("i", "s", **{f"p{j}": fn(t.s) for j, fn in enumerate(parsers.values())}).order_by("i").to_pandas()
    values = {**CASES, "ISO": ISO, "number": NUMBERS}
    out = {}
    for j, key in enumerate(parsers):
        by_value = dict(zip(frame.s, frame[f"p{j}"]))
        out[key] = [None if pd.isna(by_value[v]) else
                    (by_value[v].date() if isinstance(by_value[v], pd.Timestamp) else by_value[v]) for v in values[key]]
    return out


def _reference() -> dict[str, list]:
    parsers = {fmt: (lambda s, f=fmt: duckdb_engine.try_strptime(s.strip(), f).cast("date")) for fmt in CASES}
    parsers["ISO"] = lambda s: s.strip().try_cast("timestamp").cast("date")
    parsers["number"] = lambda s: s.strip().try_cast("float64")
    return _parse_all(_duck_frame(_all_values()), parsers)


def _portable_on(make_table) -> dict[str, list]:
    parsers = {fmt: (lambda s, f=fmt: portable.parse_date(s, f)) for fmt in CASES}
    parsers["ISO"] = portable.parse_iso_date
    parsers["number"] = portable.parse_number
    return _parse_all(make_table(_all_values()), parsers)


def _compare(got: dict[str, list], ref: dict[str, list]) -> list[str]:
    values = {**CASES, "ISO": ISO, "number": NUMBERS}
    bad = []
    for key, expected in ref.items():
        for v, a, b in zip(values[key], got[key], expected):
            if (key, v) in STRICTER:
                assert a is None, (key, v, a)
                continue
            same = (a is None and b is None) or (a is not None and b is not None and
                                                 (a == b if not isinstance(a, float) else abs(a - b) < 1e-12))
            if not same:
                bad.append(f"{key} {v!r}: portable {a!r}, DuckDB {b!r}")
    return bad


@pytest.fixture(scope="module")
def reference() -> dict[str, list]:
    return _reference()


def test_reference_is_what_a_person_expects(reference):
    """A few hand-checked values of the reference itself, so the comparison below compares with the truth."""
    assert reference["%Y-%m-%d"][:5] == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), None, None, None]
    assert reference["%m/%d/%y"][:4] == [dt.date(2024, 1, 31), dt.date(1999, 12, 31), dt.date(2000, 2, 29), None]
    assert reference["number"][:3] == [1.0, -2.5, 3.0]


def test_portable_parsers_match_duckdb_on_duckdb(reference):
    assert _compare(_portable_on(_duck_frame), reference) == []


def test_portable_parsers_match_duckdb_on_postgres(reference, pg_url, monkeypatch):
    from retention_utils.config import EngineSpec

    monkeypatch.setenv("PARSE_PG_URL", pg_url)
    con = backend.connect_engine(EngineSpec(backend="postgres", url_env="PARSE_PG_URL"))
    n = iter(range(1000))

    def make(values: list[str]) -> ibis.Table:
        return backend.temp_table(con, f"v{next(n)}", pd.DataFrame({"i": range(len(values)), "s": values}))

    try:
        assert _compare(_portable_on(make), reference) == []
    finally:
        con.disconnect()


def test_portable_parsers_match_duckdb_on_spark(reference, spark_ok):
    from retention_utils.config import EngineSpec

    con = backend.connect_engine(EngineSpec(backend="spark", spark_master="local[1]"))
    n = iter(range(1000))

    def make(values: list[str]) -> ibis.Table:
        return backend.temp_table(con, f"v{next(n)}", pd.DataFrame({"i": range(len(values)), "s": values}))

    assert _compare(_portable_on(make), reference) == []


def test_unsupported_directive_is_a_clear_error():
    from retention_utils.errors import ConfigError

    with pytest.raises(ConfigError, match="%j"):
        portable.date_regex("%Y-%j")


def test_formats_with_capitals_and_iso_with_a_zone_parse_on_the_servers_as_on_duckdb():
    """Review findings: a 'T' or 'Z' in the format, and ISO timestamps with ' UTC' or a spaced offset."""
    t = _duck_frame(["2024-01-31T13:45:00Z", "2024-01-31 13:45:00 UTC", "2024-01-31 13:45:00 +02:00",
                     "2024-01-31 13:45:00+0200"])
    got = t.select("i", a=portable.parse_date(t.s, "%Y-%m-%dT%H:%M:%SZ"), b=portable.parse_iso_date(t.s)) \
        .order_by("i").to_pandas()
    day = pd.Timestamp("2024-01-31")
    assert got.a.tolist()[0] == day and got.a.isna().tolist()[1:] == [True, True, True]
    assert got.b.tolist() == [day] * 4
