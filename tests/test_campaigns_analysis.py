"""The campaign report's analysis: the contact query by hand, and the demo's planted campaign truths.

Planted truths (``retention_utils.demo.PLANTED``): retention contacts RET-YYYY-MM with an 80/20 split and a
hazard ratio by planted risk tier (low 1.0, medium 0.5, high 0.85) over the 90 days from sending;
RET-2025-03 with a broken randomisation (medium and high risk all treated); LOYALTY-2025-06 without a
control group; WINBACK-* for lapsed retail customers (a tripled purchase rate for two months).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import demo, load_config, load_unit_data
from retention_utils.campaigns.analysis import campaign_analysis
from retention_utils.campaigns.contacts import campaign_contacts
from retention_utils.campaigns.effects import hazard_ratio, proportion_effect
from retention_utils.engine.campaigns import contact_outcomes

# --- the contact query on a hand-made table --------------------------------------------------------------

ORDERS = pd.DataFrame({
    "order_id": [str(i) for i in range(9)],
    "customer_id": ["A", "A", "A", "A", "B", "B", "C", "C", "C"],
    "order_date": pd.to_datetime(["2024-01-10", "2024-02-20", "2024-03-05", "2024-03-20",
                                  "2023-10-01", "2024-04-15", "2024-02-25", "2024-02-26", "2024-06-01"]).date,
    "amount": [10.0, 20.0, 30.0, 40.0, 5.0, 50.0, 7.0, -7.0, 9.0],
})
CUSTOMERS = pd.DataFrame({"customer_id": ["A", "B", "C"],
                          "signup_date": pd.to_datetime(["2024-01-10", "2023-10-01", "2024-02-25"]).date})
CONTACTS = pd.DataFrame({"customer_id": ["A", "B", "C"], "campaign_id": ["x", "x", "x"],
                         "sent_date": pd.to_datetime(["2024-03-01"] * 3).date,
                         "group": ["treatment", "control", "treatment"], "cost": [1.0, 0.0, 1.0]})


def _tables():
    con = ibis.duckdb.connect()
    return (con.create_table("o", ORDERS), con.create_table("c", CUSTOMERS), con.create_table("k", CONTACTS))


def test_contact_outcomes_by_hand():
    """Send day t = 2024-03-01, inactivity 90 days, windows 30/60, data end 2024-04-29.

    A: purchases 01-10, 02-20 before t; 03-05 (day 4) and 03-20 (day 19) after: 2 purchases, 70 in 30 days;
       recency 10 days; revenue_pre (last 90 days = from 2023-12-02) 30; at risk; next purchase after 4 days;
       churn day of 03-20 = 03-20 + 91 = 06-19 > end: no churn known, censored at end + 1 - t = 60 days.
    B: last purchase 2023-10-01, churn day 2023-12-31 < t: lapsed (not at risk); bought 04-15 (day 45).
    C: 02-25 purchase and 02-26 refund: 1 purchase before t, revenue_pre 0; no purchase within 60 days
       (06-01 is after the end and not read); churn day 02-25 + 91 = 05-26 > end: censored.
    """
    o, c, k = _tables()
    out = contact_outcomes(o, c, k, end=dt.date(2024, 4, 29), method="inactivity", inactivity_days=90,
                           windows=(30, 60), horizon_days=60).to_pandas().set_index("customer_id")
    a, b, cc = out.loc["A"], out.loc["B"], out.loc["C"]
    assert (a.recency_days, a.n_purchases_before, a.revenue_pre, a.purchases_pre) == (10, 2, 30.0, 2)
    assert (a.purchases_30, a.revenue_30, a.purchased_30, a.at_risk) == (2, 70.0, True, True)
    assert (a.purchase_days, a.purchase_event, a.churn_days, a.churn_event) == (4, True, 60, False)
    assert a.tenure_days == 51 and bool(a.observed_30) and bool(a.observed_60)
    assert not b.at_risk and b.purchase_days == 45 and b.purchased_60 and not b.purchased_30
    assert cc.revenue_pre == 0.0 and cc.n_purchases_before == 1 and not cc.purchased_60
    assert cc.at_risk and not cc.churn_event and cc.churn_days == 60
    late = contact_outcomes(o, c, k, end=dt.date(2024, 3, 20), method="inactivity", inactivity_days=90,
                            windows=(30,), horizon_days=60).to_pandas().set_index("customer_id")
    assert not late.loc["A", "observed_30"] and not late.loc["A", "observed_h"]  # unknown, never zero
    assert late.loc["A", "purchases_30"] == 2  # what is known so far (03-05 and 03-20)


# --- the planted demo ----------------------------------------------------------------------------------

def _unit(base, unit: str, n: int, seed: int, planted: demo.PlantedTruth = demo.PLANTED):
    demo.generate_demo(n_customers=n, seed=seed, planted=planted).write(base / "data")
    params = base / "params"
    params.mkdir(parents=True, exist_ok=True)
    src = {name: {"path": str(base / "data" / f"{name}.csv")} for name in ("orders", "interactions", "campaigns")}
    src["customers"] = {"path": str(base / "data" / "customers.csv"), "attributes": ["channel", "region", "plan"]}
    (params / "defaults.yaml").write_text(yaml.safe_dump({"sources": src, "campaigns": {
        "treatment_share": {"RET-*": 0.8, "WINBACK-*": 0.5}, "holdout_campaigns": 6}}))
    churn = {"method": "explicit"} if unit == "subscriptions" else {"method": "inactivity", "inactivity_days": 90}
    (params / f"{unit}.yaml").write_text(yaml.safe_dump({
        "business_unit_value": unit, "churn": churn, "drivers": {"attributes": ["plan", "channel", "region"]}}))
    return load_unit_data(load_config(params, unit))


#: A busier retention programme than the demo's (30% of the customers contacted a month, the medium tier's
#: hazard ratio 0.3): the uplift model needs tens of thousands of contacts to find whom a contact helps.
BUSY = dataclasses.replace(demo.PLANTED, campaign_target_share=0.3,
                           campaign_hr_by_risk={"low": 1.0, "medium": 0.3, "high": 0.85})


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    data = _unit(tmp_path_factory.mktemp("camp_subs"), "subscriptions", 40_000, 7, BUSY)
    return data, campaign_analysis(data)


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    data = _unit(tmp_path_factory.mktemp("camp_retail"), "retail", 20_000, 7)
    return data, campaign_analysis(data)


def test_broken_and_uncontrolled_campaigns_are_flagged(subs, retail):
    _, r = subs
    c = r.campaigns.set_index("campaign_id")
    assert c.loc["RET-2025-03", "status"] == "broken" and c.loc["RET-2025-03", "srm_flagged"]
    assert c.loc["RET-2025-03", "srm_p"] < 1e-3
    fair = c[c.index.str.startswith("RET-") & (c.index != "RET-2025-03")]
    assert (fair["srm_p"] > 1e-3).all() and not fair["srm_flagged"].any()  # balanced campaigns are not flagged
    assert "RET-2025-03" not in set(r.effects["campaign_id"])  # no numbers for a broken campaign
    _, rr = retail
    lo = rr.campaigns.set_index("campaign_id").loc["LOYALTY-2025-06"]
    assert lo["status"] == "no_control" and lo["kind"] == "no_control" and np.isnan(lo["customers_saved"])
    assert "cannot be attributed" in lo["verdict"] and not any(ch.isdigit() for ch in lo["verdict"].split(":", 1)[1])
    assert "LOYALTY-2025-06" not in set(rr.effects["campaign_id"])
    assert any("LOYALTY-2025-06" in s for s in rr.headline)


def test_pooled_campaigns_save_customers(subs):
    """The planted effect (hazard ratio 1.0 / 0.3 / 0.85 by tier in this busier programme) saves customers: the
    pooled interval is above zero."""
    _, r = subs
    p = r.pooled().set_index("metric")
    assert p.loc["customers_saved", "ci_lower"] > 0
    m = r.measured()
    assert len(m) >= 20 and (m["kind"] == "retention").all()
    assert m["customers_saved"].sum() == pytest.approx(p.loc["customers_saved", "value"])
    s = r.summary_frame().set_index("metric")
    assert s.loc["customers_saved", "value"] == pytest.approx(p.loc["customers_saved", "value"])


def test_winback_reactivates_lapsed_customers(retail):
    _, r = retail
    w = r.winback[r.winback["metric"] == "reactivated_30"]
    assert set(w["campaign_id"]) == {"WINBACK-2024-10", "WINBACK-2025-04", "WINBACK-2025-08"}
    assert (w["ci_lower"] > 0).all()  # a tripled purchase rate for two months among those not gone
    curves = r.winback_curves
    end = curves[curves["day"] == 30].pivot_table(index="campaign_id", columns="group", values="reactivated")
    assert (end["treatment"] > end["control"]).all()


def test_uplift_targeting_on_the_demo(subs):
    """Subscriptions: the uplift model beats random on the check campaigns and the list beats risk-only."""
    _, r = subs
    t = r.targeting
    assert t.status == "recommended", t.sentence
    assert t.qini_area > 0 and t.qini_p < 0.05
    assert len(t.recommended) <= t.budget_contacts and "on the check campaigns" in t.sentence
    c = t.comparison.set_index(["share_targeted", "policy"])
    assert c.loc[(0.2, "uplift"), "saved"] > c.loc[(0.2, "random"), "saved"]  # observed, out of time
    assert t.recommended["uplift"].is_monotonic_decreasing


def test_no_campaigns_renders_a_sentence(tmp_path):
    data = _unit(tmp_path, "b2b", 1_000, 3)  # the demo's b2b accounts are never contacted
    r = campaign_analysis(data)
    assert r.campaigns.empty and "nothing to measure" in r.notes["note"].iloc[0]
    assert r.summary_frame().empty and r.headline == ()


def _planted_contacts(tmp_path, seed: int) -> pd.DataFrame:
    data = _unit(tmp_path / str(seed), "subscriptions", 12_000, seed)
    cd = campaign_contacts(data)
    truth = pd.read_csv(tmp_path / str(seed) / "data" / "truth_customers.csv", usecols=["customer_id", "risk_tier"])
    c = cd.contacts.merge(truth, on="customer_id")
    keep = (c["campaign_id"].str.startswith("RET-") & (c["campaign_id"] != "RET-2025-03") & c["at_risk"]
            & c["observed_h"])
    return c[keep]


def test_planted_hazard_ratios_recovered_over_20_seeds(tmp_path):
    """Cox hazard ratio, treated vs control, per planted risk tier over the 90 days from sending: the 95%
    intervals of 20 seeds x 3 tiers cover the planted ratio in at least 90% of cases.

    A/A: the control contacts split at random in two halves (one split per seed) differ with p < 0.05 in
    about 5% of cases (at most 3 of the 20 seeds x 3 tiers = 60 checks... counted over the tiers).
    """
    covered, total, aa_hits = 0, 0, 0
    for seed in range(20):
        c = _planted_contacts(tmp_path, seed)
        rng = np.random.default_rng(seed)
        for tier, hr in demo.PLANTED.campaign_hr_by_risk.items():
            g = c[c["risk_tier"] == tier]
            time = np.maximum(np.minimum(g["churn_days"].to_numpy(float), 90), 0.5)
            event = g["churn_event"].to_numpy(bool) & (g["churn_days"].to_numpy() < 90)
            e = hazard_ratio(time, event, g["treated"].to_numpy())
            covered += bool(e.ci_lower <= hr <= e.ci_upper)
            total += 1
            ctl = g[~g["treated"]]
            half = rng.random(len(ctl)) < 0.5
            y = ctl["churned_h"].to_numpy(bool)
            aa_hits += proportion_effect(y[half], y[~half], metric="aa").p_value < 0.05
    print(f"coverage {covered}/{total}, A/A flagged {aa_hits}/{total}")
    assert covered / total >= 0.9, f"{covered} of {total} intervals cover the planted hazard ratio"
    assert aa_hits / total <= 0.1, f"A/A: {aa_hits} of {total} control-vs-control splits flagged"


def test_experiment_named_in_params_is_measured_and_rendered(tmp_path):
    """campaigns.experiment: the 20-row hand file of tests/test_campaigns_experiment.py (visit: No E-Mail 2/8,
    Mens E-Mail 4/6, Womens E-Mail 3/6) read through the unit's params and rendered with its name."""
    from pathlib import Path

    from retention_utils.campaigns.analysis import campaign_experiment
    from retention_utils.display.experiment import experiment_html

    data = _unit(tmp_path, "b2b", 500, 3)
    src = Path(__file__).parent / "data" / "experiment_small.csv"
    from retention_utils.config import CampaignSpec

    spec = CampaignSpec(min_group=2, experiment={
        "name": "Spring <e-mail> test", "source": {"path": str(src)}, "group_column": "segment",
        "control_label": "No E-Mail", "outcomes": {"visit": "proportion", "spend": "mean"},
        "covariates": ["history"], "customer_column": "customer_id"})
    exp = campaign_experiment(data, spec)
    p = exp.primary().set_index(["arm", "outcome"])
    assert p.loc[("Mens E-Mail", "visit"), "estimate"] == pytest.approx(4 / 6 - 2 / 8)
    assert p.loc[("Womens E-Mail", "visit"), "estimate"] == pytest.approx(3 / 6 - 2 / 8)
    html = experiment_html(exp).data
    assert "Spring &lt;e-mail&gt; test" in html and "<e-mail>" not in html  # data-derived text is escaped
    assert campaign_experiment(data) is None and "No experiment table" in experiment_html(None).data


