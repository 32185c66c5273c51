"""The survival report in words and tables: headline sentences and one HTML block per section.

Every function takes the :class:`~retention_utils.survival.SurvivalAnalysis` or, where a section
stands on its own, the part it shows (``km_table_html(analysis.km)`` equals
``km_table_html(analysis)``). Tables and lists come from :mod:`retention_utils.display.html`
(escaped, CSS classes only) and numbers from :mod:`retention_utils.display.formats`.
:func:`result_html` renders every section (what a result shows in a notebook).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..calendar import DAYS_PER_MONTH
from ..survival import (
    MIN_EVENTS,
    RMST,
    CompetingRisks,
    CoxResult,
    KaplanMeier,
    LogRank,
    SurvivalAnalysis,
    term_label,
)
from ..survival.analysis import SUMMARY_MONTHS, cohort_buying_name, still_customers_name, trait_words
from ..survival.base import _Z
from ..vocabulary import name as vocab_name
from .formats import count, number, pct, pvalue, side_kept
from .html import (
    HTML,
    esc,
    footnote,
    headline_list,
    join,
    notes_list,
    paragraph,
    shortfall_html,
    small_print,
    table,
)

__all__ = [
    "NOT_ESTIMABLE",
    "headline_sentences",
    "headline_html",
    "populations_sentence",
    "cohort_sentence",
    "lifetimes_html",
    "km_table_html",
    "logrank_html",
    "rmst_html",
    "hazard_html",
    "cox_html",
    "competing_html",
    "reasons_html",
    "sensitivity_html",
    "about_html",
    "result_html",
]

#: What a table shows where a number cannot be computed from the data (never "n/a" or "nan").
NOT_ESTIMABLE = "not estimable"


def _part(x: Any, attr: str) -> Any:
    """The part ``attr`` of an analysis, or ``x`` itself when it is already that part."""
    return getattr(x, attr) if isinstance(x, SurvivalAnalysis) else x


def _limit(x: float, open_text: str) -> str:
    return number(x) if x is not None and np.isfinite(x) else open_text


def _median_text(median: float, lo: float, hi: float, n: int) -> str:
    """Median lifetime with its interval in words.

    Examples
    --------
    >>> _median_text(3.0, 2.0, float("nan"), 10), _median_text(float("nan"), 1, 2, 10), _median_text(1, 1, 1, 0)
    ('3.0 (2.0–open)', 'not reached', 'no customers')
    >>> _median_text(0.0, float("nan"), float("nan"), 10)
    '0.0 (interval not estimable)'
    """
    if not n:
        return "no customers"
    if median is None or not np.isfinite(median):
        return "not reached"
    if not (lo is not None and np.isfinite(lo)) and not (hi is not None and np.isfinite(hi)):
        return f"{number(median)} (interval not estimable)"
    return f"{number(median)} ({_limit(lo, 'open')}–{_limit(hi, 'open')})"


# ============================================================================ words


def _range(lo: float, hi: float, fmt: Any) -> str:
    """``(between lo and hi)`` of an interval, or empty when a limit is missing."""
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f" (likely {fmt(lo)} to {fmt(hi)})"


def _hr_sentence(row: Any, early_days: int) -> str:
    """A hazard ratio in plain words: "... leave 1.9 times as fast as those without"."""
    who, other = trait_words(row, early_days)
    who = who[0].upper() + who[1:]
    if row.kind == "numeric":
        return (f"{who} makes leaving {row.hazard_ratio:.2f} times as likely at any point"
                f"{_range(row.ci_lower, row.ci_upper, side_kept(1, 2))}.")
    if row.hazard_ratio >= 1:
        return (f"{who} leave {row.hazard_ratio:.1f} times as fast as {other}"
                f"{_range(row.ci_lower, row.ci_upper, side_kept(1, 1))}.")
    return (f"{who} leave {(1 - row.hazard_ratio) * 100:.0f}% more slowly than {other}"
            f"{_range(1 - row.ci_upper, 1 - row.ci_lower, side_kept(0, 0, 100, '%'))}.")


def _peak_sentence(hazard: pd.DataFrame) -> str:
    hz = hazard[hazard["reliable"]] if len(hazard) else hazard
    if len(hz) < 3:
        return ""
    peak = hz.loc[hz["hazard"].idxmax()]
    return (f"The risk of leaving peaks in month {peak.tenure_month:.0f} of the customer life: {pct(peak.hazard, 0)} "
            f"of the customers who start that month leave during it, against {pct(hz['hazard'].median(), 0)} in a "
            "typical month.")


def cohort_sentence(a: SurvivalAnalysis) -> str:
    """Why the cohort page's month-12 share differs from this page's (both numbers), or empty.

    The cohort page counts per calendar month after joining (a purchase in that month, or no cancellation
    by its end); this page counts from each customer's own start until churn (:mod:`retention_utils.vocabulary`).
    """
    c = a.cohort_compare
    at = a.km_all.at_times
    at = at[(at["duration_months"] == SUMMARY_MONTHS) & at["estimable"].astype(bool)]
    if c is None or not len(c) or not len(at) or a.lifetimes_shortfall():
        return ""
    r, here = c.iloc[0], float(at["survival"].iloc[0])
    there = pct(r.share, 1)
    mine = f"{pct(here, 0)} here ({still_customers_name(SUMMARY_MONTHS)})"
    if r.definition == "subscribed":
        return (f"The cohort page shows {there} still subscribed in month {SUMMARY_MONTHS}, against {mine}: it "
                f"counts to the end of the {SUMMARY_MONTHS}th calendar month after the signup month (12 to 13 months "
                f"after signup) and only the {count(r.n_customers)} customers who joined that long ago; here each "
                "customer counts from their own signup day, and recent customers for as long as they have been "
                "followed.")
    name = f"The cohort page's {cohort_buying_name(SUMMARY_MONTHS)}"
    if r.share < here:
        return (f"{name} is lower, {there} of {count(r.n_customers)} customers, against {mine}: it counts only the "
                "customers who bought in that very month, while a customer who skipped it and has not churned is "
                "still a customer here.")
    return (f"{name} is higher, {there} of {count(r.n_customers)} customers, against {mine}: it counts every "
            "customer who bought in that month, also those who had already churned (gone without a purchase for "
            "longer than the churn rule allows) and came back; here a customer life ends at the first churn.")


def _lifetime_sentences(a: SurvivalAnalysis, med: Any) -> list[str]:
    """How many lives end at once, the median lifetime, the 12-month share and the cohort page's figure."""
    out = []
    t = a.life.table
    once = float((t["event"] & (t["duration_days"] == 0)).mean()) if "duration_days" in t and len(t) else 0.0
    if a.method == "inactivity" and once >= 0.05:
        out.append(f"{pct(once, 0)} of customers never bought again after their first purchase (a lifetime of 0 "
                   "months: the drop at the very start of the curve).")
    at12 = a.km_all.at_times[a.km_all.at_times["duration_months"] == SUMMARY_MONTHS]
    s12 = ""
    if len(at12) and at12["estimable"].iloc[0]:
        r = at12.iloc[0]
        s12 = (f"{pct(r.survival, 0)} of customers are {still_customers_name(SUMMARY_MONTHS)}"
               f"{_range(r.ci_lower, r.ci_upper, lambda v: pct(v, 0))}.")
    if med.median_reached and med.median_months < 0.5:
        out.append("More than half of the customers never come back after their first month. " + s12)
    elif med.median_reached:
        hi = f" to {number(med.ci_upper)}" if np.isfinite(med.ci_upper) else " or more"
        rng = f" (likely {number(med.ci_lower)}{hi})" if np.isfinite(med.ci_lower) else ""
        out.append(f"Half of the customers leave within {number(med.median_months)} months{rng}. " + s12)
    else:
        longest = float(a.km_all.curve["duration_months"].max())
        out.append(f"More than half of the customers are still customers after the longest follow-up "
                   f"({longest:.0f} months), so half a lifetime cannot be measured yet. " + s12)
    c = cohort_sentence(a)
    if c:
        out.append(c)
    return [x.strip() for x in out]


