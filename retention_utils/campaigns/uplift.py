"""Whom to contact next: a two-model uplift learner, the Qini curve, targeting policies and the contact list.

Written here rather than taken from a library (checked for issue 14 with pandas 3.1, numpy 2.4, scikit-learn
1.9): ``scikit-uplift`` 0.5.1 (last release 2022-08) still runs, but it imports
``sklearn.utils.extmath.stable_cumsum``, which scikit-learn deprecated in 1.8 and removes in 1.10, so the
package will stop importing with the next scikit-learn; ``causalml`` 0.18.0 works but brings about 50 packages
(xgboost, lightgbm, shap, numba; a 1.5 GB environment) for what is here about 60 lines of counting. Both were
used once as independent references for the tests (``tests/test_campaigns_uplift.py`` says how).

Conventions. ``treated`` is 1 (or True) for customers who were contacted and 0 for the randomised control
group; ``y`` is 1 when the customer churned within the horizon after the contact. An uplift is the
expected *reduction* in churn probability if contacted, so a positive uplift is good, and "saved" counts
customers who would have churned without the contact and did not.

Why this module is long (about 630 lines, much of it docstrings with hand-checkable examples): it holds
the learner, the Qini curve, the policy comparison and the contact list, the steps from a past campaign to
next month's list, which share one set of input checks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from retention_utils.errors import DataError, examples_text
from retention_utils.stats import newcombe_interval

__all__ = ["UpliftDataError", "TwoModelUplift", "qini_curve", "perfect_qini_curve", "qini_coefficient",
           "qini_summary", "targeting_comparison", "ContactRecommendation", "recommend_contacts"]

MIN_GROUP_ROWS = 50
_POLICIES = ("uplift", "risk", "random")


class UpliftDataError(DataError, ValueError):
    """Uplift inputs that cannot be used (a group too small, a non-binary flag, missing scores).

    A :class:`~retention_utils.errors.DataError` for the kit and a ``ValueError`` for scikit-learn code.
    """


# ----------------------------------------------------------------------------------------- input checks
def _count(mask: np.ndarray, noun: str) -> str:
    n = int(np.sum(mask))
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _binary(values: Any, name: str, where: str) -> np.ndarray:
    """``values`` as a bool array; 0/1, True/False accepted, anything else (NaN, NA and text included) refused."""
    if np.ndim(values) != 1:
        raise UpliftDataError(f"{where}: '{name}' must be one-dimensional; got shape {np.shape(values)}.")
    raw = pd.Series(values, copy=False)
    if raw.dtype == bool:
        return raw.to_numpy()
    plain = raw
    if pd.api.types.is_object_dtype(raw) or pd.api.types.is_string_dtype(raw):  # "1" is text, not a flag
        plain = raw.map(lambda v: v if isinstance(v, (bool, int, float, np.bool_, np.number)) else np.nan)
    num = pd.to_numeric(plain, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        raise UpliftDataError(f"{where}: '{name}' must hold 0/1 or True/False; {_count(bad, 'other value')} at "
                              f"positions {examples_text(np.flatnonzero(bad))} "
                              f"({examples_text(raw.to_numpy()[bad])}).")
    return num == 1.0


def _scores(values: Any, name: str, where: str) -> np.ndarray:
    """``values`` as a float array without missing values."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise UpliftDataError(f"{where}: '{name}' must be numeric.") from None
    if arr.ndim != 1:
        raise UpliftDataError(f"{where}: '{name}' must be one-dimensional; got shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise UpliftDataError(f"{where}: '{name}' has {_count(bad, 'missing or infinite value')} at positions "
                              f"{examples_text(np.flatnonzero(bad))}; score every customer before ranking.")
    return arr


def _campaign(where: str, treated: Any, y: Any, **scores: Any) -> tuple[np.ndarray, ...]:
    """Checked ``treated``, ``y`` (churned) and score arrays of one length, with both groups present."""
    t = _binary(treated, "treated", where)
    c = _binary(y, "y", where)
    out = [_scores(v, k, where) for k, v in scores.items()]
    lengths = {"treated": len(t), "y": len(c), **{k: len(v) for k, v in zip(scores, out, strict=True)}}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise UpliftDataError(f"{where}: inputs differ in length ({listed}).")
    if t.all() or not t.any():
        raise UpliftDataError(f"{where}: both a treated and a control group are needed; got {int(t.sum())} treated "
                              f"and {int((~t).sum())} control customers.")
    return (t, c, *out)


