"""Cox model (retention_utils.survival.cox): lifelines on the telco data, rare levels, the ridge fallback,
reference levels from params."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from retention_utils import ConfigError
from retention_utils import survival as sv
from tests.conftest import REAL, ROOT

REF = json.loads((ROOT / "tests" / "data" / "survival_reference" / "telco_reference.json").read_text())
TELCO = "telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv"


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    """The IBM telco sample as lifetimes (reference values: tests/data/survival_reference/telco_reference.py)."""
    if not (REAL / TELCO).exists():
        pytest.skip(f"telco data not found at {REAL / TELCO}")
    raw = pd.read_csv(REAL / TELCO)
    return sv.lifetimes_from_snapshot(raw, duration="tenure", event="Churn", customer_id="customerID")


def test_cox_efron_equals_lifelines_on_telco(telco):
    cox = sv.cox_hazard_ratios(telco, covariates=REF["cox"]["covariates"])
    assert cox.status == "ok"
    hr = cox.hazard_ratios.set_index("term")
    ref = pd.DataFrame(REF["cox"]["terms"]).set_index("term")
    assert sorted(hr.index) == sorted(ref.index)
    for col in ("hazard_ratio", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(hr.loc[ref.index, col], ref[col], rtol=1e-4)
    np.testing.assert_allclose(hr.loc[ref.index, "std_err"], ref["std_err"], rtol=1e-4)
    np.testing.assert_allclose(hr.loc[ref.index, "p_value"], ref["p_value"], rtol=1e-3)
    assert cox.fit["log_likelihood"].iloc[0] == pytest.approx(REF["cox"]["log_likelihood"], abs=1e-6)
    refs = hr.groupby("covariate")["reference"].first()
    for cov, level in REF["cox"]["reference_levels"].items():
        assert refs[cov] == level  # the most frequent level, named
    assert hr.loc["SeniorCitizen", "kind"] == "binary" and hr.loc["MonthlyCharges", "kind"] == "numeric"


def test_ph_check_agrees_with_lifelines_on_telco(telco):
    """Same flags as lifelines' Grambsch-Therneau test; statistics close (statsmodels' Schoenfeld residuals
    weight tied times like Breslow, lifelines like Efron; telco has 72 distinct times, so they differ a little)."""
    ph = sv.cox_hazard_ratios(telco, covariates=REF["cox"]["covariates"]).ph_check.set_index("term")
    ref = pd.DataFrame(REF["ph_test_km"]).set_index("term")
    assert (ph.loc[ref.index, "violation"] == (ref["p_value"] < 0.05)).all()
    np.testing.assert_allclose(ph.loc[ref.index, "statistic"], ref["statistic"], rtol=0.25, atol=0.1)
    flagged = ph[ph["violation"]]
    assert flagged["suggestion"].str.contains("stratify by Contract").any()
    assert flagged["suggestion"].str.contains("split follow-up time").all()


def test_rare_levels_merged_and_unknown_covariate_named():
    rng = np.random.default_rng(2)
    n = 400
    t = pd.DataFrame({"duration_months": rng.exponential(10, n), "event": rng.random(n) < 0.8,
                      "plan": rng.choice(["basic", "gold"], n),
                      "channel": ["web"] * 380 + ["fax"] * 12 + ["telex"] * 8})
    cox = sv.cox_hazard_ratios(t, covariates=["plan", "channel"], min_level_customers=30)
    assert "channel" not in set(cox.hazard_ratios["covariate"])
    assert cox.notes["note"].str.contains("too rare to compare even when merged").any()
    assert cox.notes["note"].str.contains("20 customers left out").any()
    km = sv.kaplan_meier(t.assign(channel=["web"] * 340 + ["fax"] * 30 + ["telex"] * 30), group_by="channel",
                         min_customers=50)
    assert km.groups == ["web", "other (rare)"]
    assert km.notes["note"].str.contains("merged into 'other \\(rare\\)'").any()
    with pytest.raises(ConfigError,
                       match=r"survival.covariates: 'planx' is neither .* available: \['plan', 'channel'\]"):
        sv.cox_hazard_ratios(t, covariates=["planx"])


def test_non_converging_cox_falls_back_to_ridge():
    rng = np.random.default_rng(3)
    n = 600
    vip = np.r_[np.ones(100), np.zeros(n - 100)]
    event = (rng.random(n) < 0.7) & (vip == 0)  # no VIP ever churns: the ratio runs to zero
    t = pd.DataFrame({"duration_months": rng.exponential(8, n), "event": event, "vip": vip.astype(bool),
                      "plan": rng.choice(["a", "b"], n)})
    cox = sv.cox_hazard_ratios(t, covariates=["vip", "plan"])
    assert cox.status == "penalized"
    assert "ridge-penalized" in cox.explanation and cox.fit["penalty"].iloc[0] == sv.RIDGE_PENALTY
    hr = cox.hazard_ratios.set_index("term")
    assert np.isfinite(hr.to_numpy(dtype=object)[:, 5:].astype(float)).all()
    assert hr.loc["vip", "hazard_ratio"] < 0.2 and hr.loc["vip", "ci_upper"] < 1
    assert cox.notes["subject"].eq("fallback").any()


def _two_plans() -> pd.DataFrame:
    """40 customers on plan A (churn fast), 60 on plan B (churn slowly); a few censored."""
    rng = np.random.default_rng(6)
    plan = np.array(["A"] * 40 + ["B"] * 60)
    months = np.where(plan == "A", rng.exponential(6, 100), rng.exponential(12, 100)).round(1) + 0.1
    return pd.DataFrame({"duration_months": months, "event": rng.random(100) < 0.85, "plan": plan})


def test_reference_level_from_params_inverts_the_hazard_ratio():
    t = _two_plans()
    default = sv.cox_hazard_ratios(t, covariates=["plan"], min_level_customers=1).hazard_ratios.iloc[0]
    assert (default.level, default.reference) == ("A", "B")  # default: the most frequent level (B) is the reference
    ref_a = sv.cox_hazard_ratios(t, covariates=["plan"], min_level_customers=1,
                                 reference_levels={"plan": "A"}).hazard_ratios.iloc[0]
    assert (ref_a.term, ref_a.level, ref_a.reference) == ("plan[B]", "B", "A")
    # the same model with the dummy reversed: HR(B vs A) = 1 / HR(A vs B), intervals swapped and inverted
    assert ref_a.hazard_ratio == pytest.approx(1 / default.hazard_ratio, rel=1e-9)
    assert ref_a.ci_lower == pytest.approx(1 / default.ci_upper, rel=1e-9)
    assert ref_a.ci_upper == pytest.approx(1 / default.ci_lower, rel=1e-9)
    assert ref_a.p_value == pytest.approx(default.p_value, rel=1e-9)
    assert default.hazard_ratio > 1  # plan A churns faster, as planted
    # explicit B equals the default
    ref_b = sv.cox_hazard_ratios(t, covariates=["plan"], min_level_customers=1,
                                 reference_levels={"plan": "B"}).hazard_ratios.iloc[0]
    assert ref_b.hazard_ratio == pytest.approx(default.hazard_ratio, rel=1e-12)


def test_reference_level_not_present_names_the_key_and_the_levels():
    t = _two_plans()
    with pytest.raises(ConfigError, match=r"survival\.reference_levels: the reference level 'C' of covariate 'plan' "
                                          r"is not present .* levels present: 'B', 'A'"):
        sv.cox_hazard_ratios(t, covariates=["plan"], min_level_customers=1, reference_levels={"plan": "C"})
    with pytest.raises(ConfigError, match=r"survival\.reference_levels: \['tier'\] is not among the Cox covariates"):
        sv.cox_hazard_ratios(t, covariates=["plan"], min_level_customers=1, reference_levels={"tier": "x"})
