"""Benchmark: the cohort table at ~10M and ~50M orders, three ways, side by side in one run.

(kit)     retention_utils.engine.cohort_counts (Ibis expression executed by DuckDB) on the kit's
          engine (``sources.connect``) with its default settings, orders keyed by the kit's
          integer customer key (``contract.customer_keys``, as every unit's tables are)
(kit cap) the same with the engine's memory capped (``params: engine.memory_limit``,
          ``--memory-limit``, default 512MB): DuckDB spills to disk instead of growing
(sql)     the same computation written directly as DuckDB SQL over the orders as exported
          (text customer ids), DuckDB defaults
(pandas)  the common pandas approach: groupby + transform('min') + pivot_table

Each approach runs in its own worker process (so peak memory is its own: VmHWM minus an
import-only baseline worker), loads the same Parquet orders (timed apart; for the kit this
includes numbering the customers), then computes the cohort table ``--repeats`` times; the
median is reported. The answers are checked to be equal before any number is printed.

Usage: .venv/bin/python benchmarks/bench_cohorts.py [--sizes 10 50] [--repeats 3] [--memory-limit 512MB]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from _common import peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]
MODES = ("kit", "kit_cap", "sql", "pandas")

SQL = """
WITH a AS (SELECT DISTINCT customer_id, year(order_date) * 12 + month(order_date) - 1 AS m
           FROM orders WHERE amount > 0),
     c AS (SELECT customer_id, m, min(m) OVER (PARTITION BY customer_id) AS cohort_idx FROM a)
SELECT cohort_idx, m - cohort_idx AS period, count(*) AS n_active FROM c GROUP BY ALL
"""


def make_data(data_dir: Path, n_parts: int) -> list[Path]:
    """Orders of ``n_parts`` demo data sets of 1M customers each (~10M orders per part)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from retention_utils.demo import generate_demo

    data_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_parts):
        path = data_dir / f"orders-{i}.parquet"
        if not path.exists():
            print(f"generating part {i} (1M customers; not timed) ...", flush=True)
            o = generate_demo(n_customers=1_000_000, seed=100 + i).orders
            table = pa.table({"customer_id": (f"P{i}-" + o["customer_id"].astype(str)).to_numpy(dtype=object),
                              "order_date": o["order_date"].to_numpy(), "amount": o["amount"].to_numpy()})
            pq.write_table(table, path)
        paths.append(path)
    return paths


def worker(mode: str, files: list[str], repeats: int, memory_limit: str) -> dict:
    out: dict = {"mode": mode}
    if mode == "baseline":
        import duckdb  # noqa: F401
        import ibis  # noqa: F401
        import pandas  # noqa: F401

        from retention_utils import contract, engine  # noqa: F401
    elif mode in ("kit", "kit_cap", "sql"):
        import ibis

        from retention_utils.config import EngineSpec
        from retention_utils.contract import customer_keys, with_key
        from retention_utils.engine import cohort_counts
        from retention_utils.sources import connect

        con = connect(EngineSpec(memory_limit=memory_limit)) if mode == "kit_cap" else \
            connect() if mode == "kit" else ibis.duckdb.connect()
        t0 = time.perf_counter()
        file_list = ", ".join("'" + f + "'" for f in files)
        select = (f"SELECT customer_id, CAST(order_date AS DATE) AS order_date, amount "
                  f"FROM read_parquet([{file_list}])")
        if mode == "sql":
            con.con.execute(f"CREATE TABLE orders AS {select}").fetchall()
        else:  # as the contract does: number the customers, then create the table once with the key
            con.con.execute(f"CREATE TEMP VIEW raw_orders AS {select}").fetchall()
            raw = con.table("raw_orders")
            keys = customer_keys(con, [raw])
            orders = con.create_table("orders", with_key(raw, keys))
            con.con.execute(f"DROP TABLE {keys.get_name()}").fetchall()
        out["load_s"] = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            if mode != "sql":
                res = cohort_counts(orders).to_pandas()
            else:
                res = con.con.execute(SQL).fetchdf()
            times.append(time.perf_counter() - t0)
        out["times"] = times
        out["checksum"] = [int(len(res)), int(res["n_active"].sum()),
                           int((res["n_active"] * (res["period"] + 1)).sum())]
    elif mode == "pandas":
        import pandas as pd

        t0 = time.perf_counter()
        df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        out["load_s"] = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            b = df[df["amount"] > 0]
            m = b["order_date"].dt.year * 12 + b["order_date"].dt.month - 1
            b = b.assign(month=m)
            b["cohort_idx"] = b.groupby("customer_id")["month"].transform("min")
            b["period"] = b["month"] - b["cohort_idx"]
            table = b.pivot_table(index="cohort_idx", columns="period", values="customer_id", aggfunc="nunique")
            times.append(time.perf_counter() - t0)
        long = table.stack().dropna().rename("n_active").reset_index()
        out["times"] = times
        out["checksum"] = [int(len(long)), int(long["n_active"].sum()),
                           int((long["n_active"] * (long["period"] + 1)).sum())]
    out["peak_rss_mb"] = peak_rss_mib()
    return out


