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

from ..drivers import BEAT_MARGIN, LEAKAGE_AUC, LEAKAGE_WARN_AUC, ClosedLoop, DriversAnalysis, DriversResult, \
    EarlyWarning
from ..drivers._text import fmt_day
from ..drivers.result import feature_label
from ..engine.features import FEATURES
from .formats import MODEL_LABELS, count, money, number, pct
from .html import HTML, Card, bullet_list, callout, cards, esc, footnote, headline_list, join, paragraph, table

__all__ = ["mask_id", "headline_sentences", "report_subtitle", "headline_html", "drivers_html", "model_quality_html",
           "reasons_html", "tiers_html", "tradeoff_html", "at_risk_html", "scorecard_html", "closed_loop_html",
           "about_html", "result_html"]

_NO_MODEL = "No churn model for this unit."


def _result(x: Any) -> DriversResult:
    return x.drivers if isinstance(x, DriversAnalysis) else x


def _warning(x: Any) -> EarlyWarning:
    return x.warning if isinstance(x, DriversAnalysis) else x


def _loop(x: Any) -> ClosedLoop:
    return x.loop if isinstance(x, DriversAnalysis) else x


def mask_id(customer_id: Any) -> str:
    """A customer id with all but its last two characters hidden.

    Examples
    --------
    >>> mask_id("C0001234")
    '••••••34'
    >>> mask_id("7")
    '•'
    """
    s = str(customer_id)
    if len(s) <= 2:
        return "•" * len(s)
    return "•" * (len(s) - 2) + s[-2:]


def _driver_words(result: DriversResult, feature: str) -> str:
    """Direction of a driver in plain words, from the logistic regression."""
    o = result.odds_ratios
    d = o[o["feature"] == feature]
    if d.empty:
        return "shapes the risk (not in the logistic model)"
    if d["kind"].iloc[0] == "numeric":
        or_ = float(d["odds_ratio"].iloc[0])
        info = FEATURES.get(feature)
        more = info.more if info else f"higher {feature}"
        less = info.less if info else f"lower {feature}"
        sig = pd.notna(d["ci_lower"].iloc[0]) and (d["ci_lower"].iloc[0] > 1 or d["ci_upper"].iloc[0] < 1)
        words = f"{more if or_ >= 1 else less} → more churn"
        return words + ("" if sig or pd.isna(d["ci_lower"].iloc[0]) else " (weak: interval includes no effect)")
    ref = d["reference"].iloc[0]
    levels = pd.concat([pd.DataFrame({"level": [ref], "odds_ratio": [1.0]}), d[["level", "odds_ratio"]]])
    hi = levels.sort_values("odds_ratio").iloc[-1]
    lo = levels.sort_values("odds_ratio").iloc[0]
    return f"'{hi['level']}' churns most, '{lo['level']}' least"


def _model_sentences(result: DriversResult) -> list[str]:
    if not result.ok:
        return [result.notes[0] if result.notes else _NO_MODEL]
    out = []
    best = result.best_model
    auc, base = result.metric(best, "roc_auc"), result.metric("baseline", "roc_auc")
    cap = result.metric(best, "capture_top20")
    where = ("on customers and a period they never saw (out-of-time test)" if result.design == "out_of_time"
             else "in cross-validation on one snapshot (not an out-of-time test)")
    if result.beats_baseline:
        out.append(f"The {MODEL_LABELS[best].lower()} separates churners from stayers with a ROC AUC of "
                   f"{auc:.2f} {where}, against {base:.2f} for the simple baseline rule; contacting its "
                   f"riskiest 20% of customers would reach {pct(cap, 0)} of the churners.")
    else:
        out.append(f"No model beats the simple baseline rule: the best model reaches a ROC AUC of {auc:.2f} "
                   f"{where}, the rule {base:.2f}. Rank customers by the rule, and treat the drivers below "
                   "as weak evidence.")
    if auc < 0.6 and result.beats_baseline:
        out.append("Churn is hard to predict in this unit (ROC AUC below 0.6): the risk scores sort customers "
                   "only roughly.")
    sus = result.suspected_leaks
    if len(sus):
        names = ", ".join(f"{lab} (ROC AUC {a:.2f} on its own)" for lab, a in
                          sus[["label", "single_auc"]].itertuples(index=False))
        keys = ", ".join(sus["feature"].astype(str))
        out.append(f"Suspected leakage: {names} separate(s) churners almost perfectly and may be recorded "
                   "after the churn, which would make the accuracy above too good to be true. If it is "
                   f"recorded after the outcome, exclude it (params drivers.exclude: [{keys}]) and rerun.")
    tops = result.top_drivers(3)
    if tops:
        words = "; ".join(f"{feature_label(f)} ({_driver_words(result, f)})" for f in tops)
        out.append(f"The strongest drivers: {words}.")
    return out


