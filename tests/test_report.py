"""End to end: demo data -> papermill -> HTML, with a broken unit and hostile names."""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from retention_utils import ConfigError, load_config
from retention_utils.cli import main
from tests.conftest import HOSTILE_LABEL, RENDERED_UNITS, ROOT, XSS_REGION


@pytest.fixture(scope="module")
def demo_run(rendered_demo):
    """The shared rendered month (conftest ``rendered_demo``: the demo, a tiny, a hostile and a broken unit)."""
    status = json.loads((rendered_demo / "done.json").read_text())
    errors = json.loads((rendered_demo / "result.json").read_text())["errors"]
    return rendered_demo, rendered_demo / "params", rendered_demo / "reports", SimpleNamespace(
        status=status, errors=errors, ok=all(v == "ok" for v in status.values()))


@pytest.mark.slow
def test_units_rendered_and_broken_unit_isolated(demo_run):
    _, _, reports, result = demo_run
    assert result.status == RENDERED_UNITS
    assert not result.ok
    assert "required column 'order_date'" in result.errors["broken"]
    page = (reports / "2025-12" / "broken" / "index.html").read_text()
    assert "required column" in page and "failed" in page
    index = (reports / "2025-12" / "index.html").read_text()
    for unit in ("retail", "subscriptions", "b2b", "broken"):
        assert f'href="{unit}/index.html"' in index
    assert "6 business units; 1 failed" in index
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
        assert HOSTILE_LABEL not in text and XSS_REGION not in text, page
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
    assert capsys.readouterr().out.split() == sorted(RENDERED_UNITS)


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
    assert list(dict.fromkeys(rows.analysis)) == ["kpis", "cohorts", "survival", "drivers", "value", "clv", "rfm",
                                                  "lifecycle", "campaigns"]
    assert not (unit / "_summary").exists()
    headline = {h["kpi"]: h for h in json.loads((unit / "summary.json").read_text())["headline"]}
    kpis = rows[(rows.analysis == "kpis") & (rows.compared_to == "")].set_index("metric")
    for kpi in ("n_active", "churn_rate", "net_revenue"):
        assert kpis.at[kpi, "value"] == pytest.approx(headline[kpi]["value"], rel=1e-6, abs=1e-6)
    churn = kpis.loc["churn_rate"]
    assert churn.ci_lower <= churn.value <= churn.ci_upper and churn.unit == "share"
    assert 'href="summary.csv"' in (unit / "index.html").read_text()
