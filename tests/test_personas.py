"""Personas (retention_utils.personas): planted groups recovered, labels stable, profiles counted right.

References: scikit-learn's ``silhouette_score`` for the one-pass silhouette; hand counts with plain
pandas for sizes, value shares and churn rates; ``wilson_interval`` for the intervals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from retention_utils.errors import ConfigError, DataError
from retention_utils.personas import PROFILE_COLUMNS, _names, fit_personas, silhouette_by_k
from retention_utils.stats import wilson_interval


def planted(n_per: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated groups: frequent big spenders (most value), lapsed occasional buyers, support-heavy."""
    rng = np.random.default_rng(seed)
    g = np.repeat([0, 1, 2], n_per)
    n = len(g)
    f = pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in range(n)],
        "recency_days": np.array([10.0, 300.0, 60.0])[g] * rng.uniform(0.8, 1.2, n),
        "frequency": np.array([20, 1, 5])[g] + rng.integers(0, 2, n),
        "monetary": np.array([2000.0, 60.0, 300.0])[g] * rng.uniform(0.8, 1.2, n),
        "n_tickets": np.array([0, 0, 8])[g] + rng.integers(0, 2, n),
        "value": np.array([5000.0, 50.0, 800.0])[g] * rng.uniform(0.9, 1.1, n),
        "churned": (rng.random(n) < np.array([0.05, 0.6, 0.3])[g]).astype(float),
    })
    return f, g


@pytest.fixture(scope="module")
def fit_and_truth():
    f, g = planted()
    return f, g, fit_personas(f, seed=0)


def test_silhouette_equals_scikit_learn():
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(4, 1, (35, 3)), rng.normal((0, 5, 0), 1, (25, 3))])
    labelings = [np.repeat([0, 1, 2], [40, 35, 25]), rng.integers(0, 4, 100), (x[:, 0] > 2).astype(int)]
    singleton = labelings[0].copy()
    singleton[0] = 3  # a cluster of one scores 0
    labelings.append(singleton)
    got = silhouette_by_k(x, labelings, chunk_rows=17)
    want = [silhouette_score(x, lab) for lab in labelings]
    assert got == pytest.approx(want, abs=1e-10)
    assert np.isnan(silhouette_by_k(x, [np.zeros(100, dtype=int)])[0])


def test_planted_groups_are_recovered_and_ordered_by_value(fit_and_truth):
    f, g, fit = fit_and_truth
    assert fit.k == 3
    assert fit.selection.loc[fit.selection["chosen"], "k"].tolist() == [3]
    assert adjusted_rand_score(g, fit.assignments["persona"]) == pytest.approx(1.0)
    assert fit.stability == pytest.approx(1.0)
    # personas numbered by value share: the planted big spenders are persona 1, the lapsed ones last
    assert fit.assignments["persona"].to_numpy()[g == 0].tolist() == [1] * 200
    assert fit.assignments["persona"].to_numpy()[g == 1].tolist() == [3] * 200
    assert fit.profiles["persona"].tolist() == [1, 2, 3]
    assert fit.profiles["value_share"].is_monotonic_decreasing


def test_profiles_equal_a_hand_count(fit_and_truth):
    f, _, fit = fit_and_truth
    p = fit.profiles
    assert list(p.columns) == [*PROFILE_COLUMNS, "recency_days", "frequency", "monetary", "n_tickets", "description"]
    joined = f.assign(persona=fit.assignments["persona"].to_numpy())
    by = joined.groupby("persona")
    assert p["n_customers"].tolist() == by.size().tolist()
    assert p["share"].tolist() == pytest.approx((by.size() / len(f)).tolist())
    assert p["value"].tolist() == pytest.approx(by["value"].sum().tolist())
    assert p["value_share"].tolist() == pytest.approx((by["value"].sum() / f["value"].sum()).tolist())
    assert p["churn_rate"].tolist() == pytest.approx(by["churned"].mean().tolist())
    lo, hi = wilson_interval(by["churned"].sum().to_numpy(), by["churned"].count().to_numpy())
    assert p["churn_rate_ci_lower"].tolist() == pytest.approx(lo.tolist())
    assert p["churn_rate_ci_upper"].tolist() == pytest.approx(hi.tolist())
    assert p["monetary"].tolist() == pytest.approx(by["monetary"].mean().tolist())
    assert ((p["churn_rate_ci_lower"] <= p["churn_rate"]) & (p["churn_rate"] <= p["churn_rate_ci_upper"])).all()
    assert p["share"].sum() == pytest.approx(1.0) and p["value_share"].sum() == pytest.approx(1.0)
    assert len(fit.assignments) == len(f)  # every customer accounted for
    assert fit.assignments["customer_id"].tolist() == f["customer_id"].tolist()