def _warning_sentences(warning: EarlyWarning) -> list[str]:
    if not len(warning.scores):
        return []
    t = warning.tiers.set_index("tier")
    h_thr, m_thr = warning.tier_thresholds
    if warning.design == "stratified_cv":
        return [f"{int(t.loc['high'].n_customers):,} of the {int(t['n_customers'].sum()):,} customers who have "
                f"not churned look like the churners (a cross-validated probability of {h_thr:.0%} or more), "
                f"{int(t.loc['medium'].n_customers):,} more somewhat ({m_thr:.0%} or more). This is a snapshot: "
                "the probabilities are not checked on a later period (no out-of-time test)."]
    cur = warning.currency
    n_all = int(t["n_customers"].sum())
    hi = t.loc["high"]
    n_med = int(t.loc["medium"].n_customers)
    if hi.n_customers:
        first = (f"{int(hi.n_customers):,} of the {n_all:,} active customers ({pct(hi.share, 1)}) are high "
                 f"risk (a churn probability of {h_thr:.0%} or more within {warning.horizon_days} days); they "
                 f"bought {money(hi.revenue_12m, cur, compact=True)} in the last 12 months, "
                 f"{money(hi.value_at_risk, cur, compact=True)} of it at risk. {n_med:,} more are medium risk "
                 f"({m_thr:.0%} or more).")
    else:
        first = (f"None of the {n_all:,} active customers reaches the high-risk threshold (a churn probability "
                 f"of {h_thr:.0%} within {warning.horizon_days} days); {n_med:,} are medium risk "
                 f"({m_thr:.0%} or more), with {money(t.loc['medium'].value_at_risk, cur, compact=True)} of "
                 "revenue at risk.")
    return [first, f"Expected churners within {warning.horizon_days} days across all active customers: "
                   f"{warning.scores['probability'].sum():,.0f}; revenue at risk "
                   f"{money(warning.scores['value_at_risk'].sum(), cur, compact=True)}."]


def _loop_sentences(loop: ClosedLoop) -> list[str]:
    if loop.status == "none":
        return []
    b = loop.by_tier.set_index("tier")
    if b.loc["high", "n_customers"] > 0:
        r = b.loc["high"]
        so_far = " so far" if loop.status == "partial" else ""
        return [f"Check of the {loop.source_month} list: {int(r.n_customers):,} customers were flagged high "
                f"risk; {pct(r.realized_rate, 0)} of them churned{so_far} (predicted {pct(r.predicted_rate, 0)}), "
                f"and {pct(r.reached_share, 0)} were reached by a retention campaign."]
    r = b.loc["medium"]
    return [f"Check of the {loop.source_month} list: of {int(r.n_customers):,} medium-risk customers "
            f"{pct(r.realized_rate, 0)} churned (predicted {pct(r.predicted_rate, 0)})."]


def headline_sentences(analysis_or_result: Any, warning: EarlyWarning | None = None,
                       loop: ClosedLoop | None = None) -> list[str]:
    """Plain-language headline sentences from the numbers (plain text; escaped when shown).

    Parameters
    ----------
    analysis_or_result : DriversAnalysis or DriversResult
        The analysis, or only its model result (then ``warning`` and ``loop`` may be given).
    """
    if isinstance(analysis_or_result, DriversAnalysis):
        result, warning, loop = analysis_or_result.drivers, analysis_or_result.warning, analysis_or_result.loop
    else:
        result = analysis_or_result
    out = _model_sentences(result)
    if warning is not None:
        out += _warning_sentences(warning)
    if loop is not None:
        out += _loop_sentences(loop)
    flagged = result.leakage[result.leakage["flagged"]] if not result.leakage.empty else result.leakage
    if len(flagged):
        out.append(f"Leakage guard: {', '.join(flagged['label'].astype(str))} would predict churn almost perfectly "
                   "(probably recorded after the churn) and " +
                   ("was left out of the models." if flagged["excluded"].all() else "was kept (by request)."))
    return out


