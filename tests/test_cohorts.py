"""Cohort retention: hand-computed tiny cases, an independent loop on demo data, invariances."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from retention_utils import load_config, load_unit_data
from retention_utils.cohorts import (
    churn_control_chart,
    cohort_analysis,
    last_complete_period,
    recent_vs_trailing,
    retention_by_group,
)
from tests.conftest import TINY, copy_repo_params, demo_layout


def _spec(data, **changes):
    """The unit's cohorts params with some settings changed (model_copy: no validation, so None passes)."""
    return data.config.cohorts.model_copy(update=changes)


def _cell(table, cohort, period, col="n_retained"):
    row = table[(table.cohort == pd.Timestamp(cohort)) & (table.period == period)]
    return row[col].iloc[0]


def test_tiny_period_retention_by_hand():
    # Jan cohort {A, B}: A buys Jan, Feb; B buys Jan (and a Jan refund). Feb cohort {C}: C buys Feb, Apr.
    data = load_unit_data(load_config(TINY / "params", "shop"))
    t = cohort_analysis(data).table
    assert t[t.cohort == "2024-01-01"].n_retained.tolist() == [2, 1, 0, 0]
    assert t[t.cohort == "2024-01-01"].retention_rate.tolist() == [1.0, 0.5, 0.0, 0.0]
    feb = t[t.cohort == "2024-02-01"]
    assert feb.n_retained.iloc[:3].tolist() == [1, 0, 1]          # a reactivation counts in its period
    assert pd.isna(feb.n_retained.iloc[3]) and np.isnan(feb.retention_rate.iloc[3])  # May: not observable
    assert feb.observable.tolist() == [True, True, True, False]
    # revenue: Jan cohort period 0 = 100 + 80 - 20 (refund) = 160; period 1 = 50
    assert _cell(t, "2024-01-01", 1, "net_revenue_retention") == pytest.approx(50 / 160)
    # C spends 30 then 40: net 40/30, gross capped at the first-period spend: 30/30
    assert _cell(t, "2024-02-01", 2, "net_revenue_retention") == pytest.approx(40 / 30)
    assert _cell(t, "2024-02-01", 2, "gross_revenue_retention") == pytest.approx(1.0)
    assert _cell(t, "2024-01-01", 1, "cumulative_revenue_per_customer") == pytest.approx((160 + 50) / 2)
    # Wilson interval of 1/2
    assert _cell(t, "2024-01-01", 1, "ci_lower") == pytest.approx(0.0945312, abs=1e-6)


def test_tiny_unbounded_retention_by_hand():
    data = load_unit_data(load_config(TINY / "params", "shop"))
    t = cohort_analysis(data, _spec(data, definition="unbounded")).table
    assert t[t.cohort == "2024-01-01"].n_retained.tolist() == [2, 1, 0, 0]
    assert t[t.cohort == "2024-02-01"].n_retained.iloc[:3].tolist() == [1, 1, 1]  # C comes back in April


def test_only_period_zero_buyers_and_subscribed_definition(tmp_path):
    from tests.conftest import write_unit

    cust = ("customer_id,business_unit,signup_date,churn_date\n"
            "A,shop,2024-01-03,2024-02-10\nB,shop,2024-01-05,\nC,shop,2024-01-09,2024-01-30\nD,shop,2024-02-01,\n")
    orders = ("order_id,customer_id,order_date,amount\n1,A,2024-01-03,10\n2,B,2024-01-05,10\n3,C,2024-01-09,10\n"
              "4,D,2024-02-01,10\n5,B,2024-03-05,10\n")
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-03'\nchurn:\n  method: explicit\n")
    data = load_unit_data(load_config(params, "shop"))
    res = cohort_analysis(data)
    assert res.definition == "subscribed" and res.by == "signup"
    t = res.table
    # Jan cohort {A, B, C}: C cancels in January, A in February, B stays
    assert t[t.cohort == "2024-01-01"].n_retained.tolist() == [2, 1, 1]
    assert t[t.cohort == "2024-02-01"].n_retained.iloc[:2].tolist() == [1, 1]
    period = cohort_analysis(data, _spec(data, definition="period")).table
    # A, C bought only in period 0: period retention 1/3 in month 2 (B's March order)
    assert period[period.cohort == "2024-01-01"].n_retained.tolist() == [3, 0, 1]


