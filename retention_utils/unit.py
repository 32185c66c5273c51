"""Open a unit's validated data: from the runner's snapshot, or from the raw exports.

The runner (:mod:`retention_utils.report`) reads and validates each unit once
(:func:`~retention_utils.contract.load_unit_data`), then writes a *snapshot* with
:func:`write_snapshot`: the canonical tables as Parquet files, the data-quality
frames, the frames analyses memoized in ``data.cache`` (e.g. the monthly KPIs), and
``meta.json`` with the report month and the other scalars, the unit's config and the
fingerprints of its inputs. Every notebook of the unit then calls
:func:`open_unit` with the snapshot folder and gets the same :class:`UnitData` in a
fraction of a second instead of a second load and validation of the raw exports.

Run interactively with no snapshot, :func:`open_unit` loads the raw exports as the
runner does. A snapshot whose inputs changed is refused (:func:`open_unit` raises
:class:`~retention_utils.errors.DataError` naming the file), never read.

Layout of a snapshot folder::

    meta.json                   scalars, config, input fingerprints, params hash (written last)
    customers.parquet ...       canonical tables present in the unit (orders units)
    snapshot.parquet            the one-row-per-customer table (snapshot units)
    quality_rows.parquet, quality_inputs.parquet, quality_notes.parquet
    cache_<name>.parquet        frames memoized in data.cache

The snapshot holds customer rows: the runner keeps it outside the folder it publishes
and deletes it when the unit is done.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from . import backend
from .config import UnitConfig, load_config
from .contract import DataQuality, UnitData, load_unit_data
from .errors import ConfigError, DataError
from .sources import connect, fingerprint, input_files

__all__ = ["open_unit", "write_snapshot", "remove_snapshot", "params_hash", "SNAPSHOT_VERSION"]

#: format of the snapshot folder; a snapshot of another version is refused
SNAPSHOT_VERSION = 1

#: the canonical tables of a UnitData, with the engine table names load_unit_data gives them
TABLES: dict[str, str] = {"customers": "customers_u", "orders": "orders_u", "interactions": "interactions_u",
                          "campaigns": "campaigns_u", "snapshot": "snapshot_u"}
_QUALITY = ("rows", "inputs", "notes")
_META = "meta.json"


def params_hash(params_dir: str | Path, unit: str) -> str:
    """SHA-256 of the params files a unit's config is made of (``defaults.yaml`` and ``<unit>.yaml``)."""
    h = hashlib.sha256()
    for name in ("defaults.yaml", f"{unit}.yaml"):
        path = Path(params_dir) / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<absent>")
        h.update(b"\0")
    return h.hexdigest()


