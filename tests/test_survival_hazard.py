"""Life table (retention_utils.survival.hazard): a naive loop as the reference."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import survival as sv


def test_hazard_by_tenure_equals_naive_loop():
    rng = np.random.default_rng(1)
    t = pd.DataFrame({"duration_months": rng.exponential(6, 500).round(2), "event": rng.random(500) < 0.7})
    h = sv.hazard_by_tenure(t).set_index("tenure_month")
    for k in (1, 2, 5, 9):
        lo, hi = k - 1, k
        at_risk = (t.duration_months >= lo).sum()
        inside = (t.duration_months >= lo) & (t.duration_months < hi)
        d, c = (inside & t.event).sum(), (inside & ~t.event).sum()
        assert (h.loc[k, "n_at_risk"], h.loc[k, "n_events"], h.loc[k, "n_censored"]) == (at_risk, d, c)
        assert h.loc[k, "hazard"] == pytest.approx(d / (at_risk - c / 2))
        assert h.loc[k, "ci_lower"] <= h.loc[k, "hazard"] <= h.loc[k, "ci_upper"]
