"""Benchmark: the monthly run's engine steps on DuckDB, PostgreSQL and Spark (issue 15, item 4).

The same kit code runs its raw-row reductions in three engines (``params: engine.backend``). For
each size (``--orders``, about ten demo orders per customer) this script times, in one worker
process per engine, the engine steps of a monthly run of one unit, each materialised to pandas:

1. ``load``: load + validate (:func:`retention_utils.contract.load_unit_data`): reading the four
   sources, typing, the row accounting, the canonical tables (left in the engine);
2. ``kpis``: the monthly KPI table (:func:`retention_utils.kpis.monthly_kpis`: monthly flows and
   revenue, ``engine/core.py``);
3. ``cohorts``: the cohort table's engine query (:func:`retention_utils.engine.core.cohort_activity`,
   what :func:`~retention_utils.cohorts.cohort_analysis` runs in the engine);
4. ``features``: the churn model's per-customer features at the report month
   (:func:`retention_utils.engine.features.unit_features`, cut-off the day after the month end);
5. ``rfm``: the RFM inputs (:func:`retention_utils.engine.value.rfm_inputs`).

Each run is the five steps in order on a fresh connection (a new load each time); a step's time is
the median over ``--runs`` runs. The engines:

- DuckDB, in-process, reading the demo CSV files (the default engine);
- PostgreSQL: the demo is loaded once with ``COPY`` into typed tables of schema ``--pg-schema``
  (:func:`retention_utils.backends.pg_load.load_files`, types as DuckDB reads them; the time is
  reported apart as "COPY into the server"), and the unit's sources are ``format: table``, read in
  place. By default a throw-away server is started (``initdb`` + ``pg_ctl`` as user ``postgres``,
  127.0.0.1, a free port, a temporary folder, C collation so text sorts as on DuckDB, stopped at
  the end) with settings for this 24 GB / 2-core machine (:data:`PG_SETTINGS`, printed);
  ``--pg-url-env NAME`` uses the server at ``$NAME`` instead (its settings are printed too);
- Spark ``local[2]``, driver memory ``--spark-driver-memory``, reading Parquet copies of the CSV
  files written once by DuckDB (typed columns, as PostgreSQL's tables are; not timed);
  ``--spark-format csv`` reads the CSV files themselves, every column as text, parsed by the kit's
  portable parsers (:mod:`retention_utils.backends.portable`).

Each engine runs in its own worker process, so that peaks do not mix and each Spark session starts
afresh; ``--worker-timeout`` stops a worker that takes too long (its steps are then reported as
failed, the other engines go on).

``--duckdb-only-sizes`` adds larger sizes run on DuckDB alone (``--duckdb-only-runs`` runs each).

The unit: every demo business unit as ONE unit ``all`` (each customer's ``business_unit`` set to
``all`` in a copy of ``customers.csv``, as ``bench_engine.py`` does), so that every order goes
through; orders, customers (attributes channel, region, plan, segment), interactions and
campaigns, churn by inactivity (90 / 45 days). Demo data of ``N`` customers (not timed) live in
``--data-root/N`` as ``bench_monthly_run.py`` writes them (generated there in parts of
``--part-size`` customers when missing, reused when present).

Memory (peak resident set, ``VmHWM``), per step, the maximum over runs:

- client: the worker process (Python, Ibis, pandas; for DuckDB also the engine itself); its peak is
  reset before each step (``/proc/self/clear_refs``);
- server: PostgreSQL: the connection's backend process (``pg_backend_pid()``), peak reset before each
  step; its ``VmHWM`` counts the pages of ``shared_buffers`` it touched. The parallel workers of a
  query are other processes: their private memory (``RssAnon``, sampled every 0.2 s) is reported
  apart as ``workers`` (PostgreSQL never scans a temporary table in a parallel worker, and the
  canonical tables are the session's temporary tables, so this is mostly empty). Spark: the driver JVM (the SparkContext's gateway process); the JVM keeps
  the heap it grew, so a later step's peak is at least the earlier steps' heap. DuckDB: none.

Every engine's answers are checked against DuckDB's (row counts, sums of every numeric column, the
row accounting): integers exactly, other numbers to a relative 1e-9; any difference is printed and
makes the exit status 1.

Usage::

    .venv/bin/python benchmarks/bench_backends.py --orders 100000 --runs 1                 # smoke, ~4 min
    .venv/bin/python benchmarks/bench_backends.py --orders 10000000 --runs 3 \\
        --duckdb-only-sizes 100000000 --duckdb-only-runs 1 --duckdb-memory-limit 12GB \\
        --worker-timeout 5400                                                              # the issue's table

Most of a small run is Spark's: one to three minutes per run of the five steps at 100,000 orders, where
DuckDB takes 2 s and PostgreSQL 4 s (2-core machine). ``--pg-url-env``, ``--backends`` and
``--spark-format`` are for other set-ups; ``--help`` lists every option.

Results are printed as a table and written to ``benchmarks/results/bench_backends-<stamp>-<sizes>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, count_lines, peak_rss_mib, reset_peak, vm_hwm_mib

HERE = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

UNIT = "all"
TABLES = ("customers", "orders", "interactions", "campaigns")
STEPS = ("load", "kpis", "cohorts", "features", "rfm")
STEP_LABELS = {"load": "load + validate (load_unit_data)", "kpis": "monthly KPI table (monthly_kpis)",
               "cohorts": "cohort table (cohort_activity)", "features": "churn features at the month (unit_features)",
               "rfm": "RFM inputs (rfm_inputs)"}
BACKENDS = ("duckdb", "postgres", "spark")
ORDERS_PER_CUSTOMER = 10  # the demo makes ~10.1 orders per customer
PG_URL_ENV = "RETENTION_BENCH_PG_URL"  # the worker's engine reads the URL from here (never from params)
#: settings of the throw-away server: what a reader would give PostgreSQL 15 on a 24 GB / 2-core machine
#: (WAL minimal: COPY into a table created in the same transaction writes no WAL)
PG_SETTINGS = {
    "shared_buffers": "2GB", "work_mem": "256MB", "maintenance_work_mem": "1GB", "temp_buffers": "256MB",
    "effective_cache_size": "16GB", "max_parallel_workers_per_gather": "2", "max_parallel_workers": "2",
    "random_page_cost": "1.1", "max_wal_size": "8GB", "wal_level": "minimal", "max_wal_senders": "0",
}
#: what is printed of the server's settings (also for a server given by --pg-url-env)
PG_SHOW = ("server_version", *PG_SETTINGS, "jit", "lc_collate")


# ----------------------------------------------------------------------------- data (not timed)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def prepare_data(orders: int, backends: tuple[str, ...], args: argparse.Namespace) -> dict[str, Any]:
    """Demo CSV files of ``orders / 10`` customers (``bench_monthly_run``'s folder, reused), the one-unit copy of
    customers and, for Spark from Parquet, Parquet copies; returns the paths and row counts."""
    from bench_monthly_run import ensure_data

    customers = max(1, round(orders / ORDERS_PER_CUSTOMER))
    folder = (args.data_root / str(customers)).resolve()
    gen = ensure_data(folder, customers, args.seed, args.part_size, _env())
    own = folder / "bench_backends"
    own.mkdir(exist_ok=True)
    files = {t: folder / f"{t}.csv" for t in TABLES}
    files["customers"] = own / "customers_all.csv"
    import duckdb

    con = duckdb.connect(config={"memory_limit": "4GB"})  # untimed; leaves the machine to the rest
    src = folder / "customers.csv"
    if not files["customers"].is_file() or files["customers"].stat().st_mtime < src.stat().st_mtime:
        tmp = own / ".customers_all.csv.partial"
        con.execute(f"COPY (SELECT * REPLACE ('{UNIT}' AS business_unit) FROM read_csv('{src}', all_varchar=true, "
                    f"header=true)) TO '{tmp}' (HEADER true, DELIMITER ',')")
        os.replace(tmp, files["customers"])
    parquet = {}
    if args.spark_format == "parquet" and "spark" in backends:
        for t, path in files.items():
            dst = own / f"{path.stem}.parquet"
            if not dst.is_file() or dst.stat().st_mtime < path.stat().st_mtime:
                tmp = own / f".{dst.name}.partial"
                con.execute(f"COPY (SELECT * FROM read_csv('{path}', sample_size=-1)) TO '{tmp}' (FORMAT parquet)")
                os.replace(tmp, dst)
            parquet[t] = dst
    con.close()
    rows = {t: count_lines(p) - 1 for t, p in files.items()}
    return {"orders_asked": orders, "customers": customers, "folder": str(folder), "generation": gen,
            "csv": {t: str(p) for t, p in files.items()}, "parquet": {t: str(p) for t, p in parquet.items()},
            "rows": rows, "csv_mib": {t: p.stat().st_size / 2**20 for t, p in files.items()}}


def write_params(work: Path, backend: str, data: dict[str, Any], args: argparse.Namespace) -> Path:
    """``work/params_<backend>/all.yaml``: the one unit, its sources as this engine reads them, its engine."""
    import yaml

    params = work / f"params_{backend}"
    params.mkdir(parents=True, exist_ok=True)
    sources: dict[str, dict[str, Any]] = {}
    for t in TABLES:
        if backend == "postgres":
            s: dict[str, Any] = {"format": "table", "table": f"{args.pg_schema}.{t}"}
        elif backend == "spark" and args.spark_format == "parquet":
            s = {"path": data["parquet"][t]}
        else:
            s = {"path": data["csv"][t]}
        if t in ("customers", "orders"):
            s["date_format"] = "ISO"
        if t == "customers":
            s["attributes"] = ["channel", "region", "plan", "segment"]
        sources[t] = s
    engine: dict[str, Any] = {"backend": backend}
    if backend == "duckdb" and args.duckdb_memory_limit:
        engine["memory_limit"] = args.duckdb_memory_limit
    if backend == "postgres":
        engine.update(url_env=PG_URL_ENV, work_schema=f"{args.pg_schema}_work")
    if backend == "spark":
        engine.update(spark_master=args.spark_master,
                      spark_config={"spark.driver.memory": args.spark_driver_memory})
    unit = {"display_name": "All units (benchmark)", "business_unit_value": UNIT, "report_month": None,
            "churn": {"method": "inactivity", "inactivity_days": 90, "dormant_days": 45},
            "drivers": {"attributes": ["channel", "region"]}, "engine": engine, "sources": sources}
    (params / f"{UNIT}.yaml").write_text("# Written by benchmarks/bench_backends.py: every demo business unit as one "
                                         "unit.\n" + yaml.safe_dump(unit, sort_keys=False), encoding="utf-8")
    return params


# ----------------------------------------------------------------------------- PostgreSQL: server and COPY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowAwayServer:
    """A PostgreSQL server in a temporary folder on 127.0.0.1 (trust authentication, user ``admin``)."""

    def __init__(self, parent: str | None = None) -> None:
        self.initdb = shutil.which("initdb") or "/usr/lib/postgresql/15/bin/initdb"
        self.pg_ctl = shutil.which("pg_ctl") or "/usr/lib/postgresql/15/bin/pg_ctl"
        if not (Path(self.initdb).exists() and Path(self.pg_ctl).exists()):
            raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package "
                             "or give --pg-url-env")
        self.root = Path(tempfile.mkdtemp(prefix="bench-backends-pg-", dir=parent))
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            if not shutil.which("runuser"):
                raise SystemExit("running as root without runuser: cannot start a PostgreSQL server")
            self.prefix = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = _free_port()
        self.started = False

    def start(self) -> str:
        subprocess.run(self.prefix + [self.initdb, "-D", str(self.data), "-U", "admin", "--auth=trust",
                                      "--encoding=UTF8", "--locale=C"], check=True, capture_output=True, timeout=300)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# bench_backends.py\n" + "".join(f"{k} = '{v}'\n" for k, v in PG_SETTINGS.items()))
        subprocess.run(self.prefix + [self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                                      f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True, timeout=300)
        self.started = True
        import psycopg

        with psycopg.connect(f"postgresql://admin@127.0.0.1:{self.port}/postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE bench")
        return f"postgresql://admin@127.0.0.1:{self.port}/bench"

    def stop(self) -> None:
        if self.started:
            subprocess.run(self.prefix + [self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop"],
                           capture_output=True, timeout=300, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def pg_settings(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as con:
        out = {}
        for name in PG_SHOW:
            try:
                out[name] = str(con.execute(f"SHOW {name}").fetchone()[0])
            except psycopg.Error:
                con.rollback()
        return out


def pg_copy(url: str, files: dict[str, str], schema: str) -> dict[str, Any]:
    """Each CSV file into the typed table ``schema.<name>`` with the kit's loader
    (:func:`retention_utils.backends.pg_load.load_files`: DuckDB reads the file, ``COPY ... FROM STDIN``,
    ``ANALYZE``), one table at a time: rows, seconds, column types and size on disk."""
    import psycopg

    from retention_utils.backends.pg_load import load_files

    out: dict[str, Any] = {"tables": {}}
    for name, path in files.items():
        t0 = time.perf_counter()
        rows = load_files(url, {name: path}, schema=schema, typed=True)[name]
        seconds = time.perf_counter() - t0
        with psycopg.connect(url) as con:
            size = con.execute("SELECT pg_total_relation_size(%s::regclass)", (f'"{schema}"."{name}"',)).fetchone()[0]
            types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE "
                                     "table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                                     (schema, name)).fetchall())
        out["tables"][name] = {"rows": int(rows), "s": seconds, "mib": size / 2**20, "types": types}
        print(f"    COPY {name}: {int(rows):,} rows in {seconds:.1f} s, {size / 2**20:,.0f} MiB", flush=True)
    out["seconds"] = sum(t["s"] for t in out["tables"].values())
    return out


def pg_drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}_work" CASCADE')


# ----------------------------------------------------------------------------- worker: one engine, all runs


def _status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _reset_peak_of(pid: int) -> bool:
    """``VmHWM`` of process ``pid`` := its current RSS (needs to own it, or root); False where not possible."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class ServerMemory:
    """Peak memory of the engine's own processes during one step.

    ``main`` is the process whose ``VmHWM`` is read (the PostgreSQL backend, Spark's JVM); ``others()``
    lists further processes (PostgreSQL's parallel workers of that backend), whose private memory
    (``RssAnon``) is summed and sampled every ``interval`` seconds by a thread.
    """

    def __init__(self, main: int | None, others: Callable[[], list[int]] = list, interval: float = 0.2) -> None:
        self.main, self.others, self.interval = main, others, interval
        self.workers_peak = 0.0
        self.reset_ok = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="server-memory", daemon=True)
        if main is not None:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for pid in self.others():
                total += _status_kib(pid, "RssAnon") or 0
            self.workers_peak = max(self.workers_peak, total / 2**10)

    def begin(self) -> None:
        if self.main is not None:
            self.reset_ok = _reset_peak_of(self.main)
        self.workers_peak = 0.0

    def end(self) -> dict[str, float | None]:
        if self.main is None:
            return {"server_mib": None, "workers_mib": None}
        return {"server_mib": vm_hwm_mib(self.main), "workers_mib": self.workers_peak}

    def close(self) -> None:
        self._stop.set()


