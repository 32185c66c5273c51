"""Did the retention actions work? :func:`campaign_analysis`, the campaign report's analysis.

Per campaign (rules in :mod:`retention_utils.campaigns.contacts`): design checks first (sample ratio,
balance, contamination, minimum detectable effect); then, for a retention campaign with a control
group, the effects with 95% intervals (:mod:`~retention_utils.campaigns.effects`): retention at each
window, churn within the horizon, purchases and revenue per customer (CUPED on the pre-period revenue),
the churn hazard ratio, days of customer life gained (RMST), customers saved, incremental revenue and the
payback (incremental margin / cost). A win-back is measured by reactivation. A campaign without a
control group gets a sentence and no numbers. Whom to contact next comes from
:mod:`~retention_utils.campaigns.targeting`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..results import AnalysisResult, notes_frame, summary_rows
from .contacts import CampaignData, campaign_contacts, campaign_table
from .effects import Effect, effects_frame, hazard_ratio, mean_effect, proportion_effect, rmst_difference

__all__ = ["CampaignAnalysis", "campaign_analysis", "campaign_effects", "winback_effects", "campaign_experiment"]


@dataclass(frozen=True)
class CampaignAnalysis(AnalysisResult):
    """Campaign effects of a unit (:func:`campaign_analysis`).

    Attributes
    ----------
    campaigns : DataFrame
        :func:`~retention_utils.campaigns.contacts.campaign_table` plus ``status`` (``measured``,
        ``no_control``, ``broken`` (sample-ratio mismatch or imbalance), ``too_small``, ``not_yet``
        (horizon not elapsed)), ``customers_saved``, ``saved_lower``, ``saved_upper``,
        ``incremental_revenue``, ``revenue_lower``, ``revenue_upper``, ``payback``, ``payback_lower``,
        ``payback_upper`` and ``verdict`` (one plain sentence).
    effects : DataFrame
        ``campaign_id, segment_by, segment`` (``all`` for the whole campaign) and the
        :class:`~retention_utils.campaigns.effects.Effect` columns.
    balance : DataFrame
        Standardised mean differences of the pre-period covariates per campaign.
    winback : DataFrame
        ``campaign_id, window, n_treated, n_control, treated_value, control_value, estimate, ci_lower,
        ci_upper, p_value`` (reactivation rate within the window), and ``revenue`` rows.
    winback_curves : DataFrame
        ``campaign_id, group, day, reactivated`` (Kaplan-Meier share with a purchase by that day).
    targeting : object or None
        :class:`~retention_utils.campaigns.targeting.Targeting` (uplift model, Qini, the list).
    loop : object or None
        The drivers' closed loop with treated vs control by tier (None without an earlier list).
    quality : DataFrame
        ``reason, rows``: contact rows not measured.
    """

    campaigns: pd.DataFrame
    effects: pd.DataFrame
    balance: pd.DataFrame
    winback: pd.DataFrame
    winback_curves: pd.DataFrame
    targeting: Any
    loop: Any
    quality: pd.DataFrame
    month: dt.date
    currency: str
    margin: float
    horizon_days: int
    windows: tuple[int, ...]
    notes: pd.DataFrame = field(default_factory=notes_frame)
    pre_days: int = 90
    srm_alpha: float = 0.001
    balance_threshold: float = 0.1
    outcome_label: str = "churned within 90 days"
    show_customer_ids: bool = False
    top_n: int = 25
    _display: ClassVar[str] = "retention_utils.display.campaigns"

    @property
    def qini_table(self) -> pd.DataFrame:
        """The uplift model's Qini curve on the check campaigns (empty without one)."""
        q = getattr(self.targeting, "qini", None)
        return q if isinstance(q, pd.DataFrame) else pd.DataFrame()

    def pooled(self) -> pd.DataFrame:
        """The measured retention campaigns together: customers saved, extra revenue and cost, 95% intervals.

        Each campaign was randomised on its own, so their estimates are independent: the total is the sum and
        its variance the sum of variances (each read off the campaign's 95% interval, normal approximation).
        ``metric, value, ci_lower, ci_upper, n_campaigns``.
        """
        m = self.measured()
        m = m[m["kind"] == "retention"] if len(m) else m
        rows = []
        for metric, col, lo, hi in (("customers_saved", "customers_saved", "saved_lower", "saved_upper"),
                                    ("incremental_revenue", "incremental_revenue", "revenue_lower", "revenue_upper")):
            ok = m[m[col].notna()] if len(m) else m
            if len(ok):
                z = 1.959963984540054
                se = np.sqrt((((ok[hi] - ok[lo]) / (2 * z)) ** 2).sum())
                v = float(ok[col].sum())
                rows.append({"metric": metric, "value": v, "ci_lower": v - z * se, "ci_upper": v + z * se,
                             "n_campaigns": len(ok)})
        ok = m[m["incremental_revenue"].notna()] if len(m) else m
        if len(ok):  # the cost of the campaigns (and contacts) the extra revenue is measured on
            rows.append({"metric": "cost", "value": float(ok["measured_cost"].sum()), "ci_lower": np.nan,
                         "ci_upper": np.nan, "n_campaigns": len(ok)})
        return pd.DataFrame(rows, columns=["metric", "value", "ci_lower", "ci_upper", "n_campaigns"])

    def measured(self) -> pd.DataFrame:
        """Campaigns with effect numbers (status ``measured``)."""
        return self.campaigns[self.campaigns["status"] == "measured"]

    @property
    def headline(self) -> tuple[str, ...]:
        from .words import headline_sentences

        return headline_sentences(self)

    def summary_frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        if self.headline:
            rows.append({"metric": "headline", "label": self.headline[0], "unit": "sentence"})
        for r in self.pooled().itertuples():
            if r.metric == "customers_saved":
                rows.append({"metric": "customers_saved", "label": "Customers saved by the measured retention campaigns",
                             "value": r.value, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "unit": "customers",
                             "higher_is_better": True})
            elif r.metric == "incremental_revenue":
                rows.append({"metric": "incremental_revenue", "label": "Extra revenue of the measured retention campaigns",
                             "value": r.value, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "unit": self.currency,
                             "higher_is_better": True})
        flagged = self.campaigns[self.campaigns["status"].isin(["broken", "no_control", "no_treatment"])]
        if len(self.campaigns):
            rows.append({"metric": "campaigns_not_attributable", "label": "Campaigns whose effect cannot be attributed",
                         "value": len(flagged), "unit": "campaigns", "higher_is_better": False})
        t = self.targeting
        if t is not None and getattr(t, "status", "") == "recommended":
            rows.append({"metric": "predicted_extra_saved_by_uplift",
                         "label": "Extra customers the uplift list is predicted to save over a risk-only list (model)",
                         "value": t.extra_saved, "unit": "customers", "higher_is_better": True})
        return summary_rows(rows, analysis="campaigns")


