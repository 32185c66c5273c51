"""Shared fixtures: Agg backend, tiny data, paths to the real data sets."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

#: Session fixtures of the 12,000-customer planted-truth drivers unit (tests/drivers_planted.py says why).
pytest_plugins = ("tests.drivers_planted", "tests.servers")  # servers: the pg_url and spark_ok fixtures

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny"
REAL = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def real_data() -> Path:
    """Folder of the public real data sets; tests skip (saying so) where it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real data sets not found at {REAL} (they sit beside the repo in CI; a user's own clone "
                    "may not have them)")
    return REAL


def write_unit(root: Path, *, files: dict[str, str], sources: dict, unit: str = "shop",
               unit_yaml: str = "", defaults_extra: str = "") -> Path:
    """Write CSV files and a params folder for one unit; returns the params folder."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        mode = "wb" if isinstance(text, bytes) else "w"
        with open(root / name, mode) as fh:
            fh.write(text)
    params = root / "params"
    params.mkdir(exist_ok=True)
    defaults = {"churn": {"method": "inactivity", "inactivity_days": 31, "dormant_days": 10},
                "sources": sources}
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults) + defaults_extra, encoding="utf-8")
    (params / f"{unit}.yaml").write_text(unit_yaml or "display_name: Test unit\n", encoding="utf-8")
    return params


def copy_repo_params(root: Path, *, drop_sources: tuple[str, ...] = ()) -> Path:
    """A copy of the repo's ``params`` at ``root/params``; its relative paths read ``root/data/demo``."""
    import shutil

    import yaml

    params = root / "params"
    shutil.copytree(ROOT / "params", params)
    if drop_sources:
        defaults = yaml.safe_load((params / "defaults.yaml").read_text(encoding="utf-8"))
        for name in drop_sources:
            defaults["sources"].pop(name, None)
        (params / "defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
    return params


def demo_layout(root: Path, *, n_customers: int, seed: int, drop_sources: tuple[str, ...] = ()) -> Path:
    """Demo data at ``root/data/demo`` beside a copy of the repo's params; returns the params folder."""
    from retention_utils.demo import write_demo

    write_demo(root / "data" / "demo", n_customers=n_customers, seed=seed)
    return copy_repo_params(root, drop_sources=drop_sources)


#: The demo data every test module shares (the size ``make demo`` uses): built once per test worker.
DEMO_CUSTOMERS, DEMO_SEED = 3000, 7


@pytest.fixture(scope="session")
def demo_params(tmp_path_factory) -> Path:
    """Params folder of the shared demo layout (``data/demo`` beside a copy of the repo's params).

    Session-scoped: tests must not write into it (use ``tmp_path`` for outputs).
    """
    return demo_layout(tmp_path_factory.mktemp("demo"), n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)


@pytest.fixture(scope="session")
def demo_units(demo_params) -> dict:
    """The validated demo units by name (``retail``, ``subscriptions``, ``b2b``), loaded once per worker."""
    from retention_utils import load_config, load_unit_data

    return {u: load_unit_data(load_config(demo_params, u)) for u in ("retail", "subscriptions", "b2b")}


#: Hostile text planted in the rendered demo's tiny unit (its display name and customer attributes).
XSS_PAYLOADS: tuple[str, ...] = ('<img src=x onerror="window.__xss=1">', '"><script>window.__xss=1</script>',
                                 "javascript:window.__xss=1")


def _tiny_unit(base: Path, params: Path) -> None:
    """A unit of 15 customers (the small-unit case) whose name and attribute values are XSS payloads."""
    import random

    import yaml

    rng = random.Random(5)
    channels = ["web", *XSS_PAYLOADS]
    cust = ["customer_id,business_unit,signup_date,channel"]
    orders = ["order_id,customer_id,order_date,amount"]
    n = 0
    for i in range(15):
        start = 1 + i % 10
        ch = channels[i % len(channels)].replace('"', '""')
        cust.append(f'T{i:02d},tiny,2025-{start:02d}-03,"{ch}"')
        for m in range(start, 13):
            if m == start or rng.random() < 0.5:
                n += 1
                orders.append(f"{n},T{i:02d},2025-{m:02d}-{rng.randint(1, 28):02d},{rng.randint(10, 90)}")
    (base / "tiny_customers.csv").write_text("\n".join(cust) + "\n", encoding="utf-8")
    (base / "tiny_orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (params / "tiny.yaml").write_text(yaml.safe_dump({
        "display_name": f"Tiny {XSS_PAYLOADS[0]}", "business_unit_value": "tiny", "report_month": "2025-12",
        "sources": {"customers": {"path": str(base / "tiny_customers.csv"), "attributes": ["channel"]},
                    "orders": {"path": str(base / "tiny_orders.csv")}, "interactions": None, "campaigns": None},
        "cohorts": {"split_by": "channel"}, "survival": {"group_by": "channel", "covariates": ["channel"]},
        "drivers": {"attributes": ["channel"]}}), encoding="utf-8")


