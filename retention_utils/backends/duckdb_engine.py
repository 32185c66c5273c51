"""The in-process engine, DuckDB (the default): every call that knows the engine is DuckDB.

The kit reaches it through :mod:`retention_utils.backend`, which picks this module, the PostgreSQL one
or the Spark one by the connection. Here:

- :func:`connect` (memory cap, threads, spill folder, no progress bar) and :func:`settings`
  (the settings in force, recorded by the runner);
- :func:`try_strptime`, the engine's date parser with an explicit format;
- temporary tables: :func:`temp_table`, :func:`drop_tables`, :func:`count_rows`;
- raw inputs in the engine: :func:`copy_csv` (+ :func:`sniff_delimiter`), :func:`copy_frame`,
  :func:`copy_database_file_table`, and :func:`number_rows` (the 1-based row number of each copied
  row); Parquet files are read in place by :func:`parquet_rows` (a numbered view, no copy);
- Parquet export and import of canonical tables (:func:`write_parquet`, :func:`read_parquet`),
  used by the validated snapshot of :mod:`retention_utils.unit`;
- :func:`query_progress`, the percent done of a running query (the CLI's live bars).

- the snapshot's tables as Parquet files (:func:`store_table`, :func:`load_table`);
- parsing with DuckDB's own casts and ``try_strptime`` (fast, NULL where a value does not parse).

Engine errors are :data:`Error`; callers turn them into the kit's messages.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Sequence

import duckdb
import ibis

__all__ = ["Error", "PACKAGES", "connect", "settings", "try_strptime", "temp_table", "drop_tables", "count_rows",
           "copy_csv", "sniff_delimiter", "parquet_rows", "copy_frame", "copy_database_file_table", "number_rows",
           "write_parquet", "read_parquet", "query_progress"]

#: the engine's error class (reader failures, bad SQL, out of memory)
Error = duckdb.Error
ERRORS: tuple[type[BaseException], ...] = (duckdb.Error,)

#: the packages the engine is made of, for the run manifest's versions
PACKAGES: tuple[str, ...] = ("ibis-framework", "duckdb", "sqlglot")


def connect(*, temp_directory: str | None = None, memory_limit: str | None = None,
            threads: int | None = None) -> ibis.BaseBackend:
    """A fresh in-process engine.

    Parameters
    ----------
    temp_directory
        Folder for data spilled to disk (the engine removes it when it closes); the engine's
        default when None.
    memory_limit
        Memory cap such as ``"4GB"`` or ``"40%"``; the engine's default (80% of RAM) when None.
    threads
        Worker threads; all cores when None.

    The engine counts progress (:func:`query_progress`) but never draws a bar: it would print into
    notebook outputs and reports.

    Examples
    --------
    >>> settings(connect(memory_limit="1GB", threads=1))["threads"]
    1
    """
    config: dict[str, Any] = {}
    if temp_directory:
        config["temp_directory"] = temp_directory
    if memory_limit:
        config["memory_limit"] = memory_limit.replace(" ", "")
    if threads:
        config["threads"] = threads
    con = ibis.duckdb.connect(**config)
    try:  # session options: progress is counted (for the CLI's live bars) but never drawn by the engine
        _exec(con, "SET enable_progress_bar_print = false")
        _exec(con, "SET enable_progress_bar = true")
    except Error:
        pass  # in a Jupyter kernel DuckDB refuses the setting without ipywidgets: no progress, no bar
    return con


def settings(con: ibis.BaseBackend) -> dict[str, Any]:
    """The engine settings in force: ``{"memory_limit": str, "threads": int}`` (for the run manifest)."""
    mem, threads = _fetch(con, "SELECT current_setting('memory_limit'), current_setting('threads')")[0]
    return {"memory_limit": str(mem), "threads": int(threads)}


def describe(con: ibis.BaseBackend) -> str:
    """``DuckDB <version> (in-process)``."""
    return f"DuckDB {duckdb.__version__} (in-process)"


def parse_date(value: ibis.StringValue, fmt: str) -> ibis.DateValue:
    """DuckDB's ``try_strptime``: NULL where the text does not parse."""
    return try_strptime(value, fmt).cast("date")


def parse_iso_date(value: ibis.StringValue) -> ibis.DateValue:
    """DuckDB's cast to a timestamp (ISO dates and timestamps), NULL where it fails, as a date."""
    return value.try_cast("timestamp").cast("date")


