"""Cells of notebooks/kpi_overview.ipynb: (kind, source, *tags)."""
from common import LOAD, PARAMS

CELLS = [
    ("code", PARAMS, "parameters"),
    ("code", '''import matplotlib.pyplot as plt
import retention_utils as ru

''' + LOAD + '''
kpis = ru.monthly_kpis(data)
headline = ru.headline_kpis(kpis)
ru.title_html(data, subtitle=f"Customer and revenue KPIs · {ru.display.amounts_text(data)}")'''),
    ("markdown", "## Headline"),
    ("code", "ru.headline_html(headline, month=data.month, currency=cfg.currency, min_customers=cfg.thresholds.min_customers)"),
    ("markdown", "## Customers: who we keep, win and lose\n"
     "Active customers bought in the last weeks, dormant ones have not bought for a while but have not churned yet. "
     "A customer is churned after the unit's churn definition (see *About this report*)."),
    ("code", '''fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))
ru.plot_customer_base(kpis, ax=axes[0])
ru.plot_customer_flows(kpis, ax=axes[1])
fig.tight_layout()'''),
    ("markdown", "## Churn rate\nShare of the customers at the start of each month who churned during it; "
     "the band is the 95% interval."),
    ("code", '''fig, ax = plt.subplots(figsize=(14, 4))
ru.plot_churn_rate(kpis, min_customers=cfg.thresholds.min_customers, ax=ax);'''),
    ("markdown", "## Revenue and orders"),
    ("code", '''fig, axes = plt.subplots(2, 2, figsize=(14, 8))
ru.plot_kpi_trend(kpis, "net_revenue", kind="money", currency=cfg.currency, bars=True, title="Net revenue (refunds deducted)", ylabel=f"{cfg.currency} per month", ax=axes[0, 0])
ru.plot_kpi_trend(kpis, "aov", kind="money", currency=cfg.currency, title="Average order value", ylabel=f"{cfg.currency} per order", ax=axes[0, 1])
ru.plot_kpi_trend(kpis, "revenue_per_active", kind="money", currency=cfg.currency, title="Revenue per active customer", ylabel=f"{cfg.currency} per customer", ax=axes[1, 0])
ru.plot_kpi_trend(kpis, "repurchase_rate", kind="rate", title="Repurchase rate", ylabel="active customers who bought before (%)", ax=axes[1, 1])
fig.tight_layout()'''),
    ("markdown", "## Monthly KPIs (last 13 months)"),
    ("code", "ru.kpi_table_html(kpis, currency=cfg.currency)"),
    ("markdown", "## Data quality\nEvery input row is either used or counted here with the reason it was left out."),
    ("code", "ru.quality_html(data.quality)"),
    ("markdown", "## About this report"),
    ("code", "ru.definitions_html(cfg, data)"),
]
