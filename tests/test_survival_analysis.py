"""The survival analysis of a unit (retention_utils.survival.analysis): the contract (summary rows, display),
planted truths of the demo data, invariances, small units, snapshot units and the rendered report."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import ConfigError, load_config, load_unit_data
from retention_utils import survival as sv
from retention_utils.config import SurvivalSpec
from retention_utils.demo import PLANTED, generate_demo
from retention_utils.display import survival as ds
from retention_utils.plots import survival as svp
from retention_utils.results import SUMMARY_COLUMNS
from retention_utils.survival import lifetimes
from tests.conftest import REAL, ROOT, write_unit

# 28 years back: every date keeps its month and day (the calendar repeats every 28 years, 1901-2099); back, not
# forward, because orders dated after the run date are set aside as future-dated
SHIFT_DAYS = -10227


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
    """20,000 demo customers (about 9,000 subscriptions); seed 100 (see planted_coverage.json).

    Not the shared 3,000-customer demo: the planted hazard ratios need this size to fall inside their
    intervals (tests/data/survival_reference/planted_coverage.py checked the coverage at 20,000).
    Without campaign effects: the demo plants a campaign effect that differs by risk tier (issue 14), and a
    Cox model without the campaign contacts then sees plan and channel ratios shifted by a few percent
    (the medium-risk tier, mostly organic and standard, gets the strongest effect); the covariates'
    planted ratios are checked here, the campaign's in tests/test_campaigns_analysis.py.
    """
    no_campaign = dataclasses.replace(PLANTED, campaign_hr_by_risk={"low": 1.0, "medium": 1.0, "high": 1.0})
    params = _demo_params(tmp_path_factory.mktemp("planted"),
                          generate_demo(n_customers=20_000, seed=100, planted=no_campaign))
    return sv.survival_analysis(load_unit_data(load_config(params, "subscriptions")), spec=PLANTED_SPEC)


# ----------------------------------------------------------------------------- the contract


@pytest.fixture(scope="module")
def demo_survival(demo_units) -> dict:
    """The survival analysis of each shared demo unit (3,000 customers)."""
    return {u: sv.survival_analysis(d) for u, d in demo_units.items()}


def test_spec_defaults_to_the_units_params_and_can_be_passed(demo_units, demo_survival):
    a = demo_survival["subscriptions"]
    assert a.spec == demo_units["subscriptions"].config.survival and a.km.group_by == "plan"
    b = sv.survival_analysis(demo_units["subscriptions"], SurvivalSpec(group_by="channel", covariates=["plan"]))
    assert b.km.group_by == "channel" and set(b.cox.hazard_ratios["covariate"]) == {"plan"}
    pd.testing.assert_frame_equal(a.km_all.curve, b.km_all.curve)  # the lifetimes do not depend on the spec


def test_summary_frame_repeats_the_results_numbers(demo_survival):
    for unit, a in demo_survival.items():
        s = a.summary_frame()
        assert list(s.columns) == list(SUMMARY_COLUMNS) and (s["analysis"] == "survival").all()
        assert s["metric"].is_unique
        row = s.set_index("metric")
        assert row.loc["n_customers", "value"] == a.n_customers and row.loc["n_churn_events", "value"] == a.n_events
        assert row.loc["n_customers", "label"] == "Customer lives followed"
        # issue 12: no row with a missing value where a number should be (the index page printed "n/a")
        assert s.loc[s["metric"] != "headline", "value"].notna().all(), unit
        if a.too_few_events:  # the estimates are left out, as the headline says
            assert list(s["metric"]) == ["headline", "n_customers", "n_churn_events"]
            continue
        med = a.km_all.medians.iloc[0]
        assert row.loc["median_lifetime_months", "unit"] == "months"
        np.testing.assert_equal(row.loc["median_lifetime_months", ["value", "ci_lower", "ci_upper"]].to_numpy(float),
                                [med.median_months, med.ci_lower, med.ci_upper])
        at = a.km_all.at_times.set_index("duration_months").loc[12]
        assert row.loc["survival_12_months", "unit"] == "share"
        assert row.loc["survival_12_months", "label"] == "Still customers after 12 months"  # the vocabulary's name
        np.testing.assert_equal(row.loc["survival_12_months", ["value", "ci_lower", "ci_upper"]].to_numpy(float),
                                [at.survival, at.ci_lower, at.ci_upper])
        whole = sv.rmst(a.life.table, horizon_months=a.spec.horizon_months).by_group.iloc[0]
        assert row.loc["rmst_months", "value"] == whole.rmst_months
        assert row.loc["rmst_months", "ci_lower"] < whole.rmst_months < row.loc["rmst_months", "ci_upper"]
        assert row.loc["logrank_p_value", "unit"] == "p-value"
        assert row.loc["logrank_p_value", "value"] == a.logrank.overall["p_value"].iloc[0]
        assert s["higher_is_better"].isin([True]).sum() == 3, unit  # median, 12-month share, average months
    assert [u for u, a in demo_survival.items() if a.too_few_events] == ["b2b"]  # both cases are tested
    sub = demo_survival["subscriptions"].summary_frame().set_index("metric")
    hr = demo_survival["subscriptions"].cox.hazard_ratios
    sig = hr[(hr["p_value"] < 0.05) & (hr["kind"] != "numeric")]
    top = sig.loc[np.log(sig["hazard_ratio"]).abs().idxmax()]
    assert top.covariate == "plan"  # the 3,000-customer draw: premium (planted 0.6) beats complaints (planted 1.8)
    assert sub.loc["cox_strongest_hazard_ratio", "value"] == top.hazard_ratio
    assert sub.loc["cox_strongest_hazard_ratio", "label"] == ("How many times as fast customers with plan 'premium' "
                                                              "leave as those with 'basic'")
    assert sub.loc["cox_strongest_hazard_ratio", "unit"] == "ratio"
    assert sub.loc["cox_strongest_hazard_ratio", "ci_lower"] <= top.hazard_ratio <= sub.loc[
        "cox_strongest_hazard_ratio", "ci_upper"]


def test_summary_frame_has_one_headline_sentence(demo_survival):
    """Issue 12: one plain sentence per analysis for the unit's executive summary (what is missing, if so)."""
    heads = {}
    for unit, a in demo_survival.items():
        s = a.summary_frame()
        h = s[s["metric"] == "headline"]
        assert len(h) == 1 and h["unit"].iloc[0] == "sentence" and np.isnan(h["value"].iloc[0])
        heads[unit] = h["label"].iloc[0]
    assert heads["subscriptions"] == ("62% of customers are still customers after 12 months; customers with plan "
                                      "'premium' leave 48% more slowly than those with 'basic'.")
    assert heads["retail"] == ("21% of customers are still customers after 12 months; the risk of leaving peaks in "
                               "month 1 of the customer life (35% of the customers starting it leave during it).")
    assert heads["b2b"] == ("How long customers stay cannot be measured yet: 4 churn events so far (80 customer "
                            "lives followed), at least 10 needed.")
    for text in heads.values():
        for word in ("hazard", "Kaplan", "log-rank", "restricted mean", "n/a", "nan"):
            assert word not in text


