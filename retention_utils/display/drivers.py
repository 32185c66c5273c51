"""The churn-drivers page: headline sentences and cards, drivers, model quality, tiers, at-risk list.

Every section function takes the :class:`~retention_utils.drivers.DriversAnalysis` (what a
notebook holds) or the part it shows (a :class:`~retention_utils.drivers.DriversResult`,
:class:`~retention_utils.drivers.EarlyWarning` or :class:`~retention_utils.drivers.ClosedLoop`),
and returns :class:`~retention_utils.display.html.HTML` built with the shared toolkit (escaped
text, CSS classes from ``templates/report.css``). :func:`result_html` is the whole page, what a
result shows in a notebook. No computation happens here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .. import samples, vocabulary
from ..drivers import BEAT_MARGIN, LEAKAGE_AUC, LEAKAGE_WARN_AUC, ClosedLoop, DriversAnalysis, EarlyWarning
from ..drivers._text import fmt_day
from ..drivers.fitting import WEAK_LIFT
from ..drivers.result import feature_label
from .formats import count, money, number, pct
from .html import HTML, Card, bullet_list, callout, cards, esc, footnote, headline_list, join, paragraph, \
    shortfall_html, small_print, table

from .drivers_words import (  # noqa: F401 (re-exported: the page's public sentences)
    _NAMES,
    _NO_MODEL,
    _captures,
    _driver_words,
    _gate,
    _loop,
    _result,
    _rule_words,
    _warning,
    headline_sentences,
    mask_id,
    no_model_sentence,
    population_sentence,
    report_subtitle,
)

__all__ = ["mask_id", "headline_sentences", "population_sentence", "report_subtitle", "headline_html", "drivers_html",
           "dependence_html", "model_quality_html", "checks_html", "reasons_html", "tiers_html", "tradeoff_html",
           "at_risk_html", "scorecard_html", "closed_loop_html", "about_html", "result_html", "no_model_sentence"]


def headline_html(analysis_or_result: Any, warning: EarlyWarning | None = None,
                  loop: ClosedLoop | None = None) -> HTML:
    """Headline sentences and cards: leavers reached, customers at high risk, revenue at risk.

    No card without a useful ranking (no model, or a ranking close to chance): then the sentences say
    what is missing, and no revenue at risk stands next to a count of zero.
    """
    if isinstance(analysis_or_result, DriversAnalysis):
        result, warning, loop = analysis_or_result.drivers, analysis_or_result.warning, analysis_or_result.loop
    else:
        result = analysis_or_result
    items = []
    useful = result.ok and not result.weak_ranking
    if useful:
        items.append(Card("Leavers reached by contacting the riskiest 20%", pct(result.selection_value, 0),
                          ((f"ranked by the {_NAMES[result.selected_model]}; a random 20% reaches 20%", ""),)))
    if useful and warning is not None and len(warning.scores):
        t = warning.tiers.set_index("tier")
        n_all = int(t["n_customers"].sum())
        items.append(Card("High-risk customers", count(t.loc["high", "n_customers"]),
                          ((f"of {n_all:,} {vocabulary.name('customers_scored')}", ""),
                           (f"{count(t.loc['medium', 'n_customers'])} more at medium risk", ""))))
        if warning.design != "stratified_cv" and t.loc["high", "n_customers"] > 0:
            items.append(Card(vocabulary.name("revenue_at_risk", capital=True),
                              money(t.loc["high", "revenue_12m"], warning.currency, compact=True),
                              (("last 12 months' revenue of the high-risk customers", ""),)))
    fine = ""
    if result.ok:
        fine = ("How the ranking is chosen: by one criterion, the share of leavers among the riskiest 20% of the test "
                "customers, who were followed after the models had learnt from earlier months; a churn model is used "
                f"only when it reaches at least {BEAT_MARGIN * 100:.0f} point more of them than the simple rule.")
    return HTML(headline_list(headline_sentences(analysis_or_result, warning, loop)) + cards(items) +
                small_print(fine))


def drivers_html(analysis_or_result: Any, *, top: int = 10) -> HTML:
    """The top drivers: importance (out of sample, ± spread), direction and effect on the odds in words."""
    result = _result(analysis_or_result)
    if not result.ok:
        return HTML(shortfall_html(no_model_sentence(analysis_or_result, "The churn drivers")) +
                    callout(result.notes[1:] if result.status == "too_few_churners" else ()))
    if result.importance.empty:
        return HTML(callout(result.notes or (_NO_MODEL,)))
    imp = result.importance[result.importance["model"] == result.best_model].sort_values("rank")
    imp = imp[imp["importance_mean"] >= 0.001].head(top)  # at least a tenth of a ranking-accuracy point
    if imp.empty:
        return HTML(paragraph("No factor changes the model's ranking noticeably when shuffled: no clear driver.")
                    + callout(result.notes))
    o = result.odds_ratios
    rows = []
    for r in imp.itertuples():
        d = o[o["feature"] == r.feature]
        if len(d) and d["kind"].iloc[0] == "numeric":
            x = d.iloc[0]
            ci = "" if pd.isna(x.ci_lower) else f" ({x.ci_lower:.2f} to {x.ci_upper:.2f})"
            eff = f"× {x.odds_ratio:.2f}{ci} for {x.sd:,.3g} more"
        elif len(d):
            eff = "; ".join(f"{lv}: × {v:.2f}" for lv, v in zip(d["level"], d["odds_ratio"])) + \
                f" (against {d['reference'].iloc[0]})"
        else:
            eff = "not in the logistic regression"
        rows.append({"Rank": int(r.rank), "Driver": r.label, "Direction": _driver_words(result, r.feature),
                     "Importance": f"{r.importance_mean:.3f}", "Odds of leaving": eff})
    body = table(pd.DataFrame(rows), text=["Driver", "Direction", "Odds of leaving"])
    lead = ""
    if result.selected_model == "baseline":
        lead = paragraph("These drivers explain who leaves, but the risk list ranks customers by the simple rule: "
                         "the churn models found no more leavers than it did.")
    expl = (f"Importance: how much the {_NAMES.get(result.best_model, result.best_model)}'s ranking "
            "accuracy drops when the driver's values are shuffled among the test customers (0.01 is a clear effect). "
            "Odds of leaving: odds ratio of the logistic regression for a step of one standard deviation of the "
            "driver (or against the reference level), with its 95% interval; above 1 raises the risk.")
    return HTML(lead + body + small_print(expl) + callout(result.notes))


def dependence_html(analysis_or_result: Any) -> HTML:
    """The intro of the chart of how the risk changes with the top drivers, or the sentence replacing it."""
    gate = _gate(analysis_or_result, "The effect of the top drivers", weak=False)
    if gate:
        return HTML(shortfall_html(gate))
    return HTML(paragraph("Average predicted chance of leaving when every customer's value of the driver is set to "
                          "the value shown, everything else unchanged; all panels share one scale, and each panel's "
                          "title gives the size of the effect."))


def model_quality_html(analysis_or_result: Any) -> HTML:
    """The rankings compared by the one criterion, which one the risk list uses, and how they were checked."""
    result = _result(analysis_or_result)
    gate = _gate(analysis_or_result, "The comparison of the rankings", weak=False)
    if gate:
        return HTML(shortfall_html(gate))
    m = result.metrics.pivot(index="model", columns="metric", values="value")
    m = m.reindex([x for x in ("baseline", "logit", "hgb") if x in m.index])
    sel = result.selected_model
    show = pd.DataFrame({
        "Ranking": [_NAMES[x].capitalize() + (" (used)" if x == sel else "") for x in m.index],
        "Leavers among the riskiest 10%": m["capture_top10"].map(lambda v: pct(v, 0)),
        "Leavers among the riskiest 20%": m["capture_top20"].map(lambda v: pct(v, 0)),
        "Ranking accuracy (ROC AUC)": m["roc_auc"].map(lambda v: f"{v:.2f}"),
    })
    cap = _captures(result)
    if sel == "baseline":
        verdict = (f"The risk list uses the simple rule: among the riskiest 20% it finds {pct(cap['baseline'], 0)} of "
                   f"the leavers, and no churn model finds at least {BEAT_MARGIN * 100:.0f} point more.")
    else:
        verdict = (f"The risk list uses the {_NAMES[sel]}: among the riskiest 20% it finds "
                   f"{pct(cap[sel], 0)} of the leavers, the simple rule {pct(cap['baseline'], 0)}.")
    if result.weak_ranking:
        verdict += (f" That is too close to a random 20% (which finds 20%) to single customers out: at least "
                    f"{WEAK_LIFT * 20:.0f}% is needed.")
    ev = result.counts[result.counts["set"].isin(["evaluate", "all"])]
    sizes = ""
    if len(ev):
        r = ev.iloc[0]
        who = (f"the {r.n_customers:,} customers of {fmt_day(result.plan.evaluate)}" if result.design == "out_of_time"
               and result.plan is not None else f"the {r.n_customers:,} customers of the table")
        sizes = f"Test customers: {who}, {r.n_churned:,} of whom left ({pct(r.churn_rate, 1)})."
    rule = f"Simple rule: {result.baseline_rule}." if result.baseline_rule else ""
    expl = ("Leavers among the riskiest 10% / 20%: of all the test customers who left, the share a campaign reaches "
            "by contacting the customers ranked riskiest first. Ranking accuracy: chance that a random leaver is ranked above a "
            "random customer who stayed (0.5 is a coin toss).")
    return HTML(f"<p><b>{esc(verdict)}</b></p>" + table(show, text=["Ranking"]) + footnote(f"{rule} {sizes}".strip())
                + small_print(expl))


def checks_html(analysis_or_result: Any) -> HTML:
    """The intro of the charts comparing predicted with actual leaving and the leavers reached, or the sentence replacing them."""
    gate = _gate(analysis_or_result, "The check of the predictions", weak=False)
    if gate:
        return HTML(shortfall_html(gate))
    return HTML(paragraph("Left: whether a predicted 30% chance of leaving really means 30% of such test customers "
                          "left (points on the diagonal are right). Right: how many leavers a campaign reaches when it "
                          "contacts the riskiest customers first."))


def reasons_html(analysis_or_result: Any) -> HTML:
    """Churn reasons recorded for the churners (last 12 months for a unit), with share bars."""
    result = _result(analysis_or_result)
    r = result.reasons
    if r.empty:
        return HTML(paragraph("No churn reasons are recorded for this unit (they come from the customers table's "
                              "churn_reason and churn_type columns)."))
    d = r.head(15)
    show = pd.DataFrame({"Type": d["churn_type"], "Reason": d["churn_reason"], "Churned": d["n_churned"].map(count),
                         "Share": d["share"].map(lambda v: pct(v, 1)),
                         "": ["█" * max(1, int(v * 30)) for v in d["share"]]})  # a bar as text: no inline style
    scope = "churners of the last 12 months" if result.design == "out_of_time" else "churners in the table"
    return HTML(paragraph(f"Reasons given by {scope} ({int(r['n_churned'].sum()):,}). Reasons are recorded at the "
                          "churn, so they describe why customers left, never whom to warn.")
                + table(show, text=["Type", "Reason", ""]))


def _model_words(warning: EarlyWarning) -> str:
    if warning.model == "baseline":
        return f"the simple rule ({_rule_words(warning)})"
    return {"logit": "the logistic regression", "hgb": "the gradient-boosting model"}.get(warning.model, warning.model)


def _test_cell(n: Any, p: Any, rate: Any, need: int) -> tuple[str, str]:
    if not n:
        return "none", ""
    if n < need:
        return f"{int(n):,} (too few to check)", ""
    return f"{int(n):,}: {pct(p, 0)} predicted", pct(rate, 0)


def tiers_html(analysis_or_warning: Any) -> HTML:
    """Risk tiers: customers, expected leavers, revenue, and predicted against actual leaving on the test customers."""
    warning = _warning(analysis_or_warning)
    a = analysis_or_warning if isinstance(analysis_or_warning, DriversAnalysis) else None
    if a is not None:
        gate = _gate(a, "A split of the customers into risk tiers")
        if gate:
            return HTML(shortfall_html(gate))
    if not len(warning.scores):
        return HTML(callout(warning.notes or ("No customer to score.",)))
    t = warning.tiers
    cur = warning.currency
    need = samples.min_customers(None)
    revenue, var = f"Revenue, last 12 months ({cur})", f"Expected loss ({cur})"
    test = [_test_cell(n, p, r, need) for n, p, r in zip(t.get("test_n_customers", [0] * len(t)),
                                                         t.get("test_mean_probability", [None] * len(t)),
                                                         t.get("test_churn_rate", [None] * len(t)))]
    show = pd.DataFrame({
        "Tier": t["tier"].str.capitalize(), "Chance of leaving": t["threshold"],
        "Customers": t["n_customers"].map(count), "Share": t["share"].map(lambda v: pct(v, 1)),
        "Average chance": [pct(v, 0) if n else "" for v, n in zip(t["mean_probability"], t["n_customers"])],
        "Expected to leave": t["expected_churners"].map(lambda v: number(v, 0)),
        revenue: t["revenue_12m"].map(lambda v: number(v, 0)),
        var: t["value_at_risk"].map(lambda v: number(v, 0)),
        "Test customers in the tier": [x[0] for x in test],
        "Test customers who left": [x[1] for x in test],
    })
    if "test_n_customers" not in t or not t["test_n_customers"].any():
        show = show.drop(columns=["Test customers in the tier", "Test customers who left"])
    if warning.design == "stratified_cv":
        return HTML(table(show.drop(columns=[revenue, var])) +
                    footnote(f"Every customer of the table who has not churned, scored by {_model_words(warning)} "
                             "(cross-validated). Tier thresholds: params drivers.tiers.") + callout(warning.notes))
    return HTML(table(show) + footnote(
        f"Every customer at the end of the report month, scored as of {fmt_day(warning.as_of)} by "
        f"{_model_words(warning)}: chance of leaving within {warning.horizon_days} days. Expected loss = chance × net "
        "revenue of the last 12 months. The last two columns put the test customers into the same tiers: what the "
        "ranking predicted for them and how many then left (the calibration of the tiers). Tier thresholds: params "
        "drivers.tiers."))


def tradeoff_html(analysis_or_warning: Any) -> HTML:
    """The targeting trade-off table, with the same cut-offs checked on the test customers."""
    warning = _warning(analysis_or_warning)
    if isinstance(analysis_or_warning, DriversAnalysis):
        gate = _gate(analysis_or_warning, "A targeting trade-off")
        if gate:
            return HTML(shortfall_html(gate))
    t = warning.tradeoff
    if t.empty or not len(warning.scores):
        return HTML("")
    t = t[t["n_flagged"] > 0]
    if t.empty:
        return HTML(paragraph("No customer reaches any of the cut-offs."))
    var = f"Expected loss covered ({warning.currency})"
    oot = ["Test: left among flagged", "Test: leavers flagged"]
    show = pd.DataFrame({
        "Flag if chance ≥": t["threshold"].map(lambda v: pct(v, 0)),
        "Customers flagged": t["n_flagged"].map(lambda v: number(v, 0)),
        "Expected leavers among them": t["expected_churners"].map(lambda v: number(v, 0)),
        "Expected to stay anyway": t["expected_false_alarms"].map(lambda v: number(v, 0)),
        "Share of expected leavers": t["share_of_churners_caught"].map(lambda v: pct(v, 0)),
        var: t["value_at_risk_covered"].map(lambda v: number(v, 0)),
        oot[0]: t["oot_precision"].map(lambda v: pct(v, 0) if pd.notna(v) else "none flagged"),
        oot[1]: t["oot_recall"].map(lambda v: pct(v, 0) if pd.notna(v) else ""),
    })
    note = ("Expected counts add up the chances of the flagged customers. The test columns apply the same cut-off to "
            "the test customers, whose outcome is known.")
    if t["oot_precision"].isna().all() and t["oot_recall"].isna().all():
        show = show.drop(columns=oot)
        note = "Expected counts add up the chances of the flagged customers."
    if warning.design == "stratified_cv":
        show = show.drop(columns=[var])
    return HTML(table(show) + footnote(note))


def at_risk_html(analysis_or_warning: Any, *, show_ids: bool | None = None, top_n: int | None = None,
                 saved: str | Path | None = None) -> HTML:
    """The top of the at-risk list (high and medium risk, by expected loss), ids masked unless ``show_ids``.

    Only customers at high or medium risk are listed: without a model, with a ranking close to chance or
    when every customer is at low risk, one sentence says so instead (the CSV still holds every customer).

    Parameters
    ----------
    analysis_or_warning : DriversAnalysis or EarlyWarning
    show_ids : bool, optional
        Show customer ids unmasked; default the unit's ``show_customer_ids`` (an analysis), else False.
    top_n : int, optional
        Rows shown; default the unit's ``drivers.top_n`` (an analysis), else 25.
    saved : str or Path, optional
        The list file written (:func:`~retention_utils.drivers.write_at_risk_list`), named under the table.
    """
    a = analysis_or_warning if isinstance(analysis_or_warning, DriversAnalysis) else None
    warning = _warning(analysis_or_warning)
    show_ids = (a.show_customer_ids if a is not None else False) if show_ids is None else show_ids
    top_n = (a.top_n if a is not None else 25) if top_n is None else top_n
    s = warning.scores
    if not len(s):
        return HTML("")
    where = (f"All {len(s):,} {vocabulary.name('customers_scored')}, every tier, are in {Path(saved).name} next to "
             "this report, for the CRM.") if saved else "Interactive run: the list file was not written."
    if a is not None:
        gate = _gate(a, "A list of customers at risk")
        if gate:
            return HTML(shortfall_html(gate) + footnote(where))
    d = s[s["tier"].isin(["high", "medium"])].head(top_n)
    if d.empty:
        return HTML(paragraph(f"No customer is at high or medium risk (a chance of {warning.tier_thresholds[1]:.0%} "
                              "or more), so there is no list to act on this month.") + footnote(where))
    var = f"Expected loss ({warning.currency})"
    show = pd.DataFrame({
        "Customer": d["customer_id"] if show_ids else d["customer_id"].map(mask_id),
        "Tier": d["tier"].str.capitalize(), "Chance of leaving": d["probability"].map(lambda v: pct(v, 1)),
        "Score": d["score"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        var: d["value_at_risk"].map(lambda v: number(v, 0)),
        "Top reasons": d["reasons"],
    })
    if d["score"].isna().all():
        show = show.drop(columns=["Score"])
    if warning.design == "stratified_cv":
        show = show.drop(columns=[c for c in ("Score", var) if c in show])
    masked = "" if show_ids else " Customer ids are masked (params show_customer_ids: false)."
    return HTML(table(show, text=["Tier", "Top reasons"]) + footnote(where + masked))


def scorecard_html(analysis_or_warning: Any) -> HTML:
    """The points scorecard (points per factor band) and its score bands; the simple rule's bands when it is used."""
    warning = _warning(analysis_or_warning)
    if isinstance(analysis_or_warning, DriversAnalysis):
        gate = _gate(analysis_or_warning, "A scorecard")
        if gate:
            return HTML(shortfall_html(gate))
    sc = warning.scorecard
    rule = getattr(warning, "rule_table", pd.DataFrame())
    if warning.model == "baseline" and len(rule):
        what = ("days since the last purchase" if getattr(warning, "rule_score", "") == "recency" else
                "overdue ratio (days since the last purchase divided by their usual gap between purchases)")
        show = pd.DataFrame({"Band": rule["bin"], "Training customers": rule["n_customers"].map(count),
                             "Their chance of leaving": rule["churn_rate"].map(lambda v: pct(v, 0))})
        return HTML(paragraph(f"The simple rule is the scorecard: look up the customer's {what}; the chance beside "
                              "it is the list's chance of leaving.") + table(show, text=["Band"]))
    if sc.empty and warning.design == "stratified_cv":
        return HTML(paragraph("No scorecard for a one-row-per-customer table: a scorecard's score bands are checked "
                              "on a later period, which needs dated data."))
    if sc.empty:
        notes = tuple(getattr(warning, "scorecard_notes", ()))
        return HTML(paragraph("No scorecard: it needs a fitted logistic model.") if not notes else callout(notes))
    rows = []
    for _f, d in sc.groupby("factor", sort=False):
        first = True
        for r in d.sort_values("bin_order").itertuples():
            rows.append({"Factor": r.label if first else "", "Value": r.bin, "Points": int(r.points),
                         "Training customers": count(r.n_customers),
                         "Their churn rate": pct(r.churn_rate, 1) if r.n_customers else ""})
            first = False
    b = warning.bands
    bands = pd.DataFrame({
        "Band": b["band"].str.capitalize(),
        "Total points": [f"{lo:.0f}+" if bd == "high" else ("" if pd.isna(hi) else f"{lo:.0f}–{hi:.0f}")
                         for bd, lo, hi in zip(b["band"], b["min_score"], b["max_score"])],
        "Meaning": b["meaning"],
        "Test customers": b["n_eval"].map(count),
        "Who left": [pct(v, 1) if n else "" for v, n in zip(b["observed_rate"], b["n_eval"])],
    })
    return HTML(paragraph("Add up the points of the customer's value on each factor; the total places them in a "
                          "band. Every 20 points double the odds of leaving. More points always go with a higher "
                          "churn rate within a factor; the chances in the list come from the full model.")
                + table(pd.DataFrame(rows), text=["Value"]) + table(bands, text=["Total points", "Meaning"])
                + callout(getattr(warning, "scorecard_notes", ())))


