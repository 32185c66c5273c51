"""How well a churn score ranks and how well its probabilities are calibrated.

Lift, cumulative gains, calibration by bins (Wilson intervals from
:func:`retention_utils.stats.wilson_interval`), the classification metrics of a model and the
direction-free single-feature ROC AUC the baseline rule and the leakage guard use.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from ..stats import wilson_interval

__all__ = ["lift_table", "gains_table", "calibration_table", "classification_metrics", "single_feature_auc"]


def _top_positives(y: np.ndarray, score: np.ndarray, k: Any) -> Any:
    """Expected positives among the ``k`` highest scores, ties broken at random (in expectation).

    ``k`` may be a number or an array of numbers (one sort for all).
    """
    ks = np.atleast_1d(np.asarray(k, dtype=float))
    out = np.zeros(ks.shape)
    n = y.size
    if n == 0:
        return out if np.ndim(k) else 0.0
    order = np.argsort(-score, kind="stable")
    s, yy = score[order], y[order].astype(float)
    cum = np.r_[0.0, np.cumsum(yy)]
    neg = -s  # ascending
    for i, kk in enumerate(np.minimum(ks, n)):
        if kk <= 0:
            continue
        thr = s[int(math.ceil(kk)) - 1]
        lo = int(np.searchsorted(neg, -thr, side="left"))   # scores strictly above thr
        hi = int(np.searchsorted(neg, -thr, side="right"))  # ... and the ties
        tie_mean = (cum[hi] - cum[lo]) / (hi - lo)
        out[i] = cum[lo] + (kk - lo) * tie_mean
    return out if np.ndim(k) else float(out[0])


def lift_table(y: Any, score: Any, *, shares: Sequence[float] = (0.1, 0.2)) -> pd.DataFrame:
    """Lift and capture when targeting the top share of customers by score.

    Returns
    -------
    DataFrame
        ``top_share, n_targeted, churn_rate, lift, capture``: the churn rate
        among the targeted, its ratio to the overall rate, and the share of all
        churners they include (ties at the boundary counted in expectation).

    Examples
    --------
    >>> lift_table([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shares=[0.2])
       top_share  n_targeted  churn_rate  lift  capture
    0        0.2         2.0         0.5   2.5      0.5
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    base = y.mean() if y.size else np.nan
    rows = []
    for share in shares:
        k = share * y.size
        pos = _top_positives(y, score, k)
        rate = pos / k if k else np.nan
        rows.append({"top_share": float(share), "n_targeted": float(k), "churn_rate": rate,
                     "lift": rate / base if base else np.nan, "capture": pos / y.sum() if y.sum() else np.nan})
    return pd.DataFrame(rows)


def gains_table(y: Any, score: Any, *, points: int = 50) -> pd.DataFrame:
    """Cumulative gains: share of churners captured when targeting the top share of customers.

    Returns
    -------
    DataFrame
        ``share_targeted, share_captured`` from 0 to 1.
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    shares = np.linspace(0, 1, points + 1)
    tot = y.sum()
    cap = _top_positives(y, score, shares * y.size) / tot if tot else np.full(shares.shape, np.nan)
    return pd.DataFrame({"share_targeted": shares, "share_captured": cap})


def calibration_table(y: Any, prob: Any, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted against realized churn by equal-sized bins of predicted probability.

    Returns
    -------
    DataFrame
        ``bin`` (1 = lowest predictions), ``n_customers, mean_predicted,
        observed_rate, ci_lower, ci_upper`` (Wilson 95% interval of the observed rate).

    Examples
    --------
    >>> calibration_table([0, 1, 0, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)[["bin", "mean_predicted", "observed_rate"]]
       bin  mean_predicted  observed_rate
    0    1            0.15            0.5
    1    2            0.80            0.5
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(prob, dtype=float)
    order = np.argsort(p, kind="stable")
    rows = []
    for b, idx in enumerate(np.array_split(order, min(n_bins, max(len(p), 1))), start=1):
        if idx.size == 0:
            continue
        k, n = y[idx].sum(), idx.size
        lo, hi = wilson_interval(np.array([k], dtype=float), np.array([n], dtype=float))
        rows.append({"bin": b, "n_customers": int(n), "mean_predicted": float(p[idx].mean()),
                     "observed_rate": float(k / n), "ci_lower": float(lo[0]), "ci_upper": float(hi[0])})
    return pd.DataFrame(rows, columns=["bin", "n_customers", "mean_predicted", "observed_rate", "ci_lower",
                                       "ci_upper"])


def classification_metrics(y: Any, prob: Any) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score, lift and capture at the top 10% / 20%.

    Examples
    --------
    >>> m = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["base_rate"]
    (0.75, 0.5)
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(prob, dtype=float)
    both = y.size and 0 < y.sum() < y.size
    out = {
        "n_customers": float(y.size),
        "base_rate": float(y.mean()) if y.size else np.nan,
        "roc_auc": float(roc_auc_score(y, p)) if both else np.nan,
        "pr_auc": float(average_precision_score(y, p)) if both else np.nan,
        "brier": float(brier_score_loss(y, p)) if y.size else np.nan,
    }
    lt = lift_table(y, p, shares=(0.1, 0.2))
    for r in lt.itertuples():
        pct = int(round(r.top_share * 100))
        out[f"lift_top{pct}"] = float(r.lift)
        out[f"capture_top{pct}"] = float(r.capture)
    return out


def single_feature_auc(x: Any, y: Any, *, seed: int = 0, out_of_fold: bool = True) -> float:
    """How well one feature alone separates churners from the rest (ROC AUC, direction-free).

    Numeric: the AUC of the raw values, taking the better direction and the
    better placement of missing values (below or above all others).
    Categorical: the AUC of an out-of-fold (5-fold) target encoding, so that an
    identifier-like column does not look predictive by memorising rows
    (``out_of_fold=False``: the in-sample churn rate of each level, faster).
    NaN when ``y`` has one class only.

    Examples
    --------
    >>> single_feature_auc(pd.Series([1.0, 2.0, 3.0, 4.0]), [1, 1, 0, 0])
    1.0
    >>> round(single_feature_auc(pd.Series(["a", "b", "a", "b"] * 5), [1, 0] * 10), 3)
    1.0
    """
    y = np.asarray(y, dtype=int)
    if y.size == 0 or y.min() == y.max():
        return float("nan")
    s = pd.Series(x).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float)
        miss = np.isnan(v)
        if miss.all():
            return float("nan")
        lo, hi = np.nanmin(v), np.nanmax(v)
        best = 0.0
        for fill in ((lo - 1.0, hi + 1.0) if miss.any() else (0.0,)):
            a = roc_auc_score(y, np.where(miss, fill, v))
            best = max(best, a, 1 - a)
        return float(best)
    from sklearn.model_selection import StratifiedKFold

    v = s.astype(str).to_numpy()
    prior = y.mean()
    if not out_of_fold:
        enc = pd.Series(y).groupby(v).transform("mean").to_numpy(dtype=float)
        a = roc_auc_score(y, enc)
        return float(max(a, 1 - a))
    enc = np.zeros(y.size)
    n_splits = int(min(5, np.bincount(y).min()))
    if n_splits < 2:
        return float("nan")
    for tr, te in StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(v, y):
        d = pd.DataFrame({"v": v[tr], "y": y[tr]}).groupby("v")["y"].agg(["sum", "count"])
        rate = (d["sum"] + prior) / (d["count"] + 1.0)
        enc[te] = pd.Series(v[te]).map(rate).fillna(prior).to_numpy()
    a = roc_auc_score(y, enc)
    return float(max(a, 1 - a))
