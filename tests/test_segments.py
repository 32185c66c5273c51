"""RFM scores and segments, lifecycle stages: hand-made tables and the KPI overview's counts."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from retention_utils.calendar import index_to_month, month_index_py
from retention_utils.config import RfmSegment
from retention_utils.engine.value import STAGES
from retention_utils.kpis import monthly_kpis
from retention_utils.segments import (
    DEFAULT_SEGMENTS,
    LOST,
    NOT_YET,
    assign_segments,
    lifecycle_analysis,
    rfm_analysis,
    rfm_scores,
)


def test_scores_by_hand_with_ties():
    # six customers; by hand: score = 1 + floor(5 * (customers strictly worse) / 6)
    t = pd.DataFrame({"recency_days": [3, 3, 40, 90, 200, 10],
                      "frequency": [1, 1, 1, 2, 8, 3],
                      "monetary": [50.0, 20, 20, 100, 900, 60]})
    s = rfm_scores(t)
    # recency worse = larger: 200 -> 0 worse; 90 -> 1; 40 -> 2; 10 -> 3; the two 3s -> 4 worse each
    assert s["r_score"].tolist() == [1 + 5 * 4 // 6] * 2 + [1 + 5 * 2 // 6, 1 + 5 * 1 // 6, 1, 1 + 5 * 3 // 6]
    # frequency: the three 1s share the lowest score; 2 has 3 below; 3 has 4; 8 has 5
    assert s["f_score"].tolist() == [1, 1, 1, 1 + 5 * 3 // 6, 1 + 5 * 5 // 6, 1 + 5 * 4 // 6]
    # monetary: 20, 20 -> 1; 50 -> 2 below; 60 -> 3; 100 -> 4; 900 -> 5
    assert s["m_score"].tolist() == [1 + 5 * 2 // 6, 1, 1, 1 + 5 * 4 // 6, 1 + 5 * 5 // 6, 1 + 5 * 3 // 6]
    assert s["fm_score"].tolist() == [int(np.floor((f + m) / 2 + 0.5)) for f, m in zip(s.f_score, s.m_score)]
    # equal inputs always get equal scores, whatever the row order
    shuffled = rfm_scores(t.iloc[::-1].reset_index(drop=True))
    assert shuffled[["r_score", "f_score", "m_score"]].iloc[::-1].to_numpy().tolist() == \
        s[["r_score", "f_score", "m_score"]].to_numpy().tolist()


def test_one_customer_and_no_amounts():
    s = rfm_scores(pd.DataFrame({"recency_days": [5], "frequency": [2], "monetary": [np.nan]}))
    assert s[["r_score", "f_score", "m_score", "fm_score"]].iloc[0].tolist() == [1, 1, 1, 1]
    assert rfm_scores(pd.DataFrame({"recency_days": [], "frequency": [], "monetary": []})).empty


def test_default_map_covers_every_cell_and_known_cells():
    cells = pd.DataFrame(list(itertools.product(range(1, 6), range(1, 6))), columns=["r_score", "fm_score"])
    seg = assign_segments(cells)
    assert (seg != "Other").all()
    got = dict(zip(zip(cells.r_score, cells.fm_score), seg))
    assert got[(5, 5)] == got[(5, 4)] == "Champions"
    assert got[(1, 1)] == got[(2, 1)] == got[(1, 2)] == "Hibernating"  # "Lost" is churned, never a score cell
    assert got[(1, 5)] == got[(2, 5)] == "Can't lose them"
    assert got[(2, 3)] == "At risk" and got[(5, 1)] == "New" and got[(4, 1)] == "Promising"
    assert got[(3, 3)] == "Need attention" and got[(3, 2)] == "About to sleep" and got[(3, 5)] == "Loyal"
    assert {s.name for s in DEFAULT_SEGMENTS} == set(seg)  # every segment is reachable
    assert LOST not in set(seg)


def test_custom_map_first_match_wins_and_gaps_are_other():
    cells = pd.DataFrame({"r_score": [5, 5, 1], "fm_score": [5, 1, 1]})
    segs = [RfmSegment(name="Top", r=(4, 5), fm=(4, 5)), RfmSegment(name="Recent", r=(5, 5), fm=(1, 5))]
    assert assign_segments(cells, segs).tolist() == ["Top", "Recent", "Other"]


@pytest.mark.parametrize("unit", ["retail", "subscriptions", "b2b"])
def test_lifecycle_counts_equal_the_kpi_overview(demo_units, unit):
    data = demo_units[unit]
    life = lifecycle_analysis(data)
    k = monthly_kpis(data).set_index("month")
    # a subscriber who signs up and cancels within one month is churned at its end, not new
    same_month = pd.Series(dtype="int64")
    if data.config.churn.method == "explicit":
        c = data.customers.select("signup_date", "churn_date").to_pandas().dropna()
        s, e = pd.to_datetime(c.signup_date), pd.to_datetime(c.churn_date)
        same_month = s[s.dt.to_period("M") == e.dt.to_period("M")].dt.to_period("M").dt.start_time.value_counts()
    for month, g in life.counts.groupby("month"):
        n = g.set_index("stage")["n_customers"]
        row = k.loc[pd.Timestamp(month)]
        assert n["churned"] == row.n_churned_total_end, month
        assert n["dormant"] == row.n_dormant_end, month
        assert n[["new", "reactivated", "growing", "mature", "declining"]].sum() == row.n_active_end, month
        # dormant_days (45) > any day of the month: nobody new is dormant
        assert n["new"] == row.n_new - same_month.get(pd.Timestamp(month), 0), month
        assert n["reactivated"] == row.n_reactivated, month
    assert len(life.counts) == len(STAGES) * data.config.value.lifecycle.months


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_flows_add_up_to_both_months(demo_units, unit):
    data = demo_units[unit]
    life = lifecycle_analysis(data)
    months = sorted(life.counts["month"].unique())
    f = life.flows
    assert f[f.from_stage != NOT_YET].n_customers.sum() == life.at(months[-2]).sum()
    assert f.n_customers.sum() == life.at().sum()
    assert f.groupby("to_stage").n_customers.sum().reindex(list(STAGES), fill_value=0).tolist() == \
        life.at().tolist()
    # customers acquired this month come from outside and are new (nobody reactivates without a past)
    entering = f[f.from_stage == NOT_YET]
    assert entering.n_customers.sum() == monthly_kpis(data).iloc[-1].n_new
    assert set(f[f.to_stage == "reactivated"].from_stage) <= {"churned", "dormant"}


def test_rfm_on_the_demo_retail_unit(demo_units):
    data = demo_units["retail"]
    r = rfm_analysis(data)
    c = r.customers
    # everyone who bought by the month end, once
    assert c.customer_id.is_unique and len(c) == int(r.segments.n_customers.sum())
    assert r.segments.share.sum() == pytest.approx(1.0)
    assert r.segments.revenue_share.sum() == pytest.approx(1.0)
    # transitions: every current customer once; last month's customers are all accounted for
    assert r.transitions.n_customers.sum() == len(c)
    prev = r.segments.n_customers_prev.sum()
    assert r.transitions[r.transitions.from_segment != NOT_YET].n_customers.sum() == prev
    assert (r.segments.n_customers - r.segments.n_customers_prev == r.segments.delta).all()
    # "Lost" is exactly the churned customers (the KPI overview's count), and they are not scored
    lost = c[c.segment == LOST]
    assert len(lost) == monthly_kpis(data).iloc[-1].n_churned_total_end
    assert (lost.stage == "churned").all() and lost.r_score.isna().all()
    assert (lost.recency_days > data.config.churn.inactivity_days).all()
    assert c.loc[c.segment != LOST, "r_score"].notna().all()
    # segment churn rates: Champions churn less than the customers losing touch
    seg = r.segments.set_index("segment")
    rated = seg.dropna(subset=["churn_rate"])
    assert rated.loc["Champions", "churn_rate"] == rated.churn_rate.min()
    assert rated.churn_rate.max() > 2 * rated.loc["Champions", "churn_rate"]
    lo, hi = seg.loc["Champions", ["churn_rate_ci_lower", "churn_rate_ci_upper"]]
    assert lo <= seg.loc["Champions", "churn_rate"] <= hi
    ch = seg.loc["Champions"]
    assert ch.churn_rate == pytest.approx(ch.n_churned / ch.churn_base)


def test_rfm_flags_small_segments(demo_units):
    r = rfm_analysis(demo_units["b2b"])  # 90 accounts: no segment reaches 30 for a churn rate
    assert r.segments.churn_rate.isna().all()
    assert r.notes.note.str.contains("Not shown: the churn rate of").any()


def test_month_is_respected(demo_units):
    """Orders after the report month never change the scores (no look-ahead)."""
    data = demo_units["retail"]
    r = rfm_analysis(data)
    assert (r.customers.recency_days >= 0).all()
    first_next = index_to_month(month_index_py(data.month) + 1)
    assert r.month < first_next
