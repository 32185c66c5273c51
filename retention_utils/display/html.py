"""The small HTML toolkit every page uses: table, cards, headline list, notes, footnote, title.

Every piece of text passed in is escaped here (:func:`html.escape`), so section code never
builds HTML from raw values. Styling is by CSS class only; the rules live in
``templates/report.css`` and reach a page once, with :func:`title_html` (a notebook's first
output) or the runner's page templates.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .formats import month_name

__all__ = ["HTML", "esc", "css", "table", "Card", "cards", "headline_list", "bullet_list", "notes_list", "callout", "footnote",
           "paragraph", "warning_html", "title_html", "join", "shortfall_html", "small_print", "glossary_html"]


class HTML:
    """Minimal rich-display wrapper (what IPython.display.HTML does, without importing IPython)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data


def esc(x: Any) -> str:
    """Escaped text of any value.

    Examples
    --------
    >>> esc("<b>")
    '&lt;b&gt;'
    """
    return html.escape(str(x))


@lru_cache(maxsize=1)
def _css_text() -> str:
    return (Path(__file__).resolve().parents[1] / "templates" / "report.css").read_text(encoding="utf-8")


def css() -> str:
    """The kit's CSS as a ``<style>`` block (from ``templates/report.css``)."""
    return f"<style>{_css_text()}</style>"


def join(*parts: str | HTML) -> HTML:
    """Concatenate blocks into one displayable :class:`HTML`."""
    return HTML("".join(str(p) for p in parts))


def table(df: pd.DataFrame, *, text: Sequence[str] = ()) -> str:
    """An HTML table of already formatted values (escaped).

    The first column and the ``text`` columns are left-aligned, the others right-aligned;
    missing values print empty.

    Examples
    --------
    >>> t = table(pd.DataFrame({"Group": ["<a>"], "Customers": ["1,200"]}))
    >>> "&lt;a&gt;" in t and "class='num'>1,200" in t
    True
    """
    left = set(text) | ({df.columns[0]} if len(df.columns) else set())
    head = "".join(f"<th class='{'txt' if c in left else 'num'}'>{esc(c)}</th>" for c in df.columns)

    def cell(c: Any, v: Any) -> str:
        val = v if isinstance(v, str) else ("" if pd.isna(v) else v)
        return f"<td class='{'txt' if c in left else 'num'}'>{esc(val)}</td>"

    rows = ["<tr>" + "".join(cell(c, v) for c, v in zip(df.columns, rec)) + "</tr>"
            for rec in df.itertuples(index=False)]
    return f"<table class='rk-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


@dataclass(frozen=True)
class Card:
    """One KPI card: a label, a big value and small lines under it.

    ``lines`` are ``(text, tone)`` with tone ``""``, ``"good"``, ``"bad"`` or ``"ci"``.
    """

    label: str
    value: str
    lines: tuple[tuple[str, str], ...] = field(default=())


def cards(items: Iterable[Card]) -> str:
    """A row of KPI cards.

    Examples
    --------
    >>> "rk-good'>+2" in cards([Card("Active", "1,000", (("+2", "good"),))])
    True
    """
    out = []
    for c in items:
        lines = "".join(f"<div class='{'rk-ci' if tone == 'ci' else 'rk-d'}"
                        f"{' rk-' + tone if tone in ('good', 'bad') else ''}'>{esc(t)}</div>" for t, tone in c.lines)
        out.append(f"<div class='rk-card'><div class='rk-l'>{esc(c.label)}</div>"
                   f"<div class='rk-v'>{esc(c.value)}</div>{lines}</div>")
    return f"<div class='rk-cards'>{''.join(out)}</div>"


def headline_list(sentences: Iterable[str]) -> str:
    """The headline: plain sentences as a list.

    Examples
    --------
    >>> headline_list(["a < b."])
    "<ul class='rk-headline'><li>a &lt; b.</li></ul>"
    """
    return "<ul class='rk-headline'>" + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>"


