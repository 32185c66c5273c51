"""The monthly job: run every notebook for every unit and render HTML reports.

For each unit: load and validate the params and data once (a user error stops the
unit with its message, not a traceback) and write the validated tables to a snapshot
(:mod:`retention_utils.unit`) beside the unit's staging folder; execute each notebook
with papermill into the staging folder (each opens the snapshot instead of reading
the raw exports again; the snapshot is deleted when the unit is done and is never
published), render each executed notebook to self-contained HTML (code, prompts and
the injected-parameters cell hidden; figures embedded as data URIs), write the unit's
landing page, and move the unit folder into ``reports/<month>/<unit>/`` in one
rename, so a half-written report never appears. ``reports/<month>/index.html`` lists
every unit of the month with its headline KPIs and status, and ``manifest.json`` records what ran.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata as md
import json
import math
import os
import platform
import shutil
import sys
import time
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from . import backend, progress
from .config import NOTEBOOKS, UNIT_RE, list_units, load_config, parse_month
from .errors import ConfigError, RetentionError, environment_secrets, redact
from .ledger import record_run, unit_revisions
from .pages import (  # noqa: F401  (render_notebook_html, stable_headline: imported from here by callers)
    SUMMARY_FILE,
    UnitResult,
    print_pdfs,
    _write_month_index,
    _write_unit_page,
    render_notebook_html,
    stable_headline,
    stable_numbers,
)
from .sources import ENGINE_MEMORY_ENV

__all__ = ["run_month", "RunResult", "render_notebook_html", "default_notebooks_dir", "package_versions"]

_PACKAGES = ("retention-kit", "pandas", "numpy", *backend.PACKAGES, "pandera", "pyarrow",
             "papermill", "nbconvert", "matplotlib", "seaborn", "statsmodels", "scikit-learn", "pydantic")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a report depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def default_notebooks_dir() -> Path:
    """``./notebooks`` when it exists, else the notebooks folder beside the package."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else Path(__file__).resolve().parents[1] / "notebooks"




@dataclass
class RunResult:
    """What a monthly run produced."""

    months: dict[str, Path]
    units: list[UnitResult]

    @property
    def ok(self) -> bool:
        return all(u.status == "ok" for u in self.units)


KERNEL_PREFIX = "retention-kernel-"

#: the notebooks of a unit whose source is a one-row-per-customer snapshot (no order history)
SNAPSHOT_NOTEBOOKS: tuple[str, ...] = ("survival", "churn_drivers")


def _kernel_manager_class(run_id: str = "") -> type:
    """A kernel manager on local IPC sockets: no network port, and no TCP warning on the terminal.

    Its socket files and connection file are named ``retention-kernel-<run id>-...`` in the
    system temp folder, so that a later run can remove those of a run that was killed
    (:func:`clean_stale_runs`). The kernel's own stderr (e.g. ipykernel's "KeyboardInterrupt
    caught in kernel" at shutdown) goes to a log file there, not to the user's terminal;
    everything a notebook prints still reaches its outputs.
    """
    import subprocess
    import tempfile

    from jupyter_client.manager import AsyncKernelManager

    tmp = Path(tempfile.gettempdir())

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            # the socket path prefix must be unique per kernel, or parallel units cross wires
            stem = f"{KERNEL_PREFIX}{run_id}-{uuid.uuid4().hex}"
            self.ip = str(tmp / stem)
            self.connection_file = str(tmp / f"{stem}.json")
            self._log_path = tmp / f"{stem}.log"

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log = open(self._log_path, "ab")  # noqa: SIM115 - handed to the kernel process
            try:
                kw["stderr"] = log
                kw.setdefault("stdout", subprocess.DEVNULL)
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                log.close()

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            for path in (self._log_path, Path(self.connection_file)):
                try:
                    path.unlink()
                except OSError:
                    pass

    return IPCKernelManager


@contextlib.contextmanager
def _timed(result: UnitResult, step: str) -> Iterator[None]:
    """Record the seconds of one of the runner's own steps in ``result.steps`` (the manifest carries them)."""
    t = time.perf_counter()
    yield
    result.steps[step] = round(time.perf_counter() - t, 2)


