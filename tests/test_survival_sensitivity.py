"""Inactivity sensitivity (retention_utils.survival.sensitivity): the shared churn definition, threshold varied.

Uses the session's demo units (``demo_units``, 3,000 customers): the retail unit has inactivity churn
(90 days), the subscriptions unit recorded cancellations.
"""
from __future__ import annotations

import pytest

from retention_utils import ConfigError
from retention_utils import survival as sv
from retention_utils.survival import lifetimes


def test_sensitivity_reuses_the_shared_definition(demo_units):
    data = demo_units["retail"]
    s = sv.inactivity_sensitivity(data).set_index("threshold_days")
    assert list(s.index) == [60, 90, 120, 180] and s["configured"].tolist() == [False, True, False, False]
    life = lifetimes(data)
    assert s.loc[90, "n_customers"] == len(life.table) and s.loc[90, "n_events"] == life.table["event"].sum()
    assert s.loc[90, "n_left_truncated"] == life.n_left_truncated
    assert s["n_left_truncated"].is_monotonic_increasing  # the truncation window grows with the threshold
    with pytest.raises(ConfigError, match="uses churn.method 'explicit'.*no inactivity threshold"):
        sv.inactivity_sensitivity(demo_units["subscriptions"])
