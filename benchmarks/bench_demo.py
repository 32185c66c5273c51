"""Benchmark of the demo data generator.

Times :func:`retention_utils.demo.generate_demo` and writing its CSV files, and
reports the peak resident memory of the process.

Usage::

    python benchmarks/bench_demo.py --customers 1000000
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from retention_utils import demo
from _common import peak_rss_mib


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="number of customers to generate (default 1000000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write the CSV files to (default: a temporary folder)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    data = demo.generate_demo(n_customers=args.customers, seed=args.seed)
    t_gen = time.perf_counter() - t0
    print(f"generate_demo(n_customers={args.customers:,}): {t_gen:.1f} s; peak RSS {peak_rss_mib():,.0f} MiB")
    for name in ("customers", "orders", "interactions", "campaigns", "truth_customers"):
        print(f"  {name:<16} {len(getattr(data, name)):>12,} rows")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        paths = data.write(out)
        t_write = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in paths.values()) / 2**20
        print(f"write: {t_write:.1f} s, {size:,.0f} MiB in {len(paths)} files; peak RSS {peak_rss_mib():,.0f} MiB")
    print(f"total: {t_gen + t_write:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
