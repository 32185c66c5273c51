"""Tests of retention_utils.campaigns.uplift: the two-model learner, the Qini curve, targeting and the contact list.

Expected values come from
* hand computations on a ten-customer campaign (``TABLE``; the sums are written out next to each test);
* a brute force over every distinct ranking of that campaign (12,600), scored by a plain loop written here;
* reference values produced once by independent implementations (not needed by the suite):
  scikit-uplift 0.5.1 (``sklift.metrics.qini_curve``, ``sklift.models.TwoModels``) and causalml 0.18.0
  (``causalml.inference.meta.BaseTClassifier``), each in a scratch venv with pandas 3.1.1, numpy 2.4.6,
  scikit-learn 1.9.1, on the deterministic data of ``_reference_data`` (formulas, no random generator).
  Script, for the record::

      x, q = sklift.metrics.qini_curve((~churned).astype(int), score, treated.astype(int))  # response = stayed
      coef = (auc(x, q) - auc([0, x[-1]], [0, q[-1]])) / 200**2
      TwoModels(LogisticRegression(), LogisticRegression(), method="vanilla").fit(X, y2, t2).predict(X[rows])
      BaseTClassifier(learner=LogisticRegression(), control_name=0).fit(X=X, treatment=t2, y=y2).predict(X[rows])

  Both libraries estimate the effect on the outcome (p_treated - p_control); our uplift is the reduction in
  churn, so it is their number with the sign flipped; scikit-uplift's Qini counts responses (here: customers who
  stayed), which equals our churn form wherever the top holds a control customer;
* planted truths in simulations: churn 8% / 30% / 55% and uplift 0 / 0.15 / 0.03 in a low / medium / high risk
  group. Measured over 22 seeds (20,000 training and 20,000 holdout customers): mean predicted uplift per group
  within 0.027 of the truth; holdout Qini coefficient 0.0065-0.0089 (the true-uplift ranking: 0.0081-0.0101;
  the perfect ranking: about 0.21), permutation p-value 0.005 (the smallest with 199 permutations); at 20% of the
  holdout the uplift policy saved 478-728 customers (truth about 600), the risk policy 22-302 (truth about 120)
  and random 222-302 (truth about 267). With no effect at all, the Qini coefficient stayed within +-0.0019 and its
  p-value was 0.065-0.97. Newcombe interval coverage of the per-policy truth (the sum of the planted uplifts of the
  policy's top group): 94.3%-97% in the 300 holdouts of the test. On the test's own seed the risk policy's
  estimate (302, interval 178-424) misses its truth (120): a 2.9-standard-error draw, as 1 in 20 intervals may.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from retention_utils.campaigns.uplift import (
    TwoModelUplift,
    UpliftDataError,
    perfect_qini_curve,
    qini_coefficient,
    qini_curve,
    qini_summary,
    recommend_contacts,
    targeting_comparison,
)
from retention_utils.errors import DataError
from retention_utils.stats import newcombe_interval

# ------------------------------------------------------------------------------------------------ hand data
# ten customers: 4 treated who stayed (TR), 1 treated who churned (TC), 2 controls who stayed (CR),
# 3 controls who churned (CC). Whole campaign: saved(10) = 3/5 * 5 - 1 = 2.
TABLE = pd.DataFrame({
    "customer_id": list("abcdefghij"),
    "treated": [1, 0, 0, 1, 1, 0, 0, 1, 0, 1],
    "churned": [0, 0, 1, 1, 0, 1, 0, 0, 1, 0],
    #  types:   TR CR CC TC TR CC CR TR CC TR
    "mixed":   [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],        # ranks the rows in table order
    "perfect": [9, 2, 10, 3, 8, 5, 1, 7, 4, 6],        # c, a, e, h, j, f, i, d, b, g
    "tied":    [2, 2, 2, 2, 2, 1, 1, 1, 1, 1],         # two blocks: a-e, f-j
})


def _naive_saved(treated_in_order, churned_in_order) -> list[float]:
    """saved(k) for k = 0..n by the definition, one customer at a time (the reference for the vectorized code)."""
    out = [0.0]
    n_t = n_c = c_t = c_c = 0
    for t, c in zip(treated_in_order, churned_in_order, strict=True):
        n_t, n_c = n_t + t, n_c + (1 - t)
        c_t, c_c = c_t + t * c, c_c + (1 - t) * c
        out.append(c_c / n_c * n_t - c_t if n_c else 0.0)
    return out


def _curve(score, n_points=None, table=TABLE):
    return qini_curve(table[score] if isinstance(score, str) else score, table["treated"], table["churned"],
                      n_points=n_points)


def test_qini_curve_of_the_table_order_by_hand():
    # k: 1 TR (no control yet) 0; 2 +CR 1*0/1-0 = 0; 3 +CC 1*1/2 = 0.5; 4 +TC 2*1/2-1 = 0; 5 +TR 3/2-1 = 0.5;
    # 6 +CC 3*2/3-1 = 1; 7 +CR 3*2/4-1 = 0.5; 8 +TR 4*2/4-1 = 1; 9 +CC 4*3/5-1 = 1.4; 10 +TR 5*3/5-1 = 2
    curve = _curve("mixed")
    assert curve["n_targeted"].tolist() == list(range(11))
    assert np.allclose(curve["incremental_saved"], [0, 0, 0, 0.5, 0, 0.5, 1, 0.5, 1, 1.4, 2])
    assert np.allclose(curve["random_saved"], 0.2 * np.arange(11))
    assert np.allclose(curve["share_targeted"], np.arange(11) / 10)
    # area under the curve, trapezoids of width 1: 0+0+.25+.25+.25+.75+.75+.75+1.2+1.7 = 5.9; random: 10 * 2 / 2 = 10
    # coefficient: (5.9 - 10) / 10**2 = -0.041
    assert qini_coefficient(curve) == pytest.approx(-0.041)


def test_perfect_ranking_by_hand():
    # c (CC) then a e h j (TR) then f i (CC) then d (TC) then b g (CR):
    # k=1 no treated 0; 2..5: 1, 2, 3, 4; 6, 7: control rate stays 1 -> 4; 8 +TC 5-1 = 4; 9 +CR 5*3/4-1 = 2.75; 10: 2
    expected = [0, 0, 1, 2, 3, 4, 4, 4, 4, 2.75, 2]
    assert np.allclose(_curve("perfect")["incremental_saved"], expected)
    perfect = perfect_qini_curve(TABLE["treated"], TABLE["churned"], n_points=None)
    assert np.allclose(perfect["incremental_saved"], expected)
    # trapezoids: 0+.5+1.5+2.5+3.5+4+4+4+3.375+2.375 = 25.75; minus random 10 -> 15.75 / 100
    assert qini_coefficient(perfect) == pytest.approx(0.1575)
    row = qini_summary(TABLE["mixed"], TABLE["treated"], TABLE["churned"], n_permutations=0).iloc[0]
    assert row["perfect_qini_coefficient"] == pytest.approx(0.1575)
    assert row["qini_coefficient"] == pytest.approx(-0.041)
    assert row["qini_ratio"] == pytest.approx(-0.041 / 0.1575)
    assert row["total_saved"] == pytest.approx(2.0)
    assert not row["beats_random"] and np.isnan(row["p_value"])


def _distinct_orders(counts: dict[str, int]):
    """Every distinct arrangement of a multiset of customer types."""
    if not any(counts.values()):
        yield ()
        return
    for kind, left in counts.items():
        if left:
            for rest in _distinct_orders({**counts, kind: left - 1}):
                yield (kind, *rest)


def test_perfect_curve_lies_on_or_above_every_ranking():
    orders = np.array(list(_distinct_orders({"TR": 4, "TC": 1, "CR": 2, "CC": 3})))
    assert len(orders) == 12600  # 10! / (4! 1! 2! 3!)
    t = np.isin(orders, ["TR", "TC"]).astype(float)
    c = np.isin(orders, ["TC", "CC"]).astype(float)
    n_t, n_c = t.cumsum(1), (1 - t).cumsum(1)
    c_t, c_c = (t * c).cumsum(1), ((1 - t) * c).cumsum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        saved = np.where(n_c > 0, c_c / n_c * n_t - c_t, 0.0)
    perfect = perfect_qini_curve(TABLE["treated"], TABLE["churned"], n_points=None)["incremental_saved"].to_numpy()
    assert np.all(perfect[1:] >= saved.max(axis=0) - 1e-12)          # on or above at every depth
    assert np.allclose(perfect[1:], saved.max(axis=0))               # and it is the best at every depth here
    # the vectorized curve equals the plain loop on a sample of rankings
    rng = np.random.default_rng(3)
    for idx in rng.choice(len(orders), 60, replace=False):
        tt, cc = t[idx].astype(int), c[idx].astype(int)
        curve = qini_curve(-np.arange(10.0), tt, cc, n_points=None)
        assert np.allclose(curve["incremental_saved"], _naive_saved(tt, cc))
        assert np.allclose(curve["incremental_saved"].to_numpy()[1:], saved[idx])


def test_constant_score_gives_the_random_line():
    curve = _curve(np.full(10, 0.3), n_points=11)
    assert np.allclose(curve["incremental_saved"], curve["random_saved"])
    assert np.allclose(curve["random_saved"], 0.2 * np.arange(11))
    assert qini_coefficient(curve) == pytest.approx(0.0, abs=1e-15)


def test_tied_blocks_are_linear_and_order_free():
    # block a-e at k=5: 3 treated (1 churned), 2 controls (1 churned): 3*1/2 - 1 = 0.5; k=10: 2
    curve = _curve("tied", n_points=11)
    assert np.allclose(curve["incremental_saved"], [0, .1, .2, .3, .4, .5, .8, 1.1, 1.4, 1.7, 2.0])
    exact = _curve("tied")
    assert exact["n_targeted"].tolist() == [0, 5, 10]
    # trapezoids over k: (0+.5)/2*5 + (.5+2)/2*5 = 7.5; minus random 10 -> -2.5 / 100
    assert qini_coefficient(exact) == pytest.approx(-0.025)
    shuffled = TABLE.iloc[[4, 2, 0, 3, 1, 9, 7, 8, 5, 6]].reset_index(drop=True)  # rows moved within their block
    assert _curve("tied", n_points=11, table=shuffled).equals(curve)


def test_grid_rounds_to_whole_customers():
    curve = _curve("mixed", n_points=101)               # 101 shares of 10 customers: 11 distinct depths
    assert curve["n_targeted"].tolist() == list(range(11))
    curve = _curve("mixed", n_points=3)
    assert curve["n_targeted"].tolist() == [0, 5, 10]
    assert np.allclose(curve["incremental_saved"], [0, 0.5, 2])


def _reference_data():
    i = np.arange(200)
    score = ((i * 37) % 23) / 22.0            # 23 distinct values, blocks of 8-9 tied customers
    treated = ((i * 11) % 7) < 4
    churned = ((i * 13) % 5) < 2
    j = np.arange(400)
    X = np.column_stack([((j * 17) % 41) / 40.0, ((j * 29) % 13) / 12.0])
    t2 = (j % 2) == 1
    p = np.where(t2, 0.15 + 0.5 * X[:, 0] * X[:, 1], 0.2 + 0.5 * X[:, 0])
    y2 = ((j * 7919) % 1000 + 0.5) / 1000.0 < p
    return score, treated, churned, X, t2, y2


def test_qini_curve_matches_scikit_uplift_reference():
    score, treated, churned, *_ = _reference_data()
    # sklift.metrics.qini_curve(1 - churned, score, treated), scikit-uplift 0.5.1 (module docstring)
    sklift_k = [0, 8, 17, 26, 35, 43, 51, 60, 69, 78, 86, 95, 104, 113, 121, 129, 138, 147, 156, 164, 173, 182,
                191, 200]
    sklift_q = [0.0, 3.3333333333, 4.7142857143, 2.8333333333, 1.3529411765, -1.1, -1.4782608696, -0.2307692308,
                2.6, 4.4285714286, 4.4871794872, 3.7142857143, 0.6, -0.2708333333, -0.1346153846, 2.2857142857, 5.1,
                6.6666666667, 5.9090909091, 3.3043478261, 1.472972973, -0.2784810127, 1.2409638554, 3.7209302326]
    curve = qini_curve(score, treated, churned, n_points=None)
    assert curve["n_targeted"].tolist() == sklift_k
    assert np.allclose(curve["incremental_saved"], sklift_q, atol=1e-9)
    assert qini_coefficient(curve) == pytest.approx(0.002229156947644586, abs=1e-12)


def test_two_model_learner_matches_causalml_and_scikit_uplift():
    *_, X, t2, y2 = _reference_data()
    # BaseTClassifier(LogisticRegression()).predict and TwoModels(method="vanilla").predict gave, for rows
    # 0, 1, 7, 100, 399: -0.12809812, -0.22353969, -0.25697398, -0.30594443, -0.29408829 (p_treated - p_control)
    model = TwoModelUplift(LogisticRegression()).fit(X, t2, y2)
    rows = [0, 1, 7, 100, 399]
    assert np.allclose(model.predict(X[rows]), [0.12809812, 0.22353969, 0.25697398, 0.30594443, 0.29408829],
                       atol=1e-6)
    assert np.allclose(model.predict(X), model.predict_risk(X) - model.predict_treated_risk(X))
    control_only = LogisticRegression().fit(X[~t2], y2[~t2])
    assert np.allclose(model.predict_risk(X), control_only.predict_proba(X)[:, 1])


# ------------------------------------------------------------------------------------------- simulations
BASE_CHURN = {"low": 0.08, "medium": 0.30, "high": 0.55}
PLANTED = {"low": 0.0, "medium": 0.15, "high": 0.03}
NO_EFFECT = {"low": 0.0, "medium": 0.0, "high": 0.0}


def simulate(n: int, seed: int, effects: dict[str, float]):
    """A randomised campaign (half treated) with a risk group set by x1 and the plan; region and x3 are noise."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "premium"], n)
    x1 = rng.normal(size=n)
    latent = x1 + pd.Series(plan).map({"basic": 0.8, "plus": 0.0, "premium": -0.8}).to_numpy()
    group = np.where(latent < -0.6, "low", np.where(latent > 0.6, "high", "medium"))
    x3 = rng.normal(size=n)
    x3[rng.random(n) < 0.1] = np.nan
    region = rng.choice(["north", "south", "east"], n)
    treated = rng.random(n) < 0.5
    p0 = pd.Series(group).map(BASE_CHURN).to_numpy()
    tau = pd.Series(group).map(effects).to_numpy()
    churned = rng.random(n) < np.where(treated, p0 - tau, p0)
    X = pd.DataFrame({"x1": x1, "plan": pd.Categorical(plan), "x3": x3, "region": pd.Categorical(region)})
    return X, treated, churned, group, tau


