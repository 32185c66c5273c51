"""The KPI page: headline sentences and cards, the monthly table, how the numbers are defined."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .formats import fmt_delta, fmt_value, month_name, month_short, pp
from .html import (
    HTML,
    Card,
    bullet_list,
    cards,
    footnote,
    headline_list,
    join,
    notes_list,
    table,
)

__all__ = ["NO_AMOUNTS", "amounts_text", "headline_sentences", "headline_html", "kpi_table_html", "definitions_html",
           "result_html"]

#: The sentence that stands in for every money figure of a unit whose export has no amounts.
NO_AMOUNTS = ("The export has no amounts, so revenue, order values and revenue per customer are not shown "
              "(every dated order counts as a purchase).")


def amounts_text(data: Any) -> str:
    """Subtitle fragment on money: the currency, or that the export has no amounts.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> amounts_text(NS(config=NS(currency="EUR"), has_amounts=True)), amounts_text(NS(has_amounts=False))
    ('amounts in EUR', 'no amounts in the export')
    """
    if not getattr(data, "has_amounts", True):
        return "no amounts in the export"
    return f"amounts in {data.config.currency}"


def headline_sentences(result: Any) -> list[str]:
    """Plain-language headline sentences of a :class:`~retention_utils.kpis.KpiResult` (plain text)."""
    h = result.headline.set_index("kpi")
    month, currency = result.month, result.currency
    prev_name = month_name(pd.Timestamp(month) - pd.DateOffset(months=1)).split(" ")[0]
    out = []
    act = h.loc["n_active"]
    s = f"In {month_name(month)}, {fmt_value(act.value, 'count')} customers bought"
    if not math.isnan(act.delta_previous):
        s += f" ({fmt_delta(act.delta_previous, act.pct_previous, 'count')} vs {prev_name})"
    if not math.isnan(act.delta_last_year):
        s += f" and {fmt_delta(act.delta_last_year, act.pct_last_year, 'count')} vs a year before"
    out.append(s + ".")
    ch = h.loc["churn_rate"]
    if not math.isnan(ch.value) and ch.n_obs < result.min_customers:
        out.append(f"The monthly churn rate ({fmt_value(ch.value, 'rate')}) rests on only {ch.n_obs:,.0f} "
                   f"customers at the start of the month, too few for a reliable rate.")
    elif not math.isnan(ch.value):
        s = (f"The monthly churn rate was {fmt_value(ch.value, 'rate')} (95% interval "
             f"{fmt_value(ch.ci_lower, 'rate')} to {fmt_value(ch.ci_upper, 'rate')})")
        if not math.isnan(ch.delta_previous):
            direction = "up" if ch.delta_previous > 0 else "down"
            s += f", {direction} {pp(abs(ch.delta_previous), sign=False)} on {prev_name}"
        out.append(s + ".")
    if "net_revenue" not in h.index:
        out.append(NO_AMOUNTS)
        return out
    rev = h.loc["net_revenue"]
    s = f"Net revenue was {fmt_value(rev.value, 'money', currency)}"
    if not math.isnan(rev.delta_last_year):
        s += f" ({fmt_delta(rev.delta_last_year, rev.pct_last_year, 'money', currency)} vs a year before)"
    aov = h.loc["aov"]
    s += f", with an average order value of {fmt_value(aov.value, 'money', currency)}."
    out.append(s)
    return out


def _tone(delta: float, higher_is_better: bool) -> str:
    if delta is None or math.isnan(delta) or delta == 0:
        return ""
    return "good" if (delta > 0) == bool(higher_is_better) else "bad"


def headline_html(result: Any) -> HTML:
    """Headline sentences and KPI cards (value, interval or small-sample flag, vs previous month, vs last year)."""
    items = []
    for row in result.headline.itertuples():
        lines = []
        if not math.isnan(row.n_obs) and row.n_obs < result.min_customers:
            lines.append((f"small sample: {row.n_obs:,.0f} customers", "bad"))
        elif not math.isnan(row.ci_lower):
            lines.append((f"95% interval {fmt_value(row.ci_lower, row.kind)}–{fmt_value(row.ci_upper, row.kind)}",
                          "ci"))
        lines.append((f"vs prev. month: {fmt_delta(row.delta_previous, row.pct_previous, row.kind, result.currency)}",
                      _tone(row.delta_previous, row.higher_is_better)))
        lines.append((f"vs last year: {fmt_delta(row.delta_last_year, row.pct_last_year, row.kind, result.currency)}",
                      _tone(row.delta_last_year, row.higher_is_better)))
        items.append(Card(row.label, fmt_value(row.value, row.kind, result.currency), tuple(lines)))
    return join(headline_list(headline_sentences(result)), cards(items))


def kpi_table_html(result: Any, *, months: int = 13) -> HTML:
    """The last ``months`` rows of the KPI table, formatted for reading (months as rows)."""
    k = result.monthly.tail(months)
    currency = result.currency
    money = not k["net_revenue"].isna().all()
    show = pd.DataFrame({
        "Month": k["month"].map(month_short) + k["warm_up"].map({True: " *", False: ""}),
        "Active customers": k["n_active"].map(lambda v: fmt_value(v, "count")),
        "New": k["n_new"].map(lambda v: fmt_value(v, "count")),
        "Reactivated": k["n_reactivated"].map(lambda v: fmt_value(v, "count")),
        "Churned": k["n_churned"].map(lambda v: fmt_value(v, "count")),
        "Churn rate": k["churn_rate"].map(lambda v: fmt_value(v, "rate")),
        "Dormant (end)": k["n_dormant_end"].map(lambda v: fmt_value(v, "count")),
        "Orders": k["n_orders"].map(lambda v: fmt_value(v, "count")),
        f"Net revenue ({currency})": k["net_revenue"].map(lambda v: "n/a" if pd.isna(v) else f"{v:,.0f}"),
        f"Avg order value ({currency})": k["aov"].map(lambda v: "n/a" if pd.isna(v) else f"{v:,.2f}"),
        "Repurchase rate": k["repurchase_rate"].map(lambda v: fmt_value(v, "rate")),
    })
    if not money:
        show = show.drop(columns=[f"Net revenue ({currency})", f"Avg order value ({currency})"])
    note = footnote("* warm-up month: customers who bought before the data starts look new, so flows are not "
                    "comparable.") if k["warm_up"].any() else ""
    if not money:
        note += footnote(NO_AMOUNTS)
    return join(table(show), note)


def definitions_html(cfg: Any, data: Any) -> HTML:
    """How the numbers are defined for this unit (churn rule, period, sources)."""
    ch = cfg.churn
    if ch.method == "inactivity":
        churn = (f"a customer is churned when they have not bought for more than {ch.inactivity_days} days "
                 f"(counted on the day the window elapses); a purchase after such a gap is a reactivation")
    else:
        churn = "a customer is churned on the cancellation date recorded in the customers table"
    sources = ", ".join(sorted(set(data.quality.inputs["source"].astype(str))))
    items = [
        f"Report month: {month_name(data.month)}; data used from {data.data_start:%d %b %Y} to "
        f"{data.month_end:%d %b %Y}. Anything dated later is excluded (no look-ahead).",
        f"Churn: {churn}. Dormant: no purchase for more than {ch.dormant_days} days, not churned.",
        ("Active customers: bought in the month (orders with a positive amount; refunds are not purchases). "
         if getattr(data, "has_amounts", True) else
         "Active customers: bought in the month (the export has no amounts, so every dated order is a purchase). ")
        + "Repurchase rate: share of the month's buyers who had bought before.",
        "Churn rate: churned in the month divided by the customers at the start of the month, "
        "with a Wilson 95% interval.",
        f"Amounts in {cfg.currency}; net revenue deducts refunds." if getattr(data, "has_amounts", True) else NO_AMOUNTS,
        f"Sources: {sources}.",
    ]
    return HTML(bullet_list(items))


def result_html(result: Any) -> HTML:
    """A :class:`~retention_utils.kpis.KpiResult` on its own: headline, cards, the monthly table, notes."""
    return join(headline_html(result), kpi_table_html(result), notes_list(result.notes))
