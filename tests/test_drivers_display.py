"""The churn-drivers page (retention_utils.display.drivers): sections render, text is escaped, ids masked.

On the planted unit (tests/drivers_planted.py) every section renders from the analysis and from its
parts; data values reaching HTML are escaped; the at-risk table masks ids unless asked; the page
uses CSS classes only (no inline ``style=`` nor ``<style>`` of its own).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from retention_utils import drivers as drv
from retention_utils.display import drivers as ddrv
from retention_utils.display import drivers_words as ddrv_words
from retention_utils.plots import drivers as drvplot


def test_report_pieces_render(planted):
    data, analysis = planted
    res, ew = analysis.drivers, analysis.warning  # drv.early_warning(data, res) inside drivers_analysis
    loop = drv.closed_loop(data, reports_dir="")
    sentences = ddrv.headline_sentences(res, ew, loop)
    assert sentences[0].startswith("Contacting the riskiest 20% of customers first would have reached")
    assert "high risk" in " ".join(sentences)
    page = "".join(h.data for h in (ddrv.headline_html(res, ew, loop), ddrv.drivers_html(res),
                                    ddrv.model_quality_html(res), ddrv.reasons_html(res), ddrv.tiers_html(ew),
                                    ddrv.tradeoff_html(ew), ddrv.scorecard_html(ew), ddrv.closed_loop_html(loop),
                                    ddrv.about_html(res, data.config)))
    assert "payment_failed" in page  # churn reasons broken down
    masked = ddrv.at_risk_html(ew, show_ids=False, top_n=5).data
    assert ew.scores["customer_id"].iloc[0] not in masked
    assert ddrv.mask_id(ew.scores["customer_id"].iloc[0]) in masked
    assert ew.scores["customer_id"].iloc[0] in ddrv.at_risk_html(ew, show_ids=True, top_n=5).data
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    drvplot.plot_importance(res.importance, model=res.best_model, ax=axes[0, 0])
    drvplot.plot_odds_ratios(res.odds_ratios, ax=axes[0, 1])
    drvplot.plot_calibration(res.calibration, ax=axes[0, 2])
    drvplot.plot_gains(res.gains, ax=axes[0, 3])
    assert len(drvplot.plot_partial_dependence_panels(res.partial_dependence, axes=axes[1])) == 4
    assert drvplot.plot_tradeoff(ew.tradeoff, ax=axes[1, 0]).get_xlabel().startswith("customers flagged")


def test_html_escapes_data_values():
    x = '<script>alert("x")</script>'
    scores = pd.DataFrame({"customer_id": [x], "probability": [0.9], "tier": ["high"], "score": [50.0],
                           "reasons": [f"plan: {x}"], "value_at_risk": [9.0], "revenue_12m": [10.0],
                           "as_of": [dt.date(2026, 1, 1)], "horizon_days": [90]})
    ew = drv.EarlyWarning(scores, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                          dt.date(2026, 1, 1), 90, "logit", "EUR")
    page = ddrv.at_risk_html(ew, show_ids=True).data
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_whole_page_from_the_analysis(planted):
    data, analysis = planted
    page = ddrv.result_html(analysis).data
    assert page == analysis._repr_html_()
    for title in ("Headline", "What drives churn", "Model quality", "Risk tiers", "Targeting trade-off",
                  "At-risk customers", "Scorecard for the CRM team", "Did last time", "About this report"):
        assert title in page
    assert "style=" not in page and "<style" not in page  # CSS classes from templates/report.css only
    top = analysis.warning.scores["customer_id"].iloc[0]
    assert top not in page and ddrv.mask_id(top) in page  # show_customer_ids: false
    shown = dataclasses.replace(analysis, show_customer_ids=True)
    assert top in ddrv.at_risk_html(shown).data and top in ddrv.result_html(shown).data
    # each section takes the analysis or its part, with the same HTML
    assert ddrv.drivers_html(analysis).data == ddrv.drivers_html(analysis.drivers).data
    assert ddrv.tiers_html(analysis).data == ddrv.tiers_html(analysis.warning).data
    # the analysis' headline leads with its summary sentence and the reconciled customers scored (issue 12)
    whole = ddrv.headline_html(analysis).data
    assert analysis.headline_sentence() in whole and ddrv.population_sentence(analysis) in whole
    assert ddrv.about_html(analysis).data == ddrv.about_html(analysis.drivers, data.config).data
    assert ddrv.report_subtitle(analysis) == ddrv.report_subtitle(analysis.drivers, data.config,
                                                                  has_amounts=data.has_amounts)
    at_risk = int(analysis.warning.scores["tier"].isin(["high", "medium"]).sum())  # only high and medium listed
    assert ddrv.at_risk_html(analysis).data.count("<tr>") == 1 + min(at_risk, data.config.drivers.top_n)


def test_closed_loop_sentence_and_section():
    by_tier = pd.DataFrame({"tier": ["high", "medium", "low"], "n_customers": [10, 4, 5],
                            "predicted_rate": [0.6, 0.3, 0.1], "n_churned": [5, 1, 1],
                            "realized_rate": [0.5, 0.25, 0.2], "ci_lower": [0.24, 0.05, 0.04],
                            "ci_upper": [0.76, 0.7, 0.62], "n_reached": [3, 0, 0], "reached_share": [0.3, 0, 0],
                            "realized_rate_reached": [0.33, float("nan"), float("nan")],
                            "realized_rate_not_reached": [0.57, 0.25, 0.2]})
    loop = drv.ClosedLoop("partial", "2025-09", dt.date(2025, 10, 1), 30, 90, by_tier, notes=("Only 30 of <90>",))
    page = ddrv.closed_loop_html(loop).data
    assert "The list of 2025-09 (scored as of 1 Oct 2025)" in page and "50.0% (24.0%–76.0%)" in page
    assert "Only 30 of &lt;90&gt;" in page
    sentence = ddrv_words._loop_sentences(loop)[0]
    assert sentence.startswith("Check of the 2025-09 list: 10 customers were flagged high risk; 50% of them "
                               "churned so far (predicted 60%)")
