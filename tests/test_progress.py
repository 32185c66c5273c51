"""Progress output (retention_utils.progress): plain lines for logs, live bars on a terminal, silence without a reporter.

No test asserts on the wall clock: elapsed times come from a fake clock, and the lines that carry real
durations are matched by pattern.
"""
from __future__ import annotations

import io
import json
import re
import threading
import time

import pytest

from retention_utils import backend, progress
from retention_utils.cli import main
from retention_utils.progress import Reporter, TerminalReporter, UnitProgress
from tests.conftest import TINY, write_unit

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _plain() -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    return Reporter(out), out


def _terminal(**kw) -> tuple[TerminalReporter, io.StringIO]:
    from rich.console import Console

    out = io.StringIO()
    return TerminalReporter(console=Console(file=out, force_terminal=True, width=100), **kw), out


def _manifest(reports, month: str, finished: str, units: list[dict]) -> None:
    folder = reports / month
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"finished": finished, "units": units}), encoding="utf-8")


def _nb(name: str, seconds: float, status: str = "ok") -> dict:
    return {"name": name, "seconds": seconds, "status": status}


# ----------------------------------------------------------------------------- a unit's lines


def test_plain_lines_name_unit_notebook_elapsed_and_estimate_from_the_previous_manifest(tmp_path):
    reports = tmp_path / "reports"
    _manifest(reports, "2025-01", "2025-02-03T06:00:00", [
        {"unit": "retail", "notebooks": [_nb("kpi_overview", 10), _nb("cohort_retention", 30), _nb("survival", 20)]}])
    previous = progress.previous_seconds(reports)
    assert previous == {"retail": {"kpi_overview": 10.0, "cohort_retention": 30.0, "survival": 20.0}}
    clock = FakeClock()
    rep, out = _plain()
    with progress.reporting(reporter=rep):
        unit = UnitProgress("retail", ("kpi_overview", "cohort_retention", "survival"), previous=previous["retail"],
                            clock=clock)
        unit.say("validating params and data ...")
        clock.now += 5
        unit.start("kpi_overview")
        clock.now += 20  # twice the previous run's time: the rest is expected to take twice as long too
        unit.finish("kpi_overview", 20.0)
        unit.start("cohort_retention")
        clock.now += 62
        unit.finish("cohort_retention", 62.0, error="ValueError: boom")
        unit.close()
    lines = out.getvalue().splitlines()
    assert all(re.match(STAMP, ln) for ln in lines), lines
    texts = [re.sub(STAMP, "", ln, count=1) for ln in lines]
    assert texts == [
        "[retail] validating params and data ...",
        "[retail] 1/3 kpi_overview: executing ... elapsed 0:05, about 1:00 left",
        "[retail] 1/3 kpi_overview: done (20.0 s)",
        "[retail] 2/3 cohort_retention: executing ... elapsed 0:25, about 1:40 left",
        "[retail] 2/3 cohort_retention: FAILED (ValueError: boom)",
    ]
    assert progress.active() is None  # the reporter is gone with its block


def test_without_a_previous_run_the_first_estimate_is_unknown_then_from_the_notebooks_done(tmp_path):
    assert progress.previous_seconds(tmp_path / "no-reports") == {}
    clock = FakeClock()
    rep, out = _plain()
    with progress.reporting(reporter=rep):
        unit = UnitProgress("b2b", ("a", "b", "c"), clock=clock)
        unit.start("a")
        clock.now += 40
        unit.finish("a", 40.0)
        unit.start("b")
    texts = [re.sub(STAMP, "", ln, count=1) for ln in out.getvalue().splitlines()]
    assert texts[0] == "[b2b] 1/3 a: executing ... elapsed 0:00, estimate unknown"
    assert texts[2] == "[b2b] 2/3 b: executing ... elapsed 0:40, about 1:20 left"


def test_previous_seconds_takes_each_units_latest_run_and_skips_what_it_cannot_read(tmp_path):
    reports = tmp_path / "reports"
    _manifest(reports, "2025-01", "2025-02-03T06:00:00", [
        {"unit": "retail", "notebooks": [_nb("kpi_overview", 10)]},
        {"unit": "b2b", "notebooks": [_nb("kpi_overview", 7)]}])
    _manifest(reports, "2025-02", "2025-03-03T06:00:00", [
        {"unit": "retail", "notebooks": [_nb("kpi_overview", 12), _nb("survival", 99, status="failed")]},
        {"unit": "gone", "notebooks": [{"name": "x"}]}])  # no seconds: skipped, never an error
    (reports / "2025-03").mkdir()
    (reports / "2025-03" / "manifest.json").write_text("{not json", encoding="utf-8")
    assert progress.previous_seconds(reports) == {"retail": {"kpi_overview": 12.0}, "b2b": {"kpi_overview": 7.0}}


