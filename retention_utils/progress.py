"""Progress on the terminal: the one place that prints it.

The command line activates a reporter for the length of a command (:func:`reporting`):

- stdout a terminal: live bars (rich): one per unit of ``retention run`` (its notebook, ``2/4``,
  the unit's elapsed time and an estimate of the time left) and one per long stage (reading a
  large file, with the engine's percent done when the stage names its engine);
- otherwise (logs, CI, ``--jobs N`` workers): plain timestamped lines, one per event, flushed.

Library code marks its long steps with :func:`stage` (or :func:`reading_source` for one input
source); with no reporter active (library use, notebooks, tests) a stage does nothing and costs
nothing. A stage is shown when its input is large (``nbytes`` at least :data:`THRESHOLD_BYTES`,
or unknown) or when it lasts longer than :data:`SLOW_SECONDS`.

The runner's per-unit lines (:class:`UnitProgress`, :func:`say`) print with or without a reporter,
as ``run_month`` always did; the estimate of the time left comes from the previous run's
``manifest.json`` in the reports folder (:func:`previous_seconds`), else from the notebooks done
so far.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import glob as globmod
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Mapping, Sequence

__all__ = ["THRESHOLD_BYTES", "SLOW_SECONDS", "Reporter", "TerminalReporter", "reporting", "active", "stage",
           "reading_source", "files_size", "say", "UnitProgress", "estimate_left", "previous_seconds", "clock_text",
           "size_text", "lines_only", "in_worker"]

#: inputs at least this large show their stage at once (smaller ones only when they last long)
THRESHOLD_BYTES = 200 * 2**20
#: a stage that lasts longer than this is shown even when its input is small
SLOW_SECONDS = 5.0
#: how often a live bar asks the engine how far its query is
POLL_SECONDS = 0.25

_active: Reporter | None = None


# ----------------------------------------------------------------------------- formatting


def clock_text(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on).

    Examples
    --------
    >>> clock_text(62), clock_text(5.4), clock_text(3725)
    ('1:02', '0:05', '1:02:05')
    """
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def size_text(nbytes: int) -> str:
    """A file size for people.

    Examples
    --------
    >>> size_text(512), size_text(3 * 2**20), size_text(int(1.25 * 2**30))
    ('512 B', '3.0 MB', '1.2 GB')
    """
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


def _left_text(left: float | None) -> str:
    if left is None:
        return "estimate unknown"
    return f"about {clock_text(left)} left" if left >= 0.5 else "about done"


# ----------------------------------------------------------------------------- reporters


class Reporter:
    """Plain lines, one per event, flushed: for logs, CI and worker processes.

    Parameters
    ----------
    file
        Where the lines go; ``sys.stdout`` as it is at each line when None.
    timestamps
        Start each line with the local date and time.
    threshold_bytes, slow_seconds
        When a stage is shown (module defaults :data:`THRESHOLD_BYTES`, :data:`SLOW_SECONDS`
        as they are when the stage starts, when None).
    """

    #: draws live bars (and so wants the engine's percent done)
    live = False

    def __init__(self, file: IO[str] | None = None, *, timestamps: bool = True,
                 threshold_bytes: int | None = None, slow_seconds: float | None = None) -> None:
        self.file = file
        self.timestamps = timestamps
        self.threshold_bytes = threshold_bytes
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()

    # -- events
    def line(self, text: str) -> None:
        """Print one event; a closed or broken output (``retention run | head``) never stops the run."""
        stamp = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} " if self.timestamps else ""
        with self._lock, contextlib.suppress(OSError, ValueError):
            print(f"{stamp}{text}", file=self.file or sys.stdout, flush=True)

    # -- stages (see :func:`stage`)
    def stage_begin(self, text: str, *, measured: bool) -> Any:
        self.line(f"{text} ...")
        return None

    def stage_update(self, handle: Any, percent: float) -> None:
        pass

    def stage_end(self, handle: Any, text: str, seconds: float, *, ok: bool) -> None:
        self.line(f"{text}: {'done' if ok else 'stopped'} ({seconds:.1f} s)")

    # -- a unit's steps (see :class:`UnitProgress`)
    def steps_begin(self, label: str, started: float) -> Any:
        return None

    def steps_update(self, handle: Any, text: str, *, done: int, total: int, started: float,
                     deadline: float | None, estimated: bool) -> None:
        self.line(text)

    def steps_end(self, handle: Any) -> None:
        pass

    def close(self) -> None:
        pass


