"""The executive views: tiles with changes and traffic lights, headline sentences, the portfolio's comparisons."""
from __future__ import annotations

import math

import pandas as pd

from retention_utils.display.executive import portfolio_view, tiles, unit_view
from retention_utils.pages import UnitResult


def _unit(unit="shop", churn=0.10, d_prev=0.014, d_year=float("nan"), revenue=43749.0, targets=None,
          status="ok", label=None) -> UnitResult:
    head = [{"kpi": "churn_rate", "label": "Monthly churn rate", "kind": "rate", "higher_is_better": False,
             "value": churn, "delta_previous": d_prev, "pct_previous": None, "delta_last_year": d_year,
             "pct_last_year": None},
            {"kpi": "net_revenue", "label": "Net revenue", "kind": "money", "higher_is_better": True,
             "value": revenue, "delta_previous": -2004.0, "pct_previous": -0.044, "delta_last_year": 13464.0,
             "pct_last_year": 0.445}]
    return UnitResult(unit=unit, label=label or unit.title(), month="2025-12", status=status, headline=head,
                      currency="EUR", params={"targets": targets or {}},
                      quality={"read": 1000, "used": 990, "excluded": 8, "dropped": 2, "balanced": True})


def _summary(n_high: float, at_risk: float, sentence: str = "") -> pd.DataFrame:
    rows = [("drivers", "n_customers_high_tier", "High", n_high, "customers"),
            ("drivers", "revenue_at_risk", "At risk", at_risk, "EUR")]
    if sentence:
        rows.append(("drivers", "headline", sentence, math.nan, "sentence"))
    return pd.DataFrame(rows, columns=["analysis", "metric", "label", "value", "unit"]).assign(compared_to="")


def test_tiles_show_both_changes_a_missing_year_and_the_light():
    t = {x["kpi"]: x for x in tiles(_unit(targets={"churn_rate": {"good": 0.08, "bad": 0.12}}))}
    churn = t["churn_rate"]
    assert (churn["value"], churn["prev"], churn["prev_tone"]) == ("10.0%", "+1.4 pp vs Nov 2025", "bad")
    assert churn["year"] == "no figure for Dec 2024"  # never "n/a"
    assert (churn["light"], churn["light_text"]) == ("amber", "watch: between 8.0% and 12.0%")
    rev = t["net_revenue"]
    assert rev["prev"] == "-EUR 2,004 (-4.4%) vs Nov 2025" and rev["year"] == "+EUR 13,464 (+44.5%) vs Dec 2024"
    assert rev["light"] == ""  # no target set: no light


def test_unit_view_sentences_badge_and_reports():
    res = _unit()
    res.notebooks = [{"name": "churn_drivers", "html": "churn_drivers.html", "status": "ok", "ipynb": "x.ipynb",
                      "seconds": 3.0}]
    v = unit_view(res, _summary(5, 1200.0, "5 customers at high risk hold EUR 1,200."))
    assert v["sentences"] == ["5 customers at high risk hold EUR 1,200."]
    assert v["badge"]["level"] == "good" and "990 input rows used; 2 left out for data problems (0.2% of the rows in scope)" in v["badge"]["text"]
    assert v["reports"][0]["title"] == "Churn drivers and at-risk list"


def test_portfolio_sums_revenue_at_risk_and_names_the_worst_unit():
    units = [(_unit("a", churn=0.10, d_prev=0.014), _summary(200, 25000.0)),
             (_unit("b", churn=0.04, d_prev=-0.011), _summary(2, 5000.0)),
             (_unit("c", churn=0.00, d_prev=0.0), _summary(0, 0.0))]
    p = portfolio_view(units, "2025-12")
    assert p["sentences"][0] == ("The monthly churn rate fell in 1 of 3 units against last month, rose in 1 and "
                                 "held in 1; it rose most in A (+1.4 pp, now 10.0%).")
    assert p["sentences"][1] == "Revenue at risk in the high-risk tiers: EUR 30,000 in all; A holds EUR 25,000 (83%)."
    c = p["rows"][2]
    assert c["at_risk"] == "" and c["has_model"]  # 0 customers at high risk: no amount shown beside them
    none = portfolio_view([(_unit("d"), _summary(0, float("nan")))], "2025-12")["rows"][0]
    assert none["at_risk"] == "" and not none["has_model"]  # no list at all: "no at-risk list this month"
    assert p["rows"][0]["matters"] == "Monthly churn rate rose 1.4 pp to 10.0%."


def test_portfolio_never_says_all_of_it_when_another_unit_holds_some():
    """EUR 869 of EUR 418,960 in a second unit: 99.8%, not "all of it"; "all of it" only when the rest hold 0."""
    nearly = [(_unit("a"), _summary(200, 418_091.0)), (_unit("b"), _summary(13, 869.0))]
    assert portfolio_view(nearly, "2025-12")["sentences"][1] == (
        "Revenue at risk in the high-risk tiers: EUR 418,960 in all; A holds EUR 418,091 (99.8%).")
    alone = [(_unit("a"), _summary(200, 5000.0)), (_unit("b"), _summary(0, 0.0))]
    assert portfolio_view(alone, "2025-12")["sentences"][1].endswith("EUR 5,000 in all; all of it in A.")


def test_portfolio_reads_last_months_revenue_at_risk_from_the_ledger():
    ledger = pd.DataFrame({"unit": ["a"], "month": ["2025-11"], "analysis": ["drivers"],
                           "metric": ["revenue_at_risk"], "value": [20000.0]})
    p = portfolio_view([(_unit("a"), _summary(200, 25000.0))], "2025-12", ledger)
    assert p["rows"][0]["at_risk_prev"] == ("+EUR 5,000 (+25.0%) vs last month", "bad")


def test_a_failed_unit_says_so_in_the_portfolio():
    p = portfolio_view([(_unit("a", status="failed"), None)], "2025-12")
    assert p["rows"][0]["matters"].startswith("The report failed")
    assert "1 unit failed and needs attention: A." in p["sentences"]


def test_a_churn_rate_of_too_few_customers_is_neither_a_tile_nor_a_held_unit():
    """1 customer at the start of the month (Iceland in online retail): no churn tile, no 'held' in the portfolio;
    the same unit with 40 customers shows both."""
    tiny, fine = _unit("tiny", churn=0.0, d_prev=0.0), _unit("fine", churn=0.05, d_prev=0.01)
    tiny.headline[0]["n_obs"], fine.headline[0]["n_obs"] = 1, 40
    assert "churn_rate" not in {t["kpi"] for t in tiles(tiny)} and "churn_rate" in {t["kpi"] for t in tiles(fine)}
    p = portfolio_view([(tiny, _summary(0, 0.0)), (fine, _summary(0, 0.0))], "2025-12")
    assert p["sentences"][0].startswith("The monthly churn rate fell in 0 of 1 unit against last month, rose in 1")
    assert p["rows"][0]["churn"] == "too few customers" and p["rows"][1]["churn"] == "5.0%"
    tiny.params = {"thresholds": {"min_customers": 1}}  # the unit's own threshold counts
    assert "churn_rate" in {t["kpi"] for t in tiles(tiny)}
