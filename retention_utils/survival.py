"""Survival analysis of customer lifetimes: how long customers stay, when risk peaks, and why.

Why this module is long (about 2,000 lines): Kaplan-Meier, log-rank, life-table hazard, Cox, RMST,
competing risks, sensitivity, the snapshot route and their HTML still live together; the split into a
``survival/`` package with one module per model (as lifelines does), presentation apart, is issue 10
(item 3).

Every estimate is computed with statsmodels' survival tools (``SurvfuncRight``,
``survdiff``, ``PHReg`` with Efron ties, ``CumIncidenceRight``) on the
lifetimes of :func:`retention_utils.lifetimes.lifetimes`, the kit's single
churn definition. Time is measured in months (``duration_months``: days / 30.44)
from the start of a customer's life (signup, or first purchase under the
inactivity definition).

Conventions (documented once, used everywhere):

* **Kaplan-Meier** intervals are pointwise 95% intervals on the log(-log)
  scale with Greenwood's variance (as in R ``survfit(conf.type="log-log")``
  and lifelines). The median lifetime is the first time the curve falls below
  0.5 (statsmodels/SAS convention); its interval inverts the same log(-log)
  test (Brookmeyer-Crowley). A median whose curve never falls below 0.5 is
  "not reached" (NaN, ``median_reached`` False); an open upper limit is NaN.
* **Groups and levels** with fewer customers than ``thresholds.min_customers``
  are merged into ``"other (rare)"``; if that merged level is still too small
  its customers are left out of the comparison. Missing values form the level
  ``"(missing)"``. Every such change is listed in the notes.
* **Reference level** of a categorical covariate: ``survival.reference_levels``
  when set (a level not present is a ConfigError listing the levels present),
  else its most frequent level (ties broken alphabetically), so hazard ratios
  compare with the typical customer.
* **Early-life features** (``early_complaint``, ``nps_detractor``,
  ``discount_user``) use only what happened in the first ``early_days`` of a
  life, and never after its end or after the report month. Because they are
  only known once that window has passed, a Cox model that uses them is a
  *landmark* model: it includes the customers still active ``early_days``
  after their start and counts their risk from that day on (delayed entry), so
  customers who left before the window closed cannot bias the comparison
  (no immortal-time bias). The notes say how many customers this leaves out.
* **Cox model** terms without variation, or fully determined by earlier terms
  (e.g. a sales channel used only by one segment), are dropped with a note.
  Fit: Newton-Raphson on the Efron partial likelihood. When it
  does not converge (or a level has no churn at all, so its ratio runs to zero
  or infinity), the model is refitted with a ridge penalty of
  ``RIDGE_PENALTY / 2 * sum(coef**2)`` on the log partial likelihood (a normal
  prior with standard deviation 1 on each log hazard ratio); its intervals use
  the inverse of the penalized information, which shrinks extreme ratios
  toward 1. The result says so in ``explanation``.
* **Proportional hazards check**: per model term, the correlation of the scaled
  Schoenfeld residuals with the Kaplan-Meier transform of time, and the
  Grambsch-Therneau chi-square test (1 degree of freedom) in the approximate
  form used by R ``cox.zph`` before 2020 and by lifelines.
* **Too few events**: a unit with fewer than ``MIN_EVENTS`` churn events gets
  curves but no comparisons; a Cox model needs ``EVENTS_PER_TERM`` events per
  model term. Both are reported as notes, never raised.
"""
from __future__ import annotations

import dataclasses
import html
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg, PHRegResults
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff
from statsmodels.stats.multitest import multipletests

from .config import SurvivalSpec
from .contract import UnitData
from .display import HTML
from .engine import DAYS_PER_MONTH, is_purchase
from .errors import ConfigError, DataError
from .lifetimes import Lifetimes, lifetimes

__all__ = [
    "TIMES",
    "SENSITIVITY_DAYS",
    "MIN_EVENTS",
    "EVENTS_PER_TERM",
    "RIDGE_PENALTY",
    "DERIVED_FEATURES",
    "LABELS",
    "KaplanMeier",
    "LogRank",
    "CoxResult",
    "RMST",
    "CompetingRisks",
    "SurvivalAnalysis",
    "lifetimes_from_snapshot",
    "add_early_features",
    "kaplan_meier",
    "logrank",
    "hazard_by_tenure",
    "cox_hazard_ratios",
    "rmst",
    "competing_risks",
    "inactivity_sensitivity",
    "survival_analysis",
    "snapshot_survival",
    "term_label",
    "headline_sentences",
    "headline_html",
    "km_table_html",
    "logrank_html",
    "cox_html",
    "rmst_html",
    "hazard_html",
    "competing_html",
    "sensitivity_html",
    "about_html",
]

#: Months at which survival is reported.
TIMES: tuple[float, ...] = (3, 6, 12, 24)
#: Inactivity thresholds (days) of the sensitivity table.
SENSITIVITY_DAYS: tuple[int, ...] = (60, 90, 120, 180)
#: Fewer churn events than this in a unit: curves only, no comparisons or models.
MIN_EVENTS = 10
#: A Cox model needs at least this many churn events per model term.
EVENTS_PER_TERM = 10
#: Ridge penalty of the fallback Cox fit (see the module docstring).
RIDGE_PENALTY = 1.0
#: Label of the merged rare levels.
OTHER = "other (rare)"
MISSING = "(missing)"
ALL = "all customers"

#: Features derived from the CRM tables for each lifetime, with their plain-language description
#: (``{days}`` is the early-life window, ``survival.early_days``).
DERIVED_FEATURES: dict[str, str] = {
    "early_complaint": "a complaint in their first {days} days",
    "nps_detractor": "a first survey score of 6 or lower in their first {days} days",
    "discount_user": "a discounted order in their first {days} days",
}

#: Human labels (with units) of the main columns of the tidy outputs, used as axis labels.
LABELS: dict[str, str] = {
    "duration_months": "months since the start of the customer life",
    "tenure_month": "month of the customer life (1 = first month)",
    "survival": "customers still active (%)",
    "hazard": "churned in the month\n(% of those active at its start)",
    "hazard_ratio": "hazard ratio, log scale (below 1: customers stay longer; above 1: they churn faster)",
    "cumulative_incidence": "customers churned by this cause (%)",
}

_Z = stats.norm.ppf(0.975)


def _note(section: str, subject: str, note: str) -> dict[str, str]:
    return {"section": section, "subject": subject, "note": note}


def _notes_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["section", "subject", "note"])


def _check_table(table: pd.DataFrame, where: str, extra: tuple[str, ...] = ()) -> None:
    need = ("duration_months", "event") + tuple(extra)
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise DataError(f"{where}: the lifetimes table has no column(s) {missing}; it has "
                        f"{list(table.columns)[:12]}. Pass the table of retention_utils.lifetimes.lifetimes() "
                        "or of lifetimes_from_snapshot().")


# ============================================================================ inputs


def lifetimes_from_snapshot(df: pd.DataFrame, *, duration: str, event: str, customer_id: str | None = None,
                            time_unit: str = "months") -> pd.DataFrame:
    """Lifetimes table from a one-row-per-customer export (tenure and a churn flag).

    For exports without dates, e.g. the IBM telco sample (``tenure`` in months,
    ``Churn`` Yes/No): every other column is kept as a covariate.

    Parameters
    ----------
    df : DataFrame
        One row per customer; not modified.
    duration : str
        Column with the length of the customer's life so far (non-negative).
    event : str
        Column telling whether the customer churned: booleans, 0/1, or text
        yes/no, true/false, y/n, 1/0 (any case).
    customer_id : str, optional
        Column with the customer key; the row number when not given.
    time_unit : {"months", "days"}
        Unit of ``duration``.

    Returns
    -------
    DataFrame
        ``customer_id, duration_days, duration_months, event`` followed by the
        other columns of ``df``.

    Raises
    ------
    DataError
        Missing columns, negative or missing durations, event values that are
        not a yes/no flag (with up to five examples).

    Examples
    --------
    >>> raw = pd.DataFrame({"tenure": [1, 12, 30], "Churn": ["Yes", "No", "yes"]})
    >>> lifetimes_from_snapshot(raw, duration="tenure", event="Churn")[["duration_months", "event"]]
       duration_months  event
    0              1.0   True
    1             12.0  False
    2             30.0   True
    """
    if time_unit not in ("months", "days"):
        raise ConfigError(f"The 'time_unit' parameter of lifetimes_from_snapshot must be one of "
                          f"{{'months', 'days'}}. Got {time_unit!r} instead.")
    wanted = [c for c in (duration, event, customer_id) if c is not None]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise DataError(f"lifetimes_from_snapshot: column(s) {missing} not found; the frame has "
                        f"{list(df.columns)[:20]}.")
    dur = pd.to_numeric(df[duration], errors="coerce")
    bad = dur.isna() | (dur < 0)
    if bad.any():
        rows = list(df.index[bad][:5])
        raise DataError(f"lifetimes_from_snapshot: column {duration!r} has {int(bad.sum())} missing, non-numeric "
                        f"or negative value(s) (rows {rows}); durations must be numbers >= 0.")
    ev = df[event]
    if pd.api.types.is_bool_dtype(ev):
        flag = ev.astype(bool)
    else:
        text = ev.astype("string").str.strip().str.lower()
        mapping = {"yes": True, "y": True, "true": True, "t": True, "1": True, "1.0": True,
                   "no": False, "n": False, "false": False, "f": False, "0": False, "0.0": False}
        flag = text.map(mapping)
        bad = flag.isna()
        if bad.any():
            examples = sorted(set(ev[bad].astype(str)))[:5]
            raise DataError(f"lifetimes_from_snapshot: column {event!r} has {int(bad.sum())} value(s) that are not "
                            f"a yes/no flag (e.g. {examples}); use yes/no, true/false or 1/0.")
        flag = flag.astype(bool)
    months = dur.astype(float) if time_unit == "months" else dur.astype(float) / DAYS_PER_MONTH
    ids = df[customer_id].astype(str) if customer_id else pd.Series(np.arange(len(df)).astype(str), index=df.index)
    out = pd.DataFrame({"customer_id": ids.to_numpy(), "duration_days": (months * DAYS_PER_MONTH).to_numpy(),
                        "duration_months": months.to_numpy(), "event": flag.to_numpy()})
    rest = df.drop(columns=[c for c in wanted]).reset_index(drop=True)
    return pd.concat([out, rest], axis=1)


