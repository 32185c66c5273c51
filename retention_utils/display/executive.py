"""What the executive pages show: KPI tiles with traffic lights, headline sentences, the data-quality badge,
and the portfolio comparison of the units.

Computation-free: everything comes from what the runner recorded (:class:`~retention_utils.pages.UnitResult`:
the KPI headline, the row accounting, the ledger's revisions) and from the rows every analysis's
``summary_frame()`` wrote to the unit's ``summary.csv``; nothing is recomputed. The templates
``unit.html`` and ``month.html`` lay these views out.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .formats import fmt_delta, fmt_value, month_name, month_short, money, pp, share

__all__ = ["revised_html", "tiles", "headline_sentences", "quality_badge", "unit_view", "portfolio_view", "ANALYSIS_ORDER"]

#: Order of the headline sentences: what changed, why, who is at risk and what to do.
ANALYSIS_ORDER: tuple[str, ...] = ("kpis", "cohorts", "survival", "drivers", "value", "campaigns")

#: The detailed reports, with what each answers (the unit summary links them in this order).
REPORTS: dict[str, str] = {
    "kpi_overview": "How many customers we keep, win and lose; revenue and orders, month by month.",
    "cohort_retention": "How each month's new customers keep buying, cohort by cohort.",
    "survival": "How long customers stay, and what shortens it.",
    "churn_drivers": "Who is about to leave, why, and the list for the CRM team.",
    "customer_value": "Who is worth most: lifetime value, value at risk, segments, personas and cross-sell.",
    "campaign_effect": "Whether retention actions worked against a control group, and whom to contact next.",
}
TITLES: dict[str, str] = {"kpi_overview": "KPI overview", "cohort_retention": "Cohort retention",
                          "survival": "Customer lifetime (survival)", "churn_drivers": "Churn drivers and at-risk list",
                          "customer_value": "Customer value", "campaign_effect": "Campaign effects"}


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _light(value: float, target: dict[str, float] | None, higher: bool, kind: str, currency: str) -> tuple[str, str]:
    """``(colour, text)`` of a KPI against its target: green at good or better, red at bad or worse.

    Examples
    --------
    >>> _light(0.07, {"good": 0.08, "bad": 0.12}, False, "rate", "")
    ('green', 'on target (8.0% or lower)')
    >>> _light(0.10, {"good": 0.08, "bad": 0.12}, False, "rate", "")
    ('amber', 'watch: between 8.0% and 12.0%')
    >>> _light(30000, {"good": 45000, "bad": 35000}, True, "money", "EUR")
    ('red', 'off target (EUR 35,000 or lower)')
    """
    if not target or math.isnan(value):
        return "", ""
    good, bad = float(target["good"]), float(target["bad"])

    def f(x: float) -> str:
        return fmt_value(x, kind, currency)

    better = (value >= good) if higher else (value <= good)
    worse = (value <= bad) if higher else (value >= bad)
    if better:
        return "green", f"on target ({f(good)} or {'higher' if higher else 'lower'})"
    if worse:
        return "red", f"off target ({f(bad)} or {'lower' if higher else 'higher'})"
    lo, hi = sorted((good, bad))
    return "amber", f"watch: between {f(lo)} and {f(hi)}"


def _change(delta: float, pct_change: float, kind: str, currency: str, higher: bool, against: str) -> tuple[str, str]:
    """``(text, tone)`` of a change against ``against`` ("Nov 2025"); a missing comparison says so."""
    if math.isnan(delta):
        return f"no figure for {against}", ""
    tone = "" if delta == 0 else ("good" if (delta > 0) == higher else "bad")
    return f"{fmt_delta(delta, pct_change, kind, currency)} vs {against}", tone


def tiles(res: Any) -> list[dict[str, str]]:
    """The KPI tiles of a unit: label, value, change vs last month and vs last year, traffic light."""
    targets = (res.params or {}).get("targets") or {}
    month = pd.Timestamp(f"{res.month}-01") if res.month and res.month[:4].isdigit() else None
    prev = month_short(month - pd.DateOffset(months=1)) if month is not None else "last month"
    year = month_short(month - pd.DateOffset(years=1)) if month is not None else "last year"
    out = []
    for h in _headline(res):
        kind, higher = h.get("kind", "count"), bool(h.get("higher_is_better", True))
        value = _num(h.get("value"))
        if math.isnan(value):
            continue
        p_text, p_tone = _change(_num(h.get("delta_previous")), _num(h.get("pct_previous")), kind, res.currency,
                                 higher, prev)
        y_text, y_tone = _change(_num(h.get("delta_last_year")), _num(h.get("pct_last_year")), kind,
                                 res.currency, higher, year)
        light, light_text = _light(value, targets.get(h.get("kpi")), higher, kind, res.currency)
        out.append({"kpi": h.get("kpi", ""), "label": h["label"], "value": fmt_value(value, kind, res.currency),
                    "prev": p_text, "prev_tone": p_tone, "year": y_text, "year_tone": y_tone,
                    "light": light, "light_text": light_text})
    return out


def headline_sentences(summary: pd.DataFrame, limit: int = 6) -> list[str]:
    """The analyses' headline sentences (``metric == 'headline'``, ``unit == 'sentence'``), in :data:`ANALYSIS_ORDER`.

    Examples
    --------
    >>> s = pd.DataFrame({"analysis": ["drivers", "kpis", "kpis"], "metric": ["headline", "headline", "churn_rate"],
    ...                   "label": ["202 customers at high risk.", "Churn rose.", "Monthly churn rate"],
    ...                   "unit": ["sentence", "sentence", "share"]})
    >>> headline_sentences(s)
    ['Churn rose.', '202 customers at high risk.']
    """
    if summary is None or summary.empty or "metric" not in summary:
        return []
    rows = summary[(summary["metric"] == "headline") & (summary["unit"] == "sentence")]
    order = {a: i for i, a in enumerate(ANALYSIS_ORDER)}
    rows = rows.assign(_o=rows["analysis"].map(lambda a: order.get(a, len(order)))).sort_values("_o", kind="stable")
    return [str(t).strip() for t in rows["label"] if str(t).strip()][:limit]


def quality_badge(quality: dict[str, Any] | None) -> dict[str, str]:
    """``level`` (good / warn / bad) and ``text`` of the data-quality badge, from the runner's row accounting.

    The share with data problems is of the rows in scope (used + dropped): rows of other units or outside the
    period are out of scope, not problems.

    Examples
    --------
    >>> quality_badge({"read": 1000, "used": 990, "excluded": 8, "dropped": 2, "balanced": True})["text"]
    '990 input rows used; 2 left out for data problems (0.2% of the rows in scope); 8 out of scope (other units, outside the period). Every row read is accounted for.'
    >>> b = quality_badge({"read": 100, "used": 80, "excluded": 0, "dropped": 20, "balanced": True,
    ...                    "top_problem": {"table": "orders", "reason": "missing customer id", "rows": 15}})
    >>> b["level"], b["text"][:100]
    ('bad', '80 input rows used; 20 left out for data problems (20.0% of the rows in scope, most of them orders r')
    """
    if not quality or not quality.get("read"):
        return {"level": "", "text": ""}
    used = int(quality.get("used", 0))
    excluded, dropped = int(quality.get("excluded", 0)), int(quality.get("dropped", 0))
    share = dropped / (used + dropped) if used + dropped else 0.0
    level = "good" if share < 0.01 else ("warn" if share < 0.05 else "bad")
    if not quality.get("balanced", True):
        level = "bad"
    top = quality.get("top_problem") or {}
    most = (f", most of them {top['table']} rows with {top['reason']} ({top['rows']:,})"
            if top and dropped and top.get("rows", 0) * 2 >= dropped else "")
    text = (f"{used:,} input rows used; {dropped:,} left out for data problems ({share:.1%} of the rows in scope"
            f"{most}); {excluded:,} out of scope (other units, outside the period). "
            + ("Every row read is accounted for." if quality.get("balanced", True) else
               "The row accounting does not add up: please report this."))
    return {"level": level, "text": text}


def _summary_value(summary: pd.DataFrame | None, analysis: str, *metrics: str) -> float:
    if summary is None or summary.empty:
        return math.nan
    for metric in metrics:
        got = summary[(summary["analysis"] == analysis) & (summary["metric"] == metric)
                      & (summary["compared_to"].astype("string").fillna("") == "")]
        if len(got):
            return _num(got["value"].iloc[0])
    return math.nan


def _revision_text(r: dict[str, Any], kind: str, currency: str) -> str:
    return (f"{r['label']} of {month_name(pd.Timestamp(r['month'] + '-01'))}: reported "
            f"{fmt_value(r['reported'], kind, currency)} in that month's run, {fmt_value(r['now'], kind, currency)} "
            f"from today's exports.")


def unit_view(res: Any, summary: pd.DataFrame | None) -> dict[str, Any]:
    """Everything the unit summary shows, ready for the template."""
    kinds = {h.get("kpi"): h.get("kind", "count") for h in res.headline}
    sentences = headline_sentences(summary)
    revisions = [_revision_text(r, kinds.get(r["metric"], "count"), res.currency) for r in (res.revisions or [])]
    if revisions:
        sentences.append(f"{len(revisions)} number{'s' if len(revisions) != 1 else ''} of earlier months changed "
                         "since they were first reported (corrected or late exports): see 'Revised since reported'.")
    reports = []
    for nb in res.notebooks:
        reports.append({"title": TITLES.get(nb["name"], nb["name"].replace("_", " ").capitalize()),
                        "about": REPORTS.get(nb["name"], ""), "html": nb.get("html"), "status": nb["status"],
                        "error": nb.get("error", ""), "ipynb": nb.get("ipynb"), "seconds": nb.get("seconds", 0.0),
                        "pdf": nb.get("pdf")})
    return {"tiles": tiles(res), "sentences": sentences[:6], "badge": quality_badge(res.quality),
            "revisions": revisions, "reports": reports}


def _kpi(res: Any, kpi: str) -> dict[str, Any]:
    for h in _headline(res):
        if h.get("kpi") == kpi:
            return h
    return {}


def _headline(res: Any) -> list[dict[str, Any]]:
    """The unit's headline KPIs, the churn rate blanked where it rests on fewer customers than
    ``thresholds.min_customers`` (1 customer: "0.0%, +0.0 pp" would be a tile and a "held" unit the analysis
    itself refuses to state; the KPI headline sentence says why there is no rate)."""
    least = int(((getattr(res, "params", None) or {}).get("thresholds") or {}).get("min_customers", 30))
    out = []
    for h in res.headline or []:
        n = _num(h.get("n_obs"))
        if h.get("kpi") == "churn_rate" and not math.isnan(n) and n < least:
            h = {**h, **{k: None for k in ("value", "delta_previous", "pct_previous", "delta_last_year",
                                           "pct_last_year", "ci_lower", "ci_upper")}}
        out.append(h)
    return out


def _churn_cell(churn: dict[str, Any]) -> str:
    """The portfolio's churn-rate cell: empty without the KPI, a word where :func:`_headline` blanked it."""
    if not churn:
        return ""
    value = _num(churn.get("value"))
    return "too few customers" if math.isnan(value) else fmt_value(value, "rate")