def report_subtitle(analysis_or_result: Any, cfg: Any = None, *, has_amounts: bool = True) -> str:
    """The churn-drivers page's subtitle: the label's horizon, or the snapshot's design, and the currency.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> cfg = NS(drivers=NS(horizon_days=90), currency="EUR")
    >>> report_subtitle(NS(design="out_of_time"), cfg)
    'Churn drivers and early warning · churn within 90 days · amounts in EUR'
    >>> report_subtitle(NS(design="stratified_cv"), cfg)
    'Churn drivers · one row per customer with a churn flag · cross-validated, no out-of-time test'
    >>> report_subtitle(NS(design="out_of_time"), cfg, has_amounts=False)
    'Churn drivers and early warning · churn within 90 days · no amounts in the export'
    """
    if isinstance(analysis_or_result, DriversAnalysis):
        a = analysis_or_result
        design, horizon, currency, has_amounts = a.drivers.design, a.horizon_days, a.currency, a.has_amounts
    else:
        design, horizon, currency = analysis_or_result.design, cfg.drivers.horizon_days, cfg.currency
    if design == "stratified_cv":
        return "Churn drivers · one row per customer with a churn flag · cross-validated, no out-of-time test"
    amounts = f"amounts in {currency}" if has_amounts else "no amounts in the export"
    return f"Churn drivers and early warning · churn within {horizon} days · {amounts}"


def headline_html(analysis_or_result: Any, warning: EarlyWarning | None = None,
                  loop: ClosedLoop | None = None) -> HTML:
    """Headline sentences and cards: model quality against the baseline, high-risk customers, value at risk."""
    if isinstance(analysis_or_result, DriversAnalysis):
        result, warning, loop = analysis_or_result.drivers, analysis_or_result.warning, analysis_or_result.loop
    else:
        result = analysis_or_result
    items = []
    if result.ok:
        best = result.best_model
        items.append(Card("Model ROC AUC", f"{result.metric(best, 'roc_auc'):.2f}",
                          ((f"baseline rule {result.metric('baseline', 'roc_auc'):.2f}", ""),)))
        items.append(Card("Churners in riskiest 20%", pct(result.metric(best, "capture_top20"), 0),
                          ((f"lift {result.metric(best, 'lift_top20'):.1f}x", ""),)))
    if warning is not None and len(warning.scores):
        t = warning.tiers.set_index("tier")
        items.append(Card("High-risk customers", count(t.loc["high", "n_customers"]),
                          ((f"{count(t.loc['medium', 'n_customers'])} medium risk", ""),)))
        if warning.design != "stratified_cv":
            cur = warning.currency
            items.append(Card("Revenue at risk", money(warning.scores["value_at_risk"].sum(), cur, compact=True),
                              ((f"high tier {money(t.loc['high', 'value_at_risk'], cur, compact=True)}", ""),)))
    return HTML(headline_list(headline_sentences(result, warning, loop)) + cards(items))


def drivers_html(analysis_or_result: Any, *, top: int = 10) -> HTML:
    """The top drivers: importance (out of sample, ± spread), direction and odds ratio in words."""
    result = _result(analysis_or_result)
    if not result.ok or result.importance.empty:
        return HTML(callout(result.notes or (_NO_MODEL,)))
    imp = result.importance[result.importance["model"] == result.best_model].sort_values("rank")
    imp = imp[imp["importance_mean"] >= 0.001].head(top)  # at least a tenth of a ROC AUC point
    if imp.empty:
        return HTML(paragraph("No feature moves the model's ROC AUC by 0.001 or more when shuffled: no clear "
                              "driver.") + callout(result.notes))
    o = result.odds_ratios
    rows = []
    for r in imp.itertuples():
        d = o[o["feature"] == r.feature]
        if len(d) and d["kind"].iloc[0] == "numeric":
            x = d.iloc[0]
            ci = "" if pd.isna(x.ci_lower) else f" ({x.ci_lower:.2f}–{x.ci_upper:.2f})"
            orr = f"{x.odds_ratio:.2f}{ci} per +1 SD ({x.sd:,.3g})"
        elif len(d):
            orr = "; ".join(f"{lv}: {v:.2f}" for lv, v in zip(d["level"], d["odds_ratio"])) + \
                f" (vs {d['reference'].iloc[0]})"
        else:
            orr = "not in the logistic model"
        rows.append({"Rank": int(r.rank), "Driver": r.label,
                     "Importance (AUC drop)": f"{r.importance_mean:.3f} ± {r.importance_std:.3f}",
                     "Direction": _driver_words(result, r.feature), "Odds ratio (95% interval)": orr})
    body = table(pd.DataFrame(rows), text=["Driver", "Direction", "Odds ratio (95% interval)"])
    expl = ("Importance: how much the model's ROC AUC drops when the driver's values are shuffled among the test "
            "customers (mean ± standard deviation over repeats); model: "
            f"{MODEL_LABELS.get(result.best_model, result.best_model)}. Odds ratios from the logistic regression on "
            "standardized features: above 1 raises the odds of churning.")
    return HTML(body + footnote(expl) + callout(result.notes))


