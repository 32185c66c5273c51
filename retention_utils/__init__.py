"""Retention kit: customer retention and churn analysis over CRM exports.

One import serves a notebook (``import retention_utils as ru``):

* open a unit: :func:`open_unit` (validated data and config), :func:`load_config`, :func:`load_unit_data`;
* analyses, each ``x_analysis(data, spec=None) -> XResult`` with ``summary_frame()`` and ``notes``:
  :func:`kpi_analysis`, :func:`cohort_analysis`, :func:`survival_analysis`, :func:`drivers_analysis`,
  :func:`rfm_analysis`, :func:`lifecycle_analysis`, :func:`clv_analysis`, :func:`value_analysis`;
* presentation: :mod:`ru.display <retention_utils.display>` (one module per analysis, e.g.
  ``ru.display.kpis.headline_html``) and :mod:`ru.plots <retention_utils.plots>` (e.g.
  ``ru.plots.kpis.plot_churn_rate``); :func:`title_html`, :func:`quality_html`, :func:`setup_notebook`;
* :func:`write_summary` hands a result's headline rows to the runner.

See README "How the code is organised" for where each kind of code lives.
"""
from __future__ import annotations

from . import calendar, clv, cohorts, display, drivers, engine, kpis, ledger, plots, results, samples, stats, survival, vocabulary
from .cohorts import CohortResult, cohort_analysis
from .config import UnitConfig, list_units, load_config
from .contract import CONTRACT, DataQuality, UnitData, contract_frame, load_unit_data
from .display import amounts_text, definitions_html, quality_html, setup_notebook, title_html
from .drivers import DriversAnalysis, drivers_analysis, write_at_risk_list
from .errors import ConfigError, DataError, RetentionError
from .kpis import KpiResult, headline_kpis, kpi_analysis, monthly_kpis
from .ledger import read_ledger
from .clv.analysis import ClvResult, clv_analysis
from .campaigns import CampaignAnalysis, campaign_analysis, campaign_experiment, write_recommended
from .segments import LifecycleResult, RfmResult, lifecycle_analysis, rfm_analysis
from .value import ValueResult, value_analysis, write_value_lists
from .results import read_handoff
from .results import SUMMARY_COLUMNS, AnalysisResult, write_summary
from .stats import wilson_interval
from .survival import SurvivalAnalysis, survival_analysis
from .unit import open_unit

__all__ = ["CampaignAnalysis", "campaign_analysis", "campaign_experiment", "write_recommended", "campaigns", "ledger", "read_ledger", "samples", "vocabulary", "clv", "ClvResult", "clv_analysis", "LifecycleResult",
    "RfmResult", "lifecycle_analysis", "rfm_analysis", "ValueResult", "value_analysis", "write_value_lists", "read_handoff",
    "calendar",
    "cohorts",
    "display",
    "drivers",
    "engine",
    "kpis",
    "plots",
    "results",
    "stats",
    "survival",
    "AnalysisResult",
    "CONTRACT",
    "CohortResult",
    "ConfigError",
    "DataError",
    "DataQuality",
    "DriversAnalysis",
    "KpiResult",
    "RetentionError",
    "SUMMARY_COLUMNS",
    "SurvivalAnalysis",
    "UnitConfig",
    "UnitData",
    "amounts_text",
    "cohort_analysis",
    "contract_frame",
    "definitions_html",
    "drivers_analysis",
    "headline_kpis",
    "kpi_analysis",
    "list_units",
    "load_config",
    "load_unit_data",
    "monthly_kpis",
    "open_unit",
    "quality_html",
    "setup_notebook",
    "survival_analysis",
    "title_html",
    "wilson_interval",
    "write_at_risk_list",
    "write_summary",
]
__version__ = "0.1.0"
