"""Load export files into real PostgreSQL tables with ``COPY``: test data, and a warehouse for a trial run.

:func:`load_files` turns CSV and Parquet files into tables ``<schema>.<name>`` of a PostgreSQL
database, the way a warehouse holds them: typed columns (or every column as text with
``typed=False``), rows in file order, statistics gathered. The types are the ones DuckDB's reader
finds in the file:

===============================================  ======================
DuckDB                                           PostgreSQL
===============================================  ======================
DATE                                             ``date``
TIMESTAMP (any precision)                        ``timestamp``
TIMESTAMP WITH TIME ZONE                         ``timestamptz``
DOUBLE, FLOAT, DECIMAL                           ``double precision``
BIGINT, INTEGER, SMALLINT, TINYINT (+ unsigned)  ``bigint``
UBIGINT, HUGEINT, UHUGEINT                       ``numeric`` (may not fit a bigint)
BOOLEAN                                          ``boolean``
anything else                                    ``text``
===============================================  ======================

DuckDB reads each file once and hands Arrow batches over; they are written as CSV text (ISO dates,
shortest round-trip numbers, NULL as an empty field, an empty string quoted) and streamed to the
server with ``COPY ... FROM STDIN``, never row by row (Ibis's ``create_table`` from a pandas frame is
about 40 times slower). Each table is replaced in one transaction, so a failed load leaves the old
table as it was.

The URL is a secret: no message, log line or exception of this module contains it (or its
password, as written or percent-decoded).
"""
from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError, redact, url_secrets

__all__ = ["load_files", "pg_type"]

#: rows per Arrow batch streamed to the server
BATCH_ROWS = 100_000

