"""CLV of a unit (retention_utils.clv.analysis): planted truths of the demo, holdout check, fallbacks."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from retention_utils.clv.analysis import clv_analysis
from retention_utils.clv.value import WEEKS_PER_MONTH
from retention_utils.demo import PLANTED
from retention_utils.engine.value import btyd_summary


@pytest.fixture(scope="module")
def retail_clv(demo_units):
    return clv_analysis(demo_units["retail"])


def test_retail_recovers_the_planted_purchase_rate_and_spend(retail_clv):
    """The demo's retail customers buy at a Gamma(1.5, mean 0.8 a month) rate x seasonality (1.6 in Nov-Dec);
    BG/NBD's mean rate r / alpha (a week) must match it; Gamma-Gamma's mean spend must match the planted net
    order value (mean 45 gross, 12% of orders discounted by 10/20/30%)."""
    c = retail_clv
    assert c.method == "bgnbd_gg" and c.fits
    p = c.params.set_index(["model", "parameter"])["estimate"]
    seasonal = float(np.mean(PLANTED.retail_purchase_seasonality))
    planted_weekly = PLANTED.retail_rate_mean * seasonal / WEEKS_PER_MONTH
    assert p[("BG/NBD", "r")] / p[("BG/NBD", "alpha")] == pytest.approx(planted_weekly, rel=0.10)
    gp, gq, gg = p[("Gamma-Gamma", "p")], p[("Gamma-Gamma", "q")], p[("Gamma-Gamma", "gamma")]
    net = PLANTED.retail_amount_mean * (1 - PLANTED.retail_discount_rate * np.mean(PLANTED.retail_discount_fractions))
    assert gp * gg / (gq - 1) == pytest.approx(net, rel=0.10)
    # every interval holds its estimate, and the total's interval holds the total
    assert (c.params.ci_lower <= c.params.estimate).all() and (c.params.estimate <= c.params.ci_upper).all()
    t = c.total.iloc[0]
    assert t.ci_lower < t.clv < t.ci_upper


def test_retail_holdout_check(retail_clv, demo_units):
    """The holdout table is the actual repeat purchases after the calibration month, counted independently."""
    data = demo_units["retail"]
    h = retail_clv.holdout.set_index("bucket")
    assert abs(h.loc["all", "error"]) <= data.config.value.holdout_max_error
    o = data.orders.to_pandas()
    o = o[o.amount > 0]
    o["order_date"] = pd.to_datetime(o.order_date).dt.date
    days = o[["customer_id", "order_date"]].drop_duplicates()
    cal = retail_clv.calibration_end
    firsts = days.groupby("customer_id").order_date.min()
    known = firsts[firsts <= cal].index
    after = days[(days.order_date > cal) & (days.order_date <= data.month_end) & days.customer_id.isin(known)]
    assert h.loc["all", "actual"] == len(after)
    assert h.loc["all", "n_customers"] == len(known)
    assert h.drop(["all", "spend"]).actual.sum() == len(after)
    assert h.loc["all", "predicted"] == pytest.approx(h.drop(["all", "spend"]).predicted.sum())


def test_retail_customers_and_values(retail_clv, demo_units):
    c = retail_clv.customers
    assert c.customer_id.is_unique and (c.clv >= 0).all()
    assert c.clv.is_monotonic_decreasing
    top = c.head(1000)
    assert (top.clv_lower <= top.clv + 1e-9).all() and (top.clv <= top.clv_upper + 1e-9).all()
    assert c.iloc[1000:].clv_lower.isna().all()
    assert c.clv.sum() == pytest.approx(retail_clv.total.clv.iloc[0])
    assert ((c.p_alive > 0) & (c.p_alive <= 1)).all()
    # a customer who has not bought for two years is worth far less than one who bought last week
    data = demo_units["retail"]
    s = btyd_summary(data.orders, calibration_end=data.month_end).to_pandas()
    assert len(s) == len(c)
    s["last_weeks_ago"] = s["T"] - s["recency"]
    gone = s[(s.last_weeks_ago > 100) & (s.frequency >= 3)]
    recent = s[(s.last_weeks_ago < 2) & (s.frequency >= 3)]
    if len(gone) and len(recent):
        ids = data.customers.select("customer_key", "customer_id").to_pandas().set_index("customer_key").customer_id
        v = c.set_index("customer_id").clv
        assert v[gone.customer_key.map(ids)].median() < 0.2 * v[recent.customer_key.map(ids)].median()


def test_subscriptions_use_the_retention_model(demo_units):
    data = demo_units["subscriptions"]
    c = clv_analysis(data)
    assert c.method == "sbg"
    h = c.holdout.set_index("bucket")
    assert abs(h.loc["all", "error"]) <= data.config.value.holdout_max_error
    # everyone valued is subscribed at the month end; a cancelled subscriber has no future value
    cust = data.customers.select("customer_id", "churn_date").to_pandas()
    open_ids = set(cust.loc[cust.churn_date.isna(), "customer_id"])
    assert set(c.customers.customer_id) == open_ids
    # monthly margin x at most horizon payments bounds every CLV
    assert (c.customers.clv <= c.customers.historical_margin.clip(lower=0) + 1e9).all()
    assert c.notes.note.str.contains("more monthly invoices").any()


def test_small_unit_falls_back_to_historical_value(demo_units):
    data = demo_units["b2b"]  # 90 accounts: too few for BG/NBD
    c = clv_analysis(data)
    assert c.method == "historical" and not c.fits
    assert c.notes.note.str.contains("historical").any()
    o = data.orders.to_pandas()
    o["order_date"] = pd.to_datetime(o.order_date).dt.date
    y = o[(o.order_date > data.month_end - dt.timedelta(days=365)) & (o.order_date <= data.month_end)]
    by = y.groupby("customer_id").amount.sum().clip(lower=0)
    spec = data.config.value
    want = spec.margin * by * spec.horizon_months / 12
    got = c.customers.set_index("customer_id").clv
    assert got.reindex(want.index).to_numpy() == pytest.approx(want.to_numpy())
    assert c.summary_frame().label.str.contains("run rate").any()


def test_a_poor_fit_is_said_and_falls_back(demo_units):
    """With an impossible tolerance the holdout check fails: the report says so and shows historical value."""
    data = demo_units["retail"]
    spec = data.config.value.model_copy(update={"holdout_max_error": 1e-6})
    c = clv_analysis(data, spec)
    assert c.method == "historical"
    note = " ".join(c.notes.note)
    assert "does not fit" in note and "holdout" in note
    assert len(c.holdout) and len(c.params)  # the evidence is kept


def test_summary_rows(retail_clv):
    s = retail_clv.summary_frame().set_index("metric")
    assert s.loc["clv_total", "value"] == pytest.approx(retail_clv.total.clv.iloc[0])
    assert s.loc["clv_total", "unit"] == "EUR"
    assert s.loc["clv_holdout_error", "value"] == pytest.approx(retail_clv.holdout_error)
    assert isinstance(pd.DataFrame(s), pd.DataFrame)