def _local_backend(pid: int) -> int | None:
    """``pid`` when it is a PostgreSQL process of this machine (a remote server's pid means nothing here)."""
    try:
        return pid if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres") else None
    except OSError:
        return None


def _pg_workers(backend_pid: int) -> Callable[[], list[int]]:
    """The parallel workers currently serving ``backend_pid`` (children of the postmaster)."""
    import psutil

    try:
        postmaster = psutil.Process(backend_pid).parent()
    except psutil.Error:
        return list
    tag = f"parallel worker for PID {backend_pid}"

    def find() -> list[int]:
        out = []
        try:
            for p in postmaster.children():
                try:
                    if tag in " ".join(p.cmdline()):
                        out.append(p.pid)
                except psutil.Error:
                    continue
        except psutil.Error:
            pass
        return out

    return find


def _spark_jvm_pid() -> int | None:
    """The driver JVM: the process pyspark started for the SparkContext's gateway (or its ``java`` child)."""
    import psutil
    from pyspark import SparkContext

    proc = getattr(getattr(SparkContext, "_gateway", None), "proc", None)
    if proc is None:
        return None
    try:
        p = psutil.Process(proc.pid)
        if p.name() == "java":
            return p.pid
        return next((c.pid for c in p.children(recursive=True) if c.name() == "java"), p.pid)
    except psutil.Error:
        return None


