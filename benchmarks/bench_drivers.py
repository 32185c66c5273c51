"""Benchmark of the churn-drivers pipeline: features, training and scoring for a million customers.

The data is the demo data set (:func:`retention_utils.demo.write_demo`) with all
its business units as ONE unit ``all`` (a copy of ``customers.csv`` with every
``business_unit`` set to ``all``; churn by 90 days of inactivity), with
interactions and campaigns, and the attributes ``channel`` and ``region``.

Steps, each timed once (wall clock) in one process:

1. Generate the demo CSV files into ``--data-dir`` if missing (not timed;
   ``data/bench`` is shared with ``bench_engine.py``).
2. ``load``: read and validate through the contract (:func:`load_unit_data`).
3. ``churn_drivers`` (:func:`retention_utils.drivers.churn_drivers`), split
   into its parts by timing the library's internal steps from outside:
   ``features_labels`` (features and labels of every training and evaluation
   cut-off, materialized to pandas), ``fit`` (baseline, logistic regression,
   calibrated gradient boosting, twice: validation and scoring models),
   ``permutation_importance``, ``partial_dependence`` and the rest (metrics,
   leakage guard, scorecard).
4. ``early_warning``: features of every active customer at the report month
   (``score_features``), probabilities, reasons, scorecard points, tiers,
   trade-off (``score_rest``).
5. ``write_list``: ``at_risk_customers.csv``.

Peak memory: the process's peak resident set size (``VmHWM``) at the end,
and before step 2 (after the imports), so the difference is what the
pipeline needed.

Usage::

    python benchmarks/bench_drivers.py --customers 1000000

Results are printed and written to ``benchmarks/results/bench_drivers-<date>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from _common import count_lines, peak_rss_mib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

UNIT = "all"


def ensure_data(data_dir: Path, n_customers: int, seed: int) -> Path:
    """Demo CSVs of the requested size, the one-unit copy of customers and a params folder; returns params."""
    from retention_utils.demo import write_demo

    customers = data_dir / "customers.csv"
    if not customers.exists() or count_lines(customers) - 1 != n_customers:
        print(f"generating the demo data ({n_customers:,} customers, seed {seed}) into {data_dir} (not timed) ...",
              flush=True)
        write_demo(data_dir, n_customers=n_customers, seed=seed)
    unit_dir = data_dir / "bench_drivers"
    params = unit_dir / "params"
    params.mkdir(parents=True, exist_ok=True)
    one = unit_dir / "customers_all.csv"
    if not one.exists() or one.stat().st_mtime < customers.stat().st_mtime:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        header = customers.open(encoding="utf-8").readline().strip().split(",")
        t = pa_csv.read_csv(customers, convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False))
        i = t.column_names.index("business_unit")
        t = t.set_column(i, "business_unit", pa.array([UNIT] * t.num_rows, pa.string()))
        pa_csv.write_csv(t, one)
    rel = lambda p: os.path.relpath(p, params)  # noqa: E731
    (params / f"{UNIT}.yaml").write_text(
        "# Written by benchmarks/bench_drivers.py: every demo business unit as one unit.\n"
        "display_name: All units (benchmark)\n"
        f"business_unit_value: {UNIT}\n"
        "churn: {method: inactivity, inactivity_days: 90, dormant_days: 45}\n"
        "drivers: {attributes: [channel, region]}\n"
        "sources:\n"
        f"  customers: {{path: {rel(one)}, attributes: [channel, region]}}\n"
        f"  orders: {{path: {rel(data_dir / 'orders.csv')}}}\n"
        f"  interactions: {{path: {rel(data_dir / 'interactions.csv')}}}\n"
        f"  campaigns: {{path: {rel(data_dir / 'campaigns.csv')}}}\n",
        encoding="utf-8")
    return params


class _Timer:
    """Accumulates wall time of library functions wrapped in place (the library itself is unchanged)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.phase = ""

    def wrap(self, module: Any, name: str, label: str, *, by_phase: bool = False) -> None:
        fn = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            key = f"{label}_{self.phase}" if by_phase else label
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - t0
                self.calls[key] += 1

        setattr(module, name, timed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench")
    args = ap.parse_args(argv)

    params = ensure_data(args.data_dir, args.customers, args.seed)
    import ibis
    import numpy as np  # noqa: F401
    import sklearn  # noqa: F401
    import statsmodels.api  # noqa: F401

    from retention_utils import drivers
    from retention_utils.config import load_config
    from retention_utils.contract import load_unit_data

    timer = _Timer()
    timer.wrap(drivers, "training_panel", "features", by_phase=True)
    timer.wrap(drivers, "_fit_all", "fit")
    timer.wrap(drivers, "_permutation_importance", "permutation_importance")
    timer.wrap(drivers, "_partial_dependence", "partial_dependence")
    rss_imports = peak_rss_mib()
    steps: dict[str, float] = {}

    t0 = time.perf_counter()
    data = load_unit_data(load_config(params, UNIT))
    steps["load"] = time.perf_counter() - t0
    n_customers = int(data.customers.count().to_pyarrow().as_py())
    n_orders = int(data.orders.count().to_pyarrow().as_py())
    print(f"loaded {n_customers:,} customers, {n_orders:,} orders in {steps['load']:.1f} s", flush=True)

    timer.phase = "train"
    t0 = time.perf_counter()
    res = drivers.churn_drivers(data, seed=0)
    steps["churn_drivers"] = time.perf_counter() - t0
    print(f"churn_drivers: {steps['churn_drivers']:.1f} s ({res.status})", flush=True)
    timer.phase = "score"
    t0 = time.perf_counter()
    ew = drivers.early_warning(data, res)
    steps["early_warning"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = drivers.write_at_risk_list(ew, tmp)
        steps["write_list"] = time.perf_counter() - t0
        list_mib = path.stat().st_size / 2**20
    rss_end = peak_rss_mib()

    sec = timer.seconds
    parts = {
        "features_labels": sec.get("features_train", 0.0),
        "fit": sec.get("fit", 0.0),
        "permutation_importance": sec.get("permutation_importance", 0.0),
        "partial_dependence": sec.get("partial_dependence", 0.0),
    }
    parts["other_training_steps"] = steps["churn_drivers"] - sum(parts.values())
    parts["score_features"] = sec.get("features_score", 0.0)
    parts["score_rest"] = steps["early_warning"] - parts["score_features"]
    counts = res.counts.set_index("set")
    out = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "versions": {m: __import__(m).__version__ for m in ("ibis", "duckdb", "pandas", "numpy", "sklearn",
                                                                       "statsmodels")},
                    "load_average_at_end": os.getloadavg()},
        "args": {"customers": args.customers, "seed": args.seed, "data_dir": str(args.data_dir)},
        "data": {"customers": n_customers, "orders": n_orders, "report_month": data.month_label,
                 "train_rows": int(counts.loc["train", "n_customers"]),
                 "eval_rows": int(counts.loc["evaluate", "n_customers"]),
                 "final_rows": int(counts.loc["final", "n_customers"]), "scored_customers": len(ew.scores),
                 "at_risk_csv_mib": round(list_mib, 1)},
        "status": res.status, "notes": list(res.notes),
        "roc_auc": {m: res.metric(m, "roc_auc") for m in ("baseline", "logit", "hgb")},
        "seconds": {**{k: round(v, 2) for k, v in steps.items()}, **{f"part_{k}": round(v, 2) for k, v in
                                                                      parts.items()}},
        "seconds_total_features_training_scoring": round(steps["churn_drivers"] + steps["early_warning"]
                                                         + steps["write_list"], 2),
        "peak_rss_mib": {"after_imports": round(rss_imports, 0), "end": round(rss_end, 0),
                         "pipeline": round(rss_end - rss_imports, 0)},
    }
    print(json.dumps(out, indent=2))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"bench_drivers-{dt.date.today():%Y-%m-%d}.json").write_text(json.dumps(out, indent=2) + "\n")
    del ibis
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
