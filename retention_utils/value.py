"""Value at risk, the high-quality customer screen, personas and cross-sell: the customer-value analysis.

:func:`value_analysis` joins what the other analyses computed (it recomputes none of them):

* customer lifetime value from :func:`retention_utils.clv.clv_analysis` (``ClvResult.customers``);
* churn probabilities from the churn-drivers report (its early warning, handed over by the monthly run:
  :func:`retention_utils.results.read_handoff`); without them value at risk is left out with a note;
* RFM scores and segments from :func:`retention_utils.segments.rfm_analysis`.

CLV at risk of a customer = churn probability (within ``drivers.horizon_days``) x the CLV the customer
brings if they stay (``ClvResult.customers.clv_if_stays``: CLV / P(alive) under BG/NBD, whose CLV already
weighs in the chance a customer has gone; CLV otherwise). Named apart from the churn report's
``value_at_risk`` (probability x the last 12 months' revenue). The 2 x 2 view splits the scored customers by
value (high: the top ``value.high_value_share`` of them by that value, above 0) and risk (high: a churn
probability of at least ``drivers.tiers.medium``, i.e. the high and medium tiers).

The **quality screen** scores every customer who is not churned on five criteria, each a percentile
between 0 and 1 within the unit (``value.screen_weights`` weighs them; criteria without data are left
out and the weights of the rest renormalised):

=============== ===================================================================================
value           CLV (historical revenue when no CLV model fits)
behaviour       mean of recency (more recent is better) and the purchase trend (last 90 days vs the 90 before)
satisfaction    percentile of the latest survey score (no survey: the middle), 0 with a complaint on record
loyalty         mean of tenure and repeat buying (two purchases or more)
referrals       customers referred (``customers.referred_by``), when the export has it
=============== ===================================================================================

A customer *meets* a criterion at the 80th percentile or above. The top ``value.screen_share`` of the
screened customers are listed with the criteria they meet (``high_quality_customers.csv``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import vocabulary
from .config import ValueSpec
from .contract import UnitData
from .engine.features import unit_features
from .engine.value import category_pairs
from .exports import write_csv
from .results import AnalysisResult, notes_frame, summary_rows

__all__ = ["ValueResult", "value_analysis", "screen_customers", "write_value_lists", "headline_sentences", "CRITERIA",
           "SCREEN_FILE"]

#: Screen criteria and their plain words (what "meets" means).
CRITERIA: dict[str, str] = {
    "value": "high expected value",
    "behaviour": "buys recently and more often than before",
    "satisfaction": "satisfied (high survey score, no complaint)",
    "loyalty": "long-standing repeat buyer",
    "referrals": "refers other customers",
}
MEETS = 0.8
SCREEN_FILE = "high_quality_customers.csv"


def _percentile_rank(s: pd.Series, *, ascending: bool = True) -> pd.Series:
    """Percentile rank in [0, 1] (ties share the average rank; NaN stays NaN)."""
    s = s.astype(float)
    if not ascending:
        s = -s
    return s.rank(pct=True, method="average")


def screen_customers(table: pd.DataFrame, weights: dict[str, float], *, share: float = 0.1) -> pd.DataFrame:
    """Score customers on the screen's criteria and mark the top ``share``.

    Parameters
    ----------
    table : DataFrame
        ``customer_id, value, recency_days, order_trend, latest_nps, n_complaints, tenure_days, frequency,
        n_referred`` (any but ``customer_id`` may be missing or all-NaN: that criterion is left out).
    weights : dict
        Criterion -> weight (non-negative).

    Returns
    -------
    DataFrame
        ``customer_id``, one ``<criterion>`` column per criterion used (0-1), ``quality_score`` (weighted
        mean), ``rank``, ``listed`` (top ``share``), ``meets`` (plain words, "; "-separated).

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["a", "b"], "value": [10.0, 1.0]})
    >>> screen_customers(t, {"value": 1.0}, share=0.5)[["customer_id", "rank", "listed"]].values.tolist()
    [['a', 1, True], ['b', 2, False]]
    """
    t = table
    out = pd.DataFrame({"customer_id": t["customer_id"].to_numpy()})

    def has(c: str) -> bool:
        return c in t and t[c].notna().any()

    crit: dict[str, pd.Series] = {}
    if has("value"):
        crit["value"] = _percentile_rank(t["value"])
    parts = [p for p in ((_percentile_rank(t["recency_days"], ascending=False) if has("recency_days") else None),
                         (_percentile_rank(t["order_trend"]) if has("order_trend") else None)) if p is not None]
    if parts:
        crit["behaviour"] = pd.concat(parts, axis=1).mean(axis=1)
    if has("latest_nps") or has("n_complaints"):
        # percentile of the latest survey score among the surveyed (any scale: NPS 0-10, 1-5 stars ...)
        sat = _percentile_rank(t["latest_nps"]).fillna(0.5) if has("latest_nps") else pd.Series(0.5, index=t.index)
        if has("n_complaints"):
            sat = sat.where(~(t["n_complaints"].fillna(0) > 0), 0.0)
        crit["satisfaction"] = sat
    parts = [p for p in ((_percentile_rank(t["tenure_days"]) if has("tenure_days") else None),
                         ((t["frequency"] >= 2).astype(float) if has("frequency") else None)) if p is not None]
    if parts:
        crit["loyalty"] = pd.concat(parts, axis=1).mean(axis=1)
    if has("n_referred") and (t["n_referred"].fillna(0) > 0).any():
        crit["referrals"] = _percentile_rank(t["n_referred"].fillna(0))
    used = {k: float(weights.get(k, 0.0)) for k in crit if weights.get(k, 0.0) > 0}
    total = sum(used.values())
    score = pd.Series(0.0, index=t.index)
    for k, v in crit.items():
        out[k] = v.fillna(0.5).to_numpy()
        if k in used:
            score = score + v.fillna(0.5) * used[k] / total
    out["quality_score"] = score.to_numpy() if total else np.nan
    order = out["quality_score"].rank(ascending=False, method="first")
    out["rank"] = order.fillna(len(out)).astype("int64")
    n_list = int(np.ceil(share * len(out))) if len(out) else 0
    out["listed"] = out["rank"] <= n_list
    meets = [out[k].to_numpy() >= MEETS for k in crit if k in used]
    names = [CRITERIA[k] for k in crit if k in used]
    words = []
    for row in zip(*meets) if meets else [()] * len(out):
        words.append("; ".join(n for n, m in zip(names, row) if m))
    out["meets"] = words
    return out.sort_values("rank").reset_index(drop=True)


@dataclass(frozen=True)
class ValueResult(AnalysisResult):
    """Value at risk, the quality screen, personas and cross-sell of a unit (:func:`value_analysis`).

    Attributes
    ----------
    at_risk : DataFrame
        ``customer_id, clv, clv_lower, clv_upper, clv_if_stays, probability, tier, reasons, clv_at_risk``
        (= probability x clv_if_stays), sorted by it; empty without churn scores.
    quadrants : DataFrame
        ``value`` (high/low), ``risk`` (high/low), ``n_customers, clv, clv_at_risk``.
    screen : DataFrame
        :func:`screen_customers`'s frame (every screened customer).
    personas : object or None
        :class:`retention_utils.personas.PersonaFit` (None when not computed).
    crosssell : object or None
        :class:`retention_utils.crosssell.CrossSell` (None without a category column).
    referrals : DataFrame
        ``referrer, n_referred, referred_value`` (CLV of the referred customers), top referrers first.
    persona_risk : DataFrame
        ``persona, n_scored, expected_churn`` (mean churn probability of its scored customers).
    headline : tuple of str
        The report's headline sentences (future value, value at risk, segment shift, holdout check).
    """

    at_risk: pd.DataFrame
    quadrants: pd.DataFrame
    screen: pd.DataFrame
    personas: Any
    crosssell: Any
    referrals: pd.DataFrame
    persona_risk: pd.DataFrame
    headline: tuple[str, ...]
    month: dt.date
    currency: str
    high_value_threshold: float
    risk_threshold: float
    show_customer_ids: bool
    top_n: int
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.value"

    @property
    def clv_at_risk(self) -> float:
        return float(self.at_risk["clv_at_risk"].sum()) if len(self.at_risk) else float("nan")

    def summary_frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        if self.headline:
            rows.append({"metric": "headline", "label": " ".join(self.headline[:2]), "unit": "sentence"})
        if len(self.at_risk):
            hv = self.quadrants
            hh = hv[(hv["value"] == "high") & (hv["risk"] == "high")]
            rows.append({"metric": "clv_at_risk", "label": "CLV at risk (expected future margin lost to churn)",
                         "value": self.clv_at_risk, "unit": self.currency, "higher_is_better": False})
            if len(hh):
                rows.append({"metric": "high_value_at_risk", "label": "High-value customers at risk",
                             "value": hh["n_customers"].iloc[0], "unit": "customers", "higher_is_better": False})
        return summary_rows(rows, analysis="value")


def _features(data: UnitData) -> pd.DataFrame:
    cutoff = data.month_end + dt.timedelta(days=1)
    f = unit_features(data, cutoff, attributes=[]).to_pandas()
    return f


def _referrals(data: UnitData, clv: pd.DataFrame) -> pd.DataFrame:
    cols = ["referrer", "n_referred", "referred_value"]
    c = data.customers
    if c is None or "referred_by" not in c.columns:
        return pd.DataFrame(columns=cols)
    r = c.filter(c.referred_by.notnull() & (c.signup_date <= data.month_end)).select("customer_id", "referred_by")
    r = r.to_pandas()
    if r.empty:
        return pd.DataFrame(columns=cols)
    r = r.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
    g = r.groupby("referred_by").agg(n_referred=("customer_id", "size"), referred_value=("clv", "sum"))
    g = g.reset_index().rename(columns={"referred_by": "referrer"})
    return g.sort_values(["n_referred", "referred_value", "referrer"], ascending=[False, False, True])[cols] \
        .reset_index(drop=True)


def value_analysis(data: UnitData, spec: ValueSpec | None = None, *, clv: Any, rfm: Any = None,
                   scores: pd.DataFrame | None = None, personas: bool = True) -> ValueResult:
    """Value at risk, the 2 x 2 value-risk view, the quality screen, personas and cross-sell of a unit.

    Parameters
    ----------
    data : UnitData
    spec : ValueSpec, optional
        ``params: value``; default the unit's.
    clv : ClvResult
        The unit's :func:`retention_utils.clv.clv_analysis`.
    rfm : RfmResult, optional
        The unit's :func:`retention_utils.segments.rfm_analysis` (frequency for the screen).
    scores : DataFrame, optional
        The churn scores of the churn-drivers report (``customer_id, probability, tier, reasons``).
    personas : bool
        Fit personas (k-means; a few seconds on a million customers).

    Returns
    -------
    ValueResult
    """
    from . import crosssell as _cs
    from . import personas as _ps

    spec = spec or data.config.value
    cfg = data.config
    notes: list[tuple[str, str, str]] = []
    cust = clv.customers
    vals = cust[["customer_id", "clv"] + [c for c in ("clv_lower", "clv_upper", "clv_if_stays") if c in cust]].copy()
    high_thr = float("nan")
    risk_thr = float(cfg.drivers.tiers.medium)
    at_cols = ["customer_id", "clv", "clv_lower", "clv_upper", "clv_if_stays", "probability", "tier", "reasons",
               "clv_at_risk"]
    if not vals["clv"].notna().any():
        at_risk = pd.DataFrame(columns=at_cols)
        quadrants = pd.DataFrame(columns=["value", "risk", "n_customers", "clv", "clv_at_risk"])
        notes.append(("value at risk", "amounts", "The export has no amounts: there is no CLV, so no CLV at risk. "
                      "The churn-drivers report lists the customers at risk."))
    elif scores is not None and len(scores):
        s = scores[["customer_id", "probability", "tier", "reasons"]].copy()
        s["customer_id"] = s["customer_id"].astype(str)
        a = s.merge(vals, on="customer_id", how="left")
        missing = int(a["clv"].isna().sum())
        if missing:
            notes.append(("value at risk", "clv", f"{missing:,} scored customers have no CLV (no purchase by the "
                          "report month end) and count with a value of 0."))
        a["clv"] = a["clv"].fillna(0.0)
        for c in ("clv_lower", "clv_upper"):
            if c not in a:
                a[c] = np.nan
        stays = a["clv_if_stays"].fillna(a["clv"]) if "clv_if_stays" in a else a["clv"]
        a["clv_if_stays"] = stays
        # the 90-day churn probability times the value kept if the customer stays (BG/NBD's CLV already
        # weighs in the chance that a customer has gone: multiplying it again would count that risk twice)
        a["clv_at_risk"] = a["probability"] * stays
        a = a.sort_values(["clv_at_risk", "probability", "customer_id"], ascending=[False, False, True])
        at_risk = a[at_cols].reset_index(drop=True)
        # high value: the top share of the scored customers by the value they keep if they stay
        pos = at_risk.loc[at_risk["clv_if_stays"] > 0, "clv_if_stays"]
        high_thr = float(pos.quantile(1 - spec.high_value_share)) if len(pos) else float("inf")
        hv = np.where((at_risk["clv_if_stays"] >= high_thr) & (at_risk["clv_if_stays"] > 0), "high", "low")
        hr = np.where(at_risk["probability"] >= risk_thr, "high", "low")
        q = at_risk.assign(value=hv, risk=hr).groupby(["value", "risk"]).agg(
            n_customers=("customer_id", "size"), clv=("clv", "sum"), clv_at_risk=("clv_at_risk", "sum"))
        grid = pd.MultiIndex.from_product([["high", "low"], ["high", "low"]], names=["value", "risk"])
        quadrants = q.reindex(grid, fill_value=0).reset_index()
        quadrants["n_customers"] = quadrants["n_customers"].astype("int64")
    else:
        at_risk = pd.DataFrame(columns=at_cols)
        quadrants = pd.DataFrame(columns=["value", "risk", "n_customers", "clv", "clv_at_risk"])
        notes.append(("value at risk", "churn scores", "Value at risk needs the churn probabilities of the "
                      "churn-drivers report, which the monthly run hands to this report; run the churn-drivers "
                      "report first (or the whole monthly run)."))
    feats = _features(data)
    snap = feats.merge(vals[["customer_id", "clv"]], on="customer_id", how="left")
    if rfm is not None:
        snap = snap.merge(rfm.customers[["customer_id", "frequency", "recency_days"]].rename(
            columns={"recency_days": "_r"}), on="customer_id", how="left")
    if rfm is not None:  # the screen and the personas describe the customers who are not churned
        keep = rfm.customers.loc[rfm.customers["stage"] != "churned", "customer_id"]
        snap = snap[snap["customer_id"].isin(keep)]
    refs = _referrals(data, vals)
    snap = snap.merge(refs.rename(columns={"referrer": "customer_id"})[["customer_id", "n_referred"]],
                      on="customer_id", how="left")
    table = pd.DataFrame({"customer_id": snap["customer_id"],
                          "value": snap["clv"] if snap["clv"].notna().any() else snap.get("revenue_365"),
                          "recency_days": snap.get("recency_days"), "order_trend": snap.get("order_trend"),
                          "latest_nps": snap.get("latest_nps"), "n_complaints": snap.get("n_complaints"),
                          "tenure_days": snap.get("tenure_days"), "frequency": snap.get("frequency"),
                          "n_referred": snap.get("n_referred")})
    w = spec.screen_weights.model_dump()
    screen = screen_customers(table.reset_index(drop=True), w, share=spec.screen_share)
    if "referred_by" not in (data.customers.columns if data.customers is not None else ()):
        notes.append(("quality screen", "referrals", "The customers export has no referred_by column: the screen "
                      "leaves referrals out (weights renormalised). Map a referred_by column in sources.customers "
                      "to add it."))
    pfit = None
    if personas:
        pf = pd.DataFrame({"customer_id": snap["customer_id"], "recency_days": snap.get("recency_days"),
                           "frequency": snap.get("n_orders_365"), "monetary": snap.get("revenue_365"),
                           "tenure_days": snap.get("tenure_days"), "n_tickets": snap.get("n_tickets_365"),
                           "nps": snap.get("latest_nps"), "discount_share": snap.get("discount_share"),
                           "value": table["value"], "churned": np.nan}).reset_index(drop=True)
        pfit = _ps.fit_personas(pf, k_min=spec.persona_k[0], k_max=spec.persona_k[1],
                                min_customers=max(200, 5 * cfg.thresholds.min_customers))
    cs = None
    if data.orders is not None and "category" in data.orders.columns:
        pairs = category_pairs(data.orders, as_of=data.month_end).to_pandas()
        cs = _cs.category_rules(pairs, min_customers=spec.crosssell_min_customers, min_lift=spec.crosssell_min_lift)
    else:
        notes.append(("cross-sell", "category", "The orders export has no category column: no cross-sell rules. "
                      "Map a category (or product group) column in sources.orders to add them."))
    prisk = pd.DataFrame(columns=["persona", "n_scored", "expected_churn"])
    if pfit is not None and len(pfit.assignments) and len(at_risk):
        j = pfit.assignments.merge(at_risk[["customer_id", "probability"]], on="customer_id")
        prisk = j.groupby("persona").agg(n_scored=("probability", "size"), expected_churn=("probability", "mean"))
        prisk = prisk.reset_index()
    head = headline_sentences(clv, rfm, at_risk, quadrants, cfg.currency, horizon=cfg.drivers.horizon_days)
    return ValueResult(at_risk=at_risk, quadrants=quadrants, screen=screen, personas=pfit, crosssell=cs,
                       referrals=refs, persona_risk=prisk, headline=tuple(head), month=data.month, currency=cfg.currency, high_value_threshold=high_thr,
                       risk_threshold=risk_thr, show_customer_ids=cfg.show_customer_ids, top_n=spec.top_n,
                       notes=notes_frame(notes))


def _amount(v: float, currency: str) -> str:
    return f"{currency} {v:,.0f}"  # the display formatter's form (display.formats.money)


def headline_sentences(clv: Any, rfm: Any, at_risk: pd.DataFrame, quadrants: pd.DataFrame, currency: str, *,
                       horizon: int = 90) -> list[str]:
    """The customer-value report's findings in plain words (plain text; the display escapes it)."""
    out = []
    t = clv.total.iloc[0] if len(clv.total) else None
    if t is not None and clv.method == "bgnbd" and "expected_purchases" in clv.total:
        out.append(f"The {int(t['n_customers']):,} {vocabulary.name('customers_ever')} are expected to make "
                   f"{t['expected_purchases']:,.0f} repeat purchases in the next {clv.horizon_months} months; the export "
                   "has no amounts, so there is no value in money.")
    elif t is not None and not np.isfinite(t["clv"]):
        out.append("There is no customer value in money: the export has no amounts.")
    elif t is not None:
        iv = (f" (95% interval {_amount(t['ci_lower'], currency)} to {_amount(t['ci_upper'], currency)})"
              if np.isfinite(t["ci_lower"]) else "")
        who = (vocabulary.name("customers_end", month=clv.month) if clv.method == "sbg" or
               (clv.method == "historical" and clv.contractual) else vocabulary.name("customers_ever"))
        if clv.method == "historical":
            out.append(f"At last year's pace, the {int(t['n_customers']):,} {who} would bring "
                       f"{_amount(t['clv'], currency)} of margin in the next {clv.horizon_months} months; this is a "
                       "run rate, not a forecast, because the CLV model does not fit this unit.")
        else:
            out.append(f"The {int(t['n_customers']):,} {who} are expected to bring {_amount(t['clv'], currency)} "
                       f"of margin in the next {clv.horizon_months} months{iv}.")
    if len(at_risk):
        lost = float(at_risk["clv_at_risk"].sum())
        base = float(at_risk["clv_if_stays"].sum())
        hh = quadrants[(quadrants["value"] == "high") & (quadrants["risk"] == "high")]
        n_hh = int(hh["n_customers"].iloc[0]) if len(hh) else 0
        share = f" ({lost / base:.0%} of what the scored customers bring if they stay)" if base > 0 else ""
        out.append(f"{_amount(lost, currency)} of that value is at risk{share}: each customer's value if they stay, "
                   f"weighted by their chance of churning within {horizon} days; {n_hh:,} high-value customers have "
                   "a high or medium churn risk.")
    if rfm is not None:
        shift = rfm.segment_shift()
        if shift:
            name, d = shift
            n = int(rfm.segments.set_index("segment").loc[name, "n_customers"])
            out.append(f"The '{name}' RFM segment {'grew' if d > 0 else 'shrank'} by {abs(d):,} customers since "
                       f"last month, to {n:,}.")
    h = clv.holdout[clv.holdout["bucket"] == "all"] if len(clv.holdout) else clv.holdout
    if len(h) and np.isfinite(h["error"].iloc[0]):
        r = h.iloc[0]
        subs = clv.method == "sbg" or "0" not in set(clv.holdout["bucket"])
        what = "customers still subscribed" if subs else "repeat purchases"
        out.append(f"Check on the last months held out: the model predicted {r['predicted']:,.0f} {what}, "
                   f"{r['actual']:,.0f} happened ({r['error']:+.0%}).")
    return out


