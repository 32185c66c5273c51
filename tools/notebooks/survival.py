"""Cells of notebooks/survival.ipynb: (kind, source, *tags)."""
from common import LOAD, PARAMS

CELLS = [
    ("code", PARAMS, "parameters"),
    ("code", '''import matplotlib.pyplot as plt
import retention_utils as ru
from retention_utils import plotting_survival as svp
from retention_utils import survival as sv

''' + LOAD + '''
surv = sv.snapshot_survival(data) if data.kind == "snapshot" else sv.survival_analysis(data)
ru.title_html(data, subtitle="How long customers stay, when churn risk peaks, and what changes it · time in months")'''),
    ("markdown", "## Headline"),
    ("code", "sv.headline_html(surv)"),
    ("markdown", "## How long customers stay\n"
     "Share of customers still active by months since the start of their life (Kaplan-Meier). Customers who are "
     "still active count until today and may churn later. Bands are 95% intervals; the numbers under the chart are "
     "the customers still followed at each point."),
    ("code", '''fig, ax = plt.subplots(figsize=(12, 5.5))
svp.plot_km(surv.km, ax=ax);'''),
    ("code", "sv.km_table_html(surv.km)"),
    ("markdown", "### Are the differences between groups real?\n"
     "Log-rank test across all groups, then each pair of groups (p-values corrected for the number of pairs, Holm)."),
    ("code", "sv.logrank_html(surv.logrank)"),
    ("markdown", "### Expected months of customer life within the horizon\n"
     "Average months a customer stays active within the first months after the start (restricted mean survival "
     "time), per group, with the difference to the largest group."),
    ("code", "sv.rmst_html(surv.rmst)"),
    ("markdown", "## When churn risk peaks\n"
     "Of the customers active at the start of each month of their life, the share who churn during it (life table)."),
    ("code", "svp.plot_hazard(surv.hazard, max_months=48);"),
    ("code", "sv.hazard_html(surv)"),
    ("markdown", "## What shortens or lengthens a customer's life\n"
     "Hazard ratios from a Cox model: how much faster (above 1) or slower (below 1) customers with a trait churn "
     "than comparable customers without it, at any tenure."),
    ("code", "svp.plot_forest(surv.cox);"),
    ("code", "sv.cox_html(surv.cox)"),
    ("markdown", "## Why customers leave (units with recorded cancellations)\n"
     "Cumulative share of customers who cancelled voluntarily or involuntarily (e.g. failed payments), treating "
     "the two as competing causes, and the recorded reasons."),
    ("code", "svp.plot_cumulative_incidence(surv.competing);"),
    ("code", "sv.competing_html(surv)"),
    ("markdown", "## How much the churn definition matters (units with inactivity churn)\n"
     "Median lifetime and share still active after 12 months if a customer counted as churned after 60, 90, 120 "
     "or 180 days without a purchase."),
    ("code", "svp.plot_sensitivity(surv.sensitivity);"),
    ("code", "sv.sensitivity_html(surv)"),
    ("markdown", "## About this analysis"),
    ("code", "sv.about_html(surv)"),
]
