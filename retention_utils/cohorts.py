"""Cohort retention: censoring-aware cohort tables, revenue retention, churn-rate control chart.

Customers are grouped into cohorts by the period of their first purchase (or
their signup); period ``k`` of a cohort is the ``k``-th calendar period after
it. A cell is *observable* when the period has ended by the report month; cells
that are not (young cohorts, the incomplete current period) are missing, never
zero.

Retention definitions (``params: cohorts.definition``):

* ``period``: bought in period ``k``;
* ``unbounded``: bought in period ``k`` or any later observed period (still a
  customer as far as the data show; recent cells are lower bounds);
* ``subscribed``: for units with explicit cancellations, no churn date on or
  before the end of period ``k``.

Every rate comes with its count, its denominator and a Wilson 95% interval.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from .calendar import last_complete_period, period_start_py
from .contract import UnitData
from .engine import attribute_groups, cohort_activity, group_tables
from .kpis import monthly_kpis
from . import vocabulary
from .results import AnalysisResult, notes_frame, summary_rows
from .samples import NEEDS, groups_shortfall, shortfall
from .stats import newcombe_interval, wilson_interval

__all__ = [
    "CohortResult",
    "cohort_analysis",
    "cohort_retention_table",
    "pooled_curve",
    "recent_vs_trailing",
    "churn_control_chart",
    "retention_by_group",
    "last_complete_period",
    "measure_name",
]

DEFINITIONS = ("period", "unbounded", "subscribed")
#: Money columns of the cohort table (missing when the export has no amounts).
REVENUE_COLUMNS = ["revenue", "revenue_gross", "revenue_period0", "net_revenue_retention", "gross_revenue_retention",
                   "cumulative_revenue_per_customer"]




def _check_definition(definition: str, has_churn_date: bool) -> None:
    if definition not in DEFINITIONS:
        raise ValueError(f"The 'definition' parameter must be one of {set(DEFINITIONS)}. Got {definition!r} instead.")
    if definition == "subscribed" and not has_churn_date:
        raise ValueError("definition='subscribed' needs customers with a churn_date (explicit cancellations); "
                         "use 'period' or 'unbounded'.")


def cohort_retention_table(act: dict[str, pd.DataFrame], *, last_idx: int, period: str = "month",
                           definition: str = "period", max_periods: int | None = None) -> pd.DataFrame:
    """Tidy cohort x period table from :func:`retention_utils.engine.cohort_activity` output.

    Returns
    -------
    DataFrame
        ``cohort, cohort_idx, period, cohort_size, n_retained, retention_rate, ci_lower,
        ci_upper, observable, revenue, revenue_gross, revenue_period0, net_revenue_retention,
        gross_revenue_retention, cumulative_revenue_per_customer``. Unobservable cells
        have missing counts and rates. ``revenue*`` are net of refunds.
    """
    _check_definition(definition, "churn" in act)
    sizes = act["sizes"]
    if sizes.empty:
        return pd.DataFrame(columns=["cohort", "cohort_idx", "period", "cohort_size", "n_retained", "retention_rate",
                                     "ci_lower", "ci_upper", "observable"])
    sizes = sizes[sizes.cohort_idx <= last_idx]
    max_k = int(last_idx - sizes.cohort_idx.min())
    if max_periods is not None:
        max_k = min(max_k, max_periods)
    grid = pd.MultiIndex.from_product([sorted(sizes.cohort_idx), range(max_k + 1)], names=["cohort_idx", "period"])
    t = pd.DataFrame(index=grid).reset_index().merge(sizes, on="cohort_idx")
    t["observable"] = t.cohort_idx + t.period <= last_idx
    cells = act["cells"].set_index(["cohort_idx", "period"])
    idx = pd.MultiIndex.from_frame(t[["cohort_idx", "period"]])
    for col in ("n_active", "revenue", "revenue_gross"):
        t[col] = cells[col].reindex(idx).fillna(0).to_numpy()
    if definition == "period":
        t["n_retained"] = t["n_active"]
    else:
        src = act["last"].rename(columns={"last_offset": "off"}) if definition == "unbounded" else \
            act["churn"].rename(columns={"churn_offset": "off"})
        # customers whose offset (last active / churn period) is beyond k are retained at k
        counts = []
        for c, grp in t.groupby("cohort_idx", sort=True):
            s = src[src.cohort_idx == c]
            offs = s["off"].to_numpy(dtype=float)
            ns = s["n"].to_numpy()
            ks = grp["period"].to_numpy()
            if definition == "unbounded":  # last active offset >= k
                counts.append(pd.Series([(ns[offs >= k]).sum() for k in ks], index=grp.index))
            else:  # churn offset > k, or never churned (NaN)
                counts.append(pd.Series([(ns[np.isnan(offs) | (offs > k)]).sum() for k in ks], index=grp.index))
        t["n_retained"] = pd.concat(counts).reindex(t.index).to_numpy()
    rev0 = t[t.period == 0].set_index("cohort_idx")["revenue"]
    t["revenue_period0"] = t.cohort_idx.map(rev0)
    t["n_retained"] = t["n_retained"].astype("Int64")
    obs = t["observable"]
    t.loc[~obs, ["n_retained"]] = pd.NA
    for col in ("revenue", "revenue_gross"):
        t[col] = t[col].where(obs)
    rate = t["n_retained"].astype("Float64") / t["cohort_size"]
    t["retention_rate"] = rate.astype(float)
    lo, hi = wilson_interval(t["n_retained"].fillna(0).astype(float), t["cohort_size"].where(obs, 0))
    t["ci_lower"], t["ci_upper"] = lo, hi
    with np.errstate(invalid="ignore", divide="ignore"):
        base = t["revenue_period0"].where(t["revenue_period0"] > 0)
        t["net_revenue_retention"] = t["revenue"] / base
        t["gross_revenue_retention"] = t["revenue_gross"] / base
    t["cumulative_revenue_per_customer"] = (t.groupby("cohort_idx")["revenue"].cumsum() / t["cohort_size"]).where(obs)
    t["cohort"] = pd.to_datetime([period_start_py(int(c), period) for c in t.cohort_idx])
    t["definition"] = definition
    cols = ["cohort", "cohort_idx", "period", "cohort_size", "n_retained", "retention_rate", "ci_lower", "ci_upper",
            "observable", "revenue", "revenue_gross", "revenue_period0", "net_revenue_retention",
            "gross_revenue_retention", "cumulative_revenue_per_customer", "definition"]
    return t[cols].sort_values(["cohort_idx", "period"]).reset_index(drop=True)


def pooled_curve(table: pd.DataFrame, *, cohorts: list[int] | None = None) -> pd.DataFrame:
    """Retention by period pooled over cohorts (weighted by cohort size), observable cells only.

    Returns
    -------
    DataFrame
        ``period, n_cohorts, n_customers, n_retained, retention_rate, ci_lower, ci_upper``.
    """
    t = table[table["observable"]]
    if cohorts is not None:
        t = t[t.cohort_idx.isin(cohorts)]
    g = t.groupby("period").agg(n_cohorts=("cohort_idx", "nunique"), n_customers=("cohort_size", "sum"),
                                n_retained=("n_retained", "sum")).reset_index()
    g["n_retained"] = g["n_retained"].astype("int64")
    g["retention_rate"] = g.n_retained / g.n_customers
    g["ci_lower"], g["ci_upper"] = wilson_interval(g.n_retained, g.n_customers)
    return g


def recent_vs_trailing(table: pd.DataFrame, *, n_recent: int = 3, n_trailing: int = 12,
                       alpha: float = 0.05, min_customers: int = 1) -> pd.DataFrame:
    """Each of the latest ``n_recent`` cohorts against the ``n_trailing`` cohorts before it, age by age.

    The comparison rate pools the trailing cohorts observable at the same age.
    The interval of the difference is Newcombe's (:func:`retention_utils.stats.newcombe_interval`);
    ``significant`` when it excludes 0. Period 0 (everyone, by definition) is never compared, and
    neither is a cohort, or a pool of trailing cohorts, with fewer than ``min_customers`` customers
    (:mod:`retention_utils.samples`): such rows are left out, never shown with an interval.

    Returns
    -------
    DataFrame
        ``cohort, period, retention_rate, trailing_rate, difference, diff_ci_lower,
        diff_ci_upper, significant, n_customers, n_trailing_customers``.
    """
    cohorts = sorted(table.cohort_idx.unique())
    rows = []
    for c in cohorts[-n_recent:]:
        prior = [x for x in cohorts if x < c][-n_trailing:]
        mine = table[(table.cohort_idx == c) & table.observable & (table.period >= 1)]
        for r in mine.itertuples():
            trail = table[table.cohort_idx.isin(prior) & (table.period == r.period) & table.observable]
            n2 = int(trail.cohort_size.sum())
            if n2 < max(min_customers, 1) or r.cohort_size < max(min_customers, 1):
                continue
            k2 = int(trail.n_retained.sum())
            k1 = int(r.n_retained)
            lo, hi = newcombe_interval(k1, int(r.cohort_size), k2, n2, alpha=alpha)
            rows.append({"cohort": r.cohort, "period": r.period, "retention_rate": k1 / r.cohort_size,
                         "trailing_rate": k2 / n2, "difference": k1 / r.cohort_size - k2 / n2,
                         "diff_ci_lower": float(lo), "diff_ci_upper": float(hi),
                         "significant": bool(lo > 0 or hi < 0), "n_customers": int(r.cohort_size),
                         "n_trailing_customers": n2})
    return pd.DataFrame(rows, columns=["cohort", "period", "retention_rate", "trailing_rate", "difference",
                                       "diff_ci_lower", "diff_ci_upper", "significant", "n_customers",
                                       "n_trailing_customers"])


def churn_control_chart(kpis: pd.DataFrame, *, sigmas: float = 3.0) -> pd.DataFrame:
    """p-chart of the monthly churn rate.

    The centre line is the pooled churn rate of the earlier comparable months
    (not warm-up, customers at start > 0, excluding the month itself, so a
    shock cannot hide in its own baseline); limits are ``centre ± sigmas *
    sqrt(centre (1 - centre) / n)`` with ``n`` the month's customers at start,
    clipped to [0, 1].

    Returns
    -------
    DataFrame
        ``month, n_customers_start, n_churned, churn_rate, centre, lcl, ucl, alert``
        where ``alert`` is ``above`` (unusually high churn: an alarm), ``below`` (unusually low churn:
        good news, never shown as an alarm) or empty.
    """
    k = kpis[(~kpis["warm_up"]) & (kpis["n_customers_start"] > 0)].reset_index(drop=True)
    churned = k["n_churned"].to_numpy(dtype=float)
    base = k["n_customers_start"].to_numpy(dtype=float)
    cum_c = np.concatenate([[0.0], np.cumsum(churned)])[: len(churned)]  # churn before each month
    cum_n = np.concatenate([[0.0], np.cumsum(base)])[: len(base)]
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(cum_n > 0, cum_c / cum_n, np.nan)
        sd = np.sqrt(centre * (1 - centre) / base)
    out = pd.DataFrame({"month": k["month"], "n_customers_start": k["n_customers_start"],
                        "n_churned": k["n_churned"], "churn_rate": k["churn_rate"], "centre": centre,
                        "lcl": np.clip(centre - sigmas * sd, 0, 1), "ucl": np.clip(centre + sigmas * sd, 0, 1)})
    out["alert"] = np.select([out.churn_rate > out.ucl, out.churn_rate < out.lcl], ["above", "below"], "")
    return out


def retention_by_group(data: UnitData, *, attribute: str | None, by: str = "first_purchase", period: str = "month",
                       definition: str = "period", test_period: int = 3,
                       max_periods: int | None = 24, min_customers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled retention curves split by a customer attribute, and a test of whether groups differ.

    The test is a chi-square test of independence of *retained at period
    ``test_period``* and the group, among customers of cohorts observable at
    that age (groups with missing attribute are labelled ``(missing)``). Only groups with at least
    ``min_customers`` customers at that age take part, and the test runs only when at least two groups
    do and every expected cell holds 5 customers (:data:`retention_utils.samples.NEEDS`); otherwise
    ``not_tested`` says why, in one sentence.

    Returns
    -------
    (curves, test)
        ``curves``: ``group, period, n_cohorts, n_customers, n_retained,
        retention_rate, ci_lower, ci_upper``; ``test``: one row ``attribute,
        period, chi2, dof, p_value, significant, n_customers, n_groups, not_tested``
        (``n_groups``: groups tested; ``not_tested``: empty when tested).
    """
    if attribute is None:
        empty = pd.DataFrame(columns=["group", "period", "n_cohorts", "n_customers", "n_retained", "retention_rate",
                                      "ci_lower", "ci_upper"])
        return empty, pd.DataFrame([{"attribute": "(none configured)", "period": test_period, "chi2": np.nan,
                                     "dof": 0, "p_value": np.nan, "significant": False, "n_customers": 0,
                                     "n_groups": 0, "not_tested": "no customer attribute configured"}])
    if attribute not in data.customers.columns:
        raise ValueError(f"attribute {attribute!r} is not a customer column; available: "
                         f"{[c for c in data.customers.columns if c not in ('customer_id', 'signup_date')]}")
    last_idx = last_complete_period(data.month_end, period)
    cust = data.customers
    curves = []
    contingency = []
    for group in attribute_groups(cust, attribute):
        sub_o, sub_c = group_tables(data.orders, cust, attribute, group)
        table = cohort_retention_table(cohort_activity(sub_o, sub_c, by=by, period=period), last_idx=last_idx,
                                       period=period, definition=definition, max_periods=max_periods)
        pc = pooled_curve(table)
        pc.insert(0, "group", group)
        curves.append(pc)
        at = pc[pc.period == test_period]
        if len(at):
            contingency.append((group, int(at.n_retained.iloc[0]), int(at.n_customers.iloc[0] - at.n_retained.iloc[0])))
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    usable = [(g, a, b) for g, a, b in contingency if a + b >= max(min_customers, 1)]
    test = {"attribute": attribute, "period": test_period, "chi2": np.nan, "dof": 0, "p_value": np.nan,
            "significant": False, "n_customers": int(sum(a + b for _, a, b in usable)), "n_groups": len(usable),
            "not_tested": ""}
    why = groups_shortfall([a + b for _, a, b in contingency], max(min_customers, 1),
                           what=f"a comparison of {attribute} groups at {period} {test_period}")
    if why is None:
        obs = np.array([[a, b] for _, a, b in usable])
        if not (obs.sum(axis=0) > 0).all():
            why = (f"Not tested: every customer of the {attribute} groups "
                   f"{'was' if obs[:, 0].sum() else 'was not'} retained at {period} {test_period}, so there is "
                   "no difference to test.")
        else:
            chi2, p, dof, expected = chi2_contingency(obs)
            need = NEEDS["chi_square"][0]
            if expected.min() < need:
                why = (f"Not tested: a test of the {attribute} groups needs at least {need} expected customers in "
                       f"every cell; the smallest has {expected.min():.1f}.")
            else:
                test.update(chi2=float(chi2), dof=int(dof), p_value=float(p), significant=bool(p < 0.05))
    test["not_tested"] = why or ""
    return curves_df, pd.DataFrame([test])


