"""Write the golden reference: every number the pre-refactor analyses produce, as tidy CSV files.

This script was run against commit b2a30ff (the pre-refactor API, checked out as a git worktree at
/work/golden-base), calling that code exactly as the report notebooks of that commit call it
(``tools/notebooks/*.py``)::

    cfg = load_config(params_dir, unit)                          # month: default (last complete month)
    data = load_unit_data(cfg)        # with cfg.engine.threads = 1 (ENGINE_THREADS: else not reproducible)
    kpis = monthly_kpis(data); headline = headline_kpis(kpis)
    cohorts.cohort_analysis(data, kpis, by=cfg.cohorts.by, period=..., definition=..., max_periods=...,
                            n_recent=..., n_trailing=..., min_customers=cfg.thresholds.min_customers)
    cohorts.retention_by_group(data, attribute=cfg.cohorts.split_by, by=result.by, period=result.period,
                               definition=result.definition, max_periods=cfg.cohorts.max_periods)
    survival.snapshot_survival(data) if data.kind == "snapshot" else survival.survival_analysis(data)
    drivers.snapshot_drivers(data) if data.kind == "snapshot" else drivers.churn_drivers(data)
    warning = drivers.early_warning(data, result); drivers.write_at_risk_list(warning, folder)

Regenerated once, for issue 11, with ``exact_sums.patch`` (beside this file) applied to that worktree:
the churn features' money sums became exact decimal sums (:func:`retention_utils.engine.features.exact_sum`),
so that the models no longer depend on the order in which the engine adds rows. Every frame of the
KPIs, cohorts, groups and survival stayed byte-identical; 49 of the 381 files changed, all churn-model
and early-warning frames (``drivers__*``, ``warning__*``, one at-risk CSV) of units whose features had
float ties broken by last-bit differences. The old pipeline with the patch and today's code agree
exactly, as before.

Regenerated again, for issue 14, on new demo data: the demo generator plants campaign effects by risk tier and
draws campaigns from a stream of their own, so every demo table changed. Today's ``retention_utils/demo.py`` was
copied into the worktree (with the patch applied) and only ``--datasets demo`` was rerun: the pre-refactor
analyses on the new data, 122 demo files changed, online_retail untouched; today's code agrees exactly.

How to run it (from /work/main; the old code must come first on the path, the script checks it;
``cd /work/golden-base && git apply /work/main/tests/golden/exact_sums.patch`` first)::

    PYTHONPATH=/work/golden-base /work/main/.venv/bin/python tests/golden/make_reference.py

Options: ``--out`` (default ``tests/golden/reference`` beside this file), ``--datasets demo online_retail``,
``--force`` (run against code that is not commit b2a30ff, e.g. to compare a refactored tree by hand; never
to rewrite the reference).

Layout: ``reference/<dataset>/<unit>/<analysis>__<frame>.csv.gz`` with ``analysis`` one of ``kpis``,
``cohorts``, ``groups``, ``survival``, ``drivers``, ``warning``. ``<frame>`` is the result attribute
holding the frame, nested attributes joined with a dot (``survival__km.curve``, ``survival__cox.fit``).
Each analysis also has ``<analysis>__scalars.csv.gz`` (``name, value, type``; the value as text, floats by
``repr``, so exact; ``None`` for an absent result such as ``sensitivity`` of an explicit-churn unit): its
int, float, str, bool and date attributes (tuples of those as ``name[i]``, nested results as ``km.group_by``) and scalar
properties (``survival: n_events``). ``kpis__monthly`` is :func:`monthly_kpis`, ``kpis__headline``
is :func:`headline_kpis` (the headline scalars), ``kpis__scalars`` the unit data's month and kind.
``at_risk_customers.csv.gz`` is the gzipped bytes of the file ``write_at_risk_list`` wrote, unchanged.
Floats are written with ``%.17g`` (they round-trip exactly); gzip headers carry no time stamp, so two
runs write identical bytes. Fitted models (``DriversResult.models``) and the settings object
(``SurvivalAnalysis.spec``, only its scalars are kept) are not frames and are not written.

Frames with one row per customer (``survival__life.table``, the lifetimes; ``drivers__eval_predictions``;
``warning__scores``, which the at-risk CSV carries rounded) are kept: the whole reference is under 1 MB
(:data:`PER_CUSTOMER` names frames to leave out should a data set grow too large).

Data sets
---------
``demo``
    ``retention_utils.demo.write_demo(<tmp>/data/demo, n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)``
    beside a copy of the old repo's ``params/`` (as ``tests/conftest.py: demo_layout`` does); units
    retail, subscriptions, b2b.
``online_retail``
    ``examples/online_retail/params`` of the old repo, reading
    ``/work/shared/data/real/online_retail``; units eire, france, germany, united_kingdom.

The report month each unit used is :data:`MONTHS`; the script stops when the default month differs.

Compute time when it was made (2-core machine, other work running at the same time): see
:data:`COMPUTE_SECONDS` (seconds per unit, loading and every analysis, not writing). Two runs of the
script write byte-identical files (checked: 381 of 381 files equal).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import math
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The commit the reference was made from.
GOLDEN_COMMIT = "b2a30ff"
#: Customers and seed of the demo data set (3000: the whole reference took 85 s on a quiet machine).
DEMO_CUSTOMERS = 3000
DEMO_SEED = 7
DEMO_UNITS = ("retail", "subscriptions", "b2b")
ONLINE_RETAIL_UNITS = ("eire", "france", "germany", "united_kingdom")
#: DuckDB threads of each unit's engine (``params: engine.threads``, default all cores). With more than one
#: thread the old code is not reproducible run to run: DuckDB returns rows in a varying order and sums
#: floats in a varying order, so KPI sums differ in the last digits and the drivers' gradient boosting
#: (whose early-stopping split and folds follow the row order) moves by up to 0.004 ROC AUC; on
#: online_retail/united_kingdom ``best_model`` flipped between logit and hgb from one run to the next.
#: One thread gives identical bytes every run. A golden test must run the new code with one engine
#: thread too.
ENGINE_THREADS = 1
#: Report month (``UnitData.month_label``) each unit used: the default, the last complete month in the data.
MONTHS = {
    "demo": {"retail": "2025-12", "subscriptions": "2025-12", "b2b": "2025-12"},
    "online_retail": {"eire": "2011-11", "france": "2011-11", "germany": "2011-11", "united_kingdom": "2011-11"},
}
#: Seconds per unit when the reference was made (load + analyses, wall clock; 2 cores shared with other work,
#: load average 3 to 6, whole script 256 s wall, 108 s CPU). An earlier run on a quieter machine (load 0.3 to
#: 2, engine with both threads) took 85 s wall for everything: demo 42 s (retail 19, subscriptions 16, b2b 7),
#: online_retail 36 s (eire 5, france 9, germany 7, united_kingdom 15).
COMPUTE_SECONDS: dict[str, dict[str, float]] = {
    "demo": {"retail": 59.0, "subscriptions": 48.7, "b2b": 24.9},
    "online_retail": {"eire": 18.8, "france": 33.6, "germany": 18.8, "united_kingdom": 34.0},
}
#: Frames with one row per customer to leave out of a data set when too large (``analysis__frame``); none
#: is: the whole reference is well under 1 MB, so every frame is kept.
PER_CUSTOMER: dict[str, tuple[str, ...]] = {"demo": (), "online_retail": ()}

HERE = Path(__file__).resolve().parent
SCALAR_TYPES = (bool, int, float, str, np.bool_, np.integer, np.floating, dt.date, dt.datetime, pd.Timestamp)


# ============================================================================ walking results


def _scalar(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _is_scalar_seq(v: Any) -> bool:
    return isinstance(v, (tuple, list)) and all(isinstance(x, SCALAR_TYPES) for x in v)


def collect(obj: Any, prefix: str = "") -> tuple[dict[str, pd.DataFrame], list[tuple[str, Any]]]:
    """Every DataFrame and scalar an analysis result holds, walking nested dataclasses.

    Frames are keyed by their dotted attribute path; scalars come as ``(name, value)``. Scalar and
    frame properties of the result classes (``n_events``, ``suspected_leaks``) are included.
    """
    frames: dict[str, pd.DataFrame] = {}
    scalars: list[tuple[str, Any]] = []

    def visit(name: str, v: Any) -> None:
        if v is None:
            scalars.append((name, None))
        elif isinstance(v, pd.DataFrame):
            frames[name] = v
        elif isinstance(v, pd.Series):
            frames[name] = v.to_frame()
        elif isinstance(v, SCALAR_TYPES):
            scalars.append((name, _scalar(v)))
        elif _is_scalar_seq(v):
            scalars.append((f"{name}.len", len(v)))
            scalars.extend((f"{name}[{i}]", _scalar(x)) for i, x in enumerate(v))
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            f, s = collect(v, prefix=f"{name}.")
            frames.update(f)
            scalars.extend(s)
        elif hasattr(v, "model_dump"):  # pydantic settings (SurvivalSpec): their scalars
            for k, x in v.model_dump().items():
                visit(f"{name}.{k}", x)
        elif isinstance(v, dict):
            if name.endswith("models"):  # fitted estimators: not numbers of the report
                scalars.append((f"{name}.keys", ", ".join(sorted(map(str, v)))))
                return
            for k, x in v.items():
                visit(f"{name}.{k}", x)
        else:
            scalars.append((f"{name}.type", type(v).__name__))

    for fld in dataclasses.fields(obj):
        visit(prefix + fld.name, getattr(obj, fld.name))
    for attr, member in sorted(vars(type(obj)).items()):
        if isinstance(member, property) and not attr.startswith("_"):
            try:
                value = getattr(obj, attr)
            except Exception as exc:  # noqa: BLE001 - a property that fails is recorded, not fatal
                scalars.append((f"{prefix}{attr}.error", type(exc).__name__))
                continue
            if isinstance(value, (pd.DataFrame,) + SCALAR_TYPES) or _is_scalar_seq(value):
                visit(prefix + attr, value)
    return frames, scalars


def scalars_frame(rows: list[tuple[str, Any]]) -> pd.DataFrame:
    """``name, value, type``: value as text (floats with 17 digits), so one column holds every kind."""
    out = []
    for name, v in rows:
        if v is None:
            text = "None"
        elif isinstance(v, float):
            text = "nan" if math.isnan(v) else repr(v)
        else:
            text = str(v)
        out.append({"name": name, "value": text, "type": type(v).__name__})
    return pd.DataFrame(out, columns=["name", "value", "type"])


# ============================================================================ writing


def write_frame(df: pd.DataFrame, path: Path) -> int:
    """Write one frame as gzipped CSV at full float precision; returns its size in bytes."""
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None or any(df.index.names):
        df = df.reset_index()
    df.to_csv(path, index=False, float_format="%.17g",
              compression={"method": "gzip", "mtime": 0, "compresslevel": 9})
    return path.stat().st_size


def gzip_bytes(src: Path, dst: Path) -> int:
    with open(src, "rb") as fh, gzip.GzipFile(dst, "wb", compresslevel=9, mtime=0) as out:
        shutil.copyfileobj(fh, out)
    return dst.stat().st_size


# ============================================================================ one unit


def analyse(params_dir: Path, unit: str, scratch: Path) -> tuple[dict[str, dict[str, pd.DataFrame]],
                                                                 dict[str, list[tuple[str, Any]]], Path | None, str]:
    """Run every analysis of one unit as the notebooks do; frames and scalars per analysis."""
    import retention_utils as ru
    from retention_utils import cohorts
    from retention_utils import drivers as drv
    from retention_utils import survival as sv

    cfg = ru.load_config(params_dir, unit)
    if ENGINE_THREADS:  # the one change to the notebooks' calls: see ENGINE_THREADS
        cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"threads": ENGINE_THREADS})})
    data = ru.load_unit_data(cfg)
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    scalars: dict[str, list[tuple[str, Any]]] = {}

    # kpi_overview
    kpis = ru.monthly_kpis(data)
    headline = ru.headline_kpis(kpis)
    frames["kpis"] = {"monthly": kpis, "headline": headline}
    scalars["kpis"] = [("unit", unit), ("month", data.month_label), ("kind", data.kind),
                       ("has_amounts", bool(getattr(data, "has_amounts", True)))]

    # cohort_retention
    spec = cfg.cohorts
    result = cohorts.cohort_analysis(data, kpis, by=spec.by, period=spec.period, definition=spec.definition,
                                     max_periods=spec.max_periods, n_recent=spec.n_recent,
                                     n_trailing=spec.n_trailing, min_customers=cfg.thresholds.min_customers)
    frames["cohorts"], scalars["cohorts"] = collect(result)
    curves, test = cohorts.retention_by_group(data, attribute=spec.split_by, by=result.by, period=result.period,
                                              definition=result.definition, max_periods=spec.max_periods)
    frames["groups"] = {"curves": curves, "test": test}
    scalars["groups"] = [("attribute", str(spec.split_by)), ("by", result.by), ("period", result.period),
                         ("definition", result.definition)]

    # survival
    surv = sv.snapshot_survival(data) if data.kind == "snapshot" else sv.survival_analysis(data)
    frames["survival"], scalars["survival"] = collect(surv)

    # churn_drivers
    dres = drv.snapshot_drivers(data) if data.kind == "snapshot" else drv.churn_drivers(data)
    warning = drv.early_warning(data, dres)
    out = scratch / "at_risk" / unit
    out.mkdir(parents=True, exist_ok=True)
    saved = drv.write_at_risk_list(warning, out)
    frames["drivers"], scalars["drivers"] = collect(dres)
    frames["warning"], scalars["warning"] = collect(warning)
    return frames, scalars, saved, data.month_label


def write_unit(dest: Path, frames: dict[str, dict[str, pd.DataFrame]], scalars: dict[str, list[tuple[str, Any]]],
               saved: Path | None, skip: tuple[str, ...]) -> dict[str, int]:
    """Write one unit's files; returns bytes per file name."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    sizes: dict[str, int] = {}
    for analysis, fr in frames.items():
        for name, df in fr.items():
            key = f"{analysis}__{name}"
            if key in skip:
                continue
            sizes[key] = write_frame(df, dest / f"{key}.csv.gz")
        if scalars.get(analysis):
            sizes[f"{analysis}__scalars"] = write_frame(scalars_frame(scalars[analysis]),
                                                        dest / f"{analysis}__scalars.csv.gz")
    if saved is not None:
        sizes["at_risk_customers"] = gzip_bytes(saved, dest / "at_risk_customers.csv.gz")
    return sizes


