"""Life table: the churn risk in each month of the customer life (when does risk peak?)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import wilson_interval
from .base import _arrays, _check_table, _grouped

__all__ = ["hazard_by_tenure"]

HAZARD_COLUMNS = ["group", "tenure_month", "n_at_risk", "n_events", "n_censored", "hazard", "ci_lower", "ci_upper",
                  "reliable"]


def hazard_by_tenure(table: pd.DataFrame, *, group_by: str | None = None, max_months: int | None = None,
                     min_at_risk: int = 30) -> pd.DataFrame:
    """Life table: the churn risk in each month of the customer life.

    Month ``k`` (``tenure_month``, 1 = the first month) covers durations in
    ``[k - 1, k)`` months. The actuarial estimate counts customers censored in
    the month as at risk for half of it: ``hazard = n_events / (n_at_risk -
    n_censored / 2)``, with a Wilson 95% interval on that effective size.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``group_by``).
    group_by : str, optional
        One life table per group.
    max_months : int, optional
        Last month shown; default the longest follow-up.
    min_at_risk : int
        Months with fewer customers at risk are flagged ``reliable`` False.

    Returns
    -------
    DataFrame
        ``group, tenure_month, n_at_risk, n_events, n_censored, hazard,
        ci_lower, ci_upper, reliable``.

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [0.5, 1.5, 1.7, 3.0], "event": [True, True, False, False]})
    >>> hazard_by_tenure(t)[["tenure_month", "n_at_risk", "n_events", "hazard"]].round(3).values.tolist()
    [[1.0, 4.0, 1.0, 0.25], [2.0, 3.0, 1.0, 0.4], [3.0, 1.0, 0.0, 0.0], [4.0, 1.0, 0.0, 0.0]]
    """
    _check_table(table, "hazard_by_tenure")
    labels, levels, _ = _grouped(table, group_by, 1, "hazard")
    time, event = _arrays(table)
    out = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        t, e = time[m], event[m]
        if not len(t):
            continue
        last = int(np.floor(t.max())) + 1 if max_months is None else int(max_months)
        k = np.minimum(np.floor(t).astype(int), last)  # month index 0.. of each exit
        d = np.bincount(k[e], minlength=last + 1)[:last]
        c = np.bincount(k[~e], minlength=last + 1)[:last]
        exits = np.bincount(k, minlength=last + 1)[:last]
        n = len(t) - np.concatenate([[0], np.cumsum(exits)[:-1]])
        eff = n - c / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(eff > 0, d / eff, np.nan)
        lo, hi = wilson_interval(d, eff)
        out.append(pd.DataFrame({"group": lv, "tenure_month": np.arange(1, last + 1), "n_at_risk": n,
                                 "n_events": d, "n_censored": c, "hazard": h, "ci_lower": lo, "ci_upper": hi,
                                 "reliable": n >= min_at_risk}))
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=HAZARD_COLUMNS)
    return res[res["n_at_risk"] > 0].reset_index(drop=True)[HAZARD_COLUMNS]
