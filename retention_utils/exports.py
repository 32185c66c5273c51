"""Safe, stable CSV files for spreadsheets and other tools.

Every CSV the kit writes goes through :func:`write_csv`, which

* **neutralises formula cells** (CSV injection, the OWASP rule): a text cell,
  or a column name, starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is written with a leading apostrophe, so a spreadsheet shows
  it as text instead of executing it (``=cmd|' /C calc'!A0``,
  ``@SUM(1+1)``). A text cell starting with an apostrophe gets one more, so
  :func:`restore_text` gives back exactly the original value. Every text cell
  is wrapped in double quotes (inner quotes doubled), so a separator inside a
  value (``,`` or a spreadsheet's locale separator ``;``) never starts a new
  cell. Numbers stay numbers: they are written unquoted, a negative number
  included (it is not text);
* **rounds** money columns to cents and rate / probability columns to 1e-6,
  so two runs on the same data write byte-identical files (``1182.5199999999998``
  and ``1182.52`` both become ``1182.52``);
* writes atomically (a temporary file in the same folder, then a rename).

Dates are written as ``YYYY-MM-DD`` (timestamps with a time of day in ISO
format), missing values as empty cells, UTF-8, ``\\n`` line ends.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PREFIXES", "MONEY_DECIMALS", "RATE_DECIMALS", "neutralise", "restore_text", "stable_frame",
           "write_csv"]

#: A text cell starting with one of these is executed by spreadsheets (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Money is written in cents, rates and probabilities to 1e-6.
MONEY_DECIMALS: int = 2
RATE_DECIMALS: int = 6


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never run as a formula.

    Examples
    --------
    >>> neutralise("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise("-2"), neutralise("@SUM(1+1)"), neutralise("plain")
    ("'-2", "'@SUM(1+1)", 'plain')
    >>> neutralise("'quoted")  # one more apostrophe, so restore_text is exact
    "''quoted"
    """
    if text.startswith(FORMULA_PREFIXES) or text.startswith("'"):
        return "'" + text
    return text


def restore_text(text: Any) -> Any:
    """The original value of a cell written by :func:`neutralise` (other values unchanged).

    Examples
    --------
    >>> restore_text("'=1+1"), restore_text("''quoted"), restore_text("plain"), restore_text(3.5)
    ('=1+1', "'quoted", 'plain', 3.5)
    """
    if isinstance(text, str) and text.startswith("'"):
        return text[1:]
    return text


def _round(x: float, decimals: int) -> float:
    r = round(float(x), decimals)
    return 0.0 if r == 0 else r  # no "-0.0"


def stable_frame(frame: pd.DataFrame, *, money: Sequence[str] = (), rates: Sequence[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with money rounded to cents and rates to 1e-6 (the caller's frame is not modified).

    Examples
    --------
    >>> stable_frame(pd.DataFrame({"v": [1182.5199999999998], "p": [0.12345678]}), money=["v"], rates=["p"])
             v         p
    0  1182.52  0.123457
    """
    out = frame.copy()
    for cols, d in ((money, MONEY_DECIMALS), (rates, RATE_DECIMALS)):
        for c in cols:
            if c not in out:
                raise KeyError(f"column {c!r} to round is not in the frame; columns present: {list(out.columns)}")
            v = pd.to_numeric(out[c], errors="coerce").astype(float)
            out[c] = [np.nan if not math.isfinite(x) else _round(x, d) for x in v]
    return out


def _cell(v: Any) -> str:
    """One CSV cell: numbers bare, text quoted (and neutralised), missing empty."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d") if v.time() == dt.time(0) and v.tzinfo is None else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    text = neutralise(str(v))
    return '"' + text.replace('"', '""') + '"'


def write_csv(frame: pd.DataFrame, path: str | Path, *, money: Sequence[str] = (),
              rates: Sequence[str] = ()) -> Path:
    """Write ``frame`` (without its index) as a CSV safe to open in a spreadsheet.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    path : str or Path
        The file; its folder must exist. Written atomically.
    money, rates : sequence of str
        Columns rounded to cents / to 1e-6.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Whole numbers are written without a decimal point (``12``, not ``12.0``),
    so the same value writes the same bytes whatever the column's dtype.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> f = pd.DataFrame({"id": ["=1+1", "B"], "amount": [-2.0, 1182.5199999999998]})
    >>> print(write_csv(f, Path(d) / "x.csv", money=["amount"]).read_text(), end="")
    "id","amount"
    "'=1+1",-2
    "B",1182.52
    """
    path = Path(path)
    f = stable_frame(frame, money=money, rates=rates)
    lines = [",".join(_cell(str(c)) for c in f.columns)]
    cols = [f[c].astype(object).tolist() for c in f.columns]
    for row in zip(*cols):
        lines.append(",".join(_cell(v) for v in row))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
