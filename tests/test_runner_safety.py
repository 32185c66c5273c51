"""The runner's safety rules (issue 9): report months and unit names never lead a write outside the
reports folder, credentials never leave their environment variable, killed runs leave nothing
behind for long, and machine-readable outputs are byte-stable."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from retention_utils import ConfigError
from retention_utils.cli import main
from retention_utils.report import KERNEL_PREFIX, _inside, clean_stale_runs, run_month, stable_headline
from tests.conftest import ROOT, write_unit

ORDERS = ("order_id,customer_id,order_date,amount\n"
          "1,A,2025-01-05,10.10\n2,B,2025-01-20,20.20\n3,A,2025-02-03,5.05\n4,C,2025-03-09,7.70\n"
          "5,B,2025-03-31,1.11\n")


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes (folders as '<dir>')."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def tiny(tmp_path):
    """A sandbox ``tmp_path/box`` holding a params folder for unit 'shop' and a reports root."""
    box = tmp_path / "box"
    params = write_unit(box, files={"orders.csv": ORDERS}, sources={"orders": {"path": "../orders.csv"}})
    reports = box / "reports"
    return box, params, reports


BAD_MONTHS = ["..", "../../x", "/tmp/abs-month", "2025-13", "", "2025-1", "2025/01", "2025-01/../..", " 2025-01",
              "2025-00", "x" * 300]


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_bad_month_refused_before_anything_is_written(tiny, month, capsys):
    box, params, reports = tiny
    outside = box.parent
    before = _tree(outside)
    code = main(["run", "--params", str(params), "--reports", str(reports), "--month", month, "--unit", "shop"])
    captured = capsys.readouterr()
    assert code == 2
    assert "is not a month; write it as YYYY-MM" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert _tree(outside) == before  # nothing anywhere changed, not even inside the reports root
    with pytest.raises(ConfigError, match="is not a month"):
        run_month(params, reports, month=month, notebooks=())
    assert _tree(outside) == before
    assert main(["validate", "--params", str(params), "--month", month]) == 2


@pytest.mark.parametrize("unit", ["..", "../x", "a/b", "/abs", "", ".", "a b", "a\\b"])
def test_unsafe_unit_names_refused(tiny, unit, capsys):
    box, params, reports = tiny
    before = _tree(box.parent)
    assert main(["run", "--params", str(params), "--reports", str(reports), "--unit", unit]) == 2
    assert "is not allowed" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="not allowed"):
        run_month(params, reports, units=[unit], notebooks=())
    assert _tree(box.parent) == before


def test_paths_are_checked_after_resolving_links(tmp_path):
    root = tmp_path / "reports"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "2025-01").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="outside the reports folder"):
        _inside(root, "2025-01", "shop")
    for parts in (("..",), ("2025-01/..",), ("/etc",), ("",), ("a", "..", "..")):
        with pytest.raises(ConfigError):
            _inside(root, *parts)
    assert _inside(root, "2025-02", "shop") == (root / "2025-02" / "shop").resolve()


def test_failed_unit_joins_the_run_month_never_the_clock(tiny):
    box, params, reports = tiny
    (params / "broken.yaml").write_text(yaml.safe_dump({"sources": {"orders": {"path": "../missing.csv"}}}))
    result = run_month(params, reports, notebooks=())
    months = {u.unit: u.month for u in result.units}
    assert months == {"shop": "2025-03", "broken": "2025-03"}  # the month the other unit used
    assert (reports / "2025-03" / "broken" / "index.html").exists()
    result = run_month(params, reports, month="2025-02", notebooks=())
    assert {u.month for u in result.units} == {"2025-02"}
    # no unit knows its month and none was given: the failure pages go to 'undated', not a clock month
    result = run_month(params, reports, units=["broken"], notebooks=())
    assert result.units[0].month == "undated"
    assert "no file matches" in (reports / "undated" / "broken" / "index.html").read_text()
    assert sorted(p.name for p in reports.iterdir()) == ["2025-02", "2025-03", "undated"]


SECRET = "S3cret-Pw_41"
URLS = {
    "unknown scheme": f"postgress://ana:{SECRET}@127.0.0.1:1/crm",
    "closed port": f"postgresql://ana:{SECRET}@127.0.0.1:1/crm",
    "wrong host": f"postgresql://ana:{SECRET}@nohost.invalid:5432/crm",
    "bad database name": f"postgresql://ana:{SECRET}@127.0.0.1:1/no%20such%20db",
    "password in the query": f"postgresql://127.0.0.1:1/crm?user=ana&password={SECRET}",
    "percent-encoded password": "postgresql://ana:S3cret%40Pw_41@127.0.0.1:1/crm",
}


@pytest.mark.parametrize("case", sorted(URLS))
def test_credentials_never_leave_the_environment_variable(tmp_path, case, monkeypatch, capfd):
    pytest.importorskip("psycopg", reason="the postgres extra (test extras) makes the connection attempt real")
    box = tmp_path / "box"
    params = write_unit(box, files={}, sources={"orders": {"format": "database", "table": "orders",
                                                            "url_env": "RETENTION_TEST_DB_URL"}})
    monkeypatch.setenv("RETENTION_TEST_DB_URL", URLS[case])
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "3")
    reports = box / "reports"
    assert main(["run", "--params", str(params), "--reports", str(reports), "--month", "2025-03"]) == 1
    assert main(["validate", "--params", str(params)]) == 1
    out, err = capfd.readouterr()
    secrets = (SECRET, "S3cret@Pw_41", "S3cret%40Pw_41")
    texts = {"stdout": out, "stderr": err}
    for path in reports.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(reports))] = path.read_text(encoding="utf-8", errors="replace")
    assert "2025-03/shop/index.html" in texts and "2025-03/manifest.json" in texts
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, (case, where)
    page = texts["2025-03/shop/index.html"]
    assert "RETENTION_TEST_DB_URL" in page or "orders" in page  # the message still says which source failed


def test_stale_staging_and_kernel_files_of_dead_runs_are_removed(tmp_path):
    reports = tmp_path / "reports"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = reports / ".staging" / "20250101-000000-dead01"
    stale.mkdir(parents=True)
    (stale / "owner.json").write_text(json.dumps({"pid": dead.pid, "started": 1.0}))
    (stale / "shop").mkdir()
    import psutil

    me = psutil.Process(os.getpid())
    live = reports / ".staging" / "20250101-000000-live01"
    live.mkdir()
    (live / "owner.json").write_text(json.dumps({"pid": me.pid, "started": me.create_time()}))
    reused = reports / ".staging" / "20250101-000000-reuse1"  # our PID, but another process's start time
    reused.mkdir()
    (reused / "owner.json").write_text(json.dumps({"pid": me.pid, "started": me.create_time() - 1000}))
    tmp = Path(tempfile.gettempdir())
    kernel_file = tmp / f"{KERNEL_PREFIX}20250101-000000-dead01-abc-1"
    kernel_file.write_text("")
    other_kernel = tmp / f"{KERNEL_PREFIX}20250101-000000-live01-abc-1"
    other_kernel.write_text("")
    try:
        removed = clean_stale_runs(reports)
        assert sorted(removed) == ["20250101-000000-dead01", "20250101-000000-reuse1"]
        assert not stale.exists() and not reused.exists() and live.exists()
        assert not kernel_file.exists() and other_kernel.exists()
    finally:
        other_kernel.unlink(missing_ok=True)


@pytest.mark.slow
def test_killed_run_never_touches_published_reports_and_is_cleaned_next_time(tmp_path):
    from tests.conftest import demo_layout

    params = demo_layout(tmp_path, n_customers=300, seed=5, drop_sources=("interactions", "campaigns"))
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "retention_utils.cli", "run", "--params", str(params), "--reports", str(reports),
               "--unit", "retail", "--notebooks", str(ROOT / "notebooks"), "--only", "kpi_overview"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    # a successful run prints only the kit's own lines (the kernels' shutdown noise goes to their log)
    assert "IPKernelApp" not in first.stdout + first.stderr and "KeyboardInterrupt" not in first.stderr
    assert "reports for" in first.stdout
    published = _tree(reports)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.time() + 240
    seen = ""
    while time.time() < deadline:  # kill it while a notebook executes
        line = proc.stdout.readline()
        seen += line
        if "executing" in line or not line:
            break
    assert "executing" in seen, seen
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    staging = list((reports / ".staging").iterdir())
    assert len(staging) == 1  # the killed run's folder is left behind ...
    run_id = staging[0].name
    assert {k: v for k, v in _tree(reports).items() if not k.startswith(".staging")} == published
    assert clean_stale_runs(reports) == [run_id]  # ... and the next run removes it with its kernel files
    assert not list(Path(tempfile.gettempdir()).glob(f"{KERNEL_PREFIX}{run_id}-*"))
    assert _tree(reports) == published


def test_summary_numbers_are_stable():
    row = {"kind": "money", "value": 1182.5199999999998, "previous": 1000.004, "delta_previous": 182.5159999999,
           "pct_previous": 0.18251599999, "label": "Net revenue"}
    assert stable_headline(row) == {"kind": "money", "value": 1182.52, "previous": 1000.0,
                                    "delta_previous": 182.52, "pct_previous": 0.182516, "label": "Net revenue"}
    rate = stable_headline({"kind": "rate", "value": 0.1 + 0.2, "delta_previous": 1 / 3})
    assert rate == {"kind": "rate", "value": 0.3, "delta_previous": 0.333333}


def test_two_identical_runs_write_identical_summaries(tiny):
    box, params, reports = tiny
    run_month(params, reports, notebooks=())
    first = (reports / "2025-03" / "shop" / "summary.json").read_text()
    run_month(params, reports, notebooks=())
    second = (reports / "2025-03" / "shop" / "summary.json").read_text()

    def without_durations(text: str) -> dict:
        d = json.loads(text)
        d.pop("seconds")
        assert set(d.pop("steps")) == {"load_validate", "monthly_kpis", "snapshot"}  # the runner's step seconds
        return d

    assert without_durations(first) == without_durations(second)
    assert "1182.5199999" not in first
    values = [h["value"] for h in json.loads(first)["headline"] if h["kind"] == "money"]
    assert values and all(round(v, 2) == v for v in values if v is not None)


def test_partly_covered_month_is_marked_on_the_landing_pages(tmp_path):
    orders = ORDERS.replace("2025-03-31", "2025-03-14")
    params = write_unit(tmp_path / "box", files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    reports = tmp_path / "box" / "reports"
    result = run_month(params, reports, month="2025-03", notebooks=())
    assert result.ok
    for page in (reports / "2025-03" / "shop" / "index.html", reports / "2025-03" / "index.html"):
        text = page.read_text()
        assert 'class="report-warning"' in text and "only partly covered" in text, page
    # the default month is the last complete one: no warning there
    result = run_month(params, reports, notebooks=())
    assert result.units[0].month == "2025-02"
    assert "report-warning\"" not in (reports / "2025-02" / "shop" / "index.html").read_text()


def test_validate_says_when_the_month_is_only_partly_covered(tmp_path, capsys):
    orders = ORDERS.replace("2025-03-31", "2025-03-14")
    params = write_unit(tmp_path / "box", files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    assert main(["validate", "--params", str(params), "--month", "2025-03"]) == 0
    out = capsys.readouterr().out
    assert "[shop] ok: report month 2025-03" in out
    assert "warning: The data end on 14 March 2025: March 2025 is only partly covered" in out
    assert main(["validate", "--params", str(params)]) == 0
    assert "warning:" not in capsys.readouterr().out