_CAMPAIGN_COLUMNS = ["campaign_id", "sent_date", "kind", "n_contacts", "n_treated", "n_control", "n_measured_treated",
                     "n_measured_control", "n_not_measured", "cost", "intended_share", "observed_share", "srm_p",
                     "srm_flagged", "max_abs_smd", "balance_flagged", "n_control_contaminated", "contaminated_share",
                     "mde_churn", "horizon_observed", "measured_cost", "status", "customers_saved", "saved_lower", "saved_upper",
                     "incremental_revenue", "revenue_lower", "revenue_upper", "payback", "payback_lower",
                     "payback_upper", "verdict"]


def _empty_campaigns() -> pd.DataFrame:
    return pd.DataFrame(columns=_CAMPAIGN_COLUMNS).astype({"sent_date": "datetime64[ns]"})


def _retained(g: pd.DataFrame, w: int) -> np.ndarray:
    return ~(g["churn_event"].to_numpy() & (g["churn_days"].to_numpy() < w))


def campaign_effects(g: pd.DataFrame, *, windows: tuple[int, ...], horizon: int, min_group: int) -> list[Effect]:
    """The effects of one retention campaign on its measured contacts (treated vs control)."""
    out: list[Effect] = []
    t = g["treated"].to_numpy()
    for w in windows:
        obs = g[g[f"observed_{w}"].to_numpy()]
        if obs["treated"].sum() >= min_group and (~obs["treated"]).sum() >= min_group:
            r = _retained(obs, w)
            tt = obs["treated"].to_numpy()
            out.append(proportion_effect(r[tt], r[~tt], metric=f"retained_{w}"))
    obs = g[g["observed_h"].to_numpy()]
    tt = obs["treated"].to_numpy()
    if tt.sum() >= min_group and (~tt).sum() >= min_group:
        y = obs["outcome_h"].to_numpy(bool)
        out.append(proportion_effect(y[tt], y[~tt], metric="lost_h"))
        for col, metric in ((f"purchases_{horizon}", "purchases_h"), (f"revenue_{horizon}", "revenue_h")):
            y = obs[col].to_numpy(float)
            pre = obs["revenue_pre" if metric == "revenue_h" else "purchases_pre"].to_numpy(float)
            out.append(mean_effect(y[tt], y[~tt], pre_treated=pre[tt], pre_control=pre[~tt], metric=metric))
    if t.sum() >= min_group and (~t).sum() >= min_group:
        time = np.minimum(g["churn_days"].to_numpy(float), horizon)
        event = g["churn_event"].to_numpy(bool) & (g["churn_days"].to_numpy() < horizon)
        time = np.maximum(time, 0.5)  # churned on the send day: half a day at risk
        out.append(hazard_ratio(time, event, t))
        if g["observed_h"].all():
            out.append(rmst_difference(time, event, t, tau=float(horizon)))
    return out


