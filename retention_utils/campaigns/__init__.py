"""Did the retention actions work? Campaign effects against control groups, uplift targeting, win-back.

One module per step: ``effects`` (effect estimates with intervals), ``design`` (checks before any effect is
shown), ``uplift`` (whom to contact next), ``analysis`` (the report's analysis).
"""
from __future__ import annotations

from .analysis import CampaignAnalysis, campaign_analysis, campaign_experiment
from .experiment import ExperimentResult, experiment_analysis, read_experiment, validate_experiment
from .targeting import Targeting, write_recommended

__all__ = ["CampaignAnalysis", "campaign_analysis", "campaign_experiment", "ExperimentResult", "experiment_analysis",
           "read_experiment", "validate_experiment", "Targeting", "write_recommended"]