@pytest.fixture(scope="module")
def planted():
    X, t, y, _, _ = simulate(20_000, 0, PLANTED)
    model = TwoModelUplift().fit(X, t, y)
    Xh, th, yh, gh, tauh = simulate(20_000, 1000, PLANTED)
    return model, Xh, th, yh, gh, tauh


def test_learner_recovers_planted_uplift_and_risk(planted):
    model, Xh, _, _, group, _ = planted
    uplift, risk = model.predict(Xh), model.predict_risk(Xh)
    for g in PLANTED:
        assert uplift[group == g].mean() == pytest.approx(PLANTED[g], abs=0.04), g
        assert risk[group == g].mean() == pytest.approx(BASE_CHURN[g], abs=0.05), g
    assert model.n_control_ + model.n_treated_ == 20_000


def test_holdout_qini_beats_random_on_planted_effects(planted):
    model, Xh, th, yh, _, tauh = planted
    row = qini_summary(model.predict(Xh), th, yh).iloc[0]
    truth = qini_summary(tauh, th, yh, n_permutations=0).iloc[0]   # ranking by the planted uplift
    assert row["beats_random"] and row["p_value"] == pytest.approx(0.005)
    assert row["qini_coefficient"] > 0.5 * truth["qini_coefficient"] > 0.002
    assert row["qini_coefficient"] < row["perfect_qini_coefficient"]
    assert row["n_customers"] == 20_000 and row["n_treated"] + row["n_control"] == 20_000
    grid = qini_coefficient(qini_curve(model.predict(Xh), th, yh, n_points=1001))
    assert grid == pytest.approx(row["qini_coefficient"], abs=2e-4)    # a fine grid is close to the exact area