def totals(obj: Any) -> dict[str, Any]:
    """Rows and the sum of every numeric column (nulls skipped, their count kept) of a frame or dict of frames."""
    import pandas as pd

    if isinstance(obj, dict):
        return {k: totals(v) for k, v in sorted(obj.items())}
    out: dict[str, Any] = {"rows": len(obj)}
    for col in obj.columns:
        s = obj[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = int(s.fillna(False).astype(bool).sum())
        elif pd.api.types.is_numeric_dtype(s):
            x = pd.to_numeric(s, errors="coerce").astype("float64")
            out[col] = float(x.sum())
            if x.isna().any():
                out[f"{col} (nulls)"] = int(x.isna().sum())
    return out


def _load_totals(data: Any) -> dict[str, Any]:
    q = data.quality.rows
    rows = sorted((r.table, r.outcome, r.reason, int(r.rows)) for r in q.itertuples())
    count = lambda t: None if t is None else int(t.count().to_pyarrow().as_py())
    return {"month": data.month_label, "data_start": str(data.data_start),
            "canonical_rows": {n: count(getattr(data, n)) for n in TABLES},
            "quality_rows": [list(r) for r in rows],
            # how a CSV file was read (delimiter, encoding) is noted for file sources only: not compared
            "notes": sorted([r.table, r.note, int(r.rows)] for r in data.quality.notes.itertuples()
                            if not str(r.note).startswith("read as CSV"))}


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Every run of one engine in this (fresh) process: seconds and peak memory per step, answers of run 1."""
    from retention_utils import backend as B
    from retention_utils.config import load_config
    from retention_utils.contract import load_unit_data
    from retention_utils.engine.core import cohort_activity
    from retention_utils.engine.features import unit_features
    from retention_utils.engine.value import rfm_inputs
    from retention_utils.kpis import monthly_kpis
    from retention_utils.sources import connect

    name = spec["backend"]
    log = lambda text: print(f"    [{name}] {text}", file=sys.stderr, flush=True)
    cfg = load_config(spec["params"], UNIT)
    out: dict[str, Any] = {"backend": name, "baseline_client_mib": peak_rss_mib(), "runs": [], "totals": {}}
    steps: dict[str, Callable[[Any], Any]] = {
        "kpis": monthly_kpis,
        "cohorts": lambda d: cohort_activity(d.orders, d.customers, by="first_purchase", period="month"),
        "features": lambda d: unit_features(d, d.month_end + dt.timedelta(days=1)).to_pandas(),
        "rfm": lambda d: rfm_inputs(d.orders, as_of=d.month_end).to_pandas(),
    }
    server = None
    for run in range(spec["runs"]):
        t0 = time.perf_counter()
        con = connect(cfg.engine)
        connect_s = time.perf_counter() - t0
        if name == "postgres":
            with con.con.cursor() as cur:
                pid = cur.execute("SELECT pg_backend_pid()").fetchone()[0]
            con.con.commit()
            Path(spec["pid_file"]).write_text(str(pid))  # for the parent, to stop the query on a timeout
            local = _local_backend(pid)  # None: the server runs elsewhere, its memory is not known here
            server = ServerMemory(local, _pg_workers(pid) if local else list)
        elif name == "spark":
            server = server or ServerMemory(_spark_jvm_pid())
        else:
            server = ServerMemory(None)
        if run == 0:
            out.update(engine=B.describe(con), settings=B.settings(con), first_connect_s=connect_s)
        rec: dict[str, Any] = {"connect_s": connect_s}
        data = None
        for step in STEPS:
            reset_peak()
            server.begin()
            t0 = time.perf_counter()
            if step == "load":
                data = result = load_unit_data(cfg, con=con)
            else:
                result = steps[step](data)
            seconds = time.perf_counter() - t0
            rec[step] = {"s": seconds, "client_mib": peak_rss_mib(), **server.end()}
            if run == 0:
                out["totals"][step] = _load_totals(data) if step == "load" else totals(result)
            del result
            mem = rec[step]
            log(f"run {run + 1}/{spec['runs']} {step:<9} {seconds:8.2f} s  client {mem['client_mib']:7,.0f} MiB"
                + (f"  server {mem['server_mib']:7,.0f} MiB" if mem["server_mib"] is not None else "")
                + (f" (+ workers {mem['workers_mib']:,.0f} MiB)" if mem["workers_mib"] else ""))
        out["runs"].append(rec)
        # free the run's engine state before the next load
        if name == "spark":
            B.drop_tables(con, *list(getattr(con, "_retention_frames", {})))
            con._session.catalog.clearCache()
        else:
            server.close()
            con.disconnect()
        del data
    if server is not None:
        server.close()
    out["server_reset_ok"] = None if server is None else server.reset_ok
    return out


def run_worker(backend: str, params: Path, runs: int, env: dict[str, str], *, timeout: float | None,
               pg_url: str | None = None) -> dict[str, Any]:
    """One engine's runs in a fresh process (its own session: the JVM goes with it); stopped after ``timeout``
    seconds, together with the PostgreSQL query it was running."""
    pid_file = params / "backend.pid"
    spec = {"backend": backend, "params": str(params), "runs": runs, "pid_file": str(pid_file)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT),  # progress on stderr, live
                            start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        import signal

        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=30)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        if backend == "postgres" and pg_url and pid_file.is_file():  # the server would finish the query alone
            import psycopg

            with psycopg.connect(pg_url, autocommit=True) as con:
                con.execute("SELECT pg_terminate_backend(%s)", (int(pid_file.read_text()),))
        return {"backend": backend, "error": f"stopped after the worker timeout of {timeout:,.0f} s",
                "wall_s": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    lines = stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"backend": backend, "error": f"worker exited with status {proc.returncode}", "wall_s": wall}
    res = json.loads(lines[-1])
    res["wall_s"] = wall
    return res


# ----------------------------------------------------------------------------- checks and summary


def compare(a: Any, b: Any, where: str = "", rtol: float = 1e-9) -> list[str]:
    """Where two totals differ: integers and text exactly, other numbers to a relative ``rtol``."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{where}{k}: only in {'DuckDB' if k in a else 'this engine'}")
            else:
                out += compare(a[k], b[k], f"{where}{k}.", rtol)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where.rstrip('.')}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in compare(x, y, f"{where}{i}.", rtol)]
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not (math.isclose(a, b, rel_tol=rtol, abs_tol=1e-6)
                                          or (math.isnan(a) and math.isnan(b))):
            return [f"{where.rstrip('.')}: DuckDB {a!r}, this engine {b!r}"]
        return []
    return [] if a == b else [f"{where.rstrip('.')}: DuckDB {a!r}, this engine {b!r}"]


