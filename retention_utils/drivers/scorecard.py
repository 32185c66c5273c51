"""The points scorecard a CRM team can apply by hand, and its score bands.

:class:`PointsScorecard` is fitted on the strongest factors of the logistic model
(:func:`_pick_factors`); :func:`_bands` maps the risk tiers to score bands and checks each band
out of time.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .models import LogitChurnModel, _as_frame, _as_labels, _fit_logistic

__all__ = ["PointsScorecard", "against_risk", "monotone_scorecard"]


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
    fe = lambda v: _fmt_edge(f, v)
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

    def fit(self, X: pd.DataFrame, y: Any) -> PointsScorecard:
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


def against_risk(table: pd.DataFrame, *, min_bin: int = 30, tolerance: float = 0.02) -> pd.DataFrame:
    """Pairs of bins of one factor whose points run against their observed churn rates.

    A pair runs against the risk when both bins hold at least ``min_bin`` customers, one churns
    more than ``tolerance`` above the other, and it scores fewer points. ``table``: one factor's rows
    of :attr:`PointsScorecard.table_`.

    Returns
    -------
    DataFrame
        ``bin_riskier, rate_riskier, points_riskier, bin_safer, rate_safer, points_safer``, the widest
        gap in churn rate first; empty when the points agree with the churn rates.

    Examples
    --------
    >>> t = pd.DataFrame({"bin": ["a", "b", "c"], "points": [0, 4, 14], "n_customers": [790, 914, 85],
    ...                   "churn_rate": [0.406, 0.38, 0.165]})
    >>> against_risk(t)[["bin_riskier", "points_riskier", "bin_safer", "points_safer"]].values.tolist()
    [['a', 0, 'c', 14], ['b', 4, 'c', 14], ['a', 0, 'b', 4]]
    """
    d = table[table["n_customers"] >= min_bin]
    rows = []
    for a in d.itertuples():
        for b in d.itertuples():
            if a.churn_rate > b.churn_rate + tolerance and a.points < b.points:
                rows.append({"bin_riskier": a.bin, "rate_riskier": float(a.churn_rate), "points_riskier": int(a.points),
                             "bin_safer": b.bin, "rate_safer": float(b.churn_rate), "points_safer": int(b.points)})
    out = pd.DataFrame(rows, columns=["bin_riskier", "rate_riskier", "points_riskier", "bin_safer", "rate_safer",
                                      "points_safer"])
    gap = out["rate_riskier"] - out["rate_safer"]
    return out.assign(_gap=gap).sort_values("_gap", ascending=False, kind="stable").drop(columns="_gap") \
        .reset_index(drop=True)


def monotone_scorecard(factors: Sequence[str], categorical: Sequence[str], X: pd.DataFrame, y: Any, *,
                       label: Any = str, min_bin: int = 30, tolerance: float = 0.02, **kwargs: Any
                       ) -> PointsScorecard | None:
    """A :class:`PointsScorecard` whose points never run against the churn rates printed beside them.

    A scorecard's points come from a regression on all its factors at once, so a factor correlated with
    another can get points that contradict its own churn rates (more points for a band that churns less).
    A reader who sees "+14 points" next to "16.5% churn" and "+4" next to "38%" stops trusting the card.
    So the factor with the widest contradiction (:func:`against_risk`) is dropped and the card refitted,
    until every factor agrees; the dropped factors and why are kept in ``dropped_`` (one sentence each).
    None when no factor is left.
    """
    kept = list(factors)
    dropped: list[str] = []
    while kept:
        card = PointsScorecard(factors=kept, categorical=[f for f in kept if f in set(categorical)],
                               **kwargs).fit(X[kept], y)
        worst, worst_gap, worst_pair = None, 0.0, None
        for f in kept:
            bad = against_risk(card.table_[card.table_["factor"] == f], min_bin=min_bin, tolerance=tolerance)
            if len(bad):
                gap = float(bad["rate_riskier"].iloc[0] - bad["rate_safer"].iloc[0])
                if gap > worst_gap:
                    worst, worst_gap, worst_pair = f, gap, bad.iloc[0]
        if worst is None:
            card.dropped_ = tuple(dropped)
            return card
        p = worst_pair
        dropped.append(f"{label(worst)} is left out of the scorecard: with the other factors its points ran against "
                       f"its own churn rates ({p.points_riskier} points for {p.bin_riskier}, {p.rate_riskier:.1%} "
                       f"churn; {p.points_safer} points for {p.bin_safer}, {p.rate_safer:.1%} churn).")
        kept.remove(worst)
    return None


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
