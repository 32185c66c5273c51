"""Churn labels, models, drivers, early warning, at-risk list and closed loop.

Reference values: hand-computed cases, a naive Python loop for the labels, the
demo generator's planted truths (:data:`retention_utils.demo.PLANTED`) and the
published range of the IBM telco churn data (logistic regression ROC AUC about
0.83-0.86 in the many public analyses of that table).
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import drivers as drv
from retention_utils import load_config, load_unit_data
from retention_utils import plotting_drivers as drvplot
from retention_utils.demo import PLANTED, write_demo
from retention_utils.engine import customer_snapshot
from retention_utils.errors import DataError
from tests.conftest import write_unit

# ----------------------------------------------------------------------------- labels by hand


def _tables(orders: pd.DataFrame, customers: pd.DataFrame) -> tuple[ibis.Table, ibis.Table]:
    con = ibis.duckdb.connect()
    o = orders.assign(order_date=pd.to_datetime(orders["order_date"]).dt.date)
    c = customers.assign(signup_date=pd.to_datetime(customers["signup_date"]).dt.date)
    if "churn_date" in c:
        c["churn_date"] = pd.to_datetime(c["churn_date"]).dt.date
    return con.create_table("o", o), con.create_table("c", c)


def _labels(o, c, cutoff, h, method="inactivity", d=31) -> dict[str, bool]:
    t = drv.churn_labels(o, c, cutoff=cutoff, horizon_days=h, method=method, inactivity_days=d).to_pandas()
    return dict(zip(t["customer_id"], t["churned"]))


# Inactivity, D = 31: a churn day is "last purchase + 32".
#   A: 01-01, 01-20, 03-10 (gap 50: churned 02-21, reactivated 03-10), then nothing (churn 04-11)
#   C: 01-10, 02-05, 03-05, 04-01 (gaps <= 31): never churns before 05-03
#   D: 01-01 only: churns on 02-02
#   B: first purchase 02-15; R: a refund only (not a purchase)
ORD = pd.DataFrame({
    "order_id": [str(i) for i in range(10)],
    "customer_id": ["A", "A", "A", "C", "C", "C", "C", "D", "B", "R"],
    "order_date": ["2024-01-01", "2024-01-20", "2024-03-10", "2024-01-10", "2024-02-05", "2024-03-05",
                   "2024-04-01", "2024-01-01", "2024-02-15", "2024-01-05"],
    "amount": [10.0] * 9 + [-5.0],
})
CUST = pd.DataFrame({"customer_id": list("ABCDR"), "signup_date": ["2024-01-01"] * 5})


def test_inactivity_labels_by_hand():
    o, c = _tables(ORD, CUST)
    # 02-01: A at risk (churn day 02-21 falls in [02-01, 03-02)); C's next purchase comes in time; D churns
    # on 02-02; B has not bought yet; R never bought
    assert _labels(o, c, "2024-02-01", 30) == {"A": True, "C": False, "D": True}
    # 02-02: D churns on the cut-off day itself: still at risk, churned in the window
    assert _labels(o, c, "2024-02-02", 30)["D"] is True
    # 02-03: D churned the day before the cut-off: left out; A still at risk
    assert "D" not in _labels(o, c, "2024-02-03", 30)
    # 03-01: A churned on 02-21 (before the cut-off): left out, even though A comes back on 03-10
    assert _labels(o, c, "2024-03-01", 30) == {"B": True, "C": False}
    # 03-15: A reactivated on 03-10; churns on 04-11: inside a 30-day window, outside a 20-day one
    assert _labels(o, c, "2024-03-15", 30)["A"] is True
    assert _labels(o, c, "2024-03-15", 20)["A"] is False


def test_explicit_labels_by_hand():
    cust = pd.DataFrame({"customer_id": list("EFGH"), "signup_date": ["2024-01-01", "2024-01-01", "2024-02-10",
                                                                        "2024-01-01"],
                         "churn_date": ["2024-02-15", "2024-01-20", None, "2024-03-10"]})
    o, c = _tables(ORD.iloc[:1].assign(customer_id="E"), cust)  # orders play no part under explicit churn
    # cut-off 02-01, H 30: E cancels 02-15 (in), F cancelled 01-20 (left out), G signs up after the cut-off,
    # H cancels 03-10 (after the window [02-01, 03-02))
    got = _labels(o, c, "2024-02-01", 30, method="explicit")
    assert got == {"E": True, "H": False}


def _naive_labels(orders: pd.DataFrame, t: pd.Timestamp, h: int, d: int) -> dict[str, bool]:
    """The label written as a plain loop over each customer's purchase days (independent reference)."""
    out = {}
    buys = orders[orders["amount"] > 0]
    for cid, g in buys.groupby("customer_id"):
        days = sorted(set(pd.to_datetime(g["order_date"])))
        days = [x for x in days if x < t + pd.Timedelta(days=h)]
        before = [x for x in days if x < t]
        if not before:
            continue
        last = before[-1]
        churn = None
        for i, x in enumerate(days):
            if x < last:
                continue
            nxt = days[i + 1] if i + 1 < len(days) else None
            if nxt is None or (nxt - x).days > d:
                churn = x + pd.Timedelta(days=d + 1)
                break
        if churn is not None and churn < t:
            continue  # churned before the cut-off
        out[cid] = churn is not None and churn < t + pd.Timedelta(days=h)
    return out


