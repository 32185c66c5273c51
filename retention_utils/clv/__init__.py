"""Customer lifetime value models: who will buy again, how much, and what it is worth.

One module per model, as lifelines keeps them (computation only, numpy/scipy):

* :mod:`~.bgnbd`: BG/NBD repeat purchases of non-contractual units (FHL 2005), P(alive),
  expected purchases; the hand-written-model rationale is at its top;
* :mod:`~.gamma_gamma`: Gamma-Gamma spend per purchase and its independence check;
* :mod:`~.value`: CLV over a horizon in months with discounting, parametric-bootstrap intervals;
* :mod:`~.holdout`: predicted against actual purchases in a holdout period;
* :mod:`~.analysis`: :func:`clv_analysis`, the CLV of a unit (model choice, holdout check, fallback);
* :mod:`~.sbg`: shifted-beta-geometric retention of contractual units and the discounted
  expected residual lifetime.

Time in the non-contractual models is in **weeks** (days / 7), as in Fader, Hardie & Lee (2005);
the sBG model counts billing periods. Every model is fitted by maximum likelihood on its
log-parameters (:mod:`~._base`).
"""
from __future__ import annotations

from ._base import MLFit
from .bgnbd import (
    BgNbdFit,
    bgnbd_loglik,
    compress_summary,
    expected_purchases,
    expected_purchases_unconditional,
    fit_bgnbd,
    p_alive,
)
from .gamma_gamma import (
    GammaGammaFit,
    IndependenceCheck,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_loglik,
    independence_check,
)
from .holdout import HoldoutCheck, holdout_check
from .sbg import SbgFit, derl, fit_sbg, retention_curve, sbg_survival
from .value import WEEKS_PER_MONTH, ClvIntervals, clv_intervals, customer_value, discounted_purchases
from .analysis import ClvResult, clv_analysis  # noqa: E402  (the unit-level analysis uses the models above)

__all__ = [
    "ClvResult",
    "clv_analysis",
    "WEEKS_PER_MONTH",
    "MLFit",
    "BgNbdFit",
    "GammaGammaFit",
    "SbgFit",
    "IndependenceCheck",
    "HoldoutCheck",
    "ClvIntervals",
    "compress_summary",
    "bgnbd_loglik",
    "fit_bgnbd",
    "p_alive",
    "expected_purchases",
    "expected_purchases_unconditional",
    "gamma_gamma_loglik",
    "fit_gamma_gamma",
    "expected_spend",
    "independence_check",
    "discounted_purchases",
    "customer_value",
    "clv_intervals",
    "holdout_check",
    "fit_sbg",
    "sbg_survival",
    "retention_curve",
    "derl",
]