def test_holdout_qini_does_not_beat_random_without_effect():
    X, t, y, _, _ = simulate(20_000, 2000, NO_EFFECT)
    model = TwoModelUplift().fit(X, t, y)
    Xh, th, yh, _, _ = simulate(20_000, 3000, NO_EFFECT)
    row = qini_summary(model.predict(Xh), th, yh).iloc[0]
    assert not row["beats_random"]
    assert row["p_value"] > 0.05
    assert abs(row["qini_coefficient"]) < 0.003     # planted-effect runs: 0.0065 and above


def test_uplift_policy_saves_more_than_risk_policy(planted):
    model, Xh, th, yh, _, tauh = planted
    tab = targeting_comparison(model.predict(Xh), model.predict_risk(Xh), th, yh, shares=[0.2])
    by = tab.set_index("policy")
    assert by.loc["uplift", "saved"] > by.loc["risk", "saved"]
    assert by.loc["uplift", "ci_lower"] > by.loc["risk", "ci_upper"]
    assert (tab["n_targeted"] == 4000).all()
    # truths at 20%: the sum of the planted uplifts of the top 4,000 by predicted uplift (mostly medium-group
    # customers at 0.15: 574.9 here); random: 4,000 x the mean planted uplift; every interval holds its point
    truth = tauh[np.argsort(-model.predict(Xh), kind="stable")[:4000]].sum()
    assert 550 < truth <= 600
    assert by.loc["uplift", "ci_lower"] <= truth <= by.loc["uplift", "ci_upper"]
    assert by.loc["random", "ci_lower"] <= 4000 * tauh.mean() <= by.loc["random", "ci_upper"]
    assert (tab["ci_lower"] <= tab["saved"]).all() and (tab["saved"] <= tab["ci_upper"]).all()


