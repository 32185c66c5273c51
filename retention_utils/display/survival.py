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
    DERIVED_FEATURES,
    RMST,
    CompetingRisks,
    CoxResult,
    KaplanMeier,
    LogRank,
    SurvivalAnalysis,
    term_label,
)
from ..survival.base import _Z
from .formats import count, number, pct, pvalue
from .html import HTML, esc, footnote, headline_list, join, notes_list, paragraph, table

__all__ = [
    "NOT_ESTIMABLE",
    "headline_sentences",
    "headline_html",
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


def _who(row: Any, early_days: int) -> tuple[str, str]:
    """(the customers with the trait, the comparison group) in words."""
    if row.covariate in DERIVED_FEATURES:
        trait = DERIVED_FEATURES[row.covariate].format(days=early_days)
        return f"customers with {trait}", "those without"
    if row.kind == "binary":
        return f"customers with {row.covariate}", "those without"
    if row.kind == "numeric":
        return f"each extra unit of {row.covariate}", ""
    return f"customers with {row.covariate} '{row.level}'", f"those with '{row.reference}'"


def _hr_sentence(row: Any, early_days: int) -> str:
    who, other = _who(row, early_days)
    ci = f"95% interval {row.ci_lower:.2f}–{row.ci_upper:.2f}"
    if row.kind == "numeric":
        return f"{who[0].upper()}{who[1:]} multiplies the churn risk by {row.hazard_ratio:.2f} ({ci})."
    speed = f"{row.hazard_ratio:.2f}" if row.hazard_ratio < 0.095 else f"{row.hazard_ratio:.1f}"
    s = f"{who[0].upper()}{who[1:]} churn {speed}x as fast as {other} ({ci})"
    if row.hazard_ratio < 1:
        s += f", i.e. {(1 - row.hazard_ratio) * 100:.0f}% lower churn risk at any tenure"
    return s + "."


def _peak_sentence(hazard: pd.DataFrame) -> str:
    hz = hazard[hazard["reliable"]]
    if len(hz) < 3:
        return ""
    peak = hz.loc[hz["hazard"].idxmax()]
    return (f"Churn risk peaks in month {peak.tenure_month:.0f} of the customer life: {pct(peak.hazard, 0)} of the "
            f"customers active at its start churn during it, against {pct(hz['hazard'].median(), 0)} in a typical "
            "month.")


def _lifetime_sentences(a: SurvivalAnalysis, med: Any) -> list[str]:
    """How many lives end in churn, never come back, and the median lifetime."""
    out = []
    t = a.life.table
    once = float((t["event"] & (t["duration_days"] == 0)).mean()) if "duration_days" in t and len(t) else 0.0
    if a.method == "inactivity" and once >= 0.05:
        out.append(f"{pct(once, 0)} of customers never bought again after their first purchase (a lifetime of 0 "
                   "months: the drop at the very start of the curve).")
    at12 = a.km_all.at_times[a.km_all.at_times["duration_months"] == 12]
    s12 = ""
    if len(at12) and at12["estimable"].iloc[0]:
        r = at12.iloc[0]
        s12 = f"{pct(r.survival, 0)} are still customers 12 months after their start (95% interval " \
              f"{pct(r.ci_lower, 0)}–{pct(r.ci_upper, 0)})."
    if med.median_reached and med.median_months < 0.5:
        out.append("More than half of the customers never come back after their first month "
                   f"(median lifetime {number(med.median_months)} months). " + s12)
    elif med.median_reached:
        out.append(f"Half of the customers churn within {number(med.median_months)} months (median lifetime, 95% interval "
                   f"{number(med.ci_lower)}–{number(med.ci_upper) if np.isfinite(med.ci_upper) else 'not reached'}). " + s12)
    else:
        longest = float(a.km_all.curve["duration_months"].max())
        out.append(f"More than half of the customers are still active after the longest follow-up "
                   f"({longest:.0f} months): the median lifetime is not reached yet. " + s12)
    return out


def _rmst_sentence(a: SurvivalAnalysis) -> str:
    by = a.rmst.by_group[a.rmst.by_group["estimable"]]
    if not (a.km.group_by and len(by) >= 2):
        return ""
    hi, lo = by.loc[by["rmst_months"].idxmax()], by.loc[by["rmst_months"].idxmin()]
    dlt = hi.rmst_months - lo.rmst_months
    se = math.sqrt(hi.std_err ** 2 + lo.std_err ** 2)
    ci = f"95% interval of the difference {number(dlt - _Z * se)} to {number(dlt + _Z * se)}"
    if dlt - _Z * se > 0:
        return (f"By {a.km.group_by}, '{hi.group}' customers stay longest: within their first "
                f"{a.rmst.horizon_months:.0f} months they are active {number(hi.rmst_months)} months on average, "
                f"{number(dlt)} months more than '{lo.group}' ({number(lo.rmst_months)}; {ci}).")
    return (f"By {a.km.group_by}, no group clearly outlives the others: within their first "
            f"{a.rmst.horizon_months:.0f} months customers are active between {number(lo.rmst_months)} "
            f"('{lo.group}') and {number(hi.rmst_months)} months ('{hi.group}') on average, a gap within the "
            f"noise ({ci}).")


def _cox_sentences(a: SurvivalAnalysis) -> list[str]:
    hr = a.cox.hazard_ratios
    if len(hr):
        sig = hr[hr["p_value"] < 0.05].assign(strength=lambda d: np.abs(np.log(d["hazard_ratio"])))
        sig = sig[sig["kind"] != "numeric"].sort_values("strength", ascending=False).head(3)
        out = [_hr_sentence(r, a.spec.early_days) for r in sig.itertuples()]
        if not len(sig):
            out.append("None of the modelled traits changes the churn risk clearly "
                       "(no hazard ratio significant at 5%).")
        return out
    if a.cox.status == "too_few_events":
        return ["Too few churn events for a model of what drives churn (see the notes)."]
    return []


def _competing_sentence(a: SurvivalAnalysis) -> str:
    if a.competing is None or not len(a.competing.at_times):
        return ""
    at = a.competing.at_times
    at = at[at["estimable"]]
    if not len(at):
        return ""
    t = at["duration_months"].max()
    v = at[at["duration_months"] == t].set_index("cause")["cumulative_incidence"]
    top = a.competing.reasons.iloc[a.competing.reasons["n_churned"].to_numpy().argmax()]
    return (f"By {t:.0f} months, {pct(v.get('voluntary', np.nan), 0)} of customers have cancelled "
            f"voluntarily and {pct(v.get('involuntary', np.nan), 0)} involuntarily (e.g. failed payments); "
            f"the most common reason is '{top.churn_reason}' ({pct(top.share, 0)} of all churn).")


def _sensitivity_sentence(a: SurvivalAnalysis) -> str:
    if a.sensitivity is None or not len(a.sensitivity):
        return ""
    sv = a.sensitivity
    own = sv[sv["configured"]].iloc[0]
    others = sv[~sv["configured"] & np.isfinite(sv["survival_at"].astype(float))]
    parts = ", ".join(f"{pct(r.survival_at, 0)} with {r.threshold_days} days" for r in others.itertuples())
    if np.isfinite(own.survival_at) and parts:
        return (f"The churn definition matters: with the unit's {own.threshold_days}-day inactivity rule "
                f"{pct(own.survival_at, 0)} of customers are still active after {own.months:.0f} months; "
                f"the share would be {parts}.")
    if not np.isfinite(own.survival_at):
        return (f"The share of customers still active after {own.months:.0f} months cannot be estimated yet: "
                f"no customer life has been followed that long under the unit's {own.threshold_days}-day "
                "inactivity rule.")
    return ""


def headline_sentences(a: SurvivalAnalysis) -> list[str]:
    """Plain-language findings of a :class:`~retention_utils.survival.SurvivalAnalysis` (plain text, not HTML)."""
    med = a.km_all.medians.iloc[0] if len(a.km_all.medians) else None
    if med is None or med.n_customers == 0:
        return ["No customer lifetimes to analyse in this unit yet."]
    s = f"{med.n_customers:,.0f} customer lives analysed, {med.n_events:,.0f} of which have ended in churn."
    if a.life.warm_up_kept:
        s += (" Every customer was first seen in the data's first months (the warm-up window), so lives are "
              "counted from the first purchase in the data (a customer who bought before the data starts is "
              "counted short).")
    if a.too_few_events:
        return [s, f"Too few events: with only {med.n_events:.0f} churn events so far, lifetimes cannot be estimated "
                   "reliably; the curve below is descriptive only."]
    out = [s] + _lifetime_sentences(a, med)
    out += [x for x in [_rmst_sentence(a)] if x]
    out += _cox_sentences(a)
    out += [x for x in (_peak_sentence(a.hazard), _competing_sentence(a), _sensitivity_sentence(a)) if x]
    return out


# ============================================================================ HTML sections


def headline_html(a: SurvivalAnalysis) -> HTML:
    """Headline sentences as an HTML list (every data-derived string escaped)."""
    return HTML(headline_list(headline_sentences(a)))


def km_table_html(km: KaplanMeier | SurvivalAnalysis) -> HTML:
    """Median lifetime and survival at 3/6/12/24 months per group (display pivot)."""
    km = _part(km, "km")
    if not len(km.medians):
        return HTML(paragraph("No customers."))
    rows = []
    for m in km.medians.itertuples():
        r = {"Group": m.group, "Customers": count(m.n_customers), "Churned": count(m.n_events)}
        r["Median lifetime (months)"] = _median_text(m.median_months, m.ci_lower, m.ci_upper, m.n_customers)
        for a in km.at_times[km.at_times["group"] == m.group].itertuples():
            r[f"Active after {a.duration_months:g} months"] = (
                f"{pct(a.survival, 0)} ({pct(a.ci_lower, 0)}–{pct(a.ci_upper, 0)})" if a.estimable else NOT_ESTIMABLE)
        rows.append(r)
    note = ("In brackets: 95% intervals ('open': the interval has no upper end within the follow-up). 'not "
            "reached': more than half of the group is still active at the end of the follow-up. 'not estimable': "
            "no customer of the group has been followed that long.")
    return join(table(pd.DataFrame(rows)), footnote(note))


def logrank_html(lr: LogRank | SurvivalAnalysis) -> HTML:
    """Log-rank test in words, and the pairwise table (or why there is no comparison)."""
    lr = _part(lr, "logrank")
    if not len(lr.overall):
        why = "; ".join(lr.notes["note"]) if len(lr.notes) else "no comparison between groups."
        return HTML(paragraph(why[0].upper() + why[1:]))
    o = lr.overall.iloc[0]
    verdict = ("The groups' survival differs clearly" if o.p_value < 0.05
               else "No clear difference in survival between the groups")
    head = (f"{verdict} (log-rank test across {o.n_groups} groups of {o.group_by}: chi-square {o.statistic:.1f} "
            f"on {o.df} degrees of freedom, p {pvalue(o.p_value)}).")
    pw = lr.pairwise
    show = pd.DataFrame({"Group A": pw["group_a"], "Group B": pw["group_b"],
                         "Chi-square": pw["statistic"].map(lambda v: number(v, 1)),
                         "p (Holm-corrected)": pw["p_value_holm"].map(pvalue),
                         "Different?": pw["significant"].map({True: "yes", False: "no"})})
    return join(paragraph(head), table(show))


def cox_html(cox: CoxResult | SurvivalAnalysis, *, early_days: int | None = None) -> HTML:
    """Hazard ratios in a readable table, the proportional-hazards check and the model notes."""
    cox = _part(cox, "cox")
    parts = [paragraph(cox.explanation)]
    hr = cox.hazard_ratios
    days = early_days if early_days is not None else int(cox.fit["landmark_days"].iloc[0]) if len(cox.fit) else 0
    if len(hr):
        show = pd.DataFrame({
            "Trait": [term_label(r, days) for r in hr.itertuples()],
            "Hazard ratio": hr["hazard_ratio"].map(lambda v: number(v, 2)),
            "95% interval": [f"{number(lo, 2)}–{number(hi, 2)}" for lo, hi in zip(hr["ci_lower"], hr["ci_upper"])],
            "p": hr["p_value"].map(pvalue),
            "Customers": hr["n_customers"].map(count),
            "Churned": hr["n_events"].map(count),
        })
        parts.append(table(show))
        parts.append(footnote("A hazard ratio of 1.5 means 50% more churn risk at any tenure than the reference; "
                              "0.7 means 30% less."))
    ph = cox.ph_check
    if len(ph):
        bad = ph[ph["violation"]]
        if len(bad):
            items = "".join(f"<li>{esc(r.term)}: {esc(r.suggestion)} (correlation with time {r.rho:+.2f}, "
                            f"p {r.p_value:.3g})</li>" for r in bad.itertuples())
            parts.append(paragraph(f"Proportional-hazards check: the ratio changes over the customer life for "
                                   f"{len(bad)} of {len(ph)} terms.") + f"<ul>{items}</ul>")
        else:
            parts.append(paragraph(f"Proportional-hazards check: no term's ratio changes clearly over the customer "
                                   f"life ({len(ph)} terms tested)."))
    parts.append(notes_list(cox.notes[cox.notes["note"] != cox.explanation]))
    return join(*parts)


def hazard_html(a: SurvivalAnalysis | pd.DataFrame) -> HTML:
    """The month of peak churn risk in words (or why it is not shown)."""
    few = a.too_few_events if isinstance(a, SurvivalAnalysis) else False
    hazard = _part(a, "hazard")
    if few or not len(hazard):
        return HTML(paragraph("Too few churn events to show how the risk changes over the customer life."))
    s = _peak_sentence(hazard)
    return HTML(paragraph(s if s else "Too few months with enough customers to compare."))


def rmst_html(r: RMST | SurvivalAnalysis) -> HTML:
    """Average months active within the horizon, per group, with differences."""
    r = _part(r, "rmst")
    by = r.by_group
    if not len(by):
        return HTML(paragraph("No customers."))
    dif = r.differences.set_index("group") if len(r.differences) else pd.DataFrame()
    rows = []
    for g in by.itertuples():
        row = {"Group": g.group, "Customers": count(g.n_customers),
               f"Months active within {r.horizon_months:.0f} months": (
                   f"{number(g.rmst_months)} ({number(g.ci_lower)}–{number(g.ci_upper)})" if g.estimable else NOT_ESTIMABLE)}
        if len(dif):
            if g.group in dif.index and np.isfinite(dif.loc[g.group, "difference_months"]):
                d = dif.loc[g.group]
                row[f"Difference vs {d.reference}"] = (f"{d.difference_months:+.1f} "
                                                       f"({d.ci_lower:+.1f} to {d.ci_upper:+.1f})")
            else:
                row[f"Difference vs {dif['reference'].iloc[0]}"] = "reference" if g.Index == 0 else NOT_ESTIMABLE
        rows.append(row)
    return join(table(pd.DataFrame(rows)), footnote("Restricted mean survival time: the area under the survival "
                                                    "curve up to the horizon, in months; 95% intervals in brackets."))


def reasons_html(c: CompetingRisks | SurvivalAnalysis) -> HTML:
    """Churn events by recorded type and reason (explicit churn units)."""
    c = _part(c, "competing")
    if c is None:
        return HTML("")
    r = c.reasons
    show = pd.DataFrame({"Type": r["churn_type"], "Reason": r["churn_reason"], "Churned": r["n_churned"].map(count),
                         "Share of all churn": r["share"].map(lambda v: pct(v, 0)), "Share within type": r["share_of_type"].map(lambda v: pct(v, 0))})
    return HTML(table(show))


def competing_html(a: SurvivalAnalysis | CompetingRisks) -> HTML:
    """Churn by cause: incidence at 3/6/12/24 months and the reasons (or why not applicable)."""
    comp = _part(a, "competing")
    if comp is None:
        if a.method in ("explicit", "snapshot"):
            return HTML(paragraph("No churn types are recorded, so voluntary and involuntary churn cannot be told "
                                  "apart."))
        return HTML(paragraph("Not applicable: this unit's churn is inferred from inactivity, so there are no "
                              "recorded cancellations with a cause."))
    at = comp.at_times
    wide = at.assign(v=[f"{pct(r.cumulative_incidence, 0)} ({pct(r.ci_lower, 0)}–{pct(r.ci_upper, 0)})" if r.estimable
                        else NOT_ESTIMABLE for r in at.itertuples()])
    wide = wide.pivot(index="cause", columns="duration_months", values="v").reindex(list(dict.fromkeys(at["cause"])))
    wide.columns = [f"Churned by {c:g} months" for c in wide.columns]
    wide = wide.reset_index().rename(columns={"cause": "Cause"})
    return join(table(wide), paragraph("Churn reasons:"), reasons_html(comp), notes_list(comp.notes))


def sensitivity_html(a: SurvivalAnalysis | pd.DataFrame) -> HTML:
    """Median lifetime and 12-month survival under other inactivity thresholds (or why not applicable)."""
    s = _part(a, "sensitivity")
    if s is None and getattr(a, "method", "") == "snapshot":
        return HTML(paragraph("Not applicable: this unit is a one-row-per-customer table with a recorded churn flag, "
                              "so churn does not depend on an inactivity threshold."))
    if s is None:
        return HTML(paragraph("Not applicable: this unit records cancellation dates, so churn does not depend on an "
                              "inactivity threshold."))
    show = pd.DataFrame({
        "Inactivity threshold": [f"{d} days" + (" (this unit)" if c else "") for d, c in
                                 zip(s["threshold_days"], s["configured"])],
        "Customers": s["n_customers"].map(count),
        "Churned": s["n_events"].map(count),
        "Median lifetime (months)": [_median_text(m, lo, hi, n) for m, lo, hi, n in
                                     zip(s["median_months"], s["median_ci_lower"], s["median_ci_upper"],
                                         s["n_customers"])],
        "Active after 12 months": [f"{pct(v, 0)} ({pct(lo, 0)}–{pct(hi, 0)})" if np.isfinite(v) else NOT_ESTIMABLE
                                   for v, lo, hi in zip(s["survival_at"], s["survival_ci_lower"],
                                                        s["survival_ci_upper"])],
    })
    return join(table(show), footnote("A longer threshold waits longer before calling a quiet customer churned; "
                                      "customers first seen within the threshold of the data start are left out, "
                                      "so the number of customers changes too."))


def about_html(a: SurvivalAnalysis) -> HTML:
    """Definitions and every note of the analysis."""
    items = [
        f"Customer life: {a.rule}.",
        f"Time is measured in months ({DAYS_PER_MONTH:.2f} days) from the start of each customer's life.",
        "Kaplan-Meier curves estimate the share still active at each tenure, counting customers who are still "
        "active as 'censored' (they may churn later); bands are 95% intervals.",
        f"Early-life features use the first {a.spec.early_days} days of each life (survival.early_days) and "
        "nothing after the report month.",
        f"Groups and levels with fewer than {a.min_customers} customers are merged or left out "
        "(thresholds.min_customers).",
    ]
    body = "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
    if len(a.notes):
        body += paragraph("Notes:") + notes_list(a.notes)
    return HTML(body)


#: Sections of :func:`result_html`: heading and the function rendering it.
SECTIONS = (
    ("How long customers stay", km_table_html),
    ("Are the differences between groups real?", logrank_html),
    ("Expected months of customer life within the horizon", rmst_html),
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
