"""Experiments exported as one row per customer: read, check and estimate (params ``campaigns.experiment``).

Many teams receive an A/B or holdout result as one table: a customer, the group drawn for them,
pre-period covariates and the outcomes in the window (e.g. the MineThatData e-mail experiment:
``segment`` = Mens E-Mail / Womens E-Mail / No E-Mail, covariates ``recency, history, channel ...``,
outcomes ``visit, conversion, spend``). Such a file is a source of its own, named in params by
:class:`~retention_utils.config.ExperimentSpec`; this module

* :func:`read_experiment` reads it (CSV, Parquet or Excel, the path relative to the params folder) and
  checks it before any analysis (:func:`validate_experiment`): missing columns, an absent control label,
  outcomes that are not 0/1 or numbers stop with one :class:`~retention_utils.errors.DataError` listing
  every problem; rows that cannot be used (no group, a label outside the experiment, a missing
  outcome, a repeated customer key) are set aside and counted by reason, never dropped silently;
* :func:`experiment_analysis` estimates each treatment arm against the control group for each outcome
  with the campaign statistics (:mod:`retention_utils.campaigns.effects`: Newcombe intervals for
  proportions, Welch and CUPED for means, Holm across arms x outcomes) and runs the design checks of
  :mod:`retention_utils.campaigns.design` (sample ratio per arm, covariate balance, minimum detectable
  effects).

A per-customer file is read with pandas rather than the engine: it holds one row per customer already
(no reduction over raw event rows), which is what the engine's scale rule allows in pandas.

Why this module is long: it takes one source from file to result, and the wording of every error a user
can meet with it (what, where, which rows, how to fix) is part of the contract; reading and checking
(:func:`read_experiment`, :func:`validate_experiment`) are the first half and could become a module of
their own if either grows. The statistics are not here: they are :mod:`.effects` and :mod:`.design`.
"""
from __future__ import annotations

import csv
import difflib
import glob as globmod
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..config import ExperimentSpec, SourceSpec
from ..datamodel import _FALSE, _TRUE, MISSING_TOKENS, _snake
from ..errors import ConfigError, DataError, examples_text
from ..results import AnalysisResult, notes_frame, summary_rows
from ..sources import _is_blank, _reason
from ..stats import holm
from .design import balance_table, mde_mean, mde_proportion, sample_ratio_test
from .effects import Effect, mean_effect, proportion_effect

__all__ = ["ExperimentResult", "read_experiment", "validate_experiment", "experiment_analysis",
           "EFFECT_COLUMNS", "QUALITY_COLUMNS"]

#: Where the experiment sits in params (named by every message about it).
KEY = "campaigns.experiment"
#: Columns of :attr:`ExperimentResult.effects`.
EFFECT_COLUMNS = ["arm", "outcome", "kind", "n_treated", "n_control", "treated_value", "control_value", "estimate",
                  "ci_lower", "ci_upper", "relative_lift", "p_value", "p_holm", "method", "primary",
                  "variance_reduction", "note"]
#: Columns of the data-quality accounting (the second frame of :func:`read_experiment`).
QUALITY_COLUMNS = ["reason", "rows"]
#: A categorical covariate keeps its most frequent levels for the balance table; the rest become "(other)".
MAX_LEVELS = 20
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