def test_targeting_intervals_cover_planted_truth():
    # fixed scores (no model), 300 holdouts of 4,000: the truth of a top group is the sum of its planted uplifts
    rng = np.random.default_rng(5)
    hits: dict[tuple[float, str], list[bool]] = {}
    for r in range(300):
        X, t, y, _, tau = simulate(4000, 10_000 + r, PLANTED)
        up = tau + rng.normal(0, 0.05, len(tau))
        risk = (X["x1"] + X["plan"].map({"basic": 0.8, "plus": 0.0, "premium": -0.8}).astype(float)).to_numpy()
        tab = targeting_comparison(up, risk, t, y, shares=[0.1, 0.3])
        for row in tab.itertuples():
            m = row.n_targeted
            truth = {"uplift": tau[np.argsort(-up, kind="stable")[:m]].sum(),
                     "risk": tau[np.argsort(-risk, kind="stable")[:m]].sum(), "random": tau.mean() * m}[row.policy]
            hits.setdefault((row.share_targeted, row.policy), []).append(row.ci_lower <= truth <= row.ci_upper)
    coverage = {k: float(np.mean(v)) for k, v in hits.items()}
    assert len(coverage) == 6
    assert all(0.91 <= v <= 0.99 for v in coverage.values()), coverage


def test_targeting_comparison_by_hand():
    # top half by 'mixed': a b c d e -> treated a d e (1 churned of 3), controls b c (1 of 2):
    # saved = 5 * (1/2 - 1/3) = 5/6; risk = reversed order: top f g h i j -> treated h j (0 of 2), controls f g i
    # (2 of 3): 5 * (2/3 - 0) = 10/3; random: whole campaign 5 * (3/5 - 1/5) = 2
    tab = targeting_comparison(TABLE["mixed"], -TABLE["mixed"], TABLE["treated"], TABLE["churned"], shares=[0.5])
    assert tab["policy"].tolist() == ["uplift", "risk", "random"]
    assert np.allclose(tab["saved"], [5 / 6, 10 / 3, 2])
    assert tab["n_treated"].tolist() == [3, 2, 5] and tab["n_control"].tolist() == [2, 3, 5]
    lo, hi = newcombe_interval(1, 2, 1, 3)
    assert tab.loc[0, "ci_lower"] == pytest.approx(5 * lo) and tab.loc[0, "ci_upper"] == pytest.approx(5 * hi)
    # a top of one treated customer has no control: no estimate
    one = targeting_comparison(TABLE["mixed"], -TABLE["mixed"], TABLE["treated"], TABLE["churned"], shares=[0.1])
    assert np.isnan(one.loc[0, "saved"]) and one.loc[0, "n_targeted"] == 1