def add_early_features(data: UnitData, life: Lifetimes, *, early_days: int) -> Lifetimes:
    """Add the early-life features of each lifetime (see :data:`DERIVED_FEATURES`).

    A feature uses only rows dated from the start of the life up to
    ``early_days - 1`` days later, not after the life's end (``stop``) and not
    after the report month (the data are cut there on loading).

    * ``early_complaint``: an interaction of kind ``complaint`` in the window.
    * ``nps_detractor``: the first interaction of kind ``survey`` with a score in
      the window scored 6 or lower (customers without a survey count as not
      detractors).
    * ``discount_user``: a purchase with a discount > 0 in the window (only when
      the orders carry a ``discount`` column).

    Features whose source table is missing are not added.

    Parameters
    ----------
    data : UnitData
        The unit's canonical tables.
    life : Lifetimes
        Its lifetimes (:func:`retention_utils.lifetimes.lifetimes`).
    early_days : int
        Length of the early-life window (``survival.early_days``).

    Returns
    -------
    Lifetimes
        The same lifetimes with boolean columns added to ``table``.
    """
    import ibis

    t = life.table
    epoch = pd.Timestamp("1970-01-01")
    keys = pd.DataFrame({
        "customer_id": t["customer_id"].astype(str).to_numpy(),
        "start_n": ((pd.to_datetime(t["start"]) - epoch).dt.days).astype("int64").to_numpy(),
        "stop_n": ((pd.to_datetime(t["stop"]) - epoch).dt.days).astype("int64").to_numpy(),
    })
    if len(keys) == 0:
        return life
    k = ibis.memtable(keys)
    flags: dict[str, pd.Series] = {}

    def window(tab: ibis.Table, date_col: str) -> ibis.Table:
        j = tab.join(k, "customer_id")
        day = j[date_col].epoch_days()
        off = day - j.start_n
        return j.filter((off >= 0) & (off < int(early_days)) & (day <= j.stop_n)).mutate(day_n=day)

    if data.interactions is not None:
        w = window(data.interactions, "date")
        comp = w.filter(w.kind == "complaint").select("customer_id").distinct().to_pandas()
        flags["early_complaint"] = pd.Series(True, index=comp["customer_id"].astype(str))
        sv = w.filter((w.kind == "survey") & w.score.notnull())
        first = sv.group_by("customer_id").aggregate(first_day=sv.day_n.min())
        sv = sv.join(first, "customer_id").filter(lambda x: x.day_n == x.first_day)
        sv = sv.group_by("customer_id").aggregate(score=sv.score.min()).to_pandas()
        flags["nps_detractor"] = pd.Series(sv["score"].to_numpy() <= 6, index=sv["customer_id"].astype(str))
    if "discount" in data.orders.columns:
        w = window(data.orders, "order_date")
        disc = w.filter(is_purchase(w) & (w.discount > 0)).select("customer_id").distinct().to_pandas()
        flags["discount_user"] = pd.Series(True, index=disc["customer_id"].astype(str))
    ids = t["customer_id"].astype(str)
    add = {name: ids.map(s[s]).fillna(False).astype(bool).to_numpy() if len(s) else np.zeros(len(t), bool)
           for name, s in flags.items()}
    return dataclasses.replace(life, table=t.assign(**add))


# ============================================================================ helpers


