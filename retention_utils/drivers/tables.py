"""Churn drivers of a one-row-per-customer table with a churn flag, and of a snapshot unit.

Without dates there is no out-of-time test: :func:`drivers_from_table` checks the models with
stratified cross-validation (and says so); :func:`snapshot_drivers` runs it on a snapshot unit's
table (params ``sources.snapshot``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, examples_text
from .fitting import (
    _choose_best,
    _evaluate,
    _fit_all,
    _importance_frame,
    _partial_dependence,
    _permutation_importance,
    _predict,
    _reason_counts,
)
from .leakage import (
    LEAKAGE_AUC,
    _apply_leakage_guard,
    _check_exclude,
    _check_reference_levels,
    _exclude_notes,
    _usable_numeric,
    leakage_guard,
)
from .models import ChurnRule
from .result import _EMPTY, DriversResult, _empty

__all__ = ["drivers_from_table", "snapshot_drivers", "SNAPSHOT_NON_FEATURES"]

_TRUE_LABELS = {"1", "1.0", "yes", "y", "true", "t", "churned", "churn", "exited", "attrited customer"}
_FALSE_LABELS = {"0", "0.0", "no", "n", "false", "f", "stayed", "existing customer", "retained"}


def _binary_target(s: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(int).to_numpy()
    v = s.astype(str).str.strip().str.lower()
    bad = ~(v.isin(_TRUE_LABELS) | v.isin(_FALSE_LABELS))
    if bad.any():
        ex = s[bad].astype(str).unique().tolist()
        raise DataError(f"target column {name!r} has {int(bad.sum()):,} values that are not a churn flag "
                        f"({examples_text(ex)}); expected 1/0, yes/no or true/false. Recode them or choose "
                        "another target column.")
    return v.isin(_TRUE_LABELS).astype(int).to_numpy()


def _coerce_features(df: pd.DataFrame, *, max_levels: int) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    """Numeric-looking text becomes numbers; returns (frame, numeric, categorical, notes)."""
    out = pd.DataFrame(index=df.index)
    numeric, categorical, notes = [], [], []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype(float)
            numeric.append(c)
            continue
        txt = s.astype(str).str.strip()
        blank = s.isna() | txt.isin(["", "nan", "None", "NaN"])
        num = pd.to_numeric(txt.where(~blank), errors="coerce")
        filled = (~blank).sum()
        if filled and num.notna().sum() >= 0.95 * filled:
            out[c] = num.astype(float)
            numeric.append(c)
            n_blank = int(blank.sum())
            if n_blank:
                notes.append(f"Column {c!r} holds numbers with {n_blank:,} blank value(s); read as numbers "
                             "(blanks as missing).")
            continue
        lv = txt.where(~blank, "(missing)")
        if lv.nunique() > max_levels:
            notes.append(f"Column {c!r} left out: {lv.nunique():,} distinct values is too many for a driver "
                         "(an identifier or free text?).")
            continue
        out[c] = lv.astype(str)
        categorical.append(c)
    return out, numeric, categorical, notes


def drivers_from_table(table: pd.DataFrame, *, target: str, id_column: str | None = None,
                       reason_columns: Sequence[str] = (), drop: Sequence[str] = (), n_splits: int = 5,
                       seed: int = 0, leakage_auc: float = LEAKAGE_AUC, exclude_leaks: bool = True,
                       n_repeats: int = 3, max_levels: int = 50, min_churners: int = 50,
                       models: Sequence[str] = ("logit", "hgb"), exclude: Sequence[str] = (),
                       reference_levels: dict[str, str] | None = None) -> DriversResult:
    """Churn models and drivers from a one-row-per-customer table with a churn flag (no dates).

    Without dates there is no out-of-time test: the models are checked with
    stratified ``n_splits``-fold cross-validation (every customer predicted by
    models that did not see them), and the result says so. The baseline is the
    single most predictive column, chosen inside each training fold.

    Parameters
    ----------
    table : DataFrame
        One row per customer (not modified).
    target : str
        The churn flag column (1/0, yes/no, true/false).
    id_column : str, optional
        Customer key, not a feature.
    reason_columns : sequence of str
        Columns recorded at churn (reason, category): broken down for the
        churners, never used as features. Two columns are read as (type, reason).
    drop : sequence of str
        Further columns that are not features.
    n_splits, seed, leakage_auc, exclude_leaks, n_repeats, max_levels, min_churners
        Folds, randomness, the leakage guard, permutation repeats (0: no
        permutation importance), the most levels a categorical feature may
        have, the fewest churners to model.
    models : sequence of str
        Which of ``logit`` and ``hgb`` to fit besides the baseline.
    exclude : sequence of str
        Features never used by the models (params ``drivers.exclude``; noted in
        the result). Unlike ``drop``, an unknown name is a :class:`ConfigError`
        listing the features available.
    reference_levels : dict, optional
        Categorical feature -> the level the logistic regression compares the
        others with (params ``drivers.reference_levels``; default the most
        frequent level).

    Returns
    -------
    DriversResult
        ``design='stratified_cv'``; no plan, no scoring models beyond the
        full-data fits (``models``).

    Raises
    ------
    DataError
        The target is missing or not a churn flag.
    ConfigError
        ``exclude`` names an unknown feature, or ``reference_levels`` a column
        that is not a categorical feature or a level that does not occur.
    """
    from sklearn.model_selection import StratifiedKFold

    df = table
    missing = [c for c in [target, id_column, *reason_columns, *drop] if c and c not in df.columns]
    if missing:
        raise DataError(f"column(s) {examples_text(missing)} not found in the table; columns present: "
                        f"{examples_text(list(df.columns), limit=12)}.")
    y = _binary_target(df[target], target)
    skip = {target, *reason_columns, *drop} | ({id_column} if id_column else set())
    excluded = _check_exclude(exclude, [c for c in df.columns if c not in skip])
    X, numeric, categorical, notes = _coerce_features(df[[c for c in df.columns if c not in skip | set(excluded)]],
                                                      max_levels=max_levels)
    refs = _check_reference_levels(reference_levels or {}, X, categorical)
    notes = _exclude_notes(excluded, repr) + notes
    numeric = _usable_numeric(X, numeric)
    categorical = [c for c in categorical if X[c].nunique() > 1]
    X = X[numeric + categorical].reset_index(drop=True)
    counts = pd.DataFrame([{"set": "all", "cutoffs": "", "n_customers": int(y.size), "n_churned": int(y.sum()),
                            "churn_rate": float(y.mean()) if y.size else np.nan}], columns=_EMPTY["counts"])
    reasons = _empty(_EMPTY["reasons"])
    if reason_columns:
        r = df.loc[y == 1, list(reason_columns)].copy()
        if set(reason_columns) <= {"churn_type", "churn_reason"}:
            pass  # canonical names (a snapshot unit): a churn_type alone stays a type
        else:
            r.columns = ["churn_type", "churn_reason"][-len(reason_columns):] if len(reason_columns) <= 2 else \
                list(reason_columns)
        if "churn_type" not in r:
            r["churn_type"] = "(not recorded)"
        reasons = _reason_counts(r, ["churn_type", "churn_reason"])
    validation = (f"Stratified {n_splits}-fold cross-validation on one snapshot ({y.size:,} customers, one row "
                  f"each, {int(y.sum()):,} churned): every customer is predicted by models that did not see them, "
                  "but all customers come from the same period, so this is not an out-of-time test and may be "
                  "optimistic about the future. The baseline is the single most predictive column.")
    empty = {k: _empty(v) for k, v in _EMPTY.items()}
    if y.sum() < min_churners or (y.size - y.sum()) < min_churners:
        notes.insert(0, f"Too few churners ({int(y.sum())}) or stayers ({int(y.size - y.sum())}) to fit and check "
                     f"a churn model (at least {min_churners} of each are needed).")
        return DriversResult(status="too_few_churners", design="stratified_cv", validation=validation,
                             notes=tuple(notes), horizon_days=0, plan=None,
                             **{**empty, "counts": counts, "reasons": reasons})
    leak = leakage_guard(X, y, threshold=leakage_auc, seed=seed)
    flagged, numeric, categorical = _apply_leakage_guard(leak, numeric, categorical, notes=notes,
                                                         exclude_leaks=exclude_leaks, name=repr)
    feats = numeric + categorical
    baseline = ChurnRule(column=None, exclude=tuple(flagged))
    which = [m for m in ("logit", "hgb") if m in models]
    if not which:
        raise ConfigError(f"The 'models' parameter of drivers_from_table must name 'logit' and/or 'hgb'. "
                          f"Got {list(models)!r} instead.")
    oof = {k: np.zeros(y.size) for k in ("baseline", *which)}
    imp_parts: dict[str, list[pd.DataFrame]] = {m: [] for m in which}
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for i, (tr, te) in enumerate(folds.split(X, y)):
        Xtr, Xte = X.iloc[tr], X.iloc[te]
        fitted = _fit_all(Xtr, y[tr], numeric, categorical, seed=seed + i, groups=None, baseline=baseline,
                          which=which, reference_levels=refs)
        for k, v in _predict(fitted, Xte, feats).items():
            oof[k][te] = v
        if n_repeats:
            for m in which:
                imp_parts[m].append(_permutation_importance(fitted[m], Xte[feats], y[te], n_repeats=n_repeats,
                                                            seed=seed + i, max_rows=20_000))
    metrics, calibration, gains = _evaluate(y, oof)
    best, beats = _choose_best(metrics)
    importance = _importance_frame(imp_parts) if n_repeats else _empty(_EMPTY["importance"])
    models = _fit_all(X, y, numeric, categorical, seed=seed, groups=None, baseline=baseline, which=which,
                      reference_levels=refs)
    if "logit" in models and models["logit"].collinear_:
        notes.append("Left out of the logistic regression because they repeat other columns (variance inflation "
                     f"above 10): {examples_text(models['logit'].collinear_)}.")
    orat = models["logit"].odds_ratios() if "logit" in models else _empty(_EMPTY["odds_ratios"])
    orat["label"] = orat["feature"]
    top = importance[importance["model"] == best].sort_values("rank")["feature"].head(4).tolist()
    pdp = _partial_dependence(models[best], X[feats], top, categorical, seed=seed) if top else \
        _empty(_EMPTY["partial_dependence"])
    pdp["label"] = pdp["feature"]
    ev = pd.DataFrame({"customer_id": df[id_column].astype(str).to_numpy() if id_column else np.arange(y.size),
                       "churned": y, **{f"p_{k}": v for k, v in oof.items()}})
    return DriversResult(
        status="ok", design="stratified_cv", validation=validation, notes=tuple(notes), horizon_days=0, plan=None,
        counts=counts, metrics=metrics, calibration=calibration, gains=gains,
        importance=importance[_EMPTY["importance"]].assign(label=lambda d: d["feature"]),
        odds_ratios=orat[_EMPTY["odds_ratios"]], partial_dependence=pdp[_EMPTY["partial_dependence"]],
        leakage=leak[_EMPTY["leakage"]], reasons=reasons, best_model=best, beats_baseline=beats,
        numeric=tuple(numeric), categorical=tuple(categorical), models=models, eval_predictions=ev,
        baseline_rule=models["baseline"].describe() + " (the single most predictive column)")


#: Snapshot columns that are never features: the key, the label, what is recorded at churn, the dates.
SNAPSHOT_NON_FEATURES = ("customer_id", "business_unit", "churned", "churn_type", "churn_reason", "start_date",
                         "end_date")


def _snapshot_frame(data: Any) -> pd.DataFrame:
    if getattr(data, "kind", "orders") != "snapshot" or getattr(data, "snapshot", None) is None:
        raise ConfigError("snapshot_drivers needs a snapshot unit (params sources.snapshot: one row per customer "
                          "with a churn flag); this unit has orders: use churn_drivers.")
    df = data.snapshot.to_pandas()
    return df.sort_values("customer_id", kind="stable").reset_index(drop=True)


def snapshot_drivers(data: Any, spec: Any = None, *, seed: int = 0, n_splits: int = 5, n_repeats: int = 3, min_churners: int = 50,
                     models: Sequence[str] = ("logit", "hgb")) -> DriversResult:
    """Churn models and drivers of a snapshot unit (one row per customer, a churn flag, no orders).

    Wraps :func:`drivers_from_table` on ``data.snapshot``: target ``churned``,
    id ``customer_id``, reasons ``churn_type`` / ``churn_reason`` (broken down
    for the churners, never features), dates never features. The features are
    ``tenure_months`` and the attributes: those listed in
    ``drivers.attributes``, or every loaded attribute when the list is empty,
    less ``drivers.exclude``; ``drivers.reference_levels`` sets the logistic
    regression's reference levels. Validation is stratified cross-validation
    (the result says it is not an out-of-time test).

    Parameters
    ----------
    data : UnitData
        ``data.kind == "snapshot"``; ``data.snapshot`` an Ibis table.
    spec : DriversSpec, optional
        The analysis's params section (``drivers``: ``horizon_days``, ``n_cutoffs``, ``attributes``,
        ``exclude``, ``reference_levels``, ``tiers``); default ``data.config.drivers``.
    seed, n_splits, n_repeats, min_churners, models
        As in :func:`drivers_from_table`.

    Returns
    -------
    DriversResult
        ``design='stratified_cv'``; :func:`early_warning` then scores the
        customers who have not churned.

    Raises
    ------
    ConfigError
        Not a snapshot unit; ``drivers.attributes`` or ``drivers.exclude``
        names an unknown column; a reference level is not a level of its driver.
    """
    df = _snapshot_frame(data)
    spec = data.config.drivers if spec is None else spec
    candidates = [c for c in df.columns if c not in SNAPSHOT_NON_FEATURES]
    attrs = [c for c in candidates if c != "tenure_months"]
    if spec.attributes:
        missing = [a for a in spec.attributes if a not in attrs]
        if missing:
            raise ConfigError(f"drivers.attributes: {examples_text(missing)} not found in the snapshot; attributes "
                              f"present: {examples_text(attrs, limit=40) or 'none'}. List the column under "
                              "sources.snapshot.attributes as well, so that it is loaded.")
        unused = [a for a in attrs if a not in spec.attributes]
    else:
        unused = []
    _check_exclude(spec.exclude, candidates)  # any loaded column; one not among drivers.attributes is unused anyway
    exclude = [c for c in spec.exclude if c not in unused]
    reasons = [c for c in ("churn_type", "churn_reason") if c in df.columns]
    drop = [c for c in df.columns if c in SNAPSHOT_NON_FEATURES and c not in ("customer_id", "churned", *reasons)]
    return drivers_from_table(df, target="churned", id_column="customer_id", reason_columns=reasons,
                              drop=drop + unused, exclude=exclude, reference_levels=spec.reference_levels,
                              seed=seed, n_splits=n_splits, n_repeats=n_repeats, min_churners=min_churners,
                              models=models)
