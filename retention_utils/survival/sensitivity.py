"""How much the churn definition matters: lifetimes under other inactivity thresholds."""
from __future__ import annotations

import dataclasses

import pandas as pd

from ..contract import UnitData
from ..errors import ConfigError
from .base import SENSITIVITY_DAYS
from .inputs import lifetimes
from .kaplan_meier import kaplan_meier

__all__ = ["inactivity_sensitivity"]



def inactivity_sensitivity(data: UnitData, *, thresholds: tuple[int, ...] = SENSITIVITY_DAYS,
                           months: float = 12) -> pd.DataFrame:
    """Median lifetime and survival at ``months`` under other inactivity thresholds.

    The lifetimes are recomputed with :func:`retention_utils.survival.lifetimes`
    (the shared definition, only the threshold changes; the left-truncation
    rule moves with it, so the number of customers differs slightly).

    Parameters
    ----------
    data : UnitData
        A unit with ``churn.method: inactivity``.
    thresholds : tuple of int
        Inactivity thresholds in days; the unit's own threshold is added.
    months : float
        Time of the survival column.

    Returns
    -------
    DataFrame
        ``threshold_days, configured, n_customers, n_left_truncated, n_events,
        median_months, median_ci_lower, median_ci_upper, survival_at,
        survival_ci_lower, survival_ci_upper, months``.

    Raises
    ------
    ConfigError
        If the unit's churn is explicit (there is no threshold to vary).
    """
    ch = data.config.churn
    if ch.method != "inactivity":
        raise ConfigError(f"inactivity_sensitivity: unit {data.config.unit!r} uses churn.method {ch.method!r} "
                          "(recorded cancellations), so there is no inactivity threshold to vary.")
    rows = []
    for days in sorted(set(int(d) for d in thresholds) | {ch.inactivity_days}):
        cfg = data.config.model_copy(update={"churn": ch.model_copy(update={"inactivity_days": days})})
        life = lifetimes(dataclasses.replace(data, config=cfg), attributes=False)
        km = kaplan_meier(life.table, times=(months,))
        med, at = km.medians.iloc[0], km.at_times.iloc[0]
        rows.append({"threshold_days": days, "configured": days == ch.inactivity_days,
                     "n_customers": len(life.table), "n_left_truncated": life.n_left_truncated,
                     "n_events": int(life.table["event"].sum()), "median_months": med.median_months,
                     "median_ci_lower": med.ci_lower, "median_ci_upper": med.ci_upper,
                     "survival_at": at.survival, "survival_ci_lower": at.ci_lower,
                     "survival_ci_upper": at.ci_upper, "months": float(months)})
    return pd.DataFrame(rows)
