"""Customer lifetime value from a BG/NBD and a Gamma-Gamma fit, with parametric-bootstrap intervals.

The CLV of a customer over H months with monthly discount rate d and margin share c is

``CLV = c * E[M | x, m_x] * sum_{m=1..H} (E[Y(t_m)] - E[Y(t_{m-1})]) / (1 + d)^m``,

where ``E[Y(t)]`` is the BG/NBD conditional expectation of purchases in (T, T + t] and
``t_m = m * WEEKS_PER_MONTH`` weeks (365.25 / 12 / 7 = 4.348 weeks a month): the purchases
expected in month m, valued at the expected spend per purchase and discounted to today.

Intervals come from a parametric bootstrap: parameter vectors of both models are drawn from
the asymptotic normal of their log-parameters (:meth:`MLFit.draw`) and the CLV is recomputed
for each draw; the interval is the draws' percentiles. The purchase part is computed on the
distinct (x, t_x, T) summaries only, so a million customers cost what their distinct summaries
cost; the total's interval is the ratio of the total at each draw to the total at the estimates,
measured on a seeded sample of customers (exact when the unit has at most ``max_customers``).
The intervals cover the uncertainty of the fitted parameters, i.e. of the expected value; they
are not prediction intervals for what a single customer will actually spend.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..calendar import DAYS_PER_MONTH
from .bgnbd import BGNBD_PARAMS, BgNbdFit, _arrays, compress_summary, expected_purchases, p_alive
from .gamma_gamma import GG_PARAMS, GammaGammaFit, expected_spend

__all__ = ["WEEKS_PER_MONTH", "ClvIntervals", "discounted_purchases", "customer_value", "clv_intervals"]

#: Weeks in an average calendar month (365.25 / 12 / 7).
WEEKS_PER_MONTH: float = DAYS_PER_MONTH / 7
#: Customers per block in :func:`discounted_purchases` (bounds its memory).
BLOCK: int = 32_768


def _check(horizon_months: int, monthly_discount: float, margin: float) -> None:
    if not (isinstance(horizon_months, (int, np.integer)) and horizon_months >= 1):
        raise ValueError(f"The 'horizon_months' parameter must be a whole number >= 1. Got {horizon_months!r} instead.")
    if not monthly_discount >= 0:
        raise ValueError(f"The 'monthly_discount' parameter must be >= 0. Got {monthly_discount!r} instead.")
    if not 0 <= margin <= 1:
        raise ValueError(f"The 'margin' parameter must be a share in [0, 1]. Got {margin!r} instead.")


def discounted_purchases(bg: BgNbdFit | dict[str, float], frequency: np.ndarray, recency: np.ndarray,
                         T: np.ndarray, *, horizon_months: int, monthly_discount: float) -> np.ndarray:
    """Expected purchases month by month over the horizon, discounted to today, per customer.

    ``sum_{m=1..H} (E[Y(t_m)] - E[Y(t_{m-1})]) / (1 + d)^m`` with ``t_m = m * WEEKS_PER_MONTH``.
    Vectorised over customers and months, in blocks of :data:`BLOCK` customers so that the
    customers x months temporaries stay small (no compression; see :func:`customer_value`).
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    months = np.arange(1, horizon_months + 1)
    weeks = months * WEEKS_PER_MONTH
    factor = (1.0 + monthly_discount) ** -months.astype(float)
    out = np.empty(x.size)
    for lo in range(0, x.size, BLOCK):
        part = slice(lo, lo + BLOCK)
        ey = expected_purchases(bg, weeks, x[part, None], tx[part, None], T[part, None])
        out[part] = np.diff(ey, axis=1, prepend=0.0) @ factor
    return out


def customer_value(summary: pd.DataFrame, bg: BgNbdFit, gg: GammaGammaFit, *, horizon_months: int = 12,
                   monthly_discount: float = 0.01, margin: float = 1.0) -> pd.DataFrame:
    """Expected purchases, spend and discounted value of every customer.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer: ``frequency``, ``recency``, ``T`` (weeks) and ``monetary_mean``
        (mean value of the repeat purchases; ignored when frequency is 0).
    bg, gg : BgNbdFit, GammaGammaFit
        Fitted models.
    horizon_months : int, default 12
    monthly_discount : float, default 0.01
        Discount rate per month.
    margin : float, default 1.0
        Share of spend that is margin (1 values revenue).

    Returns
    -------
    pandas.DataFrame
        Same index as ``summary``: ``p_alive``; ``expected_purchases`` over the horizon
        (undiscounted); ``discounted_purchases``; ``expected_spend`` per purchase
        (Gamma-Gamma, the population mean for x = 0); ``clv`` = margin x expected_spend x
        discounted_purchases.
    """
    _check(horizon_months, monthly_discount, margin)
    x, tx, T = _arrays(summary)
    unique, inverse = compress_summary(summary[["frequency", "recency", "T"]])
    ux, utx, uT = (unique[c].to_numpy() for c in ("frequency", "recency", "T"))
    pv = discounted_purchases(bg, ux, utx, uT, horizon_months=horizon_months, monthly_discount=monthly_discount)
    ey = expected_purchases(bg, horizon_months * WEEKS_PER_MONTH, ux, utx, uT)
    spend = expected_spend(gg, x, summary["monetary_mean"].to_numpy(dtype=float))
    return pd.DataFrame({"p_alive": p_alive(bg, ux, utx, uT)[inverse], "expected_purchases": ey[inverse],
                         "discounted_purchases": pv[inverse], "expected_spend": spend,
                         "clv": margin * spend * pv[inverse]}, index=summary.index)