def parse_number(value: ibis.StringValue) -> ibis.FloatingValue:
    """DuckDB's cast to a double, NULL where it fails."""
    return value.try_cast("float64")


def row_hash(table: ibis.Table, columns: Sequence[str]) -> ibis.IntegerValue:
    """DuckDB's hash of a struct of the columns."""
    return ibis.struct({c: table[c] for c in columns}).hash()


def engine_table(con: ibis.BaseBackend, name: str, table: str) -> ibis.Table:
    """Not for DuckDB: its tables come from files (``format: duckdb`` names the database file)."""
    from ..errors import ConfigError
    raise ConfigError(f"format: table reads a table the engine already holds, which needs engine.backend: postgres "
                      f"or spark; with the in-process engine name the file instead (format: duckdb with path and "
                      f"table {table!r}, or csv / parquet).")


def store_table(table: ibis.Table, folder: Path, name: str) -> dict[str, Any]:
    """``folder/<name>.parquet``."""
    write_parquet(table, folder / f"{name}.parquet")
    return {"kind": "parquet", "file": f"{name}.parquet"}


def load_table(con: ibis.BaseBackend, folder: Path, ref: dict[str, Any], name: str) -> ibis.Table:
    """The Parquet file of :func:`store_table` as the temporary table ``name``."""
    return read_parquet(con, folder / ref["file"], name)


def drop_stored(con: ibis.BaseBackend, refs: Sequence[dict[str, Any]]) -> None:
    """Nothing: the files go with the snapshot folder."""


@ibis.udf.scalar.builtin(name="try_strptime")
def try_strptime(value: str, fmt: str) -> dt.datetime:  # DuckDB built-in: NULL where the text does not parse
    """Parse ``value`` with the strftime-style ``fmt``; NULL where it does not parse."""
    ...


# ----------------------------------------------------------------------------- temporary tables


def temp_table(con: ibis.BaseBackend, name: str, obj: ibis.Table | Any) -> ibis.Table:
    """Materialise ``obj`` (an Ibis expression or a frame) as the temporary table ``name``, replacing it."""
    return con.create_table(name, obj, temp=True, overwrite=True)


