"""Churn drivers and early warning: labels, models, validation, drivers, scorecard, at-risk list.

Why this module is long (over 3,000 lines): it is still the whole churn-drivers subsystem (labels and
cut-offs, models, metrics, leakage guard, scorecard, early warning, closed loop, one-row tables) and
its HTML. Splitting it into a ``drivers/`` package with one module per step, and moving the
presentation out, is issue 10 (item 3); it is kept whole until then so that the split is one
reviewed move rather than piecemeal.

The questions answered here: *why* do customers leave, and *which* active
customers are about to, with reasons a CRM agent can use, and, a few months
later, was the warning right?

Design (see each function for the details):

* **Label** (:func:`churn_labels`): a customer at risk at a cut-off ``t`` (a
  customer before ``t`` and not churned before ``t``, under the unit's shared
  churn definition, :func:`retention_utils.engine.purchase_spells` /
  :func:`retention_utils.engine.customer_lifetimes`) is labelled churned when
  their churn day falls in ``[t, t + H)``, ``H = drivers.horizon_days``. A
  cut-off is used only when its whole window lies within the data.
* **Features** (:mod:`retention_utils.features`): information dated strictly
  before ``t``.
* **Validation out of time** (:func:`plan_cutoffs`): the models learn from
  ``drivers.n_cutoffs`` monthly cut-offs whose labels were complete *before*
  the evaluation cut-off (the latest fully observed one), and are scored there
  on customers and months they never saw. The models that score the report
  month are then refitted, with the same recipe, on the latest cut-offs.
  A one-row-per-customer table with a churn flag (no dates) is validated with
  stratified cross-validation instead (:func:`drivers_from_table`), and
  labelled so.
* **Models**: a baseline rule (:class:`ChurnRule`, the overdue rule for
  units), a statsmodels logistic regression on standardized features
  (:class:`LogitChurnModel`, the interpretable view: odds ratios with 95%
  intervals) and a scikit-learn ``HistGradientBoostingClassifier`` calibrated
  with ``CalibratedClassifierCV`` (isotonic; sigmoid under 2,000 rows), the
  ranking view. A model *beats* the baseline when its out-of-sample ROC AUC is
  at least :data:`BEAT_MARGIN` higher.
* **Leakage guard** (:func:`leakage_guard`): a feature whose single-feature ROC
  AUC (direction-free; categories by out-of-fold target encoding) exceeds 0.95
  is flagged and, by default, excluded; one between 0.90 and 0.95 is kept but
  reported in the headline as suspected leakage, with the advice to exclude it
  (``drivers.exclude``) if it is recorded after the outcome.
* **Early warning** (:func:`early_warning`): calibrated probabilities for every
  active customer at the report month, tiers from ``drivers.tiers``, a points
  scorecard (:class:`PointsScorecard`), top-three reasons in plain words, value
  at risk, the targeting trade-off; :func:`write_at_risk_list` writes the CRM
  list; :func:`closed_loop` checks an earlier list against what happened.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from .display import HTML
from .engine import customer_lifetimes, purchase_spells
from .errors import ConfigError, DataError, examples_text
from .exports import restore_text, write_csv
from .features import AUX_COLUMNS, FEATURES, check_attributes, customer_features
from .kpis import wilson_interval

__all__ = [
    "BEAT_MARGIN",
    "LEAKAGE_AUC",
    "LEAKAGE_WARN_AUC",
    "CutoffPlan",
    "plan_cutoffs",
    "churn_labels",
    "training_panel",
    "ChurnRule",
    "OverdueRule",
    "LogitChurnModel",
    "make_hgb",
    "PointsScorecard",
    "leakage_guard",
    "single_feature_auc",
    "classification_metrics",
    "lift_table",
    "calibration_table",
    "gains_table",
    "DriversResult",
    "churn_drivers",
    "drivers_from_table",
    "snapshot_drivers",
    "EarlyWarning",
    "early_warning",
    "write_at_risk_list",
    "ClosedLoop",
    "closed_loop",
    "mask_id",
    "headline_sentences",
    "headline_html",
    "report_subtitle",
    "drivers_html",
    "model_quality_html",
    "reasons_html",
    "tiers_html",
    "tradeoff_html",
    "at_risk_html",
    "scorecard_html",
    "closed_loop_html",
    "about_html",
]

#: A model beats the baseline when its out-of-sample ROC AUC is at least this much higher.
BEAT_MARGIN: float = 0.01
#: Single-feature ROC AUC above which a feature is flagged as a probable leak.
LEAKAGE_AUC: float = 0.95
#: Single-feature ROC AUC above which (up to :data:`LEAKAGE_AUC`) a feature is reported as suspected leakage.
LEAKAGE_WARN_AUC: float = 0.90
#: Model names, in report order, and their display labels.
MODEL_LABELS: dict[str, str] = {
    "baseline": "Baseline rule",
    "logit": "Logistic regression",
    "hgb": "Gradient boosting (calibrated)",
}
EPOCH = dt.date(1970, 1, 1)
TIER_ORDER = ("high", "medium", "low")


def _day(d: Any) -> dt.date:
    return pd.Timestamp(d).date()


def _n(d: dt.date) -> int:
    return (d - EPOCH).days


# ============================================================================ labels


def churn_labels(orders: Any, customers: Any, *, cutoff: dt.date | str, horizon_days: int | None,
                 method: str, inactivity_days: int, spells: Any = None) -> Any:
    """Customers at risk at ``cutoff`` and whether they churned within the horizon.

    Built on the shared churn definition: under ``inactivity``
    :func:`~retention_utils.engine.purchase_spells` (each purchase's churn day,
    reactivations included), under ``explicit``
    :func:`~retention_utils.engine.customer_lifetimes` (the recorded
    cancellation). A cut-off is a day boundary: "before ``t``" means dated
    ``t - 1`` or earlier.

    * at risk at ``t``: under ``inactivity`` a purchase before ``t`` and the churn
      day of the latest such purchase (``last purchase + inactivity_days + 1``,
      or none if they bought again in time) not before ``t``; under ``explicit``
      signed up before ``t`` and no cancellation before ``t``. Customers already
      churned at the cut-off are left out.
    * ``churned``: the first churn day on or after ``t`` falls before
      ``t + horizon_days``.

    Parameters
    ----------
    orders, customers
        Canonical Ibis tables.
    cutoff
        The cut-off date ``t``.
    horizon_days
        ``H``; None returns the customers at risk only (``churned`` null), e.g.
        for scoring the report month.
    method, inactivity_days
        The unit's churn definition (``params: churn``).
    spells
        ``purchase_spells(orders, ...)`` computed once beforehand (cached), to
        label many cut-offs without recomputing it.

    Notes
    -----
    Orders dated after the window cannot change a label, so the spells of all
    the given orders are used: a purchase ``p`` whose next purchase falls after
    ``t + H - 1`` but within ``inactivity_days`` has no churn day with all
    orders and ``p + inactivity_days + 1 >= t + H`` with the orders cut at the
    window's end, "not churned in the window" either way (the naive-loop test,
    which cuts the orders, checks this).

    Returns
    -------
    ibis.Table
        ``customer_id, churned`` (bool; null when ``horizon_days`` is None).
        The caller must make sure the window ``[t, t + H)`` lies within the
        data (see :func:`plan_cutoffs`); later days are unknown.
    """
    import ibis

    t = _day(cutoff)
    tn = _n(t)
    end = t + dt.timedelta(days=(horizon_days or 1) - 1)
    if method == "explicit":
        life = customer_lifetimes(orders, customers, method="explicit", inactivity_days=inactivity_days,
                                  end=max(end, t - dt.timedelta(days=1)))
        life = life.filter(life.start < t)
        life = life.filter(~(life.event & (life.stop < t)))
        churned = life.event if horizon_days else ibis.null("boolean")
        return life.select("customer_id", churned=churned)
    if method != "inactivity":
        raise ConfigError(f"churn.method must be one of {{inactivity, explicit}}. Got {method!r} instead.")
    s = spells if spells is not None else purchase_spells(orders, inactivity_days=inactivity_days, dormant_days=1,
                                                          method="inactivity")
    before = s.filter(s.day_n < tn)
    last = before.group_by("customer_id").aggregate(last_n=before.day_n.max())
    j = s.join(last, "customer_id")
    j = j.filter(j.day_n >= j.last_n)
    first = j.group_by("customer_id").aggregate(churn_n=j.churn_day_n.min())
    first = first.filter(first.churn_n.isnull() | (first.churn_n >= tn))
    if horizon_days:
        churned = first.churn_n.notnull() & (first.churn_n < tn + int(horizon_days))
    else:
        churned = ibis.null("boolean")
    return first.select("customer_id", churned=churned)


@dataclass(frozen=True)
class CutoffPlan:
    """Monthly cut-offs of one run.

    Attributes
    ----------
    train : tuple of date
        Cut-offs the validation models learn from; their label windows end
        before ``evaluate`` (nothing from the evaluation period is learnt).
    evaluate : date or None
        The latest fully observed cut-off: the out-of-time test (None when the
        data is too short).
    final : tuple of date
        Cut-offs the scoring models learn from (the latest fully observed ones).
    score : date
        The day after the report month: every active customer is scored as of it.
    horizon_days : int
    """

    train: tuple[dt.date, ...]
    evaluate: dt.date | None
    final: tuple[dt.date, ...]
    score: dt.date
    horizon_days: int

    def all_labelled(self) -> list[dt.date]:
        """Every cut-off that needs labels, sorted."""
        return sorted(set(self.train) | set(self.final) | ({self.evaluate} if self.evaluate else set()))


def plan_cutoffs(*, month_end: dt.date, data_start: dt.date, horizon_days: int, n_cutoffs: int,
                 min_history_days: int = 90) -> CutoffPlan:
    """Choose the monthly cut-offs (first days of months).

    A cut-off ``t`` is usable when at least ``min_history_days`` of data precede
    it and its label window ``[t, t + H)`` ends by ``month_end``.

    Examples
    --------
    >>> p = plan_cutoffs(month_end=dt.date(2025, 12, 31), data_start=dt.date(2023, 1, 1),
    ...                  horizon_days=90, n_cutoffs=3)
    >>> p.evaluate, p.train[0], p.train[-1], p.final[-1], p.score
    (datetime.date(2025, 10, 1), datetime.date(2025, 5, 1), datetime.date(2025, 7, 1), datetime.date(2025, 10, 1), datetime.date(2026, 1, 1))
    """
    h = int(horizon_days)
    score = month_end + dt.timedelta(days=1)
    first_ok = data_start + dt.timedelta(days=int(min_history_days))
    cands = []
    m = month_end.replace(day=1)
    while m >= first_ok:
        if m + dt.timedelta(days=h - 1) <= month_end:
            cands.append(m)
        m = (m - dt.timedelta(days=1)).replace(day=1)
    cands.sort()
    if not cands:
        return CutoffPlan((), None, (), score, h)
    evaluate = cands[-1]
    train = [c for c in cands if c + dt.timedelta(days=h) <= evaluate][-int(n_cutoffs):]
    final = cands[-int(n_cutoffs):]
    return CutoffPlan(tuple(train), evaluate, tuple(final), score, h)


def training_panel(data: Any, cutoffs: Sequence[dt.date], *, horizon_days: int | None,
                   attributes: Sequence[str] = ()) -> pd.DataFrame:
    """Features and labels of the customers at risk at each cut-off, stacked.

    Returns
    -------
    DataFrame
        One row per customer and cut-off: ``customer_id, cutoff``, the features
        (:func:`~retention_utils.features.customer_features`), the auxiliary
        columns, the attributes (missing as ``"(missing)"``) and ``churned``
        (bool; missing when ``horizon_days`` is None).
    """
    import pyarrow as pa

    ch = data.config.churn
    if not cutoffs:
        return pd.DataFrame()
    spells = None
    if ch.method == "inactivity":  # once for every cut-off, kept in the engine while the cut-offs are read
        spells = purchase_spells(data.orders, inactivity_days=ch.inactivity_days, dormant_days=1,
                                 method="inactivity").select("customer_id", "day_n", "churn_day_n").cache()
    parts = []
    try:
        for t in cutoffs:  # one query per cut-off: the engine's memory peaks at one cut-off's worth
            f = customer_features(data.orders, data.customers, cutoff=t, interactions=data.interactions,
                                  campaigns=data.campaigns, attributes=attributes)
            lab = churn_labels(data.orders, data.customers, cutoff=t, horizon_days=horizon_days, method=ch.method,
                               inactivity_days=ch.inactivity_days, spells=spells)
            parts.append(f.join(lab, "customer_id").to_pyarrow())
    finally:
        if spells is not None:
            spells.release()
    table = pa.concat_tables(parts)
    del parts
    out = table.to_pandas()
    del table
    out["cutoff"] = pd.to_datetime(out["cutoff"])
    for a in attributes:
        out[a] = out[a].astype(object).where(out[a].notna(), "(missing)").astype(str)
    if horizon_days:
        out["churned"] = out["churned"].astype(bool)
    return out.sort_values(["cutoff", "customer_id"]).reset_index(drop=True)


# ============================================================================ models


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

    def fit(self, X: pd.DataFrame, y: Any) -> "ChurnRule":
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

    def fit(self, X: pd.DataFrame) -> "_Design":
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

    def fit(self, X: pd.DataFrame, y: Any) -> "LogitChurnModel":
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

    def fit(self, X: pd.DataFrame, y: Any = None) -> "_CategoryCodes":
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


# ============================================================================ metrics


def _wilson(k: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval of ``k / n`` for scalars or arrays (NaN where ``n`` is 0).

    :func:`retention_utils.kpis.wilson_interval` clamps the bounds to contain
    the rate: the closed form lands a hair inside at ``k = 0`` and ``k = n``
    (``2.8e-17`` for 0 of 7), which a plot's error bar rejects.

    Examples
    --------
    >>> lo, hi = _wilson(0, 7)
    >>> float(lo[0]), round(float(hi[0]), 4)
    (0.0, 0.3543)
    >>> lo, hi = _wilson(7, 7)
    >>> float(hi[0])
    1.0
    """
    k = np.atleast_1d(np.asarray(k, float))
    n = np.atleast_1d(np.asarray(n, float))
    return wilson_interval(k, n)


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
        lo, hi = _wilson(k, n)
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


