"""The cohort page: headline, recent cohorts against earlier ones, retention by group.

Every number is shown only when enough customers stand behind it (:mod:`retention_utils.samples`):
otherwise the section is one sentence saying what is missing (:meth:`CohortResult.shortfall
<retention_utils.cohorts.CohortResult.shortfall>`). The retention measure carries its vocabulary name
("share of a cohort buying in month 3"), never the survival page's "still customers".
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .formats import count, month_name, month_short, pct, pp, pvalue
from .html import HTML, footnote, headline_list, join, notes_list, paragraph, shortfall_html, small_print, table
from .kpis import amounts_text

__all__ = ["subtitle", "headline_sentences", "headline_html", "recent_cohorts_html", "group_test_html",
           "section_html", "result_html"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def headline_sentences(result: Any) -> list[str]:
    """Plain-language findings of a :class:`~retention_utils.cohorts.CohortResult` (plain text)."""
    out = []
    p = result.reliable_pooled()
    shown = []
    for k in (3, 12):
        row = p[p.period == k]
        if len(row):
            r = row.iloc[0]
            shown.append(k)
            out.append(f"{_capital(result.measure(k))}: {pct(r.retention_rate)} on average (95% interval "
                       f"{pct(r.ci_lower)} to {pct(r.ci_upper)}; {int(r.n_customers):,} customers followed for at "
                       f"least {k} {result.period}s).")
    if not shown:
        at3 = result.pooled[result.pooled.period == 3]
        n3 = int(at3.n_customers.iloc[0]) if len(at3) else 0
        out.append(f"Too few customers followed for 3 {result.period}s to measure retention yet ({n3:,} customers; "
                   f"{result.min_customers:,} needed).")
    else:
        out.append(result.survival_note(shown[-1]))
    rec = result.recent
    if result.shortfall("recent"):
        out.append(result.recent_gap())
    elif len(rec):
        sig = rec[rec.significant]
        if len(sig):
            for cohort, g in sig.groupby("cohort"):
                best = g.loc[g.difference.abs().idxmax()]
                word = "better" if best.difference > 0 else "worse"
                out.append(f"The {month_name(cohort)} cohort {result.keeps()} {word} than the cohorts before it at the "
                           f"same age: {pp(best.difference)} in {result.period} {int(best.period)} "
                           f"({pct(best.retention_rate)} vs {pct(best.trailing_rate)}; "
                           f"{count(best.n_customers)} customers).")
        else:
            n = rec.cohort.nunique()
            out.append(f"The latest {n} cohorts do not differ from the cohorts before them at the same age by more "
                       "than chance.")
    if not getattr(result, "has_amounts", True):
        out.append("The export has no amounts, so revenue retention and cohort value are not shown.")
    out += _control_sentences(result)
    return out


def _control_sentences(result: Any) -> list[str]:
    if result.shortfall("control"):
        return []
    c = result.control[result.control.n_customers_start >= max(result.min_customers, 1)]
    out = []
    if len(c) and c.month.iloc[-1] == result.control.month.iloc[-1] and not math.isnan(c.ucl.iloc[-1]):
        last = c.iloc[-1]
        if last.alert == "above":
            out.append(f"ALERT: this month's churn rate ({pct(last.churn_rate)}) is unusually high, above its usual "
                       f"range (up to {pct(last.ucl)}): more churn than normal month-to-month variation explains.")
        elif last.alert == "below":
            out.append(f"Good news: this month's churn rate ({pct(last.churn_rate)}) is unusually low, below its "
                       f"usual range (from {pct(last.lcl)}).")
        else:
            out.append(f"This month's churn rate ({pct(last.churn_rate)}) is within its usual range "
                       f"({pct(last.lcl)} to {pct(last.ucl)}).")
    tail = c.tail(12)
    high, low = int((tail.alert == "above").sum()), int((tail.alert == "below").sum())
    if high:
        out.append(f"{high} of the last 12 months had unusually high churn.")
    if low:
        out.append(f"{low} of the last 12 months had unusually low churn.")
    return out


def subtitle(result: Any, data: Any) -> str:
    """The page's subtitle: what retention means here, the period, and the money.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> subtitle(NS(definition="period", period="month"), NS(has_amounts=False))
    'Cohort retention · share of a cohort buying in month k · no amounts in the export'
    """
    from ..cohorts import measure_name

    return f"Cohort retention · {measure_name(result.definition, result.period)} · {amounts_text(data)}"


def headline_html(result: Any) -> HTML:
    """Headline list of the cohort report."""
    return HTML(headline_list(headline_sentences(result)))


def section_html(result: Any, section: str) -> HTML:
    """The sentence that replaces the chart of ``section`` (see :meth:`CohortResult.shortfall`), or nothing when
    the chart is drawn (when it is not, the plot function closes its figure: the page shows the sentence only)."""
    return HTML(shortfall_html(result.shortfall(section)))


def recent_cohorts_html(result: Any) -> HTML:
    """The recent-vs-trailing comparison as a readable table (month 0 never compared; small cohorts left out)."""
    short = result.shortfall("recent")
    if short:
        return HTML(shortfall_html(short))
    r = result.recent
    unit = result.period
    show = pd.DataFrame({
        "Cohort": r.cohort.map(month_short),
        f"{unit.title()}": r.period,
        "This cohort": r.retention_rate.map(pct),
        "Earlier cohorts": r.trailing_rate.map(pct),
        "Difference": r.difference.map(pp),
        "95% interval": [f"{pp(lo)} to {pp(hi)}" for lo, hi in zip(r.diff_ci_lower, r.diff_ci_upper)],
        "Beyond chance": r.significant.map({True: "yes", False: "no"}),
        "Customers": r.n_customers.map(count),
    })
    note = (f"Each row: the {result.measure()} for the cohort and for the earlier cohorts at the same age. "
            f"{_capital(unit)} 0 (everyone, by definition) is not compared, nor are cohorts with fewer than "
            f"{result.min_customers:,} customers.")
    return join(table(show), footnote(note))


def group_test_html(result: Any) -> HTML:
    """Whether retention differs between groups, in plain words; the test's name and p-value in small print.

    ``result``: a CohortResult (a bare test frame is read as its only row).
    """
    if not hasattr(result, "group_test"):
        t = result.iloc[0]
        return HTML(paragraph(t.not_tested) if getattr(t, "not_tested", "") else "")
    short = result.shortfall("groups")
    if short:
        return HTML(shortfall_html(short))  # the chart gave way to it (plots.cohorts.plot_group_curves)
    t = result.group_test.iloc[0]
    if getattr(t, "not_tested", ""):
        return HTML(shortfall_html(t.not_tested))
    at = result.group_curves[(result.group_curves.period == int(t.period))
                             & (result.group_curves.n_customers >= max(result.min_customers, 1))]
    spread = ""
    if len(at) >= 2:
        lo, hi = at.loc[at.retention_rate.idxmin()], at.loc[at.retention_rate.idxmax()]
        spread = f": from {pct(lo.retention_rate)} ({lo.group}) to {pct(hi.retention_rate)} ({hi.group})"
    what = f"The {result.measure(int(t.period))}"
    if t.significant:
        text = f"{what} differs between {t.attribute} groups by more than chance{spread}."
    else:
        text = f"{what} does not differ between {t.attribute} groups by more than chance{spread}."
    fine = (f"Chi-square test of independence on {t.n_customers:,} customers in {int(t.n_groups)} groups, "
            f"p = {pvalue(t.p_value)}.")
    return join(paragraph(text), small_print(fine))


def result_html(result: Any) -> HTML:
    """A :class:`~retention_utils.cohorts.CohortResult` on its own: headline, recent cohorts, group test, notes."""
    return join(headline_html(result), recent_cohorts_html(result), group_test_html(result),
                notes_list(result.notes if result.notes is not None else []))
