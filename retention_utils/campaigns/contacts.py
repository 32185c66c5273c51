"""The campaign report's data: one row per contact with its outcomes, each campaign's kind and design checks.

Rules (documented here once, quoted by the report):

* **Kinds.** A campaign without control contacts cannot be attributed (``no_control``): the report names
  it and shows no effect. A campaign most of whose contacts had already lapsed on the send date (not at
  risk under the unit's churn definition) is a ``win_back``; the others are ``retention`` campaigns.
* **Who is measured.** A retention campaign is measured on its contacts at risk on the send date (a
  contact already churned cannot be retained; they are counted); a win-back on all its contacts (lapsed,
  dormant or still active: intention to treat). A campaign with control contacts only (``no_treatment``)
  gets a sentence, like one without controls.
* **Attribution.** Each campaign is measured on its own, intention to treat: every contact counts in the
  group it was assigned to, whatever other campaigns reached it later. A customer listed in both groups
  of one campaign is left out of that campaign (counted). Control contacts that received a treatment
  contact of another campaign within the horizon are counted and flagged (they dilute the effect).
* **Balance.** A pre-period covariate is flagged when treated and control differ by more than
  ``balance_threshold`` standardised mean differences *and* beyond chance (``|SMD| > z * sqrt(1/n_t + 1/n_c)``
  at the sample-ratio check's level); either check flagged marks the randomisation as broken.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy.stats import norm

from ..engine.campaigns import PRE_COLUMNS, contact_outcomes
from .design import balance_table, mde_proportion, sample_ratio_test

__all__ = ["CampaignData", "campaign_contacts", "campaign_table", "scoring_contacts", "KINDS"]

#: Campaign kinds, in report order.
KINDS: tuple[str, ...] = ("retention", "win_back", "no_control", "no_treatment")


@dataclass(frozen=True)
class CampaignData:
    """Contacts with outcomes, and the rows left out with their reasons.

    Attributes
    ----------
    contacts : DataFrame
        :func:`~retention_utils.engine.campaigns.contact_outcomes` columns plus ``treated`` (bool) and the
        customer attributes asked for.
    quality : DataFrame
        ``reason, rows``: contact rows not measured and why.
    windows : tuple of int
    horizon_days : int
    outcome_label, outcome_rule : str
        What ``outcome_h`` (a customer lost within the horizon) means for the unit, in plain words.
    """

    contacts: pd.DataFrame
    quality: pd.DataFrame
    windows: tuple[int, ...]
    horizon_days: int
    outcome_label: str = ""
    outcome_rule: str = ""


def campaign_contacts(data: Any, spec: Any = None, *, attributes: list[str] | tuple[str, ...] = ()) -> CampaignData:
    """Every contact of the unit's campaigns (sent by the report month's end) with its outcomes.

    Parameters
    ----------
    data : UnitData
    spec : CampaignSpec, optional
        Default ``data.config.campaigns``.
    attributes
        Customer attributes to add (segments, uplift features).
    """
    cfg = data.config
    spec = cfg.campaigns if spec is None else spec
    horizon = int(cfg.drivers.horizon_days)
    windows = tuple(sorted(set(spec.windows) | {horizon}))
    quality: list[dict[str, Any]] = []
    c = data.campaigns
    n_all = int(c.count().to_pyarrow().as_py())
    late = int(c.filter(c.sent_date > data.month_end).count().to_pyarrow().as_py())
    if late:
        quality.append({"reason": f"sent after the report month ({data.month_end:%Y-%m})", "rows": late})
    c = c.filter(c.sent_date <= data.month_end)
    # a customer in both groups of one campaign: left out of it (counted)
    g = c.group_by("campaign_id", "customer_id").aggregate(_n_groups=c["group"].nunique(), _n=c.count())
    both = g.filter(g._n_groups > 1)
    n_both = int(c.semi_join(both, ["campaign_id", "customer_id"]).count().to_pyarrow().as_py())
    if n_both:
        quality.append({"reason": "customer listed in both groups of one campaign (left out of it)", "rows": n_both})
        c = c.anti_join(both, ["campaign_id", "customer_id"])
    # the same customer twice in one group of a campaign: one contact (the earliest)
    dup = int(g.filter((g._n_groups == 1) & (g._n > 1)).aggregate(x=(g._n - 1).sum()).to_pyarrow()[0][0].as_py()
              or 0)
    if dup:
        quality.append({"reason": "repeated contact of a customer in the same campaign (counted once)", "rows": dup})
        extra = {"cost": c.cost.sum()} if "cost" in c.columns else {}
        c = c.group_by("campaign_id", "customer_id", "group").aggregate(sent_date=c.sent_date.min(), **extra)
    known = c.semi_join(data.customers, "customer_id")
    unknown = int(c.count().to_pyarrow().as_py()) - int(known.count().to_pyarrow().as_py())
    if unknown:
        quality.append({"reason": "customer not in the unit's customers", "rows": unknown})
    ch = cfg.churn
    out = contact_outcomes(data.orders, data.customers, known, end=data.month_end, method=ch.method,
                           inactivity_days=ch.inactivity_days, windows=windows, horizon_days=horizon,
                           pre_days=spec.pre_days, interactions=data.interactions)
    attrs = [a for a in dict.fromkeys(attributes) if a in data.customers.columns]
    if attrs:
        cu = data.customers.select("customer_id", *[data.customers[a].cast("string").name(a) for a in attrs])
        out = out.left_join(cu, "customer_id").drop("customer_id_right")
    frame = out.to_pandas()
    frame["campaign_id"] = frame["campaign_id"].astype(str)
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["group"] = frame["group"].astype(str)
    frame["treated"] = frame["group"].eq("treatment")
    frame["sent_date"] = pd.to_datetime(frame["sent_date"])
    if "cost" not in frame:
        frame["cost"] = np.nan
    frame = frame.sort_values(["sent_date", "campaign_id", "customer_id"], kind="stable").reset_index(drop=True)
    # the outcome of a retention contact: lost within the horizon. Under a recorded cancellation that is
    # churn; under the inactivity rule, churn is only declared inactivity_days after the last purchase, so
    # within a short horizon it mostly repeats what happened before sending: the measure there is "no
    # purchase within the horizon after sending" (a customer who stops buying for good shows it at once)
    if ch.method == "explicit":
        frame["outcome_h"] = frame["churned_h"].astype(bool)
        label, rule = f"cancelled within {horizon} days", "the recorded cancellation date"
    else:
        frame["outcome_h"] = ~frame[f"purchased_{horizon}"].astype(bool)
        label = f"no purchase within {horizon} days"
        rule = (f"churn is declared only {ch.inactivity_days} days after a last purchase, so within {horizon} days "
                "of sending the sign of a lost customer is that they did not buy again")
    q = pd.DataFrame(quality, columns=["reason", "rows"])
    if n_all != len(frame) + int(q["rows"].sum()):  # every row used or counted with its reason
        q = pd.concat([q, pd.DataFrame([{"reason": "other", "rows": n_all - len(frame) - int(q["rows"].sum())}])],
                      ignore_index=True)
    return CampaignData(frame, q, windows, horizon, label, rule)


def _contamination(contacts: pd.DataFrame, horizon: int) -> pd.Series:
    """Per contact: a treatment contact of another campaign within ``horizon`` days after this send."""
    t = contacts.loc[contacts["treated"], ["customer_id", "campaign_id", "sent_date"]]
    m = contacts[["customer_id", "campaign_id", "sent_date"]].reset_index().merge(
        t, on="customer_id", suffixes=("", "_other"))
    gap = (m["sent_date_other"] - m["sent_date"]).dt.days
    hit = m.loc[(m["campaign_id"] != m["campaign_id_other"]) & (gap >= 0) & (gap < horizon), "index"]
    return contacts.index.isin(hit.unique())


def campaign_table(cd: CampaignData, spec: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per campaign with its kind and design checks, and the balance table of every campaign.

    Returns
    -------
    campaigns : DataFrame
        ``campaign_id, sent_date, kind, n_contacts, n_treated, n_control, n_measured_treated,
        n_measured_control, n_not_measured, cost, intended_share, observed_share, srm_p, srm_flagged,
        max_abs_smd, balance_flagged, n_control_contaminated, contaminated_share, mde_churn,
        horizon_observed``; ``kind`` one of :data:`KINDS`.
    balance : DataFrame
        ``campaign_id`` and :func:`~retention_utils.campaigns.design.balance_table`'s columns.
    """
    c = cd.contacts
    contaminated = pd.Series(_contamination(c, cd.horizon_days), index=c.index)
    rows, bal = [], []
    features = [f for f in PRE_COLUMNS if f in c.columns and c[f].notna().any()]
    for cid, g in c.groupby("campaign_id", sort=False):
        n_t, n_c = int(g["treated"].sum()), int((~g["treated"]).sum())
        lapsed_share = float((~g["at_risk"]).mean())
        kind = ("no_control" if n_c == 0 else "no_treatment" if n_t == 0 else
                "win_back" if lapsed_share > 0.5 else "retention")
        measured = g if kind == "win_back" else g[g["at_risk"]]  # a win-back: every contact (intention to treat)
        mt, mc = int(measured["treated"].sum()), int((~measured["treated"]).sum())
        share = spec.intended_share(str(cid))
        row: dict[str, Any] = {
            "campaign_id": cid, "sent_date": g["sent_date"].min(), "kind": kind, "n_contacts": len(g),
            "n_treated": n_t, "n_control": n_c, "n_measured_treated": mt, "n_measured_control": mc,
            "n_not_measured": len(g) - len(measured), "cost": float(g["cost"].sum(min_count=1)),
            "measured_cost": float(measured.loc[measured["treated"], "cost"].sum(min_count=1)),
            "intended_share": share, "observed_share": n_t / len(g) if len(g) else np.nan,
            "srm_p": np.nan, "srm_flagged": False, "max_abs_smd": np.nan, "balance_flagged": False,
            "n_control_contaminated": int((contaminated[g.index] & ~g["treated"]).sum()),
            "contaminated_share": np.nan, "mde_churn": np.nan,
            "horizon_observed": bool(g["observed_h"].all()),
        }
        if n_c:
            row["contaminated_share"] = row["n_control_contaminated"] / n_c
            if share is not None and n_t:
                srm = sample_ratio_test(n_t, n_c, treatment_share=share, threshold=spec.srm_alpha)
                row["srm_p"], row["srm_flagged"] = srm.p_value, bool(srm.flagged)
            if mt >= 2 and mc >= 2:
                b = balance_table(measured, features, measured["treated"].to_numpy(),
                                  threshold=spec.balance_threshold)
                # |SMD| > 0.1 alone flags most small campaigns by chance (its standard error is about
                # sqrt(1/n_t + 1/n_c): 0.15 for 240 vs 60): a difference is flagged when it is also beyond
                # chance at the sample-ratio check's level
                # (counted per feature: a survey score is known for few customers)
                z = float(norm.isf(spec.srm_alpha / 2))
                tr = measured["treated"].to_numpy()
                nt = np.array([max(int(measured.loc[tr, f].notna().sum()), 1) for f in b["feature"]])
                nc = np.array([max(int(measured.loc[~tr, f].notna().sum()), 1) for f in b["feature"]])
                b["flagged"] = b["flagged"].astype(bool) & (b["smd"].abs() > z * np.sqrt(1 / nt + 1 / nc))
                bal.append(b.assign(campaign_id=cid))
                if b["smd"].notna().any():
                    row["max_abs_smd"] = float(b["smd"].abs().max())
                    row["balance_flagged"] = bool(b["flagged"].any())
                obs = measured[measured["observed_h"]]
                ctl = obs.loc[~obs["treated"], "outcome_h"]
                if kind == "retention" and len(ctl) and obs["treated"].any():
                    row["mde_churn"] = mde_proportion(int(obs["treated"].sum()), len(ctl),
                                                      float(np.clip(ctl.mean(), 0.01, 0.99)))
        rows.append(row)
    camp = pd.DataFrame(rows)
    balance = (pd.concat(bal, ignore_index=True) if bal else
               pd.DataFrame(columns=["campaign_id", "feature", "mean_treated", "mean_control", "smd", "flagged"]))
    cols = ["campaign_id"] + [x for x in balance.columns if x != "campaign_id"]
    return camp, balance[cols]


def scoring_contacts(data: Any, spec: Any, *, attributes: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Every customer as a would-be contact on the day after the report month (for next month's list).

    Same columns as :func:`campaign_contacts` (outcomes unobserved); only customers at risk that day are kept.
    """
    cfg = data.config
    t = data.month_end + dt.timedelta(days=1)
    cu = data.customers
    keys = cu.select("customer_id", campaign_id=ibis.literal("next"), group=ibis.literal("treatment"),
                     sent_date=ibis.literal(t), cost=ibis.literal(0.0))
    ch = cfg.churn
    out = contact_outcomes(data.orders, cu, keys, end=data.month_end, method=ch.method,
                           inactivity_days=ch.inactivity_days, windows=(int(cfg.drivers.horizon_days),),
                           horizon_days=int(cfg.drivers.horizon_days), pre_days=spec.pre_days,
                           interactions=data.interactions)
    out = out.filter(out.at_risk)
    attrs = [a for a in dict.fromkeys(attributes) if a in cu.columns]
    if attrs:
        out = out.left_join(cu.select("customer_id", *[cu[a].cast("string").name(a) for a in attrs]),
                            "customer_id").drop("customer_id_right")
    frame = out.to_pandas()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame
