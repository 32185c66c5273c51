"""What the drivers analysis found for one unit or one table: :class:`DriversResult`.

Also the empty frames a result without a model carries (so that every section renders) and
the plain-language label of a feature.
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..engine.features import FEATURES
from .labels import CutoffPlan

__all__ = ["DriversResult", "feature_label"]


def feature_label(f: str) -> str:
    """A feature's plain-language label (:data:`~retention_utils.engine.features.FEATURES`), else its name in words.

    Examples
    --------
    >>> feature_label("recency_days"), feature_label("contract_type")
    ('days since last purchase', 'contract type')
    """
    return FEATURES[f].label if f in FEATURES else f.replace("_", " ")


@dataclass(frozen=True)
class DriversResult:
    """Everything the drivers analysis found for one unit (or one table).

    Attributes
    ----------
    status : str
        ``ok``; ``too_few_churners`` (no models: the note says why);
        ``no_cutoffs`` (the data is too short for one fully observed horizon).
    design : str
        ``out_of_time`` (dated unit data) or ``stratified_cv`` (one snapshot).
    validation : str
        Plain-language description of how the models were checked.
    notes : tuple of str
        Plain-language notes for the reader (leaks excluded, samples, fallbacks).
    horizon_days : int
    plan : CutoffPlan or None
    counts : DataFrame
        ``set`` (train / evaluate / final), ``cutoffs, n_customers, n_churned, churn_rate``.
    metrics : DataFrame
        ``model, metric, value`` (metrics of :func:`classification_metrics`).
    calibration : DataFrame
        ``model`` + :func:`calibration_table` columns.
    gains : DataFrame
        ``model, share_targeted, share_captured``.
    importance : DataFrame
        ``model, feature, label, importance_mean, importance_std, rank``: drop of
        ROC AUC when the feature is shuffled (out-of-sample), over repeats.
    odds_ratios : DataFrame
        :meth:`LogitChurnModel.odds_ratios` with ``label``.
    partial_dependence : DataFrame
        ``feature, label, kind, x, level, mean_probability`` (main model).
    leakage : DataFrame
        :func:`leakage_guard` with ``excluded``: ``feature, label, single_auc,
        flagged, suspected, excluded``.
    reasons : DataFrame
        ``churn_type, churn_reason, n_churned, share`` (empty without reasons).
    best_model : str
        ``logit`` or ``hgb``: the one reaching more test churners among the riskiest 20% of the test
        customers (:data:`~retention_utils.drivers.fitting.SELECTION_METRIC`), the logistic regression
        when within a point (as good, and interpretable); "" without models. Its importance, partial
        dependence and odds ratios describe the drivers.
    beats_baseline : bool
        The best model reaches at least :data:`~retention_utils.drivers.fitting.BEAT_MARGIN` more of
        the test churners than the baseline rule; otherwise the rule scores the customers
        (:attr:`selected_model`).
    numeric, categorical : tuple of str
        Features the models use.
    models : dict
        Fitted scoring models ``baseline``, ``logit``, ``hgb`` (refitted on the
        latest cut-offs) and ``scorecard``.
    eval_predictions : DataFrame
        ``customer_id, churned, p_baseline, p_logit, p_hgb``: the out-of-sample
        predictions the metrics were computed from.
    baseline_rule : str
        The baseline rule in plain words.
    """

    status: str
    design: str
    validation: str
    notes: tuple[str, ...]
    horizon_days: int
    plan: CutoffPlan | None
    counts: pd.DataFrame
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    gains: pd.DataFrame
    importance: pd.DataFrame
    odds_ratios: pd.DataFrame
    partial_dependence: pd.DataFrame
    leakage: pd.DataFrame
    reasons: pd.DataFrame
    best_model: str = ""
    beats_baseline: bool = False
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    models: dict[str, Any] = field(default_factory=dict)
    eval_predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    baseline_rule: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def selected_model(self) -> str:
        """The ranking that scores the customers: the best model when it beats the baseline rule, else ``baseline``.

        ``baseline`` also without a fitted model (when the rule could be fitted), "" when nothing was fitted.
        """
        if self.ok and self.best_model and self.beats_baseline:
            return self.best_model
        return "baseline" if "baseline" in self.models else ""

    @property
    def selection_value(self) -> float:
        """:data:`~retention_utils.drivers.fitting.SELECTION_METRIC` of :attr:`selected_model` (NaN without a test)."""
        from .fitting import SELECTION_METRIC

        return self.metric(self.selected_model, SELECTION_METRIC) if self.ok else float("nan")

    @property
    def weak_ranking(self) -> bool:
        """True when even the selected ranking is too close to chance to single customers out.

        The riskiest 20% of the test customers hold fewer than
        :data:`~retention_utils.drivers.fitting.WEAK_LIFT` times the churners a random 20% would.
        """
        from .fitting import SELECTION_SHARE, WEAK_LIFT

        v = self.selection_value
        return bool(self.ok and v == v and v < WEAK_LIFT * SELECTION_SHARE)

    def metric(self, model: str, metric: str) -> float:
        """One metric value (NaN when absent)."""
        m = self.metrics
        v = m.loc[(m["model"] == model) & (m["metric"] == metric), "value"]
        return float(v.iloc[0]) if len(v) else float("nan")

    @property
    def suspected_leaks(self) -> pd.DataFrame:
        """Features kept in the models whose single-feature ROC AUC lies in the warning band (0.90 to 0.95).

        ``feature, label, single_auc``, highest first; empty when none.
        """
        lk = self.leakage
        if lk.empty or "suspected" not in lk:
            return pd.DataFrame(columns=["feature", "label", "single_auc"])
        return lk.loc[lk["suspected"].astype(bool), ["feature", "label", "single_auc"]].reset_index(drop=True)

    def top_drivers(self, n: int = 5) -> list[str]:
        """Features of the main model by permutation importance (highest first)."""
        imp = self.importance
        if imp.empty or not self.best_model:
            return []
        imp = imp[imp["model"] == self.best_model].sort_values("rank")
        return imp["feature"].head(n).tolist()

    def _repr_html_(self) -> str:
        # presentation is imported lazily: computation modules never import display code
        return str(importlib.import_module("retention_utils.display.drivers").drivers_html(self))


def _empty(cols: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(cols))


_EMPTY = {
    "metrics": ["model", "metric", "value"],
    "calibration": ["model", "bin", "n_customers", "mean_predicted", "observed_rate", "ci_lower", "ci_upper"],
    "gains": ["model", "share_targeted", "share_captured"],
    "importance": ["model", "feature", "label", "importance_mean", "importance_std", "rank"],
    "odds_ratios": ["term", "feature", "kind", "level", "reference", "sd", "coef", "odds_ratio", "ci_lower",
                    "ci_upper", "p_value", "label"],
    "partial_dependence": ["feature", "label", "kind", "x", "level", "mean_probability"],
    "leakage": ["feature", "label", "single_auc", "flagged", "suspected", "excluded"],
    "reasons": ["churn_type", "churn_reason", "n_churned", "share"],
    "counts": ["set", "cutoffs", "n_customers", "n_churned", "churn_rate"],
}
