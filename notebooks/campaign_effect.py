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
output_dir: str = ""  # folder for the run's files (recommended_contacts.csv, the summary rows); empty: write nothing
reports_dir: str = ""  # reports root with earlier months (the closed loop); empty: no earlier list

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
camp = ru.campaign_analysis(data, reports_dir=reports_dir, scores=ru.read_handoff("churn_scores", output_dir),
                            value=ru.read_handoff("clv", output_dir))
exp = ru.campaign_experiment(data)
saved = ru.write_recommended(camp, output_dir)
ru.write_summary(camp, output_dir)
ru.write_summary(exp, output_dir)
ru.title_html(data, subtitle=ru.display.campaigns.subtitle(camp))

# %% [markdown]
# ## Headline

# %%
ru.display.campaigns.headline_html(camp)

# %% [markdown]
# ## Campaigns at a glance
# Each campaign's treated customers against its randomised control group.

# %%
ru.display.campaigns.overview_html(camp)

# %%
fig, ax = plt.subplots(figsize=ru.plots.base.panel_size(camp.measured(), (11, 7)), layout="constrained")
ru.plots.campaigns.plot_forest(camp, ax=ax);

# %% [markdown]
# ## Design checks
# Checked before any effect is shown: were the groups split as intended, alike before sending, and kept apart?

# %%
ru.display.campaigns.design_html(camp)

# %% [markdown]
# ## Effects of the latest measured campaign

# %%
ru.display.campaigns.effects_html(camp)

# %% [markdown]
# ## Win-back
# Lapsed customers reached by a win-back against those held back.

# %%
ru.display.campaigns.winback_html(camp)

# %%
fig, ax = plt.subplots(figsize=ru.plots.base.panel_size(camp.winback_curves, (11, 4.5)), layout="constrained")
ru.plots.campaigns.plot_winback(camp, ax=ax);

# %% [markdown]
# ## Whom to contact next
# Which customers a contact helps, learnt from past campaigns and checked on the latest ones.

# %%
ru.display.campaigns.targeting_html(camp)

# %%
fig, ax = plt.subplots(figsize=ru.plots.base.panel_size(camp.qini_table, (10, 4.5)), layout="constrained")
ru.plots.campaigns.plot_qini(camp.targeting, ax=ax);

# %% [markdown]
# ## Recommended contacts for next month

# %%
ru.display.campaigns.recommended_html(camp)

# %% [markdown]
# ## Closed loop: last list, what we did, what happened

# %%
ru.display.campaigns.loop_html(camp)

# %% [markdown]
# ## Experiment exported as one table

# %%
ru.display.experiment.experiment_html(exp)

# %% [markdown]
# ## Data quality

# %%
ru.display.campaigns.quality_html(camp)
