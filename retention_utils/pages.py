"""The run's pages: each executed notebook as HTML without code, the unit page, the month index.

Computation-free: the pages show what the runner recorded (``UnitResult``) and the headline rows
the analyses computed; numbers written to ``summary.json`` and ``manifest.json`` are rounded
(:func:`stable_numbers`) so identical runs write identical files.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

__all__ = ["UnitResult", "render_notebook_html", "stable_headline", "stable_numbers"]

#: The file of the unit's summary rows (written by the runner; linked from the unit page).
SUMMARY_FILE = "summary.csv"


@dataclass
class UnitResult:
    unit: str
    label: str
    month: str | None
    status: str  # ok | failed
    error: str = ""
    failed_step: str = ""
    headline: list[dict[str, Any]] = field(default_factory=list)
    currency: str = ""
    notebooks: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)  # the engine settings in force (memory cap, threads)
    seconds: float = 0.0
    staging: str = ""
    month_warning: str = ""  # the report month is only partly covered by the data (shown on every page)
    steps: dict[str, float] = field(default_factory=dict)  # seconds of the runner's own steps (validation)
    quality: dict[str, Any] = field(default_factory=dict)  # input rows read / used / excluded / dropped, balanced
    revisions: list[dict[str, Any]] = field(default_factory=list)  # earlier months changed since reported (ledger)


def _env() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(Path(__file__).parent / "templates"))
    env = jinja2.Environment(loader=loader, autoescape=True)
    from .display import warning_html

    env.globals["warning_html"] = lambda text: markupsafe.Markup(warning_html(text))  # escapes the text itself
    return env


def render_notebook_html(ipynb: Path, out_html: Path, *, title: str, cfg: Any = None) -> None:
    """Render an executed notebook to self-contained HTML without code.

    Hidden: input cells, prompts, the ``parameters`` and ``injected-parameters``
    cells, and any stderr stream output (warnings never reach executives). No script
    runs in the page (nbconvert's MathJax and Mermaid loaders are removed: a report opens
    offline and loads nothing). At the foot: the glossary of the populations, measures and
    methods the page names (:func:`retention_utils.vocabulary.glossary_entries`, with the
    churn windows of ``cfg``).
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    tags = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters"}, enabled=True)
    exporter.register_preprocessor(tags, enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    # no scripts: the report must open offline and run nothing (nbconvert adds MathJax, require.js and a
    # Mermaid loader that imports from a CDN; the pages are static HTML and embedded PNGs)
    body = _strip_scripts(body)
    body = _with_glossary(body, cfg)
    out_html.write_text(body, encoding="utf-8")


def _strip_scripts(body: str) -> str:
    """``body`` without any ``<script>`` element.

    Examples
    --------
    >>> _strip_scripts('<p>a</p><script type="module">import("https://x")</script><script src="https://y"></script>')
    '<p>a</p>'
    """
    import re

    return re.sub(r"<script\b[^>]*>.*?</script\s*>", "", body, flags=re.DOTALL | re.IGNORECASE)


def page_text(body: str) -> str:
    """The visible text of an HTML page (styles, scripts and tags removed; entities decoded).

    Examples
    --------
    >>> page_text("<style>p{}</style><p>a &amp; <b>b</b></p>")
    'a & b'
    """
    import html as html_mod
    import re

    body = re.sub(r"<(style|script)\b[^>]*>.*?</\1\s*>", " ", body, flags=re.DOTALL | re.IGNORECASE)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html_mod.unescape(body)).strip()


def _with_glossary(body: str, cfg: Any) -> str:
    from .display.html import glossary_html
    from .vocabulary import glossary_entries

    block = glossary_html(glossary_entries(page_text(body), cfg))
    if not block:
        return body
    at = body.rfind("</body>")
    block = f"<div class='jp-Cell' style='padding:0 12px'>{block}</div>"
    return body[:at] + block + body[at:] if at >= 0 else body + block


def _read_summary(folder: Path) -> "Any":
    """The unit's ``summary.csv`` as a frame (None when the run wrote none)."""
    import pandas as pd

    path = folder / SUMMARY_FILE
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _ledger(root: Path) -> "Any":
    """The KPI ledger under the reports root (None when missing or unreadable: the page then shows less)."""
    from .ledger import read_ledger

    try:
        return read_ledger(root)
    except Exception:  # noqa: BLE001 - the run already said why when it wrote the ledger
        return None


