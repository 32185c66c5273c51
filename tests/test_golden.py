"""Golden test: the refactor of issue 10 changed no number.

``tests/golden/reference`` holds every frame and scalar the pre-refactor analyses produced (commit
b2a30ff), and the at-risk CSV, on the demo data and on ``../shared/data/real/online_retail``; the
script that made it is ``tests/golden/make_reference.py`` (its docstring says how it was run). Here
the same units run through today's API (``x_analysis(data)``) and every reference frame must be
found and equal (floats to 1e-9 relative; the reference was written with 17 significant digits),
every reference scalar equal, and the at-risk CSV byte for byte identical.

Both runs use one DuckDB thread (``make_reference.ENGINE_THREADS``): with more, DuckDB's row order
and float summation order vary run to run, and so do the last digits of sums and the gradient
boosting's folds.
"""
from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import REAL, ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))
import make_reference as ref  # noqa: E402

REFERENCE = ROOT / "tests" / "golden" / "reference"

#: Where a reference name lives in today's results: ``analysis__old`` -> ``analysis__new``.
RENAMED: dict[str, str] = {}

#: Frames with one row per customer whose row order is the engine's (it varies run to run in the old code
#: too): compared after sorting by these columns.
SORT_BY: dict[str, list[str]] = {"survival__life.table": ["customer_id"]}

#: Reference scalars today's results no longer carry, with the reason.
DROPPED_SCALARS: dict[str, str] = {}


def _changed() -> dict[str, str]:
    """Frames (``analysis__name``), scalars (``analysis__scalar.name``) or ``at_risk_customers`` whose change
    was intended after issue 10, with the reason: ``tests/golden/changed/*.tsv``, one ``key<TAB>reason``
    line each (one file per change, so that parallel work never edits the same file). A line without a
    reason is refused."""
    out = {}
    for path in sorted((ROOT / "tests" / "golden" / "changed").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, _, reason = line.partition("\t")
            assert reason.strip(), f"{path.name}: {key!r} has no reason"
            out[key.strip()] = reason.strip()
    return out


#: Intended changes since the reference (issue 12 on): skipped, each with its reason.
CHANGED: dict[str, str] = _changed()


def today(params_dir: Path, unit: str, scratch: Path) -> tuple[dict[str, dict[str, pd.DataFrame]],
                                                              dict[str, dict[str, str]], Path | None]:
    """Every analysis of one unit through today's API: frames and scalars (as text) per analysis."""
    import retention_utils as ru

    cfg = ru.load_config(params_dir, unit)
    cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"threads": ref.ENGINE_THREADS})})
    data = ru.load_unit_data(cfg)
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    scalars: dict[str, list[tuple[str, Any]]] = {}
    if data.kind != "snapshot":
        k = ru.kpi_analysis(data)
        frames["kpis"] = {"monthly": k.monthly, "headline": k.headline}
        scalars["kpis"] = [("unit", unit), ("month", data.month_label), ("kind", data.kind),
                           ("has_amounts", bool(data.has_amounts))]
        c = ru.cohort_analysis(data)
        frames["cohorts"] = {"table": c.table, "pooled": c.pooled, "recent": c.recent, "control": c.control}
        scalars["cohorts"] = [("definition", c.definition), ("period", c.period), ("by", c.by),
                              ("min_customers", c.min_customers), ("has_amounts", c.has_amounts)]
        frames["groups"] = {"curves": c.group_curves, "test": c.group_test}
        scalars["groups"] = [("attribute", str(c.split_by)), ("by", c.by), ("period", c.period),
                             ("definition", c.definition)]
    surv = ru.survival_analysis(data)
    frames["survival"], scalars["survival"] = ref.collect(surv)
    drv = ru.drivers_analysis(data)
    frames["drivers"], scalars["drivers"] = ref.collect(drv.drivers)
    frames["warning"], scalars["warning"] = ref.collect(drv.warning)
    out = scratch / unit
    out.mkdir(parents=True, exist_ok=True)
    saved = ru.drivers.write_at_risk_list(drv, out)
    texts = {a: dict(zip(*ref.scalars_frame(s)[["name", "value"]].T.values)) for a, s in scalars.items()}
    return frames, texts, saved


