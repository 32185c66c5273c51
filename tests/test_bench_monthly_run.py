"""The monthly-run benchmark's pure parts: growth exponents, the runner's lines, the memory sampler, the merge of parts."""
from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # the benchmark imports its neighbour _common
    try:
        spec = importlib.util.spec_from_file_location("bench_monthly_run", BENCH / "bench_monthly_run.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def test_exponent_is_the_slope_on_log_log_axes(bench):
    ns = [1e5, 1e6, 1e7]
    assert bench.exponent(ns, [3.0 * n for n in ns]) == pytest.approx(1.0)
    assert bench.exponent(ns, [n**1.5 for n in ns]) == pytest.approx(1.5)
    assert bench.exponent(ns, [5.0, 5.0, 5.0]) == pytest.approx(0.0)
    # least squares through three points, by hand: logs of x are -1, 0, 1 (base 10) around the mean
    ys = [1.0, 10.0, 1000.0]
    expected = (math.log(1000.0) - math.log(1.0)) / (2 * math.log(10.0))
    assert bench.exponent(ns, ys) == pytest.approx(expected)
    assert bench.exponent(ns[:1], ys[:1]) is None
    assert bench.exponent(ns[:2], [1.0, None]) is None


def test_runner_lines_give_the_validation_step_stages_and_phases(bench):
    lines = [(0.9, "loading ..."),  # not a unit line
             (2.0, "2026-01-01 10:00:00 [retail] validating params and data ..."),
             (3.0, "2026-01-01 10:00:01 [retail] reading orders.csv (1.2 GB) ..."),
             (9.0, "2026-01-01 10:00:07 [retail] reading orders.csv (1.2 GB): done (6.0 s)"),
             (12.5, "2026-01-01 10:00:10 [retail] data ok: report month 2025-12, 11 data-quality lines (10.5 s)"),
             (12.6, "2026-01-01 10:00:10 [retail] 1/2 kpi_overview: executing ... elapsed 0:10, estimate unknown"),
             (20.0, "2026-01-01 10:00:18 [retail] 1/2 kpi_overview: done (7.4 s)"),
             (20.1, "2026-01-01 10:00:18 [retail] 2/2 survival: executing ... elapsed 0:18, about 0:07 left"),
             (30.0, "2026-01-01 10:00:28 [retail] 2/2 survival: FAILED (ValueError: x)")]
    out = bench.read_runner_lines(lines)
    assert out["validation_s"] == 10.5
    assert out["stages"] == [{"what": "reading orders.csv (1.2 GB)", "seconds": 6.0}]
    assert out["startup_s"] == 2.0 and out["last_notebook_done_s"] == 30.0
    assert [p for _, p in out["phases"]] == ["validation", "kpi_overview", "after kpi_overview", "survival",
                                            "after survival"]


def test_tree_sampler_sums_a_process_and_its_children():
    sys.path.insert(0, str(BENCH))
    try:
        from _common import TreeSampler
    finally:
        sys.path.remove(str(BENCH))
    child = "import sys; b = bytearray(64 << 20); print('ready', flush=True); sys.stdin.read()"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    proc = subprocess.Popen([sys.executable, "-c", parent], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"  # the child holds its 64 MiB now
        sampler = TreeSampler(proc.pid, root_label="parent", label=lambda p: "child")
        total = sampler.sample()
    finally:
        proc.stdin.close()
        proc.wait()
    assert set(sampler.processes) == {"parent", "child"}
    assert sampler.processes["child"] >= 64
    assert total == pytest.approx(sum(sampler.peak_parts.values())) and total == sampler.peak_mib
    assert total > sampler.peak_parts["child"] >= 64


def test_parts_merge_into_one_file_per_table_with_prefixed_ids_and_text_kept(bench, tmp_path):
    tables = {"customers": "customer_id,business_unit,signup_date,churn_date\nC1,retail,2023-01-01,\n",
              "orders": "order_id,customer_id,order_date,amount\nO1,C1,2023-01-01,18.70\nO2,U9,2023-01-02,5\n",
              "interactions": "customer_id,date,kind,score\nC1,2023-01-05,survey,\n",
              "campaigns": "customer_id,campaign_id,sent_date,group,cost\nC1,RET-2023-04,2023-04-05,control,0\n"}
    parts = []
    for i in range(2):
        part = tmp_path / f"part{i}"
        part.mkdir()
        for name, text in tables.items():
            (part / f"{name}.csv").write_text(text)
        parts.append(str(part))
    out = tmp_path / "out"
    out.mkdir()
    bench.do_merge(parts, str(out))
    assert (out / "orders.csv").read_text().splitlines() == [
        "order_id,customer_id,order_date,amount", "P0O1,P0C1,2023-01-01,18.70", "P0O2,P0U9,2023-01-02,5",
        "P1O1,P1C1,2023-01-01,18.70", "P1O2,P1U9,2023-01-02,5"]
    assert (out / "customers.csv").read_text().splitlines()[1:] == ["P0C1,retail,2023-01-01,", "P1C1,retail,2023-01-01,"]
    assert (out / "campaigns.csv").read_text().splitlines() == [
        "customer_id,campaign_id,sent_date,group,cost", "P0C1,RET-2023-04,2023-04-05,control,0",
        "P1C1,RET-2023-04,2023-04-05,control,0"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in tables)


def test_parquet_params_point_every_source_at_its_parquet_file(bench, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    params = bench.layout(tmp_path / "work", data, bench.ROOT, "parquet")
    text = (params / "defaults.yaml").read_text()
    for name in bench.TABLES:
        assert f"../data/demo/{name}.parquet" in text and f"../data/demo/{name}.csv" not in text
    assert (tmp_path / "work" / "data" / "demo").resolve() == data.resolve()
