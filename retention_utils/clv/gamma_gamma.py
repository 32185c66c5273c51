"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

Hand-written for the reasons given in :mod:`retention_utils.clv.bgnbd`. A customer's
transaction values are Gamma(p, nu) (shape p, rate nu) around her own mean p / nu, with
nu ~ Gamma(q, gamma) across customers. It is fitted on repeat customers only (x >= 1 repeat
purchases with mean spend m_x > 0), and it assumes that spend is independent of purchase
frequency: :func:`independence_check` tests that assumption.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from ._base import MLFit, fit_log_params

__all__ = ["GG_PARAMS", "GammaGammaFit", "IndependenceCheck", "gamma_gamma_loglik", "fit_gamma_gamma",
           "expected_spend", "independence_check"]

#: Parameter order of the Gamma-Gamma model.
GG_PARAMS: tuple[str, ...] = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaFit(MLFit):
    """Maximum-likelihood Gamma-Gamma fit: ``params`` p, q, gamma (see :class:`MLFit`).

    ``n_customers`` counts the repeat customers the model was fitted on.
    """

    @property
    def population_mean(self) -> float:
        """Mean spend per transaction across customers, ``p gamma / (q - 1)`` (NaN when q <= 1)."""
        p, q, g = (self.params[k] for k in GG_PARAMS)
        return p * g / (q - 1) if q > 1 else float("nan")


def _repeat(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in ("frequency", "monetary_mean") if c not in summary.columns]
    if missing:
        raise ValueError(f"the customer summary lacks column(s) {missing}; it has {list(summary.columns)[:5]}")
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_mean"].to_numpy(dtype=float)
    w = summary["weight"].to_numpy(dtype=float) if "weight" in summary.columns else np.ones(len(x))
    keep = (x >= 1) & (m > 0)
    return x[keep], m[keep], w[keep]


def gamma_gamma_loglik(params: Mapping[str, float], frequency: np.ndarray, monetary_mean: np.ndarray) -> np.ndarray:
    """Log-density of each repeat customer's mean spend (Fader & Hardie 2013 eq. 4).

    ``f(m_x | p, q, gamma, x) = G(px+q) / (G(px) G(q)) * gamma^q m_x^(px-1) x^(px) / (gamma + x m_x)^(px+q)``.

    Parameters
    ----------
    params : Mapping[str, float]
        ``p, q, gamma``.
    frequency, monetary_mean : array-like
        x >= 1 and m_x > 0 per customer.

    Returns
    -------
    numpy.ndarray
        Log-density per customer.
    """
    p, q, g = (float(params[k]) for k in GG_PARAMS)
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_mean, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(g + x * m))


def _negll_grad(theta: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray,
                pre: tuple | None = None) -> tuple[float, np.ndarray]:
    """Negative weighted log-likelihood and its gradient in the log-parameters.

    The Gamma and digamma terms depend on the customer only through x: they are evaluated once
    per distinct x and gathered. ``pre`` = :func:`_precompute` (done here when not given).
    """
    p, q, g = np.exp(theta)
    xu, inv, log_m, log_x = pre if pre is not None else _precompute(x, m)
    pxu = p * xu
    per_x = np.stack([gammaln(pxu + q) - gammaln(pxu) - gammaln(q), digamma(pxu + q) - digamma(pxu),
                      digamma(pxu + q) - digamma(q)])[:, inv]
    px = p * x
    log_gxm = np.log(g + x * m)
    ll = per_x[0] + q * np.log(g) + (px - 1) * log_m + px * log_x - (px + q) * log_gxm
    dp = x * (per_x[1] + log_m + log_x - log_gxm)
    dq = per_x[2] + np.log(g) - log_gxm
    dg = q / g - (px + q) / (g + x * m)
    # einsum, not a 1-D @: that goes to OpenBLAS's threaded ddot, which stalls on a busy machine
    grad = np.einsum("ki,i->k", np.stack([dp, dq, dg]), w) * np.array([p, q, g])
    return -float(np.einsum("i,i->", ll, w)), -grad


def _precompute(x: np.ndarray, m: np.ndarray) -> tuple:
    """What the likelihood needs that does not depend on the parameters: distinct x, logs of m and x."""
    xu, inv = np.unique(x, return_inverse=True)
    return xu, inv, np.log(m), np.log(x)


