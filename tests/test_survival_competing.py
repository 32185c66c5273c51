"""Competing risks (retention_utils.survival.competing): cause-specific incidences add up to 1 - KM."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import survival as sv
from retention_utils.survival.base import _step_value


def test_competing_risks_add_up_to_one_minus_km():
    rng = np.random.default_rng(4)
    n = 300
    ev = rng.random(n) < 0.6
    t = pd.DataFrame({"duration_months": rng.exponential(12, n).round(1), "event": ev,
                      "churn_type": np.where(ev, rng.choice(["voluntary", "involuntary"], n), None),
                      "churn_reason": np.where(ev, "price", None)})
    cr = sv.competing_risks(t)
    inc = cr.incidence.drop_duplicates(["cause", "duration_months"], keep="last")  # 0 twice when churn at 0
    wide = inc.pivot(index="duration_months", columns="cause", values="cumulative_incidence")
    km = sv.kaplan_meier(t).curve
    s = np.array([_step_value(km["duration_months"].to_numpy()[1:], km["survival"].to_numpy()[1:], x)
                  for x in wide.index])
    np.testing.assert_allclose(wide.sum(axis=1), 1 - s, atol=1e-10)
    assert (np.diff(wide.to_numpy(), axis=0) >= -1e-12).all()  # incidence never falls
    assert cr.reasons["share"].sum() == pytest.approx(1)
    ci = cr.incidence.dropna()  # the last time, where everyone left churns, has no standard error
    assert len(ci) >= len(cr.incidence) - 2
    assert (ci["ci_lower"] <= ci["cumulative_incidence"] + 1e-12).all()
    assert (ci["cumulative_incidence"] <= ci["ci_upper"] + 1e-12).all()
