# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
unit: str = "retail"  # business unit, the name of a params/<unit>.yaml file
month: str = ""  # report month as YYYY-MM, empty for the last complete month in the data
params_dir: str = "../params"  # folder with defaults.yaml and one YAML file per unit
snapshot: str = ""  # folder of the validated data the runner wrote; empty: read the raw exports

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
cfg = data.config
kpis = ru.monthly_kpis(data)
headline = ru.headline_kpis(kpis)
ru.title_html(data, subtitle=f"Customer and revenue KPIs · {ru.display.amounts_text(data)}")

# %% [markdown]
# ## Headline

# %%
ru.headline_html(headline, month=data.month, currency=cfg.currency, min_customers=cfg.thresholds.min_customers)

# %% [markdown]
# ## Customers: who we keep, win and lose
# Active customers bought in the last weeks, dormant ones have not bought for a while but have not churned yet. A customer is churned after the unit's churn definition (see *About this report*).

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))
ru.plot_customer_base(kpis, ax=axes[0])
ru.plot_customer_flows(kpis, ax=axes[1])
fig.tight_layout()

# %% [markdown]
# ## Churn rate
# Share of the customers at the start of each month who churned during it; the band is the 95% interval.

# %%
fig, ax = plt.subplots(figsize=(14, 4))
ru.plot_churn_rate(kpis, min_customers=cfg.thresholds.min_customers, ax=ax);

# %% [markdown]
# ## Revenue and orders

# %%
fig, axes = plt.subplots(2, 2, figsize=(14, 8))
ru.plot_kpi_trend(kpis, "net_revenue", kind="money", currency=cfg.currency, bars=True, title="Net revenue (refunds deducted)", ylabel=f"{cfg.currency} per month", ax=axes[0, 0])
ru.plot_kpi_trend(kpis, "aov", kind="money", currency=cfg.currency, title="Average order value", ylabel=f"{cfg.currency} per order", ax=axes[0, 1])
ru.plot_kpi_trend(kpis, "revenue_per_active", kind="money", currency=cfg.currency, title="Revenue per active customer", ylabel=f"{cfg.currency} per customer", ax=axes[1, 0])
ru.plot_kpi_trend(kpis, "repurchase_rate", kind="rate", title="Repurchase rate", ylabel="active customers who bought before (%)", ax=axes[1, 1])
fig.tight_layout()

# %% [markdown]
# ## Monthly KPIs (last 13 months)

# %%
ru.kpi_table_html(kpis, currency=cfg.currency)

# %% [markdown]
# ## Data quality
# Every input row is either used or counted here with the reason it was left out.

# %%
ru.quality_html(data.quality)

# %% [markdown]
# ## About this report

# %%
ru.definitions_html(cfg, data)
