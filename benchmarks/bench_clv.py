"""Benchmark of the CLV models: BG/NBD + Gamma-Gamma fit, CLV of every customer and its intervals, 1M customers.

The customers are drawn by :func:`retention_utils.demo.simulate_bgnbd_gg` with the planted
parameters (first purchases spread over two years, ``T`` ~ Uniform(1, 104) weeks, times in whole
days, as an order log records them), not timed. Steps timed (``--repeats`` times, median reported):

* ``fit_bgnbd``: :func:`retention_utils.clv.fit_bgnbd`, including the compression of the customers
  to distinct (x, t_x, T) summaries, the optimiser and the Hessian;
* ``fit_gamma_gamma``: :func:`retention_utils.clv.fit_gamma_gamma` on the repeat customers;
* ``predict``: :func:`retention_utils.clv.customer_value` for every customer (12 months, 1 % monthly
  discount, margin 0.3): P(alive), expected purchases, expected spend, CLV;
* ``intervals``: :func:`retention_utils.clv.clv_intervals` given ``predict``'s values: 200 paired
  parameter draws, the total's interval (ratio measured on 2,000 sampled customers) and the top
  1,000 customers' own intervals.

Wall and CPU time are both reported: on a shared machine the wall time grows with the load (the
load average is recorded). Memory: after the timed runs each step runs once more with ``tracemalloc`` (peak of the step's
Python and numpy allocations) and, on Linux, the process's peak RSS reset just before the step
(``/proc/self/clear_refs``), reported as the growth over the RSS at its start and as the peak itself;
the RSS after the imports (the whole kit: pandas, pyarrow, ibis, scipy) and after the simulated data
are recorded too, so the models' own share can be read off.

Anchors (issue 13, measured by the issue's author): a scipy maximum-likelihood prototype fits in
4.5 s and predicts in 0.33 s at 350 MB; PyMC-Marketing's MAP fit 5.5 s at 733 MB.

Usage::

    python benchmarks/bench_clv.py [--customers 1000000] [--repeats 3] [--seed 0]

Results are printed as a table and written to ``benchmarks/results/bench_clv-<date>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from _common import peak_rss_mib, reset_peak, rss_mib  # noqa: E402

from retention_utils import clv  # noqa: E402
from retention_utils.demo import simulate_bgnbd_gg  # noqa: E402

OPTS = {"horizon_months": 12, "monthly_discount": 0.01, "margin": 0.3}
STEPS = ("fit_bgnbd", "fit_gamma_gamma", "predict", "intervals")






def run_steps(sim, state: dict) -> dict:
    """The four steps as closures over ``sim`` and the fitted models kept in ``state``."""
    def fit_bg():
        state["bg"] = clv.fit_bgnbd(sim)

    def fit_gg():
        state["gg"] = clv.fit_gamma_gamma(sim)

    def predict():
        state["values"] = clv.customer_value(sim, state["bg"], state["gg"], **OPTS)

    def intervals():
        top = state["values"].nlargest(1000, "clv").index
        state["ci"] = clv.clv_intervals(sim, state["bg"], state["gg"], subset=top, n_draws=200, seed=0,
                                        values=state["values"], **OPTS)

    return dict(zip(STEPS, (fit_bg, fit_gg, predict, intervals), strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="simulated customers (default 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)

    rss_imports = rss_mib("VmRSS")
    t0 = time.perf_counter()
    sim = simulate_bgnbd_gg(args.customers, T_weeks=(1.0, 104.0), seed=args.seed)
    simulate_s = time.perf_counter() - t0
    rss_data = rss_mib("VmRSS")
    load_before = os.getloadavg()
    unique, _ = clv.compress_summary(sim)
    state: dict = {}
    steps = run_steps(sim, state)
    timings: dict[str, list[float]] = {k: [] for k in STEPS}
    cpu: dict[str, list[float]] = {k: [] for k in STEPS}
    for i in range(args.repeats):
        for name, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            timings[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in timings.items()), flush=True)
    peak_timed = peak_rss_mib()  # before any reset: the peak of the timed runs
    memory: dict[str, dict[str, float]] = {}
    for name, step in steps.items():
        has_rss = reset_peak()
        before = rss_mib("VmRSS")
        tracemalloc.start()
        step()
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        memory[name] = {"traced_peak_mib": round(traced, 1),
                        "rss_growth_mib": round(rss_mib("VmHWM") - before, 1) if has_rss else float("nan"),
                        "rss_peak_mib": round(rss_mib("VmHWM"), 1) if has_rss else float("nan")}
    bg, gg, ci = state["bg"], state["gg"], state["ci"]
    total = ci.total.iloc[0]
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cores": os.cpu_count()},
        "args": vars(args), "options": OPTS,
        "data": {"customers": len(sim), "distinct_summaries": len(unique),
                 "repeat_customers": int((sim.frequency > 0).sum()), "simulate_s": round(simulate_s, 2)},
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "median_s": {k: round(statistics.median(v), 3) for k, v in timings.items()},
        "median_cpu_s": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "runs_s": {k: [round(x, 3) for x in v] for k, v in timings.items()},
        "memory_mib": memory,
        "process_peak_rss_mib": round(max([peak_timed] + [m["rss_peak_mib"] for m in memory.values()]), 1),
        "rss_after_imports_mib": round(rss_imports, 1), "rss_after_data_mib": round(rss_data, 1),
        "fit": {"bgnbd": {k: round(v, 4) for k, v in bg.params.items()},
                "gamma_gamma": {k: round(v, 4) for k, v in gg.params.items()},
                "converged": bool(bg.converged and gg.converged)},
        "clv_total": {"estimate": round(float(total.estimate)), "ci_lower": round(float(total.ci_lower)),
                      "ci_upper": round(float(total.ci_upper))},
    }
    print(f"\n{len(sim):,} customers, {len(unique):,} distinct (x, t_x, T) summaries, "
          f"{result['data']['repeat_customers']:,} repeat customers")
    print(f"{'step':<16}{'median s':>10}{'cpu s':>8}{'traced MiB':>12}{'RSS +MiB':>10}{'RSS peak':>10}")
    for k in STEPS:
        m = memory[k]
        print(f"{k:<16}{result['median_s'][k]:>10.3f}{result['median_cpu_s'][k]:>8.2f}{m['traced_peak_mib']:>12.1f}"
              f"{m['rss_growth_mib']:>10.1f}{m['rss_peak_mib']:>10.1f}")
    print(f"RSS after imports {rss_imports:.0f} MiB, after the simulated data {rss_data:.0f} MiB, process peak "
          f"{result['process_peak_rss_mib']:.0f} MiB; load average {result['load_average_1min']} on "
          f"{os.cpu_count()} cores")
    print(f"fit {result['fit']}; CLV total {result['clv_total']}")
    if not args.no_save:
        out = HERE / "results" / f"bench_clv-{dt.date.today():%Y-%m-%d}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