def _matters_most(res: Any, summary: pd.DataFrame | None, view: dict[str, Any]) -> str:
    """One line: what matters most in this unit this month."""
    if res.status != "ok":
        return f"The report failed at {res.failed_step or 'a step'}: fix the input named on the unit page."
    reds = [t for t in view["tiles"] if t["light"] == "red"]
    if reds:
        t = reds[0]
        return f"{t['label']} is off target at {t['value']} ({t['prev']})."
    churn = _kpi(res, "churn_rate")
    d = _num(churn.get("delta_previous"))
    if not math.isnan(d) and d >= 0.01:
        return f"Monthly churn rate rose {pp(d, sign=False)} to {fmt_value(_num(churn.get('value')), 'rate')}."
    drivers = headline_sentences(summary[summary["analysis"] == "drivers"]) if summary is not None \
        and not summary.empty else []
    if drivers:
        return drivers[0]
    sentences = headline_sentences(summary)
    if sentences:
        return sentences[0]
    return _largest_move(res)


def _largest_move(res: Any) -> str:
    """The headline KPI that moved most against last month (relative), in one sentence.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(currency="EUR", headline=[
    ...     {"kpi": "n_active", "label": "Buyers", "kind": "count", "value": 500, "delta_previous": 10,
    ...      "pct_previous": 0.02},
    ...     {"kpi": "net_revenue", "label": "Net revenue", "kind": "money", "value": 900, "delta_previous": -100,
    ...      "pct_previous": -0.1}])
    >>> _largest_move(r)
    'Net revenue fell 10.0% to EUR 900 against last month.'
    """
    best, size = None, 0.0
    for h in _headline(res):
        if h.get("kind") == "rate":
            move = abs(_num(h.get("delta_previous"))) * 10  # 1 pp weighs like a 10% change
        else:
            move = abs(_num(h.get("pct_previous")))
        if not math.isnan(move) and move > size:
            best, size = h, move
    if best is None:
        return "No headline KPI changed against last month."
    value = fmt_value(_num(best["value"]), best["kind"], res.currency)
    d = _num(best.get("delta_previous"))
    if best["kind"] == "rate":
        amount = pp(abs(d), sign=False)
    else:
        amount = f"{abs(_num(best.get('pct_previous'))):.1%}"
    return f"{best['label']} {'rose' if d > 0 else 'fell'} {amount} to {value} against last month."


