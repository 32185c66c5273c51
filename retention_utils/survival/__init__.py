"""Survival analysis of customer lifetimes: how long customers stay, when risk peaks, and why.

One module per model, as lifelines keeps them (computation only; presentation is
:mod:`retention_utils.display.survival` and :mod:`retention_utils.plots.survival`):

* :mod:`~.base`: settings and conventions shared by every model (rare levels, too few events);
* :mod:`~.inputs`: the lifetimes table (order history or snapshot) and the early-life features;
* :mod:`~.kaplan_meier`: survival curves, medians, numbers at risk;
* :mod:`~.logrank`: log-rank tests across and between groups;
* :mod:`~.hazard`: life table, the churn risk per month of the customer life;
* :mod:`~.cox`: Cox proportional hazards (hazard ratios, proportional-hazards check);
* :mod:`~.rmst`: restricted mean survival time;
* :mod:`~.competing`: competing risks (voluntary vs involuntary churn) and churn reasons;
* :mod:`~.sensitivity`: the inactivity threshold varied;
* :mod:`~.analysis`: :func:`survival_analysis`, the entry point, and :class:`SurvivalAnalysis`.

Every estimate is computed with statsmodels' survival tools (``SurvfuncRight``, ``survdiff``,
``PHReg`` with Efron ties, ``CumIncidenceRight``) on the lifetimes of :func:`lifetimes`, the kit's
single churn definition. Time is in months (days / 30.4375, :data:`retention_utils.calendar.DAYS_PER_MONTH`)
from the start of a customer's life (signup, or first purchase under the inactivity definition).
"""
from __future__ import annotations

from .analysis import SurvivalAnalysis, snapshot_survival, survival_analysis
from .base import (
    ALL,
    DERIVED_FEATURES,
    EVENTS_PER_TERM,
    MIN_EVENTS,
    MISSING,
    OTHER,
    RIDGE_PENALTY,
    SENSITIVITY_DAYS,
    TIMES,
)
from .competing import CompetingRisks, competing_risks
from .cox import CoxResult, cox_hazard_ratios, term_label
from .hazard import hazard_by_tenure
from .inputs import (
    Lifetimes,
    add_early_features,
    lifetimes,
    lifetimes_from_snapshot,
    snapshot_lifetimes,
)
from .kaplan_meier import KaplanMeier, kaplan_meier
from .logrank import LogRank, logrank
from .rmst import RMST, rmst
from .sensitivity import inactivity_sensitivity

__all__ = [
    "TIMES",
    "SENSITIVITY_DAYS",
    "MIN_EVENTS",
    "EVENTS_PER_TERM",
    "RIDGE_PENALTY",
    "OTHER",
    "MISSING",
    "ALL",
    "DERIVED_FEATURES",
    "Lifetimes",
    "KaplanMeier",
    "LogRank",
    "CoxResult",
    "RMST",
    "CompetingRisks",
    "SurvivalAnalysis",
    "lifetimes",
    "add_early_features",
    "lifetimes_from_snapshot",
    "snapshot_lifetimes",
    "kaplan_meier",
    "logrank",
    "hazard_by_tenure",
    "cox_hazard_ratios",
    "term_label",
    "rmst",
    "competing_risks",
    "inactivity_sensitivity",
    "survival_analysis",
    "snapshot_survival",
]
