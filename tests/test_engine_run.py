"""The monthly run on PostgreSQL renders the same reports as on DuckDB (the issue's acceptance).

The demo (1,000 customers) is loaded into a real PostgreSQL server as typed tables with COPY; the unit's
sources are those tables (``format: table``). ``retention run`` executes the KPI and churn-driver notebooks
through the validated snapshot (kept in the work schema, one session per notebook), and the unit's
``summary.csv`` (every page's headline rows) and ``at_risk_customers.csv`` (the CRM list) must be
byte-identical to the DuckDB run's from the CSV exports; the page text too, but for timings and the sources'
names (``orders.csv`` against ``crm_run.orders @ PostgreSQL at $RUN_PG_URL``) and the note on how a CSV
file was read. The work
schema is empty afterwards.
"""
from __future__ import annotations

import re

import psycopg
import pytest
import yaml

from retention_utils.backends.pg_load import load_files
from retention_utils.report import run_month

from .conftest import demo_layout

pytestmark = pytest.mark.slow
NOTEBOOKS = ("kpi_overview", "churn_drivers")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, pg_url):
    root = tmp_path_factory.mktemp("engine_run")
    params = demo_layout(root, n_customers=1000, seed=7)
    data = root / "data" / "demo"
    load_files(pg_url, {t: data / f"{t}.csv" for t in ("customers", "orders", "interactions", "campaigns")},
               schema="crm_run")
    duck = run_month(params, root / "duck", units=["retail"], notebooks=NOTEBOOKS, say=lambda s: None)
    defaults = yaml.safe_load((params / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["engine"] = {"backend": "postgres", "url_env": "RUN_PG_URL", "work_schema": "retention_run"}
    for name, src in defaults["sources"].items():
        src.pop("path", None)
        src.update({"format": "table", "table": f"crm_run.{name}"})
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("RUN_PG_URL", pg_url)
    try:
        pg = run_month(params, root / "pg", units=["retail"], notebooks=NOTEBOOKS, say=lambda s: None)
    finally:
        mp.undo()
    return root, duck, pg, pg_url


def test_both_runs_succeed_on_their_engine(runs):
    root, duck, pg, _ = runs
    assert duck.ok and pg.ok, (duck.units[0].error, pg.units[0].error)
    assert pg.units[0].engine["backend"] == "postgres" and duck.units[0].engine["backend"] == "duckdb"


@pytest.mark.parametrize("name", ["summary.csv", "at_risk_customers.csv"])
def test_files_for_people_and_tools_are_byte_identical(runs, name):
    root, duck, pg, _ = runs
    month = duck.units[0].month
    a = (root / "duck" / month / "retail" / name).read_bytes()
    b = (root / "pg" / month / "retail" / name).read_bytes()
    assert len(a.splitlines()) > 10 and a == b


@pytest.mark.parametrize("page", [f"{nb}.html" for nb in NOTEBOOKS])
def test_pages_say_the_same_but_for_timings(runs, page):
    root, duck, pg, _ = runs
    month = duck.units[0].month

    def text(engine: str) -> str:
        html = (root / engine / month / "retail" / page).read_text(encoding="utf-8")
        html = re.sub(r"<img[^>]*>", "", html)  # figures: same data, bytes may differ by the renderer's metadata
        # the data-quality table names each source as it was read: the file, or the table and the engine
        html = re.sub(r"crm_run\.(\w+) @ PostgreSQL at \$RUN_PG_URL", r"\1.csv", html)
        html = re.sub(r"<li>\w+: read as CSV: [^<]*</li>", "", html)  # how a CSV was read: files only
        html = html.replace('<p>Notes:</p><ul class="rk-notes"></ul>', "")
        return re.sub(r"\d+(\.\d+)? s\b|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "", html)

    assert text("duck") == text("pg")


def test_work_schema_is_empty_after_the_run(runs):
    *_, url = runs
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'retention_run'").fetchone()[0]
    assert left == 0
