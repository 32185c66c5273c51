"""What every survival model shares: settings, column checks, group labels, one Kaplan-Meier fit.

Conventions (documented once, used by every module of the package):

* **Time** is measured in months (``duration_months``: days / :data:`~retention_utils.calendar.DAYS_PER_MONTH`)
  from the start of a customer's life (signup, or first purchase under the inactivity definition).
* **Groups and levels** with fewer customers than ``thresholds.min_customers``
  are merged into ``"other (rare)"``; if that merged level is still too small
  its customers are left out of the comparison. Missing values form the level
  ``"(missing)"``. Every such change is listed in the notes.
* **Too few events**: a unit with fewer than :data:`MIN_EVENTS` churn events gets
  curves but no comparisons; a Cox model needs :data:`EVENTS_PER_TERM` events per
  model term. Both are reported as notes, never raised.
* **Notes** are rows ``section, subject, note`` (:func:`retention_utils.results.notes_frame`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from ..errors import ConfigError, DataError

__all__ = ["TIMES", "SENSITIVITY_DAYS", "MIN_EVENTS", "EVENTS_PER_TERM", "RIDGE_PENALTY", "OTHER", "MISSING", "ALL",
           "DERIVED_FEATURES"]

#: Months at which survival is reported.
TIMES: tuple[float, ...] = (3, 6, 12, 24)
#: Inactivity thresholds (days) of the sensitivity table.
SENSITIVITY_DAYS: tuple[int, ...] = (60, 90, 120, 180)
#: Fewer churn events than this in a unit: curves only, no comparisons or models.
MIN_EVENTS = 10
#: A Cox model needs at least this many churn events per model term.
EVENTS_PER_TERM = 10
#: Ridge penalty of the fallback Cox fit (see :mod:`retention_utils.survival.cox`).
RIDGE_PENALTY = 1.0
#: Label of the merged rare levels.
OTHER = "other (rare)"
#: Label of missing values of a grouping column or covariate.
MISSING = "(missing)"
#: Label of the single group when there is no grouping.
ALL = "all customers"

#: Features derived from the CRM tables for each lifetime, with their plain-language description
#: (``{days}`` is the early-life window, ``survival.early_days``).
DERIVED_FEATURES: dict[str, str] = {
    "early_complaint": "a complaint in their first {days} days",
    "nps_detractor": "a first survey score of 6 or lower in their first {days} days",
    "discount_user": "a discounted order in their first {days} days",
}

_Z = stats.norm.ppf(0.975)


def _note(section: str, subject: str, note: str) -> dict[str, str]:
    return {"section": section, "subject": subject, "note": note}


def _check_table(table: pd.DataFrame, where: str, extra: tuple[str, ...] = ()) -> None:
    need = ("duration_months", "event") + tuple(extra)
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise DataError(f"{where}: the lifetimes table has no column(s) {missing}; it has "
                        f"{list(table.columns)[:12]}. Pass the table of retention_utils.survival.lifetimes() "
                        "or of lifetimes_from_snapshot().")


def _arrays(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return table["duration_months"].to_numpy(dtype=float), table["event"].to_numpy(dtype=bool)


def _labels(values: pd.Series) -> pd.Series:
    """Category labels as text; booleans as yes/no, missing as "(missing)"."""
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"}).astype(object)
    out = values.astype(object).where(values.notna(), MISSING)
    return out.map(str)


def _merge_rare(labels: pd.Series, min_count: int, *, section: str, name: str
                ) -> tuple[pd.Series, list[dict[str, str]]]:
    """Merge levels with fewer than ``min_count`` rows into OTHER; drop (NaN) OTHER if still too small."""
    notes = []
    counts = labels.value_counts()
    rare = counts[counts < min_count]
    if len(rare) and len(counts) > 1:
        merged = labels.where(~labels.isin(rare.index), OTHER)
        examples = ", ".join(f"'{lv}' ({n})" for lv, n in rare.head(5).items())
        more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
        n_other = int(rare.sum())
        if n_other >= min_count:
            notes.append(_note(section, name, f"{len(rare)} level(s) with fewer than {min_count} customers "
                                              f"merged into '{OTHER}': {examples}{more}."))
            return merged, notes
        notes.append(_note(section, name, f"{len(rare)} level(s) with fewer than {min_count} customers "
                                          f"({examples}{more}; {n_other} customers in all) are too rare to compare "
                                          "even when merged, so these customers are left out of this comparison."))
        return labels.where(~labels.isin(rare.index)), notes
    return labels, notes


def _order_levels(labels: pd.Series) -> list[str]:
    """Levels by size, largest first (ties alphabetically)."""
    counts = labels.dropna().value_counts()
    return sorted(counts.index, key=lambda lv: (-counts[lv], str(lv)))


def _loglog_ci(s: np.ndarray, se: np.ndarray, z: float = _Z) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log(-log) interval of a survival probability with standard error ``se``."""
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = z * np.asarray(se, dtype=float) / (s * np.abs(np.log(s)))
        lo = s ** np.exp(c)
        hi = s ** np.exp(-c)
    one = s >= 1.0
    lo[one], hi[one] = 1.0, 1.0
    zero = s <= 0.0
    lo[zero], hi[zero] = 0.0, 0.0
    return lo, hi


def _step_value(times: np.ndarray, values: np.ndarray, t: float, start: float = 1.0) -> float:
    """Right-continuous step function through (times, values), ``start`` before the first time."""
    i = np.searchsorted(times, t, side="right") - 1
    return start if i < 0 else float(values[i])


@dataclass(frozen=True)
class _Fit:
    """One group's Kaplan-Meier estimate (statsmodels SurvfuncRight) and its raw data."""

    group: str
    time: np.ndarray
    event: np.ndarray
    sf: SurvfuncRight | None

    @property
    def times(self) -> np.ndarray:
        return self.sf.surv_times if self.sf is not None else np.empty(0)

    @property
    def surv(self) -> np.ndarray:
        return self.sf.surv_prob if self.sf is not None else np.empty(0)

    @property
    def se(self) -> np.ndarray:
        return self.sf.surv_prob_se if self.sf is not None else np.empty(0)


def _fit(group: str, time: np.ndarray, event: np.ndarray) -> _Fit:
    sf = SurvfuncRight(time, event.astype(float)) if event.any() else None
    return _Fit(group, time, event, sf)


def _grouped(table: pd.DataFrame, group_by: str | None, min_customers: int, section: str
             ) -> tuple[pd.Series, list[str], list[dict[str, str]]]:
    """Group labels (NaN = left out), the ordered levels, and notes."""
    if group_by is None:
        return pd.Series(ALL, index=table.index, dtype=object), [ALL], []
    if group_by not in table.columns:
        raise ConfigError(f"survival.group_by: {group_by!r} is not a column of the lifetimes table; available: "
                          f"{_available(table)}. Set survival.group_by in the unit's params to one of them.")
    labels, notes = _merge_rare(_labels(table[group_by]), min_customers, section=section, name=group_by)
    return labels, _order_levels(labels), notes


def _available(table: pd.DataFrame) -> list[str]:
    skip = {"customer_id", "start", "stop", "duration_days", "duration_months", "event", "churn_type", "churn_reason"}
    return [c for c in table.columns if c not in skip][:20]


class _Displayed:
    """Mixin of the parts of a survival result: they show themselves in a notebook.

    The display module is imported lazily (as :class:`retention_utils.results.AnalysisResult`
    does), so computation never imports presentation code.
    """

    def _repr_html_(self) -> str:
        import importlib

        return str(importlib.import_module("retention_utils.display.survival").result_html(self))
