"""PostgreSQL as the engine (``engine.backend: postgres``): the reductions run in the server.

The connection URL comes from the environment variable named by ``engine.url_env`` and is never
logged, written or shown (messages name the variable). Tables of the database are read on the server
(``format: table``), once, into a numbered temporary table; files named in params are streamed in with
``COPY`` (every column as text, the row number from an identity column, so ``_row`` is the row of the
file). Intermediate tables are the session's temporary tables (a read-only role may create them:
PostgreSQL grants TEMP by default) and
are analysed after they are written, since autovacuum never looks at temporary tables.

The validated snapshot that the notebooks of a run share lives in ``engine.work_schema`` (default
``retention_work``): one UNLOGGED table per canonical table, named with a random token and dropped
when the run is done. This is the one place the kit writes to the database; the role needs
``CREATE`` on that schema only.

Every statement runs under ``engine.statement_timeout`` seconds (none when 0).
"""
from __future__ import annotations

import csv
import io
import os
import uuid
from pathlib import Path
from typing import Any, Iterator, Sequence

import ibis

from . import portable
from ..errors import ConfigError, DataError, redact, url_secrets

__all__ = ["ERRORS", "connect_engine", "settings", "describe"]

try:
    import psycopg

    ERRORS: tuple[type[BaseException], ...] = (psycopg.Error,)
except ImportError:  # pragma: no cover - the postgres extra is not installed
    psycopg = None  # type: ignore[assignment]
    ERRORS = ()

PACKAGES: tuple[str, ...] = ("ibis-framework", "psycopg", "sqlglot")

def _patch_compiler() -> None:
    """Teach Ibis's PostgreSQL compiler what the kit needs spelt differently: casts, and the order of text.

    PostgreSQL casts a boolean to ``integer`` but not to ``bigint`` or ``double precision``; the kit counts
    and weighs flags with ``flag.cast("int64")`` / ``cast("float64")`` on every engine, so such a cast goes
    through ``integer`` here.
    """
    from ibis.backends.sql.compilers.postgres import PostgresCompiler
    import ibis.expr.datatypes as dt

    if getattr(PostgresCompiler, "_retention_patched", False):
        return
    original = PostgresCompiler.visit_Cast

    def visit_Cast(self, op, *, arg, to):
        if op.arg.dtype.is_boolean() and to.is_numeric() and not to.is_int32():
            arg = self.cast(arg, dt.int32)
        return original(self, op, arg=arg, to=to)

    PostgresCompiler.visit_Cast = visit_Cast
    PostgresCompiler.visit_TryCast = visit_Cast

    # Text is ordered byte by byte, as DuckDB and Spark order it, whatever the database's collation: a warehouse
    # in en_US order would otherwise sort ids (the training panel, the at-risk list's ties, min of a category)
    # differently and the results would depend on the server's locale.
    import sqlglot as sg
    import sqlglot.expressions as sge

    def _c(arg):
        return sge.Collate(this=arg, expression=sg.to_identifier("C", quoted=True))

    sort_key, vmin, vmax = PostgresCompiler.visit_SortKey, PostgresCompiler.visit_Min, PostgresCompiler.visit_Max

    def visit_SortKey(self, op, *, arg, ascending, nulls_first):
        if op.arg.dtype.is_string():
            arg = _c(arg)
        return sort_key(self, op, arg=arg, ascending=ascending, nulls_first=nulls_first)

    def visit_Min(self, op, *, arg, where):
        return vmin(self, op, arg=_c(arg) if op.arg.dtype.is_string() else arg, where=where)

    def visit_Max(self, op, *, arg, where):
        return vmax(self, op, arg=_c(arg) if op.arg.dtype.is_string() else arg, where=where)

    PostgresCompiler.visit_SortKey = visit_SortKey
    PostgresCompiler.visit_Min = visit_Min
    PostgresCompiler.visit_Max = visit_Max
    PostgresCompiler._retention_patched = True


