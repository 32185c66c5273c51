"""BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Why hand-written rather than a library: PyMC-Marketing 1.x needs Python >= 3.12, adds about
420 MB of dependencies and its default priors move the maximum-likelihood fit; ``lifetimes`` is
unmaintained and its calibration helper breaks on pandas 3. The model is a few closed forms, so
it is written here with numpy/scipy only, in log space, with its analytic gradient.

Time unit: **weeks** (``recency`` and ``T`` are days / 7), as in FHL (2005); ``alpha`` is then in
weeks. A customer's summary is ``frequency`` x (repeat purchases, i.e. purchase days after the
first), ``recency`` t_x (time of the last purchase since the first; 0 when x = 0) and ``T``
(time from the first purchase to the end of the calibration period).

Model: while alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase she drops out with probability p ~ Beta(a, b). Identical summaries can be compressed
to unique (x, t_x, T) rows with a ``weight`` (:func:`compress_summary`): a million customers
fit as fast as their distinct summaries.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from ._base import MLFit, fit_log_params

__all__ = ["BGNBD_PARAMS", "BgNbdFit", "compress_summary", "bgnbd_loglik", "fit_bgnbd", "p_alive",
           "expected_purchases", "expected_purchases_unconditional"]

#: Parameter order of the BG/NBD model.
BGNBD_PARAMS: tuple[str, ...] = ("r", "alpha", "a", "b")
SUMMARY_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T")


@dataclass(frozen=True)
class BgNbdFit(MLFit):
    """Maximum-likelihood BG/NBD fit: ``params`` r, alpha (weeks), a, b (see :class:`MLFit`)."""


def _params(fit: MLFit | Mapping[str, float]) -> tuple[float, float, float, float]:
    p = fit.params if isinstance(fit, MLFit) else fit
    return float(p["r"]), float(p["alpha"]), float(p["a"]), float(p["b"])


def _arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"the customer summary lacks column(s) {missing}; it has {list(summary.columns)[:5]}")
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    bad = (x < 0) | (x != np.floor(x)) | (tx < 0) | (tx > T) | ((x == 0) & (tx != 0)) | ~np.isfinite(T)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(f"{int(bad.sum())} customer summaries are impossible (rows {rows}): frequency must be a "
                         "whole number >= 0, 0 <= recency <= T, and recency 0 when frequency is 0.")
    return x, tx, T


def compress_summary(summary: pd.DataFrame, *, extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """Identical (frequency, recency, T) rows as one row with a ``weight``.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency, recency, T`` (weeks) and, optionally, a ``weight`` column
        (customers per row; 1 when absent).
    extra : tuple of str
        Numeric columns summed within each unique row (e.g. ``monetary_mean``).

    Returns
    -------
    unique : pandas.DataFrame
        ``frequency, recency, T, weight`` and the ``extra`` sums, one row per distinct summary.
    inverse : numpy.ndarray
        For each input row, the position of its unique row (``unique.iloc[inverse]`` restores it).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 0, 2], "recency": [0.0, 0.0, 3.0], "T": [10.0, 10.0, 10.0]})
    >>> u, inv = compress_summary(s)
    >>> u["weight"].tolist(), inv.tolist()
    ([2.0, 1.0], [0, 0, 1])
    """
    cols = list(SUMMARY_COLUMNS)
    inverse = summary.groupby(cols, sort=False).ngroup().to_numpy()
    w = summary["weight"].to_numpy(dtype=float) if "weight" in summary.columns else np.ones(len(summary))
    n = int(inverse.max()) + 1 if len(inverse) else 0
    first = np.full(n, len(summary), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(summary)))
    unique = summary.iloc[first][cols].reset_index(drop=True).astype(float)
    unique["weight"] = np.bincount(inverse, weights=w, minlength=n)
    for c in extra:
        unique[c] = np.bincount(inverse, weights=summary[c].to_numpy(dtype=float) * w, minlength=n)
    return unique, inverse


def _terms(r: float, alpha: float, a: float, b: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray):
    """The two log-terms of the likelihood (FHL 2005 eq. 6) and the common factor."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    t1 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    rep = x > 0
    t2 = np.full_like(t1, -np.inf)
    xr = x[rep]
    t2[rep] = betaln(a + 1, b + xr - 1) - betaln(a, b) - (r + xr) * np.log(alpha + tx[rep])
    return common, t1, t2, rep


