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
# The share of customers who are still customers, by months since their first purchase (or signup). Recent customers count for as long as they have been followed; the numbers under the chart are the customers still followed at each point.

# %%
ru.display.survival.lifetimes_html(surv)

# %%
if ru.plots.survival.has_chart(surv, "km"):
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ru.plots.survival.plot_km(surv, ax=ax);

# %%
ru.display.survival.km_table_html(surv)

# %% [markdown]
# ### Do the groups really differ?
# Whether the gaps between the groups' curves are larger than chance would make them, for all groups together and for each pair.

# %%
ru.display.survival.logrank_html(surv)

# %% [markdown]
# ### Months as a customer within the horizon
# How many months a customer stays on average within their first months, per group, and the difference to the largest group.

# %%
ru.display.survival.rmst_html(surv)

# %% [markdown]
# ## When churn risk peaks
# Of the customers who start each month of their customer life, the share who leave during it.

# %%
if ru.plots.survival.has_chart(surv, "hazard"):
    fig, ax = plt.subplots(figsize=(11, 4))
    ru.plots.survival.plot_hazard(surv, max_months=48, ax=ax);

# %%
ru.display.survival.hazard_html(surv)

# %% [markdown]
# ## What shortens or lengthens a customer's life
# How many times as fast customers with a trait leave as comparable customers without it (above 1: faster; below 1: slower), at any point of their customer life.

# %%
if ru.plots.survival.has_chart(surv, "cox"):
    fig, ax = plt.subplots(figsize=ru.plots.survival.figure_size(surv, "cox", (11, 4)))
    ru.plots.survival.plot_forest(surv, ax=ax);

# %%
ru.display.survival.cox_html(surv)

# %% [markdown]
# ## Why customers leave (units with recorded cancellations)
# The share of customers who cancelled voluntarily or involuntarily (e.g. failed payments) by each month of their customer life, and the recorded reasons.

# %%
if ru.plots.survival.has_chart(surv, "competing"):
    fig, ax = plt.subplots(figsize=(11, 4))
    ru.plots.survival.plot_cumulative_incidence(surv, ax=ax);

# %%
ru.display.survival.competing_html(surv)

# %% [markdown]
# ## How much the churn definition matters (units with inactivity churn)
# When half of the customers have left, and the share not churned after 12 months if a customer counted as churned after 60, 90, 120 or 180 days without a purchase.

# %%
if ru.plots.survival.has_chart(surv, "sensitivity"):
    fig, ax = plt.subplots(figsize=(11, 4))
    ru.plots.survival.plot_sensitivity(surv, ax=ax);

# %%
ru.display.survival.sensitivity_html(surv)

# %% [markdown]
# ## About this analysis

# %%
ru.display.survival.about_html(surv)
