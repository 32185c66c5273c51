"""Campaign effect statistics (retention_utils.campaigns.effects).

References, each independent of the code under test:

* proportions: Wilson intervals and Newcombe's combination written out from Newcombe (1998), method 10,
  and the published 30/100 vs 20/100 interval (-0.0202, 0.2167); the p-value against scipy's Pearson
  chi-square test of the 2 x 2 table;
* means: Welch's t interval written out (Welch-Satterthwaite degrees of freedom) and statsmodels'
  ``CompareMeans`` (the code uses scipy); CUPED's theta as the least-squares slope (``np.polyfit``);
* hazard ratio: the Cox partial likelihood written as a loop and maximised with scipy (no tied times,
  where Efron's, Breslow's and the exact likelihood coincide), and a direct statsmodels ``PHReg`` fit
  on tied times;
* RMST: a Kaplan-Meier curve computed by a loop and its area summed step by step, the variance
  ``sum A_i^2 d_i / (n_i (n_i - d_i))`` by hand;
* simulations with planted effects (20 fixed seeds each): coverage of the 95% intervals; A/A tests
  (200 fixed seeds): the share of p < 0.05.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from retention_utils.campaigns.effects import (
    Effect,
    effects_frame,
    hazard_ratio,
    mean_effect,
    proportion_effect,
    rmst_difference,
)

Z = stats.norm.ppf(0.975)


def _ones(k: int, n: int) -> np.ndarray:
    return np.r_[np.ones(k), np.zeros(n - k)]


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z ** 2 / (2 * n)) / (1 + Z ** 2 / n)
    half = Z / (1 + Z ** 2 / n) * math.sqrt(p * (1 - p) / n + Z ** 2 / (4 * n ** 2))
    return centre - half, centre + half


# --- proportions -------------------------------------------------------------------------------------------


def test_proportion_effect_newcombe_and_pearson_by_hand():
    e = proportion_effect(_ones(30, 100), _ones(20, 100), metric="retained_90d")
    assert (e.metric, e.method, e.n_treated, e.n_control) == ("retained_90d", "newcombe", 100, 100)
    assert (e.treated_value, e.control_value) == (0.3, 0.2)
    assert e.estimate == pytest.approx(0.1)
    # the published values (Newcombe 1998, method 10) ...
    assert (e.ci_lower, e.ci_upper) == pytest.approx((-0.0202, 0.2167), abs=5e-5)
    # ... and the combination of Wilson intervals written out
    l1, u1 = _wilson(30, 100)
    l2, u2 = _wilson(20, 100)
    assert e.ci_lower == pytest.approx(0.1 - math.sqrt((0.3 - l1) ** 2 + (u2 - 0.2) ** 2), abs=1e-10)
    assert e.ci_upper == pytest.approx(0.1 + math.sqrt((u1 - 0.3) ** 2 + (0.2 - l2) ** 2), abs=1e-10)
    # score test under "no difference" = Pearson chi-square without continuity correction
    z = 0.1 / math.sqrt(0.25 * 0.75 * (1 / 100 + 1 / 100))
    assert e.p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-9)
    assert e.p_value == pytest.approx(stats.chi2_contingency([[30, 70], [20, 80]], correction=False)[1], rel=1e-9)
    assert e.p_value == pytest.approx(0.10247, abs=1e-5)
    assert e.note == ""


def test_proportion_effect_alpha_and_inputs():
    e90 = proportion_effect(_ones(30, 100), _ones(20, 100), metric="m", alpha=0.10)
    e95 = proportion_effect(_ones(30, 100), _ones(20, 100), metric="m")
    assert e95.ci_lower < e90.ci_lower < 0.1 < e90.ci_upper < e95.ci_upper
    # booleans and a pandas nullable column give the same answer as 0/1 floats
    eb = proportion_effect(_ones(30, 100).astype(bool), pd.Series(_ones(20, 100), dtype="Int64"), metric="m")
    assert (eb.estimate, eb.ci_lower, eb.p_value) == (e95.estimate, e95.ci_lower, e95.p_value)


def test_proportion_effect_rejects_missing_and_non_binary():
    with pytest.raises(ValueError,
                       match=r"y_control has 2 missing or infinite value\(s\) \(positions 1, 3\); leave out"):
        proportion_effect([1, 0, 1], [1, np.nan, 0, None], metric="m")
    with pytest.raises(ValueError, match=r"y_treated must be 0/1 or True/False; it has 2 other value\(s\): 0.5, 2"):
        proportion_effect([1, 0, 2, 0.5], [1, 0], metric="m")
    with pytest.raises(ValueError, match=r"The 'alpha' parameter of proportion_effect must be in \(0, 1\). Got 5"):
        proportion_effect([1, 0], [1, 0], metric="m", alpha=5)


def test_proportion_effect_not_estimable_and_degenerate():
    e = proportion_effect([1, 0, 1], [1], metric="m")
    assert np.isnan([e.estimate, e.ci_lower, e.ci_upper, e.p_value]).all()
    assert e.note == "fewer than 2 customers in the control group"
    assert e.treated_value == pytest.approx(2 / 3)
    e = proportion_effect([], [], metric="m")
    assert e.note == "fewer than 2 customers in the treated and control groups" and np.isnan(e.treated_value)
    # nobody retained anywhere: difference 0, p = 1 (Fisher's exact test gives 1 too), a real interval
    e = proportion_effect(np.zeros(50), np.zeros(40), metric="m")
    assert e.estimate == 0 and e.p_value == 1.0
    assert e.p_value == stats.fisher_exact([[0, 50], [0, 40]])[1]
    assert e.ci_lower < 0 < e.ci_upper and "same outcome" in e.note


# --- means -------------------------------------------------------------------------------------------------


def test_mean_effect_welch_by_hand_and_statsmodels():
    yt, yc = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 5.0])
    e = mean_effect(yt, yc, metric="orders_90d")
    vt, vc = yt.var(ddof=1) / 4, yc.var(ddof=1) / 3  # 5/12, 1
    se = math.sqrt(vt + vc)
    df = (vt + vc) ** 2 / (vt ** 2 / 3 + vc ** 2 / 2)
    assert df == pytest.approx(3.5975, abs=1e-4)
    q = stats.t.ppf(0.975, df)
    assert (e.method, e.treated_value, e.control_value, e.estimate) == ("welch", 2.5, 3.0, -0.5)
    assert (e.ci_lower, e.ci_upper) == pytest.approx((-0.5 - q * se, -0.5 + q * se), rel=1e-10)
    assert e.p_value == pytest.approx(2 * stats.t.sf(0.5 / se, df), rel=1e-10)
    cm = CompareMeans(DescrStatsW(yt), DescrStatsW(yc))
    assert (e.ci_lower, e.ci_upper) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=1e-10)
    assert e.p_value == pytest.approx(cm.ttest_ind(usevar="unequal")[1], rel=1e-10)
    assert (e.ci_lower, e.ci_upper) == pytest.approx((-3.9557, 2.9557), abs=1e-4)


def test_mean_effect_cuped_by_hand():
    yt, xt = np.array([5.0, 7.0, 9.0, 4.0]), np.array([2.0, 3.0, 5.0, 1.0])
    yc, xc = np.array([3.0, 6.0, 2.0, 5.0]), np.array([1.0, 4.0, 1.0, 3.0])
    y, x = np.r_[yt, yc], np.r_[xt, xc]
    theta = np.polyfit(x, y, 1)[0]  # least-squares slope = cov(y, x) / var(x)
    at, ac = yt - theta * (xt - x.mean()), yc - theta * (xc - x.mean())
    e = mean_effect(yt, yc, pre_treated=xt, pre_control=xc, metric="revenue_90d")
    cm = CompareMeans(DescrStatsW(at), DescrStatsW(ac))
    assert e.method == "cuped"
    assert (e.treated_value, e.control_value) == pytest.approx((at.mean(), ac.mean()), rel=1e-12)
    assert e.estimate == pytest.approx(e.treated_value - e.control_value, abs=1e-12)
    assert e.estimate == pytest.approx((yt.mean() - yc.mean()) - theta * (xt.mean() - xc.mean()), rel=1e-12)
    assert (e.ci_lower, e.ci_upper) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=1e-10)
    assert e.p_value == pytest.approx(cm.ttest_ind(usevar="unequal")[1], rel=1e-10)
    reduction = 1 - np.r_[at, ac].var(ddof=1) / y.var(ddof=1)
    assert reduction == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)  # the squared correlation
    assert e.note == f"variance -{100 * reduction:.0f}%"


def test_cuped_is_narrower_than_welch_with_correlation_06():
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.normal(50, 10, 2 * n)
    y = 20 + 0.6 * (x - 50) + 8 * rng.normal(size=2 * n)  # corr(x, y) = 6 / sqrt(36 + 64) = 0.6
    y[:n] += 1.0
    w = mean_effect(y[:n], y[n:], metric="m")
    c = mean_effect(y[:n], y[n:], pre_treated=x[:n], pre_control=x[n:], metric="m")
    reduction = int(c.note.removeprefix("variance -").removesuffix("%"))
    assert 33 <= reduction <= 39, c.note  # planted 1 - 0.6^2 = 36%
    ratio = (c.ci_upper - c.ci_lower) / (w.ci_upper - w.ci_lower)
    assert ratio == pytest.approx(math.sqrt(1 - reduction / 100), abs=0.01)  # about 0.8
    assert abs(c.estimate - 1.0) < abs(w.estimate - 1.0) + 0.1


def test_bootstrap_is_seeded_and_agrees_with_welch_on_normal_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=800)
    y = 0.6 * x + 0.8 * rng.normal(size=800)
    args = dict(pre_treated=x[:400], pre_control=x[400:], metric="m")
    for kw in ({}, args):
        plain = mean_effect(y[:400] + 0.2, y[400:], **{"metric": "m", **kw})
        boot = mean_effect(y[:400] + 0.2, y[400:], **{"metric": "m", **kw}, bootstrap=2000, seed=1)
        again = mean_effect(y[:400] + 0.2, y[400:], **{"metric": "m", **kw}, bootstrap=2000, seed=1)
        other = mean_effect(y[:400] + 0.2, y[400:], **{"metric": "m", **kw}, bootstrap=2000, seed=2)
        assert boot.method == plain.method + "+bootstrap"
        assert (boot.ci_lower, boot.ci_upper) == (again.ci_lower, again.ci_upper)
        assert boot.ci_lower != other.ci_lower
        assert (boot.estimate, boot.p_value) == (plain.estimate, plain.p_value)
        width = plain.ci_upper - plain.ci_lower
        assert abs(boot.ci_lower - plain.ci_lower) < 0.06 * width, (boot, plain)
        assert abs(boot.ci_upper - plain.ci_upper) < 0.06 * width, (boot, plain)
        assert "percentile bootstrap of 2000 resamples" in boot.note


def test_bootstrap_statistic_reestimates_theta_like_a_loop():
    # the vectorised CUPED statistic of every resample against a loop over the same resampled positions
    from retention_utils.campaigns.effects import _adjusted_differences

    rng = np.random.default_rng(5)
    yt, yc, xt, xc = rng.normal(size=30), rng.normal(size=20), rng.normal(size=30), rng.normal(size=20)
    yt += 0.5 * xt + 3
    yc += 0.5 * xc + 3
    it, ic = rng.integers(0, 30, size=(50, 30)), rng.integers(0, 20, size=(50, 20))
    got = _adjusted_differences(yt, yc, xt, xc, it, ic)
    want = []
    for a, b in zip(it, ic):
        theta = np.polyfit(np.r_[xt[a], xc[b]], np.r_[yt[a], yc[b]], 1)[0]
        want.append(yt[a].mean() - yc[b].mean() - theta * (xt[a].mean() - xc[b].mean()))
    assert got == pytest.approx(want, rel=1e-9)
    assert _adjusted_differences(yt, yc, None, None, it, ic) == pytest.approx(
        [yt[a].mean() - yc[b].mean() for a, b in zip(it, ic)], rel=1e-12)


def test_mean_effect_edge_cases_and_errors():
    e = mean_effect([1.0], [2.0, 3.0], metric="m")
    assert e.note == "fewer than 2 customers in the treated group" and np.isnan(e.estimate)
    e = mean_effect([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], pre_treated=[1, 1, 1], pre_control=[1, 1, 1], metric="m")
    assert e.method == "welch" and "same for every customer" in e.note and e.estimate == -1.0
    e = mean_effect([2.0, 2.0], [1.0, 1.0], metric="m")
    assert e.estimate == 1.0 and np.isnan(e.ci_lower) and np.isnan(e.p_value) and "does not vary" in e.note
    with pytest.raises(ValueError, match="pass both pre_treated and pre_control"):
        mean_effect([1.0, 2.0], [1.0, 2.0], pre_treated=[1.0, 2.0], metric="m")
    with pytest.raises(ValueError, match="pre_control has 3 values but y_control has 2"):
        mean_effect([1.0, 2.0], [1.0, 2.0], pre_treated=[1.0, 2.0], pre_control=[1.0, 2.0, 3.0], metric="m")
    with pytest.raises(ValueError, match=r"pre_treated has 1 missing or infinite value\(s\) \(positions 0\)"):
        mean_effect([1.0, 2.0], [1.0, 2.0], pre_treated=[np.nan, 2.0], pre_control=[1.0, 2.0], metric="m")
    with pytest.raises(ValueError, match="The 'bootstrap' parameter of mean_effect"):
        mean_effect([1.0, 2.0], [1.0, 2.0], metric="m", bootstrap=-1)


# --- time to churn -----------------------------------------------------------------------------------------


def _cox_partial_loglik(b: float, t: np.ndarray, e: np.ndarray, x: np.ndarray) -> float:
    """Cox log partial likelihood without ties, as a loop."""
    out = 0.0
    for i in range(len(t)):
        if e[i]:
            risk = t >= t[i]
            out += b * x[i] - math.log(np.exp(b * x[risk]).sum())
    return out


def test_hazard_ratio_against_partial_likelihood_by_hand():
    t = np.array([3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 19, 20, 22, 25], dtype=float)
    e = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0])
    g = np.array([0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1])
    res = optimize.minimize_scalar(lambda b: -_cox_partial_loglik(b, t, e, g), bounds=(-5, 5), method="bounded",
                                   options={"xatol": 1e-10})
    b = res.x
    h = 1e-4  # observed information by central differences
    info = -(_cox_partial_loglik(b + h, t, e, g) - 2 * _cox_partial_loglik(b, t, e, g)
             + _cox_partial_loglik(b - h, t, e, g)) / h ** 2
    se = 1 / math.sqrt(info)
    hr = hazard_ratio(t, e, g)
    assert (hr.metric, hr.method, hr.n_treated, hr.n_control) == ("churn_hazard_ratio", "cox", 8, 6)
    assert (hr.treated_value, hr.control_value) == (6 / 8, 4 / 6)  # shares churned during follow-up
    assert hr.estimate == pytest.approx(math.exp(b), rel=1e-5)
    assert (hr.ci_lower, hr.ci_upper) == pytest.approx((math.exp(b - Z * se), math.exp(b + Z * se)), rel=1e-4)
    assert hr.p_value == pytest.approx(2 * stats.norm.sf(abs(b) / se), rel=1e-4)


def test_hazard_ratio_equals_direct_phreg_fit_with_ties():
    rng = np.random.default_rng(2)
    g = rng.random(300) < 0.5
    t = np.ceil(rng.exponential(np.where(g, 60 / 0.7, 60)))  # whole days: many ties
    e = t <= 90
    t = np.minimum(t, 90)
    fit = PHReg(t, g.astype(float)[:, None], status=e.astype(float), ties="efron").fit()
    b, se = fit.params[0], fit.bse[0]
    hr = hazard_ratio(t, e, g, alpha=0.1)
    q = stats.norm.ppf(0.95)
    assert hr.estimate == pytest.approx(math.exp(b), rel=1e-12)
    assert (hr.ci_lower, hr.ci_upper) == pytest.approx((math.exp(b - q * se), math.exp(b + q * se)), rel=1e-12)
    assert hr.p_value == pytest.approx(fit.pvalues[0], rel=1e-12)
    breslow = PHReg(t, g.astype(float)[:, None], status=e.astype(float), ties="breslow").fit()
    assert hr.estimate != pytest.approx(math.exp(breslow.params[0]), rel=1e-6)  # ties do matter here


def test_hazard_ratio_not_estimable():
    hr = hazard_ratio([5, 6, 7, 8], [1, 1, 0, 0], [1, 1, 0, 0])
    assert np.isnan([hr.estimate, hr.ci_lower, hr.ci_upper, hr.p_value]).all()
    assert hr.note.startswith("no churn in the control group") and hr.control_value == 0.0
    hr = hazard_ratio([5, 6, 7], [1, 1, 0], [1, 1, 0])
    assert hr.note == "fewer than 2 customers in the control group"
    with pytest.raises(ValueError, match=r"time has 1 negative value\(s\) \(positions 2\)"):
        hazard_ratio([5, 6, -1], [1, 1, 0], [1, 0, 0])
    with pytest.raises(ValueError, match="got lengths 3, 2 and 3"):
        hazard_ratio([5, 6, 1], [1, 1], [1, 0, 0])


def _km_loop(t: np.ndarray, e: np.ndarray) -> list[tuple[float, int, int, float]]:
    """(time, at risk, events, survival after) at each churn time, by a loop."""
    out, s = [], 1.0
    for u in sorted(set(t[e.astype(bool)])):
        n = int((t >= u).sum())
        d = int(((t == u) & e.astype(bool)).sum())
        s *= 1 - d / n
        out.append((u, n, d, s))
    return out


def _rmst_loop(t: np.ndarray, e: np.ndarray, tau: float) -> tuple[float, float]:
    steps = [s for s in _km_loop(t, e) if s[0] <= tau]
    knots = [0.0] + [s[0] for s in steps] + [tau]
    levels = [1.0] + [s[3] for s in steps]
    pieces = [(knots[i + 1] - knots[i]) * levels[i] for i in range(len(levels))]
    var = 0.0
    for i, (_, n, d, _) in enumerate(steps):
        a = sum(pieces[i + 1:])  # area from this churn time to tau
        var += a * a * d / (n * (n - d)) if n > d else 0.0
    return sum(pieces), var


def test_rmst_difference_by_hand():
    tt, et = np.array([2, 4, 5, 7, 9.0]), np.array([1, 0, 1, 1, 0])
    tc, ec = np.array([1, 3, 3, 6, 8, 10.0]), np.array([1, 1, 0, 1, 0, 0])
    r = rmst_difference(np.r_[tt, tc], np.r_[et, ec], np.r_[np.ones(5), np.zeros(6)], tau=8)
    # treated S: 1 on [0,2), 0.8 on [2,5), 0.8*2/3 on [5,7), 0.8*2/3*1/2 on [7,8]
    assert r.treated_value == pytest.approx(2 + 3 * 0.8 + 2 * 0.8 * 2 / 3 + 1 * 0.8 / 3)  # 5.7333
    # control S: 1 on [0,1), 5/6 on [1,3), 5/6*4/5 on [3,6), 2/3*2/3 on [6,8]
    assert r.control_value == pytest.approx(1 + 2 * 5 / 6 + 3 * 2 / 3 + 2 * 4 / 9)  # 5.5556
    assert r.estimate == pytest.approx(r.treated_value - r.control_value)
    (at, vt), (ac, vc) = _rmst_loop(tt, et, 8), _rmst_loop(tc, ec, 8)
    assert (r.treated_value, r.control_value) == pytest.approx((at, ac))
    assert vt == pytest.approx((2.4 + 16 / 15 + 4 / 15) ** 2 / 20 + (4 / 3) ** 2 / 6 + (4 / 15) ** 2 / 2)
    se = math.sqrt(vt + vc)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((at - ac - Z * se, at - ac + Z * se))
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(at - ac) / se))
    assert (r.method, r.metric, r.n_treated, r.n_control) == ("rmst_km", "rmst_days", 5, 6)


def test_rmst_difference_not_estimable():
    r = rmst_difference([1, 2, 3, 10, 12], [1, 0, 1, 0, 1], [0, 0, 0, 1, 1], tau=5)
    assert np.isnan(r.estimate) and np.isnan(r.control_value) and r.treated_value == 5.0
    assert r.note == "follow-up ends before the horizon of 5 in the control group (longest follow-up 3)"
    r = rmst_difference([6, 7, 8, 9], [0, 0, 0, 0], [0, 0, 1, 1], tau=5)
    assert (r.estimate, r.ci_lower, r.ci_upper) == (0.0, 0.0, 0.0) and np.isnan(r.p_value)
    with pytest.raises(ValueError, match="The 'tau' parameter of rmst_difference must be a positive number"):
        rmst_difference([6, 7], [0, 0], [0, 1], tau=0)


# --- coverage of planted effects (20 fixed seeds each) --------------------------------------------------------

SEEDS = range(20)


def _covered(effects: list[Effect], truth: float) -> int:
    return sum(e.ci_lower <= truth <= e.ci_upper for e in effects)


def test_proportion_interval_covers_planted_difference():
    out = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        out.append(proportion_effect(rng.random(600) < 0.36, rng.random(600) < 0.30, metric="m"))
    k = _covered(out, 0.06)
    assert k >= 18, f"Newcombe covered 0.06 in {k}/20 seeds"


def test_mean_intervals_cover_planted_difference_and_cuped_is_narrower():
    welch, cuped, ratios = [], [], []
    for seed in SEEDS:
        rng = np.random.default_rng(100 + seed)
        x = rng.gamma(2.0, 25.0, 800)  # pre-period spend, skewed
        y = 30 + 6 * (x - 50) / (25 * np.sqrt(2)) + 8 * rng.normal(size=800)  # sd(x) = 25 sqrt(2): corr 0.6
        y[:400] += 2.0
        welch.append(mean_effect(y[:400], y[400:], metric="m"))
        cuped.append(mean_effect(y[:400], y[400:], pre_treated=x[:400], pre_control=x[400:], metric="m"))
        ratios.append((cuped[-1].ci_upper - cuped[-1].ci_lower) / (welch[-1].ci_upper - welch[-1].ci_lower))
    kw, kc = _covered(welch, 2.0), _covered(cuped, 2.0)
    assert kw >= 18, f"Welch covered 2.0 in {kw}/20 seeds"
    assert kc >= 18, f"CUPED covered 2.0 in {kc}/20 seeds"
    # signal sd 6, noise sd 8: CUPED keeps sqrt(1 - 0.36) = 0.8 of Welch's width
    assert max(ratios) < 1 and np.mean(ratios) == pytest.approx(0.8, abs=0.03), ratios


def _exponential_experiment(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lifetimes in days: control hazard 1/150 a day, treated 0.7 times it; random and end-of-study censoring."""
    rng = np.random.default_rng(1000 + seed)
    g = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    life = rng.exponential(np.where(g, 150 / 0.7, 150))
    censor = np.minimum(rng.exponential(400, 2 * n), 180.0)
    return np.minimum(life, censor), life <= censor, g