#: Scripts planted in the ``evil`` unit: its display name, two channel values and a region value.
HOSTILE_LABEL = 'Evil <img src=x onerror=window.__xss=1> "><script>window.__xss=1</script>'
XSS_CHANNELS = {"organic": "<img src=y onerror=window.__xss=2>", "paid_search": '"><script>window.__xss=2</script>'}
XSS_REGION = "<svg onload=\"window.__xss=3;alert('xss')\">"


def _evil_unit(base: Path, params: Path) -> None:
    """400 of the demo's subscriptions customers under a hostile display name and hostile attribute values."""
    import pandas as pd
    import yaml

    customers = pd.read_csv(base / "data" / "demo" / "customers.csv", dtype=str, keep_default_na=False)
    evil = customers[customers["business_unit"] == "subscriptions"].head(400).copy()  # enough for every section
    evil["business_unit"] = "evil"
    evil["channel"] = evil["channel"].replace(XSS_CHANNELS)
    evil["region"] = evil["region"].replace({"north": XSS_REGION})
    evil.to_csv(base / "evil_customers.csv", index=False)
    own = yaml.safe_load((params / "subscriptions.yaml").read_text(encoding="utf-8"))
    own.update({"display_name": HOSTILE_LABEL, "business_unit_value": "evil",
                "sources": {"customers": {"path": str(base / "evil_customers.csv")}}})  # orders: the demo's
    (params / "evil.yaml").write_text(yaml.safe_dump(own), encoding="utf-8")


def _broken_unit(base: Path, params: Path) -> None:
    """A unit whose orders export lacks its date column: it must fail alone, with a message."""
    import yaml

    (base / "broken_orders.csv").write_text("order_id,customer_id,amount\n1,C0000001,10\n")
    (params / "broken.yaml").write_text(yaml.safe_dump({
        "display_name": "Broken unit", "business_unit_value": "retail",
        "sources": {"orders": {"path": str(base / "broken_orders.csv")}}}))


#: Size of the rendered demo: smaller than ``make demo``'s 3,000 (the suite's time), large enough that retail
#: and subscriptions get every section and b2b (about 60 customers) stays the small unit it is in the demo.
RENDERED_CUSTOMERS = 2000

#: The units of ``rendered_demo`` and whether each renders.
RENDERED_UNITS = {"retail": "ok", "subscriptions": "ok", "b2b": "ok", "tiny": "ok", "evil": "ok", "broken": "failed"}


@pytest.fixture(scope="session")
def rendered_demo(tmp_path_factory) -> Path:
    """One rendered month for every end-to-end page test, run once per test session.

    The demo as ``make demo`` renders it (2,000 customers, :data:`RENDERED_CUSTOMERS`: retail, subscriptions,
    b2b), plus ``tiny``
    (15 customers: the small-unit case, script in its name and attributes), ``evil`` (the subscriptions
    customers under a hostile name and hostile attribute values) and ``broken`` (an export without its
    date column, which must fail alone); a stale file of an earlier run sits in the month folder.

    Rendered with the figure check on (``RETENTION_FIGURE_CHECK``: problems in ``figures.jsonl``) and shared
    by every test worker of the session (a file lock: the first worker renders, the others wait), because a
    render takes minutes. Returns the folder: ``params/``, ``reports/`` and ``figures.jsonl``.
    """
    import fcntl
    import json
    import os

    from retention_utils.plots.check import CHECK_ENV
    from retention_utils.report import run_month

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, shared by its workers
    shared = base / "rendered_demo"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "done.json"
        if not done.exists():
            params = demo_layout(shared, n_customers=RENDERED_CUSTOMERS, seed=DEMO_SEED)
            _tiny_unit(shared, params)
            _evil_unit(shared, params)
            _broken_unit(shared, params)
            # a stale file from an earlier run of the same month must disappear (the month is replaced)
            (shared / "reports" / "2025-12" / "retail").mkdir(parents=True)
            (shared / "reports" / "2025-12" / "retail" / "stale.html").write_text("old")
            check = shared / "figures.jsonl"
            check.write_text("", encoding="utf-8")
            previous = os.environ.get(CHECK_ENV)
            os.environ[CHECK_ENV] = str(check)
            try:
                result = run_month(params, shared / "reports", jobs=2, notebooks_dir=ROOT / "notebooks")
            finally:
                if previous is None:
                    os.environ.pop(CHECK_ENV, None)
                else:
                    os.environ[CHECK_ENV] = previous
            done.write_text(json.dumps({u.unit: u.status for u in result.units}), encoding="utf-8")
            (shared / "result.json").write_text(json.dumps({
                "months": {m: str(p) for m, p in result.months.items()},
                "errors": {u.unit: u.error for u in result.units}}), encoding="utf-8")
    return shared
