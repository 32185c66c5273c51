"""Churn drivers of a snapshot unit: one row per customer with a churn flag (issue 9, item 10).

``snapshot_drivers(data)`` reads ``data.kind``, ``data.snapshot`` (an Ibis
table: customer_id, tenure_months, churned, optional churn_type /
churn_reason / start_date / end_date, attributes) and ``data.config``; the
tests build such an object from pandas (``ibis.memtable``) and, once, through
the real loader. Reference value: the IBM telco table's logistic regression
reaches a cross-validated ROC AUC of about 0.84 (0.83-0.86 in the public
analyses, and :func:`drivers_from_table` on the raw CSV in test_drivers).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils import drivers as drv
from retention_utils import load_config
from retention_utils.display import drivers as ddrv
from retention_utils.errors import ConfigError


@dataclasses.dataclass
class FakeSnapshotUnit:
    """The attributes of a snapshot UnitData that the drivers read."""

    config: Any
    snapshot: Any
    kind: str = "snapshot"
    month_end: dt.date | None = dt.date(2024, 12, 31)


def _config(tmp_path: Path, drivers: dict | None = None) -> Any:
    p = tmp_path / "params"
    p.mkdir(exist_ok=True)
    (p / "defaults.yaml").write_text(yaml.safe_dump({"sources": {"snapshot": {"path": "snapshot.csv"}}}))
    (p / "snap.yaml").write_text(yaml.safe_dump({"report_month": "2024-12", "drivers": drivers or {}}))
    return load_config(p, "snap")


def _synthetic(n: int = 600, seed: int = 1) -> pd.DataFrame:
    """Plan and tenure drive churn; region is noise; reasons and dates recorded for churners only."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "pro", "team"], size=n, p=[0.5, 0.3, 0.2])
    tenure = rng.uniform(1, 60, size=n).round()
    logit = -0.3 + np.select([plan == "basic", plan == "pro"], [0.8, -0.4], -1.0) - 0.03 * tenure
    churned = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, size=n), unit="D")
    return pd.DataFrame({
        "customer_id": [f"S{i:04d}" for i in range(n)], "tenure_months": tenure, "churned": churned,
        "churn_type": np.where(churned, rng.choice(["voluntary", "involuntary"], size=n), None),
        "churn_reason": np.where(churned, rng.choice(["price", "=cmd|' /C calc'!A0"], size=n), None),
        "start_date": start.date, "end_date": np.where(churned, (start + pd.Timedelta(days=400)).date, None),
        "plan": plan, "region": rng.choice(["north", "south"], size=n)})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("snap")
    df = _synthetic()
    data = FakeSnapshotUnit(_config(tmp, {"reference_levels": {"plan": "team"}, "tiers": {"high": 0.5,
                                                                                         "medium": 0.3}}),
                            ibis.memtable(df))
    return df, data, drv.snapshot_drivers(data, n_repeats=1)


def test_snapshot_result_is_cross_validated_and_says_so(synthetic):
    df, data, res = synthetic
    assert res.ok and res.design == "stratified_cv" and res.plan is None
    assert "not an out-of-time test" in res.validation
    # features: tenure and the attributes; never the id, the flag, the reasons or the dates
    assert set(res.numeric) | set(res.categorical) == {"tenure_months", "plan", "region"}
    assert res.counts["n_customers"].tolist() == [600] and res.counts["n_churned"].tolist() == [int(df.churned.sum())]
    # the reference level from params: the odds ratios of basic and pro are against team
    o = res.odds_ratios[res.odds_ratios["feature"] == "plan"]
    assert set(o["reference"]) == {"team"} and set(o["level"]) == {"basic", "pro"}
    assert o.set_index("level").loc["basic", "odds_ratio"] > o.set_index("level").loc["pro", "odds_ratio"] > 1
    # the reasons recorded at churn are broken down, by type and reason
    r = res.reasons
    assert r["n_churned"].sum() == df.churned.sum() and set(r["churn_type"]) == {"voluntary", "involuntary"}
    # churn_drivers sends a snapshot unit here
    assert drv.churn_drivers(data).design == "stratified_cv"


