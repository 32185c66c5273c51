"""Reading and checking an experiment exported as one row per customer (params ``campaigns.experiment``).

:func:`read_experiment` reads the file (CSV, Parquet or Excel, the path relative to the params folder) and
:func:`validate_experiment` checks it before any analysis: missing columns, an absent control label,
outcomes that are not 0/1 or numbers stop with one :class:`~retention_utils.errors.DataError` listing
every problem (what, where, which rows, how to fix); rows that cannot be used (no group, a label outside
the experiment, a missing outcome, a repeated customer key) are set aside and counted by reason, never
dropped silently. The estimates are :mod:`retention_utils.campaigns.experiment`.

A per-customer file is read with pandas rather than the engine: it holds one row per customer already
(no reduction over raw event rows), which is what the engine's scale rule allows in pandas.
"""
from __future__ import annotations

import csv
import difflib
import glob as globmod
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import ExperimentSpec, SourceSpec
from ..datamodel import _FALSE, _TRUE, MISSING_TOKENS, _snake
from ..errors import ConfigError, DataError, examples_text
from ..sources import _is_blank, _reason

__all__ = ["read_experiment", "validate_experiment", "KEY", "QUALITY_COLUMNS"]

#: Where the experiment sits in params (named by every message about it).
KEY = "campaigns.experiment"
#: Columns of the data-quality accounting (the second frame of :func:`read_experiment`).
QUALITY_COLUMNS = ["reason", "rows"]
_FORMATS = ("csv", "parquet", "excel")

# --- reading -----------------------------------------------------------------------------------------------