if psycopg is not None:
    _patch_compiler()

parse_date = portable.parse_date
parse_iso_date = portable.parse_iso_date
parse_number = portable.parse_number
row_hash = portable.row_hash


# ----------------------------------------------------------------------------- connecting


def connect_engine(spec: Any) -> ibis.BaseBackend:
    """Connect to the server at ``$<engine.url_env>``; the session's time zone is UTC (dates are dates)."""
    if psycopg is None:
        raise ConfigError("engine.backend: postgres needs the PostgreSQL client; install it with "
                          "pip install 'retention-kit[postgres]'.")
    env = spec.url_env or "RETENTION_PG_URL"
    url = os.environ.get(env)
    if not url:
        raise ConfigError(f"engine.url_env: environment variable {env} is not set; export it with the database URL, "
                          "e.g. postgresql://USER:PASSWORD@HOST:5432/DATABASE (credentials stay out of params).")
    secrets = url_secrets(url)
    try:
        con = ibis.connect(url)
    except Exception as exc:
        raise DataError(redact(f"engine PostgreSQL at ${env}: cannot connect ({_reason(exc)}). Check that the server "
                               f"is up and the URL in {env}: host, port, database name, user and password.",
                               *secrets)) from None
    con._retention_env = env  # messages name the variable, never the URL
    con._retention_schema = spec.work_schema
    timeout = int(spec.statement_timeout or 0)
    _exec(con, "SET TIME ZONE 'UTC'")
    _exec(con, f"SET statement_timeout = {timeout * 1000}")
    _exec(con, "SET application_name = 'retention-kit'")
    if spec.work_mem:
        _exec(con, f"SET work_mem = {_text(spec.work_mem)}")
    return con


def settings(con: Any) -> dict[str, Any]:
    """Server version, statement timeout and work_mem in force (no credentials)."""
    version, timeout, work_mem = _fetch(con, "SELECT current_setting('server_version'), "
                                             "current_setting('statement_timeout'), current_setting('work_mem')")[0]
    return {"server_version": str(version), "statement_timeout": str(timeout), "work_mem": str(work_mem),
            "url_env": getattr(con, "_retention_env", None)}


def describe(con: Any) -> str:
    return f"PostgreSQL at ${getattr(con, '_retention_env', 'RETENTION_PG_URL')}"


# ----------------------------------------------------------------------------- temporary tables


def temp_table(con: Any, name: str, obj: Any) -> ibis.Table:
    """Materialise ``obj`` as the temporary table ``name`` (replacing it) and analyse it for the planner."""
    drop_tables(con, name)
    if isinstance(obj, ibis.Table):
        sql = con.compile(obj)
        con._register_in_memory_tables(obj)
        _exec(con, f"CREATE TEMP TABLE {_ident(name)} AS {sql}")
    else:
        con.create_table(name, obj, temp=True, overwrite=True)
    _exec(con, f"ANALYZE {_ident(name)}")
    return con.table(name)


def drop_tables(con: Any, *names: str) -> None:
    """Drop the session's temporary tables or views ``names`` where they exist."""
    for name in names:
        kind = _fetch(con, "SELECT c.relkind FROM pg_class c WHERE c.relname = %s "
                           "AND c.relnamespace = pg_my_temp_schema()", (name,))
        if kind:
            _exec(con, f"DROP {'VIEW' if kind[0][0] == 'v' else 'TABLE'} IF EXISTS pg_temp.{_ident(name)} CASCADE")


def count_rows(con: Any, name: str) -> int:
    return int(_fetch(con, f"SELECT count(*) FROM {_ident(name)}")[0][0])


# ----------------------------------------------------------------------------- copying raw inputs


def _columns(header: list[str]) -> list[str]:
    """Column names as DuckDB's reader gives them: blanks become ``column<i>``, repeats get ``_<n>``."""
    out: list[str] = []
    for i, col in enumerate(header):
        col = col if col.strip() else f"column{i}"
        base, n = col, 1
        while col in out:
            col = f"{base}_{n}"
            n += 1
        out.append(col)
    return out


