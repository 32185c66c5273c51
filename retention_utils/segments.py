"""RFM segments and lifecycle stages of a unit's customers, as of the report month.

RFM (``params: value.rfm``)
    Every customer who bought by the end of the report month and is not churned (the kit's churn definition,
    ``params: churn``) gets three scores from 1 to ``bins``
    (default 5): recency (days since the last purchase; fewer is better), frequency (purchases to date)
    and monetary (net revenue to date). **Ties and small units:** a score is ``1 + floor(bins x share of
    customers with a strictly worse value)``, so equal values always get equal scores (a customer is
    never split from an identical one by sort order), scores need no minimum unit size, and heavily tied
    values (most customers bought once) leave some scores unused instead of splitting the tie at random.
    ``fm_score`` is the mean of F and M rounded half up (F alone without amounts). The segment is the
    first entry of the segment map whose R and FM ranges hold the customer (:data:`DEFAULT_SEGMENTS`,
    the widely used R x FM grid; ``value.rfm.segments`` replaces it). Churned customers are not scored:
    their segment is "Lost" (scored among everyone, the long-gone customers of a long history would fill
    the low recency scores, and "At risk" would name customers already lost). A segment's churn rate: of its customers not churned ``churn_window_months``
    before the report month end, the share churned by it (Wilson 95% interval).

Lifecycle (``params: value.lifecycle``)
    The stage of every acquired customer at each month end (:mod:`retention_utils.engine.value`),
    counted over the last ``months`` months, and the flows between last month's and this month's stage.
    Churned, dormant and the active stages together equal the KPI overview's counts at month end.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .calendar import index_to_month, month_end, month_index_py
from .config import RfmSegment, ValueSpec
from .contract import UnitData
from .engine import customer_key
from .engine.value import STAGES, rfm_inputs, stage_counts, stage_table
from .results import AnalysisResult, notes_frame, summary_rows
from .samples import min_customers, shortfall
from .stats import wilson_interval

__all__ = ["DEFAULT_SEGMENTS", "SEGMENT_ORDER", "LOST", "NOT_YET", "RfmResult", "LifecycleResult", "rfm_scores",
           "assign_segments", "rfm_analysis", "lifecycle_analysis"]

#: The default segment map on 1-5 scores (R, FM): first match wins; covers all 25 cells.
DEFAULT_SEGMENTS: tuple[RfmSegment, ...] = (
    RfmSegment(name="Champions", r=(5, 5), fm=(4, 5)),
    RfmSegment(name="Loyal", r=(3, 4), fm=(4, 5)),
    RfmSegment(name="Potential loyalists", r=(4, 5), fm=(2, 3)),
    RfmSegment(name="New", r=(5, 5), fm=(1, 1)),
    RfmSegment(name="Promising", r=(4, 4), fm=(1, 1)),
    RfmSegment(name="Need attention", r=(3, 3), fm=(3, 3)),
    RfmSegment(name="About to sleep", r=(3, 3), fm=(1, 2)),
    RfmSegment(name="Can't lose them", r=(1, 2), fm=(5, 5)),
    RfmSegment(name="At risk", r=(1, 2), fm=(3, 4)),
    RfmSegment(name="Hibernating", r=(1, 2), fm=(1, 2)),
)
#: The segment of every churned customer (the kit's churn definition, ``params: churn``); never scored.
LOST = "Lost"
#: Segment names in report order (best first).
SEGMENT_ORDER: tuple[str, ...] = tuple(s.name for s in DEFAULT_SEGMENTS) + ("Lost",)
#: Where customers come from who were not customers at the earlier date (transition tables).
NOT_YET = "(not yet a customer)"
_OTHER = "Other"


def rfm_scores(table: pd.DataFrame, *, bins: int = 5) -> pd.DataFrame:
    """R, F, M and FM scores of a customer table (``recency_days, frequency, monetary``); a copy is returned.

    ``score = 1 + floor(bins * share of customers with a strictly worse value)``: ties share a score.

    Examples
    --------
    >>> t = pd.DataFrame({"recency_days": [1, 10, 10, 300], "frequency": [5, 1, 1, 1], "monetary": [90.0, 10, 20, 5]})
    >>> rfm_scores(t, bins=4)[["r_score", "f_score", "m_score", "fm_score"]].values.tolist()
    [[4, 4, 4, 4], [2, 1, 2, 2], [2, 1, 3, 2], [1, 1, 1, 1]]
    """
    out = table.copy()
    n = len(out)
    if n == 0:
        for c in ("r_score", "f_score", "m_score", "fm_score"):
            out[c] = pd.Series(dtype="int64")
        return out

    def score(worse_than: pd.Series) -> np.ndarray:
        below = worse_than.rank(method="min").to_numpy() - 1  # customers strictly worse
        return (1 + np.floor(bins * below / n)).astype("int64")

    out["r_score"] = score(-out["recency_days"].astype(float))
    out["f_score"] = score(out["frequency"].astype(float))
    has_m = "monetary" in out and out["monetary"].notna().any()
    out["m_score"] = score(out["monetary"].astype(float).fillna(0.0)) if has_m else out["f_score"]
    out["fm_score"] = ((out["f_score"] + out["m_score"] + 1) // 2).astype("int64")
    return out


def assign_segments(scores: pd.DataFrame, segments: tuple[RfmSegment, ...] | list[RfmSegment] | None = None, *,
                    bins: int = 5) -> pd.Series:
    """The segment name of each scored customer: the first segment whose ranges hold (r_score, fm_score).

    With the default map and ``bins`` other than 5, scores are first put on the 1-5 scale
    (``1 + floor((score - 1) * 5 / bins)``). Customers no segment holds (a custom map with gaps) are "Other".
    """
    segs = list(segments) if segments else list(DEFAULT_SEGMENTS)
    r, fm = scores["r_score"].to_numpy(), scores["fm_score"].to_numpy()
    if not segments and bins != 5:
        r, fm = 1 + (r - 1) * 5 // bins, 1 + (fm - 1) * 5 // bins
    out = np.full(len(scores), _OTHER, dtype=object)
    free = np.ones(len(scores), dtype=bool)
    for s in segs:
        hit = free & (r >= s.r[0]) & (r <= s.r[1]) & (fm >= s.fm[0]) & (fm <= s.fm[1])
        out[hit] = s.name
        free &= ~hit
    return pd.Series(out, index=scores.index, name="segment")


@dataclass(frozen=True)
class RfmResult(AnalysisResult):
    """RFM scores and segments of a unit (:func:`rfm_analysis`).

    Attributes
    ----------
    customers : DataFrame
        ``customer_key, customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score,
        segment, stage`` (every customer who bought by the report month end; ``stage``: the lifecycle stage at
        the month end; scores missing for churned customers, whose segment is "Lost").
    segments : DataFrame
        ``segment, n_customers, share, revenue, revenue_share, mean_recency_days, mean_frequency,
        mean_monetary, n_customers_prev`` (last month), ``delta`` (customers vs last month), ``churn_base``
        (members ``churn_window_months`` ago not churned then), ``n_churned`` (of them, churned by now),
        ``churn_rate, churn_rate_ci_lower, churn_rate_ci_upper`` (NaN below the unit's minimum sample).
    transitions : DataFrame
        ``from_segment, to_segment, n_customers, share`` (of the from-segment): last month end -> this
        month end; new buyers come from :data:`NOT_YET`.
    score_ranges : DataFrame
        ``dimension`` (recency_days, frequency, monetary), ``score, n_customers, min, max``.
    """

    customers: pd.DataFrame
    segments: pd.DataFrame
    transitions: pd.DataFrame
    score_ranges: pd.DataFrame
    month: dt.date
    currency: str
    churn_window_months: int
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.value"

    def segment_shift(self) -> tuple[str, int] | None:
        """The segment whose size changed most against last month: (name, change in customers)."""
        s = self.segments.dropna(subset=["delta"])
        s = s[~s["segment"].isin([LOST, _OTHER])]  # "Lost" grows with every month's churn: no news
        if s.empty:
            return None
        row = s.loc[s["delta"].abs().idxmax()]
        return (str(row["segment"]), int(row["delta"])) if row["delta"] else None

    def summary_frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        seg = self.segments.set_index("segment")
        for name in ("Champions", "At risk", "Can't lose them"):
            if name in seg.index:
                r = seg.loc[name]
                rows.append({"metric": f"segment_{name.lower().replace(' ', '_').replace(chr(39), '')}",
                             "label": f"{name} (RFM segment)", "value": r["n_customers"], "unit": "customers",
                             "compared_to": "previous month", "delta": r["delta"],
                             "higher_is_better": name == "Champions"})
        return summary_rows(rows, analysis="rfm")


def _month_bounds(month: dt.date, back: int) -> tuple[dt.date, dt.date]:
    start = index_to_month(month_index_py(month) - back)
    return start, month_end(start)


def _key(data: UnitData) -> str:
    return customer_key(data.orders, data.customers)


def _scored(data: UnitData, month: dt.date, spec: ValueSpec) -> pd.DataFrame:
    """Scores and segments at the end of ``month`` (first day): churned customers are "Lost", unscored."""
    key = _key(data)
    t = rfm_inputs(data.orders, as_of=month_end(month))
    if key != "customer_id":
        ids = data.customers.select(key, "customer_id")
        t = t.left_join(ids, "customer_id").drop("customer_id_right")
    df = t.to_pandas()
    if key == "customer_id":
        df["customer_key"] = df["customer_id"]
    if not getattr(data, "has_amounts", True):
        df["monetary"] = np.nan
    df = df.merge(_stages(data, month, spec), on="customer_key", how="left")
    lost = df["stage"].eq("churned").to_numpy()
    scored = rfm_scores(df[~lost], bins=spec.rfm.bins)
    scored["segment"] = assign_segments(scored, spec.rfm.segments, bins=spec.rfm.bins)
    gone = df[lost].assign(segment=LOST)
    df = pd.concat([scored, gone]) if len(gone) else scored
    cols = ["customer_key", "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
            "fm_score", "segment", "stage"]
    for c in ("r_score", "f_score", "m_score", "fm_score"):
        df[c] = df[c].astype("Int64")
    return df[cols].sort_values("customer_key").reset_index(drop=True)


def _stages(data: UnitData, month: dt.date, spec: ValueSpec) -> pd.DataFrame:
    cfg = data.config
    start = month.replace(day=1)
    s = stage_table(data.orders, data.customers, as_of=month_end(start), month_start=start, method=cfg.churn.method,
                    inactivity_days=cfg.churn.inactivity_days, dormant_days=cfg.churn.dormant_days,
                    trend_days=spec.lifecycle.trend_days, mature_days=spec.lifecycle.mature_days,
                    decline_ratio=spec.lifecycle.decline_ratio).to_pandas()
    key = _key(data)
    return s.rename(columns={key: "customer_key"})


def _order(names: pd.Series, order: tuple[str, ...]) -> pd.Series:
    rank = {n: i for i, n in enumerate(order)}
    return names.map(lambda n: rank.get(n, len(rank)))


def _transitions(before: pd.DataFrame, after: pd.DataFrame, col: str, order: tuple[str, ...],
                 drop_from: tuple[str, ...] = ()) -> pd.DataFrame:
    m = after[["customer_key", col]].merge(before[["customer_key", col]], on="customer_key", how="left",
                                            suffixes=("_to", "_from"))
    m[f"{col}_from"] = m[f"{col}_from"].fillna(NOT_YET)
    m = m[~m[f"{col}_from"].isin(drop_from)]
    t = m.groupby([f"{col}_from", f"{col}_to"]).size().rename("n_customers").reset_index()
    t.columns = [f"from_{col}", f"to_{col}", "n_customers"]
    t["share"] = t["n_customers"] / t.groupby(f"from_{col}")["n_customers"].transform("sum")
    full = (NOT_YET,) + order
    t = t.sort_values([f"from_{col}", f"to_{col}"], key=lambda s: s.map(lambda n: full.index(n) if n in full else 99))
    return t.reset_index(drop=True)


def rfm_analysis(data: UnitData, spec: ValueSpec | None = None) -> RfmResult:
    """RFM scores, segments, segment churn and last month's segment transitions of a unit.

    Parameters
    ----------
    data : UnitData
        The unit (an order history).
    spec : ValueSpec, optional
        ``params: value``; default: the unit's.

    Returns
    -------
    RfmResult
    """
    spec = spec or data.config.value
    cfg = data.config
    month = data.month
    now = _scored(data, month, spec)
    prev = _scored(data, _month_bounds(month, 1)[0], spec)
    # a customer can only count as churned once the inactivity window has passed: a window shorter than it
    # would show churn rates of zero by construction, so it is widened (and the page says so)
    w = spec.rfm.churn_window_months
    need_w = (-(-cfg.churn.inactivity_days // 30) + 1) if cfg.churn.method == "inactivity" else 1
    widened = need_w > w
    w = max(w, need_w)
    base = _scored(data, _month_bounds(month, w)[0], spec)
    alive_base = base[base["segment"] != LOST]
    alive_base = alive_base.merge(now[["customer_key", "stage"]].rename(columns={"stage": "stage_now"}),
                                  on="customer_key", how="left")
    alive_base["churned"] = alive_base["stage_now"].eq("churned")
    churn = alive_base.groupby("segment").agg(churn_base=("customer_key", "size"), n_churned=("churned", "sum"))
    names = [s.name for s in (spec.rfm.segments or DEFAULT_SEGMENTS)]
    order = tuple(dict.fromkeys(names + ([_OTHER] if (now["segment"] == _OTHER).any() else []) + [LOST]))
    g = now.groupby("segment").agg(n_customers=("customer_key", "size"), revenue=("monetary", "sum"),
                                   mean_recency_days=("recency_days", "mean"), mean_frequency=("frequency", "mean"),
                                   mean_monetary=("monetary", "mean"))
    seg = pd.DataFrame({"segment": list(order)}).merge(g.reset_index(), on="segment", how="left")
    seg["n_customers"] = seg["n_customers"].fillna(0).astype("int64")
    n = max(int(seg["n_customers"].sum()), 1)
    seg["share"] = seg["n_customers"] / n
    total_rev = now["monetary"].sum()
    seg["revenue_share"] = seg["revenue"] / total_rev if total_rev else np.nan
    pc = prev.groupby("segment").size()
    seg["n_customers_prev"] = seg["segment"].map(pc).fillna(0).astype("int64")
    seg["delta"] = seg["n_customers"] - seg["n_customers_prev"]
    seg = seg.merge(churn.reset_index(), on="segment", how="left")
    seg["churn_base"] = seg["churn_base"].fillna(0).astype("int64")
    seg["n_churned"] = seg["n_churned"].fillna(0).astype("int64")
    need = min_customers(cfg)
    ok = seg["churn_base"] >= need
    rate = seg["n_churned"] / seg["churn_base"].where(seg["churn_base"] > 0)
    lo, hi = wilson_interval(seg["n_churned"], seg["churn_base"])
    seg["churn_rate"] = rate.where(ok)
    seg["churn_rate_ci_lower"] = pd.Series(lo, index=seg.index).where(ok)
    seg["churn_rate_ci_upper"] = pd.Series(hi, index=seg.index).where(ok)
    cols = ["segment", "n_customers", "share", "revenue", "revenue_share", "mean_recency_days", "mean_frequency",
            "mean_monetary", "n_customers_prev", "delta", "churn_base", "n_churned", "churn_rate",
            "churn_rate_ci_lower", "churn_rate_ci_upper"]
    seg = seg[cols]
    trans = _transitions(prev, now, "segment", order)
    ranges = []
    for dim, sc in (("recency_days", "r_score"), ("frequency", "f_score"), ("monetary", "m_score")):
        if now[dim].notna().any():
            r = now.groupby(sc)[dim].agg(["size", "min", "max"]).reset_index()
            r.columns = ["score", "n_customers", "min", "max"]
            r.insert(0, "dimension", dim)
            ranges.append(r)
    ranges_df = pd.concat(ranges, ignore_index=True) if ranges else pd.DataFrame(
        columns=["dimension", "score", "n_customers", "min", "max"])
    notes = []
    small = seg[(~ok) & (seg["churn_base"] > 0)]
    if len(small):
        names_txt = ", ".join(small["segment"].head(5))
        notes.append(("rfm", "churn rate", shortfall(int(small["churn_base"].max()), need,
                                                      what=f"the churn rate of {names_txt}",
                                                      where="in the largest of them")))
    if widened:
        notes.append(("rfm", "churn rate", f"Churn rates are measured over {w} months, not the "
                      f"{spec.rfm.churn_window_months} of value.rfm.churn_window_months: a customer counts as churned "
                      f"only after {cfg.churn.inactivity_days} days without a purchase."))
    if (now["segment"] == _OTHER).any():
        notes.append(("rfm", "segments", f"{int((now['segment'] == _OTHER).sum()):,} customers fall in no segment "
                      "of value.rfm.segments and are shown as 'Other'."))
    if not getattr(data, "has_amounts", True):
        notes.append(("rfm", "monetary", "The export has no amounts: the FM score is the frequency score alone."))
    return RfmResult(customers=now, segments=seg, transitions=trans, score_ranges=ranges_df, month=month,
                     currency=cfg.currency, churn_window_months=w, notes=notes_frame(notes))


@dataclass(frozen=True)
class LifecycleResult(AnalysisResult):
    """Lifecycle stages of a unit (:func:`lifecycle_analysis`).

    Attributes
    ----------
    counts : DataFrame
        ``month`` (first day), ``stage, n_customers, share`` (of all acquired customers at the month end), one
        row per month of the last ``months`` and stage (zeros included).
    flows : DataFrame
        ``from_stage, to_stage, n_customers, share``: last month end -> this month end; customers acquired
        this month come from :data:`NOT_YET`.
    """

    counts: pd.DataFrame
    flows: pd.DataFrame
    month: dt.date
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.value"

    def at(self, month: dt.date | None = None) -> pd.Series:
        """Customers per stage at a month end (default: the report month), indexed by stage."""
        m = month or self.month
        c = self.counts[self.counts["month"] == m]
        return c.set_index("stage")["n_customers"].reindex(list(STAGES), fill_value=0)

    def summary_frame(self) -> pd.DataFrame:
        now = self.at()
        months = sorted(self.counts["month"].unique())
        prev = self.at(months[-2]) if len(months) > 1 else None
        rows = []
        for st in ("declining", "dormant"):
            rows.append({"metric": f"stage_{st}", "label": f"{st.capitalize()} customers (lifecycle stage)",
                         "value": now[st], "unit": "customers",
                         "compared_to": "previous month" if prev is not None else "",
                         "delta": now[st] - prev[st] if prev is not None else np.nan, "higher_is_better": False})
        return summary_rows(rows, analysis="lifecycle")


def lifecycle_analysis(data: UnitData, spec: ValueSpec | None = None) -> LifecycleResult:
    """Lifecycle stage counts over the last months and the flows between last month and this month.

    Returns
    -------
    LifecycleResult
    """
    spec = spec or data.config.value
    cfg = data.config
    month = data.month
    first = max(month_index_py(month) - spec.lifecycle.months + 1, month_index_py(data.data_start))
    bounds = [(index_to_month(i), month_end(index_to_month(i))) for i in range(first, month_index_py(month) + 1)]
    kw = dict(method=cfg.churn.method, inactivity_days=cfg.churn.inactivity_days, dormant_days=cfg.churn.dormant_days,
              trend_days=spec.lifecycle.trend_days, mature_days=spec.lifecycle.mature_days,
              decline_ratio=spec.lifecycle.decline_ratio)
    sc = stage_counts(data.orders, data.customers, month_ends=bounds, **kw)
    grid = pd.MultiIndex.from_product([[e for _, e in bounds], list(STAGES)], names=["month_end", "stage"])
    sc = sc.set_index(["month_end", "stage"]).reindex(grid, fill_value=0).reset_index()
    sc["n_customers"] = sc["n_customers"].astype("int64")
    sc["month"] = sc["month_end"].map(lambda d: d.replace(day=1))
    tot = sc.groupby("month")["n_customers"].transform("sum")
    sc["share"] = sc["n_customers"] / tot.where(tot > 0)
    counts = sc[["month", "stage", "n_customers", "share"]]
    now = _stages(data, month, spec)
    if month_index_py(month) > month_index_py(data.data_start):
        before = _stages(data, index_to_month(month_index_py(month) - 1), spec)
    else:
        before = now.iloc[0:0]
    flows = _transitions(before, now, "stage", STAGES)
    notes = []
    if cfg.churn.method == "inactivity" and cfg.churn.dormant_days < 31:
        notes.append(("lifecycle", "new", f"churn.dormant_days is {cfg.churn.dormant_days}: some customers acquired "
                      "this month are already dormant at its end and count as dormant, not new."))
    warm = month_index_py(data.data_start) + -(-cfg.churn.inactivity_days // 30)
    if first <= warm:
        notes.append(("lifecycle", "early months", "In the first months of the data, customers who bought before it "
                      "begins look new; the stages of those months overstate new customers."))
    return LifecycleResult(counts=counts.reset_index(drop=True), flows=flows, month=month, notes=notes_frame(notes))

