"""Which features the models may use: the leakage guard and the params that leave features out.

* **Leakage guard** (:func:`leakage_guard`): a feature whose single-feature ROC AUC
  (direction-free; categories by out-of-fold target encoding) exceeds :data:`LEAKAGE_AUC` is
  flagged and, by default, excluded; one between :data:`LEAKAGE_WARN_AUC` and
  :data:`LEAKAGE_AUC` is kept but reported in the headline as suspected leakage, with the advice
  to exclude it (``drivers.exclude``) if it is recorded after the outcome.
* ``drivers.exclude`` and ``drivers.reference_levels`` are checked against the features
  available (a :class:`~retention_utils.errors.ConfigError` names the unknown ones).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ..errors import ConfigError, examples_text
from .metrics import single_feature_auc

__all__ = ["LEAKAGE_AUC", "LEAKAGE_WARN_AUC", "leakage_guard"]

#: Single-feature ROC AUC above which a feature is flagged as a probable leak.
LEAKAGE_AUC: float = 0.95
#: Single-feature ROC AUC above which (up to :data:`LEAKAGE_AUC`) a feature is reported as suspected leakage.
LEAKAGE_WARN_AUC: float = 0.90


def _apply_leakage_guard(leak: pd.DataFrame, numeric: list[str], categorical: list[str], *, notes: list[str],
                         exclude_leaks: bool, name: Callable[[str], str]) -> tuple[list[str], list[str], list[str]]:
    """Mark the guard's verdict in ``leak``, note it, and drop flagged features when ``exclude_leaks``."""
    leak["excluded"] = leak["flagged"] & exclude_leaks
    sus = leak[leak["suspected"]]
    if len(sus):
        names = ", ".join(f"{name(f)} (AUC {a:.3f})" for f, a in sus[["feature", "single_auc"]].itertuples(index=False))
        notes.append(f"Suspected leakage: {names} alone separate(s) churners from stayers with a ROC AUC above "
                     f"{LEAKAGE_WARN_AUC:.2f}. Kept in the models; if the value is recorded after the outcome "
                     "(a score or status updated when the customer leaves), exclude it (params drivers.exclude: "
                     f"[{', '.join(sus['feature'].astype(str))}]): it inflates the model's accuracy and cannot warn "
                     "in time.")
    flagged = leak.loc[leak["flagged"], "feature"].tolist()
    if flagged:
        names = ", ".join(f"{name(f)} (AUC {a:.3f})" for f, a in
                          leak.loc[leak["flagged"], ["feature", "single_auc"]].itertuples(index=False))
        notes.append(f"Leakage guard: {names} alone predict(s) churn almost perfectly, which usually means the "
                     "value is recorded after (or because of) the churn. " +
                     ("Excluded from the models." if exclude_leaks else "Kept in the models (exclude_leaks=False)."))
        if exclude_leaks:
            numeric = [c for c in numeric if c not in flagged]
            categorical = [c for c in categorical if c not in flagged]
    return flagged, numeric, categorical


def leakage_guard(X: pd.DataFrame, y: Any, *, threshold: float = LEAKAGE_AUC, labels: dict[str, str] | None = None,
                  seed: int = 0, warn: float = LEAKAGE_WARN_AUC) -> pd.DataFrame:
    """Flag features that alone predict the label almost perfectly (probable leaks).

    A feature recorded after (or because of) the churn, such as a satisfaction
    score collected in the exit survey, separates churners perfectly in the
    data but is useless (and misleading) for prediction.

    A feature a little below the threshold (``warn < single_auc <= threshold``)
    is not excluded but marked ``suspected``: telco's ``Churn Score`` (AUC
    0.942) is computed after the churn and inflates a model's accuracy.

    Returns
    -------
    DataFrame
        ``feature, label, single_auc, flagged, suspected`` sorted by
        ``single_auc`` (descending); ``flagged`` when ``single_auc > threshold``,
        ``suspected`` when ``warn < single_auc <= threshold``.

    Examples
    --------
    >>> X = pd.DataFrame({"leak": [0, 0, 1, 1, 0, 1], "noise": [1, 2, 1, 2, 2, 1]})
    >>> leakage_guard(X, [0, 0, 1, 1, 0, 1])[["feature", "flagged"]].values.tolist()
    [['leak', True], ['noise', False]]
    >>> X = pd.DataFrame({"score": list(range(10))})  # one churner ranked below one stayer: AUC 24/25
    >>> g = leakage_guard(X, [0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    >>> round(float(g["single_auc"][0]), 3), bool(g["flagged"][0]), bool(g["suspected"][0])
    (0.96, True, False)
    >>> g = leakage_guard(X, [0, 0, 0, 1, 0, 0, 1, 1, 1, 1])  # ... below two stayers: 23/25
    >>> round(float(g["single_auc"][0]), 3), bool(g["flagged"][0]), bool(g["suspected"][0])
    (0.92, False, True)
    """
    labels = labels or {}
    rows = [{"feature": c, "label": labels.get(c, c), "single_auc": single_feature_auc(X[c], y, seed=seed)}
            for c in X.columns]
    out = pd.DataFrame(rows, columns=["feature", "label", "single_auc"])
    out["flagged"] = out["single_auc"] > threshold
    out["suspected"] = (out["single_auc"] > warn) & ~out["flagged"]
    return out.sort_values("single_auc", ascending=False, na_position="last").reset_index(drop=True)