def drop_tables(con: ibis.BaseBackend, *names: str) -> None:
    """Drop the (temporary) tables or views ``names`` where they exist."""
    for name in names:
        view = con.con.execute("SELECT 1 FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]).fetchall()
        _exec(con, f"DROP {'VIEW' if view else 'TABLE'} IF EXISTS {_ident(name)}")


def count_rows(con: ibis.BaseBackend, name: str) -> int:
    """Rows of table ``name``."""
    return int(_fetch(con, f"SELECT count(*) FROM {_ident(name)}")[0][0])


# ----------------------------------------------------------------------------- copying raw inputs


def copy_csv(con: ibis.BaseBackend, name: str, files: Sequence[Path], *, delimiter: str | None,
             encoding: str) -> None:
    """Copy CSV ``files`` (one header, same columns) into table ``name``, every column as text.

    ``delimiter`` None: detected by the reader. ``encoding``: ``utf-8`` (a byte-order mark is
    skipped), ``utf-16``, ``latin-1``.
    """
    opts = ["header=true", "all_varchar=true"]
    if delimiter:
        opts.append(f"delim={_text(delimiter)}")
    opts.append(f"encoding={_text(encoding)}")
    _exec(con, f"CREATE OR REPLACE TEMP TABLE {_ident(name)} AS SELECT * FROM read_csv({_file_list(files)}, "
               f"{', '.join(opts)})")


def sniff_delimiter(con: ibis.BaseBackend, path: Path, *, encoding: str) -> str | None:
    """The delimiter the CSV reader detects in ``path``, None when it cannot tell."""
    try:
        found = _fetch(con, f"SELECT Delimiter FROM sniff_csv({_text(str(path))}, encoding={_text(encoding)})")
    except Error:
        return None
    return found[0][0] if found else None


def parquet_rows(con: ibis.BaseBackend, name: str, files: Sequence[Path]) -> ibis.Table:
    """View ``name`` over Parquet ``files`` (same columns), read in place: ``_row`` (1-based position of the
    row in the files, in the order given) and every column.

    Unlike a CSV, a Parquet file is typed and columnar, so the engine re-reads it quickly: no copy is made
    (10M customers' orders: 15 s and 3 GB of engine memory saved).
    """
    multi = len(files) > 1
    row = "file_row_number + 1"
    if multi:  # each file's rows follow the rows of the files before it (counts come from the files' metadata)
        counts = [int(_fetch(con, f"SELECT count(*) FROM read_parquet({_text(str(f))})")[0][0]) for f in files]
        starts = [sum(counts[:i]) for i in range(len(files))]
        row = ("CASE filename " + " ".join(f"WHEN {_text(str(f))} THEN {s}" for f, s in zip(files, starts)) +
               " END + file_row_number + 1")
    extra = ", filename" if multi else ""
    _exec(con, f"CREATE OR REPLACE TEMP VIEW {_ident(name)} AS SELECT {row} AS _row, * EXCLUDE (file_row_number{extra}) "
               f"FROM read_parquet({_file_list(files)}, file_row_number=true{', filename=true' if multi else ''})")
    return con.table(name)


def copy_frame(con: ibis.BaseBackend, name: str, frame: Any) -> None:
    """Copy a pandas frame or Arrow table into table ``name``."""
    view = f"_frame_{name}"
    duck = con.con
    duck.register(view, frame)
    try:
        _exec(con, f"CREATE OR REPLACE TEMP TABLE {_ident(name)} AS SELECT * FROM {_ident(view)}")
    finally:
        duck.unregister(view)


def copy_database_file_table(con: ibis.BaseBackend, name: str, path: Path, table: str) -> None:
    """Copy table ``table`` of the engine's own database file ``path`` (opened read-only) into ``name``."""
    alias = f"src_{name}"
    _exec(con, f"ATTACH {_text(str(path))} AS {_ident(alias)} (READ_ONLY)")
    try:
        _exec(con, f"CREATE OR REPLACE TEMP TABLE {_ident(name)} AS SELECT * FROM {_ident(alias)}.{_ident(table)}")
    finally:
        _exec(con, f"DETACH {_ident(alias)}")


def number_rows(con: ibis.BaseBackend, source: str, name: str) -> ibis.Table:
    """View ``name`` over the table ``source``: ``_row`` (1-based position of the row in ``source``, i.e. in the
    file) and every column of ``source``. Drop the view, then ``source``, when done."""
    # rowid is the insertion order of the copy, i.e. the order of rows in the file(s); a view, not a second
    # copy of the raw text (10M order rows: 2.5 s and a gigabyte saved)
    _exec(con, f"CREATE OR REPLACE TEMP VIEW {_ident(name)} AS SELECT rowid + 1 AS _row, * FROM {_ident(source)}")
    return con.table(name)


# ----------------------------------------------------------------------------- Parquet export / import


def write_parquet(table: ibis.Table, path: Path) -> None:
    """Write ``table`` (rows in their order) to the Parquet file ``path``."""
    con = table._find_backend()
    sql = con.compile(table)
    _exec(con, f"COPY ({sql}) TO {_text(str(path))} (FORMAT parquet, COMPRESSION zstd)")


def read_parquet(con: ibis.BaseBackend, path: Path, name: str) -> ibis.Table:
    """Load the Parquet file ``path`` into the temporary table ``name`` (rows in file order)."""
    _exec(con, f"CREATE OR REPLACE TEMP TABLE {_ident(name)} AS SELECT * FROM read_parquet({_text(str(path))})")
    return con.table(name)


# ----------------------------------------------------------------------------- SQL helpers


def _exec(con: ibis.BaseBackend, sql: str) -> None:
    """Run a statement and consume its result (DuckDB >= 2 requires it before the next one)."""
    con.con.execute(sql).fetchall()


def _fetch(con: ibis.BaseBackend, sql: str) -> list[tuple]:
    return con.con.execute(sql).fetchall()


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _file_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join(_text(str(f)) for f in files) + "]"


def query_progress(con: Any) -> float | None:
    """Percent done (0-100) of the query running on ``con`` (an Ibis backend), None when unknown.

    Meant to be called from another thread while ``con`` runs a statement (the live bars of
    :mod:`retention_utils.progress`). DuckDB reports progress only while its progress-bar setting is
    on (``enable_progress_bar``; ``enable_progress_bar_print = false`` keeps it from drawing one);
    with it off, between queries, or on an engine without the call, the answer is None.
    """
    try:
        value = getattr(con, "con", con).query_progress()
    except (Error, AttributeError, RuntimeError):
        return None
    return float(value) if value is not None and value >= 0 else None