def _rmst_sentence(a: SurvivalAnalysis) -> str:
    by = a.rmst.by_group[a.rmst.by_group["estimable"]]
    if not (a.km.group_by and len(by) >= 2) or a.lifetimes_shortfall():
        return ""
    hi, lo = by.loc[by["rmst_months"].idxmax()], by.loc[by["rmst_months"].idxmin()]
    dlt = hi.rmst_months - lo.rmst_months
    se = math.sqrt(hi.std_err ** 2 + lo.std_err ** 2)
    gap = f"the gap is likely between {number(dlt - _Z * se)} and {number(dlt + _Z * se)} months"
    if dlt - _Z * se > 0:
        return (f"By {a.km.group_by}, '{hi.group}' customers stay longest: within their first "
                f"{a.rmst.horizon_months:.0f} months they stay {number(hi.rmst_months)} months on average, "
                f"{number(dlt)} months more than '{lo.group}' ({number(lo.rmst_months)}; {gap}).")
    return (f"By {a.km.group_by}, no group clearly outlives the others: within their first "
            f"{a.rmst.horizon_months:.0f} months customers stay between {number(lo.rmst_months)} "
            f"('{lo.group}') and {number(hi.rmst_months)} months ('{hi.group}') on average, a gap that could be "
            f"chance ({gap}).")


