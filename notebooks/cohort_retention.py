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
from retention_utils import cohorts

ru.setup_notebook()
data = ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)
cfg = data.config
kpis = ru.monthly_kpis(data)
spec = cfg.cohorts
result = cohorts.cohort_analysis(data, kpis, by=spec.by, period=spec.period, definition=spec.definition, max_periods=spec.max_periods, n_recent=spec.n_recent, n_trailing=spec.n_trailing, min_customers=cfg.thresholds.min_customers)
ru.title_html(data, subtitle=f"Cohort retention · {result.definition} retention by {result.period} · {ru.display.amounts_text(data)}")

# %% [markdown]
# ## Headline

# %%
ru.cohort_headline_html(result)

# %% [markdown]
# ## Cohort retention
# Each row is a group of customers acquired in the same period; each cell the share still retained that many periods later. Blank cells cannot be observed yet; cohorts too small to be reliable are greyed out.

# %%
fig, ax = plt.subplots(figsize=(14, 8))
ru.plot_cohort_heatmap(result.table, period=result.period, min_customers=cfg.thresholds.min_customers, ax=ax);

# %% [markdown]
# ## Are recent cohorts better or worse than usual?

# %%
fig, ax = plt.subplots(figsize=(14, 5))
ru.plot_retention_curves(result.table, result.pooled, n_recent=spec.n_recent, period=result.period, min_customers=cfg.thresholds.min_customers, max_periods=spec.max_periods, ax=ax);

# %%
ru.recent_cohorts_html(result)

# %% [markdown]
# ## Revenue retention
# Revenue of each cohort relative to its first period: *net* includes customers spending more (can exceed 100%), *gross* caps each customer at their first-period spend.

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 7))
ru.plot_cohort_heatmap(result.table, value="net_revenue_retention", period=result.period, min_customers=cfg.thresholds.min_customers, title="Net revenue retention (%)", ax=axes[0])
ru.plot_cohort_heatmap(result.table, value="gross_revenue_retention", period=result.period, min_customers=cfg.thresholds.min_customers, title="Gross revenue retention (%)", ax=axes[1])
fig.tight_layout()

# %%
fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_cohort_value(result.table, currency=cfg.currency, period=result.period, min_customers=cfg.thresholds.min_customers, max_periods=spec.max_periods, ax=ax);

# %% [markdown]
# ## Churn rate against its control limits
# The band is the range normal month-to-month variation explains (3 standard errors around the rate of the earlier months); a circled point is an alert.

# %%
fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_churn_control(result.control, min_customers=cfg.thresholds.min_customers, ax=ax);

# %% [markdown]
# ## Retention by customer group

# %%
curves, test = cohorts.retention_by_group(data, attribute=spec.split_by, by=result.by, period=result.period, definition=result.definition, max_periods=spec.max_periods)
fig, ax = plt.subplots(figsize=(14, 4.5))
ru.plot_group_curves(curves, attribute=spec.split_by or "", period=result.period, max_periods=spec.max_periods, min_customers=cfg.thresholds.min_customers, ax=ax)
ru.group_test_html(test, period=result.period)

# %% [markdown]
# ## Data quality

# %%
ru.quality_html(data.quality)

# %% [markdown]
# ## About this report

# %%
ru.definitions_html(cfg, data)