# ----------------------------------------------------------------------------- the demo unit


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """12,000 demo customers (5,400 subscriptions) and a params folder with the drivers settings."""
    base = tmp_path_factory.mktemp("drv")
    write_demo(base / "data", n_customers=12_000, seed=11)
    params = base / "params"
    params.mkdir()
    src = {name: {"path": str(base / "data" / f"{name}.csv")} for name in ("orders", "interactions", "campaigns")}
    src["customers"] = {"path": str(base / "data" / "customers.csv"),
                        "attributes": ["channel", "region", "plan", "segment"]}
    (params / "defaults.yaml").write_text(yaml.safe_dump({"sources": src}))
    (params / "subscriptions.yaml").write_text(yaml.safe_dump({
        "business_unit_value": "subscriptions", "churn": {"method": "explicit", "dormant_days": 45},
        "drivers": {"attributes": ["plan", "channel", "region"], "tiers": {"high": 0.3, "medium": 0.15}}}))
    (params / "retail.yaml").write_text(yaml.safe_dump({
        "business_unit_value": "retail", "churn": {"method": "inactivity", "inactivity_days": 90, "dormant_days": 45},
        "drivers": {"attributes": ["channel"]}}))
    (params / "b2b.yaml").write_text(yaml.safe_dump({
        "business_unit_value": "b2b", "churn": {"method": "inactivity", "inactivity_days": 180, "dormant_days": 60},
        "drivers": {"attributes": ["segment"]}}))
    return base, params


@pytest.fixture(scope="module")
def subs(demo):
    data = load_unit_data(load_config(demo[1], "subscriptions"))
    return data, drv.churn_drivers(data, seed=0)


def test_labels_match_a_naive_loop_and_the_snapshot(demo):
    data = load_unit_data(load_config(demo[1], "retail"))
    orders = data.orders.select("customer_id", "order_date", "amount").to_pandas()
    for cutoff in ("2024-06-01", "2025-09-01"):
        t = pd.Timestamp(cutoff)
        got = _labels(data.orders, data.customers, cutoff, 90, d=90)
        assert got == _naive_labels(orders, t, 90, 90)
        assert 0 < sum(got.values()) < len(got)
        # at risk = not churned in the shared snapshot of the day before the cut-off
        snap = customer_snapshot(data.orders, data.customers, as_of=(t - pd.Timedelta(days=1)).date(),
                                 method="inactivity", inactivity_days=90, dormant_days=45).to_pandas()
        alive = set(snap.loc[(snap["n_purchases"] > 0) & (snap["status"] != "churned"), "customer_id"])
        assert set(got) == alive


def test_cutoff_plan_is_out_of_time_and_observable(subs):
    data, res = subs
    p = res.plan
    h = dt.timedelta(days=res.horizon_days)
    assert p.evaluate == dt.date(2025, 10, 1) and p.score == dt.date(2026, 1, 1)
    assert len(p.train) == 6 and all(t + h <= p.evaluate for t in p.train)
    assert all(t + h - dt.timedelta(days=1) <= data.month_end for t in p.all_labelled())
    assert p.final[-1] == p.evaluate


def test_planted_drivers_rank_at_the_top(subs):
    """Subscriptions: plan, channel, early complaint and NPS detractor are the planted hazard ratios."""
    _, res = subs
    assert res.ok and res.design == "out_of_time" and res.beats_baseline
    imp = res.importance[res.importance["model"] == "logit"].sort_values("rank")
    assert {"channel", "plan", "n_complaints", "latest_nps"} <= set(imp["feature"].head(5))
    # the planted null (region) ranks below every planted driver
    rank = imp.set_index("feature")["rank"]
    assert rank["region"] > max(rank[f] for f in ("channel", "plan", "n_complaints", "latest_nps"))


def test_odds_ratio_signs_match_the_planted_effects(subs):
    _, res = subs
    o = res.odds_ratios.set_index("term")
    planted = {  # term: planted hazard ratio (> 1 raises churn); the odds ratio must point the same way
        "plan=standard": PLANTED.plan_hr["standard"], "plan=premium": PLANTED.plan_hr["premium"],
        "channel=paid_search": PLANTED.channel_hr["paid_search"], "channel=referral": PLANTED.channel_hr["referral"],
        "n_complaints": PLANTED.early_complaint_hr, "latest_nps": 1 / PLANTED.nps_detractor_hr,
    }
    for term, hr in planted.items():
        row = o.loc[term]
        assert (row.odds_ratio > 1) == (hr > 1), term
        assert row.ci_lower > 1 or row.ci_upper < 1, term  # and the 95% interval excludes "no effect"
    assert o.loc["campaign_contacts_90", "odds_ratio"] < 1  # planted campaign hazard ratio 0.7
    for term in ("region=south", "region=west", "region=east", "channel=partner"):  # planted nulls
        assert o.loc[term, "ci_lower"] < 1 < o.loc[term, "ci_upper"], term


def test_predicted_and_realized_churn_agree_by_decile(subs):
    """Out of time, by decile of predicted probability: mean |predicted - realized| <= 0.03, each decile
    within 0.08, and the overall predicted rate within 0.02 of the realized one (model of the report)."""
    _, res = subs
    cal = res.calibration[res.calibration["model"] == res.best_model]
    diff = (cal["mean_predicted"] - cal["observed_rate"]).abs()
    assert len(cal) == 10
    assert diff.mean() <= 0.03 and diff.max() <= 0.08
    ev = res.eval_predictions
    assert abs(ev[f"p_{res.best_model}"].mean() - ev["churned"].mean()) <= 0.02


def test_metrics_are_consistent(subs):
    _, res = subs
    m = res.metrics.pivot(index="model", columns="metric", values="value")
    ev = res.eval_predictions
    from sklearn.metrics import roc_auc_score

    for model in ("baseline", "logit", "hgb"):
        assert m.loc[model, "roc_auc"] == pytest.approx(roc_auc_score(ev["churned"], ev[f"p_{model}"]))
        assert 0 <= m.loc[model, "capture_top10"] <= m.loc[model, "capture_top20"] <= 1
        # lift x share = capture
        assert m.loc[model, "lift_top20"] * 0.2 == pytest.approx(m.loc[model, "capture_top20"])
    assert res.leakage["flagged"].sum() == 0