def test_result_shows_every_section(demo_survival):
    a = demo_survival["retail"]
    page = a._repr_html_()
    for heading in ("How long customers stay", "When churn risk peaks", "How much the churn definition matters",
                    "About this analysis"):
        assert f"<h3>{heading}</h3>" in page
    assert ds.headline_sentences(a)[0] in page and "style=" not in page
    assert a.km._repr_html_() == ds.km_table_html(a).data == ds.km_table_html(a.km).data
    assert a.cox._repr_html_() == ds.cox_html(a).data and a.rmst._repr_html_() == ds.rmst_html(a).data
    assert a.logrank._repr_html_() == ds.logrank_html(a.logrank).data
    comp = demo_survival["subscriptions"].competing
    assert "Churn reasons" in comp._repr_html_()


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
    assert "No comparison between groups: too few churn events" in ds.logrank_html(a.logrank).data
    assert a.notes["note"].str.contains("early_complaint.*not available|no interactions table").any()
    # the small-sample rule: 12 customer lives, fewer than min_customers (30): one sentence, no estimate
    assert ds.headline_sentences(a)[1] == ("Not shown: an estimate of how long customers stay needs at least 30 "
                                           "customer lives; there are 12 (18 more needed).")
    assert a.headline() == ("How long customers stay cannot be measured yet: 12 customer lives followed, at least 30 "
                            "customer lives needed.")
    # one name, one number: the shortfall counts "customer lives", never "30 customer lives followed"
    page = re.sub(r"<[^>]+>", " ", ds.result_html(a).data)
    assert set(re.findall(r"([\d,]+) customer lives followed", page)) == {"12"}
    assert ds.logrank_html(a).data == "<p>Not shown: too few customer lives so far (see above).</p>"
    assert ds.cox_html(a).data == ("<p class='rk-shortfall'>Not shown: a measure of what changes the churn risk "
                                   "needs at least 10 churn events; there are 3 among the customers it would compare "
                                   "(7 more needed).</p>")
    assert not svp.has_chart(a, "km") and not svp.has_chart(a, "hazard") and not svp.has_chart(a, "cox")
    _, (left, right) = plt.subplots(1, 2)
    ax = svp.plot_forest(a.cox, ax=left)  # nothing to draw: an empty panel that says why
    assert not ax.collections and ax.texts[0].get_text().startswith("Too few events")
    ax = svp.plot_hazard(a.hazard, ax=right)
    assert not ax.patches and not ax.lines and "too few churn events" in ax.texts[0].get_text()
    assert svp.plot_km(a.km) is not None
    for f in (ds.km_table_html(a.km), ds.logrank_html(a.logrank), ds.cox_html(a.cox), ds.rmst_html(a.rmst),
              ds.competing_html(a), ds.sensitivity_html(a), ds.about_html(a)):
        assert "<" in f.data
    # the sections of the lifetimes say nothing more: the sentence at the top of the section says it once
    assert ds.km_table_html(a).data == ""
    assert ds.hazard_html(a).data == ds.rmst_html(a).data == ds.logrank_html(a).data
    assert "<p class='rk-shortfall'>Not shown: an estimate of how long" in ds.lifetimes_html(a).data


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
    head = ds.headline_sentences(a)
    assert head[0].startswith("2 customer lives followed, 0 of which have ended in churn. Every customer was first "
                              "seen in the data's first months (the warm-up window)")
    assert "No customer lifetimes" not in " ".join(head)
    assert svp.plot_km(a.km) is not None


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
    s = " ".join(ds.headline_sentences(planted))
    assert re.search(r"complaint in their first 30 days leave 1\.[789] times as fast as those without", s)
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
    """Its own demo (not the shared one): the same tables are written twice, once with every date shifted."""
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
        assert ds.headline_sentences(a) == ds.headline_sentences(b)
        if unit == "retail":
            pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)
        else:
            pd.testing.assert_frame_equal(a.competing.incidence, b.competing.incidence)