def _csv_roundtrip(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as the reference stored it: written as CSV at full precision and read back."""
    buf = io.BytesIO()
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None or any(df.index.names):
        df = df.reset_index()
    df.to_csv(buf, index=False, float_format="%.17g")
    buf.seek(0)
    try:
        return pd.read_csv(buf)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def check_unit(dataset: str, params_dir: Path, unit: str, scratch: Path) -> list[str]:
    """Differences between the reference of one unit and today's results (empty: identical)."""
    frames, scalars, saved = today(params_dir, unit, scratch)
    problems = []
    folder = REFERENCE / dataset / unit
    for path in sorted(folder.glob("*__*.csv.gz")):
        key = path.name[: -len(".csv.gz")]
        analysis, name = key.split("__", 1)
        try:
            expected = pd.read_csv(path, keep_default_na=(name != "scalars"), na_values=[""] if name == "scalars"
                                   else None)
        except pd.errors.EmptyDataError:
            expected = pd.DataFrame()
        if name == "scalars":
            got = scalars.get(analysis, {})
            for n, v in zip(expected["name"], expected["value"].fillna("").astype(str)):
                new = RENAMED.get(f"{analysis}__{n}", f"{analysis}__{n}").split("__", 1)[1]
                if f"{analysis}__{n}" in DROPPED_SCALARS or f"{analysis}__scalar.{n}" in CHANGED:
                    continue
                if new not in got:
                    problems.append(f"{dataset}/{unit}: scalar {analysis}.{n} missing")
                elif str(got[new]) != v:
                    problems.append(f"{dataset}/{unit}: scalar {analysis}.{n}: {got[new]!r} != {v!r}")
            continue
        if key in CHANGED:
            continue
        new_analysis, new_name = RENAMED.get(key, key).split("__", 1)
        frame = frames.get(new_analysis, {}).get(new_name)
        if frame is None:
            problems.append(f"{dataset}/{unit}: frame {key} missing (today: {sorted(frames.get(new_analysis, {}))})")
            continue
        got = _csv_roundtrip(frame)
        if len(expected.columns) and set(expected.columns) <= set(got.columns):
            got = got[list(expected.columns)]  # columns added since the reference are new information, not changes
        if key in SORT_BY:
            got = got.sort_values(SORT_BY[key], ignore_index=True)
            expected = expected.sort_values(SORT_BY[key], ignore_index=True)
        try:
            pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=0)
        except AssertionError as exc:
            problems.append(f"{dataset}/{unit}: frame {key} differs: {str(exc)[:400]}")
    ref_csv = folder / "at_risk_customers.csv.gz"
    if ref_csv.exists() and "at_risk_customers" not in CHANGED:
        if saved is None:
            problems.append(f"{dataset}/{unit}: no at-risk CSV written")
        elif gzip.decompress(ref_csv.read_bytes()) != saved.read_bytes():
            problems.append(f"{dataset}/{unit}: at-risk CSV differs")
    return problems


@pytest.fixture(scope="module")
def golden_demo(tmp_path_factory) -> Path:
    """The reference's demo layout: its size and seed, beside a copy of today's params."""
    from tests.conftest import demo_layout

    return demo_layout(tmp_path_factory.mktemp("golden"), n_customers=ref.DEMO_CUSTOMERS, seed=ref.DEMO_SEED)


@pytest.mark.slow
@pytest.mark.parametrize("unit", ref.DEMO_UNITS)
def test_demo_unit_is_unchanged(golden_demo, unit, tmp_path):
    assert check_unit("demo", golden_demo, unit, tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("unit", ref.ONLINE_RETAIL_UNITS)
def test_online_retail_unit_is_unchanged(unit, tmp_path):
    if not REAL.is_dir():
        pytest.skip(f"real data sets not found at {REAL} (they sit beside the repo in CI)")
    assert check_unit("online_retail", ROOT / "examples" / "online_retail" / "params", unit, tmp_path) == []


def test_reference_is_complete():
    """Every unit of both data sets has its frames and the at-risk CSV (a partial reference proves nothing)."""
    for dataset, units in (("demo", ref.DEMO_UNITS), ("online_retail", ref.ONLINE_RETAIL_UNITS)):
        for unit in units:
            names = {p.name for p in (REFERENCE / dataset / unit).glob("*.csv.gz")}
            assert {"kpis__monthly.csv.gz", "cohorts__table.csv.gz", "survival__km.curve.csv.gz",
                    "drivers__metrics.csv.gz", "at_risk_customers.csv.gz"} <= names, (dataset, unit)