def test_hazard_ratio_interval_covers_planted_ratio():
    out = [hazard_ratio(*_exponential_experiment(seed)) for seed in SEEDS]
    k = _covered(out, 0.7)
    assert k >= 18, f"Cox covered 0.7 in {k}/20 seeds"
    assert np.median([e.estimate for e in out]) == pytest.approx(0.7, abs=0.07)


def test_rmst_interval_covers_closed_form_truth():
    tau = 120.0

    def true_rmst(rate: float) -> float:  # integral of exp(-rate t) from 0 to tau
        return (1 - math.exp(-rate * tau)) / rate

    truth = true_rmst(0.7 / 150) - true_rmst(1 / 150)  # 9.28 days
    out = [rmst_difference(*_exponential_experiment(seed), tau=tau) for seed in SEEDS]
    k = _covered(out, truth)
    assert k >= 18, f"RMST covered {truth:.2f} in {k}/20 seeds"


# --- A/A: no effect, 200 fixed seeds -------------------------------------------------------------------------


def test_aa_false_positive_rates():
    prop, mean, cuped = [], [], []
    for seed in range(200):
        rng = np.random.default_rng(5000 + seed)
        prop.append(proportion_effect(rng.random(150) < 0.3, rng.random(150) < 0.3, metric="m").p_value)
        x = rng.normal(size=160)
        y = 0.6 * x + 0.8 * rng.exponential(size=160)  # skewed noise
        mean.append(mean_effect(y[:80], y[80:], metric="m").p_value)
        cuped.append(mean_effect(y[:80], y[80:], pre_treated=x[:80], pre_control=x[80:], metric="m").p_value)
    for name, p in (("proportion", prop), ("welch", mean), ("cuped", cuped)):
        share = float(np.mean(np.array(p) < 0.05))
        assert 0.02 <= share <= 0.09, f"A/A {name}: {share:.1%} of 200 tests with p < 0.05"


def test_effects_frame_is_tidy():
    effects = [proportion_effect(_ones(30, 100), _ones(20, 100), metric="retained"),
               mean_effect([1.0, 2.0], [3.0], metric="revenue")]
    f = effects_frame(effects)
    assert list(f.columns) == ["metric", "method", "n_treated", "n_control", "treated_value", "control_value",
                               "estimate", "ci_lower", "ci_upper", "p_value", "note"]
    assert f["metric"].tolist() == ["retained", "revenue"]
    assert f.loc[0, "estimate"] == pytest.approx(0.1) and np.isnan(f.loc[1, "estimate"])
    assert f.loc[1, "note"] == "fewer than 2 customers in the control group"
    assert effects_frame([]).columns.tolist() == f.columns.tolist() and effects_frame([]).empty
