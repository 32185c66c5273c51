"""Value at risk, the quality screen and the CRM files of the customer-value report (retention_utils.value)."""
from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from retention_utils.clv.analysis import clv_analysis
from retention_utils.exports import restore_text
from retention_utils.segments import rfm_analysis
from retention_utils.value import CRITERIA, screen_customers, value_analysis, write_value_lists


def test_screen_by_hand():
    t = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                      "value": [100.0, 10, 50, 1],
                      "recency_days": [5, 200, 20, 300],
                      "latest_nps": [10, 2, np.nan, 9],
                      "n_complaints": [0, 0, 0, 1]})
    s = screen_customers(t, {"value": 1.0, "behaviour": 1.0, "satisfaction": 2.0, "loyalty": 1.0}, share=0.5)
    s = s.set_index("customer_id")
    # percentile ranks (average ties): value a=1, c=.75, b=.5, d=.25; recency (fewer days better) a=1, c=.75, b=.5, d=.25
    assert s.loc["a", "value"] == 1.0 and s.loc["d", "value"] == 0.25
    assert s.loc["b", "behaviour"] == 0.5
    # satisfaction = percentile of the score among the surveyed (10 > 9 > 2), no survey = 0.5, any complaint = 0
    assert s.satisfaction.to_dict() == pytest.approx({"a": 1.0, "b": 1 / 3, "c": 0.5, "d": 0.0})
    assert "loyalty" not in s  # no tenure or frequency: the criterion is left out, its weight dropped
    want = {k: (v + b + 2 * sat) / 4 for k, v, b, sat in
            zip("abcd", [1, .5, .75, .25], [1, .5, .75, .25], [1, 1 / 3, .5, 0])}
    assert s.quality_score.to_dict() == pytest.approx(want)
    assert s["rank"].to_dict() == {"a": 1, "c": 2, "b": 3, "d": 4}
    assert s.listed.sum() == 2 and s.loc["a", "listed"] and s.loc["c", "listed"]
    assert s.loc["a", "meets"] == "; ".join([CRITERIA["value"], CRITERIA["behaviour"], CRITERIA["satisfaction"]])
    assert s.loc["d", "meets"] == ""


def test_referrals_enter_the_screen():
    t = pd.DataFrame({"customer_id": ["a", "b", "c"], "value": [1.0, 1.0, 1.0], "n_referred": [np.nan, 4, 1]})
    s = screen_customers(t, {"value": 1.0, "referrals": 1.0}).set_index("customer_id")
    assert s.loc["b", "referrals"] == 1.0 and s.loc["b", "rank"] == 1
    assert CRITERIA["referrals"] in s.loc["b", "meets"]


@pytest.fixture(scope="module")
def retail_value(demo_units):
    data = demo_units["retail"]
    clv = clv_analysis(data)
    rfm = rfm_analysis(data)
    alive = rfm.customers[rfm.customers.stage != "churned"]
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.9, len(alive))
    scores = pd.DataFrame({"customer_id": alive.customer_id.to_numpy(), "probability": p,
                           "tier": np.where(p >= 0.5, "high", np.where(p >= 0.2, "medium", "low")),
                           "reasons": "no purchase lately"})
    return data, clv, rfm, scores, value_analysis(data, clv=clv, rfm=rfm, scores=scores)


def test_value_at_risk_is_probability_times_clv(retail_value):
    data, clv, rfm, scores, v = retail_value
    a = v.at_risk.merge(clv.customers[["customer_id", "clv"]], on="customer_id", suffixes=("", "_clv"))
    assert len(v.at_risk) == len(scores)
    assert (a.clv == a.clv_clv).all()
    # the value at stake is the CLV if the customer stays: BG/NBD's CLV / P(alive)
    pa = a.merge(clv.customers[["customer_id", "p_alive"]], on="customer_id")
    assert np.allclose(pa.clv_if_stays, pa.clv / pa.p_alive)
    assert np.allclose(v.at_risk.clv_at_risk, v.at_risk.probability * v.at_risk.clv_if_stays)
    assert v.at_risk.clv_at_risk.is_monotonic_decreasing
    # "high value" is the top share of the scored customers
    share = (v.at_risk.clv_if_stays >= v.high_value_threshold).mean()
    assert share == pytest.approx(data.config.value.high_value_share, abs=0.01)
    # the 2 x 2 view partitions the scored customers and their value
    q = v.quadrants
    assert q.n_customers.sum() == len(scores)
    assert q.clv_at_risk.sum() == pytest.approx(v.at_risk.clv_at_risk.sum())
    high = v.at_risk.clv_if_stays >= v.high_value_threshold
    risky = v.at_risk.probability >= data.config.drivers.tiers.medium
    hh = q[(q.value == "high") & (q.risk == "high")].n_customers.iloc[0]
    assert hh == int((high & risky).sum())
    s = v.summary_frame().set_index("metric")
    assert s.loc["clv_at_risk", "value"] == pytest.approx(v.at_risk.clv_at_risk.sum())
    assert s.loc["high_value_at_risk", "value"] == hh
    # the headline says the same numbers
    assert f"{v.at_risk.clv_at_risk.sum():,.0f}" in v.headline[1] and f"{hh:,}" in v.headline[1]
    assert f"{clv.total.clv.iloc[0]:,.0f}" in v.headline[0]