def _arrays(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return table["duration_months"].to_numpy(dtype=float), table["event"].to_numpy(dtype=bool)


def _labels(values: pd.Series) -> pd.Series:
    """Category labels as text; booleans as yes/no, missing as "(missing)"."""
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"}).astype(object)
    out = values.astype(object).where(values.notna(), MISSING)
    return out.map(str)


def _merge_rare(labels: pd.Series, min_count: int, *, section: str, name: str
                ) -> tuple[pd.Series, list[dict[str, str]]]:
    """Merge levels with fewer than ``min_count`` rows into OTHER; drop (NaN) OTHER if still too small."""
    notes = []
    counts = labels.value_counts()
    rare = counts[counts < min_count]
    if len(rare) and len(counts) > 1:
        merged = labels.where(~labels.isin(rare.index), OTHER)
        examples = ", ".join(f"'{lv}' ({n})" for lv, n in rare.head(5).items())
        more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
        n_other = int(rare.sum())
        if n_other >= min_count:
            notes.append(_note(section, name, f"{len(rare)} level(s) with fewer than {min_count} customers "
                                              f"merged into '{OTHER}': {examples}{more}."))
            return merged, notes
        notes.append(_note(section, name, f"{len(rare)} level(s) with fewer than {min_count} customers "
                                          f"({examples}{more}; {n_other} customers in all) are too rare to compare "
                                          "even when merged, so these customers are left out of this comparison."))
        return labels.where(~labels.isin(rare.index)), notes
    return labels, notes


def _order_levels(labels: pd.Series) -> list[str]:
    """Levels by size, largest first (ties alphabetically)."""
    counts = labels.dropna().value_counts()
    return sorted(counts.index, key=lambda lv: (-counts[lv], str(lv)))


def _loglog_ci(s: np.ndarray, se: np.ndarray, z: float = _Z) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log(-log) interval of a survival probability with standard error ``se``."""
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = z * np.asarray(se, dtype=float) / (s * np.abs(np.log(s)))
        lo = s ** np.exp(c)
        hi = s ** np.exp(-c)
    one = s >= 1.0
    lo[one], hi[one] = 1.0, 1.0
    zero = s <= 0.0
    lo[zero], hi[zero] = 0.0, 0.0
    return lo, hi


def _step_value(times: np.ndarray, values: np.ndarray, t: float, start: float = 1.0) -> float:
    """Right-continuous step function through (times, values), ``start`` before the first time."""
    i = np.searchsorted(times, t, side="right") - 1
    return start if i < 0 else float(values[i])


@dataclass(frozen=True)
class _Fit:
    """One group's Kaplan-Meier estimate (statsmodels SurvfuncRight) and its raw data."""

    group: str
    time: np.ndarray
    event: np.ndarray
    sf: SurvfuncRight | None

    @property
    def times(self) -> np.ndarray:
        return self.sf.surv_times if self.sf is not None else np.empty(0)

    @property
    def surv(self) -> np.ndarray:
        return self.sf.surv_prob if self.sf is not None else np.empty(0)

    @property
    def se(self) -> np.ndarray:
        return self.sf.surv_prob_se if self.sf is not None else np.empty(0)


def _fit(group: str, time: np.ndarray, event: np.ndarray) -> _Fit:
    sf = SurvfuncRight(time, event.astype(float)) if event.any() else None
    return _Fit(group, time, event, sf)


def _grouped(table: pd.DataFrame, group_by: str | None, min_customers: int, section: str
             ) -> tuple[pd.Series, list[str], list[dict[str, str]]]:
    """Group labels (NaN = left out), the ordered levels, and notes."""
    if group_by is None:
        return pd.Series(ALL, index=table.index, dtype=object), [ALL], []
    if group_by not in table.columns:
        raise ConfigError(f"survival.group_by: {group_by!r} is not a column of the lifetimes table; available: "
                          f"{_available(table)}. Set survival.group_by in the unit's params to one of them.")
    labels, notes = _merge_rare(_labels(table[group_by]), min_customers, section=section, name=group_by)
    return labels, _order_levels(labels), notes


def _available(table: pd.DataFrame) -> list[str]:
    skip = {"customer_id", "start", "stop", "duration_days", "duration_months", "event", "churn_type", "churn_reason"}
    return [c for c in table.columns if c not in skip][:20]


# ============================================================================ Kaplan-Meier


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier survival curves of one or more groups (see :func:`kaplan_meier`).

    Attributes
    ----------
    curve : DataFrame
        ``group, duration_months, n_at_risk, n_events, survival, std_err,
        ci_lower, ci_upper``: one row at 0, one per churn time, and one at the
        group's longest follow-up (``n_events`` 0) so the curve runs to the end.
    medians : DataFrame
        ``group, n_customers, n_events, median_months, ci_lower, ci_upper,
        median_reached`` (NaN limits: not reached).
    at_times : DataFrame
        ``group, duration_months, survival, ci_lower, ci_upper, n_at_risk,
        estimable``: survival at :data:`TIMES` (NaN beyond the follow-up).
    at_risk : DataFrame
        ``group, duration_months, n_at_risk, n_events, n_censored``: customers
        still followed at each time and the churn events / censorings before
        it (the table under the curves).
    group_by : str or None
        The grouping column.
    notes : DataFrame
        ``section, subject, note``.
    """

    curve: pd.DataFrame
    medians: pd.DataFrame
    at_times: pd.DataFrame
    at_risk: pd.DataFrame
    group_by: str | None
    notes: pd.DataFrame

    @property
    def groups(self) -> list[str]:
        return list(self.medians["group"])

    def _repr_html_(self) -> str:
        return km_table_html(self).data


def _risk_grid(max_t: float) -> np.ndarray:
    step = 3 if max_t <= 18 else 6 if max_t <= 48 else 12
    return np.arange(0, max(max_t, 0) + 1e-9, step, dtype=float)


def kaplan_meier(table: pd.DataFrame, *, group_by: str | None = None, times: tuple[float, ...] = TIMES,
                 min_customers: int = 1, risk_times: tuple[float, ...] | None = None) -> KaplanMeier:
    """Kaplan-Meier survival by group with 95% intervals, medians and numbers at risk.

    Parameters
    ----------
    table : DataFrame
        Lifetimes: ``duration_months, event`` and ``group_by``; not modified.
    group_by : str, optional
        Column to split by (categorical; booleans become yes/no). None: one
        curve for all customers.
    times : tuple of float
        Months at which survival is reported (``at_times``).
    min_customers : int
        Smaller groups are merged into ``"other (rare)"`` (see the module docstring).
    risk_times : tuple of float, optional
        Times of the number-at-risk table; default every 3, 6 or 12 months
        depending on the follow-up.

    Returns
    -------
    KaplanMeier

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0], "event": [True, False, True]})
    >>> km = kaplan_meier(t)
    >>> km.curve[["duration_months", "n_at_risk", "survival"]].round(3).values.tolist()
    [[0.0, 3.0, 1.0], [1.0, 3.0, 0.667], [3.0, 1.0, 0.0]]
    >>> float(km.medians.median_months[0])
    3.0
    """
    _check_table(table, "kaplan_meier")
    labels, levels, notes = _grouped(table, group_by, min_customers, "Kaplan-Meier")
    time, event = _arrays(table)
    fits = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        fits.append(_fit(lv, time[m], event[m]))
    curves, meds, at, risk = [], [], [], []
    grid = np.asarray(risk_times, dtype=float) if risk_times is not None else _risk_grid(
        float(time.max()) if len(time) else 0.0)
    for f in fits:
        n = len(f.time)
        lo, hi = _loglog_ci(f.surv, f.se)
        c = pd.DataFrame({"group": f.group, "duration_months": f.times, "n_at_risk": f.sf.n_risk if f.sf else [],
                          "n_events": f.sf.n_events if f.sf else [], "survival": f.surv, "std_err": f.se,
                          "ci_lower": lo, "ci_upper": hi})
        last_t = float(f.time.max()) if n else 0.0
        head = pd.DataFrame([{"group": f.group, "duration_months": 0.0, "n_at_risk": n, "n_events": 0,
                              "survival": 1.0, "std_err": 0.0, "ci_lower": 1.0, "ci_upper": 1.0}])
        parts = [head, c]
        if n and (len(c) == 0 or last_t > float(c["duration_months"].iloc[-1])):
            s_last = float(c["survival"].iloc[-1]) if len(c) else 1.0
            tail = c.iloc[-1:].copy() if len(c) else head.copy()
            tail = tail.assign(duration_months=last_t, n_at_risk=int((f.time >= last_t).sum()), n_events=0,
                               survival=s_last)
            parts.append(tail)
        curves.append(pd.concat([p for p in parts if len(p)], ignore_index=True))
        med = lo_m = hi_m = np.nan
        if f.sf is not None:
            med = f.sf.quantile(0.5)
            with np.errstate(all="ignore"):
                lo_m, hi_m = f.sf.quantile_ci(0.5, method="cloglog")
        meds.append({"group": f.group, "n_customers": n, "n_events": int(f.event.sum()),
                     "median_months": float(med), "ci_lower": float(lo_m),
                     "ci_upper": float(hi_m) if np.isfinite(hi_m) else np.nan,
                     "median_reached": bool(np.isfinite(med))})
        for t in times:
            ok = bool(n) and t <= last_t
            s = _step_value(f.times, f.surv, t) if ok else np.nan
            se = _step_value(f.times, f.se, t, start=0.0) if ok else np.nan
            l_, h_ = _loglog_ci(np.array([s]), np.array([se]))
            at.append({"group": f.group, "duration_months": float(t), "survival": s,
                       "ci_lower": float(l_[0]) if ok else np.nan, "ci_upper": float(h_[0]) if ok else np.nan,
                       "n_at_risk": int((f.time >= t).sum()), "estimable": ok})
            if not ok and n:
                notes.append(_note("Kaplan-Meier", f.group, f"survival at {t:g} months is not estimable: the longest "
                                                            f"follow-up is {last_t:.1f} months."))
        for t in grid:
            risk.append({"group": f.group, "duration_months": float(t), "n_at_risk": int((f.time >= t).sum()),
                         "n_events": int((f.event & (f.time < t)).sum()),
                         "n_censored": int((~f.event & (f.time < t)).sum())})
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["group", "duration_months", "n_at_risk", "n_events", "survival", "std_err", "ci_lower", "ci_upper"])
    curve = curve.astype({"n_at_risk": "int64", "n_events": "int64"})
    return KaplanMeier(
        curve=curve,
        medians=pd.DataFrame(meds, columns=["group", "n_customers", "n_events", "median_months", "ci_lower",
                                            "ci_upper", "median_reached"]),
        at_times=pd.DataFrame(at, columns=["group", "duration_months", "survival", "ci_lower", "ci_upper",
                                           "n_at_risk", "estimable"]),
        at_risk=pd.DataFrame(risk, columns=["group", "duration_months", "n_at_risk", "n_events", "n_censored"]),
        group_by=group_by, notes=_notes_frame(notes))


# ============================================================================ log-rank


@dataclass(frozen=True)
class LogRank:
    """Log-rank tests (see :func:`logrank`).

    Attributes
    ----------
    overall : DataFrame
        One row: ``group_by, n_groups, statistic, df, p_value``.
    pairwise : DataFrame
        ``group_a, group_b, statistic, p_value, p_value_holm, significant``
        (Holm-corrected p-value below ``alpha``).
    notes : DataFrame
        ``section, subject, note``.
    """

    overall: pd.DataFrame
    pairwise: pd.DataFrame
    notes: pd.DataFrame

    def _repr_html_(self) -> str:
        return logrank_html(self).data


def _empty_logrank(note: dict[str, str]) -> LogRank:
    return LogRank(pd.DataFrame(columns=["group_by", "n_groups", "statistic", "df", "p_value"]),
                   pd.DataFrame(columns=["group_a", "group_b", "statistic", "p_value", "p_value_holm", "significant"]),
                   _notes_frame([note]))


def logrank(table: pd.DataFrame, *, group_by: str, min_customers: int = 1, alpha: float = 0.05) -> LogRank:
    """Log-rank test of equal survival across groups, and pairwise tests with Holm's correction.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` and ``group_by``.
    group_by : str
        Grouping column (rare levels merged as in :func:`kaplan_meier`).
    min_customers : int
        Smallest group size compared.
    alpha : float
        Level of the ``significant`` flag.

    Returns
    -------
    LogRank

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6], "event": [True] * 6,
    ...                   "plan": ["a", "a", "a", "b", "b", "b"]})
    >>> round(float(logrank(t, group_by="plan").overall.statistic[0]), 4)  # (3 - 1.15)^2 / 0.6775
    5.0517
    """
    _check_table(table, "logrank", (group_by,) if group_by else ())
    labels, levels, notes = _grouped(table, group_by, min_customers, "log-rank")
    time, event = _arrays(table)
    keep = labels.notna().to_numpy()
    cols = ["group_by", "n_groups", "statistic", "df", "p_value"]
    pcols = ["group_a", "group_b", "statistic", "p_value", "p_value_holm", "significant"]
    if len(levels) < 2 or not event[keep].any():
        notes.append(_note("log-rank", group_by, "fewer than two groups (or no churn) to compare: no test."))
        return LogRank(pd.DataFrame(columns=cols), pd.DataFrame(columns=pcols), _notes_frame(notes))
    g = labels.to_numpy()[keep]
    stat, _ = survdiff(time[keep], event[keep].astype(float), g)
    p = stats.chi2.sf(stat, len(levels) - 1)  # survdiff's 1 - cdf underflows to 0 for large statistics
    overall = pd.DataFrame([{"group_by": group_by, "n_groups": len(levels), "statistic": float(stat),
                             "df": len(levels) - 1, "p_value": float(p)}])
    rows = []
    for i, a in enumerate(levels):
        for b in levels[i + 1:]:
            m = (g == a) | (g == b)
            if event[keep][m].any():
                s, _ = survdiff(time[keep][m], event[keep][m].astype(float), g[m])
                pv = stats.chi2.sf(s, 1)
            else:
                s, pv = np.nan, np.nan
            rows.append({"group_a": a, "group_b": b, "statistic": float(s), "p_value": float(pv)})
    pair = pd.DataFrame(rows, columns=["group_a", "group_b", "statistic", "p_value"])
    ok = pair["p_value"].notna().to_numpy()
    holm = np.full(len(pair), np.nan)
    if ok.any():
        holm[ok] = multipletests(pair["p_value"].to_numpy()[ok], method="holm")[1]
    pair["p_value_holm"] = holm
    pair["significant"] = pair["p_value_holm"] < alpha
    return LogRank(overall, pair[pcols], _notes_frame(notes))


# ============================================================================ hazard by tenure


def hazard_by_tenure(table: pd.DataFrame, *, group_by: str | None = None, max_months: int | None = None,
                     min_at_risk: int = 30) -> pd.DataFrame:
    """Life table: the churn risk in each month of the customer life.

    Month ``k`` (``tenure_month``, 1 = the first month) covers durations in
    ``[k - 1, k)`` months. The actuarial estimate counts customers censored in
    the month as at risk for half of it: ``hazard = n_events / (n_at_risk -
    n_censored / 2)``, with a Wilson 95% interval on that effective size.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``group_by``).
    group_by : str, optional
        One life table per group.
    max_months : int, optional
        Last month shown; default the longest follow-up.
    min_at_risk : int
        Months with fewer customers at risk are flagged ``reliable`` False.

    Returns
    -------
    DataFrame
        ``group, tenure_month, n_at_risk, n_events, n_censored, hazard,
        ci_lower, ci_upper, reliable``.

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [0.5, 1.5, 1.7, 3.0], "event": [True, True, False, False]})
    >>> hazard_by_tenure(t)[["tenure_month", "n_at_risk", "n_events", "hazard"]].round(3).values.tolist()
    [[1.0, 4.0, 1.0, 0.25], [2.0, 3.0, 1.0, 0.4], [3.0, 1.0, 0.0, 0.0], [4.0, 1.0, 0.0, 0.0]]
    """
    from .kpis import wilson_interval

    _check_table(table, "hazard_by_tenure")
    labels, levels, _ = _grouped(table, group_by, 1, "hazard")
    time, event = _arrays(table)
    out = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        t, e = time[m], event[m]
        if not len(t):
            continue
        last = int(np.floor(t.max())) + 1 if max_months is None else int(max_months)
        k = np.minimum(np.floor(t).astype(int), last)  # month index 0.. of each exit
        d = np.bincount(k[e], minlength=last + 1)[:last]
        c = np.bincount(k[~e], minlength=last + 1)[:last]
        exits = np.bincount(k, minlength=last + 1)[:last]
        n = len(t) - np.concatenate([[0], np.cumsum(exits)[:-1]])
        eff = n - c / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(eff > 0, d / eff, np.nan)
        lo, hi = wilson_interval(d, eff)
        out.append(pd.DataFrame({"group": lv, "tenure_month": np.arange(1, last + 1), "n_at_risk": n,
                                 "n_events": d, "n_censored": c, "hazard": h, "ci_lower": lo, "ci_upper": hi,
                                 "reliable": n >= min_at_risk}))
    cols = ["group", "tenure_month", "n_at_risk", "n_events", "n_censored", "hazard", "ci_lower", "ci_upper",
            "reliable"]
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
    return res[res["n_at_risk"] > 0].reset_index(drop=True)[cols]


# ============================================================================ Cox


@dataclass(frozen=True)
class CoxResult:
    """Cox proportional hazards model (see :func:`cox_hazard_ratios`).

    Attributes
    ----------
    hazard_ratios : DataFrame
        One row per model term: ``term, covariate, level, reference, kind,
        hazard_ratio, ci_lower, ci_upper, p_value, coef, std_err, n_customers,
        n_events`` (customers and churn events with the level; for numeric
        covariates all rows). ``kind`` is categorical, binary or numeric.
    ph_check : DataFrame
        ``term, covariate, rho, statistic, p_value, violation, suggestion``.
    notes : DataFrame
        ``section, subject, note``: covariates and levels merged or dropped, rows
        left out, the landmark, the fallback fit.
    fit : DataFrame
        One row: ``status, method, n_customers, n_events, n_terms, landmark_days,
        log_likelihood, penalty``.
    status : str
        ``ok``, ``penalized`` (fallback fit), ``too_few_events`` or
        ``no_covariates``.
    explanation : str
        Plain-language statement of what was fitted, and why when not ``ok``.
    """

    hazard_ratios: pd.DataFrame
    ph_check: pd.DataFrame
    notes: pd.DataFrame
    fit: pd.DataFrame
    status: str
    explanation: str

    def _repr_html_(self) -> str:
        return cox_html(self).data


_HR_COLS = ["term", "covariate", "level", "reference", "kind", "hazard_ratio", "ci_lower", "ci_upper", "p_value",
            "coef", "std_err", "n_customers", "n_events"]
_PH_COLS = ["term", "covariate", "rho", "statistic", "p_value", "violation", "suggestion"]


def _check_reference(cov: str, ref: str, present: list[str]) -> None:
    if ref not in present:
        shown = ", ".join(repr(lv) for lv in present[:10]) + (" ..." if len(present) > 10 else "")
        raise ConfigError(f"survival.reference_levels: the reference level {ref!r} of covariate {cov!r} is not "
                          f"present in this unit's customers; levels present: {shown}. Set "
                          f"survival.reference_levels.{cov} in the unit's params to one of them (or remove it to use "
                          "the most frequent level).")


def _design(table: pd.DataFrame, covariates: list[str], min_count: int,
            reference_levels: dict[str, str] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[dict[str, str]]]:
    """Design matrix (0/1 dummies and numeric columns), term metadata, rows kept, notes."""
    refs = dict(reference_levels or {})
    unknown = sorted(set(refs) - set(covariates))
    if unknown:
        raise ConfigError(f"survival.reference_levels: {unknown} {'is' if len(unknown) == 1 else 'are'} not among "
                          f"the Cox covariates {list(covariates)} (survival.covariates); a reference level is set "
                          "only for a modelled covariate.")
    notes: list[dict[str, str]] = []
    keep = np.ones(len(table), dtype=bool)
    cols: dict[str, np.ndarray] = {}
    meta = []
    for cov in covariates:
        if cov not in table.columns:
            raise ConfigError(f"survival.covariates: {cov!r} is neither a customer attribute nor a derived feature "
                              f"of this unit; available: {_available(table)}. Remove it or fix the spelling in the "
                              "unit's params.")
        x = table[cov]
        is_bin = pd.api.types.is_bool_dtype(x) or (pd.api.types.is_numeric_dtype(x) and x.dropna().isin([0, 1]).all()
                                                   and x.notna().all())
        if is_bin:
            v = x.astype(float).to_numpy()
            n1, n0 = int(v.sum()), int(len(v) - v.sum())
            ref = str(refs.get(cov, "no")).lower()
            if cov in refs:
                _check_reference(cov, ref, ["no", "yes"] if pd.api.types.is_bool_dtype(x) else ["0", "1"])
                ref = {"0": "no", "1": "yes"}.get(ref, ref)
            if min(n1, n0) < min_count:
                notes.append(_note("Cox", cov, f"dropped: only {min(n1, n0)} customers are "
                                                f"{'with' if n1 < n0 else 'without'} it (fewer than {min_count})."))
                continue
            level = "no" if ref == "yes" else "yes"
            cols[cov] = 1.0 - v if ref == "yes" else v
            meta.append({"term": cov, "covariate": cov, "level": level, "reference": ref, "kind": "binary"})
        elif pd.api.types.is_numeric_dtype(x):
            if cov in refs:
                raise ConfigError(f"survival.reference_levels: covariate {cov!r} is numeric (one hazard ratio per "
                                  "unit), so it has no reference level; remove it from survival.reference_levels.")
            v = x.astype(float).to_numpy()
            bad = ~np.isfinite(v)
            if bad.all() or np.nanstd(v) == 0:
                notes.append(_note("Cox", cov, "dropped: no variation (or no values) in this unit."))
                continue
            if bad.any():
                notes.append(_note("Cox", cov, f"{int(bad.sum())} customers without a value left out of the model."))
                keep &= ~bad
            cols[cov] = np.where(bad, 0.0, v)
            meta.append({"term": cov, "covariate": cov, "level": "per unit", "reference": "", "kind": "numeric"})
        else:
            labels, more = _merge_rare(_labels(x), min_count, section="Cox", name=cov)
            notes += more
            if labels.isna().any():
                keep &= labels.notna().to_numpy()
            levels = _order_levels(labels)
            if cov in refs:
                _check_reference(cov, str(refs[cov]), levels)
                levels = [str(refs[cov])] + [lv for lv in levels if lv != str(refs[cov])]
            if len(levels) < 2:
                only = f"'{levels[0]}'" if levels else "none"
                notes.append(_note("Cox", cov, f"dropped: only one level ({only}) in this unit."))
                continue
            ref = levels[0]
            for lv in levels[1:]:
                name = f"{cov}[{lv}]"
                cols[name] = (labels == lv).to_numpy(dtype=float)
                meta.append({"term": name, "covariate": cov, "level": lv, "reference": ref, "kind": "categorical"})
    X = pd.DataFrame(cols, index=table.index)
    return X, pd.DataFrame(meta, columns=["term", "covariate", "level", "reference", "kind"]), keep, notes


def _drop_aliased(X: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, str]]]:
    """Drop terms without variation or fully determined by earlier terms (collinear dummies), with notes.

    Works on the centred cross-product matrix (the Cox model has no intercept,
    so a constant column is not identified either); terms are tried in model
    order, so the later of two aliased terms is dropped.
    """
    notes: list[dict[str, str]] = []
    if X.shape[1] == 0:
        return X, meta, notes
    xa = X.to_numpy(dtype=float)
    xc = xa - xa.mean(axis=0)
    C = xc.T @ xc
    kept: list[int] = []
    for j in range(xa.shape[1]):
        cjj = C[j, j]
        if cjj <= 1e-9 * max(len(xa), 1):
            notes.append(_note("Cox", meta["term"].iloc[j], "dropped: no variation among the modelled customers."))
            continue
        if kept:
            ck = C[np.ix_(kept, kept)]
            coef = np.linalg.lstsq(ck, C[kept, j], rcond=None)[0]
            resid = cjj - C[j, kept] @ coef
            if resid <= 1e-8 * cjj:
                others = ", ".join(meta["term"].iloc[kept][np.abs(coef) > 1e-6][:5])
                notes.append(_note("Cox", meta["term"].iloc[j], f"dropped: fully determined by other terms "
                                                                 f"({others}); the same customers, so its ratio is "
                                                                 "not identifiable."))
                continue
        kept.append(j)
    return X.iloc[:, kept], meta.iloc[kept].reset_index(drop=True), notes


def _fit_is_sound(res: PHRegResults) -> str:
    """Empty when the fit looks sound, else the reason."""
    p, se = np.asarray(res.params), np.asarray(res.bse)
    if not np.all(np.isfinite(p)) or not np.all(np.isfinite(se)):
        return "some estimates are not finite"
    if np.any(np.abs(p) > 10) or np.any(se > 5):
        return "some hazard ratios run off to zero or infinity (a level with no churn, or perfect separation)"
    return ""


def _ridge(model: PHReg, penalty: float, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Ridge-penalized partial likelihood by Newton's method with step halving."""
    k = model.exog.shape[1]
    beta = np.where(np.isfinite(start) & (np.abs(start) < 10), start, 0.0)

    def obj(b: np.ndarray) -> float:
        return float(model.loglike(b) - 0.5 * penalty * b @ b)

    cur = obj(beta)
    for _ in range(100):
        g = model.score(beta) - penalty * beta
        H = model.hessian(beta) - penalty * np.eye(k)
        step = np.linalg.solve(H, -g)
        t = 1.0
        while t > 1e-8:
            new = beta + t * step
            val = obj(new)
            if np.isfinite(val) and val >= cur - 1e-12:
                break
            t /= 2
        beta, done = new, abs(val - cur) < 1e-10
        cur = val
        if done:
            break
    cov = np.linalg.inv(-(model.hessian(beta) - penalty * np.eye(k)))
    return beta, cov, float(model.loglike(beta))