def write_value_lists(result: ValueResult, output_dir: str | Path | None, *, at_risk_file: str = "at_risk_customers.csv"
                      ) -> list[Path]:
    """Write ``high_quality_customers.csv`` and add ``clv, clv_at_risk`` to the churn report's at-risk list.

    The at-risk list (written by the churn-drivers report) keeps its columns; ``clv`` and ``clv_at_risk``
    (probability x CLV) are added by customer. Nothing is written in an interactive session.
    """
    if not output_dir:
        return []
    out = Path(output_dir)
    written = []
    listed = result.screen[result.screen["listed"]]
    if len(result.at_risk) and "clv_if_stays" in result.at_risk:  # for the campaign notebook: value saved
        from .results import write_handoff
        write_handoff(result.at_risk[["customer_id", "clv_if_stays"]], "clv", out)
    written.append(write_csv(listed, out / SCREEN_FILE, rates=[c for c in listed.columns if c in CRITERIA]
                             + ["quality_score"]))
    path = out / at_risk_file
    if path.is_file() and len(result.at_risk):
        from .exports import restore_text
        cur = pd.read_csv(path, dtype={"customer_id": str}, keep_default_na=False, na_values=[""])
        key = cur["customer_id"].map(restore_text)
        add = result.at_risk.set_index("customer_id")
        cur["clv"] = key.map(add["clv"]).to_numpy()
        cur["clv_at_risk"] = key.map(add["clv_at_risk"]).to_numpy()
        for c in cur.columns:  # back to the values the churn report wrote (write_csv neutralises them again)
            if not pd.api.types.is_numeric_dtype(cur[c]):
                cur[c] = cur[c].map(lambda v: restore_text(v) if isinstance(v, str) else v)
        if "as_of" in cur:
            cur["as_of"] = pd.to_datetime(cur["as_of"], errors="coerce").dt.date
        written.append(write_csv(cur, path, money=["value_at_risk", "revenue_12m", "clv", "clv_at_risk"],
                                 rates=["probability"]))
    return written
