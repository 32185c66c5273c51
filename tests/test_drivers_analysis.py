"""The drivers analysis of a unit (retention_utils.drivers.analysis): churn_drivers and drivers_analysis.

Reference values: the planted unit (tests/drivers_planted.py) for the analysis contract (its
summary rows are the numbers of its parts), the shared demo's b2b unit (too few churners to fit a
model), hand-made units too short for one horizon or where every training customer churned.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import drivers as drv
from retention_utils import load_config, load_unit_data
from retention_utils.demo import write_demo
from retention_utils.display import drivers as ddrv
from retention_utils.plots import drivers as drvplot
from retention_utils.results import NOTE_COLUMNS, SUMMARY_COLUMNS
from tests.conftest import ROOT, write_unit

# ----------------------------------------------------------------------------- the analysis contract


def test_analysis_bundles_the_parts_and_summarises_them(planted):
    data, a = planted
    assert isinstance(a, drv.DriversAnalysis) and a.drivers.ok and a.loop.status == "none"
    assert dataclasses.is_dataclass(a) and a.currency == data.config.currency and a.horizon_days == 90
    assert a.tier_thresholds == (0.3, 0.15) and a.churn_method == "explicit" and not a.show_customer_ids
    # notes: one frame, the three parts' notes in order, each with its section
    assert list(a.notes.columns) == list(NOTE_COLUMNS)
    assert a.notes["note"].tolist() == list(a.drivers.notes) + list(a.warning.notes) + list(a.loop.notes)
    assert a.section_notes("closed_loop") == list(a.loop.notes)
    assert set(a.notes["section"]) <= {"drivers", "early_warning", "closed_loop"}
    s = a.summary_frame()
    assert list(s.columns) == list(SUMMARY_COLUMNS) and (s["analysis"] == "drivers").all()
    assert set(s["unit"]) <= {"customers", "share", "auc", "sentence", a.currency}
    assert (s["metric"] == "headline").sum() == 1  # issue 12: one plain sentence for the unit summary
    m = s[s["compared_to"] == ""].set_index("metric")
    best = a.drivers.best_model
    assert m.loc["roc_auc", "value"] == a.drivers.metric(best, "roc_auc")
    auc_vs = s[(s["metric"] == "roc_auc") & (s["compared_to"] == "baseline rule")].iloc[0]
    assert auc_vs["delta"] == pytest.approx(a.drivers.metric(best, "roc_auc") - a.drivers.metric("baseline", "roc_auc"))
    ev = a.drivers.counts.set_index("set").loc["evaluate"]
    assert m.loc["churn_base_rate", "value"] == ev["churn_rate"]
    assert m.loc["churn_base_rate", "ci_lower"] <= ev["churn_rate"] <= m.loc["churn_base_rate", "ci_upper"]
    tiers = a.warning.tiers.set_index("tier")
    for tier in drv.TIER_ORDER:
        assert m.loc[f"n_customers_{tier}_tier", "value"] == tiers.loc[tier, "n_customers"]
        assert m.loc[f"value_at_risk_{tier}_tier", "value"] == pytest.approx(tiers.loc[tier, "value_at_risk"])
        assert m.loc[f"value_at_risk_{tier}_tier", "unit"] == a.currency
    assert m.loc["expected_churners_high_tier", "value"] == pytest.approx(tiers.loc["high", "expected_churners"])
    assert m.loc["n_customers_scored", "value"] == len(a.warning.scores)
    assert not s["metric"].str.startswith("realized_churn_rate").any()  # no earlier list to check
    assert "<h3>" in a._repr_html_()


def test_closed_loop_rows_in_the_summary():
    by_tier = pd.DataFrame({"tier": ["high", "medium", "low"], "n_customers": [10, 0, 5],
                            "predicted_rate": [0.6, np.nan, 0.1], "n_churned": [5, 0, 1],
                            "realized_rate": [0.5, np.nan, 0.2], "ci_lower": [0.24, np.nan, 0.04],
                            "ci_upper": [0.76, np.nan, 0.62]})
    loop = drv.ClosedLoop("partial", "2025-09", dt.date(2025, 10, 1), 30, 90, by_tier)
    empty = drv.DriversResult(status="no_cutoffs", design="out_of_time", validation="", notes=(), horizon_days=90,
                              plan=None, **{k: pd.DataFrame() for k in ("counts", "metrics", "calibration", "gains",
                                                                       "importance", "odds_ratios",
                                                                       "partial_dependence", "leakage", "reasons")})
    ew = drv.EarlyWarning(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, 90,
                          "", "EUR")
    a = drv.DriversAnalysis(empty, ew, loop, pd.DataFrame(columns=list(NOTE_COLUMNS)), currency="EUR")
    s = a.summary_frame()
    assert s["metric"].tolist() == ["headline", "realized_churn_rate_high_tier", "realized_churn_rate_low_tier"]
    hi = s.iloc[1]
    assert (hi["value"], hi["ci_lower"], hi["ci_upper"], hi["compared_to"]) == (0.5, 0.24, 0.76, "predicted")
    assert hi["delta"] == pytest.approx(-0.1) and "so far" in hi["label"] and "2025-09" in hi["label"]


def test_spec_argument_overrides_the_params(demo_units):
    data = demo_units["b2b"]
    spec = data.config.drivers.model_copy(update={"tiers": data.config.drivers.tiers.model_copy(
        update={"high": 0.9, "medium": 0.8})})
    a = drv.drivers_analysis(data, spec)
    assert a.tier_thresholds == (0.9, 0.8) and a.warning.tier_thresholds == (0.9, 0.8)
    assert ((a.warning.scores["tier"] == "high") == (a.warning.scores["probability"] >= 0.9)).all()


# ----------------------------------------------------------------------------- too few churners


def test_too_few_churners_gives_a_note_not_a_crash(demo_units, tmp_path):
    data = demo_units["b2b"]  # the shared demo's b2b unit has too few churners to model
    a = drv.drivers_analysis(data, reports_dir=tmp_path)  # churn_drivers, early_warning and closed_loop
    res, ew, loop = a.drivers, a.warning, a.loop
    assert res.status == "too_few_churners" and not res.ok
    assert res.notes[0].startswith("Too few churners to fit and check a churn model")
    assert len(ew.scores) > 0 and ew.model == "baseline" and ew.scores["score"].isna().all()
    assert ew.scores["reasons"].str.startswith("no purchase for").all()
    assert drv.write_at_risk_list(ew, tmp_path).exists()
    assert "customers who left in the training months" in ddrv.headline_html(res, ew).data  # issue 12: shortfall
    # every call the notebook makes works on a unit without a model
    for h in (ddrv.drivers_html(res), ddrv.model_quality_html(res), ddrv.reasons_html(res), ddrv.tiers_html(ew),
              ddrv.tradeoff_html(ew), ddrv.at_risk_html(ew), ddrv.scorecard_html(ew), ddrv.closed_loop_html(loop),
              ddrv.about_html(res, data.config)):
        assert isinstance(h.data, str)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    drvplot.plot_importance(res.importance, model=res.best_model, ax=axes[0, 0])
    drvplot.plot_odds_ratios(res.odds_ratios, ax=axes[0, 1])
    drvplot.plot_calibration(res.calibration, ax=axes[0, 2])
    drvplot.plot_gains(res.gains, ax=axes[0, 3])
    drvplot.plot_tradeoff(ew.tradeoff, ax=axes[1, 0])
    drvplot.plot_partial_dependence_panels(res.partial_dependence, axes=axes[1, 1:])
    # the whole analysis of such a unit: summary rows without a model
    s = a.summary_frame()
    assert "roc_auc" not in set(s["metric"]) and "n_customers_high_tier" in set(s["metric"])
    assert a.notes.iloc[0]["subject"] == "no model" and "no customer is flagged as at risk" in ddrv.result_html(a).data


def test_data_too_short_for_one_horizon(tmp_path):
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,10\n2,B,2024-02-01,10\n3,A,2024-02-20,10\n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-02'\n")
    data = load_unit_data(load_config(params, "shop"))
    res = drv.churn_drivers(data)
    assert res.status == "no_cutoffs" and "too short" in res.notes[0]
    ew = drv.early_warning(data, res)
    assert ew.scores.empty and "No customer could be scored" in ew.notes[0]
    s = drv.drivers_analysis(data).summary_frame()
    assert s["metric"].tolist() == ["headline"] and list(s.columns) == list(SUMMARY_COLUMNS)
    assert "the data is too short" in s["label"].iloc[0]  # issue 12: what is missing instead


def test_unit_where_every_training_customer_churned_gets_no_model_and_says_why(tmp_path):
    """One-time buyers under inactivity churn: every training row is a churner, so there is nothing to
    tell churners apart from (this crashed CalibratedClassifierCV with 'y should be a 1d array')."""
    lines = ["order_id,customer_id,order_date,amount"]
    start = dt.date(2024, 1, 1)
    for i in range(400):  # one purchase each, spread over two years
        day = start + dt.timedelta(days=(i * 37) % 700)
        lines.append(f"{i},C{i:04d},{day.isoformat()},{10 + i % 7}")
    lines.append("9999,C0000,2025-12-31,5")  # the data reach the end of the last month
    params = write_unit(tmp_path, files={"orders.csv": "\n".join(lines) + "\n"},
                        sources={"orders": {"path": "../orders.csv"}})
    data = load_unit_data(load_config(params, "shop"))
    res = drv.churn_drivers(data, min_churners=20, min_eval_churners=5)
    assert res.status == "too_few_churners"
    assert res.notes[0].startswith("Too few customers who stayed to fit and check a churn model")
    assert "nearly every customer churned" in res.notes[0]
    assert "Too few customers who stayed" in ddrv.headline_html(res, drv.early_warning(data, res)).data


# ----------------------------------------------------------------------------- the notebook, end to end


def _notebook_uses_this_api() -> bool:
    """False while the churn_drivers notebook still calls the API from before issue 10 (the lead rewrites it)."""
    sources = [p for p in (ROOT / "notebooks").glob("churn_drivers.*") if p.suffix in (".ipynb", ".py")]
    return bool(sources) and not any("plotting_drivers" in p.read_text(encoding="utf-8") for p in sources)


@pytest.mark.slow
@pytest.mark.skipif(not _notebook_uses_this_api(), reason="notebooks/churn_drivers still calls the API from before "
                    "issue 10 (retention_utils.plotting_drivers); the lead rewrites it")
def test_notebook_runs_and_writes_the_list(tmp_path):
    """papermill + HTML for a unit with a model and an earlier list to check (the degraded path of a unit
    without a model is run call by call in test_too_few_churners_gives_a_note_not_a_crash)."""
    from retention_utils.report import run_month

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
