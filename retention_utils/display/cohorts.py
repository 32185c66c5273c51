"""The cohort page: headline, recent cohorts against earlier ones, retention by group."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .formats import count, month_name, month_short, pct, pp
from .html import HTML, headline_list, join, notes_list, paragraph, table
from .kpis import amounts_text

__all__ = ["subtitle", "headline_sentences", "headline_html", "recent_cohorts_html", "group_test_html", "result_html"]

_WHAT = {"period": "still buying", "unbounded": "still customers", "subscribed": "still subscribed"}


def headline_sentences(result: Any) -> list[str]:
    """Plain-language findings of a :class:`~retention_utils.cohorts.CohortResult` (plain text)."""
    out = []
    unit = result.period
    p = result.pooled
    what = _WHAT[result.definition]
    for k in (3, 12):
        row = p[p.period == k]
        if len(row):
            r = row.iloc[0]
            cohorts = f"{int(r.n_cohorts)} cohort" + ("" if int(r.n_cohorts) == 1 else "s")
            out.append(f"On average {pct(r.retention_rate)} of a cohort is {what} {k} {unit}s after joining "
                       f"(95% interval {pct(r.ci_lower)} to {pct(r.ci_upper)}; {int(r.n_customers):,} customers "
                       f"in {cohorts}).")
    rec = result.recent
    if len(rec):
        sig = rec[rec.significant]
        if len(sig):
            for cohort, g in sig.groupby("cohort"):
                best = g.loc[g.difference.abs().idxmax()]
                word = "better" if best.difference > 0 else "worse"
                out.append(f"The {month_name(cohort)} cohort retains {word} than the cohorts before it at "
                           f"the same age: {pp(best.difference)} at {unit} {int(best.period)} "
                           f"({pct(best.retention_rate)} vs {pct(best.trailing_rate)}).")
        else:
            n = rec.cohort.nunique()
            out.append(f"None of the latest {n} cohorts differs significantly from the cohorts before them at the "
                       "same age.")
    if not getattr(result, "has_amounts", True):
        out.append("The export has no amounts, so revenue retention and cohort value are not shown.")
    c = result.control
    if len(c):
        last = c.iloc[-1]
        if not math.isnan(last.ucl):
            if last.alert == "above":
                out.append(f"ALERT: this month's churn rate ({pct(last.churn_rate)}) is above its upper control "
                           f"limit ({pct(last.ucl)}): more churn than normal variation explains.")
            elif last.alert == "below":
                out.append(f"This month's churn rate ({pct(last.churn_rate)}) is below its lower control limit "
                           f"({pct(last.lcl)}): unusually low churn.")
            else:
                out.append(f"This month's churn rate ({pct(last.churn_rate)}) is within its control limits "
                           f"({pct(last.lcl)} to {pct(last.ucl)}): normal variation.")
        n_alerts = int((c.tail(12).alert != "").sum())
        if n_alerts:
            out.append(f"{n_alerts} of the last 12 months {'was' if n_alerts == 1 else 'were'} outside their "
                       "control limits.")
    return out


def subtitle(result: Any, data: Any) -> str:
    """The page's subtitle: what retention means here, the period, and the money.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> subtitle(NS(definition="period", period="month"), NS(has_amounts=False))
    'Cohort retention · period retention by month · no amounts in the export'
    """
    return f"Cohort retention · {result.definition} retention by {result.period} · {amounts_text(data)}"


def headline_html(result: Any) -> HTML:
    """Headline list of the cohort report."""
    return HTML(headline_list(headline_sentences(result)))


def recent_cohorts_html(result: Any) -> HTML:
    """The recent-vs-trailing comparison as a readable table."""
    r = result.recent
    if r.empty:
        return HTML(paragraph("Not enough cohorts to compare."))
    show = pd.DataFrame({
        "Cohort": r.cohort.map(month_short),
        f"{result.period.title()}s since joining": r.period,
        "Retained": r.retention_rate.map(pct),
        "Earlier cohorts": r.trailing_rate.map(pct),
        "Difference": r.difference.map(pp),
        "95% interval": [f"{lo * 100:+.1f} to {hi * 100:+.1f} pp" for lo, hi in zip(r.diff_ci_lower, r.diff_ci_upper)],
        "Significant": r.significant.map({True: "yes", False: "no"}),
        "Customers": r.n_customers.map(count),
    })
    return HTML(table(show))


def group_test_html(result: Any) -> HTML:
    """One sentence on whether retention differs between groups (``result``: a CohortResult or its test frame)."""
    test = result.group_test if hasattr(result, "group_test") else result
    period = getattr(result, "period", "month")
    t = test.iloc[0]
    if t.attribute == "(none configured)":
        text = ("No customer attribute is configured for this comparison: set cohorts.split_by in the unit's "
                "params (e.g. channel) to compare retention between groups.")
    elif math.isnan(t.p_value):
        text = f"Not enough customers observed at {period} {int(t.period)} to compare the groups of {t.attribute}."
    elif t.significant:
        text = (f"Retention at {period} {int(t.period)} differs between {t.attribute} groups "
                f"(chi-square test, p = {t.p_value:.3g}, {t.n_customers:,} customers).")
    else:
        text = (f"No significant difference in retention at {period} {int(t.period)} between {t.attribute} groups "
                f"(chi-square test, p = {t.p_value:.2f}, {t.n_customers:,} customers).")
    return HTML(paragraph(text))


def result_html(result: Any) -> HTML:
    """A :class:`~retention_utils.cohorts.CohortResult` on its own: headline, recent cohorts, group test, notes."""
    return join(headline_html(result), recent_cohorts_html(result), group_test_html(result),
                notes_list(result.notes if result.notes is not None else []))