def _previous_month(month: str) -> str:
    """``2025-12`` -> ``2025-11`` (empty for a month that is not ``YYYY-MM``)."""
    try:
        return (pd.Timestamp(f"{month}-01") - pd.DateOffset(months=1)).strftime("%Y-%m")
    except ValueError:
        return ""


def _ledger_value(ledger: pd.DataFrame | None, unit: str, month: str, analysis: str, metric: str) -> float:
    """What the ledger holds for one unit, month and metric (as that month's run reported it), else NaN."""
    if ledger is None or ledger.empty or not month:
        return math.nan
    got = ledger[(ledger["unit"] == unit) & (ledger["month"] == month) & (ledger["analysis"] == analysis)
                 & (ledger["metric"] == metric)]
    return _num(got["value"].iloc[0]) if len(got) else math.nan


def portfolio_view(units: list[tuple[Any, pd.DataFrame | None]], month: str,
                   ledger: pd.DataFrame | None = None) -> dict[str, Any]:
    """The portfolio page: one row per unit, and the sentences comparing them.

    ``ledger`` (:func:`retention_utils.ledger.read_ledger`) gives last month's revenue at risk as that
    month's run reported it.
    """
    rows = []
    for res, summary in units:
        view = unit_view(res, summary)
        churn, buyers, revenue = _kpi(res, "churn_rate"), _kpi(res, "n_active"), _kpi(res, "net_revenue")
        at_risk = _summary_value(summary, "drivers", "revenue_at_risk")
        n_high = _summary_value(summary, "drivers", "n_customers_high_tier")
        has_list = not math.isnan(at_risk)  # the drivers report a revenue at risk only beside an at-risk list
        if not n_high > 0:  # revenue "at risk" of nobody is not shown as an amount
            at_risk = math.nan
        risk_prev = _ledger_value(ledger, res.unit, _previous_month(month), "drivers", "revenue_at_risk")
        rows.append({
            "r": res, "view": view, "matters": _matters_most(res, summary, view),
            "churn": _churn_cell(churn),
            "churn_prev": _change(_num(churn.get("delta_previous")), math.nan, "rate", "", False, "last month")
            if churn else ("", ""),
            "churn_year": _change(_num(churn.get("delta_last_year")), math.nan, "rate", "", False, "last year")
            if churn else ("", ""),
            "churn_delta": _num(churn.get("delta_previous")),
            "buyers": fmt_value(_num(buyers.get("value")), "count") if buyers else "",
            "revenue": fmt_value(_num(revenue.get("value")), "money", res.currency) if revenue else "",
            "revenue_year": _change(_num(revenue.get("delta_last_year")), _num(revenue.get("pct_last_year")),
                                    "money", res.currency, True, "last year") if revenue else ("", ""),
            "at_risk": money(at_risk, res.currency) if not math.isnan(at_risk) else "",
            "at_risk_prev": _change(at_risk - risk_prev, (at_risk - risk_prev) / risk_prev if risk_prev else math.nan,
                                    "money", res.currency, False, "last month")
            if not (math.isnan(at_risk) or math.isnan(risk_prev)) else ("", ""),
            "at_risk_value": at_risk, "n_high": n_high, "has_model": has_list,
            "lights": [t for t in view["tiles"] if t["light"]],
        })
    return {"rows": rows, "sentences": _portfolio_sentences(rows, month)}


