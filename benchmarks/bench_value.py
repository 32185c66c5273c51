"""Benchmark of the customer-value report's analyses on one unit of about a million customers.

Times, ``--repeats`` times each (median reported, every run kept), on a unit loaded once (loading and
validating are the monthly-run benchmark's business, ``bench_monthly_run.py``):

* ``rfm``: :func:`retention_utils.rfm_analysis` (scores at three month ends, stages, transitions);
* ``lifecycle``: :func:`retention_utils.lifecycle_analysis` (stage counts over 12 months, flows);
* ``clv``: :func:`retention_utils.clv_analysis` (summaries, holdout refit, BG/NBD + Gamma-Gamma fits,
  CLV of every customer, bootstrap intervals);
* ``value``: :func:`retention_utils.value_analysis` (features, quality screen, personas, cross-sell), given
  ``clv`` and ``rfm`` and churn scores drawn at random for the customers not churned (the churn model is
  ``bench_drivers.py``'s).

Beside it, the floor: one DuckDB group-by of the orders per customer (count, sum, min, max of the date),
the least any per-customer analysis must read. Peak memory: the process's peak RSS (``VmHWM``) after the
load and after each step (the steps run in one process, so a step's peak includes what stays loaded).

Data (not timed): ``--data DIR`` is a demo export folder (``retention demo-data``); the unit is
``--unit`` (default ``retail``; the demo's retail unit holds 52% of its customers, so 1.95M demo
customers give about a million retail customers)::

    .venv/bin/retention demo-data --out /tmp/bench2m --customers 1950000
    .venv/bin/python benchmarks/bench_value.py --data /tmp/bench2m --repeats 3

Results are printed and written to ``benchmarks/results/bench_value-<date>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import demo_params, peak_rss_mib  # noqa: E402




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="demo export folder")
    ap.add_argument("--unit", default="retail")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)

    import numpy as np
    import pandas as pd

    import retention_utils as ru
    from retention_utils.engine import is_purchase

    work = Path(tempfile.mkdtemp(prefix="bench_value_"))
    try:
        t0 = time.perf_counter()
        data = ru.load_unit_data(ru.load_config(demo_params(args.data.resolve(), work), args.unit))
        load_s = time.perf_counter() - t0
        n_orders = int(data.orders.count().to_pyarrow().as_py())
        rss = {"after_load": peak_rss_mib()}
        o = data.orders
        b = o.filter(is_purchase(o))

        def floor() -> object:
            return b.group_by("customer_key").aggregate(n=b.count(), v=b.amount.sum(), first=b.order_date.min(),
                                                         last=b.order_date.max()).to_pyarrow()

        res: dict[str, object] = {}

        def rfm() -> object:
            res["rfm"] = ru.rfm_analysis(data)
            return res["rfm"]

        def life() -> object:
            return ru.lifecycle_analysis(data)

        def clv() -> object:
            res["clv"] = ru.clv_analysis(data)
            return res["clv"]

        def value() -> object:
            c = res["rfm"].customers
            alive = c.loc[c["stage"] != "churned", "customer_id"].to_numpy()
            p = np.random.default_rng(0).uniform(0, 1, alive.size)
            scores = pd.DataFrame({"customer_id": alive, "probability": p, "tier": np.where(p >= 0.5, "high", "low"),
                                   "reasons": "x"})
            return ru.value_analysis(data, clv=res["clv"], rfm=res["rfm"], scores=scores)

        runs: dict[str, list[float]] = {}
        for name, fn in (("floor", floor), ("rfm", rfm), ("lifecycle", life), ("clv", clv), ("value", value)):
            for _ in range(args.repeats):
                t = time.perf_counter()
                fn()
                runs.setdefault(name, []).append(round(time.perf_counter() - t, 3))
            rss[f"after_{name}"] = peak_rss_mib()
            print(f"{name:10s} median {statistics.median(runs[name]):7.2f} s  runs {runs[name]}  "
                  f"peak RSS so far {rss[f'after_{name}']:,.0f} MiB", flush=True)
        c = res["clv"]
        out = {"date": dt.datetime.now().isoformat(timespec="seconds"), "unit": args.unit,
               "customers": int(len(res["rfm"].customers)), "orders": n_orders, "load_s": round(load_s, 2),
               "repeats": args.repeats, "median_s": {k: statistics.median(v) for k, v in runs.items()}, "runs_s": runs,
               "peak_rss_mib": rss, "clv_method": c.method, "holdout_error": c.holdout_error,
               "cores": os.cpu_count(), "load_average": os.getloadavg()}
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"bench_value-{dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(out, indent=2))
        print(json.dumps({k: out[k] for k in ("customers", "orders", "median_s", "clv_method", "holdout_error")}))
        print(f"written {path}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