def _usable_numeric(X: pd.DataFrame, names: Sequence[str]) -> list[str]:
    out = []
    for c in names:
        if c not in X:
            continue
        v = X[c].astype(float)
        if v.notna().sum() >= 2 and v.nunique(dropna=True) > 1:
            out.append(c)
    return out


def _check_exclude(exclude: Sequence[str], available: Sequence[str], *, where: str = "drivers.exclude") -> list[str]:
    """The features to leave out, checked against those available (a ConfigError names the unknown ones).

    Examples
    --------
    >>> _check_exclude(["b"], ["a", "b"])
    ['b']
    >>> _check_exclude(["c"], ["a", "b"])
    Traceback (most recent call last):
    ...
    retention_utils.errors.ConfigError: drivers.exclude: 'c' is not a feature of this unit; features available: 'a', 'b'. Remove it or correct the name.
    """
    unknown = [x for x in exclude if x not in set(available)]
    if unknown:
        raise ConfigError(f"{where}: {examples_text(unknown)} {'is' if len(unknown) == 1 else 'are'} not a feature "
                          f"of this unit; features available: {examples_text(list(available), limit=40)}. Remove "
                          f"{'it' if len(unknown) == 1 else 'them'} or correct the name.")
    return list(exclude)


def _check_reference_levels(refs: dict[str, str], X: pd.DataFrame, categorical: Sequence[str], *,
                            where: str = "drivers.reference_levels") -> dict[str, str]:
    """Check that each reference level names a categorical driver and one of its levels present in ``X``.

    Examples
    --------
    >>> X = pd.DataFrame({"plan": ["basic", "pro", "basic"]})
    >>> _check_reference_levels({"plan": "pro"}, X, ["plan"])
    {'plan': 'pro'}
    >>> _check_reference_levels({"plan": "gold"}, X, ["plan"])
    Traceback (most recent call last):
    ...
    retention_utils.errors.ConfigError: drivers.reference_levels: level 'gold' of 'plan' does not occur in the data; levels present: 'basic', 'pro'. Set one of them, or remove the entry to compare with the most frequent level.
    """
    out = {}
    for col, level in (refs or {}).items():
        if col not in categorical:
            raise ConfigError(f"{where}: {col!r} is not a categorical driver of this unit; categorical drivers: "
                              f"{examples_text(list(categorical), limit=20) or 'none'}. Numeric drivers have no "
                              "reference level.")
        present = sorted(set(X[col].astype(str))) if col in X else []
        if str(level) not in present:
            raise ConfigError(f"{where}: level {str(level)!r} of {col!r} does not occur in the data; levels present: "
                              f"{examples_text(present, limit=20) or 'none'}. Set one of them, or remove the entry "
                              "to compare with the most frequent level.")
        out[col] = str(level)
    return out


def _exclude_notes(exclude: Sequence[str], name: Callable[[str], str]) -> list[str]:
    if not exclude:
        return []
    note = (f"Left out of the models by params drivers.exclude: {', '.join(name(f) for f in exclude)}.")
    rule = [f for f in exclude if f in ("recency_days", "overdue_ratio", "mean_interpurchase_days")]
    if rule:
        note += (" The baseline rule still ranks customers by how overdue they are (it is the reference the "
                 "models must beat).")
    return [note]