def run_worker(mode: str, files: list[Path], repeats: int, memory_limit: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", mode, "--repeats", str(repeats), "--memory-limit", memory_limit,
           "--files", *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50], help="millions of orders (multiples of 10)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data-dir", default=str(ROOT / "data" / "bench_cohorts"))
    ap.add_argument("--memory-limit", default="512MB", help="engine memory cap of the 'kit cap' run")
    ap.add_argument("--worker")
    ap.add_argument("--files", nargs="*")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.files, args.repeats, args.memory_limit)))
        return
    parts = make_data(Path(args.data_dir), max(args.sizes) // 10)
    base = run_worker("baseline", [], 1)["peak_rss_mb"]
    results = []
    for size in args.sizes:
        files = parts[: size // 10]
        import pyarrow.parquet as pq

        n_orders = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        row = {"orders": n_orders}
        for mode in MODES:
            r = run_worker(mode, files, args.repeats, args.memory_limit)
            row[mode] = {"median_s": statistics.median(r["times"]), "times": r["times"], "load_s": r["load_s"],
                         "peak_rss_mb": r["peak_rss_mb"], "peak_over_baseline_mb": r["peak_rss_mb"] - base,
                         "checksum": r["checksum"]}
        assert len({json.dumps(row[m]["checksum"]) for m in MODES}) == 1, row
        results.append(row)
    print(f"\nCohort table benchmark — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"median of {args.repeats} runs; memory = peak RSS over an import-only worker ({base:.0f} MB); "
          f"kit cap = engine.memory_limit {args.memory_limit}\n")
    hdr = (f"{'orders':>12} {'approach':>8} | {'load s':>7} {'table s':>8} {'peak MB':>8} | "
           f"{'vs sql time':>11} {'pandas/this time':>16} {'pandas/this memory':>18}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        s, p = r["sql"], r["pandas"]
        for mode in MODES:
            m = r[mode]
            print(f"{r['orders']:>12,} {mode.replace('_', ' '):>8} | {m['load_s']:7.2f} {m['median_s']:8.2f} "
                  f"{m['peak_over_baseline_mb']:8.0f} | {m['median_s'] / s['median_s']:11.2f} "
                  f"{p['median_s'] / m['median_s']:16.1f} {p['peak_over_baseline_mb'] / m['peak_over_baseline_mb']:18.1f}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        for mode in ("kit", "kit_cap"):
            print(f"\nscaling {a['orders']:,} -> {b['orders']:,} orders ({b['orders'] / a['orders']:.1f}x): "
                  f"{mode.replace('_', ' ')} {b[mode]['median_s'] / a[mode]['median_s']:.1f}x time, "
                  f"{b[mode]['peak_over_baseline_mb'] / a[mode]['peak_over_baseline_mb']:.1f}x memory", end="")
        print()
    out = ROOT / "benchmarks" / "results" / f"bench_cohorts-{time.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"results": results, "baseline_mb": base, "cpu_count": os.cpu_count(),
                               "memory_limit": args.memory_limit}, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
