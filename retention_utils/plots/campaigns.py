"""Charts of the campaign report: the forest chart of effects, the win-back curves and the Qini curve."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from .base import get_ax, no_data, percent_axis

__all__ = ["plot_forest", "plot_winback", "plot_qini"]


def plot_forest(result: Any, *, ax: Axes | None = None) -> Axes:
    """Churn within the horizon, treated minus control, per measured retention campaign (95% intervals)."""
    ax = get_ax(ax)
    e = result.effects
    m = result.measured()
    m = m[m["kind"] == "retention"] if len(m) else m
    if e is None or e.empty or m.empty:
        return no_data(ax, "No retention campaign measured yet", "Effect per campaign")
    f = e[(e["segment"] == "all") & (e["metric"] == "lost_h") & e["campaign_id"].isin(m["campaign_id"])]
    f = f.merge(m[["campaign_id", "sent_date"]], on="campaign_id").sort_values("sent_date")
    y = np.arange(len(f))
    est = f["estimate"].to_numpy(float) * 100
    lo, hi = f["ci_lower"].to_numpy(float) * 100, f["ci_upper"].to_numpy(float) * 100
    sure = hi < 0
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="none", ecolor="#8d99ae", elinewidth=1.5, capsize=2)
    ax.scatter(est[~sure], y[~sure], color="#8d99ae", zorder=3, label="interval includes no effect")
    ax.scatter(est[sure], y[sure], color="#2a9d8f", zorder=3, label="fewer lost (interval below 0)")
    ax.axvline(0, color="#333", lw=1)
    ax.set_yticks(y, f["campaign_id"].tolist())
    ax.invert_yaxis()
    ax.set_xlabel(f"{result.outcome_label}: treated minus control (percentage points)")
    ax.set_title("Effect of each campaign on customers lost (95% intervals; left of 0 = fewer lost)", loc="left",
                 fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, frameon=False, fontsize=9)
    return ax


def plot_winback(result: Any, *, ax: Axes | None = None) -> Axes:
    """Share of lapsed customers who bought again by each day after sending, reached vs control."""
    ax = get_ax(ax)
    cv = result.winback_curves
    if cv is None or cv.empty:
        return no_data(ax, "No win-back campaign measured", "Win-back")
    ids = list(dict.fromkeys(cv["campaign_id"]))
    cols = ["#264653", "#e76f51", "#2a9d8f", "#e9c46a", "#8d99ae"]
    for i, cid in enumerate(ids[-5:]):
        for grp, style in (("treatment", "-"), ("control", "--")):
            s = cv[(cv["campaign_id"] == cid) & (cv["group"] == grp)]
            if len(s):
                ax.step(s["day"], s["reactivated"], where="post", ls=style, color=cols[i % len(cols)],
                        label=f"{cid}, {'reached' if grp == 'treatment' else 'control'}")
    percent_axis(ax)
    ax.set_xlabel("days after sending")
    ax.set_ylabel("bought again")
    ax.set_title("Win-back: lapsed customers who bought again (solid: reached, dashed: control)", loc="left", fontsize=11)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return ax


def plot_qini(targeting: Any, *, ax: Axes | None = None) -> Axes:
    """Qini curve of the uplift model on the check campaigns against random targeting."""
    ax = get_ax(ax)
    q = getattr(targeting, "qini", None)
    if q is None or len(q) == 0:
        return no_data(ax, "No uplift model check", "Qini curve")
    ax.plot(q["share_targeted"] * 100, q["incremental_saved"], color="#264653", lw=2, label="largest expected effect first")
    ax.plot(q["share_targeted"] * 100, q["random_saved"], color="#8d99ae", ls="--", label="at random")
    ax.axhline(0, color="#ccc", lw=0.8)
    ax.set_xlabel("share of the check campaigns' customers contacted (%)")
    ax.set_ylabel("customers saved")
    ax.set_title("Qini curve on campaigns the model never saw: above the dashed line = better than random",
                 loc="left", fontsize=11)
    ax.legend(loc="upper left", frameon=False)
    return ax
