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
output_dir: str = ""  # folder for the run's files (high_quality_customers.csv, the summary rows); empty: write nothing

# %%
import matplotlib.pyplot as plt
import retention_utils as ru

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
rfm = ru.rfm_analysis(data)
life = ru.lifecycle_analysis(data)
clv = ru.clv_analysis(data)
value = ru.value_analysis(data, clv=clv, rfm=rfm, scores=ru.read_handoff("churn_scores", output_dir))
saved = ru.write_value_lists(value, output_dir)
ru.write_summary(rfm, output_dir)
ru.write_summary(life, output_dir)
ru.write_summary(clv, output_dir)
ru.write_summary(value, output_dir)
ru.title_html(data, subtitle=ru.display.value.subtitle(clv))

# %% [markdown]
# ## Headline

# %%
ru.display.value.headline_html(value)

# %% [markdown]
# ## RFM segments
# Customers grouped by how recently, how often and how much they bought.

# %%
ru.display.value.rfm_html(rfm)

# %%
fig, ax = plt.subplots(figsize=(12, 7), layout="constrained")
ru.plots.value.plot_transitions(rfm.transitions, frm="from_segment", to="to_segment", ax=ax, title="Where last month's segments are now");

# %% [markdown]
# ## Lifecycle stages

# %%
ru.display.value.lifecycle_html(life)

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 5.5), layout="constrained")
ru.plots.value.plot_lifecycle(life, ax=axes[0])
ru.plots.value.plot_transitions(life.flows, frm="from_stage", to="to_stage", ax=axes[1], title="Where last month's customers are now");

# %% [markdown]
# ## Customer lifetime value
# What today's customers are expected to bring in margin, from a model of how they buy, spend and stay (subscriptions: how long they keep renewing).

# %%
ru.display.value.clv_html(clv)

# %% [markdown]
# ### Does the model predict well? (holdout check)

# %%
ru.display.value.holdout_html(clv)

# %%
fig, ax = plt.subplots(figsize=ru.plots.base.panel_size(clv.holdout, (10, 4)), layout="constrained")
ru.plots.value.plot_holdout(clv, ax=ax);

# %% [markdown]
# ## High-value customers at risk
# Customer value against churn risk: where the expected loss sits, and the customers to call first.

# %%
ru.display.value.at_risk_html(value)

# %% [markdown]
# ## High-quality customers
# The customers who score best on value, behaviour, satisfaction, loyalty and referrals, with the criteria each meets.

# %%
ru.display.value.screen_html(value)

# %% [markdown]
# ## Personas

# %%
ru.display.value.personas_html(value)

# %% [markdown]
# ## Cross-sell: categories bought together

# %%
ru.display.value.crosssell_html(value)