def winback_effects(g: pd.DataFrame, *, windows: tuple[int, ...], min_group: int) -> tuple[list[Effect], pd.DataFrame]:
    """Reactivation of a win-back's lapsed contacts: rate within each window, and the KM curve of the first purchase."""
    out: list[Effect] = []
    for w in windows:
        obs = g[g[f"observed_{w}"].to_numpy()]
        tt = obs["treated"].to_numpy()
        if tt.sum() >= min_group and (~tt).sum() >= min_group:
            y = obs[f"purchased_{w}"].to_numpy(bool)
            out.append(proportion_effect(y[tt], y[~tt], metric=f"reactivated_{w}"))
    w = max(windows)
    obs = g[g[f"observed_{w}"].to_numpy()]
    tt = obs["treated"].to_numpy()
    if tt.sum() >= min_group and (~tt).sum() >= min_group:
        y = obs[f"revenue_{w}"].to_numpy(float)
        out.append(mean_effect(y[tt], y[~tt], metric="revenue_window"))
    curves = []
    from statsmodels.duration.survfunc import SurvfuncRight

    for name, s in g.groupby("group"):
        if len(s) < min_group:
            continue
        sf = SurvfuncRight(s["purchase_days"].clip(lower=0.5).to_numpy(float), s["purchase_event"].to_numpy(int))
        days = np.arange(0, max(windows) + 1)
        idx = np.searchsorted(sf.surv_times, days, side="right") - 1
        surv = np.where(idx >= 0, sf.surv_prob[np.maximum(idx, 0)], 1.0)
        curves.append(pd.DataFrame({"group": name, "day": days, "reactivated": 1.0 - surv}))
    cv = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["group", "day", "reactivated"])
    return out, cv


_IMPACT_COLUMNS = ["customers_saved", "saved_lower", "saved_upper", "incremental_revenue", "revenue_lower",
                   "revenue_upper", "payback", "payback_lower", "payback_upper"]


def _impact(row: dict[str, Any], eff: pd.DataFrame, margin: float) -> dict[str, Any]:
    """Customers saved, incremental revenue and payback from a campaign's effects."""
    out = dict.fromkeys(_IMPACT_COLUMNS, np.nan)
    ch = eff[eff["metric"] == "lost_h"]
    if len(ch) and np.isfinite(ch["estimate"].iloc[0]):
        n = float(ch["n_treated"].iloc[0])
        out["customers_saved"] = -ch["estimate"].iloc[0] * n
        out["saved_lower"], out["saved_upper"] = -ch["ci_upper"].iloc[0] * n, -ch["ci_lower"].iloc[0] * n
    rv = eff[eff["metric"] == "revenue_h"]
    if len(rv) and np.isfinite(rv["estimate"].iloc[0]):
        n = float(rv["n_treated"].iloc[0])
        out["incremental_revenue"] = rv["estimate"].iloc[0] * n
        out["revenue_lower"], out["revenue_upper"] = rv["ci_lower"].iloc[0] * n, rv["ci_upper"].iloc[0] * n
        cost = row.get("measured_cost")  # the treated contacts measured: the customers the revenue is for
        if cost and np.isfinite(cost) and cost > 0:
            for k, src in (("payback", "incremental_revenue"), ("payback_lower", "revenue_lower"),
                           ("payback_upper", "revenue_upper")):
                out[k] = out[src] * margin / cost
    return out