def bgnbd_loglik(params: Mapping[str, float], frequency: np.ndarray, recency: np.ndarray,
                 T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer under BG/NBD (FHL 2005 eq. 6), computed in log space.

    ``L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``.

    Parameters
    ----------
    params : Mapping[str, float]
        ``r, alpha, a, b`` (alpha in weeks).
    frequency, recency, T : array-like
        x, t_x and T per customer (weeks).

    Returns
    -------
    numpy.ndarray
        ``log L`` per customer.
    """
    r, alpha, a, b = _params(params)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    common, t1, t2, _ = _terms(r, alpha, a, b, x, tx, T)
    return common + np.logaddexp(t1, t2)


def _prepare(x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray) -> tuple:
    """The summaries sorted by x, with the count of each distinct x and of the x = 0 rows."""
    order = np.argsort(x, kind="stable")
    x, tx, T, w = x[order], tx[order], T[order], w[order]
    xu, counts = np.unique(x, return_counts=True)
    n0 = int(counts[0]) if xu.size and xu[0] == 0 else 0
    return x, tx, T, w, xu, counts, n0


def _negll_grad(theta: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray,
                prepared: tuple | None = None) -> tuple[float, np.ndarray]:
    """Negative weighted log-likelihood and its gradient in the log-parameters.

    Every Gamma, Beta and digamma term depends on the customer only through x, so they are
    evaluated once per distinct x and repeated over the rows sorted by x (``prepared`` =
    :func:`_prepare`, done here when not given); only the logs of alpha + T and alpha + t_x are
    per customer. Customers with x = 0 (the first rows) have the first term only.
    """
    x, tx, T, w, xu, counts, n0 = prepared if prepared is not None else _prepare(x, tx, T, w)
    r, alpha, a, b = np.exp(theta)
    d_ab = digamma(a + b)
    d_abx = digamma(a + b + xu)
    safe = np.maximum(b + xu - 1, 1e-300)  # b + x - 1 only matters for x >= 1
    per_x = np.repeat(np.stack([
        # log of the first term's factors: G(r+x) alpha^r / G(r) * B(a, b+x) / B(a, b)
        gammaln(r + xu) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xu) - betaln(a, b),
        betaln(a + 1, safe) - betaln(a, b + xu),  # second term's factor over the first's
        digamma(r + xu) - digamma(r) + np.log(alpha),  # d/dr of the common factor
        d_ab - d_abx,  # d/da, first term
        digamma(b + xu) - d_abx - digamma(b) + d_ab,  # d/db, first term
        digamma(a + 1) - d_abx - digamma(a) + d_ab,  # d/da, second term
        digamma(safe) - d_abx - digamma(b) + d_ab,  # d/db, second term
    ]), counts, axis=1)
    rx = r + x
    log_aT = np.log(alpha + T)
    ll = per_x[0] - rx * log_aT
    g = np.empty((4, x.size))
    g[0] = per_x[2] - log_aT
    g[1] = r / alpha - rx / (alpha + T)
    g[2], g[3] = per_x[3], per_x[4]
    rep = slice(n0, None)  # repeat customers: log(term1 + term2) = log term1 + softplus(log term2 - log term1)
    log_atx = np.log(alpha + tx[rep])
    d = per_x[1, rep] + rx[rep] * (log_aT[rep] - log_atx)
    soft = np.logaddexp(0.0, d)
    w2 = np.exp(d - soft)  # posterior share of the second term (dropped out after the last purchase)
    w1 = 1 - w2
    ll[rep] += soft
    g[0, rep] = per_x[2, rep] - w1 * log_aT[rep] - w2 * log_atx
    g[1, rep] = r / alpha - rx[rep] * (w1 / (alpha + T[rep]) + w2 / (alpha + tx[rep]))
    g[2, rep] = w1 * per_x[3, rep] + w2 * per_x[5, rep]
    g[3, rep] = w1 * per_x[4, rep] + w2 * per_x[6, rep]
    grad = (g @ w) * np.array([r, alpha, a, b])
    # einsum, not ll @ w: a 1-D dot goes to OpenBLAS's threaded ddot, which stalls on a busy machine
    return -float(np.einsum("i,i->", ll, w)), -grad


def fit_bgnbd(summary: pd.DataFrame, *, initial: Mapping[str, float] | None = None) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood (L-BFGS-B on the log-parameters, analytic gradient).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (or per distinct summary with a ``weight`` column): ``frequency``
        (repeat purchases), ``recency`` and ``T`` in weeks. Rows are compressed to distinct
        summaries before fitting.
    initial : Mapping[str, float], optional
        Starting values (default r = a = b = 1 and alpha = weeks per repeat purchase, sum T / sum x).

    Returns
    -------
    BgNbdFit
        ``params`` (r, alpha, a, b), ``se``, ``cov`` (log scale), ``loglik``, ``n_customers``,
        ``converged``, ``message``; :meth:`~MLFit.params_frame` gives the tidy table.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 3, 0, 2], "recency": [0, 5, 20, 0, 8.0], "T": [30.0] * 5})
    >>> fit = fit_bgnbd(s)
    >>> bool(abs(fit.loglik - bgnbd_loglik(fit.params, s.frequency, s.recency, s["T"]).sum()) < 1e-9)
    True
    """
    _arrays(summary)
    unique, _ = compress_summary(summary)
    x, tx, T = (unique[c].to_numpy() for c in SUMMARY_COLUMNS)
    w = unique["weight"].to_numpy()
    prepared = _prepare(x, tx, T, w)
    # r = 1 and alpha = weeks per repeat purchase: the mean rate is about right from the start
    alpha0 = float(np.sum(w * T) / max(np.sum(w * x), 1.0))
    start = dict(initial or {"r": 1.0, "alpha": min(max(alpha0, 1e-3), 1e3), "a": 1.0, "b": 1.0})
    theta0 = np.log([start[k] for k in BGNBD_PARAMS])
    result = fit_log_params(lambda th: _negll_grad(th, x, tx, T, w, prepared), theta0, BGNBD_PARAMS, n_customers=w.sum())
    return BgNbdFit(**result)


def p_alive(fit: MLFit | Mapping[str, float], frequency: np.ndarray, recency: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    """Probability that each customer is still alive at T (FHL 2005 eq. 11).

    ``P = 1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``; a customer
    without a repeat purchase (x = 0) is alive with probability 1 under BG/NBD.

    Examples
    --------
    >>> p_alive({"r": 1, "alpha": 2, "a": 1, "b": 3}, [0, 1], [0, 4.0], [10.0, 10.0]).round(4).tolist()
    [1.0, 0.4286]
    """
    r, alpha, a, b = _params(fit)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700))), 1.0)


