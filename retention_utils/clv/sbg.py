"""Shifted-beta-geometric retention model for contractual units (Fader & Hardie 2007,
"How to project customer retention"; Fader & Hardie 2010, "Customer-base valuation in a
contractual setting: the perils of ignoring heterogeneity").

Each customer has a constant churn probability theta per period (renewal decision),
theta ~ Beta(alpha, beta) across customers, so the cohort's retention rate rises with tenure.
``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` (churn at the end of period t) and
``S(t) = B(alpha, beta + t) / B(alpha, beta)``. The periods are the unit's billing periods
(months for monthly plans); "n renewals" means the customer has survived n period ends.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, hyp2f1

from ._base import MLFit, fit_log_params

__all__ = ["SBG_PARAMS", "SbgFit", "fit_sbg", "sbg_survival", "retention_curve", "derl"]

#: Parameter order of the sBG model.
SBG_PARAMS: tuple[str, ...] = ("alpha", "beta")


@dataclass(frozen=True)
class SbgFit(MLFit):
    """Maximum-likelihood sBG fit: ``params`` alpha, beta (see :class:`MLFit`)."""


def _cohorts(survivors: Sequence[float] | Sequence[Sequence[float]]) -> list[np.ndarray]:
    items = list(survivors)
    cohorts = [np.asarray(items, dtype=float)] if np.ndim(items[0]) == 0 else [np.asarray(c, dtype=float) for c in items]
    for i, c in enumerate(cohorts):
        if c.size < 1 or np.any(np.diff(c) > 0) or np.any(c < 0):
            raise ValueError(f"cohort {i}: survivor counts must be >= 0 and never rise; got {c[:6].tolist()}")
    if not any(c.size >= 2 and c[0] > 0 for c in cohorts):
        raise ValueError("the sBG model needs a cohort followed for at least one period (two survivor counts)")
    return cohorts


def _negll_grad(theta: np.ndarray, cohorts: list[np.ndarray]) -> tuple[float, np.ndarray]:
    al, be = np.exp(theta)
    ll, g_al, g_be = 0.0, 0.0, 0.0
    d_ab0 = digamma(al + be)
    for c in cohorts:
        t = np.arange(1, c.size)
        lost = c[:-1] - c[1:]  # churned at the end of period t
        # log P(T = t) = lnB(al + 1, be + t - 1) - lnB(al, be)
        lp = betaln(al + 1, be + t - 1) - betaln(al, be)
        d_all = digamma(al + be + t)
        dp_al = digamma(al + 1) - d_all - digamma(al) + d_ab0
        dp_be = digamma(be + t - 1) - d_all - digamma(be) + d_ab0
        # log S(t_max) = lnB(al, be + t_max) - lnB(al, be)
        tm = c.size - 1
        ls = betaln(al, be + tm) - betaln(al, be)
        d_s = digamma(al + be + tm)
        ds_al = d_ab0 - d_s
        ds_be = digamma(be + tm) - d_s - digamma(be) + d_ab0
        ll += lost @ lp + c[-1] * ls
        g_al += lost @ dp_al + c[-1] * ds_al
        g_be += lost @ dp_be + c[-1] * ds_be
    return -float(ll), -np.array([g_al * al, g_be * be])


def fit_sbg(survivors: Sequence[float] | Sequence[Sequence[float]]) -> SbgFit:
    """Fit the sBG model by maximum likelihood on survivor counts.

    Parameters
    ----------
    survivors : sequence of numbers, or sequence of sequences
        One cohort: customers alive at the start (period 0) and after each period end,
        e.g. ``[1000, 631, 468, ...]``. Several cohorts of different ages: one such sequence
        each; every cohort is right-censored at its age and the likelihoods are pooled (a cohort
        with a single count, not yet through a period end, adds nothing).

    Returns
    -------
    SbgFit
        ``params`` (alpha, beta), ``se``, ``cov`` (log scale), ``loglik``, ``n_customers``
        (cohort sizes summed), ``converged``, ``message``.

    Examples
    --------
    >>> fit = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])  # Fader & Hardie (2007), "regular"
    >>> round(fit.params["alpha"], 3), round(fit.params["beta"], 3)
    (0.704, 1.182)
    """
    cohorts = _cohorts(survivors)
    n = float(sum(c[0] for c in cohorts))
    result = fit_log_params(lambda th: _negll_grad(th, cohorts), np.zeros(2), SBG_PARAMS, n_customers=n)
    return SbgFit(**result)


def sbg_survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """``S(t) = B(alpha, beta + t) / B(alpha, beta)`` for t = 0 .. periods."""
    t = np.arange(periods + 1)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def retention_curve(fit: SbgFit, *, periods: int = 24) -> pd.DataFrame:
    """Projected survival and retention per period.

    Returns
    -------
    pandas.DataFrame
        One row per period t = 1 .. periods: ``period``, ``survival`` S(t) (share of the cohort
        still a customer after t period ends), ``retention_rate`` S(t) / S(t - 1)
        = (beta + t - 1) / (alpha + beta + t - 1), ``churn_prob`` P(T = t) = S(t - 1) - S(t).
    """
    al, be = fit.params["alpha"], fit.params["beta"]
    s = sbg_survival(al, be, periods)
    t = np.arange(1, periods + 1)
    return pd.DataFrame({"period": t, "survival": s[1:], "retention_rate": (be + t - 1) / (al + be + t - 1),
                         "churn_prob": s[:-1] - s[1:]})


def derl(fit: SbgFit, *, n_renewals: int | np.ndarray, discount: float) -> np.ndarray:
    """Discounted expected residual lifetime of a customer who has made n renewals (FH 2010 eq. 6).

    Counted just before the customer's next renewal decision: the expected number of further
    payments, the next one (paid if she renews) undiscounted and each later one discounted by
    ``1 / (1 + discount)`` per period: ``sum_{k>=0} S(n+1+k) / S(n) / (1+d)^k
    = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))``.
    Multiply by the margin per period for a value. With ``discount = 0`` it is the undiscounted
    expected number of further payments, ``(beta + n) / (alpha - 1)``, infinite when
    alpha <= 1 (a heavy tail of very loyal customers).

    Parameters
    ----------
    fit : SbgFit
    n_renewals : int or array of int
        Renewals made so far (0 for a customer in her first period).
    discount : float
        Discount rate per period (>= 0).

    Returns
    -------
    numpy.ndarray
        DERL per entry of ``n_renewals`` (inf where undiscounted and alpha <= 1).
    """
    if discount < 0:
        raise ValueError(f"The 'discount' parameter of derl must be >= 0. Got {discount!r} instead.")
    al, be = fit.params["alpha"], fit.params["beta"]
    n = np.asarray(n_renewals, dtype=float)
    if discount == 0:
        return (be + n) / (al - 1) if al > 1 else np.full_like(n, np.inf)
    return (be + n) / (al + be + n) * hyp2f1(1.0, be + n + 1, al + be + n + 1, 1.0 / (1.0 + discount))