def read_experiment(spec: ExperimentSpec, params_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an experiment export named in params and check it before any analysis.

    The path is taken relative to ``params_dir`` (the params folder), as for every source; a pattern
    (``exports/ab_*.csv``) reads every file it matches, and only files: a folder is an error. CSV is read
    as text with the delimiter and encoding from params (the delimiter is detected when not given; a
    UTF-8 byte-order mark is skipped), numbers with the params' ``decimal``; Parquet and Excel keep their
    types (``sheet`` picks the Excel sheet).

    Parameters
    ----------
    spec : ExperimentSpec
        The ``campaigns.experiment`` params section.
    params_dir : str or Path
        The params folder that relative paths start from.

    Returns
    -------
    frame : DataFrame
        The rows to analyse (see :func:`validate_experiment`); ``frame.attrs`` holds ``source`` (the file
        name) and ``read_note`` (how a CSV was read when params left the delimiter or encoding open).
    quality : DataFrame
        ``reason, rows``: how every row of the file is used (``used`` first); the rows add up to the file's.

    Raises
    ------
    ConfigError
        A format other than CSV, Parquet or Excel; ``source.columns`` or ``attributes`` set (an
        experiment names its columns directly); contradictions in the spec (see :func:`validate_experiment`).
    DataError
        No file matches, a folder, an empty or unreadable file, and every problem of the content.
    """
    raw, label, read_note = _read_files(spec.source, Path(params_dir))
    frame, quality = validate_experiment(raw, spec, label=label)
    frame.attrs.update({"source": label, "read_note": read_note or ""})
    return frame, quality


def _read_files(src: SourceSpec, params_dir: Path) -> tuple[pd.DataFrame, str, str | None]:
    """The raw table of the files ``src`` names, how messages name it, and how a CSV was read."""
    fmt = src.resolved_format()
    if fmt not in _FORMATS:
        raise ConfigError(f"{KEY}.source.format: an experiment is read from a CSV, Parquet or Excel file; got "
                          f"{fmt!r}. Export the table to one of those and point {KEY}.source.path at it.")
    for key in ("columns", "attributes"):
        if getattr(src, key):
            raise ConfigError(f"{KEY}.source.{key}: not used for an experiment; name the file's own columns "
                              f"directly under {KEY} (group_column, outcomes, covariates, customer_column).")
    given = Path(str(src.path)).expanduser()
    pattern = given if given.is_absolute() else params_dir / given
    if pattern.is_dir():
        raise DataError(f"{KEY}.source.path: {str(pattern)!r} is a folder, not a file; point path at the export "
                        f"file, or at several files with a pattern such as '{str(src.path).rstrip('/')}/*.csv'.")
    matches = sorted(Path(p) for p in globmod.glob(str(pattern)))
    folders = [p for p in matches if p.is_dir()]
    if folders:  # only what the pattern names, and only files
        raise DataError(f"{KEY}.source.path: {str(pattern)!r} matches {len(folders)} folder(s) "
                        f"({examples_text([f.name for f in folders])}), not files; point path at the export "
                        "file(s) only.")
    if not matches:
        raise DataError(f"{KEY}.source.path: no file matches {str(pattern)!r} (relative paths are taken from the "
                        f"params folder {str(params_dir)!r}); check the path.")
    label = matches[0].name if len(matches) == 1 else f"{src.path} ({len(matches)} files)"
    frames, note = [], None
    for f in matches:
        if _is_blank(f):
            raise DataError(f"{f.name}: the file is empty (no column names and no rows); export the experiment "
                            f"again, or point {KEY}.source.path at the right file.")
        try:
            if fmt == "csv":
                frame, note = _read_csv(f, src)
            elif fmt == "parquet":
                frame = pd.read_parquet(f)
            else:
                frame = pd.read_excel(f, sheet_name=src.sheet if src.sheet is not None else 0)
        except Exception as exc:  # reader errors become data errors, without a traceback
            raise DataError(f"{f.name}: cannot be read as {fmt} ({_reason(exc)}). Check {KEY}.source in params: "
                            "path, format, delimiter and encoding (e.g. encoding: latin-1).") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        if frames and list(frame.columns) != list(frames[0].columns):
            raise DataError(f"{f.name}: its columns ({examples_text(frame.columns, limit=12)}) differ from those of "
                            f"{matches[0].name} ({examples_text(frames[0].columns, limit=12)}); the files a pattern "
                            "matches must share one header.")
        frames.append(frame)
    raw = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return raw, label, note


def _read_csv(path: Path, src: SourceSpec) -> tuple[pd.DataFrame, str | None]:
    """A CSV as text (every cell a string; the checks parse them), and a note when params left things open."""
    enc = src.encoding.lower().replace("_", "-")
    enc = "utf-8-sig" if enc in ("utf-8", "utf8", "utf-8-sig") else enc  # skip a byte-order mark
    delimiter, how = src.delimiter, "from params"
    if not delimiter:
        with open(path, encoding=enc, errors="replace", newline="") as fh:
            head = fh.read(1 << 16)
        try:  # the standard library's sniffer, limited to the usual export delimiters
            delimiter, how = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter, "detected"
        except csv.Error:
            delimiter, how = ",", "the default"
    frame = pd.read_csv(path, sep=delimiter, encoding=enc, dtype=str, keep_default_na=False, na_filter=False)
    given_enc = "encoding" in src.model_fields_set
    if src.delimiter and given_enc:
        return frame, None
    encoding = (f"encoding {src.encoding} (from params)" if given_enc else f"encoding {src.encoding} (the default; "
                "set encoding in params, e.g. encoding: latin-1, if accents look wrong)")
    return frame, f"read as CSV: delimiter {delimiter!r} ({how}), {encoding}"


# --- checking ----------------------------------------------------------------------------------------------


def _missing(s: pd.Series) -> np.ndarray:
    """True where a cell holds no value: null, blank, or a missing-value token such as 'NA' or 'null'."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.isna().to_numpy()
    t = s.astype("string").str.strip().str.lower().fillna("")
    return (t.eq("") | t.isin(MISSING_TOKENS)).to_numpy(dtype=bool)


def _text(s: pd.Series, *, tokens: bool = True) -> pd.Series:
    """Labels as text (integer-valued floats keep their integer spelling); missing cells are <NA>.

    ``tokens=False`` treats only empty cells as missing: a group may well be called 'none'.
    """
    if pd.api.types.is_float_dtype(s):
        v = s.astype(float)
        out = pd.Series([None if math.isnan(x) else (str(int(x)) if x.is_integer() else repr(x)) for x in v],
                        index=s.index, dtype="string")
    else:
        out = s.astype("string").str.strip()
    gone = _missing(s) if tokens else out.fillna("").eq("").to_numpy(dtype=bool)
    return out.mask(gone)


def _flags(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no column as 1.0/0.0 (NaN where missing), and where a present value is not a yes/no."""
    missing = _missing(s)
    if pd.api.types.is_bool_dtype(s):
        v = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        v = np.where(np.isin(v, (0.0, 1.0)), v, np.nan)
    else:
        t = s.astype("string").str.strip().str.lower().fillna("")
        words = t.map({**{w: 1.0 for w in _TRUE}, **{w: 0.0 for w in _FALSE}}).astype(float).to_numpy()
        numbers = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)  # '1.0', '0.0'
        v = np.where(np.isnan(words) & np.isin(numbers, (0.0, 1.0)), numbers, words)
    v = np.where(missing, np.nan, v)
    return v, ~missing & np.isnan(v)


def _numbers(s: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as floats (NaN where missing), and where a present value is not a finite number."""
    missing = _missing(s)
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        v = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    else:
        t = s.astype("string").str.strip()
        if decimal == ",":  # as the contract reads numbers: '1.234,50' -> 1234.50
            t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        v = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = np.where(missing | ~np.isfinite(v), np.nan, v)
    return v, ~missing & np.isnan(v)


def _examples(raw: pd.Series, bad: np.ndarray) -> str:
    """'data rows 3, 8: '2', 'maybe'' for the first five offending cells (rows counted from 1, header not counted)."""
    pos = np.flatnonzero(bad)[:6]  # a sixth tells examples_text to close the list with '…'
    values = [raw.iloc[i] for i in pos]
    return f"data rows {examples_text((pos + 1).tolist())}: {examples_text(values)}"


def _label_counts(labels: pd.Series) -> str:
    items = [f"{k!r} ({v:,} rows)" for k, v in labels.value_counts(dropna=True).items()]
    return ", ".join(items[:8]) + (", …" if len(items) > 8 else "")


def _check_spec(spec: ExperimentSpec) -> None:
    if spec.control_label in spec.treatment_labels:
        raise ConfigError(f"{KEY}.treatment_labels: {spec.control_label!r} is also the control_label; list only "
                          "the labels of the treatment groups.")
    roles: dict[str, list[str]] = {}
    named = [(spec.group_column, "group_column")] + [(c, "outcome") for c in spec.outcomes] + \
        [(c, "covariate") for c in spec.covariates] + ([(spec.customer_column, "customer_column")]
                                                       if spec.customer_column else [])
    for col, role in named:
        roles.setdefault(col, []).append(role)
    twice = {c: r for c, r in roles.items() if len(r) > 1}
    if twice:
        col, r = next(iter(twice.items()))
        raise ConfigError(f"{KEY}: column {col!r} is named as {' and as '.join(r)}; each column has one role. "
                          "Covariates are measured before the experiment and outcomes after it (an outcome used as "
                          "a covariate would absorb the effect).")


def validate_experiment(raw: pd.DataFrame, spec: ExperimentSpec, *,
                        label: str = "experiment") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check an experiment table against its params and set aside the rows that cannot be used.

    Hard problems stop with one :class:`DataError` that lists them all, each naming the file, the column,
    how many rows, up to five examples and the fix: a column named in params that the table lacks (the
    columns present are listed), a control label or treatment label not found (the labels found are
    listed), a proportion outcome with values other than 0/1, yes/no or true/false, a mean outcome with
    values that are not numbers. Soft problems set the row aside, counted under its first reason:
    ``missing customer key``, ``duplicate customer key`` (every row of a key that occurs more than once:
    which of them is right cannot be told), ``missing group``, ``group not in the experiment`` (a label
    outside ``treatment_labels`` when they are given), ``missing outcome '<column>'``.

    Parameters
    ----------
    raw : DataFrame
        One row per customer, as exported (text cells are parsed here). Not modified.
    spec : ExperimentSpec
        The ``campaigns.experiment`` params section.
    label : str
        How messages name the table (the file name).

    Returns
    -------
    frame : DataFrame
        The usable rows, in file order, with only the named columns: ``customer_column`` (text) when
        given, ``group_column`` (text labels), each outcome (float: 0.0/1.0 for proportions), each covariate
        (float when every present value is a number, else text); missing covariates stay missing.
    quality : DataFrame
        ``reason, rows``: ``used`` first, then each reason with rows; the rows add up to ``len(raw)``.

    Raises
    ------
    ConfigError
        The control label also listed as a treatment label; a column named in two roles.
    DataError
        The problems above, and a table with no data rows or no usable row.

    Examples
    --------
    >>> spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
    ...                       outcomes={"visit": "proportion"})
    >>> raw = pd.DataFrame({"g": ["ctl", "mail", ""], "visit": ["no", "yes", "yes"]})
    >>> frame, quality = validate_experiment(raw, spec)
    >>> frame.visit.tolist(), quality.to_dict("records")
    ([0.0, 1.0], [{'reason': 'used', 'rows': 2}, {'reason': 'missing group', 'rows': 1}])
    """
    _check_spec(spec)
    needed = {spec.group_column: "group_column", **{c: "outcome" for c in spec.outcomes},
              **{c: "covariate" for c in spec.covariates}}
    if spec.customer_column:
        needed[spec.customer_column] = "customer_column"
    present = [str(c) for c in raw.columns]
    absent = [c for c in needed if c not in present]
    if absent:
        hints = []
        for c in absent:
            close = [p for p in present if p.lower() == c.lower() or _snake(p) == _snake(c)] or \
                difflib.get_close_matches(c, present, n=1)
            hints.append(f"{c!r} ({needed[c]}" + (f"; did you mean {close[0]!r}?)" if close else ")"))
        raise DataError(f"{label}: {'columns' if len(absent) > 1 else 'column'} {', '.join(hints[:5])} named in "
                        f"{KEY} not found. Columns present: {examples_text(present, limit=12)}. Write the names "
                        f"under {KEY} in params exactly as in the file's header.")
    if not len(raw):
        raise DataError(f"{label}: the table has column names but no data rows; export the experiment again.")

    problems: list[str] = []
    group = _text(raw[spec.group_column], tokens=False)
    found = set(group.dropna())
    if spec.control_label not in found:
        problems.append(f"{label}: column {spec.group_column!r} has no rows with the control label "
                        f"{spec.control_label!r} ({KEY}.control_label); labels found: {_label_counts(group)}. "
                        "Set control_label to the label of the group that received nothing (labels match exactly, "
                        "case included).")
    lost = [t for t in spec.treatment_labels if t not in found]
    if lost:
        problems.append(f"{label}: column {spec.group_column!r} has no rows with the treatment label(s) "
                        f"{examples_text(lost)} ({KEY}.treatment_labels); labels found: {_label_counts(group)}. "
                        "Correct treatment_labels, or leave it empty to compare every other label with the "
                        "control group.")
    if found and found <= {spec.control_label}:
        problems.append(f"{label}: column {spec.group_column!r} holds only the control label "
                        f"{spec.control_label!r}; an experiment needs at least one treatment group to compare.")
    outcomes: dict[str, np.ndarray] = {}
    for col, kind in spec.outcomes.items():
        if kind == "proportion":
            values, bad = _flags(raw[col])
            if bad.any():
                problems.append(f"{label}: column {col!r} (a proportion outcome) has {int(bad.sum()):,} value(s) that "
                                f"are not 0/1, yes/no or true/false ({_examples(raw[col], bad)}). Recode them in the "
                                f"export, or declare the outcome as mean under {KEY}.outcomes if it is an amount.")
        else:
            values, bad = _numbers(raw[col], spec.source.decimal)
            if bad.any():
                hint = " (decimal comma)" if spec.source.decimal == "," else \
                    f"; for a decimal comma set {KEY}.source.decimal: ','"
                problems.append(f"{label}: column {col!r} (a mean outcome) has {int(bad.sum()):,} value(s) that are "
                                f"not numbers ({_examples(raw[col], bad)}); expected numbers like 1234.50{hint}. Fix "
                                "them in the export, or declare the outcome as proportion if it is a yes/no.")
        outcomes[col] = values
    if len(problems) == 1:
        raise DataError(problems[0])
    if problems:
        head = f"{label}: the experiment export cannot be analysed ({len(problems)} problem" + \
            ("s" if len(problems) > 1 else "") + "); nothing was analysed:"
        raise DataError(head + "\n" + "\n".join(f"  - {p}" for p in problems))

    reason = pd.Series("used", index=raw.index, dtype=object)

    def set_aside(mask: np.ndarray, why: str) -> None:
        reason[(reason == "used").to_numpy() & mask] = why

    keys = None
    if spec.customer_column:
        keys = _text(raw[spec.customer_column])
        set_aside(keys.isna().to_numpy(), "missing customer key")
        set_aside((keys.duplicated(keep=False) & keys.notna()).to_numpy(), "duplicate customer key")
    set_aside(group.isna().to_numpy(), "missing group")
    if spec.treatment_labels:
        known = {spec.control_label, *spec.treatment_labels}
        set_aside(~group.isin(known).fillna(False).to_numpy(dtype=bool), "group not in the experiment")
    for col, values in outcomes.items():
        set_aside(np.isnan(values), f"missing outcome {col!r}")
    order = ["used", "missing customer key", "duplicate customer key", "missing group", "group not in the experiment",
             *[f"missing outcome {c!r}" for c in spec.outcomes]]
    counts = reason.value_counts()
    quality = pd.DataFrame([{"reason": r, "rows": int(counts[r])} for r in order if r in counts],
                           columns=QUALITY_COLUMNS)
    keep = (reason == "used").to_numpy()
    if not keep.any():
        raise DataError(f"{label}: none of the {len(raw):,} rows can be analysed ("
                        + ", ".join(f"{r}: {n:,}" for r, n in zip(quality.reason, quality.rows)) + "); fill in the "
                        "group and outcome columns in the export.")
    out: dict[str, Any] = {}
    if keys is not None:
        out[spec.customer_column] = keys[keep].to_numpy()
    out[spec.group_column] = group[keep].to_numpy()
    for col, values in outcomes.items():
        out[col] = values[keep]
    for col in spec.covariates:
        numbers, bad = _numbers(raw[col], spec.source.decimal)
        out[col] = numbers[keep] if not bad.any() else _text(raw[col])[keep].to_numpy()
    frame = pd.DataFrame(out)
    for col in [spec.group_column, *([spec.customer_column] if keys is not None else []),
                *[c for c in spec.covariates if not pd.api.types.is_float_dtype(frame[c])]]:
        frame[col] = frame[col].astype("string")
    return frame, quality
