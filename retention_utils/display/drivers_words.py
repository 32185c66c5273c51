"""The churn-drivers page's words: the headline sentences and the sentences that replace a section.

Split from :mod:`.drivers` (the page's sections) so each reads at one sitting; the page module
re-exports the public names (``headline_sentences``, ``population_sentence``, ``no_model_sentence``,
``report_subtitle``, ``mask_id``).
"""

from typing import Any

import pandas as pd

from .. import samples, vocabulary
from ..drivers import ClosedLoop, DriversAnalysis, DriversResult, \
    EarlyWarning
from ..drivers.fitting import WEAK_LIFT
from ..drivers.result import feature_label
from ..engine.features import FEATURES
from .formats import money, pct


_NO_MODEL = "No churn model for this unit."
#: The rankings' names on this page (the baseline is "the simple rule" in every sentence).
_NAMES = {"baseline": "simple rule", "logit": "logistic regression", "hgb": "gradient boosting"}


def _rule_words(result_or_warning: Any) -> str:
    """What the simple rule ranks by, in words (days since the last purchase, or how overdue)."""
    rule = getattr(result_or_warning, "models", {}).get("baseline") if hasattr(result_or_warning, "models") else None
    score = getattr(rule, "score_", None) or getattr(result_or_warning, "rule_score", "")
    return "days since their last purchase" if score == "recency" else "how overdue they are"



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


def no_model_sentence(analysis_or_result: Any, what: str) -> str:
    """The one sentence that replaces a section of a unit without a churn model (:func:`retention_utils.samples.shortfall`).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> r = NS(status="too_few_churners", counts=pd.DataFrame({"set": ["train", "evaluate"], "n_churned": [7, 1]}),
    ...        notes=())
    >>> no_model_sentence(r, "The churn drivers")
    'Not shown: The churn drivers needs at least 50 customers who left in the training months; there are 7 (43 more needed).'
    """
    result = _result(analysis_or_result)
    need = getattr(analysis_or_result, "min_churners", 50)
    if result.status == "no_cutoffs" or not len(result.counts):
        return (f"Not shown: {what} needs a churn model, and the data is too short for one: "
                + (result.notes[0] if result.notes else _NO_MODEL))
    if result.notes and str(result.notes[0]).startswith("Too few customers who stayed"):
        return f"Not shown: {what}. {result.notes[0]}"
    c = result.counts.set_index("set")
    n = int(c.loc["train", "n_churned"]) if "train" in c.index else int(c["n_churned"].iloc[0])
    if n >= need and "evaluate" in c.index:
        n_ev = int(c.loc["evaluate", "n_churned"])
        text = samples.shortfall(n_ev, 20, what=what, counted="customers who left in the month it is checked on")
        if text:
            return text
    if n >= need:
        return f"Not shown: {what} needs customers who stayed as well as customers who left; too few stayed."
    return samples.shortfall(n, need, what=what, counted="customers who left in the training months") or ""


def _weak_sentence(result: DriversResult, what: str) -> str:
    return (f"Not shown: {what} needs a ranking that finds leavers clearly better than chance; the best one "
            f"found {pct(result.selection_value, 0)} of the leavers among the riskiest 20% of the test customers, "
            f"a random 20% finds 20% (at least {WEAK_LIFT * 20:.0f}% needed).")


def _gate(analysis_or_result: Any, what: str, *, weak: bool = True) -> str:
    """The shortfall sentence of a section that needs a (useful) ranking, or "" when it can be shown."""
    result = _result(analysis_or_result)
    if not result.ok:
        return no_model_sentence(analysis_or_result, what)
    if weak and result.weak_ranking:
        return _weak_sentence(result, what)
    return ""


def _captures(result: DriversResult) -> dict[str, float]:
    m = result.metrics
    m = m[m["metric"] == "capture_top20"].set_index("model")["value"]
    return {k: float(m[k]) for k in ("baseline", "logit", "hgb") if k in m.index}


def _ranking_sentence(result: DriversResult) -> str:
    """How well the chosen ranking finds leavers, by the one criterion, and which ranking it is."""
    if not result.ok:
        return ""
    cap = _captures(result)
    sel = result.selected_model
    others = ", ".join(f"{_NAMES[k]} {pct(v, 0)}" for k, v in cap.items() if k != sel)
    lead = (f"Contacting the riskiest 20% of customers first would have reached {pct(cap[sel], 0)} of those who left "
            f"within {result.horizon_days} days" if result.design == "out_of_time" else
            f"The riskiest 20% of the customers hold {pct(cap[sel], 0)} of the churners in cross-validation on one "
            "snapshot (not an out-of-time test)")
    lead += f" ({cap[sel] / 0.2:.1f} times a random 20%)"
    if sel == "baseline":
        return (f"{lead}, ranking them simply by {_rule_words(result)}: the churn models did no better ({others}), "
                "so the risk list uses this simple rule.")
    return f"{lead}, ranking them with the {_NAMES[sel]} (the simple rule and the other model: {others})."


def _drivers_sentence(result: DriversResult) -> str:
    tops = result.top_drivers(3)
    if not tops:
        return ""
    words = "; ".join(f"{feature_label(f)} ({_driver_words(result, f)})" for f in tops)
    return f"What goes with leaving: {words}."


