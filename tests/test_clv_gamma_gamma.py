"""Gamma-Gamma (retention_utils.clv.gamma_gamma): the closed form written naively, its integral over nu,
the CDNOW reference (Fader, Hardie & Lee 2005b: p = 6.25, q = 3.74, gamma = 15.44 on 946 repeat
customers), the independence check against scipy, and recovery of the planted parameters."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from retention_utils import clv
from retention_utils.clv.gamma_gamma import _negll_grad
from retention_utils.demo import PLANTED, simulate_bgnbd_gg
from tests.test_clv_bgnbd import cdnow

HAND = [(1, 12.5), (2, 30.0), (5, 8.25), (14, 101.0)]  # (x, m_x)
PARAMS = [{"p": 6.25, "q": 3.74, "gamma": 15.44}, {"p": 0.9, "q": 1.5, "gamma": 3.0}]


def naive_density(p, q, g, x, m):
    """Fader & Hardie (2013) eq. 4, literally."""
    return (math.gamma(p * x + q) / (math.gamma(p * x) * math.gamma(q)) * g ** q * m ** (p * x - 1) * x ** (p * x)
            / (g + m * x) ** (p * x + q))


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "small"])
def test_loglik_equals_closed_form_and_integral(params):
    x, m = (np.array(v, dtype=float) for v in zip(*HAND))
    got = clv.gamma_gamma_loglik(params, x, m)
    np.testing.assert_allclose(got, [math.log(naive_density(*params.values(), *row)) for row in HAND], rtol=0, atol=1e-10)
    # the same density from the model: mean of x Gamma(p, nu) values is Gamma(px, x nu); nu ~ Gamma(q, gamma)
    p, q, g = params.values()
    for (xi, mi), lg in zip(HAND[:2], got[:2]):
        f = integrate.quad(lambda nu, xi=xi, mi=mi: stats.gamma.pdf(mi, p * xi, scale=1 / (xi * nu))
                           * stats.gamma.pdf(nu, q, scale=1 / g), 0, np.inf, epsabs=0, epsrel=1e-11)[0]
        assert math.log(f) == pytest.approx(lg, abs=1e-8)


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "small"])
def test_gradient_equals_finite_differences(params):
    x, m = (np.array(v, dtype=float) for v in zip(*HAND))
    w = np.array([2.0, 1, 4, 1])
    theta = np.log(list(params.values()))
    _, grad = _negll_grad(theta, x, m, w)
    fd = []
    for j in range(3):
        h = np.zeros(3)
        h[j] = 1e-5
        fd.append((_negll_grad(theta + h, x, m, w)[0] - _negll_grad(theta - h, x, m, w)[0]) / 2e-5)
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


def test_expected_spend_by_hand():
    p, q, g = PARAMS[0].values()
    got = clv.expected_spend(PARAMS[0], [0, 1, 4], [0.0, 20.0, 50.0])
    pop = p * g / (q - 1)
    want = [pop] + [(q - 1) / (p * x + q - 1) * pop + p * x / (p * x + q - 1) * m for x, m in ((1, 20.0), (4, 50.0))]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    fit = clv.GammaGammaFit(params=PARAMS[0], se={}, cov=np.zeros((3, 3)), loglik=0.0, n_customers=1,
                            converged=True, message="")
    assert fit.population_mean == pytest.approx(pop)
    # no finite mean when q <= 1 for customers without a repeat purchase
    assert np.isnan(clv.expected_spend({"p": 2.0, "q": 0.8, "gamma": 5.0}, [0], [0.0])[0])


def test_fit_uses_repeat_customers_only_and_weights():
    sim = simulate_bgnbd_gg(3000, seed=4)
    fit = clv.fit_gamma_gamma(sim)
    assert fit.n_customers == int(((sim.frequency > 0) & (sim.monetary_mean > 0)).sum())
    doubled = pd.concat([sim, sim], ignore_index=True)
    weighted = sim.assign(weight=2.0)
    assert clv.fit_gamma_gamma(doubled).loglik == pytest.approx(clv.fit_gamma_gamma(weighted).loglik, rel=1e-10)
    with pytest.raises(ValueError, match="at least 3 repeat customers"):
        clv.fit_gamma_gamma(sim[sim.frequency == 0])


def test_independence_check_equals_scipy():
    sim = simulate_bgnbd_gg(2000, seed=2)
    chk = clv.independence_check(sim)
    rep = sim[(sim.frequency > 0) & (sim.monetary_mean > 0)]
    ref = stats.pearsonr(rep.frequency, rep.monetary_mean)
    ci = ref.confidence_interval(0.95)
    assert chk.correlation == pytest.approx(ref.statistic, rel=1e-12)
    assert (chk.ci_lower, chk.ci_upper) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert chk.n_customers == len(rep) and chk.weak and "reasonable" in chk.sentence
    # spend that rises with frequency is flagged
    linked = rep.assign(monetary_mean=rep.frequency * 10.0 + 1)
    strong = clv.independence_check(linked)
    assert not strong.weak and "doubtful" in strong.sentence
    assert math.isnan(clv.independence_check(rep.head(3)).correlation)


def test_cdnow_reference_fhl_2005b():
    """FHL (2005b) / Fader & Hardie (2013): p = 6.25, q = 3.74, gamma = 15.44; correlation 0.11."""
    data = cdnow()
    fit = clv.fit_gamma_gamma(data)
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    # gamma comes out 15.448 (lifetimes 0.11.3: 15.447); the paper's 15.44 is truncated or from a looser
    # optimiser: the likelihood at the published values is lower than at ours
    assert fit.params == pytest.approx(published, abs=0.01)
    rep = data[data.frequency > 0]
    assert fit.loglik > clv.gamma_gamma_loglik(published, rep.frequency, rep.monetary_mean).sum()
    assert fit.n_customers == 946 and fit.converged
    assert round(clv.independence_check(data).correlation, 2) == 0.11


def test_planted_parameters_recovered_over_20_seeds():
    """95 % intervals cover the planted p, q, gamma in >= 90 % of 20 simulated units of 3,000 customers."""
    truth = {"p": PLANTED.gg_p, "q": PLANTED.gg_q, "gamma": PLANTED.gg_gamma}
    covered = {k: 0 for k in truth}
    for seed in range(20):
        fit = clv.fit_gamma_gamma(simulate_bgnbd_gg(3000, T_weeks=(26, 78), seed=seed, day_resolution=False))
        assert fit.converged, fit.message
        frame = fit.params_frame().set_index("parameter")
        for k, v in truth.items():
            covered[k] += frame.loc[k, "ci_lower"] <= v <= frame.loc[k, "ci_upper"]
    assert all(c >= 18 for c in covered.values()), covered