def _portfolio_sentences(rows: list[dict[str, Any]], month: str) -> list[str]:
    ok = [r for r in rows if r["r"].status == "ok" and not math.isnan(r["churn_delta"])]
    out = []
    if ok:
        better = [r for r in ok if r["churn_delta"] < -5e-4]
        worse = sorted((r for r in ok if r["churn_delta"] > 5e-4), key=lambda r: -r["churn_delta"])
        same = len(ok) - len(better) - len(worse)
        text = (f"The monthly churn rate fell in {len(better)} of {len(ok)} unit{'s' if len(ok) != 1 else ''} "
                f"against last month, rose in {len(worse)}" + (f" and held in {same}" if same else ""))
        if worse:
            w = worse[0]
            text += f"; it rose most in {w['r'].label} ({pp(w['churn_delta'])}, now {w['churn']})"
        out.append(text + ".")
    risk = [r for r in rows if not math.isnan(r["at_risk_value"])]
    currencies = {r["r"].currency for r in risk}
    if risk and len(currencies) == 1:
        total = sum(r["at_risk_value"] for r in risk)
        top = max(risk, key=lambda r: r["at_risk_value"])
        if total > 0:
            where = (f"all of it in {top['r'].label}" if top["at_risk_value"] == total else
                     f"{top['r'].label} holds {top['at_risk']} ({share(top['at_risk_value'], total)})")
            out.append(f"Revenue at risk in the high-risk tiers: {money(total, currencies.pop())} in all; {where}.")
    failed = [r["r"].label for r in rows if r["r"].status != "ok"]
    if failed:
        out.append(f"{len(failed)} unit{'s' if len(failed) != 1 else ''} failed and need{'s' if len(failed) == 1 else ''} "
                   f"attention: {', '.join(failed)}.")
    return out


def revised_html(diff: pd.DataFrame, label: str, kind: str = "rate", currency: str = "") -> str:
    """One sentence under a trend chart naming the months whose number changed since it was reported.

    ``diff`` is :func:`retention_utils.plots.ledger.mark_reported`'s frame (``month, reported, now``); empty
    for none.

    Examples
    --------
    >>> d = pd.DataFrame({"month": pd.to_datetime(["2025-11-01"]), "reported": [0.091], "now": [0.092]})
    >>> revised_html(d, "Monthly churn rate")
    "<p class='rk-small'>Revised since reported (hollow ring): Monthly churn rate of November 2025 was reported as 9.1%; with today&#x27;s exports it is 9.2%.</p>"
    """
    from .html import small_print

    if diff is None or diff.empty:
        return ""
    parts = [f"{label} of {month_name(r.month)} was reported as {fmt_value(r.reported, kind, currency)}; with "
             f"today's exports it is {fmt_value(r.now, kind, currency)}" for r in diff.itertuples()]
    return small_print("Revised since reported (hollow ring): " + "; ".join(parts) + ".")
