"""HTML formatting for notebooks and reports (no computation).

Every piece of data-derived text is escaped with :func:`html.escape` before it
reaches HTML; tables go through pandas' escaping ``to_html``.
"""
from __future__ import annotations

import html
import math
import warnings
from typing import Any

import pandas as pd

from ..errors import RetentionError

__all__ = [
    "setup_notebook",
    "fmt_value",
    "fmt_delta",
    "headline_sentences",
    "headline_html",
    "title_html",
    "warning_html",
    "kpi_table_html",
    "quality_html",
    "HTML",
]


class HTML:
    """Minimal rich-display wrapper (what IPython.display.HTML does, without importing IPython)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data


def _clean_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    print(f"{etype.__name__}: {value}")


def setup_notebook(*, report_mode: bool = True) -> None:
    """Notebook defaults: figure style, and user errors shown as one message.

    ``report_mode`` silences library warnings (deprecation notices of
    dependencies), so that rendered reports carry no warnings text; analysts can
    pass ``report_mode=False`` to see them.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (11, 4), "figure.dpi": 100, "axes.titlesize": 13,
                         "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False})
    if report_mode:
        warnings.filterwarnings("ignore")
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - outside IPython
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((RetentionError,), _clean_error)


def fmt_value(value: float, kind: str, currency: str = "") -> str:
    """Format a KPI value with its unit.

    Examples
    --------
    >>> fmt_value(1234.5, "money", "EUR")
    'EUR 1,234'
    >>> fmt_value(0.0412, "rate")
    '4.1%'
    >>> fmt_value(float("nan"), "count")
    'n/a'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "money":
        return f"{currency} {value:,.0f}" if abs(value) >= 100 else f"{currency} {value:,.2f}"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def fmt_delta(delta: float, pct: float, kind: str, currency: str = "") -> str:
    """Format a change: percentage points for rates, else absolute and relative.

    Examples
    --------
    >>> fmt_delta(0.012, float("nan"), "rate")
    '+1.2 pp'
    >>> fmt_delta(-50, -0.1, "count")
    '-50 (-10.0%)'
    >>> fmt_delta(0.11, 0.006, "money", "EUR")
    '+EUR 0.11 (+0.6%)'
    """
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "n/a"
    if kind == "rate":
        return f"{delta * 100:+.1f} pp"
    if kind == "money":
        digits = 0 if abs(delta) >= 100 else 2
        base = f"{'+' if delta >= 0 else '-'}{currency} {abs(delta):,.{digits}f}"
    else:
        base = f"{delta:+,.0f}"
    if pct is not None and not (isinstance(pct, float) and math.isnan(pct)):
        base += f" ({pct * 100:+.1f}%)"
    return base


def _month_name(month: Any) -> str:
    return pd.Timestamp(month).strftime("%B %Y")


def headline_sentences(headline: pd.DataFrame, *, month: Any, currency: str,
                       min_customers: int = 30) -> list[str]:
    """Plain-language headline sentences from :func:`~retention_utils.kpis.headline_kpis` (plain text)."""
    h = headline.set_index("kpi")
    prev_name = _month_name(pd.Timestamp(month) - pd.DateOffset(months=1)).split(" ")[0]
    out = []
    act = h.loc["n_active"]
    s = f"In {_month_name(month)}, {fmt_value(act.value, 'count')} customers bought"
    if not math.isnan(act.delta_previous):
        s += f" ({fmt_delta(act.delta_previous, act.pct_previous, 'count')} vs {prev_name})"
    if not math.isnan(act.delta_last_year):
        s += f" and {fmt_delta(act.delta_last_year, act.pct_last_year, 'count')} vs a year before"
    out.append(s + ".")
    ch = h.loc["churn_rate"]
    if not math.isnan(ch.value) and ch.n_obs < min_customers:
        out.append(f"The monthly churn rate ({fmt_value(ch.value, 'rate')}) rests on only {ch.n_obs:,.0f} "
                   f"customers at the start of the month, too few for a reliable rate.")
    elif not math.isnan(ch.value):
        s = (f"The monthly churn rate was {fmt_value(ch.value, 'rate')} (95% interval "
             f"{fmt_value(ch.ci_lower, 'rate')} to {fmt_value(ch.ci_upper, 'rate')})")
        if not math.isnan(ch.delta_previous):
            direction = "up" if ch.delta_previous > 0 else "down"
            s += f", {direction} {abs(ch.delta_previous) * 100:.1f} pp on {prev_name}"
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


#: Inline style of the warning banner (notebook pages are rendered by nbconvert, without the kit's CSS).
WARNING_STYLE = ("border:1px solid #e0a100;background:#fff6db;color:#5c4400;border-radius:6px;"
                 "padding:8px 12px;margin:8px 0;font-size:14px")


def warning_html(text: str | None) -> str:
    """A visible warning banner (escaped), or nothing.

    Examples
    --------
    >>> warning_html(None)
    ''
    >>> "Data end &lt;soon&gt;" in warning_html("Data end <soon>")
    True
    """
    if not text:
        return ""
    return f'<div class="report-warning" role="alert" style="{WARNING_STYLE}"><b>Warning:</b> {html.escape(text)}</div>'


def title_html(data: Any, *, subtitle: str = "") -> HTML:
    """Report title block: the unit's name and report month, the subtitle, and the month warning.

    Parameters
    ----------
    data : UnitData
        The unit (``config.label``, ``month``); its ``month_warning`` (a sentence when the
        report month is only partly covered by the data) is shown as a banner at the top.
    subtitle : str
        Plain text under the title.

    Examples
    --------
    >>> import datetime as dt
    >>> from types import SimpleNamespace as NS
    >>> d = NS(config=NS(label="Shop"), month=dt.date(2025, 3, 1), month_warning="Partly covered.")
    >>> page = title_html(d).data
    >>> "Shop — March 2025" in page, "Partly covered." in page
    (True, True)
    """
    label = data.config.label
    sub = f"<p style='color:#555;margin:0'>{html.escape(subtitle)}</p>" if subtitle else ""
    return HTML(f"<h1 style='margin-bottom:0.2em'>{html.escape(label)} — {html.escape(_month_name(data.month))}</h1>"
                f"{sub}{warning_html(getattr(data, 'month_warning', None))}")


def headline_html(headline: pd.DataFrame, *, month: Any, currency: str, min_customers: int = 30) -> HTML:
    """Headline sentences and KPI cards (value, vs previous month, vs last year)."""
    sentences = "".join(f"<li>{html.escape(s)}</li>" for s in headline_sentences(
        headline, month=month, currency=currency, min_customers=min_customers))
    cards = []
    for row in headline.itertuples():
        def colour(delta: float) -> str:
            if delta is None or math.isnan(delta) or delta == 0:
                return "#555"
            good = (delta > 0) == bool(row.higher_is_better)
            return "#1b7f3b" if good else "#b3261e"

        ci = ""
        if not math.isnan(row.n_obs) and row.n_obs < min_customers:
            ci = f"<div style='font-size:11px;color:#b3261e'>small sample: {row.n_obs:,.0f} customers</div>"
        elif not math.isnan(row.ci_lower):
            ci = (f"<div style='font-size:11px;color:#666'>95% interval {fmt_value(row.ci_lower, row.kind)}–"
                  f"{fmt_value(row.ci_upper, row.kind)}</div>")
        cards.append(
            "<div style='border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:170px;"
            "background:#fafafa'>"
            f"<div style='font-size:12px;color:#555'>{html.escape(row.label)}</div>"
            f"<div style='font-size:24px;font-weight:600'>{html.escape(fmt_value(row.value, row.kind, currency))}</div>"
            f"{ci}"
            f"<div style='font-size:12px;color:{colour(row.delta_previous)}'>vs prev. month: "
            f"{html.escape(fmt_delta(row.delta_previous, row.pct_previous, row.kind, currency))}</div>"
            f"<div style='font-size:12px;color:{colour(row.delta_last_year)}'>vs last year: "
            f"{html.escape(fmt_delta(row.delta_last_year, row.pct_last_year, row.kind, currency))}</div>"
            "</div>")
    return HTML(f"<ul style='font-size:15px;line-height:1.5'>{sentences}</ul>"
                f"<div style='display:flex;flex-wrap:wrap;gap:10px'>{''.join(cards)}</div>")


def kpi_table_html(kpis: pd.DataFrame, *, currency: str, months: int = 13) -> HTML:
    """The last ``months`` rows of the KPI table, formatted for reading (months as rows)."""
    k = kpis.tail(months)
    money = not k["net_revenue"].isna().all()
    show = pd.DataFrame({
        "Month": k["month"].dt.strftime("%b %Y") + k["warm_up"].map({True: " *", False: ""}),
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
    note = ("<p style='font-size:12px;color:#555'>* warm-up month: customers who bought before the data "
            "starts look new, so flows are not comparable.</p>") if k["warm_up"].any() else ""
    if not money:
        note += f"<p style='font-size:12px;color:#555'>{html.escape(NO_AMOUNTS)}</p>"
    return HTML(show.to_html(index=False, escape=True, border=0, classes="kpi-table") + note)


def quality_html(quality: Any) -> HTML:
    """Data-quality section: every input row used or counted with its reason."""
    s = quality.summary_frame()
    show = pd.DataFrame({
        "Table": s["table"], "Source": s["source"], "Outcome": s["outcome"], "Reason": s["reason"],
        "Rows": s["rows"].map(lambda v: f"{v:,}"), "Share": s["share"].map(lambda v: f"{v * 100:.1f}%"),
    })
    inputs = quality.inputs
    total = ", ".join(f"{html.escape(t)}: {n:,} rows read" for t, n in zip(inputs["table"], inputs["rows"]))
    check = ("Every input row is accounted for (used, excluded or dropped rows add up to the rows read)."
             if quality.balanced() else "WARNING: the row accounting does not add up; please report this.")
    notes = ""
    if len(quality.notes):
        items = "".join(f"<li>{html.escape(str(r.table))}: {html.escape(str(r.note))}</li>"
                        for r in quality.notes.itertuples())
        notes = f"<p>Notes:</p><ul>{items}</ul>"
    return HTML(f"<p>{total}. {html.escape(check)}</p>"
                + show.to_html(index=False, escape=True, border=0) + notes)


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
        f"Report month: {_month_name(data.month)}; data used from {data.data_start:%d %b %Y} to "
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
    return HTML("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")


def _pct(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v * 100:.1f}%"


def cohort_headline_sentences(result: Any) -> list[str]:
    """Plain-language findings of a :class:`~retention_utils.cohorts.CohortResult` (plain text)."""
    out = []
    unit = result.period
    p = result.pooled
    what = {"period": "still buying", "unbounded": "still customers", "subscribed": "still subscribed"}[result.definition]
    for k in (3, 12):
        row = p[p.period == k]
        if len(row):
            r = row.iloc[0]
            cohorts = f"{int(r.n_cohorts)} cohort" + ("" if int(r.n_cohorts) == 1 else "s")
            out.append(f"On average {_pct(r.retention_rate)} of a cohort is {what} {k} {unit}s after joining "
                       f"(95% interval {_pct(r.ci_lower)} to {_pct(r.ci_upper)}; {int(r.n_customers):,} customers "
                       f"in {cohorts}).")
    rec = result.recent
    if len(rec):
        sig = rec[rec.significant]
        if len(sig):
            for cohort, g in sig.groupby("cohort"):
                best = g.loc[g.difference.abs().idxmax()]
                word = "better" if best.difference > 0 else "worse"
                out.append(f"The {pd.Timestamp(cohort):%B %Y} cohort retains {word} than the cohorts before it at "
                           f"the same age: {best.difference * 100:+.1f} pp at {unit} {int(best.period)} "
                           f"({_pct(best.retention_rate)} vs {_pct(best.trailing_rate)}).")
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
                out.append(f"ALERT: this month's churn rate ({_pct(last.churn_rate)}) is above its upper control "
                           f"limit ({_pct(last.ucl)}): more churn than normal variation explains.")
            elif last.alert == "below":
                out.append(f"This month's churn rate ({_pct(last.churn_rate)}) is below its lower control limit "
                           f"({_pct(last.lcl)}): unusually low churn.")
            else:
                out.append(f"This month's churn rate ({_pct(last.churn_rate)}) is within its control limits "
                           f"({_pct(last.lcl)} to {_pct(last.ucl)}): normal variation.")
        n_alerts = int((c.tail(12).alert != "").sum())
        if n_alerts:
            out.append(f"{n_alerts} of the last 12 months {'was' if n_alerts == 1 else 'were'} outside their "
                       "control limits.")
    return out


def cohort_headline_html(result: Any) -> HTML:
    """Headline list of the cohort report."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in cohort_headline_sentences(result))
    return HTML(f"<ul style='font-size:15px;line-height:1.5'>{items}</ul>")


def recent_cohorts_html(result: Any) -> HTML:
    """The recent-vs-trailing comparison as a readable table."""
    r = result.recent
    if r.empty:
        return HTML("<p>Not enough cohorts to compare.</p>")
    show = pd.DataFrame({
        "Cohort": pd.to_datetime(r.cohort).dt.strftime("%b %Y"),
        f"{result.period.title()}s since joining": r.period,
        "Retained": r.retention_rate.map(_pct),
        "Earlier cohorts": r.trailing_rate.map(_pct),
        "Difference": r.difference.map(lambda v: f"{v * 100:+.1f} pp"),
        "95% interval": [f"{lo * 100:+.1f} to {hi * 100:+.1f} pp" for lo, hi in zip(r.diff_ci_lower, r.diff_ci_upper)],
        "Significant": r.significant.map({True: "yes", False: "no"}),
        "Customers": r.n_customers.map(lambda v: f"{v:,}"),
    })
    return HTML(show.to_html(index=False, escape=True, border=0))


def group_test_html(test: pd.DataFrame, *, period: str = "month") -> HTML:
    """One sentence on whether retention differs between groups."""
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
    return HTML(f"<p>{html.escape(text)}</p>")