def _run_unit(unit: str, params_dir: str, month: str | None, notebooks_dir: str, staging_root: str,
              notebooks: tuple[str, ...], reports_root: str = "reports", run_id: str = "",
              previous: dict[str, float] | None = None) -> UnitResult:
    """Run one unit into ``staging_root/<unit>`` (executed in a worker process).

    ``previous``: seconds per notebook of the unit's previous run, for the estimate of the time left.
    """
    result = _run_unit_raw(unit, params_dir, month, notebooks_dir, staging_root, notebooks, reports_root, run_id,
                           previous)
    # its messages were redacted as they were made; every file it wrote is scrubbed of credentials too
    _scrub_folder(Path(result.staging), environment_secrets())
    return result


def _scrub_folder(folder: Path, secrets: tuple[str, ...]) -> None:
    """Redact credentials from every text file under ``folder`` (executed notebooks, HTML, CSV)."""
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in (".html", ".ipynb", ".json", ".csv", ".txt", ".md"):
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        clean = redact(text, *secrets)
        if clean != text:
            path.write_text(clean, encoding="utf-8", errors="surrogateescape")


#: folder of the run's staging root holding each unit's validated snapshot (customer rows: never published)
SNAPSHOTS = ".snapshots"


def _run_unit_raw(unit: str, params_dir: str, month: str | None, notebooks_dir: str, staging_root: str,
                  notebooks: tuple[str, ...], reports_root: str, run_id: str,
                  previous: dict[str, float] | None = None) -> UnitResult:
    """Load and validate the unit once, write its snapshot, execute its notebooks on it, remove it."""
    t0 = time.perf_counter()
    result = UnitResult(unit=unit, label=unit, month=month, status="ok")
    stage = _inside(Path(staging_root), unit)
    stage.mkdir(parents=True, exist_ok=True)
    result.staging = str(stage)
    # the validated tables, beside the unit's folder: the unit folder is published, the snapshot never is
    snapshot = _inside(Path(staging_root), SNAPSHOTS, unit)
    shown = progress.UnitProgress(unit, notebooks, previous=previous)
    try:
        return _run_unit_steps(unit, params_dir, notebooks_dir, notebooks, reports_root, run_id, result, stage,
                               snapshot, t0, shown)
    finally:
        shown.close()
        from .unit import remove_snapshot  # (lazy, as write_snapshot: unit imports the whole load)
        remove_snapshot(snapshot)
        shutil.rmtree(snapshot, ignore_errors=True)


