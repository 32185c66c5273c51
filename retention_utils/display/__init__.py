"""Presentation: the HTML toolkit, the formatters and one display module per analysis.

Nothing in the analyses imports this package; results import their display module lazily in
``_repr_html_``.
"""
from __future__ import annotations

from ._old import *  # noqa: F403  (transitional: split into kpis/cohorts/quality in progress)
from ._old import (  # noqa: F401
    NO_AMOUNTS, amounts_text, cohort_headline_html, cohort_headline_sentences, definitions_html, group_test_html,
    recent_cohorts_html,
)
from .formats import fmt_delta, fmt_value
from .html import HTML, title_html, warning_html
from .notebook import setup_notebook
