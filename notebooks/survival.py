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
from retention_utils import plotting_survival as svp
from retention_utils import survival as sv

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
cfg = data.config
surv = sv.snapshot_survival(data) if data.kind == "snapshot" else sv.survival_analysis(data)
ru.title_html(data, subtitle="How long customers stay, when churn risk peaks, and what changes it · time in months")

# %% [markdown]
# ## Headline

# %%
sv.headline_html(surv)

# %% [markdown]
# ## How long customers stay
# Share of customers still active by months since the start of their life (Kaplan-Meier). Customers who are still active count until today and may churn later. Bands are 95% intervals; the numbers under the chart are the customers still followed at each point.

# %%
fig, ax = plt.subplots(figsize=(12, 5.5))
svp.plot_km(surv.km, ax=ax);

# %%
sv.km_table_html(surv.km)

# %% [markdown]
# ### Are the differences between groups real?
# Log-rank test across all groups, then each pair of groups (p-values corrected for the number of pairs, Holm).

# %%
sv.logrank_html(surv.logrank)

# %% [markdown]
# ### Expected months of customer life within the horizon
# Average months a customer stays active within the first months after the start (restricted mean survival time), per group, with the difference to the largest group.

# %%
sv.rmst_html(surv.rmst)

# %% [markdown]
# ## When churn risk peaks
# Of the customers active at the start of each month of their life, the share who churn during it (life table).

# %%
svp.plot_hazard(surv.hazard, max_months=48);

# %%
sv.hazard_html(surv)

# %% [markdown]
# ## What shortens or lengthens a customer's life
# Hazard ratios from a Cox model: how much faster (above 1) or slower (below 1) customers with a trait churn than comparable customers without it, at any tenure.

# %%
svp.plot_forest(surv.cox);

# %%
sv.cox_html(surv.cox)

# %% [markdown]
# ## Why customers leave (units with recorded cancellations)
# Cumulative share of customers who cancelled voluntarily or involuntarily (e.g. failed payments), treating the two as competing causes, and the recorded reasons.

# %%
svp.plot_cumulative_incidence(surv.competing);

# %%
sv.competing_html(surv)

# %% [markdown]
# ## How much the churn definition matters (units with inactivity churn)
# Median lifetime and share still active after 12 months if a customer counted as churned after 60, 90, 120 or 180 days without a purchase.

# %%
svp.plot_sensitivity(surv.sensitivity);

# %%
sv.sensitivity_html(surv)

# %% [markdown]
# ## About this analysis

# %%
sv.about_html(surv)