def _cox_sentences(a: SurvivalAnalysis) -> list[str]:
    hr = a.cox.hazard_ratios
    if len(hr):
        sig = hr[hr["p_value"] < 0.05].assign(strength=lambda d: np.abs(np.log(d["hazard_ratio"])))
        sig = sig[sig["kind"] != "numeric"].sort_values("strength", ascending=False).head(3)
        out = [_hr_sentence(r, a.spec.early_days) for r in sig.itertuples()]
        if not len(sig):
            out.append("No trait compared clearly changes how fast customers leave.")
        return out
    return []


def _competing_sentence(a: SurvivalAnalysis) -> str:
    if a.competing is None or not len(a.competing.at_times) or a.lifetimes_shortfall():
        return ""
    at = a.competing.at_times
    at = at[at["estimable"]]
    if not len(at):
        return ""
    t = at["duration_months"].max()
    v = at[at["duration_months"] == t].set_index("cause")["cumulative_incidence"]
    parts = [f"{pct(v[c], 0)}{word}" for c, word in ((
        "voluntary", " of customers have cancelled voluntarily"), ("involuntary", " involuntarily (e.g. failed payments)"))
             if c in v.index and np.isfinite(v[c])]
    if not parts:
        return ""
    s = f"By {t:.0f} months, " + " and ".join(parts)
    r = a.competing.reasons
    if len(r):
        top = r.iloc[r["n_churned"].to_numpy().argmax()]
        s += f"; the most common reason is '{top.churn_reason}' ({pct(top.share, 0)} of all churn)"
    return s + "."


def _sensitivity_sentence(a: SurvivalAnalysis) -> str:
    if a.sensitivity is None or not len(a.sensitivity):
        return ""
    sv = a.sensitivity
    ok = (sv["n_events"] >= MIN_EVENTS) & np.isfinite(sv["survival_at"].astype(float))
    own = sv[sv["configured"]].iloc[0]
    if not np.isfinite(float(own.survival_at)) and own.n_customers:
        return (f"The share of customers not churned after {own.months:.0f} months cannot be estimated yet: no "
                f"customer life has been followed that long under the unit's {own.threshold_days}-day rule.")
    if not ok[sv["configured"]].iloc[0]:
        return ""
    others = sv[~sv["configured"] & ok]
    parts = ", ".join(f"{pct(r.survival_at, 0)} with {r.threshold_days} days" for r in others.itertuples())
    if not parts:
        return ""
    return (f"The churn definition matters: with the unit's {own.threshold_days}-day rule {pct(own.survival_at, 0)} "
            f"of customers have not churned after {own.months:.0f} months; the share would be {parts}.")


def headline_sentences(a: SurvivalAnalysis) -> list[str]:
    """Plain-language findings of a :class:`~retention_utils.survival.SurvivalAnalysis` (plain text, not HTML)."""
    med = a.km_all.medians.iloc[0] if len(a.km_all.medians) else None
    if med is None or med.n_customers == 0:
        return ["No customer lifetimes to analyse in this unit yet."]
    s = (f"{a.n_customers:,} {vocab_name('customer_lives')}, {a.n_events:,} of which "
         f"{'has' if a.n_events == 1 else 'have'} ended in churn.")
    if a.life.warm_up_kept:
        s += (" Every customer was first seen in the data's first months (the warm-up window), so lives are "
              "counted from the first purchase in the data (a customer who bought before the data starts is "
              "counted short).")
    short = a.lifetimes_shortfall()
    if short:
        return [s, short]
    out = [s] + _lifetime_sentences(a, med)
    out += [x for x in [_rmst_sentence(a)] if x]
    out += _cox_sentences(a)
    out += [x for x in (_peak_sentence(a.hazard), _competing_sentence(a), _sensitivity_sentence(a)) if x]
    return out