def closed_loop_html(analysis_or_loop: Any) -> HTML:
    """The earlier list against what happened: realized churn by tier and campaign reach."""
    loop = _loop(analysis_or_loop)
    if loop.status == "none":
        return HTML(paragraph(loop.notes[0] if loop.notes else "No earlier at-risk list."))
    b = loop.by_tier
    show = pd.DataFrame({
        "Tier": b["tier"].str.capitalize(), "Customers listed": b["n_customers"].map(count),
        "Predicted churn": b["predicted_rate"].map(lambda v: pct(v, 1)),
        "Churned": b["n_churned"].map(count),
        "Realized churn (95% interval)": [f"{pct(r, 1)} ({pct(lo, 1)}–{pct(hi, 1)})" for r, lo, hi in
                                          zip(b["realized_rate"], b["ci_lower"], b["ci_upper"])],
        "Reached by a campaign": [f"{n:,} ({pct(s, 0)})" for n, s in zip(b["n_reached"], b["reached_share"])],
        "Churn if reached / not reached": [f"{pct(a, 1)} / {pct(c, 1)}" for a, c in
                                           zip(b["realized_rate_reached"], b["realized_rate_not_reached"])],
    })
    head = (f"The list of {loop.source_month} (scored as of {fmt_day(loop.as_of)}), against the {loop.observed_days} "
            f"days since ({'the whole' if loop.status == 'complete' else 'part of the'} {loop.horizon_days}-day "
            "horizon).")
    caveat = ("Campaign reach is not a controlled comparison: who was contacted was not random with respect to "
              "risk, so the churn of reached and not-reached customers differs for other reasons too.")
    return HTML(paragraph(head) + table(show) + callout(loop.notes) + footnote(caveat))