def test_early_warning_scores_every_active_customer(subs):
    data, res = subs
    ew = drv.early_warning(data, res)
    s = ew.scores
    active = drv.churn_labels(data.orders, data.customers, cutoff=res.plan.score, horizon_days=None,
                              method="explicit", inactivity_days=90).to_pandas()
    assert sorted(s["customer_id"]) == sorted(active["customer_id"])
    assert s["probability"].between(0, 1).all()
    assert (s["value_at_risk"].diff().dropna() <= 1e-9).all()  # sorted by value at risk
    assert np.allclose(s["value_at_risk"], s["probability"] * s["revenue_12m"])
    high, medium = ew.tier_thresholds
    assert ((s["tier"] == "high") == (s["probability"] >= high)).all()
    assert ((s["tier"] == "low") == (s["probability"] < medium)).all()
    assert ew.tiers["n_customers"].sum() == len(s)
    assert ew.tiers["value_at_risk"].sum() == pytest.approx(s["value_at_risk"].sum())
    risky = s[s["tier"] != "low"]
    assert (risky["reasons"].str.len() > 0).mean() > 0.9
    t = ew.tradeoff.set_index("threshold")
    assert t.loc[high, "n_flagged"] == (s["probability"] >= high).sum()
    assert t.loc[high, "expected_churners"] + t.loc[high, "expected_false_alarms"] == pytest.approx(
        t.loc[high, "n_flagged"])


def test_scorecard_points_add_up(subs):
    data, res = subs
    card = res.models["scorecard"]
    tab = card.table_
    assert (tab.groupby("factor")["points"].min() == 0).all()
    panel = drv.training_panel(data, [res.plan.evaluate], horizon_days=90, attributes=["plan", "channel", "region"])
    row = panel.iloc[[0]]
    by_hand = 0
    for f in card.factors:
        labels = tab[tab["factor"] == f].sort_values("bin_order")
        by_hand += int(labels["points"].iloc[card._keys(f, row)[0]])
    assert card.score(row)[0] == by_hand
    p = card.probability([0, 20, 40])
    assert np.all(np.diff(p) > 0)
    odds = p / (1 - p)
    assert odds[1] / odds[0] == pytest.approx(2.0)  # 20 points double the odds


def test_at_risk_list_file(subs, tmp_path):
    data, res = subs
    ew = drv.early_warning(data, res)
    assert drv.write_at_risk_list(ew, "") is None
    path = drv.write_at_risk_list(ew, tmp_path)
    got = pd.read_csv(path, dtype={"customer_id": str})
    assert list(got.columns[:6]) == ["customer_id", "probability", "tier", "score", "reasons", "value_at_risk"]
    assert len(got) == len(ew.scores) and got["customer_id"].is_unique
    assert (got["value_at_risk"].diff().dropna() <= 0.011).all()


def test_report_pieces_render(subs):
    data, res = subs
    ew = drv.early_warning(data, res)
    loop = drv.closed_loop(data, reports_dir="")
    sentences = drv.headline_sentences(res, ew, loop)
    assert sentences[0].startswith("The logistic regression separates churners")
    assert "high risk" in " ".join(sentences)
    page = "".join(h.data for h in (drv.headline_html(res, ew, loop), drv.drivers_html(res),
                                    drv.model_quality_html(res), drv.reasons_html(res), drv.tiers_html(ew),
                                    drv.tradeoff_html(ew), drv.scorecard_html(ew), drv.closed_loop_html(loop),
                                    drv.about_html(res, data.config)))
    assert "payment_failed" in page  # churn reasons broken down
    masked = drv.at_risk_html(ew, show_ids=False, top_n=5).data
    assert ew.scores["customer_id"].iloc[0] not in masked
    assert drv.mask_id(ew.scores["customer_id"].iloc[0]) in masked
    assert ew.scores["customer_id"].iloc[0] in drv.at_risk_html(ew, show_ids=True, top_n=5).data
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    drvplot.plot_importance(res.importance, model=res.best_model, ax=axes[0, 0])
    drvplot.plot_odds_ratios(res.odds_ratios, ax=axes[0, 1])
    drvplot.plot_calibration(res.calibration, ax=axes[0, 2])
    drvplot.plot_gains(res.gains, ax=axes[0, 3])
    assert len(drvplot.plot_partial_dependence(res.partial_dependence, axes=axes[1])) == 4
    assert drvplot.plot_tradeoff(ew.tradeoff, ax=axes[1, 0]).get_xlabel().startswith("customers flagged")


def test_html_escapes_data_values():
    x = '<script>alert("x")</script>'
    scores = pd.DataFrame({"customer_id": [x], "probability": [0.9], "tier": ["high"], "score": [50.0],
                           "reasons": [f"plan: {x}"], "value_at_risk": [9.0], "revenue_12m": [10.0],
                           "as_of": [dt.date(2026, 1, 1)], "horizon_days": [90]})
    ew = drv.EarlyWarning(scores, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                          dt.date(2026, 1, 1), 90, "logit", "EUR")
    page = drv.at_risk_html(ew, show_ids=True).data
    assert "<script>" not in page and "&lt;script&gt;" in page


# ----------------------------------------------------------------------------- too few churners


def test_too_few_churners_gives_a_note_not_a_crash(demo, tmp_path):
    data = load_unit_data(load_config(demo[1], "b2b"))
    res = drv.churn_drivers(data)
    assert res.status == "too_few_churners" and not res.ok
    assert res.notes[0].startswith("Too few churners to fit and check a churn model")
    ew = drv.early_warning(data, res)
    assert len(ew.scores) > 0 and ew.model == "baseline" and ew.scores["score"].isna().all()
    assert ew.scores["reasons"].str.startswith("no purchase for").all()
    assert drv.write_at_risk_list(ew, tmp_path).exists()
    assert "Too few churners" in drv.headline_html(res, ew).data
    loop = drv.closed_loop(data, reports_dir=tmp_path)
    # every call the notebook makes works on a unit without a model
    for h in (drv.drivers_html(res), drv.model_quality_html(res), drv.reasons_html(res), drv.tiers_html(ew),
              drv.tradeoff_html(ew), drv.at_risk_html(ew), drv.scorecard_html(ew), drv.closed_loop_html(loop),
              drv.about_html(res, data.config)):
        assert isinstance(h.data, str)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    drvplot.plot_importance(res.importance, model=res.best_model, ax=axes[0, 0])
    drvplot.plot_odds_ratios(res.odds_ratios, ax=axes[0, 1])
    drvplot.plot_calibration(res.calibration, ax=axes[0, 2])
    drvplot.plot_gains(res.gains, ax=axes[0, 3])
    drvplot.plot_tradeoff(ew.tradeoff, ax=axes[1, 0])
    drvplot.plot_partial_dependence(res.partial_dependence, axes=axes[1, 1:])


def test_data_too_short_for_one_horizon(tmp_path):
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,10\n2,B,2024-02-01,10\n3,A,2024-02-20,10\n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-02'\n")
    data = load_unit_data(load_config(params, "shop"))
    res = drv.churn_drivers(data)
    assert res.status == "no_cutoffs" and "too short" in res.notes[0]
    ew = drv.early_warning(data, res)
    assert ew.scores.empty and "No customer could be scored" in ew.notes[0]


# ----------------------------------------------------------------------------- closed loop


def test_closed_loop_by_hand(tmp_path):
    # D = 31; report month 2024-05. The list of 2024-02 was scored as of 2024-03-01 with a 60-day horizon
    # ([03-01, 04-30), fully observed by 05-31). P bought 02-20 and never again: churns 03-23. Q buys every
    # two weeks: stays. S bought 02-25, 04-20: stays. T bought 02-10: churns 03-13. Q and T got a treatment
    # contact after the cut-off, S only a control one.
    orders = ("order_id,customer_id,order_date,amount\n"
              "1,P,2024-02-20,10\n2,Q,2024-02-15,10\n3,Q,2024-03-01,10\n4,Q,2024-03-15,10\n5,Q,2024-04-01,10\n"
              "6,Q,2024-04-15,10\n7,Q,2024-05-01,10\n8,S,2024-02-25,10\n9,S,2024-03-20,10\n10,S,2024-04-20,10\n"
              "11,T,2024-02-10,10\n12,Q,2024-05-20,10\n")
    camp = ("customer_id,campaign_id,sent_date,group,cost\nQ,c1,2024-03-05,treatment,1\nT,c1,2024-03-05,treatment,1\n"
            "S,c1,2024-03-05,control,0\nP,c0,2024-02-05,treatment,1\n")
    params = write_unit(tmp_path, files={"orders.csv": orders, "campaigns.csv": camp},
                        sources={"orders": {"path": "../orders.csv"}, "campaigns": {"path": "../campaigns.csv"}},
                        unit_yaml="report_month: '2024-05'\ndrivers:\n  horizon_days: 60\n")
    data = load_unit_data(load_config(params, "shop"))
    reports = tmp_path / "reports"
    (reports / "2024-02" / "shop").mkdir(parents=True)
    pd.DataFrame({"customer_id": ["P", "T", "Q", "S", "GONE"], "probability": [0.8, 0.6, 0.3, 0.1, 0.9],
                  "tier": ["high", "high", "medium", "low", "high"], "score": [90, 80, 50, 10, 99],
                  "reasons": [""] * 5, "value_at_risk": [8, 6, 3, 1, 9], "as_of": ["2024-03-01"] * 5,
                  "horizon_days": [60] * 5}).to_csv(reports / "2024-02" / "shop" / "at_risk_customers.csv",
                                                     index=False)
    loop = drv.closed_loop(data, reports_dir=reports)
    assert loop.status == "complete" and loop.source_month == "2024-02" and loop.observed_days == 60
    assert loop.n_not_found == 1
    b = loop.by_tier.set_index("tier")
    assert b.loc["high", "n_customers"] == 2 and b.loc["high", "n_churned"] == 2
    assert b.loc["high", "predicted_rate"] == pytest.approx(0.7)
    assert b.loc["high", "n_reached"] == 1  # T (P's contact was before the cut-off)
    assert b.loc["medium", "realized_rate"] == 0 and b.loc["medium", "n_reached"] == 1
    assert b.loc["low", "n_reached"] == 0   # a control contact is not a reach
    assert "2024-02" in drv.closed_loop_html(loop).data


def test_no_earlier_list_says_so(tmp_path, subs):
    data, _ = subs
    loop = drv.closed_loop(data, reports_dir=tmp_path)
    assert loop.status == "none" and "No earlier at-risk list" in loop.notes[0]


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def telco_csv():
    from tests.conftest import REAL

    path = REAL / "telco_ibm" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        pytest.skip(f"real data set not found: {path}")
    return pd.read_csv(path)


def test_telco_logistic_cv_auc_in_published_range(real_data, telco_csv):
    before = telco_csv.copy()
    res = drv.drivers_from_table(telco_csv, target="Churn", id_column="customerID", models=("logit",), n_repeats=0)
    pd.testing.assert_frame_equal(telco_csv, before)  # the caller's frame is not modified
    assert res.design == "stratified_cv" and "not an out-of-time test" in res.validation
    auc = res.metric("logit", "roc_auc")
    assert 0.83 <= auc <= 0.86, auc
    assert res.metric("logit", "roc_auc") > res.metric("baseline", "roc_auc")
    assert any("TotalCharges" in n and "11 blank" in n for n in res.notes)


def test_leakage_guard_flags_telco_satisfaction_score(real_data):
    status = pd.read_excel(real_data / "telco_ibm" / "Telco_customer_churn_status.xlsx")
    y = status["Churn Value"].to_numpy()
    X = status[["Satisfaction Score", "CLTV", "Quarter"]]
    g = drv.leakage_guard(X, y).set_index("feature")
    assert g.loc["Satisfaction Score", "flagged"] and g.loc["Satisfaction Score", "single_auc"] > 0.95
    assert not g.loc["CLTV", "flagged"] and not g.loc["Quarter", "flagged"]


def test_leakage_guard_flags_bank_complain(real_data):
    bank = pd.read_csv(real_data / "bank_churn_records" / "Customer-Churn-Records.csv")
    res = drv.drivers_from_table(bank, target="Exited", id_column="CustomerId", drop=["RowNumber", "Surname"],
                                 models=("logit",), n_repeats=0, n_splits=3)
    g = res.leakage.set_index("feature")
    assert g.loc["Complain", "flagged"] and g.loc["Complain", "excluded"]
    assert g["flagged"].sum() == 1
    assert "Complain" not in res.numeric
    assert any(n.startswith("Leakage guard: 'Complain'") for n in res.notes)


