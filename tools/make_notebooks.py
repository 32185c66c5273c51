"""Write the report notebooks (outputs stripped). Run: python tools/make_notebooks.py

Each notebook's cells are listed in tools/notebooks/<name>.py (CELLS: (kind, source, *tags)), so that
cells stay short and reviewable; edit there, re-run this script, commit both.
"""
import importlib
import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).resolve().parent / "notebooks"


def notebook(cells, name):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    out = []
    for i, (kind, src, *tags) in enumerate(cells):
        cell = nbf.v4.new_code_cell(src) if kind == "code" else nbf.v4.new_markdown_cell(src)
        cell.id = f"{name.replace('_', '-')}-{i:02d}"  # stable ids: regenerating changes nothing
        if tags:
            cell.metadata["tags"] = list(tags)
        out.append(cell)
    nb.cells = out
    return nb


def main():
    sys.path.insert(0, str(SPECS))
    (ROOT / "notebooks").mkdir(exist_ok=True)
    for spec in sorted(SPECS.glob("*.py")):
        if spec.stem == "common":
            continue
        cells = importlib.import_module(spec.stem).CELLS
        nbf.write(notebook(cells, spec.stem), ROOT / "notebooks" / f"{spec.stem}.ipynb")


if __name__ == "__main__":
    main()
