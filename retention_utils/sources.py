"""Reading input tables into the in-process engine (DuckDB via Ibis).

Each source is copied, as it is, into a DuckDB table ``raw_<name>`` with a
``_row`` column: the 1-based data row in the file (header not counted), used to
point at bad rows in error messages. CSV files are read with every column as
text so that the contract (:mod:`retention_utils.contract`) parses dates and
numbers itself, in the format the params name, and reports what does not parse.

Supported: CSV (delimiter and encoding from params or sniffed; a UTF-8 byte-order
mark is skipped), Parquet (file or glob), Excel, a table of a DuckDB database
file, and a table of any database Ibis connects to by URL; the URL is read from
the environment variable named in params and is never logged or written.
"""
from __future__ import annotations

import glob as globmod
import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from .config import EngineSpec, SourceSpec, UnitConfig
from .errors import ConfigError, DataError

__all__ = ["RawSource", "connect", "read_source", "fingerprint"]


@dataclass(frozen=True)
class RawSource:
    """A source copied into the engine.

    Attributes
    ----------
    name : table role (``orders``, ``customers`` ...)
    label : how messages name the source (file name, or ``table @ $ENV_VAR``)
    table : the raw Ibis table, with ``_row``
    columns : the source's own column names (without ``_row``)
    n_rows : number of data rows
    files : the files read (for fingerprints); empty for databases
    """

    name: str
    label: str
    table: ibis.Table
    columns: tuple[str, ...]
    n_rows: int
    files: tuple[Path, ...]


#: environment variable with a default memory cap for engines whose params set none; ``retention run
#: --jobs N`` sets it to each unit's share (:func:`retention_utils.report.engine_memory_share`)
ENGINE_MEMORY_ENV = "RETENTION_ENGINE_MEMORY_LIMIT"


