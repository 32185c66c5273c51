"""The planted-truth demo unit the churn-drivers tests share (a pytest plugin module, not a test module).

12,000 demo customers (5,400 subscriptions) with a params folder of their own. Why not the shared
3,000-customer demo (``tests/conftest.py: demo_units``): the planted drivers (plan, channel, early
complaint, NPS) must rank above the planted null (region), their odds ratios' 95% intervals must
exclude 1 and the calibration by decile must agree within 0.03 (0.08 per decile); with a quarter
of the customers a decile of the test cut-off holds too few churners for those checks.

tests/conftest.py loads it (``pytest_plugins``): the fixtures are defined once for every test module. The parallel workers of one run (pytest-xdist) share the work: the first writes the
data into the run's common temporary folder and pickles the fitted analysis there, under a file
lock; the others load the unit and unpickle the analysis (a fit takes about a minute).
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from retention_utils import drivers as drv
from retention_utils import load_config, load_unit_data
from retention_utils.demo import PLANTED, generate_demo


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock shared by the test workers (``fcntl.flock`` on ``path``)."""
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_root(tmp_path_factory) -> Path:
    """The run's temporary folder, common to every xdist worker (a worker's own is one level below)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session")
def planted_params(tmp_path_factory):
    """12,000 demo customers and a params folder with the subscriptions unit's drivers settings: (base, params)."""
    root = _shared_root(tmp_path_factory)
    base = root / "drivers_planted"
    with _locked(root / "drivers_planted.lock"):
        if not (base / "params" / "subscriptions.yaml").is_file():  # written last
            _write_planted(base)
    return base, base / "params"


def _write_planted(base: Path) -> None:
    # one campaign hazard ratio (0.7) for every risk tier: the demo's effect by tier (issue 14) shifts the
    # drivers' marginal effects by risk; the drivers are checked here, the effect by tier in test_campaigns_analysis
    same = dataclasses.replace(PLANTED, campaign_hr_by_risk={"low": 0.7, "medium": 0.7, "high": 0.7})
    generate_demo(n_customers=12_000, seed=11, planted=same).write(base / "data")
    params = base / "params"
    params.mkdir(parents=True, exist_ok=True)
    src = {name: {"path": str(base / "data" / f"{name}.csv")} for name in ("orders", "interactions", "campaigns")}
    src["customers"] = {"path": str(base / "data" / "customers.csv"),
                        "attributes": ["channel", "region", "plan", "segment"]}
    (params / "defaults.yaml").write_text(yaml.safe_dump({"sources": src}))
    (params / "subscriptions.yaml").write_text(yaml.safe_dump({
        "business_unit_value": "subscriptions", "churn": {"method": "explicit", "dormant_days": 45},
        "drivers": {"attributes": ["plan", "channel", "region"], "tiers": {"high": 0.3, "medium": 0.15}}}))


@pytest.fixture(scope="session")
def planted(planted_params):
    """The planted subscriptions unit and its :class:`~retention_utils.drivers.DriversAnalysis` (no reports folder)."""
    base, params = planted_params
    data = load_unit_data(load_config(params, "subscriptions"))
    cache = base / "subscriptions_analysis.pickle"
    with _locked(base / "analysis.lock"):
        if cache.is_file():
            return data, pickle.loads(cache.read_bytes())
        analysis = drv.drivers_analysis(data, seed=0)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(analysis))
        tmp.replace(cache)
    return data, analysis


@pytest.fixture(scope="session")
def subs(planted):
    """The planted subscriptions unit and its model result (:func:`~retention_utils.drivers.churn_drivers`)."""
    data, analysis = planted
    return data, analysis.drivers
