"""Cells of notebooks/cohort_retention.ipynb: (kind, source, *tags)."""
from common import LOAD, PARAMS

CELLS = [
    ("code", PARAMS, "parameters"),
    ("code", '''import matplotlib.pyplot as plt
import retention_utils as ru
from retention_utils import cohorts

''' + LOAD + '''
kpis = ru.monthly_kpis(data)
spec = cfg.cohorts
result = cohorts.cohort_analysis(data, kpis, by=spec.by, period=spec.period, definition=spec.definition, max_periods=spec.max_periods, n_recent=spec.n_recent, n_trailing=spec.n_trailing, min_customers=cfg.thresholds.min_customers)
ru.title_html(data, subtitle=f"Cohort retention · {result.definition} retention by {result.period} · {ru.display.amounts_text(data)}")'''),
    ("markdown", "## Headline"),
    ("code", "ru.cohort_headline_html(result)"),
    ("markdown", "## Cohort retention\nEach row is a group of customers acquired in the same period; each cell the share "
     "still retained that many periods later. Blank cells cannot be observed yet; cohorts too small to be reliable "
     "are greyed out."),
    ("code", '''fig, ax = plt.subplots(figsize=(14, 8))
ru.plot_cohort_heatmap(result.table, period=result.period, min_customers=cfg.thresholds.min_customers, ax=ax);'''),
    ("markdown", "## Are recent cohorts better or worse than usual?"),
    ("code", '''fig, ax = plt.subplots(figsize=(14, 5))
ru.plot_retention_curves(result.table, result.pooled, n_recent=spec.n_recent, period=result.period, min_customers=cfg.thresholds.min_customers, max_periods=spec.max_periods, ax=ax);'''),
    ("code", "ru.recent_cohorts_html(result)"),
    ("markdown", "## Revenue retention\nRevenue of each cohort relative to its first period: *net* includes customers "
     "spending more (can exceed 100%), *gross* caps each customer at their first-period spend."),
    ("code", '''fig, axes = plt.subplots(1, 2, figsize=(16, 7))
ru.plot_cohort_heatmap(result.table, value="net_revenue_retention", period=result.period, min_customers=cfg.thresholds.min_customers, title="Net revenue retention (%)", ax=axes[0])
ru.plot_cohort_heatmap(result.table, value="gross_revenue_retention", period=result.period, min_customers=cfg.thresholds.min_customers, title="Gross revenue retention (%)", ax=axes[1])
fig.tight_layout()'''),
    ("code", '''fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_cohort_value(result.table, currency=cfg.currency, period=result.period, min_customers=cfg.thresholds.min_customers, max_periods=spec.max_periods, ax=ax);'''),
    ("markdown", "## Churn rate against its control limits\nThe band is the range normal month-to-month variation "
     "explains (3 standard errors around the rate of the earlier months); a circled point is an alert."),
    ("code", '''fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_churn_control(result.control, min_customers=cfg.thresholds.min_customers, ax=ax);'''),
    ("markdown", "## Retention by customer group"),
    ("code", '''curves, test = cohorts.retention_by_group(data, attribute=spec.split_by, by=result.by, period=result.period, definition=result.definition, max_periods=spec.max_periods)
fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_group_curves(curves, attribute=spec.split_by or "", period=result.period, max_periods=spec.max_periods, min_customers=cfg.thresholds.min_customers, ax=ax)
ru.group_test_html(test, period=result.period)'''),
    ("markdown", "## Data quality"),
    ("code", "ru.quality_html(data.quality)"),
    ("markdown", "## About this report"),
    ("code", "ru.definitions_html(cfg, data)"),
]
