"""The survival page an executive reads (issue 12): one vocabulary, counts that reconcile, the cohort page's
month-12 figure explained, the small-sample rule, plain words first. Real values of the shared demo."""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from retention_utils import cohort_analysis
from retention_utils import survival as sv
from retention_utils.display import survival as ds
from retention_utils.plots import survival as svp
from retention_utils.vocabulary import technical_terms_in
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def demo_survival(demo_units) -> dict:
    return {u: sv.survival_analysis(d) for u, d in demo_units.items()}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_still_customers_after_12_months_and_the_cohort_pages_figure(demo_units, demo_survival):
    """Before: 55.7% on the cohort page and 59% here, both called 12-month retention, no word why."""
    a = demo_survival["subscriptions"]
    c = a.cohort_compare.iloc[0]
    assert (c.definition, c.n_customers, c.n_retained) == ("subscribed", 741, 446)  # 446 / 741 = 60.2%
    pooled = cohort_analysis(demo_units["subscriptions"]).pooled.set_index("period").loc[12]
    assert c.share == pooled.retention_rate  # the very number of the cohort page
    at12 = a.km_all.at_times.set_index("duration_months").loc[12]
    assert round(at12.survival, 3) == 0.622
    assert ds.cohort_sentence(a) == (
        "The cohort page shows 60.2% still subscribed in month 12, against 62% here (still customers after 12 "
        "months): it counts to the end of the 12th calendar month after the signup month (12 to 13 months after "
        "signup) and only the 741 customers who joined that long ago; here each customer counts from their own "
        "signup day, and recent customers for as long as they have been followed.")
    heads = ds.headline_sentences(a)
    assert "62% of customers are still customers after 12 months (likely 59% to 65%)." in heads[1]
    assert ds.cohort_sentence(a) in heads
    # retail: the cohort page's share buying in month 12 is higher (customers who came back count there)
    r = demo_survival["retail"]
    assert (r.cohort_compare["n_customers"].iloc[0], r.cohort_compare["n_retained"].iloc[0]) == (868, 198)
    assert ds.cohort_sentence(r).startswith("The cohort page's share of a cohort buying in month 12 is higher, "
                                            "22.8% of 868 customers, against 21% here (still customers after 12 "
                                            "months): it counts every customer who bought in that month, also those "
                                            "who had already churned")
    assert ds.cohort_sentence(demo_survival["b2b"]) == ""  # no estimate here, nothing to reconcile


def test_every_count_of_the_page_is_named_once_and_reconciled(demo_survival):
    """Before: 1,560 / 1,488 / 854 customers in different sections with nothing tying them together."""
    r = demo_survival["retail"]
    assert r.populations() == {"lives": 1488, "left_out_start": 72, "unit_customers": 1560, "groups_left_out": 0,
                               "model": 833, "early_leavers": 655, "model_missing": 0, "landmark_days": 30}
    assert ds.populations_sentence(r) == (
        "Who is counted: 1,560 customers in the unit = 1,488 customer lives followed + 72 first seen at the very "
        "start of the data (left out: they may have bought before it starts). What changes how fast customers leave "
        "is measured on 833 of them (655 left within their first 30 days, before the early-life signs are known).")
    s = demo_survival["subscriptions"]
    assert ds.populations_sentence(s) == (
        "Who is counted: 1,350 customer lives followed, every customer of the unit. What changes how fast customers "
        "leave is measured on 1,228 of them (122 left within their first 30 days, before the early-life signs are "
        "known).")
    for unit, a in demo_survival.items():
        page = _text(ds.result_html(a).data)
        numbers = set(re.findall(r"([\d,]+) customer lives followed", page))
        assert numbers == {f"{a.n_customers:,}"}, unit  # one name, one number
        p = a.populations()
        assert p["unit_customers"] == p["lives"] + p["left_out_start"]
        if "model" in p:
            assert p["lives"] == p["early_leavers"] + p["model_missing"] + p["model"]


