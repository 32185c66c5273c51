"""Plain-words sentences of the campaign report: one verdict per campaign and the headline.

Plain f-strings (no presentation import: a computation module's sentences also feed ``summary_frame``).
"""
from __future__ import annotations

import math
from typing import Any

from ..value import _amount  # one amount form for the computed sentences

__all__ = ["verdict", "headline_sentences"]


def _ok(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _n(v: float) -> str:
    return f"{v:,.0f}"


def verdict(row: Any, *, currency: str, horizon: int) -> str:
    """One sentence on a campaign: what it did, or why it cannot be said."""
    name = str(row["campaign_id"])
    status = row["status"]
    if status == "no_control":
        return (f"{name} had no control group: its effect cannot be attributed (any change in its customers "
                "could have happened without it).")
    if status == "no_treatment":
        return f"{name} has control customers only: there is nothing to measure."
    if status == "broken":
        why = []
        if row.get("srm_flagged"):
            why.append(f"the groups are {row['observed_share']:.0%} / {1 - row['observed_share']:.0%} instead of the "
                       f"intended {row['intended_share']:.0%} / {1 - row['intended_share']:.0%} (p = {row['srm_p']:.1g})")
        if row.get("balance_flagged"):
            why.append(f"treated and control customers differed before sending (largest standardised difference "
                       f"{row['max_abs_smd']:.2f})")
        return f"{name}: the randomisation looks broken -- " + " and ".join(why) + "; its numbers are not trusted."
    if status == "too_small":
        return (f"{name}: too few customers to measure ({row['n_measured_treated']:,} treated, "
                f"{row['n_measured_control']:,} control).")
    if status == "not_yet":
        return f"{name}: sent {row['sent_date']:%d %b %Y}; its {horizon}-day window has not passed yet."
    if row["kind"] == "win_back":
        return f"{name}: win-back of {row['n_measured_treated'] + row['n_measured_control']:,} lapsed customers (see below)."
    saved, lo, hi = row.get("customers_saved"), row.get("saved_lower"), row.get("saved_upper")
    if not _ok(saved):
        return f"{name}: measured, but its effect on customers lost could not be estimated."
    if lo > 0:
        s = f"{name} saved about {_n(saved)} customers ({_n(lo)} to {_n(hi)})"
    elif hi < 0:
        s = f"{name} lost about {_n(-saved)} customers ({_n(-hi)} to {_n(-lo)}) against its control group"
    else:
        s = f"{name}: no measurable effect on customers lost ({_n(saved)} customers saved, {_n(lo)} to {_n(hi)})"
    pb, pl, ph = (round(float(row.get(k)), 1) + 0.0 if _ok(row.get(k)) else row.get(k)
                  for k in ("payback", "payback_lower", "payback_upper"))
    if _ok(pb):
        if pl > 1:
            s += (f" and returned {pb:.1f} times its cost in margin within {horizon} days ({pl:.1f} to {ph:.1f})")
        elif ph < 1:
            s += (f"; within {horizon} days it did not return its cost in margin ({pb:.1f} times, "
                  f"{pl:.1f} to {ph:.1f})")
        else:
            s += (f"; whether it returned its cost in margin within {horizon} days is unclear ({pb:.1f} times, "
                  f"{pl:.1f} to {ph:.1f})")
    return s + "."


def headline_sentences(result: Any) -> tuple[str, ...]:
    """The report's headline: which actions worked, what they returned, what cannot be said, whom to target next."""
    camp = result.campaigns
    if camp is None or len(camp) == 0:
        return ()
    out = []
    m = camp[(camp["status"] == "measured") & (camp["kind"] == "retention")]
    pooled = result.pooled().set_index("metric")
    if len(m) and "customers_saved" in pooled.index:
        p = pooled.loc["customers_saved"]
        worked = int((m["saved_lower"] > 0).sum())
        if p["ci_lower"] > 0:
            s = (f"The {len(m)} measured retention campaigns together saved about {_n(p['value'])} customers "
                 f"({_n(p['ci_lower'])} to {_n(p['ci_upper'])}, 95% interval) against their control groups")
        elif p["ci_upper"] < 0:
            s = (f"The {len(m)} measured retention campaigns together lost about {_n(-p['value'])} customers "
                 f"({_n(-p['ci_upper'])} to {_n(-p['ci_lower'])}, 95% interval) against their control groups")
        else:
            s = (f"The {len(m)} measured retention campaigns show no clear effect on customers lost together "
                 f"({_n(p['value'])} customers saved, {_n(p['ci_lower'])} to {_n(p['ci_upper'])})")
        s += f"; {worked} of them on their own"
        if "incremental_revenue" in pooled.index and pooled.loc["cost", "value"] > 0:
            r, cost = pooled.loc["incremental_revenue"], pooled.loc["cost", "value"]
            s += (f"; extra revenue within {result.horizon_days} days {_amount(r['value'], result.currency)} "
                  f"({_amount(r['ci_lower'], result.currency)} to {_amount(r['ci_upper'], result.currency)}) for "
                  f"{_amount(cost, result.currency)} of cost")
        out.append(s + ".")
    latest = m.sort_values("sent_date").tail(1)
    if len(latest):
        out.append("Latest measured: " + str(latest["verdict"].iloc[0]))
    bad = camp[camp["status"].isin(["broken", "no_control", "no_treatment"])]
    if len(bad):
        names = ", ".join(bad["campaign_id"].astype(str).head(5))
        out.append(f"Not attributable: {names} (no control group or a broken randomisation); see the design checks.")
    t = result.targeting
    if t is not None and getattr(t, "sentence", ""):
        out.append(t.sentence)
    return tuple(out)
