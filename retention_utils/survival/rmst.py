"""Restricted mean survival time: average months of customer life within a horizon, by group."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .base import _arrays, _check_table, _Displayed, _Fit, _fit, _grouped

__all__ = ["RMST", "rmst"]



@dataclass(frozen=True)
class RMST(_Displayed):
    """Restricted mean survival time (see :func:`rmst`).

    Attributes
    ----------
    by_group : DataFrame
        ``group, horizon_months, rmst_months, std_err, ci_lower, ci_upper,
        n_customers, n_events, estimable`` (False: follow-up shorter than the
        horizon, value NaN).
    differences : DataFrame
        ``group, reference, difference_months, std_err, ci_lower, ci_upper,
        p_value``: each group minus the reference group (the largest).
    horizon_months : float
    """

    by_group: pd.DataFrame
    differences: pd.DataFrame
    horizon_months: float


def _rmst_one(f: _Fit, tau: float) -> tuple[float, float]:
    """Area under the KM curve up to ``tau`` and its Greenwood-type variance."""
    if not len(f.time) or f.time.max() < tau:
        return np.nan, np.nan
    t, s = f.times, f.surv
    m = t <= tau
    t, s = t[m], s[m]
    n, d = (f.sf.n_risk[m], f.sf.n_events[m]) if f.sf is not None else (np.empty(0), np.empty(0))
    knots = np.concatenate([[0.0], t, [tau]])
    level = np.concatenate([[1.0], s])
    area = np.diff(knots) * level  # area of each step
    total = float(area.sum())
    # A_i: area from event time t_i to tau
    tail = np.cumsum(area[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > d, tail ** 2 * d / (n * (n - d)), 0.0)
    return total, float(term.sum())


def rmst(table: pd.DataFrame, *, horizon_months: float = 24, group_by: str | None = None,
         min_customers: int = 1, alpha: float = 0.05) -> RMST:
    """Restricted mean survival time: average months of customer life within a horizon.

    The area under the Kaplan-Meier curve from 0 to ``horizon_months``, with
    the usual variance ``sum A_i^2 d_i / (n_i (n_i - d_i))`` over churn times
    ``t_i`` up to the horizon, ``A_i`` the area from ``t_i`` to the horizon
    (as R ``survRM2``). Differences between groups assume independent groups.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``group_by``).
    horizon_months : float
        Horizon (``survival.horizon_months``).
    group_by : str, optional
        Grouping column.
    min_customers : int
        Smaller groups are merged (see :mod:`retention_utils.survival.base`).
    alpha : float
        1 - coverage of the intervals.

    Returns
    -------
    RMST

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0], "event": [True, False, True]})
    >>> float(rmst(t, horizon_months=3).by_group.rmst_months[0])  # 1 + 2/3 * 2
    2.3333333333333335
    """
    _check_table(table, "rmst")
    labels, levels, _ = _grouped(table, group_by, min_customers, "RMST")
    time, event = _arrays(table)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        f = _fit(lv, time[m], event[m])
        val, var = _rmst_one(f, horizon_months)
        se = math.sqrt(var) if np.isfinite(var) else np.nan
        rows.append({"group": lv, "horizon_months": float(horizon_months), "rmst_months": val, "std_err": se,
                     "ci_lower": val - z * se, "ci_upper": val + z * se, "n_customers": int(m.sum()),
                     "n_events": int(event[m].sum()), "estimable": bool(np.isfinite(val))})
    by = pd.DataFrame(rows, columns=["group", "horizon_months", "rmst_months", "std_err", "ci_lower", "ci_upper",
                                     "n_customers", "n_events", "estimable"])
    diffs = []
    if len(by) > 1:
        ref = by.iloc[0]
        for r in by.iloc[1:].itertuples():
            dlt = r.rmst_months - ref.rmst_months
            se = math.sqrt(r.std_err ** 2 + ref.std_err ** 2)
            p = 2 * stats.norm.sf(abs(dlt / se)) if se > 0 else np.nan
            diffs.append({"group": r.group, "reference": ref.group, "difference_months": dlt, "std_err": se,
                          "ci_lower": dlt - z * se, "ci_upper": dlt + z * se, "p_value": p})
    dif = pd.DataFrame(diffs, columns=["group", "reference", "difference_months", "std_err", "ci_lower", "ci_upper",
                                       "p_value"])
    return RMST(by, dif, float(horizon_months))
