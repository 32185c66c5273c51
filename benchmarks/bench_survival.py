"""Benchmark of the survival analysis: lifetimes, Kaplan-Meier and Cox on a million customers.

The data is the demo data set (:func:`retention_utils.demo.write_demo`) with all
its business units analysed as ONE unit ``all`` under the inactivity definition
(90 days), so that every customer and all ~10 million orders go through the
shared churn definition. To reach ten Cox covariates, three synthetic customer
attributes with no effect (``age_band`` 5 levels, ``payment`` 3, ``device`` 2;
fixed seed) are added to the demo's four (``channel, region, plan, segment``),
plus the three early-life features (``early_complaint, nps_detractor,
discount_user``): 10 covariates, 22 model terms.

Steps timed (each ``--repeats`` times, median reported):

* ``lifetimes``: :func:`retention_utils.survival.lifetimes` (the engine's
  ``customer_lifetimes``) plus :func:`retention_utils.survival.add_early_features`;
* ``kaplan_meier``: :func:`retention_utils.survival.kaplan_meier` by ``channel``;
* ``cox``: :func:`retention_utils.survival.cox_hazard_ratios` with the 10
  covariates (Efron ties, landmark at 30 days, PH check included).

Peak memory: each step runs once more in its own worker subprocess, after its
inputs are loaded; the worker resets its peak-RSS counter (``/proc/self/clear_refs``)
just before the step and reports the growth of ``VmHWM`` over the RSS at that
moment (Linux only; elsewhere memory is not measured).

The canonical inputs are written once as Parquet (customers with unit ``all``
and the synthetic attributes, orders, interactions) so that loading is quick;
the contract load itself is not part of this benchmark (see bench_engine.py).

Usage::

    python benchmarks/bench_survival.py --customers 1000000 --repeats 3 [--demo-dir data/bench]

``--demo-dir`` may point to existing demo CSVs of the same size (read only);
otherwise they are generated there. Results are printed and written as JSON to
``--out``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from _common import rss_mib  # noqa: E402

UNIT = "all"
EARLY_DAYS = 30
SYNTHETIC = {"age_band": ["18-24", "25-34", "35-44", "45-64", "65+"], "payment": ["card", "invoice", "paypal"],
             "device": ["mobile", "desktop"]}
COVARIATES = ["channel", "region", "plan", "segment", "age_band", "payment", "device",
              "early_complaint", "nps_detractor", "discount_user"]




def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def ensure_data(demo_dir: Path, work: Path, n_customers: int, seed: int) -> dict[str, Any]:
    """Demo CSVs (generated if missing) and their one-unit Parquet copies with a params folder."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from retention_utils.demo import write_demo

    info: dict[str, Any] = {"generated": False}
    cust = demo_dir / "customers.csv"
    if not cust.exists() or _lines(cust) - 1 != n_customers:
        print(f"generating {n_customers:,} demo customers into {demo_dir} (not timed) ...", flush=True)
        t0 = time.perf_counter()
        write_demo(demo_dir, n_customers=n_customers, seed=seed)
        info.update(generated=True, generate_s=round(time.perf_counter() - t0, 1))
    work.mkdir(parents=True, exist_ok=True)
    out = {name: work / f"{name}.parquet" for name in ("customers", "orders", "interactions")}
    if not all(p.exists() and p.stat().st_mtime >= cust.stat().st_mtime for p in out.values()):
        print("writing the one-unit Parquet copies (not timed) ...", flush=True)
        strings = pa_csv.ConvertOptions(strings_can_be_null=True)
        c = pa_csv.read_csv(cust, convert_options=strings)
        c = c.set_column(c.column_names.index("business_unit"), "business_unit",
                         pa.array([UNIT] * c.num_rows, pa.string()))
        rng = np.random.default_rng(seed)
        for name, levels in SYNTHETIC.items():
            c = c.append_column(name, pa.array(np.asarray(levels)[rng.integers(0, len(levels), c.num_rows)]))
        pq.write_table(c, out["customers"])
        for name in ("orders", "interactions"):
            pq.write_table(pa_csv.read_csv(demo_dir / f"{name}.csv", convert_options=strings), out[name])
    params = work / "params"
    params.mkdir(exist_ok=True)
    (params / f"{UNIT}.yaml").write_text(
        "# Written by benchmarks/bench_survival.py: every demo business unit as one unit.\n"
        "display_name: All units (survival benchmark)\n"
        f"business_unit_value: {UNIT}\n"
        "churn:\n  method: inactivity\n  inactivity_days: 90\n  dormant_days: 45\n"
        "sources:\n"
        f"  customers:\n    path: {out['customers']}\n"
        f"    attributes: {list(SYNTHETIC) + ['channel', 'region', 'plan', 'segment']}\n"
        f"  orders:\n    path: {out['orders']}\n"
        f"  interactions:\n    path: {out['interactions']}\n", encoding="utf-8")
    info["raw_customers"] = _lines(cust) - 1
    return info


