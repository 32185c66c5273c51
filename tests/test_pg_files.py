"""A CSV export's quirks read the same on PostgreSQL (files streamed in with COPY) as on DuckDB.

Empty lines (above the header, between records, two at the end, CRLF or LF) are skipped by DuckDB's
reader and failed COPY; an empty line inside a quoted field is data and stays. A real server
(``tests/servers.py``: skipped on a machine without PostgreSQL, never in CI).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from retention_utils.config import load_config
from retention_utils.contract import load_unit_data

from .conftest import TINY

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]' installs it)")


def _unit(root: Path, engine: dict) -> object:
    params = root / "params"
    params.mkdir(parents=True)
    (params / "defaults.yaml").write_text(yaml.safe_dump({
        "churn": {"method": "inactivity", "inactivity_days": 31, "dormant_days": 10}, "report_month": "2024-04",
        "sources": {"customers": {"path": "../../customers.csv", "attributes": ["channel"]},
                    "orders": {"path": "../../orders.csv"}}}), encoding="utf-8")
    (params / "wh.yaml").write_text(yaml.safe_dump({"business_unit_value": "shop", "engine": engine}),
                                    encoding="utf-8")
    return load_unit_data(load_config(params, "wh"))


def _export(root: Path, newline: str) -> None:
    """TINY with empty lines around its records, and a channel holding an empty line inside quotes."""
    root.mkdir(parents=True)
    orders = (TINY / "orders.csv").read_text(encoding="utf-8").splitlines()
    lines = ["", *orders[:3], "", *orders[3:5], "", "", *orders[5:], "", ""]
    (root / "orders.csv").write_bytes(newline.join(lines).encode() + newline.encode())
    customers = (TINY / "customers.csv").read_text(encoding="utf-8").splitlines()
    customers[1] = customers[1].replace(",web", ',"we' + newline + newline + 'b ""x"""')
    (root / "customers.csv").write_bytes((newline.join(customers) + newline + newline).encode())


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_empty_lines_read_as_on_duckdb(tmp_path, monkeypatch, pg_url, newline):
    root = tmp_path / "export"
    _export(root, newline)
    monkeypatch.setenv("WH_URL", pg_url)
    duck = _unit(root / "duck", {"backend": "duckdb"})
    pg = _unit(root / "pg", {"backend": "postgres", "url_env": "WH_URL"})
    a, b = (u.quality.rows.drop(columns="source").reset_index(drop=True) for u in (duck, pg))
    assert a.equals(b), f"\n{a}\n{b}"
    n_orders = len((TINY / "orders.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert int(a.loc[a["table"] == "orders", "rows"].sum()) == n_orders  # every record, no empty line counted
    cols = ["order_id", "customer_id", "amount"]
    x, y = (u.orders.execute().sort_values("order_id", kind="stable")[cols].reset_index(drop=True)
            for u in (duck, pg))
    assert x.astype(str).equals(y.astype(str))
    c, d = (dict(zip(*u.customers.execute()[["customer_id", "channel"]].T.values)) for u in (duck, pg))
    assert c == d and d["A"] == f'we{newline}{newline}b "x"'
