"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``, so this folder is on the path)."""
from __future__ import annotations

import resource
import shutil
import sys
from pathlib import Path

#: The repository (this folder's parent).
ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``, not ``ru_maxrss``: ``ru_maxrss``
    survives ``fork`` + ``execve``, so a worker started by a big parent would report the
    parent's peak. ``VmHWM`` belongs to the worker's own address space. Elsewhere
    ``ru_maxrss`` (macOS reports bytes).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except OSError:
        pass
    return ru_maxrss_mib()


def ru_maxrss_mib() -> float:
    """``ru_maxrss`` in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def count_lines(path: Path) -> int:
    """Newlines in a file, read in 16 MiB blocks."""
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            n += block.count(b"\n")
    return n


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident set size (``VmHWM``) of a running process ``pid`` in MiB; None where unknown (not Linux, gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except (OSError, ValueError):
        pass
    return None


class TreeSampler:
    """Memory of a process and all its descendants, sampled every ``interval`` seconds in a thread.

    ``peak_mib`` is the peak over time of the SUM of their resident set sizes (what the machine must
    hold at once; shared pages such as libraries count once per process, so it errs high), with
    ``peak_at`` (seconds after the start) and the processes alive then. ``processes`` has each
    process's own peak: the largest RSS sampled or, on Linux, its ``VmHWM`` as last seen (a peak
    between two samples is caught there, not in the sum). The root is labelled ``root_label``, the
    others ``label(proc)`` (default: the process name); a label seen twice gets ``#2``, ``#3``.

    Use as a context manager around the wait for the root process::

        with TreeSampler(proc.pid) as mem:
            proc.wait()
        mem.peak_mib, mem.processes
    """

    def __init__(self, pid: int, *, interval: float = 0.2, root_label: str = "root", label=None) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.label = lambda p: root_label if p.pid == pid else (label or psutil.Process.name)(p)
        self.peak_mib = 0.0
        self.peak_at = 0.0
        self.peak_parts: dict[str, float] = {}
        self.processes: dict[str, float] = {}  # label -> own peak MiB
        self.timeline: list[tuple[float, float]] = []  # (seconds, max of the sum within that second)
        self._labels: dict[tuple[int, float], str] = {}
        self._stop = None
        self._thread = None
        self._t0 = 0.0

    def _name(self, proc) -> str:
        key = (proc.pid, proc.create_time())
        if key not in self._labels:
            base = self.label(proc)
            taken = set(self._labels.values())
            name, i = base, 1
            while name in taken:
                i += 1
                name = f"{base} #{i}"
            self._labels[key] = name
        return self._labels[key]

    def sample(self) -> float:
        """One sample: the sum of the tree's RSS in MiB (also folded into the peaks)."""
        import time

        import psutil

        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        parts: dict[str, float] = {}
        for p in procs:
            try:
                name = self._name(p)
                rss = p.memory_info().rss / 2**20
            except psutil.Error:  # ended between the listing and the read
                continue
            parts[name] = rss
            hwm = vm_hwm_mib(p.pid)
            self.processes[name] = max(self.processes.get(name, 0.0), rss, hwm or 0.0)
        total = sum(parts.values())
        now = time.monotonic() - self._t0
        if total > self.peak_mib:
            self.peak_mib, self.peak_at, self.peak_parts = total, now, parts
        second = float(int(now))
        if self.timeline and self.timeline[-1][0] == second:
            self.timeline[-1] = (second, max(self.timeline[-1][1], total))
        else:
            self.timeline.append((second, total))
        return total

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "TreeSampler":
        import threading
        import time

        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="tree-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def rss_mib(field: str = "VmRSS") -> float:
    """``VmRSS`` (or another ``/proc/self/status`` field, e.g. ``VmHWM``) in MiB; NaN where unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak() -> bool:
    """Set this process's ``VmHWM`` to its current RSS (Linux >= 4.0); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # VmHWM := current RSS
        return True
    except OSError:
        return False


def demo_params(data: Path, work: Path) -> Path:
    """A copy of the repo's params folder at ``work/params`` whose sources point at the demo export ``data``."""
    import yaml

    params = work / "params"
    shutil.copytree(ROOT / "params", params)
    d = yaml.safe_load((params / "defaults.yaml").read_text())
    for name in ("customers", "orders", "interactions", "campaigns"):
        d["sources"][name]["path"] = str(data / f"{name}.csv")
    (params / "defaults.yaml").write_text(yaml.safe_dump(d))
    return params