def test_table_target_errors():
    df = pd.DataFrame({"x": [1, 2, 3], "churn": ["yes", "no", "maybe"]})
    with pytest.raises(DataError, match=r"target column 'churn' has 1 values that are not a churn flag \('maybe'\)"):
        drv.drivers_from_table(df, target="churn")
    with pytest.raises(DataError, match=r"column\(s\) 'Churn' not found in the table; columns present: 'x', 'churn'"):
        drv.drivers_from_table(df, target="Churn")


def test_lift_and_calibration_by_hand():
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    lt = drv.lift_table(y, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shares=[0.1, 0.3])
    assert lt["capture"].tolist() == [0.5, 1.0] and lt["lift"].tolist() == [5.0, pytest.approx(10 / 3)]
    # ties at the boundary count in expectation: all scores equal -> the base rate
    assert drv.lift_table(y, [1] * 10, shares=[0.5])["churn_rate"].iloc[0] == pytest.approx(0.2)
    cal = drv.calibration_table(y, np.linspace(0, 1, 10), n_bins=5)
    assert cal["n_customers"].tolist() == [2] * 5 and cal["observed_rate"].tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    assert math.isclose(drv.classification_metrics(y, np.linspace(0.9, 0, 10))["roc_auc"], 15 / 16)


# ----------------------------------------------------------------------------- the notebook, end to end


@pytest.mark.slow
def test_notebook_runs_and_writes_the_list(tmp_path):
    """papermill + HTML for a unit with a model and an earlier list to check (the degraded path of a unit
    without a model is run call by call in test_too_few_churners_gives_a_note_not_a_crash)."""
    from retention_utils.report import run_month
    from tests.conftest import ROOT

    write_demo(tmp_path / "data", n_customers=600, seed=3)
    params = tmp_path / "params"
    params.mkdir()
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text())
    for spec in defaults["sources"].values():
        spec["path"] = str(tmp_path / "data" / Path(spec["path"]).name)
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    own = yaml.safe_load((ROOT / "params" / "retail.yaml").read_text())
    own["drivers"] = {"attributes": ["channel"]}
    (params / "retail.yaml").write_text(yaml.safe_dump(own))
    reports = tmp_path / "reports"
    # a list from September, scored as of 1 Oct 2025 (its 90 days have passed by the end of December)
    dec = load_unit_data(load_config(params, "retail"))
    active = drv.churn_labels(dec.orders, dec.customers, cutoff="2025-10-01", horizon_days=None,
                              method="inactivity", inactivity_days=90).to_pandas()["customer_id"]
    (reports / "2025-09" / "retail").mkdir(parents=True)
    pd.DataFrame({"customer_id": active, "probability": 0.5, "tier": ["high", "medium", "low"] * (len(active) // 3)
                  + ["low"] * (len(active) % 3), "score": 50, "reasons": "", "value_at_risk": 1.0,
                  "as_of": "2025-10-01", "horizon_days": 90}).to_csv(
        reports / "2025-09" / "retail" / "at_risk_customers.csv", index=False)
    result = run_month(params, reports, units=["retail"], notebooks=("churn_drivers",),
                       notebooks_dir=ROOT / "notebooks")
    assert result.ok, [(u.unit, u.error) for u in result.units]
    folder = reports / "2025-12" / "retail"
    page = (folder / "churn_drivers.html").read_text(encoding="utf-8")
    assert "Traceback" not in page and "Warning" not in page
    assert "The list of 2025-09" in page  # the closed loop found September's list
    listed = pd.read_csv(folder / "at_risk_customers.csv", dtype={"customer_id": str})
    assert len(listed) > 0 and listed["value_at_risk"].is_monotonic_decreasing
    assert listed["customer_id"].iloc[0] not in page  # ids masked in the HTML (show_customer_ids: false)
