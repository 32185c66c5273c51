"""The data-quality section: every input row used or counted with its reason."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .formats import count, pct
from .html import HTML, join, notes_list, paragraph, table

__all__ = ["quality_html"]


def quality_html(quality: Any) -> HTML:
    """Data-quality section of a :class:`~retention_utils.contract.DataQuality`."""
    s = quality.summary_frame()
    show = pd.DataFrame({
        "Table": s["table"], "Source": s["source"], "Outcome": s["outcome"], "Reason": s["reason"],
        "Rows": s["rows"].map(count), "Share": s["share"].map(pct),
    })
    inputs = quality.inputs
    total = ", ".join(f"{t}: {n:,} rows read" for t, n in zip(inputs["table"], inputs["rows"]))
    check = ("Every input row is accounted for (used, excluded or dropped rows add up to the rows read)."
             if quality.balanced() else "WARNING: the row accounting does not add up; please report this.")
    notes = ""
    if len(quality.notes):
        notes = "<p>Notes:</p>" + notes_list([f"{r.table}: {r.note}" for r in quality.notes.itertuples()])
    return join(paragraph(f"{total}. {check}"), table(show, text=["Source", "Outcome", "Reason"]), notes)