# ============================================================================ HTML sections


def headline_html(a: SurvivalAnalysis) -> HTML:
    """Headline sentences as an HTML list (every data-derived string escaped)."""
    return HTML(headline_list(headline_sentences(a)))


def populations_sentence(a: SurvivalAnalysis) -> str:
    """Every customer count of the page in one line, and how they add up (plain text).

    E.g. "1,560 customers in the unit: 1,488 customer lives followed and 72 left out (...). The
    comparison of traits uses 854 of the 1,488: 634 left within their first 30 days (...)."
    """
    pop = a.populations()
    lives = f"{pop['lives']:,} {vocab_name('customer_lives')}"
    if pop["left_out_start"]:
        out = (f"Who is counted: {pop['unit_customers']:,} customers in the unit = {lives} + "
               f"{pop['left_out_start']:,} first seen at the very start of the data (left out: they may have bought "
               "before it starts).")
    else:
        out = f"Who is counted: {lives}, every customer of the unit."
    if pop["groups_left_out"] and a.km.group_by:
        out += (f" The curves by {a.km.group_by} leave out {pop['groups_left_out']:,} customers in groups too small "
                f"to compare.")
    if "model" in pop:
        why = []
        if pop["early_leavers"]:
            why.append(f"{pop['early_leavers']:,} left within their first {pop['landmark_days']} days, before the "
                       "early-life signs are known")
        if pop["model_missing"]:
            why.append(f"{pop['model_missing']:,} lack a trait or belong to a group too small to compare")
        out += (f" What changes how fast customers leave is measured on {pop['model']:,} of them"
                + (f" ({'; '.join(why)})." if why else "."))
    return out


def _see_above(a: SurvivalAnalysis) -> HTML:
    """The one line of a lifetimes section when the estimate is not shown (the section's top says why)."""
    what = "customer lives" if a.n_customers < a.min_customers else "churn events"
    return HTML(paragraph(f"Not shown: too few {what} so far (see above)."))


def lifetimes_html(a: SurvivalAnalysis) -> HTML:
    """The section's opening: who is counted (the counts reconciled), the method in small print, or the
    sentence saying what is missing (:meth:`~retention_utils.survival.SurvivalAnalysis.lifetimes_shortfall`)."""
    if not a.n_customers:
        return HTML(paragraph("No customer lifetimes to analyse in this unit yet."))
    short = a.lifetimes_shortfall()
    parts = [paragraph(populations_sentence(a))]
    if short:
        parts.append(shortfall_html(short))
    else:
        parts.append(small_print("Method: Kaplan-Meier estimate (customers still with the unit count as staying "
                                 "up to their last day followed); the bands and the ranges in brackets on this page "
                                 "are 95% intervals."))
    return join(*parts)


def km_table_html(km: KaplanMeier | SurvivalAnalysis) -> HTML:
    """Median lifetime and the share still customers at 3/6/12/24 months per group (or the shortfall)."""
    if isinstance(km, SurvivalAnalysis):
        short = km.lifetimes_shortfall()
        if short:
            return HTML("")  # lifetimes_html says what is missing
        km = km.km
    if not len(km.medians):
        return HTML(paragraph("No customers."))
    rows = []
    for m in km.medians.itertuples():
        r = {"Group": m.group, "Customers": count(m.n_customers), "Churned": count(m.n_events)}
        r["Half have left by (months)"] = _median_text(m.median_months, m.ci_lower, m.ci_upper, m.n_customers)
        for t in km.at_times[km.at_times["group"] == m.group].itertuples():
            r[f"Still customers after {t.duration_months:g} months"] = (
                f"{pct(t.survival, 0)} ({pct(t.ci_lower, 0)}–{pct(t.ci_upper, 0)})" if t.estimable
                and np.isfinite(t.survival) else NOT_ESTIMABLE)
        rows.append(r)
    note = ("In brackets: the likely range ('open': no upper end within the follow-up). 'not reached': more than "
            "half of the group are still customers when the follow-up ends. 'not estimable': no customer of "
            "the group has been followed that long.")
    return join(table(pd.DataFrame(rows)), footnote(note))


