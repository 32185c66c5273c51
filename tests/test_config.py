"""Params files: merging, validation, and errors that name the file and the key."""
from __future__ import annotations

import pytest

from retention_utils import ConfigError, load_config
from retention_utils.config import parse_month
from tests.conftest import TINY, write_unit

SRC = {"orders": {"path": "../orders.csv"}}


def test_defaults_merged_with_unit_file():
    cfg = load_config(TINY / "params", "shop")
    assert cfg.display_name == "Tiny shop" and cfg.report_month == "2024-04"
    assert cfg.churn.inactivity_days == 31 and cfg.churn.dormant_days == 10
    assert cfg.sources.customers.attributes == ["channel"]
    assert load_config(TINY / "params", "shop", month="2024-03").report_month == "2024-03"


def test_unknown_key_names_file_and_key(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml="churn:\n  inactivty_days: 60\n")
    with pytest.raises(ConfigError, match=r"shop\.yaml: unknown key 'churn\.inactivty_days'; did you mean "
                                          r"'inactivity_days'\?; the keys are listed in docs/params\.md"):
        load_config(params, "shop")
    deep = write_unit(tmp_path / "d", files={}, sources={**SRC, "orders": {**SRC["orders"], "delimeter": ";"}})
    with pytest.raises(ConfigError, match=r"unknown key 'sources\.orders\.delimeter'; did you mean 'delimiter'\?"):
        load_config(deep, "shop")


def test_unknown_key_in_defaults_names_defaults(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, defaults_extra="currencey: USD\n")
    with pytest.raises(ConfigError, match=r"defaults\.yaml: unknown key 'currencey'; did you mean 'currency'\?"):
        load_config(params, "shop")


def test_wrong_type_and_bad_month(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml="churn:\n  inactivity_days: ninety\n")
    with pytest.raises(ConfigError, match=r"shop\.yaml: key 'churn\.inactivity_days': .*got 'ninety'"):
        load_config(params, "shop")
    params = write_unit(tmp_path / "b", files={}, sources=SRC, unit_yaml="report_month: 2024-13\n")
    with pytest.raises(ConfigError, match=r"key 'report_month'"):
        load_config(params, "shop")
    with pytest.raises(ConfigError, match=r"--month: '2024/03' is not a month; write it as YYYY-MM"):
        load_config(params, "shop", month="2024/03")


def test_dormant_must_be_shorter_than_inactivity(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC,
                        unit_yaml="churn:\n  inactivity_days: 60\n  dormant_days: 60\n")
    with pytest.raises(ConfigError, match=r"dormant_days \(60\) must be smaller than churn\.inactivity_days \(60\)"):
        load_config(params, "shop")


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "x y", ".hidden"])
def test_unit_names_that_would_escape_reports_are_rejected(tmp_path, name):
    params = write_unit(tmp_path, files={}, sources=SRC)
    with pytest.raises(ConfigError, match="not allowed"):
        load_config(params, name)


def test_unit_key_must_match_file_name(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml="unit: other\n")
    with pytest.raises(ConfigError, match=r"key 'unit' is 'other' but the file is named 'shop'"):
        load_config(params, "shop")


def test_unknown_canonical_column_in_mapping(tmp_path):
    src = {"orders": {"path": "../orders.csv", "columns": {"revenue": "Amount"}}}
    params = write_unit(tmp_path, files={}, sources=src)
    with pytest.raises(ConfigError, match=r"sources\.orders\.columns: unknown canonical column\(s\) \['revenue'\]"):
        load_config(params, "shop")


def test_parse_month():
    assert parse_month("2025-12").isoformat() == "2025-12-01"
    with pytest.raises(ConfigError):
        parse_month("2025-1")


def test_engine_settings_reach_duckdb(tmp_path):
    from retention_utils.sources import connect

    params = write_unit(tmp_path, files={}, sources=SRC,
                        unit_yaml=f"engine:\n  memory_limit: 300MB\n  threads: 1\n  temp_directory: {tmp_path / 'spill'}\n")
    cfg = load_config(params, "shop")
    con = connect(cfg.engine)
    got = con.con.execute("SELECT current_setting('memory_limit'), current_setting('threads'), "
                          "current_setting('temp_directory'), current_setting('enable_progress_bar'), "
                          "current_setting('enable_progress_bar_print')").fetchall()
    # DuckDB reports 300 MB (10^6 bytes) in MiB; progress is counted (for the CLI's bars) but never printed
    assert got == [("286.1 MiB", 1, str(tmp_path / "spill"), True, False)]
    # by default spills go to a fresh folder in the system's temporary directory, not the working directory
    import tempfile

    default = connect().con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    assert default.startswith(tempfile.gettempdir()) and "retention-engine-" in default


