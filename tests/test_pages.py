"""The rendered demo as an executive reads it: one name one number, no placeholders, clean figures, plain words,
the unit summary and the portfolio page.

All tests read one render of the demo (``rendered_demo`` in conftest: 2,000 customers, plus a
15-customer unit with hostile names, the small-unit case; a hostile and a broken unit).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from retention_utils import vocabulary
from retention_utils.pages import page_text
from tests.conftest import RENDERED_UNITS

MONTH = "2025-12"
DEMO_UNITS = ("retail", "subscriptions", "b2b")
PAGES = ("index", "kpi_overview", "cohort_retention", "survival", "churn_drivers")

pytestmark = pytest.mark.slow


def _folder(rendered_demo: Path) -> Path:
    return rendered_demo / "reports" / MONTH


def _texts(rendered_demo: Path, unit: str) -> dict[str, str]:
    out = {}
    for page in PAGES:
        path = _folder(rendered_demo) / unit / f"{page}.html"
        if path.is_file():
            out[page] = path.read_text(encoding="utf-8")
    return out


def _without_glossary(html: str) -> str:
    return re.sub(r"<section class='rk-glossary'>.*?</section>", " ", html, flags=re.DOTALL)


def test_every_unit_rendered(rendered_demo):
    status = json.loads((rendered_demo / "done.json").read_text())
    assert status == RENDERED_UNITS


def _named_numbers(text: str) -> dict[str, set[str]]:
    """``name as written -> numbers`` for every population name on a page, as "<n> <name>" or "<name> <n>"."""
    found: dict[str, set[str]] = {}
    for term in vocabulary.POPULATIONS:
        if term.key == "cohort":
            continue  # "cohort" names many populations ("the Nov 2025 cohort"): not one number
        pattern = re.escape(term.name).replace(re.escape("{month}"), r"((?:[A-Z][a-z]+ )?\d{4}|the month)")
        for m in re.finditer(r"(?<![\d.,])(\d[\d,]*)\s+(" + pattern + r")\b(?!\s*\()", text, flags=re.IGNORECASE):
            found.setdefault(m.group(2).lower(), set()).add(m.group(1).replace(",", ""))
    return found


@pytest.mark.parametrize("unit", DEMO_UNITS)
def test_one_name_one_number_across_pages(rendered_demo, unit):
    """Every number labelled with a population's name is the same number on every page of the unit."""
    seen: dict[str, dict[str, set[str]]] = {}
    for page, html in _texts(rendered_demo, unit).items():
        for name, numbers in _named_numbers(page_text(_without_glossary(html))).items():
            seen.setdefault(name, {}).setdefault(page, set()).update(numbers)
    clashes = {name: pages for name, pages in seen.items() if len(set().union(*pages.values())) > 1}
    assert clashes == {}, clashes


def test_the_named_number_finder_catches_a_clash():
    got = _named_numbers("517 customers who bought in December 2025 ... 622 customers who bought in December 2025; "
                         "762 customers scored")
    assert got == {"customers who bought in december 2025": {"517", "622"}, "customers scored": {"762"}}


PLACEHOLDER = re.compile(r"(?<![\w/])(n/a|nan|NaN|None|NaT|<NA>|inf)(?![\w/])")


@pytest.mark.parametrize("unit", (*DEMO_UNITS, "tiny"))
def test_no_placeholder_reaches_a_page(rendered_demo, unit):
    for page, html in _texts(rendered_demo, unit).items():
        text = page_text(html)
        hits = [text[max(0, m.start() - 60): m.end() + 40] for m in PLACEHOLDER.finditer(text)]
        assert hits == [], (unit, page, hits[:5])
        assert not re.search(r"Median not reached[^.]{0,80}\b0 customers", text), (unit, page)


def test_month_index_has_no_placeholder(rendered_demo):
    text = page_text((_folder(rendered_demo) / "index.html").read_text(encoding="utf-8"))
    assert PLACEHOLDER.findall(text) == []


def test_figures_have_no_overlapping_or_cut_text(rendered_demo):
    """Every figure of every page of the demo and of the tiny unit, checked as drawn (plots.check)."""
    lines = [json.loads(x) for x in (rendered_demo / "figures.jsonl").read_text().splitlines() if x.strip()]
    assert lines == []


@pytest.mark.parametrize("unit", DEMO_UNITS)
def test_technical_terms_at_most_once_per_page(rendered_demo, unit):
    """Plain words first: a method's name (ROC AUC, hazard ratio, ...) appears at most once a page, glossary aside."""
    over = {}
    for page, html in _texts(rendered_demo, unit).items():
        counts = vocabulary.technical_terms_in(page_text(_without_glossary(html)))
        many = {k: n for k, n in counts.items() if n > 1 and k not in ("ci", "lift", "calibration", "p_value")}
        if many:
            over[page] = many
    assert over == {}