def _run_unit_steps(unit: str, params_dir: str, notebooks_dir: str, notebooks: tuple[str, ...], reports_root: str,
                    run_id: str, result: UnitResult, stage: Path, snapshot: Path, t0: float,
                    shown: progress.UnitProgress) -> UnitResult:
    from .contract import load_unit_data
    from .kpis import kpi_analysis
    from .sources import fingerprint
    from .unit import write_snapshot

    month = result.month
    secrets = environment_secrets()  # covers the URL of every url_env the unit's sources may name
    data = None
    try:
        shown.say("validating params and data ...")
        import papermill as pm  # after the first progress line: the import takes seconds

        cfg = load_config(params_dir, unit, month=month)
        result.label = cfg.label
        result.currency = cfg.currency
        result.params = cfg.model_dump(mode="json")
        with _timed(result, "load_validate"):
            data = load_unit_data(cfg)
        result.month = data.month_label
        result.month_warning = getattr(data, "month_warning", None) or ""
        result.engine = backend.settings(data.con)
        result.inputs = [fingerprint(Path(f)) for f in data.files]
        result.quality = _quality_counts(data.quality)
        if getattr(data, "kind", "orders") == "snapshot":
            # one row per customer, no order history: no monthly KPIs, only the reports that need none
            notebooks = tuple(nb for nb in notebooks if nb in SNAPSHOT_NOTEBOOKS)
            shown.notebooks = notebooks
        else:
            with _timed(result, "monthly_kpis"):
                head = kpi_analysis(data).headline  # the monthly table is kept in data.cache: the snapshot carries it
            result.headline = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                               for r in head.to_dict(orient="records")]
            result.revisions = unit_revisions(reports_root, unit, data, result.month)
        with _timed(result, "snapshot"):
            write_snapshot(data, snapshot, fingerprints=result.inputs)
        data.con.disconnect()  # the notebooks open the snapshot: the engine's memory goes to their kernels
        shown.say(f"data ok: report month {data.month_label}, {len(data.quality.rows)} data-quality lines "
                  f"({time.perf_counter() - t0:.1f} s)")
    except RetentionError as exc:
        backend.disconnect(getattr(data, "con", None))  # loaded, then failed: the next unit gets a fresh engine
        result.status, result.failed_step, result.error = "failed", "validation", redact(exc, *secrets)
        shown.say(f"FAILED validation: {result.error}")
        result.seconds = time.perf_counter() - t0
        return result
    except Exception as exc:  # an engine failure, or an unexpected bug: keep the other units going
        backend.disconnect(getattr(data, "con", None))
        result.status, result.failed_step = "failed", "validation"
        engine_msg = (backend.engine_error(exc, cfg.engine)
                      if "cfg" in locals() and cfg.engine.backend != "duckdb" else None)
        if engine_msg:  # a server down, a missing table, no rights, a timeout: the engine's words, no traceback
            result.error = redact(engine_msg, *secrets)
            (stage / "error.txt").write_text(redact(traceback.format_exc(), *secrets), encoding="utf-8")
            shown.say(f"FAILED validation: {result.error}")
            result.seconds = time.perf_counter() - t0
            return result
        result.error = redact(f"unexpected error {type(exc).__name__}: {exc}", *secrets)
        (stage / "error.txt").write_text(redact(traceback.format_exc(), *secrets), encoding="utf-8")
        shown.say(f"FAILED: {result.error}")
        result.seconds = time.perf_counter() - t0
        return result
    for nb in notebooks:
        t1 = time.perf_counter()
        src = Path(notebooks_dir) / f"{nb}.ipynb"
        out_nb = stage / f"{nb}.ipynb"
        entry: dict[str, Any] = {"name": nb, "ipynb": out_nb.name, "html": f"{nb}.html", "status": "ok"}
        shown.start(nb)
        parameters = {"unit": unit, "month": result.month, "params_dir": str(Path(params_dir).resolve())}
        try:
            declared = pm.inspect_notebook(str(src))
            # optional parameters, passed only to notebooks that declare them: the validated snapshot
            # (the notebook opens it instead of reading the raw exports again), where the run's files go
            # (e.g. the at-risk CSV) and the reports root (earlier months, for the closed loop)
            if "snapshot" in declared:
                parameters["snapshot"] = str(snapshot)
            if "output_dir" in declared:
                parameters["output_dir"] = str(stage.resolve())
            if "reports_dir" in declared:
                parameters["reports_dir"] = str(Path(reports_root).resolve())
            pm.execute_notebook(str(src), str(out_nb), parameters=parameters,
                cwd=str(Path(notebooks_dir).resolve()), kernel_name="python3", progress_bar=False,
                log_output=False, report_mode=True,
                kernel_manager_class=_kernel_manager_class(run_id))
            render_notebook_html(out_nb, stage / f"{nb}.html", title=f"{cfg.label} {result.month} {nb}", cfg=cfg)
        except Exception as exc:
            entry["status"] = "failed"
            entry["html"] = None
            evalue = getattr(exc, "evalue", None) or str(exc)
            ename = getattr(exc, "ename", type(exc).__name__)
            text = f"{ename}: {evalue}".strip()
            hint = backend.engine_hint(text) if cfg.engine.backend != "duckdb" else None
            if hint:  # a server engine's failure in a notebook: name the engine and say what to do
                text = f"{backend.engine_label(cfg.engine)}: {text}. What to do: {hint}."
            entry["error"] = redact(text, *secrets)[:2000]
            result.status, result.failed_step = "failed", nb
            result.error = f"notebook {nb} failed: {entry['error']}"
        entry["seconds"] = round(time.perf_counter() - t1, 2)
        shown.finish(nb, entry["seconds"], error=entry["error"][:200] if entry["status"] != "ok" else None)
        result.notebooks.append(entry)
    _gather_summaries(stage)
    result.seconds = time.perf_counter() - t0
    return result