def _km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 - KM(t) at each time (the 'km' time transform of the PH test)."""
    sf = SurvfuncRight(time, event.astype(float))
    i = np.searchsorted(sf.surv_times, time, side="right") - 1
    s = np.where(i >= 0, sf.surv_prob[np.maximum(i, 0)], 1.0)
    return 1.0 - s


def _ph_check(res: PHRegResults, meta: pd.DataFrame, time: np.ndarray, event: np.ndarray,
              alpha: float = 0.05) -> pd.DataFrame:
    """Scaled Schoenfeld residuals against the KM transform of time, per term."""
    sch = np.asarray(res.schoenfeld_residuals)
    ev = event & np.all(np.isfinite(sch), axis=1)
    V = np.asarray(res.cov_params())
    d = int(event.sum())
    if ev.sum() < 3:
        return pd.DataFrame(columns=_PH_COLS)
    scaled = d * sch[ev] @ V + np.asarray(res.params)
    g = _km_transform(time, event)[ev]
    gc = g - g.mean()
    rows = []
    for j, m in enumerate(meta.itertuples()):
        num = (gc * scaled[:, j]).sum() ** 2
        stat = num / (d * V[j, j] * (gc ** 2).sum()) if (gc ** 2).sum() > 0 else np.nan
        p = float(stats.chi2.sf(stat, 1)) if np.isfinite(stat) else np.nan
        with np.errstate(all="ignore"):
            rho = float(np.corrcoef(g, scaled[:, j])[0, 1]) if np.std(scaled[:, j]) > 0 else np.nan
        bad = bool(np.isfinite(p) and p < alpha)
        trend = "grows" if rho > 0 else "fades"
        if not bad:
            sugg = "none needed: the hazard ratio is stable over the customer life"
        elif m.kind == "categorical":
            sugg = (f"the effect {trend} with tenure: stratify by {m.covariate} (a separate baseline per level) or "
                    "split follow-up time (e.g. first 12 months vs later) and report a ratio per period")
        else:
            sugg = (f"the effect {trend} with tenure: split follow-up time (e.g. first 12 months vs later) and report "
                    "a ratio per period; the single ratio is an average over the customer life")
        rows.append({"term": m.term, "covariate": m.covariate, "rho": rho, "statistic": float(stat), "p_value": p,
                     "violation": bad, "suggestion": sugg})
    return pd.DataFrame(rows, columns=_PH_COLS)


def _empty_cox(status: str, why: str, notes: list[dict[str, str]], base: dict[str, Any]) -> CoxResult:
    fit = pd.DataFrame([{"status": status, **base}])
    return CoxResult(pd.DataFrame(columns=_HR_COLS), pd.DataFrame(columns=_PH_COLS),
                     _notes_frame(notes + [_note("Cox", status.replace("_", " "), why)]), fit, status, why)


def cox_hazard_ratios(table: pd.DataFrame, *, covariates: list[str] | tuple[str, ...],
                      min_level_customers: int = 30, landmark_days: int | None = None,
                      alpha: float = 0.05, reference_levels: dict[str, str] | None = None) -> CoxResult:
    """Cox proportional hazards model (Efron ties): hazard ratios, intervals, and a PH check.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``duration_days`` when
        ``landmark_days`` is given) and the covariate columns; not modified.
    covariates : list of str
        Columns: text → categorical (dummies against the most frequent level),
        booleans or 0/1 → binary, other numbers → linear per unit.
    min_level_customers : int
        Levels with fewer customers are merged into ``"other (rare)"``; binary
        covariates with fewer customers on either side are dropped.
    landmark_days : int, optional
        Fit on the customers still active this many days after their start,
        with risk counted from that day (delayed entry); used when covariates
        describe the early life (see the module docstring).
    alpha : float
        1 - coverage of the intervals; level of the PH-check flag.
    reference_levels : dict of str to str, optional
        Covariate -> its reference level (``survival.reference_levels``); default the
        most frequent level (``no`` for binary covariates).

    Returns
    -------
    CoxResult

    Raises
    ------
    ConfigError
        A covariate that is not a column of ``table``; a reference level that is not
        present among the (rare-merged) levels, or set for a numeric covariate or one
        not modelled.

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": [True] * 8,
    ...                   "vip": [0, 1, 0, 1, 0, 1, 1, 0]})
    >>> res = cox_hazard_ratios(t, covariates=["vip"], min_level_customers=1)
    >>> res.status, res.hazard_ratios.term.tolist()
    ('too_few_events', [])
    """
    _check_table(table, "cox_hazard_ratios")
    notes: list[dict[str, str]] = []
    work = table
    entry = None
    if landmark_days:
        if "duration_days" not in table.columns:
            raise DataError("cox_hazard_ratios: landmark_days needs a duration_days column in the lifetimes table.")
        alive = table["duration_days"].to_numpy() > landmark_days
        n_out = int((~alive).sum())
        notes.append(_note("Cox", "landmark", f"early-life features are known only after {landmark_days} days, so the "
                                               f"model uses the {int(alive.sum()):,} customers still active "
                                               f"{landmark_days} days after their start and counts their risk from "
                                               f"then on; {n_out:,} customers who left earlier are not in it."))
        work = table[alive]
        entry = np.full(len(work), landmark_days / DAYS_PER_MONTH)
    X, meta, keep, more = _design(work, list(covariates), min_level_customers, reference_levels)
    notes += more
    time, event = _arrays(work)
    if not keep.all():
        notes.append(_note("Cox", "rows", f"{int((~keep).sum()):,} customers left out of the model (see above)."))
        X, time, event = X[keep], time[keep], event[keep]
        entry = entry[keep] if entry is not None else None
    X, meta, more = _drop_aliased(X, meta)
    notes += more
    n, d, k = len(time), int(event.sum()), X.shape[1]
    base = {"method": "", "n_customers": n, "n_events": d, "n_terms": k,
            "landmark_days": landmark_days or 0, "log_likelihood": np.nan, "penalty": 0.0}

    if k == 0:
        return _empty_cox("no_covariates", "No covariate is left to model (see the notes), so no hazard ratios.",
                          notes, base)
    need = max(EVENTS_PER_TERM * k, MIN_EVENTS)
    if d < need:
        return _empty_cox("too_few_events", f"Too few events: {d} churn events for {k} model terms; a Cox model "
                                            f"needs about {EVENTS_PER_TERM} events per term ({need}), so no hazard "
                                            "ratios are shown.", notes, base)
    Xa = X.to_numpy(dtype=float)
    model = PHReg(time, Xa, status=event.astype(float), entry=entry, ties="efron")
    status, method, penalty = "ok", "Cox proportional hazards, Efron ties (statsmodels PHReg)", 0.0
    explanation = (f"Cox proportional hazards model on {n:,} customers and {d:,} churn events; each ratio compares "
                   "customers who differ only in that trait (the other traits held equal). Ratios describe "
                   "associations in the data, not proof of cause.")
    reason = ""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = model.fit()
        conv = [w for w in caught if "converge" in str(w.message).lower()]
        reason = "the optimizer did not converge" if conv else _fit_is_sound(res)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        reason, res = f"the fit failed ({type(exc).__name__}: {exc})", None
    if reason:
        start = np.asarray(res.params) if res is not None else np.zeros(k)
        beta, cov, ll = _ridge(model, RIDGE_PENALTY, start)
        res = PHRegResults(model, beta, cov)
        status, penalty = "penalized", RIDGE_PENALTY
        method = f"ridge-penalized Cox (penalty {RIDGE_PENALTY:g}), Efron ties"
        explanation = (f"The standard Cox fit was not usable ({reason}), so the ratios come from a ridge-penalized "
                       f"fit (penalty {RIDGE_PENALTY:g}: a normal prior with standard deviation 1 on each log hazard "
                       "ratio). It shrinks extreme ratios toward 1; intervals are approximate.")
        notes.append(_note("Cox", "fallback", explanation))
    params, se = np.asarray(res.params), np.asarray(res.bse)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(all="ignore"):
        pv = 2 * stats.norm.sf(np.abs(params / se))
    n_lv = (Xa != 0).sum(axis=0)
    d_lv = ((Xa != 0) & event[:, None]).sum(axis=0)
    hr = meta.assign(hazard_ratio=np.exp(params), ci_lower=np.exp(params - z * se), ci_upper=np.exp(params + z * se),
                     p_value=pv, coef=params, std_err=se, n_customers=n_lv, n_events=d_lv)
    num = (meta["kind"] == "numeric").to_numpy()
    hr.loc[num, "n_customers"], hr.loc[num, "n_events"] = n, d
    ph = _ph_check(res, meta, time, event, alpha)
    base.update(method=method, log_likelihood=float(model.loglike(params)), penalty=penalty)
    fit = pd.DataFrame([{"status": status, **base}])
    return CoxResult(hr[_HR_COLS].reset_index(drop=True), ph, _notes_frame(notes), fit, status, explanation)


# ============================================================================ RMST


@dataclass(frozen=True)
class RMST:
    """Restricted mean survival time (see :func:`rmst`).

    Attributes
    ----------
    by_group : DataFrame
        ``group, horizon_months, rmst_months, std_err, ci_lower, ci_upper,
        n_customers, n_events, estimable`` (False: follow-up shorter than the
        horizon, value NaN).
    differences : DataFrame
        ``group, reference, difference_months, std_err, ci_lower, ci_upper,
        p_value``: each group minus the reference group (the largest).
    horizon_months : float
    """

    by_group: pd.DataFrame
    differences: pd.DataFrame
    horizon_months: float

    def _repr_html_(self) -> str:
        return rmst_html(self).data


def _rmst_one(f: _Fit, tau: float) -> tuple[float, float]:
    """Area under the KM curve up to ``tau`` and its Greenwood-type variance."""
    if not len(f.time) or f.time.max() < tau:
        return np.nan, np.nan
    t, s = f.times, f.surv
    m = t <= tau
    t, s = t[m], s[m]
    n, d = (f.sf.n_risk[m], f.sf.n_events[m]) if f.sf is not None else (np.empty(0), np.empty(0))
    knots = np.concatenate([[0.0], t, [tau]])
    level = np.concatenate([[1.0], s])
    area = np.diff(knots) * level  # area of each step
    total = float(area.sum())
    # A_i: area from event time t_i to tau
    tail = np.cumsum(area[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > d, tail ** 2 * d / (n * (n - d)), 0.0)
    return total, float(term.sum())


def rmst(table: pd.DataFrame, *, horizon_months: float = 24, group_by: str | None = None,
         min_customers: int = 1, alpha: float = 0.05) -> RMST:
    """Restricted mean survival time: average months of customer life within a horizon.

    The area under the Kaplan-Meier curve from 0 to ``horizon_months``, with
    the usual variance ``sum A_i^2 d_i / (n_i (n_i - d_i))`` over churn times
    ``t_i`` up to the horizon, ``A_i`` the area from ``t_i`` to the horizon
    (as R ``survRM2``). Differences between groups assume independent groups.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``group_by``).
    horizon_months : float
        Horizon (``survival.horizon_months``).
    group_by : str, optional
        Grouping column.
    min_customers : int
        Smaller groups are merged (see :func:`kaplan_meier`).
    alpha : float
        1 - coverage of the intervals.

    Returns
    -------
    RMST

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0], "event": [True, False, True]})
    >>> float(rmst(t, horizon_months=3).by_group.rmst_months[0])  # 1 + 2/3 * 2
    2.3333333333333335
    """
    _check_table(table, "rmst")
    labels, levels, _ = _grouped(table, group_by, min_customers, "RMST")
    time, event = _arrays(table)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for lv in levels:
        m = (labels == lv).to_numpy()
        f = _fit(lv, time[m], event[m])
        val, var = _rmst_one(f, horizon_months)
        se = math.sqrt(var) if np.isfinite(var) else np.nan
        rows.append({"group": lv, "horizon_months": float(horizon_months), "rmst_months": val, "std_err": se,
                     "ci_lower": val - z * se, "ci_upper": val + z * se, "n_customers": int(m.sum()),
                     "n_events": int(event[m].sum()), "estimable": bool(np.isfinite(val))})
    by = pd.DataFrame(rows, columns=["group", "horizon_months", "rmst_months", "std_err", "ci_lower", "ci_upper",
                                     "n_customers", "n_events", "estimable"])
    diffs = []
    if len(by) > 1:
        ref = by.iloc[0]
        for r in by.iloc[1:].itertuples():
            dlt = r.rmst_months - ref.rmst_months
            se = math.sqrt(r.std_err ** 2 + ref.std_err ** 2)
            p = 2 * stats.norm.sf(abs(dlt / se)) if se > 0 else np.nan
            diffs.append({"group": r.group, "reference": ref.group, "difference_months": dlt, "std_err": se,
                          "ci_lower": dlt - z * se, "ci_upper": dlt + z * se, "p_value": p})
    dif = pd.DataFrame(diffs, columns=["group", "reference", "difference_months", "std_err", "ci_lower", "ci_upper",
                                       "p_value"])
    return RMST(by, dif, float(horizon_months))


# ============================================================================ competing risks


@dataclass(frozen=True)
class CompetingRisks:
    """Cumulative incidence of voluntary and involuntary churn (see :func:`competing_risks`).

    Attributes
    ----------
    incidence : DataFrame
        ``cause, duration_months, cumulative_incidence, std_err, ci_lower,
        ci_upper`` (Aalen-Johansen via statsmodels ``CumIncidenceRight``;
        log(-log) 95% intervals), starting at 0.
    at_times : DataFrame
        ``cause, duration_months, cumulative_incidence, ci_lower, ci_upper,
        estimable`` at :data:`TIMES`.
    reasons : DataFrame
        ``churn_type, churn_reason, n_churned, share, share_of_type``: churn
        events by reason (shares of all churn events and of the type's).
    notes : DataFrame
        ``section, subject, note``.
    """

    incidence: pd.DataFrame
    at_times: pd.DataFrame
    reasons: pd.DataFrame
    notes: pd.DataFrame

    def _repr_html_(self) -> str:
        return _reasons_html(self)


def competing_risks(table: pd.DataFrame, *, times: tuple[float, ...] = TIMES) -> CompetingRisks:
    """Cumulative incidence of churn by cause (``churn_type``), and the churn reasons.

    Causes are ``voluntary`` and ``involuntary``; churn events without a type
    form the cause ``unknown`` (noted).

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event, churn_type`` and optionally
        ``churn_reason`` (explicit churn units).
    times : tuple of float
        Months reported in ``at_times``.

    Returns
    -------
    CompetingRisks

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4], "event": [True, True, False, True],
    ...                   "churn_type": ["voluntary", "involuntary", None, "voluntary"]})
    >>> cr = competing_risks(t, times=(4,))
    >>> cr.at_times[["cause", "cumulative_incidence"]].round(4).values.tolist()
    [['voluntary', 0.75], ['involuntary', 0.25]]
    """
    _check_table(table, "competing_risks", ("churn_type",))
    time, event = _arrays(table)
    ctype = table["churn_type"].astype(object).where(table["churn_type"].notna(), None).to_numpy()
    known = ["voluntary", "involuntary"]
    notes = []
    unknown = event & ~np.isin(ctype, known)
    cause_of = np.where(unknown, "unknown", ctype)
    causes = [c for c in known + ["unknown"] if (event & (cause_of == c)).any()]  # codes 1.. in this order
    if unknown.any():
        notes.append(_note("competing risks", "churn_type", f"{int(unknown.sum())} churn events have no (or another) "
                                                            "churn type; shown as 'unknown'."))
    for c in known:
        if c not in causes and event.any():
            notes.append(_note("competing risks", c, f"no {c} churn recorded so far."))
    status = np.zeros(len(time), dtype=float)
    for i, c in enumerate(causes, start=1):
        status[event & (cause_of == c)] = i
    inc_rows, at_rows = [], []
    if event.any():
        with np.errstate(divide="ignore", invalid="ignore"):  # last risk set all churned: its SE is undefined
            ci = CumIncidenceRight(time, status)
        for i, c in enumerate(causes):
            f = ci.cinc[i]
            se = ci.cinc_se[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                w = _Z * se / (f * np.abs(np.log(f)))
                lo, hi = f ** np.exp(w), f ** np.exp(-w)
            lo = np.where(f > 0, lo, 0.0)
            hi = np.where(f > 0, hi, 0.0)
            inc_rows.append(pd.DataFrame({"cause": c, "duration_months": np.r_[0.0, ci.times],
                                          "cumulative_incidence": np.r_[0.0, f], "std_err": np.r_[0.0, se],
                                          "ci_lower": np.r_[0.0, lo], "ci_upper": np.r_[0.0, hi]}))
            for t in times:
                ok = t <= time.max()
                j = np.searchsorted(ci.times, t, side="right") - 1
                val = float(f[j]) if (ok and j >= 0) else (0.0 if ok else np.nan)
                at_rows.append({"cause": c, "duration_months": float(t), "cumulative_incidence": val,
                                "ci_lower": float(lo[j]) if ok and j >= 0 else (0.0 if ok else np.nan),
                                "ci_upper": float(hi[j]) if ok and j >= 0 else (0.0 if ok else np.nan),
                                "estimable": bool(ok)})
    inc = pd.concat(inc_rows, ignore_index=True) if inc_rows else pd.DataFrame(
        columns=["cause", "duration_months", "cumulative_incidence", "std_err", "ci_lower", "ci_upper"])
    ev = table[event]
    reason = ev["churn_reason"] if "churn_reason" in ev.columns else pd.Series(np.nan, index=ev.index)
    r = pd.DataFrame({"churn_type": _labels(ev["churn_type"]).replace({MISSING: "unknown"}),
                      "churn_reason": _labels(reason).replace({MISSING: "not recorded"})})
    reasons = r.value_counts().rename("n_churned").reset_index()
    total = max(int(event.sum()), 1)
    reasons["share"] = reasons["n_churned"] / total
    reasons["share_of_type"] = reasons["n_churned"] / reasons.groupby("churn_type")["n_churned"].transform("sum")
    reasons = reasons.sort_values(["churn_type", "n_churned"], ascending=[False, False]).reset_index(drop=True)
    at_cols = ["cause", "duration_months", "cumulative_incidence", "ci_lower", "ci_upper", "estimable"]
    return CompetingRisks(inc, pd.DataFrame(at_rows, columns=at_cols), reasons, _notes_frame(notes))


# ============================================================================ sensitivity


def inactivity_sensitivity(data: UnitData, *, thresholds: tuple[int, ...] = SENSITIVITY_DAYS,
                           months: float = 12) -> pd.DataFrame:
    """Median lifetime and survival at ``months`` under other inactivity thresholds.

    The lifetimes are recomputed with :func:`retention_utils.lifetimes.lifetimes`
    (the shared definition, only the threshold changes; the left-truncation
    rule moves with it, so the number of customers differs slightly).

    Parameters
    ----------
    data : UnitData
        A unit with ``churn.method: inactivity``.
    thresholds : tuple of int
        Inactivity thresholds in days; the unit's own threshold is added.
    months : float
        Time of the survival column.

    Returns
    -------
    DataFrame
        ``threshold_days, configured, n_customers, n_left_truncated, n_events,
        median_months, median_ci_lower, median_ci_upper, survival_at,
        survival_ci_lower, survival_ci_upper, months``.

    Raises
    ------
    ConfigError
        If the unit's churn is explicit (there is no threshold to vary).
    """
    ch = data.config.churn
    if ch.method != "inactivity":
        raise ConfigError(f"inactivity_sensitivity: unit {data.config.unit!r} uses churn.method {ch.method!r} "
                          "(recorded cancellations), so there is no inactivity threshold to vary.")
    rows = []
    for days in sorted(set(int(d) for d in thresholds) | {ch.inactivity_days}):
        cfg = data.config.model_copy(update={"churn": ch.model_copy(update={"inactivity_days": days})})
        life = lifetimes(dataclasses.replace(data, config=cfg))
        km = kaplan_meier(life.table, times=(months,))
        med, at = km.medians.iloc[0], km.at_times.iloc[0]
        rows.append({"threshold_days": days, "configured": days == ch.inactivity_days,
                     "n_customers": len(life.table), "n_left_truncated": life.n_left_truncated,
                     "n_events": int(life.table["event"].sum()), "median_months": med.median_months,
                     "median_ci_lower": med.ci_lower, "median_ci_upper": med.ci_upper,
                     "survival_at": at.survival, "survival_ci_lower": at.ci_lower,
                     "survival_ci_upper": at.ci_upper, "months": float(months)})
    return pd.DataFrame(rows)


# ============================================================================ the analysis


@dataclass(frozen=True)
class SurvivalAnalysis:
    """Every survival result of one unit (see :func:`survival_analysis`).

    Attributes
    ----------
    unit, label, month, method, rule : str
        Unit name, display name, report month (YYYY-MM), churn method and its
        plain-language rule.
    spec : SurvivalSpec
        The settings used.
    life : Lifetimes
        Lifetimes with the early-life features.
    km_all, km : KaplanMeier
        All customers; by ``spec.group_by`` (same as ``km_all`` without one).
    logrank : LogRank
        Empty tables and a note saying why when there is nothing to compare.
    hazard : DataFrame
        :func:`hazard_by_tenure` of all customers (empty when too few events).
    cox : CoxResult
    rmst : RMST
        By group (all customers without a grouping).
    competing : CompetingRisks or None
        Explicit churn only.
    sensitivity : DataFrame or None
        Inactivity churn only.
    notes : DataFrame
        ``section, subject, note``: every note of the analysis.
    too_few_events : bool
        Fewer than :data:`MIN_EVENTS` churn events.
    min_customers : int
    """

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

    def _repr_html_(self) -> str:
        return headline_html(self).data


def survival_analysis(data: UnitData, *, spec: SurvivalSpec | None = None) -> SurvivalAnalysis:
    """Run the whole survival analysis of a unit, as configured in ``params: survival``.

    Parameters
    ----------
    data : UnitData
        The unit's data (:func:`retention_utils.load_unit_data`).
    spec : SurvivalSpec, optional
        Settings overriding the unit's ``survival`` params.

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
    if few:
        unknown = [c for c in covs if c not in table.columns]
        if unknown:
            _design(table, unknown, min_n)  # raises the ConfigError naming the covariate
        base = {"method": "", "n_customers": len(table), "n_events": n_ev, "n_terms": 0, "landmark_days": 0,
                "log_likelihood": np.nan, "penalty": 0.0}
        cox = _empty_cox("too_few_events", f"Too few events: {n_ev} churn events, so no model of what drives churn.",
                         [], base)
    elif not covs:
        base = {"method": "", "n_customers": len(table), "n_events": n_ev, "n_terms": 0, "landmark_days": 0,
                "log_likelihood": np.nan, "penalty": 0.0}
        cox = _empty_cox("no_covariates", no_covs[0].upper() + no_covs[1:], [], base)
    else:
        cox = cox_hazard_ratios(table, covariates=covs, min_level_customers=min_n, landmark_days=landmark,
                                reference_levels=spec.reference_levels)
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
    frames = [_notes_frame(notes), km.notes, cox.notes]
    if km is not km_all:
        frames.insert(1, km_all.notes)
    if group_by and len(lr.overall):
        frames.append(lr.notes)
    if comp is not None:
        frames.append(comp.notes)
    all_notes = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else _notes_frame([])
    return SurvivalAnalysis(unit=cfg.unit, label=cfg.label, month=data.month_label, method=method,
                            rule=life.rule, spec=spec, life=life, km_all=km_all, km=km, logrank=lr, hazard=hz,
                            cox=cox, rmst=rm, competing=comp, sensitivity=sens, notes=all_notes,
                            too_few_events=few, min_customers=min_n)