def _hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gauss hypergeometric 2F1 for 0 <= z < 1, with a direct power series where scipy fails.

    The argument range is checked (the BG/NBD arguments t / (alpha + T + t) always lie in
    [0, 1)); entries where :func:`scipy.special.hyp2f1` returns a non-finite value are summed
    term by term (the series converges for |z| < 1); NaN where that overflows too.
    """
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    if np.any((z < 0) | (z >= 1)):
        raise ValueError("hyp2f1 argument outside [0, 1): horizons and T must be finite and >= 0")
    out = np.array(hyp2f1(a, b, c, z), dtype=float)
    bad = ~np.isfinite(out)
    if bad.any():
        ab, bb, cb, zb = a[bad], b[bad], c[bad], z[bad]
        term, total = np.ones_like(zb), np.ones_like(zb)
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(100_000):
                term = term * (ab + k) * (bb + k) / ((cb + k) * (k + 1)) * zb
                total += term
                if np.all(~np.isfinite(total) | (np.abs(term) <= 1e-15 * np.abs(total))):
                    break
        out[bad] = np.where(np.isfinite(total), total, np.nan)
    return out


def expected_purchases(fit: MLFit | Mapping[str, float], t: float | np.ndarray, frequency: np.ndarray,
                       recency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Expected repeat purchases in (T, T + t] given each customer's history (FHL 2005 eq. 10).

    ``E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``.

    Parameters
    ----------
    fit : BgNbdFit or Mapping[str, float]
        The fitted (or given) ``r, alpha, a, b``.
    t : float or array-like
        Length of the future period in weeks (>= 0); broadcast against the customers.
    frequency, recency, T : array-like
        Calibration summaries x, t_x, T (weeks).

    Returns
    -------
    numpy.ndarray
        Expected purchases per customer (0 where t = 0). ``a`` within 1e-8 of 1 (where the
        formula is 0/0) is evaluated at 1 + 1e-8. Computed through Euler's transformation of
        2F1 (see the code), which keeps heavy buyers (x in the hundreds or thousands) finite.
    """
    r, alpha, a, b = _params(fit)
    if abs(a - 1) < 1e-8:
        a = 1 + 1e-8
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    t = np.asarray(t, dtype=float)
    if np.any(t < 0):
        raise ValueError("the future period t must be >= 0 weeks")
    z = t / (alpha + T + t)
    # Euler's transformation: (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, c-b-x; c; z)
    # with c = a+b+x-1; the left side over- and underflows for large x, the right side stays O(1)
    h = _hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * h)
    return np.maximum(head * p_alive({"r": r, "alpha": alpha, "a": a, "b": b}, x, tx, T), 0.0)


def expected_purchases_unconditional(fit: MLFit | Mapping[str, float], t: float | np.ndarray) -> np.ndarray:
    """Expected repeat purchases in (0, t] of a new customer (FHL 2005 eq. 9).

    ``E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``, t in weeks.
    """
    r, alpha, a, b = _params(fit)
    if abs(a - 1) < 1e-8:
        a = 1 + 1e-8
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    # Euler's transformation, as in expected_purchases
    ex = (a + b - 1) / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * _hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z))
    return np.maximum(ex, 0.0)