def _create_text_table(con: Any, name: str, columns: Sequence[str], types: Sequence[str] | None = None) -> None:
    cols = ", ".join(f"{_ident(c)} {t}" for c, t in zip(columns, types or ["text"] * len(columns)))
    _exec(con, f"DROP TABLE IF EXISTS pg_temp.{_ident(name)}")
    _exec(con, f"CREATE TEMP TABLE {_ident(name)} (_row bigint GENERATED ALWAYS AS IDENTITY, {cols})")


def _pg_types(schema: Any) -> list[str]:
    """PostgreSQL types keeping what an Arrow schema (a Parquet file, a spreadsheet, a database) already typed:
    numbers, dates and flags stay numbers, dates and flags, as the in-process engine keeps them (so that
    ``decimal: ','`` or a ``date_format`` meant for text never applies to them); everything else is text."""
    import pyarrow as pa

    out = []
    for field in schema:
        t = field.type
        out.append("bigint" if pa.types.is_integer(t) else "double precision" if pa.types.is_floating(t) or
                   pa.types.is_decimal(t) else "boolean" if pa.types.is_boolean(t) else "date" if pa.types.is_date(t)
                   else "timestamp" if pa.types.is_timestamp(t) else "text")
    return out


def _copy(con: Any, name: str, columns: Sequence[str], chunks: Iterator[bytes], options: str) -> None:
    cols = ", ".join(_ident(c) for c in columns)
    with con.con.cursor() as cur:
        with cur.copy(f"COPY {_ident(name)} ({cols}) FROM STDIN WITH ({options})") as copy:
            for chunk in chunks:
                copy.write(chunk)
    con.con.commit()


def _python_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def copy_csv(con: Any, name: str, files: Sequence[Path], *, delimiter: str | None, encoding: str) -> None:
    """Stream CSV ``files`` into the temporary table ``name`` with COPY (text columns, ``_row`` in file order).

    The files are decoded here (a UTF-8 byte-order mark dropped, UTF-16 and Latin-1 converted) and sent as
    UTF-8, so the server's own encoding does not matter.
    """
    enc = _python_encoding(encoding)
    delim = delimiter or sniff_delimiter(con, files[0], encoding=encoding) or ","
    columns: list[str] | None = None
    for path in files:
        with open(path, encoding=enc, newline="") as fh:
            first = fh.readline()
            while first in ("\n", "\r\n"):  # empty lines above the header, skipped as DuckDB does
                first = fh.readline()
            header = next(csv.reader([first], delimiter=delim), [])
            if columns is None:
                columns = _columns(header)
                _create_text_table(con, name, columns)
            elif _columns(header) != columns:
                raise DataError(f"{path.name}: its columns ({', '.join(header[:8])}) differ from those of "
                                f"{files[0].name}; files read together must have the same header.")
            _copy(con, name, columns, _encoded(fh), f"FORMAT csv, DELIMITER {_text(delim)}, ENCODING 'UTF8'")


def _encoded(fh: Any) -> Iterator[bytes]:
    for block in _without_blank_lines(iter(lambda: fh.read(1 << 20), "")):
        yield block.encode("utf-8")


def _without_blank_lines(blocks: Iterator[str]) -> Iterator[str]:
    """The CSV text in whole lines, empty lines outside quoted fields dropped.

    DuckDB's and Spark's CSV readers skip empty lines (an export often ends with one or two); COPY fails on
    them ("missing data for column"). A block without an empty line passes as it is (the quote state is
    carried by counting quote characters: a doubled quote inside a field counts twice, so changes nothing).
    """
    in_quote, rest = False, ""
    for block in blocks:
        text = rest + block
        cut = text.rfind("\n") + 1
        text, rest = text[:cut], text[cut:]
        if not text:
            continue
        if "\n\n" not in text and "\n\r\n" not in text and text[0] != "\n" and not text.startswith("\r\n"):
            in_quote ^= text.count('"') % 2 == 1
            yield text
            continue
        kept = []
        for line in text.split("\n")[:-1]:
            if in_quote or line not in ("", "\r"):
                kept.append(line)
                in_quote ^= line.count('"') % 2 == 1
        if kept:
            yield "\n".join(kept) + "\n"
    if rest and (in_quote or rest != "\r"):
        yield rest


