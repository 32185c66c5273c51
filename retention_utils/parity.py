"""Same data, two engines, same numbers: the check behind ``engine.backend``.

:func:`unit_frames` runs every analysis of a unit the way the monthly run's notebooks do (the
churn scores and CLV handed from one to the next) and returns what the reports print: each
analysis's ``summary_frame()``, the data-quality accounting and the at-risk list. :func:`differences`
compares two such sets the way the issue asks: integers exactly, money to the cent, rates and
other numbers to 1e-9 (relative where values are large), text exactly. Used by
``tests/test_engine_parity.py`` on PostgreSQL and Spark, and by anyone moving a unit to a warehouse:
run both, compare, then switch.
"""
from __future__ import annotations

import math
import tempfile

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["unit_frames", "differences"]


def unit_frames(data: Any, *, analyses: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Every frame a unit's reports are made of, keyed ``quality_rows``, ``kpis``, ... ``at_risk``.

    ``analyses`` limits the run to some of ``kpis, cohorts, survival, drivers, rfm, lifecycle, clv, value,
    campaigns`` (all by default; ``value`` and ``campaigns`` take the drivers' scores and CLV when run).
    """
    from . import cohorts, drivers, kpis, segments, survival, value as value_mod
    from .campaigns import campaign_analysis
    from .clv.analysis import clv_analysis

    todo = analyses or ("kpis", "cohorts", "survival", "drivers", "rfm", "lifecycle", "clv", "value", "campaigns")
    out: dict[str, pd.DataFrame] = {f"quality_{p}": getattr(data.quality, p) for p in ("rows", "inputs", "notes")}
    if "kpis" in todo:
        out["kpis"] = kpis.kpi_analysis(data).summary_frame()
    if "cohorts" in todo:
        out["cohorts"] = cohorts.cohort_analysis(data).summary_frame()
    if "survival" in todo:
        out["survival"] = survival.survival_analysis(data).summary_frame()
    scores = clv = rfm = None
    if "drivers" in todo:
        drv = drivers.drivers_analysis(data)
        out["drivers"] = drv.summary_frame()
        with tempfile.TemporaryDirectory() as tmp:
            path = drivers.write_at_risk_list(drv, tmp)
            out["at_risk"] = pd.read_csv(path) if path else pd.DataFrame()
        scores = getattr(getattr(drv, "warning", None), "scores", None)
    if "rfm" in todo:
        rfm = segments.rfm_analysis(data)
        out["rfm"] = rfm.summary_frame()
    if "lifecycle" in todo:
        out["lifecycle"] = segments.lifecycle_analysis(data).summary_frame()
    if "clv" in todo or "value" in todo:
        clv = clv_analysis(data)
        out["clv"] = clv.summary_frame()
    if "value" in todo:
        out["value"] = value_mod.value_analysis(data, clv=clv, rfm=rfm, scores=scores).summary_frame()
    if "campaigns" in todo:
        out["campaigns"] = campaign_analysis(data, scores=scores).summary_frame()
    return out


def _is_money(col: str) -> bool:
    return any(w in col for w in ("revenue", "value", "clv", "amount", "margin", "spend", "money"))


def differences(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], *, rtol: float = 1e-9,
                limit: int = 20) -> list[str]:
    """Where two :func:`unit_frames` sets differ (empty when identical), in words, at most ``limit`` lines."""
    out: list[str] = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            out.append(f"{key}: only in {'the first' if key in a else 'the second'}")
            continue
        x, y = a[key].reset_index(drop=True), b[key].reset_index(drop=True)
        if list(x.columns) != list(y.columns):
            out.append(f"{key}: columns differ: {list(x.columns)} vs {list(y.columns)}")
            continue
        if len(x) != len(y):
            out.append(f"{key}: {len(x)} rows vs {len(y)}")
            continue
        for col in x.columns:
            xs, ys = x[col], y[col]
            if pd.api.types.is_numeric_dtype(xs) and pd.api.types.is_numeric_dtype(ys) \
                    and not pd.api.types.is_bool_dtype(xs):
                xv, yv = xs.to_numpy(dtype=float, na_value=np.nan), ys.to_numpy(dtype=float, na_value=np.nan)
                both_nan = np.isnan(xv) & np.isnan(yv)
                scale = np.maximum(1.0, np.maximum(np.abs(xv), np.abs(yv)))
                tol = np.maximum(0.005, rtol * scale) if _is_money(col) else rtol * scale
                bad = ~both_nan & ~(np.abs(xv - yv) <= tol)
            else:
                xt = xs.astype(object).where(xs.notna(), None)
                yt = ys.astype(object).where(ys.notna(), None)
                bad = np.array([not (p == q or (_nan(p) and _nan(q))) for p, q in zip(xt, yt)])
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                label = " ".join(str(x.iloc[i][c]) for c in ("analysis", "metric", "label", "table", "reason")
                                 if c in x.columns)
                out.append(f"{key}.{col}: {int(bad.sum())} row(s) differ, first row {i} ({label.strip()}): "
                           f"{xs.iloc[i]!r} vs {ys.iloc[i]!r}")
    return out[:limit]


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))



