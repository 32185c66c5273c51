"""Log-rank tests: equal survival across groups, and each pair of groups with Holm's correction.

Statistics from statsmodels' ``survdiff``; p-values from the chi-square survival function
(``survdiff``'s ``1 - cdf`` underflows to 0 for large statistics); pairwise p-values are
Holm-corrected with :func:`retention_utils.stats.holm`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import survdiff

from ..results import notes_frame
from ..stats import holm
from .base import _arrays, _check_table, _Displayed, _grouped, _note

__all__ = ["LogRank", "logrank"]

OVERALL_COLUMNS = ["group_by", "n_groups", "statistic", "df", "p_value"]
PAIRWISE_COLUMNS = ["group_a", "group_b", "statistic", "p_value", "p_value_holm", "significant"]


@dataclass(frozen=True)
class LogRank(_Displayed):
    """Log-rank tests (see :func:`logrank`).

    Attributes
    ----------
    overall : DataFrame
        One row: ``group_by, n_groups, statistic, df, p_value``.
    pairwise : DataFrame
        ``group_a, group_b, statistic, p_value, p_value_holm, significant``
        (Holm-corrected p-value below ``alpha``).
    notes : DataFrame
        ``section, subject, note``.
    """

    overall: pd.DataFrame
    pairwise: pd.DataFrame
    notes: pd.DataFrame


def _empty_logrank(note: dict[str, str]) -> LogRank:
    return LogRank(pd.DataFrame(columns=OVERALL_COLUMNS), pd.DataFrame(columns=PAIRWISE_COLUMNS), notes_frame([note]))


def logrank(table: pd.DataFrame, *, group_by: str, min_customers: int = 1, alpha: float = 0.05) -> LogRank:
    """Log-rank test of equal survival across groups, and pairwise tests with Holm's correction.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` and ``group_by``.
    group_by : str
        Grouping column (rare levels merged as in :func:`~retention_utils.survival.kaplan_meier`).
    min_customers : int
        Smallest group size compared.
    alpha : float
        Level of the ``significant`` flag.

    Returns
    -------
    LogRank

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6], "event": [True] * 6,
    ...                   "plan": ["a", "a", "a", "b", "b", "b"]})
    >>> round(float(logrank(t, group_by="plan").overall.statistic[0]), 4)  # (3 - 1.15)^2 / 0.6775
    5.0517
    """
    _check_table(table, "logrank", (group_by,) if group_by else ())
    labels, levels, notes = _grouped(table, group_by, min_customers, "log-rank")
    time, event = _arrays(table)
    keep = labels.notna().to_numpy()
    if len(levels) < 2 or not event[keep].any():
        notes.append(_note("log-rank", group_by, "fewer than two groups (or no churn) to compare: no test."))
        return LogRank(pd.DataFrame(columns=OVERALL_COLUMNS), pd.DataFrame(columns=PAIRWISE_COLUMNS),
                       notes_frame(notes))
    g = labels.to_numpy()[keep]
    stat, _ = survdiff(time[keep], event[keep].astype(float), g)
    p = stats.chi2.sf(stat, len(levels) - 1)  # survdiff's 1 - cdf underflows to 0 for large statistics
    overall = pd.DataFrame([{"group_by": group_by, "n_groups": len(levels), "statistic": float(stat),
                             "df": len(levels) - 1, "p_value": float(p)}])
    rows = []
    for i, a in enumerate(levels):
        for b in levels[i + 1:]:
            m = (g == a) | (g == b)
            if event[keep][m].any():
                s, _ = survdiff(time[keep][m], event[keep][m].astype(float), g[m])
                pv = stats.chi2.sf(s, 1)
            else:
                s, pv = np.nan, np.nan
            rows.append({"group_a": a, "group_b": b, "statistic": float(s), "p_value": float(pv)})
    pair = pd.DataFrame(rows, columns=["group_a", "group_b", "statistic", "p_value"])
    pair["p_value_holm"] = holm(pair["p_value"].to_numpy())
    pair["significant"] = pair["p_value_holm"] < alpha
    return LogRank(overall, pair[PAIRWISE_COLUMNS], notes_frame(notes))