def _quality_counts(quality: Any) -> dict[str, Any]:
    """Input rows read, used, excluded and dropped (all tables), for the unit summary's data-quality badge."""
    by = quality.rows.groupby("outcome")["rows"].sum()
    dropped = quality.rows[quality.rows["outcome"] == "dropped"]
    top = (dropped.groupby(["table", "reason"])["rows"].sum().sort_values(ascending=False, kind="stable")
           if len(dropped) else None)
    return {"read": int(quality.inputs["rows"].sum()), "used": int(by.get("used", 0)),
            "excluded": int(by.get("excluded", 0)), "dropped": int(by.get("dropped", 0)),
            "balanced": bool(quality.balanced()),
            "top_problem": ({"table": str(top.index[0][0]), "reason": str(top.index[0][1]), "rows": int(top.iloc[0])}
                            if top is not None and len(top) else None)}


def _gather_summaries(stage: Path) -> Path | None:
    """The summary rows each notebook wrote (``results.write_summary``) as one ``summary.csv`` in the unit folder.

    Other tools read a unit's headline numbers from this file (columns: ``results.SUMMARY_COLUMNS``)
    without parsing HTML; values are rounded to 1e-6 so identical runs write identical bytes.
    """
    from .exports import write_csv
    from .results import SUMMARY_DIR, read_summaries

    rows = read_summaries(stage)
    shutil.rmtree(stage / SUMMARY_DIR, ignore_errors=True)
    if rows.empty:
        return None
    order = {name: i for i, name in enumerate(NOTEBOOK_ANALYSES)}
    rows = rows.sort_values("analysis", key=lambda s: s.map(lambda a: order.get(a, len(order))), kind="stable")
    return write_csv(rows, _inside(stage, SUMMARY_FILE), rates=["value", "ci_lower", "ci_upper", "delta"])


#: Order of the analyses in ``summary.csv``: the order of the pages.
NOTEBOOK_ANALYSES = ("kpis", "cohorts", "survival", "drivers", "value", "clv", "rfm", "lifecycle", "campaigns", "experiment")


def _inside(root: Path, *parts: str) -> Path:
    """``root/parts...``, refused unless it resolves inside ``root`` (no '..', no absolute parts, no links out).

    Examples
    --------
    >>> _inside(Path("/r"), "2025-01", "retail")
    PosixPath('/r/2025-01/retail')
    >>> _inside(Path("/r"), "..", "x")
    Traceback (most recent call last):
    ...
    retention_utils.errors.ConfigError: refusing to write '../x': it would land outside the reports folder '/r'.
    """
    base = root.resolve()
    target = (base.joinpath(*parts)).resolve()
    if any(p in ("", ".", "..") or "/" in p or "\\" in p or "\0" in p for p in parts) or \
            (target != base and base not in target.parents):
        raise ConfigError(f"refusing to write {'/'.join(parts)!r}: it would land outside the reports folder "
                          f"{str(root)!r}.")
    return target