# --- analysis ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentResult(AnalysisResult):
    """Effects and design checks of an experiment exported as one row per customer (:func:`experiment_analysis`).

    Attributes
    ----------
    name : str
        How the report names the experiment (``campaigns.experiment.name``).
    control_label : str
    arms : tuple of str
        The treatment labels, each compared with the control group.
    groups : DataFrame
        ``group, role`` (``control``/``treatment``), ``n_customers, share`` (of the analysed customers).
    effects : DataFrame
        One row per arm, outcome and method (:data:`EFFECT_COLUMNS`): ``arm, outcome, kind``
        (``proportion``/``mean``), ``n_treated, n_control, treated_value, control_value`` (rates, or means;
        CUPED-adjusted means for ``cuped``), ``estimate`` (treated minus control: a difference of
        proportions in fractions, 0.077 = 7.7 points, or of means), ``ci_lower, ci_upper`` (its ``1 - alpha``
        interval), ``relative_lift`` (estimate / control_value; NaN when the control value is 0),
        ``p_value``, ``p_holm`` (Holm-adjusted over the primary rows: every arm x outcome; NaN on other
        rows), ``method`` (``newcombe``, ``welch``, ``cuped``), ``primary`` (the row the headline and the
        summary use: CUPED where it applies, else the only row), ``variance_reduction`` (CUPED: 1 -
        var(adjusted) / var(outcome); NaN otherwise), ``note`` (why a value is NaN, a design warning).
    srm : DataFrame
        Sample-ratio test per arm: ``arm, n_treated, n_control, expected_share, observed_share, chi2, p_value,
        flagged``; empty without ``treatment_share`` (a note says so).
    balance : DataFrame
        ``arm, feature, mean_treated, mean_control, smd, flagged``; categorical covariates one-hot
        (``channel=Web``); empty without covariates.
    mde : DataFrame
        Minimum detectable effect per arm and outcome (power 0.8 at ``alpha``): ``arm, outcome, kind,
        n_treated, n_control, control_value, mde`` (in the estimate's unit), ``mde_relative`` (mde /
        control_value), ``method``, ``note``.
    quality : DataFrame
        ``reason, rows``: how every input row is used.
    alpha : float
    cuped_covariate : str or None
        The pre-period covariate of the CUPED adjustment (the first numeric covariate), if any.
    notes : DataFrame
        ``section, subject, note``.
    """

    name: str
    control_label: str
    arms: tuple[str, ...]
    groups: pd.DataFrame
    effects: pd.DataFrame
    srm: pd.DataFrame
    balance: pd.DataFrame
    mde: pd.DataFrame
    quality: pd.DataFrame
    alpha: float
    cuped_covariate: str | None
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.experiment"

    def primary(self) -> pd.DataFrame:
        """The effects the headline, the summary and Holm use: one row per arm and outcome."""
        return self.effects[self.effects["primary"]].reset_index(drop=True)

    @property
    def headline(self) -> str:
        """One sentence in plain words on the first outcome named in params, every arm against the control.

        E.g. "Mens E-Mail raised the visit rate by 7.7 points (7.2 to 8.2) and Womens E-Mail raised it by 4.5
        points (4.0 to 5.0) against No E-Mail." An arm "raised"/"lowered" the outcome when its interval
        excludes zero, else it "made no clear difference"; an arm whose split failed the sample-ratio test
        is named as suspect.
        """
        p = self.primary()
        first = p[p.outcome == p.outcome.iloc[0]].sort_values("estimate", ascending=False, na_position="last")
        clauses = [_clause(r, first_clause=i == 0) for i, r in enumerate(first.itertuples())]
        text = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
        text += f" against {self.control_label}"
        bad = self.srm[self.srm.flagged] if len(self.srm) else self.srm
        if len(bad):
            text += (f"; the split of {examples_text(bad.arm.tolist())} against {self.control_label} is not the "
                     "intended one (sample-ratio mismatch), so " + ("that effect is" if len(bad) == 1 else
                                                                   "those effects are") + " suspect")
        return text + "."

    def summary_frame(self) -> pd.DataFrame:
        """Headline rows (``analysis="experiment"``).

        ``experiment_customers`` (analysed), ``experiment_rows_set_aside``, one ``effect_<outcome>_<arm>``
        row per arm and outcome (value: the primary estimate with its interval; unit ``share`` for a
        difference of proportions in fractions, ``per customer`` for a difference of means),
        ``srm_p_value_<arm>`` where tested, ``balance_flagged`` (covariates with |SMD| above the threshold)
        and the ``headline`` sentence (unit ``sentence``).
        """
        n = int(self.groups.n_customers.sum())
        aside = int(self.quality.loc[self.quality.reason != "used", "rows"].sum())
        rows: list[dict[str, Any]] = [
            {"metric": "experiment_customers", "label": f"Customers analysed in {self.name}", "value": n,
             "unit": "customers"},
            {"metric": "experiment_rows_set_aside", "label": "Rows set aside (see the data-quality accounting)",
             "value": aside, "unit": "rows", "higher_is_better": False}]
        for r in self.primary().itertuples():
            rows.append({"metric": f"effect_{_snake(r.outcome)}_{_snake(r.arm)}",
                         "label": f"{_outcome_words(r.outcome, r.kind, article=False)}: {r.arm} vs {self.control_label} "
                                  "(difference)",
                         "value": r.estimate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
                         "unit": "share" if r.kind == "proportion" else "per customer"})
        for r in self.srm.itertuples():
            rows.append({"metric": f"srm_p_value_{_snake(r.arm)}", "unit": "p-value", "value": r.p_value,
                         "label": f"Split of {r.arm} vs {self.control_label} against the intended "
                                  f"{r.expected_share:.1%} (sample-ratio test)"})
        if len(self.balance):
            rows.append({"metric": "balance_flagged", "unit": "features", "higher_is_better": False,
                         "value": int(self.balance.flagged.sum()),
                         "label": "Covariates out of balance (|standardised mean difference| above the threshold)"})
        rows.append({"metric": "headline", "label": self.headline, "value": math.nan, "unit": "sentence"})
        return summary_rows(rows, analysis="experiment")