# ============================================================================ data sets


def demo_params(root: Path, old_repo: Path) -> Path:
    """Demo data at ``root/data/demo`` beside a copy of the old repo's params (tests/conftest.py: demo_layout)."""
    from retention_utils.demo import write_demo

    write_demo(root / "data" / "demo", n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    params = root / "params"
    shutil.copytree(old_repo / "params", params)
    return params


def run_dataset(name: str, params_dir: Path, units: tuple[str, ...], out: Path, scratch: Path, *,
                check_months: bool) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for unit in units:
        t0 = time.perf_counter()
        frames, scalars, saved, month = analyse(params_dir, unit, scratch)
        seconds[unit] = time.perf_counter() - t0
        expected = MONTHS[name].get(unit)
        if check_months and expected is not None and expected != month:
            raise SystemExit(f"{name}/{unit}: default month is {month}, the reference used {expected}")
        sizes = write_unit(out / name / unit, frames, scalars, saved, PER_CUSTOMER.get(name, ()))
        print(f"{name}/{unit}: month {month}, {seconds[unit]:.1f} s, {len(sizes)} files, "
              f"{sum(sizes.values()) / 1e3:.0f} kB", flush=True)
        for key, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:5]:
            print(f"    {key:<40} {size / 1e3:8.1f} kB")
    return seconds


