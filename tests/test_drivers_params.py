"""Params of the churn model: drivers.reference_levels and drivers.exclude (issue 9, item 6).

Hand-computed reference: with one categorical feature the logistic regression
is saturated, so each level's odds ratio is exactly its churn odds divided by
the reference level's. Levels: a = 40 of 200 churned (odds 40/160 = 0.25),
b = 50 of 100 (odds 1), c = 20 of 100 (odds 0.25). Default reference a (most
frequent): b 4.0, c 1.0. Reference b: a 0.25, c 0.25.
"""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils import load_config
from retention_utils.display import drivers as ddrv
from retention_utils.errors import ConfigError
from tests.conftest import write_unit


def _levels_table() -> pd.DataFrame:
    rows = [("a", 1)] * 40 + [("a", 0)] * 160 + [("b", 1)] * 50 + [("b", 0)] * 50 + [("c", 1)] * 20 + [("c", 0)] * 80
    t = pd.DataFrame(rows, columns=["plan", "churned"])
    t.insert(0, "id", [f"C{i:04d}" for i in range(len(t))])
    return t


def _ors(fitted) -> tuple[dict[str, float], set[str]]:
    """Odds ratio per level, and the reference levels, of a fitted LogitChurnModel or a DriversResult."""
    o = fitted.odds_ratios() if callable(fitted.odds_ratios) else fitted.odds_ratios
    return dict(zip(o["level"], o["odds_ratio"])), set(o["reference"])


def test_reference_level_of_the_logistic_model_by_hand():
    t = _levels_table()
    X, y = t[["plan"]], t["churned"]
    ors, ref = _ors(drv.LogitChurnModel(categorical=["plan"]).fit(X, y))
    assert ref == {"a"} and ors == {"b": pytest.approx(4.0), "c": pytest.approx(1.0)}
    ors, ref = _ors(drv.LogitChurnModel(categorical=["plan"], reference_levels={"plan": "b"}).fit(X, y))
    assert ref == {"b"} and "b" not in ors  # the reference has no odds ratio (it is 1 by definition)
    assert ors == {"a": pytest.approx(0.25), "c": pytest.approx(0.25)}


def test_reference_level_through_drivers_from_table():
    t = _levels_table()
    res = drv.drivers_from_table(t, target="churned", id_column="id", models=("logit",), n_repeats=0,
                                 reference_levels={"plan": "c"})
    ors, ref = _ors(res)
    # c: odds 0.25 -> a 0.25 / 0.25 = 1, b 1 / 0.25 = 4
    assert ref == {"c"} and ors == {"a": pytest.approx(1.0), "b": pytest.approx(4.0)}
    # the direction in words reads against the same levels
    assert ddrv._driver_words(res, "plan").startswith("'b' churns most")


def test_unknown_reference_level_or_driver_is_a_config_error():
    t = _levels_table().assign(age=range(400))
    with pytest.raises(ConfigError, match=r"^drivers.reference_levels: level 'gold' of 'plan' does not occur in "
                                          r"the data; levels present: 'a', 'b', 'c'\. Set one of them"):
        drv.drivers_from_table(t, target="churned", id_column="id", reference_levels={"plan": "gold"})
    with pytest.raises(ConfigError, match=r"^drivers.reference_levels: 'age' is not a categorical driver of this "
                                          r"unit; categorical drivers: 'plan'\."):
        drv.drivers_from_table(t, target="churned", id_column="id", reference_levels={"age": "3"})


def test_exclude_by_hand_and_unknown_names():
    t = _levels_table().assign(age=[float(i % 7) for i in range(400)])
    res = drv.drivers_from_table(t, target="churned", id_column="id", models=("logit",), n_repeats=0,
                                 exclude=["plan"])
    assert res.categorical == () and res.numeric == ("age",)
    assert set(res.odds_ratios["feature"]) == {"age"} and "plan" not in set(res.leakage["feature"])
    assert res.notes[0] == "Left out of the models by params drivers.exclude: 'plan'."
    with pytest.raises(ConfigError, match=r"^drivers.exclude: 'planx' is not a feature of this unit; features "
                                          r"available: 'plan', 'age'\. Remove it or correct the name\.$"):
        drv.drivers_from_table(t, target="churned", id_column="id", exclude=["planx"])


def test_unit_exclude_names_the_features_available(tmp_path):
    orders = "order_id,customer_id,order_date,amount\n1,A,2024-01-05,10\n2,B,2024-02-01,10\n3,A,2024-02-20,10\n"
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-02'\ndrivers:\n  exclude: [recency, n_orders_90]\n")
    from retention_utils import load_unit_data

    data = load_unit_data(load_config(params, "shop"))
    with pytest.raises(ConfigError, match=r"^drivers.exclude: 'recency' is not a feature of this unit; features "
                                          r"available: 'recency_days', "):
        drv.churn_drivers(data)