def model_quality_html(analysis_or_result: Any) -> HTML:
    """The model comparison table, the verdict against the baseline and how the models were checked."""
    result = _result(analysis_or_result)
    if not result.ok:
        return HTML("<p>No model to compare for this unit (see the note under <i>What drives churn</i>).</p>")
    m = result.metrics.pivot(index="model", columns="metric", values="value")
    m = m.reindex([x for x in ("baseline", "logit", "hgb") if x in m.index])
    show = pd.DataFrame({
        "Model": [MODEL_LABELS[x] for x in m.index],
        "ROC AUC": m["roc_auc"].map(lambda v: f"{v:.3f}"),
        "PR AUC": m["pr_auc"].map(lambda v: f"{v:.3f}"),
        "Lift top 10%": m["lift_top10"].map(lambda v: f"{v:.2f}x"),
        "Churners in top 10%": m["capture_top10"].map(lambda v: pct(v, 0)),
        "Lift top 20%": m["lift_top20"].map(lambda v: f"{v:.2f}x"),
        "Churners in top 20%": m["capture_top20"].map(lambda v: pct(v, 0)),
        "Brier score": m["brier"].map(lambda v: f"{v:.4f}"),
    })
    best = result.best_model
    base_rate = float(m["base_rate"].iloc[0])
    if result.beats_baseline:
        verdict = (f"The {MODEL_LABELS[best].lower()} beats the baseline rule (ROC AUC {m.loc[best, 'roc_auc']:.3f} "
                   f"vs {m.loc['baseline', 'roc_auc']:.3f}) and is used for the risk scores.")
    else:
        verdict = (f"No model beats the baseline rule by at least {BEAT_MARGIN:.2f} ROC AUC: the rule ranks "
                   f"churners as well as the models do here ({m.loc['baseline', 'roc_auc']:.3f} vs "
                   f"{m.loc[best, 'roc_auc']:.3f}).")
    unit = "customers" if result.design == "stratified_cv" else "customer-months"
    sizes = "; ".join(f"{r.set}: {r.n_customers:,} {unit}, {r.n_churned:,} churned ({pct(r.churn_rate, 1)})"
                      for r in result.counts.itertuples())
    expl = ("ROC AUC: chance that a random churner ranks above a random stayer (0.5 = coin flip, 1 = perfect). "
            f"PR AUC: average precision (a coin flip scores the churn rate, {pct(base_rate, 1)}). Lift: churn rate "
            "among the riskiest customers relative to the average. Brier score: mean squared error of the "
            "probabilities (lower is better).")
    rule = f"Baseline rule: {result.baseline_rule}." if result.baseline_rule else ""
    return HTML(f"<p><b>{esc(verdict)}</b></p>" + table(show) + footnote(f"{rule} {result.validation} {sizes}.")
                + footnote(expl))


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
    return {"baseline": "the overdue rule (no model)", "logit": "the logistic regression",
            "hgb": "the calibrated gradient-boosting model"}.get(warning.model, warning.model)