def test_last_complete_period():
    assert last_complete_period(dt.date(2024, 4, 30), "month") == 2024 * 12 + 3
    assert last_complete_period(dt.date(2024, 4, 30), "quarter") == 2024 * 4 + 0  # Q2 not over
    assert last_complete_period(dt.date(2024, 6, 30), "quarter") == 2024 * 4 + 1
    sunday = dt.date(2024, 3, 31)  # a Sunday: that week is complete
    assert last_complete_period(sunday, "week") == ((sunday - dt.date(1970, 1, 1)).days + 3) // 7


def test_control_chart_by_hand():
    kpis = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=4, freq="MS"),
                         "n_customers_start": [100, 100, 100, 100], "n_churned": [10, 10, 10, 40],
                         "churn_rate": [0.1, 0.1, 0.1, 0.4], "warm_up": [False] * 4})
    c = churn_control_chart(kpis)
    assert np.isnan(c.centre.iloc[0])
    assert c.centre.iloc[3] == pytest.approx(0.1)
    assert c.ucl.iloc[3] == pytest.approx(0.1 + 3 * np.sqrt(0.09 / 100))
    assert c.alert.tolist() == ["", "", "", "above"]


def test_recent_vs_trailing_matches_statsmodels():
    table = pd.DataFrame({
        "cohort": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 2 + ["2024-03-01"] * 2),
        "cohort_idx": [1, 1, 2, 2, 3, 3], "period": [0, 1] * 3, "cohort_size": [50, 50, 60, 60, 40, 40],
        "n_retained": [50, 20, 60, 30, 40, 30], "observable": [True, True, True, True, True, True]})
    r = recent_vs_trailing(table, n_recent=1, n_trailing=2)
    row = r[r.period == 1].iloc[0]
    lo, hi = confint_proportions_2indep(30, 40, 50, 110, method="newcomb")
    assert row.trailing_rate == pytest.approx(50 / 110) and row.difference == pytest.approx(0.75 - 50 / 110)
    assert (row.diff_ci_lower, row.diff_ci_upper) == pytest.approx((lo, hi))
    assert bool(row.significant) == bool(lo > 0)


@pytest.fixture(scope="module")
def demo_params(tmp_path_factory):
    base = tmp_path_factory.mktemp("cohorts")
    return base, demo_layout(base, n_customers=1500, seed=5)


def _variant(base, tmp_path, transform) -> Path:
    """A copy of the demo data with ``transform(name, frame)`` applied to each CSV, beside the repo's params."""
    (tmp_path / "data" / "demo").mkdir(parents=True)
    for name in ("customers", "orders", "interactions", "campaigns"):
        df = pd.read_csv(base / "data" / "demo" / f"{name}.csv", dtype=str, keep_default_na=False)
        transform(name, df).to_csv(tmp_path / "data" / "demo" / f"{name}.csv", index=False)
    return copy_repo_params(tmp_path)


def _naive_period_retention(orders: pd.DataFrame, last_idx: int):
    """Per customer loop: cohort = month of first purchase; retained at k = bought in cohort month + k."""
    months = defaultdict(set)
    for cid, d, amt in zip(orders.customer_id, orders.order_date, orders.amount):
        if amt > 0:
            months[cid].add(d.year * 12 + d.month - 1)
    size = defaultdict(int)
    kept = defaultdict(int)
    for cid, ms in months.items():
        c = min(ms)
        size[c] += 1
        for m in ms:
            if m <= last_idx:
                kept[(c, m - c)] += 1
    return size, kept


def test_engine_equals_naive_loop_on_demo(demo_params):
    _, params = demo_params
    data = load_unit_data(load_config(params, "retail"))
    t = cohort_analysis(data, _spec(data, max_periods=None)).table
    orders = data.orders.to_pandas()
    last = data.month.year * 12 + data.month.month - 1
    size, kept = _naive_period_retention(orders, last)
    assert dict(t.groupby("cohort_idx").cohort_size.first()) == dict(size)
    obs = t[t.observable]
    got = {(c, k): int(n) for c, k, n in zip(obs.cohort_idx, obs.period, obs.n_retained) if n > 0}
    assert got == dict(kept)
    assert not t[~t.observable].n_retained.notna().any()  # blanks, never zeros


def _twin(name, df):
    twin = df.copy()
    twin["customer_id"] = "D" + twin["customer_id"]
    if name == "orders":
        twin["order_id"] = "D" + twin["order_id"]
    return pd.concat([df, twin])


DATE_COLUMNS = {"customers": ["signup_date", "churn_date"], "orders": ["order_date"], "interactions": ["date"],
                "campaigns": ["sent_date"]}


