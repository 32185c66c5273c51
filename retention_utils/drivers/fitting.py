"""Fitting, predicting and evaluating the three models; importance and partial dependence.

Shared by the out-of-time analysis of a unit (:func:`~retention_utils.drivers.analysis.churn_drivers`)
and the cross-validated one of a table (:func:`~retention_utils.drivers.tables.drivers_from_table`).
The model is chosen by one stated criterion, :data:`SELECTION_METRIC`: the share of the test churners
among the riskiest :data:`SELECTION_SHARE` of the test customers (what a retention campaign that contacts
that many customers would reach). A fitted model is used only when it reaches at least
:data:`BEAT_MARGIN` more of them than the baseline rule; otherwise the rule is used (and said so).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .metrics import calibration_table, classification_metrics, gains_table
from .models import ChurnRule, LogitChurnModel, _threads, make_hgb
from .result import _EMPTY, _empty, feature_label

__all__ = ["BEAT_MARGIN", "SELECTION_METRIC", "SELECTION_SHARE", "WEAK_LIFT", "stratified_sample", "choose_model"]

#: The one criterion that picks the model: share of the test churners among the riskiest 20% of the test customers.
SELECTION_METRIC: str = "capture_top20"
#: The share of customers a campaign contacts in :data:`SELECTION_METRIC`.
SELECTION_SHARE: float = 0.2
#: A model beats the baseline rule when it reaches at least this much more of the churners (1 percentage point).
BEAT_MARGIN: float = 0.01
#: Below this lift (the riskiest 20% hold fewer than 1.25 times the churners of a random 20%) no ranking is
#: good enough to single customers out.
WEAK_LIFT: float = 1.25


def stratified_sample(strata: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``n`` rows drawn without replacement, each stratum in its exact share.

    ``strata`` holds one code per row (the churn models use cut-off x churned, so that the sample has
    the panel's churn rate and mix of cut-offs exactly). Shares are rounded by largest remainder;
    with ``n`` at least the number of rows every position is returned.

    Examples
    --------
    >>> strata = np.array([0] * 80 + [1] * 20)
    >>> idx = stratified_sample(strata, 10, np.random.default_rng(0))
    >>> len(idx), int((strata[idx] == 1).sum())
    (10, 2)
    >>> len(stratified_sample(strata, 500, np.random.default_rng(0)))
    100
    """
    strata = np.asarray(strata)
    if n >= strata.size:
        return np.arange(strata.size)
    codes, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    quota = counts * (n / strata.size)
    take = np.floor(quota).astype(int)
    short = n - int(take.sum())
    if short:
        take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    order = np.argsort(inverse, kind="stable")  # positions grouped by stratum, in row order within each
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    picked = [rng.choice(order[s:s + c], size=k, replace=False) for s, c, k in zip(starts, counts, take) if k]
    return np.sort(np.concatenate(picked)) if picked else np.empty(0, dtype=int)


def _permutation_importance(model: Any, X: pd.DataFrame, y: np.ndarray, *, n_repeats: int, seed: int,
                            max_rows: int) -> pd.DataFrame:
    from sklearn.inspection import permutation_importance

    if len(X) > max_rows:
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[idx], y[idx]
    if y.min() == y.max():
        return pd.DataFrame({"feature": X.columns, "importance_mean": np.nan, "importance_std": np.nan})
    with warnings.catch_warnings(), _threads(len(X)):
        warnings.simplefilter("ignore")
        r = permutation_importance(model, X, y, scoring="roc_auc", n_repeats=n_repeats, random_state=seed, n_jobs=1)
    return pd.DataFrame({"feature": list(X.columns), "importance_mean": r.importances_mean,
                         "importance_std": r.importances_std, "_raw": list(r.importances)})


def _partial_dependence(model: Any, X: pd.DataFrame, features: Sequence[str], categorical: Sequence[str], *,
                        grid: int = 20, max_rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Mean predicted churn probability when every customer's feature is set to each grid value."""
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=seed)
    cat = set(categorical)
    with _threads(len(X)):
        return _pd_rows(model, X, features, cat, grid)


def _pd_rows(model: Any, X: pd.DataFrame, features: Sequence[str], cat: set, grid: int) -> pd.DataFrame:
    rows = []
    for f in features:
        if f in cat:
            values = list(X[f].astype(str).value_counts().index[:12])
        else:
            v = X[f].astype(float).dropna()
            if v.empty:
                continue
            values = list(np.unique(np.quantile(v, np.linspace(0.05, 0.95, grid))))
        for val in values:
            Xc = X.copy()
            Xc[f] = val
            p = float(np.mean(model.predict_proba(Xc)[:, 1]))
            rows.append({"feature": f, "kind": "categorical" if f in cat else "numeric",
                         "x": np.nan if f in cat else float(val), "level": str(val) if f in cat else "",
                         "mean_probability": p})
    return pd.DataFrame(rows, columns=["feature", "kind", "x", "level", "mean_probability"])