def old_repo_root(force: bool) -> Path:
    """The repo the imported retention_utils comes from; stops unless it is the golden commit."""
    import retention_utils

    root = Path(retention_utils.__file__).resolve().parents[1]
    print(f"retention_utils from {retention_utils.__file__}")
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "(not a git checkout)"
    if not head.startswith(GOLDEN_COMMIT) and not force:
        raise SystemExit(f"retention_utils comes from {root} at {head}, not commit {GOLDEN_COMMIT}; set "
                         f"PYTHONPATH to a checkout of {GOLDEN_COMMIT} (or pass --force to run anyway)")
    return root


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=HERE / "reference")
    p.add_argument("--datasets", nargs="+", choices=("demo", "online_retail"), default=["demo", "online_retail"])
    p.add_argument("--force", action="store_true", help="run against code that is not the golden commit")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")  # as the notebooks' setup_notebook(report_mode=True)
    old = old_repo_root(args.force)
    args.out.mkdir(parents=True, exist_ok=True)
    total: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        scratch = Path(tmp)
        for name in args.datasets:
            t0 = time.perf_counter()
            if name == "demo":
                params = demo_params(scratch / "demo", old)
                units = DEMO_UNITS
                print(f"demo data ({DEMO_CUSTOMERS} customers, seed {DEMO_SEED}): "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
            else:
                params = old / "examples" / "online_retail" / "params"
                units = ONLINE_RETAIL_UNITS
            total[name] = run_dataset(name, params, units, args.out, scratch / name, check_months=not args.force)
            print(f"{name}: {time.perf_counter() - t0:.1f} s with data generation and writing; analyses "
                  f"{sum(total[name].values()):.1f} s", flush=True)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"reference: {size / 1e6:.2f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