def test_estimate_left():
    assert progress.estimate_left(["a", "b"], {}, {"a": 10, "b": 20}) == 30
    assert progress.estimate_left(["b"], {"a": 5.0}, {"a": 10, "b": 20}) == 10  # this run is twice as fast
    assert progress.estimate_left(["b", "new"], {}, {"a": 10, "b": 20}) == 35  # unknown: the previous mean
    assert progress.estimate_left(["x"], {}, {}) is None
    assert progress.estimate_left([], {"a": 3.0}) == 0


def test_unit_lines_print_without_a_reporter_as_run_month_always_did(capsys):
    unit = UnitProgress("shop", ("kpi_overview",), clock=FakeClock())
    unit.say("validating params and data ...")
    unit.start("kpi_overview")
    unit.close()
    assert capsys.readouterr().out.splitlines() == [
        "[shop] validating params and data ...", "[shop] 1/1 kpi_overview: executing ... elapsed 0:00, estimate unknown"]


# ----------------------------------------------------------------------------- stages


def test_no_reporter_no_output_no_thread(capsys):
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"read {name} with no reporter active")

    assert progress.active() is None
    threads = threading.active_count()
    with progress.stage("[retail] reading orders.csv", nbytes=10**12, con=Untouchable()):
        assert threading.active_count() == threads
    with progress.reading_source(Untouchable(), "orders", Untouchable()):
        pass
    progress.in_worker(False)
    assert progress.active() is None
    assert capsys.readouterr() == ("", "")


def test_large_input_shows_its_stage_at_once_and_small_fast_ones_stay_quiet():
    rep, out = _plain()
    with progress.reporting(reporter=rep):
        with progress.stage("[retail] reading orders.csv", nbytes=300 * 2**20):
            pass
        with progress.stage("[retail] reading customers.csv", nbytes=2000):
            pass
        with pytest.raises(KeyError):
            with progress.stage("[retail] reading broken.csv"):  # size unknown: shown
                raise KeyError("x")
    texts = [re.sub(STAMP, "", ln, count=1) for ln in out.getvalue().splitlines()]
    assert texts[0] == "[retail] reading orders.csv (300.0 MB) ..."
    assert re.fullmatch(r"\[retail\] reading orders\.csv \(300\.0 MB\): done \(\d+\.\d s\)", texts[1])
    assert texts[2] == "[retail] reading broken.csv ..."
    assert re.fullmatch(r"\[retail\] reading broken\.csv: stopped \(\d+\.\d s\)", texts[3])
    assert len(texts) == 4  # customers.csv: small and quick, never shown


def test_a_small_input_that_takes_long_is_shown_once_it_does():
    rep, out = _plain()
    rep.slow_seconds = 0.0
    with progress.reporting(reporter=rep):
        with progress.stage("[retail] reading customers.csv", nbytes=2000):
            for _ in range(500):  # the timer thread shows it; wait for that, whatever the machine's speed
                if "..." in out.getvalue():
                    break
                time.sleep(0.01)
    texts = [re.sub(STAMP, "", ln, count=1) for ln in out.getvalue().splitlines()]
    assert texts[0] == "[retail] reading customers.csv (2.0 KB) ..."
    assert texts[1].startswith("[retail] reading customers.csv (2.0 KB): done (")


def test_reading_source_names_the_file_and_its_size():
    from retention_utils import load_config

    cfg = load_config(TINY / "params", "shop")
    size = (TINY / "orders.csv").stat().st_size
    rep, out = _plain()
    rep.threshold_bytes = 1
    with progress.reporting(reporter=rep):
        with progress.reading_source(cfg, "orders"):
            pass
    texts = [re.sub(STAMP, "", ln, count=1) for ln in out.getvalue().splitlines()]
    assert texts[0] == f"[shop] reading orders.csv ({progress.size_text(size)}) ..."


