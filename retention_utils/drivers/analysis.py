"""The drivers analysis of a unit: :func:`churn_drivers` and the entry point :func:`drivers_analysis`.

:func:`churn_drivers` fits and checks the models out of time on a unit with dated orders
(a snapshot unit goes to :func:`~retention_utils.drivers.tables.snapshot_drivers`);
:func:`drivers_analysis` bundles it with the early warning and the closed loop into one
:class:`DriversAnalysis` (the analysis contract: ``notes`` frame, ``summary_frame()``,
``_repr_html_``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..engine.features import FEATURES, check_attributes
from ..results import AnalysisResult, notes_frame, summary_rows
from ..stats import wilson_interval
from ._text import fmt_day as _fmt_day
from ._text import money_short, share
from .closed_loop import ClosedLoop, closed_loop
from .fitting import (
    _choose_best,
    _evaluate,
    _fit_all,
    _importance_frame,
    _partial_dependence,
    _permutation_importance,
    stratified_sample,
    _predict,
    _reason_counts,
)
from .labels import CutoffPlan, plan_cutoffs, training_panel
from .leakage import (
    LEAKAGE_AUC,
    _apply_leakage_guard,
    _check_exclude,
    _check_reference_levels,
    _exclude_notes,
    _usable_numeric,
    leakage_guard,
)
from .models import OverdueRule
from .result import _EMPTY, DriversResult, _empty, feature_label
from .scorecard import _pick_factors, monotone_scorecard
from .tables import snapshot_drivers
from .warning import EarlyWarning, early_warning

__all__ = ["drivers_analysis", "DriversAnalysis", "churn_drivers"]


def _reasons_unit(data: Any) -> pd.DataFrame:
    c = data.customers
    if "churn_date" not in c.columns or not ({"churn_reason", "churn_type"} & set(c.columns)):
        return _empty(_EMPTY["reasons"])
    since = data.month_end - dt.timedelta(days=365)
    sel = c.filter(c.churn_date.notnull() & (c.churn_date > since) & (c.churn_date <= data.month_end))
    cols = [x for x in ("churn_type", "churn_reason") if x in c.columns]
    df = sel.select(*cols).to_pandas()
    return _reason_counts(df, cols)


def _counts_row(name: str, cutoffs: Sequence[dt.date], y: np.ndarray) -> dict[str, Any]:
    return {"set": name, "cutoffs": ", ".join(pd.Timestamp(c).strftime("%Y-%m-%d") for c in cutoffs),
            "n_customers": int(y.size), "n_churned": int(y.sum()),
            "churn_rate": float(y.mean()) if y.size else np.nan}


def churn_drivers(data: Any, spec: Any = None, *, seed: int = 0, min_churners: int = 50, min_eval_churners: int = 20,
                  max_train_rows: int = 100_000, leakage_auc: float = LEAKAGE_AUC, exclude_leaks: bool = True,
                  n_repeats: int = 5, importance_rows: int = 10_000) -> DriversResult:
    """Churn models, out-of-time validation and drivers of one unit.

    Parameters
    ----------
    data : UnitData
        The unit.
    spec : DriversSpec, optional
        The analysis's params section (``drivers``: ``horizon_days``, ``n_cutoffs``, ``attributes``,
        ``exclude``, ``reference_levels``, ``tiers``); default ``data.config.drivers``.
    seed : int
        Seed of every random step (sampling, boosting, permutations).
    min_churners, min_eval_churners : int
        Fewest churners in the training / evaluation cut-offs to fit and check
        models; below, the result has status ``too_few_churners`` and only the
        baseline rule (for the early warning), with a note.
    max_train_rows : int
        Training rows are sampled down to this many, within each cut-off and outcome (noted). On the
        1M-customer demo (1.06M training rows) 100,000 rows gave an out-of-time ROC AUC within 0.0015
        of all rows for both models, at 1/60 of the fit time (``benchmarks/bench_drivers_sampling.py``,
        results in ``benchmarks/results/``).
    leakage_auc, exclude_leaks
        The leakage guard's threshold, and whether flagged features are left out
        (checked on at most 200,000 training rows).
    n_repeats, importance_rows
        Permutation importance repeats, on at most this many evaluation rows.

    Returns
    -------
    DriversResult
        For a snapshot unit (``data.kind == "snapshot"``) the result of
        :func:`snapshot_drivers` (stratified cross-validation).

    Raises
    ------
    ConfigError
        ``drivers.attributes`` names a churn field or a column that is not loaded;
        ``drivers.exclude`` names an unknown feature; ``drivers.reference_levels``
        names a column that is not a categorical driver or a level absent from the data.
    """
    if getattr(data, "kind", "orders") == "snapshot":  # one row per customer: cross-validated instead
        return snapshot_drivers(data, spec, seed=seed)
    cfg = data.config
    spec = cfg.drivers if spec is None else spec
    ch = cfg.churn
    h = int(spec.horizon_days)
    attributes = check_attributes(data.customers, spec.attributes)
    exclude = set(_check_exclude(spec.exclude, list(FEATURES) + attributes))
    history = max(90, ch.inactivity_days) if ch.method == "inactivity" else 90
    plan = plan_cutoffs(month_end=data.month_end, data_start=data.data_start, horizon_days=h,
                        n_cutoffs=spec.n_cutoffs, min_history_days=history)
    reasons = _reasons_unit(data)
    empty = {k: _empty(v) for k, v in _EMPTY.items()}
    if plan.evaluate is None:
        note = (f"The data (from {data.data_start:%d %b %Y} to {data.month_end:%d %b %Y}) is too short for a "
                f"churn model: it needs {history} days of history before a cut-off plus the {h}-day horizon after "
                "it. No model was fitted.")
        return DriversResult(status="no_cutoffs", design="out_of_time", validation="", notes=(note,),
                             horizon_days=h, plan=plan, **{**empty, "reasons": reasons})
    panel = training_panel(data, plan.all_labelled(), horizon_days=h, attributes=attributes)
    refs = _check_reference_levels(spec.reference_levels, panel, [a for a in attributes if a not in exclude])
    numeric = [c for c in FEATURES if c in panel.columns and c not in exclude]
    cut = panel["cutoff"].dt.date
    in_train, in_final = cut.isin(plan.train).to_numpy(), cut.isin(plan.final).to_numpy()
    evald = panel[(cut == plan.evaluate).to_numpy()]
    y_all = panel["churned"].to_numpy(dtype=int)
    yt, ye, yf = y_all[in_train], evald["churned"].to_numpy(dtype=int), y_all[in_final]
    # the models learn from samples of the training and final cut-offs (the whole panel is not kept),
    # stratified by cut-off and outcome: the sample has the panel's churn rate and mix of cut-offs exactly
    rng = np.random.default_rng(seed)
    strata = pd.factorize(panel["cutoff"])[0] * 2 + y_all

    def rows(frame: pd.DataFrame, mask: np.ndarray, n: int) -> pd.DataFrame:
        idx = np.flatnonzero(mask)
        if idx.size > n:
            idx = idx[stratified_sample(strata[idx], n, rng)]
        return frame.iloc[idx]

    n_train = int(in_train.sum())
    tr, fin = rows(panel, in_train, max_train_rows), rows(panel, in_final, max_train_rows)
    guard_rows = rows(panel, in_train, min(max_train_rows, 200_000))
    del panel
    counts = pd.DataFrame([_counts_row("train", plan.train, yt), _counts_row("evaluate", [plan.evaluate], ye),
                           _counts_row("final", plan.final, yf)], columns=_EMPTY["counts"])
    notes: list[str] = []
    baseline = OverdueRule()
    # a model needs both outcomes: churners and customers who stayed (a unit of one-time buyers under
    # inactivity churn can have no stayer at all among its training rows)
    stay_t, stay_e = len(yt) - int(yt.sum()), len(ye) - int(ye.sum())
    too_few_stayers = len(plan.train) > 0 and (stay_t < min_churners or stay_e < min_eval_churners)
    if yt.sum() < min_churners or ye.sum() < min_eval_churners or len(plan.train) == 0 or too_few_stayers:
        fit_on = fin if len(fin) else evald
        models = {"baseline": baseline.fit(fit_on, fit_on["churned"].to_numpy(dtype=int))} if len(fit_on) else {}
        if not len(plan.train):
            why = "no training cut-off precedes the evaluation cut-off (the data is too short)"
        elif yt.sum() < min_churners or ye.sum() < min_eval_churners:
            why = (f"only {int(yt.sum())} churners in the training cut-offs and {int(ye.sum())} in the evaluation "
                   f"cut-off (at least {min_churners} and {min_eval_churners} are needed)")
        else:
            why = (f"only {stay_t} customers who stayed in the training cut-offs and {stay_e} in the evaluation "
                   f"cut-off (at least {min_churners} and {min_eval_churners} are needed: nearly every customer "
                   "churned, so there is nothing to tell churners apart from)")
        rule = models["baseline"].describe() if models else "no rule (no customer to learn from)"
        lead = "Too few customers who stayed" if too_few_stayers and yt.sum() >= min_churners and \
            ye.sum() >= min_eval_churners else "Too few churners"
        notes.append(f"{lead} to fit and check a churn model: {why}. The at-risk list below uses the "
                     f"baseline rule instead: {rule}, as the probability; treat it as a rough guide.")
        notes += _exclude_notes(sorted(exclude), feature_label)
        return DriversResult(status="too_few_churners", design="out_of_time", validation="",
                             notes=tuple(notes), horizon_days=h, plan=plan,
                             **{**empty, "counts": counts, "reasons": reasons}, models=models,
                             baseline_rule=models["baseline"].describe() if models else "")
    numeric = _usable_numeric(tr, numeric)
    categorical = [a for a in attributes if a not in exclude and tr[a].nunique() > 1]
    leak = leakage_guard(guard_rows[numeric + categorical], guard_rows["churned"].to_numpy(dtype=int),
                         threshold=leakage_auc, labels={c: feature_label(c) for c in numeric + categorical}, seed=seed)
    flagged, numeric, categorical = _apply_leakage_guard(leak, numeric, categorical, notes=notes,
                                                         exclude_leaks=exclude_leaks, name=feature_label)
    notes += _exclude_notes(sorted(exclude), feature_label)
    feats = numeric + categorical
    if n_train > max_train_rows:
        notes.append(f"The models learnt from a random sample of {max_train_rows:,} of the {n_train:,} training "
                     "rows, drawn within each cut-off and outcome: on a million-customer test unit, learning from "
                     "every row raised the out-of-time ROC AUC by less than 0.002.")
    ytr = tr["churned"].to_numpy(dtype=int)
    models_v = _fit_all(tr, ytr, numeric, categorical, seed=seed, groups=tr["customer_id"].to_numpy(),
                        baseline=baseline, reference_levels=refs)
    preds = _predict(models_v, evald, feats)
    metrics, calibration, gains = _evaluate(ye, preds)
    best, beats = _choose_best(metrics)
    if models_v["logit"].penalized_:
        notes.append("The logistic regression needed a light penalty (some feature separates churners perfectly "
                     "in training); its odds ratios have no intervals.")
    if len(evald) > importance_rows:
        notes.append(f"Permutation importance was measured on a random {importance_rows:,} of the {len(evald):,} "
                     "test customers.")
    imp_parts = {m: [_permutation_importance(models_v[m], evald[feats], ye, n_repeats=n_repeats, seed=seed,
                                             max_rows=importance_rows)] for m in ("logit", "hgb")}
    importance = _importance_frame(imp_parts)
    orat = models_v["logit"].odds_ratios()
    orat["label"] = orat["feature"].map(feature_label)
    top = importance[importance["model"] == best].sort_values("rank")["feature"].head(4).tolist()
    pdp = _partial_dependence(models_v[best], evald[feats], top, categorical, seed=seed)
    pdp["label"] = pdp["feature"].map(feature_label)
    factors = _pick_factors(models_v["logit"], tr[feats])
    card = monotone_scorecard(factors, categorical, tr, ytr, label=feature_label)
    # the scoring models: same recipe, the latest fully observed cut-offs
    models = _fit_all(fin, fin["churned"].to_numpy(dtype=int), numeric, categorical, seed=seed,
                      groups=fin["customer_id"].to_numpy(), baseline=baseline, reference_levels=refs)
    if card is not None:
        models["scorecard"] = card
        models["scorecard_eval"] = pd.DataFrame({"score": card.score(evald[list(card.factors)]), "churned": ye})
    ev = pd.DataFrame({"customer_id": evald["customer_id"].to_numpy(), "churned": ye,
                       **{f"p_{k}": v for k, v in preds.items()}})
    return DriversResult(
        status="ok", design="out_of_time", validation=_validation_text(plan, h), notes=tuple(notes),
        horizon_days=h, plan=plan, counts=counts, metrics=metrics, calibration=calibration, gains=gains,
        importance=importance[_EMPTY["importance"]], odds_ratios=orat[_EMPTY["odds_ratios"]],
        partial_dependence=pdp[_EMPTY["partial_dependence"]], leakage=leak[_EMPTY["leakage"]], reasons=reasons,
        best_model=best, beats_baseline=beats, numeric=tuple(numeric), categorical=tuple(categorical),
        models=models, eval_predictions=ev, baseline_rule=models_v["baseline"].describe())


def _validation_text(plan: CutoffPlan, h: int) -> str:
    if not plan.train:
        return ""
    return (f"Out of time: the models learnt from the customers active on the first day of each month from "
            f"{_fmt_day(plan.train[0])} to {_fmt_day(plan.train[-1])} (whether they churned within the next {h} "
            f"days, all known before {_fmt_day(plan.evaluate)}), and were tested on the customers active on "
            f"{_fmt_day(plan.evaluate)}, followed for {h} days: customers and a period the models never saw. "
            f"The models that score the report month were refitted the same way on the cut-offs "
            f"{_fmt_day(plan.final[0])} to {_fmt_day(plan.final[-1])}.")


# ============================================================================ the analysis contract

#: Sections of :attr:`DriversAnalysis.notes`: the model, the early warning, the closed loop.
NOTE_SECTIONS = ("drivers", "early_warning", "closed_loop")

# a note's subject from how it starts (notes are plain sentences written where the numbers are made)
_SUBJECTS = (("Suspected leakage", "suspected leakage"), ("Leakage guard", "leakage guard"),
             ("Left out of the models", "drivers.exclude"), ("Left out of the logistic", "collinear features"),
             ("Too few", "no model"), ("The data (from", "no model"), ("The models learnt from a random", "sample"),
             ("Permutation importance", "sample"), ("The logistic regression needed", "penalized fit"),
             ("Column ", "input columns"), ("No out-of-time test", "snapshot"), ("No customer could", "no scores"),
             ("Only ", "partly observed"), ("No campaigns table", "campaign reach"),
             ("No check of an earlier list", "snapshot"), ("No earlier at-risk list", "no earlier list"),
             ("The earlier at-risk lists are empty", "no earlier list"), ("The list of ", "no earlier list"))


def _subject(note: str) -> str:
    if "listed customers are no longer in the data" in note:
        return "customers not found"
    return next((subject for start, subject in _SUBJECTS if note.startswith(start)), "")


@dataclass(frozen=True)
class DriversAnalysis(AnalysisResult):
    """The churn-drivers analysis of one unit: the models, the early warning and the closed loop.

    Attributes
    ----------
    drivers : DriversResult
        The models, their out-of-sample quality and the drivers (:func:`churn_drivers` or
        :func:`~retention_utils.drivers.tables.snapshot_drivers`).
    warning : EarlyWarning
        Risk, tier and reasons of every active customer (:func:`~retention_utils.drivers.warning.early_warning`).
    loop : ClosedLoop
        The latest earlier at-risk list against what happened
        (:func:`~retention_utils.drivers.closed_loop.closed_loop`).
    notes : DataFrame
        ``section`` (``drivers``, ``early_warning``, ``closed_loop``), ``subject``, ``note``: the
        notes of the three parts, in that order.
    unit, currency : str
    has_amounts : bool
        False when the export has no amounts (no value at risk).
    horizon_days : int
        ``drivers.horizon_days``: the label's horizon (a snapshot has none; see ``drivers.design``).
    tier_thresholds : tuple of float
        ``drivers.tiers`` (high, medium).
    churn_method : str
        ``churn.method`` (``inactivity`` or ``explicit``).
    inactivity_days : int
        ``churn.inactivity_days``.
    top_n : int
        ``drivers.top_n``: rows of the at-risk list a page shows.
    show_customer_ids : bool
        ``show_customer_ids``: pages show ids unmasked only when True.
    month : date or None
        The report month (its first day).
    n_customers_end, n_active_end, n_dormant_end : int or None
        The customers at the end of the report month, and the active and dormant ones among them, from
        the monthly KPI table (:func:`retention_utils.kpis.monthly_kpis`, shared through ``data.cache``):
        the population the customers scored reconcile with. None for a snapshot unit.
    min_churners : int
        The fewest churners in the training months a churn model needs.
    """

    drivers: DriversResult
    warning: EarlyWarning
    loop: ClosedLoop
    notes: pd.DataFrame
    unit: str = ""
    currency: str = ""
    has_amounts: bool = True
    horizon_days: int = 0
    tier_thresholds: tuple[float, float] = (0.5, 0.2)
    churn_method: str = "inactivity"
    inactivity_days: int = 0
    top_n: int = 25
    show_customer_ids: bool = False
    month: Any = None
    n_customers_end: int | None = None
    n_active_end: int | None = None
    n_dormant_end: int | None = None
    min_churners: int = 50

    _display: ClassVar[str] = "retention_utils.display.drivers"

    def summary_frame(self) -> pd.DataFrame:
        """Headline numbers as long rows (:data:`~retention_utils.results.SUMMARY_COLUMNS`).

        Returns
        -------
        DataFrame
            ``analysis`` ``drivers``; metrics, when they exist:

            * ``roc_auc``: the best model's test ROC AUC (unit ``auc``; no interval is estimated), once
              alone and once ``compared_to`` ``baseline rule`` (``delta``: the difference);
              ``baseline_roc_auc``; ``capture_top20`` (share of the test churners among the riskiest 20%);
            * ``churn_base_rate``: churn rate of the test customers (the evaluation cut-off, or the
              whole table of a snapshot) with its Wilson 95% interval;
            * ``n_customers_scored`` and per tier (``high``, ``medium``, ``low``):
              ``n_customers_<tier>_tier``, ``expected_churners_<tier>_tier`` (customers) and, with
              amounts, ``value_at_risk_<tier>_tier`` (the currency code);
            * per tier of the earlier list checked by the closed loop (customers listed):
              ``realized_churn_rate_<tier>_tier`` with its Wilson 95% interval, ``compared_to``
              ``predicted`` (``delta``: realized minus predicted rate).
        """
        d, w, loop = self.drivers, self.warning, self.loop
        rows: list[dict[str, Any]] = []
        test = "out-of-time test" if d.design == "out_of_time" else "cross-validation"
        if d.ok and d.best_model:
            auc, base = d.metric(d.best_model, "roc_auc"), d.metric("baseline", "roc_auc")
            label = f"ROC AUC of the best model ({d.best_model}), {test}"
            rows.append({"metric": "roc_auc", "label": label, "value": auc, "unit": "auc", "higher_is_better": True})
            rows.append({"metric": "roc_auc", "label": label, "value": auc, "unit": "auc", "higher_is_better": True,
                         "compared_to": "baseline rule", "delta": auc - base})
            rows.append({"metric": "baseline_roc_auc", "label": f"ROC AUC of the baseline rule, {test}",
                         "value": base, "unit": "auc", "higher_is_better": True})
            rows.append({"metric": "capture_top20", "label": "Share of the churners among the riskiest 20%",
                         "value": d.metric(d.best_model, "capture_top20"), "unit": "share", "higher_is_better": True})
        test_set = d.counts[d.counts["set"].isin(["evaluate", "all"])] if len(d.counts) else d.counts
        if len(test_set):
            r = test_set.iloc[0]
            lo, hi = wilson_interval(np.array([r["n_churned"]], dtype=float), np.array([r["n_customers"]], dtype=float))
            label = (f"Churn within {d.horizon_days} days of the test customers" if d.design == "out_of_time"
                     else "Churners in the table")
            rows.append({"metric": "churn_base_rate", "label": label, "value": r["churn_rate"], "unit": "share",
                         "ci_lower": lo[0], "ci_upper": hi[0], "higher_is_better": False})
        if len(w.scores):
            money = self.has_amounts and w.design != "stratified_cv"
            rows.append({"metric": "n_customers_scored", "label": "Customers scored", "value": len(w.scores),
                         "unit": "customers"})
            for t in w.tiers.itertuples():
                rows.append({"metric": f"n_customers_{t.tier}_tier", "label": f"Customers at {t.tier} risk",
                             "value": t.n_customers, "unit": "customers", "higher_is_better": False})
                rows.append({"metric": f"expected_churners_{t.tier}_tier",
                             "label": f"Expected churners among the customers at {t.tier} risk",
                             "value": t.expected_churners, "unit": "customers", "higher_is_better": False})
                if money:
                    rows.append({"metric": f"value_at_risk_{t.tier}_tier",
                                 "label": f"Expected revenue loss of the customers at {t.tier} risk (chance of "
                                          "leaving x last 12 months' revenue)",
                                 "value": t.value_at_risk, "unit": self.currency, "higher_is_better": False})
        if len(w.scores) and self.has_amounts and w.design != "stratified_cv" and len(w.tiers):
            hi = w.tiers.set_index("tier").loc["high"]
            rows.append({"metric": "revenue_at_risk", "label": "Revenue at risk (last 12 months' net revenue of the "
                         "customers at high risk)", "value": hi["revenue_12m"], "unit": self.currency,
                         "higher_is_better": False})
        rows.append({"metric": "headline", "label": self.headline_sentence(), "value": np.nan, "unit": "sentence"})
        if loop.status != "none":
            so_far = " so far" if loop.status == "partial" else ""
            for t in loop.by_tier.itertuples():
                if not t.n_customers:
                    continue
                rows.append({"metric": f"realized_churn_rate_{t.tier}_tier",
                             "label": f"Churn{so_far} of the {t.tier}-risk customers of the {loop.source_month} list",
                             "value": t.realized_rate, "unit": "share", "ci_lower": t.ci_lower,
                             "ci_upper": t.ci_upper, "compared_to": "predicted",
                             "delta": t.realized_rate - t.predicted_rate})
        return summary_rows(rows, analysis="drivers")

    def headline_sentence(self) -> str:
        """The one plain sentence an executive should read from this analysis: who is at risk and what to do.

        For a unit without a model, or where no ranking beats chance by enough, what is missing instead.
        """
        d, w, h = self.drivers, self.warning, self.horizon_days
        if not d.ok:
            if d.status == "no_cutoffs" or not len(d.counts):
                return ("Who will leave cannot be predicted yet: the data is too short to follow customers over a "
                        f"{h}-day horizon; no customer is flagged as at risk.")
            tr = d.counts.set_index("set")
            n = int(tr.loc["train", "n_churned"]) if "train" in tr.index else 0
            n_ev = int(tr.loc["evaluate", "n_churned"]) if "evaluate" in tr.index else 0
            if n >= self.min_churners and n_ev < 20:
                return ("Who will leave cannot be predicted yet: a churn model needs at least 20 customers who left in "
                        f"the latest month it is checked on and there were {n_ev} ({20 - n_ev} more needed); no "
                        "customer is flagged as at risk.")
            if n >= self.min_churners:
                return ("Who will leave cannot be predicted yet: too few customers stayed to tell leavers apart; no "
                        "customer is flagged as at risk.")
            return (f"Who will leave cannot be predicted yet: a churn model needs at least {self.min_churners} "
                    f"customers who left to learn from and there were {n} ({self.min_churners - n} more needed); "
                    "no customer is flagged as at risk.")
        if d.weak_ranking:
            return (f"Who will leave cannot be predicted reliably from this data: the riskiest 20% of customers by "
                    f"the best ranking held {d.selection_value:.0%} of those who left (a random 20% holds 20%), so no "
                    "customer is singled out; act on the churn drivers instead.")
        t = w.tiers.set_index("tier")
        n_all, n_hi, n_med = int(t["n_customers"].sum()), int(t.loc["high", "n_customers"]), \
            int(t.loc["medium", "n_customers"])
        rule_by = "days since their last purchase" if getattr(d.models.get("baseline"), "score_", "") == "recency" \
            else "how overdue they are"
        how = (f"ranked by {rule_by}: this simple rule reached more leavers than the churn models"
               if w.model == "baseline" else "ranked by the churn model")
        if n_hi:
            money = (f", with {money_short(t.loc['high', 'revenue_12m'], self.currency)} of revenue at risk"
                     if self.has_amounts and w.design != "stratified_cv" else "")
            return (f"{n_hi:,} of the {n_all:,} customers scored ({share(n_hi, n_all)}) are at high risk of leaving "
                    f"within {h} days{money}: contact them first, highest value first ({how}).")
        return (f"Not one of the {n_all:,} customers scored is at high risk of leaving within {h} days; {n_med:,} are at "
                f"medium risk: include them in the regular retention campaign ({how}).")

    def section_notes(self, section: str) -> list[str]:
        """The notes of one section (``drivers``, ``early_warning``, ``closed_loop``) as sentences."""
        n = self.notes
        return n.loc[n["section"] == section, "note"].tolist()


def drivers_analysis(data: Any, spec: Any = None, *, reports_dir: Any = "", seed: int = 0) -> DriversAnalysis:
    """The churn-drivers analysis of a unit: models and drivers, early warning, closed loop.

    Parameters
    ----------
    data : UnitData
        The validated unit. A snapshot unit (``data.kind == "snapshot"``, one row per customer
        with a churn flag) is cross-validated (:func:`~retention_utils.drivers.tables.snapshot_drivers`),
        a unit with dated orders checked out of time (:func:`churn_drivers`).
    spec : DriversSpec, optional
        The ``drivers`` params section; default ``data.config.drivers``.
    reports_dir : str or Path
        The reports root holding earlier months, for the closed-loop check; empty: no check.
    seed : int
        Seed of every random step.

    Returns
    -------
    DriversAnalysis
        The at-risk list is written separately (:func:`~retention_utils.drivers.warning.write_at_risk_list`).

    Raises
    ------
    ConfigError
        As :func:`churn_drivers` and :func:`~retention_utils.drivers.tables.snapshot_drivers`.
    """
    cfg = data.config
    spec = cfg.drivers if spec is None else spec
    if getattr(data, "kind", "orders") == "snapshot":
        result = snapshot_drivers(data, spec, seed=seed)
    else:
        result = churn_drivers(data, spec, seed=seed)
    warning = early_warning(data, result, spec)
    ends: dict[str, int | None] = {"n_customers_end": None, "n_active_end": None, "n_dormant_end": None}
    if getattr(data, "kind", "orders") != "snapshot":
        from ..kpis import monthly_kpis  # the shared monthly table (data.cache): the month-end population

        k = monthly_kpis(data)
        row = k[k["month"] == pd.Timestamp(data.month)]
        if len(row):
            r = row.iloc[-1]
            ends = {"n_customers_end": int(r["n_active_end"] + r["n_dormant_end"]),
                    "n_active_end": int(r["n_active_end"]), "n_dormant_end": int(r["n_dormant_end"])}
    loop = closed_loop(data, spec, reports_dir=reports_dir)
    notes = notes_frame([(section, _subject(n), n) for section, part in zip(NOTE_SECTIONS, (result, warning, loop))
                         for n in part.notes])
    return DriversAnalysis(
        drivers=result, warning=warning, loop=loop, notes=notes, unit=str(getattr(cfg, "unit", "")),
        currency=cfg.currency, has_amounts=bool(getattr(data, "has_amounts", True)),
        horizon_days=int(spec.horizon_days), tier_thresholds=(spec.tiers.high, spec.tiers.medium),
        churn_method=cfg.churn.method, inactivity_days=int(cfg.churn.inactivity_days), top_n=int(spec.top_n),
        show_customer_ids=bool(getattr(cfg, "show_customer_ids", False)),
        month=getattr(data, "month", None), **ends)
