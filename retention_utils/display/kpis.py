"""The KPI page: headline sentences and cards, the monthly table, how the numbers are defined."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .. import vocabulary
from ..samples import shortfall
from .formats import count, fmt_delta, fmt_value, is_missing, month_name, month_short, pp
from .html import (
    HTML,
    Card,
    bullet_list,
    cards,
    footnote,
    headline_list,
    join,
    notes_list,
    shortfall_html,
    small_print,
    table,
)

__all__ = ["NO_AMOUNTS", "amounts_text", "headline_sentences", "reconciliation", "headline_html", "churn_rate_html", "kpi_table_html", "definitions_html",
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
    """Plain-language headline sentences of a :class:`~retention_utils.kpis.KpiResult` (plain text).

    Each count is written "<count> <vocabulary name>" (e.g. "517 customers who bought in December 2025"),
    so a number carries the same name on every page.
    """
    h = result.headline.set_index("kpi")
    month, currency = result.month, result.currency
    prev_name = month_name(pd.Timestamp(month) - pd.DateOffset(months=1)).split(" ")[0]
    out = []
    act = h.loc["n_active"]
    s = f"{fmt_value(act.value, 'count')} {vocabulary.name('buyers', month=month)}"
    changes = []
    if _known(act.delta_previous):
        changes.append(f"{fmt_delta(act.delta_previous, act.pct_previous, 'count')} on {prev_name}")
    if _known(act.delta_last_year):
        changes.append(f"{fmt_delta(act.delta_last_year, act.pct_last_year, 'count')} on a year before")
    out.append(s + (f" ({' and '.join(changes)})" if changes else "") + ".")
    ch = h.loc["churn_rate"]
    short = _churn_shortfall(result)
    if short:
        out.append(short)
    elif _known(ch.value):
        churned = _month_row(result)["n_churned"]
        s = (f"The monthly churn rate was {fmt_value(ch.value, 'rate')}: {count(churned)} "
             f"{vocabulary.name('churned')} of the {count(ch.n_obs)} "
             f"{vocabulary.name('customers_start', month=month)} (95% interval {fmt_value(ch.ci_lower, 'rate')} to "
             f"{fmt_value(ch.ci_upper, 'rate')})")
        if _known(ch.delta_previous) and ch.delta_previous != 0:
            direction = "up" if ch.delta_previous > 0 else "down"
            s += f", {direction} {pp(abs(ch.delta_previous), sign=False)} on {prev_name}"
        out.append(s + ".")
    if "net_revenue" not in h.index:
        out.append(NO_AMOUNTS)
        return out
    rev = h.loc["net_revenue"]
    s = f"Net revenue was {fmt_value(rev.value, 'money', currency)}"
    if _known(rev.delta_last_year):
        s += f" ({fmt_delta(rev.delta_last_year, rev.pct_last_year, 'money', currency)} on a year before)"
    aov = h.loc["aov"]
    if _known(aov.value):
        s += f", with an average order value of {fmt_value(aov.value, 'money', currency)}"
    out.append(s + ".")
    return out


def reconciliation(result: Any) -> str:
    """One line on how the month's customer counts add up (the vocabulary's identities), with the counts.

    Examples
    --------
    >>> import datetime as dt
    >>> from types import SimpleNamespace as NS
    >>> m = pd.DataFrame({"month": [pd.Timestamp("2025-12-01")], "n_active": [517], "n_active_end": [622],
    ...                   "n_dormant_end": [140], "n_customers_start": [750], "n_churned": [31], "n_new": [40],
    ...                   "n_reactivated": [3]})
    >>> reconciliation(NS(monthly=m, month=dt.date(2025, 12, 1)))[:93]
    'How the counts add up: 622 active at month end + 140 dormant at month end = 762 customers at '
    """
    r = _month_row(result)
    month = result.month
    days = getattr(result, "dormant_days", None)
    recent = f"within the last {days} days" if days else "recent enough not to be dormant"
    end = int(r["n_active_end"]) + int(r["n_dormant_end"])
    return (f"How the counts add up: {count(r['n_active_end'])} {vocabulary.name('active_end')} + "
            f"{count(r['n_dormant_end'])} {vocabulary.name('dormant_end')} = {count(end)} "
            f"{vocabulary.name('customers_end', month=month)} = {count(r['n_customers_start'])} "
            f"{vocabulary.name('customers_start', month=month)} − {count(r['n_churned'])} churned + "
            f"{count(r['n_new'])} new + {count(r['n_reactivated'])} reactivated. The "
            f"{count(r['n_active'])} {vocabulary.name('buyers', month=month)} are a different count: "
            f"{vocabulary.name('active_end')} also counts customers whose last purchase was in an earlier month "
            f"but {recent}, and leaves out buyers who churned by the month end.")


def _known(v: Any) -> bool:
    return not is_missing(v)


def _month_row(result: Any) -> pd.Series:
    k = result.monthly
    row = k[k["month"] == pd.Timestamp(result.month)]
    return (row if len(row) else k.tail(1)).iloc[0]


def _churn_shortfall(result: Any) -> str | None:
    """The sentence standing in for the churn rate when too few customers were at the start of the month."""
    h = result.headline.set_index("kpi")
    if "churn_rate" not in h.index:
        return None
    return shortfall(h.at["churn_rate", "n_obs"], result.min_customers, what="the monthly churn rate",
                     where=f"at the start of {month_name(result.month)}")


def churn_rate_html(result: Any) -> HTML:
    """The sentence that replaces the churn-rate chart when no month had ``min_customers`` at its start
    (:func:`retention_utils.plots.kpis.churn_rate_shortfall`), or nothing when the chart is drawn."""
    k = result.monthly
    most = int(k["n_customers_start"].max()) if len(k) else 0
    return HTML(shortfall_html(shortfall(most, result.min_customers, what="a chart of the monthly churn rate",
                                         where="at the start of the busiest month")))


def _tone(delta: float, higher_is_better: bool) -> str:
    if delta is None or math.isnan(delta) or delta == 0:
        return ""
    return "good" if (delta > 0) == bool(higher_is_better) else "bad"


def _change(delta: float, rel: float, kind: str, currency: str) -> str:
    return fmt_delta(delta, rel, kind, currency) if _known(delta) else "no comparable month"


def headline_html(result: Any) -> HTML:
    """Headline sentences, KPI cards (value, interval, vs previous month, vs last year) and how the counts add up.

    A churn rate resting on fewer than ``min_customers`` customers at the start of the month is not shown:
    its card says how many there were and how many are needed.
    """
    items = []
    for row in result.headline.itertuples():
        if row.kpi == "churn_rate" and _churn_shortfall(result):
            have = f"{row.n_obs:,.0f}" if _known(row.n_obs) and row.n_obs > 0 else "none"
            items.append(Card(row.label, "too few customers",
                              ((f"{have} at the start of the month; {result.min_customers:,} needed", "bad"),)))
            continue
        lines = []
        if not math.isnan(row.ci_lower):
            lines.append((f"95% interval {fmt_value(row.ci_lower, row.kind)}–{fmt_value(row.ci_upper, row.kind)}",
                          "ci"))
        lines.append((f"vs prev. month: {_change(row.delta_previous, row.pct_previous, row.kind, result.currency)}",
                      _tone(row.delta_previous, row.higher_is_better)))
        lines.append((f"vs last year: {_change(row.delta_last_year, row.pct_last_year, row.kind, result.currency)}",
                      _tone(row.delta_last_year, row.higher_is_better)))
        value = fmt_value(row.value, row.kind, result.currency) if _known(row.value) else "none this month"
        items.append(Card(row.label, value, tuple(lines)))
    return join(headline_list(headline_sentences(result)), cards(items), footnote(reconciliation(result)))


def _cell(kind: str, fmt: str = "") -> Any:
    def f(v: Any) -> str:
        if is_missing(v):
            return ""
        return format(float(v), fmt) if fmt else fmt_value(v, kind)
    return f


def kpi_table_html(result: Any, *, months: int = 13) -> HTML:
    """The last ``months`` rows of the KPI table, formatted for reading (months as rows).

    Headers are the vocabulary's names; a rate without customers to divide by prints blank (never "n/a").
    """
    k = result.monthly.tail(months)
    currency = result.currency
    money = not k["net_revenue"].isna().all()
    show = pd.DataFrame({
        "Month": k["month"].map(month_short) + k["warm_up"].map({True: " *", False: ""}),
        vocabulary.name("buyers", capital=True): k["n_active"].map(_cell("count")),
        vocabulary.name("new_customers", capital=True): k["n_new"].map(_cell("count")),
        "Reactivated": k["n_reactivated"].map(_cell("count")),
        vocabulary.name("churned", capital=True): k["n_churned"].map(_cell("count")),
        vocabulary.name("customers_start", capital=True): k["n_customers_start"].map(_cell("count")),
        vocabulary.name("churn_rate", capital=True): k["churn_rate"].map(_cell("rate")),
        vocabulary.name("active_end", capital=True): k["n_active_end"].map(_cell("count")),
        vocabulary.name("dormant_end", capital=True): k["n_dormant_end"].map(_cell("count")),
        "Orders": k["n_orders"].map(_cell("count")),
        f"Net revenue ({currency})": k["net_revenue"].map(_cell("money", ",.0f")),
        f"Avg order value ({currency})": k["aov"].map(_cell("money", ",.2f")),
        vocabulary.name("repurchase_rate", capital=True): k["repurchase_rate"].map(_cell("rate")),
    })
    if not money:
        show = show.drop(columns=[f"Net revenue ({currency})", f"Avg order value ({currency})"])
    note = footnote("* warm-up month: customers who bought before the data starts look new, so flows are not "
                    "comparable.") if k["warm_up"].any() else ""
    if k[["churn_rate", "aov", "repurchase_rate"]].isna().any().any():
        note += footnote("A blank rate or order value: no customers or orders that month to divide by.")
    if not money:
        note += footnote(NO_AMOUNTS)
    return join(table(show), note)


def definitions_html(cfg: Any, data: Any) -> HTML:
    """How the numbers are defined for this unit (churn rule, period, populations, sources).

    The populations are named and defined as in :mod:`retention_utils.vocabulary`; the interval's
    method is named once, in small print.
    """
    ch = cfg.churn
    if ch.method == "inactivity":
        churn = (f"a customer is churned when they have not bought for more than {ch.inactivity_days} days "
                 f"(counted on the day the window elapses); a purchase after such a gap is a reactivation")
    else:
        churn = "a customer is churned on the cancellation date recorded in the customers table"
    sources = ", ".join(sorted(set(data.quality.inputs["source"].astype(str))))
    buyers = vocabulary.definition("buyers", cfg)
    if not getattr(data, "has_amounts", True):
        buyers = ("Customers with at least one order in the calendar month (the export has no amounts, so every "
                  "dated order is a purchase).")
    items = [
        f"Report month: {month_name(data.month)}; data used from {data.data_start:%d %b %Y} to "
        f"{data.month_end:%d %b %Y}. Anything dated later is excluded (no look-ahead).",
        f"Churn: {churn}.",
        f"{vocabulary.name('buyers', capital=True)}: {buyers.split(' The KPI cards')[0]} "
        f"{vocabulary.name('repurchase_rate', capital=True)}: {vocabulary.definition('repurchase_rate', cfg)}",
        f"{vocabulary.name('active_end', capital=True)}: {vocabulary.definition('active_end', cfg)} "
        f"{vocabulary.name('dormant_end', capital=True)}: {vocabulary.definition('dormant_end', cfg)}",
        f"{vocabulary.name('churn_rate', capital=True)}: {vocabulary.definition('churn_rate', cfg)} "
        "Its band is a 95% interval.",
        f"Amounts in {cfg.currency}; net revenue deducts refunds." if getattr(data, "has_amounts", True) else NO_AMOUNTS,
        f"Sources: {sources}.",
    ]
    return join(bullet_list(items), small_print("The churn rate's 95% interval is the Wilson interval for a share."))


def result_html(result: Any) -> HTML:
    """A :class:`~retention_utils.kpis.KpiResult` on its own: headline, cards, the monthly table, notes."""
    return join(headline_html(result), kpi_table_html(result), notes_list(result.notes))