def logrank_html(lr: LogRank | SurvivalAnalysis) -> HTML:
    """Whether the groups really differ, in words, and each pair (or the sentence saying why not)."""
    if isinstance(lr, SurvivalAnalysis):
        a = lr
        if not a.spec.group_by:
            return HTML(paragraph("No groups are compared: set survival.group_by in the unit's params (e.g. plan or "
                                  "channel) to compare them."))
        if a.lifetimes_shortfall():
            return _see_above(a)
        short = a.groups_shortfall() or a.logrank_shortfall()
        if short:
            return HTML(shortfall_html(short))
        lr = a.logrank
    if not len(lr.overall):
        why = "; ".join(lr.notes["note"]) if len(lr.notes) else "no comparison between groups."
        return HTML(paragraph(why[0].upper() + why[1:]))
    o = lr.overall.iloc[0]
    verdict = (f"The {o.n_groups} groups of {o.group_by} differ by more than chance." if o.p_value < 0.05
               else f"The {o.n_groups} groups of {o.group_by} do not differ by more than chance.")
    method = (f"Method: log-rank test across the groups (chi-square {o.statistic:.1f} on {o.df} degrees of freedom, "
              f"p {pvalue(o.p_value)}); each pair tested the same way, corrected for testing several pairs (Holm).")
    pw = lr.pairwise
    show = pd.DataFrame({"Group A": pw["group_a"], "Group B": pw["group_b"],
                         "Chance of a gap this large by luck": pw["p_value_holm"].map(pvalue),
                         "Differ clearly?": pw["significant"].map({True: "yes", False: "no"})})
    return join(paragraph(verdict), table(show), small_print(method))


def cox_html(cox: CoxResult | SurvivalAnalysis, *, early_days: int | None = None) -> HTML:
    """How many times as fast customers with each trait leave, the method in small print, the notes."""
    if isinstance(cox, SurvivalAnalysis):
        short = cox.cox_shortfall()
        if short:
            return HTML(shortfall_html(short))
        early_days = cox.spec.early_days if early_days is None else early_days
        cox = cox.cox
    hr = cox.hazard_ratios
    days = early_days if early_days is not None else int(cox.fit["landmark_days"].iloc[0]) if len(cox.fit) else 0
    if not len(hr):
        return join(paragraph(cox.explanation), notes_list(cox.notes[cox.notes["note"] != cox.explanation]))
    fit = cox.fit.iloc[0]
    parts = [paragraph(f"Measured on {int(fit.n_customers):,} customers and {int(fit.n_events):,} churn events. Each "
                       "figure compares customers who differ only in that trait (the others held equal); it "
                       "describes an association in the data, not proof of cause.")]
    show = pd.DataFrame({
        "Trait": [term_label(r, days) for r in hr.itertuples()],
        "Leave ... times as fast": hr["hazard_ratio"].map(lambda v: number(v, 2)),
        "Likely range": [f"{side_kept(1, 2)(lo)}–{side_kept(1, 2)(hi)}"
                         for lo, hi in zip(hr["ci_lower"], hr["ci_upper"])],
        "Clear?": [("yes" if (lo > 1 or hi < 1) else "no") for lo, hi in zip(hr["ci_lower"], hr["ci_upper"])],
        "Customers": hr["n_customers"].map(count),
        "Churned": hr["n_events"].map(count),
    })
    parts.append(table(show))
    method = ("Method: Cox proportional-hazards model; the figures are hazard ratios (1.5: 50% more risk of leaving "
              "at any point than the comparison group; 0.7: 30% less).")
    ph = cox.ph_check
    bad = ph[ph["violation"]] if len(ph) else ph
    if len(ph) and not len(bad):
        method += f" No trait's effect changes clearly over the customer life ({len(ph)} tested)."
    parts.append(small_print(method))
    if len(bad):
        items = "".join(f"<li>{esc(r.term)}: {esc(r.suggestion)} (correlation with time {r.rho:+.2f})</li>"
                        for r in bad.itertuples())
        parts.append(paragraph(f"The effect of {len(bad)} of {len(ph)} traits changes over the customer life:")
                     + f"<ul>{items}</ul>")
    shown = cox.notes[(cox.notes["note"] != cox.explanation) & (cox.notes["subject"] != "landmark")]
    parts.append(notes_list(shown))  # the landmark is in the line of counts at the top of the page
    return join(*parts)


