"""The churn models (retention_utils.drivers.models): the planted effects are recovered.

Reference values: the demo generator's planted truths (:data:`retention_utils.demo.PLANTED`) on
the planted unit (tests/drivers_planted.py). The models' own doctests check them by hand; the
reference levels of the logistic regression are checked by hand in test_drivers_params.
"""
from __future__ import annotations

from retention_utils.demo import PLANTED


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