def connect(engine: EngineSpec | None = None) -> ibis.BaseBackend:
    """A fresh in-process DuckDB engine (one per unit run), configured by ``params: engine``.

    Without ``engine.memory_limit`` the cap is the environment variable
    ``RETENTION_ENGINE_MEMORY_LIMIT`` when set, else DuckDB's default. Spilled data goes to ``engine.temp_directory`` or else a new folder under the system's
    temporary directory (DuckDB's own default is ``.tmp`` in the working directory, which would
    litter the notebooks folder); DuckDB removes the folder when the engine closes. The
    progress bar is off: it would print into notebook outputs and reports.
    """
    spec = engine or EngineSpec()
    tmp = spec.temp_directory or str(Path(tempfile.gettempdir()) / f"retention-engine-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    config: dict = {"temp_directory": tmp}
    limit = spec.memory_limit or os.environ.get(ENGINE_MEMORY_ENV)
    if limit:
        config["memory_limit"] = limit.replace(" ", "")
    if spec.threads:
        config["threads"] = spec.threads
    con = ibis.duckdb.connect(**config)
    try:  # a session option, not a global one
        con.con.execute("SET enable_progress_bar = false").fetchall()
    except duckdb.Error:
        pass  # in a Jupyter kernel DuckDB's bar needs ipywidgets, which the kit does not install: none is drawn
    return con


def _files(cfg: UnitConfig, spec: SourceSpec, name: str) -> list[Path]:
    pattern = cfg.resolve_path(str(spec.path))
    matches = sorted(Path(p) for p in globmod.glob(str(pattern)))
    if not matches:
        raise DataError(f"sources.{name}.path: no file matches {str(pattern)!r} (relative paths are taken "
                        f"from the params folder {str(cfg.params_dir)!r}); check the path or run "
                        "'make demo' to create the demo data.")
    return matches


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def read_source(con: ibis.BaseBackend, cfg: UnitConfig, name: str) -> RawSource:
    """Copy source ``name`` of the unit into the engine as ``raw_<name>``.

    Raises
    ------
    DataError
        Missing file, unreadable file (with the reader's reason and a hint about
        delimiter or encoding).
    ConfigError
        A database source whose environment variable is not set.
    """
    spec: SourceSpec = getattr(cfg.sources, name)
    fmt = spec.resolved_format()
    duck = con.con  # the duckdb connection behind the Ibis backend
    tmp = f"_load_{name}"
    files: list[Path] = []
    try:
        if fmt == "csv":
            files = _files(cfg, spec, name)
            opts = ["header=true", "all_varchar=true"]
            if spec.delimiter:
                opts.append("delim=" + "'" + spec.delimiter.replace("'", "''") + "'")
            enc = spec.encoding.lower().replace("_", "-")
            if enc in ("utf-8-sig", "utf8"):
                enc = "utf-8"
            opts.append(f"encoding='{enc}'")
            file_list = "[" + ", ".join(_quote(f) for f in files) + "]"
            _exec(duck, f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM read_csv({file_list}, {', '.join(opts)})")
            label = files[0].name if len(files) == 1 else f"{spec.path} ({len(files)} files)"
        elif fmt == "parquet":
            files = _files(cfg, spec, name)
            file_list = "[" + ", ".join(_quote(f) for f in files) + "]"
            _exec(duck, f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM read_parquet({file_list})")
            label = files[0].name if len(files) == 1 else f"{spec.path} ({len(files)} files)"
        elif fmt == "excel":
            files = _files(cfg, spec, name)
            frames = [pd.read_excel(f, sheet_name=spec.sheet if spec.sheet is not None else 0) for f in files]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            frame = _text_objects(frame)
            duck.register("_excel_frame", frame)
            _exec(duck, f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM _excel_frame")
            duck.unregister("_excel_frame")
            label = files[0].name
        elif fmt == "duckdb":
            files = _files(cfg, spec, name)[:1]
            alias = f"src_{name}"
            _exec(duck, f"ATTACH {_quote(files[0])} AS {alias} (READ_ONLY)")
            _exec(duck, f'CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM {alias}."{spec.table}"')
            _exec(duck, f"DETACH {alias}")
            label = f"{files[0].name}:{spec.table}"
        else:  # database by URL, credentials from the environment
            url = os.environ.get(str(spec.url_env))
            if not url:
                raise ConfigError(f"sources.{name}.url_env: environment variable {spec.url_env} is not set; "
                                  "export it with the database URL (credentials stay out of params).")
            remote = ibis.connect(url)
            arrow = remote.table(str(spec.table)).to_pyarrow()
            duck.register("_remote_frame", arrow)
            _exec(duck, f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM _remote_frame")
            duck.unregister("_remote_frame")
            label = f"{spec.table} @ ${spec.url_env}"
    except (ConfigError, DataError):
        raise
    except Exception as exc:  # reader errors: report them as data errors, no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = files[0].name if files else str(spec.path or spec.table)
        raise DataError(f"{where}: cannot be read as {fmt} ({first}). Check sources.{name} in params: "
                        "path, format, delimiter and encoding (e.g. encoding: latin-1).") from None
    # rowid is the insertion order of the copy, i.e. the order of rows in the file(s)
    _exec(duck, f"CREATE OR REPLACE TEMP TABLE raw_{name} AS SELECT rowid + 1 AS _row, * FROM {tmp}")
    _exec(duck, f"DROP TABLE {tmp}")
    table = con.table(f"raw_{name}")
    columns = tuple(c for c in table.columns if c != "_row")
    n_rows = int(duck.execute(f"SELECT count(*) FROM raw_{name}").fetchall()[0][0])
    return RawSource(name=name, label=label, table=table, columns=columns, n_rows=n_rows, files=tuple(files))


def _exec(duck, sql: str) -> None:
    """Run a statement and consume its result (DuckDB >= 2 requires it before the next one)."""
    duck.execute(sql).fetchall()


def _text_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel columns of mixed types become text so the engine can hold them."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if pd.isna(v) else str(v))
    out.columns = [str(c) for c in out.columns]
    return out


def fingerprint(path: Path) -> dict[str, object]:
    """Size, modification time and SHA-256 of an input file (for the run manifest)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    st = path.stat()
    return {"path": str(path), "bytes": st.st_size, "mtime": st.st_mtime, "sha256": h.hexdigest()}
