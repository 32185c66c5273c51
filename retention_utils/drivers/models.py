"""The churn models: baseline rules, the logistic regression and calibrated gradient boosting.

* a baseline rule (:class:`ChurnRule`; :class:`OverdueRule`, how overdue a customer is, for units);
* a statsmodels logistic regression on standardized features (:class:`LogitChurnModel`, the
  interpretable view: odds ratios with 95% intervals);
* a scikit-learn ``HistGradientBoostingClassifier`` calibrated with ``CalibratedClassifierCV``
  (isotonic; sigmoid under 2,000 rows), the ranking view (:func:`make_hgb`).

The estimators follow the scikit-learn contract (``__init__`` stores parameters, ``fit`` returns
``self``, fitted attributes end in ``_``).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from ..errors import DataError, examples_text
from .metrics import single_feature_auc

__all__ = ["ChurnRule", "OverdueRule", "LogitChurnModel", "make_hgb"]


def _threads(n_rows: int) -> Any:
    """Limit native thread pools to one thread for small work.

    OpenMP start-up costs more than it saves on a few thousand rows, and on a
    busy machine spinning threads make gradient boosting ten times slower
    (measured); large fits keep every core.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if n_rows < 200_000 else None)


def _as_frame(X: Any) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of features; got {type(X).__name__}.")
    return X


def _as_labels(y: Any) -> np.ndarray:
    return np.asarray(y).astype(int)


