"""Benchmark of the engine reductions against the same reductions in plain pandas.

The kit's reductions (:mod:`retention_utils.engine`) are Ibis expressions run
in-process by DuckDB. This script times them, materialized to pandas, against
idiomatic plain-pandas versions of the same reductions (vectorized group-bys,
``shift`` for lag/lead, no Python loops), in the same process, on the same
canonical tables, and checks that both sides give the same numbers (a benchmark
comparing different answers is worthless: any difference is printed and makes
the exit status 1).

The data is the demo data set (:func:`retention_utils.demo.write_demo`) with all
its business units benchmarked as ONE unit ``all`` (every customer's
``business_unit`` is set to ``all`` in a copy of ``customers.csv``), so that the
whole ~10 orders per customer go through the contract and the engine.

The pandas side selects the columns it needs before filtering, and joins with
``merge`` (in pandas 3.1, ``Series.map`` against a 1M-entry string index is about
five times slower than ``merge`` on 10M rows), as a practised pandas user would.

Steps:

1. Generate the demo CSV files into ``--data-dir`` if missing (not timed).
2. Load and validate through the contract (:func:`load_unit_data`), timed once.
3. Time every reduction ``--repeats`` times, engine and pandas alternately,
   and report the medians. The pandas inputs are the canonical tables of the
   same load, ``.to_pandas()`` once (not timed).
4. Peak memory: each approach runs once in its own worker subprocess; the
   worker's peak RSS (``VmHWM`` on Linux, see :func:`_common.peak_rss_mib`) is
   reported as a delta over a worker that only imports the libraries.

Usage::

    python benchmarks/bench_engine.py --customers 1000000 --repeats 3

Results are printed as a table and written to
``benchmarks/results/bench_engine-<date>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from _common import count_lines, peak_rss_mib, ru_maxrss_mib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

UNIT = "all"
CHURN = {"method": "inactivity", "inactivity_days": 90, "dormant_days": 45}
EPOCH = dt.date(1970, 1, 1)


# ----------------------------------------------------------------------------- helpers


def _paths(data_dir: Path) -> dict[str, Path]:
    unit_dir = data_dir / "bench_unit"
    return {
        "customers_csv": data_dir / "customers.csv",
        "orders_csv": data_dir / "orders.csv",
        "unit_dir": unit_dir,
        "customers_all_csv": unit_dir / "customers_all.csv",
        "params": unit_dir / "params",
        "canon_orders": unit_dir / "canonical_orders.parquet",
        "canon_customers": unit_dir / "canonical_customers.parquet",
    }


def ensure_data(data_dir: Path, n_customers: int, seed: int) -> dict[str, Any]:
    """Demo CSVs at the requested size, the one-unit copy of customers and its params folder."""
    from retention_utils.demo import write_demo

    p = _paths(data_dir)
    info: dict[str, Any] = {"generated": False}
    have = p["customers_csv"].exists() and p["orders_csv"].exists()
    if have:
        n_have = count_lines(p["customers_csv"]) - 1
        if n_have != n_customers:
            print(f"{p['customers_csv']} has {n_have:,} customers, not {n_customers:,}: regenerating")
            have = False
    if not have:
        print(f"generating the demo data set ({n_customers:,} customers, seed {seed}) into {data_dir} "
              "(not timed in the benchmark) ...", flush=True)
        t0 = time.perf_counter()
        write_demo(data_dir, n_customers=n_customers, seed=seed)
        info.update(generated=True, generate_s=time.perf_counter() - t0)
        print(f"  generated in {info['generate_s']:.1f} s", flush=True)
    p["unit_dir"].mkdir(parents=True, exist_ok=True)
    p["params"].mkdir(parents=True, exist_ok=True)
    src, dst = p["customers_csv"], p["customers_all_csv"]
    if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        t = pa_csv.read_csv(src, convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in _csv_header(src)}, strings_can_be_null=False))
        i = t.column_names.index("business_unit")
        t = t.set_column(i, "business_unit", pa.array(["all"] * t.num_rows, pa.string()))
        pa_csv.write_csv(t, dst)
    rel = lambda target: os.path.relpath(target, p["params"])  # noqa: E731  (params paths are relative)
    (p["params"] / f"{UNIT}.yaml").write_text(
        "# Written by benchmarks/bench_engine.py: every demo business unit as one unit.\n"
        f"display_name: All units (benchmark)\n"
        f"business_unit_value: {UNIT}\n"
        "report_month: null\n"
        "churn:\n"
        + "".join(f"  {k}: {v}\n" for k, v in CHURN.items())
        + "sources:\n"
        f"  customers:\n    path: {rel(p['customers_all_csv'])}\n    date_format: ISO\n"
        f"  orders:\n    path: {rel(p['orders_csv'])}\n    date_format: ISO\n",
        encoding="utf-8")
    info["raw_customers"] = count_lines(p["customers_csv"]) - 1
    info["raw_order_rows"] = count_lines(p["orders_csv"]) - 1
    return info


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().strip().split(",")


def _load_config(data_dir: Path):
    from retention_utils.config import load_config

    return load_config(_paths(data_dir)["params"], UNIT)


# ----------------------------------------------------------------------------- the reductions


@dataclass
class Ctx:
    """Inputs of one side: canonical orders/customers (Ibis tables or pandas frames) and parameters."""

    orders: Any
    customers: Any
    as_of: dt.date  # = report month end
    start: dt.date  # = first order date
    method: str
    inactivity_days: int
    dormant_days: int


# engine side: the kit's functions, materialized to pandas


def eng_snapshot(c: Ctx) -> pd.DataFrame:
    from retention_utils import engine as E

    return E.customer_snapshot(c.orders, c.customers, as_of=c.as_of, method=c.method,
                               inactivity_days=c.inactivity_days, dormant_days=c.dormant_days).to_pandas()


def eng_activity(c: Ctx) -> pd.DataFrame:
    from retention_utils import engine as E

    return E.monthly_activity(c.orders).to_pandas()


def eng_cohorts(c: Ctx) -> pd.DataFrame:
    from retention_utils import engine as E

    return E.cohort_counts(c.orders).to_pandas()


def eng_flows(c: Ctx, method: str | None = None) -> pd.DataFrame:
    from retention_utils import engine as E

    return E.monthly_flows(c.orders, c.customers, method=method or c.method, inactivity_days=c.inactivity_days,
                           dormant_days=c.dormant_days, end=c.as_of)


def eng_flows_explicit(c: Ctx) -> pd.DataFrame:
    return eng_flows(c, "explicit")


def eng_revenue(c: Ctx) -> pd.DataFrame:
    from retention_utils import engine as E

    return E.monthly_revenue(c.orders, start=c.start, end=c.as_of)


# pandas side: the same reductions in plain pandas


def _epoch_days(s: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of a datetime64 column (NaT -> NaN)."""
    v = s.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
    out = v.astype("int64").astype("float64")
    out[np.isnat(v)] = np.nan
    return out