_INTEGERS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT")
_WIDE_INTEGERS = ("UBIGINT", "HUGEINT", "UHUGEINT")
_FLOATS = ("DOUBLE", "FLOAT", "REAL")


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL column type of a column DuckDB reads as ``duckdb_type``.

    Examples
    --------
    >>> [pg_type(t) for t in ("DATE", "TIMESTAMP_NS", "DECIMAL(18,3)", "INTEGER", "BOOLEAN", "VARCHAR")]
    ['date', 'timestamp', 'double precision', 'bigint', 'boolean', 'text']
    """
    t = duckdb_type.upper().strip()
    if t == "DATE":
        return "date"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "timestamptz"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "timestamp"
    if t in _FLOATS or t.startswith(("DECIMAL", "NUMERIC")):
        return "double precision"
    if t in _INTEGERS:
        return "bigint"
    if t in _WIDE_INTEGERS:
        return "numeric"
    if t == "BOOLEAN":
        return "boolean"
    return "text"


def load_files(url: str, tables: Mapping[str, Path | str], *, schema: str = "crm",
               typed: bool = True) -> dict[str, int]:
    """Load CSV or Parquet files into the tables ``<schema>.<name>`` of the PostgreSQL database at ``url``.

    Parameters
    ----------
    url
        A libpq connection URL (``postgresql://USER:PASSWORD@HOST:PORT/DATABASE``); never echoed.
    tables
        Table name -> file. ``.parquet`` / ``.pq`` files are read as Parquet, anything else as CSV with a
        header row (delimiter and quoting as DuckDB's reader detects them).
    schema
        Schema of the tables, created when missing.
    typed
        Columns typed as DuckDB reads them (see the module's table); False: every column ``text`` (the
        file's text as written, for CSV; the value's text for Parquet).

    Returns
    -------
    dict of str to int
        Rows loaded per table name.

    Raises
    ------
    DataError
        A file that cannot be read, a server that cannot be reached or refuses a statement; the message
        names the table and the file, with the URL's credentials removed.
    """
    import psycopg

    secrets = url_secrets(url)
    counts: dict[str, int] = {}
    try:
        conn = psycopg.connect(url, autocommit=False)
    except psycopg.Error as exc:
        raise DataError(redact(f"pg_load: cannot connect to the PostgreSQL server ({_first_line(exc)}); check the "
                               "URL's host, port, database, user and password.", *secrets)) from None
    with conn:
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            raise DataError(redact(f"pg_load: cannot create schema {schema!r} ({_first_line(exc)}).",
                                   *secrets)) from None
        for name, path in tables.items():
            counts[name] = _load_one(conn, schema, name, Path(path), typed=typed, secrets=secrets)
    return counts


def _load_one(conn: Any, schema: str, name: str, path: Path, *, typed: bool, secrets: tuple[str, ...]) -> int:
    import psycopg
    import pyarrow as pa

    target = f"{_ident(schema)}.{_ident(name)}"
    if not path.is_file():
        raise DataError(f"pg_load: no file {path} for table {schema}.{name}.")
    try:
        with duckdb.connect() as duck:
            columns, relation = _read(duck, path, typed=typed)
            with conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {target}")
                cur.execute(f"CREATE TABLE {target} ({', '.join(f'{_ident(c)} {t}' for c, t in columns)})")
                # FREEZE: the table is new in this transaction, so its rows need no later vacuum
                with cur.copy(f"COPY {target} FROM STDIN WITH (FORMAT csv, FREEZE)") as copy:
                    for chunk in _csv_chunks(relation):
                        copy.write(chunk)
                n = cur.rowcount
            conn.commit()
    except (duckdb.Error, pa.ArrowException, OSError) as exc:  # a reader error mid-file comes through Arrow
        conn.rollback()
        hint = "; typed=False loads every column as text" if typed and "onver" in str(exc) else ""
        raise DataError(f"pg_load: {path.name} cannot be read for table {schema}.{name} "
                        f"({_reader_error(exc)}){hint}.") from None
    except psycopg.Error as exc:
        conn.rollback()
        raise DataError(redact(f"pg_load: table {schema}.{name} from {path.name} was not loaded "
                               f"({_first_line(exc)}).", *secrets)) from None
    with conn.cursor() as cur:  # outside the load's transaction: ANALYZE cannot be rolled back anyway
        cur.execute(f"ANALYZE {target}")
    conn.commit()
    return int(n)


def _read(duck: Any, path: Path, *, typed: bool) -> tuple[list[tuple[str, str]], Any]:
    """The columns (name, PostgreSQL type) of ``path`` and a DuckDB relation giving its rows in file order."""
    parquet = path.suffix.lower() in (".parquet", ".pq")
    quoted = str(path).replace("'", "''")
    if parquet:
        source = f"read_parquet('{quoted}')"
    else:
        source = f"read_csv('{quoted}'{'' if typed else ', all_varchar = true'})"
    described = duck.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
    columns = [(row[0], pg_type(row[1]) if typed else "text") for row in described]
    select = []
    for (col, pgt), row in zip(columns, described):
        ref = '"' + col.replace('"', '""') + '"'
        if pgt == "text" and row[1].upper() != "VARCHAR":
            ref = f"CAST({ref} AS VARCHAR)"  # lists, blobs, times...: their text
        elif pgt == "double precision" and row[1].upper() not in _FLOATS:
            ref = f"CAST({ref} AS DOUBLE)"
        elif pgt == "numeric":
            ref = f"CAST({ref} AS VARCHAR)"
        select.append(f"{ref} AS \"{col.replace(chr(34), chr(34) * 2)}\"")
    duck.execute("SET preserve_insertion_order = true")
    return columns, duck.sql(f"SELECT {', '.join(select)} FROM {source}")


def _csv_chunks(relation: Any) -> Iterator[bytes]:
    """The relation's rows as CSV text without a header, one chunk per Arrow batch."""
    import pyarrow.csv as pacsv

    # DuckDB 2 renamed fetch_record_batch (deprecated there) to_arrow_reader
    fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    reader = fetch(BATCH_ROWS)
    options = pacsv.WriteOptions(include_header=False)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        out = io.BytesIO()
        pacsv.write_csv(batch, out, write_options=options)
        yield out.getvalue()


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _reader_error(exc: BaseException) -> str:
    """DuckDB's reader error in one line: its lines that say what went wrong (where, which column, which value)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if "Error" in ln]
    return "; ".join(lines[:2])[:300] if lines else _first_line(exc)


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