class ChurnRule(ClassifierMixin, BaseEstimator):
    """Baseline: the training churn rate of customers in the same bin of one column.

    Numeric columns are cut into ``n_bins`` quantile bins (missing values form
    their own bin), categorical ones use their levels. Rates are shrunk towards
    the overall rate with ``prior_weight`` pseudo-customers, so a bin with few
    customers does not give 0% or 100%. With ``column=None`` the rule picks,
    at fit time, the single column with the highest training ROC AUC
    (excluding ``exclude``).

    Parameters
    ----------
    column : str or None
    n_bins : int
    prior_weight : float
    exclude : tuple of str
        Columns the automatic choice must not take (e.g. flagged leaks).

    Attributes
    ----------
    column_ : str
        The column used.
    edges_ : ndarray or None
        Inner bin edges (numeric column).
    rates_ : dict
        Churn probability per bin key.
    base_rate_ : float

    Examples
    --------
    >>> X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> rule = ChurnRule(column="x", n_bins=2, prior_weight=0).fit(X, [0, 0, 1, 1])
    >>> rule.predict_proba(pd.DataFrame({"x": [1.5, 3.5]}))[:, 1].tolist()
    [0.0, 1.0]
    """

    def __init__(self, column: str | None = None, n_bins: int = 10, prior_weight: float = 10.0,
                 exclude: tuple[str, ...] = ()) -> None:
        self.column = column
        self.n_bins = n_bins
        self.prior_weight = prior_weight
        self.exclude = exclude

    def _values(self, X: pd.DataFrame) -> pd.Series:
        return X[self.column_]

    def _keys(self, v: pd.Series) -> np.ndarray:
        if self.edges_ is None:
            return v.astype(str).to_numpy()
        x = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
        k = np.searchsorted(self.edges_, x, side="right").astype(float)
        k[np.isnan(x)] = -1.0
        return k

    def fit(self, X: pd.DataFrame, y: Any) -> ChurnRule:
        X = _as_frame(X)
        y = _as_labels(y)
        if self.column is None:
            aucs = {c: single_feature_auc(X[c], y, out_of_fold=False) for c in X.columns if c not in self.exclude}
            aucs = {c: a for c, a in aucs.items() if not math.isnan(a)}
            if not aucs:
                raise DataError("ChurnRule: no usable column to build the baseline from.")
            self.column_ = max(aucs, key=aucs.get)
        else:
            if self.column not in X.columns and not isinstance(self, OverdueRule):
                raise DataError(f"ChurnRule: column {self.column!r} not in the data; columns present: "
                                f"{examples_text(list(X.columns), limit=8)}.")
            self.column_ = self.column
        self._prepare(X, y)
        v = self._values(X)
        if pd.api.types.is_numeric_dtype(v):
            x = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
            ok = x[~np.isnan(x)]
            qs = np.quantile(ok, np.linspace(0, 1, self.n_bins + 1)[1:-1]) if ok.size else np.array([])
            self.edges_ = np.unique(qs)
        else:
            self.edges_ = None
        keys = self._keys(v)
        self.base_rate_ = float(y.mean()) if y.size else 0.0
        df = pd.DataFrame({"k": keys, "y": y}).groupby("k")["y"].agg(["sum", "count"])
        w = float(self.prior_weight)
        self.rates_ = {k: (s + w * self.base_rate_) / (n + w) if (n + w) > 0 else self.base_rate_
                       for k, s, n in zip(df.index, df["sum"], df["count"])}
        self.counts_ = {k: int(n) for k, n in zip(df.index, df["count"])}
        self.classes_ = np.array([0, 1])
        return self

    def _prepare(self, X: pd.DataFrame, y: np.ndarray) -> None:
        pass

    def describe(self) -> str:
        """The rule in plain words."""
        return f"the churn rate of customers with a similar {self.column_!r}"

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        keys = self._keys(self._values(_as_frame(X)))
        p = np.array([self.rates_.get(k, self.base_rate_) for k in keys], dtype=float) if len(keys) else np.empty(0)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class OverdueRule(ChurnRule):
    """The recency / overdue rule: risk by how long since the last purchase.

    Two scores are tried on the training data and the one with the higher ROC
    AUC is kept (``score_``): ``recency`` (days since the last purchase) and
    ``overdue`` (``overdue_ratio``: days since the last purchase / the
    customer's mean days between purchases; customers with a single purchase
    day use ``recency_days`` divided by the training customers' median usual
    gap). Probabilities are the training churn rates of the score's deciles.
    """

    def __init__(self, n_bins: int = 10, prior_weight: float = 10.0) -> None:
        super().__init__(column="overdue_score", n_bins=n_bins, prior_weight=prior_weight)

    def _overdue(self, X: pd.DataFrame) -> pd.Series:
        rec = X["recency_days"].astype(float)
        if "overdue_ratio" in X:
            return X["overdue_ratio"].astype(float).fillna(rec / self.gap_)
        return rec / self.gap_

    def _prepare(self, X: pd.DataFrame, y: np.ndarray) -> None:
        gap = X["mean_interpurchase_days"].median() if "mean_interpurchase_days" in X else np.nan
        self.gap_ = float(gap) if pd.notna(gap) and gap > 0 else 30.0
        self.score_ = "overdue"
        a_over = single_feature_auc(self._overdue(X), y)
        a_rec = single_feature_auc(X["recency_days"].astype(float), y)
        if pd.notna(a_rec) and (pd.isna(a_over) or a_rec > a_over):
            self.score_ = "recency"

    def _values(self, X: pd.DataFrame) -> pd.Series:
        if self.score_ == "recency":
            return X["recency_days"].astype(float)
        return self._overdue(X)

    def describe(self) -> str:
        if self.score_ == "recency":
            return "the churn rate of customers with a similar number of days since their last purchase"
        return ("the churn rate of customers equally overdue (days since the last purchase relative to their "
                "usual gap between purchases)")


