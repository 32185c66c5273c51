"""Churn drivers and early warning: labels, models, validation, drivers, scorecard, at-risk list.

The questions answered here: *why* do customers leave, and *which* active customers are about
to, with reasons a CRM agent can use, and, a few months later, was the warning right?

Entry point: :func:`drivers_analysis` (``data, spec=None -> DriversAnalysis``) bundles the model
result, the early warning and the closed loop. One module per step:

* :mod:`~retention_utils.drivers.labels`: churn labels at monthly cut-offs, the cut-off plan
  (validation out of time) and the training panel; the features are
  :mod:`retention_utils.engine.features` (information dated strictly before the cut-off);
* :mod:`~retention_utils.drivers.models`: the baseline rules (:class:`ChurnRule`,
  :class:`OverdueRule`), the logistic regression (:class:`LogitChurnModel`, odds ratios with
  95% intervals) and calibrated gradient boosting (:func:`make_hgb`);
* :mod:`~retention_utils.drivers.metrics`: lift, gains, calibration, ROC/PR AUC, single-feature AUC;
* :mod:`~retention_utils.drivers.leakage`: the leakage guard and the features params leave out;
* :mod:`~retention_utils.drivers.scorecard`: the points scorecard and its score bands;
* :mod:`~retention_utils.drivers.fitting`: fitting and evaluating the models, importance, partial dependence;
* :mod:`~retention_utils.drivers.result`: :class:`DriversResult`;
* :mod:`~retention_utils.drivers.analysis`: :func:`churn_drivers` (a unit, out of time) and the entry point;
* :mod:`~retention_utils.drivers.tables`: :func:`drivers_from_table` (one row per customer,
  cross-validated) and :func:`snapshot_drivers`;
* :mod:`~retention_utils.drivers.warning`: :func:`early_warning`, tiers, reasons, trade-off,
  :func:`write_at_risk_list`;
* :mod:`~retention_utils.drivers.closed_loop`: an earlier list against what happened.

Presentation lives apart: :mod:`retention_utils.display.drivers` (HTML and plain-language
sentences) and :mod:`retention_utils.plots.drivers` (charts); nothing here imports them.
"""
from __future__ import annotations

from .analysis import DriversAnalysis, churn_drivers, drivers_analysis
from .closed_loop import ClosedLoop, closed_loop
from .fitting import BEAT_MARGIN
from .labels import CutoffPlan, churn_labels, plan_cutoffs, training_panel
from .leakage import LEAKAGE_AUC, LEAKAGE_WARN_AUC, leakage_guard
from .metrics import (
    calibration_table,
    classification_metrics,
    gains_table,
    lift_table,
    single_feature_auc,
)
from .models import ChurnRule, LogitChurnModel, OverdueRule, make_hgb
from .result import DriversResult
from .scorecard import PointsScorecard
from .tables import drivers_from_table, snapshot_drivers
from .warning import (
    AT_RISK_FILE,
    TIER_ORDER,
    EarlyWarning,
    early_warning,
    reason_phrase,
    tradeoff_table,
    write_at_risk_list,
)

__all__ = [
    "drivers_analysis",
    "DriversAnalysis",
    "BEAT_MARGIN",
    "LEAKAGE_AUC",
    "LEAKAGE_WARN_AUC",
    "AT_RISK_FILE",
    "TIER_ORDER",
    "CutoffPlan",
    "plan_cutoffs",
    "churn_labels",
    "training_panel",
    "ChurnRule",
    "OverdueRule",
    "LogitChurnModel",
    "make_hgb",
    "PointsScorecard",
    "leakage_guard",
    "single_feature_auc",
    "classification_metrics",
    "lift_table",
    "calibration_table",
    "gains_table",
    "DriversResult",
    "churn_drivers",
    "drivers_from_table",
    "snapshot_drivers",
    "EarlyWarning",
    "early_warning",
    "reason_phrase",
    "tradeoff_table",
    "write_at_risk_list",
    "ClosedLoop",
    "closed_loop",
]