class TerminalReporter(Reporter):
    """Live bars on a terminal (rich); the events still print, above the bars.

    Parameters
    ----------
    file
        The terminal; ``sys.stdout`` when None.
    console
        A ``rich.console.Console`` to draw on instead (tests pass one writing to a ``StringIO``).
    """

    live = True

    def __init__(self, file: IO[str] | None = None, *, console: Any = None, threshold_bytes: int | None = None,
                 slow_seconds: float | None = None) -> None:
        super().__init__(file, timestamps=False, threshold_bytes=threshold_bytes, slow_seconds=slow_seconds)
        if console is None:
            from rich.console import Console

            console = Console(file=file or sys.stdout, highlight=False)
        self.console = console
        self._bars: Any = None
        self._tasks = 0

    def line(self, text: str) -> None:
        with self._lock, contextlib.suppress(OSError, ValueError):
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def _add(self, description: str, **fields: Any) -> Any:
        with self._lock:
            if self._bars is None:
                self._bars = _bars(self.console)
                self._bars.start()
            self._tasks += 1
            return self._bars.add_task(description, **fields)

    def _remove(self, task: Any) -> None:
        with self._lock:
            if self._bars is None:
                return
            self._bars.remove_task(task)
            self._tasks -= 1
            if self._tasks == 0:  # no bar left: stop drawing (and its refresh thread)
                self._bars.stop()
                self._bars = None

    def stage_begin(self, text: str, *, measured: bool) -> Any:
        return self._add(text, total=100 if measured else None, kind="stage", started=time.monotonic(),
                         deadline=None, estimated=False)

    def stage_update(self, handle: Any, percent: float) -> None:
        with self._lock:
            if self._bars is not None and handle in self._bars.task_ids:
                self._bars.update(handle, completed=percent)

    def stage_end(self, handle: Any, text: str, seconds: float, *, ok: bool) -> None:
        self._remove(handle)
        super().stage_end(handle, text, seconds, ok=ok)

    def steps_begin(self, label: str, started: float) -> Any:
        return self._add(label, total=None, kind="steps", started=started, deadline=None, estimated=False)

    def steps_update(self, handle: Any, text: str, *, done: int, total: int, started: float,
                     deadline: float | None, estimated: bool) -> None:
        with self._lock:
            if self._bars is not None:
                self._bars.update(handle, description=text.split(":", 1)[0], completed=done, total=total or None,
                                  deadline=deadline, estimated=estimated)

    def steps_end(self, handle: Any) -> None:
        self._remove(handle)

    def close(self) -> None:
        with self._lock:
            if self._bars is not None:
                self._bars.stop()
                self._bars = None
                self._tasks = 0


def _bars(console: Any) -> Any:
    """A rich Progress: spinner, description, bar, percent done (stages), elapsed and time left."""
    from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.table import Column
    from rich.text import Text

    class Times(ProgressColumn):
        def render(self, task: Any) -> Text:
            now = time.monotonic()
            text = f"elapsed {clock_text(now - task.fields.get('started', now))}"
            if task.fields.get("estimated"):
                deadline = task.fields.get("deadline")
                text += ", " + _left_text(None if deadline is None else deadline - now)
            return Text(text)

    class Percent(ProgressColumn):  # a stage's engine percent (a unit's bar says "2/4" in its description)
        def render(self, task: Any) -> Text:
            return Text(f"{task.completed:3.0f}%" if task.fields.get("kind") == "stage" and task.total else "")

    # the bar takes what the text leaves of the terminal's width: lines never wrap on a narrow one
    return Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False, table_column=Column(no_wrap=True)),
                    BarColumn(bar_width=None, table_column=Column(ratio=1)), Percent(table_column=Column(no_wrap=True)),
                    Times(table_column=Column(no_wrap=True)), console=console, transient=True, refresh_per_second=4,
                    expand=True)