def test_snapshot_early_warning_scores_the_customers_who_stayed(synthetic, tmp_path):
    df, data, res = synthetic
    ew = drv.early_warning(data, res)
    stayed = df.loc[~df["churned"], "customer_id"]
    assert sorted(ew.scores["customer_id"]) == sorted(stayed)
    # their probability is the out-of-fold one of the best model (models that did not see them)
    ev = res.eval_predictions.set_index("customer_id")[f"p_{res.best_model}"]
    got = ew.scores.set_index("customer_id")["probability"]
    np.testing.assert_allclose(got.to_numpy(), ev.loc[got.index].to_numpy())
    assert ew.scores["probability"].is_monotonic_decreasing
    assert ew.design == "stratified_cv" and ew.horizon_days == 0 and ew.as_of == dt.date(2025, 1, 1)
    assert "No out-of-time test" in ew.notes[0]
    assert set(ew.scores["tier"]) <= {"high", "medium", "low"}
    assert (ew.scores.loc[ew.scores["probability"] >= 0.5, "tier"] == "high").all()
    path = drv.write_at_risk_list(ew, tmp_path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == len(stayed) + 1 and rows[1][0].startswith("S")


def test_snapshot_report_pieces_render(synthetic):
    import matplotlib.pyplot as plt

    from retention_utils.plots import drivers as drvplot

    df, data, res = synthetic
    ew = drv.early_warning(data, res)
    loop = drv.closed_loop(data, reports_dir="/nonexistent")
    assert loop.status == "none" and "one-row-per-customer" in loop.notes[0]
    sentences = ddrv.headline_sentences(res, ew, loop)
    assert "cross-validation on one snapshot (not an out-of-time test)" in sentences[0]
    assert any("no out-of-time test" in s for s in sentences)
    page = "".join(h.data for h in (ddrv.headline_html(res, ew, loop), ddrv.drivers_html(res),
                                    ddrv.model_quality_html(res), ddrv.reasons_html(res), ddrv.tiers_html(ew),
                                    ddrv.tradeoff_html(ew), ddrv.at_risk_html(ew), ddrv.scorecard_html(ew),
                                    ddrv.closed_loop_html(loop), ddrv.about_html(res, data.config)))
    assert "Revenue at risk" not in page and "Value at risk" not in page  # no amounts in a snapshot
    assert "the table&#x27;s churn flag" in page and "customer-months" not in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page  # a recorded reason, shown escaped in the HTML
    fig, axes = plt.subplots(2, 3)
    drvplot.plot_importance(res.importance, model=res.best_model, ax=axes[0, 0])
    drvplot.plot_odds_ratios(res.odds_ratios, ax=axes[0, 1])
    drvplot.plot_calibration(res.calibration, ax=axes[0, 2])
    drvplot.plot_gains(res.gains, ax=axes[1, 0])
    drvplot.plot_tradeoff(ew.tradeoff, ax=axes[1, 1])


def test_snapshot_params_errors(tmp_path):
    df = _synthetic(200)
    data = FakeSnapshotUnit(_config(tmp_path, {"exclude": ["regio"]}), ibis.memtable(df))
    with pytest.raises(ConfigError, match=r"^drivers.exclude: 'regio' is not a feature of this unit; features "
                                          r"available: 'tenure_months', 'plan', 'region'\."):
        drv.snapshot_drivers(data)
    data = FakeSnapshotUnit(_config(tmp_path, {"attributes": ["plan", "segment"]}), ibis.memtable(df))
    with pytest.raises(ConfigError, match=r"^drivers.attributes: 'segment' not found in the snapshot; attributes "
                                          r"present: 'plan', 'region'\."):
        drv.snapshot_drivers(data)
    data = FakeSnapshotUnit(_config(tmp_path, {"reference_levels": {"plan": "gold"}}), ibis.memtable(df))
    with pytest.raises(ConfigError, match=r"level 'gold' of 'plan' does not occur in the data; levels present: "
                                          r"'basic', 'pro', 'team'"):
        drv.snapshot_drivers(data)
    with pytest.raises(ConfigError, match="snapshot_drivers needs a snapshot unit"):
        drv.snapshot_drivers(dataclasses.replace(data, kind="orders"))


def test_snapshot_attributes_and_exclude(tmp_path):
    df = _synthetic(300)
    # drivers.attributes picks the attributes; an exclude of an unused attribute is harmless
    data = FakeSnapshotUnit(_config(tmp_path, {"attributes": ["plan"], "exclude": ["region", "tenure_months"]}),
                            ibis.memtable(df))
    res = drv.snapshot_drivers(data, models=("logit",), n_repeats=0, min_churners=20)
    assert res.numeric == () and res.categorical == ("plan",)
    assert res.notes[0] == "Left out of the models by params drivers.exclude: 'tenure_months'."


def _telco_snapshot(path: Path) -> pd.DataFrame:
    """The telco CSV in the snapshot unit's shape (snake-cased attributes as text, blanks missing)."""
    raw = pd.read_csv(path)
    snap = pd.DataFrame({"customer_id": raw["customerID"], "tenure_months": raw["tenure"].astype(float),
                         "churned": raw["Churn"].eq("Yes")})
    for c in raw.columns:
        if c not in ("customerID", "tenure", "Churn"):
            v = raw[c].astype(str).str.strip()
            snap[re.sub(r"(?<=[a-z])(?=[A-Z])", "_", c).lower()] = v.where(v != "", None)
    return snap


def test_telco_snapshot_logistic_auc(real_data, tmp_path):
    path = real_data / "telco_ibm" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        pytest.skip(f"real data set not found: {path}")
    snap = _telco_snapshot(path)
    data = FakeSnapshotUnit(_config(tmp_path, {"reference_levels": {"contract": "Month-to-month"},
                                               "exclude": ["gender"]}), ibis.memtable(snap))
    res = drv.snapshot_drivers(data, models=("logit",), n_repeats=0)
    assert 0.83 <= res.metric("logit", "roc_auc") <= 0.86, res.metric("logit", "roc_auc")
    assert "gender" not in res.categorical and res.notes[0].endswith("drivers.exclude: 'gender'.")
    o = res.odds_ratios[res.odds_ratios["feature"] == "contract"].set_index("level")
    assert set(o["reference"]) == {"Month-to-month"}
    assert o.loc["Two year", "odds_ratio"] < o.loc["One year", "odds_ratio"] < 1  # longer contracts churn less
    ew = drv.early_warning(data, res)
    assert len(ew.scores) == 5174  # the customers with Churn = No


def test_snapshot_through_the_loader(tmp_path):
    """The real snapshot loader (sources.snapshot) feeds snapshot_drivers (skips until the loader exists)."""
    from retention_utils import load_unit_data

    df = _synthetic(400)
    out = df.rename(columns={"tenure_months": "tenure"}).assign(churned=np.where(df["churned"], "yes", "no"))
    out.drop(columns=["start_date", "end_date"]).to_csv(tmp_path / "snapshot.csv", index=False)
    p = tmp_path / "params"
    p.mkdir()
    (p / "defaults.yaml").write_text(yaml.safe_dump({"sources": {"snapshot": {
        "path": str(tmp_path / "snapshot.csv"), "attributes": ["plan", "region"]}}}))
    (p / "snap.yaml").write_text(yaml.safe_dump({"report_month": "2024-12"}))
    try:
        data = load_unit_data(load_config(p, "snap"))
    except Exception as exc:  # pragma: no cover - the loader belongs to the contract helper
        pytest.skip(f"snapshot loader not usable here: {exc}")
    assert data.kind == "snapshot"
    res = drv.snapshot_drivers(data, models=("logit",), n_repeats=0)
    assert res.ok and set(res.categorical) == {"plan", "region"} and "tenure_months" in res.numeric
    assert res.counts["n_churned"].iloc[0] == int(df["churned"].sum())


def test_two_identical_runs_write_identical_bytes(tmp_path):
    """Item 12: the at-risk CSV of two identical runs is byte-identical (probabilities to 1e-6)."""
    df = _synthetic(300, seed=5)
    blobs = []
    for i, run in enumerate(("a", "b")):
        out = tmp_path / run
        out.mkdir()
        # the rows arrive in a different order each run: the result must not depend on it
        data = FakeSnapshotUnit(_config(out), ibis.memtable(df.sample(frac=1.0, random_state=i)))
        res = drv.snapshot_drivers(data, models=("logit",), n_repeats=0, min_churners=20)
        blobs.append(drv.write_at_risk_list(drv.early_warning(data, res), out).read_bytes())
    assert blobs[0] == blobs[1]
    first = blobs[0].decode().splitlines()[1].split(",")
    assert len(first[1].split(".")[-1]) <= 6  # the probability has at most six decimals