def _shift_4_years(name, df):
    # -4 years keeps every calendar fact the analysis uses: day of month, month lengths, leap days (into the
    # past: orders after the run date are set aside as future-dated)
    for col in DATE_COLUMNS[name]:
        d = pd.to_datetime(df[col].replace("", None))
        df[col] = (d - pd.DateOffset(years=4)).dt.strftime("%Y-%m-%d").fillna("")
    return df


def _both(params_a, params_b, unit):
    a_data = load_unit_data(load_config(params_a, unit))
    b_data = load_unit_data(load_config(params_b, unit))
    return cohort_analysis(a_data).table, cohort_analysis(b_data).table


def test_duplicating_data_doubles_counts_keeps_rates(demo_params, tmp_path):
    base, params = demo_params
    p2 = _variant(base, tmp_path, _twin)
    for unit in ("retail", "subscriptions"):
        a, b = _both(params, p2, unit)
        assert (b.cohort_size == 2 * a.cohort_size).all()
        assert (b.n_retained.fillna(-1) == (2 * a.n_retained).fillna(-1)).all()
        np.testing.assert_allclose(b.retention_rate, a.retention_rate, equal_nan=True)
        np.testing.assert_allclose(b.net_revenue_retention, a.net_revenue_retention, equal_nan=True)


def test_shifting_dates_by_whole_months_changes_nothing(demo_params, tmp_path):
    base, params = demo_params
    p2 = _variant(base, tmp_path, _shift_4_years)
    for unit in ("retail", "subscriptions"):
        a, b = _both(params, p2, unit)
        assert (b.cohort + pd.DateOffset(years=4) == a.cohort).all()
        cols = ["period", "cohort_size", "n_retained", "retention_rate", "net_revenue_retention"]
        pd.testing.assert_frame_equal(a[cols], b[cols])


def test_split_by_attribute_and_its_test(demo_params):
    _, params = demo_params
    data = load_unit_data(load_config(params, "subscriptions"))
    curves, test = retention_by_group(data, attribute="plan", by="signup", definition="subscribed")
    assert set(curves.group) == {"basic", "standard", "premium"}
    assert curves.retention_rate.between(0, 1).all()
    # the per-group counts add up to the pooled counts
    pooled = cohort_analysis(data, _spec(data, max_periods=24)).pooled.set_index("period")
    summed = curves.groupby("period")[["n_customers", "n_retained"]].sum()
    assert (summed.n_customers == pooled.n_customers.reindex(summed.index)).all()
    assert (summed.n_retained == pooled.n_retained.reindex(summed.index)).all()
    assert test.dof.iloc[0] == 2 and 0 <= test.p_value.iloc[0] <= 1
    with pytest.raises(ValueError, match="attribute 'colour' is not a customer column"):
        retention_by_group(data, attribute="colour")


def test_control_chart_with_no_comparable_month():
    kpis = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=2, freq="MS"), "n_customers_start": [0, 0],
                         "n_churned": [0, 0], "churn_rate": [np.nan, np.nan], "warm_up": [True, False]})
    assert churn_control_chart(kpis).empty


def test_recent_cohorts_never_compare_period_0_or_small_cohorts():
    """Issue 12 item 2: month 0 (100% vs 100%) is never compared; a 3-customer cohort is not called significant."""
    table = pd.DataFrame({
        "cohort": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 2 + ["2024-03-01"] * 2),
        "cohort_idx": [1, 1, 2, 2, 3, 3], "period": [0, 1] * 3, "cohort_size": [50, 50, 60, 60, 3, 3],
        "n_retained": [50, 20, 60, 30, 3, 0], "observable": [True] * 6})
    r = recent_vs_trailing(table, n_recent=2, n_trailing=2, min_customers=30)
    # Feb (60 customers) against Jan (50) at month 1 only; the 3-customer March cohort is left out
    assert r[["cohort", "period", "n_customers", "n_trailing_customers"]].values.tolist() == [
        [pd.Timestamp("2024-02-01"), 1, 60, 50]]
    assert r.retention_rate.iloc[0] == pytest.approx(0.5) and r.trailing_rate.iloc[0] == pytest.approx(0.4)
    # without a threshold March is compared, but month 0 still never is
    r = recent_vs_trailing(table, n_recent=2, n_trailing=2)
    assert (r.period >= 1).all() and len(r) == 2