def summarise(res: dict[str, Any]) -> dict[str, Any]:
    """Median seconds and maximum peaks per step of one worker's runs."""
    out = {}
    for step in STEPS:
        recs = [r[step] for r in res["runs"]]
        out[step] = {"median_s": statistics.median(r["s"] for r in recs), "runs_s": [r["s"] for r in recs]}
        for key in ("client_mib", "server_mib", "workers_mib"):
            out[step][key] = max((r[key] for r in recs if r[key] is not None), default=None)
    out["total_median_s"] = sum(out[s]["median_s"] for s in STEPS)
    return out


def _f(x: float | None, width: int, fmt: str = ",.0f") -> str:
    """``x`` formatted right-aligned in ``width`` characters; ``-`` where unknown."""
    return f"{'-' if x is None else format(x, fmt):>{width}}"


def table(size: dict[str, Any]) -> list[str]:
    d = size["data"]
    rows = d["rows"]
    lines = [(f"== {rows['orders']:,} orders, {rows['customers']:,} customers, {rows['interactions']:,} "
              f"interactions, {rows['campaigns']:,} campaign contacts (demo data in {d['folder']})")]
    if size.get("copy"):
        c = size["copy"]
        lines.append(f"COPY into the server (once, not in the steps): {c['seconds']:.1f} s for "
                     + ", ".join(f"{t} {v['rows']:,} rows {v['s']:.1f} s" for t, v in c["tables"].items())
                     + f" (pg_load.load_files: read by DuckDB, COPY, ANALYZE); "
                     f"{sum(v['mib'] for v in c['tables'].values()):,.0f} MiB on disk")
    lines.append(f"{'step':<44}{'engine':<11}{'median s':>9}{'x DuckDB':>9}{'client MiB':>11}{'server MiB':>11}"
                 f"{'workers':>8}   runs s")
    res = size["results"]
    base = res.get("duckdb", {}).get("summary")
    for step in [*STEPS, "total"]:
        for name, r in res.items():
            label = (STEP_LABELS[step] if step != "total" else "total of the medians") if name == next(iter(res)) else ""
            if "summary" not in r:
                if step == STEPS[0]:
                    lines.append(f"{label:<44}{name:<11}  FAILED: {r.get('error', '?')}")
                continue
            s = r["summary"]
            if step == "total":
                med, ratio = s["total_median_s"], (s["total_median_s"] / base["total_median_s"] if base else None)
                lines.append(f"{label:<44}{name:<11}{med:9.2f}{_f(ratio, 9, '.1f')}")
                continue
            x = s[step]
            ratio = x["median_s"] / base[step]["median_s"] if base and base[step]["median_s"] else None
            lines.append(f"{label:<44}{name:<11}{x['median_s']:9.2f}{_f(ratio, 9, '.1f')}{_f(x['client_mib'], 11)}"
                         f"{_f(x['server_mib'], 11)}{_f(x['workers_mib'] or None, 8)}   "
                         + ", ".join(f"{v:.2f}" for v in x["runs_s"]))
    for name, r in res.items():
        if "summary" in r:
            lines.append(f"  {name}: {r['engine']}; first connect {r['first_connect_s']:.1f} s; client at start "
                         f"{r['baseline_client_mib']:,.0f} MiB; worker wall {r['wall_s']:.0f} s")
    return lines