# --------------------------------------------------------------------------------------- contact list
SCORES = pd.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
    "uplift": [0.10, 0.02, 0.15, -0.05, 0.10, 0.00],
    "risk": [0.80, 0.95, 0.40, 0.90, 0.30, 0.60],
    "value": [100.0, 500.0, 50.0, 300.0, 200.0, 1000.0],
})


def test_recommend_contacts_by_uplift_by_hand():
    before = SCORES.copy()
    rec = recommend_contacts(SCORES.drop(columns="value"), budget_contacts=3)
    # by uplift: c3 .15, then c1 and c5 at .10 (tie: by id); riskiest three: c2 .95, c4 .90, c1 .80
    assert rec.contacts["customer_id"].tolist() == ["c3", "c1", "c5"]
    assert rec.contacts["rank"].tolist() == [1, 2, 3]
    assert rec.contacts["value"].isna().all()
    comp = rec.comparison.set_index("policy")
    assert comp.loc["uplift", "expected_saved"] == pytest.approx(0.35)          # .15 + .10 + .10
    assert comp.loc["risk", "expected_saved"] == pytest.approx(0.07)            # .02 - .05 + .10
    assert comp.loc["uplift", "saved_vs_risk"] == pytest.approx(0.28)
    assert comp.loc["risk", "saved_vs_risk"] == 0
    assert comp["n_contacts"].tolist() == [3, 3]
    assert comp["expected_value_saved"].isna().all()
    pd.testing.assert_frame_equal(SCORES, before)                             # caller's frame untouched


