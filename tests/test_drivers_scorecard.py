"""The points scorecard (retention_utils.drivers.scorecard) of the planted unit.

Reference: the points of a customer added up by hand from the scorecard table, and the
definition that every 20 points double the odds of churning.
"""
from __future__ import annotations

import numpy as np
import pytest

from retention_utils import drivers as drv


def test_scorecard_points_add_up(subs):
    data, res = subs
    card = res.models["scorecard"]
    tab = card.table_
    assert (tab.groupby("factor")["points"].min() == 0).all()
    panel = drv.training_panel(data, [res.plan.evaluate], horizon_days=90, attributes=["plan", "channel", "region"])
    row = panel.iloc[[0]]
    by_hand = 0
    for f in card.factors:
        labels = tab[tab["factor"] == f].sort_values("bin_order")
        by_hand += int(labels["points"].iloc[card._keys(f, row)[0]])
    assert card.score(row)[0] == by_hand
    p = card.probability([0, 20, 40])
    assert np.all(np.diff(p) > 0)
    odds = p / (1 - p)
    assert odds[1] / odds[0] == pytest.approx(2.0)  # 20 points double the odds