def _check_n_points(n_points: int | None, where: str) -> None:
    if n_points is not None and (not isinstance(n_points, (int, np.integer)) or isinstance(n_points, bool)
                                 or n_points < 2):
        raise ValueError(f"The 'n_points' parameter of {where} must be an int >= 2 or None. Got {n_points!r} instead.")


# ------------------------------------------------------------------------------------------ the learner
def _threads(n_rows: int) -> Any:
    """One native thread under 200,000 rows: the policy of ``drivers.models._threads`` (same reasons).

    OpenMP start-up costs more than it saves on a campaign's few thousand rows, and on a busy machine
    spinning threads made these fits 5-15 times slower (measured: 0.3 s vs 4-16 s for 10,000 rows).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if n_rows < 200_000 else None)


class TwoModelUplift(BaseEstimator):
    """Two-model ("T-learner") uplift: one churn model on the control group, one on the treated group.

    The uplift of a customer is ``p_control(x) - p_treated(x)``: the expected reduction in churn
    probability if contacted. Meant for rows of past *randomised* campaigns (treated vs control).

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Cloned for each group; needs ``predict_proba``. The default is a shallow
        ``HistGradientBoostingClassifier`` (depth 3, 50 rows per leaf, learning rate 0.05,
        ``categorical_features="from_dtype"``), which takes numeric columns, pandas ``category`` columns
        and missing values as they are; with it, text columns are turned into ``category`` columns.
    random_state : int, default 0
        Seed of the default estimator (a given estimator keeps its own).

    Attributes
    ----------
    control_model_, treated_model_ : fitted classifiers
    n_control_, n_treated_ : int
        Rows each model learnt from.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (when ``X`` is a DataFrame)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"tenure": rng.integers(1, 60, 400)})
    >>> treated = np.arange(400) % 2 == 0
    >>> y = rng.random(400) < np.where(treated, 0.1, 0.3)
    >>> model = TwoModelUplift().fit(X, treated, y)
    >>> model.predict(X.head(3)).shape
    (3,)
    """

    def __init__(self, estimator: Any = None, *, random_state: int = 0) -> None:
        self.estimator = estimator
        self.random_state = random_state

    def _base(self) -> Any:
        if self.estimator is not None:
            return clone(self.estimator)
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200, min_samples_leaf=50,
                                              l2_regularization=1.0, categorical_features="from_dtype",
                                              random_state=self.random_state)

    def _prepare(self, X: Any) -> Any:
        """With the default estimator, text columns become ``category`` (HGB maps categories by value)."""
        if self.estimator is None and isinstance(X, pd.DataFrame):
            text = [c for c in X.columns if pd.api.types.is_object_dtype(X[c]) or pd.api.types.is_string_dtype(X[c])]
            if text:
                X = X.copy(deep=False)  # copy-on-write: the caller's frame keeps its columns
                for col in text:
                    X[col] = X[col].astype("category")
        return X

    def fit(self, X: Any, treated: Any, y: Any) -> TwoModelUplift:
        """Fit the control-group and treated-group churn models.

        Parameters
        ----------
        X : DataFrame or array of shape (n, p)
            Pre-contact features.
        treated : array-like of 0/1 or bool
            1 for contacted customers, 0 for the control group.
        y : array-like of 0/1 or bool
            1 when the customer churned within the horizon.

        Returns
        -------
        self

        Raises
        ------
        UpliftDataError
            (also a ``ValueError``) when lengths differ, flags are not binary, or a group has fewer than
            50 rows or only one outcome.
        """
        where = "TwoModelUplift.fit"
        t, c = _campaign(where, treated, y)
        if len(X) != len(t):
            raise UpliftDataError(f"{where}: X has {len(X)} rows but treated and y have {len(t)}.")
        for label, mask in (("control", ~t), ("treated", t)):
            n, churned = int(mask.sum()), int(c[mask].sum())
            if n < MIN_GROUP_ROWS:
                raise UpliftDataError(f"{where}: the {label} group has {n} rows; at least {MIN_GROUP_ROWS} are "
                                      "needed to learn its churn model. Pool more campaigns or a longer period.")
            if churned in (0, n):
                raise UpliftDataError(f"{where}: in the {label} group {'every' if churned else 'no'} customer "
                                      f"churned ({churned} of {n}); a churn model needs both outcomes.")
        X = self._prepare(X)
        sub = X.iloc if isinstance(X, pd.DataFrame) else np.asarray(X)
        with _threads(len(t)):
            self.control_model_ = self._base().fit(sub[~t], c[~t].astype(int))
            self.treated_model_ = self._base().fit(sub[t], c[t].astype(int))
        self.n_control_, self.n_treated_ = int((~t).sum()), int(t.sum())
        self.n_features_in_ = X.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    @staticmethod
    def _churn(model: Any, X: Any) -> np.ndarray:
        with _threads(len(X)):
            return model.predict_proba(X)[:, list(model.classes_).index(1)]

    def predict_risk(self, X: Any) -> np.ndarray:
        """Churn probability without contact (the control-group model)."""
        check_is_fitted(self, "control_model_")
        return self._churn(self.control_model_, self._prepare(X))

    def predict_treated_risk(self, X: Any) -> np.ndarray:
        """Churn probability if contacted (the treated-group model)."""
        check_is_fitted(self, "treated_model_")
        return self._churn(self.treated_model_, self._prepare(X))

    def predict(self, X: Any) -> np.ndarray:
        """Expected reduction in churn probability if contacted: ``p_control(X) - p_treated(X)``."""
        return self.predict_risk(X) - self.predict_treated_risk(X)


# ------------------------------------------------------------------------------------------ Qini curve
def _saved_at_each_depth(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Qini value after each row of an already ranked campaign (``t`` treated, ``c`` churned, in rank order).

    ``saved(k) = churned_control(k) / n_control(k) * n_treated(k) - churned_treated(k)``; 0 while the top
    ``k`` holds no control customer (nothing to compare with).
    """
    n_t = np.cumsum(t, dtype=float)
    n_c = np.arange(1, len(t) + 1, dtype=float) - n_t
    c_t = np.cumsum(t & c, dtype=float)
    c_c = np.cumsum(~t & c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_c > 0, c_c / n_c * n_t - c_t, 0.0)