def _for_stream(stream: IO[str]) -> Reporter:
    """A live reporter on a terminal, plain lines anywhere else."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty and os.environ.get("TERM", "") != "dumb":
        return TerminalReporter(stream)
    return Reporter(stream)


@contextlib.contextmanager
def reporting(stream: IO[str] | None = None, *, reporter: Reporter | None = None) -> Iterator[Reporter]:
    """Show progress while the block runs (the command line's ``run`` and ``validate``).

    ``reporter`` None: live bars when ``stream`` (default ``sys.stdout``) is a terminal, plain
    timestamped lines otherwise. The previous reporter (usually none) is restored afterwards.
    """
    global _active
    rep = reporter or _for_stream(stream or sys.stdout)
    previous, _active = _active, rep
    try:
        yield rep
    finally:
        rep.close()
        _active = previous


def active() -> Reporter | None:
    """The reporter in force, None outside :func:`reporting`."""
    return _active


@contextlib.contextmanager
def lines_only() -> Iterator[None]:
    """Plain lines instead of live bars while the block runs (units in worker processes print at once)."""
    global _active
    previous = _active
    if previous is None or not previous.live:
        yield
        return
    previous.close()
    _active = Reporter(previous.file, threshold_bytes=previous.threshold_bytes, slow_seconds=previous.slow_seconds)
    try:
        yield
    finally:
        _active = previous


def in_worker(show: bool) -> None:
    """Initializer of a worker process: plain lines when the parent shows progress, nothing otherwise."""
    global _active
    _active = Reporter() if show else None


# ----------------------------------------------------------------------------- stages


class _Stage:
    """One running stage: shown at once or after ``slow`` seconds; the engine polled while shown."""

    def __init__(self, rep: Reporter, text: str, *, show_now: bool, slow: float, con: Any) -> None:
        self.rep, self.text, self.con = rep, text, con
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.handle: Any = None
        self.shown = self.finished = False
        self.stop = threading.Event()
        self.timer: threading.Timer | None = None
        self.poller: threading.Thread | None = None
        if show_now:
            self.show()
        else:
            self.timer = threading.Timer(slow, self.show)
            self.timer.daemon = True
            self.timer.start()

    def show(self) -> None:
        with self.lock:
            if self.finished or self.shown:
                return
            self.shown = True
            measured = self.con is not None and self.rep.live
            self.handle = self.rep.stage_begin(self.text, measured=measured)
        if measured:
            self.poller = threading.Thread(target=self.poll, name="retention-progress", daemon=True)
            self.poller.start()

    def poll(self) -> None:
        from . import backend

        while not self.stop.wait(POLL_SECONDS):
            percent = backend.query_progress(self.con)
            if percent is not None:
                self.rep.stage_update(self.handle, percent)

    def end(self, ok: bool) -> None:
        with self.lock:
            self.finished = True
        if self.timer is not None:
            self.timer.cancel()
        self.stop.set()
        if self.poller is not None:
            self.poller.join()  # never left asking an engine that the caller may close next
        if self.shown:
            self.rep.stage_end(self.handle, self.text, time.monotonic() - self.t0, ok=ok)


@contextlib.contextmanager
def stage(text: str, *, nbytes: int | None = None, con: Any = None) -> Iterator[None]:
    """Show ``text ...`` and ``text: done (12.3 s)`` around a long step, when a reporter is active.

    Parameters
    ----------
    text
        What the step does, e.g. ``"[retail] reading orders.csv"``; the size is appended.
    nbytes
        Size of the step's input: the stage is shown at once when it is at least
        :data:`THRESHOLD_BYTES` or None, else only once it has lasted :data:`SLOW_SECONDS`.
    con
        The engine that runs the step: on a terminal its query's percent done fills the bar
        (:func:`retention_utils.backend.query_progress`).

    Nothing is shown, and no thread started, outside :func:`reporting`.

    Examples
    --------
    >>> with stage("[retail] reading orders.csv", nbytes=10):
    ...     pass
    """
    rep = _active
    if rep is None:
        yield
        return
    threshold = THRESHOLD_BYTES if rep.threshold_bytes is None else rep.threshold_bytes
    slow = SLOW_SECONDS if rep.slow_seconds is None else rep.slow_seconds
    if nbytes:
        text = f"{text} ({size_text(nbytes)})"
    running = _Stage(rep, text, show_now=nbytes is None or nbytes >= threshold, slow=slow, con=con)
    ok = False
    try:
        yield
        ok = True
    finally:
        running.end(ok)


def reading_source(cfg: Any, name: str, con: Any = None) -> contextlib.AbstractContextManager[None]:
    """The stage of reading source ``name`` of a unit: ``[retail] reading orders.csv (1.2 GB)``.

    ``cfg`` is the unit's :class:`~retention_utils.config.UnitConfig`; the size is that of the
    files the source's path matches (a database table has none: its stage shows when it is slow).
    """
    if _active is None:
        return contextlib.nullcontext()
    spec = getattr(cfg.sources, name)
    files: list[Path] = []
    if getattr(spec, "path", None):
        files = sorted(p for p in (Path(f) for f in globmod.glob(str(cfg.resolve_path(str(spec.path))))) if p.is_file())
    if len(files) == 1:
        what = files[0].name
    elif files:
        what = f"{spec.path} ({len(files)} files)"
    else:
        what = f"{name} ({getattr(spec, 'table', None) or spec.path})"
    return stage(f"[{cfg.unit}] reading {what}", nbytes=files_size(files), con=con)


def files_size(files: Iterable[Path]) -> int:
    """Bytes of ``files`` together (a file gone since it was listed counts 0)."""
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            pass
    return total


# ----------------------------------------------------------------------------- a unit of a run


def say(text: str) -> None:
    """One event line: through the reporter when one is active, else printed as it is."""
    (_active or _PRINT).line(text)


#: the runner's lines outside :func:`reporting` (``run_month`` called from Python): printed, no timestamps
_PRINT = Reporter(timestamps=False)


def estimate_left(remaining: Sequence[str], done: Mapping[str, float],
                  previous: Mapping[str, float] | None = None) -> float | None:
    """Seconds the notebooks ``remaining`` (the one starting first) should take, None when unknown.

    Each takes its time of the previous run (``previous``), scaled by how this run compares with
    it on the notebooks ``done`` so far (a bigger export this month); a notebook the previous run
    did not time takes the mean of those done so far, else of the previous run's.

    Examples
    --------
    >>> estimate_left(["b", "c"], {"a": 20.0}, {"a": 10.0, "b": 5.0, "c": 15.0})
    40.0
    >>> estimate_left(["b", "c"], {"a": 20.0}), estimate_left(["a", "b"], {})
    (40.0, None)
    """
    previous = dict(previous or {})
    common = [n for n in done if n in previous and previous[n] > 0]
    scale = sum(done[n] for n in common) / sum(previous[n] for n in common) if common else 1.0
    fallback = (sum(done.values()) / len(done) if done
                else sum(previous.values()) * scale / len(previous) if previous else None)
    total = 0.0
    for name in remaining:
        if name in previous:
            total += previous[name] * scale
        elif fallback is None:
            return None
        else:
            total += fallback
    return total


def previous_seconds(reports_dir: str | Path) -> dict[str, dict[str, float]]:
    """Per unit, the seconds each notebook took in the latest run recorded under ``reports_dir``.

    Reads every ``<reports_dir>/<month>/manifest.json`` (written by the runner) and keeps, for
    each unit, the notebooks that finished in the run that finished last. Unreadable manifests
    are skipped: an estimate is never worth a failed run.
    """
    best: dict[str, tuple[str, dict[str, float]]] = {}
    for path in sorted(Path(reports_dir).glob("*/manifest.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            finished = str(manifest.get("finished") or "")
            for entry in manifest.get("units") or []:
                seconds = {str(nb["name"]): float(nb["seconds"]) for nb in entry.get("notebooks") or []
                           if nb.get("status") == "ok" and isinstance(nb.get("seconds"), (int, float))}
                unit = str(entry["unit"])
                if seconds and finished >= best.get(unit, ("", {}))[0]:
                    best[unit] = (finished, seconds)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return {unit: seconds for unit, (_, seconds) in best.items()}


class UnitProgress:
    """Where a unit of ``retention run`` is: ``[retail] 2/4 cohort_retention: executing ... elapsed 1:02, about 0:40 left``.

    Parameters
    ----------
    unit
        The unit's name.
    notebooks
        The notebooks it will run, in order (:attr:`notebooks` may be narrowed after validation).
    previous
        Seconds per notebook of the unit's previous run (:func:`previous_seconds`), for the estimate.
    clock
        Seconds on a monotonic clock (tests pass a fake one).
    """

    def __init__(self, unit: str, notebooks: Sequence[str], *, previous: Mapping[str, float] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.unit = unit
        self.notebooks = tuple(notebooks)
        self.previous = dict(previous or {})
        self.done: dict[str, float] = {}
        self.clock = clock
        self.started = clock()
        self._rep = _active or _PRINT
        self._handle = self._rep.steps_begin(f"[{unit}] validating params and data", self.started)

    def say(self, text: str) -> None:
        """An event of the unit: ``[retail] text``."""
        self._rep.line(f"[{self.unit}] {text}")

    def start(self, notebook: str) -> None:
        """A notebook starts: its number, the unit's elapsed time and the estimate of the time left."""
        i = self.notebooks.index(notebook) + 1 if notebook in self.notebooks else len(self.done) + 1
        n = len(self.notebooks)
        now = self.clock()
        left = estimate_left(self.notebooks[i - 1:], self.done, self.previous)
        text = (f"[{self.unit}] {i}/{n} {notebook}: executing ... elapsed {clock_text(now - self.started)}, "
                f"{_left_text(left)}")
        self._rep.steps_update(self._handle, text, done=i - 1, total=n, started=self.started,
                               deadline=None if left is None else now + left, estimated=True)

    def finish(self, notebook: str, seconds: float, *, error: str | None = None) -> None:
        """A notebook ended: ``[retail] 2/4 cohort_retention: done (23.4 s)`` or ``FAILED (why)``."""
        self.done[notebook] = seconds
        i = self.notebooks.index(notebook) + 1 if notebook in self.notebooks else len(self.done)
        where = f"{i}/{len(self.notebooks)} {notebook}"
        self.say(f"{where}: FAILED ({error})" if error is not None else f"{where}: done ({seconds:.1f} s)")

    def close(self) -> None:
        """The unit is done: its bar goes."""
        self._rep.steps_end(self._handle)
