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
output_dir: str = ""  # folder for the run's files (the summary rows); empty: write nothing
reports_dir: str = ""  # reports root (its KPI ledger: the numbers earlier runs reported); empty: none

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
kpis = ru.kpi_analysis(data)
ru.write_summary(kpis, output_dir)
ru.title_html(data, subtitle=f"Customer and revenue KPIs · {ru.amounts_text(data)}")

# %% [markdown]
# ## Headline

# %%
ru.display.kpis.headline_html(kpis)

# %% [markdown]
# ## Customers: who we keep, win and lose
# The customers at the end of each month, split into those active at month end (bought recently) and those dormant at month end (no recent purchase, not churned yet); and the customers won (new, reactivated) and lost (churned) each month. How long "recently" is and when a customer counts as churned: see *About this report*.

# %%
fig, axes = plt.subplots(2, 1, figsize=(14, 8))
ru.plots.kpis.plot_customer_base(kpis, ax=axes[0])
ru.plots.kpis.plot_customer_flows(kpis, ax=axes[1])
fig.tight_layout()

# %% [markdown]
# ## Monthly churn rate
# Of the customers at the start of each month, the share who churned during it; the band is the range the true rate lies in (95% interval).

# %%
fig, ax = plt.subplots(figsize=ru.plots.kpis.figure_size(kpis, "churn_rate", (14, 4)))
ru.plots.kpis.plot_churn_rate(kpis, ax=ax)
ledger = ru.read_ledger(reports_dir) if reports_dir else None  # what each month's own run reported
revised = ru.plots.ledger.mark_reported(ax, ledger, unit, kpis.monthly, "churn_rate", scale=100)
fig.tight_layout()
ru.display.HTML(str(ru.display.kpis.churn_rate_html(kpis)) + ru.display.executive.revised_html(revised, "Monthly churn rate"))

# %% [markdown]
# ## Revenue and orders

# %%
fig, axes = plt.subplots(2, 2, figsize=(14, 8))
ru.plots.kpis.plot_revenue_panels(kpis, axes=axes)
fig.tight_layout()

# %% [markdown]
# ## Monthly KPIs (last 13 months)

# %%
ru.display.kpis.kpi_table_html(kpis)

# %% [markdown]
# ## Data quality
# Every input row is either used or counted here with the reason it was left out.

# %%
ru.quality_html(data.quality)

# %% [markdown]
# ## About this report

# %%
ru.definitions_html(data.config, data)
