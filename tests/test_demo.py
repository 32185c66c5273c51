"""Tests of retention_utils.demo: the demo CRM generator and its planted truths."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from retention_utils import demo
from retention_utils.errors import ConfigError

N_SMALL = 3000
SEED = 7
START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-12-31")

CUSTOMER_COLUMNS = [
    "customer_id", "business_unit", "signup_date", "channel", "region", "plan", "segment",
    "churn_date", "churn_type", "churn_reason", "referred_by",
]
ORDER_COLUMNS = [
    "order_id", "customer_id", "order_date", "amount", "category", "channel", "discount", "returned",
]
INTERACTION_COLUMNS = ["customer_id", "date", "kind", "score"]
CAMPAIGN_COLUMNS = ["customer_id", "campaign_id", "sent_date", "group", "cost"]
TRUTH_CUSTOMER_COLUMNS = [
    "customer_id", "business_unit", "true_churn_date", "early_complaint", "nps_detractor",
    "nps_score", "purchase_rate", "dropout_prob", "mean_order_value", "risk_tier", "campaign_hr",
]


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate_demo(n_customers=N_SMALL, seed=SEED)


@pytest.fixture(scope="module")
def big() -> demo.DemoData:
    """Large enough to recover planted effects (about 0.5 s to generate)."""
    return demo.generate_demo(n_customers=40_000, seed=11)


def _within(observed: float, expected: float, n: int, *, z: float = 4.0) -> bool:
    """True if a binomial proportion is within ``z`` standard errors of ``expected``."""
    return abs(observed - expected) <= z * math.sqrt(expected * (1 - expected) / n)


def _known_orders(d: demo.DemoData) -> pd.DataFrame:
    """Orders of known customers joined with their customer row."""
    cols = ["customer_id", "business_unit", "signup_date", "churn_date", "plan"]
    return d.orders.merge(d.customers[cols], on="customer_id", how="inner", validate="many_to_one")


def _sub_person_months(d: demo.DemoData) -> pd.DataFrame:
    """Subscriptions with ``pm`` (calendar months at risk, inclusive) and ``event`` (churned)."""
    c = d.customers.loc[d.customers["business_unit"] == "subscriptions"].copy()
    last = c["churn_date"].fillna(END)
    c["pm"] = (last.dt.year - c["signup_date"].dt.year) * 12 + last.dt.month - c["signup_date"].dt.month + 1
    c["event"] = c["churn_date"].notna().astype(int)
    flags = d.truth_customers.set_index("customer_id")["early_complaint"]
    c["early_complaint"] = c["customer_id"].map(flags)
    return c


def _rate_by(frame: pd.DataFrame, column: str) -> pd.Series:
    g = frame.groupby(column, observed=True)[["event", "pm"]].sum()
    return g["event"] / g["pm"]


# --- reproducibility ----------------------------------------------------------------

def test_same_seed_gives_identical_tables(data):
    again = demo.generate_demo(n_customers=N_SMALL, seed=SEED)
    for name in ("customers", "orders", "interactions", "campaigns", "truth_customers"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(data, name))
    assert again.truth == data.truth


def test_different_seed_gives_different_tables(data):
    other = demo.generate_demo(n_customers=N_SMALL, seed=SEED + 1)
    assert not other.customers["signup_date"].equals(data.customers["signup_date"])
    assert len(other.orders) != len(data.orders) or not other.orders["amount"].equals(data.orders["amount"])
    assert other.truth["data_quality"] != data.truth["data_quality"] or \
        other.truth["churn"] != data.truth["churn"]


# --- shape and content ------------------------------------------------------------------

def test_exact_columns(data):
    assert list(data.customers.columns) == CUSTOMER_COLUMNS
    assert list(data.orders.columns) == ORDER_COLUMNS
    assert list(data.interactions.columns) == INTERACTION_COLUMNS
    assert list(data.campaigns.columns) == CAMPAIGN_COLUMNS
    assert list(data.truth_customers.columns) == TRUTH_CUSTOMER_COLUMNS
    assert list(demo.ORDER_COLUMNS) == ORDER_COLUMNS


def test_units_and_shares(data):
    counts = data.customers["business_unit"].astype(str).value_counts()
    assert set(counts.index) == {"subscriptions", "retail", "b2b"}
    assert counts.sum() == N_SMALL
    assert abs(counts["subscriptions"] / N_SMALL - 0.45) < 0.01
    assert abs(counts["retail"] / N_SMALL - 0.52) < 0.02
    assert counts["b2b"] >= 40
    assert data.truth["customers"]["by_unit"] == {k: int(v) for k, v in counts.items()}
    # a small demo still has 40 b2b accounts
    tiny = demo.generate_demo(n_customers=200, seed=1)
    assert (tiny.customers["business_unit"] == "b2b").sum() == 40


def test_customer_ids_unique_and_formatted(data):
    ids = data.customers["customer_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"C\d{7}").all()
    assert ids.iloc[0] == "C0000001"
    # ids follow signup order
    assert data.customers["signup_date"].is_monotonic_increasing


def test_categorical_values(data):
    c = data.customers
    assert set(c["channel"].astype(str)) == {"organic", "paid_search", "referral", "partner", "sales"}
    assert (c.loc[c["business_unit"] == "b2b", "channel"] == "sales").all()
    assert set(c["region"].astype(str)) == {"north", "south", "east", "west"}
    subs = c["business_unit"] == "subscriptions"
    assert set(c.loc[subs, "plan"].astype(str)) == {"basic", "standard", "premium"}
    assert c.loc[~subs, "plan"].isna().all()
    assert set(c.loc[c["business_unit"] == "b2b", "segment"].astype(str)) == {"smb", "enterprise"}
    assert (c.loc[c["business_unit"] != "b2b", "segment"] == "consumer").all()
    assert set(data.orders["channel"].astype(str)) <= {"web", "app", "store", "phone"}
    assert set(data.interactions["kind"].astype(str)) == {"support_ticket", "complaint", "survey"}


def test_signups_grow_and_peak_in_q4_and_january(big):
    months = big.customers["signup_date"].dt.to_period("M").value_counts().sort_index()
    assert len(months) == 36
    by_year = big.customers["signup_date"].dt.year.value_counts()
    assert by_year[2023] < by_year[2024] < by_year[2025]
    cal = big.customers["signup_date"].dt.month
    per_month = big.customers.groupby(cal).size()
    assert per_month[12] > per_month[9] and per_month[1] > per_month[2]


# --- dates --------------------------------------------------------------------------------

def test_all_dates_within_window(data):
    for frame, cols in [
        (data.customers, ["signup_date", "churn_date"]),
        (data.orders, ["order_date"]),
        (data.interactions, ["date"]),
        (data.campaigns, ["sent_date"]),
        (data.truth_customers, ["true_churn_date"]),
    ]:
        for col in cols:
            values = frame[col].dropna()
            assert len(values) > 0, col
            assert values.min() >= START, col
            assert values.max() <= END, col


def test_no_order_before_signup_and_first_order_on_signup(data):
    o = _known_orders(data)
    assert (o["order_date"] >= o["signup_date"]).all()
    first = o.groupby("customer_id")["order_date"].min()
    signup = data.customers.set_index("customer_id")["signup_date"]
    assert first.index.size == len(data.customers)  # every customer has an order
    assert (first == signup.loc[first.index]).all()


# --- subscriptions -------------------------------------------------------------------------

def test_no_subscription_invoice_on_or_after_churn(data):
    o = _known_orders(data)
    inv = o.loc[o["business_unit"] == "subscriptions"]
    churned = inv["churn_date"].notna()
    assert churned.any()
    assert (inv.loc[churned, "order_date"] < inv.loc[churned, "churn_date"]).all()
    assert (inv["category"] == "subscription").all()


def test_invoices_match_a_naive_reference(data):
    """Each subscription invoice schedule equals a plain loop over months."""
    o = _known_orders(data)
    inv = o.loc[(o["business_unit"] == "subscriptions") & ~o.duplicated(keep="first")]
    got = inv.groupby("customer_id")["order_date"].apply(lambda s: sorted(s.dt.strftime("%Y-%m-%d")))
    subs = data.customers.loc[data.customers["business_unit"] == "subscriptions"].iloc[::7]
    prices = {"basic": 9.99, "standard": 19.99, "premium": 39.99}
    for row in subs.itertuples():
        stop = row.churn_date if pd.notna(row.churn_date) else END + pd.Timedelta(days=1)
        expected, month = [row.signup_date.strftime("%Y-%m-%d")], row.signup_date.to_period("M") + 1
        while True:
            day = pd.Timestamp(year=month.year, month=month.month, day=min(row.signup_date.day, 28))
            if day >= stop:
                break
            expected.append(day.strftime("%Y-%m-%d"))
            month += 1
        assert got[row.customer_id] == expected, row.customer_id
        gross = inv.loc[inv["customer_id"] == row.customer_id, ["amount", "discount"]].sum(axis=1)
        assert np.allclose(gross, prices[row.plan])


def test_discounts_net_and_two_decimals(data):
    o = data.orders
    assert (o["discount"] >= 0).all()
    assert np.allclose(o["amount"], o["amount"].round(2), atol=1e-9, rtol=0)
    assert np.allclose(o["discount"], o["discount"].round(2), atol=1e-9, rtol=0)
    inv = _known_orders(data).query("business_unit == 'subscriptions'")
    share = (inv["discount"] > 0).mean()
    assert _within(share, 0.05, len(inv))
    assert np.allclose(inv.loc[inv["discount"] > 0, "discount"] / (inv["amount"] + inv["discount"])
                       [inv["discount"] > 0], 0.2, atol=0.001)


def test_churn_fields_only_for_churned_subscriptions(data):
    c = data.customers
    subs = c["business_unit"] == "subscriptions"
    assert c.loc[~subs, ["churn_date", "churn_type", "churn_reason"]].isna().all().all()
    churned = c["churn_date"].notna()
    assert (c.loc[churned, "churn_type"].notna()).all() and (c.loc[churned, "churn_reason"].notna()).all()
    assert c.loc[~churned, ["churn_type", "churn_reason"]].isna().all().all()
    assert (c.loc[churned, "churn_date"] > c.loc[churned, "signup_date"]).all()
    invol = c["churn_type"] == "involuntary"
    assert set(c.loc[invol, "churn_reason"].astype(str)) == {"payment_failed", "card_expired"}
    assert set(c.loc[churned & ~invol, "churn_reason"].astype(str)) == {
        "price", "switched_to_competitor", "not_using", "service_issues", "moved"}
    assert _within(invol.sum() / churned.sum(), 0.25, int(churned.sum()))
    truth = data.truth_customers.set_index("customer_id")["true_churn_date"]
    pd.testing.assert_series_equal(
        c.loc[subs].set_index("customer_id")["churn_date"], truth.loc[c.loc[subs, "customer_id"]],
        check_names=False)


# --- retail / b2b ---------------------------------------------------------------------------

def test_no_retail_or_b2b_order_after_true_dropout(data):
    o = _known_orders(data)
    o = o.loc[(o["business_unit"] != "subscriptions") & ~o["returned"]]
    drop = data.truth_customers.set_index("customer_id")["true_churn_date"]
    d = drop.loc[o["customer_id"]].to_numpy()
    has = ~pd.isna(d)
    assert has.any()
    assert (o["order_date"].to_numpy()[has] < d[has]).all()
    tc = data.truth_customers
    other = tc["business_unit"] != "subscriptions"
    assert tc.loc[other, ["purchase_rate", "dropout_prob", "mean_order_value"]].notna().all().all()
    assert tc.loc[~other, ["purchase_rate", "dropout_prob", "mean_order_value"]].isna().all().all()
    assert tc.loc[other, "dropout_prob"].between(0, 1).all()


def test_retail_and_b2b_amounts(big):
    o = _known_orders(big)
    o = o.loc[~o["returned"]]
    retail = o.loc[o["business_unit"] == "retail"]
    b2b = o.loc[o["business_unit"] == "b2b"]
    gross_retail = (retail["amount"] + retail["discount"]).mean()
    assert 40 < gross_retail < 50
    assert 4000 < (b2b["amount"] + b2b["discount"]).mean() < 6000
    assert set(retail["category"].astype(str)) == {"home", "fashion", "electronics", "beauty", "grocery"}
    assert (b2b["category"] == "wholesale").all()
    # November/December purchase seasonality of retail (x1.6)
    per_month = retail.groupby(retail["order_date"].dt.to_period("M")).size()
    assert per_month[pd.Period("2024-11")] > 1.3 * per_month[pd.Period("2024-09")]


# --- planted data-quality problems ------------------------------------------------------------

def test_duplicates_are_exact_and_counted(data):
    n_dup = data.truth["data_quality"]["duplicate_order_rows"]
    assert n_dup == max(3, round(0.0005 * data.truth["orders"]["ordinary_rows"]))
    assert data.orders["order_id"].duplicated().sum() == n_dup
    assert data.orders.duplicated().sum() == n_dup  # same order_id and all fields
    assert data.orders["order_id"].str.fullmatch(r"O\d{8}").all()
    assert data.orders.drop_duplicates()["order_id"].is_unique


def test_unknown_customer_orders_counted(data):
    unknown = ~data.orders["customer_id"].isin(data.customers["customer_id"])
    dq = data.truth["data_quality"]
    assert unknown.sum() == dq["unknown_customer_orders"] >= 3
    assert data.orders.loc[unknown, "customer_id"].str.fullmatch(r"U\d{7}").all()
    assert data.orders.loc[unknown, "customer_id"].nunique() == dq["unknown_customer_ids"]


def test_refunds_counted_negative_and_matched(data):
    o = data.orders
    refunds = o.loc[o["returned"]]
    assert len(refunds) == data.truth["data_quality"]["refund_rows"] > 0
    assert (refunds["amount"] < 0).all()
    assert (refunds["discount"] == 0).all()
    assert (o.loc[~o["returned"], "amount"] > 0).all()
    # each refund mirrors an earlier retail order of the same customer, 1..14 days before
    originals = o.loc[~o["returned"], ["customer_id", "order_date", "amount", "order_id"]]
    pairs = refunds.assign(amount=-refunds["amount"]).merge(
        originals, on=["customer_id", "amount"], suffixes=("", "_orig"))
    lag = (pairs["order_date"] - pairs["order_date_orig"]).dt.days
    matched = pairs.loc[lag.between(1, 14), "order_id"].unique()
    assert len(matched) == len(refunds)
    units = _known_orders(data).loc[lambda f: f["returned"], "business_unit"]
    assert len(units) == len(refunds) and (units == "retail").all()


def test_truth_counts_match_tables(data):
    t = data.truth
    assert t["orders"]["rows"] == len(data.orders)
    dq = t["data_quality"]
    assert len(data.orders) == (t["orders"]["ordinary_rows"] + dq["refund_rows"]
                                + dq["unknown_customer_orders"] + dq["duplicate_order_rows"])
    assert t["interactions"]["rows"] == len(data.interactions)
    assert t["campaigns"]["rows"] == len(data.campaigns)
    subs_churned = data.customers["churn_date"].notna().sum()
    assert t["churn"]["subscriptions"]["churned"] == subs_churned
    json.dumps(t)  # serialisable
    assert t["planted"] == demo.PLANTED.to_dict()
    assert t["window"] == {"start": "2023-01-01", "end": "2025-12-31", "end_month": "2025-12", "n_months": 36}


# --- interactions ---------------------------------------------------------------------------------

def test_interactions_reflect_planted_flags(data):
    i = data.interactions
    surveys = i["kind"] == "survey"
    assert i.loc[surveys, "score"].between(0, 10).all()
    assert i.loc[~surveys, "score"].isna().all()
    tc = data.truth_customers.set_index("customer_id")
    signup = data.customers.set_index("customer_id")["signup_date"]
    complaints = i.loc[i["kind"] == "complaint"]
    assert complaints["customer_id"].is_unique
    assert set(complaints["customer_id"]) == set(tc.index[tc["early_complaint"]])
    lag = (complaints["date"].to_numpy() - signup.loc[complaints["customer_id"]].to_numpy()) / np.timedelta64(1, "D")
    assert ((lag >= 0) & (lag <= 13)).all()
    # onboarding surveys: day 7..30, score equal to the latent score; detractor = score <= 6
    s = i.loc[surveys].copy()
    s["lag"] = (s["date"].to_numpy() - signup.loc[s["customer_id"]].to_numpy()) / np.timedelta64(1, "D")
    onboarding = s.loc[s["lag"] <= 30]
    assert onboarding["lag"].min() >= 7 and onboarding["customer_id"].is_unique
    latent = tc.loc[onboarding["customer_id"], "nps_score"].to_numpy()
    assert (onboarding["score"].to_numpy() == latent).all()
    assert tc.loc[onboarding["customer_id"], "nps_detractor"].to_numpy().tolist() == \
        (onboarding["score"] <= 6).tolist()
    assert _within(tc["nps_score"].notna().mean(), 0.6, len(tc))
    # early complainers file more tickets
    tickets = i.loc[i["kind"] == "support_ticket"].groupby("customer_id").size()
    per_customer = tickets.reindex(tc.index, fill_value=0)
    assert per_customer[tc["early_complaint"]].mean() > 2 * per_customer[~tc["early_complaint"]].mean()


# --- campaigns -------------------------------------------------------------------------------------

def test_campaign_assignment(data):
    c = data.campaigns
    ids = c["campaign_id"].astype(str)
    ret = ids.str.startswith("RET-")
    treated = c["group"] == "treatment"
    fair = ret & (ids != "RET-2025-03")
    assert _within(treated[fair].mean(), 0.8, int(fair.sum()))
    assert (c.loc[ret & treated, "cost"] == 1.5).all() and (c.loc[~treated, "cost"] == 0).all()
    assert (c.loc[ids.str.startswith("WINBACK-") & treated, "cost"] == 2.0).all()
    assert (c["sent_date"].dt.day == 1).all()
    assert c.loc[ret, "sent_date"].min() == pd.Timestamp("2023-04-01")
    assert (ids[ret] == "RET-" + c.loc[ret, "sent_date"].dt.strftime("%Y-%m")).all()
    assert set(ids[~ret]) == {"LOYALTY-2025-06", "WINBACK-2024-10", "WINBACK-2025-04", "WINBACK-2025-08"}
    assert (c.loc[ids == "LOYALTY-2025-06", "group"] == "treatment").all()  # no control group
    assert not c.duplicated(["customer_id", "campaign_id"]).any()
    cust = c.merge(data.customers, on="customer_id", validate="many_to_one")
    assert set(cust["business_unit"].astype(str)) == {"subscriptions", "retail"}
    assert (cust["signup_date"] < cust["sent_date"]).all()
    alive = cust["churn_date"].isna() | (cust["churn_date"] >= cust["sent_date"])  # churned on the day at the earliest
    assert alive[ret.to_numpy()].all()
    # the cool-down: a customer's retention contacts are at least 4 months apart
    r = cust.loc[ret.to_numpy()].sort_values(["customer_id", "sent_date"])
    gap = r.groupby("customer_id")["sent_date"].diff().dropna()
    assert (gap >= pd.Timedelta(days=118)).all()
    per_month = c.loc[ret].groupby("campaign_id", observed=True).size()
    assert per_month.iloc[-1] > per_month.iloc[0]


def test_broken_campaign_treats_every_risky_contact(data):
    c = data.campaigns.merge(data.truth_customers[["customer_id", "risk_tier"]], on="customer_id")
    broken = c.loc[c["campaign_id"].astype(str) == "RET-2025-03"]
    assert (broken.loc[broken["risk_tier"] != "low", "group"] == "treatment").all()
    low = broken.loc[broken["risk_tier"] == "low"]
    assert (low["group"] == "control").any()


def test_winback_targets_lapsed_retail_customers(data):
    c = data.campaigns.loc[data.campaigns["campaign_id"].astype(str).str.startswith("WINBACK-")]
    o = data.orders.loc[data.orders["amount"] > 0, ["customer_id", "order_date"]]
    m = c.merge(o, on="customer_id")
    before = m.loc[m["order_date"] < m["sent_date"]].groupby(["campaign_id", "customer_id"], observed=True)
    last = before["order_date"].max().reset_index()
    last = last.merge(c[["campaign_id", "customer_id", "sent_date"]], on=["campaign_id", "customer_id"])
    assert len(last) == len(c)
    assert ((last["sent_date"] - last["order_date"]).dt.days >= 75).all()


# --- planted effects are recoverable ----------------------------------------------------------------

def test_planted_plan_and_complaint_effects_recovered(big):
    pm = _sub_person_months(big)
    by_plan = _rate_by(pm, "plan")
    assert abs(by_plan["premium"] / by_plan["basic"] - demo.PLANTED.plan_hr["premium"]) < 0.08
    assert abs(by_plan["standard"] / by_plan["basic"] - demo.PLANTED.plan_hr["standard"]) < 0.08
    by_complaint = _rate_by(pm, "early_complaint")
    assert 1.5 < by_complaint[True] / by_complaint[False] < 2.1
    by_channel = _rate_by(pm, "channel")
    assert 1.3 < by_channel["paid_search"] / by_channel["organic"] < 1.7
    assert 0.55 < by_channel["referral"] / by_channel["organic"] < 0.85


def test_planted_campaign_effect_recovered(big):
    """Churn hazard in the 90 days from a retention contact, treatment vs control, by planted risk tier."""
    c = big.campaigns.loc[big.campaigns["campaign_id"].astype(str).str.startswith("RET-")
                          & (big.campaigns["campaign_id"].astype(str) != "RET-2025-03")]
    c = c.merge(big.customers, on="customer_id").merge(big.truth_customers[["customer_id", "risk_tier"]],
                                                       on="customer_id")
    c = c.loc[(c["business_unit"] == "subscriptions") & (c["sent_date"] < pd.Timestamp("2025-10-01"))]
    days = (c["churn_date"] - c["sent_date"]).dt.days
    event = days.lt(90)
    exposure = days.where(event, 90).clip(lower=0.5)
    for tier, hr in demo.PLANTED.campaign_hr_by_risk.items():
        t = c["risk_tier"] == tier
        rate = {g: event[t & (c["group"] == g)].sum() / exposure[t & (c["group"] == g)].sum()
                for g in ("treatment", "control")}
        ratio = rate["treatment"] / rate["control"]
        assert abs(ratio - hr) < 0.2, (tier, ratio)


def test_renewal_spike(big):
    """Tenure months 11-12 (annual renewal) churn about twice the neighbouring months."""
    c = _sub_person_months(big)
    churned = c.loc[c["event"] == 1]
    tenure = ((churned["churn_date"].dt.year - churned["signup_date"].dt.year) * 12
              + churned["churn_date"].dt.month - churned["signup_date"].dt.month)
    events = tenure.value_counts()
    # at risk in tenure month t: customers with pm > t
    at_risk = pd.Series({t: int((c["pm"] > t).sum()) for t in range(8, 15)})
    hazard = events.reindex(at_risk.index, fill_value=0) / at_risk
    spike = hazard[[11, 12]].mean() / hazard[[8, 9, 13, 14]].mean()
    assert 1.6 < spike < 2.5, spike


# --- files -------------------------------------------------------------------------------------------

def test_write_demo_roundtrip(tmp_path):
    paths = demo.write_demo(tmp_path / "out", n_customers=500, seed=3)
    mem = demo.generate_demo(n_customers=500, seed=3)
    assert sorted(paths) == ["campaigns", "customers", "interactions", "orders", "truth", "truth_customers"]
    assert {p.name for p in paths.values()} == {
        "customers.csv", "orders.csv", "interactions.csv", "campaigns.csv", "truth.json",
        "truth_customers.csv"}
    assert json.loads(paths["truth"].read_text(encoding="utf-8")) == mem.truth
    for name in ("customers", "orders", "interactions", "campaigns", "truth_customers"):
        frame = getattr(mem, name)
        text = paths[name].read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(frame.columns)
        read = pd.read_csv(paths[name], keep_default_na=False, na_values=[""], dtype=str)
        assert len(read) == len(frame), name
        assert list(read.columns) == list(frame.columns)
        for col in frame.columns:
            mine = frame[col]
            if pd.api.types.is_datetime64_any_dtype(mine):
                assert read[col].dropna().str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
                pd.testing.assert_series_equal(pd.to_datetime(read[col]).astype(mine.dtype), mine,
                                               check_names=False)
            elif pd.api.types.is_bool_dtype(mine):
                assert read[col].isin(["true", "false"]).all()
                assert ((read[col] == "true") == mine).all()
            elif pd.api.types.is_float_dtype(mine) or pd.api.types.is_integer_dtype(mine):
                assert np.allclose(read[col].astype(float), mine.astype(float), equal_nan=True), col
            else:
                assert (read[col].isna() == mine.isna()).all(), col
                assert (read[col].dropna() == mine.dropna().astype(str)).all(), col
    raw = paths["customers"].read_text(encoding="utf-8").splitlines()[1:]
    assert any(",," in line for line in raw)  # missing values are empty fields
    assert not any('"' in line for line in raw)


# --- the planted-truth object and parameters ------------------------------------------------------

def test_planted_is_frozen_and_documented():
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo.PLANTED.baseline_hazard = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        demo.PLANTED.plan_hr["premium"] = 1.0  # type: ignore[index]
    doc = demo.PlantedTruth.__doc__
    for f in dataclasses.fields(demo.PlantedTruth):
        assert f.name in doc, f.name
    p = demo.PLANTED
    assert (p.plan_hr["basic"], p.plan_hr["standard"], p.plan_hr["premium"]) == (1.0, 0.8, 0.6)
    assert p.campaign_hr_by_risk == {"low": 1.0, "medium": 0.5, "high": 0.85} and p.early_complaint_hr == 1.8 and p.nps_detractor_hr == 1.5
    for mix in (p.unit_shares, p.plan_mix, p.acquisition_channel_mix, p.region_mix,
                p.retail_category_mix, p.voluntary_reasons, p.involuntary_reasons):
        assert math.isclose(sum(mix.values()), 1.0)
    assert math.isclose(sum(p.nps_score_probs), 1.0)


def test_other_planted_values_change_the_data():
    no_invol = dataclasses.replace(demo.PLANTED, involuntary_share=0.0)
    d = demo.generate_demo(n_customers=1000, seed=2, planted=no_invol)
    assert (d.customers["churn_type"].dropna() == "voluntary").all()
    assert d.truth["planted"]["involuntary_share"] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_customers": 50}, "The 'n_customers' parameter of generate_demo must be an int >= 100. Got 50"),
        ({"n_customers": 1000.0}, "'n_customers' parameter .* Got 1000.0 instead"),
        ({"n_customers": True}, "'n_customers'"),
        ({"seed": -1}, "The 'seed' parameter of generate_demo must be an int >= 0. Got -1 instead."),
        ({"planted": {"renewal_hr": 2.0}}, "'planted' parameter of generate_demo must be a PlantedTruth"),
    ],
)
def test_invalid_parameters(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        demo.generate_demo(**kwargs)


def test_planted_referrals():
    """Referral-channel customers name an earlier customer of their unit; heavy buyers refer more (size-biased)."""
    from retention_utils.demo import PLANTED, generate_demo

    d = generate_demo(n_customers=20_000, seed=3)
    c = d.customers.set_index("customer_id")
    has = c.referred_by.notna()
    assert (has <= (c.channel == "referral")).all()
    assert has.sum() >= 0.99 * ((c.channel == "referral").sum() - 3)
    ref = c[has]
    referrer = c.loc[ref.referred_by.to_numpy()]
    assert (referrer.business_unit.to_numpy() == ref.business_unit.to_numpy()).all()
    assert (referrer.signup_date.to_numpy() <= ref.signup_date.to_numpy()).all()
    t = d.truth_customers.set_index("customer_id")
    retail = ref.business_unit == "retail"
    rates = t.loc[ref[retail].referred_by.to_numpy(), "purchase_rate"]
    mean, shape = PLANTED.retail_rate_mean, PLANTED.retail_rate_shape
    # signups grow over time, so earlier customers are a sample of the same Gamma: size-biased mean
    assert rates.mean() == pytest.approx(mean * (1 + 1 / shape), rel=0.08)
    # the referrals have their own random stream: other weights change the referrers, nothing else
    other = generate_demo(n_customers=2_000, seed=3, planted=dataclasses.replace(
        PLANTED, referral_weight={"subscriptions": "rate", "retail": "price", "b2b": "price"}))
    base = generate_demo(n_customers=2_000, seed=3)
    assert base.customers.drop(columns="referred_by").equals(other.customers.drop(columns="referred_by"))
    assert base.orders.equals(other.orders) and base.interactions.equals(other.interactions)
    assert not base.customers.referred_by.equals(other.customers.referred_by)
