"""The engine boundary: the one place that knows which engine runs the raw-row reductions.

The rest of the kit speaks Ibis. What Ibis does not cover portably (connecting, temporary tables,
copying files in, numbering rows, parsing text, the snapshot's storage) is written once per engine in
:mod:`retention_utils.backends`: ``duckdb_engine`` (in-process, the default), ``postgres_engine``
and ``spark_engine`` (the data stays in the server or the cluster: push-down). This module picks the
engine from the connection (or, for an expression, from the connection it is bound to) and forwards
the call, so the contract, the sources and the runner never name an engine.

- :func:`connect` (DuckDB with a memory cap, for tests and tools) and :func:`connect_engine` (the
  engine named by ``params: engine``); :func:`settings`, :func:`engine_name`, :func:`describe`;
- text parsing with an explicit format, NULL where a value does not parse: :func:`parse_date`,
  :func:`parse_iso_date`, :func:`parse_number`; :func:`row_hash` (the exact-duplicate check);
- temporary tables: :func:`temp_table`, :func:`drop_tables`, :func:`count_rows`;
- raw inputs in the engine: :func:`copy_csv` (+ :func:`sniff_delimiter`), :func:`parquet_rows`,
  :func:`copy_frame`, :func:`copy_database_file_table`, :func:`engine_table` (a table the engine
  already holds, read in place) and :func:`number_rows` (the 1-based row number of each row);
- the validated snapshot's tables: :func:`store_table`, :func:`load_table`, :func:`drop_stored`
  (Parquet files for DuckDB and Spark, tables in a work schema for PostgreSQL);
- :func:`query_progress`, the percent done of a running query (the CLI's live bars).

Engine errors are :data:`Error` (a tuple of exception classes); callers turn them into the kit's messages.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

import ibis

from .backends import duckdb_engine as _duck

__all__ = ["Error", "PACKAGES", "BACKENDS", "connect", "connect_engine", "disconnect", "settings", "engine_name",
           "describe", "engine_label", "engine_error", "engine_hint", "error_types",
           "parse_date", "parse_iso_date", "parse_number", "row_hash", "try_strptime", "temp_table", "drop_tables",
           "count_rows", "copy_csv", "sniff_delimiter", "parquet_rows", "copy_frame", "copy_database_file_table",
           "engine_table", "number_rows", "store_table", "load_table", "drop_stored", "write_parquet",
           "read_parquet", "query_progress"]

#: ``params: engine.backend`` -> module of :mod:`retention_utils.backends` (imported when first used: the
#: server engines' client libraries are optional)
BACKENDS: dict[str, str] = {"duckdb": "duckdb_engine", "postgres": "postgres_engine", "spark": "spark_engine"}
#: Ibis's name of each backend's connection (``con.name``) -> ``engine.backend``
_IBIS_NAMES = {"duckdb": "duckdb", "postgres": "postgres", "pyspark": "spark"}

#: the packages the default engine is made of, for the run manifest's versions
PACKAGES: tuple[str, ...] = _duck.PACKAGES


def _module(backend: str) -> ModuleType:
    return importlib.import_module(f"retention_utils.backends.{BACKENDS[backend]}")


def _errors() -> tuple[type[BaseException], ...]:
    """Error classes of every engine whose module is loaded (DuckDB always)."""
    out: list[type[BaseException]] = [_duck.Error]
    for backend in ("postgres", "spark"):
        mod = sys.modules.get(f"retention_utils.backends.{BACKENDS[backend]}")
        if mod is not None:
            out += list(mod.ERRORS)
    return tuple(out)


#: DuckDB's error class; :func:`error_types` adds a server engine's where one is in use
Error: Any = _duck.Error


def error_types() -> tuple[type[BaseException], ...]:
    """The exception classes engine calls may raise (DuckDB's, plus a loaded server engine's)."""
    return _errors()


def engine_label(spec: Any) -> str:
    """How messages name the engine of ``params: engine`` (the URL's variable, never the URL)."""
    if spec.backend == "postgres":
        return f"engine PostgreSQL at ${spec.url_env or 'RETENTION_PG_URL'}"
    if spec.backend == "spark":
        return f"engine Spark at {spec.spark_master}"
    return "engine DuckDB (in-process)"


#: what a reader can do about an engine failure, by words in its message
_HINTS = (
    (("statement timeout", "querycanceled", "canceling statement"),
     "the query ran longer than engine.statement_timeout allows; raise it in params (seconds, 0 = no limit) or run "
     "the unit when the server is less busy"),
    (("permission denied", "insufficientprivilege", "must be owner"),
     "the role lacks a right: SELECT on the source tables and CREATE on engine.work_schema (see docs/warehouse.md)"),
    (("does not exist", "undefinedtable", "table_or_view_not_found", "not found"),
     "a table or schema named in params is missing: check sources.<name>.table and engine.work_schema"),
    (("connection", "server closed", "terminating", "could not connect", "refused", "broken pipe"),
     "the server went away or cannot be reached: check that it is up and the URL's host and port"),
    (("out of memory", "outofmemory", "java heap space"),
     "the engine ran out of memory: raise engine.memory_limit (DuckDB, Spark's driver) or work_mem (PostgreSQL)"),
)


def engine_hint(text: str) -> str | None:
    """What to do about an engine failure described by ``text`` (an error's class and message), or None."""
    low = text.lower()
    return next((h for words, h in _HINTS if any(w in low for w in words)), None)


def engine_error(exc: BaseException, spec: Any) -> str | None:
    """One line for an engine failure (``exc`` raised by an engine's client), with what to do; None for other
    exceptions. The URL never appears (callers also pass the text through :func:`~retention_utils.errors.redact`)."""
    module = type(exc).__module__.split(".")[0]
    if module not in ("psycopg", "pyspark", "py4j", "duckdb", "_duckdb", "ibis") and not isinstance(exc, error_types()):
        return None
    text = " ".join(str(exc).split())
    reason = (text[:300] + "...") if len(text) > 300 else text
    low = f"{type(exc).__name__} {text}".lower()
    hint = engine_hint(low) or "see the engine's reason above"
    return f"{engine_label(spec)}: {type(exc).__name__}: {reason or 'no reason given'}. What to do: {hint}."


def engine_name(con: Any) -> str:
    """``duckdb``, ``postgres`` or ``spark``: the engine behind an Ibis connection."""
    return _IBIS_NAMES.get(getattr(con, "name", "duckdb"), "duckdb")


def _impl(con: Any) -> ModuleType:
    name = engine_name(con)
    return _duck if name == "duckdb" else _module(name)


def _impl_of(expr: ibis.Expr) -> ModuleType:
    try:
        con = expr._find_backend()
    except Exception:  # an unbound literal: the default engine's spelling
        return _duck
    return _impl(con)


# ----------------------------------------------------------------------------- connecting


def connect(*, temp_directory: str | None = None, memory_limit: str | None = None,
            threads: int | None = None) -> ibis.BaseBackend:
    """A fresh in-process DuckDB engine (see :func:`retention_utils.backends.duckdb_engine.connect`).

    Examples
    --------
    >>> settings(connect(memory_limit="1GB", threads=1))["threads"]
    1
    """
    return _duck.connect(temp_directory=temp_directory, memory_limit=memory_limit, threads=threads)


def connect_engine(spec: Any, *, temp_directory: str | None = None, memory_limit: str | None = None) -> ibis.BaseBackend:
    """The engine named by ``params: engine`` (an :class:`~retention_utils.config.EngineSpec`), connected.

    Connection failures of a server engine raise :class:`~retention_utils.errors.DataError` naming the
    environment variable, never the URL.
    """
    if spec.backend == "duckdb":
        return _duck.connect(temp_directory=temp_directory, memory_limit=memory_limit, threads=spec.threads)
    return _module(spec.backend).connect_engine(spec)


def disconnect(con: Any) -> None:
    """Close an engine connection (a PostgreSQL session, a Spark application, DuckDB's memory) and ignore a
    failure to: used where a unit has failed and its engine must not be held while the next unit runs (a
    monthly job over many units would otherwise pile up server sessions; in one process Spark's
    ``getOrCreate`` would hand the next unit the failed unit's session and settings)."""
    if con is None:
        return
    try:
        con.disconnect()
    except Exception:  # noqa: BLE001 - already closed, or the server is gone: nothing is left to close
        pass


def settings(con: Any) -> dict[str, Any]:
    """The engine and its settings in force (for the run manifest): ``backend`` plus engine-specific keys."""
    return {"backend": engine_name(con), **_impl(con).settings(con)}


def describe(con: Any) -> str:
    """The engine in a few words for messages and the manifest, without credentials (e.g. ``PostgreSQL 15.4``)."""
    return _impl(con).describe(con)


# ----------------------------------------------------------------------------- parsing text (expressions)


def parse_date(value: ibis.StringValue, fmt: str) -> ibis.DateValue:
    """``value`` parsed with the strftime-style ``fmt`` as a date; NULL where it does not parse."""
    return _impl_of(value).parse_date(value, fmt)


def parse_iso_date(value: ibis.StringValue) -> ibis.DateValue:
    """``value`` parsed as an ISO date or timestamp (``2024-01-31``, ``2024-01-31 13:45:00``) to a date; NULL
    where it does not parse."""
    return _impl_of(value).parse_iso_date(value)


def parse_number(value: ibis.StringValue) -> ibis.FloatingValue:
    """``value`` parsed as a decimal number (``1234.5``, ``-1e3``); NULL where it does not parse."""
    return _impl_of(value).parse_number(value)


def row_hash(table: ibis.Table, columns: Sequence[str]) -> ibis.IntegerValue:
    """A hash of all ``columns`` of each row (equal rows hash equal; collisions are possible)."""
    return _impl_of(table).row_hash(table, columns)


try_strptime = _duck.try_strptime  # DuckDB's parser, kept for callers that know they run on DuckDB


# ----------------------------------------------------------------------------- temporary tables


def temp_table(con: Any, name: str, obj: ibis.Table | Any) -> ibis.Table:
    """Materialise ``obj`` (an Ibis expression or a frame) as the temporary table ``name``, replacing it."""
    return _impl(con).temp_table(con, name, obj)


def drop_tables(con: Any, *names: str) -> None:
    """Drop the (temporary) tables or views ``names`` where they exist."""
    _impl(con).drop_tables(con, *names)


def count_rows(con: Any, name: str) -> int:
    """Rows of table ``name``."""
    return _impl(con).count_rows(con, name)


# ----------------------------------------------------------------------------- copying raw inputs


def copy_csv(con: Any, name: str, files: Sequence[Path], *, delimiter: str | None, encoding: str) -> None:
    """Copy CSV ``files`` (one header, same columns) into table ``name``, every column as text, rows in file order."""
    _impl(con).copy_csv(con, name, files, delimiter=delimiter, encoding=encoding)


def sniff_delimiter(con: Any, path: Path, *, encoding: str) -> str | None:
    """The delimiter the CSV reader detects in ``path``, None when it cannot tell."""
    return _impl(con).sniff_delimiter(con, path, encoding=encoding)


def parquet_rows(con: Any, name: str, files: Sequence[Path]) -> ibis.Table:
    """Table or view ``name`` over Parquet ``files``: ``_row`` (1-based position in the files) and every column."""
    return _impl(con).parquet_rows(con, name, files)


def copy_frame(con: Any, name: str, frame: Any) -> None:
    """Copy a pandas frame or Arrow table into table ``name`` (rows in order)."""
    _impl(con).copy_frame(con, name, frame)


def copy_database_file_table(con: Any, name: str, path: Path, table: str) -> None:
    """Copy table ``table`` of the DuckDB database file ``path`` into ``name``."""
    _impl(con).copy_database_file_table(con, name, path, table)


def engine_table(con: Any, name: str, table: str) -> ibis.Table:
    """Table ``name`` numbering the rows of ``table``, a table the engine holds (``schema.table`` on
    PostgreSQL, a catalog table on Spark): ``_row`` and every column, read in place on the engine."""
    return _impl(con).engine_table(con, name, table)


def number_rows(con: Any, source: str, name: str) -> ibis.Table:
    """View ``name`` over ``source`` (a copy made by ``copy_*``): ``_row`` (1-based, the order rows were copied
    in) and every column of ``source``. Drop the view, then ``source``, when done."""
    return _impl(con).number_rows(con, source, name)


# ----------------------------------------------------------------------------- the snapshot's tables


def store_table(table: ibis.Table, folder: Path, name: str) -> dict[str, Any]:
    """Keep ``table`` for other processes of the same run (the notebooks); returns the reference that
    :func:`load_table` takes (kept in the snapshot's ``meta.json``: no credentials in it)."""
    return _impl_of(table).store_table(table, Path(folder), name)


def load_table(con: Any, folder: Path, ref: dict[str, Any], name: str) -> ibis.Table:
    """The table kept by :func:`store_table` (``ref``), as table ``name`` of ``con``."""
    return _impl(con).load_table(con, Path(folder), ref, name)


def drop_stored(con: Any, refs: Sequence[dict[str, Any]]) -> None:
    """Remove tables kept outside the snapshot folder (PostgreSQL's work schema); files go with the folder."""
    _impl(con).drop_stored(con, refs)


def write_parquet(table: ibis.Table, path: Path) -> None:
    """Write ``table`` (a DuckDB expression, rows in their order) to the Parquet file ``path``."""
    _duck.write_parquet(table, path)


def read_parquet(con: Any, path: Path, name: str) -> ibis.Table:
    """Load the Parquet file ``path`` into the DuckDB temporary table ``name`` (rows in file order)."""
    return _duck.read_parquet(con, path, name)


def query_progress(con: Any) -> float | None:
    """Percent done (0-100) of the query running on ``con``, None when the engine does not say."""
    if engine_name(con) != "duckdb":
        return None
    return _duck.query_progress(con)
