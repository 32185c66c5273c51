"""Notebooks are editable sources (issue 10, item 7) and stay thin (STYLE.md "Notebooks stay thin").

Each ``notebooks/<name>.ipynb`` has a percent-format twin ``notebooks/<name>.py`` kept in sync by
jupytext (``notebooks/jupytext.toml``; JupyterLab saves both, ``make notebooks`` syncs after an edit
elsewhere). The runner executes the ``.ipynb``; these tests fail when the two disagree, when a
notebook was committed with outputs, or when a cell holds code that belongs in the library.
"""
from __future__ import annotations

import ast
import re
import tomllib

import jupytext
import nbformat
import pytest

from retention_utils.config import NOTEBOOKS
from tests.conftest import ROOT

NB_DIR = ROOT / "notebooks"

#: the only imports a notebook may make
ALLOWED_IMPORTS = {"import retention_utils as ru", "import matplotlib.pyplot as plt"}

#: a parameter line: ``name: type = literal  # what it is`` (papermill's --help text)
PARAM_LINE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*): (?P<type>str|int|float|bool) = (?P<value>.+?)  # (?P<help>\S.*)$")



def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def _code_cells(name: str) -> list[str]:
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_jupytext_pairs_every_notebook_with_a_percent_script():
    config = tomllib.loads((NB_DIR / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,py:percent"
    assert sorted(p.stem for p in NB_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert sorted(p.stem for p in NB_DIR.glob("*.py")) == sorted(NOTEBOOKS)
    assert not (ROOT / "tools" / "make_notebooks.py").exists()  # nothing regenerates over an analyst's edit


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_and_its_script_agree(name):
    ipynb = jupytext.read(NB_DIR / f"{name}.ipynb")
    script = jupytext.read(NB_DIR / f"{name}.py")
    assert _cells(script) == _cells(ipynb), (
        f"notebooks/{name}.ipynb and notebooks/{name}.py disagree: open the notebook in JupyterLab and save it, "
        f"or run 'make notebooks' (jupytext --sync) after editing one of them")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: cell {i} has outputs; run 'make notebooks' to strip them"
            assert cell.execution_count is None, f"{name}: cell {i} has an execution count"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_is_first_tagged_and_typed(name):
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    names = []
    for line in first.source.splitlines():
        m = PARAM_LINE.match(line)
        assert m, f"{name}: parameter line {line!r} is not 'name: type = literal  # help'"
        value = ast.literal_eval(m["value"])
        assert type(value).__name__ == m["type"], f"{name}: {line!r}: the default is not a {m['type']}"
        names.append(m["name"])
    assert names[:4] == ["unit", "month", "params_dir", "snapshot"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_open_the_unit_through_open_unit(name):
    code = "\n".join(_code_cells(name))
    assert "ru.open_unit(params_dir, unit, month=month, snapshot=snapshot)" in code
    assert "load_unit_data" not in code and "load_config" not in code


#: statements and expressions a notebook cell must not hold (STYLE.md: no def, class, loops, try, file writes)
FORBIDDEN_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor, ast.While, ast.Try,
                   ast.With, ast.comprehension, ast.Lambda)
#: calls that read or write files
FILE_CALLS = {"open", "to_csv", "to_parquet", "to_excel", "write_text", "write_bytes", "savefig"}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_hold_no_library_code(name):
    """No def, class, loop (comprehensions included), try, with, lambda or file I/O in a cell: that code belongs
    in the library, with a test. Checked on the parsed code, so comments and strings may say "for"."""
    for i, src in enumerate(_code_cells(name)):
        for node in ast.walk(ast.parse(src)):
            assert not isinstance(node, FORBIDDEN_NODES), \
                f"{name}: cell {i} has a {type(node).__name__} (line {node.lineno}): move it into retention_utils"
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                assert called not in FILE_CALLS, f"{name}: cell {i} calls {called}() (line {node.lineno})"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_import_only_ru_and_plt(name):
    for i, src in enumerate(_code_cells(name)):
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert ast.unparse(node) in ALLOWED_IMPORTS, f"{name}: cell {i}: {ast.unparse(node)!r}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_unpack_no_params_keys(name):
    """Settings travel inside the results (issue 10, item 8): no cell reads a params key such as cfg.cohorts.by."""
    for i, src in enumerate(_code_cells(name)):
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                assert node.value.attr not in ("config", "cfg"), \
                    f"{name}: cell {i} reads {ast.unparse(node)!r}: pass the result, let the library read its params"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert node.value.id != "cfg", f"{name}: cell {i} reads {ast.unparse(node)!r}"