def write_snapshot(data: UnitData, folder: str | Path, *, fingerprints: list[dict[str, Any]] | None = None) -> Path:
    """Write the validated data of a unit to ``folder`` for :func:`open_unit`.

    Parameters
    ----------
    data
        The unit's validated data (:func:`~retention_utils.contract.load_unit_data`), with whatever
        analyses have memoized in ``data.cache`` so far (frames only; other values are not kept).
    folder
        Where to write; created if needed. Files of an earlier snapshot there are replaced.
    fingerprints
        :func:`~retention_utils.sources.fingerprint` of every file in ``data.files`` when the caller has
        them already (the runner records them in its manifest); computed otherwise.

    Returns
    -------
    Path
        ``folder``. ``meta.json`` is written last (atomically), so a folder without it is no snapshot.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _META).unlink(missing_ok=True)  # until the new one is complete, the folder is no snapshot
    cfg: UnitConfig = data.config
    tables, stored = [], {}
    try:
        for name in TABLES:
            table = getattr(data, name)
            if table is not None:
                stored[name] = backend.store_table(table, folder, name)
                tables.append(name)
    except BaseException:  # no meta.json will name them: drop the tables kept outside the folder now
        try:
            backend.drop_stored(data.con, list(stored.values()))
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    dtypes = {}
    for part in _QUALITY:
        dtypes[f"quality_{part}"] = _write_frame(getattr(data.quality, part), folder / f"quality_{part}.parquet")
    cached, skipped = [], []
    for key, value in data.cache.items():
        if isinstance(value, pd.DataFrame) and _safe_key(key):
            dtypes[f"cache_{key}"] = _write_frame(value, folder / f"cache_{key}.parquet")
            cached.append(key)
        else:  # only frames under plain names travel; a notebook recomputes the rest
            skipped.append(str(key))
    files = [Path(f) for f in data.files]
    if fingerprints is None:
        fingerprints = [fingerprint(f) for f in files]
    meta = {
        "version": SNAPSHOT_VERSION,
        "written": dt.datetime.now().isoformat(timespec="seconds"),
        "unit": cfg.unit,
        "kind": data.kind,
        "month": data.month.isoformat(),
        "month_end": data.month_end.isoformat(),
        "data_start": data.data_start.isoformat(),
        "has_amounts": bool(data.has_amounts),
        "month_warning": data.month_warning,
        "files": [str(f) for f in files],
        "tables": tables,
        "stored": stored,
        "backend": backend.engine_name(data.con),
        "cache": cached,
        "cache_not_kept": skipped,
        "dtypes": dtypes,
        "config": cfg.model_dump(mode="json"),
        "fingerprints": [{k: fp[k] for k in ("path", "bytes", "mtime", "sha256")} for fp in fingerprints],
        "params_hash": params_hash(cfg.params_dir, cfg.unit),
    }
    tmp = folder / f".{_META}-{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    os.replace(tmp, folder / _META)
    return folder


def open_unit(params_dir: str | Path, unit: str, *, month: str = "", snapshot: str | Path = "") -> UnitData:
    """The validated data of ``unit`` (with its config as ``data.config``), from a snapshot or the raw exports.

    Parameters
    ----------
    params_dir
        Folder with ``defaults.yaml`` and ``<unit>.yaml``.
    unit
        Business unit name.
    month
        Report month ``YYYY-MM``; empty for the params' ``report_month``, else the last complete month
        in the data. With a snapshot it must be empty or the snapshot's month.
    snapshot
        Folder written by :func:`write_snapshot` (the runner passes it to each notebook); empty: read
        and validate the raw exports (:func:`~retention_utils.config.load_config` and
        :func:`~retention_utils.contract.load_unit_data`), as a notebook run by hand in JupyterLab does.

    Returns
    -------
    UnitData
        Tables in a fresh engine; from a snapshot, equal row for row to a fresh load, with
        ``data.cache`` holding the frames the runner computed.

    Raises
    ------
    DataError
        The snapshot is missing or incomplete, or stale: an input file or a params file changed, was
        removed or added since the snapshot was written (the message names it and says how to fix it).
    ConfigError
        Bad params (raw load), or a unit or month that is not the snapshot's.
    """
    if not snapshot:
        cfg = load_config(params_dir, unit, month=month or None)
        return load_unit_data(cfg)
    folder = Path(snapshot)
    meta = _read_meta(folder)
    if meta["unit"] != unit:
        raise ConfigError(f"snapshot {str(folder)!r} holds unit {meta['unit']!r}, not {unit!r}; pass the snapshot "
                          f"of unit {unit!r}, or snapshot='' to read the raw exports.")
    if month and month != meta["month"][:7]:
        raise ConfigError(f"snapshot {str(folder)!r} holds report month {meta['month'][:7]}, not {month}; pass "
                          "month='' (or the snapshot's month), or snapshot='' to read the raw exports.")
    cfg = UnitConfig.model_validate(meta["config"])
    _check_fresh(folder, meta, cfg, Path(params_dir))
    con = connect(cfg.engine)
    stored = meta.get("stored") or {name: {"kind": "parquet", "file": f"{name}.parquet"} for name in meta["tables"]}
    tables = {name: backend.load_table(con, folder, stored[name], TABLES[name]) for name in meta["tables"]}
    quality = DataQuality(**{part: _read_frame(folder, f"quality_{part}", meta) for part in _QUALITY})
    cache = {key: _read_frame(folder, f"cache_{key}", meta) for key in meta["cache"]}
    return UnitData(config=cfg, con=con, customers=tables.get("customers"), orders=tables.get("orders"),
                    interactions=tables.get("interactions"), campaigns=tables.get("campaigns"),
                    month=dt.date.fromisoformat(meta["month"]), month_end=dt.date.fromisoformat(meta["month_end"]),
                    data_start=dt.date.fromisoformat(meta["data_start"]), quality=quality,
                    files=tuple(Path(f) for f in meta["files"]), kind=meta["kind"], snapshot=tables.get("snapshot"),
                    has_amounts=meta["has_amounts"], month_warning=meta["month_warning"], cache=cache)


def remove_snapshot(folder: str | Path) -> None:
    """Drop the tables a snapshot keeps outside its folder (PostgreSQL's work schema); best effort, since the
    run is over. The folder itself is the caller's to delete."""
    try:
        meta = json.loads((Path(folder) / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    refs = [ref for ref in (meta.get("stored") or {}).values() if ref.get("kind") in ("postgres", "spark-work")]
    if not refs:
        return
    try:
        cfg = UnitConfig.model_validate(meta["config"])
        con = connect(cfg.engine)
        try:
            backend.drop_stored(con, refs)
        finally:
            con.disconnect()
    except Exception:  # noqa: BLE001 - a server gone at the end of a run leaves tables the next run does not read
        pass


def _write_frame(frame: pd.DataFrame, path: Path) -> dict[str, str]:
    """Write ``frame`` (with its index) to Parquet; returns its column dtypes, which Parquet does not all keep."""
    frame.to_parquet(path)
    return {str(col): str(dtype) for col, dtype in frame.dtypes.items()}


def _read_frame(folder: Path, stem: str, meta: dict[str, Any]) -> pd.DataFrame:
    """A frame written by :func:`_write_frame`, with its dtypes as written (Parquet has no
    ``datetime64[s]``, for one)."""
    frame = pd.read_parquet(folder / f"{stem}.parquet")
    for col, dtype in meta["dtypes"][stem].items():
        if col in frame.columns and str(frame[col].dtype) != dtype:
            frame[col] = frame[col].astype(dtype)
    return frame


def _safe_key(key: object) -> bool:
    return isinstance(key, str) and key.replace("_", "").isalnum()


def _read_meta(folder: Path) -> dict[str, Any]:
    fix = ("run the unit again (retention run --unit ...) or pass snapshot='' to read the raw exports")
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = "does not exist" if not folder.exists() else f"has no {_META} (not a snapshot, or an incomplete one)"
        raise DataError(f"snapshot {str(folder)!r} {what}; {fix}.") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"snapshot {str(folder)!r}: {_META} cannot be read ({exc}); {fix}.") from None
    if meta.get("version") != SNAPSHOT_VERSION:
        raise DataError(f"snapshot {str(folder)!r} was written in format {meta.get('version')!r}, this kit reads "
                        f"format {SNAPSHOT_VERSION}; {fix}.")
    return meta


def _check_fresh(folder: Path, meta: dict[str, Any], cfg: UnitConfig, params_dir: Path) -> None:
    """Refuse a snapshot whose inputs changed since it was written (see :func:`open_unit`).

    A file whose size and modification time are unchanged counts as unchanged (the quick check of
    make and rsync: no re-hashing of gigabytes on every open); otherwise its SHA-256 decides.
    """
    head = f"snapshot {str(folder)!r} of unit {meta['unit']!r} is stale"
    fix = (f"run the unit again (retention run --unit {meta['unit']}) to validate the new data, or pass "
           "snapshot='' to read the raw exports.")
    if params_hash(params_dir, meta["unit"]) != meta["params_hash"]:
        raise DataError(f"{head}: the params files {str(params_dir / 'defaults.yaml')!r} or "
                        f"{str(params_dir / (meta['unit'] + '.yaml'))!r} changed since it was written; {fix}")
    for fp in meta["fingerprints"]:
        path = Path(fp["path"])
        try:
            st = path.stat()
        except OSError:
            raise DataError(f"{head}: input file {str(path)!r} was removed or cannot be read; {fix}") from None
        if st.st_size == fp["bytes"] and st.st_mtime == fp["mtime"]:
            continue
        if fingerprint(path)["sha256"] != fp["sha256"]:
            raise DataError(f"{head}: input file {str(path)!r} changed since it was validated ({fp['bytes']:,} bytes "
                            f"then, {st.st_size:,} now; modified {_when(st.st_mtime)}); {fix}")
    now = {str(p) for p in input_files(cfg)}
    added = sorted(now - {fp["path"] for fp in meta["fingerprints"]})
    if added:
        raise DataError(f"{head}: {len(added)} new input file(s) match the unit's sources "
                        f"({', '.join(repr(a) for a in added[:5])}); {fix}")


def _when(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds).isoformat(sep=" ", timespec="seconds")