def hazard_html(a: SurvivalAnalysis | pd.DataFrame) -> HTML:
    """The month of peak churn risk in words (or why it is not shown)."""
    if isinstance(a, SurvivalAnalysis):
        if a.lifetimes_shortfall():
            return _see_above(a)  # the section's opening (lifetimes_html) says what is missing
    hazard = _part(a, "hazard")
    if not len(hazard):
        return HTML(paragraph("Too few churn events to show how the risk changes over the customer life."))
    s = _peak_sentence(hazard)
    return HTML(paragraph(s if s else "Too few months with enough customers to compare."))


def rmst_html(r: RMST | SurvivalAnalysis) -> HTML:
    """Average months as a customer within the horizon, per group, with differences (or the shortfall)."""
    if isinstance(r, SurvivalAnalysis):
        if r.lifetimes_shortfall():
            return _see_above(r)  # said once, at the top of the lifetimes section
        r = r.rmst
    by = r.by_group
    if not len(by):
        return HTML(paragraph("No customers."))
    dif = r.differences.set_index("group") if len(r.differences) else pd.DataFrame()
    rows = []
    for g in by.itertuples():
        row = {"Group": g.group, "Customers": count(g.n_customers),
               f"Months as a customer within {r.horizon_months:.0f} months": (
                   f"{number(g.rmst_months)} ({number(g.ci_lower)}–{number(g.ci_upper)})" if g.estimable
                   and np.isfinite(g.rmst_months) else NOT_ESTIMABLE)}
        if len(dif):
            if g.group in dif.index and np.isfinite(dif.loc[g.group, "difference_months"]):
                d = dif.loc[g.group]
                row[f"Difference vs {d.reference}"] = (f"{d.difference_months:+.1f} "
                                                       f"({d.ci_lower:+.1f} to {d.ci_upper:+.1f})")
            else:
                row[f"Difference vs {dif['reference'].iloc[0]}"] = "reference" if g.Index == 0 else NOT_ESTIMABLE
        rows.append(row)
    return join(table(pd.DataFrame(rows)),
                small_print("Method: restricted mean survival time (the area under the curve up to the horizon)."))


def reasons_html(c: CompetingRisks | SurvivalAnalysis) -> HTML:
    """Churn events by recorded type and reason (explicit churn units)."""
    c = _part(c, "competing")
    if c is None:
        return HTML("")
    r = c.reasons
    show = pd.DataFrame({"Type": r["churn_type"], "Reason": r["churn_reason"], "Churned": r["n_churned"].map(count),
                         "Share of all churn": r["share"].map(lambda v: pct(v, 0)),
                         "Share within type": r["share_of_type"].map(lambda v: pct(v, 0))})
    return HTML(table(show))


def competing_html(a: SurvivalAnalysis | CompetingRisks) -> HTML:
    """Churn by cause: share churned by 3/6/12/24 months and the reasons (or why not applicable)."""
    comp = _part(a, "competing")
    if comp is None:
        if a.method in ("explicit", "snapshot"):
            return HTML(paragraph("No churn types are recorded, so voluntary and involuntary churn cannot be told "
                                  "apart."))
        return HTML(paragraph("Not applicable: this unit's churn is inferred from inactivity, so there are no "
                              "recorded cancellations with a cause."))
    if isinstance(a, SurvivalAnalysis) and a.lifetimes_shortfall():
        return join(paragraph("Churn reasons:"), reasons_html(comp))
    at = comp.at_times
    wide = at.assign(v=[f"{pct(r.cumulative_incidence, 0)} ({pct(r.ci_lower, 0)}–{pct(r.ci_upper, 0)})"
                        if r.estimable and np.isfinite(r.cumulative_incidence) else NOT_ESTIMABLE
                        for r in at.itertuples()])
    wide = wide.pivot(index="cause", columns="duration_months", values="v").reindex(list(dict.fromkeys(at["cause"])))
    wide.columns = [f"Churned by {c:g} months" for c in wide.columns]
    wide = wide.reset_index().rename(columns={"cause": "Cause"})
    return join(table(wide), paragraph("Churn reasons:"), reasons_html(comp), notes_list(comp.notes))