def fit_gamma_gamma(summary: pd.DataFrame, *, initial: Mapping[str, float] | None = None) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model by maximum likelihood on the repeat customers.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency`` (repeat purchases) and ``monetary_mean`` (mean value of the repeat
        purchases), optionally ``weight``; rows with x = 0 or m_x <= 0 are left out.
    initial : Mapping[str, float], optional
        Starting values (default p = 1, q = 2, gamma = the mean spend).

    Returns
    -------
    GammaGammaFit
        ``params`` (p, q, gamma), ``se``, ``cov`` (log scale), ``loglik``, ``n_customers``
        (repeat customers used), ``converged``, ``message``.

    Raises
    ------
    ValueError
        Fewer than 3 repeat customers with positive spend.
    """
    x, m, w = _repeat(summary)
    if w.sum() < 3:
        raise ValueError(f"the Gamma-Gamma model needs at least 3 repeat customers with spend > 0; got {w.sum():g}")
    pre = _precompute(x, m)
    start = dict(initial or {"p": 1.0, "q": 2.0, "gamma": float(np.average(m, weights=w))})
    theta0 = np.log([start[k] for k in GG_PARAMS])
    result = fit_log_params(lambda th: _negll_grad(th, x, m, w, pre), theta0, GG_PARAMS, n_customers=w.sum())
    return GammaGammaFit(**result)


def expected_spend(fit: GammaGammaFit | Mapping[str, float], frequency: np.ndarray,
                   monetary_mean: np.ndarray) -> np.ndarray:
    """Expected spend per future transaction given each customer's history (FHL 2005b eq. 5).

    ``E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1)``: a weighted mean of the population
    mean ``p gamma / (q - 1)`` and the customer's own m_x. Customers without a repeat purchase
    (x = 0) get the population mean. NaN where ``p x + q <= 1`` (no finite mean).
    """
    params = fit.params if isinstance(fit, MLFit) else fit
    p, q, g = (float(params[k]) for k in GG_PARAMS)
    x = np.asarray(frequency, dtype=float)
    m = np.where(x > 0, np.asarray(monetary_mean, dtype=float), 0.0)
    den = p * x + q - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, p * (g + x * m) / den, np.nan)


@dataclass(frozen=True)
class IndependenceCheck:
    """Correlation of purchase frequency and mean spend among repeat customers.

    Attributes
    ----------
    correlation : float
        Pearson correlation of ``frequency`` and ``monetary_mean``.
    ci_lower, ci_upper : float
        Its 95 % interval (Fisher z).
    n_customers : int
        Repeat customers with spend > 0.
    weak : bool
        ``|correlation| < threshold``: the independence assumption is plausible.
    sentence : str
        The verdict in plain words.
    """

    correlation: float
    ci_lower: float
    ci_upper: float
    n_customers: int
    weak: bool
    sentence: str


def independence_check(summary: pd.DataFrame, *, threshold: float = 0.3) -> IndependenceCheck:
    """Check the Gamma-Gamma assumption that spend does not depend on purchase frequency.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency`` and ``monetary_mean`` per customer (x >= 1, m_x > 0 are used).
    threshold : float, default 0.3
        Correlations weaker than this (in absolute value) count as weak.

    Returns
    -------
    IndependenceCheck

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [1, 2, 3, 4, 5], "monetary_mean": [10.0, 12, 9, 11, 10]})
    >>> independence_check(s).weak
    True
    """
    x, m, _ = _repeat(summary)
    n = int(x.size)
    if n < 4 or np.std(x) == 0 or np.std(m) == 0:
        return IndependenceCheck(float("nan"), float("nan"), float("nan"), n, False,
                                 f"The link between purchase frequency and spend cannot be measured "
                                 f"({n} repeat customers, or no variation).")
    r = float(np.corrcoef(x, m)[0, 1])
    half = stats.norm.ppf(0.975) / np.sqrt(n - 3)
    lo, hi = (float(np.tanh(np.arctanh(np.clip(r, -0.999999, 0.999999)) + s * half)) for s in (-1, 1))
    weak = abs(r) < threshold
    span = f"correlation {r:.2f}, 95% interval {lo:.2f} to {hi:.2f}, {n:,} repeat customers"
    if weak:
        sentence = (f"Spend per purchase hardly depends on how often customers buy ({span}), "
                    "so the spend model's independence assumption is reasonable.")
    else:
        sentence = (f"Spend per purchase is linked to how often customers buy ({span}): the spend model "
                    "assumes they are independent, so its value estimates are doubtful.")
    return IndependenceCheck(r, lo, hi, n, weak, sentence)