def test_recommend_contacts_by_value_by_hand():
    rec = recommend_contacts(SCORES, budget_contacts=3)
    # benefit uplift x value: c5 20, c1 10, c2 10 (tie: by id), c3 7.5, c6 0, c4 -15
    assert rec.contacts["customer_id"].tolist() == ["c5", "c1", "c2"]
    assert rec.contacts["expected_benefit"].tolist() == pytest.approx([20, 10, 10])
    assert rec.contacts["expected_benefit"].is_monotonic_decreasing
    comp = rec.comparison.set_index("policy")
    assert comp.loc["uplift", "expected_saved"] == pytest.approx(0.22)
    assert comp.loc["uplift", "expected_value_saved"] == pytest.approx(40)
    assert comp.loc["risk", "expected_value_saved"] == pytest.approx(5)        # c2 10 + c4 -15 + c1 10
    assert comp.loc["uplift", "value_saved_vs_risk"] == pytest.approx(35)
    shuffled = SCORES.sample(frac=1, random_state=1)
    pd.testing.assert_frame_equal(recommend_contacts(shuffled, budget_contacts=3).contacts, rec.contacts)


def test_recommend_contacts_budget_and_harmful_contacts():
    for budget in (1, 2, 4, 10):
        rec = recommend_contacts(SCORES.drop(columns="value"), budget_contacts=budget)
        assert len(rec.contacts) == min(budget, 4)     # four customers have a positive uplift
        assert (rec.contacts["uplift"] > 0).all()
        assert rec.comparison["n_contacts"].tolist() == [len(rec.contacts)] * 2
    everyone = recommend_contacts(SCORES.drop(columns="value"), budget_contacts=10, only_positive=False)
    assert everyone.contacts["customer_id"].tolist() == ["c3", "c1", "c5", "c2", "c6", "c4"]
    assert everyone.comparison["saved_vs_risk"].iloc[0] == pytest.approx(0)   # the same six customers