def _replace_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` replacing it; the new folder appears in one rename."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    trash = dst.parent / f".old-{dst.name}-{uuid.uuid4().hex[:8]}"
    if dst.exists():
        os.replace(dst, trash)
    os.replace(src, dst)
    if trash.exists():
        shutil.rmtree(trash, ignore_errors=True)


def engine_memory_share(jobs: int) -> str:
    """Memory cap of each unit's engine when ``jobs`` units run at once.

    Examples
    --------
    >>> engine_memory_share(1), engine_memory_share(2), engine_memory_share(3)
    ('80%', '40%', '26%')
    """
    return f"{max(1, 80 // jobs)}%"


def run_month(params_dir: str | Path = "params", reports_dir: str | Path = "reports", *,
              month: str | None = None, units: list[str] | None = None, jobs: int = 1,
              notebooks_dir: str | Path | None = None, notebooks: tuple[str, ...] = NOTEBOOKS,
              say: Callable[[str], None] = print) -> RunResult:
    """Run the monthly reports.

    Parameters
    ----------
    params_dir
        Folder with ``defaults.yaml`` and one YAML file per unit.
    reports_dir
        Output root; each unit lands in ``<reports_dir>/<month>/<unit>/``. Nothing is
        written outside it.
    month
        ``YYYY-MM``; default: each unit's params ``report_month``, else the last
        complete month in its data. Anything else raises :class:`ConfigError` before
        any file is touched.
    units
        Units to run (default all); unknown or unsafe names raise :class:`ConfigError`.
    jobs
        Units run in parallel worker processes.

    Returns
    -------
    RunResult
        Month folders written and each unit's result; ``ok`` is False when any
        unit failed (the others are still written).
    """
    if month is not None:
        parse_month(month, where="--month")  # a path component: checked before anything touches the disk
    params_dir = Path(params_dir)
    reports_dir = Path(reports_dir)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    known = list_units(params_dir)
    if not known:
        raise ConfigError(f"params folder {str(params_dir)!r} has no unit files (<unit>.yaml besides "
                          "defaults.yaml).")
    chosen = list(units) if units else known
    for u in chosen:
        if not isinstance(u, str) or not UNIT_RE.match(u):
            raise ConfigError(f"unit name {u!r} is not allowed: use letters, digits, '_' or '-' only "
                              "(it names the report folder, so no '/', '..' or spaces).")
        if u not in known:
            load_config(params_dir, u, month=month)  # raises with the list of configured units
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}.")
    reports_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_runs(reports_dir)
    started = dt.datetime.now().isoformat(timespec="seconds")
    run_id = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    staging_root = _inside(reports_dir, ".staging", run_id)
    staging_root.mkdir(parents=True, exist_ok=True)
    _write_owner(staging_root)
    timings = progress.previous_seconds(reports_dir)  # the last run's, for the estimates of the time left
    args = [(u, str(params_dir), month, str(notebooks_dir), str(staging_root), tuple(notebooks), str(reports_dir),
             run_id, timings.get(u)) for u in chosen]
    try:
        if jobs == 1:
            results = [_run_unit(*a) for a in args]
        else:
            # units in parallel share the machine: each engine gets a share of the 80% DuckDB takes by
            # default (a unit's params engine.memory_limit still wins); the workers and their kernels
            # inherit the variable
            previous = os.environ.get(ENGINE_MEMORY_ENV)
            os.environ.setdefault(ENGINE_MEMORY_ENV, engine_memory_share(jobs))
            try:
                # progress from several processes at once: plain lines (a live bar only in one process)
                with progress.lines_only(), ProcessPoolExecutor(
                        max_workers=jobs, initializer=progress.in_worker,
                        initargs=(progress.active() is not None,)) as pool:
                    results = list(pool.map(_run_unit, *zip(*args)))
            finally:
                if previous is None:
                    os.environ.pop(ENGINE_MEMORY_ENV, None)
        written = _publish(results, reports_dir=reports_dir, month=month, run_id=run_id, started=started,
                           params_dir=params_dir, chosen=chosen, jobs=jobs)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
        _remove_kernel_files(run_id)
        try:
            (reports_dir / ".staging").rmdir()
        except OSError:
            pass
    return RunResult(months=written, units=results)


#: folder of the failure pages of a run in which no unit got as far as knowing its report month
UNDATED = "undated"


def _publish(results: list[UnitResult], *, reports_dir: Path, month: str | None, run_id: str, started: str,
             params_dir: Path, chosen: list[str], jobs: int) -> dict[str, Path]:
    """Move each unit's staged folder into its month and write the month index and manifest."""
    # units that failed before knowing their month join the run's month: the --month given, else the
    # month the other units used, else their params report_month; never the clock's month
    months_seen = sorted({r.month for r in results if r.month})
    fallback = month or (months_seen[-1] if months_seen else UNDATED)
    written: dict[str, Path] = {}
    for res in results:
        res.month = res.month or fallback
        if res.month != UNDATED:
            parse_month(res.month, where=f"report month of unit {res.unit!r}")
        stage = Path(res.staging)
        _write_unit_page(stage, res, res.month)
        _replace_dir(stage, _inside(reports_dir, res.month, res.unit))
    ledger_note = record_run(results, reports_dir, run_id=run_id, started=started,
                             kit_version=package_versions().get("retention-kit", ""), month_of_failed=UNDATED)
    for m in sorted({r.month for r in results}):
        manifest = {
            "run_id": run_id, "started": started, "finished": dt.datetime.now().isoformat(timespec="seconds"),
            "command": {"params_dir": str(params_dir.resolve()), "month": month, "units": chosen, "jobs": jobs},
            "packages": package_versions(), "python_executable": sys.executable,
            "units": [{"unit": r.unit, "status": r.status, "error": r.error, "seconds": round(r.seconds, 2),
                       "params": r.params, "engine": r.engine, "inputs": r.inputs, "steps": r.steps,
                       "notebooks": [{k: v for k, v in nb.items() if k != "error"} | {"error": nb.get("error", "")}
                                     for nb in r.notebooks]}
                      for r in results if r.month == m],
        }
        written[m] = _write_month_index(_inside(reports_dir, m), m, stable_numbers(manifest), ledger_note)
        print_pdfs(reports_dir, m, [r for r in results if r.month == m])
    return written


# ----------------------------------------------------------------------------- left-overs of killed runs

_OWNER = "owner.json"


def _process_started(pid: int) -> float | None:
    """Start time of process ``pid`` (seconds since the epoch), None when it is not running."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _write_owner(staging_root: Path) -> None:
    """Record which process owns a staging folder (PID and its start time)."""
    pid = os.getpid()
    (staging_root / _OWNER).write_text(json.dumps({"pid": pid, "started": _process_started(pid)}),
                                       encoding="utf-8")


def _owner_alive(staging_root: Path) -> bool:
    try:
        owner = json.loads((staging_root / _OWNER).read_text(encoding="utf-8"))
        pid, started = int(owner["pid"]), owner.get("started")
    except (OSError, ValueError, KeyError, TypeError):
        # no readable owner: a folder of a run that died before recording itself, or of an older kit;
        # keep it only while it is fresh (a run in its first seconds)
        try:
            return time.time() - staging_root.stat().st_mtime < 3600
        except OSError:
            return False
    now_started = _process_started(pid)
    return now_started is not None and (started is None or abs(now_started - float(started)) < 1.0)


def clean_stale_runs(reports_dir: str | Path) -> list[str]:
    """Remove the staging folders and kernel files of earlier runs whose process is gone.

    A run killed with SIGKILL cannot clean up after itself: its ``reports/.staging/<run id>/``
    folder and its kernels' socket and connection files in the temp folder stay. Each run records
    its PID and start time in its staging folder; the next run removes the folders (and the kernel
    files named after the run id) of runs that are no longer alive. Published reports are never
    touched. Returns the run ids removed.
    """
    root = Path(reports_dir) / ".staging"
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.is_symlink() and not _owner_alive(folder):
            shutil.rmtree(folder, ignore_errors=True)
            _remove_kernel_files(folder.name)
            removed.append(folder.name)
    try:
        root.rmdir()  # only when empty
    except OSError:
        pass
    return removed


def _remove_kernel_files(run_id: str) -> None:
    """Delete the socket, connection and log files of the kernels of run ``run_id``."""
    import glob
    import tempfile

    if not run_id:
        return
    for path in Path(tempfile.gettempdir()).glob(f"{KERNEL_PREFIX}{glob.escape(run_id)}-*"):
        try:
            if path.is_file() or path.is_socket():
                path.unlink()
        except OSError:
            pass