def load(work: Path):
    from retention_utils import load_config, load_unit_data

    return load_unit_data(load_config(work / "params", UNIT))


def step_lifetimes(data) -> pd.DataFrame:
    from retention_utils.survival import lifetimes
    from retention_utils.survival import add_early_features

    return add_early_features(data, lifetimes(data), early_days=EARLY_DAYS).table


def step_km(table: pd.DataFrame):
    from retention_utils.survival import kaplan_meier

    return kaplan_meier(table, group_by="channel", min_customers=30)


def step_cox(table: pd.DataFrame):
    from retention_utils.survival import cox_hazard_ratios

    return cox_hazard_ratios(table, covariates=COVARIATES, min_level_customers=30, landmark_days=EARLY_DAYS)


def worker(step: str, work: Path) -> dict[str, float]:
    """Run one step once after loading its inputs; report the peak RSS growth during the step."""
    if step == "lifetimes":
        data = load(work)
        data.orders.count().execute()  # make sure the inputs are in place before measuring
        run = lambda: step_lifetimes(data)  # noqa: E731
    else:
        table = pd.read_parquet(work / "lifetimes.parquet")
        run = (lambda: step_km(table)) if step == "km" else (lambda: step_cox(table))  # noqa: E731
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
    except OSError:
        return {"peak_delta_mib": float("nan"), "rss_before_mib": float("nan")}
    before = rss_mib("VmRSS")
    run()
    return {"peak_delta_mib": rss_mib("VmHWM") - before, "rss_before_mib": before,
            "peak_mib": rss_mib("VmHWM")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="demo customers (default 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per step (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="demo seed (default 7)")
    default_dir = Path(tempfile.gettempdir()) / "retention-bench-survival"
    parser.add_argument("--demo-dir", type=Path, default=default_dir / "demo",
                        help="folder of the demo CSVs (read if the size matches, else generated there)")
    parser.add_argument("--work-dir", type=Path, default=default_dir,
                        help="folder for the Parquet copies and the params")
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the results (default: print only)")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-step memory workers")
    parser.add_argument("--worker", choices=["lifetimes", "km", "cox"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.work_dir)))
        return 0

    info = ensure_data(args.demo_dir, args.work_dir, args.customers, args.seed)
    t0 = time.perf_counter()
    data = load(args.work_dir)
    info["load_s"] = round(time.perf_counter() - t0, 1)
    timings: dict[str, list[float]] = {"lifetimes": [], "kaplan_meier": [], "cox": []}
    table = cox = km = None
    for i in range(args.repeats):
        t0 = time.perf_counter()
        table = step_lifetimes(data)
        timings["lifetimes"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        km = step_km(table)
        timings["kaplan_meier"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cox = step_cox(table)
        timings["cox"].append(time.perf_counter() - t0)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in timings.items()), flush=True)
    table.to_parquet(args.work_dir / "lifetimes.parquet")
    memory = {}
    if not args.no_memory:
        for step in ("lifetimes", "km", "cox"):
            res = subprocess.run([sys.executable, __file__, "--worker", step, "--work-dir", str(args.work_dir)],
                                 capture_output=True, text=True, check=True)
            memory[step] = json.loads(res.stdout.strip().splitlines()[-1])
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cores": __import__("os").cpu_count()},
        "args": {k: str(v) for k, v in vars(args).items()},
        "data": {**info, "customers_in_unit": int(len(table)), "churn_events": int(table["event"].sum()),
                 "cox_customers": int(cox.fit["n_customers"].iloc[0]), "cox_events": int(cox.fit["n_events"].iloc[0]),
                 "cox_terms": int(cox.fit["n_terms"].iloc[0]), "cox_status": cox.status,
                 "km_groups": km.groups},
        "median_s": {k: round(statistics.median(v), 2) for k, v in timings.items()},
        "runs_s": {k: [round(x, 2) for x in v] for k, v in timings.items()},
        "memory_mib": memory,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