class _Design:
    """Design matrix of the logistic model: standardized numeric columns, dummies of the categories.

    Each categorical column's reference level (no dummy) is its most frequent
    level, or ``reference_levels[column]`` when given and present (checked by
    :func:`_check_reference_levels` before any fit).
    """

    def __init__(self, numeric: Sequence[str], categorical: Sequence[str], *, min_level_count: int = 10,
                 min_level_share: float = 0.005, max_levels: int = 20,
                 reference_levels: dict[str, str] | None = None) -> None:
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.reference_levels = dict(reference_levels or {})
        self.min_level_count = min_level_count
        self.min_level_share = min_level_share
        self.max_levels = max_levels

    def fit(self, X: pd.DataFrame) -> _Design:
        n = len(X)
        self.medians_ = {}
        self.means_ = {}
        self.sds_ = {}
        num = []
        for c in self.numeric:
            x = X[c].astype(float)
            med = float(x.median()) if x.notna().any() else 0.0
            z = x.fillna(med)
            sd = float(z.std(ddof=0))
            if sd > 1e-12:
                num.append(c)
                self.medians_[c], self.means_[c], self.sds_[c] = med, float(z.mean()), sd
        self.numeric_ = num
        self.levels_ = {}
        self.reference_ = {}
        need = max(self.min_level_count, math.ceil(self.min_level_share * n))
        for c in self.categorical:
            vc = X[c].astype(str).value_counts()
            kept = [lvl for lvl, k in vc.items() if k >= need][: self.max_levels]
            ref = self.reference_levels.get(c)
            if ref is not None and str(ref) in vc.index:  # the chosen reference first (kept even when rare)
                kept = [str(ref)] + [lvl for lvl in kept if lvl != str(ref)][: self.max_levels - 1]
            if len(kept) < 2:
                continue
            self.reference_[c] = kept[0]
            self.levels_[c] = kept
        self._finish(X)
        return self

    def _finish(self, X: pd.DataFrame) -> None:
        self.columns_ = list(self.numeric_) + [f"{c}={lvl}" for c, lv in self.levels_.items() for lvl in lv[1:]]
        Z = self.transform(X)
        self.dummy_means_ = Z[:, len(self.numeric_):].mean(axis=0) if len(X) else np.zeros(0)

    def drop_collinear(self, X: pd.DataFrame, *, max_vif: float) -> list[str]:
        """Leave out numeric columns that repeat others (variance inflation factor above ``max_vif``).

        The column with the highest VIF goes first, then the VIFs are recomputed.
        Returns the dropped columns, in order.
        """
        dropped: list[str] = []
        while len(self.numeric_) > 1:
            Z = self.transform(X)
            if Z.shape[0] <= Z.shape[1] + 1:
                break
            C = np.corrcoef(Z, rowvar=False)
            C = np.nan_to_num(C) + np.eye(C.shape[0]) * 1e-9
            try:
                vif = np.diag(np.linalg.pinv(C))[: len(self.numeric_)]
            except np.linalg.LinAlgError:  # pragma: no cover
                break
            j = int(np.argmax(vif))
            if vif[j] <= max_vif:
                break
            dropped.append(self.numeric_.pop(j))
        self._finish(X)
        return dropped

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in self.numeric_:
            x = X[c].astype(float).fillna(self.medians_[c]).to_numpy()
            cols.append((x - self.means_[c]) / self.sds_[c])
        for c, lv in self.levels_.items():
            v = X[c].astype(str).to_numpy()
            for lvl in lv[1:]:
                cols.append((v == lvl).astype(float))
        if not cols:
            return np.zeros((len(X), 0))
        return np.column_stack(cols)

    def terms(self) -> pd.DataFrame:
        """``term, feature, kind, level, reference, sd`` of each design column."""
        rows = [{"term": c, "feature": c, "kind": "numeric", "level": "", "reference": "", "sd": self.sds_[c]}
                for c in self.numeric_]
        rows += [{"term": f"{c}={lvl}", "feature": c, "kind": "level", "level": lvl, "reference": lv[0],
                  "sd": np.nan} for c, lv in self.levels_.items() for lvl in lv[1:]]
        return pd.DataFrame(rows, columns=["term", "feature", "kind", "level", "reference", "sd"])