def snapshot_lifetimes(data: UnitData) -> Lifetimes:
    """Lifetimes of a snapshot unit (``data.kind == "snapshot"``): one row per customer.

    The recorded tenure (``tenure_months``) is the length of each life; a customer
    flagged ``churned`` ended it, the others are still customers (censored at the
    snapshot). Built with :func:`lifetimes_from_snapshot`; the other columns
    (``churn_type, churn_reason`` and the attributes) are kept, dates and internal
    keys are not (they are not covariates).
    """
    if getattr(data, "kind", "orders") != "snapshot" or getattr(data, "snapshot", None) is None:
        raise ConfigError(f"unit {data.config.unit!r} is not a snapshot unit (sources.snapshot); use "
                          "survival_analysis for an order history.")
    df = data.snapshot.to_pandas()
    df = df.drop(columns=[c for c in ("customer_key", "business_unit", "start_date", "end_date") if c in df.columns])
    table = lifetimes_from_snapshot(df, duration="tenure_months", event="churned", customer_id="customer_id")
    rule = ("a customer's life is the tenure recorded in the snapshot table (months); it ended in churn when the "
            "churn flag is set, otherwise the customer is still active and counted as censored at the snapshot")
    return Lifetimes(table=table, n_left_truncated=0, rule=rule)