def _machine() -> dict[str, Any]:
    import duckdb
    import ibis

    versions = {"ibis": ibis.__version__, "duckdb": duckdb.__version__}
    for mod in ("pyspark", "psycopg", "sqlglot", "pandas"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - an optional package
            versions[mod] = None
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60,
                              check=False).stderr.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        java = None
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gib": round(os.sysconf("SC_PAGE_SIZE")
                                                                   * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "platform": platform.platform(), "python": platform.python_version(), "java": java, "versions": versions}


# ----------------------------------------------------------------------------- main


def bench_size(orders: int, backends: tuple[str, ...], runs: int, args: argparse.Namespace, work: Path,
               pg_url: str | None) -> dict[str, Any]:
    print(f"\n{orders:,} orders asked: engines {', '.join(backends)}, {runs} run(s) each", flush=True)
    data = prepare_data(orders, backends, args)
    print(f"  data: {data['rows']['orders']:,} orders, {data['rows']['customers']:,} customers in {data['folder']}",
          flush=True)
    size: dict[str, Any] = {"orders_asked": orders, "runs": runs, "data": data, "results": {}, "differences": {}}
    env = _env()
    if "postgres" in backends:
        print(f"  COPY of the demo into schema {args.pg_schema} ...", flush=True)
        size["copy"] = pg_copy(pg_url, data["csv"], args.pg_schema)
        env[PG_URL_ENV] = pg_url
    for name in backends:
        params = write_params(work / str(orders), name, data, args)
        print(f"  {name}: {runs} run(s) in a worker process ...", flush=True)
        res = run_worker(name, params, runs, env, timeout=args.worker_timeout, pg_url=pg_url)
        if "runs" in res:
            res["summary"] = summarise(res)
        size["results"][name] = res
    if "postgres" in backends and not args.pg_keep:
        pg_drop_schema(pg_url, args.pg_schema)
    base = size["results"].get("duckdb", {}).get("totals")
    for name, res in size["results"].items():
        if name != "duckdb" and base and "totals" in res:
            size["differences"][name] = compare(base, res["totals"])
    print("\n".join(["", *table(size)]), flush=True)
    return size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100_000, help="orders of the size run on every engine (about ten "
                    "per demo customer; default 100000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per engine; the median is reported (default 3)")
    ap.add_argument("--backends", default=",".join(BACKENDS), help="engines, comma-separated (default all three)")
    ap.add_argument("--duckdb-only-sizes", default="", help="further sizes (orders, comma-separated) run on DuckDB "
                    "alone, e.g. 100000000")
    ap.add_argument("--duckdb-only-runs", type=int, help="runs at those sizes (default --runs)")
    ap.add_argument("--duckdb-memory-limit", help="DuckDB's engine.memory_limit, e.g. 16GB (default DuckDB's: 80%% "
                    "of the memory)")
    ap.add_argument("--pg-url-env", help="use the PostgreSQL server whose URL is in this environment variable "
                    "instead of starting a throw-away one")
    ap.add_argument("--pg-schema", default="bench_backends", help="schema the demo is copied into (default "
                    "bench_backends; dropped at the end unless --pg-keep)")
    ap.add_argument("--pg-keep", action="store_true", help="keep the copied tables on a --pg-url-env server")
    ap.add_argument("--pg-dir", help="parent folder of the throw-away server's data (default: the temp folder)")
    ap.add_argument("--spark-master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--spark-driver-memory", default="8g", help="spark.driver.memory (default 8g)")
    ap.add_argument("--spark-format", choices=("csv", "parquet"), default="parquet", help="files Spark reads: "
                    "Parquet copies of the CSV files written once by DuckDB (default) or the CSV files")
    ap.add_argument("--worker-timeout", type=float, help="stop an engine's worker after this many seconds (its "
                    "steps are then reported as failed; default: no limit)")
    ap.add_argument("--data-root", type=Path, default=ROOT / "data" / "bench", help="demo data of N customers in "
                    "<data-root>/N (default data/bench, shared with bench_monthly_run.py)")
    ap.add_argument("--part-size", type=int, default=1_000_000, help="generate larger sizes in parts of at most this "
                    "many customers (default 1000000)")
    ap.add_argument("--seed", type=int, default=7, help="demo seed (default 7)")
    ap.add_argument("--results", type=Path, default=HERE / "results", help="folder for the JSON result")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker)), default=str))
        return 0
    args.backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    if bad := [b for b in args.backends if b not in BACKENDS]:
        ap.error(f"unknown engine(s) {', '.join(bad)}; choose from {', '.join(BACKENDS)}")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    big = [int(x) for x in args.duckdb_only_sizes.split(",") if x.strip()]
    machine = _machine()
    print(f"machine: {machine['cores']} cores ({machine['cpu']}), {machine['ram_gib']} GiB; "
          + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + f"; {machine['java']}", flush=True)

    server, pg_url, settings = None, None, None
    sizes = []
    load = [os.getloadavg()[0]]
    try:
        if "postgres" in args.backends:
            if args.pg_url_env:
                pg_url = os.environ.get(args.pg_url_env) or ap.error(f"${args.pg_url_env} is not set")
                where = f"the server at ${args.pg_url_env}"
            else:
                server = ThrowAwayServer(args.pg_dir)
                pg_url = server.start()
                where = f"a throw-away server on 127.0.0.1:{server.port} ({server.root})"
            settings = pg_settings(pg_url)
            print(f"PostgreSQL: {where}; settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()), flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
            sizes.append(bench_size(args.orders, args.backends, args.runs, args, Path(tmp), pg_url))
            load.append(os.getloadavg()[0])
            if server is not None:  # the DuckDB-only sizes get the machine to themselves
                server.stop()
                server = None
            for n in big:
                sizes.append(bench_size(n, ("duckdb",), args.duckdb_only_runs or args.runs, args, Path(tmp), None))
                load.append(os.getloadavg()[0])
    finally:
        if server is not None:
            server.stop()

    print("\n" + "=" * 100)
    lines = [(f"Engine steps of a monthly run (one unit of all demo customers), median seconds of the runs, "
              f"peak MiB the maximum over runs; machine {machine['cores']} cores, {machine['ram_gib']} GiB; "
              f"load average (1 min) at the start / after each size: {', '.join(f'{x:.1f}' for x in load)}")]
    if settings:
        lines.append("PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    if "spark" in args.backends:
        lines.append(f"Spark {args.spark_master}, driver memory {args.spark_driver_memory}, reading "
                     f"{'the CSV files' if args.spark_format == 'csv' else 'Parquet copies of the CSV files (DuckDB)'}")
    for s in sizes:
        lines += ["", *table(s)]
    bad = False
    for s in sizes:
        for name, diffs in s["differences"].items():
            if diffs:
                bad = True
                lines.append(f"DIFFERENT ANSWERS, {name} vs DuckDB at {s['data']['rows']['orders']:,} orders "
                             f"({len(diffs)}):")
                lines += [f"  {d}" for d in diffs[:30]]
            else:
                lines.append(f"{name} vs DuckDB at {s['data']['rows']['orders']:,} orders: same answers (row counts, "
                             "sums of every numeric column, row accounting; integers exact, others to 1e-9)")
        failed = [n for n, r in s["results"].items() if "runs" not in r]
        if failed:
            bad = True
            lines.append(f"FAILED at {s['data']['rows']['orders']:,} orders: {', '.join(failed)}")
    report = "\n".join(lines)
    print(report)

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    tags = "-".join(str(s["orders_asked"]) for s in sizes)
    path = args.results / f"bench_backends-{stamp}-{tags}.json"
    payload = {"benchmark": "bench_backends", "date": dt.datetime.now().isoformat(timespec="seconds"),
               "machine": machine, "args": {k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, Path)
                                                 else v) for k, v in vars(args).items() if k != "worker"},
               "pg_settings": settings, "pg_server": "--pg-url-env" if args.pg_url_env else "throw-away",
               "loadavg_1min": load, "sizes": sizes, "table": report}
    path.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    print(f"\nwritten: {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