def test_every_report_page_ends_with_its_glossary(rendered_demo):
    for unit in DEMO_UNITS:
        for page in PAGES[1:]:
            html = (_folder(rendered_demo) / unit / f"{page}.html").read_text(encoding="utf-8")
            assert "What the words on this page mean" in html, (unit, page)
            assert html.rfind("rk-glossary") > html.rfind("<img"), (unit, page)  # at the foot


# ---------------------------------------------------------------------------------------------- unit summary

def _summary(rendered_demo: Path, unit: str) -> dict:
    return json.loads((_folder(rendered_demo) / unit / "summary.json").read_text(encoding="utf-8"))


def test_unit_summary_tiles_changes_and_traffic_lights(rendered_demo):
    """Retail's tiles: value, change vs Nov 2025 and vs Dec 2024, and the light its params' targets give."""
    from retention_utils import load_config

    html = (_folder(rendered_demo) / "retail" / "index.html").read_text(encoding="utf-8")
    s = _summary(rendered_demo, "retail")
    churn = next(h for h in s["headline"] if h["kpi"] == "churn_rate")
    targets = load_config(rendered_demo / "params", "retail").targets["churn_rate"]
    want = "green" if churn["value"] <= targets.good else ("red" if churn["value"] >= targets.bad else "amber")
    tile = re.search(r'<div class="tile light-(\w+)">\s*<div class="l">([^<]+)</div><div class="v">([^<]+)</div>'
                     r'(.*?)</div>\s*</div>', html.replace("\n", " "))
    tiles = re.findall(r'<div class="tile(?: light-(\w+))?">\s*<div class="l">([^<]+)</div><div class="v">([^<]+)</div>',
                       html)
    by_label = {label: (light, value) for light, label, value in tiles}
    assert by_label[churn["label"]] == (want, f"{churn['value'] * 100:.1f}%")
    assert tile is not None
    assert html.count("vs Nov 2025") >= len(tiles) and html.count("vs Dec 2024") >= len(tiles)
    assert f"{churn['delta_previous'] * 100:+.1f} pp vs Nov 2025" in html


def test_unit_summary_is_for_executives(rendered_demo):
    """Headline sentences first, the data-quality badge, links to the reports; run times and .ipynb only in the footer."""
    for unit in DEMO_UNITS:
        html = (_folder(rendered_demo) / unit / "index.html").read_text(encoding="utf-8")
        body, _, footer = html.partition('<footer class="run-details">')
        assert footer, unit
        assert ".ipynb" not in body and not re.search(r"\d s<", body), unit
        sentences = re.search(r'<ul class="headline">(.*?)</ul>', body, flags=re.DOTALL)
        assert sentences and 3 <= sentences.group(1).count("<li>") <= 6, unit
        assert body.index("In brief") < body.index("Key figures") < body.index("Detailed reports")
        q = _summary(rendered_demo, unit)["quality"]
        assert f"{q['used']:,} input rows used" in body and q["balanced"] is True
        for nb in PAGES[1:]:
            assert f'href="{nb}.html"' in body


def test_quality_badge_counts_are_the_row_accounting(rendered_demo):
    """The badge's rows read and used are the data contract's accounting of the same exports."""
    from retention_utils import load_config, load_unit_data

    data = load_unit_data(load_config(rendered_demo / "params", "retail"))
    q = _summary(rendered_demo, "retail")["quality"]
    rows = data.quality.rows.groupby("outcome")["rows"].sum()
    assert q["read"] == int(data.quality.inputs["rows"].sum())
    assert q["used"] == int(rows["used"]) and q["dropped"] == int(rows.get("dropped", 0))
    assert q["read"] == q["used"] + q["excluded"] + q["dropped"]


# ---------------------------------------------------------------------------------------------- portfolio

def test_portfolio_compares_every_unit(rendered_demo):
    html = (_folder(rendered_demo) / "index.html").read_text(encoding="utf-8")
    text = page_text(html)
    assert "Retention portfolio — December 2025" in text
    rows = re.findall(r'<tr>\s*<td><a href="(\w+)/index.html">', html)
    assert sorted(rows) == sorted(RENDERED_UNITS)
    for unit in DEMO_UNITS:
        churn = next(h for h in _summary(rendered_demo, unit)["headline"] if h["kpi"] == "churn_rate")
        assert f"{churn['value'] * 100:.1f}%" in text
    summary = pd.read_csv(_folder(rendered_demo) / "retail" / "summary.csv")
    risk = summary[(summary.metric == "revenue_at_risk") & summary.compared_to.isna()]
    if len(risk):
        assert f"EUR {risk.value.iloc[0]:,.0f}" in text
    brief = re.search(r'<ul class="headline">(.*?)</ul>', html, flags=re.DOTALL)
    assert brief and "monthly churn rate fell in" in brief.group(1)
    # one line per unit says what matters most: never empty, never a placeholder
    cells = re.findall(r"</td>\s*<td>(.*?)</td>", html, flags=re.DOTALL)
    assert len(cells) >= 4 and all(page_text(c) for c in cells)
