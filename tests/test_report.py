"""End to end: demo data -> papermill -> HTML, with a broken unit and hostile names."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from retention_utils import ConfigError, load_config
from retention_utils.cli import main
from retention_utils.report import run_month
from tests.conftest import ROOT, demo_layout

XSS = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    params = demo_layout(base, n_customers=400, seed=3)
    # a broken export: the orders file lacks its date column
    (base / "broken_orders.csv").write_text("order_id,customer_id,amount\n1,C0000001,10\n")
    (params / "broken.yaml").write_text(yaml.safe_dump({
        "display_name": "Broken unit", "business_unit_value": "retail",
        "sources": {"orders": {"path": str(base / "broken_orders.csv")}}}))
    # hostile display name and data values
    (base / "x_customers.csv").write_text(
        "customer_id,business_unit,signup_date,channel\n"
        f"X1,evil,2025-01-03,\"{XSS}\"\nX2,evil,2025-02-03,web\n")
    (base / "x_orders.csv").write_text(
        "order_id,customer_id,order_date,amount\n1,X1,2025-01-03,10\n2,X2,2025-02-03,20\n3,X1,2025-03-03,5\n"
        "4,X2,2025-12-31,7\n")  # data through the report month (a month after the data is an error)
    (params / "evil.yaml").write_text(yaml.safe_dump({
        "display_name": f"Evil {XSS}", "business_unit_value": "evil", "report_month": "2025-12",
        "sources": {"customers": {"path": str(base / "x_customers.csv"), "attributes": ["channel"]},
                    "orders": {"path": str(base / "x_orders.csv")},
                    "interactions": None, "campaigns": None}}))
    reports = base / "reports"
    # a stale file from an earlier run of the same month must disappear (the month is replaced)
    (reports / "2025-12" / "retail").mkdir(parents=True)
    (reports / "2025-12" / "retail" / "stale.html").write_text("old")
    result = run_month(params, reports, jobs=2, notebooks_dir=ROOT / "notebooks")
    return base, params, reports, result


@pytest.mark.slow
def test_units_rendered_and_broken_unit_isolated(demo_run):
    _, _, reports, result = demo_run
    status = {u.unit: u.status for u in result.units}
    assert status == {"b2b": "ok", "broken": "failed", "evil": "ok", "retail": "ok", "subscriptions": "ok"}
    assert not result.ok
    broken = next(u for u in result.units if u.unit == "broken")
    assert "required column 'order_date'" in broken.error
    page = (reports / "2025-12" / "broken" / "index.html").read_text()
    assert "required column" in page and "failed" in page
    index = (reports / "2025-12" / "index.html").read_text()
    for unit in ("retail", "subscriptions", "b2b", "broken"):
        assert f'href="{unit}/index.html"' in index
    assert "5 business units; 1 failed" in index
    assert not (reports / "2025-12" / "retail" / "stale.html").exists()
    assert not (reports / ".staging").exists()


@pytest.mark.slow
def test_html_is_clean_self_contained_and_has_figures(demo_run):
    _, _, reports, _ = demo_run
    for unit in ("retail", "subscriptions", "b2b"):
        html = (reports / "2025-12" / unit / "kpi_overview.html").read_text()
        assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) >= 3
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)  # opens offline
        for bad in ("Traceback", "Warning", "warnings.warn", "ru.load_config", "import retention_utils",
                    "injected-parameters", "params_dir ="):
            assert bad not in html, (unit, bad)
        assert "Data quality" in html and "Headline" in html
        assert (reports / "2025-12" / unit / "kpi_overview.ipynb").exists()


@pytest.mark.slow
def test_hostile_text_is_escaped(demo_run):
    _, _, reports, _ = demo_run
    for page in (reports / "2025-12").rglob("*.html"):
        text = page.read_text()
        assert XSS not in text, page
    assert "&lt;script&gt;" in (reports / "2025-12" / "evil" / "index.html").read_text()
    assert "&lt;script&gt;" in (reports / "2025-12" / "evil" / "kpi_overview.html").read_text()
    assert "&lt;script&gt;" in (reports / "2025-12" / "index.html").read_text()


@pytest.mark.slow
def test_manifest_records_inputs_versions_and_timings(demo_run):
    _, _, reports, _ = demo_run
    manifest = json.loads((reports / "2025-12" / "manifest.json").read_text())
    assert manifest["packages"]["pandas"] and manifest["packages"]["duckdb"]
    retail = next(u for u in manifest["units"] if u["unit"] == "retail")
    assert {Path(i["path"]).name for i in retail["inputs"]} >= {"customers.csv", "orders.csv"}
    assert all(len(i["sha256"]) == 64 for i in retail["inputs"])
    assert retail["notebooks"][0]["seconds"] > 0
    assert retail["params"]["churn"]["inactivity_days"] == 90
    # two units ran at once (jobs=2): each engine was capped at half of DuckDB's usual 80% of RAM
    from retention_utils.sources import connect
    from retention_utils.config import EngineSpec

    share = connect(EngineSpec(memory_limit="40%")).con.execute("SELECT current_setting('memory_limit')").fetchall()
    assert retail["engine"]["memory_limit"] == share[0][0]


@pytest.mark.slow
def test_cli_exit_codes_and_unit_name_escape(demo_run, capsys):
    _, params, reports, _ = demo_run
    assert main(["run", "--params", str(params), "--reports", str(reports), "--unit", "../x"]) == 2
    err = capsys.readouterr().err
    assert "unit name '../x' is not allowed" in err and "Traceback" not in err
    with pytest.raises(ConfigError, match="not allowed"):
        load_config(params, "../x")
    assert main(["validate", "--params", str(params), "--unit", "broken"]) == 1
    assert "required column 'order_date'" in capsys.readouterr().err
    assert main(["units", "--params", str(params)]) == 0
    assert capsys.readouterr().out.split() == ["b2b", "broken", "evil", "retail", "subscriptions"]


def test_every_subcommand_has_help(capsys):
    for cmd in ("run", "validate", "units", "demo-data"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: retention" in capsys.readouterr().out


def test_params_files_match_notebook_parameters():
    import papermill as pm

    from retention_utils.config import NOTEBOOKS, list_units

    for nb in NOTEBOOKS:
        declared = pm.inspect_notebook(str(ROOT / "notebooks" / f"{nb}.ipynb"))
        # the three the runner always passes, plus the optional ones it passes where declared (every
        # notebook opens the runner's snapshot)
        assert {"unit", "month", "params_dir", "snapshot"} <= set(declared) <= {
            "unit", "month", "params_dir", "snapshot", "output_dir", "reports_dir"}
    for params in (ROOT / "params", ROOT / "examples" / "online_retail" / "params", ROOT / "examples" / "telco" / "params"):
        for unit in list_units(params):
            load_config(params, unit)  # every shipped params file validates


@pytest.mark.slow
def test_summary_csv_holds_every_pages_headline_rows(demo_run):
    """Issue 10: each unit folder has the summary rows of its pages; the KPI rows are the unit page's cards."""
    import json

    import pandas as pd

    from retention_utils.results import SUMMARY_COLUMNS

    _, _, reports, _ = demo_run
    unit = reports / "2025-12" / "retail"
    rows = pd.read_csv(unit / "summary.csv")
    rows["compared_to"] = rows["compared_to"].fillna("")
    assert tuple(rows.columns) == SUMMARY_COLUMNS
    assert list(dict.fromkeys(rows.analysis)) == ["kpis", "cohorts", "survival", "drivers"]
    assert not (unit / "_summary").exists()
    headline = {h["kpi"]: h for h in json.loads((unit / "summary.json").read_text())["headline"]}
    kpis = rows[(rows.analysis == "kpis") & (rows.compared_to == "")].set_index("metric")
    for kpi in ("n_active", "churn_rate", "net_revenue"):
        assert kpis.at[kpi, "value"] == pytest.approx(headline[kpi]["value"], rel=1e-6, abs=1e-6)
    churn = kpis.loc["churn_rate"]
    assert churn.ci_lower <= churn.value <= churn.ci_upper and churn.unit == "share"
    assert 'href="summary.csv"' in (unit / "index.html").read_text()
