"""Kaplan-Meier survival curves by group, with medians, survival at fixed months and numbers at risk.

Intervals are pointwise 95% intervals on the log(-log) scale with Greenwood's variance (as in
R ``survfit(conf.type="log-log")`` and lifelines), from statsmodels' ``SurvfuncRight``. The
median lifetime is the first time the curve falls below 0.5 (statsmodels/SAS convention); its
interval inverts the same log(-log) test (Brookmeyer-Crowley). A median whose curve never falls
below 0.5 is "not reached" (NaN, ``median_reached`` False); an open upper limit is NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..results import notes_frame
from .base import (
    TIMES,
    _arrays,
    _check_table,
    _Displayed,
    _fit,
    _grouped,
    _loglog_ci,
    _note,
    _step_value,
)

__all__ = ["KaplanMeier", "kaplan_meier"]

CURVE_COLUMNS = ["group", "duration_months", "n_at_risk", "n_events", "survival", "std_err", "ci_lower", "ci_upper"]


@dataclass(frozen=True)
class KaplanMeier(_Displayed):
    """Kaplan-Meier survival curves of one or more groups (see :func:`kaplan_meier`).

    Attributes
    ----------
    curve : DataFrame
        ``group, duration_months, n_at_risk, n_events, survival, std_err,
        ci_lower, ci_upper``: one row at 0, one per churn time, and one at the
        group's longest follow-up (``n_events`` 0) so the curve runs to the end.
    medians : DataFrame
        ``group, n_customers, n_events, median_months, ci_lower, ci_upper,
        median_reached`` (NaN limits: not reached).
    at_times : DataFrame
        ``group, duration_months, survival, ci_lower, ci_upper, n_at_risk,
        estimable``: survival at :data:`TIMES` (NaN beyond the follow-up).
    at_risk : DataFrame
        ``group, duration_months, n_at_risk, n_events, n_censored``: customers
        still followed at each time and the churn events / censorings before
        it (the table under the curves).
    group_by : str or None
        The grouping column.
    notes : DataFrame
        ``section, subject, note``.
    """

    curve: pd.DataFrame
    medians: pd.DataFrame
    at_times: pd.DataFrame
    at_risk: pd.DataFrame
    group_by: str | None
    notes: pd.DataFrame

    @property
    def groups(self) -> list[str]:
        return list(self.medians["group"])


def _risk_grid(max_t: float) -> np.ndarray:
    step = 3 if max_t <= 18 else 6 if max_t <= 48 else 12
    return np.arange(0, max(max_t, 0) + 1e-9, step, dtype=float)


def kaplan_meier(table: pd.DataFrame, *, group_by: str | None = None, times: tuple[float, ...] = TIMES,
                 min_customers: int = 1, risk_times: tuple[float, ...] | None = None) -> KaplanMeier:
    """Kaplan-Meier survival by group with 95% intervals, medians and numbers at risk.

    Parameters
    ----------
    table : DataFrame
        Lifetimes: ``duration_months, event`` and ``group_by``; not modified.
    group_by : str, optional
        Column to split by (categorical; booleans become yes/no). None: one
        curve for all customers.
    times : tuple of float
        Months at which survival is reported (``at_times``).
    min_customers : int
        Smaller groups are merged into ``"other (rare)"`` (see :mod:`retention_utils.survival.base`).
    risk_times : tuple of float, optional
        Times of the number-at-risk table; default every 3, 6 or 12 months
        depending on the follow-up.

    Returns
    -------
    KaplanMeier

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0], "event": [True, False, True]})
    >>> km = kaplan_meier(t)
    >>> km.curve[["duration_months", "n_at_risk", "survival"]].round(3).values.tolist()
    [[0.0, 3.0, 1.0], [1.0, 3.0, 0.667], [3.0, 1.0, 0.0]]
    >>> float(km.medians.median_months[0])
    3.0
    """
    _check_table(table, "kaplan_meier")
    labels, levels, notes = _grouped(table, group_by, min_customers, "Kaplan-Meier")
    time, event = _arrays(table)
    fits = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        fits.append(_fit(lv, time[m], event[m]))
    curves, meds, at, risk = [], [], [], []
    grid = np.asarray(risk_times, dtype=float) if risk_times is not None else _risk_grid(
        float(time.max()) if len(time) else 0.0)
    for f in fits:
        n = len(f.time)
        lo, hi = _loglog_ci(f.surv, f.se)
        c = pd.DataFrame({"group": f.group, "duration_months": f.times, "n_at_risk": f.sf.n_risk if f.sf else [],
                          "n_events": f.sf.n_events if f.sf else [], "survival": f.surv, "std_err": f.se,
                          "ci_lower": lo, "ci_upper": hi})
        last_t = float(f.time.max()) if n else 0.0
        head = pd.DataFrame([{"group": f.group, "duration_months": 0.0, "n_at_risk": n, "n_events": 0,
                              "survival": 1.0, "std_err": 0.0, "ci_lower": 1.0, "ci_upper": 1.0}])
        parts = [head, c]
        if n and (len(c) == 0 or last_t > float(c["duration_months"].iloc[-1])):
            s_last = float(c["survival"].iloc[-1]) if len(c) else 1.0
            tail = c.iloc[-1:].copy() if len(c) else head.copy()
            tail = tail.assign(duration_months=last_t, n_at_risk=int((f.time >= last_t).sum()), n_events=0,
                               survival=s_last)
            parts.append(tail)
        curves.append(pd.concat([p for p in parts if len(p)], ignore_index=True))
        med = lo_m = hi_m = np.nan
        if f.sf is not None:
            med = f.sf.quantile(0.5)
            with np.errstate(all="ignore"):
                lo_m, hi_m = f.sf.quantile_ci(0.5, method="cloglog")
        meds.append({"group": f.group, "n_customers": n, "n_events": int(f.event.sum()),
                     "median_months": float(med), "ci_lower": float(lo_m),
                     "ci_upper": float(hi_m) if np.isfinite(hi_m) else np.nan,
                     "median_reached": bool(np.isfinite(med))})
        for t in times:
            ok = bool(n) and t <= last_t
            s = _step_value(f.times, f.surv, t) if ok else np.nan
            se = _step_value(f.times, f.se, t, start=0.0) if ok else np.nan
            l_, h_ = _loglog_ci(np.array([s]), np.array([se]))
            at.append({"group": f.group, "duration_months": float(t), "survival": s,
                       "ci_lower": float(l_[0]) if ok else np.nan, "ci_upper": float(h_[0]) if ok else np.nan,
                       "n_at_risk": int((f.time >= t).sum()), "estimable": ok})
            if not ok and n:
                notes.append(_note("Kaplan-Meier", f.group, f"survival at {t:g} months is not estimable: the longest "
                                                            f"follow-up is {last_t:.1f} months."))
        for t in grid:
            risk.append({"group": f.group, "duration_months": float(t), "n_at_risk": int((f.time >= t).sum()),
                         "n_events": int((f.event & (f.time < t)).sum()),
                         "n_censored": int((~f.event & (f.time < t)).sum())})
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    curve = curve.astype({"n_at_risk": "int64", "n_events": "int64"})
    return KaplanMeier(
        curve=curve,
        medians=pd.DataFrame(meds, columns=["group", "n_customers", "n_events", "median_months", "ci_lower",
                                            "ci_upper", "median_reached"]),
        at_times=pd.DataFrame(at, columns=["group", "duration_months", "survival", "ci_lower", "ci_upper",
                                           "n_at_risk", "estimable"]),
        at_risk=pd.DataFrame(risk, columns=["group", "duration_months", "n_at_risk", "n_events", "n_censored"]),
        group_by=group_by, notes=notes_frame(notes))