# -------------------------------------------------------------------------------------- inputs and contract
def test_learner_follows_the_estimator_contract():
    model = TwoModelUplift(random_state=3)
    assert model.get_params() == {"estimator": None, "random_state": 3}
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict(TABLE[["mixed"]])
    X, t, y, _, _ = simulate(1000, 7, PLANTED)
    X = X.assign(plan=X["plan"].astype(str))            # text: turned into a category by the default model
    assert model.fit(X, t, y) is model
    assert list(model.feature_names_in_) == ["x1", "plan", "x3", "region"] and model.n_features_in_ == 4
    new = X.head(3).assign(plan=["basic", "unknown plan", None])   # unseen and missing categories
    assert np.isfinite(model.predict(new)).all()


def test_learner_refuses_small_or_one_outcome_groups():
    X, t, y, _, _ = simulate(1000, 8, PLANTED)
    few = t.copy()
    few[np.flatnonzero(few)[40:]] = False               # 40 treated customers left
    with pytest.raises(UpliftDataError, match=r"treated group has 40 rows; at least 50"):
        TwoModelUplift().fit(X, few, y)
    with pytest.raises(ValueError, match=r"in the control group no customer churned \(0 of \d+\)"):
        TwoModelUplift().fit(X, t, y & t)
    with pytest.raises(DataError, match=r"X has 999 rows but treated and y have 1000"):
        TwoModelUplift().fit(X.iloc[1:], t, y)


def test_input_errors_say_what_and_where():
    t, c = TABLE["treated"], TABLE["churned"]
    with pytest.raises(UpliftDataError, match=r"qini_curve: 'y' must hold 0/1 or True/False; 1 other value at "
                                              r"positions 2 \(2\)"):
        qini_curve(TABLE["mixed"], t, c.where(c.index != 2, 2))
    with pytest.raises(UpliftDataError, match=r"'uplift' has 1 missing or infinite value at positions 4"):
        qini_curve(TABLE["mixed"].astype(float).where(TABLE.index != 4), t, c)
    with pytest.raises(UpliftDataError, match=r"inputs differ in length \(treated 10, y 9, uplift 10\)"):
        qini_curve(TABLE["mixed"], t, c.iloc[1:])
    with pytest.raises(UpliftDataError, match=r"both a treated and a control group .* 0 treated and 10 control"):
        qini_curve(TABLE["mixed"], np.zeros(10), c)
    with pytest.raises(ValueError, match=r"The 'n_points' parameter of qini_curve must be an int >= 2 or None"):
        qini_curve(TABLE["mixed"], t, c, n_points=1)
    with pytest.raises(ValueError, match=r"The 'shares' parameter of targeting_comparison must be shares in"):
        targeting_comparison(TABLE["mixed"], TABLE["mixed"], t, c, shares=[0.2, 1.5])
    with pytest.raises(ValueError, match=r"the curve lacks columns 'random_saved'"):
        qini_coefficient(_curve("mixed").drop(columns="random_saved"))
    with pytest.raises(ValueError, match=r"The 'budget_contacts' parameter of recommend_contacts must be an int"):
        recommend_contacts(SCORES, budget_contacts=0)
    with pytest.raises(UpliftDataError, match=r"scores lack columns 'risk'; present: 'customer_id', 'uplift'"):
        recommend_contacts(SCORES[["customer_id", "uplift"]], budget_contacts=2)
    with pytest.raises(UpliftDataError, match=r"2 rows share a customer_id \('c1'\)"):
        recommend_contacts(SCORES.assign(customer_id=["c1", "c1", "c3", "c4", "c5", "c6"]), budget_contacts=2)
    with pytest.raises(UpliftDataError, match=r"column 'uplift' has 1 missing .* \(customers 'c2'\)"):
        recommend_contacts(SCORES.assign(uplift=[0.1, np.nan, 0.1, 0.1, 0.1, 0.1]), budget_contacts=2)
