"""Holdout check of the BG/NBD (and Gamma-Gamma) fit: predicted against actual repeat purchases.

The models are fitted on a calibration period; for the following holdout period of ``t``
weeks the BG/NBD conditional expectation E[Y(t) | x, t_x, T] is compared with the purchases
customers actually made, by calibration frequency (0, 1, ..., 6, 7+) and in aggregate, as in
Fader, Hardie & Lee (2005) fig. 4. The fit is judged acceptable when the aggregate error is
within ``threshold_pct`` per cent of the actual total.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bgnbd import BgNbdFit, _arrays, expected_purchases
from .gamma_gamma import GammaGammaFit, expected_spend

__all__ = ["HoldoutCheck", "holdout_check"]


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted against actual purchases (and spend) in the holdout period.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per calibration frequency bucket (``"0"`` .. ``"6"``, ``"7+"``; empty buckets
        left out): ``frequency_bucket``, ``n_customers``, ``actual_mean``, ``predicted_mean``
        (repeat purchases per customer in the holdout), ``actual_total``, ``predicted_total``.
    totals : pandas.DataFrame
        One row per measure (``purchases``; ``spend`` when a Gamma-Gamma fit and spend columns
        were given): ``measure``, ``actual_total``, ``predicted_total``, ``error_pct``
        ((predicted - actual) / actual x 100).
    actual_total, predicted_total, error_pct : float
        The purchases row of ``totals``.
    threshold_pct : float
        Largest aggregate error (absolute, per cent) still called a fit.
    fit_ok : bool
        ``|error_pct| <= threshold_pct`` for purchases.
    sentence : str
        The verdict in plain words.
    """

    table: pd.DataFrame
    totals: pd.DataFrame
    actual_total: float
    predicted_total: float
    error_pct: float
    threshold_pct: float
    fit_ok: bool
    sentence: str


def _error(actual: float, predicted: float) -> float:
    return (predicted - actual) / actual * 100 if actual > 0 else float("nan")


def holdout_check(summary: pd.DataFrame, bg: BgNbdFit, *, holdout_weeks: float, gg: GammaGammaFit | None = None,
                  threshold_pct: float = 15.0, max_bucket: int = 7) -> HoldoutCheck:
    """Compare the purchases the BG/NBD fit predicts for a holdout period with the actual ones.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer: calibration ``frequency``, ``recency``, ``T`` (weeks) and
        ``frequency_holdout`` (repeat purchases in the holdout); for the spend check also
        ``monetary_mean`` (calibration) and ``monetary_holdout`` (spend in the holdout).
    bg : BgNbdFit
        Fitted on the calibration period.
    holdout_weeks : float
        Length of the holdout period in weeks (> 0).
    gg : GammaGammaFit, optional
        Fitted on the calibration period; adds the ``spend`` row to ``totals``.
    threshold_pct : float, default 15.0
    max_bucket : int, default 7
        Frequencies from this value up share the bucket ``"7+"``.

    Returns
    -------
    HoldoutCheck

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 2], "recency": [0, 10, 20.0], "T": [30.0] * 3,
    ...                   "frequency_holdout": [0, 1, 1]})
    >>> check = holdout_check(s, {"r": 1, "alpha": 10, "a": 1.5, "b": 4}, holdout_weeks=30)
    >>> check.table["frequency_bucket"].tolist(), check.actual_total
    (['0', '1', '2'], 2.0)
    """
    if not holdout_weeks > 0:
        raise ValueError(f"The 'holdout_weeks' parameter must be > 0. Got {holdout_weeks!r} instead.")
    if "frequency_holdout" not in summary.columns:
        raise ValueError(f"the summary lacks column 'frequency_holdout'; it has {list(summary.columns)[:5]}")
    x, tx, T = _arrays(summary)
    actual = summary["frequency_holdout"].to_numpy(dtype=float)
    predicted = expected_purchases(bg, holdout_weeks, x, tx, T)
    bucket = np.minimum(x, max_bucket).astype(int)
    labels = [str(b) for b in range(max_bucket)] + [f"{max_bucket}+"]
    frame = pd.DataFrame({"bucket": bucket, "actual": actual, "predicted": predicted})
    g = frame.groupby("bucket", sort=True).agg(n_customers=("actual", "size"), actual_total=("actual", "sum"),
                                               predicted_total=("predicted", "sum"))
    table = pd.DataFrame({
        "frequency_bucket": [labels[b] for b in g.index], "n_customers": g["n_customers"].to_numpy(),
        "actual_mean": (g["actual_total"] / g["n_customers"]).to_numpy(),
        "predicted_mean": (g["predicted_total"] / g["n_customers"]).to_numpy(),
        "actual_total": g["actual_total"].to_numpy(), "predicted_total": g["predicted_total"].to_numpy()})
    a_tot, p_tot = float(actual.sum()), float(predicted.sum())
    rows = [{"measure": "purchases", "actual_total": a_tot, "predicted_total": p_tot, "error_pct": _error(a_tot, p_tot)}]
    if gg is not None and {"monetary_mean", "monetary_holdout"} <= set(summary.columns):
        spend = expected_spend(gg, x, summary["monetary_mean"].to_numpy(dtype=float))
        a_sp, p_sp = float(summary["monetary_holdout"].sum()), float(np.nansum(predicted * spend))
        rows.append({"measure": "spend", "actual_total": a_sp, "predicted_total": p_sp, "error_pct": _error(a_sp, p_sp)})
    err = rows[0]["error_pct"]
    fit_ok = bool(np.isfinite(err) and abs(err) <= threshold_pct)
    weeks = f"{holdout_weeks:g}-week holdout"
    if not np.isfinite(err):
        sentence = f"No repeat purchases in the {weeks}, so the purchase model cannot be checked."
    else:
        side = "above" if err > 0 else "below"
        verdict = (f"within the {threshold_pct:g}% tolerance: the model fits" if fit_ok else
                   f"more than the {threshold_pct:g}% tolerance: the model does not fit this unit")
        sentence = (f"In the {weeks} customers made {a_tot:,.0f} repeat purchases; the model predicted "
                    f"{p_tot:,.0f}, {abs(err):.1f}% {side} the actual number, {verdict}.")
    return HoldoutCheck(table, pd.DataFrame(rows), a_tot, p_tot, err, threshold_pct, fit_ok, sentence)
