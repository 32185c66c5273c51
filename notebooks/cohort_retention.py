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
cohorts = ru.cohort_analysis(data)
ru.write_summary(cohorts, output_dir)
ru.title_html(data, subtitle=ru.display.cohorts.subtitle(cohorts, data))

# %% [markdown]
# ## Headline

# %%
ru.display.cohorts.headline_html(cohorts)

# %% [markdown]
# ## Cohort retention
# Each row is a cohort: the customers who joined in the same month. Each cell is the share named in the chart's title, that many months after joining; blank cells cannot be observed yet. Cohorts too small to be reliable are left out.

# %%
fig, ax = plt.subplots(figsize=ru.plots.cohorts.figure_size(cohorts, "heatmap", (14, 8)))
ru.plots.cohorts.plot_cohort_heatmap(cohorts, ax=ax)
fig.tight_layout()
ru.display.cohorts.section_html(cohorts, "heatmap")

# %% [markdown]
# ## Are recent cohorts better or worse than usual?

# %%
fig, ax = plt.subplots(figsize=ru.plots.cohorts.figure_size(cohorts, "curves", (14, 5)))
ru.plots.cohorts.plot_retention_curves(cohorts, ax=ax)
fig.tight_layout()
ru.display.cohorts.section_html(cohorts, "curves")

# %%
ru.display.cohorts.recent_cohorts_html(cohorts)

# %% [markdown]
# ## Revenue retention
# Revenue of each cohort relative to its first month: *net* includes customers spending more (can exceed 100%), *gross* caps each customer at their first-month spend. Below: revenue per acquired customer, added up month by month (the cohort's value).

# %%
fig, axes = plt.subplot_mosaic([["net", "gross"], ["value", "value"]], figsize=ru.plots.cohorts.figure_size(cohorts, "revenue", (16, 11.5)), height_ratios=[1.55, 1])
ru.plots.cohorts.plot_cohort_heatmap(cohorts, value="net_revenue_retention", title="Net revenue retention (%)", ax=axes["net"])
ru.plots.cohorts.plot_cohort_heatmap(cohorts, value="gross_revenue_retention", title="Gross revenue retention (%)", ax=axes["gross"])
ru.plots.cohorts.plot_cohort_value(cohorts, ax=axes["value"])
fig.tight_layout()
ru.display.cohorts.section_html(cohorts, "value")

# %% [markdown]
# ## Churn rate against its usual range
# The band is the range normal month-to-month variation explains around the churn rate of the earlier months. A red ring marks a month with unusually high churn (an alarm), a green square one with unusually low churn (good news).

# %%
fig, ax = plt.subplots(figsize=ru.plots.cohorts.figure_size(cohorts, "control", (14, 4.5)))
ru.plots.cohorts.plot_churn_control(cohorts, ax=ax)
fig.tight_layout()
ru.display.cohorts.section_html(cohorts, "control")

# %% [markdown]
# ## Retention by customer group

# %%
fig, ax = plt.subplots(figsize=ru.plots.cohorts.figure_size(cohorts, "groups", (14, 4.5)))
ru.plots.cohorts.plot_group_curves(cohorts, ax=ax)
fig.tight_layout()

# %%
ru.display.cohorts.group_test_html(cohorts)

# %% [markdown]
# ## Data quality

# %%
ru.quality_html(data.quality)

# %% [markdown]
# ## About this report

# %%
ru.definitions_html(data.config, data)
