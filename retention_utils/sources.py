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
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import ibis
import pandas as pd

from . import backend
from .config import EngineSpec, SourceSpec, UnitConfig
from .errors import ConfigError, DataError, examples_text, redact, url_secrets

__all__ = ["RawSource", "connect", "read_source", "input_files", "fingerprint"]


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
    read_note : how a CSV was read when its delimiter or encoding was not given in params
        (e.g. ``read as CSV: delimiter ';' (detected), encoding utf-8 (default)``), for the
        data-quality notes; None otherwise
    """

    name: str
    label: str
    table: ibis.Table
    columns: tuple[str, ...]
    n_rows: int
    files: tuple[Path, ...]
    read_note: str | None = None


#: environment variable with a default memory cap for engines whose params set none; ``retention run
#: --jobs N`` sets it to each unit's share (:func:`retention_utils.report.engine_memory_share`)
ENGINE_MEMORY_ENV = "RETENTION_ENGINE_MEMORY_LIMIT"


def connect(engine: EngineSpec | None = None) -> ibis.BaseBackend:
    """A fresh engine for one unit run, as ``params: engine`` names it (in-process DuckDB by default).

    DuckDB: without ``engine.memory_limit`` the cap is the environment variable
    ``RETENTION_ENGINE_MEMORY_LIMIT`` when set, else DuckDB's default. Spilled data goes to ``engine.temp_directory`` or else a new folder under the system's
    temporary directory (DuckDB's own default is ``.tmp`` in the working directory, which would
    litter the notebooks folder); DuckDB removes the folder when the engine closes. The engine
    counts progress but never draws a bar: it would print into notebook outputs and reports.
    PostgreSQL and Spark: :func:`retention_utils.backend.connect_engine`.
    """
    spec = engine or EngineSpec()
    if spec.backend != "duckdb":
        return backend.connect_engine(spec)
    tmp = spec.temp_directory or str(Path(tempfile.gettempdir()) / f"retention-engine-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    return backend.connect_engine(spec, temp_directory=tmp,
                                  memory_limit=spec.memory_limit or os.environ.get(ENGINE_MEMORY_ENV))


#: a path with a URI scheme (``s3a://bucket/orders/``, ``hdfs:///crm/orders.parquet``): read by Spark as it is
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def remote_path(cfg: UnitConfig, spec: SourceSpec) -> bool:
    """True for a source path only the engine can read (a URI under ``engine.backend: spark``)."""
    return bool(spec.path) and cfg.engine.backend == "spark" and bool(_URI.match(str(spec.path)))


def _name(f: Path | str) -> str:
    """How messages name a file: its name, or a URI as it is."""
    return f if isinstance(f, str) else f.name


def _files(cfg: UnitConfig, spec: SourceSpec, name: str) -> list[Path]:
    if remote_path(cfg, spec):  # the cluster's storage: Spark lists and reads it (no local glob, no fingerprint)
        return [str(spec.path)]  # type: ignore[list-item]
    pattern = cfg.resolve_path(str(spec.path))
    matches = sorted(Path(p) for p in globmod.glob(str(pattern)))
    folders = [p for p in matches if p.is_dir()]
    if folders:
        raise DataError(f"sources.{name}.path: {str(pattern)!r} matches {len(folders)} folder(s) "
                        f"({examples_text([f.name for f in folders])}), not files; point path at the export "
                        "file(s) only.")
    if not matches:
        raise DataError(f"sources.{name}.path: no file matches {str(pattern)!r} (relative paths are taken "
                        f"from the params folder {str(cfg.params_dir)!r}); check the path or run "
                        "'make demo' to create the demo data.")
    return matches


def input_files(cfg: UnitConfig) -> tuple[Path, ...]:
    """The files the unit's sources name now (patterns expanded), as :func:`read_source` would read them.

    The sources a load reads: ``snapshot`` for a snapshot unit, else ``customers, orders, interactions,
    campaigns`` where set. Database sources have no file; a pattern that matches nothing adds nothing
    (reading it is what reports that). Used to tell whether a validated snapshot still matches its inputs
    (:func:`retention_utils.unit.open_unit`).
    """
    names = ("snapshot",) if cfg.sources.snapshot is not None else ("customers", "orders", "interactions", "campaigns")
    out: list[Path] = []
    for name in names:
        spec: SourceSpec | None = getattr(cfg.sources, name)
        if spec is None or not spec.path or spec.resolved_format() in ("database", "table") or remote_path(cfg, spec):
            continue
        matches = sorted(Path(p) for p in globmod.glob(str(cfg.resolve_path(str(spec.path)))) if not Path(p).is_dir())
        out += matches[:1] if spec.resolved_format() == "duckdb" else matches
    return tuple(out)


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
    if spec.path and not remote_path(cfg, spec) and cfg.resolve_path(str(spec.path)).is_dir():
        raise DataError(f"sources.{name}.path: {str(cfg.resolve_path(str(spec.path)))!r} is a folder, not a file; "
                        "point path at the export file, or at several files with a pattern such as "
                        f"'{spec.path.rstrip('/')}/*.csv'.")
    fmt = spec.resolved_format()
    tmp = f"_load_{name}"
    files: list[Path] = []
    secrets: tuple[str, ...] = ()
    read_note = None
    try:
        if fmt in ("csv", "parquet", "excel"):
            files = _files(cfg, spec, name)
            for f in files:
                if not isinstance(f, str) and _is_blank(f):
                    raise DataError(f"{f.name}: the file is empty (no column names and no rows); export the "
                                    f"{name} table again, or point sources.{name}.path at the right file.")
        if fmt == "csv":
            enc = spec.encoding.lower().replace("_", "-")
            if enc in ("utf-8-sig", "utf8"):
                enc = "utf-8"
            backend.copy_csv(con, tmp, files, delimiter=spec.delimiter or None, encoding=enc)
            read_note = _csv_note(con, spec, files[0], enc) if not isinstance(files[0], str) else None
            label = _name(files[0]) if len(files) == 1 else f"{spec.path} ({len(files)} files)"
        elif fmt == "parquet":
            backend.parquet_rows(con, f"raw_{name}", files)
            label = _name(files[0]) if len(files) == 1 else f"{spec.path} ({len(files)} files)"
        elif fmt == "excel":
            frames = [pd.read_excel(f, sheet_name=spec.sheet if spec.sheet is not None else 0) for f in files]
            for f, fr in zip(files, frames):
                if fr.shape[1] == 0:  # an empty sheet (often a cover sheet before the data)
                    sheets = pd.ExcelFile(f).sheet_names
                    which = spec.sheet if spec.sheet is not None else sheets[0]
                    raise DataError(f"{f.name}: sheet {which!r} is empty. Sheets in the file: "
                                    f"{examples_text(sheets, limit=12)}; name the one with the data in params, "
                                    f"e.g. sources.{name}.sheet: {next((x for x in sheets if x != which), which)!r}.")
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            frame = _text_objects(frame)
            backend.copy_frame(con, tmp, frame)
            label = _name(files[0])
        elif fmt == "duckdb":
            files = _files(cfg, spec, name)[:1]
            backend.copy_database_file_table(con, tmp, files[0], str(spec.table))
            label = f"{files[0].name}:{spec.table}"
        elif fmt == "table":  # a table the engine holds (PostgreSQL schema.table, a Spark catalog table): in place
            backend.engine_table(con, f"raw_{name}", str(spec.table))
            label = f"{spec.table} @ {backend.describe(con)}"
        else:  # database by URL, credentials from the environment
            url = os.environ.get(str(spec.url_env))
            if not url:
                raise ConfigError(f"sources.{name}.url_env: environment variable {spec.url_env} is not set; "
                                  "export it with the database URL (credentials stay out of params).")
            secrets = url_secrets(url)
            _read_database(con, spec, name, url, tmp)
            label = f"{spec.table} @ ${spec.url_env}"
    except (ConfigError, DataError):
        raise
    except Exception as exc:  # reader errors: report them as data errors, no traceback
        where = _name(files[0]) if files else str(spec.path or spec.table)
        hint = backend.engine_hint(f"{type(exc).__name__} {exc}") if fmt in ("table", "database") else None
        fix = (f"What to do: {hint}." if hint else f"Check sources.{name} in params: path, format, delimiter and "
               "encoding (e.g. encoding: latin-1).")
        raise DataError(redact(f"{where}: cannot be read as {fmt} ({_reason(exc)}). {fix}", *secrets)) from None
    table = con.table(f"raw_{name}") if fmt in ("parquet", "table") else backend.number_rows(con, tmp, f"raw_{name}")
    first = next((c for c in table.columns if c != "_row"), "")
    bare = next((first[len(b):] for b in _BOMS if first.startswith(b)), "")
    if fmt == "csv" and bare and bare not in table.columns:  # a UTF-8 byte-order mark read as latin-1 is no name
        table = table.rename({bare: first})
    columns = tuple(c for c in table.columns if c != "_row")
    n_rows = backend.count_rows(con, f"raw_{name}")
    return RawSource(name=name, label=label, table=table, columns=columns, n_rows=n_rows,
                     files=tuple(f for f in files if not isinstance(f, str)),
                     read_note=read_note)


#: the UTF-8 byte-order mark as the first column's name starts when read as UTF-8 or with a single-byte encoding
_BOMS = ("\ufeff", *{b"\xef\xbb\xbf".decode(e) for e in ("latin-1", "cp1250", "cp1257", "iso-8859-2")})


def _read_database(con: ibis.BaseBackend, spec: SourceSpec, name: str, url: str, tmp: str) -> None:
    """Copy ``spec.table`` of the database at ``url`` into the engine as ``tmp``.

    Every failure becomes one :class:`DataError` that names the table and the environment variable,
    never the URL: the reason is passed through :func:`~retention_utils.errors.redact` with the URL's
    secrets, so neither the password (as written or percent-decoded) nor the user info can leak.
    """
    label = f"{spec.table} @ ${spec.url_env}"
    secrets = url_secrets(url)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    fix = (f"Check the URL in the environment variable {spec.url_env}: scheme (e.g. postgresql://), host, port, "
           "database name, user and password.")
    try:
        remote = ibis.connect(url)
    except Exception as exc:
        text = str(exc)
        if isinstance(exc, ValueError) and "know how to connect" in text:
            reason = (f"the scheme {scheme!r} is not one Ibis can connect to; use e.g. postgresql://, mysql://, "
                      "duckdb:// or sqlite://" if scheme else "the value is not a URL such as "
                      "postgresql://HOST:5432/DATABASE with the user and password before the host")
        elif isinstance(exc, ImportError):
            ibis_backend = scheme.split("+")[0] or "postgres"
            reason = (f"the Ibis backend for {scheme!r} is not installed; install it with "
                      f"pip install 'ibis-framework[{ibis_backend}]'")
        else:
            reason = _reason(exc).removeprefix("connection failed: ")
        raise DataError(redact(f"{label}: cannot connect to the database named in the environment variable "
                               f"{spec.url_env}, so table {spec.table!r} was not read: the connection failed "
                               f"({reason}). {fix}", *secrets)) from None
    try:
        arrow = remote.table(str(spec.table)).to_pyarrow()
    except Exception as exc:
        why = "no such table" if type(exc).__name__ == "TableNotFound" else _reason(exc)
        raise DataError(redact(f"{label}: connected to the database in {spec.url_env}, but table {spec.table!r} "
                               f"cannot be read ({why}). Check sources.{name}.table in params (the "
                               "table name, with its schema if needed) and the user's rights on it.",
                               *secrets)) from None
    finally:
        try:
            remote.disconnect()
        except Exception:  # closing a half-open connection is best effort
            pass
    backend.copy_frame(con, tmp, arrow)


def _reason(exc: BaseException) -> str:
    """A reader's error in one line (lines joined, long texts cut), for a message; redact it before use."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    # DuckDB appends the failing SQL statement ("LINE 1: CREATE ... ^^^"): the kit's own SQL, not the user's
    lines = lines[:next((i for i, ln in enumerate(lines) if ln.startswith("LINE ")), len(lines))]
    text = " ".join(lines) if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _is_blank(path: Path) -> bool:
    """True for a zero-byte file or one holding only whitespace (and perhaps a byte-order mark)."""
    if path.is_dir():
        return False
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        if fh.read(1):
            return False  # more than 64 KB: not blank in practice
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return not head.replace(b"\x00", b"").strip()


def _csv_note(con: ibis.BaseBackend, spec: SourceSpec, first: Path, enc: str) -> str | None:
    """How a CSV was read, when params left the delimiter or the encoding to the kit (else None)."""
    given_enc = "encoding" in spec.model_fields_set
    if spec.delimiter and given_enc:
        return None
    if spec.delimiter:
        delim = f"delimiter {spec.delimiter!r} (from params)"
    else:
        found = backend.sniff_delimiter(con, first, encoding=enc)
        delim = f"delimiter {found!r} (detected)" if found is not None else "delimiter detected by the reader"
    encoding = f"encoding {enc} (from params)" if given_enc else \
        f"encoding {enc} (the default; set encoding in params, e.g. encoding: latin-1, if accents look wrong)"
    return f"read as CSV: {delim}, {encoding}"


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
