"""Monthly customer and revenue KPIs of a business unit.

Definitions (``params: churn`` sets the thresholds; see
:mod:`retention_utils.engine` for the churn rule):

* ``n_active``: the customers who bought in the month (vocabulary ``buyers``): a purchase (order
  with amount > 0, or any order when the export has no amounts:
  :func:`retention_utils.engine.is_purchase`) in the month. Not the customers active at month end.
* ``n_new``: customers acquired in the month (first purchase; under the
  explicit method, signup).
* ``n_reactivated``: purchases after a gap longer than the inactivity window.
* ``n_churned``: customers who became churned in the month.
* ``n_customers_start``: customers acquired and not churned at the start of the
  month; ``churn_rate = n_churned / n_customers_start`` with a Wilson 95% interval.
* ``n_active_end`` / ``n_dormant_end`` / ``n_churned_total_end``: status of all
  acquired customers at the month end.
* ``net_revenue`` (refunds deducted), ``n_orders``, ``aov`` = purchase revenue /
  purchases, ``revenue_per_active`` = net revenue / customers who bought in the month,
  ``repurchase_rate`` = share of the customers who bought in the month who had bought before.
* Without amounts in the export (``UnitData.has_amounts`` False) every dated order
  is a purchase and the money columns (``purchase_revenue, refunds, net_revenue,
  aov, revenue_per_active``) are missing (NaN), never zero; :func:`headline_kpis`
  then leaves the money KPIs out.
* ``warm_up``: months in the first inactivity window after the data starts, in
  which customers who bought before the data begins look new (left-censoring);
  their flows are unreliable and never used as a headline comparison.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import vocabulary
from .calendar import index_to_month, month_index_py
from .contract import UnitData
from .engine import monthly_flows, monthly_revenue
from .results import AnalysisResult, notes_frame, summary_rows
from .samples import shortfall
from .stats import wilson_interval

__all__ = ["kpi_analysis", "KpiResult", "monthly_kpis", "headline_kpis", "KPI_LABELS", "MONEY_COLUMNS"]

#: KPI columns in money; missing (NaN) when the export has no amounts.
MONEY_COLUMNS: tuple[str, ...] = ("purchase_revenue", "refunds", "net_revenue", "aov", "revenue_per_active")

#: Headline KPIs: column -> (label, unit kind, higher is better). The labels are the vocabulary's names
#: (:func:`retention_utils.vocabulary.name`, month-free): ``n_active`` counts the customers who bought in
#: the month, never "active customers" (the customers active at month end are another population).
KPI_LABELS: dict[str, tuple[str, str, bool]] = {
    "n_active": (vocabulary.name("buyers", capital=True), "count", True),
    "n_new": (vocabulary.name("new_customers", capital=True), "count", True),
    "churn_rate": (vocabulary.name("churn_rate", capital=True), "rate", False),
    "net_revenue": (vocabulary.name("net_revenue", capital=True), "money", True),
    "aov": (vocabulary.name("aov", capital=True), "money", True),
    "revenue_per_active": ("Net revenue per customer who bought", "money", True),
    "repurchase_rate": (vocabulary.name("repurchase_rate", capital=True), "rate", True),
}



def monthly_kpis(data: UnitData) -> pd.DataFrame:
    """Monthly KPI table from the first month of data to the report month.

    Returns
    -------
    DataFrame
        One row per month: ``month`` (first day), ``n_active, n_new,
        n_reactivated, n_churned, n_customers_start, churn_rate, churn_rate_ci_lower,
        churn_rate_ci_upper, n_active_end, n_dormant_end, n_churned_total_end,
        n_orders, purchase_revenue, refunds, net_revenue, aov, revenue_per_active,
        n_returning, repurchase_rate, warm_up``.

    Computed once per unit: the table is kept in ``data.cache`` (and travels with the
    runner's validated snapshot), so every page reads the same numbers. A copy is returned.
    """
    cache = getattr(data, "cache", None)
    if cache is not None and "monthly_kpis" in cache:
        return cache["monthly_kpis"].copy()
    out = _monthly_kpis(data)
    if cache is not None:
        cache["monthly_kpis"] = out.copy()
    return out


def _monthly_kpis(data: UnitData) -> pd.DataFrame:
    cfg = data.config
    start_idx = month_index_py(data.data_start)
    end_idx = month_index_py(data.month)
    frame = pd.DataFrame({"month_idx": np.arange(start_idx, end_idx + 1, dtype="int64")})
    flows = monthly_flows(data.orders, data.customers, method=cfg.churn.method,
                          inactivity_days=cfg.churn.inactivity_days, dormant_days=cfg.churn.dormant_days,
                          end=data.month_end)
    rev = monthly_revenue(data.orders, start=data.data_start, end=data.month_end)
    # flows before the first order month (explicit signups) roll into the first row's stock
    early = flows[flows.month_idx < start_idx]
    flows = flows[flows.month_idx >= start_idx]
    out = frame.merge(flows, on="month_idx", how="left").merge(rev, on="month_idx", how="left")
    counts = ["n_new", "n_reactivated", "n_churned", "dormant_in", "dormant_out", "n_orders", "n_active",
              "n_first_purchase"]
    for col in counts:
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("purchase_revenue", "refunds", "net_revenue"):
        out[col] = out[col].fillna(0.0).astype(float)
    net_flow = out.n_new + out.n_reactivated - out.n_churned
    base0 = int((early.n_new + early.n_reactivated - early.n_churned).sum()) if len(early) else 0
    alive_end = base0 + net_flow.cumsum()
    out["n_customers_start"] = (alive_end - net_flow).astype("int64")
    dormant0 = int((early.dormant_in - early.dormant_out).sum()) if len(early) else 0
    out["n_dormant_end"] = (dormant0 + (out.dormant_in - out.dormant_out).cumsum()).astype("int64")
    out["n_active_end"] = (alive_end - out.n_dormant_end).astype("int64")
    lost0 = int((early.n_churned - early.n_reactivated).sum()) if len(early) else 0
    out["n_churned_total_end"] = (lost0 + (out.n_churned - out.n_reactivated).cumsum()).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["churn_rate"] = np.where(out.n_customers_start > 0, out.n_churned / out.n_customers_start.where(
            out.n_customers_start > 0), np.nan)
        out["churn_rate_ci_lower"], out["churn_rate_ci_upper"] = wilson_interval(out.n_churned,
                                                                                 out.n_customers_start)
        out["aov"] = out.purchase_revenue / out.n_orders.where(out.n_orders > 0)
        out["revenue_per_active"] = out.net_revenue / out.n_active.where(out.n_active > 0)
        out["n_returning"] = (out.n_active - out.n_first_purchase).astype("int64")
        out["repurchase_rate"] = out.n_returning / out.n_active.where(out.n_active > 0)
    if not getattr(data, "has_amounts", True):
        out[list(MONEY_COLUMNS)] = np.nan  # no amounts in the export: no money, rather than fake zeros
    out["month"] = pd.to_datetime([index_to_month(int(i)) for i in out.month_idx])
    if cfg.churn.method == "inactivity":
        warm_until = data.data_start + dt.timedelta(days=cfg.churn.inactivity_days)
        out["warm_up"] = out["month"] < pd.Timestamp(warm_until)
    else:  # explicit signup and cancellation dates: nothing is left-censored by the data's start
        out["warm_up"] = False
    cols = ["month", "n_active", "n_new", "n_reactivated", "n_churned", "n_customers_start", "churn_rate",
            "churn_rate_ci_lower", "churn_rate_ci_upper", "n_active_end", "n_dormant_end",
            "n_churned_total_end", "n_orders", "purchase_revenue", "refunds", "net_revenue", "aov",
            "revenue_per_active", "n_returning", "repurchase_rate", "warm_up"]
    return out[cols]


def headline_kpis(kpis: pd.DataFrame, *, month: dt.date | None = None) -> pd.DataFrame:
    """Headline KPIs of a month with their change vs the previous month and a year before.

    Parameters
    ----------
    kpis
        Output of :func:`monthly_kpis`.
    month
        The month to report (default: the last row).

    Returns
    -------
    DataFrame
        One row per KPI: ``kpi, label, kind, higher_is_better, value,
        previous, delta_previous, pct_previous, last_year, delta_last_year,
        pct_last_year, ci_lower, ci_upper, n_obs`` (``n_obs``: the churn rate's
        denominator, customers at the start of the month). Deltas of rates are in percentage
        points (``delta_*`` as a fraction, e.g. 0.012 = +1.2 pp); comparisons
        with warm-up months are left empty. Money KPIs whose column has no value in any
        month (an export without amounts) are left out.
    """
    k = kpis.set_index("month")
    m = pd.Timestamp(month) if month is not None else k.index.max()
    prev = m - pd.DateOffset(months=1)
    ly = m - pd.DateOffset(years=1)
    rows = []
    for col, (label, kind, better) in KPI_LABELS.items():
        if kind == "money" and col in k and k[col].isna().all():
            continue
        value = k.at[m, col] if m in k.index else np.nan

        def ref(when: pd.Timestamp) -> float:
            if when not in k.index or bool(k.at[when, "warm_up"]):
                return np.nan
            return float(k.at[when, col])

        p, y = ref(prev), ref(ly)
        row = {"kpi": col, "label": label, "kind": kind, "higher_is_better": better, "value": float(value),
               "previous": p, "delta_previous": value - p,
               "pct_previous": (value - p) / p if kind != "rate" and p not in (0,) and not np.isnan(p) else np.nan,
               "last_year": y, "delta_last_year": value - y,
               "pct_last_year": (value - y) / y if kind != "rate" and y not in (0,) and not np.isnan(y) else np.nan,
               "ci_lower": np.nan, "ci_upper": np.nan, "n_obs": np.nan}
        if col == "churn_rate":
            row["n_obs"] = float(k.at[m, "n_customers_start"]) if "n_customers_start" in k else np.nan
            row["ci_lower"] = float(k.at[m, "churn_rate_ci_lower"])
            row["ci_upper"] = float(k.at[m, "churn_rate_ci_upper"])
        rows.append(row)
    return pd.DataFrame(rows)


_UNITS = {"count": "customers", "rate": "share"}
_COMPARISONS = (("previous month", "delta_previous", "previous"), ("same month last year", "delta_last_year",
                                                                    "last_year"))


@dataclass(frozen=True)
class KpiResult(AnalysisResult):
    """Monthly KPIs of a unit and the report month's headline.

    Attributes
    ----------
    monthly : DataFrame
        :func:`monthly_kpis`, one row per month.
    headline : DataFrame
        :func:`headline_kpis` of the report month.
    month : datetime.date
        The report month (first day).
    currency : str
        Currency of the money KPIs.
    min_customers : int
        Below this many customers a rate is flagged as a small sample.
    has_amounts : bool
        False when the export has no amounts (money KPIs missing).
    notes : DataFrame
        ``section, subject, note``.
    dormant_days : int or None
        The unit's ``churn.dormant_days`` (what "active at month end" means).
    """

    monthly: pd.DataFrame
    headline: pd.DataFrame
    month: dt.date
    currency: str
    min_customers: int
    has_amounts: bool
    notes: pd.DataFrame
    dormant_days: int | None = None

    _display: ClassVar[str] = "retention_utils.display.kpis"

    def summary_frame(self) -> pd.DataFrame:
        """Headline KPIs as long rows: the value, then its change on the previous month and on a year before.

        Returns
        -------
        DataFrame
            :data:`~retention_utils.results.SUMMARY_COLUMNS`; one row per KPI without a comparison
            (``compared_to`` empty, with the churn rate's 95% interval) and one per KPI and comparison
            (``previous month``, ``same month last year``; ``delta`` in the KPI's unit, shares as fractions).
        """
        rows = []
        for r in self.headline.itertuples():
            unit = self.currency if r.kind == "money" else _UNITS.get(r.kind, r.kind)
            base = {"metric": r.kpi, "label": r.label, "value": r.value, "unit": unit,
                    "higher_is_better": bool(r.higher_is_better)}
            rows.append({**base, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper})
            for name, delta, _ref in _COMPARISONS:
                rows.append({**base, "compared_to": name, "delta": getattr(r, delta)})
        if len(self.headline):
            churn = self.headline.set_index("kpi")
            if "churn_rate" in churn.index:
                rows.append({"metric": "n_customers_start",
                             "label": vocabulary.name("customers_start", capital=True),
                             "value": churn.at["churn_rate", "n_obs"], "unit": "customers"})
            rows.append({"metric": "headline", "label": self.headline_sentence(), "value": np.nan,
                         "unit": "sentence"})
        return summary_rows(rows, analysis="kpis")

    def headline_sentence(self) -> str:
        """The one sentence an executive reads from the KPIs: buyers, churn rate and net revenue, with changes.

        The churn rate is left out, saying why, when the customers at the start of the month are fewer
        than ``min_customers``; net revenue when the export has no amounts.
        """
        h = self.headline.set_index("kpi")
        m = pd.Timestamp(self.month)
        prev = (m - pd.DateOffset(months=1)).strftime("%B")
        a = h.loc["n_active"]
        text = f"{a.value:,.0f} {vocabulary.name('buyers', month=m)}"
        if _known(a.pct_previous):
            text += f" ({a.pct_previous * 100:+.1f}% on {prev})"
        elif _known(a.delta_previous):
            text += f" ({a.delta_previous:+,.0f} on {prev})"
        parts = [text]
        if "churn_rate" in h.index:
            ch = h.loc["churn_rate"]
            start = vocabulary.name("customers_start", month=m)
            if _known(ch.value) and _known(ch.n_obs) and ch.n_obs >= self.min_customers:
                churned = self.monthly.set_index("month").at[m, "n_churned"]
                text = (f"a monthly churn rate of {ch.value * 100:.1f}% ({churned:,.0f} of the {ch.n_obs:,.0f} "
                        f"{start}")
                if _known(ch.delta_previous) and ch.delta_previous != 0:
                    text += (f", {'up' if ch.delta_previous > 0 else 'down'} {abs(ch.delta_previous) * 100:.1f} pp "
                             f"on {prev}")
                parts.append(text + ")")
            else:
                have = f"only {ch.n_obs:,.0f}" if _known(ch.n_obs) and ch.n_obs > 0 else "no"
                parts.append(f"no churn rate: {have} {start} ({self.min_customers:,} needed)")
        if "net_revenue" in h.index:
            r = h.loc["net_revenue"]
            text = f"net revenue of {self.currency} {r.value:,.0f}"
            if _known(r.pct_last_year):
                text += f" ({r.pct_last_year * 100:+.1f}% on a year before)"
            parts.append(text)
        else:
            parts.append("no revenue (the export has no amounts)")
        return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def _known(v: Any) -> bool:
    try:
        return bool(np.isfinite(float(v)))
    except (TypeError, ValueError):
        return False


def kpi_analysis(data: UnitData, spec: Any = None) -> KpiResult:
    """Monthly customer and revenue KPIs of a unit, with the report month's headline.

    Parameters
    ----------
    data : UnitData
        The validated unit.
    spec : Thresholds, optional
        The unit's ``thresholds`` params section (default: ``data.config.thresholds``).

    Returns
    -------
    KpiResult
    """
    spec = spec if spec is not None else data.config.thresholds
    monthly = monthly_kpis(data)
    headline = headline_kpis(monthly, month=data.month)
    notes = []
    if monthly["warm_up"].any():
        notes.append(("kpis", "warm-up", "Months in the first inactivity window after the data starts are "
                      "warm-up months: customers who bought before the data begins look new there, so their "
                      "flows are not compared."))
    churn = headline.set_index("kpi")
    n_start = churn.at["churn_rate", "n_obs"] if "churn_rate" in churn.index else float("nan")
    short = shortfall(n_start, spec.min_customers, what="the monthly churn rate",
                      where=f"at the start of {pd.Timestamp(data.month):%B %Y}")
    if short:
        notes.append(("kpis", "churn rate", short))
    return KpiResult(monthly=monthly, headline=headline, month=data.month, currency=data.config.currency,
                     min_customers=spec.min_customers, has_amounts=bool(getattr(data, "has_amounts", True)),
                     notes=notes_frame(notes), dormant_days=data.config.churn.dormant_days)