def _pdf_available() -> bool:
    """A Chromium to print the PDFs with was found (the runner prints them after the pages are written)."""
    try:
        from .browser import find_chromium
    except ImportError:
        return False
    return find_chromium() is not None


def _month_title(month: str) -> str:
    from .display.formats import month_name

    try:
        return month_name(f"{month}-01")
    except ValueError:
        return month


def _write_unit_page(stage: Path, res: UnitResult, month: str) -> None:
    from .display.executive import unit_view

    env = _env()
    stage.mkdir(parents=True, exist_ok=True)
    view = unit_view(res, _read_summary(stage))
    page = env.get_template("unit.html").render(r=res, month=month, month_title=_month_title(month), v=view,
                                                has_summary=(stage / SUMMARY_FILE).is_file(), pdf=_pdf_available(),
                                                generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    (stage / "index.html").write_text(page, encoding="utf-8")
    (stage / "summary.json").write_text(json.dumps(_jsonable(res), indent=2, default=str), encoding="utf-8")


def _jsonable(res: UnitResult) -> dict[str, Any]:
    d = dict(res.__dict__)
    d.pop("staging", None)
    d["headline"] = [stable_headline(h) for h in res.headline]
    return stable_numbers(d)


def stable_headline(row: dict[str, Any]) -> dict[str, Any]:
    """A headline KPI row with money in cents and rates to 1e-6, so identical runs write identical files.

    Examples
    --------
    >>> stable_headline({"kind": "money", "value": 1182.5199999999998, "delta_previous": -0.30000000000000004,
    ...                  "pct_previous": 0.12345678})
    {'kind': 'money', 'value': 1182.52, 'delta_previous': -0.3, 'pct_previous': 0.123457}
    """
    money = row.get("kind") == "money"
    out = {}
    for key, value in row.items():
        if isinstance(value, float) and math.isfinite(value):
            value = round(value, 2) if money and key in ("value", "previous", "year_ago", "delta_previous",
                                                          "delta_year") else round(value, 6)
        out[key] = value
    return out


def stable_numbers(obj: Any, digits: int = 6) -> Any:
    """``obj`` with every float rounded to ``digits`` decimals (NaN and infinities become None).

    Examples
    --------
    >>> stable_numbers({"a": [0.1 + 0.2, float("nan")], "b": 3})
    {'a': [0.3, None], 'b': 3}
    """
    if isinstance(obj, float):
        return round(obj, digits) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: stable_numbers(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [stable_numbers(v, digits) for v in obj]
    return obj


def _write_month_index(month_dir: Path, month: str, manifest: dict[str, Any], ledger_note: str = "") -> Path:
    from .display.executive import portfolio_view

    units = []
    for summary in sorted(month_dir.glob("*/summary.json")):
        data = json.loads(summary.read_text(encoding="utf-8"))
        res = UnitResult(**{k: v for k, v in data.items() if k in UnitResult.__dataclass_fields__})
        units.append((res, _read_summary(summary.parent)))
    page = _env().get_template("month.html").render(
        month=month, month_title=_month_title(month), p=portfolio_view(units, month, _ledger(month_dir.parent)),
        n_units=len(units),
        n_ok=sum(1 for r, _ in units if r.status == "ok"), ledger_note=ledger_note, pdf=_pdf_available(),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    tmp = month_dir / f".index-{uuid.uuid4().hex[:8]}.html"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, month_dir / "index.html")
    tmpm = month_dir / f".manifest-{uuid.uuid4().hex[:8]}.json"
    tmpm.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmpm, month_dir / "manifest.json")
    return month_dir / "index.html"


def print_pdfs(reports_dir: Path, month: str, results: list[UnitResult]) -> list[Path]:
    """Each unit summary and the portfolio page printed to ``index.pdf`` beside them, when a Chromium is found.

    A PDF is a copy for mail: a failed print never fails the run (the page is there); the PDFs written
    are returned.
    """
    from .browser import find_chromium, print_pdf

    if find_chromium() is None:
        return []
    folder = Path(reports_dir) / month
    pages = [folder / r.unit / "index.html" for r in results] + [folder / "index.html"]
    written = []
    for page in pages:
        if page.is_file():
            try:
                if print_pdf(page, page.with_suffix(".pdf")):
                    written.append(page.with_suffix(".pdf"))
            except Exception as exc:  # noqa: BLE001 - see the docstring; said on the terminal, not hidden
                import sys

                print(f"PDF of {page.relative_to(Path(reports_dir))} not written: {str(exc)[:300]}", file=sys.stderr)
    return written