def sniff_delimiter(con: Any, path: Path, *, encoding: str) -> str | None:
    """The delimiter Python's CSV sniffer finds in the first 64 KB (one of ``, ; tab |``), None when unsure."""
    try:
        with open(path, encoding=_python_encoding(encoding), newline="") as fh:
            head = fh.read(1 << 16)
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except (csv.Error, OSError, UnicodeError):
        return None


def parquet_rows(con: Any, name: str, files: Sequence[Path]) -> ibis.Table:
    """Parquet ``files`` streamed into a temporary table with COPY (types kept, ``_row`` in file order)."""
    import pyarrow.parquet as pq

    source = f"_load_{name.removeprefix('raw_')}"  # the name the contract drops when the source is typed
    columns = None
    for path in files:
        pf = pq.ParquetFile(path)
        names = _columns([str(c) for c in pf.schema_arrow.names])
        if columns is None:
            columns = names
            _create_text_table(con, source, columns, _pg_types(pf.schema_arrow))
        _copy(con, source, columns, (_csv_bytes(batch) for batch in pf.iter_batches(batch_size=200_000)),
              "FORMAT csv, HEADER false")
    return number_rows(con, source, name)


def _csv_bytes(batch: Any) -> bytes:
    """An Arrow record batch as CSV text (no header); dates as ISO, nulls as empty fields."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cols = [c.cast(pa.string()) if not pa.types.is_string(c.type) else c for c in batch.columns]
    out = io.BytesIO()
    pacsv.write_csv(pa.RecordBatch.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))]), out,
                    write_options=pacsv.WriteOptions(include_header=False))
    return out.getvalue()


def copy_frame(con: Any, name: str, frame: Any) -> None:
    """A pandas frame or Arrow table into the temporary table ``name`` (types kept, ``_row`` in order)."""
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    columns = _columns([str(c) for c in table.column_names])
    _create_text_table(con, name, columns, _pg_types(table.schema))
    _copy(con, name, columns, (_csv_bytes(b) for b in table.to_batches(max_chunksize=200_000)), "FORMAT csv")


def copy_database_file_table(con: Any, name: str, path: Path, table: str) -> None:
    """Table ``table`` of a DuckDB database file, copied into the server."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as duck:
        arrow = duck.execute(f"SELECT * FROM {_ident(table)}").fetch_arrow_table()
    copy_frame(con, name, arrow)