def bullet_list(items: Iterable[str]) -> str:
    """A plain bulleted list (definitions, sources); empty if no items."""
    out = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<ul class='rk-list'>{out}</ul>" if out else ""


def notes_list(notes: pd.DataFrame | Iterable[str]) -> str:
    """Small print under a section: a ``notes`` frame (``subject: note``) or plain strings; empty if none."""
    if isinstance(notes, pd.DataFrame):
        items = [f"<li><b>{esc(r.subject)}</b>: {esc(r.note)}</li>" if str(r.subject) else f"<li>{esc(r.note)}</li>"
                 for r in notes.itertuples()]
    else:
        items = [f"<li>{esc(n)}</li>" for n in notes]
    return f"<ul class='rk-notes'>{''.join(items)}</ul>" if items else ""


def callout(notes: Iterable[str]) -> str:
    """Notes the reader must not miss, in a highlighted box; empty if none."""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f"<div class='rk-callout'><ul>{items}</ul></div>" if items else ""


def footnote(text: str) -> str:
    """A small-print paragraph; empty for empty text."""
    return f"<p class='rk-footnote'>{esc(text)}</p>" if text else ""


def paragraph(text: str) -> str:
    """A plain paragraph (escaped)."""
    return f"<p>{esc(text)}</p>"


def shortfall_html(text: str | None) -> str:
    """The one sentence that replaces a section with too little data (:func:`retention_utils.samples.shortfall`).

    Examples
    --------
    >>> shortfall_html(None)
    ''
    >>> shortfall_html("Not shown: x needs 30 customers; there are 3.")
    "<p class='rk-shortfall'>Not shown: x needs 30 customers; there are 3.</p>"
    """
    return f"<p class='rk-shortfall'>{esc(text)}</p>" if text else ""


def small_print(text: str) -> str:
    """The technical term or method behind a plain sentence, in small print under it; empty for empty text."""
    return f"<p class='rk-small'>{esc(text)}</p>" if text else ""


def glossary_html(entries: Iterable[tuple[str, str]]) -> str:
    """The page's glossary: ``(name, definition)`` pairs as a definition list at the foot; empty if none.

    Examples
    --------
    >>> glossary_html([("customers scored", "At <month> end.")])
    "<section class='rk-glossary'><h2>What the words on this page mean</h2><dl><dt>customers scored</dt><dd>At &lt;month&gt; end.</dd></dl></section>"
    """
    items = "".join(f"<dt>{esc(n)}</dt><dd>{esc(d)}</dd>" for n, d in entries)
    return (f"<section class='rk-glossary'><h2>What the words on this page mean</h2><dl>{items}</dl></section>"
            if items else "")


def warning_html(text: str | None) -> str:
    """A visible warning banner (escaped), or nothing.

    Examples
    --------
    >>> warning_html(None)
    ''
    >>> "Data end &lt;soon&gt;" in warning_html("Data end <soon>")
    True
    """
    if not text:
        return ""
    return f'<div class="report-warning" role="alert"><b>Warning:</b> {esc(text)}</div>'


def title_html(data: Any, *, subtitle: str = "") -> HTML:
    """Report title block: the kit's CSS, the unit's name and report month, the subtitle, the month warning.

    Parameters
    ----------
    data : UnitData
        The unit (``config.label``, ``month``); its ``month_warning`` (a sentence when the
        report month is only partly covered by the data) is shown as a banner at the top.
    subtitle : str
        Plain text under the title.

    Examples
    --------
    >>> import datetime as dt
    >>> from types import SimpleNamespace as NS
    >>> d = NS(config=NS(label="Shop"), month=dt.date(2025, 3, 1), month_warning="Partly covered.")
    >>> page = title_html(d).data
    >>> "Shop — March 2025" in page, "Partly covered." in page
    (True, True)
    """
    sub = f"<p class='rk-sub'>{esc(subtitle)}</p>" if subtitle else ""
    return HTML(f"{css()}<h1 class='rk-title'>{esc(data.config.label)} — {esc(month_name(data.month))}</h1>"
                f"{sub}{warning_html(getattr(data, 'month_warning', None))}")