def tiers_html(analysis_or_warning: Any) -> HTML:
    """Risk tiers: customers, expected churners, revenue and value at risk."""
    warning = _warning(analysis_or_warning)
    if not len(warning.scores):
        return HTML(callout(warning.notes or ("No active customer to score.",)))
    t = warning.tiers
    cur = warning.currency
    revenue, var = f"Revenue, last 12 months ({cur})", f"Value at risk ({cur})"
    show = pd.DataFrame({
        "Tier": t["tier"].str.capitalize(), "Churn probability": t["threshold"],
        "Customers": t["n_customers"].map(count), "Share": t["share"].map(lambda v: pct(v, 1)),
        "Average probability": t["mean_probability"].map(lambda v: pct(v, 1)),
        "Expected churners": t["expected_churners"].map(lambda v: number(v, 0)),
        revenue: t["revenue_12m"].map(lambda v: number(v, 0)),
        var: t["value_at_risk"].map(lambda v: number(v, 0)),
    })
    if warning.design == "stratified_cv":
        return HTML(table(show.drop(columns=[revenue, var])) +
                    footnote(f"Every customer of the table who has not churned, scored by {_model_words(warning)} "
                             "(cross-validated). Tier thresholds: params drivers.tiers.") + callout(warning.notes))
    return HTML(table(show) + footnote(
        f"Every customer active at the end of the report month, scored as of {fmt_day(warning.as_of)} by "
        f"{_model_words(warning)}: probability of churning within {warning.horizon_days} days. Value at risk = "
        "probability × net revenue of the last 12 months. Tier thresholds: params drivers.tiers."))


def tradeoff_html(analysis_or_warning: Any) -> HTML:
    """The targeting trade-off table, with the out-of-time check of each cut-off."""
    warning = _warning(analysis_or_warning)
    t = warning.tradeoff
    if t.empty or not len(warning.scores):
        return HTML("")
    t = t[t["n_flagged"] > 0]
    if t.empty:
        return HTML(paragraph("No customer reaches any of the probability cut-offs."))
    var = f"Value at risk covered ({warning.currency})"
    oot = ["Out-of-time check: churned among flagged", "Out-of-time check: churners caught"]
    show = pd.DataFrame({
        "Flag if probability ≥": t["threshold"].map(lambda v: pct(v, 0)),
        "Customers flagged": t["n_flagged"].map(lambda v: number(v, 0)),
        "Expected churners caught": t["expected_churners"].map(lambda v: number(v, 0)),
        "Expected false alarms": t["expected_false_alarms"].map(lambda v: number(v, 0)),
        "Share of expected churners": t["share_of_churners_caught"].map(lambda v: pct(v, 0)),
        var: t["value_at_risk_covered"].map(lambda v: number(v, 0)),
        oot[0]: t["oot_precision"].map(lambda v: pct(v, 0)),
        oot[1]: t["oot_recall"].map(lambda v: pct(v, 0)),
    })
    note = ("Expected counts add up the calibrated probabilities of the flagged customers. The out-of-time columns "
            "apply the same cut-off to the test cut-off, where the outcome is known.")
    if t["oot_precision"].isna().all() and t["oot_recall"].isna().all():
        show = show.drop(columns=oot)
        note = "Expected counts add up the probabilities of the flagged customers."
    if warning.design == "stratified_cv":
        show = show.drop(columns=[var])
    return HTML(table(show) + footnote(note))