def snapshot_survival(data: UnitData, *, spec: SurvivalSpec | None = None) -> SurvivalAnalysis:
    """Survival analysis of a snapshot unit (one row per customer: tenure and a churn flag).

    Kaplan-Meier with the at-risk table, log-rank tests by ``survival.group_by``,
    Cox on ``survival.covariates`` (with ``survival.reference_levels``), RMST to
    ``survival.horizon_months`` and, when churn types are recorded, competing risks:
    the sections of :func:`survival_analysis`, on :func:`snapshot_lifetimes`.
    There is no inactivity threshold (no sensitivity table) and no early-life features.

    Raises
    ------
    ConfigError
        Not a snapshot unit; ``group_by`` / ``covariates`` / ``reference_levels`` naming
        a column or level the snapshot does not have.
    """
    if getattr(data, "kind", "orders") != "snapshot":
        raise ConfigError(f"unit {data.config.unit!r} is not a snapshot unit (sources.snapshot); use "
                          "survival_analysis for an order history.")
    return survival_analysis(data, spec=spec)


# ============================================================================ words


def _m(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.1f}"


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x * 100:.0f}%"


#: What a table shows where a number cannot be computed from the data (never "n/a" or "nan").
NOT_ESTIMABLE = "not estimable"


def _limit(x: float, open_text: str) -> str:
    return _m(x) if x is not None and np.isfinite(x) else open_text