def _qini_points(score: np.ndarray, t: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact curve ``(k, saved)`` at 0 and at the end of each block of tied scores (descending)."""
    order = np.argsort(-score, kind="stable")
    s = score[order]
    saved = _saved_at_each_depth(t[order], c[order])
    ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    return np.r_[0, ends + 1], np.r_[0.0, saved[ends]]


def _perfect_order(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Positions in the perfect ranking: one control churner, treated stayers, other churners, control stayers."""
    rank = np.select([~t & c, t & ~c, t & c], [2, 3, 1], default=0).astype(float)
    first_cc = np.flatnonzero(~t & c)
    if first_cc.size:
        rank[first_cc[0]] = 4
    return np.argsort(-rank, kind="stable")


def _curve_frame(k: np.ndarray, saved: np.ndarray, n_points: int | None) -> pd.DataFrame:
    n = int(k[-1])
    grid = k if n_points is None else np.unique(np.round(np.linspace(0.0, 1.0, n_points) * n).astype(int))
    total = float(saved[-1])
    return pd.DataFrame({"share_targeted": grid / n, "n_targeted": grid.astype("int64"),
                         "incremental_saved": np.interp(grid, k, saved), "random_saved": total * grid / n})


def qini_curve(uplift: Any, treated: Any, y: Any, *, n_points: int | None = 101) -> pd.DataFrame:
    """Qini curve: customers saved by contacting the top of the ranking, against random targeting.

    Customers are ranked by descending ``uplift``. For the top ``k`` customers of the campaign, with
    ``n_T(k)`` treated of whom ``churned_T(k)`` churned and ``n_C(k)`` controls of whom ``churned_C(k)``
    churned, the incremental customers saved are (Radcliffe 2007, with the outcome flipped so that fewer
    churns among the treated is positive)::

        saved(k) = churned_C(k) / n_C(k) * n_T(k) - churned_T(k)

    i.e. the churns the treated customers of the top would have had at the control rate of the top, minus
    those they had; ``saved(k)`` is 0 while the top holds no control customer. ``saved(0) = 0`` and
    ``saved(n)`` is the campaign's total, which the random line reaches linearly:
    ``random(k) = saved(n) * k / n``.

    Ties: the curve is evaluated at the end of each block of tied scores and is linear within a block (as a
    ROC curve is), so the order of tied rows never matters; a constant score gives the random line.

    Parameters
    ----------
    uplift : array-like of float
        Scores to rank by (higher = contact first); no missing values.
    treated, y : array-like of 0/1 or bool
        Contacted (1) or control (0); churned (1) or not.
    n_points : int or None, default 101
        Evenly spaced shares from 0 to 1 (rounded to whole customers, duplicates dropped); ``None`` gives
        the exact curve: 0 and the end of every block of tied scores.

    Returns
    -------
    DataFrame
        ``share_targeted`` (``n_targeted / n``), ``n_targeted`` (customers in the top), ``incremental_saved``
        (``saved(k)`` above), ``random_saved`` (the random line at the same ``k``).

    Raises
    ------
    UpliftDataError
        Lengths differ, flags not binary, missing scores, or one group absent.

    Examples
    --------
    >>> qini_curve([0.3, 0.2, 0.1, 0.0], [1, 0, 1, 0], [0, 1, 0, 0], n_points=None)
       share_targeted  n_targeted  incremental_saved  random_saved
    0            0.00           0                0.0          0.00
    1            0.25           1                0.0          0.25
    2            0.50           2                1.0          0.50
    3            0.75           3                2.0          0.75
    4            1.00           4                1.0          1.00
    """
    _check_n_points(n_points, "qini_curve")
    t, c, score = _campaign("qini_curve", treated, y, uplift=uplift)
    k, saved = _qini_points(score, t, c)
    return _curve_frame(k, saved, n_points)


def perfect_qini_curve(treated: Any, y: Any, *, n_points: int | None = 101) -> pd.DataFrame:
    """Qini curve of the ranking that knows every outcome (the scale of :func:`qini_curve` on the same data).

    The ranking: one control customer who churned (so that the top has a baseline), then every treated
    customer who stayed, then the other control churners and the treated churners, then the control
    customers who stayed. When the data hold at least one control churner its curve is the highest possible
    at every depth ``k <= n - n_control_stayed``: for any top set with ``n_C(k) > 0``,
    ``churned_C / n_C <= 1`` so ``saved(k) <= n_T(k) - churned_T(k)``, the treated stayers in the top, which
    is at most ``min(k - 1, all treated stayers)`` and is reached here. Beyond that depth it puts the control
    stayers last, as the optimum curves of Radcliffe (2007) and scikit-uplift do, without a guarantee of being
    the highest there. Every position is a point of the exact curve (``n_points=None``).

    Returns
    -------
    DataFrame
        The columns of :func:`qini_curve`.

    Examples
    --------
    >>> perfect_qini_curve([1, 0, 1, 0], [0, 1, 0, 0], n_points=None)["incremental_saved"].tolist()
    [0.0, 0.0, 1.0, 2.0, 1.0]
    """
    _check_n_points(n_points, "perfect_qini_curve")
    t, c = _campaign("perfect_qini_curve", treated, y)
    order = _perfect_order(t, c)
    saved = _saved_at_each_depth(t[order], c[order])
    return _curve_frame(np.arange(len(t) + 1), np.r_[0.0, saved], n_points)


def qini_coefficient(curve: pd.DataFrame) -> float:
    """Area between a Qini curve and its random line, as a share of all customers.

    ``Q = integral over s in [0, 1] of (incremental_saved(s) - random_saved(s)) / n ds`` by the trapezoid
    rule on the curve's points, ``s`` the share targeted and ``n`` the number of customers: the mean, over
    targeting depths, of the customers saved beyond random targeting as a fraction of all customers
    (0.01 = one customer in a hundred). Exact for ``qini_curve(..., n_points=None)``; on a grid the kinks
    between grid points are cut (the difference shrinks with more points).

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`qini_curve` or :func:`perfect_qini_curve`, covering shares 0 to 1.

    Returns
    -------
    float
        Positive when the ranking beats random targeting.

    Examples
    --------
    >>> qini_coefficient(qini_curve([0.3, 0.2, 0.1, 0.0], [1, 0, 1, 0], [0, 1, 0, 0], n_points=None))
    0.09375
    """
    needed = ["share_targeted", "n_targeted", "incremental_saved", "random_saved"]
    missing = [c for c in needed if c not in curve.columns]
    if missing:
        raise ValueError(f"qini_coefficient: the curve lacks columns {examples_text(missing)}; it has "
                         f"{examples_text(list(curve.columns))}. Pass the output of qini_curve.")
    share = curve["share_targeted"].to_numpy(dtype=float)
    if len(share) < 2 or share[0] != 0.0 or share[-1] != 1.0 or np.any(np.diff(share) <= 0):
        raise ValueError("qini_coefficient: the curve must run from share 0 to share 1 in increasing order.")
    n = float(curve["n_targeted"].iloc[-1])
    gap = (curve["incremental_saved"].to_numpy(dtype=float) - curve["random_saved"].to_numpy(dtype=float)) / n
    return float(np.trapezoid(gap, share))


def qini_summary(uplift: Any, treated: Any, y: Any, *, n_permutations: int = 199, alpha: float = 0.05,
                 random_state: int = 0) -> pd.DataFrame:
    """Qini coefficient of a ranking, the perfect ranking's for scale, and a permutation test against random.

    The p-value is the share of ``n_permutations`` random rankings of the same customers (the scores
    shuffled among them, ties kept) whose Qini coefficient reaches the observed one, counting the observed
    ranking itself: ``(1 + #{Q_perm >= Q}) / (1 + n_permutations)``.

    Parameters
    ----------
    uplift, treated, y
        As for :func:`qini_curve`.
    n_permutations : int, default 199
        Random rankings for the p-value (0: no test, p-value NaN).
    alpha : float, default 0.05
        Level of the test.
    random_state : int, default 0
        Seed of the permutations.

    Returns
    -------
    DataFrame
        One row: ``n_customers``, ``n_treated``, ``n_control``, ``total_saved`` (``saved(n)``, the campaign's
        customers saved), ``qini_coefficient`` (exact, :func:`qini_coefficient`), ``perfect_qini_coefficient``,
        ``qini_ratio`` (``qini / perfect``; NaN when the perfect area is not positive), ``p_value``,
        ``beats_random`` (coefficient positive and ``p_value < alpha``; False without a test).

    Examples
    --------
    >>> row = qini_summary([0.3, 0.2, 0.1, 0.0], [1, 0, 1, 0], [0, 1, 0, 0], n_permutations=0)
    >>> row[["qini_coefficient", "perfect_qini_coefficient", "qini_ratio"]].iloc[0].tolist()
    [0.09375, 0.09375, 1.0]
    """
    if not isinstance(n_permutations, (int, np.integer)) or isinstance(n_permutations, bool) or n_permutations < 0:
        raise ValueError(f"The 'n_permutations' parameter of qini_summary must be an int >= 0. "
                         f"Got {n_permutations!r} instead.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"The 'alpha' parameter of qini_summary must be in (0, 1). Got {alpha!r} instead.")
    t, c, score = _campaign("qini_summary", treated, y, uplift=uplift)
    n = len(t)

    def area(s: np.ndarray) -> float:
        # the curve's random line ends where the curve does, so the area is computed on the exact points
        k, saved = _qini_points(s, t, c)
        return float(np.trapezoid((saved - saved[-1] * k / n) / n, k / n))

    q = area(score)
    order = _perfect_order(t, c)
    perfect = np.r_[0.0, _saved_at_each_depth(t[order], c[order])]
    k_all = np.arange(n + 1)
    q_perfect = float(np.trapezoid((perfect - perfect[-1] * k_all / n) / n, k_all / n))
    p_value = np.nan
    if n_permutations:
        rng = np.random.default_rng(random_state)
        null = np.array([area(rng.permutation(score)) for _ in range(n_permutations)])
        p_value = float((1 + np.sum(null >= q - 1e-12)) / (1 + n_permutations))
    return pd.DataFrame({
        "n_customers": [n], "n_treated": [int(t.sum())], "n_control": [int((~t).sum())],
        "total_saved": [float(perfect[-1])], "qini_coefficient": [q], "perfect_qini_coefficient": [q_perfect],
        "qini_ratio": [q / q_perfect if q_perfect > 0 else np.nan], "p_value": [p_value],
        "beats_random": [bool(q > 0 and p_value < alpha)]})


# ------------------------------------------------------------------------------------ targeting policies
def targeting_comparison(uplift: Any, risk: Any, treated: Any, y: Any, *, shares: Sequence[float] = (0.1, 0.2, 0.3),
                         alpha: float = 0.05) -> pd.DataFrame:
    """Customers saved on a randomised holdout if the top share by each policy had been contacted.

    For a policy's top ``m`` customers (``m = round(share * n)``, at least 1) the estimate is
    ``m * (churned_C / n_C - churned_T / n_T)``, the control-minus-treated churn rate difference within
    that top group times its size, with Newcombe's interval of the difference
    (:func:`retention_utils.stats.newcombe_interval`) times ``m``. Policies: ``uplift`` (highest predicted
    uplift first), ``risk`` (highest predicted churn risk first) and ``random`` (the whole holdout's
    difference times ``m``: what contacting ``m`` customers at random saves). Ties at the cut are broken by
    input order (a stable sort), so the result is deterministic.

    Parameters
    ----------
    uplift, risk : array-like of float
        Predicted uplift and predicted churn risk without contact, per holdout customer.
    treated, y : array-like of 0/1 or bool
        Contacted (1) or control (0); churned (1) or not.
    shares : sequence of float in (0, 1]
        Shares of the holdout to contact.
    alpha : float, default 0.05
        1 - confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per share and policy: ``share_targeted``, ``policy`` (``uplift``, ``risk``, ``random``),
        ``n_targeted``, ``n_treated``, ``n_control`` (the groups the estimate comes from: the top group, or the
        whole holdout for ``random``), ``saved``, ``ci_lower``, ``ci_upper``; ``saved`` and its interval are
        NaN when the top holds no treated or no control customer.

    Examples
    --------
    >>> tab = targeting_comparison([4, 3, 2, 1], [1, 2, 3, 4], [1, 0, 1, 0], [0, 1, 1, 0], shares=[0.5])
    >>> tab[["policy", "n_targeted", "saved"]]
       policy  n_targeted  saved
    0  uplift           2    2.0
    1    risk           2   -2.0
    2  random           2    0.0
    """
    where = "targeting_comparison"
    shares_arr = np.asarray(shares, dtype=float).ravel()
    if shares_arr.size == 0 or np.any(~np.isfinite(shares_arr)) or np.any((shares_arr <= 0) | (shares_arr > 1)):
        raise ValueError(f"The 'shares' parameter of {where} must be shares in (0, 1]. Got {list(shares)!r} instead.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"The 'alpha' parameter of {where} must be in (0, 1). Got {alpha!r} instead.")
    t, c, up, rk = _campaign(where, treated, y, uplift=uplift, risk=risk)
    n = len(t)
    orders = {"uplift": np.argsort(-up, kind="stable"), "risk": np.argsort(-rk, kind="stable")}

    def estimate(tt: np.ndarray, cc: np.ndarray, m: int) -> tuple[int, int, float, float, float]:
        n_t, n_c = int(tt.sum()), int((~tt).sum())
        if n_t == 0 or n_c == 0:
            return n_t, n_c, np.nan, np.nan, np.nan
        ch_t, ch_c = int((tt & cc).sum()), int((~tt & cc).sum())
        lo, hi = newcombe_interval(ch_c, n_c, ch_t, n_t, alpha=alpha)
        return n_t, n_c, m * (ch_c / n_c - ch_t / n_t), m * lo, m * hi

    rows = []
    for share in shares_arr:
        m = max(1, int(round(share * n)))
        for policy in _POLICIES:
            if policy == "random":
                n_t, n_c, saved, lo, hi = estimate(t, c, m)
            else:
                top = orders[policy][:m]
                n_t, n_c, saved, lo, hi = estimate(t[top], c[top], m)
            rows.append((float(share), policy, m, n_t, n_c, saved, lo, hi))
    return pd.DataFrame(rows, columns=["share_targeted", "policy", "n_targeted", "n_treated", "n_control", "saved",
                                       "ci_lower", "ci_upper"])


# ------------------------------------------------------------------------------------- the contact list
@dataclass(frozen=True)
class ContactRecommendation:
    """Next month's contact list and what it is expected to save against contacting the riskiest customers.

    Attributes
    ----------
    contacts : DataFrame
        ``rank`` (1 = contact first), ``customer_id``, ``uplift``, ``risk``, ``value`` (NaN without a value
        column), ``expected_benefit`` (``uplift``, or ``uplift * value``).
    comparison : DataFrame
        One row per list, ``policy`` ``uplift`` (this list) and ``risk`` (the same number of highest-risk
        customers): ``n_contacts``, ``expected_saved`` (sum of predicted uplift), ``expected_value_saved``
        (sum of uplift x value; NaN without values), ``saved_vs_risk`` and ``value_saved_vs_risk`` (this
        row minus the risk row; 0 on the risk row).
    """

    contacts: pd.DataFrame
    comparison: pd.DataFrame


def recommend_contacts(scores: pd.DataFrame, *, budget_contacts: int,
                       only_positive: bool = True) -> ContactRecommendation:
    """The ``budget_contacts`` customers with the largest expected benefit from a contact.

    Expected benefit is the predicted ``uplift`` (churn probability removed by the contact), or
    ``uplift * value`` when ``scores`` has a ``value`` column (e.g. CLV: value kept). Customers are ordered by
    descending benefit, ties by ``customer_id``, so the list does not depend on the input order. The
    comparison list takes the same number of customers by descending ``risk`` (ties by ``customer_id``),
    the usual "call the riskiest" practice, and both lists are valued by the same predicted uplift.

    Parameters
    ----------
    scores : DataFrame
        ``customer_id``, ``uplift``, ``risk`` and optionally ``value``; one row per customer. Not modified.
    budget_contacts : int
        Most customers to contact (>= 1).
    only_positive : bool, default True
        Leave out customers whose expected benefit is not positive (a contact predicted to do no good or
        harm), so the list can be shorter than the budget.

    Returns
    -------
    ContactRecommendation

    Raises
    ------
    UpliftDataError
        Missing columns, missing scores or duplicated customer ids.

    Examples
    --------
    >>> scores = pd.DataFrame({"customer_id": ["a", "b", "c"], "uplift": [0.05, 0.20, -0.01],
    ...                        "risk": [0.9, 0.3, 0.95]})
    >>> rec = recommend_contacts(scores, budget_contacts=2)
    >>> rec.contacts["customer_id"].tolist()
    ['b', 'a']
    >>> rec.comparison[["policy", "expected_saved", "saved_vs_risk"]].round(2).values.tolist()
    [['uplift', 0.25, 0.21], ['risk', 0.04, 0.0]]
    """
    where = "recommend_contacts"
    if not isinstance(budget_contacts, (int, np.integer)) or isinstance(budget_contacts, bool) or budget_contacts < 1:
        raise ValueError(f"The 'budget_contacts' parameter of {where} must be an int >= 1. "
                         f"Got {budget_contacts!r} instead.")
    missing = [c for c in ("customer_id", "uplift", "risk") if c not in scores.columns]
    if missing:
        raise UpliftDataError(f"{where}: scores lack columns {examples_text(missing)}; present: "
                              f"{examples_text(list(scores.columns))}.")
    has_value = "value" in scores.columns
    cols = ["customer_id", "uplift", "risk"] + (["value"] if has_value else [])
    df = scores[cols].copy()
    for col in cols[1:]:
        bad = ~np.isfinite(pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float))
        if bad.any():
            raise UpliftDataError(f"{where}: column '{col}' has {_count(bad, 'missing or non-numeric value')} "
                                  f"(customers {examples_text(df['customer_id'][bad])}).")
        df[col] = df[col].astype(float)
    dup = df["customer_id"].duplicated(keep=False)
    if dup.any():
        raise UpliftDataError(f"{where}: {int(dup.sum())} rows share a customer_id "
                              f"({examples_text(df['customer_id'][dup].unique())}); give one row per customer.")
    if not has_value:
        df["value"] = np.nan
    df["expected_benefit"] = df["uplift"] * df["value"] if has_value else df["uplift"]
    pool = df[df["expected_benefit"] > 0] if only_positive else df
    chosen = pool.sort_values(["expected_benefit", "customer_id"], ascending=[False, True], kind="stable")
    chosen = chosen.head(budget_contacts).reset_index(drop=True)
    chosen.insert(0, "rank", np.arange(1, len(chosen) + 1, dtype="int64"))
    riskiest = df.sort_values(["risk", "customer_id"], ascending=[False, True], kind="stable").head(len(chosen))

    def row(policy: str, part: pd.DataFrame) -> dict[str, Any]:
        return {"policy": policy, "n_contacts": len(part), "expected_saved": float(part["uplift"].sum()),
                "expected_value_saved": float((part["uplift"] * part["value"]).sum()) if has_value else np.nan}

    comparison = pd.DataFrame([row("uplift", chosen), row("risk", riskiest)])
    comparison["saved_vs_risk"] = comparison["expected_saved"] - comparison["expected_saved"].iloc[1]
    comparison["value_saved_vs_risk"] = comparison["expected_value_saved"] - comparison["expected_value_saved"].iloc[1]
    return ContactRecommendation(contacts=chosen, comparison=comparison)
