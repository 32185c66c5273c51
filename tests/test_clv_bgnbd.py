"""BG/NBD (retention_utils.clv.bgnbd): closed forms written naively, numerical integrals of the model,
the published CDNOW fit (Fader, Hardie & Lee 2005) and recovery of planted parameters.

The CDNOW reference needs ``cdnow_customers_summary_with_transactions.csv`` (2,357 customers of the
CDNOW 1997 Q1 cohort, 39 weeks; shipped in the MIT-licensed ``lifetimes`` 0.11.3 wheel under
``lifetimes/datasets/``). It is looked up in ``$RETENTION_CDNOW_DIR``, then in an installed
``lifetimes`` package (located with importlib, never imported); the test skips when absent.
"""
from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import hyp2f1

from retention_utils import clv
from retention_utils.clv.bgnbd import _negll_grad
from retention_utils.demo import PLANTED, simulate_bgnbd_gg

CDNOW_FILE = "cdnow_customers_summary_with_transactions.csv"
HAND = [  # (x, t_x, T)
    (0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 36.0), (3, 2.0, 52.0), (12, 50.5, 52.0)]
PARAMS = [{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, {"r": 0.75, "alpha": 6.0, "a": 0.8, "b": 2.5},
          {"r": 2.1, "alpha": 11.0, "a": 2.3, "b": 0.9}]


def cdnow_path() -> Path | None:
    """The CDNOW summary file, or None (see the module docstring)."""
    candidates = []
    if os.environ.get("RETENTION_CDNOW_DIR"):
        candidates.append(Path(os.environ["RETENTION_CDNOW_DIR"]) / CDNOW_FILE)
    spec = importlib.util.find_spec("lifetimes")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "datasets" / CDNOW_FILE for p in spec.submodule_search_locations]
    return next((p for p in candidates if p.exists()), None)


def cdnow() -> pd.DataFrame:
    path = cdnow_path()
    if path is None:
        pytest.skip(f"{CDNOW_FILE} not found: set RETENTION_CDNOW_DIR to its folder or install lifetimes==0.11.3 "
                    "(the file ships in its wheel under lifetimes/datasets/)")
    return pd.read_csv(path).rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_mean"})


def naive_loglik(r, alpha, a, b, x, tx, T):
    """FHL (2005) eq. 6, literally, with math.gamma."""
    beta_fn = lambda p, q: math.gamma(p) * math.gamma(q) / math.gamma(p + q)  # noqa: E731
    common = math.gamma(r + x) * alpha ** r / math.gamma(r)
    term = beta_fn(a, b + x) / beta_fn(a, b) * common / (alpha + T) ** (r + x)
    if x > 0:
        term += beta_fn(a + 1, b + x - 1) / beta_fn(a, b) * common / (alpha + tx) ** (r + x)
    return math.log(term)


def naive_p_alive(r, alpha, a, b, x, tx, T):
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def naive_conditional(r, alpha, a, b, x, tx, T, t):
    """FHL (2005) eq. 10, literally."""
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    return head * body * naive_p_alive(r, alpha, a, b, x, tx, T)


def integral_conditional(r, alpha, a, b, x, tx, T, t):
    """E[Y(t) | x, t_x, T] by integrating the model over p numerically: no hypergeometric function.

    The lambda-integrals are Gamma integrals, int lam^x exp(-lam s) Gamma(lam; r, alpha) dlam
    = G(r+x) alpha^r / (G(r) (alpha+s)^(r+x)); E[Y(t) | lambda, p, alive at T] = (1 - exp(-lambda p t)) / p
    (FHL 2005 eq. 7), so the numerator has s = T and s = T + p t. Numerator and denominator are
    divided by the s = T integral, so that heavy buyers (x = 1000) do not overflow.
    """
    ratio = lambda s: ((alpha + T) / (alpha + s)) ** (r + x)  # noqa: E731
    # the Beta density's p^(a-1) (1-p)^(b-1) is quad's algebraic weight (QUADPACK qaws), exact at the end points
    quad = lambda f: integrate.quad(f, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-11,  # noqa: E731
                                    limit=2000)[0]
    slope = t * (r + x) / (alpha + T)  # the limit of (1 - ratio(T + p t)) / p at p = 0
    num = quad(lambda p: (1 - p) ** x * ((1 - ratio(T + p * t)) / p if p > 0 else slope))
    den = quad(lambda p: (1 - p) ** x + (p * (1 - p) ** (x - 1) * ratio(tx) if x > 0 else 0.0))
    return num / den


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "planted", "a>1"])
def test_loglik_equals_closed_form(params):
    x, tx, T = (np.array(v, dtype=float) for v in zip(*HAND))
    got = clv.bgnbd_loglik(params, x, tx, T)
    want = [naive_loglik(*params.values(), *row) for row in HAND]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "planted", "a>1"])
