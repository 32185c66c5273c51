"""Customer lifetime value of a unit: :func:`clv_analysis` (the models are in the sibling modules).

* **Non-contractual units** (churn by inactivity): BG/NBD for purchase counts and Gamma-Gamma for spend,
  fitted on every customer who bought by the report month end (a transaction is a purchase day).
  CLV = margin x expected spend x expected purchases over ``value.horizon_months``, discounted monthly.
* **Contractual units** (explicit cancellations): the shifted-beta-geometric model on the monthly
  survivors of each signup cohort; CLV = monthly margin (the customer's average monthly revenue over the
  last 90 days x margin) x the discounted expected residual lifetime (payments still to come).
* **Holdout check, every report**: the model is refitted on the data up to ``value.holdout_months`` before
  the report month end and predicts the holdout: repeat purchases (BG/NBD, by calibration frequency) or
  customers still subscribed (sBG). When the aggregate error exceeds ``value.holdout_max_error``, or a
  fit fails, the unit falls back to historical value: CLV is the margin of the last 12 months, scaled to
  the horizon (a run rate, not a forecast), and the report says so.
* Intervals: parametric bootstrap from the fits' Hessians (the unit total, and each of the top customers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..calendar import DAYS_PER_MONTH, index_to_month, month_end, month_index_py
from ..config import ValueSpec
from ..contract import UnitData
from ..engine import customer_key
from ..engine.value import btyd_summary, revenue_history
from ..results import AnalysisResult, notes_frame, summary_rows
from .bgnbd import expected_purchases, fit_bgnbd, p_alive
from .gamma_gamma import fit_gamma_gamma, independence_check
from .holdout import HoldoutCheck, holdout_check
from .sbg import derl, fit_sbg, sbg_survival
from .value import WEEKS_PER_MONTH, clv_intervals, customer_value

__all__ = ["ClvResult", "clv_analysis"]

#: Customers given their own CLV interval (the top by CLV).
TOP_INTERVALS = 1000


@dataclass(frozen=True)
class ClvResult(AnalysisResult):
    """CLV of a unit's customers (:func:`clv_analysis`).

    Attributes
    ----------
    customers : DataFrame
        ``customer_id, historical_revenue`` (net revenue to date), ``historical_margin``, ``p_alive``,
        ``expected_purchases`` (over the horizon; BG/NBD only), ``clv, clv_lower, clv_upper`` (intervals
        for the top 1,000 customers by CLV, NaN for the others), ``clv_if_stays`` (the value if the customer is
        still a customer now: CLV / P(alive) under BG/NBD, else CLV), sorted by CLV.
    params : DataFrame
        ``model, parameter, estimate, se, ci_lower, ci_upper`` of the fits used.
    total : DataFrame
        One row: ``clv, ci_lower, ci_upper, n_customers`` (the customers valued; ``expected_purchases`` too under
        ``bgnbd``).
    holdout : DataFrame
        ``bucket`` (calibration repeat purchases 0..6, 7+; then ``all``; ``spend`` for the spend in the holdout),
        ``n_customers, actual, predicted`` (totals: repeat purchases in the holdout, or under the sBG model
        subscribers still subscribed at its end, bucket ``all`` only), ``error`` (predicted - actual, relative).
    method : str
        ``bgnbd_gg``, ``bgnbd`` (no amounts: expected purchases only, CLV missing), ``sbg`` or ``historical``
        (fallback; CLV missing without amounts).
    """

    customers: pd.DataFrame
    params: pd.DataFrame
    total: pd.DataFrame
    holdout: pd.DataFrame
    method: str
    fits: bool
    independence: str
    month: dt.date
    calibration_end: dt.date | None
    currency: str
    horizon_months: int
    margin: float
    show_customer_ids: bool = False
    top_n: int = 25
    contractual: bool = False
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.value"

    @property
    def holdout_error(self) -> float:
        h = self.holdout[self.holdout["bucket"] == "all"]
        return float(h["error"].iloc[0]) if len(h) else float("nan")

    def summary_frame(self) -> pd.DataFrame:
        t = self.total.iloc[0] if len(self.total) else None
        rows: list[dict[str, Any]] = []
        if t is not None and np.isfinite(t["clv"]):
            rows.append({"metric": "clv_total", "label": f"Expected margin of today's customers, next "
                         f"{self.horizon_months} months" + (" (run rate)" if self.method == "historical" else ""),
                         "value": t["clv"], "unit": self.currency, "ci_lower": t["ci_lower"],
                         "ci_upper": t["ci_upper"], "higher_is_better": True})
        if not np.isnan(self.holdout_error):
            rows.append({"metric": "clv_holdout_error", "label": "CLV model error on the holdout", "value":
                         self.holdout_error, "unit": "share"})
        return summary_rows(rows, analysis="clv")


def _holdout_frame(check: HoldoutCheck) -> pd.DataFrame:
    """The check's table in the result's shape: one row per frequency bucket, then "all" (and "spend")."""
    t = check.table
    out = pd.DataFrame({"bucket": t["frequency_bucket"], "n_customers": t["n_customers"],
                        "actual": t["actual_total"], "predicted": t["predicted_total"]})
    tot = check.totals.set_index("measure")
    extra = [{"bucket": "all", "n_customers": int(t["n_customers"].sum()), "actual": check.actual_total,
              "predicted": check.predicted_total}]
    if "spend" in tot.index:
        extra.append({"bucket": "spend", "n_customers": int(t["n_customers"].sum()),
                      "actual": tot.loc["spend", "actual_total"], "predicted": tot.loc["spend", "predicted_total"]})
    out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    out["error"] = (out["predicted"] - out["actual"]) / out["actual"].where(out["actual"] > 0)
    out["n_customers"] = out["n_customers"].astype("int64")
    return out


def _ids(data: UnitData, frame: pd.DataFrame) -> pd.DataFrame:
    key = customer_key(data.orders, data.customers)
    if key == "customer_id":
        return frame
    ids = data.customers.select(key, "customer_id").to_pandas()
    return frame.merge(ids, on=key, how="left").drop(columns=[key])


def _history(data: UnitData, margin: float) -> pd.DataFrame:
    """Net revenue to date, of the last 12 months and 90 days per customer who bought, and the margin to date."""
    h = revenue_history(data.orders, as_of=data.month_end).to_pandas()
    h["historical_margin"] = margin * h["historical_revenue"]
    return h


def _params(model: str, fit: Any) -> pd.DataFrame:
    p = fit.params_frame()
    p.insert(0, "model", model)
    return p


def clv_analysis(data: UnitData, spec: ValueSpec | None = None) -> ClvResult:
    """CLV of every customer of a unit, with the holdout check and intervals (see the module docstring).

    Returns
    -------
    ClvResult
    """
    spec = spec or data.config.value
    cfg = data.config
    notes: list[tuple[str, str, str]] = []
    hist = _history(data, spec.margin)
    if not getattr(data, "has_amounts", True):
        notes.append(("clv", "amounts", "The export has no amounts: no monetary value can be computed; CLV is "
                      "left out (counts of expected purchases are shown instead)."))
    cal_idx = month_index_py(data.month) - spec.holdout_months
    cal_end = month_end(index_to_month(cal_idx)) if cal_idx >= month_index_py(data.data_start) + 3 else None
    if cal_end is None:
        notes.append(("clv", "holdout", f"Too little history for a {spec.holdout_months}-month holdout check (the "
                      "calibration needs at least 3 months before it)."))
    if cfg.churn.method == "explicit":
        res = _contractual(data, spec, hist, cal_end, notes)
    else:
        res = _noncontractual(data, spec, hist, cal_end, notes)
    return res


def _fallback(data: UnitData, spec: ValueSpec, hist: pd.DataFrame, reason: str, notes: list, *,
              holdout: pd.DataFrame, params: pd.DataFrame, cal_end: dt.date | None, independence: str = "",
              alive: pd.Series | None = None) -> ClvResult:
    notes.append(("clv", "fallback", reason + (" The value shown is historical: the margin of the last 12 months, "
                  f"scaled to {spec.horizon_months} months (a run rate, not a forecast)."
                  if getattr(data, "has_amounts", True) else "")))
    c = hist.copy()
    c["p_alive"] = np.nan
    c["expected_purchases"] = np.nan
    c["clv"] = spec.margin * c["revenue_12m"].clip(lower=0) * spec.horizon_months / 12
    if not getattr(data, "has_amounts", True):
        c["clv"] = c["historical_revenue"] = c["historical_margin"] = np.nan
    c["clv_lower"] = np.nan
    c["clv_upper"] = np.nan
    if alive is not None:  # a subscription unit values its current subscribers only
        c = c[c["customer_id"].isin(alive)]
    total = pd.DataFrame({"clv": [c["clv"].sum(min_count=1)], "ci_lower": [np.nan], "ci_upper": [np.nan],
                          "n_customers": [len(c)]})
    return _result(data, spec, c, params, total, holdout, "historical", False, independence, cal_end, notes)


def _result(data: UnitData, spec: ValueSpec, c: pd.DataFrame, params: pd.DataFrame, total: pd.DataFrame,
            holdout: pd.DataFrame, method: str, fits: bool, independence: str, cal_end: dt.date | None,
            notes: list) -> ClvResult:
    # the value if the customer stays: BG/NBD's CLV already weighs in the chance they have gone (P(alive))
    c = c.assign(clv_if_stays=np.where(c["p_alive"] > 0, c["clv"] / c["p_alive"], c["clv"])
                 if method == "bgnbd_gg" else c["clv"])
    cols = ["customer_id", "historical_revenue", "historical_margin", "p_alive", "expected_purchases", "clv",
            "clv_lower", "clv_upper", "clv_if_stays"]
    c = c.sort_values(["clv", "expected_purchases", "customer_id"], ascending=[False, False, True])[cols]
    c = c.reset_index(drop=True)
    return ClvResult(customers=c, params=params, total=total, holdout=holdout, method=method, fits=fits,
                     independence=independence, month=data.month, calibration_end=cal_end, currency=data.config.currency,
                     horizon_months=spec.horizon_months, margin=spec.margin,
                     show_customer_ids=data.config.show_customer_ids, top_n=spec.top_n,
                     contractual=data.config.churn.method == "explicit", notes=notes_frame(notes))


def _noncontractual(data: UnitData, spec: ValueSpec, hist: pd.DataFrame, cal_end: dt.date | None,
                    notes: list) -> ClvResult:
    holdout = pd.DataFrame(columns=["bucket", "n_customers", "actual", "predicted", "error"])
    params = pd.DataFrame(columns=["model", "parameter", "estimate", "se", "ci_lower", "ci_upper"])
    need = max(100, data.config.thresholds.min_customers)
    full = _ids(data, btyd_summary(data.orders, calibration_end=data.month_end).to_pandas())
    if len(full) < need:
        return _fallback(data, spec, hist, f"Only {len(full):,} customers have bought: the CLV model needs at least "
                         f"{need:,}.", notes, holdout=holdout, params=params, cal_end=cal_end)
    problems = []
    if cal_end is not None:
        cal = btyd_summary(data.orders, calibration_end=cal_end, holdout_end=data.month_end).to_pandas()
        if len(cal) >= need:
            try:
                fit_c = fit_bgnbd(cal)
                has_money = getattr(data, "has_amounts", True) and cal["monetary_mean"].notna().sum() >= 3
                gg_c = fit_gamma_gamma(cal.fillna({"monetary_mean": 0.0})) if has_money else None
                check = holdout_check(cal.fillna({"monetary_mean": 0.0}), fit_c, gg=gg_c,
                                      holdout_weeks=(data.month_end - cal_end).days / 7.0,
                                      threshold_pct=100 * spec.holdout_max_error)
                holdout = _holdout_frame(check)
                if not fit_c.converged and not check.fit_ok:
                    problems.append("the calibration fit did not converge")
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                problems.append(f"the calibration fit failed ({exc})")
    try:
        bg = fit_bgnbd(full)
        has_money = getattr(data, "has_amounts", True) and full["monetary_mean"].notna().any()
        gg = fit_gamma_gamma(full.fillna({"monetary_mean": 0.0})) if has_money else None
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return _fallback(data, spec, hist, f"The CLV model could not be fitted ({exc}).", notes, holdout=holdout,
                         params=params, cal_end=cal_end)
    params = pd.concat([_params("BG/NBD", bg)] + ([_params("Gamma-Gamma", gg)] if gg is not None else []),
                       ignore_index=True)
    indep = independence_check(full.dropna(subset=["monetary_mean"])).sentence if gg is not None else ""
    err0 = float(holdout.loc[holdout["bucket"] == "all", "error"].iloc[0]) if len(holdout) else np.nan
    passes = np.isfinite(err0) and abs(err0) <= spec.holdout_max_error
    stuck = [f for f in (bg, gg) if f is not None and not f.converged]
    if stuck and passes:
        # e.g. nobody seems to stop buying: the dropout part sits at its limit, the predictions still hold
        notes.append(("clv", "fit", "A parameter of the model reached the edge of its range (for example, hardly "
                      "anyone seems to stop buying); the predictions pass the holdout check, but the parameters' "
                      "intervals are not reliable."))
    elif stuck:
        problems.append("the model fit did not converge")
    if gg is not None and float(gg.params["q"]) <= 1:
        problems.append("the spend model has no finite mean (q <= 1)")
    err = float(holdout.loc[holdout["bucket"] == "all", "error"].iloc[0]) if len(holdout) else np.nan
    if np.isfinite(err) and abs(err) > spec.holdout_max_error:
        problems.append(f"it missed the holdout by {err:+.0%} (more than the {spec.holdout_max_error:.0%} allowed)")
    sp = holdout[holdout["bucket"] == "spend"]
    if len(sp) and np.isfinite(sp["error"].iloc[0]) and abs(sp["error"].iloc[0]) > spec.holdout_max_error:
        e = float(sp["error"].iloc[0])
        notes.append(("clv", "spend", f"Spend in the held-out months was {'over' if e > 0 else 'under'}predicted by "
                      f"{abs(e):.0%} (more than the {spec.holdout_max_error:.0%} allowed), although the purchase "
                      f"counts fit: CLV in money is likely {'overstated' if e > 0 else 'understated'} by about "
                      "as much (spend per purchase may follow the season or a trend the model does not know)."))
    if problems:
        return _fallback(data, spec, hist, "The CLV model does not fit this unit: " + "; ".join(problems) + ".",
                         notes, holdout=holdout, params=params, cal_end=cal_end, independence=indep)
    if gg is None:  # no amounts: the purchase model alone (expected purchases, chance still a customer)
        full = full.reset_index(drop=True)
        x, tx, T = (full[k].to_numpy() for k in ("frequency", "recency", "T"))
        c = full[["customer_id"]].copy()
        c["p_alive"] = p_alive(bg, x, tx, T)
        c["expected_purchases"] = expected_purchases(bg, spec.horizon_months * WEEKS_PER_MONTH, x, tx, T)
        c["clv"] = c["clv_lower"] = c["clv_upper"] = np.nan
        c = c.merge(hist[["customer_id", "historical_revenue", "historical_margin"]], on="customer_id", how="left")
        c["historical_revenue"] = c["historical_margin"] = np.nan
        total = pd.DataFrame({"clv": [np.nan], "ci_lower": [np.nan], "ci_upper": [np.nan], "n_customers": [len(c)],
                              "expected_purchases": [float(c["expected_purchases"].sum())]})
        return _result(data, spec, c, params, total, holdout, "bgnbd", True, "", cal_end, notes)
    opts = dict(horizon_months=spec.horizon_months, monthly_discount=spec.monthly_discount_rate, margin=spec.margin)
    full = full.fillna({"monetary_mean": 0.0}).reset_index(drop=True)
    v = customer_value(full, bg, gg, **opts)
    top = v["clv"].nlargest(min(TOP_INTERVALS, len(v))).index
    iv = clv_intervals(full, bg, gg, subset=top, n_draws=200, seed=0, **opts)
    c = pd.concat([full[["customer_id"]], v[["p_alive", "expected_purchases", "clv"]]], axis=1)
    c["clv_lower"] = iv.customers["ci_lower"].reindex(c.index)
    c["clv_upper"] = iv.customers["ci_upper"].reindex(c.index)
    c = c.merge(hist[["customer_id", "historical_revenue", "historical_margin"]], on="customer_id", how="left")
    t = iv.total.iloc[0]
    total = pd.DataFrame({"clv": [t["estimate"]], "ci_lower": [t["ci_lower"]], "ci_upper": [t["ci_upper"]],
                          "n_customers": [len(c)]})
    return _result(data, spec, c, params, total, holdout, "bgnbd_gg", True, indep, cal_end, notes)


def _lives(data: UnitData, as_of: dt.date) -> pd.DataFrame:
    """Signup and churn date of every customer signed up by ``as_of`` (a churn after it: still subscribed)."""
    c = data.customers.filter(data.customers.signup_date <= as_of).select("customer_id", "signup_date", "churn_date")
    df = c.to_pandas()
    df["signup"] = pd.to_datetime(df["signup_date"])
    e = pd.to_datetime(df["churn_date"])
    df["churn"] = e.where(e <= pd.Timestamp(as_of))
    df["cohort"] = df["signup"].dt.to_period("M")
    return df[["customer_id", "signup", "churn", "cohort"]]


def _periods(since: pd.Series, until: pd.Timestamp | pd.Series) -> np.ndarray:
    """Whole billing periods (months of 365.25 / 12 days) from ``since`` to ``until``: renewals made."""
    days = (until - since).dt.days if isinstance(until, pd.Series) else (until - since).dt.days
    return np.floor(days.to_numpy(dtype=float) / DAYS_PER_MONTH).astype(int)


def _survivors(lives: pd.DataFrame, as_of: dt.date) -> list[list[int]]:
    """Per signup-month cohort: customers still subscribed 0, 1, 2, ... billing periods after their own signup.

    Periods are counted from each customer's signup day (the renewal anniversaries), up to the number of
    periods every member of the cohort has been observed for (so a cohort's counts are never cut short by
    the end of the data).
    """
    end = pd.Timestamp(as_of)
    out = []
    for cohort, g in lives.groupby("cohort"):
        last_signup = cohort.to_timestamp(how="end").normalize()
        k_max = int((end - last_signup).days // DAYS_PER_MONTH)
        if k_max < 1:
            continue
        lived = (g["churn"] - g["signup"]).dt.days.to_numpy(dtype=float)  # NaN: still subscribed at as_of
        counts = [int(len(g))] + [int(np.sum(np.isnan(lived) | (lived > k * DAYS_PER_MONTH)))
                                  for k in range(1, k_max + 1)]
        out.append(counts)
    return out


def _survival_at(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """sBG survival at fractional periods ``t`` (linear between the period ends)."""
    s = sbg_survival(alpha, beta, int(np.ceil(t.max())) + 1)
    lo = np.floor(t).astype(int)
    f = t - lo
    return s[lo] - f * (s[lo] - s[lo + 1])


def _contractual(data: UnitData, spec: ValueSpec, hist: pd.DataFrame, cal_end: dt.date | None,
                 notes: list) -> ClvResult:
    holdout = pd.DataFrame(columns=["bucket", "n_customers", "actual", "predicted", "error"])
    params = pd.DataFrame(columns=["model", "parameter", "estimate", "se", "ci_lower", "ci_upper"])
    end = pd.Timestamp(data.month_end)
    lives = _lives(data, data.month_end)
    alive = lives.loc[lives["churn"].isna(), "customer_id"]
    need = max(100, data.config.thresholds.min_customers)
    if len(lives) < need:
        return _fallback(data, spec, hist, f"Only {len(lives):,} subscribers: the retention model needs at least "
                         f"{need:,}.", notes, holdout=holdout, params=params, cal_end=cal_end, alive=alive)
    problems = []
    if cal_end is not None:
        lc = _lives(data, cal_end)
        try:
            fc = fit_sbg(_survivors(lc, cal_end))
            al, be = float(fc.params["alpha"]), float(fc.params["beta"])
            open_ = lc[lc["churn"].isna()]
            t_cal = (pd.Timestamp(cal_end) - open_["signup"]).dt.days.to_numpy(dtype=float) / DAYS_PER_MONTH
            t_end = (end - open_["signup"]).dt.days.to_numpy(dtype=float) / DAYS_PER_MONTH
            pred = float(np.sum(_survival_at(al, be, t_end) / _survival_at(al, be, t_cal)))
            still = lives.set_index("customer_id").loc[open_["customer_id"], "churn"].isna()
            actual = float(still.sum())
            holdout = pd.DataFrame({"bucket": ["all"], "n_customers": [len(open_)], "actual": [actual],
                                    "predicted": [pred], "error": [(pred - actual) / actual if actual else np.nan]})
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            problems.append(f"the calibration fit failed ({exc})")
    try:
        fit = fit_sbg(_survivors(lives, data.month_end))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return _fallback(data, spec, hist, f"The retention model could not be fitted ({exc}).", notes,
                         holdout=holdout, params=params, cal_end=cal_end, alive=alive)
    params = _params("shifted beta-geometric", fit)
    err = float(holdout["error"].iloc[0]) if len(holdout) else np.nan
    if not fit.converged:
        problems.append("the model fit did not converge")
    if np.isfinite(err) and abs(err) > spec.holdout_max_error:
        problems.append(f"it missed the holdout by {err:+.0%} (more than the {spec.holdout_max_error:.0%} allowed)")
    if problems:
        return _fallback(data, spec, hist, "The retention model does not fit this unit: " + "; ".join(problems) + ".",
                         notes, holdout=holdout, params=params, cal_end=cal_end, alive=alive)
    c = lives.loc[lives["churn"].isna(), ["customer_id", "signup"]].merge(hist, on="customer_id", how="left")
    c = c.fillna({"revenue_90d": 0.0, "historical_revenue": 0.0, "historical_margin": 0.0})
    n = _periods(c["signup"], end)  # renewals made so far
    # monthly margin: the last 90 days' revenue over the months of them the customer was subscribed
    months_seen = np.clip((end - c["signup"]).dt.days.to_numpy(dtype=float) + 1, 1, 90) / DAYS_PER_MONTH
    monthly = spec.margin * c["revenue_90d"].clip(lower=0).to_numpy() / np.maximum(months_seen, 1.0)
    d = spec.monthly_discount_rate
    # value over the horizon: the payments expected in the next H periods (a truncated DERL), discounted
    al, be = float(fit.params["alpha"]), float(fit.params["beta"])

    def pay(alpha: float, beta: float) -> np.ndarray:
        s = sbg_survival(alpha, beta, int(n.max()) + spec.horizon_months + 1)
        k = np.arange(1, spec.horizon_months + 1)
        return (s[n[:, None] + k] / s[n][:, None]) @ (1.0 + d) ** -k.astype(float)

    c["clv"] = monthly * pay(al, be)
    c["p_alive"] = 1.0
    c["expected_purchases"] = np.nan
    rng = np.random.default_rng(0)
    draws = fit.draw(200, rng)
    tot = np.array([float(np.einsum("i,i->", monthly, pay(a_, b_))) for a_, b_ in draws])
    lo, hi = np.quantile(tot, [0.025, 0.975])
    top = c["clv"].nlargest(min(TOP_INTERVALS, len(c))).index
    per = np.array([monthly[top] * pay(a_, b_)[top] for a_, b_ in draws])
    c["clv_lower"] = np.nan
    c["clv_upper"] = np.nan
    c.loc[top, "clv_lower"] = np.quantile(per, 0.025, axis=0)
    c.loc[top, "clv_upper"] = np.quantile(per, 0.975, axis=0)
    total = pd.DataFrame({"clv": [c["clv"].sum()], "ci_lower": [lo], "ci_upper": [hi], "n_customers": [len(c)]})
    life = float(np.asarray(derl(fit, n_renewals=0, discount=d)).ravel()[0])
    notes.append(("clv", "lifetime", f"A new subscriber is expected to pay {life:.1f} more monthly invoices "
                  f"(discounted at {d:.1%} a month, shifted beta-geometric model)."))
    return _result(data, spec, c, params, total, holdout, "sbg", True, "", cal_end, notes)
