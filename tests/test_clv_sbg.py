"""Shifted-beta-geometric model (retention_utils.clv.sbg): Fader & Hardie (2007) reference fits, the
likelihood and DERL written as naive sums, pooled cohorts of different ages."""
from __future__ import annotations

import math

import numpy as np
import pytest

from retention_utils import clv
from retention_utils.clv.sbg import _cohorts, _negll_grad

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def naive_loglik(al, be, cohorts):
    """Survivor counts -> sum of (lost at t) log P(T = t) + (alive at the end) log S(t_max), by recursion."""
    ll = 0.0
    for c in cohorts:
        p, s = al / (al + be), 1.0  # P(T = 1)
        for t in range(1, len(c)):
            if t > 1:
                p *= (be + t - 2) / (al + be + t - 1)
            s -= p
            ll += (c[t - 1] - c[t]) * math.log(p)
        ll += c[-1] * math.log(s)
    return ll


@pytest.mark.parametrize(("data", "want"), [(REGULAR, (0.704, 1.182)), (HIGH_END, (0.668, 3.806))],
                         ids=["regular", "high_end"])
def test_fader_hardie_2007_reference(data, want):
    fit = clv.fit_sbg(data)
    assert (round(fit.params["alpha"], 3), round(fit.params["beta"], 3)) == want
    assert fit.converged and fit.n_customers == 1000
    assert fit.loglik == pytest.approx(naive_loglik(*fit.params.values(), [data]), abs=1e-9)
    frame = fit.params_frame()
    assert list(frame.columns) == ["parameter", "estimate", "se", "ci_lower", "ci_upper"]
    assert (frame.ci_lower < frame.estimate).all() and (frame.estimate < frame.ci_upper).all()


def test_loglik_and_gradient_on_pooled_cohorts():
    cohorts = _cohorts([REGULAR, [500, 320, 240], [80]])  # the last cohort is not through a period end yet
    theta = np.log([0.9, 2.3])
    value, grad = _negll_grad(theta, cohorts)
    assert -value == pytest.approx(naive_loglik(0.9, 2.3, [REGULAR, [500, 320, 240], [80]]), abs=1e-9)
    fd = [(_negll_grad(theta + h, cohorts)[0] - _negll_grad(theta - h, cohorts)[0]) / 2e-5
          for h in (np.array([1e-5, 0]), np.array([0, 1e-5]))]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    pooled = clv.fit_sbg([REGULAR, [500, 320, 240], [80]])
    assert pooled.n_customers == 1580 and pooled.converged


def test_retention_curve_and_survival():
    fit = clv.fit_sbg(REGULAR)
    al, be = fit.params["alpha"], fit.params["beta"]
    curve = clv.retention_curve(fit, periods=12)
    s, p = 1.0, al / (al + be)
    for t, row in enumerate(curve.itertuples(), start=1):
        if t > 1:
            p *= (be + t - 2) / (al + be + t - 1)
        assert row.churn_prob == pytest.approx(p, rel=1e-10)
        assert row.retention_rate == pytest.approx((s - p) / s, rel=1e-10)
        s -= p
        assert row.survival == pytest.approx(s, rel=1e-10)
    assert curve.retention_rate.is_monotonic_increasing and curve.survival.is_monotonic_decreasing


@pytest.mark.parametrize("n", [0, 1, 4])
def test_derl_equals_naive_sum(n):
    fit = clv.fit_sbg(HIGH_END)
    al, be = fit.params["alpha"], fit.params["beta"]
    surv = clv.sbg_survival(al, be, 20_000)
    for d in (0.01, 0.1):
        naive = sum(surv[n + 1 + k] / surv[n] * (1 + d) ** -k for k in range(4_000))
        assert float(clv.derl(fit, n_renewals=n, discount=d)) == pytest.approx(naive, rel=1e-9)
    # undiscounted: infinite for alpha <= 1; (beta + n) / (alpha - 1) otherwise
    assert np.isinf(clv.derl(fit, n_renewals=n, discount=0.0))
    heavy = clv.SbgFit(params={"alpha": 3.0, "beta": 5.0}, se={}, cov=np.zeros((2, 2)), loglik=0.0,
                       n_customers=1, converged=True, message="")
    surv = clv.sbg_survival(3.0, 5.0, 200_000)
    assert float(clv.derl(heavy, n_renewals=n, discount=0.0)) == pytest.approx((5 + n) / 2)
    assert (5 + n) / 2 == pytest.approx(surv[n + 1:].sum() / surv[n], rel=1e-4)
    np.testing.assert_allclose(clv.derl(heavy, n_renewals=np.array([0, 1]), discount=0.05),
                               [clv.derl(heavy, n_renewals=0, discount=0.05), clv.derl(heavy, n_renewals=1, discount=0.05)])


def test_invalid_survivors():
    with pytest.raises(ValueError, match="never rise"):
        clv.fit_sbg([100, 120, 90])
    with pytest.raises(ValueError, match="at least one period"):
        clv.fit_sbg([[100], [50]])
    with pytest.raises(ValueError, match="'discount' parameter of derl must be >= 0"):
        clv.derl(clv.fit_sbg(REGULAR), n_renewals=0, discount=-0.1)
