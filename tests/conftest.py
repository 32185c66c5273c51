"""Shared fixtures: Agg backend, tiny data, paths to the real data sets."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

#: Session fixtures of the 12,000-customer planted-truth drivers unit (tests/drivers_planted.py says why).
pytest_plugins = ("tests.drivers_planted",)

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