def _median_text(median: float, lo: float, hi: float, n: int) -> str:
    """Median lifetime with its interval in words.

    Examples
    --------
    >>> _median_text(3.0, 2.0, float("nan"), 10), _median_text(float("nan"), 1, 2, 10), _median_text(1, 1, 1, 0)
    ('3.0 (2.0–open)', 'not reached', 'no customers')
    >>> _median_text(0.0, float("nan"), float("nan"), 10)
    '0.0 (interval not estimable)'
    """
    if not n:
        return "no customers"
    if median is None or not np.isfinite(median):
        return "not reached"
    if not (lo is not None and np.isfinite(lo)) and not (hi is not None and np.isfinite(hi)):
        return f"{_m(median)} (interval not estimable)"
    return f"{_m(median)} ({_limit(lo, 'open')}–{_limit(hi, 'open')})"


def _who(row: Any, early_days: int) -> tuple[str, str]:
    """(the customers with the trait, the comparison group) in words."""
    if row.covariate in DERIVED_FEATURES:
        trait = DERIVED_FEATURES[row.covariate].format(days=early_days)
        return f"customers with {trait}", "those without"
    if row.kind == "binary":
        return f"customers with {row.covariate}", "those without"
    if row.kind == "numeric":
        return f"each extra unit of {row.covariate}", ""
    return f"customers with {row.covariate} '{row.level}'", f"those with '{row.reference}'"


def term_label(row: Any, early_days: int) -> str:
    """Short label of a Cox term, e.g. ``plan: premium (vs basic)``.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> term_label(R(covariate="early_complaint", kind="binary", level="yes", reference="no"), 30)
    'a complaint in their first 30 days (yes vs no)'
    >>> term_label(R(covariate="plan", kind="categorical", level="premium", reference="basic"), 30)
    'plan: premium (vs basic)'
    """
    if row.covariate in DERIVED_FEATURES:
        return DERIVED_FEATURES[row.covariate].format(days=early_days) + " (yes vs no)"
    if row.kind == "binary":
        return f"{row.covariate} (yes vs no)"
    if row.kind == "numeric":
        return f"{row.covariate} (per unit)"
    return f"{row.covariate}: {row.level} (vs {row.reference})"


def _hr_sentence(row: Any, early_days: int) -> str:
    who, other = _who(row, early_days)
    ci = f"95% interval {row.ci_lower:.2f}–{row.ci_upper:.2f}"
    if row.kind == "numeric":
        return f"{who[0].upper()}{who[1:]} multiplies the churn risk by {row.hazard_ratio:.2f} ({ci})."
    speed = f"{row.hazard_ratio:.2f}" if row.hazard_ratio < 0.095 else f"{row.hazard_ratio:.1f}"
    s = f"{who[0].upper()}{who[1:]} churn {speed}x as fast as {other} ({ci})"
    if row.hazard_ratio < 1:
        s += f", i.e. {(1 - row.hazard_ratio) * 100:.0f}% lower churn risk at any tenure"
    return s + "."


def headline_sentences(a: SurvivalAnalysis) -> list[str]:
    """Plain-language findings of a :class:`SurvivalAnalysis` (plain text, not HTML)."""
    out = []
    med = a.km_all.medians.iloc[0] if len(a.km_all.medians) else None
    if med is None or med.n_customers == 0:
        return ["No customer lifetimes to analyse in this unit yet."]
    s = f"{med.n_customers:,.0f} customer lives analysed, {med.n_events:,.0f} of which have ended in churn."
    if a.life.warm_up_kept:
        s += (" Every customer was first seen in the data's first months (the warm-up window), so lives are "
              "counted from the first purchase in the data (a customer who bought before the data starts is "
              "counted short).")
    if a.too_few_events:
        return [s, f"Too few events: with only {med.n_events:.0f} churn events so far, lifetimes cannot be estimated "
                   "reliably; the curve below is descriptive only."]
    out.append(s)
    t = a.life.table
    once = float((t["event"] & (t["duration_days"] == 0)).mean()) if "duration_days" in t and len(t) else 0.0
    if a.method == "inactivity" and once >= 0.05:
        out.append(f"{_pct(once)} of customers never bought again after their first purchase (a lifetime of 0 "
                   "months: the drop at the very start of the curve).")
    at12 = a.km_all.at_times[a.km_all.at_times["duration_months"] == 12]
    s12 = ""
    if len(at12) and at12["estimable"].iloc[0]:
        r = at12.iloc[0]
        s12 = f"{_pct(r.survival)} are still customers 12 months after their start (95% interval " \
              f"{_pct(r.ci_lower)}–{_pct(r.ci_upper)})."
    if med.median_reached and med.median_months < 0.5:
        out.append("More than half of the customers never come back after their first month "
                   f"(median lifetime {_m(med.median_months)} months). " + s12)
    elif med.median_reached:
        out.append(f"Half of the customers churn within {_m(med.median_months)} months (median lifetime, 95% interval "
                   f"{_m(med.ci_lower)}–{_m(med.ci_upper) if np.isfinite(med.ci_upper) else 'not reached'}). " + s12)
    else:
        longest = float(a.km_all.curve["duration_months"].max())
        out.append(f"More than half of the customers are still active after the longest follow-up "
                   f"({longest:.0f} months): the median lifetime is not reached yet. " + s12)
    by = a.rmst.by_group[a.rmst.by_group["estimable"]]
    if a.km.group_by and len(by) >= 2:
        hi, lo = by.loc[by["rmst_months"].idxmax()], by.loc[by["rmst_months"].idxmin()]
        dlt = hi.rmst_months - lo.rmst_months
        se = math.sqrt(hi.std_err ** 2 + lo.std_err ** 2)
        ci = f"95% interval of the difference {_m(dlt - _Z * se)} to {_m(dlt + _Z * se)}"
        if dlt - _Z * se > 0:
            out.append(f"By {a.km.group_by}, '{hi.group}' customers stay longest: within their first "
                       f"{a.rmst.horizon_months:.0f} months they are active {_m(hi.rmst_months)} months on average, "
                       f"{_m(dlt)} months more than '{lo.group}' ({_m(lo.rmst_months)}; {ci}).")
        else:
            out.append(f"By {a.km.group_by}, no group clearly outlives the others: within their first "
                       f"{a.rmst.horizon_months:.0f} months customers are active between {_m(lo.rmst_months)} "
                       f"('{lo.group}') and {_m(hi.rmst_months)} months ('{hi.group}') on average, a gap within the "
                       f"noise ({ci}).")
    hr = a.cox.hazard_ratios
    if len(hr):
        sig = hr[hr["p_value"] < 0.05].assign(strength=lambda d: np.abs(np.log(d["hazard_ratio"])))
        sig = sig[sig["kind"] != "numeric"].sort_values("strength", ascending=False).head(3)
        out += [_hr_sentence(r, a.spec.early_days) for r in sig.itertuples()]
        if not len(sig):
            out.append("None of the modelled traits changes the churn risk clearly "
                       "(no hazard ratio significant at 5%).")
    elif a.cox.status == "too_few_events":
        out.append("Too few churn events for a model of what drives churn (see the notes).")
    peak = _peak_sentence(a)
    if peak:
        out.append(peak)
    if a.competing is not None and len(a.competing.at_times):
        at = a.competing.at_times
        at = at[at["estimable"]]
        if len(at):
            t = at["duration_months"].max()
            v = at[at["duration_months"] == t].set_index("cause")["cumulative_incidence"]
            top = a.competing.reasons.iloc[a.competing.reasons["n_churned"].to_numpy().argmax()]
            out.append(f"By {t:.0f} months, {_pct(v.get('voluntary', np.nan))} of customers have cancelled "
                       f"voluntarily and {_pct(v.get('involuntary', np.nan))} involuntarily (e.g. failed payments); "
                       f"the most common reason is '{top.churn_reason}' ({_pct(top.share)} of all churn).")
    if a.sensitivity is not None and len(a.sensitivity):
        sv = a.sensitivity
        own = sv[sv["configured"]].iloc[0]
        others = sv[~sv["configured"] & np.isfinite(sv["survival_at"].astype(float))]
        parts = ", ".join(f"{_pct(r.survival_at)} with {r.threshold_days} days" for r in others.itertuples())
        if np.isfinite(own.survival_at) and parts:
            out.append(f"The churn definition matters: with the unit's {own.threshold_days}-day inactivity rule "
                       f"{_pct(own.survival_at)} of customers are still active after {own.months:.0f} months; "
                       f"the share would be {parts}.")
        elif not np.isfinite(own.survival_at):
            out.append(f"The share of customers still active after {own.months:.0f} months cannot be estimated yet: "
                       f"no customer life has been followed that long under the unit's {own.threshold_days}-day "
                       "inactivity rule.")
    return out


# ============================================================================ HTML (display only)


def _table_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, escape=True, border=0, classes="survival-table", na_rep="n/a")


def _notes_list(notes: pd.DataFrame) -> str:
    if not len(notes):
        return ""
    items = "".join(f"<li><b>{html.escape(str(r.subject))}</b>: {html.escape(str(r.note))}</li>"
                    for r in notes.itertuples())
    return f"<ul style='font-size:12px;color:#555'>{items}</ul>"