def test_b2b_says_what_is_missing_instead_of_estimating(demo_survival):
    """4 churn events: no curve, share, interval, group test or ratio; one sentence says what is missing."""
    b = demo_survival["b2b"]
    want = ("Not shown: an estimate of how long customers stay needs at least 10 churn events; there are 4 among the "
            "80 customer lives followed (6 more needed).")
    assert b.lifetimes_shortfall() == want
    assert ds.headline_sentences(b) == ["80 customer lives followed, 4 of which have ended in churn.", want]
    page = ds.result_html(b).data
    assert page.count(want) == 2  # the headline and the top of its section, nowhere else
    for placeholder in ("n/a", "nan", "None", "Median not reached"):
        assert placeholder not in _text(page), placeholder
    estimates = _text("".join(f(b).data for f in (ds.headline_html, ds.lifetimes_html, ds.km_table_html,
                                                  ds.logrank_html, ds.rmst_html, ds.hazard_html, ds.cox_html)))
    assert "%" not in estimates and "interval" not in estimates  # no share, no interval from 4 events
    assert [svp.has_chart(b, p) for p in ("km", "hazard", "cox", "competing", "sensitivity")] == \
        [False, False, False, False, True]
    sens = _text(ds.sensitivity_html(b).data)
    assert "180 days (this unit) 80 4 too few churn events (4) too few churn events (4)" in sens
    assert "60 days 85 39 10.4 (7.0–15.5) 43% (30%–56%)" in sens  # 39 events: enough for that rule
    assert b.summary_frame()["metric"].tolist() == ["headline", "n_customers", "n_churn_events"]
    assert "curves and comparisons show all customers together" not in page  # there are no curves


def test_no_group_test_from_fewer_churn_events_than_it_needs(demo_survival):
    """A group with 5 churn events: no log-rank test, no p-value in the summary, one sentence instead."""
    a = demo_survival["subscriptions"]
    t = a.life.table.copy()
    premium = t.index[(t["plan"] == "premium") & t["event"]]
    t.loc[premium[5:], "event"] = False  # premium keeps 5 of its 58 churn events
    b = dataclasses.replace(a, km=sv.kaplan_meier(t, group_by="plan", times=sv.TIMES, min_customers=30))
    assert b.logrank_shortfall() == ("Not shown: a test of whether the groups really differ needs at least 10 churn "
                                     "events in every group; there are 5 in the group 'premium' (5 more needed).")
    assert "logrank_p_value" not in b.summary_frame()["metric"].tolist()
    assert ds.logrank_html(b).data == f"<p class='rk-shortfall'>{b.logrank_shortfall()}</p>".replace("'premium'",
                                                                                                      "&#x27;premium&#x27;")
    assert a.logrank_shortfall() is None  # 58, 177 and 283 events: enough


def test_plain_words_first(demo_survival):
    """Technical terms at most once per page, never in a headline (before: hazard ratio and restricted mean
    several times, 'log-rank', 'Kaplan-Meier' and 'Holm' in the section intros)."""
    limited = ("hazard_ratio", "kaplan_meier", "log_rank", "rmst", "chi_square", "holm", "p_value", "wilson")
    nb = (ROOT / "notebooks" / "survival.py").read_text(encoding="utf-8")
    markdown = " ".join(line[2:] for line in nb.splitlines() if line.startswith("# ") and not line.startswith("# %%"))
    for unit, a in demo_survival.items():
        page = _text(ds.result_html(a).data) + " " + markdown
        counts = technical_terms_in(page)
        assert all(counts.get(k, 0) <= 1 for k in limited), (unit, counts)
        heads = " ".join(ds.headline_sentences(a))
        assert not {k for k in technical_terms_in(heads) if k in limited}, unit
    heads = ds.headline_sentences(demo_survival["subscriptions"])
    assert ("Customers with a complaint in their first 30 days leave 1.9 times as fast as those without (likely 1.5 "
            "to 2.3).") in heads
    assert "Customers with plan 'premium' leave 48% more slowly than those with 'basic' (likely 29% to 61%)." in heads


def test_summary_frame_never_carries_a_placeholder(demo_survival):
    for a in demo_survival.values():
        s = a.summary_frame()
        assert np.isfinite(s.loc[s["metric"] != "headline", "value"].astype(float)).all()
        assert not s["label"].str.contains("n/a|nan|None", regex=True).any()


def test_a_rule_followed_for_less_than_12_months_says_so(demo_survival):
    """No placeholder when nobody has been followed 12 months under the unit's rule: a sentence instead."""
    r = demo_survival["retail"]
    sens = r.sensitivity.copy()
    own = sens["configured"]
    sens.loc[own, ["survival_at", "survival_ci_lower", "survival_ci_upper"]] = np.nan
    b = dataclasses.replace(r, sensitivity=sens)
    assert ds._sensitivity_sentence(b) == ("The share of customers not churned after 12 months cannot be estimated "
                                           "yet: no customer life has been followed that long under the unit's "
                                           "90-day rule.")
    row = _text(ds.sensitivity_html(b).data)
    assert "90 days (this unit) 1,488 977 2.7 (2.4–3.1) not estimable" in row and "nan" not in row
    assert ds._sensitivity_sentence(r).startswith("The churn definition matters: with the unit's 90-day rule 21% of "
                                                  "customers have not churned after 12 months; the share would be 8% "
                                                  "with 60 days, 31% with 120 days, 46% with 180 days.")
