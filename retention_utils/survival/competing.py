"""Competing risks: cumulative incidence of voluntary and involuntary churn, and the churn reasons.

Aalen-Johansen estimates from statsmodels' ``CumIncidenceRight``, with pointwise log(-log) 95%
intervals; for units that record cancellations with a ``churn_type`` (explicit churn, snapshots).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import CumIncidenceRight

from ..results import notes_frame
from .base import _Z, MISSING, TIMES, _arrays, _check_table, _Displayed, _labels, _note

__all__ = ["CompetingRisks", "competing_risks"]



@dataclass(frozen=True)
class CompetingRisks(_Displayed):
    """Cumulative incidence of voluntary and involuntary churn (see :func:`competing_risks`).

    Attributes
    ----------
    incidence : DataFrame
        ``cause, duration_months, cumulative_incidence, std_err, ci_lower,
        ci_upper`` (Aalen-Johansen via statsmodels ``CumIncidenceRight``;
        log(-log) 95% intervals), starting at 0.
    at_times : DataFrame
        ``cause, duration_months, cumulative_incidence, ci_lower, ci_upper,
        estimable`` at :data:`TIMES`.
    reasons : DataFrame
        ``churn_type, churn_reason, n_churned, share, share_of_type``: churn
        events by reason (shares of all churn events and of the type's).
    notes : DataFrame
        ``section, subject, note``.
    """

    incidence: pd.DataFrame
    at_times: pd.DataFrame
    reasons: pd.DataFrame
    notes: pd.DataFrame


def competing_risks(table: pd.DataFrame, *, times: tuple[float, ...] = TIMES) -> CompetingRisks:
    """Cumulative incidence of churn by cause (``churn_type``), and the churn reasons.

    Causes are ``voluntary`` and ``involuntary``; churn events without a type
    form the cause ``unknown`` (noted).

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event, churn_type`` and optionally
        ``churn_reason`` (explicit churn units).
    times : tuple of float
        Months reported in ``at_times``.

    Returns
    -------
    CompetingRisks

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4], "event": [True, True, False, True],
    ...                   "churn_type": ["voluntary", "involuntary", None, "voluntary"]})
    >>> cr = competing_risks(t, times=(4,))
    >>> cr.at_times[["cause", "cumulative_incidence"]].round(4).values.tolist()
    [['voluntary', 0.75], ['involuntary', 0.25]]
    """
    _check_table(table, "competing_risks", ("churn_type",))
    time, event = _arrays(table)
    ctype = table["churn_type"].astype(object).where(table["churn_type"].notna(), None).to_numpy()
    known = ["voluntary", "involuntary"]
    notes = []
    unknown = event & ~np.isin(ctype, known)
    cause_of = np.where(unknown, "unknown", ctype)
    causes = [c for c in known + ["unknown"] if (event & (cause_of == c)).any()]  # codes 1.. in this order
    if unknown.any():
        notes.append(_note("competing risks", "churn_type", f"{int(unknown.sum())} churn events have no (or another) "
                                                            "churn type; shown as 'unknown'."))
    for c in known:
        if c not in causes and event.any():
            notes.append(_note("competing risks", c, f"no {c} churn recorded so far."))
    status = np.zeros(len(time), dtype=float)
    for i, c in enumerate(causes, start=1):
        status[event & (cause_of == c)] = i
    inc_rows, at_rows = [], []
    if event.any():
        with np.errstate(divide="ignore", invalid="ignore"):  # last risk set all churned: its SE is undefined
            ci = CumIncidenceRight(time, status)
        for i, c in enumerate(causes):
            f = ci.cinc[i]
            se = ci.cinc_se[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                w = _Z * se / (f * np.abs(np.log(f)))
                lo, hi = f ** np.exp(w), f ** np.exp(-w)
            lo = np.where(f > 0, lo, 0.0)
            hi = np.where(f > 0, hi, 0.0)
            inc_rows.append(pd.DataFrame({"cause": c, "duration_months": np.r_[0.0, ci.times],
                                          "cumulative_incidence": np.r_[0.0, f], "std_err": np.r_[0.0, se],
                                          "ci_lower": np.r_[0.0, lo], "ci_upper": np.r_[0.0, hi]}))
            for t in times:
                ok = t <= time.max()
                j = np.searchsorted(ci.times, t, side="right") - 1
                val = float(f[j]) if (ok and j >= 0) else (0.0 if ok else np.nan)
                at_rows.append({"cause": c, "duration_months": float(t), "cumulative_incidence": val,
                                "ci_lower": float(lo[j]) if ok and j >= 0 else (0.0 if ok else np.nan),
                                "ci_upper": float(hi[j]) if ok and j >= 0 else (0.0 if ok else np.nan),
                                "estimable": bool(ok)})
    inc = pd.concat(inc_rows, ignore_index=True) if inc_rows else pd.DataFrame(
        columns=["cause", "duration_months", "cumulative_incidence", "std_err", "ci_lower", "ci_upper"])
    ev = table[event]
    reason = ev["churn_reason"] if "churn_reason" in ev.columns else pd.Series(np.nan, index=ev.index)
    r = pd.DataFrame({"churn_type": _labels(ev["churn_type"]).replace({MISSING: "unknown"}),
                      "churn_reason": _labels(reason).replace({MISSING: "not recorded"})})
    reasons = r.value_counts().rename("n_churned").reset_index()
    total = max(int(event.sum()), 1)
    reasons["share"] = reasons["n_churned"] / total
    reasons["share_of_type"] = reasons["n_churned"] / reasons.groupby("churn_type")["n_churned"].transform("sum")
    reasons = reasons.sort_values(["churn_type", "n_churned"], ascending=[False, False]).reset_index(drop=True)
    at_cols = ["cause", "duration_months", "cumulative_incidence", "ci_lower", "ci_upper", "estimable"]
    return CompetingRisks(inc, pd.DataFrame(at_rows, columns=at_cols), reasons, notes_frame(notes))