def _status(row: pd.Series, spec: Any) -> str:
    if row["kind"] in ("no_control", "no_treatment"):
        return str(row["kind"])
    if row["srm_flagged"] or row["balance_flagged"]:
        return "broken"
    if min(row["n_measured_treated"], row["n_measured_control"]) < spec.min_group:
        return "too_small"
    if not row["horizon_observed"]:
        return "not_yet"
    return "measured"


def campaign_analysis(data: Any, spec: Any = None, *, reports_dir: Any = "", seed: int = 0,
                      scores: pd.DataFrame | None = None, value: pd.DataFrame | None = None) -> CampaignAnalysis:
    """Campaign effects against control groups, win-back, uplift targeting and the closed loop of a unit.

    Parameters
    ----------
    data : UnitData
    spec : CampaignSpec, optional
        The ``campaigns`` params section; default ``data.config.campaigns``.
    reports_dir : str or Path
        The reports root (earlier at-risk lists for the closed loop); empty in an interactive run.
    seed : int
        Seed of the uplift model.
    scores, value : DataFrame, optional
        The churn report's scores (``customer_id, probability``) and the value report's CLV
        (``customer_id, clv_if_stays``) for the recommended list (read from the run's hand-off).
    """
    cfg = data.config
    spec = cfg.campaigns if spec is None else spec
    margin = float(cfg.value.margin)
    attrs = list(dict.fromkeys([*spec.segment_by, *cfg.drivers.attributes]))
    if data.customers is not None and spec.segment_by:
        present = [c for c in data.customers.columns if c not in ("customer_id", "signup_date", "churn_date")]
        unknown = [a for a in spec.segment_by if a not in present]
        if unknown:
            from ..errors import ConfigError

            raise ConfigError(f"campaigns.segment_by: {', '.join(repr(a) for a in unknown[:5])} is not a customer "
                              f"attribute of unit {cfg.unit!r}; present: {', '.join(present[:5]) or 'none'}"
                              f"{' ...' if len(present) > 5 else ''}. Name attributes of the customers table "
                              "(sources.customers.attributes).")
    empty = pd.DataFrame()
    if data.campaigns is None or getattr(data, "kind", "orders") == "snapshot":
        why = ("No campaigns table in this unit's sources: add sources.campaigns (customer_id, campaign_id, "
               "sent_date, group treatment/control, cost) to measure retention actions.")
        return CampaignAnalysis(_empty_campaigns(), empty, empty, empty, empty, None, None, empty, data.month_end,
                                cfg.currency,
                                margin, cfg.drivers.horizon_days, tuple(spec.windows),
                                notes_frame([("campaigns", "data", why)]))
    cd: CampaignData = campaign_contacts(data, spec, attributes=attrs)
    if cd.contacts.empty:
        return CampaignAnalysis(_empty_campaigns(), empty, empty, empty, empty, None, None, cd.quality, data.month_end,
                                cfg.currency, margin, cd.horizon_days, cd.windows,
                                notes_frame([("campaigns", "data", "None of this unit's customers was contacted by a campaign by the end of the report month, so there is nothing to measure.")]))
    camp, balance = campaign_table(cd, spec)
    camp["status"] = camp.apply(_status, axis=1, spec=spec)
    c = cd.contacts
    eff_rows, wb_rows, wb_curves, impacts = [], [], [], []
    for _, row in camp.iterrows():
        g = c[c["campaign_id"] == row["campaign_id"]]
        imp = dict.fromkeys(_IMPACT_COLUMNS, np.nan)
        if row["kind"] == "retention" and row["status"] in ("measured", "not_yet"):
            m = g[g["at_risk"]]
            effs = campaign_effects(m, windows=cd.windows, horizon=cd.horizon_days, min_group=spec.min_group)
            f = effects_frame(effs).assign(campaign_id=row["campaign_id"], segment_by="", segment="all")
            for a in spec.segment_by:
                for level, s in m.groupby(a, dropna=False):
                    obs = s[s["observed_h"]]
                    tt = obs["treated"].to_numpy()
                    if tt.sum() >= spec.min_group and (~tt).sum() >= spec.min_group:
                        y = obs["outcome_h"].to_numpy(bool)
                        e = effects_frame([proportion_effect(y[tt], y[~tt], metric="lost_h")])
                        eff_rows.append(e.assign(campaign_id=row["campaign_id"], segment_by=a,
                                                 segment="(missing)" if pd.isna(level) else str(level)))
            eff_rows.append(f)
            imp = _impact(row.to_dict(), f, margin)
        elif row["kind"] == "win_back" and row["status"] in ("measured", "not_yet"):
            m = g
            effs, cv = winback_effects(m, windows=cd.windows, min_group=spec.min_group)
            f = effects_frame(effs).assign(campaign_id=row["campaign_id"])
            wb_rows.append(f)
            wb_curves.append(cv.assign(campaign_id=row["campaign_id"]))
        impacts.append(imp)
    camp = pd.concat([camp, pd.DataFrame(impacts, index=camp.index)], axis=1)
    cols = ["campaign_id", "segment_by", "segment"]
    effects = pd.concat(eff_rows, ignore_index=True) if eff_rows else pd.DataFrame(columns=cols)
    effects = effects[cols + [x for x in effects.columns if x not in cols]]
    winback = pd.concat(wb_rows, ignore_index=True) if wb_rows else pd.DataFrame(columns=["campaign_id"])
    curves = (pd.concat(wb_curves, ignore_index=True) if wb_curves
              else pd.DataFrame(columns=["campaign_id", "group", "day", "reactivated"]))
    from .words import verdict

    camp["verdict"] = [verdict(r, currency=cfg.currency, horizon=cd.horizon_days) for _, r in camp.iterrows()]

    from .targeting import targeting_analysis

    targeting = targeting_analysis(data, spec, cd, camp, attributes=attrs, seed=seed, scores=scores, value=value)
    loop = None
    if reports_dir:
        from ..drivers.closed_loop import closed_loop

        loop = closed_loop(data, cfg.drivers, reports_dir=reports_dir)
    notes = [("campaigns", "rules", "Each campaign is measured on its own, intention to treat: every contact counts "
              "in the group it was assigned to. A retention campaign is measured on its contacts who had not churned "
              "on the send date, a win-back on those who had lapsed.")]
    notes.append(("campaigns", "outcome", f"Customers lost = {cd.outcome_label} of sending ({cd.outcome_rule})."))
    return CampaignAnalysis(camp, effects, balance, winback, curves, targeting, loop, cd.quality, data.month_end,
                            cfg.currency, margin, cd.horizon_days, cd.windows, notes_frame(notes),
                            pre_days=spec.pre_days, srm_alpha=spec.srm_alpha,
                            balance_threshold=spec.balance_threshold,
                            outcome_label=cd.outcome_label, show_customer_ids=cfg.show_customer_ids,
                            top_n=spec.top_n)


def campaign_experiment(data: Any, spec: Any = None) -> Any:
    """The experiment exported as one row per customer that params name (``campaigns.experiment``), measured.

    Returns None when params name none. Reading errors (a missing column, an absent control label) are
    :class:`~retention_utils.errors.DataError` messages naming the file, the column and how to fix them.
    """
    from .experiment import experiment_analysis, read_experiment

    spec = data.config.campaigns if spec is None else spec
    if spec.experiment is None:
        return None
    frame, quality = read_experiment(spec.experiment, data.config.params_dir)
    return experiment_analysis(frame, spec.experiment, quality=quality, srm_alpha=spec.srm_alpha,
                               balance_threshold=spec.balance_threshold, min_group=spec.min_group)