@dataclass(frozen=True)
class ClvIntervals:
    """Parametric-bootstrap intervals of CLV.

    Attributes
    ----------
    total : pandas.DataFrame
        One row: ``estimate`` (sum of CLV over all customers), ``ci_lower``, ``ci_upper``,
        ``n_customers``, ``n_draws`` (draws used), ``n_draws_dropped`` (Gamma-Gamma draws with
        q <= 1, where mean spend is infinite), ``sample_customers`` (customers the ratio was
        measured on).
    customers : pandas.DataFrame
        One row per customer of ``subset`` (index as in the summary): ``clv``, ``ci_lower``,
        ``ci_upper``; empty without a subset.
    level : float
        Coverage of the intervals.
    """

    total: pd.DataFrame
    customers: pd.DataFrame
    level: float


def _clv_draws(draws_bg: np.ndarray, draws_gg: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray,
               m: np.ndarray, *, horizon_months: int, monthly_discount: float, margin: float) -> np.ndarray:
    """CLV of each customer (columns) at each parameter draw (rows), purchases on distinct summaries."""
    frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    unique, inverse = compress_summary(frame)
    ux, utx, uT = (unique[c].to_numpy() for c in ("frequency", "recency", "T"))
    out = np.empty((len(draws_bg), x.size))
    for i, (pb, pg) in enumerate(zip(draws_bg, draws_gg)):
        pv = discounted_purchases(dict(zip(BGNBD_PARAMS, pb)), ux, utx, uT, horizon_months=horizon_months,
                                  monthly_discount=monthly_discount)
        out[i] = margin * expected_spend(dict(zip(GG_PARAMS, pg)), x, m) * pv[inverse]
    return out


def clv_intervals(summary: pd.DataFrame, bg: BgNbdFit, gg: GammaGammaFit, *, horizon_months: int = 12,
                  monthly_discount: float = 0.01, margin: float = 1.0, subset: Any = None, n_draws: int = 200,
                  level: float = 0.95, seed: int = 0, max_customers: int = 2000,
                  values: pd.DataFrame | None = None) -> ClvIntervals:
    """Intervals of the unit's total CLV and of chosen customers' CLV (parametric bootstrap).

    Parameters
    ----------
    summary, bg, gg, horizon_months, monthly_discount, margin
        As in :func:`customer_value`.
    subset : index labels of ``summary``, optional
        Customers to give their own interval, e.g. ``values.nlargest(1000, "clv").index``.
    n_draws : int, default 200
        Parameter draws from each model's asymptotic normal (log scale), paired.
    level : float, default 0.95
    seed : int, default 0
        Seed of the draws and of the customer sample (same seed, same intervals).
    max_customers : int, default 2000
        Customers the total's bootstrap ratio is measured on (a seeded sample when the unit is
        larger; the point estimate always uses everyone).
    values : pandas.DataFrame, optional
        :func:`customer_value` of the same summary, fits and options, when already computed
        (saves computing it again); its ``clv`` column is used.

    Returns
    -------
    ClvIntervals
    """
    _check(horizon_months, monthly_discount, margin)
    rng = np.random.default_rng(seed)
    draws_bg, draws_gg = bg.draw(n_draws, rng), gg.draw(n_draws, rng)
    ok = draws_gg[:, GG_PARAMS.index("q")] > 1
    draws_bg, draws_gg = draws_bg[ok], draws_gg[ok]
    opts = {"horizon_months": horizon_months, "monthly_discount": monthly_discount, "margin": margin}
    point = (customer_value(summary, bg, gg, **opts) if values is None else values)["clv"]
    if len(point) != len(summary):
        raise ValueError(f"'values' has {len(point)} rows for {len(summary)} customers; pass customer_value's "
                         "output for the same summary")
    x, tx, T = _arrays(summary)
    m = summary["monetary_mean"].to_numpy(dtype=float)
    sample = np.arange(x.size) if x.size <= max_customers else np.sort(rng.choice(x.size, max_customers, replace=False))
    boot = _clv_draws(draws_bg, draws_gg, x[sample], tx[sample], T[sample], m[sample], **opts).sum(axis=1)
    total = float(point.sum())
    ratio = boot / point.to_numpy()[sample].sum()
    lo, hi = np.quantile(total * ratio, [(1 - level) / 2, (1 + level) / 2]) if ok.any() else (np.nan, np.nan)
    total_frame = pd.DataFrame({"estimate": [total], "ci_lower": [lo], "ci_upper": [hi], "n_customers": [x.size],
                                "n_draws": [int(ok.sum())], "n_draws_dropped": [int((~ok).sum())],
                                "sample_customers": [sample.size]})
    customers = pd.DataFrame(columns=["clv", "ci_lower", "ci_upper"], dtype=float)
    if subset is not None:
        pos = summary.index.get_indexer(pd.Index(subset))
        if (pos < 0).any():
            raise ValueError(f"{int((pos < 0).sum())} customers of 'subset' are not in the summary's index")
        per = _clv_draws(draws_bg, draws_gg, x[pos], tx[pos], T[pos], m[pos], **opts)
        q = np.quantile(per, [(1 - level) / 2, (1 + level) / 2], axis=0)
        customers = pd.DataFrame({"clv": point.to_numpy()[pos], "ci_lower": q[0], "ci_upper": q[1]},
                                 index=summary.index[pos])
    return ClvIntervals(total_frame, customers, level)
