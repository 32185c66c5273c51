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
from .results import AnalysisResult, notes_frame, summary_rows
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
                       alpha: float = 0.05) -> pd.DataFrame:
    """Each of the latest ``n_recent`` cohorts against the ``n_trailing`` cohorts before it, age by age.

    The comparison rate pools the trailing cohorts observable at the same age.
    The interval of the difference is Newcombe's (:func:`retention_utils.stats.newcombe_interval`);
    ``significant`` when it
    excludes 0.

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
        mine = table[(table.cohort_idx == c) & table.observable]
        for r in mine.itertuples():
            trail = table[table.cohort_idx.isin(prior) & (table.period == r.period) & table.observable]
            n2 = int(trail.cohort_size.sum())
            if n2 == 0 or r.cohort_size == 0:
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
        where ``alert`` is ``above``, ``below`` or empty.
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
                       max_periods: int | None = 24) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled retention curves split by a customer attribute, and a test of whether groups differ.

    The test is a chi-square test of independence of *retained at period
    ``test_period``* and the group, among customers of cohorts observable at
    that age (groups with missing attribute are labelled ``(missing)``).

    Returns
    -------
    (curves, test)
        ``curves``: ``group, period, n_cohorts, n_customers, n_retained,
        retention_rate, ci_lower, ci_upper``; ``test``: one row ``attribute,
        period, chi2, dof, p_value, significant, n_customers``.
    """
    if attribute is None:
        empty = pd.DataFrame(columns=["group", "period", "n_cohorts", "n_customers", "n_retained", "retention_rate",
                                      "ci_lower", "ci_upper"])
        return empty, pd.DataFrame([{"attribute": "(none configured)", "period": test_period, "chi2": np.nan,
                                     "dof": 0, "p_value": np.nan, "significant": False, "n_customers": 0}])
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
    test = {"attribute": attribute, "period": test_period, "chi2": np.nan, "dof": 0, "p_value": np.nan,
            "significant": False, "n_customers": int(sum(a + b for _, a, b in contingency))}
    usable = [(g, a, b) for g, a, b in contingency if a + b > 0]
    if len(usable) >= 2:
        obs = np.array([[a, b] for _, a, b in usable])
        if (obs.sum(axis=0) > 0).all():
            chi2, p, dof, _ = chi2_contingency(obs)
            test.update(chi2=float(chi2), dof=int(dof), p_value=float(p), significant=bool(p < 0.05))
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

    def summary_frame(self) -> pd.DataFrame:
        """Headline rows: pooled retention at periods 1, 3 and 12 (Wilson intervals), the latest cohorts
        against the trailing ones, this month's churn rate against its control limits, and the group test.

        Returns
        -------
        DataFrame
            :data:`~retention_utils.results.SUMMARY_COLUMNS`.
        """
        rows = []
        for k in (1, 3, 12):
            r = self.pooled[self.pooled.period == k]
            if len(r):
                r = r.iloc[0]
                rows.append({"metric": f"retention_{self.period}_{k}", "unit": "share", "higher_is_better": True,
                             "label": f"Share of a cohort {_RETAINED[self.definition]} {k} {self.period}"
                                      f"{'s' if k != 1 else ''} after joining",
                             "value": r.retention_rate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper})
        rec = self.recent[self.recent.period >= 1]  # period 0 is everyone by definition
        if len(rec):
            last = rec[rec.cohort == rec.cohort.max()]
            last = last.loc[last.period.idxmax()]
            rows.append({"metric": "latest_cohort_retention", "unit": "share", "higher_is_better": True,
                         "label": f"{pd.Timestamp(last.cohort):%b %Y} cohort, {self.period} {int(last.period)}",
                         "value": last.retention_rate, "compared_to": "trailing cohorts at the same age",
                         "delta": last.difference, "ci_lower": np.nan, "ci_upper": np.nan})
        c = self.control
        if len(c):
            last = c.iloc[-1]
            rows.append({"metric": "churn_control_alert", "unit": "alerts", "higher_is_better": False,
                         "label": "Months outside the churn-rate control limits (last 12)",
                         "value": int((c.tail(12).alert != "").sum())})
        t = self.group_test
        if t is not None and len(t) and not pd.isna(t.iloc[0].p_value):
            t = t.iloc[0]
            rows.append({"metric": "group_test_p_value", "unit": "p-value",
                         "label": f"Retention at {self.period} {int(t.period)} differs by {t.attribute} (chi-square)",
                         "value": t.p_value})
        return summary_rows(rows, analysis="cohorts")


_RETAINED = {"period": "still buying", "unbounded": "still customers", "subscribed": "still subscribed"}


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
                                      max_periods=spec.max_periods)
    notes = []
    small = table.drop_duplicates("cohort_idx")
    small = small[small.cohort_size < min_customers]
    if len(small):
        notes.append(("cohorts", "small cohorts", f"{len(small)} cohort(s) have fewer than {min_customers} "
                      "customers: they are greyed out and not compared."))
    return CohortResult(table=table, pooled=pooled_curve(table), has_amounts=has_amounts,
                        recent=recent_vs_trailing(table, n_recent=spec.n_recent, n_trailing=spec.n_trailing),
                        control=churn_control_chart(monthly_kpis(data)), definition=definition, period=period,
                        by=by, min_customers=min_customers, group_curves=curves, group_test=test,
                        split_by=spec.split_by, max_periods=spec.max_periods, n_recent=spec.n_recent,
                        notes=notes_frame(notes), currency=data.config.currency)