def _fit_logistic(Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Fit a logistic regression with intercept; returns (params, bse, pvalues, penalized).

    statsmodels' Newton fit (maximum likelihood, Wald intervals); exactly collinear
    columns get a zero coefficient; on separation or non-convergence a lightly
    L2-penalized fit (scikit-learn) is used instead, without intervals.
    """
    import statsmodels.api as sm

    n, p = Z.shape
    X = np.column_stack([np.ones(n), Z])
    params = np.zeros(p + 1)
    bse = np.full(p + 1, np.nan)
    pvals = np.full(p + 1, np.nan)
    # exactly collinear columns: keep a maximal independent set (QR with pivoting)
    from scipy.linalg import qr

    _, r, piv = qr(X, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > 1e-8 * max(diag.max(), 1.0)).sum()) if diag.size else 0
    keep = np.sort(piv[:rank])
    if 0 not in keep:
        keep = np.sort(np.r_[0, keep[:-1]])
    ok = False
    if y.min() != y.max():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = sm.Logit(y, X[:, keep]).fit(method="newton", maxiter=100, disp=0)
                ok = bool(res.mle_retvals.get("converged", False)) and np.all(np.isfinite(res.bse)) \
                    and np.abs(res.params).max() < 15
            except Exception:  # singular Hessian, separation: fall back below
                ok = False
        if ok:
            params[keep], bse[keep], pvals[keep] = res.params, res.bse, res.pvalues
            return params, bse, pvals, False
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        params[0] = 20.0 if y.min() == 1 else -20.0
        return params, bse, pvals, True
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(X[:, 1:], y)
    params[0] = lr.intercept_[0]
    params[1:] = lr.coef_[0]
    return params, bse, pvals, True


class LogitChurnModel(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardized features (statsmodels), the interpretable view.

    Numeric features are imputed with the training median and standardized
    (odds ratios are *per standard deviation*); categorical features become
    dummies against their reference level, the most frequent one unless
    ``reference_levels`` names another (levels with fewer than 10 customers or
    0.5% are pooled into the reference, at most 20 levels).

    Parameters
    ----------
    numeric, categorical : sequence of str
        Feature columns.
    max_vif : float or None
        Numeric features whose variance inflation factor exceeds this (they
        repeat other features, e.g. revenue in three overlapping windows) are
        left out, highest first, so that the odds ratios stay interpretable.
    reference_levels : dict or None
        Categorical feature -> the level the others are compared with
        (params ``drivers.reference_levels``); default the most frequent.

    Attributes
    ----------
    design_ : the fitted design (imputation, scaling, levels)
    collinear_ : list of str
        Features left out by ``max_vif``.
    params_ : ndarray
        Intercept then coefficients.
    penalized_ : bool
        True when maximum likelihood failed (separation) and a lightly
        penalized fit was used (no intervals then).
    marginal_corr_ : dict
        Correlation of each numeric feature with churn on its own; a
        coefficient of the opposite sign is an adjustment for other features
        (e.g. revenue given the plan), which is never offered as a reason.

    Examples
    --------
    >>> X = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7], "g": list("aabbaabb")})
    >>> m = LogitChurnModel(numeric=["x"], categorical=["g"]).fit(X, [0, 0, 0, 1, 0, 1, 1, 1])
    >>> m.odds_ratios().loc[0, ["term", "kind"]].tolist()
    ['x', 'numeric']
    """

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = (),
                 max_vif: float | None = 10.0, reference_levels: dict[str, str] | None = None) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.max_vif = max_vif
        self.reference_levels = reference_levels

    def fit(self, X: pd.DataFrame, y: Any) -> LogitChurnModel:
        X = _as_frame(X)
        y = _as_labels(y)
        self.design_ = _Design(self.numeric, self.categorical, reference_levels=self.reference_levels).fit(X)
        self.collinear_ = self.design_.drop_collinear(X, max_vif=self.max_vif) if self.max_vif else []
        Z = self.design_.transform(X)
        self.params_, self.bse_, self.pvalues_, self.penalized_ = _fit_logistic(Z, y)
        k = len(self.design_.numeric_)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = [np.corrcoef(Z[:, j], y)[0, 1] if y.min() != y.max() else 0.0 for j in range(k)]
        self.marginal_corr_ = dict(zip(self.design_.numeric_, np.nan_to_num(r)))
        self.classes_ = np.array([0, 1])
        self.n_obs_ = int(len(y))
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        Z = self.design_.transform(_as_frame(X))
        return self.params_[0] + Z @ self.params_[1:]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        from scipy.special import expit

        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def odds_ratios(self) -> pd.DataFrame:
        """Odds ratios with Wald 95% intervals.

        Returns
        -------
        DataFrame
            ``term, feature, kind`` (``numeric``: per standard deviation ``sd``;
            ``level``: the level against ``reference``), ``level, reference, sd,
            coef, odds_ratio, ci_lower, ci_upper, p_value``.
        """
        t = self.design_.terms()
        coef = self.params_[1:]
        se = self.bse_[1:]
        t["coef"] = coef
        t["odds_ratio"] = np.exp(coef)
        t["ci_lower"] = np.exp(coef - 1.959964 * se)
        t["ci_upper"] = np.exp(coef + 1.959964 * se)
        t["p_value"] = self.pvalues_[1:]
        return t

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each feature's part of the log-odds, centred on the training average.

        Numeric: ``coef * z`` (``z`` standardized); categorical: the sum over its
        dummies of ``coef * (dummy - training share)``. Positive values push
        the customer's risk above average. One column per feature.
        """
        Z = self.design_.transform(_as_frame(X))
        d = self.design_
        out = {}
        for j, c in enumerate(d.numeric_):
            out[c] = self.params_[1 + j] * Z[:, j]
        k = len(d.numeric_)
        for c, lv in d.levels_.items():
            s = np.zeros(len(X))
            for lvl in lv[1:]:
                s += self.params_[1 + k] * (Z[:, k] - d.dummy_means_[k - len(d.numeric_)])
                k += 1
            out[c] = s
        return pd.DataFrame(out, index=X.index)

    def factor_spread(self, X: pd.DataFrame) -> pd.Series:
        """Standard deviation of each feature's contribution on ``X``: its weight in the model."""
        return self.contributions(X).std(ddof=0).sort_values(ascending=False)


