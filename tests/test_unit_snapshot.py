"""Validate once per unit (issue 10, item 6): the runner's snapshot of a unit's validated data.

``open_unit`` on a snapshot equals a fresh load (tables row for row, data quality, scalars, config,
memoized frames); a snapshot whose inputs changed is refused with a message naming the file; the runner
hands the snapshot to its notebooks, which then never read the raw exports, and the snapshot (customer
rows) is never published and never outlives its unit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from retention_utils import ConfigError, DataError, load_config, load_unit_data
from retention_utils.kpis import monthly_kpis
from retention_utils.report import SNAPSHOTS, _run_unit, clean_stale_runs, run_month
from retention_utils.unit import open_unit, write_snapshot
from tests.conftest import write_unit

ORDERS = ("order_id,customer_id,order_date,amount\n"
          "1,A,2025-01-05,10.10\n2,B,2025-01-20,20.20\n3,A,2025-02-03,5.05\n4,C,2025-03-09,7.70\n"
          "5,B,2025-03-31,1.11\n")
SNAP = "id,months,Churn,Contract\nA,12,Yes,Month-to-month\nB,0,no,Two year\nC,30,TRUE,One year\n"
SCALARS = ("month", "month_end", "data_start", "kind", "has_amounts", "month_warning", "files", "month_label")


def _tiny(root: Path) -> Path:
    return write_unit(root, files={"orders.csv": ORDERS}, sources={"orders": {"path": "../orders.csv"}})


def _rows(table, ordered: bool) -> pd.DataFrame:
    frame = table.to_pandas()
    return frame if ordered else frame.sort_values(list(frame.columns)).reset_index(drop=True)


def assert_same_unit(fresh, opened, *, ordered: bool = True) -> None:
    """Every table row for row (same schema; same order unless ``ordered`` is False), the data quality,
    the scalars and the config."""
    for name in ("customers", "orders", "interactions", "campaigns", "snapshot"):
        a, b = getattr(fresh, name), getattr(opened, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.schema() == b.schema(), name
            pd.testing.assert_frame_equal(_rows(a, ordered), _rows(b, ordered), obj=name)
    for part in ("rows", "inputs", "notes"):
        a, b = getattr(fresh.quality, part), getattr(opened.quality, part)
        if not ordered:
            a, b = (x.sort_values(list(x.columns)).reset_index(drop=True) for x in (a, b))
        pd.testing.assert_frame_equal(a, b, obj=part)
    for attr in SCALARS:
        assert getattr(fresh, attr) == getattr(opened, attr), attr
    assert opened.config == fresh.config
    assert opened.con is not fresh.con  # a fresh engine of its own


@pytest.mark.parametrize("unit", ["retail", "subscriptions", "b2b"])
def test_round_trip_equals_a_fresh_load(demo_params, demo_units, unit, tmp_path):
    fresh = demo_units[unit]
    kpis = monthly_kpis(fresh)  # memoized in fresh.cache: the snapshot carries it
    folder = write_snapshot(fresh, tmp_path / "snap")
    opened = open_unit(demo_params, unit, snapshot=str(folder))
    assert_same_unit(fresh, opened)
    # every frame memoized so far travels (the session's demo units may hold more than the KPIs)
    assert set(opened.cache) == {k for k, v in fresh.cache.items() if isinstance(v, pd.DataFrame)}
    for key, frame in opened.cache.items():
        pd.testing.assert_frame_equal(frame, fresh.cache[key], obj=key)
    pd.testing.assert_frame_equal(opened.cache["monthly_kpis"], kpis)  # dtypes too (datetime64[s] months)
    pd.testing.assert_frame_equal(monthly_kpis(opened), kpis)
    # the raw path of open_unit is today's load (two loads may order the combined orders differently)
    assert_same_unit(fresh, open_unit(demo_params, unit), ordered=False)


def test_round_trip_of_a_snapshot_unit(tmp_path):
    params = write_unit(tmp_path, files={"snap.csv": SNAP}, unit_yaml="report_month: '2025-03'\n", sources={
        "snapshot": {"path": "../snap.csv", "columns": {"customer_id": "id", "tenure": "months", "churned": "Churn"},
                     "attributes": ["Contract"]}})
    fresh = load_unit_data(load_config(params, "shop"))
    opened = open_unit(params, "shop", snapshot=str(write_snapshot(fresh, tmp_path / "snap")))
    assert opened.kind == "snapshot" and opened.cache == {}
    assert_same_unit(fresh, opened)


def test_changed_inputs_make_the_snapshot_stale(tmp_path):
    params = _tiny(tmp_path)
    folder = write_snapshot(load_unit_data(load_config(params, "shop")), tmp_path / "snap")
    orders = tmp_path / "orders.csv"
    # touched, same bytes: the content hash decides, the snapshot still opens
    os.utime(orders, (1_000_000_000, 1_000_000_000))
    assert open_unit(params, "shop", snapshot=str(folder)).month_label == "2025-03"
    # one more order: refused, naming the file and the fix
    orders.write_text(ORDERS + "6,C,2025-03-30,3.00\n")
    with pytest.raises(DataError, match=r"(?s)snapshot '.*snap' of unit 'shop' is stale: input file '.*orders\.csv' "
                                        r"changed since it was validated \(.*\); run the unit again \(retention run "
                                        r"--unit shop\).*snapshot=''"):
        open_unit(params, "shop", snapshot=str(folder))
    orders.unlink()
    with pytest.raises(DataError, match=r"input file '.*orders\.csv' was removed"):
        open_unit(params, "shop", snapshot=str(folder))


def test_new_files_and_params_changes_make_the_snapshot_stale(tmp_path):
    params = write_unit(tmp_path, files={}, sources={"orders": {"path": "../orders/*.csv"}})
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "jan.csv").write_text(ORDERS)
    folder = write_snapshot(load_unit_data(load_config(params, "shop")), tmp_path / "snap")
    (tmp_path / "orders" / "feb.csv").write_text(ORDERS)
    with pytest.raises(DataError, match=r"is stale: 1 new input file\(s\) match the unit's sources \('.*feb\.csv'\)"):
        open_unit(params, "shop", snapshot=str(folder))
    (tmp_path / "orders" / "feb.csv").unlink()
    assert open_unit(params, "shop", snapshot=str(folder)).month_label == "2025-03"
    with open(params / "shop.yaml", "a") as fh:
        fh.write("currency: USD\n")
    with pytest.raises(DataError, match=r"is stale: the params files .*shop\.yaml' changed since it was written"):
        open_unit(params, "shop", snapshot=str(folder))


def test_wrong_unit_month_or_folder_is_refused(tmp_path):
    params = _tiny(tmp_path)
    folder = write_snapshot(load_unit_data(load_config(params, "shop")), tmp_path / "snap")
    assert open_unit(params, "shop", month="2025-03", snapshot=str(folder)).month_label == "2025-03"
    with pytest.raises(ConfigError, match=r"holds report month 2025-03, not 2025-02"):
        open_unit(params, "shop", month="2025-02", snapshot=str(folder))
    with pytest.raises(ConfigError, match=r"holds unit 'shop', not 'other'"):
        open_unit(params, "other", snapshot=str(folder))
    with pytest.raises(DataError, match=r"snapshot '.*nowhere' does not exist; run the unit again"):
        open_unit(params, "shop", snapshot=str(tmp_path / "nowhere"))
    (folder / "meta.json").unlink()  # a half-written snapshot
    with pytest.raises(DataError, match=r"has no meta\.json \(not a snapshot, or an incomplete one\)"):
        open_unit(params, "shop", snapshot=str(folder))


# ----------------------------------------------------------------------------- the runner

#: a report notebook that opens the unit the way the kit's notebooks do and prints what it got
PROBE = [
    ('unit: str = "shop"  # business unit\nmonth: str = ""  # report month\n'
     'params_dir: str = "params"  # params folder\n'
     'snapshot: str = ""  # folder of the validated data the runner wrote; empty: read the raw exports', "parameters"),
    ("from retention_utils.kpis import monthly_kpis\nfrom retention_utils.unit import open_unit\n"
     "data = open_unit(params_dir, unit, month=month, snapshot=snapshot)\n"
     "print('cached:', sorted(data.cache))\nprint('active:', monthly_kpis(data).n_active.tolist())", None),
]


def _probe_notebooks(folder: Path, *, fail: bool = False) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = PROBE + ([("raise RuntimeError('boom')", None)] if fail else [])
    for src, tag in cells:
        cell = nbformat.v4.new_code_cell(src)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "kpi_overview.ipynb")
    return folder


def _outputs(ipynb: Path) -> str:
    nb = nbformat.read(ipynb, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow
def test_notebooks_open_the_snapshot_not_the_raw_exports(tmp_path, monkeypatch):
    """After the runner wrote the snapshot, the raw export is garbled (same size, same modification time,
    so the snapshot's quick check still passes): a notebook that read the raw export again would fail on
    its unparseable dates; one that opens the snapshot gets the validated data and the runner's KPIs."""
    import retention_utils.unit as unit_mod

    params = _tiny(tmp_path)
    orders = tmp_path / "orders.csv"
    real_write = unit_mod.write_snapshot
    written = []

    def write_then_garble(data, folder, **kw):
        out = real_write(data, folder, **kw)
        written.append(out)
        st = orders.stat()
        orders.write_text(ORDERS.replace("2025-", "XXXX-"))
        os.utime(orders, ns=(st.st_atime_ns, st.st_mtime_ns))
        return out

    monkeypatch.setattr(unit_mod, "write_snapshot", write_then_garble)
    reports = tmp_path / "reports"
    result = run_month(params, reports, notebooks=("kpi_overview",), notebooks_dir=_probe_notebooks(tmp_path / "nb"))
    assert result.ok, [u.error for u in result.units]
    executed = reports / "2025-03" / "shop" / "kpi_overview.ipynb"
    out = _outputs(executed)
    assert "cached: ['monthly_kpis']" in out and "active: [2, 1, 2]" in out
    injected = [c.source for c in nbformat.read(executed, as_version=4).cells
                if "injected-parameters" in c.metadata.get("tags", [])]
    assert f'snapshot = "{written[0]}"' in injected[0]  # the runner passed its snapshot
    assert written[0].parent.name == SNAPSHOTS and written[0].name == "shop"
    # nothing of the snapshot is published, and it is gone with the run
    published = {p.name for p in (reports / "2025-03" / "shop").rglob("*")}
    assert not {n for n in published if n.endswith(".parquet") or n == "meta.json"}, published
    assert not (reports / ".staging").exists()
    # the same notebook run by hand (no snapshot) reads the raw export, and fails on it
    with pytest.raises(DataError, match="unparseable dates"):
        open_unit(params, "shop")


@pytest.mark.slow
@pytest.mark.parametrize("fail", [False, True])
def test_snapshot_is_removed_when_the_unit_is_done(tmp_path, fail):
    params = _tiny(tmp_path)
    staging = tmp_path / "reports" / ".staging" / "run1"
    staging.mkdir(parents=True)
    res = _run_unit("shop", str(params), None, str(_probe_notebooks(tmp_path / "nb", fail=fail)), str(staging),
                    ("kpi_overview",), str(tmp_path / "reports"), "run1")
    assert res.status == ("failed" if fail else "ok")
    assert "cached: ['monthly_kpis']" in _outputs(Path(res.staging) / "kpi_overview.ipynb")
    assert not (staging / SNAPSHOTS / "shop").exists()
    assert not [p for p in staging.rglob("*") if p.suffix == ".parquet" or p.name == "meta.json"]


def test_leftover_snapshots_of_dead_runs_are_removed(tmp_path):
    reports = tmp_path / "reports"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = reports / ".staging" / "20250101-000000-dead02"
    (stale / SNAPSHOTS / "shop").mkdir(parents=True)
    (stale / SNAPSHOTS / "shop" / "orders.parquet").write_bytes(b"PAR1")
    (stale / "owner.json").write_text(json.dumps({"pid": dead.pid, "started": 1.0}))
    assert clean_stale_runs(reports) == ["20250101-000000-dead02"]
    assert not stale.exists()