@dataclass(frozen=True)
class CohortResult(AnalysisResult):
    """Everything the cohort report shows (tidy frames).

    Attributes
    ----------
    table : DataFrame
        :func:`cohort_retention_table`, one row per cohort and period.
    pooled : DataFrame
        :func:`pooled_curve` over all cohorts.
    recent : DataFrame
        :func:`recent_vs_trailing`.
    control : DataFrame
        :func:`churn_control_chart` of the monthly churn rate.
    group_curves, group_test : DataFrame
        :func:`retention_by_group` over ``cohorts.split_by`` (empty curves and a
        ``(none configured)`` test row when no attribute is set).
    definition, period, by : str
        The retention definition, the cohort period and what starts a cohort.
    min_customers : int
        Cohorts smaller than this are flagged, not compared.
    max_periods, n_recent : int
        Periods shown and latest cohorts compared.
    currency : str
        Currency of the revenue columns.
    has_amounts : bool
        False: the export has no amounts, the revenue columns are missing (NaN).
    notes : DataFrame
        ``section, subject, note``.
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    recent: pd.DataFrame
    control: pd.DataFrame
    definition: str
    period: str
    by: str
    min_customers: int
    has_amounts: bool = True
    group_curves: pd.DataFrame | None = None
    group_test: pd.DataFrame | None = None
    split_by: str | None = None
    max_periods: int | None = 24
    n_recent: int = 3
    notes: pd.DataFrame | None = None
    currency: str = ""

    _display: ClassVar[str] = "retention_utils.display.cohorts"

    def measure(self, k: int | str = "k") -> str:
        """The name of this page's retention measure at age ``k`` (:func:`measure_name`)."""
        return measure_name(self.definition, self.period, k)

    def keeps(self) -> str:
        """The verb of this page's measure: "keeps buying" (period retention) or "is retained" (the others)."""
        return "keeps buying" if self.definition == "period" else "is retained"

    def reliable_pooled(self) -> pd.DataFrame:
        """The pooled curve at the ages with at least ``min_customers`` customers (the only ones reported)."""
        return self.pooled[self.pooled.n_customers >= max(self.min_customers, 1)]

    def largest_cohort(self) -> int:
        """Customers in the largest cohort of the table (0 when there is none)."""
        sizes = self.table.drop_duplicates("cohort_idx")["cohort_size"]
        return int(sizes.max()) if len(sizes) else 0

    def shortfall(self, section: str) -> str | None:
        """The one sentence that replaces ``section`` when too few customers stand behind it, else None.

        ``section``: ``heatmap`` (cohort by age), ``value`` (cohort value and revenue retention), ``curves``
        (the pooled curve), ``recent`` (latest cohorts against earlier ones), ``control`` (churn rate
        against its usual range), ``groups`` (retention by customer group).
        """
        need = max(self.min_customers, 1)
        if section == "value" and not self.has_amounts:
            return "Not shown: revenue retention and cohort value need amounts; the export has none."
        if section in ("heatmap", "value"):
            what = {"heatmap": "the cohort table", "value": "revenue by cohort"}[section]
            return shortfall(self.largest_cohort(), need, what=what, where="in the largest cohort")
        if section == "curves":
            most = int(self.pooled.n_customers.max()) if len(self.pooled) else 0
            return shortfall(most, need, what="the retention curve", where="at any age")
        if section == "recent":
            if len(self.recent):
                return None
            latest = self.table.drop_duplicates("cohort_idx").tail(self.n_recent)
            biggest = int(latest.cohort_size.max()) if len(latest) else 0
            if self.table.cohort_idx.nunique() < 2:
                return ("Not enough cohorts to compare. There is one cohort; a comparison needs earlier cohorts "
                        "observed at the same age.")
            if biggest >= need:
                return ("Not shown: the latest cohorts cannot be compared yet: none has completed a "
                        f"{self.period} after joining against at least {need} customers of earlier cohorts.")
            return shortfall(biggest, need, what="a comparison of the latest cohorts with earlier ones",
                             where=f"in the largest of the latest {len(latest)}" if len(latest) > 1
                             else "in the latest cohort")
        if section == "control":
            most = int(self.control.n_customers_start.max()) if len(self.control) else 0
            return shortfall(most, need, what="the churn rate against its usual range",
                             where="at the start of the busiest month")
        if section == "groups":
            t = self.group_test
            if t is None or not len(t) or t.iloc[0].attribute == "(none configured)":
                return ("No customer attribute is configured for this comparison: set cohorts.split_by in the "
                        "unit's params (e.g. channel) to compare retention between groups.")
            c = self.group_curves
            big = c[c.n_customers >= need].group.nunique() if c is not None and len(c) else 0
            if big < 2:
                sizes = c.groupby("group").n_customers.max() if c is not None and len(c) else []
                return groups_shortfall(list(sizes), need, what=f"a comparison of {t.iloc[0].attribute} groups")
            return None
        raise ValueError(f"The 'section' parameter of CohortResult.shortfall must be one of {{'heatmap', 'value', "
                         f"'curves', 'recent', 'control', 'groups'}}. Got {section!r} instead.")

    def recent_gap(self) -> str:
        """Why the latest cohorts are not compared with earlier ones, in a short sentence for the headline."""
        latest = self.table.drop_duplicates("cohort_idx").tail(self.n_recent)
        biggest = int(latest.cohort_size.max()) if len(latest) else 0
        if self.table.cohort_idx.nunique() < 2:
            return "There is one cohort so far: no earlier cohort to compare it with."
        if biggest < max(self.min_customers, 1):
            return (f"The latest cohorts are too small to compare with earlier ones (at most {biggest:,} customers; "
                    f"{self.min_customers:,} needed).")
        return "The latest cohorts have not been followed long enough to compare with earlier ones."

    def headline_sentence(self) -> str:
        """The one sentence an executive reads from the cohorts: how many keep buying, whether the latest cohort
        is better or worse, and whether this month's churn was unusual; for a small unit, what is missing."""
        parts = []
        p = self.reliable_pooled()
        k = 3 if (p.period == 3).any() else (1 if (p.period == 1).any() else None)
        if k is not None:
            r = p[p.period == k].iloc[0]
            parts.append(f"the {self.measure(k)} is {r.retention_rate * 100:.1f}% ({int(r.n_customers):,} "
                         f"customers followed for at least {k} {self.period}{'s' if k != 1 else ''})")
        else:
            most = int(self.pooled.n_customers.max()) if len(self.pooled) else 0
            parts.append(f"cohorts are too small to measure retention ({most:,} customers at most at any age; "
                         f"{self.min_customers:,} needed)")
        rec = self.recent
        if len(rec):
            sig = rec[rec.significant]
            if len(sig):
                best = sig.loc[sig.difference.abs().idxmax()]
                word = "better" if best.difference > 0 else "worse"
                parts.append(f"the {pd.Timestamp(best.cohort):%b %Y} cohort {self.keeps()} {word} than earlier ones "
                             f"({best.retention_rate * 100:.1f}% vs {best.trailing_rate * 100:.1f}% at {self.period} "
                             f"{int(best.period)}, {int(best.n_customers):,} customers)")
            else:
                parts.append(f"the latest {rec.cohort.nunique()} cohorts are in line with earlier ones")
        else:
            gap = self.recent_gap()
            parts.append(gap[:1].lower() + gap[1:-1])
        c = self.control[self.control.n_customers_start >= max(self.min_customers, 1)]
        if len(c) and pd.Timestamp(c.month.iloc[-1]) == pd.Timestamp(self.control.month.iloc[-1]) \
                and not pd.isna(c.ucl.iloc[-1]):
            last = c.iloc[-1]
            if last.alert == "above":
                parts.append(f"this month's churn rate ({last.churn_rate * 100:.1f}%) is unusually high (usual "
                             f"range up to {last.ucl * 100:.1f}%)")
            elif last.alert == "below":
                parts.append(f"this month's churn rate ({last.churn_rate * 100:.1f}%) is unusually low (usual range "
                             f"from {last.lcl * 100:.1f}%)")
        text = "; ".join(parts)
        return text[:1].upper() + text[1:] + "."

    def survival_note(self, k: int = 12) -> str:
        """One line on why the survival page's share at the same age differs from this page's."""
        still = vocabulary.name("still_customers").replace(" k ", f" {k} ")
        if self.definition == "period":
            return (f"The survival page's figure for {still} differs from the {self.measure(k)}: a customer who did not "
                    f"buy in that {self.period} is still a customer there, while one who left and came back buys "
                    "again here.")
        return (f"The survival page's figure for {still} can differ from the {self.measure(k)}: it also counts customers "
                f"who joined recently, for as long as they have been followed, while this page counts only cohorts "
                f"old enough to be seen {k} {self.period}s after joining.")

    def summary_frame(self) -> pd.DataFrame:
        """Headline rows: pooled retention at periods 1, 3 and 12 (Wilson intervals), the latest cohorts
        against the trailing ones, this month's churn rate against its control limits, the group test, and
        the one headline sentence (``metric="headline"``, ``unit="sentence"``).

        Only numbers resting on at least ``min_customers`` customers are reported.

        Returns
        -------
        DataFrame
            :data:`~retention_utils.results.SUMMARY_COLUMNS`.
        """
        rows = []
        p = self.reliable_pooled()
        for k in (1, 3, 12):
            r = p[p.period == k]
            if len(r):
                r = r.iloc[0]
                rows.append({"metric": f"retention_{self.period}_{k}", "unit": "share", "higher_is_better": True,
                             "label": self.measure(k)[:1].upper() + self.measure(k)[1:],
                             "value": r.retention_rate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper})
        rec = self.recent[self.recent.period >= 1]  # period 0 is everyone by definition
        if len(rec):
            last = rec[rec.cohort == rec.cohort.max()]
            last = last.loc[last.period.idxmax()]
            rows.append({"metric": "latest_cohort_retention", "unit": "share", "higher_is_better": True,
                         "label": f"{pd.Timestamp(last.cohort):%b %Y} cohort, {self.measure(int(last.period))}",
                         "value": last.retention_rate, "compared_to": "trailing cohorts at the same age",
                         "delta": last.difference, "ci_lower": np.nan, "ci_upper": np.nan})
        c = self.control[self.control.n_customers_start >= max(self.min_customers, 1)]
        if len(c):
            rows.append({"metric": "churn_control_alert", "unit": "alerts", "higher_is_better": False,
                         "label": "Months with unusually high churn (last 12)",
                         "value": int((c.tail(12).alert == "above").sum())})
        t = self.group_test
        if t is not None and len(t) and not pd.isna(t.iloc[0].p_value):
            t = t.iloc[0]
            rows.append({"metric": "group_test_p_value", "unit": "p-value",
                         "label": f"Retention at {self.period} {int(t.period)} differs by {t.attribute} (chi-square)",
                         "value": t.p_value})
        rows.append({"metric": "headline", "label": self.headline_sentence(), "value": np.nan, "unit": "sentence"})
        return summary_rows(rows, analysis="cohorts")


