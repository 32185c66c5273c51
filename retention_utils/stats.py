"""Statistics helpers shared by the analyses: proportion intervals and multiple-testing corrections.

Thin wrappers over statsmodels, written once so that every page computes an interval the
same way (and the fixes, such as keeping a rate inside its own interval, live in one place).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

__all__ = ["wilson_interval", "newcombe_interval", "holm"]


def wilson_interval(count: pd.Series | np.ndarray, nobs: pd.Series | np.ndarray,
                    *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count / nobs`` (NaN where ``nobs`` is 0).

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([5]), np.array([50]))
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.0435, 0.2136)
    >>> lo, hi = wilson_interval(np.array([0, 7]), np.array([7, 7]))  # the interval holds its rate exactly
    >>> float(lo[0]), float(hi[1])
    (0.0, 1.0)
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    ok = nobs > 0
    lo = np.full(count.shape, np.nan)
    hi = np.full(count.shape, np.nan)
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
        # the closed form leaves 0/n with a lower bound of ~1e-17 and n/n with an upper bound of
        # 1 - 1e-16: an interval must contain its point (error bars of a negative length crash plots)
        rate = count[ok] / nobs[ok]
        lo[ok] = np.clip(np.minimum(lo[ok], rate), 0.0, 1.0)
        hi[ok] = np.clip(np.maximum(hi[ok], rate), 0.0, 1.0)
    return lo, hi


def newcombe_interval(count1: int, nobs1: int, count2: int, nobs2: int, *,
                      alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's interval of the difference ``count1/nobs1 - count2/nobs2`` (score-based).

    Examples
    --------
    >>> lo, hi = newcombe_interval(30, 100, 20, 100)
    >>> round(lo, 4), round(hi, 4)
    (-0.0202, 0.2167)
    """
    lo, hi = confint_proportions_2indep(count1, nobs1, count2, nobs2, method="newcomb", alpha=alpha)
    return float(lo), float(hi)


def holm(p_values: np.ndarray | pd.Series) -> np.ndarray:
    """Holm-corrected p-values; NaN p-values stay NaN and do not count as tests.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, np.nan])).round(3).tolist()
    [0.02, 0.04, nan]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out