def test_gradient_equals_finite_differences(params):
    x, tx, T = (np.array(v, dtype=float) for v in zip(*HAND))
    w = np.array([3.0, 1, 2, 1, 5, 1])
    theta = np.log(list(params.values()))
    value, grad = _negll_grad(theta, x, tx, T, w)
    assert value == pytest.approx(-sum(wi * naive_loglik(*params.values(), *row) for wi, row in zip(w, HAND)), abs=1e-9)
    fd = []
    for j in range(4):
        h = np.zeros(4)
        h[j] = 1e-5
        fd.append((_negll_grad(theta + h, x, tx, T, w)[0] - _negll_grad(theta - h, x, tx, T, w)[0]) / 2e-5)
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    # only repeat buyers, only x = 0: the sorted blocks of the vectorised likelihood may be empty
    for keep in (x > 0, x == 0):
        value, grad = _negll_grad(theta, x[keep], tx[keep], T[keep], w[keep])
        rows = [row for row, k in zip(HAND, keep) if k]
        assert value == pytest.approx(-sum(wi * naive_loglik(*params.values(), *row)
                                           for wi, row in zip(w[keep], rows)), abs=1e-9)
        assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "planted", "a>1"])
def test_p_alive_and_conditional_expectation_equal_fhl_formulas(params):
    x, tx, T = (np.array(v, dtype=float) for v in zip(*HAND))
    np.testing.assert_allclose(clv.p_alive(params, x, tx, T),
                               [naive_p_alive(*params.values(), *row) for row in HAND], rtol=1e-12)
    for t in (1.0, 39.0, 104.0):
        np.testing.assert_allclose(clv.expected_purchases(params, t, x, tx, T),
                                   [naive_conditional(*params.values(), *row, t) for row in HAND], rtol=1e-10)


@pytest.mark.parametrize("params", PARAMS, ids=["cdnow", "planted", "a>1"])
def test_conditional_expectation_equals_integral_of_the_model(params):
    for row in [*HAND, (300, 100.0, 104.0), (1000, 103.0, 104.0)]:  # heavy buyers: 2F1 itself overflows
        for t in (4.0, 39.0, 260.0):
            got = clv.expected_purchases(params, t, *[np.array([v], dtype=float) for v in row])[0]
            assert got == pytest.approx(integral_conditional(*params.values(), *row, t), rel=1e-8), (row, t)


def test_unconditional_expectation_equals_integral_and_formula():
    r, alpha, a, b = PARAMS[2].values()
    beta_pdf = lambda p: stats.beta.pdf(p, a, b)  # noqa: E731
    for t in (5.0, 52.0):
        # E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p; over lambda: (1 - (alpha / (alpha + p t))^r) / p
        want = integrate.quad(lambda p, t=t: (1 - (alpha / (alpha + p * t)) ** r) / p * beta_pdf(p), 0, 1,
                              epsabs=0, epsrel=1e-12)[0]
        formula = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        got = float(clv.expected_purchases_unconditional(PARAMS[2], t))
        assert got == pytest.approx(formula, rel=1e-12)
        assert got == pytest.approx(want, rel=1e-8)


