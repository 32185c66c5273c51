"""One name for one population, one plain definition for one term: the words every page uses.

An executive who reads "active customers: 517" on one page and "active customers: 622" on the next
stops trusting both. So every population a page counts has one entry here with the one name that
labels it on every page (:func:`name`), and every measure and every technical term has a plain
definition. The renderer appends the definitions of the names and terms a page uses to its foot
(:func:`glossary_entries`, shown by :func:`retention_utils.display.html.glossary_html`), and
``docs/glossary.md`` is written from the same entries (:func:`glossary_markdown`; a test keeps it in
step).

Names may hold ``{month}`` (e.g. ``December 2025``), ``{dormant_days}`` and ``{inactivity_days}``
(from the unit's ``params: churn``); definitions may hold the same fields.

How the populations relate (the reconciliation notes on the pages use these identities)::

    customers at the end of the month = active at month end + dormant at month end
    customers at the start of the month - churned in the month + new + reactivated
        = customers at the end of the month
    customers scored = customers at the end of the report month (the early-warning list ranks them all)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Term", "POPULATIONS", "MEASURES", "METHODS", "TERMS", "name", "definition", "glossary_entries",
           "glossary_markdown", "technical_terms_in"]


@dataclass(frozen=True)
class Term:
    """A population, measure or method: the one name pages use, and what it means in plain words."""

    key: str
    name: str
    definition: str
    kind: str  # population | measure | method
    #: other spellings that mean the same thing on a page (found when building the page's glossary)
    aliases: tuple[str, ...] = ()


POPULATIONS: tuple[Term, ...] = (
    Term("buyers", "customers who bought in {month}",
         "Customers with at least one purchase (an order with a positive amount; refunds are not purchases) in "
         "the calendar month. The KPI cards' customer count.", "population"),
    Term("new_customers", "new customers in {month}",
         "Customers whose first purchase (explicit churn: signup) fell in the month.", "population"),
    Term("customers_start", "customers at the start of {month}",
         "Customers acquired before the month and not churned on its first day: the base of the monthly churn "
         "rate.", "population"),
    Term("customers_end", "customers at the end of {month}",
         "Customers acquired and not churned on the month's last day: the active plus the dormant ones.",
         "population"),
    Term("active_end", "active at month end",
         "Customers at the end of the month whose last purchase was at most {dormant_days} days before.",
         "population"),
    Term("dormant_end", "dormant at month end",
         "Customers at the end of the month whose last purchase was more than {dormant_days} and at most "
         "{inactivity_days} days before: not churned yet, but drifting.", "population"),
    Term("churned", "churned customers",
         "Customers with no purchase for more than {inactivity_days} days (explicit churn: with a cancellation "
         "date). They count as churned on the day the window elapses.", "population"),
    Term("cohort", "cohort",
         "The customers whose first purchase fell in the same calendar month (the cohort's month 0).",
         "population", ("cohorts",)),
    Term("customer_lives", "customer lives followed",
         "Every acquired customer, followed from the first purchase until churn or the end of the report month "
         "(still a customer then: censored, counted as staying up to that day).", "population"),
    Term("customers_scored", "customers scored",
         "The customers at the end of the report month, each given a churn risk by the early-warning model.",
         "population"),
    Term("customers_ever", "customers who have bought so far",
         "Every customer with a purchase by the end of the report month, churned ones included: the customers "
         "the purchase model values (those likely gone are worth little).", "population"),
)

MEASURES: tuple[Term, ...] = (
    Term("churn_rate", "monthly churn rate",
         "Customers who churned during the month divided by the customers at the start of the month.", "measure"),
    Term("cohort_buying", "share of a cohort buying in month k",
         "Of a cohort's customers, the share with a purchase in the k-th month after their first one "
         "(cohort page). A customer who skips a month and buys again counts again.", "measure",
         ("still buying",)),
    Term("still_customers", "still customers after k months",
         "Of all customer lives, the share not churned k months after the first purchase (survival page; "
         "customers who joined recently count for as long as they have been followed). It differs from the "
         "cohort share buying in month k: a customer who did not buy that month is still a customer here, "
         "while one who left and came back buys again there.", "measure", ("still a customer", "still customers")),
    Term("repurchase_rate", "repurchase rate",
         "Share of the month's buyers who had bought before.", "measure"),
    Term("aov", "average order value", "Purchase revenue of the month divided by its purchases.", "measure"),
    Term("net_revenue", "net revenue", "Purchase revenue of the month minus its refunds.", "measure"),
    Term("revenue_at_risk", "revenue at risk",
         "The last 12 months' net revenue of the customers in the high-risk tier: what the unit loses in a year "
         "if they leave and nothing replaces them.", "measure"),
    Term("clv", "CLV",
         "Customer lifetime value: the margin a customer is expected to bring over the next months (the unit's "
         "value.horizon_months), discounted to today, from a model of how often they buy, how much they spend and "
         "how long they stay.", "measure", ("customer lifetime value",)),
    Term("clv_at_risk", "CLV at risk",
         "Each customer's chance of churning within the churn model's horizon x the CLV they bring if they stay, "
         "summed: the future margin that churn puts at stake.", "measure"),
    Term("rfm_segment", "RFM segment",
         "A group of customers by how recently (R), how often (F) and how much (M) they bought, scored 1-5 "
         "against the unit's other customers; churned customers form the segment Lost.", "measure",
         ("RFM segments", "RFM")),
    Term("lifecycle_stage", "lifecycle stage",
         "Where a customer stands at month end: new, reactivated, growing, mature, declining (spending less "
         "than before), dormant or churned.", "measure", ("lifecycle stages",)),
    Term("quality_score", "quality score",
         "The weighted mean of a customer's standing on value, behaviour, satisfaction, loyalty and referrals "
         "(each 0 to 1 against the unit's other customers).", "measure"),
    Term("risk_tier", "risk tier",
         "High, medium or low predicted chance of churning within the horizon, by the thresholds in the "
         "unit's params.", "measure", ("high-risk", "high risk")),
    Term("control_group", "control group",
         "Customers picked at random to get no contact, so that what happens to them shows what would have "
         "happened to the contacted customers without the campaign.", "measure"),
    Term("customers_saved", "customers saved",
         "How many fewer contacted customers churned within the window than the control group's churn rate "
         "predicts for them.", "measure"),
)

METHODS: tuple[Term, ...] = (
    Term("roc_auc", "ROC AUC",
         "How well a score ranks leavers above stayers: 0.5 is a coin toss, 1.0 a perfect ranking.", "method"),
    Term("lift", "lift",
         "How many times more churners the top-scored group holds than a random group of the same size.",
         "method", ("capture",)),
    Term("out_of_time", "out-of-time check",
         "The model is scored on the latest months it never saw while it was fitted: the honest test of how it "
         "will do next month.", "method", ("out of time",)),
    Term("calibration", "calibration",
         "Whether predicted churn matches what then happened: a tier predicted at 30% should see about 30% "
         "leave.", "method"),
    Term("brier", "Brier score",
         "Mean squared gap between predicted churn chance and what happened (0 is perfect; lower is better).",
         "method", ("Brier",)),
    Term("sd", "+1 SD",
         "One standard deviation: a typical step up in a number (e.g. days since the last order) across "
         "customers.", "method", ("per SD", "standard deviation")),
    Term("hazard_ratio", "hazard ratio",
         "How many times faster a group churns at any moment than its comparison group: 2 means twice as fast, "
         "0.5 half as fast.", "method", ("hazard ratios",)),
    Term("kaplan_meier", "Kaplan-Meier",
         "The standard estimate of the share still customers over time that counts recent customers for as "
         "long as they have been followed.", "method"),
    Term("log_rank", "log-rank test",
         "Tests whether groups' survival curves differ by more than chance.", "method", ("log-rank",)),
    Term("rmst", "restricted mean",
         "Average months as a customer within a fixed horizon (e.g. the first 24 months).", "method",
         ("restricted mean survival time", "RMST")),
    Term("chi_square", "chi-square",
         "A test of whether shares differ between groups by more than chance.", "method"),
    Term("wilson", "Wilson",
         "A 95% interval for a share, reliable also for small groups and shares near 0% or 100%.", "method"),
    Term("holm", "Holm",
         "A correction for testing many groups at once, so that chance findings are not reported as real.",
         "method"),
    Term("p_value", "p-value",
         "The chance of a difference at least this large if there were no real difference; below 0.05 is "
         "called significant.", "method", ("p =",)),
    Term("ci", "95% interval",
         "The range that holds the true value in 95 of 100 repetitions of the data; wide intervals mean few "
         "customers.", "method", ("confidence interval",)),
    Term("odds_ratio", "odds ratio",
         "How many times the odds of churning multiply for the group or step named.", "method",
         ("odds ratios",)),
    Term("partial_dependence", "partial dependence",
         "The model's average predicted churn as one factor varies and the others stay as they are.", "method"),
    Term("bgnbd", "BG/NBD",
         "A model of repeat buying: each customer buys at their own steady pace until, at some point, they "
         "quietly stop; fitted to every customer's purchase count and timing (Fader, Hardie and Lee 2005).",
         "method"),
    Term("gamma_gamma", "Gamma-Gamma",
         "A model of spend per purchase that pulls a customer's own average towards the unit's average the "
         "fewer purchases stand behind it.", "method"),
    Term("sbg", "shifted beta-geometric",
         "A model of how long subscribers keep renewing when some are more loyal than others (Fader and "
         "Hardie 2007).", "method"),
    Term("holdout", "holdout check",
         "The model is refitted without the last months and predicts them; the gap to what happened shows how "
         "far to trust it.", "method", ("holdout",)),
    Term("persona", "persona",
         "A group of customers who behave alike, found by k-means clustering on standardised behaviour and "
         "described by what sets it apart.", "method", ("personas", "k-means")),
    Term("silhouette", "silhouette",
         "How clearly customers sit in their own group rather than the nearest other one (-1 to 1; higher is "
         "clearer); it picks the number of personas.", "method"),
    Term("adjusted_rand", "adjusted Rand index",
         "Agreement of two groupings of the same customers (1 = identical, 0 = chance): here, of personas found "
         "from different random starts.", "method"),
    Term("sample_ratio", "sample ratio",
         "The split of a campaign's customers between treated and control: far from the intended split, the "
         "random assignment probably broke.", "method", ("sample-ratio",)),
    Term("smd", "standardised mean difference",
         "How far treated and control customers differed before sending, in standard deviations. Above 0.1 is "
         "the usual sign that the groups were not alike; small random groups exceed it by chance, so a campaign "
         "is flagged only when its difference is also beyond chance for the groups' size.", "method", ("SMD",)),
    Term("cuped", "CUPED",
         "An adjustment of each customer's revenue by their revenue before the campaign; it narrows the "
         "interval without moving the estimate.", "method"),
    Term("uplift", "expected effect of a contact",
         "How much a contact is expected to lower a customer's chance of churning (churn chance without "
         "contact minus with contact), from two churn models fitted on past campaigns.", "method",
         ("uplift",)),
    Term("qini", "Qini curve",
         "Customers saved as more customers are contacted in the model's order; above the straight line of "
         "random contacting means the model finds the customers a contact helps.", "method", ("Qini",)),
    Term("newcombe", "Newcombe",
         "A 95% interval for the difference of two shares, reliable also for small groups.", "method"),
)

TERMS: dict[str, Term] = {t.key: t for t in (*POPULATIONS, *MEASURES, *METHODS)}


def _fields(cfg: Any = None, month: Any = None) -> dict[str, str]:
    churn = getattr(cfg, "churn", None)
    if month is None:
        month_text = "the month"
    else:
        import pandas as pd

        month_text = pd.Timestamp(month).strftime("%B %Y")  # display.formats.month_name (computation never imports display)
    return {"month": month_text,
            "dormant_days": str(getattr(churn, "dormant_days", "the dormant")),
            "inactivity_days": str(getattr(churn, "inactivity_days", "the inactivity")),
            "k": "k"}


def name(key: str, cfg: Any = None, month: Any = None, *, capital: bool = False) -> str:
    """The one name of population or measure ``key`` on every page.

    Examples
    --------
    >>> name("buyers", month="2025-12-01")
    'customers who bought in December 2025'
    >>> name("customers_scored", capital=True)
    'Customers scored'
    """
    text = TERMS[key].name.format(**_fields(cfg, month))
    return text[:1].upper() + text[1:] if capital else text


def definition(key: str, cfg: Any = None, month: Any = None) -> str:
    """The plain definition of ``key``, with the unit's churn windows filled in.

    Examples
    --------
    >>> class C:
    ...     class churn:
    ...         dormant_days, inactivity_days = 45, 90
    >>> definition("dormant_end", C())[:60]
    'Customers at the end of the month whose last purchase was mo'
    """
    return TERMS[key].definition.format(**_fields(cfg, month))


def _pattern(term: Term) -> re.Pattern:
    spellings = [term.name, *term.aliases]
    parts = []
    for s in spellings:
        # fields match any words ({month} = "December 2025", {dormant_days} = "45", k = "3")
        esc = re.escape(s)
        esc = re.sub(r"\\\{[a-z_]+\\\}", r"[\\w ]+?", esc)
        esc = esc.replace(r"\ k\ ", r"\ \w+\ ")
        parts.append(esc)
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


_PATTERNS: dict[str, re.Pattern] = {}


def glossary_entries(text: str, cfg: Any = None) -> list[tuple[str, str]]:
    """``(name, definition)`` of every population, measure and method whose name (or alias) ``text`` uses.

    Populations first, then measures, then methods; each once.

    Examples
    --------
    >>> [n for n, _ in glossary_entries("Hazard ratio 2.1 (95% interval 1.5 to 2.9) for customers scored")]
    ['customers scored', 'hazard ratio', '95% interval']
    """
    out = []
    for key, term in TERMS.items():
        pat = _PATTERNS.setdefault(key, _pattern(term))
        if pat.search(text):
            shown = term.name.replace("{month}", "the month")
            out.append((shown.format(**_fields(cfg)), definition(key, cfg)))
    return out


def technical_terms_in(text: str) -> dict[str, int]:
    """How often each method term (``kind == 'method'``) occurs in ``text`` (case-insensitive).

    Examples
    --------
    >>> technical_terms_in("ROC AUC 0.7; ROC AUC 0.6; Brier 0.1")
    {'roc_auc': 2, 'brier': 1}
    """
    out = {}
    for term in METHODS:
        n = len(_PATTERNS.setdefault(term.key, _pattern(term)).findall(text))
        if n:
            out[term.key] = n
    return out


def glossary_markdown() -> str:
    """``docs/glossary.md``: every population, measure and method with its definition."""
    lines = ["# Glossary", "",
             "<!-- written by retention_utils.vocabulary.glossary_markdown(); edit the module, then run",
             "     `python -c \"import retention_utils.vocabulary as v; open('docs/glossary.md','w').write("
             "v.glossary_markdown())\"` -->", "",
             "Every report page uses these names, each for one population only, and shows the entries it uses "
             "at its foot. `{month}` is the report month; the day counts are the unit's `params: churn` "
             "windows.", "",
             "How the populations add up:", "",
             "- customers at the end of the month = active at month end + dormant at month end;",
             "- customers at the start of the month − churned in the month + new + reactivated = customers at "
             "the end of the month;",
             "- customers scored = customers at the end of the report month.", ""]
    for title, terms in (("Populations", POPULATIONS), ("Measures", MEASURES), ("Methods (small print)", METHODS)):
        lines += [f"## {title}", "", "| name | definition |", "|---|---|"]
        for t in terms:
            d = t.definition.replace("{dormant_days}", "*dormant days*").replace(
                "{inactivity_days}", "*inactivity days*")
            lines.append(f"| {t.name} | {d} |")
        lines.append("")
    return "\n".join(lines)
