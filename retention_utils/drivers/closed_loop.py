"""Closed loop: an earlier at-risk list of the unit compared with what happened since.

Realized churn uses the same label as the models (:func:`~retention_utils.drivers.labels.churn_labels`)
over the observed part of the list's horizon, by tier, with Wilson 95% intervals
(:func:`retention_utils.stats.wilson_interval`), and campaign reach from the campaigns table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exports import restore_text
from ..stats import newcombe_interval, wilson_interval
from .labels import _day, churn_labels
from .warning import AT_RISK_FILE, TIER_ORDER

__all__ = ["ClosedLoop", "closed_loop"]


@dataclass(frozen=True)
class ClosedLoop:
    """An earlier at-risk list compared with what happened since.

    Attributes
    ----------
    status : str
        ``complete`` (the list's horizon has passed), ``partial`` (part of it
        observed) or ``none`` (no earlier list).
    source_month : str or None
        Report month of the earlier list.
    as_of : date or None
        The list's cut-off.
    observed_days, horizon_days : int
    by_tier : DataFrame
        ``tier, n_customers, predicted_rate, n_churned, realized_rate, ci_lower,
        ci_upper, n_reached, reached_share, realized_rate_reached,
        realized_rate_not_reached, n_treated, n_control, realized_rate_treated,
        realized_rate_control, effect, effect_lower, effect_upper``; ``n_reached`` counts customers
        contacted by a retention campaign (``treatment``) since the cut-off; ``n_control`` those a campaign's
        control group held back (and no campaign treated), ``effect`` the churn difference treated - control
        (Newcombe 95% interval): the measured effect of the warning plus the action, by tier.
    n_not_found : int
        Listed customers no longer in the data (left out of the rates).
    notes : tuple of str
    """

    status: str
    source_month: str | None
    as_of: dt.date | None
    observed_days: int
    horizon_days: int
    by_tier: pd.DataFrame
    n_not_found: int = 0
    notes: tuple[str, ...] = ()


_LOOP_COLS = ["tier", "n_customers", "predicted_rate", "n_churned", "realized_rate", "ci_lower", "ci_upper",
              "n_reached", "reached_share", "realized_rate_reached", "realized_rate_not_reached",
              "n_treated", "n_control", "realized_rate_treated", "realized_rate_control", "effect", "effect_lower",
              "effect_upper"]


def _treated_vs_control(treated: pd.DataFrame, control: pd.DataFrame) -> dict[str, Any]:
    """Churn of listed customers a campaign treated vs those its randomised control group held back.

    Unlike reached vs not reached (the CRM team chose whom to reach), treated vs held back uses only campaigns
    with both groups, where a random split decided; customers in several campaigns make it less clean (a
    held-back customer treated by another campaign is left out). Newcombe 95% interval of the difference.
    """
    nt, nc = len(treated), len(control)
    kt, kc = int(treated["churned"].sum()), int(control["churned"].sum())
    out = {"n_treated": nt, "n_control": nc, "realized_rate_treated": kt / nt if nt else np.nan,
           "realized_rate_control": kc / nc if nc else np.nan, "effect": np.nan, "effect_lower": np.nan,
           "effect_upper": np.nan}
    if nt and nc:
        out["effect"] = kt / nt - kc / nc
        out["effect_lower"], out["effect_upper"] = newcombe_interval(kt, nt, kc, nc)
    return out


def _earlier_lists(reports_dir: Path, unit: str, month: str) -> list[tuple[str, Path]]:
    import re

    out = []
    if not reports_dir.is_dir():
        return out
    for d in reports_dir.iterdir():
        if d.is_dir() and re.fullmatch(r"\d{4}-\d{2}", d.name) and d.name < month:
            f = d / unit / AT_RISK_FILE
            if f.is_file():
                out.append((d.name, f))
    return sorted(out)


def closed_loop(data: Any, spec: Any = None, *, reports_dir: str | Path | None) -> ClosedLoop:
    """Compare the latest earlier at-risk list of this unit with what happened since.

    Looks for ``<reports_dir>/<earlier month>/<unit>/at_risk_customers.csv``;
    takes the latest list whose horizon has fully passed by the end of the
    report month, else the latest one (partly observed, said so). Realized
    churn uses the same label as the models (:func:`churn_labels`) over the
    observed part of the horizon.

    Parameters
    ----------
    data : UnitData
    spec : DriversSpec, optional
        The ``drivers`` params section (``horizon_days``); default ``data.config.drivers``.
    reports_dir : str or Path or None
        The reports root holding earlier months; empty: no check (interactive run).

    Returns
    -------
    ClosedLoop
        ``status='none'`` (with a note) when there is no earlier list.
    """
    cfg = data.config
    h = (cfg.drivers if spec is None else spec).horizon_days
    empty = pd.DataFrame(columns=_LOOP_COLS)
    if getattr(data, "kind", "orders") == "snapshot":
        return ClosedLoop("none", None, None, 0, 0, empty, notes=(
            "No check of an earlier list for a one-row-per-customer table: it has no dated events to see who "
            "churned after the list was made.",))
    if not reports_dir:
        return ClosedLoop("none", None, None, 0, h, empty, notes=(
            "No earlier at-risk list to check (interactive run: no reports folder given).",))
    lists = _earlier_lists(Path(reports_dir), cfg.unit, data.month_label)
    if not lists:
        return ClosedLoop("none", None, None, 0, h, empty, notes=(
            "No earlier at-risk list of this unit yet: from next month on, this section checks the list "
            "against what happened.",))
    chosen = None
    for month, path in reversed(lists):
        head = pd.read_csv(path, nrows=1)
        if head.empty or "as_of" not in head:
            continue
        as_of = _day(head["as_of"].iloc[0])
        hh = int(head["horizon_days"].iloc[0]) if "horizon_days" in head else h
        if as_of + dt.timedelta(days=hh - 1) <= data.month_end:
            chosen = (month, path, as_of, hh)
            break
        if chosen is None:
            chosen = (month, path, as_of, hh)
    if chosen is None:
        return ClosedLoop("none", None, None, 0, h, empty, notes=("The earlier at-risk lists are empty.",))
    month, path, as_of, hh = chosen
    observed = min(hh, (data.month_end - as_of).days + 1)
    if observed <= 0:
        return ClosedLoop("none", month, as_of, 0, hh, empty, notes=(
            f"The list of {month} starts after the report month; nothing to compare yet.",))
    lst = pd.read_csv(path, dtype={"customer_id": str, "tier": str})
    lst["customer_id"] = lst["customer_id"].map(restore_text)  # ids written neutralised (e.g. "'+4917...")
    ch = cfg.churn
    lab = churn_labels(data.orders, data.customers, cutoff=as_of, horizon_days=observed, method=ch.method,
                       inactivity_days=ch.inactivity_days).to_pandas()
    lab["customer_id"] = lab["customer_id"].astype(str)
    m = lst.merge(lab, on="customer_id", how="left")
    n_not_found = int(m["churned"].isna().sum())
    m = m[m["churned"].notna()].copy()
    m["churned"] = m["churned"].astype(bool)
    reached, controls, reached_split = set(), set(), set()
    if data.campaigns is not None:
        c = data.campaigns
        until = as_of + dt.timedelta(days=observed)
        window = c.filter((c.sent_date >= as_of) & (c.sent_date < until))
        groups = window.select("campaign_id", "customer_id", "group").distinct().to_pandas().astype(str)
        reached = set(groups.loc[groups["group"] == "treatment", "customer_id"])
        # treated vs held back: only campaigns with both groups (a random split), and a held-back customer
        # counts only if no campaign treated them in the window
        both = groups.groupby("campaign_id")["group"].nunique()
        split = groups[groups["campaign_id"].isin(both[both == 2].index)]
        controls = set(split.loc[split["group"] == "control", "customer_id"]) - reached
        reached_split = set(split.loc[split["group"] == "treatment", "customer_id"])
    m["reached"] = m["customer_id"].isin(reached)
    m["held_back"] = m["customer_id"].isin(controls)
    m["treated_split"] = m["customer_id"].isin(reached_split) if data.campaigns is not None else False
    rows = []
    for tier in TIER_ORDER:
        s = m[m["tier"] == tier]
        n, k = len(s), int(s["churned"].sum())
        lo, hi = wilson_interval(np.array([k], dtype=float), np.array([n], dtype=float))
        r, nr = s[s["reached"]], s[~s["reached"]]
        rows.append({"tier": tier, "n_customers": n, "predicted_rate": float(s["probability"].mean()) if n else np.nan,
                     "n_churned": k, "realized_rate": k / n if n else np.nan, "ci_lower": float(lo[0]),
                     "ci_upper": float(hi[0]), "n_reached": int(len(r)), "reached_share": len(r) / n if n else np.nan,
                     "realized_rate_reached": float(r["churned"].mean()) if len(r) else np.nan,
                     "realized_rate_not_reached": float(nr["churned"].mean()) if len(nr) else np.nan,
                     **_treated_vs_control(s[s["treated_split"]], s[s["held_back"]])})
    notes = []
    status = "complete" if observed >= hh else "partial"
    if status == "partial":
        notes.append(f"Only {observed} of the {hh} days after the list of {month} have passed: realized rates are "
                     "so far, and will still rise.")
    if n_not_found:
        notes.append(f"{n_not_found:,} listed customers are no longer in the data and are left out.")
    if data.campaigns is None:
        notes.append("No campaigns table: campaign reach is not known.")
    return ClosedLoop(status, month, as_of, observed, hh, pd.DataFrame(rows, columns=_LOOP_COLS), n_not_found,
                      tuple(notes))