def about_html(analysis_or_result: Any, cfg: Any = None) -> HTML:
    """How the churn label, the features, the models and the tiers are defined.

    Parameters
    ----------
    analysis_or_result : DriversAnalysis or DriversResult
    cfg : UnitConfig, optional
        Needed with a bare :class:`~retention_utils.drivers.DriversResult` (churn definition, tiers).
    """
    if isinstance(analysis_or_result, DriversAnalysis):
        a = analysis_or_result
        result, (high, medium), method, days = a.drivers, a.tier_thresholds, a.churn_method, a.inactivity_days
    else:
        result, high, medium = analysis_or_result, cfg.drivers.tiers.high, cfg.drivers.tiers.medium
        method, days = cfg.churn.method, cfg.churn.inactivity_days
    models = ("a logistic regression on standardized features (effects against each category's reference "
              "level, params drivers.reference_levels) and a gradient-boosting model with calibrated probabilities")
    choice = ("The ranking used is the one that finds the most leavers among the riskiest 20% of the test customers; "
              f"a churn model must find at least {BEAT_MARGIN * 100:.0f} point more of them than the simple rule.")
    guard = (f"Leakage guard: a feature that alone ranks leavers almost perfectly (ranking accuracy above {LEAKAGE_AUC}) "
             f"is flagged and left out, because such a value is usually recorded after the churn; one above "
             f"{LEAKAGE_WARN_AUC} is kept but reported as suspected leakage in the headline. Params drivers.exclude "
             "leaves out features by name.")
    if result.design == "stratified_cv":
        feats = ", ".join(list(result.numeric) + list(result.categorical))
        items = [
            "Label: the table's churn flag (one row per customer, no dates to follow customers over time).",
            f"Features: {feats}." if feats else "",
            result.validation,
            f"Models: the simple rule, {result.baseline_rule or 'the single most predictive column'}; {models}. "
            + choice,
            guard,
            f"Risk tiers (params drivers.tiers) of the customers who have not churned: high from {high:.0%}, medium "
            f"from {medium:.0%} cross-validated probability.",
        ]
        return HTML(bullet_list(i for i in items if i))
    h = result.horizon_days
    churn = (f"a customer churns when they go more than {days} days without a purchase (the churn day is the day "
             "that window elapses)" if method == "inactivity" else
             "a customer churns on the cancellation date recorded in the customers table")
    feats = ", ".join(feature_label(f) for f in result.numeric)
    items = [
        f"Label: {churn}; a customer active on a cut-off day counts as a churner when they churn within the next "
        f"{h} days. Customers already churned on the cut-off are left out; only cut-offs whose {h} days lie "
        "within the data are used.",
        ("Features use only what is dated before the cut-off day (no look-ahead): " + feats +
         (f"; attributes: {', '.join(result.categorical)}" if result.categorical else "") + ".") if feats else "",
        result.validation,
        f"Models: the simple rule, {result.baseline_rule or 'how overdue the customer is'}; {models}. " + choice,
        guard,
        f"Risk tiers (params drivers.tiers): high from {high:.0%}, medium from {medium:.0%} chance of leaving "
        f"within {h} days.",
    ]
    return HTML(bullet_list(i for i in items if i))


_SECTIONS = (("Headline", headline_html), ("What drives churn", drivers_html),
             ("How the risk changes with the top drivers", dependence_html),
             ("Why customers say they left", reasons_html), ("Model quality", model_quality_html),
             ("Are the predictions right?", checks_html),
             ("Risk tiers", tiers_html), ("Targeting trade-off", tradeoff_html),
             ("At-risk customers (highest expected loss first)", at_risk_html),
             ("Scorecard for the CRM team", scorecard_html), ("Did last time's warning work?", closed_loop_html),
             ("About this report", about_html))


def result_html(analysis: DriversAnalysis) -> HTML:
    """The whole churn-drivers page of an analysis (every section, ids masked unless the unit shows them)."""
    return join(*(f"<h3>{esc(title)}</h3>{fn(analysis)}" for title, fn in _SECTIONS))