def test_names_and_descriptions_read_the_planted_groups(fit_and_truth):
    _, _, fit = fit_and_truth
    p = fit.profiles.set_index("persona")
    assert p["name"].is_unique
    assert "Buy often and spend much" in p.loc[1, "description"]
    assert "bought recently" in p.loc[1, "description"]
    assert "often contact support" in p.loc[2, "description"].lower()
    assert "have not bought for a long time" in p.loc[3, "description"].lower()
    assert p.loc[1, "name"] in ("Frequent big spenders", "High-spending frequent buyers", "Recent big spenders",
                                "Recent frequent buyers", "High-spending recent buyers", "Frequent recent buyers")
    z = fit.centers.pivot(index="persona", columns="feature", values="z")
    assert z.loc[1, "frequency"] > 0.5 and z.loc[3, "recency_days"] > 0.5
    # the means in centers are the profile means
    assert fit.centers.query("feature == 'monetary'")["mean"].tolist() == pytest.approx(p["monetary"].tolist())


def test_outcomes_never_shape_the_personas(fit_and_truth):
    f, _, fit = fit_and_truth
    rng = np.random.default_rng(9)
    shuffled = f.assign(value=rng.permutation(f["value"].to_numpy()), churned=rng.permutation(f["churned"].to_numpy()))
    other = fit_personas(shuffled, seed=0)
    assert adjusted_rand_score(fit.assignments["persona"], other.assignments["persona"]) == pytest.approx(1.0)


def test_same_seed_same_result_and_row_order_does_not_matter(fit_and_truth):
    f, _, fit = fit_and_truth
    again = fit_personas(f, seed=0)
    pd.testing.assert_frame_equal(fit.profiles, again.profiles)
    pd.testing.assert_frame_equal(fit.assignments, again.assignments)
    perm = np.random.default_rng(4).permutation(len(f))
    moved = fit_personas(f.iloc[perm], seed=0)
    a = fit.assignments.set_index("customer_id")["persona"]
    b = moved.assignments.set_index("customer_id")["persona"].reindex(a.index)
    assert (a == b).all()  # labels follow value share, not the order k-means happened to find


def test_dropped_and_filled_columns_are_noted_and_skewed_money_is_logged():
    f, g = planted()
    f = f.assign(nps=np.nan, segment="gold", constant=1.0, discount_share=np.linspace(0, 1, len(f)),
                 spend_365=np.random.default_rng(2).lognormal(5, 1.5, len(f)))
    f.loc[f.index[:30], "monetary"] = np.nan
    before = f.copy()
    fit = fit_personas(f, seed=0)
    pd.testing.assert_frame_equal(f, before)  # the caller's frame is not changed
    notes = fit.notes.set_index("subject")["note"]
    assert "'nps' has no values" in notes["nps"]
    assert "not numeric" in notes["segment"]
    assert "same for every customer" in notes["constant"]
    assert "30 missing values (5.0%) filled with the median" in notes["monetary"]
    scaling = fit.scaling.set_index("feature")
    assert scaling.loc["monetary", "n_filled"] == 30
    assert set(scaling.index) == {"recency_days", "frequency", "monetary", "n_tickets", "discount_share", "spend_365"}
    assert not scaling.loc["discount_share", "log1p"]  # a share stays as it is
    assert scaling.loc["spend_365", "log1p"]  # right-skewed money
    assert "log1p on the skewed non-negative columns spend_365" in notes["scaling"]
    z = (np.log1p(f["spend_365"]) - scaling.loc["spend_365", "center"]) / scaling.loc["spend_365", "scale"]
    assert z.mean() == pytest.approx(0, abs=1e-12) and z.std(ddof=0) == pytest.approx(1)
    assert "nps" not in fit.profiles.columns and "segment" not in fit.profiles.columns