def population_sentence(analysis: DriversAnalysis) -> str:
    """The customers scored, reconciled in one line with the customers at the end of the report month.

    Examples
    --------
    >>> import datetime as dt, pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> a = NS(warning=NS(scores=pd.DataFrame({"x": range(762)}), design="out_of_time"), month=dt.date(2025, 12, 1),
    ...        n_customers_end=762, n_active_end=622, n_dormant_end=140)
    >>> population_sentence(a)
    '762 customers scored: the 762 customers at the end of December 2025 (622 active at month end, 140 dormant at month end).'
    >>> population_sentence(NS(**{**vars(a), "n_customers_end": 770}))[:120]
    '762 customers scored, while the monthly figures count 770 customers at the end of December 2025 (622 active at month end'
    """
    w = analysis.warning
    n = len(w.scores)
    scored = f"{n:,} {vocabulary.name('customers_scored')}"
    if getattr(w, "design", "") == "stratified_cv" or analysis.n_customers_end is None:
        return f"{scored}: every customer of the table who has not churned." if n else ""
    end = vocabulary.name("customers_end", month=analysis.month)
    parts = (f"{analysis.n_active_end:,} {vocabulary.name('active_end')}, "
             f"{analysis.n_dormant_end:,} {vocabulary.name('dormant_end')}")
    if n == analysis.n_customers_end:
        return f"{scored}: the {analysis.n_customers_end:,} {end} ({parts})."
    gap = analysis.n_customers_end - n
    return (f"{scored}, while the monthly figures count {analysis.n_customers_end:,} {end} ({parts}): "
            f"{abs(gap):,} {'fewer' if gap > 0 else 'more'} scored than counted, which should not happen; "
            "please report it.")


def _warning_sentences(warning: EarlyWarning, result: DriversResult | None = None) -> list[str]:
    if not len(warning.scores) or (result is not None and (not result.ok or result.weak_ranking)):
        return []
    t = warning.tiers.set_index("tier")
    h_thr, m_thr = warning.tier_thresholds
    if warning.design == "stratified_cv":
        return [f"{int(t.loc['high'].n_customers):,} of the {int(t['n_customers'].sum()):,} customers who have "
                f"not churned look like the churners (a probability of {h_thr:.0%} or more), "
                f"{int(t.loc['medium'].n_customers):,} more somewhat ({m_thr:.0%} or more). This is one snapshot: "
                "the probabilities are not checked on a later period (no out-of-time test)."]
    cur = warning.currency
    hi = t.loc["high"]
    n_med = int(t.loc["medium"].n_customers)
    if hi.n_customers:
        return [f"{int(hi.n_customers):,} customers are at high risk (a chance of {h_thr:.0%} or more of leaving "
                f"within {warning.horizon_days} days): they bought {money(hi.revenue_12m, cur, compact=True)} in "
                f"the last 12 months, the {vocabulary.name('revenue_at_risk')}; about "
                f"{hi.expected_churners:,.0f} of them are expected to leave. {n_med:,} more are at medium risk "
                f"({m_thr:.0%} or more)."]
    return [f"No customer reaches high risk (a chance of {h_thr:.0%} of leaving within {warning.horizon_days} days), "
            f"so there is no {vocabulary.name('revenue_at_risk')}; {n_med:,} are at medium risk ({m_thr:.0%} or "
            "more)."]


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


def headline_sentences(analysis_or_result: Any, warning: EarlyWarning | None = None,
                       loop: ClosedLoop | None = None) -> list[str]:
    """Plain-language headline sentences from the numbers (plain text; escaped when shown).

    With the analysis: its :meth:`~retention_utils.drivers.DriversAnalysis.headline_sentence` (who is at
    risk and what to do) first, then the customers scored reconciled with the month-end customers, how
    well the chosen ranking finds leavers, what goes with leaving, and the check of an earlier list.

    Parameters
    ----------
    analysis_or_result : DriversAnalysis or DriversResult
        The analysis, or only its model result (then ``warning`` and ``loop`` may be given).
    """
    out: list[str] = []
    if isinstance(analysis_or_result, DriversAnalysis):
        a = analysis_or_result
        result, warning, loop = a.drivers, a.warning, a.loop
        out += [a.headline_sentence(), population_sentence(a)]
        warning = None  # the headline sentence already says who is at risk
    else:
        result = analysis_or_result
        if not result.ok:
            out.append(no_model_sentence(result, "A list of customers at risk"))
    if result.ok:
        out.append(_ranking_sentence(result))
        if warning is not None:
            out += _warning_sentences(warning, result)
        out.append(_drivers_sentence(result))
        sus = result.suspected_leaks
        if len(sus):
            names = ", ".join(sus["label"].astype(str))
            keys = ", ".join(sus["feature"].astype(str))
            one = len(sus) == 1
            best = float(sus["single_auc"].max()) if "single_auc" in sus else float("nan")
            alone = f" (on its own it ranks leavers above stayers {best:.0%} of the time)" if best == best else ""
            out.append(f"Suspected leakage: {names} {'separates' if one else 'separate'} leavers almost perfectly"
                       f"{alone} and may be recorded after they left, which would make the results too good to be "
                       f"true. If so, exclude {'it' if one else 'them'} (params drivers.exclude: [{keys}]) and rerun.")
    if loop is not None:
        out += _loop_sentences(loop)
    flagged = result.leakage[result.leakage["flagged"]] if not result.leakage.empty else result.leakage
    if len(flagged):
        out.append(f"Leakage guard: {', '.join(flagged['label'].astype(str))} would predict churn almost perfectly "
                   "(probably recorded after the churn) and " +
                   ("was left out of the models." if flagged["excluded"].all() else "was kept (by request)."))
    return [x for x in out if x]