def test_terminal_bars_build_and_follow_the_engines_percent(monkeypatch):
    class FakeEngine:
        """Answers like backend.query_progress's engine: percent done, rising."""

        def __init__(self) -> None:
            self.calls = 0
            self.polled = threading.Event()

        def query_progress(self) -> float:
            self.calls += 1
            if self.calls >= 3:
                self.polled.set()
            return min(100.0, 10.0 * self.calls)

    monkeypatch.setattr(progress, "POLL_SECONDS", 0.01)
    rep, out = _terminal()
    engine = FakeEngine()
    with progress.reporting(reporter=rep):
        with progress.stage("[retail] reading orders.csv", nbytes=None, con=engine):
            assert engine.polled.wait(10)
        unit = UnitProgress("retail", ("kpi_overview", "survival"), previous={"kpi_overview": 3, "survival": 4})
        unit.say("validating params and data ...")
        unit.start("kpi_overview")
        unit.finish("kpi_overview", 3.2)
        unit.start("survival")
        unit.close()
    text = out.getvalue()
    assert "[retail] reading orders.csv: done (" in text
    assert "[retail] validating params and data ..." in text and "[retail] 1/2 kpi_overview: done (3.2 s)" in text
    assert "\x1b[" in text  # drawn with terminal control codes
    assert rep._bars is None  # no bar left drawing after the block
    assert 0 < backend.query_progress(engine) <= 100


def test_stream_decides_bars_or_lines(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    with progress.reporting(Terminal()) as rep:
        assert isinstance(rep, TerminalReporter) and rep.live
        with progress.lines_only():  # units in worker processes: lines in the parent too
            assert type(progress.active()) is Reporter
        assert progress.active() is rep
    with progress.reporting(io.StringIO()) as rep:
        assert type(rep) is Reporter
    monkeypatch.setenv("TERM", "dumb")
    with progress.reporting(Terminal()) as rep:
        assert type(rep) is Reporter
    assert progress.active() is None


def test_worker_processes_print_plain_lines():
    try:
        progress.in_worker(True)
        assert type(progress.active()) is Reporter
    finally:
        progress.in_worker(False)
    assert progress.active() is None


def test_query_progress_is_none_when_the_engine_cannot_tell():
    con = backend.connect(threads=1)
    try:
        assert backend.query_progress(con) is None  # no query running
    finally:
        con.disconnect()
    assert backend.query_progress(object()) is None


# ----------------------------------------------------------------------------- the commands


def test_validate_shows_its_stages_past_the_threshold(monkeypatch, capsys):
    monkeypatch.setattr(progress, "THRESHOLD_BYTES", 1)
    assert main(["validate", "--params", str(TINY / "params")]) == 0
    out = capsys.readouterr().out
    size = progress.size_text(sum(f.stat().st_size for f in (TINY / "customers.csv", TINY / "orders.csv")))
    assert re.search(rf"^{STAMP}\[shop\] validating \({re.escape(size)}\) \.\.\.$", out, re.M), out
    assert re.search(rf"^{STAMP}\[shop\] validating \({re.escape(size)}\): done \(\d+\.\d s\)$", out, re.M), out
    assert "[shop] ok: report month" in out  # the command's own result lines are unchanged
    orders_size = progress.size_text((TINY / "orders.csv").stat().st_size)
    assert re.search(rf"^{STAMP}\[shop\] reading orders\.csv \({re.escape(orders_size)}\) \.\.\.$", out, re.M), out
    assert re.search(rf"^{STAMP}\[shop\] checking and typing orders\.csv \({re.escape(orders_size)}\): done \(\d+\.\d s\)$",
                     out, re.M), out
    monkeypatch.setattr(progress, "THRESHOLD_BYTES", 10**12)
    assert main(["validate", "--params", str(TINY / "params")]) == 0
    assert "validating" not in capsys.readouterr().out  # small and quick: no stage lines


def test_run_prints_timestamped_unit_lines(tmp_path, capsys):
    orders = "order_id,customer_id,order_date,amount\n1,C1,2025-01-05,10\n2,C2,2025-02-05,20\n3,C1,2025-03-05,5\n"
    params = write_unit(tmp_path / "box", files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}})
    reports = tmp_path / "box" / "reports"
    assert main(["run", "--params", str(params), "--reports", str(reports), "--month", "2025-02", "--only",
                 "kpi_overview", "--notebooks", str(tmp_path / "no-notebooks")]) == 1  # the notebook is missing
    out = capsys.readouterr().out
    assert re.search(rf"^{STAMP}\[shop\] validating params and data \.\.\.$", out, re.M), out
    assert re.search(rf"^{STAMP}\[shop\] data ok: report month 2025-02", out, re.M), out
    assert re.search(rf"^{STAMP}\[shop\] 1/1 kpi_overview: executing \.\.\. elapsed \d+:\d\d, estimate unknown$",
                     out, re.M), out
    assert re.search(rf"^{STAMP}\[shop\] 1/1 kpi_overview: FAILED \(", out, re.M), out
    assert "reports for 2025-02" in out


def test_a_broken_output_never_stops_the_work():
    out = io.StringIO()
    out.close()  # like a pipe whose reader went away
    rep = Reporter(out)
    with progress.reporting(reporter=rep):
        with progress.stage("[retail] reading orders.csv"):
            pass
        progress.say("[retail] data ok")