@pytest.fixture(scope="module")
def b2b(tmp_path_factory):
    """B2B of the demo as make demo writes it (3,000 customers, seed 7), built here on any fresh clone."""
    from tests.conftest import DEMO_CUSTOMERS, DEMO_SEED

    params = demo_layout(tmp_path_factory.mktemp("b2b"), n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    return cohort_analysis(load_unit_data(load_config(params, "b2b")))


def test_b2b_small_cohorts_make_no_claims(b2b):
    """Demo B2B: every cohort has at most 6 customers (30 needed); one segment has 30 customers at month 3."""
    from retention_utils.display.cohorts import group_test_html, headline_sentences, recent_cohorts_html

    c = b2b
    assert c.largest_cohort() == 6 and c.recent.empty
    assert c.shortfall("heatmap") == ("Not shown: the cohort table needs at least 30 customers; there are 6 in the "
                                      "largest cohort (24 more needed).")
    assert c.shortfall("recent") == ("Not shown: a comparison of the latest cohorts with earlier ones needs at least "
                                     "30 customers; there are 6 in the largest of the latest 3 (24 more needed).")
    text = " ".join(headline_sentences(c))
    assert "The latest cohorts are too small to compare with earlier ones (at most 6 customers; 30 needed)." in text
    assert "significant" not in text and " pp " not in text and "cohort keeps buying" not in text
    assert "rk-shortfall" in recent_cohorts_html(c).data and "<table" not in recent_cohorts_html(c).data
    # no test with fewer than two groups of enough customers
    t = c.group_test.iloc[0]
    assert np.isnan(t.p_value) and t.n_groups == 1 and not t.significant
    assert t.not_tested == ("Not shown: a comparison of segment groups at month 3 needs at least 2 groups with 30 "
                            "customers each; 1 group has that many.")
    assert "Chi-square" not in group_test_html(c).data and "p =" not in group_test_html(c).data
    assert not (c.summary_frame().metric == "group_test_p_value").any()


def test_cohort_summary_headline_sentence(b2b):
    s = b2b.summary_frame()
    head = s[s.metric == "headline"]
    assert len(head) == 1 and head.unit.iloc[0] == "sentence" and np.isnan(head.value.iloc[0])
    assert head.label.iloc[0] == ("The share of a cohort buying in month 3 is 78.9% (76 customers followed for at "
                                  "least 3 months); the latest cohorts are too small to compare with earlier ones "
                                  "(at most 6 customers; 30 needed).")
    # the measure is named as the vocabulary's cohort_buying, never the survival page's "still customers"
    labels = s.loc[s.metric.str.startswith("retention_"), "label"].tolist()
    assert labels[:2] == ["Share of a cohort buying in month 1", "Share of a cohort buying in month 3"]


def test_cohort_page_names_its_measure_and_says_why_survival_differs(b2b):
    from retention_utils.cohorts import measure_name

    assert measure_name("period", "month", 3) == "share of a cohort buying in month 3"
    assert b2b.survival_note(12) == (
        "The survival page's figure for still customers after 12 months differs from the share of a cohort buying "
        "in month 12: a customer who did not buy in that month is still a customer there, while one who left and "
        "came back buys again here.")


def test_one_cohort_is_not_called_too_small(tmp_path):
    """A unit whose customers all joined in one month: nothing to compare with, whatever the cohort's size."""
    from retention_utils.display.cohorts import headline_sentences, recent_cohorts_html
    from tests.conftest import write_unit

    rows = "cust,date,amount\n" + "".join(f"C{i},2024-01-{1 + i % 28:02d},10\n" for i in range(40)) + "C0,2024-03-31,10\n"
    params = write_unit(tmp_path, files={"o.csv": rows}, sources={"orders": {
        "path": "../o.csv", "columns": {"customer_id": "cust", "order_date": "date", "amount": "amount"}}},
        unit_yaml="report_month: '2024-03'\n")
    c = cohort_analysis(load_unit_data(load_config(params, "shop")))
    assert c.largest_cohort() == 40 and c.recent.empty
    assert "There is one cohort so far: no earlier cohort to compare it with." in headline_sentences(c)
    assert "Not enough cohorts to compare." in recent_cohorts_html(c).data


def test_control_chart_tells_low_from_high():
    kpis = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=5, freq="MS"),
                         "n_customers_start": [1000] * 5, "n_churned": [100, 100, 100, 40, 180],
                         "churn_rate": [0.1, 0.1, 0.1, 0.04, 0.18], "warm_up": [False] * 5})
    c = churn_control_chart(kpis)
    # centre 0.1 for April: limits 0.1 -+ 3 sqrt(0.09/1000) = 0.0715 to 0.1285
    assert c.lcl.iloc[3] == pytest.approx(0.1 - 3 * np.sqrt(0.09 / 1000))
    assert c.alert.tolist() == ["", "", "", "below", "above"]
