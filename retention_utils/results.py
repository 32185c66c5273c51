"""The analysis contract: what every ``x_analysis(data, spec)`` returns.

Every analysis returns a frozen dataclass of tidy frames that mixes in :class:`AnalysisResult`:

* ``notes``: a frame ``section, subject, note`` (the same format for every analysis): caveats
  the report shows beside the numbers (small samples, merged levels, dropped terms);
* ``summary_frame()``: the headline numbers as long rows with the columns of
  :data:`SUMMARY_COLUMNS`; the runner's pages, the month index and other tools read these and
  never recompute an analysis's numbers;
* ``_repr_html_``: the result shows itself in a notebook; the display module is imported
  lazily, so computation never imports presentation code.
"""
from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

__all__ = ["SUMMARY_COLUMNS", "NOTE_COLUMNS", "AnalysisResult", "notes_frame", "summary_rows", "write_summary",
           "read_summaries", "write_handoff", "read_handoff"]

#: Columns of ``summary_frame()``: one row per headline number.
#:
#: ``analysis`` (e.g. ``kpis``), ``metric`` (a stable snake_case key), ``label`` (plain words),
#: ``value``, ``unit`` (``customers``, ``share`` (a fraction, 0.04 = 4%), ``months``, a currency
#: code, ``ratio``, ``auc``, ...), ``ci_lower``/``ci_upper`` (95% interval, NaN when not estimated),
#: ``compared_to`` (what ``delta`` is measured against, e.g. ``previous month``; empty: no comparison),
#: ``delta`` (value minus the comparison, in the metric's unit; shares in fractions, i.e. 0.012 = +1.2 pp),
#: ``higher_is_better`` (True/False, or NaN when neither).
SUMMARY_COLUMNS: tuple[str, ...] = ("analysis", "metric", "label", "value", "unit", "ci_lower", "ci_upper",
                                    "compared_to", "delta", "higher_is_better")

#: Columns of every result's ``notes`` frame.
NOTE_COLUMNS: tuple[str, ...] = ("section", "subject", "note")


def notes_frame(rows: Iterable[Mapping[str, Any] | tuple[str, str, str]] = ()) -> pd.DataFrame:
    """A ``notes`` frame (``section, subject, note``) from dicts or ``(section, subject, note)`` tuples.

    Examples
    --------
    >>> notes_frame([("cox", "channel", "merged 2 rare levels")]).to_dict("records")
    [{'section': 'cox', 'subject': 'channel', 'note': 'merged 2 rare levels'}]
    >>> list(notes_frame().columns)
    ['section', 'subject', 'note']
    """
    out = []
    for r in rows:
        if isinstance(r, Mapping):
            out.append({c: str(r.get(c, "")) for c in NOTE_COLUMNS})
        else:
            out.append(dict(zip(NOTE_COLUMNS, map(str, r))))
    return pd.DataFrame(out, columns=list(NOTE_COLUMNS))


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def summary_rows(rows: Iterable[Mapping[str, Any]], *, analysis: str) -> pd.DataFrame:
    """A ``summary_frame()`` from dicts: missing columns filled (NaN numbers, empty text).

    Examples
    --------
    >>> f = summary_rows([{"metric": "n", "label": "Customers", "value": 3, "unit": "customers"}], analysis="x")
    >>> f.analysis[0], f.metric[0], float(f.value[0]), f.compared_to[0]
    ('x', 'n', 3.0, '')
    """
    out = []
    for r in rows:
        hib = r.get("higher_is_better", math.nan)
        out.append({"analysis": analysis, "metric": str(r["metric"]), "label": str(r.get("label", r["metric"])),
                    "value": _num(r.get("value")), "unit": str(r.get("unit", "")),
                    "ci_lower": _num(r.get("ci_lower")), "ci_upper": _num(r.get("ci_upper")),
                    "compared_to": str(r.get("compared_to", "") or ""), "delta": _num(r.get("delta")),
                    "higher_is_better": hib if isinstance(hib, bool) else math.nan})
    frame = pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))
    return frame.astype({"value": float, "ci_lower": float, "ci_upper": float, "delta": float})


class AnalysisResult:
    """Mixin of every analysis result (a frozen dataclass with a ``notes`` frame).

    Subclasses set ``_display`` to the module that renders them (it must define
    ``result_html(result)``) and implement :meth:`summary_frame`.
    """

    _display: ClassVar[str] = ""

    def summary_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        if not self._display:
            return f"<pre>{type(self).__name__}</pre>"
        module = importlib.import_module(self._display)
        return str(module.result_html(self))


SUMMARY_DIR = "_summary"


def write_summary(result: AnalysisResult | pd.DataFrame, output_dir: str | Path | None) -> Path | None:
    """Write a result's summary rows to ``output_dir/_summary/<analysis>.csv`` for the runner.

    Nothing is written when ``output_dir`` is empty (an analyst's interactive session). The
    runner gathers these files into the unit's ``summary.csv``.
    """
    if not output_dir or result is None:  # None: an optional analysis that did not run (no experiment named)
        return None
    frame = result if isinstance(result, pd.DataFrame) else result.summary_frame()
    if frame.empty:
        return None
    folder = Path(output_dir) / SUMMARY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = str(frame["analysis"].iloc[0])
    if not name.replace("_", "").isalnum():
        raise ValueError(f"analysis name {name!r} is not a plain word")
    path = folder / f"{name}.csv"
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def read_summaries(output_dir: str | Path) -> pd.DataFrame:
    """All summary rows written by :func:`write_summary` into ``output_dir`` (empty frame if none)."""
    folder = Path(output_dir) / SUMMARY_DIR
    parts = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))]
    if not parts:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(SUMMARY_COLUMNS)]
    for col in ("value", "ci_lower", "ci_upper", "delta"):
        out[col] = pd.to_numeric(out[col].replace("", None), errors="coerce").astype(float)
    out["higher_is_better"] = out["higher_is_better"].map({"True": True, "False": False}).astype(object)
    return out


def write_handoff(frame: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Hand a frame to a later notebook of the same unit run (``output_dir/_summary/<name>.parquet``).

    The churn-drivers notebook hands its churn scores to the customer-value notebook this way, so that
    no notebook recomputes another's numbers. The runner removes the folder when the unit's notebooks
    are done; nothing is written in an interactive session (``output_dir`` empty).
    """
    if not output_dir or not name.replace("_", "").isalnum():
        return None
    folder = Path(output_dir) / SUMMARY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def read_handoff(name: str, output_dir: str | Path | None) -> pd.DataFrame | None:
    """The frame an earlier notebook of the run handed over with :func:`write_handoff` (None when absent)."""
    if not output_dir or not name.replace("_", "").isalnum():
        return None
    path = Path(output_dir) / SUMMARY_DIR / f"{name}.parquet"
    return pd.read_parquet(path) if path.is_file() else None