def headline_html(a: SurvivalAnalysis) -> HTML:
    """Headline sentences as an HTML list (every data-derived string escaped)."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in headline_sentences(a))
    return HTML(f"<ul style='font-size:15px;line-height:1.5'>{items}</ul>")


def km_table_html(km: KaplanMeier) -> HTML:
    """Median lifetime and survival at 3/6/12/24 months per group (display pivot)."""
    if not len(km.medians):
        return HTML("<p>No customers.</p>")
    rows = []
    for m in km.medians.itertuples():
        r = {"Group": m.group, "Customers": f"{m.n_customers:,}", "Churned": f"{m.n_events:,}"}
        r["Median lifetime (months)"] = _median_text(m.median_months, m.ci_lower, m.ci_upper, m.n_customers)
        for a in km.at_times[km.at_times["group"] == m.group].itertuples():
            r[f"Active after {a.duration_months:g} months"] = (
                f"{_pct(a.survival)} ({_pct(a.ci_lower)}–{_pct(a.ci_upper)})" if a.estimable else NOT_ESTIMABLE)
        rows.append(r)
    note = ("<p style='font-size:12px;color:#555'>In brackets: 95% intervals ('open': the interval has no upper "
            "end within the follow-up). 'not reached': more than half of the group is still active at the end of "
            "the follow-up. 'not estimable': no customer of the group has been followed that long.</p>")
    return HTML(_table_html(pd.DataFrame(rows)) + note)


def logrank_html(lr: LogRank) -> HTML:
    """Log-rank test in words, and the pairwise table (or why there is no comparison)."""
    if not len(lr.overall):
        why = "; ".join(lr.notes["note"]) if len(lr.notes) else "no comparison between groups."
        return HTML(f"<p>{html.escape(why[0].upper() + why[1:])}</p>")
    o = lr.overall.iloc[0]
    verdict = ("The groups' survival differs clearly" if o.p_value < 0.05
               else "No clear difference in survival between the groups")
    p = "< 0.001" if o.p_value < 0.001 else f"{o.p_value:.3f}"
    head = (f"<p>{html.escape(verdict)} (log-rank test across {o.n_groups} groups of "
            f"{html.escape(str(o.group_by))}: chi-square {o.statistic:.1f} on {o.df} degrees of freedom, p {p}).</p>")
    pw = lr.pairwise
    show = pd.DataFrame({"Group A": pw["group_a"], "Group B": pw["group_b"],
                         "Chi-square": pw["statistic"].map(lambda v: f"{v:.1f}"),
                         "p (Holm-corrected)": pw["p_value_holm"].map(lambda v: "< 0.001" if v < 0.001 else f"{v:.3f}"),
                         "Different?": pw["significant"].map({True: "yes", False: "no"})})
    return HTML(head + _table_html(show))


def cox_html(cox: CoxResult, *, early_days: int | None = None) -> HTML:
    """Hazard ratios in a readable table, the proportional-hazards check and the model notes."""
    parts = [f"<p>{html.escape(cox.explanation)}</p>"]
    hr = cox.hazard_ratios
    days = early_days if early_days is not None else int(cox.fit["landmark_days"].iloc[0]) if len(cox.fit) else 0
    if len(hr):
        show = pd.DataFrame({
            "Trait": [term_label(r, days) for r in hr.itertuples()],
            "Hazard ratio": hr["hazard_ratio"].map(lambda v: f"{v:.2f}"),
            "95% interval": [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(hr["ci_lower"], hr["ci_upper"])],
            "p": hr["p_value"].map(lambda v: "< 0.001" if v < 0.001 else f"{v:.3f}"),
            "Customers": hr["n_customers"].map(lambda v: f"{v:,}"),
            "Churned": hr["n_events"].map(lambda v: f"{v:,}"),
        })
        parts.append(_table_html(show))
        parts.append("<p style='font-size:12px;color:#555'>A hazard ratio of 1.5 means 50% more churn risk at any "
                     "tenure than the reference; 0.7 means 30% less.</p>")
    ph = cox.ph_check
    if len(ph):
        bad = ph[ph["violation"]]
        if len(bad):
            items = "".join(f"<li>{html.escape(str(r.term))}: {html.escape(r.suggestion)} "
                            f"(correlation with time {r.rho:+.2f}, p {r.p_value:.3g})</li>" for r in bad.itertuples())
            parts.append(f"<p>Proportional-hazards check: the ratio changes over the customer life for "
                         f"{len(bad)} of {len(ph)} terms.</p><ul>{items}</ul>")
        else:
            parts.append(f"<p>Proportional-hazards check: no term's ratio changes clearly over the customer life "
                         f"({len(ph)} terms tested).</p>")
    parts.append(_notes_list(cox.notes[cox.notes["note"] != cox.explanation]))
    return HTML("".join(parts))


def _peak_sentence(a: SurvivalAnalysis) -> str:
    hz = a.hazard[a.hazard["reliable"]]
    if len(hz) < 3:
        return ""
    peak = hz.loc[hz["hazard"].idxmax()]
    return (f"Churn risk peaks in month {peak.tenure_month:.0f} of the customer life: {_pct(peak.hazard)} of the "
            f"customers active at its start churn during it, against {_pct(hz['hazard'].median())} in a typical "
            "month.")


def hazard_html(a: SurvivalAnalysis) -> HTML:
    """The month of peak churn risk in words (or why it is not shown)."""
    if a.too_few_events or not len(a.hazard):
        return HTML("<p>Too few churn events to show how the risk changes over the customer life.</p>")
    s = _peak_sentence(a)
    return HTML(f"<p>{html.escape(s)}</p>" if s else "<p>Too few months with enough customers to compare.</p>")


def rmst_html(r: RMST) -> HTML:
    """Average months active within the horizon, per group, with differences."""
    by = r.by_group
    if not len(by):
        return HTML("<p>No customers.</p>")
    dif = r.differences.set_index("group") if len(r.differences) else pd.DataFrame()
    rows = []
    for g in by.itertuples():
        row = {"Group": g.group, "Customers": f"{g.n_customers:,}",
               f"Months active within {r.horizon_months:.0f} months": (
                   f"{_m(g.rmst_months)} ({_m(g.ci_lower)}–{_m(g.ci_upper)})" if g.estimable else NOT_ESTIMABLE)}
        if len(dif):
            if g.group in dif.index and np.isfinite(dif.loc[g.group, "difference_months"]):
                d = dif.loc[g.group]
                row[f"Difference vs {d.reference}"] = (f"{d.difference_months:+.1f} "
                                                       f"({d.ci_lower:+.1f} to {d.ci_upper:+.1f})")
            else:
                row[f"Difference vs {dif['reference'].iloc[0]}"] = "reference" if g.Index == 0 else NOT_ESTIMABLE
        rows.append(row)
    return HTML(_table_html(pd.DataFrame(rows)) + "<p style='font-size:12px;color:#555'>Restricted mean survival "
                "time: the area under the survival curve up to the horizon, in months; 95% intervals in brackets.</p>")


def _reasons_html(c: CompetingRisks) -> str:
    r = c.reasons
    show = pd.DataFrame({"Type": r["churn_type"], "Reason": r["churn_reason"],
                         "Churned": r["n_churned"].map(lambda v: f"{v:,}"), "Share of all churn": r["share"].map(_pct),
                         "Share within type": r["share_of_type"].map(_pct)})
    return _table_html(show)


def competing_html(a: SurvivalAnalysis) -> HTML:
    """Churn by cause: incidence at 3/6/12/24 months and the reasons (or why not applicable)."""
    if a.competing is None:
        if a.method in ("explicit", "snapshot"):
            return HTML("<p>No churn types are recorded, so voluntary and involuntary churn cannot be told apart.</p>")
        return HTML("<p>Not applicable: this unit's churn is inferred from inactivity, so there are no recorded "
                    "cancellations with a cause.</p>")
    at = a.competing.at_times
    wide = at.assign(v=[f"{_pct(r.cumulative_incidence)} ({_pct(r.ci_lower)}–{_pct(r.ci_upper)})" if r.estimable
                        else NOT_ESTIMABLE for r in at.itertuples()])
    wide = wide.pivot(index="cause", columns="duration_months", values="v").reindex(list(dict.fromkeys(at["cause"])))
    wide.columns = [f"Churned by {c:g} months" for c in wide.columns]
    wide = wide.reset_index().rename(columns={"cause": "Cause"})
    return HTML(_table_html(wide) + "<p>Churn reasons:</p>" + _reasons_html(a.competing)
                + _notes_list(a.competing.notes))


def sensitivity_html(a: SurvivalAnalysis) -> HTML:
    """Median lifetime and 12-month survival under other inactivity thresholds (or why not applicable)."""
    s = a.sensitivity
    if s is None and a.method == "snapshot":
        return HTML("<p>Not applicable: this unit is a one-row-per-customer table with a recorded churn flag, so "
                    "churn does not depend on an inactivity threshold.</p>")
    if s is None:
        return HTML("<p>Not applicable: this unit records cancellation dates, so churn does not depend on an "
                    "inactivity threshold.</p>")
    show = pd.DataFrame({
        "Inactivity threshold": [f"{d} days" + (" (this unit)" if c else "") for d, c in
                                 zip(s["threshold_days"], s["configured"])],
        "Customers": s["n_customers"].map(lambda v: f"{v:,}"),
        "Churned": s["n_events"].map(lambda v: f"{v:,}"),
        "Median lifetime (months)": [_median_text(m, lo, hi, n) for m, lo, hi, n in
                                     zip(s["median_months"], s["median_ci_lower"], s["median_ci_upper"],
                                         s["n_customers"])],
        "Active after 12 months": [f"{_pct(v)} ({_pct(lo)}–{_pct(hi)})" if np.isfinite(v) else NOT_ESTIMABLE
                                   for v, lo, hi in zip(s["survival_at"], s["survival_ci_lower"],
                                                        s["survival_ci_upper"])],
    })
    return HTML(_table_html(show) + "<p style='font-size:12px;color:#555'>A longer threshold waits longer before "
                "calling a quiet customer churned; customers first seen within the threshold of the data start are "
                "left out, so the number of customers changes too.</p>")


def about_html(a: SurvivalAnalysis) -> HTML:
    """Definitions and every note of the analysis."""
    items = [
        f"Customer life: {a.rule}.",
        "Time is measured in months (30.44 days) from the start of each customer's life.",
        "Kaplan-Meier curves estimate the share still active at each tenure, counting customers who are still "
        "active as 'censored' (they may churn later); bands are 95% intervals.",
        f"Early-life features use the first {a.spec.early_days} days of each life (survival.early_days) and "
        "nothing after the report month.",
        f"Groups and levels with fewer than {a.min_customers} customers are merged or left out "
        "(thresholds.min_customers).",
    ]
    body = "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    if len(a.notes):
        body += "<p>Notes:</p>" + _notes_list(a.notes)
    return HTML(body)