# ----------------------------------------------------------------------------- the report


@pytest.mark.slow
def test_survival_notebook_renders_for_small_unit(tmp_path):
    """The smallest demo unit (b2b, a handful of churn events) renders without warnings or tracebacks.

    Its own 600-customer demo, not the shared one: the b2b unit must have too few churn events.
    """
    from retention_utils.report import run_month

    params = _demo_params(tmp_path, generate_demo(n_customers=600, seed=3),
                          survival={"group_by": "segment", "covariates": ["segment", "early_complaint"]})
    result = run_month(params, tmp_path / "reports", units=["b2b"], notebooks=("survival",),
                       notebooks_dir=ROOT / "notebooks")
    assert [(u.unit, u.status, u.error) for u in result.units] == [("b2b", "ok", "")]
    page = next((tmp_path / "reports").glob("*/b2b/survival.html")).read_text(encoding="utf-8")
    assert "Not shown: an estimate of how long customers stay needs at least" in page
    text = re.sub(r"<img[^>]*>", "", page)  # base64 image data may hold any three letters
    for placeholder in ("n/a", "nan%", "Median not reached", ">None<"):
        assert placeholder not in text
    for bad in ("Traceback", "Warning:", "DeprecationWarning", "RuntimeWarning"):
        assert bad not in page


# ----------------------------------------------------------------------------- snapshot units


REF = json.loads((ROOT / "tests" / "data" / "survival_reference" / "telco_reference.json").read_text())
TELCO = "telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv"



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
    assert "one-row-per-customer table" in ds.sensitivity_html(a).data
    assert "No customer lifetimes" not in ds.headline_html(a).data


def test_snapshot_survival_refuses_an_order_unit(tmp_path):
    data = _snapshot_unit(tmp_path, pd.DataFrame({"customer_id": ["1"], "tenure_months": [1.0], "churned": [True]}),
                          {})
    import dataclasses

    with pytest.raises(ConfigError, match="is not a snapshot unit"):
        sv.snapshot_survival(dataclasses.replace(data, kind="orders"))


# ----------------------------------------------------------------------------- warm-up window


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
    text = " ".join(ds.headline_sentences(a))
    assert "No customer lifetimes" not in text
    assert "6 customer lives followed, 3 of which have ended in churn" in text
    assert "warm-up window" in text and "counted from the first purchase in the data" in text
    assert "warm-up window" in ds.about_html(a).data


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
    assert a.n_events > 0 and "No customer lifetimes" not in " ".join(ds.headline_sentences(a))