def _evaluate(y: np.ndarray, preds: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    metrics, calib, gains = [], [], []
    for name, p in preds.items():
        for k, v in classification_metrics(y, p).items():
            metrics.append({"model": name, "metric": k, "value": v})
        calib.append(calibration_table(y, p).assign(model=name))
        gains.append(gains_table(y, p).assign(model=name))
    cal = pd.concat(calib, ignore_index=True)
    gai = pd.concat(gains, ignore_index=True)
    return (pd.DataFrame(metrics), cal[_EMPTY["calibration"]], gai[_EMPTY["gains"]])


def _importance_frame(parts: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    rows = []
    for model, frames in parts.items():
        raw: dict[str, list[float]] = {}
        for fr in frames:
            for f, r in zip(fr["feature"], fr["_raw"] if "_raw" in fr else [[np.nan]] * len(fr)):
                raw.setdefault(f, []).extend(list(np.atleast_1d(r)))
        for f, vals in raw.items():
            v = np.asarray(vals, dtype=float)
            rows.append({"model": model, "feature": f, "label": feature_label(f),
                         "importance_mean": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                         "importance_std": float(np.nanstd(v)) if np.isfinite(v).any() else np.nan})
    out = pd.DataFrame(rows, columns=_EMPTY["importance"][:-1])
    out["rank"] = out.groupby("model")["importance_mean"].rank(ascending=False, method="first")
    out["rank"] = out["rank"].fillna(len(out)).astype(int)
    return out.sort_values(["model", "rank"]).reset_index(drop=True)


def _fit_all(X: pd.DataFrame, y: np.ndarray, numeric: list[str], categorical: list[str], *, seed: int,
             groups: Any, baseline: ChurnRule, which: Sequence[str] = ("logit", "hgb"),
             reference_levels: dict[str, str] | None = None) -> dict[str, Any]:
    from sklearn.base import clone

    feats = numeric + categorical
    models: dict[str, Any] = {"baseline": clone(baseline).fit(X, y)}
    if "logit" in which:
        models["logit"] = LogitChurnModel(numeric=numeric, categorical=categorical,
                                          reference_levels=reference_levels).fit(X[feats], y)
    if "hgb" in which:
        hgb = make_hgb(numeric, categorical, n_rows=len(X), seed=seed, groups=groups)
        with warnings.catch_warnings(), _threads(len(X)):
            warnings.simplefilter("ignore")
            models["hgb"] = hgb.fit(X[feats], y)
    return models


def _predict(models: dict[str, Any], X: pd.DataFrame, feats: list[str]) -> dict[str, np.ndarray]:
    out = {"baseline": models["baseline"].predict_proba(X)[:, 1]}
    with _threads(len(X)):
        for name in ("logit", "hgb"):
            if name in models:
                out[name] = models[name].predict_proba(X[feats])[:, 1]
    return out


def choose_model(metrics: pd.DataFrame) -> tuple[str, bool]:
    """The best fitted model and whether it beats the baseline rule, by :data:`SELECTION_METRIC` alone.

    ``metrics``: ``model, metric, value``. The best of ``logit`` and ``hgb`` reaches the most test
    churners among the riskiest :data:`SELECTION_SHARE`; the logistic regression is preferred within
    :data:`BEAT_MARGIN` (as good, and interpretable). It beats the baseline when it reaches at least
    :data:`BEAT_MARGIN` more than the rule (a missing baseline is beaten). ``("", False)`` without models.

    Examples
    --------
    >>> m = pd.DataFrame({"model": ["baseline", "logit", "hgb"], "metric": "capture_top20",
    ...                   "value": [0.44, 0.42, 0.39]})
    >>> choose_model(m)
    ('logit', False)
    >>> choose_model(m.assign(value=[0.30, 0.42, 0.425]))
    ('logit', True)
    >>> choose_model(m.assign(value=[0.30, 0.42, 0.45]))
    ('hgb', True)
    """
    m = metrics[metrics["metric"] == SELECTION_METRIC].set_index("model")["value"]
    cands = [x for x in ("hgb", "logit") if x in m.index and pd.notna(m[x])]
    if not cands:
        return "", False
    best = max(cands, key=lambda x: (m[x], x == "logit"))
    if "logit" in cands and m["logit"] >= m[best] - BEAT_MARGIN:
        best = "logit"  # as good within a point: prefer the interpretable model
    base = m.get("baseline", np.nan)
    beats = bool(pd.isna(base) or m[best] >= base + BEAT_MARGIN - 1e-12)
    return best, beats


_choose_best = choose_model


def _reason_counts(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    if df.empty:
        return _empty(_EMPTY["reasons"])
    df = df.copy()
    for c in ("churn_type", "churn_reason"):
        df[c] = df[c].astype(object).where(df[c].notna(), "(not recorded)").astype(str) if c in df else ""
    out = df.groupby(["churn_type", "churn_reason"]).size().rename("n_churned").reset_index()
    out["share"] = out["n_churned"] / out["n_churned"].sum()
    if (out["churn_reason"] == "(not recorded)").all() and (out["churn_type"] == "(not recorded)").all():
        return _empty(_EMPTY["reasons"])
    return out.sort_values("n_churned", ascending=False).reset_index(drop=True)