def engine_table(con: Any, name: str, table: str) -> ibis.Table:
    """Temporary table ``name``: the rows of ``table`` (``schema.table``, a table or a view), numbered, read once.

    Read once, in one statement, so the run sees one consistent state of a table that the CRM keeps writing to
    (new orders, updated customers) while the kit's many later reads happen; numbering in a view over the live
    table would renumber and recount on each read (measured: no slower at 1M orders, 9.5 s either way, since
    each read of such a view sorted the table again). A table is numbered in its order on disk (``ctid``), a
    view or a partitioned table in the order it returns rows.
    """
    env = getattr(con, "_retention_env", "the engine URL")
    try:  # the server parses the name as SQL does (crm.orders, crm."Orders") and gives it back quoted as needed
        kind = _fetch(con, "SELECT c.relkind, to_regclass(%s)::text FROM pg_class c WHERE c.oid = to_regclass(%s)",
                      (table, table))
    except ERRORS as exc:
        con.con.rollback()
        raise DataError(f"{table} @ ${env}: cannot be looked up ({_reason(exc)}).") from None
    if not kind:
        raise DataError(f"{table} @ ${env}: no such table or view in the database; check sources.<name>.table in "
                        "params (with its schema, e.g. crm.orders) and the role's search_path.")
    qualified = kind[0][1]
    # a table or materialized view: ctid is its rows' place on disk; a view or partitioned table has no such order
    order = "ORDER BY ctid" if kind[0][0] in ("r", "m") else ""
    drop_tables(con, name)
    try:
        _exec(con, f"CREATE TEMP TABLE {_ident(name)} AS SELECT row_number() OVER ({order}) AS _row, * "
                   f"FROM {qualified}")
        _fetch(con, f"SELECT * FROM {_ident(name)} LIMIT 0")
    except ERRORS as exc:
        con.con.rollback()
        from ..backend import engine_hint

        why = f"{type(exc).__name__}: {_reason(exc)}"
        hint = (f"grant the role SELECT on it (GRANT SELECT ON {table} TO <role>)"
                if "permission denied" in why.lower() else engine_hint(why) or "check the table and the role's rights")
        raise DataError(f"{table} @ ${env}: cannot be read ({why}). What to do: {hint}.") from None
    _exec(con, f"ANALYZE {_ident(name)}")
    return con.table(name)


def number_rows(con: Any, source: str, name: str) -> ibis.Table:
    """View ``name`` over ``source`` (which has ``_row`` from its identity column)."""
    drop_tables(con, name)
    _exec(con, f"CREATE TEMP VIEW {_ident(name)} AS SELECT * FROM {_ident(source)}")
    return con.table(name)


# ----------------------------------------------------------------------------- the snapshot's tables


def _schema(con: Any) -> str:
    schema = getattr(con, "_retention_schema", None) or "retention_work"
    try:
        _exec(con, f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    except ERRORS as exc:
        con.con.rollback()
        exists = _fetch(con, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        if not exists:
            raise DataError(f"engine.work_schema: the work schema {schema!r} does not exist and the role cannot create it "
                            f"({_reason(exc)}); ask the database owner for CREATE SCHEMA {schema} AUTHORIZATION "
                            "<role>, or name a schema the role may write in.") from None
    return schema


def store_table(table: ibis.Table, folder: Path, name: str) -> dict[str, Any]:
    """An UNLOGGED table ``<engine.work_schema>.snap_<token>_<name>`` (the notebooks are other sessions)."""
    con = table._find_backend()
    schema = _schema(con)
    tname = f"snap_{uuid.uuid4().hex[:12]}_{name}"
    try:
        _exec(con, f"CREATE UNLOGGED TABLE {_ident(schema)}.{_ident(tname)} AS {con.compile(table)}")
        _exec(con, f"ANALYZE {_ident(schema)}.{_ident(tname)}")
    except ERRORS as exc:
        con.con.rollback()
        raise DataError(f"engine.work_schema {schema!r}: cannot create the run's working table ({_reason(exc)}); grant the "
                        f"role CREATE on the schema (GRANT CREATE ON SCHEMA {schema} TO <role>).") from None
    return {"kind": "postgres", "schema": schema, "table": tname}


def load_table(con: Any, folder: Path, ref: dict[str, Any], name: str) -> ibis.Table:
    return con.table(ref["table"], database=ref["schema"])


def drop_stored(con: Any, refs: Sequence[dict[str, Any]]) -> None:
    for ref in refs:
        if ref.get("kind") == "postgres":
            _exec(con, f"DROP TABLE IF EXISTS {_ident(ref['schema'])}.{_ident(ref['table'])}")


# ----------------------------------------------------------------------------- SQL helpers


def _exec(con: Any, sql: str, params: tuple | None = None) -> None:
    with con.con.cursor() as cur:
        cur.execute(sql, params)
    con.con.commit()


def _fetch(con: Any, sql: str, params: tuple | None = None) -> list[tuple]:
    with con.con.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    con.con.commit()
    return rows


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _reason(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."