def measure_name(definition: str, period: str = "month", k: int | str = "k") -> str:
    """The name of the cohort page's retention measure at age ``k``, by ``params: cohorts.definition``.

    ``period`` retention is the vocabulary's ``cohort_buying`` (never "still customers": that is the
    survival page's measure, which is higher).

    Examples
    --------
    >>> measure_name("period", "month", 3)
    'share of a cohort buying in month 3'
    >>> measure_name("subscribed", "month", 12)
    'share of a cohort still subscribed 12 months after joining'
    """
    if definition == "period":
        return vocabulary.name("cohort_buying").replace("month k", f"{period} {k}")
    if definition == "unbounded":
        return f"share of a cohort buying in {period} {k} or later"
    return f"share of a cohort still subscribed {k} {period}{'' if k == 1 else 's'} after joining"


def cohort_analysis(data: UnitData, spec: Any = None) -> CohortResult:
    """Cohort table, pooled curve, recent-vs-trailing comparison, churn control chart and groups of a unit.

    Parameters
    ----------
    data : UnitData
        The validated unit.
    spec : CohortSpec, optional
        The unit's ``cohorts`` params section (default: ``data.config.cohorts``): ``by`` defaults
        to ``signup`` for units with explicit cancellations and ``first_purchase`` otherwise,
        ``definition`` to ``subscribed`` and ``period`` respectively. Cohorts smaller than
        ``thresholds.min_customers`` are kept in the table and flagged in plots.

    Returns
    -------
    CohortResult
    """
    spec = spec if spec is not None else data.config.cohorts
    min_customers = data.config.thresholds.min_customers
    explicit = data.config.churn.method == "explicit"
    definition = spec.definition or ("subscribed" if explicit else "period")
    by = spec.by or ("signup" if explicit else "first_purchase")
    period = spec.period
    last_idx = last_complete_period(data.month_end, period)
    act = cohort_activity(data.orders, data.customers, by=by, period=period)
    table = cohort_retention_table(act, last_idx=last_idx, period=period, definition=definition,
                                   max_periods=spec.max_periods)
    has_amounts = bool(getattr(data, "has_amounts", True))
    if not has_amounts:  # no amounts in the export: revenue is unknown, not zero
        table[REVENUE_COLUMNS] = np.nan
    curves, test = retention_by_group(data, attribute=spec.split_by, by=by, period=period, definition=definition,
                                      max_periods=spec.max_periods, min_customers=min_customers)
    notes = []
    small = table.drop_duplicates("cohort_idx")
    small = small[small.cohort_size < min_customers]
    if len(small):
        notes.append(("cohorts", "small cohorts", f"{len(small)} cohort(s) have fewer than {min_customers} "
                      "customers: they are left out of the cohort table and not compared."))
    return CohortResult(table=table, pooled=pooled_curve(table), has_amounts=has_amounts,
                        recent=recent_vs_trailing(table, n_recent=spec.n_recent, n_trailing=spec.n_trailing,
                                                  min_customers=min_customers),
                        control=churn_control_chart(monthly_kpis(data)), definition=definition, period=period,
                        by=by, min_customers=min_customers, group_curves=curves, group_test=test,
                        split_by=spec.split_by, max_periods=spec.max_periods, n_recent=spec.n_recent,
                        notes=notes_frame(notes), currency=data.config.currency)
