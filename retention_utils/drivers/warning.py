"""Early warning: risk of every active customer, tiers, reasons, the trade-off and the at-risk list.

:func:`early_warning` scores every customer active at the end of the report month with the best
model (calibrated probabilities), puts them in tiers (``drivers.tiers``), adds scorecard points,
top-three reasons in plain words (:func:`reason_phrase`), value at risk and the targeting
trade-off; :func:`write_at_risk_list` writes the CRM list.

The ``reasons`` text is a computation output (a column of the at-risk CSV), so it is worded here
with the package's own helpers (:mod:`retention_utils.drivers._text`), never with display code.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine.features import AUX_COLUMNS, FEATURES
from ..errors import ConfigError
from ..exports import write_csv
from ..results import write_handoff
from ._text import plural as _plural
from ._text import to_float as _num
from .labels import training_panel
from .models import LogitChurnModel, _threads
from .result import DriversResult, feature_label
from .scorecard import _bands, _bin_labels
from .tables import _coerce_features, _snapshot_frame

__all__ = ["TIER_ORDER", "MIN_REASON_LOGODDS", "AT_RISK_FILE", "EarlyWarning", "early_warning", "reason_phrase",
           "tradeoff_table", "write_at_risk_list"]

#: Risk tiers, highest first.
TIER_ORDER = ("high", "medium", "low")


def reason_phrase(feature: str, row: Any, *, high: bool, currency: str = "") -> str:
    """One reason in plain words: the customer's value of ``feature``.

    ``high`` tells whether the customer's value is above the average (which
    is what raises their risk). ``row`` maps feature names to the customer's values.

    Examples
    --------
    >>> reason_phrase("recency_days", {"recency_days": 120.0}, high=True)
    'no purchase for 120 days'
    >>> reason_phrase("n_complaints", {"n_complaints": 2.0}, high=True)
    '2 complaints on record'
    >>> reason_phrase("plan", {"plan": "basic"}, high=True)
    'plan: basic'
    """
    v = row[feature] if feature in row else None
    x = _num(v)
    if feature not in FEATURES:
        return f"{feature.replace('_', ' ')}: {v}"
    missing = {
        "mean_interpurchase_days": "only one purchase day so far (no usual rhythm yet)",
        "overdue_ratio": "only one purchase day so far (no usual rhythm yet)",
        "latest_nps": "never answered an NPS survey",
        "aov_change": "no earlier orders to compare basket size with",
        "discount_share": "no purchases in the last year",
        "refund_rate": "no purchases in the last year",
    }
    if math.isnan(x):
        return missing.get(feature, f"{FEATURES[feature].label}: unknown")
    window = {"90": "90 days", "180": "180 days", "365": "year"}
    if feature == "recency_days":
        return f"no purchase for {x:,.0f} days" if high else f"last purchase only {x:,.0f} days ago"
    if feature == "tenure_days":
        months = x / (365.25 / 12)
        return f"customer for {months:,.0f} months" if high else f"new customer ({months:,.0f} months)"
    if feature.startswith("n_orders_"):
        w = window[feature.rsplit("_", 1)[1]]
        return f"{_plural(x, 'purchase')} in the last {w}" if high else \
            (f"no purchase in the last {w}" if x == 0 else f"only {_plural(x, 'purchase')} in the last {w}")
    if feature.startswith("revenue_"):
        w = window[feature.rsplit("_", 1)[1]]
        return f"spent {currency} {x:,.0f} in the last {w}".replace("  ", " ") if high else \
            f"spent only {currency} {x:,.0f} in the last {w}".replace("  ", " ")
    if feature == "order_trend":
        n90, prev = _num(row.get("n_orders_90")), _num(row.get("n_orders_prev_90"))
        detail = f" ({n90:,.0f} purchases in the last 90 days vs {prev:,.0f} in the 90 before)" \
            if not (math.isnan(n90) or math.isnan(prev)) else ""
        return ("buying more often than before" if high else "buying less often than before") + detail
    if feature == "aov_change":
        pct = (math.exp(x) - 1) * 100
        return f"baskets {abs(pct):.0f}% {'larger' if pct >= 0 else 'smaller'} than before"
    if feature == "mean_interpurchase_days":
        return f"usually buys only every {x:,.0f} days" if high else f"usually buys every {x:,.0f} days"
    if feature == "overdue_ratio":
        return f"{x:.1f} times their usual gap since the last purchase" if high else \
            "buying within their usual rhythm"
    if feature == "n_tickets_365":
        return f"{_plural(x, 'support ticket')} in the last year" if x else "no support ticket in the last year"
    if feature == "n_complaints":
        return f"{_plural(x, 'complaint')} on record" if x else "no complaint on record"
    if feature == "latest_nps":
        return f"latest NPS score {x:.0f}" + (" (detractor)" if x <= 6 else "")
    if feature == "discount_share":
        return f"{x * 100:.0f}% of last year's spend discounted"
    if feature == "refund_rate":
        return f"refunds on {x * 100:.0f}% of last year's purchases"
    if feature == "campaign_contacts_90":
        return f"{_plural(x, 'retention contact')} in the last 90 days" if x else \
            "no retention contact in the last 90 days"
    return f"{FEATURES[feature].label}: {x:,.2f}"  # pragma: no cover


#: A reason must raise the customer's log-odds by at least this much (about +10% odds).
MIN_REASON_LOGODDS: float = 0.1


def _top_reasons(logit: LogitChurnModel | None, X: pd.DataFrame, *, currency: str, k: int = 3) -> list[str]:
    """Top-``k`` risk-raising reasons per customer, from the logistic model's contributions.

    Only features whose effect is supported (a term with p < 0.05), whose
    direction in the model agrees with their direction on their own, whose
    value lies on the feature's ``risk_side`` (a reason must make sense read
    alone: a high NPS score is never one) and contributions of at least
    :data:`MIN_REASON_LOGODDS` count, so a feature that barely, or only by
    chance, moves the risk is never given as a reason.
    """
    if logit is None or X.empty:
        return [""] * len(X)
    C = logit.contributions(X)
    o = logit.odds_ratios()
    if o["p_value"].notna().any():  # only features with a supported effect (p < 0.05) give reasons
        keep = set(o.loc[o["p_value"] < 0.05, "feature"])
        C = C[[c for c in C.columns if c in keep]]
    coef = dict(zip(o["term"], o["coef"]))
    marg = getattr(logit, "marginal_corr_", {})
    C = C[[c for c in C.columns if c not in marg or coef.get(c, 0.0) * marg[c] > 0]]
    if C.shape[1] == 0:
        return [""] * len(X)
    vals = C.to_numpy()
    names = list(C.columns)
    order = np.argsort(-vals, axis=1)[:, : k + 3]
    d = logit.design_
    # per customer and feature: is the value above the mean, and may it be offered as a reason; one pass per
    # feature over every customer (no loop over customers)
    high = np.ones(vals.shape, dtype=bool)
    allowed = np.ones(vals.shape, dtype=bool)
    for j, f in enumerate(names):
        if f in d.means_:
            x = pd.to_numeric(X[f], errors="coerce").to_numpy(dtype=float) if f in X else np.full(len(X), np.nan)
            high[:, j] = np.where(np.isnan(x), d.medians_[f], x) >= d.means_[f]
            side = FEATURES[f].risk_side if f in FEATURES else None
            if side is not None:  # e.g. a high NPS score is never offered as a reason for risk
                allowed[:, j] = high[:, j] == (side == "high")
    cand = np.take_along_axis(vals, order, axis=1)
    # the candidates run from the largest contribution down and stop at the first one below the minimum
    ok = (np.cumsum(cand < MIN_REASON_LOGODDS, axis=1) == 0) & np.take_along_axis(allowed, order, axis=1)
    chosen = ok & (np.cumsum(ok, axis=1) <= k)
    rows_i, slot = np.nonzero(chosen)
    col = order[rows_i, slot]
    pairs = pd.DataFrame({"row": rows_i, "slot": slot, "feature": np.asarray(names, dtype=object)[col],
                          "high": high[rows_i, col]})
    pairs["phrase"] = ""
    for f, idx in pairs.groupby("feature", sort=False).groups.items():
        pairs.loc[idx, "phrase"] = _phrases(f, X, pairs.loc[idx], currency=currency)
    out = pd.Series([""] * len(X), dtype=object)
    for s_ in range(order.shape[1]):  # join the chosen phrases of each customer in order, "; "-separated
        part = pairs[pairs["slot"] == s_]
        if part.empty:
            continue
        cur = out.iloc[part["row"].to_numpy()].to_numpy()
        sep = np.where(cur != "", "; ", "")
        out.iloc[part["row"].to_numpy()] = cur + sep + part["phrase"].to_numpy(dtype=object)
    return out.tolist()


def _phrases(feature: str, X: pd.DataFrame, pairs: pd.DataFrame, *, currency: str) -> np.ndarray:
    """:func:`reason_phrase` of ``feature`` for the customers ``pairs.row`` of ``X``.

    The phrase depends only on the feature's value (and, for the order trend, the two purchase counts)
    and on ``high``: it is worded once per distinct combination and mapped back, not once per customer.
    """
    cols = [c for c in dict.fromkeys([feature] + (["n_orders_90", "n_orders_prev_90"] if feature == "order_trend"
                                                   else [])) if c in X.columns]
    keys = X.iloc[pairs["row"].to_numpy()][cols].reset_index(drop=True)
    keys["high"] = pairs["high"].to_numpy()
    return _per_distinct(keys, lambda rec: reason_phrase(feature, rec, high=bool(rec["high"]), currency=currency))


def _per_distinct(keys: pd.DataFrame, word: Any) -> np.ndarray:
    """``word(row)`` for every row of ``keys``, called once per distinct row and mapped back (in row order)."""
    distinct = keys.drop_duplicates()
    words = [word(rec) for rec in distinct.to_dict(orient="records")]
    lookup = distinct.assign(_word=words)
    return keys.merge(lookup, on=list(keys.columns), how="left")["_word"].to_numpy(dtype=object)


def _rule_reasons(X: pd.DataFrame) -> list[str]:
    def num(col: str) -> pd.Series:
        return pd.to_numeric(X[col], errors="coerce").astype(float) if col in X else pd.Series(np.nan, index=X.index)

    keys = pd.DataFrame({"r": num("recency_days").to_numpy(), "g": num("mean_interpurchase_days").to_numpy()})
    return _per_distinct(keys, lambda rec: (
        f"no purchase for {rec['r']:,.0f} days (only one purchase day so far)" if math.isnan(rec["g"]) else
        f"no purchase for {rec['r']:,.0f} days (usually every {rec['g']:,.0f} days)")).tolist()


@dataclass(frozen=True)
class EarlyWarning:
    """Risk of every active customer at the report month.

    Attributes
    ----------
    scores : DataFrame
        One row per active customer, sorted by value at risk (highest first):
        ``customer_id, probability`` (of churning within the horizon),
        ``tier`` (high / medium / low, thresholds ``drivers.tiers``),
        ``score`` (scorecard points, missing without a scorecard),
        ``reasons`` (top three, plain words, "; "-separated), ``value_at_risk``
        (probability x ``revenue_12m``), ``revenue_12m`` (net revenue of the last
        365 days), ``as_of`` (the cut-off) and ``horizon_days``.
    tiers : DataFrame
        ``tier, threshold, n_customers, share, mean_probability,
        expected_churners, revenue_12m, value_at_risk``, and the same tiers on the test customers
        (where the outcome is known; the predictions of the same ranking, fitted without them):
        ``test_n_customers, test_mean_probability, test_churn_rate`` (NaN without a test).
    tradeoff : DataFrame
        Per probability cut-off: ``threshold, n_flagged, share_flagged,
        expected_churners, expected_false_alarms, precision,
        share_of_churners_caught, value_at_risk_covered``, and the same
        targeting checked out of time: ``oot_precision, oot_recall``.
    scorecard : DataFrame
        :attr:`PointsScorecard.table_` with the factor ``label`` (empty without a scorecard).
    bands : DataFrame
        ``band, min_score, max_score, predicted_low, predicted_high, n_eval,
        observed_rate, meaning``: score bands matching the tiers, their predicted
        churn probability range and the churn rate observed out of time.
    as_of : date
    horizon_days : int
        0 for a snapshot (no horizon: the probability is that of being a
        churner in the table, see :func:`snapshot_drivers`).
    model : str
        The model behind the probabilities (``logit``, ``hgb`` or ``baseline``).
    notes : tuple of str
    design : str
        ``out_of_time`` (a unit with dated orders) or ``stratified_cv`` (a snapshot).
    rule_table : DataFrame
        When the baseline rule scores the customers: ``bin_order, bin, n_customers, churn_rate`` (its
        bands of days since the last purchase, or of how overdue, and their training churn rate); the
        hand-usable guide in place of the scorecard. Empty otherwise.
    rule_score : str
        What the rule's bands measure (``recency`` or ``overdue``); "" without a rule table.
    scorecard_notes : tuple of str
        Factors left out of the scorecard because their points ran against their churn rates.
    """

    scores: pd.DataFrame
    tiers: pd.DataFrame
    tradeoff: pd.DataFrame
    scorecard: pd.DataFrame
    bands: pd.DataFrame
    as_of: dt.date | None
    horizon_days: int
    model: str
    currency: str = ""
    tier_thresholds: tuple[float, float] = (0.5, 0.2)
    notes: tuple[str, ...] = ()
    design: str = "out_of_time"
    rule_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    rule_score: str = ""
    scorecard_notes: tuple[str, ...] = ()


def _rule_table(rule: Any) -> pd.DataFrame:
    """The baseline rule's bands and training churn rates (``bin_order, bin, n_customers, churn_rate``).

    Examples
    --------
    >>> from retention_utils.drivers.models import ChurnRule
    >>> X = pd.DataFrame({"recency_days": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    >>> r = ChurnRule(column="recency_days", n_bins=2, prior_weight=0).fit(X, [0, 0, 0, 1, 0, 1, 1, 1])
    >>> _rule_table(r).values.tolist()
    [[0, '0–4', 4, 0.25], [1, '5 or more', 4, 0.75]]
    """
    edges = getattr(rule, "edges_", None)
    if edges is None or not hasattr(rule, "rates_"):
        return pd.DataFrame(columns=["bin_order", "bin", "n_customers", "churn_rate"])
    score = getattr(rule, "score_", "recency")
    feature = "recency_days" if score == "recency" or getattr(rule, "column_", "") == "recency_days" else \
        "overdue_ratio"
    integer = feature == "recency_days"
    shown = np.ceil(edges) if integer else edges  # whole days: x >= 12.5 is x >= 13
    labels = _bin_labels(feature, np.asarray(shown, dtype=float), integer=integer, lowest=0.0)
    rows = [{"bin_order": k, "bin": lab, "n_customers": int(rule.counts_.get(float(k), rule.counts_.get(k, 0))),
             "churn_rate": float(rule.rates_.get(float(k), rule.rates_.get(k, rule.base_rate_)))}
            for k, lab in enumerate(labels)]
    if -1.0 in rule.rates_:
        rows.append({"bin_order": len(labels), "bin": "unknown", "n_customers": int(rule.counts_.get(-1.0, 0)),
                     "churn_rate": float(rule.rates_[-1.0])})
    return pd.DataFrame(rows, columns=["bin_order", "bin", "n_customers", "churn_rate"])


def _tiers(p: np.ndarray, high: float, medium: float) -> np.ndarray:
    return np.where(p >= high, "high", np.where(p >= medium, "medium", "low"))


def tradeoff_table(prob: Any, value: Any = None, *, thresholds: Sequence[float] | None = None,
                   oot_y: Any = None, oot_prob: Any = None) -> pd.DataFrame:
    """Targeting trade-off: for each probability cut-off, whom a campaign would reach.

    Parameters
    ----------
    prob
        Calibrated churn probabilities of the customers to target.
    value
        Their value at risk (optional).
    thresholds
        Probability cut-offs (default 0.05 to 0.9).
    oot_y, oot_prob
        Outcomes and probabilities of an out-of-time check (optional): the
        same cut-offs applied there give ``oot_precision`` and ``oot_recall``.

    Returns
    -------
    DataFrame
        ``threshold, n_flagged, share_flagged, expected_churners,
        expected_false_alarms, precision, share_of_churners_caught,
        value_at_risk_covered, oot_precision, oot_recall``.

    Examples
    --------
    >>> t = tradeoff_table([0.9, 0.6, 0.2, 0.1], thresholds=[0.5])
    >>> t[["n_flagged", "expected_churners", "expected_false_alarms"]].values.tolist()
    [[2.0, 1.5, 0.5]]
    """
    p = np.asarray(prob, dtype=float)
    v = np.zeros_like(p) if value is None else np.asarray(value, dtype=float)
    ths = sorted(set(thresholds if thresholds is not None else
                     (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)))
    total = p.sum()
    rows = []
    for t in ths:
        sel = p >= t
        n = float(sel.sum())
        caught = float(p[sel].sum())
        row = {"threshold": float(t), "n_flagged": n, "share_flagged": n / p.size if p.size else np.nan,
               "expected_churners": caught, "expected_false_alarms": n - caught,
               "precision": caught / n if n else np.nan, "share_of_churners_caught": caught / total if total else np.nan,
               "value_at_risk_covered": float(v[sel].sum()), "oot_precision": np.nan, "oot_recall": np.nan}
        if oot_y is not None and oot_prob is not None:
            yy, pp = np.asarray(oot_y, float), np.asarray(oot_prob, float)
            s2 = pp >= t
            row["oot_precision"] = float(yy[s2].mean()) if s2.any() else np.nan
            row["oot_recall"] = float(yy[s2].sum() / yy.sum()) if yy.sum() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _score_frame(data: Any, result: DriversResult, spec: Any) -> pd.DataFrame:
    attrs = [a for a in spec.attributes]
    return training_panel(data, [result.plan.score], horizon_days=None, attributes=attrs)


def early_warning(data: Any, result: DriversResult, spec: Any = None) -> EarlyWarning:
    """Score every customer active at the end of the report month.

    The probabilities come from the result's best model (refitted on the latest
    fully observed cut-offs); without a model (too few churners) from the
    overdue rule. Reasons come from the logistic model's contributions (the
    overdue rule's own wording without a model). For a snapshot result
    (:func:`snapshot_drivers`) the customers who have not churned are scored
    by the cross-validated models instead (no horizon, no out-of-time check).

    Parameters
    ----------
    data : UnitData
        The unit the result was fitted on.
    result : DriversResult
        :func:`~retention_utils.drivers.churn_drivers` or :func:`~retention_utils.drivers.snapshot_drivers`.
    spec : DriversSpec, optional
        The ``drivers`` params section (``tiers``, ``attributes``); default ``data.config.drivers``.

    Returns
    -------
    EarlyWarning
    """
    cfg = data.config
    spec = cfg.drivers if spec is None else spec
    if result.design == "stratified_cv":
        return _snapshot_warning(data, result, spec)
    high, medium = spec.tiers.high, spec.tiers.medium
    h = result.horizon_days
    cols = list(_WARNING_COLS)
    notes: list[str] = []
    if result.plan is None or not result.models:
        empty = pd.DataFrame(columns=cols)
        notes.append("No customer could be scored: the data is too short to learn churn probabilities.")
        return EarlyWarning(empty, _tier_summary(empty, high, medium), tradeoff_table([]), pd.DataFrame(),
                            pd.DataFrame(), result.plan.score if result.plan else None, h, "", cfg.currency,
                            (high, medium), tuple(notes))
    X = _score_frame(data, result, spec)
    feats = list(result.numeric) + list(result.categorical)
    models = result.models
    model = result.selected_model  # the best model when it beats the baseline rule, else the rule
    card = models.get("scorecard") if model in ("logit", "hgb") else None
    if model in ("logit", "hgb"):
        with _threads(len(X)):
            p = models[model].predict_proba(X[feats])[:, 1] if len(X) else np.empty(0)
        reasons = _top_reasons(models["logit"], X[feats + [c for c in AUX_COLUMNS if c in X]], currency=cfg.currency)
    else:
        p = models["baseline"].predict_proba(X)[:, 1] if len(X) else np.empty(0)
        reasons = _rule_reasons(X)
    score = card.score(X[list(card.factors)]).astype(float) if card is not None and len(X) else \
        np.full(len(X), np.nan)
    rev = X["net_revenue_365"].clip(lower=0).to_numpy(dtype=float) if len(X) else np.empty(0)
    scores = pd.DataFrame({
        "customer_id": X["customer_id"].astype(str).to_numpy() if len(X) else [],
        "probability": p, "tier": _tiers(p, high, medium), "score": score, "reasons": reasons,
        "value_at_risk": p * rev, "revenue_12m": rev, "as_of": result.plan.score, "horizon_days": h})
    scores = scores.sort_values(["value_at_risk", "probability", "customer_id"], ascending=[False, False, True])
    scores = scores.reset_index(drop=True)
    ev = result.eval_predictions
    oot = (ev["churned"], ev[f"p_{model}"]) if f"p_{model}" in ev else (None, None)
    extra = [x for x in (high, medium) if 0 < x < 1]
    trade = tradeoff_table(p, p * rev, thresholds=sorted(set([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
                                                 + extra)), oot_y=oot[0], oot_prob=oot[1])
    sc_table, bands, rule = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    if card is not None:
        sc_table = card.table_.assign(label=card.table_["factor"].map(feature_label))
        bands = _bands(card, models.get("scorecard_eval"), high, medium, h)
    if model == "baseline":
        rule = _rule_table(models["baseline"])
    sc_notes = tuple(getattr(card, "dropped_", ())) if card is not None else ()
    if model in ("logit", "hgb") and card is None and "logit" in models:
        sc_notes = ("No scorecard: every factor's points ran against its own churn rates once the others were "
                    "counted.",)
    return EarlyWarning(scores[cols], _tier_summary(scores, high, medium, oot), trade, sc_table, bands,
                        result.plan.score, h, model, cfg.currency, (high, medium), tuple(notes), rule_table=rule,
                        rule_score=getattr(models["baseline"], "score_", "") if len(rule) else "",
                        scorecard_notes=sc_notes)


_WARNING_COLS = ("customer_id", "probability", "tier", "score", "reasons", "value_at_risk", "revenue_12m", "as_of",
                 "horizon_days")


def _tier_summary(scores: pd.DataFrame, high: float, medium: float, test: tuple[Any, Any] = (None, None)
                  ) -> pd.DataFrame:
    rows = []
    n_all = len(scores)
    ty, tp = test
    t_tier = _tiers(np.asarray(tp, dtype=float), high, medium) if tp is not None else None
    for tier, thr in zip(TIER_ORDER, (f">= {high:.0%}", f"{medium:.0%} to < {high:.0%}", f"< {medium:.0%}")):
        s = scores[scores["tier"] == tier] if n_all else scores
        row = {"tier": tier, "threshold": thr, "n_customers": int(len(s)),
               "share": len(s) / n_all if n_all else np.nan,
               "mean_probability": float(s["probability"].mean()) if len(s) else np.nan,
               "expected_churners": float(s["probability"].sum()) if len(s) else 0.0,
               "revenue_12m": float(s["revenue_12m"].sum()) if len(s) else 0.0,
               "value_at_risk": float(s["value_at_risk"].sum()) if len(s) else 0.0,
               "test_n_customers": 0, "test_mean_probability": np.nan, "test_churn_rate": np.nan}
        if t_tier is not None:
            sel = t_tier == tier
            row["test_n_customers"] = int(sel.sum())
            if sel.any():
                row["test_mean_probability"] = float(np.asarray(tp, dtype=float)[sel].mean())
                row["test_churn_rate"] = float(np.asarray(ty, dtype=float)[sel].mean())
        rows.append(row)
    return pd.DataFrame(rows)


AT_RISK_FILE = "at_risk_customers.csv"
AT_RISK_MONEY = ("value_at_risk", "revenue_12m")
#: Name of the churn scores handed to the customer-value notebook (:func:`retention_utils.results.write_handoff`).
CHURN_SCORES = "churn_scores"
AT_RISK_RATES = ("probability",)


def write_at_risk_list(analysis_or_warning: Any, output_dir: str | Path | None) -> Path | None:
    """Write the CRM list ``at_risk_customers.csv`` into ``output_dir`` (nothing when it is empty).

    The file holds every scored active customer (all tiers, so that a later
    run can compare each tier with what happened), sorted by value at risk,
    with the columns of :attr:`EarlyWarning.scores`, through
    :func:`retention_utils.exports.write_csv`: text cells a spreadsheet would
    run as a formula (an id or a reason starting with ``=``, ``+``, ``-``,
    ``@``, tab or CR) get a leading apostrophe, money is rounded to cents and
    probabilities to 1e-6, so two identical runs write identical bytes.

    Parameters
    ----------
    analysis_or_warning : DriversAnalysis or EarlyWarning
        The analysis (its ``warning`` is written) or the early warning itself.
    output_dir : str or Path or None
        The unit's report folder (the runner passes it); empty: nothing is written.

    Returns
    -------
    Path or None
        The file written; None for an interactive run (``output_dir`` empty).
    """
    warning = getattr(analysis_or_warning, "warning", analysis_or_warning)  # a DriversAnalysis carries it
    if not output_dir:
        return None
    out = Path(output_dir)
    if not out.is_dir():
        raise ConfigError(f"output_dir {str(out)!r} is not a folder; the report runner passes the unit's report "
                          "folder, leave it empty in interactive runs.")
    write_handoff(warning.scores, CHURN_SCORES, out)  # for the customer-value notebook (value at risk)
    return write_csv(warning.scores, out / AT_RISK_FILE, money=AT_RISK_MONEY, rates=AT_RISK_RATES)


def _snapshot_warning(data: Any, result: DriversResult, spec: Any) -> EarlyWarning:
    """Early warning of a snapshot unit: the customers who have not churned, by their cross-validated probability.

    Each customer's probability comes from the models that did not see them
    (out-of-fold), so it is how much they resemble the table's churners, not a
    probability of churning within a horizon; there is no out-of-time check
    and no money (the table has no orders).
    """
    cfg = data.config
    high, medium = spec.tiers.high, spec.tiers.medium
    as_of = (getattr(data, "month_end", None) or None)
    as_of = as_of + dt.timedelta(days=1) if as_of is not None else None
    common = ("No out-of-time test: a one-row-per-customer table has no dates to learn from the past and check on "
              "the future. Each probability comes from cross-validated models that did not see the customer: it "
              "measures how much the customer resembles those who churned, not a dated forecast. The table has no "
              "amounts, so there is no value at risk.")
    empty = pd.DataFrame(columns=list(_WARNING_COLS))
    if not result.ok or not result.best_model:
        return EarlyWarning(empty, _tier_summary(empty, high, medium), tradeoff_table([]), pd.DataFrame(),
                            pd.DataFrame(), as_of, 0, "", cfg.currency, (high, medium),
                            ("No customer could be scored: too few churners to learn churn probabilities.",),
                            design="stratified_cv")
    df = _snapshot_frame(data)
    ev = result.eval_predictions
    stay = (ev["churned"].to_numpy(dtype=int) == 0)
    feats = list(result.numeric) + list(result.categorical)
    X, _, _, _ = _coerce_features(df[feats], max_levels=10**9)
    Xs = X.loc[stay, feats].reset_index(drop=True)
    model = result.selected_model
    p = ev.loc[stay, f"p_{model}"].to_numpy(dtype=float)
    reasons = (_top_reasons(result.models.get("logit"), Xs, currency=cfg.currency) if model != "baseline" else
               [""] * len(Xs)) if len(Xs) else []
    scores = pd.DataFrame({"customer_id": ev.loc[stay, "customer_id"].astype(str).to_numpy(), "probability": p,
                           "tier": _tiers(p, high, medium), "score": np.nan, "reasons": reasons,
                           "value_at_risk": np.nan, "revenue_12m": np.nan, "as_of": as_of, "horizon_days": 0})
    scores = scores.sort_values(["probability", "customer_id"], ascending=[False, True]).reset_index(drop=True)
    return EarlyWarning(scores[list(_WARNING_COLS)],
                        _tier_summary(scores, high, medium, (ev["churned"], ev[f"p_{model}"])),
                        tradeoff_table(p, thresholds=sorted({0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7,
                                                              0.8, 0.9} | {x for x in (high, medium) if 0 < x < 1})),
                        pd.DataFrame(), pd.DataFrame(), as_of, 0, model, cfg.currency, (high, medium),
                        (common,), design="stratified_cv")
