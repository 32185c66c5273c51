"""Survival analysis: reference values (lifelines, on the real telco data), planted truths of the demo
data, invariances, hand-computed cases, small units, and the rendered report."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import ConfigError, DataError, load_config, load_unit_data
from retention_utils import plotting_survival as svp
from retention_utils import survival as sv
from retention_utils.config import SurvivalSpec
from retention_utils.demo import PLANTED, generate_demo
from retention_utils.lifetimes import lifetimes
from tests.conftest import ROOT, write_unit

REF = json.loads((ROOT / "tests" / "data" / "survival_reference" / "telco_reference.json").read_text())
TELCO = "telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv"
# 28 years back: every date keeps its month and day (the calendar repeats every 28 years, 1901-2099); back, not
# forward, because orders dated after the run date are set aside as future-dated
SHIFT_DAYS = -10227


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    from tests.conftest import REAL

    if not REAL.is_dir():
        pytest.skip(f"real data sets not found at {REAL}")
    raw = pd.read_csv(REAL / TELCO)
    return sv.lifetimes_from_snapshot(raw, duration="tenure", event="Churn", customer_id="customerID")


def _demo_params(base: Path, demo, *, shift_days: int = 0, survival: dict | None = None) -> Path:
    """Write a demo data set (dates optionally shifted) and a params folder for its three units."""
    data = base / "data"
    tables = {}
    for name, col in (("customers", ["signup_date", "churn_date"]), ("orders", ["order_date"]),
                      ("interactions", ["date"]), ("campaigns", ["sent_date"])):
        df = getattr(demo, name).copy()
        for c in col:
            df[c] = df[c] + pd.Timedelta(days=shift_days)
        tables[name] = df
    type(demo)(**{**{k: getattr(demo, k) for k in ("truth_customers", "truth")}, **tables}).write(data)
    params = base / "params"
    params.mkdir(parents=True, exist_ok=True)
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text())
    for spec in defaults["sources"].values():
        spec["path"] = str(data / Path(spec["path"]).name)
    if survival:
        defaults["survival"] = survival
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    for unit in ("retail", "subscriptions", "b2b"):
        shutil.copy(ROOT / "params" / f"{unit}.yaml", params / f"{unit}.yaml")
    return params


PLANTED_SPEC = SurvivalSpec(group_by="plan", covariates=["plan", "channel", "early_complaint", "nps_detractor"],
                            early_days=30)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> sv.SurvivalAnalysis:
    """20,000 demo customers (about 9,000 subscriptions); seed 100 (see planted_coverage.json)."""
    params = _demo_params(tmp_path_factory.mktemp("planted"), generate_demo(n_customers=20_000, seed=100))
    return sv.survival_analysis(load_unit_data(load_config(params, "subscriptions")), spec=PLANTED_SPEC)


# ----------------------------------------------------------------------------- reference: lifelines on telco


def test_km_equals_lifelines_on_telco(telco):
    for key, km in (("all", sv.kaplan_meier(telco)), ("Contract", sv.kaplan_meier(telco, group_by="Contract"))):
        for group in km.groups:
            ref = REF["km"][group]
            c = km.curve[(km.curve["group"] == group) & (km.curve["n_events"] > 0)]
            np.testing.assert_array_equal(c["duration_months"], ref["duration_months"])
            np.testing.assert_allclose(c["survival"], ref["survival"], atol=1e-6, rtol=0)
            np.testing.assert_allclose(c["ci_lower"], ref["ci_lower"], atol=1e-6, rtol=0)
            np.testing.assert_allclose(c["ci_upper"], ref["ci_upper"], atol=1e-6, rtol=0)
            med = km.medians.set_index("group").loc[group, "median_months"]
            assert (np.isnan(med) and np.isinf(ref["median_months"])) or med == ref["median_months"]
    assert sorted(REF["km"]) == ["Month-to-month", "One year", "Two year", "all customers"]


def test_logrank_equals_lifelines_on_telco(telco):
    for col in ("Contract", "InternetService"):
        o = sv.logrank(telco, group_by=col).overall.iloc[0]
        assert o.statistic == pytest.approx(REF["logrank"][col]["statistic"], abs=1e-6)
        assert o.df == REF["logrank"][col]["df"]
        assert o.p_value == pytest.approx(REF["logrank"][col]["p_value"], rel=1e-6, abs=1e-300)
    pw = sv.logrank(telco, group_by="Contract").pairwise
    got = {frozenset((r.group_a, r.group_b)): r for r in pw.itertuples()}
    for ref in REF["logrank"]["Contract_pairwise"]:
        r = got[frozenset((ref["group_a"], ref["group_b"]))]
        assert r.statistic == pytest.approx(ref["statistic"], abs=1e-6)
        assert r.p_value == pytest.approx(ref["p_value"], rel=1e-6, abs=1e-300)
    # Holm by hand: sorted p-values times (m - rank), running maximum, capped at 1
    p = pw["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.minimum(np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))), 1)
    np.testing.assert_allclose(pw["p_value_holm"].to_numpy()[order], holm)


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


def test_rmst_equals_lifelines_on_telco(telco):
    for ref in REF["rmst"]:
        group_by = None if ref["group"] == "all customers" else "Contract"
        got = sv.rmst(telco, horizon_months=ref["horizon_months"], group_by=group_by).by_group.set_index("group")
        assert got.loc[ref["group"], "rmst_months"] == pytest.approx(ref["rmst_months"], abs=1e-6)


# ----------------------------------------------------------------------------- hand-computed cases


def test_rmst_and_variance_by_hand():
    # times 1 (event), 2 (censored), 3 (event), 4 (censored); horizon 3.5
    t = pd.DataFrame({"duration_months": [1.0, 2.0, 3.0, 4.0], "event": [True, False, True, False]})
    r = sv.rmst(t, horizon_months=3.5).by_group.iloc[0]
    # S = 1 on [0,1), 3/4 on [1,3), 3/4 * 1/2 on [3, 3.5]
    assert r.rmst_months == pytest.approx(1 + 0.75 * 2 + 0.375 * 0.5)
    a1, a3 = 0.75 * 2 + 0.375 * 0.5, 0.375 * 0.5  # area from each event time to the horizon
    var = a1 ** 2 * 1 / (4 * 3) + a3 ** 2 * 1 / (2 * 1)
    assert r.std_err == pytest.approx(np.sqrt(var))
    assert not sv.rmst(t, horizon_months=5).by_group["estimable"].iloc[0]  # follow-up shorter than horizon


def test_hazard_by_tenure_equals_naive_loop():
    rng = np.random.default_rng(1)
    t = pd.DataFrame({"duration_months": rng.exponential(6, 500).round(2), "event": rng.random(500) < 0.7})
    h = sv.hazard_by_tenure(t).set_index("tenure_month")
    for k in (1, 2, 5, 9):
        lo, hi = k - 1, k
        at_risk = (t.duration_months >= lo).sum()
        inside = (t.duration_months >= lo) & (t.duration_months < hi)
        d, c = (inside & t.event).sum(), (inside & ~t.event).sum()
        assert (h.loc[k, "n_at_risk"], h.loc[k, "n_events"], h.loc[k, "n_censored"]) == (at_risk, d, c)
        assert h.loc[k, "hazard"] == pytest.approx(d / (at_risk - c / 2))
        assert h.loc[k, "ci_lower"] <= h.loc[k, "hazard"] <= h.loc[k, "ci_upper"]


def test_km_at_risk_and_times_by_hand():
    t = pd.DataFrame({"duration_months": [0.0, 2, 4, 5, 7, 13], "event": [True, False, True, True, False, True]})
    km = sv.kaplan_meier(t, times=(3, 6, 12, 24), risk_times=(0, 3, 6, 12))
    risk = km.at_risk.set_index("duration_months")
    assert risk["n_at_risk"].tolist() == [6, 4, 2, 1]
    assert risk["n_events"].tolist() == [0, 1, 3, 3]
    assert risk["n_censored"].tolist() == [0, 1, 1, 2]
    at = km.at_times.set_index("duration_months")
    s0 = 5 / 6
    assert at.loc[3, "survival"] == pytest.approx(s0)
    assert at.loc[6, "survival"] == pytest.approx(s0 * 3 / 4 * 2 / 3)  # events at 4 (4 at risk), 5 (3 at risk)
    assert at.loc[12, "survival"] == pytest.approx(s0 * 3 / 4 * 2 / 3)
    assert np.isnan(at.loc[24, "survival"]) and not at.loc[24, "estimable"]  # beyond the follow-up
    assert km.curve["duration_months"].iloc[-1] == 13  # runs to the end


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


def test_competing_risks_add_up_to_one_minus_km():
    rng = np.random.default_rng(4)
    n = 300
    ev = rng.random(n) < 0.6
    t = pd.DataFrame({"duration_months": rng.exponential(12, n).round(1), "event": ev,
                      "churn_type": np.where(ev, rng.choice(["voluntary", "involuntary"], n), None),
                      "churn_reason": np.where(ev, "price", None)})
    cr = sv.competing_risks(t)
    inc = cr.incidence.drop_duplicates(["cause", "duration_months"], keep="last")  # 0 twice when churn at 0
    wide = inc.pivot(index="duration_months", columns="cause", values="cumulative_incidence")
    km = sv.kaplan_meier(t).curve
    s = np.array([sv._step_value(km["duration_months"].to_numpy()[1:], km["survival"].to_numpy()[1:], x)
                  for x in wide.index])
    np.testing.assert_allclose(wide.sum(axis=1), 1 - s, atol=1e-10)
    assert (np.diff(wide.to_numpy(), axis=0) >= -1e-12).all()  # incidence never falls
    assert cr.reasons["share"].sum() == pytest.approx(1)
    ci = cr.incidence.dropna()  # the last time, where everyone left churns, has no standard error
    assert len(ci) >= len(cr.incidence) - 2
    assert (ci["ci_lower"] <= ci["cumulative_incidence"] + 1e-12).all()
    assert (ci["cumulative_incidence"] <= ci["ci_upper"] + 1e-12).all()


def test_lifetimes_from_snapshot_errors():
    raw = pd.DataFrame({"tenure": [1, 2, -1], "Churn": ["Yes", "No", "maybe"]})
    with pytest.raises(DataError, match=r"column\(s\) \['months'\] not found; the frame has \['tenure', 'Churn'\]"):
        sv.lifetimes_from_snapshot(raw, duration="months", event="Churn")
    with pytest.raises(DataError, match=r"'tenure' has 1 missing, non-numeric or negative value\(s\) \(rows \[2\]\)"):
        sv.lifetimes_from_snapshot(raw, duration="tenure", event="Churn")
    with pytest.raises(DataError, match=r"'Churn' has 1 value\(s\) that are not a yes/no flag \(e.g. \['maybe'\]\)"):
        sv.lifetimes_from_snapshot(raw.iloc[:2].assign(Churn=["Yes", "maybe"]), duration="tenure", event="Churn")
    out = sv.lifetimes_from_snapshot(raw.iloc[:2], duration="tenure", event="Churn", time_unit="days")
    assert out["duration_months"].tolist() == pytest.approx([1 / 30.4375, 2 / 30.4375])
    assert raw.columns.tolist() == ["tenure", "Churn"]  # caller's frame untouched


# ----------------------------------------------------------------------------- early-life features


CUST = ("customer_id,business_unit,signup_date,churn_date,plan\n"
        "A,shop,2024-01-01,,basic\nB,shop,2024-01-01,2024-01-10,basic\nC,shop,2024-02-01,,gold\n")
ORD = "order_id,customer_id,order_date,amount,discount\n1,A,2024-01-01,10,2\n2,B,2024-01-01,10,0\n3,C,2024-03-15,10,1\n"
INTER = ("customer_id,date,kind,score\n"
         "A,2024-01-05,complaint,\n"      # day 4: early complaint
         "A,2024-01-20,survey,5\n"        # first survey in the window, 5: detractor
         "A,2024-01-25,survey,9\n"        # later survey does not count
         "B,2024-01-12,complaint,\n"      # after B's churn (2024-01-10): not used
         "C,2024-03-15,complaint,\n"      # day 43: outside a 30-day window
         "C,2024-02-10,survey,8\n")       # passive
SRC = {"customers": {"path": "../customers.csv", "attributes": ["plan"]}, "orders": {"path": "../orders.csv"},
       "interactions": {"path": "../interactions.csv"}}


def test_early_features_by_hand(tmp_path):
    params = write_unit(tmp_path, files={"customers.csv": CUST, "orders.csv": ORD, "interactions.csv": INTER},
                        sources=SRC, unit_yaml="report_month: '2024-03'\nchurn:\n  method: explicit\n")
    data = load_unit_data(load_config(params, "shop"))  # the data end on 2024-03-15 (a partial month)
    t = sv.add_early_features(data, lifetimes(data), early_days=30).table.set_index("customer_id").sort_index()
    assert t["early_complaint"].tolist() == [True, False, False]
    assert t["nps_detractor"].tolist() == [True, False, False]
    assert t["discount_user"].tolist() == [True, False, False]  # C's discount is on day 43
    t60 = sv.add_early_features(data, lifetimes(data), early_days=60).table.set_index("customer_id").sort_index()
    assert t60["early_complaint"].tolist() == [True, False, True]


# ----------------------------------------------------------------------------- small units


def test_handful_of_events_gives_a_note_not_a_crash(tmp_path):
    cust = "customer_id,business_unit,signup_date,churn_date,plan\n" + "".join(
        f"K{i},shop,2024-0{1 + i % 3}-01,{'2024-03-20' if i < 3 else ''},{'basic' if i % 2 else 'gold'}\n"
        for i in range(12))
    orders = "order_id,customer_id,order_date,amount\n" + "".join(
        f"{i},K{i},2024-0{1 + i % 3}-01,10\n" for i in range(12))
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv", "attributes": ["plan"]},
                                 "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-03'\nchurn:\n  method: explicit\nsurvival:\n  group_by: plan\n"
                                  "  covariates: [plan, early_complaint]\n")
    a = sv.survival_analysis(load_unit_data(load_config(params, "shop")))
    assert a.too_few_events and a.n_events == 3
    assert a.notes["note"].str.contains("too few events: only 3 churn events among 12 customers").any()
    assert a.cox.status == "too_few_events" and not len(a.logrank.overall) and not len(a.hazard)
    assert "No comparison between groups: too few churn events" in sv.logrank_html(a.logrank).data
    assert a.notes["note"].str.contains("early_complaint.*not available|no interactions table").any()
    assert "Too few events" in sv.headline_html(a).data
    assert svp.plot_forest(a.cox) is None and svp.plot_hazard(a.hazard) is None
    assert svp.plot_km(a.km) is not None
    for f in (sv.km_table_html(a.km), sv.logrank_html(a.logrank), sv.cox_html(a.cox), sv.rmst_html(a.rmst),
              sv.competing_html(a), sv.sensitivity_html(a), sv.hazard_html(a), sv.about_html(a)):
        assert "<" in f.data


def test_unit_whose_customers_all_start_in_the_warm_up_window(tmp_path):
    # both customers first buy within the inactivity window after the data start: all left-truncated
    params = write_unit(tmp_path, files={"customers.csv": "customer_id,business_unit,signup_date\nX1,shop,2025-01-03\n"
                                                          "X2,shop,2025-02-03\n",
                                         "orders.csv": "order_id,customer_id,order_date,amount\n1,X1,2025-01-03,10\n"
                                                       "2,X2,2025-02-03,20\n"},
                        sources={"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2025-02'\nchurn:\n  method: inactivity\n  inactivity_days: 90\n")
    a = sv.survival_analysis(load_unit_data(load_config(params, "shop")))
    # every customer starts inside the warm-up window: they are kept, and the censoring is explained
    assert a.n_customers == 2 and a.n_events == 0 and a.too_few_events
    head = sv.headline_sentences(a)
    assert head[0].startswith("2 customer lives analysed, 0 of which have ended in churn. Every customer was first "
                              "seen in the data's first months (the warm-up window)")
    assert "No customer lifetimes" not in " ".join(head)
    assert svp.plot_km(a.km) is not None


def test_data_derived_text_is_escaped(tmp_path):
    xss = "<script>alert(1)</script>"
    rng = np.random.default_rng(7)
    rows = []
    for i in range(120):
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        churn = start + pd.Timedelta(days=int(rng.integers(20, 600))) if rng.random() < 0.7 else None
        rows.append(f"K{i},shop,{start:%Y-%m-%d},{'' if churn is None else f'{churn:%Y-%m-%d}'},"
                    f"{xss if i % 2 else 'web'},voluntary\n")
    cust = "customer_id,business_unit,signup_date,churn_date,channel,churn_type\n" + "".join(rows)
    orders = "order_id,customer_id,order_date,amount\n" + "".join(f"{i},K{i},2023-01-01,10\n" for i in range(120))
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv", "attributes": ["channel"]},
                                 "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2025-05'\nchurn:\n  method: explicit\nsurvival:\n"
                                  "  group_by: channel\n  covariates: [channel]\n")
    a = sv.survival_analysis(load_unit_data(load_config(params, "shop")))
    assert xss in a.km.groups and len(a.cox.hazard_ratios) == 1
    pages = [sv.headline_html(a), sv.km_table_html(a.km), sv.logrank_html(a.logrank), sv.cox_html(a.cox),
             sv.rmst_html(a.rmst), sv.competing_html(a), sv.about_html(a)]
    assert any("&lt;script&gt;" in p.data for p in pages)
    assert not any("<script" in p.data for p in pages)


# ----------------------------------------------------------------------------- planted truths (demo data)


def test_planted_hazard_ratios_inside_intervals(planted):
    hr = planted.cox.hazard_ratios.set_index("term")
    truth = {f"plan[{k}]": v for k, v in PLANTED.plan_hr.items() if k != "basic"}
    truth |= {f"channel[{k}]": v for k, v in PLANTED.channel_hr.items() if k in ("paid_search", "referral", "partner")}
    truth |= {"early_complaint": PLANTED.early_complaint_hr, "nps_detractor": PLANTED.nps_detractor_hr}
    assert sorted(hr.index) == sorted(truth)
    assert set(hr["reference"][hr["kind"] == "categorical"]) == {"basic", "organic"}  # planted reference levels
    for term, value in truth.items():
        assert hr.loc[term, "ci_lower"] <= value <= hr.loc[term, "ci_upper"], (term, value, hr.loc[term].to_dict())
    assert planted.cox.status == "ok" and planted.cox.fit["landmark_days"].iloc[0] == 30
    assert not planted.cox.ph_check["violation"].all()


def test_planted_renewal_peak_and_churn_causes(planted):
    h = planted.hazard.set_index("tenure_month")["hazard"]
    assert h.loc[12] > 1.5 * h.loc[3:10].median()  # renewal around tenure month 11-12: about twice the risk
    at = planted.competing.at_times
    last = at[at["duration_months"] == 24].set_index("cause")["cumulative_incidence"]
    assert last["involuntary"] / (last["voluntary"] + last["involuntary"]) == pytest.approx(
        PLANTED.involuntary_share, abs=0.03)
    vol = planted.competing.reasons.query("churn_type == 'voluntary'").set_index("churn_reason")["share_of_type"]
    assert vol["price"] == pytest.approx(PLANTED.voluntary_reasons["price"], abs=0.03)
    s = " ".join(sv.headline_sentences(planted))
    assert re.search(r"complaint in their first 30 days churn 1\.[789]x as fast as those without", s)
    assert "'premium' customers stay longest" in s


def test_curves_never_rise_and_intervals_hold(planted):
    for g, c in planted.km.curve.groupby("group"):
        assert (np.diff(c["survival"].to_numpy()) <= 1e-12).all(), g
        assert (c["ci_lower"] <= c["survival"] + 1e-12).all() and (c["survival"] <= c["ci_upper"] + 1e-12).all()
        assert ((c["survival"] >= 0) & (c["survival"] <= 1)).all()
    inc = planted.competing.incidence
    for _, c in inc.groupby("cause"):
        assert (np.diff(c["cumulative_incidence"].to_numpy()) >= -1e-12).all()


# ----------------------------------------------------------------------------- invariance


def test_shifting_all_dates_changes_nothing(tmp_path):
    demo = generate_demo(n_customers=2500, seed=5)
    spec = {"group_by": "channel", "covariates": ["channel", "early_complaint", "nps_detractor", "discount_user"],
            "early_days": 30}
    p0 = _demo_params(tmp_path / "a", demo, survival=spec)
    p1 = _demo_params(tmp_path / "b", demo, shift_days=SHIFT_DAYS, survival=spec)
    for unit in ("subscriptions", "retail"):
        a = sv.survival_analysis(load_unit_data(load_config(p0, unit)))
        b = sv.survival_analysis(load_unit_data(load_config(p1, unit)))
        assert a.month[:4] == "2025" and b.month[:4] == "1997" and a.month[4:] == b.month[4:]
        pd.testing.assert_frame_equal(a.km.curve, b.km.curve)
        pd.testing.assert_frame_equal(a.hazard, b.hazard)
        pd.testing.assert_frame_equal(a.cox.hazard_ratios, b.cox.hazard_ratios)
        pd.testing.assert_frame_equal(a.rmst.by_group, b.rmst.by_group)
        assert sv.headline_sentences(a) == sv.headline_sentences(b)
        if unit == "retail":
            pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)
        else:
            pd.testing.assert_frame_equal(a.competing.incidence, b.competing.incidence)


def test_sensitivity_reuses_the_shared_definition(tmp_path):
    params = _demo_params(tmp_path, generate_demo(n_customers=1500, seed=6))
    data = load_unit_data(load_config(params, "retail"))
    s = sv.inactivity_sensitivity(data).set_index("threshold_days")
    assert list(s.index) == [60, 90, 120, 180] and s["configured"].tolist() == [False, True, False, False]
    life = lifetimes(data)
    assert s.loc[90, "n_customers"] == len(life.table) and s.loc[90, "n_events"] == life.table["event"].sum()
    assert s.loc[90, "n_left_truncated"] == life.n_left_truncated
    assert s["n_left_truncated"].is_monotonic_increasing  # the truncation window grows with the threshold
    with pytest.raises(ConfigError, match="uses churn.method 'explicit'.*no inactivity threshold"):
        sv.inactivity_sensitivity(load_unit_data(load_config(params, "subscriptions")))


# ----------------------------------------------------------------------------- the report


@pytest.mark.slow
def test_survival_notebook_renders_for_small_unit(tmp_path):
    """The smallest demo unit (b2b, a handful of churn events) renders without warnings or tracebacks."""
    from retention_utils.report import run_month

    params = _demo_params(tmp_path, generate_demo(n_customers=600, seed=3),
                          survival={"group_by": "segment", "covariates": ["segment", "early_complaint"]})
    result = run_month(params, tmp_path / "reports", units=["b2b"], notebooks=("survival",),
                       notebooks_dir=ROOT / "notebooks")
    assert [(u.unit, u.status, u.error) for u in result.units] == [("b2b", "ok", "")]
    page = next((tmp_path / "reports").glob("*/b2b/survival.html")).read_text(encoding="utf-8")
    assert "Too few events" in page or "Too few" in page
    for bad in ("Traceback", "Warning:", "DeprecationWarning", "RuntimeWarning"):
        assert bad not in page


# ----------------------------------------------------------------------------- issue 9: reference levels (item 6)


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


# ----------------------------------------------------------------------------- issue 9: snapshot units (item 10)


def _snapshot_unit(tmp_path: Path, frame: pd.DataFrame, survival: dict):
    """A snapshot unit as the contract delivers it (kind, snapshot table, config from a params folder)."""
    import dataclasses
    import datetime as dt

    import ibis

    (tmp_path / "snap.csv").write_text("id,tenure,churned\n1,1,yes\n")
    params = write_unit(tmp_path, files={}, unit="telco", sources={"snapshot": {"path": "../snap.csv"}},
                        unit_yaml=yaml.safe_dump({"report_month": "2025-01", "survival": survival}))
    cfg = load_config(params, "telco")

    @dataclasses.dataclass(frozen=True)
    class Snapshot:
        config: object
        snapshot: object
        kind: str = "snapshot"
        month: dt.date = dt.date(2025, 1, 1)
        month_warning: str | None = None
        month_label: str = "2025-01"

    return Snapshot(config=cfg, snapshot=ibis.memtable(frame))


def test_snapshot_survival_equals_lifelines_on_telco(tmp_path):
    from tests.conftest import REAL

    if not (REAL / TELCO).exists():
        pytest.skip(f"telco data not found at {REAL / TELCO}")
    raw = pd.read_csv(REAL / TELCO)
    covs = REF["cox"]["covariates"]
    frame = pd.DataFrame({"customer_id": raw["customerID"], "tenure_months": raw["tenure"].astype(float),
                          "churned": raw["Churn"].eq("Yes")}).join(raw[covs])
    data = _snapshot_unit(tmp_path, frame, {"group_by": "Contract", "covariates": covs})
    a = sv.snapshot_survival(data)
    assert (a.method, a.n_customers, a.n_events) == ("snapshot", REF["n_customers"], REF["n_events"])
    for group in ("all customers", "Month-to-month", "One year", "Two year"):
        km = a.km_all if group == "all customers" else a.km
        c = km.curve[(km.curve["group"] == group) & (km.curve["n_events"] > 0)]
        np.testing.assert_array_equal(c["duration_months"], REF["km"][group]["duration_months"])
        np.testing.assert_allclose(c["survival"], REF["km"][group]["survival"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(c["ci_lower"], REF["km"][group]["ci_lower"], atol=1e-6, rtol=0)
    assert len(a.km.at_risk) and a.km.at_risk["n_at_risk"].iloc[0] > 0
    o = a.logrank.overall.iloc[0]
    assert o.statistic == pytest.approx(REF["logrank"]["Contract"]["statistic"], abs=1e-6)
    hr = a.cox.hazard_ratios.set_index("term")
    ref = pd.DataFrame(REF["cox"]["terms"]).set_index("term")
    np.testing.assert_allclose(hr.loc[ref.index, "hazard_ratio"], ref["hazard_ratio"], rtol=1e-4)
    rm = a.rmst.by_group.set_index("group")
    for r in REF["rmst"]:
        if r["group"] in rm.index and r["horizon_months"] == 24:
            assert rm.loc[r["group"], "rmst_months"] == pytest.approx(r["rmst_months"], abs=1e-6)
    assert a.sensitivity is None and a.competing is None
    assert "one-row-per-customer table" in sv.sensitivity_html(a).data
    assert "No customer lifetimes" not in sv.headline_html(a).data


def test_snapshot_survival_refuses_an_order_unit(tmp_path):
    data = _snapshot_unit(tmp_path, pd.DataFrame({"customer_id": ["1"], "tenure_months": [1.0], "churned": [True]}),
                          {})
    import dataclasses

    with pytest.raises(ConfigError, match="is not a snapshot unit"):
        sv.snapshot_survival(dataclasses.replace(data, kind="orders"))


# ----------------------------------------------------------------------------- issue 9: warm-up window (item 11)


def test_every_customer_in_the_warm_up_window_gets_a_survival_report(tmp_path):
    """An event log without amounts whose customers all start in the data's first weeks (like the grocery log)."""
    rows = ["cust,date"]
    # six customers, all first seen in January 2024 (the first 90 days of the data): A, B, C churn (a gap of more
    # than 90 days after their last purchase), D, E, F buy until the end (censored)
    for cust, days in {"A": ["2024-01-02", "2024-02-01"], "B": ["2024-01-05"], "C": ["2024-01-10", "2024-03-10"],
                       "D": ["2024-01-03", "2024-03-20", "2024-06-10", "2024-09-01", "2024-11-20"],
                       "E": ["2024-01-04", "2024-03-30", "2024-06-20", "2024-09-10", "2024-12-01"],
                       "F": ["2024-01-06", "2024-04-01", "2024-06-25", "2024-09-15", "2024-12-10"]}.items():
        rows += [f"{cust},{d}" for d in days]
    params = write_unit(tmp_path, files={"events.csv": "\n".join(rows) + "\n"},
                        sources={"orders": {"path": "../events.csv",
                                            "columns": {"customer_id": "cust", "order_date": "date"}}},
                        unit_yaml="report_month: '2024-12'\nchurn: {method: inactivity, inactivity_days: 90, "
                                  "dormant_days: 45}\n")
    data = load_unit_data(load_config(params, "shop"))
    assert getattr(data, "has_amounts", True) is False
    life = lifetimes(data)
    assert (life.n_left_truncated, life.warm_up_kept) == (0, 6)
    t = life.table.set_index("customer_id").sort_index()
    assert t["event"].tolist() == [True, True, True, False, False, False]
    # A: 2024-01-02 -> 2024-02-01 (30 days); B: one purchase (0 days); C: 2024-01-10 -> 2024-03-10 (60 days)
    assert t.loc[["A", "B", "C"], "duration_days"].tolist() == [30, 0, 60]
    # D, E, F are censored at their latest purchase: 322, 332 and 339 days after their first
    assert t.loc[["D", "E", "F"], "duration_days"].tolist() == [322, 332, 339]
    a = sv.survival_analysis(data)
    text = " ".join(sv.headline_sentences(a))
    assert "No customer lifetimes" not in text
    assert "6 customer lives analysed, 3 of which have ended in churn" in text
    assert "warm-up window" in text and "counted from the first purchase in the data" in text
    assert "warm-up window" in sv.about_html(a).data


def test_grocery_event_log_gets_a_survival_report(real_data):
    path = real_data / "grocery_elog" / "groceryElog.csv"
    if not path.exists():
        pytest.skip(f"grocery event log not found at {path}")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        params = write_unit(Path(tmp), files={}, sources={"orders": {
            "path": str(path), "columns": {"customer_id": "cust", "order_date": "date"}}},
            unit_yaml="churn: {method: inactivity, inactivity_days: 90, dormant_days: 45}\n")
        data = load_unit_data(load_config(params, "shop"))
        a = sv.survival_analysis(data)
    assert a.life.warm_up_kept == a.n_customers > 1000
    assert a.n_events > 0 and "No customer lifetimes" not in " ".join(sv.headline_sentences(a))
