"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``, so this folder is on the path)."""
from __future__ import annotations

import resource
import sys
from pathlib import Path


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
