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
output_dir: str = ""  # folder for at_risk_customers.csv (the runner passes the unit's report folder); empty: write nothing
reports_dir: str = ""  # reports root holding earlier months, for the closed-loop check; empty: no check

# %%
import matplotlib.pyplot as plt
import retention_utils as ru
from retention_utils import drivers as drv
from retention_utils import plotting_drivers as drvplot

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
cfg = data.config
result = drv.snapshot_drivers(data) if data.kind == "snapshot" else drv.churn_drivers(data)
warning = drv.early_warning(data, result)
saved = drv.write_at_risk_list(warning, output_dir)
loop = drv.closed_loop(data, reports_dir=reports_dir)
ru.title_html(data, subtitle=drv.report_subtitle(result, cfg, has_amounts=data.has_amounts))

# %% [markdown]
# ## Headline

# %%
drv.headline_html(result, warning, loop)

# %% [markdown]
# ## What drives churn
# The drivers that move the model's predictions most on customers it never saw, with the direction of each effect from the logistic regression.

# %%
drv.drivers_html(result)

# %%
fig, axes = plt.subplots(1, 2, figsize=drvplot.panel_size(result.importance, (15, 5.5)), gridspec_kw={"wspace": 0.9})
drvplot.plot_importance(result.importance, model=result.best_model, ax=axes[0])
drvplot.plot_odds_ratios(result.odds_ratios, ax=axes[1]);

# %% [markdown]
# ### How the risk changes with the top drivers
# Average predicted churn probability when every customer's value of the driver is set to the value shown, everything else unchanged.

# %%
fig, axes = plt.subplots(1, 4, figsize=drvplot.panel_size(result.partial_dependence, (16, 3.8)), gridspec_kw={"wspace": 0.3})
drvplot.plot_partial_dependence(result.partial_dependence, axes=axes);

# %% [markdown]
# ### Why customers say they left

# %%
drv.reasons_html(result)

# %% [markdown]
# ## Model quality
# Three ways of ranking customers by risk, compared on the same test customers.

# %%
drv.model_quality_html(result)

# %% [markdown]
# ## Calibration and lift
# Left: whether a predicted 30% really means 30% of such customers churn. Right: how many churners a campaign reaches when it contacts the riskiest customers first.

# %%
fig, axes = plt.subplots(1, 2, figsize=drvplot.panel_size(result.calibration, (14, 5)))
drvplot.plot_calibration(result.calibration, ax=axes[0])
drvplot.plot_gains(result.gains, ax=axes[1]);

# %% [markdown]
# ## Risk tiers

# %%
drv.tiers_html(warning)

# %% [markdown]
# ## Targeting trade-off
# For each probability cut-off: how many customers a campaign would contact, how many of them are expected to churn without action, and how many would have stayed anyway.

# %%
drv.tradeoff_html(warning)

# %%
fig, ax = plt.subplots(figsize=drvplot.panel_size(warning.tradeoff, (12, 4.5)))
drvplot.plot_tradeoff(warning.tradeoff, ax=ax);

# %% [markdown]
# ## At-risk customers (highest value at risk first)

# %%
drv.at_risk_html(warning, show_ids=cfg.show_customer_ids, top_n=cfg.drivers.top_n, saved=saved)

# %% [markdown]
# ## Scorecard for the CRM team

# %%
drv.scorecard_html(warning)

# %% [markdown]
# ## Did last time's warning work?
# The earlier at-risk list against what happened since: churn by tier against the prediction, and how many flagged customers a retention campaign reached.

# %%
drv.closed_loop_html(loop)

# %% [markdown]
# ## About this report

# %%
drv.about_html(result, cfg)
