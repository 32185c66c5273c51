"""The KPI ledger: every run's headline numbers, kept across runs in one Parquet file.

``<reports root>/kpi_ledger.parquet`` holds one row per unit, report month, analysis and metric, as the
run that reported that month computed it (columns: :data:`LEDGER_COLUMNS`, documented in
``docs/ledger.md``). Re-running a month replaces that unit's rows of that month, so the ledger
always holds what the latest run of each month reported; a BI tool reads the file directly.

Because the ledger keeps what each month's run reported, a later run can tell when the history
moved: :func:`revisions` compares the values each earlier month was reported with against the same
months recomputed from today's exports (a corrected export, late orders, a changed churn rule), and
the unit summary lists the differences.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["LEDGER_FILE", "LEDGER_COLUMNS", "input_fingerprint", "ledger_rows", "update_ledger", "read_ledger",
           "revisions", "record_run", "unit_revisions"]

LEDGER_FILE = "kpi_ledger.parquet"

#: The ledger's columns, in order (``docs/ledger.md`` says what each holds).
LEDGER_COLUMNS: tuple[str, ...] = ("unit", "month", "analysis", "metric", "label", "value", "measure_unit",
                                   "ci_lower", "ci_upper", "higher_is_better", "run_id", "run_at",
                                   "input_fingerprint", "kit_version")

_TYPES = {"unit": "string", "month": "string", "analysis": "string", "metric": "string", "label": "string",
          "value": "float64", "measure_unit": "string", "ci_lower": "float64", "ci_upper": "float64",
          "higher_is_better": "boolean", "run_id": "string", "run_at": "string", "input_fingerprint": "string",
          "kit_version": "string"}


def input_fingerprint(inputs: Iterable[Mapping[str, Any]]) -> str:
    """One SHA-256 over the input files' own SHA-256 digests (order-free): the same exports give the same value.

    Examples
    --------
    >>> a = input_fingerprint([{"sha256": "aa"}, {"sha256": "bb"}])
    >>> a == input_fingerprint([{"sha256": "bb"}, {"sha256": "aa"}]), len(a)
    (True, 64)
    """
    digests = sorted(str(i.get("sha256", "")) for i in inputs)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _bool(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return {"true": True, "false": False}.get(v.strip().lower(), pd.NA)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return pd.NA
    return bool(v)


def ledger_rows(summary: pd.DataFrame, *, unit: str, month: str, run_id: str, run_at: str, fingerprint: str,
                kit_version: str = "") -> pd.DataFrame:
    """The ledger rows of one unit's run: its summary rows without a comparison (deltas follow from the ledger).

    Examples
    --------
    >>> s = pd.DataFrame({"analysis": ["kpis", "kpis"], "metric": ["churn_rate"] * 2, "label": ["Churn"] * 2,
    ...                   "value": [0.1, 0.02], "unit": ["share"] * 2, "ci_lower": [0.08, None],
    ...                   "ci_upper": [0.12, None], "compared_to": ["", "previous month"], "delta": [None, 0.02],
    ...                   "higher_is_better": [False, False]})
    >>> r = ledger_rows(s, unit="retail", month="2025-12", run_id="r1", run_at="2026-01-03T08:00", fingerprint="f")
    >>> r[["unit", "month", "metric", "value", "measure_unit", "ci_lower"]].to_dict("records")
    [{'unit': 'retail', 'month': '2025-12', 'metric': 'churn_rate', 'value': 0.1, 'measure_unit': 'share', 'ci_lower': 0.08}]
    """
    s = summary[summary["compared_to"].astype("string").fillna("") == ""]
    out = pd.DataFrame({
        "unit": unit, "month": month, "analysis": s["analysis"].astype(str).values,
        "metric": s["metric"].astype(str).values, "label": s["label"].astype(str).values,
        "value": pd.to_numeric(s["value"], errors="coerce").values, "measure_unit": s["unit"].astype(str).values,
        "ci_lower": pd.to_numeric(s["ci_lower"], errors="coerce").values,
        "ci_upper": pd.to_numeric(s["ci_upper"], errors="coerce").values,
        "higher_is_better": [_bool(v) for v in s["higher_is_better"]],
        "run_id": run_id, "run_at": run_at, "input_fingerprint": fingerprint, "kit_version": kit_version,
    }, columns=list(LEDGER_COLUMNS))
    return out.astype(_TYPES)


def read_ledger(root: str | Path) -> pd.DataFrame:
    """The ledger under reports root ``root`` (an empty frame with its columns when there is none yet)."""
    path = Path(root) / LEDGER_FILE
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _TYPES.items()})
    got = pd.read_parquet(path)
    missing = [c for c in LEDGER_COLUMNS if c not in got.columns]
    if missing:
        raise ValueError(f"{path}: not a KPI ledger (columns {missing} missing)")
    return got[list(LEDGER_COLUMNS)].astype(_TYPES)


def update_ledger(root: str | Path, rows: pd.DataFrame) -> tuple[Path, str]:
    """Add ``rows`` to the ledger under ``root``, replacing the rows of the same units and months.

    Written to a temporary file and renamed, so a reader never sees half a ledger. A ledger that cannot be
    read (damaged, or another file of that name) is kept aside as ``kpi_ledger.unreadable-<time>.parquet``
    and a new one started; the returned message says so (empty when all went well).
    """
    root = Path(root)
    path = root / LEDGER_FILE
    message = ""
    try:
        old = read_ledger(root)
    except Exception as exc:  # noqa: BLE001 - any unreadable file: keep it, start anew, say so
        aside = root / f"kpi_ledger.unreadable-{dt.datetime.now():%Y%m%d-%H%M%S}.parquet"
        os.replace(path, aside)
        old = read_ledger(root)
        message = (f"The KPI ledger {path.name} could not be read ({type(exc).__name__}); it was kept as "
                   f"{aside.name} and a new ledger started with this run.")
    if len(rows):
        done = set(zip(rows["unit"], rows["month"]))
        keep = ~pd.Series([(u, m) in done for u, m in zip(old["unit"], old["month"])], index=old.index, dtype=bool)
        old = old[keep]
    new = pd.concat([old, rows.astype(_TYPES)], ignore_index=True) if len(old) else rows.astype(_TYPES)
    new = new.sort_values(["unit", "month", "analysis", "metric"], kind="stable", ignore_index=True)
    tmp = root / f".{LEDGER_FILE}.{uuid.uuid4().hex[:8]}"
    new.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path, message


def revisions(ledger: pd.DataFrame, unit: str, monthly: pd.DataFrame, metrics: Mapping[str, str], *,
              before: str, rel_tol: float = 1e-6) -> list[dict[str, Any]]:
    """Months whose headline numbers, as first reported, differ from the same months recomputed today.

    Parameters
    ----------
    ledger
        :func:`read_ledger`.
    monthly
        Today's monthly table (``month`` as a date, one column per metric), e.g. ``kpis.monthly_kpis``.
    metrics
        ``metric -> label`` of the ``kpis`` rows to compare (e.g. the churn rate and the buyers).
    before
        The report month (``YYYY-MM``): only earlier months are compared.

    Returns
    -------
    list of dict
        ``month, metric, label, reported, now, run_at`` per differing number, oldest month first.

    Examples
    --------
    >>> led = pd.DataFrame({"unit": ["u", "u"], "month": ["2025-10", "2025-11"], "analysis": ["kpis"] * 2,
    ...                     "metric": ["n_active"] * 2, "value": [100.0, 120.0], "run_at": ["a", "b"]})
    >>> mon = pd.DataFrame({"month": pd.to_datetime(["2025-10-01", "2025-11-01"]), "n_active": [100, 125]})
    >>> revisions(led, "u", mon, {"n_active": "Buyers"}, before="2025-12")
    [{'month': '2025-11', 'metric': 'n_active', 'label': 'Buyers', 'reported': 120.0, 'now': 125.0, 'run_at': 'b'}]
    """
    if ledger.empty or monthly.empty:
        return []
    led = ledger[(ledger["unit"] == unit) & (ledger["analysis"] == "kpis") & (ledger["month"] < before)
                 & ledger["metric"].isin(list(metrics))]
    if led.empty:
        return []
    now = monthly.assign(_m=pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")).set_index("_m")
    out = []
    for r in led.sort_values(["month", "metric"]).itertuples():
        if r.month not in now.index or r.metric not in now.columns:
            continue
        reported, today = float(r.value), float(now.at[r.month, r.metric])
        if math.isnan(reported) and math.isnan(today):
            continue
        if math.isnan(reported) or math.isnan(today) or not math.isclose(reported, today, rel_tol=rel_tol,
                                                                            abs_tol=1e-9):
            out.append({"month": r.month, "metric": r.metric, "label": metrics[r.metric], "reported": reported,
                        "now": today, "run_at": str(r.run_at)})
    return out


def record_run(results: Iterable[Any], reports_dir: str | Path, *, run_id: str, started: str, kit_version: str = "",
               month_of_failed: str = "") -> str:
    """Every finished unit's summary rows (``<month>/<unit>/summary.csv``) into the ledger under ``reports_dir``.

    ``results`` are the run's ``UnitResult``; failed units, and units without a month
    (``month_of_failed``), add nothing. Returns :func:`update_ledger`'s message (empty when all went well).
    """
    root = Path(reports_dir)
    frames = []
    for res in results:
        if res.status != "ok" or not res.month or res.month == month_of_failed:
            continue
        path = root / res.month / res.unit / "summary.csv"
        if not path.is_file():
            continue
        summary = pd.read_csv(path, keep_default_na=False, na_values=[""])
        if summary.empty:
            continue
        frames.append(ledger_rows(summary, unit=res.unit, month=res.month, run_id=run_id, run_at=started,
                                  fingerprint=input_fingerprint(res.inputs), kit_version=kit_version))
    if not frames:
        return ""
    return update_ledger(root, pd.concat(frames, ignore_index=True))[1]


def unit_revisions(reports_root: str | Path, unit: str, data: Any, month: str) -> list[dict[str, Any]]:
    """Earlier months whose headline KPIs, as their own run reported them, differ from today's exports.

    ``data`` is the unit's validated data (its monthly KPI table is cached there, so this costs no second
    computation). An unreadable ledger gives no revisions here; it is reported when the run writes it.
    """
    from .kpis import KPI_LABELS, monthly_kpis

    try:
        ledger = read_ledger(reports_root)
    except Exception:  # noqa: BLE001 - reported (and kept aside) by update_ledger
        return []
    if ledger.empty:
        return []
    return revisions(ledger, unit, monthly_kpis(data), {k: v[0] for k, v in KPI_LABELS.items()}, before=month)
