"""CLV (retention_utils.clv.value): a naive loop over customers and months, compression invariance, and the
parametric bootstrap (seeded, exact when the unit is small, the sampled ratio close to the exact one)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import clv
from retention_utils.demo import simulate_bgnbd_gg
from tests.test_clv_bgnbd import naive_conditional


@pytest.fixture(scope="module")
def fitted():
    sim = simulate_bgnbd_gg(3000, T_weeks=(26, 78), seed=21)
    return sim, clv.fit_bgnbd(sim), clv.fit_gamma_gamma(sim)


def test_clv_equals_naive_loop(fitted):
    sim, bg, gg = fitted
    rows = sim.iloc[[0, 1, 2, 3, 10, 50]]
    v = clv.customer_value(rows, bg, gg, horizon_months=6, monthly_discount=0.02, margin=0.4)
    p, q, g = gg.params.values()
    for (_, row), (_, got) in zip(rows.iterrows(), v.iterrows()):
        x, tx, T, m = row.frequency, row.recency, row["T"], row.monetary_mean
        spend = p * (g + x * m) / (p * x + q - 1) if x > 0 else p * g / (q - 1)
        ey = [naive_conditional(*bg.params.values(), x, tx, T, k * 365.25 / 12 / 7) for k in range(7)]
        pv = sum((ey[k] - ey[k - 1]) / 1.02 ** k for k in range(1, 7))
        assert got.clv == pytest.approx(0.4 * spend * pv, rel=1e-10)
        assert got.expected_purchases == pytest.approx(ey[6], rel=1e-10)
        assert got.discounted_purchases == pytest.approx(pv, rel=1e-10)
        assert got.expected_spend == pytest.approx(spend, rel=1e-12)


def test_compression_invariance_and_monotonicity(fitted):
    sim, bg, gg = fitted
    shuffled = sim.sample(frac=1.0, random_state=3)
    a = clv.customer_value(sim, bg, gg).sort_index()
    b = clv.customer_value(shuffled, bg, gg).sort_index()
    pd.testing.assert_frame_equal(a, b, rtol=1e-13)
    assert len(a.index) == len(sim) and (a.index == sim.index).all()
    longer = clv.customer_value(sim, bg, gg, horizon_months=24)
    dearer = clv.customer_value(sim, bg, gg, monthly_discount=0.05)
    assert (longer.clv >= a.clv).all() and (dearer.clv <= a.clv).all()
    half = clv.customer_value(sim, bg, gg, margin=0.5)
    np.testing.assert_allclose(half.clv, 0.5 * a.clv, rtol=1e-13)
    assert a.p_alive.between(0, 1).all()


def test_bootstrap_is_seeded_and_exact_for_small_units(fitted):
    sim, bg, gg = fitted
    small = sim.head(400)
    ci = clv.clv_intervals(small, bg, gg, n_draws=50, seed=7, subset=small.index[:3])
    again = clv.clv_intervals(small, bg, gg, n_draws=50, seed=7, subset=small.index[:3])
    pd.testing.assert_frame_equal(ci.total, again.total)
    pd.testing.assert_frame_equal(ci.customers, again.customers)
    given = clv.clv_intervals(small, bg, gg, n_draws=50, seed=7, subset=small.index[:3],
                              values=clv.customer_value(small, bg, gg))
    pd.testing.assert_frame_equal(ci.total, given.total)
    with pytest.raises(ValueError, match="'values' has 3 rows for 400 customers"):
        clv.clv_intervals(small, bg, gg, n_draws=5, values=clv.customer_value(small.head(3), bg, gg))
    # the same draws, totals recomputed customer by customer
    rng = np.random.default_rng(7)
    db, dg = bg.draw(50, rng), gg.draw(50, rng)
    totals = [clv.customer_value(small, dict(zip(bg.params, b)), dict(zip(gg.params, g))).clv.sum()
              for b, g in zip(db, dg) if g[1] > 1]
    t = ci.total.iloc[0]
    assert t.sample_customers == 400 and t.n_draws + t.n_draws_dropped == 50 and t.n_draws == len(totals)
    assert (t.ci_lower, t.ci_upper) == pytest.approx(tuple(np.quantile(totals, [0.025, 0.975])), rel=1e-10)
    assert t.ci_lower < t.estimate < t.ci_upper
    assert list(ci.customers.columns) == ["clv", "ci_lower", "ci_upper"]
    assert (ci.customers.ci_lower <= ci.customers.clv).all() and (ci.customers.clv <= ci.customers.ci_upper).all()


def test_sampled_ratio_close_to_exact(fitted):
    sim, bg, gg = fitted
    exact = clv.clv_intervals(sim, bg, gg, n_draws=100, seed=1, max_customers=len(sim)).total.iloc[0]
    sampled = clv.clv_intervals(sim, bg, gg, n_draws=100, seed=1, max_customers=500).total.iloc[0]
    assert sampled.estimate == exact.estimate and sampled.sample_customers == 500
    width = exact.ci_upper - exact.ci_lower
    assert abs(sampled.ci_lower - exact.ci_lower) < 0.1 * width
    assert abs(sampled.ci_upper - exact.ci_upper) < 0.1 * width


def test_invalid_options(fitted):
    sim, bg, gg = fitted
    with pytest.raises(ValueError, match="'horizon_months' parameter must be a whole number >= 1. Got 0"):
        clv.customer_value(sim, bg, gg, horizon_months=0)
    with pytest.raises(ValueError, match="'margin' parameter must be a share"):
        clv.customer_value(sim, bg, gg, margin=30)
    with pytest.raises(ValueError, match="2 customers of 'subset' are not in the summary"):
        clv.clv_intervals(sim.head(10), bg, gg, n_draws=5, subset=[0, 10_000, 10_001])
