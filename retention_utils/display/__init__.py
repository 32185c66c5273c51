"""Presentation: the HTML toolkit, the formatters and one display module per analysis.

* :mod:`.formats`: percent, money, count, p-value, delta, month name (every page);
* :mod:`.html`: table, cards, headline list, notes, footnote, title (CSS in ``templates/report.css``);
* :mod:`.notebook`: notebook defaults;
* one module per analysis (:mod:`.kpis`, :mod:`.cohorts`, :mod:`.quality`, ...), each with
  ``result_html(result)`` and the section functions a notebook calls.

Nothing in the analyses imports this package; a result imports its display module lazily in
``_repr_html_``.
"""
from __future__ import annotations

from . import campaigns, cohorts, drivers, executive, experiment, formats, html, kpis, quality, survival, value
from .formats import fmt_delta, fmt_value
from .html import HTML, title_html, warning_html
from .kpis import NO_AMOUNTS, amounts_text, definitions_html
from .notebook import setup_notebook
from .quality import quality_html

__all__ = ["campaigns", "cohorts", "drivers", "experiment", "executive", "formats", "html", "kpis", "quality", "survival", "value", "HTML", "NO_AMOUNTS", "amounts_text", "definitions_html",
           "fmt_delta", "fmt_value", "quality_html", "setup_notebook", "title_html", "warning_html"]