def at_risk_html(analysis_or_warning: Any, *, show_ids: bool | None = None, top_n: int | None = None,
                 saved: str | Path | None = None) -> HTML:
    """The top of the at-risk list (by value at risk), ids masked unless ``show_ids``.

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
    d = s.head(top_n)
    var = f"Value at risk ({warning.currency})"
    show = pd.DataFrame({
        "Customer": d["customer_id"] if show_ids else d["customer_id"].map(mask_id),
        "Tier": d["tier"].str.capitalize(), "Probability": d["probability"].map(lambda v: pct(v, 1)),
        "Score": d["score"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        var: d["value_at_risk"].map(lambda v: number(v, 0)),
        "Top reasons": d["reasons"],
    })
    if warning.design == "stratified_cv":
        show = show.drop(columns=["Score", var])
    where = (f"The full list ({len(s):,} customers, all tiers) is in {Path(saved).name} next to this report, "
             "for the CRM.") if saved else "Interactive run: the list file was not written."
    masked = "" if show_ids else " Customer ids are masked (params show_customer_ids: false)."
    return HTML(table(show, text=["Tier", "Top reasons"]) + footnote(where + masked))


def scorecard_html(analysis_or_warning: Any) -> HTML:
    """The points scorecard (points per factor bin) and what each score band means."""
    warning = _warning(analysis_or_warning)
    sc = warning.scorecard
    if sc.empty and warning.design == "stratified_cv":
        return HTML(paragraph("No scorecard for a one-row-per-customer table: a scorecard's score bands are checked "
                              "on a later period, which needs dated data."))
    if sc.empty:
        return HTML(paragraph("No scorecard: it needs a fitted logistic model."))
    rows = []
    for _f, d in sc.groupby("factor", sort=False):
        first = True
        for r in d.sort_values("bin_order").itertuples():
            rows.append({"Factor": r.label if first else "", "Value": r.bin, "Points": int(r.points),
                         "Training customers": count(r.n_customers), "Their churn rate": pct(r.churn_rate, 1)})
            first = False
    b = warning.bands
    bands = pd.DataFrame({
        "Band": b["band"].str.capitalize(),
        "Total points": [f"{lo:.0f}+" if bd == "high" else ("" if pd.isna(hi) else f"{lo:.0f}–{hi:.0f}")
                         for bd, lo, hi in zip(b["band"], b["min_score"], b["max_score"])],
        "Meaning": b["meaning"],
        "Out-of-time check: customers": b["n_eval"].map(count),
        "Their observed churn": b["observed_rate"].map(lambda v: pct(v, 1)),
    })
    return HTML(paragraph("Add up the points of the customer's value on each factor; the total places them in a "
                          "band. Every 20 points double the odds of churning. The scorecard is a hand-usable summary "
                          "of the logistic regression on its strongest factors; the probabilities in the list come "
                          "from the full model.") + table(pd.DataFrame(rows), text=["Value"]) +
                table(bands, text=["Total points", "Meaning"]))


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
    models = ("a logistic regression on standardized features (odds ratios against each category's reference "
              "level, params drivers.reference_levels) and a gradient-boosting model with calibrated probabilities")
    if result.design == "stratified_cv":
        feats = ", ".join(list(result.numeric) + list(result.categorical))
        items = [
            "Label: the table's churn flag (one row per customer, no dates to follow customers over time).",
            f"Features: {feats}." if feats else "",
            result.validation,
            f"Models: the baseline rule, {result.baseline_rule or 'the single most predictive column'}; {models}. "
            f"A model beats the baseline when its ROC AUC is at least {BEAT_MARGIN} higher.",
            f"Leakage guard: a feature that alone separates churners with a ROC AUC above {LEAKAGE_AUC} is flagged "
            f"and left out; one above {LEAKAGE_WARN_AUC} is kept but reported as suspected leakage in the headline. "
            "Params drivers.exclude leaves out features by name.",
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
        f"Models: the baseline rule, {result.baseline_rule or 'how overdue the customer is'}; a logistic regression "
        "on standardized features (odds ratios) and a gradient-boosting model with calibrated probabilities. A "
        f"model beats the baseline when its ROC AUC is at least {BEAT_MARGIN} higher.",
        f"Leakage guard: a feature that alone separates churners with a ROC AUC above {LEAKAGE_AUC} is flagged "
        "and left out, because such a value is usually recorded after the churn; one above "
        f"{LEAKAGE_WARN_AUC} is kept but reported as suspected leakage in the headline. Params drivers.exclude "
        "leaves out features by name.",
        f"Risk tiers (params drivers.tiers): high from {high:.0%}, medium from {medium:.0%} churn probability "
        f"within {h} days.",
    ]
    return HTML(bullet_list(i for i in items if i))


_SECTIONS = (("Headline", headline_html), ("What drives churn", drivers_html),
             ("Why customers say they left", reasons_html), ("Model quality", model_quality_html),
             ("Risk tiers", tiers_html), ("Targeting trade-off", tradeoff_html),
             ("At-risk customers (highest value at risk first)", at_risk_html),
             ("Scorecard for the CRM team", scorecard_html), ("Did last time's warning work?", closed_loop_html),
             ("About this report", about_html))


def result_html(analysis: DriversAnalysis) -> HTML:
    """The whole churn-drivers page of an analysis (every section, ids masked unless the unit shows them)."""
    return join(*(f"<h3>{esc(title)}</h3>{fn(analysis)}" for title, fn in _SECTIONS))