def test_missing_outcomes_give_nan_and_notes():
    f, _ = planted()
    fit = fit_personas(f.drop(columns=["value", "churned"]), seed=0)
    assert fit.k == 3
    assert fit.profiles["value_share"].isna().all() and fit.profiles["churn_rate"].isna().all()
    assert fit.profiles["n_customers"].is_monotonic_decreasing  # ordered by size without value
    assert {"value", "churned"} <= set(fit.notes["subject"])
    part = f.assign(churned=f["churned"].where(np.arange(len(f)) % 2 == 0))  # unknown for half
    p = fit_personas(part, seed=0).profiles
    assert p["churn_rate"].notna().all()


def test_sampled_fit_assigns_everyone():
    f, g = planted(n_per=400)
    fit = fit_personas(f, seed=1, max_fit_rows=300)
    assert fit.n_fit == 300 and fit.n_customers == 1200
    assert len(fit.assignments) == 1200 and fit.assignments["persona"].between(1, fit.k).all()
    assert adjusted_rand_score(g, fit.assignments["persona"]) == pytest.approx(1.0)
    assert "random sample of 300 of the 1,200 customers" in " ".join(fit.notes["note"])


def test_small_unit_gets_a_note_and_empty_frames():
    f, _ = planted(n_per=20)
    fit = fit_personas(f)
    assert fit.k == 0 and fit.assignments.empty and fit.profiles.empty and fit.selection.empty
    assert np.isnan(fit.stability)
    assert list(fit.profiles.columns) == [*PROFILE_COLUMNS, "description"]
    assert fit.notes["note"].tolist() == ["Only 60 customers (personas need at least 200): no personas for this unit."]


def test_too_few_distinct_profiles_limit_k():
    f = pd.DataFrame({"customer_id": range(300), "frequency": [1, 5, 9] * 100})
    fit = fit_personas(f, k_max=6, min_customers=10)
    assert fit.selection["k"].max() == 2 and fit.k == 2
    assert "Only 3 distinct customer profiles" in " ".join(fit.notes["note"])


def test_unique_names_when_two_personas_read_alike():
    parts = [(("frequent", "frequent buyers"),), (), (("frequent", "frequent buyers"),), ()]
    assert _names(parts) == ["Frequent buyers", "Average customers", "Frequent buyers (3)", "Average customers (4)"]


def test_errors_say_what_and_how_to_fix():
    f, _ = planted()
    with pytest.raises(DataError, match=r"features: no 'customer_id' column; columns present: 'recency_days'"):
        fit_personas(f.drop(columns="customer_id"))
    with pytest.raises(DataError, match=r"features: 1 repeated customer_id values \('c0000'\); expected one row"):
        fit_personas(pd.concat([f, f.head(1)]))
    with pytest.raises(DataError, match=r"column 'churned' has 1 values other than 0, 1 or missing \(2.0\)"):
        fit_personas(f.assign(churned=f["churned"].where(f.index != 5, 2.0)))
    with pytest.raises(ConfigError, match=r"The 'k_min' parameter of fit_personas must be an int >= 2. Got 1 instead."):
        fit_personas(f, k_min=1)
    with pytest.raises(ConfigError, match=r"The 'k_max' parameter of fit_personas must be an int >= 4. Got 3"):
        fit_personas(f, k_min=4, k_max=3)