def test_risk_band_learner_on_a_hand_made_campaign():
    """Risk bands on a planted table: churn risk x in [0, 1) known to the model; a contact removes 0.2 of the
    churn probability in the middle of the risk range (0.35 <= x < 0.65) and nothing elsewhere. The band
    effect of the middle bands is near 0.2, of the outer bands near 0, and the ranking puts the middle first."""
    from retention_utils.campaigns.targeting import RiskBandUplift

    rng = np.random.default_rng(4)
    n = 40_000
    x = rng.random(n)
    t = rng.random(n) < 0.5
    p = 0.1 + 0.8 * x - np.where(t & (x >= 0.35) & (x < 0.65), 0.2, 0.0)
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"x": x})
    m = RiskBandUplift(n_bands=10, random_state=0).fit(X, t, y)
    grid = pd.DataFrame({"x": [0.05, 0.5, 0.95]})
    up = m.predict(grid)
    assert up[1] == pytest.approx(0.2, abs=0.06) and abs(up[0]) < 0.06 and abs(up[2]) < 0.06
    assert np.argmax(up) == 1
    assert len(m.band_effect_) == 10  # 20,000 controls: the full 10 bands


def test_odd_campaign_tables_get_sentences_not_tracebacks(tmp_path):
    """A campaigns export without costs, a control-only campaign, a repeated contact, a customer in both groups,
    a contact after the report month and an unknown customer: every row used or counted, no traceback."""
    from retention_utils import ConfigError
    from retention_utils.config import CampaignSpec
    from tests.conftest import write_unit

    orders = "order_id,customer_id,order_date,amount\n" + "".join(
        f"{i},{c},2024-0{m}-10,10\n" for i, (c, m) in enumerate([(c, m) for c in "ABCDEF" for m in (1, 2, 3, 4, 5)]))
    camp = ("customer_id,campaign_id,sent_date,group\n"
            "A,ONLY-CTL,2024-03-01,control\nB,ONLY-CTL,2024-03-01,control\n"
            "C,X,2024-03-01,treatment\nC,X,2024-03-01,treatment\n"      # repeated contact: counted once
            "D,X,2024-03-01,treatment\nD,X,2024-03-01,control\n"        # both groups: left out, counted
            "E,X,2024-03-01,control\nZ,X,2024-03-01,control\n"          # Z: unknown customer
            "F,LATE,2024-09-01,treatment\n")                            # after the report month
    params = write_unit(tmp_path, files={"orders.csv": orders, "campaigns.csv": camp},
                        sources={"orders": {"path": "../orders.csv"}, "campaigns": {"path": "../campaigns.csv"}},
                        unit_yaml="report_month: '2024-05'\n")
    data = load_unit_data(load_config(params, "shop"))
    r = campaign_analysis(data, CampaignSpec(treatment_share={"*": 0.5}, min_group=2))
    c = r.campaigns.set_index("campaign_id")
    assert c.loc["ONLY-CTL", "status"] == "no_treatment" and "control customers only" in c.loc["ONLY-CTL", "verdict"]
    assert np.isnan(c.loc["ONLY-CTL", "srm_p"])  # no split to test
    q = r.quality.set_index("reason")["rows"]
    assert q.filter(like="both groups").sum() == 2 and q.filter(like="repeated contact").sum() == 1
    # the unknown customer and the contact after the data are the contract's (counted in its data quality)
    n_loaded = int(data.campaigns.count().to_pyarrow().as_py())
    assert int(q.sum()) + int(c["n_contacts"].sum()) == n_loaded  # every loaded row used or counted
    assert np.isnan(c.loc["X", "cost"])
    with pytest.raises(ConfigError, match=r"campaigns.segment_by: 'tier' is not a customer attribute"):
        campaign_analysis(data, CampaignSpec(segment_by=["tier"]))
