"""Did the retention actions work? Campaign effects against control groups, uplift targeting, win-back.

One module per step: ``effects`` (effect estimates with intervals), ``design`` (checks before any effect is
shown), ``uplift`` (whom to contact next), ``analysis`` (the report's analysis).
"""
from __future__ import annotations

from .analysis import CampaignAnalysis, campaign_analysis
from .targeting import Targeting, write_recommended

__all__ = ["CampaignAnalysis", "campaign_analysis", "Targeting", "write_recommended"]