def test_screen_covers_the_customers_not_churned(retail_value):
    data, clv, rfm, scores, v = retail_value
    alive = set(rfm.customers.loc[rfm.customers.stage != "churned", "customer_id"])
    assert set(v.screen.customer_id) == alive
    assert v.screen.listed.sum() == int(np.ceil(data.config.value.screen_share * len(alive)))
    # the demo plants referrals (customers.referred_by): counts per referrer equal the export's
    cust = data.customers.select("customer_id", "referred_by").to_pandas()
    want = cust.referred_by.dropna().value_counts()
    got = v.referrals.set_index("referrer").n_referred
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    assert "referrals" in v.screen.columns
    top = v.referrals.iloc[0]
    assert top.n_referred == want.max()
    # the referred customers' CLV, summed per referrer
    c = cust.merge(clv.customers[["customer_id", "clv"]], on="customer_id", how="left")
    assert top.referred_value == pytest.approx(c[c.referred_by == top.referrer].clv.sum())


def test_personas_and_cross_sell_on_the_demo(retail_value):
    data, clv, rfm, scores, v = retail_value
    p = v.personas
    assert 2 <= p.k <= 6 and p.profiles.n_customers.sum() == len(v.screen)
    assert v.persona_risk.n_scored.sum() == len(scores)
    # demo categories are drawn independently per order: no pair is bought together far beyond chance
    r = v.crosssell.rules
    assert (r.lift < 1.5).all() if len(r) else True


def test_without_scores_value_at_risk_is_left_out_with_a_note(demo_units):
    data = demo_units["b2b"]
    v = value_analysis(data, clv=clv_analysis(data), rfm=rfm_analysis(data), scores=None, personas=False)
    assert v.at_risk.empty and v.quadrants.empty
    assert v.notes.note.str.contains("run the churn-drivers report first").any()
    assert "clv_at_risk" not in set(v.summary_frame().metric)


def test_crm_files_keep_the_churn_report_columns_and_neutralise_formulas(tmp_path):
    (tmp_path / "at_risk_customers.csv").write_text(
        '"customer_id","probability","tier","score","reasons","value_at_risk","revenue_12m","as_of","horizon_days"\n'
        '"C1",0.675641,"high",124,"no purchase",1327.13,1964.25,2026-01-01,90\n'
        '"\'=C2",0.1,"low",,"=HYPERLINK(1)",1.0,2.0,2026-01-01,90\n', encoding="utf-8")
    at = pd.DataFrame({"customer_id": ["C1", "=C2"], "clv": [10.0, 5.0], "clv_at_risk": [6.756, 0.5]})
    screen = pd.DataFrame({"customer_id": ["@x", "b"], "value": [1.0, 0.1], "quality_score": [1.0, 0.1],
                           "rank": [1, 2], "listed": [True, False], "meets": ["high expected value", ""]})
    written = write_value_lists(types.SimpleNamespace(at_risk=at, screen=screen), tmp_path)
    assert [p.name for p in written] == ["high_quality_customers.csv", "at_risk_customers.csv"]
    lines = (tmp_path / "at_risk_customers.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith('"horizon_days","clv","clv_at_risk"')
    assert lines[1] == '"C1",0.675641,"high",124,"no purchase",1327.13,1964.25,2026-01-01,90,10,6.76'
    assert lines[2].startswith('"\'=C2",0.1,"low",,"\'=HYPERLINK(1)"')
    back = pd.read_csv(tmp_path / "at_risk_customers.csv", dtype=str)
    assert restore_text(back.customer_id[1]) == "=C2"
    hq = (tmp_path / "high_quality_customers.csv").read_text(encoding="utf-8").splitlines()
    assert len(hq) == 2 and hq[1].startswith('"\'@x"')
    assert write_value_lists(types.SimpleNamespace(at_risk=at, screen=screen), "") == []


def test_without_referrals_the_screen_says_so(tmp_path):
    from retention_utils.value import value_analysis as va
    from tests.conftest import write_unit

    rng = np.random.default_rng(2)
    rows = ["customer_id,order_date,amount"]
    for i in range(150):
        for d in sorted(rng.choice(700, size=int(rng.integers(1, 8)), replace=False)):
            rows.append(f"K{i:03d},{(pd.Timestamp('2024-01-01') + pd.Timedelta(days=int(d))).date()},"
                        f"{rng.integers(5, 90)}")
    params = write_unit(tmp_path, files={"orders.csv": "\n".join(rows) + "\n"},
                        sources={"orders": {"path": str(tmp_path / "orders.csv")}})
    import retention_utils as ru

    data = ru.open_unit(params, "shop")
    v = va(data, clv=clv_analysis(data), rfm=rfm_analysis(data), scores=None, personas=False)
    assert v.referrals.empty and "referrals" not in v.screen.columns
    assert v.notes.note.str.contains("no referred_by column").any()
    assert v.notes.note.str.contains("no category column").any()
