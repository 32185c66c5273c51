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
from .base import (
    ALL,
    DERIVED_FEATURES,
    MIN_EVENTS,
    SENSITIVITY_DAYS,
    TIMES,
    _available,
    _note,
)
from .competing import CompetingRisks, competing_risks
from .cox import CoxResult, _design, _empty_cox, cox_hazard_ratios, term_label
from .hazard import hazard_by_tenure
from .inputs import Lifetimes, add_early_features, lifetimes, snapshot_lifetimes
from .kaplan_meier import KaplanMeier, kaplan_meier
from .logrank import LogRank, _empty_logrank, logrank
from .rmst import RMST, rmst
from .sensitivity import inactivity_sensitivity

__all__ = ["SurvivalAnalysis", "survival_analysis", "snapshot_survival"]

#: Months of the "still active" headline row of :meth:`SurvivalAnalysis.summary_frame`.
SUMMARY_MONTHS = 12


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

    @property
    def n_customers(self) -> int:
        return len(self.life.table)

    @property
    def n_events(self) -> int:
        return int(self.life.table["event"].sum())

    def summary_frame(self) -> pd.DataFrame:
        """Headline numbers as long rows (columns :data:`retention_utils.results.SUMMARY_COLUMNS`).

        Metrics (``analysis`` is ``survival``):

        * ``n_customers``, ``n_churn_events``: customer lives analysed and those ended in churn;
        * ``median_lifetime_months``: median lifetime of all customers with its 95% interval
          (NaN when not reached; an open upper limit is NaN);
        * ``survival_12_months``: share still active 12 months after their start, with its
          interval (NaN when nobody has been followed that long);
        * ``rmst_months``: average months active within ``spec.horizon_months`` (all customers);
        * ``logrank_p_value``: log-rank test across the groups of ``spec.group_by`` (only when
          groups were compared);
        * ``cox_strongest_hazard_ratio``: the significant (p < 0.05) hazard ratio of a
          categorical or binary term furthest from 1, its label naming the term (only when
          there is one).

        With too few churn events (``too_few_events``) the estimates are NaN, as the headline
        says they cannot be estimated reliably; the counts are still given.
        """
        few = self.too_few_events
        rows: list[dict[str, Any]] = [
            {"metric": "n_customers", "label": "Customer lives analysed", "value": self.n_customers,
             "unit": "customers"},
            {"metric": "n_churn_events", "label": "Customer lives ended in churn", "value": self.n_events,
             "unit": "customers"},
        ]
        med = self.km_all.medians.iloc[0] if len(self.km_all.medians) else None
        ok = med is not None and not few
        rows.append({"metric": "median_lifetime_months", "label": "Median customer lifetime (all customers)",
                     "value": med.median_months if ok else math.nan, "unit": "months",
                     "ci_lower": med.ci_lower if ok else math.nan, "ci_upper": med.ci_upper if ok else math.nan,
                     "higher_is_better": True})
        at = self.km_all.at_times
        at = at[(at["duration_months"] == SUMMARY_MONTHS) & at["estimable"].astype(bool)]
        ok = len(at) > 0 and not few
        rows.append({"metric": f"survival_{SUMMARY_MONTHS}_months",
                     "label": f"Still active {SUMMARY_MONTHS} months after their start",
                     "value": at["survival"].iloc[0] if ok else math.nan, "unit": "share",
                     "ci_lower": at["ci_lower"].iloc[0] if ok else math.nan,
                     "ci_upper": at["ci_upper"].iloc[0] if ok else math.nan, "higher_is_better": True})
        by = self.rmst.by_group
        if list(by["group"]) != [ALL]:  # grouped: the all-customers value is one more area under one curve
            by = rmst(self.life.table, horizon_months=self.spec.horizon_months).by_group
        ok = len(by) > 0 and bool(by["estimable"].iloc[0]) and not few
        rows.append({"metric": "rmst_months",
                     "label": f"Average months active within the first {self.spec.horizon_months} months (RMST)",
                     "value": by["rmst_months"].iloc[0] if ok else math.nan, "unit": "months",
                     "ci_lower": by["ci_lower"].iloc[0] if ok else math.nan,
                     "ci_upper": by["ci_upper"].iloc[0] if ok else math.nan, "higher_is_better": True})
        if self.logrank is not None and len(self.logrank.overall):
            o = self.logrank.overall.iloc[0]
            rows.append({"metric": "logrank_p_value",
                         "label": f"Log-rank test: survival differs across {o.n_groups} groups of {o.group_by}",
                         "value": o.p_value, "unit": "p-value"})
        hr = self.cox.hazard_ratios
        sig = hr[(hr["p_value"] < 0.05) & (hr["kind"] != "numeric")]
        if len(sig):
            top = sig.loc[np.abs(np.log(sig["hazard_ratio"].astype(float))).idxmax()]
            rows.append({"metric": "cox_strongest_hazard_ratio",
                         "label": f"Hazard ratio: {term_label(top, self.spec.early_days)}",
                         "value": top.hazard_ratio, "unit": "ratio", "ci_lower": top.ci_lower,
                         "ci_upper": top.ci_upper})
        return summary_rows(rows, analysis="survival")


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
                            too_few_events=few, min_customers=min_n)


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