def sensitivity_html(a: SurvivalAnalysis | pd.DataFrame) -> HTML:
    """Median lifetime and 12-month share under other inactivity thresholds (or why not applicable)."""
    s = _part(a, "sensitivity")
    if s is None and getattr(a, "method", "") == "snapshot":
        return HTML(paragraph("Not applicable: this unit is a one-row-per-customer table with a recorded churn flag, "
                              "so churn does not depend on an inactivity threshold."))
    if s is None:
        return HTML(paragraph("Not applicable: this unit records cancellation dates, so churn does not depend on an "
                              "inactivity threshold."))
    few = s["n_events"] < MIN_EVENTS
    too_few = [f"too few churn events ({n})" for n in s["n_events"]]
    show = pd.DataFrame({
        "Churned after ... days without a purchase": [f"{d} days" + (" (this unit)" if c else "") for d, c in
                                                      zip(s["threshold_days"], s["configured"])],
        "Customers": s["n_customers"].map(count),
        "Churned": s["n_events"].map(count),
        "Half have left by (months)": [t if f else _median_text(m, lo, hi, n) for m, lo, hi, n, f, t in
                                       zip(s["median_months"], s["median_ci_lower"], s["median_ci_upper"],
                                           s["n_customers"], few, too_few)],
        "Not churned after 12 months": [t if f else f"{pct(v, 0)} ({pct(lo, 0)}–{pct(hi, 0)})" if np.isfinite(v)
                                        else NOT_ESTIMABLE for v, lo, hi, f, t in
                                        zip(s["survival_at"], s["survival_ci_lower"], s["survival_ci_upper"], few,
                                            too_few)],
    })
    return join(table(show), footnote(f"A longer threshold waits longer before calling a quiet customer churned; "
                                      "customers first seen within the threshold of the data start are left out, "
                                      f"so the number of customers changes too. Fewer than {MIN_EVENTS} churn events "
                                      "give no estimate."))


#: Notes the page states elsewhere in words (the section's shortfall sentence, the counts' line).
_STATED = ("too few events", "landmark", "left truncation")


def about_html(a: SurvivalAnalysis) -> HTML:
    """Definitions and the notes of the analysis not already stated on the page."""
    items = [
        f"Customer life: {a.rule}.",
        f"Time is measured in months ({DAYS_PER_MONTH:.2f} days) from the start of each customer's life.",
        f"Early-life signs use the first {a.spec.early_days} days of each life (survival.early_days) and "
        "nothing after the report month.",
        f"Groups and levels with fewer than {a.min_customers} customers are merged or left out "
        "(thresholds.min_customers).",
    ]
    body = "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
    notes = a.notes[~a.notes["subject"].isin(_STATED)] if len(a.notes) else a.notes
    if len(notes) and a.lifetimes_shortfall():  # no curves are drawn: a note on how they are grouped is moot
        notes = notes[~notes["note"].str.contains("curves and comparisons show all customers together", regex=False)]
    if len(notes):
        body += paragraph("Notes:") + notes_list(notes)
    return HTML(body)


#: Sections of :func:`result_html`: heading and the function rendering it.
SECTIONS = (
    ("How long customers stay", lambda a: join(lifetimes_html(a), km_table_html(a))),
    ("Do the groups really differ?", logrank_html),
    ("Months as a customer within the horizon", rmst_html),
    ("When churn risk peaks", hazard_html),
    ("What shortens or lengthens a customer's life", cox_html),
    ("Why customers leave", competing_html),
    ("How much the churn definition matters", sensitivity_html),
    ("About this analysis", about_html),
)

_PARTS = ((KaplanMeier, km_table_html), (LogRank, logrank_html), (CoxResult, cox_html), (RMST, rmst_html),
          (CompetingRisks, competing_html))


def result_html(result: SurvivalAnalysis | KaplanMeier | LogRank | CoxResult | RMST | CompetingRisks) -> HTML:
    """Every section of a survival analysis (the headline first), or the table of one of its parts."""
    for cls, render in _PARTS:
        if isinstance(result, cls):
            return render(result)
    blocks = [headline_html(result)]
    for title, render in SECTIONS:
        blocks.append(f"<h3>{esc(title)}</h3>{render(result)}")
    return join(*blocks)
