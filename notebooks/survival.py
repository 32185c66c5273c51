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

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
surv = ru.survival_analysis(data)
ru.write_summary(surv, output_dir)
ru.title_html(data, subtitle="How long customers stay, when churn risk peaks, and what changes it · time in months")

# %% [markdown]
# ## Headline

# %%
ru.display.survival.headline_html(surv)

# %% [markdown]
# ## How long customers stay
# Share of customers still active by months since the start of their life (Kaplan-Meier). Customers who are still active count until today and may churn later. Bands are 95% intervals; the numbers under the chart are the customers still followed at each point.

# %%
fig, ax = plt.subplots(figsize=(12, 5.5))
ru.plots.survival.plot_km(surv, ax=ax);

# %%
ru.display.survival.km_table_html(surv)

# %% [markdown]
# ### Are the differences between groups real?
# Log-rank test across all groups, then each pair of groups (p-values corrected for the number of pairs, Holm).

# %%
ru.display.survival.logrank_html(surv)

# %% [markdown]
# ### Expected months of customer life within the horizon
# Average months a customer stays active within the first months after the start (restricted mean survival time), per group, with the difference to the largest group.

# %%
ru.display.survival.rmst_html(surv)

# %% [markdown]
# ## When churn risk peaks
# Of the customers active at the start of each month of their life, the share who churn during it (life table).

# %%
fig, ax = plt.subplots(figsize=(11, 4))
ru.plots.survival.plot_hazard(surv, max_months=48, ax=ax);

# %%
ru.display.survival.hazard_html(surv)

# %% [markdown]
# ## What shortens or lengthens a customer's life
# Hazard ratios from a Cox model: how much faster (above 1) or slower (below 1) customers with a trait churn than comparable customers without it, at any tenure.

# %%
fig, ax = plt.subplots(figsize=ru.plots.survival.figure_size(surv, "cox", (11, 4)))
ru.plots.survival.plot_forest(surv, ax=ax);

# %%
ru.display.survival.cox_html(surv)

# %% [markdown]
# ## Why customers leave (units with recorded cancellations)
# Cumulative share of customers who cancelled voluntarily or involuntarily (e.g. failed payments), treating the two as competing causes, and the recorded reasons.

# %%
fig, ax = plt.subplots(figsize=ru.plots.survival.figure_size(surv, "competing", (11, 4)))
ru.plots.survival.plot_cumulative_incidence(surv, ax=ax);

# %%
ru.display.survival.competing_html(surv)

# %% [markdown]
# ## How much the churn definition matters (units with inactivity churn)
# Median lifetime and share still active after 12 months if a customer counted as churned after 60, 90, 120 or 180 days without a purchase.

# %%
fig, ax = plt.subplots(figsize=ru.plots.survival.figure_size(surv, "sensitivity", (11, 4)))
ru.plots.survival.plot_sensitivity(surv, ax=ax);

# %%
ru.display.survival.sensitivity_html(surv)

# %% [markdown]
# ## About this analysis

# %%
ru.display.survival.about_html(surv)
