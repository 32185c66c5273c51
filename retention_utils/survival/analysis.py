"""The survival analysis of one unit: every model, run as the unit's params say, and its headline rows.

:func:`survival_analysis` is the entry point (``survival_analysis(data, spec) -> SurvivalAnalysis``,
the contract of :mod:`retention_utils.results`); it reads an order history or, for a snapshot unit
(``data.kind == "snapshot"``), the one-row-per-customer table. Presentation lives in
:mod:`retention_utils.display.survival` and :mod:`retention_utils.plots.survival`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..config import SurvivalSpec
from ..contract import UnitData
from ..errors import ConfigError
from ..results import AnalysisResult, notes_frame, summary_rows
from ..samples import NEEDS, groups_shortfall, shortfall
from ..vocabulary import name as vocab_name
from .base import (
    ALL,
    DERIVED_FEATURES,
    EVENTS_PER_TERM,
    MIN_EVENTS,
    SENSITIVITY_DAYS,
    TIMES,
    _available,
    _note,
)
from .competing import CompetingRisks, competing_risks
from .cox import CoxResult, _design, _empty_cox, cox_hazard_ratios
from .hazard import hazard_by_tenure
from .inputs import Lifetimes, add_early_features, lifetimes, snapshot_lifetimes
from .kaplan_meier import KaplanMeier, kaplan_meier
from .logrank import LogRank, _empty_logrank, logrank
from .rmst import RMST, rmst
from .sensitivity import inactivity_sensitivity

__all__ = ["SurvivalAnalysis", "survival_analysis", "snapshot_survival", "still_customers_name", "cohort_buying_name",
           "trait_words"]

#: Months of the "still customers" headline row of :meth:`SurvivalAnalysis.summary_frame`.
SUMMARY_MONTHS = 12


def still_customers_name(months: int = SUMMARY_MONTHS) -> str:
    """The vocabulary's name of the survival page's share (``still_customers``) at ``months``.

    Examples
    --------
    >>> still_customers_name(12)
    'still customers after 12 months'
    """
    return vocab_name("still_customers").replace(" k ", f" {months:g} ")


def cohort_buying_name(months: int = SUMMARY_MONTHS) -> str:
    """The vocabulary's name of the cohort page's share (``cohort_buying``) at ``months``.

    Examples
    --------
    >>> cohort_buying_name(12)
    'share of a cohort buying in month 12'
    """
    return vocab_name("cohort_buying").replace(" k", f" {months:g}")


@dataclass(frozen=True)
class SurvivalAnalysis(AnalysisResult):
    """Every survival result of one unit (see :func:`survival_analysis`).

    Attributes
    ----------
    unit, label, month, method, rule : str
        Unit name, display name, report month (YYYY-MM), churn method (``inactivity``,
        ``explicit`` or ``snapshot``) and its plain-language rule.
    spec : SurvivalSpec
        The settings used.
    life : Lifetimes
        Lifetimes with the early-life features.
    km_all, km : KaplanMeier
        All customers; by ``spec.group_by`` (same as ``km_all`` without one).
    logrank : LogRank
        Empty tables and a note saying why when there is nothing to compare.
    hazard : DataFrame
        :func:`~retention_utils.survival.hazard_by_tenure` of all customers (empty when too few events).
    cox : CoxResult
    rmst : RMST
        By group (all customers without a grouping).
    competing : CompetingRisks or None
        Explicit churn and snapshots with churn types only.
    sensitivity : DataFrame or None
        Inactivity churn only.
    notes : DataFrame
        ``section, subject, note``: every note of the analysis.
    too_few_events : bool
        Fewer than :data:`~retention_utils.survival.MIN_EVENTS` churn events.
    min_customers : int
    """

    _display: ClassVar[str] = "retention_utils.display.survival"

    unit: str
    label: str
    month: str
    method: str
    rule: str
    spec: SurvivalSpec
    life: Lifetimes
    km_all: KaplanMeier
    km: KaplanMeier
    logrank: LogRank | None
    hazard: pd.DataFrame
    cox: CoxResult
    rmst: RMST
    competing: CompetingRisks | None
    sensitivity: pd.DataFrame | None
    notes: pd.DataFrame
    too_few_events: bool
    min_customers: int
    #: The cohort page's share at month :data:`SUMMARY_MONTHS` (one row: ``period, definition, n_customers,
    #: n_retained, share``), for the note that reconciles the two pages; empty for snapshot units or when
    #: no cohort is old enough.
    cohort_compare: pd.DataFrame | None = None

    @property
    def n_customers(self) -> int:
        """Customer lives followed (the vocabulary's ``customer_lives``)."""
        return len(self.life.table)

    @property
    def n_events(self) -> int:
        return int(self.life.table["event"].sum())

    # ------------------------------------------------------------------ the small-sample rule, per section

    def lifetimes_shortfall(self) -> str | None:
        """The sentence replacing the lifetime estimates (curve, medians, shares, averages), or None.

        They need ``min_customers`` customer lives and :data:`MIN_EVENTS` churn events.
        """
        lives = vocab_name("customer_lives")
        # "customer lives", not the population's name: "30 customer lives followed" would be a second number
        # under the one name of this page's population (the vocabulary's rule)
        return (shortfall(self.n_customers, self.min_customers, what="an estimate of how long customers stay",
                          counted="customer lives")
                or shortfall(self.n_events, MIN_EVENTS, what="an estimate of how long customers stay",
                             counted="churn events", where=f"among the {self.n_customers:,} {lives}"))

    def groups_shortfall(self) -> str | None:
        """Why customers are not compared by ``spec.group_by`` (None when they are)."""
        gb = self.spec.group_by
        if not gb:
            return None
        if len(self.km.groups) >= 2 and self.km.group_by == gb:
            return None
        sizes = self.life.table[gb].value_counts(dropna=False).to_list() if gb in self.life.table else []
        return groups_shortfall(sizes, self.min_customers, what=f"a comparison by {gb}")

    def logrank_shortfall(self) -> str | None:
        """Why there is no test of the group difference: every group needs ``NEEDS['log_rank']`` churn events."""
        if not self.spec.group_by:
            return None
        other = self.lifetimes_shortfall() or self.groups_shortfall()
        if other:
            return None  # the section says it already
        need = NEEDS["log_rank"][0]
        med = self.km.medians
        small = med.loc[med["n_events"].idxmin()]
        if int(small.n_events) >= need and len(self.logrank.overall):
            return None
        return shortfall(int(small.n_events), need, what="a test of whether the groups really differ",
                         counted="churn events in every group", where=f"in the group '{small.group}'")

    def cox_shortfall(self) -> str | None:
        """Why there are no ratios of what changes the churn risk (None when there are, or none are configured)."""
        if len(self.cox.hazard_ratios) or self.cox.status == "no_covariates":
            return None
        fit = self.cox.fit.iloc[0] if len(self.cox.fit) else None
        n_ev = int(fit.n_events) if fit is not None else self.n_events
        terms = int(fit.n_terms) if fit is not None and fit.n_terms else 1
        need = max(EVENTS_PER_TERM * terms, NEEDS["cox"][0], MIN_EVENTS)
        return shortfall(n_ev, need, what="a measure of what changes the churn risk",
                         counted="churn events" + (f" ({EVENTS_PER_TERM} per trait compared)" if terms > 1 else ""),
                         where="among the customers it would compare")

    def populations(self) -> dict[str, int]:
        """Every customer count the page shows, by what it counts (reconciled in one line on the page).

        ``unit_customers`` = ``left_out_start`` + ``lives``; ``lives`` = ``early_leavers`` +
        ``model_missing`` + ``model`` (the model's customers: still customers after the early-life window,
        with every trait known); ``groups_left_out``: lives in groups too small to compare.
        """
        lives = self.n_customers
        out = {"lives": lives, "left_out_start": int(self.life.n_left_truncated),
               "unit_customers": lives + int(self.life.n_left_truncated)}
        grouped = int(self.km.medians["n_customers"].sum()) if len(self.km.medians) else 0
        out["groups_left_out"] = lives - grouped if self.km.group_by else 0
        fit = self.cox.fit.iloc[0] if len(self.cox.fit) else None
        if fit is not None and len(self.cox.hazard_ratios):
            days = int(fit.landmark_days or 0)
            t = self.life.table
            early = int((t["duration_days"] <= days).sum()) if days and "duration_days" in t else 0
            out.update(model=int(fit.n_customers), early_leavers=early,
                       model_missing=lives - early - int(fit.n_customers), landmark_days=days)
        return out

    def summary_frame(self) -> pd.DataFrame:
        """Headline numbers as long rows (columns :data:`retention_utils.results.SUMMARY_COLUMNS`).

        Metrics (``analysis`` is ``survival``):

        * ``headline`` (``unit="sentence"``, value NaN): :meth:`headline`, the one sentence for the unit's
          executive summary;
        * ``n_customers``, ``n_churn_events``: customer lives followed and those ended in churn;
        * ``median_lifetime_months``: median lifetime of all customers with its 95% interval (an open
          upper limit is NaN); only when reached;
        * ``survival_12_months``: share still customers 12 months after their start, with its interval;
          only when someone has been followed that long;
        * ``rmst_months``: average months as a customer within ``spec.horizon_months`` (all customers);
        * ``logrank_p_value``: test across the groups of ``spec.group_by``, only when every group has the
          churn events the test needs (:data:`retention_utils.samples.NEEDS`);
        * ``cox_strongest_hazard_ratio``: the significant (p < 0.05) hazard ratio of a categorical or
          binary term furthest from 1, its label naming the term in words (only when there is one).

        The estimates are left out when the lifetimes are too few to estimate (:meth:`lifetimes_shortfall`):
        a row never carries a missing value where a number should be; the counts are always given.
        """
        rows: list[dict[str, Any]] = [
            {"metric": "headline", "label": self.headline(), "value": math.nan, "unit": "sentence"},
            {"metric": "n_customers", "label": vocab_name("customer_lives", capital=True), "value": self.n_customers,
             "unit": "customers"},
            {"metric": "n_churn_events", "label": "Customer lives ended in churn", "value": self.n_events,
             "unit": "customers"},
        ]
        if self.lifetimes_shortfall():
            return summary_rows(rows, analysis="survival")
        med = self.km_all.medians.iloc[0] if len(self.km_all.medians) else None
        if med is not None and med.median_reached:
            rows.append({"metric": "median_lifetime_months", "label": "Median customer lifetime (all customers)",
                         "value": med.median_months, "unit": "months", "ci_lower": med.ci_lower,
                         "ci_upper": med.ci_upper, "higher_is_better": True})
        at = self.km_all.at_times
        at = at[(at["duration_months"] == SUMMARY_MONTHS) & at["estimable"].astype(bool)]
        if len(at):
            rows.append({"metric": f"survival_{SUMMARY_MONTHS}_months",
                         "label": still_customers_name(SUMMARY_MONTHS)[:1].upper()
                         + still_customers_name(SUMMARY_MONTHS)[1:],
                         "value": at["survival"].iloc[0], "unit": "share", "ci_lower": at["ci_lower"].iloc[0],
                         "ci_upper": at["ci_upper"].iloc[0], "higher_is_better": True})
        by = self.rmst.by_group
        if list(by["group"]) != [ALL]:  # grouped: the all-customers value is one more area under one curve
            by = rmst(self.life.table, horizon_months=self.spec.horizon_months).by_group
        if len(by) and bool(by["estimable"].iloc[0]):
            rows.append({"metric": "rmst_months",
                         "label": f"Average months as a customer within the first {self.spec.horizon_months} months",
                         "value": by["rmst_months"].iloc[0], "unit": "months", "ci_lower": by["ci_lower"].iloc[0],
                         "ci_upper": by["ci_upper"].iloc[0], "higher_is_better": True})
        if self.logrank is not None and len(self.logrank.overall) and not self.logrank_shortfall():
            o = self.logrank.overall.iloc[0]
            rows.append({"metric": "logrank_p_value",
                         "label": f"Chance that the {o.n_groups} groups of {o.group_by} differ this much by luck",
                         "value": o.p_value, "unit": "p-value"})
        top = self.strongest_trait()
        if top is not None:
            who, other = trait_words(top, self.spec.early_days)
            rows.append({"metric": "cox_strongest_hazard_ratio",
                         "label": f"How many times as fast {who} leave as {other}",
                         "value": top.hazard_ratio, "unit": "ratio", "ci_lower": top.ci_lower,
                         "ci_upper": top.ci_upper})
        return summary_rows(rows, analysis="survival")

    def strongest_trait(self) -> Any:
        """The significant (p < 0.05) categorical or binary hazard ratio furthest from 1 (a row), or None."""
        hr = self.cox.hazard_ratios
        sig = hr[(hr["p_value"] < 0.05) & (hr["kind"] != "numeric")]
        if not len(sig):
            return None
        return sig.loc[np.abs(np.log(sig["hazard_ratio"].astype(float))).idxmax()]

    def headline(self) -> str:
        """The one plain sentence of this analysis for the unit's executive summary (what is missing, if so).

        Examples: "59% of customers are still customers after 12 months; customers with a complaint in
        their first 30 days leave 1.9 times as fast as those without, so the first 30 days are where to act."
        """
        lives = vocab_name("customer_lives")
        if not self.n_customers:
            return "No customer lifetimes to measure in this unit yet."
        short = self.lifetimes_shortfall()
        if short:
            if self.n_customers < self.min_customers:
                return (f"How long customers stay cannot be measured yet: {self.n_customers:,} {lives}, at least "
                        f"{self.min_customers:,} customer lives needed.")
            return (f"How long customers stay cannot be measured yet: {self.n_events:,} churn events so far "
                    f"({self.n_customers:,} {lives}), at least {MIN_EVENTS:,} needed.")
        at = self.km_all.at_times
        at = at[(at["duration_months"] == SUMMARY_MONTHS) & at["estimable"].astype(bool)]
        med = self.km_all.medians.iloc[0]
        if len(at):
            first = f"{at['survival'].iloc[0]:.0%} of customers are {still_customers_name(SUMMARY_MONTHS)}"
        elif med.median_reached:
            first = f"Half of the customers leave within {med.median_months:.1f} months"
        else:
            first = "More than half of the customers are still customers after the longest follow-up"
        top = self.strongest_trait()
        if top is not None:
            who, other = trait_words(top, self.spec.early_days)
            if top.hazard_ratio >= 1:
                act = (f", so the first {self.spec.early_days} days are where to act"
                       if top.covariate in DERIVED_FEATURES else "")
                return f"{first}; {who} leave {top.hazard_ratio:.1f} times as fast as {other}{act}."
            return f"{first}; {who} leave {1 - top.hazard_ratio:.0%} more slowly than {other}."
        hz = self.hazard[self.hazard["reliable"]] if len(self.hazard) else self.hazard
        if len(hz) >= 3:
            peak = hz.loc[hz["hazard"].idxmax()]
            return (f"{first}; the risk of leaving peaks in month {peak.tenure_month:.0f} of the customer life "
                    f"({peak.hazard:.0%} of the customers starting it leave during it).")
        return f"{first}."


def trait_words(row: Any, early_days: int) -> tuple[str, str]:
    """(the customers with a Cox term's trait, their comparison group) in words.

    Examples
    --------
    >>> import types
    >>> trait_words(types.SimpleNamespace(covariate="early_complaint", kind="binary"), 30)
    ('customers with a complaint in their first 30 days', 'those without')
    >>> trait_words(types.SimpleNamespace(covariate="plan", kind="categorical", level="gold", reference="basic"), 30)
    ("customers with plan 'gold'", "those with 'basic'")
    """
    if row.covariate in DERIVED_FEATURES:
        return f"customers with {DERIVED_FEATURES[row.covariate].format(days=early_days)}", "those without"
    if row.kind == "binary":
        return f"customers with {row.covariate}", "those without"
    if row.kind == "numeric":
        return f"each extra unit of {row.covariate}", ""
    return f"customers with {row.covariate} '{row.level}'", f"those with '{row.reference}'"


def _cohort_compare(data: UnitData, months: int = SUMMARY_MONTHS) -> pd.DataFrame | None:
    """The cohort page's pooled share at period ``months`` (its definition and params), or None.

    The same computation as :func:`retention_utils.cohorts.cohort_analysis` (its table and pooled curve),
    without the control chart and groups; None for snapshot units, non-monthly cohorts or when no cohort
    is ``months`` old.
    """
    if getattr(data, "kind", "orders") == "snapshot":
        return None
    from ..calendar import last_complete_period
    from ..cohorts import cohort_retention_table, pooled_curve
    from ..engine import cohort_activity

    spec = data.config.cohorts
    if spec.period != "month" or (spec.max_periods is not None and spec.max_periods < months):
        return None
    explicit = data.config.churn.method == "explicit"
    definition = spec.definition or ("subscribed" if explicit else "period")
    by = spec.by or ("signup" if explicit else "first_purchase")
    act = cohort_activity(data.orders, data.customers, by=by, period="month")
    table = cohort_retention_table(act, last_idx=last_complete_period(data.month_end, "month"), period="month",
                                   definition=definition, max_periods=spec.max_periods)
    pooled = pooled_curve(table) if len(table) else table
    row = pooled[pooled["period"] == months] if len(pooled) else pooled
    if not len(row) or not row["n_customers"].iloc[0]:
        return None
    r = row.iloc[0]
    return pd.DataFrame([{"period": months, "definition": definition, "n_customers": int(r.n_customers),
                          "n_retained": int(r.n_retained), "share": float(r.retention_rate)}])


def survival_analysis(data: UnitData, spec: SurvivalSpec | None = None) -> SurvivalAnalysis:
    """Run the whole survival analysis of a unit, as configured in ``params: survival``.

    Parameters
    ----------
    data : UnitData
        The unit's data (:func:`retention_utils.load_unit_data`): an order history, or a
        snapshot unit (``data.kind == "snapshot"``: lifetimes from the recorded tenure and
        churn flag, :func:`~retention_utils.survival.snapshot_lifetimes`; no early-life
        features and no sensitivity table).
    spec : SurvivalSpec, optional
        The ``survival`` params section; default the unit's (``data.config.survival``).

    Returns
    -------
    SurvivalAnalysis
        Never raises for small or empty units: they get notes instead
        (``too_few_events``).

    Raises
    ------
    ConfigError
        ``survival.group_by`` or ``survival.covariates`` naming a column the
        unit does not have.
    """
    cfg = data.config
    spec = spec or cfg.survival
    min_n = cfg.thresholds.min_customers
    notes: list[dict[str, str]] = []
    snapshot = getattr(data, "kind", "orders") == "snapshot"
    if snapshot:
        life = snapshot_lifetimes(data)
    else:
        life = lifetimes(data)
        life = add_early_features(data, life, early_days=spec.early_days)
    method = "snapshot" if snapshot else cfg.churn.method
    table = life.table
    if life.warm_up_kept:
        notes.append(_note("lifetimes", "warm-up window", f"all {life.warm_up_kept:,} customers were first seen in the "
                                                         f"first {cfg.churn.inactivity_days} days of the data, so "
                                                         "none can be left out as usual: their lives are counted "
                                                         "from their first purchase in the data (a customer who "
                                                         "bought before the data starts is counted short)."))
    if life.n_left_truncated:
        notes.append(_note("lifetimes", "left truncation", f"{life.n_left_truncated:,} customers first seen in the "
                                                          "first inactivity window of the data are left out (they "
                                                          "may have bought before the data starts)."))
    n_ev = int(table["event"].sum())
    few = n_ev < MIN_EVENTS
    if few:
        notes.append(_note("lifetimes", "too few events", f"too few events: only {n_ev} churn events among "
                                                          f"{len(table):,} customers so far; the curve is shown, but "
                                                          f"medians, group comparisons and hazard ratios need at "
                                                          f"least {MIN_EVENTS} events."))
    group_by = spec.group_by
    if group_by is not None and group_by not in table.columns:
        raise ConfigError(f"survival.group_by: {group_by!r} is not a column of unit {cfg.unit!r}; available: "
                          f"{_available(table)}. Fix survival.group_by in the unit's params.")
    km_all = kaplan_meier(table, times=TIMES)
    km = kaplan_meier(table, group_by=group_by, times=TIMES, min_customers=min_n) if group_by else km_all
    if group_by and len(km.groups) < 2:
        notes += km.notes.to_dict("records")
        notes.append(_note("Kaplan-Meier", group_by, f"fewer than two groups of '{group_by}' with at least {min_n} "
                                                     "customers in this unit: curves and comparisons show all "
                                                     "customers together."))
        km = km_all
    if group_by and len(km.groups) >= 2 and not few:
        lr = logrank(table, group_by=group_by, min_customers=min_n)
    else:
        why = ("no grouping is configured (set survival.group_by in the unit's params, e.g. plan or channel)"
               if not group_by else "too few churn events to compare groups" if few
               else f"fewer than two groups of '{group_by}' are large enough to compare")
        lr = _empty_logrank(_note("log-rank", group_by or "survival.group_by", f"no comparison between groups: {why}."))
    hz = hazard_by_tenure(table.iloc[:0] if few else table, min_at_risk=min_n)
    cox = _cox(table, spec, min_n=min_n, few=few, notes=notes)
    rm = rmst(table, horizon_months=spec.horizon_months, group_by=group_by if len(km.groups) > 1 else None,
              min_customers=min_n)
    if not rm.by_group["estimable"].all():
        notes.append(_note("RMST", "horizon", f"the follow-up of some groups is shorter than the "
                                              f"{spec.horizon_months}-month horizon (survival.horizon_months), "
                                              "so their average lifetime within it is not estimable."))
    comp = sens = None
    if method in ("explicit", "snapshot"):
        if "churn_type" in table.columns and table.loc[table["event"], "churn_type"].notna().any():
            comp = competing_risks(table, times=TIMES)
        else:
            notes.append(_note("competing risks", "churn_type", "no churn types recorded, so voluntary and "
                                                                "involuntary churn cannot be told apart."))
    else:
        sens = inactivity_sensitivity(data, thresholds=SENSITIVITY_DAYS)
    frames = [notes_frame(notes), km.notes, cox.notes]
    if km is not km_all:
        frames.insert(1, km_all.notes)
    if group_by and len(lr.overall):
        frames.append(lr.notes)
    if comp is not None:
        frames.append(comp.notes)
    all_notes = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else notes_frame([])
    return SurvivalAnalysis(unit=cfg.unit, label=cfg.label, month=data.month_label, method=method,
                            rule=life.rule, spec=spec, life=life, km_all=km_all, km=km, logrank=lr, hazard=hz,
                            cox=cox, rmst=rm, competing=comp, sensitivity=sens, notes=all_notes,
                            too_few_events=few, min_customers=min_n, cohort_compare=_cohort_compare(data))


def _cox(table: pd.DataFrame, spec: SurvivalSpec, *, min_n: int, few: bool, notes: list[dict[str, str]]
         ) -> CoxResult:
    """The Cox model of :func:`survival_analysis` (or why there is none); appends to ``notes``."""
    n_ev = int(table["event"].sum())
    covs = list(spec.covariates)
    no_covs = "no covariates are configured: set survival.covariates in the unit's params (e.g. [plan, channel, " \
              "early_complaint, nps_detractor]) to see which traits change the churn risk."
    derived = [c for c in covs if c in DERIVED_FEATURES]
    for c in derived:
        if c not in table.columns:
            why = "no interactions table" if c != "discount_user" else "no discount column in the orders"
            notes.append(_note("Cox", c, f"not available in this unit ({why}); left out of the model."))
    covs = [c for c in covs if c in table.columns or c not in DERIVED_FEATURES]
    landmark = spec.early_days if any(c in DERIVED_FEATURES for c in covs) else None
    base = {"method": "", "n_customers": len(table), "n_events": n_ev, "n_terms": 0, "landmark_days": 0,
            "log_likelihood": np.nan, "penalty": 0.0}
    if few:
        unknown = [c for c in covs if c not in table.columns]
        if unknown:
            _design(table, unknown, min_n)  # raises the ConfigError naming the covariate
        return _empty_cox("too_few_events", f"Too few events: {n_ev} churn events, so no model of what drives churn.",
                          [], base)
    if not covs:
        return _empty_cox("no_covariates", no_covs[0].upper() + no_covs[1:], [], base)
    return cox_hazard_ratios(table, covariates=covs, min_level_customers=min_n, landmark_days=landmark,
                             reference_levels=spec.reference_levels)


def snapshot_survival(data: UnitData, spec: SurvivalSpec | None = None) -> SurvivalAnalysis:
    """Survival analysis of a snapshot unit (one row per customer: tenure and a churn flag).

    Kaplan-Meier with the at-risk table, log-rank tests by ``survival.group_by``,
    Cox on ``survival.covariates`` (with ``survival.reference_levels``), RMST to
    ``survival.horizon_months`` and, when churn types are recorded, competing risks:
    the sections of :func:`survival_analysis` (which dispatches here by itself), on
    :func:`~retention_utils.survival.snapshot_lifetimes`. There is no inactivity threshold
    (no sensitivity table) and no early-life features.

    Raises
    ------
    ConfigError
        Not a snapshot unit; ``group_by`` / ``covariates`` / ``reference_levels`` naming
        a column or level the snapshot does not have.
    """
    if getattr(data, "kind", "orders") != "snapshot":
        raise ConfigError(f"unit {data.config.unit!r} is not a snapshot unit (sources.snapshot); use "
                          "survival_analysis for an order history.")
    return survival_analysis(data, spec)
