"""Command line: ``retention run | validate | units | demo-data``.

User errors (bad params, broken exports) print one message and exit with
status 2, never a traceback. ``run`` and ``validate`` show their progress
(:mod:`retention_utils.progress`): live bars on a terminal, timestamped lines in
logs and CI.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import progress
from .config import NOTEBOOKS
from .errors import RetentionError, environment_secrets, redact

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="retention", description="Customer retention and churn reports per "
                                "business unit and month.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run every report notebook for every unit and render HTML",
                         description="Execute the report notebooks for each business unit with papermill and "
                         "render self-contained HTML into REPORTS/<month>/<unit>/. Exits non-zero when any unit "
                         "failed (the others are still written).")
    run.add_argument("--params", default="params", help="params folder (default: params)")
    run.add_argument("--reports", default="reports", help="output folder (default: reports)")
    run.add_argument("--month", help="report month YYYY-MM (default: the last complete month in the data)")
    run.add_argument("--unit", nargs="+", dest="units", metavar="U", help="only these units (default: all)")
    run.add_argument("--jobs", type=int, default=1, help="units to run in parallel (default: 1)")
    run.add_argument("--notebooks", help="notebooks folder (default: ./notebooks)")
    run.add_argument("--only", nargs="+", metavar="NOTEBOOK", choices=NOTEBOOKS,
                     help=f"only these report notebooks (default: all of {', '.join(NOTEBOOKS)})")

    val = sub.add_parser("validate", help="check params and input data against the data contract",
                         description="Load every unit's params and data, check the data contract and print the "
                         "row accounting. Exits non-zero when any unit breaks the contract.")
    val.add_argument("--params", default="params", help="params folder (default: params)")
    val.add_argument("--month", help="report month YYYY-MM (default: the last complete month in the data)")
    val.add_argument("--unit", nargs="+", dest="units", metavar="U", help="only these units (default: all)")

    units = sub.add_parser("units", help="list the configured business units",
                           description="List the units configured in the params folder.")
    units.add_argument("--params", default="params", help="params folder (default: params)")

    demo = sub.add_parser("demo-data", help="write the demo CRM data set",
                          description="Write a reproducible multi-unit demo CRM data set (customers, orders, "
                          "interactions, campaigns) with known planted truths.")
    demo.add_argument("--out", required=True, help="output folder")
    demo.add_argument("--customers", type=int, default=3000, help="number of customers (default: 3000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    return p


def _validate(args: argparse.Namespace) -> int:
    from .config import list_units, load_config
    from .contract import load_unit_data
    from .sources import connect, input_files

    failed = 0
    for unit in args.units or list_units(args.params):
        try:
            cfg = load_config(args.params, unit, month=args.month)
            con = connect(cfg.engine)
            # shown at once for inputs over a few hundred MB, with the engine's percent done on a terminal
            with progress.stage(f"[{unit}] validating", nbytes=progress.files_size(input_files(cfg)), con=con):
                data = load_unit_data(cfg, con=con)
        except RetentionError as exc:
            failed += 1
            print(f"[{unit}] FAILED\n{redact(exc, *environment_secrets())}\n", file=sys.stderr)
            continue
        except Exception as exc:  # a server engine's failure (timeout, server gone): its words, no traceback
            from . import backend

            msg = backend.engine_error(exc, cfg.engine) if "cfg" in locals() and cfg.engine.backend != "duckdb" else None
            if msg is None:
                raise
            failed += 1
            print(f"[{unit}] FAILED\n{redact(msg, *environment_secrets())}\n", file=sys.stderr)
            continue
        q = data.quality.summary_frame()
        print(f"[{unit}] ok: report month {data.month_label}; rows accounted: {data.quality.balanced()}")
        if getattr(data, "month_warning", None):
            print(f"    warning: {data.month_warning}")
        for r in q.itertuples():
            print(f"    {r.table:<13} {r.outcome:<9} {r.reason:<34} {r.rows:>10,} ({r.share * 100:5.1f}%)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "month", None) is not None:
            from .config import parse_month

            parse_month(args.month, where="--month")  # a path component: refused before anything is read or written
        if args.command == "run":
            from .report import run_month

            chosen = tuple(nb for nb in NOTEBOOKS if nb in args.only) if args.only else NOTEBOOKS
            with progress.reporting(sys.stdout):
                result = run_month(args.params, args.reports, month=args.month, units=args.units, jobs=args.jobs,
                                   notebooks_dir=args.notebooks, notebooks=chosen)
            for m, path in result.months.items():
                print(f"reports for {m}: {path.resolve()}")
            bad = [u.unit for u in result.units if u.status != "ok"]
            if bad:
                print(f"{len(bad)} unit(s) failed: {', '.join(bad)} (see their pages)", file=sys.stderr)
                return 1
            return 0
        if args.command == "validate":
            with progress.reporting(sys.stdout):
                return _validate(args)
        if args.command == "units":
            from .config import list_units

            print("\n".join(list_units(args.params)))
            return 0
        if args.command == "demo-data":
            from .demo import write_demo

            paths = write_demo(Path(args.out), n_customers=args.customers, seed=args.seed)
            for name, path in paths.items():
                print(f"{name}: {path}")
            return 0
    except RetentionError as exc:
        print(f"error: {redact(exc, *environment_secrets())}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
