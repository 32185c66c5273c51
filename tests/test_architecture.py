"""The layout rules of issue 10 (docs/architecture.md), checked on the source so that they cannot erode.

* analyses and data modules never import presentation (display, plots, matplotlib, seaborn, html);
* only ``backend.py`` imports DuckDB;
* no module over 600 lines without saying at its top why it is long;
* each shared helper (table, cards, percent, money, month arithmetic, Wilson, ...) is defined once.
"""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

PKG = ROOT / "retention_utils"
MODULES = sorted(p for p in PKG.rglob("*.py"))
PRESENTATION = ("display", "plots")
#: the computation side: data, foundations, analyses
COMPUTATION = [p for p in MODULES if p.relative_to(PKG).parts[0] not in PRESENTATION
               and p.name not in ("__init__.py", "report.py", "pages.py", "cli.py", "demo.py")
               or p.relative_to(PKG).parts[0] in ("survival", "drivers", "engine") and p.name == "__init__.py"]
FORBIDDEN = ("matplotlib", "seaborn", "html", "IPython")


def _imports(path: Path) -> list[str]:
    """Every module a file imports, relative imports resolved to ``retention_utils.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = ".".join(("retention_utils",) + path.relative_to(PKG).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out += [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                out.append(node.module or "")
    return out


@pytest.mark.parametrize("path", COMPUTATION, ids=lambda p: str(p.relative_to(PKG)))
def test_computation_never_imports_presentation(path):
    for mod in _imports(path):
        top = mod.split(".")[0]
        assert top not in FORBIDDEN, f"{path.relative_to(ROOT)} imports {mod}"
        assert not mod.startswith(("retention_utils.display", "retention_utils.plots")), \
            f"{path.relative_to(ROOT)} imports {mod}: presentation lives apart (results import it lazily)"


def test_only_the_engine_modules_import_duckdb():
    users = [str(p.relative_to(PKG)) for p in MODULES if any(m.split(".")[0] == "duckdb" for m in _imports(p))]
    assert users and all(u.startswith("backends/") for u in users), users  # the engine modules only


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_long_modules_say_why(path):
    text = path.read_text(encoding="utf-8")
    if text.count("\n") > 600:
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert "Why this module is long" in doc, f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines"


#: helpers that must have one definition in the package
ONCE = ("wilson_interval", "newcombe_interval", "holm", "month_end", "month_index_py", "index_to_month",
        "period_index_py", "last_complete_period", "pct", "pp", "money", "count", "pvalue", "month_name",
        "fmt_value", "fmt_delta", "table", "cards", "headline_list", "notes_list", "footnote", "warning_html",
        "title_html", "get_ax", "money_formatter", "no_data", "panel_size", "setup_notebook", "notes_frame")
#: private look-alikes of those helpers that the refactor removed
GONE = ("_pct", "_money", "_ax", "_table", "_table_html", "_notes_list", "_notes_block", "_e", "_wilson",
        "_month_end", "_month_name", "_no_data")


def test_each_helper_is_defined_once():
    defs: Counter = Counter()
    consts: Counter = Counter()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                defs[node.name] += 1
            elif isinstance(node, ast.Assign):
                consts.update(t.id for t in node.targets if isinstance(t, ast.Name))
    assert {n: defs[n] for n in ONCE if defs[n] != 1} == {}
    assert {n: defs[n] for n in GONE if defs[n]} == {}
    assert {n: consts[n] for n in ("MODEL_LABELS", "PALETTE", "DAYS_PER_MONTH", "EPOCH") if consts[n] != 1} == {}