class _CategoryCodes(BaseEstimator):
    """Categorical columns to integer codes (most frequent levels first), numeric columns passed through.

    Levels beyond the ``max_levels`` most frequent, and levels unseen in
    training, become missing (``NaN``), which the boosting model handles
    natively. Pandas' categorical codes make this fast enough to sit inside
    permutation importance loops.
    """

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = (), max_levels: int = 60) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.max_levels = max_levels

    def fit(self, X: pd.DataFrame, y: Any = None) -> _CategoryCodes:
        self.levels_ = {c: list(X[c].astype(str).value_counts().index[: self.max_levels]) for c in self.categorical}
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in self.categorical:
            codes = pd.Categorical(X[c].astype(str), categories=self.levels_[c]).codes.astype(float)
            codes[codes < 0] = np.nan
            cols.append(codes)
        for c in self.numeric:
            cols.append(X[c].to_numpy(dtype=float))
        return np.column_stack(cols) if cols else np.zeros((len(X), 0))

    def fit_transform(self, X: pd.DataFrame, y: Any = None) -> np.ndarray:
        return self.fit(X, y).transform(X)


def make_hgb(numeric: Sequence[str], categorical: Sequence[str], *, n_rows: int, seed: int = 0,
             groups: Any = None) -> Any:
    """The calibrated gradient-boosting model (an unfitted scikit-learn estimator).

    A pipeline: categorical columns to codes, then ``HistGradientBoostingClassifier``
    (categories and missing values native) inside ``CalibratedClassifierCV``:
    isotonic calibration learnt from 3-fold cross-validated predictions, folds
    grouped by ``groups`` (customer ids, so one customer's cut-offs stay in one
    fold), sigmoid under 2,000 rows; one model fitted on all rows predicts.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, StratifiedKFold
    from sklearn.pipeline import Pipeline

    cat, num = list(categorical), list(numeric)
    hgb = HistGradientBoostingClassifier(
        learning_rate=0.08, max_iter=300, max_leaf_nodes=15, min_samples_leaf=max(20, n_rows // 500),
        l2_regularization=1.0, early_stopping=n_rows >= 1000, validation_fraction=0.15, n_iter_no_change=15,
        categorical_features=([True] * len(cat) + [False] * len(num)) if cat else None, random_state=seed)
    method = "isotonic" if n_rows >= 2000 else "sigmoid"
    if groups is not None:
        cv: Any = list(GroupKFold(n_splits=3).split(np.zeros(n_rows), groups=groups))
    else:
        cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    # ensemble=False: the calibrator learns from cross-validated predictions and one model fitted on all rows
    # predicts (a third of the prediction time of an ensemble of three, for permutation importance)
    return Pipeline([("codes", _CategoryCodes(num, cat)),
                     ("model", CalibratedClassifierCV(hgb, method=method, cv=cv, ensemble=False))])