def test_limits():
    p = PARAMS[1]
    # no repeat purchase: alive with probability 1 (BG/NBD); a purchase at T: 1 / (1 + a / (b + x - 1))
    assert clv.p_alive(p, [0], [0.0], [50.0])[0] == 1.0
    assert clv.p_alive(p, [3], [50.0], [50.0])[0] == pytest.approx(1 / (1 + p["a"] / (p["b"] + 2)), rel=1e-14)
    # t = 0: no purchases; E[Y] rises with t and stays below E[X] of a new customer for x = 0, large T
    assert np.all(clv.expected_purchases(p, 0.0, [0, 3], [0, 10.0], [50.0, 50.0]) == 0)
    ey = clv.expected_purchases(p, np.array([1.0, 10, 100, 1000]), 2, 20.0, 50.0)
    assert np.all(np.diff(ey) > 0)
    assert float(clv.expected_purchases_unconditional(p, 0.0)) == 0.0
    # a = 1 exactly (0/0 in the formula) is evaluated next to it
    near = clv.expected_purchases({**p, "a": 1 + 1e-6}, 39.0, 2, 20.0, 50.0)
    assert clv.expected_purchases({**p, "a": 1.0}, 39.0, 2, 20.0, 50.0) == pytest.approx(near, rel=1e-4)


def test_compression_and_weights_equal_duplicated_rows():
    sim = simulate_bgnbd_gg(2000, T_weeks=(20, 40), seed=5)
    unique, inverse = clv.compress_summary(sim)
    assert unique["weight"].sum() == len(sim) and len(unique) < len(sim)
    pd.testing.assert_frame_equal(unique.iloc[inverse][["frequency", "recency", "T"]].reset_index(drop=True),
                                  sim[["frequency", "recency", "T"]].astype(float))
    a, b = clv.fit_bgnbd(sim), clv.fit_bgnbd(unique)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    np.testing.assert_allclose(list(a.params.values()), list(b.params.values()), rtol=1e-8)


def test_invalid_summaries_are_named():
    bad = pd.DataFrame({"frequency": [1, 0, 2], "recency": [5.0, 3.0, 60.0], "T": [10.0, 10.0, 50.0]})
    with pytest.raises(ValueError, match=r"2 customer summaries are impossible \(rows \[1, 2\]\)"):
        clv.fit_bgnbd(bad)
    with pytest.raises(ValueError, match="lacks column"):
        clv.fit_bgnbd(bad.drop(columns="T"))


def test_cdnow_reference_fhl_2005():
    """FHL (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4 on 2,357 customers."""
    fit = clv.fit_bgnbd(cdnow())
    got = {k: round(v, 3) for k, v in fit.params.items()}
    assert got == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(fit.loglik, 1) == -9582.4 and fit.converged and fit.n_customers == 2357
    # standard errors as lifetimes 0.11.3 reports them for this fit (its summary table)
    se = fit.params_frame().set_index("parameter")["se"].round(3).to_dict()
    assert se == {"r": 0.013, "alpha": 0.378, "a": 0.186, "b": 0.705}


def test_planted_parameters_recovered_over_20_seeds():
    """95 % intervals cover the planted r, alpha, a, b in >= 90 % of 20 simulated units of 3,000 customers."""
    truth = {"r": PLANTED.bgnbd_r, "alpha": PLANTED.bgnbd_alpha, "a": PLANTED.bgnbd_a, "b": PLANTED.bgnbd_b}
    covered = {k: 0 for k in truth}
    for seed in range(20):
        fit = clv.fit_bgnbd(simulate_bgnbd_gg(3000, T_weeks=(26, 78), seed=seed, day_resolution=False))
        assert fit.converged, fit.message
        frame = fit.params_frame().set_index("parameter")
        for k, v in truth.items():
            covered[k] += frame.loc[k, "ci_lower"] <= v <= frame.loc[k, "ci_upper"]
    assert all(c >= 18 for c in covered.values()), covered


def test_hyp2f1_guard(monkeypatch):
    from retention_utils.clv import bgnbd

    a, b, c, z = np.array([0.4, 2.5, -0.3]), np.array([-0.2, 0.5, 1.1]), np.array([3.0, 7.5, 2.2]), np.array([0.1, 0.6, 0.95])
    want = hyp2f1(a, b, c, z)
    # where scipy gives no finite value, the power series is summed: same numbers
    monkeypatch.setattr(bgnbd, "hyp2f1", lambda *args: np.full(np.broadcast(*args).shape, np.inf))
    np.testing.assert_allclose(bgnbd._hyp2f1(a, b, c, z), want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"outside \[0, 1\)"):
        bgnbd._hyp2f1(1.0, 1.0, 2.0, np.array([1.0]))
    with pytest.raises(ValueError, match="must be >= 0 weeks"):
        clv.expected_purchases(PARAMS[0], -1.0, [1], [2.0], [3.0])