def _month_idx(s: pd.Series) -> np.ndarray:
    """``year * 12 + month - 1`` of a datetime64 column without missing values."""
    return s.to_numpy(dtype="datetime64[s]").astype("datetime64[M]").astype("int64") + 1970 * 12


def _month_of_day(day_n: np.ndarray) -> np.ndarray:
    return np.asarray(day_n, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64") + 1970 * 12


def _n(as_of: dt.date) -> int:
    return (as_of - EPOCH).days


def pd_snapshot(c: Ctx) -> pd.DataFrame:
    as_of = pd.Timestamp(c.as_of)
    o = c.orders.loc[c.orders["order_date"] <= as_of, ["customer_id", "order_date", "amount"]]
    buys = o[o["amount"] > 0]
    per = buys.groupby("customer_id", sort=False).agg(
        first_purchase=("order_date", "min"), last_purchase=("order_date", "max"),
        n_purchases=("order_date", "size"))
    rev = o.groupby("customer_id", sort=False)["amount"].sum().rename("revenue")
    cols = ["customer_id", "signup_date"] + (["churn_date"] if "churn_date" in c.customers else [])
    snap = c.customers.loc[c.customers["signup_date"] <= as_of, cols]
    snap = snap.merge(per, on="customer_id", how="left").merge(rev, on="customer_id", how="left")
    as_of_n = _n(c.as_of)
    snap["n_purchases"] = snap["n_purchases"].fillna(0).astype("int64")
    snap["revenue"] = snap["revenue"].fillna(0.0)
    snap["days_since_last"] = (as_of_n - _epoch_days(snap["last_purchase"].fillna(snap["signup_date"]))).astype("int64")
    snap["tenure_days"] = (as_of_n - _epoch_days(snap["signup_date"])).astype("int64")
    if c.method == "explicit":
        churned = snap["churn_date"].notna() & (snap["churn_date"] <= as_of)
    else:
        churned = snap["days_since_last"] > c.inactivity_days
    snap["status"] = np.select([churned, snap["days_since_last"] > c.dormant_days], ["churned", "dormant"], "active")
    return snap.drop(columns=["churn_date"], errors="ignore")


def pd_activity(c: Ctx) -> pd.DataFrame:
    o = c.orders
    df = pd.DataFrame({"customer_id": o["customer_id"], "month_idx": _month_idx(o["order_date"]),
                       "n_orders": (o["amount"] > 0).astype("int64"), "revenue": o["amount"]})
    return df.groupby(["customer_id", "month_idx"], sort=False, as_index=False).sum()


def pd_cohorts(c: Ctx) -> pd.DataFrame:
    buys = c.orders.loc[c.orders["amount"] > 0, ["customer_id", "order_date"]]
    act = pd.DataFrame({"customer_id": buys["customer_id"], "month_idx": _month_idx(buys["order_date"])})
    act = act.drop_duplicates()
    act["cohort_idx"] = act.groupby("customer_id", sort=False)["month_idx"].transform("min")
    act["period"] = act["month_idx"] - act["cohort_idx"]
    return act.groupby(["cohort_idx", "period"], as_index=False).size().rename(columns={"size": "n_active"})


def _pd_spells(c: Ctx, method: str) -> pd.DataFrame:
    """Purchase days with previous/next purchase day of the customer (lag/lead by ``groupby().shift``)."""
    buys = c.orders.loc[c.orders["amount"] > 0, ["customer_id", "order_date"]]
    p = pd.DataFrame({"customer_id": buys["customer_id"], "day_n": _epoch_days(buys["order_date"])})
    p = p.drop_duplicates().sort_values("day_n", kind="stable", ignore_index=True)
    g = p.groupby("customer_id", sort=False)["day_n"]
    p["prev_n"] = g.shift(1)
    p["next_n"] = g.shift(-1)
    d = c.inactivity_days
    day, nxt = p["day_n"], p["next_n"]
    p["is_first"] = p["prev_n"].isna()
    p["dormant_from_n"] = day + (c.dormant_days + 1)
    if method == "inactivity":
        p["is_reactivation"] = ~p["is_first"] & ((day - p["prev_n"]) > d)
        churns = nxt.isna() | ((nxt - day) > d)
        p["churn_day_n"] = (day + (d + 1)).where(churns)
        p["dormant_until_n"] = np.minimum(nxt.fillna(day + (d + 1)), day + (d + 1))
    else:
        churn = pd.DataFrame({"customer_id": c.customers["customer_id"],
                              "churn_n": _epoch_days(c.customers["churn_date"])})
        cn = p[["customer_id"]].merge(churn, on="customer_id", how="left")["churn_n"].to_numpy()
        p["dormant_until_n"] = np.fmin(nxt.to_numpy(), cn)  # least() of what is known
    return p


def _counts_by_month(day_or_idx: np.ndarray, name: str, *, is_day: bool = True) -> pd.Series:
    idx = _month_of_day(day_or_idx) if is_day else np.asarray(day_or_idx, dtype="int64")
    return pd.Series(idx).value_counts().rename(name)


def pd_flows(c: Ctx, method: str | None = None) -> pd.DataFrame:
    method = method or c.method
    end_n = _n(c.as_of)
    s = _pd_spells(c, method)
    parts = []
    if method == "inactivity":
        parts.append(_counts_by_month(s.loc[s["is_first"], "day_n"].to_numpy(), "n_new"))
        parts.append(_counts_by_month(s.loc[s["is_reactivation"], "day_n"].to_numpy(), "n_reactivated"))
        ch = s["churn_day_n"]
        parts.append(_counts_by_month(ch[ch.notna() & (ch <= end_n)].to_numpy(), "n_churned"))
    else:
        cu = c.customers[c.customers["signup_date"] <= pd.Timestamp(c.as_of)]
        parts.append(_counts_by_month(_month_idx(cu["signup_date"]), "n_new", is_day=False))
        cd = cu["churn_date"]
        cd = cd[cd.notna() & (cd <= pd.Timestamp(c.as_of))]
        parts.append(_counts_by_month(_month_idx(cd), "n_churned", is_day=False))
    fr, un = s["dormant_from_n"], s["dormant_until_n"]
    dz = (fr <= end_n) & (un.isna() | (fr < un))
    parts.append(_counts_by_month(fr[dz].to_numpy(), "dormant_in"))
    parts.append(_counts_by_month(un[dz & un.notna() & (un <= end_n)].to_numpy(), "dormant_out"))
    out = pd.concat(parts, axis=1).fillna(0).astype("int64")
    for col in ("n_new", "n_reactivated", "n_churned", "dormant_in", "dormant_out"):
        if col not in out:
            out[col] = 0
    out = out.rename_axis("month_idx").sort_index().reset_index()
    return out


def pd_flows_explicit(c: Ctx) -> pd.DataFrame:
    return pd_flows(c, "explicit")


def pd_revenue(c: Ctx) -> pd.DataFrame:
    orders = c.orders[["customer_id", "order_date", "amount"]]
    o = orders[(orders["order_date"] >= pd.Timestamp(c.start)) & (orders["order_date"] <= pd.Timestamp(c.as_of))]
    amt = o["amount"]
    pos = amt > 0
    m = _month_idx(o["order_date"])
    rev = pd.DataFrame({"month_idx": m, "n_orders": pos.astype("int64"), "purchase_revenue": amt.where(pos, 0.0),
                        "refunds": (-amt).where(amt < 0, 0.0), "net_revenue": amt}).groupby("month_idx").sum()
    buys = orders[orders["amount"] > 0]
    first = (pd.DataFrame({"customer_id": buys["customer_id"], "first_idx": _month_idx(buys["order_date"])})
             .groupby("customer_id", as_index=False).min())
    act = pd.DataFrame({"customer_id": o["customer_id"], "month_idx": m})[pos.to_numpy()].drop_duplicates()
    act = act.merge(first, on="customer_id", how="left")
    act["is_first"] = act["first_idx"] == act["month_idx"]
    active = act.groupby("month_idx").agg(n_active=("customer_id", "size"), n_first_purchase=("is_first", "sum"))
    return rev.join(active, how="left").reset_index().sort_values("month_idx", ignore_index=True)


@dataclass(frozen=True)
class Reduction:
    name: str
    engine: Callable[[Ctx], pd.DataFrame]
    pandas: Callable[[Ctx], pd.DataFrame]
    keys: tuple[str, ...]


REDUCTIONS: tuple[Reduction, ...] = (
    Reduction("customer_snapshot", eng_snapshot, pd_snapshot, ("customer_id",)),
    Reduction("monthly_activity", eng_activity, pd_activity, ("customer_id", "month_idx")),
    Reduction("cohort_counts", eng_cohorts, pd_cohorts, ("cohort_idx", "period")),
    Reduction("monthly_flows (inactivity)", eng_flows, pd_flows, ("month_idx",)),
    Reduction("monthly_flows (explicit)", eng_flows_explicit, pd_flows_explicit, ("month_idx",)),
    Reduction("monthly_revenue", eng_revenue, pd_revenue, ("month_idx",)),
)


# ----------------------------------------------------------------------------- checking


def _normalize(df: pd.DataFrame, keys: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
    out = df[columns].copy()
    for col in columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_integer_dtype(s):
            out[col] = s.astype("float64") if s.isna().any() else s.astype("int64")
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype("object")
    return out.sort_values(list(keys), ignore_index=True, kind="stable")


def compare(engine_df: pd.DataFrame, pandas_df: pd.DataFrame, keys: tuple[str, ...]) -> list[str]:
    """Differences between the two answers (empty = equal; floats to a relative 1e-9)."""
    problems = []
    ce, cp = set(engine_df.columns), set(pandas_df.columns)
    if ce != cp:
        problems.append(f"columns differ: engine only {sorted(ce - cp)}, pandas only {sorted(cp - ce)}")
    if len(engine_df) != len(pandas_df):
        problems.append(f"rows differ: engine {len(engine_df):,}, pandas {len(pandas_df):,}")
    if problems:
        return problems
    cols = list(engine_df.columns)
    a, b = _normalize(engine_df, keys, cols), _normalize(pandas_df, keys, cols)
    for col in cols:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(dtype="float64"), y.to_numpy(dtype="float64")
            bad = ~np.isclose(xv, yv, rtol=1e-9, atol=1e-6, equal_nan=True)
        else:
            bad = ~((x == y) | (x.isna() & y.isna())).to_numpy(dtype=bool)
        n_bad = int(bad.sum())
        if n_bad:
            i = int(np.flatnonzero(bad)[0])
            row = {k: a.loc[i, k] for k in keys}
            problems.append(f"column {col!r}: {n_bad:,} of {len(a):,} rows differ (first at {row}: "
                            f"engine {x.iloc[i]!r}, pandas {y.iloc[i]!r})")
    return problems


def totals(df: pd.DataFrame) -> dict[str, float]:
    """Column sums of the numeric columns (a compact fingerprint for the JSON)."""
    out = {"rows": int(len(df))}
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            out[col] = float(df[col].sum())
    return out


# ----------------------------------------------------------------------------- workers (peak memory)


def _libraries() -> None:
    import duckdb  # noqa: F401
    import ibis  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from retention_utils import config, contract, engine  # noqa: F401


def worker(kind: str, data_dir: Path, as_of: str, start: str) -> dict[str, Any]:
    """Run one approach once in this (fresh) process and report its peak RSS."""
    _libraries()
    import ibis

    p = _paths(data_dir)
    result: dict[str, Any] = {"kind": kind}
    t0 = time.perf_counter()
    if kind == "baseline":
        ibis.duckdb.connect().raw_sql("select 1").fetchall()
        result.update(peak_load_mib=peak_rss_mib(), peak_mib=peak_rss_mib(), ru_maxrss_mib=ru_maxrss_mib(),
                      load_s=0.0, run_s=0.0)
        return result
    a, s = dt.date.fromisoformat(as_of), dt.date.fromisoformat(start)
    if kind == "engine":  # through the contract, from the CSV files
        from retention_utils.contract import load_unit_data

        ud = load_unit_data(_load_config(data_dir))
        cfg = ud.config
        ctx = Ctx(ud.orders, ud.customers, ud.month_end, ud.data_start, cfg.churn.method,
                  cfg.churn.inactivity_days, cfg.churn.dormant_days)
    elif kind == "engine-parquet":  # canonical tables from parquet into DuckDB memory, like the contract leaves them
        con = ibis.duckdb.connect()
        o = con.create_table("orders_u", con.read_parquet(p["canon_orders"]), temp=True)
        c = con.create_table("customers_u", con.read_parquet(p["canon_customers"]), temp=True)
        ctx = Ctx(o, c, a, s, CHURN["method"], CHURN["inactivity_days"], CHURN["dormant_days"])
    elif kind == "pandas":
        dates = {"to_pandas_kwargs": {"date_as_object": False}}  # datetime64 columns, as .to_pandas() gives
        o = pd.read_parquet(p["canon_orders"], **dates)
        c = pd.read_parquet(p["canon_customers"], **dates)
        ctx = Ctx(o, c, a, s, CHURN["method"], CHURN["inactivity_days"], CHURN["dormant_days"])
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    result["load_s"] = time.perf_counter() - t0
    result["peak_load_mib"] = peak_rss_mib()
    t0 = time.perf_counter()
    side = "pandas" if kind == "pandas" else "engine"
    for red in REDUCTIONS:
        out = getattr(red, side)(ctx)
        del out
    result["run_s"] = time.perf_counter() - t0
    result["peak_mib"] = peak_rss_mib()
    result["ru_maxrss_mib"] = ru_maxrss_mib()  # for reference only, see _peak_rss_mib
    return result


def run_worker(kind: str, data_dir: Path, as_of: dt.date, start: dt.date) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--data-dir", str(data_dir),
           "--as-of", as_of.isoformat(), "--start", start.isoformat()]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall_s"] = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- main


def _machine() -> dict[str, Any]:
    import duckdb
    import ibis
    import pyarrow

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    return {"cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu": cpu, "ram_gib": round(mem, 1), "platform": platform.platform(),
            "python": platform.python_version(), "versions": {
                "ibis": ibis.__version__, "duckdb": duckdb.__version__, "pandas": pd.__version__,
                "numpy": np.__version__, "pyarrow": pyarrow.__version__}}


def _loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _fmt_s(x: float) -> str:
    return f"{x:8.2f}" if x >= 0.995 else f"{x:8.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="demo customers (default 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per reduction and side (default 3)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench",
                        help="folder of the benchmark data (default data/bench)")
    parser.add_argument("--seed", type=int, default=7, help="demo seed (default 7)")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="folder for the JSON results")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory workers")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--start", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve()

    if args.worker:
        print(json.dumps(worker(args.worker, data_dir, args.as_of or "", args.start or "")))
        return 0
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    machine = _machine()
    data_info = ensure_data(data_dir, args.customers, args.seed)

    from retention_utils.contract import load_unit_data

    # load + validate through the contract (timed once)
    cfg = _load_config(data_dir)
    gc.collect()
    t0 = time.perf_counter()
    ud = load_unit_data(cfg)
    t_load = time.perf_counter() - t0
    n_orders = int(ud.orders.count().to_pyarrow().as_py())
    n_cust = int(ud.customers.count().to_pyarrow().as_py())
    threads = ud.con.con.execute("select current_setting('threads')").fetchall()[0][0]
    print(f"load + validate (load_unit_data, CSV): {t_load:.2f} s -> {n_orders:,} orders, {n_cust:,} customers; "
          f"report month {ud.month_label}", flush=True)

    # pandas inputs: the same canonical tables (not timed); parquet copies for the workers
    p = _paths(data_dir)
    t0 = time.perf_counter()
    o_pd = ud.orders.to_pandas()
    c_pd = ud.customers.to_pandas()
    t_topd = time.perf_counter() - t0
    ud.orders.to_parquet(p["canon_orders"])
    ud.customers.to_parquet(p["canon_customers"])
    print(f"canonical tables to pandas (not timed in the comparison): {t_topd:.2f} s", flush=True)

    churn = cfg.churn
    ectx = Ctx(ud.orders, ud.customers, ud.month_end, ud.data_start, churn.method,
               churn.inactivity_days, churn.dormant_days)
    pctx = Ctx(o_pd, c_pd, ud.month_end, ud.data_start, churn.method, churn.inactivity_days, churn.dormant_days)

    load_before = _loadavg()
    times: dict[str, dict[str, list[float]]] = {r.name: {"engine": [], "pandas": []} for r in REDUCTIONS}
    checks: dict[str, dict[str, Any]] = {}
    for rep in range(args.repeats):
        for red in REDUCTIONS:
            order = ("engine", "pandas") if rep % 2 == 0 else ("pandas", "engine")
            outs = {}
            for side in order:
                fn, ctx = (red.engine, ectx) if side == "engine" else (red.pandas, pctx)
                gc.collect()
                t0 = time.perf_counter()
                out = fn(ctx)
                times[red.name][side].append(time.perf_counter() - t0)
                if rep == 0:
                    outs[side] = out
                del out
            if rep == 0:
                problems = compare(outs["engine"], outs["pandas"], red.keys)
                checks[red.name] = {"equal": not problems, "problems": problems,
                                    "engine_totals": totals(outs["engine"]), "pandas_totals": totals(outs["pandas"])}
                if red.name.startswith("monthly_flows"):
                    after = outs["engine"][outs["engine"]["month_idx"] > ud.month.year * 12 + ud.month.month - 1]
                    checks[red.name]["rows_after_end"] = after.to_dict(orient="records")
            del outs
            print(f"  run {rep + 1}/{args.repeats} {red.name:<28} engine {times[red.name]['engine'][-1]:7.2f} s   "
                  f"pandas {times[red.name]['pandas'][-1]:7.2f} s", flush=True)

    load_after = _loadavg()
    memory: dict[str, Any] = {}
    if not args.no_memory:
        del o_pd, c_pd, pctx, ectx
        for kind in ("baseline", "engine", "engine-parquet", "pandas"):
            print(f"  memory worker {kind} ...", flush=True)
            memory[kind] = run_worker(kind, data_dir, ud.month_end, ud.data_start)
        base = memory["baseline"]["peak_mib"]
        for kind in ("engine", "engine-parquet", "pandas"):
            memory[kind]["delta_load_mib"] = memory[kind]["peak_load_mib"] - base
            memory[kind]["delta_mib"] = memory[kind]["peak_mib"] - base

    # ------------------------------------------------------------------ report
    med = {n: {s: statistics.median(v) for s, v in d.items()} for n, d in times.items()}
    v = machine["versions"]
    lines = [
        "",
        f"Engine (Ibis -> DuckDB, in-process) vs plain pandas: demo data, {args.customers:,} customers, "
        f"all business units as one unit '{UNIT}'",
        f"machine: {machine['cores']} cores ({machine['cpu']}), {machine['ram_gib']} GiB RAM; DuckDB threads {threads}; "
        f"python {machine['python']}, ibis {v['ibis']}, duckdb {v['duckdb']}, pandas {v['pandas']}, "
        f"numpy {v['numpy']}, pyarrow {v['pyarrow']}",
        f"data: raw {data_info['raw_order_rows']:,} order rows, {data_info['raw_customers']:,} customers -> canonical "
        f"{n_orders:,} orders, {n_cust:,} customers; report month {ud.month_label} "
        f"(as_of {ud.month_end}), churn {churn.method} {churn.inactivity_days}/{churn.dormant_days} days",
        (f"demo data generated in {data_info['generate_s']:.1f} s (not timed)" if data_info["generated"]
         else "demo data reused from " + str(data_dir)),
        f"load + validate (load_unit_data from CSV): {t_load:.2f} s (1 run)",
        f"load average (1 min) before / after the timed runs: {load_before:.1f} / {load_after:.1f} on "
        f"{machine['cores']} cores" + ("  <- other processes competed for the CPU: timings are noisy"
                                      if max(load_before, load_after) > 0.5 * (machine["cores"] or 1) else ""),
        f"timings: median of {args.repeats} runs, seconds, result materialized as a pandas DataFrame; "
        "engine and pandas alternately",
        "",
        f"{'reduction':<28} {'engine s':>8} {'pandas s':>8} {'pandas/engine':>13} {'rows':>11}  same answer",
        "-" * 86,
    ]
    tot_e = tot_p = 0.0
    for red in REDUCTIONS:
        e, pp = med[red.name]["engine"], med[red.name]["pandas"]
        tot_e += e
        tot_p += pp
        ck = checks[red.name]
        lines.append(f"{red.name:<28} {_fmt_s(e)} {_fmt_s(pp)} {pp / e:12.1f}x {ck['engine_totals']['rows']:>11,}  "
                     f"{'yes' if ck['equal'] else 'NO'}")
    lines.append("-" * 86)
    lines.append(f"{'total of medians':<28} {_fmt_s(tot_e)} {_fmt_s(tot_p)} {tot_p / tot_e:12.1f}x")
    if memory:
        base = memory["baseline"]["peak_mib"]
        lines += ["", f"peak RSS, one worker process per approach, delta over an import-only worker "
                      f"({base:,.0f} MiB):",
                  f"{'worker':<52} {'after load':>11} {'peak':>9} {'load s':>7} {'reductions s':>13}"]
        labels = {"engine": "engine: load_unit_data (CSV) + reductions",
                  "engine-parquet": "engine: canonical parquet -> DuckDB + reductions",
                  "pandas": "pandas: canonical parquet -> pandas + reductions"}
        for kind, label in labels.items():
            m = memory[kind]
            lines.append(f"{label:<52} {m['delta_load_mib']:>7,.0f} MiB {m['delta_mib']:>5,.0f} MiB "
                         f"{m['load_s']:>7.1f} {m['run_s']:>13.1f}")
    bad = {n: c for n, c in checks.items() if not c["equal"]}
    lines.append("")
    if bad:
        lines.append("DIFFERENT ANSWERS (the timings of these rows compare different results):")
        for n, c in bad.items():
            for prob in c["problems"]:
                lines.append(f"  {n}: {prob}")
    else:
        lines.append("every reduction: engine and pandas answers equal (floats to a relative 1e-9)")
    for n, c in checks.items():
        if c.get("rows_after_end"):
            shown = "; ".join(
                f"{r['month_idx'] // 12}-{r['month_idx'] % 12 + 1:02d}: "
                + ", ".join(f"{k} {v:,}" for k, v in r.items() if k != "month_idx" and v)
                for r in c["rows_after_end"])
            lines.append(f"note: {n} returns {len(c['rows_after_end'])} month(s) after the report month "
                         f"{ud.month_label} (its docstring says events after `end` are not counted): {shown}")
    report = "\n".join(lines)
    print(report)

    args.results.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    path = args.results / f"bench_engine-{today}.json"
    payload = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine, "duckdb_threads": threads,
        "args": {"customers": args.customers, "repeats": args.repeats, "seed": args.seed, "data_dir": str(data_dir)},
        "data": {**data_info, "canonical_orders": n_orders, "canonical_customers": n_cust,
                 "report_month": ud.month_label, "as_of": ud.month_end.isoformat(),
                 "data_start": ud.data_start.isoformat(), "churn": churn.model_dump()},
        "load_validate_s": t_load, "canonical_to_pandas_s": t_topd,
        "loadavg_1min": {"before_timings": load_before, "after_timings": load_after},
        "min_s": {n: {s_: min(v_) for s_, v_ in d.items()} for n, d in times.items()},
        "timings_s": times, "median_s": med,
        "ratio_pandas_over_engine": {n: med[n]["pandas"] / med[n]["engine"] for n in med},
        "memory": memory, "checks": checks, "table": report,
    }
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    print(f"\nresults written to {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