# ============================================================================ scorecard


def _sig2(v: float) -> float:
    """Round to two significant digits (readable bin edges)."""
    if v == 0 or not np.isfinite(v):
        return float(v)
    return float(f"{v:.2g}")


def _fmt_edge(feature: str, v: float) -> str:
    if feature.endswith("_share") or feature == "refund_rate":
        return f"{v * 100:.0f}%"
    if feature in ("order_trend", "aov_change"):  # log ratios, shown as a change
        return f"{(math.exp(v) - 1) * 100:+.0f}%"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.2g}"


def _bin_labels(f: str, edges: np.ndarray, *, integer: bool, lowest: float) -> list[str]:
    """Readable labels of the bins ``(-inf, e1), [e1, e2), ..., [ek, inf)``.

    Examples
    --------
    >>> _bin_labels("n_complaints", np.array([1.0]), integer=True, lowest=0.0)
    ['0', '1 or more']
    >>> _bin_labels("recency_days", np.array([10.0, 30.0]), integer=True, lowest=1.0)
    ['1–9', '10–29', '30 or more']
    >>> _bin_labels("overdue_ratio", np.array([0.5, 1.2]), integer=False, lowest=0.0)
    ['< 0.5', '0.5 to < 1.2', '≥ 1.2']
    """
    if edges.size == 0:
        return ["all"]
    fe = lambda v: _fmt_edge(f, v)  # noqa: E731
    if integer and np.all(edges == np.round(edges)):
        out = []
        lo = lowest
        for e in edges:
            hi = e - 1
            out.append(fe(lo) if hi <= lo else f"{fe(lo)}–{fe(hi)}")
            lo = e
        out.append(f"{fe(lo)} or more")
        return out
    out = [f"< {fe(edges[0])}"]
    out += [f"{fe(a)} to < {fe(b)}" for a, b in zip(edges[:-1], edges[1:])]
    out.append(f"≥ {fe(edges[-1])}")
    return out


