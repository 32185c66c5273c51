"""Charts: :mod:`.base` (Axes helper, palette, labels, money axis) and one module per analysis.

Every plot function is ``plot_x(result_or_table, *, ax=None, ...) -> Axes``; nothing here creates,
shows or saves figures.
"""
from __future__ import annotations

from . import base, campaigns, check, cohorts, drivers, kpis, ledger, survival, value

__all__ = ["base", "campaigns", "check", "cohorts", "drivers", "kpis", "ledger", "survival", "value"]
