"""Retention kit: customer retention and churn analysis over CRM exports.

The public API is re-exported here; see the module docstrings for details.
"""
from __future__ import annotations

from . import cohorts, drivers, features, lifetimes, plotting_drivers, plotting_survival, survival
from .config import UnitConfig, list_units, load_config
from .contract import CONTRACT, DataQuality, UnitData, contract_frame, load_unit_data
from .display import (
    cohort_headline_html,
    group_test_html,
    recent_cohorts_html,
    definitions_html,
    headline_html,
    headline_sentences,
    kpi_table_html,
    quality_html,
    setup_notebook,
    title_html,
)
from .errors import ConfigError, DataError, RetentionError
from .kpis import headline_kpis, monthly_kpis, wilson_interval
from .plotting import (
    plot_churn_control,
    plot_churn_rate,
    plot_cohort_heatmap,
    plot_cohort_value,
    plot_customer_base,
    plot_customer_flows,
    plot_group_curves,
    plot_kpi_trend,
    plot_retention_curves,
)

__all__ = [
    "cohorts",
    "drivers",
    "features",
    "plotting_drivers",
    "lifetimes",
    "plotting_survival",
    "survival",
    "cohort_headline_html",
    "group_test_html",
    "recent_cohorts_html",
    "plot_churn_control",
    "plot_cohort_heatmap",
    "plot_cohort_value",
    "plot_group_curves",
    "plot_retention_curves",
    "CONTRACT",
    "ConfigError",
    "DataError",
    "DataQuality",
    "RetentionError",
    "UnitConfig",
    "UnitData",
    "contract_frame",
    "definitions_html",
    "headline_html",
    "headline_kpis",
    "headline_sentences",
    "kpi_table_html",
    "list_units",
    "load_config",
    "load_unit_data",
    "monthly_kpis",
    "plot_churn_rate",
    "plot_customer_base",
    "plot_customer_flows",
    "plot_kpi_trend",
    "quality_html",
    "setup_notebook",
    "title_html",
    "wilson_interval",
]
__version__ = "0.1.0"