class PointsScorecard(BaseEstimator):
    """A points scorecard a CRM team can apply by hand, derived from a logistic model.

    Each factor is cut into a few bins (numeric: quantile bins with rounded
    edges, plus an "unknown" bin for missing values; categorical: its levels).
    A logistic regression on the bins gives each bin a coefficient; its points
    are ``round(pdo / ln 2 * (coef - lowest coef of the factor))``, so the
    lowest bin of each factor scores 0 and every ``pdo`` points double the odds
    of churning. The total score maps back to a churn probability with
    :meth:`probability`.

    Parameters
    ----------
    factors : sequence of str
        Feature columns, in display order.
    categorical : sequence of str
        Which of them are categorical.
    n_bins : int
        Quantile bins per numeric factor (fewer when values repeat).
    pdo : float
        Points that double the odds.

    Attributes
    ----------
    table_ : DataFrame
        ``factor, bin_order, bin, points, n_customers, churn_rate`` (training
        customers per bin and their churn rate).
    intercept_, shift_, scale_ : float
        ``logit(p) = intercept_ + shift_ + score / scale_``.

    Examples
    --------
    >>> X = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8] * 5})
    >>> sc = PointsScorecard(factors=["x"], n_bins=2).fit(X, [0, 0, 0, 1, 0, 1, 1, 1] * 5)
    >>> sc.table_[["bin", "points"]].values.tolist()  # log odds 0.25 vs 0.75: 2 ln 3 x 20 / ln 2 = 63.4
    [['< 4.5', 0], ['≥ 4.5', 63]]
    """

    def __init__(self, factors: Sequence[str] = (), categorical: Sequence[str] = (), n_bins: int = 4,
                 pdo: float = 20.0) -> None:
        self.factors = factors
        self.categorical = categorical
        self.n_bins = n_bins
        self.pdo = pdo

    def _keys(self, f: str, X: pd.DataFrame) -> np.ndarray:
        spec = self.bins_[f]
        if spec["kind"] == "categorical":
            v = X[f].astype(str)
            idx = {lvl: i for i, lvl in enumerate(spec["levels"])}
            return v.map(idx).fillna(spec["other"]).to_numpy(dtype=int)
        x = X[f].astype(float).to_numpy()
        k = np.searchsorted(spec["edges"], x, side="right")
        k = np.where(np.isnan(x), spec["missing"] if spec["missing"] is not None else spec["median_key"], k)
        return k.astype(int)

    def fit(self, X: pd.DataFrame, y: Any) -> "PointsScorecard":
        X = _as_frame(X)
        y = _as_labels(y)
        self.bins_ = {}
        cat = set(self.categorical)
        for f in self.factors:
            if f in cat:
                vc = X[f].astype(str).value_counts()
                need = max(10, math.ceil(0.005 * len(X)))
                levels = [lvl for lvl, k in vc.items() if k >= need][:12]
                other = len(levels)
                labels = levels + (["other"] if (~X[f].astype(str).isin(levels)).any() else [])
                self.bins_[f] = {"kind": "categorical", "levels": levels, "other": other, "labels": labels}
                continue
            x = X[f].astype(float)
            ok = x.dropna().to_numpy()
            qs = np.quantile(ok, np.linspace(0, 1, self.n_bins + 1)[1:-1]) if ok.size else np.array([])
            edges = np.unique([_sig2(q) for q in qs])
            edges = edges[(edges > ok.min()) & (edges <= ok.max())] if ok.size else edges
            uniq = np.unique(ok)
            if edges.size == 0 and uniq.size >= 2:  # e.g. a count that is mostly 0: "0" against "1 or more"
                edges = uniq[1:2]
            labels = _bin_labels(f, edges, integer=bool(ok.size) and bool(np.all(ok == np.round(ok))),
                                 lowest=float(ok.min()) if ok.size else 0.0)
            missing = None
            if x.isna().any():
                missing = len(labels)
                labels.append("unknown / none")
            med = float(np.median(ok)) if ok.size else 0.0
            self.bins_[f] = {"kind": "numeric", "edges": edges, "labels": labels, "missing": missing,
                             "median_key": int(np.searchsorted(edges, med, side="right"))}
        cols, where = [], []
        keys = {}
        for f in self.factors:
            keys[f] = self._keys(f, X)
            for b in range(1, len(self.bins_[f]["labels"])):
                cols.append((keys[f] == b).astype(float))
                where.append((f, b))
        Z = np.column_stack(cols) if cols else np.zeros((len(X), 0))
        params, _, _, self.penalized_ = _fit_logistic(Z, y)
        self.scale_ = float(self.pdo / math.log(2))
        coefs = {(f, 0): 0.0 for f in self.factors}
        coefs.update({w: params[1 + i] for i, w in enumerate(where)})
        rows = []
        shift = 0.0
        for f in self.factors:
            labels = self.bins_[f]["labels"]
            cs = np.array([coefs[(f, b)] for b in range(len(labels))])
            lo = cs.min()
            shift += lo
            for b, lab in enumerate(labels):
                sel = keys[f] == b
                rows.append({"factor": f, "bin_order": b, "bin": lab,
                             "points": int(round(self.scale_ * (cs[b] - lo))),
                             "n_customers": int(sel.sum()),
                             "churn_rate": float(y[sel].mean()) if sel.any() else np.nan})
        self.table_ = pd.DataFrame(rows, columns=["factor", "bin_order", "bin", "points", "n_customers",
                                                  "churn_rate"])
        self.intercept_ = float(params[0])
        self.shift_ = float(shift)
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Total points of each row of ``X``."""
        X = _as_frame(X)
        total = np.zeros(len(X), dtype=int)
        for f in self.factors:
            pts = self.table_.loc[self.table_["factor"] == f].sort_values("bin_order")["points"].to_numpy()
            total += pts[self._keys(f, X)]
        return total

    def probability(self, score: Any) -> np.ndarray:
        """Churn probability of a total score."""
        from scipy.special import expit

        return expit(self.intercept_ + self.shift_ + np.asarray(score, dtype=float) / self.scale_)

    def score_for(self, probability: float) -> float:
        """The total score at which the churn probability reaches ``probability``."""
        return float(self.scale_ * (math.log(probability / (1 - probability)) - self.intercept_ - self.shift_))


def _pick_factors(logit: LogitChurnModel, X: pd.DataFrame, *, k: int = 5, max_corr: float = 0.8) -> list[str]:
    """The ``k`` features weighing most in the logistic model, skipping near-duplicates."""
    spread = logit.factor_spread(X)
    chosen: list[str] = []
    num = set(logit.design_.numeric_)
    for f in spread.index:
        if spread[f] <= 1e-9:
            break
        if f in num:
            dup = False
            for g in chosen:
                if g in num:
                    r = X[[f, g]].astype(float).corr(method="spearman").iloc[0, 1]
                    if pd.notna(r) and abs(r) > max_corr:
                        dup = True
                        break
            if dup:
                continue
        chosen.append(f)
        if len(chosen) == k:
            break
    return chosen


# ============================================================================ drivers


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


def _label_of(f: str) -> str:
    return FEATURES[f].label if f in FEATURES else f.replace("_", " ")


@dataclass(frozen=True)
class DriversResult:
    """Everything the drivers analysis found for one unit (or one table).

    Attributes
    ----------
    status : str
        ``ok``; ``too_few_churners`` (no models: the note says why);
        ``no_cutoffs`` (the data is too short for one fully observed horizon).
    design : str
        ``out_of_time`` (dated unit data) or ``stratified_cv`` (one snapshot).
    validation : str
        Plain-language description of how the models were checked.
    notes : tuple of str
        Plain-language notes for the reader (leaks excluded, samples, fallbacks).
    horizon_days : int
    plan : CutoffPlan or None
    counts : DataFrame
        ``set`` (train / evaluate / final), ``cutoffs, n_customers, n_churned, churn_rate``.
    metrics : DataFrame
        ``model, metric, value`` (metrics of :func:`classification_metrics`).
    calibration : DataFrame
        ``model`` + :func:`calibration_table` columns.
    gains : DataFrame
        ``model, share_targeted, share_captured``.
    importance : DataFrame
        ``model, feature, label, importance_mean, importance_std, rank``: drop of
        ROC AUC when the feature is shuffled (out-of-sample), over repeats.
    odds_ratios : DataFrame
        :meth:`LogitChurnModel.odds_ratios` with ``label``.
    partial_dependence : DataFrame
        ``feature, label, kind, x, level, mean_probability`` (main model).
    leakage : DataFrame
        :func:`leakage_guard` with ``excluded``: ``feature, label, single_auc,
        flagged, suspected, excluded``.
    reasons : DataFrame
        ``churn_type, churn_reason, n_churned, share`` (empty without reasons).
    best_model : str
        ``logit`` or ``hgb``: the higher out-of-sample ROC AUC, the logistic
        regression when within 0.005 (as good, and interpretable); "" without models.
    beats_baseline : bool
    numeric, categorical : tuple of str
        Features the models use.
    models : dict
        Fitted scoring models ``baseline``, ``logit``, ``hgb`` (refitted on the
        latest cut-offs) and ``scorecard``.
    eval_predictions : DataFrame
        ``customer_id, churned, p_baseline, p_logit, p_hgb``: the out-of-sample
        predictions the metrics were computed from.
    baseline_rule : str
        The baseline rule in plain words.
    """

    status: str
    design: str
    validation: str
    notes: tuple[str, ...]
    horizon_days: int
    plan: CutoffPlan | None
    counts: pd.DataFrame
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    importance: pd.DataFrame
    odds_ratios: pd.DataFrame
    partial_dependence: pd.DataFrame
    leakage: pd.DataFrame
    reasons: pd.DataFrame
    best_model: str = ""
    beats_baseline: bool = False
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    models: dict[str, Any] = field(default_factory=dict)
    eval_predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    baseline_rule: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def metric(self, model: str, metric: str) -> float:
        """One metric value (NaN when absent)."""
        m = self.metrics
        v = m.loc[(m["model"] == model) & (m["metric"] == metric), "value"]
        return float(v.iloc[0]) if len(v) else float("nan")

    @property
    def suspected_leaks(self) -> pd.DataFrame:
        """Features kept in the models whose single-feature ROC AUC lies in the warning band (0.90 to 0.95).

        ``feature, label, single_auc``, highest first; empty when none.
        """
        lk = self.leakage
        if lk.empty or "suspected" not in lk:
            return pd.DataFrame(columns=["feature", "label", "single_auc"])
        return lk.loc[lk["suspected"].astype(bool), ["feature", "label", "single_auc"]].reset_index(drop=True)

    def top_drivers(self, n: int = 5) -> list[str]:
        """Features of the main model by permutation importance (highest first)."""
        imp = self.importance
        if imp.empty or not self.best_model:
            return []
        imp = imp[imp["model"] == self.best_model].sort_values("rank")
        return imp["feature"].head(n).tolist()

    def _repr_html_(self) -> str:
        return drivers_html(self).data


def _empty(cols: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(cols))


_EMPTY = {
    "metrics": ["model", "metric", "value"],
    "calibration": ["model", "bin", "n_customers", "mean_predicted", "observed_rate", "ci_lower", "ci_upper"],
    "gains": ["model", "share_targeted", "share_captured"],
    "importance": ["model", "feature", "label", "importance_mean", "importance_std", "rank"],
    "odds_ratios": ["term", "feature", "kind", "level", "reference", "sd", "coef", "odds_ratio", "ci_lower",
                    "ci_upper", "p_value", "label"],
    "partial_dependence": ["feature", "label", "kind", "x", "level", "mean_probability"],
    "leakage": ["feature", "label", "single_auc", "flagged", "suspected", "excluded"],
    "reasons": ["churn_type", "churn_reason", "n_churned", "share"],
    "counts": ["set", "cutoffs", "n_customers", "n_churned", "churn_rate"],
}


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
            rows.append({"model": model, "feature": f, "label": _label_of(f),
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


def _choose_best(metrics: pd.DataFrame) -> tuple[str, bool]:
    m = metrics[metrics["metric"] == "roc_auc"].set_index("model")["value"]
    cands = [x for x in ("hgb", "logit") if x in m.index and pd.notna(m[x])]
    if not cands:
        return "", False
    best = max(cands, key=lambda x: (m[x], x == "logit"))
    if "logit" in cands and m["logit"] >= m[best] - 0.005:
        best = "logit"  # as good within half a point: prefer the interpretable model
    base = m.get("baseline", np.nan)
    beats = bool(pd.notna(base) and m[best] >= base + BEAT_MARGIN) or bool(pd.isna(base))
    return best, beats


def _reasons_unit(data: Any) -> pd.DataFrame:
    c = data.customers
    if "churn_date" not in c.columns or not ({"churn_reason", "churn_type"} & set(c.columns)):
        return _empty(_EMPTY["reasons"])
    since = data.month_end - dt.timedelta(days=365)
    sel = c.filter(c.churn_date.notnull() & (c.churn_date > since) & (c.churn_date <= data.month_end))
    cols = [x for x in ("churn_type", "churn_reason") if x in c.columns]
    df = sel.select(*cols).to_pandas()
    return _reason_counts(df, cols)


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


def _counts_row(name: str, cutoffs: Sequence[dt.date], y: np.ndarray) -> dict[str, Any]:
    return {"set": name, "cutoffs": ", ".join(pd.Timestamp(c).strftime("%Y-%m-%d") for c in cutoffs),
            "n_customers": int(y.size), "n_churned": int(y.sum()),
            "churn_rate": float(y.mean()) if y.size else np.nan}


def churn_drivers(data: Any, *, seed: int = 0, min_churners: int = 50, min_eval_churners: int = 20,
                  max_train_rows: int = 250_000, leakage_auc: float = LEAKAGE_AUC, exclude_leaks: bool = True,
                  n_repeats: int = 5, importance_rows: int = 20_000) -> DriversResult:
    """Churn models, out-of-time validation and drivers of one unit.

    Parameters
    ----------
    data : UnitData
        The unit (``drivers`` params: ``horizon_days``, ``n_cutoffs``, ``attributes``).
    seed : int
        Seed of every random step (sampling, boosting, permutations).
    min_churners, min_eval_churners : int
        Fewest churners in the training / evaluation cut-offs to fit and check
        models; below, the result has status ``too_few_churners`` and only the
        baseline rule (for the early warning), with a note.
    max_train_rows : int
        Training rows are sampled down to this many (noted).
    leakage_auc, exclude_leaks
        The leakage guard's threshold, and whether flagged features are left out
        (checked on at most 200,000 training rows).
    n_repeats, importance_rows
        Permutation importance repeats, on at most this many evaluation rows.

    Returns
    -------
    DriversResult
        For a snapshot unit (``data.kind == "snapshot"``) the result of
        :func:`snapshot_drivers` (stratified cross-validation).

    Raises
    ------
    ConfigError
        ``drivers.attributes`` names a churn field or a column that is not loaded;
        ``drivers.exclude`` names an unknown feature; ``drivers.reference_levels``
        names a column that is not a categorical driver or a level absent from the data.
    """
    if getattr(data, "kind", "orders") == "snapshot":  # one row per customer: cross-validated instead
        return snapshot_drivers(data, seed=seed)
    cfg = data.config
    spec = cfg.drivers
    ch = cfg.churn
    h = int(spec.horizon_days)
    attributes = check_attributes(data.customers, spec.attributes)
    exclude = set(_check_exclude(spec.exclude, list(FEATURES) + attributes))
    history = max(90, ch.inactivity_days) if ch.method == "inactivity" else 90
    plan = plan_cutoffs(month_end=data.month_end, data_start=data.data_start, horizon_days=h,
                        n_cutoffs=spec.n_cutoffs, min_history_days=history)
    reasons = _reasons_unit(data)
    empty = {k: _empty(v) for k, v in _EMPTY.items()}
    if plan.evaluate is None:
        note = (f"The data (from {data.data_start:%d %b %Y} to {data.month_end:%d %b %Y}) is too short for a "
                f"churn model: it needs {history} days of history before a cut-off plus the {h}-day horizon after "
                "it. No model was fitted.")
        return DriversResult(status="no_cutoffs", design="out_of_time", validation="", notes=(note,),
                             horizon_days=h, plan=plan, **{**empty, "reasons": reasons})
    panel = training_panel(data, plan.all_labelled(), horizon_days=h, attributes=attributes)
    refs = _check_reference_levels(spec.reference_levels, panel, [a for a in attributes if a not in exclude])
    numeric = [c for c in FEATURES if c in panel.columns and c not in exclude]
    cut = panel["cutoff"].dt.date
    in_train, in_final = cut.isin(plan.train).to_numpy(), cut.isin(plan.final).to_numpy()
    evald = panel[(cut == plan.evaluate).to_numpy()]
    y_all = panel["churned"].to_numpy(dtype=int)
    yt, ye, yf = y_all[in_train], evald["churned"].to_numpy(dtype=int), y_all[in_final]
    # the models learn from samples of the training and final cut-offs (the whole panel is not kept)
    rng = np.random.default_rng(seed)

    def rows(frame: pd.DataFrame, mask: np.ndarray, n: int) -> pd.DataFrame:
        idx = np.flatnonzero(mask)
        if idx.size > n:
            idx = np.sort(rng.choice(idx, size=n, replace=False))
        return frame.iloc[idx]

    n_train = int(in_train.sum())
    tr, fin = rows(panel, in_train, max_train_rows), rows(panel, in_final, max_train_rows)
    guard_rows = rows(panel, in_train, min(max_train_rows, 200_000))
    del panel
    counts = pd.DataFrame([_counts_row("train", plan.train, yt), _counts_row("evaluate", [plan.evaluate], ye),
                           _counts_row("final", plan.final, yf)], columns=_EMPTY["counts"])
    notes: list[str] = []
    baseline = OverdueRule()
    # a model needs both outcomes: churners and customers who stayed (a unit of one-time buyers under
    # inactivity churn can have no stayer at all among its training rows)
    stay_t, stay_e = len(yt) - int(yt.sum()), len(ye) - int(ye.sum())
    too_few_stayers = len(plan.train) > 0 and (stay_t < min_churners or stay_e < min_eval_churners)
    if yt.sum() < min_churners or ye.sum() < min_eval_churners or len(plan.train) == 0 or too_few_stayers:
        fit_on = fin if len(fin) else evald
        models = {"baseline": baseline.fit(fit_on, fit_on["churned"].to_numpy(dtype=int))} if len(fit_on) else {}
        if not len(plan.train):
            why = "no training cut-off precedes the evaluation cut-off (the data is too short)"
        elif yt.sum() < min_churners or ye.sum() < min_eval_churners:
            why = (f"only {int(yt.sum())} churners in the training cut-offs and {int(ye.sum())} in the evaluation "
                   f"cut-off (at least {min_churners} and {min_eval_churners} are needed)")
        else:
            why = (f"only {stay_t} customers who stayed in the training cut-offs and {stay_e} in the evaluation "
                   f"cut-off (at least {min_churners} and {min_eval_churners} are needed: nearly every customer "
                   "churned, so there is nothing to tell churners apart from)")
        rule = models["baseline"].describe() if models else "no rule (no customer to learn from)"
        lead = "Too few customers who stayed" if too_few_stayers and yt.sum() >= min_churners and \
            ye.sum() >= min_eval_churners else "Too few churners"
        notes.append(f"{lead} to fit and check a churn model: {why}. The at-risk list below uses the "
                     f"baseline rule instead: {rule}, as the probability; treat it as a rough guide.")
        notes += _exclude_notes(sorted(exclude), _label_of)
        return DriversResult(status="too_few_churners", design="out_of_time", validation="",
                             notes=tuple(notes), horizon_days=h, plan=plan,
                             **{**empty, "counts": counts, "reasons": reasons}, models=models,
                             baseline_rule=models["baseline"].describe() if models else "")
    numeric = _usable_numeric(tr, numeric)
    categorical = [a for a in attributes if a not in exclude and tr[a].nunique() > 1]
    leak = leakage_guard(guard_rows[numeric + categorical], guard_rows["churned"].to_numpy(dtype=int),
                         threshold=leakage_auc, labels={c: _label_of(c) for c in numeric + categorical}, seed=seed)
    flagged, numeric, categorical = _apply_leakage_guard(leak, numeric, categorical, notes=notes,
                                                         exclude_leaks=exclude_leaks, name=_label_of)
    notes += _exclude_notes(sorted(exclude), _label_of)
    feats = numeric + categorical
    if n_train > max_train_rows:
        notes.append(f"The models learnt from a random sample of {max_train_rows:,} of the {n_train:,} training "
                     "rows (more adds little accuracy).")
    ytr = tr["churned"].to_numpy(dtype=int)
    models_v = _fit_all(tr, ytr, numeric, categorical, seed=seed, groups=tr["customer_id"].to_numpy(),
                        baseline=baseline, reference_levels=refs)
    preds = _predict(models_v, evald, feats)
    metrics, calibration, gains = _evaluate(ye, preds)
    best, beats = _choose_best(metrics)
    if models_v["logit"].penalized_:
        notes.append("The logistic regression needed a light penalty (some feature separates churners perfectly "
                     "in training); its odds ratios have no intervals.")
    if len(evald) > importance_rows:
        notes.append(f"Permutation importance was measured on a random {importance_rows:,} of the {len(evald):,} "
                     "test customers.")
    imp_parts = {m: [_permutation_importance(models_v[m], evald[feats], ye, n_repeats=n_repeats, seed=seed,
                                             max_rows=importance_rows)] for m in ("logit", "hgb")}
    importance = _importance_frame(imp_parts)
    orat = models_v["logit"].odds_ratios()
    orat["label"] = orat["feature"].map(_label_of)
    top = importance[importance["model"] == best].sort_values("rank")["feature"].head(4).tolist()
    pdp = _partial_dependence(models_v[best], evald[feats], top, categorical, seed=seed)
    pdp["label"] = pdp["feature"].map(_label_of)
    factors = _pick_factors(models_v["logit"], tr[feats])
    card = PointsScorecard(factors=factors, categorical=[f for f in factors if f in categorical]).fit(tr[factors], ytr)
    # the scoring models: same recipe, the latest fully observed cut-offs
    models = _fit_all(fin, fin["churned"].to_numpy(dtype=int), numeric, categorical, seed=seed,
                      groups=fin["customer_id"].to_numpy(), baseline=baseline, reference_levels=refs)
    models["scorecard"] = card
    models["scorecard_eval"] = pd.DataFrame({"score": card.score(evald[factors]), "churned": ye})
    ev = pd.DataFrame({"customer_id": evald["customer_id"].to_numpy(), "churned": ye,
                       **{f"p_{k}": v for k, v in preds.items()}})
    return DriversResult(
        status="ok", design="out_of_time", validation=_validation_text(plan, h), notes=tuple(notes),
        horizon_days=h, plan=plan, counts=counts, metrics=metrics, calibration=calibration, gains=gains,
        importance=importance[_EMPTY["importance"]], odds_ratios=orat[_EMPTY["odds_ratios"]],
        partial_dependence=pdp[_EMPTY["partial_dependence"]], leakage=leak[_EMPTY["leakage"]], reasons=reasons,
        best_model=best, beats_baseline=beats, numeric=tuple(numeric), categorical=tuple(categorical),
        models=models, eval_predictions=ev, baseline_rule=models_v["baseline"].describe())


def _fmt_day(d: Any) -> str:
    return pd.Timestamp(d).strftime("%d %b %Y").lstrip("0")


def _validation_text(plan: CutoffPlan, h: int) -> str:
    if not plan.train:
        return ""
    return (f"Out of time: the models learnt from the customers active on the first day of each month from "
            f"{_fmt_day(plan.train[0])} to {_fmt_day(plan.train[-1])} (whether they churned within the next {h} "
            f"days, all known before {_fmt_day(plan.evaluate)}), and were tested on the customers active on "
            f"{_fmt_day(plan.evaluate)}, followed for {h} days: customers and a period the models never saw. "
            f"The models that score the report month were refitted the same way on the cut-offs "
            f"{_fmt_day(plan.final[0])} to {_fmt_day(plan.final[-1])}.")


# ============================================================================ early warning


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _plural(n: float, word: str) -> str:
    return f"{n:,.0f} {word}{'' if round(n) == 1 else 's'}"


def reason_phrase(feature: str, row: Any, *, high: bool, currency: str = "") -> str:
    """One reason in plain words: the customer's value of ``feature``.

    ``high`` tells whether the customer's value is above the average (which
    is what raises their risk). ``row`` maps feature names to the customer's values.

    Examples
    --------
    >>> reason_phrase("recency_days", {"recency_days": 120.0}, high=True)
    'no purchase for 120 days'
    >>> reason_phrase("n_complaints", {"n_complaints": 2.0}, high=True)
    '2 complaints on record'
    >>> reason_phrase("plan", {"plan": "basic"}, high=True)
    'plan: basic'
    """
    v = row[feature] if feature in row else None
    x = _num(v)
    if feature not in FEATURES:
        return f"{feature.replace('_', ' ')}: {v}"
    missing = {
        "mean_interpurchase_days": "only one purchase day so far (no usual rhythm yet)",
        "overdue_ratio": "only one purchase day so far (no usual rhythm yet)",
        "latest_nps": "never answered an NPS survey",
        "aov_change": "no earlier orders to compare basket size with",
        "discount_share": "no purchases in the last year",
        "refund_rate": "no purchases in the last year",
    }
    if math.isnan(x):
        return missing.get(feature, f"{FEATURES[feature].label}: unknown")
    window = {"90": "90 days", "180": "180 days", "365": "year"}
    if feature == "recency_days":
        return f"no purchase for {x:,.0f} days" if high else f"last purchase only {x:,.0f} days ago"
    if feature == "tenure_days":
        months = x / (365.25 / 12)
        return f"customer for {months:,.0f} months" if high else f"new customer ({months:,.0f} months)"
    if feature.startswith("n_orders_"):
        w = window[feature.rsplit("_", 1)[1]]
        return f"{_plural(x, 'purchase')} in the last {w}" if high else \
            (f"no purchase in the last {w}" if x == 0 else f"only {_plural(x, 'purchase')} in the last {w}")
    if feature.startswith("revenue_"):
        w = window[feature.rsplit("_", 1)[1]]
        return f"spent {currency} {x:,.0f} in the last {w}".replace("  ", " ") if high else \
            f"spent only {currency} {x:,.0f} in the last {w}".replace("  ", " ")
    if feature == "order_trend":
        n90, prev = _num(row.get("n_orders_90")), _num(row.get("n_orders_prev_90"))
        detail = f" ({n90:,.0f} purchases in the last 90 days vs {prev:,.0f} in the 90 before)" \
            if not (math.isnan(n90) or math.isnan(prev)) else ""
        return ("buying more often than before" if high else "buying less often than before") + detail
    if feature == "aov_change":
        pct = (math.exp(x) - 1) * 100
        return f"baskets {abs(pct):.0f}% {'larger' if pct >= 0 else 'smaller'} than before"
    if feature == "mean_interpurchase_days":
        return f"usually buys only every {x:,.0f} days" if high else f"usually buys every {x:,.0f} days"
    if feature == "overdue_ratio":
        return f"{x:.1f} times their usual gap since the last purchase" if high else \
            "buying within their usual rhythm"
    if feature == "n_tickets_365":
        return f"{_plural(x, 'support ticket')} in the last year" if x else "no support ticket in the last year"
    if feature == "n_complaints":
        return f"{_plural(x, 'complaint')} on record" if x else "no complaint on record"
    if feature == "latest_nps":
        return f"latest NPS score {x:.0f}" + (" (detractor)" if x <= 6 else "")
    if feature == "discount_share":
        return f"{x * 100:.0f}% of last year's spend discounted"
    if feature == "refund_rate":
        return f"refunds on {x * 100:.0f}% of last year's purchases"
    if feature == "campaign_contacts_90":
        return f"{_plural(x, 'retention contact')} in the last 90 days" if x else \
            "no retention contact in the last 90 days"
    return f"{FEATURES[feature].label}: {x:,.2f}"  # pragma: no cover


#: A reason must raise the customer's log-odds by at least this much (about +10% odds).
MIN_REASON_LOGODDS: float = 0.1


def _top_reasons(logit: LogitChurnModel | None, X: pd.DataFrame, *, currency: str, k: int = 3) -> list[str]:
    """Top-``k`` risk-raising reasons per customer, from the logistic model's contributions.

    Only features whose effect is supported (a term with p < 0.05), whose
    direction in the model agrees with their direction on their own, whose
    value lies on the feature's ``risk_side`` (a reason must make sense read
    alone: a high NPS score is never one) and contributions of at least
    :data:`MIN_REASON_LOGODDS` count, so a feature that barely, or only by
    chance, moves the risk is never given as a reason.
    """
    if logit is None or X.empty:
        return [""] * len(X)
    C = logit.contributions(X)
    o = logit.odds_ratios()
    if o["p_value"].notna().any():  # only features with a supported effect (p < 0.05) give reasons
        keep = set(o.loc[o["p_value"] < 0.05, "feature"])
        C = C[[c for c in C.columns if c in keep]]
    coef = dict(zip(o["term"], o["coef"]))
    marg = getattr(logit, "marginal_corr_", {})
    C = C[[c for c in C.columns if c not in marg or coef.get(c, 0.0) * marg[c] > 0]]
    if C.shape[1] == 0:
        return [""] * len(X)
    vals = C.to_numpy()
    names = np.array(C.columns)
    order = np.argsort(-vals, axis=1)[:, : k + 3]
    d = logit.design_
    recs = X.to_dict(orient="records")
    out = []
    for i, rec in enumerate(recs):
        parts = []
        for j in order[i]:
            if vals[i, j] < MIN_REASON_LOGODDS or len(parts) == k:
                break
            f = names[j]
            if f in d.means_:
                x = _num(rec.get(f))
                hi = (x if not math.isnan(x) else d.medians_[f]) >= d.means_[f]
                side = FEATURES[f].risk_side if f in FEATURES else None
                if side is not None and hi != (side == "high"):
                    continue  # e.g. a high NPS score is never offered as a reason for risk
            else:
                hi = True
            parts.append(reason_phrase(f, rec, high=hi, currency=currency))
        out.append("; ".join(parts))
    return out


def _rule_reasons(X: pd.DataFrame) -> list[str]:
    out = []
    for rec in X.to_dict(orient="records"):
        r, g = _num(rec.get("recency_days")), _num(rec.get("mean_interpurchase_days"))
        if math.isnan(g):
            out.append(f"no purchase for {r:,.0f} days (only one purchase day so far)")
        else:
            out.append(f"no purchase for {r:,.0f} days (usually every {g:,.0f} days)")
    return out


@dataclass(frozen=True)
class EarlyWarning:
    """Risk of every active customer at the report month.

    Attributes
    ----------
    scores : DataFrame
        One row per active customer, sorted by value at risk (highest first):
        ``customer_id, probability`` (of churning within the horizon),
        ``tier`` (high / medium / low, thresholds ``drivers.tiers``),
        ``score`` (scorecard points, missing without a scorecard),
        ``reasons`` (top three, plain words, "; "-separated), ``value_at_risk``
        (probability x ``revenue_12m``), ``revenue_12m`` (net revenue of the last
        365 days), ``as_of`` (the cut-off) and ``horizon_days``.
    tiers : DataFrame
        ``tier, threshold, n_customers, share, mean_probability,
        expected_churners, revenue_12m, value_at_risk``.
    tradeoff : DataFrame
        Per probability cut-off: ``threshold, n_flagged, share_flagged,
        expected_churners, expected_false_alarms, precision,
        share_of_churners_caught, value_at_risk_covered``, and the same
        targeting checked out of time: ``oot_precision, oot_recall``.
    scorecard : DataFrame
        :attr:`PointsScorecard.table_` with the factor ``label`` (empty without a scorecard).
    bands : DataFrame
        ``band, min_score, max_score, predicted_low, predicted_high, n_eval,
        observed_rate, meaning``: score bands matching the tiers, their predicted
        churn probability range and the churn rate observed out of time.
    as_of : date
    horizon_days : int
        0 for a snapshot (no horizon: the probability is that of being a
        churner in the table, see :func:`snapshot_drivers`).
    model : str
        The model behind the probabilities (``logit``, ``hgb`` or ``baseline``).
    notes : tuple of str
    design : str
        ``out_of_time`` (a unit with dated orders) or ``stratified_cv`` (a snapshot).
    """

    scores: pd.DataFrame
    tiers: pd.DataFrame
    tradeoff: pd.DataFrame
    scorecard: pd.DataFrame
    bands: pd.DataFrame
    as_of: dt.date | None
    horizon_days: int
    model: str
    currency: str = ""
    tier_thresholds: tuple[float, float] = (0.5, 0.2)
    notes: tuple[str, ...] = ()
    design: str = "out_of_time"


def _tiers(p: np.ndarray, high: float, medium: float) -> np.ndarray:
    return np.where(p >= high, "high", np.where(p >= medium, "medium", "low"))


def tradeoff_table(prob: Any, value: Any = None, *, thresholds: Sequence[float] | None = None,
                   oot_y: Any = None, oot_prob: Any = None) -> pd.DataFrame:
    """Targeting trade-off: for each probability cut-off, whom a campaign would reach.

    Parameters
    ----------
    prob
        Calibrated churn probabilities of the customers to target.
    value
        Their value at risk (optional).
    thresholds
        Probability cut-offs (default 0.05 to 0.9).
    oot_y, oot_prob
        Outcomes and probabilities of an out-of-time check (optional): the
        same cut-offs applied there give ``oot_precision`` and ``oot_recall``.

    Returns
    -------
    DataFrame
        ``threshold, n_flagged, share_flagged, expected_churners,
        expected_false_alarms, precision, share_of_churners_caught,
        value_at_risk_covered, oot_precision, oot_recall``.

    Examples
    --------
    >>> t = tradeoff_table([0.9, 0.6, 0.2, 0.1], thresholds=[0.5])
    >>> t[["n_flagged", "expected_churners", "expected_false_alarms"]].values.tolist()
    [[2.0, 1.5, 0.5]]
    """
    p = np.asarray(prob, dtype=float)
    v = np.zeros_like(p) if value is None else np.asarray(value, dtype=float)
    ths = sorted(set(thresholds if thresholds is not None else
                     (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)))
    total = p.sum()
    rows = []
    for t in ths:
        sel = p >= t
        n = float(sel.sum())
        caught = float(p[sel].sum())
        row = {"threshold": float(t), "n_flagged": n, "share_flagged": n / p.size if p.size else np.nan,
               "expected_churners": caught, "expected_false_alarms": n - caught,
               "precision": caught / n if n else np.nan, "share_of_churners_caught": caught / total if total else np.nan,
               "value_at_risk_covered": float(v[sel].sum()), "oot_precision": np.nan, "oot_recall": np.nan}
        if oot_y is not None and oot_prob is not None:
            yy, pp = np.asarray(oot_y, float), np.asarray(oot_prob, float)
            s2 = pp >= t
            row["oot_precision"] = float(yy[s2].mean()) if s2.any() else np.nan
            row["oot_recall"] = float(yy[s2].sum() / yy.sum()) if yy.sum() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _score_frame(data: Any, result: DriversResult) -> pd.DataFrame:
    attrs = [a for a in data.config.drivers.attributes]
    return training_panel(data, [result.plan.score], horizon_days=None, attributes=attrs)


def early_warning(data: Any, result: DriversResult) -> EarlyWarning:
    """Score every customer active at the end of the report month.

    The probabilities come from the result's best model (refitted on the latest
    fully observed cut-offs); without a model (too few churners) from the
    overdue rule. Reasons come from the logistic model's contributions (the
    overdue rule's own wording without a model). For a snapshot result
    (:func:`snapshot_drivers`) the customers who have not churned are scored
    by the cross-validated models instead (no horizon, no out-of-time check).

    Returns
    -------
    EarlyWarning
    """
    if result.design == "stratified_cv":
        return _snapshot_warning(data, result)
    cfg = data.config
    spec = cfg.drivers
    high, medium = spec.tiers.high, spec.tiers.medium
    h = result.horizon_days
    cols = list(_WARNING_COLS)
    notes: list[str] = []
    if result.plan is None or not result.models:
        empty = pd.DataFrame(columns=cols)
        notes.append("No customer could be scored: the data is too short to learn churn probabilities.")
        return EarlyWarning(empty, _tier_summary(empty, high, medium), tradeoff_table([]), pd.DataFrame(),
                            pd.DataFrame(), result.plan.score if result.plan else None, h, "", cfg.currency,
                            (high, medium), tuple(notes))
    X = _score_frame(data, result)
    feats = list(result.numeric) + list(result.categorical)
    models = result.models
    if result.ok:
        model = result.best_model
        with _threads(len(X)):
            p = models[model].predict_proba(X[feats])[:, 1] if len(X) else np.empty(0)
        reasons = _top_reasons(models["logit"], X[feats + [c for c in AUX_COLUMNS if c in X]], currency=cfg.currency)
        card = models["scorecard"]
        score = card.score(X[list(card.factors)]).astype(float) if len(X) else np.empty(0)
    else:
        model = "baseline"
        p = models["baseline"].predict_proba(X)[:, 1] if len(X) else np.empty(0)
        reasons = _rule_reasons(X)
        score = np.full(len(X), np.nan)
        card = None
    rev = X["net_revenue_365"].clip(lower=0).to_numpy(dtype=float) if len(X) else np.empty(0)
    scores = pd.DataFrame({
        "customer_id": X["customer_id"].astype(str).to_numpy() if len(X) else [],
        "probability": p, "tier": _tiers(p, high, medium), "score": score, "reasons": reasons,
        "value_at_risk": p * rev, "revenue_12m": rev, "as_of": result.plan.score, "horizon_days": h})
    scores = scores.sort_values(["value_at_risk", "probability", "customer_id"], ascending=[False, False, True])
    scores = scores.reset_index(drop=True)
    ev = result.eval_predictions
    oot = (ev["churned"], ev[f"p_{model}"]) if f"p_{model}" in ev else (None, None)
    extra = [x for x in (high, medium) if 0 < x < 1]
    trade = tradeoff_table(p, p * rev, thresholds=sorted(set([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
                                                 + extra)), oot_y=oot[0], oot_prob=oot[1])
    sc_table, bands = pd.DataFrame(), pd.DataFrame()
    if card is not None:
        sc_table = card.table_.assign(label=card.table_["factor"].map(_label_of))
        bands = _bands(card, models.get("scorecard_eval"), high, medium, h)
    return EarlyWarning(scores[cols], _tier_summary(scores, high, medium), trade, sc_table, bands,
                        result.plan.score, h, model, cfg.currency, (high, medium), tuple(notes))


_WARNING_COLS = ("customer_id", "probability", "tier", "score", "reasons", "value_at_risk", "revenue_12m", "as_of",
                 "horizon_days")


def _tier_summary(scores: pd.DataFrame, high: float, medium: float) -> pd.DataFrame:
    rows = []
    n_all = len(scores)
    for tier, thr in zip(TIER_ORDER, (f">= {high:.0%}", f"{medium:.0%} to < {high:.0%}", f"< {medium:.0%}")):
        s = scores[scores["tier"] == tier] if n_all else scores
        rows.append({"tier": tier, "threshold": thr, "n_customers": int(len(s)),
                     "share": len(s) / n_all if n_all else np.nan,
                     "mean_probability": float(s["probability"].mean()) if len(s) else np.nan,
                     "expected_churners": float(s["probability"].sum()) if len(s) else 0.0,
                     "revenue_12m": float(s["revenue_12m"].sum()) if len(s) else 0.0,
                     "value_at_risk": float(s["value_at_risk"].sum()) if len(s) else 0.0})
    return pd.DataFrame(rows)


def _bands(card: PointsScorecard, ev: pd.DataFrame | None, high: float, medium: float, h: int) -> pd.DataFrame:
    """Score bands matching the probability tiers (high: score >= the score of ``high``; ...)."""
    s_med = max(0, math.ceil(card.score_for(medium)))
    s_high = max(s_med, math.ceil(card.score_for(high)))
    max_total = int(card.table_.groupby("factor")["points"].max().sum())
    spans = [("high", s_high, max_total), ("medium", s_med, s_high - 1), ("low", 0, s_med - 1)]
    verbs = {"high": "contact first: personal call or offer", "medium": "include in retention campaigns",
             "low": "no action beyond regular care"}
    rows = []
    for band, lo, hi in spans:
        if ev is not None and len(ev):
            sel = (ev["score"] >= lo) & (ev["score"] <= hi)
            n = int(sel.sum())
            rate = float(ev.loc[sel, "churned"].mean()) if n else np.nan
        else:
            n, rate = 0, np.nan
        reachable = lo <= min(hi, max_total)
        p_lo, p_hi = float(card.probability(lo)), float(card.probability(min(hi, max_total)))
        meaning = (f"about {p_lo:.0%} to {p_hi:.0%} churn within {h} days; {verbs[band]}" if reachable else
                   "no customer can reach this band with this scorecard")
        rows.append({"band": band, "min_score": lo, "max_score": hi if reachable else np.nan,
                     "predicted_low": p_lo, "predicted_high": p_hi if reachable else np.nan, "n_eval": n,
                     "observed_rate": rate, "meaning": meaning})
    return pd.DataFrame(rows)


AT_RISK_FILE = "at_risk_customers.csv"
AT_RISK_MONEY = ("value_at_risk", "revenue_12m")
AT_RISK_RATES = ("probability",)


def write_at_risk_list(warning: EarlyWarning, output_dir: str | Path | None) -> Path | None:
    """Write the CRM list ``at_risk_customers.csv`` into ``output_dir`` (nothing when it is empty).

    The file holds every scored active customer (all tiers, so that a later
    run can compare each tier with what happened), sorted by value at risk,
    with the columns of :attr:`EarlyWarning.scores`, through
    :func:`retention_utils.exports.write_csv`: text cells a spreadsheet would
    run as a formula (an id or a reason starting with ``=``, ``+``, ``-``,
    ``@``, tab or CR) get a leading apostrophe, money is rounded to cents and
    probabilities to 1e-6, so two identical runs write identical bytes.

    Returns
    -------
    Path or None
        The file written; None for an interactive run (``output_dir`` empty).
    """
    if not output_dir:
        return None
    out = Path(output_dir)
    if not out.is_dir():
        raise ConfigError(f"output_dir {str(out)!r} is not a folder; the report runner passes the unit's report "
                          "folder, leave it empty in interactive runs.")
    return write_csv(warning.scores, out / AT_RISK_FILE, money=AT_RISK_MONEY, rates=AT_RISK_RATES)


# ============================================================================ closed loop


@dataclass(frozen=True)
class ClosedLoop:
    """An earlier at-risk list compared with what happened since.

    Attributes
    ----------
    status : str
        ``complete`` (the list's horizon has passed), ``partial`` (part of it
        observed) or ``none`` (no earlier list).
    source_month : str or None
        Report month of the earlier list.
    as_of : date or None
        The list's cut-off.
    observed_days, horizon_days : int
    by_tier : DataFrame
        ``tier, n_customers, predicted_rate, n_churned, realized_rate, ci_lower,
        ci_upper, n_reached, reached_share, realized_rate_reached,
        realized_rate_not_reached``; ``n_reached`` counts customers contacted by
        a retention campaign (``treatment``) since the cut-off.
    n_not_found : int
        Listed customers no longer in the data (left out of the rates).
    notes : tuple of str
    """

    status: str
    source_month: str | None
    as_of: dt.date | None
    observed_days: int
    horizon_days: int
    by_tier: pd.DataFrame
    n_not_found: int = 0
    notes: tuple[str, ...] = ()


_LOOP_COLS = ["tier", "n_customers", "predicted_rate", "n_churned", "realized_rate", "ci_lower", "ci_upper",
              "n_reached", "reached_share", "realized_rate_reached", "realized_rate_not_reached"]


def _earlier_lists(reports_dir: Path, unit: str, month: str) -> list[tuple[str, Path]]:
    import re

    out = []
    if not reports_dir.is_dir():
        return out
    for d in reports_dir.iterdir():
        if d.is_dir() and re.fullmatch(r"\d{4}-\d{2}", d.name) and d.name < month:
            f = d / unit / AT_RISK_FILE
            if f.is_file():
                out.append((d.name, f))
    return sorted(out)


def closed_loop(data: Any, *, reports_dir: str | Path | None) -> ClosedLoop:
    """Compare the latest earlier at-risk list of this unit with what happened since.

    Looks for ``<reports_dir>/<earlier month>/<unit>/at_risk_customers.csv``;
    takes the latest list whose horizon has fully passed by the end of the
    report month, else the latest one (partly observed, said so). Realized
    churn uses the same label as the models (:func:`churn_labels`) over the
    observed part of the horizon.

    Returns
    -------
    ClosedLoop
        ``status='none'`` (with a note) when there is no earlier list.
    """
    cfg = data.config
    h = cfg.drivers.horizon_days
    empty = pd.DataFrame(columns=_LOOP_COLS)
    if getattr(data, "kind", "orders") == "snapshot":
        return ClosedLoop("none", None, None, 0, 0, empty, notes=(
            "No check of an earlier list for a one-row-per-customer table: it has no dated events to see who "
            "churned after the list was made.",))
    if not reports_dir:
        return ClosedLoop("none", None, None, 0, h, empty, notes=(
            "No earlier at-risk list to check (interactive run: no reports folder given).",))
    lists = _earlier_lists(Path(reports_dir), cfg.unit, data.month_label)
    if not lists:
        return ClosedLoop("none", None, None, 0, h, empty, notes=(
            "No earlier at-risk list of this unit yet: from next month on, this section checks the list "
            "against what happened.",))
    chosen = None
    for month, path in reversed(lists):
        head = pd.read_csv(path, nrows=1)
        if head.empty or "as_of" not in head:
            continue
        as_of = _day(head["as_of"].iloc[0])
        hh = int(head["horizon_days"].iloc[0]) if "horizon_days" in head else h
        if as_of + dt.timedelta(days=hh - 1) <= data.month_end:
            chosen = (month, path, as_of, hh)
            break
        if chosen is None:
            chosen = (month, path, as_of, hh)
    if chosen is None:
        return ClosedLoop("none", None, None, 0, h, empty, notes=("The earlier at-risk lists are empty.",))
    month, path, as_of, hh = chosen
    observed = min(hh, (data.month_end - as_of).days + 1)
    if observed <= 0:
        return ClosedLoop("none", month, as_of, 0, hh, empty, notes=(
            f"The list of {month} starts after the report month; nothing to compare yet.",))
    lst = pd.read_csv(path, dtype={"customer_id": str, "tier": str})
    lst["customer_id"] = lst["customer_id"].map(restore_text)  # ids written neutralised (e.g. "'+4917...")
    ch = cfg.churn
    lab = churn_labels(data.orders, data.customers, cutoff=as_of, horizon_days=observed, method=ch.method,
                       inactivity_days=ch.inactivity_days).to_pandas()
    lab["customer_id"] = lab["customer_id"].astype(str)
    m = lst.merge(lab, on="customer_id", how="left")
    n_not_found = int(m["churned"].isna().sum())
    m = m[m["churned"].notna()].copy()
    m["churned"] = m["churned"].astype(bool)
    reached = set()
    if data.campaigns is not None:
        c = data.campaigns
        until = as_of + dt.timedelta(days=observed)
        sel = c.filter((c.sent_date >= as_of) & (c.sent_date < until) & (c["group"] == "treatment"))
        reached = set(sel.select("customer_id").distinct().to_pandas()["customer_id"].astype(str))
    m["reached"] = m["customer_id"].isin(reached)
    rows = []
    for tier in TIER_ORDER:
        s = m[m["tier"] == tier]
        n, k = len(s), int(s["churned"].sum())
        lo, hi = _wilson(k, n)
        r, nr = s[s["reached"]], s[~s["reached"]]
        rows.append({"tier": tier, "n_customers": n, "predicted_rate": float(s["probability"].mean()) if n else np.nan,
                     "n_churned": k, "realized_rate": k / n if n else np.nan, "ci_lower": float(lo[0]),
                     "ci_upper": float(hi[0]), "n_reached": int(len(r)), "reached_share": len(r) / n if n else np.nan,
                     "realized_rate_reached": float(r["churned"].mean()) if len(r) else np.nan,
                     "realized_rate_not_reached": float(nr["churned"].mean()) if len(nr) else np.nan})
    notes = []
    status = "complete" if observed >= hh else "partial"
    if status == "partial":
        notes.append(f"Only {observed} of the {hh} days after the list of {month} have passed: realized rates are "
                     "so far, and will still rise.")
    if n_not_found:
        notes.append(f"{n_not_found:,} listed customers are no longer in the data and are left out.")
    if data.campaigns is None:
        notes.append("No campaigns table: campaign reach is not known.")
    return ClosedLoop(status, month, as_of, observed, hh, pd.DataFrame(rows, columns=_LOOP_COLS), n_not_found,
                      tuple(notes))


# ============================================================================ one-row-per-customer tables

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


# ============================================================================ snapshot units

#: Snapshot columns that are never features: the key, the label, what is recorded at churn, the dates.
SNAPSHOT_NON_FEATURES = ("customer_id", "business_unit", "churned", "churn_type", "churn_reason", "start_date",
                         "end_date")


def _snapshot_frame(data: Any) -> pd.DataFrame:
    if getattr(data, "kind", "orders") != "snapshot" or getattr(data, "snapshot", None) is None:
        raise ConfigError("snapshot_drivers needs a snapshot unit (params sources.snapshot: one row per customer "
                          "with a churn flag); this unit has orders: use churn_drivers.")
    df = data.snapshot.to_pandas()
    return df.sort_values("customer_id", kind="stable").reset_index(drop=True)


def snapshot_drivers(data: Any, *, seed: int = 0, n_splits: int = 5, n_repeats: int = 3, min_churners: int = 50,
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
    spec = data.config.drivers
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


def _snapshot_warning(data: Any, result: DriversResult) -> EarlyWarning:
    """Early warning of a snapshot unit: the customers who have not churned, by their cross-validated probability.

    Each customer's probability comes from the models that did not see them
    (out-of-fold), so it is how much they resemble the table's churners, not a
    probability of churning within a horizon; there is no out-of-time check
    and no money (the table has no orders).
    """
    cfg = data.config
    high, medium = cfg.drivers.tiers.high, cfg.drivers.tiers.medium
    as_of = (getattr(data, "month_end", None) or None)
    as_of = as_of + dt.timedelta(days=1) if as_of is not None else None
    common = ("No out-of-time test: a one-row-per-customer table has no dates to learn from the past and check on "
              "the future. Each probability comes from cross-validated models that did not see the customer: it "
              "measures how much the customer resembles those who churned, not a dated forecast. The table has no "
              "amounts, so there is no value at risk.")
    empty = pd.DataFrame(columns=list(_WARNING_COLS))
    if not result.ok or not result.best_model:
        return EarlyWarning(empty, _tier_summary(empty, high, medium), tradeoff_table([]), pd.DataFrame(),
                            pd.DataFrame(), as_of, 0, "", cfg.currency, (high, medium),
                            ("No customer could be scored: too few churners to learn churn probabilities.",),
                            design="stratified_cv")
    df = _snapshot_frame(data)
    ev = result.eval_predictions
    stay = (ev["churned"].to_numpy(dtype=int) == 0)
    feats = list(result.numeric) + list(result.categorical)
    X, _, _, _ = _coerce_features(df[feats], max_levels=10**9)
    Xs = X.loc[stay, feats].reset_index(drop=True)
    p = ev.loc[stay, f"p_{result.best_model}"].to_numpy(dtype=float)
    reasons = _top_reasons(result.models.get("logit"), Xs, currency=cfg.currency) if len(Xs) else []
    scores = pd.DataFrame({"customer_id": ev.loc[stay, "customer_id"].astype(str).to_numpy(), "probability": p,
                           "tier": _tiers(p, high, medium), "score": np.nan, "reasons": reasons,
                           "value_at_risk": np.nan, "revenue_12m": np.nan, "as_of": as_of, "horizon_days": 0})
    scores = scores.sort_values(["probability", "customer_id"], ascending=[False, True]).reset_index(drop=True)
    return EarlyWarning(scores[list(_WARNING_COLS)], _tier_summary(scores, high, medium),
                        tradeoff_table(p, thresholds=sorted({0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7,
                                                              0.8, 0.9} | {x for x in (high, medium) if 0 < x < 1})),
                        pd.DataFrame(), pd.DataFrame(), as_of, 0, result.best_model, cfg.currency, (high, medium),
                        (common,), design="stratified_cv")


# ============================================================================ HTML (no computation)

_TABLE_CSS = ("<style>table.drv{border-collapse:collapse;margin:6px 0}table.drv td,table.drv th{padding:3px 10px;"
              "vertical-align:top}table.drv th{border-bottom:1px solid #999}table.drv tr:nth-child(even)"
              "{background:#f5f5f5}table.drv td.txt,table.drv th.txt{text-align:left}"
              "table.drv td.num,table.drv th.num{text-align:right}</style>")


def _e(x: Any) -> str:
    return html.escape(str(x))


def _pct(v: Any, digits: int = 0) -> str:
    return "n/a" if v is None or pd.isna(v) else f"{float(v) * 100:.{digits}f}%"


def _money(v: Any, currency: str) -> str:
    if v is None or pd.isna(v):
        return "n/a"
    v = float(v)
    if abs(v) >= 1e6:
        return f"{currency} {v / 1e6:,.1f}M"
    if abs(v) >= 1e4:
        return f"{currency} {v / 1e3:,.0f}k"
    return f"{currency} {v:,.0f}"


def _table(df: pd.DataFrame, *, text: Sequence[str] = ()) -> str:
    """An HTML table of already formatted values (escaped); ``text`` columns left-aligned, others right."""
    left = set(text) | {df.columns[0]} if len(df.columns) else set(text)
    head = "".join(f"<th class='{'txt' if c in left else 'num'}'>{_e(c)}</th>" for c in df.columns)
    def cell(c: str, v: Any) -> str:
        val = v if isinstance(v, str) else ("" if pd.isna(v) else v)
        return f"<td class='{'txt' if c in left else 'num'}'>{_e(val)}</td>"

    rows = ["<tr>" + "".join(cell(c, v) for c, v in zip(df.columns, rec)) + "</tr>"
            for rec in df.itertuples(index=False)]
    return f"<table class='drv'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _notes_block(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    return f"<div style='background:#fff8e1;border-left:4px solid #e9c46a;padding:6px 12px;margin:8px 0'><ul " \
           f"style='margin:0'>{items}</ul></div>"


def mask_id(customer_id: Any) -> str:
    """A customer id with all but its last two characters hidden.

    Examples
    --------
    >>> mask_id("C0001234")
    '••••••34'
    >>> mask_id("7")
    '•'
    """
    s = str(customer_id)
    if len(s) <= 2:
        return "•" * len(s)
    return "•" * (len(s) - 2) + s[-2:]


def _driver_words(result: DriversResult, feature: str) -> str:
    """Direction of a driver in plain words, from the logistic regression."""
    o = result.odds_ratios
    d = o[o["feature"] == feature]
    if d.empty:
        return "shapes the risk (not in the logistic model)"
    if d["kind"].iloc[0] == "numeric":
        or_ = float(d["odds_ratio"].iloc[0])
        info = FEATURES.get(feature)
        more = info.more if info else f"higher {feature}"
        less = info.less if info else f"lower {feature}"
        sig = pd.notna(d["ci_lower"].iloc[0]) and (d["ci_lower"].iloc[0] > 1 or d["ci_upper"].iloc[0] < 1)
        words = f"{more if or_ >= 1 else less} → more churn"
        return words + ("" if sig or pd.isna(d["ci_lower"].iloc[0]) else " (weak: interval includes no effect)")
    ref = d["reference"].iloc[0]
    levels = pd.concat([pd.DataFrame({"level": [ref], "odds_ratio": [1.0]}), d[["level", "odds_ratio"]]])
    hi = levels.sort_values("odds_ratio").iloc[-1]
    lo = levels.sort_values("odds_ratio").iloc[0]
    return f"'{hi['level']}' churns most, '{lo['level']}' least"


def headline_sentences(result: DriversResult, warning: EarlyWarning | None = None,
                       loop: ClosedLoop | None = None) -> list[str]:
    """Plain-language headline sentences from the numbers (plain text, escape before HTML)."""
    out = []
    cur = warning.currency if warning is not None else ""
    if result.ok:
        best = result.best_model
        auc, base = result.metric(best, "roc_auc"), result.metric("baseline", "roc_auc")
        cap = result.metric(best, "capture_top20")
        where = ("on customers and a period they never saw (out-of-time test)" if result.design == "out_of_time"
                 else "in cross-validation on one snapshot (not an out-of-time test)")
        if result.beats_baseline:
            out.append(f"The {MODEL_LABELS[best].lower()} separates churners from stayers with a ROC AUC of "
                       f"{auc:.2f} {where}, against {base:.2f} for the simple baseline rule; contacting its "
                       f"riskiest 20% of customers would reach {_pct(cap)} of the churners.")
        else:
            out.append(f"No model beats the simple baseline rule: the best model reaches a ROC AUC of {auc:.2f} "
                       f"{where}, the rule {base:.2f}. Rank customers by the rule, and treat the drivers below "
                       "as weak evidence.")
        if auc < 0.6 and result.beats_baseline:
            out.append("Churn is hard to predict in this unit (ROC AUC below 0.6): the risk scores sort customers "
                       "only roughly.")
        sus = result.suspected_leaks
        if len(sus):
            names = ", ".join(f"{lab} (ROC AUC {a:.2f} on its own)" for lab, a in
                              sus[["label", "single_auc"]].itertuples(index=False))
            keys = ", ".join(sus["feature"].astype(str))
            out.append(f"Suspected leakage: {names} separate(s) churners almost perfectly and may be recorded "
                       "after the churn, which would make the accuracy above too good to be true. If it is "
                       f"recorded after the outcome, exclude it (params drivers.exclude: [{keys}]) and rerun.")
        tops = result.top_drivers(3)
        if tops:
            words = "; ".join(f"{_label_of(f)} ({_driver_words(result, f)})" for f in tops)
            out.append(f"The strongest drivers: {words}.")
    else:
        out.append(result.notes[0] if result.notes else "No churn model for this unit.")
    if warning is not None and len(warning.scores) and warning.design == "stratified_cv":
        t = warning.tiers.set_index("tier")
        h_thr, m_thr = warning.tier_thresholds
        out.append(f"{int(t.loc['high'].n_customers):,} of the {int(t['n_customers'].sum()):,} customers who have "
                   f"not churned look like the churners (a cross-validated probability of {h_thr:.0%} or more), "
                   f"{int(t.loc['medium'].n_customers):,} more somewhat ({m_thr:.0%} or more). This is a snapshot: "
                   "the probabilities are not checked on a later period (no out-of-time test).")
    elif warning is not None and len(warning.scores):
        t = warning.tiers.set_index("tier")
        n_all = int(t["n_customers"].sum())
        hi = t.loc["high"]
        h_thr, m_thr = warning.tier_thresholds
        n_med = int(t.loc["medium"].n_customers)
        if hi.n_customers:
            out.append(f"{int(hi.n_customers):,} of the {n_all:,} active customers ({_pct(hi.share, 1)}) are high "
                       f"risk (a churn probability of {h_thr:.0%} or more within {warning.horizon_days} days); they "
                       f"bought {_money(hi.revenue_12m, cur)} in the last 12 months, {_money(hi.value_at_risk, cur)} "
                       f"of it at risk. {n_med:,} more are medium risk ({m_thr:.0%} or more).")
        else:
            out.append(f"None of the {n_all:,} active customers reaches the high-risk threshold (a churn probability "
                       f"of {h_thr:.0%} within {warning.horizon_days} days); {n_med:,} are medium risk "
                       f"({m_thr:.0%} or more), with {_money(t.loc['medium'].value_at_risk, cur)} of revenue at risk.")
        out.append(f"Expected churners within {warning.horizon_days} days across all active customers: "
                   f"{warning.scores['probability'].sum():,.0f}; revenue at risk "
                   f"{_money(warning.scores['value_at_risk'].sum(), cur)}.")
    if loop is not None and loop.status != "none":
        b = loop.by_tier.set_index("tier")
        if b.loc["high", "n_customers"] > 0:
            r = b.loc["high"]
            so_far = " so far" if loop.status == "partial" else ""
            out.append(f"Check of the {loop.source_month} list: {int(r.n_customers):,} customers were flagged high "
                       f"risk; {_pct(r.realized_rate)} of them churned{so_far} (predicted {_pct(r.predicted_rate)}), "
                       f"and {_pct(r.reached_share)} were reached by a retention campaign.")
        else:
            r = b.loc["medium"]
            out.append(f"Check of the {loop.source_month} list: of {int(r.n_customers):,} medium-risk customers "
                       f"{_pct(r.realized_rate)} churned (predicted {_pct(r.predicted_rate)}).")
    flagged = result.leakage[result.leakage["flagged"]] if not result.leakage.empty else result.leakage
    if len(flagged):
        out.append(f"Leakage guard: {', '.join(flagged['label'].astype(str))} would predict churn almost perfectly "
                   "(probably recorded after the churn) and " +
                   ("was left out of the models." if flagged["excluded"].all() else "was kept (by request)."))
    return out


def report_subtitle(result: DriversResult, cfg: Any, *, has_amounts: bool = True) -> str:
    """The churn-drivers page's subtitle: the label's horizon, or the snapshot's design, and the currency.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> cfg = NS(drivers=NS(horizon_days=90), currency="EUR")
    >>> report_subtitle(NS(design="out_of_time"), cfg)
    'Churn drivers and early warning · churn within 90 days · amounts in EUR'
    >>> report_subtitle(NS(design="stratified_cv"), cfg)
    'Churn drivers · one row per customer with a churn flag · cross-validated, no out-of-time test'
    >>> report_subtitle(NS(design="out_of_time"), cfg, has_amounts=False)
    'Churn drivers and early warning · churn within 90 days · no amounts in the export'
    """
    if result.design == "stratified_cv":
        return "Churn drivers · one row per customer with a churn flag · cross-validated, no out-of-time test"
    money = f"amounts in {cfg.currency}" if has_amounts else "no amounts in the export"
    return f"Churn drivers and early warning · churn within {cfg.drivers.horizon_days} days · {money}"


def headline_html(result: DriversResult, warning: EarlyWarning | None = None, loop: ClosedLoop | None = None) -> HTML:
    """Headline sentences and cards: model quality against the baseline, high-risk customers, value at risk."""
    items = "".join(f"<li>{_e(s)}</li>" for s in headline_sentences(result, warning, loop))
    cards = []

    def card(label: str, value: str, sub: str = "") -> str:
        return ("<div style='border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:170px;"
                f"background:#fafafa'><div style='font-size:12px;color:#555'>{_e(label)}</div>"
                f"<div style='font-size:24px;font-weight:600'>{_e(value)}</div>"
                f"<div style='font-size:12px;color:#666'>{_e(sub)}</div></div>")

    if result.ok:
        best = result.best_model
        cards.append(card("Model ROC AUC", f"{result.metric(best, 'roc_auc'):.2f}",
                          f"baseline rule {result.metric('baseline', 'roc_auc'):.2f}"))
        cards.append(card("Churners in riskiest 20%", _pct(result.metric(best, "capture_top20")),
                          f"lift {result.metric(best, 'lift_top20'):.1f}x"))
    if warning is not None and len(warning.scores):
        t = warning.tiers.set_index("tier")
        cards.append(card("High-risk customers", f"{int(t.loc['high', 'n_customers']):,}",
                          f"{int(t.loc['medium', 'n_customers']):,} medium risk"))
    if warning is not None and len(warning.scores) and warning.design != "stratified_cv":
        cards.append(card("Revenue at risk", _money(warning.scores["value_at_risk"].sum(), warning.currency),
                          f"high tier {_money(t.loc['high', 'value_at_risk'], warning.currency)}"))
    return HTML(f"<ul style='font-size:15px;line-height:1.5'>{items}</ul>"
                f"<div style='display:flex;flex-wrap:wrap;gap:10px'>{''.join(cards)}</div>")


def drivers_html(result: DriversResult, *, top: int = 10) -> HTML:
    """The top drivers: importance (out of sample, ± spread), direction and odds ratio in words."""
    if not result.ok or result.importance.empty:
        return HTML(_notes_block(result.notes or ("No churn model for this unit.",)))
    imp = result.importance[result.importance["model"] == result.best_model].sort_values("rank")
    imp = imp[imp["importance_mean"] >= 0.001].head(top)  # at least a tenth of a ROC AUC point
    if imp.empty:
        return HTML("<p>No feature moves the model's ROC AUC by 0.001 or more when shuffled: no clear driver.</p>"
                    + _notes_block(result.notes))
    o = result.odds_ratios
    rows = []
    for r in imp.itertuples():
        d = o[o["feature"] == r.feature]
        if len(d) and d["kind"].iloc[0] == "numeric":
            x = d.iloc[0]
            ci = "" if pd.isna(x.ci_lower) else f" ({x.ci_lower:.2f}–{x.ci_upper:.2f})"
            orr = f"{x.odds_ratio:.2f}{ci} per +1 SD ({x.sd:,.3g})"
        elif len(d):
            orr = "; ".join(f"{lv}: {v:.2f}" for lv, v in zip(d["level"], d["odds_ratio"])) + \
                f" (vs {d['reference'].iloc[0]})"
        else:
            orr = "not in the logistic model"
        rows.append({"Rank": int(r.rank), "Driver": r.label,
                     "Importance (AUC drop)": f"{r.importance_mean:.3f} ± {r.importance_std:.3f}",
                     "Direction": _driver_words(result, r.feature), "Odds ratio (95% interval)": orr})
    body = _TABLE_CSS + _table(pd.DataFrame(rows), text=["Driver", "Direction", "Odds ratio (95% interval)"])
    expl = ("<p style='font-size:12px;color:#555'>Importance: how much the model's ROC AUC drops when the driver's "
            "values are shuffled among the test customers (mean ± standard deviation over repeats); "
            f"model: {_e(MODEL_LABELS.get(result.best_model, result.best_model))}. Odds ratios from the logistic "
            "regression on standardized features: above 1 raises the odds of churning.</p>")
    return HTML(body + expl + _notes_block(result.notes))


def model_quality_html(result: DriversResult) -> HTML:
    """The model comparison table, the verdict against the baseline and how the models were checked."""
    if not result.ok:
        return HTML("<p>No model to compare for this unit (see the note under <i>What drives churn</i>).</p>")
    m = result.metrics.pivot(index="model", columns="metric", values="value")
    m = m.reindex([x for x in ("baseline", "logit", "hgb") if x in m.index])
    show = pd.DataFrame({
        "Model": [MODEL_LABELS[x] for x in m.index],
        "ROC AUC": m["roc_auc"].map(lambda v: f"{v:.3f}"),
        "PR AUC": m["pr_auc"].map(lambda v: f"{v:.3f}"),
        "Lift top 10%": m["lift_top10"].map(lambda v: f"{v:.2f}x"),
        "Churners in top 10%": m["capture_top10"].map(_pct),
        "Lift top 20%": m["lift_top20"].map(lambda v: f"{v:.2f}x"),
        "Churners in top 20%": m["capture_top20"].map(_pct),
        "Brier score": m["brier"].map(lambda v: f"{v:.4f}"),
    })
    best = result.best_model
    base_rate = float(m["base_rate"].iloc[0])
    if result.beats_baseline:
        verdict = (f"The {MODEL_LABELS[best].lower()} beats the baseline rule (ROC AUC {m.loc[best, 'roc_auc']:.3f} "
                   f"vs {m.loc['baseline', 'roc_auc']:.3f}) and is used for the risk scores.")
    else:
        verdict = (f"No model beats the baseline rule by at least {BEAT_MARGIN:.2f} ROC AUC: the rule ranks "
                   f"churners as well as the models do here ({m.loc['baseline', 'roc_auc']:.3f} vs "
                   f"{m.loc[best, 'roc_auc']:.3f}).")
    c = result.counts
    unit = "customers" if result.design == "stratified_cv" else "customer-months"
    sizes = "; ".join(f"{r.set}: {r.n_customers:,} {unit}, {r.n_churned:,} churned ({_pct(r.churn_rate, 1)})"
                      for r in c.itertuples())
    expl = ("ROC AUC: chance that a random churner ranks above a random stayer (0.5 = coin flip, 1 = perfect). "
            f"PR AUC: average precision (a coin flip scores the churn rate, {_pct(base_rate, 1)}). Lift: churn rate "
            "among the riskiest customers relative to the average. Brier score: mean squared error of the "
            "probabilities (lower is better).")
    rule = f"Baseline rule: {result.baseline_rule}." if result.baseline_rule else ""
    return HTML(f"<p><b>{_e(verdict)}</b></p>" + _TABLE_CSS + _table(show) +
                f"<p style='font-size:12px;color:#555'>{_e(rule)} {_e(result.validation)} {_e(sizes)}.</p>"
                f"<p style='font-size:12px;color:#555'>{_e(expl)}</p>")


def reasons_html(result: DriversResult) -> HTML:
    """Churn reasons recorded for the churners (last 12 months for a unit), with share bars."""
    r = result.reasons
    if r.empty:
        return HTML("<p>No churn reasons are recorded for this unit (they come from the customers table's "
                    "churn_reason and churn_type columns).</p>")
    rows = []
    for x in r.head(15).itertuples():
        bar = f"<div style='background:#e76f51;height:10px;width:{max(1, int(x.share * 300))}px'></div>"
        rows.append(f"<tr><td class='txt'>{_e(x.churn_type)}</td><td class='txt'>{_e(x.churn_reason)}</td>"
                    f"<td class='num'>{x.n_churned:,}</td><td class='num'>{_pct(x.share, 1)}</td>"
                    f"<td class='txt'>{bar}</td></tr>")
    head = ("<tr><th class='txt'>Type</th><th class='txt'>Reason</th><th class='num'>Churned</th>"
            "<th class='num'>Share</th><th></th></tr>")
    scope = "churners of the last 12 months" if result.design == "out_of_time" else "churners in the table"
    return HTML(_TABLE_CSS + f"<p>Reasons given by {scope} ({int(r['n_churned'].sum()):,}). Reasons are "
                "recorded at the churn, so they describe why customers left, never whom to warn.</p>"
                f"<table class='drv'>{head}{''.join(rows)}</table>")


def tiers_html(warning: EarlyWarning) -> HTML:
    """Risk tiers: customers, expected churners, revenue and value at risk."""
    if not len(warning.scores):
        return HTML(_notes_block(warning.notes or ("No active customer to score.",)))
    t = warning.tiers
    cur = warning.currency
    show = pd.DataFrame({
        "Tier": t["tier"].str.capitalize(), "Churn probability": t["threshold"],
        "Customers": t["n_customers"].map(lambda v: f"{v:,}"), "Share": t["share"].map(lambda v: _pct(v, 1)),
        "Average probability": t["mean_probability"].map(lambda v: _pct(v, 1)),
        "Expected churners": t["expected_churners"].map(lambda v: f"{v:,.0f}"),
        f"Revenue, last 12 months ({cur})": t["revenue_12m"].map(lambda v: f"{v:,.0f}"),
        f"Value at risk ({cur})": t["value_at_risk"].map(lambda v: f"{v:,.0f}"),
    })
    model = {"baseline": "the overdue rule (no model)", "logit": "the logistic regression",
             "hgb": "the calibrated gradient-boosting model"}.get(warning.model, warning.model)
    if warning.design == "stratified_cv":
        show = show.drop(columns=[f"Revenue, last 12 months ({cur})", f"Value at risk ({cur})"])
        return HTML(_TABLE_CSS + _table(show) + f"<p style='font-size:12px;color:#555'>Every customer of the table "
                    f"who has not churned, scored by {_e(model)} (cross-validated). Tier thresholds: params "
                    "drivers.tiers.</p>" + _notes_block(warning.notes))
    return HTML(_TABLE_CSS + _table(show) +
                f"<p style='font-size:12px;color:#555'>Every customer active at the end of the report month, "
                f"scored as of {_e(_fmt_day(warning.as_of))} by {_e(model)}: probability of churning within "
                f"{warning.horizon_days} days. Value at risk = probability × net revenue of the last 12 months. "
                "Tier thresholds: params drivers.tiers.</p>")


def tradeoff_html(warning: EarlyWarning) -> HTML:
    """The targeting trade-off table, with the out-of-time check of each cut-off."""
    t = warning.tradeoff
    if t.empty or not len(warning.scores):
        return HTML("")
    t = t[t["n_flagged"] > 0]
    if t.empty:
        return HTML("<p>No customer reaches any of the probability cut-offs.</p>")
    cur = warning.currency
    show = pd.DataFrame({
        "Flag if probability ≥": t["threshold"].map(lambda v: _pct(v)),
        "Customers flagged": t["n_flagged"].map(lambda v: f"{v:,.0f}"),
        "Expected churners caught": t["expected_churners"].map(lambda v: f"{v:,.0f}"),
        "Expected false alarms": t["expected_false_alarms"].map(lambda v: f"{v:,.0f}"),
        "Share of expected churners": t["share_of_churners_caught"].map(_pct),
        f"Value at risk covered ({cur})": t["value_at_risk_covered"].map(lambda v: f"{v:,.0f}"),
        "Out-of-time check: churned among flagged": t["oot_precision"].map(_pct),
        "Out-of-time check: churners caught": t["oot_recall"].map(_pct),
    })
    note = ("Expected counts add up the calibrated probabilities of the flagged customers. The out-of-time columns "
            "apply the same cut-off to the test cut-off, where the outcome is known.")
    if t["oot_precision"].isna().all() and t["oot_recall"].isna().all():
        show = show.drop(columns=["Out-of-time check: churned among flagged", "Out-of-time check: churners caught"])
        note = "Expected counts add up the probabilities of the flagged customers."
    if warning.design == "stratified_cv":
        show = show.drop(columns=[f"Value at risk covered ({cur})"])
    return HTML(_TABLE_CSS + _table(show) + f"<p style='font-size:12px;color:#555'>{_e(note)}</p>")


def at_risk_html(warning: EarlyWarning, *, show_ids: bool = False, top_n: int = 25,
                 saved: str | Path | None = None) -> HTML:
    """The top of the at-risk list (by value at risk), ids masked unless ``show_ids``."""
    s = warning.scores
    if not len(s):
        return HTML("")
    d = s.head(top_n)
    cur = warning.currency
    show = pd.DataFrame({
        "Customer": d["customer_id"] if show_ids else d["customer_id"].map(mask_id),
        "Tier": d["tier"].str.capitalize(), "Probability": d["probability"].map(lambda v: _pct(v, 1)),
        "Score": d["score"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        f"Value at risk ({cur})": d["value_at_risk"].map(lambda v: f"{v:,.0f}"),
        "Top reasons": d["reasons"],
    })
    if warning.design == "stratified_cv":
        show = show.drop(columns=["Score", f"Value at risk ({cur})"])
    where = (f"The full list ({len(s):,} customers, all tiers) is in {Path(saved).name} next to this report, "
             "for the CRM.") if saved else "Interactive run: the list file was not written."
    masked = "" if show_ids else " Customer ids are masked (params show_customer_ids: false)."
    return HTML(_TABLE_CSS + _table(show, text=["Tier", "Top reasons"]) +
                f"<p style='font-size:12px;color:#555'>{_e(where)}{_e(masked)}</p>")


def scorecard_html(warning: EarlyWarning) -> HTML:
    """The points scorecard (points per factor bin) and what each score band means."""
    sc = warning.scorecard
    if sc.empty and warning.design == "stratified_cv":
        return HTML("<p>No scorecard for a one-row-per-customer table: a scorecard's score bands are checked on a "
                    "later period, which needs dated data.</p>")
    if sc.empty:
        return HTML("<p>No scorecard: it needs a fitted logistic model.</p>")
    rows = []
    for f, d in sc.groupby("factor", sort=False):
        first = True
        for r in d.sort_values("bin_order").itertuples():
            rows.append({"Factor": r.label if first else "", "Value": r.bin, "Points": int(r.points),
                         "Training customers": f"{r.n_customers:,}", "Their churn rate": _pct(r.churn_rate, 1)})
            first = False
    b = warning.bands
    bands = pd.DataFrame({
        "Band": b["band"].str.capitalize(),
        "Total points": [f"{lo:.0f}+" if bd == "high" else ("" if pd.isna(hi) else f"{lo:.0f}–{hi:.0f}")
                         for bd, lo, hi in zip(b["band"], b["min_score"], b["max_score"])],
        "Meaning": b["meaning"],
        "Out-of-time check: customers": b["n_eval"].map(lambda v: f"{v:,}"),
        "Their observed churn": b["observed_rate"].map(lambda v: _pct(v, 1)),
    })
    return HTML("<p>Add up the points of the customer's value on each factor; the total places them in a band. "
                "Every 20 points double the odds of churning. The scorecard is a hand-usable summary of the "
                "logistic regression on its strongest factors; the probabilities in the list come from the "
                "full model.</p>" + _TABLE_CSS + _table(pd.DataFrame(rows), text=["Value"]) + "<p></p>" +
                _table(bands, text=["Total points", "Meaning"]))


def closed_loop_html(loop: ClosedLoop) -> HTML:
    """The earlier list against what happened: realized churn by tier and campaign reach."""
    if loop.status == "none":
        return HTML(f"<p>{_e(loop.notes[0] if loop.notes else 'No earlier at-risk list.')}</p>")
    b = loop.by_tier
    show = pd.DataFrame({
        "Tier": b["tier"].str.capitalize(), "Customers listed": b["n_customers"].map(lambda v: f"{v:,}"),
        "Predicted churn": b["predicted_rate"].map(lambda v: _pct(v, 1)),
        "Churned": b["n_churned"].map(lambda v: f"{v:,}"),
        "Realized churn (95% interval)": [f"{_pct(r, 1)} ({_pct(lo, 1)}–{_pct(hi, 1)})" for r, lo, hi in
                                          zip(b["realized_rate"], b["ci_lower"], b["ci_upper"])],
        "Reached by a campaign": [f"{n:,} ({_pct(s)})" for n, s in zip(b["n_reached"], b["reached_share"])],
        "Churn if reached / not reached": [f"{_pct(a, 1)} / {_pct(c, 1)}" for a, c in
                                           zip(b["realized_rate_reached"], b["realized_rate_not_reached"])],
    })
    head = (f"The list of {loop.source_month} (scored as of {_fmt_day(loop.as_of)}), against the {loop.observed_days} "
            f"days since ({'the whole' if loop.status == 'complete' else 'part of the'} {loop.horizon_days}-day "
            "horizon).")
    caveat = ("Campaign reach is not a controlled comparison: who was contacted was not random with respect to "
              "risk, so the churn of reached and not-reached customers differs for other reasons too.")
    return HTML(f"<p>{_e(head)}</p>" + _TABLE_CSS + _table(show) + _notes_block(loop.notes) +
                f"<p style='font-size:12px;color:#555'>{_e(caveat)}</p>")


def about_html(result: DriversResult, cfg: Any) -> HTML:
    """How the churn label, the features, the models and the tiers are defined."""
    if result.design == "stratified_cv":
        feats = ", ".join(list(result.numeric) + list(result.categorical))
        items = [
            "Label: the table's churn flag (one row per customer, no dates to follow customers over time).",
            f"Features: {feats}." if feats else "",
            result.validation,
            f"Models: the baseline rule, {result.baseline_rule or 'the single most predictive column'}; a logistic "
            "regression on standardized features (odds ratios against each category's reference level, params "
            "drivers.reference_levels) and a gradient-boosting model with calibrated probabilities. A model beats "
            f"the baseline when its ROC AUC is at least {BEAT_MARGIN} higher.",
            f"Leakage guard: a feature that alone separates churners with a ROC AUC above {LEAKAGE_AUC} is flagged "
            f"and left out; one above {LEAKAGE_WARN_AUC} is kept but reported as suspected leakage in the headline. "
            "Params drivers.exclude leaves out features by name.",
            f"Risk tiers (params drivers.tiers) of the customers who have not churned: high from "
            f"{cfg.drivers.tiers.high:.0%}, medium from {cfg.drivers.tiers.medium:.0%} cross-validated probability.",
        ]
        return HTML("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items if i) + "</ul>")
    ch = cfg.churn
    h = result.horizon_days
    churn = (f"a customer churns when they go more than {ch.inactivity_days} days without a purchase (the churn day "
             "is the day that window elapses)" if ch.method == "inactivity" else
             "a customer churns on the cancellation date recorded in the customers table")
    feats = ", ".join(_label_of(f) for f in result.numeric)
    items = [
        f"Label: {churn}; a customer active on a cut-off day counts as a churner when they churn within the next "
        f"{h} days. Customers already churned on the cut-off are left out; only cut-offs whose {h} days lie "
        "within the data are used.",
        ("Features use only what is dated before the cut-off day (no look-ahead): " + feats +
         (f"; attributes: {', '.join(result.categorical)}" if result.categorical else "") + ".") if feats else "",
        result.validation,
        f"Models: the baseline rule, {result.baseline_rule or 'how overdue the customer is'}; a logistic regression on standardized features (odds ratios) and a gradient-boosting model "
        f"with calibrated probabilities. A model beats the baseline when its ROC AUC is at least {BEAT_MARGIN} higher.",
        f"Leakage guard: a feature that alone separates churners with a ROC AUC above {LEAKAGE_AUC} is flagged "
        "and left out, because such a value is usually recorded after the churn; one above "
        f"{LEAKAGE_WARN_AUC} is kept but reported as suspected leakage in the headline. Params drivers.exclude "
        "leaves out features by name.",
        f"Risk tiers (params drivers.tiers): high from {cfg.drivers.tiers.high:.0%}, medium from "
        f"{cfg.drivers.tiers.medium:.0%} churn probability within {h} days.",
    ]
    return HTML("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items if i) + "</ul>")
