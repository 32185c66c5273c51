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
output_dir: str = ""  # folder for the run's files (at_risk_customers.csv, the summary rows); empty: write nothing
reports_dir: str = ""  # reports root holding earlier months, for the closed-loop check; empty: no check

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
drv = ru.drivers_analysis(data, reports_dir=reports_dir)
saved = ru.write_at_risk_list(drv, output_dir)
ru.write_summary(drv, output_dir)
ru.title_html(data, subtitle=ru.display.drivers.report_subtitle(drv))

# %% [markdown]
# ## Headline

# %%
ru.display.drivers.headline_html(drv)

# %% [markdown]
# ## What drives churn
# The factors that go with leaving, strongest first, and which way each one works.

# %%
ru.display.drivers.drivers_html(drv)

# %%
fig, axes = plt.subplots(2, 1, figsize=ru.plots.base.panel_size(drv.drivers.importance, (11, 10)), layout="constrained")
ru.plots.drivers.plot_importance(drv, ax=axes[0])
ru.plots.drivers.plot_odds_ratios(drv, ax=axes[1]);

# %% [markdown]
# ### How the risk changes with the top drivers

# %%
ru.display.drivers.dependence_html(drv)

# %%
fig, axes = plt.subplots(1, 4, figsize=ru.plots.base.panel_size(drv.drivers.partial_dependence, (16, 4)), layout="constrained")
ru.plots.drivers.plot_partial_dependence_panels(drv, axes=axes);

# %% [markdown]
# ### Why customers say they left

# %%
ru.display.drivers.reasons_html(drv)

# %% [markdown]
# ## Model quality
# Three ways of ranking customers by risk, compared on the same test customers by one criterion: how many of the customers who left are among the riskiest 20%.

# %%
ru.display.drivers.model_quality_html(drv)

# %% [markdown]
# ## Are the predictions right?

# %%
ru.display.drivers.checks_html(drv)

# %%
fig, axes = plt.subplots(1, 2, figsize=ru.plots.base.panel_size(drv.drivers.calibration, (14, 5)), layout="constrained")
ru.plots.drivers.plot_calibration(drv, ax=axes[0])
ru.plots.drivers.plot_gains(drv, ax=axes[1]);

# %% [markdown]
# ## Risk tiers

# %%
ru.display.drivers.tiers_html(drv)

# %% [markdown]
# ## Targeting trade-off
# For each cut-off of the chance of leaving: how many customers a campaign would contact, how many of them are expected to leave without action, and how many would have stayed anyway.

# %%
ru.display.drivers.tradeoff_html(drv)

# %%
fig, ax = plt.subplots(figsize=ru.plots.base.panel_size(drv.warning.tradeoff, (12, 4.5)), layout="constrained")
ru.plots.drivers.plot_tradeoff(drv, ax=ax);

# %% [markdown]
# ## At-risk customers (highest expected loss first)

# %%
ru.display.drivers.at_risk_html(drv, saved=saved)

# %% [markdown]
# ## Scorecard for the CRM team

# %%
ru.display.drivers.scorecard_html(drv)

# %% [markdown]
# ## Did last time's warning work?
# The earlier at-risk list against what happened since: leaving by tier against the prediction, and how many flagged customers a retention campaign reached.

# %%
ru.display.drivers.closed_loop_html(drv)

# %% [markdown]
# ## About this report

# %%
ru.display.drivers.about_html(drv)