def _outcome_words(outcome: str, kind: str, *, article: bool = True) -> str:
    """'the visit rate' (a proportion) or 'mean spend per customer' (a mean); 'Visit rate' without article."""
    words = outcome.replace("_", " ").strip()
    if kind == "proportion":
        return f"the {words} rate" if article else f"{words[:1].upper()}{words[1:]} rate"
    return f"mean {words} per customer" if article else f"Mean {words} per customer"


def _amount(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"


def _clause(r: Any, *, first_clause: bool) -> str:
    """'Mens E-Mail raised the visit rate by 7.7 points (7.2 to 8.2)' for one primary effect row."""
    what = _outcome_words(r.outcome, r.kind) if first_clause else "it"
    if not np.isfinite(r.estimate) or not np.isfinite(r.ci_lower):
        return f"{r.arm} could not be measured on {_outcome_words(r.outcome, r.kind)} ({r.note or 'no estimate'})"
    scale, unit = (100.0, " points") if r.kind == "proportion" else (1.0, "")

    def fmt(v: float) -> str:
        return f"{v * scale:.1f}" if r.kind == "proportion" else _amount(v)

    if r.ci_lower > 0 or r.ci_upper < 0:
        verb = "raised" if r.estimate > 0 else "lowered"
        lo, hi = sorted((abs(r.ci_lower), abs(r.ci_upper)))
        return f"{r.arm} {verb} {what} by {fmt(abs(r.estimate))}{unit} ({fmt(lo)} to {fmt(hi)})"
    sign = "+" if r.estimate >= 0 else "-"
    return (f"{r.arm} made no clear difference to {what} ({sign}{fmt(abs(r.estimate))}{unit}, {fmt(r.ci_lower)} "
            f"to {fmt(r.ci_upper)})")


def _one_hot(frame: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Balance features: numeric covariates as they are, categorical ones as 0/1 columns ``col=level``.

    A row with a missing category is missing in every indicator (skipped by the balance table); levels
    beyond the :data:`MAX_LEVELS` - 1 most frequent are pooled as ``(other)``, with a note.
    """
    parts, notes = [], []
    for col in covariates:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            parts.append(s.rename(col))
            continue
        counts = s.value_counts(dropna=True)
        if len(counts) > MAX_LEVELS:
            keep = set(counts.index[:MAX_LEVELS - 1])
            s = s.where(~s.notna() | s.isin(keep), "(other)")
            notes.append(("balance", col, f"{len(counts):,} levels: the {MAX_LEVELS - 1} most frequent are compared "
                                          f"one by one, the other {len(counts) - MAX_LEVELS + 1:,} together as "
                                          "'(other)'"))
        dummies = pd.get_dummies(s, prefix=col, prefix_sep="=", dtype=float)
        dummies[s.isna().to_numpy()] = np.nan
        parts.append(dummies)
    features = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return features, notes


def experiment_analysis(frame: pd.DataFrame, spec: ExperimentSpec, *, quality: pd.DataFrame | None = None,
                        alpha: float = 0.05, srm_alpha: float = 0.001, balance_threshold: float = 0.1,
                        min_group: int = 30, power: float = 0.8) -> ExperimentResult:
    """Each treatment arm against the control group, per outcome, with the design checks.

    Proportion outcomes: difference of proportions with Newcombe's interval and the score test
    (:func:`~retention_utils.campaigns.effects.proportion_effect`). Mean outcomes: Welch's difference of
    means, and, when a covariate is numeric, CUPED on the first numeric covariate (the primary row; the
    Welch row stays for comparison, and ``variance_reduction`` shows what the adjustment saved). Holm's
    adjustment runs over every arm x outcome. Design checks: the sample-ratio test per arm (arm vs control
    only, against ``s / (s + c)`` where ``s = treatment_share`` is each arm's intended share and
    ``c = 1 - k s`` the control's, ``k`` arms), the balance of the covariates per arm, the minimum
    detectable effect per arm and outcome. The checks use the analysed rows, so an arm that loses
    outcomes unevenly also shows as a mismatch.

    Parameters
    ----------
    frame : DataFrame
        One row per customer: :func:`read_experiment`'s frame, or a raw table (it is checked again with
        :func:`validate_experiment`; the clean frame passes unchanged). Not modified.
    spec : ExperimentSpec
        The ``campaigns.experiment`` params section.
    quality : DataFrame, optional
        :func:`read_experiment`'s accounting of the file; by default that of the check of ``frame``.
    alpha : float
        1 - coverage of the intervals, and the level of the minimum detectable effects.
    srm_alpha : float
        Flag a sample-ratio mismatch below this p-value (``campaigns.srm_alpha``).
    balance_threshold : float
        Flag covariates with |standardised mean difference| above this (``campaigns.balance_threshold``).
    min_group : int
        Smallest treated or control group with an estimate (``campaigns.min_group``); smaller: NaN with a note.
    power : float
        Power of the minimum detectable effects.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ConfigError
        ``treatment_share`` times the number of arms of 1 or more (no share left for the control group),
        and the spec contradictions of :func:`validate_experiment`.
    DataError
        The problems of :func:`validate_experiment`.

    Examples
    --------
    >>> spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
    ...                       outcomes={"visit": "proportion"})
    >>> raw = pd.DataFrame({"g": ["ctl", "mail", "ctl", "mail", "ctl", "mail"],
    ...                     "visit": ["no", "yes", "yes", "yes", "no", "no"]})
    >>> r = experiment_analysis(raw, spec, min_group=2)
    >>> r.effects[["arm", "treated_value", "control_value", "estimate"]].round(4).to_dict("records")
    [{'arm': 'mail', 'treated_value': 0.6667, 'control_value': 0.3333, 'estimate': 0.3333}]
    >>> r.headline
    'mail made no clear difference to the visit rate (+33.3 points, -31.6 to 71.8) against ctl.'
    """
    clean, checked = validate_experiment(frame, spec, label=str(frame.attrs.get("source") or "experiment"))
    quality = checked if quality is None else quality
    g = clean[spec.group_column].to_numpy(dtype=object)
    control = g == spec.control_label
    arms = tuple(spec.treatment_labels) if spec.treatment_labels else \
        tuple(sorted(set(g[~control].tolist())))
    share = spec.treatment_share
    if share is not None and len(arms) * share >= 1:
        raise ConfigError(f"{KEY}.treatment_share: {share:g} for each of the {len(arms)} treatment arm(s) leaves no "
                          "share for the control group; give the intended share of ONE treatment arm (e.g. 0.333 for "
                          "two arms and a control group of equal size).")
    notes: list[tuple[str, str, str]] = []
    n_total = int(quality.rows.sum())
    aside = quality[quality.reason != "used"]
    if len(aside):
        notes.append(("data", "rows set aside", f"{len(clean):,} of {n_total:,} rows analysed; set aside: " +
                      "; ".join(f"{r} ({n:,})" for r, n in zip(aside.reason, aside.rows))))
    if frame.attrs.get("read_note"):
        notes.append(("data", str(frame.attrs.get("source") or "file"), str(frame.attrs["read_note"])))

    cuped = _cuped_covariate(clean, spec, notes)
    effects = _effects(clean, spec, g, control, arms, cuped, alpha=alpha, min_group=min_group)
    prim = effects["primary"].to_numpy(dtype=bool)
    effects.loc[prim, "p_holm"] = holm(effects.loc[prim, "p_value"].to_numpy(dtype=float))
    n_tests = int(effects.loc[prim, "p_value"].notna().sum())
    if n_tests > 1:
        notes.append(("effects", "p_holm", f"p-values adjusted for {n_tests} comparisons (arms x outcomes) by Holm's "
                                           "method; the intervals are not adjusted"))
    srm = _srm(g, control, arms, share, srm_alpha, notes)
    for arm in srm.arm[srm.flagged]:
        hit = (effects.arm == arm).to_numpy()
        effects.loc[hit, "note"] = [(f"{n}; " if n else "") + "sample-ratio mismatch: the effect may be biased"
                                    for n in effects.loc[hit, "note"]]
    balance = _balance(clean, spec, g, control, arms, balance_threshold, notes)
    mde = _mde_frame(effects, clean, g, control, arms, spec, alpha=alpha, power=power)
    counts = pd.Series(g).value_counts()
    labels = [spec.control_label, *arms]
    groups = pd.DataFrame({"group": labels, "role": ["control"] + ["treatment"] * len(arms),
                           "n_customers": [int(counts.get(k, 0)) for k in labels]})
    groups["share"] = groups.n_customers / max(int(groups.n_customers.sum()), 1)
    return ExperimentResult(name=spec.name, control_label=spec.control_label, arms=arms, groups=groups,
                            effects=effects, srm=srm, balance=balance, mde=mde, quality=quality, alpha=alpha,
                            cuped_covariate=cuped, notes=notes_frame(notes))


def _cuped_covariate(clean: pd.DataFrame, spec: ExperimentSpec, notes: list[tuple[str, str, str]]) -> str | None:
    """The first numeric covariate, when it is known for every analysed customer (else None, with a note)."""
    numeric = [c for c in spec.covariates if pd.api.types.is_float_dtype(clean[c])]
    means = any(k == "mean" for k in spec.outcomes.values())
    if not numeric:
        if means and spec.covariates:
            notes.append(("effects", "CUPED", "no numeric covariate, so mean outcomes are not adjusted (Welch only)"))
        return None
    n_miss = int(np.isnan(clean[numeric[0]].to_numpy(dtype=float)).sum())
    if n_miss:
        if means:
            notes.append(("effects", numeric[0], f"CUPED not used: the covariate is missing on {n_miss:,} analysed "
                                                 "rows (Welch's difference of means instead)"))
        return None
    if means:
        notes.append(("effects", numeric[0], f"mean outcomes also adjusted for the pre-period covariate "
                                             f"{numeric[0]!r} (CUPED, the primary estimate); the Welch row is kept "
                                             "for comparison"))
    return numeric[0]


def _effects(clean: pd.DataFrame, spec: ExperimentSpec, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
             cuped: str | None, *, alpha: float, min_group: int) -> pd.DataFrame:
    """One row per arm and outcome (two for a CUPED-adjusted mean: Welch, then CUPED as the primary row)."""
    rows: list[dict[str, Any]] = []
    x = clean[cuped].to_numpy(dtype=float) if cuped else None
    for arm in arms:
        treated = g == arm
        for col, kind in spec.outcomes.items():
            y = clean[col].to_numpy(dtype=float)
            yt, yc = y[treated], y[control]
            small = [name for name, n in (("treated", len(yt)), ("control", len(yc))) if n < min_group]
            if small:
                why = (f"fewer than {min_group} customers in the {' and '.join(small)} group"
                       f"{'s' if len(small) > 1 else ''} ({KEY.split('.')[0]}.min_group)")
                method = "newcombe" if kind == "proportion" else ("cuped" if cuped else "welch")
                rows.append(_row(arm, kind, Effect(col, method, len(yt), len(yc),
                                                   float(yt.mean()) if len(yt) else math.nan,
                                                   float(yc.mean()) if len(yc) else math.nan, math.nan, math.nan,
                                                   math.nan, math.nan, why), primary=True))
            elif kind == "proportion":
                rows.append(_row(arm, kind, proportion_effect(yt, yc, metric=col, alpha=alpha), primary=True))
            else:
                welch, adjusted = mean_effect(yt, yc, metric=col, alpha=alpha), None
                if x is not None:
                    adjusted = mean_effect(yt, yc, pre_treated=x[treated], pre_control=x[control], metric=col,
                                           alpha=alpha)
                    if not adjusted.method.startswith("cuped"):  # a constant covariate: the same as Welch
                        welch, adjusted = adjusted, None
                rows.append(_row(arm, kind, welch, primary=adjusted is None))
                if adjusted is not None and x is not None:
                    rows.append(_row(arm, kind, adjusted, primary=True,
                                     reduction=_reduction(yt, yc, x[treated], x[control])))
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _srm(g: np.ndarray, control: np.ndarray, arms: tuple[str, ...], share: float | None, srm_alpha: float,
         notes: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Sample-ratio test of each arm against the control group (see :func:`experiment_analysis`)."""
    columns = ["arm", "n_treated", "n_control", "expected_share", "observed_share", "chi2", "p_value", "flagged"]
    if share is None:
        notes.append(("design", "sample ratio", f"no intended split in params ({KEY}.treatment_share), so the group "
                                                "sizes are not tested for a sample-ratio mismatch"))
        return pd.DataFrame(columns=columns)
    expected = share / (share + 1 - len(arms) * share)
    rows = []
    for arm in arms:
        check = sample_ratio_test(int((g == arm).sum()), int(control.sum()), treatment_share=expected,
                                  threshold=srm_alpha)
        rows.append({"arm": arm, **{k: getattr(check, k) for k in columns[1:]}})
        if check.flagged:
            notes.append(("design", arm, f"sample-ratio mismatch: {check.n_treated:,} vs {check.n_control:,} "
                                         f"customers, {check.observed_share:.1%} in {arm} against the intended "
                                         f"{check.expected_share:.1%} (p = {check.p_value:.2g}); customers were "
                                         "lost or added unevenly, so this arm's effects may be biased"))
    return pd.DataFrame(rows, columns=columns)


def _balance(clean: pd.DataFrame, spec: ExperimentSpec, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
             threshold: float, notes: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Standardised mean differences of the covariates (categories one-hot), each arm against the control group."""
    columns = ["arm", "feature", "mean_treated", "mean_control", "smd", "flagged"]
    if not spec.covariates:
        notes.append(("design", "balance", f"no pre-period covariates named ({KEY}.covariates), so the balance of the "
                                           "groups is not checked and mean outcomes are not CUPED-adjusted"))
        return pd.DataFrame(columns=columns)
    features, level_notes = _one_hot(clean, list(spec.covariates))
    notes += level_notes
    parts = []
    for arm in arms:
        rows = (g == arm) | control
        part = balance_table(features[rows], list(features.columns), (g == arm)[rows], threshold=threshold)
        parts.append(part.assign(arm=arm)[columns])
        flagged = part[part.flagged]
        if len(flagged):
            notes.append(("design", arm, f"{len(flagged)} covariate(s) out of balance against {spec.control_label} "
                                         f"(|SMD| > {threshold:g}): {examples_text(flagged.feature.tolist())}"))
    return pd.concat(parts, ignore_index=True)


def _row(arm: str, kind: str, e: Effect, *, primary: bool, reduction: float = math.nan) -> dict[str, Any]:
    lift = e.estimate / e.control_value if e.control_value not in (0.0,) and np.isfinite(e.control_value) \
        else math.nan
    return {"arm": arm, "outcome": e.metric, "kind": kind, "n_treated": e.n_treated, "n_control": e.n_control,
            "treated_value": e.treated_value, "control_value": e.control_value, "estimate": e.estimate,
            "ci_lower": e.ci_lower, "ci_upper": e.ci_upper, "relative_lift": lift, "p_value": e.p_value,
            "p_holm": math.nan, "method": e.method, "primary": primary, "variance_reduction": reduction,
            "note": e.note}


def _reduction(yt: np.ndarray, yc: np.ndarray, xt: np.ndarray, xc: np.ndarray) -> float:
    """1 - var(y_adj) / var(y) of CUPED over both groups pooled (the number in the effect's note)."""
    y, x = np.concatenate([yt, yc]), np.concatenate([xt, xc])
    xc_, yc_ = x - x.mean(), y - y.mean()
    sxx, syy = float(xc_ @ xc_), float(yc_ @ yc_)
    if sxx <= 0 or syy <= 0:
        return math.nan
    return float((xc_ @ yc_) ** 2 / (sxx * syy))  # the squared correlation: what theta * x removes


def _mde_frame(effects: pd.DataFrame, clean: pd.DataFrame, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
               spec: ExperimentSpec, *, alpha: float, power: float) -> pd.DataFrame:
    """Minimum detectable effect per arm and outcome; mean outcomes with the (CUPED-adjusted) pooled SD."""
    rows = []
    prim = effects[effects.primary]
    for arm in arms:
        treated = g == arm
        nt, nc = int(treated.sum()), int(control.sum())
        for col, kind in spec.outcomes.items():
            y = clean[col].to_numpy(dtype=float)
            row = prim[(prim.arm == arm) & (prim.outcome == col)].iloc[0]
            value, note, mde = float(y[control].mean()) if nc else math.nan, "", math.nan
            if nt < 1 or nc < 1:
                note = "a group is empty"
            elif kind == "proportion":
                if 0 < value < 1:
                    mde = mde_proportion(nt, nc, value, alpha=alpha, power=power)
                else:
                    note = f"the control rate is {value:.0%}, so no variance to base a detectable effect on"
            else:
                both = y[treated | control]
                sd = float(both.std(ddof=1)) if len(both) > 1 else math.nan
                if np.isfinite(row.variance_reduction):
                    sd *= math.sqrt(max(1 - row.variance_reduction, 0.0))
                    note = "with the CUPED-adjusted standard deviation"
                if sd > 0:
                    mde = mde_mean(nt, nc, sd, alpha=alpha, power=power)
                else:
                    note = "the outcome does not vary, so no detectable effect can be computed"
            rows.append({"arm": arm, "outcome": col, "kind": kind, "n_treated": nt, "n_control": nc,
                         "control_value": value, "mde": mde, "mde_relative": mde / value if value else math.nan,
                         "method": row.method, "note": note})
    return pd.DataFrame(rows, columns=["arm", "outcome", "kind", "n_treated", "n_control", "control_value", "mde",
                                       "mde_relative", "method", "note"])