def test_bad_engine_memory_limit(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml="engine:\n  memory_limit: lots\n")
    with pytest.raises(ConfigError, match=r"shop\.yaml: key 'engine\.memory_limit': .*'lots' is not an amount of "
                                          r"memory; write it like '2GB'"):
        load_config(params, "shop")


def test_engine_memory_share_from_the_environment(tmp_path, monkeypatch):
    from retention_utils.sources import ENGINE_MEMORY_ENV, connect

    def limit(con):
        return con.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    default = limit(connect())
    monkeypatch.setenv(ENGINE_MEMORY_ENV, "300MB")  # what 'retention run --jobs N' sets for each unit
    assert limit(connect()) == "286.1 MiB" != default
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml="engine:\n  memory_limit: 200MB\n")
    assert limit(connect(load_config(params, "shop").engine)) == "190.7 MiB"  # the unit's params win


def test_value_mappings_and_snapshot_sources_are_validated(tmp_path):
    params = write_unit(tmp_path / "a", files={}, sources={
        "orders": {"path": "../orders.csv"},
        "customers": {"path": "../c.csv", "values": {"churn_type": {"customer_request": "voluntary"}}}})
    cfg = load_config(params, "shop")
    assert cfg.sources.customers.values == {"churn_type": {"customer_request": "voluntary"}}
    params = write_unit(tmp_path / "b", files={}, sources={
        "orders": {"path": "../orders.csv", "values": {"churn_kind": {"x": "voluntary"}}}})
    with pytest.raises(ConfigError, match=r"sources\.orders\.values: unknown canonical column\(s\) \['churn_kind'\]"):
        load_config(params, "shop")
    params = write_unit(tmp_path / "c", files={}, sources={"customers": {"path": "../c.csv"}})
    with pytest.raises(ConfigError, match=r"sources need 'orders' .* or 'snapshot'"):
        load_config(params, "shop")
    params = write_unit(tmp_path / "d", files={}, sources={"orders": {"path": "../o.csv"},
                                                          "snapshot": {"path": "../s.csv"}})
    with pytest.raises(ConfigError, match=r"either 'orders' or 'snapshot', not both.*orders: null"):
        load_config(params, "shop")
    # a unit file switches to a snapshot by dropping the defaults' orders
    params = write_unit(tmp_path / "e", files={}, sources={"orders": {"path": "../o.csv"}},
                        unit_yaml="sources:\n  orders: null\n  snapshot:\n    path: ../s.csv\n    tenure_unit: days\n")
    cfg = load_config(params, "shop")
    assert cfg.sources.orders is None and cfg.sources.snapshot.tenure_unit == "days"


def test_reference_levels_and_exclusions(tmp_path):
    params = write_unit(tmp_path, files={}, sources=SRC, unit_yaml=(
        "survival:\n  reference_levels: {plan: basic}\n"
        "drivers:\n  reference_levels: {channel: web}\n  exclude: [churn_score]\n"))
    cfg = load_config(params, "shop")
    assert cfg.survival.reference_levels == {"plan": "basic"}
    assert cfg.drivers.reference_levels == {"channel": "web"} and cfg.drivers.exclude == ["churn_score"]


def test_unit_files_with_unsafe_names_are_refused(tmp_path):
    from retention_utils.config import list_units

    params = write_unit(tmp_path, files={}, sources=SRC)
    (params / "..yaml").write_text("display_name: x\n")
    (params / "a b.yaml").write_text("display_name: y\n")
    with pytest.raises(ConfigError, match=r"must be letters, digits, '_' or '-': rename '\.\.yaml', 'a b\.yaml'"):
        list_units(params)


def test_targets_name_a_headline_kpi_and_put_good_on_the_better_side(tmp_path):
    from retention_utils.config import TARGET_KPIS
    from retention_utils.kpis import KPI_LABELS

    assert TARGET_KPIS == {k: v[2] for k, v in KPI_LABELS.items()}  # the two lists kept in step
    base = "sources:\n  orders:\n    path: o.csv\n"
    (tmp_path / "defaults.yaml").write_text(base)
    (tmp_path / "u.yaml").write_text("targets:\n  churn_rate: {good: 0.05, bad: 0.08}\n")
    assert load_config(tmp_path, "u").targets["churn_rate"].bad == 0.08
    (tmp_path / "u.yaml").write_text("targets:\n  churn_rate: {good: 0.08, bad: 0.05}\n")
    with pytest.raises(ConfigError, match=r"higher is worse for this KPI, so 'good' \(0.08\) must lie below"):
        load_config(tmp_path, "u")
    (tmp_path / "u.yaml").write_text("targets:\n  churn: {good: 0.05, bad: 0.08}\n")
    with pytest.raises(ConfigError, match="'churn' is not a headline KPI; use one of n_active"):
        load_config(tmp_path, "u")
