"""Benchmark: one unit's monthly run from the raw export, and what validating once per unit saves.

On demo data of ``--customers`` customers (or an existing demo data folder, ``--data``) it times:

(run)    the whole ``retention run --unit U`` in a fresh process, as a user runs it: load and
         validate the unit once, write its snapshot, execute every report notebook with papermill
         and render the HTML; the per-notebook seconds of the last run come from its manifest
(load)   load + validate the unit from the raw exports (``load_config`` + ``load_unit_data``): what
         every notebook did before the snapshot, and what the runner still does once
(write)  write the unit's snapshot (``unit.write_snapshot``, after ``monthly_kpis`` memoized its table)
(open)   open the snapshot (``open_unit(..., snapshot=...)``): what every notebook does now

Each is the median of ``--runs`` runs; (load), (write) and (open) run in a worker process of their
own. ``--code DIR`` times another checkout of the kit (e.g. the code before the snapshot existed:
its CLI, its notebooks; (write) and (open) are skipped where it has no ``retention_utils.unit``).
Prints a table and writes JSON to ``benchmarks/results/bench_monthly_run-<date>-<unit>-<customers>-<checkout>.json``.

Usage::

    .venv/bin/python benchmarks/bench_monthly_run.py                      # demo, 3000 customers
    .venv/bin/python benchmarks/bench_monthly_run.py --customers 1000000 --data data/bench_1m --runs 1
    .venv/bin/python benchmarks/bench_monthly_run.py --code /path/to/old/checkout --data data/bench_3k
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def ensure_data(data: Path, customers: int, seed: int) -> Path:
    """Demo CSV files in ``data`` (written once, not timed; an existing folder is reused as it is)."""
    if (data / "orders.csv").is_file():
        print(f"reusing the demo data in {data}", flush=True)
        return data
    from retention_utils.demo import write_demo

    print(f"writing demo data of {customers:,} customers to {data} (not timed) ...", flush=True)
    t0 = time.perf_counter()
    write_demo(data, n_customers=customers, seed=seed)
    print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    return data


def layout(work: Path, data: Path, code: Path) -> Path:
    """``work/params`` (a copy of the kit's params) reading ``work/data/demo`` (a link to ``data``)."""
    params = work / "params"
    shutil.copytree(code / "params", params)
    (work / "data").mkdir()
    (work / "data" / "demo").symlink_to(data.resolve(), target_is_directory=True)
    return params


def _env(code: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def time_run(params: Path, reports: Path, unit: str, code: Path) -> dict:
    """One ``retention run`` of ``unit`` in a fresh process; seconds, status and the manifest's timings."""
    shutil.rmtree(reports, ignore_errors=True)
    cmd = [sys.executable, "-m", "retention_utils.cli", "run", "--params", str(params), "--reports", str(reports),
           "--unit", unit, "--notebooks", str(code / "notebooks")]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(code), cwd=params.parent)
    seconds = time.perf_counter() - t0
    manifests = sorted(reports.glob("*/manifest.json"))
    entry = json.loads(manifests[-1].read_text())["units"][0] if manifests else {}
    return {"seconds": seconds, "returncode": proc.returncode, "status": entry.get("status", "no manifest"),
            "unit_seconds": entry.get("seconds"), "error": entry.get("error", proc.stderr[-500:]),
            "notebooks": {nb["name"]: {"seconds": nb["seconds"], "status": nb["status"]}
                          for nb in entry.get("notebooks", [])}}


def worker(params: str, unit: str, runs: int, snapshot_dir: str) -> dict:
    """(load), (write), (open) of one unit in this process: seconds of each run."""
    from retention_utils.config import load_config
    from retention_utils.contract import load_unit_data

    try:
        from retention_utils.kpis import monthly_kpis
        from retention_utils.unit import open_unit, write_snapshot
    except ImportError:  # a checkout from before the snapshot
        open_unit = write_snapshot = None
    out: dict = {"load": [], "write": [], "open": []}
    data = None
    for _ in range(runs):
        t0 = time.perf_counter()
        data = load_unit_data(load_config(params, unit))
        out["load"].append(time.perf_counter() - t0)
    out["rows"] = {name: int(getattr(data, name).count().to_pyarrow().as_py())
                   for name in ("customers", "orders", "interactions", "campaigns", "snapshot")
                   if getattr(data, name, None) is not None}
    if write_snapshot is None:
        return out
    if data.kind == "orders":
        monthly_kpis(data)  # memoized in data.cache, as the runner does before writing
    for i in range(runs):
        folder = Path(snapshot_dir) / f"run{i}"
        t0 = time.perf_counter()
        write_snapshot(data, folder)
        out["write"].append(time.perf_counter() - t0)
    out["snapshot_mb"] = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    for _ in range(runs):
        t0 = time.perf_counter()
        opened = open_unit(params, unit, snapshot=str(folder))
        out["open"].append(time.perf_counter() - t0)
        opened.con.disconnect()
    return out


def run_worker(params: Path, unit: str, runs: int, work: Path, code: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(params), "--unit", unit, "--runs", str(runs),
           "--snapshot-dir", str(work / "snapshots")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(code), cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=3000, help="demo customers (default 3000, as make demo)")
    ap.add_argument("--unit", default="retail", help="unit to run (default retail)")
    ap.add_argument("--data", type=Path, help="demo data folder: reused when it holds orders.csv, else written "
                    "there (default: a temporary folder)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement; the median is reported (default 3)")
    ap.add_argument("--seed", type=int, default=7, help="demo data seed (default 7, as make demo)")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout of the kit to time (default: this one)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON result")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--snapshot-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.unit, args.runs, args.snapshot_dir)))
        return 0

    code = args.code.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-monthly-") as tmp:
        work = Path(tmp)
        data = ensure_data(args.data or work / "demo", args.customers, args.seed)
        params = layout(work, data, code)
        print(f"timing unit {args.unit!r} of {data} with the kit at {code}, {args.runs} run(s) each", flush=True)
        steps = run_worker(params, args.unit, args.runs, work, code)
        runs = []
        for i in range(args.runs):
            runs.append(time_run(params, work / "reports", args.unit, code))
            r = runs[-1]
            print(f"  run {i + 1}: {r['seconds']:.1f} s ({r['status']})", flush=True)
    run_s = [r["seconds"] for r in runs]
    result = {
        "benchmark": "bench_monthly_run", "date": dt.date.today().isoformat(), "unit": args.unit,
        "customers": args.customers if not args.data else None, "data": str(data), "code": str(code),
        "runs": args.runs, "rows": steps["rows"],
        "run": {"median_s": _median(run_s), "times": run_s, "all_ok": all(r["status"] == "ok" for r in runs),
                "last": runs[-1]},
        "load": {"median_s": _median(steps["load"]), "times": steps["load"]},
        "write_snapshot": {"median_s": _median(steps["write"]), "times": steps["write"]},
        "open_snapshot": {"median_s": _median(steps["open"]), "times": steps["open"]},
        "snapshot_mb": steps.get("snapshot_mb"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
    }
    rows = ", ".join(f"{k} {v:,}" for k, v in steps["rows"].items())
    print(f"\nunit {args.unit} ({rows})")
    print(f"{'step':<50}{'median s':>10}   runs")
    table = [("retention run --unit (whole run, fresh process)", run_s),
             ("load + validate the raw exports", steps["load"]),
             ("write the snapshot", steps["write"]),
             ("open the snapshot (each notebook)", steps["open"])]
    for label, xs in table:
        med = _median(xs)
        shown = f"{med:>10.3f}" if med is not None else f"{'n/a':>10}"
        print(f"{label:<50}{shown}   {', '.join(f'{x:.3f}' for x in xs)}")
    for nb, v in runs[-1]["notebooks"].items():
        print(f"  notebook {nb:<40}{v['seconds']:>10.1f}   ({v['status']}, last run)")
    if not result["run"]["all_ok"]:
        print(f"warning: a run did not succeed: {runs[-1]['error'][:300]}", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    n = steps["rows"].get("customers", steps["rows"].get("snapshot", 0))
    path = args.out / f"bench_monthly_run-{result['date']}-{args.unit}-{n}-{code.name}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
